/**
 * The OpenAPI path items of the Open Inference Protocol (KServe V2) routes under `/v2`, one
 * builder per route of the route table (function/routes.ts).
 * @module
 */
import { bodyLimitText } from "./api_paths.ts";
import {
  ANSWERED_HEADERS,
  type OpenApiContext,
  paramRef,
  type PathItems,
  ref,
  type Schema,
  v2Error,
} from "./common.ts";

const WRONG_METHOD = v2Error("Wrong method.");

/** `GET /v2`: server metadata. */
export function v2ServerPaths(): PathItems {
  return {
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
          "405": WRONG_METHOD,
        },
      },
    },
  };
}

/** `GET /v2/health/live` and `GET /v2/health/ready`. */
export function v2HealthPaths(): PathItems {
  return {
    "/v2/health/live": {
      get: {
        operationId: "v2Live",
        summary: "Server liveness",
        responses: {
          "200": {
            description: "Live.",
            content: { "application/json": { schema: ref("V2Live") } },
          },
          "405": WRONG_METHOD,
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
          "405": WRONG_METHOD,
        },
      },
    },
  };
}

/** Model metadata, readiness and inference under `/v2/models/{name}`. */
export function v2ModelPaths(c: OpenApiContext): PathItems {
  return {
    "/v2/models/{name}": {
      parameters: [paramRef("ModelName")],
      get: {
        operationId: "v2ModelMetadata",
        summary: "Model metadata",
        responses: {
          "200": {
            description: "Model metadata.",
            content: { "application/json": { schema: ref("V2ModelMetadata") } },
          },
          "404": v2Error("No such model."),
          "405": WRONG_METHOD,
          "503": v2Error("No model is loaded."),
        },
      },
    },
    "/v2/models/{name}/ready": {
      parameters: [paramRef("ModelName")],
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
          "405": WRONG_METHOD,
        },
      },
    },
    "/v2/models/{name}/infer": {
      parameters: [paramRef("ModelName")],
      post: {
        operationId: "v2Infer",
        summary: "Inference (JSON tensors, or Triton's binary tensor extension)",
        requestBody: {
          required: true,
          content: {
            "application/json": {
              schema: ref("V2InferRequest"),
              ...(c.p ? { examples: inferExamples(c.p) } : {}),
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
          "405": WRONG_METHOD,
          "408": v2Error("The body did not arrive within the body timeout."),
          "413": v2Error("Body or batch over the limit." + bodyLimitText(c)),
          "415": v2Error("Content type is not application/json."),
          "503": v2Error("No model is loaded."),
        },
      },
    },
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
