//! The figures of the stats snapshot: sockets per namespace, and per event and direction its counts, errors by
//! code and latency over the last second.
//!
//! The table of events is built once from the [`ServerSpec`]: recording an event looks up its row without a
//! global lock and locks that row only. Events the document does not declare (client input) share one
//! `(unknown)` row per namespace and direction, so a client cannot grow the table.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::histogram::Histogram;
use super::protocol::{DroppedCounts, EventDirection, EventStats, NamespaceStats, StatsSnapshot};
use crate::server::spec::{Direction, ServerSpec};

/// The event name undeclared events are counted under.
pub(crate) const UNKNOWN_EVENT: &str = "(unknown)";
/// The namespace of events from a namespace the document does not declare (hand-registered).
pub(crate) const OTHER_NAMESPACE: &str = "(other)";

/// The figures of one event and direction.
#[derive(Default)]
struct Counters {
    total: u64,
    errors_by_code: BTreeMap<&'static str, u64>,
    /// Since the last snapshot.
    window: u64,
    window_errors: u64,
    latency_us: Histogram,
}

struct Row {
    namespace: &'static str,
    event: &'static str,
    direction: EventDirection,
    counters: Mutex<Counters>,
}

/// Every figure of a server.
pub(crate) struct Stats {
    started: Instant,
    /// Per direction (`In`, `Out`): pattern → event → row index.
    index: [HashMap<&'static str, HashMap<&'static str, usize>>; 2],
    rows: Vec<Row>,
    /// Connected sockets per namespace pattern.
    sockets: Mutex<BTreeMap<&'static str, u64>>,
    last_snapshot: Mutex<Instant>,
}

fn slot(direction: EventDirection) -> usize {
    match direction {
        EventDirection::In => 0,
        EventDirection::Out => 1,
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Stats {
    pub(crate) fn new(spec: &ServerSpec) -> Self {
        let mut stats = Stats {
            started: Instant::now(),
            index: [HashMap::new(), HashMap::new()],
            rows: Vec::new(),
            sockets: Mutex::new(BTreeMap::new()),
            last_snapshot: Mutex::new(Instant::now()),
        };
        for info in spec.events {
            let direction = match info.direction {
                Direction::Inbound => EventDirection::In,
                Direction::Outbound => EventDirection::Out,
            };
            stats.add_row(info.namespace, info.event, direction);
            lock(&stats.sockets).insert(info.namespace, 0);
        }
        let patterns: Vec<&'static str> = lock(&stats.sockets).keys().copied().collect();
        for pattern in patterns.into_iter().chain([OTHER_NAMESPACE]) {
            for direction in [EventDirection::In, EventDirection::Out] {
                stats.add_row(pattern, UNKNOWN_EVENT, direction);
            }
        }
        stats
    }

    fn add_row(&mut self, namespace: &'static str, event: &'static str, direction: EventDirection) {
        let events = self.index[slot(direction)].entry(namespace).or_default();
        if events.contains_key(event) {
            return;
        }
        events.insert(event, self.rows.len());
        self.rows.push(Row {
            namespace,
            event,
            direction,
            counters: Mutex::default(),
        });
    }

    fn row(&self, pattern: Option<&str>, event: &str, direction: EventDirection) -> &Row {
        let index = &self.index[slot(direction)];
        let events = pattern
            .and_then(|p| index.get(p))
            .or_else(|| index.get(OTHER_NAMESPACE));
        let i = events
            .and_then(|events| events.get(event).or_else(|| events.get(UNKNOWN_EVENT)))
            .copied()
            .unwrap_or(0);
        &self.rows[i]
    }

    /// Counts one event: `error` is its error code (`None`: it went well); `latency` for inbound ones.
    pub(crate) fn record(
        &self,
        pattern: Option<&str>,
        event: &str,
        direction: EventDirection,
        error: Option<&'static str>,
        latency: Option<Duration>,
    ) {
        let mut counters = lock(&self.row(pattern, event, direction).counters);
        counters.total += 1;
        counters.window += 1;
        if let Some(code) = error {
            counters.window_errors += 1;
            *counters.errors_by_code.entry(code).or_default() += 1;
        }
        if let Some(latency) = latency {
            let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
            counters.latency_us.record(us);
        }
    }

    /// A socket joined (`+1`) or left (`-1`) a namespace pattern.
    pub(crate) fn socket(&self, pattern: &'static str, joined: bool) {
        let mut sockets = lock(&self.sockets);
        let count = sockets.entry(pattern).or_default();
        *count = if joined {
            count.saturating_add(1)
        } else {
            count.saturating_sub(1)
        };
    }

    /// The figures now; the per-second ones over the time since the last snapshot, which starts a new window.
    pub(crate) fn snapshot(&self, ts_ms: u64, dropped: DroppedCounts) -> StatsSnapshot {
        let elapsed = {
            let mut last = lock(&self.last_snapshot);
            let now = Instant::now();
            let elapsed = now.duration_since(*last).as_secs_f64();
            *last = now;
            elapsed.max(1e-3)
        };
        let ms = |us: Option<u64>| us.map(|us| us as f64 / 1000.0);
        let events = self
            .rows
            .iter()
            .filter_map(|row| {
                let mut c = lock(&row.counters);
                // Undeclared events appear once there were some.
                if row.event == UNKNOWN_EVENT && c.total == 0 {
                    return None;
                }
                let stats = EventStats {
                    namespace: row.namespace.to_owned(),
                    event: row.event.to_owned(),
                    direction: row.direction,
                    per_second: c.window as f64 / elapsed,
                    errors_per_second: c.window_errors as f64 / elapsed,
                    total: c.total,
                    errors_by_code: c
                        .errors_by_code
                        .iter()
                        .map(|(code, n)| ((*code).to_owned(), *n))
                        .collect(),
                    p50_ms: ms(c.latency_us.quantile(0.50)),
                    p95_ms: ms(c.latency_us.quantile(0.95)),
                    p99_ms: ms(c.latency_us.quantile(0.99)),
                };
                c.window = 0;
                c.window_errors = 0;
                c.latency_us.clear();
                Some(stats)
            })
            .collect();
        let namespaces = lock(&self.sockets)
            .iter()
            .map(|(namespace, sockets)| NamespaceStats {
                namespace: (*namespace).to_owned(),
                sockets: *sockets,
            })
            .collect();
        StatsSnapshot {
            ts_ms,
            uptime_s: self.started.elapsed().as_secs_f64(),
            rss_bytes: rss_bytes(),
            namespaces,
            events,
            dropped,
        }
    }
}

/// The resident set size, from `/proc/self/status` (Linux); `None` elsewhere.
fn rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line
        .trim_start_matches("VmRSS:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::spec::EventInfo;

    static SPEC: ServerSpec = ServerSpec {
        title: "t",
        version: "1",
        asyncapi_json: "{}",
        events: &[
            EventInfo {
                namespace: "/chat",
                event: "send",
                direction: Direction::Inbound,
                payload: "Send",
                ack: None,
            },
            EventInfo {
                namespace: "/chat",
                event: "said",
                direction: Direction::Outbound,
                payload: "Said",
                ack: None,
            },
        ],
    };

    #[test]
    fn counts_errors_latency_and_unknown_events() {
        let stats = Stats::new(&SPEC);
        let ms = Duration::from_millis;
        stats.record(Some("/chat"), "send", EventDirection::In, None, Some(ms(2)));
        stats.record(
            Some("/chat"),
            "send",
            EventDirection::In,
            Some("validation_failed"),
            Some(ms(4)),
        );
        stats.record(
            Some("/chat"),
            "nope",
            EventDirection::In,
            Some("unknown_event"),
            Some(ms(1)),
        );
        stats.record(Some("/chat"), "said", EventDirection::Out, None, None);
        stats.record(Some("/elsewhere"), "x", EventDirection::Out, None, None);
        stats.socket("/chat", true);
        stats.socket("/chat", true);
        stats.socket("/chat", false);
        let snapshot = stats.snapshot(1, DroppedCounts::default());
        let find = |ns: &str, event: &str| {
            snapshot
                .events
                .iter()
                .find(|e| e.namespace == ns && e.event == event)
                .unwrap_or_else(|| panic!("{ns} {event}: {snapshot:?}"))
        };
        let send = find("/chat", "send");
        assert_eq!(send.total, 2);
        assert_eq!(send.errors_by_code["validation_failed"], 1);
        assert!(
            send.p50_ms.unwrap() >= 1.9 && send.p99_ms.unwrap() <= 4.1,
            "{send:?}"
        );
        assert_eq!(
            find("/chat", UNKNOWN_EVENT).errors_by_code["unknown_event"],
            1
        );
        assert_eq!(find("/chat", "said").direction, EventDirection::Out);
        assert_eq!(find(OTHER_NAMESPACE, UNKNOWN_EVENT).total, 1);
        assert_eq!(snapshot.namespaces[0].sockets, 1);
        // The next window starts empty; totals stay.
        let next = stats.snapshot(2, DroppedCounts::default());
        let send = next.events.iter().find(|e| e.event == "send").unwrap();
        assert_eq!((send.total, send.per_second, send.p50_ms), (2, 0.0, None));
    }
}
