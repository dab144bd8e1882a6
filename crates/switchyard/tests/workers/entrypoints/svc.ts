import { WorkerEntrypoint } from "cloudflare:workers";

type Env = { ROLE: string };

export default class extends WorkerEntrypoint<Env> {
  fetch(request: Request): Response {
    return Response.json({ entrypoint: "default", role: this.env.ROLE, path: new URL(request.url).pathname });
  }
}

export class Admin extends WorkerEntrypoint<Env> {
  async fetch(request: Request): Promise<Response> {
    return Response.json({ entrypoint: "Admin", role: this.env.ROLE, path: new URL(request.url).pathname });
  }
}
