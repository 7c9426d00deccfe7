//! Typed streams of inbound events: every event that passed its checks, as its handler gets it, for pipelines
//! over live traffic (filter, map, throttle, windows, merges) that never touch the handlers.
//!
//! A generated server has one accessor per inbound event (`streams.room().send_message()`, handed to the
//! handlers' `on_start`); underneath, [`Streams::subscribe`] gives an [`EventStream`] of [`Received`] items,
//! a [`Stream`] to compose with [`tokio_stream::StreamExt`] (re-exported: `throttle`, `chunks_timeout`,
//! `merge`, `timeout`) or `futures_util::StreamExt` (`filter`, `scan`, `select`).
//!
//! # Cost and back-pressure
//!
//! - Nobody subscribed to an event: its dispatch pays one atomic load, nothing is cloned or allocated (the
//!   channel is made at the first subscription).
//! - Subscribed: the payload is cloned once into an [`Arc`] after validation and before the handler runs, and
//!   put in a bounded broadcast channel of [`STREAM_BUFFER`] items per event, shared by its subscribers. The
//!   server never waits for a subscriber.
//! - A subscriber that falls more than [`STREAM_BUFFER`] items behind loses the oldest ones: its stream goes
//!   on with the oldest item still buffered and counts what it missed ([`EventStream::lag`], or an explicit
//!   [`Lagged`] item through [`EventStream::with_lag`]); every miss is also counted in `GET /metrics`
//!   (`fastsocket_dropped_records_total{sink="stream"}`).
//!
//! Items hold the socket (an [`Arc`] inside): a full buffer keeps at most [`STREAM_BUFFER`] of them alive.

use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context as TaskContext, Poll};

use futures_util::Stream;
use socketioxide::socket::Sid;
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

use super::auth::Principal;
use super::cluster::SocketRef;
use super::context::SocketState;
use super::namespace::App;

/// tokio's stream combinators (`throttle`, `chunks_timeout`, `merge`, `timeout`) and wrappers
/// (`IntervalStream`), the version this runtime is built with.
pub use tokio_stream;

/// How many items of one event are buffered for its subscribers: a subscriber further behind loses the
/// oldest (and is told how many).
pub const STREAM_BUFFER: usize = 1024;

/// Items lost by slow subscribers since the process started, across every stream.
static LAGGED: AtomicU64 = AtomicU64::new(0);

/// Items that slow subscribers lost since the process started (all streams together; `GET /metrics` shows it
/// as `fastsocket_dropped_records_total{sink="stream"}`).
pub fn lagged_total() -> u64 {
    LAGGED.load(Ordering::Relaxed)
}

/// One inbound event that passed its checks (rate, size, security, schema), as its handler got it.
///
/// Cheap to clone: the payload and the socket's state are shared.
pub struct Received<T, P = ()> {
    payload: Arc<T>,
    socket: SocketRef,
    state: Arc<SocketState<P>>,
}

impl<T, P> Received<T, P> {
    /// The decoded payload.
    pub fn payload(&self) -> &T {
        &self.payload
    }

    /// The decoded payload, shared (to keep it past the item without a copy).
    pub fn shared_payload(&self) -> Arc<T> {
        self.payload.clone()
    }

    /// The namespace's parameters (`/rooms/{roomId}`: the room id), checked at connect.
    pub fn params(&self) -> &P {
        &self.state.params
    }

    /// The namespace's concrete path (`/rooms/general`).
    pub fn namespace(&self) -> &str {
        self.socket.ns()
    }

    /// The socket that sent it.
    pub fn socket_id(&self) -> Sid {
        self.socket.id
    }

    /// The socket that sent it (to answer it, read its rooms; it may have disconnected since).
    pub fn socket(&self) -> &SocketRef {
        &self.socket
    }

    /// The principal the socket authenticated as, if it connected with credentials.
    pub fn principal(&self) -> Option<&Principal> {
        self.state.principal.as_ref()
    }
}

impl<T, P> Clone for Received<T, P> {
    fn clone(&self) -> Self {
        Received {
            payload: self.payload.clone(),
            socket: self.socket.clone(),
            state: self.state.clone(),
        }
    }
}

impl<T: fmt::Debug, P> fmt::Debug for Received<T, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Received")
            .field("namespace", &self.namespace())
            .field("socket", &self.socket.id)
            .field("payload", &self.payload)
            .finish_non_exhaustive()
    }
}

/// The channel of one event of one namespace pattern.
pub(crate) struct Topic<T, P> {
    subscribers: AtomicUsize,
    sender: OnceLock<broadcast::Sender<Received<T, P>>>,
}

impl<T, P> Topic<T, P>
where
    T: Send + Sync + 'static,
    P: Send + Sync + 'static,
{
    fn new() -> Self {
        Topic {
            subscribers: AtomicUsize::new(0),
            sender: OnceLock::new(),
        }
    }

    /// Whether anyone listens (one atomic load: the whole cost of an event nobody subscribed to).
    pub(crate) fn wanted(&self) -> bool {
        self.subscribers.load(Ordering::Relaxed) > 0
    }

    /// Hands one event to the subscribers; never waits (a full buffer drops its oldest item).
    pub(crate) fn publish(&self, payload: T, socket: SocketRef, state: Arc<SocketState<P>>) {
        if let Some(sender) = self.sender.get() {
            // `Err` only when every receiver has just gone: nothing to do.
            let _ = sender.send(Received {
                payload: Arc::new(payload),
                socket,
                state,
            });
        }
    }

    fn subscribe(self: &Arc<Self>) -> EventStream<T, P> {
        let sender = self
            .sender
            .get_or_init(|| broadcast::channel(STREAM_BUFFER).0);
        // Counted before the receiver exists: an event published in between is simply not seen.
        self.subscribers.fetch_add(1, Ordering::Relaxed);
        EventStream {
            inner: BroadcastStream::new(sender.subscribe()),
            lag: Lag::default(),
            _subscription: Subscription(self.clone()),
        }
    }
}

/// Decrements its topic's subscriber count when its stream is dropped.
struct Subscription(Arc<dyn Subscribed>);

trait Subscribed: Send + Sync {
    fn left(&self);
}

impl<T: Send + Sync, P: Send + Sync> Subscribed for Topic<T, P> {
    fn left(&self) {
        self.subscribers.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.0.left();
    }
}

/// A topic with its payload and parameter types erased (an `Arc<Topic<T, P>>` underneath).
type AnyTopic = Arc<dyn Any + Send + Sync>;

/// Every topic of a server, by namespace pattern and event.
#[derive(Default)]
pub(crate) struct Topics {
    map: Mutex<HashMap<(&'static str, &'static str), AnyTopic>>,
}

impl Topics {
    /// The topic of `event` in the namespace `pattern`, made on first use.
    ///
    /// # Panics
    ///
    /// When the event was registered or subscribed with another payload or parameter type (a bug of
    /// hand-written registration; generated code always agrees with itself).
    pub(crate) fn topic<T, P>(&self, pattern: &'static str, event: &'static str) -> Arc<Topic<T, P>>
    where
        T: Send + Sync + 'static,
        P: Send + Sync + 'static,
    {
        let mut map = self
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry = map
            .entry((pattern, event))
            .or_insert_with(|| Arc::new(Topic::<T, P>::new()));
        match entry.clone().downcast::<Topic<T, P>>() {
            Ok(topic) => topic,
            Err(_) => panic!(
                "the stream of `{event}` in `{pattern}` was made for other types than `{}` with `{}`",
                std::any::type_name::<T>(),
                std::any::type_name::<P>(),
            ),
        }
    }
}

impl fmt::Debug for Topics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let map = self
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut keys: Vec<_> = map.keys().collect();
        keys.sort();
        f.debug_struct("Topics").field("events", &keys).finish()
    }
}

/// The typed streams of a server's inbound events (cheap to clone). Generated servers wrap it in one
/// accessor per namespace and event; get it from [`App::streams`].
#[derive(Clone, Debug)]
pub struct Streams {
    app: App,
}

impl Streams {
    pub(crate) fn new(app: App) -> Self {
        Streams { app }
    }

    /// A new subscription to `event` of the namespace `pattern` (as registered: `/rooms/{roomId}`): every
    /// such event that passes its checks from now on, from every namespace the pattern matches. Dropping the
    /// stream ends the subscription.
    ///
    /// # Panics
    ///
    /// When `T` or `P` differ from the types the event was registered with (generated accessors always
    /// agree).
    pub fn subscribe<T, P>(&self, pattern: &'static str, event: &'static str) -> EventStream<T, P>
    where
        T: Send + Sync + 'static,
        P: Send + Sync + 'static,
    {
        self.app.topics().topic::<T, P>(pattern, event).subscribe()
    }

    /// The server (for an emitter to a namespace: `streams.app().emitter("/admin")`).
    pub fn app(&self) -> &App {
        &self.app
    }
}

/// How many items a stream lost because its consumer was too slow (readable after the stream itself was
/// moved into a pipeline).
#[derive(Clone, Debug, Default)]
pub struct Lag(Arc<AtomicU64>);

impl Lag {
    /// Items lost so far.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    fn add(&self, missed: u64) {
        self.0.fetch_add(missed, Ordering::Relaxed);
        LAGGED.fetch_add(missed, Ordering::Relaxed);
    }
}

/// `n` items were lost before the next one: the consumer fell more than [`STREAM_BUFFER`] items behind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lagged(pub u64);

impl fmt::Display for Lagged {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the stream fell behind and lost {} item(s)", self.0)
    }
}

impl std::error::Error for Lagged {}

/// The events of one subscription, as a [`Stream`] of [`Received`] items. Lost items (a consumer too slow)
/// are skipped and counted in [`lag`](Self::lag); [`with_lag`](Self::with_lag) shows them as items instead.
pub struct EventStream<T, P = ()> {
    inner: BroadcastStream<Received<T, P>>,
    lag: Lag,
    _subscription: Subscription,
}

impl<T, P> EventStream<T, P>
where
    T: Send + Sync + 'static,
    P: Send + Sync + 'static,
{
    /// The count of items this stream lost (a handle that stays valid once the stream is moved away).
    pub fn lag(&self) -> Lag {
        self.lag.clone()
    }

    /// The same events, with every loss as an `Err(Lagged(n))` item before the next event.
    pub fn with_lag(self) -> WithLag<T, P> {
        WithLag(self)
    }

    fn poll_raw(
        &mut self,
        cx: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<Received<T, P>, Lagged>>> {
        match Pin::new(&mut self.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(item))) => Poll::Ready(Some(Ok(item))),
            Poll::Ready(Some(Err(BroadcastStreamRecvError::Lagged(missed)))) => {
                self.lag.add(missed);
                Poll::Ready(Some(Err(Lagged(missed))))
            }
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T, P> Stream for EventStream<T, P>
where
    T: Send + Sync + 'static,
    P: Send + Sync + 'static,
{
    type Item = Received<T, P>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        loop {
            match self.poll_raw(cx) {
                Poll::Ready(Some(Ok(item))) => return Poll::Ready(Some(item)),
                // Counted in `lag`; the next buffered item follows at once.
                Poll::Ready(Some(Err(Lagged(_)))) => {}
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

impl<T, P> fmt::Debug for EventStream<T, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventStream")
            .field("lagged", &self.lag.get())
            .finish_non_exhaustive()
    }
}

/// An [`EventStream`] whose losses are items: `Ok(event)`, or `Err(Lagged(n))` when `n` items were lost.
pub struct WithLag<T, P = ()>(EventStream<T, P>);

impl<T, P> Stream for WithLag<T, P>
where
    T: Send + Sync + 'static,
    P: Send + Sync + 'static,
{
    type Item = Result<Received<T, P>, Lagged>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_raw(cx)
    }
}

impl<T, P> fmt::Debug for WithLag<T, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("WithLag").field(&self.0).finish()
    }
}
