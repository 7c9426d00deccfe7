//! Typed streams of inbound events on the chat server (in this process, real Socket.IO clients): the
//! operators' `room_activity` computed from the `send_message` stream, streams composed with combinators, and
//! the lag a slow subscriber is told about.

mod client;

use std::time::Duration;

use client::{Server, WAIT, connect, join, local_server_with, unique};
use fastsocket::server::ServerConfig;
use fastsocket::server::streams::tokio_stream::StreamExt as _;
use fastsocket::server::streams::{Lagged, STREAM_BUFFER};
use fastsocket_chat::generated::server::{Streams, register};
use fastsocket_chat::handlers::Handlers;
use rust_socketio::TransportType;
use serde_json::{Value, json};

/// A server whose `room_activity` comes every 100 ms, with the chat's streams for the test; no rate limit.
async fn start() -> (Server, Streams) {
    let config = ServerConfig {
        events_per_second: 0,
        max_in_flight: 0,
        ..ServerConfig::default()
    };
    let (tx, rx) = std::sync::mpsc::channel();
    let server = local_server_with(config, move |app| {
        register(
            app,
            Handlers::default().with_activity_every(Duration::from_millis(100)),
        );
        let _ = tx.send(Streams::new(app));
    })
    .await;
    (server, rx.recv().expect("registered"))
}

fn room_count(activity: &Value, room: &str) -> Option<u64> {
    activity["rooms"]
        .as_array()?
        .iter()
        .find(|r| r["roomId"] == room)
        .and_then(|r| r["messages"].as_u64())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_get_messages_per_room_over_the_window() {
    let (server, _streams) = start().await;
    let transport = TransportType::Websocket;
    let mut admin = connect(
        &server,
        "/admin",
        "",
        Some(json!({"token": server.token})),
        &transport,
    )
    .await
    .expect("the operator connects");
    let (busy, quiet) = (unique("busy"), unique("quiet"));
    let writer = join(
        &server,
        &format!("/rooms/{busy}"),
        &unique("ada"),
        &transport,
    )
    .await;
    let other = join(
        &server,
        &format!("/rooms/{quiet}"),
        &unique("bob"),
        &transport,
    )
    .await;
    for n in 0..3 {
        let ack = writer
            .ack("send_message", json!({"text": format!("hello {n}")}))
            .await;
        assert!(ack["messageId"].is_string(), "{ack}");
    }
    let ack = other.ack("send_message", json!({"text": "hi"})).await;
    assert!(ack["messageId"].is_string(), "{ack}");
    // A refused message (blank text fails the schema's minLength) never reaches the stream.
    let refused = other.ack("send_message", json!({"text": ""})).await;
    assert_eq!(client::code(&refused), "validation_failed", "{refused}");

    // Reports come every 100 ms; the window (12 periods) keeps the four messages for over a second, but a
    // slow machine may split them over two reports: wait for the one that has them all.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no room_activity with every message"
        );
        let activity = admin.next("room_activity").await;
        if room_count(&activity, &busy) == Some(3) && room_count(&activity, &quiet) == Some(1) {
            let rooms = activity["rooms"].as_array().unwrap();
            assert_eq!(
                rooms[0]["roomId"],
                busy.as_str(),
                "busiest first: {activity}"
            );
            assert!(
                activity["windowSeconds"].as_f64().unwrap() > 1.0,
                "{activity}"
            );
            break;
        }
    }
    // Once the window has slid past them, the rooms are gone from the report.
    loop {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the messages never left the window"
        );
        let activity = admin.next("room_activity").await;
        if room_count(&activity, &busy).is_none() && room_count(&activity, &quiet).is_none() {
            break;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_compose_with_combinators() {
    let (server, streams) = start().await;
    let transport = TransportType::Websocket;
    let room = unique("combo");
    // Messages with a `!`, as their text, merged with the typing notifications of the same room.
    let shouts = streams
        .room()
        .send_message()
        .filter(|m| m.payload().text.contains('!'))
        .map(|m| format!("{}: {}", m.params().room_id, m.payload().text));
    let typing = streams
        .room()
        .typing()
        .map(|t| format!("{}: typing={}", t.params().room_id, t.payload().is_typing));
    let mut merged = shouts.merge(typing);

    let ada = join(
        &server,
        &format!("/rooms/{room}"),
        &unique("ada"),
        &transport,
    )
    .await;
    ada.ack("send_message", json!({"text": "calm"})).await;
    ada.ack("send_message", json!({"text": "loud!"})).await;
    ada.ack("typing", json!({"isTyping": true})).await;
    let mut seen = Vec::new();
    for _ in 0..2 {
        let item = tokio::time::timeout(WAIT, merged.next())
            .await
            .expect("an item in time")
            .expect("the stream goes on");
        seen.push(item);
    }
    seen.sort();
    assert_eq!(
        seen,
        [format!("{room}: loud!"), format!("{room}: typing=true")]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_subscriber_is_told_what_it_lost() {
    let (server, streams) = start().await;
    let transport = TransportType::Websocket;
    let room = unique("lag");
    // Subscribed, and not read while the messages arrive: the buffer holds STREAM_BUFFER of them.
    let stream = streams.room().send_message();
    let lag = stream.lag();
    let mut stream = stream.with_lag();
    let extra = 10;
    let writer = join(
        &server,
        &format!("/rooms/{room}"),
        &unique("ada"),
        &transport,
    )
    .await;
    for n in 0..STREAM_BUFFER + extra {
        // Acknowledged, so every message was handed to the stream (before its handler ran) in order.
        let ack = writer
            .ack("send_message", json!({"text": format!("m{n}")}))
            .await;
        assert!(ack["messageId"].is_string(), "{ack}");
    }
    assert_eq!(
        lag.get(),
        0,
        "a loss is counted when the consumer reaches it"
    );
    let first = tokio::time::timeout(WAIT, stream.next()).await.unwrap();
    assert_eq!(first.map(|r| r.err()), Some(Some(Lagged(extra as u64))));
    assert_eq!(lag.get(), extra as u64);
    // Then the oldest message still buffered, and the rest in order.
    for n in extra..STREAM_BUFFER + extra {
        let item = tokio::time::timeout(WAIT, stream.next())
            .await
            .unwrap()
            .expect("the stream goes on")
            .expect("no further loss");
        assert_eq!(item.payload().text, format!("m{n}"));
    }
    // The server was never slowed: the lost messages were all stored and acknowledged above.
    assert!(fastsocket::server::streams::lagged_total() >= extra as u64);
}
