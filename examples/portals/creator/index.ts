// Creator portal. Listing pitches is public; creating one needs a bearer
// token, which this worker checks by calling the auth service through its own
// AUTH binding (router → creator → auth).
//
// Nothing is stored: a created pitch is echoed back with an id made from its
// title, so the same request always gets the same answer.

import { error, healthy, json, methodNotAllowed, notFound, readJsonObject } from "../shared/http.ts";
import type { Fetcher } from "../shared/http.ts";

interface Env {
  AUTH: Fetcher;
}

interface Pitch {
  id: string;
  title: string;
  genre: string;
  creator: string;
}

const PITCHES: Pitch[] = [
  { id: "last-lighthouse", title: "The Last Lighthouse", genre: "drama", creator: "maya@example.com" },
  { id: "orbit-of-ashes", title: "Orbit of Ashes", genre: "sci-fi", creator: "tom@example.com" },
  { id: "small-town-heist", title: "Small Town Heist", genre: "comedy", creator: "maya@example.com" },
];

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/health") return healthy();
    if (url.pathname === "/api/creator/pitches") {
      if (request.method === "GET") return json({ pitches: PITCHES });
      if (request.method === "POST") return createPitch(request, env);
      return methodNotAllowed(["GET", "POST"]);
    }
    return notFound(url);
  },
};

async function createPitch(request: Request, env: Env): Promise<Response> {
  const email = await whoIsCalling(request, env);
  if (email === null) return error(401, "unauthorized");

  const body = await readJsonObject(request);
  const title = typeof body?.title === "string" ? body.title.trim() : "";
  if (title === "") return error(400, "title is required");
  const genre = typeof body?.genre === "string" && body.genre !== "" ? body.genre : "unspecified";

  const pitch: Pitch = { id: slugify(title), title, genre, creator: email };
  return json({ pitch }, 201, { location: `/api/creator/pitches/${pitch.id}` });
}

/** Asks the auth service who the bearer token belongs to; null if nobody. */
async function whoIsCalling(request: Request, env: Env): Promise<string | null> {
  const headers = new Headers();
  const authorization = request.headers.get("authorization");
  if (authorization !== null) headers.set("authorization", authorization);
  const requestId = request.headers.get("x-request-id");
  if (requestId !== null) headers.set("x-request-id", requestId);

  // The host is not used for routing: the binding always reaches the auth worker.
  const res = await env.AUTH.fetch(new URL("/api/auth/me", request.url), { headers });
  if (res.status !== 200) return null;
  const who = (await res.json()) as { email?: unknown };
  return typeof who.email === "string" ? who.email : null;
}

function slugify(title: string): string {
  const slug = title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return slug === "" ? "untitled" : slug;
}
