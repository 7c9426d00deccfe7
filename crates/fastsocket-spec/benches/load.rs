//! How long loading real documents into the IR takes: the largest corpus document (ZBOS, 670 KB of JSON) and a
//! mid-size one (Slack RTM). Run with `cargo bench -p fastsocket-spec`; the corpus folder defaults to
//! `../shared/asyncapi-corpus` beside the project and can be set with `FASTSOCKET_CORPUS`.

use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use fastsocket_spec::{Input, LoadOptions, load};

fn corpus() -> PathBuf {
    std::env::var_os("FASTSOCKET_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/asyncapi-corpus")
        })
}

fn bench_load(c: &mut Criterion) {
    let corpus = corpus();
    let documents = [
        (
            "zbos_mqtt (670 KB JSON)",
            "v2/parserjs-zbos_mqtt-all-asyncapi.json",
        ),
        ("slack_rtm (2.6.0 YAML)", "v2/spec-2.6.0-slack-rtm.yml"),
        ("slack_rtm (3.0.0 YAML)", "v3/spec-3.0.0-slack-rtm.yml"),
    ];
    let mut group = c.benchmark_group("load_to_ir");
    for (name, path) in documents {
        let input = Input::Path(corpus.join(path));
        if std::fs::metadata(corpus.join(path)).is_err() {
            eprintln!(
                "skipping {name}: {} not found (set FASTSOCKET_CORPUS)",
                corpus.join(path).display()
            );
            continue;
        }
        let options = LoadOptions {
            ref_root: Some(corpus.clone()),
            ..Default::default()
        };
        // Fail loudly rather than time an error path.
        load(&input, &options).unwrap_or_else(|e| panic!("{name} does not load: {e:?}"));
        group.bench_function(name, |b| b.iter(|| load(&input, &options).expect("loads")));
    }
    group.finish();
}

criterion_group!(benches, bench_load);
criterion_main!(benches);
