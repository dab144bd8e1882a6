//! URLPattern's parsing and input processing, by the `urlpattern` crate (the WICG spec's
//! algorithms, as Deno uses them). It produces ECMAScript regular expressions for each URL
//! component; js/urlpattern.js compiles and runs them with the engine's own RegExp, so patterns
//! with custom groups (`:id(\\d+)`) mean what they mean in a browser.

use rquickjs::{Ctx, Result, Value};
use urlpattern::UrlPatternOptions;
use urlpattern::quirks::{self, EcmaRegexp, StringOrInit};

use crate::natives::set_fn;

fn type_error<'js>(ctx: &Ctx<'js>, message: String) -> Result<Value<'js>> {
    Ok(rquickjs::String::from_str(ctx.clone(), &format!("TypeError: {message}"))?.into_value())
}

fn json<'js>(ctx: &Ctx<'js>, text: String) -> Result<Value<'js>> {
    Ok(rquickjs::String::from_str(ctx.clone(), &text)?.into_value())
}

/// `input` is JSON: a string, or a URLPatternInit dictionary. The result is the parsed
/// pattern as JSON (per component: pattern string, regexp string, group names), or
/// `"TypeError: …"`.
fn parse<'js>(
    ctx: Ctx<'js>,
    input: String,
    base: Option<String>,
    ignore_case: bool,
) -> Result<Value<'js>> {
    let input: StringOrInit = match serde_json::from_str(&input) {
        Ok(input) => input,
        Err(error) => return type_error(&ctx, format!("invalid URLPattern input: {error}")),
    };
    let init = match quirks::process_construct_pattern_input(input, base.as_deref()) {
        Ok(init) => init,
        Err(error) => return type_error(&ctx, error.to_string()),
    };
    let options = UrlPatternOptions {
        ignore_case,
        ..UrlPatternOptions::default()
    };
    match quirks::parse_pattern::<EcmaRegexp>(init, options) {
        Ok(pattern) => match serde_json::to_string(&pattern) {
            Ok(text) => json(&ctx, text),
            Err(error) => type_error(&ctx, error.to_string()),
        },
        Err(error) => type_error(&ctx, error.to_string()),
    }
}

/// The URL components to match for an input (JSON, as for [`parse`]); `null` when the input
/// cannot match anything (not a URL), `"TypeError: …"` when it is invalid.
fn input<'js>(ctx: Ctx<'js>, input: String, base: Option<String>) -> Result<Value<'js>> {
    let input: StringOrInit = match serde_json::from_str(&input) {
        Ok(input) => input,
        Err(error) => return type_error(&ctx, format!("invalid URLPattern input: {error}")),
    };
    let processed = match quirks::process_match_input(input, base.as_deref()) {
        Ok(Some((processed, _))) => processed,
        Ok(None) => return Ok(Value::new_null(ctx)),
        Err(error) => return type_error(&ctx, error.to_string()),
    };
    match quirks::parse_match_input(processed) {
        Some(components) => match serde_json::to_string(&components) {
            Ok(text) => json(&ctx, text),
            Err(error) => type_error(&ctx, error.to_string()),
        },
        None => Ok(Value::new_null(ctx)),
    }
}

pub(crate) fn install<'js>(n: &rquickjs::Object<'js>) -> Result<()> {
    set_fn(
        n,
        "urlPatternParse",
        |ctx: Ctx<'js>, input: String, base: Value<'js>, ignore_case: bool| {
            let base = base.as_string().map(|s| s.to_string()).transpose()?;
            parse(ctx, input, base, ignore_case)
        },
    )?;
    set_fn(
        n,
        "urlPatternInput",
        |ctx: Ctx<'js>, input_: String, base: Value<'js>| {
            let base = base.as_string().map(|s| s.to_string()).transpose()?;
            input(ctx, input_, base)
        },
    )?;
    Ok(())
}
