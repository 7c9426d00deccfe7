//! `--watch`: regenerate whenever the document or a file it reaches through `$ref` changes.
//!
//! The watched set is recomputed after every run, because an edit can add or drop a `$ref`. Folders are watched,
//! not files: editors save by writing a new file and renaming it over the old one, which ends a watch on the old
//! file's inode. Events are then kept only for the files of the set, so output written next to the document does
//! not trigger another run; and a run starts only when the contents of a file of the set changed, because the
//! watcher also reports files being opened and read — by the run itself, which would otherwise loop forever.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Duration;

use anstream::eprintln;
use notify_debouncer_mini::notify::RecursiveMode;

/// Quiet time after the last event before a run starts: one save is often several events.
const DEBOUNCE: Duration = Duration::from_millis(200);

/// The files a run depends on, and the folders to watch for them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WatchSet {
    files: BTreeSet<PathBuf>,
    dirs: BTreeSet<PathBuf>,
}

impl WatchSet {
    /// The set for these files (the document and every `$ref` target, as the loader reports them).
    pub fn new(files: impl IntoIterator<Item = PathBuf>) -> WatchSet {
        let files: BTreeSet<PathBuf> = files.into_iter().map(|p| canonical(&p)).collect();
        let dirs = files
            .iter()
            .filter_map(|f| f.parent().map(Path::to_path_buf))
            .collect();
        WatchSet { files, dirs }
    }

    /// The files.
    pub fn files(&self) -> &BTreeSet<PathBuf> {
        &self.files
    }

    /// The folders to watch (each file's folder, once).
    pub fn dirs(&self) -> &BTreeSet<PathBuf> {
        &self.dirs
    }

    /// Whether an event about `path` concerns the set.
    pub fn is_relevant(&self, path: &Path) -> bool {
        self.files.contains(path) || self.files.contains(&canonical(path))
    }

    /// A hash of each file's contents (`None`: unreadable, e.g. deleted): a run is due when this changes.
    pub fn fingerprint(&self) -> BTreeMap<PathBuf, Option<u64>> {
        self.files
            .iter()
            .map(|f| {
                let hash = std::fs::read(f)
                    .ok()
                    .map(|b| xxhash_rust::xxh3::xxh3_64(&b));
                (f.clone(), hash)
            })
            .collect()
    }
}

/// The canonical path where it exists (a file being replaced may briefly not), else the path as given.
fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

/// Runs `run`, then again after every change to a file it read, until interrupted. `run` returns the files it
/// read; when it fails, `fallback` (the document) is watched so that a fix starts the next run.
pub fn watch(
    fallback: &Path,
    mut run: impl FnMut() -> anyhow::Result<Vec<PathBuf>>,
) -> anyhow::Result<ExitCode> {
    let (tx, rx) = mpsc::channel();
    let mut debouncer = notify_debouncer_mini::new_debouncer(DEBOUNCE, tx)?;
    let mut watching: BTreeSet<PathBuf> = BTreeSet::new();
    loop {
        let set = match run() {
            Ok(files) => WatchSet::new(files),
            Err(err) => {
                eprintln!("error: {err:#}");
                WatchSet::new([fallback.to_path_buf()])
            }
        };
        for gone in watching.difference(set.dirs()) {
            // A folder that vanished cannot be unwatched, and need not be.
            let _ = debouncer.watcher().unwatch(gone);
        }
        for new in set.dirs().difference(&watching) {
            debouncer
                .watcher()
                .watch(new, RecursiveMode::NonRecursive)?;
        }
        watching = set.dirs().clone();
        eprintln!(
            "watching {} file(s) in {} folder(s); Ctrl-C stops",
            set.files().len(),
            set.dirs().len()
        );
        let before = set.fingerprint();
        loop {
            match rx.recv() {
                Ok(Ok(events))
                    if events.iter().any(|e| set.is_relevant(&e.path))
                        && set.fingerprint() != before =>
                {
                    break;
                }
                Ok(Ok(_)) => {}
                Ok(Err(err)) => eprintln!("watch: {err}"),
                // The debouncer is gone: nothing more will come.
                Err(_) => return Ok(ExitCode::SUCCESS),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_set_is_the_document_and_every_ref_target_and_their_folders() {
        let spec =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../specs/multi-file/asyncapi.yaml");
        let loaded = fastsocket_spec::load(
            &fastsocket_spec::Input::Path(spec.clone()),
            &fastsocket_spec::LoadOptions::default(),
        )
        .unwrap();
        let set = WatchSet::new(loaded.report.files);
        let root = spec.parent().unwrap().canonicalize().unwrap();
        let names: Vec<String> = set
            .files()
            .iter()
            .map(|f| fastsocket_spec::sources::relative_to(f, &root))
            .collect();
        assert_eq!(
            names,
            [
                "asyncapi.yaml",
                "messages.yaml",
                "schemas/common.yaml",
                "schemas/user.json"
            ]
        );
        assert_eq!(
            set.dirs().iter().cloned().collect::<Vec<_>>(),
            [root.clone(), root.join("schemas")]
        );
        assert!(set.is_relevant(&root.join("schemas/common.yaml")));
        // The same file through a non-canonical path.
        assert!(set.is_relevant(&root.join("schemas/../messages.yaml")));
        // Output or unrelated files in a watched folder do not start a run.
        assert!(!set.is_relevant(&root.join("schemas/other.yaml")));
        assert!(!set.is_relevant(&root.join("server/src/generated/models.rs")));
    }

    #[test]
    fn only_a_change_of_contents_changes_the_fingerprint() {
        let dir = std::env::temp_dir().join(format!("fastsocket-watch-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("a.yaml");
        std::fs::write(&file, "a: 1\n").unwrap();
        let set = WatchSet::new([file.clone()]);
        let first = set.fingerprint();
        // Reading (what a run does) and rewriting the same bytes (a save without edits) change nothing.
        let _ = std::fs::read(&file).unwrap();
        std::fs::write(&file, "a: 1\n").unwrap();
        assert_eq!(set.fingerprint(), first);
        std::fs::write(&file, "a: 2\n").unwrap();
        assert_ne!(set.fingerprint(), first);
        std::fs::remove_file(&file).unwrap();
        assert_eq!(set.fingerprint().values().next(), Some(&None));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
