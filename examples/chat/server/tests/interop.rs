//! The chat server driven by a Rust Socket.IO client (`rust_socketio`), over WebSocket and long-polling:
//! acknowledgements, rooms, typing, history, validation errors, retries, admin authentication and kicks.
//! `cargo xtask chat-interop` runs it against the built server binary (`CHAT_URL`); alone, `cargo test`
//! starts the server in this process.

mod client;

use client::{Server, code, connect, join, paths, server, unique};
use rust_socketio::TransportType;
use serde_json::{Value, json};

/// Each scenario once per transport, as tests of their own (`websocket::…`, `polling::…`), so that each is
/// counted and reported alone.
macro_rules! over_both_transports {
    ($($scenario:ident),* $(,)?) => {
        mod websocket {
            $(
                #[tokio::test]
                async fn $scenario() {
                    super::$scenario(rust_socketio::TransportType::Websocket).await;
                }
            )*
        }
        mod polling {
            $(
                #[tokio::test]
                async fn $scenario() {
                    super::$scenario(rust_socketio::TransportType::Polling).await;
                }
            )*
        }
    };
}

over_both_transports!(
    lobby_join_leave_and_errors,
    messages_reach_the_room_and_no_other,
    history_pages_and_retries,
    invalid_payloads_are_answered_not_fatal,
    admin_needs_credentials_and_kicks,
);

/// A member of a room, once the server has announced it (its `on_connect` has run).
async fn member(
    server: &Server,
    room: &str,
    name: &str,
    transport: &TransportType,
) -> client::Client {
    let mut client = join(server, &format!("/rooms/{room}"), name, transport).await;
    loop {
        let joined = client.next("user_joined").await;
        if joined["user"]["username"] == name {
            return client;
        }
    }
}

async fn lobby_join_leave_and_errors(transport: TransportType) {
    let server = server().await;
    let room = unique("lobby");
    let mut lobby = join(&server, "/", &unique("ada"), &transport).await;
    let first = lobby.ack("join_room", json!({"roomId": room})).await;
    assert_eq!(first["status"], "joined", "{first}");
    assert_eq!(first["namespace"], format!("/rooms/{room}"));
    assert_eq!(first["members"], json!([]));
    assert_eq!(first["error"], Value::Null);
    let again = lobby.ack("join_room", json!({"roomId": room})).await;
    assert_eq!(again["status"], "already_member", "{again}");

    let bad = lobby.ack("join_room", json!({"roomId": "No!"})).await;
    assert_eq!(code(&bad), "validation_failed", "{bad}");
    assert_eq!(paths(&bad), ["/roomId"], "{bad}");
    let missing = lobby.ack("join_room", json!({})).await;
    assert_eq!(code(&missing), "validation_failed", "{missing}");

    // `leave_room` has no acknowledgement: a refusal comes as an `exception` event.
    lobby.emit("leave_room", json!({"roomId": room})).await;
    lobby.emit("leave_room", json!({"roomId": room})).await;
    let refused = lobby.next("exception").await;
    assert_eq!(code(&refused), "validation_failed", "{refused}");
    assert_eq!(paths(&refused), ["/roomId"]);
    let back = lobby.ack("join_room", json!({"roomId": room})).await;
    assert_eq!(back["status"], "joined", "{back}");
    lobby.close().await;
}

async fn messages_reach_the_room_and_no_other(transport: TransportType) {
    let server = server().await;
    let (room_a, room_b) = (unique("ra"), unique("rb"));
    let (ada, grace) = (unique("ada"), unique("grace"));
    let mut a1 = member(&server, &room_a, &ada, &transport).await;
    let mut a2 = member(&server, &room_a, &grace, &transport).await;
    let mut b1 = member(&server, &room_b, &unique("bob"), &transport).await;

    let ack = a1
        .ack("send_message", json!({"text": "hello room a"}))
        .await;
    let id = ack["messageId"].as_str().unwrap_or_else(|| panic!("{ack}"));
    assert!(ack["sentAt"].is_string(), "{ack}");
    for client in [&mut a1, &mut a2] {
        let message = client.next("message").await;
        assert_eq!(message["id"], id, "{message}");
        assert_eq!(message["text"], "hello room a");
        assert_eq!(message["roomId"], room_a.as_str());
        assert_eq!(message["author"]["username"], ada.as_str());
    }
    // Room a's message was broadcast before its ack came back: had it gone to b1, it would come first.
    b1.ack("send_message", json!({"text": "hello room b"}))
        .await;
    let first_seen = b1.next("message").await;
    assert_eq!(first_seen["text"], "hello room b", "{first_seen}");

    a1.emit("typing", json!({"isTyping": true})).await;
    let typing = a2.next("typing_indicator").await;
    assert_eq!(typing["users"], json!([ada]), "{typing}");
    for client in [a1, a2, b1] {
        client.close().await;
    }
}

async fn history_pages_and_retries(transport: TransportType) {
    let server = server().await;
    let room = unique("hist");
    let writer = member(&server, &room, &unique("ada"), &transport).await;
    for text in ["one", "two", "three"] {
        writer.ack("send_message", json!({"text": text})).await;
    }
    let page = writer.ack("history", json!({"limit": 2})).await;
    let texts: Vec<&Value> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["text"])
        .collect();
    assert_eq!(texts, [&json!("two"), &json!("three")], "{page}");
    assert_eq!(page["hasMore"], true);
    let all = writer.ack("history", json!({})).await;
    assert_eq!(all["messages"].as_array().map(Vec::len), Some(3), "{all}");
    assert_eq!(all["hasMore"], false);

    let retry = json!({"text": "once", "clientMessageId": "9a1d2c3e-4f50-4a6b-8c7d-0e1f2a3b4c5d"});
    let first = writer.ack("send_message", retry.clone()).await;
    let second = writer.ack("send_message", retry).await;
    assert_eq!(first["messageId"], second["messageId"], "{first} {second}");
    let after = writer.ack("history", json!({})).await;
    assert_eq!(
        after["messages"].as_array().map(Vec::len),
        Some(4),
        "{after}"
    );
    writer.close().await;
}

async fn invalid_payloads_are_answered_not_fatal(transport: TransportType) {
    let server = server().await;
    let client = member(&server, &unique("val"), &unique("ada"), &transport).await;
    for (payload, path) in [
        (json!({"text": ""}), "/text"),
        (json!({"text": "   "}), "/text"),
        (json!({"text": "x", "kind": "shout"}), "/kind"),
        (json!({"text": 42}), "/text"),
    ] {
        let answer = client.ack("send_message", payload.clone()).await;
        assert_eq!(code(&answer), "validation_failed", "{payload}: {answer}");
        assert_eq!(paths(&answer), [path], "{payload}: {answer}");
    }
    let limit = client.ack("history", json!({"limit": 0})).await;
    assert_eq!(paths(&limit), ["/limit"], "{limit}");
    // The connection survived all of it.
    let ok = client
        .ack("send_message", json!({"text": "still here"}))
        .await;
    assert!(ok["messageId"].is_string(), "{ok}");
    client.close().await;
}

async fn admin_needs_credentials_and_kicks(transport: TransportType) {
    let server = server().await;
    let refused = connect(&server, "/admin", "", None, &transport).await.err();
    assert!(
        refused
            .as_deref()
            .is_some_and(|m| m.contains("unauthorized")),
        "{refused:?}"
    );
    let wrong = connect(
        &server,
        "/admin",
        "",
        Some(json!({"token": "nope"})),
        &transport,
    )
    .await;
    assert!(wrong.is_err(), "a wrong token was accepted");
    let by_key = connect(
        &server,
        "/admin",
        &format!("api_key={}", server.key),
        None,
        &transport,
    )
    .await;
    by_key.expect("the API key is accepted").close().await;

    let mut admin = connect(
        &server,
        "/admin",
        "",
        Some(json!({"token": server.token})),
        &transport,
    )
    .await
    .expect("the bearer token is accepted");
    let stats = admin.next("server_stats").await;
    assert!(stats["connectedSockets"].as_u64().is_some(), "{stats}");

    let (room, name) = (unique("kick"), unique("spam"));
    let mut watcher = member(&server, &room, &unique("mod"), &transport).await;
    let victim = join(&server, &format!("/rooms/{room}"), &name, &transport).await;
    let joined = watcher.next("user_joined").await;
    assert_eq!(joined["user"]["username"], name.as_str(), "{joined}");
    let user_id = joined["user"]["id"].clone();

    let kicked = admin
        .ack("kick_user", json!({"userId": user_id, "banMinutes": 5}))
        .await;
    assert_eq!(kicked, json!({"kicked": true, "sockets": 1}));
    let nobody = admin
        .ack(
            "kick_user",
            json!({"userId": "00000000-0000-4000-8000-000000000000"}),
        )
        .await;
    assert_eq!(nobody, json!({"kicked": false, "sockets": 0}));
    let bad = admin
        .ack("kick_user", json!({"userId": "not-a-uuid"}))
        .await;
    assert_eq!(paths(&bad), ["/userId"], "{bad}");

    // Banned: the lobby refuses the same name.
    let lobby = join(&server, "/", &name, &transport).await;
    let denied = lobby.ack("join_room", json!({"roomId": room})).await;
    assert_eq!(denied["status"], "denied", "{denied}");
    assert!(
        denied["error"]
            .as_str()
            .is_some_and(|e| e.contains("banned")),
        "{denied}"
    );
    for client in [admin, watcher, victim, lobby] {
        client.close().await;
    }
}
