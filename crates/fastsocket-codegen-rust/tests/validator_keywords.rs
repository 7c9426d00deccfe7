//! The generated validators for the JSON Schema keywords our specs rarely use: tuples, `contains`, pattern and
//! additional properties together, `propertyNames`, draft-07 `dependencies`, integer bounds beyond `f64`, and a
//! pattern the runtime cannot compile (a generation warning, not a failure).

use fastsocket_codegen_rust::{RuntimeDependency, RustOptions, generate};
use fastsocket_spec::{Input, LoadOptions, load};

/// A one-message AsyncAPI 3.0 document whose payload is `schema` (YAML, indented for `components.schemas`).
fn document(schema: &str) -> String {
    format!(
        r#"asyncapi: 3.0.0
info:
  title: Keywords
  version: 1.0.0
channels:
  root:
    address: /
    messages:
      probe:
        $ref: '#/components/messages/Probe'
operations:
  onProbe:
    action: receive
    channel:
      $ref: '#/channels/root'
    messages:
      - $ref: '#/channels/root/messages/probe'
components:
  messages:
    Probe:
      payload:
        $ref: '#/components/schemas/Probe'
  schemas:
    Probe:
{schema}"#
    )
}

/// The generated `validators.rs` and the generation warnings.
fn validators(schema: &str) -> (String, Vec<String>) {
    let input = Input::Text {
        name: "keywords.yaml".into(),
        text: document(schema),
    };
    let api = load(&input, &LoadOptions::default())
        .unwrap_or_else(|e| panic!("the document loads: {e:?}"))
        .api;
    let options = RustOptions {
        crate_name: "keywords".into(),
        runtime: RuntimeDependency::Path("../fastsocket".into()),
        server: false,
        ..RustOptions::default()
    };
    let output = generate(&api, &options).expect("generation succeeds");
    let file = output
        .files
        .iter()
        .find(|f| f.path.ends_with("validators.rs"))
        .expect("a validators file");
    (file.contents.clone(), output.warnings)
}

/// `text` with all whitespace removed, so assertions do not depend on prettyplease's line breaks.
fn squash(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

#[test]
fn tuples_check_each_position_and_the_rest_once() {
    let (code, warnings) = validators(
        r#"      type: array
      items:
        - type: string
        - type: string
        - type: integer
      additionalItems:
        type: boolean
      contains:
        type: integer
        minimum: 10
      uniqueItems: true
      minItems: 1
      maxItems: 9
"#,
    );
    let code = squash(&code);
    assert!(warnings.is_empty(), "{warnings:?}");
    // Positions 0 and 1 share one validator, so one branch; the rest go to the `additionalItems` schema.
    assert!(code.contains("ifindex==0||index==1{"), "{code}");
    assert!(code.contains("checker.enter_index(index);"), "{code}");
    assert!(
        code.contains("mustcontainatleastoneitemthatmatchesthe`contains`schema"),
        "{code}"
    );
    for check in [
        "checker.unique_items(items);",
        "checker.min_items(items,1);",
        "checker.max_items(items,9);",
    ] {
        assert!(code.contains(check), "{check} in {code}");
    }
}

#[test]
fn pattern_and_additional_properties_decide_each_key_once() {
    let (code, warnings) = validators(
        r#"      type: object
      required: [id]
      minProperties: 1
      maxProperties: 5
      properties:
        id:
          type: string
      patternProperties:
        '^x-':
          type: string
      additionalProperties:
        type: integer
      propertyNames:
        maxLength: 12
"#,
    );
    let code = squash(&code);
    assert!(warnings.is_empty(), "{warnings:?}");
    // A declared key counts as matched, so `additionalProperties` never checks `id`.
    assert!(
        code.contains(r#"letmutmatched=matches!(key.as_str(),"id");"#),
        "{code}"
    );
    assert!(code.contains("matched=true;"), "{code}");
    assert!(code.contains("if!matched{"), "{code}");
    assert!(
        code.contains("letname=::serde_json::Value::String(key.clone());"),
        "{code}"
    );
    for check in [
        r#"checker.required(object,&["id"]);"#,
        "checker.min_properties(object,1);",
        "checker.max_properties(object,5);",
    ] {
        assert!(code.contains(check), "{check} in {code}");
    }
}

#[test]
fn forbidden_additional_properties_name_the_rule() {
    let (code, _) = validators(
        r#"      type: object
      properties:
        id:
          type: string
      additionalProperties: false
"#,
    );
    let code = squash(&code);
    assert!(
        code.contains(r#"if!matches!(key.as_str(),"id"){"#),
        "{code}"
    );
    assert!(
        code.contains("isnotallowed:theschemadoesnotdeclarethisproperty"),
        "{code}"
    );
}

#[test]
fn draft_07_dependencies_are_checked_and_what_is_not_is_a_warning() {
    let (code, warnings) = validators(
        r#"      type: object
      properties:
        card:
          type: string
        billing:
          type: string
        legacy:
          type: boolean
        mode:
          type: string
      dependencies:
        card: [billing]
        legacy: false
        mode:
          type: object
          required: [card]
          minProperties: 2
          const: {mode: a, card: b}
          enum: [{mode: a, card: b}]
          title: annotations are ignored
          properties:
            card:
              maxLength: 3
"#,
    );
    let code = squash(&code);
    assert!(code.contains(r#"ifobject.contains_key("card"){"#), "{code}");
    assert!(
        code.contains(r#"checker.required(object,&["billing"]);"#),
        "{code}"
    );
    assert!(
        code.contains("isnotallowed:theschemaforbidsobjectswith`legacy`"),
        "{code}"
    );
    assert!(
        code.contains(r#"checker.required(object,&["card"]);"#),
        "{code}"
    );
    assert!(code.contains("checker.min_properties(object,2);"), "{code}");
    assert!(code.contains("checker.const_value(value,&"), "{code}");
    assert!(
        code.contains("checker.enum_values(value,allowed);"),
        "{code}"
    );
    assert_eq!(
        warnings,
        ["`dependencies` of `mode`: `properties` is not checked by the generated validator"],
    );
}

#[test]
fn integer_bounds_beyond_f64_are_compared_exactly() {
    let (code, _) = validators(
        r#"      type: integer
      minimum: -9007199254740993
      maximum: 18446744073709551615
      multipleOf: 9007199254740993
"#,
    );
    let code = squash(&code);
    assert!(
        code.contains("checker.minimum_integer(number,-9007199254740993);"),
        "{code}"
    );
    assert!(
        code.contains("checker.maximum_integer(number,18446744073709551615);"),
        "{code}"
    );
    // `multipleOf` has no exact form: it stays a float check.
    assert!(code.contains("checker.multiple_of(number,"), "{code}");
}

#[test]
fn a_pattern_the_runtime_cannot_compile_is_a_warning() {
    let (code, warnings) = validators(
        r#"      type: string
      pattern: '(?<=a'
"#,
    );
    assert!(
        squash(&code).contains("checker.pattern(text,&PATTERN_"),
        "{code}"
    );
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with("pattern `(?<=a` cannot be compiled ("),
        "{warnings:?}"
    );
    assert!(
        warnings[0].ends_with("); values are reported as not matching"),
        "{warnings:?}"
    );
}
