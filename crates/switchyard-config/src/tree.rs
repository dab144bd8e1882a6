//! The position-aware generic tree both front-ends (TOML, JSONC) produce, and the byte offset →
//! line:column conversion.
//!
//! Keeping the tree format-neutral is what lets one validator produce identical messages for
//! `wrangler.toml` and `wrangler.jsonc`.

use std::ops::Range;

/// A byte range into the config text.
pub(crate) type Span = Range<usize>;

/// One value of the config, with the byte span of its text.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub kind: Kind,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub(crate) enum Kind {
    /// A TOML table or JSON object, entries in file order.
    Table(Vec<Entry>),
    Array(Vec<Node>),
    String(String),
    /// `value` is `None` when the number has no JSON form (NaN, infinity, out-of-range integer).
    Number {
        text: String,
        value: Option<serde_json::Number>,
    },
    Bool(bool),
    /// TOML only: an offset date-time, local date-time, local date or local time, as written.
    Datetime(String),
    /// JSON only.
    Null,
}

/// A key and its value inside a [`Kind::Table`].
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub key: String,
    pub key_span: Span,
    pub value: Node,
}

impl Kind {
    /// "a string", "an array", ... as used in "`main` must be a string, found an array".
    pub fn type_name(&self) -> &'static str {
        match self {
            Kind::Table(_) => "an object",
            Kind::Array(_) => "an array",
            Kind::String(_) => "a string",
            Kind::Number { .. } => "a number",
            Kind::Bool(_) => "a boolean",
            Kind::Datetime(_) => "a date/time",
            Kind::Null => "null",
        }
    }
}

/// The config text plus the start offset of every line, for offset → line:column.
#[derive(Debug)]
pub(crate) struct SourceText {
    text: String,
    line_starts: Vec<usize>,
}

impl SourceText {
    pub fn new(text: String) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Self { text, line_starts }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// 1-based (line, column) of a byte offset; the column counts characters, not bytes.
    /// Offsets past the end or inside a character are clamped, never a panic.
    pub fn line_col(&self, offset: usize) -> (u32, u32) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_starts.partition_point(|&start| start <= offset);
        let line_start = self
            .line_starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(0);
        let column = self
            .text
            .get(line_start..offset)
            .map_or(0, |s| s.chars().count())
            + 1;
        (to_u32(line), to_u32(column))
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Error from a front-end: where and what.
#[derive(Debug)]
pub(crate) struct SyntaxError {
    pub span: Span,
    pub message: String,
}

/// TOML front-end: `toml::de::DeTable::parse`, spans from `Spanned`.
pub(crate) mod toml_front {
    use super::{Entry, Kind, Node, SyntaxError};
    use toml::Spanned;
    use toml::de::{DeTable, DeValue};

    pub fn parse(text: &str) -> Result<Node, SyntaxError> {
        match DeTable::parse(text) {
            Ok(table) => {
                let span = table.span();
                Ok(Node {
                    kind: table_kind(text, table.get_ref()),
                    span,
                })
            }
            Err(err) => Err(SyntaxError {
                span: err.span().unwrap_or(0..0),
                message: err.message().trim().to_string(),
            }),
        }
    }

    fn table_kind(text: &str, table: &DeTable<'_>) -> Kind {
        let mut entries: Vec<Entry> = table
            .iter()
            .map(|(key, value)| Entry {
                key: key.get_ref().to_string(),
                key_span: key.span(),
                value: convert(text, value),
            })
            .collect();
        // Without toml's `preserve_order` feature the map is sorted by key; restore file order.
        entries.sort_by_key(|e| e.key_span.start);
        Kind::Table(entries)
    }

    fn convert(text: &str, value: &Spanned<DeValue<'_>>) -> Node {
        let span = value.span();
        let raw = || text.get(span.clone()).unwrap_or_default().to_string();
        let kind = match value.get_ref() {
            DeValue::String(s) => Kind::String(s.to_string()),
            DeValue::Integer(i) => {
                let value = i64::from_str_radix(i.as_str(), i.radix())
                    .map(serde_json::Number::from)
                    .or_else(|_| {
                        u64::from_str_radix(i.as_str(), i.radix()).map(serde_json::Number::from)
                    })
                    .ok();
                Kind::Number { text: raw(), value }
            }
            DeValue::Float(f) => {
                let value = f
                    .as_str()
                    .parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64);
                Kind::Number { text: raw(), value }
            }
            DeValue::Boolean(b) => Kind::Bool(*b),
            DeValue::Datetime(d) => Kind::Datetime(d.to_string()),
            DeValue::Array(items) => {
                Kind::Array(items.iter().map(|item| convert(text, item)).collect())
            }
            DeValue::Table(table) => table_kind(text, table),
        };
        Node { kind, span }
    }
}

/// JSONC front-end: `jsonc_parser::parse_to_ast`, comments and trailing commas allowed, otherwise
/// strict JSON (no single quotes, unquoted keys, hex numbers, ...).
pub(crate) mod jsonc_front {
    use super::{Entry, Kind, Node, Span, SyntaxError};
    use jsonc_parser::ast::{ObjectPropName, Value};
    use jsonc_parser::common::Range;
    use jsonc_parser::{CollectOptions, ParseOptions, parse_to_ast};

    /// `Ok(None)` for a document with no value at all (empty, or only comments).
    pub fn parse(text: &str) -> Result<Option<Node>, SyntaxError> {
        let options = ParseOptions {
            allow_comments: true,
            allow_trailing_commas: true,
            allow_loose_object_property_names: false,
            allow_missing_commas: false,
            allow_single_quoted_strings: false,
            allow_hexadecimal_numbers: false,
            allow_unary_plus_numbers: false,
            allow_bare_decimal_point_numbers: false,
            allow_non_finite_numbers: false,
            allow_extended_string_escapes: false,
        };
        match parse_to_ast(text, &CollectOptions::default(), &options) {
            Ok(result) => Ok(result.value.as_ref().map(convert)),
            Err(err) => Err(SyntaxError {
                span: span(err.range()),
                message: err.kind().to_string(),
            }),
        }
    }

    fn span(range: Range) -> Span {
        range.start..range.end
    }

    fn convert(value: &Value<'_>) -> Node {
        match value {
            Value::StringLit(s) => Node {
                kind: Kind::String(s.value.to_string()),
                span: span(s.range),
            },
            Value::NumberLit(n) => Node {
                kind: Kind::Number {
                    text: n.value.to_string(),
                    value: n.value.parse::<serde_json::Number>().ok(),
                },
                span: span(n.range),
            },
            Value::BooleanLit(b) => Node {
                kind: Kind::Bool(b.value),
                span: span(b.range),
            },
            Value::NullKeyword(n) => Node {
                kind: Kind::Null,
                span: span(n.range),
            },
            Value::Array(a) => Node {
                kind: Kind::Array(a.elements.iter().map(convert).collect()),
                span: span(a.range),
            },
            Value::Object(o) => Node {
                kind: Kind::Table(
                    o.properties
                        .iter()
                        .map(|prop| {
                            let (key, key_span) = match &prop.name {
                                ObjectPropName::String(s) => (s.value.to_string(), span(s.range)),
                                ObjectPropName::Word(w) => (w.value.to_string(), span(w.range)),
                            };
                            Entry {
                                key,
                                key_span,
                                value: convert(&prop.value),
                            }
                        })
                        .collect(),
                ),
                span: span(o.range),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_and_clamps() {
        let src = SourceText::new("ab\r\nçd = 1\n\nx".to_string());
        assert_eq!(src.line_col(0), (1, 1));
        assert_eq!(src.line_col(1), (1, 2));
        assert_eq!(src.line_col(4), (2, 1));
        // `d` is after the two-byte `ç`: byte 6, character column 2.
        assert_eq!(src.line_col(6), (2, 2));
        // Inside `ç` clamps back to its start.
        assert_eq!(src.line_col(5), (2, 1));
        assert_eq!(src.line_col(12), (3, 1));
        assert_eq!(src.line_col(13), (4, 1));
        assert_eq!(src.line_col(10_000), (4, 2));
        assert_eq!(SourceText::new(String::new()).line_col(3), (1, 1));
    }

    #[test]
    fn toml_front_keeps_file_order_and_spans() {
        let text = "zeta = 1\nalpha = \"a\"\n[vars]\nB = 2\nA = 1979-05-27\n";
        let node = toml_front::parse(text).unwrap();
        let Kind::Table(entries) = node.kind else {
            panic!("root is a table")
        };
        let keys: Vec<_> = entries.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["zeta", "alpha", "vars"]);
        assert_eq!(&text[entries[1].value.span.clone()], "\"a\"");
        let Kind::Table(vars) = &entries[2].value.kind else {
            panic!("vars is a table")
        };
        assert_eq!(vars[0].key, "B");
        assert!(matches!(&vars[1].value.kind, Kind::Datetime(d) if d == "1979-05-27"));
    }

    #[test]
    fn toml_numbers_without_json_form_are_kept_as_text() {
        let node = toml_front::parse("a = nan\nb = 0x1f\nc = -1_000.5\n").unwrap();
        let Kind::Table(entries) = node.kind else {
            panic!("root is a table")
        };
        assert!(
            matches!(&entries[0].value.kind, Kind::Number { text, value: None } if text == "nan")
        );
        assert!(
            matches!(&entries[1].value.kind, Kind::Number { value: Some(n), .. } if n.as_i64() == Some(31))
        );
        assert!(
            matches!(&entries[2].value.kind, Kind::Number { value: Some(n), .. } if n.as_f64() == Some(-1000.5))
        );
    }

    #[test]
    fn jsonc_front_allows_comments_and_trailing_commas_only() {
        let node = jsonc_front::parse("// c\n{ /* x */ \"a\": [1, 2,], }\n")
            .unwrap()
            .unwrap();
        assert!(matches!(node.kind, Kind::Table(ref e) if e.len() == 1));
        assert!(jsonc_front::parse("{ 'a': 1 }").is_err());
        assert!(jsonc_front::parse("{ a: 1 }").is_err());
        assert!(jsonc_front::parse("{ \"a\": 0x10 }").is_err());
        assert!(jsonc_front::parse("// only a comment\n").unwrap().is_none());
    }
}
