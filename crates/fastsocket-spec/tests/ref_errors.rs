//! `$ref`s the resolver refuses, each with its located diagnostic: schemes it does not read, paths that are not
//! UTF-8 once percent-decoded, files that are not YAML, pointers past the end of a list in another file; and a
//! pointer through a list index that resolves.

use std::path::{Path, PathBuf};

use fastsocket_spec::{Code, Diagnostic, Input, LoadError, LoadOptions, load};

/// A fresh folder under the system's temporary folder.
fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "fastsocket-spec-refs-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// An AsyncAPI 3.0 document whose one message has `$ref: REF` as its payload.
fn document(reference: &str) -> String {
    format!(
        "asyncapi: 3.0.0\ninfo: {{title: T, version: '1'}}\nchannels:\n  a:\n    address: /a\n    messages:\n      m:\n        payload:\n          $ref: '{reference}'\n"
    )
}

/// Loads `asyncapi.yaml` (the document for `reference`) from `dir` with `files` beside it.
fn load_with(
    dir: &Path,
    reference: &str,
    files: &[(&str, &str)],
) -> Result<fastsocket_spec::Loaded, LoadError> {
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let entry = dir.join("asyncapi.yaml");
    std::fs::write(&entry, document(reference)).unwrap();
    load(&Input::Path(entry), &LoadOptions::default())
}

fn errors(result: Result<fastsocket_spec::Loaded, LoadError>) -> Vec<Diagnostic> {
    match result {
        Err(LoadError::Invalid(report)) => report.errors().cloned().collect(),
        Ok(_) => panic!("expected the document to be refused"),
        Err(e) => panic!("unexpected I/O error: {e}"),
    }
}

/// The one error with `code`, located at the `$ref` of the entry document (line 9, the payload's `$ref`).
fn the_error_at_the_ref(errors: &[Diagnostic], code: Code) -> &Diagnostic {
    let found: Vec<&Diagnostic> = errors.iter().filter(|d| d.code == code).collect();
    assert_eq!(found.len(), 1, "{errors:#?}");
    let d = found[0];
    assert_eq!(d.file, "asyncapi.yaml", "{d:#?}");
    assert_eq!(d.line, 9, "{d:#?}");
    assert!(
        d.pointer.starts_with("/channels/a/messages/m/payload"),
        "{d:#?}"
    );
    d
}

#[test]
fn a_scheme_other_than_files_is_refused_with_what_to_use() {
    let dir = tempdir("urn");
    let errors = errors(load_with(&dir, "urn:example:user", &[]));
    let d = the_error_at_the_ref(&errors, Code::UnsupportedRef);
    assert_eq!(
        d.message,
        "`$ref: urn:example:user` uses a scheme fastsocket-gen does not read"
    );
    assert_eq!(
        d.help.as_deref(),
        Some("use a relative file path or a `#/…` pointer")
    );
}

#[test]
fn a_path_that_is_not_utf8_once_decoded_is_an_invalid_ref() {
    let dir = tempdir("percent");
    let errors = errors(load_with(&dir, "user%FF.yaml", &[]));
    let d = the_error_at_the_ref(&errors, Code::InvalidRef);
    assert!(
        d.message
            .contains("is not valid UTF-8 once percent-decoded"),
        "{d:#?}"
    );
}

#[test]
fn a_referenced_file_that_is_not_yaml_is_located_in_that_file() {
    let dir = tempdir("broken");
    let errors = errors(load_with(
        &dir,
        "broken.yaml#/User",
        &[("broken.yaml", "User:\n  type: [string\n")],
    ));
    assert!(
        errors
            .iter()
            .any(|d| d.code == Code::Syntax && d.file == "broken.yaml" && d.line >= 2),
        "{errors:#?}"
    );
}

#[test]
fn a_list_index_past_the_end_names_the_other_file() {
    let dir = tempdir("index");
    let schemas = "list:\n  - type: string\n  - type: integer\n";
    let errors = errors(load_with(
        &dir,
        "schemas.yaml#/list/5",
        &[("schemas.yaml", schemas)],
    ));
    let d = the_error_at_the_ref(&errors, Code::UnresolvedRef);
    assert!(d.message.contains("of `schemas.yaml`"), "{d:#?}");
    assert!(d.message.contains("#/list"), "{d:#?}");

    // The same pointer within the list resolves to the second item.
    let loaded = load_with(&dir, "schemas.yaml#/list/1", &[("schemas.yaml", schemas)])
        .unwrap_or_else(|e| panic!("loads: {e:?}"));
    let payload = loaded.api.messages[0].payload.expect("a payload");
    let body = &loaded.api.types.get(payload).body;
    assert!(
        matches!(body, fastsocket_ir::TypeBody::Schema(s) if s.types == [fastsocket_ir::JsonType::Integer]),
        "{body:?}"
    );
}
