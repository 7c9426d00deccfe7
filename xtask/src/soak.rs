//! `cargo xtask soak`: the checked-in chat server (`examples/chat/server`, a generated server) on loopback under
//! a mix of hostile clients for minutes, while a probe client checks it keeps answering correctly.
//!
//! 1. Builds the server (the shared target folder, as `chat-interop` does) and starts it with a 64 KiB message
//!    limit (so oversize messages are cheap to send), a 2 s header-read timeout and the default per-address cap.
//! 2. Starts the probe (`tests/e2e/node/soak.mjs probe`), waits [`WARM_UP`], reads the server's resident memory
//!    (`VmRSS` of `/proc/PID/status`) as the baseline, then runs the load (`soak.mjs load`, see that file for the
//!    mix) for the chosen time, sampling the memory every second.
//! 3. After the load has left, the probe runs on for [`SETTLE`] (the server must still answer, and closes what the
//!    load left half-open), and the memory is read again.
//! 4. Prints a table and the checks: the probe never failed, every acknowledged request was answered, every
//!    answer was documented, the limits held, the server's memory after is below `3 × baseline + 64 MiB` (a
//!    gross leak; allocators keep some memory, so "near the baseline" is reported as a ratio, not asserted),
//!    `/healthz` answers, the server stops cleanly on SIGTERM and logged no panic.
//!
//! The server's log goes to `target/soak/server.log`.

use std::fs;
use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use clap::Args;
use serde_json::Value;

use crate::e2e::{self, Server, Tally};
use crate::examples::CHAT_SERVER;

/// How long the probe runs before the baseline is read.
const WARM_UP: Duration = Duration::from_secs(4);
/// How long the probe runs on after the load has left (longer than the 10 s namespace-join timeout, so the
/// connections the load left half-open are closed by then).
const SETTLE: Duration = Duration::from_secs(14);
/// The smoke run's load.
const SMOKE_LOAD: Duration = Duration::from_secs(40);
/// The server's message limit during the soak.
const MAX_MESSAGE_BYTES: u64 = 64 * 1024;
/// The server's header-read timeout during the soak (seconds).
const HEADER_READ_TIMEOUT: u64 = 2;
/// The server's default per-address connection cap (`--max-connections-per-ip`), which the floods must meet.
const PER_IP: u64 = 64;
/// Gross growth: the memory after the soak may not exceed `GROWTH_FACTOR × baseline + GROWTH_SLACK_KB`.
const GROWTH_FACTOR: u64 = 3;
const GROWTH_SLACK_KB: u64 = 64 * 1024;

/// Arguments of `cargo xtask soak`.
#[derive(Debug, Args)]
pub struct SoakArgs {
    /// Minutes of load (the probe runs a few seconds longer on both sides).
    #[arg(long, default_value_t = 5.0)]
    minutes: f64,
    /// The CI run: 40 s of load (about a minute in all, without the build).
    #[arg(long, conflicts_with = "minutes")]
    smoke: bool,
    /// Socket.IO clients of the load (each also cuts and reopens its connection now and then).
    #[arg(long, default_value_t = 12)]
    clients: u32,
}

/// Runs the soak. `Ok(true)` when every check passed.
pub fn run(args: &SoakArgs) -> anyhow::Result<bool> {
    let load_time = if args.smoke {
        SMOKE_LOAD
    } else {
        ensure!(args.minutes > 0.0, "--minutes must be positive");
        Duration::from_secs_f64(args.minutes * 60.0)
    };
    let started = Instant::now();
    let repo = e2e::repo()?;
    let work = repo.join("target/soak");
    fs::create_dir_all(&work).context("creating target/soak")?;
    let crate_dir = repo.join(CHAT_SERVER.dir);
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo.join("target"));
    let mut tally = Tally::default();

    println!("== build {}", CHAT_SERVER.dir);
    let binary = e2e::build(&crate_dir, &target, "fastsocket-chat")?;
    let node = e2e::prepare_node(&repo)?;

    println!("== serve");
    let log_path = work.join("server.log");
    let limits = [
        ("--max-message-bytes", MAX_MESSAGE_BYTES),
        ("--header-read-timeout", HEADER_READ_TIMEOUT),
        ("--max-connections-per-ip", PER_IP),
    ]
    .map(|(flag, value)| [flag.to_owned(), value.to_string()]);
    let (server, addr) = Server::serve_on_loopback(
        &binary,
        &crate_dir,
        &limits
            .iter()
            .flatten()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        &[
            ("FASTSOCKET_AUTH_TOKENS", "soak-operator-token".to_owned()),
            // One line per event would be a flood of its own: warnings and errors only.
            ("RUST_LOG", "warn".to_owned()),
        ],
        &log_path,
    )?;
    server.wait_healthy(addr, Duration::from_secs(30))?;
    let pid = server.pid().context("the server is not running")?;
    let memory = Sampler::start(pid);

    let script = repo.join("tests/e2e/node/soak.mjs");
    let env = |seconds: Duration| -> Vec<(String, String)> {
        vec![
            ("SOAK_URL".into(), format!("http://{addr}")),
            ("SOAK_SECONDS".into(), seconds.as_secs().to_string()),
            ("SOAK_MAX_BYTES".into(), MAX_MESSAGE_BYTES.to_string()),
            ("SOAK_PER_IP".into(), PER_IP.to_string()),
            ("SOAK_HEADER_S".into(), HEADER_READ_TIMEOUT.to_string()),
            ("SOAK_CLIENTS".into(), args.clients.to_string()),
        ]
    };
    println!(
        "== probe, then {:.0} s of load, then {} s to settle",
        load_time.as_secs_f64(),
        SETTLE.as_secs()
    );
    let probe = spawn_node(&node, &script, "probe", &env(WARM_UP + load_time + SETTLE))?;
    std::thread::sleep(WARM_UP);
    let baseline = rss_kb(pid)?;
    memory.reset_peak();
    let load = spawn_node(&node, &script, "load", &env(load_time))?;
    let load = finish_node(load, "load")?;
    let left_at = rss_kb(pid)?;
    let probe = finish_node(probe, "probe")?;
    let after = rss_kb(pid)?;
    let peak = memory.peak();

    tally.check("probe: every answer right and in time", failures(&probe));
    tally.check(
        "load: every acknowledged request answered, every answer documented, limits held",
        failures(&load),
    );
    tally.check("load: the mix ran", mix_ran(&load));
    tally.check(
        "server: /healthz answers after the soak",
        e2e::http_get(addr, "/healthz")
            .context("GET /healthz")
            .and_then(|r| {
                ensure!(
                    r.starts_with("HTTP/1.1 200"),
                    "{}",
                    r.lines().next().unwrap_or_default()
                );
                Ok(())
            }),
    );
    let limit = GROWTH_FACTOR * baseline + GROWTH_SLACK_KB;
    tally.check(
        "server: memory after the soak below 3 x baseline + 64 MiB",
        if after <= limit {
            Ok(())
        } else {
            Err(anyhow::anyhow!("{after} KiB > {limit} KiB"))
        },
    );
    tally.check("server: stops cleanly on SIGTERM", server.stop_cleanly());
    tally.check(
        "server: no panic in its log",
        e2e::check_log(&log_path, None),
    );

    print_table(&probe, &load, [baseline, peak, left_at, after], load_time);
    println!(
        "soak took {:.1} s (server log: target/soak/server.log)",
        started.elapsed().as_secs_f64()
    );
    println!("{} passed, {} failed", tally.passed, tally.failed);
    Ok(tally.failed == 0)
}

/// Starts `node soak.mjs MODE`, its `SOAK {…}` line read at the end.
fn spawn_node(
    node: &Path,
    script: &Path,
    mode: &str,
    env: &[(String, String)],
) -> anyhow::Result<Child> {
    Command::new(node)
        .arg(script)
        .arg(mode)
        .current_dir(script.parent().context("the script's folder")?)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("starting node soak.mjs {mode}"))
}

/// Waits for a soak process and parses its `SOAK {…}` line.
fn finish_node(mut child: Child, mode: &str) -> anyhow::Result<Value> {
    let stdout = child.stdout.take().context("piped")?;
    let mut summary = None;
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        match line.strip_prefix("SOAK ") {
            Some(json) => summary = Some(serde_json::from_str(json).context("the SOAK line")?),
            None => println!("  {mode}| {line}"),
        }
    }
    let status = child.wait()?;
    ensure!(status.success(), "soak.mjs {mode} exited {status}");
    summary.with_context(|| format!("soak.mjs {mode} printed no SOAK line"))
}

/// A count of a summary (0 when absent).
fn count(summary: &Value, name: &str) -> u64 {
    summary["counts"][name].as_u64().unwrap_or(0)
}

/// Fails when the summary counted a failure, naming each kind and a few samples.
fn failures(summary: &Value) -> anyhow::Result<()> {
    let Some(counts) = summary["counts"].as_object() else {
        bail!("no counts");
    };
    let failed: Vec<String> = counts
        .iter()
        .filter(|(k, _)| k.starts_with("fail."))
        .map(|(k, v)| format!("{k} = {v}"))
        .collect();
    if failed.is_empty() {
        return Ok(());
    }
    let samples: Vec<&str> = summary["sample"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    bail!("{}; e.g. {}", failed.join(", "), samples.join(" | "))
}

/// The parts of the mix that must have happened for the run to mean anything.
fn mix_ran(load: &Value) -> anyhow::Result<()> {
    let wanted = [
        "ok.send_message",
        "ok.invalid",
        "ok.oversize",
        "ok.binary",
        "envelope.rate_limited",
        "abrupt",
        "transport_limit.closed",
        "raw.closed_by_server",
        "flood.closed_at_once",
        "nojoin.closed",
    ];
    let missing: Vec<&str> = wanted
        .into_iter()
        .filter(|name| count(load, name) == 0)
        .collect();
    ensure!(missing.is_empty(), "never happened: {}", missing.join(", "));
    Ok(())
}

fn print_table(
    probe: &Value,
    load: &Value,
    [baseline, peak, left, after]: [u64; 4],
    load_time: Duration,
) {
    let mib = |kb: u64| format!("{:.1} MiB", kb as f64 / 1024.0);
    let per_s = |n: u64| format!("{n} ({:.0}/s)", n as f64 / load_time.as_secs_f64());
    let sum = |prefix: &str| sum_counts(load, prefix);
    let rows: Vec<(&str, String)> = vec![
        ("load time", format!("{:.0} s", load_time.as_secs_f64())),
        ("acknowledged requests sent", per_s(count(load, "requests"))),
        ("  answered", count(load, "answered").to_string()),
        (
            "  cut with their connection (on purpose or by a limit)",
            count(load, "requests.cut").to_string(),
        ),
        (
            "  lost (live connection, no answer)",
            sum("fail.lost.").to_string(),
        ),
        ("  undocumented answers", sum("fail.answer.").to_string()),
        (
            "answers: validation_failed",
            count(load, "envelope.validation_failed").to_string(),
        ),
        (
            "answers: payload_too_large",
            count(load, "envelope.payload_too_large").to_string(),
        ),
        (
            "answers: unknown_event",
            count(load, "envelope.unknown_event").to_string(),
        ),
        (
            "answers: rate_limited",
            count(load, "envelope.rate_limited").to_string(),
        ),
        (
            "`exception` events (all enveloped)",
            count(load, "exceptions").to_string(),
        ),
        (
            "Socket.IO connects (load)",
            count(load, "connects").to_string(),
        ),
        (
            "connections cut abruptly mid-request",
            count(load, "abrupt").to_string(),
        ),
        (
            "messages beyond the transport limit: connection closed",
            format!(
                "{} of {}",
                count(load, "transport_limit.closed"),
                count(load, "transport_limit.sent")
            ),
        ),
        (
            "raw WebSocket malformed frames sent",
            sum("raw.sent.").to_string(),
        ),
        (
            "  of which the server closed the connection",
            count(load, "raw.closed_by_server").to_string(),
        ),
        (
            "  raw acks / exceptions (all documented)",
            format!(
                "{} / {}",
                count(load, "raw.acks"),
                count(load, "raw.exceptions")
            ),
        ),
        ("raw long-polling requests", sum("polling.").to_string()),
        (
            "silent TCP connections (floods)",
            format!(
                "{}: {} closed at once (cap {PER_IP}/address), {} by the {HEADER_READ_TIMEOUT} s header timeout",
                count(load, "flood.connections"),
                count(load, "flood.closed_at_once"),
                count(load, "flood.closed_by_header_timeout")
            ),
        ),
        (
            "handshakes never joining a namespace",
            format!(
                "{}: {} closed by the server",
                count(load, "nojoin.connections"),
                count(load, "nojoin.closed")
            ),
        ),
        (
            "probe requests (right, in time)",
            format!(
                "{} of {}",
                count(probe, "probe.ok"),
                count(probe, "probe.ok") + sum_counts(probe, "fail.")
            ),
        ),
        (
            "probe latency p50 / p99 / max",
            format!(
                "{} / {} / {} ms",
                probe["p50_ms"], probe["p99_ms"], probe["max_ms"]
            ),
        ),
        ("server RSS: baseline", mib(baseline)),
        ("server RSS: peak under load", mib(peak)),
        ("server RSS: when the load left", mib(left)),
        (
            "server RSS: after settling",
            format!(
                "{} ({:.2} x baseline)",
                mib(after),
                after as f64 / baseline.max(1) as f64
            ),
        ),
    ];
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    println!("\n| {:width$} | value |", "soak");
    println!("|-{}-|-------|", "-".repeat(width));
    for (k, v) in rows {
        println!("| {k:width$} | {v} |");
    }
    println!();
}

/// The sum of a summary's counts whose names start with `prefix`.
fn sum_counts(summary: &Value, prefix: &str) -> u64 {
    summary["counts"]
        .as_object()
        .map(|c| {
            c.iter()
                .filter(|(k, _)| k.starts_with(prefix))
                .filter_map(|(_, v)| v.as_u64())
                .sum()
        })
        .unwrap_or(0)
}

/// `VmRSS` of a process, in KiB.
fn rss_kb(pid: u32) -> anyhow::Result<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status (the server exited?)"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmRSS line")
}

/// Reads the server's memory every second on a thread of its own, keeping the peak.
struct Sampler {
    peak: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Sampler {
    fn start(pid: u32) -> Sampler {
        let peak = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (peak, stop) = (peak.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    if let Ok(kb) = rss_kb(pid) {
                        peak.fetch_max(kb, Ordering::Relaxed);
                    }
                    std::thread::sleep(Duration::from_secs(1));
                }
            })
        };
        Sampler {
            peak,
            stop,
            thread: Some(thread),
        }
    }

    fn reset_peak(&self) {
        self.peak.store(0, Ordering::Relaxed);
    }

    fn peak(&self) -> u64 {
        self.peak.load(Ordering::Relaxed)
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
