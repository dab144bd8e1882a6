// fetch() to the network. The test passes its local upstream server's origin in `x-upstream`.
const describe = async (response) => ({
  status: response.status,
  url: response.url,
  redirected: response.redirected,
  location: response.headers.get("location"),
  body: await response.text(),
});

const failure = async (promise) => {
  try {
    await promise;
    return "resolved";
  } catch (error) {
    return error instanceof Error ? `${error.name}: ${error.message}` : `rejected with ${JSON.stringify(error)}`;
  }
};

export default {
  async fetch(request) {
    const base = request.headers.get("x-upstream");
    const path = new URL(request.url).pathname;
    switch (path) {
      case "/get": {
        const response = await fetch(`${base}/text`, { headers: { "x-from": "worker" } });
        return Response.json({ ...(await describe(response)), type: response.headers.get("content-type") });
      }
      case "/redirects":
        return Response.json(await describe(await fetch(`${base}/redirect/3`)));
      case "/manual":
        return Response.json(await describe(await fetch(`${base}/redirect/1`, { redirect: "manual" })));
      case "/error-mode":
        return new Response(await failure(fetch(`${base}/redirect/1`, { redirect: "error" })));
      case "/too-many":
        return new Response(await failure(fetch(`${base}/loop`)));
      case "/post-303": {
        const response = await fetch(`${base}/see-other`, {
          method: "POST",
          body: "form=1",
          headers: { "content-type": "application/x-www-form-urlencoded" },
        });
        return new Response(await response.text());
      }
      case "/post-307": {
        const response = await fetch(`${base}/temporary`, { method: "POST", body: "kept" });
        return new Response(await response.text());
      }
      case "/cross-origin": {
        const response = await fetch(`${base}/cross`, {
          headers: { authorization: "Bearer secret", "x-kept": "yes" },
        });
        return new Response(await response.text());
      }
      case "/same-origin-auth": {
        const response = await fetch(`${base}/redirect-to-echo`, { headers: { authorization: "Bearer secret" } });
        return new Response(await response.text());
      }
      case "/abort": {
        const controller = new AbortController();
        setTimeout(() => controller.abort(), 20);
        const aborted = await failure(fetch(`${base}/slow`, { signal: controller.signal }));
        const timedOut = await failure(fetch(`${base}/slow`, { signal: AbortSignal.timeout(20) }));
        const already = await failure(fetch(`${base}/text`, { signal: AbortSignal.abort("early") }));
        return Response.json([aborted, timedOut, already]);
      }
      case "/limit": {
        const results = [];
        for (let i = 0; i < 6; i++) {
          try {
            results.push((await fetch(`${base}/text`)).status);
          } catch (error) {
            results.push(error.message);
          }
        }
        return Response.json(results);
      }
      case "/errors":
        return Response.json([
          await failure(fetch("http://127.0.0.1:1/")),
          await failure(fetch("ftp://example.com/file")),
          await failure(fetch("not a url")),
        ]);
      case "/tls": {
        // The test's HTTPS upstream answers with the HTTP version it saw.
        const response = await fetch(`${request.headers.get("x-upstream-tls")}/version`);
        return new Response(`${response.status} ${await response.text()}`);
      }
      case "/bodiless": {
        const head = await fetch(`${base}/text`, { method: "HEAD" });
        const none = await fetch(`${base}/no-content`);
        return Response.json([head.status, head.body, head.headers.get("content-length"), none.status, none.body]);
      }
      case "/passthrough":
        return fetch(`${base}/text`);
      case "/parallel": {
        const bodies = await Promise.all([1, 2, 3].map((n) => fetch(`${base}/echo?n=${n}`).then((r) => r.json())));
        return Response.json(bodies.map((b) => b.path));
      }
      default:
        return new Response("not found", { status: 404 });
    }
  },
};
