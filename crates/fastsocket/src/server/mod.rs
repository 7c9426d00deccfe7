//! The Socket.IO server runtime of generated servers (feature `server`): axum + socketioxide 0.18.
//!
//! Generated code describes the API ([`ServerSpec`]), registers one namespace per channel through
//! [`App::namespace`] with typed handlers, and calls [`run`] from `main`. Everything else is here:
//!
//! # Connecting
//!
//! When a client joins a namespace, before it is told it is connected (socketioxide connect middleware):
//!
//! 0. a dynamic namespace (one per path of a `{param}` pattern) is counted against
//!    [`ServerConfig::max_dynamic_namespaces`]; it is deleted when its only client is refused below, or when its
//!    last client leaves;
//! 1. a dynamic namespace's parameters (`/rooms/{roomId}`) are read and checked ([`NamespaceParams`]); a bad
//!    one refuses the client with `connect_error` `invalid namespace `/rooms/nope`: /roomId: …`;
//! 2. the credentials of every scheme the namespace's [`Security`] names are checked against the handshake (one
//!    [`Authenticator`] call per scheme the client sent credentials for); the client is admitted when one
//!    alternative passes (scopes are left to the events), or at once when the namespace has an open operation;
//!    a refusal is a `connect_error` starting with `unauthorized:` that says what was missing or wrong;
//! 3. the event handlers are installed, so none of the client's first events can be lost.
//!
//! # Dispatching an inbound event
//!
//! 1. An event over the socket's rate ([`ServerConfig::events_per_second`], [`ServerConfig::event_burst`]) or
//!    beyond its events in flight ([`ServerConfig::max_in_flight`]) is answered with `rate_limited`.
//! 2. A message larger than [`ServerConfig::max_message_bytes`] (binary attachments included) is answered with
//!    `payload_too_large` (one over the [transport limit](ServerConfig::transport_limit), attachments together,
//!    closes that connection; other clients never notice).
//! 3. An event the namespace does not declare is answered with `unknown_event`. An event whose own security
//!    ([`NamespaceBuilder::requires`]) the credentials checked at connect do not meet is answered with
//!    `unauthorized`, or `forbidden` when a scheme passed but the principal lacks a scope.
//! 4. The first argument is the payload (an event sent with no argument is checked as `null`; further
//!    arguments are ignored for now: multi-argument (tuple) payloads are not supported yet). It is checked
//!    against its schema and decoded ([`crate::decode`]); every violation is answered with
//!    `validation_failed`, at JSON pointers of the payload as sent (`/text`).
//! 5. The handler runs (each event in its own task, as socketioxide does; a panic is caught and answered with
//!    `internal`, the server and the connection live on). Its `Ok` value is the acknowledgement; its
//!    [`HandlerError`] is answered as [`ErrorEnvelope`].
//!
//! Errors go to the acknowledgement when the client asked for one (`socket.emit("echo", data, (answer) => …)`
//! or `emitWithAck`), else to an [`EXCEPTION_EVENT`] (`"exception"`) event sent to that socket. The connection
//! stays open in every case. One log record per connect, disconnect, event and error, with the namespace, the
//! event, the socket id and the latency (target `fastsocket`), written by [`LogObserver`]: every connect,
//! refusal, disconnect and answered event is an [`Activity`] handed to each [`Observer`] (add one with
//! [`App::observe`]). Under [`run`] the records go through [`logs`]' non-blocking writer (files, rotation,
//! retention; the `logs tail` and `logs stats` commands).
//!
//! # Configuration and endpoints
//!
//! See [`ServerConfig`] (flags > environment > `.env` > defaults) and [`run`] (`serve`, `events`, `spec`,
//! `logs`, `monitor`).
//! HTTP: `GET /healthz` (`{"status":"ok"}`), `GET /readyz` (`200`, or `503` with the reason while draining or
//! while the Redis link is down), `GET /asyncapi.json` (unless [`ServerConfig::asyncapi_json`] is
//! off), `GET /metrics` (Prometheus/OpenMetrics text, see [`metrics`]; [`ServerConfig::metrics`]), Socket.IO
//! at `/socket.io/`, CORS around all of it; Socket.IO requests from a browser page of a foreign
//! origin are refused (`403`, see [`ServerConfig::check_origin`]). Connections are capped
//! ([`ServerConfig::max_connections`], [`ServerConfig::max_connections_per_ip`]) and must send their headers in
//! time ([`ServerConfig::header_read_timeout`]). With `serve --static DIR` (`FASTSOCKET_STATIC_DIR`) a built web
//! client is served at `/` as well: its files, `index.html` for any other path without a file extension
//! (client-side routes), 404 for a
//! missing `/assets/…` file; `Cache-Control: public, max-age=31536000, immutable` for the content-hashed
//! files under `/assets/`, `no-cache` for the rest; never a dot-file or dot-folder (`/.env` is a 404);
//! `X-Content-Type-Options: nosniff` and [`CONTENT_SECURITY_POLICY`] on every answer. The routes above keep
//! priority over its files.
//!
//! # Scale-out and shutdown
//!
//! With [`ServerConfig::redis_url`] several processes share rooms and broadcasts through Redis
//! ([`ClusterAdapter`]; handlers do not change). On SIGTERM/Ctrl-C the server drains ([`ServerHandle::shutdown`]):
//! `/readyz` turns 503, clients get [`SHUTDOWN_EVENT`], running handlers finish, then connections close.
//!
//! # Not yet
//!
//! Multi-argument payloads and acknowledgements (tuples), binary attachments as typed fields, connection-state
//! recovery.

mod auth;
mod cluster;
mod config;
mod connections;
mod context;
mod delivery;
mod error;
mod limits;
pub mod logs;
pub mod metrics;
pub mod monitor;
mod namespace;
mod observe;
mod origin;
#[cfg(feature = "otel")]
pub mod otel;
mod params;
mod serve;
mod sockets;
mod spec;
mod static_files;
pub mod streams;
mod trace;

pub use auth::{
    AUTH_TOKENS_ENV, AuthError, Authenticator, Credentials, KeyLocation, Principal, Requirement,
    Scheme, SchemeKind, SchemeUse, Secret, Security, TokenList,
};
pub use cluster::{
    BroadcastOperators, ClusterAdapter, ClusterError, ClusterInit, RedisLink, RedisLinkError,
    SocketIo, SocketRef, default_redis_prefix,
};
pub use config::{
    DEFAULT_CORS_ORIGINS, DEFAULT_EVENT_BURST, DEFAULT_EVENTS_PER_SECOND,
    DEFAULT_HEADER_READ_TIMEOUT_SECS, DEFAULT_LOG_FILTER, DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_CONNECTIONS_PER_IP, DEFAULT_MAX_DYNAMIC_NAMESPACES, DEFAULT_MAX_IN_FLIGHT,
    DEFAULT_MAX_MESSAGE_BYTES, LogFormat, QUIET_TARGETS, RedisUrl, ServerConfig, init_logging,
};
pub use context::{Context, Emitter, SEEN_KEYS_PER_SOCKET};
pub use delivery::{
    DEFAULT_REPLAY_AGE_SECS, DEFAULT_REPLAY_LEN, DELIVERY_ROOM, DeliveryArgs, DeliveryConfig,
    NamespaceReplay, RESUME_EVENT,
};
pub use error::{EmitError, ErrorBody, ErrorCode, ErrorEnvelope, HandlerError};
pub use metrics::{Metrics, MetricsEndpoint, register_dropped};
pub use namespace::{App, EXCEPTION_EVENT, NamespaceBuilder};
pub use observe::{Activity, EventRecord, LogObserver, Observer, Outcome};
pub use params::{NamespaceParams, decode_param};
pub use serve::{SHUTDOWN_EVENT, ServerHandle, run, serve};
pub use sockets::{QueryError, SocketInfo, Sockets};
pub use spec::{Direction, EventInfo, ServerSpec};
pub use static_files::CONTENT_SECURITY_POLICY;
pub use streams::{EventStream, Received, Streams};
pub use trace::SPAN_TARGET;

/// The socketioxide crate this runtime is built on (escape hatches: [`App::io`], [`Context::socket`]).
pub use socketioxide;
