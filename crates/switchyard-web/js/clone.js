// HTML structuredClone(): StructuredSerializeInternal + StructuredDeserialize in one pass
// (serializing and deserializing in the same realm can share the walk). `memory` maps each
// source object to its copy, which preserves shared references and cycles.

const ERROR_NAMES = new Set([
  "Error",
  "EvalError",
  "RangeError",
  "ReferenceError",
  "SyntaxError",
  "TypeError",
  "URIError",
]);

const ArrayBufferPrototypeSlice = ArrayBuffer.prototype.slice;
const ArrayBufferPrototypeGetResizable = ObjectGetOwnPropertyDescriptor(
  ArrayBuffer.prototype,
  "resizable",
).get;
const ArrayBufferPrototypeGetMaxByteLength = ObjectGetOwnPropertyDescriptor(
  ArrayBuffer.prototype,
  "maxByteLength",
).get;
const ArrayBufferPrototypeTransfer = ArrayBuffer.prototype.transfer;
const DataViewPrototypeGetBuffer = ObjectGetOwnPropertyDescriptor(DataView.prototype, "buffer").get;
const MapPrototypeEntries = Map.prototype.entries;
const SetPrototypeValues = Set.prototype.values;
const DatePrototypeGetTime = Date.prototype.getTime;
const RegExpPrototypeGetSource = ObjectGetOwnPropertyDescriptor(RegExp.prototype, "source").get;
const RegExpPrototypeGetFlags = ObjectGetOwnPropertyDescriptor(RegExp.prototype, "flags").get;
const BooleanPrototypeValueOf = Boolean.prototype.valueOf;
const NumberPrototypeValueOf = Number.prototype.valueOf;
const StringPrototypeValueOf = String.prototype.valueOf;
const BigIntPrototypeValueOf = BigInt.prototype.valueOf;
const SymbolPrototypeToString = Symbol.prototype.toString;
const FunctionPrototypeToString = Function.prototype.toString;

function dataCloneError(what) {
  return createDOMException(`${what} could not be cloned.`, "DataCloneError");
}

function describeForError(value) {
  if (typeof value === "symbol") return ReflectApply(SymbolPrototypeToString, value, []);
  if (typeof value === "function") {
    try {
      return ReflectApply(FunctionPrototypeToString, value, []);
    } catch {
      return "function";
    }
  }
  const proto = ObjectGetPrototypeOf(value);
  const ctor = proto !== null && ObjectHasOwn(proto, "constructor") ? proto.constructor : undefined;
  const name = typeof ctor === "function" && typeof ctor.name === "string" ? ctor.name : "Object";
  return `#<${name}>`;
}

// Objects of platform classes (and others with internal slots we cannot copy) are not
// serializable.
function isPlatformObject(value) {
  return (
    isRequest(value) ||
    isResponse(value) ||
    isReadableStream(value) ||
    isURLSearchParams(value) ||
    value instanceof Headers ||
    value instanceof URL ||
    value instanceof TextEncoder ||
    value instanceof TextDecoder
  );
}

function cloneArrayBuffer(buffer) {
  if (ReflectApply(ArrayBufferPrototypeGetResizable, buffer, [])) {
    const max = ReflectApply(ArrayBufferPrototypeGetMaxByteLength, buffer, []);
    const copy = new ArrayBuffer(buffer.byteLength, { maxByteLength: max });
    new Uint8Array(copy).set(new Uint8Array(buffer));
    return copy;
  }
  return ReflectApply(ArrayBufferPrototypeSlice, buffer, [0]);
}

function cloneProperties(value, copy, memory) {
  memory.set(value, copy);
  for (const key of ObjectKeys(value)) {
    copy[key] = structuredCloneInternal(value[key], memory);
  }
  return copy;
}

function structuredCloneInternal(value, memory) {
  if (!isObject(value)) {
    if (typeof value === "symbol") throw dataCloneError(describeForError(value));
    return value;
  }
  const seen = memory.get(value);
  if (seen !== undefined) return seen;
  if (typeof value === "function") throw dataCloneError(describeForError(value));

  let copy;
  if (ArrayBufferIsView(value)) {
    const name = typedArrayName(value);
    if (name === undefined) {
      const buffer = structuredCloneInternal(
        ReflectApply(DataViewPrototypeGetBuffer, value, []),
        memory,
      );
      copy = new DataView(buffer, value.byteOffset, value.byteLength);
    } else {
      const buffer = structuredCloneInternal(value.buffer, memory);
      copy = new cloneCtors[name](buffer, value.byteOffset, value.length);
    }
    memory.set(value, copy);
    return copy;
  }
  // The tag narrows down which internal slot to test; the slot test (a builtin that throws
  // without the slot) guards against spoofed Symbol.toStringTag values.
  switch (ReflectApply(ObjectPrototypeToString, value, [])) {
    case "[object Object]":
      // Platform classes all have their own toStringTag, so this is an ordinary object.
      return cloneProperties(value, {}, memory);
    case "[object Array]":
      if (ArrayIsArray(value)) return cloneProperties(value, new Array(value.length), memory);
      break;
    case "[object Boolean]":
      if (hasSlot(BooleanPrototypeValueOf, value)) {
        copy = Object(ReflectApply(BooleanPrototypeValueOf, value, []));
      }
      break;
    case "[object Number]":
      if (hasSlot(NumberPrototypeValueOf, value)) {
        copy = Object(ReflectApply(NumberPrototypeValueOf, value, []));
      }
      break;
    case "[object String]":
      if (hasSlot(StringPrototypeValueOf, value)) {
        copy = Object(ReflectApply(StringPrototypeValueOf, value, []));
      }
      break;
    case "[object BigInt]":
      if (hasSlot(BigIntPrototypeValueOf, value)) {
        copy = Object(ReflectApply(BigIntPrototypeValueOf, value, []));
      }
      break;
    case "[object Date]":
      if (hasSlot(DatePrototypeGetTime, value)) {
        copy = new Date(ReflectApply(DatePrototypeGetTime, value, []));
      }
      break;
    case "[object RegExp]":
      if (value !== RegExp.prototype && hasSlot(RegExpPrototypeGetSource, value)) {
        copy = new RegExp(
          ReflectApply(RegExpPrototypeGetSource, value, []),
          ReflectApply(RegExpPrototypeGetFlags, value, []),
        );
      }
      break;
    case "[object ArrayBuffer]":
      if (isArrayBuffer(value)) copy = cloneArrayBuffer(value);
      break;
    case "[object SharedArrayBuffer]":
      // Shared memory is shared, not copied, within one agent.
      if (isArrayBuffer(value)) copy = value;
      break;
    case "[object Map]":
      if (hasSlot(MapPrototypeEntries, value)) {
        copy = new Map();
        memory.set(value, copy);
        // The spec serializes a snapshot of the entries.
        const entries = [...ReflectApply(MapPrototypeEntries, value, [])];
        for (const [k, v] of entries) {
          copy.set(structuredCloneInternal(k, memory), structuredCloneInternal(v, memory));
        }
        return copy;
      }
      break;
    case "[object Set]":
      if (hasSlot(SetPrototypeValues, value)) {
        copy = new Set();
        memory.set(value, copy);
        const values = [...ReflectApply(SetPrototypeValues, value, [])];
        for (const v of values) copy.add(structuredCloneInternal(v, memory));
        return copy;
      }
      break;
    case "[object Error]":
      copy = cloneError(value);
      break;
    case "[object DOMException]":
      if (value instanceof DOMExceptionCtor) copy = new DOMExceptionCtor(value.message, value.name);
      break;
    default:
      break;
  }
  if (copy === undefined) {
    if (isPlatformObject(value) || !isCloneableOrdinary(value)) {
      throw dataCloneError(describeForError(value));
    }
    return cloneProperties(value, {}, memory);
  }
  memory.set(value, copy);
  return copy;
}

function cloneError(value) {
  let name = value.name;
  name = ERROR_NAMES.has(name) ? name : "Error";
  const messageDesc = ObjectGetOwnPropertyDescriptor(value, "message");
  const message =
    messageDesc !== undefined && "value" in messageDesc ? `${messageDesc.value}` : undefined;
  const copy = message === undefined ? new cloneCtors[name]() : new cloneCtors[name](message);
  const stack = value.stack;
  if (typeof stack === "string") {
    ObjectDefineProperty(copy, "stack", {
      value: stack,
      writable: true,
      enumerable: false,
      configurable: true,
    });
  }
  return copy;
}

const cloneCtors = {
  Error,
  EvalError,
  RangeError,
  ReferenceError,
  SyntaxError,
  TypeError,
  URIError,
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
};
if (typeof Float16Array === "function") cloneCtors.Float16Array = Float16Array;

// Objects with internal slots that the serializer does not know (Promise, WeakMap, WeakSet,
// WeakRef) throw DataCloneError instead of silently becoming `{}`. Only reached for objects
// whose toStringTag is not one of the cloneable kinds.
const WeakMapPrototypeHas = WeakMap.prototype.has;
const WeakSetPrototypeHas = WeakSet.prototype.has;
const WeakRefPrototypeDeref = WeakRef.prototype.deref;
function isCloneableOrdinary(value) {
  if (hasSlot(WeakMapPrototypeHas, value) || hasSlot(WeakSetPrototypeHas, value)) return false;
  if (hasSlot(WeakRefPrototypeDeref, value)) return false;
  if (native.promiseState(value) !== null) return false;
  return true;
}

function structuredClone(value, options = undefined) {
  requireArgs(arguments.length, 1, "Failed to execute 'structuredClone'");
  options = dictionary(options, "Failed to execute 'structuredClone'");
  const memory = new Map();
  if (options !== undefined && options.transfer !== undefined) {
    const transfer = [...options.transfer];
    for (const item of transfer) {
      if (!isArrayBuffer(item) || ObjectPrototypeToString.call(item) === "[object SharedArrayBuffer]") {
        throw dataCloneError(describeForError(item));
      }
      if (memory.has(item)) {
        throw createDOMException("ArrayBuffer is duplicated in the transfer list.", "DataCloneError");
      }
      // Placeholder so duplicates are detected; replaced by the transferred buffer below.
      memory.set(item, undefined);
    }
    // The copies stand in for the moved buffers while walking (views onto a transferred buffer
    // need its offsets before it is detached); the sources are detached afterwards, which is
    // observably the same as moving them.
    for (const item of transfer) memory.set(item, cloneArrayBuffer(item));
    const result = structuredCloneInternal(value, memory);
    for (const item of transfer) ReflectApply(ArrayBufferPrototypeTransfer, item, []);
    return result;
  }
  return structuredCloneInternal(value, memory);
}
