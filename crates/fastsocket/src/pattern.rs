//! ECMA-262 regular expressions for `pattern`, compiled on first use.

use std::fmt;
use std::sync::OnceLock;

/// An ECMA-262 regular expression (the dialect of JSON Schema's `pattern`), compiled on first use.
///
/// The source is translated to Rust syntax the way the `jsonschema` crate does it (`\d` and `\w` are ASCII only,
/// `\s` and `.` follow ECMA-262's idea of white space and line terminators, `\cX` control escapes…), then
/// compiled with the `regex` crate, or with `fancy-regex` when it needs look-around or backreferences. Matching
/// is a search, as in ECMA-262: `"b"` matches `"abc"`; anchor with `^…$` for a whole-string match.
///
/// `const fn new` lets generated code keep one per pattern in a static:
///
/// ```
/// static LOWER: fastsocket::Pattern = fastsocket::Pattern::new("^[a-z]+$");
/// assert!(LOWER.is_match("abc"));
/// assert!(!LOWER.is_match("aBc"));
/// ```
///
/// A pattern that does not compile (see [`Pattern::compile_error`], which the generator calls to warn at
/// generation time) **matches nothing**: every string checked against it is a violation. A server then refuses
/// the payloads rather than letting through values that its schema meant to constrain, and the error names the
/// pattern. The `jsonschema` crate refuses such a schema outright, so there is no verdict to agree with.
///
/// Look-around and backreferences run on `fancy-regex`'s backtracking engine, capped at [`BACKTRACK_LIMIT`]
/// backtracking steps per value: a pattern such as `^(?=(a+)+$)` cannot cost seconds on a hostile string. A
/// value on which the limit is reached is a violation ("cannot be checked"), never a panic.
pub struct Pattern {
    source: &'static str,
    compiled: OnceLock<Compiled>,
}

/// The backtracking steps a look-around or backreference pattern may take on one value (`fancy-regex` allows a
/// million by default): about a millisecond of work, ample for the patterns schemas hold.
pub const BACKTRACK_LIMIT: usize = 10_000;

/// Why a pattern could not say whether a value matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatchError {
    /// The pattern does not compile (the reason).
    Invalid(String),
    /// The value took more than [`BACKTRACK_LIMIT`] backtracking steps.
    TooComplex,
}

impl fmt::Display for MatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MatchError::Invalid(reason) => f.write_str(reason),
            MatchError::TooComplex => write!(
                f,
                "the value needs more than {BACKTRACK_LIMIT} backtracking steps"
            ),
        }
    }
}

enum Compiled {
    Regex(regex::Regex),
    Fancy(fancy_regex::Regex),
    Invalid(String),
}

impl Pattern {
    /// A pattern from its ECMA-262 source; nothing is compiled until the first match.
    pub const fn new(source: &'static str) -> Self {
        Pattern {
            source,
            compiled: OnceLock::new(),
        }
    }

    /// The ECMA-262 source, as given.
    pub fn source(&self) -> &'static str {
        self.source
    }

    /// Whether the pattern matches somewhere in `s` (`false` for a pattern that does not compile, and for a
    /// look-around pattern that exhausts the backtracking limit on `s`).
    pub fn is_match(&self, s: &str) -> bool {
        self.try_match(s).unwrap_or(false)
    }

    /// Whether the pattern matches somewhere in `s`, or why that cannot be told (a pattern that does not
    /// compile, a value that exhausts the backtracking limit).
    pub fn try_match(&self, s: &str) -> Result<bool, MatchError> {
        match self.compiled() {
            Compiled::Regex(regex) => Ok(regex.is_match(s)),
            Compiled::Fancy(regex) => regex.is_match(s).map_err(|_| MatchError::TooComplex),
            Compiled::Invalid(reason) => Err(MatchError::Invalid(reason.clone())),
        }
    }

    /// Why the pattern does not compile, or `None` when it does. Compiles it (once) if needed.
    pub fn error(&self) -> Option<&str> {
        match self.compiled() {
            Compiled::Invalid(reason) => Some(reason),
            Compiled::Regex(_) | Compiled::Fancy(_) => None,
        }
    }

    /// Why `source` does not compile as a pattern, or `None` when it does; for warnings at generation time.
    pub fn compile_error(source: &str) -> Option<String> {
        match compile(source) {
            Compiled::Invalid(reason) => Some(reason),
            Compiled::Regex(_) | Compiled::Fancy(_) => None,
        }
    }

    fn compiled(&self) -> &Compiled {
        self.compiled.get_or_init(|| compile(self.source))
    }
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Pattern").field(&self.source).finish()
    }
}

impl Clone for Pattern {
    /// A copy with the same source, compiled again on its own first use.
    fn clone(&self) -> Self {
        Pattern::new(self.source)
    }
}

fn compile(source: &str) -> Compiled {
    // `jsonschema` checks a schema against its meta-schema first, where `pattern` has `format: regex`.
    if !jsonschema_regex::is_valid_ecma_regex(source) {
        return Compiled::Invalid(format!("`{source}` is not an ECMA-262 regular expression"));
    }
    let Ok(translated) = jsonschema_regex::to_rust_regex(source) else {
        return Compiled::Invalid(format!(
            "`{source}` is not an ECMA-262 regular expression this engine supports"
        ));
    };
    match regex::Regex::new(&translated) {
        Ok(regex) => Compiled::Regex(regex),
        // Look-around and backreferences, which `regex` does not have.
        Err(_) => match fancy_regex::RegexBuilder::new(&translated)
            .backtrack_limit(BACKTRACK_LIMIT)
            .build()
        {
            Ok(regex) => Compiled::Fancy(regex),
            Err(error) => Compiled::Invalid(format!("`{source}` does not compile: {error}")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static DIGITS: Pattern = Pattern::new(r"^\d+$");

    #[test]
    fn statics_compile_lazily() {
        assert_eq!(DIGITS.source(), r"^\d+$");
        assert!(DIGITS.is_match("123"));
        assert!(!DIGITS.is_match("12a"));
        // ECMA-262 `\d` is ASCII only.
        assert!(!DIGITS.is_match("١٢٣"));
        assert!(DIGITS.error().is_none());
    }

    #[test]
    fn search_not_whole_match() {
        assert!(Pattern::new("b").is_match("abc"));
        assert!(!Pattern::new("^b").is_match("abc"));
    }

    #[test]
    fn ecma_specifics() {
        // `\w` is ASCII only.
        assert!(!Pattern::new(r"^\w$").is_match("é"));
        // `.` does not match line terminators.
        assert!(!Pattern::new("^.$").is_match("\u{2028}"));
        assert!(Pattern::new("^.$").is_match("é"));
        // Control escapes.
        assert!(Pattern::new(r"^\cJ$").is_match("\n"));
    }

    #[test]
    fn lookaround_and_backreferences() {
        let lookahead = Pattern::new(r"^(?=.*\d)[a-z0-9]+$");
        assert!(lookahead.is_match("abc1"));
        assert!(!lookahead.is_match("abc"));
        let backreference = Pattern::new(r"^(a+)b\1$");
        assert!(backreference.is_match("aabaa"));
        assert!(!backreference.is_match("aaba"));
    }

    #[test]
    fn catastrophic_backtracking_is_cut_short() {
        // Nested quantifiers before a look-ahead (which only the backtracking engine runs): exponential on a
        // string of word characters that ends badly.
        let evil = Pattern::new(r"^(\w+\s?)*(?=x)$");
        let hostile = format!("{}!", "a".repeat(40));
        // The limit stops it (without one this takes minutes): an error, not a verdict.
        assert_eq!(evil.try_match(&hostile), Err(MatchError::TooComplex));
        assert!(!evil.is_match(&hostile));
        assert_eq!(evil.try_match("aaaa"), Ok(false));
        // Look-ahead on a long value stays within the limit.
        let long = format!("{}1", "a".repeat(100_000));
        assert_eq!(
            Pattern::new(r"^(?=.*\d)[a-z0-9]+$").try_match(&long),
            Ok(true)
        );
        assert!(matches!(
            Pattern::new("(unclosed").try_match("x"),
            Err(MatchError::Invalid(_))
        ));
    }

    #[test]
    fn invalid_patterns_match_nothing() {
        let broken = Pattern::new("(unclosed");
        assert!(!broken.is_match("(unclosed"));
        assert!(!broken.is_match(""));
        assert!(broken.error().is_some());
        assert!(Pattern::compile_error("(unclosed").is_some());
        assert!(Pattern::compile_error("[a-").is_some());
        assert!(Pattern::compile_error("^ok$").is_none());
        assert!(Pattern::compile_error(r"(?<=a)b").is_none());
    }

    #[test]
    fn debug_and_clone() {
        let p = Pattern::new("^x");
        assert_eq!(format!("{p:?}"), r#"Pattern("^x")"#);
        assert!(p.clone().is_match("xy"));
    }
}
