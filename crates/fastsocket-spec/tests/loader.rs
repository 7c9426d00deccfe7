//! Loader behaviour that snapshots do not show well: inputs, options, recursion, file tracking.

use std::path::{Path, PathBuf};

use fastsocket_ir::TypeBody;
use fastsocket_spec::{Input, LoadError, LoadOptions, load};

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn errors_of(
    result: Result<fastsocket_spec::Loaded, LoadError>,
) -> Vec<fastsocket_spec::Diagnostic> {
    match result {
        Err(LoadError::Invalid(report)) => report.errors().cloned().collect(),
        Ok(_) => panic!("expected the document to be refused"),
        Err(e) => panic!("unexpected I/O error: {e}"),
    }
}

#[test]
fn standard_input_text_loads() {
    let text = "asyncapi: 3.0.0\ninfo: {title: T, version: '1'}\nchannels:\n  a:\n    address: /a\n    messages:\n      m: {payload: {type: string}}\n";
    let loaded = load(
        &Input::Text {
            name: "<stdin>".into(),
            text: text.into(),
        },
        &LoadOptions::default(),
    )
    .unwrap();
    assert_eq!(loaded.api.messages[0].event, "m");
    assert_eq!(loaded.api.messages[0].location.file, "<stdin>");
}

#[test]
fn json_is_detected_by_content_not_extension() {
    let dir = tempdir("json-by-content");
    let path = dir.join("spec.yaml");
    std::fs::write(
        &path,
        r#"{"asyncapi": "2.6.0", "info": {"title": "T", "version": "1"}, "channels": {}}"#,
    )
    .unwrap();
    let loaded = load(&Input::Path(path), &LoadOptions::default()).unwrap();
    assert_eq!(loaded.api.info.title, "T");
}

#[test]
fn mapped_urls_are_served_from_a_local_folder() {
    let spec = manifest_dir().join("tests/fixtures/valid/mapped-url.yaml");
    let unmapped = errors_of(load(&Input::Path(spec.clone()), &LoadOptions::default()));
    assert_eq!(unmapped[0].code, fastsocket_spec::Code::RemoteRef);
    assert!(
        unmapped[0]
            .help
            .as_deref()
            .unwrap()
            .contains("--map-url https://schemas.example.com/v1/=DIR")
    );

    let options = LoadOptions {
        url_map: vec![(
            "https://schemas.example.com/v1/".into(),
            manifest_dir().join("tests/fixtures/valid/mapped"),
        )],
        ..Default::default()
    };
    let loaded = load(&Input::Path(spec), &options).unwrap();
    let payload = loaded.api.messages[0].payload.unwrap();
    let user = loaded.api.types.get(payload);
    assert_eq!(user.name, "User");
    // `{"$ref": "#"}` inside the mapped file points at that file's root: the type is recursive.
    assert!(loaded.api.types.is_recursive(payload));
    assert_eq!(loaded.report.files.len(), 2);
}

#[test]
fn refs_outside_the_root_are_refused_and_name_the_flag() {
    let spec = manifest_dir().join("tests/fixtures/invalid/ref-outside-root.yaml");
    let errors = errors_of(load(&Input::Path(spec), &LoadOptions::default()));
    assert_eq!(errors.len(), 2, "{errors:#?}");
    for e in &errors {
        assert_eq!(e.code, fastsocket_spec::Code::RefOutsideRoot);
        assert!(e.help.as_deref().unwrap().contains("--ref-root"));
    }
}

#[test]
fn ref_root_defaults_to_the_folder_with_fastsocket_toml() {
    let dir = tempdir("ref-root-default");
    std::fs::create_dir_all(dir.join("api")).unwrap();
    std::fs::create_dir_all(dir.join("common")).unwrap();
    std::fs::write(dir.join("fastsocket.toml"), "").unwrap();
    std::fs::write(
        dir.join("common/user.yaml"),
        "type: object\nproperties:\n  id: {type: string}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("api/spec.yaml"),
        "asyncapi: 3.0.0\ninfo: {title: T, version: '1'}\nchannels:\n  a:\n    messages:\n      m:\n        payload:\n          $ref: '../common/user.yaml'\n",
    )
    .unwrap();
    let loaded = load(
        &Input::Path(dir.join("api/spec.yaml")),
        &LoadOptions::default(),
    )
    .unwrap();
    assert_eq!(
        loaded
            .api
            .types
            .get(loaded.api.messages[0].payload.unwrap())
            .origin
            .file,
        "../common/user.yaml"
    );

    std::fs::remove_file(dir.join("fastsocket.toml")).unwrap();
    let errors = errors_of(load(
        &Input::Path(dir.join("api/spec.yaml")),
        &LoadOptions::default(),
    ));
    assert_eq!(errors[0].code, fastsocket_spec::Code::RefOutsideRoot);

    let options = LoadOptions {
        ref_root: Some(dir.clone()),
        ..Default::default()
    };
    load(&Input::Path(dir.join("api/spec.yaml")), &options).unwrap();
}

#[test]
fn recursive_schemas_become_recursive_types() {
    let spec = manifest_dir().join("../../specs/recursive.yaml");
    let loaded = load(&Input::Path(spec), &LoadOptions::default()).unwrap();
    let types = &loaded.api.types;
    let tree = types
        .iter()
        .find(|t| t.name == "TreeNode")
        .expect("TreeNode");
    assert!(types.is_recursive(tree.id));
    let TypeBody::Schema(schema) = &tree.body else {
        panic!("TreeNode is a schema")
    };
    let children = schema
        .properties
        .iter()
        .find(|p| p.name == "children")
        .unwrap();
    let items = types.schema(children.ty).unwrap().items.unwrap();
    assert_eq!(
        items, tree.id,
        "children items point back at TreeNode itself"
    );
}

#[test]
fn every_file_reached_is_reported_for_rebuilds() {
    let spec = manifest_dir().join("../../specs/multi-file/asyncapi.yaml");
    let loaded = load(&Input::Path(spec), &LoadOptions::default()).unwrap();
    let names: Vec<String> = loaded
        .report
        .files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for expected in ["asyncapi.yaml", "messages.yaml", "common.yaml", "user.json"] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing from {names:?}"
        );
    }
    assert!(loaded.report.files.iter().all(|p| p.is_absolute()));
}

#[test]
fn a_missing_entry_file_is_an_io_error_not_a_diagnostic() {
    let result = load(
        &Input::Path(Path::new("/nonexistent/spec.yaml").into()),
        &LoadOptions::default(),
    );
    assert!(matches!(result, Err(LoadError::Io { .. })));
}

#[test]
fn hostile_inputs_never_panic() {
    let cases = [
        "",
        "[",
        "asyncapi: 3.0.0",
        "asyncapi: 3.0.0\ninfo: 1\nchannels: 2\noperations: 3\ncomponents: 4\n",
        "asyncapi: 2.6.0\ninfo: {title: T, version: '1'}\nchannels:\n  a:\n    publish:\n      message:\n        $ref: '#'\n",
        "asyncapi: 3.0.0\ninfo: {title: T, version: '1'}\ncomponents:\n  schemas:\n    A: {$ref: '#/components/schemas/A'}\n",
        "asyncapi: 3.0.0\ninfo: {title: T, version: '1'}\nchannels:\n  a:\n    messages:\n      m: {payload: {$ref: '#/components/schemas/A/properties/x'}}\ncomponents:\n  schemas:\n    A: {properties: {x: {$ref: '#/components/schemas/A/properties/x'}}}\n",
        "asyncapi: 3.0.0\ninfo: {title: T, version: '1'}\noperations:\n  o: {action: send, channel: {$ref: '#/operations/o'}}\n",
        "asyncapi: 3.0.0\ninfo: {title: T, version: '1'}\nchannels:\n  a:\n    messages:\n      m: {payload: {$ref: '#/channels/a/messages/m/payload'}}\n",
        "asyncapi: 3.0.0\ninfo: {title: T, version: '1'}\nchannels:\n  a:\n    messages:\n      m: {payload: {$ref: '%ZZ'}}\n",
        "asyncapi: 3.0.0\ninfo: {title: T, version: '1'}\nchannels:\n  a:\n    messages:\n      m: {payload: {$ref: '#/x~2'}}\n",
    ];
    for text in cases {
        let input = Input::Text {
            name: "case".into(),
            text: text.into(),
        };
        match load(&input, &LoadOptions::default()) {
            Err(LoadError::Invalid(report)) => {
                assert!(
                    report.errors().all(|d| d.line > 0),
                    "{text:?}: unlocated error"
                );
            }
            other => panic!("{text:?} should be refused, got {other:?}"),
        }
    }
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fastsocket-spec-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
