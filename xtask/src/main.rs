//! Project automation. `cargo xtask corpus DIR` checks a folder of AsyncAPI documents; `cargo xtask differential`
//! compares the generated validators with the `jsonschema` crate; `cargo xtask e2e` and `cargo xtask chat-interop`
//! drive generated servers with real clients; `cargo xtask examples` regenerates the checked-in examples.

mod bench_gen;
mod bench_load;
mod bench_logs;
mod bench_plots;
mod browser;
mod build_rs;
mod chaos;
mod chat_interop;
mod cluster;
mod corpus;
mod coverage;
mod deploy_check;
mod differential;
mod e2e;
mod e2e_security;
mod emit_rust;
mod examples;
mod fuzz;
mod metrics;
mod soak;
mod vue;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use clap::{Parser, Subcommand};

/// fastsocket-gen project tasks.
#[derive(Debug, Parser)]
#[command(name = "xtask")]
struct Xtask {
    #[command(subcommand)]
    task: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Load every document of a folder and compare the outcome with what is expected.
    ///
    /// With DIR/MANIFEST.tsv (columns: path, expect = ok|error, note) only the listed entry documents are
    /// checked; without it every YAML/JSON file with a top-level `asyncapi` key is, expected to load unless it
    /// lies under a folder named `invalid`. Prints one line per document and a closing `N passed, N failed`.
    Corpus(corpus::CorpusArgs),
    /// Compare the generated validators with the `jsonschema` crate on our own specs (`specs/*.yaml|json` and
    /// `specs/multi-file/asyncapi.yaml`), and with `--corpus DIR` on a sample of the corpus documents that load.
    ///
    /// Each document's crate is generated into `target/differential-rust/` with a test that runs every case
    /// through `fastsocket::validate::<models::Name>`. Prints one line per document (`ok`, or `FAIL` with the
    /// first disagreement), `N passed, N failed`, and `differential: C cases compared, D disagreements, E
    /// documented exceptions`.
    Differential(differential::DifferentialArgs),
    /// Generate the server for `specs/arena-socketio-v2.yaml` with the test's handlers
    /// (`tests/e2e/arena/handlers.rs`), build it, start it, and drive it with socket.io-client (Node) and
    /// python-socketio over both transports (`tests/e2e/node`, `tests/e2e/python`).
    ///
    /// Needs node/npm and python3 (the clients are installed from their pinned lock files into
    /// `tests/e2e/node/node_modules` and `target/e2e/venv`). Prints one line per case and `N passed, N failed`.
    E2e(e2e::E2eArgs),
    /// Generate the Vue client of each of our specs into `target/vue/`, then run `vue-tsc --noEmit` (strict, with
    /// the type tests of `tests/vue/type-tests.ts` in the chat client), `vitest run` (the generated specs, and the
    /// cross-check of the TypeScript validators against the Rust validators' verdicts on the differential test's
    /// cases) and `vite build`.
    ///
    /// Needs node/npm: the toolchain pinned in `tests/vue/package-lock.json` is installed once with `npm ci` and
    /// linked into every project. Prints one line per step and `N passed, N failed`.
    Vue(vue::VueArgs),
    /// Regenerate the checked-in examples (`examples/chat/server`) from their specs; with `--check`, write
    /// nothing and fail when one is stale. Prints one line per example and `N passed, N failed`.
    Examples(examples::ExamplesArgs),
    /// Build the checked-in chat server (`examples/chat/server`), serve it with a stand-in static client, and
    /// drive it with socket.io-client (websocket and polling), python-socketio and rust_socketio: acks, rooms,
    /// validation errors, auth. Prints one line per case and `N passed, N failed`.
    ChatInterop(chat_interop::ChatInteropArgs),
    /// Build the checked-in chat client (`vite build`) and server, serve the client from the server
    /// (`serve --static`), and drive pages in Debian's Chromium with playwright-core (`tests/browser/chat.mjs`).
    /// Needs node/npm and `/usr/bin/chromium` (or `CHROMIUM`). Prints one line per case and `N passed, N failed`.
    Browser(browser::BrowserArgs),
    /// The chat server's monitoring files against the real tools: `promtool check rules` and `promtool test
    /// rules` on its alert rules, its dashboard's queries against what `GET /metrics` exposes, and the real
    /// Prometheus scraping the running server while socket.io-client sends known traffic, the counts read back
    /// through Prometheus' HTTP API. Installs Debian's `prometheus` package when `promtool` is missing; needs
    /// node/npm. Prints one line per check and `N passed, N failed`.
    Metrics,
    /// Prove that `examples/build-rs` reruns its build script when a file its document reaches through `$ref`
    /// changes, and not when nothing changed (reads `cargo build -v`). Prints one line per step and
    /// `N passed, N failed`.
    BuildRs,
    /// Benchmark (not a test): a generated server's `logs tail --event X`, built in release (debug with
    /// `--smoke`), against `grep -F` and `jq` on the same generated log (1 GB, `--size-mb N`, `--smoke` ~20 MB).
    /// Prints a table of MB/s.
    /// Installs jq with apt-get when missing.
    BenchLogs(bench_logs::BenchLogsArgs),
    /// Benchmark (not a test): fastsocket-gen (server crate and Vue client, whole processes) against Modelina
    /// (Rust and TypeScript models) and @asyncapi/generator's baked-in JavaScript client on five corpus documents:
    /// median wall time of 5 runs, peak RSS, whether the Rust written compiles, ratios. Writes its section of
    /// `docs/benchmarks.md` and `docs/benchmarks/bench-gen.svg`. The anchors are installed from
    /// `bench/gen/package-lock.json` into `target/bench-gen/npm` (needs node/npm). `--smoke`: the small document,
    /// one run of the debug build, fastsocket-gen only, nothing written.
    BenchGen(bench_gen::BenchGenArgs),
    /// Benchmark (not a test): four servers of `bench/orders.yaml` side by side under socket.io-client load (the
    /// generated one, a hand-written socketioxide floor, Node socket.io + Ajv, python-socketio + FastAPI +
    /// Pydantic) at levels up to 10k connections and 12k msg/s: connect time, ack percentiles, timeouts, wrong
    /// answers, server CPU per 1k acks, memory per connection, as tables with ratios to the floor; writes its
    /// section of `docs/benchmarks.md` and `docs/benchmarks/load-*.svg`. `--smoke`: tiny levels, debug builds,
    /// prints the table and fails on a wrong answer. Needs node/npm and python3.
    BenchLoad(bench_load::BenchLoadArgs),
    /// Three processes of the e2e arena server on one real `redis-server`, with socket.io-client sockets on
    /// each (`tests/e2e/node/cluster.mjs`): broadcasts and room emits across nodes, a node killed (its clients
    /// move to another), Redis restarted (`/readyz` 503 then 200, delivery resumes), two nodes on another
    /// `FASTSOCKET_REDIS_PREFIX` isolated from the others, a graceful drain on
    /// SIGTERM. Needs node/npm and redis-server. Prints one line per case and `N passed, N failed`.
    Cluster(cluster::ClusterArgs),
    /// A benchmark, not a test: broadcast latency (p50, p99) and throughput of the arena server on one node
    /// (in-process adapter, Redis adapter) and across two nodes on one `redis-server`, printed as a table.
    /// `--smoke`: a few messages only. Needs node/npm and redis-server.
    BenchCluster(cluster::BenchClusterArgs),
    /// Run the cargo-fuzz targets of `fuzz/` (loader and `$ref` resolver, IR, Rust emitter, Vue emitter), seeded
    /// from `specs/` and `tests/hostile/`, one after the other; prints a table of executions and fails on a crash.
    /// Needs cargo-fuzz (`cargo install cargo-fuzz --locked`); runs on stable Rust through `RUSTC_BOOTSTRAP=1`.
    Fuzz(fuzz::FuzzArgs),
    /// Soak the checked-in chat server: minutes of valid, invalid, oversize and malformed Socket.IO/Engine.IO
    /// traffic, binary attachments, connection floods and abrupt disconnects (`tests/e2e/node/soak.mjs`) while a
    /// probe client checks every answer; prints a table (memory before/after included) and `N passed, N failed`.
    Soak(soak::SoakArgs),
    /// Delivery across reconnects under chaos: the checked-in chat server behind a TCP proxy of our own that cuts
    /// and delays connections at random, 200 generated clients (the chat client's `client.ts` bundled for Node)
    /// exchanging numbered messages for a minute (`--smoke`: 40 for 8 s); prints delivered / sent per direction
    /// and fails on a lost, duplicated or reordered message. `--off`: the same with plain clients, reported only.
    /// Needs node/npm.
    Chaos(chaos::ChaosArgs),
    /// Check the deployment files generated with a server crate (Dockerfile, docker-compose.yml, deploy/k8s/,
    /// the Prometheus configuration, the GitHub Actions workflow) of the checked-in chat server and of a fresh
    /// crate: schemas and linters from PyPI (installed once in a venv under `~/.cache/fastsocket-gen/`),
    /// promtool, the server run with the manifests' settings (probes, HEALTHCHECK), the workflow's steps. Prints
    /// one line per check and `N passed, N failed`.
    DeployCheck,
    /// Line coverage: one instrumented pass of the workspace tests (`cargo llvm-cov --workspace`), then a table
    /// of line coverage per crate (loader, IR, emitters, runtime; `--crates` to choose); `--fail-under 95` (or
    /// `CRATE=N`) fails below a floor. Needs llvm-tools (`rustup component add llvm-tools-preview`) and
    /// cargo-llvm-cov (`cargo install cargo-llvm-cov --locked`).
    Coverage(coverage::CoverageArgs),
}

fn main() -> ExitCode {
    let outcome = match Xtask::parse().task {
        Task::Corpus(args) => corpus::run(&args),
        Task::Differential(args) => differential::run(&args),
        Task::E2e(args) => e2e::run(&args),
        Task::Vue(args) => vue::run(&args),
        Task::Examples(args) => examples::run(&args),
        Task::ChatInterop(args) => chat_interop::run(&args),
        Task::Browser(args) => browser::run(&args),
        Task::BuildRs => build_rs::run(),
        Task::BenchLogs(args) => bench_logs::run(&args),
        Task::BenchGen(args) => bench_gen::run(&args),
        Task::BenchLoad(args) => bench_load::run(&args),
        Task::Metrics => metrics::run(),
        Task::Cluster(args) => cluster::run(&args),
        Task::BenchCluster(args) => cluster::bench(&args),
        Task::Fuzz(args) => fuzz::run(&args),
        Task::Soak(args) => soak::run(&args),
        Task::Chaos(args) => chaos::run(&args),
        Task::DeployCheck => deploy_check::run(),
        Task::Coverage(args) => coverage::run(&args),
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// `specs/*.yaml|json` and `specs/multi-file/asyncapi.yaml`, sorted.
pub(crate) fn our_specs(repo: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let specs = repo.join("specs");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&specs)
        .with_context(|| specs.display().to_string())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("yaml" | "json")
            )
        })
        .collect();
    paths.push(specs.join("multi-file/asyncapi.yaml"));
    paths.sort();
    Ok(paths)
}
