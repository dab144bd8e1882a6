export default {
  async fetch(request) {
    const url = new URL(request.url);
    switch (url.pathname) {
      case "/clock":
        return Response.json({ now: performance.now(), origin: performance.timeOrigin, date: Date.now() });
      case "/order": {
        const events = [];
        await new Promise((resolve) => {
          // Far after the interval's third tick (at 15 ms if on time): a busy machine delays
          // each tick, and the next is set from when the last one ran.
          setTimeout(() => events.push("t100"), 100);
          setTimeout(() => events.push("t0"), 0);
          const cancelled = setTimeout(() => events.push("cancelled"), 10);
          clearTimeout(cancelled);
          let ticks = 0;
          const interval = setInterval(() => {
            events.push("tick" + ++ticks);
            if (ticks === 3) clearInterval(interval);
          }, 5);
          setTimeout(resolve, 150);
        });
        return Response.json(events);
      }
      case "/args":
        return new Promise((resolve) => setTimeout((a, b) => resolve(new Response(a + b)), 1, "x", "y"));
      case "/never":
        // Nothing can ever settle this promise.
        return new Promise(() => {});
      case "/forever":
        // Kept alive by an interval that never resolves it: only the request timeout ends it.
        return new Promise(() => {
          setInterval(() => {}, 50);
        });
      case "/slow":
        return new Promise((resolve) => setTimeout(() => resolve(new Response("slow done")), Number(url.searchParams.get("ms") || 300)));
      case "/spin":
        // A zero-delay timer loop that never settles: must not starve the thread.
        return new Promise(() => {
          const again = () => setTimeout(again, 0);
          again();
        });
      case "/clear-race": {
        const events = [];
        await new Promise((resolve) => {
          let second;
          setTimeout(() => {
            events.push("first");
            clearTimeout(second);
          }, 10);
          second = setTimeout(() => events.push("second (should have been cleared)"), 10);
          setTimeout(resolve, 40);
        });
        return Response.json(events);
      }
      case "/leak-interval":
        // Left running after the response: cancelled with the request, as on Cloudflare.
        setInterval(() => { globalThis.leaked = (globalThis.leaked || 0) + 1; }, 5);
        return new Response("started");
      case "/leaked":
        return new Response(String(globalThis.leaked || 0));
      case "/handled": {
        try {
          await (async () => { throw new Error("handled-rejection"); })();
        } catch {}
        await Promise.allSettled([Promise.reject(new Error("settled-rejection"))]);
        return new Response("ok");
      }
      case "/unhandled":
        Promise.reject(new Error("nobody-handles-this"));
        return new Response("ok");
      case "/unhandled-listener": {
        // An `unhandledrejection` listener sees the rejection; preventDefault() keeps it out
        // of the log.
        const seen = [];
        const listener = (event) => {
          seen.push(`${event.constructor.name}:${event.reason.message}:${event.promise instanceof Promise}`);
          if (event.reason.message === "silenced-rejection") event.preventDefault();
        };
        addEventListener("unhandledrejection", listener);
        Promise.reject(new Error("silenced-rejection"));
        Promise.reject(new Error("observed-rejection"));
        await new Promise((resolve) => setTimeout(resolve, 1));
        removeEventListener("unhandledrejection", listener);
        return Response.json(seen);
      }
      case "/bad-length":
        return new Response("héllo wörld", { headers: { "content-length": "5" } });
      case "/throw-string":
        throw "a plain string";
      case "/throw":
        throw new Error("timers worker failed on purpose");
      case "/not-a-response":
        return "just a string";
      default:
        return new Response("ok");
    }
  },
};
