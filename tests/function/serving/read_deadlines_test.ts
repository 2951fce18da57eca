import assert from "node:assert/strict";
import { ReadDeadlines } from "../../../function/serving/read_deadlines.ts";

Deno.test("ReadDeadlines marks a read expired at its deadline and cancels it one timeout later", () => {
  let now = 0;
  const deadlines = new ReadDeadlines({ timeoutMs: 100, tickMs: 10_000, now: () => now });
  try {
    let cancelled = 0;
    const watch = deadlines.watch(() => cancelled++);
    now = 99;
    assert.equal(deadlines.sweep(), 0);
    assert.equal(watch.expired, false);
    now = 100;
    assert.equal(deadlines.sweep(), 0);
    assert.equal(watch.expired, true, "expired: the reader stops at its next chunk");
    assert.equal(cancelled, 0);
    now = 199;
    assert.equal(deadlines.sweep(), 0);
    now = 200;
    assert.equal(deadlines.sweep(), 1, "still waiting: cancelled");
    assert.equal(cancelled, 1);
    now = 500;
    assert.equal(deadlines.sweep(), 0, "a read is cancelled once");
    assert.equal(cancelled, 1);
    assert.equal(deadlines.active, 0);
  } finally {
    deadlines.close();
  }
});

Deno.test("ReadDeadlines never touches a read that finished in time", () => {
  let now = 0;
  const deadlines = new ReadDeadlines({ timeoutMs: 100, tickMs: 10_000, now: () => now });
  try {
    let cancelled = 0;
    const fast = deadlines.watch(() => cancelled++);
    const failing = deadlines.watch(() => {
      throw new Error("the read already ended");
    });
    assert.equal(deadlines.active, 2);
    fast.done();
    now = 1000;
    assert.equal(deadlines.sweep(), 0, "a late sweep only marks");
    now = 1100;
    assert.equal(deadlines.sweep(), 1, "a cancel that throws still counts");
    assert.equal(fast.expired, false);
    assert.equal(failing.expired, true);
    assert.equal(cancelled, 0);
  } finally {
    deadlines.close();
  }
});

Deno.test(
  "ReadDeadlines gives a read a whole timeout after marking it expired, even when the sweep ran late",
  () => {
    // A busy machine froze the process past deadline + timeout: the first sweep after it must
    // not cancel at once, or a client trickling its body never gets the chunk that ends its read
    // (and Deno.serve keeps the connection of a read cancelled while waiting open).
    let now = 0;
    const deadlines = new ReadDeadlines({ timeoutMs: 100, tickMs: 10_000, now: () => now });
    try {
      let cancelled = 0;
      const watch = deadlines.watch(() => cancelled++);
      now = 750;
      assert.equal(deadlines.sweep(), 0);
      assert.equal(watch.expired, true);
      now = 849;
      assert.equal(deadlines.sweep(), 0, "not yet one timeout after the marking");
      assert.equal(cancelled, 0);
      now = 850;
      assert.equal(deadlines.sweep(), 1, "still waiting one timeout after the marking: cancelled");
      assert.equal(cancelled, 1);
    } finally {
      deadlines.close();
    }
  },
);

Deno.test("ReadDeadlines' own timer cancels a stalled read", async () => {
  const deadlines = new ReadDeadlines({ timeoutMs: 30, tickMs: 10 });
  try {
    const cancelled = new Promise<void>((resolve) => deadlines.watch(resolve));
    const t0 = performance.now();
    await cancelled;
    assert.ok(performance.now() - t0 >= 59);
  } finally {
    deadlines.close();
  }
});

Deno.test("ReadDeadlines refuses a timeout that is not a positive number", () => {
  const bad: readonly number[] = [0, -1, NaN];
  for (const timeoutMs of bad) {
    assert.throws(() => new ReadDeadlines({ timeoutMs }), RangeError, String(timeoutMs));
  }
});
