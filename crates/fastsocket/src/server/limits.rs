//! What one client may consume: events per second and in flight per socket, dynamic namespaces per server.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use super::config::ServerConfig;

/// The limits the namespaces enforce (from [`ServerConfig`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) max_message_bytes: usize,
    pub(crate) events_per_second: u32,
    pub(crate) event_burst: u32,
    pub(crate) max_in_flight: usize,
    pub(crate) max_dynamic_namespaces: usize,
}

impl Limits {
    pub(crate) fn from_config(config: &ServerConfig) -> Self {
        Limits {
            max_message_bytes: config.max_message_bytes,
            events_per_second: config.events_per_second,
            event_burst: config.event_burst,
            max_in_flight: config.max_in_flight,
            max_dynamic_namespaces: config.max_dynamic_namespaces,
        }
    }
}

/// A token bucket: `burst` events at once, refilled at `rate` per second.
#[derive(Debug)]
pub(crate) struct TokenBucket {
    rate: f64,
    burst: f64,
    state: Mutex<(f64, Instant)>,
}

impl TokenBucket {
    /// `None` when `rate` is 0 (no limit).
    pub(crate) fn new(rate: u32, burst: u32) -> Option<Self> {
        (rate > 0).then(|| {
            let burst = f64::from(burst.max(1));
            TokenBucket {
                rate: f64::from(rate),
                burst,
                state: Mutex::new((burst, Instant::now())),
            }
        })
    }

    /// Takes a token if there is one.
    pub(crate) fn try_take(&self) -> bool {
        self.try_take_at(Instant::now())
    }

    fn try_take_at(&self, now: Instant) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let (tokens, last) = &mut *state;
        let elapsed = now.saturating_duration_since(*last).as_secs_f64();
        *tokens = (*tokens + elapsed * self.rate).min(self.burst);
        *last = now.max(*last);
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Counts a socket's events being handled; at most `max` (0: no limit).
#[derive(Debug)]
pub(crate) struct InFlight {
    max: usize,
    count: AtomicUsize,
}

impl InFlight {
    pub(crate) fn new(max: usize) -> Self {
        InFlight {
            max,
            count: AtomicUsize::new(0),
        }
    }

    /// A place for one more event, given back when the guard drops; `None` when all are taken.
    pub(crate) fn try_enter(&self) -> Option<InFlightGuard<'_>> {
        let taken = self
            .count
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (self.max == 0 || n < self.max).then_some(n + 1)
            });
        taken.ok().map(|_| InFlightGuard(self))
    }
}

/// One event in flight.
pub(crate) struct InFlightGuard<'a>(&'a InFlight);

impl Drop for InFlightGuard<'_> {
    fn drop(&mut self) {
        self.0.count.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The dynamic namespaces alive (one per path such as `/rooms/42`), each with its clients being admitted and
/// its clients connected; at most `max` (0: no limit).
///
/// A namespace goes (`remove` deletes it from socketioxide) when its last client leaves or is refused; the
/// decision and the deletion happen under one lock, before any other client can enter it.
#[derive(Debug)]
pub(crate) struct DynamicNamespaces {
    max: usize,
    members: Mutex<HashMap<String, Members>>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Members {
    admitting: usize,
    connected: usize,
}

impl Members {
    fn is_empty(self) -> bool {
        self.admitting == 0 && self.connected == 0
    }
}

/// Every dynamic namespace is taken.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct TooManyNamespaces;

impl DynamicNamespaces {
    pub(crate) fn new(max: usize) -> Self {
        DynamicNamespaces {
            max,
            members: Mutex::new(HashMap::new()),
        }
    }

    fn members(&self) -> std::sync::MutexGuard<'_, HashMap<String, Members>> {
        self.members.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A client starts its admission to `path`. Over the cap, the namespaces whose clients are all gone
    /// without a disconnect (`has_sockets` says no: a client that dropped while being admitted) are removed
    /// first; then a new path is refused.
    pub(crate) fn enter(
        &self,
        path: &str,
        has_sockets: impl Fn(&str) -> bool,
        mut remove: impl FnMut(&str),
    ) -> Result<(), TooManyNamespaces> {
        let mut members = self.members();
        if let Some(m) = members.get_mut(path) {
            m.admitting += 1;
            return Ok(());
        }
        if self.max > 0 && members.len() >= self.max {
            members.retain(|path, m| {
                let stale = m.admitting == 0 && !has_sockets(path);
                if stale {
                    remove(path);
                }
                !stale
            });
            if members.len() >= self.max {
                return Err(TooManyNamespaces);
            }
        }
        members.insert(
            path.to_owned(),
            Members {
                admitting: 1,
                connected: 0,
            },
        );
        Ok(())
    }

    /// The admission to `path` ended: `admitted`, or refused (then, if no one else is in it, `remove` runs).
    pub(crate) fn admitted(&self, path: &str, admitted: bool, remove: impl FnOnce()) {
        self.update(path, remove, |m| {
            m.admitting = m.admitting.saturating_sub(1);
            if admitted {
                m.connected += 1;
            }
        });
    }

    /// A connected client left `path`; `remove` runs if it was the last.
    pub(crate) fn left(&self, path: &str, remove: impl FnOnce()) {
        self.update(path, remove, |m| {
            m.connected = m.connected.saturating_sub(1);
        });
    }

    fn update(&self, path: &str, remove: impl FnOnce(), change: impl FnOnce(&mut Members)) {
        let mut members = self.members();
        let Some(m) = members.get_mut(path) else {
            return;
        };
        change(m);
        if m.is_empty() {
            members.remove(path);
            remove();
        }
    }

    /// How many dynamic namespaces are alive.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.members().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn token_bucket_allows_a_burst_then_the_rate() {
        let bucket = TokenBucket::new(10, 3).unwrap();
        let start = Instant::now();
        assert!(bucket.try_take_at(start));
        assert!(bucket.try_take_at(start));
        assert!(bucket.try_take_at(start));
        assert!(!bucket.try_take_at(start));
        // 10 per second: one token every 100 ms.
        assert!(!bucket.try_take_at(start + Duration::from_millis(50)));
        assert!(bucket.try_take_at(start + Duration::from_millis(100)));
        assert!(!bucket.try_take_at(start + Duration::from_millis(110)));
        // Never more than the burst, however long the pause.
        let later = start + Duration::from_secs(60);
        assert_eq!((0..10).filter(|_| bucket.try_take_at(later)).count(), 3);
        assert!(TokenBucket::new(0, 5).is_none());
    }

    #[test]
    fn in_flight_is_capped_and_given_back() {
        let in_flight = InFlight::new(2);
        let a = in_flight.try_enter().unwrap();
        let _b = in_flight.try_enter().unwrap();
        assert!(in_flight.try_enter().is_none());
        drop(a);
        assert!(in_flight.try_enter().is_some());
        let unlimited = InFlight::new(0);
        let guards: Vec<_> = (0..100).map(|_| unlimited.try_enter().unwrap()).collect();
        assert_eq!(guards.len(), 100);
    }

    #[test]
    fn dynamic_namespaces_are_counted_capped_and_removed_with_their_last_client() {
        let namespaces = DynamicNamespaces::new(2);
        let no_sockets = |_: &str| false;
        let some_sockets = |_: &str| true;
        let mut removed = Vec::new();
        namespaces.enter("/a", some_sockets, |_| {}).unwrap();
        namespaces.enter("/a", some_sockets, |_| {}).unwrap();
        namespaces.enter("/b", some_sockets, |_| {}).unwrap();
        assert_eq!(
            namespaces.enter("/c", some_sockets, |_| {}),
            Err(TooManyNamespaces)
        );
        // A refused client of a namespace someone else is joining leaves it in place.
        namespaces.admitted("/a", false, || removed.push("a"));
        assert!(removed.is_empty());
        namespaces.admitted("/a", true, || removed.push("a"));
        namespaces.admitted("/b", false, || removed.push("b"));
        assert_eq!(removed, ["b"]);
        // A namespace that exists takes more clients at the cap.
        namespaces.enter("/c", some_sockets, |_| {}).unwrap();
        namespaces.enter("/a", some_sockets, |_| {}).unwrap();
        assert_eq!(namespaces.len(), 2);
        namespaces.admitted("/a", true, || removed.push("a"));
        namespaces.left("/a", || removed.push("a"));
        assert_eq!(removed, ["b"]);
        namespaces.left("/a", || removed.push("a"));
        assert_eq!(removed, ["b", "a"]);
        // Leaving a path never entered does nothing.
        namespaces.left("/zzz", || removed.push("zzz"));
        assert_eq!(namespaces.len(), 1);
        // `/c` is still being admitted: never swept. Once admitted, a namespace whose sockets are gone without
        // a disconnect is swept when the cap is reached.
        namespaces.admitted("/c", true, || removed.push("c"));
        namespaces.enter("/d", some_sockets, |_| {}).unwrap();
        let mut swept = Vec::new();
        assert_eq!(
            namespaces.enter("/e", some_sockets, |p| swept.push(p.to_owned())),
            Err(TooManyNamespaces)
        );
        namespaces.admitted("/d", true, || {});
        namespaces
            .enter("/e", no_sockets, |p| swept.push(p.to_owned()))
            .unwrap();
        swept.sort();
        assert_eq!(swept, ["/c", "/d"]);
        assert_eq!(namespaces.len(), 1);
    }
}
