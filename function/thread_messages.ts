/**
 * What the main thread and its serving threads say to each other (see serving_threads.ts).
 * Every message is structured-cloneable; byte buffers are transferred.
 * @module
 */
import type { RowBatch } from "../lib/drift/row_relay.ts";
import type { LoadedModel } from "../lib/model/artifact.ts";
import type { HolderChange } from "./serving/model_holder.ts";
import type { ReleaseCounts, RollbackEvent } from "./serving/release.ts";
import type { ReleaseConfig } from "./serving/release_config.ts";

/** What a serving thread needs to serve as the main thread does. */
export interface ThreadSettings {
  /** Which thread this is, 1 and up (the main thread is 0); logged with each request. */
  readonly thread: number;
  readonly port: number;
  readonly hostname: string;
  readonly modelName: string;
  /** Undefined: derived from `maxInstances` and the model (see function/serving/body_limit.ts). */
  readonly maxBodyBytes: number | undefined;
  readonly maxInstances: number;
  readonly bodyTimeoutS: number;
  readonly drainMs: number;
  /** Canary or shadow settings; null when no candidate is served. */
  readonly release: ReleaseConfig | null;
  /** Whether rows are passed on for drift monitoring. */
  readonly drift: boolean;
}

/** A response, as the main thread returns one for a forwarded request. */
export interface ForwardedResponse {
  readonly status: number;
  readonly headers: [string, string][];
  readonly body: Uint8Array<ArrayBuffer>;
}

/** Main thread to serving thread. */
export type ToThread =
  | {
    readonly type: "init";
    readonly settings: ThreadSettings;
    /** The models served when the thread starts, if loaded, and why the last loads failed. */
    readonly production: LoadedModel | undefined;
    readonly candidate: LoadedModel | undefined;
    readonly productionError: string | undefined;
    readonly candidateError: string | undefined;
  }
  | {
    readonly type: "model";
    readonly role: "production" | "candidate";
    readonly change: HolderChange;
  }
  | { readonly type: "rollback"; readonly event: RollbackEvent }
  | { readonly type: "flush"; readonly id: number }
  | { readonly type: "forwarded"; readonly id: number; readonly response: ForwardedResponse }
  | { readonly type: "drain"; readonly signal: string };

/** Serving thread to main thread. */
export type FromThread =
  | { readonly type: "listening" }
  | { readonly type: "failed"; readonly error: string }
  | { readonly type: "log"; readonly bytes: Uint8Array }
  | { readonly type: "rows"; readonly batch: RowBatch }
  | { readonly type: "counts"; readonly counts: ReleaseCounts }
  | { readonly type: "flushed"; readonly id: number }
  | {
    readonly type: "forward";
    readonly id: number;
    readonly method: string;
    readonly url: string;
    readonly headers: [string, string][];
  }
  | { readonly type: "stopped" };
