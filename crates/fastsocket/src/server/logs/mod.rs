//! The server's log: structured records, written without blocking, into rotated files; and the `logs`
//! command that reads them back.
//!
//! # Writing
//!
//! [`init`] (called by [`run`](super::run) for `serve`) installs a bounded queue and a writer thread
//! ([`Sink`]). Every connect, refusal, disconnect and answered event becomes one [`Record`] (through
//! [`LogObserver`](super::LogObserver)), and so does every other `tracing` event of the process (kind `log`);
//! the handler's task only copies a few strings into the queue. The writer stamps, formats and writes them: to
//! stderr (text, or JSON lines with `FASTSOCKET_LOG_FORMAT=json`), or with `FASTSOCKET_LOG_DIR` to
//! `DIR/server.log` as JSON lines, rotated by size and by time, the rotated files kept by count and age and
//! optionally gzipped (see [`LogSettings`]). When the queue is full a record is dropped, counted
//! ([`dropped_records`]) and reported in the log. `RUST_LOG` filters records as it filters `tracing` events
//! (per-event records are target `fastsocket`, `info`; refusals `warn`; failures `error`).
//!
//! Secrets stay out: records never hold payloads, handshake `auth`, headers or query strings; a validation
//! message at a secret-looking field (`/password`), and a `tracing` field named like one, read `(redacted)`.
//!
//! # Reading
//!
//! `logs tail [-n N | --all] [--follow] [--json]` and `logs stats [--json]`, with the filters `--level --event
//! --namespace --socket --principal --outcome --since --until --grep`, read the rotated files (gzipped or not)
//! and the active one in order. Lines that are not records (a line cut short by a crash, garbage) are skipped
//! and counted on stderr. A filter on a field is first looked for as bytes (`"event":"send"`, as the writer
//! writes it) across big reads, and only the lines holding it are parsed.

pub(crate) mod command;
mod layer;
#[cfg(test)]
mod layer_tests;
mod query;
mod record;
mod redact;
mod rotate;
mod scan;
mod settings;
mod sink;
mod stats;
#[cfg(test)]
mod tests;

pub use layer::SinkLayer;
pub use query::{Filter, parse_level, parse_time};
pub use record::{Kind, Level, Outcome, Record, ViolationRecord};
pub use redact::{REDACTED, is_secret_name, is_secret_path};
pub use rotate::{Clock, RotatingFile, active_path, gzip, log_files, rotation_stamp, system_clock};
pub use scan::{Counts, Scanner, open};
pub(crate) use settings::LogArgs;
pub use settings::{
    DEFAULT_LOG_KEEP_DAYS, DEFAULT_LOG_KEEP_FILES, DEFAULT_LOG_MAX_BYTES, DEFAULT_LOG_QUEUE,
    LOG_FILE_STEM, LogSettings, Rotate,
};
pub use sink::{LogGuard, Sink};
pub use stats::{EventFigures, Stats, table};

use crate::server::observe::Activity;

/// Log records dropped because the writer could not keep up, since the process started (0 before [`init`]).
pub fn dropped_records() -> u64 {
    sink::global().map_or(0, Sink::dropped)
}

/// Waits (at most `timeout`) until the records queued so far are written (nothing to do before [`init`]).
pub fn flush(timeout: std::time::Duration) {
    if let Some(sink) = sink::global() {
        sink.flush(timeout);
    }
}

/// Starts the log writer of `settings` and installs it, with a `tracing` subscriber that sends every event
/// `RUST_LOG` lets through (default [`DEFAULT_LOG_FILTER`](super::DEFAULT_LOG_FILTER)) to it. Keep the guard
/// until the process ends: dropping it writes what is queued.
///
/// Once per process: a second call (or one after another `tracing` subscriber was installed) returns the
/// writer's guard but the first installation stays.
pub fn init(settings: &LogSettings) -> std::io::Result<LogGuard> {
    init_with(settings, None)
}

/// A layer beside the log writer in the subscriber [`init_with`] installs (a span exporter: it filters what it
/// takes itself).
pub type ExtraLayer =
    Box<dyn tracing_subscriber::Layer<tracing_subscriber::Registry> + Send + Sync>;

/// [`init`], with `extra` beside the log writer (the OTLP exporter of `server::otel`, feature `otel`).
///
/// The log writer's filter is its own: it never takes the connect and event spans
/// ([`SPAN_TARGET`](super::SPAN_TARGET)), so without `extra` nothing wants them and they cost next to nothing.
pub fn init_with(settings: &LogSettings, extra: Option<ExtraLayer>) -> std::io::Result<LogGuard> {
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let (sink, guard) = Sink::start(settings)?;
    let mut filter = super::config::log_filter(std::env::var("RUST_LOG").ok().as_deref());
    if let Ok(directive) = format!("{}=off", super::SPAN_TARGET).parse() {
        filter = filter.add_directive(directive);
    }
    if sink::install(sink.clone()) {
        // Not `.with(extra)` for both: a `None` layer answers "always interested" for every call site, so the
        // registry would build every span nobody takes (the event span of each inbound event among them).
        let _ = match extra {
            Some(extra) => tracing_subscriber::registry()
                .with(extra)
                .with(SinkLayer::new(sink).with_filter(filter))
                .try_init(),
            None => tracing_subscriber::registry()
                .with(SinkLayer::new(sink).with_filter(filter))
                .try_init(),
        };
    }
    Ok(guard)
}

/// Hands an activity's record to the installed writer; `false` when there is none (then the caller logs it
/// through `tracing` as before). Honours `RUST_LOG` for target `fastsocket`.
pub(crate) fn observe(activity: &Activity<'_>) -> bool {
    let Some(sink) = sink::global() else {
        return false;
    };
    // Cheap checks first: `enabled!` answers from a per-call-site cache.
    let wanted = match activity {
        Activity::Connected { .. } | Activity::Disconnected { .. } => {
            tracing::enabled!(target: "fastsocket", tracing::Level::INFO)
        }
        Activity::Refused { .. } => tracing::enabled!(target: "fastsocket", tracing::Level::WARN),
        Activity::Event(event) => match event.outcome {
            crate::server::Outcome::Handled => {
                tracing::enabled!(target: "fastsocket", tracing::Level::INFO)
            }
            crate::server::Outcome::Error(error) if error.code().is_client_error() => {
                tracing::enabled!(target: "fastsocket", tracing::Level::WARN)
            }
            crate::server::Outcome::Error(_) => {
                tracing::enabled!(target: "fastsocket", tracing::Level::ERROR)
            }
        },
        Activity::Emitted {
            outcome: Err(_), ..
        } => {
            tracing::enabled!(target: "fastsocket", tracing::Level::DEBUG)
        }
        Activity::Emitted { .. } => false,
    };
    if wanted && let Some(record) = Record::from_activity(activity) {
        sink.send(record);
    }
    true
}
