//! Message examples checked against their own schemas: located `example-mismatch` warnings and the `valid` flag,
//! and the JSON Schema the IR is written back to.

use std::path::{Path, PathBuf};

use fastsocket_ir::json_schema::{DRAFT_07, to_json_schema, to_json_schema_inlined};
use fastsocket_ir::{Api, TypeId};
use fastsocket_spec::{Diagnostic, Input, LoadOptions, Loaded, load};
use serde_json::{Value, json};

fn load_text(text: &str) -> Loaded {
    let input = Input::Text {
        name: "spec.yaml".into(),
        text: text.into(),
    };
    load(&input, &LoadOptions::default()).unwrap_or_else(|e| panic!("{e:?}"))
}

fn load_path(path: &Path) -> Loaded {
    load(&Input::Path(path.to_path_buf()), &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{}: {e:?}", path.display()))
}

fn mismatches(loaded: &Loaded) -> Vec<&Diagnostic> {
    loaded
        .report
        .warnings()
        .filter(|d| d.code == fastsocket_spec::Code::ExampleMismatch)
        .collect()
}

fn valid_flags(api: &Api, key: &str) -> Vec<bool> {
    let message = api.messages.iter().find(|m| m.key == key).expect(key);
    message.examples.iter().map(|e| e.valid).collect()
}

/// A 3.0 document with one message `m` under `components.messages`, its fields given as YAML lines indented by six.
fn doc(message: &str) -> String {
    format!(
        "asyncapi: 3.0.0\n\
         info: {{title: T, version: '1'}}\n\
         channels:\n  \
           a:\n    \
             address: /a\n    \
             messages:\n      \
               m: {{$ref: '#/components/messages/m'}}\n\
         components:\n  \
           messages:\n    \
             m:\n{message}"
    )
}

#[test]
fn one_valid_and_one_invalid_example() {
    let loaded = load_text(&doc(concat!(
        "      payload:\n",
        "        type: object\n",
        "        required: [id]\n",
        "        properties:\n",
        "          id: {type: string, format: uuid}\n",
        "          count: {type: integer, minimum: 0}\n",
        "      examples:\n",
        "        - name: ok\n",
        "          payload: {id: 0f9e8d7c-6b5a-4493-8271-605f4e3d2c1b, count: 3}\n",
        "        - name: bad\n",
        "          payload: {id: 0f9e8d7c-6b5a-4493-8271-605f4e3d2c1b, count: -1}\n",
    )));
    let warnings = mismatches(&loaded);
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    let w = warnings[0];
    assert_eq!(w.pointer, "/components/messages/m/examples/1");
    assert_eq!((w.file.as_str(), w.line, w.column), ("spec.yaml", 20, 11));
    assert_eq!(
        w.message,
        "example `bad` of message `m` does not match its payload schema: /count: -1 is less than the minimum of 0"
    );
    assert_eq!(w.source_line.as_deref(), Some("        - name: bad"));
    assert!(
        w.help
            .as_deref()
            .unwrap()
            .contains("left out of generated tests")
    );
    assert_eq!(valid_flags(&loaded.api, "m"), [true, false]);
    // The flag is in the dump only when it says something.
    let dump = serde_json::to_value(&loaded.api.messages[0].examples).unwrap();
    assert_eq!(dump[0].get("valid"), None);
    assert_eq!(dump[1]["valid"], json!(false));
}

#[test]
fn under_strict_a_mismatching_example_is_an_error_the_loader_reports() {
    let text = doc(concat!(
        "      payload: {type: integer, minimum: 0}\n",
        "      examples:\n",
        "        - name: ok\n",
        "          payload: 1\n",
        "        - name: bad\n",
        "          payload: -1\n",
    ));
    let input = Input::Text {
        name: "spec.yaml".into(),
        text,
    };
    let strict = LoadOptions {
        strict: true,
        ..Default::default()
    };
    let Err(fastsocket_spec::LoadError::Invalid(report)) = load(&input, &strict) else {
        panic!("a strict load of a mismatching example must fail");
    };
    let errors: Vec<&Diagnostic> = report.errors().collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].code, fastsocket_spec::Code::ExampleMismatch);
    assert!(errors[0].help.as_deref().unwrap().contains("strict"));
    // Without `strict` the same document loads, with the warning.
    let loaded = load(&input, &LoadOptions::default()).unwrap();
    assert_eq!(mismatches(&loaded).len(), 1);
}

#[test]
fn every_error_is_counted_and_headers_are_checked_too() {
    let loaded = load_text(&doc(concat!(
        "      headers:\n",
        "        type: object\n",
        "        properties:\n",
        "          traceId: {type: string, maxLength: 4}\n",
        "      payload:\n",
        "        type: object\n",
        "        additionalProperties: false\n",
        "        properties:\n",
        "          at: {type: string, format: date-time}\n",
        "          who: {type: string, format: first_name}\n",
        "          id: {type: string, format: uuid}\n",
        "      examples:\n",
        "        - headers: {traceId: abcdef}\n",
        "          payload: {at: yesterday, who: Ann, extra: 1}\n",
        "        - headers: {traceId: abc}\n",
        "          payload: {at: '2024-05-01T12:00:00Z', who: '###'}\n",
        "        - payload: {id: 0f9e8d7c-6b5a-4493-8271-605f4e3d2c1}\n",
    )));
    let mut messages: Vec<&str> = mismatches(&loaded)
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    messages.sort();
    assert_eq!(messages.len(), 3, "{messages:#?}");
    assert_eq!(
        messages[0],
        "unnamed example #0 of message `m` does not match its headers schema: /traceId: \"abcdef\" is longer than 4 characters"
    );
    // Two errors: the date-time that is not one, and the property `additionalProperties` refuses.
    let payload = messages[1];
    assert!(
        payload
            .starts_with("unnamed example #0 of message `m` does not match its payload schema: ")
            && payload.ends_with(" (and 1 more)"),
        "{payload}"
    );
    assert_eq!(
        messages[2],
        "unnamed example #2 of message `m` does not match its payload schema: /id: \"0f9e8d7c-6b5a-4493-8271-605f4e3d2c1\" is not a \"uuid\""
    );
    // An unknown format (`first_name`) is an annotation: `###` passes.
    assert_eq!(valid_flags(&loaded.api, "m"), [false, true, false]);
}

#[test]
fn nothing_to_check_means_valid() {
    // An Avro payload is opaque, a `true` schema accepts anything, and headers without a schema are not checked.
    let text = "asyncapi: 2.6.0\n\
        info: {title: T, version: '1'}\n\
        channels:\n  \
          a:\n    \
            publish:\n      \
              message:\n        \
                oneOf:\n          \
                  - name: avro\n            \
                    schemaFormat: application/vnd.apache.avro;version=1.9.0\n            \
                    payload: {type: record, name: R, fields: [{name: x, type: int}]}\n            \
                    examples: [{payload: {x: not-an-int}}]\n          \
                  - name: anything\n            \
                    payload: true\n            \
                    examples: [{payload: 42}, {headers: {a: 1}}]\n";
    let loaded = load_text(text);
    assert!(mismatches(&loaded).is_empty());
    assert_eq!(valid_flags(&loaded.api, "avro"), [true]);
    assert_eq!(valid_flags(&loaded.api, "anything"), [true, true]);
}

#[test]
fn recursive_payloads_are_checked_to_any_depth() {
    let loaded = load_text(&doc(concat!(
        "      payload: {$ref: '#/components/schemas/Node'}\n",
        "      examples:\n",
        "        - name: deep\n",
        "          payload: {v: 1, kids: [{v: 2, kids: [{v: 3, kids: [{v: 4}]}]}]}\n",
        "        - name: broken\n",
        "          payload: {v: 1, kids: [{v: 2, kids: [{v: 3, kids: [{v: four}]}]}]}\n",
        "  schemas:\n",
        "    Node:\n",
        "      type: object\n",
        "      required: [v]\n",
        "      properties:\n",
        "        v: {type: integer}\n",
        "        kids: {type: array, items: {$ref: '#/components/schemas/Node'}}\n",
    )));
    let warnings = mismatches(&loaded);
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert!(
        warnings[0]
            .message
            .ends_with("/kids/0/kids/0/kids/0/v: \"four\" is not of type \"integer\""),
        "{}",
        warnings[0].message
    );
    assert_eq!(valid_flags(&loaded.api, "m"), [true, false]);
}

#[test]
fn nullable_follows_openapi() {
    let loaded = load_text(&doc(concat!(
        "      payload:\n",
        "        type: object\n",
        "        properties:\n",
        "          note: {type: string, nullable: true}\n",
        "          any: {nullable: true, minimum: 1}\n",
        "          level: {type: string, nullable: true, enum: [low, high]}\n",
        "      examples:\n",
        "        - payload: {note: null, any: null}\n",
        "        - payload: {note: hi, any: 2, level: low}\n",
        "        - payload: {level: null}\n",
    )));
    // OpenAPI 3.0.3: `nullable` adds null to `type`; an `enum` without null still refuses it.
    assert_eq!(valid_flags(&loaded.api, "m"), [true, true, false]);
}

#[test]
fn the_ir_is_written_back_keyword_for_keyword() {
    let loaded = load_text(&doc(concat!(
        "      payload:\n",
        "        type: array\n",
        "        items: [{type: string, pattern: '^[a-z]+$'}, {$ref: '#/components/schemas/Count'}]\n",
        "        additionalItems: false\n",
        "        minItems: 1\n",
        "        uniqueItems: true\n",
        "        examples: [[a, 1]]\n",
        "  schemas:\n",
        "    Count:\n",
        "      type: [integer, 'null']\n",
        "      exclusiveMinimum: 0\n",
        "      maximum: 10\n",
        "      multipleOf: 2\n",
        "      x-unit: pieces\n",
    )));
    let api = &loaded.api;
    let payload = api.messages[0].payload.unwrap();
    let count = api.types.iter().find(|t| t.name == "Count").unwrap().id;
    let string = api.types.schema(payload).unwrap().prefix_items[0];
    let def = |id: TypeId| format!("T{}", id.0);
    assert_eq!(
        to_json_schema(&api.types, payload),
        json!({
            "$schema": DRAFT_07,
            "type": "array",
            "items": [
                {"$ref": format!("#/definitions/{}", def(string))},
                {"$ref": format!("#/definitions/{}", def(count))},
            ],
            "additionalItems": false,
            "uniqueItems": true,
            "minItems": 1,
            "definitions": {
                def(string): {"type": "string", "pattern": "^[a-z]+$"},
                def(count): {
                    "type": ["integer", "null"],
                    "maximum": 10,
                    "exclusiveMinimum": 0,
                    "multipleOf": 2,
                },
            },
        })
    );
    let inlined = to_json_schema_inlined(&api.types, payload);
    assert_eq!(inlined["items"][1]["exclusiveMinimum"], json!(0));
    assert_eq!(inlined.get("definitions"), None);
}

/// Both written forms give the same verdict on every example of a document.
fn inlined_form_agrees(api: &Api) {
    let options = jsonschema::options().should_validate_formats(true);
    for message in &api.messages {
        let payloads: Vec<&Value> = message
            .examples
            .iter()
            .filter_map(|e| e.payload.as_ref())
            .collect();
        let headers: Vec<&Value> = message
            .examples
            .iter()
            .filter_map(|e| e.headers.as_ref())
            .collect();
        for (schema, values) in [(message.payload, payloads), (message.headers, headers)] {
            let Some(id) = schema else { continue };
            let by_ref = options.build(&to_json_schema(&api.types, id)).unwrap();
            let inlined = options
                .build(&to_json_schema_inlined(&api.types, id))
                .unwrap();
            for value in values {
                assert_eq!(
                    by_ref.iter_errors(value).count(),
                    inlined.iter_errors(value).count(),
                    "message {}",
                    message.key
                );
            }
        }
    }
}

fn our_specs() -> Vec<PathBuf> {
    let specs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../specs");
    [
        "chat-socketio.yaml",
        "trading-v2.yaml",
        "recursive.yaml",
        "multi-file/asyncapi.yaml",
        "streetlights-mqtt-v2.json",
        "avro-and-openapi.yaml",
    ]
    .iter()
    .map(|name| specs.join(name))
    .collect()
}

#[test]
fn our_own_examples_all_match() {
    for path in our_specs() {
        let loaded = load_path(&path);
        let warnings = mismatches(&loaded);
        assert!(
            warnings.is_empty(),
            "{}:\n{}",
            path.display(),
            warnings.iter().map(|d| d.render(false)).collect::<String>()
        );
        let examples = loaded.api.messages.iter().flat_map(|m| &m.examples);
        assert!(examples.clone().count() > 0, "{}", path.display());
        assert!(examples.clone().all(|e| e.valid));
        inlined_form_agrees(&loaded.api);
    }
}

#[test]
fn zbos_loads_with_a_warning_per_mismatching_example() {
    let path = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/asyncapi-corpus/v2/parserjs-zbos_mqtt-all-asyncapi.json"
    ));
    if !path.exists() {
        println!("skipped: {} is not there", path.display());
        return;
    }
    let loaded = load_path(path);
    let warnings = mismatches(&loaded);
    // 76 of the 296 examples do not match; between them they break their schemas 139 times (the number the
    // corpus manifest gives, which counts errors the way the JS parser lists them).
    assert_eq!(warnings.len(), 76);
    let errors: usize = warnings
        .iter()
        .map(|d| {
            let more = d
                .message
                .rsplit_once(" (and ")
                .and_then(|(_, rest)| rest.strip_suffix(" more)"))
                .map_or(0, |n| n.parse::<usize>().unwrap());
            1 + more
        })
        .sum();
    assert_eq!(errors, 139);
    let examples: Vec<_> = loaded
        .api
        .messages
        .iter()
        .flat_map(|m| &m.examples)
        .collect();
    assert_eq!(examples.len(), 296);
    assert_eq!(examples.iter().filter(|e| !e.valid).count(), 76);
    assert!(
        warnings
            .iter()
            .all(|d| d.line > 0 && d.pointer.contains("/examples/") && d.source_line.is_some())
    );
    inlined_form_agrees(&loaded.api);
}

#[test]
fn a_long_chain_of_schemas_does_not_overflow_the_stack() {
    // S0 → S1 → … → S1999, each its own component, with an example four levels deep.
    let mut text = doc(concat!(
        "      payload: {$ref: '#/components/schemas/S0'}\n",
        "      examples:\n",
        "        - payload: {next: {next: {next: {next: {}}}}}\n",
        "        - payload: {next: {next: {next: {next: 1}}}}\n",
        "  schemas:\n",
    ));
    for i in 0..2000 {
        text.push_str(&format!(
            "    S{i}: {{type: object, properties: {{next: {{$ref: '#/components/schemas/S{}'}}}}}}\n",
            i + 1
        ));
    }
    text.push_str("    S2000: {type: object}\n");
    let loaded = load_text(&text);
    assert_eq!(valid_flags(&loaded.api, "m"), [true, false]);
    let value: Value = serde_json::to_value(&loaded.api.messages[0].examples[1].payload).unwrap();
    assert_eq!(value["next"]["next"]["next"]["next"], json!(1));
}
