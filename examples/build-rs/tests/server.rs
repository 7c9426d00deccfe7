//! The example server, built from code that `build.rs` generated: typed models and validators, and the running
//! server answering over Socket.IO.
//!
//! The client speaks Engine.IO 4 long-polling by hand over plain HTTP/1.1 (a few lines, and no client crate to
//! compile): handshake, namespace connect with `auth`, an event with an ack id, and the ack.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use build_rs_example::api::server::{SPEC, register};
use build_rs_example::handlers::Handlers;
use build_rs_example::models::{GetUserPayload, UserLookup};
use fastsocket::server::{ServerConfig, TokenList};
use serde_json::{Value, json};

/// Every network read is bounded by this, so a broken server fails the test instead of hanging it.
const WAIT: Duration = Duration::from_secs(15);
const TOKEN: &str = "session-7f3a";
const ADA: &str = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d";

#[test]
fn payloads_are_typed_and_validated_by_the_generated_code() {
    let ok: GetUserPayload = fastsocket::decode(&json!({ "userId": ADA })).unwrap();
    assert_eq!(ok.user_id.to_string(), ADA);
    let violations =
        fastsocket::decode::<GetUserPayload>(&json!({ "userId": "nope" })).unwrap_err();
    assert_eq!(violations[0].path, "/userId", "{violations:?}");
    let violations = fastsocket::decode::<GetUserPayload>(&json!({})).unwrap_err();
    assert!(!violations.is_empty());
}

#[test]
fn type_attributes_from_fastsocket_toml_reach_the_models() {
    // `GetUserPayload` derives `Eq` and `Hash` only because fastsocket.toml says so.
    let a: GetUserPayload = fastsocket::decode(&json!({ "userId": ADA })).unwrap();
    let set: std::collections::HashSet<GetUserPayload> = [a.clone(), a].into_iter().collect();
    assert_eq!(set.len(), 1);
}

#[test]
fn date_times_are_strings_by_type_override_and_still_validated() {
    let user =
        json!({ "id": ADA, "email": "ada@example.com", "createdAt": "2021-03-15T08:30:00Z" });
    let user: build_rs_example::models::User = fastsocket::decode(&user).unwrap();
    // A `String`, not `chrono::DateTime`, because fastsocket.toml overrides `date-time`.
    let created_at: &str = &user.created_at;
    assert_eq!(created_at, "2021-03-15T08:30:00Z");
    let bad = json!({ "id": ADA, "email": "ada@example.com", "createdAt": "yesterday" });
    let violations = fastsocket::decode::<build_rs_example::models::User>(&bad).unwrap_err();
    assert_eq!(violations[0].path, "/createdAt", "{violations:?}");
}

#[test]
fn the_embedded_document_is_the_multi_file_spec_resolved() {
    // The generator embeds the document with every `$ref` file read: the ref chain must not leak into it.
    assert_eq!(SPEC.title, "Fastsocket User Directory");
    assert!(
        SPEC.events
            .iter()
            .any(|e| e.event == "get_user" && e.namespace == "/directory")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_answers_and_refuses_invalid_payloads() {
    let config = ServerConfig {
        host: "127.0.0.1".to_owned(),
        port: 0,
        ..ServerConfig::default()
    };
    let (addr, handle) = fastsocket::server::serve(
        &SPEC,
        config,
        TokenList::new(vec![TOKEN.to_owned()]),
        |app| register(app, Handlers::default()),
    )
    .await
    .expect("the server starts");
    let answers = tokio::task::spawn_blocking(move || conversation(addr))
        .await
        .expect("the client thread ends");
    handle.shutdown().await.expect("the server stops");
    let (found, missing, invalid) = answers;

    let found: UserLookup = fastsocket::decode(&found).expect("the ack matches its schema");
    assert!(found.found);
    assert_eq!(found.user.unwrap().email, "ada@example.com");
    assert_eq!(missing["found"], false);
    assert!(missing.get("user").is_none());
    assert_eq!(invalid["error"]["code"], "validation_failed", "{invalid}");
    assert_eq!(
        invalid["error"]["details"][0]["path"], "/userId",
        "{invalid}"
    );
}

/// Connects to `/directory` and asks for Ada, for an unknown user and with a payload that breaks its schema;
/// returns the three acks.
fn conversation(addr: SocketAddr) -> (Value, Value, Value) {
    let open = get(addr, "");
    let open: Value =
        serde_json::from_str(open.strip_prefix('0').expect("an open packet")).unwrap();
    let sid = open["sid"].as_str().expect("a session id").to_owned();
    post(
        addr,
        &sid,
        &format!("40/directory,{}", json!({ "session": TOKEN })),
    );
    let connected = poll_until(addr, &sid, "40/directory,");
    assert!(connected.contains("\"sid\""), "connected: {connected}");
    post(
        addr,
        &sid,
        &format!("42/directory,1{}", json!(["get_user", { "userId": ADA }])),
    );
    let found = ack(&poll_until(addr, &sid, "43/directory,1["), "43/directory,1");
    post(
        addr,
        &sid,
        &format!(
            "42/directory,2{}",
            json!(["get_user", { "userId": "00000000-0000-4000-8000-000000000000" }])
        ),
    );
    let missing = ack(&poll_until(addr, &sid, "43/directory,2["), "43/directory,2");
    post(
        addr,
        &sid,
        &format!(
            "42/directory,3{}",
            json!(["get_user", { "userId": "nope" }])
        ),
    );
    let invalid = ack(&poll_until(addr, &sid, "43/directory,3["), "43/directory,3");
    (found, missing, invalid)
}

/// The first argument of an ack packet.
fn ack(packet: &str, prefix: &str) -> Value {
    let args: Value =
        serde_json::from_str(&packet[prefix.len()..]).expect("ack arguments are JSON");
    args[0].clone()
}

/// Polls until a packet starting with `prefix` arrives (pings are answered on the way).
fn poll_until(addr: SocketAddr, sid: &str, prefix: &str) -> String {
    for _ in 0..20 {
        let body = get(addr, sid);
        for packet in body.split('\u{1e}') {
            if packet.starts_with(prefix) {
                return packet.to_owned();
            }
            if packet == "2" {
                post(addr, sid, "3");
            }
        }
    }
    panic!("no packet starting with {prefix}");
}

fn get(addr: SocketAddr, sid: &str) -> String {
    http(addr, "GET", sid, "")
}

fn post(addr: SocketAddr, sid: &str, body: &str) {
    assert_eq!(http(addr, "POST", sid, body), "ok");
}

/// One HTTP/1.1 request to the Engine.IO endpoint; returns the body of a 200 answer.
fn http(addr: SocketAddr, method: &str, sid: &str, body: &str) -> String {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(WAIT)).unwrap();
    let query = if sid.is_empty() {
        String::new()
    } else {
        format!("&sid={sid}")
    };
    write!(
        stream,
        "{method} /socket.io/?EIO=4&transport=polling{query} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Type: text/plain;charset=UTF-8\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("a response");
    let response = String::from_utf8(response).expect("UTF-8");
    let (head, body) = response.split_once("\r\n\r\n").expect("headers end");
    assert!(head.starts_with("HTTP/1.1 200"), "{method}: {head}\n{body}");
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_owned()
    }
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).expect("a chunk size");
        if size == 0 {
            break;
        }
        out.push_str(&rest[..size]);
        body = &rest[size + 2..];
    }
    out
}
