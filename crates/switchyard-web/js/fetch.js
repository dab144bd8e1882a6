// Fetch Standard: Request, Response and the Body mixin, plus the functions the Rust side calls
// (makeRequest, requestParts, prepareRequest, ...).
//
// A body is a small record: { source, stream, used }.
//   source: a string (kept as given, made well-formed) or a BodyBytes handle (Rust-owned
//           Bytes; JS BufferSources are copied into one at construction, as the spec copies
//           them). undefined once consumed or handed to a stream.
//   stream: the ReadableStream, created lazily by the `body` getter (then owning the source)
//           or given by the user.
//   used:   consumed without a stream (text() etc. on a source) or transferred away.
// A null body is `null` instead of a record.

const BODY_USED_MESSAGE =
  "Body has already been used. It can only be used once. Use tee() first if you need to read it twice.";
const CONTENT_TYPE_TEXT = "text/plain;charset=UTF-8";
const CONTENT_TYPE_FORM = "application/x-www-form-urlencoded;charset=UTF-8";
const CONTENT_TYPE_JSON = "application/json";

const KIND_TEXT = 0;
const KIND_JSON = 1;
const KIND_ARRAY_BUFFER = 2;
const KIND_BYTES = 3;

// abortRead: set while readHandleChunks reads the source (see there).
function newBody(source) {
  return { source, stream: null, used: false, abortRead: undefined };
}

function newStreamBody(stream) {
  return { source: undefined, stream, used: false, abortRead: undefined };
}

// The spec's bodyUsed: the stream is disturbed (here also: consumed without a stream).
function bodyIsUsed(body) {
  return body.used || (body.stream !== null && readable().streamRecordOf(body.stream).disturbed);
}

// The spec's "unusable": disturbed or locked.
function bodyUnusable(body) {
  return body.used || (body.stream !== null && readable().isStreamUnusable(body.stream));
}

function bodyStream(body) {
  if (body.stream === null) {
    if (body.used) {
      body.stream = readable().createUsedStream();
    } else {
      body.stream = readable().createBodyStream(body.source);
      body.source = undefined;
    }
  }
  return body.stream;
}

// Hands the body over to a new Request/Response (spec: the proxy stream), leaving the old
// owner with a used body.
function transferBody(body) {
  const moved = { source: body.source, stream: body.stream, used: false, abortRead: undefined };
  body.source = undefined;
  body.stream = null;
  body.used = true;
  return moved;
}

// Two bodies that read the same bytes. Sources are immutable (strings, Rust Bytes), so they
// are shared; user streams and streamed sources (readable once) need a real tee.
function cloneBody(body) {
  if (body.stream === null && !isStreamHandle(body.source)) return newBody(body.source);
  const source = readable().peekBodySource(bodyStream(body));
  if (source !== undefined && !isStreamHandle(source)) return newBody(source);
  const [branch1, branch2] = body.stream.tee();
  body.stream = branch1;
  return newStreamBody(branch2);
}

function sourceText(source) {
  if (typeof source === "string") {
    return source.charCodeAt(0) === 0xfeff ? source.slice(1) : source;
  }
  return native.bodyText(source);
}

function sourceArrayBuffer(source) {
  return typeof source === "string" ? native.encode(source).buffer : native.bodyArrayBuffer(source);
}

function convertSource(source, kind) {
  switch (kind) {
    case KIND_TEXT:
      return sourceText(source);
    case KIND_JSON:
      return JSONParse(sourceText(source));
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
  } else if (body.stream === null && !isStreamHandle(body.source)) {
    source = body.source;
    body.source = undefined;
    body.used = true;
  } else if (body.stream === null) {
    // A streamed source nobody made a stream of: read chunk by chunk, without one.
    return then(readHandleChunks(body), (chunks) => convertChunks(chunks, kind));
  } else if (isStreamHandle(readable().peekBodySource(body.stream))) {
    return then(readable().readAllChunks(body.stream), (chunks) => convertChunks(chunks, kind));
  } else {
    source = readable().takeBodySource(body.stream);
    if (source === undefined) {
      return then(readable().readAllChunks(body.stream), (chunks) => convertChunks(chunks, kind));
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
  const handle = body.source;
  body.source = undefined;
  body.used = true;
  const chunks = [];
  const { promise, resolve, reject } = deferred();
  let failed = false;
  body.abortRead = (reason) => {
    failed = true;
    body.abortRead = undefined;
    native.dropStreamHandle(handle);
    reject(reason);
  };
  const step = (chunk) => {
    if (failed) return;
    if (chunk === null) {
      body.abortRead = undefined;
      resolve(chunks);
      return;
    }
    chunks.push(chunk);
    then(readStreamChunk(handle), step, fail);
  };
  const fail = (e) => {
    if (failed) return;
    failed = true;
    body.abortRead = undefined;
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
  if (body.stream === null) return isStreamHandle(body.source);
  const source = readable().peekBodySource(body.stream);
  return source === undefined || isStreamHandle(source);
}

// A user stream that is the body as it stands (not a body source turned into a stream).
function bodyUserStream(body) {
  if (body === null || body.stream === null || bodyUnusable(body)) return undefined;
  return readable().peekBodySource(body.stream) === undefined ? body.stream : undefined;
}

// Takes the source for Rust, marking the body used. null for a null body.
function takeSourceForRust(body, what) {
  if (body === null) return null;
  if (bodyUnusable(body)) throw new TypeError(`${what}: ${BODY_USED_MESSAGE}`);
  if (body.stream === null) {
    const source = body.source;
    body.source = undefined;
    body.used = true;
    return source;
  }
  const source = readable().takeBodySource(body.stream);
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
  return headersFromFlat(ArrayIsArray(list) ? list : native.headerListFlat(list), guard);
}

let isRequest;
let requestInternals; // for makeRequest/requestParts/prepareRequest

class Request {
  #method = "GET";
  #url = "";
  // The Headers object, made on first use from #headerList (see materializeHeaders).
  #headers = null;
  #headerList = EMPTY_HEADER_LIST;
  #headerGuard = GUARD_NONE;
  #redirect = "follow";
  // Made on first read: most requests never look at their signal.
  #signal = null;
  #cf = undefined;
  #body = null;

  constructor(input, init = undefined) {
    if (input === INTERNAL) return;
    requireArgs(arguments.length, 1, "Failed to construct 'Request'");
    init = dictionary(init, "Failed to construct 'Request'");
    let inputRequest = null;
    if (isObject(input) && #method in input) {
      inputRequest = input;
      this.#url = input.#url;
      this.#method = input.#method;
      this.#redirect = input.#redirect;
      if (input.#signal !== null) this.#signal = followingSignal(input.#signal);
      this.#cf = input.#cf;
    } else {
      const url = toUSVString(input);
      const record = native.urlParse(url);
      if (record === null) throw new TypeError(`Failed to construct 'Request': Invalid URL: ${url}`);
      if (record[R_USERNAME] !== "" || record[R_PASSWORD] !== "") {
        throw new TypeError(
          `Failed to construct 'Request': Request cannot be constructed from a URL that includes credentials: ${url}`,
        );
      }
      this.#url = record[R_HREF];
    }

    // Dictionary members, read in WebIDL (lexicographic) order.
    let initBody, initHeaders;
    if (init !== undefined) {
      initBody = init.body;
      const cf = init.cf;
      if (cf !== undefined) this.#cf = cf;
      const duplex = init.duplex;
      if (duplex !== undefined && toDOMString(duplex) !== "half") {
        throw new TypeError(
          `Failed to construct 'Request': The provided value '${duplex}' is not a valid enum value of type RequestDuplex.`,
        );
      }
      initHeaders = init.headers;
      const method = init.method;
      if (method !== undefined) this.#method = normalizeMethod(method);
      const redirect = init.redirect;
      if (redirect !== undefined) {
        const mode = toDOMString(redirect);
        if (!REDIRECT_MODES.has(mode)) {
          throw new TypeError(
            `Failed to construct 'Request': The provided value '${mode}' is not a valid enum value of type RequestRedirect.`,
          );
        }
        this.#redirect = mode;
      }
      const signal = init.signal;
      if (signal !== undefined && signal !== null) {
        if (!isAbortSignal(signal)) {
          throw new TypeError(
            "Failed to construct 'Request': member signal is not of type AbortSignal.",
          );
        }
        this.#signal = followingSignal(signal);
      } else if (signal === null) {
        this.#signal = null;
      }
    }

    let headers = null;
    if (initHeaders !== undefined) {
      headers = new Headers();
      headersFill(headers, initHeaders);
    }

    const inputBody = inputRequest === null ? null : inputRequest.#body;
    const hasInitBody = initBody !== undefined && initBody !== null;
    if ((hasInitBody || inputBody !== null) && (this.#method === "GET" || this.#method === "HEAD")) {
      throw new TypeError("Failed to construct 'Request': Request with GET/HEAD method cannot have body.");
    }
    let contentType = null;
    if (hasInitBody) {
      const [body, type] = extractBody(initBody);
      this.#body = body;
      contentType = type;
    }
    if (headers !== null) {
      addContentType(headers, contentType);
      this.#headers = headers;
    } else if (contentType === null) {
      // Nothing to add: share the input's list (never mutated) or start empty.
      if (inputRequest === null) this.#headerList = EMPTY_HEADER_LIST;
      else if (inputRequest.#headers === null) this.#headerList = inputRequest.#headerList;
      else this.#headerList = headersToFlat(inputRequest.#headers);
    } else if (inputRequest === null) {
      this.#headerList = ["content-type", contentType];
    } else {
      headers = new Headers();
      headersFill(headers, inputRequest.#headersObject());
      addContentType(headers, contentType);
      this.#headers = headers;
    }
    if (!hasInitBody && inputBody !== null) {
      if (bodyUnusable(inputBody)) {
        throw new TypeError(
          "Failed to construct 'Request': Cannot construct a Request with a Request object that has already been used.",
        );
      }
      this.#body = transferBody(inputBody);
    }
  }

  get method() {
    return this.#method;
  }

  get url() {
    return this.#url;
  }

  get headers() {
    if (!(#method in this)) illegalInvocation();
    return this.#headersObject();
  }

  #headersObject() {
    if (this.#headers === null) {
      this.#headers = materializeHeaders(this.#headerList, this.#headerGuard);
      this.#headerList = EMPTY_HEADER_LIST;
    }
    return this.#headers;
  }

  get redirect() {
    return this.#redirect;
  }

  get signal() {
    if (!(#method in this)) illegalInvocation();
    if (this.#signal === null) this.#signal = newAbortSignal();
    return this.#signal;
  }

  // Cloudflare extension: the `cf` object given at construction (or undefined).
  get cf() {
    return this.#cf;
  }

  get body() {
    return this.#body === null ? null : bodyStream(this.#body);
  }

  get bodyUsed() {
    return this.#body !== null && bodyIsUsed(this.#body);
  }

  clone() {
    if (this.#body !== null && bodyUnusable(this.#body)) {
      throw new TypeError("Failed to execute 'clone' on 'Request': Request body is already used");
    }
    const copy = new Request(INTERNAL);
    copy.#method = this.#method;
    copy.#url = this.#url;
    if (this.#headers === null) {
      copy.#headerList = this.#headerList;
      copy.#headerGuard = this.#headerGuard;
    } else {
      copy.#headers = new Headers(this.#headers);
      headersSetGuard(copy.#headers, headersGuardOf(this.#headers));
    }
    copy.#redirect = this.#redirect;
    if (this.#signal !== null) copy.#signal = followingSignal(this.#signal);
    copy.#cf = this.#cf;
    copy.#body = this.#body === null ? null : cloneBody(this.#body);
    return copy;
  }

  text() {
    return isRequest(this) ? consumeBody(this.#body, KIND_TEXT) : rejectIllegal();
  }

  json() {
    return isRequest(this) ? consumeBody(this.#body, KIND_JSON) : rejectIllegal();
  }

  arrayBuffer() {
    return isRequest(this) ? consumeBody(this.#body, KIND_ARRAY_BUFFER) : rejectIllegal();
  }

  bytes() {
    return isRequest(this) ? consumeBody(this.#body, KIND_BYTES) : rejectIllegal();
  }

  blob() {
    if (!isRequest(this)) return rejectIllegal();
    return bodyBlob(this.#body, this.#headersObject());
  }

  formData() {
    if (!isRequest(this)) return rejectIllegal();
    return bodyFormData(this.#body, this.#headersObject());
  }

  [inspectSymbol]() {
    const out = {
      method: this.#method,
      url: this.#url,
      headers: this.#headersObject(),
      redirect: this.#redirect,
      bodyUsed: this.bodyUsed,
    };
    if (this.#cf !== undefined) out.cf = this.#cf;
    return out;
  }

  static {
    isRequest = (value) => isObject(value) && #method in value;
    requestInternals = {
      make(method, url, headerList, handle) {
        const req = new Request(INTERNAL);
        req.#method = method;
        req.#url = url;
        req.#headerList = headerList;
        req.#headerGuard = GUARD_IMMUTABLE;
        // The spec does not allow GET/HEAD requests with a body; such a body (rare on the
        // wire) is dropped so `new Request(request, init)` keeps working.
        req.#body = handle === null || method === "GET" || method === "HEAD" ? null : newBody(handle);
        return req;
      },
      // A user stream body not yet drained, which RPC streams instead of buffering.
      undrainedStream(req) {
        return bodyNeedsDrain(req.#body) ? bodyStream(req.#body) : undefined;
      },
      // As responseParts: a user stream goes to Rust as the stream itself (the embedder pumps
      // it), anything else as its source.
      parts(req) {
        if (!isRequest(req)) throw new TypeError("Expected a Request object.");
        const stream = bodyUserStream(req.#body);
        const source = stream ?? takeSourceForRust(req.#body, "Request");
        const headers = req.#headers === null ? req.#headerList : headersToFlat(req.#headers);
        return [req.#method, req.#url, headers, source];
      },
      body(req) {
        return req.#body;
      },
      // The request's signal if it has one that could ever abort (null: it has none yet, so
      // nothing can abort it).
      signal(req) {
        return isRequest(req) ? req.#signal : null;
      },
    };
  }
}
finishInterface(Request);

function rejectIllegal() {
  return PromiseReject(new TypeError("Illegal invocation"));
}

const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);
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
  #status = 200;
  #statusText = "";
  // As Request's: a Headers object made on first use from #headerList.
  #headers = null;
  #headerList = EMPTY_HEADER_LIST;
  #headerGuard = GUARD_NONE;
  #type = "default";
  #url = "";
  #redirected = false;
  #body = null;

  constructor(body = null, init = undefined) {
    if (body === INTERNAL) return;
    init = dictionary(init, "Failed to construct 'Response'");
    let extracted = null;
    if (body !== null && body !== undefined) extracted = extractBody(body);
    this.#initialize(init, extracted, "Failed to construct 'Response'");
  }

  // "Initialize a response" (the tail of the constructor, shared with Response.json).
  #initialize(init, extracted, where) {
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
      throw new RangeError(
        `${where}: The status provided (${status}) is outside the range [200, 599].`,
      );
    }
    if (statusText !== "" && !REASON_PHRASE.test(statusText)) {
      throw new TypeError(`${where}: Invalid statusText`);
    }
    this.#status = status;
    this.#statusText = statusText;
    let headers = null;
    if (headersInit !== undefined) {
      headers = new Headers();
      headersFill(headers, headersInit);
    }
    if (extracted !== null && NULL_BODY_STATUSES.has(status)) {
      throw new TypeError(`${where}: Response with null body status cannot have body`);
    }
    const contentType = extracted === null ? null : extracted[1];
    if (headers !== null) {
      addContentType(headers, contentType);
      this.#headers = headers;
    } else {
      // The common `new Response(text)`: a list, made into Headers only if someone looks.
      this.#headerList = contentType === null ? EMPTY_HEADER_LIST : ["content-type", contentType];
    }
    if (extracted !== null) this.#body = extracted[0];
  }

  static error() {
    const res = new Response(INTERNAL);
    res.#status = 0;
    res.#type = "error";
    res.#headerGuard = GUARD_IMMUTABLE;
    return res;
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
    const res = new Response(INTERNAL);
    res.#status = status;
    res.#headerList = ["location", record[R_HREF]];
    res.#headerGuard = GUARD_IMMUTABLE;
    return res;
  }

  static json(data, init = undefined) {
    requireArgs(arguments.length, 1, "Failed to execute 'json' on 'Response'");
    init = dictionary(init, "Failed to execute 'json' on 'Response'");
    const text = JSONStringify(data);
    if (text === undefined) {
      throw new TypeError("Failed to execute 'json' on 'Response': The data is not JSON serializable");
    }
    const res = new Response(INTERNAL);
    res.#initialize(init, [newBody(text), CONTENT_TYPE_JSON], "Failed to execute 'json' on 'Response'");
    return res;
  }

  get type() {
    return this.#type;
  }

  get url() {
    return this.#url;
  }

  get redirected() {
    return this.#redirected;
  }

  get status() {
    return this.#status;
  }

  get ok() {
    return this.#status >= 200 && this.#status <= 299;
  }

  get statusText() {
    return this.#statusText;
  }

  get headers() {
    if (!(#status in this)) illegalInvocation();
    return this.#headersObject();
  }

  #headersObject() {
    if (this.#headers === null) {
      this.#headers = materializeHeaders(this.#headerList, this.#headerGuard);
      this.#headerList = EMPTY_HEADER_LIST;
    }
    return this.#headers;
  }

  get body() {
    return this.#body === null ? null : bodyStream(this.#body);
  }

  get bodyUsed() {
    return this.#body !== null && bodyIsUsed(this.#body);
  }

  clone() {
    if (this.#body !== null && bodyUnusable(this.#body)) {
      throw new TypeError("Failed to execute 'clone' on 'Response': Response body is already used");
    }
    const copy = new Response(INTERNAL);
    copy.#status = this.#status;
    copy.#statusText = this.#statusText;
    if (this.#headers === null) {
      copy.#headerList = this.#headerList;
      copy.#headerGuard = this.#headerGuard;
    } else {
      copy.#headers = new Headers(this.#headers);
      headersSetGuard(copy.#headers, headersGuardOf(this.#headers));
    }
    copy.#type = this.#type;
    copy.#url = this.#url;
    copy.#redirected = this.#redirected;
    copy.#body = this.#body === null ? null : cloneBody(this.#body);
    return copy;
  }

  text() {
    return isResponse(this) ? consumeBody(this.#body, KIND_TEXT) : rejectIllegal();
  }

  json() {
    return isResponse(this) ? consumeBody(this.#body, KIND_JSON) : rejectIllegal();
  }

  arrayBuffer() {
    return isResponse(this) ? consumeBody(this.#body, KIND_ARRAY_BUFFER) : rejectIllegal();
  }

  bytes() {
    return isResponse(this) ? consumeBody(this.#body, KIND_BYTES) : rejectIllegal();
  }

  blob() {
    if (!isResponse(this)) return rejectIllegal();
    return bodyBlob(this.#body, this.#headersObject());
  }

  formData() {
    if (!isResponse(this)) return rejectIllegal();
    return bodyFormData(this.#body, this.#headersObject());
  }

  [inspectSymbol]() {
    return {
      status: this.#status,
      statusText: this.#statusText,
      ok: this.ok,
      headers: this.#headersObject(),
      bodyUsed: this.bodyUsed,
      type: this.#type,
      url: this.#url,
      redirected: false,
    };
  }

  static {
    isResponse = (value) => isObject(value) && #status in value;
    responseInternals = {
      make(status, statusText, headerList, handle) {
        const res = new Response(INTERNAL);
        res.#status = status;
        res.#statusText = statusText;
        res.#headerList = headerList;
        res.#headerGuard = GUARD_IMMUTABLE;
        res.#body = handle === null || NULL_BODY_STATUSES.has(status) ? null : newBody(handle);
        return res;
      },
      undrainedStream(res) {
        return bodyNeedsDrain(res.#body) ? bodyStream(res.#body) : undefined;
      },
      body(res) {
        return res.#body;
      },
      // A response from the network: where it finally came from.
      setUrl(res, url, redirected) {
        res.#url = url;
        res.#redirected = redirected;
        return res;
      },
      // null when `res` is not a Response (the caller decides whether that is an error).
      parts(res) {
        if (!isResponse(res)) return null;
        if (res.#type === "error") {
          throw new TypeError("Return value from serve handler must not be an error response (like Response.error())");
        }
        // A user stream goes to Rust as the stream itself, which the embedder pumps chunk by
        // chunk; a streamed source from Rust goes back whole, untouched.
        const headers = res.#headers === null ? res.#headerList : headersToFlat(res.#headers);
        const stream = bodyUserStream(res.#body);
        if (stream !== undefined) return [res.#status, headers, stream];
        const source = takeSourceForRust(res.#body, "Response");
        return [res.#status, headers, source];
      },
      // The fetch was aborted after its response arrived: the body still arriving errors.
      abortBody(res, reason) {
        const body = res.#body;
        if (body === null) return;
        if (body.abortRead !== undefined) {
          body.abortRead(reason);
          return;
        }
        // Done reading (or read by nobody yet): nothing to abort unless a stream is reading.
        if (body.stream === null && body.used) return;
        const stream = bodyStream(body);
        const record = readable().streamRecordOf(stream);
        if (record.state === "readable") readable().controllerError(record.controller, reason);
      },
    };
  }
}
finishInterface(Response);

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
