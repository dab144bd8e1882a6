use switchyard_web::LogLevel;

use crate::common::{harness, silent_options};

#[test]
fn queue_microtask_order_and_errors() {
    let h = harness();
    h.take_logs();
    let out = h.run(
        r#"
        const order = [];
        queueMicrotask(() => order.push("a"));
        Promise.resolve().then(() => order.push("b"));
        queueMicrotask(() => order.push("c"));
        queueMicrotask(() => { throw new Error("lost?"); });
        queueMicrotask(function () { order.push(this === undefined ? "this-undefined" : "this-set"); });
        await new Promise((r) => queueMicrotask(r));
        await null;
        return order;
        "#,
    );
    assert_eq!(out, r#"["a","b","c","this-undefined"]"#);
    let logs = h.take_logs();
    assert_eq!(logs.len(), 1, "{logs:?}");
    assert_eq!(logs[0].0, LogLevel::Error);
    assert!(
        logs[0].1.starts_with("Uncaught Error: lost?"),
        "{}",
        logs[0].1
    );
    let err = h.throws("queueMicrotask(1)");
    assert!(err.starts_with("TypeError"), "{err}");
    let err = h.throws("queueMicrotask()");
    assert!(err.starts_with("TypeError"), "{err}");
}

#[test]
fn crypto_random() {
    let h = harness();
    let out = h.run(
        r#"
        const a = crypto.getRandomValues(new Uint8Array(32));
        const b = new Uint32Array(4);
        const same = crypto.getRandomValues(b) === b;
        const big = crypto.getRandomValues(new BigUint64Array(2));
        const view = new Uint8Array(new ArrayBuffer(16), 4, 8);
        crypto.getRandomValues(view);
        const untouched = new Uint8Array(view.buffer, 0, 4).every((x) => x === 0);
        const uuid = crypto.randomUUID();
        const uuids = new Set(Array.from({ length: 50 }, () => crypto.randomUUID()));
        crypto.getRandomValues(new Uint8Array(65536));
        return [a.some((x) => x !== 0), same, b.some((x) => x !== 0), typeof big[0], untouched,
                /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(uuid), uuids.size,
                crypto.subtle instanceof SubtleCrypto, Object.prototype.toString.call(crypto), crypto instanceof Crypto];
        "#,
    );
    assert_eq!(
        out,
        r#"[true,true,true,"bigint",true,true,50,true,"[object Crypto]",true]"#
    );
    let err = h.throws("crypto.getRandomValues(new Float64Array(2))");
    assert!(err.starts_with("TypeMismatchError: "), "{err}");
    let err = h.throws("crypto.getRandomValues(new DataView(new ArrayBuffer(2)))");
    assert!(err.starts_with("TypeMismatchError: "), "{err}");
    let err = h.throws("crypto.getRandomValues(new Uint8Array(65537))");
    assert!(err.starts_with("QuotaExceededError: "), "{err}");
    let code: i32 = h.eval("(() => { try { crypto.getRandomValues(new Uint8Array(65537)) } catch (e) { return e.code } })()");
    assert_eq!(code, 22);
    let err = h.throws("crypto.getRandomValues([1, 2])");
    assert!(err.starts_with("TypeError"), "{err}");
    let err = h.throws("new Crypto()");
    assert!(err.starts_with("TypeError"), "{err}");
}

#[test]
fn global_scope() {
    let h = harness();
    let out = h.run(
        r#"
        const d = new DOMException("m", "NotFoundError");
        const plain = new DOMException();
        return [self === globalThis, navigator.userAgent, d.name, d.message, d.code, d instanceof Error,
                plain.name, plain.message, plain.code, DOMException.DATA_CLONE_ERR,
                Object.prototype.toString.call(d), typeof globalThis.Request, "Switchyard" in globalThis];
        "#,
    );
    assert_eq!(
        out,
        r#"[true,"Cloudflare-Workers","NotFoundError","m",8,true,"Error","",0,25,"[object DOMException]","function",false]"#
    );
}

#[test]
fn nothing_internal_leaks_onto_the_global() {
    let h = harness();
    let names: String = h.eval("Object.getOwnPropertyNames(globalThis).sort().join(',')");
    for leaked in [
        "native",
        "INTERNAL",
        "BodyBytes",
        "Utf8Decoder",
        "requestInternals",
        "inspect",
    ] {
        assert!(
            !names.split(',').any(|n| n == leaked),
            "{leaked} leaked: {names}"
        );
    }
}

#[test]
fn install_twice_replaces_the_globals() {
    let h = harness();
    h.eval::<()>("globalThis.firstHeaders = Headers");
    h.ctx.with(|ctx| {
        switchyard_web::install(&ctx, silent_options()).unwrap();
    });
    let replaced: bool =
        h.eval("firstHeaders !== Headers && new Headers({a: '1'}).get('a') === '1'");
    assert!(replaced);
    h.ctx.with(|ctx| {
        let req = switchyard_web::HttpRequest {
            method: http::Method::POST,
            url: "https://a.test/".into(),
            headers: http::HeaderMap::new(),
            body: bytes::Bytes::from_static(b"x").into(),
        };
        let js = switchyard_web::request_to_js(&ctx, req).unwrap();
        assert_eq!(
            &switchyard_web::request_from_js(&ctx, js)
                .unwrap()
                .body
                .as_bytes()
                .unwrap()[..],
            b"x"
        );
    });
}

#[test]
fn uninstall_forgets_the_context() {
    let h = harness();
    h.ctx.with(|ctx| {
        switchyard_web::uninstall(&ctx);
        let req = switchyard_web::HttpRequest {
            method: http::Method::GET,
            url: "https://a.test/".into(),
            headers: http::HeaderMap::new(),
            body: switchyard_web::Body::empty(),
        };
        assert!(switchyard_web::request_to_js(&ctx, req).is_err());
        let _ = ctx.catch();
    });
    // JS keeps working.
    let ok: bool = h.eval("new Response('x').status === 200");
    assert!(ok);
}
