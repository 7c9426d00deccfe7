//! The HTTP server: Socket.IO, CORS, `/healthz`, `/asyncapi.json`, an optional static client; the command line;
//! graceful shutdown.

use std::io;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, Method, header};
use axum::response::IntoResponse;
use axum::routing::get;
use clap::{CommandFactory as _, FromArgMatches as _};
use socketioxide::ParserConfig;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tower_http::cors::{AllowHeaders, AllowOrigin, Any, CorsLayer};
use tower_http::trace::TraceLayer;

use super::auth::Authenticator;
use super::cluster::{Cluster, ClusterAdapter, RedisLink, SocketIo, default_redis_prefix};
use super::config::{Cli, Command, ServerConfig};
use super::connections::{self, ConnectionLimits};
use super::metrics::{Metrics, MetricsEndpoint};
use super::namespace::{App, Limits};
use super::origin::{self, OriginPolicy};
use super::spec::ServerSpec;
use super::static_files::StaticSite;

/// A running server: its address, and the way to stop it. Dropping the handle stops the server too.
#[derive(Debug)]
pub struct ServerHandle {
    addr: SocketAddr,
    io: SocketIo,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<io::Result<()>>>,
    shutdown_timeout: std::time::Duration,
    /// The live monitor's ticker, stopped with the server.
    _monitor: Option<super::monitor::MonitorTask>,
    /// The separate metrics listener: its address, and its stop (dropped with the handle).
    metrics: Option<(SocketAddr, oneshot::Sender<()>)>,
    readiness: Arc<Readiness>,
}

/// The event every client is sent when its server begins a graceful shutdown, before its connection is
/// closed: the generated client reconnects at once (to another node behind the load balancer) instead of
/// waiting for its reconnection backoff. No payload.
pub const SHUTDOWN_EVENT: &str = "server_shutdown";

/// What `GET /readyz` answers from: draining, and the Redis link when there is one.
#[derive(Debug, Default)]
pub(crate) struct Readiness {
    draining: std::sync::atomic::AtomicBool,
    redis: Option<RedisLinkView>,
}

/// The Redis link, for readiness only.
struct RedisLinkView(RedisLink);

impl std::fmt::Debug for RedisLinkView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisLink")
            .field("connected", &self.0.is_connected())
            .finish()
    }
}

impl Readiness {
    fn drain(&self) {
        self.draining
            .store(true, std::sync::atomic::Ordering::Release);
    }

    /// `None` when ready, else why not.
    fn not_ready(&self) -> Option<&'static str> {
        if self.draining.load(std::sync::atomic::Ordering::Acquire) {
            Some("draining")
        } else if self
            .redis
            .as_ref()
            .is_some_and(|link| !link.0.is_connected())
        {
            Some("redis unavailable")
        } else {
            None
        }
    }
}

impl ServerHandle {
    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The socketioxide instance (escape hatch).
    pub fn io(&self) -> &SocketIo {
        &self.io
    }

    /// The address of the separate `GET /metrics` listener ([`MetricsEndpoint::Listen`]), if there is one.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().map(|(addr, _)| *addr)
    }

    /// Drains the server: `/readyz` answers 503 at once, no new connection is accepted, every client is sent
    /// [`SHUTDOWN_EVENT`], the inbound events being handled finish (at most half the shutdown timeout), then
    /// every client is disconnected (their disconnect handlers run with reason `ClosingServer`). Waits for the
    /// server to finish, at most the configured shutdown timeout (then the remaining connections are dropped).
    pub async fn shutdown(mut self) -> io::Result<()> {
        self.readiness.drain();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.metrics = None;
        let Some(mut task) = self.task.take() else {
            return Ok(());
        };
        match tokio::time::timeout(self.shutdown_timeout, &mut task).await {
            Ok(Ok(result)) => result,
            Ok(Err(join_error)) => Err(io::Error::other(join_error)),
            Err(_) => {
                tracing::warn!(target: "fastsocket", "graceful shutdown timed out: dropping the remaining connections");
                task.abort();
                Ok(())
            }
        }
    }
}

/// Starts a server on `config.host`:`config.port` (port 0 picks a free one) and returns once it listens: the
/// bound address and a handle to stop it. `register` installs the namespaces (generated `register_*`
/// functions). With [`ServerConfig::static_dir`] the folder is served at `/` too; a folder that is missing or
/// holds no `index.html` is an error here. Logging is not set up here (see [`logs::init`](super::logs::init)).
pub async fn serve<A: Authenticator>(
    spec: &'static ServerSpec,
    config: ServerConfig,
    authenticator: A,
    register: impl FnOnce(&App),
) -> io::Result<(SocketAddr, ServerHandle)> {
    let cors = cors_layer(&config.cors_origins)?;
    let site = config
        .static_dir
        .as_deref()
        .map(|dir| StaticSite::open(dir, &config.content_security_policy))
        .transpose()?;
    let transport_limit = config.transport_limit();
    // Binary attachments obey the same limit as text: over the transport limit in all (or more attachments
    // than that many bytes could hold, or a binary packet left incomplete), the connection is closed; between
    // the two limits the message is answered with `payload_too_large` (see `Inbound`).
    let parser = ParserConfig::common()
        .max_incoming_binary_buf_size(transport_limit)
        .max_incoming_binaries(MAX_ATTACHMENTS)
        .packet_completion_timeout(PACKET_COMPLETION_TIMEOUT);
    let cluster = match &config.redis_url {
        None => None,
        Some(url) => {
            let prefix = config
                .redis_prefix
                .clone()
                .unwrap_or_else(|| default_redis_prefix(spec.title));
            Some(
                Cluster::open(url.expose(), &prefix)
                    .map_err(|message| io::Error::new(io::ErrorKind::InvalidInput, message))?,
            )
        }
    };
    let (io_layer, io) = socketioxide::SocketIo::builder()
        .with_adapter::<ClusterAdapter>(cluster.as_ref().map(Cluster::adapter_state))
        .with_parser(parser)
        .ping_interval(config.ping_interval)
        .ping_timeout(config.ping_timeout)
        .connect_timeout(config.connect_timeout)
        .ack_timeout(config.ack_timeout)
        .max_buffer_size(config.max_buffer_size)
        .max_payload(transport_limit as u64)
        .ws_max_message_size(transport_limit)
        .ws_max_frame_size(transport_limit)
        .build_layer();

    let app = App::new(
        io.clone(),
        spec,
        Limits::from_config(&config),
        Arc::new(authenticator),
    );
    // In this process, or shared through Redis with the adapter (see docs/delivery.md).
    let delivery = match &cluster {
        None => super::delivery::Delivery::new(config.delivery.clone()).map(Arc::new),
        Some(cluster) => super::delivery::Delivery::with_redis(
            config.delivery.clone(),
            cluster.link.clone(),
            &cluster.prefix,
        ),
    };
    if let Some(delivery) = delivery {
        app.set_delivery(delivery);
    }
    register(&app);
    app.check_schemes();
    let monitor = super::monitor::install(&app, &config.monitor)?;
    let tally = connections::Tally::new(ConnectionLimits {
        total: config.max_connections,
        per_ip: config.max_connections_per_ip,
        header_read_timeout: config.header_read_timeout,
    });
    let metrics = (config.metrics != MetricsEndpoint::Off)
        .then(|| Metrics::install(&app, tally.clone(), config.max_connections));
    super::metrics::register_dropped("log", super::logs::dropped_records);
    super::metrics::register_dropped("stream", super::streams::lagged_total);
    // The static namespaces' Redis subscriptions (at once without Redis; while Redis is unreachable they are
    // recorded and made on reconnection, so this never waits for Redis to come up).
    for init in app.take_pending() {
        init.await;
    }
    let readiness = Arc::new(Readiness {
        draining: Default::default(),
        redis: cluster.as_ref().map(|c| RedisLinkView(c.link.clone())),
    });

    let ready = readiness.clone();
    let mut api = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(move || readyz(ready.clone())));
    if let (Some(metrics), MetricsEndpoint::SamePort) = (&metrics, config.metrics) {
        let metrics = metrics.clone();
        api = api.route("/metrics", get(move || metrics.clone().respond()));
    }
    if config.asyncapi_json {
        api = api.route(
            "/asyncapi.json",
            get(move || async move {
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    spec.asyncapi_json,
                )
            }),
        );
    }
    if let Some(site) = &site {
        let site = site.clone();
        api = api.fallback(move |request: axum::extract::Request| {
            let site = site.clone();
            async move { site.respond(request).await }
        });
    }
    // The layers wrap one service, once: axum layers each route and each method of a route separately, and
    // every copy of the Socket.IO layer would hold its own Engine.IO sessions (a long-polling handshake made
    // through one copy and its next POST routed through another fail with "Session ID unknown").
    let mut router = Router::new().fallback_service(api).layer(io_layer);
    // In front of socketioxide: a foreign origin is refused before any handshake.
    if config.check_origin
        && let Some(policy) = OriginPolicy::new(&config.cors_origins)
    {
        router = router.layer(axum::middleware::from_fn_with_state(policy, origin::check));
    }
    let router = router
        .layer(cors)
        .layer(TraceLayer::new_for_http().make_span_with(request_span));

    let listener = tokio::net::TcpListener::bind((config.host.as_str(), config.port)).await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let metrics = match (metrics, config.metrics) {
        (Some(metrics), MetricsEndpoint::Listen(at)) => Some(serve_metrics(metrics, at).await?),
        _ => None,
    };
    let closing = io.clone();
    let draining = readiness.clone();
    let drain_bound = config.shutdown_timeout / 2;
    let task = tokio::spawn(connections::serve(
        listener,
        router,
        tally,
        async move {
            // A sent signal and a dropped handle both stop the server.
            let _ = stopped.await;
            draining.drain();
        },
        async move {
            drain(&closing, &app, drain_bound).await;
            closing.close().await;
        },
    ));
    tracing::info!(
        target: "fastsocket",
        %addr,
        title = spec.title,
        version = spec.version,
        max_message_bytes = config.max_message_bytes,
        static_dir = ?site.as_ref().map(StaticSite::dir),
        "listening"
    );
    Ok((
        addr,
        ServerHandle {
            addr,
            io,
            stop: Some(stop),
            task: Some(task),
            shutdown_timeout: config.shutdown_timeout,
            _monitor: monitor,
            metrics,
            readiness,
        },
    ))
}

/// `GET /metrics` on a listener of its own (nothing else is served there), until the returned sender is sent
/// to or dropped.
async fn serve_metrics(
    metrics: Arc<Metrics>,
    at: SocketAddr,
) -> io::Result<(SocketAddr, oneshot::Sender<()>)> {
    let listener = tokio::net::TcpListener::bind(at).await?;
    let addr = listener.local_addr()?;
    let router = Router::new().route("/metrics", get(move || metrics.clone().respond()));
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await;
        if let Err(error) = served {
            tracing::error!(target: "fastsocket", %error, "the metrics listener failed");
        }
    });
    tracing::info!(target: "fastsocket", %addr, "metrics at /metrics");
    Ok((addr, stop))
}

/// The most binary attachments one message may carry (socket.io-client sends one per `Buffer`/`ArrayBuffer` in
/// the arguments); socketioxide's default is 10,000.
const MAX_ATTACHMENTS: usize = 256;

/// How long the attachments of a binary message may take to follow its first part before the connection is
/// closed (socketioxide's default is a minute, during which the parts stay in memory).
const PACKET_COMPLETION_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// The span of one HTTP request: method and path, never the query string (API keys may travel in it, e.g.
/// `?api_key=…` on the Socket.IO handshake) nor headers.
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    tracing::debug_span!(
        "request",
        method = %request.method(),
        path = request.uri().path(),
    )
}

async fn healthz() -> impl IntoResponse {
    axum::Json(serde_json::json!({"status": "ok"}))
}

/// `200 {"status":"ready"}`, or `503 {"status":"unavailable","reason":…}` while draining or while the Redis
/// link is down (the node still serves its own clients then: it is alive, `/healthz`, but should not get new
/// ones).
async fn readyz(readiness: Arc<Readiness>) -> axum::response::Response {
    match readiness.not_ready() {
        None => axum::Json(serde_json::json!({"status": "ready"})).into_response(),
        Some(reason) => (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(serde_json::json!({"status": "unavailable", "reason": reason})),
        )
            .into_response(),
    }
}

/// Tells every client of this node that it is going away ([`SHUTDOWN_EVENT`]; this node's clients only, never
/// through Redis), then waits for the inbound events being handled, at most `bound`.
async fn drain(io: &SocketIo, app: &App, bound: std::time::Duration) {
    for namespace in io.nsps() {
        if let Err(error) = namespace.local().emit(SHUTDOWN_EVENT, &()).await {
            tracing::debug!(target: "fastsocket", %error, "could not tell every client of the shutdown");
        }
    }
    if tokio::time::timeout(bound, app.busy().idle())
        .await
        .is_err()
    {
        tracing::warn!(target: "fastsocket", "shutdown: handlers still running after the drain bound are cut off");
    }
}

/// CORS for the HTTP routes and Socket.IO's long-polling requests (browsers start with polling): the listed
/// origins with credentials (cookies, `Authorization`), or any origin without credentials when the list holds
/// `*`.
fn cors_layer(origins: &[String]) -> io::Result<CorsLayer> {
    let layer = CorsLayer::new().allow_methods([Method::GET, Method::POST, Method::OPTIONS]);
    if origins.iter().any(|o| o == "*") {
        return Ok(layer.allow_origin(Any).allow_headers(Any));
    }
    let origins = origins
        .iter()
        .map(|o| {
            HeaderValue::from_str(o).map_err(|_| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("invalid CORS origin `{o}`"),
                )
            })
        })
        .collect::<io::Result<Vec<_>>>()?;
    Ok(layer
        .allow_origin(AllowOrigin::list(origins))
        .allow_headers(AllowHeaders::mirror_request())
        .allow_credentials(true))
}

/// The `main` of a generated server: reads `.env`, parses the command line and runs the command.
///
/// - `serve` (the default): configuration from flags, else the environment, else `.env`, else defaults (see
///   [`ServerConfig`]); logs as `RUST_LOG` and `FASTSOCKET_LOG_FORMAT` say; stops gracefully on Ctrl-C or
///   SIGTERM.
/// - `events`: the table of namespaces and events.
/// - `spec`: the AsyncAPI document.
/// - `logs tail`, `logs stats`: read the log files (see [`logs`](super::logs)).
/// - `monitor [URL]` (feature `monitor-cli`): a live terminal view of a running server (see
///   `monitor::cli`).
///
/// Exit status: 0 after a clean stop, 1 when the server cannot start, 2 for a usage error.
pub async fn run<A: Authenticator>(
    spec: &'static ServerSpec,
    authenticator: A,
    register: impl FnOnce(&App) + Send + 'static,
) -> ExitCode {
    let _ = dotenvy::dotenv();
    // Once per process: clap wants a `'static` name.
    let name: &'static str = Box::leak(binary_name().into_boxed_str());
    let command = Cli::command()
        .name(name)
        .bin_name(name)
        .about(format!("{} {}", spec.title, spec.version))
        .version(spec.version);
    let cli = match Cli::from_arg_matches(&command.get_matches()) {
        Ok(cli) => cli,
        Err(error) => error.exit(),
    };
    let args = match cli.command {
        // A closed pipe (`… spec | head`) is not an error worth a panic.
        Some(Command::Events) => return print_out(&spec.events_table()),
        Some(Command::Spec) => return print_out(&format!("{}\n", spec.asyncapi_json)),
        Some(Command::Logs(args)) => {
            #[cfg(feature = "monitor-cli")]
            if let Some(remote) = super::logs::command::remote_tail(&args) {
                return super::monitor::cli::run_remote_tail(remote).await;
            }
            return super::logs::command::run(*args);
        }
        #[cfg(feature = "monitor-cli")]
        Some(Command::Monitor(args)) => return super::monitor::cli::run(args).await,
        Some(Command::Serve(args)) => *args,
        None => match Cli::try_parse_from_serve() {
            Ok(args) => args,
            Err(error) => error.exit(),
        },
    };
    let config = args.into_config();
    // Span export (feature `otel`): kept until the end of `run`, dropping it sends the spans still queued.
    #[cfg(feature = "otel")]
    let (_telemetry, spans) = super::otel::from_env(spec.title);
    #[cfg(not(feature = "otel"))]
    let spans = None;
    // Kept until the end of `run`: dropping it writes the records still queued.
    let _log_guard = match super::logs::init_with(&config.logs, spans) {
        Ok(guard) => guard,
        Err(error) => {
            eprintln!("error: cannot open the log: {error}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(dir) = &config.logs.dir {
        // The terminal stays quiet otherwise: say where to look.
        eprintln!(
            "logging to {} (`{name} logs tail --follow` shows it)",
            super::logs::active_path(dir).display()
        );
    }
    let (_, handle) = match serve(spec, config, authenticator, register).await {
        Ok(started) => started,
        Err(error) => {
            tracing::error!(target: "fastsocket", %error, "cannot start the server");
            eprintln!("error: cannot start the server: {error}");
            return ExitCode::FAILURE;
        }
    };
    shutdown_signal().await;
    tracing::info!(target: "fastsocket", "shutting down");
    match handle.shutdown().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(target: "fastsocket", %error, "server failed");
            ExitCode::FAILURE
        }
    }
}

impl Cli {
    /// The `serve` flags from the environment alone (no command given).
    fn try_parse_from_serve() -> Result<super::config::ServeArgs, clap::Error> {
        use clap::Parser as _;
        match Cli::try_parse_from([binary_name(), "serve".to_owned()])?.command {
            Some(Command::Serve(args)) => Ok(*args),
            _ => unreachable!("`serve` parses as the serve command"),
        }
    }
}

fn print_out(text: &str) -> ExitCode {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

fn binary_name() -> String {
    std::env::args()
        .next()
        .as_deref()
        .map(std::path::Path::new)
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "server".to_owned())
}

/// Ctrl-C, or SIGTERM on Unix.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn readiness_says_why_not() {
        let alone = Readiness::default();
        assert_eq!(alone.not_ready(), None);
        alone.drain();
        assert_eq!(alone.not_ready(), Some("draining"));
        // Nothing listens on port 1: the link stays down.
        let unreachable = Readiness {
            draining: Default::default(),
            redis: Some(RedisLinkView(
                RedisLink::open("redis://127.0.0.1:1/").unwrap(),
            )),
        };
        assert_eq!(unreachable.not_ready(), Some("redis unavailable"));
        unreachable.drain();
        assert_eq!(unreachable.not_ready(), Some("draining"));
    }

    #[test]
    fn cors_origins() {
        assert!(cors_layer(&["http://localhost:5173".into()]).is_ok());
        assert!(cors_layer(&["*".into()]).is_ok());
        assert!(cors_layer(&["bad\norigin".into()]).is_err());
    }
}
