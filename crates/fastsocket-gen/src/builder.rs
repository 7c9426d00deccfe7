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

use fastsocket_codegen_rust::{EmitError, Mapping, RuntimeDependency, RustOptions};
use fastsocket_spec::{Diagnostic, Input, LoadError, LoadOptions};

use crate::config::{ConfigError, ConfigFile};
use crate::customize::{CustomizeError, TypeAttribute, TypeOverride};
use crate::fingerprint;
use crate::flatten::{FlattenError, flatten};

/// The file inside `$OUT_DIR/<name>/` that the user includes.
pub const GENERATED_FILE: &str = "generated.rs";

/// Generates Rust code from an AsyncAPI document into `OUT_DIR`. Built by value: every setter takes and returns
/// the builder.
#[derive(Debug, Clone)]
#[must_use = "nothing is generated until `generate` is called"]
pub struct Builder {
    spec: PathBuf,
    out_dir: Option<PathBuf>,
    name: String,
    server: bool,
    mapping: Option<Mapping>,
    strict: bool,
    load: LoadOptions,
    type_attributes: Vec<TypeAttribute>,
    type_overrides: Vec<TypeOverride>,
    config: Option<PathBuf>,
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
    /// The document is invalid.
    #[error("{spec} is invalid: {} error(s)\n\n{}", errors.len(), render(errors))]
    Invalid {
        /// The document.
        spec: String,
        /// Every error found, located (file, line, column, JSON pointer).
        errors: Vec<Diagnostic>,
    },
    /// `strict(true)` and an example does not match its schema.
    #[error(
        "{spec}: strict: examples that do not match their schema are errors\n\n{}",
        render(warnings)
    )]
    Strict {
        /// The document.
        spec: String,
        /// The mismatching examples.
        warnings: Vec<Diagnostic>,
    },
    /// The emitter failed (a bug).
    #[error(transparent)]
    Emit(#[from] EmitError),
    /// A type attribute could not be applied.
    #[error(transparent)]
    Customize(#[from] CustomizeError),
    /// Flattening the emitter's output failed (a bug).
    #[error(transparent)]
    Flatten(#[from] FlattenError),
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
        Builder {
            spec: spec.into(),
            out_dir: None,
            name: "fastsocket".to_string(),
            server: true,
            mapping: None,
            strict: false,
            load: LoadOptions::default(),
            type_attributes: Vec::new(),
            type_overrides: Vec::new(),
            config: None,
            // As tonic-build: the directives only mean something when Cargo runs us.
            emit_rerun_if_changed: std::env::var_os("CARGO").is_some(),
        }
    }

    /// A builder configured by a `fastsocket.toml` (its `spec`, `[load]` and `[rust]` `mapping`, `server`,
    /// `strict`); later setters override it. The file itself is one of the inputs that rerun the build script.
    pub fn from_config(path: impl AsRef<Path>) -> Result<Builder, BuildError> {
        let file = ConfigFile::read(path)?;
        let spec = file
            .spec()
            .ok_or_else(|| BuildError::NoSpec(file.path.clone()))?;
        let rust = &file.config.rust;
        let mut builder = Builder::new(spec).load_options(file.load_options());
        builder.mapping = rust.mapping.map(Into::into);
        builder.server = rust.server.unwrap_or(true);
        builder.strict = rust.strict.unwrap_or(false);
        builder.type_attributes = file.type_attributes();
        builder.type_overrides = file.type_overrides();
        builder.config = Some(file.path);
        Ok(builder)
    }

    /// Where to write [default: the `OUT_DIR` variable].
    pub fn out_dir(mut self, dir: impl Into<PathBuf>) -> Builder {
        self.out_dir = Some(dir.into());
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
        self.server = server;
        self
    }

    /// How channels become namespaces and events [default: chosen from the document, see [`Mapping::detect`]].
    pub fn mapping(mut self, mapping: Mapping) -> Builder {
        self.mapping = Some(mapping);
        self
    }

    /// Fail when an example does not match its schema, instead of warning [default: false].
    pub fn strict(mut self, strict: bool) -> Builder {
        self.strict = strict;
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
        self.type_attributes.push(TypeAttribute {
            name: name.into(),
            attribute: attribute.into(),
        });
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
        self.type_overrides.push(TypeOverride {
            format: format.into(),
            rust_type: rust_type.into(),
        });
        self
    }

    /// How `$ref`s are read: the folder they may reach, URL prefixes served from local folders.
    pub fn load_options(mut self, options: LoadOptions) -> Builder {
        self.load = options;
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
        let out_dir = match &self.out_dir {
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
        let options = format!(
            "{:?}",
            (
                &self.spec,
                &self.config,
                self.server,
                self.mapping,
                self.strict,
                &self.load,
                &self.type_attributes,
                &self.type_overrides
            )
        );
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
        let spec_name = self.spec.display().to_string();
        // The config and the document are inputs even if loading fails below: a fix must rerun the script.
        let mut inputs: Vec<PathBuf> = self.config.iter().cloned().collect();
        inputs.push(self.spec.clone());
        let loaded = match fastsocket_spec::load(&Input::Path(self.spec.clone()), &self.load) {
            Ok(loaded) => loaded,
            Err(LoadError::Io { path, source }) => {
                for path in &inputs {
                    print(format!("cargo:rerun-if-changed={}", path.display()))?;
                }
                return Err(BuildError::Read { path, source });
            }
            Err(LoadError::Invalid(report)) => {
                inputs.extend(report.files.iter().cloned());
                for path in dedup(inputs) {
                    print(format!("cargo:rerun-if-changed={}", path.display()))?;
                }
                for warning in report.warnings() {
                    print(format!("cargo:warning={}", one_line(warning)))?;
                }
                return Err(BuildError::Invalid {
                    spec: spec_name,
                    errors: report.errors().cloned().collect(),
                });
            }
        };
        // The loader's list replaces the path as given: it holds the canonical path of the document itself.
        inputs.pop();
        inputs.extend(loaded.report.files.iter().cloned());
        let inputs = dedup(inputs);
        for path in &inputs {
            print(format!("cargo:rerun-if-changed={}", path.display()))?;
        }
        let mut warnings: Vec<String> = loaded.report.warnings().map(one_line).collect();
        if self.strict {
            let mismatches: Vec<Diagnostic> = loaded
                .report
                .warnings()
                .filter(|d| d.code == fastsocket_spec::Code::ExampleMismatch)
                .cloned()
                .collect();
            if !mismatches.is_empty() {
                return Err(BuildError::Strict {
                    spec: spec_name,
                    warnings: mismatches,
                });
            }
        }
        let mut output = fastsocket_codegen_rust::generate(
            &loaded.api,
            &RustOptions {
                // Only the user-owned files (Cargo.toml, main.rs), which the builder does not write, use these.
                crate_name: self.name.clone(),
                runtime: RuntimeDependency::Version(env!("CARGO_PKG_VERSION").to_string()),
                server: self.server,
                mapping: self.mapping,
                ..RustOptions::default()
            },
        )?;
        warnings.extend(output.warnings.iter().map(|w| w.replace(['\n', '\r'], " ")));
        for warning in &warnings {
            print(format!("cargo:warning={warning}"))?;
        }
        crate::customize::apply(
            &mut output.files,
            &self.type_attributes,
            &self.type_overrides,
        )?;
        let flat = flatten(&output.files)?;
        let mut written = write_if_changed(&file, &flat.rust)?;
        for (name, contents) in &flat.data {
            written |= write_if_changed(&dir.join(name), contents)?;
        }
        let outputs: Vec<&str> = std::iter::once(GENERATED_FILE)
            .chain(flat.data.keys().map(String::as_str))
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

fn dedup(mut paths: Vec<PathBuf>) -> Vec<PathBuf> {
    paths.sort();
    paths.dedup();
    paths
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
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(error)?;
    }
    std::fs::write(path, contents).map_err(error)?;
    Ok(true)
}
