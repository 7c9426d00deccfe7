//! The `monitor` screen, drawn from a [`MonitorState`] alone (so it is tested on ratatui's `TestBackend`):
//!
//! ```text
//!  fastsocket monitor  http://127.0.0.1:3000/_monitor  ● connected  up 1h02m  rss 12.3 MB
//! ┌p99 latency  now 4.5ms  max 9.1ms──┐┌connections  now 42  max 50────────┐
//! │                 ▂▃▅▇█▅▃▂          ││▁▁▂▂▃▃▄▄▅▅▆▆▇▇██                   │
//! └───────────────────────────────────┘└───────────────────────────────────┘
//! ┌events─────────────────────────────────────────────┐┌sockets───────────────┐
//! │event               dir  rate/s  err%   p50    p99  ││/chat               40│
//! │/chat send          in    120.0  0.8%  1.2ms  4.5ms ││/rooms/{roomId}      2│
//! └────────────────────────────────────────────────────┘└──────────────────────┘
//! ┌recent activity──────────────────────────────────────────────────────────────┐
//! │18:58:58.123 event_in     /chat send socket=… outcome=ok latency=1.2ms size=…│
//! └─────────────────────────────────────────────────────────────────────────────┘
//!  q quit   dropped: monitor 0, logs 0   1532 messages
//! ```

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Sparkline, Table};

use super::state::{LinkStatus, MonitorState};
use super::tail::{activity_fields, format_latency_us, printable, timestamp};
use crate::server::monitor::protocol::{EventDirection, EventStats, StatsSnapshot};

/// Width of the sockets-per-namespace panel (when the screen is wide enough for it beside the events).
const SOCKETS_PANEL_WIDTH: u16 = 24;

/// Draws the whole screen for `state` on `frame`. Any size works (down to nothing drawn on a 0×0 area); 80×24
/// shows every panel.
pub fn render(state: &MonitorState, frame: &mut Frame) {
    let area = frame.area();
    // Below the fixed rows, the events table and the sockets panel take the rows they need (up to three fifths),
    // the activity list the rest.
    let flexible = area.height.saturating_sub(1 + 5 + 1);
    let needed = state.latest().map_or(5, |stats| {
        let rows = |n: usize| u16::try_from(n).unwrap_or(u16::MAX);
        (rows(stats.events.len()) + 3).max(rows(stats.namespaces.len()) + 5)
    });
    let middle_height = needed.min(flexible * 3 / 5).max(4);
    let [header, sparks, middle, activity, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(5),
        Constraint::Length(middle_height),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);

    frame.render_widget(header_line(state), header);
    render_sparklines(state, frame, sparks);
    if middle.width >= SOCKETS_PANEL_WIDTH * 2 {
        let [events, sockets] =
            Layout::horizontal([Constraint::Min(0), Constraint::Length(SOCKETS_PANEL_WIDTH)])
                .areas(middle);
        render_events(state, frame, events);
        render_sockets(state, frame, sockets);
    } else {
        render_events(state, frame, middle);
    }
    render_activity(state, frame, activity);
    frame.render_widget(footer_line(state), footer);
}

fn header_line(state: &MonitorState) -> Paragraph<'_> {
    let (symbol, text, color) = match state.status() {
        LinkStatus::Connecting => ("◌", "connecting…", Color::Yellow),
        LinkStatus::Connected => ("●", "connected", Color::Green),
        LinkStatus::Reconnecting => ("↻", "reconnecting…", Color::Yellow),
    };
    let mut spans = vec![
        Span::styled(" monitor ", Style::new().add_modifier(Modifier::BOLD)),
        Span::raw(printable(state.target()).into_owned()),
        Span::raw("  "),
        Span::styled(format!("{symbol} {text}"), Style::new().fg(color)),
    ];
    if let Some(stats) = state.latest() {
        spans.push(Span::raw(format!(
            " · up {}",
            format_uptime(stats.uptime_s)
        )));
        if let Some(rss) = stats.rss_bytes {
            spans.push(Span::raw(format!(" · rss {}", format_bytes(rss))));
        }
    }
    Paragraph::new(Line::from(spans))
}

fn render_sparklines(state: &MonitorState, frame: &mut Frame, area: Rect) {
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area);
    render_sparkline(
        frame,
        left,
        "p99 latency",
        state.p99_history(),
        format_latency_us,
        Color::Magenta,
    );
    render_sparkline(
        frame,
        right,
        "connections",
        state.connections_history(),
        |n| n.to_string(),
        Color::Cyan,
    );
}

/// One sparkline in a box titled `name  now …  max …` over the values that fit (the newest at the right edge).
fn render_sparkline(
    frame: &mut Frame,
    area: Rect,
    name: &str,
    history: &std::collections::VecDeque<u64>,
    show: impl Fn(u64) -> String,
    color: Color,
) {
    let values = tail(history.iter().copied(), area.width.saturating_sub(2));
    let title = match (values.last(), values.iter().max()) {
        (Some(&now), Some(&max)) => format!("{name}  now {}  max {}", show(now), show(max)),
        _ => name.to_owned(),
    };
    frame.render_widget(
        Sparkline::default()
            .block(Block::bordered().title(title))
            .style(Style::new().fg(color))
            .data(&values),
        area,
    );
}

/// The last `width` values (the newest at the right edge).
fn tail(values: impl ExactSizeIterator<Item = u64>, width: u16) -> Vec<u64> {
    let skip = values.len().saturating_sub(usize::from(width));
    values.skip(skip).collect()
}

fn render_events(state: &MonitorState, frame: &mut Frame, area: Rect) {
    let block = Block::bordered().title("events");
    let Some(stats) = state.latest() else {
        frame.render_widget(
            Paragraph::new("waiting for the first snapshot…").block(block),
            area,
        );
        return;
    };
    // A total column when there is room for it.
    let wide = area.width >= 72;
    let mut header = vec![
        Cell::from("event"),
        Cell::from("dir"),
        right("rate/s"),
        right("err%"),
        right("p50"),
        right("p99"),
    ];
    let mut widths = vec![
        Constraint::Min(8),
        Constraint::Length(3),
        Constraint::Length(7),
        Constraint::Length(5),
        Constraint::Length(7),
        Constraint::Length(7),
    ];
    if wide {
        header.push(right("total"));
        widths.push(Constraint::Length(9));
    }
    let rows = stats.events.iter().map(|event| {
        let mut cells = vec![
            Cell::from(event_label(event)),
            Cell::from(match event.direction {
                EventDirection::In => "in",
                EventDirection::Out => "out",
            }),
            right(format_rate(event.per_second)),
            right(error_rate(event)).style(if event.errors_per_second > 0.0 {
                Style::new().fg(Color::Red)
            } else {
                Style::new()
            }),
            right(format_ms(event.p50_ms)),
            right(format_ms(event.p99_ms)),
        ];
        if wide {
            cells.push(right(event.total.to_string()));
        }
        Row::new(cells)
    });
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(Style::new().add_modifier(Modifier::BOLD)))
        .block(block);
    frame.render_widget(table, area);
}

fn render_sockets(state: &MonitorState, frame: &mut Frame, area: Rect) {
    let block = Block::bordered().title("sockets");
    let Some(stats) = state.latest() else {
        frame.render_widget(block, area);
        return;
    };
    let inner = usize::from(area.width.saturating_sub(2));
    let mut lines: Vec<Line> = stats
        .namespaces
        .iter()
        .map(|ns| {
            Line::from(spread(
                &printable(&ns.namespace),
                &ns.sockets.to_string(),
                inner,
            ))
        })
        .collect();
    lines.push(Line::from(""));
    lines.extend(dropped_lines(stats, inner));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn dropped_lines(stats: &StatsSnapshot, width: usize) -> Vec<Line<'static>> {
    let style = |n: u64| {
        if n > 0 {
            Style::new().fg(Color::Red)
        } else {
            Style::new()
        }
    };
    vec![
        Line::styled(
            spread("dropped monitor", &stats.dropped.monitor.to_string(), width),
            style(stats.dropped.monitor),
        ),
        Line::styled(
            spread("dropped logs", &stats.dropped.logs.to_string(), width),
            style(stats.dropped.logs),
        ),
    ]
}

/// `left` and `right` on one line `width` wide (`left` cut when they do not fit).
fn spread(left: &str, right: &str, width: usize) -> String {
    let room = width.saturating_sub(right.chars().count() + 1);
    let left: String = left.chars().take(room).collect();
    let gap = width.saturating_sub(left.chars().count() + right.chars().count());
    format!("{left}{}{right}", " ".repeat(gap.max(1)))
}

fn render_activity(state: &MonitorState, frame: &mut Frame, area: Rect) {
    let visible = usize::from(area.height.saturating_sub(2));
    let recent = state.recent();
    let lines: Vec<Line> = recent
        .iter()
        .skip(recent.len().saturating_sub(visible))
        .map(|message| {
            let time = timestamp(message.ts_ms);
            // `HH:MM:SS.mmm` of `YYYY-MM-DDTHH:MM:SS.mmmZ`.
            let time = time.get(11..23).unwrap_or(&time).to_owned();
            let failed = message.outcome.as_deref().is_some_and(|o| o != "ok")
                || message.kind == crate::server::monitor::protocol::ActivityKind::Refused;
            Line::from(vec![
                Span::styled(time, Style::new().fg(Color::DarkGray)),
                Span::raw(" "),
                Span::styled(
                    activity_fields(message),
                    if failed {
                        Style::new().fg(Color::Red)
                    } else {
                        Style::new()
                    },
                ),
            ])
        })
        .collect();
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title("recent activity")),
        area,
    );
}

fn footer_line(state: &MonitorState) -> Paragraph<'_> {
    let mut text = format!(" q quit   {} messages", state.activity_count());
    if state.undecodable() > 0 {
        text.push_str(&format!("   {} undecodable (skipped)", state.undecodable()));
    }
    Paragraph::new(text).style(Style::new().fg(Color::DarkGray))
}

/// A number's cell, right-aligned.
fn right<'a>(text: impl Into<std::borrow::Cow<'a, str>>) -> Cell<'a> {
    Cell::from(Line::from(text.into()).right_aligned())
}

/// `send`, or `join /rooms/{roomId}` outside the main namespace: the event first, so a narrow column cuts the
/// namespace rather than the event.
fn event_label(event: &EventStats) -> Line<'static> {
    let name = Span::raw(printable(&event.event).into_owned());
    if event.namespace == "/" {
        Line::from(name)
    } else {
        Line::from(vec![
            name,
            Span::styled(
                format!(" {}", printable(&event.namespace)),
                Style::new().fg(Color::DarkGray),
            ),
        ])
    }
}

/// Errors as a share of the events of the last second: `0.8%`, or `-` for a quiet second.
fn error_rate(event: &EventStats) -> String {
    let measurable = event.per_second.is_finite()
        && event.per_second > 0.0
        && event.errors_per_second.is_finite();
    if !measurable {
        return "-".to_owned();
    }
    let percent = (event.errors_per_second / event.per_second * 100.0).clamp(0.0, 100.0);
    if percent >= 10.0 || percent == 0.0 {
        format!("{percent:.0}%")
    } else {
        format!("{percent:.1}%")
    }
}

fn format_rate(rate: f64) -> String {
    if !rate.is_finite() || rate < 0.0 {
        "-".to_owned()
    } else if rate < 100.0 {
        format!("{rate:.1}")
    } else if rate < 100_000.0 {
        format!("{rate:.0}")
    } else {
        format!("{:.0}k", rate / 1000.0)
    }
}

fn format_ms(ms: Option<f64>) -> String {
    match ms {
        Some(ms) if ms.is_finite() && ms >= 0.0 => format_latency_us((ms * 1000.0).round() as u64),
        _ => "-".to_owned(),
    }
}

fn format_uptime(seconds: f64) -> String {
    let s = if seconds.is_finite() && seconds > 0.0 {
        seconds as u64
    } else {
        0
    };
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        3600..86_400 => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d{:02}h", s / 86_400, s % 86_400 / 3600),
    }
}

fn format_bytes(bytes: u64) -> String {
    const MIB: f64 = 1024.0 * 1024.0;
    if bytes < 1024 * 1024 {
        format!("{:.0} KiB", bytes as f64 / 1024.0)
    } else if bytes < 1024 * 1024 * 1024 {
        format!("{:.1} MiB", bytes as f64 / MIB)
    } else {
        format!("{:.2} GiB", bytes as f64 / (MIB * 1024.0))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::*;
    use crate::server::monitor::cli::client::MonitorEvent;
    use crate::server::monitor::protocol::{
        ActivityKind, ActivityMessage, DroppedCounts, NamespaceStats,
    };

    fn draw(state: &MonitorState, width: u16, height: u16) -> TestBackend {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        terminal.draw(|frame| render(state, frame)).unwrap();
        terminal.backend().clone()
    }

    fn event(
        namespace: &str,
        event: &str,
        direction: EventDirection,
        rate: f64,
        errors: f64,
    ) -> EventStats {
        EventStats {
            namespace: namespace.into(),
            event: event.into(),
            direction,
            per_second: rate,
            errors_per_second: errors,
            total: (rate * 60.0) as u64,
            errors_by_code: BTreeMap::from([(
                "validation_failed".to_owned(),
                (errors * 60.0) as u64,
            )]),
            p50_ms: (direction == EventDirection::In).then_some(rate / 100.0),
            p95_ms: None,
            p99_ms: (direction == EventDirection::In).then_some(rate / 25.0),
        }
    }

    /// A server two minutes into a chat: traffic rising, a few validation failures.
    fn busy_state() -> MonitorState {
        let mut state = MonitorState::new("http://127.0.0.1:3000/_monitor");
        state.apply(MonitorEvent::Connected);
        for second in 0..120u64 {
            let load = (second % 40) as f64;
            state.apply(MonitorEvent::Stats(Box::new(StatsSnapshot {
                ts_ms: 1_765_134_000_000 + second * 1000,
                uptime_s: 3725.0 + second as f64,
                rss_bytes: Some(13_000_000),
                namespaces: vec![
                    NamespaceStats {
                        namespace: "/".into(),
                        sockets: 10 + second / 4,
                    },
                    NamespaceStats {
                        namespace: "/rooms/{roomId}".into(),
                        sockets: second % 7,
                    },
                ],
                events: vec![
                    event(
                        "/",
                        "send",
                        EventDirection::In,
                        10.0 + load * 3.0,
                        load / 10.0,
                    ),
                    event("/", "message", EventDirection::Out, 30.0 + load * 9.0, 0.0),
                    event("/rooms/{roomId}", "join", EventDirection::In, 2.0, 0.0),
                    event("/rooms/{roomId}", "typing", EventDirection::In, 0.0, 0.0),
                ],
                dropped: DroppedCounts {
                    monitor: 3,
                    logs: 0,
                },
            })));
        }
        for i in 0..12u64 {
            state.apply(MonitorEvent::Activity(ActivityMessage {
                ts_ms: 1_765_134_120_000 + i * 37,
                kind: if i % 4 == 3 {
                    ActivityKind::EventOut
                } else {
                    ActivityKind::EventIn
                },
                namespace: "/".into(),
                socket: format!("sock{i}"),
                event: Some(if i % 4 == 3 { "message" } else { "send" }.into()),
                principal: (i % 2 == 0).then(|| "alice".into()),
                outcome: Some(
                    if i % 5 == 4 {
                        "validation_failed"
                    } else {
                        "ok"
                    }
                    .into(),
                ),
                message: None,
                latency_us: (i % 4 != 3).then_some(800 + i * 150),
                size: Some(40 + i),
            }));
        }
        state.apply(MonitorEvent::Activity(ActivityMessage {
            ts_ms: 1_765_134_121_000,
            kind: ActivityKind::Refused,
            namespace: "/rooms/7".into(),
            socket: "sockX".into(),
            event: None,
            principal: None,
            outcome: None,
            message: Some("unauthorized: missing token".into()),
            latency_us: None,
            size: None,
        }));
        state
    }

    #[test]
    fn busy_server_at_80x24() {
        insta::assert_snapshot!(draw(&busy_state(), 80, 24));
    }

    #[test]
    fn busy_server_at_120x40() {
        insta::assert_snapshot!(draw(&busy_state(), 120, 40));
    }

    #[test]
    fn before_the_first_snapshot() {
        insta::assert_snapshot!(draw(
            &MonitorState::new("http://127.0.0.1:3000/_monitor"),
            80,
            24
        ));
    }

    #[test]
    fn reconnecting_keeps_the_last_figures() {
        let mut state = busy_state();
        state.apply(MonitorEvent::Reconnecting);
        let screen = draw(&state, 80, 24).to_string();
        assert!(screen.contains("↻ reconnecting…"), "{screen}");
        assert!(screen.contains("join /rooms/{roomId}"), "{screen}");
    }

    #[test]
    fn any_size_draws_without_panicking() {
        let state = busy_state();
        for (width, height) in [
            (0, 0),
            (1, 1),
            (10, 3),
            (20, 8),
            (40, 12),
            (47, 30),
            (300, 100),
        ] {
            draw(&state, width, height);
        }
    }

    #[test]
    fn figures_for_people() {
        assert_eq!(format_rate(0.0), "0.0");
        assert_eq!(format_rate(1234.4), "1234");
        assert_eq!(format_rate(250_000.0), "250k");
        assert_eq!(format_rate(f64::NAN), "-");
        assert_eq!(format_ms(Some(0.42)), "420µs");
        assert_eq!(format_ms(Some(-1.0)), "-");
        assert_eq!(format_uptime(3725.0), "1h02m");
        assert_eq!(format_uptime(f64::INFINITY), "0s");
        assert_eq!(format_uptime(200_000.0), "2d07h");
        assert_eq!(format_bytes(13_000_000), "12.4 MiB");
        assert_eq!(spread("abcdef", "12", 6), "abc 12");
        assert_eq!(spread("a", "12", 0), " 12");
        let mut quiet = event("/", "x", EventDirection::In, 0.0, 0.0);
        assert_eq!(error_rate(&quiet), "-");
        quiet.per_second = 200.0;
        quiet.errors_per_second = 1.0;
        assert_eq!(error_rate(&quiet), "0.5%");
        quiet.errors_per_second = 500.0;
        assert_eq!(error_rate(&quiet), "100%");
    }
}
