// A plain-object default export: RPC reaches only its own function properties, called as
// (arg, env, ctx).
export default {
  async fetch() {
    return new Response("plain");
  },
  greet(name, env, ctx) {
    return `${env.GREETING}, ${name} (${typeof ctx.waitUntil})`;
  },
};
