// console (an extra, loaded at the first console call or uncaught error): formats its
// arguments the way Node's util.format/util.inspect do (default options: depth 2, breakLength
// 80, compact 3, arrays/sets/maps cut after 100 entries) and hands each finished line to the
// embedder's sink with a level. The core's `consoleObject` (globals.js) forwards here.

const LEVEL_DEBUG = 0;
const LEVEL_INFO = 1;
const LEVEL_LOG = 2;
const LEVEL_WARN = 3;
const LEVEL_ERROR = 4;

const mapStack = native.mapStack;
const performanceNow = () => performance.now();

const BREAK_LENGTH = 80;
const COMPACT = 3;
const MAX_ARRAY_LENGTH = 100;
const MAX_STRING_LENGTH = 10000;
const MAX_BUFFER_BYTES = 50;

const FunctionPrototypeToStringForInspect = Function.prototype.toString;
const ObjectPrototypeToStringMethod = Object.prototype.toString;
const DatePrototypeToISOString = Date.prototype.toISOString;
const DatePrototypeGetTimeForInspect = Date.prototype.getTime;
const RegExpPrototypeToString = RegExp.prototype.toString;
const SymbolPrototypeToStringForInspect = Symbol.prototype.toString;
const MapPrototypeGetSize = ObjectGetOwnPropertyDescriptor(Map.prototype, "size").get;
const SetPrototypeGetSize = ObjectGetOwnPropertyDescriptor(Set.prototype, "size").get;
const MapPrototypeEntriesForInspect = Map.prototype.entries;
const SetPrototypeValuesForInspect = Set.prototype.values;
const ArrayBufferPrototypeGetByteLength = ObjectGetOwnPropertyDescriptor(
  ArrayBuffer.prototype,
  "byteLength",
).get;

// Characters escaped inside quoted strings (C0 controls, DEL, the backslash).
const NEEDS_ESCAPE = /[\x00-\x1f\x7f\\]/;
const ESCAPES = {
  "\b": "\\b",
  "\t": "\\t",
  "\n": "\\n",
  "\f": "\\f",
  "\r": "\\r",
  "\\": "\\\\",
};

function quoteString(s) {
  let quote = "'";
  if (s.includes("'")) {
    if (!s.includes('"')) quote = '"';
    else if (!s.includes("`") && !s.includes("${")) quote = "`";
  }
  let out = "";
  let truncated = 0;
  if (s.length > MAX_STRING_LENGTH) {
    truncated = s.length - MAX_STRING_LENGTH;
    s = s.slice(0, MAX_STRING_LENGTH);
  }
  if (!NEEDS_ESCAPE.test(s) && !s.includes(quote)) {
    out = s;
  } else {
    for (let i = 0; i < s.length; i++) {
      const c = s[i];
      if (c === quote) {
        out += `\\${c}`;
      } else if (ESCAPES[c] !== undefined) {
        out += ESCAPES[c];
      } else {
        const code = c.charCodeAt(0);
        out += code < 0x20 || code === 0x7f ? `\\x${code.toString(16).toUpperCase().padStart(2, "0")}` : c;
      }
    }
  }
  out = `${quote}${out}${quote}`;
  if (truncated > 0) out += `... ${truncated} more character${truncated > 1 ? "s" : ""}`;
  return out;
}

function formatNumber(n) {
  return ObjectIs(n, -0) ? "-0" : `${n}`;
}
const ObjectIs = Object.is;

function formatPrimitive(value, quoteStrings) {
  switch (typeof value) {
    case "string":
      return quoteStrings ? quoteString(value) : value;
    case "number":
      return formatNumber(value);
    case "bigint":
      return `${value}n`;
    case "symbol":
      return ReflectApply(SymbolPrototypeToStringForInspect, value, []);
    default:
      return `${value}`; // undefined, null, booleans
  }
}

function formatKey(key) {
  if (typeof key === "symbol") return `[${ReflectApply(SymbolPrototypeToStringForInspect, key, [])}]`;
  return IDENTIFIER.test(key) ? key : quoteString(key);
}

// The name of the first constructor on the prototype chain, or null for null-prototype objects.
function constructorName(value) {
  let obj = value;
  while (obj !== null) {
    const desc = ObjectGetOwnPropertyDescriptor(obj, "constructor");
    if (
      desc !== undefined &&
      typeof desc.value === "function" &&
      typeof desc.value.name === "string" &&
      desc.value.name !== ""
    ) {
      return desc.value.name;
    }
    obj = ObjectGetPrototypeOf(obj);
  }
  return null;
}

function ownTag(value, name) {
  let tag;
  try {
    tag = value[SymbolToStringTag];
  } catch {
    return "";
  }
  return typeof tag === "string" && tag !== "" && tag !== name ? tag : "";
}

// "Foo [Tag] " / "[Object: null prototype] " style prefixes.
function prefix(name, tag, fallback, size = "") {
  if (name === null) {
    return tag !== "" && fallback !== tag
      ? `[${fallback}${size}: null prototype] [${tag}] `
      : `[${fallback}${size}: null prototype] `;
  }
  return tag !== "" && name !== tag ? `${name}${size} [${tag}] ` : `${name}${size} `;
}

function newInspectContext(depth) {
  return {
    depth,
    seen: [],
    circular: undefined, // Map object -> ref index, created on the first cycle
    indentation: 0,
    currentDepth: 0,
  };
}

function inspect(value, depth = 2) {
  return formatValue(newInspectContext(depth), value, 0, true);
}

function formatValue(ctx, value, recurseTimes, quoteStrings) {
  if (!isObject(value)) return formatPrimitive(value, quoteStrings);
  const target = native.proxyTarget(value);
  if (target !== undefined) value = target;
  if (ctx.seen.includes(value)) {
    if (ctx.circular === undefined) ctx.circular = new Map();
    let index = ctx.circular.get(value);
    if (index === undefined) {
      index = ctx.circular.size + 1;
      ctx.circular.set(value, index);
    }
    return `[Circular *${index}]`;
  }
  return formatRaw(ctx, value, recurseTimes);
}

function ownEnumerableKeys(value, skipIndices) {
  const keys = [];
  for (const key of ReflectOwnKeys(value)) {
    if (skipIndices && typeof key === "string" && isArrayIndex(key)) continue;
    const desc = ObjectGetOwnPropertyDescriptor(value, key);
    if (desc !== undefined && desc.enumerable) keys.push(key);
  }
  return keys;
}

function isArrayIndex(key) {
  const n = +key;
  return n >>> 0 === n && `${n}` === key && n !== 4294967295;
}

function formatProperty(ctx, value, recurseTimes, key) {
  const desc = ObjectGetOwnPropertyDescriptor(value, key);
  let str;
  if (desc === undefined) {
    str = "undefined";
  } else if ("value" in desc) {
    ctx.indentation += 2;
    str = formatValue(ctx, desc.value, recurseTimes, true);
    ctx.indentation -= 2;
  } else if (desc.get !== undefined) {
    str = desc.set !== undefined ? "[Getter/Setter]" : "[Getter]";
  } else {
    str = desc.set !== undefined ? "[Setter]" : "undefined";
  }
  return `${formatKey(key)}: ${str}`;
}

function formatError(ctx, err) {
  let name, message, stack;
  try {
    name = err.name;
    message = err.message;
    stack = err.stack;
  } catch {
    // fall through with what we have
  }
  name = name === undefined ? "Error" : `${name}`;
  message = message === undefined ? "" : `${message}`;
  const header = message === "" ? name : `${name}: ${message}`;
  let text;
  if (typeof stack === "string" && stack !== "") {
    if (mapStack !== null) stack = mapStack(toUSVString(stack));
    stack = stack.replace(/\s+$/, "");
    // QuickJS stacks are only the "    at ..." lines; V8-style ones start with the header.
    text = stack.startsWith(header) || !stack.startsWith("    at") ? stack : `${header}\n${stack}`;
    if (text === "") text = `[${header}]`;
  } else {
    text = `[${header}]`;
  }
  if (ctx.indentation !== 0) text = text.replaceAll("\n", `\n${" ".repeat(ctx.indentation)}`);
  return text;
}

function functionBase(value) {
  let source = "";
  try {
    source = ReflectApply(FunctionPrototypeToStringForInspect, value, []);
  } catch {
    // native or revoked
  }
  const name = typeof value.name === "string" ? value.name : "";
  if (source.startsWith("class") && /^class[\s{]/.test(source)) {
    let base = name === "" ? "[class (anonymous)" : `[class ${name}`;
    const parent = ObjectGetPrototypeOf(value);
    if (parent !== null && parent !== Function.prototype && typeof parent.name === "string" && parent.name !== "") {
      base += ` extends ${parent.name}`;
    }
    return `${base}]`;
  }
  const tag = ReflectApply(ObjectPrototypeToStringMethod, value, []).slice(8, -1);
  const kind = tag === "AsyncFunction" || tag === "GeneratorFunction" || tag === "AsyncGeneratorFunction"
    ? tag
    : "Function";
  return name === "" ? `[${kind} (anonymous)]` : `[${kind}: ${name}]`;
}

// Entries of an array-like (arrays and typed arrays): holes, the 100-item cut-off.
function formatArrayEntries(ctx, value, recurseTimes, length, typed) {
  const output = [];
  const shown = Math.min(length, MAX_ARRAY_LENGTH);
  let holes = 0;
  const flushHoles = () => {
    if (holes > 0) {
      output.push(`<${holes} empty item${holes > 1 ? "s" : ""}>`);
      holes = 0;
    }
  };
  for (let i = 0; i < shown; i++) {
    if (!typed && !ObjectHasOwn(value, i)) {
      holes++;
      continue;
    }
    flushHoles();
    ctx.indentation += 2;
    output.push(typed ? formatPrimitive(value[i], true) : formatValue(ctx, value[i], recurseTimes, true));
    ctx.indentation -= 2;
  }
  flushHoles();
  if (length > shown) {
    const rest = length - shown;
    output.push(`... ${rest} more item${rest > 1 ? "s" : ""}`);
  }
  return output;
}

function formatRaw(ctx, value, recurseTimes) {
  let keys;
  let base = "";
  let braces;
  let output;
  let isArrayLike = false;
  let entriesFn = null; // produces the output entries once the depth check passed
  let platformName = null;
  const name = constructorName(value);
  const tag = ownTag(value, name);

  if (typeof value[inspectSymbol] === "function" && ObjectGetPrototypeOf(value) !== null) {
    // Platform objects describe themselves with a plain object, shown after the class name
    // (like Node's custom inspect functions, so the name does not count toward line width).
    let rep;
    try {
      rep = value[inspectSymbol]();
    } catch {
      rep = {};
    }
    const repKeys = isObject(rep) ? ownEnumerableKeys(rep, false) : [];
    if (repKeys.length === 0) return `${name} {}`;
    if (recurseTimes > ctx.depth) return `[${name}]`;
    platformName = name;
    braces = ["{", "}"];
    entriesFn = () => repKeys.map((key) => formatProperty(ctx, rep, recurseTimes, key));
    keys = [];
  } else if (ArrayIsArray(value)) {
    keys = ownEnumerableKeys(value, true);
    const p = name !== "Array" || tag !== "" ? prefix(name, tag, "Array", `(${value.length})`) : "";
    braces = [`${p}[`, "]"];
    if (value.length === 0 && keys.length === 0) return `${braces[0]}]`;
    isArrayLike = true;
    entriesFn = () => formatArrayEntries(ctx, value, recurseTimes, value.length, false);
  } else if (typeof value === "function") {
    base = functionBase(value);
    keys = ownEnumerableKeys(value, false);
    if (keys.length === 0) return base;
    braces = ["{", "}"];
  } else if (ArrayBufferIsView(value)) {
    const typedName = typedArrayName(value);
    keys = ownEnumerableKeys(value, true);
    if (typedName !== undefined) {
      const length = value.length;
      braces = [`${prefix(name, tag !== typedName ? tag : "", typedName, `(${length})`)}[`, "]"];
      if (length === 0 && keys.length === 0) return `${braces[0]}]`;
      isArrayLike = true;
      entriesFn = () => formatArrayEntries(ctx, value, recurseTimes, length, true);
    } else {
      braces = [`${prefix(name, "", "DataView")}{`, "}"];
      entriesFn = () => [
        `byteLength: ${formatNumber(value.byteLength)}`,
        `byteOffset: ${formatNumber(value.byteOffset)}`,
        `buffer: ${formatValue(ctx, value.buffer, recurseTimes, true)}`,
      ];
    }
  } else if (isArrayBuffer(value)) {
    keys = ownEnumerableKeys(value, false);
    const kind = ReflectApply(ObjectPrototypeToStringMethod, value, []).slice(8, -1);
    braces = [`${prefix(name, "", kind)}{`, "}"];
    entriesFn = () => {
      let byteLength = 0;
      try {
        byteLength = ReflectApply(ArrayBufferPrototypeGetByteLength, value, []);
      } catch {
        // SharedArrayBuffer has its own getter; fall back to the property
        byteLength = value.byteLength;
      }
      const bytes = new Uint8Array(value, 0, Math.min(byteLength, MAX_BUFFER_BYTES));
      let hex = "";
      for (let i = 0; i < bytes.length; i++) {
        hex += (i === 0 ? "" : " ") + bytes[i].toString(16).padStart(2, "0");
      }
      if (byteLength > MAX_BUFFER_BYTES) hex += ` ... ${byteLength - MAX_BUFFER_BYTES} more byte${byteLength - MAX_BUFFER_BYTES > 1 ? "s" : ""}`;
      return [`[Uint8Contents]: <${hex}>`, `byteLength: ${formatNumber(byteLength)}`];
    };
  } else if (hasSlot(MapPrototypeGetSize, value)) {
    const size = ReflectApply(MapPrototypeGetSize, value, []);
    keys = ownEnumerableKeys(value, false);
    braces = [`${prefix(name, tag, "Map", `(${size})`)}{`, "}"];
    if (size === 0 && keys.length === 0) return `${braces[0]}}`;
    entriesFn = () => {
      const out = [];
      let i = 0;
      ctx.indentation += 2;
      for (const [k, v] of { [SymbolIterator]: () => ReflectApply(MapPrototypeEntriesForInspect, value, []) }) {
        if (i++ >= MAX_ARRAY_LENGTH) break;
        out.push(`${formatValue(ctx, k, recurseTimes, true)} => ${formatValue(ctx, v, recurseTimes, true)}`);
      }
      ctx.indentation -= 2;
      if (size > MAX_ARRAY_LENGTH) out.push(`... ${size - MAX_ARRAY_LENGTH} more item${size - MAX_ARRAY_LENGTH > 1 ? "s" : ""}`);
      return out;
    };
  } else if (hasSlot(SetPrototypeGetSize, value)) {
    const size = ReflectApply(SetPrototypeGetSize, value, []);
    keys = ownEnumerableKeys(value, false);
    braces = [`${prefix(name, tag, "Set", `(${size})`)}{`, "}"];
    if (size === 0 && keys.length === 0) return `${braces[0]}}`;
    isArrayLike = true;
    entriesFn = () => {
      const out = [];
      let i = 0;
      ctx.indentation += 2;
      for (const v of { [SymbolIterator]: () => ReflectApply(SetPrototypeValuesForInspect, value, []) }) {
        if (i++ >= MAX_ARRAY_LENGTH) break;
        out.push(formatValue(ctx, v, recurseTimes, true));
      }
      ctx.indentation -= 2;
      if (size > MAX_ARRAY_LENGTH) out.push(`... ${size - MAX_ARRAY_LENGTH} more item${size - MAX_ARRAY_LENGTH > 1 ? "s" : ""}`);
      return out;
    };
  } else {
    keys = ownEnumerableKeys(value, false);
    const builtinTag = ReflectApply(ObjectPrototypeToStringMethod, value, []);
    braces = ["{", "}"];
    if (builtinTag === "[object Error]" || value instanceof Error) {
      base = formatError(ctx, value);
      keys = keys.filter((k) => k !== "stack" && k !== "message");
      const causeDesc = ObjectGetOwnPropertyDescriptor(value, "cause");
      if (causeDesc !== undefined && !causeDesc.enumerable && "value" in causeDesc) {
        entriesFn = () => {
          ctx.indentation += 2;
          const shown = formatValue(ctx, causeDesc.value, recurseTimes, true);
          ctx.indentation -= 2;
          return [`[cause]: ${shown}`];
        };
      } else if (keys.length === 0) {
        return base;
      }
    } else if (builtinTag === "[object Date]" && hasSlot(DatePrototypeGetTimeForInspect, value)) {
      const time = ReflectApply(DatePrototypeGetTimeForInspect, value, []);
      base = Number.isNaN(time) ? "Invalid Date" : ReflectApply(DatePrototypeToISOString, value, []);
      if (keys.length === 0) return base;
    } else if (builtinTag === "[object RegExp]" && value !== RegExp.prototype && hasSlot(RegExpPrototypeSourceGetter, value)) {
      base = ReflectApply(RegExpPrototypeToString, value, []);
      if (keys.length === 0) return base;
    } else if ((base = boxedPrimitive(value)) !== "") {
      // A String wrapper's characters are index properties; they are part of the base.
      if (builtinTag === "[object String]") keys = keys.filter((k) => typeof k !== "string" || !isArrayIndex(k));
      if (keys.length === 0) return base;
    } else {
      const state = native.promiseState(value);
      if (state !== null) {
        braces = [`${prefix(name, tag, "Promise")}{`, "}"];
        entriesFn = () => {
          if (state[0] === 0) return ["<pending>"];
          ctx.indentation += 2;
          const shown = formatValue(ctx, state[1], recurseTimes, true);
          ctx.indentation -= 2;
          return [state[0] === 2 ? `<rejected> ${shown}` : shown];
        };
      } else if (hasSlot(WeakMapHasForInspect, value) || hasSlot(WeakSetHasForInspect, value)) {
        const kind = hasSlot(WeakMapHasForInspect, value) ? "WeakMap" : "WeakSet";
        return `${prefix(name, tag, kind)}{ <items unknown> }`;
      } else {
        const fallback = builtinTag.slice(8, -1);
        if (name === "Object") {
          if (tag !== "") braces[0] = `${prefix(name, tag, "Object")}{`;
        } else {
          braces[0] = `${prefix(name, tag, fallback === "Object" ? "Object" : fallback)}{`;
        }
        if (keys.length === 0) {
          return `${braces[0]}}`;
        }
      }
    }
  }

  if (recurseTimes > ctx.depth) {
    if (isArrayLike && ArrayIsArray(value)) return "[Array]";
    return `[${name === null ? "Object: null prototype" : tag !== "" ? tag : name}]`;
  }
  recurseTimes++;
  ctx.seen.push(value);
  ctx.currentDepth = recurseTimes;
  try {
    output = entriesFn === null ? [] : entriesFn();
    for (const key of keys) output.push(formatProperty(ctx, value, recurseTimes, key));
  } finally {
    ctx.seen.pop();
  }
  if (ctx.circular !== undefined) {
    const index = ctx.circular.get(value);
    if (index !== undefined) {
      const ref = `<ref *${index}> `;
      if (base === "") braces[0] = `${ref}${braces[0]}`;
      else base = `${ref}${base}`;
    }
  }
  const result = reduceToSingleString(ctx, output, base, braces, isArrayLike, recurseTimes, value);
  return platformName === null ? result : `${platformName} ${result}`;
}

const RegExpPrototypeSourceGetter = ObjectGetOwnPropertyDescriptor(RegExp.prototype, "source").get;
const WeakMapHasForInspect = function () {
  return WeakMap.prototype.has.call(this, {});
};
const WeakSetHasForInspect = function () {
  return WeakSet.prototype.has.call(this, {});
};

function boxedPrimitive(value) {
  const checks = [
    [Number.prototype.valueOf, "Number"],
    [String.prototype.valueOf, "String"],
    [Boolean.prototype.valueOf, "Boolean"],
    [BigInt.prototype.valueOf, "BigInt"],
    [Symbol.prototype.valueOf, "Symbol"],
  ];
  const builtinTag = ReflectApply(ObjectPrototypeToStringMethod, value, []);
  for (const [valueOf, kind] of checks) {
    if ((builtinTag === `[object ${kind}]` || kind === "Symbol" || kind === "BigInt") && hasSlot(valueOf, value)) {
      return `[${kind}: ${formatPrimitive(ReflectApply(valueOf, value, []), true)}]`;
    }
  }
  return "";
}

// Puts short arrays (more than six entries) into aligned columns, like Node.
function groupArrayElements(ctx, output, value) {
  let totalLength = 0;
  let maxLength = 0;
  let count = output.length;
  // A trailing "... more items" entry is not part of the grid.
  if (count > 0 && output[count - 1].startsWith("... ")) count--;
  const separatorSpace = 2;
  const lengths = new Array(count);
  for (let i = 0; i < count; i++) {
    const len = output[i].length;
    lengths[i] = len;
    totalLength += len + separatorSpace;
    if (len > maxLength) maxLength = len;
  }
  const actualMax = maxLength + separatorSpace;
  if (
    actualMax * 3 + ctx.indentation >= BREAK_LENGTH ||
    !(totalLength / actualMax > 5 || maxLength <= 6)
  ) {
    return output;
  }
  const averageBias = Math.sqrt(actualMax - totalLength / output.length);
  const biasedMax = Math.max(actualMax - 3 - averageBias, 1);
  const columns = Math.min(
    Math.round(Math.sqrt(2.5 * biasedMax * count) / biasedMax),
    Math.floor((BREAK_LENGTH - ctx.indentation) / actualMax),
    COMPACT * 4,
    15,
  );
  if (columns <= 1) return output;
  const columnWidths = [];
  for (let c = 0; c < columns; c++) {
    let width = 0;
    for (let j = c; j < count; j += columns) if (lengths[j] > width) width = lengths[j];
    columnWidths.push(width + separatorSpace);
  }
  let padStart = value !== undefined;
  if (padStart) {
    for (let i = 0; i < count; i++) {
      const item = value[i];
      if (typeof item !== "number" && typeof item !== "bigint") {
        padStart = false;
        break;
      }
    }
  }
  const rows = [];
  for (let i = 0; i < count; i += columns) {
    const last = Math.min(i + columns, count) - 1;
    let line = "";
    for (let j = i; j < last; j++) {
      const cell = `${output[j]}, `;
      line += padStart ? cell.padStart(columnWidths[j - i]) : cell.padEnd(columnWidths[j - i]);
    }
    line += padStart ? output[last].padStart(columnWidths[last - i] - separatorSpace) : output[last];
    rows.push(line);
  }
  if (count < output.length) rows.push(output[count]);
  return rows;
}

function reduceToSingleString(ctx, output, base, braces, isArrayLike, recurseTimes, value) {
  const entries = output.length;
  if (isArrayLike && entries > 6) output = groupArrayElements(ctx, output, value);
  // Up to COMPACT innermost levels go on one line when they fit in BREAK_LENGTH.
  if (ctx.currentDepth - recurseTimes < COMPACT && entries === output.length) {
    const start = output.length + ctx.indentation + braces[0].length + base.length + 10;
    let total = output.length + start;
    let fits = total + output.length <= BREAK_LENGTH;
    for (let i = 0; fits && i < output.length; i++) {
      total += output[i].length;
      if (total > BREAK_LENGTH) fits = false;
    }
    if (fits && !base.includes("\n")) {
      const joined = output.join(", ");
      if (!joined.includes("\n")) {
        return `${base === "" ? "" : `${base} `}${braces[0]} ${joined} ${braces[1]}`;
      }
    }
  }
  const indentation = `\n${" ".repeat(ctx.indentation)}`;
  return `${base === "" ? "" : `${base} `}${braces[0]}${indentation}  ${output.join(`,${indentation}  `)}${indentation}${braces[1]}`;
}

// --- util.format -----------------------------------------------------------------------------

// toString methods of builtin prototypes: objects that only have these are inspected by %s.
const BUILTIN_TO_STRINGS = new Set([
  Object.prototype.toString,
  Array.prototype.toString,
  Error.prototype.toString,
  Date.prototype.toString,
  RegExp.prototype.toString,
  Function.prototype.toString,
  Number.prototype.toString,
  String.prototype.toString,
  Boolean.prototype.toString,
  Symbol.prototype.toString,
  BigInt.prototype.toString,
]);

function hasUserToString(value) {
  let obj = value;
  while (obj !== null) {
    const desc = ObjectGetOwnPropertyDescriptor(obj, "toString");
    if (desc !== undefined) return !BUILTIN_TO_STRINGS.has(desc.value);
    obj = ObjectGetPrototypeOf(obj);
  }
  return false;
}

function formatArgs(args) {
  let first = args[0];
  let out = "";
  let next = 1;
  if (typeof first === "string") {
    if (args.length === 1) return first;
    let last = 0;
    for (let i = 0; i < first.length - 1; i++) {
      if (first.charCodeAt(i) !== 37 /* % */) continue;
      const c = first[i + 1];
      if (c === "%") {
        out += first.slice(last, i) + "%";
        last = i + 2;
        i++;
        continue;
      }
      if (next >= args.length) continue;
      let piece;
      const arg = args[next];
      switch (c) {
        case "s":
          if (typeof arg === "bigint") piece = `${arg}n`;
          else if (typeof arg === "number") piece = formatNumber(arg);
          else if (typeof arg === "symbol") piece = formatPrimitive(arg, false);
          else if (isObject(arg) && !hasUserToString(arg)) piece = formatValue(newInspectContext(0), arg, 0, true);
          else piece = `${arg}`;
          break;
        case "d":
          piece =
            typeof arg === "bigint"
              ? `${arg}n`
              : typeof arg === "symbol"
                ? "NaN"
                : formatNumber(Number(arg));
          break;
        case "i":
          piece =
            typeof arg === "bigint"
              ? `${arg}n`
              : typeof arg === "symbol"
                ? "NaN"
                : formatNumber(Number.parseInt(arg));
          break;
        case "f":
          piece = typeof arg === "symbol" ? "NaN" : formatNumber(Number.parseFloat(arg));
          break;
        case "j":
          try {
            piece = `${JSONStringify(arg)}`;
          } catch (e) {
            if (e instanceof TypeError && /circular/i.test(`${e.message}`)) piece = "[Circular]";
            else throw e;
          }
          break;
        case "o":
          piece = formatValue(newInspectContext(4), arg, 0, true);
          break;
        case "O":
          piece = formatValue(newInspectContext(2), arg, 0, true);
          break;
        case "c":
          piece = "";
          break;
        default:
          continue;
      }
      out += first.slice(last, i) + piece;
      last = i + 2;
      i++;
      next++;
    }
    out += first.slice(last);
    first = undefined;
  } else {
    out = formatValue(newInspectContext(2), first, 0, false);
  }
  for (; next < args.length; next++) {
    const arg = args[next];
    out += ` ${typeof arg === "string" ? arg : formatValue(newInspectContext(2), arg, 0, true)}`;
  }
  return out;
}

// --- console -------------------------------------------------------------------------------

let groupIndent = "";
const timers = new Map();
const counters = new Map();

function emit(level, text) {
  if (groupIndent !== "") text = groupIndent + text.replaceAll("\n", `\n${groupIndent}`);
  native.log(level, toUSVString(text));
}

function safeFormat(args) {
  try {
    return formatArgs(args);
  } catch (e) {
    let detail;
    try {
      detail = `${e}`;
    } catch {
      detail = "unknown error";
    }
    return `[console: could not format arguments: ${detail}]`;
  }
}

function formatDuration(ms) {
  return ms >= 1000 ? `${(ms / 1000).toFixed(3)}s` : `${ms.toFixed(3)}ms`;
}

function labelOf(label) {
  return label === undefined ? "default" : `${label}`;
}

function captureStack(skip) {
  const holder = {};
  if (typeof Error.captureStackTrace === "function") {
    Error.captureStackTrace(holder, skip);
    return typeof holder.stack === "string" ? holder.stack : "";
  }
  const stack = new Error().stack;
  return typeof stack === "string" ? stack : "";
}

function renderTable(data, properties) {
  const rowKeys = [];
  const rows = [];
  const columns = [];
  const columnSet = new Set();
  let hasValues = false;
  const addColumn = (key) => {
    if (!columnSet.has(key)) {
      columnSet.add(key);
      columns.push(key);
    }
  };
  const entries =
    data instanceof Map
      ? [...data].map(([k, v], i) => [`${i}`, { Key: k, Values: v }])
      : data instanceof Set
        ? [...data].map((v, i) => [`${i}`, v])
        : ObjectKeys(data).map((k) => [k, data[k]]);
  const fmt = (v) => formatValue(newInspectContext(0), v, 1, true);
  for (const [key, row] of entries) {
    rowKeys.push(key);
    const cells = new Map();
    if (isObject(row) && typeof row !== "function") {
      for (const k of properties ?? ObjectKeys(row)) {
        addColumn(k);
        if (ObjectHasOwn(row, k)) cells.set(k, fmt(row[k]));
      }
    } else {
      hasValues = true;
      cells.set(VALUES, fmt(row));
    }
    rows.push(cells);
  }
  if (properties !== undefined) {
    columns.length = 0;
    for (const p of properties) columns.push(p);
  }
  const header = ["(index)", ...columns.map((c) => `${c}`)];
  if (hasValues) header.push("Values");
  const body = rows.map((cells, i) => {
    const line = [rowKeys[i], ...columns.map((c) => cells.get(c) ?? "")];
    if (hasValues) line.push(cells.get(VALUES) ?? "");
    return line;
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)) + 2);
  const center = (s, w) => {
    const left = Math.floor((w - s.length) / 2);
    return " ".repeat(left) + s + " ".repeat(w - s.length - left);
  };
  const line = (l, m, r) => l + widths.map((w) => "─".repeat(w)).join(m) + r;
  const out = [line("┌", "┬", "┐")];
  out.push(`│${header.map((h, i) => center(h, widths[i])).join("│")}│`);
  out.push(line("├", "┼", "┤"));
  for (const r of body) out.push(`│${r.map((c, i) => center(c, widths[i])).join("│")}│`);
  out.push(line("└", "┴", "┘"));
  return out.join("\n");
}
const VALUES = Symbol("values");

const consoleMethods = {
  log(...args) {
    emit(LEVEL_LOG, safeFormat(args));
  },
  info(...args) {
    emit(LEVEL_INFO, safeFormat(args));
  },
  debug(...args) {
    emit(LEVEL_DEBUG, safeFormat(args));
  },
  warn(...args) {
    emit(LEVEL_WARN, safeFormat(args));
  },
  error(...args) {
    emit(LEVEL_ERROR, safeFormat(args));
  },
  trace(...args) {
    // The core's console.trace is the frame to skip: the stack starts at its caller.
    let stack = captureStack(consoleObject.trace);
    if (mapStack !== null && stack !== "") stack = mapStack(toUSVString(stack));
    stack = stack.replace(/\s+$/, "");
    const message = args.length === 0 ? "Trace" : `Trace: ${safeFormat(args)}`;
    emit(LEVEL_LOG, stack === "" ? message : `${message}\n${stack}`);
  },
  assert(condition = false, ...args) {
    if (condition) return;
    if (args.length === 0) args = ["Assertion failed"];
    else if (typeof args[0] === "string") args[0] = `Assertion failed: ${args[0]}`;
    else args.unshift("Assertion failed");
    emit(LEVEL_ERROR, safeFormat(args));
  },
  table(data = undefined, properties = undefined) {
    if (!isObject(data)) {
      emit(LEVEL_LOG, safeFormat([data]));
      return;
    }
    let text;
    try {
      text = renderTable(data, properties === undefined ? undefined : [...properties]);
    } catch {
      text = safeFormat([data]);
    }
    emit(LEVEL_LOG, text);
  },
  dir(item = undefined, options = undefined) {
    let depth = 2;
    if (isObject(options) && options.depth !== undefined) {
      depth = options.depth === null ? Infinity : +options.depth;
    }
    let text;
    try {
      text = formatValue(newInspectContext(depth), item, 0, true);
    } catch {
      text = safeFormat([item]);
    }
    emit(LEVEL_LOG, text);
  },
  dirxml(...args) {
    emit(LEVEL_LOG, safeFormat(args));
  },
  group(...label) {
    if (label.length > 0) emit(LEVEL_LOG, safeFormat(label));
    groupIndent += "  ";
  },
  groupCollapsed(...label) {
    if (label.length > 0) emit(LEVEL_LOG, safeFormat(label));
    groupIndent += "  ";
  },
  groupEnd() {
    groupIndent = groupIndent.slice(0, -2);
  },
  count(label = undefined) {
    label = labelOf(label);
    const n = (counters.get(label) ?? 0) + 1;
    counters.set(label, n);
    emit(LEVEL_LOG, `${label}: ${n}`);
  },
  countReset(label = undefined) {
    label = labelOf(label);
    if (!counters.has(label)) {
      emit(LEVEL_WARN, `Count for '${label}' does not exist`);
      return;
    }
    counters.set(label, 0);
  },
  time(label = undefined) {
    label = labelOf(label);
    if (timers.has(label)) {
      emit(LEVEL_WARN, `Warning: Label '${label}' already exists for console.time()`);
      return;
    }
    timers.set(label, performanceNow());
  },
  timeLog(label = undefined, ...data) {
    label = labelOf(label);
    const start = timers.get(label);
    if (start === undefined) {
      emit(LEVEL_WARN, `Warning: No such label '${label}' for console.timeLog()`);
      return;
    }
    const extra = data.length > 0 ? ` ${safeFormat(data)}` : "";
    emit(LEVEL_LOG, `${label}: ${formatDuration(performanceNow() - start)}${extra}`);
  },
  timeEnd(label = undefined) {
    label = labelOf(label);
    const start = timers.get(label);
    if (start === undefined) {
      emit(LEVEL_WARN, `Warning: No such label '${label}' for console.timeEnd()`);
      return;
    }
    timers.delete(label);
    emit(LEVEL_LOG, `${label}: ${formatDuration(performanceNow() - start)}`);
  },
  clear() {},
};

// Reports an exception nobody caught (queueMicrotask callbacks), like an uncaught error.
let reportingException = false;

// The HTML spec's "report an exception": an `error` event on globalThis first (a listener may
// cancel it), then the console. A listener that throws while handling one is only logged.
function reportException(e) {
  // Only a loaded events extra can have listeners on globalThis.
  if (!reportingException && extraLoaded("events")) {
    reportingException = true;
    try {
      const { ErrorEvent, globalEvents } = extra("events");
      const event = new ErrorEvent("error", {
        cancelable: true,
        error: e,
        message: isObject(e) && typeof e.message === "string" ? e.message : String(e),
      });
      if (!globalEvents.dispatchEvent(event)) return;
    } catch {
      // Fall through to the console.
    } finally {
      reportingException = false;
    }
  }
  let text;
  try {
    text = formatValue(newInspectContext(2), e, 0, true);
  } catch {
    text = "<exception could not be formatted>";
  }
  emit(LEVEL_ERROR, `Uncaught ${text}`);
}
