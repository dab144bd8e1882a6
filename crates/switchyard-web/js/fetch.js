// Fetch Standard: Request, Response and the Body mixin, plus the functions the Rust side calls
// (requestParts, prepareRequest, ...).
//
// A body is a small record, an array for the reason Request and Response state is one (see
// S_* below): [source, stream, used, abortRead], slots B_*.
//   source:    a string (kept as given, made well-formed) or a BodyBytes handle (Rust-owned
//              Bytes; JS BufferSources are copied into one at construction, as the spec copies
//              them). undefined once consumed or handed to a stream.
//   stream:    the ReadableStream, created lazily by the `body` getter (then owning the source)
//              or given by the user.
//   used:      consumed without a stream (text() etc. on a source) or transferred away.
//   abortRead: set while readHandleChunks reads the source (see there).
// A null body is `null` instead of a record.
const B_SOURCE = 0;
const B_STREAM = 1;
const B_USED = 2;
const B_ABORT_READ = 3;

const BODY_USED_MESSAGE =
  "Body has already been used. It can only be used once. Use tee() first if you need to read it twice.";
// The first and last are Rust's too (src/message.rs), for the responses it makes in one call.
const CONTENT_TYPE_TEXT = native.contentTypeText;
const CONTENT_TYPE_FORM = "application/x-www-form-urlencoded;charset=UTF-8";
const CONTENT_TYPE_JSON = native.contentTypeJson;

const KIND_TEXT = 0;
const KIND_JSON = 1;
const KIND_ARRAY_BUFFER = 2;
const KIND_BYTES = 3;

function newBody(source) {
  return [source, null, false, undefined];
}

function newStreamBody(stream) {
  return [undefined, stream, false, undefined];
}

// The spec's bodyUsed: the stream is disturbed (here also: consumed without a stream).
function bodyIsUsed(body) {
  return body[B_USED] || (body[B_STREAM] !== null && readable().streamRecordOf(body[B_STREAM]).disturbed);
}

// The spec's "unusable": disturbed or locked.
function bodyUnusable(body) {
  return body[B_USED] || (body[B_STREAM] !== null && readable().isStreamUnusable(body[B_STREAM]));
}

function bodyStream(body) {
  if (body[B_STREAM] === null) {
    if (body[B_USED]) {
      body[B_STREAM] = readable().createUsedStream();
    } else {
      body[B_STREAM] = readable().createBodyStream(body[B_SOURCE]);
      body[B_SOURCE] = undefined;
    }
  }
  return body[B_STREAM];
}

// Hands the body over to a new Request/Response (spec: the proxy stream), leaving the old
// owner with a used body.
function transferBody(body) {
  const moved = [body[B_SOURCE], body[B_STREAM], false, undefined];
  body[B_SOURCE] = undefined;
  body[B_STREAM] = null;
  body[B_USED] = true;
  return moved;
}

// Two bodies that read the same bytes. Sources are immutable (strings, Rust Bytes), so they
// are shared; user streams and streamed sources (readable once) need a real tee.
function cloneBody(body) {
  if (body[B_STREAM] === null && !isStreamHandle(body[B_SOURCE])) return newBody(body[B_SOURCE]);
  const source = readable().peekBodySource(bodyStream(body));
  if (source !== undefined && !isStreamHandle(source)) return newBody(source);
  const [branch1, branch2] = body[B_STREAM].tee();
  body[B_STREAM] = branch1;
  return newStreamBody(branch2);
}

function sourceText(source) {
  if (typeof source === "string") {
    return source.charCodeAt(0) === 0xfeff ? source.slice(1) : source;
  }
  return native.bodyText(source);
}

// Parsed from the bytes, with no string made of them (json/parse.rs); undefined when the
// decoded text must go to the builtin JSON.parse, to be parsed or rejected there.
function bodyJson(source) {
  const value = native.bodyJson(source);
  return value !== undefined ? value : BuiltinJSONParse(native.bodyText(source));
}

function sourceArrayBuffer(source) {
  return typeof source === "string" ? native.encode(source).buffer : native.bodyArrayBuffer(source);
}

function convertSource(source, kind) {
  switch (kind) {
    case KIND_TEXT:
      return sourceText(source);
    case KIND_JSON:
      return typeof source === "string" ? JSONParse(sourceText(source)) : bodyJson(source);
    case KIND_ARRAY_BUFFER:
      return sourceArrayBuffer(source);
    default:
      return new Uint8Array(sourceArrayBuffer(source));
  }
}

function convertChunks(chunks, kind) {
  if (kind === KIND_TEXT || kind === KIND_JSON) {
    return convertSource(native.bodyFromChunks(chunks), kind);
  }
  let total = 0;
  for (const chunk of chunks) total += chunk.byteLength;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return kind === KIND_ARRAY_BUFFER ? out.buffer : out;
}

// The body readers (text(), json(), arrayBuffer(), bytes()).
function consumeBody(body, kind) {
  let source;
  if (body === null) {
    source = "";
  } else if (bodyUnusable(body)) {
    return PromiseReject(new TypeError(BODY_USED_MESSAGE));
  } else if (body[B_STREAM] === null && !isStreamHandle(body[B_SOURCE])) {
    source = body[B_SOURCE];
    body[B_SOURCE] = undefined;
    body[B_USED] = true;
  } else if (body[B_STREAM] === null) {
    // A streamed source nobody made a stream of: read chunk by chunk, without one.
    return then(readHandleChunks(body), (chunks) => convertChunks(chunks, kind));
  } else if (isStreamHandle(readable().peekBodySource(body[B_STREAM]))) {
    return then(readable().readAllChunks(body[B_STREAM]), (chunks) => convertChunks(chunks, kind));
  } else {
    source = readable().takeBodySource(body[B_STREAM]);
    if (source === undefined) {
      return then(readable().readAllChunks(body[B_STREAM]), (chunks) => convertChunks(chunks, kind));
    }
  }
  try {
    return PromiseResolve(convertSource(source, kind));
  } catch (e) {
    return PromiseReject(e);
  }
}

// Reads a body's streamed source to its end (the body is used from now on). Until then the
// read can be aborted (abortBody): the handle is dropped and the promise rejects.
function readHandleChunks(body) {
  const handle = body[B_SOURCE];
  body[B_SOURCE] = undefined;
  body[B_USED] = true;
  const chunks = [];
  const { promise, resolve, reject } = deferred();
  let failed = false;
  body[B_ABORT_READ] = (reason) => {
    failed = true;
    body[B_ABORT_READ] = undefined;
    native.dropStreamHandle(handle);
    reject(reason);
  };
  const step = (chunk) => {
    if (failed) return;
    if (chunk === null) {
      body[B_ABORT_READ] = undefined;
      resolve(chunks);
      return;
    }
    chunks.push(chunk);
    then(readStreamChunk(handle), step, fail);
  };
  const fail = (e) => {
    if (failed) return;
    failed = true;
    body[B_ABORT_READ] = undefined;
    native.dropStreamHandle(handle);
    reject(e);
  };
  try {
    then(readStreamChunk(handle), step, fail);
  } catch (e) {
    fail(e);
  }
  return promise;
}

// True for a usable body whose bytes only a stream can give: a user stream, or a body that
// arrives from Rust in pieces.
function bodyNeedsDrain(body) {
  if (body === null || bodyUnusable(body)) return false;
  if (body[B_STREAM] === null) return isStreamHandle(body[B_SOURCE]);
  const source = readable().peekBodySource(body[B_STREAM]);
  return source === undefined || isStreamHandle(source);
}

// A user stream that is the body as it stands (not a body source turned into a stream).
function bodyUserStream(body) {
  if (body === null || body[B_STREAM] === null || bodyUnusable(body)) return undefined;
  return readable().peekBodySource(body[B_STREAM]) === undefined ? body[B_STREAM] : undefined;
}

// Takes the source for Rust, marking the body used. null for a null body.
function takeSourceForRust(body, what) {
  if (body === null) return null;
  if (bodyUnusable(body)) throw new TypeError(`${what}: ${BODY_USED_MESSAGE}`);
  if (body[B_STREAM] === null) {
    const source = body[B_SOURCE];
    body[B_SOURCE] = undefined;
    body[B_USED] = true;
    return source;
  }
  const source = readable().takeBodySource(body[B_STREAM]);
  if (source === undefined) {
    throw new TypeError(`${what}: the body stream has not been drained (internal error).`);
  }
  return source;
}

// "Extract a body" (keepalive false). Returns [body, contentType | null].
function extractBody(init) {
  if (typeof init === "string") return [newBody(toUSVString(init)), CONTENT_TYPE_TEXT];
  if (ArrayBufferIsView(init)) {
    return [newBody(native.bodyFromBuffer(init.buffer, init.byteOffset, init.byteLength)), null];
  }
  if (isObject(init)) {
    if (isReadableStream(init)) {
      if (readable().isStreamUnusable(init)) {
        throw new TypeError("The ReadableStream body is locked or has already been read.");
      }
      return [newStreamBody(init), null];
    }
    if (isURLSearchParams(init)) return [newBody(init.toString()), CONTENT_TYPE_FORM];
    // A Blob or FormData can only exist once their extra is loaded.
    if (extraLoaded("blob")) {
      const blobs = extra("blob");
      if (blobs.isBlob(init)) {
        const bytes = blobs.blobBytes(init);
        const type = init.type;
        return [
          newBody(native.bodyFromBuffer(bytes.buffer, bytes.byteOffset, bytes.byteLength)),
          type === "" ? null : type,
        ];
      }
      if (blobs.isFormData(init)) {
        const [bytes, contentType] = blobs.serializeFormData(init);
        return [newBody(native.bodyFromBuffer(bytes.buffer, bytes.byteOffset, bytes.byteLength)), contentType];
      }
    }
    if (isArrayBuffer(init)) {
      return [newBody(native.bodyFromBuffer(init, 0, init.byteLength)), null];
    }
  }
  return [newBody(toUSVString(init)), CONTENT_TYPE_TEXT];
}

// A body's Blob type: its Content-Type, lowercased, or "" (the Fetch Standard's "MIME type").
function blobContentType(headers) {
  const value = headers.get("content-type");
  return value === null ? "" : extra("blob").blobTypeOf(value);
}

function bodyBlob(body, headers) {
  return then(consumeBody(body, KIND_BYTES), (bytes) => extra("blob").makeBlob(bytes, blobContentType(headers)));
}

function bodyFormData(body, headers) {
  return then(consumeBody(body, KIND_BYTES), (bytes) => extra("blob").formDataFromBytes(bytes, headers.get("content-type")));
}

function addContentType(headers, contentType) {
  if (contentType !== null && !headersHas(headers, "content-type")) {
    headersAppendTrusted(headers, "content-type", contentType);
  }
}

const NORMALIZED_METHODS = new Set(["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"]);
const FORBIDDEN_METHODS = new Set(["CONNECT", "TRACE", "TRACK"]);
const REDIRECT_MODES = new Set(["follow", "error", "manual"]);

function normalizeMethod(value) {
  const method = toByteString(value, "Failed to construct 'Request'");
  if (!TOKEN.test(method)) {
    throw new TypeError(`Failed to construct 'Request': '${method}' is not a valid HTTP method.`);
  }
  const upper = method.toUpperCase();
  if (FORBIDDEN_METHODS.has(upper)) {
    throw new TypeError(`Failed to construct 'Request': '${method}' HTTP method is unsupported.`);
  }
  return NORMALIZED_METHODS.has(upper) ? upper : method;
}

// A request's or response's headers until someone reads `headers`: trusted [name, value, ...]
// pairs (made here, never mutated) or a Rust HeaderList handle (from the embedder). Most
// requests are routed and most responses sent without their headers ever being looked at in
// JavaScript, and a list that goes back to Rust untouched costs no conversion either way.
const EMPTY_HEADER_LIST = [];

function materializeHeaders(list, guard) {
  return ArrayIsArray(list) ? headersFromFlat(list, guard) : headersFromRust(list, guard);
}

// Request and Response keep their state in one array each, not in private fields: an array is
// one allocation where each private field is a property definition of its own (twice as fast to
// make, see bench/NOTES.md), and Rust makes and reads it for the requests and responses that
// cross into and out of a worker (src/message.rs: keep its S_* and B_* in step). For one Rust
// made, the array is made when it is first asked for.
// The first four slots mean the same in both.
const S_HEADERS = 0; // the Headers object, made on first use from the next two slots
const S_HEADER_LIST = 1; // until then: see materializeHeaders
const S_HEADER_GUARD = 2;
const S_BODY = 3; // a body record (see newBody) or null
// A Request's:
const S_METHOD = 4;
const S_URL = 5;
const S_REDIRECT = 6;
const S_SIGNAL = 7; // made on first read: most requests never look at their signal
const S_CF = 8; // Cloudflare's `cf` object given at construction, or undefined
// A Response's:
const S_STATUS = 4;
const S_STATUS_TEXT = 5;
const S_TYPE = 6;
const S_RESPONSE_URL = 7;
const S_REDIRECTED = 8;

function headersObject(state) {
  if (state[S_HEADERS] === null) {
    state[S_HEADERS] = materializeHeaders(state[S_HEADER_LIST], state[S_HEADER_GUARD]);
    state[S_HEADER_LIST] = EMPTY_HEADER_LIST;
  }
  return state[S_HEADERS];
}

// The headers as a list (what Rust takes, and what a copy may share): the list as it came,
// or the Headers object's pairs (or the Rust list it still reads: see headers.js's #rust).
function headerListOf(state) {
  return state[S_HEADERS] === null ? state[S_HEADER_LIST] : headersToFlat(state[S_HEADERS]);
}

// For clone(): a copy of `state`, with the same list while nobody made Headers of it (else a
// copy of the Headers) and a body that reads the same bytes.
function cloneState(state) {
  const headers = state[S_HEADERS];
  let copiedHeaders = null;
  if (headers !== null) {
    copiedHeaders = new Headers(headers);
    headersSetGuard(copiedHeaders, headersGuardOf(headers));
  }
  const body = state[S_BODY];
  return [
    copiedHeaders,
    state[S_HEADER_LIST],
    state[S_HEADER_GUARD],
    body === null ? null : cloneBody(body),
    state[4],
    state[5],
    state[6],
    state[7],
    state[8],
  ];
}

// Request and Response objects are instances of a Rust class (see src/message.rs) with the
// class's prototype, made by `newMessage(prototype, kind, state)`: Rust reads and writes `state`
// directly for the requests and responses that cross into and out of a worker, and makes it
// on the first call below for the ones it made itself. `messageState`
// is an object's state if it is of that kind (else undefined); `requestState`/`responseState`
// throw "Illegal invocation" instead. `requestSlot(request, S_METHOD or S_URL)` is that slot of
// the state, without making it.
const MESSAGE_REQUEST = 0;
const MESSAGE_RESPONSE = 1;
const { newMessage, messageState, requestState, requestSlot, responseState, textResponse } = native;

// The prototype of an object `new` makes for `newTarget` (a subclass, or Reflect.construct's
// third argument): its `prototype`, or the interface's own if that is not an object.
function prototypeFrom(newTarget, constructor) {
  const prototype = newTarget.prototype;
  return isObject(prototype) ? prototype : constructor.prototype;
}

// text(), json(), arrayBuffer(), bytes(): a promise, rejected when `self` is not a `kind`.
function readBody(self, kind, as) {
  const state = messageState(self, kind);
  return state === undefined ? rejectIllegal() : consumeBody(state[S_BODY], as);
}

let isRequest;
let requestInternals; // for requestParts/prepareRequest

class Request {
  constructor(input, init = undefined) {
    // WebIDL's GetPrototypeFromConstructor, before any other step.
    const prototype = prototypeFrom(new.target, Request);
    requireArgs(arguments.length, 1, "Failed to construct 'Request'");
    init = dictionary(init, "Failed to construct 'Request'");
    let inputState = messageState(input, MESSAGE_REQUEST) ?? null;
    let url;
    let method = "GET";
    let redirect = "follow";
    let signal = null;
    let cf;
    if (inputState !== null) {
      url = inputState[S_URL];
      method = inputState[S_METHOD];
      redirect = inputState[S_REDIRECT];
      if (inputState[S_SIGNAL] !== null) signal = followingSignal(inputState[S_SIGNAL]);
      cf = inputState[S_CF];
    } else {
      const href = toUSVString(input);
      const record = native.urlParse(href);
      if (record === null) throw new TypeError(`Failed to construct 'Request': Invalid URL: ${href}`);
      if (record[R_USERNAME] !== "" || record[R_PASSWORD] !== "") {
        throw new TypeError(
          `Failed to construct 'Request': Request cannot be constructed from a URL that includes credentials: ${href}`,
        );
      }
      url = record[R_HREF];
    }

    // Dictionary members, read in WebIDL (lexicographic) order.
    let initBody, initHeaders;
    if (init !== undefined) {
      initBody = init.body;
      const initCf = init.cf;
      if (initCf !== undefined) cf = initCf;
      const duplex = init.duplex;
      if (duplex !== undefined && toDOMString(duplex) !== "half") {
        throw new TypeError(
          `Failed to construct 'Request': The provided value '${duplex}' is not a valid enum value of type RequestDuplex.`,
        );
      }
      initHeaders = init.headers;
      const initMethod = init.method;
      if (initMethod !== undefined) method = normalizeMethod(initMethod);
      const initRedirect = init.redirect;
      if (initRedirect !== undefined) {
        const mode = toDOMString(initRedirect);
        if (!REDIRECT_MODES.has(mode)) {
          throw new TypeError(
            `Failed to construct 'Request': The provided value '${mode}' is not a valid enum value of type RequestRedirect.`,
          );
        }
        redirect = mode;
      }
      const initSignal = init.signal;
      if (initSignal !== undefined && initSignal !== null) {
        if (!isAbortSignal(initSignal)) {
          throw new TypeError(
            "Failed to construct 'Request': member signal is not of type AbortSignal.",
          );
        }
        signal = followingSignal(initSignal);
      } else if (initSignal === null) {
        signal = null;
      }
    }

    let headers = null;
    if (initHeaders !== undefined) {
      headers = new Headers();
      headersFill(headers, initHeaders);
    }

    const inputBody = inputState === null ? null : inputState[S_BODY];
    const hasInitBody = initBody !== undefined && initBody !== null;
    if ((hasInitBody || inputBody !== null) && (method === "GET" || method === "HEAD")) {
      throw new TypeError("Failed to construct 'Request': Request with GET/HEAD method cannot have body.");
    }
    let body = null;
    let contentType = null;
    if (hasInitBody) {
      [body, contentType] = extractBody(initBody);
    }
    let headerList = EMPTY_HEADER_LIST;
    if (headers !== null) {
      addContentType(headers, contentType);
    } else if (contentType === null) {
      // Nothing to add: share the input's list (never mutated) or start empty.
      if (inputState !== null) headerList = headerListOf(inputState);
    } else if (inputState === null) {
      headerList = ["content-type", contentType];
    } else {
      headers = new Headers();
      headersFill(headers, headersObject(inputState));
      addContentType(headers, contentType);
    }
    if (!hasInitBody && inputBody !== null) {
      if (bodyUnusable(inputBody)) {
        throw new TypeError(
          "Failed to construct 'Request': Cannot construct a Request with a Request object that has already been used.",
        );
      }
      body = transferBody(inputBody);
    }
    // [headers, headerList, headerGuard, body, method, url, redirect, signal, cf]: see S_*.
    return newMessage(prototype, MESSAGE_REQUEST, [
      headers,
      headerList,
      GUARD_NONE,
      body,
      method,
      url,
      redirect,
      signal,
      cf,
    ]);
  }

  // Read without making the state of a request from Rust (a router reads its URL).
  get method() {
    return requestSlot(this, S_METHOD);
  }

  get url() {
    return requestSlot(this, S_URL);
  }

  get headers() {
    return headersObject(requestState(this));
  }

  get redirect() {
    return requestState(this)[S_REDIRECT];
  }

  get signal() {
    const state = requestState(this);
    if (state[S_SIGNAL] === null) state[S_SIGNAL] = newAbortSignal();
    return state[S_SIGNAL];
  }

  get cf() {
    return requestState(this)[S_CF];
  }

  get body() {
    const body = requestState(this)[S_BODY];
    return body === null ? null : bodyStream(body);
  }

  get bodyUsed() {
    const body = requestState(this)[S_BODY];
    return body !== null && bodyIsUsed(body);
  }

  clone() {
    const state = requestState(this);
    if (state[S_BODY] !== null && bodyUnusable(state[S_BODY])) {
      throw new TypeError("Failed to execute 'clone' on 'Request': Request body is already used");
    }
    const copied = cloneState(state);
    if (state[S_SIGNAL] !== null) copied[S_SIGNAL] = followingSignal(state[S_SIGNAL]);
    return newMessage(Request.prototype, MESSAGE_REQUEST, copied);
  }

  text() {
    return readBody(this, MESSAGE_REQUEST, KIND_TEXT);
  }

  json() {
    return readBody(this, MESSAGE_REQUEST, KIND_JSON);
  }

  arrayBuffer() {
    return readBody(this, MESSAGE_REQUEST, KIND_ARRAY_BUFFER);
  }

  bytes() {
    return readBody(this, MESSAGE_REQUEST, KIND_BYTES);
  }

  blob() {
    const state = messageState(this, MESSAGE_REQUEST);
    if (state === undefined) return rejectIllegal();
    return bodyBlob(state[S_BODY], headersObject(state));
  }

  formData() {
    const state = messageState(this, MESSAGE_REQUEST);
    if (state === undefined) return rejectIllegal();
    return bodyFormData(state[S_BODY], headersObject(state));
  }

  [inspectSymbol]() {
    const state = requestState(this);
    const out = {
      method: state[S_METHOD],
      url: state[S_URL],
      headers: headersObject(state),
      redirect: state[S_REDIRECT],
      bodyUsed: this.bodyUsed,
    };
    if (state[S_CF] !== undefined) out.cf = state[S_CF];
    return out;
  }

  static {
    isRequest = (value) => messageState(value, MESSAGE_REQUEST) !== undefined;
    requestInternals = {
      // A user stream body not yet drained, which RPC streams instead of buffering.
      undrainedStream(req) {
        const body = messageState(req, MESSAGE_REQUEST)[S_BODY];
        return bodyNeedsDrain(body) ? bodyStream(body) : undefined;
      },
      // As responseParts: a user stream goes to Rust as the stream itself (the embedder pumps
      // it), anything else as its source.
      parts(req) {
        const state = messageState(req, MESSAGE_REQUEST);
        if (state === undefined) throw new TypeError("Expected a Request object.");
        const stream = bodyUserStream(state[S_BODY]);
        const source = stream ?? takeSourceForRust(state[S_BODY], "Request");
        return [state[S_METHOD], state[S_URL], headerListOf(state), source];
      },
      body(req) {
        return messageState(req, MESSAGE_REQUEST)[S_BODY];
      },
      // The request's signal if it has one that could ever abort (null: it has none yet, so
      // nothing can abort it).
      signal(req) {
        const state = messageState(req, MESSAGE_REQUEST);
        return state === undefined ? null : state[S_SIGNAL];
      },
    };
  }
}
finishInterface(Request);

function rejectIllegal() {
  return PromiseReject(new TypeError("Illegal invocation"));
}

// The Fetch Standard's null body statuses (message.rs's response_from_rust has the same list).
function isNullBodyStatus(status) {
  return status === 204 || status === 304 || status === 205 || status === 101 || status === 103;
}
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const REASON_PHRASE = /^[\t\x20-\x7e\x80-\xff]*$/;

// WebIDL `unsigned short` (no [EnforceRange]): ToNumber, truncate, modulo 2^16.
function toUnsignedShort(value) {
  const n = +value;
  if (!Number.isFinite(n)) return 0;
  const t = Math.trunc(n) % 65536;
  return t < 0 ? t + 65536 : t;
}

let isResponse;
let responseInternals;

class Response {
  constructor(body = null, init = undefined) {
    // A worker's `new Response(text)` with nothing else, what most handlers return, does not
    // reach here: the global Response makes it in Rust (response_constructor in message.rs),
    // with the state the steps below would give it.
    const prototype = prototypeFrom(new.target, Response);
    init = dictionary(init, "Failed to construct 'Response'");
    let extracted = null;
    if (body !== null && body !== undefined) extracted = extractBody(body);
    // [headers, headerList, headerGuard, body, status, statusText, type, url, redirected]: see
    // S_* above Request.
    const state = initialResponseState(init, extracted, "Failed to construct 'Response'");
    return newMessage(prototype, MESSAGE_RESPONSE, state);
  }

  static error() {
    const state = [null, EMPTY_HEADER_LIST, GUARD_IMMUTABLE, null, 0, "", "error", "", false];
    return newMessage(Response.prototype, MESSAGE_RESPONSE, state);
  }

  static redirect(url, status = 302) {
    requireArgs(arguments.length, 1, "Failed to execute 'redirect' on 'Response'");
    const href = toUSVString(url);
    const record = native.urlParse(href);
    if (record === null) {
      throw new TypeError(`Failed to execute 'redirect' on 'Response': Invalid URL: ${href}`);
    }
    status = toUnsignedShort(status);
    if (!REDIRECT_STATUSES.has(status)) {
      throw new RangeError(`Failed to execute 'redirect' on 'Response': Invalid status code ${status}`);
    }
    const headerList = ["location", record[R_HREF]];
    const state = [null, headerList, GUARD_IMMUTABLE, null, status, "", "default", "", false];
    return newMessage(Response.prototype, MESSAGE_RESPONSE, state);
  }

  static json(data, init = undefined) {
    requireArgs(arguments.length, 1, "Failed to execute 'json' on 'Response'");
    init = dictionary(init, "Failed to execute 'json' on 'Response'");
    const text = JSONStringify(data);
    if (text === undefined) {
      throw new TypeError("Failed to execute 'json' on 'Response': The data is not JSON serializable");
    }
    // Made in one call into Rust, as `new Response(text)` is (response_constructor); undefined
    // for long text or text that is not well-formed UTF-16, which the steps below take.
    if (init === undefined) {
      const response = textResponse(Response.prototype, text, true);
      if (response !== undefined) return response;
    }
    // The spec encodes the text as UTF-8: a lone surrogate (only JSON.rawJSON can put one
    // there) becomes U+FFFD, as it does for `new Response(text)`.
    const extracted = [newBody(toUSVString(text)), CONTENT_TYPE_JSON];
    const state = initialResponseState(init, extracted, "Failed to execute 'json' on 'Response'");
    return newMessage(Response.prototype, MESSAGE_RESPONSE, state);
  }

  get type() {
    return responseState(this)[S_TYPE];
  }

  get url() {
    return responseState(this)[S_RESPONSE_URL];
  }

  get redirected() {
    return responseState(this)[S_REDIRECTED];
  }

  get status() {
    return responseState(this)[S_STATUS];
  }

  get ok() {
    const status = responseState(this)[S_STATUS];
    return status >= 200 && status <= 299;
  }

  get statusText() {
    return responseState(this)[S_STATUS_TEXT];
  }

  get headers() {
    return headersObject(responseState(this));
  }

  get body() {
    const body = responseState(this)[S_BODY];
    return body === null ? null : bodyStream(body);
  }

  get bodyUsed() {
    const body = responseState(this)[S_BODY];
    return body !== null && bodyIsUsed(body);
  }

  clone() {
    const state = responseState(this);
    if (state[S_BODY] !== null && bodyUnusable(state[S_BODY])) {
      throw new TypeError("Failed to execute 'clone' on 'Response': Response body is already used");
    }
    return newMessage(Response.prototype, MESSAGE_RESPONSE, cloneState(state));
  }

  text() {
    return readBody(this, MESSAGE_RESPONSE, KIND_TEXT);
  }

  json() {
    return readBody(this, MESSAGE_RESPONSE, KIND_JSON);
  }

  arrayBuffer() {
    return readBody(this, MESSAGE_RESPONSE, KIND_ARRAY_BUFFER);
  }

  bytes() {
    return readBody(this, MESSAGE_RESPONSE, KIND_BYTES);
  }

  blob() {
    const state = messageState(this, MESSAGE_RESPONSE);
    if (state === undefined) return rejectIllegal();
    return bodyBlob(state[S_BODY], headersObject(state));
  }

  formData() {
    const state = messageState(this, MESSAGE_RESPONSE);
    if (state === undefined) return rejectIllegal();
    return bodyFormData(state[S_BODY], headersObject(state));
  }

  [inspectSymbol]() {
    const state = responseState(this);
    return {
      status: state[S_STATUS],
      statusText: state[S_STATUS_TEXT],
      ok: this.ok,
      headers: headersObject(state),
      bodyUsed: this.bodyUsed,
      type: state[S_TYPE],
      url: state[S_RESPONSE_URL],
      redirected: false,
    };
  }

  static {
    isResponse = (value) => messageState(value, MESSAGE_RESPONSE) !== undefined;
    responseInternals = {
      undrainedStream(res) {
        const body = messageState(res, MESSAGE_RESPONSE)[S_BODY];
        return bodyNeedsDrain(body) ? bodyStream(body) : undefined;
      },
      body(res) {
        return messageState(res, MESSAGE_RESPONSE)[S_BODY];
      },
      // A response from the network: where it finally came from.
      setUrl(res, url, redirected) {
        const state = messageState(res, MESSAGE_RESPONSE);
        state[S_RESPONSE_URL] = url;
        state[S_REDIRECTED] = redirected;
        return res;
      },
      // null when `res` is not a Response (the caller decides whether that is an error).
      parts(res) {
        const state = messageState(res, MESSAGE_RESPONSE);
        if (state === undefined) return null;
        if (state[S_TYPE] === "error") {
          throw new TypeError("Return value from serve handler must not be an error response (like Response.error())");
        }
        // A user stream goes to Rust as the stream itself, which the embedder pumps chunk by
        // chunk; a streamed source from Rust goes back whole, untouched.
        const headers = headerListOf(state);
        const stream = bodyUserStream(state[S_BODY]);
        if (stream !== undefined) return [state[S_STATUS], headers, stream];
        const source = takeSourceForRust(state[S_BODY], "Response");
        return [state[S_STATUS], headers, source];
      },
      // The fetch was aborted after its response arrived: the body still arriving errors.
      abortBody(res, reason) {
        const body = messageState(res, MESSAGE_RESPONSE)[S_BODY];
        if (body === null) return;
        if (body[B_ABORT_READ] !== undefined) {
          body[B_ABORT_READ](reason);
          return;
        }
        // Done reading (or read by nobody yet): nothing to abort unless a stream is reading.
        if (body[B_STREAM] === null && body[B_USED]) return;
        const stream = bodyStream(body);
        const record = readable().streamRecordOf(stream);
        if (record.state === "readable") readable().controllerError(record.controller, reason);
      },
    };
  }
}
finishInterface(Response);

// "Initialize a response" (the constructor's tail, shared with Response.json): a Response's
// state from `init` and the extracted body ([body, contentType] or null).
function initialResponseState(init, extracted, where) {
  let status = 200;
  let statusText = "";
  let headersInit;
  if (init !== undefined) {
    headersInit = init.headers;
    const s = init.status;
    if (s !== undefined) status = toUnsignedShort(s);
    const t = init.statusText;
    if (t !== undefined) statusText = toByteString(t, where);
  }
  if (status < 200 || status > 599) {
    throw new RangeError(`${where}: The status provided (${status}) is outside the range [200, 599].`);
  }
  if (statusText !== "" && !REASON_PHRASE.test(statusText)) {
    throw new TypeError(`${where}: Invalid statusText`);
  }
  let headers = null;
  if (headersInit !== undefined) {
    headers = new Headers();
    headersFill(headers, headersInit);
  }
  if (extracted !== null && isNullBodyStatus(status)) {
    throw new TypeError(`${where}: Response with null body status cannot have body`);
  }
  const contentType = extracted === null ? null : extracted[1];
  // The common `new Response(text)`: a list, made into Headers only if someone looks.
  let headerList = EMPTY_HEADER_LIST;
  if (headers !== null) addContentType(headers, contentType);
  else if (contentType !== null) headerList = ["content-type", contentType];
  const body = extracted === null ? null : extracted[0];
  return [headers, headerList, GUARD_NONE, body, status, statusText, "default", "", false];
}

// The Request that fetch(input, init) sends, or a thrown TypeError. A Request given alone is
// sent as it is: the copy `new Request(input)` would make differs from it only in being a new
// object (taking the body marks the input used either way, and the copy's signal follows the
// input's). A stream body is not read here: the embedder streams it (see requestParts).
function prepareRequest(input, init) {
  const req =
    init === undefined ? (isRequest(input) ? input : new Request(input)) : new Request(input, init);
  const body = requestInternals.body(req);
  if (body !== null && bodyUnusable(body)) throw new TypeError(BODY_USED_MESSAGE);
  return req;
}

// A handler's result: a Response whose body is usable. Stream bodies are not read here; the
// embedder streams them (see responseParts).
function finalizeResponse(value) {
  if (isResponse(value)) return checkResponseBody(value);
  return then(PromiseResolve(value), finalizeResolved);
}

function finalizeResolved(res) {
  if (!isResponse(res)) {
    throw new TypeError("Incorrect type for Promise: the Promise did not resolve to 'Response'.");
  }
  return checkResponseBody(res);
}

function checkResponseBody(res) {
  const body = responseInternals.body(res);
  return body !== null && bodyUnusable(body)
    ? PromiseReject(new TypeError(BODY_USED_MESSAGE))
    : PromiseResolve(res);
}
