/**
 * Holds the model being served and why there is none when there is none. A model only ever
 * replaces another after it has loaded and verified, so a bad model never replaces a good one.
 * @module
 */
import type { LoadedModel } from "../../lib/model/artifact.ts";
import { featureIndex } from "./instances.ts";

/** A served model with what the hot path needs precomputed. */
export interface ServedModel {
  readonly model: LoadedModel;
  /** Feature name to column. */
  readonly index: ReadonlyMap<string, number>;
  /** Class labels as JSON keys. */
  readonly labelKeys: readonly string[];
}

/** The model holder's state, as health checks report it. */
export interface HolderState {
  readonly served: ServedModel | undefined;
  /** Why the last load failed, if it did. */
  readonly lastError: string | undefined;
  readonly loadedAt: Date | undefined;
}

/** What a holder tells its subscribers: a model now served, or why the last load failed. */
export type HolderChange =
  | { readonly kind: "model"; readonly model: LoadedModel }
  | { readonly kind: "failed"; readonly reason: string };

/** Keeps the current model; swaps are a single reference assignment, so in-flight requests finish on the model they started with. */
export class ModelHolder {
  #served: ServedModel | undefined;
  #lastError: string | undefined;
  #loadedAt: Date | undefined;
  readonly #subscribers: ((change: HolderChange) => void)[] = [];

  /**
   * Calls `fn` with every later change (serving threads mirror the main thread's models this
   * way); returns a function that stops the calls.
   */
  subscribe(fn: (change: HolderChange) => void): () => void {
    this.#subscribers.push(fn);
    return () => {
      const i = this.#subscribers.indexOf(fn);
      if (i >= 0) this.#subscribers.splice(i, 1);
    };
  }

  /** The model to serve, or undefined. */
  get served(): ServedModel | undefined {
    return this.#served;
  }

  /** A snapshot for health reports. */
  state(): HolderState {
    return { served: this.#served, lastError: this.#lastError, loadedAt: this.#loadedAt };
  }

  /** Serves `model` from now on. */
  set(model: LoadedModel): void {
    this.#served = {
      model,
      index: featureIndex(model.featureNames),
      labelKeys: model.artifact.classes.map(String),
    };
    this.#loadedAt = new Date();
    this.#lastError = undefined;
    for (const fn of this.#subscribers) fn({ kind: "model", model });
  }

  /** Records a failed load; the current model, if any, stays. */
  fail(reason: string): void {
    this.#lastError = reason;
    for (const fn of this.#subscribers) fn({ kind: "failed", reason });
  }

  /** Loads with `load` and serves the result; on failure keeps the current model and records why. */
  async load(load: () => Promise<LoadedModel>): Promise<boolean> {
    try {
      this.set(await load());
      return true;
    } catch (err) {
      this.fail(err instanceof Error ? err.message : String(err));
      return false;
    }
  }
}
