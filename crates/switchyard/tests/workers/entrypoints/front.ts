import { WorkerEntrypoint } from "cloudflare:workers";

interface Env {
  ROLE: string;
  SVC: Fetcher;
  ADMIN: Fetcher;
}

export default class Front extends WorkerEntrypoint<Env> {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const target: Fetcher = url.pathname.startsWith("/admin") ? this.env.ADMIN : this.env.SVC;
    const inner = await target.fetch(request);
    const body = (await inner.json()) as Record<string, unknown>;
    return Response.json({ front: this.env.ROLE, hasCtx: typeof this.ctx.waitUntil === "function", inner: body });
  }
}
