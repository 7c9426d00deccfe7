//! One log record: what the server writes (a JSON object per line, or a text line on a terminal) and what
//! `logs` reads back.
//!
//! A line looks like
//! `{"ts":"2026-12-07T18:58:58.123Z","level":"warn","kind":"event","namespace":"/chat","event":"send",
//! "socket":"aBc","principal":"token-1","outcome":"error","code":"validation_failed","latency_us":41,
//! "size":12,"message":"…","violations":[{"path":"/text","message":"…"}]}`: the keys always in this order,
//! without spaces, so that a reader can look for `"event":"send"` in the bytes before parsing a line.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::redact;
use crate::server::observe::{Activity, EventRecord, Outcome as EventOutcome};

/// How severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Very fine detail.
    Trace,
    /// Detail.
    Debug,
    /// Normal operation.
    Info,
    /// The client did something wrong, or something may need a look.
    Warn,
    /// The server failed.
    Error,
}

impl Level {
    /// `trace` … `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Trace => "trace",
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }

    pub(crate) fn from_tracing(level: tracing::Level) -> Self {
        match level {
            tracing::Level::TRACE => Level::Trace,
            tracing::Level::DEBUG => Level::Debug,
            tracing::Level::INFO => Level::Info,
            tracing::Level::WARN => Level::Warn,
            tracing::Level::ERROR => Level::Error,
        }
    }
}

/// What a record is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A client joined a namespace.
    Connected,
    /// A client was refused at connect (`message`: the reason it was sent).
    Refused,
    /// A client left (`message`: why).
    Disconnected,
    /// An inbound event was answered.
    Event,
    /// Any other line of the server (`target`, `message`, `fields`): started, stopping, records dropped, …
    Log,
}

/// How an event ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Handled.
    Ok,
    /// Refused or failed (`code` says how).
    Error,
}

/// A validation failure: where in the payload, and what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViolationRecord<'a> {
    /// The JSON pointer into the payload as sent.
    #[serde(borrow)]
    pub path: Cow<'a, str>,
    /// What is wrong (`(redacted)` at a secret-looking field).
    #[serde(borrow)]
    pub message: Cow<'a, str>,
}

/// One record. Strings borrow from the line when read back and are owned when written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record<'a> {
    /// When, RFC 3339 in UTC with milliseconds (`2026-12-07T18:58:58.123Z`).
    #[serde(borrow)]
    pub ts: Cow<'a, str>,
    /// How severe.
    pub level: Level,
    /// What about.
    pub kind: Kind,
    /// The namespace's concrete path.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<Cow<'a, str>>,
    /// The event (kind `event`).
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub event: Option<Cow<'a, str>>,
    /// The socket id.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub socket: Option<Cow<'a, str>>,
    /// The authenticated principal's subject (never a credential).
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<Cow<'a, str>>,
    /// How the event ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// The error code (`validation_failed`, …) when the outcome is `error`.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub code: Option<Cow<'a, str>>,
    /// From receipt to answer, in microseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_us: Option<u64>,
    /// The message's size in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// The error message, refusal or disconnect reason, or the log line's message.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub message: Option<Cow<'a, str>>,
    /// The validation failures.
    #[serde(borrow, default, skip_serializing_if = "Vec::is_empty")]
    pub violations: Vec<ViolationRecord<'a>>,
    /// The cause of an `internal` error (never sent to the client).
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<Cow<'a, str>>,
    /// The module that wrote a `log` record.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Cow<'a, str>>,
    /// The other fields of a `log` record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<serde_json::Map<String, serde_json::Value>>,
}

impl<'a> Record<'a> {
    /// An empty record of `kind` at `level` (no time yet: the writer stamps it).
    pub fn new(level: Level, kind: Kind) -> Self {
        Record {
            ts: Cow::Borrowed(""),
            level,
            kind,
            namespace: None,
            event: None,
            socket: None,
            principal: None,
            outcome: None,
            code: None,
            latency_us: None,
            size: None,
            message: None,
            violations: Vec::new(),
            cause: None,
            target: None,
            fields: None,
        }
    }

    /// Parses one line (without its newline); `None` for a line that is not a record.
    pub fn parse(line: &'a [u8]) -> Option<Record<'a>> {
        serde_json::from_slice(line).ok()
    }

    /// The time, if `ts` is a valid RFC 3339 time.
    pub fn time(&self) -> Option<SystemTime> {
        humantime::parse_rfc3339_weak(&self.ts).ok()
    }

    /// Appends the JSON line (with its newline).
    pub fn write_json(&self, out: &mut Vec<u8>) {
        // Serializing plain strings, numbers and maps into a Vec cannot fail.
        if serde_json::to_writer(&mut *out, self).is_ok() {
            out.push(b'\n');
        }
    }

    /// Appends the human-readable line (with its newline); `ansi` colours the level.
    pub fn write_text(&self, out: &mut String, ansi: bool) {
        let level = self.level.as_str().to_ascii_uppercase();
        let colour = match self.level {
            Level::Error => "\x1b[31m",
            Level::Warn => "\x1b[33m",
            Level::Info => "\x1b[32m",
            Level::Debug | Level::Trace => "\x1b[34m",
        };
        if ansi {
            let _ = write!(out, "{} {colour}{level:>5}\x1b[0m ", self.ts);
        } else {
            let _ = write!(out, "{} {level:>5} ", self.ts);
        }
        match self.kind {
            Kind::Log => {
                if let Some(target) = &self.target {
                    let _ = write!(out, "{target}:");
                }
                if let Some(message) = &self.message {
                    let _ = write!(out, " {message}");
                }
            }
            kind => {
                let name = match kind {
                    Kind::Connected => "connected",
                    Kind::Refused => "refused",
                    Kind::Disconnected => "disconnected",
                    _ => "event",
                };
                out.push_str(name);
            }
        }
        let mut pair = |key: &str, value: &dyn std::fmt::Display| {
            let _ = write!(out, " {key}={value}");
        };
        if let Some(v) = &self.namespace {
            pair("namespace", v);
        }
        if let Some(v) = &self.event {
            pair("event", v);
        }
        if let Some(v) = &self.socket {
            pair("socket", v);
        }
        if let Some(v) = &self.principal {
            pair("principal", v);
        }
        if let Some(v) = self.outcome {
            pair("outcome", &if v == Outcome::Ok { "ok" } else { "error" });
        }
        if let Some(v) = &self.code {
            pair("code", v);
        }
        if let Some(v) = self.latency_us {
            pair("latency_us", &v);
        }
        if let Some(v) = self.size {
            pair("size", &v);
        }
        if let Some(v) = &self.cause {
            pair("cause", &format_args!("{v:?}"));
        }
        for v in &self.violations {
            pair(
                "violation",
                &format_args!("{:?}", format!("{}: {}", v.path, v.message)),
            );
        }
        for (key, value) in self.fields.iter().flatten() {
            pair(key, value);
        }
        if let Some(message) = &self.message
            && self.kind != Kind::Log
        {
            let _ = write!(out, " message={message:?}");
        }
        out.push('\n');
    }

    /// The record of one activity, or `None` for one not logged (a repeated `rate_limited` refusal: a flood
    /// must not become a flood of records).
    pub fn from_activity(activity: &Activity<'_>) -> Option<Record<'static>> {
        // What connects, refusals and disconnects share.
        let about = |namespace: &str, socket: socketioxide::socket::Sid, level, kind| Record {
            namespace: Some(Cow::Owned(namespace.to_owned())),
            socket: Some(Cow::Owned(socket.to_string())),
            ..Record::new(level, kind)
        };
        Some(match *activity {
            Activity::Connected {
                namespace,
                socket,
                principal,
                ..
            } => Record {
                principal: principal.map(|p| Cow::Owned(p.to_owned())),
                ..about(namespace, socket, Level::Info, Kind::Connected)
            },
            Activity::Refused {
                namespace,
                socket,
                reason,
                ..
            } => Record {
                message: Some(Cow::Owned(reason.to_owned())),
                ..about(namespace, socket, Level::Warn, Kind::Refused)
            },
            Activity::Disconnected {
                namespace,
                socket,
                reason,
                ..
            } => Record {
                message: Some(Cow::Owned(reason.to_string())),
                ..about(namespace, socket, Level::Info, Kind::Disconnected)
            },
            Activity::Event(record) => return event_record(record),
            // An emit that failed is a detail (the monitor and the metrics count every emit); one per emit
            // would double a chat's log.
            Activity::Emitted {
                namespace,
                event,
                socket,
                outcome: Err(error),
                ..
            } => Record {
                namespace: Some(Cow::Owned(namespace.to_owned())),
                event: Some(Cow::Owned(event.to_owned())),
                socket: socket.map(|socket| Cow::Owned(socket.to_string())),
                message: Some(Cow::Owned(format!("emit failed: {error}"))),
                ..Record::new(Level::Debug, Kind::Log)
            },
            Activity::Emitted { .. } => return None,
        })
    }
}

fn event_record(event: &EventRecord<'_>) -> Option<Record<'static>> {
    let owned = |s: &str| Some(Cow::Owned(s.to_owned()));
    // A static namespace's path is its pattern, a `&'static str`: no copy.
    let namespace = if event.namespace == event.pattern {
        Some(Cow::Borrowed(event.pattern))
    } else {
        owned(event.namespace)
    };
    let mut record = Record {
        namespace,
        event: owned(event.event),
        socket: Some(Cow::Owned(event.socket.to_string())),
        principal: event.principal.and_then(owned),
        latency_us: Some(u64::try_from(event.latency.as_micros()).unwrap_or(u64::MAX)),
        size: Some(event.size as u64),
        outcome: Some(Outcome::Ok),
        ..Record::new(Level::Info, Kind::Event)
    };
    let EventOutcome::Error(error) = event.outcome else {
        return Some(record);
    };
    let code = error.code();
    if code == crate::server::ErrorCode::RateLimited && event.rate_limited_before {
        return None;
    }
    record.level = if code.is_client_error() {
        Level::Warn
    } else {
        Level::Error
    };
    record.outcome = Some(Outcome::Error);
    record.code = Some(Cow::Borrowed(code.as_str()));
    let mut redacted = false;
    record.violations = error
        .details()
        .iter()
        .map(|v| {
            // A value can show in a violation's message (`found 1234`): not at a secret-looking field.
            let secret = redact::is_secret_path(&v.path);
            redacted |= secret;
            ViolationRecord {
                path: Cow::Owned(v.path.clone()),
                message: if secret {
                    Cow::Borrowed(redact::REDACTED)
                } else {
                    Cow::Owned(v.message.clone())
                },
            }
        })
        .collect();
    record.message = Some(if redacted {
        // The message repeats the first violation's text.
        Cow::Owned(format!(
            "the payload is invalid ({} violations; secret-looking fields {})",
            record.violations.len(),
            redact::REDACTED
        ))
    } else {
        Cow::Owned(error.message().to_owned())
    });
    record.cause = error.cause().map(|c| Cow::Owned(c.to_string()));
    Some(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_round_trips_and_keeps_its_key_order() {
        let mut record = Record {
            ts: Cow::Borrowed("2026-12-07T18:58:58.123Z"),
            namespace: Some(Cow::Borrowed("/chat")),
            event: Some(Cow::Borrowed("se\"nd")),
            outcome: Some(Outcome::Error),
            code: Some(Cow::Borrowed("validation_failed")),
            latency_us: Some(41),
            violations: vec![ViolationRecord {
                path: Cow::Borrowed("/text"),
                message: Cow::Borrowed("must be a string"),
            }],
            ..Record::new(Level::Warn, Kind::Event)
        };
        let mut line = Vec::new();
        record.write_json(&mut line);
        let text = std::str::from_utf8(&line).unwrap();
        assert!(
            text.starts_with(
                r#"{"ts":"2026-12-07T18:58:58.123Z","level":"warn","kind":"event","namespace":"/chat","event":"se\"nd","#
            ),
            "{text}"
        );
        let back = Record::parse(&line[..line.len() - 1]).unwrap();
        assert_eq!(back, record);
        assert!(back.time().is_some());
        record.ts = Cow::Borrowed("yesterday");
        assert!(record.time().is_none());
        assert!(Record::parse(b"{\"ts\":\"x\",\"level\":\"loud\",\"kind\":\"log\"}").is_none());
        assert!(Record::parse(b"{\"ts\":\"2026-12-07T").is_none());
    }

    #[test]
    fn text_lines() {
        let record = Record {
            ts: Cow::Borrowed("2026-12-07T18:58:58.123Z"),
            namespace: Some(Cow::Borrowed("/chat")),
            event: Some(Cow::Borrowed("send")),
            outcome: Some(Outcome::Ok),
            latency_us: Some(41),
            ..Record::new(Level::Info, Kind::Event)
        };
        let mut text = String::new();
        record.write_text(&mut text, false);
        assert_eq!(
            text,
            "2026-12-07T18:58:58.123Z  INFO event namespace=/chat event=send outcome=ok latency_us=41\n"
        );
        let mut fields = serde_json::Map::new();
        fields.insert("port".into(), 3000.into());
        let log = Record {
            ts: Cow::Borrowed("2026-12-07T18:58:58.123Z"),
            target: Some(Cow::Borrowed("fastsocket")),
            message: Some(Cow::Borrowed("listening")),
            fields: Some(fields),
            ..Record::new(Level::Info, Kind::Log)
        };
        text.clear();
        log.write_text(&mut text, false);
        assert_eq!(
            text,
            "2026-12-07T18:58:58.123Z  INFO fastsocket: listening port=3000\n"
        );
    }

    #[test]
    fn secrets_in_validation_messages_are_redacted() {
        use crate::Violation;
        use crate::server::HandlerError;
        use crate::server::observe::EventRecord;
        let error = HandlerError::invalid(vec![
            Violation::new(
                "/password",
                "must be at least 8 characters long, found 4: 1234",
            ),
            Violation::new("/name", "must be a string, found number"),
        ]);
        let event = EventRecord {
            namespace: "/login",
            pattern: "/login",
            event: "login",
            declared: true,
            socket: socketioxide::socket::Sid::new(),
            principal: None,
            size: 30,
            latency: std::time::Duration::from_micros(9),
            outcome: EventOutcome::Error(&error),
            rate_limited_before: false,
        };
        let record = Record::from_activity(&Activity::Event(&event)).unwrap();
        let mut line = Vec::new();
        record.write_json(&mut line);
        let line = String::from_utf8(line).unwrap();
        assert!(!line.contains("1234"), "{line}");
        assert_eq!(record.violations[0].path, "/password");
        assert_eq!(record.violations[0].message, redact::REDACTED);
        assert_eq!(
            record.violations[1].message,
            "must be a string, found number"
        );
        assert_eq!(record.code.as_deref(), Some("validation_failed"));
        assert_eq!(record.level, Level::Warn);
    }
}
