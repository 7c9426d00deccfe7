//! At-least-once delivery across reconnects, for clients that ask for it (the generated client does; plain
//! Socket.IO clients see no change). socketioxide has no connection-state recovery, so this is an
//! application-level resume handshake; the design is in `docs/delivery.md`.
//!
//! - Server → client: a client that sends `auth.fastsocket = {session, epoch?, offset?}` joins a delivery
//!   session. Every event emitted through the runtime's emitters in its namespace is logged with a number (the
//!   offset) and whom it was for ([`Selector`]), and reaches the session's socket with the offset as a trailing
//!   argument. On reconnect the client presents the last offset it processed; the server replays what the
//!   session missed, or says `gap` when the log no longer holds it (event [`RESUME_EVENT`]).
//! - Client → server: an event sent with a trailing `{"fastsocket": {"key": …}}` is handled once per session and
//!   key; a retry (after a reconnect, say) gets the first answer again.

//! - With the Redis adapter the log, the held sessions and the answers live in Redis ([`shared`]): a client
//!   that comes back on another node resumes there.

mod acks;
mod log;
mod shared;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use futures_util::{FutureExt as _, StreamExt as _};
use serde_json::Value;
use socketioxide::socket::Sid;
use socketioxide_redis::drivers::Driver as _;

use acks::{Acks, MAX_KEY_LEN, Stored};
use acks::{Begin, Retold};
pub(crate) use log::Selector;
use log::{ReplayLog, SessionId};
use shared::{Claim, Numbered, Packet, Shared, Unreachable};

use super::cluster::{RedisLink, SocketRef};
use super::error::HandlerError;

/// The room every delivery session's socket is in: plain group sends leave it out (its members get the
/// numbered copy instead).
pub const DELIVERY_ROOM: &str = "fastsocket:delivery";

/// The event that tells a delivery session's socket how its resume went, before anything replayed:
/// `{"status": "fresh" | "resumed" | "gap", "epoch": "<16 hex>", "offset": <head>, "replayed": <n>}`.
pub const RESUME_EVENT: &str = "fastsocket:resume";

/// The default of `FASTSOCKET_REPLAY_LEN`.
pub const DEFAULT_REPLAY_LEN: usize = 1000;
/// The default of `FASTSOCKET_REPLAY_AGE`, in seconds.
pub const DEFAULT_REPLAY_AGE_SECS: u64 = 120;
/// How many delivery sessions a namespace keeps for clients that left (the oldest goes first).
const MAX_HELD_SESSIONS: usize = 10_000;

/// How much the server keeps for clients that come back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryConfig {
    /// Packets kept per namespace for replay (`FASTSOCKET_REPLAY_LEN`, default 1000; 0: delivery off, the
    /// `fastsocket` field of the handshake is ignored).
    pub replay_len: usize,
    /// How long packets, and the sessions of clients that left, are kept (`FASTSOCKET_REPLAY_AGE`, seconds,
    /// default 120).
    pub replay_age: Duration,
    /// What some namespaces keep instead (`FASTSOCKET_REPLAY_NAMESPACES`), by the namespace's pattern as the
    /// document declares it (`/rooms/{roomId}` covers every room).
    pub namespaces: Vec<NamespaceReplay>,
}

/// The replay length and age of one namespace pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespaceReplay {
    /// The namespace as declared (`/admin`, `/rooms/{roomId}`).
    pub pattern: String,
    /// Packets kept (0: delivery off in this namespace).
    pub len: usize,
    /// How long packets and held sessions are kept.
    pub age: Duration,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            replay_len: DEFAULT_REPLAY_LEN,
            replay_age: Duration::from_secs(DEFAULT_REPLAY_AGE_SECS),
            namespaces: Vec::new(),
        }
    }
}

impl DeliveryConfig {
    /// The length and age of the namespace `pattern` (the defaults when it is not named, or unknown).
    pub fn limits(&self, pattern: Option<&str>) -> (usize, Duration) {
        pattern
            .and_then(|pattern| self.namespaces.iter().find(|n| n.pattern == pattern))
            .map_or((self.replay_len, self.replay_age), |n| (n.len, n.age))
    }

    /// Whether any namespace keeps anything.
    fn any(&self) -> bool {
        self.replay_len > 0 || self.namespaces.iter().any(|n| n.len > 0)
    }
}

/// The command-line flags of [`DeliveryConfig`].
#[derive(Debug, Clone, clap::Args)]
pub struct DeliveryArgs {
    /// Packets kept per namespace for clients that reconnect (0: delivery across reconnects off).
    #[arg(long, env = "FASTSOCKET_REPLAY_LEN", default_value_t = DEFAULT_REPLAY_LEN)]
    replay_len: usize,
    /// Seconds packets and the sessions of clients that left are kept.
    #[arg(long, env = "FASTSOCKET_REPLAY_AGE", value_name = "SECS", default_value_t = DEFAULT_REPLAY_AGE_SECS, value_parser = clap::value_parser!(u64).range(1..))]
    replay_age: u64,
    /// Another length (and age) for some namespaces, by their declared pattern: `PATTERN=LEN[:SECS]`,
    /// comma-separated (`/admin=0,/rooms/{roomId}=5000:600`; 0: off in that namespace).
    #[arg(
        long = "replay-namespace",
        env = "FASTSOCKET_REPLAY_NAMESPACES",
        value_name = "PATTERN=LEN[:SECS]",
        value_delimiter = ',',
        value_parser = parse_namespace_replay
    )]
    replay_namespaces: Vec<(String, usize, Option<u64>)>,
}

/// One `PATTERN=LEN[:SECS]` of `FASTSOCKET_REPLAY_NAMESPACES`.
fn parse_namespace_replay(text: &str) -> Result<(String, usize, Option<u64>), String> {
    let wrong =
        || format!("`{text}`: expected PATTERN=LEN[:SECS], like /rooms/{{roomId}}=5000:600");
    let (pattern, limits) = text.trim().rsplit_once('=').ok_or_else(wrong)?;
    if !pattern.starts_with('/') {
        return Err(format!("`{text}`: the namespace pattern starts with `/`"));
    }
    let (len, age) = match limits.split_once(':') {
        None => (limits, None),
        Some((len, age)) => (len, Some(age)),
    };
    let len = len.parse().map_err(|_| wrong())?;
    let age = match age {
        None => None,
        Some(age) => Some(
            age.parse()
                .ok()
                .filter(|&secs: &u64| secs > 0)
                .ok_or_else(wrong)?,
        ),
    };
    Ok((pattern.to_owned(), len, age))
}

impl DeliveryArgs {
    /// The configuration the flags say.
    pub fn into_config(self) -> DeliveryConfig {
        let replay_age = Duration::from_secs(self.replay_age);
        DeliveryConfig {
            replay_len: self.replay_len,
            replay_age,
            namespaces: self
                .replay_namespaces
                .into_iter()
                .map(|(pattern, len, age)| NamespaceReplay {
                    pattern,
                    len,
                    age: age.map_or(replay_age, Duration::from_secs),
                })
                .collect(),
        }
    }
}

/// What a socket of a delivery session carries (a socket extension).
#[derive(Debug, Clone)]
pub(crate) struct Member {
    session: SessionId,
    /// The epoch and offset the client resumes from, if it processed anything before.
    resume: Option<(u64, u64)>,
    /// Who started it (kept with the session in Redis).
    principal: Option<String>,
}

/// The `auth.fastsocket` field of the handshake.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Ask {
    session: String,
    #[serde(default)]
    epoch: Option<String>,
    #[serde(default)]
    offset: Option<u64>,
}

/// A session, connected or held for a client that left.
struct Session {
    principal: Option<String>,
    /// The socket serving it now (`None`: held).
    socket: Option<Sid>,
    /// The rooms it was in when it left (restored on resume).
    rooms: Vec<String>,
    left: Option<Instant>,
    acks: Acks,
}

/// The delivery state of one namespace (one path: each path of a dynamic namespace has its own).
struct Namespace {
    /// Drawn when the log is created: offsets of another process (or of this one before a restart) do not
    /// count here.
    epoch: u64,
    /// How long packets and held sessions are kept here.
    age: Duration,
    log: ReplayLog,
    sessions: HashMap<SessionId, Session>,
    /// The connected sockets of sessions, which live sends go to.
    live: HashMap<Sid, (SessionId, SocketRef)>,
    /// With Redis: the session sockets of this node, fed from the delivery channel.
    fed: HashMap<Sid, Fed>,
    /// With Redis: the last packet the channel brought (epoch, offset).
    seen: Option<(u64, u64)>,
}

/// With Redis: a session socket of this node and what it was sent.
struct Fed {
    session: SessionId,
    socket: SocketRef,
    /// The epoch and offset of the last packet sent (or replayed, or known to be older than its resume).
    sent: Option<(u64, u64)>,
    /// While the socket resumes: what the channel brought meanwhile (sent after the replay).
    pending: Option<Vec<Arc<Numbered>>>,
}

impl Fed {
    /// Sends `packet` numbered when it is for this session and newer than what was sent.
    fn offer(&mut self, packet: &Arc<Numbered>) {
        if let Some(pending) = &mut self.pending {
            pending.push(packet.clone());
            return;
        }
        if let Some((epoch, offset)) = self.sent
            && epoch == packet.epoch
            && packet.offset <= offset
        {
            return;
        }
        self.sent = Some((packet.epoch, packet.offset));
        if matches_socket(&packet.packet.selector, self.session, &self.socket)
            && let Err(error) = self.socket.emit(
                &*packet.packet.event,
                &(&packet.packet.payload, packet.offset),
            )
        {
            tracing::debug!(target: "fastsocket", socket = %self.socket.id, %error, "a numbered send missed");
        }
    }
}

/// Whether `selector` picks the socket of `session` (reading its rooms when the selector names some).
fn matches_socket(selector: &Selector, session: SessionId, socket: &SocketRef) -> bool {
    let rooms: Vec<String> = if selector.needs_rooms() {
        socket.rooms().into_iter().map(|r| r.into_owned()).collect()
    } else {
        Vec::new()
    };
    selector.matches(session, &rooms)
}

impl Namespace {
    /// Feeds a packet from the delivery channel to this node's session sockets (once per offset).
    fn feed(&mut self, packet: &Arc<Numbered>) {
        if let Some((epoch, offset)) = self.seen
            && epoch == packet.epoch
            && packet.offset <= offset
        {
            return;
        }
        self.seen = Some((packet.epoch, packet.offset));
        for fed in self.fed.values_mut() {
            fed.offer(packet);
        }
    }

    /// Forgets the sessions that left longer ago than `age`, and the oldest held ones beyond the cap.
    fn forget(&mut self, now: Instant, age: Duration) {
        self.sessions.retain(|_, s| {
            s.left
                .is_none_or(|at| now.saturating_duration_since(at) <= age)
        });
        let held = self.sessions.values().filter(|s| s.left.is_some()).count();
        if held > MAX_HELD_SESSIONS {
            let mut by_age: Vec<(Instant, SessionId)> = self
                .sessions
                .iter()
                .filter_map(|(id, s)| s.left.map(|at| (at, *id)))
                .collect();
            by_age.sort_unstable();
            for (_, id) in by_age.into_iter().take(held - MAX_HELD_SESSIONS) {
                self.sessions.remove(&id);
            }
        }
    }
}

/// The delivery sessions and replay logs of the server's namespaces.
pub(crate) struct Delivery {
    config: DeliveryConfig,
    namespaces: Mutex<HashMap<String, Arc<Mutex<Namespace>>>>,
    /// With the Redis adapter: the log, sessions and answers are there.
    shared: Option<Shared>,
    /// `(namespace pattern, event)` of the events sent at most once (`x-fastsocket-volatile: true`), marked
    /// at registration ([`NamespaceBuilder::volatile`](super::NamespaceBuilder::volatile)).
    volatile: std::sync::RwLock<BTreeSet<(&'static str, &'static str)>>,
}

fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What the client is told on (re)connect.
#[derive(serde::Serialize)]
struct Resumed<'a> {
    status: &'a str,
    epoch: String,
    offset: u64,
    replayed: usize,
}

impl Delivery {
    /// In this process only; `None` when `config` turns delivery off.
    pub(crate) fn new(config: DeliveryConfig) -> Option<Self> {
        config.any().then(|| Delivery {
            config,
            namespaces: Mutex::new(HashMap::new()),
            shared: None,
            volatile: Default::default(),
        })
    }

    /// Shared through Redis (the link of the adapter, keys and channel under `prefix`): spawns the task that
    /// feeds this node's session sockets from the delivery channel. `None` when `config` turns delivery off.
    pub(crate) fn with_redis(
        config: DeliveryConfig,
        link: RedisLink,
        prefix: &str,
    ) -> Option<Arc<Self>> {
        if !config.any() {
            return None;
        }
        let delivery = Arc::new(Delivery {
            config,
            namespaces: Mutex::new(HashMap::new()),
            shared: Some(Shared::new(link.clone(), prefix)),
            volatile: Default::default(),
        });
        let channel = delivery.shared.as_ref().map(Shared::channel);
        let weak = Arc::downgrade(&delivery);
        tokio::spawn(async move {
            let Some(channel) = channel else { return };
            // Never fails: subscribed now, or on the link's (re)connection.
            let Ok(stream) = link.subscribe(channel, 4096).await else {
                return;
            };
            feed(weak, stream).await;
        });
        Some(delivery)
    }

    /// Whether the log and sessions are shared through Redis.
    pub(crate) fn is_shared(&self) -> bool {
        self.shared.is_some()
    }

    /// The replay age of the namespace at `path` (the default when it has no state here).
    fn age_of(&self, path: &str) -> Duration {
        self.namespace(path, None, false)
            .map_or(self.config.replay_age, |ns| locked(&ns).age)
    }

    /// Marks `event` of the namespace `pattern` volatile.
    pub(crate) fn mark_volatile(&self, pattern: &'static str, event: &'static str) {
        self.volatile
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert((pattern, event));
    }

    /// Whether `event` of the namespace `pattern` is sent at most once (not numbered, not logged).
    pub(crate) fn is_volatile(&self, pattern: Option<&str>, event: &str) -> bool {
        let Some(pattern) = pattern else {
            return false;
        };
        let volatile = self
            .volatile
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        !volatile.is_empty() && volatile.iter().any(|(p, e)| *p == pattern && *e == event)
    }

    /// The state of the namespace at `path`, created (with the limits of `pattern`) when `create` says.
    fn namespace(
        &self,
        path: &str,
        pattern: Option<&str>,
        create: bool,
    ) -> Option<Arc<Mutex<Namespace>>> {
        let mut all = locked(&self.namespaces);
        if let Some(ns) = all.get(path) {
            return Some(ns.clone());
        }
        if !create {
            return None;
        }
        let (len, age) = self.config.limits(pattern);
        let ns = Arc::new(Mutex::new(Namespace {
            epoch: new_epoch(),
            age,
            log: ReplayLog::new(len, age),
            sessions: HashMap::new(),
            live: HashMap::new(),
            fed: HashMap::new(),
            seen: None,
        }));
        all.insert(path.to_owned(), ns.clone());
        Some(ns)
    }

    /// At connect, after the client's credentials were checked: reads `auth.fastsocket` and, when present,
    /// makes the socket a session member. `Err` is the refusal: a malformed field, or a session that belongs
    /// to another principal.
    pub(crate) async fn admit(
        &self,
        socket: &SocketRef,
        pattern: &str,
        auth: &Value,
        principal: Option<&str>,
    ) -> Result<(), String> {
        let Some(field) = auth.get("fastsocket") else {
            return Ok(());
        };
        if self.config.limits(Some(pattern)).0 == 0 {
            // Off in this namespace: the client is served as a plain one.
            return Ok(());
        }
        let ask: Ask = serde_json::from_value(field.clone())
            .map_err(|e| format!("invalid `fastsocket` field in auth: {e}"))?;
        let session = parse_hex(&ask.session, 32)
            .ok_or("invalid `fastsocket.session`: 32 hexadecimal digits expected")?;
        let epoch = match &ask.epoch {
            None => None,
            Some(text) => Some(
                parse_hex(text, 16)
                    .and_then(|e| u64::try_from(e).ok())
                    .ok_or("invalid `fastsocket.epoch`: 16 hexadecimal digits expected")?,
            ),
        };
        let taken = "this delivery session belongs to another principal";
        match &self.shared {
            None => {
                if let Some(ns) = self.namespace(socket.ns(), None, false)
                    && let Some(known) = locked(&ns).sessions.get(&session)
                    && known.principal.as_deref() != principal
                {
                    return Err(taken.to_owned());
                }
            }
            // Redis unreachable: not checked (the 128 random bits are the real protection).
            Some(shared) => {
                if let Ok(Some(known)) = shared.principal(socket.ns(), session).await
                    && known.as_deref() != principal
                {
                    return Err(taken.to_owned());
                }
            }
        }
        // In the room before any group send can select the socket: it never gets a plain copy.
        socket.join(DELIVERY_ROOM);
        socket.extensions.insert(Member {
            session,
            resume: epoch.zip(ask.offset),
            principal: principal.map(str::to_owned),
        });
        Ok(())
    }

    /// Once the client is told it is connected (before the `on_connect` hook): restores the rooms of a held
    /// session, tells the client how the resume went ([`RESUME_EVENT`]) and replays what it missed. Live sends
    /// wait on the namespace's lock meanwhile, so the socket gets every packet once, in offset order.
    pub(crate) async fn joined(&self, socket: &SocketRef, pattern: &str) {
        let Some(member) = socket.extensions.get::<Member>() else {
            return;
        };
        let Some(ns) = self.namespace(socket.ns(), Some(pattern), true) else {
            return;
        };
        if let Some(shared) = &self.shared {
            return joined_shared(shared, &ns, socket, &member).await;
        }
        let principal = member.principal.as_deref();
        let mut guard = locked(&ns);
        let ns = &mut *guard;
        let now = Instant::now();
        ns.log.prune(now);
        let age = ns.age;
        ns.forget(now, age);
        let epoch = ns.epoch;
        let head = ns.log.head();
        let rooms = match ns.sessions.get_mut(&member.session) {
            Some(session) => {
                if let Some(old) = session.socket.replace(socket.id) {
                    // The old connection is not known to be dead yet: the new one takes over its session.
                    ns.live.remove(&old);
                }
                session.left = None;
                std::mem::take(&mut session.rooms)
            }
            None => {
                ns.sessions.insert(
                    member.session,
                    Session {
                        principal: principal.map(str::to_owned),
                        socket: Some(socket.id),
                        rooms: Vec::new(),
                        left: None,
                        acks: Acks::default(),
                    },
                );
                Vec::new()
            }
        };
        if !rooms.is_empty() {
            socket.join(rooms.clone());
        }
        let (status, missed) = match member.resume {
            None => ("fresh", Vec::new()),
            Some((asked, _)) if asked != epoch => ("gap", Vec::new()),
            Some((_, offset)) => match ns.log.since(offset, member.session, &rooms) {
                Ok(missed) => ("resumed", missed),
                Err(log::Gap) => ("gap", Vec::new()),
            },
        };
        tell_resume(socket, status, epoch, head, missed.len());
        for entry in missed {
            if let Err(error) = socket.emit(&*entry.event, &(&*entry.payload, entry.offset)) {
                tracing::debug!(target: "fastsocket", socket = %socket.id, %error, "cannot replay");
                break;
            }
        }
        ns.live.insert(socket.id, (member.session, socket.clone()));
    }

    /// When the socket left: its session is held, with its rooms, for the replay age.
    pub(crate) async fn left(&self, socket: &SocketRef) {
        let Some(member) = socket.extensions.get::<Member>() else {
            return;
        };
        let Some(ns) = self.namespace(socket.ns(), None, false) else {
            return;
        };
        if let Some(shared) = &self.shared {
            let age = {
                let mut ns = locked(&ns);
                ns.fed.remove(&socket.id);
                ns.age
            };
            let rooms: Vec<String> = socket
                .rooms()
                .into_iter()
                .filter(|r| r != DELIVERY_ROOM)
                .map(|r| r.into_owned())
                .collect();
            // Unreachable: the session is not held (a resume elsewhere gets `gap`); logged by `query`.
            let _ = shared
                .left(
                    socket.ns(),
                    member.session,
                    member.principal.as_deref(),
                    &rooms,
                    age,
                )
                .await;
            return;
        }
        let mut ns = locked(&ns);
        ns.live.remove(&socket.id);
        if let Some(session) = ns.sessions.get_mut(&member.session)
            && session.socket == Some(socket.id)
        {
            session.socket = None;
            session.left = Some(Instant::now());
            session.rooms = socket
                .rooms()
                .into_iter()
                .filter(|r| r != DELIVERY_ROOM)
                .map(|r| r.into_owned())
                .collect();
        }
    }

    /// The session of a member socket.
    pub(crate) fn session_of(socket: &SocketRef) -> Option<SessionId> {
        socket.extensions.get::<Member>().map(|m| m.session)
    }

    /// Logs an emitted packet and sends it, numbered, to the connected sockets of the sessions it is for
    /// (plain sockets get their copy from the caller). Nothing is logged while the namespace has no session.
    ///
    /// `false` when it could not be logged (Redis unreachable): the caller sends the plain copy to the session
    /// sockets too (at most once, as without delivery).
    pub(crate) async fn publish(
        &self,
        namespace: &str,
        pattern: Option<&str>,
        event: &str,
        payload: Value,
        selector: Selector,
    ) -> bool {
        if let Some(shared) = &self.shared {
            let (len, _) = self.config.limits(pattern);
            let packet = Packet {
                namespace: namespace.to_owned(),
                event: event.to_owned(),
                payload,
                selector,
            };
            // The numbered copies come back through the delivery channel, to every node (this one too).
            return match shared.log(&packet, len).await {
                Ok(_) => true,
                Err(Unreachable::Down | Unreachable::Failed) => false,
            };
        }
        let Some(ns) = self.namespace(namespace, None, false) else {
            return true;
        };
        let mut ns = locked(&ns);
        if ns.sessions.is_empty() {
            return true;
        }
        let payload = Arc::new(payload);
        let offset = ns.log.push(
            Instant::now(),
            event,
            payload.clone(),
            Arc::new(selector.clone()),
        );
        for (session, socket) in ns.live.values() {
            let rooms: Vec<String> = if selector.needs_rooms() {
                socket.rooms().into_iter().map(|r| r.into_owned()).collect()
            } else {
                Vec::new()
            };
            if selector.matches(*session, &rooms)
                && let Err(error) = socket.emit(event, &(&*payload, offset))
            {
                // Replayed when the client comes back (it asks from the last offset it processed).
                tracing::debug!(target: "fastsocket", socket = %socket.id, %error, "a numbered send missed");
            }
        }
        true
    }

    /// A packet from the delivery channel: to this node's session sockets it is for, after any packets the
    /// channel skipped (read from the log: the link reconnected, or the channel's queue was full).
    async fn fed(&self, packet: Numbered) {
        let Some(ns) = self.namespace(&packet.packet.namespace, None, false) else {
            return;
        };
        let hole = match locked(&ns).seen {
            Some((epoch, last)) if epoch == packet.epoch && packet.offset > last + 1 => Some(last),
            _ => None,
        };
        let mut batch = Vec::new();
        if let (Some(last), Some(shared)) = (hole, &self.shared) {
            match shared
                .between(&packet.packet.namespace, packet.epoch, last, packet.offset)
                .await
            {
                Ok(missed) => batch.extend(missed.into_iter().map(Arc::new)),
                Err(_) => {
                    tracing::warn!(target: "fastsocket", namespace = packet.packet.namespace, "cannot read skipped packets from Redis: connected session sockets miss them")
                }
            }
        }
        batch.push(Arc::new(packet));
        let mut ns = locked(&ns);
        for packet in &batch {
            ns.feed(packet);
        }
    }

    /// Runs a handler once per session and key: `delivery` is the inbound event's idempotency key and the
    /// server's delivery (`None`: no key, or delivery off: `run` runs). A retry waits for the first run's answer
    /// and gets it; the handler does not run again. A first run that panicked answers its retries `internal`.
    pub(crate) async fn once(
        delivery: Option<(&str, Arc<Delivery>)>,
        socket: &SocketRef,
        run: impl Future<Output = Result<Value, HandlerError>>,
    ) -> Result<Value, HandlerError> {
        if let Some((key, delivery)) = &delivery
            && let Some(shared) = &delivery.shared
            && let Some(session) = Self::session_of(socket)
        {
            let age = delivery.age_of(socket.ns());
            return once_shared(shared, socket.ns(), session, key, age, run).await;
        }
        let begin = delivery.and_then(|(key, delivery)| delivery.begin(socket, key));
        match begin {
            None => run.await,
            Some(Begin::Repeat(mut first)) => match first.wait_for(Option::is_some).await {
                Ok(answer) => match answer.as_ref() {
                    Some(Ok(value)) => Ok(value.clone()),
                    Some(Err(retold)) => Err(retold.error()),
                    None => Err(HandlerError::internal("internal error")),
                },
                Err(_) => Err(HandlerError::internal("internal error")),
            },
            Some(Begin::Run(slot)) => {
                let result = run.await;
                slot.send_replace(Some(match &result {
                    Ok(answer) => Ok(answer.clone()),
                    Err(error) => Err(Retold::of(error)),
                }));
                result
            }
        }
    }

    /// The idempotency decision for an inbound event with `key` from a member socket; `None` for others.
    fn begin(&self, socket: &SocketRef, key: &str) -> Option<Begin> {
        let session = Self::session_of(socket)?;
        let ns = self.namespace(socket.ns(), None, false)?;
        let mut ns = locked(&ns);
        Some(ns.sessions.get_mut(&session)?.acks.begin(key))
    }
}

/// Reads the delivery channel until it ends or the delivery is dropped.
async fn feed(
    delivery: Weak<Delivery>,
    mut stream: socketioxide_redis::drivers::MessageStream<socketioxide_redis::drivers::ChanItem>,
) {
    while let Some((_, message)) = stream.next().await {
        let Some(delivery) = delivery.upgrade() else {
            return;
        };
        match Numbered::parse_published(&message) {
            Some(packet) => delivery.fed(packet).await,
            None => {
                tracing::warn!(target: "fastsocket", "unreadable packet on the delivery channel")
            }
        }
    }
}

/// With Redis: restores the session's rooms, tells the resume and replays from the shared log, then lets the
/// channel feed the socket (what it brought meanwhile first, skipping what the replay covered).
async fn joined_shared(
    shared: &Shared,
    ns: &Arc<Mutex<Namespace>>,
    socket: &SocketRef,
    member: &Member,
) {
    let (age, seen) = {
        let mut ns = locked(ns);
        ns.fed.insert(
            socket.id,
            Fed {
                session: member.session,
                socket: socket.clone(),
                sent: None,
                pending: Some(Vec::new()),
            },
        );
        (ns.age, ns.seen)
    };
    let after = member.resume.map_or(0, |(_, offset)| offset);
    let found = shared
        .resume(
            socket.ns(),
            member.session,
            member.principal.as_deref(),
            after,
            new_epoch(),
        )
        .await;
    let (status, epoch, head, missed) = match found {
        Ok(found) => {
            if !found.rooms.is_empty() {
                socket.join(found.rooms.clone());
            }
            let too_old = |first: Option<&Numbered>| {
                first.is_some_and(|p| {
                    p.at_ms
                        .saturating_add(u64::try_from(age.as_millis()).unwrap_or(u64::MAX))
                        < shared::now_ms()
                })
            };
            let status = match member.resume {
                None => "fresh",
                Some((epoch, offset))
                    if epoch != found.epoch
                        || !found.known
                        || offset > found.head
                        || offset.saturating_add(1) < found.oldest
                        || too_old(found.after.first()) =>
                {
                    "gap"
                }
                Some(_) => "resumed",
            };
            let missed: Vec<Numbered> = if status == "resumed" {
                found
                    .after
                    .into_iter()
                    .filter(|p| p.packet.selector.matches(member.session, &found.rooms))
                    .collect()
            } else {
                Vec::new()
            };
            (status, found.epoch, found.head, missed)
        }
        // Redis unreachable: the client is told `gap` and counts from what this node saw last.
        Err(_) => {
            let (epoch, head) = seen.unwrap_or((0, 0));
            ("gap", epoch, head, Vec::new())
        }
    };
    tell_resume(socket, status, epoch, head, missed.len());
    for packet in &missed {
        if let Err(error) = socket.emit(
            &*packet.packet.event,
            &(&packet.packet.payload, packet.offset),
        ) {
            tracing::debug!(target: "fastsocket", socket = %socket.id, %error, "cannot replay");
            break;
        }
    }
    let mut ns = locked(ns);
    if let Some(fed) = ns.fed.get_mut(&socket.id) {
        fed.sent = Some((epoch, head));
        for packet in fed.pending.take().unwrap_or_default() {
            fed.offer(&packet);
        }
    }
}

/// Tells the client how its resume went ([`RESUME_EVENT`]).
fn tell_resume(socket: &SocketRef, status: &str, epoch: u64, head: u64, replayed: usize) {
    let told = Resumed {
        status,
        epoch: format!("{epoch:016x}"),
        offset: head,
        replayed,
    };
    if let Err(error) = socket.emit(RESUME_EVENT, &told) {
        tracing::debug!(target: "fastsocket", socket = %socket.id, %error, "cannot tell the resume");
    }
}

/// How often a retry polls Redis for the answer of a run going on (on this node or another).
const ANSWER_POLL: Duration = Duration::from_millis(50);

/// With Redis: runs a handler once per session and key across the nodes (see [`Delivery::once`]). Redis
/// unreachable at the claim: the handler runs (a retry on another node may run it again).
async fn once_shared(
    shared: &Shared,
    namespace: &str,
    session: SessionId,
    key: &str,
    age: Duration,
    run: impl Future<Output = Result<Value, HandlerError>>,
) -> Result<Value, HandlerError> {
    let deadline = Instant::now() + age;
    let mut run = Some(run);
    loop {
        let claim = shared.claim(namespace, session, key, age).await;
        match claim {
            Ok(Claim::Run) | Err(_) => {
                let Some(run) = run.take() else {
                    return Err(HandlerError::internal("internal error"));
                };
                if claim.is_err() {
                    return run.await;
                }
                // A run that panics is answered `internal` to its retries (as in one process), and the
                // panic goes on to the dispatcher, which logs it.
                let result = std::panic::AssertUnwindSafe(run).catch_unwind().await;
                let answer = match &result {
                    Ok(result) => Stored::of(result),
                    Err(_) => Stored::of(&Err(HandlerError::internal("internal error"))),
                };
                let stored = serde_json::to_vec(&answer).unwrap_or_default();
                // Unreachable: a retry waits for the claim to expire, then runs the handler.
                let _ = shared.answered(namespace, session, key, &stored, age).await;
                let result = match result {
                    Ok(result) => result,
                    Err(panic) => std::panic::resume_unwind(panic),
                };
                return result;
            }
            Ok(Claim::Answered(answer)) => return Stored::read(&answer),
            Ok(Claim::Pending) => loop {
                if Instant::now() > deadline {
                    return Err(HandlerError::internal("internal error"));
                }
                tokio::time::sleep(ANSWER_POLL).await;
                match shared.answer(namespace, session, key).await {
                    Ok(Some(answer)) if !answer.is_empty() => return Stored::read(&answer),
                    Ok(Some(_)) => {}
                    // The claim expired: claim again.
                    Ok(None) => break,
                    Err(_) => return Err(HandlerError::internal("internal error")),
                }
            },
        }
    }
}

/// The idempotency key of an inbound message: its trailing `{"fastsocket": {"key": "…"}}` argument
/// (`raw` is the packet's JSON array, event name first). `None` when there is none, or it is too long.
pub(crate) fn inbound_key(raw: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Meta {
        fastsocket: Key,
    }
    #[derive(serde::Deserialize)]
    struct Key {
        key: String,
    }
    let args: Vec<&serde_json::value::RawValue> = serde_json::from_str(raw).ok()?;
    if args.len() < 3 {
        return None;
    }
    let meta: Meta = serde_json::from_str(args.last()?.get()).ok()?;
    (meta.fastsocket.key.len() <= MAX_KEY_LEN).then_some(meta.fastsocket.key)
}

/// A number written as exactly `digits` hexadecimal digits (at most 32).
fn parse_hex(text: &str, digits: usize) -> Option<u128> {
    if text.len() != digits || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u128::from_str_radix(text, 16).ok()
}

/// A new epoch: differs between processes and between the logs of one process (not a secret).
fn new_epoch() -> u64 {
    use std::hash::{BuildHasher as _, RandomState};
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    RandomState::new().hash_one(nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_read_from_a_trailing_argument() {
        assert_eq!(
            inbound_key(r#"["send",{"text":"hi"},{"fastsocket":{"key":"k1"}}]"#).as_deref(),
            Some("k1")
        );
        assert_eq!(inbound_key(r#"["send",{"text":"hi"}]"#), None);
        assert_eq!(
            inbound_key(r#"["send",{"fastsocket":{"key":"k1"}}]"#),
            None,
            "the payload"
        );
        assert_eq!(inbound_key("not json"), None);
        let long = format!(
            r#"["send",1,{{"fastsocket":{{"key":"{}"}}}}]"#,
            "k".repeat(MAX_KEY_LEN + 1)
        );
        assert_eq!(inbound_key(&long), None);
    }

    #[test]
    fn hex_fields() {
        assert_eq!(parse_hex("00000000000000ff", 16), Some(255));
        assert_eq!(parse_hex("ff", 16), None);
        assert_eq!(parse_hex("+0000000000000ff", 16), None);
        assert_eq!(parse_hex(&"f".repeat(32), 32), Some(u128::MAX));
    }

    #[test]
    fn namespaces_get_their_own_length_and_age() {
        assert_eq!(
            parse_namespace_replay("/rooms/{roomId}=5000:600"),
            Ok(("/rooms/{roomId}".to_owned(), 5000, Some(600)))
        );
        assert_eq!(
            parse_namespace_replay(" /admin=0"),
            Ok(("/admin".to_owned(), 0, None))
        );
        for wrong in ["admin=5", "/admin", "/admin=x", "/admin=5:0", "/admin=5:"] {
            assert!(parse_namespace_replay(wrong).is_err(), "{wrong}");
        }
        let config = DeliveryConfig {
            replay_len: 0,
            namespaces: vec![NamespaceReplay {
                pattern: "/rooms/{roomId}".to_owned(),
                len: 10,
                age: Duration::from_secs(5),
            }],
            ..DeliveryConfig::default()
        };
        assert_eq!(
            config.limits(Some("/rooms/{roomId}")),
            (10, Duration::from_secs(5))
        );
        assert_eq!(config.limits(Some("/")).0, 0);
        assert_eq!(config.limits(None).0, 0);
        assert!(Delivery::new(config).is_some(), "on in one namespace");
    }

    #[test]
    fn off_when_nothing_is_kept() {
        let off = DeliveryConfig {
            replay_len: 0,
            ..DeliveryConfig::default()
        };
        assert!(Delivery::new(off).is_none());
        let on = Delivery::new(DeliveryConfig::default()).unwrap();
        on.mark_volatile("/", "typing");
        assert!(on.is_volatile(Some("/"), "typing"));
        assert!(!on.is_volatile(Some("/"), "message"));
        assert!(!on.is_volatile(None, "typing"));
    }
}
