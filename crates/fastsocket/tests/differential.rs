//! Differential tests: the `Checker` against the `jsonschema` crate, keyword by keyword.
//!
//! Each case is a tiny draft-07 schema and instances around its boundaries. `jsonschema` validates them with
//! formats asserted (as this project's example checks configure it: draft-07, unknown formats ignored, `uuid`
//! added); the checker runs through [`mirror`], a hand-written interpreter that calls the `Checker` methods the way
//! generated code does. Both must give the same verdict on every instance.

use fastsocket::{Checker, JsonType, Pattern};
use serde_json::{Map, Value, json};

fn is_uuid(s: &str) -> bool {
    let bytes = s.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

fn reference(schema: &Value) -> jsonschema::Validator {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(true)
        .should_ignore_unknown_formats(true)
        .with_format("uuid", is_uuid)
        .build(schema)
        .unwrap_or_else(|e| panic!("schema {schema} does not compile: {e}"))
}

/// Checks `value` against `schema` with the `Checker`, as generated code would for that schema.
fn mirror(schema: &Value, value: &Value, c: &mut Checker) {
    let Value::Object(s) = schema else {
        if schema == &json!(false) {
            c.fail("is not allowed");
        }
        return;
    };
    if let Some(types) = s.get("type") {
        let types: Vec<JsonType> = match types {
            Value::String(t) => vec![json_type(t)],
            Value::Array(ts) => ts.iter().map(|t| json_type(t.as_str().unwrap())).collect(),
            _ => unreachable!(),
        };
        if !c.expect_types(value, &types) {
            return;
        }
    }
    if let Some(expected) = s.get("const") {
        c.const_value(value, expected);
    }
    if let Some(Value::Array(allowed)) = s.get("enum") {
        c.enum_values(value, allowed);
    }
    match value {
        Value::String(text) => {
            if let Some(n) = s.get("minLength") {
                c.min_length(text, n.as_u64().unwrap());
            }
            if let Some(n) = s.get("maxLength") {
                c.max_length(text, n.as_u64().unwrap());
            }
            if let Some(Value::String(p)) = s.get("pattern") {
                let pattern = Pattern::new(Box::leak(p.clone().into_boxed_str()));
                c.pattern(text, &pattern);
            }
            if let Some(Value::String(f)) = s.get("format") {
                c.format(text, f);
            }
        }
        Value::Number(n) => {
            let bound = |k: &str| s.get(k).and_then(Value::as_f64);
            if let Some(b) = bound("minimum") {
                c.minimum(n, b);
            }
            if let Some(b) = bound("maximum") {
                c.maximum(n, b);
            }
            if let Some(b) = bound("exclusiveMinimum") {
                c.exclusive_minimum(n, b);
            }
            if let Some(b) = bound("exclusiveMaximum") {
                c.exclusive_maximum(n, b);
            }
            if let Some(b) = bound("multipleOf") {
                c.multiple_of(n, b);
            }
        }
        Value::Array(items) => {
            if let Some(n) = s.get("minItems") {
                c.min_items(items, n.as_u64().unwrap());
            }
            if let Some(n) = s.get("maxItems") {
                c.max_items(items, n.as_u64().unwrap());
            }
            if s.get("uniqueItems") == Some(&json!(true)) {
                c.unique_items(items);
            }
            if let Some(item_schema) = s.get("items") {
                for (i, item) in items.iter().enumerate() {
                    c.enter_index(i);
                    mirror(item_schema, item, c);
                    c.leave();
                }
            }
        }
        Value::Object(object) => mirror_object(s, object, c),
        Value::Null | Value::Bool(_) => {}
    }
    if let Some(Value::Array(all)) = s.get("allOf") {
        for sub in all {
            mirror(sub, value, c);
        }
    }
    if let Some(Value::Array(any)) = s.get("anyOf")
        && !any.iter().any(|sub| c.branch(|c| mirror(sub, value, c)))
    {
        c.fail(format!("matches none of the {} alternatives", any.len()));
    }
    if let Some(Value::Array(one)) = s.get("oneOf") {
        let matching = one
            .iter()
            .filter(|sub| c.branch(|c| mirror(sub, value, c)))
            .count();
        if matching != 1 {
            c.fail(format!("matches {matching} of the alternatives"));
        }
    }
    if let Some(not) = s.get("not")
        && c.branch(|c| mirror(not, value, c))
    {
        c.fail("must not match");
    }
    if let Some(condition) = s.get("if") {
        let branch = if c.branch(|c| mirror(condition, value, c)) {
            s.get("then")
        } else {
            s.get("else")
        };
        if let Some(branch) = branch {
            mirror(branch, value, c);
        }
    }
}

fn mirror_object(s: &Map<String, Value>, object: &Map<String, Value>, c: &mut Checker) {
    if let Some(n) = s.get("minProperties") {
        c.min_properties(object, n.as_u64().unwrap());
    }
    if let Some(n) = s.get("maxProperties") {
        c.max_properties(object, n.as_u64().unwrap());
    }
    if let Some(Value::Array(names)) = s.get("required") {
        let names: Vec<&str> = names.iter().map(|n| n.as_str().unwrap()).collect();
        c.required(object, &names);
    }
    if let Some(Value::Object(properties)) = s.get("properties") {
        for (name, sub) in properties {
            if let Some(v) = object.get(name) {
                c.enter(name);
                mirror(sub, v, c);
                c.leave();
            }
        }
    }
}

fn json_type(name: &str) -> JsonType {
    match name {
        "null" => JsonType::Null,
        "boolean" => JsonType::Boolean,
        "integer" => JsonType::Integer,
        "number" => JsonType::Number,
        "string" => JsonType::String,
        "array" => JsonType::Array,
        "object" => JsonType::Object,
        other => panic!("unknown type {other}"),
    }
}

/// Compares the verdicts on every instance; returns the disagreements as readable lines.
fn disagreements(schema: &Value, instances: &[Value]) -> Vec<String> {
    let validator = reference(schema);
    let mut out = Vec::new();
    for instance in instances {
        let expected = validator.is_valid(instance);
        let mut checker = Checker::new();
        mirror(schema, instance, &mut checker);
        let found = checker.is_ok();
        if expected != found {
            out.push(format!(
                "schema {schema} instance {instance}: jsonschema says {}, checker says {} {:?}",
                verdict(expected),
                verdict(found),
                checker.violations()
            ));
        }
        // The reference's error count agrees with ours on whether there is anything to report at all; where
        // there is, every violation we report carries a path into the instance.
        for violation in checker.violations() {
            assert!(
                instance.pointer(&violation.path).is_some() || violation.message == "is required",
                "{violation} points nowhere in {instance}"
            );
        }
    }
    out
}

fn verdict(valid: bool) -> &'static str {
    if valid { "valid" } else { "invalid" }
}

fn assert_agree(cases: &[(Value, Vec<Value>)]) {
    let mut all = Vec::new();
    let mut count = 0;
    for (schema, instances) in cases {
        count += instances.len();
        all.extend(disagreements(schema, instances));
    }
    eprintln!("{count} verdicts compared over {} schemas", cases.len());
    assert!(
        all.is_empty(),
        "{} of {count} verdicts differ:\n{}",
        all.len(),
        all.join("\n")
    );
}

fn strings(values: &[&str]) -> Vec<Value> {
    values.iter().map(|s| json!(s)).collect()
}

#[test]
fn type_keyword() {
    let instances = vec![
        json!(null),
        json!(true),
        json!(0),
        json!(1),
        json!(-1),
        json!(1.0),
        json!(-1.0),
        json!(1.5),
        json!(1e300),
        json!(u64::MAX),
        json!(i64::MIN),
        json!(0.0),
        json!(-0.0),
        json!(""),
        json!("1"),
        json!([]),
        json!([1]),
        json!({}),
        json!({"a": 1}),
    ];
    let cases: Vec<(Value, Vec<Value>)> = [
        json!({"type": "null"}),
        json!({"type": "boolean"}),
        json!({"type": "integer"}),
        json!({"type": "number"}),
        json!({"type": "string"}),
        json!({"type": "array"}),
        json!({"type": "object"}),
        json!({"type": ["string", "null"]}),
        json!({"type": ["integer", "boolean"]}),
        json!({"type": ["number", "integer"]}),
        json!({"type": ["array", "object"]}),
    ]
    .into_iter()
    .map(|schema| (schema, instances.clone()))
    .collect();
    assert_agree(&cases);
}

#[test]
fn const_and_enum() {
    let instances = vec![
        json!(1),
        json!(1.0),
        json!(2),
        json!("1"),
        json!(true),
        json!(null),
        json!([1, "a"]),
        json!([1.0, "a"]),
        json!(["a", 1]),
        json!({"a": 1, "b": [2]}),
        json!({"b": [2.0], "a": 1}),
        json!({"a": 1}),
        json!(0),
        json!(-0.0),
        json!(false),
        json!(9_007_199_254_740_993_u64),
        json!(9_007_199_254_740_992.0),
    ];
    let cases: Vec<(Value, Vec<Value>)> = [
        json!({"const": 1}),
        json!({"const": 1.0}),
        json!({"const": null}),
        json!({"const": false}),
        json!({"const": 0}),
        json!({"const": [1, "a"]}),
        json!({"const": {"a": 1, "b": [2]}}),
        json!({"const": 9_007_199_254_740_992_u64}),
        json!({"enum": [1, "1", null]}),
        json!({"enum": [2.0, [1, "a"]]}),
        json!({"enum": [{"a": 1.0}, false]}),
        json!({"enum": [0.0]}),
        json!({"enum": [9_007_199_254_740_993_u64]}),
    ]
    .into_iter()
    .map(|schema| (schema, instances.clone()))
    .collect();
    assert_agree(&cases);
}

#[test]
fn string_lengths() {
    let instances = strings(&[
        "",
        "a",
        "ab",
        "abc",
        "abcd",
        "é",
        "éé",
        "ééé",
        "éééé",
        "😀",
        "😀😀",
        "😀😀😀",
        "😀😀😀😀",
        "e\u{301}e\u{301}",
        "日本語",
        "👨‍👩‍👧",
    ]);
    let mut cases = Vec::new();
    for n in 0..=5 {
        cases.push((json!({"minLength": n}), instances.clone()));
        cases.push((json!({"maxLength": n}), instances.clone()));
        cases.push((
            json!({"minLength": n, "maxLength": n + 1}),
            instances.clone(),
        ));
    }
    cases.push((json!({"minLength": 2}), vec![json!(1), json!(null)]));
    assert_agree(&cases);
}

#[test]
fn patterns() {
    let instances = strings(&[
        "",
        "a",
        "abc",
        "ABC",
        "a1",
        "123",
        "١٢٣",
        "é",
        "a b",
        "a\tb",
        "a\u{a0}b",
        "a\u{2028}b",
        "a\nb",
        "a\rb",
        "x-foo",
        "X-foo",
        "aab",
        "aaba",
        "aabaa",
        "foo.bar",
        "foo/bar",
        "-",
        "[]",
        "\\",
        "ab12",
        "2020-01-01",
        "😀",
        "\u{feff}",
    ]);
    let patterns = [
        "^[a-z]+$",
        "^\\d+$",
        "\\d",
        "^\\w+$",
        "\\W",
        "\\s",
        "^\\S+$",
        "^.$",
        "a.b",
        "^x-",
        "^(?!x-)",
        "(?=.*\\d)",
        "^(a+)b\\1$",
        "(?<=a)b",
        "^[^a-z]*$",
        "^[\\w-]+$",
        "^[a-z--b]+$",
        "^\\cJ$",
        "\\bfoo\\b",
        "^\\d{4}-\\d{2}-\\d{2}$",
        "^[A-Z]{2,3}$",
        "^\\p{L}+$",
        "^(abc|ABC)$",
        "^\\/",
        "\\\\",
        "^[\\[\\]]+$",
        "^\\u00e9$",
        "^\\x41",
        "^(?:a|b)+$",
        "[\\s\\S]",
        "^$",
        "",
        "^.{2}$",
        "\\ufeff",
        "(?<n>a)\\k<n>",
        "(?<!a)b",
        "\\p{Letter}",
        "[[:alpha:]]",
        "\\u{1F600}",
        "(?i)abc",
        "a++",
        "\\k",
        "\\A",
        "[\\d-z]",
        "[\\w--z]",
        "^[a-z&&b]+$",
        "^[a~~b]+$",
        "\\0",
        "^a|b$",
        "[^]",
        "[]",
        "^(?:(a)|b)\\1$",
    ];
    // Patterns `jsonschema` refuses have no verdict to compare (see `pattern_translation_errors_agree`).
    let cases: Vec<(Value, Vec<Value>)> = patterns
        .iter()
        .filter(|p| Pattern::compile_error(p).is_none())
        .map(|p| (json!({"pattern": p}), instances.clone()))
        .collect();
    assert!(cases.len() >= 40, "{}", cases.len());
    assert_agree(&cases);
}

#[test]
fn pattern_translation_errors_agree() {
    // Patterns `jsonschema` refuses are the ones `Pattern::compile_error` reports.
    for source in [
        "(",
        "[a-",
        "a{2,1}",
        "\\",
        "(?P<n>a)",
        "(?<n>a)\\k<n>",
        "^[a-z]+$",
        "(?<=a)b",
        "(?<!a)b",
        "\\a",
        "a**",
        "\\cJ",
        "x{",
        "(?i)abc",
        "\\p{L}",
        "\\p{Letter}",
        "[[:alpha:]]",
        "\\Z",
        "\\z",
        "\\A",
        "a++",
        "(?x) a",
        "\\1(a)",
        "[z-a]",
        "\\u{1F600}",
        "\\k",
    ] {
        let refused = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft7)
            .build(&json!({"pattern": source}))
            .is_err();
        assert_eq!(
            refused,
            Pattern::compile_error(source).is_some(),
            "pattern {source:?}: jsonschema refuses it: {refused}"
        );
    }
}

#[test]
fn numeric_bounds() {
    let instances = vec![
        json!(-2),
        json!(-1),
        json!(-0.5),
        json!(0),
        json!(-0.0),
        json!(0.0),
        json!(0.5),
        json!(1),
        json!(1.0),
        json!(1.5),
        json!(2),
        json!(2.5),
        json!(3),
        json!(u64::MAX),
        json!(i64::MIN),
        json!(1e300),
        json!(-1e300),
        json!(9_007_199_254_740_993_u64),
        json!(9_007_199_254_740_992_u64),
        json!(-9_007_199_254_740_993_i64),
    ];
    let mut cases = Vec::new();
    for bound in [
        json!(0),
        json!(1),
        json!(-1),
        json!(0.5),
        json!(1.5),
        json!(-0.5),
        json!(2.0),
        json!(9_007_199_254_740_992_u64),
        json!(-9_007_199_254_740_992_i64),
        json!(1.8446744073709552e19),
    ] {
        for keyword in ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"] {
            cases.push((json!({ keyword: bound }), instances.clone()));
        }
    }
    cases.push((
        json!({"type": "integer", "minimum": 1, "exclusiveMaximum": 3}),
        instances.clone(),
    ));
    assert_agree(&cases);
}

#[test]
fn multiple_of() {
    let instances = vec![
        json!(0),
        json!(0.0),
        json!(-0.0),
        json!(0.1),
        json!(0.2),
        json!(0.3),
        json!(0.30000000000000004),
        json!(0.7),
        json!(1),
        json!(1.0),
        json!(1.1),
        json!(1.2),
        json!(1.5),
        json!(2),
        json!(2.5),
        json!(3),
        json!(4),
        json!(4.0),
        json!(-4),
        json!(-4.5),
        json!(7.5),
        json!(10),
        json!(19.99),
        json!(0.0075),
        json!(0.00751),
        json!(1070468.14),
        json!(123456789.12),
        json!(1e-7),
        json!(1e20),
        json!(1e23),
        json!(1e300),
        json!(-1e300),
        json!(1.5e300),
        json!(u64::MAX),
        json!(i64::MIN),
        json!(9_007_199_254_740_993_u64),
        json!(9_007_199_254_740_994.0),
        json!(1.2345678901234567e20),
        json!(5e-324),
        json!(0.1e-20),
    ];
    let mut cases = Vec::new();
    for factor in [
        json!(0.1),
        json!(0.01),
        json!(0.0001),
        json!(0.5),
        json!(0.3),
        json!(1.5),
        json!(2.5),
        json!(0.7),
        json!(1),
        json!(2),
        json!(3),
        json!(7),
        json!(2.0),
        json!(1e-20),
        json!(1e-30),
        json!(1e-300),
        json!(1.7976931348623157e308),
        json!(9_007_199_254_740_993_u64),
        json!(1e20),
        json!(123.456),
    ] {
        cases.push((json!({ "multipleOf": factor }), instances.clone()));
    }
    assert_agree(&cases);
}

#[test]
fn array_keywords() {
    let instances = vec![
        json!([]),
        json!([1]),
        json!([1, 2]),
        json!([1, 2, 3]),
        json!([1, 1.0]),
        json!([1, "1"]),
        json!([0, false]),
        json!([null, null]),
        json!([{"a": 1, "b": 2}, {"b": 2, "a": 1.0}]),
        json!([{"a": 1}, {"a": 1, "b": 2}]),
        json!([[1, 2], [2, 1]]),
        json!([[1, 2], [1.0, 2.0]]),
        json!([9_007_199_254_740_993_u64, 9_007_199_254_740_992.0]),
        json!([-0.0, 0]),
        Value::Array((0..40).map(|i| json!(i)).collect()),
        Value::Array((0..40).map(|i| json!(i)).chain([json!(39.0)]).collect()),
        Value::Array((0..40).map(|i| json!({"k": i})).collect()),
        Value::Array(
            (0..40)
                .map(|i| json!({"k": i, "j": [i]}))
                .chain([json!({"j": [3.0], "k": 3})])
                .collect(),
        ),
        json!("not an array"),
    ];
    let mut cases = Vec::new();
    for n in 0..=3 {
        cases.push((json!({"minItems": n}), instances.clone()));
        cases.push((json!({"maxItems": n}), instances.clone()));
    }
    cases.push((json!({"uniqueItems": true}), instances.clone()));
    cases.push((json!({"uniqueItems": false}), instances.clone()));
    cases.push((
        json!({"items": {"type": "integer", "minimum": 1}}),
        instances.clone(),
    ));
    assert_agree(&cases);
}

#[test]
fn object_keywords() {
    let instances = vec![
        json!({}),
        json!({"a": 1}),
        json!({"a": 1, "b": 2}),
        json!({"a": 1, "b": 2, "c": 3}),
        json!({"b": null}),
        json!({"a/b": 1, "~": 2}),
        json!({"a": "x"}),
        json!({"a": -1}),
        json!([]),
        json!("x"),
    ];
    let mut cases = Vec::new();
    for n in 0..=3 {
        cases.push((json!({"minProperties": n}), instances.clone()));
        cases.push((json!({"maxProperties": n}), instances.clone()));
    }
    for required in [
        json!([]),
        json!(["a"]),
        json!(["a", "b"]),
        json!(["a/b", "~"]),
        json!(["c", "d"]),
    ] {
        cases.push((json!({ "required": required }), instances.clone()));
    }
    cases.push((
        json!({"type": "object", "required": ["a"], "properties": {"a": {"type": "integer", "minimum": 0}}}),
        instances.clone(),
    ));
    assert_agree(&cases);
}

#[test]
fn combinators() {
    let instances = vec![
        json!(null),
        json!(1),
        json!(1.5),
        json!(-1),
        json!("a"),
        json!("abc"),
        json!([]),
        json!({"kind": "a"}),
        json!({"kind": "b", "n": 2}),
        json!({"kind": "c"}),
    ];
    let cases: Vec<(Value, Vec<Value>)> = [
        json!({"anyOf": [{"type": "string"}, {"type": "integer"}]}),
        json!({"oneOf": [{"type": "number"}, {"type": "integer"}]}),
        json!({"oneOf": [{"type": "string", "minLength": 2}, {"type": "string", "maxLength": 2}]}),
        json!({"not": {"type": "null"}}),
        json!({"allOf": [{"type": "number"}, {"minimum": 0}]}),
        json!({"if": {"type": "number"}, "then": {"minimum": 0}, "else": {"type": "string"}}),
        json!({"not": {"anyOf": [{"type": "string"}, {"type": "integer"}]}}),
        json!({"oneOf": [
            {"properties": {"kind": {"const": "a"}}, "required": ["kind"]},
            {"properties": {"kind": {"const": "b"}, "n": {"type": "integer"}}, "required": ["kind", "n"]}
        ]}),
    ]
    .into_iter()
    .map(|schema| (schema, instances.clone()))
    .collect();
    assert_agree(&cases);
}

/// Valid and invalid strings for every format, plus a few non-strings (never a format violation).
fn format_instances(format: &str) -> Vec<Value> {
    let mut values = strings(match format {
        "date" => &[
            "2020-01-01",
            "2020-02-29",
            "2019-02-29",
            "2000-02-29",
            "1900-02-29",
            "2020-13-01",
            "2020-00-10",
            "2020-04-31",
            "2020-1-01",
            "20200101",
            "2020-01-01T00:00:00Z",
            "٢٠٢٠-01-01",
            "",
        ],
        "date-time" => &[
            "2020-01-01T00:00:00Z",
            "2020-01-01t00:00:00z",
            "2020-01-01T00:00:00.123456789+05:30",
            "2020-01-01T00:00:00-00:00",
            "1998-12-31T23:59:60Z",
            "1998-12-31T15:59:60-08:00",
            "1998-12-31T23:58:60Z",
            "2020-01-01 00:00:00Z",
            "2020-01-01T00:00:00",
            "2020-01-01T24:00:00Z",
            "2020-01-01T00:60:00Z",
            "2020-01-01T00:00:00.Z",
            "2020-01-01T00:00:00+24:00",
            "2020-01-01T00:00:00+0100",
            "2020-02-30T00:00:00Z",
            "",
        ],
        "time" => &[
            "00:00:00Z",
            "23:59:59.999+01:00",
            "23:59:60Z",
            "22:59:60-01:00",
            "12:00:00",
            "24:00:00Z",
            "12:00Z",
            "12:00:00 Z",
            "1:00:00Z",
            "",
        ],
        "email" => &[
            "a@b.co",
            "joe.bloggs@example.com",
            "\"joe bloggs\"@example.com",
            "\"\"@example.com",
            "te~st@example.com",
            "a@[127.0.0.1]",
            "a@[IPv6:::1]",
            "a@[ipv6:::1]",
            "a@[300.0.0.1]",
            "é@example.com",
            "a@é.com",
            "a@xn--nxasmq6b.com",
            "a@-example.com",
            ".a@example.com",
            "a..b@example.com",
            "a.@example.com",
            "@example.com",
            "a@",
            "plain",
            "a@b@c.com",
            "",
        ],
        "hostname" => &[
            "example.com",
            "www.example.com",
            "a",
            "xn--nxasmq6b",
            "xn--nxasmq6b.com",
            "xn--ihqwcrb4cv8a8dqg056pqjye",
            "xn--X",
            "xn--",
            "ab--cd",
            "-example.com",
            "example-.com",
            "example.com.",
            ".example.com",
            "exa mple.com",
            "exa_mple.com",
            "é.com",
            "a.b..c",
            "",
        ],
        "ipv4" => &[
            "127.0.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "256.0.0.1",
            "01.0.0.1",
            "1.2.3",
            "1.2.3.4.5",
            "0x7f.0.0.1",
            "١٢٧.0.0.1",
            "",
        ],
        "ipv6" => &[
            "::1",
            "::",
            "fe80::1",
            "2001:db8::8a2e:370:7334",
            "::ffff:127.0.0.1",
            "1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7:8:9",
            "12345::",
            ":::1",
            "fe80::1%eth0",
            "1::2::3",
            "",
        ],
        "uri" => &[
            "http://example.com",
            "https://example.com/a/b?c=d#e",
            "urn:isbn:0451450523",
            "mailto:a@b.co",
            "http://[::1]:80/",
            "http://[v1.x]/",
            "http://[::1",
            "http://example.com:80a/",
            "//example.com",
            "/relative",
            "relative",
            "http://exa mple.com",
            "http://example.com/%zz",
            "http://example.com/%20",
            "http://é.com",
            "1http://x",
            "",
        ],
        "uri-reference" => &[
            "http://example.com",
            "//example.com",
            "/relative",
            "relative",
            "#fragment",
            "?query",
            "",
            "a:b",
            "http://[::1]/",
            "http://[::1",
            "\\\\windows\\path",
            "a b",
            "%zz",
            "é",
        ],
        "iri" => &[
            "http://example.com",
            "http://é.com/ü",
            "http://[::1]/",
            "/relative",
            "http://exa mple.com",
            "http://example.com/%zz",
            "",
        ],
        "iri-reference" => &[
            "http://é.com/ü",
            "/relative/ü",
            "#frag",
            "",
            "a b",
            "%zz",
            "http://[::1",
        ],
        "uri-template" => &[
            "http://example.com/{id}",
            "http://example.com/{+path}/{?q,r}",
            "{var:3}",
            "{list*}",
            "http://example.com/{id",
            "http://example.com/}",
            "{}",
            "{var:0}",
            "{var:10000}",
            "a b",
            "",
        ],
        "json-pointer" => &[
            "",
            "/",
            "/a/b",
            "/a~0b/c~1d",
            "/a~2",
            "/a~",
            "a",
            "#/a",
            "/é",
        ],
        "relative-json-pointer" => &[
            "0", "1/a", "0#", "10/a~0", "01", "-1", "0##", "/a", "", "1#/a",
        ],
        "regex" => &[
            "^a$", "[a-z]+", "(?<=a)b", "(", "[a-", "\\d", "a{2,1}", "(?P<n>a)", "\\a", "",
        ],
        "uuid" => &[
            "0f9e8d7c-6b5a-4493-8271-605f4e3d2c1b",
            "0F9E8D7C-6B5A-4493-8271-605F4E3D2C1B",
            "00000000-0000-0000-0000-000000000000",
            "0f9e8d7c6b5a44938271605f4e3d2c1b",
            "{0f9e8d7c-6b5a-4493-8271-605f4e3d2c1b}",
            "0f9e8d7c-6b5a-4493-8271-605f4e3d2c1g",
            "0f9e8d7c-6b5a-4493-8271-605f4e3d2c1",
            "",
        ],
        // Not asserted: anything goes.
        "idn-email" | "idn-hostname" | "duration" | "int32" | "first_name" => {
            &["", "x", "not valid @ all", "P1D", "99999999999"]
        }
        other => panic!("no instances for {other}"),
    });
    values.extend([json!(1), json!(null), json!([]), json!({})]);
    values
}

#[test]
fn formats() {
    let formats = [
        "date",
        "date-time",
        "time",
        "email",
        "hostname",
        "ipv4",
        "ipv6",
        "uri",
        "uri-reference",
        "iri",
        "iri-reference",
        "uri-template",
        "json-pointer",
        "relative-json-pointer",
        "regex",
        "uuid",
        "idn-email",
        "idn-hostname",
        "duration",
        "int32",
        "first_name",
    ];
    let cases: Vec<(Value, Vec<Value>)> = formats
        .iter()
        .map(|f| (json!({ "format": f }), format_instances(f)))
        .collect();
    assert_agree(&cases);
    // Every asserted format has a string it refuses among the instances: the test checks something.
    for format in &formats[..16] {
        assert!(
            format_instances(format).iter().any(|v| v
                .as_str()
                .is_some_and(|s| fastsocket::format_ok(format, s) == Some(false))),
            "{format}"
        );
    }
}

#[test]
fn nested_paths_match_jsonschema() {
    // Where both report one error per failing value, the pointers agree (`required` aside: `jsonschema` points
    // at the object, the checker at the missing property).
    let schema = json!({
        "type": "object",
        "properties": {
            "a/b": {"type": "array", "items": {"type": "string", "minLength": 2}},
            "n": {"type": "integer", "multipleOf": 2}
        }
    });
    let instance = json!({"a/b": ["ok", "x", 3], "n": 3});
    let validator = reference(&schema);
    let mut expected: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| e.instance_path().to_string())
        .collect();
    let mut checker = Checker::new();
    mirror(&schema, &instance, &mut checker);
    let mut found: Vec<String> = checker
        .violations()
        .iter()
        .map(|v| v.path.clone())
        .collect();
    expected.sort();
    found.sort();
    assert_eq!(found, expected);
    assert_eq!(found, ["/a~1b/1", "/a~1b/2", "/n"]);
}

/// A small deterministic generator (xorshift), so the sweep below is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// A number as people write them: a few digits, a few decimals, sometimes an exponent or a sign.
    fn number(&mut self) -> Value {
        let digits = 1 + self.below(9) as u32;
        let mantissa = self.below(10_u64.pow(digits));
        let decimals = self.below(6) as i32;
        let sign = if self.below(5) == 0 { "-" } else { "" };
        let text = match self.below(6) {
            0 => format!("{sign}{mantissa}"),
            1 => format!("{sign}{mantissa}e{}", self.below(40) as i32 - 20),
            _ => {
                let value = mantissa as f64 / 10f64.powi(decimals);
                format!("{sign}{value}")
            }
        };
        serde_json::from_str(&text).unwrap()
    }
}

#[test]
fn numeric_sweep() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let instances: Vec<Value> = (0..400).map(|_| rng.number()).collect();
    let mut cases = Vec::new();
    for _ in 0..60 {
        let factor = loop {
            let candidate = rng.number();
            if candidate.as_f64().is_some_and(|f| f > 0.0) {
                break candidate;
            }
        };
        // Multiples of the factor, in float arithmetic and in decimal text, so that both verdicts occur.
        let f = factor.as_f64().unwrap();
        let mut multiples = instances.clone();
        for k in [1_u32, 2, 3, 7, 10, 1000, 123_456] {
            multiples.push(json!(f * f64::from(k)));
            let text = format!("{}", f * f64::from(k));
            multiples.push(serde_json::from_str(&text).unwrap());
        }
        let accepted = multiples
            .iter()
            .filter(|v| reference(&json!({ "multipleOf": factor })).is_valid(v))
            .count();
        assert!(accepted > 0, "no multiple of {factor} among the instances");
        cases.push((json!({ "multipleOf": factor }), multiples));
        let bound = rng.number();
        cases.push((json!({ "minimum": bound }), instances.clone()));
        cases.push((json!({ "exclusiveMaximum": bound }), instances.clone()));
    }
    for factor in [0.1, 0.01, 0.05, 0.25, 0.001, 1e-5, 1e-9] {
        cases.push((json!({ "multipleOf": factor }), instances.clone()));
    }
    assert_agree(&cases);
}
