//! The server's defences, driven over loopback by a real Socket.IO client (rust_socketio) and, for packets no
//! client library sends, by raw Engine.IO long-polling: the `Origin` check, dynamic namespaces that do not
//! pile up, binary attachments under the size limit, per-socket rate limits, connection caps, the header-read
//! timeout.

mod common;

use std::time::Duration;

use base64::Engine as _;
use common::*;
use rust_socketio::{Payload, TransportType};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// Waits (bounded) until `done` holds.
async fn eventually(what: &str, done: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !done() {
        assert!(tokio::time::Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_origin_is_refused_before_the_handshake() {
    let (addr, server) = start().await;
    let polling = "/socket.io/?EIO=4&transport=polling";
    // Raw requests: the handshake itself is refused.
    let (status, _, body) = http_get(addr, polling, &[("Origin", "http://evil.example")]).await;
    assert_eq!(status, 403, "{body}");
    for allowed in ["http://localhost:5173", &format!("http://{addr}")] {
        let (status, _, body) = http_get(addr, polling, &[("Origin", allowed)]).await;
        assert_eq!(status, 200, "{allowed}: {body}");
    }
    // Without `Origin` (a non-browser client): allowed.
    assert_eq!(http_get(addr, polling, &[]).await.0, 200);
    // Other routes are CORS's business, not refused.
    let (status, _, _) = http_get(addr, "/healthz", &[("Origin", "http://evil.example")]).await;
    assert_eq!(status, 200);

    // A real client, over WebSocket and over long-polling.
    for transport in [TransportType::Websocket, TransportType::Polling] {
        let error = connect(
            addr,
            Options::new("/")
                .header("Origin", "http://evil.example")
                .transport(transport.clone()),
        )
        .await
        .err()
        .expect("a foreign origin is refused");
        assert!(error.starts_with("transport:"), "{error}");
        let same = connected(
            addr,
            Options::new("/")
                .header("Origin", &format!("http://{addr}"))
                .transport(transport),
        )
        .await;
        assert_eq!(same.ack1("echo", text("hi")).await, text("hi"));
        same.disconnect().await;
    }
    assert!(server.io().of("/").unwrap().sockets().is_empty());
    server.shutdown().await.unwrap();

    // The check can be turned off (non-browser deployments).
    let (addr, server) = start_with(|c| c.check_origin = false).await;
    let (status, _, _) = http_get(addr, polling, &[("Origin", "http://evil.example")]).await;
    assert_eq!(status, 200);
    server.shutdown().await.unwrap();
}

/// The namespaces socketioxide holds.
fn namespace_count(server: &fastsocket::server::ServerHandle) -> usize {
    server.io().nsps().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_connects_to_random_dynamic_namespaces_leave_nothing_behind() {
    let (addr, server) = start_with(|c| c.max_message_bytes = 64 * 1024).await;
    let before = namespace_count(&server);
    // 5,000 CONNECT packets to made-up rooms, 100 per request, on one Engine.IO session (as a client
    // multiplexing namespaces does); every one is refused.
    let session = Polling::open(addr).await;
    let mut refused = 0;
    for batch in 0..50 {
        let packets: Vec<String> = (0..100)
            .map(|i| format!("40/rooms/r{batch}x{i},"))
            .collect();
        assert_eq!(session.post(&packets).await, 200);
        let mut answered = 0;
        while answered < 100 {
            let packets = session.poll().await.expect("the session lives");
            for packet in packets {
                assert!(packet.starts_with("44/rooms/r"), "{packet}");
                assert!(packet.contains("invalid namespace"), "{packet}");
                answered += 1;
            }
        }
        refused += answered;
    }
    assert_eq!(refused, 5000);
    assert_eq!(namespace_count(&server), before);

    // A room that exists goes with its last client.
    let first = connected(addr, Options::new("/rooms/lobby")).await;
    let second = connected(addr, Options::new("/rooms/lobby")).await;
    assert!(server.io().of("/rooms/lobby").is_some());
    first.disconnect().await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(server.io().of("/rooms/lobby").is_some());
    second.disconnect().await;
    eventually("the empty room is removed", || {
        server.io().of("/rooms/lobby").is_none()
    })
    .await;
    assert_eq!(namespace_count(&server), before);
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamic_namespaces_are_capped() {
    let (addr, server) = start_with(|c| c.max_dynamic_namespaces = 1).await;
    let lobby = connected(addr, Options::new("/rooms/lobby")).await;
    let error = connect(addr, Options::new("/rooms/games"))
        .await
        .err()
        .unwrap();
    assert!(error.contains("too many namespaces"), "{error}");
    assert!(server.io().of("/rooms/games").is_none());
    // The room that exists still takes clients.
    let again = connected(addr, Options::new("/rooms/lobby")).await;
    lobby.disconnect().await;
    again.disconnect().await;
    eventually("the room is removed", || {
        server.io().of("/rooms/lobby").is_none()
    })
    .await;
    let games = connected(addr, Options::new("/rooms/games")).await;
    games.disconnect().await;
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_attachments_obey_the_size_limit() {
    let (addr, server) = start().await;
    // A real client's binary payload over the limit: answered like text.
    let mut client = connected(addr, Options::new("/")).await;
    client
        .emit_payload("echo", Payload::from(vec![7u8; 2 * MAX_MESSAGE_BYTES]))
        .await;
    let answer = client.next("exception").await;
    assert_eq!(code(&answer), "payload_too_large", "{answer}");
    assert_eq!(
        client.ack1("echo", text("still here")).await,
        text("still here")
    );
    client.disconnect().await;

    let base64 = |n: usize| {
        format!(
            "b{}",
            base64::engine::general_purpose::STANDARD.encode(vec![1u8; n])
        )
    };
    let header = r#"452-7["echo",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#;
    // Two attachments over the limit together, each under it: answered `payload_too_large`.
    let session = Polling::open(addr).await;
    assert_eq!(session.post(&["40".to_owned()]).await, 200);
    let opened = session.poll().await.unwrap();
    assert!(opened[0].starts_with("40{"), "{opened:?}");
    let small = MAX_MESSAGE_BYTES * 3 / 4;
    assert_eq!(
        session
            .post(&[header.to_owned(), base64(small), base64(small)])
            .await,
        200
    );
    let answer = session.poll().await.unwrap().join("");
    assert!(answer.starts_with("437["), "{answer}");
    assert!(answer.contains("payload_too_large"), "{answer}");

    // Attachments over the transport limit in all (64 KiB here), each small enough for the transport, in
    // separate requests: the connection is closed, the attachments are not kept.
    let sockets = || server.io().of("/").unwrap().sockets().len();
    assert_eq!(sockets(), 1);
    let large = 40 * 1024;
    assert_eq!(session.post(&[header.to_owned(), base64(large)]).await, 200);
    session.post(&[base64(large)]).await;
    eventually("the connection is closed", || sockets() == 0).await;
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_socket_is_rate_limited_and_others_keep_being_answered() {
    let (addr, server) = start_with(|c| {
        c.events_per_second = 10;
        c.event_burst = 10;
    })
    .await;
    let mut flooder = connected(addr, Options::new("/")).await;
    let bystander = connected(addr, Options::new("/")).await;
    // 100 events at once (no acknowledgement: rust_socketio draws ack ids from 0..999, so 100 outstanding acks
    // collide): the burst is handled, most of the rest refused with an `exception` event.
    for i in 0..100 {
        flooder.emit("echo", text(&format!("m{i}"))).await;
    }
    let mut limited = 0;
    while limited < 50 {
        let exception = flooder.next("exception").await;
        assert_eq!(code(&exception), "rate_limited", "{exception}");
        assert_eq!(exception["error"]["message"], "too many events: slow down");
        limited += 1;
    }
    // Meanwhile another client is served normally.
    for i in 0..5 {
        let t = format!("b{i}");
        assert_eq!(bystander.ack1("echo", text(&t)).await, text(&t));
    }
    // The bucket refills: after a pause the flooder is served again.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(flooder.ack1("echo", text("calm")).await, text("calm"));
    flooder.disconnect().await;
    bystander.disconnect().await;
    server.shutdown().await.unwrap();
}

/// Whether the server closes `stream` (reads EOF or a reset) within the test's bound.
async fn closed_by_server(stream: &mut tokio::net::TcpStream) -> bool {
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(WAIT, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => {}
            Err(_) => return false,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_are_capped_per_address_and_per_server() {
    let (addr, server) = start_with(|c| c.max_connections_per_ip = 2).await;
    let connect = || async { tokio::net::TcpStream::connect(addr).await.unwrap() };
    let held = [connect().await, connect().await];
    // Let the server count them.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut third = connect().await;
    let _ = third
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    assert!(closed_by_server(&mut third).await);
    drop(held);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(http_get(addr, "/healthz", &[]).await.0, 200);
    // A real client still connects once there is room.
    let client = connected(addr, Options::new("/")).await;
    client.disconnect().await;
    server.shutdown().await.unwrap();

    let (addr, server) = start_with(|c| c.max_connections = 1).await;
    let _held = tokio::net::TcpStream::connect(addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut second = tokio::net::TcpStream::connect(addr).await.unwrap();
    assert!(closed_by_server(&mut second).await);
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_loris_is_cut_off() {
    let (addr, server) = start_with(|c| c.header_read_timeout = Duration::from_secs(1)).await;
    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    // The headers never end: the server hangs up (after the 1 s timeout, well before the test's bound).
    assert!(closed_by_server(&mut slow).await);
    assert_eq!(http_get(addr, "/healthz", &[]).await.0, 200);
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dynamic_namespace_refused_for_credentials_is_removed_unless_others_are_in() {
    use fastsocket::server::{ServerConfig, TokenList};
    use reference_server::generated::server::{SPEC, admin, rooms::RoomsParams};
    // The rooms, secured like `/admin` (the reference document has no secured dynamic namespace).
    let config = ServerConfig {
        host: "127.0.0.1".to_owned(),
        port: 0,
        ..ServerConfig::default()
    };
    let (addr, server) = fastsocket::server::serve(
        &SPEC,
        config,
        TokenList::new(vec![TOKEN.to_owned()]),
        |app| {
            app.namespace::<RoomsParams>("/rooms/{roomId}", admin::SECURITY)
                .register()
        },
    )
    .await
    .unwrap();
    let error = connect(addr, Options::new("/rooms/lobby"))
        .await
        .err()
        .unwrap();
    assert!(error.contains("unauthorized"), "{error}");
    assert!(server.io().of("/rooms/lobby").is_none());

    let member = connected(
        addr,
        Options::new("/rooms/lobby").auth(serde_json::json!({"token": TOKEN})),
    )
    .await;
    // A refused client does not take the room from the one inside.
    let error = connect(addr, Options::new("/rooms/lobby"))
        .await
        .err()
        .unwrap();
    assert!(error.contains("unauthorized"), "{error}");
    assert_eq!(server.io().of("/rooms/lobby").unwrap().sockets().len(), 1);
    member.disconnect().await;
    eventually("the room is removed with its last client", || {
        server.io().of("/rooms/lobby").is_none()
    })
    .await;
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_in_flight_per_socket_are_capped() {
    use fastsocket::server::{Context, Emitter, HandlerError, ServerConfig, TokenList};
    use reference_server::generated::server::{SPEC, root::RootParams};
    let config = ServerConfig {
        host: "127.0.0.1".to_owned(),
        port: 0,
        max_in_flight: 2,
        ..ServerConfig::default()
    };
    // A handler that takes its time, so that events pile up.
    let (addr, server) = fastsocket::server::serve(&SPEC, config, TokenList::new(vec![]), |app| {
        app.namespace::<RootParams>("/", &[])
            .on(
                "slow",
                |_: Context<Emitter, RootParams>, _: serde_json::Value| async {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    Ok::<(), HandlerError>(())
                },
            )
            .register()
    })
    .await
    .unwrap();
    let mut client = connected(addr, Options::new("/")).await;
    for _ in 0..5 {
        client.emit("slow", serde_json::json!({})).await;
    }
    // Two are handled, the three others refused at once.
    for _ in 0..3 {
        let exception = client.next("exception").await;
        assert_eq!(code(&exception), "rate_limited", "{exception}");
        assert_eq!(
            exception["error"]["message"],
            "too many events in flight: wait for the answers"
        );
    }
    // Once they are done, the socket is served again.
    tokio::time::sleep(Duration::from_millis(700)).await;
    client.emit("slow", serde_json::json!({})).await;
    client.emit("nope", serde_json::json!({})).await;
    let (event, payload) = client.next_any().await;
    assert_eq!(event, "exception");
    assert_eq!(code(&payload), "unknown_event", "{payload}");
    client.disconnect().await;
    server.shutdown().await.unwrap();
}
