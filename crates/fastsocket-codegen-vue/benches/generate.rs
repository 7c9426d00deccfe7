//! How long generating the Vue client takes, for the largest corpus document (ZBOS, 670 KB of JSON: hundreds of
//! events, thousands of schemas) and for our chat spec. Run with `cargo bench -p fastsocket-codegen-vue`; the corpus
//! folder defaults to `../shared/asyncapi-corpus` beside the project and can be set with `FASTSOCKET_CORPUS`.

use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use fastsocket_codegen_vue::{VueOptions, generate};
use fastsocket_spec::{Input, LoadOptions, load};

fn corpus() -> PathBuf {
    std::env::var_os("FASTSOCKET_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/asyncapi-corpus")
        })
}

fn bench_generate(c: &mut Criterion) {
    let options = VueOptions {
        package_name: "bench-client".into(),
        mapping: None,
    };
    let mut group = c.benchmark_group("vue");
    group.sample_size(20);
    let chat = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../specs/chat-socketio.yaml");
    let chat = load(&Input::Path(chat), &LoadOptions::default())
        .expect("the chat spec loads")
        .api;
    group.bench_function("chat-socketio (IR → client project)", |b| {
        b.iter(|| generate(&chat, &options).expect("generates"))
    });
    let zbos = corpus().join("v2/parserjs-zbos_mqtt-all-asyncapi.json");
    if zbos.exists() {
        let load_options = LoadOptions {
            ref_root: Some(corpus()),
            ..Default::default()
        };
        let api = load(&Input::Path(zbos), &load_options)
            .expect("ZBOS loads")
            .api;
        group.bench_function("zbos_mqtt (IR → client project)", |b| {
            b.iter(|| generate(&api, &options).expect("generates"))
        });
    } else {
        eprintln!(
            "skipping ZBOS: {} not found (set FASTSOCKET_CORPUS)",
            zbos.display()
        );
    }
    group.finish();
}

criterion_group!(benches, bench_generate);
criterion_main!(benches);
