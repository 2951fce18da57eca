/**
 * What every piece of the OpenAPI document shares: the schema helpers, the common headers and
 * the facts of the served model the pieces are made specific to.
 * @module
 */
import type { ServedModel } from "../serving/model_holder.ts";

/** A JSON Schema or OpenAPI object, as plain JSON. */
export type Schema = Record<string, unknown>;

/** The path items one route contributes to `paths`, by path. */
export type PathItems = Record<string, Schema>;

/** Options of the OpenAPI document. */
export interface OpenApiOptions {
  readonly modelName: string;
  readonly served: ServedModel | undefined;
  /** Most rows in one request (the handler's `maxInstances`); more are answered 413. */
  readonly maxInstances?: number;
  /** Largest request body the handler accepts for the served model, in bytes; stated if given. */
  readonly maxBodyBytes?: number | undefined;
}

/** The facts every piece of the document is built from. */
export interface OpenApiContext {
  readonly modelName: string;
  readonly maxInstances: number;
  readonly maxBodyBytes: number | undefined;
  /** The served model's feature names, when a model is loaded. */
  readonly names: readonly string[] | undefined;
  /** The served model's feature count, when a model is loaded. */
  readonly p: number | undefined;
  /** The served model's class labels, when a model is loaded. */
  readonly classes: readonly (string | number)[] | undefined;
}

/** Gathers the facts of the document from its options. */
export function openApiContext(
  { modelName, served, maxInstances = 10_000, maxBodyBytes }: OpenApiOptions,
): OpenApiContext {
  const names = served?.model.featureNames;
  return {
    modelName,
    maxInstances,
    maxBodyBytes,
    names,
    p: names?.length,
    classes: served?.model.artifact.classes,
  };
}

/** A reference to a component schema. */
export const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });

/** A reference to a component parameter. */
export const paramRef = (name: string): Schema => ({ $ref: `#/components/parameters/${name}` });

/** A REST error response. */
export function errorResponse(description: string): Schema {
  return { description, content: { "application/json": { schema: ref("Error") } } };
}

/** An Open Inference Protocol error response. */
export function v2Error(description: string): Schema {
  return { description, content: { "application/json": { schema: ref("V2Error") } } };
}

/** The header every response carries. */
export const REQUEST_ID_HEADER = {
  "x-request-id": {
    description: "The request's id: echoed when the client sent a valid one, else generated.",
    schema: { type: "string" },
  },
};

/** The headers of a scored request. */
export const ANSWERED_HEADERS = {
  ...REQUEST_ID_HEADER,
  "x-fluxops-model-version": {
    description:
      "The model version that answered: production, or the candidate in a canary release.",
    schema: { type: "string" },
  },
};

/** The 405 of the REST routes. */
export const WRONG_METHOD = errorResponse("Wrong method; see the Allow header.");
