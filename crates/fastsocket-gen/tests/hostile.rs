//! Hostile documents (`tests/hostile/` and ones built here): a located diagnostic and a non-zero exit, or output
//! that carries the hostile text only as escaped data. Never a panic, a hang, a write outside `-o`, or
//! injected code. (That the valid ones' output compiles and type-checks is `cargo xtask corpus tests/hostile`.)

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use proc_macro2::{TokenStream, TokenTree};

mod common;

fn hostile() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/hostile")
}

fn temp(name: &str) -> PathBuf {
    common::temp("hostile", name)
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fastsocket-gen"))
        .args(args)
        .output()
        .expect("the generator starts")
}

fn documents(kind: &str) -> Vec<PathBuf> {
    let mut list: Vec<PathBuf> = std::fs::read_dir(hostile().join(kind))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "json"))
        .collect();
    list.sort();
    assert!(!list.is_empty(), "no documents in tests/hostile/{kind}");
    list
}

/// A refusal: exit code 1 (not a panic's 101), and a diagnostic that points at `file:line:column`.
fn assert_refused(output: &Output, name: &str, what: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{what} {name}: {stderr}");
    assert!(
        !stderr.contains("panicked"),
        "{what} {name} panicked: {stderr}"
    );
    let located = stderr.lines().any(|line| {
        line.trim_start().strip_prefix("--> ").is_some_and(|at| {
            at.split(' ')
                .next()
                .is_some_and(|place| place.starts_with(name) && place.matches(':').count() == 2)
        })
    });
    assert!(
        located,
        "{what} {name}: no `--> file:line:column`: {stderr}"
    );
}

fn idents(tokens: TokenStream, found: &mut Vec<String>) {
    for token in tokens {
        match token {
            TokenTree::Ident(ident) => found.push(ident.to_string()),
            TokenTree::Group(group) => idents(group.stream(), found),
            _ => {}
        }
    }
}

/// Every generated Rust file parses, and no identifier the document smuggled in (`INJECTED`) is code.
fn assert_rust_is_clean(dir: &Path, name: &str) {
    let mut checked = 0;
    for path in common::files_under(dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
    {
        let text = std::fs::read_to_string(&path).unwrap();
        let file = syn::parse_file(&text)
            .unwrap_or_else(|e| panic!("{name}: {} does not parse: {e}", path.display()));
        let mut found = Vec::new();
        idents(quote_file(&file), &mut found);
        assert!(
            !found.iter().any(|i| i.contains("INJECTED")),
            "{name}: {} has an identifier from the document's prose",
            path.display()
        );
        checked += 1;
    }
    assert!(checked > 0, "{name}: no Rust files generated");
}

fn quote_file(file: &syn::File) -> TokenStream {
    // Doc comments are `#[doc = "…"]` attributes: their text is a string literal, not identifiers.
    let mut tokens = TokenStream::new();
    for item in &file.items {
        tokens.extend(quote::quote!(#item));
    }
    tokens
}

/// No template or markup in the document's prose reached a Vue template or page as markup.
fn assert_vue_is_clean(dir: &Path, name: &str) {
    let mut checked = 0;
    for path in common::files_under(dir) {
        let Some(ext) = path.extension().and_then(|e| e.to_str()) else {
            continue;
        };
        // Template syntax only means something in Vue templates and pages; in TypeScript the prose sits in
        // escaped comments and string literals, which `cargo xtask corpus --emit vue` type-checks.
        if !["vue", "html"].contains(&ext) {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for smuggled in [
            "{{ INJECTED",
            "{{INJECTED",
            "{{ constructor",
            "<script>INJECTED",
            "<script setup>INJECTED",
            "</template><script",
        ] {
            assert!(
                !text.contains(smuggled),
                "{name}: {} carries `{smuggled}` unescaped",
                path.display()
            );
        }
        checked += 1;
    }
    assert!(checked > 0, "{name}: no Vue files generated");
}

#[test]
fn hostile_documents_are_refused_with_a_location() {
    for doc in documents("invalid") {
        let name = doc.file_name().unwrap().to_str().unwrap().to_owned();
        let spec = doc.to_str().unwrap();
        assert_refused(&run(&["validate", spec]), &name, "validate");
        for emitter in ["rust", "vue"] {
            let out = temp(&format!("refused-{emitter}"));
            let output = run(&[emitter, spec, "-o", out.join("out").to_str().unwrap()]);
            assert_refused(&output, &name, emitter);
            assert!(
                !out.join("out").exists(),
                "{emitter} {name}: wrote output for a refused document"
            );
        }
    }
}

#[test]
fn hostile_but_valid_documents_generate_escaped_output() {
    for doc in documents("valid") {
        let name = doc.file_name().unwrap().to_str().unwrap().to_owned();
        let spec = doc.to_str().unwrap();
        let rust = temp("rust");
        let output = run(&["rust", spec, "-o", rust.to_str().unwrap()]);
        assert!(
            output.status.success(),
            "rust {name}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_rust_is_clean(&rust, &name);
        let vue = temp("vue");
        let output = run(&["vue", spec, "-o", vue.to_str().unwrap()]);
        assert!(
            output.status.success(),
            "vue {name}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_vue_is_clean(&vue, &name);
    }
}

/// A small valid document whose one message has `payload` (JSON) as its schema.
fn document_with_payload(title: &str, payload: &str) -> String {
    format!(
        r##"{{"asyncapi": "3.0.0", "info": {{"title": {title}, "version": "1.0.0"}},
  "channels": {{"root": {{"address": "/", "messages": {{"m": {{"name": "m", "payload": {payload}}}}}}}}},
  "operations": {{"on": {{"action": "receive", "channel": {{"$ref": "#/channels/root"}},
    "messages": [{{"$ref": "#/channels/root/messages/m"}}]}}}}}}"##
    )
}

fn generate_both(name: &str, text: &str) {
    let dir = temp(name);
    let spec = dir.join(format!("{name}.json"));
    std::fs::write(&spec, text).unwrap();
    let spec = spec.to_str().unwrap();
    let rust = dir.join("rust");
    let output = run(&["rust", spec, "-o", rust.to_str().unwrap()]);
    assert!(
        output.status.success(),
        "rust {name}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_rust_is_clean(&rust, name);
    let vue = dir.join("vue");
    let output = run(&["vue", spec, "-o", vue.to_str().unwrap()]);
    assert!(
        output.status.success(),
        "vue {name}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_vue_is_clean(&vue, name);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn huge_strings_and_arrays_generate() {
    let prose = serde_json::to_string(&"*/ INJECTED /* ".repeat(200_000)).unwrap(); // 3 MB
    let values: Vec<String> = (0..5_000).map(|i| format!("v{i} */ {{{{x}}}}")).collect();
    let payload = serde_json::json!({
        "type": "object",
        "description": serde_json::from_str::<String>(&prose).unwrap(),
        "properties": {"mode": {"type": "string", "enum": values}},
    });
    generate_both("huge", &document_with_payload(&prose, &payload.to_string()));
}

#[test]
fn nul_and_control_characters_are_escaped() {
    let title = serde_json::to_string(
        "NUL \u{0} BEL \u{7} ESC \u{1b}[31m DEL \u{7f} LS \u{2028} PS \u{2029} BOM \u{feff}",
    )
    .unwrap();
    let payload = serde_json::json!({
        "type": "object",
        "description": "a\u{0}b\r\nc\u{1b}]0;INJECTED\u{7}",
        "properties": {
            "a\u{0}b": {"type": "string", "default": "x\u{0}y"},
            "tab\tkey": {"type": "string", "enum": ["\u{0}", "\u{7f}", "\u{2028}"]},
        },
    });
    generate_both(
        "control",
        &document_with_payload(&title, &payload.to_string()),
    );
}

#[test]
fn deeply_nested_schemas_generate_or_are_refused_with_a_location() {
    let mut payload = String::from(r#"{"type": "string"}"#);
    for _ in 0..120 {
        payload = format!(r#"{{"type": "object", "properties": {{"inner": {payload}}}}}"#);
    }
    generate_both("nested", &document_with_payload("\"Nested\"", &payload));
}

#[cfg(unix)]
#[test]
fn a_ref_through_a_symbolic_link_out_of_the_root_is_refused() {
    let dir = temp("ref-link");
    let outside = temp("ref-link-outside");
    std::fs::write(outside.join("secret.json"), r#"{"type": "string"}"#).unwrap();
    let project = dir.join("project");
    std::fs::create_dir_all(&project).unwrap();
    std::os::unix::fs::symlink(&outside, project.join("schemas")).unwrap();
    let spec = project.join("asyncapi.json");
    std::fs::write(
        &spec,
        document_with_payload("\"Link\"", r#"{"$ref": "schemas/secret.json"}"#),
    )
    .unwrap();
    let output = run(&[
        "validate",
        spec.to_str().unwrap(),
        "--ref-root",
        project.to_str().unwrap(),
    ]);
    assert_refused(&output, "asyncapi.json", "validate");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("outside"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn an_output_folder_with_a_link_out_of_it_is_not_written_through() {
    let out = temp("out-link");
    let outside = temp("out-link-outside");
    std::os::unix::fs::symlink(&outside, out.join("src")).unwrap();
    let spec = hostile().join("valid/keyword-and-colliding-names.yaml");
    let output = run(&["rust", spec.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output
            .status
            .code()
            .is_some_and(|code| code != 0 && code != 101),
        "{stderr}"
    );
    assert!(stderr.contains("outside the output folder"), "{stderr}");
    assert!(
        std::fs::read_dir(&outside).unwrap().next().is_none(),
        "files were written through the link"
    );
}
