//! Lets the builder skip loading and generating when nothing the output depends on has changed.
//!
//! Cargo reruns a build script when a `rerun-if-changed` file's timestamp moves, even if its contents did not (a
//! save without edits, a `git checkout` back and forth, a touch). The output is a pure function of the input files'
//! contents, the builder's options and the generator itself, so a record of those next to the output says whether
//! the output is still current: then the run costs reading and hashing the inputs, well under a millisecond,
//! instead of a full generation.
//!
//! The generator is identified by the running executable (the build script, which links the generator): its size
//! and modification time change whenever it is rebuilt, e.g. after a `fastsocket-gen` upgrade. Where that is
//! unknown, nothing is recorded and every run generates.
//!
//! The inputs are hashed after generation, not as the loader read them; a file saved during the run could then be
//! recorded with contents the output does not reflect. So a run records nothing when an input was modified less
//! than [`SETTLED`] before it started (which also covers file systems with coarse timestamps): the next run
//! generates again.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// The record, in the output folder.
pub const FILE_NAME: &str = ".fastsocket-gen-fingerprint";

const HEADER: &str = "fastsocket-gen fingerprint 1";

/// How long before a run its inputs must have been last modified for the run to be recorded.
pub const SETTLED: Duration = Duration::from_secs(2);

/// What a still-current record says about the previous run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reused {
    /// The inputs of that run (the same files, with the same contents).
    pub inputs: Vec<PathBuf>,
    /// Its warnings (Cargo shows a rerun script's new output only, so they must be printed again).
    pub warnings: Vec<String>,
}

fn hash(bytes: &[u8]) -> String {
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(bytes))
}

fn hash_file(path: &Path) -> Option<String> {
    std::fs::read(path).ok().map(|bytes| hash(&bytes))
}

/// The running executable's identity, if it can be known.
fn generator() -> Option<String> {
    let exe = std::env::current_exe().ok()?;
    let meta = std::fs::metadata(&exe).ok()?;
    let modified = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    Some(format!(
        "{} {} {}",
        env!("CARGO_PKG_VERSION"),
        meta.len(),
        modified.as_nanos()
    ))
}

/// The record for a run that started at `started`, or `None` when it cannot be made (unknown generator, a path
/// with a line break, an input modified too recently).
pub fn record(
    started: SystemTime,
    options: &str,
    inputs: &[PathBuf],
    warnings: &[String],
    dir: &Path,
    outputs: &[&str],
) -> Option<String> {
    let mut text = format!(
        "{HEADER}\ngenerator {}\noptions {}\n",
        generator()?,
        hash(options.as_bytes())
    );
    for input in inputs {
        let shown = input.to_str()?;
        let modified = std::fs::metadata(input).ok()?.modified().ok()?;
        if shown.contains('\n') || modified + SETTLED > started {
            return None;
        }
        let _ = writeln!(text, "input {} {shown}", hash_file(input)?);
    }
    for output in outputs {
        let _ = writeln!(text, "output {} {output}", hash_file(&dir.join(output))?);
    }
    for warning in warnings {
        let _ = writeln!(text, "warning {}", warning.replace(['\n', '\r'], " "));
    }
    Some(text)
}

/// Whether the record in `dir` is current for these options: same generator, same options, every input and
/// output file still with the contents recorded.
pub fn check(dir: &Path, options: &str) -> Option<Reused> {
    let text = std::fs::read_to_string(dir.join(FILE_NAME)).ok()?;
    let mut lines = text.lines();
    if lines.next()? != HEADER
        || lines.next()?.strip_prefix("generator ")? != generator()?
        || lines.next()?.strip_prefix("options ")? != hash(options.as_bytes())
    {
        return None;
    }
    let mut reused = Reused {
        inputs: Vec::new(),
        warnings: Vec::new(),
    };
    for line in lines {
        let (kind, rest) = line.split_once(' ')?;
        match kind {
            "warning" => reused.warnings.push(rest.to_string()),
            "input" | "output" => {
                let (recorded, path) = rest.split_once(' ')?;
                let path = if kind == "input" {
                    PathBuf::from(path)
                } else {
                    dir.join(path)
                };
                if hash_file(&path)? != recorded {
                    return None;
                }
                if kind == "input" {
                    reused.inputs.push(path);
                }
            }
            _ => return None,
        }
    }
    Some(reused)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_holds_until_an_input_an_output_or_the_options_change() {
        let dir = crate::write::tests::tempdir("fingerprint");
        let input = dir.join("in.yaml");
        std::fs::write(&input, "a: 1\n").unwrap();
        std::fs::write(dir.join("out.rs"), "mod a {}\n").unwrap();
        let warnings = vec!["w: a\nb".to_string()];
        let inputs = std::slice::from_ref(&input);
        let now = SystemTime::now();
        assert_eq!(
            record(now, "opts", inputs, &warnings, &dir, &["out.rs"]),
            None,
            "an input saved just now may be newer than what the output reflects"
        );
        let text = record(
            now + SETTLED * 2,
            "opts",
            inputs,
            &warnings,
            &dir,
            &["out.rs"],
        )
        .unwrap();
        std::fs::write(dir.join(FILE_NAME), text).unwrap();

        let reused = check(&dir, "opts").unwrap();
        assert_eq!(reused.inputs, vec![input.clone()]);
        assert_eq!(reused.warnings, vec!["w: a b".to_string()]);
        assert_eq!(check(&dir, "other options"), None);

        // Same bytes written again (a save without edits): still current.
        std::fs::write(&input, "a: 1\n").unwrap();
        assert!(check(&dir, "opts").is_some());
        std::fs::write(&input, "a: 2\n").unwrap();
        assert_eq!(check(&dir, "opts"), None);
        std::fs::write(&input, "a: 1\n").unwrap();
        std::fs::write(dir.join("out.rs"), "mod edited {}\n").unwrap();
        assert_eq!(check(&dir, "opts"), None);
        std::fs::remove_file(dir.join("out.rs")).unwrap();
        assert_eq!(check(&dir, "opts"), None);
    }

    #[test]
    fn a_damaged_record_is_not_current() {
        let dir = crate::write::tests::tempdir("fingerprint-damaged");
        assert_eq!(check(&dir, "opts"), None);
        for text in [
            "",
            "garbage",
            &format!("{HEADER}\ngenerator x\noptions y\n"),
        ] {
            std::fs::write(dir.join(FILE_NAME), text).unwrap();
            assert_eq!(check(&dir, "opts"), None, "{text:?}");
        }
        let current = record(SystemTime::now(), "opts", &[], &[], &dir, &[]).unwrap();
        std::fs::write(dir.join(FILE_NAME), format!("{current}surprise line\n")).unwrap();
        assert_eq!(check(&dir, "opts"), None);
    }
}
