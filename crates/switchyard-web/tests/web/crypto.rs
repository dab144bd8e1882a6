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
        r#"["NotSupportedError","TypeError","SyntaxError","SyntaxError","DataError","TypeError","InvalidAccessError","InvalidAccessError","NotSupportedError","DataError","function","DataError","DataError","DataError",true,false]"#
    );
    let err = h.throws("new CryptoKey()");
    assert!(err.starts_with("TypeError"), "{err}");
}
