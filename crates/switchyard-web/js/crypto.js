// WebCrypto (`crypto.subtle`): digest (SHA-1/256/384/512) and HMAC (generateKey, importKey and
// exportKey in raw and jwk, sign, verify). The hashing is native; this file is the Web Crypto
// API's argument handling, key objects and errors, following the W3C spec's algorithm
// normalization. Other algorithms reject with NotSupportedError.

const DIGESTS = { "SHA-1": 512, "SHA-256": 512, "SHA-384": 1024, "SHA-512": 1024 };
const JWK_HMAC_ALG = { "SHA-1": "HS1", "SHA-256": "HS256", "SHA-384": "HS384", "SHA-512": "HS512" };
const HMAC_USAGES = ["sign", "verify"];
const keyMaterial = new WeakMap();

// A copy of a BufferSource's bytes taken now, as the spec requires, or a TypeError.
function copyBufferSource(value, where) {
  const parts = bufferSourceParts(value);
  if (parts === undefined) {
    throw new TypeError(`${where}: parameter is not of type 'ArrayBuffer or ArrayBufferView'.`);
  }
  const [buffer, offset, length] = parts;
  return buffer.slice(offset, offset + length);
}

function notSupported(name) {
  return createDOMException(`Unrecognized or unsupported algorithm name: ${name}`, "NotSupportedError");
}

// The spec's "normalize an algorithm": a string or a dictionary with `name`, matched without
// regard to case.
function algorithmName(algorithm) {
  if (typeof algorithm === "string") algorithm = { name: algorithm };
  if (!isObject(algorithm)) {
    throw new TypeError("Algorithm: the algorithm must be a string or an object with a name.");
  }
  if (algorithm.name === undefined) {
    throw new TypeError("Algorithm: the required member 'name' is missing.");
  }
  return [toDOMString(algorithm.name), algorithm];
}

function digestName(value) {
  const [name] = algorithmName(value);
  const upper = name.toUpperCase();
  if (!ObjectHasOwn(DIGESTS, upper)) throw notSupported(name);
  return upper;
}

function hmacParams(algorithm, lengthError = "OperationError") {
  const [name, dict] = algorithmName(algorithm);
  if (name.toUpperCase() !== "HMAC") throw notSupported(name);
  if (dict.hash === undefined) {
    throw new TypeError("HmacKeyAlgorithm: the required member 'hash' is missing.");
  }
  const hash = digestName(dict.hash);
  let length;
  if (dict.length !== undefined) {
    length = Number(dict.length);
    if (!Number.isInteger(length) || length <= 0) {
      throw createDOMException("HMAC key length must be a positive whole number of bits.", lengthError);
    }
  }
  return { hash, length };
}

function checkUsages(usages, allowed) {
  if (!isObject(usages) || typeof usages[SymbolIterator] !== "function") {
    throw new TypeError("keyUsages must be a sequence of strings.");
  }
  const out = [];
  for (const usage of usages) {
    const text = toDOMString(usage);
    if (!allowed.includes(text)) {
      throw createDOMException(`Unsupported key usage for an HMAC key: '${text}'.`, "SyntaxError");
    }
    if (!out.includes(text)) out.push(text);
  }
  return out;
}

class CryptoKey {
  #type;
  #extractable;
  #algorithm;
  #usages;

  constructor(key = undefined, type, extractable, algorithm, usages) {
    if (key !== INTERNAL) illegalConstructor();
    this.#type = type;
    this.#extractable = extractable;
    this.#algorithm = algorithm;
    this.#usages = usages;
  }

  get type() {
    if (!(#type in this)) illegalInvocation();
    return this.#type;
  }

  get extractable() {
    if (!(#type in this)) illegalInvocation();
    return this.#extractable;
  }

  get algorithm() {
    if (!(#type in this)) illegalInvocation();
    return this.#algorithm;
  }

  get usages() {
    if (!(#type in this)) illegalInvocation();
    return [...this.#usages];
  }

  static isKey(value) {
    return isObject(value) && #type in value;
  }
}
finishInterface(CryptoKey);

function hmacKey(bytes, hash, length, extractable, usages) {
  if (usages.length === 0) {
    throw createDOMException("Usages cannot be empty when creating a key.", "SyntaxError");
  }
  const algorithm = ObjectFreeze({ name: "HMAC", hash: ObjectFreeze({ name: hash }), length });
  const key = new CryptoKey(INTERNAL, "secret", Boolean(extractable), algorithm, ObjectFreeze(usages));
  keyMaterial.set(key, bytes);
  return key;
}

function base64UrlEncode(buffer) {
  const bytes = new Uint8Array(buffer);
  let binary = "";
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function base64UrlDecode(text) {
  if (typeof text !== "string" || !/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) {
    throw createDOMException("The JWK member 'k' is not valid base64url.", "DataError");
  }
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes.buffer;
}

function usableKey(key, name, usage, where) {
  if (!CryptoKey.isKey(key)) {
    throw new TypeError(`${where}: parameter 2 is not of type 'CryptoKey'.`);
  }
  if (key.algorithm.name !== name) {
    throw createDOMException(
      `The requested algorithm ${name} does not match the key's algorithm ${key.algorithm.name}.`,
      "InvalidAccessError",
    );
  }
  if (!key.usages.includes(usage)) {
    throw createDOMException(`The key does not allow the usage '${usage}'.`, "InvalidAccessError");
  }
  return keyMaterial.get(key);
}

// Every SubtleCrypto method returns a promise and reports bad arguments by rejecting it.
function promised(fn) {
  try {
    return PromiseResolve(fn());
  } catch (error) {
    return PromiseReject(error);
  }
}

const ObjectFreeze = Object.freeze;

class SubtleCrypto {
  #brand = true;

  constructor(key = undefined) {
    if (key !== INTERNAL) illegalConstructor();
  }

  digest(algorithm, data) {
    if (!(#brand in this)) illegalInvocation();
    return promised(() => {
      requireArgs(arguments.length, 2, "Failed to execute 'digest' on 'SubtleCrypto'");
      const hash = digestName(algorithm);
      return native.digest(hash, copyBufferSource(data, "Failed to execute 'digest' on 'SubtleCrypto'"));
    });
  }

  generateKey(algorithm, extractable, keyUsages) {
    if (!(#brand in this)) illegalInvocation();
    return promised(() => {
      requireArgs(arguments.length, 3, "Failed to execute 'generateKey' on 'SubtleCrypto'");
      const { hash, length = DIGESTS[hash] } = hmacParams(algorithm);
      const usages = checkUsages(keyUsages, HMAC_USAGES);
      const bytes = new Uint8Array(Math.ceil(length / 8));
      for (let i = 0; i < bytes.length; i += 65536) {
        crypto.getRandomValues(bytes.subarray(i, i + 65536));
      }
      return hmacKey(bytes.buffer, hash, length, extractable, usages);
    });
  }

  importKey(format, keyData, algorithm, extractable, keyUsages) {
    if (!(#brand in this)) illegalInvocation();
    return promised(() => {
      requireArgs(arguments.length, 5, "Failed to execute 'importKey' on 'SubtleCrypto'");
      format = toDOMString(format);
      const { hash, length } = hmacParams(algorithm, "DataError");
      const usages = checkUsages(keyUsages, HMAC_USAGES);
      let bytes;
      if (format === "raw") {
        bytes = copyBufferSource(keyData, "Failed to execute 'importKey' on 'SubtleCrypto'");
      } else if (format === "jwk") {
        if (!isObject(keyData)) throw new TypeError("importKey: a jwk key must be an object.");
        if (keyData.kty !== "oct") {
          throw createDOMException("The JWK 'kty' member must be 'oct' for an HMAC key.", "DataError");
        }
        bytes = base64UrlDecode(keyData.k);
        if (keyData.alg !== undefined && keyData.alg !== JWK_HMAC_ALG[hash]) {
          throw createDOMException(
            `The JWK 'alg' member ('${keyData.alg}') does not match the hash ${hash}.`,
            "DataError",
          );
        }
        if (usages.length > 0 && keyData.use !== undefined && keyData.use !== "sig") {
          throw createDOMException("The JWK 'use' member must be 'sig' for an HMAC key.", "DataError");
        }
        if (keyData.ext === false && extractable) {
          throw createDOMException("The JWK is not extractable ('ext' is false).", "DataError");
        }
        if (keyData.key_ops !== undefined) {
          const ops = ArrayIsArray(keyData.key_ops) ? keyData.key_ops : [];
          const missing = usages.find((usage) => !ops.includes(usage));
          if (missing !== undefined) {
            throw createDOMException(`The JWK 'key_ops' member does not allow '${missing}'.`, "DataError");
          }
        }
      } else if (format === "spki" || format === "pkcs8") {
        throw createDOMException(`An HMAC key cannot be imported in '${format}' format.`, "NotSupportedError");
      } else {
        throw new TypeError(`importKey: '${format}' is not a valid KeyFormat.`);
      }
      const bits = bytes.byteLength * 8;
      if (bits === 0) throw createDOMException("HMAC key data must not be empty.", "DataError");
      if (length !== undefined && (length > bits || length <= bits - 8)) {
        throw createDOMException("The HMAC key length does not match the key data.", "DataError");
      }
      return hmacKey(bytes, hash, length ?? bits, extractable, usages);
    });
  }

  exportKey(format, key) {
    if (!(#brand in this)) illegalInvocation();
    return promised(() => {
      requireArgs(arguments.length, 2, "Failed to execute 'exportKey' on 'SubtleCrypto'");
      format = toDOMString(format);
      if (!CryptoKey.isKey(key)) {
        throw new TypeError("Failed to execute 'exportKey' on 'SubtleCrypto': parameter 2 is not of type 'CryptoKey'.");
      }
      if (!key.extractable) {
        throw createDOMException("The key is not extractable.", "InvalidAccessError");
      }
      const bytes = keyMaterial.get(key);
      if (format === "raw") return bytes.slice(0);
      if (format === "jwk") {
        return {
          kty: "oct",
          k: base64UrlEncode(bytes),
          alg: JWK_HMAC_ALG[key.algorithm.hash.name],
          key_ops: key.usages,
          ext: true,
        };
      }
      if (format === "spki" || format === "pkcs8") {
        throw createDOMException(`An HMAC key cannot be exported in '${format}' format.`, "NotSupportedError");
      }
      throw new TypeError(`exportKey: '${format}' is not a valid KeyFormat.`);
    });
  }

  sign(algorithm, key, data) {
    if (!(#brand in this)) illegalInvocation();
    return promised(() => {
      const where = "Failed to execute 'sign' on 'SubtleCrypto'";
      requireArgs(arguments.length, 3, where);
      const [name] = algorithmName(algorithm);
      if (name.toUpperCase() !== "HMAC") throw notSupported(name);
      const bytes = usableKey(key, "HMAC", "sign", where);
      return native.hmacSign(key.algorithm.hash.name, bytes, copyBufferSource(data, where));
    });
  }

  verify(algorithm, key, signature, data) {
    if (!(#brand in this)) illegalInvocation();
    return promised(() => {
      const where = "Failed to execute 'verify' on 'SubtleCrypto'";
      requireArgs(arguments.length, 4, where);
      const [name] = algorithmName(algorithm);
      if (name.toUpperCase() !== "HMAC") throw notSupported(name);
      const bytes = usableKey(key, "HMAC", "verify", where);
      const expected = copyBufferSource(signature, where);
      return native.hmacVerify(key.algorithm.hash.name, bytes, copyBufferSource(data, where), expected);
    });
  }

  // workerd's extension: compare two equal-length buffers in time that depends only on length.
  timingSafeEqual(a, b) {
    if (!(#brand in this)) illegalInvocation();
    requireArgs(arguments.length, 2, "Failed to execute 'timingSafeEqual' on 'SubtleCrypto'");
    const where = "Failed to execute 'timingSafeEqual' on 'SubtleCrypto'";
    const left = new Uint8Array(copyBufferSource(a, where));
    const right = new Uint8Array(copyBufferSource(b, where));
    if (left.length !== right.length) {
      throw new RangeError(`${where}: the two buffers must have the same byte length.`);
    }
    let difference = 0;
    for (let i = 0; i < left.length; i++) difference |= left[i] ^ right[i];
    return difference === 0;
  }
}
for (const method of ["encrypt", "decrypt", "deriveBits", "deriveKey", "wrapKey", "unwrapKey"]) {
  SubtleCrypto.prototype[method] = {
    [method](algorithm) {
      return promised(() => {
        const [name] = algorithmName(algorithm);
        throw notSupported(name);
      });
    },
  }[method];
}
finishInterface(SubtleCrypto);
const subtle = new SubtleCrypto(INTERNAL);
