//! What a build script pays for the builder when the document has not changed. Cargo does not even run the script
//! then, except after a touch or a save without edits of one of the files: the builder then hashes the inputs,
//! finds its record current and reuses the output ("unchanged"). Without a record (a new `OUT_DIR`, other options)
//! it loads, generates and compares with what is on disk ("full run, output up to date"). Run with
//! `cargo bench -p fastsocket-gen --bench builder`.

use std::path::{Path, PathBuf};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use fastsocket_gen::Builder;

fn spec(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../specs")
        .join(name)
}

fn bench_builder(c: &mut Criterion) {
    let out = std::env::temp_dir().join(format!("fastsocket-bench-builder-{}", std::process::id()));
    let mut group = c.benchmark_group("builder");
    for (name, file) in [
        ("multi-file (4 files)", "multi-file/asyncapi.yaml"),
        ("chat-socketio", "chat-socketio.yaml"),
    ] {
        let builder = Builder::new(spec(file))
            .out_dir(&out)
            .name(name.split(' ').next().unwrap_or("x"))
            .emit_rerun_if_changed(false);
        // The first run writes; every measured run finds the output up to date.
        let first = builder.clone().generate().expect("generates");
        let record = first
            .file
            .with_file_name(fastsocket_gen::fingerprint::FILE_NAME);
        group.bench_function(format!("{name}: unchanged"), |b| {
            b.iter(|| {
                let generated = builder.clone().generate().expect("generates");
                assert!(
                    generated.reused,
                    "no reusable record: were the spec files modified in the last seconds?"
                );
            })
        });
        group.bench_function(format!("{name}: full run, output up to date"), |b| {
            b.iter_batched(
                || {
                    let _ = std::fs::remove_file(&record);
                },
                |()| {
                    let generated = builder.clone().generate().expect("generates");
                    assert!(!generated.written && !generated.reused);
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
    let _ = std::fs::remove_dir_all(&out);

    // Where the time goes, for the multi-file document.
    let input = fastsocket_gen::Input::Path(spec("multi-file/asyncapi.yaml"));
    let load = || {
        fastsocket_gen::load(&input, &fastsocket_gen::LoadOptions::default())
            .expect("loads")
            .api
    };
    let api = load();
    let options = fastsocket_codegen_rust::RustOptions {
        crate_name: "bench".into(),
        runtime: fastsocket_codegen_rust::RuntimeDependency::Version("0.1.0".into()),
        server: true,
        mapping: None,
        layout: fastsocket_codegen_rust::Layout::SingleFile,
        ..fastsocket_codegen_rust::RustOptions::default()
    };
    let mut group = c.benchmark_group("builder phases, multi-file");
    group.bench_function("load (4 files → IR)", |b| b.iter(load));
    group.bench_function("generate (IR → one formatted include! file)", |b| {
        b.iter(|| fastsocket_codegen_rust::generate(&api, &options).expect("generates"))
    });
    group.finish();
}

criterion_group!(benches, bench_builder);
criterion_main!(benches);
