/**
 * Entry point for the Azure Functions Node.js worker: loads the model named by FLUXOPS_MODEL and
 * registers the handler's routes with `app.http`. Bundle it with `deno bundle` for Node.js.
 * @module
 */
import process from "node:process";
import { loadModel } from "../lib/model/artifact.ts";
import { latestModelPath, resolveModelPath } from "../lib/model/local_store.ts";
import { ModelHolder } from "./serving/model_holder.ts";
import { registerFunctions } from "./azure_functions.ts";
import { createHandler } from "./handler.ts";

const holder = new ModelHolder();
const path = process.env.FLUXOPS_MODEL;
await holder.load(async () =>
  loadModel(path ? await resolveModelPath(path) : await latestModelPath())
);
registerFunctions(createHandler({ holder }));
