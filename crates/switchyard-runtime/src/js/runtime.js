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

  // === service bindings ===
  class Fetcher {
    #id;
    constructor(id) {
      this.#id = id;
    }
    fetch(input, init) {
      native.assertInHandler();
      const id = this.#id;
      return native.prepareRequest(input, init).then((request) => native.bindingFetch(id, request));
    }
    connect() {
      throw new Error("Fetcher.connect() (TCP sockets) is not supported by Switchyard yet");
    }
  }
  Object.defineProperty(Fetcher.prototype, Symbol.toStringTag, { value: "Fetcher" });

  // Read by the `cloudflare:workers` module whenever it is first imported (possibly by a dynamic
  // import() during a request), so it stays; it exposes nothing that module does not export.
  const internal = { env: undefined, waitUntil };
  Object.defineProperty(globalThis, Symbol.for("switchyard.internal"), { value: internal, configurable: true });

  return {
    makeContext: () => new ExecutionContext(),
    makeFetcher: (id) => new Fetcher(id),
    setEnv: (env) => { internal.env = env; },
  };
}
