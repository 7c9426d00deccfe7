//! The command line: `validate`, `rust`, `vue`, `all`, `ir`, `init`, `config`.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use fastsocket_codegen_rust::Mapping;

use crate::config::{ConfigFile, MappingConfig};
use crate::generate::GenerateError;
use crate::settings::{Runtime, Settings, default_crate_name};
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
    ///
    /// Without SPEC, options come from `./fastsocket.toml` (or `--config FILE`); flags override the file.
    Rust {
        /// The document (YAML or JSON), or `-` for standard input [default: `spec` of the config file].
        spec: Option<String>,
        // The help of the flags that set a field of `Settings` is that field's doc comment (see `command`).
        #[allow(missing_docs)]
        #[arg(short, long, value_name = "DIR")]
        out: Option<PathBuf>,
        #[allow(missing_docs)]
        #[arg(long)]
        crate_name: Option<String>,
        /// How the generated crate depends on the `fastsocket` runtime.
        #[command(flatten)]
        runtime: RuntimeArgs,
        /// Write nothing; exit 1 and list the files that would change (for CI).
        #[arg(long)]
        check: bool,
        /// Like --check, and print a unified diff of every file that would change to standard output.
        #[arg(long)]
        diff: bool,
        /// Regenerate whenever the document or a file it reaches through `$ref` changes (Ctrl-C stops).
        #[arg(long, conflicts_with_all = ["check", "diff"])]
        watch: bool,
        /// Read options from this `fastsocket.toml` [default: `./fastsocket.toml` when SPEC is not given].
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Overwrite generated files even if they were edited by hand.
        #[arg(long)]
        force: bool,
        #[allow(missing_docs)]
        #[arg(long)]
        strict: bool,
        #[allow(missing_docs)]
        #[arg(long, value_enum)]
        mapping: Option<MappingConfig>,
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
    ///
    /// Without SPEC, options come from `./fastsocket.toml` (or `--config FILE`); flags override the file.
    Vue {
        /// The document (YAML or JSON), or `-` for standard input [default: `spec` of the config file].
        spec: Option<String>,
        /// The folder to write the project into (created if missing) [default: `vue.out` of the config file].
        #[arg(short, long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Read options from this `fastsocket.toml` [default: `./fastsocket.toml` when SPEC is not given].
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// The npm package name [default: from the document's title].
        #[arg(long)]
        package_name: Option<String>,
        /// Write nothing; exit 1 and list the files that would change (for CI).
        #[arg(long)]
        check: bool,
        /// With `--check`: also print a unified diff of what would change.
        #[arg(long, requires = "check")]
        diff: bool,
        /// Overwrite generated files even if they were edited by hand.
        #[arg(long)]
        force: bool,
        /// How channels become Socket.IO namespaces and events [default: as for `rust`].
        #[arg(long, value_enum)]
        mapping: Option<MappingConfig>,
        /// How `$ref`s are read.
        #[command(flatten)]
        load: LoadArgs,
    },
    /// Generate the server crate and the Vue client in one run: what `rust` and then `vue` write, with the
    /// document loaded once and the two emitters working side by side.
    ///
    /// Without SPEC, options come from `./fastsocket.toml` (or `--config FILE`): `[rust]` for the server, `[vue]`
    /// for the client; flags override the file.
    All {
        /// The document (YAML or JSON), or `-` for standard input [default: `spec` of the config file].
        spec: Option<String>,
        /// The folder of the server crate [default: `rust.out` of the config file].
        #[arg(long, value_name = "DIR")]
        rust_out: Option<PathBuf>,
        /// The folder of the Vue client [default: `vue.out` of the config file].
        #[arg(long, value_name = "DIR")]
        vue_out: Option<PathBuf>,
        /// Read options from this `fastsocket.toml` [default: `./fastsocket.toml` when SPEC is not given].
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Write nothing; exit 1 and list the files that would change in either folder (for CI).
        #[arg(long)]
        check: bool,
        /// Like --check, and print a unified diff of every file that would change to standard output.
        #[arg(long)]
        diff: bool,
        /// Overwrite generated files even if they were edited by hand.
        #[arg(long)]
        force: bool,
        /// How channels become Socket.IO namespaces and events, for both [default: `mapping` of each section of
        /// the config file, else chosen from the document].
        #[arg(long, value_enum)]
        mapping: Option<MappingConfig>,
        /// How `$ref`s are read.
        #[command(flatten)]
        load: LoadArgs,
    },
    /// Write a starter project: `asyncapi.yaml`, a schema file it references, and `fastsocket.toml`.
    Init {
        /// The folder (created if missing); nothing is overwritten.
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Check a `fastsocket.toml`, or print its JSON Schema.
    Config {
        /// The file to check.
        #[arg(default_value = crate::config::FILE_NAME, conflicts_with = "schema")]
        file: PathBuf,
        /// Print the JSON Schema of `fastsocket.toml` instead (for editors: `#:schema` in taplo).
        #[arg(long)]
        schema: bool,
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

/// Where the generated crate finds the `fastsocket` runtime (at most one; see `[rust] runtime`).
#[derive(Debug, Clone, Args)]
pub struct RuntimeArgs {
    /// A path dependency on the runtime, relative to DIR (or absolute) [default: the `crates/fastsocket` of the
    /// checkout this generator was installed from, while it exists; else `--runtime-version` of this generator].
    #[arg(long, value_name = "PATH", conflicts_with_all = ["runtime_git", "runtime_version"])]
    pub runtime_path: Option<String>,
    /// A git dependency on the runtime (add `--runtime-rev` to pin it).
    #[arg(long, value_name = "URL")]
    pub runtime_git: Option<String>,
    /// With `--runtime-git`: the commit, tag or branch.
    #[arg(long, value_name = "REV", requires = "runtime_git")]
    pub runtime_rev: Option<String>,
    /// A crates.io version requirement on the runtime.
    #[arg(long, value_name = "VERSION", conflicts_with = "runtime_git")]
    pub runtime_version: Option<String>,
}

impl RuntimeArgs {
    /// The runtime these flags ask for, if any.
    pub fn runtime(&self) -> Option<Runtime> {
        let runtime = Runtime {
            path: self.runtime_path.clone(),
            git: self.runtime_git.clone(),
            rev: self.runtime_rev.clone(),
            version: self.runtime_version.clone(),
        };
        (runtime != Runtime::default()).then_some(runtime)
    }
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
            ..LoadOptions::default()
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

/// The flags of `rust` that set one field of [`Settings`], with that field.
const SETTINGS_FLAGS: [(&str, &str); 4] = [
    ("out", "out"),
    ("crate_name", "crate_name"),
    ("mapping", "mapping"),
    ("strict", "strict"),
];

/// The command line's definition, with the help of each flag that sets a [`Settings`] field taken from that
/// field's doc comment, so that an option is documented once.
pub fn command() -> clap::Command {
    let schema = crate::config::json_schema();
    <Cli as clap::CommandFactory>::command().mut_subcommand("rust", |rust| {
        SETTINGS_FLAGS.iter().fold(rust, |rust, (arg, field)| {
            let help = crate::settings::description(&schema, field);
            rust.mut_arg(*arg, |a| a.help(help))
        })
    })
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let matches = command().get_matches();
    let cli = match <Cli as clap::FromArgMatches>::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(err) => err.exit(),
    };
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
            runtime,
            check,
            diff,
            watch,
            config,
            force,
            strict,
            mapping,
            models_only,
            load,
        } => {
            let config = config_file(spec.is_none(), config)?;
            // The defaults, the config file over them, the flags over both.
            let mut settings = config
                .as_ref()
                .map_or_else(Settings::default, Settings::from_config);
            if let Some(spec) = spec {
                settings.spec = Some(PathBuf::from(spec));
            }
            if settings.spec.is_none() {
                anyhow::bail!(GenerateError::NoSpec);
            }
            if let Some(out) = out {
                settings.out = Some(out);
            }
            anyhow::ensure!(
                settings.out.is_some(),
                "no output folder: pass --out DIR, or set `out` under [rust] in fastsocket.toml"
            );
            if load.ref_root.is_some() || !load.map_url.is_empty() {
                settings.load = load.options();
            }
            settings.crate_name = crate_name.or(settings.crate_name);
            settings.runtime = runtime.runtime().or(settings.runtime);
            settings.strict |= strict;
            settings.server &= !models_only;
            settings.mapping = mapping.or(settings.mapping);
            rust(
                settings,
                WriteMode {
                    check: check || diff,
                    force,
                },
                diff,
                watch,
            )
        }
        Command::Vue {
            spec,
            out,
            config,
            package_name,
            check,
            diff,
            force,
            mapping,
            load,
        } => {
            let (config, spec, out, load) = vue_inputs(spec, out, config, load)?;
            let vue_config = config.as_ref().map(|f| &f.config.vue);
            vue(VueArgs {
                spec,
                out,
                package_name: package_name
                    .or_else(|| vue_config.and_then(|v| v.package_name.clone())),
                mode: WriteMode { check, force },
                diff,
                mapping: mapping
                    .or_else(|| vue_config.and_then(|v| v.mapping))
                    .map(Into::into),
                load,
            })
        }
        Command::All {
            spec,
            rust_out,
            vue_out,
            config,
            check,
            diff,
            force,
            mapping,
            load,
        } => {
            // The client's document, folder and load options, resolved as for `vue`.
            let (config, spec, vue_out, load) = vue_inputs(spec, vue_out, config, load)?;
            let file = config.as_ref();
            let vue_config = file.map(|f| &f.config.vue);
            // The server's, as for `rust`.
            let mut settings = file.map_or_else(Settings::default, Settings::from_config);
            settings.spec = Some(PathBuf::from(spec));
            if let Some(out) = rust_out {
                settings.out = Some(out);
            }
            anyhow::ensure!(
                settings.out.is_some(),
                "no output folder for the server: pass --rust-out DIR, or set `out` under [rust] in fastsocket.toml"
            );
            settings.load = load.options();
            settings.mapping = mapping.or(settings.mapping);
            all(
                settings,
                Client {
                    out: vue_out,
                    package_name: vue_config.and_then(|v| v.package_name.clone()),
                    mapping: mapping
                        .or_else(|| vue_config.and_then(|v| v.mapping))
                        .map(Into::into),
                },
                WriteMode {
                    check: check || diff,
                    force,
                },
                diff,
            )
        }
        Command::Init { dir } => {
            for path in crate::init::init(&dir)? {
                eprintln!("wrote {}", path.display());
            }
            eprintln!(
                "next: in {}, `fastsocket-gen rust` generates the server into `server/` and `fastsocket-gen vue` the client into `client/`",
                dir.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Config { schema: true, .. } => {
            print_json(&crate::config::json_schema())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Config { file, .. } => match ConfigFile::read(&file) {
            Ok(_) => {
                eprintln!("{}: ok", file.display());
                Ok(ExitCode::SUCCESS)
            }
            Err(err @ crate::config::ConfigError::Invalid { .. }) => {
                eprintln!("error: {err}");
                Ok(ExitCode::from(EXIT_INVALID))
            }
            Err(err) => Err(err.into()),
        },
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

/// The config file of a `rust` or `vue` run: the one named, else `./fastsocket.toml` when no document was named.
fn config_file(spec_missing: bool, named: Option<PathBuf>) -> anyhow::Result<Option<ConfigFile>> {
    let path = match named {
        Some(path) => path,
        None if spec_missing && Path::new(crate::config::FILE_NAME).is_file() => {
            PathBuf::from(crate::config::FILE_NAME)
        }
        None => return Ok(None),
    };
    Ok(Some(ConfigFile::read(path)?))
}

/// The config file of a `vue` or `all` run, and the client's document, folder and load options (see
/// [`resolve_inputs`]).
fn vue_inputs(
    spec: Option<String>,
    out: Option<PathBuf>,
    config: Option<PathBuf>,
    load: LoadArgs,
) -> anyhow::Result<(Option<ConfigFile>, String, PathBuf, LoadArgs)> {
    let config = config_file(spec.is_none(), config)?;
    let configured = config.as_ref().and_then(|f| f.config.vue.out.as_deref());
    let (spec, out, load) = resolve_inputs(config.as_ref(), spec, out, configured, "vue", load)?;
    Ok((config, spec, out, load))
}

/// The document, output folder and load options of a generator command: flags first, then the config file (its
/// `spec`, the generator section's `out`, its `[load]`).
fn resolve_inputs(
    file: Option<&ConfigFile>,
    spec: Option<String>,
    out: Option<PathBuf>,
    configured_out: Option<&Path>,
    section: &str,
    load: LoadArgs,
) -> anyhow::Result<(String, PathBuf, LoadArgs)> {
    let spec = match (spec, file.and_then(ConfigFile::spec)) {
        (Some(spec), _) => spec,
        (None, Some(spec)) => spec.display().to_string(),
        (None, None) => anyhow::bail!(
            "no document: pass SPEC, or run where a fastsocket.toml names one (`spec = \"asyncapi.yaml\"`)"
        ),
    };
    let out = match (out, configured_out) {
        (Some(out), _) => out,
        (None, Some(out)) => file.map_or_else(|| out.to_path_buf(), |f| f.resolve(out)),
        (None, None) => anyhow::bail!(
            "no output folder: pass --out DIR, or set `out` under [{section}] in fastsocket.toml"
        ),
    };
    let load = match file {
        Some(file) if load.ref_root.is_none() && load.map_url.is_empty() => {
            let options = file.load_options();
            LoadArgs {
                ref_root: options.ref_root,
                map_url: options.url_map,
            }
        }
        _ => load,
    };
    Ok((spec, out, load))
}

fn rust(settings: Settings, mode: WriteMode, diff: bool, watch: bool) -> anyhow::Result<ExitCode> {
    if !watch {
        return rust_once(&settings, mode, diff).map(|(code, _)| code);
    }
    let spec = settings.spec.clone().unwrap_or_default();
    anyhow::ensure!(
        spec.as_os_str() != "-",
        "--watch needs a document file, not standard input"
    );
    crate::watch::watch(&spec, || {
        rust_once(&settings, mode, diff).map(|(_, files)| files)
    })
}

/// One generation; also returns the files read (the document and its `$ref` targets) for `--watch`.
fn rust_once(
    settings: &Settings,
    mode: WriteMode,
    diff: bool,
) -> anyhow::Result<(ExitCode, Vec<PathBuf>)> {
    let started = Instant::now();
    let generation = match crate::generate::generate(settings) {
        Ok(generation) => generation,
        Err(GenerateError::Invalid { report, inputs, .. }) => {
            print_diagnostics(&report.diagnostics);
            print_summary(&report);
            return Ok((ExitCode::from(EXIT_INVALID), inputs));
        }
        Err(err) => return Err(err.into()),
    };
    print_diagnostics(&generation.diagnostics);
    let out = settings.out.clone().unwrap_or_default();
    let up_to_date = write_and_report(
        &out,
        &generation.output,
        &generation.warnings,
        mode,
        diff,
        started,
    )?;
    Ok((exit_code(up_to_date), generation.inputs))
}

struct VueArgs {
    spec: String,
    out: PathBuf,
    package_name: Option<String>,
    mode: WriteMode,
    diff: bool,
    mapping: Option<Mapping>,
    load: LoadArgs,
}

fn vue(args: VueArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let Ok(loaded) = load_for_generation(&args.spec, &args.load)? else {
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
    write_and_report(
        &args.out,
        &output,
        &output.warnings,
        args.mode,
        args.diff,
        started,
    )
    .map(exit_code)
}

/// The client half of `all`.
struct Client {
    out: PathBuf,
    package_name: Option<String>,
    mapping: Option<Mapping>,
}

/// `all`: one load, the Rust emitter on this thread and the Vue emitter on another, then both writes.
fn all(
    settings: Settings,
    client: Client,
    mode: WriteMode,
    diff: bool,
) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let document = match crate::generate::load(&settings) {
        Ok(document) => document,
        Err(GenerateError::Invalid { report, .. }) => {
            print_diagnostics(&report.diagnostics);
            print_summary(&report);
            return Ok(ExitCode::from(EXIT_INVALID));
        }
        Err(err) => return Err(err.into()),
    };
    let api = &document.loaded.api;
    let options = fastsocket_codegen_vue::VueOptions {
        package_name: client
            .package_name
            .unwrap_or_else(|| format!("{}-client", default_crate_name(&api.info.title))),
        mapping: client.mapping,
    };
    let (server, vue) = std::thread::scope(|scope| {
        let vue = scope.spawn(|| fastsocket_codegen_vue::generate(api, &options));
        let server = crate::generate::emit(&settings, api, Vec::new(), Vec::new());
        (server, vue.join())
    });
    print_diagnostics(&document.loaded.report.diagnostics);
    let server = server?;
    let vue = vue.map_err(|_| anyhow::anyhow!("internal error: the Vue emitter panicked"))??;
    let out = settings.out.clone().unwrap_or_default();
    let server_ok = write_and_report(&out, &server.output, &server.warnings, mode, diff, started)?;
    let client_ok = write_and_report(&client.out, &vue, &vue.warnings, mode, diff, started)?;
    Ok(exit_code(server_ok && client_ok))
}

/// Success, or [`EXIT_INVALID`] when `--check` found stale files.
fn exit_code(up_to_date: bool) -> ExitCode {
    if up_to_date {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_INVALID)
    }
}

/// Writes (or checks) the generated files and prints what happened, with a unified diff of what would change when
/// `diff` is set; `false` when `--check` found stale files.
fn write_and_report(
    out: &Path,
    output: &fastsocket_ir::output::Output,
    warnings: &[String],
    mode: WriteMode,
    diff: bool,
    started: Instant,
) -> anyhow::Result<bool> {
    for warning in warnings {
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
            return Ok(true);
        }
        if diff {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(crate::diff::unified(out, &output.files)?.as_bytes())?;
            stdout.flush()?;
        }
        eprintln!(
            "out of date: {} file(s) would change:",
            summary.written.len()
        );
        for path in &summary.written {
            eprintln!("  {path}");
        }
        return Ok(false);
    }
    eprintln!(
        "fastsocket-gen: {} written, {} unchanged, {} kept (yours) in {elapsed:.0?} → {}",
        summary.written.len(),
        summary.unchanged.len(),
        summary.kept.len(),
        out.display()
    );
    // `package.json` is the user's once written: name the packages newer generated code imports that it lacks.
    if summary.kept.iter().any(|p| p == "package.json")
        && let Some(file) = output.files.iter().find(|f| f.path == "package.json")
        && let Ok(current) = std::fs::read_to_string(out.join("package.json"))
    {
        for (name, version) in missing_packages(&current, &file.contents) {
            eprintln!(
                "note: package.json (yours) lacks `{name}`, which the generated code imports: npm install {name}@{version}"
            );
        }
    }
    Ok(true)
}

/// The dependencies (`dependencies`, `devDependencies`) of the `generated` manifest that the `current` one lacks,
/// with the generated version; none when either is not a JSON object.
fn missing_packages(current: &str, generated: &str) -> Vec<(String, String)> {
    let (Ok(current), Ok(generated)) = (
        serde_json::from_str::<serde_json::Value>(current),
        serde_json::from_str::<serde_json::Value>(generated),
    ) else {
        return Vec::new();
    };
    let mut missing = Vec::new();
    for section in ["dependencies", "devDependencies"] {
        let Some(wanted) = generated[section].as_object() else {
            continue;
        };
        for (name, version) in wanted {
            let has = ["dependencies", "devDependencies"]
                .iter()
                .any(|s| current[*s].get(name).is_some());
            if !has {
                missing.push((
                    name.clone(),
                    version.as_str().unwrap_or("latest").to_owned(),
                ));
            }
        }
    }
    missing
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

/// Loads a document for an emitter, printing its diagnostics; `Err` (with the files read) when it is invalid.
fn load_for_generation(
    spec: &str,
    load: &LoadArgs,
) -> anyhow::Result<Result<fastsocket_spec::Loaded, Vec<PathBuf>>> {
    match load_spec(spec, load)? {
        Ok(loaded) => {
            print_diagnostics(&loaded.report.diagnostics);
            Ok(Ok(loaded))
        }
        Err(report) => {
            print_diagnostics(&report.diagnostics);
            print_summary(&report);
            Ok(Err(report.files))
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
    #[test]
    fn missing_packages_of_a_kept_manifest() {
        let current = r#"{"dependencies": {"vue": "3.5.45"}, "devDependencies": {"vite": "8"}}"#;
        let generated = r#"{"dependencies": {"vue": "3.5.45", "uplot": "1.6.32"}, "devDependencies": {"vite": "8"}}"#;
        assert_eq!(
            super::missing_packages(current, generated),
            [("uplot".to_owned(), "1.6.32".to_owned())]
        );
        assert!(super::missing_packages("not json", generated).is_empty());
        assert!(super::missing_packages(generated, generated).is_empty());
    }

    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
        command().debug_assert();
    }

    #[test]
    fn flags_that_set_a_setting_are_documented_by_it() {
        let mut command = command();
        let rust = command.find_subcommand_mut("rust").unwrap();
        let schema = crate::config::json_schema();
        for (arg, field) in SETTINGS_FLAGS {
            let arg = rust.get_arguments().find(|a| a.get_id() == arg).unwrap();
            let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
            assert!(!help.is_empty(), "{field}");
            assert_eq!(help, crate::settings::description(&schema, field));
        }
    }

    #[test]
    fn rust_takes_its_options_from_a_config_file_with_paths_relative_to_it() {
        let dir =
            std::env::temp_dir().join(format!("fastsocket-cli-config-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        crate::init::init(&dir).unwrap();
        let config = dir.join(crate::config::FILE_NAME).display().to_string();
        let code = |args: &[&str]| {
            let cli = Cli::try_parse_from(
                ["fastsocket-gen", "rust", "--config", config.as_str()]
                    .iter()
                    .chain(args),
            )
            .unwrap();
            format!("{:?}", run(cli).unwrap())
        };
        let success = format!("{:?}", ExitCode::SUCCESS);
        let invalid = format!("{:?}", ExitCode::from(EXIT_INVALID));
        assert_eq!(code(&[]), success);
        // `out = "server"` is relative to the config file, not to the current folder.
        assert!(dir.join("server/src/generated/models.rs").is_file());
        assert_eq!(code(&["--check"]), success);
        let schema = dir.join("schemas/greeting.yaml");
        let text = std::fs::read_to_string(&schema).unwrap();
        std::fs::write(&schema, text.replace("maxLength: 64", "maxLength: 65")).unwrap();
        assert_eq!(
            code(&["--diff"]),
            invalid,
            "a change in a $ref'd file is seen"
        );
        assert_eq!(code(&["--check"]), invalid, "--diff wrote nothing");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn flags_overlay_the_config_file() {
        let dir = std::env::temp_dir().join(format!("fastsocket-cli-flags-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        crate::init::init(&dir).unwrap();
        let config = dir.join(crate::config::FILE_NAME);
        // The file asks for a server and a path runtime; the flags say models only and a git runtime.
        let text = std::fs::read_to_string(&config).unwrap();
        std::fs::write(
            &config,
            text.replace(
                "strict = false\n",
                "strict = false\nruntime = { path = \"../rt\" }\n",
            ),
        )
        .unwrap();
        let config = config.display().to_string();
        let cli = Cli::try_parse_from([
            "fastsocket-gen",
            "rust",
            "--config",
            config.as_str(),
            "--models-only",
            "--runtime-git",
            "https://example.test/fastsocket-gen.git",
            "--runtime-rev",
            "v0.1.0",
        ])
        .unwrap();
        assert_eq!(
            format!("{:?}", run(cli).unwrap()),
            format!("{:?}", ExitCode::SUCCESS)
        );
        let manifest = std::fs::read_to_string(dir.join("server/Cargo.toml")).unwrap();
        assert!(
            manifest.contains(
                "fastsocket = { git = \"https://example.test/fastsocket-gen.git\", rev = \"v0.1.0\" }"
            ),
            "{manifest}"
        );
        assert!(!dir.join("server/src/generated/server.rs").exists());
        // `--runtime-rev` needs `--runtime-git`; two kinds of runtime conflict.
        for bad in [
            &["--runtime-rev", "v1"][..],
            &["--runtime-path", "a", "--runtime-version", "1"],
        ] {
            let args = ["fastsocket-gen", "rust", "a.yaml", "-o", "x"];
            assert!(
                Cli::try_parse_from(args.iter().chain(bad)).is_err(),
                "{bad:?}"
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn strict_from_the_flag_or_the_file_makes_a_mismatching_example_invalid() {
        let dir =
            std::env::temp_dir().join(format!("fastsocket-cli-strict-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let spec = dir.join("asyncapi.yaml");
        std::fs::write(
            &spec,
            "asyncapi: 3.0.0\ninfo: {title: T, version: '1'}\nchannels:\n  a:\n    address: /a\n    messages:\n      m:\n        payload: {type: integer, minimum: 0}\n        examples:\n          - payload: -1\n",
        )
        .unwrap();
        let spec = spec.display().to_string();
        let out = dir.join("out").display().to_string();
        let code = |extra: &[&str]| {
            let args = [
                "fastsocket-gen",
                "rust",
                spec.as_str(),
                "-o",
                out.as_str(),
                "--models-only",
            ];
            format!(
                "{:?}",
                run(Cli::try_parse_from(args.iter().chain(extra)).unwrap()).unwrap()
            )
        };
        assert_eq!(code(&[]), format!("{:?}", ExitCode::SUCCESS));
        // Written and up to date: only `strict` can make the run fail now.
        assert_eq!(code(&["--check"]), format!("{:?}", ExitCode::SUCCESS));
        assert_eq!(
            code(&["--strict"]),
            format!("{:?}", ExitCode::from(EXIT_INVALID))
        );
        let config = dir.join(crate::config::FILE_NAME);
        std::fs::write(
            &config,
            "spec = \"asyncapi.yaml\"\n[rust]\nout = \"out\"\nserver = false\nstrict = true\n",
        )
        .unwrap();
        let config = config.display().to_string();
        let cli =
            Cli::try_parse_from(["fastsocket-gen", "rust", "--config", config.as_str()]).unwrap();
        assert_eq!(
            format!("{:?}", run(cli).unwrap()),
            format!("{:?}", ExitCode::from(EXIT_INVALID))
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn vue_takes_its_options_from_the_same_config_file() {
        let dir = std::env::temp_dir().join(format!("fastsocket-cli-vue-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        crate::init::init(&dir).unwrap();
        let config = dir.join(crate::config::FILE_NAME).display().to_string();
        let code = |args: &[&str]| {
            let cli = Cli::try_parse_from(
                ["fastsocket-gen", "vue", "--config", config.as_str()]
                    .iter()
                    .chain(args),
            )
            .unwrap();
            format!("{:?}", run(cli).unwrap())
        };
        let success = format!("{:?}", ExitCode::SUCCESS);
        let invalid = format!("{:?}", ExitCode::from(EXIT_INVALID));
        assert_eq!(code(&[]), success);
        // `[vue] out = "client"`, relative to the config file.
        assert!(dir.join("client/src/generated/client.ts").is_file());
        assert_eq!(code(&["--check"]), success);
        let schema = dir.join("schemas/greeting.yaml");
        let text = std::fs::read_to_string(&schema).unwrap();
        std::fs::write(&schema, text.replace("maxLength: 64", "maxLength: 65")).unwrap();
        assert_eq!(
            code(&["--check", "--diff"]),
            invalid,
            "a change in a $ref'd file is seen"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn all_writes_what_rust_and_vue_write() {
        let dir = std::env::temp_dir().join(format!("fastsocket-cli-all-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        crate::init::init(&dir).unwrap();
        let config = dir.join(crate::config::FILE_NAME).display().to_string();
        let code = |args: &[&str]| {
            let cli = Cli::try_parse_from(
                ["fastsocket-gen"]
                    .iter()
                    .chain(args)
                    .chain(&["--config", config.as_str()]),
            )
            .unwrap();
            format!("{:?}", run(cli).unwrap())
        };
        let success = format!("{:?}", ExitCode::SUCCESS);
        let invalid = format!("{:?}", ExitCode::from(EXIT_INVALID));
        assert_eq!(code(&["all"]), success);
        // `[rust] out = "server"` and `[vue] out = "client"`, relative to the config file.
        assert!(dir.join("server/src/generated/server.rs").is_file());
        assert!(dir.join("client/src/generated/client.ts").is_file());
        // Byte for byte what the two commands write.
        assert_eq!(code(&["rust", "--check"]), success);
        assert_eq!(code(&["vue", "--check"]), success);
        assert_eq!(code(&["all", "--check"]), success);
        let schema = dir.join("schemas/greeting.yaml");
        let text = std::fs::read_to_string(&schema).unwrap();
        std::fs::write(&schema, text.replace("maxLength: 64", "maxLength: 65")).unwrap();
        assert_eq!(code(&["all", "--check"]), invalid, "a change is seen");
        // `rust` alone brings the server up to date; `all` still sees the stale client.
        assert_eq!(code(&["rust"]), success);
        assert_eq!(code(&["all", "--check"]), invalid, "the client is stale");
        assert_eq!(code(&["all"]), success);
        assert_eq!(code(&["vue", "--check"]), success);
        assert_eq!(code(&["all", "--check"]), success);
        let _ = std::fs::remove_dir_all(&dir);
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
