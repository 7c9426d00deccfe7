//! More `$ref`s the resolver refuses, each located at the `$ref` with what to do instead: a URL (never fetched,
//! with the `--map-url` that maps it to a folder), a file that does not exist, a chain of references that never
//! reaches a definition, and a `--ref-root` that does not exist; plus a message an operation lists that is not
//! one of its channel's.

use std::path::PathBuf;

use fastsocket_spec::{Code, Diagnostic, Input, LoadError, LoadOptions, load};

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "fastsocket-spec-ref-paths-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A document whose one message's payload is `$ref: REF`, with `schemas` (indented) in its components.
fn document(reference: &str, schemas: &str) -> String {
    format!(
        "asyncapi: 3.0.0\ninfo: {{title: T, version: '1'}}\nchannels:\n  a:\n    address: /a\n    messages:\n      m:\n        payload:\n          $ref: '{reference}'\ncomponents:\n  schemas:\n    Unused: {{type: string}}\n{schemas}"
    )
}

fn errors_of(dir: &std::path::Path, text: &str) -> Vec<Diagnostic> {
    let entry = dir.join("asyncapi.yaml");
    std::fs::write(&entry, text).unwrap();
    match load(&Input::Path(entry), &LoadOptions::default()) {
        Err(LoadError::Invalid(report)) => report.errors().cloned().collect(),
        Ok(_) => panic!("loaded:\n{text}"),
        Err(e) => panic!("{e}"),
    }
}

fn the_error(errors: &[Diagnostic], code: Code) -> &Diagnostic {
    let found: Vec<&Diagnostic> = errors.iter().filter(|d| d.code == code).collect();
    assert!(!found.is_empty(), "no {code:?} in {errors:#?}");
    assert!(found.iter().all(|d| d.line > 0 && d.column > 0));
    found[0]
}

#[test]
fn a_url_is_never_fetched_and_the_help_names_the_mapping() {
    let dir = tempdir("url");
    let errors = errors_of(
        &dir,
        &document("https://schemas.example.com/v1/common.yaml#/Thing", ""),
    );
    let error = the_error(&errors, Code::RemoteRef);
    assert!(
        error
            .message
            .contains("is not fetched (fastsocket-gen never uses the network)"),
        "{error:#?}"
    );
    assert_eq!((error.file.as_str(), error.line), ("asyncapi.yaml", 9));
    assert!(
        error
            .help
            .as_deref()
            .is_some_and(|h| h.contains("--map-url https://schemas.example.com/")),
        "{error:#?}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_missing_file_is_named_relative_to_the_document() {
    let dir = tempdir("missing");
    let errors = errors_of(&dir, &document("./schemas/absent.yaml#/Thing", ""));
    let error = errors
        .iter()
        .find(|d| d.message.contains("absent.yaml") && d.message.contains("no such file"))
        .unwrap_or_else(|| panic!("{errors:#?}"));
    assert_eq!((error.file.as_str(), error.line), ("asyncapi.yaml", 9));
    assert!(
        !error.message.contains(&*dir.to_string_lossy()),
        "{error:#?}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn references_that_only_point_at_each_other_are_a_loop() {
    let dir = tempdir("loop");
    let errors = errors_of(
        &dir,
        &document(
            "#/components/schemas/A",
            "    A: {$ref: '#/components/schemas/B'}\n    B: {$ref: '#/components/schemas/A'}\n",
        ),
    );
    let error = the_error(&errors, Code::RefLoop);
    assert_eq!(
        error.message,
        "`$ref` loop with nothing in between: asyncapi.yaml#/components/schemas/A → \
         asyncapi.yaml#/components/schemas/B → asyncapi.yaml#/components/schemas/A"
    );
    assert_eq!(
        (error.line, error.pointer.as_str()),
        (9, "/channels/a/messages/m/payload")
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_ref_root_that_does_not_exist_is_an_io_error_naming_the_flag() {
    let dir = tempdir("root");
    let entry = dir.join("asyncapi.yaml");
    std::fs::write(&entry, document("#/components/schemas/Unused", "")).unwrap();
    let options = LoadOptions {
        ref_root: Some(dir.join("no-such-folder")),
        ..LoadOptions::default()
    };
    match load(&Input::Path(entry), &options) {
        Err(LoadError::Io { source, .. }) => {
            assert!(source.to_string().starts_with("--ref-root "), "{source}");
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("{other:?}"),
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn an_operation_may_list_only_its_channels_messages() {
    let dir = tempdir("not-in-channel");
    let text = r#"asyncapi: 3.0.0
info: {title: T, version: '1'}
channels:
  a:
    address: /a
    messages:
      m: {payload: {type: string}}
  b:
    address: /b
    messages:
      other: {payload: {type: string}}
operations:
  send:
    action: send
    channel: {$ref: '#/channels/a'}
    messages:
      - $ref: '#/channels/b/messages/other'
"#;
    let errors = errors_of(&dir, text);
    let error = errors
        .iter()
        .find(|d| {
            d.message
                == "operation message `#/channels/b/messages/other` is not a message of the operation's \
                    channel `#/channels/a`"
        })
        .unwrap_or_else(|| panic!("{errors:#?}"));
    assert_eq!((error.line, error.column), (17, 15), "{error:#?}");
    let _ = std::fs::remove_dir_all(dir);
}
