// Global state shows whether requests reach the same isolate: an evicted isolate's next request
// starts from zero.
let count = 0;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    switch (url.pathname) {
      case "/count":
        return new Response(String(++count));
      case "/svc":
        return env.SVC.fetch("http://idle-svc/count");
      case "/other":
        return env.OTHER.fetch("http://idle-other/count");
      case "/later":
        // Work that outlives the response by longer than the idle timeout.
        ctx.waitUntil(sleep(Number(url.searchParams.get("ms"))).then(() => (count += 100)));
        return new Response("scheduled");
      case "/hang":
        // A promise nothing can ever settle: it must not keep the isolate.
        ctx.waitUntil(new Promise(() => {}));
        return new Response("hanging");
      case "/slow-stream": {
        // Chunks further apart than the idle timeout: no JavaScript runs between them.
        let i = 0;
        const gap = Number(url.searchParams.get("gap"));
        const body = new ReadableStream({
          async pull(controller) {
            await sleep(gap);
            controller.enqueue(new TextEncoder().encode(`chunk ${i} `));
            if (++i === 3) controller.close();
          },
        });
        return new Response(body);
      }
    }
    return new Response("not found", { status: 404 });
  },
};
