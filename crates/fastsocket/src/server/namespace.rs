//! Namespaces: registration, connect-time checks (parameters, security) and the dispatch of inbound events.

use std::any::Any;
use std::collections::HashMap;
use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use futures_util::FutureExt as _;
use serde_json::Value;
use socketioxide::extract::{AckSender, Event, TryData};
use socketioxide::handler::{ConnectHandler as _, FromMessageParts};
use socketioxide::socket::{DisconnectReason, Socket};
use tracing::Instrument as _;

use super::auth::{Denied, DynAuthenticator, Handshake, Scheme, Security, Verdicts};
use super::cluster::{ClusterAdapter, ClusterInit, SocketIo, SocketRef};
use super::context::{Context, Emitter, Observed, SocketCore, SocketState};
use super::delivery::Delivery;
use super::error::{ErrorCode, HandlerError};
pub(crate) use super::limits::Limits;
use super::limits::{DynamicNamespaces, InFlight, TokenBucket};
use super::observe::{Activity, EventRecord, LogObserver, Observer, Observers, Outcome};
use super::params::{NamespaceParams, is_dynamic, match_path};
use super::sockets::Sockets;
use super::spec::ServerSpec;
use super::streams::{Streams, Topics};
use super::trace;
use crate::Validate;

/// The event errors are sent as when the client did not ask for an acknowledgement.
pub const EXCEPTION_EVENT: &str = "exception";

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;
/// A typed handler with its payload type erased: decodes, runs, serialises the answer.
type Invoke<P> =
    Arc<dyn Fn(SocketCore<P>, Value) -> BoxFuture<Result<Value, HandlerError>> + Send + Sync>;
/// A lifecycle hook with its emitter type erased.
type Hook<P> = Arc<dyn Fn(SocketCore<P>) -> BoxFuture<()> + Send + Sync>;

/// The server being built: cheap to clone. Generated `register_*` functions call [`App::namespace`].
#[derive(Clone)]
pub struct App {
    inner: Arc<AppInner>,
}

struct AppInner {
    io: SocketIo,
    spec: &'static ServerSpec,
    limits: Limits,
    /// The dynamic namespaces alive, across every dynamic pattern.
    dynamic: DynamicNamespaces,
    authenticator: Arc<dyn DynAuthenticator>,
    /// Every scheme the registered namespaces use, for [`App::check_schemes`].
    schemes: std::sync::Mutex<Vec<Scheme>>,
    /// Who is told what happens (the log first); emitters hold it too.
    observers: Arc<Observers>,
    /// The inbound events being handled, across every socket (a graceful shutdown waits for them).
    busy: Busy,
    /// The Redis subscriptions of the static namespaces registered, for [`serve`](super::serve) to await.
    pending: std::sync::Mutex<Vec<ClusterInit>>,
    /// The typed streams of inbound events ([`App::streams`]).
    topics: Topics,
    /// Delivery across reconnects, when [`serve`](super::serve) turned it on.
    delivery: std::sync::OnceLock<Arc<Delivery>>,
}

/// A count of work in progress that can be waited on until it is zero.
#[derive(Default)]
pub(crate) struct Busy {
    count: std::sync::atomic::AtomicUsize,
    idle: tokio::sync::Notify,
}

/// One unit of [`Busy`] work, ended when dropped.
pub(crate) struct BusyGuard<'a>(&'a Busy);

impl Busy {
    pub(crate) fn enter(&self) -> BusyGuard<'_> {
        self.count.fetch_add(1, Ordering::AcqRel);
        BusyGuard(self)
    }

    /// Returns once nothing is in progress.
    pub(crate) async fn idle(&self) {
        loop {
            // Created before the check: a `notify_waiters` after the check still wakes it.
            let idle = self.idle.notified();
            if self.count.load(Ordering::Acquire) == 0 {
                return;
            }
            idle.await;
        }
    }
}

impl Drop for BusyGuard<'_> {
    fn drop(&mut self) {
        if self.0.count.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl App {
    pub(crate) fn new(
        io: SocketIo,
        spec: &'static ServerSpec,
        limits: Limits,
        authenticator: Arc<dyn DynAuthenticator>,
    ) -> Self {
        App {
            inner: Arc::new(AppInner {
                io,
                spec,
                limits,
                dynamic: DynamicNamespaces::new(limits.max_dynamic_namespaces),
                authenticator,
                schemes: std::sync::Mutex::new(Vec::new()),
                observers: {
                    let observers = Observers::default();
                    observers.add(Arc::new(LogObserver));
                    Arc::new(observers)
                },
                busy: Busy::default(),
                pending: std::sync::Mutex::new(Vec::new()),
                topics: Topics::default(),
                delivery: std::sync::OnceLock::new(),
            }),
        }
    }

    /// Adds an observer of what happens on the server (connects, refusals, disconnects, every answered event),
    /// after the ones added before it (the server's log is the first). See [`Observer`] for what it must not do.
    pub fn observe(&self, observer: impl Observer) {
        self.inner.observers.add(Arc::new(observer));
    }

    pub(crate) fn observers(&self) -> &Observers {
        &self.inner.observers
    }

    /// The typed streams of the inbound events (see [`streams`](super::streams)).
    pub fn streams(&self) -> Streams {
        Streams::new(self.clone())
    }

    pub(crate) fn topics(&self) -> &Topics {
        &self.inner.topics
    }

    /// Turns on delivery across reconnects (before the first client connects).
    pub(crate) fn set_delivery(&self, delivery: Arc<Delivery>) {
        let _ = self.inner.delivery.set(delivery);
    }

    fn delivery(&self) -> Option<&Arc<Delivery>> {
        self.inner.delivery.get()
    }

    /// The inbound events being handled.
    pub(crate) fn busy(&self) -> &Busy {
        &self.inner.busy
    }

    /// Records the adapter initialisation of a namespace registered outside [`App::namespace`] (the monitor's),
    /// for [`serve`](super::serve) to await with the others.
    pub(crate) fn add_pending(&self, init: ClusterInit) {
        self.inner
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(init);
    }

    /// The adapter initialisations of the namespaces registered so far (taken: each is awaited once).
    pub(crate) fn take_pending(&self) -> Vec<ClusterInit> {
        std::mem::take(
            &mut *self
                .inner
                .pending
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    /// Starts the registration of a namespace. `path` may hold `{param}` segments (a dynamic namespace: every
    /// path that matches is its own namespace, with its own rooms); `P` reads and checks them. `security` is
    /// checked when a client joins (empty: anyone may join): the union of what its events accept. Each event
    /// is then checked against its own security ([`NamespaceBuilder::requires`]), by default this one.
    pub fn namespace<P: NamespaceParams>(
        &self,
        path: &'static str,
        security: Security,
    ) -> NamespaceBuilder<P> {
        NamespaceBuilder {
            app: self.clone(),
            path,
            security,
            events: HashMap::new(),
            event_security: HashMap::new(),
            on_connect: None,
            on_disconnect: None,
        }
    }

    /// Lets the authenticator warn once about schemes it cannot admit anyone for (called by [`serve`](super::serve)
    /// after registration).
    pub(crate) fn check_schemes(&self) {
        let schemes = self
            .inner
            .schemes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        if !schemes.is_empty() {
            self.inner.authenticator.check_schemes_dyn(&schemes);
        }
    }

    /// The socketioxide instance (escape hatch).
    pub fn io(&self) -> &SocketIo {
        &self.inner.io
    }

    /// The API description.
    pub fn spec(&self) -> &'static ServerSpec {
        self.inner.spec
    }

    /// The largest inbound message, in bytes.
    pub fn max_message_bytes(&self) -> usize {
        self.inner.limits.max_message_bytes
    }

    /// An emitter to everyone in a namespace, for sends outside handlers (a timer, another service). `None`
    /// when no such namespace exists (a dynamic one exists once a client has joined it). Wrap it in the
    /// generated emitter: `RootEmitter::from(app.emitter("/").unwrap())`.
    pub fn emitter(&self, namespace: &str) -> Option<Emitter> {
        let pattern = self
            .inner
            .spec
            .events
            .iter()
            .map(|e| e.namespace)
            .find(|pattern| *pattern == namespace || match_path(pattern, namespace).is_some());
        self.inner.io.of(namespace).map(|operators| {
            Emitter::operators(operators)
                .observed(Observed {
                    observers: self.inner.observers.clone(),
                    pattern,
                    delivery: self.delivery().cloned(),
                })
                .selecting_everyone()
        })
    }

    /// Every socket of a namespace, on every node of a cluster, for queries outside handlers (see
    /// [`Sockets`]; [`Context::sockets`](super::Context::sockets) in handlers). Answers nothing when no such
    /// namespace exists on this node (a dynamic one exists once a client has joined it here).
    pub fn sockets(&self, namespace: &str) -> Sockets {
        Sockets::of(&self.inner.io, namespace)
    }
}

impl fmt::Debug for App {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("App")
            .field("spec", &self.inner.spec.title)
            .field("limits", &self.inner.limits)
            .finish_non_exhaustive()
    }
}

struct EventEntry<P> {
    invoke: Invoke<P>,
    /// Who may send it (set at [`NamespaceBuilder::register`]).
    security: Security,
}

/// The registration of one namespace; [`register`](Self::register) installs it.
pub struct NamespaceBuilder<P> {
    app: App,
    path: &'static str,
    security: Security,
    events: HashMap<&'static str, EventEntry<P>>,
    event_security: HashMap<&'static str, Security>,
    on_connect: Option<Hook<P>>,
    on_disconnect: Option<Hook<P>>,
}

impl<P: NamespaceParams> NamespaceBuilder<P> {
    /// An outbound event sent at most once (`x-fastsocket-volatile: true`): not numbered, not replayed to
    /// a client that reconnects (see `docs/delivery.md`).
    pub fn volatile(self, event: &'static str) -> Self {
        if let Some(delivery) = self.app.delivery() {
            delivery.mark_volatile(self.path, event);
        }
        self
    }

    /// The security of one inbound event (the operation's, as the document says; empty: anyone connected may
    /// send it). It is checked against the credentials the client connected with, before the payload is
    /// validated: `unauthorized` when no alternative's schemes passed, `forbidden` when one did but a scope is
    /// missing. An event without a call here has the namespace's security.
    pub fn requires(mut self, event: &'static str, security: Security) -> Self {
        self.event_security.insert(event, security);
        self
    }

    /// An inbound event whose handler answers an acknowledgement value (the contract declares an ack).
    ///
    /// The payload is validated against `T`'s schema before the handler runs; see the
    /// [module documentation](super) for everything that can be answered instead. Once validated, it is also
    /// handed to the event's [stream](super::streams) when someone subscribed to it (a clone).
    pub fn on_with_ack<E, T, R, F, Fut>(mut self, event: &'static str, handler: F) -> Self
    where
        E: From<Emitter> + Send + 'static,
        T: serde::de::DeserializeOwned + Validate + Clone + Send + Sync + 'static,
        R: serde::Serialize + Send + 'static,
        F: Fn(Context<E, P>, T) -> Fut + Send + Sync + Clone + 'static,
        Fut: Future<Output = Result<R, HandlerError>> + Send + 'static,
    {
        let topic = self.app.topics().topic::<T, P>(self.path, event);
        let invoke: Invoke<P> = Arc::new(move |core: SocketCore<P>, value: Value| {
            let handler = handler.clone();
            let topic = topic.clone();
            Box::pin(async move {
                let payload = crate::decode_owned::<T>(value)
                    .map_err(|violations| HandlerError::invalid_payload(event, violations))?;
                if topic.wanted() {
                    topic.publish(payload.clone(), core.socket.clone(), core.state.clone());
                }
                let answer = handler(Context::new(core), payload).await?;
                serde_json::to_value(&answer).map_err(HandlerError::from_error)
            })
        });
        if self
            .events
            .insert(
                event,
                EventEntry {
                    invoke,
                    security: &[],
                },
            )
            .is_some()
        {
            tracing::warn!(target: "fastsocket", namespace = self.path, event, "handler registered twice: the last one wins");
        }
        self
    }

    /// An inbound event without a declared acknowledgement (a client that asks for one anyway gets `null` on
    /// success, the error envelope on failure).
    pub fn on<E, T, F, Fut>(self, event: &'static str, handler: F) -> Self
    where
        E: From<Emitter> + Send + 'static,
        T: serde::de::DeserializeOwned + Validate + Clone + Send + Sync + 'static,
        F: Fn(Context<E, P>, T) -> Fut + Send + Sync + Clone + 'static,
        Fut: Future<Output = Result<(), HandlerError>> + Send + 'static,
    {
        self.on_with_ack::<E, T, (), F, Fut>(event, handler)
    }

    /// Runs when a client has joined the namespace (after parameters and security were checked, and after the
    /// client was told it is connected, so it may emit to the socket). The socket's events wait until it has
    /// finished: rooms it joins are in place before the first event is handled; keep it short. A panic is
    /// logged.
    pub fn on_connect<E, F, Fut>(mut self, hook: F) -> Self
    where
        E: From<Emitter> + Send + 'static,
        F: Fn(Context<E, P>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.on_connect = Some(Arc::new(move |core| Box::pin(hook(Context::new(core)))));
        self
    }

    /// Runs when a client has left the namespace (its rooms are still readable; emitting to it fails).
    pub fn on_disconnect<E, F, Fut>(mut self, hook: F) -> Self
    where
        E: From<Emitter> + Send + 'static,
        F: Fn(Context<E, P>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.on_disconnect = Some(Arc::new(move |core| Box::pin(hook(Context::new(core)))));
        self
    }

    /// Installs the namespace.
    ///
    /// # Panics
    ///
    /// When socketioxide refuses the path pattern (a conflict with another dynamic namespace, bad `{}`
    /// syntax): a bug of the generator or of hand-written registration, found at startup.
    pub fn register(mut self) {
        let io = self.app.inner.io.clone();
        let path = self.path;
        let dynamic = is_dynamic(path);
        {
            let mut schemes = self
                .app
                .inner
                .schemes
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let uses = self
                .security
                .iter()
                .chain(self.event_security.values().flat_map(|s| s.iter()));
            for u in uses.flat_map(|r| r.iter()) {
                if !schemes.iter().any(|s| s.key == u.scheme.key) {
                    schemes.push(u.scheme);
                }
            }
        }
        for (event, entry) in &mut self.events {
            entry.security = self
                .event_security
                .get(event)
                .copied()
                .unwrap_or(self.security);
        }
        let shared = Arc::new(Shared {
            app: self.app,
            pattern: path,
            dynamic,
            security: self.security,
            events: self.events,
            on_connect: self.on_connect,
            on_disconnect: self.on_disconnect,
        });
        let connected = {
            let shared = shared.clone();
            move |socket: SocketRef| {
                let shared = shared.clone();
                async move { shared.connected(socket).await }
            }
        };
        let admit = {
            let shared = shared.clone();
            move |socket: SocketRef, TryData(auth): TryData<Value>| {
                let shared = shared.clone();
                let connect = trace::ConnectSpan::new(socket.ns(), shared.pattern, socket.id);
                let span = connect.span.clone();
                async move {
                    let admitted = shared
                        .admit(socket.clone(), auth.unwrap_or(Value::Null))
                        .await;
                    connect.admitted(&socket, admitted.is_ok());
                    admitted
                }
                .instrument(span)
            }
        };
        let handler = connected.with(admit);
        if dynamic {
            if let Err(error) = io.dyn_ns(path, handler) {
                panic!("cannot register the namespace `{path}`: {error}");
            }
        } else {
            let init = io.ns(path, handler);
            shared
                .app
                .inner
                .pending
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(init);
        }
    }
}

/// What every socket of a namespace shares.
struct Shared<P> {
    app: App,
    pattern: &'static str,
    dynamic: bool,
    security: Security,
    events: HashMap<&'static str, EventEntry<P>>,
    on_connect: Option<Hook<P>>,
    on_disconnect: Option<Hook<P>>,
}

/// Why a client may not join: the `connect_error` message.
#[derive(Debug)]
struct Refusal(String);

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the runtime reads of an inbound message before decoding it.
struct Inbound {
    /// Text plus binary attachments, in bytes.
    size: usize,
    /// Whether the client asked for an acknowledgement.
    wants_ack: bool,
    /// The idempotency key of a delivery session's event (read only for its sockets).
    key: Option<String>,
}

impl FromMessageParts<ClusterAdapter> for Inbound {
    type Error = Infallible;

    fn from_message_parts(
        socket: &Arc<Socket<ClusterAdapter>>,
        value: &mut socketioxide::handler::Value,
        ack_id: &Option<i64>,
    ) -> Result<Self, Infallible> {
        let size = match value {
            socketioxide::handler::Value::Str(text, binaries) => {
                text.len()
                    + binaries
                        .as_ref()
                        .map_or(0, |b| b.iter().map(|b| b.len()).sum::<usize>())
            }
            socketioxide::handler::Value::Bytes(bytes) => bytes.len(),
        };
        let key = match value {
            socketioxide::handler::Value::Str(text, _)
                if socket.extensions.get::<super::delivery::Member>().is_some() =>
            {
                super::delivery::inbound_key(text.as_str())
            }
            _ => None,
        };
        Ok(Inbound {
            size,
            wants_ack: ack_id.is_some(),
            key,
        })
    }
}

/// At most this many characters of a client-chosen event name go to logs and messages.
const MAX_EVENT_NAME_SHOWN: usize = 64;

fn shown(event: &str) -> &str {
    match event.char_indices().nth(MAX_EVENT_NAME_SHOWN) {
        Some((i, _)) => &event[..i],
        None => event,
    }
}

impl<P: NamespaceParams> Shared<P> {
    /// Connect middleware: runs before the client is told it is connected, so every check and every handler
    /// is in place before its first event can arrive.
    ///
    /// A dynamic namespace is counted against `FASTSOCKET_MAX_DYNAMIC_NAMESPACES` (socketioxide created it for
    /// this client already: over the cap it is deleted again), and deleted when its only client is refused
    /// (bad parameters, bad credentials), so that made-up paths do not pile up.
    async fn admit(self: Arc<Self>, socket: SocketRef, auth: Value) -> Result<(), Refusal> {
        if !self.dynamic {
            return self.check_and_install(socket, auth).await;
        }
        let namespace = socket.ns().to_owned();
        let io = self.app.inner.io.clone();
        let entered = self.app.inner.dynamic.enter(
            &namespace,
            |path| io.of(path).is_some_and(|ns| !ns.sockets().is_empty()),
            |path| io.delete_ns(path),
        );
        if entered.is_err() {
            // No client is in it or joining it (it would have been entered): nothing else holds it.
            io.delete_ns(&namespace);
            let message = "too many namespaces: the server holds its maximum of dynamic namespaces";
            self.refused(&socket, &namespace, message);
            return Err(Refusal(message.to_owned()));
        }
        let admitted = self.clone().check_and_install(socket, auth).await;
        self.app
            .inner
            .dynamic
            .admitted(&namespace, admitted.is_ok(), || io.delete_ns(&namespace));
        admitted
    }

    /// The checks of [`admit`](Self::admit) (parameters, security), then the socket's handlers.
    async fn check_and_install(
        self: Arc<Self>,
        socket: SocketRef,
        auth: Value,
    ) -> Result<(), Refusal> {
        let namespace = socket.ns().to_owned();
        let params = if self.dynamic {
            match_path(self.pattern, &namespace)
                .ok_or_else(|| {
                    vec![crate::Violation::new(
                        "",
                        "does not match the namespace pattern",
                    )]
                })
                .and_then(|params| P::from_params(&params))
        } else {
            P::from_params(&HashMap::new())
        };
        let params = match params {
            Ok(params) => params,
            Err(violations) => {
                let list: Vec<String> = violations.iter().map(ToString::to_string).collect();
                let message = format!(
                    "invalid namespace `{}`: {}",
                    shown(&namespace),
                    list.join("; ")
                );
                self.refused(&socket, &namespace, &message);
                return Err(Refusal(message));
            }
        };

        let verdicts = if self.security.is_empty() {
            Verdicts::default()
        } else {
            let parts = socket.req_parts();
            let handshake = Handshake {
                auth: &auth,
                headers: &parts.headers,
                query: parts.uri.query(),
            };
            Verdicts::gather(self.security, &handshake, &*self.app.inner.authenticator).await
        };
        let principal = match verdicts.admit(self.security) {
            Ok(principal) => principal,
            Err(error) => {
                let message = format!("unauthorized: {error}");
                self.refused(&socket, &namespace, &message);
                return Err(Refusal(message));
            }
        };

        if let Some(delivery) = self.app.delivery()
            && let Err(message) = delivery
                .admit(
                    &socket,
                    self.pattern,
                    &auth,
                    principal.as_ref().map(|p| p.subject.as_str()),
                )
                .await
        {
            self.refused(&socket, &namespace, &message);
            return Err(Refusal(message));
        }
        let state = Arc::new(SocketState::new(
            params,
            principal,
            verdicts,
            self.on_connect.is_some(),
        ));
        socket.extensions.insert(state.clone());
        let limits = Arc::new(SocketLimits::new(&self.app.inner.limits));
        // One fallback handler serves every event: the event table is shared by the namespace, and a
        // connection costs one boxed handler instead of one per event.
        {
            let shared = self.clone();
            let state = state.clone();
            let limits = limits.clone();
            socket.on_fallback(
                move |socket: SocketRef,
                      Event(event): Event,
                      inbound: Inbound,
                      TryData(data): TryData<Value>,
                      ack: AckSender<ClusterAdapter>| {
                    let shared = shared.clone();
                    let state = state.clone();
                    let limits = limits.clone();
                    let span = trace::event_span(
                        socket.ns(),
                        shared.pattern,
                        shown(&event),
                        shared.events.contains_key(event.as_str()),
                        socket.id,
                    );
                    async move {
                        let core = SocketCore {
                            socket,
                            state,
                            io: shared.app.inner.io.clone(),
                            observed: shared.observed(),
                        };
                        shared
                            .dispatch(
                                core,
                                &limits,
                                event,
                                inbound,
                                data.map_err(|e| e.to_string()),
                                ack,
                            )
                            .await;
                    }
                    .instrument(span)
                },
            );
        }
        {
            let shared = self.clone();
            socket.on_disconnect(move |socket: SocketRef, reason: DisconnectReason| {
                let shared = shared.clone();
                let state = state.clone();
                async move {
                    if let Some(delivery) = shared.app.delivery() {
                        delivery.left(&socket).await;
                    }
                    shared.app.observers().observe(&Activity::Disconnected {
                        namespace: socket.ns(),
                        pattern: shared.pattern,
                        socket: socket.id,
                        reason,
                    });
                    let namespace = socket.ns().to_owned();
                    if let Some(hook) = &shared.on_disconnect {
                        let core = SocketCore {
                            socket,
                            state,
                            io: shared.app.inner.io.clone(),
                            observed: shared.observed(),
                        };
                        run_hook(hook(core), "on_disconnect").await;
                    }
                    if shared.dynamic {
                        // After the hook, which may still read the namespace's rooms.
                        let io = &shared.app.inner.io;
                        shared
                            .app
                            .inner
                            .dynamic
                            .left(&namespace, || io.delete_ns(&namespace));
                    }
                }
            });
        }
        Ok(())
    }

    /// Connect handler: the client is connected and every handler is in place.
    async fn connected(self: Arc<Self>, socket: SocketRef) {
        let Some(state) = socket.extensions.get::<Arc<SocketState<P>>>() else {
            return;
        };
        self.app.observers().observe(&Activity::Connected {
            namespace: socket.ns(),
            pattern: self.pattern,
            socket: socket.id,
            principal: state.principal.as_ref().map(|p| p.subject.as_str()),
            transport: socket.transport_type(),
        });
        let connect = trace::ConnectSpan::take(&socket);
        if let Some(delivery) = self.app.delivery() {
            delivery.joined(&socket, self.pattern).await;
        }
        if let Some(hook) = &self.on_connect {
            let core = SocketCore {
                socket,
                state: state.clone(),
                io: self.app.inner.io.clone(),
                observed: self.observed(),
            };
            run_hook(hook(core), "on_connect")
                .instrument(connect.span.clone())
                .await;
            // The socket's events waited for the hook (rooms it joins are in place before they run).
            state.ready.open();
        }
        connect.done();
    }

    /// What the emitters of this namespace's handlers report to.
    fn observed(&self) -> Observed {
        Observed {
            observers: self.app.inner.observers.clone(),
            pattern: Some(self.pattern),
            delivery: self.app.delivery().cloned(),
        }
    }

    /// Tells the observers that a client was refused at connect.
    fn refused(&self, socket: &SocketRef, namespace: &str, reason: &str) {
        self.app.observers().observe(&Activity::Refused {
            namespace: shown(namespace),
            pattern: self.pattern,
            socket: socket.id,
            reason,
        });
    }

    /// Handles one inbound event: size, event table, payload schema, handler (panics caught), answer, then
    /// the observers are told.
    async fn dispatch(
        &self,
        core: SocketCore<P>,
        limits: &SocketLimits,
        event: String,
        inbound: Inbound,
        data: Result<Value, String>,
        ack: AckSender<ClusterAdapter>,
    ) {
        let started = Instant::now();
        let _busy = self.app.busy().enter();
        core.state.ready.wait().await;
        let socket = core.socket.clone();
        let state = core.state.clone();
        let max = self.app.inner.limits.max_message_bytes;
        // Held until the answer is sent.
        let in_flight = limits.in_flight.try_enter();
        let mut declared = false;
        let outcome = if !limits.bucket.as_ref().is_none_or(TokenBucket::try_take) {
            Err(HandlerError::new(
                ErrorCode::RateLimited,
                "too many events: slow down",
            ))
        } else if in_flight.is_none() {
            Err(HandlerError::new(
                ErrorCode::RateLimited,
                "too many events in flight: wait for the answers",
            ))
        } else if inbound.size > max {
            Err(HandlerError::new(
                ErrorCode::PayloadTooLarge,
                format!(
                    "the message is {} bytes, more than the limit of {max}",
                    inbound.size
                ),
            ))
        } else if let Some(entry) = self.events.get(event.as_str()) {
            declared = true;
            let value = match core.state.verdicts.authorize(entry.security) {
                Err(Denied::Unauthorized(message)) => {
                    Err(HandlerError::new(ErrorCode::Unauthorized, message))
                }
                Err(Denied::Forbidden(message)) => {
                    Err(HandlerError::new(ErrorCode::Forbidden, message))
                }
                Ok(()) => match data {
                    Ok(value) => Ok(value),
                    // An event sent without arguments: checked as `null` against the schema.
                    Err(error) if error.contains("first element not found") => Ok(Value::Null),
                    Err(error) => Err(HandlerError::invalid_payload(
                        &event,
                        vec![crate::Violation::new(
                            "",
                            format!("cannot be read: {error}"),
                        )],
                    )),
                },
            };
            // A delivery session's retry (same idempotency key) gets the first run's answer.
            let delivery = inbound.key.as_deref().zip(self.app.delivery().cloned());
            match value {
                Ok(value) => {
                    let invoke = entry.invoke.clone();
                    let run = async move { invoke(core, value).await };
                    match AssertUnwindSafe(Delivery::once(delivery, &socket, run))
                        .catch_unwind()
                        .await
                    {
                        Ok(result) => result,
                        Err(panic) => {
                            tracing::error!(
                                target: "fastsocket",
                                namespace = socket.ns(),
                                event = shown(&event),
                                socket = %socket.id,
                                panic = panic_message(&*panic),
                                "handler panicked"
                            );
                            Err(HandlerError::internal("internal error"))
                        }
                    }
                }
                Err(error) => Err(error),
            }
        } else {
            Err(HandlerError::new(
                ErrorCode::UnknownEvent,
                format!("unknown event `{}`", shown(&event)),
            ))
        };

        let event = shown(&event);
        match &outcome {
            Ok(answer) => {
                if inbound.wants_ack
                    && let Err(error) = ack.send(answer)
                {
                    tracing::warn!(target: "fastsocket", namespace = socket.ns(), event, socket = %socket.id, %error, "cannot send the acknowledgement");
                }
            }
            Err(error) => {
                let envelope = error.envelope();
                let sent = if inbound.wants_ack {
                    ack.send(&envelope)
                } else {
                    socket.emit(EXCEPTION_EVENT, &envelope)
                };
                if let Err(send_error) = sent {
                    tracing::warn!(target: "fastsocket", namespace = socket.ns(), event, socket = %socket.id, error = %send_error, "cannot send the error");
                }
            }
        }
        let rate_limited_before = match &outcome {
            Err(error) if error.code() == ErrorCode::RateLimited => {
                limits.warned.swap(true, Ordering::Relaxed)
            }
            _ => false,
        };
        let record = EventRecord {
            namespace: socket.ns(),
            pattern: self.pattern,
            event,
            declared,
            socket: socket.id,
            principal: state.principal.as_ref().map(|p| p.subject.as_str()),
            size: inbound.size,
            latency: started.elapsed(),
            outcome: match &outcome {
                Ok(_) => Outcome::Handled,
                Err(error) => Outcome::Error(error),
            },
            rate_limited_before,
        };
        trace::record_event(&record);
        self.app.observers().observe(&Activity::Event(&record));
    }
}

/// The rate and concurrency limits of one socket.
struct SocketLimits {
    /// `None`: no rate limit.
    bucket: Option<TokenBucket>,
    in_flight: InFlight,
    /// Whether a `rate_limited` refusal was logged for this socket.
    warned: AtomicBool,
}

impl SocketLimits {
    fn new(limits: &Limits) -> Self {
        SocketLimits {
            bucket: TokenBucket::new(limits.events_per_second, limits.event_burst),
            in_flight: InFlight::new(limits.max_in_flight),
            warned: AtomicBool::new(false),
        }
    }
}

/// Runs a lifecycle hook, logging a panic instead of losing it silently.
async fn run_hook(hook: BoxFuture<()>, name: &'static str) {
    if let Err(panic) = AssertUnwindSafe(hook).catch_unwind().await {
        tracing::error!(target: "fastsocket", hook = name, panic = panic_message(&*panic), "hook panicked");
    }
}

fn panic_message(panic: &(dyn Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(not a string)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn busy_is_idle_once_every_guard_is_dropped() {
        let busy = Arc::new(Busy::default());
        busy.idle().await;
        let (first, second) = (busy.enter(), busy.enter());
        let waiter = {
            let busy = busy.clone();
            tokio::spawn(async move { busy.idle().await })
        };
        drop(first);
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished(), "one unit of work is still running");
        drop(second);
        tokio::time::timeout(std::time::Duration::from_secs(10), waiter)
            .await
            .expect("idle once the last guard is dropped")
            .unwrap();
    }

    #[test]
    fn long_event_names_are_cut() {
        let long = "é".repeat(100);
        assert_eq!(shown(&long).chars().count(), MAX_EVENT_NAME_SHOWN);
        assert_eq!(shown("echo"), "echo");
    }

    #[test]
    fn panic_messages() {
        let p: Box<dyn Any + Send> = Box::new("boom");
        assert_eq!(panic_message(&*p), "boom");
        let p: Box<dyn Any + Send> = Box::new(String::from("bang"));
        assert_eq!(panic_message(&*p), "bang");
        let p: Box<dyn Any + Send> = Box::new(1);
        assert_eq!(panic_message(&*p), "(not a string)");
    }
}
