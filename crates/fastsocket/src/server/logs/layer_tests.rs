//! [`SinkLayer`]: `tracing` events of the process become records of kind `log` in the log file, with their
//! message, target, level and fields, and a field named like a secret is redacted.

use std::time::Duration;

use tracing_subscriber::layer::SubscriberExt as _;

use super::settings::LogSettings;
use super::sink::Sink;
use super::{REDACTED, SinkLayer, active_path};

/// The records written to `dir`'s active file, parsed.
fn records(dir: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(active_path(dir))
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[test]
fn tracing_events_become_log_records_with_their_fields_and_secrets_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let settings = LogSettings {
        dir: Some(dir.path().to_path_buf()),
        ..LogSettings::default()
    };
    let (sink, guard) = Sink::start(&settings).unwrap();
    let subscriber = tracing_subscriber::registry().with(SinkLayer::new(sink.clone()));
    tracing::subscriber::with_default(subscriber, || {
        tracing::warn!(
            target: "fastsocket::test",
            port = 8080_u64,
            offset = -3_i64,
            ratio = 0.5_f64,
            tls = false,
            host = "localhost",
            peer = ?std::net::Ipv4Addr::LOCALHOST,
            password = "hunter2",
            "listening"
        );
        tracing::error!(target: "fastsocket::test", token = ?"abc", "{} failed", "bind");
        tracing::info!(target: "fastsocket::test", count = 1_u64);
    });
    sink.flush(Duration::from_secs(10));
    drop(guard);

    let records = records(dir.path());
    assert_eq!(records.len(), 3, "{records:#?}");
    let first = &records[0];
    assert_eq!(first["kind"], "log");
    assert_eq!(first["level"], "warn");
    assert_eq!(first["target"], "fastsocket::test");
    assert_eq!(first["message"], "listening");
    let fields = &first["fields"];
    assert_eq!(fields["port"], 8080);
    assert_eq!(fields["offset"], -3);
    assert_eq!(fields["ratio"], 0.5);
    assert_eq!(fields["tls"], false);
    assert_eq!(fields["host"], "localhost");
    assert_eq!(fields["peer"], "127.0.0.1");
    assert_eq!(fields["password"], REDACTED);

    // A formatted message arrives as `Debug`; a secret recorded through `Debug` is redacted too.
    assert_eq!(records[1]["level"], "error");
    assert_eq!(records[1]["message"], "bind failed");
    assert_eq!(records[1]["fields"]["token"], REDACTED);

    // An event without a message has none, and only its fields.
    assert!(records[2].get("message").is_none(), "{:#?}", records[2]);
    assert_eq!(records[2]["fields"], serde_json::json!({"count": 1}));
    let text = std::fs::read_to_string(active_path(dir.path())).unwrap();
    assert!(!text.contains("hunter2") && !text.contains("abc"), "{text}");
}
