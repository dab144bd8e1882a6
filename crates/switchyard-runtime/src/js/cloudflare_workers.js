// The `cloudflare:workers` built-in module. The runtime puts this isolate's `env` on a symbol-keyed
// global before the worker's modules evaluate.
const internal = globalThis[Symbol.for("switchyard.internal")];

export const env = internal.env;

export class WorkerEntrypoint {
  constructor(ctx, env) {
    this.ctx = ctx;
    this.env = env;
  }
}

export class DurableObject {
  constructor(ctx, env) {
    this.ctx = ctx;
    this.env = env;
  }
}

export class WorkflowEntrypoint {
  constructor(ctx, env) {
    this.ctx = ctx;
    this.env = env;
  }
}

export class RpcTarget {}

export function waitUntil(promise) {
  internal.waitUntil(promise);
}

export default { env, WorkerEntrypoint, DurableObject, WorkflowEntrypoint, RpcTarget, waitUntil };
