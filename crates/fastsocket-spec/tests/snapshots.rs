//! Snapshots of what the loader makes of our own specs (the IR) and of broken documents (the diagnostics).
//!
//! Review changes with `cargo insta review`; CI fails on any difference and never accepts snapshots itself.

use std::path::Path;

use fastsocket_spec::{Input, LoadError, LoadOptions, load};

fn load_path(path: &Path) -> Result<fastsocket_spec::Loaded, LoadError> {
    load(&Input::Path(path.to_path_buf()), &LoadOptions::default())
}

/// The IR and warnings of a spec, as one JSON value.
fn ir_and_warnings(path: &Path) -> serde_json::Value {
    let loaded = load_path(path).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
    let warnings: Vec<String> = loaded
        .report
        .diagnostics
        .iter()
        .map(|d| d.render(false))
        .collect();
    serde_json::json!({ "warnings": warnings, "ir": loaded.api })
}

/// The IR of every single-file spec in `specs/`, with the warnings, as reviewed JSON.
#[test]
fn ir_of_our_specs() {
    insta::glob!("../../../specs", "*.{yaml,json}", |path| {
        insta::assert_json_snapshot!(ir_and_warnings(path));
    });
}

/// The IR of the multi-file spec: types from four files, names from their keys and file stems.
#[test]
fn ir_of_the_multi_file_spec() {
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../specs/multi-file/asyncapi.yaml");
    insta::assert_json_snapshot!("ir_of_our_specs@multi-file", ir_and_warnings(&spec));
}

/// Every broken fixture is refused with located diagnostics, all of them at once.
#[test]
fn diagnostics_of_broken_documents() {
    insta::glob!("fixtures/invalid", "*.yaml", |path| {
        if path.to_string_lossy().ends_with(".part.yaml") {
            return;
        }
        let report = match load_path(path) {
            Err(LoadError::Invalid(report)) => report,
            Ok(_) => panic!("{} loaded", path.display()),
            Err(e) => panic!("{}: {e}", path.display()),
        };
        assert!(
            report.errors().all(|d| d.line > 0 && d.column > 0),
            "unlocated error"
        );
        let shown: String = report
            .diagnostics
            .iter()
            .map(|d| d.render(false) + "\n")
            .collect();
        insta::assert_snapshot!(shown);
    });
}

/// Loading twice gives byte-identical IR.
#[test]
fn ir_dumps_are_deterministic() {
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../specs/multi-file/asyncapi.yaml");
    let first = serde_json::to_string(&load_path(&spec).unwrap().api).unwrap();
    let second = serde_json::to_string(&load_path(&spec).unwrap().api).unwrap();
    assert_eq!(first, second);
}
