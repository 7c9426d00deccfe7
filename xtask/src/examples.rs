//! `cargo xtask examples`: regenerates the checked-in examples from their specs; `--check` only reports the
//! stale ones (CI), through the generator's own `--check`.
//!
//! Only generated examples are listed. `examples/reference-server/` is not: it is written by hand in the
//! generated shape (its own README), and regenerating it would replace that proof of the runtime.

use std::path::Path;
use std::process::Command;

use anyhow::Context as _;
use clap::Args;

/// Arguments of `cargo xtask examples`.
#[derive(Debug, Args)]
pub struct ExamplesArgs {
    /// Write nothing; fail when an example differs from what its spec generates.
    #[arg(long)]
    check: bool,
}

/// One generated example: `fastsocket-gen GENERATOR SPEC -o DIR ARGS…`.
#[derive(Debug)]
pub(crate) struct Example {
    /// The generator subcommand (`rust` or `vue`).
    pub(crate) generator: &'static str,
    /// The spec, relative to the repository.
    pub(crate) spec: &'static str,
    /// The output folder, relative to the repository.
    pub(crate) dir: &'static str,
    /// Further generator flags.
    pub(crate) args: &'static [&'static str],
}

/// The chat of `examples/chat/`: its spec.
pub(crate) const CHAT_SPEC: &str = "specs/chat-socketio.yaml";

/// The chat server: a crate of its own, handlers in `src/handlers.rs` (kept by the generator).
pub(crate) const CHAT_SERVER: Example = Example {
    generator: "rust",
    spec: CHAT_SPEC,
    dir: "examples/chat/server",
    args: &[],
};

/// The chat client: a Vite + Vue project; its `App.vue` (kept by the generator) names the user from the page URL.
pub(crate) const CHAT_CLIENT: Example = Example {
    generator: "vue",
    spec: CHAT_SPEC,
    dir: "examples/chat/client",
    args: &["--package-name", "fastsocket-chat-client"],
};

/// Every generated example, servers first.
const EXAMPLES: &[Example] = &[CHAT_SERVER, CHAT_CLIENT];

/// Regenerates (or checks) every example. `Ok(true)` when all were written, or all are up to date.
pub fn run(args: &ExamplesArgs) -> anyhow::Result<bool> {
    let repo = crate::e2e::repo()?;
    let mut stale = 0;
    for example in EXAMPLES {
        let fresh = generate(&repo, example, args.check)?;
        let verdict = match (args.check, fresh) {
            (false, true) => "ok (regenerated)",
            (true, true) => "ok (up to date)",
            (_, false) => "FAIL",
        };
        println!(
            "{verdict} {} {} -> {}",
            example.generator, example.spec, example.dir
        );
        stale += usize::from(!fresh);
    }
    println!("{} passed, {stale} failed", EXAMPLES.len() - stale);
    if stale > 0 && args.check {
        println!("stale examples: run `cargo xtask examples` and commit the result");
    }
    Ok(stale == 0)
}

/// Runs the generator on one example; whether it succeeded (with `check`: whether nothing would change).
pub(crate) fn generate(repo: &Path, example: &Example, check: bool) -> anyhow::Result<bool> {
    let mut command = Command::new(crate::e2e::cargo());
    command
        .args(["run", "--quiet", "--package", "fastsocket-gen", "--"])
        .arg(example.generator)
        .arg(example.spec)
        .args(["-o", example.dir])
        .args(example.args)
        .current_dir(repo);
    if check {
        command.arg("--check");
    }
    let status = command
        .status()
        .with_context(|| format!("running fastsocket-gen on {}", example.spec))?;
    Ok(status.success())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples_name_existing_specs_and_distinct_folders() {
        let repo = crate::e2e::repo().unwrap();
        let mut dirs = std::collections::HashSet::new();
        for example in EXAMPLES {
            assert!(repo.join(example.spec).is_file(), "{}", example.spec);
            assert!(dirs.insert(example.dir), "{} twice", example.dir);
        }
    }
}
