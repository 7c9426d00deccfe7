//! Configuration: command-line flags, then the environment, then `.env`, then defaults.

use std::path::PathBuf;
use std::time::Duration;

/// The default of `FASTSOCKET_MAX_MESSAGE_BYTES`: 1 MiB.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 1 << 20;

/// The default CORS origins: Vite's dev server.
pub const DEFAULT_CORS_ORIGINS: &[&str] = &["http://localhost:5173", "http://127.0.0.1:5173"];

/// The default of `FASTSOCKET_MAX_CONNECTIONS`: open TCP connections per server.
pub const DEFAULT_MAX_CONNECTIONS: usize = 4096;

/// The default of `FASTSOCKET_MAX_CONNECTIONS_PER_IP`: open TCP connections per client address.
pub const DEFAULT_MAX_CONNECTIONS_PER_IP: usize = 64;

/// The default of `FASTSOCKET_HEADER_READ_TIMEOUT` (seconds): how long a client may take to send a request's
/// headers.
pub const DEFAULT_HEADER_READ_TIMEOUT_SECS: u64 = 10;

/// The default of `FASTSOCKET_EVENTS_PER_SECOND`: the sustained rate of a socket's inbound events.
pub const DEFAULT_EVENTS_PER_SECOND: u32 = 50;

/// The default of `FASTSOCKET_EVENT_BURST`: the events a socket may send at once after a quiet spell.
pub const DEFAULT_EVENT_BURST: u32 = 100;

/// The default of `FASTSOCKET_MAX_IN_FLIGHT`: a socket's events being handled at the same time.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 16;

/// The default of `FASTSOCKET_MAX_DYNAMIC_NAMESPACES`: dynamic namespaces (`/rooms/{id}`) alive at once.
pub const DEFAULT_MAX_DYNAMIC_NAMESPACES: usize = 10_000;

/// The log filter used when `RUST_LOG` is not set.
pub const DEFAULT_LOG_FILTER: &str = "info,socketioxide=warn,engineioxide=warn";

/// Crates that log handshakes and packets (the `auth` payload, headers, query strings: credentials) below
/// `warn`: they stay at `warn` unless `RUST_LOG` names them (`RUST_LOG=debug,socketioxide=debug`).
pub const QUIET_TARGETS: &[&str] = &["socketioxide", "engineioxide"];

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// How the server runs. [`Default`] gives the documented defaults; [`run`](super::run) fills it from flags and
/// the environment.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Interface to listen on (`FASTSOCKET_HOST`, default `127.0.0.1`; a host name is resolved).
    pub host: String,
    /// Port (`FASTSOCKET_PORT`, default 3000; 0 picks a free one).
    pub port: u16,
    /// The largest inbound message (`FASTSOCKET_MAX_MESSAGE_BYTES`, default 1 MiB), counted as the Socket.IO
    /// packet's text (event name and JSON arguments) plus binary attachments. A larger message is answered with
    /// `payload_too_large` and the connection stays open. The transport refuses messages over
    /// [`transport_limit`](Self::transport_limit) outright by closing that one connection, binary attachments
    /// counted together (at most 256 of them, all arrived within 10 s).
    pub max_message_bytes: usize,
    /// Origins allowed by CORS (`FASTSOCKET_CORS_ORIGINS`, comma-separated; `*` allows any origin without
    /// credentials). Default: `http://localhost:5173`, `http://127.0.0.1:5173`.
    pub cors_origins: Vec<String>,
    /// Where and how the log is written (`FASTSOCKET_LOG_FORMAT`, `FASTSOCKET_LOG_DIR`, rotation and
    /// retention: see [`LogSettings`](super::logs::LogSettings)).
    pub logs: super::logs::LogSettings,
    /// Engine.IO ping interval (25 s, as socket.io).
    pub ping_interval: Duration,
    /// How long to wait for a pong before closing (20 s, as socket.io).
    pub ping_timeout: Duration,
    /// How long a client may take to join a namespace after opening the connection (10 s).
    pub connect_timeout: Duration,
    /// How long the server waits for a client's acknowledgement of its own emits (10 s).
    pub ack_timeout: Duration,
    /// Packets buffered per socket before emits to it fail with a full-buffer error instead of growing memory
    /// (256).
    pub max_buffer_size: usize,
    /// How long a graceful shutdown may take before the remaining connections are dropped (10 s).
    pub shutdown_timeout: Duration,
    /// A built web client to serve at `/` (`FASTSOCKET_STATIC_DIR`, flag `--static`; none by default): its files,
    /// and `index.html` for client-side routes. It must hold `index.html`. The Socket.IO path and the HTTP
    /// endpoints keep priority over its files.
    pub static_dir: Option<PathBuf>,
    /// Whether the `Origin` of Socket.IO requests (the WebSocket upgrade, long-polling) is checked against
    /// [`cors_origins`](Self::cors_origins) (default `true`; `false` with `--allow-any-origin` or
    /// `FASTSOCKET_ALLOW_ANY_ORIGIN=true`). A browser page of another site is then refused before the handshake
    /// (cross-site WebSocket hijacking: a WebSocket is not bound by CORS, and the browser sends the user's
    /// cookies with it). Same-origin requests (the client served by `--static`) and requests without `Origin`
    /// (non-browser clients) always pass; `*` among the origins lets every origin pass.
    pub check_origin: bool,
    /// Open TCP connections the server accepts (`FASTSOCKET_MAX_CONNECTIONS`, default 4096; 0: no limit);
    /// further ones are closed at once.
    pub max_connections: usize,
    /// Open TCP connections per client IP address (`FASTSOCKET_MAX_CONNECTIONS_PER_IP`, default 64; 0: no
    /// limit). Behind a reverse proxy every client has the proxy's address: raise it or set 0 there.
    pub max_connections_per_ip: usize,
    /// How long a client may take to send the headers of a request (`FASTSOCKET_HEADER_READ_TIMEOUT`, in
    /// seconds, default 10): a slow-loris client is cut off.
    pub header_read_timeout: Duration,
    /// The sustained rate of inbound events per socket (`FASTSOCKET_EVENTS_PER_SECOND`, default 50; 0: no
    /// limit). A token bucket: beyond it events are answered with `rate_limited` and not handled.
    pub events_per_second: u32,
    /// The size of that bucket: events a socket may send at once (`FASTSOCKET_EVENT_BURST`, default 100).
    pub event_burst: u32,
    /// A socket's events handled at the same time (`FASTSOCKET_MAX_IN_FLIGHT`, default 16; 0: no limit); an
    /// event beyond it is answered with `rate_limited`.
    pub max_in_flight: usize,
    /// Dynamic namespaces (one per path of a `{param}` namespace that a client has joined) alive at once
    /// (`FASTSOCKET_MAX_DYNAMIC_NAMESPACES`, default 10,000; 0: no limit). A connect that would create one more
    /// is refused; a namespace goes when its last client leaves or its only client is refused.
    pub max_dynamic_namespaces: usize,
    /// Whether `GET /asyncapi.json` serves the document (`FASTSOCKET_ASYNCAPI_JSON`, flag `--asyncapi-json`;
    /// default `true`). Turn it off when the API's description is not for everyone who can reach the port.
    pub asyncapi_json: bool,
    /// The `Content-Security-Policy` of the static client's answers (`FASTSOCKET_STATIC_CSP`, flag
    /// `--static-csp`; default [`CONTENT_SECURITY_POLICY`](super::CONTENT_SECURITY_POLICY)).
    pub content_security_policy: String,
    /// The live monitor ([`MonitorConfig`](super::monitor::MonitorConfig): `FASTSOCKET_MONITOR_TOKENS`,
    /// `FASTSOCKET_MONITOR_NAMESPACE`); off unless a token is set.
    pub monitor: super::monitor::MonitorConfig,
    /// Where `GET /metrics` is served (`FASTSOCKET_METRICS`, flag `--metrics`: `on`, the default, on the
    /// server's port; `off`; or a listen address such as `127.0.0.1:9100` for a private interface).
    pub metrics: super::MetricsEndpoint,
    /// The Redis that several processes of this server share rooms and broadcasts through
    /// (`FASTSOCKET_REDIS_URL`, flag `--redis-url`; none by default: one process, in-memory). Redis ≥ 7 or
    /// Valkey; RESP3 is switched on whatever the URL says. See [`RedisUrl`].
    pub redis_url: Option<RedisUrl>,
    /// The prefix of this server's Redis channels (`FASTSOCKET_REDIS_PREFIX`; by default
    /// [`default_redis_prefix`](super::default_redis_prefix) of the API's title), so that two APIs on one Redis
    /// do not hear each other. Every process of one API must use the same.
    pub redis_prefix: Option<String>,
    /// Delivery across reconnects for the clients that ask for it (`FASTSOCKET_REPLAY_LEN`,
    /// `FASTSOCKET_REPLAY_AGE`, `FASTSOCKET_REPLAY_NAMESPACES`; see `docs/delivery.md`). Shared through Redis
    /// with the Redis adapter.
    pub delivery: super::DeliveryConfig,
}

/// A Redis URL (`redis://[user:password@]host:port[/db]`, `rediss://` for TLS); never shown in logs or `Debug`
/// output, since it may hold a password.
#[derive(Clone, PartialEq, Eq)]
pub struct RedisUrl(String);

impl RedisUrl {
    /// Wraps a URL (checked when the server starts).
    pub fn new(url: impl Into<String>) -> Self {
        RedisUrl(url.into())
    }

    /// The URL itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RedisUrl(***)")
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            host: "127.0.0.1".to_owned(),
            port: 3000,
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            cors_origins: DEFAULT_CORS_ORIGINS
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            logs: super::logs::LogSettings::default(),
            ping_interval: Duration::from_secs(25),
            ping_timeout: Duration::from_secs(20),
            connect_timeout: Duration::from_secs(10),
            ack_timeout: Duration::from_secs(10),
            max_buffer_size: 256,
            shutdown_timeout: Duration::from_secs(10),
            static_dir: None,
            check_origin: true,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_connections_per_ip: DEFAULT_MAX_CONNECTIONS_PER_IP,
            header_read_timeout: Duration::from_secs(DEFAULT_HEADER_READ_TIMEOUT_SECS),
            events_per_second: DEFAULT_EVENTS_PER_SECOND,
            event_burst: DEFAULT_EVENT_BURST,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            max_dynamic_namespaces: DEFAULT_MAX_DYNAMIC_NAMESPACES,
            asyncapi_json: true,
            content_security_policy: super::CONTENT_SECURITY_POLICY.to_owned(),
            monitor: super::monitor::MonitorConfig::default(),
            metrics: super::MetricsEndpoint::SamePort,
            redis_url: None,
            redis_prefix: None,
            delivery: super::DeliveryConfig::default(),
        }
    }
}

impl ServerConfig {
    /// The limit given to the transport (`ws_max_message_size`, `ws_max_frame_size` and the long-polling
    /// `max_payload`): twice [`max_message_bytes`](Self::max_message_bytes), at least 64 KiB. Between the two
    /// limits a message is read and answered with `payload_too_large`; beyond this one the connection is
    /// closed without reading further.
    pub fn transport_limit(&self) -> usize {
        self.max_message_bytes.saturating_mul(2).max(64 * 1024)
    }
}

/// The flags of the `serve` command (each also read from its environment variable).
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct ServeArgs {
    /// Interface to listen on.
    #[arg(long, env = "FASTSOCKET_HOST", default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0 picks a free one).
    #[arg(long, env = "FASTSOCKET_PORT", default_value_t = 3000)]
    port: u16,
    /// The largest inbound message, in bytes.
    #[arg(long, env = "FASTSOCKET_MAX_MESSAGE_BYTES", default_value_t = DEFAULT_MAX_MESSAGE_BYTES)]
    max_message_bytes: usize,
    /// An origin allowed by CORS (repeat the flag; the variable takes a comma-separated list; `*` for any).
    #[arg(
        long = "cors-origin",
        env = "FASTSOCKET_CORS_ORIGINS",
        value_delimiter = ',',
        default_values_t = DEFAULT_CORS_ORIGINS.iter().map(|s| (*s).to_owned())
    )]
    cors_origins: Vec<String>,
    #[command(flatten)]
    log: super::logs::LogArgs,
    /// A built web client (e.g. a Vite `dist/` folder) to serve at `/`, with `index.html` for client routes.
    #[arg(long = "static", env = "FASTSOCKET_STATIC_DIR", value_name = "DIR")]
    static_dir: Option<PathBuf>,
    /// Let Socket.IO requests from any `Origin` in (non-browser deployments); by default a foreign origin is
    /// refused before the handshake.
    #[arg(long, env = "FASTSOCKET_ALLOW_ANY_ORIGIN")]
    allow_any_origin: bool,
    /// Open TCP connections the server accepts (0: no limit).
    #[arg(long, env = "FASTSOCKET_MAX_CONNECTIONS", default_value_t = DEFAULT_MAX_CONNECTIONS)]
    max_connections: usize,
    /// Open TCP connections per client IP address (0: no limit).
    #[arg(long, env = "FASTSOCKET_MAX_CONNECTIONS_PER_IP", default_value_t = DEFAULT_MAX_CONNECTIONS_PER_IP)]
    max_connections_per_ip: usize,
    /// Seconds a client may take to send a request's headers.
    #[arg(long, env = "FASTSOCKET_HEADER_READ_TIMEOUT", value_name = "SECS", default_value_t = DEFAULT_HEADER_READ_TIMEOUT_SECS, value_parser = clap::value_parser!(u64).range(1..))]
    header_read_timeout: u64,
    /// Sustained inbound events per second per socket (0: no limit).
    #[arg(long, env = "FASTSOCKET_EVENTS_PER_SECOND", default_value_t = DEFAULT_EVENTS_PER_SECOND)]
    events_per_second: u32,
    /// Inbound events a socket may send at once.
    #[arg(long, env = "FASTSOCKET_EVENT_BURST", default_value_t = DEFAULT_EVENT_BURST, value_parser = clap::value_parser!(u32).range(1..))]
    event_burst: u32,
    /// A socket's events handled at the same time (0: no limit).
    #[arg(long, env = "FASTSOCKET_MAX_IN_FLIGHT", default_value_t = DEFAULT_MAX_IN_FLIGHT)]
    max_in_flight: usize,
    /// Dynamic namespaces alive at once (0: no limit).
    #[arg(long, env = "FASTSOCKET_MAX_DYNAMIC_NAMESPACES", default_value_t = DEFAULT_MAX_DYNAMIC_NAMESPACES)]
    max_dynamic_namespaces: usize,
    /// Serve the AsyncAPI document at `GET /asyncapi.json` (`false` turns it off).
    #[arg(
        long = "asyncapi-json",
        env = "FASTSOCKET_ASYNCAPI_JSON",
        value_name = "BOOL",
        default_value_t = true,
        action = clap::ArgAction::Set,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    asyncapi_json: bool,
    /// The Content-Security-Policy sent with the static client's files.
    #[arg(
        long = "static-csp",
        env = "FASTSOCKET_STATIC_CSP",
        value_name = "POLICY"
    )]
    static_csp: Option<String>,
    /// The live monitor's namespace.
    #[arg(long, env = super::monitor::MONITOR_NAMESPACE_ENV, value_name = "PATH", default_value = super::monitor::protocol::DEFAULT_MONITOR_NAMESPACE)]
    monitor_namespace: String,
    /// A token that admits a live monitor client (the variable takes a comma-separated list; none: no monitor).
    #[arg(
        long = "monitor-token",
        env = super::monitor::MONITOR_TOKENS_ENV,
        value_delimiter = ',',
        hide_env_values = true
    )]
    monitor_tokens: Vec<String>,
    /// `GET /metrics`: `on` (on this port), `off`, or a listen address of its own (`127.0.0.1:9100`).
    #[arg(
        long,
        env = "FASTSOCKET_METRICS",
        value_name = "on|off|ADDR",
        default_value = "on"
    )]
    metrics: super::MetricsEndpoint,
    /// A Redis (>= 7) shared by every process of this server: rooms and broadcasts reach all of them.
    #[arg(
        long,
        env = "FASTSOCKET_REDIS_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    redis_url: Option<String>,
    /// The prefix of this server's Redis channels (default: from the API's title).
    #[arg(long, env = "FASTSOCKET_REDIS_PREFIX", value_name = "PREFIX")]
    redis_prefix: Option<String>,
    #[command(flatten)]
    delivery: super::DeliveryArgs,
}

impl ServeArgs {
    pub(crate) fn into_config(self) -> ServerConfig {
        ServerConfig {
            host: self.host,
            port: self.port,
            max_message_bytes: self.max_message_bytes,
            cors_origins: self
                .cors_origins
                .into_iter()
                .map(|o| o.trim().to_owned())
                .filter(|o| !o.is_empty())
                .collect(),
            logs: self.log.into_settings(),
            static_dir: self.static_dir,
            check_origin: !self.allow_any_origin,
            max_connections: self.max_connections,
            max_connections_per_ip: self.max_connections_per_ip,
            header_read_timeout: Duration::from_secs(self.header_read_timeout),
            events_per_second: self.events_per_second,
            event_burst: self.event_burst,
            max_in_flight: self.max_in_flight,
            max_dynamic_namespaces: self.max_dynamic_namespaces,
            asyncapi_json: self.asyncapi_json,
            content_security_policy: self
                .static_csp
                .unwrap_or_else(|| super::CONTENT_SECURITY_POLICY.to_owned()),
            monitor: super::monitor::MonitorConfig {
                namespace: self.monitor_namespace,
                tokens: self
                    .monitor_tokens
                    .into_iter()
                    .map(|t| t.trim().to_owned())
                    .filter(|t| !t.is_empty())
                    .collect(),
            },
            metrics: self.metrics,
            redis_url: self
                .redis_url
                .filter(|url| !url.trim().is_empty())
                .map(RedisUrl::new),
            redis_prefix: self.redis_prefix.filter(|p| !p.trim().is_empty()),
            delivery: self.delivery.into_config(),
            ..ServerConfig::default()
        }
    }
}

/// The command line of a generated server.
#[derive(Debug, clap::Parser)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
}

// Parsed once per process: the size of the `serve` flags does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Serve the API (the default command).
    Serve(Box<ServeArgs>),
    /// List the namespaces and events of the API.
    Events,
    /// Print the AsyncAPI document (JSON).
    Spec,
    /// Read the server's log files (`FASTSOCKET_LOG_DIR`): `logs tail`, `logs stats`.
    Logs(Box<super::logs::command::LogsArgs>),
    /// Watch a running server live (its monitoring namespace): event rates, errors, latency, connections.
    #[cfg(feature = "monitor-cli")]
    Monitor(super::monitor::cli::MonitorArgs),
}

/// Installs the global tracing subscriber: `RUST_LOG` (default [`DEFAULT_LOG_FILTER`]) in `format`, with the
/// [`QUIET_TARGETS`] kept at `warn` unless it names them. Does nothing when a subscriber is already installed.
pub fn init_logging(format: LogFormat) {
    let mut filter = log_filter(std::env::var("RUST_LOG").ok().as_deref());
    // The connect and event spans are for an exporter: in log lines they would only prefix every line.
    if let Ok(directive) = format!("{}=off", super::SPAN_TARGET).parse() {
        filter = filter.add_directive(directive);
    }
    // Colours only on a terminal: logs sent to files and collectors must stay plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

/// The filter for a `RUST_LOG` value (`None` or invalid: [`DEFAULT_LOG_FILTER`]), [`QUIET_TARGETS`] it does
/// not name set to `warn`.
pub(crate) fn log_filter(rust_log: Option<&str>) -> tracing_subscriber::EnvFilter {
    use tracing_subscriber::EnvFilter;
    let spec = rust_log
        .filter(|s| !s.trim().is_empty())
        .unwrap_or(DEFAULT_LOG_FILTER);
    let (mut filter, spec) = match EnvFilter::try_new(spec) {
        Ok(filter) => (filter, spec),
        Err(_) => (EnvFilter::new(DEFAULT_LOG_FILTER), DEFAULT_LOG_FILTER),
    };
    for target in QUIET_TARGETS {
        if !spec.contains(target)
            && let Ok(directive) = format!("{target}=warn").parse()
        {
            filter = filter.add_directive(directive);
        }
    }
    filter
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    /// Every command's flags are distinct (clap checks ids, names and relations), with every feature built.
    #[test]
    fn the_command_line_is_consistent() {
        <Cli as clap::CommandFactory>::command().debug_assert();
    }

    #[test]
    fn chatty_crates_stay_at_warn_unless_named() {
        let shown = log_filter(Some("debug")).to_string();
        assert!(shown.contains("socketioxide=warn"), "{shown}");
        assert!(shown.contains("engineioxide=warn"), "{shown}");
        let shown = log_filter(Some("debug,socketioxide=trace")).to_string();
        assert!(shown.contains("socketioxide=trace"), "{shown}");
        assert!(!shown.contains("socketioxide=warn"), "{shown}");
        assert!(shown.contains("engineioxide=warn"), "{shown}");
        let shown = log_filter(None).to_string();
        assert!(shown.contains("socketioxide=warn"), "{shown}");
        // An invalid value falls back to the default rather than logging everything.
        let shown = log_filter(Some("socketioxide=loud")).to_string();
        assert!(shown.contains("socketioxide=warn"), "{shown}");
    }

    #[test]
    fn the_spec_endpoint_can_be_turned_off() {
        for (value, expected) in [
            ("false", false),
            ("off", false),
            ("0", false),
            ("true", true),
        ] {
            let Some(Command::Serve(args)) = parse(&["serve", "--asyncapi-json", value]).command
            else {
                panic!("serve expected");
            };
            assert_eq!(args.into_config().asyncapi_json, expected, "{value}");
        }
        assert!(ServerConfig::default().asyncapi_json);
    }

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("server").chain(args.iter().copied())).unwrap()
    }

    #[test]
    fn flags() {
        let Some(Command::Serve(args)) = parse(&[
            "serve",
            "--port",
            "0",
            "--max-message-bytes",
            "10",
            "--cors-origin",
            "http://a",
            "--cors-origin",
            "http://b",
            "--log-format",
            "json",
            "--static",
            "client/dist",
        ])
        .command
        else {
            panic!("serve expected");
        };
        let config = args.into_config();
        assert_eq!(config.port, 0);
        assert_eq!(config.max_message_bytes, 10);
        assert_eq!(config.cors_origins, ["http://a", "http://b"]);
        assert_eq!(config.logs.format, LogFormat::Json);
        assert_eq!(config.static_dir, Some(PathBuf::from("client/dist")));
        assert_eq!(config.transport_limit(), 64 * 1024);
        assert!(config.check_origin);
    }

    #[test]
    fn limit_flags() {
        let Some(Command::Serve(args)) = parse(&[
            "serve",
            "--allow-any-origin",
            "--max-connections",
            "10",
            "--max-connections-per-ip",
            "2",
            "--header-read-timeout",
            "3",
            "--events-per-second",
            "5",
            "--event-burst",
            "7",
            "--max-in-flight",
            "4",
            "--max-dynamic-namespaces",
            "9",
        ])
        .command
        else {
            panic!("serve expected");
        };
        let config = args.into_config();
        assert!(!config.check_origin);
        assert_eq!(config.max_connections, 10);
        assert_eq!(config.max_connections_per_ip, 2);
        assert_eq!(config.header_read_timeout, Duration::from_secs(3));
        assert_eq!(config.events_per_second, 5);
        assert_eq!(config.event_burst, 7);
        assert_eq!(config.max_in_flight, 4);
        assert_eq!(config.max_dynamic_namespaces, 9);
        // A zero timeout or burst would refuse everything: a usage error.
        assert!(Cli::try_parse_from(["server", "serve", "--header-read-timeout", "0"]).is_err());
        assert!(Cli::try_parse_from(["server", "serve", "--event-burst", "0"]).is_err());
    }

    #[test]
    fn metrics_endpoint() {
        use super::super::MetricsEndpoint;
        for (value, expected) in [
            ("on", MetricsEndpoint::SamePort),
            ("OFF", MetricsEndpoint::Off),
            (
                "127.0.0.1:9100",
                MetricsEndpoint::Listen("127.0.0.1:9100".parse().unwrap()),
            ),
        ] {
            let Some(Command::Serve(args)) = parse(&["serve", "--metrics", value]).command else {
                panic!("serve expected");
            };
            assert_eq!(args.into_config().metrics, expected, "{value}");
        }
        assert!(Cli::try_parse_from(["server", "serve", "--metrics", "maybe"]).is_err());
        assert_eq!(ServerConfig::default().metrics, MetricsEndpoint::SamePort);
    }

    #[test]
    fn an_empty_static_folder_is_refused_not_the_current_one() {
        assert!(Cli::try_parse_from(["server", "serve", "--static", ""]).is_err());
    }

    #[test]
    fn no_command_and_others() {
        assert!(parse(&[]).command.is_none());
        assert!(matches!(parse(&["events"]).command, Some(Command::Events)));
        assert!(matches!(parse(&["spec"]).command, Some(Command::Spec)));
    }

    #[cfg(feature = "monitor-cli")]
    #[test]
    fn monitor_command() {
        let Some(Command::Monitor(args)) = parse(&[
            "monitor",
            "http://h:1",
            "--token",
            "t",
            "--monitor-namespace",
            "/ops",
        ])
        .command
        else {
            panic!("monitor expected");
        };
        let target = args.connect.target(args.url.as_deref()).unwrap();
        assert_eq!(target.label(), "http://h:1/ops");
        assert_eq!(target.token.as_deref(), Some("t"));
    }

    #[test]
    fn defaults() {
        let config = ServerConfig::default();
        assert_eq!(config.host, "127.0.0.1");
        assert_eq!(config.port, 3000);
        assert_eq!(config.max_message_bytes, 1 << 20);
        assert_eq!(config.transport_limit(), 2 << 20);
        assert_eq!(config.cors_origins.len(), 2);
        assert_eq!(config.static_dir, None);
        assert!(config.check_origin);
        assert_eq!(config.max_connections, 4096);
        assert_eq!(config.max_connections_per_ip, 64);
        assert_eq!(config.header_read_timeout, Duration::from_secs(10));
        assert_eq!(config.events_per_second, 50);
        assert_eq!(config.event_burst, 100);
        assert_eq!(config.max_in_flight, 16);
        assert_eq!(config.max_dynamic_namespaces, 10_000);
        // The command line's defaults are the same.
        let Some(Command::Serve(args)) = parse(&["serve"]).command else {
            panic!("serve expected");
        };
        let parsed = args.into_config();
        assert_eq!(parsed.check_origin, config.check_origin);
        assert_eq!(parsed.max_connections, config.max_connections);
        assert_eq!(parsed.header_read_timeout, config.header_read_timeout);
        assert_eq!(parsed.events_per_second, config.events_per_second);
        assert_eq!(parsed.max_dynamic_namespaces, config.max_dynamic_namespaces);
    }
}
