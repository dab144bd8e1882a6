// DOM Standard events (an extra, loaded at first use): Event, EventTarget, CustomEvent,
// ErrorEvent, PromiseRejectionEvent, AbortController and AbortSignal, globalThis's listeners,
// reportError and performance. No DOM tree, so dispatch has one target and no capture or bubble
// path beyond it; everything else (listener options, once, passive, signal, handleEvent
// objects, removal during dispatch, stopImmediatePropagation) follows the spec. The core
// reaches in here through the stubs in extras.js.

const NONE = 0;
const AT_TARGET = 2;

class Event {
  #type;
  #bubbles;
  #cancelable;
  #composed;
  #target = null;
  #currentTarget = null;
  #phase = NONE;
  #canceled = false;
  #stopPropagation = false;
  #stopImmediate = false;
  #dispatching = false;
  #inPassiveListener = false;
  #initialized = true;
  #timeStamp;

  constructor(type, eventInitDict = undefined) {
    requireArgs(arguments.length, 1, "Failed to construct 'Event'");
    eventInitDict = dictionary(eventInitDict, "Failed to construct 'Event'");
    this.#type = toDOMString(type);
    this.#bubbles = Boolean(eventInitDict?.bubbles);
    this.#cancelable = Boolean(eventInitDict?.cancelable);
    this.#composed = Boolean(eventInitDict?.composed);
    this.#timeStamp = native.now() - timeOrigin;
  }

  get type() {
    if (!(#type in this)) illegalInvocation();
    return this.#type;
  }
  get target() {
    if (!(#type in this)) illegalInvocation();
    return this.#target;
  }
  get srcElement() {
    if (!(#type in this)) illegalInvocation();
    return this.#target;
  }
  get currentTarget() {
    if (!(#type in this)) illegalInvocation();
    return this.#currentTarget;
  }
  composedPath() {
    if (!(#type in this)) illegalInvocation();
    return this.#currentTarget === null ? [] : [this.#currentTarget];
  }
  get eventPhase() {
    if (!(#type in this)) illegalInvocation();
    return this.#phase;
  }
  stopPropagation() {
    if (!(#type in this)) illegalInvocation();
    this.#stopPropagation = true;
  }
  get cancelBubble() {
    if (!(#type in this)) illegalInvocation();
    return this.#stopPropagation;
  }
  set cancelBubble(value) {
    if (!(#type in this)) illegalInvocation();
    if (value) this.#stopPropagation = true;
  }
  stopImmediatePropagation() {
    if (!(#type in this)) illegalInvocation();
    this.#stopPropagation = true;
    this.#stopImmediate = true;
  }
  get bubbles() {
    if (!(#type in this)) illegalInvocation();
    return this.#bubbles;
  }
  get cancelable() {
    if (!(#type in this)) illegalInvocation();
    return this.#cancelable;
  }
  get returnValue() {
    if (!(#type in this)) illegalInvocation();
    return !this.#canceled;
  }
  set returnValue(value) {
    if (!(#type in this)) illegalInvocation();
    if (!value) this.#cancel();
  }
  preventDefault() {
    if (!(#type in this)) illegalInvocation();
    this.#cancel();
  }
  #cancel() {
    if (this.#cancelable && !this.#inPassiveListener) this.#canceled = true;
  }
  get defaultPrevented() {
    if (!(#type in this)) illegalInvocation();
    return this.#canceled;
  }
  get composed() {
    if (!(#type in this)) illegalInvocation();
    return this.#composed;
  }
  get isTrusted() {
    if (!(#type in this)) illegalInvocation();
    return false;
  }
  get timeStamp() {
    if (!(#type in this)) illegalInvocation();
    return this.#timeStamp;
  }
  initEvent(type, bubbles = false, cancelable = false) {
    if (!(#type in this)) illegalInvocation();
    requireArgs(arguments.length, 1, "Failed to execute 'initEvent' on 'Event'");
    if (this.#dispatching) return;
    this.#initialized = true;
    this.#stopPropagation = false;
    this.#stopImmediate = false;
    this.#canceled = false;
    this.#target = null;
    this.#type = toDOMString(type);
    this.#bubbles = Boolean(bubbles);
    this.#cancelable = Boolean(cancelable);
  }

  static isEvent(value) {
    return isObject(value) && #type in value;
  }

  // The spec's dispatch, for a target with no parent.
  static dispatch(event, target, listenersOf) {
    if (event.#dispatching || !event.#initialized) {
      throw createDOMException(
        "Failed to execute 'dispatchEvent' on 'EventTarget': The event is already being dispatched.",
        "InvalidStateError",
      );
    }
    event.#dispatching = true;
    event.#target = target;
    event.#currentTarget = target;
    event.#phase = AT_TARGET;
    try {
      if (!event.#stopPropagation) {
        // A copy: listeners added during dispatch do not run; removed ones are skipped by
        // their `removed` flag.
        const list = listenersOf(event.#type);
        const listeners = [...list];
        for (const listener of listeners) {
          if (listener.removed) continue;
          if (listener.once) removeListener(list, listener);
          event.#inPassiveListener = listener.passive;
          try {
            const callback = listener.callback;
            if (typeof callback === "function") {
              ReflectApply(callback, target, [event]);
            } else {
              const handleEvent = callback.handleEvent;
              if (typeof handleEvent !== "function") {
                throw new TypeError("The listener's handleEvent is not a function.");
              }
              ReflectApply(handleEvent, callback, [event]);
            }
          } catch (error) {
            reportException(error);
          }
          event.#inPassiveListener = false;
          if (event.#stopImmediate) break;
        }
      }
    } finally {
      event.#dispatching = false;
      event.#phase = NONE;
      event.#currentTarget = null;
      event.#stopPropagation = false;
      event.#stopImmediate = false;
    }
    return !event.#canceled;
  }
}
for (const [name, value] of [["NONE", 0], ["CAPTURING_PHASE", 1], ["AT_TARGET", 2], ["BUBBLING_PHASE", 3]]) {
  ObjectDefineProperty(Event, name, { value, enumerable: true });
  ObjectDefineProperty(Event.prototype, name, { value, enumerable: true });
}
const isEvent = Event.isEvent;
const dispatchEventTo = Event.dispatch;
delete Event.isEvent;
delete Event.dispatch;
finishInterface(Event);

function flattenOptions(options) {
  if (typeof options === "boolean") return { capture: options };
  if (options === undefined || options === null) return { capture: false };
  if (!isObject(options)) return { capture: Boolean(options) };
  return options;
}

// Takes `listener` out of its type's `list` (dispatch skips it from then on). Not a closure the
// listener holds: listener -> closure -> listener would be a cycle, which QuickJS frees only in
// a collection of the whole heap.
function removeListener(list, listener) {
  listener.removed = true;
  const at = list.indexOf(listener);
  if (at !== -1) list.splice(at, 1);
}

class EventTarget {
  #listeners = new Map();

  constructor() {}

  addEventListener(type, callback, options = undefined) {
    if (!(#listeners in this)) illegalInvocation();
    requireArgs(arguments.length, 2, "Failed to execute 'addEventListener' on 'EventTarget'");
    type = toDOMString(type);
    const flat = flattenOptions(options);
    const capture = Boolean(flat.capture);
    const once = Boolean(flat.once);
    const passive = Boolean(flat.passive);
    const signal = flat.signal;
    if (signal !== undefined && !isAbortSignal(signal)) {
      throw new TypeError(
        "Failed to execute 'addEventListener' on 'EventTarget': member signal is not of type AbortSignal.",
      );
    }
    if (callback === null || callback === undefined) return;
    if (!isObject(callback)) {
      throw new TypeError(
        "Failed to execute 'addEventListener' on 'EventTarget': The callback provided as parameter 2 is not an object.",
      );
    }
    if (signal !== undefined && signal.aborted) return;
    let list = this.#listeners.get(type);
    if (list === undefined) {
      list = [];
      this.#listeners.set(type, list);
    }
    if (list.some((l) => l.callback === callback && l.capture === capture)) return;
    const listener = { callback, capture, once, passive, removed: false };
    list.push(listener);
    if (signal !== undefined) {
      signalFollowers(signal).push(() => removeListener(list, listener));
    }
  }

  removeEventListener(type, callback, options = undefined) {
    if (!(#listeners in this)) illegalInvocation();
    requireArgs(arguments.length, 2, "Failed to execute 'removeEventListener' on 'EventTarget'");
    type = toDOMString(type);
    const capture = Boolean(flattenOptions(options).capture);
    const list = this.#listeners.get(type);
    const listener = list?.find((l) => l.callback === callback && l.capture === capture);
    if (listener !== undefined) removeListener(list, listener);
  }

  dispatchEvent(event) {
    if (!(#listeners in this)) illegalInvocation();
    requireArgs(arguments.length, 1, "Failed to execute 'dispatchEvent' on 'EventTarget'");
    if (!isEvent(event)) {
      throw new TypeError(
        "Failed to execute 'dispatchEvent' on 'EventTarget': parameter 1 is not of type 'Event'.",
      );
    }
    return dispatchEventTo(event, this, (type) => this.#listeners.get(type) ?? []);
  }
}
finishInterface(EventTarget);

// `on<type>` attributes: one listener slot each, added on first set.
function defineEventHandler(cls, type) {
  const handlers = new WeakMap();
  ObjectDefineProperty(cls.prototype, `on${type}`, {
    get() {
      return handlers.get(this)?.value ?? null;
    },
    set(value) {
      let slot = handlers.get(this);
      if (slot === undefined) {
        slot = { value: null };
        handlers.set(this, slot);
        const wrapper = (event) => {
          const handler = slot.value;
          if (typeof handler === "function") return ReflectApply(handler, this, [event]);
        };
        this.addEventListener(type, wrapper);
      }
      slot.value = typeof value === "function" || isObject(value) ? value : null;
    },
    enumerable: true,
    configurable: true,
  });
}

class CustomEvent extends Event {
  #detail;
  constructor(type, eventInitDict = undefined) {
    requireArgs(arguments.length, 1, "Failed to construct 'CustomEvent'");
    super(type, eventInitDict);
    this.#detail = eventInitDict?.detail ?? null;
  }
  get detail() {
    if (!(#detail in this)) illegalInvocation();
    return this.#detail;
  }
}
finishInterface(CustomEvent);

class ErrorEvent extends Event {
  #message;
  #filename;
  #lineno;
  #colno;
  #error;
  constructor(type, eventInitDict = undefined) {
    requireArgs(arguments.length, 1, "Failed to construct 'ErrorEvent'");
    super(type, eventInitDict);
    this.#message = eventInitDict?.message === undefined ? "" : toDOMString(eventInitDict.message);
    this.#filename = eventInitDict?.filename === undefined ? "" : toUSVString(eventInitDict.filename);
    this.#lineno = eventInitDict?.lineno >>> 0;
    this.#colno = eventInitDict?.colno >>> 0;
    this.#error = eventInitDict?.error;
  }
  get message() {
    if (!(#message in this)) illegalInvocation();
    return this.#message;
  }
  get filename() {
    if (!(#message in this)) illegalInvocation();
    return this.#filename;
  }
  get lineno() {
    if (!(#message in this)) illegalInvocation();
    return this.#lineno;
  }
  get colno() {
    if (!(#message in this)) illegalInvocation();
    return this.#colno;
  }
  get error() {
    if (!(#message in this)) illegalInvocation();
    return this.#error;
  }
}
finishInterface(ErrorEvent);

class PromiseRejectionEvent extends Event {
  #promise;
  #reason;
  constructor(type, eventInitDict) {
    requireArgs(arguments.length, 2, "Failed to construct 'PromiseRejectionEvent'");
    super(type, eventInitDict);
    if (!isObject(eventInitDict) || eventInitDict.promise === undefined) {
      throw new TypeError(
        "Failed to construct 'PromiseRejectionEvent': required member promise is undefined.",
      );
    }
    this.#promise = eventInitDict.promise;
    this.#reason = eventInitDict.reason;
  }
  get promise() {
    if (!(#promise in this)) illegalInvocation();
    return this.#promise;
  }
  get reason() {
    if (!(#promise in this)) illegalInvocation();
    return this.#reason;
  }
}
finishInterface(PromiseRejectionEvent);

// === AbortController / AbortSignal ===

// The spec's "abort algorithms" (callbacks run once, on abort, before the event) and
// "dependent signals" (signals from AbortSignal.any or a Request that abort with this one).
const followers = new WeakMap();
const dependents = new WeakMap();

function listIn(map, signal) {
  let list = map.get(signal);
  if (list === undefined) {
    list = [];
    map.set(signal, list);
  }
  return list;
}

function signalFollowers(signal) {
  return listIn(followers, signal);
}

class AbortSignal extends EventTarget {
  #aborted = false;
  #reason = undefined;

  constructor(key = undefined) {
    if (key !== INTERNAL) illegalConstructor();
    super();
  }

  get aborted() {
    if (!(#aborted in this)) illegalInvocation();
    return this.#aborted;
  }

  get reason() {
    if (!(#aborted in this)) illegalInvocation();
    return this.#reason;
  }

  throwIfAborted() {
    if (!(#aborted in this)) illegalInvocation();
    if (this.#aborted) throw this.#reason;
  }

  static abort(reason = undefined) {
    const signal = new AbortSignal(INTERNAL);
    signal.#aborted = true;
    signal.#reason = reason !== undefined ? reason : abortError();
    return signal;
  }

  static timeout(milliseconds) {
    requireArgs(arguments.length, 1, "Failed to execute 'timeout' on 'AbortSignal'");
    const ms = Number(milliseconds);
    if (!Number.isFinite(ms) || ms < 0 || ms > Number.MAX_SAFE_INTEGER) {
      throw new TypeError(
        "Failed to execute 'timeout' on 'AbortSignal': Value is outside the 'unsigned long long' value range.",
      );
    }
    const signal = new AbortSignal(INTERNAL);
    const setTimeout = globalThis.setTimeout;
    if (typeof setTimeout !== "function") {
      throw createDOMException("AbortSignal.timeout() needs timers, which are not available here.", "NotSupportedError");
    }
    setTimeout(() => {
      signalAbort(signal, createDOMException("The operation was aborted due to timeout", "TimeoutError"));
    }, Math.trunc(ms));
    return signal;
  }

  static any(signals) {
    requireArgs(arguments.length, 1, "Failed to execute 'any' on 'AbortSignal'");
    if (!isObject(signals) || typeof signals[SymbolIterator] !== "function") {
      throw new TypeError("Failed to execute 'any' on 'AbortSignal': The provided value cannot be converted to a sequence.");
    }
    const list = [...signals];
    for (const s of list) {
      if (!isAbortSignal(s)) {
        throw new TypeError("Failed to execute 'any' on 'AbortSignal': Failed to convert value to 'AbortSignal'.");
      }
    }
    const signal = new AbortSignal(INTERNAL);
    for (const s of list) {
      if (s.#aborted) {
        signal.#aborted = true;
        signal.#reason = s.#reason;
        return signal;
      }
    }
    for (const s of list) listIn(dependents, s).push(signal);
    return signal;
  }

  static isSignal(value) {
    return isObject(value) && #aborted in value;
  }

  // The spec's "signal abort": dependents take the reason at once, but fire their events after
  // this signal's.
  static abortNow(signal, reason) {
    if (signal.#aborted) return;
    signal.#aborted = true;
    signal.#reason = reason !== undefined ? reason : abortError();
    const toAbort = [];
    // Dependents of dependents too (a Request made from a Request made with a signal).
    for (let i = -1; i < toAbort.length; i++) {
      const source = i < 0 ? signal : toAbort[i];
      for (const dependent of dependents.get(source) ?? []) {
        if (dependent.#aborted) continue;
        dependent.#aborted = true;
        dependent.#reason = signal.#reason;
        toAbort.push(dependent);
      }
      dependents.delete(source);
    }
    for (const s of [signal, ...toAbort]) {
      const list = followers.get(s);
      followers.delete(s);
      if (list !== undefined) {
        for (const callback of list) callback();
      }
      s.dispatchEvent(new Event("abort"));
    }
  }
}
const isAbortSignal = AbortSignal.isSignal;
const signalAbort = AbortSignal.abortNow;
delete AbortSignal.isSignal;
delete AbortSignal.abortNow;
defineEventHandler(AbortSignal, "abort");
finishInterface(AbortSignal);

function abortError() {
  return createDOMException("This operation was aborted", "AbortError");
}

// A signal that follows `parent` (the spec's "create a dependent abort signal" for one source):
// what Request uses for its own signal.
function followingSignal(parent) {
  if (parent.aborted) return AbortSignal.abort(parent.reason);
  const signal = new AbortSignal(INTERNAL);
  listIn(dependents, parent).push(signal);
  return signal;
}

class AbortController {
  #signal = new AbortSignal(INTERNAL);

  constructor() {}

  get signal() {
    if (!(#signal in this)) illegalInvocation();
    return this.#signal;
  }

  abort(reason = undefined) {
    if (!(#signal in this)) illegalInvocation();
    signalAbort(this.#signal, reason);
  }
}
finishInterface(AbortController);

// === globalThis as an EventTarget, reportError, performance ===

// globalThis's own listeners (`addEventListener("unhandledrejection", …)`); the global object is
// not a real EventTarget instance, so its methods forward here.
const globalEvents = new EventTarget();

function reportError(error) {
  requireArgs(arguments.length, 1, "Failed to execute 'reportError'");
  reportException(error);
}

// Performance lives in the core (performance.now() should not load events); it is an
// EventTarget by inheritance from here on, as the spec says, and its listeners live here.
ObjectSetPrototypeOf(Performance, EventTarget);
ObjectSetPrototypeOf(Performance.prototype, EventTarget.prototype);
const performanceEvents = new EventTarget();
