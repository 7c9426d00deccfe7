//! Message examples checked against their own payload and headers schemas.
//!
//! An example that does not match is not an error: real documents are full of them (76 of the 296 examples of
//! the ZBOS MQTT API, with 139 schema errors between them; the official JS parser refuses that whole document).
//! Each is a located warning, and the example is marked invalid
//! ([`MessageExample::valid`](fastsocket_ir::MessageExample::valid)) so emitters leave it out of generated tests.
//!
//! The judge is the `jsonschema` crate, given the IR's schemas written back as draft-07 by
//! [`to_json_schema_inlined`] (the form that compiles fastest), each compiled at most once. Compiling is what costs,
//! so a walk over the IR first proves most examples valid without it ([`Quick`]); only the rest are compiled for.
//! `format` is asserted for the formats generated validators check (draft-07's, plus `uuid`); formats nobody
//! defines (`first_name`, `sentence`, OpenAPI's `int32`, …) are annotations and never fail. A schema the crate
//! cannot compile (a `pattern` its regex engine refuses, say) leaves its examples unchecked, and so valid.

use std::cmp::Ordering;
use std::collections::HashMap;

use fastsocket_ir::json_schema::to_json_schema_inlined;
use fastsocket_ir::{Api, JsonType, Location, Schema, TypeBody, TypeId, TypeSpace};
use jsonschema::{Draft, ValidationError, ValidationOptions, Validator};
use serde_json::{Number, Value};

use crate::diag::{Code, Diagnostic, Severity};
use crate::sources::Sources;

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
                if checker.quick(schema, value) == Quick::Valid {
                    continue;
                }
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
                let source_line = sources
                    .file_named(&loc.file)
                    .and_then(|f| f.source_line(loc.line));
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

    /// What [`Quick`] makes of a value.
    fn quick(&self, id: TypeId, value: &Value) -> Quick {
        QuickCheck {
            types: self.types,
            options: &self.options,
        }
        .check(id, value, 0)
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

/// The verdict of a walk over the IR types that needs no compiled validator.
///
/// Compiling a validator costs far more than validating: on the ZBOS document, building one per payload was most
/// of the time the check took. Most examples match, and for the keywords that are cheap to evaluate exactly
/// (types, properties, items, lengths, bounds, `enum`, compositions) the walk proves it. Where it would have to
/// guess (`pattern`, an asserted `format`, `multipleOf`, `uniqueItems`, numbers compared across integer and
/// float, …) it says [`Quick::Unknown`]. Only [`Quick::Valid`] is trusted; anything else goes to the compiled
/// validator, which also words the warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quick {
    Valid,
    Invalid,
    Unknown,
}

impl Quick {
    fn from_bool(ok: bool) -> Quick {
        if ok { Quick::Valid } else { Quick::Invalid }
    }

    /// Both must hold.
    fn and(self, other: Quick) -> Quick {
        match (self, other) {
            (Quick::Invalid, _) | (_, Quick::Invalid) => Quick::Invalid,
            (Quick::Unknown, _) | (_, Quick::Unknown) => Quick::Unknown,
            _ => Quick::Valid,
        }
    }

    /// At least one holds (`anyOf`, `contains`, `enum`), over verdicts.
    fn any(verdicts: impl IntoIterator<Item = Quick>) -> Quick {
        let mut out = Quick::Invalid;
        for v in verdicts {
            match v {
                Quick::Valid => return Quick::Valid,
                Quick::Unknown => out = Quick::Unknown,
                Quick::Invalid => {}
            }
        }
        out
    }
}

/// How deep the walk goes (into values or through compositions) before it gives up.
const MAX_QUICK_DEPTH: usize = 64;

struct QuickCheck<'a> {
    types: &'a TypeSpace,
    options: &'a ValidationOptions<'static>,
}

impl QuickCheck<'_> {
    fn check(&self, id: TypeId, value: &Value, depth: usize) -> Quick {
        if depth > MAX_QUICK_DEPTH {
            return Quick::Unknown;
        }
        match self.types.try_get(id).map(|t| &t.body) {
            None => Quick::Unknown,
            Some(TypeBody::Bool { value: ok }) => Quick::from_bool(*ok),
            Some(TypeBody::Opaque { .. }) => Quick::Valid,
            // `nullable` without `type` is `anyOf: [schema, {type: null}]`.
            Some(TypeBody::Schema(s)) if s.nullable && s.types.is_empty() && value.is_null() => {
                Quick::Valid
            }
            Some(TypeBody::Schema(s)) => self.schema(s, value, depth),
        }
    }

    fn schema(&self, s: &Schema, value: &Value, depth: usize) -> Quick {
        let next = depth + 1;
        if !s.types.is_empty() {
            let nullable = s.nullable && value.is_null();
            let typed = Quick::any(s.types.iter().map(|t| has_type(*t, value)));
            if !nullable && typed != Quick::Valid {
                return typed;
            }
        }
        let mut verdict = Quick::Valid;
        if let Some(c) = &s.const_value {
            verdict = verdict.and(json_equal(c, value));
        }
        if let Some(values) = &s.enum_values {
            verdict = verdict.and(Quick::any(values.iter().map(|e| json_equal(e, value))));
        }
        verdict = verdict.and(match value {
            Value::Object(map) => self.object(s, map, next),
            Value::Array(items) => self.array(s, items, next),
            Value::String(text) => self.string(s, text),
            Value::Number(n) => number(s, n),
            _ => Quick::Valid,
        });
        if verdict == Quick::Invalid {
            return verdict;
        }
        for id in &s.all_of {
            verdict = verdict.and(self.check(*id, value, next));
        }
        if !s.any_of.is_empty() {
            verdict = verdict.and(Quick::any(
                s.any_of.iter().map(|id| self.check(*id, value, next)),
            ));
        }
        if !s.one_of.is_empty() {
            let mut matched = 0;
            let mut unsure = false;
            for id in &s.one_of {
                match self.check(*id, value, next) {
                    Quick::Valid => matched += 1,
                    Quick::Unknown => unsure = true,
                    Quick::Invalid => {}
                }
            }
            verdict = verdict.and(if unsure {
                Quick::Unknown
            } else {
                Quick::from_bool(matched == 1)
            });
        }
        if let Some(id) = s.not {
            verdict = verdict.and(match self.check(id, value, next) {
                Quick::Valid => Quick::Invalid,
                Quick::Invalid => Quick::Valid,
                Quick::Unknown => Quick::Unknown,
            });
        }
        if let Some(condition) = s.if_schema {
            let branch = match self.check(condition, value, next) {
                Quick::Valid => s.then_schema.map(|id| self.check(id, value, next)),
                Quick::Invalid => s.else_schema.map(|id| self.check(id, value, next)),
                Quick::Unknown if s.then_schema.is_some() || s.else_schema.is_some() => {
                    Some(Quick::Unknown)
                }
                Quick::Unknown => None,
            };
            verdict = verdict.and(branch.unwrap_or(Quick::Valid));
        }
        verdict
    }

    fn object(&self, s: &Schema, map: &serde_json::Map<String, Value>, depth: usize) -> Quick {
        let len = map.len() as u64;
        if s.required.iter().any(|r| !map.contains_key(r))
            || s.min_properties.is_some_and(|min| len < min)
            || s.max_properties.is_some_and(|max| len > max)
        {
            return Quick::Invalid;
        }
        let mut verdict =
            if s.pattern_properties.is_empty() && !s.extensions.contains_key("dependencies") {
                Quick::Valid
            } else {
                Quick::Unknown
            };
        for (key, item) in map {
            let declared = s.properties.iter().find(|p| &p.name == key).map(|p| p.ty);
            let schema = match declared {
                Some(id) => Some(id),
                None if s.pattern_properties.is_empty() => s.additional_properties,
                None => None,
            };
            if let Some(id) = schema {
                verdict = verdict.and(self.check(id, item, depth));
            }
            if let Some(id) = s.property_names {
                verdict = verdict.and(self.check(id, &Value::String(key.clone()), depth));
            }
            if verdict == Quick::Invalid {
                return verdict;
            }
        }
        verdict
    }

    fn array(&self, s: &Schema, items: &[Value], depth: usize) -> Quick {
        let len = items.len() as u64;
        if s.min_items.is_some_and(|min| len < min) || s.max_items.is_some_and(|max| len > max) {
            return Quick::Invalid;
        }
        let mut verdict = if s.unique_items {
            Quick::Unknown
        } else {
            Quick::Valid
        };
        for (i, item) in items.iter().enumerate() {
            if let Some(id) = s.prefix_items.get(i).copied().or(s.items) {
                verdict = verdict.and(self.check(id, item, depth));
                if verdict == Quick::Invalid {
                    return verdict;
                }
            }
        }
        if let Some(id) = s.contains {
            verdict = verdict.and(Quick::any(
                items.iter().map(|item| self.check(id, item, depth)),
            ));
        }
        verdict
    }

    fn string(&self, s: &Schema, text: &str) -> Quick {
        if s.min_length.is_some() || s.max_length.is_some() {
            let len = text.chars().count() as u64;
            if s.min_length.is_some_and(|min| len < min)
                || s.max_length.is_some_and(|max| len > max)
            {
                return Quick::Invalid;
            }
        }
        let asserted_format = s
            .format
            .as_deref()
            .is_some_and(|f| self.options.is_known_format(Draft::Draft7, f));
        if s.pattern.is_some()
            || asserted_format
            || s.content_encoding.is_some()
            || s.content_media_type.is_some()
        {
            return Quick::Unknown;
        }
        Quick::Valid
    }
}

/// Whether a value has a JSON type (`integer` takes whole floats like `1.0` too, which is left to the validator).
fn has_type(t: JsonType, value: &Value) -> Quick {
    let ok = match (t, value) {
        (JsonType::Null, Value::Null)
        | (JsonType::Boolean, Value::Bool(_))
        | (JsonType::Number, Value::Number(_))
        | (JsonType::String, Value::String(_))
        | (JsonType::Array, Value::Array(_))
        | (JsonType::Object, Value::Object(_)) => true,
        (JsonType::Integer, Value::Number(n)) if n.is_f64() => {
            return if n.as_f64().is_some_and(|f| f.fract() != 0.0) {
                Quick::Invalid
            } else {
                Quick::Unknown
            };
        }
        (JsonType::Integer, Value::Number(_)) => true,
        _ => false,
    };
    Quick::from_bool(ok)
}

/// JSON equality (`enum`, `const`); values mixing integers and floats (`1` and `1.0` are equal) are left to the
/// validator.
fn json_equal(a: &Value, b: &Value) -> Quick {
    if a == b {
        Quick::Valid
    } else if has_float(a) || has_float(b) {
        Quick::Unknown
    } else {
        Quick::Invalid
    }
}

fn has_float(v: &Value) -> bool {
    match v {
        Value::Number(n) => n.is_f64(),
        Value::Array(items) => items.iter().any(has_float),
        Value::Object(map) => map.values().any(has_float),
        _ => false,
    }
}

/// Numeric bounds, compared exactly between integers; anything involving a float is left to the validator unless
/// it is clear by a margin.
fn number(s: &Schema, n: &Number) -> Quick {
    if s.multiple_of.is_some() {
        return Quick::Unknown;
    }
    let mut verdict = Quick::Valid;
    for (bound, ok) in [
        (&s.minimum, Ordering::is_ge as fn(Ordering) -> bool),
        (&s.maximum, Ordering::is_le),
        (&s.exclusive_minimum, Ordering::is_gt),
        (&s.exclusive_maximum, Ordering::is_lt),
    ] {
        if let Some(bound) = bound {
            verdict = verdict.and(match compare(n, bound) {
                Some(order) => Quick::from_bool(ok(order)),
                None => Quick::Unknown,
            });
        }
    }
    verdict
}

/// `a` against `b`, when certain.
fn compare(a: &Number, b: &Number) -> Option<Ordering> {
    let exact = |n: &Number| {
        n.as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
    };
    if let (Some(x), Some(y)) = (exact(a), exact(b)) {
        return Some(x.cmp(&y));
    }
    let (x, y) = (a.as_f64()?, b.as_f64()?);
    // Floats and integers beyond 2^53 are not compared exactly here; only a clear margin counts.
    let margin = 1e-9 * x.abs().max(y.abs()).max(1.0);
    if (x - y).abs() <= margin {
        None
    } else {
        x.partial_cmp(&y)
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

/// A warning at an example.
fn located(at: &Location, message: String, source_line: Option<String>) -> Diagnostic {
    Diagnostic {
        severity: Severity::Warning,
        code: Code::ExampleMismatch,
        message,
        file: at.file.clone(),
        line: at.line,
        column: at.column,
        pointer: at.pointer.clone(),
        help: Some(HELP.to_string()),
        source_line,
    }
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
    use std::path::{Path, PathBuf};

    use serde_json::json;

    use super::*;
    use crate::{Input, LoadOptions};

    /// A space of one schema (plus `children`), for the quick check.
    fn quick_of(root: Schema, children: Vec<Schema>, value: Value) -> Quick {
        let types = TypeSpace {
            types: std::iter::once(root)
                .chain(children)
                .enumerate()
                .map(|(i, s)| fastsocket_ir::TypeDef {
                    id: TypeId(i as u32),
                    name: format!("T{i}"),
                    component: None,
                    origin: Location::default(),
                    body: TypeBody::Schema(Box::new(s)),
                })
                .collect(),
        };
        Checker::new(&types).quick(TypeId(0), &value)
    }

    #[test]
    fn the_quick_check_says_unknown_where_it_would_guess() {
        let integer = Schema {
            types: vec![JsonType::Integer],
            ..Schema::default()
        };
        assert_eq!(quick_of(integer.clone(), vec![], json!(3)), Quick::Valid);
        assert_eq!(
            quick_of(integer.clone(), vec![], json!(3.5)),
            Quick::Invalid
        );
        assert_eq!(
            quick_of(integer.clone(), vec![], json!(3.0)),
            Quick::Unknown
        );
        let one_of_enum = Schema {
            enum_values: Some(vec![json!(1), json!("a")]),
            ..Schema::default()
        };
        assert_eq!(
            quick_of(one_of_enum.clone(), vec![], json!("a")),
            Quick::Valid
        );
        assert_eq!(
            quick_of(one_of_enum.clone(), vec![], json!("b")),
            Quick::Invalid
        );
        assert_eq!(quick_of(one_of_enum, vec![], json!(1.0)), Quick::Unknown);
        let bounded = Schema {
            exclusive_minimum: Some(Number::from(0)),
            maximum: Some(Number::from_f64(2.5).unwrap()),
            ..Schema::default()
        };
        assert_eq!(quick_of(bounded.clone(), vec![], json!(1)), Quick::Valid);
        assert_eq!(quick_of(bounded.clone(), vec![], json!(0)), Quick::Invalid);
        assert_eq!(quick_of(bounded.clone(), vec![], json!(3)), Quick::Invalid);
        assert_eq!(quick_of(bounded, vec![], json!(2.5)), Quick::Unknown);
        let formatted = |format: &str| Schema {
            format: Some(format.to_string()),
            ..Schema::default()
        };
        assert_eq!(
            quick_of(formatted("uuid"), vec![], json!("x")),
            Quick::Unknown
        );
        assert_eq!(
            quick_of(formatted("first_name"), vec![], json!("x")),
            Quick::Valid
        );
        // oneOf: exactly one; a branch it cannot decide makes the whole unknown.
        let branches = Schema {
            one_of: vec![TypeId(1), TypeId(2)],
            ..Schema::default()
        };
        let string = Schema {
            types: vec![JsonType::String],
            ..Schema::default()
        };
        let short = Schema {
            max_length: Some(2),
            ..Schema::default()
        };
        let patterned = Schema {
            pattern: Some("^a".into()),
            ..Schema::default()
        };
        let both = vec![string.clone(), short.clone()];
        assert_eq!(
            quick_of(branches.clone(), both.clone(), json!("abc")),
            Quick::Valid
        );
        assert_eq!(
            quick_of(branches.clone(), both, json!("ab")),
            Quick::Invalid
        );
        assert_eq!(
            quick_of(branches, vec![string, patterned], json!("ab")),
            Quick::Unknown
        );
    }

    /// Every example of every document at hand: whatever the quick check decides, the compiled validator agrees.
    #[test]
    fn the_quick_check_agrees_with_the_validator() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut documents: Vec<PathBuf> = Vec::new();
        for folder in [
            "../../specs",
            "../../specs/multi-file",
            "../../../shared/asyncapi-corpus/v2",
            "../../../shared/asyncapi-corpus/v3",
            "../../../shared/asyncapi-corpus/socketio",
        ] {
            let Ok(entries) = std::fs::read_dir(root.join(folder)) else {
                continue;
            };
            documents.extend(entries.flatten().map(|e| e.path()).filter(|p| {
                matches!(
                    p.extension().and_then(|e| e.to_str()),
                    Some("yaml" | "yml" | "json")
                )
            }));
        }
        documents.sort();
        let mut counts = HashMap::new();
        for path in &documents {
            let Ok(loaded) = crate::load(&Input::Path(path.clone()), &LoadOptions::default())
            else {
                continue;
            };
            let mut checker = Checker::new(&loaded.api.types);
            for message in &loaded.api.messages {
                for example in &message.examples {
                    for (schema, value) in [
                        (message.payload, &example.payload),
                        (message.headers, &example.headers),
                    ] {
                        let (Some(schema), Some(value)) = (schema, value) else {
                            continue;
                        };
                        let quick = checker.quick(schema, value);
                        *counts.entry(format!("{quick:?}")).or_insert(0) += 1;
                        let valid = checker.validator(schema).is_none_or(|v| v.is_valid(value));
                        assert!(
                            quick == Quick::Unknown || (quick == Quick::Valid) == valid,
                            "{}: message {}: quick {quick:?}, validator {valid}: {value}",
                            path.display(),
                            message.key
                        );
                    }
                }
            }
        }
        println!("{} documents, quick verdicts: {counts:?}", documents.len());
    }

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
