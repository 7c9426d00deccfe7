//! The compile gate: generate a Rust crate for every document, put them all in one scratch workspace (so the
//! dependencies build once), and let `cargo clippy -D warnings` (and optionally `cargo test`) judge each crate.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::Context;
use fastsocket_codegen_rust::{RuntimeDependency, RustOptions};
use fastsocket_ir::Api;
use fastsocket_spec::sources::relative_to;

/// Whether the corpus gate builds full servers (needs the runtime's `server` feature) or models only.
pub const SERVER: bool = true;

/// One document to compile.
pub struct Document {
    /// How the document is shown (its path in the corpus).
    pub shown: String,
    /// Its IR.
    pub api: Api,
}

/// The verdict per document (`Err` holds the first problem).
pub type Verdicts = BTreeMap<String, Result<String, String>>;

/// What the gate does besides generating and building.
#[derive(Debug, Clone)]
pub struct GateOptions {
    /// Run the generated crates' tests.
    pub run_tests: bool,
    /// Also write and run the differential test in each crate (see [`crate::differential`]), with these limits.
    pub differential: Option<crate::differential::Limits>,
    /// The first word of the crate names (`corpus` → `corpus-v2-streetlights`).
    pub crate_prefix: &'static str,
    /// Generate full servers, not only the models.
    pub server: bool,
}

/// Everything the gate found.
#[derive(Debug, Default)]
pub struct GateReport {
    /// Build (and example test) verdict per document.
    pub verdicts: Verdicts,
    /// The differential cases written per document.
    pub plans: BTreeMap<String, crate::differential::PlanSummary>,
    /// What each document's differential test reported (for those whose test ran).
    pub differential: BTreeMap<String, crate::differential::Outcome>,
}

/// Generates, builds and (with `run_tests`) tests one crate per document under `scratch`.
pub fn compile_gate(
    repo: &Path,
    scratch: &Path,
    documents: &[Document],
    gate: &GateOptions,
) -> anyhow::Result<GateReport> {
    let crates_dir = scratch.join("crates");
    if crates_dir.exists() {
        std::fs::remove_dir_all(&crates_dir).with_context(|| crates_dir.display().to_string())?;
    }
    std::fs::create_dir_all(&crates_dir)?;
    let runtime = repo
        .join("crates/fastsocket")
        .canonicalize()
        .context("the runtime crate crates/fastsocket")?;
    let mut report = GateReport::default();
    let verdicts = &mut report.verdicts;
    let mut members = Vec::new();
    let mut by_crate: BTreeMap<String, String> = BTreeMap::new();
    let mut names = fastsocket_ir::naming::NameScope::new();
    for doc in documents {
        let crate_name = names.claim(&crate_name_for(gate.crate_prefix, &doc.shown));
        let dir = crates_dir.join(&crate_name);
        std::fs::create_dir_all(&dir)?;
        let options = RustOptions {
            crate_name: crate_name.clone(),
            runtime: RuntimeDependency::Path(relative_to(&runtime, &dir.canonicalize()?)),
            server: gate.server,
            mapping: None,
            ..RustOptions::default()
        };
        match fastsocket_codegen_rust::generate(&doc.api, &options) {
            Ok(output) => {
                for file in &output.files {
                    let path = dir.join(&file.path);
                    if let Some(parent) = path.parent() {
                        std::fs::create_dir_all(parent)?;
                    }
                    // Generated crates are workspaces of their own; here they are members of the scratch one.
                    let contents = if file.path == "Cargo.toml" {
                        file.contents.replace("\n[workspace]\n", "\n")
                    } else {
                        file.contents.clone()
                    };
                    std::fs::write(&path, contents)?;
                }
                if let Some(limits) = &gate.differential {
                    let plan = crate::differential::plan(&doc.api, limits);
                    crate::differential::write(&plan, &dir, &crate_name.replace('-', "_"))?;
                    report.plans.insert(doc.shown.clone(), plan.summary());
                }
                members.push(format!("crates/{crate_name}"));
                by_crate.insert(crate_name.clone(), doc.shown.clone());
                verdicts.insert(doc.shown.clone(), Ok("compiles clippy-clean".to_string()));
            }
            Err(err) => {
                verdicts.insert(doc.shown.clone(), Err(err.to_string()));
            }
        }
    }
    let manifest = format!(
        "# Written by `cargo xtask corpus --emit rust`: one crate per corpus document.\n[workspace]\nresolver = \"2\"\nmembers = [\n{}]\n\n[profile.dev]\ndebug = 0\n",
        members
            .iter()
            .map(|m| format!("  \"{m}\",\n"))
            .collect::<String>()
    );
    std::fs::write(scratch.join("Cargo.toml"), manifest)?;
    // The project's lock file pins the versions the runtime was tested with; the corpus gate's own lock, when
    // there is one, also pins what only generated crates use, so that every scratch workspace builds the same
    // dependencies, once, in the shared target folder.
    let lock = scratch.join("Cargo.lock");
    let corpus_lock = repo.join("target/corpus-rust/Cargo.lock");
    if !lock.exists() {
        if corpus_lock.exists() {
            std::fs::copy(&corpus_lock, &lock)?;
        } else if repo.join("Cargo.lock").exists() {
            std::fs::copy(repo.join("Cargo.lock"), &lock)?;
        }
    }
    let target = repo.join("target/corpus");
    clippy(scratch, &target, &by_crate, verdicts)?;
    if gate.run_tests {
        tests(scratch, &target, &by_crate, &mut report)?;
    }
    Ok(report)
}

/// The package a cargo message is about: the folder name of its manifest, which is the crate name here (the
/// target name would not do: every crate's differential test is a target named `differential`).
fn package_of(message: &serde_json::Value) -> Option<&str> {
    let manifest = Path::new(message["manifest_path"].as_str()?);
    manifest.parent()?.file_name()?.to_str()
}

/// `v2/spec-2.6.0-slack-rtm.yml` → `corpus-v2-spec-2-6-0-slack-rtm` (with the prefix `corpus`).
fn crate_name_for(prefix: &str, shown: &str) -> String {
    let stem = shown.rsplit_once('.').map_or(shown, |(s, _)| s);
    let words: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let joined = words
        .split('-')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    format!("{prefix}-{joined}")
}

/// Runs `cargo ARGS --message-format json --quiet -- RUSTC_ARGS` in the scratch workspace and returns its JSON
/// messages and whether it succeeded.
fn cargo_json(
    scratch: &Path,
    target: &Path,
    args: &[&str],
    rustc_args: &[&str],
) -> anyhow::Result<(Vec<serde_json::Value>, bool)> {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command
        .args(args)
        .args(["--message-format", "json", "--quiet"]);
    if !rustc_args.is_empty() {
        command.arg("--").args(rustc_args);
    }
    let mut child = command
        .current_dir(scratch)
        .env("CARGO_TARGET_DIR", target)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("running cargo {} in the scratch workspace", args.join(" ")))?;
    let stdout = child.stdout.take().context("cargo's output")?;
    let mut messages = Vec::new();
    for line in BufReader::new(stdout).lines() {
        if let Ok(message) = serde_json::from_str::<serde_json::Value>(&line?) {
            messages.push(message);
        }
    }
    Ok((messages, child.wait()?.success()))
}

fn clippy(
    scratch: &Path,
    target: &Path,
    by_crate: &BTreeMap<String, String>,
    verdicts: &mut Verdicts,
) -> anyhow::Result<()> {
    let args = ["clippy", "--workspace", "--all-targets", "--keep-going"];
    let (messages, ok) = cargo_json(scratch, target, &args, &["-D", "warnings"])?;
    for message in messages {
        if message["reason"] != "compiler-message" || message["message"]["level"] != "error" {
            continue;
        }
        let Some(shown) = package_of(&message).and_then(|c| by_crate.get(c)) else {
            continue;
        };
        let rendered = message["message"]["rendered"]
            .as_str()
            .unwrap_or("compile error")
            .to_string();
        let entry = verdicts
            .entry(shown.clone())
            .or_insert_with(|| Ok(String::new()));
        if entry.is_ok() {
            *entry = Err(rendered);
        }
    }
    if !ok && verdicts.values().all(Result::is_ok) {
        anyhow::bail!("cargo clippy failed without naming a crate (see above)");
    }
    Ok(())
}

/// Runs every crate's tests (the spec examples' round trips, and the differential test where there is one), one
/// test binary at a time, so that each failure belongs to its document.
fn tests(
    scratch: &Path,
    target: &Path,
    by_crate: &BTreeMap<String, String>,
    report: &mut GateReport,
) -> anyhow::Result<()> {
    let (messages, _) = cargo_json(
        scratch,
        target,
        &["test", "--workspace", "--no-run", "--no-fail-fast"],
        &[],
    )?;
    let mut binaries: Vec<(String, bool, PathBuf)> = Vec::new();
    for message in &messages {
        if message["reason"] != "compiler-artifact" || message["profile"]["test"] != true {
            continue;
        }
        let differential =
            message["target"]["kind"][0] == "test" && message["target"]["name"] == "differential";
        if let (Some(package), Some(exe)) = (package_of(message), message["executable"].as_str()) {
            binaries.push((package.to_string(), differential, PathBuf::from(exe)));
        }
    }
    let (mut passed, mut failed) = (0usize, 0usize);
    for (package, differential, exe) in binaries {
        let Some(shown) = by_crate.get(&package) else {
            continue;
        };
        if differential {
            let output = Command::new(&exe)
                .args(["--nocapture", "--quiet"])
                .output()
                .with_context(|| exe.display().to_string())?;
            let mut outcome =
                crate::differential::Outcome::parse(&String::from_utf8_lossy(&output.stdout));
            if outcome.error.is_some() {
                let stderr = String::from_utf8_lossy(&output.stderr);
                if let Some(panic) = stderr.lines().find(|l| l.contains("panicked")) {
                    outcome.error = Some(panic.to_string());
                }
            }
            report.differential.insert(shown.clone(), outcome);
            continue;
        }
        let output = Command::new(&exe)
            .arg("--quiet")
            .output()
            .with_context(|| exe.display().to_string())?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        for line in stdout.lines() {
            if let Some(rest) = line.strip_prefix("test result: ") {
                let counts: Vec<usize> = rest
                    .split([';', ' '])
                    .filter_map(|w| w.parse::<usize>().ok())
                    .collect();
                passed += counts.first().copied().unwrap_or(0);
                failed += counts.get(1).copied().unwrap_or(0);
            }
        }
        let entry = report
            .verdicts
            .entry(shown.clone())
            .or_insert_with(|| Ok(String::new()));
        match entry {
            // A crate has several test executables (lib, bin): report the verdict once.
            Ok(text) if output.status.success() => {
                if !text.ends_with(ROUND_TRIP) {
                    text.push_str(ROUND_TRIP);
                }
            }
            Ok(_) => {
                let first = stdout
                    .lines()
                    .find(|l| l.starts_with("---- ") || l.contains("panicked"))
                    .unwrap_or("tests failed");
                *entry = Err(format!("example test failed: {first}"));
            }
            Err(_) => {}
        }
    }
    println!("generated example tests: {passed} passed, {failed} failed");
    Ok(())
}

/// Appended to a crate's verdict when all its example test executables pass.
const ROUND_TRIP: &str = ", examples round-trip";
