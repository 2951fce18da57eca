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

/** Builds the OpenAPI document. */
export function openApiDocument({ modelName, served }: OpenApiOptions): Schema {
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
              },
            },
          },
          responses: {
            "200": {
              description: "Predictions with class probabilities.",
              headers: REQUEST_ID_HEADER,
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
            content: { "application/json": { schema: ref("V2InferRequest") } },
          },
          responses: {
            "200": {
              description: "Outputs `label` [rows] and `probabilities` [rows, classes].",
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
          schema: { type: "string", examples: [modelName] },
        },
      },
      schemas: {
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
          },
        },
        Unhealthy: {
          type: "object",
          required: ["status", "reason"],
          properties: { status: { const: "unhealthy" }, reason: { type: "string" } },
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
            instances: { type: "array", minItems: 1, items: { oneOf: [row, named] } },
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
                    items: { type: "integer", minimum: 1 },
                    minItems: 2,
                    maxItems: 2,
                    ...(p ? { prefixItems: [{ type: "integer", minimum: 1 }, { const: p }] } : {}),
                  },
                  datatype: { enum: ["FP32", "FP64"] },
                  data: { type: "array" },
                  parameters: { type: "object" },
                },
              },
            },
            outputs: {
              type: "array",
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

function ref2(name: string): Schema {
  return { $ref: `#/components/parameters/${name}` };
}
