// Each path runs one RPC scenario against svc and answers with JSON describing what came back;
// the Rust test compares it with what Cloudflare's RPC gives.
import { RpcTarget } from "cloudflare:workers";

function errorShape(e) {
  return {
    class: e?.constructor?.name,
    name: e?.name,
    message: e?.message,
    isError: e instanceof Error,
    hasCause: e?.cause !== undefined,
  };
}

async function settle(promise) {
  try {
    return { value: await promise };
  } catch (e) {
    return { error: e instanceof Error || e instanceof DOMException ? errorShape(e) : e };
  }
}

function bytes(view) {
  return Array.from(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
}

class Greeter extends RpcTarget {
  get name() {
    return "front's greeter";
  }
  greet(who) {
    return `hello ${who}, from front`;
  }
}

const scenarios = {
  async primitives(env) {
    return {
      add: await env.SVC.add(2, 3),
      concat: await env.SVC.add("a", "b"),
      values: await Promise.all(
        [undefined, null, true, false, 0, -0, 1.5, NaN, Infinity, "ünï", ""].map((v) => env.SVC.echo(v)),
      ).then((vs) => vs.map((v) => (Object.is(v, -0) ? "-0" : typeof v === "number" && !Number.isFinite(v) ? String(v) : v === undefined ? "undefined" : v))),
      bigint: String(await env.SVC.echo(12345678901234567890123n)),
      bigintType: typeof (await env.SVC.echo(1n)),
    };
  },
  async structures(env) {
    const shared = { name: "shared" };
    const cyclic = { list: [1, 2], shared, again: shared };
    cyclic.self = cyclic;
    const back = await env.SVC.echo(cyclic);
    const date = await env.SVC.echo(new Date(1700000000000));
    const regexp = await env.SVC.echo(/ab+c/gi);
    const map = await env.SVC.echo(new Map([["k", { v: 1 }], [2, "two"]]));
    const set = await env.SVC.echo(new Set([1, "x", 1]));
    const nested = await env.SVC.echo({ a: [{ b: [[1], { c: null }] }] });
    return {
      cycle: back.self === back,
      sharedKept: back.shared === back.again,
      list: back.list,
      copy: back !== cyclic,
      date: date instanceof Date && date.getTime(),
      regexp: regexp instanceof RegExp && `${regexp.source}/${regexp.flags}`,
      map: map instanceof Map && [...map.entries()],
      set: set instanceof Set && [...set],
      nested,
      boxed: (await env.SVC.echo(new String("boxed"))) instanceof String,
      described: await env.SVC.describe({ d: new Date(0), m: new Map(), b: new ArrayBuffer(2), u: new Uint16Array(1), f: () => 1 }),
    };
  },
  async binary(env) {
    const buffer = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]).buffer;
    const out = {};
    out.arrayBuffer = bytes(new Uint8Array(await env.SVC.echo(buffer)));
    for (const Ctor of [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array]) {
      const view = new Ctor(buffer, 0, 8 / Ctor.BYTES_PER_ELEMENT);
      const back = await env.SVC.echo(view);
      out[Ctor.name] = back instanceof Ctor && back.length === view.length && bytes(back).join(",") === bytes(view).join(",");
    }
    const dv = await env.SVC.echo(new DataView(buffer, 2, 4));
    out.dataView = dv instanceof DataView && [dv.byteOffset, dv.byteLength, dv.getUint8(0)];
    const sub = await env.SVC.echo(new Uint8Array(buffer, 3, 2));
    out.subarray = [sub.byteOffset, sub.length, sub[0], sub.buffer.byteLength];
    return out;
  },
  async errors(env) {
    return {
      type: await settle(env.SVC.fail("type")),
      range: await settle(env.SVC.fail("range")),
      custom: await settle(env.SVC.fail("custom")),
      string: await settle(env.SVC.fail("string")),
      cause: await settle(env.SVC.fail("cause")),
      none: await settle(env.SVC.fail("none")),
      missing: await settle(env.SVC.nope()),
      instanceField: await settle(env.SVC.secret),
      reserved: await settle(env.SVC.alarm()),
      bindingLocal: String(env.SVC) + " " + env.SVC.hasOwnProperty("x"),
      notAFunction: await settle(env.SVC.version()),
      unclonableResult: await settle(env.SVC.unclonable()),
      unclonableArg: await settle(env.SVC.echo(1, { handler: Symbol("s") })),
      unclonableNested: await settle(env.SVC.echo({ list: [1, new WeakMap()] })),
      plain: await settle(env.PLAIN.nope(1)),
      plainArity: await settle(env.PLAIN.greet(1, 2)),
      fetchOnRpcOnly: await settle(env.SVC.fetch("http://svc/")),
    };
  },
  async properties(env) {
    return {
      version: await env.SVC.version,
      underscore: await env.SVC._underscore(),
      later: await env.SVC.later("x"),
      named: await env.ADMIN.whoami(),
      namedFetch: await (await env.ADMIN.fetch("http://svc/")).text(),
      plain: await env.PLAIN.greet("front"),
      awaitBinding: (await env.SVC) === env.SVC,
      // toJSON is not an RPC name: serializing env makes no call.
      json: JSON.stringify({ svc: env.SVC }),
    };
  },
  async stubs(env) {
    const calls = [];
    const fn = (v) => {
      calls.push(v);
      return `got ${v}`;
    };
    const callback = await env.SVC.callBack(fn, 42);
    const target = await env.SVC.callObject(new Greeter());
    const counter = await env.SVC.counter(10);
    const first = await counter.increment(5);
    const second = await counter.increment();
    const value = await counter.value;
    const hidden = await settle(counter.visible);
    const reserved = await settle(counter.constructor());
    const inherited = await settle(counter.hasOwnProperty("x"));
    const dup = counter.dup();
    counter[Symbol.dispose]();
    const disposed = await settle(counter.increment());
    const viaDup = await dup.increment(100);
    const proto = await settle(dup.__proto__);
    // Our own function, sent and returned, comes back as itself.
    const cameHome = (await env.SVC.echo(fn)) === fn;
    // A stub svc got from plain, passed on to us: it still works after svc's call returned.
    const tally = await env.SVC.tallyFromPlain(5);
    const forwarded = [await tally.add(2), await tally.add(3)];
    // A failed call leaves a stream argument usable.
    const stream = new ReadableStream();
    const failedSend = await settle(env.SVC.echo(stream, Symbol("x")));
    return {
      callback, calls, target, first, second, value, hidden, reserved, inherited, disposed, viaDup,
      proto, cameHome, forwarded, failedSend: failedSend.error?.name, streamLocked: stream.locked,
    };
  },
  async streams(env) {
    const encoder = new TextEncoder();
    const sent = await env.SVC.readStream(
      new ReadableStream({
        start(controller) {
          for (const part of ["one ", "two ", "three"]) controller.enqueue(encoder.encode(part));
          controller.close();
        },
      }),
    );
    const stream = await env.SVC.makeStream(["a", "b", "c"]);
    const received = [];
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      received.push(new TextDecoder().decode(value));
    }
    return { sent, received, isStream: stream instanceof ReadableStream };
  },
  // Chunks cross one by one as the reader asks: the producer has not run ahead to the end.
  async streaming(env) {
    const stream = await env.SVC.liveStream(50);
    const reader = stream.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    const producedAfterFirst = await env.SVC.pulled();
    let rest = 0;
    while (!(await reader.read()).done) rest++;
    return { first, producedAfterFirst, rest, producedAtEnd: await env.SVC.pulled() };
  },
  async http(env) {
    const request = new Request("http://example.com/path", {
      method: "POST",
      headers: { "x-test": "yes" },
      body: "request body",
    });
    const response = await env.SVC.handleRequest(request);
    const headers = await env.SVC.echo(new Headers({ a: "1", "set-cookie": "x=1" }));
    return {
      isResponse: response instanceof Response,
      status: response.status,
      from: response.headers.get("x-from"),
      body: await response.text(),
      headers: headers instanceof Headers && [...headers],
    };
  },
  async limit(env) {
    const spun = await settle(env.SVC.spin());
    // The isolate was discarded and replaced; the caller is unharmed.
    return { spun, after: await env.SVC.add(1, 1) };
  },
  async reentrant(env) {
    return { text: await env.SVC.viaFront("/echo") };
  },
};

export default {
  async fetch(request, env) {
    const name = new URL(request.url).pathname.slice(1);
    if (name === "echo") return new Response("front echo");
    const scenario = scenarios[name];
    if (!scenario) return new Response(`no scenario ${name}`, { status: 404 });
    return Response.json(await scenario(env));
  },
};
