// Streams Standard: readable byte streams. ReadableByteStreamController, the BYOB reader and
// the BYOB request, with the spec's pull-into descriptors. The core (streams.js) calls in here
// through extra("streams") for streams made with `type: "bytes"`; the controller record shares
// the default controller's queue fields, so the core's pull scheduling works for both.

function transferBuffer(buffer) {
  // The spec transfers (detaches) buffers handed to the stream; QuickJS-ng has transfer().
  return typeof buffer.transfer === "function" ? buffer.transfer() : buffer.slice(0);
}

function viewInfo(view) {
  const name = typedArrayName(view);
  if (name === undefined) return [1, DataView];
  const ctor = globalThis[name];
  return [ctor.BYTES_PER_ELEMENT, ctor];
}

function setUpByteStream(stream, source, start, pull, cancel, hwm) {
  let autoAllocateChunkSize;
  if (source !== undefined && source.autoAllocateChunkSize !== undefined) {
    autoAllocateChunkSize = Number(source.autoAllocateChunkSize);
    if (!Number.isInteger(autoAllocateChunkSize) || autoAllocateChunkSize <= 0) {
      throw new TypeError("Failed to construct 'ReadableStream': autoAllocateChunkSize must be a positive integer.");
    }
  }
  const controller = {
    kind: "bytes",
    stream,
    queue: [],
    sizes: null,
    totalSize: 0,
    started: false,
    closeRequested: false,
    pullAgain: false,
    pulling: false,
    size: undefined,
    hwm,
    pullAlgorithm: undefined,
    cancelAlgorithm: undefined,
    source,
    pullMethod: undefined,
    cancelMethod: undefined,
    autoAllocateChunkSize,
    pendingPullIntos: [],
    byobRequest: null,
    object: undefined,
  };
  stream.controller = controller;
  if (pull !== undefined) {
    controller.pullMethod = pull;
    controller.pullAlgorithm = sourcePull;
  }
  if (cancel !== undefined) {
    controller.cancelMethod = cancel;
    controller.cancelAlgorithm = sourceCancel;
  }
  controller.object = new ReadableByteStreamController(INTERNAL, controller);
  const startResult = start === undefined ? undefined : ReflectApply(start, source, [controller.object]);
  startController(controller, startResult);
}

function byteClearPullIntos(controller) {
  invalidateByobRequest(controller);
  controller.pendingPullIntos = [];
}

function invalidateByobRequest(controller) {
  const request = controller.byobRequest;
  if (request === null) return;
  byobRequestDetach(request);
  controller.byobRequest = null;
}

function byteCancelSteps(controller, reason) {
  byteClearPullIntos(controller);
  resetQueue(controller);
  const cancel = controller.cancelAlgorithm;
  const result = cancel === undefined ? PromiseResolve(undefined) : cancel(controller, reason);
  clearAlgorithms(controller);
  return result;
}

function byteReleaseSteps(controller) {
  if (controller.pendingPullIntos.length > 0) {
    const first = controller.pendingPullIntos[0];
    first.readerType = "none";
    controller.pendingPullIntos = [first];
  }
}

function enqueueBytes(controller, buffer, byteOffset, byteLength) {
  controller.queue.push({ buffer, byteOffset, byteLength });
  controller.totalSize += byteLength;
}

function handleQueueDrain(controller) {
  if (controller.totalSize === 0 && controller.closeRequested) {
    clearAlgorithms(controller);
    streamClose(controller.stream);
  } else {
    callPullIfNeeded(controller);
  }
}

// A default reader's read on a byte stream ([[PullSteps]]).
function bytePullSteps(controller, request) {
  const stream = controller.stream;
  if (controller.totalSize > 0) {
    const entry = controller.queue.shift();
    controller.totalSize -= entry.byteLength;
    handleQueueDrain(controller);
    request.resolve({ value: new Uint8Array(entry.buffer, entry.byteOffset, entry.byteLength), done: false });
    return;
  }
  const size = controller.autoAllocateChunkSize;
  if (size !== undefined) {
    controller.pendingPullIntos.push({
      buffer: new ArrayBuffer(size),
      bufferByteLength: size,
      byteOffset: 0,
      byteLength: size,
      bytesFilled: 0,
      minimumFill: 1,
      elementSize: 1,
      viewConstructor: Uint8Array,
      readerType: "default",
    });
  }
  stream.reader.readRequests.push(request);
  callPullIfNeeded(controller);
}

function byteEnqueue(controller, chunk) {
  const stream = controller.stream;
  if (controller.closeRequested || stream.state !== "readable") {
    throw new TypeError("The stream is closed or errored and cannot be enqueued to.");
  }
  const { byteOffset, byteLength } = chunk;
  if (byteLength === 0) throw new TypeError("A byte stream chunk must not be empty.");
  const buffer = transferBuffer(chunk.buffer);
  if (controller.pendingPullIntos.length > 0) {
    const first = controller.pendingPullIntos[0];
    first.buffer = transferBuffer(first.buffer);
    if (first.readerType === "none") {
      enqueueDetachedPullInto(controller, first);
    }
  }
  invalidateByobRequest(controller);
  const reader = stream.reader;
  if (reader !== undefined && reader.readRequests.length > 0) {
    processReadRequestsUsingQueue(controller);
    if (reader.readRequests.length === 0) {
      enqueueBytes(controller, buffer, byteOffset, byteLength);
    } else {
      if (controller.pendingPullIntos.length > 0) controller.pendingPullIntos.shift();
      reader.readRequests.shift().resolve({ value: new Uint8Array(buffer, byteOffset, byteLength), done: false });
    }
  } else if (reader !== undefined && reader.readIntoRequests !== undefined) {
    enqueueBytes(controller, buffer, byteOffset, byteLength);
    processPullIntosUsingQueue(controller);
  } else {
    enqueueBytes(controller, buffer, byteOffset, byteLength);
  }
  callPullIfNeeded(controller);
}

function enqueueDetachedPullInto(controller, descriptor) {
  if (descriptor.bytesFilled > 0) {
    const start = descriptor.byteOffset;
    enqueueBytes(controller, descriptor.buffer.slice(start, start + descriptor.bytesFilled), 0, descriptor.bytesFilled);
  }
  controller.pendingPullIntos.shift();
}

function processReadRequestsUsingQueue(controller) {
  const reader = controller.stream.reader;
  while (reader.readRequests.length > 0 && controller.totalSize > 0) {
    const entry = controller.queue.shift();
    controller.totalSize -= entry.byteLength;
    handleQueueDrain(controller);
    reader.readRequests.shift().resolve({ value: new Uint8Array(entry.buffer, entry.byteOffset, entry.byteLength), done: false });
  }
}

// Copy queued bytes into a pull-into descriptor; true when it reached its minimum fill.
function fillPullIntoFromQueue(controller, descriptor) {
  const maxBytesToCopy = Math.min(controller.totalSize, descriptor.byteLength - descriptor.bytesFilled);
  const maxBytesFilled = descriptor.bytesFilled + maxBytesToCopy;
  let totalBytesToCopyRemaining = maxBytesToCopy;
  let ready = false;
  const remainderBytes = maxBytesFilled % descriptor.elementSize;
  const maxAlignedBytes = maxBytesFilled - remainderBytes;
  if (maxAlignedBytes >= descriptor.minimumFill) {
    totalBytesToCopyRemaining = maxAlignedBytes - descriptor.bytesFilled;
    ready = true;
  }
  const target = new Uint8Array(descriptor.buffer);
  while (totalBytesToCopyRemaining > 0) {
    const head = controller.queue[0];
    const bytesToCopy = Math.min(totalBytesToCopyRemaining, head.byteLength);
    const destStart = descriptor.byteOffset + descriptor.bytesFilled;
    target.set(new Uint8Array(head.buffer, head.byteOffset, bytesToCopy), destStart);
    if (head.byteLength === bytesToCopy) {
      controller.queue.shift();
    } else {
      head.byteOffset += bytesToCopy;
      head.byteLength -= bytesToCopy;
    }
    controller.totalSize -= bytesToCopy;
    descriptor.bytesFilled += bytesToCopy;
    totalBytesToCopyRemaining -= bytesToCopy;
  }
  return ready;
}

function pullIntoView(descriptor) {
  const { viewConstructor, buffer, byteOffset, bytesFilled, elementSize } = descriptor;
  return viewConstructor === DataView
    ? new DataView(buffer, byteOffset, bytesFilled)
    : new viewConstructor(buffer, byteOffset, bytesFilled / elementSize);
}

function commitPullInto(stream, descriptor) {
  const done = stream.state === "closed";
  if (done) descriptor.bytesFilled = descriptor.bytesFilled - (descriptor.bytesFilled % descriptor.elementSize);
  const view = pullIntoView(descriptor);
  const reader = stream.reader;
  if (descriptor.readerType === "default") {
    reader.readRequests.shift().resolve({ value: view, done });
  } else {
    reader.readIntoRequests.shift().resolve({ value: view, done });
  }
}

function processPullIntosUsingQueue(controller) {
  while (controller.pendingPullIntos.length > 0) {
    if (controller.totalSize === 0) return;
    const descriptor = controller.pendingPullIntos[0];
    if (fillPullIntoFromQueue(controller, descriptor)) {
      controller.pendingPullIntos.shift();
      commitPullInto(controller.stream, descriptor);
    }
  }
}

// ReadableStreamBYOBReaderRead → ReadableByteStreamControllerPullInto.
function byobRead(reader, view, min) {
  const request = deferred();
  const stream = reader.stream;
  stream.disturbed = true;
  if (stream.state === "errored") {
    request.reject(stream.storedError);
    return request.promise;
  }
  const controller = stream.controller;
  const [elementSize, viewConstructor] = viewInfo(view);
  const minimumFill = min * elementSize;
  // Read the view's extent before transferring its buffer detaches it.
  const { byteOffset, byteLength } = view;
  let buffer;
  try {
    buffer = transferBuffer(view.buffer);
  } catch (e) {
    request.reject(e);
    return request.promise;
  }
  const descriptor = {
    buffer,
    bufferByteLength: buffer.byteLength,
    byteOffset,
    byteLength,
    bytesFilled: 0,
    minimumFill,
    elementSize,
    viewConstructor,
    readerType: "byob",
  };
  if (controller.pendingPullIntos.length > 0) {
    controller.pendingPullIntos.push(descriptor);
    reader.readIntoRequests.push(request);
    return request.promise;
  }
  if (stream.state === "closed") {
    request.resolve({ value: new viewConstructor(descriptor.buffer, descriptor.byteOffset, 0), done: true });
    return request.promise;
  }
  if (controller.totalSize > 0) {
    if (fillPullIntoFromQueue(controller, descriptor)) {
      const filled = pullIntoView(descriptor);
      handleQueueDrain(controller);
      request.resolve({ value: filled, done: false });
      return request.promise;
    }
    if (controller.closeRequested) {
      const error = new TypeError("The stream was closed with a partial element left in it.");
      controllerError(controller, error);
      request.reject(error);
      return request.promise;
    }
  }
  controller.pendingPullIntos.push(descriptor);
  reader.readIntoRequests.push(request);
  callPullIfNeeded(controller);
  return request.promise;
}

function byteClose(controller) {
  const stream = controller.stream;
  if (controller.closeRequested || stream.state !== "readable") return;
  if (controller.totalSize > 0) {
    controller.closeRequested = true;
    return;
  }
  if (controller.pendingPullIntos.length > 0) {
    const first = controller.pendingPullIntos[0];
    if (first.bytesFilled % first.elementSize !== 0) {
      const error = new TypeError("The stream was closed with a partial element left in the BYOB request.");
      controllerError(controller, error);
      throw error;
    }
  }
  clearAlgorithms(controller);
  streamClose(stream);
}

// The Streams Standard's "close" for a stream another spec set up (a body stream): a BYOB read
// still waiting is answered with the end.
function bodyByteClose(controller) {
  byteClose(controller);
  if (controller.stream.state === "closed" && controller.pendingPullIntos.length > 0) {
    respondInternal(controller, 0);
  }
}

function respondInternal(controller, bytesWritten) {
  const first = controller.pendingPullIntos[0];
  const stream = controller.stream;
  if (stream.state === "closed") {
    if (bytesWritten !== 0) throw new TypeError("bytesWritten must be 0 once the stream is closed.");
    if (first.readerType === "none") controller.pendingPullIntos.shift();
    const reader = stream.reader;
    if (reader !== undefined && reader.readIntoRequests !== undefined) {
      while (reader.readIntoRequests.length > 0 && controller.pendingPullIntos.length > 0) {
        commitPullInto(stream, controller.pendingPullIntos.shift());
      }
    }
  } else {
    if (first.bytesFilled + bytesWritten > first.byteLength) {
      throw new RangeError("bytesWritten is more than the BYOB request's view can hold.");
    }
    first.bytesFilled += bytesWritten;
    if (first.readerType === "none") {
      enqueueDetachedPullInto(controller, first);
      processPullIntosUsingQueue(controller);
    } else if (first.bytesFilled >= first.minimumFill) {
      controller.pendingPullIntos.shift();
      const remainder = first.bytesFilled % first.elementSize;
      if (remainder > 0) {
        const end = first.byteOffset + first.bytesFilled;
        enqueueBytes(controller, first.buffer.slice(end - remainder, end), 0, remainder);
      }
      first.bytesFilled -= remainder;
      commitPullInto(stream, first);
      processPullIntosUsingQueue(controller);
    }
  }
  invalidateByobRequest(controller);
  callPullIfNeeded(controller);
}

class ReadableByteStreamController {
  #c;

  constructor(key = undefined, record = undefined) {
    if (key !== INTERNAL) illegalConstructor();
    this.#c = record;
  }

  get byobRequest() {
    if (!(#c in this)) illegalInvocation();
    const controller = this.#c;
    if (controller.byobRequest === null && controller.pendingPullIntos.length > 0) {
      const first = controller.pendingPullIntos[0];
      const view = new Uint8Array(first.buffer, first.byteOffset + first.bytesFilled, first.byteLength - first.bytesFilled);
      controller.byobRequest = new ReadableStreamBYOBRequest(INTERNAL, controller, view);
    }
    return controller.byobRequest;
  }

  get desiredSize() {
    if (!(#c in this)) illegalInvocation();
    return desiredSize(this.#c);
  }

  close() {
    if (!(#c in this)) illegalInvocation();
    const controller = this.#c;
    if (controller.closeRequested || controller.stream.state !== "readable") {
      throw new TypeError("Failed to execute 'close' on 'ReadableByteStreamController': The stream is not in a state that permits close.");
    }
    byteClose(controller);
  }

  enqueue(chunk) {
    if (!(#c in this)) illegalInvocation();
    requireArgs(arguments.length, 1, "Failed to execute 'enqueue' on 'ReadableByteStreamController'");
    if (!ArrayBufferIsView(chunk)) {
      throw new TypeError("Failed to execute 'enqueue' on 'ReadableByteStreamController': parameter 1 is not of type 'ArrayBufferView'.");
    }
    byteEnqueue(this.#c, chunk);
  }

  error(e = undefined) {
    if (!(#c in this)) illegalInvocation();
    controllerError(this.#c, e);
  }
}
setLength(ReadableByteStreamController, 0);
finishInterface(ReadableByteStreamController);

let byobRequestDetach;

class ReadableStreamBYOBRequest {
  #controller;
  #view;

  constructor(key = undefined, controller = undefined, view = undefined) {
    if (key !== INTERNAL) illegalConstructor();
    this.#controller = controller;
    this.#view = view;
  }

  get view() {
    if (!(#view in this)) illegalInvocation();
    return this.#view;
  }

  respond(bytesWritten) {
    if (!(#view in this)) illegalInvocation();
    requireArgs(arguments.length, 1, "Failed to execute 'respond' on 'ReadableStreamBYOBRequest'");
    const controller = this.#controller;
    if (controller === null) throw new TypeError("This BYOB request has already been responded to.");
    const written = Number(bytesWritten);
    if (!Number.isInteger(written) || written < 0) throw new TypeError("bytesWritten must be a non-negative integer.");
    respondInternal(controller, written);
  }

  respondWithNewView(view) {
    if (!(#view in this)) illegalInvocation();
    requireArgs(arguments.length, 1, "Failed to execute 'respondWithNewView' on 'ReadableStreamBYOBRequest'");
    const controller = this.#controller;
    if (controller === null) throw new TypeError("This BYOB request has already been responded to.");
    if (!ArrayBufferIsView(view)) throw new TypeError("respondWithNewView: parameter 1 is not an ArrayBufferView.");
    const first = controller.pendingPullIntos[0];
    if (first.byteOffset + first.bytesFilled !== view.byteOffset) {
      throw new RangeError("respondWithNewView: the view's offset does not match the request.");
    }
    if (controller.stream.state === "closed" ? view.byteLength !== 0 : view.byteLength === 0) {
      throw new TypeError("respondWithNewView: the view's length is not allowed in this state.");
    }
    const written = view.byteLength;
    first.buffer = transferBuffer(view.buffer);
    respondInternal(controller, written);
  }

  static {
    byobRequestDetach = (request) => {
      request.#controller = null;
      request.#view = null;
    };
  }
}
finishInterface(ReadableStreamBYOBRequest);

class ReadableStreamBYOBReader {
  #r;

  constructor(stream, record = undefined) {
    if (stream === INTERNAL) {
      this.#r = record;
      record.object = this;
      return;
    }
    requireArgs(arguments.length, 1, "Failed to construct 'ReadableStreamBYOBReader'");
    const s = streamRecordOf(stream);
    if (s === undefined) {
      throw new TypeError("Failed to construct 'ReadableStreamBYOBReader': parameter 1 is not of type 'ReadableStream'.");
    }
    this.#r = acquireBYOBReader(s);
    this.#r.object = this;
  }

  get closed() {
    if (!(#r in this)) return PromiseReject(new TypeError("Illegal invocation"));
    return this.#r.closed.promise;
  }

  read(view, options = undefined) {
    if (!(#r in this)) return PromiseReject(new TypeError("Illegal invocation"));
    const reader = this.#r;
    if (!ArrayBufferIsView(view)) {
      return PromiseReject(new TypeError("Failed to execute 'read' on 'ReadableStreamBYOBReader': parameter 1 is not of type 'ArrayBufferView'."));
    }
    if (view.byteLength === 0 || view.buffer.byteLength === 0) {
      return PromiseReject(new TypeError("Failed to execute 'read' on 'ReadableStreamBYOBReader': the view is empty."));
    }
    let min = 1;
    if (options !== undefined && options !== null && options.min !== undefined) {
      min = Number(options.min);
      const length = typedArrayName(view) === undefined ? view.byteLength : view.length;
      if (!Number.isInteger(min) || min <= 0 || min > length) {
        return PromiseReject(new RangeError("Failed to execute 'read' on 'ReadableStreamBYOBReader': options.min is out of range."));
      }
    }
    if (reader.stream === undefined) return PromiseReject(new TypeError("This reader has been released."));
    return byobRead(reader, view, min);
  }

  releaseLock() {
    if (!(#r in this)) illegalInvocation();
    const reader = this.#r;
    if (reader.stream === undefined) return;
    readerRelease(reader);
  }

  cancel(reason = undefined) {
    if (!(#r in this)) return PromiseReject(new TypeError("Illegal invocation"));
    const reader = this.#r;
    if (reader.stream === undefined) return PromiseReject(new TypeError("This reader has been released."));
    return streamCancel(reader.stream, reason);
  }
}
setLength(ReadableStreamBYOBReader, 1);
finishInterface(ReadableStreamBYOBReader);

// A body stream (streams.js, createBodyStream) becoming the byte stream the Fetch Standard says
// it is. Its controller is never exposed and its queue holds only Uint8Arrays, so the record
// can change kind in place.
function upgradeBodyStream(stream) {
  const controller = stream.controller;
  const queue = controller.queue;
  controller.kind = "bytes";
  controller.queue = [];
  controller.sizes = null;
  controller.totalSize = 0;
  controller.size = undefined;
  controller.autoAllocateChunkSize = undefined;
  controller.pendingPullIntos = [];
  controller.byobRequest = null;
  for (const chunk of queue) enqueueBytes(controller, chunk.buffer, chunk.byteOffset, chunk.byteLength);
  controller.object = new ReadableByteStreamController(INTERNAL, controller);
}

function acquireBYOBReader(stream) {
  if (stream.isBody === true && stream.controller.kind !== "bytes" && stream.reader === undefined) {
    upgradeBodyStream(stream);
  }
  if (stream.controller.kind !== "bytes") {
    throw new TypeError("Cannot get a BYOB reader for a stream that is not a byte stream (type: \"bytes\").");
  }
  const reader = acquireReader(stream);
  reader.readIntoRequests = [];
  return reader;
}

function acquireBYOBReaderObject(stream) {
  return new ReadableStreamBYOBReader(INTERNAL, acquireBYOBReader(stream));
}
