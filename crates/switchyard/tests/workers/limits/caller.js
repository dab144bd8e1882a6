// Spends `ms` of its own CPU time before and after calling a worker that spends twice that.
// With `ms` = 150 and a 400 ms limit each, the caller is over its limit only if the callee's
// time (which runs nested in the caller's call when the callee answers at once) counted too.
function spin(ms) {
  const until = Date.now() + ms;
  while (Date.now() < until) {}
}

export default {
  async fetch(request, env) {
    const ms = Number(new URL(request.url).searchParams.get("ms") ?? 0);
    spin(ms);
    const answer = await env.SPIN.fetch(`http://spin/?ms=${2 * ms}`);
    spin(ms);
    return new Response(`${await answer.text()}, then ${ms} + ${ms} ms here`);
  },
};
