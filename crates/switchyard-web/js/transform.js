// Streams Standard: TransformStream and its controller, and the transform streams built on it:
// TextEncoderStream, TextDecoderStream, CompressionStream and DecompressionStream (the coding
// itself is native: UTF-8 in Rust, deflate and gzip by flate2).

// A ReadableStream over internal algorithms whose start waits on `startPromise`.
function createReadableFromAlgorithms(startPromise, pull, cancel, hwm, size) {
  const stream = newStreamRecord();
  const controller = newControllerRecord(stream, hwm, size);
  controller.pullAlgorithm = pull;
  controller.cancelAlgorithm = cancel;
  stream.controller = controller;
  controller.object = new ReadableStreamDefaultController(INTERNAL, controller);
  const object = new ReadableStream(INTERNAL, stream);
  startController(controller, startPromise);
  return object;
}

// --- TransformStream abstract operations ---------------------------------------------------

function readableControllerOf(stream) {
  return streamRecordOf(stream.readable).controller;
}

function writableControllerOf(stream) {
  return writableRecordOf(stream.writable).controller;
}

function setTransformBackpressure(stream, backpressure) {
  if (stream.backpressureChange !== undefined) stream.backpressureChange.resolve(undefined);
  stream.backpressureChange = deferred();
  stream.backpressure = backpressure;
}

function transformError(stream, error) {
  controllerError(readableControllerOf(stream), error);
  errorWritableAndUnblockWrite(stream, error);
}

function errorWritableAndUnblockWrite(stream, error) {
  clearTransformAlgorithms(stream.controller);
  writableErrorIfNeeded(writableControllerOf(stream), error);
  unblockWrite(stream);
}

function unblockWrite(stream) {
  if (stream.backpressure) setTransformBackpressure(stream, false);
}

function clearTransformAlgorithms(controller) {
  controller.transformAlgorithm = undefined;
  controller.flushAlgorithm = undefined;
  controller.cancelAlgorithm = undefined;
}

function transformEnqueue(controller, chunk) {
  const stream = controller.stream;
  const readableController = readableControllerOf(stream);
  if (!canCloseOrEnqueue(readableController)) {
    throw new TypeError("The readable side of the TransformStream is closed or errored.");
  }
  try {
    controllerEnqueue(readableController, chunk);
  } catch (e) {
    errorWritableAndUnblockWrite(stream, e);
    throw streamRecordOf(stream.readable).storedError;
  }
  const backpressure = !shouldCallPull(readableController);
  if (backpressure !== stream.backpressure) setTransformBackpressure(stream, true);
}

function transformTerminate(controller) {
  const stream = controller.stream;
  controllerClose(readableControllerOf(stream));
  errorWritableAndUnblockWrite(stream, new TypeError("The TransformStream was terminated."));
}

function performTransform(controller, chunk) {
  const transform = controller.transformAlgorithm;
  const result = transform === undefined ? PromiseResolve(undefined) : transform(chunk);
  return then(result, undefined, (r) => {
    transformError(controller.stream, r);
    throw r;
  });
}

function sinkWrite(stream, chunk) {
  const controller = stream.controller;
  if (stream.backpressure) {
    return then(stream.backpressureChange.promise, () => {
      const writable = writableRecordOf(stream.writable);
      if (writable.state === "erroring") throw writable.storedError;
      return performTransform(controller, chunk);
    });
  }
  return performTransform(controller, chunk);
}

function sinkAbort(stream, reason) {
  const controller = stream.controller;
  if (controller.finish !== undefined) return controller.finish.promise;
  const readable = streamRecordOf(stream.readable);
  controller.finish = deferred();
  const cancel = controller.cancelAlgorithm;
  const result = cancel === undefined ? PromiseResolve(undefined) : cancel(reason);
  clearTransformAlgorithms(controller);
  then(
    result,
    () => {
      if (readable.state === "errored") {
        controller.finish.reject(readable.storedError);
      } else {
        controllerError(readable.controller, reason);
        controller.finish.resolve(undefined);
      }
    },
    (r) => {
      controllerError(readable.controller, r);
      controller.finish.reject(r);
    },
  );
  return controller.finish.promise;
}

function sinkClose(stream) {
  const controller = stream.controller;
  if (controller.finish !== undefined) return controller.finish.promise;
  const readable = streamRecordOf(stream.readable);
  controller.finish = deferred();
  const flush = controller.flushAlgorithm;
  const result = flush === undefined ? PromiseResolve(undefined) : flush();
  clearTransformAlgorithms(controller);
  then(
    result,
    () => {
      if (readable.state === "errored") {
        controller.finish.reject(readable.storedError);
      } else {
        controllerClose(readable.controller);
        controller.finish.resolve(undefined);
      }
    },
    (r) => {
      controllerError(readable.controller, r);
      controller.finish.reject(r);
    },
  );
  return controller.finish.promise;
}

function sourcePullTransform(stream) {
  setTransformBackpressure(stream, false);
  return stream.backpressureChange.promise;
}

function sourceCancelTransform(stream, reason) {
  const controller = stream.controller;
  if (controller.finish !== undefined) return controller.finish.promise;
  const writable = writableRecordOf(stream.writable);
  controller.finish = deferred();
  const cancel = controller.cancelAlgorithm;
  const result = cancel === undefined ? PromiseResolve(undefined) : cancel(reason);
  clearTransformAlgorithms(controller);
  then(
    result,
    () => {
      if (writable.state === "errored") {
        controller.finish.reject(writable.storedError);
      } else {
        writableErrorIfNeeded(writable.controller, reason);
        unblockWrite(stream);
        controller.finish.resolve(undefined);
      }
    },
    (r) => {
      writableErrorIfNeeded(writable.controller, r);
      unblockWrite(stream);
      controller.finish.reject(r);
    },
  );
  return controller.finish.promise;
}

// InitializeTransformStream + SetUpTransformStreamDefaultController. `algorithms` holds
// transform(chunk, controller), flush(controller) and cancel(reason), each returning a promise.
function initializeTransform(record, startPromise, algorithms, strategies) {
  const [writableHwm, writableSize, readableHwm, readableSize] = strategies;
  record.writable = createWritableFromAlgorithms(
    () => startPromise,
    (chunk) => sinkWrite(record, chunk),
    () => sinkClose(record),
    (reason) => sinkAbort(record, reason),
    writableHwm,
    writableSize,
  );
  record.readable = createReadableFromAlgorithms(
    startPromise,
    () => sourcePullTransform(record),
    (_controller, reason) => sourceCancelTransform(record, reason),
    readableHwm,
    readableSize,
  );
  record.backpressure = undefined;
  record.backpressureChange = undefined;
  setTransformBackpressure(record, true);
  const controller = {
    stream: record,
    transformAlgorithm: undefined,
    flushAlgorithm: undefined,
    cancelAlgorithm: undefined,
    finish: undefined,
    object: undefined,
  };
  record.controller = controller;
  controller.object = new TransformStreamDefaultController(INTERNAL, controller);
  const { transform, flush, cancel } = algorithms;
  controller.transformAlgorithm =
    transform === undefined
      ? (chunk) => {
          try {
            transformEnqueue(controller, chunk);
            return PromiseResolve(undefined);
          } catch (e) {
            return PromiseReject(e);
          }
        }
      : (chunk) => transform(chunk, controller.object);
  controller.flushAlgorithm = flush === undefined ? undefined : () => flush(controller.object);
  controller.cancelAlgorithm = cancel;
  return controller;
}

class TransformStream {
  #t;

  constructor(transformer = undefined, writableStrategy = undefined, readableStrategy = undefined) {
    const where = "Failed to construct 'TransformStream'";
    if (transformer === null) throw new TypeError(`${where}: transformer must be an object.`);
    const t = dictionary(transformer, where);
    let cancel, flush, start, transform;
    if (t !== undefined) {
      cancel = t.cancel;
      flush = t.flush;
      const readableType = t.readableType;
      start = t.start;
      transform = t.transform;
      const writableType = t.writableType;
      for (const [name, fn] of [["cancel", cancel], ["flush", flush], ["start", start], ["transform", transform]]) {
        if (fn !== undefined && typeof fn !== "function") {
          throw new TypeError(`${where}: ${name} must be a function.`);
        }
      }
      if (readableType !== undefined) throw new RangeError(`${where}: Invalid readableType is specified.`);
      if (writableType !== undefined) throw new RangeError(`${where}: Invalid writableType is specified.`);
    }
    const [writableHwm, writableSize] = extractStrategy(writableStrategy, 1, where);
    const [readableHwm, readableSize] = extractStrategy(readableStrategy, 0, where);
    const start_ = deferred();
    const record = { readable: undefined, writable: undefined, object: this };
    this.#t = record;
    const controller = initializeTransform(
      record,
      start_.promise,
      {
        transform: transform === undefined ? undefined : (chunk, c) => promiseCall(transform, t, [chunk, c]),
        flush: flush === undefined ? undefined : (c) => promiseCall(flush, t, [c]),
        cancel: cancel === undefined ? undefined : (reason) => promiseCall(cancel, t, [reason]),
      },
      [writableHwm, writableSize, readableHwm, readableSize],
    );
    start_.resolve(start === undefined ? undefined : ReflectApply(start, t, [controller.object]));
  }

  get readable() {
    if (!(#t in this)) illegalInvocation();
    return this.#t.readable;
  }

  get writable() {
    if (!(#t in this)) illegalInvocation();
    return this.#t.writable;
  }
}
finishInterface(TransformStream);

class TransformStreamDefaultController {
  #c;

  constructor(key = undefined, record = undefined) {
    if (key !== INTERNAL) illegalConstructor();
    this.#c = record;
  }

  get desiredSize() {
    if (!(#c in this)) illegalInvocation();
    return desiredSize(readableControllerOf(this.#c.stream));
  }

  enqueue(chunk = undefined) {
    if (!(#c in this)) illegalInvocation();
    transformEnqueue(this.#c, chunk);
  }

  error(reason = undefined) {
    if (!(#c in this)) illegalInvocation();
    transformError(this.#c.stream, reason);
  }

  terminate() {
    if (!(#c in this)) illegalInvocation();
    transformTerminate(this.#c);
  }
}
setLength(TransformStreamDefaultController, 0);
finishInterface(TransformStreamDefaultController);

// A transform stream owned by a platform class (TextEncoderStream and friends): `transform`
// and `flush` are synchronous and get an `enqueue` function.
function createPlatformTransform(transform, flush) {
  const record = { readable: undefined, writable: undefined, object: undefined };
  const start = deferred();
  const controller = initializeTransform(
    record,
    start.promise,
    {
      transform: (chunk) => {
        try {
          transform(chunk, (value) => transformEnqueue(controller, value));
          return PromiseResolve(undefined);
        } catch (e) {
          return PromiseReject(e);
        }
      },
      flush: () => {
        try {
          flush((value) => transformEnqueue(controller, value));
          return PromiseResolve(undefined);
        } catch (e) {
          return PromiseReject(e);
        }
      },
      cancel: undefined,
    },
    [1, undefined, 0, undefined],
  );
  start.resolve(undefined);
  return record;
}

// --- TextEncoderStream / TextDecoderStream -------------------------------------------------

class TextEncoderStream {
  #t;
  #pendingHighSurrogate = "";

  constructor() {
    this.#t = createPlatformTransform(
      (chunk, enqueue) => {
        let text = this.#pendingHighSurrogate + toDOMString(chunk);
        this.#pendingHighSurrogate = "";
        const last = text.charCodeAt(text.length - 1);
        // A high surrogate at the end may pair with the next chunk's first code unit.
        if (last >= 0xd800 && last <= 0xdbff) {
          this.#pendingHighSurrogate = text[text.length - 1];
          text = text.slice(0, -1);
        }
        if (text.length > 0) enqueue(native.encode(toUSVString(text)));
      },
      (enqueue) => {
        if (this.#pendingHighSurrogate !== "") enqueue(new Uint8Array([0xef, 0xbf, 0xbd]));
      },
    );
  }

  get encoding() {
    if (!(#t in this)) illegalInvocation();
    return "utf-8";
  }

  get readable() {
    if (!(#t in this)) illegalInvocation();
    return this.#t.readable;
  }

  get writable() {
    if (!(#t in this)) illegalInvocation();
    return this.#t.writable;
  }
}
finishInterface(TextEncoderStream);

class TextDecoderStream {
  #t;
  #fatal;
  #ignoreBOM;

  constructor(label = "utf-8", options = undefined) {
    // The label and options are checked as TextDecoder checks them.
    const decoder = new TextDecoder(label, options);
    this.#fatal = decoder.fatal;
    this.#ignoreBOM = decoder.ignoreBOM;
    const state = native.newDecoder();
    const flags = (this.#fatal ? 1 : 0) | (this.#ignoreBOM ? 2 : 0);
    const check = (result) => {
      if (result === null) throw new TypeError("The encoded data was not valid for encoding utf-8");
      return result;
    };
    this.#t = createPlatformTransform(
      (chunk, enqueue) => {
        const parts = bufferSourceParts(chunk);
        if (parts === undefined) {
          throw new TypeError("TextDecoderStream: a chunk must be an ArrayBuffer or ArrayBufferView.");
        }
        const text = check(native.decodeStream(state, parts[0], parts[1], parts[2], flags | 4));
        if (text !== "") enqueue(text);
      },
      (enqueue) => {
        const text = check(native.decodeStream(state, undefined, 0, 0, flags));
        if (text !== "") enqueue(text);
      },
    );
  }

  get encoding() {
    if (!(#t in this)) illegalInvocation();
    return "utf-8";
  }

  get fatal() {
    if (!(#t in this)) illegalInvocation();
    return this.#fatal;
  }

  get ignoreBOM() {
    if (!(#t in this)) illegalInvocation();
    return this.#ignoreBOM;
  }

  get readable() {
    if (!(#t in this)) illegalInvocation();
    return this.#t.readable;
  }

  get writable() {
    if (!(#t in this)) illegalInvocation();
    return this.#t.writable;
  }
}
finishInterface(TextDecoderStream);

// --- CompressionStream / DecompressionStream -----------------------------------------------

function codecTransform(format, decompress, where) {
  format = toDOMString(format);
  const codec = native.codecNew(format, decompress);
  if (codec === null) {
    throw new TypeError(
      `${where}: Unsupported compression format: '${format}' (use "gzip", "deflate" or "deflate-raw").`,
    );
  }
  const check = (out) => {
    if (typeof out === "string") {
      throw new TypeError(`${decompress ? "Decompression" : "Compression"} failed: ${out}`);
    }
    return out;
  };
  return createPlatformTransform(
    (chunk, enqueue) => {
      const parts = bufferSourceParts(chunk);
      if (parts === undefined) {
        throw new TypeError(`${where.replace("construct", "write to")}: a chunk must be an ArrayBuffer or ArrayBufferView.`);
      }
      // Decompression is fed in small pieces: a kilobyte of a zip bomb inflates to about a
      // megabyte, so no single native call makes more than that, and what the chunks add up
      // to counts against the worker's memory limit as JavaScript data.
      const [buffer, offset, length] = parts;
      const step = decompress ? 1024 : length;
      for (let at = 0; at < length || at === 0; at += step) {
        const out = check(native.codecPush(codec, buffer, offset + at, Math.min(step, length - at)));
        if (out.byteLength > 0) enqueue(out);
        if (length === 0) break;
      }
    },
    (enqueue) => {
      const out = check(native.codecFinish(codec));
      if (out.byteLength > 0) enqueue(out);
    },
  );
}

class CompressionStream {
  #t;
  constructor(format) {
    requireArgs(arguments.length, 1, "Failed to construct 'CompressionStream'");
    this.#t = codecTransform(format, false, "Failed to construct 'CompressionStream'");
  }
  get readable() {
    if (!(#t in this)) illegalInvocation();
    return this.#t.readable;
  }
  get writable() {
    if (!(#t in this)) illegalInvocation();
    return this.#t.writable;
  }
}
finishInterface(CompressionStream);

class DecompressionStream {
  #t;
  constructor(format) {
    requireArgs(arguments.length, 1, "Failed to construct 'DecompressionStream'");
    this.#t = codecTransform(format, true, "Failed to construct 'DecompressionStream'");
  }
  get readable() {
    if (!(#t in this)) illegalInvocation();
    return this.#t.readable;
  }
  get writable() {
    if (!(#t in this)) illegalInvocation();
    return this.#t.writable;
  }
}
finishInterface(DecompressionStream);
