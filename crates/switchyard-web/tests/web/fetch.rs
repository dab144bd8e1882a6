use crate::common::harness;

#[test]
fn request_basics() {
    let h = harness();
    let out = h.run(
        r#"
        const r = new Request("https://a.test/p?q#h", { method: "post", headers: { "X-A": "1" }, body: "hi" });
        const g = new Request(new URL("https://a.test"));
        return [r.method, r.url, r.headers.get("x-a"), r.headers.get("content-type"), r.redirect, r.bodyUsed,
                r.body instanceof ReadableStream, await r.text(), r.bodyUsed, g.method, g.body, g.cf, g.signal.aborted,
                new Request("https://a.test", { method: "patch" }).method,
                new Request("https://a.test", { method: "DeLeTe" }).method,
                new Request("https://a.test", { method: "custom" }).method,
                Request.length, Object.prototype.toString.call(r)];
        "#,
    );
    assert_eq!(
        out,
        r#"["POST","https://a.test/p?q#h","1","text/plain;charset=UTF-8","follow",false,true,"hi",true,"GET",null,null,false,"patch","DELETE","custom",1,"[object Request]"]"#
    );
}

#[test]
fn request_errors() {
    let h = harness();
    for (src, class) in [
        ("new Request('/relative')", "TypeError"),
        ("new Request('https://u:p@a.test/')", "TypeError"),
        (
            "new Request('https://a.test', { method: 'GET', body: 'x' })",
            "TypeError",
        ),
        (
            "new Request('https://a.test', { method: 'HEAD', body: 'x' })",
            "TypeError",
        ),
        (
            "new Request('https://a.test', { method: 'CONNECT' })",
            "TypeError",
        ),
        (
            "new Request('https://a.test', { method: 'bad method' })",
            "TypeError",
        ),
        (
            "new Request('https://a.test', { redirect: 'nope' })",
            "TypeError",
        ),
        ("new Request('https://a.test', 5)", "TypeError"),
        ("new Request()", "TypeError"),
        ("Request('https://a.test')", "TypeError"),
    ] {
        let err = h.throws(src);
        assert!(err.starts_with(&format!("{class}: ")), "{src}: {err}");
    }
}

#[test]
fn request_from_request() {
    let h = harness();
    let out = h.run(
        r#"
        const a = new Request("https://a.test/x", { method: "PUT", headers: { a: "1" }, body: "payload", cf: { k: 1 }, redirect: "manual" });
        const b = new Request(a, { headers: { b: "2" } });
        const aUsed = a.bodyUsed;
        let err;
        try { new Request(a); } catch (e) { err = e.name; }
        return [b.method, b.url, b.headers.get("a"), b.headers.get("b"), b.cf, b.redirect, aUsed, err, await b.text()];
        "#,
    );
    assert_eq!(
        out,
        r#"["PUT","https://a.test/x",null,"2",{"k":1},"manual",true,"TypeError","payload"]"#
    );
    // Turning a request with a body into a GET is rejected.
    let err = h.throws(
        "new Request(new Request('https://a.test', {method: 'POST', body: 'x'}), {method: 'GET'})",
    );
    assert!(err.starts_with("TypeError"), "{err}");
}

#[test]
fn body_readers_and_used() {
    let h = harness();
    let out = h.run(
        r#"
        const r = new Response('{"a":[1,2]}');
        const j = await r.json();
        let err;
        try { await r.text(); } catch (e) { err = e.name + ": " + e.message; }
        const ab = await new Response("héllo").arrayBuffer();
        const bytes = await new Response(new Uint8Array([1, 2, 3])).bytes();
        const fromBuf = await new Response(new Uint16Array([0x6968]).buffer).text();
        const params = new Response(new URLSearchParams("a=1&b=x y"));
        const bad = new Response("{");
        let jsonErr;
        try { await bad.json(); } catch (e) { jsonErr = e.name; }
        const empty = new Response(null);
        return [j, err, ab instanceof ArrayBuffer, ab.byteLength, bytes instanceof Uint8Array, Array.from(bytes), fromBuf,
                params.headers.get("content-type"), await params.text(), jsonErr, await empty.text(), empty.body,
                (await empty.arrayBuffer()).byteLength, new Response(123).headers.get("content-type"),
                await new Response("\ufeffbom").text()];
        "#,
    );
    assert_eq!(
        out,
        r#"[{"a":[1,2]},"TypeError: Body has already been used. It can only be used once. Use tee() first if you need to read it twice.",true,6,true,[1,2,3],"hi","application/x-www-form-urlencoded;charset=UTF-8","a=1&b=x+y","SyntaxError","",null,0,"text/plain;charset=UTF-8","bom"]"#
    );
}

/// The global `Response` makes `new Response(text)` in Rust and leaves the rest to fetch.js's
/// class; to JavaScript it must be that class in every way a worker can look (but one:
/// `Function.prototype.toString` shows native code, as a browser's `Response` does).
#[test]
fn the_global_response_is_the_class_in_every_way_javascript_sees() {
    let h = harness();
    let out = h.run(
        r#"
        const text = async (r) => `${r.status} ${r.headers.get("content-type")} ${await r.text()}`;
        class Sub extends Response {
          constructor(body) { super(body, undefined); this.extra = 1; }
        }
        class Other {}
        const viaReflect = Reflect.construct(Response, ["r"], Other);
        let called, expected;
        try { Response("x"); } catch (e) { called = `${e.name}: ${e.message}`; }
        try { (class {})(); } catch (e) { expected = `${e.name}: ${e.message}`; }
        const desc = Object.getOwnPropertyDescriptor(Response, "prototype");
        const ctorDesc = Object.getOwnPropertyDescriptor(Response.prototype, "constructor");
        const sub = new Sub("sub");
        const long = "é".repeat(20000);
        const limit = "a".repeat(16384), over = "b".repeat(16385);
        const rope = `${"x".repeat(300)}${"y".repeat(300)}`;
        let plainCall;
        try { Response.call({}, "x"); } catch (e) { plainCall = e.name; }
        // `this` is the function itself, as `new.target` is in `new Response("x")`: still a call.
        try { Response.call(Response, "x"); } catch (e) { plainCall += ` ${e.name}`; }
        const bound = Response.bind(null, "bound");
        return [
          typeof Response, Response.name, Response.length, Response.prototype.constructor === Response,
          desc.writable || desc.enumerable || desc.configurable, ctorDesc.writable && !ctorDesc.enumerable && ctorDesc.configurable,
          Object.getOwnPropertyDescriptor(globalThis, "Response").enumerable,
          // Static operations, as WebIDL defines them: writable, enumerable, configurable.
          ["json", "redirect", "error"].every((k) => {
            const d = Object.getOwnPropertyDescriptor(Response, k);
            return typeof d.value === "function" && d.writable && d.enumerable && d.configurable;
          }),
          called === expected, called.startsWith("TypeError"),
          await text(new Response("plain")), await text(new Response("u", undefined)),
          await text(new Response("init", { status: 201, headers: { "content-type": "x/y" } })),
          await text(new Response()), await text(new Response(null, { status: 204 })),
          await text(new Response("a\ud800b")), (await new Response(long).text()) === long,
          sub instanceof Sub, sub instanceof Response, sub.extra, await sub.text(),
          Object.getPrototypeOf(viaReflect) === Other.prototype,
          await text(Response.json({ a: 1 })), Response.redirect("https://a.test/", 301).status,
          Response.error().type, new Response("x") instanceof Response,
          Object.getPrototypeOf(new Response("x")) === Response.prototype,
          Object.getPrototypeOf(Response) === Function.prototype, Response instanceof Function,
          Object.getOwnPropertyNames(Response).join(),
          JSON.stringify([Object.getOwnPropertyDescriptor(Response, "name"), Object.getOwnPropertyDescriptor(Response, "length")]),
          plainCall, await text(new Response("three", undefined, 1)), await text(new Response(new String("boxed"))),
          (await new Response(limit).text()) === limit, (await new Response(over).text()) === over,
          (await new Response(rope).text()) === rope, await text(new bound()),
          (() => { try { return new Proxy(Response, {})("p"); } catch (e) { return e.name; } })(),
          await text(new (new Proxy(Response, {}))("proxy")),
          await text(Reflect.construct(Response, ["target"], new Proxy(Response, {}))),
        ];
        "#,
    );
    assert_eq!(
        out,
        r#"["function","Response",0,true,false,true,false,true,true,true,"200 text/plain;charset=UTF-8 plain","200 text/plain;charset=UTF-8 u","201 x/y init","200 null ","204 null ","200 text/plain;charset=UTF-8 a�b",true,true,true,1,"sub",true,"200 application/json {\"a\":1}",301,"error",true,true,true,true,"length,name,prototype,error,redirect,json","[{\"value\":\"Response\",\"writable\":false,\"enumerable\":false,\"configurable\":true},{\"value\":0,\"writable\":false,\"enumerable\":false,\"configurable\":true}]","TypeError TypeError","200 text/plain;charset=UTF-8 three","200 text/plain;charset=UTF-8 boxed",true,true,true,"200 text/plain;charset=UTF-8 bound","TypeError","200 text/plain;charset=UTF-8 proxy","200 text/plain;charset=UTF-8 target"]"#
    );
    // The class and the function hold each other through Rust: after a collection both still
    // work (and the runtime's teardown, which asserts nothing leaked, frees both).
    h.rt.run_gc();
    assert_eq!(
        h.run(r#"return [await new Response("after").text(), Response.prototype.constructor === Response];"#),
        r#"["after",true]"#
    );
}

/// `json()` on a body of bytes parses the bytes (json/parse.rs), or, for what only
/// `JSON.parse` can do, the decoded text: the same values and errors either way.
#[test]
fn json_of_byte_bodies_is_the_decoded_text_parsed() {
    let h = harness();
    let out = h.run(
        r#"
        const enc = new TextEncoder();
        const bodies = [
          enc.encode('{"name":"é日本😀","n":[1,-0,2.5e3],"__proto__":{"x":1}}'),
          new Uint8Array([0xef, 0xbb, 0xbf, ...enc.encode('[1]')]),
          new Uint8Array([0x22, 0xff, 0x61, 0x22]),
          enc.encode('"\\ud800"'),
          enc.encode('{"a":1,}'),
          enc.encode(''),
        ];
        const out = [];
        for (const bytes of bodies) {
          const text = new TextDecoder().decode(bytes);
          let expected;
          try { expected = JSON.stringify(JSON.parse(text)); } catch (e) { expected = e.name + ": " + e.message; }
          let got;
          try {
            const v = await new Response(bytes).json();
            got = JSON.stringify(v);
            if (v && typeof v === "object" && !Array.isArray(v)) {
              got += Object.is(v.n[1], -0) + Object.getOwnPropertyNames(v).join();
              expected += Object.is(JSON.parse(text).n[1], -0) + Object.getOwnPropertyNames(JSON.parse(text)).join();
            }
          } catch (e) { got = e.name + ": " + e.message; }
          out.push(got === expected ? got : `${got} !== ${expected}`);
        }
        // A streamed body, read chunk by chunk, is parsed from the bytes too.
        const stream = new ReadableStream({
          start(c) { c.enqueue(enc.encode('{"s":[1,')); c.enqueue(enc.encode('"é"]}')); c.close(); },
        });
        out.push(JSON.stringify(await new Response(stream).json()));
        return out;
        "#,
    );
    assert_eq!(
        out,
        r#"["{\"name\":\"é日本😀\",\"n\":[1,0,2500],\"__proto__\":{\"x\":1}}truename,n,__proto__","[1]","\"�a\"","\"\\ud800\"","SyntaxError: Expected property name or '}' in JSON at position 7 (line 1 column 8)","SyntaxError: Unexpected end of JSON input","{\"s\":[1,\"é\"]}"]"#
    );
}

#[test]
fn buffer_bodies_are_copied_at_construction() {
    let h = harness();
    let out = h.run(
        r#"
        const buf = new Uint8Array([104, 105]);
        const r = new Response(buf);
        buf[0] = 120;
        return await r.text();
        "#,
    );
    assert_eq!(out, "hi");
}

#[test]
fn clone_tees_the_body() {
    let h = harness();
    let out = h.run(
        r#"
        const r = new Response("twice", { status: 201, statusText: "Made", headers: { a: "1" } });
        const c = r.clone();
        const req = new Request("https://a.test", { method: "POST", body: "rq" });
        const rc = req.clone();
        let stream = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode("st")); c.enqueue(new TextEncoder().encode("ream")); c.close(); } });
        const s = new Response(stream);
        const sc = s.clone();
        await r.text();
        let err;
        try { r.clone(); } catch (e) { err = e.name; }
        return [await c.text(), c.status, c.statusText, c.headers.get("a"), await rc.text(), await req.text(),
                await s.text(), await sc.text(), err];
        "#,
    );
    assert_eq!(
        out,
        r#"["twice",201,"Made","1","rq","rq","stream","stream","TypeError"]"#
    );
}

#[test]
fn response_constructor() {
    let h = harness();
    let out = h.run(
        r#"
        const r = new Response();
        const s = new Response("x", { status: 404, statusText: "Nope" });
        return [r.status, r.ok, r.statusText, r.type, r.url, r.redirected, r.body, s.status, s.ok, s.statusText,
                new Response(null, { status: 204 }).status, Response.length,
                new Response("", { status: 65736 }).status];
        "#,
    );
    assert_eq!(
        out,
        r#"[200,true,"","default","",false,null,404,false,"Nope",204,0,200]"#
    );
    for (src, class) in [
        ("new Response('x', { status: 199 })", "RangeError"),
        ("new Response('x', { status: 600 })", "RangeError"),
        ("new Response('x', { status: 0 })", "RangeError"),
        ("new Response('x', { status: 204 })", "TypeError"),
        ("new Response('x', { status: 304 })", "TypeError"),
        ("new Response('x', { statusText: 'a\\nb' })", "TypeError"),
        (
            "new Response('x', { headers: { 'a b': '1' } })",
            "TypeError",
        ),
        ("new Response('x', 1)", "TypeError"),
    ] {
        let err = h.throws(src);
        assert!(err.starts_with(&format!("{class}: ")), "{src}: {err}");
    }
}

#[test]
fn response_statics() {
    let h = harness();
    let out = h.run(
        r#"
        const j = Response.json({ a: 1 }, { status: 201, headers: { "x": "y" } });
        const j2 = Response.json("s", { headers: { "content-type": "application/vnd.api+json" } });
        const r = Response.redirect("https://a.test/to?x", 307);
        const d = Response.redirect("https://a.test/");
        const e = Response.error();
        return [j.status, j.headers.get("content-type"), j.headers.get("x"), await j.text(),
                j2.headers.get("content-type"), r.status, r.headers.get("location"), r.body, d.status,
                e.type, e.status, e.statusText, e.ok, e.body, Response.json.length, Response.redirect.length];
        "#,
    );
    assert_eq!(
        out,
        r#"[201,"application/json","y","{\"a\":1}","application/vnd.api+json",307,"https://a.test/to?x",null,302,"error",0,"",false,null,1,1]"#
    );
    let err = h.throws("Response.redirect('https://a.test', 200)");
    assert!(err.starts_with("RangeError"), "{err}");
    let err = h.throws("Response.redirect('/relative')");
    assert!(err.starts_with("TypeError"), "{err}");
    let err = h.throws("Response.json(undefined)");
    assert!(err.starts_with("TypeError"), "{err}");
    let err = h.throws("Response.json(() => 1)");
    assert!(err.starts_with("TypeError"), "{err}");
}

#[test]
fn body_stream_from_source() {
    let h = harness();
    let out = h.run(
        r#"
        const r = new Response("chunk");
        const body = r.body;
        const same = body === r.body;
        const reader = body.getReader();
        const first = await reader.read();
        const second = await reader.read();
        let err;
        try { await r.text(); } catch (e) { err = e.name; }
        return [same, first.value instanceof Uint8Array, new TextDecoder().decode(first.value), first.done,
                second.done, r.bodyUsed, err];
        "#,
    );
    assert_eq!(out, r#"[true,true,"chunk",false,true,true,"TypeError"]"#);
}

#[test]
fn locked_or_disturbed_stream_bodies() {
    let h = harness();
    let out = h.run(
        r#"
        const s = new ReadableStream();
        s.getReader();
        let e1;
        try { new Response(s); } catch (e) { e1 = e.name; }
        const r = new Response("x");
        r.body.getReader();
        let e2;
        try { await r.text(); } catch (e) { e2 = e.name; }
        const used = r.bodyUsed;
        return [e1, e2, used];
        "#,
    );
    assert_eq!(out, r#"["TypeError","TypeError",false]"#);
}

#[test]
fn stream_bodies_read_as_text() {
    let h = harness();
    let out = h.run(
        r#"
        const enc = new TextEncoder();
        const parts = ["€", "uro", " ok"].map((s) => enc.encode(s));
        const stream = new ReadableStream({
            pull(c) { const p = parts.shift(); if (p) c.enqueue(p); else c.close(); }
        });
        const req = new Request("https://a.test", { method: "POST", body: stream });
        const text = await req.text();
        const bad = new Response(new ReadableStream({ start(c) { c.enqueue("not bytes"); c.close(); } }));
        let err;
        try { await bad.text(); } catch (e) { err = e.name; }
        const ab = await new Response(new ReadableStream({ start(c) { c.enqueue(new Uint8Array([1])); c.enqueue(new Uint16Array([0x0302]).buffer); c.close(); } })).arrayBuffer();
        return [text, req.bodyUsed, err, Array.from(new Uint8Array(ab))];
        "#,
    );
    assert_eq!(out, r#"["€uro ok",true,"TypeError",[1,2,3]]"#);
}

#[test]
fn request_signals_follow_the_given_signal() {
    let h = harness();
    let out = h.run(
        r#"
        const controller = new AbortController();
        const r = new Request("https://a.test", { signal: controller.signal });
        const copy = new Request(r);
        const cloned = r.clone();
        const plain = new Request("https://a.test");
        const seen = [];
        r.signal.onabort = () => seen.push("r");
        copy.signal.addEventListener("abort", () => seen.push("copy"));
        const before = [r.signal === controller.signal, r.signal.aborted, plain.signal.aborted, plain.signal === plain.signal];
        controller.abort("stop");
        let threw;
        try { new Request("https://a.test", { signal: { aborted: true } }); } catch (e) { threw = e.name; }
        return [before, r.signal.aborted, r.signal.reason, copy.signal.reason, cloned.signal.aborted, seen, threw];
        "#,
    );
    assert_eq!(
        out,
        r#"[[false,false,false,true],true,"stop","stop",true,["r","copy"],"TypeError"]"#
    );
}

/// `new Response(text)` and `Response.json(data)` are made by Rust in one call (message.rs's
/// `text_response`); with an `init`, or for a subclass, the general steps make them. Both must
/// give the same response, lone surrogates included.
#[test]
fn a_text_response_is_the_same_however_it_is_made() {
    let h = harness();
    let out = h.run(
        r#"
        class Sub extends Response {}
        const describe = async (r) => [Object.getPrototypeOf(r) === Response.prototype, r.status,
          r.statusText, r.ok, r.type, r.url, r.redirected, [...r.headers], r.bodyUsed,
          await r.clone().text(), await r.text(), r.bodyUsed];
        const out = [];
        for (const text of ["hi", "", "caf\u00e9 \u{1F600}", "a\uD800b"]) {
          const plain = await describe(new Response(text));
          const general = await describe(new Response(text, {}));
          out.push(JSON.stringify(plain) === JSON.stringify(general) ? plain.slice(9, 10) : [plain, general]);
        }
        // rawJSON text is pasted in as it is, so it can hold a lone surrogate.
        for (const data of [{ a: [1, "x"] }, "a\uD800b", null, JSON.rawJSON('"\uD800"')]) {
          const plain = await describe(Response.json(data));
          const general = await describe(Response.json(data, {}));
          out.push(JSON.stringify(plain) === JSON.stringify(general) ? plain.slice(7, 10) : [plain, general]);
        }
        const sub = new Sub("s");
        out.push(sub instanceof Sub, await sub.text());
        // Their headers can be changed, and one response's changes are not another's (the
        // list behind them is shared).
        const changed = new Response("a");
        changed.headers.append("x-a", "1");
        const json = Response.json(1);
        json.headers.set("content-type", "text/json");
        out.push([...changed.headers].length, [...new Response("b").headers], [...Response.json(2).headers]);
        return out;
        "#,
    );
    assert_eq!(
        out,
        concat!(
            "[[\"hi\"],[\"\"],[\"caf\u{e9} \u{1F600}\"],[\"a\u{FFFD}b\"],",
            r#"[[["content-type","application/json"]],false,"{\"a\":[1,\"x\"]}"],"#,
            r#"[[["content-type","application/json"]],false,"\"a\\ud800b\""],"#,
            r#"[[["content-type","application/json"]],false,"null"],"#,
            "[[[\"content-type\",\"application/json\"]],false,\"\\\"\u{FFFD}\\\"\"],",
            "true,\"s\",2,",
            r#"[["content-type","text/plain;charset=UTF-8"]],[["content-type","application/json"]]]"#
        )
    );
}

#[test]
fn requests_and_responses_can_be_subclassed_and_check_their_receiver() {
    let h = harness();
    let out = h.run(
        r#"
        class Tagged extends Request {
          #tag;
          constructor(input, init, tag) { super(input, init); this.#tag = tag; }
          get tag() { return this.#tag; }
        }
        class Made extends Response {}
        const t = new Tagged("https://a.test/x", { method: "POST", body: "b" }, "t1");
        const m = new Made("body", { status: 201 });
        // A constructor whose `prototype` is not an object: the interface's own is used.
        function Other() {}
        Other.prototype = null;
        const odd = Reflect.construct(Response, ["o"], Other);
        const wrongThis = [];
        for (const get of [() => Request.prototype.url, () => Object.getOwnPropertyDescriptor(Response.prototype, "status").get.call({})]) {
          try { get(); } catch (e) { wrongThis.push(`${e.name}: ${e.message}`); }
        }
        const rejected = await Response.prototype.text.call(new Request("https://a.test")).catch((e) => e.name);
        return [t instanceof Tagged, t instanceof Request, t.tag, t.method, await t.text(),
                m instanceof Made, m.status, m.clone() instanceof Made, await m.text(),
                Object.getPrototypeOf(odd) === Response.prototype, await odd.text(),
                wrongThis, rejected, structuredClone.length];
        "#,
    );
    assert_eq!(
        out,
        r#"[true,true,"t1","POST","b",true,201,false,"body",true,"o",["TypeError: Illegal invocation","TypeError: Illegal invocation"],"TypeError",1]"#
    );
}
