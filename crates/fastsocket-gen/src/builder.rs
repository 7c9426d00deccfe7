//! The build.rs API, in the style of prost-build and tonic-build.
//!
//! ```no_run
//! // build.rs (with `fastsocket-gen` under [build-dependencies])
//! fn main() -> Result<(), fastsocket_gen::BuildError> {
//!     fastsocket_gen::Builder::new("asyncapi.yaml").server(true).generate()?;
//!     Ok(())
//! }
//! ```
//!
//! ```ignore
//! // src/lib.rs (with `fastsocket`, `serde`, `serde_json`, `schemars`, `chrono` and `uuid` under [dependencies])
//! // Item docs come from the document's descriptions; not every schema has one.
//! #[allow(missing_docs)]
//! pub mod api {
//!     include!(concat!(env!("OUT_DIR"), "/fastsocket/generated.rs"));
//! }
//! ```
//!
//! `examples/build-rs` is a complete server built this way.
//!
//! The generated modules (`models`, `validators`, `server` and, under `cfg(test)`, the spec's examples as tests)
//! land in `$OUT_DIR/<name>/generated.rs` (`name` defaults to `fastsocket`), written only when their contents
//! change. Under Cargo the builder prints `cargo:rerun-if-changed` for the document and every file reached through
//! `$ref` (and the `fastsocket.toml` it was configured from), so editing any of them — and nothing else — reruns
//! the build script; warnings become `cargo:warning=` lines; an invalid document fails the build with every error
//! located as `file:line:col`.
//!
//! A rerun whose inputs have the same contents as last time (a touch, a save without edits) reuses the previous
//! output after hashing the inputs, instead of loading and generating again (see [`crate::fingerprint`]).

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use fastsocket_codegen_rust::{EmitError, Layout, Mapping};
use fastsocket_spec::{Diagnostic, LoadOptions};

use crate::config::{ConfigError, ConfigFile};
use crate::fingerprint;
use crate::generate::{GenerateError, generate};
use crate::settings::Settings;

/// The file inside `$OUT_DIR/<name>/` that the user includes.
pub const GENERATED_FILE: &str = fastsocket_codegen_rust::SINGLE_FILE;

/// Generates Rust code from an AsyncAPI document into `OUT_DIR`. Built by value: every setter takes and returns
/// the builder.
#[derive(Debug, Clone)]
#[must_use = "nothing is generated until `generate` is called"]
pub struct Builder {
    /// Everything the generation depends on; the setters write its fields.
    settings: Settings,
    name: String,
    emit_rerun_if_changed: bool,
}

/// What [`Builder::generate`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    /// The file to `include!`.
    pub file: PathBuf,
    /// Every file the generation depends on: the document, each file reached through `$ref`, and the
    /// `fastsocket.toml` the builder was configured from (sorted, absolute when the loader knew the real path).
    pub inputs: Vec<PathBuf>,
    /// Whether any output file was (re)written; `false` when everything was already up to date.
    pub written: bool,
    /// Whether the previous output was reused without loading or generating: every input had the contents it had
    /// then, and the options and the generator were the same.
    pub reused: bool,
    /// Warnings about the document and the generation, one line each.
    pub warnings: Vec<String>,
}

/// Why generation failed. `Debug` prints the same text as `Display`, so `fn main() -> Result<(), BuildError>` in a
/// build script shows the located errors as they are.
#[derive(thiserror::Error)]
pub enum BuildError {
    /// Neither [`Builder::out_dir`] nor the `OUT_DIR` variable (set by Cargo for build scripts) says where to write.
    #[error("OUT_DIR is not set: call `Builder::out_dir`, or run the builder from a build script")]
    NoOutDir,
    /// The output name would not be a plain folder name.
    #[error("`{0}` is not a usable output name: use letters, digits, `_` and `-` only")]
    BadName(String),
    /// The `fastsocket.toml` could not be used.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The configuration names no document.
    #[error("{}: no `spec = \"…\"` names the AsyncAPI document", .0.display())]
    NoSpec(PathBuf),
    /// The document could not be read at all.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The path given.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The document is invalid (with `strict(true)`, also when an example does not match its schema).
    #[error("{spec} is invalid: {} error(s)\n\n{}", errors.len(), render(errors))]
    Invalid {
        /// The document.
        spec: String,
        /// Every error found, located (file, line, column, JSON pointer).
        errors: Vec<Diagnostic>,
    },
    /// A setting cannot be used.
    #[error("{0}")]
    Settings(String),
    /// A type attribute or override cannot be applied, or the emitter failed (a bug).
    #[error(transparent)]
    Emit(#[from] EmitError),
    /// An output file could not be written, or build-script output could not be printed.
    #[error("{}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl fmt::Debug for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

fn render(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| d.render(false))
        .collect::<Vec<_>>()
        .join("\n")
}

/// One line for `cargo:warning=`: Cargo shows each such line on its own.
fn one_line(d: &Diagnostic) -> String {
    let severity = if d.is_error() { "error" } else { "warning" };
    format!(
        "{}:{}:{}: {severity}[{}]: {}",
        d.file,
        d.line,
        d.column,
        d.code,
        d.message.replace(['\n', '\r'], " ")
    )
}

impl Builder {
    /// A builder for the document at `spec` (YAML or JSON; relative paths are relative to the current folder,
    /// which for a build script is the package's folder).
    pub fn new(spec: impl Into<PathBuf>) -> Builder {
        Builder::with_settings(Settings::new(spec))
    }

    /// A builder configured by a `fastsocket.toml` (its `spec`, `[load]` and `[rust]`, see
    /// [`Settings::from_config`]); later setters override it. The file itself is one of the inputs that rerun the
    /// build script.
    pub fn from_config(path: impl AsRef<Path>) -> Result<Builder, BuildError> {
        let file = ConfigFile::read(path)?;
        let mut settings = Settings::from_config(&file);
        if settings.spec.is_none() {
            return Err(BuildError::NoSpec(file.path));
        }
        // The file's `out` is where the CLI writes its crate; a build script writes to OUT_DIR.
        settings.out = None;
        Ok(Builder::with_settings(settings))
    }

    /// A builder for settings made elsewhere; its layout is always the single file that `include!` reads.
    pub fn with_settings(settings: Settings) -> Builder {
        Builder {
            settings: Settings {
                layout: Layout::SingleFile,
                ..settings
            },
            name: "fastsocket".to_string(),
            // As tonic-build: the directives only mean something when Cargo runs us.
            emit_rerun_if_changed: std::env::var_os("CARGO").is_some(),
        }
    }

    /// The settings the builder will generate with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Where to write [default: the `OUT_DIR` variable].
    pub fn out_dir(mut self, dir: impl Into<PathBuf>) -> Builder {
        self.settings.out = Some(dir.into());
        self
    }

    /// The folder under the output folder, so one crate can generate from several documents
    /// [default: `fastsocket`]. The file to include is `$OUT_DIR/<name>/generated.rs`.
    pub fn name(mut self, name: impl Into<String>) -> Builder {
        self.name = name.into();
        self
    }

    /// Generate the Socket.IO server (handler traits, emitters, `run`), not only the models [default: true].
    /// The models and their validators are always generated.
    pub fn server(mut self, server: bool) -> Builder {
        self.settings.server = server;
        self
    }

    /// How channels become namespaces and events [default: chosen from the document, see [`Mapping::detect`]].
    pub fn mapping(mut self, mapping: Mapping) -> Builder {
        self.settings.mapping = Some(mapping.into());
        self
    }

    /// Fail when an example does not match its schema, instead of warning [default: false].
    pub fn strict(mut self, strict: bool) -> Builder {
        self.settings.strict = strict;
        self
    }

    /// Adds outer attributes to the model type `name` (its Rust name, as in `models::User`; `*`: every model
    /// struct and enum), like prost-build's `type_attribute`: `.type_attribute("User", "#[derive(Eq, Hash)]")`.
    /// A name no model has, or text that is not an attribute, fails the build with a message saying so.
    pub fn type_attribute(
        mut self,
        name: impl Into<String>,
        attribute: impl Into<String>,
    ) -> Builder {
        self.settings
            .type_attributes
            .entry(name.into())
            .or_default()
            .push(attribute.into());
        self
    }

    /// The Rust type of string values with `format` (`date-time`, `date` or `uuid`) in place of the default
    /// (`chrono::DateTime<FixedOffset>`, `chrono::NaiveDate`, `uuid::Uuid`): `.type_override("date-time",
    /// "::std::string::String")`. The type must implement what models derive (`Debug`, `Clone`, `PartialEq`,
    /// serde, `schemars::JsonSchema`); the validators still check the format before deserialisation.
    pub fn type_override(
        mut self,
        format: impl Into<String>,
        rust_type: impl Into<String>,
    ) -> Builder {
        self.settings
            .type_overrides
            .insert(format.into(), rust_type.into());
        self
    }

    /// How `$ref`s are read: the folder they may reach, URL prefixes served from local folders.
    pub fn load_options(mut self, options: LoadOptions) -> Builder {
        self.settings.load = options;
        self
    }

    /// Print `cargo:rerun-if-changed` and `cargo:warning` lines [default: when run by Cargo, i.e. `CARGO` is set].
    pub fn emit_rerun_if_changed(mut self, emit: bool) -> Builder {
        self.emit_rerun_if_changed = emit;
        self
    }

    /// Generates, printing Cargo directives to standard output.
    pub fn generate(self) -> Result<Generated, BuildError> {
        let stdout = std::io::stdout();
        self.generate_to(&mut stdout.lock())
    }

    /// Generates, printing Cargo directives (if enabled) to `directives`.
    pub fn generate_to(self, directives: &mut dyn Write) -> Result<Generated, BuildError> {
        let out_dir = match &self.settings.out {
            Some(dir) => dir.clone(),
            None => PathBuf::from(std::env::var_os("OUT_DIR").ok_or(BuildError::NoOutDir)?),
        };
        if self.name.is_empty()
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(BuildError::BadName(self.name));
        }
        let emit = self.emit_rerun_if_changed;
        let mut print = |line: String| -> Result<(), BuildError> {
            if emit {
                writeln!(directives, "{line}").map_err(|source| BuildError::Write {
                    path: PathBuf::from("<stdout>"),
                    source,
                })?;
            }
            Ok(())
        };
        let started = SystemTime::now();
        let dir = out_dir.join(&self.name);
        let file = dir.join(GENERATED_FILE);
        // Everything the output depends on besides the inputs' contents and the generator.
        let options = format!("{:?}", self.settings);
        if let Some(reused) = fingerprint::check(&dir, &options) {
            for path in &reused.inputs {
                print(format!("cargo:rerun-if-changed={}", path.display()))?;
            }
            for warning in &reused.warnings {
                print(format!("cargo:warning={warning}"))?;
            }
            return Ok(Generated {
                file,
                inputs: reused.inputs,
                written: false,
                reused: true,
                warnings: reused.warnings,
            });
        }
        let spec_name = self
            .settings
            .spec
            .as_deref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        let generation = match generate(&self.settings) {
            Ok(generation) => generation,
            Err(err) => {
                for path in err.inputs() {
                    print(format!("cargo:rerun-if-changed={}", path.display()))?;
                }
                return Err(match err {
                    GenerateError::Invalid { report, .. } => {
                        for warning in report.warnings() {
                            print(format!("cargo:warning={}", one_line(warning)))?;
                        }
                        BuildError::Invalid {
                            spec: spec_name,
                            errors: report.errors().cloned().collect(),
                        }
                    }
                    GenerateError::Read { path, source, .. } => BuildError::Read { path, source },
                    GenerateError::NoSpec => {
                        BuildError::NoSpec(self.settings.config.clone().unwrap_or_default())
                    }
                    GenerateError::Settings { message, .. } => BuildError::Settings(message),
                    GenerateError::Emit(e) => BuildError::Emit(e),
                });
            }
        };
        let inputs = generation.inputs;
        for path in &inputs {
            print(format!("cargo:rerun-if-changed={}", path.display()))?;
        }
        let warnings: Vec<String> = generation
            .diagnostics
            .iter()
            .filter(|d| !d.is_error())
            .map(one_line)
            .chain(
                generation
                    .warnings
                    .iter()
                    .map(|w| w.replace(['\n', '\r'], " ")),
            )
            .collect();
        for warning in &warnings {
            print(format!("cargo:warning={warning}"))?;
        }
        let mut written = false;
        for output in &generation.output.files {
            written |= write_if_changed(&dir.join(&output.path), &output.contents)?;
        }
        let outputs: Vec<&str> = generation
            .output
            .files
            .iter()
            .map(|f| f.path.as_str())
            .collect();
        let record_path = dir.join(fingerprint::FILE_NAME);
        match fingerprint::record(started, &options, &inputs, &warnings, &dir, &outputs) {
            Some(record) => {
                write_if_changed(&record_path, &record)?;
            }
            // Not recordable this time (an input saved moments ago): no stale record may stay behind.
            None => match std::fs::remove_file(&record_path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(BuildError::Write {
                        path: record_path,
                        source: e,
                    });
                }
                _ => {}
            },
        }
        Ok(Generated {
            file,
            inputs,
            written,
            reused: false,
            warnings,
        })
    }
}

/// Writes only when the contents differ, so an unchanged file keeps its timestamp for tools that watch it
/// (rust-analyzer, `cargo watch`). Cargo itself recompiles the including crate whenever the build script ran.
fn write_if_changed(path: &Path, contents: &str) -> Result<bool, BuildError> {
    if std::fs::read(path).is_ok_and(|current| current == contents.as_bytes()) {
        return Ok(false);
    }
    let error = |source| BuildError::Write {
        path: path.to_path_buf(),
        source,
    };
    let folder = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(folder).map_err(error)?;
    crate::atomic::write(folder, path, contents.as_bytes()).map_err(error)?;
    Ok(true)
}
