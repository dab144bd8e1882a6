// WHATWG URL: URL and URLSearchParams. Parsing and setters are the `url` crate's (natives);
// a parsed URL is kept as the record of its getter values, so getters are field reads.

// Indices into a URL record, and setter ids (must match `url_part` in natives.rs).
const R_HREF = 0;
const R_PROTOCOL = 1;
const R_USERNAME = 2;
const R_PASSWORD = 3;
const R_HOST = 4;
const R_HOSTNAME = 5;
const R_PORT = 6;
const R_PATHNAME = 7;
const R_SEARCH = 8;
const R_HASH = 9;
const SET_QUERY = 10;

let searchParamsSetList; // (params, list) -> void
let newLinkedSearchParams; // (record, search) -> URLSearchParams

// A URL's record is one array for the URL's life: a setter writes the new values into it. Its
// URLSearchParams holds the record, not the URL, so the two do not make a cycle, which only
// the garbage collector could free (a router's `new URL(request.url).searchParams` made one
// per request, and the collections it caused were ~6% of a small service's time).
function replaceRecord(record, next) {
  for (let i = R_HREF; i <= R_HASH; i++) record[i] = next[i];
}

// The linked URL's "update steps" for its URLSearchParams: the query set to `serialized`.
function urlSetQuery(record, serialized) {
  const next = native.urlSet(record[R_HREF], SET_QUERY, serialized);
  if (next !== null) replaceRecord(record, next);
}

class URL {
  #r;
  #searchParams = null;

  constructor(url, base = undefined) {
    requireArgs(arguments.length, 1, "Failed to construct 'URL'");
    url = toUSVString(url);
    const record =
      base === undefined ? native.urlParse(url) : native.urlParse(url, toUSVString(base));
    if (record === null) throw new TypeError(`Invalid URL: ${url}`);
    this.#r = record;
  }

  static canParse(url, base = undefined) {
    requireArgs(arguments.length, 1, "Failed to execute 'canParse' on 'URL'");
    url = toUSVString(url);
    const record =
      base === undefined ? native.urlParse(url) : native.urlParse(url, toUSVString(base));
    return record !== null;
  }

  static parse(url, base = undefined) {
    requireArgs(arguments.length, 1, "Failed to execute 'parse' on 'URL'");
    try {
      return base === undefined ? new URL(url) : new URL(url, base);
    } catch (e) {
      if (e instanceof TypeError) return null;
      throw e;
    }
  }

  #set(which, value) {
    const record = native.urlSet(this.#r[R_HREF], which, toUSVString(value));
    if (record === null) return false;
    replaceRecord(this.#r, record);
    if (which !== SET_QUERY && this.#searchParams !== null) {
      searchParamsSetList(this.#searchParams, parseQuery(record[R_SEARCH]));
    }
    return true;
  }

  get href() {
    return this.#r[R_HREF];
  }
  set href(value) {
    if (!this.#set(R_HREF, value)) throw new TypeError(`Invalid URL: ${toUSVString(value)}`);
  }
  get origin() {
    return native.urlOrigin(this.#r[R_HREF]);
  }
  get protocol() {
    return this.#r[R_PROTOCOL];
  }
  set protocol(value) {
    this.#set(R_PROTOCOL, value);
  }
  get username() {
    return this.#r[R_USERNAME];
  }
  set username(value) {
    this.#set(R_USERNAME, value);
  }
  get password() {
    return this.#r[R_PASSWORD];
  }
  set password(value) {
    this.#set(R_PASSWORD, value);
  }
  get host() {
    return this.#r[R_HOST];
  }
  set host(value) {
    this.#set(R_HOST, value);
  }
  get hostname() {
    return this.#r[R_HOSTNAME];
  }
  set hostname(value) {
    this.#set(R_HOSTNAME, value);
  }
  get port() {
    return this.#r[R_PORT];
  }
  set port(value) {
    this.#set(R_PORT, value);
  }
  get pathname() {
    return this.#r[R_PATHNAME];
  }
  set pathname(value) {
    this.#set(R_PATHNAME, value);
  }
  get search() {
    return this.#r[R_SEARCH];
  }
  set search(value) {
    this.#set(R_SEARCH, value);
  }
  get searchParams() {
    if (this.#searchParams === null) {
      this.#searchParams = newLinkedSearchParams(this.#r, this.#r[R_SEARCH]);
    }
    return this.#searchParams;
  }
  get hash() {
    return this.#r[R_HASH];
  }
  set hash(value) {
    this.#set(R_HASH, value);
  }

  toString() {
    return this.#r[R_HREF];
  }

  toJSON() {
    return this.#r[R_HREF];
  }

  [inspectSymbol]() {
    const r = this.#r;
    return {
      href: r[R_HREF],
      origin: this.origin,
      protocol: r[R_PROTOCOL],
      username: r[R_USERNAME],
      password: r[R_PASSWORD],
      host: r[R_HOST],
      hostname: r[R_HOSTNAME],
      port: r[R_PORT],
      pathname: r[R_PATHNAME],
      search: r[R_SEARCH],
      searchParams: this.searchParams,
      hash: r[R_HASH],
    };
  }
}
finishInterface(URL);

function parseQuery(search) {
  // `search` is "" or "?..."; the list parser takes the query without "?".
  return search === "" ? [] : native.formParse(search.slice(1));
}

// A URLSearchParams list is flat: [name0, value0, name1, value1, ...].
let searchParamsPairAt;
let isURLSearchParams;

class URLSearchParams {
  #list;
  #urlRecord = null; // the linked URL's record (see replaceRecord), or null

  constructor(init = "") {
    if (init === INTERNAL) {
      this.#list = [];
      return;
    }
    if (isObject(init)) {
      if (#list in init) {
        this.#list = init.#list.slice();
        return;
      }
      const method = init[SymbolIterator];
      if (method !== undefined && method !== null) {
        if (typeof method !== "function") {
          throw new TypeError(
            "Failed to construct 'URLSearchParams': The object's Symbol.iterator is not callable.",
          );
        }
        const list = [];
        for (const pair of { [SymbolIterator]: () => ReflectApply(method, init, []) }) {
          if (!isObject(pair)) {
            throw new TypeError(
              "Failed to construct 'URLSearchParams': The provided value cannot be converted to a sequence.",
            );
          }
          const items = [...pair];
          if (items.length !== 2) {
            throw new TypeError(
              "Failed to construct 'URLSearchParams': Sequence initializer must only contain pair elements",
            );
          }
          list.push(toUSVString(items[0]), toUSVString(items[1]));
        }
        this.#list = list;
        return;
      }
      // record<USVString, USVString>
      const list = [];
      for (const key of ReflectOwnKeys(init)) {
        const desc = ObjectGetOwnPropertyDescriptor(init, key);
        if (desc !== undefined && desc.enumerable) {
          list.push(toUSVString(key), toUSVString(init[key]));
        }
      }
      this.#list = list;
      return;
    }
    let s = toUSVString(init);
    if (s.charCodeAt(0) === 0x3f /* ? */) s = s.slice(1);
    this.#list = s === "" ? [] : native.formParse(s);
  }

  // "update steps": push the serialization into the linked URL's query.
  #update() {
    if (this.#urlRecord !== null) urlSetQuery(this.#urlRecord, native.formSerialize(this.#list));
  }

  get size() {
    return this.#list.length >> 1;
  }

  append(name, value) {
    requireArgs(arguments.length, 2, "Failed to execute 'append' on 'URLSearchParams'");
    this.#list.push(toUSVString(name), toUSVString(value));
    this.#update();
  }

  delete(name, value = undefined) {
    requireArgs(arguments.length, 1, "Failed to execute 'delete' on 'URLSearchParams'");
    name = toUSVString(name);
    const list = this.#list;
    const out = [];
    if (value === undefined) {
      for (let i = 0; i < list.length; i += 2) {
        if (list[i] !== name) out.push(list[i], list[i + 1]);
      }
    } else {
      value = toUSVString(value);
      for (let i = 0; i < list.length; i += 2) {
        if (list[i] !== name || list[i + 1] !== value) out.push(list[i], list[i + 1]);
      }
    }
    this.#list = out;
    this.#update();
  }

  get(name) {
    requireArgs(arguments.length, 1, "Failed to execute 'get' on 'URLSearchParams'");
    name = toUSVString(name);
    const list = this.#list;
    for (let i = 0; i < list.length; i += 2) {
      if (list[i] === name) return list[i + 1];
    }
    return null;
  }

  getAll(name) {
    requireArgs(arguments.length, 1, "Failed to execute 'getAll' on 'URLSearchParams'");
    name = toUSVString(name);
    const list = this.#list;
    const out = [];
    for (let i = 0; i < list.length; i += 2) {
      if (list[i] === name) out.push(list[i + 1]);
    }
    return out;
  }

  has(name, value = undefined) {
    requireArgs(arguments.length, 1, "Failed to execute 'has' on 'URLSearchParams'");
    name = toUSVString(name);
    const list = this.#list;
    if (value !== undefined) value = toUSVString(value);
    for (let i = 0; i < list.length; i += 2) {
      if (list[i] === name && (value === undefined || list[i + 1] === value)) return true;
    }
    return false;
  }

  set(name, value) {
    requireArgs(arguments.length, 2, "Failed to execute 'set' on 'URLSearchParams'");
    name = toUSVString(name);
    value = toUSVString(value);
    const list = this.#list;
    const out = [];
    let found = false;
    for (let i = 0; i < list.length; i += 2) {
      if (list[i] !== name) {
        out.push(list[i], list[i + 1]);
      } else if (!found) {
        found = true;
        out.push(name, value);
      }
    }
    if (!found) out.push(name, value);
    this.#list = out;
    this.#update();
  }

  sort() {
    const list = this.#list;
    const pairs = [];
    for (let i = 0; i < list.length; i += 2) pairs.push([list[i], list[i + 1]]);
    // Stable sort by UTF-16 code units of the name (the default string comparison).
    pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const out = [];
    for (const pair of pairs) out.push(pair[0], pair[1]);
    this.#list = out;
    this.#update();
  }

  forEach(callback, thisArg = undefined) {
    requireArgs(arguments.length, 1, "Failed to execute 'forEach' on 'URLSearchParams'");
    forEachPair(this, searchParamsPairAt, callback, thisArg, this);
  }

  keys() {
    return new SearchParamsIterator(INTERNAL, this, 0);
  }

  values() {
    return new SearchParamsIterator(INTERNAL, this, 1);
  }

  entries() {
    return new SearchParamsIterator(INTERNAL, this, 2);
  }

  toString() {
    return native.formSerialize(this.#list);
  }

  [inspectSymbol]() {
    const out = {};
    const list = this.#list;
    // Shown like Node: `URLSearchParams { 'a' => '1' }` is approximated as an object.
    for (let i = 0; i < list.length; i += 2) {
      out[list[i]] = ObjectHasOwn(out, list[i]) ? [].concat(out[list[i]], list[i + 1]) : list[i + 1];
    }
    return out;
  }

  static {
    isURLSearchParams = (value) => isObject(value) && #list in value;
    searchParamsPairAt = (params, i) => {
      const list = params.#list;
      return 2 * i < list.length ? [list[2 * i], list[2 * i + 1]] : undefined;
    };
    searchParamsSetList = (params, list) => {
      params.#list = list;
    };
    newLinkedSearchParams = (record, search) => {
      const params = new URLSearchParams(INTERNAL);
      params.#list = parseQuery(search);
      params.#urlRecord = record;
      return params;
    };
  }
}
const SearchParamsIterator = defineIterator("URLSearchParams", searchParamsPairAt);
ObjectDefineProperty(URLSearchParams.prototype, SymbolIterator, {
  value: URLSearchParams.prototype.entries,
  writable: true,
  configurable: true,
});
finishInterface(URLSearchParams);
