//! Project automation. `cargo xtask corpus DIR` checks a folder of AsyncAPI documents; `cargo xtask differential`
//! compares the generated validators with the `jsonschema` crate.

mod build_rs;
mod corpus;
mod differential;
mod e2e;
mod emit_rust;

use std::process::ExitCode;

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
    /// Prove that `examples/build-rs` reruns its build script when a file its document reaches through `$ref`
    /// changes, and not when nothing changed (reads `cargo build -v`). Prints one line per step and
    /// `N passed, N failed`.
    BuildRs,
}

fn main() -> ExitCode {
    let outcome = match Xtask::parse().task {
        Task::Corpus(args) => corpus::run(&args),
        Task::Differential(args) => differential::run(&args),
        Task::E2e(args) => e2e::run(&args),
        Task::BuildRs => build_rs::run(),
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
