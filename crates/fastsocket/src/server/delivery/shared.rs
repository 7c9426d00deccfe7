//! Delivery with the Redis adapter: the replay log, the held sessions and the answers of retried events live in
//! Redis, so a client that comes back on another node is served there (design in `docs/delivery.md`).
//!
//! Per namespace path `ns`, under the server's channel prefix `p`:
//!
//! - `p-delivery:ns:meta`: a hash, `epoch` (16 hex digits) and `head` (the last offset);
//! - `p-delivery:ns:log`: a stream, one entry per numbered packet, its id `0-<offset>` (so `XRANGE` from an
//!   offset is a range of ids), fields `t` (milliseconds since the epoch, the node's clock) and `b` (the packet:
//!   namespace, event, payload and selector as JSON); trimmed by `XADD … MAXLEN`;
//! - `p-delivery:ns:session:<32 hex>`: a hash per session, `p` (principal), `r` (rooms when it left, JSON),
//!   `l` (when it left, ms; 0 while connected);
//! - `p-delivery:ns:ack:<32 hex>:<key>`: the answer of an inbound event with an idempotency key (empty while
//!   the first run is going).
//!
//! Logging a packet is one script (`EVAL`): number it, append it, publish `"<epoch> <offset> <packet>"` on
//! `p-delivery`. Every node, the sender included, sends the numbered copies to its own session sockets from
//! that channel, so every socket gets packets in offset order whichever node emitted them.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::Value;

use super::log::{Selector, SessionId};
use crate::server::cluster::RedisLink;

/// How long the log's keys live after the last packet (they are small: the stream is bounded by length).
const LOG_TTL: Duration = Duration::from_secs(24 * 3600);
/// How long a connected session's record lives without being refreshed (a node that died leaves it behind).
const CONNECTED_TTL: Duration = Duration::from_secs(24 * 3600);

/// Numbers, appends and publishes one packet, when some session ever joined the namespace (its meta exists).
/// KEYS: log, meta. ARGV: max length, TTL (ms), now (ms), packet, channel. Returns `{epoch, offset}`, or
/// nothing when the namespace has no meta.
const LOG_SCRIPT: &str = r"
local epoch = redis.call('HGET', KEYS[2], 'epoch')
if not epoch then
  return {}
end
local n = redis.call('HINCRBY', KEYS[2], 'head', 1)
local id = string.format('%d', n)
redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[1], '0-' .. id, 't', ARGV[3], 'b', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('PUBLISH', ARGV[5], epoch .. ' ' .. id .. ' ' .. ARGV[4])
return {epoch, id}
";

/// Reads what follows an offset. KEYS: log, meta. ARGV: the offset, a new epoch (when the namespace has none
/// yet), TTL (ms). Returns `{epoch, head, oldest entry (0 or 1 of them), entries after the offset}`.
const READ_SCRIPT: &str = r"
local epoch = redis.call('HGET', KEYS[2], 'epoch')
if not epoch then
  epoch = ARGV[2]
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[2], 'epoch', epoch, 'head', 0)
end
redis.call('PEXPIRE', KEYS[2], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
local head = redis.call('HGET', KEYS[2], 'head')
local oldest = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)
local after = redis.call('XRANGE', KEYS[1], '(0-' .. ARGV[1], '+')
return {epoch, head, oldest, after}
";

/// A stream entry as Redis returns it: id, then field/value pairs.
type RawEntry = (String, Vec<Vec<u8>>);

/// One numbered packet, as logged and published.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct Packet {
    /// The namespace path.
    #[serde(rename = "n")]
    pub(crate) namespace: String,
    #[serde(rename = "e")]
    pub(crate) event: String,
    #[serde(rename = "p")]
    pub(crate) payload: Value,
    #[serde(rename = "s")]
    pub(crate) selector: Selector,
}

/// A packet with its place in the log.
#[derive(Debug)]
pub(crate) struct Numbered {
    pub(crate) epoch: u64,
    pub(crate) offset: u64,
    /// Milliseconds since the Unix epoch when it was logged (0 when unknown: published ones).
    pub(crate) at_ms: u64,
    pub(crate) packet: Packet,
}

impl Numbered {
    /// A message of the delivery channel: `"<epoch hex> <offset> <packet JSON>"`.
    pub(crate) fn parse_published(message: &[u8]) -> Option<Numbered> {
        let text = std::str::from_utf8(message).ok()?;
        let (epoch, rest) = text.split_once(' ')?;
        let (offset, packet) = rest.split_once(' ')?;
        Some(Numbered {
            epoch: u64::from_str_radix(epoch, 16).ok()?,
            offset: offset.parse().ok()?,
            at_ms: 0,
            packet: serde_json::from_str(packet).ok()?,
        })
    }

    fn from_entry(epoch: u64, (id, fields): RawEntry) -> Option<Numbered> {
        let offset = id.strip_prefix("0-")?.parse().ok()?;
        let mut at_ms = 0;
        let mut packet = None;
        for pair in fields.chunks(2) {
            match pair {
                [name, value] if name == b"t" => {
                    at_ms = std::str::from_utf8(value).ok()?.parse().ok()?;
                }
                [name, value] if name == b"b" => packet = serde_json::from_slice(value).ok(),
                _ => {}
            }
        }
        Some(Numbered {
            epoch,
            offset,
            at_ms,
            packet: packet?,
        })
    }
}

/// What a resuming session finds in Redis.
#[derive(Debug)]
pub(crate) struct Found {
    pub(crate) epoch: u64,
    pub(crate) head: u64,
    /// The offset of the oldest packet still logged (`head + 1` when none is).
    pub(crate) oldest: u64,
    /// The packets after the asked offset, every session's (matching is the caller's).
    pub(crate) after: Vec<Numbered>,
    /// The rooms the session was in when it left (empty: unknown session, or it had none).
    pub(crate) rooms: Vec<String>,
    /// Whether Redis held the session.
    pub(crate) known: bool,
}

/// What [`Shared::claim`] found for an idempotency key.
pub(crate) enum Claim {
    /// Nobody ran it: this node runs it (and stores the answer).
    Run,
    /// A run is going (on some node).
    Pending,
    /// The stored answer (JSON of [`super::acks::Stored`]).
    Answered(Vec<u8>),
}

/// Why a Redis operation did not happen.
#[derive(Debug)]
pub(crate) enum Unreachable {
    /// The link is down: nothing was sent.
    Down,
    /// The command failed or timed out: it may or may not have run.
    Failed,
}

/// The Redis side of delivery: the link (shared with the adapter) and the key prefix.
pub(crate) struct Shared {
    link: RedisLink,
    prefix: String,
}

impl Shared {
    pub(crate) fn new(link: RedisLink, prefix: &str) -> Self {
        Shared {
            link,
            prefix: format!("{prefix}-delivery"),
        }
    }

    /// The pub/sub channel numbered packets are published on.
    pub(crate) fn channel(&self) -> String {
        self.prefix.clone()
    }

    fn key(&self, namespace: &str, what: &str) -> String {
        format!("{}:{namespace}:{what}", self.prefix)
    }

    fn session_key(&self, namespace: &str, session: SessionId) -> String {
        self.key(namespace, &format!("session:{session:032x}"))
    }

    fn ack_key(&self, namespace: &str, session: SessionId, key: &str) -> String {
        self.key(namespace, &format!("ack:{session:032x}:{key}"))
    }

    async fn query<T: redis::FromRedisValue>(
        &self,
        command: impl FnOnce() -> redis::Pipeline,
    ) -> Result<T, Unreachable> {
        let Some((mut conn, generation)) = self.link.conn() else {
            return Err(Unreachable::Down);
        };
        let pipeline = command();
        match pipeline.query_async(&mut conn).await {
            Ok(value) => Ok(value),
            Err(error) => {
                tracing::warn!(target: "fastsocket", error = ?error.kind(), detail = %error, "a delivery command to Redis failed");
                if error.is_io_error() || error.is_timeout() || error.is_connection_dropped() {
                    self.link.broken(generation);
                }
                Err(Unreachable::Failed)
            }
        }
    }

    /// Numbers and logs a packet and publishes it to every node: its offset, `None` when no session ever
    /// joined the namespace (nothing is logged then).
    pub(crate) async fn log(
        &self,
        packet: &Packet,
        max_len: usize,
    ) -> Result<Option<u64>, Unreachable> {
        let body = serde_json::to_string(packet).map_err(|_| Unreachable::Failed)?;
        let (logged,): (Vec<String>,) = self
            .query(|| {
                let mut pipe = redis::pipe();
                pipe.cmd("EVAL")
                    .arg(LOG_SCRIPT)
                    .arg(2)
                    .arg(self.key(&packet.namespace, "log"))
                    .arg(self.key(&packet.namespace, "meta"))
                    .arg(max_len.max(1))
                    .arg(millis(LOG_TTL))
                    .arg(now_ms())
                    .arg(body)
                    .arg(self.channel());
                pipe
            })
            .await?;
        Ok(logged.get(1).and_then(|offset| offset.parse().ok()))
    }

    /// At a (re)connect: the session's record (then marked connected, with `principal`) and the log after
    /// `after`.
    pub(crate) async fn resume(
        &self,
        namespace: &str,
        session: SessionId,
        principal: Option<&str>,
        after: u64,
        new_epoch: u64,
    ) -> Result<Found, Unreachable> {
        let session_key = self.session_key(namespace, session);
        type Reply = (
            HashMap<String, String>,
            (String, u64, Vec<RawEntry>, Vec<RawEntry>),
        );
        let (record, (epoch, head, oldest, entries)): Reply = self
            .query(|| {
                let mut pipe = redis::pipe();
                pipe.cmd("HGETALL").arg(&session_key);
                pipe.cmd("EVAL")
                    .arg(READ_SCRIPT)
                    .arg(2)
                    .arg(self.key(namespace, "log"))
                    .arg(self.key(namespace, "meta"))
                    .arg(after)
                    .arg(format!("{new_epoch:016x}"))
                    .arg(millis(LOG_TTL));
                pipe.cmd("DEL").arg(&session_key).ignore();
                pipe.cmd("HSET").arg(&session_key).arg("l").arg(0);
                if let Some(principal) = principal {
                    pipe.arg("p").arg(principal);
                }
                pipe.ignore();
                pipe.cmd("PEXPIRE")
                    .arg(&session_key)
                    .arg(millis(CONNECTED_TTL))
                    .ignore();
                pipe
            })
            .await?;
        let epoch = u64::from_str_radix(&epoch, 16).map_err(|_| Unreachable::Failed)?;
        let oldest = oldest
            .into_iter()
            .next()
            .and_then(|entry| Numbered::from_entry(epoch, entry))
            .map_or(head + 1, |entry| entry.offset);
        let rooms = record
            .get("r")
            .and_then(|rooms| serde_json::from_str(rooms).ok())
            .unwrap_or_default();
        Ok(Found {
            epoch,
            head,
            oldest,
            after: entries
                .into_iter()
                .filter_map(|entry| Numbered::from_entry(epoch, entry))
                .collect(),
            rooms,
            known: !record.is_empty(),
        })
    }

    /// The packets with offsets strictly between `after` and `before` (a hole in what the channel brought).
    pub(crate) async fn between(
        &self,
        namespace: &str,
        epoch: u64,
        after: u64,
        before: u64,
    ) -> Result<Vec<Numbered>, Unreachable> {
        let (entries,): (Vec<RawEntry>,) = self
            .query(|| {
                let mut pipe = redis::pipe();
                pipe.cmd("XRANGE")
                    .arg(self.key(namespace, "log"))
                    .arg(format!("(0-{after}"))
                    .arg(format!("(0-{before}"));
                pipe
            })
            .await?;
        Ok(entries
            .into_iter()
            .filter_map(|entry| Numbered::from_entry(epoch, entry))
            .collect())
    }

    /// The principal a session was started by: `Ok(None)` for an unknown session, `Ok(Some(None))` for one
    /// started anonymously.
    pub(crate) async fn principal(
        &self,
        namespace: &str,
        session: SessionId,
    ) -> Result<Option<Option<String>>, Unreachable> {
        let (record,): (HashMap<String, String>,) = self
            .query(|| {
                let mut pipe = redis::pipe();
                pipe.cmd("HGETALL")
                    .arg(self.session_key(namespace, session));
                pipe
            })
            .await?;
        Ok((!record.is_empty()).then(|| record.get("p").cloned()))
    }

    /// The session left: held, with its principal and rooms, for `age`.
    pub(crate) async fn left(
        &self,
        namespace: &str,
        session: SessionId,
        principal: Option<&str>,
        rooms: &[String],
        age: Duration,
    ) -> Result<(), Unreachable> {
        let key = self.session_key(namespace, session);
        let rooms = serde_json::to_string(rooms).map_err(|_| Unreachable::Failed)?;
        self.query::<()>(|| {
            let mut pipe = redis::pipe();
            pipe.cmd("HSET")
                .arg(&key)
                .arg("r")
                .arg(rooms)
                .arg("l")
                .arg(now_ms());
            if let Some(principal) = principal {
                pipe.arg("p").arg(principal);
            }
            pipe.ignore();
            pipe.cmd("PEXPIRE").arg(&key).arg(millis(age)).ignore();
            pipe
        })
        .await
    }

    /// Claims an idempotency key (`SET … NX GET`): whether to run the handler, wait, or answer.
    pub(crate) async fn claim(
        &self,
        namespace: &str,
        session: SessionId,
        key: &str,
        age: Duration,
    ) -> Result<Claim, Unreachable> {
        let (old,): (Option<Vec<u8>>,) = self
            .query(|| {
                let mut pipe = redis::pipe();
                pipe.cmd("SET")
                    .arg(self.ack_key(namespace, session, key))
                    .arg("")
                    .arg("NX")
                    .arg("GET")
                    .arg("PX")
                    .arg(millis(age));
                pipe
            })
            .await?;
        Ok(match old {
            None => Claim::Run,
            Some(old) if old.is_empty() => Claim::Pending,
            Some(answer) => Claim::Answered(answer),
        })
    }

    /// What is stored for a key now (`None`: nothing, the claim expired or was never made).
    pub(crate) async fn answer(
        &self,
        namespace: &str,
        session: SessionId,
        key: &str,
    ) -> Result<Option<Vec<u8>>, Unreachable> {
        let (value,): (Option<Vec<u8>>,) = self
            .query(|| {
                let mut pipe = redis::pipe();
                pipe.cmd("GET").arg(self.ack_key(namespace, session, key));
                pipe
            })
            .await?;
        Ok(value)
    }

    /// Stores the answer of the run that claimed `key`, for `age`.
    pub(crate) async fn answered(
        &self,
        namespace: &str,
        session: SessionId,
        key: &str,
        answer: &[u8],
        age: Duration,
    ) -> Result<(), Unreachable> {
        self.query::<()>(|| {
            let mut pipe = redis::pipe();
            pipe.cmd("SET")
                .arg(self.ack_key(namespace, session, key))
                .arg(answer)
                .arg("PX")
                .arg(millis(age))
                .ignore();
            pipe
        })
        .await
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis())
        .unwrap_or(u64::MAX)
        .max(1)
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_messages_are_read_back() {
        let packet = Packet {
            namespace: "/rooms/a".into(),
            event: "message".into(),
            payload: serde_json::json!({"text": "hi there"}),
            selector: Selector::direct(7),
        };
        let message = format!(
            "00000000000000ff 12 {}",
            serde_json::to_string(&packet).unwrap()
        );
        let read = Numbered::parse_published(message.as_bytes()).unwrap();
        assert_eq!((read.epoch, read.offset), (255, 12));
        assert_eq!(read.packet.namespace, "/rooms/a");
        assert_eq!(read.packet.payload["text"], "hi there");
        assert!(read.packet.selector.matches(7, &[]));
        assert!(!read.packet.selector.matches(8, &[]));
        assert!(Numbered::parse_published(b"zz 1 {}").is_none());
    }

    #[test]
    fn stream_entries_are_read_back() {
        let body = br#"{"n":"/","e":"x","p":1,"s":{"direct":null,"rooms":["r"],"except":null}}"#;
        let entry = (
            "0-41".to_owned(),
            vec![
                b"t".to_vec(),
                b"1700".to_vec(),
                b"b".to_vec(),
                body.to_vec(),
            ],
        );
        let read = Numbered::from_entry(3, entry).unwrap();
        assert_eq!((read.epoch, read.offset, read.at_ms), (3, 41, 1700));
        assert!(read.packet.selector.matches(1, &["r".to_owned()]));
        assert!(Numbered::from_entry(3, ("5-41".to_owned(), Vec::new())).is_none());
    }
}
