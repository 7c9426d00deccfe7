//! The monitor's clients (feature `monitor-cli`) against a small socketioxide server that mounts a fake
//! `/_monitor` namespace: it checks `auth.token` in connect middleware, then emits a scripted list of
//! `activity` and `stats` messages to each client it admits.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fastsocket::server::monitor::cli::{
    ActivityFilter, Connection, MonitorEvent, MonitorState, RemoteError, RemoteTail, TailFormat,
    Target, render, tail_remote,
};
use fastsocket::server::monitor::protocol::{
    ACTIVITY_EVENT, ActivityKind, ActivityMessage, DroppedCounts, EventDirection, EventStats,
    NamespaceStats, STATS_EVENT, StatsSnapshot,
};
use fastsocket::server::socketioxide::SocketIo;
use fastsocket::server::socketioxide::extract::{SocketRef, TryData};
use fastsocket::server::socketioxide::handler::ConnectHandler as _;
use serde_json::{Value, json};
use tokio::sync::oneshot;

/// A hang guard, not a speed assertion: a broken client must fail the test rather than block CI.
async fn within<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(60), future)
        .await
        .expect("the test did not finish within a minute")
}

struct FakeMonitor {
    addr: SocketAddr,
    /// The `auth` payload of every connect attempt, in order.
    auths: Arc<Mutex<Vec<Value>>>,
    io: SocketIo,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeMonitor {
    /// Listens on `port` (0: any free port) with the namespace `/_monitor`, admitting `token` only.
    async fn start(port: u16, token: &'static str, script: Vec<(&'static str, Value)>) -> Self {
        let (layer, io) = SocketIo::new_layer();
        let auths = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(script);
        let on_connect = move |socket: SocketRef| {
            let script = script.clone();
            async move {
                for (event, value) in script.iter() {
                    socket.emit(*event, value).expect("emit");
                }
            }
        };
        let admit = {
            let auths = auths.clone();
            move |TryData(auth): TryData<Value>| {
                let auth = auth.unwrap_or(Value::Null);
                auths.lock().unwrap().push(auth.clone());
                async move {
                    match auth.get("token").and_then(Value::as_str) {
                        Some(t) if t == token => Ok(()),
                        Some(_) => Err("unauthorized: wrong monitor token".to_owned()),
                        None => Err("unauthorized: no monitor token".to_owned()),
                    }
                }
            }
        };
        io.ns("/_monitor", on_connect.with(admit));
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind");
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let app = axum::Router::new().layer(layer);
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
                .expect("serve");
        });
        FakeMonitor {
            addr,
            auths,
            io,
            stop: Some(stop),
            task,
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn target(&self, token: Option<&str>) -> Target {
        Target::new(&self.url(), None, token.map(str::to_owned)).unwrap()
    }

    /// Disconnects every client (as a server that stops does) and stops listening.
    async fn stop(mut self) {
        self.io.close().await;
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = self.task.await;
    }
}

fn activity(
    i: u64,
    kind: ActivityKind,
    namespace: &str,
    event: Option<&str>,
    outcome: Option<&str>,
) -> ActivityMessage {
    ActivityMessage {
        ts_ms: 1_765_134_000_000 + i,
        kind,
        namespace: namespace.into(),
        socket: format!("s{i}"),
        event: event.map(Into::into),
        principal: None,
        outcome: outcome.map(Into::into),
        message: None,
        latency_us: event.map(|_| 1500),
        size: event.map(|_| 20),
    }
}

fn snapshot(sockets: u64) -> StatsSnapshot {
    StatsSnapshot {
        ts_ms: 1_765_134_000_500,
        uptime_s: 61.5,
        rss_bytes: Some(8 << 20),
        namespaces: vec![NamespaceStats {
            namespace: "/chat".into(),
            sockets,
        }],
        events: vec![EventStats {
            namespace: "/chat".into(),
            event: "send".into(),
            direction: EventDirection::In,
            per_second: 40.0,
            errors_per_second: 2.0,
            total: 400,
            errors_by_code: [("validation_failed".to_owned(), 20)].into(),
            p50_ms: Some(0.8),
            p95_ms: Some(2.0),
            p99_ms: Some(3.5),
        }],
        dropped: DroppedCounts {
            monitor: 7,
            logs: 1,
        },
    }
}

fn script(messages: &[ActivityMessage]) -> Vec<(&'static str, Value)> {
    messages
        .iter()
        .map(|m| (ACTIVITY_EVENT, serde_json::to_value(m).unwrap()))
        .collect()
}

#[tokio::test]
async fn the_token_goes_as_auth_and_messages_feed_the_state() {
    within(async {
        let sent = activity(1, ActivityKind::EventIn, "/chat", Some("send"), Some("ok"));
        let server = FakeMonitor::start(
            0,
            "right",
            vec![
                (ACTIVITY_EVENT, serde_json::to_value(&sent).unwrap()),
                // A message of another shape (a newer server): skipped and counted, not fatal.
                (STATS_EVENT, json!({"ts_ms": "yesterday"})),
                (STATS_EVENT, serde_json::to_value(snapshot(3)).unwrap()),
            ],
        )
        .await;
        let mut connection = Connection::open(server.target(Some("right")))
            .await
            .expect("admitted");
        assert_eq!(
            server.auths.lock().unwrap().as_slice(),
            [json!({"token": "right"})]
        );

        let mut state = MonitorState::new(connection.target().label());
        state.apply(MonitorEvent::Connected);
        for _ in 0..3 {
            state.apply(connection.next().await.expect("event"));
        }
        assert_eq!(state.recent().iter().collect::<Vec<_>>(), [&sent]);
        assert_eq!(state.latest(), Some(&snapshot(3)));
        assert_eq!(state.undecodable(), 1);
        assert_eq!(state.connections_history(), &[3]);
        assert_eq!(state.p99_history(), &[3500]);

        // What the screen shows of it, at the smallest size the view is designed for.
        let mut terminal =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).unwrap();
        terminal.draw(|frame| render(&state, frame)).unwrap();
        let screen = terminal.backend().to_string();
        for expected in [
            "● connected",
            "up 1m01s",
            "p99 latency  now 3.5ms",
            "connections  now 3",
            "send /chat",
            "dropped monitor      7",
            "event_in     /chat send socket=s1 outcome=ok latency=1.5ms",
            "1 undecodable",
        ] {
            assert!(
                screen.contains(expected),
                "{expected:?} not on screen:\n{screen}"
            );
        }
        connection.close().await;
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_wrong_or_missing_token_is_refused_with_the_servers_reason() {
    within(async {
        let server = FakeMonitor::start(0, "right", vec![]).await;
        for (token, reason) in [
            (Some("wrong"), "unauthorized: wrong monitor token"),
            (None, "unauthorized: no monitor token"),
        ] {
            let error = Connection::open(server.target(token))
                .await
                .expect_err("refused");
            let RemoteError::Refused { message, .. } = &error else {
                panic!("expected a refusal, got {error:?}");
            };
            assert_eq!(message, reason);
            // The message says what to do, and never shows the token.
            let shown = error.to_string();
            assert!(shown.contains("FASTSOCKET_MONITOR_TOKEN"), "{shown}");
            assert!(!shown.contains("wrong\""), "{shown}");
        }
        assert_eq!(
            server.auths.lock().unwrap().as_slice(),
            [json!({"token": "wrong"}), json!({})]
        );
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_server_without_the_namespace_refuses_and_no_server_is_unreachable() {
    within(async {
        let server = FakeMonitor::start(0, "right", vec![]).await;
        let target = Target::new(&server.url(), Some("/elsewhere"), Some("right".into())).unwrap();
        let error = Connection::open(target)
            .await
            .expect_err("no such namespace");
        assert!(matches!(error, RemoteError::Refused { .. }), "{error:?}");
        let addr = server.addr;
        server.stop().await;

        let error = Connection::open(Target::new(&format!("http://{addr}"), None, None).unwrap())
            .await
            .expect_err("nothing listens");
        assert!(
            matches!(error, RemoteError::Unreachable { .. }),
            "{error:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn tail_remote_prints_what_passes_the_filter() {
    within(async {
        let messages = vec![
            activity(1, ActivityKind::Connected, "/chat", None, None),
            activity(2, ActivityKind::EventIn, "/chat", Some("send"), Some("ok")),
            activity(3, ActivityKind::EventIn, "/chat", Some("send"), Some("validation_failed")),
            activity(4, ActivityKind::EventIn, "/rooms/1", Some("send"), Some("rate_limited")),
            activity(5, ActivityKind::EventOut, "/chat", Some("message"), Some("ok")),
            activity(6, ActivityKind::EventIn, "/chat", Some("send"), Some("internal")),
        ];
        let mut script = script(&messages);
        script.insert(2, (STATS_EVENT, serde_json::to_value(snapshot(1)).unwrap()));
        let server = FakeMonitor::start(0, "right", script).await;

        // Errors of `send` in `/chat`, pretty: messages 3 and 6.
        let mut out = Vec::new();
        tail_remote(
            RemoteTail {
                target: server.target(Some("right")),
                filter: ActivityFilter {
                    events: vec!["send".into()],
                    namespaces: vec!["/chat".into()],
                    outcomes: vec!["error".into()],
                    ..ActivityFilter::default()
                },
                format: TailFormat::Pretty,
                stop_after: Some(2),
            },
            &mut out,
        )
        .await
        .expect("tail");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "2025-12-07T19:00:00.003Z event_in     /chat send socket=s3 outcome=validation_failed \
             latency=1.5ms size=20B\n\
             2025-12-07T19:00:00.006Z event_in     /chat send socket=s6 outcome=internal latency=1.5ms \
             size=20B\n"
        );

        // Everything under /rooms/ and every `ok`, as JSON lines that read back as the messages sent.
        let mut out = Vec::new();
        tail_remote(
            RemoteTail {
                target: server.target(Some("right")),
                filter: ActivityFilter {
                    outcomes: vec!["ok".into(), "rate_limited".into()],
                    ..ActivityFilter::default()
                },
                format: TailFormat::Json,
                stop_after: Some(3),
            },
            &mut out,
        )
        .await
        .expect("tail");
        let read: Vec<ActivityMessage> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).expect("one JSON object per line"))
            .collect();
        assert_eq!(read, [messages[1].clone(), messages[3].clone(), messages[4].clone()]);

        // A refused token is an error, not an empty output.
        let error = tail_remote(
            RemoteTail {
                target: server.target(Some("nope")),
                filter: ActivityFilter::default(),
                format: TailFormat::Json,
                stop_after: None,
            },
            std::io::sink(),
        )
        .await
        .expect_err("refused");
        assert!(matches!(error, RemoteError::Refused { .. }), "{error:?}");
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn the_client_reconnects_after_a_restart_and_stops_when_the_token_is_revoked() {
    within(async {
        let first = activity(1, ActivityKind::Connected, "/chat", None, None);
        let server = FakeMonitor::start(0, "right", script(std::slice::from_ref(&first))).await;
        let port = server.addr.port();
        let mut connection = Connection::open(server.target(Some("right")))
            .await
            .expect("admitted");
        assert_eq!(
            connection.next().await.unwrap(),
            MonitorEvent::Activity(first.clone())
        );

        // The server restarts on the same port with the same token: the client comes back by itself.
        server.stop().await;
        let again = FakeMonitor::start(port, "right", script(std::slice::from_ref(&first))).await;
        let mut seen = Vec::new();
        loop {
            match connection.next().await.expect("reconnects") {
                MonitorEvent::Activity(message) => {
                    assert_eq!(message, first);
                    break;
                }
                other => seen.push(other),
            }
        }
        assert!(seen.contains(&MonitorEvent::Reconnecting), "{seen:?}");
        assert_eq!(seen.last(), Some(&MonitorEvent::Connected), "{seen:?}");
        assert_eq!(
            again.auths.lock().unwrap().last(),
            Some(&json!({"token": "right"}))
        );

        // It restarts again with other tokens: the refusal ends the stream.
        again.stop().await;
        let revoked = FakeMonitor::start(port, "rotated", vec![]).await;
        let error = loop {
            match connection.next().await {
                Ok(MonitorEvent::Reconnecting) => {}
                Ok(other) => panic!("unexpected {other:?}"),
                Err(error) => break error,
            }
        };
        assert!(matches!(error, RemoteError::Refused { .. }), "{error:?}");
        connection.close().await;
        revoked.stop().await;
    })
    .await;
}
