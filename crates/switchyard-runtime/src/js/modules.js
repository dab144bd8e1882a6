// Switchyard's helpers for the modules it generates: CommonJS files and data modules.
// Internal (`switchyard:modules`); workers cannot import it.

const defined = new Map();
const cache = new Map();
const esmWrappers = new WeakMap();

// Register a CommonJS file's code without running it. `deps` maps each `require` specifier
// found at load time to a module name (another CommonJS file), a function returning the value
// (an ES module, a JSON value), or `{ error }` when it did not resolve.
export function define(name, factory, deps) {
  defined.set(name, { factory, deps });
}

// The same for a file that only works in sloppy mode: its source is compiled as a script (not
// inside this strict module), with its file name for stack traces, when first required.
export function defineScript(name, source, deps) {
  defined.set(name, { source, deps });
}

function compile(name, source) {
  const internal = globalThis[Symbol.for("switchyard.internal")];
  return internal.compileScript(
    `(function (exports, require, module, __filename, __dirname) {${source}\n})`,
    name,
  );
}

// Run a CommonJS file once and return its `module.exports`.
export function load(name) {
  const cached = cache.get(name);
  if (cached !== undefined) return cached.exports;
  const definition = defined.get(name);
  if (definition === undefined) {
    throw new Error(
      `the CommonJS module ${name} was required before it was set up: an ES module that it ` +
        `requires imports it back (an import cycle between ES modules and CommonJS)`,
    );
  }
  if (definition.factory === undefined) definition.factory = compile(name, definition.source);
  const { factory, deps } = definition;
  const module = { id: name, filename: name, exports: {}, loaded: false, children: [] };
  cache.set(name, module);
  const dirname = name.slice(0, name.lastIndexOf("/")) || "/";
  function require(specifier) {
    const target = Object.hasOwn(deps, specifier) ? deps[specifier] : undefined;
    if (typeof target === "string") return load(target);
    if (typeof target === "function") return target();
    const message = target?.error !== undefined
      ? `Cannot find module '${specifier}': ${target.error}`
      : `Cannot find module '${specifier}' from '${name}': Switchyard resolves require() when ` +
        `the worker loads, so the specifier must be a string literal`;
    const error = new Error(message);
    error.code = "MODULE_NOT_FOUND";
    throw error;
  }
  module.require = require;
  try {
    factory.call(module.exports, module.exports, require, module, name, dirname);
  } catch (error) {
    cache.delete(name);
    throw error;
  }
  module.loaded = true;
  return module.exports;
}

// What `require()` of an ES module returns: its exports with `__esModule: true`, as Node 22 and
// bundlers give, so `__importDefault(require("esm")).default` is the default export.
export function esm(namespace) {
  let wrapper = esmWrappers.get(namespace);
  if (wrapper === undefined) {
    wrapper = Object.defineProperty({}, "__esModule", { value: true });
    for (const key of Object.keys(namespace)) {
      Object.defineProperty(wrapper, key, { get: () => namespace[key], enumerable: true });
    }
    esmWrappers.set(namespace, wrapper);
  }
  return wrapper;
}

// The default export an ES module sees for `module.exports`, as bundlers do: a transpiled ES
// module (`__esModule`) gives its `default`.
export function interop(exports) {
  return exports != null && exports.__esModule === true && "default" in Object(exports)
    ? exports.default
    : exports;
}

// A data module's ArrayBuffer, from base64.
export function bytes(base64) {
  const text = atob(base64);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out.buffer;
}
