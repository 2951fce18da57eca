/**
 * A small, fast, seeded pseudo-random number generator (xoshiro128**), the single source of
 * randomness in FluxOps so that every result is reproducible from a seed.
 * @module
 */

import { InvalidInput } from "../errors.ts";

const TWO_32 = 4294967296;
const TWO_53 = 9007199254740992;
const GOLDEN = 0x9e3779b9;
/** One key per state word, so the four words hash the seed independently. */
const LANE_KEYS = [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344] as const;

/** MurmurHash3's 32-bit finaliser: a bijective mix in which every input bit affects every output bit. */
function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function checkSafeInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value)) {
    throw new InvalidInput(`${name} must be a safe integer, got ${value}`);
  }
}

/** Splits a safe integer into its low and high 32-bit words (two's complement for negatives). */
function words(value: number): [number, number] {
  return [value >>> 0, Math.floor(value / TWO_32) >>> 0];
}

/** A mutable indexed collection: arrays and typed arrays. */
export interface MutableIndexed<T> {
  readonly length: number;
  [index: number]: T;
}

/**
 * A seeded xoshiro128** generator. The same seed gives the same sequence on every run and
 * platform; `Rng.derive(seed, stream)` gives statistically independent streams, e.g. one per tree.
 *
 * @example
 * ```ts
 * import { Rng } from "./random.ts";
 * const rng = new Rng(42);
 * const u = rng.next(); // in [0, 1)
 * const k = rng.int(10); // in 0..9
 * const tree7 = Rng.derive(42, 7); // independent of how many workers run
 * ```
 */
export class Rng {
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;
  /** The second Box-Muller deviate, kept for the next `normal()` call; NaN when none. */
  #spare = NaN;

  /**
   * Creates a generator from a seed.
   * @param seed any safe integer (negative and > 2**32 included).
   */
  constructor(seed = 0) {
    checkSafeInteger("seed", seed);
    const state = Rng.#state([...words(seed), 0]);
    this.#s0 = state[0];
    this.#s1 = state[1];
    this.#s2 = state[2];
    this.#s3 = state[3];
  }

  /**
   * Returns the generator for stream `stream` of `seed`: the same pair always gives the same
   * sequence, different pairs give unrelated ones, and none equals `new Rng(seed)`.
   */
  static derive(seed: number, stream: number): Rng {
    checkSafeInteger("seed", seed);
    checkSafeInteger("stream", stream);
    const rng = new Rng(0);
    const state = Rng.#state([...words(seed), 1, ...words(stream)]);
    rng.#s0 = state[0];
    rng.#s1 = state[1];
    rng.#s2 = state[2];
    rng.#s3 = state[3];
    return rng;
  }

  /** Hashes seed words into a 128-bit state that is never all zero. */
  static #state(input: readonly number[]): [number, number, number, number] {
    const out: [number, number, number, number] = [0, 0, 0, 0];
    for (let lane = 0; lane < 4; lane++) {
      let h = LANE_KEYS[lane] ?? 0;
      for (const w of input) h = fmix32((h ^ w) + GOLDEN);
      out[lane] = fmix32(h + input.length) | 0;
    }
    if ((out[0] | out[1] | out[2] | out[3]) === 0) out[0] = 1;
    return out;
  }

  /** Returns the next 32-bit unsigned integer. */
  uint32(): number {
    const s1 = this.#s1;
    const x = Math.imul(s1, 5);
    const result = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
    const t = s1 << 9;
    this.#s2 ^= this.#s0;
    this.#s3 ^= s1;
    this.#s1 = s1 ^ this.#s2;
    this.#s0 ^= this.#s3;
    this.#s2 ^= t;
    this.#s3 = (this.#s3 << 11) | (this.#s3 >>> 21);
    return result;
  }

  /** Returns a float in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.uint32() >>> 5;
    const lo = this.uint32() >>> 6;
    return (hi * 67108864 + lo) / TWO_53;
  }

  /**
   * Returns an unbiased integer in 0..n-1.
   * @param n an integer in 1..2**32.
   */
  int(n: number): number {
    if (!(n >= 1 && n <= TWO_32 && Number.isInteger(n))) {
      throw new InvalidInput(`Rng.int(n): n must be an integer in 1..2**32, got ${n}`);
    }
    // Reject the top (2**32 mod n) values so every residue is equally likely.
    const limit = TWO_32 - (TWO_32 % n);
    let u = this.uint32();
    while (u >= limit) u = this.uint32();
    return u % n;
  }

  /** Returns a standard normal deviate (mean 0, variance 1), by the Box-Muller transform. */
  normal(): number {
    const spare = this.#spare;
    if (spare === spare) {
      this.#spare = NaN;
      return spare;
    }
    const r = Math.sqrt(-2 * Math.log(1 - this.next())); // 1 - u is in (0, 1]: log is finite
    const theta = 2 * Math.PI * this.next();
    this.#spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /** Shuffles `items` (an array or typed array) in place, Fisher-Yates. */
  shuffle<T>(items: MutableIndexed<T>): void {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = items[i] as T;
      items[i] = items[j] as T;
      items[j] = t;
    }
  }
}
