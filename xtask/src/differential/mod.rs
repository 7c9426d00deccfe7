//! The differential test: the generated validators against the `jsonschema` crate, case by case.
//!
//! For every named type of a document (each message payload, headers and acknowledgement root, and each component
//! schema: the types `models.rs` emits) this module builds cases — the spec's examples, the schema's `examples`
//! and `default`, synthesised valid values, and mutations of the valid ones that probe each keyword at its
//! boundary (see [`values`]) — and asks `jsonschema` for its verdict on [`to_json_schema`] of the type, configured
//! as the project's example checks are (draft-07, formats asserted, unknown formats ignored, `uuid` added).
//!
//! The cases go into the generated crate as `differential.json`, next to a test (`tests/differential.rs`,
//! written here, not by the emitter) that runs `fastsocket::validate::<models::Name>` on each and compares. A
//! disagreement fails the test unless the case is one of the documented [`Exception`]s, where the two verdicts
//! differ on purpose; the test prints each disagreement and a summary line that [`Outcome::parse`] reads back.

pub mod values;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use fastsocket_ir::json_schema::to_json_schema;
use fastsocket_ir::{Api, JsonType, Location, Schema, TypeBody, TypeDef, TypeId, TypeSpace};
use fastsocket_spec::{Input, LoadOptions};
use quote::{format_ident, quote};
use serde_json::{Number, Value, json};

use crate::emit_rust::{Document, GateOptions};
use values::Values;

/// Arguments of `cargo xtask differential`.
#[derive(Debug, Args)]
pub struct DifferentialArgs {
    /// Also take a deterministic sample of the documents of this corpus folder that load (the MANIFEST's `ok`
    /// entries, or every AsyncAPI document outside `invalid/` folders).
    #[arg(long, value_name = "DIR")]
    corpus: Option<PathBuf>,
    /// The most corpus documents to take (evenly spaced over the sorted list when there are more).
    #[arg(long, default_value_t = 100)]
    max_documents: usize,
    #[command(flatten)]
    limits: Limits,
}

/// How many cases are compared.
#[derive(Debug, Clone, Copy, Args)]
pub struct Limits {
    /// The most cases per type.
    #[arg(long, default_value_t = 200)]
    pub cases_per_type: usize,
    /// The most cases per document, shared among its types (each type keeps at least 20).
    #[arg(long, default_value_t = 6000)]
    pub cases_per_document: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            cases_per_type: 200,
            cases_per_document: 6000,
        }
    }
}

/// The fewest cases a type keeps when a document's budget is shared among many types.
const MIN_CASES_PER_TYPE: usize = 20;
/// How many disagreements the generated test prints (it counts them all).
const PRINTED_DISAGREEMENTS: usize = 20;

/// A known, deliberate difference between the generated validators and `jsonschema`: where a case's two verdicts
/// differ for this reason only, it is counted as the exception, not as a disagreement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exception {
    /// The generated validators assert OpenAPI's number formats (`int32`, `int64`, `float`; `double` accepts
    /// every number) so that a valid value always fits the Rust type of its field (`i32`, `i64`, `f32`);
    /// JSON Schema treats them as annotations, and so does `jsonschema`. A case is this exception when
    /// `jsonschema` judges it differently once each such format is written out as the range it asserts
    /// (`{"if": {"type": "number"}, "then": {"type": "integer", "minimum": -2147483648, …}}`), and that verdict
    /// is ours.
    NumberFormat,
    /// A schema that reaches itself without descending into the value (`Worker: {oneOf: [Employer, Employee]}`,
    /// `Employer: {allOf: [Worker]}`): JSON Schema leaves its meaning undefined, since checking it never ends.
    /// Both sides stop at the cycle and count the re-entry as valid, but not at the same place: the generated
    /// validators at the first re-entry of any schema of the cycle on the same value
    /// (`fastsocket::Checker::cycle_guard`), `jsonschema` only at the `$ref` that closed the cycle when it
    /// compiled the schema, which depends on where it started. So `Worker` with both `hasFullAccess` and
    /// `employedSince` matches both alternatives for us (refused by `oneOf`) and one for `jsonschema`. A case is
    /// this exception when checking it reaches a type of such a cycle, whatever the verdicts.
    InPlaceCycle,
}

impl Exception {
    /// Every exception, for the report.
    pub const ALL: [Exception; 2] = [Exception::NumberFormat, Exception::InPlaceCycle];

    /// The key in `differential.json` and in the summary.
    pub fn key(self) -> &'static str {
        match self {
            Exception::NumberFormat => "number-format",
            Exception::InPlaceCycle => "in-place-cycle",
        }
    }

    /// Why the verdicts differ, in a line.
    pub fn reason(self) -> &'static str {
        match self {
            Exception::NumberFormat => {
                "the generated validators assert the number formats int32/int64/float so values fit the Rust \
                 field types; jsonschema treats formats on numbers as annotations"
            }
            Exception::InPlaceCycle => {
                "a schema reaching itself through allOf/anyOf/oneOf/not/if on the same value is undefined in JSON \
                 Schema; both sides count the re-entry as valid, at different places"
            }
        }
    }
}

/// One case: a value, the type it is checked as, and `jsonschema`'s verdict.
#[derive(Debug, Clone)]
pub struct Case {
    /// The name of the type in `models.rs`.
    pub type_name: String,
    /// The value.
    pub value: Value,
    /// Whether `jsonschema` accepts it.
    pub expected_valid: bool,
    /// When the case falls under a documented exception: which, and the verdict expected of us under it.
    pub exception: Option<(Exception, bool)>,
}

/// The cases of one document, and what could not be compared.
#[derive(Debug, Default)]
pub struct Plan {
    /// The cases, grouped by type in id order.
    pub cases: Vec<Case>,
    /// How many types have cases.
    pub types: usize,
    /// Types left out, with the reason (`jsonschema` cannot compile the schema, say).
    pub skipped: Vec<(String, String)>,
    /// Synthesised values, and how many of them `jsonschema` accepts (how well the synthesiser does).
    pub synthesized: (usize, usize),
}

/// Builds the cases of every named type of `api`.
pub fn plan(api: &Api, limits: &Limits) -> Plan {
    let mut plan = Plan::default();
    let roots = named_roots(api);
    if roots.is_empty() {
        return plan;
    }
    let per_type = (limits.cases_per_document / roots.len())
        .max(MIN_CASES_PER_TYPE)
        .min(limits.cases_per_type);
    let values = Values::new(&api.types);
    let augmented = with_number_formats(&api.types);
    let cyclic = api.types.in_place_cycles();
    for id in roots {
        let def = api.types.get(id);
        let reference = to_json_schema(&api.types, id);
        let validator = match reference_validator(&reference) {
            Ok(v) => v,
            Err(why) => {
                plan.skipped.push((def.name.clone(), why));
                continue;
            }
        };
        // Compiled only for types that reach a number format.
        let exception_validator = augmented
            .as_ref()
            .filter(|_| reaches_number_format(&api.types, id))
            .and_then(|types| reference_validator(&to_json_schema(types, id)).ok());

        let mut seen: HashSet<String> = HashSet::new();
        let mut seeds: Vec<Value> = Vec::new();
        let mut push = |v: &Value, into: &mut Vec<Value>| {
            if seen.insert(v.to_string()) {
                into.push(v.clone());
            }
        };
        for message in &api.messages {
            for example in &message.examples {
                if message.payload == Some(id)
                    && let Some(v) = &example.payload
                {
                    push(v, &mut seeds);
                }
                if message.headers == Some(id)
                    && let Some(v) = &example.headers
                {
                    push(v, &mut seeds);
                }
            }
        }
        if let Some(s) = api.types.schema(id) {
            for v in s.examples.iter().chain(&s.default) {
                push(v, &mut seeds);
            }
        }
        let mut synthesized = vec![
            values.synthesize(id, false, 0),
            values.synthesize(id, true, 0),
        ];
        for choice in 1..values.alternatives(id).min(8) {
            synthesized.push(values.synthesize(id, true, choice));
        }
        // Grown from the smallest: every optional property the schema accepts, for the mutations to reach.
        let errors = |v: &Value| validator.iter_errors(v).count();
        let grown = values.grow(id, &synthesized[0], errors);
        synthesized.push(grown);
        plan.synthesized.0 += synthesized.len();
        plan.synthesized.1 += synthesized.iter().filter(|v| validator.is_valid(v)).count();
        for v in &synthesized {
            push(v, &mut seeds);
        }

        let mut valid: Vec<&Value> = seeds.iter().filter(|v| validator.is_valid(v)).collect();
        if valid.is_empty() {
            // Nothing valid to start from: mutations of the synthesised values still compare verdicts.
            valid.extend(seeds.iter().filter(|v| synthesized.contains(v)));
        }
        let mut mutations: Vec<Value> = Vec::new();
        for seed in &valid {
            for m in values.mutations(id, seed) {
                push(&m, &mut mutations);
            }
        }
        let keep_seeds = seeds.len().min(per_type.div_ceil(4).max(1));
        seeds.truncate(keep_seeds);
        let room = per_type.saturating_sub(seeds.len());
        let chosen = seeds.into_iter().chain(spread(mutations, room));
        for value in chosen {
            let expected_valid = validator.is_valid(&value);
            let number_format = exception_validator.as_ref().and_then(|v| {
                let under = v.is_valid(&value);
                (under != expected_valid).then_some((Exception::NumberFormat, under))
            });
            let exception = number_format.or_else(|| {
                (!cyclic.is_empty() && values.touches(id, &value, &cyclic))
                    .then_some((Exception::InPlaceCycle, !expected_valid))
            });
            plan.cases.push(Case {
                type_name: def.name.clone(),
                value,
                expected_valid,
                exception,
            });
        }
        plan.types += 1;
    }
    plan
}

/// `n` items of `items`, evenly spaced (all of them when there are not more).
fn spread<T>(items: Vec<T>, n: usize) -> Vec<T> {
    if items.len() <= n {
        return items;
    }
    if n == 0 {
        return Vec::new();
    }
    let len = items.len();
    let wanted: HashSet<usize> = (0..n).map(|i| i * len / n).collect();
    items
        .into_iter()
        .enumerate()
        .filter(|(i, _)| wanted.contains(i))
        .map(|(_, v)| v)
        .collect()
}

/// The types `models.rs` emits that have a schema to compare: message payloads, headers and acks,
/// `components.x-messageAcks`, and component schemas, in id order; opaque ones (Avro, …) are left out.
pub fn named_roots(api: &Api) -> Vec<TypeId> {
    let mut roots: Vec<TypeId> = api
        .types
        .iter()
        .filter(|t| t.component.is_some())
        .map(|t| t.id)
        .collect();
    for m in &api.messages {
        roots.extend(m.payload.iter().chain(&m.headers).chain(&m.ack));
    }
    roots.extend(api.message_acks.values());
    roots.sort_unstable();
    roots.dedup();
    roots.retain(|id| !matches!(api.types.get(*id).body, TypeBody::Opaque { .. }));
    roots
}

/// `jsonschema` configured as the project's example checks and `crates/fastsocket/tests/differential.rs` are.
fn reference_validator(schema: &Value) -> Result<jsonschema::Validator, String> {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(true)
        .should_ignore_unknown_formats(true)
        .with_format("uuid", is_uuid)
        .build(schema)
        .map_err(|e| format!("jsonschema cannot compile the schema: {e}"))
}

fn is_uuid(s: &str) -> bool {
    let bytes = s.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// The number formats the generated validators assert, with the range each asserts (and whether it must be an
/// integer), as `fastsocket::number_format_ok` has them.
fn number_format_range(format: &str) -> Option<(bool, Number, Number)> {
    let float = |f: f64| Number::from_f64(f).expect("finite");
    Some(match format {
        "int32" => (true, i32::MIN.into(), i32::MAX.into()),
        "int64" => (true, i64::MIN.into(), i64::MAX.into()),
        "float" => (
            false,
            float(-f64::from(f32::MAX)),
            float(f64::from(f32::MAX)),
        ),
        _ => return None,
    })
}

fn reaches_number_format(types: &TypeSpace, root: TypeId) -> bool {
    let mut seen = HashSet::new();
    let mut stack = vec![root];
    while let Some(id) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        if let Some(s) = types.schema(id) {
            if s.format.as_deref().and_then(number_format_range).is_some() {
                return true;
            }
            stack.extend(s.children());
        }
    }
    false
}

/// The type space with each number format written out as the range it asserts (for [`Exception::NumberFormat`]):
/// a schema with `format: int32` gets `allOf: [.., {"if": {"type": "number"}, "then": {"type": "integer",
/// "minimum": -2^31, "maximum": 2^31 - 1}}]`. `None` when no schema has such a format.
fn with_number_formats(types: &TypeSpace) -> Option<TypeSpace> {
    let formats: Vec<String> = types
        .iter()
        .filter_map(|t| match &t.body {
            TypeBody::Schema(s) => s.format.clone(),
            _ => None,
        })
        .filter(|f| number_format_range(f).is_some())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if formats.is_empty() {
        return None;
    }
    let mut out = types.clone();
    let add = |out: &mut TypeSpace, schema: Schema| {
        let id = TypeId(out.types.len() as u32);
        out.types.push(TypeDef {
            id,
            name: format!("DifferentialNumberFormat{}", id.0),
            component: None,
            origin: Location::default(),
            body: TypeBody::Schema(Box::new(schema)),
        });
        id
    };
    let mut checks: BTreeMap<String, TypeId> = BTreeMap::new();
    for format in formats {
        let (integer, min, max) = number_format_range(&format).expect("filtered");
        let condition = add(
            &mut out,
            Schema {
                types: vec![JsonType::Number],
                ..Schema::default()
            },
        );
        let range = add(
            &mut out,
            Schema {
                types: if integer {
                    vec![JsonType::Integer]
                } else {
                    Vec::new()
                },
                minimum: Some(min),
                maximum: Some(max),
                ..Schema::default()
            },
        );
        let check = add(
            &mut out,
            Schema {
                if_schema: Some(condition),
                then_schema: Some(range),
                ..Schema::default()
            },
        );
        checks.insert(format, check);
    }
    for def in &mut out.types {
        if let TypeBody::Schema(s) = &mut def.body
            && let Some(check) = s.format.as_ref().and_then(|f| checks.get(f))
        {
            s.all_of.push(*check);
        }
    }
    Some(out)
}

/// Writes `differential.json` and `tests/differential.rs` into the generated crate at `dir` (whose library is
/// `lib`). Nothing is written when there are no cases.
pub fn write(plan: &Plan, dir: &Path, lib: &str) -> anyhow::Result<()> {
    if plan.cases.is_empty() {
        return Ok(());
    }
    let cases: Vec<Value> = plan
        .cases
        .iter()
        .map(|c| {
            let mut case = json!({
                "type": c.type_name,
                "value": c.value,
                "expected_valid": c.expected_valid,
            });
            if let Some((exception, valid)) = c.exception {
                case["exception"] = json!({ "reason": exception.key(), "valid": valid });
            }
            case
        })
        .collect();
    let text = serde_json::to_string(&Value::Array(cases))?;
    std::fs::write(dir.join("differential.json"), text + "\n")?;
    let tests = dir.join("tests");
    std::fs::create_dir_all(&tests)?;
    let mut names: Vec<&str> = plan.cases.iter().map(|c| c.type_name.as_str()).collect();
    names.dedup();
    std::fs::write(tests.join("differential.rs"), harness(lib, &names))
        .with_context(|| tests.display().to_string())?;
    // The test must see the very numbers `jsonschema` judged here, and serde_json reads some floats (many digits,
    // large exponents: `3.4028234663852886e38`) one unit in the last place off unless `float_roundtrip` is on,
    // as it is in this workspace (through `jsonschema`). The scratch copy of the manifest asks for it too.
    let manifest = dir.join("Cargo.toml");
    let text =
        std::fs::read_to_string(&manifest).with_context(|| manifest.display().to_string())?;
    std::fs::write(&manifest, with_exact_floats(&text))?;
    Ok(())
}

/// The dev-dependency that turns on serde_json's exact float parsing, added to a generated `Cargo.toml`.
fn with_exact_floats(cargo_toml: &str) -> String {
    let line = "serde_json = { version = \"1\", features = [\"float_roundtrip\"] }\n";
    let mut out = String::new();
    let mut added = false;
    for l in cargo_toml.lines() {
        out.push_str(l);
        out.push('\n');
        if l.trim() == "[dev-dependencies]" {
            out.push_str(line);
            added = true;
        }
    }
    if !added {
        out.push_str("\n[dev-dependencies]\n");
        out.push_str(line);
    }
    out
}

/// The test of a generated crate: every case of `differential.json` through the model's validator.
fn harness(lib: &str, names: &[&str]) -> String {
    let lib = format_ident!("{}", lib);
    let arms = names.iter().map(|name| {
        let ty = format_ident!("{}", name);
        quote!(#name => ::fastsocket::validate::<::#lib::models::#ty>(value),)
    });
    let printed = PRINTED_DISAGREEMENTS;
    let tokens = quote! {
        //! The differential test, written by `cargo xtask differential` / `cargo xtask corpus --emit rust
        //! --differential` (not by the emitter): each case of `differential.json` is a value, the model it is
        //! checked as, and the `jsonschema` crate's verdict on the model's JSON Schema. The generated validator
        //! must agree, except on cases marked with a documented exception (see the xtask's `Exception`).
        #![allow(deprecated)]

        use ::std::collections::BTreeMap;

        use ::serde_json::{Value, json};

        const CASES: &str = include_str!("../differential.json");

        /// The generated validator's verdict on `value` as the model `name` (`None`: no such model).
        fn validate(name: &str, value: &Value) -> ::std::option::Option<::std::result::Result<(), ::std::vec::Vec<::fastsocket::Violation>>> {
            ::std::option::Option::Some(match name {
                #(#arms)*
                _ => return ::std::option::Option::None,
            })
        }

        #[test]
        fn generated_validators_agree_with_jsonschema() {
            let cases: Value = ::serde_json::from_str(CASES).expect("differential.json is JSON");
            let cases = cases.as_array().expect("differential.json is an array");
            let mut disagreements = 0usize;
            let mut exceptions: BTreeMap<String, usize> = BTreeMap::new();
            for case in cases {
                let name = case["type"].as_str().expect("a model name");
                let value = &case["value"];
                let expected = case["expected_valid"].as_bool().expect("a verdict");
                let outcome = validate(name, value).unwrap_or_else(|| panic!("no model named {name}"));
                let ours = outcome.is_ok();
                if ours == expected {
                    continue;
                }
                if let Some(exception) = case.get("exception")
                    && exception["valid"].as_bool() == Some(ours)
                {
                    let reason = exception["reason"].as_str().unwrap_or("unknown").to_string();
                    *exceptions.entry(reason).or_default() += 1;
                    continue;
                }
                disagreements += 1;
                if disagreements <= #printed {
                    let violations: Vec<String> = outcome
                        .err()
                        .unwrap_or_default()
                        .iter()
                        .map(ToString::to_string)
                        .collect();
                    println!(
                        "differential disagreement {}",
                        json!({"type": name, "value": value, "ours": ours, "jsonschema": expected, "violations": violations})
                    );
                }
            }
            println!(
                "differential summary {}",
                json!({"cases": cases.len(), "disagreements": disagreements, "exceptions": exceptions})
            );
            assert_eq!(disagreements, 0, "the generated validators disagree with jsonschema (see above)");
        }
    };
    let file: syn::File = syn::parse2(tokens).expect("the harness is valid Rust");
    prettyplease::unparse(&file)
}

/// What a crate's differential test reported.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Cases compared.
    pub cases: usize,
    /// Disagreements (not counting exceptions).
    pub disagreements: usize,
    /// Cases per documented exception (by key).
    pub exceptions: BTreeMap<String, usize>,
    /// The printed disagreements.
    pub first: Vec<Value>,
    /// When the test did not get to its summary: why.
    pub error: Option<String>,
}

impl Outcome {
    /// Reads the test's output.
    pub fn parse(stdout: &str) -> Outcome {
        let mut outcome = Outcome::default();
        let mut summary = false;
        for line in stdout.lines() {
            if let Some(rest) = line.strip_prefix("differential disagreement ") {
                outcome
                    .first
                    .extend(serde_json::from_str::<Value>(rest).ok());
            } else if let Some(rest) = line.strip_prefix("differential summary ")
                && let Ok(v) = serde_json::from_str::<Value>(rest)
            {
                summary = true;
                outcome.cases = v["cases"].as_u64().unwrap_or(0) as usize;
                outcome.disagreements = v["disagreements"].as_u64().unwrap_or(0) as usize;
                if let Some(map) = v["exceptions"].as_object() {
                    for (k, n) in map {
                        outcome
                            .exceptions
                            .insert(k.clone(), n.as_u64().unwrap_or(0) as usize);
                    }
                }
            }
        }
        if !summary {
            let panic = stdout
                .lines()
                .find(|l| l.contains("panicked"))
                .unwrap_or("the differential test did not report");
            outcome.error = Some(panic.to_string());
        }
        outcome
    }

    /// Whether the document passes.
    pub fn ok(&self) -> bool {
        self.error.is_none() && self.disagreements == 0
    }

    /// Documented exceptions in all.
    pub fn exception_count(&self) -> usize {
        self.exceptions.values().sum()
    }

    /// One line: counts, or the first disagreement.
    pub fn describe(&self, plan: Option<&PlanSummary>) -> String {
        if let Some(error) = &self.error {
            return format!("the differential test failed: {error}");
        }
        if let Some(first) = self.first.first() {
            let verdict = |b: &Value| {
                if b == &json!(true) {
                    "valid"
                } else {
                    "invalid"
                }
            };
            let violations = first["violations"]
                .as_array()
                .filter(|v| !v.is_empty())
                .map(|v| {
                    let shown: Vec<&str> = v.iter().filter_map(Value::as_str).take(3).collect();
                    format!(" ({})", shown.join("; "))
                })
                .unwrap_or_default();
            return format!(
                "{} of {} cases disagree; first: type {}, value {}: ours {}{violations}, jsonschema {}",
                self.disagreements,
                self.cases,
                first["type"].as_str().unwrap_or("?"),
                shorten(&first["value"].to_string(), 300),
                verdict(&first["ours"]),
                verdict(&first["jsonschema"]),
            );
        }
        let mut text = format!("{} cases", self.cases);
        if let Some(plan) = plan {
            text.push_str(&format!(" over {} types", plan.types));
            if plan.skipped > 0 {
                text.push_str(&format!(" ({} skipped: {})", plan.skipped, plan.first_skip));
            }
        }
        text.push_str(&format!(
            ", 0 disagreements, {} documented exceptions",
            self.exception_count()
        ));
        text
    }
}

/// The part of a [`Plan`] kept for the report once the cases are written.
#[derive(Debug, Clone, Default)]
pub struct PlanSummary {
    /// Cases written.
    pub cases: usize,
    /// Types with cases.
    pub types: usize,
    /// Types left out.
    pub skipped: usize,
    /// The first reason a type was left out.
    pub first_skip: String,
    /// Synthesised values, and how many `jsonschema` accepts.
    pub synthesized: (usize, usize),
}

impl Plan {
    /// What the report needs.
    pub fn summary(&self) -> PlanSummary {
        PlanSummary {
            cases: self.cases.len(),
            types: self.types,
            skipped: self.skipped.len(),
            first_skip: self
                .skipped
                .first()
                .map(|(name, why)| format!("{name}: {}", shorten(why, 160)))
                .unwrap_or_default(),
            synthesized: self.synthesized,
        }
    }
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    format!("{cut}…")
}

/// Prints the differential part of a gate's report: one line per document that built (`ok`, or `FAIL` with the
/// first disagreement; documents that do not build are the gate's to report) and the totals. Returns the
/// documents that fail it.
pub fn report(
    documents: &[Document],
    gate: &crate::emit_rust::GateReport,
    prefix: &str,
) -> Vec<String> {
    let mut failed = Vec::new();
    let (mut cases, mut disagreements) = (0usize, 0usize);
    let mut exceptions: BTreeMap<String, usize> = BTreeMap::new();
    let (mut synthesized, mut synthesized_valid) = (0usize, 0usize);
    for doc in documents {
        if matches!(gate.verdicts.get(&doc.shown), Some(Err(_))) {
            continue;
        }
        let plan = gate.plans.get(&doc.shown);
        if let Some(plan) = plan {
            synthesized += plan.synthesized.0;
            synthesized_valid += plan.synthesized.1;
        }
        let (ok, line) = match gate.differential.get(&doc.shown) {
            Some(outcome) => {
                cases += outcome.cases;
                disagreements += outcome.disagreements;
                for (k, n) in &outcome.exceptions {
                    *exceptions.entry(k.clone()).or_default() += n;
                }
                (outcome.ok(), outcome.describe(plan))
            }
            None if plan.is_none_or(|p| p.cases == 0) => {
                let mut line = "0 cases (no named type with a schema)".to_string();
                if let Some(plan) = plan.filter(|p| p.skipped > 0) {
                    line = format!(
                        "0 cases ({} types skipped: {})",
                        plan.skipped, plan.first_skip
                    );
                }
                (true, line)
            }
            None => (false, "the differential test did not run".to_string()),
        };
        if !ok {
            failed.push(doc.shown.clone());
        }
        println!(
            "{} {prefix}{}: {line}",
            if ok { "ok  " } else { "FAIL" },
            doc.shown,
        );
    }
    println!(
        "differential: {cases} cases compared, {disagreements} disagreements, {} documented exceptions",
        exceptions.values().sum::<usize>()
    );
    for exception in Exception::ALL {
        let n = exceptions.remove(exception.key()).unwrap_or(0);
        println!(
            "  exception {}: {n} cases ({})",
            exception.key(),
            exception.reason()
        );
    }
    for (key, n) in exceptions {
        println!("  exception {key}: {n} cases (not a documented exception)");
    }
    println!("  synthesised values jsonschema accepts: {synthesized_valid} of {synthesized}");
    failed
}

/// `cargo xtask differential`: our specs (and a corpus sample) through the compile gate with the differential
/// test. `Ok(true)` when every document passes.
pub fn run(args: &DifferentialArgs) -> anyhow::Result<bool> {
    let started = Instant::now();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let repo = repo.canonicalize().context("the repository")?;
    let mut documents = Vec::new();
    let mut failed = 0usize;
    let specs = repo.join("specs");
    let paths = crate::our_specs(&repo)?;
    for path in paths {
        let shown = format!(
            "specs/{}",
            path.strip_prefix(&specs).unwrap_or(&path).display()
        );
        match fastsocket_spec::load(&Input::Path(path.clone()), &LoadOptions::default()) {
            Ok(loaded) => documents.push(Document {
                shown,
                api: loaded.api,
            }),
            Err(err) => {
                failed += 1;
                println!("FAIL {shown}: does not load: {err}");
            }
        }
    }
    if let Some(dir) = &args.corpus {
        let dir = dir
            .canonicalize()
            .with_context(|| format!("corpus folder {}", dir.display()))?;
        let options = LoadOptions {
            ref_root: Some(dir.clone()),
            url_map: Vec::new(),
            strict: false,
        };
        let mut loaded = Vec::new();
        for entry in crate::corpus::entries(&dir)? {
            if !entry.expect_ok() {
                continue;
            }
            if let Ok(Ok(doc)) = std::panic::catch_unwind(|| {
                fastsocket_spec::load(&Input::Path(entry.path.clone()), &options)
            }) {
                let shown = entry.path.strip_prefix(&dir).unwrap_or(&entry.path);
                loaded.push(Document {
                    shown: format!("corpus/{}", shown.display()),
                    api: doc.api,
                });
            }
        }
        documents.extend(spread(loaded, args.max_documents));
    }
    let scratch = repo.join("target/differential-rust");
    std::fs::create_dir_all(&scratch)?;
    let gate = crate::emit_rust::compile_gate(
        &repo,
        &scratch,
        &documents,
        &GateOptions {
            run_tests: true,
            differential: Some(args.limits),
            crate_prefix: "diff",
            // The validators are what is compared: models only, which build in a fraction of the time.
            server: false,
        },
    )?;
    let mut build_failures = 0usize;
    for (shown, verdict) in &gate.verdicts {
        if let Err(why) = verdict {
            let first = why.lines().take(8).collect::<Vec<_>>().join("\n       ");
            println!("FAIL rust {shown}: {first}");
            build_failures += 1;
        }
    }
    let failed_differential = report(&documents, &gate, "").len();
    failed += build_failures + failed_differential;
    let passed = documents.len() - build_failures - failed_differential;
    println!(
        "differential: {} documents in {:.2?}",
        documents.len(),
        started.elapsed()
    );
    println!("{passed} passed, {failed} failed");
    Ok(failed == 0)
}

#[cfg(test)]
mod tests;
