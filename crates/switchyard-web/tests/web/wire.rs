//! `wire::to_wire` in one runtime, `wire::from_wire` in another: what RPC relies on.

use rquickjs::{CatchResultExt, Ctx, Function, Value};
use switchyard_web::wire::{StubHooks, from_wire, to_wire};

use crate::common::{describe_exception, harness};

/// Stubs as plain numbers: exported objects are remembered by index, imports become the string
/// `stub:N` so a test can see where they landed.
#[derive(Default)]
struct Numbered {
    exported: usize,
}

impl<'js> StubHooks<'js, (usize, bool)> for Numbered {
    fn export(
        &mut self,
        _: &Ctx<'js>,
        _: Value<'js>,
        stream: bool,
    ) -> rquickjs::Result<(usize, bool)> {
        self.exported += 1;
        Ok((self.exported, stream))
    }
    fn import(
        &mut self,
        ctx: &Ctx<'js>,
        (n, stream): (usize, bool),
        _: bool,
    ) -> rquickjs::Result<Value<'js>> {
        let text = format!("{}:{n}", if stream { "stream" } else { "stub" });
        Ok(rquickjs::String::from_str(ctx.clone(), &text)?.into_value())
    }
}

/// Serialize `source` (a JS expression) in one runtime and describe the copy, with `describe`
/// (a JS function of the value), in another.
fn round_trip(source: &str, describe: &str) -> String {
    let from = harness();
    let to = harness();
    let wire = from.ctx.with(|ctx| {
        let value: Value = ctx.eval(source).catch(&ctx).unwrap();
        let is_target: Function = ctx
            .eval("(v) => v instanceof Error && v.message === 'target'")
            .unwrap();
        to_wire(&ctx, value, "args", &is_target, &mut Numbered::default())
            .map_err(|_| describe_exception(&ctx, ctx.catch()))
    });
    let wire = match wire {
        Ok(wire) => wire,
        Err(error) => return format!("error: {error}"),
    };
    to.ctx.with(|ctx| {
        let value = from_wire(&ctx, wire, &mut Numbered::default())
            .catch(&ctx)
            .unwrap();
        let describe: Function = ctx.eval(describe).catch(&ctx).unwrap();
        describe.call::<_, String>((value,)).catch(&ctx).unwrap()
    })
}

const JSON: &str = "(v) => JSON.stringify(v, (k, x) => x === undefined ? '<undefined>' : typeof x === 'bigint' ? `${x}n` : Object.is(x, -0) ? '<-0>' : x)";

#[test]
fn primitives_and_short_primitive_arrays_take_the_rust_path_and_arrive_intact() {
    assert_eq!(round_trip("'héllo'", JSON), r#""héllo""#);
    assert_eq!(round_trip("2 ** 40", JSON), "1099511627776");
    assert_eq!(round_trip("-0", JSON), r#""<-0>""#);
    assert_eq!(round_trip("undefined", "(v) => String(v)"), "undefined");
    assert_eq!(
        round_trip("[1, 'two', null, undefined, true, 2.5]", JSON),
        r#"[1,"two",null,"<undefined>",true,2.5]"#
    );
    assert_eq!(
        round_trip("[]", "(v) => `${Array.isArray(v)} ${v.length}`"),
        "true 0"
    );
}

#[test]
fn long_nested_and_sparse_arrays_take_the_js_path() {
    let long: Vec<String> = (0..40).map(|i| i.to_string()).collect();
    assert_eq!(
        round_trip(
            &format!("[{}]", long.join(",")),
            "(v) => `${v.length} ${v[39]}`"
        ),
        "40 39"
    );
    assert_eq!(
        round_trip("[1, [2, [3n]], {a: -0}]", JSON),
        r#"[1,[2,["3n"]],{"a":"<-0>"}]"#
    );
    // A hole arrives as undefined.
    assert_eq!(
        round_trip("[1, , 3]", "(v) => `${v.length} ${1 in v} ${v[1]}`"),
        "3 true undefined"
    );
}

#[test]
fn references_types_and_stubs_survive_between_runtimes() {
    assert_eq!(
        round_trip(
            "const o = {n: 1}; const a = [o, o]; a.push(a); a",
            "(v) => `${v[0] === v[1]} ${v[2] === v} ${v[0].n}`"
        ),
        "true true 1"
    );
    assert_eq!(
        round_trip(
            "({ f() {}, t: new Error('target'), d: new Date(5), m: new Map([[1, new Set([2])]]) })",
            "(v) => `${v.f} ${v.t} ${v.d.getTime()} ${[...v.m.get(1)]}`"
        ),
        "stub:1 stub:2 5 2"
    );
    assert_eq!(
        round_trip("new ReadableStream()", "(v) => String(v)"),
        "[object ReadableStream]",
        "the deserializer wraps a stream's stub in a ReadableStream"
    );
    assert_eq!(
        round_trip(
            "new Float64Array([1.5, -2]).subarray(1)",
            "(v) => `${v.constructor.name} ${v[0]} ${v.byteOffset}`"
        ),
        "Float64Array -2 8"
    );
}

#[test]
fn uncloneable_values_name_their_path() {
    assert_eq!(
        round_trip("[1, {deep: [Symbol('x')]}]", JSON),
        "error: DataCloneError: args[1].deep[0]: a Symbol could not be cloned."
    );
    assert_eq!(
        round_trip("({'odd key': new WeakSet()})", JSON),
        "error: DataCloneError: args[\"odd key\"]: #<WeakSet> could not be cloned."
    );
}
