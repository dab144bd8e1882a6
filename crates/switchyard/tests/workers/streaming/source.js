// Streams "first;" at once and "second;" only after /release: a client that has "first;" before
// it asks for /release got it before the second chunk existed.
let release = null;
let cancelled = "no";

export default {
  async fetch(request) {
    const path = new URL(request.url).pathname;
    if (path === "/release") {
      const waiting = release !== null;
      release?.();
      release = null;
      return new Response(waiting ? "released" : "nothing waiting");
    }
    if (path === "/cancelled") return new Response(cancelled);
    if (path === "/stream" || path === "/fail-midway" || path === "/endless" || path === "/spin-midway") {
      const encoder = new TextEncoder();
      let step = 0;
      cancelled = "no";
      return new Response(
        new ReadableStream({
          async pull(controller) {
            step++;
            if (path === "/endless") {
              controller.enqueue(encoder.encode(`tick ${step};`));
              await new Promise((resolve) => setTimeout(resolve, 5));
              return;
            }
            if (step === 1) {
              controller.enqueue(encoder.encode("first;"));
              return;
            }
            if (step === 2) {
              await new Promise((resolve) => { release = resolve; });
              if (path === "/fail-midway") throw new Error("the producer broke");
              // Over the CPU limit mid-body: the isolate is discarded with the stream unfinished.
              if (path === "/spin-midway") {
                await new Promise((resolve) => setTimeout(resolve, 10));
                for (;;);
              }
              controller.enqueue(encoder.encode("second;"));
              return;
            }
            controller.close();
          },
          cancel(reason) {
            cancelled = `yes: ${reason?.message ?? reason}`;
          },
        }),
        { headers: { "content-type": "text/plain", "content-length": "999" } },
      );
    }
    return new Response("not found", { status: 404 });
  },
};
