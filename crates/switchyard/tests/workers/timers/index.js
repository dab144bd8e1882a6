export default {
  async fetch(request) {
    const url = new URL(request.url);
    switch (url.pathname) {
      case "/order": {
        const events = [];
        await new Promise((resolve) => {
          setTimeout(() => events.push("t20"), 20);
          setTimeout(() => events.push("t0"), 0);
          const cancelled = setTimeout(() => events.push("cancelled"), 10);
          clearTimeout(cancelled);
          let ticks = 0;
          const interval = setInterval(() => {
            events.push("tick" + ++ticks);
            if (ticks === 3) clearInterval(interval);
          }, 5);
          setTimeout(resolve, 60);
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
      case "/throw":
        throw new Error("timers worker failed on purpose");
      case "/not-a-response":
        return "just a string";
      default:
        return new Response("ok");
    }
  },
};
