//! The server's log files after an authenticated session: structured records of what happened, and never a
//! credential (its own process: the log writer is installed once per process).

mod common;

use std::time::Duration;

use common::*;
use fastsocket::server::logs::{self, Kind, LogSettings, Record};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authenticated_session_is_logged_without_its_secrets() {
    let dir = tempfile_dir();
    let guard = logs::init(&LogSettings {
        dir: Some(dir.clone()),
        ..LogSettings::default()
    })
    .expect("the log opens");
    let (addr, server) = start().await;

    let wrong = "wrong-secret-never-logged";
    let error = connect(addr, Options::new("/admin").auth(json!({"token": wrong})))
        .await
        .err()
        .unwrap();
    assert!(error.contains("unauthorized"), "{error}");
    let by_auth = connected(addr, Options::new("/admin").auth(json!({"token": TOKEN}))).await;
    let by_header = connected(
        addr,
        Options::new("/admin").header("Authorization", &format!("Bearer {TOKEN}")),
    )
    .await;
    let answer = by_auth.ack1("kick", json!({"socketId": "abc"})).await;
    assert_eq!(code(&answer), "not_implemented");
    let open = connected(
        addr,
        Options::new("/").auth(json!({"token": TOKEN, "password": "lovelace"})),
    )
    .await;
    assert_eq!(open.ack1("echo", text("hello")).await, text("hello"));
    let answer = open.ack1("echo", json!({"text": 5})).await;
    assert_eq!(code(&answer), "validation_failed");
    for client in [by_auth, by_header, open] {
        client.disconnect().await;
    }
    server.shutdown().await.unwrap();
    logs::flush(Duration::from_secs(5));
    guard.finish();

    let mut text = String::new();
    for path in logs::log_files(&dir).unwrap() {
        text.push_str(&std::fs::read_to_string(path).unwrap());
    }
    for secret in [TOKEN, wrong, "lovelace"] {
        assert!(!text.contains(secret), "`{secret}` in the log:\n{text}");
    }
    let records: Vec<Record<'_>> = text
        .lines()
        .map(|l| Record::parse(l.as_bytes()).unwrap_or_else(|| panic!("not a record: {l}")))
        .collect();
    let kick = records
        .iter()
        .find(|r| r.event.as_deref() == Some("kick"))
        .expect("the kick event");
    assert_eq!(kick.principal.as_deref(), Some("token-1"));
    assert_eq!(kick.code.as_deref(), Some("not_implemented"));
    assert_eq!(kick.namespace.as_deref(), Some("/admin"));
    assert!(kick.latency_us.is_some() && kick.size.is_some() && kick.socket.is_some());
    let invalid = records
        .iter()
        .find(|r| r.code.as_deref() == Some("validation_failed"))
        .expect("the invalid echo");
    assert_eq!(invalid.violations[0].path, "/text");
    assert!(records.iter().any(|r| r.kind == Kind::Refused));
    assert_eq!(
        records.iter().filter(|r| r.kind == Kind::Connected).count(),
        3
    );
    assert!(
        records
            .iter()
            .any(|r| r.kind == Kind::Log && r.message.as_deref() == Some("listening"))
    );
    assert_eq!(logs::dropped_records(), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A fresh folder under the system's temporary folder.
fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("fastsocket-logs-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}
