// Uploads: the request body as a stream, read as it arrives, passed on to another worker or to
// the network without being buffered. The test's upstream origin comes in `x-upstream`.
const upper = () =>
  new TransformStream({
    transform(chunk, controller) {
      controller.enqueue(new TextEncoder().encode(new TextDecoder().decode(chunk).toUpperCase()));
    },
  });

const failure = async (promise) => {
  try {
    await promise;
    return "resolved";
  } catch (error) {
    return `${error.name}: ${error.message}`;
  }
};

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    const upstream = request.headers.get("x-upstream");
    switch (url.pathname) {
      case "/upper":
        // Each piece of the upload goes back upper-cased as soon as it arrives.
        return new Response(request.body.pipeThrough(upper()));
      case "/via-binding":
        // The upload handed to another worker untouched.
        return env.SVC.fetch(request);
      case "/via-binding-transformed":
        // A stream this worker makes from the upload, sent on as another worker's request body.
        return env.SVC.fetch("https://svc/upper", { method: "POST", body: request.body.pipeThrough(upper()) });
      case "/count": {
        const bytes = new Uint8Array(await request.arrayBuffer());
        let sum = 0;
        for (const b of bytes) sum = (sum + b) % 65521;
        return Response.json({ length: bytes.length, sum });
      }
      case "/byob": {
        // A BYOB reader on the upload, as on Cloudflare (bodies are byte streams).
        const reader = request.body.getReader({ mode: "byob" });
        const reads = [];
        for (;;) {
          const { value, done } = await reader.read(new Uint8Array(5));
          if (done) break;
          reads.push(new TextDecoder().decode(value));
        }
        return Response.json(reads);
      }
      case "/ignore":
        // The upload is never read: it ends with the response.
        return new Response("ignored");
      case "/late-read":
        // Read after the response was sent: Cloudflare's error.
        ctx.waitUntil(
          request.text().then(
            () => console.log("late read: resolved"),
            (error) => console.log(`late read: ${error.name}: ${error.message}`),
          ),
        );
        return new Response("early");
      case "/read-error":
        return new Response(await failure(request.arrayBuffer()));
      case "/to-network": {
        const response = await fetch(`${upstream}/echo`, { method: "POST", body: request.body, duplex: "half" });
        return new Response(response.body, { headers: { "x-upstream-status": String(response.status) } });
      }
      case "/generated-to-network": {
        let i = 0;
        const body = new ReadableStream({
          pull(controller) {
            if (i === 3) controller.close();
            else controller.enqueue(new TextEncoder().encode(`part${i++};`));
          },
        });
        const response = await fetch(`${upstream}/echo`, { method: "POST", body });
        return new Response(await response.text());
      }
      case "/stream-redirect": {
        const body = new ReadableStream({
          pull(controller) {
            controller.enqueue(new TextEncoder().encode("once"));
            controller.close();
          },
        });
        const bytes = new TextEncoder().encode("again");
        return Response.json([
          await failure(fetch(`${upstream}/redirect-307`, { method: "POST", body })),
          (await (await fetch(`${upstream}/redirect-307`, { method: "POST", body: bytes })).json()).body,
        ]);
      }
      default:
        return new Response("not found", { status: 404 });
    }
  },
};
