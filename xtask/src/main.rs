//! Project automation. `cargo xtask corpus DIR` checks a folder of AsyncAPI documents.

mod corpus;
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
}

fn main() -> ExitCode {
    match Xtask::parse().task {
        Task::Corpus(args) => match corpus::run(&args) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::FAILURE,
            Err(err) => {
                eprintln!("error: {err:#}");
                ExitCode::from(2)
            }
        },
    }
}
