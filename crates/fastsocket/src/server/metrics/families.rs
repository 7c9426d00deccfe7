//! The metric families and the observer that fills them, with label values taken from the document only.

use std::collections::HashMap;
use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric as _};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use super::super::connections::Tally;
use super::super::error::ErrorCode;
use super::super::observe::{Activity, EventRecord, Observer, Outcome};
use super::super::spec::{Direction, ServerSpec};

/// The `event` label of every event a namespace does not declare: client-chosen names never become labels.
pub const UNDECLARED_EVENT: &str = "_undeclared";

/// A namespace pattern.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct NamespaceLabels {
    namespace: &'static str,
}

/// A namespace pattern and one of its declared events (or [`UNDECLARED_EVENT`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct EventLabels {
    namespace: &'static str,
    event: &'static str,
}

/// An event and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct OutcomeLabels {
    namespace: &'static str,
    event: &'static str,
    outcome: &'static str,
}

/// A refused connect and its class.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RefusalLabels {
    namespace: &'static str,
    reason: &'static str,
}

type Histograms = Family<EventLabels, Histogram, fn() -> Histogram>;

/// The families fed by activity, and the document's names to label them with.
#[derive(Debug)]
pub(super) struct Families {
    /// Per namespace pattern, its declared events (inbound and outbound), as `'static` label values.
    declared: HashMap<&'static str, HashMap<&'static str, &'static str>>,
    sockets: Family<NamespaceLabels, Gauge>,
    received: Family<OutcomeLabels, Counter>,
    validation_failures: Family<EventLabels, Counter>,
    duration: Histograms,
    payload: Histograms,
    sent: Family<EventLabels, Counter>,
    refused: Family<RefusalLabels, Counter>,
}

/// 100 µs to ~3.3 s, ×2 per bucket: a handler's answer time (slower ones land in `+Inf`).
fn duration_buckets() -> Histogram {
    Histogram::new(exponential_buckets(0.0001, 2.0, 16))
}

/// 64 bytes to 16 MiB, ×4 per bucket: message sizes up to well past the default 1 MiB limit.
fn payload_buckets() -> Histogram {
    Histogram::new(exponential_buckets(64.0, 4.0, 10))
}

impl Families {
    /// Registers the families in `registry` (prefix `fastsocket_`) and creates the series of every declared
    /// namespace and inbound event at zero, so that rates and alerts see them before the first event.
    pub(super) fn new(spec: &'static ServerSpec, registry: &mut Registry) -> Self {
        let mut declared: HashMap<&'static str, HashMap<&'static str, &'static str>> =
            HashMap::new();
        for info in spec.events {
            declared
                .entry(info.namespace)
                .or_default()
                .insert(info.event, info.event);
        }
        let families = Families {
            declared,
            sockets: Family::default(),
            received: Family::default(),
            validation_failures: Family::default(),
            duration: Family::new_with_constructor(duration_buckets),
            payload: Family::new_with_constructor(payload_buckets),
            sent: Family::default(),
            refused: Family::default(),
        };
        let registry = registry.sub_registry_with_prefix("fastsocket");
        registry.register(
            "sockets",
            "Connected Socket.IO sockets, per namespace pattern",
            families.sockets.clone(),
        );
        registry.register(
            "events_received",
            "Inbound events answered, per namespace pattern, declared event and outcome (ok or the error code)",
            families.received.clone(),
        );
        registry.register(
            "validation_failures",
            "Inbound events whose payload broke its schema",
            families.validation_failures.clone(),
        );
        registry.register(
            "event_duration_seconds",
            "From the receipt of an inbound event to its answer",
            families.duration.clone(),
        );
        registry.register(
            "event_payload_bytes",
            "Size of inbound messages (text and binary attachments)",
            families.payload.clone(),
        );
        registry.register(
            "events_sent",
            "Outbound events emitted through the typed emitters (one per emit, whatever the number of recipients)",
            families.sent.clone(),
        );
        registry.register(
            "connects_refused",
            "Clients refused when joining a namespace, per reason class",
            families.refused.clone(),
        );
        for info in spec.events {
            let _ = families.sockets.get_or_create(&NamespaceLabels {
                namespace: info.namespace,
            });
            let labels = EventLabels {
                namespace: info.namespace,
                event: info.event,
            };
            match info.direction {
                Direction::Inbound => {
                    let _ = families.received.get_or_create(&OutcomeLabels {
                        namespace: info.namespace,
                        event: info.event,
                        outcome: "ok",
                    });
                    let _ = families.validation_failures.get_or_create(&labels);
                    let _ = families.duration.get_or_create(&labels);
                    let _ = families.payload.get_or_create(&labels);
                }
                Direction::Outbound => {
                    let _ = families.sent.get_or_create(&labels);
                }
            }
        }
        families
    }

    /// The `event` label: the document's name when `pattern` declares `event`, else [`UNDECLARED_EVENT`].
    fn event_label(&self, pattern: &str, event: &str) -> &'static str {
        self.declared
            .get(pattern)
            .and_then(|events| events.get(event))
            .copied()
            .unwrap_or(UNDECLARED_EVENT)
    }

    fn event(&self, record: &EventRecord<'_>) {
        let event = if record.declared {
            self.event_label(record.pattern, record.event)
        } else {
            UNDECLARED_EVENT
        };
        let labels = EventLabels {
            namespace: record.pattern,
            event,
        };
        self.received
            .get_or_create(&OutcomeLabels {
                namespace: record.pattern,
                event,
                outcome: record.outcome.as_str(),
            })
            .inc();
        if let Outcome::Error(error) = record.outcome
            && error.code() == ErrorCode::ValidationFailed
        {
            self.validation_failures.get_or_create(&labels).inc();
        }
        self.duration
            .get_or_create(&labels)
            .observe(record.latency.as_secs_f64());
        // Exact below 2^53 bytes, far beyond any transport limit.
        #[allow(clippy::cast_precision_loss)]
        self.payload
            .get_or_create(&labels)
            .observe(record.size as f64);
    }
}

/// The class of a `connect_error` message (the messages `namespace.rs` sends; a new kind shows as `other`).
fn refusal_class(reason: &str) -> &'static str {
    if reason.starts_with("unauthorized") {
        "unauthorized"
    } else if reason.starts_with("invalid namespace") {
        "invalid_namespace"
    } else if reason.starts_with("too many namespaces") {
        "too_many_namespaces"
    } else {
        "other"
    }
}

impl Observer for Arc<Families> {
    fn observe(&self, activity: &Activity<'_>) {
        match *activity {
            Activity::Connected { pattern, .. } => {
                self.sockets
                    .get_or_create(&NamespaceLabels { namespace: pattern })
                    .inc();
            }
            Activity::Disconnected { pattern, .. } => {
                self.sockets
                    .get_or_create(&NamespaceLabels { namespace: pattern })
                    .dec();
            }
            Activity::Refused {
                pattern, reason, ..
            } => {
                self.refused
                    .get_or_create(&RefusalLabels {
                        namespace: pattern,
                        reason: refusal_class(reason),
                    })
                    .inc();
            }
            // Counted once per emit that was sent; failed emits are the monitor's and the log's.
            Activity::Emitted {
                pattern: Some(pattern),
                event,
                outcome: Ok(()),
                ..
            } => {
                self.sent
                    .get_or_create(&EventLabels {
                        namespace: pattern,
                        event: self.event_label(pattern, event),
                    })
                    .inc();
            }
            Activity::Emitted { .. } => {}
            Activity::Event(record) => self.event(record),
        }
    }
}

/// The TCP connections, read from the server's tally at each scrape.
#[derive(Debug)]
pub(super) struct Tcp {
    pub(super) tally: Arc<Tally>,
    /// `FASTSOCKET_MAX_CONNECTIONS` (0: no limit, no series).
    pub(super) limit: usize,
}

impl Collector for Tcp {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let stats = self.tally.stats();
        let gauge = ConstGauge::new(i64::try_from(stats.open).unwrap_or(i64::MAX));
        gauge.encode(encoder.encode_descriptor(
            "fastsocket_tcp_connections",
            "Open TCP connections (HTTP, long-polling and WebSocket)",
            None,
            MetricType::Gauge,
        )?)?;
        if self.limit > 0 {
            let gauge = ConstGauge::new(i64::try_from(self.limit).unwrap_or(i64::MAX));
            gauge.encode(encoder.encode_descriptor(
                "fastsocket_tcp_connections_limit",
                "FASTSOCKET_MAX_CONNECTIONS: open TCP connections the server accepts",
                None,
                MetricType::Gauge,
            )?)?;
        }
        let mut family = encoder.encode_descriptor(
            "fastsocket_tcp_connections_refused",
            "TCP connections closed at once because a connection cap was reached",
            None,
            MetricType::Counter,
        )?;
        for (reason, count) in [
            ("max_connections", stats.refused_total),
            ("max_connections_per_ip", stats.refused_per_ip),
        ] {
            ConstCounter::new(count).encode(family.encode_family(&[("reason", reason)])?)?;
        }
        Ok(())
    }
}
