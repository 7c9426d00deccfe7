//! The server side of the monitoring namespace (`/_monitor`), in process: who is admitted (a token as
//! `auth.token`, `?token=` or `Authorization: Bearer`; refusals say why), what an operator is sent (every
//! connect, event in and out, refusal and disconnect of the API's clients, and a stats snapshot), that a
//! monitor client which does not read never holds up the server (what it misses is counted as dropped), and
//! that a monitoring namespace the API uses is refused at start.

#![cfg(feature = "server")]

mod common;

use std::net::SocketAddr;

use common::polling::{Polling, http, within};
use fastsocket::server::monitor::MonitorConfig;
use fastsocket::server::monitor::protocol::{ActivityMessage, StatsSnapshot};
use fastsocket::server::{
    App, Context, Direction, Emitter, ErrorCode, EventInfo, HandlerError, ServerConfig,
    ServerHandle, ServerSpec, TokenList,
};
use serde_json::{Value, json};

static SPEC: ServerSpec = ServerSpec {
    title: "monitor test",
    version: "1",
    asyncapi_json: "{}",
    events: &[
        EventInfo {
            namespace: "/",
            event: "echo",
            direction: Direction::Inbound,
            payload: "Value",
            ack: Some("Value"),
        },
        EventInfo {
            namespace: "/",
            event: "notice",
            direction: Direction::Outbound,
            payload: "Value",
            ack: None,
        },
    ],
};

const TOKEN: &str = "s3cret-monitor-token";

/// `echo` answers its payload and emits `notice` to the sender; a payload with `"fail": true` is refused.
fn install(app: &App) {
    app.namespace::<()>("/", &[])
        .on_with_ack(
            "echo",
            |ctx: Context<Emitter, ()>, payload: Value| async move {
                if payload["fail"] == true {
                    return Err(HandlerError::new(ErrorCode::Forbidden, "asked to fail"));
                }
                ctx.raw_reply()
                    .emit_unchecked("notice", &json!({"seen": true}))
                    .await
                    .map_err(HandlerError::from_error)?;
                Ok::<_, HandlerError>(payload)
            },
        )
        .register();
}

async fn start(config: ServerConfig) -> (SocketAddr, ServerHandle) {
    fastsocket::server::serve(&SPEC, config, TokenList::new(vec![]), install)
        .await
        .expect("the server starts")
}

fn config(max_buffer_size: usize) -> ServerConfig {
    ServerConfig {
        port: 0,
        max_buffer_size,
        monitor: MonitorConfig {
            tokens: vec!["another-token".into(), TOKEN.into()],
            ..MonitorConfig::default()
        },
        ..ServerConfig::default()
    }
}

/// The JSON payload of a packet `2/_monitor,["event",payload]` when its event is `event`.
fn payload_of(packet: &str, event: &str) -> Option<Value> {
    let json = packet.strip_prefix("2/_monitor,")?;
    let mut array: Vec<Value> = serde_json::from_str(json).ok()?;
    (array.len() == 2 && array[0] == event).then(|| array.remove(1))
}

/// Waits for the next activity message for which `wanted` holds.
async fn activity(
    monitor: &mut Polling,
    wanted: impl Fn(&ActivityMessage) -> bool,
) -> ActivityMessage {
    let packet = monitor
        .next_where(|p| {
            payload_of(p, "activity")
                .and_then(|v| serde_json::from_value::<ActivityMessage>(v).ok())
                .is_some_and(|m| wanted(&m))
        })
        .await;
    serde_json::from_value(payload_of(&packet, "activity").unwrap()).unwrap()
}

async fn stats(monitor: &mut Polling, wanted: impl Fn(&StatsSnapshot) -> bool) -> StatsSnapshot {
    let packet = monitor
        .next_where(|p| {
            payload_of(p, "stats")
                .and_then(|v| serde_json::from_value::<StatsSnapshot>(v).ok())
                .is_some_and(|s| wanted(&s))
        })
        .await;
    serde_json::from_value(payload_of(&packet, "stats").unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_known_token_is_admitted_and_refusals_say_why() {
    within(async {
        let (addr, handle) = start(config(256)).await;

        let mut client = Polling::open(addr, "", &[]).await;
        let missing = client.connect("/_monitor", None).await;
        assert!(missing.starts_with("4/_monitor,"), "{missing}");
        assert!(missing.contains("missing monitor token"), "{missing}");
        let wrong = client
            .connect("/_monitor", Some(&json!({"token": "s3cret"})))
            .await;
        assert!(wrong.contains("wrong monitor token"), "{wrong}");
        let not_a_string = client
            .connect("/_monitor", Some(&json!({"token": 42})))
            .await;
        assert!(
            not_a_string.contains("missing monitor token"),
            "{not_a_string}"
        );
        let admitted = client
            .connect("/_monitor", Some(&json!({"token": TOKEN})))
            .await;
        assert!(admitted.starts_with("0/_monitor,"), "{admitted}");
        client.close().await;

        // The handshake's query and an `Authorization: Bearer` header carry a token too.
        let mut by_query = Polling::open(addr, &format!("&token={TOKEN}"), &[]).await;
        let admitted = by_query.connect("/_monitor", None).await;
        assert!(admitted.starts_with("0/_monitor,"), "{admitted}");
        by_query.close().await;
        let bearer = format!("Bearer {TOKEN}");
        let mut by_header = Polling::open(addr, "", &[("Authorization", &bearer)]).await;
        let admitted = by_header.connect("/_monitor", None).await;
        assert!(admitted.starts_with("0/_monitor,"), "{admitted}");
        by_header.close().await;
        let mut wrong_header = Polling::open(addr, "", &[("Authorization", "Bearer nope")]).await;
        let refused = wrong_header.connect("/_monitor", None).await;
        assert!(refused.contains("wrong monitor token"), "{refused}");
        wrong_header.close().await;

        handle.shutdown().await.expect("shuts down");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_sees_every_activity_and_the_figures() {
    within(async {
        let (addr, handle) = start(config(256)).await;
        let mut monitor = Polling::open(addr, "", &[]).await;
        let admitted = monitor
            .connect("/_monitor", Some(&json!({"token": TOKEN})))
            .await;
        assert!(admitted.starts_with("0/_monitor,"), "{admitted}");

        let mut user = Polling::open(addr, "", &[]).await;
        assert!(user.connect("/", None).await.starts_with('0'));
        user.send(&[r#"21["echo",{"text":"hi"}]"#]).await;
        let ack = user.next_starting("31").await;
        assert_eq!(ack, r#"31[{"text":"hi"}]"#);
        user.send(&[r#"22["echo",{"fail":true}]"#]).await;
        let refused = user.next_starting("32").await;
        assert!(refused.contains("forbidden"), "{refused}");

        let connected = activity(&mut monitor, |m| {
            serde_json::to_value(m.kind).unwrap() == "connected"
        })
        .await;
        assert_eq!(connected.namespace, "/");
        assert!(!connected.socket.is_empty());
        let handled = activity(&mut monitor, |m| {
            serde_json::to_value(m.kind).unwrap() == "event_in"
                && m.outcome.as_deref() == Some("ok")
        })
        .await;
        assert_eq!(handled.event.as_deref(), Some("echo"));
        assert_eq!(handled.socket, connected.socket);
        assert!(handled.size.is_some_and(|s| s > 0) && handled.latency_us.is_some());
        let sent = activity(&mut monitor, |m| {
            serde_json::to_value(m.kind).unwrap() == "event_out"
        })
        .await;
        assert_eq!(
            (sent.event.as_deref(), sent.outcome.as_deref()),
            (Some("notice"), Some("ok"))
        );
        let failed = activity(&mut monitor, |m| {
            serde_json::to_value(m.kind).unwrap() == "event_in"
                && m.outcome.as_deref() != Some("ok")
        })
        .await;
        assert_eq!(failed.outcome.as_deref(), Some("forbidden"));
        assert_eq!(failed.message.as_deref(), Some("asked to fail"));

        // The figures: one socket on `/`, two `echo` in (one error, by code), none of the monitor's own.
        let snapshot = stats(&mut monitor, |s| {
            s.events.iter().any(|e| e.event == "echo" && e.total == 2)
        })
        .await;
        let echo = snapshot.events.iter().find(|e| e.event == "echo").unwrap();
        assert_eq!(echo.errors_by_code.get("forbidden"), Some(&1));
        let root = snapshot
            .namespaces
            .iter()
            .find(|n| n.namespace == "/")
            .expect("a row for /");
        assert_eq!(root.sockets, 1);
        assert!(
            !snapshot
                .namespaces
                .iter()
                .any(|n| n.namespace == "/_monitor"),
            "the monitor counts itself: {snapshot:?}"
        );
        assert_eq!(snapshot.dropped.monitor, 0);

        user.close().await;
        let left = activity(&mut monitor, |m| {
            serde_json::to_value(m.kind).unwrap() == "disconnected"
        })
        .await;
        assert_eq!(left.socket, connected.socket);
        assert!(left.message.is_some());

        monitor.close().await;
        handle.shutdown().await.expect("shuts down");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_monitor_that_does_not_read_loses_activity_not_the_server() {
    within(async {
        // A tiny socket buffer: a monitor client that never polls fills it after a few messages.
        let (addr, handle) = start(config(4)).await;
        let mut sleeper = Polling::open(addr, "", &[]).await;
        let admitted = sleeper
            .connect("/_monitor", Some(&json!({"token": TOKEN})))
            .await;
        assert!(admitted.starts_with("0/_monitor,"), "{admitted}");

        let mut user = Polling::open(addr, "", &[]).await;
        assert!(user.connect("/", None).await.starts_with('0'));
        for id in 1..=20 {
            user.send(&[&format!(r#"2{id}["echo",{{"n":{id}}}]"#)])
                .await;
            let ack = user.next_starting(&format!("3{id}[")).await;
            assert_eq!(
                ack,
                format!(r#"3{id}[{{"n":{id}}}]"#),
                "every event is answered"
            );
        }

        // A second operator, who reads, is told what the first one missed.
        let mut reader = Polling::open(addr, "", &[]).await;
        let admitted = reader
            .connect("/_monitor", Some(&json!({"token": TOKEN})))
            .await;
        assert!(admitted.starts_with("0/_monitor,"), "{admitted}");
        let snapshot = stats(&mut reader, |s| s.dropped.monitor > 0).await;
        let echo = snapshot.events.iter().find(|e| e.event == "echo").unwrap();
        assert_eq!(echo.total, 20);

        user.close().await;
        reader.close().await;
        handle.shutdown().await.expect("shuts down");
    })
    .await;
}

#[tokio::test]
async fn a_monitoring_namespace_the_api_uses_is_refused_at_start() {
    for (namespace, expected) in [
        ("/", "is taken by the API's namespace `/`"),
        ("_monitor", "must be a path starting with `/`"),
        ("/mon{x}", "must be a path starting with `/`"),
    ] {
        let config = ServerConfig {
            port: 0,
            monitor: MonitorConfig {
                namespace: namespace.into(),
                tokens: vec![TOKEN.into()],
            },
            ..ServerConfig::default()
        };
        let error = fastsocket::server::serve(&SPEC, config, TokenList::new(vec![]), install)
            .await
            .err()
            .unwrap_or_else(|| panic!("`{namespace}` was accepted"));
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
        assert!(error.to_string().contains(expected), "{error}");
    }
    // Without a token there is no monitoring namespace at all.
    let (addr, handle) = start(ServerConfig {
        port: 0,
        ..ServerConfig::default()
    })
    .await;
    let mut client = Polling::open(addr, "", &[]).await;
    let answer = client
        .connect("/_monitor", Some(&json!({"token": TOKEN})))
        .await;
    assert!(answer.starts_with("4/_monitor,"), "{answer}");
    client.close().await;
    let (status, _) = http(addr, "GET", "/healthz", &[], "").await;
    assert_eq!(status, 200);
    handle.shutdown().await.expect("shuts down");
}
