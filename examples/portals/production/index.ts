// Production-company portal: a fixed list of projects and a lookup by id.

import { error, healthy, json, methodNotAllowed, notFound } from "../shared/http.ts";

type Stage = "development" | "pre-production" | "shooting" | "post-production";

interface Project {
  id: string;
  title: string;
  stage: Stage;
  budget: number;
}

const PROJECTS: Project[] = [
  { id: "last-lighthouse", title: "The Last Lighthouse", stage: "pre-production", budget: 1200000 },
  { id: "orbit-of-ashes", title: "Orbit of Ashes", stage: "development", budget: 4500000 },
];

const PROJECT_PATH = /^\/api\/production\/projects\/([^/]+)$/;

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (request.method !== "GET") return methodNotAllowed(["GET"]);

    if (url.pathname === "/health") return healthy();
    if (url.pathname === "/api/production/projects") return json({ projects: PROJECTS });

    const match = url.pathname.match(PROJECT_PATH);
    if (match) {
      const id = match[1];
      const project = PROJECTS.find((p) => p.id === id);
      return project ? json({ project }) : error(404, "project not found", { id });
    }
    return notFound(url);
  },
};
