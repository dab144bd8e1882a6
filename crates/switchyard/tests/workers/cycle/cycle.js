// ping and pong call each other forever; the outermost call reports how it ended.
export default {
  async fetch(request, env) {
    const hops = Number(request.headers.get("x-hops") || 0);
    const headers = new Headers(request.headers);
    headers.set("x-hops", String(hops + 1));
    if (hops > 0) {
      // fetch() on a binding never throws: its failures (here, the depth limit) reject.
      try {
        return env.NEXT.fetch(new Request(request, { headers }));
      } catch (error) {
        return new Response(`env.NEXT.fetch threw synchronously: ${error.message}`);
      }
    }
    try {
      await env.NEXT.fetch(new Request(request, { headers }));
      return new Response("the cycle ended by itself?!", { status: 500 });
    } catch (error) {
      return new Response(`caught: ${error.message}`, { status: 508 });
    }
  },
};
