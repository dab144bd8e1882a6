//! WebCrypto (`crypto.subtle`): digest and HMAC, checked against the FIPS 180 and RFC 4231 test
//! vectors, and the W3C spec's errors.

use crate::common::harness;

const HEX: &str = "const hex = (b) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, '0')).join('');\n";

#[test]
fn digest_matches_the_fips_vectors_for_every_sha() {
    let h = harness();
    let out = h.run(&format!(
        "{HEX}
        const abc = new TextEncoder().encode('abc');
        const out = {{}};
        for (const name of ['SHA-1', 'sha-256', {{ name: 'SHA-384' }}, 'SHA-512']) {{
          out[name.name ?? name] = hex(await crypto.subtle.digest(name, abc));
        }}
        // A view's own bytes, not its whole buffer; and a copy taken at call time.
        const big = new Uint8Array([0, 97, 98, 99, 0]);
        const promise = crypto.subtle.digest('SHA-256', big.subarray(1, 4));
        big[1] = 0;
        out.view = hex(await promise) === out['sha-256'];
        return [out['SHA-1'], out['sha-256'], out['SHA-384'], out['SHA-512'], out.view].join(' ');"
    ));
    let value: Vec<&str> = out.trim_matches('"').split(' ').collect();
    assert_eq!(value[0], "a9993e364706816aba3e25717850c26c9cd0d89d");
    assert_eq!(
        value[1],
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        value[2],
        "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"
    );
    assert_eq!(
        value[3],
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
    );
    assert_eq!(value[4], "true");
}

#[test]
fn hmac_sign_and_verify_match_rfc_4231() {
    let h = harness();
    let out = h.run(&format!(
        "{HEX}
        const enc = new TextEncoder();
        const key = await crypto.subtle.importKey('raw', enc.encode('Jefe'), {{ name: 'HMAC', hash: 'SHA-256' }}, false, ['sign', 'verify']);
        const data = enc.encode('what do ya want for nothing?');
        const mac = await crypto.subtle.sign('HMAC', key, data);
        const good = await crypto.subtle.verify({{ name: 'hmac' }}, key, mac, data);
        const tampered = new Uint8Array(mac.slice(0)); tampered[0] ^= 1;
        const bad = await crypto.subtle.verify('HMAC', key, tampered, data);
        const short = await crypto.subtle.verify('HMAC', key, mac.slice(0, 16), data);
        return [hex(mac), good, bad, short, key.type, key.extractable, key.algorithm.name,
                key.algorithm.hash.name, key.algorithm.length, key.usages, String(key)];"
    ));
    assert_eq!(
        out,
        r#"["5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",true,false,false,"secret",false,"HMAC","SHA-256",32,["sign","verify"],"[object CryptoKey]"]"#
    );
}

#[test]
fn hmac_keys_generate_export_and_round_trip_as_jwk() {
    let h = harness();
    let out = h.run(
        "const key = await crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-512' }, true, ['sign']);
        const raw = await crypto.subtle.exportKey('raw', key);
        const jwk = await crypto.subtle.exportKey('jwk', key);
        const again = await crypto.subtle.importKey('jwk', jwk, { name: 'HMAC', hash: 'SHA-512' }, true, ['sign']);
        const raw2 = await crypto.subtle.exportKey('raw', again);
        const data = new Uint8Array([1, 2, 3]);
        const a = new Uint8Array(await crypto.subtle.sign('HMAC', key, data));
        const b = new Uint8Array(await crypto.subtle.sign('HMAC', again, data));
        return [raw.byteLength, key.algorithm.length, jwk.kty, jwk.alg, jwk.ext, jwk.key_ops,
                a.length, a.every((x, i) => x === b[i]),
                new Uint8Array(raw).every((x, i) => x === new Uint8Array(raw2)[i])];",
    );
    assert_eq!(
        out,
        r#"[128,1024,"oct","HS512",true,["sign"],64,true,true]"#
    );
}

#[test]
fn bad_arguments_reject_with_the_spec_exceptions() {
    let h = harness();
    let out = h.run(
        "const name = async (p) => { try { await p; return 'resolved'; } catch (e) { return e.name; } };
        const enc = new TextEncoder();
        const key = await crypto.subtle.importKey('raw', enc.encode('k'), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
        return [
          await name(crypto.subtle.digest('MD5', enc.encode('x'))),
          await name(crypto.subtle.digest('SHA-256', 'not bytes')),
          await name(crypto.subtle.importKey('raw', enc.encode('k'), { name: 'HMAC', hash: 'SHA-256' }, false, ['encrypt'])),
          await name(crypto.subtle.importKey('raw', enc.encode('k'), { name: 'HMAC', hash: 'SHA-256' }, false, [])),
          await name(crypto.subtle.importKey('raw', new Uint8Array(0), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])),
          await name(crypto.subtle.importKey('raw', enc.encode('k'), { name: 'HMAC' }, false, ['sign'])),
          await name(crypto.subtle.sign('HMAC', key, enc.encode('x'))),
          await name(crypto.subtle.exportKey('raw', key)),
          // An AES-GCM operation with an HMAC key: the algorithms do not match.
          await name(crypto.subtle.encrypt({ name: 'AES-GCM' }, key, enc.encode('x'))),
          await name(crypto.subtle.importKey('jwk', { kty: 'oct', k: 'a2V5', alg: 'HS512' }, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])),
          typeof crypto.subtle.digest('SHA-1', new Uint8Array(0)).then,
          await name(crypto.subtle.importKey('raw', enc.encode('k'), { name: 'HMAC', hash: 'SHA-256', length: 0 }, false, ['sign'])),
          await name(crypto.subtle.importKey('jwk', { kty: 'oct', k: 'a2V5', key_ops: ['verify'] }, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])),
          await name(crypto.subtle.importKey('jwk', { kty: 'oct', k: 'a' }, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])),
          crypto.subtle.timingSafeEqual(enc.encode('abc'), enc.encode('abc')),
          crypto.subtle.timingSafeEqual(enc.encode('abc'), enc.encode('abd')),
        ];",
    );
    assert_eq!(
        out,
        r#"["NotSupportedError","TypeError","SyntaxError","SyntaxError","DataError","TypeError","InvalidAccessError","InvalidAccessError","InvalidAccessError","DataError","function","DataError","DataError","DataError",true,false]"#
    );
    let err = h.throws("new CryptoKey()");
    assert!(err.starts_with("TypeError"), "{err}");
}

const H: &str = "const hex = (b) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, '0')).join('');\nconst unhex = (s) => new Uint8Array(s.match(/../g).map((h) => parseInt(h, 16)));\nconst enc = new TextEncoder();\nconst s = crypto.subtle;\n";

#[test]
fn aes_matches_the_nist_and_rfc_vectors() {
    let h = harness();
    let out = h.run(&format!(
        "{H}
        const zero = await s.importKey('raw', new Uint8Array(16), 'AES-GCM', true, ['encrypt', 'decrypt']);
        const iv = new Uint8Array(12);
        const gcmEmpty = hex(await s.encrypt({{ name: 'AES-GCM', iv }}, zero, new Uint8Array(0)));
        const gcmBlock = hex(await s.encrypt({{ name: 'AES-GCM', iv }}, zero, new Uint8Array(16)));
        const gcmBack = hex(await s.decrypt({{ name: 'AES-GCM', iv }}, zero, unhex(gcmBlock)));
        const tampered = unhex(gcmBlock); tampered[0] ^= 1;
        const gcmBad = await s.decrypt({{ name: 'AES-GCM', iv }}, zero, tampered).then(() => 'ok', (e) => e.name);

        const k = unhex('2b7e151628aed2a6abf7158809cf4f3c');
        const block = unhex('6bc1bee22e409f96e93d7e117393172a');
        const cbcKey = await s.importKey('raw', k, 'AES-CBC', false, ['encrypt', 'decrypt']);
        const cbc = await s.encrypt({{ name: 'AES-CBC', iv: unhex('000102030405060708090a0b0c0d0e0f') }}, cbcKey, block);
        const cbcBack = hex(await s.decrypt({{ name: 'AES-CBC', iv: unhex('000102030405060708090a0b0c0d0e0f') }}, cbcKey, cbc));
        const ctrKey = await s.importKey('raw', k, 'AES-CTR', false, ['encrypt']);
        const ctr = hex(await s.encrypt({{ name: 'AES-CTR', counter: unhex('f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff'), length: 64 }}, ctrKey, block));

        const kek = await s.importKey('raw', unhex('000102030405060708090a0b0c0d0e0f'), 'AES-KW', false, ['wrapKey', 'unwrapKey']);
        const inner = await s.importKey('raw', unhex('00112233445566778899aabbccddeeff'), 'AES-GCM', true, ['encrypt']);
        const wrapped = hex(await s.wrapKey('raw', inner, kek, 'AES-KW'));
        const unwrapped = await s.unwrapKey('raw', unhex(wrapped), kek, 'AES-KW', 'AES-GCM', true, ['encrypt']);
        return [gcmEmpty, gcmBlock, gcmBack, gcmBad, hex(cbc).slice(0, 32), hex(cbc).length, cbcBack, ctr, wrapped,
                hex(await s.exportKey('raw', unwrapped)), unwrapped.algorithm.length].join(' ');"
    ));
    assert_eq!(
        out.trim_matches('"'),
        "58e2fccefa7e3061367f1d57a4e7455a 0388dace60b6a392f328c2b971b2fe78ab6e47d42cec13bdf53a67b21257bddf 00000000000000000000000000000000 OperationError 7649abac8119b246cee98e9b12e9197d 64 6bc1bee22e409f96e93d7e117393172a 874d6191b620e3261bef6864990db6ce 1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5 00112233445566778899aabbccddeeff 128"
    );
}

#[test]
fn hkdf_and_pbkdf2_match_their_rfc_vectors_and_derive_keys() {
    let h = harness();
    let out = h.run(&format!(
        "{H}
        const ikm = await s.importKey('raw', new Uint8Array(22).fill(0x0b), 'HKDF', false, ['deriveBits']);
        const okm = hex(await s.deriveBits({{ name: 'HKDF', hash: 'SHA-256', salt: unhex('000102030405060708090a0b0c'), info: unhex('f0f1f2f3f4f5f6f7f8f9') }}, ikm, 42 * 8));
        const password = await s.importKey('raw', enc.encode('password'), 'PBKDF2', false, ['deriveBits', 'deriveKey']);
        const p1 = hex(await s.deriveBits({{ name: 'PBKDF2', hash: 'SHA-1', salt: enc.encode('salt'), iterations: 1 }}, password, 160));
        const p2 = hex(await s.deriveBits({{ name: 'PBKDF2', hash: 'SHA-1', salt: enc.encode('salt'), iterations: 2 }}, password, 160));
        const aesKey = await s.deriveKey({{ name: 'PBKDF2', hash: 'SHA-256', salt: enc.encode('salt'), iterations: 1000 }}, password, {{ name: 'AES-GCM', length: 256 }}, false, ['encrypt', 'decrypt']);
        const iv = new Uint8Array(12);
        const back = new TextDecoder().decode(await s.decrypt({{ name: 'AES-GCM', iv }}, aesKey, await s.encrypt({{ name: 'AES-GCM', iv }}, aesKey, enc.encode('secret'))));
        const extractable = await s.importKey('raw', enc.encode('x'), 'PBKDF2', true, ['deriveBits']).then(() => 'ok', (e) => e.name);
        return [okm, p1, p2, aesKey.algorithm.length, back, extractable].join(' ');"
    ));
    assert_eq!(
        out.trim_matches('"'),
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865 0c60c80f961f0e71f3a9b524af6012062fe037a6 ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957 256 secret SyntaxError"
    );
}

#[test]
fn ed25519_and_x25519_match_rfc_8032_and_7748() {
    let h = harness();
    let out = h.run(&format!(
        "{H}
        const pkcs8 = (prefix, key) => {{ const out = new Uint8Array(48); out.set(unhex(prefix)); out.set(unhex(key), 16); return out; }};
        const edPrivate = await s.importKey('pkcs8', pkcs8('302e020100300506032b657004220420', '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'), 'Ed25519', true, ['sign']);
        const signature = hex(await s.sign('Ed25519', edPrivate, new Uint8Array(0)));
        const jwk = await s.exportKey('jwk', edPrivate);
        const edPublic = await s.importKey('jwk', {{ kty: 'OKP', crv: 'Ed25519', x: jwk.x }}, 'Ed25519', true, ['verify']);
        const good = await s.verify('Ed25519', edPublic, unhex(signature), new Uint8Array(0));
        const bad = await s.verify('Ed25519', edPublic, unhex(signature), new Uint8Array(1));
        const raw = hex(await s.exportKey('raw', edPublic));

        const alice = await s.importKey('pkcs8', pkcs8('302e020100300506032b656e04220420', '77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'), 'X25519', false, ['deriveBits']);
        const bob = await s.importKey('raw', unhex('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f'), 'X25519', false, []);
        const shared = hex(await s.deriveBits({{ name: 'X25519', public: bob }}, alice, 256));
        const pair = await s.generateKey('Ed25519', false, ['sign', 'verify']);
        const roundTrip = await s.verify('Ed25519', pair.publicKey, await s.sign('Ed25519', pair.privateKey, enc.encode('m')), enc.encode('m'));
        return [signature, good, bad, raw, jwk.crv, shared, roundTrip, pair.privateKey.extractable, pair.publicKey.extractable].join(' ');"
    ));
    assert_eq!(
        out.trim_matches('"'),
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b true false d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a Ed25519 4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742 true false true"
    );
}

#[test]
fn ecdsa_and_ecdh_round_trip_through_every_key_format() {
    let h = harness();
    let out = h.run(&format!(
        "{H}
        const results = [];
        for (const namedCurve of ['P-256', 'P-384']) {{
          const pair = await s.generateKey({{ name: 'ECDSA', namedCurve }}, true, ['sign', 'verify']);
          const hash = namedCurve === 'P-256' ? 'SHA-256' : 'SHA-384';
          const signature = await s.sign({{ name: 'ECDSA', hash }}, pair.privateKey, enc.encode('message'));
          const jwk = await s.exportKey('jwk', pair.publicKey);
          const raw = new Uint8Array(await s.exportKey('raw', pair.publicKey));
          const spki = await s.exportKey('spki', pair.publicKey);
          const pkcs8 = await s.exportKey('pkcs8', pair.privateKey);
          const fromJwk = await s.importKey('jwk', jwk, {{ name: 'ECDSA', namedCurve }}, true, ['verify']);
          const fromRaw = await s.importKey('raw', raw, {{ name: 'ECDSA', namedCurve }}, true, ['verify']);
          const fromSpki = await s.importKey('spki', spki, {{ name: 'ECDSA', namedCurve }}, true, ['verify']);
          const signer = await s.importKey('pkcs8', pkcs8, {{ name: 'ECDSA', namedCurve }}, false, ['sign']);
          const second = await s.sign({{ name: 'ECDSA', hash }}, signer, enc.encode('message'));
          const checks = await Promise.all([fromJwk, fromRaw, fromSpki].map((k) => s.verify({{ name: 'ECDSA', hash }}, k, signature, enc.encode('message'))));
          const tampered = await s.verify({{ name: 'ECDSA', hash }}, fromJwk, signature, enc.encode('messagE'));
          const secondOk = await s.verify({{ name: 'ECDSA', hash }}, fromJwk, second, enc.encode('message'));
          const a = await s.generateKey({{ name: 'ECDH', namedCurve }}, false, ['deriveBits']);
          const b = await s.generateKey({{ name: 'ECDH', namedCurve }}, false, ['deriveBits']);
          const ab = hex(await s.deriveBits({{ name: 'ECDH', public: b.publicKey }}, a.privateKey, null));
          const ba = hex(await s.deriveBits({{ name: 'ECDH', public: a.publicKey }}, b.privateKey, null));
          results.push([namedCurve, new Uint8Array(signature).length, raw[0], raw.length, jwk.kty, jwk.crv, jwk.alg, checks.every(Boolean), tampered, secondOk, ab === ba, ab.length / 2]);
        }}
        const wrongCurve = await s.generateKey({{ name: 'ECDSA', namedCurve: 'P-521' }}, true, ['sign']).then(() => 'ok', (e) => e.name);
        return [results, wrongCurve];"
    ));
    assert_eq!(
        out,
        r#"[[["P-256",64,4,65,"EC","P-256","ES256",true,false,true,true,32],["P-384",96,4,97,"EC","P-384","ES384",true,false,true,true,48]],"NotSupportedError"]"#
    );
}

#[test]
fn rsa_signatures_and_oaep_round_trip_through_every_key_format() {
    let h = harness();
    let out = h.run(&format!(
        "{H}
        const publicExponent = new Uint8Array([1, 0, 1]);
        const pkcs = await s.generateKey({{ name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent, hash: 'SHA-256' }}, true, ['sign', 'verify']);
        const signature = await s.sign('RSASSA-PKCS1-v1_5', pkcs.privateKey, enc.encode('jwt payload'));
        const jwk = await s.exportKey('jwk', pkcs.publicKey);
        const privateJwk = await s.exportKey('jwk', pkcs.privateKey);
        const fromJwk = await s.importKey('jwk', jwk, {{ name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }}, false, ['verify']);
        const fromSpki = await s.importKey('spki', await s.exportKey('spki', pkcs.publicKey), {{ name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }}, false, ['verify']);
        const signerFromJwk = await s.importKey('jwk', privateJwk, {{ name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }}, false, ['sign']);
        const again = await s.sign('RSASSA-PKCS1-v1_5', signerFromJwk, enc.encode('jwt payload'));
        const pkcsChecks = [
          await s.verify('RSASSA-PKCS1-v1_5', fromJwk, signature, enc.encode('jwt payload')),
          await s.verify('RSASSA-PKCS1-v1_5', fromSpki, signature, enc.encode('jwt payload')),
          await s.verify('RSASSA-PKCS1-v1_5', fromJwk, signature, enc.encode('jwt paylaod')),
          hex(again) === hex(signature),
        ];
        const pss = await s.importKey('pkcs8', await s.exportKey('pkcs8', pkcs.privateKey), {{ name: 'RSA-PSS', hash: 'SHA-256' }}, false, ['sign']);
        const pssPublic = await s.importKey('jwk', {{ ...jwk, alg: 'PS256', key_ops: ['verify'] }}, {{ name: 'RSA-PSS', hash: 'SHA-256' }}, false, ['verify']);
        const pssSignature = await s.sign({{ name: 'RSA-PSS', saltLength: 32 }}, pss, enc.encode('m'));
        const pssOk = await s.verify({{ name: 'RSA-PSS', saltLength: 32 }}, pssPublic, pssSignature, enc.encode('m'));
        const oaep = await s.generateKey({{ name: 'RSA-OAEP', modulusLength: 2048, publicExponent, hash: 'SHA-256' }}, false, ['encrypt', 'decrypt']);
        const ciphertext = await s.encrypt({{ name: 'RSA-OAEP' }}, oaep.publicKey, enc.encode('short secret'));
        const plaintext = new TextDecoder().decode(await s.decrypt({{ name: 'RSA-OAEP' }}, oaep.privateKey, ciphertext));
        const badAlg = await s.importKey('jwk', jwk, {{ name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-512' }}, false, ['verify']).then(() => 'ok', (e) => e.name);
        return [pkcsChecks, pkcs.publicKey.algorithm.modulusLength, [...pkcs.publicKey.algorithm.publicExponent], pkcs.publicKey.algorithm.hash.name,
                jwk.kty, jwk.alg, jwk.e, Object.keys(privateJwk).filter((k) => ['d', 'p', 'q', 'dp', 'dq', 'qi'].includes(k)).length,
                new Uint8Array(signature).length, pssOk, new Uint8Array(ciphertext).length, plaintext, badAlg];"
    ));
    assert_eq!(
        out,
        r#"[[true,true,false,true],2048,[1,0,1],"SHA-256","RSA","RS256","AQAB",6,256,true,256,"short secret","DataError"]"#
    );
}

#[test]
fn work_a_key_or_derivation_could_blow_up_is_refused_up_front() {
    let h = harness();
    let out = h.run(&format!(
        "{H}
        const failure = async (p) => {{ try {{ await p; return 'resolved'; }} catch (e) {{ return `${{e.name}}: ${{e.message}}`; }} }};
        const password = await s.importKey('raw', enc.encode('password'), 'PBKDF2', false, ['deriveBits']);
        const ikm = await s.importKey('raw', enc.encode('secret'), 'HKDF', false, ['deriveBits']);
        const rsa = (publicExponent, modulusLength = 1024) => s.generateKey({{ name: 'RSASSA-PKCS1-v1_5', modulusLength, publicExponent, hash: 'SHA-256' }}, false, ['sign']);
        const pss = await s.generateKey({{ name: 'RSA-PSS', modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }}, false, ['sign']);
        return [
          await failure(s.deriveBits({{ name: 'PBKDF2', hash: 'SHA-256', salt: enc.encode('salt'), iterations: 100001 }}, password, 256)),
          (await s.deriveBits({{ name: 'PBKDF2', hash: 'SHA-256', salt: enc.encode('salt'), iterations: 2 }}, password, 256)).byteLength.toString(),
          await failure(s.deriveBits({{ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: new Uint8Array(0) }}, ikm, 255 * 256 + 8)),
          (await s.deriveBits({{ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: new Uint8Array(0) }}, ikm, 255 * 256)).byteLength.toString(),
          await failure(rsa(new Uint8Array([2]))),
          await failure(rsa(new Uint8Array([1, 0, 1]), 8192)),
          await failure(s.sign({{ name: 'RSA-PSS', saltLength: 1 << 30 }}, pss.privateKey, enc.encode('x'))),
        ];"
    ));
    let value: Vec<String> = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert!(
        value[0].starts_with("NotSupportedError: PBKDF2 with more than 100000 iterations"),
        "{value:?}"
    );
    assert_eq!(value[1], "32");
    assert!(
        value[2].starts_with("OperationError: HKDF with SHA-256 derives at most"),
        "{value:?}"
    );
    assert_eq!(value[3], "8160");
    assert!(
        value[4].starts_with("OperationError: RSA publicExponent must be 65537"),
        "{value:?}"
    );
    assert!(
        value[5].starts_with("OperationError: RSA modulusLength 8192 is not supported"),
        "{value:?}"
    );
    assert!(
        value[6].starts_with("OperationError: RSA-PSS saltLength"),
        "{value:?}"
    );
}
