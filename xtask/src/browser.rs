//! `cargo xtask browser`: the full stack in a real browser. Builds the checked-in chat client
//! (`examples/chat/client`, `vite build`) and chat server (`examples/chat/server`), serves the client from the
//! server (`serve --static`), and drives several pages in Debian's Chromium with playwright-core
//! (`tests/browser/chat.mjs`): two users chat in a room (author, time, typing indicator), the composer refuses
//! invalid messages without sending, history pages back to the beginning, rooms are joined and left, an operator
//! kicks a user; a page goes offline, its messages wait (shown pending) and arrive once each, in order, when it
//! is back, also across a reload (delivery across reconnects, `docs/delivery.md`), while what others sent meanwhile
//! is replayed; the generated dashboard at `/dashboard` sends with its forms and shows its feeds, and `/admin`
//! refuses a page without a token; the live monitor at `/monitor` refuses a wrong token and its charts move under
//! chat traffic (`FASTSOCKET_MONITOR_TOKENS` set); axe-core finds no serious or critical violations (light and
//! dark) and nothing scrolls sideways at 390 px. Screenshots of the design (light, dark, 390 px; the monitor light
//! and dark; the chat offline) go to `target/browser-artifacts/screenshots/`, screenshots of failed cases to
//! `target/browser-artifacts/`.

use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::bail;
use clap::Args;

use crate::e2e::{self, Server, Tally};
use crate::examples::{CHAT_CLIENT, CHAT_SERVER};

/// The operator token the server accepts for `/admin`.
const TOKEN: &str = "browser-operator-token-3f9a";
/// The token the server accepts for its live monitor (`/_monitor`, the page `/monitor`).
const MONITOR_TOKEN: &str = "browser-monitor-token-7c21";
/// How long the server may take to answer `/healthz`.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// Debian's Chromium, unless `CHROMIUM` names another.
const DEFAULT_CHROMIUM: &str = "/usr/bin/chromium";

/// Arguments of `cargo xtask browser`.
#[derive(Debug, Args)]
pub struct BrowserArgs {}

/// Runs the browser suite. `Ok(true)` when every case passed.
pub fn run(_args: &BrowserArgs) -> anyhow::Result<bool> {
    let started = Instant::now();
    let repo = e2e::repo()?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo.join("target"));
    let work = repo.join("target/browser");
    fs::create_dir_all(&work)?;
    let artifacts = repo.join("target/browser-artifacts");
    let _ = fs::remove_dir_all(&artifacts);
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| DEFAULT_CHROMIUM.to_owned());
    if !Path::new(&chromium).exists() {
        bail!(
            "no browser at {chromium}: install Debian's chromium (`apt-get install chromium`) or set CHROMIUM"
        );
    }
    let mut tally = Tally::default();

    println!("== build {} (vite build)", CHAT_CLIENT.dir);
    let client = repo.join(CHAT_CLIENT.dir);
    let node_modules = crate::vue::toolchain(&repo)?;
    crate::vue::link(&node_modules, &client.join("node_modules"))?;
    let built = crate::vue::npx(&client, "vite", &["build", "--logLevel", "error"]);
    tally.check(
        "client: vite build",
        built.map_err(|output| anyhow::anyhow!("{output}")),
    );
    let dist = client.join("dist");

    println!("== build {}", CHAT_SERVER.dir);
    let server_dir = repo.join(CHAT_SERVER.dir);
    let binary = e2e::build(&server_dir, &target, "fastsocket-chat")?;
    let browser_dir = repo.join("tests/browser");
    e2e::npm_ci(&browser_dir)?;

    println!("== serve");
    let port = e2e::free_port()?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let log_path = work.join("server.log");
    let server = Server::start(
        &binary,
        &server_dir,
        &[
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--static",
            &dist.to_string_lossy(),
        ],
        &[
            ("FASTSOCKET_AUTH_TOKENS", TOKEN.to_owned()),
            ("FASTSOCKET_MONITOR_TOKENS", MONITOR_TOKEN.to_owned()),
        ],
        &log_path,
    )?;
    tally.check(
        "server: GET /healthz answers 200",
        server.wait_healthy(addr, START_TIMEOUT),
    );
    if tally.failed == 0 {
        println!("== browser (tests/browser/chat.mjs, {chromium})");
        let env: Vec<(String, String)> = [
            ("BROWSER_URL", format!("http://{addr}")),
            ("BROWSER_TOKEN", TOKEN.to_owned()),
            ("BROWSER_MONITOR_TOKEN", MONITOR_TOKEN.to_owned()),
            (
                "BROWSER_ARTIFACTS",
                artifacts.to_string_lossy().into_owned(),
            ),
            ("CHROMIUM", chromium),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let mut command = Command::new("node");
        command.arg("chat.mjs").current_dir(&browser_dir);
        e2e::run_suite("browser", command, &env, &mut tally);
    }

    Ok(e2e::stop_and_finish(
        "browser",
        server,
        &log_path,
        started,
        "server log: target/browser/server.log, screenshots: target/browser-artifacts/screenshots/, of failures: target/browser-artifacts/",
        &mut tally,
    ))
}
