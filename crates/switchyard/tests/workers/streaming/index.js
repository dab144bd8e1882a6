// The entry worker: streams through a service binding, from the network, and its own.
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname.startsWith("/via-binding/")) {
      // Returned untouched: the callee's stream goes to the client chunk by chunk.
      return env.SELF.fetch(`https://source${url.pathname.slice("/via-binding".length)}`);
    }
    if (url.pathname === "/via-transform") {
      const response = await env.SELF.fetch("https://source/stream");
      const upper = new TransformStream({
        transform(chunk, controller) {
          controller.enqueue(new TextEncoder().encode(new TextDecoder().decode(chunk).toUpperCase()));
        },
      });
      return new Response(response.body.pipeThrough(upper));
    }
    if (url.pathname === "/from-network") {
      // A fetch() response passed on: the upstream's chunks reach the client as they arrive.
      return fetch(request.headers.get("x-upstream"));
    }
    if (url.pathname === "/read-network") {
      const response = await fetch(request.headers.get("x-upstream"));
      const reader = response.body.getReader();
      const chunks = [];
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        chunks.push(new TextDecoder().decode(value));
      }
      return Response.json(chunks);
    }
    if (url.pathname === "/abort-body") {
      // Aborted after the headers arrived: the body still arriving errors with the reason.
      const controller = new AbortController();
      const response = await fetch(request.headers.get("x-upstream"), { signal: controller.signal });
      const reader = response.body.getReader();
      const first = new TextDecoder().decode((await reader.read()).value);
      controller.abort();
      let after;
      try {
        after = JSON.stringify(await reader.read());
      } catch (error) {
        after = `${error.name}: ${error.message}`;
      }
      return Response.json([first, after]);
    }
    if (url.pathname === "/gzip") {
      const response = await env.SELF.fetch("https://source/stream");
      return new Response(response.body.pipeThrough(new CompressionStream("gzip")), {
        headers: { "content-encoding": "gzip" },
      });
    }
    return env.SELF.fetch(request);
  },
};
