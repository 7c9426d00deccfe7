//! The reference server, driven by a real Socket.IO client over loopback.

mod common;

use std::time::Duration;

use common::*;
use rust_socketio::TransportType;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn valid_event_gets_its_ack() {
    let (addr, server) = start().await;
    let client = connected(addr, Options::new("/")).await;
    assert_eq!(client.ack1("echo", text("hello")).await, text("hello"));
    // Further arguments are ignored: the first one is the payload.
    assert_eq!(
        client.ack("echo", vec![text("first"), json!(2)]).await,
        text("first")
    );
    client.disconnect().await;
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_polling_works_too() {
    let (addr, server) = start().await;
    let client = connected(addr, Options::new("/").transport(TransportType::Polling)).await;
    assert_eq!(client.ack1("echo", text("polled")).await, text("polled"));
    client.disconnect().await;
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_payload_is_answered_with_every_violation() {
    let (addr, server) = start().await;
    let client = connected(addr, Options::new("/")).await;

    let answer = client.ack1("echo", text("")).await;
    assert_eq!(code(&answer), "validation_failed", "{answer}");
    assert_eq!(answer["error"]["details"][0]["path"], "/text");
    assert_eq!(
        answer["error"]["details"][0]["message"],
        "must be at least 1 character long, found 0"
    );
    assert_eq!(
        answer["error"]["message"],
        "invalid payload for `echo`: /text: must be at least 1 character long, found 0"
    );

    let answer = client.ack1("echo", text(&"x".repeat(51))).await;
    assert_eq!(answer["error"]["details"][0]["path"], "/text");

    let answer = client.ack1("echo", json!({"text": 5})).await;
    assert_eq!(
        answer["error"]["details"],
        json!([{"path": "/text", "message": "must be a string, found number"}])
    );

    let answer = client.ack1("echo", json!({})).await;
    assert_eq!(
        answer["error"]["details"],
        json!([{"path": "/text", "message": "is required"}])
    );

    // No argument at all: checked as `null`.
    let answer = client.ack("echo", vec![]).await;
    assert_eq!(code(&answer), "validation_failed", "{answer}");
    assert_eq!(
        answer["error"]["details"][0]["message"],
        "must be an object, found null"
    );

    // The connection is still good.
    assert_eq!(
        client.ack1("echo", text("still here")).await,
        text("still here")
    );
    client.disconnect().await;
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn business_rule_refusal_from_a_handler() {
    let (addr, server) = start().await;
    let client = connected(addr, Options::new("/")).await;
    let answer = client.ack1("echo", text("forbidden")).await;
    assert_eq!(code(&answer), "validation_failed");
    assert_eq!(
        answer["error"]["details"],
        json!([{"path": "/text", "message": "is a forbidden word"}])
    );
    client.disconnect().await;
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_without_ack_comes_as_exception_event() {
    let (addr, server) = start().await;
    let mut client = connected(addr, Options::new("/")).await;
    client.emit("shout", text("")).await;
    let exception = client.next("exception").await;
    assert_eq!(code(&exception), "validation_failed");
    assert_eq!(exception["error"]["details"][0]["path"], "/text");

    client.emit("nope", json!({})).await;
    let exception = client.next("exception").await;
    assert_eq!(code(&exception), "unknown_event");

    // A client that asks for an ack of an event that declares none gets `null`.
    assert_eq!(client.ack1("shout", text("hi")).await, Value::Null);
    client.disconnect().await;
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_event() {
    let (addr, server) = start().await;
    let client = connected(addr, Options::new("/")).await;
    let answer = client.ack1("no-such-event", json!({})).await;
    assert_eq!(code(&answer), "unknown_event");
    assert_eq!(answer["error"]["message"], "unknown event `no-such-event`");
    assert_eq!(answer["error"]["details"], json!([]));
    // `announcement` is outbound only: clients may not send it.
    let answer = client.ack1("announcement", text("x")).await;
    assert_eq!(code(&answer), "unknown_event");
    client.disconnect().await;
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_implemented() {
    let (addr, server) = start().await;
    let client = connected(addr, Options::new("/admin").auth(json!({"token": TOKEN}))).await;
    let answer = client.ack1("kick", json!({"socketId": "abc"})).await;
    assert_eq!(code(&answer), "not_implemented");
    assert_eq!(answer["error"]["message"], "`kick` is not implemented");
    client.disconnect().await;
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handler_panic_is_internal_and_the_socket_lives_on() {
    let (addr, server) = start().await;
    let client = connected(addr, Options::new("/")).await;
    let answer = client.ack1("echo", text("panic")).await;
    assert_eq!(code(&answer), "internal");
    assert_eq!(answer["error"]["message"], "internal error");
    assert_eq!(client.ack1("echo", text("after")).await, text("after"));
    // Another client is not affected either.
    let other = connected(addr, Options::new("/")).await;
    assert_eq!(other.ack1("echo", text("other")).await, text("other"));
    client.disconnect().await;
    other.disconnect().await;
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversize_message_is_refused_without_harming_others() {
    let (addr, server) = start().await;
    let bystander = connected(addr, Options::new("/")).await;
    let big = connected(addr, Options::new("/")).await;

    // Over the limit, under the transport limit: answered, the connection stays.
    let answer = big
        .ack1("echo", text(&"x".repeat(2 * MAX_MESSAGE_BYTES)))
        .await;
    assert_eq!(code(&answer), "payload_too_large", "{answer}");
    assert_eq!(big.ack1("echo", text("small")).await, text("small"));

    // Over the transport limit: that one connection is closed.
    let sockets = || server.io().of("/").unwrap().sockets().len();
    assert_eq!(sockets(), 2);
    big.emit("echo", text(&"x".repeat(100 * 1024))).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    while sockets() != 1 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the oversize connection was not closed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(bystander.ack1("echo", text("fine")).await, text("fine"));
    bystander.disconnect().await;
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secured_namespace_refuses_and_admits() {
    let (addr, server) = start().await;

    let error = connect(addr, Options::new("/admin")).await.err().unwrap();
    assert!(
        error.contains("unauthorized: missing bearer token (auth.token or Authorization header)"),
        "{error}"
    );
    let error = connect(addr, Options::new("/admin").auth(json!({"token": "wrong"})))
        .await
        .err()
        .unwrap();
    assert!(error.contains("unauthorized: invalid token"), "{error}");
    let error = connect(
        addr,
        Options::new("/admin").header("Authorization", "Bearer wrong"),
    )
    .await
    .err()
    .unwrap();
    assert!(error.contains("unauthorized: invalid token"), "{error}");

    // The token in the auth payload, then in the Authorization header (also over long-polling).
    let by_auth = connected(addr, Options::new("/admin").auth(json!({"token": TOKEN}))).await;
    let by_header = connected(
        addr,
        Options::new("/admin").header("Authorization", &format!("Bearer {TOKEN}")),
    )
    .await;
    let by_header_polling = connected(
        addr,
        Options::new("/admin")
            .header("Authorization", &format!("Bearer {TOKEN}"))
            .transport(TransportType::Polling),
    )
    .await;
    for client in [&by_auth, &by_header, &by_header_polling] {
        assert_eq!(
            code(&client.ack1("kick", json!({"socketId": "x"})).await),
            "not_implemented"
        );
    }
    // The public namespace needs nothing.
    let public = connected(addr, Options::new("/")).await;
    for client in [by_auth, by_header, by_header_polling, public] {
        client.disconnect().await;
    }
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamic_namespace_parameters() {
    let (addr, server) = start().await;
    let error = connect(addr, Options::new("/rooms/nope"))
        .await
        .err()
        .unwrap();
    assert!(
        error.contains(r#"invalid namespace `/rooms/nope`: /roomId: must be one of"#),
        "{error}"
    );
    // The refused path does not leave a namespace behind.
    assert!(server.io().of("/rooms/nope").is_none());
    let error = connect(addr, Options::new("/nowhere")).await.err().unwrap();
    assert!(error.contains("Invalid namespace"), "{error}");

    let lobby = connected(addr, Options::new("/rooms/lobby")).await;
    let games = connected(addr, Options::new("/rooms/games")).await;
    lobby.disconnect().await;
    games.disconnect().await;
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn room_broadcast_reaches_the_room_only() {
    let (addr, server) = start().await;
    let mut alice = connected(addr, Options::new("/rooms/lobby")).await;
    let mut bob = connected(addr, Options::new("/rooms/lobby")).await;
    let mut carol = connected(addr, Options::new("/rooms/games")).await;
    // Clients join their room in `on_connect`, which runs just after they are told they are connected: wait
    // until the server shows both in the room before Alice speaks.
    let in_lobby = || {
        server
            .io()
            .of("/rooms/lobby")
            .map_or(0, |ns| ns.within("lobby").sockets().len())
    };
    let deadline = tokio::time::Instant::now() + WAIT;
    while in_lobby() != 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "not both in the room"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    alice.emit("say", text("hi lobby")).await;
    let to_bob = bob.next("said").await;
    assert_eq!(to_bob["text"], "hi lobby");
    let from = to_bob["from"].as_str().unwrap().to_owned();
    let to_alice = alice.next("said").await;
    assert_eq!(to_alice, to_bob);

    // Had Carol been sent Alice's message, it would come before her own.
    carol.emit("say", text("hi games")).await;
    let to_carol = carol.next_any().await;
    assert_eq!(to_carol.0, "said");
    assert_eq!(to_carol.1["text"], "hi games");
    assert_ne!(to_carol.1["from"], from);

    for client in [alice, bob, carol] {
        client.disconnect().await;
    }
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespace_broadcast_reaches_everyone() {
    let (addr, server) = start().await;
    let mut shouter = connected(addr, Options::new("/")).await;
    let mut listener = connected(addr, Options::new("/").transport(TransportType::Polling)).await;
    shouter.emit("shout", text("hello all")).await;
    assert_eq!(listener.next("announcement").await, text("HELLO ALL"));
    assert_eq!(shouter.next("announcement").await, text("HELLO ALL"));
    shouter.disconnect().await;
    listener.disconnect().await;
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_endpoints_and_cors() {
    let (addr, server) = start().await;
    let (status, headers, body) = http_get(addr, "/healthz", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({"status": "ok"})
    );
    assert!(
        headers
            .iter()
            .any(|(k, v)| k == "content-type" && v == "application/json")
    );

    let (status, headers, body) = http_get(addr, "/asyncapi.json", &[]).await;
    assert_eq!(status, 200);
    assert!(
        headers
            .iter()
            .any(|(k, v)| k == "content-type" && v == "application/json")
    );
    let document: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(document["info"]["title"], "Reference");

    // Vite's dev server may call, with credentials; other origins get no CORS grant.
    let (_, headers, _) = http_get(
        addr,
        "/socket.io/?EIO=4&transport=polling",
        &[("Origin", "http://localhost:5173")],
    )
    .await;
    assert!(
        headers
            .iter()
            .any(|(k, v)| k == "access-control-allow-origin" && v == "http://localhost:5173"),
        "{headers:?}"
    );
    assert!(
        headers
            .iter()
            .any(|(k, v)| k == "access-control-allow-credentials" && v == "true")
    );
    let (_, headers, _) = http_get(addr, "/healthz", &[("Origin", "http://evil.example")]).await;
    assert!(
        !headers
            .iter()
            .any(|(k, _)| k == "access-control-allow-origin")
    );

    let (status, _, _) = http_get(addr, "/nothing-here", &[]).await;
    assert_eq!(status, 404);
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_with_clients_connected() {
    let (addr, server) = start().await;
    let _client = connected(addr, Options::new("/")).await;
    let _polling = connected(addr, Options::new("/").transport(TransportType::Polling)).await;
    tokio::time::timeout(WAIT, server.shutdown())
        .await
        .expect("shutdown in time")
        .unwrap();
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}
