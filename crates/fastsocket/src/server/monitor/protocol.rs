//! The monitoring namespace's messages, as JSON: shared by the server that sends them and every reader (the
//! `monitor` command, `logs tail --remote`, the generated client's Monitor page, whose TypeScript types mirror
//! these).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The namespace the monitor is served on unless configured otherwise.
pub const DEFAULT_MONITOR_NAMESPACE: &str = "/_monitor";
/// The event that carries one [`ActivityMessage`].
pub const ACTIVITY_EVENT: &str = "activity";
/// The event that carries one [`StatsSnapshot`], every second.
pub const STATS_EVENT: &str = "stats";

/// What kind of thing happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    /// A client joined a namespace.
    Connected,
    /// A client was refused at connect (`message`: the `connect_error` it was sent).
    Refused,
    /// A client left (`message`: why).
    Disconnected,
    /// An inbound event was answered (`outcome`, `latency_us`, `size`).
    EventIn,
    /// The server emitted an event (`outcome`: `ok`, or why it was not sent).
    EventOut,
}

/// One thing that happened on the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivityMessage {
    /// When, in milliseconds since the Unix epoch.
    pub ts_ms: u64,
    /// What.
    pub kind: ActivityKind,
    /// The namespace's concrete path (`/rooms/42`).
    pub namespace: String,
    /// The socket id (for an emit to many sockets: empty).
    pub socket: String,
    /// The event (events only; cut to 64 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// The authenticated principal's subject, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    /// `ok` or the error code's wire name (events only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// The error message, refusal reason or disconnect reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// From receipt to answer, in microseconds (inbound events only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_us: Option<u64>,
    /// The message's size in bytes (events only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
}

/// The server's figures, sent every second.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatsSnapshot {
    /// When, in milliseconds since the Unix epoch.
    pub ts_ms: u64,
    /// Seconds since the server started.
    pub uptime_s: f64,
    /// The process's resident memory, in bytes (where the platform tells).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rss_bytes: Option<u64>,
    /// Connected sockets per namespace pattern.
    pub namespaces: Vec<NamespaceStats>,
    /// Per declared event and direction.
    pub events: Vec<EventStats>,
    /// Records dropped because a reader was too slow, since the server started.
    pub dropped: DroppedCounts,
}

/// The sockets of one namespace pattern.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamespaceStats {
    /// The pattern as the document declares it (`/rooms/{roomId}`).
    pub namespace: String,
    /// Connected sockets (across every concrete path of a dynamic pattern).
    pub sockets: u64,
}

/// Whether the server received or sent an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventDirection {
    /// Received from clients.
    In,
    /// Sent by the server.
    Out,
}

/// The figures of one event over the last second and since start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventStats {
    /// The namespace pattern.
    pub namespace: String,
    /// The event, as the document declares it (undeclared events are counted under `"(unknown)"`).
    pub event: String,
    /// In or out.
    pub direction: EventDirection,
    /// Events over the last second.
    pub per_second: f64,
    /// Errors (any outcome but `ok`) over the last second.
    pub errors_per_second: f64,
    /// Events since start.
    pub total: u64,
    /// Errors since start, by error code.
    pub errors_by_code: BTreeMap<String, u64>,
    /// Latency percentiles over the last second's inbound events, in milliseconds (`None` when none arrived).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p50_ms: Option<f64>,
    /// 95th percentile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p95_ms: Option<f64>,
    /// 99th percentile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p99_ms: Option<f64>,
}

/// Records dropped by bounded queues.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DroppedCounts {
    /// Activity messages not sent to a monitor client that was too slow.
    pub monitor: u64,
    /// Log lines the non-blocking log writer dropped.
    pub logs: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activity_round_trips_and_omits_what_it_lacks() {
        let message = ActivityMessage {
            ts_ms: 1,
            kind: ActivityKind::EventIn,
            namespace: "/chat".into(),
            socket: "abc".into(),
            event: Some("send".into()),
            principal: None,
            outcome: Some("validation_failed".into()),
            message: None,
            latency_us: Some(42),
            size: Some(10),
        };
        let json = serde_json::to_value(&message).unwrap();
        assert_eq!(json["kind"], "event_in");
        assert!(json.get("principal").is_none());
        assert_eq!(
            serde_json::from_value::<ActivityMessage>(json).unwrap(),
            message
        );
    }
}
