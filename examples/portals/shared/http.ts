// Small helpers shared by every portals worker. Each worker imports this file
// with a relative path ("../shared/http.ts"); there is no bundler and no npm.
//
// Only erasable TypeScript is used here (types, interfaces, annotations), so
// the file runs once its types are stripped.

/** Any value that survives JSON.stringify / JSON.parse unchanged. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };

/** Shape of every error body in the example: `{ "error": "...", ...details }`. */
export interface ErrorBody {
  error: string;
  [detail: string]: JsonValue;
}

/** What a service binding looks like from JavaScript (only fetch for now). */
export interface Fetcher {
  fetch(input: Request | URL | string, init?: RequestInit): Promise<Response>;
}

/** The third argument of a module worker's fetch handler. */
export interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
  passThroughOnException(): void;
}

export function json(body: unknown, status = 200, headers?: HeadersInit): Response {
  return Response.json(body, { status, headers });
}

export function error(
  status: number,
  message: string,
  details: Record<string, JsonValue> = {},
  headers?: HeadersInit,
): Response {
  const body: ErrorBody = { error: message, ...details };
  return json(body, status, headers);
}

export function notFound(url: URL): Response {
  return error(404, "not found", { path: url.pathname });
}

export function methodNotAllowed(allowed: string[]): Response {
  return error(405, "method not allowed", { allowed }, { allow: allowed.join(", ") });
}

/** Every service answers `GET /health` with this. */
export function healthy(): Response {
  return json({ status: "ok" });
}

/** Parses a JSON object body; returns null for anything else. */
export async function readJsonObject(request: Request): Promise<Record<string, unknown> | null> {
  try {
    const value: unknown = await request.json();
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      return value as Record<string, unknown>;
    }
  } catch {
    // Not JSON: fall through.
  }
  return null;
}

/** The token from `Authorization: Bearer <token>`, or null. */
export function bearerToken(request: Request): string | null {
  const header = request.headers.get("authorization");
  const match = header?.match(/^Bearer\s+(\S+)$/i);
  return match ? match[1] : null;
}
