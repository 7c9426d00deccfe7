//! The security part of `cargo xtask e2e`: the help desk of `specs/desk-security.yaml`, generated, built and
//! started with per-scheme token lists, `RUST_LOG=debug`, `/asyncapi.json` turned off and a static folder that
//! holds dot-files; driven by `tests/e2e/node/security.mjs` (socket.io-client).
//!
//! Checked here besides the suite: `/.env` and other dot-paths answer 404 without their content; the static
//! client comes with `X-Content-Type-Options: nosniff` and a `Content-Security-Policy`; `/asyncapi.json` is 404;
//! no secret the clients sent or the server was given appears in the debug log.

use std::fs;
use std::net::SocketAddr;
use std::path::Path;

use anyhow::{Context, ensure};

use crate::e2e::{
    Server, Tally, build, check_log, free_port, generate_with, http_get, prepare_node,
    run_client_suite,
};

const SPEC: &str = "specs/desk-security.yaml";
const READER: &str = "desk-reader-5d1e";
const WRITER: &str = "desk-writer-a07c";
const KEY: &str = "desk-key-39bb";
const AGENT: &str = "ada:agent-pw-71f0";
const ADMIN: &str = "desk-admin-c4d2";
/// In the static folder's `.env`: must never be served.
const DOTENV_SECRET: &str = "dotenv-secret-0e9a";

/// Runs the security cases, counting them in `tally`.
pub(crate) fn run(repo: &Path, work: &Path, tally: &mut Tally) {
    // Failures of the arena cases before these do not stop them.
    let failed_before = tally.failed;
    println!("== security: generate {SPEC} into target/e2e/desk");
    let crate_dir = work.join("desk");
    let generated = generate_with(
        repo,
        SPEC,
        &repo.join("tests/e2e/desk/handlers.rs"),
        &crate_dir,
    );
    let generated = generated.and_then(|()| {
        // The generated README and .env.example list the document's per-scheme variables.
        let readme = fs::read_to_string(crate_dir.join("README.md"))?;
        let example = fs::read_to_string(crate_dir.join(".env.example"))?;
        for var in [
            "FASTSOCKET_AUTH_TOKENS_DESK_OAUTH",
            "FASTSOCKET_AUTH_TOKENS_DESK_KEY",
            "FASTSOCKET_AUTH_TOKENS_AGENT",
            "FASTSOCKET_AUTH_TOKENS_ADMIN_BEARER",
        ] {
            ensure!(readme.contains(var), "README.md does not name {var}");
            ensure!(example.contains(var), ".env.example does not name {var}");
        }
        Ok(())
    });
    tally.check(
        "security: generator keeps src/handlers.rs and lists the scheme variables",
        generated,
    );
    if tally.failed > failed_before {
        return;
    }
    println!("== security: build");
    let binary = match build(&crate_dir, &repo.join("target/e2e-target"), "help-desk") {
        Ok(binary) => binary,
        Err(error) => return tally.fail("security: build", format!("{error:#}")),
    };
    let node = prepare_node(repo);
    let site = work.join("desk-site");
    if let Err(error) = make_site(&site) {
        return tally.fail("security: static folder", format!("{error:#}"));
    }

    println!("== security: serve (RUST_LOG=debug)");
    let port = match free_port() {
        Ok(port) => port,
        Err(error) => return tally.fail("security: free port", format!("{error:#}")),
    };
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let log_path = work.join("desk-server.log");
    let site_arg = site.to_string_lossy().into_owned();
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
            &site_arg,
        ],
        &[
            (
                "FASTSOCKET_AUTH_TOKENS_DESK_OAUTH",
                format!("{READER} tickets:read, {WRITER} tickets:read tickets:write"),
            ),
            ("FASTSOCKET_AUTH_TOKENS_DESK_KEY", KEY.to_owned()),
            ("FASTSOCKET_AUTH_TOKENS_AGENT", AGENT.to_owned()),
            ("FASTSOCKET_AUTH_TOKENS", ADMIN.to_owned()),
            ("FASTSOCKET_ASYNCAPI_JSON", "false".to_owned()),
            ("RUST_LOG", "debug".to_owned()),
        ],
        &log_path,
    );
    let server = match server {
        Ok(server) => server,
        Err(error) => return tally.fail("security: start", format!("{error:#}")),
    };
    tally.check(
        "security: GET /healthz answers 200",
        server.wait_healthy(addr, std::time::Duration::from_secs(30)),
    );
    if tally.failed == failed_before {
        let env = [
            ("DESK_URL", format!("http://{addr}")),
            ("DESK_READER", READER.to_owned()),
            ("DESK_WRITER", WRITER.to_owned()),
            ("DESK_KEY", KEY.to_owned()),
            ("DESK_AGENT", AGENT.to_owned()),
            ("DESK_ADMIN", ADMIN.to_owned()),
        ]
        .map(|(k, v)| (k.to_owned(), v));
        run_client_suite(repo, "node", node, "security.mjs", &env, tally);
        tally.check("security: dot-files are 404", dot_files_hidden(addr));
        tally.check(
            "security: static client sends nosniff and a CSP",
            static_headers(addr),
        );
        tally.check(
            "security: /asyncapi.json is off (FASTSOCKET_ASYNCAPI_JSON=false)",
            status_is(addr, "/asyncapi.json", 404),
        );
    }
    tally.check(
        "security: stops cleanly on SIGTERM",
        server.stop().and_then(|status| {
            ensure!(status.success(), "exit status {status}");
            Ok(())
        }),
    );
    tally.check("security: no panic in its log", check_log(&log_path, None));
    tally.check(
        "security: no secret in the RUST_LOG=debug log",
        no_secret_logged(&log_path),
    );
}

/// A built client with what must never be served beside it.
fn make_site(site: &Path) -> anyhow::Result<()> {
    fs::create_dir_all(site.join(".git"))?;
    fs::create_dir_all(site.join(".well-hidden"))?;
    fs::write(
        site.join("index.html"),
        "<!doctype html><title>desk</title><div id=app></div>",
    )?;
    fs::write(
        site.join(".env"),
        format!("FASTSOCKET_AUTH_TOKENS={DOTENV_SECRET}\n"),
    )?;
    fs::write(site.join(".git/config"), DOTENV_SECRET)?;
    fs::write(site.join(".well-hidden/notes.txt"), DOTENV_SECRET)?;
    Ok(())
}

fn status_is(addr: SocketAddr, path: &str, status: u16) -> anyhow::Result<()> {
    let response = http_get(addr, path).with_context(|| format!("GET {path}"))?;
    let line = response.lines().next().unwrap_or_default();
    ensure!(
        line.starts_with(&format!("HTTP/1.1 {status}")),
        "GET {path}: {line}"
    );
    Ok(())
}

fn dot_files_hidden(addr: SocketAddr) -> anyhow::Result<()> {
    for path in [
        "/.env",
        "/%2eenv",
        "/.git/config",
        "/.well-hidden/notes.txt",
        "/.well-hidden/",
    ] {
        let response = http_get(addr, path).with_context(|| format!("GET {path}"))?;
        let line = response.lines().next().unwrap_or_default();
        ensure!(line.starts_with("HTTP/1.1 404"), "GET {path}: {line}");
        ensure!(
            !response.contains(DOTENV_SECRET),
            "GET {path} served the secret"
        );
    }
    Ok(())
}

fn static_headers(addr: SocketAddr) -> anyhow::Result<()> {
    let response = http_get(addr, "/").context("GET /")?;
    let head = response
        .split("\r\n\r\n")
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    ensure!(head.starts_with("http/1.1 200"), "GET /: {head}");
    ensure!(
        head.contains("x-content-type-options: nosniff"),
        "no nosniff: {head}"
    );
    ensure!(
        head.contains("content-security-policy: default-src 'self'"),
        "no CSP: {head}"
    );
    Ok(())
}

fn no_secret_logged(log: &Path) -> anyhow::Result<()> {
    let text = fs::read_to_string(log).context("reading the server log")?;
    // The log is at debug level indeed (else the check proves nothing).
    ensure!(
        text.contains("DEBUG"),
        "no DEBUG line in the log: RUST_LOG=debug had no effect"
    );
    let password = AGENT.split_once(':').map_or(AGENT, |(_, p)| p);
    for secret in [READER, WRITER, KEY, password, ADMIN, DOTENV_SECRET] {
        ensure!(
            !text.contains(secret),
            "the log holds the secret `{secret}`"
        );
    }
    Ok(())
}
