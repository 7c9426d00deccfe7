//! `--diff`: a unified diff of what generation would change on disk (for CI logs and reviews).

use std::path::Path;

use fastsocket_codegen_rust::{OutputFile, Owner};
use similar::TextDiff;

use crate::write::{WriteError, disk_contents, on_disk};

/// The unified diff between the files under `dir` and what writing `files` would leave there; empty when nothing
/// would change. User-owned files that exist are never rewritten, so they never differ.
pub fn unified(dir: &Path, files: &[OutputFile]) -> Result<String, WriteError> {
    let mut out = String::new();
    for file in files {
        let (_, current) = on_disk(dir, file)?;
        if file.owner == Owner::User && current.is_some() {
            continue;
        }
        let new = disk_contents(file);
        let old = current.as_deref().unwrap_or("");
        if old == new {
            continue;
        }
        let from = match current {
            Some(_) => format!("a/{}", file.path),
            None => "/dev/null".to_string(),
        };
        let diff = TextDiff::from_lines(old, new.as_ref());
        out.push_str(
            &diff
                .unified_diff()
                .context_radius(3)
                .header(&from, &format!("b/{}", file.path))
                .to_string(),
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::write::tests::{file, tempdir};
    use crate::write::{WriteMode, write_files};

    #[test]
    fn only_what_would_change_is_shown() {
        let dir = tempdir("diff");
        let before = [
            file(
                "src/generated/a.rs",
                "fn a() {}\nfn b() {}\n",
                Owner::Generator,
            ),
            file("src/lib.rs", "mine\n", Owner::User),
        ];
        write_files(&dir, &before, WriteMode::default()).unwrap();
        assert_eq!(unified(&dir, &before).unwrap(), "");

        let after = [
            file(
                "src/generated/a.rs",
                "fn a() {}\nfn c() {}\n",
                Owner::Generator,
            ),
            file(
                "src/lib.rs",
                "the generator's newer template\n",
                Owner::User,
            ),
            file("src/generated/new.json", "{}\n", Owner::Generator),
        ];
        let diff = unified(&dir, &after).unwrap();
        assert!(
            diff.contains("--- a/src/generated/a.rs\n+++ b/src/generated/a.rs\n"),
            "{diff}"
        );
        assert!(diff.contains("\n-fn b() {}\n+fn c() {}\n"), "{diff}");
        // The hash header changes with the body.
        assert!(diff.contains("-// fastsocket-gen-hash: "), "{diff}");
        assert!(
            diff.contains("--- /dev/null\n+++ b/src/generated/new.json\n"),
            "{diff}"
        );
        assert!(!diff.contains("src/lib.rs"), "{diff}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
