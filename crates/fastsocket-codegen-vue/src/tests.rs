//! Generation over our own specs: deterministic, ownership as documented, hostile text kept inert; the trees are
//! reviewed as insta snapshots. (Type-checking, Vitest and `vite build` of the output run in `cargo xtask vue`.)

use std::path::PathBuf;

use fastsocket_ir::output::Owner;
use fastsocket_spec::{Input, LoadOptions, load};

use crate::{VueOptions, generate};

fn spec(path: &str) -> fastsocket_ir::Api {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../specs")
        .join(path);
    load(&Input::Path(path), &LoadOptions::default())
        .expect("spec loads")
        .api
}

fn options() -> VueOptions {
    VueOptions {
        package_name: "demo-client".into(),
        mapping: None,
    }
}

fn text_spec(text: &str) -> fastsocket_ir::Api {
    load(
        &Input::Text {
            name: "t.yaml".into(),
            text: text.into(),
        },
        &LoadOptions::default(),
    )
    .expect("loads")
    .api
}

#[test]
fn generation_is_deterministic() {
    let api = spec("chat-socketio.yaml");
    assert_eq!(
        generate(&api, &options()).unwrap().files,
        generate(&api, &options()).unwrap().files
    );
}

#[test]
fn generated_and_user_files_are_separated() {
    let output = generate(&spec("chat-socketio.yaml"), &options()).unwrap();
    for file in &output.files {
        let generated = file.path.starts_with("src/generated/");
        assert_eq!(
            file.owner,
            if generated {
                Owner::Generator
            } else {
                Owner::User
            },
            "{}",
            file.path
        );
    }
    for user in ["package.json", "src/App.vue", "src/main.ts", "README.md"] {
        assert!(output.files.iter().any(|f| f.path == user), "{user}");
    }
    let paths: Vec<&str> = output.files.iter().map(|f| f.path.as_str()).collect();
    for expected in [
        "src/generated/components/LobbyJoinRoomForm.vue",
        "src/generated/components/RoomChatMessageEventFeed.vue",
        "src/generated/components/AdminPanel.vue",
    ] {
        assert!(paths.contains(&expected), "{expected} in {paths:?}");
    }
}

/// Text from the document that could end a comment, a string, a script block or start a Vue interpolation
/// reaches the output only in escaped form.
#[test]
fn hostile_descriptions_stay_inert() {
    let hostile = r#"ends */ here `tick` ${x} </script> {{ y }} "quote" \ back"#;
    let api = text_spec(&format!(
        r#"
asyncapi: 3.0.0
info: {{title: 'T */ </script>', version: '1', description: '{hostile}'}}
channels:
  c:
    address: /c
    title: '{hostile}'
    messages:
      m:
        name: 'ev */ </script>'
        title: '{hostile}'
        summary: '{hostile}'
        payload:
          type: object
          description: '{hostile}'
          properties:
            'a */ b': {{type: string, description: '{hostile}'}}
operations:
  o:
    action: receive
    channel: {{$ref: '#/channels/c'}}
"#
    ));
    let output = generate(&api, &options()).unwrap();
    for file in &output.files {
        let text = &file.contents;
        if file.path.ends_with(".md") {
            continue;
        }
        let script_ends = text.matches("</script>").count();
        let expected_ends =
            usize::from(file.path.ends_with(".vue") || file.path.ends_with(".html"));
        assert_eq!(script_ends, expected_ends, "{}:\n{text}", file.path);
        if file.path.ends_with(".ts") || file.path.ends_with(".vue") {
            // Every `*/` closes a `/*` opened by the generator.
            assert_eq!(
                text.matches("*/").count(),
                text.matches("/*").count(),
                "{}:\n{text}",
                file.path
            );
            // Vue interpolates only the template; in the script it is an inert string.
            if let Some((_, template)) = text.split_once("<template>") {
                assert!(!template.contains("{{ y }}"), "{}:\n{text}", file.path);
            }
        }
    }
}

/// The generated project for each of our specs, reviewed as snapshots (`cargo insta review`).
#[test]
fn generated_projects_of_our_specs() {
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
        insta::assert_snapshot!(format!("vue@{name}"), shown);
    }
}

/// A union reached again through one of its own variants ends in a JSON field instead of recursing forever; its
/// other variants get their own controls, labelled by kind.
#[test]
fn a_recursive_union_becomes_a_variant_picker_with_a_json_fallback() {
    let api = text_spec(
        r##"
asyncapi: 3.0.0
info: {title: t, version: '1'}
channels:
  c:
    address: /
    messages:
      m:
        name: put
        payload:
          $ref: '#/components/schemas/Value'
operations:
  o:
    action: receive
    channel: {$ref: '#/channels/c'}
components:
  schemas:
    Value:
      oneOf:
        - type: string
        - type: integer
        - type: array
          items: {$ref: '#/components/schemas/Value'}
"##,
    );
    let output = generate(&api, &options()).unwrap();
    let forms = output
        .files
        .iter()
        .find(|f| f.path == "src/generated/forms.ts")
        .unwrap();
    let expected = r#"{"kind":"union","variants":[{"label":"text","field":{"kind":"string"}},{"label":"integer","field":{"kind":"number","integer":true}},{"label":"array","field":{"kind":"array","items":{"kind":"json"}}}]}"#;
    assert!(forms.contents.contains(expected), "{}", forms.contents);
}
