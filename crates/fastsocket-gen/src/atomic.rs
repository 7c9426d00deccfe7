//! Files replaced atomically: each is written to a temporary file in its own folder, then renamed over the
//! old one, so a reader (or a generator killed mid-run) only ever sees a whole old file or a whole new one.
//!
//! Renames are atomic within one file system, which is why the temporary file sits beside its target, never
//! in the system's temporary folder. Temporary files of a killed run carry [`TEMP_PREFIX`] and are removed by
//! the next run that writes to the folder.

use std::collections::HashSet;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

/// How the temporary files start (hidden, and recognisable as ours when a killed run left them behind).
pub(crate) const TEMP_PREFIX: &str = ".fastsocket-gen-";
const TEMP_SUFFIX: &str = ".tmp";

/// New contents for a set of files, each held in a temporary file beside its target until
/// [`commit`](Self::commit) renames them all into place. Dropped without a commit, it removes its temporary
/// files and leaves every target as it was.
#[derive(Default)]
pub(crate) struct Staged {
    files: Vec<(NamedTempFile, PathBuf)>,
    /// Folders already created, checked to be inside the root and cleared of a killed run's temporary files
    /// (once, before this run's own land there).
    swept: HashSet<PathBuf>,
}

impl Staged {
    /// Writes `contents` to a temporary file beside `path` (creating the folder), checking that the folder is
    /// still inside `root` once symbolic links are resolved.
    pub(crate) fn stage(&mut self, root: &Path, path: &Path, contents: &[u8]) -> io::Result<()> {
        let parent = path.parent().unwrap_or(Path::new("."));
        // Once per folder: creating it, resolving its links (two `canonicalize`s, a `readlink` per component)
        // and sweeping it cost more than writing a small file, and a document can make hundreds in one folder.
        if !self.swept.contains(parent) {
            std::fs::create_dir_all(parent)?;
            ensure_inside(root, parent)?;
            sweep_stale(parent);
            self.swept.insert(parent.to_path_buf());
        }
        let mut temp = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .suffix(TEMP_SUFFIX)
            .tempfile_in(parent)?;
        temp.write_all(contents)?;
        temp.flush()?;
        self.files.push((temp, path.to_path_buf()));
        Ok(())
    }

    /// Renames every staged file over its target, in the order staged. Stops at the first failure (files
    /// renamed before it keep their new contents; the rest keep their old ones).
    pub(crate) fn commit(self) -> Result<(), (PathBuf, io::Error)> {
        for (temp, path) in self.files {
            temp.persist(&path).map_err(|e| (path, e.error))?;
        }
        Ok(())
    }
}

/// Writes one file atomically (see the [module documentation](self)).
pub(crate) fn write(root: &Path, path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut staged = Staged::default();
    staged.stage(root, path, contents)?;
    staged.commit().map_err(|(_, e)| e)
}

/// Refuses a folder that a symbolic link carries out of `root` (a link in the output tree must not make the
/// generator write elsewhere).
fn ensure_inside(root: &Path, folder: &Path) -> io::Result<()> {
    let root = root.canonicalize()?;
    let folder = folder.canonicalize()?;
    if folder.starts_with(&root) {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "{} leads outside the output folder {} (through a symbolic link)",
                folder.display(),
                root.display()
            ),
        ))
    }
}

/// Removes temporary files an interrupted run left in `folder` (best effort: a file another run is writing
/// right now is removed too, and that run then fails its rename and says so).
fn sweep_stale(folder: &Path) {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(TEMP_PREFIX) && name.ends_with(TEMP_SUFFIX) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::write::tests::tempdir;

    #[test]
    fn nothing_changes_until_commit_and_nothing_is_left_after() {
        let dir = tempdir("atomic-commit");
        std::fs::write(dir.join("a.txt"), "old").unwrap();
        let mut staged = Staged::default();
        staged
            .stage(&dir, &dir.join("a.txt"), b"new")
            .expect("staged");
        staged
            .stage(&dir, &dir.join("sub/b.txt"), b"b")
            .expect("staged");
        assert_eq!(std::fs::read_to_string(dir.join("a.txt")).unwrap(), "old");
        assert!(!dir.join("sub/b.txt").exists());
        staged.commit().expect("committed");
        assert_eq!(std::fs::read_to_string(dir.join("a.txt")).unwrap(), "new");
        assert_eq!(std::fs::read_to_string(dir.join("sub/b.txt")).unwrap(), "b");
        assert_eq!(temp_files(&dir), 0);
    }

    #[test]
    fn a_dropped_stage_leaves_the_old_files_and_no_temporary_ones() {
        let dir = tempdir("atomic-drop");
        std::fs::write(dir.join("a.txt"), "old").unwrap();
        let mut staged = Staged::default();
        staged.stage(&dir, &dir.join("a.txt"), b"new").unwrap();
        drop(staged);
        assert_eq!(std::fs::read_to_string(dir.join("a.txt")).unwrap(), "old");
        assert_eq!(temp_files(&dir), 0);
    }

    #[test]
    fn temporary_files_of_a_killed_run_are_swept() {
        let dir = tempdir("atomic-sweep");
        let stale = dir.join(format!("{TEMP_PREFIX}abc{TEMP_SUFFIX}"));
        std::fs::write(&stale, "half a fi").unwrap();
        std::fs::write(dir.join(".fastsocket-gen.toml"), "kept").unwrap();
        write(&dir, &dir.join("a.txt"), b"new").unwrap();
        assert!(!stale.exists());
        assert!(
            dir.join(".fastsocket-gen.toml").exists(),
            "only temporary files are swept"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_out_of_the_folder_is_refused() {
        let dir = tempdir("atomic-link");
        let elsewhere = tempdir("atomic-link-target");
        std::os::unix::fs::symlink(&elsewhere, dir.join("src")).unwrap();
        let error = write(&dir, &dir.join("src/lib.rs"), b"x").unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::PermissionDenied);
        assert!(!elsewhere.join("lib.rs").exists());
    }

    fn temp_files(dir: &Path) -> usize {
        walk(dir)
            .into_iter()
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(TEMP_PREFIX))
            })
            .count()
    }

    fn walk(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(walk(&path));
            } else {
                out.push(path);
            }
        }
        out
    }
}
