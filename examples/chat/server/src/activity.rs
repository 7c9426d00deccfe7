//! Messages per room over a sliding window, pushed to the operators of `/admin` as `room_activity`. This file
//! is yours: regeneration never touches it.
//!
//! Built on the typed stream of `send_message` (every message that passed its checks): the room of each
//! message, merged with a timer, folded into a [`SlidingWindow`] of [`BUCKETS`] buckets of one period each.
//! The handlers never see any of it.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use fastsocket::server::streams::tokio_stream::StreamExt as _;
use fastsocket::server::streams::tokio_stream::wrappers::IntervalStream;

use crate::generated::server::{Streams, admin};
use crate::models::{RoomActivityPayload, RoomActivityPayloadRoomsItem, RoomId, Timestamp};

/// How many periods the window spans (the window is `BUCKETS` × the period: a minute at the default 5 s).
pub const BUCKETS: usize = 12;

/// The most rooms one `room_activity` lists (the document's `maxItems`): the busiest.
pub const MAX_ROOMS: usize = 100;

/// Message counts per room over the last [`BUCKETS`] periods: one bucket per period, the oldest dropped as a
/// new one starts. Memory is bounded by the rooms active within the window, whatever the traffic.
#[derive(Debug, Default)]
pub struct SlidingWindow {
    /// The closed periods, oldest first (at most `BUCKETS - 1`).
    closed: VecDeque<BTreeMap<String, u64>>,
    /// The period in progress.
    current: BTreeMap<String, u64>,
}

impl SlidingWindow {
    /// Counts one message in `room`.
    pub fn record(&mut self, room: &str) {
        match self.current.get_mut(room) {
            Some(count) => *count += 1,
            None => {
                self.current.insert(room.to_owned(), 1);
            }
        }
    }

    /// Ends the period in progress: the oldest falls out of the window once it spans [`BUCKETS`] periods.
    pub fn rotate(&mut self) {
        self.closed.push_back(std::mem::take(&mut self.current));
        while self.closed.len() >= BUCKETS {
            self.closed.pop_front();
        }
    }

    /// The rooms with messages in the window and their counts, busiest first (ties by room id), at most
    /// [`MAX_ROOMS`].
    pub fn counts(&self) -> Vec<(String, u64)> {
        let mut totals: BTreeMap<&str, u64> = BTreeMap::new();
        for bucket in self.closed.iter().chain([&self.current]) {
            for (room, count) in bucket {
                *totals.entry(room).or_default() += count;
            }
        }
        let mut list: Vec<(String, u64)> = totals
            .into_iter()
            .map(|(room, count)| (room.to_owned(), count))
            .collect();
        // Stable: equal counts keep the room order of the map.
        list.sort_by_key(|(_, count)| std::cmp::Reverse(*count));
        list.truncate(MAX_ROOMS);
        list
    }
}

/// What the pipeline folds: a message in a room, or the end of a period.
enum Tick {
    Message(String),
    Period,
}

/// Starts the pipeline: every `period`, the counts of the last [`BUCKETS`] periods go to every operator of
/// `/admin` (nothing while no room had a message in the window, after one empty report).
pub fn spawn(streams: &Streams, period: Duration) {
    let Some(admins) = streams
        .app()
        .emitter("/admin")
        .map(admin::AdminEmitter::from)
    else {
        tracing::warn!("no /admin namespace: room activity is not published");
        return;
    };
    let messages = streams.room().send_message();
    let lag = messages.lag();
    let rooms = messages.map(|message| Tick::Message(message.params().room_id.clone()));
    let mut timer = tokio::time::interval(period);
    timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let periods = IntervalStream::new(timer).map(|_| Tick::Period);
    let mut ticks = rooms.merge(periods);
    let window_seconds = period.as_secs_f64() * BUCKETS as f64;
    tokio::spawn(async move {
        let mut window = SlidingWindow::default();
        let (mut was_empty, mut lost) = (true, 0);
        while let Some(tick) = ticks.next().await {
            match tick {
                Tick::Message(room) => window.record(&room),
                Tick::Period => {
                    if lag.get() > lost {
                        lost = lag.get();
                        tracing::warn!(lost, "room activity fell behind: counts are low");
                    }
                    let counts = window.counts();
                    window.rotate();
                    if counts.is_empty() && was_empty {
                        continue;
                    }
                    was_empty = counts.is_empty();
                    let report = report(window_seconds, counts);
                    if let Err(error) = admins.room_activity(&report).await {
                        tracing::debug!(%error, "cannot publish the room activity");
                    }
                }
            }
        }
    });
}

fn report(window_seconds: f64, counts: Vec<(String, u64)>) -> RoomActivityPayload {
    RoomActivityPayload {
        at: Timestamp(
            chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now()).fixed_offset(),
        ),
        window_seconds,
        rooms: counts
            .into_iter()
            .map(|(room, messages)| RoomActivityPayloadRoomsItem {
                room_id: RoomId(room),
                messages: i64::try_from(messages).unwrap_or(i64::MAX),
                additional_properties: Default::default(),
            })
            .collect(),
        additional_properties: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(window: &SlidingWindow) -> Vec<(String, u64)> {
        window.counts()
    }

    fn list(pairs: &[(&str, u64)]) -> Vec<(String, u64)> {
        pairs
            .iter()
            .map(|(room, n)| ((*room).to_owned(), *n))
            .collect()
    }

    #[test]
    fn counts_cover_the_last_buckets_busiest_first() {
        let mut window = SlidingWindow::default();
        window.record("quiet");
        for _ in 0..3 {
            window.record("busy");
        }
        assert_eq!(counts(&window), list(&[("busy", 3), ("quiet", 1)]));
        window.rotate();
        for _ in 0..3 {
            window.record("quiet");
        }
        // Summed across buckets.
        assert_eq!(counts(&window), list(&[("quiet", 4), ("busy", 3)]));
        window.record("busy");
        // Ties keep the room order.
        assert_eq!(counts(&window), list(&[("busy", 4), ("quiet", 4)]));
    }

    #[test]
    fn old_buckets_fall_out_of_the_window() {
        let mut window = SlidingWindow::default();
        window.record("early");
        for _ in 1..BUCKETS {
            window.rotate();
        }
        // Still inside: the window spans BUCKETS periods, the current one included.
        assert_eq!(counts(&window), list(&[("early", 1)]));
        window.rotate();
        assert!(counts(&window).is_empty());
        window.record("late");
        assert_eq!(counts(&window), list(&[("late", 1)]));
    }

    #[test]
    fn at_most_the_busiest_rooms_are_listed() {
        let mut window = SlidingWindow::default();
        for room in 0..MAX_ROOMS + 5 {
            for _ in 0..=room {
                window.record(&format!("room-{room:03}"));
            }
        }
        let all = counts(&window);
        assert_eq!(all.len(), MAX_ROOMS);
        assert_eq!(
            all[0],
            (format!("room-{:03}", MAX_ROOMS + 4), MAX_ROOMS as u64 + 5)
        );
        assert_eq!(all[MAX_ROOMS - 1].1, 6);
    }
}
