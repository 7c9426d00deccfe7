//! `logs stats`: per event, how many, the errors by code, and latency percentiles.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::record::{Kind, Outcome, Record};

/// The figures of one event of one namespace.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EventFigures {
    /// The namespace.
    pub namespace: String,
    /// The event.
    pub event: String,
    /// Records.
    pub count: u64,
    /// Records with outcome `error`.
    pub errors: u64,
    /// Those errors by code.
    pub errors_by_code: BTreeMap<String, u64>,
    /// Latency percentiles, in microseconds (nearest rank; `None` without latencies).
    pub p50_us: Option<u64>,
    /// 95th percentile.
    pub p95_us: Option<u64>,
    /// 99th percentile.
    pub p99_us: Option<u64>,
}

/// Adds records up.
#[derive(Debug, Default)]
pub struct Stats {
    events: BTreeMap<(String, String), (EventFigures, Vec<u64>)>,
}

impl Stats {
    /// Counts one record (only kind `event` counts).
    pub fn add(&mut self, record: &Record<'_>) {
        if record.kind != Kind::Event {
            return;
        }
        let namespace = record.namespace.as_deref().unwrap_or("");
        let event = record.event.as_deref().unwrap_or("");
        // Looked up by reference first: most records are of an event already seen.
        let key = (namespace.to_owned(), event.to_owned());
        let (figures, latencies) = self.events.entry(key).or_insert_with(|| {
            (
                EventFigures {
                    namespace: namespace.to_owned(),
                    event: event.to_owned(),
                    ..EventFigures::default()
                },
                Vec::new(),
            )
        });
        figures.count += 1;
        if record.outcome == Some(Outcome::Error) {
            figures.errors += 1;
            let code = record.code.as_deref().unwrap_or("unknown");
            *figures.errors_by_code.entry(code.to_owned()).or_default() += 1;
        }
        if let Some(latency) = record.latency_us {
            latencies.push(latency);
        }
    }

    /// The figures, by namespace then event.
    pub fn figures(self) -> Vec<EventFigures> {
        self.events
            .into_values()
            .map(|(mut figures, mut latencies)| {
                latencies.sort_unstable();
                figures.p50_us = percentile(&latencies, 50);
                figures.p95_us = percentile(&latencies, 95);
                figures.p99_us = percentile(&latencies, 99);
                figures
            })
            .collect()
    }
}

/// The nearest-rank percentile of sorted values: the smallest value with at least `p` % of them at or below.
fn percentile(sorted: &[u64], p: u64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let n = sorted.len() as u64;
    let rank = (p * n).div_ceil(100).max(1);
    sorted.get(usize::try_from(rank - 1).ok()?).copied()
}

/// The figures as a table.
pub fn table(figures: &[EventFigures]) -> String {
    let ms = |us: Option<u64>| us.map_or("-".to_owned(), |us| format!("{:.3}", us as f64 / 1000.0));
    let rows: Vec<[String; 8]> = figures
        .iter()
        .map(|f| {
            let codes: Vec<String> = f
                .errors_by_code
                .iter()
                .map(|(c, n)| format!("{c}={n}"))
                .collect();
            [
                f.namespace.clone(),
                f.event.clone(),
                f.count.to_string(),
                f.errors.to_string(),
                if codes.is_empty() {
                    "-".to_owned()
                } else {
                    codes.join(",")
                },
                ms(f.p50_us),
                ms(f.p95_us),
                ms(f.p99_us),
            ]
        })
        .collect();
    let head = [
        "namespace",
        "event",
        "count",
        "errors",
        "by code",
        "p50 ms",
        "p95 ms",
        "p99 ms",
    ];
    let mut widths = head.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &[&str]| {
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            // Text left, numbers right.
            if (2..=3).contains(&i) || i >= 5 {
                let _ = write!(out, "{cell:>w$}  ");
            } else {
                let _ = write!(out, "{cell:<w$}  ");
            }
        }
        out.truncate(out.trim_end().len());
        out.push('\n');
    };
    line(&head);
    for row in &rows {
        line(&row.iter().map(String::as_str).collect::<Vec<_>>());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let values: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&values, 50), Some(50));
        assert_eq!(percentile(&values, 95), Some(95));
        assert_eq!(percentile(&values, 99), Some(99));
        assert_eq!(percentile(&[7], 99), Some(7));
        assert_eq!(percentile(&[1, 2, 3], 50), Some(2));
        assert_eq!(percentile(&[], 50), None);
    }
}
