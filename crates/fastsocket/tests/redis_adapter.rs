//! The Redis adapter in process: two servers sharing a `redis-server` this test starts on a free loopback port.
//! A broadcast, a room emit and an emit to the whole namespace made on one node reach the clients of the other;
//! both nodes are ready while Redis is up.
//!
//! Without `redis-server` on the PATH the test is skipped with a message, except under `CI=true`, where it fails
//! (CI installs it).

#![cfg(feature = "server")]

mod common;

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::polling::{Polling, http, within};
use fastsocket::server::{
    App, Context, Emitter, HandlerError, RedisUrl, ServerConfig, ServerHandle, ServerSpec,
    TokenList,
};
use serde_json::{Value, json};

static SPEC: ServerSpec = ServerSpec {
    title: "redis adapter test",
    version: "1",
    asyncapi_json: "{}",
    events: &[],
};

/// A `redis-server` of this test, killed when dropped.
struct Redis {
    child: Child,
    port: u16,
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `redis-server` on a free port and waits until it answers `PING`; `None` (skip) when it is not
/// installed and this is not CI.
async fn redis_server() -> Option<Redis> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = match Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(child) => child,
        Err(error) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("redis-server is required under CI=true: {error}")
        }
        Err(error) => {
            eprintln!(
                "skipped: redis-server not started ({error}); `apt-get install redis-server`"
            );
            return None;
        }
    };
    let redis = Redis { child, port };
    loop {
        if let Ok(mut stream) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
            use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
            let mut answer = [0u8; 7];
            if stream.write_all(b"PING\r\n").await.is_ok()
                && stream.read_exact(&mut answer).await.is_ok()
                && &answer == b"+PONG\r\n"
            {
                return Some(redis);
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `shout` broadcasts to the others, `room` emits to the room `r`, `all` to the namespace; `join` joins `r`.
fn install(app: &App) {
    app.namespace::<()>("/", &[])
        .on_with_ack(
            "shout",
            |ctx: Context<Emitter, ()>, payload: Value| async move {
                ctx.broadcast()
                    .emit_unchecked("heard", &payload)
                    .await
                    .map_err(HandlerError::from_error)?;
                Ok::<_, HandlerError>(json!("sent"))
            },
        )
        .on_with_ack("join", |ctx: Context<Emitter, ()>, _: Value| async move {
            ctx.join("r");
            Ok::<_, HandlerError>(json!("joined"))
        })
        .on_with_ack(
            "room",
            |ctx: Context<Emitter, ()>, payload: Value| async move {
                ctx.to("r")
                    .emit_unchecked("in_room", &payload)
                    .await
                    .map_err(HandlerError::from_error)?;
                Ok::<_, HandlerError>(json!("sent"))
            },
        )
        .on_with_ack(
            "all",
            |ctx: Context<Emitter, ()>, payload: Value| async move {
                ctx.namespace()
                    .emit_unchecked("everyone", &payload)
                    .await
                    .map_err(HandlerError::from_error)?;
                Ok::<_, HandlerError>(json!("sent"))
            },
        )
        .register();
}

async fn node(redis: &Redis) -> (SocketAddr, ServerHandle) {
    let config = ServerConfig {
        port: 0,
        redis_url: Some(RedisUrl::new(format!("redis://127.0.0.1:{}/", redis.port))),
        redis_prefix: Some("fastsocket-test".into()),
        ..ServerConfig::default()
    };
    fastsocket::server::serve(&SPEC, config, TokenList::new(vec![]), install)
        .await
        .expect("a node starts")
}

/// Sends `event` with an ack id and returns the ack's payload.
async fn call(client: &mut Polling, id: u32, event: &str, payload: Value) -> String {
    client
        .send(&[&format!("2{id}{}", json!([event, payload]))])
        .await;
    let ack = client.next_starting(&format!("3{id}[")).await;
    ack[format!("3{id}").len()..].to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_sharing_redis_deliver_to_each_others_clients() {
    let Some(redis) = redis_server().await else {
        return;
    };
    within(async {
        let (first, first_handle) = node(&redis).await;
        let (second, second_handle) = node(&redis).await;
        // The link to Redis comes up in the background (a node never waits for Redis to start): each node
        // says it is not ready until then, and ready after.
        for addr in [first, second] {
            loop {
                match http(addr, "GET", "/readyz", &[], "").await {
                    (200, _) => break,
                    (503, body) => {
                        assert!(body.contains("redis unavailable"), "{body}");
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                    other => panic!("{other:?}"),
                }
            }
        }

        let mut sender = Polling::open(first, "", &[]).await;
        assert!(sender.connect("/", None).await.starts_with('0'));
        let mut listener = Polling::open(second, "", &[]).await;
        assert!(listener.connect("/", None).await.starts_with('0'));

        assert_eq!(
            call(&mut sender, 1, "shout", json!({"n": 1})).await,
            r#"["sent"]"#
        );
        let heard = listener.next_starting("2[\"heard\"").await;
        assert_eq!(heard, r#"2["heard",{"n":1}]"#);

        assert_eq!(
            call(&mut listener, 1, "join", json!({})).await,
            r#"["joined"]"#
        );
        assert_eq!(
            call(&mut sender, 2, "room", json!({"n": 2})).await,
            r#"["sent"]"#
        );
        let in_room = listener.next_starting("2[\"in_room\"").await;
        assert_eq!(in_room, r#"2["in_room",{"n":2}]"#);

        assert_eq!(
            call(&mut sender, 3, "all", json!({"n": 3})).await,
            r#"["sent"]"#
        );
        // The whole namespace: the sender on its node, the listener on the other.
        assert_eq!(
            listener.next_starting("2[\"everyone\"").await,
            r#"2["everyone",{"n":3}]"#
        );
        assert_eq!(
            sender.next_starting("2[\"everyone\"").await,
            r#"2["everyone",{"n":3}]"#
        );
        sender.close().await;
        listener.close().await;
        first_handle.shutdown().await.expect("first node stops");
        second_handle.shutdown().await.expect("second node stops");
    })
    .await;
}
