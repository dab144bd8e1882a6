// The callee of rpc_caller.js: add() over RPC, or the same over fetch.
import { WorkerEntrypoint } from "cloudflare:workers";

export default class extends WorkerEntrypoint {
  add(a, b) {
    return a + b;
  }
  fetch(request) {
    const params = new URL(request.url).searchParams;
    return new Response(String(Number(params.get("a")) + Number(params.get("b"))));
  }
}
