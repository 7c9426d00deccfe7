//! The families fed with activity directly (the server-level tests drive real sockets: the chat example's
//! `tests/metrics.rs` and `cargo xtask metrics`).

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::registry::Registry;
use socketioxide::socket::Sid;

use super::families::Families;
use super::*;
use crate::server::observe::{Activity, EventRecord, Observer as _, Outcome};
use crate::server::{Direction, ErrorCode, EventInfo, HandlerError, ServerSpec};

static SPEC: ServerSpec = ServerSpec {
    title: "t",
    version: "1",
    asyncapi_json: "{}",
    events: &[
        EventInfo {
            namespace: "/",
            event: "join",
            direction: Direction::Inbound,
            payload: "Join",
            ack: None,
        },
        EventInfo {
            namespace: "/rooms/{roomId}",
            event: "send",
            direction: Direction::Inbound,
            payload: "Send",
            ack: None,
        },
        EventInfo {
            namespace: "/rooms/{roomId}",
            event: "said",
            direction: Direction::Outbound,
            payload: "Said",
            ack: None,
        },
    ],
};

fn families() -> (Arc<Families>, Registry) {
    let mut registry = Registry::default();
    let families = Arc::new(Families::new(&SPEC, &mut registry));
    (families, registry)
}

fn render(registry: &Registry) -> String {
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, registry).unwrap();
    text
}

fn event<'a>(
    namespace: &'a str,
    pattern: &'static str,
    event: &'a str,
    declared: bool,
    outcome: Outcome<'a>,
) -> EventRecord<'a> {
    EventRecord {
        namespace,
        pattern,
        event,
        declared,
        socket: Sid::new(),
        principal: Some("secret-principal"),
        size: 100,
        latency: Duration::from_millis(3),
        outcome,
        rate_limited_before: false,
    }
}

/// The value of the sample `name{labels}` in `text` (labels as the encoder writes them, in order).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|value| value.parse().ok())
}

#[test]
fn known_traffic_is_counted_under_the_document_names() {
    let (families, registry) = families();
    let connected = |namespace, pattern| Activity::Connected {
        namespace,
        pattern,
        socket: Sid::new(),
        principal: Some("secret-principal"),
        transport: socketioxide::TransportType::Websocket,
    };
    families.observe(&connected("/", "/"));
    families.observe(&connected("/rooms/a", "/rooms/{roomId}"));
    families.observe(&connected("/rooms/b", "/rooms/{roomId}"));
    families.observe(&Activity::Disconnected {
        namespace: "/rooms/b",
        pattern: "/rooms/{roomId}",
        socket: Sid::new(),
        reason: socketioxide::socket::DisconnectReason::ClientNSDisconnect,
    });
    let invalid = HandlerError::new(ErrorCode::ValidationFailed, "bad");
    let failed = HandlerError::internal("boom");
    for _ in 0..3 {
        families.observe(&Activity::Event(&event(
            "/rooms/a",
            "/rooms/{roomId}",
            "send",
            true,
            Outcome::Handled,
        )));
    }
    families.observe(&Activity::Event(&event(
        "/rooms/a",
        "/rooms/{roomId}",
        "send",
        true,
        Outcome::Error(&invalid),
    )));
    families.observe(&Activity::Event(&event(
        "/",
        "/",
        "join",
        true,
        Outcome::Error(&failed),
    )));
    families.observe(&Activity::Emitted {
        namespace: "/rooms/a",
        pattern: Some("/rooms/{roomId}"),
        event: "said",
        socket: None,
        outcome: Ok(()),
    });
    families.observe(&Activity::Refused {
        namespace: "/rooms/x",
        pattern: "/rooms/{roomId}",
        socket: Sid::new(),
        reason: "unauthorized: no credentials",
    });
    let text = render(&registry);
    let value =
        |series: &str| sample(&text, series).unwrap_or_else(|| panic!("{series} in\n{text}"));
    assert_eq!(value("fastsocket_sockets{namespace=\"/\"}"), 1.0);
    assert_eq!(
        value("fastsocket_sockets{namespace=\"/rooms/{roomId}\"}"),
        1.0
    );
    assert_eq!(
        value(
            "fastsocket_events_received_total{namespace=\"/rooms/{roomId}\",event=\"send\",outcome=\"ok\"}"
        ),
        3.0
    );
    assert_eq!(
        value(
            "fastsocket_events_received_total{namespace=\"/rooms/{roomId}\",event=\"send\",outcome=\"validation_failed\"}"
        ),
        1.0
    );
    assert_eq!(
        value(
            "fastsocket_events_received_total{namespace=\"/\",event=\"join\",outcome=\"internal\"}"
        ),
        1.0
    );
    // Declared but not seen yet: present at zero.
    assert_eq!(
        value("fastsocket_events_received_total{namespace=\"/\",event=\"join\",outcome=\"ok\"}"),
        0.0
    );
    assert_eq!(
        value("fastsocket_validation_failures_total{namespace=\"/rooms/{roomId}\",event=\"send\"}"),
        1.0
    );
    assert_eq!(
        value(
            "fastsocket_event_duration_seconds_count{namespace=\"/rooms/{roomId}\",event=\"send\"}"
        ),
        4.0
    );
    // 3 ms: in the 3.2 ms bucket (0.0001 × 2^n), not in the 1.6 ms one.
    assert_eq!(
        value(
            "fastsocket_event_duration_seconds_bucket{le=\"0.0032\",namespace=\"/rooms/{roomId}\",event=\"send\"}"
        ),
        4.0
    );
    assert_eq!(
        value(
            "fastsocket_event_duration_seconds_bucket{le=\"0.0016\",namespace=\"/rooms/{roomId}\",event=\"send\"}"
        ),
        0.0
    );
    assert_eq!(
        value("fastsocket_event_payload_bytes_sum{namespace=\"/rooms/{roomId}\",event=\"send\"}"),
        400.0
    );
    assert_eq!(
        value("fastsocket_events_sent_total{namespace=\"/rooms/{roomId}\",event=\"said\"}"),
        1.0
    );
    assert_eq!(
        value(
            "fastsocket_connects_refused_total{namespace=\"/rooms/{roomId}\",reason=\"unauthorized\"}"
        ),
        1.0
    );
    // Concrete paths and principals are never labels.
    assert!(!text.contains("/rooms/a"), "{text}");
    assert!(!text.contains("secret-principal"), "{text}");
    assert!(text.ends_with("# EOF\n"), "{text}");
}

/// The series of `text`: every sample line's name and labels.
fn series(text: &str) -> std::collections::BTreeSet<String> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.rsplit_once(' ').map(|(series, _)| series.to_owned()))
        .collect()
}

#[test]
fn cardinality_is_bounded_by_the_document_whatever_clients_send() {
    let (families, registry) = families();
    let before = series(&render(&registry));
    let unknown = HandlerError::new(ErrorCode::UnknownEvent, "unknown event");
    // A tiny xorshift: thousands of different made-up names and paths, reproducibly.
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut random = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        format!("{state:x}")
    };
    for _ in 0..2000 {
        let name = random();
        let path = format!("/rooms/{}", random());
        let record = event(
            &path,
            "/rooms/{roomId}",
            &name,
            false,
            Outcome::Error(&unknown),
        );
        families.observe(&Activity::Event(&record));
        // Even a record that claims its event is declared cannot bring in a name the document lacks.
        let record = event(&path, "/rooms/{roomId}", &name, true, Outcome::Handled);
        families.observe(&Activity::Event(&record));
        families.observe(&Activity::Refused {
            namespace: &path,
            pattern: "/rooms/{roomId}",
            socket: Sid::new(),
            reason: &name,
        });
    }
    let text = render(&registry);
    let after = series(&text);
    let added: Vec<&String> = after.difference(&before).collect();
    // `_undeclared` × (unknown_event, ok) received, its duration and payload histograms (buckets, sum, count),
    // and one refusal class: a fixed number, not thousands.
    assert!(added.len() < 80, "{} new series: {added:#?}", added.len());
    assert!(
        added
            .iter()
            .all(|s| !s.contains("event=") || s.contains("event=\"_undeclared\"")),
        "{added:#?}"
    );
    assert_eq!(
        sample(
            &text,
            "fastsocket_events_received_total{namespace=\"/rooms/{roomId}\",event=\"_undeclared\",outcome=\"unknown_event\"}"
        ),
        Some(2000.0)
    );
    assert_eq!(
        sample(
            &text,
            "fastsocket_connects_refused_total{namespace=\"/rooms/{roomId}\",reason=\"other\"}"
        ),
        Some(2000.0)
    );
}

#[test]
fn dropped_records_of_registered_sinks() {
    use std::sync::atomic::{AtomicU64, Ordering};
    static DROPPED: AtomicU64 = AtomicU64::new(0);
    register_dropped("test_sink", || DROPPED.load(Ordering::Relaxed));
    DROPPED.store(7, Ordering::Relaxed);
    let mut registry = Registry::default();
    registry.register_collector(Box::new(dropped::Dropped));
    let text = render(&registry);
    assert_eq!(
        sample(
            &text,
            "fastsocket_dropped_records_total{sink=\"test_sink\"}"
        ),
        Some(7.0),
        "{text}"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn process_metrics_on_linux() {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(process::Process));
    let text = render(&registry);
    for name in [
        "process_cpu_seconds_total",
        "process_start_time_seconds",
        "process_resident_memory_bytes",
        "process_open_fds",
    ] {
        let value = sample(&text, name).unwrap_or_else(|| panic!("{name} in\n{text}"));
        assert!(value >= 0.0, "{name} {value}");
    }
    assert!(sample(&text, "process_resident_memory_bytes").unwrap() > 0.0);
}

#[test]
fn endpoint_values() {
    assert_eq!("on".parse(), Ok(MetricsEndpoint::SamePort));
    assert_eq!("off".parse(), Ok(MetricsEndpoint::Off));
    assert_eq!(
        "127.0.0.1:0".parse(),
        Ok(MetricsEndpoint::Listen("127.0.0.1:0".parse().unwrap()))
    );
    assert!("localhost".parse::<MetricsEndpoint>().is_err());
}
