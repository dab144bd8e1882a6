// File API: Blob and File; XMLHttpRequest Standard: FormData; and the multipart/form-data
// serializer and parser the Body mixin uses. A Blob's bytes are one immutable Uint8Array that
// slices share (nothing ever writes to it).

function blobTypeOf(type) {
  const text = toDOMString(type);
  // The spec: a type with any char outside U+0020–U+007E is the empty string; else lowercase.
  return /^[\x20-\x7e]*$/.test(text) ? text.toLowerCase() : "";
}

function blobPartsToBytes(parts, endings, where) {
  if (parts === undefined) return new Uint8Array(0);
  if (!isObject(parts) || typeof parts[SymbolIterator] !== "function") {
    throw new TypeError(`${where}: The provided value cannot be converted to a sequence.`);
  }
  const chunks = [];
  let total = 0;
  for (const part of parts) {
    let bytes;
    if (isBlob(part)) {
      bytes = blobBytes(part);
    } else if (ArrayBufferIsView(part)) {
      bytes = new Uint8Array(part.buffer.slice(part.byteOffset, part.byteOffset + part.byteLength));
    } else if (isArrayBuffer(part)) {
      bytes = new Uint8Array(part.slice(0));
    } else {
      let text = toUSVString(part);
      if (endings === "native") text = text.replace(/\r\n|\r/g, "\n");
      bytes = native.encode(text);
    }
    chunks.push(bytes);
    total += bytes.byteLength;
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

function blobOptions(options, where) {
  options = dictionary(options, where);
  let type = "";
  let endings = "transparent";
  if (options !== undefined) {
    if (options.endings !== undefined) {
      endings = toDOMString(options.endings);
      if (endings !== "transparent" && endings !== "native") {
        throw new TypeError(
          `${where}: The provided value '${endings}' is not a valid enum value of type EndingType.`,
        );
      }
    }
    if (options.type !== undefined) type = blobTypeOf(options.type);
  }
  return [type, endings];
}

let isBlob;
let blobBytes; // (blob) -> Uint8Array (shared, never written)
let makeBlob; // (bytes, type) -> Blob

class Blob {
  #bytes;
  #type;

  constructor(blobParts = undefined, options = undefined) {
    if (blobParts === INTERNAL) {
      this.#bytes = options.bytes;
      this.#type = options.type;
      return;
    }
    const where = "Failed to construct 'Blob'";
    const [type, endings] = blobOptions(options, where);
    this.#bytes = blobPartsToBytes(blobParts, endings, where);
    this.#type = type;
  }

  get size() {
    if (!(#bytes in this)) illegalInvocation();
    return this.#bytes.byteLength;
  }

  get type() {
    if (!(#bytes in this)) illegalInvocation();
    return this.#type;
  }

  slice(start = undefined, end = undefined, contentType = undefined) {
    if (!(#bytes in this)) illegalInvocation();
    const size = this.#bytes.byteLength;
    const clamp = (value, fallback) => {
      if (value === undefined) return fallback;
      const n = Math.trunc(Number(value)) || 0;
      return n < 0 ? Math.max(size + n, 0) : Math.min(n, size);
    };
    const from = clamp(start, 0);
    const to = clamp(end, size);
    const type = contentType === undefined ? "" : blobTypeOf(contentType);
    return new Blob(INTERNAL, { bytes: this.#bytes.subarray(from, Math.max(from, to)), type });
  }

  text() {
    if (!(#bytes in this)) return PromiseReject(new TypeError("Illegal invocation"));
    return PromiseResolve(new TextDecoder().decode(this.#bytes));
  }

  arrayBuffer() {
    if (!(#bytes in this)) return PromiseReject(new TypeError("Illegal invocation"));
    const bytes = this.#bytes;
    return PromiseResolve(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  }

  bytes() {
    if (!(#bytes in this)) return PromiseReject(new TypeError("Illegal invocation"));
    return PromiseResolve(new Uint8Array(this.#bytes));
  }

  stream() {
    if (!(#bytes in this)) illegalInvocation();
    const bytes = this.#bytes;
    let sent = false;
    return createInternalStream(
      (controller) => {
        if (!sent && bytes.byteLength > 0) controllerEnqueue(controller, new Uint8Array(bytes));
        sent = true;
        controllerClose(controller);
        return PromiseResolve(undefined);
      },
      undefined,
      0,
    );
  }

  [inspectSymbol]() {
    return { size: this.#bytes.byteLength, type: this.#type };
  }

  static {
    isBlob = (value) => isObject(value) && #bytes in value;
    blobBytes = (blob) => blob.#bytes;
    makeBlob = (bytes, type) => new Blob(INTERNAL, { bytes, type });
  }
}
finishInterface(Blob);

class File extends Blob {
  #name;
  #lastModified;

  constructor(fileBits, fileName, options = undefined) {
    const where = "Failed to construct 'File'";
    requireArgs(arguments.length, 2, where);
    const [type, endings] = blobOptions(options, where);
    super(INTERNAL, { bytes: blobPartsToBytes(fileBits, endings, where), type });
    this.#name = toUSVString(fileName);
    const lastModified = options?.lastModified;
    this.#lastModified = lastModified === undefined ? Date.now() : Math.trunc(Number(lastModified)) || 0;
  }

  get name() {
    if (!(#name in this)) illegalInvocation();
    return this.#name;
  }

  get lastModified() {
    if (!(#name in this)) illegalInvocation();
    return this.#lastModified;
  }

  get webkitRelativePath() {
    if (!(#name in this)) illegalInvocation();
    return "";
  }

  static isFile(value) {
    return isObject(value) && #name in value;
  }
}
const isFile = File.isFile;
delete File.isFile;
finishInterface(File);

// === FormData ===

// The spec's "create an entry": a Blob value becomes a File (named "blob", or `filename`).
function formEntryValue(value, filename) {
  if (!isBlob(value)) return toUSVString(value);
  if (filename === undefined && isFile(value)) return value;
  const name = filename === undefined ? "blob" : toUSVString(filename);
  const file = new File([value], name, { type: value.type, lastModified: isFile(value) ? value.lastModified : undefined });
  return file;
}

let formDataEntries; // (formData) -> [[name, value], ...] (live)


let isFormData;

class FormData {
  #entries = [];

  constructor(form = undefined) {
    if (form !== undefined) {
      throw new TypeError("Failed to construct 'FormData': there are no HTML forms in a worker.");
    }
  }

  append(name, value, filename = undefined) {
    if (!(#entries in this)) illegalInvocation();
    requireArgs(arguments.length, 2, "Failed to execute 'append' on 'FormData'");
    this.#entries.push([toUSVString(name), formEntryValue(value, arguments.length > 2 ? filename : undefined)]);
  }

  delete(name) {
    if (!(#entries in this)) illegalInvocation();
    requireArgs(arguments.length, 1, "Failed to execute 'delete' on 'FormData'");
    name = toUSVString(name);
    this.#entries = this.#entries.filter((entry) => entry[0] !== name);
  }

  get(name) {
    if (!(#entries in this)) illegalInvocation();
    requireArgs(arguments.length, 1, "Failed to execute 'get' on 'FormData'");
    name = toUSVString(name);
    const entry = this.#entries.find((e) => e[0] === name);
    return entry === undefined ? null : entry[1];
  }

  getAll(name) {
    if (!(#entries in this)) illegalInvocation();
    requireArgs(arguments.length, 1, "Failed to execute 'getAll' on 'FormData'");
    name = toUSVString(name);
    return this.#entries.filter((e) => e[0] === name).map((e) => e[1]);
  }

  has(name) {
    if (!(#entries in this)) illegalInvocation();
    requireArgs(arguments.length, 1, "Failed to execute 'has' on 'FormData'");
    name = toUSVString(name);
    return this.#entries.some((e) => e[0] === name);
  }

  set(name, value, filename = undefined) {
    if (!(#entries in this)) illegalInvocation();
    requireArgs(arguments.length, 2, "Failed to execute 'set' on 'FormData'");
    name = toUSVString(name);
    const entry = [name, formEntryValue(value, arguments.length > 2 ? filename : undefined)];
    const at = this.#entries.findIndex((e) => e[0] === name);
    if (at === -1) {
      this.#entries.push(entry);
    } else {
      this.#entries[at] = entry;
      this.#entries = this.#entries.filter((e, i) => i <= at || e[0] !== name);
    }
  }

  forEach(callback, thisArg = undefined) {
    if (!(#entries in this)) illegalInvocation();
    forEachPair(this, formDataPairAt, callback, thisArg, this);
  }

  keys() {
    if (!(#entries in this)) illegalInvocation();
    return new FormDataIterator(INTERNAL, this, 0);
  }

  values() {
    if (!(#entries in this)) illegalInvocation();
    return new FormDataIterator(INTERNAL, this, 1);
  }

  entries() {
    if (!(#entries in this)) illegalInvocation();
    return new FormDataIterator(INTERNAL, this, 2);
  }

  [inspectSymbol]() {
    return this.#entries.map(([name, value]) => ({ name, value }));
  }

  static {
    formDataEntries = (formData) => formData.#entries;
    isFormData = (value) => isObject(value) && #entries in value;
  }
}
const formDataPairAt = (formData, index) => formDataEntries(formData)[index];
const FormDataIterator = defineIterator("FormData", formDataPairAt);
ObjectDefineProperty(FormData.prototype, SymbolIterator, {
  value: FormData.prototype.entries,
  writable: true,
  configurable: true,
});
finishInterface(FormData);

// === multipart/form-data ===

function escapeMultipartName(name) {
  return name.replace(/\r\n|\r|\n/g, "\r\n").replace(/\n/g, "%0A").replace(/\r/g, "%0D").replace(/"/g, "%22");
}

// The HTML spec's multipart/form-data encoding: [bytes, contentType].
function serializeFormData(formData) {
  let boundary = "----SwitchyardFormBoundary";
  const random = new Uint8Array(12);
  crypto.getRandomValues(random);
  for (const b of random) boundary += "0123456789abcdef"[b & 15];
  const parts = [];
  for (const [name, value] of formDataEntries(formData)) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${escapeMultipartName(name)}"`;
    if (typeof value === "string") {
      parts.push(`${head}\r\n\r\n${value.replace(/\r(?!\n)|(?<!\r)\n/g, "\r\n")}\r\n`);
    } else {
      head += `; filename="${escapeMultipartName(value.name)}"\r\nContent-Type: ${value.type || "application/octet-stream"}\r\n\r\n`;
      parts.push(head, blobBytes(value), "\r\n");
    }
  }
  parts.push(`--${boundary}--\r\n`);
  const bytes = blobPartsToBytes(parts, "transparent", "FormData");
  return [bytes, `multipart/form-data; boundary=${boundary}`];
}

// A parameter of a Content-Type or Content-Disposition header value.
function headerParameter(value, name) {
  const pattern = new RegExp(`(?:^|;)\\s*${name}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]*))`, "i");
  const match = pattern.exec(value);
  if (match === null) return undefined;
  return match[1] !== undefined ? match[1].replace(/\\(.)/g, "$1") : match[2];
}

function indexOfBytes(haystack, needle, from) {
  const first = needle[0];
  const last = haystack.length - needle.length;
  outer: for (let i = from; i <= last; i++) {
    if (haystack[i] !== first) continue;
    for (let j = 1; j < needle.length; j++) {
      if (haystack[i + j] !== needle[j]) continue outer;
    }
    return i;
  }
  return -1;
}

function parseMultipart(bytes, boundary) {
  const invalid = () => new TypeError("Failed to parse the body as FormData: the multipart body is malformed.");
  const delimiter = native.encode(`--${boundary}`);
  const formData = new FormData();
  let position = indexOfBytes(bytes, delimiter, 0);
  if (position === -1) throw invalid();
  const decoder = new TextDecoder();
  for (;;) {
    position += delimiter.length;
    // "--" after a delimiter ends the body.
    if (bytes[position] === 0x2d && bytes[position + 1] === 0x2d) break;
    if (bytes[position] !== 0x0d || bytes[position + 1] !== 0x0a) throw invalid();
    position += 2;
    const headerEnd = indexOfBytes(bytes, native.encode("\r\n\r\n"), position);
    if (headerEnd === -1) throw invalid();
    const headerText = decoder.decode(bytes.subarray(position, headerEnd));
    let disposition, contentType;
    for (const line of headerText.split("\r\n")) {
      const colon = line.indexOf(":");
      if (colon === -1) continue;
      const headerName = line.slice(0, colon).trim().toLowerCase();
      const headerValue = line.slice(colon + 1).trim();
      if (headerName === "content-disposition") disposition = headerValue;
      else if (headerName === "content-type") contentType = headerValue;
    }
    if (disposition === undefined || !/^form-data\b/i.test(disposition)) throw invalid();
    const name = headerParameter(disposition, "name");
    if (name === undefined) throw invalid();
    const filename = headerParameter(disposition, "filename");
    const bodyStart = headerEnd + 4;
    const next = indexOfBytes(bytes, delimiter, bodyStart);
    if (next === -1 || next < bodyStart + 2) throw invalid();
    // The part's body ends before the CRLF that precedes the next delimiter.
    const body = bytes.subarray(bodyStart, next - 2);
    if (filename === undefined) {
      formData.append(name, decoder.decode(body));
    } else {
      formData.append(name, new File([body], filename, { type: contentType ?? "text/plain" }));
    }
    position = next;
  }
  return formData;
}

// Body mixin's formData(): by the body's Content-Type.
function formDataFromBytes(bytes, contentType) {
  const essence = (contentType ?? "").split(";")[0].trim().toLowerCase();
  if (essence === "multipart/form-data") {
    const boundary = headerParameter(contentType, "boundary");
    if (boundary === undefined || boundary === "") {
      throw new TypeError("Failed to parse the body as FormData: the multipart boundary is missing.");
    }
    return parseMultipart(bytes, boundary);
  }
  if (essence === "application/x-www-form-urlencoded") {
    const formData = new FormData();
    const list = native.formParse(new TextDecoder().decode(bytes));
    for (let i = 0; i < list.length; i += 2) formData.append(list[i], list[i + 1]);
    return formData;
  }
  throw new TypeError(
    `Failed to parse the body as FormData: the Content-Type is '${contentType ?? ""}', not multipart/form-data or application/x-www-form-urlencoded.`,
  );
}
