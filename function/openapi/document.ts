/**
 * The OpenAPI 3.1 description of the prediction function, every route and error included,
 * made specific to the served model (feature count and names, class labels) when one is loaded.
 * @module
 */
import type { ServedModel } from "./model_holder.ts";

/** Options of {@link openApiDocument}. */
export interface OpenApiOptions {
  readonly modelName: string;
  readonly served: ServedModel | undefined;
  /** Most rows in one request (the handler's `maxInstances`); more are answered 413. */
  readonly maxInstances?: number;
}

type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });

function errorResponse(description: string): Schema {
  return { description, content: { "application/json": { schema: ref("Error") } } };
}

function v2Error(description: string): Schema {
  return { description, content: { "application/json": { schema: ref("V2Error") } } };
}

const REQUEST_ID_HEADER = {
  "x-request-id": {
    description: "The request's id: echoed when the client sent a valid one, else generated.",
    schema: { type: "string" },
  },
};

const ANSWERED_HEADERS = {
  ...REQUEST_ID_HEADER,
  "x-fluxops-model-version": {
    description:
      "The model version that answered: production, or the candidate in a canary release.",
    schema: { type: "string" },
  },
};

const count = { type: "integer", minimum: 0 };
const fraction = { type: "number", minimum: 0, maximum: 1 };
const nullable = (schema: Schema): Schema => ({ oneOf: [schema, { type: "null" }] });

/** The `release` section of model-info and the `candidate` of health (release.ts). */
const RELEASE_SCHEMAS: Record<string, Schema> = {
  CandidateHealth: {
    type: "object",
    description: "The candidate model when a release mode (canary or shadow) is on.",
    required: ["mode", "alias", "model_version", "last_load_error", "rolled_back"],
    properties: {
      mode: { enum: ["off", "canary", "shadow"] },
      alias: nullable({ type: "string" }),
      model_version: nullable({ type: "string" }),
      last_load_error: nullable({ type: "string" }),
      rolled_back: { type: "boolean" },
    },
  },
  Release: {
    type: "object",
    description:
      "Canary or shadow release: per-version counts, shadow agreement and automatic rollback.",
    required: [
      "mode",
      "weight",
      "sticky_header",
      "candidate_alias",
      "candidate_version",
      "production_version",
      "versions",
      "shadow",
      "rollback",
      "rolled_back",
      "rolled_back_reason",
      "rolled_back_at",
      "candidate_last_error",
    ],
    properties: {
      mode: { enum: ["off", "canary", "shadow"] },
      weight: { ...fraction, description: "Share of requests the candidate answers (canary)." },
      sticky_header: { type: "string" },
      candidate_alias: nullable({ type: "string" }),
      candidate_version: nullable({ type: "string" }),
      production_version: nullable({ type: "string" }),
      versions: {
        type: "array",
        items: {
          type: "object",
          required: ["version", "role", "requests", "errors"],
          properties: {
            version: { type: "string" },
            role: { enum: ["production", "candidate"] },
            requests: count,
            errors: count,
          },
        },
      },
      shadow: nullable({
        type: "object",
        required: ["compared", "agreed", "agreement_rate", "skipped"],
        properties: {
          compared: { ...count, description: "Rows scored by both models." },
          agreed: { ...count, description: "Rows where both predicted the same label." },
          agreement_rate: nullable(fraction),
          skipped: count,
        },
      }),
      rollback: {
        type: "object",
        required: ["error_rate", "min_requests"],
        properties: { error_rate: fraction, min_requests: count },
      },
      rolled_back: { type: "boolean" },
      rolled_back_reason: nullable({ type: "string" }),
      rolled_back_at: nullable({ type: "string" }),
      candidate_last_error: nullable({ type: "string" }),
    },
  },
};

/** Builds the OpenAPI document. */
export function openApiDocument(
  { modelName, served, maxInstances = 10_000 }: OpenApiOptions,
): Schema {
  const names = served?.model.featureNames;
  const p = names?.length;
  const classes = served?.model.artifact.classes;
  const label: Schema = classes
    ? { enum: [...classes] }
    : { oneOf: [{ type: "string" }, { type: "number" }] };
  const row: Schema = {
    type: "array",
    items: { type: "number" },
    ...(p ? { minItems: p, maxItems: p } : {}),
    description: "Feature values in the model's feature order.",
  };
  const named: Schema = {
    type: "object",
    description: "Feature values by name.",
    ...(names
      ? {
        properties: Object.fromEntries(names.map((n) => [n, { type: "number" }])),
        required: [...names],
        additionalProperties: false,
      }
      : { additionalProperties: { type: "number" } }),
  };
  const probabilities: Schema = {
    type: "object",
    description: "Probability of each class, keyed by label.",
    additionalProperties: { type: "number", minimum: 0, maximum: 1 },
  };
  const common4xx = {
    "400": errorResponse("Invalid input: bad JSON, shape, feature count, or value."),
    "404": errorResponse("Unknown route."),
    "405": errorResponse("Wrong method; see the Allow header."),
  };
  return {
    openapi: "3.1.0",
    info: {
      title: "FluxOps prediction function",
      version: served?.model.artifact.version ?? "no-model",
      description:
        "Random-forest predictions over REST and the Open Inference Protocol (KServe V2). Every response carries x-request-id.",
    },
    paths: {
      "/api/health": {
        get: {
          operationId: "health",
          summary: "Liveness and the loaded model",
          responses: {
            "200": {
              description: "A valid model is loaded.",
              headers: REQUEST_ID_HEADER,
              content: { "application/json": { schema: ref("Healthy") } },
            },
            "503": {
              description: "No valid model is loaded.",
              headers: REQUEST_ID_HEADER,
              content: { "application/json": { schema: ref("Unhealthy") } },
            },
            "405": common4xx["405"],
          },
        },
      },
      "/api/predict": {
        post: {
          operationId: "predict",
          summary: "Predict one row or a batch",
          requestBody: {
            required: true,
            content: {
              "application/json": {
                schema: { oneOf: [ref("PredictOne"), ref("PredictBatch")] },
                ...(names ? { examples: predictExamples(names) } : {}),
              },
            },
          },
          responses: {
            "200": {
              description: "Predictions with class probabilities.",
              headers: ANSWERED_HEADERS,
              content: {
                "application/json": {
                  schema: { oneOf: [ref("PredictionOne"), ref("PredictionBatch")] },
                },
              },
            },
            ...common4xx,
            "408": errorResponse("The body did not arrive within the body timeout."),
            "413": errorResponse("Body over the size limit, or more rows than the instance limit."),
            "415": errorResponse("Content type is not application/json."),
            "503": errorResponse("No model is loaded."),
          },
        },
      },
      "/api/model-info": {
        get: {
          operationId: "modelInfo",
          summary: "The loaded model's metadata",
          responses: {
            "200": {
              description: "Model metadata.",
              headers: REQUEST_ID_HEADER,
              content: { "application/json": { schema: ref("ModelInfo") } },
            },
            "405": common4xx["405"],
            "503": errorResponse("No model is loaded."),
          },
        },
      },
      "/api/drift": {
        get: {
          operationId: "drift",
          summary: "Input drift of the recent rows against the training data",
          description:
            "PSI of each feature over the last rows the served model was asked about (a rolling " +
            "window), binned on the training deciles; status ok below 0.1, warn below 0.25, " +
            "alert from 0.25. overall_psi is the mean over features. Before the window holds " +
            "min_rows rows (ready false) the figures are noisy. A new model starts a new window.",
          responses: {
            "200": {
              description: "Drift figures of the current window.",
              headers: REQUEST_ID_HEADER,
              content: { "application/json": { schema: ref("Drift") } },
            },
            "405": common4xx["405"],
            "503": errorResponse(
              "No model is loaded, it has no training histograms, or monitoring is off.",
            ),
          },
        },
      },
      "/api/openapi.json": {
        get: {
          operationId: "openapi",
          summary: "This document",
          responses: {
            "200": {
              description: "The OpenAPI document.",
              content: { "application/json": { schema: { type: "object" } } },
            },
            "405": common4xx["405"],
          },
        },
      },
      "/v2": {
        get: {
          operationId: "v2ServerMetadata",
          summary: "Server metadata (Open Inference Protocol)",
          responses: {
            "200": {
              description: "Server metadata.",
              content: {
                "application/json": {
                  schema: {
                    type: "object",
                    required: ["name", "version", "extensions"],
                    properties: {
                      name: { type: "string" },
                      version: { type: "string" },
                      extensions: { type: "array", items: { type: "string" } },
                    },
                  },
                },
              },
            },
            "405": v2Error("Wrong method."),
          },
        },
      },
      "/v2/health/live": {
        get: {
          operationId: "v2Live",
          summary: "Server liveness",
          responses: {
            "200": {
              description: "Live.",
              content: { "application/json": { schema: ref("V2Live") } },
            },
            "405": v2Error("Wrong method."),
          },
        },
      },
      "/v2/health/ready": {
        get: {
          operationId: "v2Ready",
          summary: "Server readiness",
          responses: {
            "200": {
              description: "Ready.",
              content: { "application/json": { schema: ref("V2Ready") } },
            },
            "503": {
              description: "Not ready: no model.",
              content: { "application/json": { schema: ref("V2Ready") } },
            },
            "405": v2Error("Wrong method."),
          },
        },
      },
      "/v2/models/{name}": {
        parameters: [ref2("ModelName")],
        get: {
          operationId: "v2ModelMetadata",
          summary: "Model metadata",
          responses: {
            "200": {
              description: "Model metadata.",
              content: { "application/json": { schema: ref("V2ModelMetadata") } },
            },
            "404": v2Error("No such model."),
            "405": v2Error("Wrong method."),
            "503": v2Error("No model is loaded."),
          },
        },
      },
      "/v2/models/{name}/ready": {
        parameters: [ref2("ModelName")],
        get: {
          operationId: "v2ModelReady",
          summary: "Model readiness",
          responses: {
            "200": {
              description: "Ready.",
              content: { "application/json": { schema: ref("V2ModelReady") } },
            },
            "503": {
              description: "Not ready.",
              content: { "application/json": { schema: ref("V2ModelReady") } },
            },
            "404": v2Error("No such model."),
            "405": v2Error("Wrong method."),
          },
        },
      },
      "/v2/models/{name}/infer": {
        parameters: [ref2("ModelName")],
        post: {
          operationId: "v2Infer",
          summary: "Inference (JSON tensors, or Triton's binary tensor extension)",
          requestBody: {
            required: true,
            content: {
              "application/json": {
                schema: ref("V2InferRequest"),
                ...(p ? { examples: inferExamples(p) } : {}),
              },
            },
          },
          responses: {
            "200": {
              description: "Outputs `label` [rows] and `probabilities` [rows, classes].",
              headers: ANSWERED_HEADERS,
              content: { "application/json": { schema: ref("V2InferResponse") } },
            },
            "400": v2Error("Invalid request."),
            "404": v2Error("No such model."),
            "405": v2Error("Wrong method."),
            "408": v2Error("The body did not arrive within the body timeout."),
            "413": v2Error("Body or batch over the limit."),
            "415": v2Error("Content type is not application/json."),
            "503": v2Error("No model is loaded."),
          },
        },
      },
    },
    components: {
      parameters: {
        ModelName: {
          name: "name",
          in: "path",
          required: true,
          description: `The model name; this server serves "${modelName}".`,
          schema: { type: "string", enum: [modelName] },
        },
      },
      schemas: {
        ...RELEASE_SCHEMAS,
        Error: {
          type: "object",
          required: ["error"],
          properties: {
            error: {
              type: "object",
              required: ["code", "message"],
              properties: {
                code: {
                  type: "string",
                  examples: ["invalid_input", "payload_too_large", "unavailable"],
                },
                message: {
                  type: "string",
                  examples: ['instances[3][7]: expected a finite number, got "abc"'],
                },
              },
            },
          },
        },
        V2Error: {
          type: "object",
          required: ["error"],
          properties: { error: { type: "string" } },
        },
        Healthy: {
          type: "object",
          required: ["status", "model_version", "uptime_s"],
          properties: {
            status: { const: "healthy" },
            model_version: { type: "string" },
            uptime_s: { type: "number" },
            candidate: ref("CandidateHealth"),
          },
        },
        Unhealthy: {
          type: "object",
          required: ["status", "reason"],
          properties: {
            status: { const: "unhealthy" },
            reason: { type: "string" },
            candidate: ref("CandidateHealth"),
          },
        },
        PredictOne: {
          type: "object",
          required: ["features"],
          properties: { features: { oneOf: [row, named] } },
          additionalProperties: false,
        },
        PredictBatch: {
          type: "object",
          required: ["instances"],
          properties: {
            instances: {
              type: "array",
              minItems: 1,
              maxItems: maxInstances,
              items: { oneOf: [row, named] },
            },
          },
          additionalProperties: false,
        },
        PredictionOne: {
          type: "object",
          required: ["model_version", "prediction", "probabilities"],
          properties: { model_version: { type: "string" }, prediction: label, probabilities },
        },
        PredictionBatch: {
          type: "object",
          required: ["model_version", "classes", "predictions", "probabilities"],
          properties: {
            model_version: { type: "string" },
            classes: { type: "array", items: label },
            predictions: { type: "array", items: label },
            probabilities: {
              type: "array",
              items: { type: "array", items: { type: "number", minimum: 0, maximum: 1 } },
            },
          },
        },
        ModelInfo: {
          type: "object",
          required: [
            "version",
            "created_at",
            "target",
            "classes",
            "features",
            "params",
            "metrics",
            "engine",
            "sha256",
          ],
          properties: {
            version: { type: "string" },
            created_at: { type: "string" },
            target: { type: "string" },
            classes: { type: "array", items: label },
            features: {
              type: "array",
              items: {
                type: "object",
                required: ["name", "min", "max"],
                properties: {
                  name: { type: "string" },
                  min: { type: "number" },
                  max: { type: "number" },
                  mean: { type: "number" },
                  std: { type: "number" },
                },
              },
            },
            params: { type: "object" },
            metrics: { type: "object" },
            engine: { type: "object" },
            sha256: { type: "string" },
            release: ref("Release"),
          },
        },
        DriftStatus: { enum: ["ok", "warn", "alert"] },
        Drift: {
          type: "object",
          required: [
            "window",
            "overall_psi",
            "status",
            "features",
            "model_version",
            "capacity",
            "min_rows",
            "ready",
            "rows_seen",
            "share_drifted",
            "dataset_drift",
            "settings",
            "prediction",
            "quality",
          ],
          properties: {
            window: { type: "integer", minimum: 0, description: "Rows in the window." },
            overall_psi: { type: "number", minimum: 0 },
            status: { ...ref("DriftStatus"), description: "The most severe feature status." },
            share_drifted: { type: "number", minimum: 0, maximum: 1 },
            dataset_drift: {
              type: "boolean",
              description: "At least settings.share of the features drifted.",
            },
            settings: {
              type: "object",
              required: ["alpha", "correction", "share"],
              properties: {
                alpha: { type: "number" },
                correction: { enum: ["bonferroni", "fdr"] },
                share: { type: "number" },
              },
            },
            prediction: {
              type: "object",
              required: ["available"],
              description: "Predicted classes against the training class frequencies, or why " +
                "not (reason).",
              properties: {
                available: { type: "boolean" },
                reason: { type: "string" },
                rows: { type: "integer", minimum: 0 },
                training: { type: "object", additionalProperties: { type: "number" } },
                recent: { type: "object", additionalProperties: { type: "number" } },
                chi2_p_value: { type: "number", minimum: 0, maximum: 1 },
                js_distance: { type: "number", minimum: 0, maximum: 1 },
                drifted: { type: "boolean" },
              },
            },
            quality: {
              type: "object",
              required: ["features", "refused"],
              properties: {
                features: {
                  type: "object",
                  description: "Per feature: values of the window outside the training range.",
                },
                refused: {
                  type: "object",
                  description:
                    "Rows refused as invalid input since the model was loaded (every row of a " +
                    "refused batch; 1 for a body whose rows could not be counted), " +
                    "per cause.",
                  additionalProperties: { type: "integer", minimum: 0 },
                },
              },
            },
            features: {
              type: "object",
              description: "PSI and status of each feature, by name.",
              ...(names
                ? {
                  properties: Object.fromEntries(names.map((n) => [n, ref("FeatureDrift")])),
                  required: [...names],
                  additionalProperties: false,
                }
                : { additionalProperties: ref("FeatureDrift") }),
            },
            model_version: { type: "string" },
            capacity: { type: "integer", minimum: 1, description: "Most rows the window holds." },
            min_rows: { type: "integer", minimum: 1 },
            ready: { type: "boolean" },
            rows_seen: { type: "integer", minimum: 0 },
          },
        },
        FeatureDrift: {
          type: "object",
          required: [
            "psi",
            "js_distance",
            "chi2_p_value",
            "p_value",
            "test",
            "drifted",
            "status",
          ],
          properties: {
            psi: { type: "number", minimum: 0 },
            js_distance: { type: "number", minimum: 0, maximum: 1 },
            chi2_p_value: { type: "number", minimum: 0, maximum: 1 },
            p_value: { type: "number", minimum: 0, maximum: 1 },
            test: { enum: ["chi2", "ks"] },
            drifted: {
              type: "boolean",
              description: "p_value under settings.alpha / features (Bonferroni).",
            },
            status: ref("DriftStatus"),
          },
        },
        V2Live: { type: "object", required: ["live"], properties: { live: { type: "boolean" } } },
        V2Ready: {
          type: "object",
          required: ["ready"],
          properties: { ready: { type: "boolean" } },
        },
        V2ModelReady: {
          type: "object",
          required: ["name", "ready"],
          properties: { name: { type: "string" }, ready: { type: "boolean" } },
        },
        V2Tensor: {
          type: "object",
          required: ["name", "shape", "datatype"],
          properties: {
            name: { type: "string" },
            shape: { type: "array", items: { type: "integer" } },
            datatype: { type: "string" },
            data: { type: "array" },
            parameters: { type: "object" },
          },
        },
        V2InferRequest: {
          type: "object",
          required: ["inputs"],
          properties: {
            id: { type: "string" },
            inputs: {
              type: "array",
              minItems: 1,
              maxItems: 1,
              items: {
                type: "object",
                required: ["name", "shape", "datatype", "data"],
                properties: {
                  name: { type: "string" },
                  shape: {
                    type: "array",
                    description: "[rows, features], or [features] for a single row.",
                    items: { type: "integer", minimum: 1 },
                    anyOf: [
                      {
                        minItems: 2,
                        maxItems: 2,
                        prefixItems: [{ maximum: maxInstances }, ...(p ? [{ const: p }] : [])],
                      },
                      { minItems: 1, maxItems: 1, ...(p ? { prefixItems: [{ const: p }] } : {}) },
                    ],
                  },
                  datatype: { enum: ["FP32", "FP64"] },
                  data: {
                    type: "array",
                    description: "The values, row-major: flat, or nested by rows.",
                    items: {
                      anyOf: [{ type: "number" }, { type: "array", items: { type: "number" } }],
                    },
                  },
                  parameters: { type: "object" },
                },
              },
            },
            outputs: {
              type: "array",
              minItems: 1,
              items: {
                type: "object",
                required: ["name"],
                properties: {
                  name: { enum: ["label", "probabilities"] },
                  parameters: { type: "object" },
                },
              },
            },
            parameters: { type: "object" },
          },
        },
        V2InferResponse: {
          type: "object",
          required: ["model_name", "outputs"],
          properties: {
            model_name: { type: "string" },
            model_version: { type: "string" },
            id: { type: "string" },
            outputs: { type: "array", items: ref("V2Tensor") },
          },
        },
        V2ModelMetadata: {
          type: "object",
          required: ["name", "platform", "inputs", "outputs"],
          properties: {
            name: { type: "string" },
            versions: { type: "array", items: { type: "string" } },
            platform: { type: "string" },
            inputs: { type: "array", items: ref("V2Tensor") },
            outputs: { type: "array", items: ref("V2Tensor") },
          },
        },
      },
    },
  };
}

/** Example request bodies of `/api/predict` for a model with features `names`. */
function predictExamples(names: readonly string[]): Schema {
  const row = names.map((_, j) => (j % 5) - 2);
  return {
    one: { summary: "One row, in feature order", value: { features: row } },
    named: {
      summary: "One row, by feature name",
      value: { features: Object.fromEntries(names.map((n, j) => [n, row[j]])) },
    },
    batch: { summary: "A batch", value: { instances: [row, row.map((v) => -v)] } },
  };
}

/** An example V2 infer request for a model with `p` features. */
function inferExamples(p: number): Schema {
  const data = Array.from({ length: 2 * p }, (_, i) => (i % 5) - 2);
  return {
    batch: {
      summary: "Two rows as FP64",
      value: { inputs: [{ name: "input", datatype: "FP64", shape: [2, p], data }] },
    },
  };
}

function ref2(name: string): Schema {
  return { $ref: `#/components/parameters/${name}` };
}
