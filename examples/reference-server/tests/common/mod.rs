//! Test harness: the reference server on a free loopback port, and a real Socket.IO client (rust_socketio, protocol
//! 5 as socket.io-client 4) with bounded waits.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fastsocket::server::{ServerConfig, ServerHandle, TokenList};
use futures_util::FutureExt as _;
use reference_server::generated::server::{SPEC, register};
use reference_server::handlers::Handlers;
use rust_socketio::asynchronous::{Client as SioClient, ClientBuilder};
use rust_socketio::{Event, Payload, TransportType};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::sync::{mpsc, oneshot};

/// Every wait is bounded by this: generous, so a slow CI machine does not fail a correct server.
pub const WAIT: Duration = Duration::from_secs(15);

/// The largest message the test server answers normally; its transport limit is 64 KiB.
pub const MAX_MESSAGE_BYTES: usize = 4096;

/// The bearer token the test server accepts.
pub const TOKEN: &str = "secret-token";

/// The reference server with the real handlers, on 127.0.0.1 and a free port. `RUST_LOG=info cargo test` shows
/// the server's log.
pub async fn start() -> (SocketAddr, ServerHandle) {
    start_with(|_| {}).await
}

/// The reference server with its test configuration changed by `configure`.
pub async fn start_with(configure: impl FnOnce(&mut ServerConfig)) -> (SocketAddr, ServerHandle) {
    if std::env::var_os("RUST_LOG").is_some() {
        fastsocket::server::init_logging(fastsocket::server::LogFormat::Text);
    }
    let mut config = ServerConfig {
        host: "127.0.0.1".to_owned(),
        port: 0,
        max_message_bytes: MAX_MESSAGE_BYTES,
        ..ServerConfig::default()
    };
    configure(&mut config);
    fastsocket::server::serve(
        &SPEC,
        config,
        TokenList::new(vec![TOKEN.to_owned(), "ada:lovelace".to_owned()]),
        |app| register(app, Handlers::default()),
    )
    .await
    .expect("the server starts")
}

/// How to connect.
#[derive(Clone)]
pub struct Options {
    pub namespace: String,
    pub auth: Option<Value>,
    pub headers: Vec<(&'static str, String)>,
    pub transport: TransportType,
}

impl Options {
    pub fn new(namespace: &str) -> Self {
        Options {
            namespace: namespace.to_owned(),
            auth: None,
            headers: Vec::new(),
            transport: TransportType::Websocket,
        }
    }

    pub fn auth(mut self, auth: Value) -> Self {
        self.auth = Some(auth);
        self
    }

    pub fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_owned()));
        self
    }

    pub fn transport(mut self, transport: TransportType) -> Self {
        self.transport = transport;
        self
    }
}

enum State {
    Connected,
    Error(String),
}

/// A connected client and the events it received (name, first argument).
pub struct Client {
    sio: SioClient,
    events: mpsc::UnboundedReceiver<(String, Value)>,
}

/// Connects and waits for the namespace's answer: `Ok` once connected, `Err(message)` for a `connect_error`.
pub async fn connect(addr: SocketAddr, options: Options) -> Result<Client, String> {
    let (state_tx, mut state_rx) = mpsc::unbounded_channel::<State>();
    let (event_tx, events) = mpsc::unbounded_channel();
    let on_connect = state_tx.clone();
    let on_error = state_tx;
    let mut builder = ClientBuilder::new(format!("http://{addr}/"))
        .namespace(options.namespace.clone())
        .transport_type(options.transport)
        .reconnect(false)
        .reconnect_on_disconnect(false)
        .on(Event::Connect, move |_, _| {
            let _ = on_connect.send(State::Connected);
            async {}.boxed()
        })
        .on(Event::Error, move |payload, _| {
            let _ = on_error.send(State::Error(payload_text(&payload)));
            async {}.boxed()
        })
        .on_any(move |event, payload, _| {
            let _ = event_tx.send((event.as_str().to_owned(), first_arg(&payload)));
            async {}.boxed()
        });
    if let Some(auth) = options.auth {
        builder = builder.auth(auth);
    }
    for (name, value) in options.headers {
        builder = builder.opening_header(name, value.as_str());
    }
    let sio = builder
        .connect()
        .await
        .map_err(|e| format!("transport: {e}"))?;
    match tokio::time::timeout(WAIT, state_rx.recv()).await {
        Ok(Some(State::Connected)) => Ok(Client { sio, events }),
        Ok(Some(State::Error(message))) => Err(message),
        Ok(None) => Err("the client stopped".to_owned()),
        Err(_) => Err("no answer to CONNECT".to_owned()),
    }
}

/// Connects, or fails the test.
pub async fn connected(addr: SocketAddr, options: Options) -> Client {
    let namespace = options.namespace.clone();
    match connect(addr, options).await {
        Ok(client) => client,
        Err(error) => panic!("cannot connect to {namespace}: {error}"),
    }
}

/// The first argument of an event.
fn first_arg(payload: &Payload) -> Value {
    match payload {
        Payload::Text(args) => args.first().cloned().unwrap_or(Value::Null),
        other => panic!("unexpected payload {other:?}"),
    }
}

/// The first argument of an acknowledgement (rust_socketio hands the whole argument array as one value).
fn first_ack_arg(payload: &Payload) -> Value {
    match first_arg(payload) {
        Value::Array(args) => args.into_iter().next().unwrap_or(Value::Null),
        other => other,
    }
}

fn payload_text(payload: &Payload) -> String {
    match payload {
        Payload::Text(args) => args
            .iter()
            .map(|a| match a {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(" "),
        other => format!("{other:?}"),
    }
}

impl Client {
    /// Emits with an acknowledgement and returns its first argument.
    pub async fn ack(&self, event: &str, args: Vec<Value>) -> Value {
        let (tx, rx) = oneshot::channel();
        let tx = Arc::new(Mutex::new(Some(tx)));
        self.sio
            .emit_with_ack(event, Payload::Text(args), WAIT, move |payload, _| {
                if let Some(tx) = tx.lock().unwrap().take() {
                    let _ = tx.send(first_ack_arg(&payload));
                }
                async {}.boxed()
            })
            .await
            .expect("emit");
        tokio::time::timeout(WAIT, rx)
            .await
            .unwrap_or_else(|_| panic!("no acknowledgement for `{event}`"))
            .expect("ack channel")
    }

    /// Emits with an acknowledgement of one argument.
    pub async fn ack1(&self, event: &str, payload: Value) -> Value {
        self.ack(event, vec![payload]).await
    }

    /// Emits any payload (binary too) without an acknowledgement (rust_socketio 0.6 sends a binary event with
    /// an acknowledgement as a BINARY_ACK packet, which servers ignore).
    pub async fn emit_payload(&self, event: &str, payload: Payload) {
        self.sio.emit(event, payload).await.expect("emit");
    }

    /// Emits without an acknowledgement.
    pub async fn emit(&self, event: &str, payload: Value) {
        self.sio
            .emit(event, Payload::Text(vec![payload]))
            .await
            .expect("emit");
    }

    /// The next event called `name` (events before it are skipped).
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

    /// The next event, whatever it is.
    pub async fn next_any(&mut self) -> (String, Value) {
        tokio::time::timeout(WAIT, self.events.recv())
            .await
            .expect("an event")
            .expect("the client runs")
    }

    pub async fn disconnect(self) {
        let _ = self.sio.disconnect().await;
    }
}

/// The error envelope's `code`, or panics with the value.
pub fn code(answer: &Value) -> &str {
    answer["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("not an error envelope: {answer}"))
}

/// A raw HTTP/1.1 GET on loopback: status, headers (lower-case names) and body.
pub async fn http_get(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, Vec<(String, String)>, String) {
    http_request(addr, "GET", path, headers, "").await
}

/// A raw HTTP/1.1 request on loopback: status, headers (lower-case names) and body.
pub async fn http_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, Vec<(String, String)>, String) {
    let mut stream = tokio::time::timeout(WAIT, tokio::net::TcpStream::connect(addr))
        .await
        .expect("connect in time")
        .expect("connect");
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() {
        request.push_str(&format!(
            "Content-Type: text/plain;charset=UTF-8\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = Vec::new();
    tokio::time::timeout(WAIT, stream.read_to_end(&mut response))
        .await
        .expect("response in time")
        .expect("read");
    let response = String::from_utf8(response).expect("utf-8");
    let (head, body) = response.split_once("\r\n\r\n").expect("a head");
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("a status");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    (status, headers, body.to_owned())
}

/// A JSON object `{"text": text}`.
pub fn text(text: &str) -> Value {
    json!({ "text": text })
}

/// A raw Engine.IO long-polling session (protocol 4), for packets no client library sends: many namespaces on
/// one connection, binary attachments spread over several requests.
pub struct Polling {
    pub addr: SocketAddr,
    pub sid: String,
}

/// The Engine.IO packet separator of a long-polling payload.
pub const SEPARATOR: char = '\u{1e}';

impl Polling {
    /// Opens a session.
    pub async fn open(addr: SocketAddr) -> Polling {
        let (status, _, body) = http_get(addr, "/socket.io/?EIO=4&transport=polling", &[]).await;
        assert_eq!(status, 200, "{body}");
        let open: Value = serde_json::from_str(body.strip_prefix('0').expect("an OPEN packet"))
            .expect("the OPEN packet's JSON");
        Polling {
            addr,
            sid: open["sid"].as_str().expect("a sid").to_owned(),
        }
    }

    fn path(&self) -> String {
        format!("/socket.io/?EIO=4&transport=polling&sid={}", self.sid)
    }

    /// Sends packets (joined with the separator); the HTTP status.
    pub async fn post(&self, packets: &[String]) -> u16 {
        let body = packets.join(&SEPARATOR.to_string());
        http_request(self.addr, "POST", &self.path(), &[], &body)
            .await
            .0
    }

    /// The packets the server has queued (waits for some), pings answered and left out; `Err(status)` when the
    /// session is gone.
    pub async fn poll(&self) -> Result<Vec<String>, u16> {
        loop {
            let (status, _, body) = http_get(self.addr, &self.path(), &[]).await;
            if status != 200 {
                return Err(status);
            }
            let mut packets: Vec<String> = body.split(SEPARATOR).map(str::to_owned).collect();
            if packets.iter().any(|p| p == "2") {
                self.post(&["3".to_owned()]).await;
                packets.retain(|p| p != "2");
            }
            if !packets.is_empty() {
                return Ok(packets);
            }
        }
    }
}
