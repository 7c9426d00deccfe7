//! `cargo xtask bench-load`: four servers of one contract (`bench/orders.yaml`: `/orders`, `place-order` with an
//! acknowledgement, one payload in ten invalid) side by side under socket.io-client load. A benchmark, not a
//! test: it prints tables (and, in a full run, writes its section of `docs/benchmarks.md` and two SVG plots).
//!
//! The servers (`bench/`): the server generated from the spec with `bench/generated/handlers.rs` (default
//! configuration, logging as shipped); the floor, hand-written on socketioxide + axum (`bench/floor`); Node
//! socket.io 4.8 + Ajv (`bench/node/server.mjs`); python-socketio 5 + FastAPI + Pydantic 2 on uvicorn
//! (`bench/python/server.py`, in a venv under the target folder).
//!
//! For each server and each level, a fresh server process; the load generator (`bench/node/load.mjs`) runs in
//! as many Node processes as the level needs so that its own CPU is not the ceiling (their CPU is reported).
//! Measured: connect time, ack latency percentiles, acks per second, timeouts and wrong answers, the server's
//! CPU seconds (`/proc/PID/stat`, during the load phase only) per 1,000 acks, and its resident memory per
//! connection (`VmRSS` once connected minus before). `--smoke`: tiny levels, the debug builds CI has; fails on
//! a wrong answer, a timeout, a refused connection or a server that answers nothing.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use serde_json::Value;

use crate::e2e::{self, Server};

/// Arguments of `cargo xtask bench-load`.
#[derive(Debug, clap::Args)]
pub struct BenchLoadArgs {
    /// A quick run for CI: tiny levels, debug builds, no files written; fails on a wrong answer.
    #[arg(long)]
    smoke: bool,
    /// Seconds of load per level (full run).
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Only these servers (generated, floor, node, python), comma-separated.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Only these levels of the full run, by their 1-based place in the table (`--levels 4`: `1k @ 12k/s`),
    /// comma-separated. Tables are printed; `docs/benchmarks.md` is left as it is.
    #[arg(long, value_delimiter = ',')]
    levels: Vec<usize>,
}

/// The contract every server serves.
const SPEC: &str = "bench/orders.yaml";
/// The generated crate's package (and binary) name, from the spec's title.
const GENERATED_NAME: &str = "bench-orders";
/// How long a server may take to answer `GET /healthz`.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// Raises the open-files limit to the hard limit, then runs the command (so the PID is the command's).
const RAISE_NOFILE: &str = "ulimit -n \"$(ulimit -Hn)\" && exec \"$@\"";
/// One load-generator process per this many messages per second (socket.io-client costs ~30-60 µs of CPU a
/// message, send and ack) ...
const RATE_PER_GENERATOR: u32 = 3000;
/// ... and per this many sockets.
const CONNS_PER_GENERATOR: usize = 5000;

/// One load level.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Level {
    /// Short label (tables, plots).
    pub(crate) label: &'static str,
    conns: usize,
    /// `place-order` per second over all sockets; 0 holds the sockets idle.
    pub(crate) rate: u32,
    seconds: u64,
}

/// The servers, in table order (the floor first: the ratios are against it).
pub(crate) const SERVERS: [&str; 4] = ["floor", "generated", "node", "python"];

/// A server ready to start: how to run it on a port.
struct ServerKind {
    name: &'static str,
    /// Program and arguments; `{port}` is replaced.
    command: Vec<String>,
    cwd: PathBuf,
    env: Vec<(&'static str, String)>,
}

/// The measurements of one server at one level.
#[derive(Debug, Clone, Default)]
pub(crate) struct Row {
    pub(crate) server: &'static str,
    pub(crate) level: usize,
    connected: usize,
    connect_failed: usize,
    connect_seconds: f64,
    connect_p99_ms: f64,
    sent: u64,
    answered: u64,
    timeouts: u64,
    wrong: u64,
    first_wrong: Option<String>,
    p50: f64,
    p90: f64,
    pub(crate) p99: f64,
    max: f64,
    acks_per_second: f64,
    server_cpu_seconds: f64,
    server_cpu_percent: f64,
    rss_per_conn_kb: f64,
    held: usize,
    generators: usize,
    generator_cpu_percent: f64,
}

impl Row {
    /// Server CPU seconds per 1,000 acks (None without acks).
    pub(crate) fn cpu_per_1k(&self) -> Option<f64> {
        (self.answered > 0).then(|| self.server_cpu_seconds * 1000.0 / self.answered as f64)
    }
}

pub fn run(args: &BenchLoadArgs) -> anyhow::Result<bool> {
    let started = Instant::now();
    let repo = e2e::repo()?;
    let levels: Vec<Level> = if args.smoke {
        vec![
            Level {
                label: "20 conns @ 200/s",
                conns: 20,
                rate: 200,
                seconds: 3,
            },
            Level {
                label: "50 conns idle",
                conns: 50,
                rate: 0,
                seconds: 2,
            },
        ]
    } else {
        let s = args.seconds.max(1);
        vec![
            Level {
                label: "1k @ 1k/s",
                conns: 1000,
                rate: 1000,
                seconds: s,
            },
            Level {
                label: "5k @ 2k/s",
                conns: 5000,
                rate: 2000,
                seconds: s,
            },
            Level {
                label: "10k @ 500/s",
                conns: 10_000,
                rate: 500,
                seconds: s,
            },
            Level {
                label: "1k @ 12k/s",
                conns: 1000,
                rate: 12_000,
                seconds: s,
            },
            Level {
                label: "10k idle",
                conns: 10_000,
                rate: 0,
                seconds: s,
            },
        ]
    };
    let levels: Vec<Level> = if args.levels.is_empty() {
        levels
    } else {
        ensure!(
            args.levels.iter().all(|n| (1..=levels.len()).contains(n)),
            "--levels: places from 1 to {}",
            levels.len()
        );
        let chosen = levels
            .iter()
            .enumerate()
            .filter(|(i, _)| args.levels.contains(&(i + 1)))
            .map(|(_, level)| *level);
        chosen.collect()
    };
    let wanted: Vec<&'static str> = SERVERS
        .into_iter()
        .filter(|s| args.only.is_empty() || args.only.iter().any(|o| o == s))
        .collect();
    ensure!(!wanted.is_empty(), "--only names none of {SERVERS:?}");

    println!("== prepare (build, npm ci, venv)");
    let kinds = prepare(&repo, args.smoke, &wanted)?;
    let clk_tck = clock_ticks()?;
    let node_dir = repo.join("bench/node");
    let work = repo.join("target/bench-load");
    std::fs::create_dir_all(&work)?;

    let total = kinds.len() * levels.len();
    let mut rows = Vec::new();
    for (k, kind) in kinds.iter().enumerate() {
        for (l, level) in levels.iter().enumerate() {
            let step = k * levels.len() + l + 1;
            println!(
                "[{step}/{total}] {} · {} ({} s) ·  {:.0} s elapsed",
                kind.name,
                level.label,
                level.seconds,
                started.elapsed().as_secs_f64()
            );
            let row = measure(kind, l, level, &node_dir, &work, clk_tck, args.smoke)
                .with_context(|| format!("{} at {}", kind.name, level.label))?;
            println!("        {}", summary(&row, level));
            rows.push(row);
        }
    }

    let tables = tables(&rows, &levels);
    println!();
    println!("{tables}");
    if !args.smoke && args.levels.is_empty() {
        write_docs(&repo, &rows, &levels, &tables, args)?;
    }
    println!("bench-load: {:.0} s", started.elapsed().as_secs_f64());
    Ok(check(&rows, &levels))
}

/// Builds or installs each wanted server; how to start it.
fn prepare(repo: &Path, smoke: bool, wanted: &[&str]) -> anyhow::Result<Vec<ServerKind>> {
    let bench = repo.join("bench");
    // Smoke: the debug target folder `cargo xtask e2e` builds its generated server in, without debug info
    // (same settings: the runtime's crates are reused). Full: release, in the usual target folder.
    let target = if smoke {
        repo.join("target/e2e-target")
    } else {
        std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| repo.join("target"))
    };
    let profile = if smoke { "debug" } else { "release" };
    // The load generator lives there too: needed whichever servers run.
    e2e::npm_ci(&bench.join("node"))?;
    let mut kinds = Vec::new();
    for name in wanted {
        let kind = match *name {
            "generated" => {
                let crate_dir = repo.join("target/bench-load/orders");
                e2e::generate_with(repo, SPEC, &bench.join("generated/handlers.rs"), &crate_dir)?;
                let binary = build(&crate_dir, &target, !smoke, GENERATED_NAME)?;
                ServerKind {
                    name: "generated",
                    command: vec![
                        path_string(&binary),
                        "serve".into(),
                        "--host".into(),
                        "127.0.0.1".into(),
                        "--port".into(),
                        "{port}".into(),
                    ],
                    cwd: crate_dir,
                    // Everything else as shipped; the connection caps would refuse the 10k level.
                    env: vec![
                        ("FASTSOCKET_MAX_CONNECTIONS", "20000".into()),
                        ("FASTSOCKET_MAX_CONNECTIONS_PER_IP", "20000".into()),
                    ],
                }
            }
            "floor" => {
                let crate_dir = bench.join("floor");
                let binary = build(&crate_dir, &target, !smoke, "bench-floor")?;
                ServerKind {
                    name: "floor",
                    command: vec![path_string(&binary), "{port}".into()],
                    cwd: crate_dir,
                    env: Vec::new(),
                }
            }
            "node" => ServerKind {
                name: "node",
                command: vec!["node".into(), "server.mjs".into(), "{port}".into()],
                cwd: bench.join("node"),
                env: vec![("NODE_ENV", "production".into())],
            },
            "python" => {
                let python = e2e::prepare_venv(
                    &bench.join("python/requirements.txt"),
                    &repo.join("target/bench-load/venv"),
                )?;
                ServerKind {
                    name: "python",
                    command: vec![path_string(&python), "server.py".into(), "{port}".into()],
                    cwd: bench.join("python"),
                    env: Vec::new(),
                }
            }
            other => bail!("unknown server {other}"),
        };
        println!("  {} ready ({profile} build where it applies)", kind.name);
        kinds.push(kind);
    }
    Ok(kinds)
}

fn path_string(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// `cargo build [--release]` of a crate with its own workspace; the path of its binary `name`. The debug build
/// has no debug info, as `cargo xtask e2e` builds its generated server (so the two share compiled crates).
fn build(crate_dir: &Path, target: &Path, release: bool, name: &str) -> anyhow::Result<PathBuf> {
    crate::bench_logs::build_binary(
        crate_dir,
        target,
        release,
        name,
        &[("CARGO_PROFILE_DEV_DEBUG", "0")],
    )
}

/// `getconf CLK_TCK`: the unit of `/proc/PID/stat`'s CPU times.
fn clock_ticks() -> anyhow::Result<f64> {
    let out = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .context("getconf")?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim()
        .parse::<f64>()
        .with_context(|| format!("CLK_TCK = {text:?}"))
}

/// User + system CPU seconds of a process so far.
fn cpu_seconds(pid: u32, clk_tck: f64) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The command name (field 2) may hold spaces: count from after its closing parenthesis.
    let rest = stat.rsplit_once(')').context("odd /proc/PID/stat")?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| -> anyhow::Result<f64> {
        Ok(fields
            .get(i)
            .context("short /proc/PID/stat")?
            .parse::<f64>()?)
    };
    // Fields 14 (utime) and 15 (stime); `fields[0]` is field 3.
    Ok((ticks(11)? + ticks(12)?) / clk_tck)
}

/// Resident memory of a process, in KB (`VmRSS`).
fn rss_kb(pid: u32) -> anyhow::Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .context("no VmRSS")?;
    Ok(line
        .split_whitespace()
        .nth(1)
        .context("odd VmRSS")?
        .parse::<f64>()?)
}

/// A load-generator process.
struct Generator {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Generator {
    /// The JSON of the next line that starts with `kind `.
    fn expect(&mut self, kind: &str) -> anyhow::Result<Value> {
        let mut line = String::new();
        loop {
            line.clear();
            let n = self.stdout.read_line(&mut line)?;
            ensure!(n > 0, "the load generator exited before `{kind}`");
            if let Some(json) = line
                .trim_end()
                .strip_prefix(kind)
                .and_then(|r| r.strip_prefix(' '))
            {
                return Ok(serde_json::from_str(json)?);
            }
        }
    }
}

impl Drop for Generator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One server at one level: a fresh server, the generators connected, the load, the numbers.
fn measure(
    kind: &ServerKind,
    level_index: usize,
    level: &Level,
    node_dir: &Path,
    work: &Path,
    clk_tck: f64,
    smoke: bool,
) -> anyhow::Result<Row> {
    let port = e2e::free_port()?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut args: Vec<String> = vec!["-c".into(), RAISE_NOFILE.into(), "bash".into()];
    args.extend(
        kind.command
            .iter()
            .map(|a| a.replace("{port}", &port.to_string())),
    );
    let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let log = work.join(format!("{}.log", kind.name));
    let server = Server::start(Path::new("bash"), &kind.cwd, &arg_refs, &kind.env, &log)?;
    server.wait_healthy(addr, START_TIMEOUT)?;
    let pid = server.pid().context("server not running")?;
    let rss_before = rss_kb(pid)?;

    let generators = (level.rate.div_ceil(RATE_PER_GENERATOR) as usize)
        .max(level.conns.div_ceil(CONNS_PER_GENERATOR))
        .max(1);
    let timeout_ms = if smoke { 10_000 } else { 5_000 };
    let mut procs = Vec::new();
    for g in 0..generators {
        let conns = level.conns / generators + usize::from(g < level.conns % generators);
        let rate = f64::from(level.rate) / generators as f64;
        let mut child = Command::new("bash")
            .args(["-c", RAISE_NOFILE, "bash", "node", "load.mjs"])
            .current_dir(node_dir)
            .env("LOAD_URL", format!("http://{addr}"))
            .env("LOAD_CONNS", conns.to_string())
            .env("LOAD_RATE", rate.to_string())
            .env("LOAD_SECONDS", level.seconds.to_string())
            .env("LOAD_ID", g.to_string())
            .env("LOAD_TIMEOUT_MS", timeout_ms.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting node load.mjs")?;
        let stdin = child.stdin.take().context("no stdin")?;
        let stdout = BufReader::new(child.stdout.take().context("no stdout")?);
        procs.push(Generator {
            child,
            stdin,
            stdout,
        });
    }
    let mut row = Row {
        server: kind.name,
        level: level_index,
        generators,
        ..Row::default()
    };
    for generator in &mut procs {
        let ready = generator.expect("ready")?;
        row.connected += num(&ready, "connected") as usize;
        row.connect_failed += num(&ready, "failed") as usize;
        row.connect_seconds = row.connect_seconds.max(num(&ready, "seconds"));
        row.connect_p99_ms = row.connect_p99_ms.max(num(&ready, "p99"));
    }
    let rss_connected = rss_kb(pid)?;
    row.rss_per_conn_kb = (rss_connected - rss_before) / row.connected.max(1) as f64;

    let cpu_before = cpu_seconds(pid, clk_tck)?;
    let wall = Instant::now();
    for generator in &mut procs {
        writeln!(generator.stdin, "go")?;
        generator.stdin.flush()?;
    }
    let mut latencies = Vec::new();
    for generator in &mut procs {
        let done = generator.expect("done")?;
        row.sent += num(&done, "sent") as u64;
        row.answered += num(&done, "answered") as u64;
        row.timeouts += num(&done, "timeouts") as u64 + num(&done, "unanswered") as u64;
        row.wrong += num(&done, "wrong") as u64;
        row.held += num(&done, "held") as usize;
        if row.first_wrong.is_none() && done["firstWrong"].is_object() {
            row.first_wrong = Some(done["firstWrong"].to_string());
        }
        let percent = 100.0 * num(&done, "cpuSeconds") / num(&done, "wallSeconds").max(1e-9);
        row.generator_cpu_percent = row.generator_cpu_percent.max(percent);
        if let Some(samples) = done["latencies"].as_array() {
            latencies.extend(samples.iter().filter_map(Value::as_f64));
        }
    }
    let cpu_after = cpu_seconds(pid, clk_tck)?;
    let elapsed = wall.elapsed().as_secs_f64();
    drop(procs);
    server.stop().ok();

    row.server_cpu_seconds = cpu_after - cpu_before;
    row.server_cpu_percent = 100.0 * row.server_cpu_seconds / elapsed.max(1e-9);
    row.acks_per_second = row.answered as f64 / level.seconds as f64;
    latencies.sort_by(f64::total_cmp);
    row.p50 = percentile(&latencies, 50.0);
    row.p90 = percentile(&latencies, 90.0);
    row.p99 = percentile(&latencies, 99.0);
    row.max = latencies.last().copied().unwrap_or(0.0);
    Ok(row)
}

fn num(value: &Value, key: &str) -> f64 {
    value[key].as_f64().unwrap_or(0.0)
}

/// The `p`th percentile of sorted samples (nearest rank); 0 without samples.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64) as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// The progress line of one measurement.
fn summary(row: &Row, level: &Level) -> String {
    let mut s = format!(
        "connected {}/{} in {:.1} s · {:.1} KB/conn",
        row.connected, level.conns, row.connect_seconds, row.rss_per_conn_kb
    );
    if level.rate > 0 {
        let _ = write!(
            s,
            " · {:.0} acks/s · p99 {:.2} ms · {} timeouts · {} wrong · server {:.0} % CPU · generators {}× max {:.0} % CPU",
            row.acks_per_second,
            row.p99,
            row.timeouts,
            row.wrong,
            row.server_cpu_percent,
            row.generators,
            row.generator_cpu_percent
        );
    } else {
        let _ = write!(
            s,
            " · {} held · server {:.1} % CPU idle",
            row.held, row.server_cpu_percent
        );
    }
    s
}

/// The row of `server` at level `l`.
fn find<'a>(rows: &'a [Row], server: &str, l: usize) -> Option<&'a Row> {
    rows.iter().find(|r| r.server == server && r.level == l)
}

/// The markdown tables: one per level of load, the ratios to the floor, the idle level.
fn tables(rows: &[Row], levels: &[Level]) -> String {
    let mut out = String::new();
    let servers: Vec<&str> = SERVERS
        .into_iter()
        .filter(|s| rows.iter().any(|r| r.server == *s))
        .collect();
    let loaded: Vec<usize> = (0..levels.len()).filter(|l| levels[*l].rate > 0).collect();
    let idle: Vec<usize> = (0..levels.len()).filter(|l| levels[*l].rate == 0).collect();

    let _ = writeln!(
        out,
        "| level | server | connect (all) | connect p99 | acks/s | ack p50 | p90 | p99 | max | timeouts | wrong | server CPU s / 1k acks | server CPU | KB / conn | generators (max CPU) |"
    );
    let _ = writeln!(
        out,
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for &l in &loaded {
        for server in &servers {
            let Some(r) = find(rows, server, l) else {
                continue;
            };
            let _ = writeln!(
                out,
                "| {} | {} | {:.2} s | {:.0} ms | {:.0} | {:.2} ms | {:.2} ms | {:.2} ms | {:.1} ms | {} | {} | {} | {:.0} % | {:.1} | {} ({:.0} %) |",
                levels[l].label,
                server,
                r.connect_seconds,
                r.connect_p99_ms,
                r.acks_per_second,
                r.p50,
                r.p90,
                r.p99,
                r.max,
                r.timeouts,
                r.wrong,
                r.cpu_per_1k().map_or("–".into(), |c| format!("{c:.3}")),
                r.server_cpu_percent,
                r.rss_per_conn_kb,
                r.generators,
                r.generator_cpu_percent
            );
        }
    }
    if servers.contains(&"floor") && !loaded.is_empty() {
        let _ = writeln!(out);
        let mut header = String::from("| × the floor |");
        let mut rule = String::from("| --- |");
        for &l in &loaded {
            let _ = write!(
                header,
                " CPU/ack {} | p99 {} |",
                levels[l].label, levels[l].label
            );
            rule.push_str(" ---: | ---: |");
        }
        header.push_str(" KB/conn (first level) |");
        rule.push_str(" ---: |");
        let _ = writeln!(out, "{header}\n{rule}");
        for server in servers.iter().filter(|s| **s != "floor") {
            let mut line = format!("| {server} |");
            for &l in &loaded {
                let (Some(r), Some(f)) = (find(rows, server, l), find(rows, "floor", l)) else {
                    line.push_str(" – | – |");
                    continue;
                };
                let cpu = match (r.cpu_per_1k(), f.cpu_per_1k()) {
                    (Some(a), Some(b)) if b > 0.0 => format!("{:.2}×", a / b),
                    _ => "–".into(),
                };
                let p99 = if f.p99 > 0.0 {
                    format!("{:.2}×", r.p99 / f.p99)
                } else {
                    "–".into()
                };
                let _ = write!(line, " {cpu} | {p99} |");
            }
            let first = loaded[0];
            let kb = match (find(rows, server, first), find(rows, "floor", first)) {
                (Some(r), Some(f)) if f.rss_per_conn_kb > 0.0 => {
                    format!("{:.2}×", r.rss_per_conn_kb / f.rss_per_conn_kb)
                }
                _ => "–".into(),
            };
            let _ = writeln!(line, " {kb} |");
            out.push_str(&line);
        }
    }
    if !idle.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "| idle level | server | connected | connect (all) | connect p99 | held at the end | KB / conn | server CPU while idle |"
        );
        let _ = writeln!(
            out,
            "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
        );
        for &l in &idle {
            for server in &servers {
                let Some(r) = find(rows, server, l) else {
                    continue;
                };
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {:.2} s | {:.0} ms | {} | {:.1} | {:.1} % |",
                    levels[l].label,
                    server,
                    r.connected,
                    r.connect_seconds,
                    r.connect_p99_ms,
                    r.held,
                    r.rss_per_conn_kb,
                    r.server_cpu_percent
                );
            }
        }
    }
    out
}

/// Whether every server answered, rightly, on every connection (the smoke run's verdict; the full run
/// reports the same failures but they are numbers, not a verdict on the code).
fn check(rows: &[Row], levels: &[Level]) -> bool {
    let mut ok = true;
    for r in rows {
        let level = &levels[r.level];
        let mut fail = |what: String| {
            println!("FAIL {} at {}: {what}", r.server, level.label);
            ok = false;
        };
        if r.connect_failed > 0 || r.connected < level.conns {
            fail(format!(
                "{} of {} sockets connected",
                r.connected, level.conns
            ));
        }
        if r.wrong > 0 {
            fail(format!(
                "{} wrong answers, e.g. {}",
                r.wrong,
                r.first_wrong.as_deref().unwrap_or("?")
            ));
        }
        if level.rate > 0 && r.answered == 0 {
            fail("no answer at all".into());
        }
        if r.timeouts > 0 {
            fail(format!("{} acks timed out", r.timeouts));
        }
        if level.rate == 0 && r.held < r.connected {
            fail(format!("{} of {} idle sockets held", r.held, r.connected));
        }
    }
    ok
}

/// Markers of this section in `docs/benchmarks.md`.
const START: &str = "<!-- bench-load:start -->";
const END: &str = "<!-- bench-load:end -->";

/// Writes the section of `docs/benchmarks.md` and the plots of `docs/benchmarks/`.
fn write_docs(
    repo: &Path,
    rows: &[Row],
    levels: &[Level],
    tables: &str,
    args: &BenchLoadArgs,
) -> anyhow::Result<()> {
    let plots = repo.join("docs/benchmarks");
    std::fs::create_dir_all(&plots)?;
    crate::bench_plots::p99(&plots.join("load-p99.svg"), rows, levels)?;
    crate::bench_plots::cpu(&plots.join("load-cpu-per-1k-acks.svg"), rows, levels)?;

    let mut section = String::new();
    let _ = writeln!(section, "{START}");
    let _ = writeln!(
        section,
        "## Load: the generated server beside hand-written ones\n"
    );
    let _ = writeln!(
        section,
        "`cargo xtask bench-load` (`--smoke` in CI: tiny levels, debug builds). One contract, `bench/orders.yaml` \
         (`/orders`, `place-order` acknowledged with `{{clientOrderId, status: \"accepted\"}}`, one payload in ten \
         invalid and answered with the `validation_failed` error envelope), four servers of `bench/`:\n"
    );
    section.push_str(
        "- **generated**: the server fastsocket-gen generates for it, handler `bench/generated/handlers.rs` (only \
         acknowledges), release build, default configuration (INFO log line per event to stderr, as shipped; \
         metrics on), connection caps raised to 20,000;\n\
         - **floor**: hand-written socketioxide + axum (`bench/floor`): serde structs, hand validation, no logging, \
         release build;\n\
         - **node**: socket.io + Ajv (`bench/node/server.mjs`);\n\
         - **python**: python-socketio + FastAPI + Pydantic 2 on uvicorn (`bench/python/server.py`).\n\n",
    );
    section.push_str(
        "Each server runs fresh for each level. The load generator is socket.io-client over WebSocket \
         (`bench/node/load.mjs`), split over Node processes (one per 3,000 msg/s and per 5,000 sockets; the \
         `generators` column gives their number and the busiest one's CPU). Ack latency is measured in the \
         generator, from emit to ack; server CPU is `utime + stime` of `/proc/PID/stat` over the load phase only \
         (connecting excluded), per 1,000 acks; memory per connection is `VmRSS` once every socket is connected, \
         minus before. Everything runs on one machine over loopback: the generators compete with the server for \
         the same cores, so latency columns include the generators' scheduling, and the CPU-per-ack columns are \
         the numbers to compare.\n\n",
    );
    let _ = writeln!(
        section,
        "Run: `cargo xtask bench-load` ({} s per level).\n",
        args.seconds
    );
    let _ = writeln!(section, "{}\n", machine(repo));
    section.push_str(tables);
    section.push('\n');
    section.push_str(
        "![ack p99 per level](benchmarks/load-p99.svg)\n\n\
         ![server CPU seconds per 1,000 acks](benchmarks/load-cpu-per-1k-acks.svg)\n",
    );
    let _ = writeln!(section, "{END}");

    let doc_path = repo.join("docs/benchmarks.md");
    let doc = std::fs::read_to_string(&doc_path).unwrap_or_else(|_| "# Benchmarks\n".into());
    let updated = match (doc.find(START), doc.find(END)) {
        (Some(a), Some(b)) if a < b => {
            let after = &doc[b + END.len()..];
            format!("{}{}{}", &doc[..a], section.trim_end(), after)
        }
        _ => format!(
            "{}\n{}",
            doc.trim_end_matches('\n').to_owned() + "\n",
            section
        ),
    };
    std::fs::write(&doc_path, updated)?;
    println!(
        "wrote {} and docs/benchmarks/load-*.svg",
        doc_path.display()
    );
    Ok(())
}

/// The machine and the versions, one paragraph.
fn machine(repo: &Path) -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "?".into());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let output = |program: &str, args: &[&str]| {
        Command::new(program)
            .args(args)
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_else(|| "?".into())
    };
    let package = |name: &str| {
        let path = repo
            .join("bench/node/node_modules")
            .join(name)
            .join("package.json");
        std::fs::read_to_string(path)
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
            .and_then(|v| v["version"].as_str().map(str::to_owned))
            .unwrap_or_else(|| "?".into())
    };
    let requirements =
        std::fs::read_to_string(repo.join("bench/python/requirements.txt")).unwrap_or_default();
    let pinned = |name: &str| {
        requirements
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}==")))
            .unwrap_or("?")
            .to_owned()
    };
    format!(
        "Measured {} on {cpu}, {cores} cores, Linux {}, shared with other work (the ratios are the robust \
         numbers). {}; Node {} (socket.io {}, socket.io-client {}, Ajv {}); {} (python-socketio {}, FastAPI {}, \
         Pydantic {}, uvicorn {}).",
        output("date", &["-u", "+%Y-%m-%d"]),
        output("uname", &["-r"]),
        output("rustc", &["--version"]),
        output("node", &["--version"]),
        package("socket.io"),
        package("socket.io-client"),
        package("ajv"),
        output("python3", &["--version"]),
        pinned("python-socketio"),
        pinned("fastapi"),
        pinned("pydantic"),
        pinned("uvicorn"),
    )
}
