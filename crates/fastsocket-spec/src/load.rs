//! The loading pipeline: read files → recognise the version → check structure (following every `$ref`) →
//! lower to the IR.

use std::collections::HashSet;
use std::path::PathBuf;

use fastsocket_ir::Api;

use crate::check::{self, Finding, RefSite, Shape, SpecVersion};
use crate::diag::{self, Code, Diagnostic, Severity};
use crate::examples;
use crate::lower;
use crate::node::Node;
use crate::sources::{FileId, Input, LoadOptions, Sources};

/// What loading found besides the IR.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Errors and warnings, sorted by severity, file and position.
    pub diagnostics: Vec<Diagnostic>,
    /// Every file read (the entry document and all `$ref` targets), absolute.
    pub files: Vec<PathBuf>,
}

impl Report {
    /// The errors.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }

    /// The warnings.
    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| !d.is_error())
    }
}

/// A document that loaded.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The IR.
    pub api: Api,
    /// Warnings and the files read.
    pub report: Report,
}

/// Why a document did not load.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The entry document could not be read at all.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path given.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The document is invalid; the report holds every error found.
    #[error("the document is invalid ({} errors)", .0.errors().count())]
    Invalid(Report),
}

/// Loads a document into the IR, reporting all errors of the document at once.
pub fn load(input: &Input, options: &LoadOptions) -> Result<Loaded, LoadError> {
    let sources = Sources::open(input, options).map_err(|source| LoadError::Io {
        path: match input {
            Input::Path(p) => p.display().to_string(),
            Input::Text { name, .. } => name.clone(),
        },
        source,
    })?;
    let mut diagnostics = sources.diagnostics.clone();
    let files = sources.paths();
    let finish = |mut diagnostics: Vec<Diagnostic>, api: Option<Api>| {
        diag::sort(&mut diagnostics);
        diagnostics.dedup();
        let report = Report {
            diagnostics,
            files: files.clone(),
        };
        match api {
            Some(api) if report.errors().next().is_none() => Ok(Loaded { api, report }),
            _ => Err(LoadError::Invalid(report)),
        }
    };
    let entry = sources.entry();
    let Some(root) = sources.file(entry).and_then(|f| f.root.as_ref()) else {
        return finish(diagnostics, None);
    };
    let version = match detect_version(&sources, entry, root) {
        Ok(v) => v,
        Err(d) => {
            diagnostics.push(*d);
            return finish(diagnostics, None);
        }
    };
    check_all(&sources, version, root, &mut diagnostics);
    if diagnostics.iter().any(Diagnostic::is_error) {
        return finish(diagnostics, None);
    }
    let (mut api, more) = lower::lower(&sources, version);
    diagnostics.extend(more);
    // Examples that do not match their own schemas: warnings, and `valid: false` for emitters.
    let mut mismatches = examples::check_examples(&mut api, &sources);
    if options.strict {
        for d in &mut mismatches {
            strict(d);
        }
    }
    diagnostics.extend(mismatches);
    finish(diagnostics, Some(api))
}

/// Under [`LoadOptions::strict`], an example that does not match its schema is an error.
fn strict(d: &mut Diagnostic) {
    if d.code == Code::ExampleMismatch {
        d.severity = Severity::Error;
        d.help = Some(format!(
            "{} (strict: examples that do not match their schema are errors)",
            d.help.as_deref().unwrap_or("fix the example or the schema")
        ));
    }
}

/// Reads `asyncapi` and says which line of the spec the document follows.
fn detect_version(
    sources: &Sources,
    file: FileId,
    root: &Node,
) -> Result<SpecVersion, Box<Diagnostic>> {
    let error = |message: String, help: &str, node: &Node, pointer: &str| {
        Box::new(
            sources
                .diagnostic(
                    Severity::Error,
                    Code::Version,
                    message,
                    file,
                    node.pos,
                    pointer,
                )
                .with_help(Some(help.to_string())),
        )
    };
    const SUPPORTED: &str =
        "fastsocket-gen reads AsyncAPI 2.0.0 – 2.6.0 and 3.0.0 (3.1.0 is read as 3.0)";
    if root.as_map().is_none() {
        return Err(error(
            format!(
                "an AsyncAPI document must be a mapping, found {}",
                root.kind_name()
            ),
            "a document starts with `asyncapi: 3.0.0`",
            root,
            "",
        ));
    }
    let Some(node) = root.get("asyncapi") else {
        return Err(error(
            "missing required field `asyncapi`".to_string(),
            "add `asyncapi: 3.0.0` (or the 2.x version the document follows) at the top",
            root,
            "",
        ));
    };
    let Some(text) = node.as_str() else {
        return Err(error(
            format!(
                "`asyncapi` must be a version string such as \"3.0.0\", found {}",
                node.kind_name()
            ),
            "quote it: `asyncapi: '3.0.0'`",
            node,
            "/asyncapi",
        ));
    };
    let parts: Vec<&str> = text.split('.').collect();
    let parsed = match parts.as_slice() {
        [major, minor, patch] => match (
            major.parse::<u8>(),
            minor.parse::<u8>(),
            patch.parse::<u16>(),
        ) {
            (Ok(2), Ok(minor @ 0..=6), Ok(_)) => Some(SpecVersion::V2 { minor }),
            (Ok(3), Ok(minor @ 0..=1), Ok(_)) => Some(SpecVersion::V3 { minor }),
            _ => None,
        },
        _ => None,
    };
    parsed.ok_or_else(|| {
        error(
            format!("unsupported AsyncAPI version `{text}`"),
            SUPPORTED,
            node,
            "/asyncapi",
        )
    })
}

/// Checks the document's structure, following every Reference Object to check its target once per shape.
fn check_all(sources: &Sources, version: SpecVersion, root: &Node, out: &mut Vec<Diagnostic>) {
    let mut done: HashSet<(FileId, String, Shape)> = HashSet::new();
    let mut queue: Vec<(FileId, String, &Node, Shape)> =
        vec![(sources.entry(), String::new(), root, Shape::Document)];
    while let Some((file, pointer, node, shape)) = queue.pop() {
        if !done.insert((file, pointer.clone(), shape)) {
            continue;
        }
        let mut findings: Vec<Finding> = Vec::new();
        let mut refs: Vec<RefSite> = Vec::new();
        check::check_shape(version, shape, node, &pointer, &mut findings, &mut refs);
        for f in findings {
            let severity = match f.severity {
                check::Severity::Error => Severity::Error,
                check::Severity::Warning => Severity::Warning,
            };
            out.push(
                sources
                    .diagnostic(
                        severity,
                        code_of(&f.message),
                        f.message,
                        file,
                        f.pos,
                        &f.pointer,
                    )
                    .with_help(f.help),
            );
        }
        for site in refs {
            match sources.resolve(file, &site.reference).and_then(|first| {
                sources.follow(first.target.file, &first.pointer, first.target.node)
            }) {
                Ok(target) => queue.push((
                    target.target.file,
                    target.pointer,
                    target.target.node,
                    site.shape,
                )),
                Err(err) => out.push(
                    sources
                        .diagnostic(
                            Severity::Error,
                            err.code,
                            err.message,
                            file,
                            site.pos,
                            &site.pointer,
                        )
                        .with_help(err.help),
                ),
            }
        }
    }
}

/// A stable code for a structural finding, from the wording the checker uses.
fn code_of(message: &str) -> Code {
    if message.starts_with("unknown field") {
        Code::UnknownField
    } else if message.starts_with("missing required") {
        Code::MissingField
    } else if message.contains("duplicate") {
        Code::Duplicate
    } else {
        Code::InvalidValue
    }
}
