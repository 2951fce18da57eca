/**
 * The OpenAPI path items of the REST routes under `/api`, one builder per route of the route
 * table (function/routes.ts).
 * @module
 */
import {
  ANSWERED_HEADERS,
  errorResponse,
  type OpenApiContext,
  type PathItems,
  ref,
  REQUEST_ID_HEADER,
  type Schema,
  WRONG_METHOD,
} from "./common.ts";

/** `GET /api/health`. */
export function healthPaths(): PathItems {
  return {
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
          "405": WRONG_METHOD,
        },
      },
    },
  };
}

/** How the size limit of a request body reads in a 413's description (function/serving/body_limit.ts). */
export function bodyLimitText(c: OpenApiContext): string {
  if (c.maxBodyBytes === undefined) return "";
  return ` The body limit for this model is ${c.maxBodyBytes} bytes: room for ${c.maxInstances} ` +
    "rows written by feature name, every value in at most 25 characters (the longest " +
    "shortest round-trip form of a double), without whitespace, plus 64 KiB.";
}

/** `POST /api/predict`. */
export function predictPaths(c: OpenApiContext): PathItems {
  return {
    "/api/predict": {
      post: {
        operationId: "predict",
        summary: "Predict one row or a batch",
        requestBody: {
          required: true,
          content: {
            "application/json": {
              schema: { oneOf: [ref("PredictOne"), ref("PredictBatch")] },
              ...(c.names ? { examples: predictExamples(c.names) } : {}),
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
          "400": errorResponse("Invalid input: bad JSON, shape, feature count, or value."),
          "404": errorResponse("Unknown route."),
          "405": WRONG_METHOD,
          "408": errorResponse("The body did not arrive within the body timeout."),
          "413": errorResponse(
            "Body over the size limit, or more rows than the instance limit." + bodyLimitText(c),
          ),
          "415": errorResponse("Content type is not application/json."),
          "503": errorResponse("No model is loaded."),
        },
      },
    },
  };
}

/** `GET /api/model-info`. */
export function modelInfoPaths(): PathItems {
  return {
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
          "405": WRONG_METHOD,
          "503": errorResponse("No model is loaded."),
        },
      },
    },
  };
}

/** `GET /api/drift`. */
export function driftPaths(): PathItems {
  return {
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
          "405": WRONG_METHOD,
          "503": errorResponse(
            "No model is loaded, it has no training histograms, or monitoring is off.",
          ),
        },
      },
    },
  };
}

/** `GET /api/openapi.json`. */
export function openApiPaths(): PathItems {
  return {
    "/api/openapi.json": {
      get: {
        operationId: "openapi",
        summary: "This document",
        responses: {
          "200": {
            description: "The OpenAPI document.",
            content: { "application/json": { schema: { type: "object" } } },
          },
          "405": WRONG_METHOD,
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
