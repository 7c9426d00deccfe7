//! The TypeScript types of `types.ts` for schema shapes our specs do not use: tuples, closed and open maps,
//! `false` schemas, OpenAPI's `nullable`, discriminator mappings, literal lists and deprecated types. Each type
//! must accept what the validators accept (never be stricter) and narrow where the schema states a literal.

use fastsocket_codegen_vue::{VueOptions, generate};
use fastsocket_spec::{Input, LoadOptions, load};

/// `types.ts` of a document whose one message carries `payload` and whose components hold `schemas`,
/// whitespace collapsed to single spaces.
fn types_ts(payload: &str, schemas: &str) -> String {
    let document = format!(
        r#"
asyncapi: 3.0.0
info: {{title: T, version: '1'}}
channels:
  c:
    address: /c
    messages:
      m:
        name: shape
        payload: {payload}
operations:
  o:
    action: receive
    channel: {{$ref: '#/channels/c'}}
components:
  schemas:
{schemas}
"#
    );
    let api = load(
        &Input::Text {
            name: "t.yaml".into(),
            text: document,
        },
        &LoadOptions::default(),
    )
    .expect("the document loads")
    .api;
    let output = generate(
        &api,
        &VueOptions {
            package_name: "demo-client".into(),
            mapping: None,
        },
    )
    .expect("generates");
    let types = &output
        .files
        .iter()
        .find(|f| f.path == "src/generated/types.ts")
        .expect("types.ts")
        .contents;
    types.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn assert_contains(types: &str, expected: &[&str]) {
    for e in expected {
        assert!(types.contains(e), "missing `{e}` in:\n{types}");
    }
}

#[test]
fn tuples_state_their_required_prefix_and_their_rest() {
    let types = types_ts(
        "{$ref: '#/components/schemas/Point'}",
        r#"
    Point:
      type: array
      prefixItems: [{type: number}, {type: number}, {type: string}]
      minItems: 2
      items: false
    Open:
      type: array
      prefixItems: [{type: integer}]
    Rest:
      type: array
      prefixItems: [{type: boolean}]
      minItems: 1
      items: {type: string}
    Nothing:
      type: array
      items: false
"#,
    );
    assert_contains(
        &types,
        &[
            // Two required elements, an optional third, nothing after.
            "export type Point = [number, number, string?];",
            // Elements past the prefix are allowed and unconstrained.
            "export type Open = [number?, ...Array<unknown>];",
            "export type Rest = [boolean, ...Array<string>];",
            // `items: false` and no prefix: only the empty array.
            "export type Nothing = Array<never>;",
        ],
    );
}

#[test]
fn maps_closed_open_and_by_pattern() {
    let types = types_ts(
        "{$ref: '#/components/schemas/Bag'}",
        r#"
    Bag:
      type: object
      required: [id]
      properties:
        id: {type: integer, description: The bag's id.}
        never: false
        anything: true
      additionalProperties: {type: string}
    Closed:
      type: object
      additionalProperties: false
    ByPattern:
      type: object
      patternProperties:
        '^x-': {type: string}
    Declared:
      type: object
      properties:
        a: {type: string}
      patternProperties:
        '^x-': {type: string}
    Counts:
      type: object
      additionalProperties: {type: integer}
"#,
    );
    assert_contains(
        &types,
        &[
            // A required property, two optional ones (a `false` schema admits no value, `true` any), a doc from
            // the property's description, and an index signature for the undeclared ones.
            "/** * The bag's id. */ id: number;",
            "never?: never;",
            "anything?: unknown;",
            "[key: string]: unknown; }",
            "export type Closed = { [key: string]: never };",
            // Pattern properties are left to the validators: any key, any value.
            "export type ByPattern = { [key: string]: unknown };",
            "export type Declared = { a?: string; [key: string]: unknown; };",
            "export type Counts = { [key: string]: number };",
        ],
    );
}

#[test]
fn nullable_literals_and_number_kinds() {
    let types = types_ts(
        "{$ref: '#/components/schemas/Mixed'}",
        r#"
    Mixed:
      type: object
      properties:
        nick: {type: string, nullable: true}
        level: {type: [integer, number, 'null']}
        mode: {enum: [fast, 1, null, {a: 1}]}
        fixed: {const: on}
        tagged: {type: [string, boolean], enum: [a, true], nullable: true}
    Nick:
      title: A nickname
      description: Shown to everyone.
      deprecated: true
      type: string
      nullable: true
      minLength: 1
"#,
    );
    assert_contains(
        &types,
        &[
            "nick?: string | null;",
            // `integer` and `number` are both `number`, once.
            "level?: number | null;",
            // An object cannot be a literal type: the list is as loose as it.
            "export type MixedMode = unknown;",
            "export type MixedFixed = \"on\";",
            // A literal list states `null` itself: `nullable` adds nothing.
            "export type MixedTagged = \"a\" | true;",
            "/** * A nickname * * Shown to everyone. * * @deprecated */ export type Nick = string | null;",
        ],
    );
}

#[test]
fn discriminator_mappings_tag_variants_that_do_not_state_their_value() {
    // The object form of `discriminator`, with a mapping, is OpenAPI's: a payload in that schema format.
    let types = types_ts(
        r#"
          schemaFormat: application/vnd.oai.openapi;version=3.0.0
          schema:
            oneOf:
              - $ref: '#/components/schemas/Cat'
              - $ref: '#/components/schemas/Dog'
              - $ref: '#/components/schemas/Bird'
            discriminator:
              propertyName: petType
              mapping:
                kitty: '#/components/schemas/Cat'"#,
        r#"
    Cat:
      type: object
      properties:
        petType: {type: string}
        lives: {type: integer}
    Dog:
      type: object
      properties:
        petType: {type: string}
    Bird:
      type: object
      properties:
        petType: {type: string, enum: [bird]}
    Either:
      anyOf:
        - {type: string}
        - {type: integer}
    Both:
      allOf:
        - $ref: '#/components/schemas/Dog'
        - true
        - type: object
          properties:
            name: {type: string}
"#,
    );
    assert_contains(
        &types,
        &[
            // The mapping's value for Cat, the component name for Dog, nothing for Bird (it states its literal).
            r#"= ((Cat & { petType: "kitty" }) | (Dog & { petType: "Dog" }) | Bird);"#,
            "export type Either = (string | number);",
            // `true` adds nothing to an intersection.
            "export type Both = Dog & ",
        ],
    );
    assert!(!types.contains("Dog & unknown"), "{types}");
}
