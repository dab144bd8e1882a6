// Types for the "cloudflare:workers" module, for editors and tsc only.
// The runtime provides the module itself; this file is never loaded.
declare module "cloudflare:workers" {
  export abstract class WorkerEntrypoint<Env = unknown> {
    protected env: Env;
    protected ctx: {
      waitUntil(promise: Promise<unknown>): void;
      passThroughOnException(): void;
    };
    fetch?(request: Request): Response | Promise<Response>;
  }
}
