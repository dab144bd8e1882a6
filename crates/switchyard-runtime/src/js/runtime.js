// Per-isolate glue between the Rust runtime and worker code: timers, the execution context handed
// to handlers, and service-binding stubs. A module whose default export is called once per isolate
// with `native`, the Rust side.
export default function (native) {
  "use strict";

  // === timers ===
  function checkCallback(callback, name) {
    if (typeof callback !== "function") {
      throw new TypeError(`${name}: the callback must be a function, got ${typeof callback}`);
    }
  }
  function setTimeout(callback, delay = 0, ...args) {
    checkCallback(callback, "setTimeout");
    const fn = args.length === 0 ? callback : () => callback(...args);
    return native.timerStart(fn, Number(delay) || 0, false);
  }
  function setInterval(callback, delay = 0, ...args) {
    checkCallback(callback, "setInterval");
    const fn = args.length === 0 ? callback : () => callback(...args);
    return native.timerStart(fn, Number(delay) || 0, true);
  }
  function clearTimeout(id) {
    if (typeof id === "number") native.timerClear(id);
  }
  const timers = { setTimeout, setInterval, clearTimeout, clearInterval: clearTimeout };
  for (const [name, fn] of Object.entries(timers)) {
    Object.defineProperty(globalThis, name, { value: fn, writable: true, configurable: true, enumerable: true });
  }

  // === fetch() to the network ===
  // The request is built and its body read by the Web API layer; Rust sends it (redirects,
  // TLS, pooling) and settles the promise. An AbortSignal cancels the Rust task and rejects
  // with the signal's reason.
  function fetch(input, init = undefined) {
    native.assertInHandler();
    let request;
    try {
      request = native.prepareRequest(input, init);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      // null when the request has no signal that could abort it.
      const signal = native.requestSignal(request);
      signal?.throwIfAborted();
      let call;
      // Once the response is here, an abort errors its body (still arriving) instead.
      let response;
      const onAbort = () => {
        if (response === undefined) {
          native.cancelCall(call);
          reject(signal.reason);
        } else {
          const held = response.deref();
          if (held !== undefined) native.abortBody(held, signal.reason);
        }
      };
      call = native.outboundFetch(
        request,
        request.redirect,
        (value) => {
          response = new WeakRef(value);
          resolve(value);
        },
        (error) => {
          signal?.removeEventListener("abort", onAbort);
          reject(error);
        },
      );
      signal?.addEventListener("abort", onAbort);
    });
  }
  Object.defineProperty(globalThis, "fetch", { value: fetch, writable: true, configurable: true, enumerable: true });

  // A streamed body leaving the isolate (`what`: "response" or "request"), read chunk by chunk
  // into Rust (the client's connection, the network, another worker) as it is produced. It
  // counts as work in flight, like waitUntil, so the isolate's timers keep running until the body
  // ends. A reader that goes away (the client disconnected) cancels the stream.
  async function pumpToRust(stream, sink, what) {
    native.pumpStart();
    let reader;
    let watch = 0;
    try {
      reader = stream.getReader();
      // A reader that goes away while the stream is idle (the client disconnected) cancels it.
      watch = native.sinkWatch(sink, () => {
        reader.cancel(new Error(`the ${what}'s reader went away`)).catch(() => {});
      });
      for (;;) {
        const { value, done } = await reader.read();
        if (done) {
          native.sinkClose(sink);
          return;
        }
        let bytes;
        if (value instanceof Uint8Array) bytes = value;
        else if (ArrayBuffer.isView(value)) bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
        else if (value instanceof ArrayBuffer) bytes = new Uint8Array(value);
        else throw new TypeError("This ReadableStream did not return bytes.");
        let accepted = native.sinkWrite(sink, bytes);
        if (accepted !== true && accepted !== false) accepted = await accepted;
        if (!accepted) {
          await reader.cancel(new Error(`the ${what}'s reader went away`)).catch(() => {});
          return;
        }
      }
    } catch (error) {
      native.sinkError(sink, String(error?.message ?? error));
      native.reportError(`${what} body stream`, error);
      reader?.cancel(error).catch(() => {});
    } finally {
      if (watch !== 0) native.cancelCall(watch);
      native.pumpEnd();
    }
  }

  // === ExecutionContext ===
  function waitUntil(promise) {
    native.waitUntilStart();
    Promise.resolve(promise).then(
      () => native.waitUntilEnd(),
      (error) => {
        native.waitUntilEnd();
        native.reportError("waitUntil", error);
      },
    );
  }
  class ExecutionContext {
    waitUntil(promise) {
      if (arguments.length === 0) throw new TypeError("waitUntil requires a promise");
      waitUntil(promise);
    }
    passThroughOnException() {
      // There is no origin behind a Switchyard worker to pass through to: accepted, and a thrown
      // exception still ends the request with a 500.
    }
  }
  Object.defineProperty(ExecutionContext.prototype, Symbol.toStringTag, { value: "ExecutionContext" });

  // === RPC stubs ===
  const SymbolDispose = Symbol.dispose ?? Symbol.for("dispose");
  const ObjectPrototype = Object.prototype;
  const ObjectHasOwn = Object.hasOwn;
  const ReflectApply = Reflect.apply;
  const ObjectCreate = Object.create;
  const ObjectDefineProperty = Object.defineProperty;
  const ObjectGetPrototypeOf = Object.getPrototypeOf;

  // The classes of `cloudflare:workers` live here, once per isolate, so the runtime can tell an
  // RpcTarget (passed by reference) from other objects (passed by value).
  class WorkerEntrypoint {
    constructor(ctx, env) {
      this.ctx = ctx;
      this.env = env;
    }
  }
  class DurableObject {
    constructor(ctx, env) {
      this.ctx = ctx;
      this.env = env;
    }
  }
  class WorkflowEntrypoint {
    constructor(ctx, env) {
      this.ctx = ctx;
      this.env = env;
    }
  }
  class RpcTarget {}
  const isTarget = (value) => value instanceof RpcTarget;

  // `send(path, args)` performs the call (`args` an array) or reads the property (`args`
  // undefined) at `path` and returns a promise. What `env.SVC.a.b` returns: callable, and
  // awaitable to read the property, as on Cloudflare.
  function rpcProperty(send, path) {
    const call = function () {};
    return new Proxy(call, {
      get(_, key) {
        if (typeof key === "symbol") return undefined;
        if (key === "then" || key === "catch" || key === "finally") {
          return (...handlers) => {
            const promise = send(path, undefined);
            return ReflectApply(Promise.prototype[key], promise, handlers);
          };
        }
        return rpcProperty(send, [...path, key]);
      },
      apply(_, thisArg, args) {
        return send(path, args);
      },
    });
  }

  // Each stub proxy's import id: a stub passed on to a third worker is sent as the reference it
  // stands for, not as a stub of a stub (which would die with this isolate's import).
  const importIds = new WeakMap();

  // A stub for a function or RpcTarget that lives in another isolate (import `id`).
  function makeStub(id) {
    const send = (path, args) => {
      try {
        return native.stubCall(id, path, args);
      } catch (error) {
        return Promise.reject(error);
      }
    };
    const dispose = () => native.stubRelease(id);
    const dup = () => makeStub(native.stubDup(id));
    const call = function () {};
    const stub = new Proxy(call, {
      get(_, key) {
        if (key === SymbolDispose) return dispose;
        if (typeof key === "symbol" || key === "then" || key === "toJSON") return undefined;
        if (key === "dup") return dup;
        return rpcProperty(send, [key]);
      },
      apply(_, thisArg, args) {
        return send([], args);
      },
    });
    importIds.set(stub, id);
    return stub;
  }

  const ENTRYPOINT_RESERVED = new Set([
    "fetch",
    "connect",
    "alarm",
    "webSocketMessage",
    "webSocketClose",
    "webSocketError",
    "dup",
    "constructor",
  ]);
  const STUB_RESERVED = new Set(["dup", "constructor"]);

  function notImplemented(name, hint) {
    return new TypeError(`The RPC receiver does not implement the method "${name}".${hint}`);
  }

  // One property of an RPC receiver, by Cloudflare's rules: a plain object (or function) exposes
  // its own properties; a class instance (WorkerEntrypoint, RpcTarget) only what its class
  // declares, never instance fields or what every object inherits.
  function lookup(object, name, ownProperties, reserved, hint) {
    // `__proto__` would walk to the prototype chain itself.
    if (name === "__proto__") throw notImplemented(name, hint);
    if (reserved.has(name)) {
      throw new TypeError(`'${name}' is a reserved method and cannot be called over RPC.`);
    }
    if (ownProperties) {
      if (!ObjectHasOwn(object, name)) throw notImplemented(name, hint);
      return object[name];
    }
    if (ObjectHasOwn(object, name)) throw notImplemented(name, hint);
    const value = object[name];
    if (value === ObjectPrototype[name]) throw notImplemented(name, hint);
    return value;
  }

  const KIND_ENTRYPOINT_CLASS = 0;
  const KIND_ENTRYPOINT_OBJECT = 1;
  const KIND_STUB = 2;
  const PLAIN_OBJECT_HINT =
    " This worker's entrypoint is a plain object, which answers RPC only with its own " +
    "properties; to expose methods, export a class that extends WorkerEntrypoint " +
    "(import { WorkerEntrypoint } from \"cloudflare:workers\").";

  // Perform an incoming call (`args` an array) or property read (`args` undefined) at `path`
  // on `target`. Returns the result, possibly a promise.
  function invoke(kind, target, path, args, env, ctx) {
    // A fresh instance of the entrypoint class per call, as for each request.
    if (kind === KIND_ENTRYPOINT_CLASS) target = new target(ctx, env);
    const reserved = kind === KIND_STUB ? STUB_RESERVED : ENTRYPOINT_RESERVED;
    const hint = kind === KIND_ENTRYPOINT_OBJECT ? PLAIN_OBJECT_HINT : "";
    let ownProperties = kind === KIND_ENTRYPOINT_OBJECT || (kind === KIND_STUB && !isTarget(target));
    let object = target;
    if (path.length === 0) {
      if (args === undefined) return target;
      if (typeof target !== "function") throw new TypeError('"(this)" is not a function.');
      return ReflectApply(target, undefined, args);
    }
    for (let i = 0; i < path.length - 1; i++) {
      const next = lookup(object, path[i], ownProperties, reserved, hint);
      if (typeof next !== "function" && (typeof next !== "object" || next === null)) {
        throw notImplemented(path[i + 1], "");
      }
      const proto = Object.getPrototypeOf(next);
      if (proto === ObjectPrototype || proto === null || typeof next === "function") {
        ownProperties = !isTarget(next);
      } else if (isTarget(next)) {
        ownProperties = false;
      } else {
        throw notImplemented(path[i + 1], "");
      }
      object = next;
    }
    const name = path[path.length - 1];
    const value = lookup(object, name, ownProperties, reserved, hint);
    if (args === undefined) return value;
    if (typeof value !== "function") throw new TypeError(`"${path.join(".")}" is not a function.`);
    if (kind === KIND_ENTRYPOINT_OBJECT && path.length === 1) {
      // A handler function of a plain-object export: called as (arg, env, ctx).
      if (args.length !== 1) {
        throw new TypeError(
          `Attempted to call RPC function "${name}" with ${args.length} arguments. A method of ` +
            "a plain-object export takes exactly one argument from the caller (it is called " +
            "as (arg, env, ctx)); for more, export a class that extends WorkerEntrypoint.",
        );
      }
      return ReflectApply(value, object, [args[0], env, ctx]);
    }
    return ReflectApply(value, object, args);
  }

  // === service bindings ===
  // `env.SVC`: fetch() and connect() as Cloudflare's Fetcher, and any other name an RPC method
  // or property of the target's entrypoint. fetch and connect are the binding's own
  // (non-enumerable) properties, so the common `env.SVC.fetch(request)` is a plain property read;
  // every other name falls through to a Proxy in its prototype chain.
  class Fetcher {
    constructor(key) {
      if (key !== FETCHER) throw new TypeError("Illegal constructor");
    }
    fetch() {
      throw new TypeError("Illegal invocation");
    }
    connect() {
      throw new Error("Fetcher.connect() (TCP sockets) is not supported by Switchyard yet");
    }
  }
  const FETCHER = Symbol("Fetcher");
  Object.defineProperty(Fetcher.prototype, Symbol.toStringTag, { value: "Fetcher" });

  // What each binding's RPC names need, by binding object: its id, and one property stub per
  // method name, made on first use (`env.SVC.add` on every call would otherwise build a new
  // Proxy each time). Kept out of the binding itself so that one Proxy serves every binding: a
  // router with a thousand bindings makes a thousand small objects, not a thousand Proxies.
  const fetcherStates = new WeakMap();
  const rpcNames = new Proxy(Fetcher.prototype, {
    get(target, key, receiver) {
      if (typeof key === "symbol" || key === "then" || key in target) return target[key];
      // Not an RPC name: JSON.stringify(env) must not turn into a call.
      if (key === "toJSON") return undefined;
      // The binding the read started from (or an object made from it).
      let state;
      for (let o = receiver; o !== null && typeof o === "object"; o = ObjectGetPrototypeOf(o)) {
        state = fetcherStates.get(o);
        if (state !== undefined) break;
      }
      if (state === undefined) return undefined;
      state.methods ??= new Map();
      let method = state.methods.get(key);
      if (method === undefined) {
        const id = state.id;
        method = rpcProperty((path, args) => native.rpcCall(id, path, args), [key]);
        state.methods.set(key, method);
      }
      return method;
    },
  });
  const connect = () => Fetcher.prototype.connect();

  function makeFetcher(id) {
    const fetcher = ObjectCreate(rpcNames);
    // Throws outside a handler; every other failure rejects the promise.
    const fetch = (input, init = undefined) => native.bindingFetch(id, input, init);
    ObjectDefineProperty(fetcher, "fetch", { value: fetch, writable: true, configurable: true });
    ObjectDefineProperty(fetcher, "connect", { value: connect, writable: true, configurable: true });
    fetcherStates.set(fetcher, { id, methods: undefined });
    return fetcher;
  }

  // Read by the `cloudflare:workers` module whenever it is first imported (possibly by a dynamic
  // import() during a request), so it stays; it exposes nothing that module does not export.
  const internal = {
    env: undefined,
    waitUntil,
    WorkerEntrypoint,
    DurableObject,
    WorkflowEntrypoint,
    RpcTarget,
    // For switchyard:modules: sloppy-mode CommonJS, compiled as a script under its file name.
    compileScript: native.compileScript,
  };
  Object.defineProperty(globalThis, Symbol.for("switchyard.internal"), { value: internal, configurable: true });

  return {
    // Each request's `ctx` is an object with this prototype, made by Rust.
    contextPrototype: ExecutionContext.prototype,
    makeFetcher,
    makeStub,
    importIdOf: (value) => importIds.get(value) ?? -1,
    isTarget,
    isEntrypointClass: (f) => typeof f === "function" && f.prototype instanceof WorkerEntrypoint,
    // Always a promise: a method that throws synchronously rejects it.
    invoke(...args) {
      try {
        return Promise.resolve(invoke(...args));
      } catch (error) {
        return Promise.reject(error);
      }
    },
    setEnv: (env) => { internal.env = env; },
    pumpToRust,
  };
}

