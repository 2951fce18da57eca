// The part of the Azure Functions Node.js worker an app talks to, for a test under Node.js.
//
// The real worker (github.com/Azure/azure-functions-nodejs-worker) answers `require` of
// `@azure/functions-core` with its own API; `@azure/functions` registers the app's functions and
// its programming model through it, and the worker turns each invocation the host sends over
// gRPC into calls of that programming model. This stand-in does the same in process, without the
// host and without gRPC: it loads the app, prints the function metadata the library registered
// (what the worker would send the host), then plays each invocation given on the command line
// through the library's own InvocationModel (getArguments, invokeFunction, getResponse) and
// prints the RPC HTTP response.
//
// Usage: node node_worker_stand_in.mjs APP_ENTRY INVOCATIONS_JSON
//   INVOCATIONS_JSON: [{ "function": name, "http": RpcHttpData }]
// Prints one JSON line: { "functions": [metadata...], "responses": [RpcHttpData...] }.
import Module from "node:module";
import { pathToFileURL } from "node:url";

const [entry, invocationsJson] = process.argv.slice(2);
const registered = [];
let programmingModel;

const coreApi = {
  version: "stand-in",
  hostVersion: "stand-in",
  setProgrammingModel(model) {
    programmingModel = model;
  },
  getProgrammingModel() {
    return programmingModel;
  },
  registerFunction(metadata, callback) {
    registered.push({ metadata, callback });
    return { dispose() {} };
  },
  registerHook() {
    return { dispose() {} };
  },
  log() {},
  Disposable: class {
    constructor(callOnDispose) {
      this.dispose = callOnDispose;
    }
  },
};

const original = Module.prototype.require;
Module.prototype.require = new Proxy(original, {
  apply(target, thisArg, args) {
    return args[0] === "@azure/functions-core" ? coreApi : Reflect.apply(target, thisArg, args);
  },
});

await import(pathToFileURL(entry).href);

const responses = [];
for (const [i, inv] of JSON.parse(invocationsJson).entries()) {
  const fn = registered.find((r) => r.metadata.name === inv.function);
  if (!fn) throw new Error(`no function ${inv.function} was registered`);
  const trigger = Object.entries(fn.metadata.bindings).find(([, b]) => b.direction === "in");
  const coreCtx = {
    invocationId: `invocation-${i}`,
    metadata: fn.metadata,
    request: { inputData: [{ name: trigger[0], data: { http: inv.http } }], triggerMetadata: {} },
    state: undefined,
    log() {},
  };
  const model = programmingModel.getInvocationModel(coreCtx);
  const { context, inputs } = await model.getArguments();
  const result = await model.invokeFunction(context, inputs, fn.callback);
  const response = await model.getResponse(context, result);
  responses.push(response.returnValue.http);
}

const functions = registered.map((r) => r.metadata);
process.stdout.write(
  JSON.stringify({ programmingModel: programmingModel?.name, functions, responses }) + "\n",
);
