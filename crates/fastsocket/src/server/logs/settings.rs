//! Where and how logs are written: the `FASTSOCKET_LOG_*` settings, shared by `serve` (which writes) and `logs`
//! (which reads), so `logs tail` in the server's folder reads what `serve` wrote.

use std::path::PathBuf;
use std::time::Duration;

use crate::server::config::LogFormat;

/// The default of `FASTSOCKET_LOG_MAX_BYTES`: a log file is rotated once it would grow past 100 MiB.
pub const DEFAULT_LOG_MAX_BYTES: u64 = 100 << 20;

/// The default of `FASTSOCKET_LOG_KEEP_FILES`: rotated files kept (the oldest beyond are removed).
pub const DEFAULT_LOG_KEEP_FILES: usize = 20;

/// The default of `FASTSOCKET_LOG_KEEP_DAYS`: rotated files older than this are removed.
pub const DEFAULT_LOG_KEEP_DAYS: u64 = 14;

/// The default of `FASTSOCKET_LOG_QUEUE`: records waiting for the writer before new ones are dropped (and
/// counted). About 200 bytes each.
pub const DEFAULT_LOG_QUEUE: usize = 16_384;

/// The name of the active log file in the log folder; rotated files are `server.<UTC time>.log[.gz]`.
pub const LOG_FILE_STEM: &str = "server";

/// When a log file is rotated by time (UTC), besides by size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Rotate {
    /// At the start of every hour.
    Hourly,
    /// At midnight.
    #[default]
    Daily,
    /// Only by size.
    Never,
}

impl Rotate {
    /// The length of a period, if rotating by time.
    pub fn period(self) -> Option<Duration> {
        match self {
            Rotate::Hourly => Some(Duration::from_secs(3600)),
            Rotate::Daily => Some(Duration::from_secs(86_400)),
            Rotate::Never => None,
        }
    }
}

/// How the server writes its log. [`Default`]: to stderr, text, nothing kept on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSettings {
    /// The folder of the log files (`FASTSOCKET_LOG_DIR`; none: stderr only). Files are always JSON lines.
    pub dir: Option<PathBuf>,
    /// The format on stderr when there is no folder (`FASTSOCKET_LOG_FORMAT`).
    pub format: LogFormat,
    /// Rotate when the active file would grow past this many bytes (`FASTSOCKET_LOG_MAX_BYTES`; 0: never).
    pub max_bytes: u64,
    /// Rotate by time too (`FASTSOCKET_LOG_ROTATE`: `hourly`, `daily`, `never`).
    pub rotate: Rotate,
    /// Rotated files kept (`FASTSOCKET_LOG_KEEP_FILES`; 0: no limit).
    pub keep_files: usize,
    /// Rotated files older than this are removed (`FASTSOCKET_LOG_KEEP_DAYS`; 0: no limit).
    pub keep_days: u64,
    /// Gzip rotated files (`FASTSOCKET_LOG_COMPRESS`).
    pub compress: bool,
    /// Records queued for the writer before new ones are dropped and counted (`FASTSOCKET_LOG_QUEUE`).
    pub queue: usize,
}

impl Default for LogSettings {
    fn default() -> Self {
        LogSettings {
            dir: None,
            format: LogFormat::Text,
            max_bytes: DEFAULT_LOG_MAX_BYTES,
            rotate: Rotate::Daily,
            keep_files: DEFAULT_LOG_KEEP_FILES,
            keep_days: DEFAULT_LOG_KEEP_DAYS,
            compress: false,
            queue: DEFAULT_LOG_QUEUE,
        }
    }
}

/// The log flags of `serve` and `logs` (each also read from its environment variable, and so from `.env`).
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct LogArgs {
    /// Log format on stderr (files are always JSON lines).
    #[arg(long, env = "FASTSOCKET_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    log_format: LogFormat,
    /// A folder for log files (rotated and kept as the other `--log-*` flags say); empty or `off`: stderr only.
    #[arg(long, env = "FASTSOCKET_LOG_DIR", value_name = "DIR", global = true)]
    log_dir: Option<String>,
    /// Rotate the log file before it grows past this many bytes (0: no size limit).
    #[arg(long, env = "FASTSOCKET_LOG_MAX_BYTES", value_name = "BYTES", default_value_t = DEFAULT_LOG_MAX_BYTES, global = true)]
    log_max_bytes: u64,
    /// Rotate the log file by time (UTC) too.
    #[arg(long, env = "FASTSOCKET_LOG_ROTATE", value_enum, default_value_t = Rotate::Daily, global = true)]
    log_rotate: Rotate,
    /// Rotated log files kept (0: no limit).
    #[arg(long, env = "FASTSOCKET_LOG_KEEP_FILES", value_name = "N", default_value_t = DEFAULT_LOG_KEEP_FILES, global = true)]
    log_keep_files: usize,
    /// Days rotated log files are kept (0: no limit).
    #[arg(long, env = "FASTSOCKET_LOG_KEEP_DAYS", value_name = "DAYS", default_value_t = DEFAULT_LOG_KEEP_DAYS, global = true)]
    log_keep_days: u64,
    /// Gzip rotated log files.
    #[arg(
        long,
        env = "FASTSOCKET_LOG_COMPRESS",
        value_name = "BOOL",
        default_value_t = false,
        num_args = 0..=1,
        default_missing_value = "true",
        action = clap::ArgAction::Set,
        value_parser = clap::builder::BoolishValueParser::new(),
        global = true
    )]
    log_compress: bool,
    /// Log records queued for the writer before new ones are dropped (and counted).
    #[arg(long, env = "FASTSOCKET_LOG_QUEUE", value_name = "N", default_value_t = DEFAULT_LOG_QUEUE, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..), global = true)]
    log_queue: usize,
}

impl LogArgs {
    /// The settings these flags give.
    pub(crate) fn into_settings(self) -> LogSettings {
        let dir = self
            .log_dir
            .map(|d| d.trim().to_owned())
            .filter(|d| !d.is_empty() && !d.eq_ignore_ascii_case("off"))
            .map(PathBuf::from);
        LogSettings {
            dir,
            format: self.log_format,
            max_bytes: self.log_max_bytes,
            rotate: self.log_rotate,
            keep_files: self.log_keep_files,
            keep_days: self.log_keep_days,
            compress: self.log_compress,
            queue: self.log_queue,
        }
    }
}
