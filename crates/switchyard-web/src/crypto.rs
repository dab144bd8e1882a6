//! The cryptography behind `crypto.subtle`: RustCrypto's implementations, called by js/crypto.js,
//! which does the Web Crypto API's argument checking, key objects and usages.
//!
//! Keys cross as bytes in one canonical form per kind: secret keys raw, private keys PKCS #8 DER,
//! public keys SubjectPublicKeyInfo DER. A failure comes back as a string `"<DOMException name>:
//! <message>"`, which crypto.js turns into the DOMException the spec names.

use rand_core::OsRng;
use rquickjs::{Array, ArrayBuffer, Ctx, Result, Value};

use crate::natives::set_fn;

type Outcome<T> = std::result::Result<T, (&'static str, String)>;

fn data_error<T>(message: impl Into<String>) -> Outcome<T> {
    Err(("DataError", message.into()))
}

fn operation_error<T>(message: impl Into<String>) -> Outcome<T> {
    Err(("OperationError", message.into()))
}

fn not_supported<T>(message: impl Into<String>) -> Outcome<T> {
    Err(("NotSupportedError", message.into()))
}

/// A whole ArrayBuffer's bytes (crypto.js passes fresh copies).
fn bytes_of<'js>(ctx: &Ctx<'js>, value: &Value<'js>) -> Vec<u8> {
    let len = ArrayBuffer::from_value(value.clone()).map_or(0, |buffer| buffer.len());
    crate::body::with_buffer(ctx, value, 0, len, <[u8]>::to_vec).unwrap_or_default()
}

fn buffer<'js>(ctx: &Ctx<'js>, bytes: Vec<u8>) -> Result<Value<'js>> {
    Ok(ArrayBuffer::new(ctx.clone(), bytes)?.into_value())
}

/// The JS value for an outcome: the value, or `"Name: message"`.
fn finish<'js>(ctx: &Ctx<'js>, outcome: Outcome<Value<'js>>) -> Result<Value<'js>> {
    match outcome {
        Ok(value) => Ok(value),
        Err((name, message)) => Ok(rquickjs::String::from_str(
            ctx.clone(),
            &format!("{name}: {message}"),
        )?
        .into_value()),
    }
}

fn array<'js>(ctx: &Ctx<'js>, items: Vec<Value<'js>>) -> Result<Value<'js>> {
    let out = Array::new(ctx.clone())?;
    for (i, item) in items.into_iter().enumerate() {
        out.set(i, item)?;
    }
    Ok(out.into_value())
}

macro_rules! with_hash {
    ($hash:expr, $h:ident => $body:expr) => {
        match $hash {
            "SHA-1" => {
                type $h = sha1::Sha1;
                $body
            }
            "SHA-256" => {
                type $h = sha2::Sha256;
                $body
            }
            "SHA-384" => {
                type $h = sha2::Sha384;
                $body
            }
            "SHA-512" => {
                type $h = sha2::Sha512;
                $body
            }
            other => not_supported(format!("unsupported hash {other}")),
        }
    };
}

// --- ECDSA / ECDH on P-256 and P-384 ---------------------------------------------------------

macro_rules! with_curve {
    ($curve:expr, $c:ident => $body:expr) => {
        match $curve {
            "P-256" => {
                use p256 as $c;
                $body
            }
            "P-384" => {
                use p384 as $c;
                $body
            }
            other => not_supported(format!("unsupported named curve {other}")),
        }
    };
}

/// (is_private, der) from raw (public point), spki or pkcs8.
fn ec_import(curve: &str, format: &str, data: &[u8]) -> Outcome<(bool, Vec<u8>)> {
    use p256::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
    with_curve!(curve, c => {
        match format {
            "raw" => {
                let key = c::PublicKey::from_sec1_bytes(data)
                    .or_else(|_| data_error(format!("not a {curve} public key point")))?;
                let der = key.to_public_key_der().or_else(|e| data_error(e.to_string()))?;
                Ok((false, der.as_bytes().to_vec()))
            }
            "spki" => {
                let key = c::PublicKey::from_public_key_der(data)
                    .or_else(|e| data_error(format!("not a {curve} SubjectPublicKeyInfo: {e}")))?;
                let der = key.to_public_key_der().or_else(|e| data_error(e.to_string()))?;
                Ok((false, der.as_bytes().to_vec()))
            }
            "pkcs8" => {
                let key = c::SecretKey::from_pkcs8_der(data)
                    .or_else(|e| data_error(format!("not a {curve} PKCS #8 private key: {e}")))?;
                let der = key.to_pkcs8_der().or_else(|e| data_error(e.to_string()))?;
                Ok((true, der.as_bytes().to_vec()))
            }
            other => not_supported(format!("an EC key cannot be imported as {other}")),
        }
    })
}

fn ec_import_jwk(curve: &str, x: &[u8], y: &[u8], d: Option<&[u8]>) -> Outcome<(bool, Vec<u8>)> {
    use p256::pkcs8::{EncodePrivateKey, EncodePublicKey};
    with_curve!(curve, c => {
        let mut point = vec![4u8];
        point.extend_from_slice(x);
        point.extend_from_slice(y);
        let public = c::PublicKey::from_sec1_bytes(&point)
            .or_else(|_| data_error(format!("the JWK's x and y are not a {curve} point")))?;
        match d {
            None => {
                let der = public.to_public_key_der().or_else(|e| data_error(e.to_string()))?;
                Ok((false, der.as_bytes().to_vec()))
            }
            Some(d) => {
                let secret = c::SecretKey::from_slice(d)
                    .or_else(|_| data_error(format!("the JWK's d is not a {curve} private key")))?;
                if secret.public_key() != public {
                    return data_error("the JWK's d does not match its x and y");
                }
                let der = secret.to_pkcs8_der().or_else(|e| data_error(e.to_string()))?;
                Ok((true, der.as_bytes().to_vec()))
            }
        }
    })
}

/// raw (public point), spki, pkcs8, or jwk as [x, y] / [x, y, d].
fn ec_export<'js>(
    ctx: &Ctx<'js>,
    curve: &str,
    der: &[u8],
    private: bool,
    format: &str,
) -> Result<Value<'js>> {
    use p256::elliptic_curve::sec1::ToEncodedPoint;
    use p256::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePublicKey};
    let outcome: Outcome<Value<'js>> = (|| {
        with_curve!(curve, c => {
            let (public, secret) = if private {
                let secret = c::SecretKey::from_pkcs8_der(der).or_else(|e| data_error(e.to_string()))?;
                (secret.public_key(), Some(secret))
            } else {
                (c::PublicKey::from_public_key_der(der).or_else(|e| data_error(e.to_string()))?, None)
            };
            let point = public.to_encoded_point(false);
            let done = |r: Result<Value<'js>>| r.or_else(|e| operation_error(e.to_string()));
            match format {
                "raw" => done(buffer(ctx, point.as_bytes().to_vec())),
                "spki" => {
                    let der = public.to_public_key_der().or_else(|e| operation_error(e.to_string()))?;
                    done(buffer(ctx, der.as_bytes().to_vec()))
                }
                "pkcs8" => done(buffer(ctx, der.to_vec())),
                "jwk" => {
                    let (Some(x), Some(y)) = (point.x(), point.y()) else {
                        return operation_error("the point has no coordinates");
                    };
                    let mut items = vec![
                        done(buffer(ctx, x.to_vec()))?,
                        done(buffer(ctx, y.to_vec()))?,
                    ];
                    if let Some(secret) = secret {
                        items.push(done(buffer(ctx, secret.to_bytes().to_vec()))?);
                    }
                    done(array(ctx, items))
                }
                other => not_supported(format!("an EC key cannot be exported as {other}")),
            }
        })
    })();
    finish(ctx, outcome)
}

fn ec_generate(curve: &str) -> Outcome<(Vec<u8>, Vec<u8>)> {
    use p256::pkcs8::{EncodePrivateKey, EncodePublicKey};
    with_curve!(curve, c => {
        let secret = c::SecretKey::random(&mut OsRng);
        let pkcs8 = secret.to_pkcs8_der().or_else(|e| operation_error(e.to_string()))?;
        let spki = secret.public_key().to_public_key_der().or_else(|e| operation_error(e.to_string()))?;
        Ok((pkcs8.as_bytes().to_vec(), spki.as_bytes().to_vec()))
    })
}

fn digest_of(hash: &str, data: &[u8]) -> Outcome<Vec<u8>> {
    use sha2::Digest;
    with_hash!(hash, H => Ok(H::digest(data).to_vec()))
}

fn ecdsa_sign(curve: &str, hash: &str, der: &[u8], data: &[u8]) -> Outcome<Vec<u8>> {
    use p256::ecdsa::signature::hazmat::PrehashSigner;
    use p256::pkcs8::DecodePrivateKey;
    let digest = digest_of(hash, data)?;
    with_curve!(curve, c => {
        let key = c::ecdsa::SigningKey::from_pkcs8_der(der).or_else(|e| operation_error(e.to_string()))?;
        let signature: c::ecdsa::Signature = key
            .sign_prehash(&digest)
            .or_else(|e| operation_error(e.to_string()))?;
        Ok(signature.to_bytes().to_vec())
    })
}

fn ecdsa_verify(
    curve: &str,
    hash: &str,
    der: &[u8],
    data: &[u8],
    signature: &[u8],
) -> Outcome<bool> {
    use p256::ecdsa::signature::hazmat::PrehashVerifier;
    use p256::pkcs8::DecodePublicKey;
    let digest = digest_of(hash, data)?;
    with_curve!(curve, c => {
        let key = c::ecdsa::VerifyingKey::from_public_key_der(der).or_else(|e| operation_error(e.to_string()))?;
        let Ok(signature) = c::ecdsa::Signature::from_slice(signature) else {
            return Ok(false);
        };
        Ok(key.verify_prehash(&digest, &signature).is_ok())
    })
}

fn ecdh(curve: &str, private: &[u8], public: &[u8]) -> Outcome<Vec<u8>> {
    use p256::pkcs8::{DecodePrivateKey, DecodePublicKey};
    with_curve!(curve, c => {
        let secret = c::SecretKey::from_pkcs8_der(private).or_else(|e| operation_error(e.to_string()))?;
        let peer = c::PublicKey::from_public_key_der(public).or_else(|e| operation_error(e.to_string()))?;
        let shared = c::ecdh::diffie_hellman(secret.to_nonzero_scalar(), peer.as_affine());
        Ok(shared.raw_secret_bytes().to_vec())
    })
}

// --- Ed25519 and X25519: fixed DER around 32-byte keys (RFC 8410) ----------------------------

fn okp_prefixes(name: &str) -> Outcome<(&'static [u8], &'static [u8])> {
    // PKCS #8 v1 OneAsymmetricKey and SubjectPublicKeyInfo headers for the 32-byte key.
    match name {
        "Ed25519" => Ok((
            &[
                0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22,
                0x04, 0x20,
            ],
            &[
                0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
            ],
        )),
        "X25519" => Ok((
            &[
                0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22,
                0x04, 0x20,
            ],
            &[
                0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00,
            ],
        )),
        other => not_supported(format!("unsupported algorithm {other}")),
    }
}

fn okp_wrap(prefix: &[u8], key: &[u8]) -> Vec<u8> {
    let mut out = prefix.to_vec();
    out.extend_from_slice(key);
    out
}

/// The 32-byte key inside a DER of the given prefix.
fn okp_unwrap<'a>(prefix: &[u8], der: &'a [u8], what: &str) -> Outcome<&'a [u8]> {
    match der.strip_prefix(prefix) {
        Some(key) if key.len() == 32 => Ok(key),
        _ => data_error(format!("not a {what}")),
    }
}

fn okp_public_of(name: &str, secret: &[u8; 32]) -> Outcome<[u8; 32]> {
    match name {
        "Ed25519" => Ok(ed25519_dalek::SigningKey::from_bytes(secret)
            .verifying_key()
            .to_bytes()),
        _ => Ok(
            x25519_dalek::PublicKey::from(&x25519_dalek::StaticSecret::from(*secret)).to_bytes(),
        ),
    }
}

fn okp_import(name: &str, format: &str, data: &[u8]) -> Outcome<(bool, Vec<u8>)> {
    let (private_prefix, public_prefix) = okp_prefixes(name)?;
    match format {
        "raw" if data.len() == 32 => Ok((false, okp_wrap(public_prefix, data))),
        "raw" => data_error(format!(
            "a raw {name} public key is 32 bytes, not {}",
            data.len()
        )),
        "spki" => Ok((
            false,
            okp_wrap(
                public_prefix,
                okp_unwrap(public_prefix, data, &format!("{name} SubjectPublicKeyInfo"))?,
            ),
        )),
        "pkcs8" => Ok((
            true,
            okp_wrap(
                private_prefix,
                okp_unwrap(private_prefix, data, &format!("{name} PKCS #8 private key"))?,
            ),
        )),
        other => not_supported(format!("an {name} key cannot be imported as {other}")),
    }
}

fn okp_import_jwk(name: &str, x: &[u8], d: Option<&[u8]>) -> Outcome<(bool, Vec<u8>)> {
    let (private_prefix, public_prefix) = okp_prefixes(name)?;
    let Ok(x): std::result::Result<[u8; 32], _> = x.try_into() else {
        return data_error("the JWK's x is not 32 bytes");
    };
    match d {
        None => Ok((false, okp_wrap(public_prefix, &x))),
        Some(d) => {
            let Ok(d): std::result::Result<[u8; 32], _> = d.try_into() else {
                return data_error("the JWK's d is not 32 bytes");
            };
            if okp_public_of(name, &d)? != x {
                return data_error("the JWK's d does not match its x");
            }
            Ok((true, okp_wrap(private_prefix, &d)))
        }
    }
}

fn okp_export<'js>(
    ctx: &Ctx<'js>,
    name: &str,
    der: &[u8],
    private: bool,
    format: &str,
) -> Result<Value<'js>> {
    let outcome: Outcome<Value<'js>> = (|| {
        let (private_prefix, public_prefix) = okp_prefixes(name)?;
        let done = |r: Result<Value<'js>>| r.or_else(|e| operation_error(e.to_string()));
        let (public, secret) = if private {
            let secret: [u8; 32] = okp_unwrap(private_prefix, der, "key")?
                .try_into()
                .or_else(|_| operation_error("bad key"))?;
            (okp_public_of(name, &secret)?, Some(secret))
        } else {
            let public: [u8; 32] = okp_unwrap(public_prefix, der, "key")?
                .try_into()
                .or_else(|_| operation_error("bad key"))?;
            (public, None)
        };
        match format {
            "raw" => done(buffer(ctx, public.to_vec())),
            "spki" => done(buffer(ctx, okp_wrap(public_prefix, &public))),
            "pkcs8" => done(buffer(ctx, der.to_vec())),
            "jwk" => {
                let mut items = vec![done(buffer(ctx, public.to_vec()))?];
                if let Some(secret) = secret {
                    items.push(done(buffer(ctx, secret.to_vec()))?);
                }
                done(array(ctx, items))
            }
            other => not_supported(format!("an {name} key cannot be exported as {other}")),
        }
    })();
    finish(ctx, outcome)
}

fn okp_generate(name: &str) -> Outcome<(Vec<u8>, Vec<u8>)> {
    let (private_prefix, public_prefix) = okp_prefixes(name)?;
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).or_else(|_| operation_error("no randomness"))?;
    let public = okp_public_of(name, &secret)?;
    Ok((
        okp_wrap(private_prefix, &secret),
        okp_wrap(public_prefix, &public),
    ))
}

fn ed25519_sign(der: &[u8], data: &[u8]) -> Outcome<Vec<u8>> {
    use ed25519_dalek::Signer;
    let (private_prefix, _) = okp_prefixes("Ed25519")?;
    let secret: [u8; 32] = okp_unwrap(private_prefix, der, "key")?
        .try_into()
        .or_else(|_| operation_error("bad key"))?;
    Ok(ed25519_dalek::SigningKey::from_bytes(&secret)
        .sign(data)
        .to_bytes()
        .to_vec())
}

fn ed25519_verify(der: &[u8], data: &[u8], signature: &[u8]) -> Outcome<bool> {
    let (_, public_prefix) = okp_prefixes("Ed25519")?;
    let public: [u8; 32] = okp_unwrap(public_prefix, der, "key")?
        .try_into()
        .or_else(|_| operation_error("bad key"))?;
    let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(&public) else {
        return Ok(false);
    };
    let Ok(signature) = ed25519_dalek::Signature::from_slice(signature) else {
        return Ok(false);
    };
    Ok(key.verify_strict(data, &signature).is_ok())
}

fn x25519(private: &[u8], public: &[u8]) -> Outcome<Vec<u8>> {
    let (private_prefix, public_prefix) = okp_prefixes("X25519")?;
    let secret: [u8; 32] = okp_unwrap(private_prefix, private, "key")?
        .try_into()
        .or_else(|_| operation_error("bad key"))?;
    let peer: [u8; 32] = okp_unwrap(public_prefix, public, "key")?
        .try_into()
        .or_else(|_| operation_error("bad key"))?;
    let shared = x25519_dalek::StaticSecret::from(secret)
        .diffie_hellman(&x25519_dalek::PublicKey::from(peer));
    if !shared.was_contributory() {
        return operation_error("the X25519 shared secret is all zeros (a small-order public key)");
    }
    Ok(shared.as_bytes().to_vec())
}

// --- RSA -----------------------------------------------------------------------------------

fn rsa_import(format: &str, data: &[u8]) -> Outcome<(bool, Vec<u8>)> {
    use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
    match format {
        "spki" => {
            let key = rsa::RsaPublicKey::from_public_key_der(data).or_else(|e| {
                data_error(format!(
                    "not an RSA SubjectPublicKeyInfo, or a key over {RSA_MAX_BITS} bits: {e}"
                ))
            })?;
            let der = key
                .to_public_key_der()
                .or_else(|e| data_error(e.to_string()))?;
            Ok((false, der.as_bytes().to_vec()))
        }
        "pkcs8" => {
            let key = rsa::RsaPrivateKey::from_pkcs8_der(data).or_else(|e| {
                data_error(format!(
                    "not an RSA PKCS #8 private key, or a key over {RSA_MAX_BITS} bits: {e}"
                ))
            })?;
            let der = key.to_pkcs8_der().or_else(|e| data_error(e.to_string()))?;
            Ok((true, der.as_bytes().to_vec()))
        }
        other => not_supported(format!("an RSA key cannot be imported as {other}")),
    }
}

fn rsa_import_jwk(
    n: &[u8],
    e: &[u8],
    private: Option<(&[u8], &[u8], &[u8])>,
) -> Outcome<(bool, Vec<u8>)> {
    use rsa::BigUint;
    use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey};
    let n = BigUint::from_bytes_be(n);
    let e = BigUint::from_bytes_be(e);
    match private {
        None => {
            let key = rsa::RsaPublicKey::new(n, e).or_else(|err| data_error(err.to_string()))?;
            let der = key
                .to_public_key_der()
                .or_else(|err| data_error(err.to_string()))?;
            Ok((false, der.as_bytes().to_vec()))
        }
        Some((d, p, q)) => {
            let key = rsa::RsaPrivateKey::from_components(
                n,
                e,
                BigUint::from_bytes_be(d),
                vec![BigUint::from_bytes_be(p), BigUint::from_bytes_be(q)],
            )
            .or_else(|err| data_error(err.to_string()))?;
            key.validate().or_else(|err| data_error(err.to_string()))?;
            let der = key
                .to_pkcs8_der()
                .or_else(|err| data_error(err.to_string()))?;
            Ok((true, der.as_bytes().to_vec()))
        }
    }
}

fn rsa_public(der: &[u8], private: bool) -> Outcome<rsa::RsaPublicKey> {
    use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
    if private {
        Ok(rsa::RsaPrivateKey::from_pkcs8_der(der)
            .or_else(|e| operation_error(e.to_string()))?
            .to_public_key())
    } else {
        rsa::RsaPublicKey::from_public_key_der(der).or_else(|e| operation_error(e.to_string()))
    }
}

fn rsa_private(der: &[u8]) -> Outcome<rsa::RsaPrivateKey> {
    use rsa::pkcs8::DecodePrivateKey;
    rsa::RsaPrivateKey::from_pkcs8_der(der).or_else(|e| operation_error(e.to_string()))
}

fn rsa_export<'js>(ctx: &Ctx<'js>, der: &[u8], private: bool, format: &str) -> Result<Value<'js>> {
    use rsa::pkcs8::EncodePublicKey;
    use rsa::traits::{PrivateKeyParts, PublicKeyParts};
    let outcome: Outcome<Value<'js>> = (|| {
        let done = |r: Result<Value<'js>>| r.or_else(|e| operation_error(e.to_string()));
        match format {
            "spki" => {
                let public = rsa_public(der, private)?;
                let der = public
                    .to_public_key_der()
                    .or_else(|e| operation_error(e.to_string()))?;
                done(buffer(ctx, der.as_bytes().to_vec()))
            }
            "pkcs8" => done(buffer(ctx, der.to_vec())),
            "jwk" => {
                let public = rsa_public(der, private)?;
                let mut items = vec![
                    done(buffer(ctx, public.n().to_bytes_be()))?,
                    done(buffer(ctx, public.e().to_bytes_be()))?,
                ];
                if private {
                    let mut key = rsa_private(der)?;
                    key.precompute()
                        .or_else(|e| operation_error(e.to_string()))?;
                    let primes = key.primes();
                    let (Some(p), Some(q), Some(dp), Some(dq), Some(qi)) = (
                        primes.first(),
                        primes.get(1),
                        key.dp(),
                        key.dq(),
                        key.crt_coefficient(),
                    ) else {
                        return operation_error("the RSA key lacks its CRT values");
                    };
                    for part in [
                        key.d().to_bytes_be(),
                        p.to_bytes_be(),
                        q.to_bytes_be(),
                        dp.to_bytes_be(),
                        dq.to_bytes_be(),
                        qi.to_bytes_be(),
                    ] {
                        items.push(done(buffer(ctx, part))?);
                    }
                }
                done(array(ctx, items))
            }
            other => not_supported(format!("an RSA key cannot be exported as {other}")),
        }
    })();
    finish(ctx, outcome)
}

/// [modulus length in bits, public exponent bytes] of a key.
fn rsa_info(der: &[u8], private: bool) -> Outcome<(usize, Vec<u8>)> {
    use rsa::traits::PublicKeyParts;
    let public = rsa_public(der, private)?;
    Ok((public.n().bits(), public.e().to_bytes_be()))
}

/// The largest RSA key handled: the `rsa` crate's decoders stop at 4096 bits.
const RSA_MAX_BITS: usize = 4096;

fn rsa_generate(bits: usize, exponent: &[u8]) -> Outcome<(Vec<u8>, Vec<u8>)> {
    use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey};
    if !(1024..=RSA_MAX_BITS).contains(&bits) || !bits.is_multiple_of(8) {
        return operation_error(format!(
            "RSA modulusLength {bits} is not supported (use 1024 to {RSA_MAX_BITS}, a multiple of 8)"
        ));
    }
    // Key generation searches for primes until the exponent is invertible, which an even
    // exponent never is: only the two exponents anyone uses are accepted.
    let exponent = rsa::BigUint::from_bytes_be(exponent);
    if exponent != rsa::BigUint::from(65_537u32) && exponent != rsa::BigUint::from(3u32) {
        return operation_error("RSA publicExponent must be 65537 ([1, 0, 1]) or 3");
    }
    let key = rsa::RsaPrivateKey::new_with_exp(&mut OsRng, bits, &exponent)
        .or_else(|e| operation_error(e.to_string()))?;
    let pkcs8 = key
        .to_pkcs8_der()
        .or_else(|e| operation_error(e.to_string()))?;
    let spki = key
        .to_public_key()
        .to_public_key_der()
        .or_else(|e| operation_error(e.to_string()))?;
    Ok((pkcs8.as_bytes().to_vec(), spki.as_bytes().to_vec()))
}

/// PSS's salt must fit in the encoded message: at most the key's bytes − the hash's − 2. The
/// `rsa` crate would first allocate a buffer of `salt` bytes.
fn check_salt(key: &rsa::RsaPublicKey, hash: &str, salt: usize) -> Outcome<()> {
    use rsa::traits::PublicKeyParts;
    let max = key.size().saturating_sub(hash_bytes(hash) + 2);
    if salt > max {
        return operation_error(format!(
            "RSA-PSS saltLength {salt} is more than this key allows ({max})"
        ));
    }
    Ok(())
}

fn rsa_sign(scheme: &str, hash: &str, der: &[u8], data: &[u8], salt: usize) -> Outcome<Vec<u8>> {
    use rsa::signature::{RandomizedSigner, SignatureEncoding, Signer};
    let key = rsa_private(der)?;
    check_salt(&key.to_public_key(), hash, salt)?;
    with_hash!(hash, H => match scheme {
        "RSASSA-PKCS1-v1_5" => Ok(rsa::pkcs1v15::SigningKey::<H>::new(key).sign(data).to_vec()),
        _ => Ok(rsa::pss::SigningKey::<H>::new_with_salt_len(key, salt)
            .sign_with_rng(&mut OsRng, data)
            .to_vec()),
    })
}

fn rsa_verify(
    scheme: &str,
    hash: &str,
    der: &[u8],
    data: &[u8],
    signature: &[u8],
    salt: usize,
) -> Outcome<bool> {
    use rsa::signature::Verifier;
    let key = rsa_public(der, false)?;
    if check_salt(&key, hash, salt).is_err() {
        return Ok(false);
    }
    with_hash!(hash, H => match scheme {
        "RSASSA-PKCS1-v1_5" => {
            let Ok(signature) = rsa::pkcs1v15::Signature::try_from(signature) else {
                return Ok(false);
            };
            Ok(rsa::pkcs1v15::VerifyingKey::<H>::new(key).verify(data, &signature).is_ok())
        }
        _ => {
            let Ok(signature) = rsa::pss::Signature::try_from(signature) else {
                return Ok(false);
            };
            Ok(rsa::pss::VerifyingKey::<H>::new_with_salt_len(key, salt).verify(data, &signature).is_ok())
        }
    })
}

fn rsa_oaep(encrypt: bool, hash: &str, der: &[u8], data: &[u8], label: &[u8]) -> Outcome<Vec<u8>> {
    let label = if label.is_empty() {
        None
    } else {
        match std::str::from_utf8(label) {
            Ok(text) => Some(text.to_owned()),
            Err(_) => return not_supported("RSA-OAEP labels must be UTF-8 text here"),
        }
    };
    with_hash!(hash, H => {
        let padding = match &label {
            Some(label) => rsa::Oaep::new_with_label::<H, _>(label),
            None => rsa::Oaep::new::<H>(),
        };
        if encrypt {
            rsa_public(der, false)?
                .encrypt(&mut OsRng, padding, data)
                .or_else(|e| operation_error(e.to_string()))
        } else {
            rsa_private(der)?
                .decrypt(padding, data)
                .or_else(|_| operation_error("decryption failed"))
        }
    })
}

// --- AES -------------------------------------------------------------------------------------

macro_rules! with_aes {
    ($key:expr, $a:ident => $body:expr) => {
        match $key.len() {
            16 => {
                type $a = aes::Aes128;
                $body
            }
            24 => {
                type $a = aes::Aes192;
                $body
            }
            32 => {
                type $a = aes::Aes256;
                $body
            }
            other => data_error(format!("an AES key is 16, 24 or 32 bytes, not {other}")),
        }
    };
}

fn aes_gcm(
    encrypt: bool,
    key: &[u8],
    iv: &[u8],
    data: &[u8],
    aad: &[u8],
    tag_bits: usize,
) -> Outcome<Vec<u8>> {
    use aes_gcm::aead::consts::U12;
    use aes_gcm::aead::{AeadInPlace, KeyInit};
    if tag_bits != 128 {
        return not_supported("AES-GCM tags other than 128 bits are not supported");
    }
    if iv.len() != 12 {
        return not_supported("AES-GCM IVs other than 12 bytes (96 bits) are not supported");
    }
    with_aes!(key, A => {
        let cipher = aes_gcm::AesGcm::<A, U12>::new_from_slice(key).or_else(|_| data_error("bad AES key"))?;
        let nonce = aes_gcm::Nonce::<U12>::from_slice(iv);
        let mut buffer = data.to_vec();
        if encrypt {
            cipher
                .encrypt_in_place(nonce, aad, &mut buffer)
                .or_else(|_| operation_error("encryption failed"))?;
        } else {
            cipher
                .decrypt_in_place(nonce, aad, &mut buffer)
                .or_else(|_| operation_error("decryption failed: the data or its tag was altered, or the key, IV or additional data differ"))?;
        }
        Ok(buffer)
    })
}

fn aes_cbc(encrypt: bool, key: &[u8], iv: &[u8], data: &[u8]) -> Outcome<Vec<u8>> {
    use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit, block_padding::Pkcs7};
    if iv.len() != 16 {
        return operation_error("an AES-CBC IV is 16 bytes");
    }
    with_aes!(key, A => {
        if encrypt {
            let cipher = cbc::Encryptor::<A>::new_from_slices(key, iv).or_else(|_| data_error("bad AES key"))?;
            Ok(cipher.encrypt_padded_vec_mut::<Pkcs7>(data))
        } else {
            let cipher = cbc::Decryptor::<A>::new_from_slices(key, iv).or_else(|_| data_error("bad AES key"))?;
            cipher
                .decrypt_padded_vec_mut::<Pkcs7>(data)
                .or_else(|_| operation_error("decryption failed: bad padding"))
        }
    })
}

fn aes_ctr(key: &[u8], counter: &[u8], length: usize, data: &[u8]) -> Outcome<Vec<u8>> {
    use ctr::cipher::{KeyIvInit, StreamCipher};
    if counter.len() != 16 {
        return operation_error("an AES-CTR counter is 16 bytes");
    }
    if length == 0 || length > 128 {
        return operation_error("the AES-CTR length must be 1 to 128 bits");
    }
    // The counter is the low `length` bits of the block; only the widths ctr provides wrap
    // exactly as the spec says.
    with_aes!(key, A => {
        let mut buffer = data.to_vec();
        match length {
            32 => ctr::Ctr32BE::<A>::new_from_slices(key, counter)
                .or_else(|_| data_error("bad AES key"))?
                .apply_keystream(&mut buffer),
            64 => ctr::Ctr64BE::<A>::new_from_slices(key, counter)
                .or_else(|_| data_error("bad AES key"))?
                .apply_keystream(&mut buffer),
            128 => ctr::Ctr128BE::<A>::new_from_slices(key, counter)
                .or_else(|_| data_error("bad AES key"))?
                .apply_keystream(&mut buffer),
            other => return not_supported(format!("AES-CTR with a {other}-bit counter is not supported (use 32, 64 or 128)")),
        }
        Ok(buffer)
    })
}

fn aes_kw(wrap: bool, key: &[u8], data: &[u8]) -> Outcome<Vec<u8>> {
    let result = match key.len() {
        16 => {
            let kek = aes_kw::KekAes128::from(<[u8; 16]>::try_from(key).unwrap_or_default());
            if wrap {
                kek.wrap_vec(data)
            } else {
                kek.unwrap_vec(data)
            }
        }
        24 => {
            let kek = aes_kw::KekAes192::from(<[u8; 24]>::try_from(key).unwrap_or_default());
            if wrap {
                kek.wrap_vec(data)
            } else {
                kek.unwrap_vec(data)
            }
        }
        32 => {
            let kek = aes_kw::KekAes256::from(<[u8; 32]>::try_from(key).unwrap_or_default());
            if wrap {
                kek.wrap_vec(data)
            } else {
                kek.unwrap_vec(data)
            }
        }
        other => return data_error(format!("an AES key is 16, 24 or 32 bytes, not {other}")),
    };
    result.or_else(|e| operation_error(format!("AES-KW failed: {e}")))
}

// --- Key derivation ------------------------------------------------------------------------

/// The most output PBKDF2 derives here (HKDF's own limit is 255 hash lengths).
const PBKDF2_MAX_BITS: usize = 64 * 1024 * 8;
/// Cloudflare's limit: more iterations would run for seconds outside the CPU limit.
const PBKDF2_MAX_ITERATIONS: u32 = 100_000;

fn hash_bytes(hash: &str) -> usize {
    match hash {
        "SHA-1" => 20,
        "SHA-256" => 32,
        "SHA-384" => 48,
        _ => 64,
    }
}

fn hkdf(hash: &str, ikm: &[u8], salt: &[u8], info: &[u8], bits: usize) -> Outcome<Vec<u8>> {
    if !bits.is_multiple_of(8) {
        return operation_error("HKDF length must be a multiple of 8 bits");
    }
    let max = 255 * 8 * hash_bytes(hash);
    if bits > max {
        return operation_error(format!("HKDF with {hash} derives at most {max} bits"));
    }
    with_hash!(hash, H => {
        let mut out = vec![0u8; bits / 8];
        hkdf::Hkdf::<H>::new(Some(salt), ikm)
            .expand(info, &mut out)
            .or_else(|_| operation_error("HKDF cannot derive that many bits with this hash"))?;
        Ok(out)
    })
}

fn pbkdf2(
    hash: &str,
    password: &[u8],
    salt: &[u8],
    iterations: u32,
    bits: usize,
) -> Outcome<Vec<u8>> {
    if !bits.is_multiple_of(8) || bits == 0 {
        return operation_error("PBKDF2 length must be a positive multiple of 8 bits");
    }
    if iterations == 0 {
        return operation_error("PBKDF2 iterations must be at least 1");
    }
    if iterations > PBKDF2_MAX_ITERATIONS {
        return not_supported(format!(
            "PBKDF2 with more than {PBKDF2_MAX_ITERATIONS} iterations is not supported (as on \
             Cloudflare)"
        ));
    }
    if bits > PBKDF2_MAX_BITS {
        return operation_error(format!(
            "PBKDF2 derives at most {PBKDF2_MAX_BITS} bits here"
        ));
    }
    with_hash!(hash, H => {
        let mut out = vec![0u8; bits / 8];
        pbkdf2::pbkdf2_hmac::<H>(password, salt, iterations, &mut out);
        Ok(out)
    })
}

// --- Natives ---------------------------------------------------------------------------------

/// A count from JS: a whole number, or `usize::MAX` for NaN, negatives, fractions and the
/// out of range (which every check then refuses), never a wrapped-around `as` cast.
fn whole(value: f64) -> usize {
    if value >= 0.0 && value.fract() == 0.0 && value <= u32::MAX as f64 {
        value as usize
    } else {
        usize::MAX
    }
}

fn opt_bytes<'js>(ctx: &Ctx<'js>, value: &Value<'js>) -> Option<Vec<u8>> {
    (!value.is_undefined() && !value.is_null()).then(|| bytes_of(ctx, value))
}

fn pair<'js>(ctx: &Ctx<'js>, outcome: Outcome<(bool, Vec<u8>)>) -> Result<Value<'js>> {
    let value = match outcome {
        Ok((private, der)) => Ok(array(
            ctx,
            vec![Value::new_bool(ctx.clone(), private), buffer(ctx, der)?],
        )?),
        Err(e) => Err(e),
    };
    finish(ctx, value)
}

fn key_pair<'js>(ctx: &Ctx<'js>, outcome: Outcome<(Vec<u8>, Vec<u8>)>) -> Result<Value<'js>> {
    let value = match outcome {
        Ok((private, public)) => Ok(array(
            ctx,
            vec![buffer(ctx, private)?, buffer(ctx, public)?],
        )?),
        Err(e) => Err(e),
    };
    finish(ctx, value)
}

fn bytes_out<'js>(ctx: &Ctx<'js>, outcome: Outcome<Vec<u8>>) -> Result<Value<'js>> {
    let value = match outcome {
        Ok(bytes) => Ok(buffer(ctx, bytes)?),
        Err(e) => Err(e),
    };
    finish(ctx, value)
}

fn bool_out<'js>(ctx: &Ctx<'js>, outcome: Outcome<bool>) -> Result<Value<'js>> {
    finish(ctx, outcome.map(|b| Value::new_bool(ctx.clone(), b)))
}

pub(crate) fn install<'js>(n: &rquickjs::Object<'js>) -> Result<()> {
    set_fn(
        n,
        "ecImport",
        |ctx: Ctx<'js>, curve: String, format: String, data: Value<'js>| {
            pair(&ctx, ec_import(&curve, &format, &bytes_of(&ctx, &data)))
        },
    )?;
    set_fn(
        n,
        "ecImportJwk",
        |ctx: Ctx<'js>, curve: String, x: Value<'js>, y: Value<'js>, d: Value<'js>| {
            pair(
                &ctx,
                ec_import_jwk(
                    &curve,
                    &bytes_of(&ctx, &x),
                    &bytes_of(&ctx, &y),
                    opt_bytes(&ctx, &d).as_deref(),
                ),
            )
        },
    )?;
    set_fn(
        n,
        "ecExport",
        |ctx: Ctx<'js>, curve: String, der: Value<'js>, private: bool, format: String| {
            ec_export(&ctx, &curve, &bytes_of(&ctx, &der), private, &format)
        },
    )?;
    set_fn(n, "ecGenerate", |ctx: Ctx<'js>, curve: String| {
        key_pair(&ctx, ec_generate(&curve))
    })?;
    set_fn(
        n,
        "ecdsaSign",
        |ctx: Ctx<'js>, curve: String, hash: String, der: Value<'js>, data: Value<'js>| {
            bytes_out(
                &ctx,
                ecdsa_sign(&curve, &hash, &bytes_of(&ctx, &der), &bytes_of(&ctx, &data)),
            )
        },
    )?;
    set_fn(
        n,
        "ecdsaVerify",
        |ctx: Ctx<'js>,
         curve: String,
         hash: String,
         der: Value<'js>,
         data: Value<'js>,
         signature: Value<'js>| {
            bool_out(
                &ctx,
                ecdsa_verify(
                    &curve,
                    &hash,
                    &bytes_of(&ctx, &der),
                    &bytes_of(&ctx, &data),
                    &bytes_of(&ctx, &signature),
                ),
            )
        },
    )?;
    set_fn(
        n,
        "ecdh",
        |ctx: Ctx<'js>, curve: String, private: Value<'js>, public: Value<'js>| {
            bytes_out(
                &ctx,
                ecdh(&curve, &bytes_of(&ctx, &private), &bytes_of(&ctx, &public)),
            )
        },
    )?;

    set_fn(
        n,
        "okpImport",
        |ctx: Ctx<'js>, name: String, format: String, data: Value<'js>| {
            pair(&ctx, okp_import(&name, &format, &bytes_of(&ctx, &data)))
        },
    )?;
    set_fn(
        n,
        "okpImportJwk",
        |ctx: Ctx<'js>, name: String, x: Value<'js>, d: Value<'js>| {
            pair(
                &ctx,
                okp_import_jwk(&name, &bytes_of(&ctx, &x), opt_bytes(&ctx, &d).as_deref()),
            )
        },
    )?;
    set_fn(
        n,
        "okpExport",
        |ctx: Ctx<'js>, name: String, der: Value<'js>, private: bool, format: String| {
            okp_export(&ctx, &name, &bytes_of(&ctx, &der), private, &format)
        },
    )?;
    set_fn(n, "okpGenerate", |ctx: Ctx<'js>, name: String| {
        key_pair(&ctx, okp_generate(&name))
    })?;
    set_fn(
        n,
        "ed25519Sign",
        |ctx: Ctx<'js>, der: Value<'js>, data: Value<'js>| {
            bytes_out(
                &ctx,
                ed25519_sign(&bytes_of(&ctx, &der), &bytes_of(&ctx, &data)),
            )
        },
    )?;
    set_fn(
        n,
        "ed25519Verify",
        |ctx: Ctx<'js>, der: Value<'js>, data: Value<'js>, signature: Value<'js>| {
            bool_out(
                &ctx,
                ed25519_verify(
                    &bytes_of(&ctx, &der),
                    &bytes_of(&ctx, &data),
                    &bytes_of(&ctx, &signature),
                ),
            )
        },
    )?;
    set_fn(
        n,
        "x25519",
        |ctx: Ctx<'js>, private: Value<'js>, public: Value<'js>| {
            bytes_out(
                &ctx,
                x25519(&bytes_of(&ctx, &private), &bytes_of(&ctx, &public)),
            )
        },
    )?;

    set_fn(
        n,
        "rsaImport",
        |ctx: Ctx<'js>, format: String, data: Value<'js>| {
            pair(&ctx, rsa_import(&format, &bytes_of(&ctx, &data)))
        },
    )?;
    set_fn(
        n,
        "rsaImportJwk",
        |ctx: Ctx<'js>,
         n_: Value<'js>,
         e: Value<'js>,
         d: Value<'js>,
         p: Value<'js>,
         q: Value<'js>| {
            let private = match (
                opt_bytes(&ctx, &d),
                opt_bytes(&ctx, &p),
                opt_bytes(&ctx, &q),
            ) {
                (Some(d), Some(p), Some(q)) => Some((d, p, q)),
                (None, _, _) => None,
                _ => {
                    return finish(
                        &ctx,
                        data_error(
                            "a private RSA JWK needs p and q (multi-prime keys are not supported)",
                        ),
                    );
                }
            };
            pair(
                &ctx,
                rsa_import_jwk(
                    &bytes_of(&ctx, &n_),
                    &bytes_of(&ctx, &e),
                    private.as_ref().map(|(d, p, q)| (&d[..], &p[..], &q[..])),
                ),
            )
        },
    )?;
    set_fn(
        n,
        "rsaExport",
        |ctx: Ctx<'js>, der: Value<'js>, private: bool, format: String| {
            rsa_export(&ctx, &bytes_of(&ctx, &der), private, &format)
        },
    )?;
    set_fn(
        n,
        "rsaInfo",
        |ctx: Ctx<'js>, der: Value<'js>, private: bool| {
            let value = match rsa_info(&bytes_of(&ctx, &der), private) {
                Ok((bits, exponent)) => Ok(array(
                    &ctx,
                    vec![
                        Value::new_number(ctx.clone(), bits as f64),
                        buffer(&ctx, exponent)?,
                    ],
                )?),
                Err(e) => Err(e),
            };
            finish(&ctx, value)
        },
    )?;
    set_fn(
        n,
        "rsaGenerate",
        |ctx: Ctx<'js>, bits: f64, exponent: Value<'js>| {
            key_pair(&ctx, rsa_generate(whole(bits), &bytes_of(&ctx, &exponent)))
        },
    )?;
    set_fn(
        n,
        "rsaSign",
        |ctx: Ctx<'js>,
         scheme: String,
         hash: String,
         der: Value<'js>,
         data: Value<'js>,
         salt: f64| {
            bytes_out(
                &ctx,
                rsa_sign(
                    &scheme,
                    &hash,
                    &bytes_of(&ctx, &der),
                    &bytes_of(&ctx, &data),
                    whole(salt),
                ),
            )
        },
    )?;
    set_fn(
        n,
        "rsaVerify",
        |ctx: Ctx<'js>,
         scheme: String,
         hash: String,
         der: Value<'js>,
         data: Value<'js>,
         signature: Value<'js>,
         salt: f64| {
            bool_out(
                &ctx,
                rsa_verify(
                    &scheme,
                    &hash,
                    &bytes_of(&ctx, &der),
                    &bytes_of(&ctx, &data),
                    &bytes_of(&ctx, &signature),
                    whole(salt),
                ),
            )
        },
    )?;
    set_fn(
        n,
        "rsaOaep",
        |ctx: Ctx<'js>,
         encrypt: bool,
         hash: String,
         der: Value<'js>,
         data: Value<'js>,
         label: Value<'js>| {
            bytes_out(
                &ctx,
                rsa_oaep(
                    encrypt,
                    &hash,
                    &bytes_of(&ctx, &der),
                    &bytes_of(&ctx, &data),
                    &opt_bytes(&ctx, &label).unwrap_or_default(),
                ),
            )
        },
    )?;

    set_fn(
        n,
        "aesGcm",
        |ctx: Ctx<'js>,
         encrypt: bool,
         key: Value<'js>,
         iv: Value<'js>,
         data: Value<'js>,
         aad: Value<'js>,
         tag: f64| {
            bytes_out(
                &ctx,
                aes_gcm(
                    encrypt,
                    &bytes_of(&ctx, &key),
                    &bytes_of(&ctx, &iv),
                    &bytes_of(&ctx, &data),
                    &opt_bytes(&ctx, &aad).unwrap_or_default(),
                    whole(tag),
                ),
            )
        },
    )?;
    set_fn(
        n,
        "aesCbc",
        |ctx: Ctx<'js>, encrypt: bool, key: Value<'js>, iv: Value<'js>, data: Value<'js>| {
            bytes_out(
                &ctx,
                aes_cbc(
                    encrypt,
                    &bytes_of(&ctx, &key),
                    &bytes_of(&ctx, &iv),
                    &bytes_of(&ctx, &data),
                ),
            )
        },
    )?;
    set_fn(
        n,
        "aesCtr",
        |ctx: Ctx<'js>, key: Value<'js>, counter: Value<'js>, length: f64, data: Value<'js>| {
            bytes_out(
                &ctx,
                aes_ctr(
                    &bytes_of(&ctx, &key),
                    &bytes_of(&ctx, &counter),
                    whole(length),
                    &bytes_of(&ctx, &data),
                ),
            )
        },
    )?;
    set_fn(
        n,
        "aesKw",
        |ctx: Ctx<'js>, wrap: bool, key: Value<'js>, data: Value<'js>| {
            bytes_out(
                &ctx,
                aes_kw(wrap, &bytes_of(&ctx, &key), &bytes_of(&ctx, &data)),
            )
        },
    )?;
    set_fn(
        n,
        "hkdf",
        |ctx: Ctx<'js>,
         hash: String,
         ikm: Value<'js>,
         salt: Value<'js>,
         info: Value<'js>,
         bits: f64| {
            bytes_out(
                &ctx,
                hkdf(
                    &hash,
                    &bytes_of(&ctx, &ikm),
                    &bytes_of(&ctx, &salt),
                    &bytes_of(&ctx, &info),
                    whole(bits),
                ),
            )
        },
    )?;
    set_fn(
        n,
        "pbkdf2",
        |ctx: Ctx<'js>,
         hash: String,
         password: Value<'js>,
         salt: Value<'js>,
         iterations: f64,
         bits: f64| {
            bytes_out(
                &ctx,
                pbkdf2(
                    &hash,
                    &bytes_of(&ctx, &password),
                    &bytes_of(&ctx, &salt),
                    u32::try_from(whole(iterations)).unwrap_or(u32::MAX),
                    whole(bits),
                ),
            )
        },
    )?;
    Ok(())
}
