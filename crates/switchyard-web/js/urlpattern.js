// URLPattern (WICG URL Pattern Standard). The crate `urlpattern` parses patterns and inputs
// (src/urlpattern.rs); each component becomes an ECMAScript regular expression that this file
// compiles and runs with the engine's own RegExp.

const COMPONENTS = ["protocol", "username", "password", "hostname", "port", "pathname", "search", "hash"];

function urlPatternError(result) {
  if (typeof result === "string" && result.startsWith("TypeError: ")) {
    throw new TypeError(`URLPattern: ${result.slice("TypeError: ".length)}`);
  }
  return result;
}

// A URLPatternInput as JSON for Rust: a string, or the dictionary's string members.
function patternInputJson(input, where) {
  if (typeof input === "string") return JSONStringify(input);
  if (input === undefined || input === null) return "{}";
  if (!isObject(input)) return JSONStringify(toUSVString(input));
  const init = {};
  for (const member of [...COMPONENTS, "baseURL"]) {
    const value = input[member];
    if (value !== undefined) init[member] = toUSVString(value);
  }
  return JSONStringify(init);
}

let urlPatternComponentsOf;

class URLPattern {
  #components;
  #hasRegExpGroups;

  constructor(input = undefined, baseURL = undefined, options = undefined) {
    const where = "Failed to construct 'URLPattern'";
    // URLPattern(input, options): the second argument is the options dictionary.
    if (isObject(baseURL) && options === undefined) {
      options = baseURL;
      baseURL = undefined;
    }
    const ignoreCase = Boolean(options?.ignoreCase);
    const base = baseURL === undefined ? null : toUSVString(baseURL);
    const parsed = JSONParse(urlPatternError(native.urlPatternParse(patternInputJson(input, where), base, ignoreCase)));
    this.#components = {};
    for (const name of COMPONENTS) {
      const component = parsed[name];
      let regexp;
      try {
        regexp = new RegExp(component.regexpString, ignoreCase ? "ui" : "u");
      } catch (error) {
        throw new TypeError(`${where}: the ${name} pattern is not a valid regular expression: ${error.message}`);
      }
      this.#components[name] = { pattern: component.patternString, regexp, groups: component.groupNameList };
    }
    this.#hasRegExpGroups = parsed.hasRegexpGroups;
  }

  test(input = undefined, baseURL = undefined) {
    if (!(#components in this)) illegalInvocation();
    return this.#match(input, baseURL) !== null;
  }

  exec(input = undefined, baseURL = undefined) {
    if (!(#components in this)) illegalInvocation();
    const result = this.#match(input, baseURL);
    if (result === null) return null;
    result.inputs = baseURL === undefined ? [input] : [input, baseURL];
    return result;
  }

  #match(input, baseURL) {
    const base = baseURL === undefined ? null : toUSVString(baseURL);
    const values = urlPatternError(native.urlPatternInput(patternInputJson(input, "URLPattern"), base));
    if (values === null) return null;
    const components = JSONParse(values);
    const result = {};
    for (const name of COMPONENTS) {
      const { regexp, groups } = this.#components[name];
      const text = components[name];
      const match = regexp.exec(text);
      if (match === null) return null;
      // Defined, not assigned: a group named `__proto__` is a property like any other.
      const found = {};
      for (let i = 0; i < groups.length; i++) {
        ObjectDefineProperty(found, groups[i], { value: match[i + 1], writable: true, enumerable: true, configurable: true });
      }
      result[name] = { input: text, groups: found };
    }
    return result;
  }

  get hasRegExpGroups() {
    if (!(#components in this)) illegalInvocation();
    return this.#hasRegExpGroups;
  }

  static {
    urlPatternComponentsOf = (pattern) => {
      if (!isObject(pattern) || !(#components in pattern)) illegalInvocation();
      return pattern.#components;
    };
  }
}
for (const name of COMPONENTS) {
  ObjectDefineProperty(URLPattern.prototype, name, {
    get() {
      return urlPatternComponentsOf(this)[name].pattern;
    },
    enumerable: true,
    configurable: true,
  });
}
finishInterface(URLPattern);
