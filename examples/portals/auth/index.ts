// Auth service, written as a class-based entrypoint: the runtime creates the
// class per request and fills in this.env and this.ctx.
//
// Tokens are a demo only: the token is the base64url of the email, so it is
// deterministic and easy to test. Do not copy this scheme into anything real.

import { WorkerEntrypoint } from "cloudflare:workers";
import { bearerToken, error, healthy, json, methodNotAllowed, notFound, readJsonObject } from "../shared/http.ts";

interface Env {
  /** Set in wrangler.jsonc under "vars". */
  DEMO_PASSWORD: string;
}

const EMAIL = /^[^@\s]+@[^@\s]+$/;

export default class AuthWorker extends WorkerEntrypoint<Env> {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    switch (url.pathname) {
      case "/health":
        return healthy();
      case "/api/auth/login":
        return request.method === "POST" ? login(request, this.env) : methodNotAllowed(["POST"]);
      case "/api/auth/me":
        return request.method === "GET" ? me(request) : methodNotAllowed(["GET"]);
      default:
        return notFound(url);
    }
  }
}

/** POST /api/auth/login  { "email": "...", "password": "..." }  →  { "token": "..." } */
async function login(request: Request, env: Env): Promise<Response> {
  const body = await readJsonObject(request);
  const email = body?.email;
  const password = body?.password;
  if (typeof email !== "string" || !EMAIL.test(email) || typeof password !== "string") {
    return error(400, "email and password are required");
  }
  if (password !== env.DEMO_PASSWORD) {
    return unauthorized("invalid credentials");
  }
  return json({ token: toBase64Url(email) });
}

/** GET /api/auth/me  with  Authorization: Bearer <token>  →  { "email": "..." } */
function me(request: Request): Response {
  const token = bearerToken(request);
  if (token === null) return unauthorized("missing bearer token");
  const email = fromBase64Url(token);
  if (email === null || !EMAIL.test(email)) return unauthorized("invalid token");
  return json({ email });
}

function unauthorized(message: string): Response {
  return error(401, message, {}, { "www-authenticate": 'Bearer realm="portals"' });
}

// btoa/atob work on "binary strings" (one char per byte), so go through UTF-8 bytes.
function toBase64Url(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(token: string): string | null {
  if (!/^[A-Za-z0-9_-]+$/.test(token)) return null;
  const base64 = token.replace(/-/g, "+").replace(/_/g, "/");
  const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
  try {
    const binary = atob(padded);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return new TextDecoder().decode(bytes);
  } catch {
    return null;
  }
}
