//! The non-blocking log writer: records go into a bounded queue and a thread of its own stamps, formats and
//! writes them, so a handler's task never formats or waits on a file or a terminal. When the queue is full
//! the record is dropped and counted; the writer reports the count in the log itself (once a second at most)
//! and [`dropped_records`](super::dropped_records) reads it.

use std::borrow::Cow;
use std::io::{self, Write as _};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use super::record::{Kind, Level, Record};
use super::rotate::{Clock, RotatingFile, system_clock};
use super::settings::LogSettings;
use crate::server::config::LogFormat;

/// What the writer thread is sent.
enum Message {
    /// A record, with the time it happened (boxed: the queue's slots are allocated up front, a pointer each).
    Record(SystemTime, Box<Record<'static>>),
    /// Write everything queued so far, then answer.
    Flush(SyncSender<()>),
}

/// The sending side: cheap to clone, never blocks.
#[derive(Clone)]
pub struct Sink {
    queue: SyncSender<Message>,
    dropped: Arc<AtomicU64>,
}

impl std::fmt::Debug for Sink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sink")
            .field("dropped", &self.dropped())
            .finish_non_exhaustive()
    }
}

/// Keeps the writer thread; dropping it writes what is queued and stops the thread.
#[derive(Debug)]
#[must_use = "dropping the guard stops the log writer"]
pub struct LogGuard {
    sink: Option<Sink>,
    thread: Option<JoinHandle<()>>,
}

impl Sink {
    /// Starts a writer thread for `settings` (a rotating file in [`LogSettings::dir`], else stderr).
    pub fn start(settings: &LogSettings) -> io::Result<(Sink, LogGuard)> {
        Self::start_with_clock(settings, system_clock())
    }

    /// [`start`](Self::start) with a clock of the caller's (tests).
    pub fn start_with_clock(settings: &LogSettings, clock: Clock) -> io::Result<(Sink, LogGuard)> {
        let output = match &settings.dir {
            Some(dir) => Output::File(RotatingFile::open(dir, settings, clock.clone())?),
            None => Output::Stderr {
                json: settings.format == LogFormat::Json,
                ansi: io::IsTerminal::is_terminal(&io::stderr()),
                pending: Vec::with_capacity(STDERR_BATCH),
            },
        };
        let (queue, receiver) = mpsc::sync_channel(settings.queue.max(1));
        let dropped = Arc::new(AtomicU64::new(0));
        let writer = Writer {
            output,
            dropped: dropped.clone(),
            reported: 0,
            clock,
        };
        let thread = std::thread::Builder::new()
            .name("fastsocket-log".into())
            .spawn(move || writer.run(receiver))?;
        let sink = Sink { queue, dropped };
        Ok((
            sink.clone(),
            LogGuard {
                sink: Some(sink),
                thread: Some(thread),
            },
        ))
    }

    /// Queues a record stamped now; drops (and counts) it when the queue is full.
    pub fn send(&self, record: Record<'static>) {
        match self
            .queue
            .try_send(Message::Record(SystemTime::now(), Box::new(record)))
        {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Records dropped so far.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Waits until everything queued before this call is written (at most `timeout`).
    pub fn flush(&self, timeout: Duration) {
        let (done, wait) = mpsc::sync_channel(1);
        // Blocking here is fine: flushing is for shutdown and tests, never a handler.
        if self.queue.send(Message::Flush(done)).is_ok() {
            let _ = wait.recv_timeout(timeout);
        }
    }
}

impl LogGuard {
    /// Writes what is queued and stops the writer.
    pub fn finish(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(sink) = self.sink.take() {
            sink.flush(Duration::from_secs(5));
        }
        // The thread ends once every sender is gone; the global sink's sender lives on, so do not wait.
        drop(self.thread.take());
    }
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        self.stop();
    }
}

enum Output {
    File(RotatingFile),
    /// Lines are gathered in `pending` and written once per batch (stderr is unbuffered: one `write` call
    /// per record would cost a system call per event).
    Stderr {
        json: bool,
        ansi: bool,
        pending: Vec<u8>,
    },
}

/// Bytes of stderr lines gathered before they are written even in the middle of a batch.
const STDERR_BATCH: usize = 64 * 1024;

/// After writing a batch, the writer waits this long before it looks at the queue again, so that records of
/// a busy server are written in batches: a handful of wake-ups and writes a second instead of one per event
/// (each wake-up of a sleeping thread is a system call on the handler's path and a context switch). Log lines
/// appear at most this much later; a full queue still drops rather than blocks.
const LINGER: Duration = Duration::from_millis(5);

struct Writer {
    output: Output,
    dropped: Arc<AtomicU64>,
    reported: u64,
    clock: Clock,
}

impl Writer {
    fn run(mut self, receiver: Receiver<Message>) {
        let mut line = Vec::with_capacity(512);
        let mut text = String::with_capacity(512);
        let mut last_report = Instant::now();
        loop {
            let message = match receiver.recv_timeout(Duration::from_millis(500)) {
                Ok(message) => message,
                Err(RecvTimeoutError::Timeout) => {
                    self.report_drops(&mut line, &mut text);
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => break,
            };
            self.handle(message, &mut line, &mut text);
            // Write what else is waiting, then flush once: a burst costs one write call, not one per record.
            while let Ok(message) = receiver.try_recv() {
                self.handle(message, &mut line, &mut text);
            }
            if last_report.elapsed() >= Duration::from_secs(1) {
                last_report = Instant::now();
                self.report_drops(&mut line, &mut text);
            }
            self.flush();
            std::thread::sleep(LINGER);
        }
        self.report_drops(&mut line, &mut text);
        self.flush();
    }

    fn handle(&mut self, message: Message, line: &mut Vec<u8>, text: &mut String) {
        match message {
            Message::Record(at, mut record) => {
                record.ts = Cow::Owned(humantime::format_rfc3339_millis(at).to_string());
                self.write(&record, line, text);
            }
            Message::Flush(done) => {
                self.report_drops(line, text);
                self.flush();
                let _ = done.try_send(());
            }
        }
    }

    /// Writes a record saying how many were dropped since the last report, if any were.
    fn report_drops(&mut self, line: &mut Vec<u8>, text: &mut String) {
        let dropped = self.dropped.load(Ordering::Relaxed);
        if dropped == self.reported {
            return;
        }
        let mut fields = serde_json::Map::new();
        fields.insert("dropped".into(), (dropped - self.reported).into());
        fields.insert("dropped_total".into(), dropped.into());
        self.reported = dropped;
        let record = Record {
            ts: Cow::Owned(humantime::format_rfc3339_millis((self.clock)()).to_string()),
            target: Some(Cow::Borrowed("fastsocket::logs")),
            message: Some(Cow::Borrowed(
                "log records dropped: the writer could not keep up",
            )),
            fields: Some(fields),
            ..Record::new(Level::Warn, Kind::Log)
        };
        self.write(&record, line, text);
    }

    fn write(&mut self, record: &Record<'_>, line: &mut Vec<u8>, text: &mut String) {
        line.clear();
        let result = match &mut self.output {
            Output::File(file) => {
                record.write_json(line);
                file.write_line(line)
            }
            Output::Stderr {
                json: true,
                pending,
                ..
            } => {
                record.write_json(line);
                pending.extend_from_slice(line);
                write_stderr_over(pending, STDERR_BATCH)
            }
            Output::Stderr {
                json: false,
                ansi,
                pending,
            } => {
                text.clear();
                record.write_text(text, *ansi);
                pending.extend_from_slice(text.as_bytes());
                write_stderr_over(pending, STDERR_BATCH)
            }
        };
        if let Err(error) = result {
            // The log cannot log its own failure; stderr is the last resort.
            eprintln!("fastsocket: cannot write the log: {error}");
        }
    }

    fn flush(&mut self) {
        let result = match &mut self.output {
            Output::File(file) => file.flush(),
            Output::Stderr { pending, .. } => write_stderr_over(pending, 0),
        };
        if let Err(error) = result {
            eprintln!("fastsocket: cannot write the log: {error}");
        }
    }
}

/// Writes the gathered stderr lines once there are more than `limit` bytes (0: whenever there are some).
fn write_stderr_over(pending: &mut Vec<u8>, limit: usize) -> io::Result<()> {
    if pending.is_empty() || pending.len() < limit {
        return Ok(());
    }
    let written = io::stderr().lock().write_all(pending);
    pending.clear();
    written
}

static GLOBAL: OnceLock<Sink> = OnceLock::new();

/// The process's sink, once [`install`] ran.
pub fn global() -> Option<&'static Sink> {
    GLOBAL.get()
}

/// Makes `sink` the process's sink (the first one installed stays; `false` when one was already there).
pub fn install(sink: Sink) -> bool {
    GLOBAL.set(sink).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(n: u64) -> Record<'static> {
        Record {
            event: Some(Cow::Owned(format!("e{n}"))),
            ..Record::new(Level::Info, Kind::Event)
        }
    }

    #[test]
    fn records_reach_the_file_in_order_with_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let settings = LogSettings {
            dir: Some(dir.path().to_owned()),
            ..LogSettings::default()
        };
        let (sink, guard) = Sink::start(&settings).unwrap();
        for n in 0..100 {
            sink.send(event(n));
        }
        guard.finish();
        let text = std::fs::read_to_string(dir.path().join("server.log")).unwrap();
        let records: Vec<Record<'_>> = text
            .lines()
            .map(|l| Record::parse(l.as_bytes()).unwrap())
            .collect();
        assert_eq!(records.len(), 100);
        for (n, record) in records.iter().enumerate() {
            assert_eq!(record.event.as_deref(), Some(format!("e{n}").as_str()));
            assert!(record.time().is_some(), "{}", record.ts);
        }
        assert_eq!(sink.dropped(), 0);
    }

    #[test]
    fn a_full_queue_drops_counts_and_reports() {
        let dir = tempfile::tempdir().unwrap();
        let settings = LogSettings {
            dir: Some(dir.path().to_owned()),
            queue: 1,
            ..LogSettings::default()
        };
        let (sink, guard) = Sink::start(&settings).unwrap();
        // Faster than a thread can write a file: some of these cannot fit in a queue of one.
        for n in 0..20_000 {
            sink.send(event(n));
        }
        let dropped = sink.dropped();
        assert!(dropped > 0, "nothing dropped");
        guard.finish();
        let text = std::fs::read_to_string(dir.path().join("server.log")).unwrap();
        let written = text
            .lines()
            .filter(|l| l.contains("\"kind\":\"event\""))
            .count() as u64;
        assert_eq!(written + dropped, 20_000);
        let reported: u64 = text
            .lines()
            .filter_map(|l| Record::parse(l.as_bytes()))
            .filter(|r| r.kind == Kind::Log)
            .filter_map(|r| r.fields.as_ref()?.get("dropped")?.as_u64())
            .sum();
        assert_eq!(reported, dropped);
    }
}
