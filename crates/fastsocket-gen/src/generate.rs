//! The one Rust generation: [`Settings`] in, the emitter's files out. The `rust` command (once, under `--watch`,
//! with `--check`/`--diff`) and the build.rs [`crate::Builder`] all call [`generate`]; they differ only in where
//! and how they write the files.

use std::io::Read as _;
use std::path::PathBuf;

use fastsocket_codegen_rust::{EmitError, Layout, Output, RuntimeDependency};
use fastsocket_ir::Api;
use fastsocket_spec::{Diagnostic, Input, LoadError, Loaded, Report};

use crate::settings::{Settings, default_runtime};

/// What a generation made, and what it read.
#[derive(Debug, Clone)]
pub struct Generation {
    /// The files, in the settings' layout.
    pub output: Output,
    /// Every file the output depends on: the config file, the document and each file reached through `$ref`
    /// (sorted; absolute where the loader knew the real path).
    pub inputs: Vec<PathBuf>,
    /// The loader's warnings about the document.
    pub diagnostics: Vec<Diagnostic>,
    /// Warnings of the generation itself (the emitter's notes, a runtime dependency that had to be guessed).
    pub warnings: Vec<String>,
}

/// Why nothing was generated. Each case keeps the files read so far: a fix to any of them must start the next
/// run (`--watch`, `cargo:rerun-if-changed`).
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// The settings name no document.
    #[error(
        "no document: pass SPEC, or run where a fastsocket.toml names one (`spec = \"asyncapi.yaml\"`)"
    )]
    NoSpec,
    /// The document could not be read at all.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The path given.
        path: String,
        /// Why.
        source: std::io::Error,
        /// The files read.
        inputs: Vec<PathBuf>,
    },
    /// The document is invalid (under `strict`, also when an example does not match its schema).
    #[error("{spec} is invalid: {} error(s)", report.errors().count())]
    Invalid {
        /// The document.
        spec: String,
        /// Every error and warning, located.
        report: Report,
        /// The files read.
        inputs: Vec<PathBuf>,
    },
    /// A setting cannot be used (the message says which and why).
    #[error("{message}")]
    Settings {
        /// What is wrong.
        message: String,
        /// The files read.
        inputs: Vec<PathBuf>,
    },
    /// The emitter refused an option (a type attribute or override), or failed (a bug).
    #[error(transparent)]
    Emit(#[from] EmitError),
}

impl GenerateError {
    /// The files read before the failure.
    pub fn inputs(&self) -> &[PathBuf] {
        match self {
            GenerateError::Read { inputs, .. }
            | GenerateError::Invalid { inputs, .. }
            | GenerateError::Settings { inputs, .. } => inputs,
            GenerateError::NoSpec | GenerateError::Emit(_) => &[],
        }
    }
}

/// Loads the document of `settings` (with its `$ref` options and `strict`) and runs the Rust emitter with the rest.
pub fn generate(settings: &Settings) -> Result<Generation, GenerateError> {
    let document = load(settings)?;
    emit(
        settings,
        &document.loaded.api,
        document.inputs,
        document.loaded.report.diagnostics,
    )
}

/// A document loaded for generation, with every file it depends on.
#[derive(Debug)]
pub struct Document {
    /// The loader's result: the IR and the report of its warnings.
    pub loaded: Loaded,
    /// The config file, the document and each file reached through `$ref` (sorted, deduplicated).
    pub inputs: Vec<PathBuf>,
}

/// The first half of [`generate`]: loads the document of `settings` (with its `$ref` options and `strict`), for
/// callers that hand one loaded document to more than one emitter.
pub fn load(settings: &Settings) -> Result<Document, GenerateError> {
    let spec = settings.spec.clone().ok_or(GenerateError::NoSpec)?;
    // The config and the document are inputs even if loading fails below: a fix must start the next run.
    let mut inputs: Vec<PathBuf> = settings.config.iter().cloned().collect();
    let stdin = spec.as_os_str() == "-";
    let input = if stdin {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|source| GenerateError::Read {
                path: "<stdin>".to_string(),
                source,
                inputs: inputs.clone(),
            })?;
        Input::Text {
            name: "<stdin>".to_string(),
            text,
        }
    } else {
        inputs.push(spec.clone());
        Input::Path(spec.clone())
    };
    let loaded = match fastsocket_spec::load(&input, &settings.load_options()) {
        Ok(loaded) => loaded,
        Err(LoadError::Io { path, source }) => {
            return Err(GenerateError::Read {
                path,
                source,
                inputs: dedup(inputs),
            });
        }
        Err(LoadError::Invalid(report)) => {
            inputs.extend(report.files.iter().cloned());
            return Err(GenerateError::Invalid {
                spec: spec.display().to_string(),
                report,
                inputs: dedup(inputs),
            });
        }
    };
    // The loader's list holds the canonical path of the document itself, in place of the path as given.
    if !stdin {
        inputs.pop();
    }
    inputs.extend(loaded.report.files.iter().cloned());
    Ok(Document {
        loaded,
        inputs: dedup(inputs),
    })
}

/// The second half of [`generate`]: the Rust emitter with the options of `settings` over a loaded document; the
/// `inputs` and loader `diagnostics` are passed through to the [`Generation`].
pub fn emit(
    settings: &Settings,
    api: &Api,
    inputs: Vec<PathBuf>,
    diagnostics: Vec<Diagnostic>,
) -> Result<Generation, GenerateError> {
    let mut warnings = Vec::new();
    let runtime = match (&settings.runtime, settings.layout, &settings.out) {
        (Some(runtime), _, _) => {
            runtime
                .dependency()
                .map_err(|message| GenerateError::Settings {
                    message,
                    inputs: inputs.clone(),
                })?
        }
        (None, Layout::Crate, Some(out)) => {
            let (runtime, warning) = default_runtime(out);
            warnings.extend(warning);
            runtime
        }
        // A single file has no manifest: the dependency is the including crate's business.
        (None, _, _) => RuntimeDependency::Version(env!("CARGO_PKG_VERSION").to_string()),
    };
    let options = settings.rust_options(&api.info.title, runtime);
    let output = fastsocket_codegen_rust::generate(api, &options)?;
    warnings.extend(output.warnings.iter().cloned());
    Ok(Generation {
        output,
        inputs,
        diagnostics,
        warnings,
    })
}

fn dedup(mut paths: Vec<PathBuf>) -> Vec<PathBuf> {
    paths.sort();
    paths.dedup();
    paths
}
