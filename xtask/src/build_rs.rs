//! `cargo xtask build-rs`: the example's build script reruns when a file reached through `$ref` changes, and
//! only then.
//!
//! Builds `examples/build-rs` (`cargo build -v -p build-rs-example`, same target folder as everything else, so the
//! first build is the only costly one) and reads Cargo's verbose output: a build script that runs shows up as
//! ``Running `…/build-rs-example-…/build-script-build` ``, and a crate compiled as ``Running `rustc --crate-name
//! build_rs_example …` ``.
//!
//! 1. build (whatever state the target folder is in);
//! 2. build again: the script must not run, nothing is compiled;
//! 3. touch `specs/multi-file/schemas/common.yaml` (reached only through `$ref`, three files deep) and build: the
//!    script must run (and Cargo then recompiles the crate: it always does after its build script ran, whether or
//!    not the script's output changed);
//! 4. build again: the script must not run;
//! 5. touch `examples/build-rs/src/handlers.rs` and build: the crate is recompiled but the script must not run
//!    (without `rerun-if-changed` lines Cargo would rerun it on any change in the package).
//!
//! Prints one line per step and `N passed, N failed`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use anyhow::{Context, ensure};

/// A file the example's document reaches only through `$ref` (asyncapi.yaml → messages.yaml → user.json → it).
const REFERENCED: &str = "specs/multi-file/schemas/common.yaml";

/// What one build did, from Cargo's verbose output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Build {
    script_ran: bool,
    crate_compiled: bool,
}

/// Runs the steps; `Ok(false)` when one of them did not hold.
pub fn run() -> anyhow::Result<bool> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()?;
    build(&repo).context("the first build")?;
    let steps: [(&str, Option<&str>, Build); 4] = [
        (
            "unchanged: build script not run, nothing compiled",
            None,
            Build {
                script_ran: false,
                crate_compiled: false,
            },
        ),
        (
            "referenced file touched: build script run, crate recompiled",
            Some(REFERENCED),
            Build {
                script_ran: true,
                crate_compiled: true,
            },
        ),
        (
            "unchanged again: build script not run",
            None,
            Build {
                script_ran: false,
                crate_compiled: false,
            },
        ),
        (
            "a source file of the package touched: crate recompiled, build script not run",
            Some("examples/build-rs/src/handlers.rs"),
            Build {
                script_ran: false,
                crate_compiled: true,
            },
        ),
    ];
    let (mut passed, mut failed) = (0, 0);
    for (name, touch, expected) in steps {
        if let Some(file) = touch {
            touch_file(&repo.join(file))?;
        }
        let got = build(&repo)?;
        if got == expected {
            passed += 1;
            println!("ok    {name}");
        } else {
            failed += 1;
            println!("FAIL  {name}: expected {expected:?}, got {got:?}");
        }
    }
    println!("{passed} passed, {failed} failed");
    Ok(failed == 0)
}

/// Sets the file's modification time to now without changing its contents (what an editor's save does to
/// Cargo's view of it).
fn touch_file(path: &PathBuf) -> anyhow::Result<()> {
    std::fs::File::options()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(SystemTime::now()))
        .with_context(|| format!("touching {}", path.display()))
}

fn build(repo: &Path) -> anyhow::Result<Build> {
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(repo)
        .args(["build", "-v", "-p", "build-rs-example", "--color", "never"])
        .output()
        .context("running cargo build")?;
    let log = String::from_utf8_lossy(&output.stderr);
    ensure!(
        output.status.success(),
        "cargo build -p build-rs-example failed:\n{log}"
    );
    Ok(parse(&log))
}

fn parse(log: &str) -> Build {
    let running = || {
        log.lines()
            .filter_map(|l| l.trim().strip_prefix("Running `"))
    };
    Build {
        script_ran: running()
            .any(|cmd| cmd.contains("/build-rs-example-") && cmd.contains("build-script-build")),
        crate_compiled: running().any(|cmd| cmd.contains("--crate-name build_rs_example ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cargo_verbose_output_is_read() {
        let fresh = "       Fresh serde v1.0.0\n       Fresh build-rs-example v0.1.0 (/r/examples/build-rs)\n    Finished `dev` profile";
        assert_eq!(
            parse(fresh),
            Build {
                script_ran: false,
                crate_compiled: false
            }
        );
        let rerun = "       Dirty build-rs-example v0.1.0 (/r/examples/build-rs): the file `specs/x.yaml` has changed\n     Running `/r/target/debug/build/build-rs-example-0123abcd/build-script-build`\n     Running `/home/u/.rustup/bin/rustc --crate-name build_rs_example --edition=2024 examples/build-rs/src/lib.rs`";
        assert_eq!(
            parse(rerun),
            Build {
                script_ran: true,
                crate_compiled: true
            }
        );
        // Another package's build script is not ours.
        let other = "     Running `/r/target/debug/build/serde-0123/build-script-build`";
        assert!(!parse(other).script_ran);
    }
}
