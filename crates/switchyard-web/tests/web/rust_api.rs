use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use rquickjs::{Ctx, Function, Promise, Value, promise::PromiseState};
use switchyard_web::{
    HttpRequest, HttpResponse, finalize_response, prepare_request, request_from_js, request_to_js,
    response_from_js, response_to_js,
};

use crate::common::{describe_exception, drain, harness, silent_options};

fn sample_request(body: &'static [u8]) -> HttpRequest {
    let mut headers = HeaderMap::new();
    headers.insert(
        "content-type",
        HeaderValue::from_static("application/octet-stream"),
    );
    headers.append("x-multi", HeaderValue::from_static("a"));
    headers.append("x-multi", HeaderValue::from_static("b"));
    headers.insert("x-latin1", HeaderValue::from_bytes(b"caf\xe9").unwrap());
    HttpRequest {
        method: Method::POST,
        url: "https://example.com/a/b?c=d".into(),
        headers,
        body: Bytes::from_static(body).into(),
    }
}

fn call<'js>(ctx: &Ctx<'js>, src: &str, arg: Value<'js>) -> Value<'js> {
    let f: Function = ctx.eval(src).unwrap();
    match f.call((arg,)) {
        Ok(v) => v,
        Err(_) => panic!("JS threw: {}", describe_exception(ctx, ctx.catch())),
    }
}

/// `prepare_request`, with the thrown error as "Name: message".
fn prepare<'js>(
    ctx: &Ctx<'js>,
    input: Value<'js>,
    init: Option<Value<'js>>,
) -> Result<Value<'js>, String> {
    prepare_request(ctx, input, init).map_err(|_| describe_exception(ctx, ctx.catch()))
}

/// Drives jobs and returns the settled value, or the rejection as "Name: message".
fn settle<'js>(ctx: &Ctx<'js>, promise: Promise<'js>) -> Result<Value<'js>, String> {
    drain(ctx);
    match promise.state() {
        PromiseState::Resolved => Ok(promise.result::<Value>().unwrap().unwrap()),
        PromiseState::Rejected => {
            let _ = promise.result::<Value>();
            Err(describe_exception(ctx, ctx.catch()))
        }
        PromiseState::Pending => panic!("pending"),
    }
}

#[test]
fn request_round_trip_keeps_the_same_bytes() {
    let h = harness();
    h.ctx.with(|ctx| {
        let req = sample_request(b"zero copy body");
        let ptr = req.body.as_bytes().unwrap().as_ptr();
        let js = request_to_js(&ctx, req).unwrap();
        let forwarded = call(
            &ctx,
            "(req) => new Request(req, { headers: { 'x-added': '1', 'content-type': req.headers.get('content-type') } })",
            js.clone(),
        );
        let used: bool = call(&ctx, "(req) => req.bodyUsed", js).get().unwrap();
        assert!(used, "the original request's body moved to the new request");
        let out = request_from_js(&ctx, forwarded.clone()).unwrap();
        assert_eq!(out.body.as_bytes().unwrap().as_ptr(), ptr, "same Bytes allocation");
        assert_eq!(&out.body.as_bytes().unwrap()[..], b"zero copy body");
        assert_eq!(out.method, Method::POST);
        assert_eq!(out.url, "https://example.com/a/b?c=d");
        assert_eq!(out.headers.get("x-added").unwrap(), "1");
        assert_eq!(out.headers.get("content-type").unwrap(), "application/octet-stream");
        assert!(out.headers.get("x-multi").is_none(), "init headers replace the input's");
        // Extraction consumed the body.
        let used: bool = call(&ctx, "(req) => req.bodyUsed", forwarded.clone()).get().unwrap();
        assert!(used);
        assert!(request_from_js(&ctx, forwarded).is_err(), "a used body cannot be extracted twice");
    });
}

#[test]
fn request_to_js_shape() {
    let h = harness();
    h.ctx.with(|ctx| {
        let js = request_to_js(&ctx, sample_request(b"hello")).unwrap();
        let out: String = call(
            &ctx,
            r#"(req) => {
                let immutable = false;
                try { req.headers.set("a", "b"); } catch (e) { immutable = e instanceof TypeError; }
                return JSON.stringify([req.method, req.url, req.headers.get("x-multi"), req.headers.get("x-latin1"),
                    immutable, req.body instanceof ReadableStream, req.bodyUsed]);
            }"#,
            js,
        )
        .get()
        .unwrap();
        assert_eq!(out, r#"["POST","https://example.com/a/b?c=d","a, b","café",true,true,false]"#);

        // Empty bodies are null bodies; GET bodies are dropped. (The URL is taken as given:
        // HttpRequest::url is already serialized, see the server's request_url.)
        let mut req = sample_request(b"");
        req.method = Method::GET;
        let js = request_to_js(&ctx, req).unwrap();
        let out: String = call(&ctx, "(r) => JSON.stringify([r.body, r.url])", js).get().unwrap();
        assert_eq!(out, r#"[null,"https://example.com/a/b?c=d"]"#);
    });
}

#[test]
fn body_accessed_but_unread_still_forwards_zero_copy() {
    let h = harness();
    h.ctx.with(|ctx| {
        let req = sample_request(b"streamed");
        let ptr = req.body.as_bytes().unwrap().as_ptr();
        let js = request_to_js(&ctx, req).unwrap();
        let forwarded = call(
            &ctx,
            "(req) => { const s = req.body; return new Request('https://other.test/', { method: 'PUT', body: s }); }",
            js,
        );
        let prepared = prepare(&ctx, forwarded, None).unwrap();
        let out = request_from_js(&ctx, prepared).unwrap();
        assert_eq!(out.body.as_bytes().unwrap().as_ptr(), ptr);
        assert_eq!(out.method, Method::PUT);
        assert_eq!(out.url, "https://other.test/");
    });
}

#[test]
fn response_pass_through_keeps_the_same_bytes() {
    let h = harness();
    h.ctx.with(|ctx| {
        let mut headers = HeaderMap::new();
        headers.append("set-cookie", HeaderValue::from_static("a=1"));
        headers.append("set-cookie", HeaderValue::from_static("b=2"));
        let body = Bytes::from(vec![7u8; 1024]);
        let ptr = body.as_ptr();
        let res = response_to_js(&ctx, HttpResponse { status: StatusCode::IM_A_TEAPOT, headers, body: body.into() }).unwrap();

        // Returned unchanged.
        let finalized = settle(&ctx, finalize_response(&ctx, res.clone()).unwrap()).unwrap();
        let out = response_from_js(&ctx, finalized).unwrap();
        assert_eq!(out.body.as_bytes().unwrap().as_ptr(), ptr);
        assert_eq!(out.status, StatusCode::IM_A_TEAPOT);
        let cookies: Vec<_> = out.headers.get_all("set-cookie").iter().collect();
        assert_eq!(cookies, ["a=1", "b=2"]);

        // Re-wrapped with new headers, through a promise, after touching .body.
        let body = Bytes::from_static(b"second");
        let ptr = body.as_ptr();
        let res = response_to_js(&ctx, HttpResponse { status: StatusCode::OK, headers: HeaderMap::new(), body: body.into() }).unwrap();
        let wrapped = call(
            &ctx,
            "(res) => Promise.resolve(new Response(res.body, { status: 203, headers: { 'x': 'y' } }))",
            res,
        );
        let finalized = settle(&ctx, finalize_response(&ctx, wrapped).unwrap()).unwrap();
        let out = response_from_js(&ctx, finalized).unwrap();
        assert_eq!(out.body.as_bytes().unwrap().as_ptr(), ptr);
        assert_eq!(out.status.as_u16(), 203);
        assert_eq!(out.headers.get("x").unwrap(), "y");
    });
}

#[test]
fn user_streams_are_drained_by_finalize() {
    let h = harness();
    h.ctx.with(|ctx| {
        let value: Value = ctx
            .eval(
                r#"(async () => {
                    const enc = new TextEncoder();
                    let i = 0;
                    const stream = new ReadableStream({
                        async pull(c) {
                            await null;
                            if (i < 3) c.enqueue(enc.encode("part" + i++ + ";"));
                            else c.close();
                        },
                    });
                    return new Response(stream, { headers: { "content-type": "text/plain" } });
                })()"#,
            )
            .unwrap();
        let finalized = settle(&ctx, finalize_response(&ctx, value).unwrap()).unwrap();
        // A stream body is not read here: it comes back for the embedder to pump.
        let (out, stream) =
            switchyard_web::response_from_js_streaming(&ctx, finalized).unwrap();
        assert!(out.body.as_bytes().is_some_and(|b| b.is_empty()));
        assert!(stream.is_some_and(|s| s.is_object()));
        assert_eq!(out.headers.get("content-type").unwrap(), "text/plain");

        // A request with a stream body, through prepare_request's (input, init) form.
        let input: Value = ctx.eval("'https://svc.internal/path'").unwrap();
        let init: Value = ctx
            .eval(
                "({ method: 'POST', body: new ReadableStream({ start(c) { c.enqueue(new Uint8Array([1, 2])); c.enqueue(new Uint8Array([3])); c.close(); } }) })",
            )
            .unwrap();
        let prepared = prepare(&ctx, input, Some(init)).unwrap();
        // Not read here either: the stream comes back for the embedder to pump.
        let (out, stream) =
            switchyard_web::request_from_js_streaming(&ctx, prepared.clone()).unwrap();
        assert!(out.body.as_bytes().is_some_and(|b| b.is_empty()));
        assert!(stream.is_some_and(|s| s.is_object()));
        assert_eq!(out.url, "https://svc.internal/path");
        let used: bool = call(&ctx, "(req) => req.bodyUsed", prepared).get().unwrap();
        assert!(!used, "handing the stream over does not read it");
    });
}

#[test]
fn finalize_and_prepare_errors() {
    let h = harness();
    h.ctx.with(|ctx| {
        for src in [
            "42",
            "Promise.resolve({})",
            "Promise.resolve(new Request('https://a.test'))",
            "undefined",
        ] {
            let value: Value = ctx.eval(src).unwrap();
            let err = settle(&ctx, finalize_response(&ctx, value).unwrap()).unwrap_err();
            assert_eq!(
                err,
                "TypeError: Incorrect type for Promise: the Promise did not resolve to 'Response'.",
                "{src}"
            );
        }
        let rejected: Value = ctx
            .eval("Promise.reject(new RangeError('handler failed'))")
            .unwrap();
        let err = settle(&ctx, finalize_response(&ctx, rejected).unwrap()).unwrap_err();
        assert_eq!(err, "RangeError: handler failed");

        let used: Value = ctx
            .eval("(() => { const r = new Response('x'); r.text(); return r; })()")
            .unwrap();
        let err = settle(&ctx, finalize_response(&ctx, used).unwrap()).unwrap_err();
        assert!(
            err.starts_with("TypeError: Body has already been used"),
            "{err}"
        );

        let error_response: Value = ctx.eval("Response.error()").unwrap();
        let finalized = settle(&ctx, finalize_response(&ctx, error_response).unwrap()).unwrap();
        assert!(response_from_js(&ctx, finalized).is_err());
        let e = ctx.catch();
        assert!(describe_exception(&ctx, e).starts_with("TypeError: "));

        let input: Value = ctx.eval("'/relative'").unwrap();
        let err = prepare(&ctx, input, None).unwrap_err();
        assert!(err.starts_with("TypeError: "), "{err}");
        let input: Value = ctx.eval("'https://a.test'").unwrap();
        let init: Value = ctx.eval("({ method: 'GET', body: 'x' })").unwrap();
        let err = prepare(&ctx, input, Some(init)).unwrap_err();
        assert!(err.starts_with("TypeError: "), "{err}");

        let not_a_request: Value = ctx.eval("({})").unwrap();
        assert!(request_from_js(&ctx, not_a_request).is_err());
        let _ = ctx.catch();
    });
}

#[test]
fn js_built_bodies_extract() {
    let h = harness();
    h.ctx.with(|ctx| {
        for (src, expected) in [
            ("new Response('héllo')", "héllo".as_bytes().to_vec()),
            (
                "new Response(new Uint8Array([1, 2, 3]).subarray(1))",
                vec![2, 3],
            ),
            (
                "new Response(new URLSearchParams({ a: 'b c' }))",
                b"a=b+c".to_vec(),
            ),
            ("new Response(null, { status: 204 })", vec![]),
            ("Response.json({ ok: true })", br#"{"ok":true}"#.to_vec()),
            (
                "new Response('lone \\ud800')",
                "lone \u{FFFD}".as_bytes().to_vec(),
            ),
            (
                "new Response(new Response('cloned').clone().body)",
                b"cloned".to_vec(),
            ),
        ] {
            let value: Value = ctx.eval(src).unwrap();
            let finalized = settle(&ctx, finalize_response(&ctx, value).unwrap()).unwrap();
            let out = response_from_js(&ctx, finalized).unwrap();
            assert_eq!(out.body.as_bytes().unwrap().to_vec(), expected, "{src}");
        }
        let value: Value = ctx
            .eval("new Response('x', { headers: { 'x-bytes': 'caf\\u00e9' } })")
            .unwrap();
        let out = response_from_js(&ctx, value).unwrap();
        assert_eq!(out.headers.get("x-bytes").unwrap().as_bytes(), b"caf\xe9");
        assert_eq!(
            out.headers.get("content-type").unwrap(),
            "text/plain;charset=UTF-8"
        );
    });
}

#[test]
fn two_contexts_in_one_runtime() {
    let h = harness();
    let ctx2 = rquickjs::Context::full(&h.rt).unwrap();
    ctx2.with(|ctx| {
        // Not installed here: a clean error, not a panic.
        assert!(request_to_js(&ctx, sample_request(b"")).is_err());
        let _ = ctx.catch();
        switchyard_web::install(&ctx, silent_options()).unwrap();
        let js = request_to_js(&ctx, sample_request(b"two")).unwrap();
        let out = request_from_js(&ctx, js).unwrap();
        assert_eq!(&out.body.as_bytes().unwrap()[..], b"two");
        // Globals made from Rust classes are this context's functions, not the first one's.
        let own: bool = ctx
            .eval("Object.getPrototypeOf(Response) === Function.prototype && Response instanceof Function")
            .unwrap();
        assert!(own);
    });
    h.ctx.with(|ctx| {
        let js = request_to_js(&ctx, sample_request(b"one")).unwrap();
        assert_eq!(
            &request_from_js(&ctx, js).unwrap().body.as_bytes().unwrap()[..],
            b"one"
        );
    });
}

#[test]
fn headers_nobody_reads_go_back_as_they_came_and_copies_stay_independent() {
    let h = harness();
    h.ctx.with(|ctx| {
        // Forwarded untouched (new Request(req), as a router does): the same headers, repeated
        // and Latin-1 values included, without a Headers object in between.
        let js = request_to_js(&ctx, sample_request(b"x")).unwrap();
        let forwarded = call(&ctx, "(req) => new Request(req)", js.clone());
        let out = request_from_js(&ctx, forwarded).unwrap();
        let multi: Vec<_> = out.headers.get_all("x-multi").iter().collect();
        assert_eq!(multi, ["a", "b"]);
        assert_eq!(out.headers.get("x-latin1").unwrap().as_bytes(), b"caf\xe9");

        // A copy's headers are its own and mutable; the incoming request's stay immutable.
        let js = request_to_js(&ctx, sample_request(b"")).unwrap();
        let out: String = call(
            &ctx,
            r#"(req) => {
              const copy = new Request(req);
              copy.headers.set("x-copy", "1");
              const clone = copy.clone();
              clone.headers.set("x-clone", "1");
              let immutable;
              try { req.headers.set("x-original", "1"); immutable = false; } catch { immutable = true; }
              return JSON.stringify([immutable, req.headers.has("x-copy"), copy.headers.has("x-copy"),
                copy.headers.has("x-clone"), clone.headers.has("x-copy"), clone.headers.get("x-multi")]);
            }"#,
            js,
        )
        .get()
        .unwrap();
        assert_eq!(out, r#"[true,false,true,false,true,"a, b"]"#);

        // Responses made in JS: headers only when looked at, mutable unless the spec says not.
        let out: String = ctx
            .eval(
                r#"JSON.stringify((() => {
                  const plain = new Response("hi");
                  plain.headers.set("x-set", "1");
                  const redirect = Response.redirect("https://a.test/", 301);
                  let redirectImmutable;
                  try { redirect.headers.set("x", "1"); redirectImmutable = false; } catch { redirectImmutable = true; }
                  return [[...plain.headers], redirect.headers.get("location"), redirectImmutable,
                    [...new Response(null).headers], [...Response.json({}).clone().headers]];
                })())"#,
            )
            .unwrap();
        assert_eq!(
            out,
            r#"[[["content-type","text/plain;charset=UTF-8"],["x-set","1"]],"https://a.test/",true,[],[["content-type","application/json"]]]"#
        );
    });
}

/// A request or response Rust made keeps what it was made of until JavaScript looks at it
/// (src/message.rs). Taken back untouched, as a router forwards a request and returns the
/// reply, it leaves whole, and JavaScript reading it afterwards sees it as taken.
#[test]
fn messages_nobody_looked_at_leave_whole_and_stay_readable() {
    let h = harness();
    h.ctx.with(|ctx| {
        let taken_twice = |result: rquickjs::Result<()>| match result {
            Ok(()) => panic!("taken twice"),
            Err(_) => describe_exception(&ctx, ctx.catch()),
        };
        let used = "Body has already been used. It can only be used once. Use tee() first if you need to read it twice.";

        let req = sample_request(b"untouched");
        let ptr = req.body.as_bytes().unwrap().as_ptr();
        let js = request_to_js(&ctx, req).unwrap();
        let out = request_from_js(&ctx, js.clone()).unwrap();
        assert_eq!(out.body.as_bytes().unwrap().as_ptr(), ptr, "same Bytes allocation");
        assert_eq!(out.method, Method::POST);
        assert_eq!(out.url, "https://example.com/a/b?c=d");
        let multi: Vec<_> = out.headers.get_all("x-multi").iter().collect();
        assert_eq!(multi, ["a", "b"]);
        assert_eq!(out.headers.get("x-latin1").unwrap().as_bytes(), b"caf\xe9");
        let after: String = call(
            &ctx,
            "(r) => JSON.stringify([r.method, r.url, r.headers.get('x-multi'), r.bodyUsed])",
            js.clone(),
        )
        .get()
        .unwrap();
        assert_eq!(after, r#"["POST","https://example.com/a/b?c=d","a, b",true]"#);
        assert_eq!(
            taken_twice(request_from_js(&ctx, js).map(drop)),
            format!("TypeError: Request: {used}")
        );

        // Read where a router reads (URL, method, a header), then forwarded: still taken whole.
        let req = sample_request(b"read first");
        let ptr = req.body.as_bytes().unwrap().as_ptr();
        let js = request_to_js(&ctx, req).unwrap();
        let read: String = call(
            &ctx,
            "(r) => JSON.stringify([r.url, r.method, r.headers.get('content-type')])",
            js.clone(),
        )
        .get()
        .unwrap();
        assert_eq!(read, r#"["https://example.com/a/b?c=d","POST","application/octet-stream"]"#);
        let out = request_from_js(&ctx, js).unwrap();
        assert_eq!(out.body.as_bytes().unwrap().as_ptr(), ptr, "same Bytes allocation");
        assert_eq!(out.headers.len(), 4);

        // A streamed body goes back as the same stream.
        let (sender, stream) = switchyard_web::BodyStream::channel(4);
        let mut req = sample_request(b"");
        req.body = switchyard_web::Body::Stream(stream);
        let js = request_to_js(&ctx, req).unwrap();
        let out = request_from_js(&ctx, js).unwrap();
        let switchyard_web::Body::Stream(mut stream) = out.body else {
            panic!("the stream became bytes");
        };
        sender.try_send(Bytes::from_static(b"chunk")).unwrap();
        sender.finish();
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        let chunk = stream.poll_chunk(&mut cx);
        assert!(
            matches!(&chunk, std::task::Poll::Ready(Some(Ok(bytes))) if &bytes[..] == b"chunk"),
            "{chunk:?}"
        );

        // A null body is never used: a GET request can be sent again.
        let mut req = sample_request(b"dropped");
        req.method = Method::GET;
        let js = request_to_js(&ctx, req).unwrap();
        for _ in 0..2 {
            let out = request_from_js(&ctx, js.clone()).unwrap();
            assert_eq!((out.method, out.body.as_bytes().unwrap().len()), (Method::GET, 0));
        }
        let after: String = call(&ctx, "(r) => JSON.stringify([r.body, r.bodyUsed])", js)
            .get()
            .unwrap();
        assert_eq!(after, "[null,false]");

        let mut headers = HeaderMap::new();
        headers.append("set-cookie", HeaderValue::from_static("a=1"));
        headers.append("set-cookie", HeaderValue::from_static("b=2"));
        let body = Bytes::from_static(b"reply");
        let ptr = body.as_ptr();
        let status = StatusCode::IM_A_TEAPOT;
        let res = response_to_js(&ctx, HttpResponse { status, headers, body: body.into() });
        let res = res.unwrap();
        let out = response_from_js(&ctx, res.clone()).unwrap();
        assert_eq!(out.body.as_bytes().unwrap().as_ptr(), ptr, "same Bytes allocation");
        assert_eq!(out.status, StatusCode::IM_A_TEAPOT);
        let cookies: Vec<_> = out.headers.get_all("set-cookie").iter().collect();
        assert_eq!(cookies, ["a=1", "b=2"]);
        let after: String = call(
            &ctx,
            "(r) => JSON.stringify([r.status, r.statusText, r.headers.getSetCookie(), r.type, r.bodyUsed])",
            res.clone(),
        )
        .get()
        .unwrap();
        assert_eq!(after, r#"[418,"I'm a teapot",["a=1","b=2"],"default",true]"#);
        assert_eq!(taken_twice(response_from_js(&ctx, res).map(drop)), format!("TypeError: Response: {used}"));

        // A null body status: no body to take, and none used.
        let res = HttpResponse {
            status: StatusCode::NO_CONTENT,
            headers: HeaderMap::new(),
            body: Bytes::from_static(b"dropped").into(),
        };
        let res = response_to_js(&ctx, res).unwrap();
        let out = response_from_js(&ctx, res.clone()).unwrap();
        assert_eq!((out.status, out.body.as_bytes().unwrap().len()), (StatusCode::NO_CONTENT, 0));
        let after: String = call(&ctx, "(r) => JSON.stringify([r.body, r.bodyUsed])", res)
            .get()
            .unwrap();
        assert_eq!(after, "[null,false]");

        // `new Response(text)` and `Response.json(data)` with no init.
        for (make, body, content_type) in [
            ("new Response('héllo')", "héllo", "text/plain;charset=UTF-8"),
            ("Response.json({ a: [1] })", r#"{"a":[1]}"#, "application/json"),
        ] {
            let res: Value = ctx.eval(make).unwrap();
            let out = response_from_js(&ctx, res.clone()).unwrap();
            assert_eq!((out.status, out.body.as_bytes().unwrap()), (StatusCode::OK, &Bytes::from(body)));
            let headers: Vec<_> = out.headers.iter().collect();
            assert_eq!(headers, [(&http::header::CONTENT_TYPE, &HeaderValue::from_static(content_type))]);
            let after: String = call(
                &ctx,
                "(r) => JSON.stringify([r.status, r.headers.get('content-type'), r.bodyUsed])",
                res.clone(),
            )
            .get()
            .unwrap();
            assert_eq!(after, format!(r#"[200,"{content_type}",true]"#));
            let text = ctx.eval::<Function, _>("(r) => r.text()").unwrap().call((res.clone(),));
            let text = settle(&ctx, text.unwrap()).unwrap_err();
            assert_eq!(text, format!("TypeError: {used}"));
            assert_eq!(taken_twice(response_from_js(&ctx, res).map(drop)), format!("TypeError: Response: {used}"));
        }
    });
}

/// The `Headers` of a request or response from Rust answers `get` and `has` from Rust's
/// `HeaderMap` until anything else is asked of it (headers.js's `#rust`); then it copies the
/// pairs. Both ways give the spec's answers.
#[test]
fn headers_from_rust_answer_from_rust_then_as_copied() {
    let h = harness();
    h.ctx.with(|ctx| {
        let mut req = sample_request(b"");
        req.headers.append("set-cookie", HeaderValue::from_static("a=1"));
        req.headers.append("set-cookie", HeaderValue::from_static("b=2"));
        let read = r#"(r) => {
            const h = r.headers;
            const reads = [h.get("X-Multi"), h.get("x-latin1"), h.get("set-cookie"), h.get("absent"),
              h.has("Content-Type"), h.has("absent"), h.has("set-cookie")];
            let invalid;
            try { h.get("bad name"); } catch (e) { invalid = `${e.name}: ${e.message}`; }
            let immutable;
            try { h.set("x", "1"); } catch (e) { immutable = e.message; }
            return JSON.stringify([reads, invalid, immutable]);
        }"#;
        let expected = r#"[["a, b","café","a=1, b=2",null,true,false,true],"TypeError: Failed to execute 'get' on 'Headers': Invalid header name: 'bad name'","Failed to execute 'set' on 'Headers': Headers are immutable."]"#;
        let js = request_to_js(&ctx, req).unwrap();
        let out: String = call(&ctx, read, js.clone()).get().unwrap();
        assert_eq!(out, expected);

        // Iterating copies the pairs; the answers stay the same, in the spec's order.
        let out: String = call(
            &ctx,
            r#"(r) => JSON.stringify([[...r.headers], r.headers.getSetCookie()])"#,
            js.clone(),
        )
        .get()
        .unwrap();
        assert_eq!(
            out,
            r#"[[["content-type","application/octet-stream"],["set-cookie","a=1"],["set-cookie","b=2"],["x-latin1","café"],["x-multi","a, b"]],["a=1","b=2"]]"#
        );
        let out: String = call(&ctx, read, js.clone()).get().unwrap();
        assert_eq!(out, expected);

        // A copy shares the list until it changes; the original stays as it was, and a request
        // made with the original's headers sends them all.
        let js = request_to_js(&ctx, sample_request(b"")).unwrap();
        let copied = call(
            &ctx,
            r#"(r) => {
              const copy = new Headers(r.headers);
              copy.append("x-multi", "c");
              copy.delete("content-type");
              return JSON.stringify([copy.get("x-multi"), copy.has("content-type"),
                r.headers.get("x-multi"), r.headers.has("content-type")]);
            }"#,
            js.clone(),
        );
        let copied: String = copied.get().unwrap();
        assert_eq!(copied, r#"["a, b, c",false,"a, b",true]"#);
        let sent = call(
            &ctx,
            "(r) => new Request('https://other.test/', { headers: r.headers })",
            js,
        );
        let out = request_from_js(&ctx, sent).unwrap();
        let multi: Vec<_> = out.headers.get_all("x-multi").iter().collect();
        assert_eq!(multi, ["a", "b"]);
        assert_eq!(out.headers.get("x-latin1").unwrap().as_bytes(), b"caf\xe9");
        assert_eq!(out.headers.len(), 4);

        // A response's, read, cloned, and given to a new response.
        let mut headers = HeaderMap::new();
        headers.append("set-cookie", HeaderValue::from_static("a=1"));
        headers.append("set-cookie", HeaderValue::from_static("b=2"));
        headers.insert("content-type", HeaderValue::from_static("text/csv"));
        let res = HttpResponse { status: StatusCode::OK, headers, body: Bytes::from_static(b"x").into() };
        let res = response_to_js(&ctx, res).unwrap();
        let out: String = call(
            &ctx,
            r#"(r) => {
              const reads = [r.headers.get("set-cookie"), r.headers.has("content-type")];
              const clone = r.clone();
              const rewrapped = new Response("y", { headers: r.headers });
              return JSON.stringify([reads, clone.headers.get("content-type"),
                rewrapped.headers.get("content-type"), r.headers.getSetCookie()]);
            }"#,
            res.clone(),
        )
        .get()
        .unwrap();
        assert_eq!(out, r#"[["a=1, b=2",true],"text/csv","text/csv",["a=1","b=2"]]"#);
        let out = response_from_js(&ctx, res).unwrap();
        let cookies: Vec<_> = out.headers.get_all("set-cookie").iter().collect();
        assert_eq!(cookies, ["a=1", "b=2"]);
        assert_eq!(out.headers.get("content-type").unwrap(), "text/csv");
    });
}

/// Calls `f` (with no arguments) the raw way, its result through `from_raw_call`.
fn raw_call<'js>(ctx: &Ctx<'js>, f: &rquickjs::Function<'js>) -> rquickjs::Result<Value<'js>> {
    let raw = ctx.as_raw().as_ptr();
    let undefined = Value::new_undefined(ctx.clone());
    // SAFETY: live values of this context; the call's result is ours.
    unsafe {
        let result =
            rquickjs::qjs::JS_Call(raw, f.as_raw(), undefined.as_raw(), 0, std::ptr::null_mut());
        switchyard_web::from_raw_call(ctx, result)
    }
}

#[test]
fn a_raw_call_gives_its_value_or_leaves_its_exception_pending() {
    let h = harness();
    h.ctx.with(|ctx| {
        let answer: rquickjs::Function = ctx.eval("() => 42").unwrap();
        assert_eq!(raw_call(&ctx, &answer).unwrap().as_int(), Some(42));
        let thrower: rquickjs::Function = ctx.eval("() => { throw new TypeError('no') }").unwrap();
        let error = raw_call(&ctx, &thrower).unwrap_err();
        assert!(matches!(error, rquickjs::Error::Exception), "{error:?}");
        assert_eq!(describe_exception(&ctx, ctx.catch()), "TypeError: no");
    });
}

#[test]
fn a_rust_panic_inside_a_raw_call_resumes_in_the_caller() {
    let h = harness();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        h.ctx.with(|ctx| {
            let panics =
                rquickjs::Function::new(ctx.clone(), || -> i32 { panic!("a bug in a native") })
                    .unwrap();
            let _ = raw_call(&ctx, &panics);
        })
    }));
    let payload = outcome.expect_err("the panic was swallowed");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"a bug in a native"));
    // Nothing is left for a later call to trip over.
    h.ctx.with(|ctx| {
        let thrower: rquickjs::Function = ctx.eval("() => { throw 1 }").unwrap();
        assert!(thrower.call::<_, ()>(()).is_err());
    });
}
