//! How long generating a full server crate takes, for the largest corpus document (ZBOS, 670 KB of JSON: hundreds
//! of channels and messages, thousands of schemas). Run with `cargo bench -p fastsocket-codegen-rust`; the corpus
//! folder defaults to `../shared/asyncapi-corpus` beside the project and can be set with `FASTSOCKET_CORPUS`.

use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use fastsocket_codegen_rust::{RuntimeDependency, RustOptions, generate};
use fastsocket_spec::{Input, LoadOptions, load};

fn corpus() -> PathBuf {
    std::env::var_os("FASTSOCKET_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/asyncapi-corpus")
        })
}

fn bench_generate(c: &mut Criterion) {
    let path = corpus().join("v2/parserjs-zbos_mqtt-all-asyncapi.json");
    if !path.exists() {
        eprintln!(
            "skipping: {} not found (set FASTSOCKET_CORPUS)",
            path.display()
        );
        return;
    }
    let input = Input::Path(path);
    let load_options = LoadOptions {
        ref_root: Some(corpus()),
        ..Default::default()
    };
    let api = load(&input, &load_options).expect("ZBOS loads").api;
    let options = RustOptions {
        crate_name: "zbos".into(),
        runtime: RuntimeDependency::Path("../fastsocket".into()),
        server: true,
        mapping: None,
        ..RustOptions::default()
    };
    let mut group = c.benchmark_group("zbos_mqtt");
    group.sample_size(20);
    group.bench_function("generate (IR → server crate)", |b| {
        b.iter(|| generate(&api, &options).expect("generates"))
    });
    group.bench_function("load + generate (file → server crate)", |b| {
        b.iter(|| {
            let api = load(&input, &load_options).expect("loads").api;
            generate(&api, &options).expect("generates")
        })
    });
    group.finish();
}

criterion_group!(benches, bench_generate);
criterion_main!(benches);
