/**
 * A stand-in for lib/forest/train_worker.ts that crashes on its first tree: a worker cannot be
 * made to fail on demand otherwise. Used to check that a failure ends the whole training.
 * @module
 */
(globalThis as unknown as { onmessage: (event: MessageEvent<{ kind: string }>) => void })
  .onmessage = ({ data }) => {
    if (data.kind === "tree") throw new RangeError("simulated crash");
  };
