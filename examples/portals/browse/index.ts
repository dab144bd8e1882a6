// Browse and search over a fixed catalogue, filtered with URLSearchParams.
// The router sends both /api/browse... and /api/search... here.

import { error, healthy, json, methodNotAllowed, notFound } from "../shared/http.ts";

interface Title {
  id: string;
  title: string;
  genre: string;
}

const CATALOGUE: Title[] = [
  { id: "last-lighthouse", title: "The Last Lighthouse", genre: "drama" },
  { id: "orbit-of-ashes", title: "Orbit of Ashes", genre: "sci-fi" },
  { id: "small-town-heist", title: "Small Town Heist", genre: "comedy" },
  { id: "signal-lost", title: "Signal Lost", genre: "sci-fi" },
  { id: "harvest-moon-diner", title: "Harvest Moon Diner", genre: "comedy" },
];

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (request.method !== "GET") return methodNotAllowed(["GET"]);

    switch (url.pathname) {
      case "/health":
        return healthy();
      case "/api/browse":
        return browse(url.searchParams);
      case "/api/browse/genres":
        return json({ genres: [...new Set(CATALOGUE.map((t) => t.genre))].sort() });
      case "/api/search":
        return search(url.searchParams);
      default:
        return notFound(url);
    }
  },
};

/** GET /api/browse?genre=sci-fi  (no genre: everything) */
function browse(params: URLSearchParams): Response {
  const genre = params.get("genre")?.trim().toLowerCase() || null;
  const results = genre === null ? CATALOGUE : CATALOGUE.filter((t) => t.genre === genre);
  return json({ genre, count: results.length, results });
}

/** GET /api/search?q=moon  (case-insensitive match on the title) */
function search(params: URLSearchParams): Response {
  const q = params.get("q")?.trim() ?? "";
  if (q === "") return error(400, "missing query parameter: q");
  const needle = q.toLowerCase();
  const results = CATALOGUE.filter((t) => t.title.toLowerCase().includes(needle));
  return json({ q, count: results.length, results });
}
