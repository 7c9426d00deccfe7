//! What the fuzz targets share: turning one fuzz input into the files of a document, and loading it.
//!
//! An input is up to [`FILES`]`.len()` files joined by [`SEPARATOR`] (a YAML comment line, so a mutation that
//! merges two parts still reads as YAML). The parts are written under a folder of this process in `/dev/shm`
//! (memory, not disk) with the names of `specs/multi-file`, so the `$ref`s of that seed resolve, and loaded with
//! that folder as the `$ref` root: a reference out of it must be refused, never read.
#![deny(missing_docs)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use fastsocket_ir::Api;
use fastsocket_spec::{Input, LoadError, LoadOptions, load};

/// The line between two files of one input. `cargo xtask fuzz` joins the multi-file seed with the same line.
pub const SEPARATOR: &[u8] = b"\n#--- fastsocket-fuzz next file ---\n";

/// The files an input's parts become, in order: the layout of `specs/multi-file` (the entry document first).
pub const FILES: [&str; 4] = [
    "asyncapi.yaml",
    "messages.yaml",
    "schemas/common.yaml",
    "schemas/user.json",
];

/// The folder of this process: written once per input, never shared with another process.
fn folder() -> &'static Path {
    static FOLDER: OnceLock<PathBuf> = OnceLock::new();
    FOLDER.get_or_init(|| {
        let base = if Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!("fastsocket-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("schemas")).expect("fuzz scratch folder");
        dir
    })
}

/// Splits `data` into at most [`FILES`]`.len()` parts (the last part keeps any further separators).
pub fn split(data: &[u8]) -> Vec<&[u8]> {
    let mut parts = Vec::new();
    let mut rest = data;
    while parts.len() + 1 < FILES.len() {
        match find(rest, SEPARATOR) {
            Some(at) => {
                parts.push(&rest[..at]);
                rest = &rest[at + SEPARATOR.len()..];
            }
            None => break,
        }
    }
    parts.push(rest);
    parts
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Writes the parts of `data` as the files of a document (files of no part are removed) and loads the entry.
///
/// Checks what must hold for every input, valid or not: loading returns (no panic), only files under the
/// folder were read, and every diagnostic renders and names a position.
pub fn load_input(data: &[u8]) -> Result<Api, LoadError> {
    let dir = folder();
    let parts = split(data);
    for (index, name) in FILES.iter().enumerate() {
        let path = dir.join(name);
        match parts.get(index) {
            Some(part) => std::fs::write(&path, part).expect("writing a fuzz input file"),
            None => {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
    let options = LoadOptions {
        ref_root: Some(dir.to_path_buf()),
        ..LoadOptions::default()
    };
    let outcome = load(&Input::Path(dir.join(FILES[0])), &options);
    let report = match &outcome {
        Ok(loaded) => &loaded.report,
        Err(LoadError::Invalid(report)) => report,
        // An entry document that is not UTF-8 cannot be read at all (exit status 2, like a missing file).
        Err(LoadError::Io { source, .. })
            if source.kind() == std::io::ErrorKind::InvalidData
                && std::str::from_utf8(parts[0]).is_err() =>
        {
            return outcome.map(|loaded| loaded.api);
        }
        Err(LoadError::Io { .. }) => panic!("the entry file was written: {outcome:?}"),
    };
    let root = dir.canonicalize().expect("the scratch folder exists");
    for file in &report.files {
        assert!(
            file.starts_with(&root),
            "read {} outside the $ref root {}",
            file.display(),
            root.display()
        );
    }
    for diagnostic in &report.diagnostics {
        assert!(
            diagnostic.line >= 1 && diagnostic.column >= 1,
            "a diagnostic without a position: {diagnostic:?}"
        );
        let _ = diagnostic.render(false);
    }
    if let Err(LoadError::Invalid(report)) = &outcome {
        assert!(
            report.errors().next().is_some(),
            "a refused document with no error"
        );
    }
    outcome.map(|loaded| loaded.api)
}

/// The contents of the `<script …>` blocks of a Vue single-file component, as the SFC compiler cuts them: from
/// the end of the opening tag to the first `</script>` (a `</script>` smuggled in from a description would end
/// the block early, and what is left would not parse). A block left open is returned to its end.
pub fn vue_scripts(sfc: &str) -> Vec<&str> {
    let mut blocks = Vec::new();
    let mut rest = sfc;
    while let Some(open) = rest.find("<script") {
        let after = &rest[open..];
        let Some(tag_end) = after.find('>') else {
            break;
        };
        let body = &after[tag_end + 1..];
        match body.find("</script>") {
            Some(close) => {
                blocks.push(&body[..close]);
                rest = &body[close + "</script>".len()..];
            }
            None => {
                blocks.push(body);
                break;
            }
        }
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_of_a_component() {
        let sfc = "<script setup lang=\"ts\">\nconst a = 1;\n</script>\n<template><p>{{ a }}</p></template>\n\
                   <script lang=\"ts\">export default {}</script>";
        assert_eq!(
            vue_scripts(sfc),
            vec!["\nconst a = 1;\n", "export default {}"]
        );
    }

    #[test]
    fn split_keeps_the_last_part_whole() {
        let mut data = b"a".to_vec();
        for part in [&b"b"[..], b"c", b"d", b"e"] {
            data.extend_from_slice(SEPARATOR);
            data.extend_from_slice(part);
        }
        let parts = split(&data);
        assert_eq!(parts.len(), 4);
        assert_eq!(parts[0], b"a");
        assert!(parts[3].starts_with(b"d") && parts[3].ends_with(b"e"));
        assert_eq!(split(b"x"), vec![&b"x"[..]]);
    }
}
