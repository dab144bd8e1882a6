// Spends ?ms= of CPU time, then answers at once.
export default {
  fetch(request) {
    const ms = Number(new URL(request.url).searchParams.get("ms") ?? 0);
    const until = Date.now() + ms;
    while (Date.now() < until) {}
    return new Response(`spun ${ms} ms`);
  },
};
