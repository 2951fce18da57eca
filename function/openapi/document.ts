/**
 * The OpenAPI 3.1 description of the prediction function, every route and error included,
 * made specific to the served model (feature count and names, class labels) when one is loaded.
 * Its `paths` come from the route table (function/routes.ts): each route contributes the path
 * items of the operations it serves.
 * @module
 */
import { ROUTES } from "../routes.ts";
import { openApiContext, type OpenApiOptions, type Schema } from "./common.ts";
import { componentSchemas } from "./schemas.ts";

export type { OpenApiOptions } from "./common.ts";

/**
 * Builds the OpenAPI document.
 * @example
 * ```ts
 * import { openApiDocument } from "./document.ts";
 * const doc = openApiDocument({ modelName: "fluxops", served: undefined });
 * console.assert(Object.keys(doc.paths as object).includes("/api/predict"));
 * ```
 */
export function openApiDocument(options: OpenApiOptions): Schema {
  const c = openApiContext(options);
  return {
    openapi: "3.1.0",
    info: {
      title: "FluxOps prediction function",
      version: options.served?.model.artifact.version ?? "no-model",
      description:
        "Random-forest predictions over REST and the Open Inference Protocol (KServe V2). Every response carries x-request-id.",
    },
    paths: Object.assign({}, ...ROUTES.map((r) => r.openapi(c))),
    components: {
      parameters: {
        ModelName: {
          name: "name",
          in: "path",
          required: true,
          description: `The model name; this server serves "${c.modelName}".`,
          schema: { type: "string", enum: [c.modelName] },
        },
      },
      schemas: componentSchemas(c),
    },
  };
}
