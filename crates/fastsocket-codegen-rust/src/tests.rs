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

/// The generated crate for each of our specs, reviewed as snapshots (`cargo insta review`).
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
        let mut shown = String::new();
        for file in &output.files {
            shown.push_str(&format!(
                "===== {} ({:?})\n{}\n",
                file.path, file.owner, file.contents
            ));
        }
        for warning in &output.warnings {
            shown.push_str(&format!("===== warning: {warning}\n"));
        }
        insta::assert_snapshot!(format!("rust@{name}"), shown);
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

/// Per-operation security in the IR: an operation's own `security`, else that of the servers its channel is on
/// (none: open); the namespace's connect security is the union of its events' plus "anyone" for an open one.
#[test]
fn each_event_carries_its_operations_security() {
    let text = r#"
asyncapi: 3.0.0
info: {title: t, version: "1"}
servers:
  secured:
    host: localhost
    protocol: ws
    security: [{$ref: '#/components/securitySchemes/key'}]
  open:
    host: localhost
    protocol: ws
channels:
  desk:
    address: /desk
    servers: [{$ref: '#/servers/open'}]
    messages:
      a: {name: a, payload: {type: object}}
      b: {name: b, payload: {type: object}}
  admin:
    address: /admin
    servers: [{$ref: '#/servers/secured'}]
    messages:
      d: {name: d, payload: {type: object}}
operations:
  a: {action: receive, channel: {$ref: '#/channels/desk'}, messages: [{$ref: '#/channels/desk/messages/a'}]}
  b:
    action: receive
    channel: {$ref: '#/channels/desk'}
    messages: [{$ref: '#/channels/desk/messages/b'}]
    security: [{$ref: '#/components/securitySchemes/oauth'}]
  d: {action: receive, channel: {$ref: '#/channels/admin'}, messages: [{$ref: '#/channels/admin/messages/d'}]}
components:
  securitySchemes:
    key: {type: httpApiKey, name: k, in: header}
    oauth:
      type: oauth2
      flows: {clientCredentials: {tokenUrl: 'https://x/token', availableScopes: {w: write}}}
      scopes: [w]
"#;
    let loaded = load(
        &Input::Text {
            name: "inline.yaml".into(),
            text: text.into(),
        },
        &LoadOptions::default(),
    )
    .expect("loads");
    let api = loaded.api;
    let (namespaces, _) =
        fastsocket_ir::socketio::namespaces(&api, fastsocket_ir::socketio::Mapping::Namespace);
    let security = |path: &str, name: &str| {
        let ns = namespaces.iter().find(|n| n.path == path).unwrap();
        let event = ns.inbound.iter().find(|e| e.name == name).unwrap();
        event
            .security
            .iter()
            .map(|r| {
                r.schemes
                    .iter()
                    .map(|u| format!("{}{:?}", u.scheme, u.scopes))
                    .collect::<Vec<_>>()
                    .join("+")
            })
            .collect::<Vec<_>>()
    };
    // No security of its own, on a server without any: open.
    assert!(security("/desk", "a").is_empty());
    // Its own, with the scopes of the 3.0 scheme object.
    assert_eq!(security("/desk", "b"), ["oauth[\"w\"]"]);
    // No security of its own: its server's.
    assert_eq!(security("/admin", "d"), ["key[]"]);
    let output = generate(&api, &options()).unwrap();
    let server = output
        .files
        .iter()
        .find(|f| f.path == "src/generated/server.rs")
        .unwrap();
    let compact: String = server.contents.split_whitespace().collect();
    // Connect to /desk: the union of the alternatives, then anyone (event `a` is open).
    assert!(
        compact.contains("scopes:&[\"w\"],},],&[],];"),
        "the connect security should end with the empty alternative"
    );
    assert!(compact.contains(".requires(\"a\",&[])"), "a is open");
}
