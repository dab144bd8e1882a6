// Streams Standard: default ReadableStreams with their controller, default reader, async
// iteration, tee() and ReadableStream.from(). An extra ("readable"), loaded when a stream is
// first made or a body first becomes one; byte streams, writable and transform streams are in
// the "streams" extra.
//
// The algorithms follow the spec's abstract operations but act on plain internal records
// (stream, controller, reader) that the public objects hold in a private field, so the
// algorithms can be ordinary functions shared by all three classes.
//
// Body streams: `request.body`/`response.body` are streams whose record keeps the body's
// source (a string or a Rust BodyBytes handle) in `bodySource` and only turns it into a
// Uint8Array chunk when someone reads (high-water mark 0, so nothing is pulled ahead). Until
// then `takeBodySource` can hand the untouched source on, which is how a forwarded body
// reaches Rust again as the same bytes.

function noop() {}

function markHandled(promise) {
  then(promise, undefined, noop);
}

function promiseCall(fn, thisArg, args) {
  try {
    return PromiseResolve(ReflectApply(fn, thisArg, args));
  } catch (e) {
    return PromiseReject(e);
  }
}

function newStreamRecord() {
  return {
    state: "readable", // "closed" | "errored"
    reader: undefined, // reader record while locked
    storedError: undefined,
    disturbed: false,
    controller: undefined,
    bodySource: undefined, // string | BodyBytes handle | StreamHandle, for body streams until read
    handle: undefined, // the StreamHandle being read, once reading started
    isBody: false, // a Request/Response body (see createBodyStream)
    object: undefined,
  };
}

function newControllerRecord(stream, hwm, size) {
  return {
    stream,
    queue: [],
    sizes: size === undefined ? null : [],
    totalSize: 0,
    started: false,
    closeRequested: false,
    pullAgain: false,
    pulling: false,
    size,
    hwm,
    pullAlgorithm: undefined, // (controller) -> promise
    cancelAlgorithm: undefined, // (controller, reason) -> promise
    source: undefined,
    pullMethod: undefined,
    cancelMethod: undefined,
    object: undefined,
  };
}

function newReaderRecord(stream) {
  return { stream, readRequests: [], closed: undefined, object: undefined };
}

// Read requests are deferreds: chunk -> {value, done: false}, close -> {done: true}.
function fulfillRead(request, value, done) {
  request.resolve({ value, done });
}

// --- ReadableStream abstract operations -------------------------------------------------

function streamClose(stream) {
  stream.state = "closed";
  const reader = stream.reader;
  if (reader === undefined) return;
  reader.closed.resolve(undefined);
  const requests = reader.readRequests;
  if (requests.length > 0) {
    reader.readRequests = [];
    for (const request of requests) fulfillRead(request, undefined, true);
  }
}

function dropHandle(stream) {
  const handle = stream.handle ?? stream.bodySource;
  if (isStreamHandle(handle)) native.dropStreamHandle(handle);
  stream.handle = undefined;
}

function streamError(stream, e) {
  stream.state = "errored";
  stream.storedError = e;
  dropHandle(stream);
  stream.bodySource = undefined;
  const reader = stream.reader;
  if (reader === undefined) return;
  reader.closed.reject(e);
  markHandled(reader.closed.promise);
  const requests = reader.readRequests;
  if (requests.length > 0) {
    reader.readRequests = [];
    for (const request of requests) request.reject(e);
  }
  rejectReadIntoRequests(reader, e);
}

// A BYOB reader's pending reads (see the streams extra's byte streams).
function rejectReadIntoRequests(reader, e) {
  const requests = reader.readIntoRequests;
  if (requests !== undefined && requests.length > 0) {
    reader.readIntoRequests = [];
    for (const request of requests) request.reject(e);
  }
}

function streamCancel(stream, reason) {
  stream.disturbed = true;
  if (stream.state === "closed") return PromiseResolve(undefined);
  if (stream.state === "errored") return PromiseReject(stream.storedError);
  streamClose(stream);
  dropHandle(stream);
  stream.bodySource = undefined;
  const controller = stream.controller;
  if (controller.kind === "bytes") return then(extra("streams").byteCancelSteps(controller, reason), noop);
  resetQueue(controller);
  const cancel = controller.cancelAlgorithm;
  const result = cancel === undefined ? PromiseResolve(undefined) : cancel(controller, reason);
  clearAlgorithms(controller);
  return then(result, noop);
}

// --- ReadableStreamDefaultController abstract operations ---------------------------------

function resetQueue(controller) {
  controller.queue = [];
  if (controller.sizes !== null) controller.sizes = [];
  controller.totalSize = 0;
}

function clearAlgorithms(controller) {
  controller.pullAlgorithm = undefined;
  controller.cancelAlgorithm = undefined;
  controller.size = undefined;
  controller.source = undefined;
  controller.pullMethod = undefined;
  controller.cancelMethod = undefined;
}

function canCloseOrEnqueue(controller) {
  return !controller.closeRequested && controller.stream.state === "readable";
}

function desiredSize(controller) {
  const state = controller.stream.state;
  if (state === "errored") return null;
  if (state === "closed") return 0;
  return controller.hwm - controller.totalSize;
}

function shouldCallPull(controller) {
  if (!canCloseOrEnqueue(controller) || !controller.started) return false;
  const reader = controller.stream.reader;
  if (reader !== undefined && reader.readRequests.length > 0) return true;
  if (reader !== undefined && reader.readIntoRequests?.length > 0) return true;
  return desiredSize(controller) > 0;
}

function callPullIfNeeded(controller) {
  if (!shouldCallPull(controller)) return;
  if (controller.pulling) {
    controller.pullAgain = true;
    return;
  }
  controller.pulling = true;
  const pull = controller.pullAlgorithm;
  const result = pull === undefined ? PromiseResolve(undefined) : pull(controller);
  then(
    result,
    () => {
      controller.pulling = false;
      if (controller.pullAgain) {
        controller.pullAgain = false;
        callPullIfNeeded(controller);
      }
    },
    (e) => controllerError(controller, e),
  );
}

function controllerClose(controller) {
  if (!canCloseOrEnqueue(controller)) return;
  controller.closeRequested = true;
  if (controller.queue.length === 0) {
    clearAlgorithms(controller);
    streamClose(controller.stream);
  }
}

function controllerEnqueue(controller, chunk) {
  if (!canCloseOrEnqueue(controller)) return;
  const stream = controller.stream;
  const reader = stream.reader;
  if (reader !== undefined && reader.readRequests.length > 0) {
    fulfillRead(reader.readRequests.shift(), chunk, false);
  } else {
    let size = 1;
    if (controller.size !== undefined) {
      try {
        size = controller.size(chunk);
        size = +size;
        if (!(size >= 0) || size === Infinity) {
          throw new RangeError("The return value of a queuing strategy's size function must be a finite, non-NaN, non-negative number.");
        }
      } catch (e) {
        controllerError(controller, e);
        throw e;
      }
      controller.sizes.push(size);
    }
    controller.queue.push(chunk);
    controller.totalSize += size;
  }
  callPullIfNeeded(controller);
}

function controllerError(controller, e) {
  const stream = controller.stream;
  if (stream.state !== "readable") return;
  if (controller.kind === "bytes") extra("streams").byteClearPullIntos(controller);
  resetQueue(controller);
  clearAlgorithms(controller);
  streamError(stream, e);
}

function dequeue(controller) {
  const chunk = controller.queue.shift();
  if (controller.sizes !== null) {
    controller.totalSize -= controller.sizes.shift();
    if (controller.totalSize < 0) controller.totalSize = 0;
  } else {
    controller.totalSize -= 1;
  }
  return chunk;
}

// [[PullSteps]]
function controllerPullSteps(controller, request) {
  if (controller.kind === "bytes") {
    extra("streams").bytePullSteps(controller, request);
    return;
  }
  const stream = controller.stream;
  if (controller.queue.length > 0) {
    const chunk = dequeue(controller);
    if (controller.closeRequested && controller.queue.length === 0) {
      clearAlgorithms(controller);
      streamClose(stream);
    } else {
      callPullIfNeeded(controller);
    }
    fulfillRead(request, chunk, false);
  } else {
    stream.reader.readRequests.push(request);
    callPullIfNeeded(controller);
  }
}

function startController(controller, startResult) {
  then(
    PromiseResolve(startResult),
    () => {
      controller.started = true;
      callPullIfNeeded(controller);
    },
    (e) => controllerError(controller, e),
  );
}

// Algorithms for a user-supplied underlying source (shared, no per-stream closures).
function sourcePull(controller) {
  return promiseCall(controller.pullMethod, controller.source, [controller.object]);
}

function sourceCancel(controller, reason) {
  return promiseCall(controller.cancelMethod, controller.source, [reason]);
}

// --- Readers -------------------------------------------------------------------------------

function acquireReader(stream) {
  if (stream.reader !== undefined) {
    throw new TypeError("ReadableStream is locked.");
  }
  const reader = newReaderRecord(stream);
  reader.closed = deferred();
  stream.reader = reader;
  if (stream.state === "closed") {
    reader.closed.resolve(undefined);
  } else if (stream.state === "errored") {
    reader.closed.reject(stream.storedError);
    markHandled(reader.closed.promise);
  }
  return reader;
}

function readerRead(reader) {
  const request = deferred();
  const stream = reader.stream;
  stream.disturbed = true;
  if (stream.state === "closed") {
    fulfillRead(request, undefined, true);
  } else if (stream.state === "errored") {
    request.reject(stream.storedError);
  } else {
    controllerPullSteps(stream.controller, request);
  }
  return request.promise;
}

function readerRelease(reader) {
  const stream = reader.stream;
  const error = new TypeError("The reader was released.");
  if (stream.state === "readable") {
    reader.closed.reject(error);
  } else {
    reader.closed = deferred();
    reader.closed.reject(error);
  }
  markHandled(reader.closed.promise);
  if (stream.controller.kind === "bytes") extra("streams").byteReleaseSteps(stream.controller);
  stream.reader = undefined;
  reader.stream = undefined;
  const requests = reader.readRequests;
  reader.readRequests = [];
  for (const request of requests) request.reject(error);
  rejectReadIntoRequests(reader, error);
}

// --- Body streams --------------------------------------------------------------------------

function bodySourceToChunk(source) {
  return typeof source === "string"
    ? native.encode(source)
    : new Uint8Array(native.bodyArrayBuffer(source));
}

// A body stream's controller is a default one until a BYOB reader makes it a byte stream
// (see the streams extra's upgradeBodyStream).
function bodyEnqueue(controller, chunk) {
  if (controller.kind === "bytes") extra("streams").byteEnqueue(controller, chunk);
  else controllerEnqueue(controller, chunk);
}

function bodyClose(controller) {
  if (controller.kind === "bytes") extra("streams").bodyByteClose(controller);
  else controllerClose(controller);
}

function bodyStreamPull(controller) {
  const stream = controller.stream;
  const source = stream.bodySource;
  stream.bodySource = undefined;
  if (isStreamHandle(source)) stream.handle = source;
  if (stream.handle !== undefined) {
    // One chunk per pull: the Rust side is read only as fast as JavaScript reads.
    return then(readStreamChunk(stream.handle), (chunk) => {
      if (stream.state !== "readable") return;
      if (chunk === null) {
        stream.handle = undefined;
        bodyClose(controller);
      } else {
        bodyEnqueue(controller, chunk);
      }
    });
  }
  if (source !== undefined) {
    const chunk = bodySourceToChunk(source);
    if (chunk.byteLength > 0) bodyEnqueue(controller, chunk);
  }
  bodyClose(controller);
  return PromiseResolve(undefined);
}

// A stream over a body source; nothing is converted until the first read. The Fetch Standard
// makes it a byte stream; it starts as a default stream, which is cheaper, and becomes a byte
// stream when a BYOB reader asks for one.
function createBodyStream(source) {
  const stream = newStreamRecord();
  stream.isBody = true;
  stream.bodySource = source;
  const controller = newControllerRecord(stream, 0, undefined);
  controller.pullAlgorithm = bodyStreamPull;
  controller.started = true;
  stream.controller = controller;
  return new ReadableStream(INTERNAL, stream);
}

// A closed, disturbed stream: the `body` of a Request/Response whose body was consumed.
function createUsedStream() {
  const object = createBodyStream(undefined);
  const stream = streamRecordOf(object);
  stream.disturbed = true;
  streamClose(stream);
  return object;
}

// A stream fed by internal algorithms (tee branches, ReadableStream.from).
function createInternalStream(pull, cancel, hwm) {
  const stream = newStreamRecord();
  const controller = newControllerRecord(stream, hwm, undefined);
  controller.pullAlgorithm = pull;
  controller.cancelAlgorithm = cancel;
  stream.controller = controller;
  controller.object = new ReadableStreamDefaultController(INTERNAL, controller);
  const object = new ReadableStream(INTERNAL, stream);
  startController(controller, undefined);
  return object;
}

let streamRecordOf; // (object) -> record, or undefined if not a ReadableStream

function isReadableStream(value) {
  return streamRecordOf(value) !== undefined;
}

function isStreamUnusable(streamObject) {
  const stream = streamRecordOf(streamObject);
  return stream.disturbed || stream.reader !== undefined;
}

// The untouched body source of a body stream, without consuming it (for clone()).
function peekBodySource(streamObject) {
  const stream = streamRecordOf(streamObject);
  if (stream.disturbed || stream.reader !== undefined) return undefined;
  return stream.bodySource;
}

// Takes the untouched body source out of a body stream, which then reads as closed and
// disturbed, as if it had been read to the end.
function takeBodySource(streamObject) {
  const stream = streamRecordOf(streamObject);
  if (stream.disturbed || stream.reader !== undefined) return undefined;
  const source = stream.bodySource;
  if (source === undefined) return undefined;
  stream.bodySource = undefined;
  stream.disturbed = true;
  clearAlgorithms(stream.controller);
  streamClose(stream);
  return source;
}

// Reads every chunk of a stream (which must be usable) and resolves to an array of
// Uint8Arrays. Rejects if a chunk is not bytes.
function readAllChunks(streamObject) {
  const stream = streamRecordOf(streamObject);
  const reader = acquireReader(stream);
  const chunks = [];
  const { promise, resolve, reject } = deferred();
  const fail = (e) => {
    readerRelease(reader);
    reject(e);
  };
  const step = (result) => {
    if (result.done) {
      readerRelease(reader);
      resolve(chunks);
      return;
    }
    const chunk = result.value;
    if (typedArrayName(chunk) === "Uint8Array") {
      chunks.push(chunk);
    } else if (ArrayBufferIsView(chunk)) {
      chunks.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    } else if (isArrayBuffer(chunk)) {
      chunks.push(new Uint8Array(chunk));
    } else {
      const error = new TypeError("This ReadableStream did not return bytes.");
      then(streamCancel(stream, error), noop, noop);
      fail(error);
      return;
    }
    then(readerRead(reader), step, fail);
  };
  then(readerRead(reader), step, fail);
  return promise;
}

// --- Public classes ------------------------------------------------------------------------

class ReadableStream {
  #s;

  constructor(underlyingSource = undefined, strategy = undefined) {
    if (underlyingSource === INTERNAL) {
      this.#s = strategy;
      strategy.object = this;
      return;
    }
    if (underlyingSource === null) {
      throw new TypeError("Failed to construct 'ReadableStream': underlyingSource must be an object.");
    }
    const source = dictionary(underlyingSource, "Failed to construct 'ReadableStream'");
    let cancel, pull, start, type;
    if (source !== undefined) {
      cancel = source.cancel;
      pull = source.pull;
      start = source.start;
      type = source.type;
      for (const [name, fn] of [
        ["cancel", cancel],
        ["pull", pull],
        ["start", start],
      ]) {
        if (fn !== undefined && typeof fn !== "function") {
          throw new TypeError(`Failed to construct 'ReadableStream': ${name} must be a function.`);
        }
      }
      if (type !== undefined) {
        type = toDOMString(type);
        if (type !== "bytes") {
          throw new TypeError(
            `Failed to construct 'ReadableStream': The provided value '${type}' is not a valid enum value of type ReadableStreamType.`,
          );
        }
      }
    }
    strategy = dictionary(strategy, "Failed to construct 'ReadableStream'");
    let hwm = type === "bytes" ? 0 : 1;
    let size;
    if (strategy !== undefined) {
      const h = strategy.highWaterMark;
      size = strategy.size;
      if (h !== undefined) {
        hwm = +h;
        if (Number.isNaN(hwm) || hwm < 0) {
          throw new RangeError("Failed to construct 'ReadableStream': Invalid highWaterMark.");
        }
      }
      if (size !== undefined && typeof size !== "function") {
        throw new TypeError("Failed to construct 'ReadableStream': size must be a function.");
      }
      if (type === "bytes" && size !== undefined) {
        throw new RangeError(
          "Failed to construct 'ReadableStream': a byte stream cannot have a size function.",
        );
      }
    }
    const stream = newStreamRecord();
    stream.object = this;
    this.#s = stream;
    if (type === "bytes") {
      extra("streams").setUpByteStream(stream, source, start, pull, cancel, hwm);
      return;
    }
    const controller = newControllerRecord(stream, hwm, size === undefined ? undefined : (chunk) => ReflectApply(size, undefined, [chunk]));
    stream.controller = controller;
    controller.source = source;
    if (pull !== undefined) {
      controller.pullMethod = pull;
      controller.pullAlgorithm = sourcePull;
    }
    if (cancel !== undefined) {
      controller.cancelMethod = cancel;
      controller.cancelAlgorithm = sourceCancel;
    }
    controller.object = new ReadableStreamDefaultController(INTERNAL, controller);
    const startResult =
      start === undefined ? undefined : ReflectApply(start, source, [controller.object]);
    startController(controller, startResult);
  }

  get locked() {
    return this.#s.reader !== undefined;
  }

  cancel(reason = undefined) {
    if (!(#s in this)) return PromiseReject(new TypeError("Illegal invocation"));
    const stream = this.#s;
    if (stream.reader !== undefined) {
      return PromiseReject(new TypeError("Cannot cancel a locked ReadableStream."));
    }
    return streamCancel(stream, reason);
  }

  getReader(options = undefined) {
    const stream = this.#s;
    options = dictionary(options, "Failed to execute 'getReader' on 'ReadableStream'");
    if (options !== undefined && options.mode !== undefined) {
      const mode = toDOMString(options.mode);
      if (mode === "byob") return extra("streams").acquireBYOBReaderObject(stream);
      throw new TypeError(
        `Failed to execute 'getReader' on 'ReadableStream': The provided value '${mode}' is not a valid enum value of type ReadableStreamReaderMode.`,
      );
    }
    return new ReadableStreamDefaultReader(INTERNAL, acquireReader(stream));
  }

  tee() {
    return teeStream(this.#s);
  }

  pipeTo(destination, options = undefined) {
    return ReflectApply(extra("streams").pipeTo, this, arguments);
  }

  pipeThrough(transform, options = undefined) {
    return ReflectApply(extra("streams").pipeThrough, this, arguments);
  }

  values(options = undefined) {
    const stream = this.#s;
    options = dictionary(options, "Failed to execute 'values' on 'ReadableStream'");
    const preventCancel = options === undefined ? false : !!options.preventCancel;
    return new ReadableStreamAsyncIterator(INTERNAL, acquireReader(stream), preventCancel);
  }

  static from(asyncIterable) {
    requireArgs(arguments.length, 1, "Failed to execute 'from' on 'ReadableStream'");
    let method = asyncIterable == null ? undefined : asyncIterable[SymbolAsyncIterator];
    let iterator;
    if (method === undefined || method === null) {
      const syncMethod = asyncIterable == null ? undefined : asyncIterable[SymbolIterator];
      if (typeof syncMethod !== "function") {
        throw new TypeError("Failed to execute 'from' on 'ReadableStream': value is not iterable.");
      }
      const syncIterator = ReflectApply(syncMethod, asyncIterable, []);
      // CreateAsyncFromSyncIterator, by way of an async generator.
      iterator = (async function* () {
        yield* { [SymbolIterator]: () => syncIterator };
      })();
    } else {
      if (typeof method !== "function") {
        throw new TypeError("Failed to execute 'from' on 'ReadableStream': value is not async iterable.");
      }
      iterator = ReflectApply(method, asyncIterable, []);
    }
    if (!isObject(iterator)) {
      throw new TypeError("Failed to execute 'from' on 'ReadableStream': iterator is not an object.");
    }
    const next = iterator.next;
    const pull = (controller) => {
      let result;
      try {
        result = PromiseResolve(ReflectApply(next, iterator, []));
      } catch (e) {
        return PromiseReject(e);
      }
      return then(result, (r) => {
        if (!isObject(r)) throw new TypeError("The iterator's next() result is not an object.");
        if (r.done) controllerClose(controller);
        else controllerEnqueue(controller, r.value);
      });
    };
    const cancel = (_controller, reason) => {
      let returnMethod;
      try {
        returnMethod = iterator.return;
      } catch (e) {
        return PromiseReject(e);
      }
      if (returnMethod === undefined || returnMethod === null) return PromiseResolve(undefined);
      return then(promiseCall(returnMethod, iterator, [reason]), (r) => {
        if (!isObject(r)) throw new TypeError("The iterator's return() result is not an object.");
      });
    };
    return createInternalStream(pull, cancel, 0);
  }

  [inspectSymbol]() {
    const s = this.#s;
    return { locked: s.reader !== undefined, state: s.state, supportsBYOB: s.controller?.kind === "bytes" };
  }

  static {
    streamRecordOf = (value) => (isObject(value) && #s in value ? value.#s : undefined);
  }
}
ObjectDefineProperty(ReadableStream.prototype, SymbolAsyncIterator, {
  value: ReadableStream.prototype.values,
  writable: true,
  configurable: true,
});
finishInterface(ReadableStream);

class ReadableStreamDefaultController {
  #c;

  constructor(key = undefined, record = undefined) {
    if (key !== INTERNAL) illegalConstructor();
    this.#c = record;
  }

  get desiredSize() {
    return desiredSize(this.#c);
  }

  close() {
    const controller = this.#c;
    if (!canCloseOrEnqueue(controller)) {
      throw new TypeError("Failed to execute 'close' on 'ReadableStreamDefaultController': The stream is not in a state that permits close.");
    }
    controllerClose(controller);
  }

  enqueue(chunk = undefined) {
    const controller = this.#c;
    if (!canCloseOrEnqueue(controller)) {
      throw new TypeError("Failed to execute 'enqueue' on 'ReadableStreamDefaultController': The stream is not in a state that permits enqueue.");
    }
    controllerEnqueue(controller, chunk);
  }

  error(e = undefined) {
    controllerError(this.#c, e);
  }
}
setLength(ReadableStreamDefaultController, 0);
finishInterface(ReadableStreamDefaultController);

class ReadableStreamDefaultReader {
  #r;

  constructor(stream, record = undefined) {
    if (stream === INTERNAL) {
      this.#r = record;
      record.object = this;
      return;
    }
    requireArgs(arguments.length, 1, "Failed to construct 'ReadableStreamDefaultReader'");
    const s = streamRecordOf(stream);
    if (s === undefined) {
      throw new TypeError(
        "Failed to construct 'ReadableStreamDefaultReader': parameter 1 is not of type 'ReadableStream'.",
      );
    }
    this.#r = acquireReader(s);
    this.#r.object = this;
  }

  get closed() {
    return this.#r.closed.promise;
  }

  read() {
    if (!(#r in this)) return PromiseReject(new TypeError("Illegal invocation"));
    const reader = this.#r;
    if (reader.stream === undefined) {
      return PromiseReject(new TypeError("This reader has been released."));
    }
    return readerRead(reader);
  }

  releaseLock() {
    const reader = this.#r;
    if (reader.stream === undefined) return;
    readerRelease(reader);
  }

  cancel(reason = undefined) {
    if (!(#r in this)) return PromiseReject(new TypeError("Illegal invocation"));
    const reader = this.#r;
    if (reader.stream === undefined) {
      return PromiseReject(new TypeError("This reader has been released."));
    }
    return streamCancel(reader.stream, reason);
  }
}
setLength(ReadableStreamDefaultReader, 1);
finishInterface(ReadableStreamDefaultReader);

class ReadableStreamAsyncIterator {
  #reader;
  #preventCancel;
  #ongoing = undefined;
  #finished = false;

  constructor(key, reader, preventCancel) {
    if (key !== INTERNAL) illegalConstructor();
    this.#reader = reader;
    this.#preventCancel = preventCancel;
  }

  #nextSteps() {
    if (this.#finished) return PromiseResolve({ value: undefined, done: true });
    const reader = this.#reader;
    return then(
      readerRead(reader),
      (result) => {
        if (result.done) {
          this.#finished = true;
          if (reader.stream !== undefined) readerRelease(reader);
        }
        return result;
      },
      (e) => {
        this.#finished = true;
        if (reader.stream !== undefined) readerRelease(reader);
        throw e;
      },
    );
  }

  #returnSteps(value) {
    if (this.#finished) return PromiseResolve({ value, done: true });
    this.#finished = true;
    const reader = this.#reader;
    if (reader.stream === undefined) return PromiseResolve({ value, done: true });
    if (!this.#preventCancel) {
      const result = streamCancel(reader.stream, value);
      readerRelease(reader);
      return then(result, () => ({ value, done: true }));
    }
    readerRelease(reader);
    return PromiseResolve({ value, done: true });
  }

  next() {
    if (!(#reader in this)) return PromiseReject(new TypeError("Illegal invocation"));
    const steps = () => this.#nextSteps();
    const promise = this.#ongoing === undefined ? steps() : then(this.#ongoing, steps, steps);
    this.#ongoing = promise;
    return promise;
  }

  return(value = undefined) {
    if (!(#reader in this)) return PromiseReject(new TypeError("Illegal invocation"));
    const steps = () => this.#returnSteps(value);
    const promise = this.#ongoing === undefined ? steps() : then(this.#ongoing, steps, steps);
    this.#ongoing = promise;
    return promise;
  }
}
ObjectSetPrototypeOf(ReadableStreamAsyncIterator.prototype, AsyncIteratorPrototype);
ObjectDefineProperty(ReadableStreamAsyncIterator.prototype, SymbolToStringTag, {
  value: "ReadableStream AsyncIterator",
  configurable: true,
});

// ReadableStreamDefaultTee (cloneForBranch2 = false).
function teeStream(stream) {
  // A body stream nobody touched: both branches share the source, no bytes are read. (Not a
  // streamed source: it can be read only once.)
  if (
    !stream.disturbed &&
    stream.reader === undefined &&
    stream.bodySource !== undefined &&
    !isStreamHandle(stream.bodySource)
  ) {
    const source = stream.bodySource;
    stream.bodySource = undefined;
    acquireReader(stream);
    return [createBodyStream(source), createBodyStream(source)];
  }
  const reader = acquireReader(stream);
  let reading = false;
  let readAgain = false;
  let canceled1 = false;
  let canceled2 = false;
  let reason1, reason2;
  let branch1, branch2;
  const cancelPromise = deferred();

  const pullAlgorithm = () => {
    if (reading) {
      readAgain = true;
      return PromiseResolve(undefined);
    }
    reading = true;
    then(
      readerRead(reader),
      (result) => {
        if (result.done) {
          reading = false;
          if (!canceled1) controllerClose(streamRecordOf(branch1).controller);
          if (!canceled2) controllerClose(streamRecordOf(branch2).controller);
          if (!canceled1 || !canceled2) cancelPromise.resolve(undefined);
          return;
        }
        // Chunk steps run in a microtask so that a synchronous enqueue cannot re-enter.
        queueMicrotaskInternal(() => {
          readAgain = false;
          const chunk = result.value;
          if (!canceled1) controllerEnqueue(streamRecordOf(branch1).controller, chunk);
          if (!canceled2) controllerEnqueue(streamRecordOf(branch2).controller, chunk);
          reading = false;
          if (readAgain) pullAlgorithm();
        });
      },
      () => {
        reading = false;
      },
    );
    return PromiseResolve(undefined);
  };

  const cancel1Algorithm = (_controller, reason) => {
    canceled1 = true;
    reason1 = reason;
    if (canceled2) cancelPromise.resolve(streamCancel(stream, [reason1, reason2]));
    return cancelPromise.promise;
  };
  const cancel2Algorithm = (_controller, reason) => {
    canceled2 = true;
    reason2 = reason;
    if (canceled1) cancelPromise.resolve(streamCancel(stream, [reason1, reason2]));
    return cancelPromise.promise;
  };

  branch1 = createInternalStream(pullAlgorithm, cancel1Algorithm, 1);
  branch2 = createInternalStream(pullAlgorithm, cancel2Algorithm, 1);

  then(reader.closed.promise, undefined, (e) => {
    controllerError(streamRecordOf(branch1).controller, e);
    controllerError(streamRecordOf(branch2).controller, e);
    if (!canceled1 || !canceled2) cancelPromise.resolve(undefined);
  });

  return [branch1, branch2];
}

function queueMicrotaskInternal(fn) {
  then(PromiseResolve(undefined), fn);
}
