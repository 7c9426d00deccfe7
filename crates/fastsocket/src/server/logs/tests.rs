//! The `logs` command against a log folder of known content: every filter, every stats figure, rotated and
//! gzipped files read in order, corrupt lines, and `--follow` across real rotations.

use std::borrow::Cow;
use std::fs;
use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser as _;

use super::command::{self, Failure};
use super::record::{Kind, Level, Outcome, Record, ViolationRecord};
use super::settings::LogSettings;
use super::sink::Sink;
use super::{Counts, gzip};
use crate::server::config::{Cli, Command};

fn s(text: &'static str) -> Option<Cow<'static, str>> {
    Some(Cow::Borrowed(text))
}

/// An event record at 2026-12-07T18:00:0`second`Z.
fn event(
    second: u8,
    event: &'static str,
    socket: &'static str,
    principal: Option<&'static str>,
    code: Option<&'static str>,
    latency_us: u64,
) -> Record<'static> {
    Record {
        ts: Cow::Owned(format!("2026-12-07T18:00:0{second}.000Z")),
        namespace: s(if event == "join" { "/rooms/1" } else { "/chat" }),
        event: s(event),
        socket: s(socket),
        principal: principal.map(Cow::Borrowed),
        outcome: Some(if code.is_some() {
            Outcome::Error
        } else {
            Outcome::Ok
        }),
        code: code.map(Cow::Borrowed),
        latency_us: Some(latency_us),
        size: Some(10),
        ..Record::new(
            match code {
                None => Level::Info,
                Some("internal") => Level::Error,
                Some(_) => Level::Warn,
            },
            Kind::Event,
        )
    }
}

/// The known log, in time order.
fn known() -> Vec<Record<'static>> {
    let mut invalid = event(
        2,
        "send",
        "s1",
        Some("alice"),
        Some("validation_failed"),
        200,
    );
    invalid.violations = vec![ViolationRecord {
        path: Cow::Borrowed("/text"),
        message: Cow::Borrowed("must be a string"),
    }];
    vec![
        Record {
            ts: Cow::Borrowed("2026-12-07T18:00:00.000Z"),
            namespace: s("/chat"),
            socket: s("s1"),
            principal: s("alice"),
            ..Record::new(Level::Info, Kind::Connected)
        },
        event(1, "send", "s1", Some("alice"), None, 100),
        invalid,
        event(3, "send", "s2", Some("bob"), None, 300),
        event(4, "send", "s2", Some("bob"), Some("internal"), 400),
        event(5, "join", "s3", None, None, 50),
        Record {
            ts: Cow::Borrowed("2026-12-07T18:00:06.000Z"),
            namespace: s("/admin"),
            socket: s("s4"),
            message: s("unauthorized: invalid token"),
            ..Record::new(Level::Warn, Kind::Refused)
        },
        Record {
            ts: Cow::Borrowed("2026-12-07T18:00:07.000Z"),
            target: s("fastsocket"),
            message: s("listening"),
            ..Record::new(Level::Info, Kind::Log)
        },
    ]
}

fn lines(records: &[Record<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    for record in records {
        record.write_json(&mut out);
    }
    out
}

/// Records 0–2 in a gzipped rotated file, 3–4 in a plain one, the rest in the active file with a corrupt line
/// and a cut-off last line.
fn known_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let records = known();
    let oldest = dir.path().join("server.20261207T180003.000Z.log");
    fs::write(&oldest, lines(&records[0..3])).unwrap();
    gzip(&oldest).unwrap();
    fs::write(
        dir.path().join("server.20261207T180005.000Z.log"),
        lines(&records[3..5]),
    )
    .unwrap();
    let mut active = lines(&records[5..7]);
    active.extend_from_slice(b"garbage, not a record\n");
    active.extend(lines(&records[7..8]));
    active.extend_from_slice(br#"{"ts":"2026-12-07T18:00:08.000Z","level":"info","kind":"ev"#);
    fs::write(dir.path().join("server.log"), active).unwrap();
    dir
}

fn parse(dir: &Path, args: &[&str]) -> command::LogsArgs {
    let dir = dir.to_str().unwrap();
    let argv = ["server", "logs", "--log-dir", dir]
        .into_iter()
        .chain(args.iter().copied());
    match Cli::try_parse_from(argv).unwrap().command {
        Some(Command::Logs(args)) => *args,
        other => panic!("logs expected, got {other:?}"),
    }
}

/// Runs `logs …` on `dir`; the output and what was counted.
fn run(dir: &Path, args: &[&str]) -> (String, Counts) {
    let mut out = Vec::new();
    let counts = command::run_to(parse(dir, args), &mut out, false, &|| true).unwrap();
    (String::from_utf8(out).unwrap(), counts)
}

/// The times of the records `logs tail --all --json` prints with `filter`.
fn seconds(dir: &Path, filter: &[&str]) -> Vec<u8> {
    let mut args = vec!["tail", "--all", "--json"];
    args.extend(filter);
    let (out, _) = run(dir, &args);
    out.lines()
        .map(|l| {
            let record = Record::parse(l.as_bytes()).unwrap();
            record.ts.as_bytes()[18] - b'0'
        })
        .collect()
}

#[test]
fn tail_reads_gzipped_rotated_and_active_files_in_order_and_counts_corrupt_lines() {
    let dir = known_folder();
    let (out, counts) = run(dir.path(), &["tail", "--all", "--json"]);
    let expected = String::from_utf8(lines(&known())).unwrap();
    assert_eq!(out, expected);
    assert_eq!(counts.corrupt, 2);
    assert_eq!(counts.matched, 8);
    // The last N, and the default of 10.
    assert_eq!(seconds(dir.path(), &[]).len(), 8);
    let (out, _) = run(dir.path(), &["tail", "-n", "2", "--json"]);
    assert_eq!(out, String::from_utf8(lines(&known()[6..])).unwrap());
    let (out, _) = run(dir.path(), &["tail", "-n", "0"]);
    assert_eq!(out, "");
}

#[test]
fn every_filter() {
    let dir = known_folder();
    let d = dir.path();
    assert_eq!(seconds(d, &["--level", "warn"]), [2, 4, 6]);
    assert_eq!(seconds(d, &["--level", "error"]), [4]);
    assert_eq!(seconds(d, &["--event", "send"]), [1, 2, 3, 4]);
    assert_eq!(seconds(d, &["--namespace", "/rooms/1"]), [5]);
    assert_eq!(seconds(d, &["--socket", "s2"]), [3, 4]);
    assert_eq!(seconds(d, &["--principal", "alice"]), [0, 1, 2]);
    assert_eq!(seconds(d, &["--outcome", "ok"]), [1, 3, 5]);
    assert_eq!(seconds(d, &["--outcome", "error"]), [2, 4]);
    assert_eq!(seconds(d, &["--outcome", "validation_failed"]), [2]);
    assert_eq!(
        seconds(
            d,
            &[
                "--since",
                "2026-12-07T18:00:02Z",
                "--until",
                "2026-12-07T18:00:05Z"
            ]
        ),
        [2, 3, 4]
    );
    assert_eq!(seconds(d, &["--grep", "invalid token"]), [6]);
    assert_eq!(
        seconds(
            d,
            &[
                "--event",
                "send",
                "--principal",
                "bob",
                "--outcome",
                "error"
            ]
        ),
        [4]
    );
    // A relative time: everything is older than a minute ago.
    assert!(seconds(d, &["--since", "1m"]).is_empty());
    assert_eq!(seconds(d, &["--event", "nope"]), Vec::<u8>::new());
}

#[test]
fn pretty_output() {
    let dir = known_folder();
    let (out, _) = run(dir.path(), &["tail", "--outcome", "validation_failed"]);
    assert_eq!(
        out,
        "2026-12-07T18:00:02.000Z  WARN event namespace=/chat event=send socket=s1 principal=alice outcome=error \
         code=validation_failed latency_us=200 size=10 violation=\"/text: must be a string\"\n"
    );
}

#[test]
fn stats_figures() {
    let dir = known_folder();
    let (out, counts) = run(dir.path(), &["stats", "--json"]);
    assert_eq!(counts.corrupt, 2);
    let figures: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        figures,
        serde_json::json!([
            {"namespace": "/chat", "event": "send", "count": 4, "errors": 2,
             "errors_by_code": {"internal": 1, "validation_failed": 1},
             "p50_us": 200, "p95_us": 400, "p99_us": 400},
            {"namespace": "/rooms/1", "event": "join", "count": 1, "errors": 0, "errors_by_code": {},
             "p50_us": 50, "p95_us": 50, "p99_us": 50},
        ])
    );
    // Over a time range.
    let (out, _) = run(
        dir.path(),
        &[
            "stats",
            "--json",
            "--since",
            "2026-12-07T18:00:03Z",
            "--until",
            "2026-12-07T18:00:05Z",
        ],
    );
    let figures: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        figures,
        serde_json::json!([
            {"namespace": "/chat", "event": "send", "count": 2, "errors": 1, "errors_by_code": {"internal": 1},
             "p50_us": 300, "p95_us": 400, "p99_us": 400},
        ])
    );
    let (table, _) = run(dir.path(), &["stats"]);
    let mut rows = table.lines();
    assert_eq!(
        rows.next().unwrap(),
        "namespace  event  count  errors  by code                         p50 ms  p95 ms  p99 ms"
    );
    assert_eq!(
        rows.next().unwrap(),
        "/chat      send       4       2  internal=1,validation_failed=1   0.200   0.400   0.400"
    );
}

#[test]
fn no_folder_and_bad_filters_are_usage_errors() {
    let argv = ["server", "logs", "--log-dir", "off", "tail"];
    let Some(Command::Logs(args)) = Cli::try_parse_from(argv).unwrap().command else {
        panic!("logs expected");
    };
    assert!(matches!(
        command::run_to(*args, &mut Vec::new(), false, &|| true),
        Err(Failure::Usage(_))
    ));
    let dir = known_folder();
    assert!(matches!(
        command::run_to(
            parse(dir.path(), &["tail", "--since", "soon"]),
            &mut Vec::new(),
            false,
            &|| true
        ),
        Err(Failure::Usage(_))
    ));
    assert!(Cli::try_parse_from(["server", "logs", "tail", "--level", "loud"]).is_err());
    // A folder not made yet: nothing to show, not an error.
    let (out, _) = run(&dir.path().join("later"), &["tail"]);
    assert_eq!(out, "");
}

/// A `Write` the test and the follower share.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Shared {
    fn events(&self) -> Vec<String> {
        let text = String::from_utf8(self.0.lock().unwrap().clone()).unwrap();
        text.lines()
            .filter_map(|l| Some(Record::parse(l.as_bytes())?.event?.into_owned()))
            .collect()
    }
}

#[test]
fn follow_goes_on_across_rotations() {
    let dir = tempfile::tempdir().unwrap();
    let settings = LogSettings {
        dir: Some(dir.path().to_owned()),
        // A few records per file, the rotated ones gzipped while the follower may still read them.
        max_bytes: 600,
        rotate: super::Rotate::Never,
        keep_files: 0,
        compress: true,
        ..LogSettings::default()
    };
    let (sink, guard) = Sink::start(&settings).unwrap();
    let record = |n: usize| Record {
        namespace: s("/chat"),
        event: Some(Cow::Owned(format!("e{n}"))),
        outcome: Some(Outcome::Ok),
        ..Record::new(Level::Info, Kind::Event)
    };
    // Written before the follower starts: `-n 2` shows the last two of them.
    for n in 0..3 {
        sink.send(record(n));
    }
    sink.flush(Duration::from_secs(5));

    let output = Shared::default();
    let stop = Arc::new(AtomicBool::new(false));
    let follower = {
        let (mut output, stop) = (output.clone(), stop.clone());
        let args = parse(dir.path(), &["tail", "-n", "2", "--follow", "--json"]);
        std::thread::spawn(move || {
            command::run_to(args, &mut output, false, &|| stop.load(Ordering::SeqCst)).map(|_| ())
        })
    };
    let wait_for = |count: usize| {
        let deadline = Instant::now() + Duration::from_secs(20);
        while output.events().len() < count && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    wait_for(2);
    for n in 3..60 {
        sink.send(record(n));
        if n % 3 == 0 {
            sink.flush(Duration::from_secs(5));
            std::thread::sleep(Duration::from_millis(15));
        }
    }
    sink.flush(Duration::from_secs(5));
    wait_for(59);
    stop.store(true, Ordering::SeqCst);
    let result = follower.join().unwrap();
    assert!(matches!(result, Ok(())), "{result:?}");
    guard.finish();
    let expected: Vec<String> = (1..60).map(|n| format!("e{n}")).collect();
    assert_eq!(output.events(), expected);
    // The log was rotated several times while followed.
    let rotated = super::log_files(dir.path()).unwrap().len() - 1;
    assert!(rotated >= 5, "{rotated} rotations");
}

#[cfg(feature = "monitor-cli")]
#[test]
fn tail_remote_takes_the_record_filters_and_the_monitor_flags() {
    let argv = [
        "server",
        "logs",
        "tail",
        "--follow",
        "--remote",
        "http://127.0.0.1:1",
        "--token",
        "t0k",
        "--monitor-namespace",
        "/ops",
        "--namespace",
        "/rooms/42",
        "--event",
        "send",
        "--outcome",
        "error",
    ];
    let Some(Command::Logs(args)) = Cli::try_parse_from(argv).unwrap().command else {
        panic!("logs expected");
    };
    let tail = command::remote_tail(&args)
        .expect("--remote asks for a remote tail")
        .unwrap();
    assert_eq!(tail.filter.events, ["send"]);
    assert_eq!(tail.filter.namespaces, ["/rooms/42"]);
    assert_eq!(tail.filter.outcomes, ["error"]);
    assert_eq!(tail.target.namespace, "/ops");
    assert_eq!(tail.target.token.as_deref(), Some("t0k"));
    // Only while following, and without the filters only files can answer.
    let usage = |extra: &[&str]| {
        let argv = ["server", "logs", "tail", "--remote", "http://127.0.0.1:1"];
        Cli::try_parse_from(argv.iter().chain(extra)).is_err()
    };
    assert!(usage(&[]));
    assert!(usage(&["--follow", "--grep", "x"]));
    assert!(usage(&["--follow", "--since", "1h"]));
    assert!(!usage(&["--follow"]));
}
