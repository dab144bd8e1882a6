use crate::common::harness;

#[test]
fn case_insensitive_and_combined() {
    let h = harness();
    let out = h.run(
        r#"
        const hs = new Headers({ "Content-Type": "text/plain" });
        hs.append("X-Multi", "a");
        hs.append("x-multi", " b\t");
        return [hs.get("content-type"), hs.get("CONTENT-TYPE"), hs.get("x-multi"), hs.has("X-MULTI"),
                hs.get("missing"), [...hs.keys()].join("|")];
        "#,
    );
    assert_eq!(
        out,
        r#"["text/plain","text/plain","a, b",true,null,"content-type|x-multi"]"#
    );
}

#[test]
fn set_cookie_kept_separate() {
    let h = harness();
    let out = h.run(
        r#"
        const hs = new Headers([["Set-Cookie", "a=1"], ["b", "2"], ["set-cookie", "c=3; Path=/"], ["a", "0"]]);
        return { get: hs.get("set-cookie"), list: hs.getSetCookie(), entries: [...hs] };
        "#,
    );
    assert_eq!(
        out,
        r#"{"get":"a=1, c=3; Path=/","list":["a=1","c=3; Path=/"],"entries":[["a","0"],["b","2"],["set-cookie","a=1"],["set-cookie","c=3; Path=/"]]}"#
    );
}

#[test]
fn iteration_is_sorted_and_live() {
    let h = harness();
    let out = h.run(
        r#"
        const hs = new Headers([["b", "2"], ["a", "1"]]);
        const seen = [];
        for (const [k, v] of hs) {
            seen.push(k + "=" + v);
            if (k === "a") hs.set("c", "3");
        }
        const fe = [];
        hs.forEach(function (v, k, obj) { fe.push(k + v + (obj === hs) + (this === 7)); }, 7);
        return [seen, fe, Object.prototype.toString.call(hs.entries()), typeof hs[Symbol.iterator]];
        "#,
    );
    assert_eq!(
        out,
        r#"[["a=1","b=2","c=3"],["a1truetrue","b2truetrue","c3truetrue"],"[object Headers Iterator]","function"]"#
    );
}

#[test]
fn constructor_forms_and_copy() {
    let h = harness();
    let out = h.run(
        r#"
        const a = new Headers([["x", "1"]]);
        const b = new Headers(a);
        b.set("x", "2");
        const c = new Headers(new Map([["y", "3"]]));
        const d = new Headers({ z: 4 });
        return [a.get("x"), b.get("x"), c.get("y"), d.get("z"), new Headers(undefined).has("x")];
        "#,
    );
    assert_eq!(out, r#"["1","2","3","4",false]"#);
}

#[test]
fn invalid_names_and_values_are_type_errors() {
    let h = harness();
    for src in [
        "new Headers().append('bad name', 'x')",
        "new Headers().append('', 'x')",
        "new Headers().set('x', 'a\\nb')",
        "new Headers().set('x', 'a\\0b')",
        "new Headers().set('x', '\\u0100')",
        "new Headers().get('ü')",
        "new Headers([['a']])",
        "new Headers([['a', 'b', 'c']])",
        "new Headers(5)",
        "new Headers().get()",
        "new Headers().append('a')",
    ] {
        let err = h.throws(src);
        assert!(err.starts_with("TypeError: "), "{src}: {err}");
    }
    // Leading/trailing HTTP whitespace is stripped, inner whitespace kept.
    let v: String = h.eval("new Headers({a: ' \\t x  y \\r\\n'}).get('a')");
    assert_eq!(v, "x  y");
    // Latin-1 bytes are allowed.
    let v: String = h.eval("new Headers({a: 'caf\\u00e9'}).get('a')");
    assert_eq!(v, "café");
}

#[test]
fn delete_and_immutable_guard() {
    let h = harness();
    let out = h.run(
        r#"
        const hs = new Headers({ a: "1", "set-cookie": "x" });
        hs.delete("A");
        hs.delete("Set-Cookie");
        const r = Response.error();
        let err;
        try { r.headers.set("a", "b"); } catch (e) { err = e.constructor.name; }
        const redirect = Response.redirect("https://example.com/x", 301);
        let err2;
        try { redirect.headers.delete("location"); } catch (e) { err2 = e.constructor.name; }
        return [[...hs].length, err, err2, redirect.headers.get("location")];
        "#,
    );
    assert_eq!(
        out,
        r#"[0,"TypeError","TypeError","https://example.com/x"]"#
    );
}

#[test]
fn interface_shape() {
    let h = harness();
    let out = h.run(
        r#"
        const hs = new Headers();
        return [Object.prototype.toString.call(hs), Headers.length, Headers.prototype.append.length,
                Headers.prototype.forEach.length, Object.keys(Headers.prototype).includes("append"),
                Headers.prototype[Symbol.iterator] === Headers.prototype.entries,
                Object.getOwnPropertyDescriptor(globalThis, "Headers").enumerable];
        "#,
    );
    assert_eq!(out, r#"["[object Headers]",0,2,1,true,true,false]"#);
    let err = h.throws("Headers()");
    assert!(err.starts_with("TypeError"), "{err}");
    let err = h.throws("Headers.prototype.get.call({}, 'a')");
    assert!(err.starts_with("TypeError"), "{err}");
}
