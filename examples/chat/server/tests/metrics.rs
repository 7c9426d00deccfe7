//! `GET /metrics` of the chat server after known traffic from a real Socket.IO client (`rust_socketio`):
//! exact counts under the document's names, label values bounded by the document whatever clients send,
//! no credentials or client input in the exposition, and `FASTSOCKET_METRICS` off / on a listener of its own.

mod client;

use std::collections::BTreeSet;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::Duration;

use client::{Server, code, connect, join, local_server, unique};
use fastsocket::server::{MetricsEndpoint, ServerConfig};
use fastsocket_chat::generated::server::SPEC;
use rust_socketio::TransportType;
use serde_json::json;

/// `GET path` over plain HTTP/1.0: the status code and the body (blocking I/O, off the runtime's threads).
async fn get(addr: &str, path: &str) -> (u16, String) {
    let (addr, path) = (addr.to_owned(), path.to_owned());
    tokio::task::spawn_blocking(move || get_blocking(&addr, &path))
        .await
        .expect("the request ran")
}

fn get_blocking(addr: &str, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(client::WAIT))
        .expect("timeout");
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").expect("request");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("answer");
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, body.to_owned())
}

fn host(server: &Server) -> String {
    server.url.trim_start_matches("http://").to_owned()
}

/// The value of one sample (`name{labels}` exactly as exposed).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.parse().ok())
}

/// The exposition once every `(series, value)` holds. The observers are told after the answer is sent, so a
/// count can trail the acknowledgement the client already holds by a moment: poll, bounded.
async fn metrics_once(server: &Server, expected: &[(&str, f64)]) -> String {
    let deadline = tokio::time::Instant::now() + client::WAIT;
    loop {
        let (status, text) = get(&host(server), "/metrics").await;
        assert_eq!(status, 200, "{text}");
        let unmet: Vec<_> = expected
            .iter()
            .filter(|(series, value)| sample(&text, series) != Some(*value))
            .map(|(series, value)| format!("{series} = {value} (is {:?})", sample(&text, series)))
            .collect();
        if unmet.is_empty() {
            return text;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("unmet:\n{}\n\n{text}", unmet.join("\n"));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every value of label `name` in the exposition.
fn label_values(text: &str, name: &str) -> BTreeSet<String> {
    let key = format!("{name}=\"");
    let mut values = BTreeSet::new();
    for line in text.lines().filter(|line| !line.starts_with('#')) {
        for (i, _) in line.match_indices(&key) {
            if let Some((value, _)) = line[i + key.len()..].split_once('"') {
                values.insert(value.to_owned());
            }
        }
    }
    values
}

#[tokio::test]
async fn known_traffic_is_counted_and_nothing_secret_is_exposed() {
    let server = local_server(ServerConfig::default()).await;
    let transport = TransportType::Websocket;
    let name = unique("metrics");
    let lobby = join(&server, "/", &name, &transport).await;
    let room = unique("room");
    assert_eq!(
        lobby.ack("join_room", json!({"roomId": room})).await["status"],
        "joined"
    );
    assert_eq!(
        lobby.ack("join_room", json!({"roomId": room})).await["status"],
        "already_member"
    );
    let bad = lobby.ack("join_room", json!({"roomId": "No!"})).await;
    assert_eq!(code(&bad), "validation_failed");
    let secret_event = unique("made_up_event_");
    for _ in 0..3 {
        let answer = lobby.ack(&secret_event, json!({})).await;
        assert_eq!(code(&answer), "unknown_event");
    }
    let mut member = join(&server, &format!("/rooms/{room}"), &name, &transport).await;
    member.next("user_joined").await;
    for text in ["hello", "again"] {
        let sent = member.ack("send_message", json!({"text": text})).await;
        assert!(sent["messageId"].is_string(), "{sent}");
    }
    // Refused without credentials, admitted with the bearer token.
    let refused = connect(&server, "/admin", "", None, &transport).await;
    assert!(refused.is_err());
    let admin = connect(
        &server,
        "/admin",
        "",
        Some(json!({"token": server.token})),
        &transport,
    )
    .await
    .expect("admin connects");

    let text = metrics_once(
        &server,
        &[
            ("fastsocket_sockets{namespace=\"/\"}", 1.0),
            ("fastsocket_sockets{namespace=\"/rooms/{roomId}\"}", 1.0),
            ("fastsocket_sockets{namespace=\"/admin\"}", 1.0),
            (
                "fastsocket_events_received_total{namespace=\"/\",event=\"join_room\",outcome=\"ok\"}",
                2.0,
            ),
            (
                "fastsocket_events_received_total{namespace=\"/\",event=\"join_room\",outcome=\"validation_failed\"}",
                1.0,
            ),
            (
                "fastsocket_validation_failures_total{namespace=\"/\",event=\"join_room\"}",
                1.0,
            ),
            (
                "fastsocket_events_received_total{namespace=\"/\",event=\"_undeclared\",outcome=\"unknown_event\"}",
                3.0,
            ),
            (
                "fastsocket_events_received_total{namespace=\"/rooms/{roomId}\",event=\"send_message\",outcome=\"ok\"}",
                2.0,
            ),
            (
                "fastsocket_event_duration_seconds_count{namespace=\"/rooms/{roomId}\",event=\"send_message\"}",
                2.0,
            ),
            (
                "fastsocket_event_payload_bytes_count{namespace=\"/rooms/{roomId}\",event=\"send_message\"}",
                2.0,
            ),
            (
                "fastsocket_events_sent_total{namespace=\"/rooms/{roomId}\",event=\"message\"}",
                2.0,
            ),
            (
                "fastsocket_events_sent_total{namespace=\"/rooms/{roomId}\",event=\"user_joined\"}",
                1.0,
            ),
            (
                "fastsocket_connects_refused_total{namespace=\"/admin\",reason=\"unauthorized\"}",
                1.0,
            ),
            ("fastsocket_tcp_connections_limit", 4096.0),
        ],
    )
    .await;
    assert!(
        sample(&text, "fastsocket_tcp_connections").unwrap() >= 3.0,
        "{text}"
    );
    assert!(
        sample(&text, "process_resident_memory_bytes").unwrap() > 0.0,
        "{text}"
    );
    for secret in [
        server.token.as_str(),
        server.key.as_str(),
        name.as_str(),
        room.as_str(),
        secret_event.as_str(),
    ] {
        assert!(!text.contains(secret), "`{secret}` is exposed:\n{text}");
    }

    lobby.close().await;
    member.close().await;
    admin.close().await;
    metrics_once(
        &server,
        &[
            ("fastsocket_sockets{namespace=\"/\"}", 0.0),
            ("fastsocket_sockets{namespace=\"/rooms/{roomId}\"}", 0.0),
            ("fastsocket_sockets{namespace=\"/admin\"}", 0.0),
        ],
    )
    .await;
}

#[tokio::test]
async fn label_values_come_from_the_document_whatever_clients_send() {
    let server = local_server(ServerConfig::default()).await;
    let transport = TransportType::Websocket;
    let mut clients = Vec::new();
    for i in 0..20 {
        // Rooms the document cannot name, events it does not declare, and paths that match no namespace.
        let room = unique(&format!("r{i}x")).to_lowercase();
        let member = join(&server, &format!("/rooms/{room}"), &unique("u"), &transport).await;
        for j in 0..5 {
            member
                .emit(&format!("evt_{i}_{j}_{room}"), json!({"x": j}))
                .await;
        }
        let _ = connect(&server, &format!("/nowhere/{room}"), "", None, &transport).await;
        let _ = connect(&server, "/rooms/NOT VALID!", "", None, &transport).await;
        clients.push(member);
    }
    let text = metrics_once(
        &server,
        &[
            (
                "fastsocket_events_received_total{namespace=\"/rooms/{roomId}\",event=\"_undeclared\",outcome=\"unknown_event\"}",
                100.0,
            ),
            ("fastsocket_sockets{namespace=\"/rooms/{roomId}\"}", 20.0),
        ],
    )
    .await;
    let namespaces: BTreeSet<String> = SPEC.events.iter().map(|e| e.namespace.to_owned()).collect();
    let mut events: BTreeSet<String> = SPEC.events.iter().map(|e| e.event.to_owned()).collect();
    events.insert(fastsocket::server::metrics::UNDECLARED_EVENT.to_owned());
    let seen = label_values(&text, "namespace");
    assert!(seen.is_subset(&namespaces), "{seen:?} ⊄ {namespaces:?}");
    let seen = label_values(&text, "event");
    assert!(seen.is_subset(&events), "{seen:?} ⊄ {events:?}");
    // The whole exposition stays the same size whatever the traffic: a bound from the document alone.
    let lines = text.lines().count();
    assert!(lines < 1500, "{lines} lines");
    for client in clients {
        client.close().await;
    }
}

#[tokio::test]
async fn metrics_can_be_off_or_on_a_listener_of_their_own() {
    let off = local_server(ServerConfig {
        metrics: MetricsEndpoint::Off,
        ..ServerConfig::default()
    })
    .await;
    assert_eq!(get(&host(&off), "/metrics").await.0, 404);

    let apart = local_server(ServerConfig {
        metrics: MetricsEndpoint::Listen("127.0.0.1:0".parse().unwrap()),
        ..ServerConfig::default()
    })
    .await;
    assert_eq!(get(&host(&apart), "/metrics").await.0, 404);
    let addr = apart
        .handle()
        .and_then(|h| h.metrics_addr())
        .expect("a metrics listener");
    let (status, text) = get(&addr.to_string(), "/metrics").await;
    assert_eq!(status, 200);
    assert!(text.contains("fastsocket_sockets"), "{text}");
    assert!(text.ends_with("# EOF\n"), "{text}");
    // Only metrics there.
    assert_eq!(get(&addr.to_string(), "/healthz").await.0, 404);
}
