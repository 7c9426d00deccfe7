//! `cargo xtask fuzz`: the cargo-fuzz targets of `fuzz/` (libFuzzer), seeded from our documents, run one after
//! the other for a bounded time each, with a table of executions at the end.
//!
//! - Seeds: every document of `specs/` and `tests/hostile/` alone, and `specs/multi-file` as one input of four
//!   files joined by the targets' separator (`fastsocket_fuzz::SEPARATOR`), are copied into
//!   `target/fuzz/corpus/TARGET/` at each run (the corpus libFuzzer grows there and keeps between runs); nothing
//!   is copied into the repository.
//! - Stable Rust: cargo-fuzz passes nightly flags (`-Zsanitizer`, `-Cpasses=sancov-module`), accepted with
//!   `RUSTC_BOOTSTRAP=1`. AddressSanitizer is on (cargo-fuzz's default).
//! - A crash stops that target: its input is saved under `target/fuzz/artifacts/TARGET/`, the command to replay
//!   and minimise it is printed, and the task fails.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context as _, ensure};
use clap::Args;

use crate::e2e;

/// The targets, in the order they run.
const TARGETS: [&str; 4] = ["load", "ir", "emit_rust", "emit_vue"];
/// The line the targets split an input at (`fastsocket_fuzz::SEPARATOR`; the fuzz crate is outside the workspace,
/// so the constant is repeated here).
const SEPARATOR: &str = "\n#--- fastsocket-fuzz next file ---\n";
/// `specs/multi-file` in the order of `fastsocket_fuzz::FILES`.
const MULTI_FILE: [&str; 4] = [
    "asyncapi.yaml",
    "messages.yaml",
    "schemas/common.yaml",
    "schemas/user.json",
];
/// Seconds per target of `--smoke`.
const SMOKE_SECONDS: u64 = 15;

/// Arguments of `cargo xtask fuzz`.
#[derive(Debug, Args)]
pub struct FuzzArgs {
    /// The CI run: each target for 15 s.
    #[arg(long, conflicts_with = "seconds")]
    smoke: bool,
    /// Seconds per target.
    #[arg(long, default_value_t = 300)]
    seconds: u64,
    /// One target (load, ir, emit_rust, emit_vue) [default: all].
    #[arg(value_parser = clap::builder::PossibleValuesParser::new(TARGETS))]
    target: Option<String>,
}

/// One target's run.
struct Outcome {
    target: &'static str,
    seconds: f64,
    executions: u64,
    per_second: u64,
    new_units: u64,
    peak_rss_mb: u64,
    crash: Option<String>,
}

/// Runs the fuzz targets. `Ok(true)` when none crashed.
pub fn run(args: &FuzzArgs) -> anyhow::Result<bool> {
    let repo = e2e::repo()?;
    let seconds = if args.smoke {
        SMOKE_SECONDS
    } else {
        args.seconds
    };
    let targets: Vec<&'static str> = TARGETS
        .into_iter()
        .filter(|t| args.target.as_deref().is_none_or(|w| w == *t))
        .collect();
    let version = Command::new(e2e::cargo())
        .args(["fuzz", "--version"])
        .output()
        .context("running cargo fuzz")?;
    ensure!(
        version.status.success(),
        "cargo-fuzz is not installed: `cargo install cargo-fuzz --locked`"
    );
    let work = repo.join("target/fuzz");
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo.join("target"));

    println!("== build the fuzz targets (fuzz/, RUSTC_BOOTSTRAP=1, AddressSanitizer)");
    let started = Instant::now();
    let status = cargo_fuzz(&repo, &target_dir)
        .arg("build")
        .args(["--target-dir"])
        .arg(&target_dir)
        .status()
        .context("running cargo fuzz build")?;
    ensure!(status.success(), "cargo fuzz build failed: {status}");
    println!("built in {:.0} s", started.elapsed().as_secs_f64());

    let seeds = seeds(&repo)?;
    let mut outcomes = Vec::new();
    for target in targets {
        let corpus = work.join("corpus").join(target);
        let artifacts = work.join("artifacts").join(target);
        fs::create_dir_all(&corpus).context("creating the corpus folder")?;
        fs::create_dir_all(&artifacts).context("creating the artifacts folder")?;
        for (name, contents) in &seeds {
            fs::write(corpus.join(name), contents).context("writing a seed")?;
        }
        println!("== fuzz {target} for {seconds} s");
        outcomes.push(run_target(
            &repo,
            &target_dir,
            target,
            (&corpus, &artifacts),
            seconds,
        )?);
    }

    println!(
        "\n| target | seconds | executions | executions/s | new corpus units | peak RSS | result |"
    );
    println!("|---|---|---|---|---|---|---|");
    for o in &outcomes {
        println!(
            "| {} | {:.0} | {} | {} | {} | {} MB | {} |",
            o.target,
            o.seconds,
            o.executions,
            o.per_second,
            o.new_units,
            o.peak_rss_mb,
            o.crash.as_deref().unwrap_or("no crash")
        );
    }
    let crashed = outcomes.iter().filter(|o| o.crash.is_some()).count();
    println!("{} passed, {} failed", outcomes.len() - crashed, crashed);
    Ok(crashed == 0)
}

/// `cargo fuzz` in the repository with the flags every call needs.
fn cargo_fuzz(repo: &Path, target_dir: &Path) -> Command {
    let mut command = Command::new(e2e::cargo());
    command
        .current_dir(repo)
        // cargo-fuzz passes `-Z` flags to rustc; stable Rust accepts them only from this.
        .env("RUSTC_BOOTSTRAP", "1")
        .env("CARGO_TARGET_DIR", target_dir)
        .args(["fuzz"]);
    command
}

/// Runs one target for `seconds` and reads libFuzzer's final statistics.
fn run_target(
    repo: &Path,
    target_dir: &Path,
    target: &'static str,
    (corpus, artifacts): (&Path, &Path),
    seconds: u64,
) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let output = cargo_fuzz(repo, target_dir)
        .args(["run", "--target-dir"])
        .arg(target_dir)
        .arg(target)
        .arg(corpus)
        .arg("--")
        .arg(format!("-max_total_time={seconds}"))
        .arg(format!("-artifact_prefix={}/", artifacts.display()))
        // One slow input is a finding too (a hang), but generating a large document takes a while.
        .arg("-timeout=20")
        .arg("-rss_limit_mb=4096")
        .arg("-print_final_stats=1")
        .stdin(Stdio::null())
        .stdout(Stdio::inherit())
        .stderr(Stdio::piped())
        .output()
        .with_context(|| format!("running cargo fuzz run {target}"))?;
    let log = String::from_utf8_lossy(&output.stderr);
    let stat = |name: &str| -> u64 {
        log.lines()
            .rev()
            .find_map(|l| l.strip_prefix(&format!("stat::{name}:")))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    };
    let crash = if output.status.success() {
        None
    } else {
        // The tail of libFuzzer's report: the panic, and `Test unit written to ARTIFACT`.
        let tail: Vec<&str> = log.lines().rev().take(40).collect();
        for line in tail.iter().rev() {
            eprintln!("  {target}| {line}");
        }
        let artifact = log.lines().find_map(|l| {
            l.split_once("Test unit written to ")
                .map(|(_, a)| a.trim().to_owned())
        });
        Some(match artifact {
            Some(a) => {
                eprintln!(
                    "replay: RUSTC_BOOTSTRAP=1 cargo fuzz run {target} {a}\n\
                     minimise: RUSTC_BOOTSTRAP=1 cargo fuzz tmin {target} {a}"
                );
                format!("CRASH {a}")
            }
            None => format!("FAILED ({})", output.status),
        })
    };
    Ok(Outcome {
        target,
        seconds: started.elapsed().as_secs_f64(),
        executions: stat("number_of_executed_units"),
        per_second: stat("average_exec_per_sec"),
        new_units: stat("new_units_added"),
        peak_rss_mb: stat("peak_rss_mb"),
        crash,
    })
}

/// The seed inputs: `(file name, contents)`.
fn seeds(repo: &Path) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let mut seeds = Vec::new();
    let mut documents: Vec<PathBuf> = Vec::new();
    for dir in ["specs", "tests/hostile/valid", "tests/hostile/invalid"] {
        let dir = repo.join(dir);
        for entry in fs::read_dir(&dir).with_context(|| dir.display().to_string())? {
            let path = entry?.path();
            if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml" | "json")
            ) {
                documents.push(path);
            }
        }
    }
    documents.sort();
    for path in documents {
        let name = path
            .strip_prefix(repo)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('/', "__");
        seeds.push((
            format!("seed-{name}"),
            fs::read(&path).with_context(|| path.display().to_string())?,
        ));
    }
    let mut multi = Vec::new();
    for (index, file) in MULTI_FILE.iter().enumerate() {
        if index > 0 {
            multi.extend_from_slice(SEPARATOR.as_bytes());
        }
        let path = repo.join("specs/multi-file").join(file);
        multi.extend(fs::read(&path).with_context(|| path.display().to_string())?);
    }
    seeds.push(("seed-specs__multi-file".to_owned(), multi));
    Ok(seeds)
}
