use std::rc::Rc;

use switchyard_web::LogLevel;

use crate::common::{harness, harness_with_map_stack};

fn lines(h: &crate::common::Harness, src: &str) -> Vec<String> {
    h.take_logs();
    h.run(src);
    h.take_logs().into_iter().map(|(_, line)| line).collect()
}

#[test]
fn formats_like_node() {
    let h = harness();
    let out = lines(
        &h,
        r#"
        console.log("a", 1, { a: 1, b: [1, 2] });
        console.log({ s: "x", q: "it's", e: "" , n: null, u: undefined, neg: -0, big: 10n, sym: Symbol("s") });
        console.log({ a: { b: { c: { d: 1 } } } });
        console.log(new Map([["a", 1]]), new Set([1, 2]), new Map(), new Set());
        const o = { name: "o" };
        o.self = o;
        console.log(o);
        class Foo { constructor() { this.x = 1; } }
        console.log(new Foo(), new (class {})(), Object.assign(Object.create(null), { a: 1 }));
        console.log([1, , 3], [], {}, [[[[1]]]]);
        console.log(function f() {}, () => {}, class A {}, class B extends Foo {}, async function g() {}, function* gen() {});
        console.log(new Date(86400000), /x/g, [new Date(NaN)]);
        console.log(Array.from({ length: 10 }, (_, i) => i));
        console.log(["a", "b", "c", "d", "e", "f", "g"]);
        console.log(undefined, null, true, -0, 10n, Symbol("s"), "raw");
        console.log({ "a-b": 1, [Symbol("k")]: 2, get g() { return 1; } });
        console.log([Object(1), Object("s")], new Uint8Array([1, 2]), new ArrayBuffer(2));
        console.log(Promise.resolve(4), new Promise(() => {}), new WeakMap());
        console.log(new Headers({ a: "1" }));
        "#,
    );
    let expected = [
        "a 1 { a: 1, b: [ 1, 2 ] }",
        "{\n  s: 'x',\n  q: \"it's\",\n  e: '',\n  n: null,\n  u: undefined,\n  neg: -0,\n  big: 10n,\n  sym: Symbol(s)\n}",
        "{ a: { b: { c: [Object] } } }",
        "Map(1) { 'a' => 1 } Set(2) { 1, 2 } Map(0) {} Set(0) {}",
        "<ref *1> { name: 'o', self: [Circular *1] }",
        "Foo { x: 1 } {} [Object: null prototype] { a: 1 }",
        "[ 1, <1 empty item>, 3 ] [] {} [ [ [ [Array] ] ] ]",
        "[Function: f] [Function (anonymous)] [class A] [class B extends Foo] [AsyncFunction: g] [GeneratorFunction: gen]",
        "1970-01-02T00:00:00.000Z /x/g [ Invalid Date ]",
        "[\n  0, 1, 2, 3, 4,\n  5, 6, 7, 8, 9\n]",
        "[\n  'a', 'b', 'c',\n  'd', 'e', 'f',\n  'g'\n]",
        "undefined null true -0 10n Symbol(s) raw",
        "{ 'a-b': 1, g: [Getter], [Symbol(k)]: 2 }",
        "[ [Number: 1], [String: 's'] ] Uint8Array(2) [ 1, 2 ] ArrayBuffer { [Uint8Contents]: <00 00>, byteLength: 2 }",
        "Promise { 4 } Promise { <pending> } WeakMap { <items unknown> }",
        "Headers { a: '1' }",
    ];
    assert_eq!(out, expected);
}

#[test]
fn printf_style() {
    let h = harness();
    let out = lines(
        &h,
        r#"
        console.log("%s is %d years and %i days, %f%%", "Bob", 42.5, 3.9, "1.5x");
        console.log("%j %O", { a: 1 }, { b: [2] });
        console.log("%c styled", "color: red");
        console.log("100%", 5, "%s");
        console.log("%s");
        console.log("%s|%s|%s", 5n, { toString() { return "custom"; } }, [1, [2, [3]]]);
        const cyc = {}; cyc.c = cyc;
        console.log("%j", cyc);
        console.log("%d %d", "x", Symbol("y"));
        "#,
    );
    assert_eq!(
        out,
        [
            "Bob is 42.5 years and 3 days, 1.5%",
            "{\"a\":1} { b: [ 2 ] }",
            " styled",
            "100% 5 %s",
            "%s",
            "5n|custom|[ 1, [Array] ]",
            "[Circular]",
            "NaN NaN",
        ]
    );
}

#[test]
fn levels_and_helpers() {
    let h = harness();
    h.take_logs();
    h.run(
        r#"
        console.debug("d"); console.info("i"); console.log("l"); console.warn("w"); console.error("e");
        console.assert(true, "never");
        console.assert(false, "x %s", "y");
        console.assert(false);
        console.count(); console.count(); console.count("k"); console.countReset(); console.count();
        console.group("G"); console.log("in\nside"); console.groupEnd(); console.log("out");
        console.dir("str"); console.dir({ a: { b: { c: { d: 1 } } } }, { depth: 0 });
        console.timeEnd("missing");
        "#,
    );
    let logs = h.take_logs();
    let expected: Vec<(LogLevel, &str)> = vec![
        (LogLevel::Debug, "d"),
        (LogLevel::Info, "i"),
        (LogLevel::Log, "l"),
        (LogLevel::Warn, "w"),
        (LogLevel::Error, "e"),
        (LogLevel::Error, "Assertion failed: x y"),
        (LogLevel::Error, "Assertion failed"),
        (LogLevel::Log, "default: 1"),
        (LogLevel::Log, "default: 2"),
        (LogLevel::Log, "k: 1"),
        (LogLevel::Log, "default: 1"),
        (LogLevel::Log, "G"),
        (LogLevel::Log, "  in\n  side"),
        (LogLevel::Log, "out"),
        (LogLevel::Log, "'str'"),
        (LogLevel::Log, "{ a: [Object] }"),
        (
            LogLevel::Warn,
            "Warning: No such label 'missing' for console.timeEnd()",
        ),
    ];
    let got: Vec<(LogLevel, &str)> = logs.iter().map(|(l, s)| (*l, s.as_str())).collect();
    assert_eq!(got, expected);
}

#[test]
fn time_and_table() {
    let h = harness();
    let out = lines(
        &h,
        r#"
        console.time("t");
        console.timeEnd("t");
        console.table([{ a: 1, b: "x" }, { a: 2 }]);
        console.table(5);
        "#,
    );
    assert!(
        out[0].starts_with("t: ") && out[0].ends_with("ms"),
        "{}",
        out[0]
    );
    assert_eq!(
        out[1],
        "┌─────────┬───┬─────┐\n│ (index) │ a │  b  │\n├─────────┼───┼─────┤\n│    0    │ 1 │ 'x' │\n│    1    │ 2 │     │\n└─────────┴───┴─────┘"
    );
    assert_eq!(out[2], "5");
}

#[test]
fn errors_print_their_mapped_stack() {
    let h = harness_with_map_stack(Some(Rc::new(|stack: &str| {
        stack.replace("eval_script", "worker.ts")
    })));
    let out = lines(
        &h,
        r#"
        function thrower() { return new TypeError("bad thing"); }
        console.error(thrower());
        console.log({ e: new Error("nested") });
        const e = new Error("with props");
        e.code = "E_X";
        console.log(e);
        console.trace("here");
        console.log(new Error("outer", { cause: "why" }));
        console.log(new ReadableStream());
        "#,
    );
    assert!(out[4].starts_with("Error: outer\n    at "), "{}", out[4]);
    assert!(out[4].ends_with(" {\n  [cause]: 'why'\n}"), "{}", out[4]);
    assert_eq!(
        out[5],
        "ReadableStream { locked: false, state: 'readable', supportsBYOB: false }"
    );
    assert!(
        out[0].starts_with("TypeError: bad thing\n    at thrower (worker.ts:"),
        "{}",
        out[0]
    );
    assert!(
        out[1].starts_with("{\n  e: Error: nested\n      at "),
        "{}",
        out[1]
    );
    assert!(out[1].ends_with("\n}"), "{}", out[1]);
    assert!(
        out[2].starts_with("Error: with props\n    at "),
        "{}",
        out[2]
    );
    assert!(out[2].ends_with(" {\n  code: 'E_X'\n}"), "{}", out[2]);
    assert!(out[3].starts_with("Trace: here\n    at "), "{}", out[3]);
    assert!(out[3].contains("worker.ts"), "{}", out[3]);
    assert!(
        !out[3].contains("trace ("),
        "console.trace's own frame is hidden: {}",
        out[3]
    );
}

#[test]
fn never_throws_on_odd_input() {
    let h = harness();
    let out = lines(
        &h,
        r#"
        const p = new Proxy({ a: 1 }, { get() { throw new Error("trap"); }, ownKeys() { throw new Error("trap"); } });
        console.log(p);
        console.log({ get x() { throw new Error("getter"); } });
        console.log("lone \ud800 surrogate");
        const bad = { toString() { throw new Error("no"); } };
        console.log("%s", bad);
        "#,
    );
    assert_eq!(out[0], "{ a: 1 }");
    assert_eq!(out[1], "{ x: [Getter] }");
    assert_eq!(out[2], "lone \u{FFFD} surrogate");
    assert!(
        out[3].starts_with("[console: could not format arguments"),
        "{}",
        out[3]
    );
}
