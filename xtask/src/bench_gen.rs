//! `cargo xtask bench-gen`: fastsocket-gen against the AsyncAPI Initiative's generators on the same documents, in
//! one run on one machine. A benchmark, not a test: it prints a table (and writes it to `docs/benchmarks.md`).
//!
//! 1. Builds `fastsocket-gen` in release (`--smoke`: the debug build CI already has).
//! 2. Installs the anchors pinned in `bench/gen/package-lock.json` (@asyncapi/modelina, @asyncapi/generator) with
//!    `npm ci` into `target/bench-gen/npm/`, once per lock file, with the two driver scripts beside them.
//! 3. For each document of [`DOCUMENTS`] and each tool, runs the whole process `--runs` times (5 by default)
//!    into an empty folder, timing it (wall clock) and reading its peak RSS from `wait4` (`ru_maxrss`):
//!    - `fastsocket-gen all DOC --rust-out server --vue-out client`: the server crate and the Vue client in one
//!      process (the row the ratios are to), and the same as two processes, `fastsocket-gen rust DOC -o server`
//!      then `fastsocket-gen vue DOC -o client` (the time is their sum, the memory the larger peak);
//!    - `node modelina.mjs rust|typescript DOC OUT` (models only: a Cargo package, or TypeScript files);
//!    - `node generator.mjs DOC OUT` (the generator's baked-in JavaScript WebSocket client template).
//!
//!    A tool that exits non-zero has refused the document: its first error line is reported, not hidden.
//! 4. Checks that the Rust each tool wrote compiles (`cargo check`, each output its own crate: our server crate
//!    with the workspace's lock file, Modelina's package made a workspace of its own).
//! 5. Prints the table (median, min–max, peak RSS, files written, outcome, ratios to fastsocket-gen), and unless
//!    `--smoke` or `--no-write` writes it between the `bench-gen` markers of `docs/benchmarks.md`, with a plot in
//!    `docs/benchmarks/bench-gen.svg`.
//!
//! `--smoke` (CI): the small document, one run, fastsocket-gen only (installing the anchors takes over a minute
//! and their runs seconds each), no compile check, nothing written; it fails when a run fails or leaves out a
//! file the server crate or the client must have. `--baseline BIN` adds the rows of another fastsocket-gen binary
//! (an older build) to the same run, for before/after numbers.

use std::fmt::Write as _;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, bail, ensure};
use wait4::Wait4;

/// Arguments of `cargo xtask bench-gen`.
#[derive(Debug, clap::Args)]
pub struct BenchGenArgs {
    /// Runs of each tool on each document (the median is reported).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// A quick run for CI: the small document, one run, fastsocket-gen only (debug build), nothing written.
    #[arg(long)]
    smoke: bool,
    /// fastsocket-gen only: skip Modelina and the AsyncAPI generator.
    #[arg(long)]
    no_anchors: bool,
    /// Also time this fastsocket-gen binary (an older build, say) in the same run, as its own rows.
    #[arg(long, value_name = "BIN")]
    baseline: Option<PathBuf>,
    /// Print the table only: leave `docs/benchmarks.md` and the plot alone.
    #[arg(long)]
    no_write: bool,
    /// Skip `cargo check` of fastsocket-gen's server crates (the first one checks the whole server runtime: minutes
    /// on a busy machine). `cargo xtask corpus --emit rust` builds every corpus document's crate clippy-clean.
    #[arg(long)]
    no_check_ours: bool,
    /// The AsyncAPI corpus [default: `$FASTSOCKET_CORPUS`, else `../shared/asyncapi-corpus`].
    #[arg(long, value_name = "DIR")]
    corpus: Option<PathBuf>,
}

/// The documents, from the corpus (see its `SOURCES.md`): a label and the path.
const DOCUMENTS: &[(&str, &str)] = &[
    ("small: Postman echo (3.0)", "v3/generator-postman-echo.yml"),
    ("Slack RTM (2.6)", "v2/spec-2.6.0-slack-rtm.yml"),
    (
        "Kraken request/reply (3.0)",
        "v3/spec-3.0.0-kraken-websocket-request-reply-multiple-channels.yml",
    ),
    (
        "Socket.IO: sio-asyncapi chat (2.5)",
        "socketio/sio-asyncapi-2.5.0-chat_gpt_asyncapi.yaml",
    ),
    ("ZBOS MQTT (2.0)", "v2/parserjs-zbos_mqtt-all-asyncapi.json"),
];

/// The section of `docs/benchmarks.md` this task owns.
const START: &str = "<!-- bench-gen:start -->";
const END: &str = "<!-- bench-gen:end -->";

/// The npm packages whose versions the report names.
const PACKAGES: &[&str] = &[
    "@asyncapi/modelina",
    "@asyncapi/generator",
    "@asyncapi/generator-components",
];

/// The label of `--baseline`'s rows.
const BASELINE: &str = "fastsocket-gen rust + vue (baseline)";

/// One tool of the comparison.
#[derive(Debug, Clone, PartialEq)]
enum Tool {
    /// fastsocket-gen with this binary: `all` (one process) when `one_process`, else `rust` then `vue`.
    Ours {
        binary: PathBuf,
        label: String,
        one_process: bool,
    },
    /// Modelina's Rust models (a Cargo package).
    ModelinaRust,
    /// Modelina's TypeScript models.
    ModelinaTypescript,
    /// @asyncapi/generator with its baked-in JavaScript WebSocket client template.
    Generator,
}

impl Tool {
    fn name(&self) -> &str {
        match self {
            Tool::Ours { label, .. } => label,
            Tool::ModelinaRust => "Modelina, Rust models",
            Tool::ModelinaTypescript => "Modelina, TypeScript models",
            Tool::Generator => "AsyncAPI generator, JS WebSocket client",
        }
    }

    /// A short name for folders and logs.
    fn slug(&self, index: usize) -> String {
        match self {
            Tool::Ours { .. } => format!("fastsocket-gen-{index}"),
            Tool::ModelinaRust => "modelina-rust".into(),
            Tool::ModelinaTypescript => "modelina-ts".into(),
            Tool::Generator => "generator".into(),
        }
    }

    /// The processes of one run writing into `out`, in order.
    fn commands(&self, npm: &Path, doc: &Path, out: &Path) -> Vec<Command> {
        let node = |script: &str| {
            let mut command = Command::new("node");
            command.arg(npm.join(script)).current_dir(npm);
            command
        };
        match self {
            Tool::Ours {
                binary,
                one_process: true,
                ..
            } => {
                let mut all = Command::new(binary);
                all.arg("all")
                    .arg(doc)
                    .arg("--rust-out")
                    .arg(out.join("server"))
                    .arg("--vue-out")
                    .arg(out.join("client"));
                vec![all]
            }
            Tool::Ours { binary, .. } => {
                let mut rust = Command::new(binary);
                rust.arg("rust").arg(doc).arg("-o").arg(out.join("server"));
                let mut vue = Command::new(binary);
                vue.arg("vue").arg(doc).arg("-o").arg(out.join("client"));
                vec![rust, vue]
            }
            Tool::ModelinaRust | Tool::ModelinaTypescript => {
                let mut command = node("modelina.mjs");
                let language = if *self == Tool::ModelinaRust {
                    "rust"
                } else {
                    "typescript"
                };
                command.arg(language).arg(doc).arg(out);
                vec![command]
            }
            Tool::Generator => {
                let mut command = node("generator.mjs");
                command.arg(doc).arg(out);
                vec![command]
            }
        }
    }

    /// The crate folder of the Rust this tool writes into `out`, if it writes Rust.
    fn rust_crate(&self, out: &Path) -> Option<PathBuf> {
        match self {
            Tool::Ours { .. } => Some(out.join("server")),
            Tool::ModelinaRust => Some(out.to_path_buf()),
            Tool::ModelinaTypescript | Tool::Generator => None,
        }
    }
}

/// One run of one tool on one document.
#[derive(Debug, Clone)]
struct Sample {
    seconds: f64,
    peak_rss_bytes: u64,
    /// The first error line when a process exited non-zero.
    refused: Option<String>,
}

/// Every run of one tool on one document, and what became of its output.
#[derive(Debug)]
struct Row {
    document: usize,
    tool: usize,
    samples: Vec<Sample>,
    files: usize,
    /// `Some(Ok(()))` compiles, `Some(Err(first error))` does not, `None` not Rust or not checked.
    compiles: Option<Result<(), String>>,
}

impl Row {
    fn median(&self) -> f64 {
        median(self.samples.iter().map(|s| s.seconds).collect())
    }

    fn peak_rss(&self) -> u64 {
        self.samples
            .iter()
            .map(|s| s.peak_rss_bytes)
            .max()
            .unwrap_or(0)
    }

    fn refusal(&self) -> Option<(usize, &str)> {
        let refused: Vec<&str> = self
            .samples
            .iter()
            .filter_map(|s| s.refused.as_deref())
            .collect();
        refused.first().map(|first| (refused.len(), *first))
    }
}

pub fn run(args: &BenchGenArgs) -> anyhow::Result<bool> {
    let repo = crate::e2e::repo()?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo.join("target"));
    let corpus = args
        .corpus
        .clone()
        .or_else(|| std::env::var_os("FASTSOCKET_CORPUS").map(PathBuf::from))
        .unwrap_or_else(|| repo.join("../shared/asyncapi-corpus"));
    let documents: Vec<(&str, PathBuf)> = DOCUMENTS
        .iter()
        .take(if args.smoke { 1 } else { DOCUMENTS.len() })
        .map(|(label, path)| (*label, corpus.join(path)))
        .collect();
    for (_, path) in &documents {
        ensure!(path.is_file(), "missing corpus document {}", path.display());
    }
    let runs = if args.smoke { 1 } else { args.runs.max(1) };
    let anchors = !(args.smoke || args.no_anchors);
    let write = !(args.smoke || args.no_write);

    // The smoke run checks the pipeline, not the speed: the debug build CI already has.
    let work = repo.join("target/bench-gen");
    // A copy made right after the build: the target folder may be shared by several checkouts, and the last one to
    // build fastsocket-gen overwrites its `release/fastsocket-gen`.
    let binary = {
        let built = build_generator(&repo, &target, !args.smoke)?;
        fs::create_dir_all(&work)?;
        let copy = work.join(built.file_name().context("binary name")?);
        fs::copy(&built, &copy).with_context(|| copy.display().to_string())?;
        copy
    };
    let mut tools = vec![Tool::Ours {
        binary: binary.clone(),
        label: if args.smoke {
            "fastsocket-gen all (debug build)".into()
        } else {
            "fastsocket-gen all".into()
        },
        one_process: true,
    }];
    if !args.smoke {
        tools.push(Tool::Ours {
            binary: binary.clone(),
            label: "fastsocket-gen rust + vue".into(),
            one_process: false,
        });
    }
    if let Some(baseline) = &args.baseline {
        ensure!(
            baseline.is_file(),
            "no baseline binary at {}",
            baseline.display()
        );
        tools.push(Tool::Ours {
            binary: baseline.clone(),
            label: BASELINE.into(),
            one_process: false,
        });
    }
    let npm = work.join("npm");
    if anchors {
        prepare_anchors(&repo, &npm)?;
        tools.extend([
            Tool::ModelinaRust,
            Tool::ModelinaTypescript,
            Tool::Generator,
        ]);
    }

    let started = Instant::now();
    let mut rows = Vec::new();
    for (d, (label, doc)) in documents.iter().enumerate() {
        for (t, tool) in tools.iter().enumerate() {
            let out = work.join("out").join(tool.slug(t)).join(format!("doc{d}"));
            let log = work
                .join("logs")
                .join(format!("{}-doc{d}.log", tool.slug(t)));
            fs::create_dir_all(log.parent().context("log folder")?)?;
            let mut samples = Vec::new();
            for _ in 0..runs {
                samples.push(run_once(tool, &npm, doc, &out, &log)?);
            }
            let refused = samples.iter().any(|s| s.refused.is_some());
            if let Tool::Ours { .. } = tool {
                // Our own output must be there: a refusal or a missing file fails the benchmark.
                ensure!(
                    !refused,
                    "{} failed on {label}: {}",
                    tool.name(),
                    samples[0].refused.as_deref().unwrap_or_default()
                );
                check_ours(&out)?;
            }
            let files = count_files(&out);
            let skip_check =
                refused || args.smoke || (args.no_check_ours && matches!(tool, Tool::Ours { .. }));
            let compiles = match tool.rust_crate(&out) {
                Some(dir) if !skip_check => Some(cargo_check(&repo, &target, tool, &dir)?),
                _ => None,
            };
            let row = Row {
                document: d,
                tool: t,
                samples,
                files,
                compiles,
            };
            println!(
                "{label} · {}: median {} over {runs} run(s), peak RSS {}, {} file(s){}",
                tool.name(),
                millis(row.median()),
                megabytes(row.peak_rss()),
                row.files,
                match row.refusal() {
                    Some((n, why)) => format!(", refused in {n} run(s): {why}"),
                    None => String::new(),
                }
            );
            rows.push(row);
        }
    }
    println!("bench-gen took {:.0} s", started.elapsed().as_secs_f64());

    let labels: Vec<&str> = documents.iter().map(|(label, _)| *label).collect();
    let table = table(&rows, &tools, &labels, &documents);
    println!();
    println!("{table}");
    if write {
        let mut flags = vec![format!("--runs {runs}")];
        flags.extend(args.baseline.as_ref().map(|_| "--baseline BIN".to_string()));
        flags.extend(args.no_check_ours.then(|| "--no-check-ours".to_string()));
        flags.extend((!anchors).then(|| "--no-anchors".to_string()));
        let section = section(&binary, &npm, &tools, &table, &flags, anchors);
        write_section(&repo.join("docs/benchmarks.md"), &section)?;
        let svg = repo.join("docs/benchmarks/bench-gen.svg");
        plot(&svg, &rows, &tools, &labels)?;
        println!(
            "wrote docs/benchmarks.md (bench-gen section) and {}",
            svg.display()
        );
    }
    Ok(true)
}

/// One run of `tool` into an emptied `out`: the processes' summed wall time, their largest peak RSS, and the
/// first error line of the first process that failed.
fn run_once(tool: &Tool, npm: &Path, doc: &Path, out: &Path, log: &Path) -> anyhow::Result<Sample> {
    if out.exists() {
        fs::remove_dir_all(out).with_context(|| out.display().to_string())?;
    }
    fs::create_dir_all(out)?;
    let mut sample = Sample {
        seconds: 0.0,
        peak_rss_bytes: 0,
        refused: None,
    };
    for mut command in tool.commands(npm, doc, out) {
        let errors = File::create(log).with_context(|| log.display().to_string())?;
        let started = Instant::now();
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(errors)
            .spawn()
            .with_context(|| format!("cannot start {command:?}"))?;
        // `wait4`: the exit status and the kernel's high-water mark of the child's resident memory.
        let usage = child.wait4().context("wait4")?;
        sample.seconds += started.elapsed().as_secs_f64();
        sample.peak_rss_bytes = sample.peak_rss_bytes.max(usage.rusage.maxrss);
        if !usage.status.success() {
            let text = fs::read_to_string(log).unwrap_or_default();
            let line = text
                .lines()
                .map(str::trim)
                .find(|l| {
                    l.contains("rror") || l.starts_with("modelina:") || l.starts_with("generator:")
                })
                .or_else(|| text.lines().map(str::trim).find(|l| !l.is_empty()))
                .unwrap_or("no message")
                .chars()
                .take(160)
                .collect::<String>();
            sample.refused = Some(format!("{} ({})", line, usage.status));
            break;
        }
    }
    Ok(sample)
}

/// The files a server crate and a Vue client must have, non-empty.
fn check_ours(out: &Path) -> anyhow::Result<()> {
    for file in [
        "server/Cargo.toml",
        "server/src/generated/models.rs",
        "server/src/generated/server.rs",
        "client/package.json",
        "client/src/generated/client.ts",
        "client/src/generated/types.ts",
    ] {
        let path = out.join(file);
        let len = fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        ensure!(len > 0, "fastsocket-gen wrote no {}", path.display());
    }
    Ok(())
}

fn count_files(dir: &Path) -> usize {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|e| {
            let path = e.path();
            if path.is_dir() { count_files(&path) } else { 1 }
        })
        .sum()
}

/// `cargo check` of a crate a tool wrote: `Ok` when it compiles, else the first error line.
fn cargo_check(
    repo: &Path,
    target: &Path,
    tool: &Tool,
    dir: &Path,
) -> anyhow::Result<Result<(), String>> {
    match tool {
        // The generated crate is a workspace of its own; the workspace's lock file pins what the runtime was
        // tested with, as `cargo xtask e2e` does.
        Tool::Ours { .. } => {
            fs::copy(repo.join("Cargo.lock"), dir.join("Cargo.lock"))?;
        }
        // Modelina's package sits under our workspace's folder: a `[workspace]` table makes it its own.
        _ => {
            let manifest = dir.join("Cargo.toml");
            let mut text =
                fs::read_to_string(&manifest).with_context(|| manifest.display().to_string())?;
            if !text.contains("[workspace]") {
                text.push_str("\n[workspace]\n");
                fs::write(&manifest, text)?;
            }
        }
    }
    println!("cargo check {}", dir.display());
    let output = Command::new(crate::e2e::cargo())
        .args([
            "check",
            "--quiet",
            "--message-format=short",
            "--manifest-path",
        ])
        .arg(dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", target.join("bench-gen-check"))
        .stdout(Stdio::null())
        .output()
        .context("running cargo check")?;
    if output.status.success() {
        return Ok(Ok(()));
    }
    let text = String::from_utf8_lossy(&output.stderr);
    let errors = text.lines().filter(|l| l.contains("error")).count();
    let first = text
        .lines()
        .find(|l| l.contains("error"))
        .unwrap_or("cargo check failed")
        .trim()
        .to_string();
    Ok(Err(format!("{errors} error line(s), first: {first}")))
}

/// `cargo build -p fastsocket-gen` (`--release` when `release`); the binary.
fn build_generator(repo: &Path, target: &Path, release: bool) -> anyhow::Result<PathBuf> {
    let mut cargo = Command::new(crate::e2e::cargo());
    cargo.args(["build", "--quiet", "-p", "fastsocket-gen"]);
    if release {
        cargo.arg("--release");
    }
    let status = cargo
        .current_dir(repo)
        .status()
        .context("running cargo build")?;
    ensure!(status.success(), "fastsocket-gen does not build: {status}");
    let binary = target
        .join(if release { "release" } else { "debug" })
        .join(format!("fastsocket-gen{}", std::env::consts::EXE_SUFFIX));
    ensure!(binary.exists(), "no binary at {}", binary.display());
    Ok(binary)
}

/// The pinned anchors in `npm`: the manifest, lock file and driver scripts of `bench/gen/` copied over when they
/// changed (an unchanged lock file keeps its date, so `npm ci` runs once), then `npm ci`.
fn prepare_anchors(repo: &Path, npm: &Path) -> anyhow::Result<()> {
    let version = Command::new("node")
        .arg("--version")
        .output()
        .context("node is not installed (the anchors run on Node; --no-anchors skips them)")?;
    ensure!(version.status.success(), "node --version failed");
    fs::create_dir_all(npm)?;
    for file in [
        "package.json",
        "package-lock.json",
        "modelina.mjs",
        "generator.mjs",
    ] {
        let source = repo.join("bench/gen").join(file);
        let text = fs::read(&source).with_context(|| source.display().to_string())?;
        let copy = npm.join(file);
        if fs::read(&copy).ok().as_deref() != Some(text.as_slice()) {
            fs::write(&copy, text)?;
        }
    }
    let started = Instant::now();
    crate::e2e::npm_ci(npm)?;
    println!(
        "anchors ready in {} ({:.0} s)",
        npm.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The Markdown table: one row per document and tool, ratios to the first tool (fastsocket-gen).
fn table(rows: &[Row], tools: &[Tool], labels: &[&str], documents: &[(&str, PathBuf)]) -> String {
    let mut out = String::new();
    out.push_str("| document | tool | median | min–max | peak RSS | files | outcome | Rust compiles | time × ours | memory × ours |\n");
    out.push_str("| --- | --- | ---: | ---: | ---: | ---: | --- | --- | ---: | ---: |\n");
    let mut notes = Vec::new();
    for row in rows {
        let ours = rows
            .iter()
            .find(|r| r.document == row.document && r.tool == 0)
            .expect("fastsocket-gen runs first on every document");
        let tool = &tools[row.tool];
        let (lo, hi) = row.samples.iter().fold((f64::MAX, 0.0f64), |(lo, hi), s| {
            (lo.min(s.seconds), hi.max(s.seconds))
        });
        let size = fs::metadata(&documents[row.document].1).map_or(0, |m| m.len());
        let document = if row.tool == 0 {
            format!("{} ({:.0} KB)", labels[row.document], size as f64 / 1024.0)
        } else {
            String::new()
        };
        let outcome = match row.refusal() {
            None => "ok".to_string(),
            Some((n, why)) => {
                notes.push(format!(
                    "{} on {}: {why}",
                    tool.name(),
                    labels[row.document]
                ));
                format!("refused ({n}/{} runs) [{}]", row.samples.len(), notes.len())
            }
        };
        let compiles = match &row.compiles {
            None if matches!(tool, Tool::Ours { .. } | Tool::ModelinaRust) => {
                "not checked".to_string()
            }
            None => "—".to_string(),
            Some(Ok(())) => "yes".to_string(),
            Some(Err(why)) => {
                notes.push(format!(
                    "{} on {}: {why}",
                    tool.name(),
                    labels[row.document]
                ));
                format!("no [{}]", notes.len())
            }
        };
        let (time_ratio, memory_ratio) = if row.tool == 0 {
            ("1".to_string(), "1".to_string())
        } else if row.refusal().is_some() {
            ("—".to_string(), "—".to_string())
        } else {
            (
                format!("{:.0}×", row.median() / ours.median()),
                format!(
                    "{:.1}×",
                    row.peak_rss() as f64 / ours.peak_rss().max(1) as f64
                ),
            )
        };
        let _ = writeln!(
            out,
            "| {document} | {} | {} | {}–{} | {} | {} | {outcome} | {compiles} | {time_ratio} | {memory_ratio} |",
            tool.name(),
            millis(row.median()),
            millis(lo),
            millis(hi),
            megabytes(row.peak_rss()),
            row.files,
        );
    }
    if !notes.is_empty() {
        out.push('\n');
        for (i, note) in notes.iter().enumerate() {
            let _ = writeln!(out, "[{}] {}  ", i + 1, note.replace('|', "\\|"));
        }
    }
    out
}

/// The whole section of `docs/benchmarks.md`: how the numbers were made, then the table.
fn section(
    binary: &Path,
    npm: &Path,
    tools: &[Tool],
    table: &str,
    flags: &[String],
    anchors: bool,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{START}");
    out.push_str("## Generator: fastsocket-gen against Modelina and the AsyncAPI generator\n\n");
    out.push_str(
        "`cargo xtask bench-gen` (`--smoke` in CI: the small document, one run of the debug build, fastsocket-gen \
         only). Each tool runs as a whole process into an empty folder, ",
    );
    let runs = flags
        .iter()
        .find_map(|f| f.strip_prefix("--runs "))
        .unwrap_or("5");
    let _ = write!(out, "{runs} times per document; ");
    out.push_str(
        "the table gives the median wall time, the fastest and slowest run, and the peak resident memory (`wait4`'s \
         `ru_maxrss`, the largest over the runs). fastsocket-gen is `fastsocket-gen all DOC --rust-out server \
         --vue-out client` (the server crate and the Vue client in one process: the document loaded once, the two \
         emitters side by side; the ratios are to this row), and \"rust + vue\" the same binary as two processes, \
         `fastsocket-gen rust DOC -o server` then `fastsocket-gen vue DOC -o client` (each loading the document; \
         their times added, the larger peak). The anchors, pinned in `bench/gen/package-lock.json` and \
         driven by `bench/gen/*.mjs`: Modelina's Rust models (a Cargo package) and its TypeScript models, and \
         @asyncapi/generator's baked-in JavaScript WebSocket client template (`core-template-client-websocket-javascript`, \
         given the document's first server; the generator's other baked-in clients are Python, Dart and Java). \
         \"Rust compiles\" is `cargo check` of the crate a tool wrote (\"not checked\": skipped by \
         `--no-check-ours` or after a refusal; `cargo xtask corpus --emit rust` builds every corpus document's server \
         crate clippy-clean). A refusal is a non-zero exit, with the \
         tool's first error line below the table.\n\n",
    );
    let machine = machine();
    let _ = writeln!(out, "- Machine: {machine}");
    let _ = writeln!(out, "- {}", command_line(binary, &["--version"]));
    if let Some(Tool::Ours { binary, .. }) = tools
        .iter()
        .find(|t| matches!(t, Tool::Ours { label, .. } if label == BASELINE))
    {
        let _ = writeln!(out, "- baseline: {}", command_line(binary, &["--version"]));
    }
    let _ = writeln!(
        out,
        "- {}",
        command_line(Path::new("rustc"), &["--version"])
    );
    if anchors {
        let _ = writeln!(
            out,
            "- Node {}",
            command_line(Path::new("node"), &["--version"])
        );
        for package in PACKAGES {
            let manifest = npm.join("node_modules").join(package).join("package.json");
            let found = fs::read_to_string(&manifest)
                .ok()
                .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
                .and_then(|v| v["version"].as_str().map(str::to_owned));
            // The template's own copy (see bench/gen/package.json: overrides) wins over the hoisted one.
            let nested = npm
                .join("node_modules/@asyncapi/generator/node_modules")
                .join(package)
                .join("package.json");
            let nested = fs::read_to_string(&nested)
                .ok()
                .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
                .and_then(|v| v["version"].as_str().map(str::to_owned));
            if let Some(version) = nested.or(found) {
                let _ = writeln!(out, "- {package} {version}");
            }
        }
    }
    let _ = writeln!(
        out,
        "- Measured {} UTC, in the same run for every row.",
        now()
    );
    let _ = writeln!(
        out,
        "- Command: `cargo xtask bench-gen {}`\n",
        flags.join(" ")
    );
    out.push_str(table);
    out.push_str(
        "\n![Median wall time per document and tool, log scale](benchmarks/bench-gen.svg)\n",
    );
    let _ = writeln!(out, "{END}");
    out
}

/// Replaces the text between the markers (kept) of `path`, or appends the section when they are missing.
fn write_section(path: &Path, section: &str) -> anyhow::Result<()> {
    let text = fs::read_to_string(path).with_context(|| path.display().to_string())?;
    let updated = match (text.find(START), text.find(END)) {
        (Some(start), Some(end)) if start < end => {
            format!(
                "{}{}{}",
                &text[..start],
                section.trim_end(),
                &text[end + END.len()..]
            )
        }
        (None, None) => format!(
            "{}\n{}",
            text.trim_end_matches('\n').to_owned() + "\n",
            section
        ),
        _ => bail!("{}: the bench-gen markers are broken", path.display()),
    };
    fs::write(path, updated)?;
    Ok(())
}

/// CPU model, cores, kernel, and the load when the run started (the machine is shared).
fn machine() -> String {
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_string())
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load = fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_default();
    let kernel = command_line(Path::new("uname"), &["-sr"]);
    format!("{model}, {cores} cores, {kernel}; load average {load} when the table was written")
}

/// The first line a command prints, or a note that it could not run.
fn command_line(program: &Path, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .next()
                .map(|l| l.trim().to_string())
        })
        .unwrap_or_else(|| format!("{} (not found)", program.display()))
}

fn now() -> String {
    command_line(Path::new("date"), &["-u", "+%Y-%m-%d %H:%M"])
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => 0.0,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

fn millis(seconds: f64) -> String {
    let ms = seconds * 1000.0;
    if ms >= 1000.0 {
        format!("{:.2} s", seconds)
    } else if ms >= 10.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

fn megabytes(bytes: u64) -> String {
    format!("{:.0} MB", bytes as f64 / 1e6)
}

/// Grouped bars of the median wall time, one group per document, one bar per tool, on a log scale (the tools
/// differ by orders of magnitude); a refused run gets no bar but a cross on the axis.
fn plot(path: &Path, rows: &[Row], tools: &[Tool], labels: &[&str]) -> anyhow::Result<()> {
    use plotters::prelude::*;

    fs::create_dir_all(path.parent().context("plot folder")?)?;
    let millis: Vec<f64> = rows.iter().map(|r| r.median() * 1000.0).collect();
    let top = millis.iter().copied().fold(1.0, f64::max) * 3.0;
    let bottom = millis.iter().copied().fold(top, f64::min).clamp(0.1, 1.0) / 2.0;
    let root = SVGBackend::new(path, (1000, 520)).into_drawing_area();
    root.fill(&WHITE).map_err(plot_error)?;
    let groups = labels.len() as f64;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "AsyncAPI generators: median wall time per document (log scale, lower is better)",
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(-0.5..groups - 0.5, (bottom..top).log_scale())
        .map_err(plot_error)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(labels.len())
        .x_label_formatter(&|x| {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 {
                labels
                    .get(i as usize)
                    .map_or_else(String::new, |l| (*l).to_string())
            } else {
                String::new()
            }
        })
        .y_desc("milliseconds")
        .y_label_formatter(&|y| format!("{y}"))
        .draw()
        .map_err(plot_error)?;
    let width = 0.8 / tools.len() as f64;
    for (t, tool) in tools.iter().enumerate() {
        let color = Palette99::pick(t).to_rgba();
        let bars = rows
            .iter()
            .zip(&millis)
            .filter(|(r, _)| r.tool == t)
            .map(|(r, ms)| {
                let x0 = r.document as f64 - 0.4 + t as f64 * width;
                if r.refusal().is_some() {
                    // No time to show: a thin outline at the bottom marks the refusal.
                    Rectangle::new(
                        [(x0, bottom), (x0 + width * 0.9, bottom * 1.3)],
                        color.stroke_width(2),
                    )
                } else {
                    Rectangle::new([(x0, bottom), (x0 + width * 0.9, *ms)], color.filled())
                }
            });
        chart
            .draw_series(bars)
            .map_err(plot_error)?
            .label(tool.name())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], color.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .border_style(BLACK)
        .background_style(WHITE.mix(0.9))
        .draw()
        .map_err(plot_error)?;
    root.present().map_err(plot_error)?;
    Ok(())
}

fn plot_error<E: std::fmt::Display>(err: E) -> anyhow::Error {
    anyhow::anyhow!("plotting: {err}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(Vec::new()), 0.0);
    }

    #[test]
    fn the_section_is_replaced_between_its_markers_or_appended() {
        let dir = std::env::temp_dir().join(format!("bench-gen-doc-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("benchmarks.md");
        fs::write(&path, "# Benchmarks\n\nother\n").unwrap();
        write_section(&path, &format!("{START}\none\n{END}\n")).unwrap();
        write_section(&path, &format!("{START}\ntwo\n{END}\n")).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            format!("# Benchmarks\n\nother\n\n{START}\ntwo\n{END}\n")
        );
        fs::write(&path, format!("{END}\n{START}\n")).unwrap();
        assert!(write_section(&path, "x").is_err());
        let _ = fs::remove_dir_all(&dir);
    }
}
