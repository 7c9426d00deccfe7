//! The case builder on small documents: valid seeds, boundary mutations, `jsonschema`'s verdicts, the documented
//! exceptions, and the report read back from a test's output.

use fastsocket_ir::Api;
use fastsocket_spec::{Input, LoadOptions};
use serde_json::{Value, json};

use super::*;

/// Loads an AsyncAPI 3.0 document whose `components.schemas` are `schemas` (YAML) and whose one message has the
/// payload `payload`.
fn api(schemas: &str, payload: &str) -> Api {
    let text = format!(
        "asyncapi: 3.0.0\ninfo: {{title: T, version: '1'}}\nchannels:\n  c:\n    messages:\n      m:\n        payload: {payload}\ncomponents:\n  schemas:\n{schemas}"
    );
    fastsocket_spec::load(
        &Input::Text {
            name: "test.yaml".into(),
            text,
        },
        &LoadOptions::default(),
    )
    .expect("the test document loads")
    .api
}

fn cases_of<'a>(plan: &'a Plan, name: &str) -> Vec<&'a Case> {
    plan.cases.iter().filter(|c| c.type_name == name).collect()
}

fn has(plan: &Plan, name: &str, value: &Value, valid: bool) -> bool {
    cases_of(plan, name)
        .iter()
        .any(|c| &c.value == value && c.expected_valid == valid)
}

#[test]
fn boundaries_of_every_keyword_are_probed() {
    let api = api(
        r#"    Order:
      type: object
      required: [id, qty, tags]
      additionalProperties: false
      properties:
        id: {type: string, minLength: 2, maxLength: 4, pattern: '^[a-z]+$'}
        qty: {type: integer, minimum: 1, exclusiveMaximum: 10, multipleOf: 3}
        tags: {type: array, minItems: 1, maxItems: 2, uniqueItems: true, items: {type: string, enum: [a, b]}}
        at: {type: string, format: date-time}
        kind: {const: limit}
"#,
        "{$ref: '#/components/schemas/Order'}",
    );
    let plan = plan(&api, &Limits::default());
    assert!(plan.skipped.is_empty(), "{:?}", plan.skipped);
    assert_eq!(
        plan.synthesized.0, plan.synthesized.1,
        "synthesised values are valid"
    );
    let valid = json!({"id": "aa", "qty": 3, "tags": ["a"]});
    assert!(has(&plan, "Order", &valid, true));
    for (value, ok) in [
        (json!({"id": "a", "qty": 3, "tags": ["a"]}), false),
        (json!({"id": "aazzz", "qty": 3, "tags": ["a"]}), false),
        (json!({"id": "aazz", "qty": 3, "tags": ["a"]}), true),
        (json!({"id": "aa", "qty": 3, "tags": []}), false),
        (json!({"id": "aa", "qty": 3, "tags": ["a", "a"]}), false),
        (
            json!({"id": "aa", "qty": 3, "tags": ["not-in-the-enum"]}),
            false,
        ),
        (json!({"id": "aa", "qty": 3.5, "tags": ["a"]}), false),
        (json!({"id": "aa", "qty": 3.0, "tags": ["a"]}), true),
        (json!({"id": "aa", "qty": 10, "tags": ["a"]}), false),
        (json!({"id": "aa", "qty": 9, "tags": ["a"]}), true),
        (json!({"id": "aa", "qty": 0, "tags": ["a"]}), false),
        (json!({"id": "aa", "tags": ["a"]}), false),
        (
            json!({"id": "aa", "qty": 3, "tags": ["a"], "zzUnknownProperty": 1}),
            false,
        ),
        (json!({"id": "aa", "qty": null, "tags": ["a"]}), false),
    ] {
        assert!(
            has(&plan, "Order", &value, ok),
            "missing case {value} ({ok})"
        );
    }
    // Every case is there once.
    let mut texts: Vec<String> = plan
        .cases
        .iter()
        .map(|c| format!("{}{}", c.type_name, c.value))
        .collect();
    let n = texts.len();
    texts.sort();
    texts.dedup();
    assert_eq!(texts.len(), n);
}

#[test]
fn number_formats_are_the_documented_exception() {
    let api = api(
        "    Count: {type: integer, format: int32}\n    Ratio: {type: number, format: float}\n",
        "{$ref: '#/components/schemas/Count'}",
    );
    let plan = plan(&api, &Limits::default());
    let over = cases_of(&plan, "Count")
        .into_iter()
        .find(|c| c.value == json!(2147483648i64))
        .expect("int32 + 1 is a case");
    assert!(over.expected_valid, "jsonschema does not assert int32");
    assert_eq!(over.exception, Some((Exception::NumberFormat, false)));
    let max = cases_of(&plan, "Count")
        .into_iter()
        .find(|c| c.value == json!(2147483647))
        .expect("int32::MAX is a case");
    assert_eq!(max.exception, None);
    let huge = cases_of(&plan, "Ratio")
        .into_iter()
        .find(|c| c.value == json!(1e39))
        .expect("beyond f32::MAX is a case");
    assert_eq!(huge.exception, Some((Exception::NumberFormat, false)));
}

#[test]
fn in_place_cycles_are_the_documented_exception() {
    let api = api(
        r#"    Worker:
      type: object
      required: [name]
      properties: {name: {type: string}}
      oneOf: [{$ref: '#/components/schemas/Boss'}, {$ref: '#/components/schemas/Staff'}]
    Boss:
      type: object
      required: [full]
      properties: {full: {type: boolean}}
      allOf: [{$ref: '#/components/schemas/Worker'}]
    Staff:
      type: object
      required: [since]
      properties: {since: {type: string}}
      allOf: [{$ref: '#/components/schemas/Worker'}]
    Team:
      type: object
      properties: {size: {type: integer}, lead: {$ref: '#/components/schemas/Worker'}}
"#,
        "{$ref: '#/components/schemas/Team'}",
    );
    let plan = plan(&api, &Limits::default());
    for case in cases_of(&plan, "Worker") {
        if case.value.is_object() {
            assert_eq!(
                case.exception.map(|e| e.0),
                Some(Exception::InPlaceCycle),
                "{}",
                case.value
            );
        }
    }
    // A team without a lead never reaches the cycle.
    let no_lead = cases_of(&plan, "Team")
        .into_iter()
        .find(|c| c.value.get("lead").is_none() && c.value.is_object())
        .expect("a team without a lead");
    assert_eq!(no_lead.exception, None);
}

#[test]
fn opaque_payloads_are_left_out_and_patterns_jsonschema_refuses_are_skipped() {
    let api = api(
        "    Code: {type: string, pattern: '['}\n",
        "{schemaFormat: 'application/vnd.apache.avro;version=1.9.0', schema: {type: record, name: R, fields: []}}",
    );
    assert_eq!(
        named_roots(&api).len(),
        1,
        "the Avro payload is not compared"
    );
    let plan = plan(&api, &Limits::default());
    assert!(plan.cases.is_empty());
    assert_eq!(plan.skipped.len(), 1);
}

#[test]
fn limits_cap_the_cases() {
    let api = api(
        r#"    Big:
      type: object
      required: [a, b, c, d]
      properties:
        a: {type: string, minLength: 1, maxLength: 3}
        b: {type: integer, minimum: 0, maximum: 9}
        c: {type: array, items: {type: object, required: [x], properties: {x: {type: number}}}}
        d: {type: object, required: [y], properties: {y: {type: string, format: email}}}
"#,
        "{$ref: '#/components/schemas/Big'}",
    );
    let small = Limits {
        cases_per_type: 30,
        cases_per_document: 1000,
    };
    let plan = plan(&api, &small);
    let n = cases_of(&plan, "Big").len();
    assert!((20..=30).contains(&n), "{n} cases");
    // Deterministic.
    let again = super::plan(&api, &small);
    let values = |p: &Plan| {
        p.cases
            .iter()
            .map(|c| c.value.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(values(&plan), values(&again));
}

#[test]
fn the_harness_is_rust_and_names_the_models() {
    let text = harness("demo_crate", &["Order", "RoomId"]);
    assert!(text.contains("::demo_crate::models::Order"), "{text}");
    assert!(text.contains("include_str!(\"../differential.json\")"));
    assert!(text.contains("#![allow(deprecated)]"));
}

#[test]
fn manifests_get_exact_float_parsing() {
    let plain = "[package]\nname = \"x\"\n\n[dependencies]\nserde_json = \"1\"\n";
    let out = with_exact_floats(plain);
    assert!(out.ends_with(
        "\n[dev-dependencies]\nserde_json = { version = \"1\", features = [\"float_roundtrip\"] }\n"
    ));
    let with_dev = "[dev-dependencies]\nfoo = \"1\"\n";
    let out = with_exact_floats(with_dev);
    assert_eq!(out.matches("[dev-dependencies]").count(), 1);
    assert!(out.contains("float_roundtrip"));
}

#[test]
fn outcomes_are_read_back() {
    let stdout = "running 1 test\n\
        differential disagreement {\"type\":\"A\",\"value\":1,\"ours\":false,\"jsonschema\":true,\"violations\":[\"/: no\"]}\n\
        differential summary {\"cases\":12,\"disagreements\":1,\"exceptions\":{\"number-format\":2}}\n";
    let outcome = Outcome::parse(stdout);
    assert_eq!(outcome.cases, 12);
    assert_eq!(outcome.disagreements, 1);
    assert_eq!(outcome.exception_count(), 2);
    assert!(!outcome.ok());
    let line = outcome.describe(None);
    assert!(
        line.contains("type A, value 1: ours invalid (/: no), jsonschema valid"),
        "{line}"
    );
    let crashed = Outcome::parse("thread 'x' panicked at src/lib.rs:1:1\n");
    assert!(crashed.error.is_some());
    assert!(!crashed.ok());
}

#[test]
fn spread_keeps_the_ends_and_the_order() {
    let items: Vec<u32> = (0..100).collect();
    let picked = spread(items.clone(), 10);
    assert_eq!(picked.len(), 10);
    assert_eq!(picked[0], 0);
    assert!(picked.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(spread(items.clone(), 200).len(), 100);
    assert!(spread(items, 0).is_empty());
}
