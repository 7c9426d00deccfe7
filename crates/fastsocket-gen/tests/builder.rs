//! The build.rs builder: what it prints for Cargo, what it writes, and how it fails.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use fastsocket_gen::{BuildError, Builder, Generated};

mod common;

fn specs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../specs")
}

fn temp(name: &str) -> PathBuf {
    common::temp("builder", name)
}

fn run(builder: Builder) -> (Result<Generated, BuildError>, String) {
    let mut printed = Vec::new();
    let result = builder
        .emit_rerun_if_changed(true)
        .generate_to(&mut printed);
    (result, String::from_utf8(printed).unwrap())
}

#[test]
fn rerun_if_changed_names_the_document_and_every_ref_target() {
    let out = temp("refs");
    let spec = specs().join("multi-file/asyncapi.yaml");
    let (generated, printed) = run(Builder::new(&spec).out_dir(&out));
    let generated = generated.unwrap();
    let root = spec.parent().unwrap().canonicalize().unwrap();
    let expected: Vec<PathBuf> = [
        "asyncapi.yaml",
        "messages.yaml",
        "schemas/common.yaml",
        "schemas/user.json",
    ]
    .iter()
    .map(|f| root.join(f))
    .collect();
    assert_eq!(generated.inputs, expected);
    let rerun: Vec<&str> = printed
        .lines()
        .filter_map(|l| l.strip_prefix("cargo:rerun-if-changed="))
        .collect();
    let expected_lines: Vec<String> = expected.iter().map(|p| p.display().to_string()).collect();
    assert_eq!(rerun, expected_lines);
    assert_eq!(generated.file, out.join("fastsocket/generated.rs"));
    assert!(generated.written);
    let text = std::fs::read_to_string(&generated.file).unwrap();
    assert!(text.contains("pub mod models {"), "inline modules");
    assert!(
        text.contains("pub mod server {"),
        "the server glue by default"
    );
    assert!(!text.contains("mod models;"), "no out-of-line modules");
    assert!(
        out.join("fastsocket/asyncapi.json").is_file(),
        "the document the server embeds"
    );

    // Unchanged document: nothing is rewritten (the file keeps its timestamp).
    let modified = std::fs::metadata(&generated.file)
        .unwrap()
        .modified()
        .unwrap();
    let (again, _) = run(Builder::new(&spec).out_dir(&out));
    assert!(!again.unwrap().written);
    assert_eq!(
        std::fs::metadata(&generated.file)
            .unwrap()
            .modified()
            .unwrap(),
        modified
    );
}

#[test]
fn an_invalid_document_fails_with_located_errors_and_still_names_its_inputs() {
    let dir = temp("invalid");
    std::fs::write(
        dir.join("asyncapi.yaml"),
        "asyncapi: 3.0.0\ninfo:\n  title: Broken\n  version: 1.0.0\ncomponents:\n  schemas:\n    A:\n      $ref: './a.yaml#/A'\n",
    )
    .unwrap();
    std::fs::write(dir.join("a.yaml"), "A:\n  type: strin\n").unwrap();
    let (result, printed) = run(Builder::new(dir.join("asyncapi.yaml")).out_dir(dir.join("out")));
    let err = result.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, BuildError::Invalid { .. }), "{text}");
    assert!(
        text.contains("a.yaml:2:9"),
        "located in the referenced file: {text}"
    );
    assert_eq!(
        format!("{err:?}"),
        text,
        "Debug shows the same text, for `fn main() -> Result`"
    );
    let canonical = dir.canonicalize().unwrap();
    assert!(
        printed.contains(&format!(
            "cargo:rerun-if-changed={}",
            canonical.join("a.yaml").display()
        )),
        "{printed}"
    );
    assert!(!dir.join("out").exists(), "nothing written");
}

#[test]
fn a_missing_document_and_a_bad_name_are_errors() {
    let dir = temp("missing");
    let (result, _) = run(Builder::new(dir.join("nope.yaml")).out_dir(&dir));
    assert!(matches!(result, Err(BuildError::Read { .. })));
    let (result, _) = run(Builder::new(specs().join("recursive.yaml"))
        .out_dir(&dir)
        .name("../x"));
    assert!(matches!(result, Err(BuildError::BadName(_))));
}

#[test]
fn a_config_file_configures_the_builder_and_is_an_input() {
    let dir = temp("config");
    let config = dir.join("fastsocket.toml");
    let spec = specs().join("recursive.yaml").canonicalize().unwrap();
    std::fs::write(
        &config,
        format!(
            "spec = {:?}\n[rust]\nserver = false\n",
            spec.display().to_string()
        ),
    )
    .unwrap();
    let (generated, printed) = run(Builder::from_config(&config)
        .unwrap()
        .out_dir(dir.join("out"))
        .name("tree"));
    let generated = generated.unwrap();
    // `inputs` is sorted: the order of the two absolute paths depends on where the checkout and the temp folder are.
    let mut expected = vec![config.clone(), spec.clone()];
    expected.sort();
    assert_eq!(generated.inputs, expected);
    assert!(printed.contains(&format!("cargo:rerun-if-changed={}", config.display())));
    let text = std::fs::read_to_string(dir.join("out/tree/generated.rs")).unwrap();
    assert!(text.contains("pub mod models {"));
    assert!(
        !text.contains("pub mod server {"),
        "server = false in the config"
    );

    std::fs::write(&config, "[rust]\nserver = false\n").unwrap();
    assert!(matches!(
        Builder::from_config(&config),
        Err(BuildError::NoSpec(_))
    ));
    std::fs::write(&config, "spec = 1\n").unwrap();
    let err = Builder::from_config(&config).unwrap_err().to_string();
    assert!(err.contains("line 1"), "{err}");
}

#[test]
fn without_cargo_nothing_is_printed() {
    let out = temp("quiet");
    let mut printed = Vec::new();
    Builder::new(specs().join("recursive.yaml"))
        .out_dir(&out)
        .emit_rerun_if_changed(false)
        .generate_to(&mut printed)
        .unwrap();
    assert!(printed.is_empty());
}

/// A copy of `specs/multi-file` whose files were last modified an hour ago (so runs are recordable: see
/// `fastsocket_gen::fingerprint::SETTLED`).
fn settled_copy(name: &str) -> PathBuf {
    let dir = temp(name);
    for file in [
        "asyncapi.yaml",
        "messages.yaml",
        "schemas/common.yaml",
        "schemas/user.json",
    ] {
        let to = dir.join(file);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(specs().join("multi-file").join(file), &to).unwrap();
        set_modified(&to, SystemTime::now() - Duration::from_secs(3600));
    }
    dir
}

fn set_modified(path: &Path, when: SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(when)
        .unwrap();
}

#[test]
fn an_unchanged_rerun_reuses_the_output_and_any_change_regenerates() {
    let dir = settled_copy("reuse");
    let builder = || Builder::new(dir.join("asyncapi.yaml")).out_dir(dir.join("out"));
    let first = run(builder()).0.unwrap();
    assert!(first.written && !first.reused);

    // What Cargo reruns the script for without a change: a touch.
    set_modified(&dir.join("schemas/common.yaml"), SystemTime::now());
    let (again, printed) = run(builder());
    let again = again.unwrap();
    assert!(again.reused && !again.written);
    assert_eq!(again.inputs, first.inputs);
    assert_eq!(
        printed.matches("cargo:rerun-if-changed=").count(),
        4,
        "the inputs are still declared: {printed}"
    );

    // Other options: generated again.
    let models_only = run(builder().server(false)).0.unwrap();
    assert!(!models_only.reused && models_only.written);
    let back = run(builder()).0.unwrap();
    assert!(!back.reused && back.written);

    // A changed `$ref`'d file: generated again, and not recorded while it is fresh.
    let common = dir.join("schemas/common.yaml");
    let text = std::fs::read_to_string(&common).unwrap();
    std::fs::write(&common, format!("{text}\n# edited\n")).unwrap();
    let edited = run(builder()).0.unwrap();
    assert!(!edited.reused);
    assert!(
        !run(builder()).0.unwrap().reused,
        "a fresh edit is not recorded"
    );
    set_modified(&common, SystemTime::now() - Duration::from_secs(3600));
    assert!(!run(builder()).0.unwrap().reused);
    assert!(run(builder()).0.unwrap().reused);

    // Output removed or edited: generated again.
    std::fs::remove_file(&first.file).unwrap();
    let restored = run(builder()).0.unwrap();
    assert!(!restored.reused && restored.written && first.file.is_file());
    std::fs::write(&first.file, "// edited\n").unwrap();
    assert!(!run(builder()).0.unwrap().reused);
}

#[test]
fn type_attributes_and_overrides_reach_the_output_and_a_wrong_name_fails_the_build() {
    let out = temp("attributes");
    let spec = specs().join("multi-file/asyncapi.yaml");
    let generated = run(Builder::new(&spec)
        .out_dir(&out)
        .type_attribute("GetUserPayload", "#[derive(Eq, Hash)]")
        .type_override("date-time", "::std::string::String"))
    .0
    .unwrap();
    let text = std::fs::read_to_string(&generated.file).unwrap();
    assert!(text.contains("pub created_at: ::std::string::String,"));
    assert!(!text.contains("::chrono::DateTime"));
    let item = text.find("pub struct GetUserPayload").unwrap();
    assert!(
        text[..item].ends_with("#[derive(Eq, Hash)]\n    "),
        "{}",
        &text[item - 200..item]
    );

    let (result, _) = run(Builder::new(&spec)
        .out_dir(&out)
        .type_attribute("GetUser", "#[derive(Hash)]"));
    let err = result.unwrap_err().to_string();
    assert!(err.contains("no model type has that name"), "{err}");
    assert!(
        err.contains("GetUserPayload"),
        "the names that exist: {err}"
    );
}

#[test]
fn strict_is_applied_by_the_loader_and_fails_the_build_with_the_located_example() {
    let dir = temp("strict");
    std::fs::create_dir_all(&dir).unwrap();
    let spec = dir.join("asyncapi.yaml");
    std::fs::write(
        &spec,
        "asyncapi: 3.0.0\ninfo: {title: T, version: '1'}\nchannels:\n  a:\n    address: /a\n    messages:\n      m:\n        payload: {type: integer, minimum: 0}\n        examples:\n          - name: bad\n            payload: -1\n",
    )
    .unwrap();
    let (lenient, printed) = run(Builder::new(&spec).out_dir(dir.join("out")));
    let lenient = lenient.unwrap();
    assert_eq!(lenient.warnings.len(), 1, "{:?}", lenient.warnings);
    assert!(lenient.warnings[0].contains("warning[example-mismatch]"));
    assert!(printed.contains("cargo:warning="));
    let (strict, _) = run(Builder::new(&spec).out_dir(dir.join("out")).strict(true));
    let err = strict.unwrap_err();
    let BuildError::Invalid { errors, .. } = &err else {
        panic!("{err}");
    };
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].code, fastsocket_gen::spec::Code::ExampleMismatch);
    assert!(err.to_string().contains("asyncapi.yaml:10:"), "{err}");
}
