// The RPC proxy: callers name a service and a method; the proxy checks both against its
// registry and forwards the call over that service's binding. Values (Dates, Maps, BigInts,
// errors) pass through unchanged in both directions.
import { WorkerEntrypoint } from "cloudflare:workers";

interface Call {
  service: string;
  method: string;
  args?: unknown[];
}

type Service = Record<string, (...args: unknown[]) => Promise<unknown>>;

interface Env {
  USERS: Service;
  BILLING: Service;
}

// Which binding serves each service, and the methods callers may use.
const REGISTRY: Record<string, { binding: keyof Env; methods: string[] }> = {
  users: { binding: "USERS", methods: ["get", "list", "search"] },
  billing: { binding: "BILLING", methods: ["invoice", "plans"] },
};

class UnknownService extends Error {
  name = "UnknownService";
}
class UnknownMethod extends Error {
  name = "UnknownMethod";
}

export default class RpcProxy extends WorkerEntrypoint<Env> {
  getServices(): Record<string, string[]> {
    return Object.fromEntries(Object.entries(REGISTRY).map(([name, entry]) => [name, entry.methods]));
  }

  async call(service: string, method: string, args: unknown[] = []): Promise<unknown> {
    const entry = REGISTRY[service];
    if (!entry) {
      throw new UnknownService(`no service "${service}"; known: ${Object.keys(REGISTRY).join(", ")}`);
    }
    if (!entry.methods.includes(method)) {
      throw new UnknownMethod(`service "${service}" has no method "${method}"; it has: ${entry.methods.join(", ")}`);
    }
    if (!Array.isArray(args)) throw new TypeError("args must be an array");
    return this.env[entry.binding][method](...args);
  }

  // Every call runs concurrently; each result says whether it succeeded.
  async batchCall(calls: Call[]): Promise<unknown[]> {
    if (!Array.isArray(calls)) throw new TypeError("batchCall takes an array of calls");
    const settled = await Promise.allSettled(calls.map((c) => this.call(c.service, c.method, c.args ?? [])));
    return settled.map((s) =>
      s.status === "fulfilled"
        ? { ok: true, value: s.value }
        : { ok: false, error: { name: (s.reason as Error).name, message: (s.reason as Error).message } },
    );
  }
}
