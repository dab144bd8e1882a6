// Shared helpers for the bootstrap. Every js/*.js file is a fragment of one function body
// (see BOOTSTRAP in lib.rs), evaluated in strict mode with `native` (the Rust natives) and
// `globalThis` in scope. Builtins used on hot paths are captured here so worker code that
// patches prototypes cannot change how the platform behaves.

const ObjectDefineProperty = Object.defineProperty;
const ObjectGetOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
const ObjectGetOwnPropertyNames = Object.getOwnPropertyNames;
const ObjectGetPrototypeOf = Object.getPrototypeOf;
const ObjectSetPrototypeOf = Object.setPrototypeOf;
const ObjectPrototypeToString = Object.prototype.toString;
const ObjectHasOwn = Object.hasOwn;
const ReflectApply = Reflect.apply;
const ReflectOwnKeys = Reflect.ownKeys;
const ArrayIsArray = Array.isArray;
const ArrayBufferIsView = ArrayBuffer.isView;
const SymbolIterator = Symbol.iterator;
const SymbolAsyncIterator = Symbol.asyncIterator;
const SymbolToStringTag = Symbol.toStringTag;
const PromiseCtor = Promise;
const PromiseResolveStatic = Promise.resolve;
const PromiseRejectStatic = Promise.reject;
const PromiseResolve = (v) => ReflectApply(PromiseResolveStatic, PromiseCtor, [v]);
const PromiseReject = (e) => ReflectApply(PromiseRejectStatic, PromiseCtor, [e]);
const PromisePrototypeThen = Promise.prototype.then;
const StringPrototypeIsWellFormed = String.prototype.isWellFormed;
const StringPrototypeToWellFormed = String.prototype.toWellFormed;
// Plain data is written out and read in Rust (see json.rs, json/parse.rs), the rest by
// QuickJS's own; globals.js makes them the global JSON.stringify and JSON.parse too.
const JSONStringify = native.jsonStringify;
const JSONParse = native.jsonParse;
// For text the Rust parser already gave up on.
const BuiltinJSONParse = JSON.parse;
// QuickJS-ng's own, captured before worker code can replace the globals.
const Atob = globalThis.atob;
const Btoa = globalThis.btoa;
// QuickJS-ng ships a spec-shaped native DOMException; the fallback only keeps this file
// working on an engine build without it.
const DOMExceptionCtor =
  typeof globalThis.DOMException === "function" ? globalThis.DOMException : defineDOMException();
const TypedArrayPrototype = ObjectGetPrototypeOf(Uint8Array.prototype);
const TypedArrayPrototypeGetToStringTag = ObjectGetOwnPropertyDescriptor(
  TypedArrayPrototype,
  SymbolToStringTag,
).get;
const IteratorPrototype = ObjectGetPrototypeOf(ObjectGetPrototypeOf([][SymbolIterator]()));
const AsyncIteratorPrototype = ObjectGetPrototypeOf(
  ObjectGetPrototypeOf(async function* () {}).prototype,
);

function then(promise, onFulfilled, onRejected) {
  return ReflectApply(PromisePrototypeThen, promise, [onFulfilled, onRejected]);
}

// A marker passed to constructors that user code must not call ("Illegal constructor").
const INTERNAL = Symbol("internal");

function illegalConstructor() {
  throw new TypeError("Illegal constructor");
}

function illegalInvocation() {
  throw new TypeError("Illegal invocation");
}

// WebIDL: too few arguments is a TypeError, checked before any conversion.
function requireArgs(count, required, where) {
  if (count < required) {
    throw new TypeError(
      `${where}: ${required} argument${required === 1 ? "" : "s"} required, but only ${count} present.`,
    );
  }
}

// WebIDL DOMString: ToString, which throws a TypeError for symbols.
function toDOMString(value) {
  return typeof value === "string" ? value : `${value}`;
}

// WebIDL USVString: lone surrogates become U+FFFD. Natives rely on this (Rust strings are
// UTF-8), so every string that reaches Rust goes through here.
function toUSVString(value) {
  const s = typeof value === "string" ? value : `${value}`;
  return ReflectApply(StringPrototypeIsWellFormed, s, [])
    ? s
    : ReflectApply(StringPrototypeToWellFormed, s, []);
}

// WebIDL ByteString: every code unit must fit in a byte.
const NON_BYTE = /[^\x00-\xff]/;
function toByteString(value, what) {
  const s = typeof value === "string" ? value : `${value}`;
  if (NON_BYTE.test(s)) {
    throw new TypeError(`${what}: value is not a valid ByteString.`);
  }
  return s;
}

// WebIDL dictionaries accept undefined, null or an object.
function dictionary(value, where) {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" && typeof value !== "function") {
    throw new TypeError(`${where}: The provided value is not of type 'object'.`);
  }
  return value;
}

function isObject(value) {
  return (typeof value === "object" && value !== null) || typeof value === "function";
}

// Real typed arrays only (the getter returns undefined for anything else).
function typedArrayName(value) {
  return ReflectApply(TypedArrayPrototypeGetToStringTag, value, []);
}

function isArrayBuffer(value) {
  return native.isArrayBuffer(value);
}

// Makes `cls` look like a WebIDL interface: prototype members enumerable, a toStringTag, and
// `length`s as given (default parameters are used where the spec has optional arguments).
function finishInterface(cls, name = cls.name) {
  for (const target of [cls.prototype, cls]) {
    for (const key of ObjectGetOwnPropertyNames(target)) {
      if (key === "constructor" || key === "prototype" || key === "length" || key === "name") {
        continue;
      }
      const desc = ObjectGetOwnPropertyDescriptor(target, key);
      if (desc.enumerable || !desc.configurable) continue;
      desc.enumerable = true;
      ObjectDefineProperty(target, key, desc);
    }
  }
  ObjectDefineProperty(cls.prototype, SymbolToStringTag, {
    value: name,
    writable: false,
    enumerable: false,
    configurable: true,
  });
  return cls;
}

function setLength(fn, length) {
  ObjectDefineProperty(fn, "length", { value: length, configurable: true });
}

function createDOMException(message, name) {
  return new DOMExceptionCtor(message, name);
}

// Value pair iterators (Headers, URLSearchParams): `next` reads the target's live state
// through `pairAt(target, index)`, which returns [name, value] or undefined at the end.
function defineIterator(name, pairAt) {
  class Iterator {
    #target;
    #kind; // 0 keys, 1 values, 2 entries
    #index = 0;
    constructor(key, target, kind) {
      if (key !== INTERNAL) illegalConstructor();
      this.#target = target;
      this.#kind = kind;
    }
    next() {
      if (!(#target in this)) illegalInvocation();
      if (this.#target === null) return { value: undefined, done: true };
      const pair = pairAt(this.#target, this.#index);
      if (pair === undefined) {
        this.#target = null;
        return { value: undefined, done: true };
      }
      this.#index++;
      const kind = this.#kind;
      return { value: kind === 0 ? pair[0] : kind === 1 ? pair[1] : pair, done: false };
    }
  }
  ObjectSetPrototypeOf(Iterator.prototype, IteratorPrototype);
  ObjectDefineProperty(Iterator.prototype, "next", { enumerable: true });
  ObjectDefineProperty(Iterator.prototype, SymbolToStringTag, {
    value: `${name} Iterator`,
    configurable: true,
  });
  return Iterator;
}

// Shared forEach for pair iterables.
function forEachPair(target, pairAt, callback, thisArg, self) {
  if (typeof callback !== "function") {
    throw new TypeError("forEach: The callback provided as parameter 1 is not a function.");
  }
  for (let i = 0; ; i++) {
    const pair = pairAt(target, i);
    if (pair === undefined) return;
    ReflectApply(callback, thisArg, [pair[1], pair[0], self]);
  }
}

// Internal hook for console.log: objects of platform classes return a plain object (or any
// value) to be inspected in their place, prefixed with the class name.
const inspectSymbol = Symbol("inspect");

function defineDOMException() {
  const codes = {
    IndexSizeError: 1,
    HierarchyRequestError: 3,
    WrongDocumentError: 4,
    InvalidCharacterError: 5,
    NoModificationAllowedError: 7,
    NotFoundError: 8,
    NotSupportedError: 9,
    InvalidStateError: 11,
    SyntaxError: 12,
    InvalidModificationError: 13,
    NamespaceError: 14,
    InvalidAccessError: 15,
    TypeMismatchError: 17,
    SecurityError: 18,
    NetworkError: 19,
    AbortError: 20,
    URLMismatchError: 21,
    QuotaExceededError: 22,
    TimeoutError: 23,
    InvalidNodeTypeError: 24,
    DataCloneError: 25,
  };
  class DOMException extends Error {
    #name;
    #message;
    constructor(message = "", name = "Error") {
      super();
      this.#message = `${message}`;
      this.#name = `${name}`;
    }
    get name() {
      return this.#name;
    }
    get message() {
      return this.#message;
    }
    get code() {
      return codes[this.#name] ?? 0;
    }
  }
  finishInterface(DOMException);
  ObjectDefineProperty(globalThis, "DOMException", {
    value: DOMException,
    writable: true,
    configurable: true,
    enumerable: false,
  });
  return DOMException;
}

// Internal slots cannot be tested directly from JS; calling a builtin that requires the slot is
// the reliable brand check (Object.prototype.toString can be spoofed with Symbol.toStringTag).
function hasSlot(method, value) {
  try {
    ReflectApply(method, value, []);
    return true;
  } catch {
    return false;
  }
}

// A property key that can follow a `.` (console's inspect, the wire's error paths).
const IDENTIFIER = /^[a-zA-Z_][a-zA-Z_0-9]*$/;
const ObjectKeys = Object.keys;

const PromiseWithResolvers =
  typeof Promise.withResolvers === "function" ? Promise.withResolvers.bind(Promise) : null;

// A promise with its resolve and reject.
function deferred() {
  if (PromiseWithResolvers !== null) return PromiseWithResolvers();
  let resolve, reject;
  const promise = new PromiseCtor((a, b) => {
    resolve = a;
    reject = b;
  });
  return { promise, resolve, reject };
}
