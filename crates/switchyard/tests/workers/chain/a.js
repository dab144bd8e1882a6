// Entry: forwards to B in several ways.
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname.startsWith("/forward")) {
      // The Request object itself: method, URL, headers and body unchanged.
      return env.B.fetch(request);
    }
    if (url.pathname === "/string-input") {
      return env.B.fetch("https://b.internal/echo?via=string", { method: "PUT", body: "from a string", headers: { "x-from": "a" } });
    }
    if (url.pathname === "/plain-strings") {
      // A URL string alone is sent as the request `new Request(url)` makes (or refused as it is).
      const settle = async (send) => {
        try {
          return await (await send()).json();
        } catch (error) {
          return `${error.name}: ${error.message}`;
        }
      };
      const inputs = [
        "HTTPS://B.internal:443/a/../echo?q=1#frag",
        "https://b.internal/echo?x=%zz&y=é",
        "/relative",
        "https://user:pw@b.internal/echo",
        "https://b.internal/echo?\ud800",
        " https://b.internal/e\tcho\n ",
        "http://:@b.internal/echo",
      ];
      const out = [];
      for (const input of inputs) {
        out.push([await settle(() => env.B.fetch(input)), await settle(() => env.B.fetch(new Request(input)))]);
      }
      return Response.json(out);
    }
    if (url.pathname === "/url-input") {
      return env.B.fetch(new URL("https://b.internal/echo?via=url"));
    }
    if (url.pathname === "/catch") {
      try {
        await env.B.fetch("https://b.internal/throw");
        return new Response("no error?!", { status: 500 });
      } catch (error) {
        return Response.json({ caught: true, name: error.name, message: error.message, isTypeError: error instanceof TypeError });
      }
    }
    if (url.pathname === "/rewrap") {
      const response = await env.B.fetch(request);
      const text = await response.text();
      return new Response("a saw: " + text, { status: response.status, headers: { "x-b-status": String(response.status) } });
    }
    return new Response("a: not found", { status: 404 });
  },
};
