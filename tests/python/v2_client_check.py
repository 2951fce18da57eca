"""Drives a FluxOps function with the Triton/KServe V2 Python HTTP client (tritonclient[http]).

Usage: python v2_client_check.py HOST:PORT MODEL_NAME N_FEATURES
Prints one JSON line with what it saw; exits non-zero on any mismatch.
"""
import json
import sys

import numpy as np
import tritonclient.http as httpclient


def main() -> int:
    url, name, n_features = sys.argv[1], sys.argv[2], int(sys.argv[3])
    client = httpclient.InferenceServerClient(url=url)
    assert client.is_server_live(), "server not live"
    assert client.is_server_ready(), "server not ready"
    assert client.is_model_ready(name), "model not ready"
    meta = client.get_model_metadata(name)
    assert meta["inputs"][0]["shape"] == [-1, n_features], meta
    rows = np.random.default_rng(0).normal(size=(5, n_features))
    seen = {}
    for datatype, binary_in in (("FP64", True), ("FP32", True), ("FP64", False)):
        x = rows.astype(np.float64 if datatype == "FP64" else np.float32)
        inp = httpclient.InferInput("input", list(x.shape), datatype)
        inp.set_data_from_numpy(x, binary_data=binary_in)
        for binary_out in (True, False):
            outputs = [
                httpclient.InferRequestedOutput("label", binary_data=binary_out),
                httpclient.InferRequestedOutput("probabilities", binary_data=binary_out),
            ]
            result = client.infer(name, inputs=[inp], outputs=outputs, request_id="py-1")
            proba = result.as_numpy("probabilities")
            labels = result.as_numpy("label")
            assert proba.shape[0] == 5 and labels.shape == (5,), (proba.shape, labels.shape)
            assert np.allclose(proba.sum(axis=1), 1.0), proba
            key = f"{datatype}-in{'bin' if binary_in else 'json'}-out{'bin' if binary_out else 'json'}"
            seen[key] = [v.decode() if isinstance(v, bytes) else v for v in labels.tolist()]
    # A request with no outputs named returns both.
    inp = httpclient.InferInput("input", [1, n_features], "FP64")
    inp.set_data_from_numpy(rows[:1].astype(np.float64), binary_data=False)
    result = client.infer(name, inputs=[inp])
    assert result.as_numpy("probabilities").shape[0] == 1
    # A bad request surfaces as the client's exception with the server's message.
    bad = httpclient.InferInput("input", [1, n_features + 1], "FP64")
    bad.set_data_from_numpy(np.zeros((1, n_features + 1)), binary_data=False)
    try:
        client.infer(name, inputs=[bad])
        raise AssertionError("expected an error for the wrong feature count")
    except httpclient.InferenceServerException as err:
        message = err.message()
    print(json.dumps({"ok": True, "model": meta["name"], "labels": seen, "error": message}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
