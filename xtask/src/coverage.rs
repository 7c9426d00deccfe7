//! `cargo xtask coverage`: line coverage of the workspace's crates from one instrumented pass of the workspace
//! tests (`cargo llvm-cov --workspace`, the equivalent of `cargo test --workspace`), printed as a table per crate.
//!
//! - The runtime (`fastsocket`) is built with the features the workspace's tests use: `server` (which
//!   `cargo test --workspace` turns on) and `monitor-cli` (the monitor's clients and `tests/monitor_cli.rs`).
//! - The pass is cargo-llvm-cov's: it builds into `$CARGO_TARGET_DIR/llvm-cov-target` (its own folder, so the plain
//!   build is never rebuilt) and instruments only the workspace's crates, not their dependencies. It is built
//!   without debug info (`CARGO_PROFILE_DEV_DEBUG=0`): llvm-cov reads its own mapping, and the folder is far
//!   smaller. Doctests are not run (cargo-llvm-cov needs nightly Rust for them).
//! - A crate's numbers are the sum over the files under its `src/` (unit-test modules included, as llvm-cov counts
//!   them); the integration tests under `tests/` are what is run, not what is measured.
//! - `--fail-under 95` applies to every row; `--fail-under fastsocket=90` to one crate (repeatable, the crate's own
//!   floor wins over the common one).

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context as _, bail, ensure};
use clap::Args;

use crate::e2e;

/// The crates reported by default: the loader, the IR, both emitters and the runtime.
const DEFAULT_CRATES: [&str; 5] = [
    "fastsocket-spec",
    "fastsocket-ir",
    "fastsocket-codegen-rust",
    "fastsocket-codegen-vue",
    "fastsocket",
];

/// Arguments of `cargo xtask coverage`.
#[derive(Debug, Args)]
pub struct CoverageArgs {
    /// The crates of the table (comma-separated workspace crate names) [default: the loader, IR, emitters and
    /// runtime].
    #[arg(long, value_delimiter = ',')]
    crates: Vec<String>,
    /// Fail when a crate's line coverage is below this: `N` for every crate, `CRATE=N` for one (repeatable).
    #[arg(long, value_name = "[CRATE=]PERCENT")]
    fail_under: Vec<String>,
    /// Also list each crate's files below 100 % (lowest first), with their uncovered line count.
    #[arg(long)]
    files: bool,
    /// Report on the profiles of the last pass without running the tests again.
    #[arg(long)]
    report_only: bool,
}

/// Lines of one file or crate.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
struct Lines {
    count: u64,
    covered: u64,
}

impl Lines {
    fn percent(self) -> f64 {
        if self.count == 0 {
            100.0
        } else {
            self.covered as f64 * 100.0 / self.count as f64
        }
    }

    fn add(&mut self, other: Lines) {
        self.count += other.count;
        self.covered += other.covered;
    }
}

/// Runs the instrumented pass and prints the table. `Ok(false)` when a crate is under its floor.
pub fn run(args: &CoverageArgs) -> anyhow::Result<bool> {
    let repo = e2e::repo()?;
    let crates: Vec<String> = if args.crates.is_empty() {
        DEFAULT_CRATES.iter().map(|c| (*c).to_owned()).collect()
    } else {
        args.crates.clone()
    };
    for name in &crates {
        ensure!(
            repo.join("crates").join(name).join("Cargo.toml").exists(),
            "`{name}` is not a crate of crates/"
        );
    }
    let floors = floors(&args.fail_under, &crates)?;
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| repo.join("target"));
    let out = target_dir.join("coverage");
    fs::create_dir_all(&out).context("creating the coverage folder")?;
    let summary = out.join("summary.json");

    let version = Command::new(e2e::cargo())
        .args(["llvm-cov", "--version"])
        .output()
        .context("running cargo llvm-cov")?;
    ensure!(
        version.status.success(),
        "cargo-llvm-cov is not installed: `rustup component add llvm-tools-preview` and \
         `cargo install cargo-llvm-cov --locked`"
    );

    let started = Instant::now();
    let mut command = Command::new(e2e::cargo());
    command.arg("llvm-cov");
    if args.report_only {
        command.arg("report");
    } else {
        println!("== one instrumented pass of `cargo test --workspace` (cargo llvm-cov)");
        // The whole suite runs even when a test fails, so the table is complete; the failure still fails the task.
        // `--workspace` turns on the runtime's `server` feature (examples/build-rs needs it); `monitor-cli` adds
        // the monitor's clients and their tests (`tests/monitor_cli.rs`), which CI also runs on their own.
        command.args([
            "--workspace",
            "--features",
            "fastsocket/monitor-cli",
            "--no-fail-fast",
        ]);
        // Coverage reads llvm's own mapping, not debug info: without it the instrumented build is a good deal
        // smaller and quicker (unless the caller chose otherwise).
        if std::env::var_os("CARGO_PROFILE_DEV_DEBUG").is_none() {
            command.env("CARGO_PROFILE_DEV_DEBUG", "0");
        }
    }
    command
        .args(["--json", "--summary-only", "--output-path"])
        .arg(&summary)
        .current_dir(&repo);
    let status = command.status().context("running cargo llvm-cov")?;
    ensure!(status.success(), "cargo llvm-cov failed: {status}");
    let seconds = started.elapsed().as_secs_f64();

    let json =
        fs::read_to_string(&summary).with_context(|| format!("reading {}", summary.display()))?;
    let files = files_by_crate(&json, &repo)?;
    let mut passed = true;
    println!("\n| crate | lines | covered | line coverage | floor |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    for name in &crates {
        let mut total = Lines::default();
        for lines in files.get(name).into_iter().flat_map(BTreeMap::values) {
            total.add(*lines);
        }
        let floor = floors.get(name).copied();
        let ok = floor.is_none_or(|f| total.percent() >= f);
        passed &= ok;
        println!(
            "| {name} | {} | {} | {:.2} % | {} |",
            total.count,
            total.covered,
            total.percent(),
            match floor {
                Some(f) if ok => format!("{f} %"),
                Some(f) => format!("{f} % FAIL"),
                None => "-".into(),
            }
        );
    }
    if args.files {
        for name in &crates {
            let mut below: Vec<(&String, &Lines)> = files
                .get(name)
                .into_iter()
                .flatten()
                .filter(|(_, l)| l.covered < l.count)
                .collect();
            below.sort_by(|a, b| {
                (a.1.count - a.1.covered)
                    .cmp(&(b.1.count - b.1.covered))
                    .reverse()
            });
            println!("\n{name}: files below 100 % (most uncovered lines first)");
            for (file, lines) in below {
                println!(
                    "  {:>5} uncovered  {:>6.2} %  {file}",
                    lines.count - lines.covered,
                    lines.percent()
                );
            }
        }
    }
    println!(
        "\ncoverage took {seconds:.0} s (summary: {}; HTML: `cargo llvm-cov report --html`)",
        summary.display()
    );
    Ok(passed)
}

/// The floors of `--fail-under`: a bare number for every crate, `CRATE=N` for one.
fn floors(specs: &[String], crates: &[String]) -> anyhow::Result<BTreeMap<String, f64>> {
    let mut common = None;
    let mut own = BTreeMap::new();
    for spec in specs {
        let (name, value) = match spec.split_once('=') {
            Some((name, value)) => (Some(name.trim()), value),
            None => (None, spec.as_str()),
        };
        let percent: f64 = value
            .trim()
            .parse()
            .with_context(|| format!("--fail-under {spec}: not a percentage"))?;
        ensure!(
            (0.0..=100.0).contains(&percent),
            "--fail-under {spec}: a percentage is between 0 and 100"
        );
        match name {
            Some(name) if crates.iter().any(|c| c == name) => {
                own.insert(name.to_owned(), percent);
            }
            Some(name) => bail!("--fail-under {spec}: `{name}` is not one of the reported crates"),
            None => common = Some(percent),
        }
    }
    let mut floors = BTreeMap::new();
    for name in crates {
        if let Some(percent) = own.get(name).copied().or(common) {
            floors.insert(name.clone(), percent);
        }
    }
    Ok(floors)
}

/// The line counts of llvm-cov's JSON summary (`llvm-cov export -summary-only`), grouped by the crate whose
/// `crates/NAME/src/` holds each file, keyed by the file's path inside the crate.
fn files_by_crate(
    json: &str,
    repo: &Path,
) -> anyhow::Result<BTreeMap<String, BTreeMap<String, Lines>>> {
    let value: serde_json::Value =
        serde_json::from_str(json).context("llvm-cov's summary is not JSON")?;
    let files = value
        .pointer("/data/0/files")
        .and_then(serde_json::Value::as_array)
        .context("llvm-cov's summary has no /data/0/files")?;
    let crates_dir = repo.join("crates");
    let mut by_crate: BTreeMap<String, BTreeMap<String, Lines>> = BTreeMap::new();
    for file in files {
        let name = file
            .get("filename")
            .and_then(serde_json::Value::as_str)
            .context("a file of llvm-cov's summary has no filename")?;
        let Ok(inside) = Path::new(name).strip_prefix(&crates_dir) else {
            continue;
        };
        let mut parts = inside.components();
        let (Some(krate), Some(src)) = (parts.next(), parts.next()) else {
            continue;
        };
        if src.as_os_str() != "src" {
            continue;
        }
        let lines = file
            .pointer("/summary/lines")
            .context("a file of llvm-cov's summary has no line counts")?;
        let count = |key: &str| {
            lines
                .get(key)
                .and_then(serde_json::Value::as_u64)
                .with_context(|| format!("{name}: no line {key}"))
        };
        by_crate
            .entry(krate.as_os_str().to_string_lossy().into_owned())
            .or_default()
            .insert(
                parts.as_path().display().to_string(),
                Lines {
                    count: count("count")?,
                    covered: count("covered")?,
                },
            );
    }
    Ok(by_crate)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crates() -> Vec<String> {
        DEFAULT_CRATES.iter().map(|c| (*c).to_owned()).collect()
    }

    #[test]
    fn a_crate_floor_wins_over_the_common_one() {
        let floors = floors(&["95".into(), "fastsocket = 88.5".into()], &crates()).unwrap();
        assert_eq!(floors["fastsocket"], 88.5);
        assert_eq!(floors["fastsocket-ir"], 95.0);
        assert_eq!(floors.len(), 5);
    }

    #[test]
    fn floors_refuse_what_is_not_a_percentage_or_not_a_reported_crate() {
        let err = floors(&["ninety".into()], &crates()).unwrap_err();
        assert!(format!("{err:#}").contains("not a percentage"), "{err:#}");
        let err = floors(&["101".into()], &crates()).unwrap_err();
        assert!(format!("{err:#}").contains("between 0 and 100"), "{err:#}");
        let err = floors(&["xtask=50".into()], &crates()).unwrap_err();
        assert!(format!("{err:#}").contains("`xtask` is not one"), "{err:#}");
        assert!(floors(&[], &crates()).unwrap().is_empty());
    }

    #[test]
    fn files_are_grouped_by_the_crate_whose_src_holds_them() {
        let repo = Path::new("/r");
        let json = serde_json::json!({"data": [{"files": [
            {"filename": "/r/crates/fastsocket/src/lib.rs", "summary": {"lines": {"count": 10, "covered": 9}}},
            {"filename": "/r/crates/fastsocket/src/server/auth.rs", "summary": {"lines": {"count": 4, "covered": 1}}},
            {"filename": "/r/crates/fastsocket/tests/differential.rs", "summary": {"lines": {"count": 7, "covered": 7}}},
            {"filename": "/r/xtask/src/main.rs", "summary": {"lines": {"count": 3, "covered": 0}}},
            {"filename": "/r/crates/fastsocket-ir/src/model.rs", "summary": {"lines": {"count": 2, "covered": 2}}},
        ]}]})
        .to_string();
        let by_crate = files_by_crate(&json, repo).unwrap();
        assert_eq!(by_crate.len(), 2);
        let runtime = &by_crate["fastsocket"];
        assert_eq!(runtime.len(), 2);
        assert_eq!(
            runtime["server/auth.rs"],
            Lines {
                count: 4,
                covered: 1
            }
        );
        let mut total = Lines::default();
        runtime.values().for_each(|l| total.add(*l));
        assert_eq!(
            total,
            Lines {
                count: 14,
                covered: 10
            }
        );
        assert!((total.percent() - 71.428).abs() < 0.01);
        assert_eq!(Lines::default().percent(), 100.0);
    }

    #[test]
    fn a_summary_without_files_is_an_error() {
        let err = files_by_crate(r#"{"data": []}"#, Path::new("/r")).unwrap_err();
        assert!(format!("{err:#}").contains("/data/0/files"), "{err:#}");
        assert!(files_by_crate("not json", Path::new("/r")).is_err());
    }
}
