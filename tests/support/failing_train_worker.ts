/**
 * A stand-in for lib/forest/train_worker.ts that reports an error for every tree, as the real
 * worker does when training throws: an InvalidInput when the seed is 1, else a TypeError. Used
 * to check how reported errors reach the caller.
 * @module
 */
type Message = { kind: "init"; params: { seed: number } } | { kind: "tree"; index: number };
const scope = globalThis as unknown as {
  onmessage: (event: MessageEvent<Message>) => void;
  postMessage(message: unknown): void;
};
let name = "TypeError";
scope.onmessage = ({ data }) => {
  if (data.kind === "init") {
    if (data.params.seed === 1) name = "InvalidInput";
    return;
  }
  scope.postMessage({ kind: "error", index: data.index, name, message: "simulated failure" });
};
