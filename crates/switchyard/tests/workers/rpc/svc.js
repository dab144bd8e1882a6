import { WorkerEntrypoint, RpcTarget } from "cloudflare:workers";

class Counter extends RpcTarget {
  #count;
  constructor(start) {
    super();
    this.#count = start;
    this.visible = "instance fields are not exposed";
  }
  increment(by = 1) {
    this.#count += by;
    return this.#count;
  }
  get value() {
    return this.#count;
  }
}

class NotFound extends Error {
  constructor(message) {
    super(message);
    this.name = "NotFound";
  }
}

// How many chunks liveStream() has produced so far (per isolate).
let pulled = 0;

// RPC only: no fetch() method.
export default class Service extends WorkerEntrypoint {
  constructor(ctx, env) {
    super(ctx, env);
    this.secret = "instance properties are not exposed";
  }
  echo(value) {
    return value;
  }
  add(a, b) {
    return a + b;
  }
  async later(value) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    return { value, greeting: this.env.GREETING };
  }
  get version() {
    return "1.2.3";
  }
  // What arrived, described on this side of the call.
  describe(value) {
    const kind = (v) =>
      v === null ? "null" : typeof v !== "object" ? typeof v : Object.prototype.toString.call(v).slice(8, -1);
    if (value === null || typeof value !== "object") return kind(value);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, kind(v)]));
  }
  fail(kind) {
    if (kind === "type") throw new TypeError("bad type");
    if (kind === "range") return Promise.reject(new RangeError("out of range"));
    if (kind === "custom") throw new NotFound("no such user");
    if (kind === "string") throw "a string";
    if (kind === "cause") throw new Error("outer", { cause: new Error("inner") });
    return "no failure";
  }
  unclonable() {
    return { ok: 1, handle: new WeakMap() };
  }
  async callBack(fn, value) {
    return `callback said: ${await fn(value)}`;
  }
  async callObject(obj) {
    return `${await obj.name} / ${await obj.greet("svc")}`;
  }
  counter(start) {
    return new Counter(start);
  }
  // A stub received from plain, passed on to our caller.
  async tallyFromPlain(start) {
    return await this.env.PLAIN.makeTally(start);
  }
  async viaFront(path) {
    // A call back into the caller's worker, through this worker's own binding.
    const res = await this.env.FRONT.fetch(`http://front${path}`);
    return res.text();
  }
  async readStream(stream) {
    const reader = stream.getReader();
    const chunks = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(new TextDecoder().decode(value));
    }
    return chunks;
  }
  makeStream(parts) {
    const encoder = new TextEncoder();
    return new ReadableStream({
      start(controller) {
        for (const part of parts) controller.enqueue(encoder.encode(part));
        controller.close();
      },
    });
  }
  liveStream(count) {
    pulled = 0;
    return new ReadableStream({
      pull(controller) {
        pulled++;
        controller.enqueue(new TextEncoder().encode(`chunk ${pulled}`));
        if (pulled === count) controller.close();
      },
    });
  }
  pulled() {
    return pulled;
  }
  async handleRequest(request) {
    return new Response(`${request.method} ${new URL(request.url).pathname} ${request.headers.get("x-test")} ${await request.text()}`, {
      status: 201,
      headers: { "x-from": "svc" },
    });
  }
  _underscore() {
    return "underscore methods are public, as on Cloudflare";
  }
  spin() {
    for (;;) {}
  }
}

export class Admin extends WorkerEntrypoint {
  async fetch(request) {
    return new Response("admin fetch");
  }
  whoami() {
    return `admin of ${this.env.GREETING}`;
  }
}
