//! `cargo xtask chaos`: delivery across reconnects (`docs/delivery.md`) under a network that cuts and delays.
//!
//! 1. Builds the checked-in chat server and bundles the checked-in Vue client's `client.ts` for Node (`vite build
//!    --ssr`, the toolchain of `tests/vue/`).
//! 2. Starts the server, and in this process a TCP proxy (tokio) in front of it on 127.0.0.1 that delays every
//!    chunk by 0–[`MAX_DELAY_MS`] ms and cuts every connection after a random lifetime, as long as the chaos phase
//!    lasts (bounded: a connection lives at least [`MIN_LIFETIME`]; cuts stop when the clients stop sending).
//! 3. Runs `tests/e2e/node/chaos.mjs`: generated clients, spread over rooms, send numbered messages one after the
//!    other and record the room's messages; then prints what was sent and what arrived.
//! 4. Prints a table. With delivery on (the default), fails when a message was lost or duplicated (to the server's
//!    handler or to a client's feed) or arrived out of order. `--off` runs the same with plain clients
//!    (`delivery: false`) for comparison: it reports, it does not judge.
//!
//! `--smoke`: 40 clients for 8 s (the CI gate); otherwise 200 clients for 60 s. The server's log goes to
//! `target/chaos/server.log`.
//!
//! `--nodes N` (N ≥ 2): N processes of the server share a `redis-server` (on a free loopback port, its folder
//! `target/chaos/redis/`) through the Redis adapter, and the proxy sends each new connection to a node drawn at
//! random: a client that reconnects lands on another node about (N−1)/N of the time and must resume there.
//! Logs: `target/chaos/server-<n>.log`, `target/chaos/redis.log`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use clap::Args;
use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

use crate::e2e::{self, Tally};
use crate::examples::{CHAT_CLIENT, CHAT_SERVER};

/// The longest delay the proxy adds to a chunk.
const MAX_DELAY_MS: u64 = 20;
/// The shortest and longest life of a connection while the chaos lasts.
const MIN_LIFETIME: Duration = Duration::from_millis(1500);
const MAX_LIFETIME: Duration = Duration::from_millis(6000);
/// How long the server may take to answer `/healthz`.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Arguments of `cargo xtask chaos`.
#[derive(Debug, Args)]
pub struct ChaosArgs {
    /// A short run (40 clients, 8 s of sending) for CI.
    #[arg(long)]
    smoke: bool,
    /// Plain Socket.IO clients (`delivery: false`): the same run without the feature, reported, not judged.
    #[arg(long)]
    off: bool,
    /// The seed of the proxy's cuts and delays (default: from the clock; printed).
    #[arg(long)]
    seed: Option<u64>,
    /// Server processes behind the proxy; 2 or more share a redis-server (Redis adapter).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=8))]
    nodes: u16,
    /// The redis-server program (with `--nodes` ≥ 2).
    #[arg(long, default_value = "redis-server")]
    redis_server: String,
}

/// Runs the chaos test; `Ok(true)` when it passed.
pub fn run(args: &ChaosArgs) -> anyhow::Result<bool> {
    let started = Instant::now();
    let repo = e2e::repo()?;
    let work = repo.join("target/chaos");
    std::fs::create_dir_all(&work)?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo.join("target"));
    let (clients, seconds) = if args.smoke { (40, 8) } else { (200, 60) };
    let rooms = clients / 10;
    let seed = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
    });
    let mut tally = Tally::default();

    println!("== build {}", CHAT_SERVER.dir);
    let server_dir = repo.join(CHAT_SERVER.dir);
    let binary = e2e::build(&server_dir, &target, "fastsocket-chat")?;
    println!(
        "== bundle {} (vite build --ssr src/generated/client.ts)",
        CHAT_CLIENT.dir
    );
    let client_dir = repo.join(CHAT_CLIENT.dir);
    let node_modules = crate::vue::toolchain(&repo)?;
    crate::vue::link(&node_modules, &client_dir.join("node_modules"))?;
    // Inside the linked toolchain, so the bundle's imports (socket.io-client, ajv) resolve from where it lies.
    crate::vue::npx(
        &client_dir,
        "vite",
        &[
            "build",
            "--ssr",
            "src/generated/client.ts",
            "--outDir",
            "node_modules/.chaos",
            "--emptyOutDir",
            "--logLevel",
            "error",
        ],
    )
    .map_err(|output| anyhow::anyhow!("vite build --ssr failed:\n{output}"))?;
    let bundle = node_modules.join(".chaos/client.js");
    ensure!(bundle.exists(), "no bundle at {}", bundle.display());
    e2e::npm_ci(&repo.join("tests/e2e/node"))?;

    let redis = if args.nodes > 1 {
        println!("== {}", args.redis_server);
        Some(start_redis(&args.redis_server, &work)?)
    } else {
        None
    };
    println!(
        "== serve ({} node{})",
        args.nodes,
        if args.nodes > 1 { "s" } else { "" }
    );
    let mut env = vec![
        // Every client comes through the proxy: one address.
        ("FASTSOCKET_MAX_CONNECTIONS_PER_IP", "0".to_owned()),
        ("RUST_LOG", "warn".to_owned()),
    ];
    if let Some((_, url)) = &redis {
        env.push(("FASTSOCKET_REDIS_URL", url.clone()));
    }
    let mut servers = Vec::new();
    for n in 0..args.nodes {
        let log_path = if args.nodes > 1 {
            work.join(format!("server-{n}.log"))
        } else {
            work.join("server.log")
        };
        let (server, addr) = e2e::serve_on_loopback(&binary, &server_dir, &env, &log_path)?;
        servers.push((server, addr, log_path));
    }
    for (server, addr, _) in &servers {
        server.wait_healthy(*addr, START_TIMEOUT)?;
    }
    let upstreams: Vec<SocketAddr> = servers.iter().map(|(_, addr, _)| *addr).collect();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let chaos = Arc::new(Chaos {
        // The clients connect (a second or two), then send for `seconds`: cuts stop about when they stop.
        until: Instant::now() + Duration::from_secs(seconds + 2),
        cuts: AtomicU64::new(0),
        connections: AtomicU64::new(0),
        random: AtomicU64::new(seed | 1),
        per_node: upstreams.iter().map(|_| AtomicU64::new(0)).collect(),
    });
    let listener = runtime.block_on(TcpListener::bind(("127.0.0.1", 0)))?;
    let proxy_addr = listener.local_addr()?;
    runtime.spawn(proxy(listener, upstreams, chaos.clone()));

    let delivery = if args.off { "off" } else { "on" };
    println!(
        "== clients: {clients} in {rooms} rooms, {seconds} s, delivery {delivery}, proxy seed {seed}"
    );
    let output = Command::new("node")
        .arg("chaos.mjs")
        .current_dir(repo.join("tests/e2e/node"))
        .env("CHAOS_CLIENT", &bundle)
        .env("CHAOS_URL", format!("http://{proxy_addr}"))
        .env("CHAOS_CLIENTS", clients.to_string())
        .env("CHAOS_ROOMS", rooms.to_string())
        .env("CHAOS_SECONDS", seconds.to_string())
        .env("CHAOS_DRAIN", "30")
        .env("CHAOS_DELIVERY", delivery)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .context("running node tests/e2e/node/chaos.mjs")?;
    runtime.shutdown_background();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let summary: Value = match stdout
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str(l).ok())
    {
        Some(summary) if output.status.success() => summary,
        _ => bail!(
            "chaos.mjs failed ({}) without a summary:\n{stdout}",
            output.status
        ),
    };

    let number = |pointer: &str| {
        summary
            .pointer(pointer)
            .and_then(Value::as_u64)
            .unwrap_or(0)
    };
    let ratio = |delivered: u64, sent: u64| {
        if sent == 0 {
            "-".to_owned()
        } else {
            format!("{:.2} %", 100.0 * delivered as f64 / sent as f64)
        }
    };
    let (to_server_sent, to_server_delivered) =
        (number("/toServer/sent"), number("/toServer/delivered"));
    let (to_client_expected, to_client_delivered) =
        (number("/toClient/expected"), number("/toClient/delivered"));
    println!();
    println!("| delivery {delivery} | delivered / sent | ratio |");
    println!("| --- | --- | --- |");
    println!(
        "| client → server | {to_server_delivered} / {to_server_sent} | {} |",
        ratio(to_server_delivered, to_server_sent)
    );
    println!(
        "| server → client | {to_client_delivered} / {to_client_expected} | {} |",
        ratio(to_client_delivered, to_client_expected)
    );
    println!(
        "| connections cut by the proxy | {} of {} | |",
        chaos.cuts.load(Ordering::Relaxed),
        chaos.connections.load(Ordering::Relaxed)
    );
    if args.nodes > 1 {
        let counts: Vec<String> = chaos
            .per_node
            .iter()
            .map(|n| n.load(Ordering::Relaxed).to_string())
            .collect();
        println!("| connections per node | {} | |", counts.join(" / "));
    }
    for (name, pointer) in [
        ("requests failed (timeout)", "/toServer/failed"),
        ("handler ran twice", "/handlerDuplicates"),
        ("duplicates in a feed", "/feedDuplicates"),
        ("out of order per sender", "/outOfOrder"),
        ("resumes answered `gap`", "/gaps"),
        ("clients connected at the end", "/connectedAtEnd"),
    ] {
        println!("| {name} | {} | |", number(pointer));
    }
    println!();

    if !args.off {
        tally.check(
            "chaos: the clients sent messages and the proxy cut connections",
            ensure_that(
                to_server_sent > 0 && chaos.cuts.load(Ordering::Relaxed) > 0,
                "nothing was sent or nothing was cut: the run proves nothing",
            ),
        );
        tally.check(
            "chaos: every message reached the server's handler",
            ensure_that(
                to_server_delivered == to_server_sent,
                "client → server lost messages",
            ),
        );
        tally.check(
            "chaos: every handled message reached every member of its room",
            ensure_that(
                to_client_delivered == to_client_expected,
                "server → client lost messages",
            ),
        );
        tally.check(
            "chaos: no handler ran twice, no feed got a duplicate, every sender in order",
            ensure_that(
                number("/handlerDuplicates") == 0
                    && number("/feedDuplicates") == 0
                    && number("/outOfOrder") == 0,
                "duplicates or disorder",
            ),
        );
    }
    if args.nodes > 1 {
        tally.check(
            "chaos: every node served connections",
            ensure_that(
                chaos.per_node.iter().all(|n| n.load(Ordering::Relaxed) > 0),
                "a node got no connection: reconnects did not move between nodes",
            ),
        );
    }
    let (last, last_addr_log) = {
        let (server, _, log_path) = servers.pop().context("no server")?;
        (server, log_path)
    };
    for (server, _, log_path) in servers {
        e2e::stop_and_check_log(server, &log_path, None, &mut tally);
    }
    let finished = e2e::stop_and_finish(
        "chaos",
        last,
        &last_addr_log,
        started,
        "server logs: target/chaos/server*.log",
        &mut tally,
    );
    drop(redis);
    Ok(finished)
}

/// Starts `redis-server` on a free loopback port (no persistence, its folder under `work`) and waits for its
/// PING; the process and its URL.
fn start_redis(program: &str, work: &std::path::Path) -> anyhow::Result<(e2e::Server, String)> {
    let dir = work.join("redis");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let port = e2e::free_port()?.to_string();
    let dir_arg = dir.to_string_lossy().into_owned();
    let server = e2e::Server::start(
        std::path::Path::new(program),
        &dir,
        &[
            "--port",
            &port,
            "--bind",
            "127.0.0.1",
            "--dir",
            &dir_arg,
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        &[],
        &work.join("redis.log"),
    )
    .with_context(|| format!("starting {program} (Debian: apt-get install redis-server)"))?;
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if redis_pongs(&port) {
            return Ok((server, format!("redis://127.0.0.1:{port}/")));
        }
        ensure!(
            Instant::now() < deadline,
            "{program} did not answer PING (target/chaos/redis.log)"
        );
        // Nothing to await from outside the process: poll, briefly.
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn redis_pongs(port: &str) -> bool {
    use std::io::{Read as _, Write as _};
    let Ok(mut stream) = std::net::TcpStream::connect(format!("127.0.0.1:{port}")) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    let mut answer = [0u8; 5];
    stream.write_all(b"PING\r\n").is_ok()
        && stream.read_exact(&mut answer).is_ok()
        && &answer == b"+PONG"
}

fn ensure_that(condition: bool, message: &str) -> anyhow::Result<()> {
    ensure!(condition, "{message}");
    Ok(())
}

/// The proxy's plan and counts.
struct Chaos {
    /// Cuts happen before this instant only.
    until: Instant,
    cuts: AtomicU64,
    connections: AtomicU64,
    /// xorshift64 state: reproducible from the seed (up to thread interleaving).
    random: AtomicU64,
    /// Connections sent to each upstream.
    per_node: Vec<AtomicU64>,
}

impl Chaos {
    /// A number in `0..bound`.
    fn below(&self, bound: u64) -> u64 {
        let mut x = self.random.load(Ordering::Relaxed);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.random.store(x, Ordering::Relaxed);
        x % bound.max(1)
    }

    fn lifetime(&self) -> Duration {
        let spread = (MAX_LIFETIME - MIN_LIFETIME).as_millis() as u64;
        MIN_LIFETIME + Duration::from_millis(self.below(spread))
    }
}

/// Accepts connections and forwards each to one of `upstreams` (drawn at random), cut and delayed as `chaos`
/// says.
async fn proxy(listener: TcpListener, upstreams: Vec<SocketAddr>, chaos: Arc<Chaos>) {
    while let Ok((client, _)) = listener.accept().await {
        let chaos = chaos.clone();
        let node = chaos.below(upstreams.len() as u64) as usize;
        let upstream = upstreams[node];
        tokio::spawn(async move {
            let Ok(server) = TcpStream::connect(upstream).await else {
                return;
            };
            chaos.connections.fetch_add(1, Ordering::Relaxed);
            chaos.per_node[node].fetch_add(1, Ordering::Relaxed);
            let cut_at = Instant::now() + chaos.lifetime();
            let (client_read, client_write) = client.into_split();
            let (server_read, server_write) = server.into_split();
            let forward = async {
                tokio::join!(
                    pump(client_read, server_write, &chaos),
                    pump(server_read, client_write, &chaos)
                )
            };
            if cut_at < chaos.until {
                tokio::select! {
                    _ = forward => {}
                    () = tokio::time::sleep_until(cut_at.into()) => {
                        // Both halves dropped: the peers see the connection reset or closed mid-stream.
                        chaos.cuts.fetch_add(1, Ordering::Relaxed);
                    }
                }
            } else {
                forward.await;
            }
        });
    }
}

/// Copies one direction, each chunk after a random delay.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    chaos: &Chaos,
) {
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let delay = chaos.below(MAX_DELAY_MS + 1);
        if delay > 0 {
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
        if to.write_all(&buffer[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}
