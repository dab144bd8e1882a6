// A plain-object default export: RPC reaches only its own function properties, called as
// (arg, env, ctx).
import { RpcTarget } from "cloudflare:workers";

class Tally extends RpcTarget {
  #n;
  constructor(n) {
    super();
    this.#n = n;
  }
  add(k) {
    return (this.#n += k);
  }
}

export default {
  makeTally(start) {
    return new Tally(start);
  },
  async fetch() {
    return new Response("plain");
  },
  greet(name, env, ctx) {
    return `${env.GREETING}, ${name} (${typeof ctx.waitUntil})`;
  },
};
