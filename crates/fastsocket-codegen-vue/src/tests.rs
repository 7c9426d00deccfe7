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

/// The generated project for each of our specs, reviewed as snapshots (`cargo insta review`): one per
/// generated file, in `snapshots/vue/<spec>/`, so a review shows which file changed.
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
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(format!("snapshots/vue/{name}"));
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

/// A `oneOf` whose branches each fix one property to a distinct `const` is a discriminated union: every branch
/// states its tag as a literal type, so TypeScript narrows on it and refuses an event with the wrong tag.
#[test]
fn const_tagged_one_of_is_a_discriminated_union() {
    for discriminator in ["", "discriminator: kind"] {
        let api = text_spec(&format!(
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
      required: [kind, side]
      properties:
        kind: {{type: string, const: square}}
        side: {{type: number}}
"#
        ));
        let output = generate(&api, &options()).unwrap();
        let types = &output
            .files
            .iter()
            .find(|f| f.path == "src/generated/types.ts")
            .unwrap()
            .contents;
        let flat: String = types.split_whitespace().collect::<Vec<_>>().join(" ");
        for expected in [r#""circle""#, r#""square""#, "export type Shape ="] {
            assert!(flat.contains(expected), "missing {expected} in:\n{types}");
        }
        assert!(!flat.contains("kind: string"), "a free tag in:\n{types}");
    }
}

/// Names joined from a namespace and an event name one component each (see `context::QualifiedNames`): no file is
/// written twice and no module exports a name twice.
#[test]
fn joined_names_do_not_meet() {
    let api = text_spec(
        r#"
asyncapi: 3.0.0
info: {title: T, version: '1'}
channels:
  a:
    address: /a
    messages:
      m: {name: 1b, payload: {type: object, properties: {x: {type: string}}}}
  ab:
    address: /a1
    messages:
      m: {name: b, payload: {type: object, properties: {y: {type: string}}}}
operations:
  o1: {action: receive, channel: {$ref: '#/channels/a'}}
  o2: {action: send, channel: {$ref: '#/channels/a'}}
  o3: {action: receive, channel: {$ref: '#/channels/ab'}}
  o4: {action: send, channel: {$ref: '#/channels/ab'}}
"#,
    );
    let output = generate(&api, &options()).unwrap();
    let mut paths: Vec<&str> = output.files.iter().map(|f| f.path.as_str()).collect();
    let count = paths.len();
    paths.sort();
    paths.dedup();
    assert_eq!(paths.len(), count, "a file written twice: {paths:?}");
    for file in output.files.iter().filter(|f| f.path.ends_with(".ts")) {
        let mut names: Vec<&str> = file
            .contents
            .lines()
            .filter_map(|line| {
                let rest = line.strip_prefix("export ")?;
                if rest.starts_with(['*', '{']) || rest.starts_with("type *") {
                    return None;
                }
                let rest = rest.strip_prefix("async ").unwrap_or(rest);
                let (_, rest) = rest.split_once(' ')?;
                rest.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
                    .next()
            })
            .filter(|n| !n.is_empty())
            .collect();
        let count = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), count, "{} exports a name twice", file.path);
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
