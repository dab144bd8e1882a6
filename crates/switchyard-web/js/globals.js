// Crypto (with `subtle` from crypto.js), navigator, queueMicrotask, and the installation of every
// global. Returns the internals the Rust API calls.

const INTEGER_ARRAYS = new Set([
  "Int8Array",
  "Uint8Array",
  "Uint8ClampedArray",
  "Int16Array",
  "Uint16Array",
  "Int32Array",
  "Uint32Array",
  "BigInt64Array",
  "BigUint64Array",
]);

class Crypto {
  #brand = true;

  constructor(key = undefined) {
    if (key !== INTERNAL) illegalConstructor();
  }

  getRandomValues(array) {
    if (!(#brand in this)) illegalInvocation();
    requireArgs(arguments.length, 1, "Failed to execute 'getRandomValues' on 'Crypto'");
    if (!ArrayBufferIsView(array)) {
      throw new TypeError(
        "Failed to execute 'getRandomValues' on 'Crypto': parameter 1 is not of type 'ArrayBufferView'.",
      );
    }
    const name = typedArrayName(array);
    if (!INTEGER_ARRAYS.has(name)) {
      throw createDOMException(
        `Failed to execute 'getRandomValues' on 'Crypto': The provided ArrayBufferView is of type '${name ?? "DataView"}', which is not an integer array type.`,
        "TypeMismatchError",
      );
    }
    const length = array.byteLength;
    if (length > 65536) {
      throw createDOMException(
        `Failed to execute 'getRandomValues' on 'Crypto': The ArrayBufferView's byte length (${length}) exceeds the number of bytes of entropy available via this API (65536).`,
        "QuotaExceededError",
      );
    }
    const buffer = array.buffer;
    if (buffer.immutable === true) {
      throw new TypeError("Failed to execute 'getRandomValues' on 'Crypto': the buffer is immutable.");
    }
    if (!native.fillRandom(buffer, array.byteOffset, length) && length > 0) {
      throw createDOMException("Failed to generate random values.", "OperationError");
    }
    return array;
  }

  randomUUID() {
    if (!(#brand in this)) illegalInvocation();
    return native.randomUUID();
  }

  get subtle() {
    if (!(#brand in this)) illegalInvocation();
    return extra("crypto").subtle;
  }
}
finishInterface(Crypto);
const crypto = new Crypto(INTERNAL);

class Navigator {
  #brand = true;

  constructor(key = undefined) {
    if (key !== INTERNAL) illegalConstructor();
  }

  get userAgent() {
    if (!(#brand in this)) illegalInvocation();
    return "Cloudflare-Workers";
  }

  get hardwareConcurrency() {
    if (!(#brand in this)) illegalInvocation();
    return 1;
  }
}
finishInterface(Navigator);
const navigator = new Navigator(INTERNAL);

// Jobs go through the engine's queue (in order with promise reactions); a throwing callback
// is reported on console.error instead of escaping into the embedder's job loop.
function runMicrotask(callback) {
  try {
    callback();
  } catch (e) {
    reportException(e);
  }
}

function queueMicrotask(callback) {
  requireArgs(arguments.length, 1, "Failed to execute 'queueMicrotask'");
  if (typeof callback !== "function") {
    throw new TypeError(
      "Failed to execute 'queueMicrotask': parameter 1 is not of type 'Function'.",
    );
  }
  native.enqueueJob(runMicrotask, callback);
}

function defineGlobal(name, value, enumerable) {
  ObjectDefineProperty(globalThis, name, {
    value,
    writable: true,
    enumerable,
    configurable: true,
  });
}

// `new Response(text)` is made in Rust by the global `Response` (response_constructor in
// message.rs), which leaves everything else to the class; to JavaScript it is the class: the
// same own properties (prototype, statics) and `Response.prototype.constructor`.
const ResponseGlobal = native.responseConstructor(Response, Response.prototype);
for (const key of ReflectOwnKeys(Response)) {
  if (key !== "length" && key !== "name") {
    ObjectDefineProperty(ResponseGlobal, key, ObjectGetOwnPropertyDescriptor(Response, key));
  }
}
ObjectDefineProperty(Response.prototype, "constructor", {
  value: ResponseGlobal,
  writable: true,
  enumerable: false,
  configurable: true,
});
defineGlobal("Response", ResponseGlobal, false);

for (const cls of [
  Headers,
  Request,
  URL,
  URLSearchParams,
  TextEncoder,
  TextDecoder,
  Crypto,
  Navigator,
  Performance,
]) {
  defineGlobal(cls.name, cls, false);
}
for (const [group, names] of [
  ["crypto", ["CryptoKey", "SubtleCrypto"]],
  ["streams", [
    "ReadableByteStreamController", "ReadableStreamBYOBReader", "ReadableStreamBYOBRequest",
    "WritableStream", "WritableStreamDefaultWriter", "WritableStreamDefaultController",
    "TransformStream", "TransformStreamDefaultController", "ByteLengthQueuingStrategy",
    "CountQueuingStrategy", "TextEncoderStream", "TextDecoderStream", "CompressionStream",
    "DecompressionStream",
  ]],
  ["blob", ["Blob", "File", "FormData"]],
  ["messaging", ["MessageChannel", "MessagePort", "MessageEvent"]],
  ["urlpattern", ["URLPattern"]],
  ["readable", ["ReadableStream", "ReadableStreamDefaultReader", "ReadableStreamDefaultController"]],
  ["events", [
    "Event", "EventTarget", "CustomEvent", "ErrorEvent", "PromiseRejectionEvent",
    "AbortController", "AbortSignal",
  ]],
]) {
  for (const name of names) defineLazyGlobal(name, group);
}
defineGlobal("performance", performance, true);
defineLazyGlobal("reportError", "events", true);
for (const name of ["addEventListener", "removeEventListener", "dispatchEvent"]) {
  const forward = {
    [name](...args) {
      const { EventTarget, globalEvents } = extra("events");
      return ReflectApply(EventTarget.prototype[name], globalEvents, args);
    },
  }[name];
  defineGlobal(name, forward, true);
}
defineGlobal("console", consoleObject, false);
defineGlobal("structuredClone", structuredClone, true);
defineGlobal("queueMicrotask", queueMicrotask, true);
defineGlobal("crypto", crypto, true);
defineGlobal("navigator", navigator, true);
defineGlobal("self", globalThis, true);
// Same attributes as the builtins they replace (writable, configurable, not enumerable).
globalThis.JSON.stringify = JSONStringify;
globalThis.JSON.parse = JSONParse;

return {
  requestPrototype: Request.prototype,
  responsePrototype: Response.prototype,
  setResponseUrl: responseInternals.setUrl,
  abortResponseBody: responseInternals.abortBody,
  requestParts: requestInternals.parts,
  requestSignal: requestInternals.signal,
  responseParts: responseInternals.parts,
  prepareRequest,
  // What fetch(input, init) sends, taken apart in one call (a service binding's fetch()).
  preparedRequestParts: (input, init) => requestInternals.parts(prepareRequest(input, init)),
  finalizeResponse,
  wireSerialize,
  wireDeserialize,
  setStreamReader(reader) {
    streamReader = reader;
  },
  restartClock() {
    timeOrigin = native.now();
  },
  // An `unhandledrejection` event on globalThis; true when no listener cancelled it (so the
  // embedder should log the rejection).
  unhandledRejection(promise, reason) {
    try {
      return dispatchUnhandledRejection(promise, reason);
    } catch {
      return true;
    }
  },
};
