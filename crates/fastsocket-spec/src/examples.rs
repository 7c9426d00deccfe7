//! Message examples checked against their own payload and headers schemas.
//!
//! An example that does not match is not an error: real documents are full of them (76 of the 296 examples of
//! the ZBOS MQTT API, with 139 schema errors between them; the official JS parser refuses that whole document).
//! Each is a located warning, and the example is marked invalid
//! ([`MessageExample::valid`](fastsocket_ir::MessageExample::valid)) so emitters leave it out of generated tests.
//!
//! The schemas are the IR's written back as draft-07 by [`to_json_schema_inlined`] (the form that compiles
//! fastest) and compiled once per type with the `jsonschema` crate. `format` is asserted for the formats generated
//! validators check (draft-07's, plus `uuid`); formats nobody defines (`first_name`, `sentence`, OpenAPI's
//! `int32`, …) are annotations and never fail. A schema the crate cannot compile (a `pattern` its regex engine
//! refuses, say) leaves its examples unchecked, and so valid.

use std::collections::HashMap;

use fastsocket_ir::json_schema::to_json_schema_inlined;
use fastsocket_ir::{Api, Location, TypeBody, TypeId, TypeSpace};
use jsonschema::{Draft, ValidationError, ValidationOptions, Validator};

use crate::diag::{self, Diagnostic, Severity};
use crate::sources::{FileId, Sources};

/// Values printed in full in a reason; longer ones are called "the value".
const MAX_SHOWN_VALUE: usize = 60;

const HELP: &str =
    "fix the example or the schema; examples that do not match are left out of generated tests";

/// Checks every message example against the message's payload and headers schemas, sets each example's `valid`
/// flag, and returns one `example-mismatch` warning per mismatching payload or headers.
pub(crate) fn check_examples(api: &mut Api, sources: &Sources) -> Vec<Diagnostic> {
    let Api {
        messages, types, ..
    } = api;
    let mut checker = Checker::new(types);
    let mut lines = Lines::default();
    let mut diagnostics = Vec::new();
    for message in messages.iter_mut() {
        for (index, example) in message.examples.iter_mut().enumerate() {
            let mut valid = true;
            for (part, schema, value) in [
                ("payload", message.payload, &example.payload),
                ("headers", message.headers, &example.headers),
            ] {
                let (Some(schema), Some(value)) = (schema, value) else {
                    continue;
                };
                let Some(validator) = checker.validator(schema) else {
                    continue;
                };
                let mut errors = validator.iter_errors(value);
                let Some(first) = errors.next() else {
                    continue;
                };
                let more = errors.count();
                valid = false;
                let what = match &example.name {
                    Some(name) => format!("example `{name}`"),
                    None => format!("unnamed example #{index}"),
                };
                let mut text = format!(
                    "{what} of message `{}` does not match its {part} schema: {}",
                    message.key,
                    reason(&first)
                );
                if more > 0 {
                    text.push_str(&format!(" (and {more} more)"));
                }
                let loc = &example.location;
                let source_line = lines.line(sources, &loc.file, loc.line);
                diagnostics.push(located(loc, text, source_line));
            }
            example.valid = valid;
        }
    }
    diagnostics
}

/// Compiled validators by type, each built on first use.
struct Checker<'a> {
    types: &'a TypeSpace,
    options: ValidationOptions<'static>,
    compiled: HashMap<TypeId, Option<Validator>>,
}

impl<'a> Checker<'a> {
    fn new(types: &'a TypeSpace) -> Self {
        let options = jsonschema::options()
            .with_draft(Draft::Draft7)
            .should_validate_formats(true)
            .should_ignore_unknown_formats(true)
            .with_format("uuid", is_uuid);
        Checker {
            types,
            options,
            compiled: HashMap::new(),
        }
    }

    /// The validator of a type; `None` when nothing can be checked (an opaque or `true` schema) or when the
    /// schema does not compile (a `pattern` the regex engine refuses, say): such examples stay valid.
    fn validator(&mut self, id: TypeId) -> Option<&Validator> {
        let types = self.types;
        let options = &self.options;
        self.compiled
            .entry(id)
            .or_insert_with(|| {
                match &types.try_get(id)?.body {
                    TypeBody::Opaque { .. } | TypeBody::Bool { value: true } => return None,
                    TypeBody::Bool { value: false } | TypeBody::Schema(_) => {}
                }
                options.build(&to_json_schema_inlined(types, id)).ok()
            })
            .as_ref()
    }
}

/// One line saying what is wrong where: `/path/to/value: reason` (just the reason at the root).
fn reason(error: &ValidationError<'_>) -> String {
    let shown = if error.instance().to_string().len() <= MAX_SHOWN_VALUE {
        error.to_string()
    } else {
        error.masked_with("the value").to_string()
    };
    let path = error.instance_path().as_str();
    if path.is_empty() {
        shown
    } else {
        format!("{path}: {shown}")
    }
}

/// Source lines by file, for warnings.
///
/// [`Diagnostic::new`] finds its line by scanning the file from the start; with a hundred warnings in a 670 KB
/// document that scan cost more than checking every example, so each file is indexed once here.
#[derive(Default)]
struct Lines<'s> {
    files: HashMap<String, Option<(&'s str, Vec<usize>)>>,
}

impl<'s> Lines<'s> {
    /// Line `line` (1-based) of the file shown as `display`, as [`diag::source_line`] would give it.
    fn line(&mut self, sources: &'s Sources, display: &str, line: u32) -> Option<String> {
        let entry = self
            .files
            .entry(display.to_string())
            .or_insert_with(|| {
                let text = file_text(sources, display)?;
                let starts = std::iter::once(0)
                    .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                    .collect();
                Some((text, starts))
            })
            .as_ref()?;
        let (text, starts) = entry;
        let index = usize::try_from(line.checked_sub(1)?).ok()?;
        let start = *starts.get(index)?;
        let end = starts.get(index + 1).copied().unwrap_or(text.len());
        diag::source_line(&text[start..end], 1)
    }
}

/// A warning at an example.
fn located(at: &Location, message: String, source_line: Option<String>) -> Diagnostic {
    Diagnostic {
        severity: Severity::Warning,
        code: "example-mismatch",
        message,
        file: at.file.clone(),
        line: at.line,
        column: at.column,
        pointer: at.pointer.clone(),
        help: Some(HELP.to_string()),
        source_line,
    }
}

/// The text of the file shown as `display` (IR locations name files the way diagnostics do).
fn file_text<'s>(sources: &'s Sources, display: &str) -> Option<&'s str> {
    // Every file read has a path except a standard-input entry document; files that failed to read hold slots
    // without being files, so walk the ids until every file read has been seen.
    let entry_without_path = sources
        .file(sources.entry())
        .is_some_and(|f| f.path.is_none());
    let files = sources.paths().len() + usize::from(entry_without_path);
    let mut seen = 0;
    let mut id = 0u32;
    while seen < files && id < u32::MAX {
        if let Some(file) = sources.file(FileId(id)) {
            if file.display == display {
                return Some(&file.text);
            }
            seen += 1;
        }
        id += 1;
    }
    None
}

/// RFC 9562 text form: 8-4-4-4-12 hexadecimal digits.
fn is_uuid(s: &str) -> bool {
    let bytes = s.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids() {
        assert!(is_uuid("0f9e8d7c-6b5a-4493-8271-605f4e3d2c1b"));
        assert!(is_uuid("0F9E8D7C-6B5A-4493-8271-605F4E3D2C1B"));
        assert!(!is_uuid("0f9e8d7c6b5a44938271605f4e3d2c1b"));
        assert!(!is_uuid("0f9e8d7c-6b5a-4493-8271-605f4e3d2c1g"));
        assert!(!is_uuid("order-1"));
    }

    #[test]
    fn long_values_are_not_printed() {
        let validator = jsonschema::validator_for(&serde_json::json!({
            "properties": {"a": {"type": "integer"}, "b": {"type": "string"}}
        }))
        .unwrap();
        let short = serde_json::json!({"a": "x"});
        let error = validator.iter_errors(&short).next().unwrap();
        assert_eq!(reason(&error), r#"/a: "x" is not of type "integer""#);
        let long = serde_json::json!({"b": "y".repeat(100)});
        let validator =
            jsonschema::validator_for(&serde_json::json!({"properties": {"b": {"maxLength": 3}}}))
                .unwrap();
        let error = validator.iter_errors(&long).next().unwrap();
        assert!(!reason(&error).contains("yyyy"), "{}", reason(&error));
    }
}
