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

mod acks;
mod log;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::Value;
use socketioxide::socket::Sid;

use acks::{Acks, MAX_KEY_LEN};
use acks::{Begin, Retold};
pub(crate) use log::Selector;
use log::{ReplayLog, SessionId};

use super::cluster::SocketRef;
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryConfig {
    /// Packets kept per namespace for replay (`FASTSOCKET_REPLAY_LEN`, default 1000; 0: delivery off, the
    /// `fastsocket` field of the handshake is ignored).
    pub replay_len: usize,
    /// How long packets, and the sessions of clients that left, are kept (`FASTSOCKET_REPLAY_AGE`, seconds,
    /// default 120).
    pub replay_age: Duration,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            replay_len: DEFAULT_REPLAY_LEN,
            replay_age: Duration::from_secs(DEFAULT_REPLAY_AGE_SECS),
        }
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
}

impl DeliveryArgs {
    /// The configuration the flags say.
    pub fn into_config(self) -> DeliveryConfig {
        DeliveryConfig {
            replay_len: self.replay_len,
            replay_age: Duration::from_secs(self.replay_age),
        }
    }
}

/// What a socket of a delivery session carries (a socket extension).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Member {
    session: SessionId,
    /// The epoch and offset the client resumes from, if it processed anything before.
    resume: Option<(u64, u64)>,
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
    log: ReplayLog,
    sessions: HashMap<SessionId, Session>,
    /// The connected sockets of sessions, which live sends go to.
    live: HashMap<Sid, (SessionId, SocketRef)>,
}

impl Namespace {
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
    /// `None` when `config` turns delivery off.
    pub(crate) fn new(config: DeliveryConfig) -> Option<Self> {
        (config.replay_len > 0).then(|| Delivery {
            config,
            namespaces: Mutex::new(HashMap::new()),
            volatile: Default::default(),
        })
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

    fn namespace(&self, path: &str, create: bool) -> Option<Arc<Mutex<Namespace>>> {
        let mut all = locked(&self.namespaces);
        if let Some(ns) = all.get(path) {
            return Some(ns.clone());
        }
        if !create {
            return None;
        }
        let ns = Arc::new(Mutex::new(Namespace {
            epoch: new_epoch(),
            log: ReplayLog::new(self.config.replay_len, self.config.replay_age),
            sessions: HashMap::new(),
            live: HashMap::new(),
        }));
        all.insert(path.to_owned(), ns.clone());
        Some(ns)
    }

    /// At connect, after the client's credentials were checked: reads `auth.fastsocket` and, when present,
    /// makes the socket a session member. `Err` is the refusal: a malformed field, or a session that belongs
    /// to another principal.
    pub(crate) fn admit(
        &self,
        socket: &SocketRef,
        auth: &Value,
        principal: Option<&str>,
    ) -> Result<(), String> {
        let Some(field) = auth.get("fastsocket") else {
            return Ok(());
        };
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
        if let Some(ns) = self.namespace(socket.ns(), false)
            && let Some(known) = locked(&ns).sessions.get(&session)
            && known.principal.as_deref() != principal
        {
            return Err("this delivery session belongs to another principal".to_owned());
        }
        // In the room before any group send can select the socket: it never gets a plain copy.
        socket.join(DELIVERY_ROOM);
        socket.extensions.insert(Member {
            session,
            resume: epoch.zip(ask.offset),
        });
        Ok(())
    }

    /// Once the client is told it is connected (before the `on_connect` hook): restores the rooms of a held
    /// session, tells the client how the resume went ([`RESUME_EVENT`]) and replays what it missed. Live sends
    /// wait on the namespace's lock meanwhile, so the socket gets every packet once, in offset order.
    pub(crate) fn joined(&self, socket: &SocketRef, principal: Option<&str>) {
        let Some(member) = socket.extensions.get::<Member>() else {
            return;
        };
        let Some(ns) = self.namespace(socket.ns(), true) else {
            return;
        };
        let mut guard = locked(&ns);
        let ns = &mut *guard;
        let now = Instant::now();
        ns.log.prune(now);
        ns.forget(now, self.config.replay_age);
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
        let told = Resumed {
            status,
            epoch: format!("{epoch:016x}"),
            offset: head,
            replayed: missed.len(),
        };
        if let Err(error) = socket.emit(RESUME_EVENT, &told) {
            tracing::debug!(target: "fastsocket", socket = %socket.id, %error, "cannot tell the resume");
        }
        for entry in missed {
            if let Err(error) = socket.emit(&*entry.event, &(&*entry.payload, entry.offset)) {
                tracing::debug!(target: "fastsocket", socket = %socket.id, %error, "cannot replay");
                break;
            }
        }
        ns.live.insert(socket.id, (member.session, socket.clone()));
    }

    /// When the socket left: its session is held, with its rooms, for the replay age.
    pub(crate) fn left(&self, socket: &SocketRef) {
        let Some(member) = socket.extensions.get::<Member>() else {
            return;
        };
        let Some(ns) = self.namespace(socket.ns(), false) else {
            return;
        };
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
    pub(crate) fn publish(&self, namespace: &str, event: &str, payload: Value, selector: Selector) {
        let Some(ns) = self.namespace(namespace, false) else {
            return;
        };
        let mut ns = locked(&ns);
        if ns.sessions.is_empty() {
            return;
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
    }

    /// Runs a handler once per session and key: `delivery` is the inbound event's idempotency key and the
    /// server's delivery (`None`: no key, or delivery off: `run` runs). A retry waits for the first run's answer
    /// and gets it; the handler does not run again. A first run that panicked answers its retries `internal`.
    pub(crate) async fn once(
        delivery: Option<(&str, Arc<Delivery>)>,
        socket: &SocketRef,
        run: impl Future<Output = Result<Value, HandlerError>>,
    ) -> Result<Value, HandlerError> {
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
        let ns = self.namespace(socket.ns(), false)?;
        let mut ns = locked(&ns);
        Some(ns.sessions.get_mut(&session)?.acks.begin(key))
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
