//! `deploy/grafana/dashboard.json`: a Grafana dashboard of the server's `GET /metrics`, regenerated with the code
//! (the document's namespaces and events are its rows and panels). An overview row (sockets, event and error
//! rates, TCP connections against their limit), one row per namespace (its sockets, then per inbound event its
//! rate by outcome, its errors by code and its p50/p99 latency, and its outbound events' rate), then the process.

use serde_json::{Value, json};

use fastsocket_ir::output::{OutputFile, Owner};
use fastsocket_ir::socketio::Namespace;

/// The dashboard's path in the crate.
pub const DASHBOARD: &str = "deploy/grafana/dashboard.json";

/// The label filter every query starts with: the dashboard's `job` and `instance` variables.
const SCOPE: &str = r#"job=~"$job", instance=~"$instance""#;

/// Panels are this tall, on Grafana's 24-column grid.
const HEIGHT: u64 = 8;

/// The dashboard of `namespaces` for the crate `crate_name` (also the default scrape job).
pub fn dashboard(crate_name: &str, title: &str, namespaces: &[Namespace]) -> OutputFile {
    let mut grid = Grid::default();
    grid.row("Overview");
    grid.panel(
        "Connected sockets",
        "short",
        &[(
            format!("sum by (namespace) (fastsocket_sockets{{{SCOPE}}})"),
            "{{namespace}}",
        )],
    );
    grid.panel(
        "Inbound events / s",
        "reqps",
        &[(
            format!(
                "sum by (namespace) (rate(fastsocket_events_received_total{{{SCOPE}}}[$__rate_interval]))"
            ),
            "{{namespace}}",
        )],
    );
    grid.panel(
        "Errors / s by code",
        "reqps",
        &[(
            format!(
                "sum by (outcome) (rate(fastsocket_events_received_total{{{SCOPE}, outcome!=\"ok\"}}[$__rate_interval]))"
            ),
            "{{outcome}}",
        )],
    );
    grid.panel(
        "TCP connections",
        "short",
        &[
            (
                format!("sum(fastsocket_tcp_connections{{{SCOPE}}})"),
                "open",
            ),
            (
                format!("sum(fastsocket_tcp_connections_limit{{{SCOPE}}})"),
                "limit",
            ),
        ],
    );
    grid.panel(
        "Refused / s",
        "reqps",
        &[
            (
                format!(
                    "sum by (reason) (rate(fastsocket_connects_refused_total{{{SCOPE}}}[$__rate_interval]))"
                ),
                "connect: {{reason}}",
            ),
            (
                format!(
                    "sum by (reason) (rate(fastsocket_tcp_connections_refused_total{{{SCOPE}}}[$__rate_interval]))"
                ),
                "tcp: {{reason}}",
            ),
        ],
    );
    grid.panel(
        "Dropped log and monitor records / s",
        "short",
        &[(
            format!(
                "sum by (sink) (rate(fastsocket_dropped_records_total{{{SCOPE}}}[$__rate_interval]))"
            ),
            "{{sink}}",
        )],
    );
    for namespace in namespaces {
        let ns = promql_string(&namespace.path);
        grid.row(&format!("Namespace {}", namespace.path));
        grid.panel(
            &format!("{} sockets", namespace.path),
            "short",
            &[(
                format!("sum(fastsocket_sockets{{{SCOPE}, namespace={ns}}})"),
                "sockets",
            )],
        );
        if !namespace.outbound.is_empty() {
            grid.panel(
                &format!("{} emitted / s", namespace.path),
                "reqps",
                &[(
                    format!(
                        "sum by (event) (rate(fastsocket_events_sent_total{{{SCOPE}, namespace={ns}}}[$__rate_interval]))"
                    ),
                    "{{event}}",
                )],
            );
        }
        for event in &namespace.inbound {
            // An event's three panels on a line of their own.
            grid.new_line();
            let selector = format!(
                "{SCOPE}, namespace={ns}, event={}",
                promql_string(&event.name)
            );
            grid.panel(
                &format!("{} rate", event.name),
                "reqps",
                &[(
                    format!(
                        "sum by (outcome) (rate(fastsocket_events_received_total{{{selector}}}[$__rate_interval]))"
                    ),
                    "{{outcome}}",
                )],
            );
            grid.panel(
                &format!("{} errors", event.name),
                "reqps",
                &[(
                    format!(
                        "sum by (outcome) (rate(fastsocket_events_received_total{{{selector}, outcome!=\"ok\"}}[$__rate_interval]))"
                    ),
                    "{{outcome}}",
                )],
            );
            let quantile = |q: &str| {
                format!(
                    "histogram_quantile({q}, sum by (le) (rate(fastsocket_event_duration_seconds_bucket{{{selector}}}[$__rate_interval])))"
                )
            };
            grid.panel(
                &format!("{} latency", event.name),
                "s",
                &[(quantile("0.5"), "p50"), (quantile("0.99"), "p99")],
            );
        }
    }
    grid.row("Process");
    grid.panel(
        "Resident memory",
        "bytes",
        &[(
            format!("process_resident_memory_bytes{{{SCOPE}}}"),
            "{{instance}}",
        )],
    );
    grid.panel(
        "CPU",
        "percentunit",
        &[(
            format!("rate(process_cpu_seconds_total{{{SCOPE}}}[$__rate_interval])"),
            "{{instance}}",
        )],
    );
    grid.panel(
        "Open file descriptors",
        "short",
        &[
            (format!("process_open_fds{{{SCOPE}}}"), "open {{instance}}"),
            (format!("process_max_fds{{{SCOPE}}}"), "max {{instance}}"),
        ],
    );
    grid.panel(
        "Uptime",
        "s",
        &[(
            format!("time() - process_start_time_seconds{{{SCOPE}}}"),
            "{{instance}}",
        )],
    );
    let dashboard = json!({
        "title": format!("{} (fastsocket)", title.replace(['\n', '\r'], " ")),
        "uid": uid(crate_name),
        "description": "Generated by fastsocket-gen from the AsyncAPI document: regenerated with the code.",
        "tags": ["fastsocket", crate_name],
        "editable": true,
        "schemaVersion": 39,
        "time": {"from": "now-1h", "to": "now"},
        "refresh": "30s",
        "templating": {"list": [
            {
                "name": "datasource",
                "label": "Prometheus",
                "type": "datasource",
                "query": "prometheus",
            },
            {
                "name": "job",
                "type": "query",
                "datasource": {"type": "prometheus", "uid": "${datasource}"},
                "query": "label_values(fastsocket_sockets, job)",
                "current": {"text": crate_name, "value": crate_name},
                "refresh": 1,
            },
            {
                "name": "instance",
                "type": "query",
                "datasource": {"type": "prometheus", "uid": "${datasource}"},
                "query": "label_values(fastsocket_sockets{job=~\"$job\"}, instance)",
                "includeAll": true,
                "multi": true,
                "current": {"text": "All", "value": "$__all"},
                "refresh": 1,
            },
        ]},
        "panels": grid.panels,
    });
    let contents = serde_json::to_string_pretty(&dashboard).unwrap_or_default() + "\n";
    OutputFile {
        path: DASHBOARD.to_string(),
        contents,
        owner: Owner::Generator,
    }
}

/// A Grafana uid (at most 40 characters of `[A-Za-z0-9_-]`) from the crate name.
fn uid(crate_name: &str) -> String {
    crate_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(40)
        .collect()
}

/// A PromQL string literal: `"…"` with `\`, `"` and line breaks escaped (names come from the document).
fn promql_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The panels so far, laid out left to right, three to a line, a row header before each group.
#[derive(Default)]
struct Grid {
    panels: Vec<Value>,
    x: u64,
    y: u64,
}

impl Grid {
    fn next_id(&self) -> usize {
        self.panels.len() + 1
    }

    /// Moves to the start of the next line unless at one already.
    fn new_line(&mut self) {
        if self.x > 0 {
            self.x = 0;
            self.y += HEIGHT;
        }
    }

    fn row(&mut self, title: &str) {
        self.new_line();
        let id = self.next_id();
        self.panels.push(json!({
            "id": id,
            "type": "row",
            "title": title,
            "collapsed": false,
            "gridPos": {"h": 1, "w": 24, "x": 0, "y": self.y},
            "panels": [],
        }));
        self.y += 1;
    }

    fn panel(&mut self, title: &str, unit: &str, queries: &[(String, &str)]) {
        const WIDTH: u64 = 8;
        if self.x + WIDTH > 24 {
            self.x = 0;
            self.y += HEIGHT;
        }
        let id = self.next_id();
        let targets: Vec<Value> = queries
            .iter()
            .zip('A'..='Z')
            .map(|((expr, legend), ref_id)| {
                json!({
                    "refId": ref_id.to_string(),
                    "datasource": {"type": "prometheus", "uid": "${datasource}"},
                    "expr": expr,
                    "legendFormat": legend,
                })
            })
            .collect();
        self.panels.push(json!({
            "id": id,
            "type": "timeseries",
            "title": title,
            "datasource": {"type": "prometheus", "uid": "${datasource}"},
            "gridPos": {"h": HEIGHT, "w": WIDTH, "x": self.x, "y": self.y},
            "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
            "options": {"legend": {"displayMode": "list", "placement": "bottom"}},
            "targets": targets,
        }));
        self.x += WIDTH;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn promql_strings_are_escaped() {
        assert_eq!(promql_string("/rooms/{id}"), r#""/rooms/{id}""#);
        assert_eq!(promql_string("a\"b\\c\nd"), r#""a\"b\\c\nd""#);
    }

    #[test]
    fn uids_are_grafana_safe() {
        assert_eq!(uid("fastsocket-chat"), "fastsocket-chat");
        assert_eq!(uid(&"x.y".repeat(30)).len(), 40);
        assert_eq!(uid("a.b"), "a_b");
    }

    #[test]
    fn panels_do_not_overlap() {
        let mut grid = Grid::default();
        grid.row("a");
        for _ in 0..4 {
            grid.panel("p", "short", &[("up".to_owned(), "x")]);
        }
        grid.row("b");
        grid.panel("q", "short", &[("up".to_owned(), "x")]);
        let boxes: Vec<(u64, u64, u64, u64)> = grid
            .panels
            .iter()
            .map(|p| {
                let g = &p["gridPos"];
                let n = |k: &str| g[k].as_u64().unwrap();
                (n("x"), n("y"), n("w"), n("h"))
            })
            .collect();
        for (i, a) in boxes.iter().enumerate() {
            for b in &boxes[i + 1..] {
                let apart =
                    a.0 + a.2 <= b.0 || b.0 + b.2 <= a.0 || a.1 + a.3 <= b.1 || b.1 + b.3 <= a.1;
                assert!(apart, "{a:?} overlaps {b:?}");
            }
        }
    }
}
