// Encoding Standard: TextEncoder / TextDecoder (UTF-8 only, as on Cloudflare). The coding
// itself is native.

// [buffer, byteOffset, byteLength] of a BufferSource, or undefined if it is not one.
function bufferSourceParts(input) {
  if (ArrayBufferIsView(input)) return [input.buffer, input.byteOffset, input.byteLength];
  if (isArrayBuffer(input)) return [input, 0, input.byteLength];
  return undefined;
}

class TextEncoder {
  #brand = true;

  get encoding() {
    if (!(#brand in this)) illegalInvocation();
    return "utf-8";
  }

  encode(input = "") {
    if (!(#brand in this)) illegalInvocation();
    return native.encode(toUSVString(input));
  }

  encodeInto(source, destination) {
    if (!(#brand in this)) illegalInvocation();
    requireArgs(arguments.length, 2, "Failed to execute 'encodeInto' on 'TextEncoder'");
    source = toUSVString(source);
    if (typedArrayName(destination) !== "Uint8Array") {
      throw new TypeError(
        "Failed to execute 'encodeInto' on 'TextEncoder': parameter 2 is not of type 'Uint8Array'.",
      );
    }
    const buffer = destination.buffer;
    if (buffer.immutable === true) {
      throw new TypeError(
        "Failed to execute 'encodeInto' on 'TextEncoder': the destination is immutable.",
      );
    }
    return native.encodeInto(source, buffer, destination.byteOffset, destination.byteLength);
  }

  [inspectSymbol]() {
    return { encoding: "utf-8" };
  }
}
finishInterface(TextEncoder);

// The Encoding Standard's labels for UTF-8.
const UTF8_LABELS = new Set([
  "unicode-1-1-utf-8",
  "unicode11utf8",
  "unicode20utf8",
  "utf-8",
  "utf8",
  "x-unicode20utf8",
]);
const ASCII_WHITESPACE_EDGES = /^[\t\n\f\r ]+|[\t\n\f\r ]+$/g;

class TextDecoder {
  #fatal;
  #ignoreBOM;
  // Native streaming state, only while a `stream: true` sequence is in progress.
  #state = null;

  constructor(label = "utf-8", options = undefined) {
    label = toDOMString(label);
    options = dictionary(options, "Failed to construct 'TextDecoder'");
    const normalized = label.replace(ASCII_WHITESPACE_EDGES, "").toLowerCase();
    if (!UTF8_LABELS.has(normalized)) {
      throw new RangeError(
        `Failed to construct 'TextDecoder': The encoding label provided ('${label}') is invalid.`,
      );
    }
    this.#fatal = options === undefined ? false : !!options.fatal;
    this.#ignoreBOM = options === undefined ? false : !!options.ignoreBOM;
  }

  get encoding() {
    if (!(#fatal in this)) illegalInvocation();
    return "utf-8";
  }

  get fatal() {
    return this.#fatal;
  }

  get ignoreBOM() {
    return this.#ignoreBOM;
  }

  decode(input = undefined, options = undefined) {
    if (!(#fatal in this)) illegalInvocation();
    let parts;
    if (input === undefined) {
      parts = undefined;
    } else {
      parts = bufferSourceParts(input);
      if (parts === undefined) {
        throw new TypeError(
          "Failed to execute 'decode' on 'TextDecoder': The provided value is not of type '(ArrayBuffer or ArrayBufferView)'.",
        );
      }
    }
    options = dictionary(options, "Failed to execute 'decode' on 'TextDecoder'");
    const stream = options === undefined ? false : !!options.stream;
    let result;
    if (this.#state === null && !stream) {
      if (parts === undefined) return "";
      result = native.decode(parts[0], parts[1], parts[2], this.#fatal, this.#ignoreBOM);
    } else {
      if (this.#state === null) this.#state = native.newDecoder();
      const state = this.#state;
      if (!stream) this.#state = null;
      const flags = (this.#fatal ? 1 : 0) | (this.#ignoreBOM ? 2 : 0) | (stream ? 4 : 0);
      result =
        parts === undefined
          ? native.decodeStream(state, undefined, 0, 0, flags)
          : native.decodeStream(state, parts[0], parts[1], parts[2], flags);
    }
    if (result === null) {
      this.#state = null;
      throw new TypeError("The encoded data was not valid for encoding utf-8");
    }
    return result;
  }

  [inspectSymbol]() {
    return { encoding: "utf-8", fatal: this.#fatal, ignoreBOM: this.#ignoreBOM };
  }
}
finishInterface(TextDecoder);
