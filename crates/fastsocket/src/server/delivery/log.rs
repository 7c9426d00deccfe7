//! The replay log of one namespace: the packets emitted to resumable sessions, numbered, with whom they were
//! for, bounded in length and age. Pure bookkeeping (no sockets), so it is tested on its own.

use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

/// A delivery session: 128 random bits the client draws once and presents at every reconnect.
pub(crate) type SessionId = u128;

/// Whom one emitted packet was for, in terms that outlive a socket id (which changes at every reconnect).
/// Serialised (with the Redis adapter the log is shared): sessions as numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Selector {
    /// One session only (`ctx.reply()`); the other fields are then ignored.
    pub(crate) direct: Option<SessionId>,
    /// `None`: every socket of the namespace; otherwise the sockets in any of these rooms.
    pub(crate) rooms: Option<BTreeSet<String>>,
    /// The sender of a `ctx.broadcast()`, left out.
    pub(crate) except: Option<SessionId>,
}

impl Selector {
    /// One session.
    pub(crate) fn direct(session: SessionId) -> Self {
        Selector {
            direct: Some(session),
            ..Selector::default()
        }
    }

    /// Everyone but `sender` (everyone when it is no session).
    pub(crate) fn except(sender: Option<SessionId>) -> Self {
        Selector {
            except: sender,
            ..Selector::default()
        }
    }

    /// Narrowed to `room` as [`Emitter::to`](crate::server::Emitter::to) narrows: from one socket to the
    /// room's members, from a group to its members in any of its rooms so far (the exclusion stays).
    pub(crate) fn within(mut self, room: &str) -> Self {
        self.direct = None;
        self.rooms
            .get_or_insert_with(BTreeSet::new)
            .insert(room.to_owned());
        self
    }

    /// Whether a session in `rooms` is one of the packet's recipients.
    pub(crate) fn matches(&self, session: SessionId, rooms: &[String]) -> bool {
        if let Some(direct) = self.direct {
            return direct == session;
        }
        if self.except == Some(session) {
            return false;
        }
        match &self.rooms {
            None => true,
            Some(wanted) => rooms.iter().any(|room| wanted.contains(room)),
        }
    }

    /// Whether matching needs the session's rooms (reading them costs a lookup per socket).
    pub(crate) fn needs_rooms(&self) -> bool {
        self.direct.is_none() && self.rooms.is_some()
    }
}

/// One logged packet.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) offset: u64,
    at: Instant,
    pub(crate) event: Arc<str>,
    pub(crate) payload: Arc<Value>,
    selector: Arc<Selector>,
}

/// Why a session cannot be served from the log: packets after its offset were dropped (too many, or too old),
/// or the offset is not one of this log's (another process, or one that restarted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Gap;

/// The numbered packets of one namespace, oldest first.
#[derive(Debug)]
pub(crate) struct ReplayLog {
    entries: VecDeque<Entry>,
    /// The offset of the last packet logged (0: none yet). Offsets start at 1 and never repeat.
    head: u64,
    /// The highest offset dropped from the front (0: none).
    dropped_through: u64,
    max_len: usize,
    max_age: Duration,
}

impl ReplayLog {
    pub(crate) fn new(max_len: usize, max_age: Duration) -> Self {
        ReplayLog {
            entries: VecDeque::new(),
            head: 0,
            dropped_through: 0,
            max_len: max_len.max(1),
            max_age,
        }
    }

    /// The offset of the last packet logged.
    pub(crate) fn head(&self) -> u64 {
        self.head
    }

    /// Logs a packet and returns its offset.
    pub(crate) fn push(
        &mut self,
        now: Instant,
        event: &str,
        payload: Arc<Value>,
        selector: Arc<Selector>,
    ) -> u64 {
        self.head += 1;
        self.entries.push_back(Entry {
            offset: self.head,
            at: now,
            event: Arc::from(event),
            payload,
            selector,
        });
        self.prune(now);
        self.head
    }

    /// Drops what is beyond the length or the age.
    pub(crate) fn prune(&mut self, now: Instant) {
        while let Some(front) = self.entries.front() {
            let too_many = self.entries.len() > self.max_len;
            let too_old = now.saturating_duration_since(front.at) > self.max_age;
            if !(too_many || too_old) {
                break;
            }
            self.dropped_through = front.offset;
            self.entries.pop_front();
        }
    }

    /// The packets after `after` that were for `session` (in `rooms`), oldest first; [`Gap`] when some packet
    /// after `after` is no longer in the log, or `after` is beyond the head.
    pub(crate) fn since(
        &self,
        after: u64,
        session: SessionId,
        rooms: &[String],
    ) -> Result<Vec<Entry>, Gap> {
        if after < self.dropped_through || after > self.head {
            return Err(Gap);
        }
        Ok(self
            .entries
            .iter()
            .filter(|e| e.offset > after && e.selector.matches(session, rooms))
            .cloned()
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rooms(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| (*s).to_owned()).collect()
    }

    fn in_rooms(names: &[&str]) -> Arc<Selector> {
        Arc::new(Selector {
            rooms: Some(names.iter().map(|s| (*s).to_owned()).collect()),
            ..Selector::default()
        })
    }

    #[test]
    fn selectors_match_direct_rooms_and_exclusions() {
        let direct = Selector {
            direct: Some(7),
            rooms: Some(BTreeSet::new()),
            except: Some(7),
        };
        assert!(direct.matches(7, &[]));
        assert!(!direct.matches(8, &rooms(&["a"])));
        let everyone_but_1 = Selector {
            except: Some(1),
            ..Selector::default()
        };
        assert!(everyone_but_1.matches(2, &[]));
        assert!(!everyone_but_1.matches(1, &[]));
        let room_a = in_rooms(&["a", "b"]);
        assert!(room_a.matches(3, &rooms(&["x", "b"])));
        assert!(!room_a.matches(3, &rooms(&["x"])));
        assert!(room_a.needs_rooms());
        assert!(!direct.needs_rooms());
    }

    #[test]
    fn replays_what_matched_after_the_offset() {
        let now = Instant::now();
        let mut log = ReplayLog::new(10, Duration::from_secs(60));
        let payload = Arc::new(Value::from(1));
        assert_eq!(log.push(now, "a", payload.clone(), in_rooms(&["r"])), 1);
        assert_eq!(log.push(now, "b", payload.clone(), in_rooms(&["s"])), 2);
        assert_eq!(log.push(now, "c", payload.clone(), Arc::default()), 3);
        let got: Vec<u64> = log
            .since(0, 5, &rooms(&["r"]))
            .unwrap()
            .iter()
            .map(|e| e.offset)
            .collect();
        assert_eq!(got, [1, 3]);
        let got: Vec<u64> = log
            .since(1, 5, &rooms(&["s"]))
            .unwrap()
            .iter()
            .map(|e| e.offset)
            .collect();
        assert_eq!(got, [2, 3]);
        assert!(log.since(3, 5, &[]).unwrap().is_empty());
        assert_eq!(log.since(4, 5, &[]).unwrap_err(), Gap, "beyond the head");
    }

    #[test]
    fn a_dropped_packet_is_a_gap_for_those_behind_it() {
        let now = Instant::now();
        let mut log = ReplayLog::new(2, Duration::from_secs(60));
        for _ in 0..3 {
            log.push(now, "e", Arc::new(Value::Null), Arc::default());
        }
        assert_eq!(log.since(0, 1, &[]).unwrap_err(), Gap);
        assert_eq!(log.since(1, 1, &[]).unwrap().len(), 2);
        let later = now + Duration::from_secs(61);
        log.prune(later);
        assert_eq!(log.since(2, 1, &[]).unwrap_err(), Gap, "aged out");
        assert!(log.since(3, 1, &[]).unwrap().is_empty());
        assert_eq!(log.head(), 3);
    }
}
