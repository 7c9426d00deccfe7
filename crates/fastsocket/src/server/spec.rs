//! What generated code tells the runtime about the API.

use std::fmt::Write as _;

/// The API a generated server implements: shown by the `events` and `spec` commands and served at
/// `GET /asyncapi.json`.
#[derive(Debug, Clone, Copy)]
pub struct ServerSpec {
    /// `info.title`.
    pub title: &'static str,
    /// `info.version`.
    pub version: &'static str,
    /// The AsyncAPI document, as JSON.
    pub asyncapi_json: &'static str,
    /// Every event of every namespace.
    pub events: &'static [EventInfo],
}

/// Which way an event goes, seen from the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Clients send it; the server handles it.
    Inbound,
    /// The server sends it.
    Outbound,
}

impl Direction {
    /// `inbound` or `outbound`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
        }
    }
}

/// One event of a namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventInfo {
    /// The namespace (pattern): `/`, `/admin`, `/rooms/{roomId}`.
    pub namespace: &'static str,
    /// The event name.
    pub event: &'static str,
    /// Which way it goes.
    pub direction: Direction,
    /// The Rust type of the payload.
    pub payload: &'static str,
    /// The Rust type of the acknowledgement, when the contract declares one.
    pub ack: Option<&'static str>,
}

impl ServerSpec {
    /// The table the `events` command prints: one line per event, columns aligned.
    pub fn events_table(&self) -> String {
        let header = ["NAMESPACE", "EVENT", "DIRECTION", "PAYLOAD", "ACK"];
        let rows: Vec<[&str; 5]> = self
            .events
            .iter()
            .map(|e| {
                [
                    e.namespace,
                    e.event,
                    e.direction.as_str(),
                    e.payload,
                    e.ack.unwrap_or("-"),
                ]
            })
            .collect();
        let mut widths = header.map(str::len);
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let mut out = String::new();
        for row in std::iter::once(&header).chain(&rows) {
            let mut line = String::new();
            for (i, (cell, w)) in row.iter().zip(widths).enumerate() {
                if i + 1 == row.len() {
                    line.push_str(cell);
                } else {
                    let _ = write!(line, "{cell:<w$}  ");
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        static SPEC: ServerSpec = ServerSpec {
            title: "t",
            version: "1",
            asyncapi_json: "{}",
            events: &[
                EventInfo {
                    namespace: "/",
                    event: "echo",
                    direction: Direction::Inbound,
                    payload: "Echo",
                    ack: Some("EchoAck"),
                },
                EventInfo {
                    namespace: "/rooms/{roomId}",
                    event: "said",
                    direction: Direction::Outbound,
                    payload: "Said",
                    ack: None,
                },
            ],
        };
        assert_eq!(
            SPEC.events_table(),
            "NAMESPACE        EVENT  DIRECTION  PAYLOAD  ACK\n\
             /                echo   inbound    Echo     EchoAck\n\
             /rooms/{roomId}  said   outbound   Said     -\n"
        );
    }
}
