//! Spans: every connect and every inbound event is a `tracing` span (target [`SPAN_TARGET`]) with the
//! namespace, the event, the socket, the outcome and the latency; the handler runs inside it, so its own spans
//! are children. Exported over OTLP with the `otel` feature (`server::otel`).
//!
//! The log writer never takes these spans ([`logs::init`](super::logs::init) turns the target off for it): with
//! no exporter, no subscriber wants them and a span costs a check of a cached per-call-site flag.
//!
//! Attributes hold what the document bounds or the runtime made (the namespace's path, the event name cut to 64
//! characters, the socket id, the outcome code): never a payload, the handshake `auth`, a header, a query
//! string or a principal.

use std::time::{Duration, Instant};

use socketioxide::socket::Sid;
use tracing::Span;

use super::cluster::SocketRef;
use super::observe::{EventRecord, Outcome};

/// The target of the connect and event spans (`RUST_LOG=fastsocket::span=off` turns them off for export).
pub const SPAN_TARGET: &str = "fastsocket::span";

/// The span of one inbound event; `declared`: whether the namespace declares it (else its name is client input
/// and stays out of the span's name).
pub(crate) fn event_span(
    namespace: &str,
    pattern: &'static str,
    event: &str,
    declared: bool,
    socket: Sid,
) -> Span {
    let shown = if declared { event } else { "(undeclared)" };
    tracing::info_span!(
        target: SPAN_TARGET,
        "event",
        otel.name = %format_args!("{pattern} {shown}"),
        otel.kind = "server",
        otel.status_code = tracing::field::Empty,
        namespace,
        namespace.pattern = pattern,
        event,
        socket = %socket,
        outcome = tracing::field::Empty,
        latency_us = tracing::field::Empty,
    )
}

/// Records how the event of the current span ended (the span [`event_span`] made, which the dispatch runs in).
pub(crate) fn record_event(record: &EventRecord<'_>) {
    let span = Span::current();
    if span.is_disabled() {
        return;
    }
    record_outcome(&span, record.outcome.as_str(), record.latency);
    if let Outcome::Error(error) = record.outcome
        && !error.code().is_client_error()
    {
        span.record("otel.status_code", "ERROR");
    }
}

/// The span of one connect, from the handshake checks to the end of the `on_connect` hook: kept in the
/// socket's extensions between the two (the connect middleware and the connect handler are separate tasks).
#[derive(Clone)]
pub(crate) struct ConnectSpan {
    pub(crate) span: Span,
    started: Instant,
}

impl ConnectSpan {
    pub(crate) fn new(namespace: &str, pattern: &'static str, socket: Sid) -> Self {
        let span = tracing::info_span!(
            target: SPAN_TARGET,
            "connect",
            otel.name = %format_args!("{pattern} connect"),
            otel.kind = "server",
            namespace,
            namespace.pattern = pattern,
            socket = %socket,
            outcome = tracing::field::Empty,
            latency_us = tracing::field::Empty,
        );
        ConnectSpan {
            span,
            started: Instant::now(),
        }
    }

    /// After the checks: a refusal ends the span, an admission hands it to the connect handler.
    pub(crate) fn admitted(self, socket: &SocketRef, admitted: bool) {
        if self.span.is_disabled() {
            return;
        }
        if admitted {
            socket.extensions.insert(self);
        } else {
            record_outcome(&self.span, "refused", self.started.elapsed());
        }
    }

    /// The span [`admitted`](Self::admitted) kept (a disabled one when there is none).
    pub(crate) fn take(socket: &SocketRef) -> Self {
        socket
            .extensions
            .remove::<ConnectSpan>()
            .unwrap_or_else(|| ConnectSpan {
                span: Span::none(),
                started: Instant::now(),
            })
    }

    /// The client is connected and its `on_connect` hook has run.
    pub(crate) fn done(self) {
        record_outcome(&self.span, "ok", self.started.elapsed());
    }
}

/// Records `outcome` (`ok`, `refused`, an error code) and the latency on `span`.
fn record_outcome(span: &Span, outcome: &str, latency: Duration) {
    if span.is_disabled() {
        return;
    }
    span.record("outcome", outcome);
    span.record(
        "latency_us",
        u64::try_from(latency.as_micros()).unwrap_or(u64::MAX),
    );
}
