//! Which records a `logs` command wants, and the byte strings every line of such a record must contain (so a
//! scan parses only the lines that could match).

use std::time::SystemTime;

use super::record::{Level, Outcome, Record};

/// A record filter: every condition set must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// This level or more severe.
    pub level: Option<Level>,
    /// This event.
    pub event: Option<String>,
    /// This concrete namespace (`/rooms/42`).
    pub namespace: Option<String>,
    /// This socket id.
    pub socket: Option<String>,
    /// This principal's subject.
    pub principal: Option<String>,
    /// `ok`, `error`, or an error code (`validation_failed`).
    pub outcome: Option<String>,
    /// At or after.
    pub since: Option<SystemTime>,
    /// Before.
    pub until: Option<SystemTime>,
    /// The line contains this text (as written: in JSON, `"` is `\"`).
    pub grep: Option<String>,
}

impl Filter {
    /// Byte strings a matching line contains, as the server writes lines (compact JSON, keys in a fixed order).
    pub fn needles(&self) -> Vec<Vec<u8>> {
        let mut needles = Vec::new();
        let mut field = |key: &str, value: &Option<String>| {
            if let Some(value) = value {
                let mut needle = format!("\"{key}\":").into_bytes();
                // Exactly as the writer escapes it.
                needle.extend(serde_json::to_vec(value).unwrap_or_default());
                needles.push(needle);
            }
        };
        field("event", &self.event);
        field("namespace", &self.namespace);
        field("socket", &self.socket);
        field("principal", &self.principal);
        match self.outcome.as_deref() {
            Some("ok") => needles.push(b"\"outcome\":\"ok\"".to_vec()),
            Some("error") => needles.push(b"\"outcome\":\"error\"".to_vec()),
            Some(_) => field("code", &self.outcome),
            None => {}
        }
        if let Some(grep) = &self.grep
            && !grep.is_empty()
        {
            needles.push(grep.as_bytes().to_vec());
        }
        needles
    }

    /// Whether a parsed record matches (`line`: its text, for `grep`).
    pub fn matches(&self, record: &Record<'_>, line: &[u8]) -> bool {
        let same = |want: &Option<String>, have: &Option<std::borrow::Cow<'_, str>>| match want {
            None => true,
            Some(want) => have.as_deref() == Some(want.as_str()),
        };
        if self.level.is_some_and(|min| record.level < min)
            || !same(&self.event, &record.event)
            || !same(&self.namespace, &record.namespace)
            || !same(&self.socket, &record.socket)
            || !same(&self.principal, &record.principal)
        {
            return false;
        }
        let outcome_ok = match self.outcome.as_deref() {
            None => true,
            Some("ok") => record.outcome == Some(Outcome::Ok),
            Some("error") => record.outcome == Some(Outcome::Error),
            Some(code) => record.code.as_deref() == Some(code),
        };
        if !outcome_ok {
            return false;
        }
        if self.since.is_some() || self.until.is_some() {
            let Some(at) = record.time() else {
                return false;
            };
            if self.since.is_some_and(|since| at < since)
                || self.until.is_some_and(|until| at >= until)
            {
                return false;
            }
        }
        match &self.grep {
            Some(grep) if !grep.is_empty() => memchr::memmem::find(line, grep.as_bytes()).is_some(),
            _ => true,
        }
    }
}

/// A point in time from the command line: RFC 3339 (`2026-12-07T18:00:00Z`, `2026-12-07 18:00:00`) or a
/// duration before `now` (`15m`, `2h`, `3days`).
pub fn parse_time(text: &str, now: SystemTime) -> Result<SystemTime, String> {
    let text = text.trim();
    if let Ok(at) = humantime::parse_rfc3339_weak(text) {
        return Ok(at);
    }
    if let Ok(ago) = humantime::parse_duration(text) {
        return Ok(now.checked_sub(ago).unwrap_or(SystemTime::UNIX_EPOCH));
    }
    Err(format!(
        "`{text}` is neither a time (2026-12-07T18:00:00Z) nor a duration ago (15m, 2h, 3days)"
    ))
}

/// A level from the command line.
pub fn parse_level(text: &str) -> Result<Level, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "trace" => Ok(Level::Trace),
        "debug" => Ok(Level::Debug),
        "info" => Ok(Level::Info),
        "warn" | "warning" => Ok(Level::Warn),
        "error" => Ok(Level::Error),
        _ => Err(format!(
            "`{text}` is not a level (trace, debug, info, warn, error)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn times_absolute_and_relative() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(10_000);
        assert_eq!(
            parse_time("15m", now).unwrap(),
            SystemTime::UNIX_EPOCH + Duration::from_secs(10_000 - 900)
        );
        assert_eq!(
            parse_time("1970-01-01T00:00:10Z", now).unwrap(),
            SystemTime::UNIX_EPOCH + Duration::from_secs(10)
        );
        assert!(parse_time("yesterday-ish", now).is_err());
        assert_eq!(parse_level("WARN").unwrap(), Level::Warn);
        assert!(parse_level("loud").is_err());
    }

    #[test]
    fn needles_are_what_the_writer_writes() {
        let filter = Filter {
            event: Some("se\"nd".into()),
            outcome: Some("validation_failed".into()),
            grep: Some("abc".into()),
            ..Filter::default()
        };
        let needles: Vec<String> = filter
            .needles()
            .into_iter()
            .map(|n| String::from_utf8(n).unwrap())
            .collect();
        assert_eq!(
            needles,
            [
                r#""event":"se\"nd""#,
                r#""code":"validation_failed""#,
                "abc"
            ]
        );
    }
}
