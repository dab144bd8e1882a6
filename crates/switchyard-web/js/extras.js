// Parts of the Web API that a context loads on first use (EXTRAS in src/lib.rs): each is its
// own module, so an isolate that never uses WritableStream, crypto.subtle, Blob/FormData or
// MessageChannel does not hold their code. An extra receives the core's helpers as a kit.

const loadedExtras = { __proto__: null };

function extra(name) {
  let loaded = loadedExtras[name];
  if (loaded === undefined) {
    loaded = native.loadExtra(name)(makeKit());
    loadedExtras[name] = loaded;
  }
  return loaded;
}

function extraLoaded(name) {
  return loadedExtras[name] !== undefined;
}

// A global that loads its extra when first read, then becomes a plain data property.
function defineLazyGlobal(name, group) {
  ObjectDefineProperty(globalThis, name, {
    get() {
      const value = extra(group)[name];
      defineGlobal(name, value, false);
      return value;
    },
    set(value) {
      defineGlobal(name, value, false);
    },
    enumerable: false,
    configurable: true,
  });
}
