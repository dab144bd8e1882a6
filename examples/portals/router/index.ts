// The entry worker. It is the only worker served on ip:port; the five portal
// services behind it are reachable only through the service bindings below.
//
// What it does:
// - routes /api/<portal>/... to the matching service binding,
// - answers CORS preflight (OPTIONS) itself and adds CORS headers everywhere,
// - tags each request with an x-request-id and echoes it in the response,
// - fans GET /health out to every service at once,
// - logs one line per request from ctx.waitUntil, after the response is sent.

import { error, json, methodNotAllowed, notFound } from "../shared/http.ts";
import type { ExecutionContext, Fetcher } from "../shared/http.ts";

interface Env {
  AUTH: Fetcher;
  CREATOR: Fetcher;
  INVESTOR: Fetcher;
  PRODUCTION: Fetcher;
  BROWSE: Fetcher;
}

type BindingName = keyof Env;

/** Path prefix → binding. A prefix matches itself and anything below it. */
const ROUTES: ReadonlyArray<readonly [prefix: string, binding: BindingName]> = [
  ["/api/auth", "AUTH"],
  ["/api/creator", "CREATOR"],
  ["/api/investor", "INVESTOR"],
  ["/api/production", "PRODUCTION"],
  ["/api/browse", "BROWSE"],
  ["/api/search", "BROWSE"],
];

/** Services checked by GET /health, in the order they appear in the answer. */
const HEALTH_CHECKS: ReadonlyArray<readonly [service: string, binding: BindingName]> = [
  ["auth", "AUTH"],
  ["creator", "CREATOR"],
  ["investor", "INVESTOR"],
  ["production", "PRODUCTION"],
  ["browse", "BROWSE"],
];

const CORS_PREFLIGHT_HEADERS: Record<string, string> = {
  "access-control-allow-methods": "GET, POST, OPTIONS",
  "access-control-allow-headers": "authorization, content-type",
  "access-control-max-age": "86400",
};

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const startedAt = Date.now();
    const requestId = crypto.randomUUID();
    const url = new URL(request.url);

    let response: Response;
    if (request.method === "OPTIONS") {
      response = new Response(null, { status: 204, headers: CORS_PREFLIGHT_HEADERS });
    } else if (url.pathname === "/health") {
      response = request.method === "GET" ? await checkHealth(env, url, requestId) : methodNotAllowed(["GET"]);
    } else {
      const binding = routeFor(url.pathname);
      response = binding ? await forward(env[binding], binding, request, requestId) : notFound(url);
    }

    const finished = decorate(response, requestId);

    // Runs after the response has been handed back; the runtime keeps the
    // request alive until this promise settles.
    ctx.waitUntil(
      logLater(`${request.method} ${url.pathname} -> ${finished.status} (${Date.now() - startedAt} ms) id=${requestId}`),
    );
    return finished;
  },
};

function routeFor(pathname: string): BindingName | null {
  for (const [prefix, binding] of ROUTES) {
    if (pathname === prefix || pathname.startsWith(prefix + "/")) return binding;
  }
  return null;
}

/** Sends the request on with an extra x-request-id header. */
async function forward(service: Fetcher, name: BindingName, request: Request, requestId: string): Promise<Response> {
  const headers = new Headers(request.headers);
  headers.set("x-request-id", requestId);
  try {
    // Same method, URL and body as the original; only the headers change.
    return await service.fetch(new Request(request, { headers }));
  } catch (err) {
    console.error(`[router] ${name} failed: ${String(err)} id=${requestId}`);
    return error(502, "service failed", { service: name.toLowerCase() });
  }
}

/** GET /health: ask every service for its /health at the same time. */
async function checkHealth(env: Env, url: URL, requestId: string): Promise<Response> {
  const probes = HEALTH_CHECKS.map(async ([service, binding]) => {
    const state = await probe(env[binding], new URL("/health", url), requestId);
    return [service, state] as const;
  });
  const results = await Promise.all(probes);

  const services: Record<string, string> = {};
  for (const [service, state] of results) services[service] = state;
  const allOk = results.every(([, state]) => state === "ok");
  return json({ status: allOk ? "ok" : "degraded", services }, allOk ? 200 : 503);
}

async function probe(service: Fetcher, healthUrl: URL, requestId: string): Promise<string> {
  try {
    const res = await service.fetch(healthUrl, { headers: { "x-request-id": requestId } });
    if (!res.ok) return `error (HTTP ${res.status})`;
    const body = (await res.json()) as { status?: unknown };
    return body.status === "ok" ? "ok" : "error";
  } catch {
    return "unreachable";
  }
}

/**
 * Adds CORS and x-request-id headers. On Cloudflare a Response that came back
 * from fetch() has immutable headers, so we wrap it in a new Response: the
 * body is handed over as it is, without being read or copied.
 */
function decorate(response: Response, requestId: string): Response {
  const decorated = new Response(response.body, response);
  decorated.headers.set("access-control-allow-origin", "*");
  decorated.headers.set("access-control-expose-headers", "x-request-id");
  decorated.headers.set("x-request-id", requestId);
  return decorated;
}

async function logLater(line: string): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 5));
  console.log(`[router] ${line}`);
}
