use crate::common::harness;

#[test]
fn clones_values_and_graphs() {
    let h = harness();
    let out = h.run(
        r#"
        const shared = { s: 1 };
        const src = {
            n: -0, big: 10n, str: "x", bool: true, undef: undefined, nul: null,
            date: new Date(86400000), re: /a+b/gi, map: new Map([[shared, "v"]]), set: new Set([shared, 2]),
            arr: [1, , 3], a: shared, b: shared,
            boxed: [Object(1), Object("s"), Object(false), Object(5n)],
        };
        src.self = src;
        const c = structuredClone(src);
        return [c !== src, c.self === c, c.a === c.b, c.a !== shared, Object.is(c.n, -0), c.big === 10n,
                c.date instanceof Date && c.date.getTime() === 86400000, c.re.source, c.re.flags,
                c.map.get([...c.map.keys()][0]), [...c.map.keys()][0] === c.a, c.set.has(c.a), 1 in c.arr, c.arr.length,
                c.boxed.map((x) => typeof x + ":" + x.valueOf()), "undef" in c];
        "#,
    );
    assert_eq!(
        out,
        r#"[true,true,true,true,true,true,true,"a+b","gi","v",true,true,false,3,["object:1","object:s","object:false","object:5"],true]"#
    );
}

#[test]
fn clones_binary_data_and_errors() {
    let h = harness();
    let out = h.run(
        r#"
        const buf = new ArrayBuffer(8);
        const u8 = new Uint8Array(buf, 2, 4);
        u8.set([1, 2, 3, 4]);
        const dv = new DataView(buf, 1, 3);
        const c = structuredClone({ buf, u8, dv });
        c.u8[0] = 9;
        const e = structuredClone(new RangeError("bad"));
        const custom = new Error("x");
        custom.name = "MyError";
        const ce = structuredClone(custom);
        const t = new Uint8Array([5, 6]);
        const moved = structuredClone(t, { transfer: [t.buffer] });
        return [c.u8.buffer === c.buf, c.dv.buffer === c.buf, c.u8.byteOffset, Array.from(c.u8), u8[0],
                c.dv.byteOffset, c.dv.byteLength, e instanceof RangeError, e.message, typeof e.stack, ce.name,
                Array.from(moved), t.byteLength, t.buffer.detached];
        "#,
    );
    assert_eq!(
        out,
        r#"[true,true,2,[9,2,3,4],1,1,3,true,"bad","string","Error",[5,6],0,true]"#
    );
}

#[test]
fn data_clone_errors() {
    let h = harness();
    for (src, needle) in [
        (
            "structuredClone(function foo() {})",
            "function foo() {} could not be cloned.",
        ),
        ("structuredClone({ f: () => 1 })", "could not be cloned."),
        (
            "structuredClone(Symbol('s'))",
            "Symbol(s) could not be cloned.",
        ),
        (
            "structuredClone(new WeakMap())",
            "#<WeakMap> could not be cloned.",
        ),
        (
            "structuredClone(Promise.resolve())",
            "#<Promise> could not be cloned.",
        ),
        (
            "structuredClone(new Headers())",
            "#<Headers> could not be cloned.",
        ),
        (
            "structuredClone(new Request('https://a.test'))",
            "could not be cloned.",
        ),
    ] {
        let err = h.throws(src);
        assert!(err.starts_with("DataCloneError: "), "{src}: {err}");
        assert!(err.contains(needle), "{src}: {err}");
    }
    let code: i32 = h.eval("(() => { try { structuredClone(() => 1) } catch (e) { return e instanceof DOMException ? e.code : -1 } })()");
    assert_eq!(code, 25);
    let err = h.throws("structuredClone()");
    assert!(err.starts_with("TypeError"), "{err}");
}
