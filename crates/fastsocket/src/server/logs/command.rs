//! The `logs` command of a generated server: `logs tail` and `logs stats` over the log folder `serve` writes
//! (same flags, environment and `.env`).

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use super::query::{Filter, parse_level, parse_time};
use super::record::Record;
use super::rotate::{active_path, log_files, rotation_stamp};
use super::scan::{Counts, Scanner, open};
use super::settings::{LogArgs, LogSettings};
use super::stats::{Stats, table};

/// `logs`: read the server's log files.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct LogsArgs {
    #[command(subcommand)]
    command: LogsCommand,
    #[command(flatten)]
    log: LogArgs,
}

#[derive(Debug, Clone, clap::Subcommand)]
enum LogsCommand {
    /// The last records (every matching one with `--all`), then new ones as they come with `--follow`.
    Tail(TailArgs),
    /// Per event: count, errors by code, latency p50/p95/p99.
    Stats(StatsArgs),
}

/// `logs tail`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct TailArgs {
    /// How many of the last matching records to show.
    #[arg(short = 'n', long = "lines", value_name = "N", default_value_t = 10)]
    lines: usize,
    /// Show every matching record, not only the last ones.
    #[arg(long, conflicts_with = "lines")]
    all: bool,
    /// Keep showing new records as the server writes them (across rotations) until interrupted.
    #[arg(short = 'f', long)]
    follow: bool,
    /// Print the JSON lines as written, instead of readable text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    filter: FilterArgs,
    /// Follow a running server's activity live from its monitoring namespace instead of the log files
    /// (needs `--follow`; `--level`, `--since`, `--until` and `--grep` do not apply).
    #[cfg(feature = "monitor-cli")]
    #[arg(long, value_name = "URL", requires = "follow", conflicts_with_all = ["level", "since", "until", "grep"])]
    remote: Option<String>,
    #[cfg(feature = "monitor-cli")]
    #[command(flatten)]
    connect: crate::server::monitor::cli::ConnectArgs,
}

/// `logs stats`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct StatsArgs {
    /// Print the figures as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    filter: FilterArgs,
}

/// The filters of `tail` and `stats`.
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct FilterArgs {
    /// This level or more severe (trace, debug, info, warn, error).
    #[arg(long, value_parser = parse_level)]
    level: Option<super::record::Level>,
    /// One event.
    #[arg(long)]
    event: Option<String>,
    /// One namespace (its concrete path, `/rooms/42`).
    #[arg(long)]
    namespace: Option<String>,
    /// One socket id.
    #[arg(long)]
    socket: Option<String>,
    /// One principal (the subject of its credentials).
    #[arg(long)]
    principal: Option<String>,
    /// `ok`, `error`, or an error code (`validation_failed`).
    #[arg(long)]
    outcome: Option<String>,
    /// From this time on: RFC 3339 (`2026-12-07T18:00:00Z`) or a duration ago (`15m`, `2h`, `3days`).
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    /// Before this time (same forms as `--since`).
    #[arg(long, value_name = "TIME")]
    until: Option<String>,
    /// Lines containing this text.
    #[arg(long, value_name = "TEXT")]
    grep: Option<String>,
}

impl FilterArgs {
    fn into_filter(self, now: SystemTime) -> Result<Filter, String> {
        Ok(Filter {
            level: self.level,
            event: self.event,
            namespace: self.namespace,
            socket: self.socket,
            principal: self.principal,
            outcome: self.outcome,
            since: self.since.map(|t| parse_time(&t, now)).transpose()?,
            until: self.until.map(|t| parse_time(&t, now)).transpose()?,
            grep: self.grep,
        })
    }
}

/// `logs tail --follow --remote URL`: what to follow, when asked for.
#[cfg(feature = "monitor-cli")]
pub(crate) fn remote_tail(
    args: &LogsArgs,
) -> Option<Result<crate::server::monitor::cli::RemoteTail, crate::server::monitor::cli::RemoteError>>
{
    use crate::server::monitor::cli::{ActivityFilter, RemoteTail, TailFormat};
    let LogsCommand::Tail(tail) = &args.command else {
        return None;
    };
    let url = tail.remote.as_deref()?;
    let listed = |value: &Option<String>| value.iter().cloned().collect::<Vec<_>>();
    Some(tail.connect.target(Some(url)).map(|target| RemoteTail {
        target,
        filter: ActivityFilter {
            events: listed(&tail.filter.event),
            namespaces: listed(&tail.filter.namespace),
            outcomes: listed(&tail.filter.outcome),
            sockets: listed(&tail.filter.socket),
            principals: listed(&tail.filter.principal),
        },
        format: if tail.json {
            TailFormat::Json
        } else {
            TailFormat::Pretty
        },
        stop_after: None,
    }))
}

/// Runs `logs …`: 0 when done, 1 on an error (unreadable files), 2 for a usage error (no log folder, a bad
/// filter).
pub(crate) fn run(args: LogsArgs) -> ExitCode {
    let stdout = io::stdout();
    let ansi = io::IsTerminal::is_terminal(&stdout);
    let mut out = io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let result = run_to(args, &mut out, ansi, &|| false).and_then(|counts| {
        out.flush()?;
        Ok(counts)
    });
    match result {
        Ok(counts) => {
            report(&counts);
            ExitCode::SUCCESS
        }
        // `logs tail | head`: the reader has what it wanted.
        Err(Failure::Io(error)) if error.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Io(error)) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Runs `logs …` writing to `out` (`ansi`: colour the levels); `--follow` goes on until `stop` says so.
pub(crate) fn run_to(
    args: LogsArgs,
    out: &mut dyn Write,
    ansi: bool,
    stop: &dyn Fn() -> bool,
) -> Result<Counts, Failure> {
    let settings = args.log.into_settings();
    match args.command {
        LogsCommand::Tail(tail_args) => tail(&settings, tail_args, out, ansi, stop),
        LogsCommand::Stats(stats_args) => stats(&settings, stats_args, out),
    }
}

fn report(counts: &Counts) {
    if counts.corrupt > 0 {
        eprintln!(
            "skipped {} corrupt or truncated line{}",
            counts.corrupt,
            if counts.corrupt == 1 { "" } else { "s" }
        );
    }
}

/// Why a `logs` command failed.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Bad flags.
    Usage(String),
    /// Reading or writing failed.
    Io(io::Error),
}

impl From<io::Error> for Failure {
    fn from(error: io::Error) -> Self {
        Failure::Io(error)
    }
}

fn folder(settings: &LogSettings) -> Result<&Path, Failure> {
    settings.dir.as_deref().ok_or_else(|| {
        Failure::Usage(
            "no log folder: set FASTSOCKET_LOG_DIR (environment or .env) or pass --log-dir".into(),
        )
    })
}

/// Prints matching records, keeping the first write error (the scanner's callback cannot return one).
struct Printer<'o> {
    out: &'o mut dyn Write,
    json: bool,
    ansi: bool,
    text: String,
    failed: Option<io::Error>,
}

impl Printer<'_> {
    fn emit(&mut self, line: &[u8], record: &Record<'_>) {
        if self.failed.is_some() {
            return;
        }
        let result = if self.json {
            self.out
                .write_all(line)
                .and_then(|()| self.out.write_all(b"\n"))
        } else {
            self.text.clear();
            record.write_text(&mut self.text, self.ansi);
            self.out.write_all(self.text.as_bytes())
        };
        if let Err(error) = result {
            self.failed = Some(error);
        }
    }

    /// The first write error, if any; else flushes.
    fn check(&mut self) -> Result<(), Failure> {
        match self.failed.take() {
            Some(error) => Err(error.into()),
            None => Ok(self.out.flush()?),
        }
    }
}

/// `logs tail`: the last matching records of every file in order, then (`--follow`) new ones until `stop`.
pub(crate) fn tail(
    settings: &LogSettings,
    args: TailArgs,
    out: &mut dyn Write,
    ansi: bool,
    stop: &dyn Fn() -> bool,
) -> Result<Counts, Failure> {
    let dir = folder(settings)?.to_owned();
    let filter = args
        .filter
        .into_filter(SystemTime::now())
        .map_err(Failure::Usage)?;
    let mut printer = Printer {
        out,
        json: args.json,
        ansi,
        text: String::new(),
        failed: None,
    };
    let mut scanner = Scanner::new(&filter);
    let files = if dir.is_dir() {
        log_files(&dir)?
    } else {
        Vec::new()
    };
    let active = active_path(&dir);
    let mut following: Option<File> = None;
    if args.all {
        for path in &files {
            let keep_open = *path == active && args.follow;
            following = read_file(&mut scanner, path, keep_open, &mut |l, r| {
                printer.emit(l, r);
            })?;
        }
    } else {
        let mut last: VecDeque<Vec<u8>> = VecDeque::with_capacity(args.lines.min(4096));
        for path in &files {
            let keep_open = *path == active && args.follow;
            following = read_file(&mut scanner, path, keep_open, &mut |line, _| {
                if args.lines == 0 {
                    return;
                }
                if last.len() == args.lines {
                    last.pop_front();
                }
                last.push_back(line.to_vec());
            })?;
        }
        for line in &last {
            if let Some(record) = Record::parse(line) {
                printer.emit(line, &record);
            }
        }
    }
    printer.check()?;
    if args.follow {
        let newest = files
            .iter()
            .filter_map(|p| rotation_stamp(p))
            .max()
            .map(str::to_owned);
        follow(&dir, &mut scanner, following, newest, &mut printer, stop)?;
    }
    Ok(scanner.counts)
}

/// Reads one file through the scanner; the active file, when following, is kept open at its end (a partial
/// last line waits in the scanner for the rest of it).
fn read_file(
    scanner: &mut Scanner<'_>,
    path: &Path,
    keep_open: bool,
    on_match: &mut dyn FnMut(&[u8], &Record<'_>),
) -> Result<Option<File>, Failure> {
    if keep_open {
        let mut file = match File::open(path) {
            Ok(file) => file,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(error.into()),
        };
        while scanner.read_from(&mut file, on_match)? > 0 {}
        return Ok(Some(file));
    }
    let opened = open(path).or_else(|error| {
        // Gzipped since the folder was listed: the same lines under another name.
        let mut gz = path.as_os_str().to_owned();
        gz.push(".gz");
        match error.kind() {
            io::ErrorKind::NotFound if path.extension().is_some_and(|e| e == "log") => {
                open(Path::new(&gz))
            }
            _ => Err(error),
        }
    });
    let mut input = match opened {
        Ok(input) => input,
        // Removed by retention since the folder was listed.
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error.into()),
    };
    if let Err(error) = scanner.read_all(&mut input, on_match) {
        // A damaged gzip file: what it held up to the damage was read; say so and go on.
        eprintln!("warning: {}: {error}", path.display());
        scanner.finish(on_match);
    }
    Ok(None)
}

/// How often `--follow` looks for new lines.
const POLL: Duration = Duration::from_millis(100);

/// Shows new lines of the active file as they come. When the file was rotated (the active name names another
/// file), reads the rest of the old one, then every file rotated since (several rotations can happen between
/// two looks), then follows the new active file from its start.
fn follow(
    dir: &Path,
    scanner: &mut Scanner<'_>,
    mut file: Option<File>,
    mut newest: Option<String>,
    printer: &mut Printer<'_>,
    stop: &dyn Fn() -> bool,
) -> Result<(), Failure> {
    let active = active_path(dir);
    loop {
        if let Some(open) = &mut file {
            while scanner.read_from(open, &mut |l, r| printer.emit(l, r))? > 0 {}
        }
        let replaced = match (&file, std::fs::metadata(&active)) {
            (None, Ok(_)) => true,
            (Some(open), Ok(now)) => !same_file(&open.metadata()?, &now),
            // Not there (rotated, the next one not written yet): keep the old one.
            (_, Err(_)) => false,
        };
        if replaced {
            let rotated: Vec<PathBuf> = log_files(dir)?
                .into_iter()
                .filter(|p| rotation_stamp(p).is_some_and(|s| newest.as_deref() < Some(s)))
                .collect();
            if let Some(last) = rotated.last().and_then(|p| rotation_stamp(p)) {
                newest = Some(last.to_owned());
            }
            let mut unseen = rotated.iter();
            if let Some(mut old) = file.take() {
                // Whatever was written between the last read and the rotation; the first file rotated since
                // is that one.
                while scanner.read_from(&mut old, &mut |l, r| printer.emit(l, r))? > 0 {}
                scanner.finish(&mut |l, r| printer.emit(l, r));
                unseen.next();
            }
            for path in unseen {
                read_file(scanner, path, false, &mut |l, r| printer.emit(l, r))?;
            }
            file = match File::open(&active) {
                Ok(new) => Some(new),
                Err(error) if error.kind() == io::ErrorKind::NotFound => None,
                Err(error) => return Err(error.into()),
            };
            continue;
        }
        // Flushed every round, so whoever reads the output sees lines as they come.
        printer.check()?;
        if stop() {
            return Ok(());
        }
        std::thread::sleep(POLL);
    }
}

#[cfg(unix)]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    // Without inodes: a rotated-away file shows as the active name getting shorter, or made anew.
    b.len() >= a.len() && a.created().ok() == b.created().ok()
}

/// `logs stats`: the figures of the matching event records.
pub(crate) fn stats(
    settings: &LogSettings,
    args: StatsArgs,
    out: &mut dyn Write,
) -> Result<Counts, Failure> {
    let dir = folder(settings)?;
    let filter = args
        .filter
        .into_filter(SystemTime::now())
        .map_err(Failure::Usage)?;
    let mut scanner = Scanner::new(&filter);
    let mut stats = Stats::default();
    let files: Vec<PathBuf> = if dir.is_dir() {
        log_files(dir)?
    } else {
        Vec::new()
    };
    for path in &files {
        read_file(&mut scanner, path, false, &mut |_, record| {
            stats.add(record)
        })?;
    }
    let figures = stats.figures();
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &figures).map_err(io::Error::from)?;
        out.write_all(b"\n")?;
    } else {
        out.write_all(table(&figures).as_bytes())?;
    }
    Ok(scanner.counts)
}
