//! The Rust client of the interop suite: `rust_socketio` (protocol 5, as socket.io-client 4) against the chat
//! server, with bounded waits. The server is the one at `CHAT_URL` (started by `cargo xtask chat-interop`,
//! with `CHAT_TOKEN` and `CHAT_KEY`), else one started in this process on a free port.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use fastsocket::server::{ServerConfig, ServerHandle, TokenList};
use fastsocket_chat::generated::server::{SPEC, register};
use fastsocket_chat::handlers::Handlers;
use futures_util::FutureExt as _;
use rust_socketio::asynchronous::{Client as SioClient, ClientBuilder};
use rust_socketio::{Event, Payload, TransportType};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

/// Every wait is bounded by this: generous, so a slow machine does not fail a correct server.
pub const WAIT: Duration = Duration::from_secs(10);

/// The server under test and the credentials it accepts.
pub struct Server {
    pub url: String,
    pub token: String,
    pub key: String,
    /// Kept alive while the tests run (none for a server started elsewhere).
    _handle: Option<ServerHandle>,
}

/// The server at `CHAT_URL`, else a fresh one in this process.
pub async fn server() -> Server {
    if let Ok(url) = std::env::var("CHAT_URL") {
        let var = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"));
        return Server {
            url,
            token: var("CHAT_TOKEN"),
            key: var("CHAT_KEY"),
            _handle: None,
        };
    }
    local_server(ServerConfig::default()).await
}

/// A fresh server in this process with `config` (on a free port), whatever `CHAT_URL` says.
pub async fn local_server(config: ServerConfig) -> Server {
    local_server_with(config, |app| register(app, Handlers::default())).await
}

/// A fresh server in this process with `config`, whose namespaces `install` registers.
pub async fn local_server_with(
    config: ServerConfig,
    install: impl FnOnce(&fastsocket::server::App),
) -> Server {
    let (token, key) = ("rust-token-1", "rust-key-2");
    let config = ServerConfig { port: 0, ..config };
    let (addr, handle) = fastsocket::server::serve(
        &SPEC,
        config,
        TokenList::new(vec![token.to_owned(), key.to_owned()]),
        install,
    )
    .await
    .expect("the server starts");
    Server {
        url: format!("http://{addr}"),
        token: token.to_owned(),
        key: key.to_owned(),
        _handle: Some(handle),
    }
}

impl Server {
    /// The running server's handle (`None` for a server started elsewhere).
    pub fn handle(&self) -> Option<&ServerHandle> {
        self._handle.as_ref()
    }
}

/// A name no other test uses, valid as a user name and (lower-cased) as a room id.
pub fn unique(prefix: &str) -> String {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{prefix}{}x{n}", std::process::id())
}

enum Outcome {
    Connected,
    Refused(String),
}

/// A connected client and the events it received (name, first argument).
pub struct Client {
    sio: SioClient,
    events: mpsc::UnboundedReceiver<(String, Value)>,
}

/// Connects to `namespace` (`query` goes to the handshake URL, `auth` to the CONNECT packet): `Ok` once
/// connected, `Err(message)` for a `connect_error`.
pub async fn connect(
    server: &Server,
    namespace: &str,
    query: &str,
    auth: Option<Value>,
    transport: &TransportType,
) -> Result<Client, String> {
    let (outcome_tx, mut outcome) = mpsc::unbounded_channel();
    let (event_tx, events) = mpsc::unbounded_channel();
    let on_error = outcome_tx.clone();
    let mut builder = ClientBuilder::new(format!("{}/?{query}", server.url))
        .namespace(namespace)
        .transport_type(transport.clone())
        .reconnect(false)
        .reconnect_on_disconnect(false)
        .on(Event::Connect, move |_, _| {
            let _ = outcome_tx.send(Outcome::Connected);
            async {}.boxed()
        })
        .on(Event::Error, move |payload, _| {
            let _ = on_error.send(Outcome::Refused(format!("{payload:?}")));
            async {}.boxed()
        })
        .on_any(move |event, payload, _| {
            let _ = event_tx.send((event.as_str().to_owned(), first_arg(&payload)));
            async {}.boxed()
        });
    if let Some(auth) = auth {
        builder = builder.auth(auth);
    }
    let sio = builder
        .connect()
        .await
        .map_err(|e| format!("transport: {e}"))?;
    match tokio::time::timeout(WAIT, outcome.recv()).await {
        Ok(Some(Outcome::Connected)) => Ok(Client { sio, events }),
        Ok(Some(Outcome::Refused(message))) => Err(message),
        Ok(None) => Err("the client stopped".to_owned()),
        Err(_) => Err("no answer to CONNECT".to_owned()),
    }
}

/// Connects as `username`, or fails the test.
pub async fn join(
    server: &Server,
    namespace: &str,
    username: &str,
    transport: &TransportType,
) -> Client {
    connect(
        server,
        namespace,
        &format!("username={username}"),
        None,
        transport,
    )
    .await
    .unwrap_or_else(|e| panic!("cannot connect to {namespace} as {username}: {e}"))
}

fn first_arg(payload: &Payload) -> Value {
    match payload {
        Payload::Text(args) => args.first().cloned().unwrap_or(Value::Null),
        other => panic!("unexpected payload {other:?}"),
    }
}

impl Client {
    /// Emits with an acknowledgement and returns its first argument.
    pub async fn ack(&self, event: &str, payload: Value) -> Value {
        let (tx, rx) = oneshot::channel();
        let tx = Arc::new(Mutex::new(Some(tx)));
        self.sio
            .emit_with_ack(
                event,
                Payload::Text(vec![payload]),
                WAIT,
                move |answer, _| {
                    if let Some(tx) = tx.lock().unwrap().take() {
                        // rust_socketio hands the acknowledgement's argument list as one array.
                        let first = match first_arg(&answer) {
                            Value::Array(args) => args.into_iter().next().unwrap_or(Value::Null),
                            other => other,
                        };
                        let _ = tx.send(first);
                    }
                    async {}.boxed()
                },
            )
            .await
            .expect("emit");
        tokio::time::timeout(WAIT, rx)
            .await
            .unwrap_or_else(|_| panic!("no acknowledgement for `{event}`"))
            .expect("ack channel")
    }

    /// Emits without an acknowledgement.
    pub async fn emit(&self, event: &str, payload: Value) {
        self.sio
            .emit(event, Payload::Text(vec![payload]))
            .await
            .expect("emit");
    }

    /// The next event called `name` (others before it are skipped).
    pub async fn next(&mut self, name: &str) -> Value {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some((event, payload))) if event == name => return payload,
                Ok(Some(_)) => {}
                Ok(None) => panic!("the client stopped while waiting for `{name}`"),
                Err(_) => panic!("no `{name}` event"),
            }
        }
    }

    pub async fn close(self) {
        let _ = self.sio.disconnect().await;
    }
}

/// The error envelope's `code`, or panics with the value.
pub fn code(answer: &Value) -> &str {
    answer["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("not an error envelope: {answer}"))
}

/// The JSON pointers of an error envelope's details.
pub fn paths(answer: &Value) -> Vec<&str> {
    answer["error"]["details"]
        .as_array()
        .map(|details| details.iter().filter_map(|d| d["path"].as_str()).collect())
        .unwrap_or_default()
}
