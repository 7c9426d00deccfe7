//! The files of one document: the entry file and every file reached through `$ref`, and `$ref` resolution.
//!
//! All files are read up front (every `$ref` string in every file read is followed once), so the later passes
//! work on an immutable set and can hold references into several files at once. A file that cannot be read is
//! remembered with its reason and reported only where a `$ref` really needs it.

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};

use crate::diag::{Code, Diagnostic, Severity, did_you_mean};
use crate::node::{Kind, Node, Pos};
use crate::pointer;
use crate::syntax::{self, Format};

/// How many references one pointer may pass through before it is taken for a loop.
const MAX_REF_NESTING: usize = 64;

/// Index of a file in [`Sources`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// Options for reading a document and the files it references.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// Files reached through `$ref` must lie under this folder. Default: the nearest ancestor of the entry document
    /// holding `.git` or `fastsocket.toml`, else the entry document's folder.
    pub ref_root: Option<PathBuf>,
    /// `http(s)` URL prefixes served from local folders instead of the network (which is never used).
    pub url_map: Vec<(String, PathBuf)>,
    /// Examples that do not match their schema are errors (the document does not load) instead of warnings.
    pub strict: bool,
}

/// What to read.
#[derive(Debug, Clone)]
pub enum Input {
    /// A file.
    Path(PathBuf),
    /// Text read elsewhere (standard input); relative `$ref`s resolve against the current folder.
    Text {
        /// The name to show in diagnostics.
        name: String,
        /// The document.
        text: String,
    },
}

/// One file read.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as read (absolute, canonical), `None` for standard input.
    pub path: Option<PathBuf>,
    /// The folder `$ref`s in this file resolve against.
    pub dir: PathBuf,
    /// The name shown in diagnostics.
    pub display: String,
    /// The text.
    pub text: String,
    /// JSON or YAML.
    pub format: Format,
    /// The tree (`None` when the text did not parse).
    pub root: Option<Node>,
    /// Byte offsets where lines start: diagnostics show source lines, and a large file may get many of them.
    line_starts: Vec<usize>,
}

impl SourceFile {
    /// Line `line` (1-based) as diagnostics show it (see [`crate::diag::source_line`]).
    pub fn source_line(&self, line: u32) -> Option<String> {
        let index = usize::try_from(line.checked_sub(1)?).ok()?;
        let start = *self.line_starts.get(index)?;
        let end = self
            .line_starts
            .get(index + 1)
            .copied()
            .unwrap_or(self.text.len());
        crate::diag::source_line(&self.text[start..end], 1)
    }
}

enum Slot {
    Loaded(SourceFile),
    Failed(String),
}

/// A resolved reference.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// The file holding the target.
    pub file: FileId,
    /// The node.
    pub node: &'a Node,
}

/// A resolved reference with the target's pointer.
#[derive(Debug, Clone)]
pub struct Resolved<'a> {
    /// The file and node.
    pub target: Target<'a>,
    /// The target's JSON pointer inside its file.
    pub pointer: String,
}

/// Why a `$ref` could not be resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct RefError {
    /// A stable code.
    pub code: Code,
    /// What went wrong.
    pub message: String,
    /// What would fix it.
    pub help: Option<String>,
}

/// The files of a document.
pub struct Sources {
    slots: Vec<Slot>,
    by_key: HashMap<PathBuf, FileId>,
    ref_root: PathBuf,
    base_dir: PathBuf,
    url_map: Vec<(String, PathBuf)>,
    /// Problems met while reading files (syntax errors of referenced files among them).
    pub diagnostics: Vec<Diagnostic>,
}

/// Where a `$ref` string points before its file is read.
enum RefPlace {
    SameFile(String),
    File {
        path: PathBuf,
        fragment: String,
        mapped: bool,
    },
    Remote(String),
}

impl Sources {
    /// Reads the entry document and every file it reaches through `$ref`.
    ///
    /// Fails only when the entry document itself cannot be read.
    pub fn open(input: &Input, options: &LoadOptions) -> std::io::Result<Sources> {
        let (entry_path, text, display, dir) = match input {
            Input::Path(path) => {
                let text = std::fs::read_to_string(path)?;
                let canonical = path.canonicalize()?;
                let dir = canonical
                    .parent()
                    .map(Path::to_path_buf)
                    .unwrap_or_default();
                let display = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| path.display().to_string());
                (Some(canonical), text, display, dir)
            }
            Input::Text { name, text } => {
                let dir = std::env::current_dir()?;
                (None, text.clone(), name.clone(), dir)
            }
        };
        let ref_root = match &options.ref_root {
            Some(root) => root.canonicalize().map_err(|e| {
                std::io::Error::new(e.kind(), format!("--ref-root {}: {e}", root.display()))
            })?,
            None => default_ref_root(&dir),
        };
        let url_map = options
            .url_map
            .iter()
            .map(|(prefix, folder)| {
                let folder = folder.canonicalize().unwrap_or_else(|_| folder.clone());
                (prefix.clone(), folder)
            })
            .collect();
        let mut sources = Sources {
            slots: Vec::new(),
            by_key: HashMap::new(),
            ref_root,
            base_dir: dir.clone(),
            url_map,
            diagnostics: Vec::new(),
        };
        let entry = sources.add_parsed(entry_path.clone(), dir, display, text);
        if let Some(path) = entry_path {
            sources.by_key.insert(path, entry);
        }
        sources.read_referenced_files();
        Ok(sources)
    }

    /// The entry document.
    pub fn entry(&self) -> FileId {
        FileId(0)
    }

    /// A file that was read.
    pub fn file(&self, id: FileId) -> Option<&SourceFile> {
        match self.slots.get(id.0 as usize)? {
            Slot::Loaded(file) => Some(file),
            Slot::Failed(_) => None,
        }
    }

    /// The paths of every file read (for `cargo:rerun-if-changed` and `--watch`).
    pub fn paths(&self) -> Vec<PathBuf> {
        let mut paths: Vec<PathBuf> = self
            .slots
            .iter()
            .filter_map(|slot| match slot {
                Slot::Loaded(f) => f.path.clone(),
                Slot::Failed(_) => None,
            })
            .collect();
        paths.sort();
        paths
    }

    /// A diagnostic located at `pos` of `file`.
    pub fn diagnostic(
        &self,
        severity: Severity,
        code: Code,
        message: impl Into<String>,
        file: FileId,
        pos: Pos,
        pointer: &str,
    ) -> Diagnostic {
        let Some(source) = self.file(file) else {
            return Diagnostic::new(severity, code, message, "<unknown>", "", pos, pointer);
        };
        let mut d = Diagnostic::new(severity, code, message, &source.display, "", pos, pointer);
        d.source_line = source.source_line(pos.line);
        d
    }

    /// The file shown as `display` in diagnostics and IR locations.
    pub fn file_named(&self, display: &str) -> Option<&SourceFile> {
        self.slots.iter().find_map(|slot| match slot {
            Slot::Loaded(f) if f.display == display => Some(f),
            _ => None,
        })
    }

    /// The name shown for a file.
    pub fn display(&self, file: FileId) -> &str {
        self.file(file).map_or("<unknown>", |f| f.display.as_str())
    }

    fn add_parsed(
        &mut self,
        path: Option<PathBuf>,
        dir: PathBuf,
        display: String,
        text: String,
    ) -> FileId {
        let id = FileId(self.slots.len() as u32);
        let format = syntax::detect_format(&text);
        let (root, issues) = syntax::parse(&text);
        for issue in issues {
            let severity = if issue.fatal || issue.message.starts_with("duplicate key") {
                Severity::Error
            } else {
                Severity::Warning
            };
            let code = if issue.fatal {
                Code::Syntax
            } else {
                Code::DuplicateKey
            };
            self.diagnostics.push(
                Diagnostic::new(
                    severity,
                    code,
                    issue.message,
                    &display,
                    &text,
                    issue.pos,
                    "",
                )
                .with_help(issue.help),
            );
        }
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        self.slots.push(Slot::Loaded(SourceFile {
            path,
            dir,
            display,
            text,
            format,
            root,
            line_starts,
        }));
        id
    }

    /// Follows every `$ref` string of every file read so far, reading new files until none are left.
    fn read_referenced_files(&mut self) {
        let mut next = 0;
        while next < self.slots.len() {
            let id = FileId(next as u32);
            next += 1;
            let mut refs = Vec::new();
            if let Some(file) = self.file(id)
                && let Some(root) = &file.root
            {
                collect_refs(root, &mut refs);
            }
            for reference in refs {
                if let Ok(RefPlace::File { path, mapped, .. }) = self.place(id, &reference) {
                    self.read_file(&path, mapped);
                }
            }
        }
    }

    fn read_file(&mut self, path: &Path, mapped: bool) -> FileId {
        let key = normalize(path);
        if let Some(id) = self.by_key.get(&key) {
            return *id;
        }
        let id = match path.canonicalize() {
            Err(e) => self.fail(format!(
                "cannot read `{}`: {}",
                self.shown_path(&key),
                io_reason(&e)
            )),
            Ok(canonical) if !mapped && !canonical.starts_with(&self.ref_root) => {
                self.fail(format!(
                    "`{}` is outside the folder that `$ref`s may reach (`{}`)",
                    canonical.display(),
                    self.shown_path(&self.ref_root)
                ))
            }
            Ok(canonical) => match std::fs::read_to_string(&canonical) {
                Err(e) => self.fail(format!(
                    "cannot read `{}`: {}",
                    self.shown_path(&canonical),
                    io_reason(&e)
                )),
                Ok(text) => {
                    if let Some(id) = self.by_key.get(&canonical) {
                        *id
                    } else {
                        let dir = canonical
                            .parent()
                            .map(Path::to_path_buf)
                            .unwrap_or_default();
                        let display = self.shown_path(&canonical);
                        let id = self.add_parsed(Some(canonical.clone()), dir, display, text);
                        self.by_key.insert(canonical, id);
                        id
                    }
                }
            },
        };
        self.by_key.insert(key, id);
        id
    }

    fn fail(&mut self, reason: String) -> FileId {
        self.slots.push(Slot::Failed(reason));
        FileId(self.slots.len() as u32 - 1)
    }

    /// A path relative to the entry document's folder, `/`-separated, so output never holds absolute paths.
    fn shown_path(&self, path: &Path) -> String {
        relative_to(path, &self.base_dir)
    }

    fn place(&self, from: FileId, reference: &str) -> Result<RefPlace, RefError> {
        let (location, fragment) = match reference.split_once('#') {
            Some((loc, frag)) => (loc, frag.to_string()),
            None => (reference, String::new()),
        };
        if location.is_empty() {
            return Ok(RefPlace::SameFile(fragment));
        }
        let lower = location.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            for (prefix, folder) in &self.url_map {
                if let Some(rest) = location.strip_prefix(prefix.as_str()) {
                    let rest = decode_path(rest)?;
                    return Ok(RefPlace::File {
                        path: folder.join(rest.trim_start_matches('/')),
                        fragment,
                        mapped: true,
                    });
                }
            }
            return Ok(RefPlace::Remote(location.to_string()));
        }
        let local = location.strip_prefix("file://").unwrap_or(location);
        if local.contains("://") || local.starts_with("urn:") {
            return Err(RefError {
                code: Code::UnsupportedRef,
                message: format!("`$ref: {reference}` uses a scheme fastsocket-gen does not read"),
                help: Some("use a relative file path or a `#/…` pointer".to_string()),
            });
        }
        let local = decode_path(local)?;
        let dir = self.file(from).map(|f| f.dir.clone()).unwrap_or_default();
        let path = if Path::new(&local).is_absolute() {
            PathBuf::from(&local)
        } else {
            dir.join(&local)
        };
        Ok(RefPlace::File {
            path,
            fragment,
            mapped: false,
        })
    }

    /// Resolves one `$ref` written in file `from` (one hop: the target may be a `$ref` itself).
    ///
    /// A pointer may pass through Reference Objects on its way (`#/channels/echo/messages/x` where `echo` is a
    /// `$ref` to another file): those are followed, as parsers that dereference first would.
    pub fn resolve(&self, from: FileId, reference: &str) -> Result<Resolved<'_>, RefError> {
        self.resolve_within(from, reference, 0)
    }

    fn resolve_within(
        &self,
        from: FileId,
        reference: &str,
        depth: usize,
    ) -> Result<Resolved<'_>, RefError> {
        if depth > MAX_REF_NESTING {
            return Err(RefError {
                code: Code::RefLoop,
                message: format!(
                    "`$ref: {reference}` passes through more than {MAX_REF_NESTING} nested references (a loop?)"
                ),
                help: Some("one of these `$ref`s must point at a real definition".to_string()),
            });
        }
        let (file, fragment) = match self.place(from, reference)? {
            RefPlace::SameFile(fragment) => (from, fragment),
            RefPlace::Remote(url) => {
                return Err(RefError {
                    code: Code::RemoteRef,
                    message: format!(
                        "`$ref: {reference}` points to `{url}`, which is not fetched (fastsocket-gen never uses the network)"
                    ),
                    help: Some(format!(
                        "save the document beside the spec and map the URL to its folder with `--map-url {}=DIR`",
                        url_prefix(&url)
                    )),
                });
            }
            RefPlace::File { path, fragment, .. } => {
                let key = normalize(&path);
                let Some(&id) = self.by_key.get(&key) else {
                    return Err(RefError {
                        code: Code::UnresolvedRef,
                        message: format!(
                            "`$ref: {reference}`: the file `{}` was not read",
                            self.shown_path(&key)
                        ),
                        help: None,
                    });
                };
                match &self.slots[id.0 as usize] {
                    Slot::Failed(reason) => {
                        let help = if reason.contains("outside the folder") {
                            Some("pass `--ref-root DIR` naming a folder that holds both files, if the file is trusted".to_string())
                        } else {
                            Some("refs to files resolve against the folder of the file that holds the `$ref`".to_string())
                        };
                        return Err(RefError {
                            code: if reason.contains("outside the folder") {
                                Code::RefOutsideRoot
                            } else {
                                Code::UnresolvedRef
                            },
                            message: format!("`$ref: {reference}`: {reason}"),
                            help,
                        });
                    }
                    Slot::Loaded(_) => (id, fragment),
                }
            }
        };
        let tokens = pointer::parse_fragment(&fragment).map_err(|message| RefError {
            code: Code::InvalidRef,
            message: format!("`$ref: {reference}`: {message}"),
            help: Some("escape `/` in a key as `~1` and `~` as `~0`".to_string()),
        })?;
        let source = self.file(file).ok_or_else(|| RefError {
            code: Code::UnresolvedRef,
            message: format!("`$ref: {reference}`: the file could not be read"),
            help: None,
        })?;
        let Some(root) = &source.root else {
            return Err(RefError {
                code: Code::UnresolvedRef,
                message: format!(
                    "`$ref: {reference}`: `{}` is not valid YAML or JSON",
                    source.display
                ),
                help: None,
            });
        };
        let mut here = Resolved {
            target: Target { file, node: root },
            pointer: String::new(),
        };
        for (i, token) in tokens.iter().enumerate() {
            let mut hops = 0;
            while here.target.node.get(token).is_none()
                && let Some(inner) = here.target.node.ref_target()
            {
                hops += 1;
                if hops > MAX_REF_NESTING {
                    break;
                }
                here = self.resolve_within(here.target.file, inner, depth + 1)?;
            }
            let next = match &here.target.node.kind {
                Kind::Map(entries) => entries
                    .iter()
                    .find(|(k, _)| k.text == *token)
                    .map(|(_, v)| v),
                Kind::Seq(items) => token.parse::<usize>().ok().and_then(|ix| items.get(ix)),
                _ => None,
            };
            let Some(next) = next else {
                let parent = pointer::join(&tokens[..i]);
                let parent_shown = if parent.is_empty() {
                    "the document root".to_string()
                } else {
                    format!("#{parent}")
                };
                let in_file = if file == from {
                    String::new()
                } else {
                    format!(" of `{}`", source.display)
                };
                let candidates: Vec<&str> = here
                    .target
                    .node
                    .as_map()
                    .map(|entries| entries.iter().map(|(k, _)| k.text.as_str()).collect())
                    .unwrap_or_default();
                return Err(RefError {
                    code: Code::UnresolvedRef,
                    message: format!(
                        "`$ref: {reference}`: no `{token}` under {parent_shown}{in_file}"
                    ),
                    help: did_you_mean(token, candidates),
                });
            };
            here = Resolved {
                target: Target {
                    file: here.target.file,
                    node: next,
                },
                pointer: pointer::push(&here.pointer, token),
            };
        }
        Ok(here)
    }

    /// Follows a chain of Reference Objects from `node` (at `pointer` in `file`) to the first node that is not one.
    /// A chain that comes back to itself is an error naming the loop.
    pub fn follow<'a>(
        &'a self,
        file: FileId,
        pointer: &str,
        node: &'a Node,
    ) -> Result<Resolved<'a>, RefError> {
        let mut current = Resolved {
            target: Target { file, node },
            pointer: pointer.to_string(),
        };
        let mut seen: Vec<(FileId, String)> = Vec::new();
        while let Some(reference) = current.target.node.ref_target() {
            let here = (current.target.file, current.pointer.clone());
            if seen.contains(&here) {
                let chain: Vec<String> = seen
                    .iter()
                    .chain(std::iter::once(&here))
                    .map(|(f, p)| format!("{}#{p}", self.display(*f)))
                    .collect();
                return Err(RefError {
                    code: Code::RefLoop,
                    message: format!("`$ref` loop with nothing in between: {}", chain.join(" → ")),
                    help: Some("one of these `$ref`s must point at a real definition".to_string()),
                });
            }
            seen.push(here);
            current = self.resolve(current.target.file, reference)?;
        }
        Ok(current)
    }
}

fn collect_refs(root: &Node, out: &mut Vec<String>) {
    let mut stack = vec![root];
    let mut seen = HashSet::new();
    while let Some(node) = stack.pop() {
        match &node.kind {
            Kind::Map(entries) => {
                for (key, value) in entries {
                    if key.text == "$ref"
                        && let Some(r) = value.as_str()
                        && seen.insert(r.split('#').next().unwrap_or_default().to_string())
                    {
                        out.push(r.to_string());
                    }
                    stack.push(value);
                }
            }
            Kind::Seq(items) => stack.extend(items.iter()),
            _ => {}
        }
    }
}

fn default_ref_root(entry_dir: &Path) -> PathBuf {
    entry_dir
        .ancestors()
        .find(|dir| dir.join(".git").exists() || dir.join("fastsocket.toml").exists())
        .unwrap_or(entry_dir)
        .to_path_buf()
}

fn decode_path(path: &str) -> Result<String, RefError> {
    percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| RefError {
            code: Code::InvalidRef,
            message: format!("`{path}` is not valid UTF-8 once percent-decoded"),
            help: None,
        })
}

fn url_prefix(url: &str) -> String {
    match url.rfind('/') {
        Some(i) if i > url.find("://").map_or(0, |s| s + 2) => url[..=i].to_string(),
        _ => url.to_string(),
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        _ => e.to_string(),
    }
}

/// Removes `.` and `..` without touching the file system (for files that may not exist).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// `path` relative to `base`, with `../` where needed and `/` as separator.
pub fn relative_to(path: &Path, base: &Path) -> String {
    let path: Vec<Component> = path.components().collect();
    let base: Vec<Component> = base.components().collect();
    let common = path.iter().zip(&base).take_while(|(a, b)| a == b).count();
    if common == 0 {
        return path
            .iter()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
    }
    let mut parts: Vec<String> = vec!["..".to_string(); base.len() - common];
    parts.extend(
        path[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    if parts.is_empty() {
        return ".".to_string();
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_never_show_absolute_prefixes() {
        assert_eq!(
            relative_to(Path::new("/a/b/c.yaml"), Path::new("/a/b")),
            "c.yaml"
        );
        assert_eq!(
            relative_to(Path::new("/a/common/c.yaml"), Path::new("/a/b")),
            "../common/c.yaml"
        );
        assert_eq!(
            relative_to(Path::new("/a/b/d/c.yaml"), Path::new("/a/b")),
            "d/c.yaml"
        );
    }

    #[test]
    fn url_prefixes_keep_the_folder() {
        assert_eq!(
            url_prefix("https://example.com/schemas/a.json"),
            "https://example.com/schemas/"
        );
        assert_eq!(url_prefix("https://example.com"), "https://example.com");
    }
}
