// Streams Standard, continued: queuing strategies, WritableStream with its writer and
// controller, and ReadableStream.prototype.pipeTo / pipeThrough. Same style as streams.js:
// the spec's abstract operations as functions over plain records, the public classes as thin
// shells holding a record in a private field.

// --- Queuing strategies --------------------------------------------------------------------

const byteLengthSize = { size(chunk) { return chunk.byteLength; } }.size;
const countSize = { size() { return 1; } }.size;

function strategyInit(init, where) {
  requireArgs(init === undefined ? 0 : 1, 1, where);
  if (!isObject(init) || init.highWaterMark === undefined) {
    throw new TypeError(`${where}: required member highWaterMark is undefined.`);
  }
  return +init.highWaterMark;
}

class ByteLengthQueuingStrategy {
  #hwm;
  constructor(init) {
    this.#hwm = strategyInit(init, "Failed to construct 'ByteLengthQueuingStrategy'");
  }
  get highWaterMark() {
    if (!(#hwm in this)) illegalInvocation();
    return this.#hwm;
  }
  get size() {
    if (!(#hwm in this)) illegalInvocation();
    return byteLengthSize;
  }
}
finishInterface(ByteLengthQueuingStrategy);

class CountQueuingStrategy {
  #hwm;
  constructor(init) {
    this.#hwm = strategyInit(init, "Failed to construct 'CountQueuingStrategy'");
  }
  get highWaterMark() {
    if (!(#hwm in this)) illegalInvocation();
    return this.#hwm;
  }
  get size() {
    if (!(#hwm in this)) illegalInvocation();
    return countSize;
  }
}
finishInterface(CountQueuingStrategy);

// ExtractHighWaterMark and ExtractSizeAlgorithm for a strategy dictionary.
function extractStrategy(strategy, defaultHwm, where) {
  strategy = dictionary(strategy, where);
  let hwm = defaultHwm;
  let size;
  if (strategy !== undefined) {
    const h = strategy.highWaterMark;
    const s = strategy.size;
    if (h !== undefined) {
      hwm = +h;
      if (Number.isNaN(hwm) || hwm < 0) throw new RangeError(`${where}: Invalid highWaterMark.`);
    }
    if (s !== undefined) {
      if (typeof s !== "function") throw new TypeError(`${where}: size must be a function.`);
      size = (chunk) => ReflectApply(s, undefined, [chunk]);
    }
  }
  return [hwm, size];
}

// --- WritableStream records and abstract operations ----------------------------------------

const CLOSE_SENTINEL = Symbol("close");

function newWritableRecord() {
  return {
    state: "writable", // "closed" | "erroring" | "errored"
    storedError: undefined,
    writer: undefined,
    controller: undefined,
    inFlightWriteRequest: undefined,
    closeRequest: undefined,
    inFlightCloseRequest: undefined,
    pendingAbortRequest: undefined,
    writeRequests: [],
    backpressure: false,
    object: undefined,
  };
}

function closeQueuedOrInFlight(stream) {
  return stream.closeRequest !== undefined || stream.inFlightCloseRequest !== undefined;
}

function hasOperationMarkedInFlight(stream) {
  return stream.inFlightWriteRequest !== undefined || stream.inFlightCloseRequest !== undefined;
}

function writableAbort(stream, reason) {
  if (stream.state === "closed" || stream.state === "errored") return PromiseResolve(undefined);
  signalAbort(stream.controller.abortController.signal, reason);
  const state = stream.state;
  if (state === "closed" || state === "errored") return PromiseResolve(undefined);
  if (stream.pendingAbortRequest !== undefined) return stream.pendingAbortRequest.deferred.promise;
  let wasAlreadyErroring = false;
  if (state === "erroring") {
    wasAlreadyErroring = true;
    reason = undefined;
  }
  const request = { deferred: deferred(), reason, wasAlreadyErroring };
  stream.pendingAbortRequest = request;
  if (!wasAlreadyErroring) startErroring(stream, reason);
  return request.deferred.promise;
}

function writableClose(stream) {
  const state = stream.state;
  if (state === "closed" || state === "errored") {
    return PromiseReject(new TypeError("The stream is closed or errored and cannot be closed."));
  }
  const request = deferred();
  stream.closeRequest = request;
  const writer = stream.writer;
  if (writer !== undefined && stream.backpressure && state === "writable") {
    writer.ready.resolve(undefined);
  }
  const controller = stream.controller;
  enqueueWithSize(controller, CLOSE_SENTINEL, 0);
  advanceQueueIfNeeded(controller);
  return request.promise;
}

function dealWithRejection(stream, error) {
  if (stream.state === "writable") {
    startErroring(stream, error);
    return;
  }
  finishErroring(stream);
}

function startErroring(stream, reason) {
  const controller = stream.controller;
  stream.state = "erroring";
  stream.storedError = reason;
  const writer = stream.writer;
  if (writer !== undefined) ensureReadyRejected(writer, reason);
  if (!hasOperationMarkedInFlight(stream) && controller.started) finishErroring(stream);
}

function finishErroring(stream) {
  stream.state = "errored";
  const controller = stream.controller;
  resetWritableQueue(controller);
  const storedError = stream.storedError;
  for (const request of stream.writeRequests) request.reject(storedError);
  stream.writeRequests = [];
  const abortRequest = stream.pendingAbortRequest;
  if (abortRequest === undefined) {
    rejectCloseAndClosedIfNeeded(stream);
    return;
  }
  stream.pendingAbortRequest = undefined;
  if (abortRequest.wasAlreadyErroring) {
    abortRequest.deferred.reject(storedError);
    rejectCloseAndClosedIfNeeded(stream);
    return;
  }
  const abort = controller.abortAlgorithm;
  const result = abort === undefined ? PromiseResolve(undefined) : abort(abortRequest.reason);
  clearWritableAlgorithms(controller);
  then(
    result,
    () => {
      abortRequest.deferred.resolve(undefined);
      rejectCloseAndClosedIfNeeded(stream);
    },
    (r) => {
      abortRequest.deferred.reject(r);
      rejectCloseAndClosedIfNeeded(stream);
    },
  );
}

function finishInFlightWrite(stream) {
  stream.inFlightWriteRequest.resolve(undefined);
  stream.inFlightWriteRequest = undefined;
}

function finishInFlightWriteWithError(stream, error) {
  stream.inFlightWriteRequest.reject(error);
  stream.inFlightWriteRequest = undefined;
  dealWithRejection(stream, error);
}

function finishInFlightClose(stream) {
  stream.inFlightCloseRequest.resolve(undefined);
  stream.inFlightCloseRequest = undefined;
  if (stream.state === "erroring") {
    stream.storedError = undefined;
    if (stream.pendingAbortRequest !== undefined) {
      stream.pendingAbortRequest.deferred.resolve(undefined);
      stream.pendingAbortRequest = undefined;
    }
  }
  stream.state = "closed";
  const writer = stream.writer;
  if (writer !== undefined) writer.closed.resolve(undefined);
}

function finishInFlightCloseWithError(stream, error) {
  stream.inFlightCloseRequest.reject(error);
  stream.inFlightCloseRequest = undefined;
  if (stream.pendingAbortRequest !== undefined) {
    stream.pendingAbortRequest.deferred.reject(error);
    stream.pendingAbortRequest = undefined;
  }
  dealWithRejection(stream, error);
}

function rejectCloseAndClosedIfNeeded(stream) {
  if (stream.closeRequest !== undefined) {
    stream.closeRequest.reject(stream.storedError);
    stream.closeRequest = undefined;
  }
  const writer = stream.writer;
  if (writer !== undefined) {
    writer.closed.reject(stream.storedError);
    markHandled(writer.closed.promise);
  }
}

function updateBackpressure(stream, backpressure) {
  const writer = stream.writer;
  if (writer !== undefined && backpressure !== stream.backpressure) {
    if (backpressure) writer.ready = trackedDeferred();
    else writer.ready.resolve(undefined);
  }
  stream.backpressure = backpressure;
}

// --- Writer --------------------------------------------------------------------------------

// The writer's promises must know whether they settled (the spec asks "is it pending?").
function trackedDeferred() {
  const d = deferred();
  const { resolve, reject } = d;
  d.settled = false;
  d.resolve = (value) => {
    d.settled = true;
    resolve(value);
  };
  d.reject = (error) => {
    d.settled = true;
    reject(error);
  };
  return d;
}

function settled(value) {
  const d = trackedDeferred();
  d.resolve(value);
  return d;
}

function rejectedDeferred(error) {
  const d = trackedDeferred();
  d.reject(error);
  markHandled(d.promise);
  return d;
}

function acquireWriter(stream) {
  if (stream.writer !== undefined) throw new TypeError("WritableStream is locked.");
  const writer = { stream, ready: undefined, closed: undefined, object: undefined };
  stream.writer = writer;
  const state = stream.state;
  if (state === "writable") {
    writer.ready =
      !closeQueuedOrInFlight(stream) && stream.backpressure ? trackedDeferred() : settled(undefined);
    writer.closed = trackedDeferred();
  } else if (state === "erroring") {
    writer.ready = rejectedDeferred(stream.storedError);
    writer.closed = trackedDeferred();
  } else if (state === "closed") {
    writer.ready = settled(undefined);
    writer.closed = settled(undefined);
  } else {
    writer.ready = rejectedDeferred(stream.storedError);
    writer.closed = rejectedDeferred(stream.storedError);
  }
  return writer;
}

// A pending promise is rejected; a settled one is replaced by a new, rejected one.
function ensureRejected(writer, key, error) {
  const d = writer[key];
  if (d.settled) {
    writer[key] = rejectedDeferred(error);
  } else {
    d.reject(error);
    markHandled(d.promise);
  }
}

function ensureReadyRejected(writer, error) {
  ensureRejected(writer, "ready", error);
}

function ensureClosedRejected(writer, error) {
  ensureRejected(writer, "closed", error);
}

function writerDesiredSize(writer) {
  const stream = writer.stream;
  const state = stream.state;
  if (state === "errored" || state === "erroring") return null;
  if (state === "closed") return 0;
  return stream.controller.hwm - stream.controller.totalSize;
}

function writerRelease(writer) {
  const stream = writer.stream;
  const error = new TypeError("The writer was released.");
  ensureReadyRejected(writer, error);
  ensureClosedRejected(writer, error);
  stream.writer = undefined;
  writer.stream = undefined;
}

function writerWrite(writer, chunk) {
  const stream = writer.stream;
  const controller = stream.controller;
  const chunkSize = chunkSizeOf(controller, chunk);
  if (stream !== writer.stream) {
    return PromiseReject(new TypeError("The writer was released while computing the size."));
  }
  const state = stream.state;
  if (state === "errored") return PromiseReject(stream.storedError);
  if (closeQueuedOrInFlight(stream) || state === "closed") {
    return PromiseReject(new TypeError("The stream is closing or closed and cannot be written to."));
  }
  if (state === "erroring") return PromiseReject(stream.storedError);
  const request = deferred();
  stream.writeRequests.push(request);
  controllerWrite(controller, chunk, chunkSize);
  return request.promise;
}

function writerClose(writer) {
  return writableClose(writer.stream);
}

function writerCloseWithErrorPropagation(writer) {
  const stream = writer.stream;
  const state = stream.state;
  if (closeQueuedOrInFlight(stream) || state === "closed") return PromiseResolve(undefined);
  if (state === "errored") return PromiseReject(stream.storedError);
  return writerClose(writer);
}

// --- WritableStreamDefaultController -------------------------------------------------------

function newWritableControllerRecord(stream, hwm, size) {
  return {
    stream,
    queue: [],
    sizes: [],
    totalSize: 0,
    started: false,
    hwm,
    size,
    writeAlgorithm: undefined,
    closeAlgorithm: undefined,
    abortAlgorithm: undefined,
    abortController: new AbortController(),
    object: undefined,
  };
}

function resetWritableQueue(controller) {
  controller.queue = [];
  controller.sizes = [];
  controller.totalSize = 0;
}

function clearWritableAlgorithms(controller) {
  controller.writeAlgorithm = undefined;
  controller.closeAlgorithm = undefined;
  controller.abortAlgorithm = undefined;
  controller.size = undefined;
}

function enqueueWithSize(controller, value, size) {
  size = +size;
  if (!(size >= 0) || size === Infinity) {
    throw new RangeError("The return value of a queuing strategy's size function must be a finite, non-NaN, non-negative number.");
  }
  controller.queue.push(value);
  controller.sizes.push(size);
  controller.totalSize += size;
}

function dequeueWritable(controller) {
  const value = controller.queue.shift();
  controller.totalSize -= controller.sizes.shift();
  if (controller.totalSize < 0) controller.totalSize = 0;
  return value;
}

function chunkSizeOf(controller, chunk) {
  if (controller.size === undefined) return 1;
  try {
    return controller.size(chunk);
  } catch (e) {
    writableErrorIfNeeded(controller, e);
    return 1;
  }
}

function writableBackpressure(controller) {
  return controller.hwm - controller.totalSize <= 0;
}

function controllerWrite(controller, chunk, chunkSize) {
  try {
    enqueueWithSize(controller, chunk, chunkSize);
  } catch (e) {
    writableErrorIfNeeded(controller, e);
    return;
  }
  const stream = controller.stream;
  if (!closeQueuedOrInFlight(stream) && stream.state === "writable") {
    updateBackpressure(stream, writableBackpressure(controller));
  }
  advanceQueueIfNeeded(controller);
}

function writableErrorIfNeeded(controller, error) {
  if (controller.stream.state === "writable") writableControllerError(controller, error);
}

function writableControllerError(controller, error) {
  clearWritableAlgorithms(controller);
  startErroring(controller.stream, error);
}

function advanceQueueIfNeeded(controller) {
  const stream = controller.stream;
  if (!controller.started || stream.inFlightWriteRequest !== undefined) return;
  const state = stream.state;
  if (state === "closed" || state === "errored") return;
  if (state === "erroring") {
    finishErroring(stream);
    return;
  }
  if (controller.queue.length === 0) return;
  const value = controller.queue[0];
  if (value === CLOSE_SENTINEL) processClose(controller);
  else processWrite(controller, value);
}

function processClose(controller) {
  const stream = controller.stream;
  stream.inFlightCloseRequest = stream.closeRequest;
  stream.closeRequest = undefined;
  dequeueWritable(controller);
  const close = controller.closeAlgorithm;
  const result = close === undefined ? PromiseResolve(undefined) : close();
  clearWritableAlgorithms(controller);
  then(
    result,
    () => finishInFlightClose(stream),
    (r) => finishInFlightCloseWithError(stream, r),
  );
}

function processWrite(controller, chunk) {
  const stream = controller.stream;
  stream.inFlightWriteRequest = stream.writeRequests.shift();
  const write = controller.writeAlgorithm;
  const result = write === undefined ? PromiseResolve(undefined) : write(chunk);
  then(
    result,
    () => {
      finishInFlightWrite(stream);
      const state = stream.state;
      dequeueWritable(controller);
      if (!closeQueuedOrInFlight(stream) && state === "writable") {
        updateBackpressure(stream, writableBackpressure(controller));
      }
      advanceQueueIfNeeded(controller);
    },
    (r) => {
      if (stream.state === "writable") clearWritableAlgorithms(controller);
      finishInFlightWriteWithError(stream, r);
    },
  );
}

function setUpWritableController(stream, controller, start, write, close, abort) {
  stream.controller = controller;
  controller.writeAlgorithm = write;
  controller.closeAlgorithm = close;
  controller.abortAlgorithm = abort;
  updateBackpressure(stream, writableBackpressure(controller));
  let startResult;
  try {
    startResult = start();
  } catch (e) {
    controller.started = true;
    throw e;
  }
  then(
    PromiseResolve(startResult),
    () => {
      controller.started = true;
      advanceQueueIfNeeded(controller);
    },
    (r) => {
      controller.started = true;
      dealWithRejection(stream, r);
    },
  );
}

// A WritableStream driven by internal algorithms (TransformStream's writable side).
function createWritableFromAlgorithms(start, write, close, abort, hwm, size) {
  const stream = newWritableRecord();
  const controller = newWritableControllerRecord(stream, hwm, size);
  controller.object = new WritableStreamDefaultController(INTERNAL, controller);
  const object = new WritableStream(INTERNAL, stream);
  setUpWritableController(stream, controller, start, write, close, abort);
  return object;
}

let writableRecordOf; // (object) -> record, or undefined if not a WritableStream

// --- Public classes ------------------------------------------------------------------------

class WritableStream {
  #s;

  constructor(underlyingSink = undefined, strategy = undefined) {
    if (underlyingSink === INTERNAL) {
      this.#s = strategy;
      strategy.object = this;
      return;
    }
    const where = "Failed to construct 'WritableStream'";
    if (underlyingSink === null) throw new TypeError(`${where}: underlyingSink must be an object.`);
    const sink = dictionary(underlyingSink, where);
    let abort, close, start, write;
    if (sink !== undefined) {
      abort = sink.abort;
      close = sink.close;
      start = sink.start;
      const type = sink.type;
      write = sink.write;
      if (type !== undefined) throw new RangeError(`${where}: Invalid type is specified.`);
      for (const [name, fn] of [["abort", abort], ["close", close], ["start", start], ["write", write]]) {
        if (fn !== undefined && typeof fn !== "function") {
          throw new TypeError(`${where}: ${name} must be a function.`);
        }
      }
    }
    const [hwm, size] = extractStrategy(strategy, 1, where);
    const stream = newWritableRecord();
    stream.object = this;
    this.#s = stream;
    const controller = newWritableControllerRecord(stream, hwm, size);
    controller.object = new WritableStreamDefaultController(INTERNAL, controller);
    setUpWritableController(
      stream,
      controller,
      () => (start === undefined ? undefined : ReflectApply(start, sink, [controller.object])),
      write === undefined ? undefined : (chunk) => promiseCall(write, sink, [chunk, controller.object]),
      close === undefined ? undefined : () => promiseCall(close, sink, []),
      abort === undefined ? undefined : (reason) => promiseCall(abort, sink, [reason]),
    );
  }

  get locked() {
    if (!(#s in this)) illegalInvocation();
    return this.#s.writer !== undefined;
  }

  abort(reason = undefined) {
    if (!(#s in this)) return PromiseReject(new TypeError("Illegal invocation"));
    if (this.#s.writer !== undefined) {
      return PromiseReject(new TypeError("Cannot abort a locked WritableStream."));
    }
    return writableAbort(this.#s, reason);
  }

  close() {
    if (!(#s in this)) return PromiseReject(new TypeError("Illegal invocation"));
    const stream = this.#s;
    if (stream.writer !== undefined) {
      return PromiseReject(new TypeError("Cannot close a locked WritableStream."));
    }
    if (closeQueuedOrInFlight(stream)) {
      return PromiseReject(new TypeError("The stream is already closing."));
    }
    return writableClose(stream);
  }

  getWriter() {
    if (!(#s in this)) illegalInvocation();
    return new WritableStreamDefaultWriter(INTERNAL, acquireWriter(this.#s));
  }

  [inspectSymbol]() {
    return { locked: this.#s.writer !== undefined, state: this.#s.state };
  }

  static {
    writableRecordOf = (value) => (isObject(value) && #s in value ? value.#s : undefined);
  }
}
finishInterface(WritableStream);

class WritableStreamDefaultWriter {
  #w;

  constructor(stream, record = undefined) {
    if (stream === INTERNAL) {
      this.#w = record;
      record.object = this;
      return;
    }
    requireArgs(arguments.length, 1, "Failed to construct 'WritableStreamDefaultWriter'");
    const s = writableRecordOf(stream);
    if (s === undefined) {
      throw new TypeError(
        "Failed to construct 'WritableStreamDefaultWriter': parameter 1 is not of type 'WritableStream'.",
      );
    }
    this.#w = acquireWriter(s);
    this.#w.object = this;
  }

  get closed() {
    if (!(#w in this)) return PromiseReject(new TypeError("Illegal invocation"));
    return this.#w.closed.promise;
  }

  get ready() {
    if (!(#w in this)) return PromiseReject(new TypeError("Illegal invocation"));
    return this.#w.ready.promise;
  }

  get desiredSize() {
    if (!(#w in this)) illegalInvocation();
    if (this.#w.stream === undefined) throw new TypeError("This writer has been released.");
    return writerDesiredSize(this.#w);
  }

  abort(reason = undefined) {
    if (!(#w in this)) return PromiseReject(new TypeError("Illegal invocation"));
    const writer = this.#w;
    if (writer.stream === undefined) return PromiseReject(new TypeError("This writer has been released."));
    return writableAbort(writer.stream, reason);
  }

  close() {
    if (!(#w in this)) return PromiseReject(new TypeError("Illegal invocation"));
    const writer = this.#w;
    const stream = writer.stream;
    if (stream === undefined) return PromiseReject(new TypeError("This writer has been released."));
    if (closeQueuedOrInFlight(stream)) {
      return PromiseReject(new TypeError("The stream is already closing."));
    }
    return writerClose(writer);
  }

  releaseLock() {
    if (!(#w in this)) illegalInvocation();
    const writer = this.#w;
    if (writer.stream === undefined) return;
    writerRelease(writer);
  }

  write(chunk = undefined) {
    if (!(#w in this)) return PromiseReject(new TypeError("Illegal invocation"));
    const writer = this.#w;
    if (writer.stream === undefined) return PromiseReject(new TypeError("This writer has been released."));
    return writerWrite(writer, chunk);
  }
}
setLength(WritableStreamDefaultWriter, 1);
finishInterface(WritableStreamDefaultWriter);

class WritableStreamDefaultController {
  #c;

  constructor(key = undefined, record = undefined) {
    if (key !== INTERNAL) illegalConstructor();
    this.#c = record;
  }

  get signal() {
    if (!(#c in this)) illegalInvocation();
    return this.#c.abortController.signal;
  }

  error(e = undefined) {
    if (!(#c in this)) illegalInvocation();
    if (this.#c.stream.state !== "writable") return;
    writableControllerError(this.#c, e);
  }
}
setLength(WritableStreamDefaultController, 0);
finishInterface(WritableStreamDefaultController);

// --- pipeTo / pipeThrough ------------------------------------------------------------------

function pipeOptions(options, where) {
  options = dictionary(options, where);
  if (options === undefined) return [false, false, false, undefined];
  const preventAbort = !!options.preventAbort;
  const preventCancel = !!options.preventCancel;
  const preventClose = !!options.preventClose;
  const signal = options.signal;
  if (signal !== undefined && !isAbortSignal(signal)) {
    throw new TypeError(`${where}: member signal is not of type AbortSignal.`);
  }
  return [preventClose, preventAbort, preventCancel, signal];
}

// ReadableStreamPipeTo.
function pipeStreams(source, dest, preventClose, preventAbort, preventCancel, signal) {
  const reader = acquireReader(source);
  const writer = acquireWriter(dest);
  source.disturbed = true;
  let shuttingDown = false;
  let currentWrite = PromiseResolve(undefined);
  const result = deferred();
  let abortAlgorithm;

  const finalize = (isError, error) => {
    writerRelease(writer);
    readerRelease(reader);
    if (abortAlgorithm !== undefined) signal.removeEventListener("abort", abortAlgorithm);
    if (isError) result.reject(error);
    else result.resolve(undefined);
  };
  // Wait for every chunk already read to be written, unless the destination can no longer
  // take it.
  const afterWrites = (fn) => {
    if (dest.state === "writable" && !closeQueuedOrInFlight(dest)) {
      then(currentWrite, fn, fn);
    } else {
      fn();
    }
  };
  const shutdownWithAction = (action, originalIsError, originalError) => {
    if (shuttingDown) return;
    shuttingDown = true;
    afterWrites(() => {
      then(
        action(),
        () => finalize(originalIsError, originalError),
        (newError) => finalize(true, newError),
      );
    });
  };
  const shutdown = (isError, error) => {
    if (shuttingDown) return;
    shuttingDown = true;
    afterWrites(() => finalize(isError, error));
  };

  if (signal !== undefined) {
    abortAlgorithm = () => {
      const error = signal.reason;
      const actions = [];
      if (!preventAbort) {
        actions.push(() => (dest.state === "writable" ? writableAbort(dest, error) : PromiseResolve(undefined)));
      }
      if (!preventCancel) {
        actions.push(() => (source.state === "readable" ? streamCancel(source, error) : PromiseResolve(undefined)));
      }
      shutdownWithAction(() => PromiseCtor.all(actions.map((action) => action())), true, error);
    };
    if (signal.aborted) {
      abortAlgorithm();
      return result.promise;
    }
    signal.addEventListener("abort", abortAlgorithm);
  }

  // Errors and closes propagate in both directions, checked now and whenever they happen.
  const sourceErrored = (error) => {
    if (!preventAbort) shutdownWithAction(() => writableAbort(dest, error), true, error);
    else shutdown(true, error);
  };
  const destErrored = (error) => {
    if (!preventCancel) shutdownWithAction(() => streamCancel(source, error), true, error);
    else shutdown(true, error);
  };
  const sourceClosed = () => {
    if (!preventClose) shutdownWithAction(() => writerCloseWithErrorPropagation(writer), false);
    else shutdown(false);
  };
  const destClosed = () => {
    const error = new TypeError("The destination stream closed before the pipe finished.");
    if (!preventCancel) shutdownWithAction(() => streamCancel(source, error), true, error);
    else shutdown(true, error);
  };

  if (source.state === "errored") sourceErrored(source.storedError);
  else if (dest.state === "erroring" || dest.state === "errored") destErrored(dest.storedError);
  else if (source.state === "closed") sourceClosed();
  else if (closeQueuedOrInFlight(dest) || dest.state === "closed") destClosed();
  if (shuttingDown) return result.promise;

  then(reader.closed.promise, () => {
    if (!shuttingDown) sourceClosed();
  }, (error) => {
    if (!shuttingDown) sourceErrored(error);
  });
  then(writer.closed.promise, undefined, (error) => {
    if (!shuttingDown) destErrored(error);
  });

  const step = () => {
    if (shuttingDown) return;
    then(writer.ready.promise, () => {
      if (shuttingDown) return;
      then(readerRead(reader), (chunk) => {
        if (chunk.done || shuttingDown) return;
        currentWrite = writerWrite(writer, chunk.value);
        markHandled(currentWrite);
        step();
      }, noop);
    }, noop);
  };
  step();
  return result.promise;
}

// ReadableStream.prototype.pipeTo and pipeThrough (the core's methods call these).
function pipeTo(destination, options = undefined) {
    const where = "Failed to execute 'pipeTo' on 'ReadableStream'";
    const source = streamRecordOf(this);
    if (source === undefined) return PromiseReject(new TypeError("Illegal invocation"));
    const dest = writableRecordOf(destination);
    if (dest === undefined) {
      return PromiseReject(new TypeError(`${where}: parameter 1 is not of type 'WritableStream'.`));
    }
    let parsed;
    try {
      parsed = pipeOptions(options, where);
    } catch (e) {
      return PromiseReject(e);
    }
    if (source.reader !== undefined) {
      return PromiseReject(new TypeError(`${where}: Cannot pipe a locked stream.`));
    }
    if (dest.writer !== undefined) {
      return PromiseReject(new TypeError(`${where}: Cannot pipe to a locked stream.`));
    }
    return pipeStreams(source, dest, ...parsed);
}

function pipeThrough(transform, options = undefined) {
    const where = "Failed to execute 'pipeThrough' on 'ReadableStream'";
    const source = streamRecordOf(this);
    if (source === undefined) illegalInvocation();
    requireArgs(arguments.length, 1, where);
    const readable = isObject(transform) ? transform.readable : undefined;
    if (!isReadableStream(readable)) {
      throw new TypeError(`${where}: Failed to read the 'readable' property from 'ReadableWritablePair'.`);
    }
    const writable = transform.writable;
    const dest = writableRecordOf(writable);
    if (dest === undefined) {
      throw new TypeError(`${where}: Failed to read the 'writable' property from 'ReadableWritablePair'.`);
    }
    const parsed = pipeOptions(options, where);
    if (source.reader !== undefined) throw new TypeError(`${where}: Cannot pipe a locked stream.`);
    if (dest.writer !== undefined) throw new TypeError(`${where}: Cannot pipe to a locked stream.`);
    markHandled(pipeStreams(source, dest, ...parsed));
    return readable;
}
