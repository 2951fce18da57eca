/**
 * The component schemas of the OpenAPI document: the bodies of every route, made specific to
 * the served model (feature count and names, class labels) when one is loaded.
 * @module
 */
import { type OpenApiContext, ref, type Schema } from "./common.ts";

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

/** Every schema of `components.schemas`. */
export function componentSchemas(c: OpenApiContext): Record<string, Schema> {
  const { names, p, classes, maxInstances } = c;
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
  return {
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
  };
}
