export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/throw") {
      throw new TypeError("b refuses");
    }
    if (url.pathname === "/echo") {
      return Response.json({ hop: "b", method: request.method, url: request.url, from: request.headers.get("x-from"), body: await request.text() });
    }
    // Everything else goes on to C with an extra header.
    const headers = new Headers(request.headers);
    headers.set("x-via-b", "yes");
    return env.C.fetch(new Request(request, { headers }));
  },
};
