#!/usr/bin/env python3
"""Python peer of the FluxOps HTTP benchmark: the same forest, served the way a Python team would.

FastAPI on uvicorn (uvloop + httptools, `uvicorn[standard]`), uvicorn's own worker processes for
--workers > 1. At start-up it converts the FluxOps model.json into a scikit-learn
RandomForestClassifier with exactly the same trees (bench/fluxops_to_sklearn.py) and answers with
`predict_proba`, so both servers serve the SAME forest. With --engine onnx that forest is converted
once more with skl2onnx (a `TreeEnsembleClassifier`, float32 input, no ZipMap) and scored by an
ONNX Runtime session (one intra-op thread per worker, as each worker serves one request at a time).

Routes (the FluxOps function's /api contract):
  GET  /api/health   -> {"status": "healthy", "model_version": ..., "uptime_s": ...}
  POST /api/predict  {"features": [f0, ..., f9]}  (or {"features": {"f0": ..., ...}})
                     -> {"model_version", "prediction": <label>, "probabilities": {"<label>": p}}
                     {"instances": [[...], ...]}
                     -> {"model_version", "classes", "predictions": [...], "probabilities": [[...]]}
  Bad input -> 400 {"error": {"code": "invalid_input", "message": ...}}; a `server-timing:
  predict;dur=<ms>` header gives the time spent in predict_proba, as FluxOps does.

Usage:
  bench/.venv/bin/python bench/peer_server.py --model DIR_OR_model.json [--port 8081]
      [--workers 1] [--reuse-port] [--host 127.0.0.1] [--no-access-log] [--sync]
      [--engine sklearn|onnx]

  --workers N       uvicorn worker processes (default 1; the build machine has 2 cores)
  --reuse-port      with --workers N: N uvicorn servers, each on its own SO_REUSEPORT socket, so
                    the kernel spreads connections over them; uvicorn's own workers share one
                    socket and a burst of keep-alive connections can all land on one worker
  --no-access-log   turn off uvicorn's per-request access log (on by default, like the FluxOps
                    function's per-request JSON log line)
  --sync            declare the predict route with `def` (FastAPI runs it in its thread pool)
                    instead of `async def` (runs on the event loop; predict_proba is CPU-bound
                    and holds the GIL, so the thread hop only adds overhead)
  --engine E        sklearn (default): RandomForestClassifier.predict_proba; onnx: the same
                    forest through skl2onnx and an ONNX Runtime InferenceSession
Install: bench/.venv/bin/pip install -r bench/requirements-serve.txt
"""


import argparse
import os
import sys
import time
from typing import Any, Union

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

ENV_MODEL = "FLUXOPS_PEER_MODEL"
ENV_SYNC = "FLUXOPS_PEER_SYNC"
ENV_ENGINE = "FLUXOPS_PEER_ENGINE"
ENGINES = ("sklearn", "onnx")
MAX_INSTANCES = 10_000


def onnx_scorer(rf, n_features: int):
    """`predict_proba` of `rf` as ONNX Runtime computes it: skl2onnx's TreeEnsembleClassifier."""
    import numpy as np
    import onnxruntime as ort
    from skl2onnx import to_onnx

    sample = np.zeros((1, n_features), dtype=np.float32)
    onx = to_onnx(rf, sample, options={id(rf): {"zipmap": False}},
                  target_opset={"": 17, "ai.onnx.ml": 3})
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(onx.SerializeToString(), so, providers=["CPUExecutionProvider"])
    input_name = sess.get_inputs()[0].name

    def predict_proba(X):
        (proba,) = sess.run(["probabilities"], {input_name: X.astype(np.float32)})
        return proba.astype(np.float64)

    return predict_proba


def create_app():
    """The ASGI app (a factory, so every uvicorn worker process builds its own)."""
    import numpy as np
    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from pydantic import BaseModel

    import fluxops_to_sklearn as fx

    path = os.environ.get(ENV_MODEL)
    if not path:
        raise RuntimeError(f"{ENV_MODEL} is not set (start with bench/peer_server.py --model)")
    rf, model = fx.convert(path)
    engine = os.environ.get(ENV_ENGINE, "sklearn")
    predict_proba = rf.predict_proba
    if engine == "onnx":
        predict_proba = onnx_scorer(rf, len(model["features"]))
    version = model["version"]
    labels = list(model["classes"])  # as JSON had them (ints stay ints)
    keys = [str(c) for c in labels]
    names = [f["name"] for f in model["features"]]
    index = {n: i for i, n in enumerate(names)}
    p = len(names)
    started = time.monotonic()

    class InvalidInput(Exception):
        pass

    Row = Union[list[float], dict[str, float]]

    class PredictBody(BaseModel):
        features: Row | None = None
        instances: list[Row] | None = None

    def row_values(row: Row, where: str) -> list[float]:
        if isinstance(row, dict):
            unknown = [k for k in row if k not in index]
            if unknown:
                raise InvalidInput(f"{where}: unknown features {unknown}")
            missing = [n for n in names if n not in row]
            if missing:
                raise InvalidInput(f"{where}: missing features {missing}")
            return [row[n] for n in names]
        if len(row) != p:
            raise InvalidInput(f"{where}: expected {p} features, got {len(row)}")
        return row

    def predict(body: PredictBody) -> JSONResponse:
        if (body.features is None) == (body.instances is None):
            raise InvalidInput('body: give either "features" (one row) or "instances" (a batch)')
        single = body.features is not None
        if single:
            rows = [row_values(body.features, "features")]
        else:
            if not body.instances:
                raise InvalidInput("instances: the batch is empty")
            if len(body.instances) > MAX_INSTANCES:
                raise InvalidInput(f"instances: over the limit of {MAX_INSTANCES} rows")
            rows = [row_values(r, f"instances[{i}]") for i, r in enumerate(body.instances)]
        X = np.asarray(rows, dtype=np.float64)
        if not np.isfinite(X).all():
            raise InvalidInput("features: every value must be a finite number")
        t0 = time.perf_counter()
        proba = predict_proba(X)
        best = proba.argmax(axis=1)
        dur = (time.perf_counter() - t0) * 1000
        headers = {"server-timing": f"predict;dur={dur:.3f}"}
        if single:
            row = proba[0].tolist()
            return JSONResponse({
                "model_version": version,
                "prediction": labels[int(best[0])],
                "probabilities": dict(zip(keys, row)),
            }, headers=headers)
        return JSONResponse({
            "model_version": version,
            "classes": labels,
            "predictions": [labels[i] for i in best.tolist()],
            "probabilities": proba.tolist(),
        }, headers=headers)

    app = FastAPI(title=f"FluxOps {engine} peer", docs_url=None, redoc_url=None)

    def error(status: int, code: str, message: str) -> JSONResponse:
        return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)

    @app.exception_handler(InvalidInput)
    async def _invalid(_req: Request, exc: InvalidInput) -> JSONResponse:
        return error(400, "invalid_input", str(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(_req: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(x) for x in first.get("loc", ()) if x != "body") or "body"
        return error(400, "invalid_input", f"{where}: {first.get('msg', 'invalid')}")

    @app.get("/api/health")
    async def health() -> dict[str, Any]:
        return {
            "status": "healthy",
            "model_version": version,
            "uptime_s": round(time.monotonic() - started, 1),
            "engine": "onnxruntime" if engine == "onnx" else "scikit-learn",
            "pid": os.getpid(),
        }

    if os.environ.get(ENV_SYNC) == "1":
        @app.post("/api/predict")
        def predict_sync(body: PredictBody) -> JSONResponse:
            return predict(body)
    else:
        @app.post("/api/predict")
        async def predict_async(body: PredictBody) -> JSONResponse:
            return predict(body)

    return app


def serve_reuse_port(args: argparse.Namespace) -> int:
    """--reuse-port: one uvicorn server per process, each on its own SO_REUSEPORT socket.

    uvicorn's --workers share ONE listening socket; whichever worker wakes first accepts a burst
    of new connections, so a client that opens its keep-alive connections at once (a load
    generator, a pooled upstream proxy) can end up with all of them on one worker. With a socket
    per process the kernel spreads connections across the processes by a hash of the 4-tuple.
    """
    import signal
    import subprocess

    cmd = [sys.executable, os.path.abspath(__file__), "--model", args.model, "--port",
           str(args.port), "--host", args.host, "--log-level", args.log_level, "--_child"]
    if args.no_access_log:
        cmd.append("--no-access-log")
    if args.sync:
        cmd.append("--sync")
    cmd += ["--engine", args.engine]
    children = [subprocess.Popen(cmd) for _ in range(args.workers)]
    stopping = False

    def stop(_sig: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for c in children:
            if c.poll() is None:
                c.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    status = 0
    try:
        while any(c.poll() is None for c in children):
            if not stopping and any(c.poll() not in (None, 0) for c in children):
                print("peer_server: a worker exited; stopping the others", file=sys.stderr)
                status = 1
                stop(0, None)
            time.sleep(0.2)
    finally:
        for c in children:
            if c.poll() is None:
                try:
                    c.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    c.kill()
                    c.wait()
    return status


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="scikit-learn peer of the FluxOps prediction API")
    ap.add_argument("--model", required=True, help="FluxOps model.json or a folder holding one")
    ap.add_argument("--port", type=int, default=8081)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    ap.add_argument("--reuse-port", action="store_true",
                    help="with --workers N: N servers on SO_REUSEPORT sockets (kernel balancing) "
                         "instead of uvicorn's workers sharing one socket")
    ap.add_argument("--no-access-log", action="store_true", help="no per-request access log")
    ap.add_argument("--sync", action="store_true", help="a `def` route run in the thread pool")
    ap.add_argument("--engine", choices=ENGINES, default="sklearn",
                    help="sklearn predict_proba (default) or ONNX Runtime (skl2onnx)")
    ap.add_argument("--log-level", default="info")
    ap.add_argument("--_child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.workers < 1:
        ap.error("--workers must be >= 1")

    import uvicorn

    import fluxops_to_sklearn as fx

    # Fail fast (and once) on a bad model, before any worker starts.
    try:
        fx.load_model(args.model)
    except fx.ModelError as e:
        print(f"peer_server: error: {e}", file=sys.stderr)
        return 2
    os.environ[ENV_MODEL] = os.path.abspath(fx.model_path(args.model))
    os.environ[ENV_SYNC] = "1" if args.sync else "0"
    os.environ[ENV_ENGINE] = args.engine
    if args.engine == "onnx":
        try:
            import onnxruntime  # noqa: F401
            import skl2onnx  # noqa: F401
        except ImportError as e:
            print(f"peer_server: error: --engine onnx needs onnxruntime and skl2onnx ({e}); "
                  "bench/.venv/bin/pip install -r bench/requirements-serve.txt", file=sys.stderr)
            return 2
    options = dict(
        factory=True,
        access_log=not args.no_access_log,
        log_level=args.log_level,
        loop="uvloop",
        http="httptools",
    )
    if args._child:
        import socket

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((args.host, args.port))
        sock.set_inheritable(True)
        config = uvicorn.Config("peer_server:create_app", **options)
        uvicorn.Server(config).run(sockets=[sock])
        return 0
    if args.reuse_port and args.workers > 1:
        return serve_reuse_port(args)
    uvicorn.run("peer_server:create_app", host=args.host, port=args.port, workers=args.workers,
                **options)
    return 0


if __name__ == "__main__":
    sys.exit(main())
