// /loop?ms=: calls a binding that answers at once, over and over, for that long. Anything else
// answers at once, from the same thread.
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname !== "/loop") return new Response("still here");
    const until = Date.now() + Number(url.searchParams.get("ms") ?? 0);
    let calls = 0;
    while (Date.now() < until) {
      await env.SPIN.fetch("http://spin/?ms=0");
      calls++;
    }
    return new Response(`looped ${calls > 0}`);
  },
};
