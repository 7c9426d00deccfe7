//! Generation over our own specs: output is valid Rust, deterministic, and shaped as expected.

use std::path::PathBuf;

use fastsocket_spec::{Input, LoadOptions, load};

use crate::{Owner, RuntimeDependency, RustOptions, generate};

fn spec(path: &str) -> fastsocket_ir::Api {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../specs")
        .join(path);
    load(&Input::Path(path), &LoadOptions::default())
        .expect("spec loads")
        .api
}

fn options() -> RustOptions {
    RustOptions {
        crate_name: "demo".into(),
        runtime: RuntimeDependency::Path("../fastsocket".into()),
        server: true,
        mapping: None,
    }
}

#[test]
fn generation_is_deterministic() {
    let api = spec("trading-v2.yaml");
    let first = generate(&api, &options()).unwrap();
    let second = generate(&api, &options()).unwrap();
    assert_eq!(first.files, second.files);
}

#[test]
fn layout_separates_generated_and_user_files() {
    let output = generate(&spec("chat-socketio.yaml"), &options()).unwrap();
    let owned: Vec<(&str, Owner)> = output
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.owner))
        .collect();
    assert!(owned.contains(&("Cargo.toml", Owner::User)));
    assert!(owned.contains(&("src/lib.rs", Owner::User)));
    assert!(owned.contains(&("src/generated/models.rs", Owner::Generator)));
    assert!(
        owned
            .iter()
            .filter(|(p, _)| p.starts_with("src/generated/"))
            .all(|(_, o)| *o == Owner::Generator)
    );
}

/// The generated crate for each of our specs, reviewed as snapshots (`cargo insta review`): one per
/// generated file, in `snapshots/rust/<spec>/`, so a review shows which file changed.
#[test]
fn generated_crates_of_our_specs() {
    let specs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../specs");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&specs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("yaml" | "json")
            )
        })
        .collect();
    paths.push(specs.join("multi-file/asyncapi.yaml"));
    paths.sort();
    for path in paths {
        let name = path
            .strip_prefix(&specs)
            .unwrap()
            .to_string_lossy()
            .replace('/', "__");
        let api = load(&Input::Path(path.clone()), &LoadOptions::default())
            .expect("spec loads")
            .api;
        let output = generate(&api, &options()).unwrap();
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(format!("snapshots/rust/{name}"));
        settings.set_prepend_module_to_snapshot(false);
        settings.bind(|| {
            for file in &output.files {
                let mut settings = insta::Settings::clone_current();
                settings.set_description(format!("{} ({:?})", file.path, file.owner));
                settings.set_omit_expression(true);
                settings.bind(|| {
                    insta::assert_snapshot!(file.path.replace('/', "__"), &file.contents);
                });
            }
            let warnings: String = output.warnings.iter().map(|w| format!("{w}\n")).collect();
            insta::assert_snapshot!("warnings", warnings);
        });
    }
}

/// Keywords whose generated checks the differential test (`cargo xtask differential`) found missing or wrong.
#[test]
fn validators_found_by_the_differential_test() {
    let text = r#"
asyncapi: 3.0.0
info: {title: T, version: '1'}
channels:
  c:
    messages:
      m:
        payload:
          schemaFormat: application/vnd.oai.openapi;version=3.0.0
          schema:
            type: object
            properties:
              plain: {nullable: true, enum: [a, b]}
              big: {type: integer, maximum: 9223372036854775807, minimum: 5}
components:
  schemas:
    Card:
      type: object
      dependencies:
        card: [billing]
        vip: {required: [level], type: object}
        never: false
    Pair:
      type: array
      items: [{$ref: '#/components/schemas/Stamp'}, {$ref: '#/components/schemas/Stamp'}]
      additionalItems: false
    Stamp: {type: integer}
    Worker:
      type: object
      oneOf: [{$ref: '#/components/schemas/Boss'}]
    Boss:
      type: object
      allOf: [{$ref: '#/components/schemas/Worker'}]
"#;
    let api = load(
        &Input::Text {
            name: "t.yaml".into(),
            text: text.into(),
        },
        &LoadOptions::default(),
    )
    .expect("loads")
    .api;
    let output = generate(&api, &options()).unwrap();
    let validators = &output
        .files
        .iter()
        .find(|f| f.path == "src/generated/validators.rs")
        .unwrap()
        .contents;
    let flat: String = validators.split_whitespace().collect::<Vec<_>>().join(" ");
    for expected in [
        // `nullable` without `type`: null, or what the other keywords accept.
        "if value.is_null() { return; }",
        // An integer bound an f64 cannot hold is compared exactly; small ones as before.
        "checker.maximum_integer(number, 9223372036854775807);",
        "checker.minimum(number, 5.0);",
        // draft-07 `dependencies`.
        "if object.contains_key(\"card\") { checker.required(object, &[\"billing\"]); }",
        "if object.contains_key(\"vip\") { checker.required(object, &[\"level\"]);",
        "if object.contains_key(\"never\") { checker.fail(",
        // Positions checked alike share one branch.
        "if index == 0 || index == 1 {",
        // Schemas that reach themselves in place run under the cycle guard.
        ".cycle_guard(",
    ] {
        assert!(
            flat.contains(expected),
            "missing `{expected}` in:\n{validators}"
        );
    }
}

/// A `oneOf` whose branches each fix one property to a distinct `const`, with or without a `discriminator`, is an
/// internally tagged enum whose variants do not carry the tag (as typify writes it); other unions stay untagged.
#[test]
fn const_tagged_one_of_is_an_internally_tagged_enum() {
    for (discriminator, tagged) in [
        ("", true),
        ("discriminator: kind", true),
        ("discriminator: other", false),
    ] {
        let text = format!(
            r#"
asyncapi: 3.0.0
info: {{title: T, version: '1'}}
channels:
  c:
    address: /c
    messages:
      m:
        name: shape
        payload: {{$ref: '#/components/schemas/Shape'}}
operations:
  o:
    action: receive
    channel: {{$ref: '#/channels/c'}}
components:
  schemas:
    Shape:
      {discriminator}
      oneOf:
        - type: object
          required: [kind, radius]
          properties:
            kind: {{type: string, const: circle}}
            radius: {{type: number}}
        - $ref: '#/components/schemas/Square'
    Square:
      type: object
      required: [kind]
      properties:
        kind: {{type: string, const: square}}
        side: {{type: number, default: 1}}
"#
        );
        let api = load(
            &Input::Text {
                name: "t.yaml".into(),
                text,
            },
            &LoadOptions::default(),
        )
        .expect("loads")
        .api;
        let output = generate(&api, &options()).unwrap();
        let models = &output
            .files
            .iter()
            .find(|f| f.path == "src/generated/models.rs")
            .unwrap()
            .contents;
        let flat: String = models.split_whitespace().collect::<Vec<_>>().join(" ");
        let shape = flat
            .split("pub enum Shape {")
            .nth(1)
            .and_then(|rest| rest.split("impl ::fastsocket::Validate for Shape").next())
            .unwrap_or_else(|| panic!("no enum Shape in:\n{models}"));
        if tagged {
            assert!(
                flat.contains(r#"#[serde(tag = "kind")] pub enum Shape {"#),
                "{models}"
            );
            assert!(
                shape.contains(r#"#[serde(rename = "circle")] Circle {"#),
                "{models}"
            );
            assert!(
                shape.contains(r#"#[serde(rename = "square")] Square {"#),
                "{models}"
            );
            // The variant reuses the alternative's default function; the tag is not a field.
            assert!(
                shape.contains(r#"default = "default_square_side""#),
                "{models}"
            );
            assert!(!shape.contains("kind"), "a tag field in:\n{shape}");
            // The alternative's own struct stays for use on its own, tag included.
            assert!(flat.contains("pub struct Square {"), "{models}");
        } else {
            assert!(
                flat.contains("#[serde(untagged)] pub enum Shape {"),
                "{models}"
            );
        }
    }
}
