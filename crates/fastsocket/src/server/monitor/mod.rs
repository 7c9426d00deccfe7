//! Live monitoring: what the monitoring namespace (`/_monitor` by default) streams to operators, and the tools
//! that read it.
//!
//! The wire format is [`protocol`]: one [`protocol::ActivityMessage`] per connect, refusal, disconnect, event
//! received and event emitted, and a [`protocol::StatsSnapshot`] every second (and one at once when a monitor
//! client joins).
//!
//! The namespace exists only when [`MonitorConfig::tokens`] holds a token (`FASTSOCKET_MONITOR_TOKENS`,
//! comma-separated); a client sends one as `auth.token`, the handshake query's `token` or an
//! `Authorization: Bearer` header, and is refused without one or with a wrong one (compared in constant time).
//! Its own clients are neither reported nor counted. The monitor is an [`Observer`] of the server: it
//! never waits on a monitor client (bounded buffers, drops counted in [`protocol::StatsSnapshot::dropped`]).

#[cfg(feature = "monitor-cli")]
pub mod cli;
mod histogram;
mod hub;
pub mod protocol;
mod stats;

use std::fmt;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use socketioxide::extract::TryData;
use socketioxide::handler::ConnectHandler as _;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use self::hub::Hub;
use self::protocol::{
    ActivityKind, ActivityMessage, DEFAULT_MONITOR_NAMESPACE, DroppedCounts, EventDirection,
    STATS_EVENT, StatsSnapshot,
};
use self::stats::Stats;
use super::auth::{Handshake, constant_time_eq};
use super::cluster::SocketRef;
use super::error::EmitError;
use super::namespace::App;
use super::observe::{Activity, Observer, Outcome};
use super::params::match_path;

/// The environment variable of [`MonitorConfig::tokens`].
pub const MONITOR_TOKENS_ENV: &str = "FASTSOCKET_MONITOR_TOKENS";
/// The environment variable of [`MonitorConfig::namespace`].
pub const MONITOR_NAMESPACE_ENV: &str = "FASTSOCKET_MONITOR_NAMESPACE";

/// How often a [`StatsSnapshot`] is sent.
pub const STATS_INTERVAL: Duration = Duration::from_secs(1);

/// Where the monitor is served and who may read it.
#[derive(Clone)]
pub struct MonitorConfig {
    /// The namespace (`FASTSOCKET_MONITOR_NAMESPACE`, default [`DEFAULT_MONITOR_NAMESPACE`]). It must start
    /// with `/` and be no namespace of the API.
    pub namespace: String,
    /// The tokens that admit a monitor client (`FASTSOCKET_MONITOR_TOKENS`, comma-separated). Empty (the
    /// default): there is no monitoring namespace.
    pub tokens: Vec<String>,
}

impl Default for MonitorConfig {
    fn default() -> Self {
        MonitorConfig {
            namespace: DEFAULT_MONITOR_NAMESPACE.to_owned(),
            tokens: Vec::new(),
        }
    }
}

// Tokens are secrets: `Debug` shows how many there are, never what they are.
impl fmt::Debug for MonitorConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MonitorConfig")
            .field("namespace", &self.namespace)
            .field("tokens", &format_args!("[{} hidden]", self.tokens.len()))
            .finish()
    }
}

impl MonitorConfig {
    /// Whether a monitor is served (a token is configured).
    pub fn enabled(&self) -> bool {
        !self.tokens.is_empty()
    }

    /// Whether `token` is one of the tokens: every token is compared, each in constant time.
    fn admits(&self, token: &str) -> bool {
        self.tokens.iter().fold(false, |found, known| {
            constant_time_eq(known.as_bytes(), token.as_bytes()) | found
        })
    }
}

/// The monitor of a running server; dropping it stops the stats ticker.
#[derive(Debug)]
pub(crate) struct MonitorTask {
    ticker: JoinHandle<()>,
}

impl Drop for MonitorTask {
    fn drop(&mut self) {
        self.ticker.abort();
    }
}

/// The observer that feeds the hub and the stats.
struct Monitor {
    hub: Arc<Hub>,
    stats: Stats,
    /// The last snapshot, for a monitor client that just joined.
    last: Mutex<Option<StatsSnapshot>>,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The wire name of why an emit failed.
fn emit_error_code(error: &EmitError) -> &'static str {
    match error {
        EmitError::Invalid(_) => "validation_failed",
        EmitError::Socket(_) => "not_sent",
    }
}

impl Observer for Monitor {
    fn observe(&self, activity: &Activity<'_>) {
        match *activity {
            Activity::Connected { pattern, .. } => self.stats.socket(pattern, true),
            Activity::Disconnected { pattern, .. } => self.stats.socket(pattern, false),
            Activity::Refused { .. } => {}
            Activity::Event(record) => self.stats.record(
                Some(record.pattern),
                if record.declared {
                    record.event
                } else {
                    stats::UNKNOWN_EVENT
                },
                EventDirection::In,
                record.outcome.code().map(|c| c.as_str()),
                Some(record.latency),
            ),
            Activity::Emitted {
                pattern,
                event,
                outcome,
                ..
            } => self.stats.record(
                pattern,
                event,
                EventDirection::Out,
                outcome.err().map(emit_error_code),
                None,
            ),
        }
        // Messages are built only for a listening monitor client: without one, monitoring costs the counters.
        if self.hub.has_readers() {
            self.hub.publish(message(activity));
        }
    }
}

/// The wire form of one activity.
fn message(activity: &Activity<'_>) -> ActivityMessage {
    let base = |kind, namespace: &str, socket: String| ActivityMessage {
        ts_ms: now_ms(),
        kind,
        namespace: namespace.to_owned(),
        socket,
        event: None,
        principal: None,
        outcome: None,
        message: None,
        latency_us: None,
        size: None,
    };
    match *activity {
        Activity::Connected {
            namespace,
            socket,
            principal,
            ..
        } => ActivityMessage {
            principal: principal.map(str::to_owned),
            ..base(ActivityKind::Connected, namespace, socket.to_string())
        },
        Activity::Refused {
            namespace,
            socket,
            reason,
            ..
        } => ActivityMessage {
            message: Some(reason.to_owned()),
            ..base(ActivityKind::Refused, namespace, socket.to_string())
        },
        Activity::Disconnected {
            namespace,
            socket,
            reason,
            ..
        } => ActivityMessage {
            message: Some(reason.to_string()),
            ..base(ActivityKind::Disconnected, namespace, socket.to_string())
        },
        Activity::Event(record) => ActivityMessage {
            event: Some(record.event.to_owned()),
            principal: record.principal.map(str::to_owned),
            outcome: Some(record.outcome.as_str().to_owned()),
            message: match record.outcome {
                Outcome::Handled => None,
                Outcome::Error(error) => Some(error.message().to_owned()),
            },
            latency_us: Some(u64::try_from(record.latency.as_micros()).unwrap_or(u64::MAX)),
            size: Some(record.size as u64),
            ..base(
                ActivityKind::EventIn,
                record.namespace,
                record.socket.to_string(),
            )
        },
        Activity::Emitted {
            namespace,
            event,
            socket,
            outcome,
            ..
        } => ActivityMessage {
            event: Some(event.to_owned()),
            outcome: Some(outcome.err().map_or("ok", emit_error_code).to_owned()),
            message: outcome.err().map(ToString::to_string),
            ..base(
                ActivityKind::EventOut,
                namespace,
                socket.map(|s| s.to_string()).unwrap_or_default(),
            )
        },
    }
}

/// Why a monitor client may not join: its `connect_error` message.
#[derive(Debug)]
struct Refusal(&'static str);

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// The token a monitor client sent: `auth.token`, the handshake query's `token`, or `Authorization: Bearer`.
fn sent_token(socket: &SocketRef, auth: &Value) -> Option<String> {
    let parts = socket.req_parts();
    let handshake = Handshake {
        auth,
        headers: &parts.headers,
        query: parts.uri.query(),
    };
    handshake
        .auth_str("token")
        .or_else(|| handshake.query_param("token"))
        .or_else(|| handshake.authorization("Bearer"))
}

/// Checks that the monitoring namespace is no namespace of the API.
fn check_namespace(app: &App, namespace: &str) -> io::Result<()> {
    let invalid = |message: String| Err(io::Error::new(io::ErrorKind::InvalidInput, message));
    if !namespace.starts_with('/') || namespace.contains(['{', '}', '?', '#']) {
        return invalid(format!(
            "the monitoring namespace `{namespace}` must be a path starting with `/` ({MONITOR_NAMESPACE_ENV})"
        ));
    }
    let taken = app
        .spec()
        .events
        .iter()
        .map(|e| e.namespace)
        .find(|pattern| *pattern == namespace || match_path(pattern, namespace).is_some());
    if let Some(pattern) = taken.or_else(|| app.io().of(namespace).map(|_| namespace)) {
        return invalid(format!(
            "the monitoring namespace `{namespace}` is taken by the API's namespace `{pattern}`: choose another \
             with {MONITOR_NAMESPACE_ENV}"
        ));
    }
    Ok(())
}

/// Serves the monitor on `app` when `config` has a token: the observer, the namespace, the ticker. `None`
/// when monitoring is off; an error when the namespace is not usable.
pub(crate) fn install(app: &App, config: &MonitorConfig) -> io::Result<Option<MonitorTask>> {
    if !config.enabled() {
        return Ok(None);
    }
    check_namespace(app, &config.namespace)?;
    let monitor = Arc::new(Monitor {
        hub: Arc::new(Hub::new()),
        stats: Stats::new(app.spec()),
        last: Mutex::new(None),
    });
    {
        let monitor = monitor.clone();
        app.observe(move |activity: &Activity<'_>| monitor.observe(activity));
    }
    {
        let hub = monitor.hub.clone();
        super::metrics::register_dropped("monitor", move || hub.dropped());
    }

    let config = Arc::new(config.clone());
    let admit = {
        let config = config.clone();
        let monitor = monitor.clone();
        move |socket: SocketRef, TryData(auth): TryData<Value>| {
            let config = config.clone();
            let monitor = monitor.clone();
            async move {
                let auth = auth.unwrap_or(Value::Null);
                let refusal = match sent_token(&socket, &auth) {
                    None => Refusal(
                        "unauthorized: missing monitor token (auth.token, ?token= or Authorization: Bearer)",
                    ),
                    Some(token) if config.admits(&token) => {
                        // Subscribed before the client is told it is connected: it misses nothing after that.
                        let left = Arc::new(Notify::new());
                        {
                            let left = left.clone();
                            socket.on_disconnect(move |_: SocketRef| {
                                let left = left.clone();
                                async move { left.notify_one() }
                            });
                        }
                        monitor.hub.subscribe(socket, left);
                        return Ok(());
                    }
                    Some(_) => Refusal("unauthorized: wrong monitor token"),
                };
                tracing::warn!(target: "fastsocket", namespace = socket.ns(), socket = %socket.id, reason = refusal.0, "monitor refused");
                Err(refusal)
            }
        }
    };
    let connected = {
        let monitor = monitor.clone();
        move |socket: SocketRef| {
            let monitor = monitor.clone();
            async move {
                tracing::info!(target: "fastsocket", namespace = socket.ns(), socket = %socket.id, "monitor connected");
                let last = monitor
                    .last
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .clone();
                if let Some(snapshot) = last {
                    let _ = socket.emit(STATS_EVENT, &snapshot);
                }
            }
        }
    };
    app.add_pending(app.io().ns(config.namespace.clone(), connected.with(admit)));

    let io = app.io().clone();
    let namespace = config.namespace.clone();
    let ticker = tokio::spawn(async move {
        let mut interval = tokio::time::interval(STATS_INTERVAL);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The first tick is immediate: skip it, so the first window is a whole second.
        interval.tick().await;
        loop {
            interval.tick().await;
            let dropped = DroppedCounts {
                monitor: monitor.hub.dropped(),
                logs: super::logs::dropped_records(),
            };
            let snapshot = monitor.stats.snapshot(now_ms(), dropped);
            if let Some(operators) = io.of(&namespace)
                && let Err(socketioxide::BroadcastError::Socket(failed)) =
                    operators.emit(STATS_EVENT, &snapshot).await
            {
                monitor.hub.count_dropped(failed.len() as u64);
            }
            *monitor
                .last
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(snapshot);
        }
    });
    Ok(Some(MonitorTask { ticker }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_hidden_and_compared_whole() {
        let config = MonitorConfig {
            tokens: vec!["s3cret".into(), "other".into()],
            ..MonitorConfig::default()
        };
        assert!(!format!("{config:?}").contains("s3cret"));
        assert!(config.admits("s3cret") && config.admits("other"));
        assert!(!config.admits("s3cre") && !config.admits("s3crett") && !config.admits(""));
        assert!(!MonitorConfig::default().enabled());
    }
}
