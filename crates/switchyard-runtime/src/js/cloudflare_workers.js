// The `cloudflare:workers` built-in module. The runtime puts this isolate's `env` and its RPC
// classes on a symbol-keyed global before the worker's modules evaluate.
const internal = globalThis[Symbol.for("switchyard.internal")];

export const env = internal.env;
export const WorkerEntrypoint = internal.WorkerEntrypoint;
export const DurableObject = internal.DurableObject;
export const WorkflowEntrypoint = internal.WorkflowEntrypoint;
export const RpcTarget = internal.RpcTarget;

export function waitUntil(promise) {
  internal.waitUntil(promise);
}

export default { env, WorkerEntrypoint, DurableObject, WorkflowEntrypoint, RpcTarget, waitUntil };
