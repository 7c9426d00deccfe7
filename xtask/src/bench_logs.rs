//! `cargo xtask bench-logs`: how fast a generated server's `logs tail` filters a big log, side by side with
//! `grep -F` and `jq` on the same file and the same filter. A benchmark, not a test: it prints a table.
//!
//! 1. Writes `target/bench-logs/log/server.log` (1 GB by default, `--size-mb N`, `--smoke` ~20 MB): records as
//!    the server writes them (same keys, same order), a mix of events, namespaces, principals and outcomes from
//!    a fixed pseudo-random sequence; one event in fifty is `report`, the one looked for.
//! 2. Builds the checked-in chat server (`examples/chat/server`) in release (`--smoke`: the debug build CI has).
//! 3. Reads the file once (into the page cache), then times, each writing its matches to a pipe the xtask
//!    counts: `fastsocket-chat logs --log-dir … tail --all --json --event report`, `grep -F
//!    '"event":"report"'`, and `jq -c 'select(.event == "report")'`. The match counts must agree.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, ensure};

/// Arguments of `cargo xtask bench-logs`.
#[derive(Debug, clap::Args)]
pub struct BenchLogsArgs {
    /// Size of the generated log, in MB.
    #[arg(long, default_value_t = 1024)]
    size_mb: u64,
    /// A quick run for CI: a ~20 MB log.
    #[arg(long)]
    smoke: bool,
}

/// The event the filter looks for.
const WANTED: &str = "report";

pub fn run(args: &BenchLogsArgs) -> anyhow::Result<bool> {
    let repo = crate::e2e::repo()?;
    let size_mb = if args.smoke { 20 } else { args.size_mb.max(1) };
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo.join("target"));
    let dir = repo.join("target/bench-logs/log");
    std::fs::create_dir_all(&dir).with_context(|| dir.display().to_string())?;
    let log = dir.join("server.log");
    let started = Instant::now();
    let (bytes, expected) = generate(&log, size_mb << 20)?;
    println!(
        "generated {} ({:.0} MB, {expected} `{WANTED}` records) in {:.1} s",
        log.display(),
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    ensure_jq()?;
    // The smoke run checks the pipeline, not the speed: it takes the debug build CI already has, instead of a
    // release build of the whole server stack (minutes on two cores).
    let release = !args.smoke;
    let binary = build_server(&repo.join("examples/chat/server"), &target, release)?;
    // Into the page cache, so every tool reads from memory.
    std::io::copy(&mut File::open(&log)?, &mut std::io::sink())?;

    let dir_arg = dir.to_string_lossy().into_owned();
    let log_arg = log.to_string_lossy().into_owned();
    let needle = format!("\"event\":\"{WANTED}\"");
    let jq_filter = format!("select(.event == \"{WANTED}\")");
    let runs: Vec<(&str, String, Vec<String>)> = vec![
        (
            if release {
                "logs tail --event (release)"
            } else {
                "logs tail --event (debug build)"
            },
            binary.to_string_lossy().into_owned(),
            [
                "logs",
                "--log-dir",
                &dir_arg,
                "tail",
                "--all",
                "--json",
                "--event",
                WANTED,
            ]
            .map(str::to_owned)
            .to_vec(),
        ),
        (
            "grep -F",
            "grep".into(),
            ["-F", &needle, &log_arg].map(str::to_owned).to_vec(),
        ),
        (
            "jq -c select",
            "jq".into(),
            ["-c", &jq_filter, &log_arg].map(str::to_owned).to_vec(),
        ),
    ];
    let mut rows = Vec::new();
    for (name, program, arguments) in &runs {
        let (seconds, matches) = time(program, arguments)?;
        ensure!(
            matches == expected,
            "{name} found {matches} records, the generator wrote {expected}"
        );
        rows.push((*name, seconds));
    }
    let mb = bytes as f64 / 1e6;
    let ours = rows[0].1;
    println!();
    println!(
        "| tool ({mb:.0} MB log, filter: event = `{WANTED}`) | seconds | MB/s | time vs logs tail |"
    );
    println!("| --- | ---: | ---: | ---: |");
    for (name, seconds) in &rows {
        println!(
            "| `{name}` | {seconds:.2} | {:.0} | {:.2}× |",
            mb / seconds,
            seconds / ours
        );
    }
    let (grep, jq) = (rows[1].1, rows[2].1);
    println!();
    println!(
        "logs tail: {:.1}× faster than jq (goal ≥ 10×), {:.2}× the time of grep -F (goal ≤ 2×)",
        jq / ours,
        ours / grep
    );
    Ok(true)
}

/// Writes about `size` bytes of records; returns the bytes written and how many are `WANTED` events.
fn generate(path: &Path, size: u64) -> anyhow::Result<(u64, u64)> {
    const EVENTS: &[(&str, &str)] = &[
        ("/chat", "send"),
        ("/chat", "typing"),
        ("/chat", "join"),
        ("/rooms/42", "say"),
        ("/rooms/7", "say"),
        ("/admin", "kick"),
    ];
    const CODES: &[&str] = &[
        "validation_failed",
        "rate_limited",
        "unauthorized",
        "internal",
    ];
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        // xorshift64*: a fixed sequence, so every run filters the same file.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    let (mut written, mut wanted, mut n) = (0u64, 0u64, 0u64);
    let mut line = String::with_capacity(512);
    while written < size {
        n += 1;
        let r = next();
        let ms = 1_796_666_400_000 + n * 3;
        let ts = format!(
            "2026-12-07T{:02}:{:02}:{:02}.{:03}Z",
            18 + (ms / 3_600_000) % 6,
            (ms / 60_000) % 60,
            (ms / 1000) % 60,
            ms % 1000
        );
        let socket = format!("{:016x}", r >> 8);
        line.clear();
        if r % 50 == 0 {
            wanted += 1;
            line.push_str(&format!(
                r#"{{"ts":"{ts}","level":"info","kind":"event","namespace":"/chat","event":"{WANTED}","socket":"{socket}","principal":"token-{}","outcome":"ok","latency_us":{},"size":{}}}"#,
                r % 7,
                (r >> 20) % 5000,
                (r >> 40) % 900
            ));
        } else if r % 97 == 1 {
            line.push_str(&format!(
                r#"{{"ts":"{ts}","level":"info","kind":"connected","namespace":"/chat","socket":"{socket}","principal":"token-{}"}}"#,
                r % 7
            ));
        } else {
            let (namespace, event) = EVENTS[(r >> 8) as usize % EVENTS.len()];
            let failed = (r >> 16) % 20 == 0;
            if failed {
                let code = CODES[(r >> 24) as usize % CODES.len()];
                line.push_str(&format!(
                    r#"{{"ts":"{ts}","level":"warn","kind":"event","namespace":"{namespace}","event":"{event}","socket":"{socket}","principal":"token-{}","outcome":"error","code":"{code}","latency_us":{},"size":{},"message":"invalid payload for `{event}`: /text: must be a string, found number","violations":[{{"path":"/text","message":"must be a string, found number"}}]}}"#,
                    r % 7,
                    (r >> 20) % 5000,
                    (r >> 40) % 900
                ));
            } else {
                line.push_str(&format!(
                    r#"{{"ts":"{ts}","level":"info","kind":"event","namespace":"{namespace}","event":"{event}","socket":"{socket}","principal":"token-{}","outcome":"ok","latency_us":{},"size":{}}}"#,
                    r % 7,
                    (r >> 20) % 5000,
                    (r >> 40) % 900
                ));
            }
        }
        line.push('\n');
        out.write_all(line.as_bytes())?;
        written += line.len() as u64;
    }
    out.flush()?;
    Ok((written, wanted))
}

/// Runs `program`, counting the lines it prints; the wall time in seconds and the count.
fn time(program: &str, args: &[String]) -> anyhow::Result<(f64, u64)> {
    let started = Instant::now();
    let mut child = Command::new(program)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("cannot start {program}"))?;
    let mut stdout = child.stdout.take().context("no stdout")?;
    let mut buf = vec![0u8; 1 << 20];
    let mut lines = 0u64;
    loop {
        let n = stdout.read(&mut buf)?;
        if n == 0 {
            break;
        }
        lines += buf[..n].iter().filter(|b| **b == b'\n').count() as u64;
    }
    let status = child.wait()?;
    ensure!(status.success(), "{program} failed: {status}");
    Ok((started.elapsed().as_secs_f64(), lines))
}

/// Installs jq with apt-get when it is missing.
fn ensure_jq() -> anyhow::Result<()> {
    if Command::new("jq").arg("--version").output().is_ok() {
        return Ok(());
    }
    println!("jq is missing: apt-get install jq");
    let status = Command::new("apt-get")
        .args(["install", "-y", "-qq", "jq"])
        .status()
        .context("apt-get")?;
    ensure!(status.success(), "cannot install jq: {status}");
    Ok(())
}

/// `cargo build` of the chat server (`--release` when `release`); its binary.
fn build_server(crate_dir: &Path, target: &Path, release: bool) -> anyhow::Result<PathBuf> {
    build_binary(crate_dir, target, release, "fastsocket-chat", &[])
}

/// `cargo build` of a crate with its own workspace (`--release` when `release`), with the extra environment
/// `env`; the path of its binary `name`.
pub(crate) fn build_binary(
    crate_dir: &Path,
    target: &Path,
    release: bool,
    name: &str,
    env: &[(&str, &str)],
) -> anyhow::Result<PathBuf> {
    let mut cargo = Command::new(crate::e2e::cargo());
    cargo.arg("build");
    if release {
        cargo.arg("--release");
    }
    let status = cargo
        .args(["--quiet", "--manifest-path"])
        .arg(crate_dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", target)
        .envs(env.iter().copied())
        .status()
        .context("running cargo build")?;
    ensure!(status.success(), "{name} does not build: {status}");
    let binary = target
        .join(if release { "release" } else { "debug" })
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    ensure!(binary.exists(), "no binary at {}", binary.display());
    Ok(binary)
}
