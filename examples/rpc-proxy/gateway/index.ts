// HTTP in, RPC out: every route is one call on the proxy's WorkerEntrypoint.
interface Call {
  service: string;
  method: string;
  args?: unknown[];
}

interface Proxy {
  getServices(): Promise<Record<string, string[]>>;
  call(service: string, method: string, args: unknown[]): Promise<unknown>;
  batchCall(calls: Call[]): Promise<unknown[]>;
}

interface Env {
  PROXY: Proxy;
}

const STATUS: Record<string, number> = {
  NotFound: 404,
  UnknownService: 404,
  UnknownMethod: 404,
  TypeError: 400,
  RangeError: 400,
};

function failure(error: unknown): Response {
  const e = error as Error;
  const status = STATUS[e?.name] ?? 500;
  return Response.json({ error: { name: e?.name ?? "Error", message: e?.message ?? String(error) } }, { status });
}

// BigInt and Date do not survive JSON.stringify as they are; say what they were.
function toJson(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (_key, v) => (typeof v === "bigint" ? `${v}n` : v instanceof Map ? Object.fromEntries(v) : v)),
  );
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    try {
      if (request.method === "GET" && url.pathname === "/services") {
        return Response.json(await env.PROXY.getServices());
      }
      if (request.method === "POST" && url.pathname === "/call") {
        const { service, method, args = [] } = (await request.json()) as Call;
        return Response.json({ result: toJson(await env.PROXY.call(service, method, args)) });
      }
      if (request.method === "POST" && url.pathname === "/batch") {
        const calls = (await request.json()) as Call[];
        return Response.json({ results: toJson(await env.PROXY.batchCall(calls)) });
      }
      const user = url.pathname.match(/^\/users\/([\w-]+)$/);
      if (request.method === "GET" && user) {
        return Response.json(toJson(await env.PROXY.call("users", "get", [user[1]])));
      }
      return Response.json({ error: { name: "NotFound", message: `no route for ${request.method} ${url.pathname}` } }, { status: 404 });
    } catch (error) {
      return failure(error);
    }
  },
};
