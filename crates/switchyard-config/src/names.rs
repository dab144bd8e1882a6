//! Validated name newtypes: [`WorkerName`] and [`BindingName`].

use std::borrow::Borrow;
use std::fmt;
use std::str::FromStr;

/// Longest Worker name Cloudflare accepts.
pub const MAX_WORKER_NAME_LEN: usize = 63;

/// The Worker name rule in words, for error messages and docs.
pub(crate) const WORKER_NAME_RULE: &str = "Worker names use only lowercase letters (a-z), digits (0-9), \
     `-` and `_`, must not start with `-`, and are at most 63 characters long (for example \"auth-worker\")";

/// The binding name rule in words, for error messages and docs.
pub(crate) const BINDING_NAME_RULE: &str = "binding names must be JavaScript identifiers: ASCII letters, \
     digits, `_` and `$`, not starting with a digit (for example \"AUTH\" or \"API_TOKEN\"), so the Worker \
     can read them as `env.NAME`";

/// Why a string is not a valid [`WorkerName`] or [`BindingName`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{value}\" is not a valid {what}: {reason}")]
pub struct InvalidName {
    /// The rejected input.
    pub value: String,
    /// `"Worker name"` or `"binding name"`.
    pub what: &'static str,
    /// The broken rule, e.g. "it contains `.`".
    pub reason: String,
}

/// The name of a Worker (`name` in a wrangler config, `service` in a service binding).
///
/// Follows the rule of Cloudflare's script-name API (`^[a-z0-9_][a-z0-9-_]*$`) and its 63-character
/// limit: lowercase ASCII letters, digits, `-` and `_`; not empty; not starting with `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WorkerName(String);

impl WorkerName {
    /// Validates `name` as a Worker name.
    pub fn new(name: impl Into<String>) -> Result<Self, InvalidName> {
        let name = name.into();
        match worker_name_problem(&name) {
            None => Ok(Self(name)),
            Some(reason) => Err(InvalidName {
                value: name,
                what: "Worker name",
                reason,
            }),
        }
    }

    /// The name as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The name under which a binding appears on `env` (a `vars` key or a service binding's
/// `binding`).
///
/// Must be a JavaScript identifier made of ASCII characters: letters, digits, `_` and `$`, not
/// starting with a digit. Reserved words are allowed (`env.class` is fine in JavaScript).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BindingName(String);

impl BindingName {
    /// Validates `name` as a binding name.
    pub fn new(name: impl Into<String>) -> Result<Self, InvalidName> {
        let name = name.into();
        match js_identifier_problem(&name) {
            None => Ok(Self(name)),
            Some(reason) => Err(InvalidName {
                value: name,
                what: "binding name",
                reason,
            }),
        }
    }

    /// The name as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! string_newtype_impls {
    ($t:ty) => {
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl AsRef<str> for $t {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
        impl Borrow<str> for $t {
            fn borrow(&self) -> &str {
                &self.0
            }
        }
        impl FromStr for $t {
            type Err = InvalidName;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::new(s)
            }
        }
        impl TryFrom<&str> for $t {
            type Error = InvalidName;
            fn try_from(s: &str) -> Result<Self, Self::Error> {
                Self::new(s)
            }
        }
        impl TryFrom<String> for $t {
            type Error = InvalidName;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::new(s)
            }
        }
        impl From<$t> for String {
            fn from(name: $t) -> String {
                name.0
            }
        }
    };
}

string_newtype_impls!(WorkerName);
string_newtype_impls!(BindingName);

/// `None` when `name` is a valid Worker name, otherwise the broken rule.
pub(crate) fn worker_name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("it is empty".to_string());
    }
    let len = name.chars().count();
    if len > MAX_WORKER_NAME_LEN {
        return Some(format!(
            "it is {len} characters long; the limit is {MAX_WORKER_NAME_LEN}"
        ));
    }
    if let Some(c) = name.chars().find(|c| c.is_ascii_uppercase()) {
        return Some(format!(
            "it contains the uppercase letter `{c}`; Worker names are lowercase"
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '_'))
    {
        return Some(format!(
            "it contains {}, which is not allowed",
            describe_char(c)
        ));
    }
    if name.starts_with('-') {
        return Some("it starts with `-`".to_string());
    }
    None
}

/// `None` when `name` is an ASCII JavaScript identifier, otherwise the broken rule.
pub(crate) fn js_identifier_problem(name: &str) -> Option<String> {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return Some("it is empty".to_string());
    };
    if first.is_ascii_digit() {
        return Some(format!("it starts with the digit `{first}`"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '$'))
    {
        return Some(format!(
            "it contains {}, which is not allowed in a JavaScript identifier",
            describe_char(c)
        ));
    }
    None
}

/// "`.`", "a space", "a tab", or "U+00E9 `é`".
fn describe_char(c: char) -> String {
    match c {
        ' ' => "a space".to_string(),
        '\t' => "a tab".to_string(),
        '\n' | '\r' => "a line break".to_string(),
        '`' => "a backtick".to_string(),
        c if c.is_control() => format!("the control character U+{:04X}", c as u32),
        c if c.is_ascii() => format!("`{c}`"),
        c => format!("`{c}` (U+{:04X})", c as u32),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worker_names_follow_cloudflare_rule() {
        for ok in [
            "a",
            "auth-worker",
            "auth_worker",
            "_x",
            "0day",
            "a-",
            &"a".repeat(63),
        ] {
            assert!(WorkerName::new(ok).is_ok(), "{ok} should be valid");
        }
        let cases: &[(&str, &str)] = &[
            ("", "it is empty"),
            ("Auth", "uppercase letter `A`"),
            ("auth.worker", "contains `.`"),
            ("auth worker", "contains a space"),
            ("-auth", "starts with `-`"),
            ("café", "`é` (U+00E9)"),
        ];
        for (bad, reason) in cases {
            let err = WorkerName::new(*bad).unwrap_err();
            assert!(err.reason.contains(reason), "{bad}: {}", err.reason);
            assert_eq!(err.what, "Worker name");
        }
        let long = "a".repeat(64);
        let err = WorkerName::new(long.as_str()).unwrap_err();
        assert_eq!(err.reason, "it is 64 characters long; the limit is 63");
        assert_eq!(
            err.to_string(),
            format!(
                "\"{long}\" is not a valid Worker name: it is 64 characters long; the limit is 63"
            )
        );
    }

    #[test]
    fn binding_names_are_js_identifiers() {
        for ok in ["A", "AUTH", "api_token", "_", "$", "$x1", "class"] {
            assert!(BindingName::new(ok).is_ok(), "{ok} should be valid");
        }
        let cases: &[(&str, &str)] = &[
            ("", "it is empty"),
            ("1A", "starts with the digit `1`"),
            ("MY-KV", "contains `-`"),
            ("MY KV", "contains a space"),
            ("ÉTÉ", "`É` (U+00C9)"),
            ("a\u{7}", "control character U+0007"),
        ];
        for (bad, reason) in cases {
            let err = BindingName::new(*bad).unwrap_err();
            assert!(err.reason.contains(reason), "{bad:?}: {}", err.reason);
        }
    }

    #[test]
    fn newtypes_behave_like_strings() {
        let name: WorkerName = "auth".parse().unwrap();
        assert_eq!(name.as_str(), "auth");
        assert_eq!(name.to_string(), "auth");
        let set: std::collections::HashSet<WorkerName> = [name.clone()].into_iter().collect();
        assert!(set.contains("auth"));
        let binding = BindingName::try_from("AUTH").unwrap();
        assert_eq!(String::from(binding), "AUTH");
    }
}
