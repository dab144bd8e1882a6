// Fetch Standard: Headers.
//
// The header list is kept already "combined": a Map from lowercased name to the ", "-joined
// value, in first-insertion order, plus the Set-Cookie values on their own (they are never
// combined when iterating and getSetCookie() returns them one by one). Every observable
// operation of the spec (get, has, iteration's sort-and-combine) gives the same results as
// keeping raw pairs, while lookups stay O(1). The headers of a request or response from Rust
// stay in Rust's HeaderMap until more than get or has is asked of them (#rust).

const GUARD_NONE = 0;
const GUARD_IMMUTABLE = 1;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HTTP_WHITESPACE_EDGES = /^[\t\n\r ]+|[\t\n\r ]+$/g;
// After normalization a value must not contain NUL, CR or LF (or non-byte code units).
const INVALID_VALUE = /[\0\n\r\u0100-\uffff]/;

// Validated names (input -> lowercased) and values that needed no trimming. Header names and
// many values repeat across requests, and a Map/Set lookup is several times cheaper in QuickJS
// than the validating regexps. Bounded: cleared when full.
const CACHE_LIMIT = 1024;
const nameCache = new Map();
const valueCache = new Set();

function normalizeName(name, where) {
  if (typeof name !== "string") name = toDOMString(name);
  const cached = nameCache.get(name);
  if (cached !== undefined) return cached;
  if (!TOKEN.test(name)) {
    throw new TypeError(`${where}: Invalid header name: '${name}'`);
  }
  const lower = name.toLowerCase();
  if (nameCache.size >= CACHE_LIMIT) nameCache.clear();
  nameCache.set(name, lower);
  return lower;
}

function normalizeValue(value, where) {
  if (typeof value !== "string") value = toDOMString(value);
  if (valueCache.has(value)) return value;
  const c0 = value.charCodeAt(0);
  const cn = value.charCodeAt(value.length - 1);
  // Only run the trimming regexp when an edge is whitespace (rare).
  const trimmed =
    c0 <= 0x20 || cn <= 0x20 ? value.replace(HTTP_WHITESPACE_EDGES, "") : value;
  if (INVALID_VALUE.test(trimmed)) {
    throw new TypeError(`${where}: Invalid header value.`);
  }
  if (trimmed === value && value.length <= 256) {
    if (valueCache.size >= CACHE_LIMIT) valueCache.clear();
    valueCache.add(value);
  }
  return trimmed;
}

let headersPairAt; // (headers, i) -> [name, value] | undefined
let headersFill; // (headers, init) -> void, init: Headers | sequence | record
let headersFromFlat; // (flat, guard) -> Headers, trusted [name, value, ...] from Rust
let headersFromRust; // (list, guard) -> Headers reading a Rust HeaderList handle (see #rust)
let headersToFlat; // (headers) -> [name, value, ...] with one entry per Set-Cookie value, or
//                    the HeaderList handle it still reads
let headersSetGuard; // (headers, guard) -> void
let headersGuardOf; // (headers) -> guard
let headersHas; // (headers, lowercaseName) -> bool, no validation
let headersAppendTrusted; // (headers, lowercaseName, value) -> void

class Headers {
  #map = new Map();
  #cookies = null; // Set-Cookie values, or null
  #guard = GUARD_NONE;
  #sorted = null; // cached sort-and-combine result, dropped on mutation
  // The HeaderList handle of a request or response from Rust, until its pairs are copied into
  // #map and #cookies (or null): get() and has() ask Rust, which is what routers do with the
  // headers of the request they are given; anything else copies the pairs first (#own).
  #rust = null;

  constructor(init = undefined) {
    if (init !== undefined) this.#fill(init);
  }

  #fill(init) {
    if (!isObject(init)) {
      throw new TypeError(
        "Failed to construct 'Headers': The provided value is not of type '(record<ByteString, ByteString> or sequence<sequence<ByteString>>)'.",
      );
    }
    if (#map in init) {
      // Fast path: copy another Headers without re-validating (or share its Rust list).
      // (#fill runs on new, empty Headers; the check keeps sharing safe should that change.)
      if (init.#rust !== null && this.#rust === null && this.#map.size === 0 && this.#cookies === null) {
        this.#rust = init.#rust;
        return;
      }
      this.#own();
      init.#own();
      for (const [name, value] of init.#map) this.#map.set(name, value);
      if (init.#cookies !== null) this.#cookies = init.#cookies.slice();
      this.#sorted = null;
      return;
    }
    const method = init[SymbolIterator];
    if (method !== undefined && method !== null) {
      if (typeof method !== "function") {
        throw new TypeError("Failed to construct 'Headers': Symbol.iterator is not callable.");
      }
      for (const pair of { [SymbolIterator]: () => ReflectApply(method, init, []) }) {
        if (!isObject(pair)) {
          throw new TypeError(
            "Failed to construct 'Headers': The provided value cannot be converted to a sequence.",
          );
        }
        const items = ArrayIsArray(pair) ? pair : [...pair];
        if (items.length !== 2) {
          throw new TypeError("Failed to construct 'Headers': Invalid value");
        }
        this.#append(items[0], items[1], "Failed to construct 'Headers'");
      }
      return;
    }
    for (const key of ReflectOwnKeys(init)) {
      const desc = ObjectGetOwnPropertyDescriptor(init, key);
      if (desc !== undefined && desc.enumerable) {
        this.#append(key, init[key], "Failed to construct 'Headers'");
      }
    }
  }

  // Copies the Rust list's pairs into #map and #cookies, if there is one.
  #own() {
    const list = this.#rust;
    if (list === null) return;
    this.#rust = null;
    this.#appendFlat(native.headerListFlat(list));
  }

  // Appends trusted [name, value, ...] pairs (lowercased names, valid values).
  #appendFlat(flat) {
    for (let i = 0; i < flat.length; i += 2) this.#appendNormalized(flat[i], flat[i + 1]);
  }

  #checkMutable(where) {
    if (this.#guard === GUARD_IMMUTABLE) {
      throw new TypeError(`${where}: Headers are immutable.`);
    }
  }

  #append(name, value, where) {
    name = normalizeName(name, where);
    value = normalizeValue(value, where);
    this.#checkMutable(where);
    this.#appendNormalized(name, value);
  }

  #appendNormalized(name, value) {
    this.#own();
    this.#sorted = null;
    if (name === "set-cookie") {
      if (this.#cookies === null) this.#cookies = [value];
      else this.#cookies.push(value);
      return;
    }
    const old = this.#map.get(name);
    this.#map.set(name, old === undefined ? value : `${old}, ${value}`);
  }

  append(name, value) {
    requireArgs(arguments.length, 2, "Failed to execute 'append' on 'Headers'");
    this.#append(name, value, "Failed to execute 'append' on 'Headers'");
  }

  delete(name) {
    requireArgs(arguments.length, 1, "Failed to execute 'delete' on 'Headers'");
    name = normalizeName(name, "Failed to execute 'delete' on 'Headers'");
    this.#checkMutable("Failed to execute 'delete' on 'Headers'");
    this.#own();
    if (name === "set-cookie") {
      if (this.#cookies === null) return;
      this.#cookies = null;
    } else if (!this.#map.delete(name)) {
      return;
    }
    this.#sorted = null;
  }

  get(name) {
    requireArgs(arguments.length, 1, "Failed to execute 'get' on 'Headers'");
    name = normalizeName(name, "Failed to execute 'get' on 'Headers'");
    if (this.#rust !== null) return native.headerListGet(this.#rust, name);
    if (name === "set-cookie") {
      return this.#cookies === null ? null : this.#cookies.join(", ");
    }
    const value = this.#map.get(name);
    return value === undefined ? null : value;
  }

  getSetCookie() {
    this.#own();
    return this.#cookies === null ? [] : this.#cookies.slice();
  }

  has(name) {
    requireArgs(arguments.length, 1, "Failed to execute 'has' on 'Headers'");
    name = normalizeName(name, "Failed to execute 'has' on 'Headers'");
    if (this.#rust !== null) return native.headerListHas(this.#rust, name);
    return name === "set-cookie" ? this.#cookies !== null : this.#map.has(name);
  }

  set(name, value) {
    requireArgs(arguments.length, 2, "Failed to execute 'set' on 'Headers'");
    name = normalizeName(name, "Failed to execute 'set' on 'Headers'");
    value = normalizeValue(value, "Failed to execute 'set' on 'Headers'");
    this.#checkMutable("Failed to execute 'set' on 'Headers'");
    this.#own();
    this.#sorted = null;
    if (name === "set-cookie") this.#cookies = [value];
    else this.#map.set(name, value);
  }

  forEach(callback, thisArg = undefined) {
    requireArgs(arguments.length, 1, "Failed to execute 'forEach' on 'Headers'");
    forEachPair(this, headersPairAt, callback, thisArg, this);
  }

  keys() {
    return new HeadersIterator(INTERNAL, this, 0);
  }

  values() {
    return new HeadersIterator(INTERNAL, this, 1);
  }

  entries() {
    return new HeadersIterator(INTERNAL, this, 2);
  }

  // The spec's "sort and combine": names sorted, Set-Cookie values kept separate.
  #sortAndCombine() {
    if (this.#sorted !== null) return this.#sorted;
    this.#own();
    const names = [...this.#map.keys()];
    if (this.#cookies !== null) names.push("set-cookie");
    names.sort();
    const out = [];
    for (const name of names) {
      if (name === "set-cookie") {
        for (const value of this.#cookies) out.push([name, value]);
      } else {
        out.push([name, this.#map.get(name)]);
      }
    }
    this.#sorted = out;
    return out;
  }

  [inspectSymbol]() {
    const out = {};
    for (const [name, value] of this.#sortAndCombine()) {
      out[name] = ObjectHasOwn(out, name) ? [].concat(out[name], value) : value;
    }
    return out;
  }

  static {
    headersPairAt = (headers, i) => headers.#sortAndCombine()[i];
    headersFill = (headers, init) => headers.#fill(init);
    headersFromFlat = (flat, guard) => {
      const headers = new Headers();
      headers.#appendFlat(flat);
      headers.#guard = guard;
      return headers;
    };
    headersFromRust = (list, guard) => {
      const headers = new Headers();
      headers.#rust = list;
      headers.#guard = guard;
      return headers;
    };
    headersToFlat = (headers) => {
      if (headers.#rust !== null) return headers.#rust;
      const out = [];
      for (const [name, value] of headers.#map) out.push(name, value);
      if (headers.#cookies !== null) {
        for (const value of headers.#cookies) out.push("set-cookie", value);
      }
      return out;
    };
    headersSetGuard = (headers, guard) => {
      headers.#guard = guard;
    };
    headersGuardOf = (headers) => headers.#guard;
    headersHas = (headers, name) =>
      headers.#rust !== null ? native.headerListHas(headers.#rust, name) : headers.#map.has(name);
    headersAppendTrusted = (headers, name, value) => headers.#appendNormalized(name, value);
  }
}
const HeadersIterator = defineIterator("Headers", headersPairAt);
ObjectDefineProperty(Headers.prototype, SymbolIterator, {
  value: Headers.prototype.entries,
  writable: true,
  configurable: true,
});
finishInterface(Headers);
