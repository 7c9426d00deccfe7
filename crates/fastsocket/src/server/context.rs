//! What handlers get: the [`Context`] of the socket, and [`Emitter`]s to send with.

use std::collections::{HashSet, VecDeque};
use std::hash::{BuildHasher as _, RandomState};
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use super::auth::{Principal, Verdicts};
use super::cluster::{BroadcastOperators, SocketIo, SocketRef};
use super::delivery::{DELIVERY_ROOM, Delivery, Selector};
use super::error::EmitError;
use super::observe::{Activity, Observers};
use super::sockets::Sockets;
use crate::Validate;

/// How many idempotency keys [`Context::first_time`] remembers per socket.
pub const SEEN_KEYS_PER_SOCKET: usize = 1024;

/// Sends validated events to a target: one socket, a room, everyone in the namespace, or everyone but the
/// sender. Generated code wraps it in one typed emitter per namespace (`XxxEmitter(Emitter)`, with one method
/// per outbound event).
#[derive(Clone)]
pub struct Emitter {
    target: Target,
    /// Who is told of each emit (set by the runtime; `None` for emitters built by hand).
    observed: Option<Observed>,
    /// Whom the target selects, in terms a delivery session outlives (`None`: not known, as for
    /// [`Emitter::operators`]; such sends are not numbered).
    selector: Option<Selector>,
}

/// The observers an emitter reports to, the pattern of its namespace, and the delivery log its sends go
/// through.
#[derive(Clone)]
pub(crate) struct Observed {
    pub(crate) observers: Arc<Observers>,
    pub(crate) pattern: Option<&'static str>,
    pub(crate) delivery: Option<Arc<Delivery>>,
}

#[derive(Clone)]
enum Target {
    /// One socket.
    Socket(SocketRef),
    /// A selection of sockets of one namespace (rooms, broadcast flag, sender).
    Group(Box<BroadcastOperators>),
    /// A namespace that is gone (the server is closing): sends fail.
    Closed,
}

impl Emitter {
    /// To one socket.
    pub fn socket(socket: SocketRef) -> Self {
        Emitter {
            target: Target::Socket(socket),
            observed: None,
            selector: None,
        }
    }

    /// To the sockets socketioxide's operators select (escape hatch: `io.of("/chat").unwrap().except("muted")`).
    pub fn operators(operators: BroadcastOperators) -> Self {
        Emitter {
            target: Target::Group(Box::new(operators)),
            observed: None,
            selector: None,
        }
    }

    pub(crate) fn closed() -> Self {
        Emitter {
            target: Target::Closed,
            observed: None,
            selector: None,
        }
    }

    /// The same emitter, reporting each emit to `observed` ([`Activity::Emitted`]).
    pub(crate) fn observed(mut self, observed: Observed) -> Self {
        self.observed = Some(observed);
        self
    }

    /// The same emitter, its target described by `selector` (its sends are numbered for delivery sessions).
    pub(crate) fn selected(mut self, selector: Selector) -> Self {
        self.selector = Some(selector);
        self
    }

    /// The same emitter, described as selecting the whole namespace.
    pub(crate) fn selecting_everyone(self) -> Self {
        self.selected(Selector::default())
    }

    /// The delivery log and selector of a send of `event`, when it is numbered.
    fn numbered(&self, event: &str) -> Option<(&Delivery, &Selector)> {
        let observed = self.observed.as_ref()?;
        let delivery = observed.delivery.as_deref()?;
        if delivery.is_volatile(observed.pattern, event) {
            return None;
        }
        Some((delivery, self.selector.as_ref()?))
    }

    fn report(&self, event: &str, outcome: Result<(), &EmitError>) {
        let Some(observed) = &self.observed else {
            return;
        };
        let (namespace, socket) = match &self.target {
            Target::Socket(socket) => (socket.ns(), Some(socket.id)),
            Target::Group(operators) => (operators.ns_path(), None),
            Target::Closed => ("", None),
        };
        observed.observers.observe(&Activity::Emitted {
            namespace,
            pattern: observed.pattern,
            event,
            socket,
            outcome,
        });
    }

    /// Validates `payload` against its schema ([`crate::check`]), then emits `event`. A payload that breaks the
    /// schema is not sent: [`EmitError::Invalid`].
    pub async fn emit<T: serde::Serialize + Validate>(
        &self,
        event: &'static str,
        payload: &T,
    ) -> Result<(), EmitError> {
        if let Err(violations) = crate::check(payload) {
            let error = EmitError::Invalid(violations);
            self.report(event, Err(&error));
            return Err(error);
        }
        self.emit_unchecked(event, payload).await
    }

    /// Emits without validating (for payloads that have no schema, or were just validated).
    pub async fn emit_unchecked<T: serde::Serialize + ?Sized>(
        &self,
        event: &str,
        payload: &T,
    ) -> Result<(), EmitError> {
        let mut numbered = self.numbered(event);
        if let Some((delivery, selector)) = numbered {
            // Delivery sessions get a numbered copy (logged for replay); plain sockets the usual one.
            let value = match serde_json::to_value(payload) {
                Ok(value) => value,
                Err(error) => {
                    let error = EmitError::Socket(error.to_string());
                    self.report(event, Err(&error));
                    return Err(error);
                }
            };
            let pattern = self.observed.as_ref().and_then(|o| o.pattern);
            let logged = match &self.target {
                Target::Socket(socket) => match Delivery::session_of(socket) {
                    Some(session) => {
                        let selector = Selector::direct(session);
                        if delivery
                            .publish(socket.ns(), pattern, event, value, selector)
                            .await
                        {
                            self.report(event, Ok(()));
                            return Ok(());
                        }
                        false
                    }
                    None => true,
                },
                Target::Group(operators) => {
                    let path = operators.ns_path();
                    delivery
                        .publish(path, pattern, event, value, selector.clone())
                        .await
                }
                Target::Closed => true,
            };
            // Not logged (Redis unreachable): everyone gets the plain copy, at most once.
            numbered = numbered.filter(|_| logged);
        }
        let sent = match &self.target {
            Target::Socket(socket) => socket
                .emit(event, payload)
                .map_err(|e| EmitError::Socket(e.to_string())),
            Target::Group(operators) if numbered.is_some_and(|(d, _)| d.is_shared()) => {
                // Across nodes: the adapter sends to every member outside the delivery room.
                let plain = (**operators).clone().except(DELIVERY_ROOM);
                group_sent(event, plain.emit(event, payload).await)
            }
            Target::Group(operators) if numbered.is_some() => {
                plain_members_told(event, payload, (**operators).clone()).await
            }
            Target::Group(operators) => {
                group_sent(event, (**operators).clone().emit(event, payload).await)
            }
            Target::Closed => Err(EmitError::Socket("the namespace is closed".to_owned())),
        };
        self.report(event, sent.as_ref().copied());
        sent
    }

    /// Narrows to a room of the namespace. From one socket's emitter it selects the room with that socket
    /// included (as [`Context::to`]); from a broadcast it keeps the sender excluded. Chained calls add rooms
    /// (a socket in any of them receives the event once).
    pub fn to(&self, room: impl Into<String>) -> Emitter {
        let room: String = room.into();
        let selector = self.selector.clone().map(|selector| selector.within(&room));
        let target = match &self.target {
            Target::Socket(socket) => Target::Group(Box::new(socket.within(room))),
            Target::Group(operators) => Target::Group(Box::new((**operators).clone().within(room))),
            Target::Closed => Target::Closed,
        };
        Emitter {
            target,
            observed: self.observed.clone(),
            selector,
        }
    }
}

/// What a send to a group means for the handler that made it. Members that closed (or whose queue is full) while
/// the event went out miss it, as they would had they left a moment earlier: delivery is at most once, and their
/// state is not the sender's failure (the soak found a valid `send_message` answered `internal` because another
/// member of the room had just dropped its connection). What fails for everyone (serialisation, the adapter)
/// is still an error.
/// Sends `payload` to the members of `operators` that are not delivery sessions (those got a numbered copy).
///
/// Not `operators.except(DELIVERY_ROOM)`: socketioxide's `except` also sets its broadcast flag, which would leave
/// out the sender of a `ctx.to(room)` send. Delivery is node-local (off with the Redis adapter), so the local
/// member list is the whole group; while no member is a delivery session the group send goes out unchanged.
async fn plain_members_told<T: serde::Serialize + ?Sized>(
    event: &str,
    payload: &T,
    operators: BroadcastOperators,
) -> Result<(), EmitError> {
    let members = operators.clone().sockets();
    if !members.iter().any(|m| Delivery::session_of(m).is_some()) {
        return group_sent(event, operators.emit(event, payload).await);
    }
    let mut missed = 0_usize;
    for member in members {
        if Delivery::session_of(&member).is_none() && member.emit(event, payload).is_err() {
            missed += 1;
        }
    }
    if missed > 0 {
        tracing::debug!(target: "fastsocket", event, missed, "members missed a group event");
    }
    Ok(())
}

fn group_sent(
    event: &str,
    sent: Result<(), socketioxide::BroadcastError>,
) -> Result<(), EmitError> {
    match sent {
        Ok(()) => Ok(()),
        Err(socketioxide::BroadcastError::Socket(missed)) => {
            tracing::debug!(target: "fastsocket", event, missed = missed.len(), "members missed a group event");
            Ok(())
        }
        Err(error) => Err(EmitError::Socket(error.to_string())),
    }
}

impl std::fmt::Debug for Emitter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.target {
            Target::Socket(s) => write!(f, "Emitter(socket {} on {})", s.id, s.ns()),
            Target::Group(o) => write!(f, "Emitter(group on {})", o.ns_path()),
            Target::Closed => f.write_str("Emitter(closed)"),
        }
    }
}

/// What the runtime keeps per connected socket.
pub(crate) struct SocketState<P> {
    pub(crate) params: P,
    pub(crate) principal: Option<Principal>,
    /// The credentials checked at connect, against which every event is authorized.
    pub(crate) verdicts: Verdicts,
    /// Open once the `on_connect` hook has finished: the socket's events wait for it.
    pub(crate) ready: Gate,
    lock: OnceLock<Arc<tokio::sync::Mutex<()>>>,
    seen: Mutex<SeenKeys>,
}

impl<P> SocketState<P> {
    /// `gated`: events wait until [`Gate::open`] (when the namespace has an `on_connect` hook).
    pub(crate) fn new(
        params: P,
        principal: Option<Principal>,
        verdicts: Verdicts,
        gated: bool,
    ) -> Self {
        SocketState {
            params,
            principal,
            verdicts,
            ready: Gate::new(!gated),
            lock: OnceLock::new(),
            seen: Mutex::new(SeenKeys::default()),
        }
    }
}

/// A door that opens once and stays open.
pub(crate) struct Gate {
    open: AtomicBool,
    opened: tokio::sync::Notify,
}

impl Gate {
    pub(crate) fn new(open: bool) -> Self {
        Gate {
            open: AtomicBool::new(open),
            opened: tokio::sync::Notify::new(),
        }
    }

    pub(crate) fn open(&self) {
        self.open.store(true, Ordering::Release);
        self.opened.notify_waiters();
    }

    pub(crate) async fn wait(&self) {
        if self.open.load(Ordering::Acquire) {
            return;
        }
        // `notify_waiters` wakes every `Notified` created before it, polled or not: create, then check.
        let opened = self.opened.notified();
        if self.open.load(Ordering::Acquire) {
            return;
        }
        opened.await;
    }
}

/// The hashes of the last [`SEEN_KEYS_PER_SOCKET`] keys, oldest first: at most 16 bytes each, whatever the
/// length of the key.
#[derive(Default)]
struct SeenKeys {
    /// Two independently keyed SipHash-1-3 hashers: 128 bits, so an accidental collision (a new key taken for
    /// a repeat) is out of reach.
    hashers: [RandomState; 2],
    set: HashSet<u128>,
    order: VecDeque<u128>,
}

impl SeenKeys {
    fn digest(&self, key: &str) -> u128 {
        let [high, low] = &self.hashers;
        (u128::from(high.hash_one(key)) << 64) | u128::from(low.hash_one(key))
    }

    fn first_time(&mut self, key: &str) -> bool {
        let digest = self.digest(key);
        if self.set.contains(&digest) {
            return false;
        }
        if self.order.len() >= SEEN_KEYS_PER_SOCKET
            && let Some(oldest) = self.order.pop_front()
        {
            self.set.remove(&oldest);
        }
        self.set.insert(digest);
        self.order.push_back(digest);
        true
    }
}

/// The socket side of a [`Context`], without the emitter type.
pub(crate) struct SocketCore<P> {
    pub(crate) socket: SocketRef,
    pub(crate) state: Arc<SocketState<P>>,
    pub(crate) io: SocketIo,
    /// What the emitters of handlers report to.
    pub(crate) observed: Observed,
}

impl<P> Clone for SocketCore<P> {
    fn clone(&self) -> Self {
        SocketCore {
            socket: self.socket.clone(),
            state: self.state.clone(),
            io: self.io.clone(),
            observed: self.observed.clone(),
        }
    }
}

/// What a handler gets besides the payload: the socket, its namespace parameters `P`, who it is, and typed
/// emitters `E` (the generated emitter of the namespace) to reply, broadcast or send to rooms.
pub struct Context<E, P> {
    core: SocketCore<P>,
    emitter: PhantomData<fn() -> E>,
}

impl<E, P> Clone for Context<E, P> {
    fn clone(&self) -> Self {
        Context {
            core: self.core.clone(),
            emitter: PhantomData,
        }
    }
}

impl<E, P> Context<E, P> {
    pub(crate) fn new(core: SocketCore<P>) -> Self {
        Context {
            core,
            emitter: PhantomData,
        }
    }

    /// The socket id (the `socket.id` the client sees).
    pub fn socket_id(&self) -> String {
        self.core.socket.id.to_string()
    }

    /// The namespace the socket is in, as connected (`/rooms/lobby` for `/rooms/{roomId}`).
    pub fn namespace_path(&self) -> &str {
        self.core.socket.ns()
    }

    /// The namespace parameters.
    pub fn params(&self) -> &P {
        &self.core.state.params
    }

    /// Who the client is: the principal of the scheme that admitted it at connect (when the namespace admits
    /// anyone, of the first scheme whose credentials passed; `None` when it sent none).
    pub fn principal(&self) -> Option<&Principal> {
        self.core.state.principal.as_ref()
    }

    /// Makes the socket join a room of the namespace.
    pub fn join(&self, room: impl Into<String>) {
        self.core.socket.join(room.into());
    }

    /// Makes the socket leave a room.
    pub fn leave(&self, room: impl Into<String>) {
        self.core.socket.leave(room.into());
    }

    /// The rooms the socket is in.
    pub fn rooms(&self) -> Vec<String> {
        self.core
            .socket
            .rooms()
            .into_iter()
            .map(|r| r.into_owned())
            .collect()
    }

    /// Closes the connection to this namespace (the client gets a `disconnect` with reason
    /// `io server disconnect`).
    pub fn disconnect(&self) {
        let _ = self.core.socket.clone().disconnect();
    }

    /// Serialises handling per socket. Every inbound event runs in its own task, so two events of one client
    /// may finish out of order; a handler that must not overlap with the others of its socket holds this guard
    /// for its whole duration: `let _guard = ctx.lock().await;`.
    pub async fn lock(&self) -> tokio::sync::OwnedMutexGuard<()> {
        self.core
            .state
            .lock
            .get_or_init(|| Arc::new(tokio::sync::Mutex::new(())))
            .clone()
            .lock_owned()
            .await
    }

    /// Deduplication for at-least-once clients: `true` the first time this socket presents `key` (an
    /// idempotency key the client puts in the payload), `false` for a repeat. The last
    /// [`SEEN_KEYS_PER_SOCKET`] keys are remembered, per socket and per connection (a reconnected client
    /// starts afresh: Socket.IO has no connection-state recovery here). Only a 128-bit keyed hash of each key is
    /// kept (two SipHash keys drawn per socket), so a client sending long keys cannot grow the server's memory,
    /// and cannot craft two keys that collide.
    ///
    /// ```text
    /// if !ctx.first_time(&payload.request_id) {
    ///     return Ok(previous_answer);
    /// }
    /// ```
    pub fn first_time(&self, key: &str) -> bool {
        self.core
            .state
            .seen
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .first_time(key)
    }

    /// Every socket of this namespace, this one included, on every node of a cluster: narrow it to a room
    /// and ask who is there, how many, or act on them (see [`Sockets`]). Works the same with or without the
    /// Redis adapter.
    ///
    /// ```text
    /// let players = ctx.sockets().in_room(table).ids().await?;
    /// ```
    pub fn sockets(&self) -> Sockets {
        Sockets::of(&self.core.io, self.core.socket.ns())
    }

    /// The socketioxide socket (escape hatch).
    pub fn socket(&self) -> &SocketRef {
        &self.core.socket
    }

    /// An untyped emitter to this socket (escape hatch).
    pub fn raw_reply(&self) -> Emitter {
        Emitter::socket(self.core.socket.clone())
            .observed(self.core.observed.clone())
            .selecting_everyone()
    }
}

impl<E: From<Emitter>, P> Context<E, P> {
    /// To this socket.
    pub fn reply(&self) -> E {
        E::from(self.raw_reply())
    }

    /// To a room of this namespace, the sender included when it is in the room.
    pub fn to(&self, room: impl Into<String>) -> E {
        let room: String = room.into();
        E::from(
            Emitter::operators(self.core.socket.within(room.clone()))
                .observed(self.core.observed.clone())
                .selected(Selector::default().within(&room)),
        )
    }

    /// To everyone in the namespace but this socket.
    pub fn broadcast(&self) -> E {
        E::from(
            Emitter::operators(self.core.socket.broadcast())
                .observed(self.core.observed.clone())
                .selected(Selector::except(Delivery::session_of(&self.core.socket))),
        )
    }

    /// To everyone in the namespace, this socket included.
    pub fn namespace(&self) -> E {
        E::from(
            self.core
                .io
                .of(self.core.socket.ns())
                .map_or_else(Emitter::closed, Emitter::operators)
                .observed(self.core.observed.clone())
                .selecting_everyone(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize)]
    struct Text {
        text: &'static str,
    }

    impl Validate for Text {
        fn validate_json(value: &serde_json::Value, checker: &mut crate::Checker) {
            if let Some(serde_json::Value::String(s)) = value.get("text") {
                checker.enter("text");
                checker.min_length(s, 1);
                checker.leave();
            }
        }
    }

    #[test]
    fn members_gone_during_a_group_send_are_not_the_senders_failure() {
        use socketioxide::{BroadcastError, SocketError};
        assert_eq!(group_sent("message", Ok(())), Ok(()));
        let missed =
            BroadcastError::Socket(vec![SocketError::Closed, SocketError::InternalChannelFull]);
        assert_eq!(group_sent("message", Err(missed)), Ok(()));
        let adapter = BroadcastError::Adapter(socketioxide::AdapterError(Box::new(
            std::io::Error::other("down"),
        )));
        assert!(matches!(
            group_sent("message", Err(adapter)),
            Err(EmitError::Socket(_))
        ));
    }

    #[tokio::test]
    async fn emit_refuses_a_payload_that_breaks_its_schema() {
        let emitter = Emitter::closed();
        let error = emitter.emit("said", &Text { text: "" }).await.unwrap_err();
        assert_eq!(
            error,
            EmitError::Invalid(vec![crate::Violation::new(
                "/text",
                "must be at least 1 character long, found 0"
            )])
        );
        // A valid payload gets as far as the target.
        let error = emitter
            .emit("said", &Text { text: "hi" })
            .await
            .unwrap_err();
        assert!(matches!(error, EmitError::Socket(_)), "{error}");
        assert!(matches!(
            emitter.to("room").emit("said", &Text { text: "hi" }).await,
            Err(EmitError::Socket(_))
        ));
    }

    #[tokio::test]
    async fn gate_opens_once_for_every_waiter() {
        let gate = Arc::new(Gate::new(false));
        let waiters: Vec<_> = (0..3)
            .map(|_| {
                let gate = gate.clone();
                tokio::spawn(async move { gate.wait().await })
            })
            .collect();
        tokio::task::yield_now().await;
        gate.open();
        for waiter in waiters {
            tokio::time::timeout(std::time::Duration::from_secs(10), waiter)
                .await
                .expect("opened")
                .unwrap();
        }
        gate.wait().await;
        Gate::new(true).wait().await;
    }

    #[test]
    fn seen_keys_forget_the_oldest() {
        let mut seen = SeenKeys::default();
        assert!(seen.first_time("a"));
        assert!(!seen.first_time("a"));
        for i in 0..SEEN_KEYS_PER_SOCKET {
            assert!(seen.first_time(&i.to_string()));
        }
        assert_eq!(seen.order.len(), SEEN_KEYS_PER_SOCKET);
        assert_eq!(seen.set.len(), SEEN_KEYS_PER_SOCKET);
        // "a" was pushed out by the 1024 newer keys.
        assert!(seen.first_time("a"));
        assert!(!seen.first_time(&(SEEN_KEYS_PER_SOCKET - 1).to_string()));
    }

    #[test]
    fn seen_keys_keep_hashes_not_keys() {
        let mut seen = SeenKeys::default();
        let long = "k".repeat(1 << 20);
        assert!(seen.first_time(&long));
        assert!(!seen.first_time(&long));
        // A key one character shorter is another key.
        assert!(seen.first_time(&long[1..]));
        // What is stored is 16 bytes per key, whatever its length.
        assert_eq!(std::mem::size_of_val(seen.order.front().unwrap()), 16);
        // Two sockets hash with different keys.
        assert_ne!(SeenKeys::default().digest("a"), seen.digest("a"));
    }
}
