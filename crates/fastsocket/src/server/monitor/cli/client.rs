//! The connection to a server's monitoring namespace: a Socket.IO client (rust_socketio) that sends the token as
//! `auth.token`, reconnects after the server goes away, and turns what arrives into [`MonitorEvent`]s.

use std::fmt;
use std::time::Duration;

use futures_util::FutureExt as _;
use futures_util::future::BoxFuture;
use rust_socketio::asynchronous::{Client, ClientBuilder, ReconnectSettings};
use rust_socketio::{Event, Payload};
use serde_json::Value;
use tokio::sync::mpsc;

use crate::server::monitor::protocol::{
    ACTIVITY_EVENT, ActivityMessage, DEFAULT_MONITOR_NAMESPACE, STATS_EVENT, StatsSnapshot,
};

/// How long [`Connection::open`] waits for the namespace to admit or refuse the client, by default.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Messages buffered between the socket and the reader. When the reader falls behind, the socket stops being
/// read: the server's own bounded buffer then drops (and counts) what this monitor cannot take.
const CHANNEL_CAPACITY: usize = 1024;

/// The prefix rust_socketio puts before the data of a `CONNECT_ERROR` packet in its `error` callback.
const CONNECT_ERROR_PREFIX: &str = "Received an ConnectError frame: ";

/// Where to connect: the server, the monitoring namespace and the token.
#[derive(Clone)]
pub struct Target {
    /// The server's base URL (`http://127.0.0.1:3000`; `https://` works too).
    pub url: String,
    /// The monitoring namespace ([`DEFAULT_MONITOR_NAMESPACE`] unless the server says otherwise).
    pub namespace: String,
    /// The monitor token, sent as `auth.token`. `None` sends no `auth` (the server refuses it).
    pub token: Option<String>,
    /// How long to wait for the namespace to admit or refuse the client.
    pub connect_timeout: Duration,
}

impl Target {
    /// A target from a URL as an operator types it: `host:port` gets `http://`; a path other than `/`
    /// names the namespace, as in socket.io-client (`http://host:3000/_monitor`), unless `namespace` is given.
    pub fn new(
        url: &str,
        namespace: Option<&str>,
        token: Option<String>,
    ) -> Result<Self, RemoteError> {
        let url = url.trim();
        if url.is_empty() {
            return Err(RemoteError::InvalidUrl {
                url: url.to_owned(),
                reason: "empty".to_owned(),
            });
        }
        let with_scheme = if url.contains("://") {
            url.to_owned()
        } else {
            format!("http://{url}")
        };
        let (scheme, rest) = with_scheme
            .split_once("://")
            .unwrap_or(("http", with_scheme.as_str()));
        if !matches!(scheme, "http" | "https" | "ws" | "wss") {
            return Err(RemoteError::InvalidUrl {
                url: url.to_owned(),
                reason: format!("`{scheme}://` is not http(s)"),
            });
        }
        // rust_socketio speaks Engine.IO over HTTP first; ws(s) URLs name the same server.
        let scheme = match scheme {
            "ws" => "http",
            "wss" => "https",
            other => other,
        };
        let (authority, path) = match rest.find(['/', '?', '#']) {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        if authority.is_empty() {
            return Err(RemoteError::InvalidUrl {
                url: url.to_owned(),
                reason: "no host".to_owned(),
            });
        }
        let path = path
            .split(['?', '#'])
            .next()
            .unwrap_or("")
            .trim_end_matches('/');
        let namespace = match namespace.map(str::trim).filter(|ns| !ns.is_empty()) {
            Some(ns) => normalise_namespace(ns),
            None if !path.is_empty() => path.to_owned(),
            None => DEFAULT_MONITOR_NAMESPACE.to_owned(),
        };
        Ok(Target {
            url: format!("{scheme}://{authority}"),
            namespace,
            token: token.filter(|t| !t.is_empty()),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
        })
    }

    /// `url` and namespace, for messages (never the token).
    pub fn label(&self) -> String {
        format!("{}{}", self.url, self.namespace)
    }
}

impl fmt::Debug for Target {
    /// Never shows the token.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target")
            .field("url", &self.url)
            .field("namespace", &self.namespace)
            .field("token", &self.token.as_ref().map(|_| "***"))
            .field("connect_timeout", &self.connect_timeout)
            .finish()
    }
}

fn normalise_namespace(namespace: &str) -> String {
    let namespace = namespace.trim();
    if namespace.starts_with('/') {
        namespace.to_owned()
    } else {
        format!("/{namespace}")
    }
}

/// Why the monitoring stream could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    /// The URL is not one to connect to.
    #[error("invalid URL `{url}`: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The server could not be reached.
    #[error("cannot reach {target} (is the server running?): {message}")]
    Unreachable {
        /// URL and namespace.
        target: String,
        /// The transport's error.
        message: String,
    },
    /// The namespace refused the client (`connect_error`): a missing or wrong token, or no monitor there.
    #[error("{target} refused the monitor: {message} ({})", refusal_hint(.message))]
    Refused {
        /// URL and namespace.
        target: String,
        /// The server's `connect_error` message.
        message: String,
    },
    /// The namespace neither admitted nor refused the client in time.
    #[error("{target} did not answer within {timeout:?}")]
    Timeout {
        /// URL and namespace.
        target: String,
        /// How long it was given.
        timeout: Duration,
    },
    /// The connection ended and will not come back.
    #[error("the connection to {target} closed")]
    Closed {
        /// URL and namespace.
        target: String,
    },
    /// Writing the output (or driving the terminal) failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// What to check after a refusal: socketioxide refuses a namespace it does not serve with `Invalid namespace`.
fn refusal_hint(message: &str) -> &'static str {
    if message == "Invalid namespace" {
        "the server serves no such namespace: is its monitor on (FASTSOCKET_MONITOR_TOKENS set) and the namespace \
         right (--monitor-namespace)?"
    } else {
        "check the token: --token or FASTSOCKET_MONITOR_TOKEN, one of the server's FASTSOCKET_MONITOR_TOKENS"
    }
}

/// What the monitoring namespace said.
#[derive(Debug, Clone, PartialEq)]
pub enum MonitorEvent {
    /// The namespace admitted the client (again, after a reconnection).
    Connected,
    /// The connection was lost; the client is trying again.
    Reconnecting,
    /// One [`ActivityMessage`].
    Activity(ActivityMessage),
    /// One [`StatsSnapshot`].
    Stats(Box<StatsSnapshot>),
    /// A message that is not what the protocol says (a newer server?): skipped and counted.
    Undecodable {
        /// `activity` or `stats`.
        event: &'static str,
        /// Why it did not decode.
        error: String,
    },
}

/// What the socket's callbacks hand to the reader.
enum Signal {
    Event(MonitorEvent),
    Refused(String),
}

/// An open connection to a monitoring namespace. Dropping it disconnects.
pub struct Connection {
    client: Option<Client>,
    signals: mpsc::Receiver<Signal>,
    target: Target,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// Connects and waits until the namespace admits the client: an error when the server cannot be reached,
    /// refuses the token ([`RemoteError::Refused`]) or does not answer within the target's timeout. Once
    /// admitted, a lost connection is retried for ever (1 to 5 s apart), with the same token.
    pub async fn open(target: Target) -> Result<Self, RemoteError> {
        let (tx, signals) = mpsc::channel(CHANNEL_CAPACITY);
        let mut builder = ClientBuilder::new(target.url.clone())
            .namespace(target.namespace.clone())
            .reconnect(true)
            .reconnect_on_disconnect(true)
            .reconnect_delay(1000, 5000);
        if let Some(token) = &target.token {
            builder = builder.auth(serde_json::json!({ "token": token }));
        }
        let client = builder
            .on(
                Event::Connect,
                forward(&tx, |_| Some(Signal::Event(MonitorEvent::Connected))),
            )
            .on(Event::Error, forward(&tx, error_signal))
            .on(
                ACTIVITY_EVENT,
                forward(&tx, |payload| {
                    Some(Signal::Event(decode(
                        ACTIVITY_EVENT,
                        payload,
                        MonitorEvent::Activity,
                    )))
                }),
            )
            .on(
                STATS_EVENT,
                forward(&tx, |payload| {
                    Some(Signal::Event(decode(STATS_EVENT, payload, |s| {
                        MonitorEvent::Stats(Box::new(s))
                    })))
                }),
            )
            .on_reconnect({
                let tx = tx.clone();
                move || {
                    let tx = tx.clone();
                    async move {
                        let _ = tx.send(Signal::Event(MonitorEvent::Reconnecting)).await;
                        ReconnectSettings::new()
                    }
                    .boxed()
                }
            })
            .connect()
            .await
            .map_err(|error| RemoteError::Unreachable {
                target: target.label(),
                message: error_chain(&error),
            })?;
        let mut connection = Connection {
            client: Some(client),
            signals,
            target,
        };
        let admitted = tokio::time::timeout(connection.target.connect_timeout, async {
            loop {
                match connection.signals.recv().await {
                    Some(Signal::Event(MonitorEvent::Connected)) => return Ok(()),
                    // Anything before the namespace's answer is not for us yet.
                    Some(Signal::Event(_)) => {}
                    Some(Signal::Refused(message)) => return Err(connection.refused(message)),
                    None => return Err(connection.closed()),
                }
            }
        })
        .await;
        match admitted {
            Ok(Ok(())) => Ok(connection),
            Ok(Err(error)) => {
                connection.close().await;
                Err(error)
            }
            Err(_) => {
                let error = RemoteError::Timeout {
                    target: connection.target.label(),
                    timeout: connection.target.connect_timeout,
                };
                connection.close().await;
                Err(error)
            }
        }
    }

    /// The next event: [`MonitorEvent::Reconnecting`] and [`MonitorEvent::Connected`] around a lost
    /// connection; an error when the namespace refuses the client (a token revoked while reconnecting).
    pub async fn next(&mut self) -> Result<MonitorEvent, RemoteError> {
        match self.signals.recv().await {
            Some(Signal::Event(event)) => Ok(event),
            Some(Signal::Refused(message)) => Err(self.refused(message)),
            None => Err(self.closed()),
        }
    }

    /// Where this connection goes.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Disconnects (no reconnection after this).
    pub async fn close(mut self) {
        if let Some(client) = self.client.take() {
            let _ = client.disconnect().await;
        }
    }

    fn refused(&self, message: String) -> RemoteError {
        RemoteError::Refused {
            target: self.target.label(),
            message,
        }
    }

    fn closed(&self) -> RemoteError {
        RemoteError::Closed {
            target: self.target.label(),
        }
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        // Without this the client's task would go on reconnecting for the life of the process.
        if let Some(client) = self.client.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(async move {
                let _ = client.disconnect().await;
            });
        }
    }
}

/// An error and its sources, `: `-separated (rust_socketio's own message alone says only "EngineIO Error").
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// A callback that turns a payload into a signal and hands it to the reader. It waits when the reader is
/// behind (so the socket is not read meanwhile) and does nothing once the reader is gone.
fn forward(
    tx: &mpsc::Sender<Signal>,
    to_signal: impl Fn(Payload) -> Option<Signal> + Send + Sync + 'static,
) -> impl FnMut(Payload, Client) -> BoxFuture<'static, ()> + Send + Sync + 'static {
    let tx = tx.clone();
    move |payload, _client| {
        let tx = tx.clone();
        let signal = to_signal(payload);
        async move {
            if let Some(signal) = signal {
                let _ = tx.send(signal).await;
            }
        }
        .boxed()
    }
}

/// rust_socketio reports a namespace's `connect_error` and transport errors through the same `error` callback;
/// only the former ends the stream (transport errors are followed by a reconnection).
fn error_signal(payload: Payload) -> Option<Signal> {
    let text = first_value(payload).and_then(|value| match value {
        Value::String(text) => Some(text),
        _ => None,
    })?;
    let data = text.strip_prefix(CONNECT_ERROR_PREFIX)?;
    Some(Signal::Refused(connect_error_message(data)))
}

/// The `message` of a `connect_error`'s data (`{"message": "…"}`), else the data itself.
fn connect_error_message(data: &str) -> String {
    match serde_json::from_str::<Value>(data) {
        Ok(Value::Object(object)) => match object.get("message") {
            Some(Value::String(message)) => message.clone(),
            _ => data.to_owned(),
        },
        Ok(Value::String(message)) => message,
        _ => data.to_owned(),
    }
}

fn first_value(payload: Payload) -> Option<Value> {
    match payload {
        Payload::Text(values) => values.into_iter().next(),
        #[allow(deprecated)]
        Payload::String(text) => Some(Value::String(text)),
        Payload::Binary(_) => None,
    }
}

fn decode<T: serde::de::DeserializeOwned>(
    event: &'static str,
    payload: Payload,
    wrap: impl FnOnce(T) -> MonitorEvent,
) -> MonitorEvent {
    let Some(value) = first_value(payload) else {
        return MonitorEvent::Undecodable {
            event,
            error: "no JSON argument".to_owned(),
        };
    };
    match serde_json::from_value(value) {
        Ok(message) => wrap(message),
        Err(error) => MonitorEvent::Undecodable {
            event,
            error: error.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_as_operators_type_them() {
        let target = Target::new("127.0.0.1:3000", None, Some("t".into())).unwrap();
        assert_eq!(target.url, "http://127.0.0.1:3000");
        assert_eq!(target.namespace, "/_monitor");
        let target = Target::new("https://example.test/ops/", None, None).unwrap();
        assert_eq!(target.url, "https://example.test");
        assert_eq!(target.namespace, "/ops");
        let target = Target::new("ws://h:1/x?y=1", Some("mon"), None).unwrap();
        assert_eq!(target.url, "http://h:1");
        assert_eq!(target.namespace, "/mon");
        assert_eq!(target.label(), "http://h:1/mon");
        for bad in ["", "  ", "ftp://h", "http://", "http:///x"] {
            assert!(Target::new(bad, None, None).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_token_never_shows() {
        let target = Target::new("h:1", None, Some("s3cret".into())).unwrap();
        let shown = format!("{target:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("***"), "{shown}");
        // An empty token is no token.
        assert!(
            Target::new("h:1", None, Some(String::new()))
                .unwrap()
                .token
                .is_none()
        );
    }

    #[test]
    fn refusals_are_told_from_transport_errors() {
        let refused =
            |text: &str| match error_signal(Payload::from(vec![Value::String(text.into())])) {
                Some(Signal::Refused(message)) => Some(message),
                _ => None,
            };
        assert_eq!(
            refused(r#"Received an ConnectError frame: {"message":"unauthorized: wrong token"}"#)
                .as_deref(),
            Some("unauthorized: wrong token")
        );
        assert_eq!(
            refused("Received an ConnectError frame: \"No error message provided\"").as_deref(),
            Some("No error message provided")
        );
        assert_eq!(
            refused("Received an ConnectError frame: not json").as_deref(),
            Some("not json")
        );
        assert_eq!(refused("EngineIO Error: connection reset"), None);
        assert!(error_signal(Payload::Binary(Default::default())).is_none());
    }

    #[test]
    fn refusals_say_what_to_check() {
        let refused = |message: &str| RemoteError::Refused {
            target: "http://h/_monitor".into(),
            message: message.into(),
        };
        let shown = refused("Invalid namespace").to_string();
        assert!(shown.contains("--monitor-namespace"), "{shown}");
        let shown = refused("unauthorized").to_string();
        assert!(shown.contains("FASTSOCKET_MONITOR_TOKEN"), "{shown}");
    }

    #[test]
    fn messages_that_do_not_decode_are_counted_not_fatal() {
        let event = decode::<ActivityMessage>(
            ACTIVITY_EVENT,
            Payload::from(serde_json::json!({"kind": "nope"})),
            MonitorEvent::Activity,
        );
        assert!(
            matches!(
                event,
                MonitorEvent::Undecodable {
                    event: "activity",
                    ..
                }
            ),
            "{event:?}"
        );
        let event = decode::<ActivityMessage>(
            ACTIVITY_EVENT,
            Payload::Text(vec![]),
            MonitorEvent::Activity,
        );
        assert!(
            matches!(event, MonitorEvent::Undecodable { .. }),
            "{event:?}"
        );
    }
}
