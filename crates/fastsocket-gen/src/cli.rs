//! The command line: `validate`, `ir`.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use fastsocket_codegen_rust::{Mapping, RuntimeDependency, RustOptions};

use crate::write::WriteMode;

use anstream::{eprint, eprintln};
use clap::{Args, Parser, Subcommand, ValueEnum};
use fastsocket_spec::{Diagnostic, Input, LoadError, LoadOptions, Report};

/// Exit code: the document is invalid.
pub const EXIT_INVALID: u8 = 1;
/// Exit code: wrong usage, or a file could not be read.
pub const EXIT_USAGE: u8 = 2;

/// Generate Socket.IO servers and clients from AsyncAPI documents.
#[derive(Debug, Parser)]
#[command(name = "fastsocket-gen", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check an AsyncAPI document and print every problem with its location.
    ///
    /// Exit status: 0 valid (warnings may be printed), 1 invalid, 2 usage or I/O error.
    Validate {
        /// The document (YAML or JSON), or `-` for standard input.
        spec: String,
        /// How to print diagnostics.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// How `$ref`s are read.
        #[command(flatten)]
        load: LoadArgs,
    },
    /// Generate a Rust crate: validated models for every message, with tests from the spec's examples.
    ///
    /// Files under `src/generated/` are the generator's and are rewritten when they change; `Cargo.toml` and
    /// `src/lib.rs` are yours after the first run and never overwritten.
    Rust {
        /// The document (YAML or JSON), or `-` for standard input.
        spec: String,
        /// The folder to write the crate into (created if missing).
        #[arg(short, long, value_name = "DIR")]
        out: PathBuf,
        /// The package name [default: from the document's title].
        #[arg(long)]
        crate_name: Option<String>,
        /// Where the generated crate finds the `fastsocket` runtime crate: a path (relative to DIR, or absolute).
        /// [default: this checkout's crates/fastsocket]
        #[arg(long, value_name = "PATH")]
        runtime_path: Option<String>,
        /// Write nothing; exit 1 and list the files that would change (for CI).
        #[arg(long)]
        check: bool,
        /// Overwrite generated files even if they were edited by hand.
        #[arg(long)]
        force: bool,
        /// Treat warnings about examples that do not match their schema as errors.
        #[arg(long)]
        strict: bool,
        /// How channels become Socket.IO namespaces and events [default: chosen from the document and stated in
        /// the generated README].
        #[arg(long, value_enum)]
        mapping: Option<MappingArg>,
        /// Generate only the models (no server, handlers or `main`).
        #[arg(long)]
        models_only: bool,
        /// How `$ref`s are read.
        #[command(flatten)]
        load: LoadArgs,
    },
    /// Generate a Vite + Vue 3 + TypeScript client: types, validators, typed socket.io-client, composables,
    /// components and Vitest specs.
    ///
    /// Files under `src/generated/` are the generator's and are rewritten when they change; `package.json`,
    /// `App.vue`, `main.ts`, the configs and the README are yours after the first run and never overwritten.
    Vue {
        /// The document (YAML or JSON), or `-` for standard input.
        spec: String,
        /// The folder to write the project into (created if missing).
        #[arg(short, long, value_name = "DIR")]
        out: PathBuf,
        /// The npm package name [default: from the document's title].
        #[arg(long)]
        package_name: Option<String>,
        /// Write nothing; exit 1 and list the files that would change (for CI).
        #[arg(long)]
        check: bool,
        /// Overwrite generated files even if they were edited by hand.
        #[arg(long)]
        force: bool,
        /// How channels become Socket.IO namespaces and events [default: as for `rust`].
        #[arg(long, value_enum)]
        mapping: Option<MappingArg>,
        /// How `$ref`s are read.
        #[command(flatten)]
        load: LoadArgs,
    },
    /// Print the intermediate representation that the emitters read, as JSON.
    Ir {
        /// The document (YAML or JSON), or `-` for standard input.
        #[arg(required_unless_present = "schema")]
        spec: Option<String>,
        /// Print the JSON Schema of the IR dump instead.
        #[arg(long, conflicts_with = "spec")]
        schema: bool,
        /// How `$ref`s are read.
        #[command(flatten)]
        load: LoadArgs,
    },
}

/// Output formats for diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Located messages with the source line, for people.
    Human,
    /// One JSON object, for tools.
    Json,
}

/// Options that control how documents and their `$ref`s are read.
#[derive(Debug, Clone, Args)]
pub struct LoadArgs {
    /// Folder that `$ref`s may reach [default: nearest ancestor of the document holding `.git` or
    /// `fastsocket.toml`, else the document's folder].
    #[arg(long, value_name = "DIR")]
    pub ref_root: Option<PathBuf>,
    /// Serve `$ref`s under an http(s) URL prefix from a local folder (the network is never used).
    /// Repeatable. Example: `--map-url https://example.com/schemas/=./schemas`.
    #[arg(long, value_name = "PREFIX=DIR", value_parser = parse_mapping)]
    pub map_url: Vec<(String, PathBuf)>,
}

impl LoadArgs {
    /// The loader options these flags ask for.
    pub fn options(&self) -> LoadOptions {
        LoadOptions {
            ref_root: self.ref_root.clone(),
            url_map: self.map_url.clone(),
        }
    }
}

fn parse_mapping(raw: &str) -> Result<(String, PathBuf), String> {
    let (prefix, dir) = raw.split_once('=').ok_or_else(|| {
        "expected PREFIX=DIR, e.g. https://example.com/schemas/=./schemas".to_string()
    })?;
    if !(prefix.starts_with("http://") || prefix.starts_with("https://")) {
        return Err(format!("`{prefix}` is not an http(s) URL prefix"));
    }
    Ok((prefix.to_string(), PathBuf::from(dir)))
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Validate { spec, format, load } => validate(&spec, format, &load),
        Command::Rust {
            spec,
            out,
            crate_name,
            runtime_path,
            check,
            force,
            strict,
            mapping,
            models_only,
            load,
        } => rust(RustArgs {
            mapping: mapping.map(MappingArg::into_mapping),
            server: !models_only,
            spec,
            out,
            crate_name,
            runtime_path,
            mode: WriteMode { check, force },
            strict,
            load,
        }),
        Command::Vue {
            spec,
            out,
            package_name,
            check,
            force,
            mapping,
            load,
        } => vue(VueArgs {
            spec,
            out,
            package_name,
            mode: WriteMode { check, force },
            mapping: mapping.map(MappingArg::into_mapping),
            load,
        }),
        Command::Ir { schema: true, .. } => {
            print_json(&fastsocket_ir::Api::json_schema())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Ir { spec, load, .. } => {
            let spec = spec.unwrap_or_else(|| "-".to_string());
            match load_spec(&spec, &load)? {
                Ok(loaded) => {
                    print_diagnostics(&loaded.report.diagnostics);
                    print_json(&serde_json::to_value(&loaded.api)?)?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(report) => {
                    print_diagnostics(&report.diagnostics);
                    print_summary(&report);
                    Ok(ExitCode::from(EXIT_INVALID))
                }
            }
        }
    }
}

/// `--mapping` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MappingArg {
    /// Each channel is a namespace; messages are events by name.
    Namespace,
    /// One namespace `/`; each channel address is an event name (MQTT/Kafka-style documents).
    Event,
}

impl MappingArg {
    fn into_mapping(self) -> Mapping {
        match self {
            MappingArg::Namespace => Mapping::Namespace,
            MappingArg::Event => Mapping::Event,
        }
    }
}

struct RustArgs {
    mapping: Option<Mapping>,
    server: bool,
    spec: String,
    out: PathBuf,
    crate_name: Option<String>,
    runtime_path: Option<String>,
    mode: WriteMode,
    strict: bool,
    load: LoadArgs,
}

fn rust(args: RustArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let Some(loaded) = load_for_generation(&args.spec, &args.load)? else {
        return Ok(ExitCode::from(EXIT_INVALID));
    };
    if args.strict
        && loaded
            .report
            .warnings()
            .any(|d| d.code == "example-mismatch")
    {
        eprintln!("error: --strict: examples that do not match their schema are errors");
        return Ok(ExitCode::from(EXIT_INVALID));
    }
    let crate_name = args
        .crate_name
        .unwrap_or_else(|| default_crate_name(&loaded.api.info.title));
    let runtime = match args.runtime_path {
        Some(path) => RuntimeDependency::Path(path),
        None => default_runtime(&args.out),
    };
    let output = fastsocket_codegen_rust::generate(
        &loaded.api,
        &RustOptions {
            crate_name,
            runtime,
            server: args.server,
            mapping: args.mapping,
        },
    )?;
    write_and_report(&args.out, &output, args.mode, started)
}

struct VueArgs {
    spec: String,
    out: PathBuf,
    package_name: Option<String>,
    mode: WriteMode,
    mapping: Option<Mapping>,
    load: LoadArgs,
}

fn vue(args: VueArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let Some(loaded) = load_for_generation(&args.spec, &args.load)? else {
        return Ok(ExitCode::from(EXIT_INVALID));
    };
    let package_name = args
        .package_name
        .unwrap_or_else(|| format!("{}-client", default_crate_name(&loaded.api.info.title)));
    let output = fastsocket_codegen_vue::generate(
        &loaded.api,
        &fastsocket_codegen_vue::VueOptions {
            package_name,
            mapping: args.mapping,
        },
    )?;
    write_and_report(&args.out, &output, args.mode, started)
}

/// Writes (or checks) the generated files and prints what happened; the exit code says whether `--check` found
/// stale files.
fn write_and_report(
    out: &Path,
    output: &fastsocket_ir::output::Output,
    mode: WriteMode,
    started: Instant,
) -> anyhow::Result<ExitCode> {
    for warning in &output.warnings {
        eprintln!("warning: {warning}");
    }
    let summary = crate::write::write_files(out, &output.files, mode)?;
    let elapsed = started.elapsed();
    if mode.check {
        if summary.written.is_empty() {
            eprintln!(
                "up to date: {} file(s) checked in {elapsed:.0?}",
                output.files.len()
            );
            return Ok(ExitCode::SUCCESS);
        }
        eprintln!(
            "out of date: {} file(s) would change:",
            summary.written.len()
        );
        for path in &summary.written {
            eprintln!("  {path}");
        }
        return Ok(ExitCode::from(EXIT_INVALID));
    }
    eprintln!(
        "fastsocket-gen: {} written, {} unchanged, {} kept (yours) in {elapsed:.0?} → {}",
        summary.written.len(),
        summary.unchanged.len(),
        summary.kept.len(),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `Chat Service API` → `chat-service-api`.
fn default_crate_name(title: &str) -> String {
    let name = heck::ToKebabCase::to_kebab_case(
        title
            .chars()
            .filter(char::is_ascii)
            .collect::<String>()
            .as_str(),
    );
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("api-{name}").trim_end_matches('-').to_string()
    } else {
        name
    }
}

/// The runtime crate of this checkout, as a path relative to the output folder when both are known.
fn default_runtime(out: &Path) -> RuntimeDependency {
    let runtime = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fastsocket");
    match (
        runtime.canonicalize(),
        std::fs::create_dir_all(out).and_then(|()| out.canonicalize()),
    ) {
        (Ok(runtime), Ok(out)) => {
            RuntimeDependency::Path(fastsocket_spec::sources::relative_to(&runtime, &out))
        }
        (Ok(runtime), Err(_)) => RuntimeDependency::Path(runtime.display().to_string()),
        _ => RuntimeDependency::Version(env!("CARGO_PKG_VERSION").to_string()),
    }
}

fn validate(spec: &str, format: Format, load: &LoadArgs) -> anyhow::Result<ExitCode> {
    let (valid, report) = match load_spec(spec, load)? {
        Ok(loaded) => (true, loaded.report),
        Err(report) => (false, report),
    };
    match format {
        Format::Json => print_json(&serde_json::json!({
            "valid": valid,
            "errors": report.errors().count(),
            "warnings": report.warnings().count(),
            "diagnostics": report.diagnostics,
        }))?,
        Format::Human => {
            print_diagnostics(&report.diagnostics);
            print_summary(&report);
        }
    }
    Ok(if valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_INVALID)
    })
}

/// Loads a document; `Err` of the outer result is a usage or I/O problem, of the inner an invalid document.
fn load_spec(
    spec: &str,
    load: &LoadArgs,
) -> anyhow::Result<Result<fastsocket_spec::Loaded, Report>> {
    let input = if spec == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        Input::Text {
            name: "<stdin>".to_string(),
            text,
        }
    } else {
        Input::Path(PathBuf::from(spec))
    };
    match fastsocket_spec::load(&input, &load.options()) {
        Ok(loaded) => Ok(Ok(loaded)),
        Err(LoadError::Invalid(report)) => Ok(Err(report)),
        Err(err @ LoadError::Io { .. }) => Err(err.into()),
    }
}

/// Loads a document for an emitter, printing its diagnostics; `None` when it is invalid (nothing to generate).
fn load_for_generation(
    spec: &str,
    load: &LoadArgs,
) -> anyhow::Result<Option<fastsocket_spec::Loaded>> {
    match load_spec(spec, load)? {
        Ok(loaded) => {
            print_diagnostics(&loaded.report.diagnostics);
            Ok(Some(loaded))
        }
        Err(report) => {
            print_diagnostics(&report.diagnostics);
            print_summary(&report);
            Ok(None)
        }
    }
}

fn print_diagnostics(diagnostics: &[Diagnostic]) {
    let color = std::io::stderr().is_terminal();
    for d in diagnostics {
        eprint!("{}", d.render(color));
        eprintln!();
    }
}

fn print_summary(report: &Report) {
    let errors = report.errors().count();
    let warnings = report.warnings().count();
    if errors > 0 {
        eprintln!("invalid: {errors} error(s), {warnings} warning(s)");
    } else {
        eprintln!(
            "valid: {warnings} warning(s), {} file(s) read",
            report.files.len()
        );
    }
}

fn print_json(value: &serde_json::Value) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn crate_names_come_from_titles() {
        assert_eq!(default_crate_name("Chat Service API"), "chat-service-api");
        assert_eq!(default_crate_name("2FA gateway"), "api-2fa-gateway");
        assert_eq!(default_crate_name("Ünïcode"), "ncode");
        assert_eq!(default_crate_name(""), "api");
    }

    #[test]
    fn url_mappings_parse() {
        assert_eq!(
            parse_mapping("https://x.test/s/=./schemas").unwrap(),
            ("https://x.test/s/".to_string(), PathBuf::from("./schemas"))
        );
        assert!(parse_mapping("nope").is_err());
        assert!(parse_mapping("ftp://x=./y").is_err());
    }
}
