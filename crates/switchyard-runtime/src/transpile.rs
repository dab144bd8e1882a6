//! Turning a module's source text into JavaScript QuickJS can evaluate, and reading what it
//! imports.
//!
//! TypeScript (`.ts`, `.mts`, `.cts`) has its types stripped by oxc and keeps a source map, so stack
//! traces point at the lines the user wrote. JavaScript is parsed by oxc too, to report syntax
//! errors as `file:line:col` (QuickJS's own messages are terser) and to tell ES modules from
//! CommonJS; its text is evaluated as is.

use std::path::Path;

use oxc_allocator::Allocator;
use oxc_ast::ast::{
    Argument, CallExpression, Expression, ImportDeclarationSpecifier, ImportExpression,
    ModuleExportName, ObjectPropertyKind, Program, Statement,
};
use oxc_ast_visit::{Visit, walk};
use oxc_codegen::{Codegen, CodegenOptions};
use oxc_diagnostics::OxcDiagnostic;
use oxc_parser::Parser;
use oxc_semantic::{Scoping, SemanticBuilder};
use oxc_span::{GetSpan, SourceType};
use oxc_transformer::{TransformOptions, Transformer};

use crate::sourcemap::LineMap;

/// A module ready for QuickJS.
#[derive(Debug)]
pub struct Transpiled {
    pub code: String,
    /// Present when the code differs from the source (TypeScript).
    pub map: Option<LineMap>,
    pub format: Format,
    pub scan: Scan,
    /// CommonJS that only parses in sloppy mode (legacy octal literals, `with`, reserved words
    /// of strict mode as names): it must not be wrapped in an ES module, which is strict.
    pub sloppy: bool,
}

/// Which module system a JavaScript file is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `import` / `export`.
    Esm,
    /// `require` / `module.exports`.
    CommonJs,
}

/// What decides a file's [`Format`]: its extension, its package's `"type"`, a module rule, or
/// (for plain `.js`) its contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatHint {
    Esm,
    CommonJs,
    /// ESM if the file has `import`/`export`; CommonJS if it uses `require`, `module` or
    /// `exports` without declaring them; ESM otherwise.
    Detect,
}

/// An `import` or `export … from` that survived type stripping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    pub specifier: String,
    /// Byte offset of the specifier in the original source.
    pub offset: usize,
    /// The names it takes: `default`, a named export, or `*` for a namespace or `export *`.
    pub names: Vec<String>,
}

/// The module-level facts the loader needs, read from the syntax tree.
#[derive(Debug, Default, Clone)]
pub struct Scan {
    pub imports: Vec<Import>,
    /// `import("literal")`: (specifier, offset).
    pub dynamic_imports: Vec<(String, usize)>,
    /// CommonJS only: `require("literal")` where `require` is the module's own: (specifier,
    /// offset).
    pub requires: Vec<(String, usize)>,
    /// CommonJS only: names assigned to `exports.x`, `module.exports.x`, defined with
    /// `Object.defineProperty(exports, "x", …)` or listed in `module.exports = { x, … }`.
    pub exports: Vec<String>,
    /// CommonJS only: specifiers whose exports this module re-exports whole
    /// (`module.exports = require("x")`, `__exportStar(require("x"), exports)`).
    pub reexports: Vec<String>,
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
pub fn transpile(path: &Path, source: &str, hint: FormatHint) -> Result<Transpiled, SyntaxError> {
    // A compiler bug on unusual input must not take the server down with it.
    std::panic::catch_unwind(|| {
        if is_typescript(path) {
            typescript(path, source, hint)
        } else {
            javascript(source, hint)
        }
    })
    .unwrap_or_else(|_| {
        Err(SyntaxError {
            line: 1,
            column: 1,
            message: "the JavaScript/TypeScript compiler failed on this file (a bug in \
                      Switchyard's oxc integration; please report it with the file)"
                .to_owned(),
        })
    })
}

fn typescript(path: &Path, source: &str, hint: FormatHint) -> Result<Transpiled, SyntaxError> {
    let allocator = Allocator::default();
    let parsed = Parser::new(&allocator, source, SourceType::ts().with_module(true)).parse();
    if let Some(error) = parsed.diagnostics.errors().next() {
        return Err(syntax_error(source, error));
    }
    // Same length, same positions: the rewritten text compiles with the same source map.
    if let Some(rewritten) = define_node_env(source, &parsed.program) {
        return typescript(path, &rewritten, hint);
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
    let map = generated.map.as_ref().map(LineMap::from_oxc);
    if hint == FormatHint::CommonJs {
        // `.cts`: read the stripped JavaScript as CommonJS. Positions in its scan are in the
        // generated text, which only warnings use.
        let mut out = javascript(&generated.code, FormatHint::CommonJs)?;
        out.map = map;
        return Ok(out);
    }
    let mut scan = Scan {
        imports: static_imports(&program),
        ..Scan::default()
    };
    let mut visitor = Scanner::new(&mut scan, None);
    visitor.visit_program(&program);
    Ok(Transpiled {
        code: generated.code,
        map,
        format: Format::Esm,
        scan,
        sloppy: false,
    })
}

fn javascript(source: &str, hint: FormatHint) -> Result<Transpiled, SyntaxError> {
    let allocator = Allocator::default();
    let as_module = Parser::new(&allocator, source, SourceType::mjs()).parse();
    let module_error = as_module
        .diagnostics
        .errors()
        .next()
        .map(|error| syntax_error(source, error));
    let parsed = match module_error {
        None => as_module,
        Some(error) => {
            // Sloppy-mode code that a module cannot hold (`with`, legacy octal, HTML comments)
            // may still be a CommonJS file; an ES module it is not.
            if hint == FormatHint::Esm {
                return Err(error);
            }
            let as_script = Parser::new(&allocator, source, SourceType::cjs())
                .with_options(oxc_parser::ParseOptions {
                    allow_return_outside_function: true,
                    ..oxc_parser::ParseOptions::default()
                })
                .parse();
            if as_script.diagnostics.errors().next().is_some() {
                return Err(error);
            }
            let program = as_script.program;
            let scoping = SemanticBuilder::new()
                .build(&program)
                .semantic
                .into_scoping();
            return Ok(commonjs(source, &program, &scoping, true));
        }
    };
    let program = parsed.program;
    let has_module_syntax =
        parsed.module_record.has_module_syntax || !parsed.module_record.import_metas.is_empty();
    match hint {
        FormatHint::Esm => {}
        FormatHint::Detect if has_module_syntax => {}
        FormatHint::CommonJs | FormatHint::Detect => {
            let scoping = SemanticBuilder::new()
                .build(&program)
                .semantic
                .into_scoping();
            let unresolved = scoping.root_unresolved_references();
            if hint == FormatHint::CommonJs
                || ["require", "module", "exports"]
                    .iter()
                    .any(|name| unresolved.contains_key(*name))
            {
                return Ok(commonjs(source, &program, &scoping, false));
            }
        }
    }
    let mut scan = Scan {
        imports: static_imports(&program),
        ..Scan::default()
    };
    Scanner::new(&mut scan, None).visit_program(&program);
    Ok(Transpiled {
        code: define_node_env(source, &program).unwrap_or_else(|| source.to_owned()),
        map: None,
        format: Format::Esm,
        scan,
        sloppy: false,
    })
}

/// A CommonJS module (`sloppy`: one that parses as a script only): its code as written but
/// for `process.env.NODE_ENV`, and what it requires and exports.
fn commonjs(source: &str, program: &Program<'_>, scoping: &Scoping, sloppy: bool) -> Transpiled {
    let mut scan = Scan::default();
    scan_commonjs(program, scoping, &mut scan);
    Transpiled {
        code: define_node_env(source, program).unwrap_or_else(|| source.to_owned()),
        map: None,
        format: Format::CommonJs,
        scan,
        sloppy,
    }
}

/// Replace `process.env.NODE_ENV` with `"production"`, as wrangler's bundler does (packages
/// choose their production code paths by it, and `process` does not exist in Workers). The
/// replacement is padded to the same length, so positions in stack traces and source maps do
/// not move. `None` when there is nothing to replace.
fn define_node_env(source: &str, program: &Program<'_>) -> Option<String> {
    const NEEDLE: &str = "process.env.NODE_ENV";
    if !source.contains(NEEDLE) {
        return None;
    }
    struct Finder(Vec<(usize, usize)>);
    impl<'a> Visit<'a> for Finder {
        fn visit_static_member_expression(
            &mut self,
            it: &oxc_ast::ast::StaticMemberExpression<'a>,
        ) {
            if it.property.name == "NODE_ENV"
                && let Expression::StaticMemberExpression(env) = &it.object
                && env.property.name == "env"
                && matches!(&env.object, Expression::Identifier(p) if p.name == "process")
            {
                self.0.push((it.span.start as usize, it.span.end as usize));
                return;
            }
            walk::walk_static_member_expression(self, it);
        }
        fn visit_assignment_target(&mut self, it: &oxc_ast::ast::AssignmentTarget<'a>) {
            // `process.env.NODE_ENV = …` stays as written (and fails, as it would on Workers);
            // `config[process.env.NODE_ENV] = …` is replaced inside.
            if let Some(member) = it.as_member_expression()
                && let oxc_ast::ast::MemberExpression::StaticMemberExpression(m) = member
                && m.property.name == "NODE_ENV"
            {
                return;
            }
            walk::walk_assignment_target(self, it);
        }
    }
    let mut finder = Finder(Vec::new());
    finder.visit_program(program);
    if finder.0.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(source.len());
    let mut last = 0;
    for (start, end) in finder.0 {
        if end - start != NEEDLE.len() {
            // Written with spaces or comments inside; leave it.
            continue;
        }
        out.push_str(&source[last..start]);
        out.push_str("\"production\"        ");
        last = end;
    }
    out.push_str(&source[last..]);
    Some(out)
}

fn scan_commonjs(program: &Program<'_>, scoping: &Scoping, scan: &mut Scan) {
    Scanner::new(scan, Some(scoping)).visit_program(program);
    scan.exports.retain(|name| name != "__esModule");
    scan.exports.sort();
    scan.exports.dedup();
}

fn static_imports(program: &Program<'_>) -> Vec<Import> {
    let mut imports = Vec::new();
    for statement in &program.body {
        let (source, names) = match statement {
            Statement::ImportDeclaration(decl) => {
                let names = match &decl.specifiers {
                    // `import "x"`: evaluated for its effects, no names taken.
                    None => Vec::new(),
                    Some(specifiers) => specifiers
                        .iter()
                        .map(|s| match s {
                            ImportDeclarationSpecifier::ImportSpecifier(s) => {
                                export_name(&s.imported)
                            }
                            ImportDeclarationSpecifier::ImportDefaultSpecifier(_) => {
                                "default".to_owned()
                            }
                            ImportDeclarationSpecifier::ImportNamespaceSpecifier(_) => {
                                "*".to_owned()
                            }
                        })
                        .collect(),
                };
                (&decl.source, names)
            }
            Statement::ExportAllDeclaration(decl) => (&decl.source, vec!["*".to_owned()]),
            Statement::ExportFromDeclaration(decl) => (
                &decl.source,
                decl.specifiers
                    .iter()
                    .map(|s| export_name(&s.local))
                    .collect(),
            ),
            _ => continue,
        };
        imports.push(Import {
            specifier: source.value.to_string(),
            offset: source.span.start as usize,
            names,
        });
    }
    imports
}

fn export_name(name: &ModuleExportName<'_>) -> String {
    match name {
        ModuleExportName::IdentifierName(n) => n.name.to_string(),
        ModuleExportName::IdentifierReference(n) => n.name.to_string(),
        ModuleExportName::StringLiteral(s) => s.value.to_string(),
    }
}

/// Walks a whole program for dynamic imports and, in CommonJS (`scoping` given), for
/// `require` calls and export names, the way Node's cjs-module-lexer reads them.
struct Scanner<'s> {
    scan: &'s mut Scan,
    scoping: Option<&'s Scoping>,
}

impl<'s> Scanner<'s> {
    fn new(scan: &'s mut Scan, scoping: Option<&'s Scoping>) -> Self {
        Scanner { scan, scoping }
    }

    /// Whether `expr` names the module's free `name` (`require`, `module`, `exports`), not a local
    /// variable of that name.
    fn is_free(&self, expr: &Expression<'_>, name: &str) -> bool {
        let Some(scoping) = self.scoping else {
            return false;
        };
        match expr.without_parentheses() {
            Expression::Identifier(ident) if ident.name == name => ident
                .reference_id
                .get()
                .is_none_or(|id| scoping.get_reference(id).symbol_id().is_none()),
            _ => false,
        }
    }

    /// `exports` or `module.exports`.
    fn is_exports(&self, expr: &Expression<'_>) -> bool {
        if self.is_free(expr, "exports") {
            return true;
        }
        match expr.without_parentheses() {
            Expression::StaticMemberExpression(member) => {
                member.property.name == "exports" && self.is_free(&member.object, "module")
            }
            _ => false,
        }
    }

    /// The specifier of `require("x")`.
    fn required<'a>(&self, expr: &'a Expression<'_>) -> Option<&'a str> {
        match expr.without_parentheses() {
            Expression::CallExpression(call) if self.is_free(&call.callee, "require") => {
                match call.arguments.first() {
                    Some(Argument::StringLiteral(lit)) if call.arguments.len() == 1 => {
                        Some(lit.value.as_str())
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

impl<'a> Visit<'a> for Scanner<'_> {
    fn visit_import_expression(&mut self, it: &ImportExpression<'a>) {
        if let Some(specifier) = literal(&it.source) {
            self.scan
                .dynamic_imports
                .push((specifier, it.source.span().start as usize));
        }
        walk::walk_import_expression(self, it);
    }

    fn visit_call_expression(&mut self, it: &CallExpression<'a>) {
        if self.scoping.is_some() {
            if self.is_free(&it.callee, "require")
                && let [Argument::StringLiteral(lit)] = it.arguments.as_slice()
            {
                self.scan
                    .requires
                    .push((lit.value.to_string(), lit.span.start as usize));
            }
            // `Object.defineProperty(exports, "x", …)`.
            if let Some(member) = it.callee.as_member_expression()
                && member.static_property_name() == Some("defineProperty")
                && matches!(member.object(), Expression::Identifier(o) if o.name == "Object")
                && let [Argument::StringLiteral(name), ..] = it.arguments.get(1..).unwrap_or(&[])
                && let Some(target) = it.arguments.first().and_then(|a| a.as_expression())
                && self.is_exports(target)
            {
                self.scan.exports.push(name.value.to_string());
            }
            // `__exportStar(require("x"), exports)` (TypeScript, tslib) and `__export(require("x"))`.
            let helper = match it.callee.without_parentheses() {
                Expression::Identifier(ident) => Some(ident.name.as_str()),
                other => other
                    .as_member_expression()
                    .and_then(|m| m.static_property_name()),
            };
            if matches!(helper, Some("__exportStar" | "__export"))
                && let Some(first) = it.arguments.first().and_then(|a| a.as_expression())
                && let Some(specifier) = self.required(first)
            {
                self.scan.reexports.push(specifier.to_owned());
            }
        }
        walk::walk_call_expression(self, it);
    }

    fn visit_assignment_expression(&mut self, it: &oxc_ast::ast::AssignmentExpression<'a>) {
        if self.scoping.is_some()
            && let Some(member) = it.left.as_member_expression()
        {
            let object = member.object();
            let property = member.static_property_name();
            if self.is_exports(object)
                && let Some(name) = property
            {
                // `exports.x = …`, `module.exports.x = …`.
                self.scan.exports.push(name.to_owned());
            } else if property == Some("exports") && self.is_free(object, "module") {
                // `module.exports = …`.
                if let Some(specifier) = self.required(&it.right) {
                    self.scan.reexports.push(specifier.to_owned());
                } else if let Expression::ObjectExpression(object) = it.right.without_parentheses()
                {
                    for property in &object.properties {
                        match property {
                            ObjectPropertyKind::ObjectProperty(p) => {
                                if let Some(name) = p.key.static_name() {
                                    self.scan.exports.push(name.into_owned());
                                }
                            }
                            ObjectPropertyKind::SpreadProperty(spread) => {
                                if let Some(specifier) = self.required(&spread.argument) {
                                    self.scan.reexports.push(specifier.to_owned());
                                }
                            }
                        }
                    }
                }
            }
        }
        walk::walk_assignment_expression(self, it);
    }
}

/// The text of a string literal or a template literal without substitutions.
fn literal(expr: &Expression<'_>) -> Option<String> {
    match expr.without_parentheses() {
        Expression::StringLiteral(lit) => Some(lit.value.to_string()),
        Expression::TemplateLiteral(t) if t.expressions.is_empty() && t.quasis.len() == 1 => {
            t.quasis[0].value.cooked.map(|c| c.to_string())
        }
        _ => None,
    }
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
        let out = transpile(Path::new("/w/a.ts"), source, FormatHint::Detect).expect("transpiles");
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
        let out = transpile(Path::new("/w/e.ts"), source, FormatHint::Detect).expect("transpiles");
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
        let out = transpile(Path::new("/w/a.js"), source, FormatHint::Detect).expect("parses");
        assert_eq!(out.code, source);
        assert!(out.map.is_none());
    }

    #[test]
    fn process_env_node_env_becomes_production_in_place() {
        let source = "if (process.env.NODE_ENV !== 'production') x();\nconst s = 'process.env.NODE_ENV';\nexport {};\n";
        let out = transpile(Path::new("/w/a.js"), source, FormatHint::Detect).expect("parses");
        assert_eq!(
            out.code,
            "if (\"production\"         !== 'production') x();\nconst s = 'process.env.NODE_ENV';\nexport {};\n"
        );
        assert_eq!(out.code.len(), source.len());
    }

    #[test]
    fn syntax_errors_have_positions() {
        let err = transpile(
            Path::new("/w/a.ts"),
            "const a = 1;\nconst b = ;\n",
            FormatHint::Detect,
        )
        .unwrap_err();
        assert_eq!((err.line, err.column), (2, 11), "{err:?}");
        let err = transpile(Path::new("/w/a.js"), "let x = {\n", FormatHint::Detect).unwrap_err();
        assert_eq!(err.line, 2, "{err:?}");
    }
}
