// Parts of the Web API that a context loads on first use (EXTRAS in src/lib.rs): each is its
// own module, so an isolate that never uses WritableStream, crypto.subtle, Blob/FormData or
// MessageChannel does not hold their code. An extra receives the core's helpers as a kit.

const loadedExtras = { __proto__: null };

function extra(name) {
  let loaded = loadedExtras[name];
  if (loaded === undefined) {
    loaded = native.loadExtra(name)(makeKit());
    loadedExtras[name] = loaded;
  }
  return loaded;
}

function extraLoaded(name) {
  return loadedExtras[name] !== undefined;
}

// A global that loads its extra when first read, then becomes a plain data property
// (enumerable for the non-class globals, like `performance`, as WebIDL's namespaces are).
function defineLazyGlobal(name, group, enumerable = false) {
  ObjectDefineProperty(globalThis, name, {
    get() {
      const value = extra(group)[name];
      // Becomes a data property, unless worker code froze or sealed the global object.
      try {
        defineGlobal(name, value, enumerable);
      } catch {}
      return value;
    },
    set(value) {
      defineGlobal(name, value, enumerable);
    },
    enumerable,
    configurable: true,
  });
}

// console: every method loads the formatting (the "console" extra) at its first call, so an
// isolate that never logs does not hold it.
const consoleObject = {};
for (const name of [
  "log", "info", "debug", "warn", "error", "trace", "assert", "table", "dir", "dirxml", "group",
  "groupCollapsed", "groupEnd", "count", "countReset", "time", "timeLog", "timeEnd", "clear",
]) {
  consoleObject[name] = {
    [name](...args) {
      return ReflectApply(extra("console").consoleMethods[name], undefined, args);
    },
  }[name];
}
ObjectDefineProperty(consoleObject, SymbolToStringTag, { value: "console", configurable: true });

// The HTML spec's "report an exception" (see the console extra).
function reportException(e) {
  extra("console").reportException(e);
}

// structuredClone and the RPC wire format (the "clone" extra), loaded at first use.
function structuredClone(value) {
  return ReflectApply(extra("clone").structuredClone, undefined, arguments);
}

function wireSerialize(value, root, isTarget) {
  return extra("clone").wireSerialize(value, root, isTarget);
}

function wireDeserialize(tape, externals) {
  return extra("clone").wireDeserialize(tape, externals);
}

// performance.timeOrigin: when this context's worker started, in ms since the epoch (set again
// by restartClock when a context made in advance is given to a worker).
let timeOrigin = native.now();

// `performance`: in the core, so timing code does not load the events extra, which makes it
// an EventTarget (by prototype) when it loads. Its listener methods keep their listeners on an
// EventTarget of the events extra.
class Performance {
  #brand = true;

  constructor(key = undefined) {
    if (key !== INTERNAL) illegalConstructor();
  }
  get timeOrigin() {
    return timeOrigin;
  }
  now() {
    return native.now() - timeOrigin;
  }
  toJSON() {
    return { timeOrigin };
  }
  addEventListener(type, callback, options = undefined) {
    if (!(#brand in this)) illegalInvocation();
    return performanceEvents("addEventListener", arguments);
  }
  removeEventListener(type, callback, options = undefined) {
    if (!(#brand in this)) illegalInvocation();
    return performanceEvents("removeEventListener", arguments);
  }
  dispatchEvent(event) {
    if (!(#brand in this)) illegalInvocation();
    return performanceEvents("dispatchEvent", arguments);
  }
}

function performanceEvents(method, args) {
  const { EventTarget, performanceEvents } = extra("events");
  return ReflectApply(EventTarget.prototype[method], performanceEvents, args);
}
finishInterface(Performance);
const performance = new Performance(INTERNAL);

// Events (the "events" extra). Nothing can be an AbortSignal, or listen on globalThis, before
// it is loaded, so these answer without loading it where they can.
function isAbortSignal(value) {
  return extraLoaded("events") && extra("events").isAbortSignal(value);
}

function followingSignal(parent) {
  return extra("events").followingSignal(parent);
}

function newAbortSignal() {
  return new (extra("events").AbortSignal)(INTERNAL);
}

// `unhandledrejection` on globalThis: true when no listener cancelled it.
function dispatchUnhandledRejection(promise, reason) {
  if (!extraLoaded("events")) return true;
  const { globalEvents, PromiseRejectionEvent } = extra("events");
  return globalEvents.dispatchEvent(
    new PromiseRejectionEvent("unhandledrejection", { cancelable: true, promise, reason }),
  );
}

// Readable streams (the "readable" extra). A body nobody turns into a stream never loads it:
// text(), json() and the rest read a streamed source without one (readHandleChunks).
function readable() {
  return extra("readable");
}

function isReadableStream(value) {
  return extraLoaded("readable") && readable().isReadableStream(value);
}

// Set by the embedder (`setStreamReader`): handle -> promise of the next chunk, or null at the
// end. Streamed bodies exist only where an embedder provides one.
let streamReader = () =>
  PromiseReject(new TypeError("This body is streamed, and nothing here can read it."));

function readStreamChunk(handle) {
  return streamReader(handle);
}

function isStreamHandle(value) {
  return isObject(value) && native.isStreamHandle(value);
}
