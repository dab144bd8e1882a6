// HTML's MessageChannel and MessagePort, within one isolate: postMessage() structured-clones
// the message and delivers it as a `message` event on the other port in a later job. A port
// queues messages until it is started (start(), or setting onmessage), as the spec says.

class MessageEvent extends Event {
  #data;
  #origin;
  #lastEventId;
  #source;
  #ports;

  constructor(type, eventInitDict = undefined) {
    requireArgs(arguments.length, 1, "Failed to construct 'MessageEvent'");
    super(type, eventInitDict);
    this.#data = eventInitDict?.data ?? null;
    this.#origin = eventInitDict?.origin === undefined ? "" : toUSVString(eventInitDict.origin);
    this.#lastEventId = eventInitDict?.lastEventId === undefined ? "" : toDOMString(eventInitDict.lastEventId);
    this.#source = eventInitDict?.source ?? null;
    this.#ports = Object.freeze([...(eventInitDict?.ports ?? [])]);
  }

  get data() {
    if (!(#data in this)) illegalInvocation();
    return this.#data;
  }

  get origin() {
    if (!(#data in this)) illegalInvocation();
    return this.#origin;
  }

  get lastEventId() {
    if (!(#data in this)) illegalInvocation();
    return this.#lastEventId;
  }

  get source() {
    if (!(#data in this)) illegalInvocation();
    return this.#source;
  }

  get ports() {
    if (!(#data in this)) illegalInvocation();
    return this.#ports;
  }
}
finishInterface(MessageEvent);

class MessagePort extends EventTarget {
  #peer = null;
  #queue = [];
  #started = false;
  #closed = false;

  constructor(key = undefined) {
    if (key !== INTERNAL) illegalConstructor();
    super();
  }

  postMessage(message, transfer = undefined) {
    if (!(#queue in this)) illegalInvocation();
    requireArgs(arguments.length, 1, "Failed to execute 'postMessage' on 'MessagePort'");
    if (transfer !== undefined && !isObject(transfer)) {
      throw new TypeError("Failed to execute 'postMessage' on 'MessagePort': the transfer list is not a sequence.");
    }
    // Cloned now, as the spec says: later changes to `message` are not seen by the receiver.
    const data = structuredClone(message);
    const peer = this.#peer;
    if (this.#closed || peer === null) return;
    peer.#queue.push(data);
    if (peer.#started) peer.#deliverSoon();
  }

  start() {
    if (!(#queue in this)) illegalInvocation();
    if (this.#started) return;
    this.#started = true;
    if (this.#queue.length > 0) this.#deliverSoon();
  }

  close() {
    if (!(#queue in this)) illegalInvocation();
    this.#closed = true;
    this.#queue = [];
    const peer = this.#peer;
    this.#peer = null;
    if (peer !== null) peer.#peer = null;
  }

  #deliverSoon() {
    native.enqueueJob(() => {
      const queue = this.#queue;
      this.#queue = [];
      for (const data of queue) {
        if (this.#closed) return;
        this.dispatchEvent(new MessageEvent("message", { data }));
      }
    }, undefined);
  }

  static entangle(a, b) {
    a.#peer = b;
    b.#peer = a;
  }

  static startPort(port) {
    port.start();
  }
}
const entanglePorts = MessagePort.entangle;
delete MessagePort.entangle;
delete MessagePort.startPort;
// Setting `onmessage` starts the port, as the spec says; `onmessageerror` does not.
{
  const handlers = new WeakMap();
  ObjectDefineProperty(MessagePort.prototype, "onmessage", {
    get() {
      return handlers.get(this)?.value ?? null;
    },
    set(value) {
      let slot = handlers.get(this);
      if (slot === undefined) {
        slot = { value: null };
        handlers.set(this, slot);
        this.addEventListener("message", (event) => {
          const handler = slot.value;
          if (typeof handler === "function") ReflectApply(handler, this, [event]);
        });
      }
      slot.value = typeof value === "function" ? value : null;
      this.start();
    },
    enumerable: true,
    configurable: true,
  });
}
defineEventHandler(MessagePort, "messageerror");
finishInterface(MessagePort);

class MessageChannel {
  #port1 = new MessagePort(INTERNAL);
  #port2 = new MessagePort(INTERNAL);

  constructor() {
    entanglePorts(this.#port1, this.#port2);
  }

  get port1() {
    if (!(#port1 in this)) illegalInvocation();
    return this.#port1;
  }

  get port2() {
    if (!(#port1 in this)) illegalInvocation();
    return this.#port2;
  }
}
finishInterface(MessageChannel);
