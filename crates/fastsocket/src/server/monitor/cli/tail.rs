//! `logs tail --follow --remote URL`: the monitoring namespace's activity, one line per message, filtered.

use std::borrow::Cow;
use std::io::{self, Write};
use std::time::{Duration, UNIX_EPOCH};

use super::client::{Connection, MonitorEvent, RemoteError, Target};
use crate::server::monitor::protocol::{ActivityKind, ActivityMessage};

/// How each message is printed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum TailFormat {
    /// One readable line: time, kind, namespace, event, then `key=value` fields.
    #[default]
    Pretty,
    /// One JSON object per line, as the server sent it ([`ActivityMessage`]).
    Json,
}

/// Which messages to print. Every list that is not empty must match (an empty one matches everything); within a
/// list, any entry may match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActivityFilter {
    /// Event names (a message without an event, such as a connect, never matches a non-empty list).
    pub events: Vec<String>,
    /// Namespaces: a concrete path (`/rooms/42`), or a prefix ending in `*` (`/rooms/*`).
    pub namespaces: Vec<String>,
    /// Outcomes: `ok`, an error code (`validation_failed`), or `error` for any outcome but `ok` (a refused
    /// connect counts as an error).
    pub outcomes: Vec<String>,
    /// Socket ids.
    pub sockets: Vec<String>,
    /// Principals (the authenticated subject).
    pub principals: Vec<String>,
}

impl ActivityFilter {
    /// Whether `message` passes.
    pub fn matches(&self, message: &ActivityMessage) -> bool {
        let any = |list: &[String], test: &dyn Fn(&str) -> bool| {
            list.is_empty() || list.iter().any(|entry| test(entry))
        };
        any(&self.events, &|e| message.event.as_deref() == Some(e))
            && any(&self.namespaces, &|pattern| {
                namespace_matches(pattern, &message.namespace)
            })
            && any(&self.outcomes, &|o| outcome_matches(o, message))
            && any(&self.sockets, &|s| message.socket == s)
            && any(&self.principals, &|p| {
                message.principal.as_deref() == Some(p)
            })
    }
}

fn namespace_matches(pattern: &str, namespace: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => namespace.starts_with(prefix),
        None => pattern == namespace,
    }
}

fn outcome_matches(wanted: &str, message: &ActivityMessage) -> bool {
    let outcome = message.outcome.as_deref();
    match wanted {
        "error" => message.kind == ActivityKind::Refused || outcome.is_some_and(|o| o != "ok"),
        _ => outcome == Some(wanted),
    }
}

/// What [`tail_remote`] reads and how it prints.
#[derive(Debug, Clone)]
pub struct RemoteTail {
    /// The server, the monitoring namespace and the token.
    pub target: Target,
    /// Which messages to print.
    pub filter: ActivityFilter,
    /// Pretty or JSON lines.
    pub format: TailFormat,
    /// Stop after printing this many lines (`None`: follow until the connection is refused or the caller
    /// drops the future, e.g. on Ctrl-C).
    pub stop_after: Option<u64>,
}

/// Prints the activity of a server's monitoring namespace to `out`, one line per message that passes the
/// filter, flushed line by line. Follows for ever (reconnecting after the server goes away, with a notice on
/// standard error) unless [`RemoteTail::stop_after`] says otherwise; a closed pipe (`… | head`) ends it without
/// error.
///
/// Errors: the server cannot be reached at first, refuses the token ([`RemoteError::Refused`], also after a
/// reconnection), or `out` fails.
pub async fn tail_remote(opts: RemoteTail, mut out: impl Write) -> Result<(), RemoteError> {
    if opts.stop_after == Some(0) {
        return Ok(());
    }
    let mut connection = Connection::open(opts.target).await?;
    let mut printed = 0u64;
    let mut undecodable = 0u64;
    loop {
        let message = match connection.next().await {
            Ok(MonitorEvent::Activity(message)) => message,
            Ok(MonitorEvent::Reconnecting) => {
                eprintln!(
                    "connection to {} lost: reconnecting",
                    connection.target().label()
                );
                continue;
            }
            Ok(MonitorEvent::Undecodable { event, error }) => {
                undecodable += 1;
                // Once, then every thousandth: a newer server's messages should not flood the terminal.
                if undecodable == 1 || undecodable.is_multiple_of(1000) {
                    eprintln!("skipped {undecodable} undecodable `{event}` message(s): {error}");
                }
                continue;
            }
            Ok(MonitorEvent::Connected | MonitorEvent::Stats(_)) => continue,
            Err(error) => {
                connection.close().await;
                return Err(error);
            }
        };
        if !opts.filter.matches(&message) {
            continue;
        }
        let line = match opts.format {
            TailFormat::Pretty => format_activity(&message),
            TailFormat::Json => serde_json::to_string(&message).map_err(io::Error::other)?,
        };
        match writeln!(out, "{line}").and_then(|()| out.flush()) {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::BrokenPipe => break,
            Err(error) => {
                connection.close().await;
                return Err(error.into());
            }
        }
        printed += 1;
        if opts.stop_after.is_some_and(|n| printed >= n) {
            break;
        }
    }
    connection.close().await;
    Ok(())
}

/// One message as a readable line: `2026-12-07T18:58:58.123Z event_in /chat send socket=… outcome=ok
/// latency=1.2ms size=120B principal=… message=…`. Control characters (a hostile client's event name or
/// reason) are escaped, so a line never moves the cursor or recolours the terminal.
pub fn format_activity(message: &ActivityMessage) -> String {
    format!("{} {}", timestamp(message.ts_ms), activity_fields(message))
}

/// Everything of [`format_activity`] but the timestamp.
pub(crate) fn activity_fields(message: &ActivityMessage) -> String {
    let mut line = format!(
        "{:<12} {}",
        kind_name(message.kind),
        printable(&message.namespace)
    );
    if let Some(event) = &message.event {
        line.push(' ');
        line.push_str(&printable(event));
    }
    if !message.socket.is_empty() {
        line.push_str(&format!(" socket={}", printable(&message.socket)));
    }
    if let Some(outcome) = &message.outcome {
        line.push_str(&format!(" outcome={}", printable(outcome)));
    }
    if let Some(us) = message.latency_us {
        line.push_str(&format!(" latency={}", format_latency_us(us)));
    }
    if let Some(size) = message.size {
        line.push_str(&format!(" size={size}B"));
    }
    if let Some(principal) = &message.principal {
        line.push_str(&format!(" principal={}", printable(principal)));
    }
    if let Some(text) = &message.message {
        line.push_str(&format!(" message={:?}", text));
    }
    line
}

/// The wire name of a kind (`event_in`).
pub(crate) fn kind_name(kind: ActivityKind) -> &'static str {
    match kind {
        ActivityKind::Connected => "connected",
        ActivityKind::Refused => "refused",
        ActivityKind::Disconnected => "disconnected",
        ActivityKind::EventIn => "event_in",
        ActivityKind::EventOut => "event_out",
    }
}

/// Milliseconds since the epoch as RFC 3339 in UTC, to the millisecond. Times past year 9999 (a broken clock)
/// show as the last millisecond of 9999 rather than fail.
pub(crate) fn timestamp(ts_ms: u64) -> String {
    const LAST_MS: u64 = 253_402_300_799_999;
    humantime::format_rfc3339_millis(UNIX_EPOCH + Duration::from_millis(ts_ms.min(LAST_MS)))
        .to_string()
}

/// A latency for people: `850µs`, `12.3ms`, `1.25s`.
pub(crate) fn format_latency_us(us: u64) -> String {
    if us < 1000 {
        format!("{us}µs")
    } else if us < 1_000_000 {
        format!("{:.1}ms", us as f64 / 1000.0)
    } else {
        format!("{:.2}s", us as f64 / 1_000_000.0)
    }
}

/// `text` with control characters escaped (`\n`, `\u{1b}`).
pub(crate) fn printable(text: &str) -> Cow<'_, str> {
    if text.chars().any(char::is_control) {
        Cow::Owned(
            text.chars()
                .map(|c| {
                    if c.is_control() {
                        c.escape_default().to_string()
                    } else {
                        c.to_string()
                    }
                })
                .collect(),
        )
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A message with only the required fields (the rest `None`), for tests here and in `state`.
    pub(crate) fn message(kind: ActivityKind) -> ActivityMessage {
        ActivityMessage {
            ts_ms: 1_765_134_000_123,
            kind,
            namespace: "/rooms/42".into(),
            socket: "sock1".into(),
            event: None,
            principal: None,
            outcome: None,
            message: None,
            latency_us: None,
            size: None,
        }
    }

    fn event(name: &str, outcome: &str) -> ActivityMessage {
        ActivityMessage {
            event: Some(name.into()),
            outcome: Some(outcome.into()),
            latency_us: Some(1234),
            size: Some(10),
            ..message(ActivityKind::EventIn)
        }
    }

    #[test]
    fn pretty_lines() {
        assert_eq!(
            format_activity(&ActivityMessage {
                principal: Some("alice".into()),
                ..event("send", "ok")
            }),
            "2025-12-07T19:00:00.123Z event_in     /rooms/42 send socket=sock1 outcome=ok latency=1.2ms \
             size=10B principal=alice"
        );
        assert_eq!(
            format_activity(&ActivityMessage {
                message: Some("unauthorized: \"wrong\" token".into()),
                socket: String::new(),
                ..message(ActivityKind::Refused)
            }),
            "2025-12-07T19:00:00.123Z refused      /rooms/42 message=\"unauthorized: \\\"wrong\\\" token\""
        );
        assert_eq!(format_latency_us(850), "850µs");
        assert_eq!(format_latency_us(1_250_000), "1.25s");
        assert_eq!(timestamp(u64::MAX), "9999-12-31T23:59:59.999Z");
    }

    #[test]
    fn hostile_text_cannot_drive_the_terminal() {
        let line = format_activity(&event("\u{1b}[2Jboom\nfake line", "ok"));
        assert!(!line.chars().any(char::is_control), "{line:?}");
        assert!(line.contains("\\u{1b}[2Jboom\\nfake line"), "{line}");
    }

    #[test]
    fn filters() {
        let none = ActivityFilter::default();
        let connected = message(ActivityKind::Connected);
        let refused = ActivityMessage {
            message: Some("unauthorized".into()),
            ..message(ActivityKind::Refused)
        };
        let ok = event("send", "ok");
        let bad = event("send", "validation_failed");
        let other = ActivityMessage {
            namespace: "/chat".into(),
            principal: Some("bob".into()),
            ..event("join", "ok")
        };
        assert!(
            [&connected, &refused, &ok, &bad, &other]
                .iter()
                .all(|m| none.matches(m))
        );

        let all = [&connected, &refused, &ok, &bad, &other];
        for (filter, expected) in [
            (
                ActivityFilter {
                    events: vec!["send".into()],
                    ..ActivityFilter::default()
                },
                [false, false, true, true, false],
            ),
            (
                ActivityFilter {
                    outcomes: vec!["error".into()],
                    ..ActivityFilter::default()
                },
                [false, true, false, true, false],
            ),
            (
                ActivityFilter {
                    outcomes: vec!["validation_failed".into(), "ok".into()],
                    ..ActivityFilter::default()
                },
                [false, false, true, true, true],
            ),
            (
                ActivityFilter {
                    namespaces: vec!["/rooms/*".into()],
                    ..ActivityFilter::default()
                },
                [true, true, true, true, false],
            ),
            (
                ActivityFilter {
                    namespaces: vec!["/rooms".into()],
                    ..ActivityFilter::default()
                },
                [false; 5],
            ),
            // Lists combine with "and".
            (
                ActivityFilter {
                    events: vec!["send".into(), "join".into()],
                    principals: vec!["bob".into()],
                    sockets: vec!["sock1".into()],
                    ..ActivityFilter::default()
                },
                [false, false, false, false, true],
            ),
        ] {
            assert_eq!(all.map(|m| filter.matches(m)), expected, "{filter:?}");
        }
    }
}
