// Structured serialization between isolates (RPC arguments and results). Unlike structuredClone
// the two halves run in different realms: wireSerialize turns a value into a flat "tape" of
// primitives plus a list of "externals" (objects Rust must carry itself: ArrayBuffers,
// Request/Response, stubs), and wireDeserialize rebuilds it on the other side from the tape and
// the externals Rust recreated there.
//
// Tape layout: an opcode, then that op's operands, depth first. Every object gets the next
// reference number when it is first written, so shared references and cycles come back as they
// were (WIRE_REF n).

const WIRE_UNDEFINED = 0;
const WIRE_NULL = 1;
const WIRE_TRUE = 2;
const WIRE_FALSE = 3;
const WIRE_NUMBER = 4; // n
const WIRE_STRING = 5; // s
const WIRE_BIGINT = 6; // decimal string
const WIRE_REF = 7; // reference number
const WIRE_ARRAY = 8; // length, items
const WIRE_OBJECT = 9; // count, (key, value)*
const WIRE_DATE = 10; // time
const WIRE_REGEXP = 11; // source, flags
const WIRE_MAP = 12; // count, (key, value)*
const WIRE_SET = 13; // count, values
const WIRE_BUFFER = 14; // external ArrayBuffer
const WIRE_VIEW = 15; // type name ("DataView" or a typed array), buffer, byteOffset, length
const WIRE_ERROR = 16; // class, name, message
const WIRE_BOXED = 17; // primitive value (Boolean, Number, String, BigInt objects)
const WIRE_HEADERS = 18; // count, (name, value)*
const WIRE_REQUEST = 19; // external Request
const WIRE_RESPONSE = 20; // external Response
const WIRE_STUB = 21; // external stub (a function or RpcTarget, called back in its home isolate)
const WIRE_STREAM = 22; // external stub of a reader: a ReadableStream streamed chunk by chunk
const WIRE_REQUEST_STREAMED = 23; // method, url, headers, redirect, WIRE_STREAM
const WIRE_RESPONSE_STREAMED = 24; // status, statusText, headers, WIRE_STREAM
const WIRE_DOMEXCEPTION = 25; // name, message

// `obj.key` when key is an identifier (util.js's IDENTIFIER), `obj["key"]` otherwise: for
// DataCloneError paths.
function wirePathKey(path, key) {
  return IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSONStringify(key)}]`;
}

function wireCloneError(path, value, why) {
  const what = typeof value === "symbol" ? "a Symbol" : describeForError(value);
  return createDOMException(`${path}: ${what} could not be cloned${why ? ` (${why})` : ""}.`, "DataCloneError");
}

// A plain-object stand-in for a stream on the wire: the receiver pulls through its stub.
function streamSourceTarget(stream) {
  const reader = stream.getReader();
  return {
    read: () => reader.read(),
    cancel: (reason) => reader.cancel(reason),
  };
}

const HeadersPrototypeEntries = Headers.prototype.entries;

// Returns [tape, externals, kinds]: kinds has one letter per external (b: ArrayBuffer,
// q: Request, p: Response, s: stub, r: stub of a stream's reader). `isTarget(object)` says whether an object passes by
// reference (an RpcTarget) rather than by value.
function wireSerialize(value, root, isTarget) {
  const tape = [];
  const externals = [];
  let kinds = "";
  const memory = new Map();
  let nextRef = 0;

  function external(kind, object) {
    externals.push(object);
    kinds += kind;
  }

  // Streams are locked (their readers taken) only once the whole value has serialized, so a
  // DataCloneError elsewhere leaves them usable.
  const streams = [];
  function writeStream(stream, path) {
    if (extra("readable").isStreamUnusable(stream)) {
      throw wireCloneError(path, stream, "the stream is locked or has already been read");
    }
    tape.push(WIRE_STREAM);
    streams.push([externals.length, stream]);
    external("r", undefined);
  }

  function writeProperties(object, path) {
    const keys = ObjectKeys(object);
    tape.push(WIRE_OBJECT, keys.length);
    for (const key of keys) {
      tape.push(key);
      write(object[key], wirePathKey(path, key));
    }
  }

  function write(v, path) {
    switch (typeof v) {
      case "undefined":
        tape.push(WIRE_UNDEFINED);
        return;
      case "boolean":
        tape.push(v ? WIRE_TRUE : WIRE_FALSE);
        return;
      case "number":
        tape.push(WIRE_NUMBER, v);
        return;
      case "string":
        tape.push(WIRE_STRING, v);
        return;
      case "bigint":
        tape.push(WIRE_BIGINT, `${v}`);
        return;
      case "symbol":
        throw wireCloneError(path, v);
      default:
        break;
    }
    if (v === null) {
      tape.push(WIRE_NULL);
      return;
    }
    const seen = memory.get(v);
    if (seen !== undefined) {
      tape.push(WIRE_REF, seen);
      return;
    }
    memory.set(v, nextRef++);

    if (typeof v === "function" || isTarget(v)) {
      tape.push(WIRE_STUB);
      external("s", v);
      return;
    }
    if (ArrayIsArray(v)) {
      const length = v.length;
      tape.push(WIRE_ARRAY, length);
      for (let i = 0; i < length; i++) write(v[i], `${path}[${i}]`);
      return;
    }
    const proto = ObjectGetPrototypeOf(v);
    if (proto === ObjectPrototype || proto === null) {
      writeProperties(v, path);
      return;
    }
    if (ArrayBufferIsView(v)) {
      const name = typedArrayName(v);
      tape.push(WIRE_VIEW, name ?? "DataView");
      write(v.buffer, `${path}.buffer`);
      tape.push(v.byteOffset, name === undefined ? v.byteLength : v.length);
      return;
    }
    if (isArrayBuffer(v)) {
      if (ReflectApply(ObjectPrototypeToString, v, []) === "[object SharedArrayBuffer]") {
        throw wireCloneError(path, v, "shared memory cannot leave its isolate");
      }
      tape.push(WIRE_BUFFER);
      external("b", v);
      return;
    }
    if (isRequest(v)) {
      const stream = requestInternals.undrainedStream(v);
      if (stream === undefined) {
        tape.push(WIRE_REQUEST);
        external("q", v);
        return;
      }
      tape.push(WIRE_REQUEST_STREAMED, v.method, v.url);
      write(v.headers, `${path}.headers`);
      tape.push(v.redirect);
      writeStream(stream, `${path}.body`);
      return;
    }
    if (isResponse(v)) {
      if (v.type === "error") throw wireCloneError(path, v, "an error Response cannot be sent");
      const stream = responseInternals.undrainedStream(v);
      if (stream === undefined) {
        tape.push(WIRE_RESPONSE);
        external("p", v);
        return;
      }
      tape.push(WIRE_RESPONSE_STREAMED, v.status, v.statusText);
      write(v.headers, `${path}.headers`);
      writeStream(stream, `${path}.body`);
      return;
    }
    if (isReadableStream(v)) {
      writeStream(v, path);
      return;
    }
    if (v instanceof Headers) {
      const entries = [...ReflectApply(HeadersPrototypeEntries, v, [])];
      tape.push(WIRE_HEADERS, entries.length);
      for (const [name, val] of entries) tape.push(name, val);
      return;
    }
    switch (ReflectApply(ObjectPrototypeToString, v, [])) {
      case "[object Date]":
        if (hasSlot(DatePrototypeGetTime, v)) {
          tape.push(WIRE_DATE, ReflectApply(DatePrototypeGetTime, v, []));
          return;
        }
        break;
      case "[object RegExp]":
        if (v !== RegExp.prototype && hasSlot(RegExpPrototypeGetSource, v)) {
          tape.push(
            WIRE_REGEXP,
            ReflectApply(RegExpPrototypeGetSource, v, []),
            ReflectApply(RegExpPrototypeGetFlags, v, []),
          );
          return;
        }
        break;
      case "[object Map]":
        if (hasSlot(MapPrototypeEntries, v)) {
          const entries = [...ReflectApply(MapPrototypeEntries, v, [])];
          tape.push(WIRE_MAP, entries.length);
          entries.forEach(([k, val], i) => {
            write(k, `${path}.keys()[${i}]`);
            write(val, `${path}.values()[${i}]`);
          });
          return;
        }
        break;
      case "[object Set]":
        if (hasSlot(SetPrototypeValues, v)) {
          const values = [...ReflectApply(SetPrototypeValues, v, [])];
          tape.push(WIRE_SET, values.length);
          values.forEach((val, i) => write(val, `${path}.values()[${i}]`));
          return;
        }
        break;
      case "[object Error]": {
        // As on Cloudflare: the class (the nearest standard one) and message cross, the stack
        // and own properties such as `cause` do not. A custom `name` is kept.
        let ctor = "Error";
        for (let p = proto; p !== null; p = ObjectGetPrototypeOf(p)) {
          const c = ObjectHasOwn(p, "constructor") ? p.constructor : undefined;
          // clone.js's ERROR_NAMES and cloneCtors: the standard Error classes.
          if (c !== undefined && ERROR_NAMES.has(c.name) && cloneCtors[c.name] === c) {
            ctor = c.name;
            break;
          }
        }
        const name = v.name;
        const message = v.message;
        tape.push(
          WIRE_ERROR,
          ctor,
          typeof name === "string" ? name : ctor,
          message === undefined ? "" : `${message}`,
        );
        return;
      }
      case "[object DOMException]":
        if (v instanceof DOMExceptionCtor) {
          tape.push(WIRE_DOMEXCEPTION, v.name, v.message);
          return;
        }
        break;
      case "[object Boolean]":
        if (hasSlot(BooleanPrototypeValueOf, v)) {
          tape.push(WIRE_BOXED, WIRE_BOOLEAN_TAG, ReflectApply(BooleanPrototypeValueOf, v, []));
          return;
        }
        break;
      case "[object Number]":
        if (hasSlot(NumberPrototypeValueOf, v)) {
          tape.push(WIRE_BOXED, WIRE_NUMBER_TAG, ReflectApply(NumberPrototypeValueOf, v, []));
          return;
        }
        break;
      case "[object String]":
        if (hasSlot(StringPrototypeValueOf, v)) {
          tape.push(WIRE_BOXED, WIRE_STRING_TAG, ReflectApply(StringPrototypeValueOf, v, []));
          return;
        }
        break;
      default:
        break;
    }
    if (isPlatformObject(v) || !isCloneableOrdinary(v)) throw wireCloneError(path, v);
    // An instance of an application class that does not extend RpcTarget: its own enumerable
    // properties, as structuredClone copies it.
    writeProperties(v, path);
  }

  write(value, root);
  for (const [index, stream] of streams) externals[index] = streamSourceTarget(stream);
  return [tape, externals, kinds];
}

const WIRE_BOOLEAN_TAG = 0;
const WIRE_NUMBER_TAG = 1;
const WIRE_STRING_TAG = 2;
const ObjectPrototype = Object.prototype;

// A ReadableStream that pulls each chunk through a reader stub (see streamSourceTarget). The stub
// is released when the stream ends, errors or is cancelled, or (for a stream nobody reads) when
// the stream is garbage collected.
function streamFromStub(stub) {
  const release = () => {
    const dispose = stub[SymbolDispose];
    if (typeof dispose === "function") ReflectApply(dispose, stub, []);
  };
  const failed = (error) => {
    release();
    throw error;
  };
  const stream = new (extra("readable").ReadableStream)(
    {
      pull(controller) {
        return PromisePrototypeThen.call(
          stub.read(),
          (result) => {
            if (result.done) {
              controller.close();
              release();
            } else {
              controller.enqueue(result.value);
            }
          },
          failed,
        );
      },
      cancel(reason) {
        return PromisePrototypeThen.call(stub.cancel(reason), release, failed);
      },
    },
    { highWaterMark: 0 },
  );
  unreadStreams?.register(stream, release);
  return stream;
}
const unreadStreams =
  typeof FinalizationRegistry === "function" ? new FinalizationRegistry((release) => release()) : undefined;
const SymbolDispose = Symbol.dispose ?? Symbol.for("dispose");

// Rebuilds a value from wireSerialize's tape and the externals recreated in this realm
// (ArrayBuffers, Requests, Responses, and stubs made by the embedder).
function wireDeserialize(tape, externals) {
  let at = 0;
  let nextExternal = 0;
  const refs = [];

  function readStream() {
    if (tape[at++] !== WIRE_STREAM) throw new TypeError("malformed RPC value (stream expected)");
    return streamFromStub(externals[nextExternal++]);
  }

  function read() {
    const op = tape[at++];
    switch (op) {
      case WIRE_UNDEFINED:
        return undefined;
      case WIRE_NULL:
        return null;
      case WIRE_TRUE:
        return true;
      case WIRE_FALSE:
        return false;
      case WIRE_NUMBER:
      case WIRE_STRING:
        return tape[at++];
      case WIRE_BIGINT:
        return BigInt(tape[at++]);
      case WIRE_REF:
        return refs[tape[at++]];
      default:
        break;
    }
    const ref = refs.length;
    refs.push(undefined);
    let out;
    switch (op) {
      case WIRE_ARRAY: {
        const length = tape[at++];
        out = new Array(length);
        refs[ref] = out;
        for (let i = 0; i < length; i++) out[i] = read();
        return out;
      }
      case WIRE_OBJECT: {
        const count = tape[at++];
        out = {};
        refs[ref] = out;
        for (let i = 0; i < count; i++) {
          const key = tape[at++];
          ObjectDefineProperty(out, key, {
            value: read(),
            writable: true,
            enumerable: true,
            configurable: true,
          });
        }
        return out;
      }
      case WIRE_MAP: {
        const count = tape[at++];
        out = new Map();
        refs[ref] = out;
        for (let i = 0; i < count; i++) {
          const key = read();
          out.set(key, read());
        }
        return out;
      }
      case WIRE_SET: {
        const count = tape[at++];
        out = new Set();
        refs[ref] = out;
        for (let i = 0; i < count; i++) out.add(read());
        return out;
      }
      case WIRE_DATE:
        out = new Date(tape[at++]);
        break;
      case WIRE_REGEXP:
        out = new RegExp(tape[at], tape[at + 1]);
        at += 2;
        break;
      case WIRE_BUFFER:
      case WIRE_REQUEST:
      case WIRE_RESPONSE:
      case WIRE_STUB:
        out = externals[nextExternal++];
        break;
      case WIRE_STREAM:
        at--;
        out = readStream();
        break;
      case WIRE_VIEW: {
        const name = tape[at++];
        const buffer = read();
        const offset = tape[at++];
        const length = tape[at++];
        out = name === "DataView" ? new DataView(buffer, offset, length) : new cloneCtors[name](buffer, offset, length);
        break;
      }
      case WIRE_ERROR: {
        const Ctor = ERROR_NAMES.has(tape[at]) ? cloneCtors[tape[at]] : Error;
        const name = tape[at + 1];
        out = new Ctor(tape[at + 2]);
        at += 3;
        if (name !== Ctor.name) {
          ObjectDefineProperty(out, "name", { value: name, writable: true, configurable: true });
        }
        break;
      }
      case WIRE_DOMEXCEPTION:
        out = new DOMExceptionCtor(tape[at + 1], tape[at]);
        at += 2;
        break;
      case WIRE_BOXED: {
        const tag = tape[at++];
        const primitive = tape[at++];
        out = tag === WIRE_BOOLEAN_TAG ? new Boolean(primitive) : tag === WIRE_NUMBER_TAG ? new Number(primitive) : new String(primitive);
        break;
      }
      case WIRE_HEADERS: {
        const count = tape[at++];
        out = new Headers();
        for (let i = 0; i < count; i++) {
          out.append(tape[at], tape[at + 1]);
          at += 2;
        }
        break;
      }
      case WIRE_REQUEST_STREAMED: {
        const method = tape[at++];
        const url = tape[at++];
        const headers = read();
        const redirect = tape[at++];
        out = new Request(url, { method, headers, redirect, body: readStream() });
        break;
      }
      case WIRE_RESPONSE_STREAMED: {
        const status = tape[at++];
        const statusText = tape[at++];
        const headers = read();
        out = new Response(readStream(), { status, statusText, headers });
        break;
      }
      default:
        throw new TypeError(`malformed RPC value (opcode ${op})`);
    }
    refs[ref] = out;
    return out;
  }

  return read();
}
