//! `GET /metrics`: what the server does, in the Prometheus/OpenMetrics text format (`prometheus-client`).
//!
//! Every label value comes from the document, never from a client: the namespace is its registered pattern
//! (`/rooms/{roomId}`, never `/rooms/42`), the event one the namespace declares (any other name is counted as
//! [`UNDECLARED_EVENT`]), the outcome an [`ErrorCode`](super::ErrorCode) wire name. So the number of series is
//! bounded by the document, whatever clients send; no principal, token, address or payload is ever a label.
//!
//! | metric | type | labels |
//! | --- | --- | --- |
//! | `fastsocket_sockets` | gauge | `namespace` |
//! | `fastsocket_events_received_total` | counter | `namespace`, `event`, `outcome` (`ok` or the error code) |
//! | `fastsocket_validation_failures_total` | counter | `namespace`, `event` |
//! | `fastsocket_event_duration_seconds` | histogram | `namespace`, `event` (receipt to answer) |
//! | `fastsocket_event_payload_bytes` | histogram | `namespace`, `event` |
//! | `fastsocket_events_sent_total` | counter | `namespace`, `event` (typed emits; one per emit, not per recipient) |
//! | `fastsocket_connects_refused_total` | counter | `namespace`, `reason` (`invalid_namespace`, `unauthorized`, `too_many_namespaces`, `other`) |
//! | `fastsocket_tcp_connections` | gauge | open TCP connections |
//! | `fastsocket_tcp_connections_limit` | gauge | `FASTSOCKET_MAX_CONNECTIONS` (absent when 0: no limit) |
//! | `fastsocket_tcp_connections_refused_total` | counter | `reason` (`max_connections`, `max_connections_per_ip`) |
//! | `fastsocket_dropped_records_total` | counter | `sink` (see [`register_dropped`]) |
//! | `process_*` | | resident and virtual memory, open and max file descriptors, CPU seconds, start time (Linux) |

mod dropped;
mod families;
mod process;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::http::header;
use axum::response::IntoResponse;
use prometheus_client::registry::Registry;

pub use dropped::register_dropped;
pub use families::UNDECLARED_EVENT;

use super::connections::Tally;
use super::namespace::App;
use families::Families;

/// The `Content-Type` of `GET /metrics`: OpenMetrics text, which Prometheus asks for and parses.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Where `GET /metrics` is served (`FASTSOCKET_METRICS`, flag `--metrics`: `on`, `off`, or `HOST:PORT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MetricsEndpoint {
    /// Not at all (no observer either: nothing is counted).
    Off,
    /// On the server's own port (the default).
    #[default]
    SamePort,
    /// On a listener of its own, e.g. `127.0.0.1:9100` on a private interface (port 0 picks a free one; see
    /// [`ServerHandle::metrics_addr`](super::ServerHandle::metrics_addr)).
    Listen(SocketAddr),
}

impl std::str::FromStr for MetricsEndpoint {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "on" | "true" | "1" | "yes" => Ok(MetricsEndpoint::SamePort),
            "off" | "false" | "0" | "no" => Ok(MetricsEndpoint::Off),
            other => other.parse().map(MetricsEndpoint::Listen).map_err(|_| {
                format!("`{s}` is not `on`, `off` or a listen address such as 127.0.0.1:9100")
            }),
        }
    }
}

/// The metrics of one server: a registry, and the observer that fills it.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
}

impl Metrics {
    /// Builds the registry for `app`'s document and adds the observer that fills it to `app`. `tcp` is the
    /// server's count of open connections; `max_connections` its configured limit (0: none).
    pub(crate) fn install(app: &App, tcp: Arc<Tally>, max_connections: usize) -> Arc<Self> {
        let mut registry = Registry::default();
        let families = Arc::new(Families::new(app.spec(), &mut registry));
        registry.register_collector(Box::new(families::Tcp {
            tally: tcp,
            limit: max_connections,
        }));
        registry.register_collector(Box::new(dropped::Dropped));
        registry.register_collector(Box::new(process::Process));
        app.observe(families);
        Arc::new(Metrics { registry })
    }

    /// The exposition: every metric, then `# EOF`.
    pub fn render(&self) -> String {
        let mut text = String::new();
        // Writing to a String cannot fail; an encoder error would leave a partial text, still parseable.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }

    /// The `GET /metrics` handler.
    pub(crate) async fn respond(self: Arc<Self>) -> impl IntoResponse {
        ([(header::CONTENT_TYPE, CONTENT_TYPE)], self.render())
    }
}

#[cfg(test)]
mod tests;
