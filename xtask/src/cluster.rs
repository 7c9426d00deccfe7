//! `cargo xtask cluster`: the scale-out test; `cargo xtask bench-cluster`: the scale-out benchmark.
//!
//! The test: Three processes of the arena server (the one `cargo xtask e2e`
//! generates and builds, same handlers) share a real `redis-server`; `tests/e2e/node/cluster.mjs` starts them
//! (Redis on a free loopback port with its own folder under `target/cluster/`), drives socket.io-client
//! sockets on each, kills and restarts processes as its cases say, and stops everything at its end.
//!
//! Needs node/npm and `redis-server` (Debian package `redis-server`, Redis ≥ 7; `.ci/run` installs it). Prints
//! one line per case and `N passed, N failed`; the processes' logs are in `target/cluster/*.log`.
//!
//! The benchmark (`tests/e2e/node/bench-cluster.mjs`, same server and processes, logs in
//! `target/bench-cluster/`): broadcast latency p50/p99 and throughput on one node (in-process adapter, Redis
//! adapter) and across two nodes on Redis, printed as a table (`--smoke`: a few messages, to check it runs).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::Context as _;
use clap::Args;

use crate::e2e::{self, Tally};

/// Arguments of `cargo xtask cluster`.
#[derive(Debug, Args)]
pub struct ClusterArgs {
    /// The redis-server program (default: `redis-server` on the PATH).
    #[arg(long, default_value = "redis-server")]
    redis_server: String,
}

/// Arguments of `cargo xtask bench-cluster`.
#[derive(Debug, Args)]
pub struct BenchClusterArgs {
    /// The redis-server program (default: `redis-server` on the PATH).
    #[arg(long, default_value = "redis-server")]
    redis_server: String,
    /// A few messages only: checks that the benchmark runs (its numbers mean nothing).
    #[arg(long)]
    smoke: bool,
}

/// The environment of the Node scripts, and the Node interpreter (or why it cannot run).
type Prepared = (Vec<(String, String)>, anyhow::Result<PathBuf>);

/// What the Node scripts are given (see `tests/e2e/node/processes.mjs`), once the server is built and the
/// client installed; `work` is emptied first (fresh logs, a fresh Redis folder).
fn prepare(repo: &Path, redis_server: &str, work: &Path) -> anyhow::Result<Prepared> {
    let _ = fs::remove_dir_all(work);
    fs::create_dir_all(work)?;
    let version = Command::new(redis_server)
        .arg("--version")
        .output()
        .with_context(|| {
            format!("{redis_server} is not installed (Debian: apt-get install redis-server)")
        })?;
    println!("== {}", String::from_utf8_lossy(&version.stdout).trim());

    println!("== generate and build the arena server (as cargo xtask e2e)");
    let crate_dir = repo.join("target/e2e/arena");
    e2e::generate_with(
        repo,
        "specs/arena-socketio-v2.yaml",
        &repo.join("tests/e2e/arena/handlers.rs"),
        &crate_dir,
    )?;
    let binary = e2e::build(&crate_dir, &repo.join("target/e2e-target"), "arena")?;
    let node = e2e::prepare_node(repo);
    let env = [
        ("E2E_BINARY", binary.to_string_lossy().into_owned()),
        ("E2E_CRATE_DIR", crate_dir.to_string_lossy().into_owned()),
        ("E2E_REDIS_SERVER", redis_server.to_owned()),
        ("E2E_WORK", work.to_string_lossy().into_owned()),
    ]
    .map(|(k, v)| (k.to_owned(), v))
    .to_vec();
    Ok((env, node))
}

/// Runs the scale-out test. `Ok(true)` when every case passed.
pub fn run(args: &ClusterArgs) -> anyhow::Result<bool> {
    let started = Instant::now();
    let repo = e2e::repo()?;
    let work = repo.join("target/cluster");
    let (env, node) = prepare(&repo, &args.redis_server, &work)?;
    let mut tally = Tally::default();
    e2e::run_client_suite(&repo, "node", node, "cluster.mjs", &env, &mut tally);
    for name in ["a", "b", "c", "d", "e"] {
        tally.check(
            &format!("node {name}: no panic in its log"),
            e2e::check_log(&work.join(format!("{name}.log")), None),
        );
    }
    println!(
        "cluster took {:.1} s (logs: target/cluster/*.log)",
        started.elapsed().as_secs_f64()
    );
    println!("{} passed, {} failed", tally.passed, tally.failed);
    Ok(tally.failed == 0)
}

/// Runs the benchmark; `Ok(true)` when it ran to its table.
pub fn bench(args: &BenchClusterArgs) -> anyhow::Result<bool> {
    let repo = e2e::repo()?;
    let work = repo.join("target/bench-cluster");
    let (env, node) = prepare(&repo, &args.redis_server, &work)?;
    println!("== node tests/e2e/node/bench-cluster.mjs");
    let status = Command::new(node?)
        .arg("bench-cluster.mjs")
        .current_dir(repo.join("tests/e2e/node"))
        .envs(env)
        .env("E2E_BENCH_SMOKE", if args.smoke { "1" } else { "0" })
        .status()
        .context("running node")?;
    Ok(status.success())
}
