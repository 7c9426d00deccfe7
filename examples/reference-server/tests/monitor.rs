//! The live monitor (`/_monitor`): its tokens, its stats after known traffic, and a monitor client that never
//! reads while the server keeps answering.

mod common;

use common::*;
use serde_json::{Value, json};

const MONITOR_TOKEN: &str = "monitor-token";

/// The reference server with the monitor on (one token) and no rate limit (the tests send bursts).
async fn start_monitored() -> (std::net::SocketAddr, fastsocket::server::ServerHandle) {
    start_with(|config| {
        config.monitor.tokens = vec![MONITOR_TOKEN.to_owned()];
        config.events_per_second = 0;
        config.max_in_flight = 0;
    })
    .await
}

fn monitor() -> Options {
    Options::new("/_monitor").auth(json!({ "token": MONITOR_TOKEN }))
}

/// Reads `stats` snapshots until `done` holds for one (at most 30: a snapshot a second).
async fn stats_until(client: &mut Client, done: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    for _ in 0..30 {
        last = client.next("stats").await;
        if done(&last) {
            return last;
        }
    }
    panic!("no snapshot as expected; the last one: {last:#}");
}

fn event<'a>(snapshot: &'a Value, namespace: &str, name: &str, direction: &str) -> &'a Value {
    snapshot["events"]
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["namespace"] == namespace && e["event"] == name && e["direction"] == direction)
        .unwrap_or(&Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn monitor_needs_one_of_its_own_tokens() {
    let (addr, server) = start_monitored().await;

    let error = connect(addr, Options::new("/_monitor"))
        .await
        .err()
        .expect("refused");
    assert!(error.contains("missing monitor token"), "{error}");
    let wrong = Options::new("/_monitor").auth(json!({ "token": "monitor-tokeN" }));
    let error = connect(addr, wrong).await.err().expect("refused");
    assert!(error.contains("wrong monitor token"), "{error}");
    // The API's tokens are not the monitor's.
    let api = Options::new("/_monitor").auth(json!({ "token": TOKEN }));
    assert!(connect(addr, api).await.is_err());

    // `auth.token`, `Authorization: Bearer` and the handshake query all work.
    connected(addr, monitor()).await.disconnect().await;
    let bearer =
        Options::new("/_monitor").header("Authorization", &format!("Bearer {MONITOR_TOKEN}"));
    connected(addr, bearer).await.disconnect().await;
    let (status, _, body) = http_get(
        addr,
        &format!("/socket.io/?EIO=4&transport=polling&token={MONITOR_TOKEN}"),
        &[],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let open: Value = serde_json::from_str(body.strip_prefix('0').expect("OPEN")).unwrap();
    let polling = Polling {
        addr,
        sid: open["sid"].as_str().unwrap().to_owned(),
    };
    assert_eq!(polling.post(&["40/_monitor,".to_owned()]).await, 200);
    let packets = polling.poll().await.expect("the session lives");
    assert!(
        packets
            .iter()
            .any(|p| p.starts_with("40/_monitor,{\"sid\"")),
        "{packets:?}"
    );
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_token_there_is_no_monitor() {
    let (addr, server) = start().await;
    let error = connect(addr, monitor())
        .await
        .err()
        .expect("no such namespace");
    assert!(!error.contains("monitor token"), "{error}");
    // The API is unaffected.
    let client = connected(addr, Options::new("/")).await;
    assert_eq!(client.ack1("echo", text("hi")).await, text("hi"));
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_count_known_traffic() {
    let (addr, server) = start_monitored().await;
    let mut watcher = connected(addr, monitor()).await;
    let mut client = connected(addr, Options::new("/")).await;

    for i in 0..3 {
        assert_eq!(
            client.ack1("echo", text(&format!("m{i}"))).await,
            text(&format!("m{i}"))
        );
    }
    for _ in 0..2 {
        assert_eq!(
            code(&client.ack1("echo", text("")).await),
            "validation_failed"
        );
    }
    assert_eq!(code(&client.ack1("nope", text("x")).await), "unknown_event");
    assert_eq!(client.ack1("shout", text("hey")).await, Value::Null);
    assert_eq!(client.next("announcement").await, text("HEY"));

    // The activity stream told it all, in order: events in with their outcome, the emit out.
    // (Read before the snapshots: waiting for a `stats` event skips the events before it.)
    let mut seen = Vec::new();
    for _ in 0..100 {
        if seen.len() == 9 {
            break;
        }
        let (name, message) = watcher.next_any().await;
        if name != "activity" {
            continue;
        }
        let kind = message["kind"].as_str().unwrap().to_owned();
        let outcome = message["outcome"].as_str().unwrap_or("-").to_owned();
        seen.push(format!(
            "{kind}:{}:{outcome}",
            message["event"].as_str().unwrap_or("-")
        ));
    }
    assert_eq!(
        seen,
        [
            "connected:-:-",
            "event_in:echo:ok",
            "event_in:echo:ok",
            "event_in:echo:ok",
            "event_in:echo:validation_failed",
            "event_in:echo:validation_failed",
            "event_in:nope:unknown_event",
            "event_out:announcement:ok",
            "event_in:shout:ok",
        ]
    );
    let snapshot = stats_until(&mut watcher, |s| {
        event(s, "/", "echo", "in")["total"] == 5
            && event(s, "/", "announcement", "out")["total"] == 1
    })
    .await;
    let echo = event(&snapshot, "/", "echo", "in");
    assert_eq!(
        echo["errors_by_code"],
        json!({ "validation_failed": 2 }),
        "{echo}"
    );
    let unknown = event(&snapshot, "/", "(unknown)", "in");
    assert_eq!(
        unknown["errors_by_code"],
        json!({ "unknown_event": 1 }),
        "{snapshot:#}"
    );
    assert_eq!(event(&snapshot, "/", "shout", "in")["total"], 1);
    let namespaces = snapshot["namespaces"].as_array().unwrap();
    let root = namespaces.iter().find(|n| n["namespace"] == "/").unwrap();
    // The client; the monitor is not counted, nor listed.
    assert_eq!(root["sockets"], 1, "{snapshot:#}");
    assert!(!snapshot.to_string().contains("_monitor"), "{snapshot:#}");
    assert!(snapshot["uptime_s"].as_f64().unwrap() > 0.0);
    assert_eq!(snapshot["dropped"]["monitor"], 0);

    client.disconnect().await;
    watcher.disconnect().await;
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_monitor_that_never_reads_does_not_stop_the_server() {
    let (addr, server) = start_monitored().await;
    // A long-polling monitor client that joins, then never asks for anything again: what the server sends it
    // piles up in its bounded buffer.
    let stuck = Polling::open(addr).await;
    let join = format!("40/_monitor,{}", json!({ "token": MONITOR_TOKEN }));
    assert_eq!(stuck.post(&[join]).await, 200);
    let packets = stuck.poll().await.expect("joined");
    assert!(
        packets.iter().any(|p| p.starts_with("40/_monitor,")),
        "{packets:?}"
    );

    let client = connected(addr, Options::new("/")).await;
    // Far more activity than its buffer holds; every answer still arrives.
    const EVENTS: usize = 1000;
    for i in 0..EVENTS {
        let sent = text(&format!("n{i}"));
        assert_eq!(client.ack1("echo", sent.clone()).await, sent);
    }
    // A monitor that reads sees the drops counted.
    let mut watcher = connected(addr, monitor()).await;
    stats_until(&mut watcher, |s| {
        event(s, "/", "echo", "in")["total"] == EVENTS && s["dropped"]["monitor"].as_u64() > Some(0)
    })
    .await;
    client.disconnect().await;
    watcher.disconnect().await;
    server.shutdown().await.unwrap();
}
