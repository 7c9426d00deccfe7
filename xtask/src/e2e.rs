//! `cargo xtask e2e`: the generated server, built, started and driven by real Socket.IO clients.
//!
//! 1. Copies the test's handlers (`tests/e2e/arena/handlers.rs`) to `target/e2e/arena/src/handlers.rs`, then
//!    generates the server for `specs/arena-socketio-v2.yaml` there with `fastsocket-gen rust` (which keeps
//!    that file: user files are never overwritten; checked).
//! 2. Builds it (`target/e2e-target/`, its own target folder: the crate is a workspace of its own) and starts
//!    `arena serve --host 127.0.0.1 --port P` with a free port, known credentials and a small message limit;
//!    waits for `GET /healthz`.
//! 3. Runs the suites, each printing one line per case and `N passed, N failed`:
//!    - `tests/e2e/node/suite.mjs` with socket.io-client 4.8.4 (`npm ci` from its lock file);
//!    - `tests/e2e/python/suite.py` with python-socketio 5 (installed from `requirements.txt` into the venv
//!      `target/e2e/venv/`).
//! 4. Stops the server (SIGTERM, and a kill if it lingers; also when anything above fails or panics), checks
//!    that it stopped cleanly, prints every case and a closing `N passed, N failed` over all of them.
//!
//! The server's log goes to `target/e2e/server.log`. Traffic stays on 127.0.0.1.

use std::fs;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use clap::Args;

/// The spec the server is generated from.
const SPEC: &str = "specs/arena-socketio-v2.yaml";
/// The bearer token the server accepts (`auth.token`, `Authorization: Bearer`).
const TOKEN: &str = "e2e-token-7f3a";
/// The operator key the server accepts (`?admin_key=`, `x-operator-key`).
const KEY: &str = "e2e-key-91c2";
/// `FASTSOCKET_MAX_MESSAGE_BYTES`: small, so that the oversize case stays small too.
const MAX_MESSAGE_BYTES: usize = 4096;
/// `FASTSOCKET_MAX_DYNAMIC_NAMESPACES`: small, so that refused connects leaking namespaces would show (the
/// suites connect to a handful of tables).
const MAX_DYNAMIC_NAMESPACES: usize = 64;
/// How long the server may take to answer `/healthz` once started.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long one whole suite may take (each case has its own 10 s bound inside).
const SUITE_TIMEOUT: Duration = Duration::from_secs(300);
/// How long the server may take to stop after SIGTERM.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// Arguments of `cargo xtask e2e`.
#[derive(Debug, Args)]
pub struct E2eArgs {
    /// Which clients drive the server.
    #[arg(long, value_enum, default_value_t = Clients::All)]
    clients: Clients,
}

/// The client suites to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Clients {
    /// Node's socket.io-client and python-socketio.
    All,
    /// socket.io-client only.
    Node,
    /// python-socketio only.
    Python,
}

/// The cases: one line each, and the tally.
#[derive(Default)]
pub(crate) struct Tally {
    pub(crate) passed: usize,
    pub(crate) failed: usize,
}

impl Tally {
    pub(crate) fn ok(&mut self, name: &str) {
        self.passed += 1;
        println!("ok {name}");
    }

    pub(crate) fn fail(&mut self, name: &str, detail: impl std::fmt::Display) {
        self.failed += 1;
        let detail = detail
            .to_string()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        println!("FAIL {name}: {detail}");
    }

    pub(crate) fn check(&mut self, name: &str, outcome: anyhow::Result<()>) {
        match outcome {
            Ok(()) => self.ok(name),
            Err(error) => self.fail(name, format!("{error:#}")),
        }
    }
}

/// Runs the end-to-end test. `Ok(true)` when every case passed.
pub fn run(args: &E2eArgs) -> anyhow::Result<bool> {
    let started = Instant::now();
    let repo = repo()?;
    let work = repo.join("target/e2e");
    let crate_dir = work.join("arena");
    let mut tally = Tally::default();

    println!("== generate {SPEC} into target/e2e/arena");
    tally.check(
        "generator: keeps the user's src/handlers.rs",
        generate(&repo, &crate_dir),
    );
    if tally.failed > 0 {
        return Ok(finish(&tally, started));
    }

    println!("== build");
    let target = repo.join("target/e2e-target");
    let binary = build(&crate_dir, &target, "arena")?;

    // Each client's tools are made ready before the server starts, so that it is not left waiting.
    let node = matches!(args.clients, Clients::All | Clients::Node);
    let python = matches!(args.clients, Clients::All | Clients::Python);
    let node_ready = node.then(|| prepare_node(&repo));
    let python = python.then(|| prepare_python(&repo, &work));

    println!("== serve");
    let port = free_port()?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let log_path = work.join("server.log");
    let server = Server::start(
        &binary,
        &crate_dir,
        &["serve", "--host", "127.0.0.1", "--port", &port.to_string()],
        &[
            ("FASTSOCKET_AUTH_TOKENS", format!("{TOKEN},{KEY}")),
            (
                "FASTSOCKET_MAX_MESSAGE_BYTES",
                MAX_MESSAGE_BYTES.to_string(),
            ),
            (
                "FASTSOCKET_MAX_DYNAMIC_NAMESPACES",
                MAX_DYNAMIC_NAMESPACES.to_string(),
            ),
        ],
        &log_path,
    )?;
    tally.check(
        "server: GET /healthz answers 200",
        server.wait_healthy(addr, START_TIMEOUT),
    );

    if tally.failed == 0 {
        let url = format!("http://{addr}");
        let spec_json = crate_dir.join("src/generated/asyncapi.json");
        let pid = server.pid().map(|p| p.to_string()).unwrap_or_default();
        let env = [
            ("E2E_URL", url.as_str()),
            ("E2E_TOKEN", TOKEN),
            ("E2E_KEY", KEY),
            ("E2E_MAX_BYTES", &MAX_MESSAGE_BYTES.to_string()),
            (
                "E2E_MAX_DYNAMIC_NAMESPACES",
                &MAX_DYNAMIC_NAMESPACES.to_string(),
            ),
            ("E2E_SERVER_PID", &pid),
            ("E2E_SPEC_JSON", &spec_json.to_string_lossy()),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()));
        if let Some(ready) = node_ready {
            run_client_suite(&repo, "node", ready, "suite.mjs", &env, &mut tally);
        }
        if let Some(ready) = python {
            run_client_suite(&repo, "python", ready, "suite.py", &env, &mut tally);
        }
    }

    println!("== stop");
    stop_and_check_log(
        server,
        &log_path,
        Some("shout was asked to panic"),
        &mut tally,
    );
    if matches!(args.clients, Clients::All | Clients::Node) {
        crate::e2e_security::run(&repo, &work, &mut tally);
    }
    Ok(finish(&tally, started))
}

/// The repository's root folder.
pub(crate) fn repo() -> anyhow::Result<PathBuf> {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .context("the repository folder")
}

fn finish(tally: &Tally, started: Instant) -> bool {
    println!(
        "e2e took {:.1} s (server log: target/e2e/server.log)",
        started.elapsed().as_secs_f64()
    );
    println!("{} passed, {} failed", tally.passed, tally.failed);
    tally.failed == 0
}

/// Puts the test's handlers in place, then generates around them; checks that the generator kept them.
fn generate(repo: &Path, crate_dir: &Path) -> anyhow::Result<()> {
    generate_with(
        repo,
        SPEC,
        &repo.join("tests/e2e/arena/handlers.rs"),
        crate_dir,
    )
}

/// [`generate`] for any spec and handlers file.
pub(crate) fn generate_with(
    repo: &Path,
    spec: &str,
    handlers_file: &Path,
    crate_dir: &Path,
) -> anyhow::Result<()> {
    let ours =
        fs::read(handlers_file).with_context(|| format!("reading {}", handlers_file.display()))?;
    let handlers = crate_dir.join("src/handlers.rs");
    fs::create_dir_all(crate_dir.join("src"))?;
    // Written only when it differs, so that an unchanged test does not rebuild the server.
    if fs::read(&handlers).ok().as_deref() != Some(ours.as_slice()) {
        fs::write(&handlers, &ours)?;
    }
    // The generator keeps an existing Cargo.toml (a user file): one that names another runtime (written by a
    // generator of another checkout, see `--runtime-path` below) is removed so that it is written again.
    let runtime = repo.join("crates/fastsocket");
    let manifest = crate_dir.join("Cargo.toml");
    if let Ok(text) = fs::read_to_string(&manifest)
        && !text.contains(&format!("path = {:?}", runtime.to_string_lossy()))
    {
        fs::remove_file(&manifest)?;
    }
    // `--force`: `src/generated/` here is scratch, rewritten whatever an earlier generator left there (a file
    // whose hash header no longer matches, say after a change of the hash). It never touches user files.
    // `--runtime-path`: this checkout's runtime, said explicitly. The generator's default is the checkout it was
    // built from, and in a target folder shared by several checkouts the `fastsocket-gen` binary `cargo run`
    // starts may have just been rebuilt from another one.
    let status = Command::new(cargo())
        .args([
            "run",
            "--quiet",
            "--package",
            "fastsocket-gen",
            "--",
            "rust",
            "--force",
            spec,
            "--runtime-path",
        ])
        .arg(&runtime)
        .arg("-o")
        .arg(crate_dir)
        .current_dir(repo)
        .status()
        .context("running fastsocket-gen")?;
    ensure!(status.success(), "fastsocket-gen failed: {status}");
    ensure!(
        fs::read(&handlers)? == ours,
        "the generator overwrote src/handlers.rs"
    );
    // The project's lock file pins the versions the runtime was tested with (cargo drops what is not used).
    let lock = crate_dir.join("Cargo.lock");
    if !lock.exists() && repo.join("Cargo.lock").exists() {
        fs::copy(repo.join("Cargo.lock"), &lock)?;
    }
    Ok(())
}

/// `cargo build` of a server crate; the path of its binary `name`.
pub(crate) fn build(crate_dir: &Path, target: &Path, name: &str) -> anyhow::Result<PathBuf> {
    let status = Command::new(cargo())
        .args(["build", "--quiet", "--manifest-path"])
        .arg(crate_dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", target)
        // No debug info: a faster build and a smaller target folder; backtraces still name the functions.
        .env("CARGO_PROFILE_DEV_DEBUG", "0")
        .status()
        .context("running cargo build")?;
    ensure!(
        status.success(),
        "the generated server does not build: {status}"
    );
    let binary = target
        .join("debug")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    ensure!(binary.exists(), "no binary at {}", binary.display());
    Ok(binary)
}

/// The target folder cargo builds in: `CARGO_TARGET_DIR`, else the repository's `target/`.
pub(crate) fn target_dir(repo: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo.join("target"))
}

pub(crate) fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// `npm ci` when `node_modules` is missing or older than the lock file; the interpreter (`node`).
pub(crate) fn prepare_node(repo: &Path) -> anyhow::Result<PathBuf> {
    let dir = repo.join("tests/e2e/node");
    let version = Command::new("node")
        .arg("--version")
        .output()
        .context("node is not installed")?;
    ensure!(version.status.success(), "node --version failed");
    npm_ci(&dir)?;
    Ok(PathBuf::from("node"))
}

/// `npm ci` in `dir` unless its `node_modules` was installed from the current lock file. Browsers are never
/// downloaded (playwright-core drives Debian's Chromium).
pub(crate) fn npm_ci(dir: &Path) -> anyhow::Result<()> {
    let lock = dir.join("package-lock.json");
    let installed = dir.join("node_modules/.package-lock.json");
    if is_newer(&installed, &lock) {
        return Ok(());
    }
    let status = Command::new("npm")
        .args([
            "ci",
            "--no-audit",
            "--no-fund",
            "--prefer-offline",
            "--loglevel=error",
        ])
        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
        .current_dir(dir)
        .stdout(Stdio::null())
        .status()
        .context("running npm ci (is npm installed?)")?;
    ensure!(
        status.success(),
        "npm ci failed in {}: {status}",
        dir.display()
    );
    Ok(())
}

/// The venv's interpreter, with `requirements.txt` installed (again when it changed).
pub(crate) fn prepare_python(repo: &Path, work: &Path) -> anyhow::Result<PathBuf> {
    prepare_venv(
        &repo.join("tests/e2e/python/requirements.txt"),
        &work.join("venv"),
    )
}

/// The interpreter of the venv at `venv` (created when missing), with `requirements` installed from PyPI (again
/// when the file changed).
pub(crate) fn prepare_venv(requirements: &Path, venv: &Path) -> anyhow::Result<PathBuf> {
    let python = venv.join("bin/python");
    if !python.exists() {
        let status = Command::new("python3")
            .args(["-m", "venv"])
            .arg(venv)
            .status()
            .context("running python3 -m venv (is Python 3 installed?)")?;
        ensure!(status.success(), "python3 -m venv failed: {status}");
    }
    let wanted =
        fs::read(requirements).with_context(|| format!("reading {}", requirements.display()))?;
    let stamp = venv.join("installed-requirements.txt");
    if fs::read(&stamp).ok().as_deref() != Some(wanted.as_slice()) {
        let status = Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
            ])
            .arg(requirements)
            .status()
            .context("running pip install")?;
        ensure!(status.success(), "pip install failed: {status}");
        fs::write(&stamp, &wanted)?;
    }
    Ok(python)
}

fn is_newer(a: &Path, b: &Path) -> bool {
    let modified = |p: &Path| fs::metadata(p).and_then(|m| m.modified()).ok();
    matches!((modified(a), modified(b)), (Some(a), Some(b)) if a >= b)
}

/// A free port on 127.0.0.1 (the OS picks it; released just before the server binds it).
pub(crate) fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

/// The server process; stopped when dropped (an error or a panic on the way included).
pub(crate) struct Server {
    child: Option<Child>,
}

impl Server {
    /// Starts `binary ARGS` in `crate_dir` with the `FASTSOCKET_*` variables of `env` (and no others from this
    /// process), its output going to `log`.
    pub(crate) fn start(
        binary: &Path,
        crate_dir: &Path,
        args: &[&str],
        env: &[(&str, String)],
        log: &Path,
    ) -> anyhow::Result<Server> {
        let log = fs::File::create(log).context("creating the server log")?;
        let mut command = Command::new(binary);
        command
            .args(args)
            // The crate folder holds no `.env`: only what is set here counts.
            .current_dir(crate_dir)
            .env("FASTSOCKET_LOG_FORMAT", "text")
            .env("RUST_LOG", "info,socketioxide=warn,engineioxide=warn")
            // After the defaults: a caller may set `RUST_LOG` itself.
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env("NO_COLOR", "1")
            .env("RUST_BACKTRACE", "0")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        for (key, _) in std::env::vars() {
            if key.starts_with("FASTSOCKET_")
                && key != "FASTSOCKET_LOG_FORMAT"
                && !env.iter().any(|(k, _)| *k == key)
            {
                command.env_remove(&key);
            }
        }
        let child = command
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        Ok(Server { child: Some(child) })
    }

    /// `binary serve --host 127.0.0.1 --port P ARGS` on a free port P (see [`Server::start`]); the server and its
    /// address.
    pub(crate) fn serve_on_loopback(
        binary: &Path,
        crate_dir: &Path,
        args: &[&str],
        env: &[(&str, String)],
        log: &Path,
    ) -> anyhow::Result<(Server, SocketAddr)> {
        let port = free_port()?;
        let port_arg = port.to_string();
        let mut all = vec!["serve", "--host", "127.0.0.1", "--port", &port_arg];
        all.extend_from_slice(args);
        let server = Server::start(binary, crate_dir, &all, env, log)?;
        Ok((server, SocketAddr::from(([127, 0, 0, 1], port))))
    }

    /// The server's process id (while it runs).
    pub(crate) fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Polls `GET /healthz` until it answers 200, the server exits, or `timeout` passes.
    pub(crate) fn wait_healthy(&self, addr: SocketAddr, timeout: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + timeout;
        let mut last = String::from("no answer");
        while Instant::now() < deadline {
            match http_get(addr, "/healthz") {
                Ok(response) if response.starts_with("HTTP/1.1 200") => return Ok(()),
                Ok(response) => last = response.lines().next().unwrap_or_default().to_owned(),
                Err(error) => last = error.to_string(),
            }
            // Nothing to await from outside the process: poll, briefly.
            std::thread::sleep(Duration::from_millis(50));
        }
        bail!("no healthy answer within {timeout:?} ({last}); see the server log")
    }

    /// [`Server::stop`], which must end with exit status 0.
    pub(crate) fn stop_cleanly(self) -> anyhow::Result<()> {
        let status = self.stop()?;
        ensure!(status.success(), "exit status {status}");
        Ok(())
    }

    /// SIGTERM, then a kill after [`STOP_TIMEOUT`]; the exit status.
    pub(crate) fn stop(mut self) -> anyhow::Result<ExitStatus> {
        let mut child = self.child.take().context("already stopped")?;
        if let Some(status) = child.try_wait()? {
            bail!("the server had already exited: {status}");
        }
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if let Some(status) = child.try_wait()? {
                return Ok(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        bail!("still running {STOP_TIMEOUT:?} after SIGTERM: killed")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A minimal HTTP/1.1 GET on loopback: the whole response as text.
pub(crate) fn http_get(addr: SocketAddr, path: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    Ok(response)
}

/// Runs the suite `tests/e2e/CLIENT/SCRIPT` with the interpreter its preparation gave, or counts the failed
/// preparation.
pub(crate) fn run_client_suite(
    repo: &Path,
    client: &str,
    interpreter: anyhow::Result<PathBuf>,
    script: &str,
    env: &[(String, String)],
    tally: &mut Tally,
) {
    println!("== {client} (tests/e2e/{client}/{script})");
    match interpreter {
        Ok(program) => {
            let mut command = Command::new(program);
            command
                .arg(script)
                .current_dir(repo.join("tests/e2e").join(client));
            run_suite(client, command, env, tally);
        }
        Err(error) => tally.fail(client, format!("cannot install the client: {error:#}")),
    }
}

/// Runs one client suite: its case lines go to the tally (named `CLIENT NAME`), its summary is checked
/// against them.
pub(crate) fn run_suite(
    client: &str,
    mut command: Command,
    env: &[(String, String)],
    tally: &mut Tally,
) {
    command
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(error) => return tally.fail(client, format!("cannot start the suite: {error}")),
    };
    let stdout = child.stdout.take().expect("piped");
    let (lines_tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + SUITE_TIMEOUT;
    let (mut passed, mut failed) = (0, 0);
    let mut summary = None;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => {
                if let Some(name) = line.strip_prefix("ok ") {
                    passed += 1;
                    tally.ok(&format!("{client} {name}"));
                } else if let Some(rest) = line.strip_prefix("FAIL ") {
                    failed += 1;
                    let (name, detail) = rest.split_once(": ").unwrap_or((rest, ""));
                    tally.fail(&format!("{client} {name}"), detail);
                } else if let Some(counts) = parse_summary(&line) {
                    summary = Some(counts);
                } else {
                    println!("  {client}| {line}");
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let _ = child.kill();
                let _ = child.wait();
                return tally.fail(
                    client,
                    format!("the suite did not finish within {SUITE_TIMEOUT:?}"),
                );
            }
        }
    }
    let status = child.wait();
    println!("({client}: {passed} ok, {failed} failed)");
    match (status, summary) {
        (Ok(status), Some(counts)) if counts == (passed, failed) => {
            // The exit status must agree with the count.
            if status.success() != (failed == 0) {
                tally.fail(client, format!("exit status {status} with {failed} failed"));
            }
        }
        (Ok(status), Some(counts)) => tally.fail(
            client,
            format!("its summary {counts:?} disagrees with its case lines ({passed}, {failed}); exit status {status}"),
        ),
        (Ok(status), None) => tally.fail(client, format!("ended without a summary line: exit status {status}")),
        (Err(error), _) => tally.fail(client, format!("cannot wait for the suite: {error}")),
    }
}

/// `N passed, N failed`.
fn parse_summary(line: &str) -> Option<(usize, usize)> {
    let (passed, failed) = line.trim().split_once(", ")?;
    let passed = passed.strip_suffix(" passed")?.parse().ok()?;
    let failed = failed.strip_suffix(" failed")?.parse().ok()?;
    Some((passed, failed))
}

/// Starts `binary serve` on a free port of 127.0.0.1 (see [`Server::start`]); the server and its address.
pub(crate) fn serve_on_loopback(
    binary: &Path,
    crate_dir: &Path,
    env: &[(&str, String)],
    log: &Path,
) -> anyhow::Result<(Server, SocketAddr)> {
    let port = free_port()?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let args = ["serve", "--host", "127.0.0.1", "--port", &port.to_string()];
    Ok((Server::start(binary, crate_dir, &args, env, log)?, addr))
}

/// The end of a suite: stops the server and checks its log ([`stop_and_check_log`]), prints how long `task`
/// took (with `where_to_look`) and the tally; `true` when every check passed.
pub(crate) fn stop_and_finish(
    task: &str,
    server: Server,
    log_path: &Path,
    started: Instant,
    where_to_look: &str,
    tally: &mut Tally,
) -> bool {
    println!("== stop");
    stop_and_check_log(server, log_path, None, tally);
    println!(
        "{task} took {:.1} s ({where_to_look})",
        started.elapsed().as_secs_f64()
    );
    println!("{} passed, {} failed", tally.passed, tally.failed);
    tally.failed == 0
}

/// Stops the server with SIGTERM and checks it exited cleanly, then that its log holds no panic but the
/// `expected` one: two checks of the tally.
pub(crate) fn stop_and_check_log(
    server: Server,
    log_path: &Path,
    expected: Option<&str>,
    tally: &mut Tally,
) {
    tally.check(
        "server: stops cleanly on SIGTERM",
        server.stop().and_then(|status| {
            ensure!(status.success(), "exit status {status}");
            Ok(())
        }),
    );
    let name = if expected.is_some() {
        "server: no unexpected panic in its log"
    } else {
        "server: no panic in its log"
    };
    tally.check(name, check_log(log_path, expected));
}

/// The server's log: no panic but the `expected` one, if any (the panic hook writes
/// `thread '…' panicked at FILE:LINE:COL:` and the message on the next line).
pub(crate) fn check_log(path: &Path, expected: Option<&str>) -> anyhow::Result<()> {
    let log = fs::read_to_string(path).context("reading the server log")?;
    let lines: Vec<&str> = log.lines().collect();
    let unexpected: Vec<String> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.contains(" panicked at "))
        .filter(|(i, _)| expected.is_none() || lines.get(i + 1).copied() != expected)
        .map(|(i, l)| format!("{l} {}", lines.get(i + 1).unwrap_or(&"")))
        .collect();
    ensure!(unexpected.is_empty(), "{}", unexpected.join(" | "));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries() {
        assert_eq!(parse_summary("58 passed, 0 failed"), Some((58, 0)));
        assert_eq!(parse_summary("1 passed, 2 failed\n"), Some((1, 2)));
        assert_eq!(parse_summary("ok 1 passed, 0 failed"), None);
        assert_eq!(parse_summary("passed, failed"), None);
    }
}
