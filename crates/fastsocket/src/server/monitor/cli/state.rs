//! What the `monitor` view shows, folded from the stream: the latest [`StatsSnapshot`], a short history of
//! the figures drawn as sparklines, and the most recent [`ActivityMessage`]s. No I/O and no clock: the view is
//! a function of this state, and tests feed it messages by hand.

use std::collections::VecDeque;

use super::client::MonitorEvent;
use crate::server::monitor::protocol::{ActivityMessage, StatsSnapshot};

/// Snapshots kept for the sparklines: four minutes at one a second (wider than any terminal's column count
/// for a sparkline half the screen wide).
pub const HISTORY: usize = 240;

/// Activity messages kept for the "recent activity" list.
pub const RECENT: usize = 200;

/// The state of the link to the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkStatus {
    /// Waiting for the namespace to admit the client.
    Connecting,
    /// Admitted: messages arrive.
    Connected,
    /// The connection was lost; the client is trying again (figures shown are the last ones received).
    Reconnecting,
}

/// Everything the `monitor` view draws.
#[derive(Debug, Clone)]
pub struct MonitorState {
    target: String,
    status: LinkStatus,
    latest: Option<StatsSnapshot>,
    p99_history: VecDeque<u64>,
    connections_history: VecDeque<u64>,
    recent: VecDeque<ActivityMessage>,
    activity_count: u64,
    undecodable: u64,
}

impl MonitorState {
    /// An empty state for the server at `target` (shown in the title: URL and namespace, never a token).
    pub fn new(target: impl Into<String>) -> Self {
        MonitorState {
            target: target.into(),
            status: LinkStatus::Connecting,
            latest: None,
            p99_history: VecDeque::with_capacity(HISTORY),
            connections_history: VecDeque::with_capacity(HISTORY),
            recent: VecDeque::with_capacity(RECENT),
            activity_count: 0,
            undecodable: 0,
        }
    }

    /// Folds one event of the stream in.
    pub fn apply(&mut self, event: MonitorEvent) {
        match event {
            MonitorEvent::Connected => self.status = LinkStatus::Connected,
            MonitorEvent::Reconnecting => self.status = LinkStatus::Reconnecting,
            MonitorEvent::Activity(message) => self.push_activity(message),
            MonitorEvent::Stats(snapshot) => self.push_stats(*snapshot),
            MonitorEvent::Undecodable { .. } => self.undecodable += 1,
        }
    }

    /// Folds one snapshot in: it becomes the latest, and its worst p99 and its connected sockets join the
    /// sparklines' history.
    pub fn push_stats(&mut self, snapshot: StatsSnapshot) {
        push_bounded(&mut self.p99_history, worst_p99_us(&snapshot), HISTORY);
        push_bounded(
            &mut self.connections_history,
            snapshot.namespaces.iter().map(|ns| ns.sockets).sum(),
            HISTORY,
        );
        self.latest = Some(snapshot);
    }

    /// Folds one activity message in (the oldest beyond [`RECENT`] goes).
    pub fn push_activity(&mut self, message: ActivityMessage) {
        self.activity_count += 1;
        push_bounded(&mut self.recent, message, RECENT);
    }

    /// URL and namespace of the server.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The link's state.
    pub fn status(&self) -> &LinkStatus {
        &self.status
    }

    /// The last snapshot received, if any.
    pub fn latest(&self) -> Option<&StatsSnapshot> {
        self.latest.as_ref()
    }

    /// The worst p99 latency among the events of each snapshot, in microseconds (0 for a second without
    /// inbound events), oldest first.
    pub fn p99_history(&self) -> &VecDeque<u64> {
        &self.p99_history
    }

    /// Connected sockets (all namespaces) at each snapshot, oldest first.
    pub fn connections_history(&self) -> &VecDeque<u64> {
        &self.connections_history
    }

    /// The most recent activity, oldest first.
    pub fn recent(&self) -> &VecDeque<ActivityMessage> {
        &self.recent
    }

    /// Activity messages received since the monitor started.
    pub fn activity_count(&self) -> u64 {
        self.activity_count
    }

    /// Messages skipped because they did not decode.
    pub fn undecodable(&self) -> u64 {
        self.undecodable
    }
}

fn push_bounded<T>(queue: &mut VecDeque<T>, value: T, cap: usize) {
    if queue.len() == cap {
        queue.pop_front();
    }
    queue.push_back(value);
}

/// The worst p99 of a snapshot's events, in whole microseconds (negative or non-finite figures count as 0).
fn worst_p99_us(snapshot: &StatsSnapshot) -> u64 {
    snapshot
        .events
        .iter()
        .filter_map(|e| e.p99_ms)
        .filter(|ms| ms.is_finite() && *ms > 0.0)
        .map(|ms| (ms * 1000.0).round() as u64)
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::server::monitor::protocol::{
        ActivityKind, DroppedCounts, EventDirection, EventStats, NamespaceStats,
    };

    fn snapshot(sockets: &[u64], p99s: &[Option<f64>]) -> StatsSnapshot {
        StatsSnapshot {
            ts_ms: 0,
            uptime_s: 1.0,
            rss_bytes: None,
            namespaces: sockets
                .iter()
                .enumerate()
                .map(|(i, &sockets)| NamespaceStats {
                    namespace: format!("/ns{i}"),
                    sockets,
                })
                .collect(),
            events: p99s
                .iter()
                .map(|&p99_ms| EventStats {
                    namespace: "/".into(),
                    event: "e".into(),
                    direction: EventDirection::In,
                    per_second: 1.0,
                    errors_per_second: 0.0,
                    total: 1,
                    errors_by_code: BTreeMap::new(),
                    p50_ms: None,
                    p95_ms: None,
                    p99_ms,
                })
                .collect(),
            dropped: DroppedCounts::default(),
        }
    }

    #[test]
    fn snapshots_feed_the_sparklines() {
        let mut state = MonitorState::new("http://h/_monitor");
        assert_eq!(state.status(), &LinkStatus::Connecting);
        state.apply(MonitorEvent::Connected);
        state.apply(MonitorEvent::Stats(Box::new(snapshot(
            &[2, 3],
            &[Some(1.5), Some(0.25), None],
        ))));
        state.apply(MonitorEvent::Stats(Box::new(snapshot(
            &[],
            &[Some(f64::NAN), Some(-1.0)],
        ))));
        assert_eq!(state.p99_history(), &[1500, 0]);
        assert_eq!(state.connections_history(), &[5, 0]);
        assert_eq!(state.latest().unwrap().namespaces.len(), 0);
        for _ in 0..HISTORY + 10 {
            state.push_stats(snapshot(&[1], &[]));
        }
        assert_eq!(state.p99_history().len(), HISTORY);
        state.apply(MonitorEvent::Reconnecting);
        assert_eq!(state.status(), &LinkStatus::Reconnecting);
    }

    #[test]
    fn recent_activity_is_bounded() {
        let mut state = MonitorState::new("x");
        for i in 0..RECENT as u64 + 5 {
            state.apply(MonitorEvent::Activity(ActivityMessage {
                ts_ms: i,
                ..super::super::tail::tests::message(ActivityKind::Connected)
            }));
        }
        state.apply(MonitorEvent::Undecodable {
            event: "stats",
            error: "bad".into(),
        });
        assert_eq!(state.recent().len(), RECENT);
        assert_eq!(state.recent().front().unwrap().ts_ms, 5);
        assert_eq!(state.activity_count(), RECENT as u64 + 5);
        assert_eq!(state.undecodable(), 1);
    }
}
