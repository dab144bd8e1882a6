// WebCrypto (`crypto.subtle`) per the W3C Web Cryptography API: the argument checking,
// algorithm normalization, CryptoKey objects, usages and key formats (raw, jwk, spki, pkcs8)
// live here; the cryptography is Rust (src/crypto.rs, RustCrypto). Keys keep their material in
// one form per kind: secret keys raw, private keys PKCS #8 DER, public keys SPKI DER.

const HASHES = { "SHA-1": 512, "SHA-256": 512, "SHA-384": 1024, "SHA-512": 1024 };
const HASH_BITS = { "SHA-1": 160, "SHA-256": 256, "SHA-384": 384, "SHA-512": 512 };
const ALGORITHM_NAMES = [
  "RSASSA-PKCS1-v1_5", "RSA-PSS", "RSA-OAEP", "ECDSA", "ECDH", "AES-CTR", "AES-CBC", "AES-GCM",
  "AES-KW", "HMAC", "SHA-1", "SHA-256", "SHA-384", "SHA-512", "HKDF", "PBKDF2", "Ed25519", "X25519",
];
const CANONICAL = new Map(ALGORITHM_NAMES.map((name) => [name.toUpperCase(), name]));
const keyMaterial = new WeakMap();
const ObjectFreeze = Object.freeze;

function notSupported(name) {
  return createDOMException(`Unrecognized or unsupported algorithm name: ${name}`, "NotSupportedError");
}

function dataError(message) {
  return createDOMException(message, "DataError");
}

function operationError(message) {
  return createDOMException(message, "OperationError");
}

// Natives return their result, or "Name: message" for the DOMException to throw.
function nativeResult(value) {
  if (typeof value === "string") {
    const at = value.indexOf(": ");
    throw createDOMException(value.slice(at + 2), value.slice(0, at));
  }
  return value;
}

// A copy of a BufferSource's bytes taken now, as the spec requires, or a TypeError.
function copyBufferSource(value, where) {
  const parts = bufferSourceParts(value);
  if (parts === undefined) {
    throw new TypeError(`${where}: parameter is not of type 'ArrayBuffer or ArrayBufferView'.`);
  }
  const [buffer, offset, length] = parts;
  return buffer.slice(offset, offset + length);
}

// The spec's "normalize an algorithm": a string or a dictionary with `name`, matched without
// regard to case. Returns [canonical name, dictionary].
function normalizeAlgorithm(algorithm) {
  if (typeof algorithm === "string") algorithm = { name: algorithm };
  if (!isObject(algorithm)) {
    throw new TypeError("Algorithm: the algorithm must be a string or an object with a name.");
  }
  if (algorithm.name === undefined) {
    throw new TypeError("Algorithm: the required member 'name' is missing.");
  }
  const given = toDOMString(algorithm.name);
  const name = CANONICAL.get(given.toUpperCase());
  if (name === undefined) throw notSupported(given);
  return [name, algorithm];
}

function hashName(value, member = "hash") {
  if (value === undefined) throw new TypeError(`Algorithm: the required member '${member}' is missing.`);
  const [name] = normalizeAlgorithm(value);
  if (!ObjectHasOwn(HASHES, name)) throw notSupported(name);
  return name;
}

function requiredBytes(dict, member, where) {
  if (dict[member] === undefined) throw new TypeError(`${where}: the required member '${member}' is missing.`);
  return copyBufferSource(dict[member], `${where}: ${member}`);
}

function checkUsages(usages, allowed, what) {
  if (!isObject(usages) || typeof usages[SymbolIterator] !== "function") {
    throw new TypeError("keyUsages must be a sequence of strings.");
  }
  const out = [];
  for (const usage of usages) {
    const text = toDOMString(usage);
    if (!allowed.includes(text)) {
      throw createDOMException(`Unsupported key usage for ${what}: '${text}'.`, "SyntaxError");
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
const isCryptoKey = CryptoKey.isKey;
delete CryptoKey.isKey;
finishInterface(CryptoKey);

function makeKey(type, extractable, algorithm, usages, material) {
  if (type !== "public" && usages.length === 0) {
    throw createDOMException("Usages cannot be empty when creating a key.", "SyntaxError");
  }
  const key = new CryptoKey(INTERNAL, type, Boolean(extractable), ObjectFreeze(algorithm), ObjectFreeze(usages));
  keyMaterial.set(key, material);
  return key;
}

function base64UrlEncode(buffer) {
  const bytes = new Uint8Array(buffer);
  let binary = "";
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
  return Btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function base64UrlDecode(text, member) {
  if (typeof text !== "string" || !/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) {
    throw dataError(`The JWK member '${member}' is missing or not valid base64url.`);
  }
  const binary = Atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes.buffer;
}

// The checks every JWK import shares: kty, use, key_ops, ext and alg.
function checkJwk(jwk, kty, usages, extractable, use, expectedAlg) {
  if (!isObject(jwk)) throw new TypeError("importKey: a jwk key must be an object.");
  if (jwk.kty !== kty) throw dataError(`The JWK 'kty' member must be '${kty}'.`);
  if (usages.length > 0 && jwk.use !== undefined && jwk.use !== use) {
    throw dataError(`The JWK 'use' member must be '${use}'.`);
  }
  if (jwk.key_ops !== undefined) {
    const ops = ArrayIsArray(jwk.key_ops) ? jwk.key_ops : [];
    const missing = usages.find((usage) => !ops.includes(usage));
    if (missing !== undefined) throw dataError(`The JWK 'key_ops' member does not allow '${missing}'.`);
  }
  if (jwk.ext === false && extractable) throw dataError("The JWK is not extractable ('ext' is false).");
  if (expectedAlg !== undefined && jwk.alg !== undefined && jwk.alg !== expectedAlg) {
    throw dataError(`The JWK 'alg' member ('${jwk.alg}') does not match '${expectedAlg}'.`);
  }
}

function jwkBase(kty, key, alg) {
  const out = { kty };
  if (alg !== undefined) out.alg = alg;
  out.key_ops = key.usages;
  out.ext = true;
  return out;
}

// --- Algorithm families ---------------------------------------------------------------------
// Each: usages, generate(algorithm dict, extractable, usages), import(format, data, dict,
// extractable, usages), export(format, key), and the operations it supports.

const HMAC_ALG = { "SHA-1": "HS1", "SHA-256": "HS256", "SHA-384": "HS384", "SHA-512": "HS512" };

const hmac = {
  usages: { secret: ["sign", "verify"] },
  params(dict, lengthError) {
    const hash = hashName(dict.hash);
    let length;
    if (dict.length !== undefined) {
      length = Number(dict.length);
      if (!Number.isInteger(length) || length <= 0) {
        throw createDOMException("HMAC key length must be a positive whole number of bits.", lengthError);
      }
    }
    return { hash, length };
  },
  generate(name, dict, extractable, usages) {
    const { hash, length = HASHES[hash] } = hmac.params(dict, "OperationError");
    const bytes = randomBytes(Math.ceil(length / 8));
    return makeKey("secret", extractable, { name, hash: ObjectFreeze({ name: hash }), length }, checkUsages(usages, hmac.usages.secret, "an HMAC key"), bytes);
  },
  import(name, format, keyData, dict, extractable, usages) {
    const { hash, length } = hmac.params(dict, "DataError");
    usages = checkUsages(usages, hmac.usages.secret, "an HMAC key");
    let bytes;
    if (format === "raw") {
      bytes = copyBufferSource(keyData, "importKey");
    } else if (format === "jwk") {
      checkJwk(keyData, "oct", usages, extractable, "sig", HMAC_ALG[hash]);
      bytes = base64UrlDecode(keyData.k, "k");
    } else {
      throw createDOMException(`An HMAC key cannot be imported in '${format}' format.`, "NotSupportedError");
    }
    const bits = bytes.byteLength * 8;
    if (bits === 0) throw dataError("HMAC key data must not be empty.");
    if (length !== undefined && (length > bits || length <= bits - 8)) {
      throw dataError("The HMAC key length does not match the key data.");
    }
    return makeKey("secret", extractable, { name, hash: ObjectFreeze({ name: hash }), length: length ?? bits }, usages, bytes);
  },
  export(format, key) {
    const bytes = keyMaterial.get(key);
    if (format === "raw") return bytes.slice(0);
    if (format === "jwk") return { ...jwkBase("oct", key, HMAC_ALG[key.algorithm.hash.name]), k: base64UrlEncode(bytes) };
    throw createDOMException(`An HMAC key cannot be exported in '${format}' format.`, "NotSupportedError");
  },
  sign(_dict, key, data) {
    return native.hmacSign(key.algorithm.hash.name, keyMaterial.get(key), data);
  },
  verify(_dict, key, signature, data) {
    return native.hmacVerify(key.algorithm.hash.name, keyMaterial.get(key), data, signature);
  },
  keyLength(dict) {
    const { hash, length } = hmac.params(dict, "OperationError");
    return length ?? HASHES[hash];
  },
};

const AES_USAGES = {
  "AES-CTR": ["encrypt", "decrypt", "wrapKey", "unwrapKey"],
  "AES-CBC": ["encrypt", "decrypt", "wrapKey", "unwrapKey"],
  "AES-GCM": ["encrypt", "decrypt", "wrapKey", "unwrapKey"],
  "AES-KW": ["wrapKey", "unwrapKey"],
};
const AES_JWK_SUFFIX = { "AES-CTR": "CTR", "AES-CBC": "CBC", "AES-GCM": "GCM", "AES-KW": "KW" };

function aesLength(dict) {
  const length = Number(dict.length);
  if (length !== 128 && length !== 192 && length !== 256) {
    throw operationError("AES key length must be 128, 192 or 256 bits.");
  }
  return length;
}

const aes = {
  generate(name, dict, extractable, usages) {
    const length = aesLength(dict);
    return makeKey("secret", extractable, { name, length }, checkUsages(usages, AES_USAGES[name], `an ${name} key`), randomBytes(length / 8));
  },
  import(name, format, keyData, _dict, extractable, usages) {
    usages = checkUsages(usages, AES_USAGES[name], `an ${name} key`);
    let bytes;
    if (format === "raw") {
      bytes = copyBufferSource(keyData, "importKey");
    } else if (format === "jwk") {
      if (!isObject(keyData)) throw new TypeError("importKey: a jwk key must be an object.");
      bytes = base64UrlDecode(keyData.k, "k");
      checkJwk(keyData, "oct", usages, extractable, "enc", `A${bytes.byteLength * 8}${AES_JWK_SUFFIX[name]}`);
    } else {
      throw createDOMException(`An AES key cannot be imported in '${format}' format.`, "NotSupportedError");
    }
    const length = bytes.byteLength * 8;
    if (length !== 128 && length !== 192 && length !== 256) {
      throw dataError("AES key data must be 16, 24 or 32 bytes.");
    }
    return makeKey("secret", extractable, { name, length }, usages, bytes);
  },
  export(format, key) {
    const bytes = keyMaterial.get(key);
    if (format === "raw") return bytes.slice(0);
    if (format === "jwk") {
      return { ...jwkBase("oct", key, `A${key.algorithm.length}${AES_JWK_SUFFIX[key.algorithm.name]}`), k: base64UrlEncode(bytes) };
    }
    throw createDOMException(`An AES key cannot be exported in '${format}' format.`, "NotSupportedError");
  },
  encrypt(dict, key, data) {
    return aesCipher(dict, key, data, true);
  },
  decrypt(dict, key, data) {
    return aesCipher(dict, key, data, false);
  },
  keyLength(dict) {
    return aesLength(dict);
  },
};

function aesCipher(dict, key, data, encrypt) {
  const bytes = keyMaterial.get(key);
  const where = encrypt ? "encrypt" : "decrypt";
  switch (key.algorithm.name) {
    case "AES-GCM": {
      const iv = requiredBytes(dict, "iv", where);
      const aad = dict.additionalData === undefined ? undefined : copyBufferSource(dict.additionalData, `${where}: additionalData`);
      const tagLength = dict.tagLength === undefined ? 128 : Number(dict.tagLength);
      if (![32, 64, 96, 104, 112, 120, 128].includes(tagLength)) throw operationError("Invalid AES-GCM tagLength.");
      return nativeResult(native.aesGcm(encrypt, bytes, iv, data, aad, tagLength));
    }
    case "AES-CBC":
      return nativeResult(native.aesCbc(encrypt, bytes, requiredBytes(dict, "iv", where), data));
    case "AES-CTR": {
      const counter = requiredBytes(dict, "counter", where);
      if (dict.length === undefined) throw new TypeError(`${where}: the required member 'length' is missing.`);
      return nativeResult(native.aesCtr(bytes, counter, Number(dict.length), data));
    }
    default:
      throw createDOMException(`${key.algorithm.name} does not ${where}; use wrapKey/unwrapKey.`, "InvalidAccessError");
  }
}

// RSA: RSASSA-PKCS1-v1_5, RSA-PSS, RSA-OAEP.
const RSA_USAGES = {
  "RSASSA-PKCS1-v1_5": { private: ["sign"], public: ["verify"] },
  "RSA-PSS": { private: ["sign"], public: ["verify"] },
  "RSA-OAEP": { private: ["decrypt", "unwrapKey"], public: ["encrypt", "wrapKey"] },
};
const RSA_JWK_ALG = {
  "RSASSA-PKCS1-v1_5": { "SHA-1": "RS1", "SHA-256": "RS256", "SHA-384": "RS384", "SHA-512": "RS512" },
  "RSA-PSS": { "SHA-1": "PS1", "SHA-256": "PS256", "SHA-384": "PS384", "SHA-512": "PS512" },
  "RSA-OAEP": { "SHA-1": "RSA-OAEP", "SHA-256": "RSA-OAEP-256", "SHA-384": "RSA-OAEP-384", "SHA-512": "RSA-OAEP-512" },
};

function rsaAlgorithm(name, hash, der, isPrivate) {
  const [modulusLength, exponent] = nativeResult(native.rsaInfo(der, isPrivate));
  return { name, modulusLength, publicExponent: new Uint8Array(exponent), hash: ObjectFreeze({ name: hash }) };
}

const rsa = {
  generate(name, dict, extractable, usages) {
    const hash = hashName(dict.hash);
    const modulusLength = Number(dict.modulusLength);
    const exponent = dict.publicExponent;
    if (typedArrayName(exponent) !== "Uint8Array") {
      throw new TypeError("generateKey: publicExponent must be a Uint8Array.");
    }
    const allowed = RSA_USAGES[name];
    usages = checkUsages(usages, [...allowed.private, ...allowed.public], `an ${name} key`);
    const [pkcs8, spki] = nativeResult(native.rsaGenerate(modulusLength, copyBufferSource(exponent, "publicExponent")));
    const privateUsages = usages.filter((u) => allowed.private.includes(u));
    return {
      publicKey: makeKey("public", true, rsaAlgorithm(name, hash, spki, false), usages.filter((u) => allowed.public.includes(u)), spki),
      privateKey: makeKey("private", extractable, rsaAlgorithm(name, hash, pkcs8, true), privateUsages, pkcs8),
    };
  },
  import(name, format, keyData, dict, extractable, usages) {
    const hash = hashName(dict.hash);
    let imported;
    if (format === "jwk") {
      if (!isObject(keyData)) throw new TypeError("importKey: a jwk key must be an object.");
      const isPrivate = keyData.d !== undefined;
      usages = checkUsages(usages, RSA_USAGES[name][isPrivate ? "private" : "public"], `an ${name} key`);
      checkJwk(keyData, "RSA", usages, extractable, name === "RSA-OAEP" ? "enc" : "sig", RSA_JWK_ALG[name][hash]);
      const part = (member) => (keyData[member] === undefined ? undefined : base64UrlDecode(keyData[member], member));
      imported = nativeResult(native.rsaImportJwk(part("n"), part("e"), part("d"), part("p"), part("q")));
    } else if (format === "spki" || format === "pkcs8") {
      usages = checkUsages(usages, RSA_USAGES[name][format === "pkcs8" ? "private" : "public"], `an ${name} key`);
      imported = nativeResult(native.rsaImport(format, copyBufferSource(keyData, "importKey")));
    } else {
      throw createDOMException(`An RSA key cannot be imported in '${format}' format.`, "NotSupportedError");
    }
    const [isPrivate, der] = imported;
    return makeKey(isPrivate ? "private" : "public", extractable, rsaAlgorithm(name, hash, der, isPrivate), usages, der);
  },
  export(format, key) {
    const der = keyMaterial.get(key);
    const isPrivate = key.type === "private";
    if ((format === "spki" && isPrivate) || (format === "pkcs8" && !isPrivate) || format === "raw") {
      throw createDOMException(`A ${key.type} RSA key cannot be exported in '${format}' format.`, "InvalidAccessError");
    }
    const out = nativeResult(native.rsaExport(der, isPrivate, format));
    if (format !== "jwk") return out;
    const jwk = jwkBase("RSA", key, RSA_JWK_ALG[key.algorithm.name][key.algorithm.hash.name]);
    const names = ["n", "e", "d", "p", "q", "dp", "dq", "qi"];
    for (let i = 0; i < out.length; i++) jwk[names[i]] = base64UrlEncode(out[i]);
    return jwk;
  },
  sign(dict, key, data) {
    const salt = key.algorithm.name === "RSA-PSS" ? saltLength(dict) : 0;
    return nativeResult(native.rsaSign(key.algorithm.name, key.algorithm.hash.name, keyMaterial.get(key), data, salt));
  },
  verify(dict, key, signature, data) {
    const salt = key.algorithm.name === "RSA-PSS" ? saltLength(dict) : 0;
    return nativeResult(native.rsaVerify(key.algorithm.name, key.algorithm.hash.name, keyMaterial.get(key), data, signature, salt));
  },
  encrypt(dict, key, data) {
    return rsaOaep(dict, key, data, true);
  },
  decrypt(dict, key, data) {
    return rsaOaep(dict, key, data, false);
  },
};

function saltLength(dict) {
  if (dict.saltLength === undefined) throw new TypeError("RsaPssParams: the required member 'saltLength' is missing.");
  return Number(dict.saltLength) >>> 0;
}

function rsaOaep(dict, key, data, encrypt) {
  if (key.algorithm.name !== "RSA-OAEP") {
    throw createDOMException(`${key.algorithm.name} does not ${encrypt ? "encrypt" : "decrypt"}.`, "InvalidAccessError");
  }
  const label = dict.label === undefined ? undefined : copyBufferSource(dict.label, "label");
  return nativeResult(native.rsaOaep(encrypt, key.algorithm.hash.name, keyMaterial.get(key), data, label));
}

// EC: ECDSA and ECDH on P-256 and P-384.
const EC_USAGES = {
  ECDSA: { private: ["sign"], public: ["verify"] },
  ECDH: { private: ["deriveKey", "deriveBits"], public: [] },
};
const EC_JWK_ALG = { "P-256": "ES256", "P-384": "ES384" };

function namedCurve(dict) {
  if (dict.namedCurve === undefined) throw new TypeError("EcKeyParams: the required member 'namedCurve' is missing.");
  const curve = toDOMString(dict.namedCurve);
  if (curve !== "P-256" && curve !== "P-384") {
    throw createDOMException(`Unsupported named curve: ${curve} (P-256 and P-384 are supported).`, "NotSupportedError");
  }
  return curve;
}

const ec = {
  generate(name, dict, extractable, usages) {
    const curve = namedCurve(dict);
    const allowed = EC_USAGES[name];
    usages = checkUsages(usages, [...allowed.private, ...allowed.public], `an ${name} key`);
    const [pkcs8, spki] = nativeResult(native.ecGenerate(curve));
    return {
      publicKey: makeKey("public", true, { name, namedCurve: curve }, usages.filter((u) => allowed.public.includes(u)), spki),
      privateKey: makeKey("private", extractable, { name, namedCurve: curve }, usages.filter((u) => allowed.private.includes(u)), pkcs8),
    };
  },
  import(name, format, keyData, dict, extractable, usages) {
    const curve = namedCurve(dict);
    let imported;
    if (format === "jwk") {
      if (!isObject(keyData)) throw new TypeError("importKey: a jwk key must be an object.");
      const isPrivate = keyData.d !== undefined;
      usages = checkUsages(usages, EC_USAGES[name][isPrivate ? "private" : "public"], `an ${name} key`);
      checkJwk(keyData, "EC", usages, extractable, name === "ECDSA" ? "sig" : "enc", name === "ECDSA" ? EC_JWK_ALG[curve] : undefined);
      if (keyData.crv !== curve) throw dataError(`The JWK 'crv' member must be '${curve}'.`);
      imported = nativeResult(native.ecImportJwk(curve, base64UrlDecode(keyData.x, "x"), base64UrlDecode(keyData.y, "y"),
        isPrivate ? base64UrlDecode(keyData.d, "d") : undefined));
    } else if (format === "raw" || format === "spki" || format === "pkcs8") {
      usages = checkUsages(usages, EC_USAGES[name][format === "pkcs8" ? "private" : "public"], `an ${name} key`);
      imported = nativeResult(native.ecImport(curve, format, copyBufferSource(keyData, "importKey")));
    } else {
      throw createDOMException(`An EC key cannot be imported in '${format}' format.`, "NotSupportedError");
    }
    const [isPrivate, der] = imported;
    return makeKey(isPrivate ? "private" : "public", extractable, { name, namedCurve: curve }, usages, der);
  },
  export(format, key) {
    const isPrivate = key.type === "private";
    if (((format === "spki" || format === "raw") && isPrivate) || (format === "pkcs8" && !isPrivate)) {
      throw createDOMException(`A ${key.type} EC key cannot be exported in '${format}' format.`, "InvalidAccessError");
    }
    const curve = key.algorithm.namedCurve;
    const out = nativeResult(native.ecExport(curve, keyMaterial.get(key), isPrivate, format));
    if (format !== "jwk") return out;
    const jwk = jwkBase("EC", key, key.algorithm.name === "ECDSA" ? EC_JWK_ALG[curve] : undefined);
    jwk.crv = curve;
    jwk.x = base64UrlEncode(out[0]);
    jwk.y = base64UrlEncode(out[1]);
    if (isPrivate) jwk.d = base64UrlEncode(out[2]);
    return jwk;
  },
  sign(dict, key, data) {
    return nativeResult(native.ecdsaSign(key.algorithm.namedCurve, hashName(dict.hash), keyMaterial.get(key), data));
  },
  verify(dict, key, signature, data) {
    return nativeResult(native.ecdsaVerify(key.algorithm.namedCurve, hashName(dict.hash), keyMaterial.get(key), data, signature));
  },
  deriveBits(dict, key, length) {
    const peer = publicParameter(dict, key);
    if (peer.algorithm.namedCurve !== key.algorithm.namedCurve) {
      throw createDOMException("The public key is on a different curve.", "InvalidAccessError");
    }
    return truncateBits(nativeResult(native.ecdh(key.algorithm.namedCurve, keyMaterial.get(key), keyMaterial.get(peer))), length);
  },
};

function publicParameter(dict, key) {
  const peer = dict.public;
  if (!isCryptoKey(peer)) throw new TypeError("deriveBits: the 'public' member must be a CryptoKey.");
  if (peer.type !== "public" || peer.algorithm.name !== key.algorithm.name) {
    throw createDOMException(`The 'public' member must be a public ${key.algorithm.name} key.`, "InvalidAccessError");
  }
  return peer;
}

function truncateBits(bits, length) {
  if (length === null || length === undefined) return bits;
  if (length > bits.byteLength * 8) throw operationError(`Cannot derive ${length} bits; at most ${bits.byteLength * 8}.`);
  const bytes = new Uint8Array(bits.slice(0, Math.ceil(length / 8)));
  if (length % 8 !== 0) bytes[bytes.length - 1] &= 0xff << (8 - (length % 8));
  return bytes.buffer;
}

// OKP: Ed25519 and X25519.
const OKP_USAGES = {
  Ed25519: { private: ["sign"], public: ["verify"] },
  X25519: { private: ["deriveKey", "deriveBits"], public: [] },
};

const okp = {
  generate(name, _dict, extractable, usages) {
    const allowed = OKP_USAGES[name];
    usages = checkUsages(usages, [...allowed.private, ...allowed.public], `an ${name} key`);
    const [pkcs8, spki] = nativeResult(native.okpGenerate(name));
    return {
      publicKey: makeKey("public", true, { name }, usages.filter((u) => allowed.public.includes(u)), spki),
      privateKey: makeKey("private", extractable, { name }, usages.filter((u) => allowed.private.includes(u)), pkcs8),
    };
  },
  import(name, format, keyData, _dict, extractable, usages) {
    let imported;
    if (format === "jwk") {
      if (!isObject(keyData)) throw new TypeError("importKey: a jwk key must be an object.");
      const isPrivate = keyData.d !== undefined;
      usages = checkUsages(usages, OKP_USAGES[name][isPrivate ? "private" : "public"], `an ${name} key`);
      checkJwk(keyData, "OKP", usages, extractable, name === "Ed25519" ? "sig" : "enc", undefined);
      if (keyData.crv !== name) throw dataError(`The JWK 'crv' member must be '${name}'.`);
      if (name === "Ed25519" && keyData.alg !== undefined && keyData.alg !== "EdDSA" && keyData.alg !== "Ed25519") {
        throw dataError("The JWK 'alg' member must be 'EdDSA' or 'Ed25519'.");
      }
      imported = nativeResult(native.okpImportJwk(name, base64UrlDecode(keyData.x, "x"), isPrivate ? base64UrlDecode(keyData.d, "d") : undefined));
    } else if (format === "raw" || format === "spki" || format === "pkcs8") {
      usages = checkUsages(usages, OKP_USAGES[name][format === "pkcs8" ? "private" : "public"], `an ${name} key`);
      imported = nativeResult(native.okpImport(name, format, copyBufferSource(keyData, "importKey")));
    } else {
      throw createDOMException(`An ${name} key cannot be imported in '${format}' format.`, "NotSupportedError");
    }
    const [isPrivate, der] = imported;
    return makeKey(isPrivate ? "private" : "public", extractable, { name }, usages, der);
  },
  export(format, key) {
    const isPrivate = key.type === "private";
    if (((format === "spki" || format === "raw") && isPrivate) || (format === "pkcs8" && !isPrivate)) {
      throw createDOMException(`A ${key.type} ${key.algorithm.name} key cannot be exported in '${format}' format.`, "InvalidAccessError");
    }
    const out = nativeResult(native.okpExport(key.algorithm.name, keyMaterial.get(key), isPrivate, format));
    if (format !== "jwk") return out;
    const jwk = jwkBase("OKP", key, key.algorithm.name === "Ed25519" ? "Ed25519" : undefined);
    jwk.crv = key.algorithm.name;
    jwk.x = base64UrlEncode(out[0]);
    if (isPrivate) jwk.d = base64UrlEncode(out[1]);
    return jwk;
  },
  sign(_dict, key, data) {
    return nativeResult(native.ed25519Sign(keyMaterial.get(key), data));
  },
  verify(_dict, key, signature, data) {
    return nativeResult(native.ed25519Verify(keyMaterial.get(key), data, signature));
  },
  deriveBits(dict, key, length) {
    const peer = publicParameter(dict, key);
    return truncateBits(nativeResult(native.x25519(keyMaterial.get(key), keyMaterial.get(peer))), length);
  },
};

// Key derivation: HKDF and PBKDF2 keys are raw secrets that can only derive.
const kdf = {
  import(name, format, keyData, _dict, extractable, usages) {
    if (format !== "raw") throw createDOMException(`A ${name} key can only be imported in 'raw' format.`, "NotSupportedError");
    if (extractable) throw createDOMException(`A ${name} key cannot be extractable.`, "SyntaxError");
    usages = checkUsages(usages, ["deriveKey", "deriveBits"], `a ${name} key`);
    return makeKey("secret", false, { name }, usages, copyBufferSource(keyData, "importKey"));
  },
  deriveBits(dict, key, length) {
    if (length === null || length === undefined) throw operationError(`${key.algorithm.name} needs a length.`);
    const hash = hashName(dict.hash);
    const salt = requiredBytes(dict, "salt", "deriveBits");
    if (key.algorithm.name === "HKDF") {
      return nativeResult(native.hkdf(hash, keyMaterial.get(key), salt, requiredBytes(dict, "info", "deriveBits"), length));
    }
    if (dict.iterations === undefined) throw new TypeError("Pbkdf2Params: the required member 'iterations' is missing.");
    return nativeResult(native.pbkdf2(hash, keyMaterial.get(key), salt, Number(dict.iterations), length));
  },
};

const FAMILIES = {
  HMAC: hmac,
  "AES-CTR": aes,
  "AES-CBC": aes,
  "AES-GCM": aes,
  "AES-KW": aes,
  "RSASSA-PKCS1-v1_5": rsa,
  "RSA-PSS": rsa,
  "RSA-OAEP": rsa,
  ECDSA: ec,
  ECDH: ec,
  Ed25519: okp,
  X25519: okp,
  HKDF: kdf,
  PBKDF2: kdf,
};

function family(name, operation) {
  const f = FAMILIES[name];
  if (f === undefined || f[operation] === undefined) {
    throw createDOMException(`${name} does not support ${operation}.`, "NotSupportedError");
  }
  return f;
}

function randomBytes(length) {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536));
  return bytes.buffer;
}

function usableKey(key, name, usage, where) {
  if (!isCryptoKey(key)) throw new TypeError(`${where}: the key is not of type 'CryptoKey'.`);
  if (key.algorithm.name !== name) {
    throw createDOMException(
      `The requested algorithm ${name} does not match the key's algorithm ${key.algorithm.name}.`,
      "InvalidAccessError",
    );
  }
  if (!key.usages.includes(usage)) {
    throw createDOMException(`The key does not allow the usage '${usage}'.`, "InvalidAccessError");
  }
  return key;
}

function keyFormat(format) {
  format = toDOMString(format);
  if (!["raw", "spki", "pkcs8", "jwk"].includes(format)) {
    throw new TypeError(`'${format}' is not a valid KeyFormat.`);
  }
  return format;
}

function importKeyNow(format, keyData, algorithm, extractable, usages) {
  format = keyFormat(format);
  const [name, dict] = normalizeAlgorithm(algorithm);
  if (format !== "jwk" && isObject(keyData) && !ArrayBufferIsView(keyData) && !isArrayBuffer(keyData)) {
    throw new TypeError("importKey: key data must be a BufferSource for this format.");
  }
  return family(name, "import").import(name, format, keyData, dict, extractable, usages);
}

function exportKeyNow(format, key) {
  format = keyFormat(format);
  if (!isCryptoKey(key)) throw new TypeError("exportKey: the key is not of type 'CryptoKey'.");
  if (!key.extractable) throw createDOMException("The key is not extractable.", "InvalidAccessError");
  return family(key.algorithm.name, "export").export(format, key);
}

// The length of key a derived key of `derivedKeyType` needs, in bits.
function derivedKeyLength(derivedKeyType) {
  const [name, dict] = normalizeAlgorithm(derivedKeyType);
  if (name === "HMAC") return hmac.keyLength(dict);
  if (AES_USAGES[name] !== undefined) return aes.keyLength(dict);
  if (name === "HKDF" || name === "PBKDF2") return null;
  throw createDOMException(`Cannot derive a ${name} key.`, "NotSupportedError");
}

// Every SubtleCrypto method returns a promise and reports bad arguments by rejecting it.
function promised(fn) {
  try {
    return PromiseResolve(fn());
  } catch (error) {
    return PromiseReject(error);
  }
}

class SubtleCrypto {
  #brand = true;

  constructor(key = undefined) {
    if (key !== INTERNAL) illegalConstructor();
  }

  digest(algorithm, data) {
    if (!(#brand in this)) illegalInvocation();
    return promised(() => {
      requireArgs(arguments.length, 2, "Failed to execute 'digest' on 'SubtleCrypto'");
      const hash = hashName(algorithm, "name");
      return native.digest(hash, copyBufferSource(data, "Failed to execute 'digest' on 'SubtleCrypto'"));
    });
  }

  generateKey(algorithm, extractable, keyUsages) {
    if (!(#brand in this)) illegalInvocation();
    return promised(() => {
      requireArgs(arguments.length, 3, "Failed to execute 'generateKey' on 'SubtleCrypto'");
      const [name, dict] = normalizeAlgorithm(algorithm);
      const result = family(name, "generate").generate(name, dict, extractable, keyUsages);
      if (isCryptoKey(result)) return result;
      if (result.privateKey.usages.length === 0) {
        throw createDOMException("Usages cannot be empty when creating a key.", "SyntaxError");
      }
      return result;
    });
  }

  importKey(format, keyData, algorithm, extractable, keyUsages) {
    if (!(#brand in this)) illegalInvocation();
    return promised(() => {
      requireArgs(arguments.length, 5, "Failed to execute 'importKey' on 'SubtleCrypto'");
      return importKeyNow(format, keyData, algorithm, extractable, keyUsages);
    });
  }

  exportKey(format, key) {
    if (!(#brand in this)) illegalInvocation();
    return promised(() => {
      requireArgs(arguments.length, 2, "Failed to execute 'exportKey' on 'SubtleCrypto'");
      return exportKeyNow(format, key);
    });
  }

  sign(algorithm, key, data) {
    if (!(#brand in this)) illegalInvocation();
    return promised(() => {
      const where = "Failed to execute 'sign' on 'SubtleCrypto'";
      requireArgs(arguments.length, 3, where);
      const [name, dict] = normalizeAlgorithm(algorithm);
      const f = family(name, "sign");
      return f.sign(dict, usableKey(key, name, "sign", where), copyBufferSource(data, where));
    });
  }

  verify(algorithm, key, signature, data) {
    if (!(#brand in this)) illegalInvocation();
    return promised(() => {
      const where = "Failed to execute 'verify' on 'SubtleCrypto'";
      requireArgs(arguments.length, 4, where);
      const [name, dict] = normalizeAlgorithm(algorithm);
      const f = family(name, "verify");
      const usable = usableKey(key, name, "verify", where);
      return f.verify(dict, usable, copyBufferSource(signature, where), copyBufferSource(data, where));
    });
  }

  encrypt(algorithm, key, data) {
    if (!(#brand in this)) illegalInvocation();
    return promised(() => {
      const where = "Failed to execute 'encrypt' on 'SubtleCrypto'";
      requireArgs(arguments.length, 3, where);
      const [name, dict] = normalizeAlgorithm(algorithm);
      return family(name, "encrypt").encrypt(dict, usableKey(key, name, "encrypt", where), copyBufferSource(data, where));
    });
  }

  decrypt(algorithm, key, data) {
    if (!(#brand in this)) illegalInvocation();
    return promised(() => {
      const where = "Failed to execute 'decrypt' on 'SubtleCrypto'";
      requireArgs(arguments.length, 3, where);
      const [name, dict] = normalizeAlgorithm(algorithm);
      return family(name, "decrypt").decrypt(dict, usableKey(key, name, "decrypt", where), copyBufferSource(data, where));
    });
  }

  deriveBits(algorithm, baseKey, length = null) {
    if (!(#brand in this)) illegalInvocation();
    return promised(() => {
      const where = "Failed to execute 'deriveBits' on 'SubtleCrypto'";
      requireArgs(arguments.length, 2, where);
      const [name, dict] = normalizeAlgorithm(algorithm);
      const f = family(name, "deriveBits");
      const bits = length === null || length === undefined ? null : Number(length) >>> 0;
      return f.deriveBits(dict, usableKey(baseKey, name, "deriveBits", where), bits);
    });
  }

  deriveKey(algorithm, baseKey, derivedKeyType, extractable, keyUsages) {
    if (!(#brand in this)) illegalInvocation();
    return promised(() => {
      const where = "Failed to execute 'deriveKey' on 'SubtleCrypto'";
      requireArgs(arguments.length, 5, where);
      const [name, dict] = normalizeAlgorithm(algorithm);
      const f = family(name, "deriveBits");
      const length = derivedKeyLength(derivedKeyType);
      const bits = f.deriveBits(dict, usableKey(baseKey, name, "deriveKey", where), length);
      return importKeyNow("raw", bits, derivedKeyType, extractable, keyUsages);
    });
  }

  wrapKey(format, key, wrappingKey, wrapAlgorithm) {
    if (!(#brand in this)) illegalInvocation();
    return promised(() => {
      const where = "Failed to execute 'wrapKey' on 'SubtleCrypto'";
      requireArgs(arguments.length, 4, where);
      const [name, dict] = normalizeAlgorithm(wrapAlgorithm);
      const wrapper = usableKey(wrappingKey, name, "wrapKey", where);
      const exported = exportKeyNow(format, key);
      const bytes = isArrayBuffer(exported) ? exported : native.encode(JSONStringify(exported)).buffer;
      if (name === "AES-KW") return nativeResult(native.aesKw(true, keyMaterial.get(wrapper), bytes));
      return family(name, "encrypt").encrypt(dict, wrapper, bytes);
    });
  }

  unwrapKey(format, wrappedKey, unwrappingKey, unwrapAlgorithm, unwrappedKeyAlgorithm, extractable, keyUsages) {
    if (!(#brand in this)) illegalInvocation();
    return promised(() => {
      const where = "Failed to execute 'unwrapKey' on 'SubtleCrypto'";
      requireArgs(arguments.length, 7, where);
      const [name, dict] = normalizeAlgorithm(unwrapAlgorithm);
      const unwrapper = usableKey(unwrappingKey, name, "unwrapKey", where);
      const data = copyBufferSource(wrappedKey, where);
      const bytes = name === "AES-KW"
        ? nativeResult(native.aesKw(false, keyMaterial.get(unwrapper), data))
        : family(name, "decrypt").decrypt(dict, unwrapper, data);
      format = keyFormat(format);
      let keyData = bytes;
      if (format === "jwk") {
        try {
          keyData = JSONParse(new TextDecoder().decode(bytes));
        } catch {
          throw dataError("The unwrapped key is not a JSON Web Key.");
        }
      }
      return importKeyNow(format, keyData, unwrappedKeyAlgorithm, extractable, keyUsages);
    });
  }

  // workerd's extension: compare two equal-length buffers in time that depends only on length.
  timingSafeEqual(a, b) {
    if (!(#brand in this)) illegalInvocation();
    const where = "Failed to execute 'timingSafeEqual' on 'SubtleCrypto'";
    requireArgs(arguments.length, 2, where);
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
finishInterface(SubtleCrypto);
const subtle = new SubtleCrypto(INTERNAL);
