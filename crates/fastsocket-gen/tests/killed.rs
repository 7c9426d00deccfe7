//! A generator killed at any moment leaves every output file whole: the previous version or the new one, never
//! a torn mix inside one file; the next run finishes the job and removes what the killed one left behind.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

mod common;

fn temp(name: &str) -> PathBuf {
    common::temp("killed", name)
}

fn generate(spec: &Path, out: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_fastsocket-gen"))
        .args(["vue", spec.to_str().unwrap(), "-o", out.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the generator starts")
}

/// Every file under `dir`, by relative path.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    common::files_under(dir)
        .into_iter()
        .map(|path| {
            let relative = path
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (relative, std::fs::read(&path).unwrap())
        })
        .collect()
}

fn is_temporary(path: &str) -> bool {
    Path::new(path)
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with(".fastsocket-gen-"))
}

#[test]
fn a_killed_run_leaves_every_file_whole_and_the_next_run_completes() {
    let work = temp("work");
    let specs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../specs");
    // Two different documents: the client's shared files (theme, connection, pages) differ between them, and
    // each has files of its own.
    let v1 = specs.join("chat-socketio.yaml");
    let v2 = specs.join("desk-security.yaml");

    let reference = |spec: &Path, name: &str| {
        let out = work.join(name);
        assert!(generate(spec, &out).wait().unwrap().success());
        tree(&out)
    };
    let old = reference(&v1, "ref-v1");
    let new = reference(&v2, "ref-v2");
    let changed = old.iter().filter(|(p, c)| new.get(*p) != Some(c)).count();
    assert!(
        changed > 10,
        "the two versions differ in {changed} files only"
    );
    let shared = old.keys().filter(|p| new.contains_key(*p)).count();
    assert!(shared > 20, "the two versions share {shared} files only");

    // Deterministic spread of kill times over the run (a full run takes tens of milliseconds).
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut killed_midway = 0;
    for round in 0..24 {
        let out = work.join(format!("round-{round}"));
        assert!(generate(&v1, &out).wait().unwrap().success());
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        let delay = Duration::from_micros(seed >> 48); // 0..65 ms
        let mut child = generate(&v2, &out);
        std::thread::sleep(delay);
        let _ = child.kill();
        let _ = child.wait();

        let after = tree(&out);
        let mut mixed = (false, false);
        for (path, contents) in &after {
            if is_temporary(path) {
                continue;
            }
            let whole_old = old.get(path) == Some(contents);
            let whole_new = new.get(path) == Some(contents);
            assert!(
                whole_old || whole_new,
                "round {round} (killed after {delay:?}): {path} is neither the old nor the new file"
            );
            mixed.0 |= whole_old && !whole_new;
            mixed.1 |= whole_new && !whole_old;
        }
        if mixed.0 && mixed.1 || after.keys().any(|p| is_temporary(p)) {
            killed_midway += 1;
        }

        assert!(
            generate(&v2, &out).wait().unwrap().success(),
            "round {round}: the next run fails"
        );
        let finished = tree(&out);
        assert!(
            !finished.keys().any(|p| is_temporary(p)),
            "round {round}: temporary files left after a complete run"
        );
        for (path, contents) in &new {
            // User-owned files are written once: they keep the first run's version.
            assert!(
                finished.get(path) == Some(contents) || finished.get(path) == old.get(path),
                "round {round}: {path} differs from both versions after the next run"
            );
        }
        std::fs::remove_dir_all(&out).unwrap();
    }
    eprintln!("24 runs killed; {killed_midway} were caught between their first and last file");
    std::fs::remove_dir_all(&work).unwrap();
}
