//! Conformance over a folder of real AsyncAPI documents.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Args;
use fastsocket_spec::{Input, LoadError, LoadOptions};

/// Arguments of `cargo xtask corpus`.
#[derive(Debug, Args)]
pub struct CorpusArgs {
    /// The folder of documents (`$ref`s may reach anywhere below it).
    dir: PathBuf,
    /// Also validate each document against the official AsyncAPI JSON Schemas found in this folder
    /// (`asyncapi-2.6.0-without-id.json`, `asyncapi-3.0.0-without-id.json`) and report where the verdicts differ.
    #[arg(long, value_name = "SCHEMAS_DIR")]
    cross_check: Option<PathBuf>,
    /// Print every diagnostic, not only the first.
    #[arg(long)]
    verbose: bool,
    /// Also generate code for every document that loads, and build it: `rust` generates one crate per document
    /// into `target/corpus-rust/`, then runs `cargo clippy -D warnings` and the generated example tests there;
    /// `vue` generates one Vue client per document into `target/corpus-vue/`, type-checks them all with one
    /// `vue-tsc --noEmit` (strict) and runs all their generated Vitest specs with one `vitest run`.
    #[arg(long, value_enum)]
    emit: Option<Emit>,
    /// With `--emit rust`: build only, do not run the generated tests.
    #[arg(long, conflicts_with = "differential")]
    no_tests: bool,
    /// With `--emit rust`: also compare each generated validator with the `jsonschema` crate on cases built from
    /// the document's types (examples, synthesised values, boundary mutations); see `cargo xtask differential`.
    #[arg(long, requires = "emit")]
    differential: bool,
    #[command(flatten)]
    limits: crate::differential::Limits,
}

/// What `--emit` generates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Emit {
    /// Rust crates (models, validators, example tests).
    Rust,
    /// Vue/TypeScript clients (types, validators, client, composables, components, Vitest specs).
    Vue,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Ok,
    Error,
}

/// A document of the corpus and what it should do.
pub(crate) struct Entry {
    /// Its path.
    pub(crate) path: PathBuf,
    expect: Expect,
}

impl Entry {
    /// Whether it is expected to load.
    pub(crate) fn expect_ok(&self) -> bool {
        self.expect == Expect::Ok
    }
}

/// Runs the check; `Ok(true)` when every document behaved as expected.
pub fn run(args: &CorpusArgs) -> anyhow::Result<bool> {
    let dir = args
        .dir
        .canonicalize()
        .with_context(|| format!("corpus folder {}", args.dir.display()))?;
    let entries = entries(&dir)?;
    if entries.is_empty() {
        bail!("no AsyncAPI documents under {}", dir.display());
    }
    let cross = args
        .cross_check
        .as_deref()
        .map(OfficialSchemas::read)
        .transpose()?;
    let options = LoadOptions {
        ref_root: Some(dir.clone()),
        url_map: Vec::new(),
        strict: false,
    };
    let (mut passed, mut failed) = (0usize, 0usize);
    let mut disagreements = Vec::new();
    let mut to_emit: Vec<crate::emit_rust::Document> = Vec::new();
    let started = Instant::now();
    for entry in &entries {
        let shown = entry
            .path
            .strip_prefix(&dir)
            .unwrap_or(&entry.path)
            .display()
            .to_string();
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            fastsocket_spec::load(&Input::Path(entry.path.clone()), &options)
        }));
        let (ok, line, loaded) = match (entry.expect, &outcome) {
            (_, Err(_)) => (false, "PANIC while loading".to_string(), None),
            (Expect::Ok, Ok(Ok(loaded))) => {
                if args.emit.is_some() {
                    to_emit.push(crate::emit_rust::Document {
                        shown: shown.clone(),
                        api: loaded.api.clone(),
                    });
                }
                let warnings = loaded.report.warnings().count();
                (
                    true,
                    format!(
                        "loaded ({} channels, {} messages, {} types, {warnings} warnings)",
                        loaded.api.channels.len(),
                        loaded.api.messages.len(),
                        loaded.api.types.len()
                    ),
                    Some(true),
                )
            }
            (Expect::Ok, Ok(Err(err))) => (
                false,
                format!("expected to load, refused: {}", first_problem(err)),
                Some(false),
            ),
            (Expect::Error, Ok(Ok(_))) => (
                false,
                "expected a located error, but it loaded".to_string(),
                Some(true),
            ),
            (Expect::Error, Ok(Err(LoadError::Invalid(report)))) => {
                let located = report.errors().all(|d| d.line > 0 && d.column > 0);
                let first = report.errors().next().map(one_line).unwrap_or_default();
                if located && report.errors().next().is_some() {
                    (true, format!("refused as expected: {first}"), Some(false))
                } else {
                    (
                        false,
                        format!("refused without a located error: {first}"),
                        Some(false),
                    )
                }
            }
            (Expect::Error, Ok(Err(err))) => (
                false,
                format!("refused without a located error: {err}"),
                Some(false),
            ),
        };
        if ok {
            passed += 1;
        } else {
            failed += 1;
        }
        println!("{} {shown}: {line}", if ok { "ok  " } else { "FAIL" });
        if args.verbose {
            let diagnostics = match &outcome {
                Ok(Ok(loaded)) => &loaded.report.diagnostics[..],
                Ok(Err(LoadError::Invalid(report))) => &report.diagnostics[..],
                _ => &[],
            };
            for d in diagnostics {
                print!("{}", d.render(false));
            }
        }
        if let (Some(cross), Some(ours)) = (&cross, loaded)
            && let Some((official, complaint)) = cross.verdict(&entry.path)
            && official != ours
        {
            disagreements.push(format!(
                "{shown}: we {} it, the official JSON Schema {} it{}",
                if ours { "load" } else { "refuse" },
                if official { "accepts" } else { "rejects" },
                if complaint.is_empty() {
                    String::new()
                } else {
                    format!(" ({complaint})")
                }
            ));
        }
    }
    if cross.is_some() {
        println!(
            "cross-check with the official JSON Schemas: {} disagreement(s)",
            disagreements.len()
        );
        for d in &disagreements {
            println!("  {d}");
        }
    }
    if args.emit == Some(Emit::Rust) {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let scratch = repo.join("target/corpus-rust");
        std::fs::create_dir_all(&scratch)?;
        let gate = crate::emit_rust::GateOptions {
            run_tests: !args.no_tests,
            differential: args.differential.then_some(args.limits),
            crate_prefix: "corpus",
            server: crate::emit_rust::SERVER,
        };
        let report = crate::emit_rust::compile_gate(&repo, &scratch, &to_emit, &gate)?;
        for (shown, verdict) in &report.verdicts {
            match verdict {
                Ok(what) => println!("ok   rust {shown}: {what}"),
                Err(why) => {
                    let first = why.lines().take(8).collect::<Vec<_>>().join("\n       ");
                    println!("FAIL rust {shown}: {first}");
                    passed -= 1;
                    failed += 1;
                }
            }
        }
        if args.differential {
            let differing = crate::differential::report(&to_emit, &report, "differential ");
            passed -= differing.len();
            failed += differing.len();
        }
    }
    if args.emit == Some(Emit::Vue) {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let scratch = repo.join("target/corpus-vue");
        for (shown, verdict) in crate::vue::corpus_gate(&repo, &scratch, &to_emit)? {
            match verdict {
                Ok(what) => println!("ok   vue {shown}: {what}"),
                Err(why) => {
                    let first = why.lines().take(8).collect::<Vec<_>>().join("\n       ");
                    println!("FAIL vue {shown}: {first}");
                    passed -= 1;
                    failed += 1;
                }
            }
        }
    }
    println!(
        "corpus: {} documents in {:.2?}",
        entries.len(),
        started.elapsed()
    );
    println!("{passed} passed, {failed} failed");
    Ok(failed == 0)
}

fn first_problem(err: &LoadError) -> String {
    match err {
        LoadError::Invalid(report) => report
            .errors()
            .next()
            .map(one_line)
            .unwrap_or_else(|| err.to_string()),
        other => other.to_string(),
    }
}

fn one_line(d: &fastsocket_spec::Diagnostic) -> String {
    let pointer = if d.pointer.is_empty() {
        "/"
    } else {
        &d.pointer
    };
    format!(
        "{}:{}:{} (#{pointer}) {}",
        d.file, d.line, d.column, d.message
    )
}

/// The entry documents of a corpus folder: those MANIFEST.tsv lists, else every AsyncAPI document (expected to
/// fail under folders named `invalid`), sorted by path.
pub(crate) fn entries(dir: &Path) -> anyhow::Result<Vec<Entry>> {
    let manifest = dir.join("MANIFEST.tsv");
    if manifest.exists() {
        let text = std::fs::read_to_string(&manifest)?;
        let mut out = Vec::new();
        for (n, line) in text.lines().enumerate().skip(1) {
            let cols: Vec<&str> = line.split('\t').collect();
            let (Some(path), Some(expect)) = (cols.first(), cols.get(1)) else {
                continue;
            };
            let expect = match *expect {
                "ok" => Expect::Ok,
                "error" => Expect::Error,
                other => bail!(
                    "MANIFEST.tsv line {}: expect must be ok or error, found `{other}`",
                    n + 1
                ),
            };
            out.push(Entry {
                path: dir.join(path),
                expect,
            });
        }
        return Ok(out);
    }
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for item in std::fs::read_dir(&folder)? {
            let path = item?.path();
            if path.is_dir() {
                stack.push(path);
            } else if is_asyncapi_document(&path) {
                let invalid = path
                    .strip_prefix(dir)
                    .unwrap_or(&path)
                    .components()
                    .any(|c| c.as_os_str() == "invalid");
                out.push(Entry {
                    path,
                    expect: if invalid { Expect::Error } else { Expect::Ok },
                });
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

fn is_asyncapi_document(path: &Path) -> bool {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default();
    if !matches!(ext, "yaml" | "yml" | "json") {
        return false;
    }
    let Ok(text) = std::fs::read_to_string(path) else {
        return false;
    };
    text.lines()
        .any(|l| l.starts_with("asyncapi:") || l.trim_start().starts_with("\"asyncapi\""))
}

/// The official AsyncAPI JSON Schemas, for a second opinion on structural validity.
struct OfficialSchemas {
    by_major: BTreeMap<u8, jsonschema::Validator>,
}

impl OfficialSchemas {
    fn read(dir: &Path) -> anyhow::Result<Self> {
        let mut by_major = BTreeMap::new();
        for (major, file) in [
            (2u8, "asyncapi-2.6.0-without-id.json"),
            (3, "asyncapi-3.0.0-without-id.json"),
        ] {
            let path = dir.join(file);
            let schema: serde_json::Value = serde_json::from_str(
                &std::fs::read_to_string(&path).with_context(|| path.display().to_string())?,
            )?;
            // Formats are annotations in draft-07, as the official tooling treats them.
            let validator = jsonschema::options()
                .should_validate_formats(false)
                .build(&schema)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            by_major.insert(major, validator);
        }
        Ok(OfficialSchemas { by_major })
    }

    /// Whether the official schema accepts the document as written, with its first complaint (`None` when it
    /// cannot be read).
    fn verdict(&self, path: &Path) -> Option<(bool, String)> {
        let text = std::fs::read_to_string(path).ok()?;
        let (node, _) = fastsocket_spec::syntax::parse(&text);
        let mut value = node?.to_json();
        let major = value
            .get("asyncapi")?
            .as_str()?
            .split('.')
            .next()?
            .parse::<u8>()
            .ok()?;
        // Only the newest schema of each line is at hand; older 2.x documents are valid 2.6 documents once their
        // version says so (2.x minors only added fields).
        let newest = if major == 2 { "2.6.0" } else { "3.0.0" };
        value["asyncapi"] = serde_json::Value::String(newest.to_string());
        let validator = self.by_major.get(&major)?;
        let first = validator
            .iter_errors(&value)
            .next()
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .unwrap_or_default();
        Some((first.is_empty(), first))
    }
}
