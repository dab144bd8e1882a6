//! How the Web API's JavaScript is put together: the core, one module every context loads, and
//! the extras, modules a context loads on first use. Every file is a fragment: the core's share
//! one function body; an extra's share one function of the `kit` (the core names it uses) and
//! return its exports. An extra may use another extra's top-level names (`needs`); they are
//! taken from that extra, loaded first.

use std::collections::HashSet;
use std::sync::OnceLock;

/// The JS bootstrap's core: a module whose default export installs everything. Every file is a
/// fragment of that one function body, so they share private helpers while nothing but what
/// `globals.js` defines reaches `globalThis`. The function refuses to run twice, in case worker
/// code manages to import the module by name.
pub(crate) const CORE: &[&str] = &[
    include_str!("../js/util.js"),
    include_str!("../js/encoding.js"),
    include_str!("../js/url.js"),
    include_str!("../js/headers.js"),
    include_str!("../js/extras.js"),
    include_str!("../js/fetch.js"),
    include_str!("../js/globals.js"),
];
pub(crate) const BOOTSTRAP_NAME: &str = "switchyard:web/bootstrap";

/// Parts of the Web API a context loads on first use: each is its own module, compiled to
/// bytecode once per process. Loading bytecode costs memory in every isolate, so an isolate
/// that never touches `crypto.subtle` or `WritableStream` does not pay for them (~270 KiB).
/// An extra's code sees the core's helpers through the `kit` its default export receives.
pub(crate) struct Extra {
    pub(crate) name: &'static str,
    files: &'static [&'static str],
    /// What the core (and `defineLazyGlobal`) takes from it. Names other extras need from it
    /// are added.
    exports: &'static [&'static str],
    /// Extras whose top-level names this one uses; loaded first, when this one loads.
    needs: &'static [&'static str],
}

pub(crate) const EXTRAS: &[Extra] = &[
    Extra {
        name: "crypto",
        files: &[include_str!("../js/crypto.js")],
        exports: &["SubtleCrypto", "CryptoKey", "subtle"],
        needs: &[],
    },
    Extra {
        name: "streams",
        files: &[
            include_str!("../js/writable.js"),
            include_str!("../js/transform.js"),
            include_str!("../js/bytes.js"),
        ],
        exports: &[
            "ReadableByteStreamController",
            "ReadableStreamBYOBReader",
            "ReadableStreamBYOBRequest",
            "setUpByteStream",
            "bytePullSteps",
            "byteCancelSteps",
            "byteReleaseSteps",
            "byteClearPullIntos",
            "byteEnqueue",
            "bodyByteClose",
            "acquireBYOBReaderObject",
            "WritableStream",
            "WritableStreamDefaultWriter",
            "WritableStreamDefaultController",
            "TransformStream",
            "TransformStreamDefaultController",
            "ByteLengthQueuingStrategy",
            "CountQueuingStrategy",
            "TextEncoderStream",
            "TextDecoderStream",
            "CompressionStream",
            "DecompressionStream",
            "pipeTo",
            "pipeThrough",
        ],
        needs: &["events", "readable"],
    },
    Extra {
        name: "blob",
        files: &[include_str!("../js/blob.js")],
        exports: &[
            "Blob",
            "File",
            "FormData",
            "isBlob",
            "blobBytes",
            "makeBlob",
            "blobTypeOf",
            "isFormData",
            "serializeFormData",
            "formDataFromBytes",
        ],
        needs: &["readable"],
    },
    Extra {
        name: "readable",
        files: &[include_str!("../js/streams.js")],
        exports: &[
            "ReadableStream",
            "ReadableStreamDefaultReader",
            "ReadableStreamDefaultController",
            "isReadableStream",
            "isStreamUnusable",
            "streamRecordOf",
            "createBodyStream",
            "createUsedStream",
            "peekBodySource",
            "takeBodySource",
            "readAllChunks",
            "controllerError",
        ],
        needs: &[],
    },
    Extra {
        name: "events",
        files: &[include_str!("../js/events.js")],
        exports: &[
            "Event",
            "EventTarget",
            "CustomEvent",
            "ErrorEvent",
            "PromiseRejectionEvent",
            "AbortController",
            "AbortSignal",
            "reportError",
            "globalEvents",
            "performanceEvents",
            "isAbortSignal",
            "followingSignal",
        ],
        needs: &[],
    },
    Extra {
        name: "clone",
        files: &[
            include_str!("../js/clone.js"),
            include_str!("../js/wire.js"),
        ],
        exports: &["structuredClone", "wireSerialize", "wireDeserialize"],
        needs: &[],
    },
    Extra {
        name: "console",
        files: &[include_str!("../js/console.js")],
        exports: &["consoleMethods", "reportException"],
        needs: &[],
    },
    Extra {
        name: "urlpattern",
        files: &[include_str!("../js/urlpattern.js")],
        exports: &["URLPattern"],
        needs: &[],
    },
    Extra {
        name: "messaging",
        files: &[include_str!("../js/messaging.js")],
        exports: &["MessageChannel", "MessagePort", "MessageEvent"],
        needs: &["events"],
    },
];

/// Names declared at the top level of `source`: `function f`, `class C`, `const x`, `let a, b`
/// at the start of a line (the fragments do not indent their top level).
fn top_level_names(source: &str) -> Vec<&str> {
    let mut names = Vec::new();
    for line in source.lines() {
        let rest = ["async function ", "function ", "class ", "const ", "let "]
            .iter()
            .find_map(|keyword| line.strip_prefix(keyword));
        let Some(rest) = rest else { continue };
        if rest.starts_with('{') || rest.starts_with('[') {
            continue;
        }
        let declared = rest.split(['=', ';', '(', '{']).next().unwrap_or("");
        // `class X extends Y`: the name is X.
        let declared = declared.split(" extends ").next().unwrap_or("");
        for name in declared.split(',') {
            let name = name.split("//").next().unwrap_or("").trim();
            if !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '$')
            {
                names.push(name);
            }
        }
    }
    names
}

fn declared_in(files: &[&'static str]) -> HashSet<&'static str> {
    files.iter().flat_map(|f| top_level_names(f)).collect()
}

fn core_names() -> &'static HashSet<&'static str> {
    static NAMES: OnceLock<HashSet<&'static str>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut names = declared_in(CORE);
        names.extend(["native", "globalThis"]);
        names
    })
}

/// Every identifier `files` use, except after `.` or `#` (property and private names): one
/// pass over the text, not one search per name.
fn used_words<'a>(files: &[&'a str]) -> HashSet<&'a str> {
    let mut used = HashSet::new();
    let is_word = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'$';
    for file in files {
        let bytes = file.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if is_word(bytes[i]) {
                let start = i;
                while i < bytes.len() && is_word(bytes[i]) {
                    i += 1;
                }
                if start == 0 || !matches!(bytes[start - 1], b'.' | b'#') {
                    used.insert(&file[start..i]);
                }
            } else {
                i += 1;
            }
        }
    }
    used
}

fn extra_named(name: &str) -> &'static Extra {
    EXTRAS
        .iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("no Web API extra named {name}"))
}

/// What `extra` takes from elsewhere: core names (through the kit), and for each extra it
/// needs, that extra's names. Sorted, so the generated text is stable.
struct Imports {
    core: Vec<&'static str>,
    extras: Vec<(&'static str, Vec<&'static str>)>,
}

fn imports(extra: &Extra) -> Imports {
    let declared = declared_in(extra.files);
    let used = used_words(extra.files);
    let mut taken: HashSet<&str> = declared.clone();
    let mut extras = Vec::new();
    for &needed in extra.needs {
        let theirs = declared_in(extra_named(needed).files);
        let mut names: Vec<&str> = theirs
            .into_iter()
            .filter(|n| used.contains(n) && !taken.contains(n))
            .collect();
        names.sort_unstable();
        taken.extend(names.iter().copied());
        extras.push((needed, names));
    }
    let mut core: Vec<&str> = core_names()
        .iter()
        .copied()
        .filter(|n| used.contains(n) && !taken.contains(n))
        .collect();
    if !extra.needs.is_empty() && !core.contains(&"extra") {
        core.push("extra");
    }
    core.sort_unstable();
    Imports { core, extras }
}

/// `extra`'s exports: its own list, and what the extras that need it take from it.
fn exports(extra: &Extra) -> Vec<&'static str> {
    let mut names: Vec<&str> = extra.exports.to_vec();
    for other in EXTRAS.iter().filter(|e| e.needs.contains(&extra.name)) {
        for (from, taken) in imports(other).extras {
            if from == extra.name {
                names.extend(taken);
            }
        }
    }
    names.sort_unstable();
    names.dedup();
    names
}

/// The core module's source: the fragments, and `makeKit()`, which gathers the core names the
/// extras use.
pub(crate) fn bootstrap_source() -> &'static str {
    static SOURCE: OnceLock<String> = OnceLock::new();
    SOURCE.get_or_init(|| {
        let mut source = String::from(
            "let done = false;\nexport default function (native, globalThis) {\nif (done) throw \
             new TypeError(\"Illegal invocation\");\ndone = true;\n",
        );
        for file in CORE {
            source.push_str(file);
        }
        // Only what some extra uses: every name here is bytecode in every context.
        let mut kit: Vec<&str> = EXTRAS.iter().flat_map(|e| imports(e).core).collect();
        kit.sort_unstable();
        kit.dedup();
        source.push_str("\nfunction makeKit() {\nreturn { ");
        source.push_str(&kit.join(", "));
        source.push_str(" };\n}\n}\n");
        source
    })
}

/// An extra's module source: its files inside a function of the kit, taking what it uses from
/// the kit and from the extras it needs, and returning its exports.
pub(crate) fn extra_source(extra: &Extra) -> String {
    let imports = imports(extra);
    let mut source = format!(
        "export default function (kit) {{\n\"use strict\";\nconst {{ {} }} = kit;\n",
        imports.core.join(", ")
    );
    for (from, names) in &imports.extras {
        source.push_str(&format!(
            "const {{ {} }} = extra({from:?});\n",
            names.join(", ")
        ));
    }
    for file in extra.files {
        source.push_str(file);
    }
    source.push_str(&format!(
        "\nreturn {{ {} }};\n}}\n",
        exports(extra).join(", ")
    ));
    source
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extras_need_only_extras_that_exist_and_never_in_a_cycle() {
        fn visit(name: &str, path: &mut Vec<&'static str>) {
            let extra = extra_named(name);
            assert!(
                !path.contains(&extra.name),
                "extras need each other in a cycle: {path:?}"
            );
            path.push(extra.name);
            for needed in extra.needs {
                visit(needed, path);
            }
            path.pop();
        }
        for extra in EXTRAS {
            visit(extra.name, &mut Vec::new());
        }
    }

    /// A top-level name of one extra used as a plain identifier where that extra is not
    /// imported would be a ReferenceError, and only on the path that reaches it. (Names the core
    /// also declares, like the stubs in extras.js, are fine: the core's is used.)
    /// `source` with comments and the text of string and template literals blanked out (the
    /// code inside `${}` is kept), so only identifiers in code remain. Regular expressions are
    /// left as they are.
    fn code_only(source: &str) -> String {
        let bytes = source.as_bytes();
        let mut out = String::with_capacity(source.len());
        // Open template literals, each with the brace depth of its current `${}`.
        let mut templates: Vec<usize> = Vec::new();
        let mut depth = 0usize;
        let mut i = 0;
        while i < bytes.len() {
            let c = bytes[i];
            let next = bytes.get(i + 1).copied();
            if c == b'/' && next == Some(b'/') {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            } else if c == b'/' && next == Some(b'*') {
                i += 2;
                while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
            } else if c == b'"' || c == b'\'' {
                i += 1;
                while i < bytes.len() && bytes[i] != c {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                out.push_str("\"\"");
            } else if c == b'`' || (c == b'}' && templates.last() == Some(&depth)) {
                // Template text, up to its end or the next `${`.
                if c == b'}' {
                    templates.pop();
                }
                i += 1;
                loop {
                    match bytes.get(i) {
                        None => break,
                        Some(b'\\') => i += 2,
                        Some(b'`') => {
                            i += 1;
                            break;
                        }
                        Some(b'$') if bytes.get(i + 1) == Some(&b'{') => {
                            i += 2;
                            templates.push(depth);
                            break;
                        }
                        Some(_) => i += 1,
                    }
                }
                out.push(' ');
            } else {
                if c == b'{' {
                    depth += 1;
                } else if c == b'}' {
                    depth = depth.saturating_sub(1);
                }
                let start = i;
                i += 1;
                while i < bytes.len() && !bytes[i].is_ascii() {
                    i += 1;
                }
                out.push_str(&source[start..i]);
            }
        }
        out
    }

    #[test]
    fn code_only_drops_comments_and_literal_text() {
        let code = code_only("a // b\n/* c */ d \"e\" 'f\\'g' `h ${i + `j ${k}`} l` m { n }");
        let words: Vec<&str> = code
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        assert_eq!(words, ["a", "d", "i", "k", "m", "n"]);
    }

    /// The identifiers `files` use as variables: [`used_words`] of their code, less property
    /// keys in definitions (`get name()`, `name(…) {` opening a method, `name:` in a literal).
    fn variables(files: &[&'static str]) -> HashSet<String> {
        let mut names = HashSet::new();
        let mut locals = HashSet::new();
        for file in files {
            let code = code_only(file);
            // `const { a, b } = extra("x")` declares locals taken from the extra itself.
            for (pattern, _) in code.lines().filter_map(|l| l.split_once("} = extra(")) {
                if let Some((_, inner)) = pattern.rsplit_once('{') {
                    locals.extend(inner.split(',').map(|n| n.trim().to_owned()));
                }
            }
            for line in code.lines() {
                let trimmed = line.trim_start();
                let mut rest = trimmed;
                for prefix in ["static ", "async ", "get ", "set "] {
                    rest = rest.strip_prefix(prefix).unwrap_or(rest);
                }
                let key: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '$')
                    .collect();
                let after = &rest[key.len()..];
                let defines = !key.is_empty()
                    && ((after.starts_with('(') && line.trim_end().ends_with('{'))
                        || after.starts_with(':'));
                for word in used_words(&[line]) {
                    if defines && word == key && !trimmed.starts_with("function ") {
                        continue;
                    }
                    names.insert(word.to_owned());
                }
            }
        }
        names.retain(|n| !locals.contains(n));
        names
    }

    #[test]
    fn every_name_taken_from_an_extra_is_imported() {
        let core = core_names();
        let check = |who: &str, used: &HashSet<String>, own: &HashSet<&str>, needs: &[&str]| {
            for other in EXTRAS {
                if other.name == who || needs.contains(&other.name) {
                    continue;
                }
                let mut missing: Vec<_> = declared_in(other.files)
                    .into_iter()
                    .filter(|n| used.contains(*n) && !own.contains(n) && !core.contains(n))
                    .collect();
                missing.sort_unstable();
                assert!(
                    missing.is_empty(),
                    "{who} uses {missing:?} from the {} extra without needing it (add it to \
                     `needs`, or go through `extra(\"{}\")`)",
                    other.name,
                    other.name
                );
            }
        };
        check("core", &variables(CORE), &declared_in(CORE), &[]);
        for extra in EXTRAS {
            check(
                extra.name,
                &variables(extra.files),
                &declared_in(extra.files),
                extra.needs,
            );
        }
    }

    #[test]
    fn no_name_is_declared_twice_where_an_extra_would_see_both() {
        for extra in EXTRAS {
            let own = declared_in(extra.files);
            for needed in extra.needs {
                let theirs = declared_in(extra_named(needed).files);
                let clash: Vec<_> = own.intersection(&theirs).collect();
                assert!(
                    clash.is_empty(),
                    "{} and {needed} both declare {clash:?}",
                    extra.name
                );
            }
        }
    }
}
