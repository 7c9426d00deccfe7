//! What happens on the server, as records handed to observers: the one seam that logs, the live monitor,
//! metrics and event streams read from.
//!
//! The runtime builds one [`Activity`] per connect, refusal, disconnect and handled event, and hands it to
//! every [`Observer`] in the order they were added, on the task that handled it. Records borrow from that
//! path, so an observer must not block: copy what it keeps, hand it to a bounded queue, and drop (and count)
//! what does not fit. The server's own log lines come from [`LogObserver`], added first.

use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use socketioxide::TransportType;
use socketioxide::socket::{DisconnectReason, Sid};

use super::error::{ErrorCode, HandlerError};

/// How one inbound event ended.
#[derive(Debug, Clone, Copy)]
pub enum Outcome<'a> {
    /// The handler ran and succeeded; the acknowledgement, when the client asked for one, was sent.
    Handled,
    /// The event was refused (limits, unknown event, security, validation) or the handler failed: the error
    /// answered to the client (its code, message and violations; the cause, if any, stays on the server).
    Error(&'a HandlerError),
}

impl Outcome<'_> {
    /// `"ok"`, or the error code's wire name (`"validation_failed"`, …).
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Handled => "ok",
            Outcome::Error(error) => error.code().as_str(),
        }
    }

    /// The error code, when the event was not handled successfully.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Outcome::Handled => None,
            Outcome::Error(error) => Some(error.code()),
        }
    }
}

/// One inbound event, once it was answered.
#[derive(Debug, Clone, Copy)]
pub struct EventRecord<'a> {
    /// The namespace the socket is in (a dynamic namespace's concrete path, `/rooms/42`).
    pub namespace: &'a str,
    /// The namespace's pattern as registered (`/rooms/{roomId}`; equal to `namespace` for a static one): a
    /// value bounded by the document, safe as a metrics label.
    pub pattern: &'static str,
    /// The event name as the client sent it, cut to 64 characters (an undeclared name is client input).
    pub event: &'a str,
    /// Whether the namespace declares `event` (when `false`, `event` is client input: never use it as a label).
    pub declared: bool,
    /// The socket.
    pub socket: Sid,
    /// The authenticated principal's subject, if the socket connected with credentials.
    pub principal: Option<&'a str>,
    /// The message's size in bytes (text and binary attachments).
    pub size: usize,
    /// From the moment the runtime received the event until the answer was sent.
    pub latency: Duration,
    /// How it ended.
    pub outcome: Outcome<'a>,
    /// Whether this socket was refused for its rate before (observers that log may skip repeats of a flood).
    pub rate_limited_before: bool,
}

/// What an [`Observer`] is told.
#[derive(Debug, Clone, Copy)]
pub enum Activity<'a> {
    /// A client joined a namespace (after its parameters and credentials were checked).
    Connected {
        /// The namespace's concrete path.
        namespace: &'a str,
        /// The namespace's pattern as registered.
        pattern: &'static str,
        /// The socket.
        socket: Sid,
        /// The authenticated principal's subject.
        principal: Option<&'a str>,
        /// The transport the client connected over.
        transport: TransportType,
    },
    /// A client was refused at connect (bad namespace parameters, missing or wrong credentials, too many
    /// dynamic namespaces); `reason` is the `connect_error` message it was sent.
    Refused {
        /// The namespace's concrete path (client input for a dynamic namespace: cut to 64 characters).
        namespace: &'a str,
        /// The namespace's pattern as registered.
        pattern: &'static str,
        /// The socket.
        socket: Sid,
        /// The `connect_error` message.
        reason: &'a str,
    },
    /// A client left a namespace.
    Disconnected {
        /// The namespace's concrete path.
        namespace: &'a str,
        /// The namespace's pattern as registered.
        pattern: &'static str,
        /// The socket.
        socket: Sid,
        /// Why.
        reason: DisconnectReason,
    },
    /// An inbound event was answered.
    Event(&'a EventRecord<'a>),
    /// An outbound event was emitted through a typed emitter (once per emit, whatever the number of
    /// recipients; an emit that failed is not told).
    Emitted {
        /// The namespace's concrete path.
        namespace: &'a str,
        /// The namespace's pattern as registered.
        pattern: &'static str,
        /// The event name, as the generated emitter names it.
        event: &'static str,
    },
}

/// Something that watches the server's activity: a log, a monitor, metrics, a stream.
///
/// Called on the task that handled the activity, for every activity, with records that borrow from that task:
/// return quickly and never block — copy what you keep into a bounded queue, and drop (and count) what does
/// not fit.
pub trait Observer: Send + Sync + 'static {
    /// One thing happened.
    fn observe(&self, activity: &Activity<'_>);
}

impl<F> Observer for F
where
    F: Fn(&Activity<'_>) + Send + Sync + 'static,
{
    fn observe(&self, activity: &Activity<'_>) {
        self(activity);
    }
}

/// The observers of one server, in the order they were added.
#[derive(Default)]
pub(crate) struct Observers {
    // Read on every event, written a handful of times at startup: an uncontended read lock is two atomics.
    list: RwLock<Vec<Arc<dyn Observer>>>,
}

impl Observers {
    /// Adds one (it sees what happens from now on).
    pub(crate) fn add(&self, observer: Arc<dyn Observer>) {
        self.list
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(observer);
    }

    /// Tells every observer.
    pub(crate) fn observe(&self, activity: &Activity<'_>) {
        let list = self
            .list
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for observer in list.iter() {
            observer.observe(activity);
        }
    }
}

impl fmt::Debug for Observers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self
            .list
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len();
        f.debug_struct("Observers").field("count", &count).finish()
    }
}

/// The server's log lines (target `fastsocket`): one per connect, refusal, disconnect and event; errors with
/// their code, message and cause; a flood of `rate_limited` refusals logged once per socket.
#[derive(Debug, Default, Clone, Copy)]
pub struct LogObserver;

impl Observer for LogObserver {
    fn observe(&self, activity: &Activity<'_>) {
        match *activity {
            Activity::Connected {
                namespace,
                socket,
                principal,
                transport,
                ..
            } => {
                tracing::info!(target: "fastsocket", namespace, socket = %socket, principal, transport = ?transport, "connected");
            }
            Activity::Refused {
                namespace,
                socket,
                reason,
                ..
            } => {
                tracing::warn!(target: "fastsocket", namespace, socket = %socket, reason, "connection refused");
            }
            Activity::Disconnected {
                namespace,
                socket,
                reason,
                ..
            } => {
                tracing::info!(target: "fastsocket", namespace, socket = %socket, reason = %reason, "disconnected");
            }
            Activity::Event(record) => log_event(record),
            // One line per outbound event would double the log for nothing a client did.
            Activity::Emitted { .. } => {}
        }
    }
}

fn log_event(record: &EventRecord<'_>) {
    let EventRecord {
        namespace,
        event,
        socket,
        latency,
        outcome,
        rate_limited_before,
        ..
    } = *record;
    let latency_us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
    let Outcome::Error(error) = outcome else {
        tracing::info!(target: "fastsocket", namespace, event, socket = %socket, latency_us, "event handled");
        return;
    };
    let code = error.code().as_str();
    if error.code() == ErrorCode::RateLimited {
        // A flood must not become a flood of log lines: one warning per socket.
        if !rate_limited_before {
            tracing::warn!(target: "fastsocket", namespace, event, socket = %socket, code, error = error.message(), "events refused (logged once per socket)");
        }
    } else if error.code().is_client_error() {
        tracing::warn!(target: "fastsocket", namespace, event, socket = %socket, latency_us, code, error = error.message(), "event refused");
    } else {
        let cause = error.cause().map(ToString::to_string);
        tracing::error!(target: "fastsocket", namespace, event, socket = %socket, latency_us, code, error = error.message(), cause, "event failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    fn record<'a>(outcome: Outcome<'a>) -> EventRecord<'a> {
        EventRecord {
            namespace: "/chat",
            pattern: "/chat",
            event: "send",
            declared: true,
            socket: Sid::new(),
            principal: None,
            size: 12,
            latency: Duration::from_micros(40),
            outcome,
            rate_limited_before: false,
        }
    }

    #[test]
    fn observers_are_told_in_the_order_they_were_added() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let observers = Observers::default();
        for name in ["first", "second"] {
            let seen = seen.clone();
            observers.add(Arc::new(move |activity: &Activity<'_>| {
                if let Activity::Event(record) = activity {
                    seen.lock()
                        .unwrap()
                        .push(format!("{name}:{}", record.outcome.as_str()));
                }
            }));
        }
        let refused = HandlerError::new(ErrorCode::UnknownEvent, "unknown event `x`");
        observers.observe(&Activity::Event(&record(Outcome::Handled)));
        observers.observe(&Activity::Event(&record(Outcome::Error(&refused))));
        assert_eq!(
            *seen.lock().unwrap(),
            [
                "first:ok",
                "second:ok",
                "first:unknown_event",
                "second:unknown_event"
            ]
        );
    }

    #[test]
    fn outcome_names_are_the_wire_codes() {
        let error = HandlerError::new(ErrorCode::ValidationFailed, "bad");
        assert_eq!(Outcome::Handled.as_str(), "ok");
        assert_eq!(Outcome::Handled.code(), None);
        assert_eq!(Outcome::Error(&error).as_str(), "validation_failed");
        assert_eq!(
            Outcome::Error(&error).code(),
            Some(ErrorCode::ValidationFailed)
        );
    }
}
