// Makes ?n= sequential calls to env.SVC per request: RPC (`env.SVC.add`) or, with ?mode=fetch,
// the same call as an HTTP request over the binding. n=0 is the baseline for the cost per call.
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const n = Number(url.searchParams.get("n") || 0);
    const overFetch = url.searchParams.get("mode") === "fetch";
    let sum = 0;
    for (let i = 0; i < n; i++) {
      if (overFetch) {
        const response = await env.SVC.fetch(`http://svc/add?a=${i}&b=1`);
        sum += Number(await response.text());
      } else {
        sum += await env.SVC.add(i, 1);
      }
    }
    return new Response(String(sum));
  },
};
