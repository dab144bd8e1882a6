//! Turning a module's source text into JavaScript QuickJS can evaluate.
//!
//! TypeScript (`.ts`, `.mts`, `.cts`) has its types stripped by oxc and keeps a source map, so stack
//! traces point at the lines the user wrote. JavaScript is parsed by oxc too, but only to report
//! syntax errors as `file:line:col` (QuickJS's own messages are terser); its text is evaluated as is.

use std::path::Path;

use oxc_allocator::Allocator;
use oxc_ast::ast::{Program, Statement};
use oxc_codegen::{Codegen, CodegenOptions};
use oxc_diagnostics::OxcDiagnostic;
use oxc_parser::Parser;
use oxc_semantic::SemanticBuilder;
use oxc_span::SourceType;
use oxc_transformer::{TransformOptions, Transformer};

use crate::sourcemap::LineMap;

/// A module ready for QuickJS.
#[derive(Debug)]
pub struct Transpiled {
    pub code: String,
    /// Present when the code differs from the source (TypeScript).
    pub map: Option<LineMap>,
    /// Static imports and re-exports that survive type stripping: (specifier, byte offset of the
    /// specifier in the original source).
    pub imports: Vec<(String, usize)>,
}

/// A syntax error with its position in the original file (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub line: u32,
    pub column: u32,
    pub message: String,
}

/// Whether a path names a TypeScript module.
pub fn is_typescript(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("ts" | "mts" | "cts")
    )
}

/// Transpile one module. `path` decides the dialect and names the module in the source map.
pub fn transpile(path: &Path, source: &str) -> Result<Transpiled, SyntaxError> {
    // A compiler bug on unusual input must not take the server down with it.
    std::panic::catch_unwind(|| transpile_inner(path, source)).unwrap_or_else(|_| {
        Err(SyntaxError {
            line: 1,
            column: 1,
            message: "the TypeScript compiler failed on this file (a bug in Switchyard's oxc \
                      integration; please report it with the file)"
                .to_owned(),
        })
    })
}

fn transpile_inner(path: &Path, source: &str) -> Result<Transpiled, SyntaxError> {
    let typescript = is_typescript(path);
    let source_type = if typescript {
        SourceType::ts().with_module(true)
    } else {
        SourceType::mjs()
    };
    let allocator = Allocator::default();
    let parsed = Parser::new(&allocator, source, source_type).parse();
    if let Some(error) = parsed.diagnostics.errors().next() {
        return Err(syntax_error(source, error));
    }
    if !typescript {
        return Ok(Transpiled {
            code: source.to_owned(),
            map: None,
            imports: static_imports(&parsed.program),
        });
    }

    let mut program = parsed.program;
    // Enum lowering needs the member values the semantic pass computes only when asked.
    let semantic = SemanticBuilder::new().with_enum_eval(true).build(&program);
    if let Some(error) = semantic.diagnostics.errors().next() {
        return Err(syntax_error(source, error));
    }
    let scoping = semantic.semantic.into_scoping();
    // Only the TypeScript preset runs: the default `EnvOptions` lowers nothing, and QuickJS-ng
    // understands modern syntax natively.
    let options = TransformOptions::default();
    let transformed =
        Transformer::new(&allocator, path, &options).build_with_scoping(scoping, &mut program);
    if let Some(error) = transformed.diagnostics.errors().next() {
        return Err(syntax_error(source, error));
    }
    let generated = Codegen::new()
        .with_options(CodegenOptions {
            source_map_path: Some(path.to_path_buf()),
            ..CodegenOptions::default()
        })
        .build(&program);
    Ok(Transpiled {
        map: generated.map.as_ref().map(LineMap::from_oxc),
        code: generated.code,
        imports: static_imports(&program),
    })
}

fn static_imports(program: &Program<'_>) -> Vec<(String, usize)> {
    let mut imports = Vec::new();
    for statement in &program.body {
        let source = match statement {
            Statement::ImportDeclaration(decl) => Some(&decl.source),
            Statement::ExportAllDeclaration(decl) => Some(&decl.source),
            Statement::ExportFromDeclaration(decl) => Some(&decl.source),
            _ => None,
        };
        if let Some(source) = source {
            imports.push((source.value.to_string(), source.span.start as usize));
        }
    }
    imports
}

fn syntax_error(source: &str, diagnostic: &OxcDiagnostic) -> SyntaxError {
    let offset = diagnostic
        .labels
        .first()
        .map(|label| label.offset() as usize)
        .unwrap_or(0);
    let (line, column) = line_col(source, offset);
    SyntaxError {
        line,
        column,
        message: diagnostic.message.to_string(),
    }
}

/// 1-based line and column (in UTF-16 units, as JS engines count) of a byte offset.
pub fn line_col(source: &str, offset: usize) -> (u32, u32) {
    let offset = offset.min(source.len());
    let before = &source[..floor_char_boundary(source, offset)];
    let line = before.matches('\n').count() as u32 + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].encode_utf16().count() as u32 + 1;
    (line, column)
}

fn floor_char_boundary(s: &str, mut index: usize) -> usize {
    while index > 0 && !s.is_char_boundary(index) {
        index -= 1;
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_types_and_maps_lines_back() {
        let source =
            "interface A { x: number }\n\nexport function f(a: A): number {\n  return a.x;\n}\n";
        let out = transpile(Path::new("/w/a.ts"), source).expect("transpiles");
        assert!(!out.code.contains("interface"), "{}", out.code);
        assert!(out.code.contains("export function f(a)"), "{}", out.code);
        let map = out.map.expect("a source map for TypeScript");
        // `return a.x;` is on generated line 2 and original line 4.
        let generated_line = out
            .code
            .lines()
            .position(|l| l.contains("return a.x"))
            .expect("return kept") as u32
            + 1;
        assert_eq!(map.original(generated_line, 3).map(|p| p.0), Some(4));
    }

    #[test]
    fn enums_are_lowered_with_their_values() {
        let source =
            "export enum Mode { Greet = 'greet', Count = 2 }\nexport const m = Mode.Greet;\n";
        let out = transpile(Path::new("/w/e.ts"), source).expect("transpiles");
        assert!(out.code.contains("\"greet\""), "{}", out.code);
        assert!(
            !out.code.contains("Mode[Mode[\"Greet\"]"),
            "string members get no reverse mapping:\n{}",
            out.code
        );
    }

    #[test]
    fn javascript_passes_through_unchanged() {
        let source = "export default { fetch() { return 1 } }\n";
        let out = transpile(Path::new("/w/a.js"), source).expect("parses");
        assert_eq!(out.code, source);
        assert!(out.map.is_none());
    }

    #[test]
    fn syntax_errors_have_positions() {
        let err = transpile(Path::new("/w/a.ts"), "const a = 1;\nconst b = ;\n").unwrap_err();
        assert_eq!((err.line, err.column), (2, 11), "{err:?}");
        let err = transpile(Path::new("/w/a.js"), "let x = {\n").unwrap_err();
        assert_eq!(err.line, 2, "{err:?}");
    }
}
