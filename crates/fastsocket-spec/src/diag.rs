//! Diagnostics: what is wrong, where (file, line, column, JSON pointer, the source line), and what would fix it.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};
use serde::Serialize;

use crate::node::Pos;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The document cannot be used.
    Error,
    /// The document can be used, but something is lost or suspicious.
    Warning,
}

/// What kind of finding a diagnostic is: a closed set, so tools and tests match on it rather than on text.
/// Serialised (and shown in `error[…]`) as a stable kebab-case string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Code {
    /// The text is not YAML or JSON.
    Syntax,
    /// A mapping holds the same key twice.
    DuplicateKey,
    /// `asyncapi` is missing or names a version that is not supported.
    Version,
    /// A field the specification does not define.
    UnknownField,
    /// A required field is absent.
    MissingField,
    /// Two entries that must be unique are not.
    Duplicate,
    /// A value of the wrong type or outside its allowed set.
    InvalidValue,
    /// A `$ref` that is not a valid reference.
    InvalidRef,
    /// A `$ref` whose target does not exist.
    UnresolvedRef,
    /// A `$ref` to an http(s) URL that no `--map-url` serves.
    RemoteRef,
    /// A `$ref` to a file outside the folder references may reach.
    RefOutsideRoot,
    /// A `$ref` form that is not supported.
    UnsupportedRef,
    /// References that lead back to themselves.
    RefLoop,
    /// Two operations share an `operationId`.
    DuplicateOperationId,
    /// An operation names a message that its channel does not carry.
    MessageNotInChannel,
    /// A security requirement names no scheme of the document.
    UnknownSecurityScheme,
    /// A schema that cannot be understood, kept as untyped JSON.
    OpaqueSchema,
    /// An example that does not match its schema (an error under `strict`).
    ExampleMismatch,
}

impl Code {
    /// Every code, in declaration order.
    pub const ALL: [Code; 18] = [
        Code::Syntax,
        Code::DuplicateKey,
        Code::Version,
        Code::UnknownField,
        Code::MissingField,
        Code::Duplicate,
        Code::InvalidValue,
        Code::InvalidRef,
        Code::UnresolvedRef,
        Code::RemoteRef,
        Code::RefOutsideRoot,
        Code::UnsupportedRef,
        Code::RefLoop,
        Code::DuplicateOperationId,
        Code::MessageNotInChannel,
        Code::UnknownSecurityScheme,
        Code::OpaqueSchema,
        Code::ExampleMismatch,
    ];

    /// The stable kebab-case string (`unknown-field`), as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Syntax => "syntax",
            Code::DuplicateKey => "duplicate-key",
            Code::Version => "version",
            Code::UnknownField => "unknown-field",
            Code::MissingField => "missing-field",
            Code::Duplicate => "duplicate",
            Code::InvalidValue => "invalid-value",
            Code::InvalidRef => "invalid-ref",
            Code::UnresolvedRef => "unresolved-ref",
            Code::RemoteRef => "remote-ref",
            Code::RefOutsideRoot => "ref-outside-root",
            Code::UnsupportedRef => "unsupported-ref",
            Code::RefLoop => "ref-loop",
            Code::DuplicateOperationId => "duplicate-operation-id",
            Code::MessageNotInChannel => "message-not-in-channel",
            Code::UnknownSecurityScheme => "unknown-security-scheme",
            Code::OpaqueSchema => "opaque-schema",
            Code::ExampleMismatch => "example-mismatch",
        }
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One finding about a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// What kind of finding it is (serialised as `unknown-field`, `unresolved-ref`, …).
    pub code: Code,
    /// What is wrong, in one sentence.
    pub message: String,
    /// The file, as given or relative to the entry document's folder.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column (characters).
    pub column: u32,
    /// JSON pointer of the offending value inside `file` (`""` for the root).
    pub pointer: String,
    /// What would fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// The source line at `line`, without its line break.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_line: Option<String>,
}

impl Diagnostic {
    /// An error at a position of a file, with the source line taken from `text`.
    pub fn new(
        severity: Severity,
        code: Code,
        message: impl Into<String>,
        file: &str,
        text: &str,
        pos: Pos,
        pointer: &str,
    ) -> Self {
        Diagnostic {
            severity,
            code,
            message: message.into(),
            file: file.to_string(),
            line: pos.line,
            column: pos.column,
            pointer: pointer.to_string(),
            help: None,
            source_line: source_line(text, pos.line),
        }
    }

    /// Adds a hint.
    pub fn with_help(mut self, help: Option<String>) -> Self {
        self.help = help;
        self
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Renders in the style of rustc, with ANSI colours when `color` is set.
    pub fn render(&self, color: bool) -> String {
        let paint = |style: Style, text: &str| {
            if color {
                format!("{}{text}{}", style.render(), style.render_reset())
            } else {
                text.to_string()
            }
        };
        let (label, label_style) = match self.severity {
            Severity::Error => ("error", AnsiColor::Red.on_default().bold()),
            Severity::Warning => ("warning", AnsiColor::Yellow.on_default().bold()),
        };
        let accent = AnsiColor::Blue.on_default().bold();
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{}{} {}",
            paint(label_style, &format!("{label}[{}]", self.code)),
            paint(Style::new().bold(), ":"),
            paint(Style::new().bold(), &self.message)
        );
        let gutter = " ".repeat(self.line.to_string().len());
        let pointer = if self.pointer.is_empty() {
            "/"
        } else {
            &self.pointer
        };
        let _ = writeln!(
            out,
            "{gutter}{} {}:{}:{} (#{pointer})",
            paint(accent, "-->"),
            self.file,
            self.line,
            self.column
        );
        if let Some(line) = &self.source_line {
            let shown = line.replace('\t', " ");
            let caret_at = (self.column as usize)
                .saturating_sub(1)
                .min(shown.chars().count());
            let _ = writeln!(out, "{gutter} {}", paint(accent, "|"));
            let _ = writeln!(
                out,
                "{} {} {shown}",
                paint(accent, &self.line.to_string()),
                paint(accent, "|")
            );
            let _ = writeln!(
                out,
                "{gutter} {} {}{}",
                paint(accent, "|"),
                " ".repeat(caret_at),
                paint(label_style, "^")
            );
        }
        if let Some(help) = &self.help {
            let _ = writeln!(out, "{gutter} {} {help}", paint(accent, "= help:"));
        }
        out
    }
}

/// Line `line` (1-based) of `text`, if it exists.
pub fn source_line(text: &str, line: u32) -> Option<String> {
    let line = text.lines().nth(line.checked_sub(1)? as usize)?;
    // A minified JSON document is one long line: show the part that matters, not 600 KB.
    Some(if line.len() > 240 {
        String::new()
    } else {
        line.to_string()
    })
    .filter(|l| !l.is_empty())
}

/// A "did you mean" hint: the closest candidate, if close enough to be a likely typo.
pub fn did_you_mean<'a>(
    wrong: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(wrong, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, c)| format!("did you mean `{c}`?"))
}

/// Sorts diagnostics by file, position and message so output is stable.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        (a.severity, &a.file, a.line, a.column, &a.message)
            .cmp(&(b.severity, &b.file, b.line, b.column, &b.message))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_location_source_and_help() {
        let text = "asyncapi: 3.0.0\ninfo:\n  titel: x\n";
        let d = Diagnostic::new(
            Severity::Error,
            Code::UnknownField,
            "unknown field `titel` in the Info Object",
            "spec.yaml",
            text,
            Pos { line: 3, column: 3 },
            "/info/titel",
        )
        .with_help(did_you_mean("titel", ["title", "version", "description"]));
        let shown = d.render(false);
        assert_eq!(
            shown,
            "error[unknown-field]: unknown field `titel` in the Info Object\n --> spec.yaml:3:3 (#/info/titel)\n  |\n3 |   titel: x\n  |   ^\n  = help: did you mean `title`?\n"
        );
        assert!(d.render(true).contains("\u{1b}["));
    }

    #[test]
    fn codes_serialise_to_their_strings() {
        for code in Code::ALL {
            assert_eq!(
                serde_json::to_value(code).unwrap(),
                serde_json::Value::String(code.as_str().to_string())
            );
        }
        assert_eq!(Code::ExampleMismatch.to_string(), "example-mismatch");
    }

    #[test]
    fn did_you_mean_ignores_unrelated_words() {
        assert_eq!(
            did_you_mean("Utterance", ["Utterence", "Other"]).as_deref(),
            Some("did you mean `Utterence`?")
        );
        assert_eq!(did_you_mean("zzz", ["title", "version"]), None);
    }
}
