//! `cargo xtask chat-interop`: the checked-in chat server (`examples/chat/server`), built and started, driven by
//! three real Socket.IO clients.
//!
//! 1. Builds the server (the shared target folder: `CARGO_TARGET_DIR`, else `target/`) and starts
//!    `fastsocket-chat serve --port P --static SITE` with an operator token and API key, SITE being a stand-in
//!    for a built client (`target/chat-interop/site/`); waits for `GET /healthz` and checks what `--static`
//!    serves.
//! 2. Runs, each printing one line per case:
//!    - `tests/e2e/node/chat.mjs` with socket.io-client 4.8.4 over websocket and polling;
//!    - `tests/e2e/python/chat.py` with python-socketio 5 (the venv of `cargo xtask e2e`);
//!    - `examples/chat/server/tests/interop.rs` with rust_socketio (`cargo test --test interop`, against the
//!      same server through `CHAT_URL`).
//! 3. Stops the server (SIGTERM, it must exit 0), checks its log for panics, prints every case and a closing
//!    `N passed, N failed`.
//!
//! The server's log goes to `target/chat-interop/server.log`. Traffic stays on 127.0.0.1.

use std::fs;
use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, ensure};
use clap::Args;

use crate::e2e::{self, Server, Tally};
use crate::examples::CHAT_SERVER;

/// The operator's bearer token (`auth.token`).
const TOKEN: &str = "chat-interop-token-5d1e";
/// The operator's API key (`?api_key=`).
const KEY: &str = "chat-interop-key-8b07";
/// How long the server may take to answer `/healthz` once started.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// The stand-in client's page and hashed asset.
const INDEX: &str = "<!doctype html><title>chat</title><div id=app></div>";
const ASSET: &str = "/assets/index-c0ffee12.js";

/// Arguments of `cargo xtask chat-interop`.
#[derive(Debug, Args)]
pub struct ChatInteropArgs {
    /// Which clients drive the server.
    #[arg(long, value_enum, default_value_t = Clients::All)]
    clients: Clients,
}

/// The client suites to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Clients {
    /// socket.io-client, python-socketio and rust_socketio.
    All,
    /// socket.io-client only.
    Node,
    /// python-socketio only.
    Python,
    /// rust_socketio only.
    Rust,
}

/// Runs the interop suite. `Ok(true)` when every case passed.
pub fn run(args: &ChatInteropArgs) -> anyhow::Result<bool> {
    let started = Instant::now();
    let repo = e2e::repo()?;
    let work = repo.join("target/chat-interop");
    let crate_dir = repo.join(CHAT_SERVER.dir);
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo.join("target"));
    let mut tally = Tally::default();
    let wants = |c: Clients| args.clients == Clients::All || args.clients == c;

    println!("== build {}", CHAT_SERVER.dir);
    let binary = e2e::build(&crate_dir, &target, "fastsocket-chat")?;
    let node_ready = wants(Clients::Node).then(|| e2e::prepare_node(&repo));
    let python =
        wants(Clients::Python).then(|| e2e::prepare_python(&repo, &repo.join("target/e2e")));
    let site = stand_in_client(&work)?;

    println!("== serve");
    let port = e2e::free_port()?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let log_path = work.join("server.log");
    let server = Server::start(
        &binary,
        &crate_dir,
        &[
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--static",
            &site.to_string_lossy(),
        ],
        &[("FASTSOCKET_AUTH_TOKENS", format!("{TOKEN},{KEY}"))],
        &log_path,
    )?;
    tally.check(
        "server: GET /healthz answers 200",
        server.wait_healthy(addr, START_TIMEOUT),
    );

    if tally.failed == 0 {
        tally.check(
            "server: serve --static serves the client",
            check_static(addr),
        );
        let env: Vec<(String, String)> = [
            ("CHAT_URL", format!("http://{addr}")),
            ("CHAT_TOKEN", TOKEN.to_owned()),
            ("CHAT_KEY", KEY.to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        if let Some(ready) = node_ready {
            e2e::run_client_suite(&repo, "node", ready, "chat.mjs", &env, &mut tally);
        }
        if let Some(ready) = python {
            e2e::run_client_suite(&repo, "python", ready, "chat.py", &env, &mut tally);
        }
        if wants(Clients::Rust) {
            println!(
                "== rust: rust_socketio ({}/tests/interop.rs)",
                CHAT_SERVER.dir
            );
            run_rust_suite(&crate_dir, &target, &env, &mut tally);
        }
    }

    Ok(e2e::stop_and_finish(
        "chat-interop",
        server,
        &log_path,
        started,
        "server log: target/chat-interop/server.log",
        &mut tally,
    ))
}

/// A folder shaped like a Vite build (`index.html`, a content-hashed asset), standing in for the generated Vue
/// client until `examples/chat/client` exists.
fn stand_in_client(work: &Path) -> anyhow::Result<PathBuf> {
    let site = work.join("site");
    fs::create_dir_all(site.join("assets")).context("creating the stand-in client")?;
    fs::write(site.join("index.html"), INDEX)?;
    fs::write(site.join(ASSET.trim_start_matches('/')), "export {}")?;
    Ok(site)
}

/// What `--static` must give: the page for `/` and client routes (revalidated), the asset (immutable), and the
/// API routes untouched.
fn check_static(addr: SocketAddr) -> anyhow::Result<()> {
    let get = |path: &str| -> anyhow::Result<(String, String)> {
        let response = e2e::http_get(addr, path).with_context(|| format!("GET {path}"))?;
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        Ok((head.to_ascii_lowercase(), body.to_owned()))
    };
    for path in ["/", "/rooms/general"] {
        let (head, body) = get(path)?;
        ensure!(head.starts_with("http/1.1 200"), "GET {path}: {head}");
        ensure!(body == INDEX, "GET {path} is not index.html: {body}");
        ensure!(
            head.contains("cache-control: no-cache"),
            "GET {path}: {head}"
        );
    }
    let (head, _) = get(ASSET)?;
    ensure!(
        head.contains("cache-control: public, max-age=31536000, immutable"),
        "GET {ASSET}: {head}"
    );
    let (head, body) = get("/healthz")?;
    ensure!(
        head.starts_with("http/1.1 200") && body.contains("ok"),
        "GET /healthz: {head}"
    );
    Ok(())
}

/// `cargo test --test interop` of the chat crate against the running server: each `test NAME ... ok|FAILED`
/// line becomes a case.
fn run_rust_suite(crate_dir: &Path, target: &Path, env: &[(String, String)], tally: &mut Tally) {
    let mut command = Command::new(e2e::cargo());
    command
        .args(["test", "--quiet", "--test", "interop", "--manifest-path"])
        .arg(crate_dir.join("Cargo.toml"))
        .args(["--", "--format", "pretty"])
        .env("CARGO_TARGET_DIR", target)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(error) => return tally.fail("rust", format!("cannot start cargo test: {error}")),
    };
    let stdout = child.stdout.take().expect("piped");
    let (mut passed, mut failed) = (0, 0);
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        match parse_test_line(&line) {
            Some((name, true)) => {
                passed += 1;
                tally.ok(&format!("rust {name}"));
            }
            Some((name, false)) => {
                failed += 1;
                tally.fail(&format!("rust {name}"), "see its panic above");
            }
            None if !line.trim().is_empty() => println!("  rust| {line}"),
            None => {}
        }
    }
    match child.wait() {
        Ok(status) if status.success() == (failed == 0) && passed + failed > 0 => {}
        Ok(status) => tally.fail(
            "rust",
            format!("cargo test exited {status} after {passed} ok, {failed} failed"),
        ),
        Err(error) => tally.fail("rust", format!("cannot wait for cargo test: {error}")),
    }
}

/// `test NAME ... ok` → `(NAME, true)`, `test NAME ... FAILED` → `(NAME, false)`.
fn parse_test_line(line: &str) -> Option<(&str, bool)> {
    let rest = line.strip_prefix("test ")?;
    let (name, verdict) = rest.rsplit_once(" ... ")?;
    match verdict.trim() {
        "ok" => Some((name, true)),
        "FAILED" => Some((name, false)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_lines() {
        assert_eq!(parse_test_line("test rooms ... ok"), Some(("rooms", true)));
        assert_eq!(
            parse_test_line("test a::b ... FAILED"),
            Some(("a::b", false))
        );
        assert_eq!(parse_test_line("test rooms ... ignored"), None);
        assert_eq!(parse_test_line("test result: ok. 5 passed"), None);
    }
}
