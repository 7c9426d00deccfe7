//! Scale-out: one adapter type for every server, in-process ([`ClusterAdapter::Local`]) or shared through
//! Redis ([`ClusterAdapter::Redis`], socketioxide-redis over a [`RedisLink`] that reconnects).
//!
//! Handlers never see which one runs: broadcasts, rooms and `fetch_sockets` go through socketioxide's
//! operators either way. Without a Redis URL the adapter is exactly socketioxide's `LocalAdapter`.
//!
//! With Redis, a namespace is usable at once (its `on_success` runs before the adapter has subscribed its
//! channels), and the subscriptions follow in the init future (awaited at startup for static namespaces,
//! spawned for dynamic ones). socketioxide inserts a dynamic namespace only in `on_success`: were that
//! asynchronous, two clients joining one new dynamic namespace together would each create it and the second
//! insert would orphan the first client's socket. The price is a short window (one Redis round trip) in which
//! a brand-new dynamic namespace does not yet hear broadcasts from other nodes.
//!
//! Losing Redis never stops a node: publishing is skipped (local clients still get every broadcast), remote
//! queries count this node alone, `/readyz` answers 503, and the link reconnects with backoff and subscribes
//! its channels again. Cross-node messages published while the link is down are lost (Socket.IO delivery is
//! at most once).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::future::{BoxFuture, Either};
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, IntoConnectionInfo as _, ProtocolVersion, PushInfo, PushKind};
use socketioxide::adapter::{AdapterError, Emitter, LocalAdapter};
use socketioxide_core::adapter::errors::BroadcastError;
use socketioxide_core::adapter::{
    BroadcastOptions, CoreAdapter, CoreLocalAdapter, DefinedAdapter, RemoteSocketData, Room,
    RoomParam, Spawnable,
};
use socketioxide_core::packet::Packet;
use socketioxide_redis::drivers::{ChanItem, Driver, MessageStream};
use socketioxide_redis::{CustomRedisAdapter, RedisAdapterConfig, RedisAdapterCtr};
use tokio::sync::{Notify, mpsc};

/// The socketioxide instance of a fastsocket server.
pub type SocketIo = socketioxide::SocketIo<ClusterAdapter>;
/// A socket of a fastsocket server (what `socketioxide::extract::SocketRef` is with the default adapter).
pub type SocketRef = socketioxide::extract::SocketRef<ClusterAdapter>;
/// Broadcast operators of a fastsocket server.
pub type BroadcastOperators = socketioxide::operators::BroadcastOperators<ClusterAdapter>;

type RedisPart = CustomRedisAdapter<Emitter, RedisLink>;

/// The adapter of every namespace: local, or shared through Redis (chosen once, by the server's
/// configuration, see [`crate::server::ServerConfig::redis_url`]).
pub enum ClusterAdapter {
    /// One process: socketioxide's in-memory adapter.
    Local(LocalAdapter),
    /// Several processes sharing rooms and broadcasts through Redis pub/sub (in an `Arc`: its `init` wants one),
    /// and whether the namespace was closed (see [`CoreAdapter::init`] below).
    Redis(Arc<RedisPart>, Arc<AtomicBool>),
}

/// What a failed adapter operation reports.
#[derive(Debug)]
pub struct ClusterError(String);

impl std::fmt::Display for ClusterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ClusterError {}

impl From<ClusterError> for AdapterError {
    fn from(error: ClusterError) -> Self {
        AdapterError(Box::new(error))
    }
}

fn redis_error(error: socketioxide_redis::Error<RedisLink>) -> ClusterError {
    ClusterError(error.to_string())
}

/// The end of an adapter's initialisation: nothing to wait for (local), or the subscriptions of its Redis
/// channels. Await it, or let socketioxide spawn it ([`Spawnable`]); a failure is logged.
#[must_use = "the Redis subscriptions happen when this is awaited or spawned"]
pub struct ClusterInit(Option<BoxFuture<'static, ()>>);

impl Future for ClusterInit {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match self.0.as_mut() {
            Some(future) => future.as_mut().poll(cx),
            None => Poll::Ready(()),
        }
    }
}

impl Spawnable for ClusterInit {
    fn spawn(self) {
        if let Some(future) = self.0 {
            tokio::spawn(future);
        }
    }
}

impl DefinedAdapter for ClusterAdapter {}

impl CoreAdapter<Emitter> for ClusterAdapter {
    type Error = ClusterError;
    /// `None`: local; `Some`: the Redis adapter's constructor (the shared link and the channel prefix).
    type State = Option<RedisAdapterCtr<RedisLink>>;
    type AckStream = <RedisPart as CoreAdapter<Emitter>>::AckStream;
    type InitRes = ClusterInit;

    fn new(state: &Self::State, local: CoreLocalAdapter<Emitter>) -> Self {
        match state {
            None => ClusterAdapter::Local(LocalAdapter::new(&(), local)),
            Some(ctr) => ClusterAdapter::Redis(
                Arc::new(RedisPart::new(ctr, local)),
                Arc::new(AtomicBool::new(false)),
            ),
        }
    }

    fn init(self: Arc<Self>, on_success: impl FnOnce() + Send + 'static) -> Self::InitRes {
        // At once in both cases: see the module documentation for why.
        on_success();
        let ClusterAdapter::Redis(redis, closed) = &*self else {
            return ClusterInit(None);
        };
        let (redis, closed) = (redis.clone(), closed.clone());
        let path = redis.get_local().path().to_string();
        let subscribed = redis.clone().init(|| {});
        ClusterInit(Some(Box::pin(async move {
            if let Err(error) = subscribed.await {
                tracing::error!(target: "fastsocket", namespace = path, %error, "cannot subscribe the namespace's Redis channels");
            }
            // A namespace closed while its channels were being subscribed (a dynamic namespace whose only
            // client was refused at once) had them unsubscribed too early: unsubscribe again, or each such
            // connect would leave three subscriptions and a task behind. `close` sets the flag before it
            // unsubscribes, so one of the two unsubscriptions comes after the subscriptions.
            if closed.load(Ordering::SeqCst) {
                let _ = redis.close().await;
            }
        })))
    }

    async fn close(&self) -> Result<(), Self::Error> {
        match self {
            ClusterAdapter::Local(_) => Ok(()),
            ClusterAdapter::Redis(redis, closed) => {
                closed.store(true, Ordering::SeqCst);
                redis.close().await.map_err(redis_error)
            }
        }
    }

    async fn server_count(&self) -> Result<u16, Self::Error> {
        match self {
            ClusterAdapter::Local(_) => Ok(1),
            ClusterAdapter::Redis(redis, _) => redis.server_count().await.map_err(redis_error),
        }
    }

    async fn broadcast(
        &self,
        packet: Packet,
        opts: BroadcastOptions,
    ) -> Result<(), BroadcastError> {
        match self {
            ClusterAdapter::Local(local) => local.broadcast(packet, opts).await,
            ClusterAdapter::Redis(redis, _) => redis.broadcast(packet, opts).await,
        }
    }

    async fn broadcast_with_ack(
        &self,
        packet: Packet,
        opts: BroadcastOptions,
        timeout: Option<Duration>,
    ) -> Result<Self::AckStream, Self::Error> {
        match self {
            ClusterAdapter::Local(local) => Ok(Either::Left(
                local
                    .get_local()
                    .broadcast_with_ack(packet, opts, timeout)
                    .0,
            )),
            ClusterAdapter::Redis(redis, _) => redis
                .broadcast_with_ack(packet, opts, timeout)
                .await
                .map_err(redis_error),
        }
    }

    async fn add_sockets(
        &self,
        opts: BroadcastOptions,
        rooms: impl RoomParam,
    ) -> Result<(), Self::Error> {
        match self {
            ClusterAdapter::Local(local) => {
                local.get_local().add_sockets(opts, rooms);
                Ok(())
            }
            ClusterAdapter::Redis(redis, _) => {
                redis.add_sockets(opts, rooms).await.map_err(redis_error)
            }
        }
    }

    async fn del_sockets(
        &self,
        opts: BroadcastOptions,
        rooms: impl RoomParam,
    ) -> Result<(), Self::Error> {
        match self {
            ClusterAdapter::Local(local) => {
                local.get_local().del_sockets(opts, rooms);
                Ok(())
            }
            ClusterAdapter::Redis(redis, _) => {
                redis.del_sockets(opts, rooms).await.map_err(redis_error)
            }
        }
    }

    async fn disconnect_socket(&self, opts: BroadcastOptions) -> Result<(), BroadcastError> {
        match self {
            ClusterAdapter::Local(local) => local.disconnect_socket(opts).await,
            ClusterAdapter::Redis(redis, _) => redis.disconnect_socket(opts).await,
        }
    }

    async fn rooms(&self, opts: BroadcastOptions) -> Result<Vec<Room>, Self::Error> {
        match self {
            ClusterAdapter::Local(local) => Ok(local.get_local().rooms(opts).into_iter().collect()),
            ClusterAdapter::Redis(redis, _) => redis.rooms(opts).await.map_err(redis_error),
        }
    }

    async fn fetch_sockets(
        &self,
        opts: BroadcastOptions,
    ) -> Result<Vec<RemoteSocketData>, Self::Error> {
        match self {
            ClusterAdapter::Local(local) => Ok(local.get_local().fetch_sockets(opts)),
            ClusterAdapter::Redis(redis, _) => redis.fetch_sockets(opts).await.map_err(redis_error),
        }
    }

    fn get_local(&self) -> &CoreLocalAdapter<Emitter> {
        match self {
            ClusterAdapter::Local(local) => local.get_local(),
            ClusterAdapter::Redis(redis, _) => redis.get_local(),
        }
    }
}

/// What a malformed Redis URL is answered with (never the URL: it may hold a password).
const BAD_URL: &str =
    "invalid Redis URL: expected redis://[user:password@]host:port[/db] or rediss://…";

/// The first wait before reconnecting to Redis; it doubles up to [`MAX_BACKOFF`].
const MIN_BACKOFF: Duration = Duration::from_millis(250);
/// The longest wait between two attempts to reach Redis.
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How often a connected link pings Redis (a silent network failure shows up within this plus the timeout).
const PING_EVERY: Duration = Duration::from_secs(2);
/// The bound on connecting and on every Redis command.
const REDIS_TIMEOUT: Duration = Duration::from_secs(2);

/// The connection to Redis shared by every namespace's adapter (a socketioxide-redis [`Driver`]): one
/// multiplexed RESP3 connection, re-established with backoff when lost, after which every channel is
/// subscribed again. Clones share it.
#[derive(Clone)]
pub struct RedisLink {
    inner: Arc<LinkInner>,
}

struct LinkInner {
    client: redis::Client,
    state: Mutex<LinkState>,
    /// Whether the link is up and its channels subscribed (`/readyz`).
    connected: AtomicBool,
    /// The connection in use, counted: a disconnection reported by an older one is ignored.
    generation: AtomicU64,
    /// Rung when the connection in use is found broken.
    lost: Notify,
}

#[derive(Default)]
struct LinkState {
    /// Where each subscribed channel's messages go (kept across reconnections).
    handlers: HashMap<String, mpsc::Sender<ChanItem>>,
    conn: Option<MultiplexedConnection>,
}

/// A Redis command that failed while connected.
#[derive(Debug)]
pub struct RedisLinkError(redis::RedisError);

impl std::fmt::Display for RedisLinkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for RedisLinkError {}

impl RedisLink {
    /// Opens the link to the Redis at `url` (`redis://host:port/db`, `rediss://…`, credentials in the URL;
    /// RESP3 is switched on whatever the URL says: pub/sub needs it). Returns at once: connecting (and
    /// reconnecting) happens in a background task that ends when the last clone is dropped. A malformed URL
    /// is an error; the message never repeats the URL (it may hold a password).
    pub fn open(url: &str) -> Result<Self, String> {
        let info = url.into_connection_info().map_err(|_| BAD_URL.to_owned())?;
        let settings = info
            .redis_settings()
            .clone()
            .set_protocol(ProtocolVersion::RESP3);
        let client = redis::Client::open(info.set_redis_settings(settings))
            .map_err(|_| BAD_URL.to_owned())?;
        let inner = Arc::new(LinkInner {
            client,
            state: Mutex::new(LinkState::default()),
            connected: AtomicBool::new(false),
            generation: AtomicU64::new(0),
            lost: Notify::new(),
        });
        tokio::spawn(supervise(Arc::downgrade(&inner)));
        Ok(RedisLink { inner })
    }

    /// Whether the link is connected and its channels subscribed.
    pub fn is_connected(&self) -> bool {
        self.inner.connected.load(Ordering::Acquire)
    }

    fn state(&self) -> std::sync::MutexGuard<'_, LinkState> {
        self.inner.state()
    }

    /// The connection in use, if any, with its generation (report a failed command with [`Self::broken`]).
    pub(crate) fn conn(&self) -> Option<(MultiplexedConnection, u64)> {
        let state = self.state();
        let generation = self.inner.generation.load(Ordering::Acquire);
        state.conn.clone().map(|conn| (conn, generation))
    }
}

impl RedisLink {
    /// A command on connection `generation` failed: reconnect (unless that connection was replaced already).
    pub(crate) fn broken(&self, generation: u64) {
        self.inner.broken(generation);
    }
}

impl LinkInner {
    fn state(&self) -> std::sync::MutexGuard<'_, LinkState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A command on connection `generation` failed: have the supervisor reconnect (unless that connection was
    /// replaced already).
    fn broken(&self, generation: u64) {
        if self.generation.load(Ordering::Acquire) == generation {
            self.connected.store(false, Ordering::Release);
            self.lost.notify_one();
        }
    }

    /// A message pushed by Redis on connection `generation`.
    fn pushed(&self, generation: u64, push: PushInfo) {
        match push.kind {
            PushKind::Message => {
                let mut data = push.data.into_iter();
                let (Some(channel), Some(message)) = (data.next(), data.next()) else {
                    return;
                };
                let (Ok(channel), Ok(message)) = (
                    redis::from_redis_value::<String>(channel),
                    redis::from_redis_value::<Vec<u8>>(message),
                ) else {
                    tracing::warn!(target: "fastsocket", "unreadable message from Redis");
                    return;
                };
                let sender = self.state().handlers.get(&channel).cloned();
                if let Some(sender) = sender
                    && sender.try_send((channel, message)).is_err()
                {
                    tracing::warn!(target: "fastsocket", "Redis messages arrive faster than they are handled: one dropped");
                }
            }
            PushKind::Disconnection => self.broken(generation),
            _ => {}
        }
    }
}

/// Connects, subscribes every channel, watches the connection; on loss, waits (backoff) and starts again.
/// Ends when the link is dropped.
async fn supervise(link: Weak<LinkInner>) {
    let mut backoff = MIN_BACKOFF;
    let mut failures = 0u32;
    loop {
        let Some(inner) = link.upgrade() else {
            return;
        };
        match connect(&inner).await {
            Ok(generation) => {
                failures = 0;
                backoff = MIN_BACKOFF;
                tracing::info!(target: "fastsocket", "connected to Redis");
                watch(inner, generation).await;
                let Some(inner) = link.upgrade() else {
                    return;
                };
                inner.connected.store(false, Ordering::Release);
                inner.state().conn = None;
                tracing::warn!(target: "fastsocket", "lost the connection to Redis: serving local clients only, reconnecting");
            }
            Err(error) => {
                failures += 1;
                // Once per outage at `warn`: a node that cannot reach Redis for an hour logs one line, not 720.
                if failures == 1 {
                    tracing::warn!(target: "fastsocket", error = ?error.kind(), "cannot reach Redis: serving local clients only, retrying with backoff");
                } else {
                    tracing::debug!(target: "fastsocket", error = ?error.kind(), failures, "cannot reach Redis");
                }
                drop(inner);
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// One connection: opened, made the one in use, every known channel subscribed.
async fn connect(inner: &Arc<LinkInner>) -> redis::RedisResult<u64> {
    let generation = inner.generation.load(Ordering::Acquire) + 1;
    let pushes = Arc::downgrade(inner);
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(REDIS_TIMEOUT))
        .set_response_timeout(Some(REDIS_TIMEOUT))
        .set_push_sender(move |push: PushInfo| {
            if let Some(inner) = pushes.upgrade() {
                inner.pushed(generation, push);
            }
            Ok::<(), std::convert::Infallible>(())
        });
    let mut conn = inner
        .client
        .get_multiplexed_async_connection_with_config(&config)
        .await?;
    // In use from now on: a channel subscribed from here is subscribed by `subscribe` itself, one
    // subscribed before is in the list below (both at worst: subscribing twice is harmless).
    let channels: Vec<String> = {
        let mut state = inner.state();
        inner.generation.store(generation, Ordering::Release);
        state.conn = Some(conn.clone());
        state.handlers.keys().cloned().collect()
    };
    if !channels.is_empty()
        && let Err(error) = conn.subscribe(&channels).await
    {
        inner.state().conn = None;
        return Err(error);
    }
    inner.connected.store(true, Ordering::Release);
    Ok(generation)
}

/// Returns when connection `generation` is found broken (a disconnection pushed by the client library, a
/// failed command, a failed ping) or the link is dropped.
async fn watch(inner: Arc<LinkInner>, generation: u64) {
    let link = Arc::downgrade(&inner);
    drop(inner);
    loop {
        let Some(inner) = link.upgrade() else {
            return;
        };
        if !inner.connected.load(Ordering::Acquire) {
            return;
        }
        let Some(mut conn) = inner.state().conn.clone() else {
            return;
        };
        // Holding the link for one interval at most: a dropped link ends this at the next one.
        tokio::select! {
            () = inner.lost.notified() => return,
            () = tokio::time::sleep(PING_EVERY) => {}
        }
        drop(inner);
        let pong: redis::RedisResult<String> = redis::cmd("PING").query_async(&mut conn).await;
        if pong.is_err() {
            if let Some(inner) = link.upgrade() {
                inner.broken(generation);
            }
            return;
        }
    }
}

impl Driver for RedisLink {
    type Error = RedisLinkError;

    /// Skipped while disconnected (the local part of a broadcast goes on; other nodes miss it).
    async fn publish(&self, chan: String, val: Vec<u8>) -> Result<(), Self::Error> {
        let Some((mut conn, generation)) = self.conn() else {
            return Ok(());
        };
        let published: redis::RedisResult<redis::Value> = redis::cmd("PUBLISH")
            .arg(chan)
            .arg(val)
            .query_async(&mut conn)
            .await;
        if let Err(error) = published {
            tracing::warn!(target: "fastsocket", error = ?error.kind(), "cannot publish to Redis: other nodes miss one message");
            self.inner.broken(generation);
        }
        Ok(())
    }

    /// Never fails: a channel subscribed while disconnected is subscribed on reconnection.
    async fn subscribe(
        &self,
        chan: String,
        size: usize,
    ) -> Result<MessageStream<ChanItem>, Self::Error> {
        let (tx, rx) = mpsc::channel(size.max(1));
        let conn = {
            let mut state = self.state();
            state.handlers.insert(chan.clone(), tx);
            state.conn.clone()
        };
        if let Some(mut conn) = conn
            && conn.subscribe(&chan).await.is_err()
        {
            self.inner
                .broken(self.inner.generation.load(Ordering::Acquire));
        }
        Ok(MessageStream::new(rx))
    }

    async fn unsubscribe(&self, chan: String) -> Result<(), Self::Error> {
        let conn = {
            let mut state = self.state();
            state.handlers.remove(&chan);
            state.conn.clone()
        };
        if let Some(mut conn) = conn {
            // A failure leaves a subscription nobody reads: its messages are ignored (no handler).
            let _ = conn.unsubscribe(&chan).await;
        }
        Ok(())
    }

    /// The nodes subscribed to `chan`; 1 (this node alone) while disconnected, so queries do not wait for
    /// answers that cannot come.
    async fn num_serv(&self, chan: &str) -> Result<u16, Self::Error> {
        let Some((mut conn, generation)) = self.conn() else {
            return Ok(1);
        };
        let counted: redis::RedisResult<(String, u16)> = redis::cmd("PUBSUB")
            .arg("NUMSUB")
            .arg(chan)
            .query_async(&mut conn)
            .await;
        counted.map(|(_, count)| count.max(1)).map_err(|error| {
            self.inner.broken(generation);
            RedisLinkError(error)
        })
    }
}

/// The Redis side of a server: the link and the adapter constructor built on it.
#[derive(Clone)]
pub(crate) struct Cluster {
    pub(crate) link: RedisLink,
    pub(crate) prefix: String,
}

impl Cluster {
    /// Opens the link (see [`RedisLink::open`]); channels are named `{prefix}-…`.
    pub(crate) fn open(url: &str, prefix: &str) -> Result<Self, String> {
        Ok(Cluster {
            link: RedisLink::open(url)?,
            prefix: prefix.to_owned(),
        })
    }

    pub(crate) fn adapter_state(&self) -> RedisAdapterCtr<RedisLink> {
        RedisAdapterCtr::new_with_driver(
            self.link.clone(),
            RedisAdapterConfig::new().with_prefix(self.prefix.clone()),
        )
    }
}

/// The default channel prefix of an API: `fastsocket-` and its title, lower-cased, every run of other
/// characters than ASCII letters and digits as one `-` (two APIs on one Redis do not hear each other).
pub fn default_redis_prefix(title: &str) -> String {
    let mut prefix = String::from("fastsocket");
    let mut dash = true;
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            if dash {
                prefix.push('-');
                dash = false;
            }
            prefix.push(c.to_ascii_lowercase());
        } else {
            dash = true;
        }
    }
    prefix
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_from_titles() {
        assert_eq!(default_redis_prefix("Chat API"), "fastsocket-chat-api");
        assert_eq!(
            default_redis_prefix("  Ünï#code! 2 "),
            "fastsocket-n-code-2"
        );
        assert_eq!(default_redis_prefix(""), "fastsocket");
    }

    #[tokio::test]
    async fn a_bad_url_is_refused_without_repeating_it() {
        let error = RedisLink::open("nope://user:s3cret@host").err().unwrap();
        assert!(!error.contains("s3cret"), "{error}");
    }

    #[tokio::test]
    async fn an_unreachable_redis_leaves_the_link_down_and_publishing_harmless() {
        // Port 1 on loopback: nothing listens there.
        let link = RedisLink::open("redis://127.0.0.1:1/").unwrap();
        link.publish("c".into(), vec![1]).await.unwrap();
        let _stream = link.subscribe("c".into(), 4).await.unwrap();
        assert_eq!(link.num_serv("c").await.unwrap(), 1);
        assert!(!link.is_connected());
    }
}
