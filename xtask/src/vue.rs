//! The Vue emitter, checked the way a user runs it: generate, then `vue-tsc --noEmit`, `vitest run` and
//! `vite build` with the pinned toolchain of `tests/vue/` (installed once with `npm ci`, linked into each project).
//!
//! `cargo xtask vue` does this for our own specs, with the type tests of `tests/vue/type-tests.ts` and the
//! cross-check of the TypeScript validators against the Rust validators' verdicts (`tests/vue/crosscheck.test.ts`
//! on the differential test's cases), and an accessibility scan of every built dashboard (axe-core in Chromium,
//! light and dark, and no sideways scrolling at 390 px: `tests/browser/dashboards.mjs`). `cargo xtask corpus DIR --emit vue` type-checks and tests every valid
//! document of a folder in one `vue-tsc` and one `vitest` run ([`corpus_gate`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Args;
use fastsocket_codegen_vue::{VueOptions, generate};
use fastsocket_gen::write::{WriteMode, write_files};
use fastsocket_ir::Api;
use fastsocket_ir::json_schema::{def_name, to_json_schema_bundle};
use fastsocket_spec::{Input, LoadOptions};
use serde_json::{Value, json};

use crate::differential::{Exception, Limits, named_roots, plan};

/// Arguments of `cargo xtask vue`.
#[derive(Debug, Args)]
pub struct VueArgs {
    /// Skip `vite build` (type-check and tests only).
    #[arg(long)]
    no_build: bool,
}

/// The largest integer every JavaScript number holds exactly; cases with larger integers are judged on a
/// different number in JavaScript and are left out of the cross-check.
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// Runs `cargo xtask vue`; `Ok(true)` when every step passed.
pub fn run(args: &VueArgs) -> anyhow::Result<bool> {
    let started = Instant::now();
    let repo = repo()?;
    let node_modules = toolchain(&repo)?;
    let scratch = repo.join("target/vue");
    let (mut passed, mut failed) = (0usize, 0usize);
    let mut count = |ok: bool, line: String| {
        println!("{} {line}", if ok { "ok  " } else { "FAIL" });
        if ok {
            passed += 1;
        } else {
            failed += 1;
        }
    };
    // (compared, disagreements, left out) over all specs, for the summary.
    let mut crosschecked = (0usize, 0usize, 0usize);
    // Built dashboards, `name=dist`, for the accessibility scan.
    let mut built: Vec<String> = Vec::new();
    for path in crate::our_specs(&repo)? {
        let shown = format!(
            "specs/{}",
            path.strip_prefix(repo.join("specs"))
                .unwrap_or(&path)
                .display()
        );
        let api = match fastsocket_spec::load(&Input::Path(path.clone()), &LoadOptions::default()) {
            Ok(loaded) => loaded.api,
            Err(err) => {
                count(false, format!("vue {shown}: does not load: {err}"));
                continue;
            }
        };
        let name = shown
            .trim_start_matches("specs/")
            .replace('/', "__")
            .replace('.', "_");
        let dir = scratch.join(&name);
        // A fresh project: the user-owned files of an earlier run (App.vue, …) would otherwise be kept, and the
        // checks would judge the templates of that run.
        if dir.exists() {
            std::fs::remove_dir_all(&dir).with_context(|| dir.display().to_string())?;
        }
        if let Err(err) = generate_project(&api, &dir, &name) {
            count(false, format!("vue {shown}: generation failed: {err:#}"));
            continue;
        }
        link(&node_modules, &dir.join("node_modules"))?;
        // The type tests use the chat document's types.
        if shown == "specs/chat-socketio.yaml" {
            std::fs::copy(
                repo.join("tests/vue/type-tests.ts"),
                dir.join("src/type-tests.ts"),
            )?;
        }
        let crosscheck = write_crosscheck(&api, &dir, &repo)?;
        let typecheck = npx(&dir, "vue-tsc", &["--noEmit"]);
        count(
            typecheck.is_ok(),
            format!(
                "vue {shown}: vue-tsc --noEmit (strict){}",
                describe_failure(&typecheck)
            ),
        );
        let tests = vitest(&dir, &dir);
        match &tests {
            Ok(report) => {
                let ok = report.failed == 0 && report.passed > 0;
                count(
                    ok,
                    format!(
                        "vue {shown}: vitest {} passed, {} failed{}",
                        report.passed,
                        report.failed,
                        report.first_failure()
                    ),
                );
            }
            Err(err) => count(false, format!("vue {shown}: vitest: {err:#}")),
        }
        if let Some((cases, skipped)) = crosscheck {
            let result = read_crosscheck_result(&dir);
            let ok = matches!(&result, Ok((compared, 0)) if *compared == cases);
            if let Ok((compared, disagreements)) = &result {
                crosschecked.0 += compared;
                crosschecked.1 += disagreements;
            }
            crosschecked.2 += skipped;
            count(
                ok,
                format!(
                    "vue {shown}: validators agree with the Rust validators: {} ({skipped} cases with integers beyond 2^53 left out)",
                    match &result {
                        Ok((compared, disagreements)) => format!(
                            "{compared} of {cases} cases compared, {disagreements} disagreements"
                        ),
                        Err(err) => format!("no result: {err:#}"),
                    }
                ),
            );
        }
        if !args.no_build {
            let build = npx(&dir, "vite", &["build", "--logLevel", "error"]);
            if build.is_ok() {
                built.push(format!("{shown}={}", dir.join("dist").display()));
            }
            count(
                build.is_ok(),
                format!("vue {shown}: vite build{}", describe_failure(&build)),
            );
        }
    }
    if !built.is_empty() {
        match accessibility_scan(&repo, &built) {
            Ok(lines) => {
                for (ok, line) in lines {
                    count(ok, format!("vue {line}"));
                }
            }
            Err(err) => count(false, format!("vue accessibility scan: {err:#}")),
        }
    }
    println!(
        "cross-check: {} cases compared, {} disagreements ({} cases with integers beyond 2^53 left out)",
        crosschecked.0, crosschecked.1, crosschecked.2
    );
    println!("vue: our specs in {:.2?}", started.elapsed());
    println!("{passed} passed, {failed} failed");
    Ok(failed == 0)
}

/// Generates every document into `scratch/<name>/`, then type-checks all projects with one `vue-tsc` and runs
/// all their generated tests with one `vitest`; a verdict per document.
pub fn corpus_gate(
    repo: &Path,
    scratch: &Path,
    documents: &[crate::emit_rust::Document],
) -> anyhow::Result<BTreeMap<String, Result<String, String>>> {
    let node_modules = toolchain(repo)?;
    if scratch.exists() {
        std::fs::remove_dir_all(scratch).with_context(|| scratch.display().to_string())?;
    }
    std::fs::create_dir_all(scratch)?;
    // Vitest reports real paths; the folders are matched against them.
    let scratch = &scratch
        .canonicalize()
        .with_context(|| scratch.display().to_string())?;
    link(&node_modules, &scratch.join("node_modules"))?;
    let mut verdicts: BTreeMap<String, Result<String, String>> = BTreeMap::new();
    let mut folders: BTreeMap<String, String> = BTreeMap::new();
    for (i, document) in documents.iter().enumerate() {
        let folder = format!("d{i:03}");
        match generate_project(&document.api, &scratch.join(&folder), &folder) {
            Ok(()) => {
                folders.insert(folder, document.shown.clone());
            }
            Err(err) => {
                verdicts.insert(
                    document.shown.clone(),
                    Err(format!("generation failed: {err:#}")),
                );
            }
        }
    }
    // One program over every project: each is its own module tree, so names never clash.
    std::fs::write(
        scratch.join("tsconfig.json"),
        serde_json::to_string_pretty(&json!({
            "compilerOptions": {
                "target": "ES2022", "module": "ESNext", "moduleResolution": "Bundler",
                "lib": ["ES2022", "DOM", "DOM.Iterable"], "types": ["node", "vite/client"],
                "strict": true, "noEmit": true, "jsx": "preserve", "isolatedModules": true,
                "verbatimModuleSyntax": true, "esModuleInterop": true, "skipLibCheck": true,
            },
            "include": ["*/src/**/*.ts", "*/src/**/*.vue"],
        }))?,
    )?;
    std::fs::write(
        scratch.join("vitest.config.ts"),
        "import vue from \"@vitejs/plugin-vue\";\nimport { defineConfig } from \"vitest/config\";\n\n\
         export default defineConfig({\n  plugins: [vue()],\n  test: { environment: \"happy-dom\", \
         include: [\"*/src/**/*.test.ts\"], \
         isolate: false },\n});\n",
    )?;
    let typecheck = npx(scratch, "vue-tsc", &["--noEmit", "-p", "tsconfig.json"]);
    let mut type_errors: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if let Err(output) = &typecheck {
        for line in output.lines() {
            let folder = line.split('/').next().unwrap_or_default();
            if folders.contains_key(folder) {
                type_errors
                    .entry(folder.to_string())
                    .or_default()
                    .push(line.to_string());
            }
        }
        if type_errors.is_empty() {
            bail!("vue-tsc failed without naming a project:\n{output}");
        }
    }
    let tests = vitest(scratch, scratch)?;
    println!(
        "generated vue tests: {} passed, {} failed (one vitest run over {} projects)",
        tests.passed,
        tests.failed,
        folders.len()
    );
    for (folder, shown) in &folders {
        let verdict = if let Some(errors) = type_errors.get(folder) {
            Err(format!(
                "vue-tsc: {} error(s)\n{}",
                errors.len(),
                errors
                    .iter()
                    .take(6)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("\n")
            ))
        } else {
            let prefix = scratch.join(folder);
            let (passed, failures) = tests.of(&prefix);
            // Every project has tests (the dashboard, the schema bundle): none passing means none ran.
            if passed == 0 && failures.is_empty() {
                Err("vitest ran none of its tests".to_string())
            } else if failures.is_empty() {
                Ok(format!(
                    "type-checks (strict), {passed} vitest tests passed"
                ))
            } else {
                Err(format!(
                    "vitest: {} failed\n{}",
                    failures.len(),
                    failures.join("\n")
                ))
            }
        };
        verdicts.insert(shown.clone(), verdict);
    }
    Ok(verdicts)
}

/// Scans each built dashboard (`name=dist`) with axe-core in Chromium, light and dark, and checks it does not
/// scroll sideways at 390 px (`tests/browser/dashboards.mjs`); a verdict per dashboard.
fn accessibility_scan(repo: &Path, built: &[String]) -> anyhow::Result<Vec<(bool, String)>> {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    if !Path::new(&chromium).exists() {
        bail!(
            "no browser at {chromium}: install Debian's chromium (`apt-get install chromium`) or set CHROMIUM"
        );
    }
    let dir = repo.join("tests/browser");
    crate::e2e::npm_ci(&dir)?;
    let output = Command::new("node")
        .arg("dashboards.mjs")
        .args(built)
        .env("CHROMIUM", &chromium)
        .current_dir(&dir)
        .output()
        .context("node tests/browser/dashboards.mjs")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut verdicts: Vec<(bool, String)> = Vec::new();
    for line in stdout.lines() {
        if let Some(rest) = line.strip_prefix("ok ") {
            verdicts.push((true, format!("accessibility {rest}")));
        } else if let Some(rest) = line.strip_prefix("FAIL ") {
            verdicts.push((false, format!("accessibility {rest}")));
        } else if line.starts_with("  ")
            && let Some((_, last)) = verdicts.last_mut()
        {
            last.push('\n');
            last.push_str(line);
        }
    }
    if verdicts.len() != built.len() {
        bail!(
            "expected {} verdicts, got {}:\n{stdout}\n{}",
            built.len(),
            verdicts.len(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(verdicts)
}

fn repo() -> anyhow::Result<PathBuf> {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .context("the repository")
}

/// Installs the pinned toolchain of `tests/vue/` (unless already installed from its lock file); its `node_modules`.
pub(crate) fn toolchain(repo: &Path) -> anyhow::Result<PathBuf> {
    let dir = repo.join("tests/vue");
    crate::e2e::npm_ci(&dir)?;
    Ok(dir.join("node_modules"))
}

/// Generates (or regenerates) a project, as `fastsocket-gen vue` would.
fn generate_project(api: &Api, dir: &Path, name: &str) -> anyhow::Result<()> {
    let output = generate(
        api,
        &VueOptions {
            package_name: format!("{}-client", name.to_lowercase().replace('_', "-")),
            mapping: None,
        },
    )?;
    write_files(
        dir,
        &output.files,
        WriteMode {
            check: false,
            force: true,
        },
    )?;
    Ok(())
}

/// Points `link` at `target` (a symlink; replaced when it exists).
pub(crate) fn link(target: &Path, link: &Path) -> anyhow::Result<()> {
    if link.symlink_metadata().is_ok() {
        std::fs::remove_file(link).with_context(|| link.display().to_string())?;
    }
    std::os::unix::fs::symlink(target, link).with_context(|| link.display().to_string())
}

/// Runs a tool of the linked toolchain in `dir`; `Err` holds its output when it fails.
pub(crate) fn npx(dir: &Path, tool: &str, args: &[&str]) -> Result<(), String> {
    let bin = dir.join("node_modules/.bin").join(tool);
    let output = Command::new(&bin)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .map_err(|e| format!("{}: {e}", bin.display()))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

fn describe_failure(result: &Result<(), String>) -> String {
    match result {
        Ok(()) => String::new(),
        Err(output) => format!(
            ":\n       {}",
            output
                .lines()
                .take(10)
                .collect::<Vec<_>>()
                .join("\n       ")
        ),
    }
}

/// What one `vitest run` reported, read from its JSON report.
struct VitestReport {
    passed: usize,
    failed: usize,
    files: Vec<TestFile>,
}

/// One test file of a vitest report.
struct TestFile {
    path: PathBuf,
    passed: usize,
    /// One line per failed test, or the file's own error when it could not run.
    failures: Vec<String>,
}

impl VitestReport {
    fn first_failure(&self) -> String {
        self.files
            .iter()
            .flat_map(|file| file.failures.first())
            .next()
            .map(|f| format!(": {f}"))
            .unwrap_or_default()
    }

    /// Passed tests and failures of the files under `prefix`.
    fn of(&self, prefix: &Path) -> (usize, Vec<String>) {
        let mut passed = 0;
        let mut failures = Vec::new();
        for file in &self.files {
            if file.path.starts_with(prefix) {
                passed += file.passed;
                failures.extend(file.failures.iter().cloned());
            }
        }
        (passed, failures)
    }
}

/// Runs `vitest run` in `dir` with a JSON report; a failing test is not an `Err` (the report says so).
fn vitest(dir: &Path, root: &Path) -> anyhow::Result<VitestReport> {
    let report_path = dir.join("vitest-report.json");
    let _ = std::fs::remove_file(&report_path);
    let output = Command::new(dir.join("node_modules/.bin/vitest"))
        .args(["run", "--reporter=json", "--outputFile"])
        .arg(&report_path)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .context("running vitest")?;
    let text = std::fs::read_to_string(&report_path).with_context(|| {
        format!(
            "vitest wrote no report:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })?;
    let report: Value = serde_json::from_str(&text)?;
    let mut files = Vec::new();
    let mut unloadable = 0;
    for result in report["testResults"].as_array().into_iter().flatten() {
        let file = PathBuf::from(result["name"].as_str().unwrap_or_default());
        let mut ok = 0;
        let mut failures = Vec::new();
        let assertions = result["assertionResults"].as_array().map_or(0, Vec::len);
        for test in result["assertionResults"].as_array().into_iter().flatten() {
            if test["status"] == "passed" {
                ok += 1;
            } else if test["status"] == "failed" {
                let message = test["failureMessages"][0]
                    .as_str()
                    .unwrap_or_default()
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_string();
                failures.push(format!(
                    "{}: {}",
                    test["fullName"].as_str().unwrap_or_default(),
                    message
                ));
            }
        }
        // A file that fails to load has no assertions but a message.
        if result["status"] == "failed" && assertions == 0 {
            failures.push(format!(
                "{}: {}",
                file.strip_prefix(root).unwrap_or(&file).display(),
                result["message"]
                    .as_str()
                    .unwrap_or_default()
                    .lines()
                    .next()
                    .unwrap_or_default()
            ));
        }
        if assertions == 0 && !failures.is_empty() {
            unloadable += 1;
        }
        files.push(TestFile {
            path: file,
            passed: ok,
            failures,
        });
    }
    Ok(VitestReport {
        passed: report["numPassedTests"].as_u64().unwrap_or(0) as usize,
        failed: report["numFailedTests"].as_u64().unwrap_or(0) as usize
            // A file that could not load counts as a failure of its own.
            + unloadable,
        files,
    })
}

/// Writes the differential test's cases for every named type with the Rust validators' verdicts (the
/// `jsonschema` verdict, which `cargo xtask differential` proves the Rust validators give, or the verdict of a
/// documented exception) and a bundle of the types, plus the test that compares; `None` when there is nothing to
/// compare. Returns (cases written, cases left out).
fn write_crosscheck(api: &Api, dir: &Path, repo: &Path) -> anyhow::Result<Option<(usize, usize)>> {
    let cases = plan(api, &Limits::default()).cases;
    let ids: BTreeMap<String, u32> = named_roots(api)
        .into_iter()
        .map(|id| (api.types.get(id).name.clone(), id.0))
        .collect();
    let mut out = Vec::new();
    let mut skipped = 0;
    for case in &cases {
        let Some(id) = ids.get(&case.type_name) else {
            continue;
        };
        let in_place_cycle = matches!(case.exception, Some((Exception::InPlaceCycle, _)));
        if in_place_cycle || !exact_in_javascript(&case.value) {
            skipped += 1;
            continue;
        }
        let valid = case
            .exception
            .map_or(case.expected_valid, |(_, valid)| valid);
        out.push(json!({
            "type": case.type_name,
            "definition": def_name(fastsocket_ir::TypeId(*id)),
            "value": case.value,
            "valid": valid,
        }));
    }
    if out.is_empty() {
        return Ok(None);
    }
    let bundle = to_json_schema_bundle(
        &api.types,
        ids.values().map(|id| fastsocket_ir::TypeId(*id)),
    );
    let count = out.len();
    std::fs::write(
        dir.join("crosscheck.json"),
        serde_json::to_string(&json!({ "bundle": bundle, "cases": out }))?,
    )?;
    let _ = std::fs::remove_file(dir.join("crosscheck-result.json"));
    std::fs::copy(
        repo.join("tests/vue/crosscheck.test.ts"),
        dir.join("src/crosscheck.test.ts"),
    )?;
    Ok(Some((count, skipped)))
}

/// (cases compared, disagreements) as the cross-check test wrote them.
fn read_crosscheck_result(dir: &Path) -> anyhow::Result<(usize, usize)> {
    let path = dir.join("crosscheck-result.json");
    let result: Value = serde_json::from_str(
        &std::fs::read_to_string(&path).with_context(|| path.display().to_string())?,
    )?;
    Ok((
        result["compared"].as_u64().unwrap_or(0) as usize,
        result["disagreements"].as_u64().unwrap_or(u64::MAX) as usize,
    ))
}

/// Whether every number in the value is the same number in JavaScript.
fn exact_in_javascript(value: &Value) -> bool {
    match value {
        Value::Number(n) => {
            n.is_f64()
                || n.as_u64().is_some_and(|u| u <= MAX_SAFE_INTEGER)
                || n.as_i64()
                    .is_some_and(|i| i.unsigned_abs() <= MAX_SAFE_INTEGER)
        }
        Value::Array(items) => items.iter().all(exact_in_javascript),
        Value::Object(map) => map.values().all(exact_in_javascript),
        _ => true,
    }
}
