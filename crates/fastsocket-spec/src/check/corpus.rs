//! The checks over the shared AsyncAPI corpus: every document the manifest marks `ok` must pass without errors, and
//! the invalid documents whose faults are structural must be caught.
//!
//! Only same-file `#/...` references are followed here (with a small resolver local to the test); loading other
//! files is the resolver's job and is tested there.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::node::{Kind, Node};
use crate::syntax;

use super::{Finding, RefSite, Severity, Shape, SpecVersion, check_shape, push_pointer};

fn corpus_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/asyncapi-corpus");
    dir.join("MANIFEST.tsv").is_file().then_some(dir)
}

/// `(path, expect)` rows of the manifest.
fn manifest(dir: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(dir.join("MANIFEST.tsv")).unwrap_or_default();
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let mut cols = line.split('\t');
            Some((cols.next()?.to_string(), cols.next()?.to_string()))
        })
        .collect()
}

/// The version named by the `asyncapi` field (detecting it properly is the loader's job).
pub(super) fn version_of(doc: &Node) -> SpecVersion {
    let text = doc.get_str("asyncapi").unwrap_or("3.0.0");
    let mut parts = text.split('.');
    let major = parts.next().unwrap_or("3");
    let minor = parts.next().and_then(|m| m.parse().ok()).unwrap_or(0);
    if major == "2" {
        SpecVersion::V2 { minor }
    } else {
        SpecVersion::V3 { minor }
    }
}

/// The node a same-document fragment (`/a/b~1c`, already without `#`) points at.
fn resolve<'a>(root: &'a Node, fragment: &str) -> Option<&'a Node> {
    let decoded = percent_encoding::percent_decode_str(fragment)
        .decode_utf8()
        .ok()?;
    let mut node = root;
    for token in decoded.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        node = match &node.kind {
            Kind::Map(_) => node.get(&token)?,
            Kind::Seq(items) => items.get(token.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(node)
}

/// A pointer in the escaped form findings use.
fn normalise(fragment: &str) -> String {
    let decoded = percent_encoding::percent_decode_str(fragment)
        .decode_utf8_lossy()
        .into_owned();
    decoded.split('/').skip(1).fold(String::new(), |acc, t| {
        push_pointer(&acc, &t.replace("~1", "/").replace("~0", "~"))
    })
}

/// What checking one document produced.
pub(super) struct Outcome {
    /// Every finding, in the document and in the targets of its local references.
    pub findings: Vec<Finding>,
    /// Local references that point nowhere.
    pub dangling: Vec<RefSite>,
    /// References to other files or URLs, not followed.
    pub external: Vec<RefSite>,
}

/// Checks a document, then the target of every same-file reference once per shape.
pub(super) fn check_document(root: &Node) -> Outcome {
    let version = version_of(root);
    let mut out = Outcome {
        findings: Vec::new(),
        dangling: Vec::new(),
        external: Vec::new(),
    };
    let mut refs = Vec::new();
    check_shape(
        version,
        Shape::Document,
        root,
        "",
        &mut out.findings,
        &mut refs,
    );
    let mut seen: HashSet<(String, Shape)> = HashSet::new();
    while let Some(site) = refs.pop() {
        let Some(fragment) = site.reference.strip_prefix('#') else {
            out.external.push(site);
            continue;
        };
        let Some(target) = resolve(root, fragment) else {
            out.dangling.push(site);
            continue;
        };
        let pointer = normalise(fragment);
        if seen.insert((pointer.clone(), site.shape)) {
            check_shape(
                version,
                site.shape,
                target,
                &pointer,
                &mut out.findings,
                &mut refs,
            );
        }
    }
    // Targets inside the same document's `components` are checked once in place and once as targets.
    let mut unique: Vec<Finding> = Vec::new();
    for f in std::mem::take(&mut out.findings) {
        if !unique
            .iter()
            .any(|u| u.pointer == f.pointer && u.message == f.message)
        {
            unique.push(f);
        }
    }
    out.findings = unique;
    out
}

fn parse_file(path: &Path) -> Result<Node, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))?;
    match syntax::parse(&text) {
        (Some(node), _) => Ok(node),
        (None, issues) => Err(format!(
            "syntax: {}",
            issues.first().map_or("?", |i| i.message.as_str())
        )),
    }
}

fn errors(findings: &[Finding]) -> Vec<&Finding> {
    findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect()
}

#[test]
fn corpus_ok_documents_have_no_errors() {
    let Some(dir) = corpus_dir() else {
        eprintln!(
            "note: the AsyncAPI corpus is not at ../../../shared/asyncapi-corpus; test skipped"
        );
        return;
    };
    let mut failures = Vec::new();
    let mut checked = 0;
    for (path, expect) in manifest(&dir) {
        if expect != "ok" {
            continue;
        }
        let root = match parse_file(&dir.join(&path)) {
            Ok(root) => root,
            Err(e) => {
                failures.push(format!("{path}: {e}"));
                continue;
            }
        };
        checked += 1;
        let outcome = check_document(&root);
        let warnings = outcome
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Warning)
            .count();
        if warnings > 0 {
            eprintln!("{path}: {warnings} warning(s)");
            for f in outcome
                .findings
                .iter()
                .filter(|f| f.severity == Severity::Warning)
                .take(3)
            {
                eprintln!(
                    "    warning {} at {}:{}: {}",
                    f.pointer, f.pos.line, f.pos.column, f.message
                );
            }
        }
        for f in errors(&outcome.findings) {
            failures.push(format!(
                "{path}: {} at {}:{}: {}",
                f.pointer, f.pos.line, f.pos.column, f.message
            ));
        }
    }
    eprintln!("checked {checked} ok documents");
    assert!(checked > 0);
    assert!(
        failures.is_empty(),
        "errors in documents marked ok:\n{}",
        failures.join("\n")
    );
}

/// Invalid documents whose faults are structural, with a fragment of the expected message. The others in
/// `invalid/` fail for reasons outside these checks (unresolvable references, examples not matching their schema,
/// YAML syntax), which the loader reports.
const CAUGHT: &[(&str, &str)] = &[
    (
        "invalid/parserjs-openapi-schemaformat-invalid-payload.yaml",
        "`type` must be one of",
    ),
    (
        "invalid/parserjs-v1-invalid-asyncapi-messages-example.yml",
        "must have `payload` or `headers`",
    ),
    (
        "invalid/parserjs-v1-invalid-asyncapi-root-with-duplicate-tags.yaml",
        "duplicate tag name",
    ),
    (
        "invalid/parserjs-v1-invalid-asyncapi.json",
        "missing required field `title`",
    ),
    (
        "invalid/parserjs-v1-invalid-asyncapi.yaml",
        "unknown field `test`",
    ),
    (
        "invalid/parserjs-v1-invalid-message-traits-with-duplicate-tags.yaml",
        "duplicate tag name",
    ),
    (
        "invalid/parserjs-v1-invalid-message-with-duplicate-tags.yaml",
        "duplicate tag name",
    ),
    (
        "invalid/parserjs-v1-invalid-operation-traits-with-duplicate-tags.yaml",
        "duplicate tag name",
    ),
    (
        "invalid/parserjs-v1-invalid-operation-with-duplicate-tags.yaml",
        "duplicate tag name",
    ),
    (
        "invalid/parserjs-v1-invalid-operation-with-oneof-and-duplicate-tags.yaml",
        "duplicate tag name",
    ),
    (
        "invalid/parserjs-v1-invalid-payload-asyncapi-format.json",
        "expected a schema",
    ),
    (
        "invalid/v2-converter-2.0.0-streetlights.json",
        "unknown field `name` in the Parameter Object",
    ),
    (
        "invalid/v2-converter-pair-mixed-parameters.yml",
        "missing required field `info`",
    ),
    (
        "invalid/v3-converter-pair-mixed-parameters.yml",
        "must be a runtime expression",
    ),
];

#[test]
fn corpus_invalid_documents() {
    let Some(dir) = corpus_dir() else {
        eprintln!(
            "note: the AsyncAPI corpus is not at ../../../shared/asyncapi-corpus; test skipped"
        );
        return;
    };
    let mut missed = Vec::new();
    for (path, _) in manifest(&dir)
        .into_iter()
        .filter(|(p, _)| p.starts_with("invalid/"))
    {
        let outcome = match parse_file(&dir.join(&path)) {
            Ok(root) => check_document(&root),
            Err(e) => {
                eprintln!("NOT CAUGHT (outside scope) {path}: {e}");
                continue;
            }
        };
        let errs = errors(&outcome.findings);
        let expected = CAUGHT.iter().find(|(p, _)| *p == path).map(|(_, m)| *m);
        if errs.is_empty() {
            eprintln!(
                "NOT CAUGHT {path}: {} dangling and {} external reference(s)",
                outcome.dangling.len(),
                outcome.external.len()
            );
        } else {
            eprintln!("CAUGHT {path}");
            for f in &errs {
                eprintln!(
                    "    {} at {}:{}: {}",
                    f.pointer, f.pos.line, f.pos.column, f.message
                );
            }
        }
        if let Some(fragment) = expected
            && !errs.iter().any(|f| f.message.contains(fragment))
        {
            missed.push(format!("{path}: no error containing {fragment:?}"));
        }
    }
    assert!(missed.is_empty(), "{}", missed.join("\n"));
}

/// The entry of `parserjs-v1-ref-to-broken-file` cannot be resolved (its `$ref` is relative to the wrong folder),
/// but the broken schema it was meant to reach is caught once the chain is followed.
#[test]
fn corpus_broken_schema_behind_a_reference() {
    let Some(dir) = corpus_dir() else {
        eprintln!(
            "note: the AsyncAPI corpus is not at ../../../shared/asyncapi-corpus; test skipped"
        );
        return;
    };
    let folder = dir.join("invalid/parserjs-v1-ref-to-broken-file/wrong");
    let (Ok(message), Ok(schema)) = (
        parse_file(&folder.join("good-refed-file.yml")),
        parse_file(&folder.join("refed-file-broken-schema.yml")),
    ) else {
        panic!("the corpus files do not parse");
    };
    let version = SpecVersion::V2 { minor: 0 };
    let (mut findings, mut refs) = (Vec::new(), Vec::new());
    check_shape(
        version,
        Shape::Message,
        &message,
        "",
        &mut findings,
        &mut refs,
    );
    assert!(findings.is_empty());
    assert_eq!(refs.len(), 1);
    assert_eq!(
        (refs[0].reference.as_str(), refs[0].shape),
        ("refed-file-broken-schema.yml", Shape::Schema)
    );
    check_shape(
        version,
        refs[0].shape,
        &schema,
        "",
        &mut findings,
        &mut refs,
    );
    let pointers: Vec<_> = errors(&findings)
        .iter()
        .map(|f| f.pointer.as_str())
        .collect();
    assert_eq!(pointers, vec!["/properties/name", "/properties/type"]);
}
