//! The log folder on disk: the active file `server.log`, rotated by size and by time into
//! `server.<UTC time of the rotation>.log` (gzipped to `.log.gz` when asked), the oldest removed by count and
//! by age.
//!
//! Written here rather than with a rotation crate: the maintained ones (file-rotate, logroller) rotate by size
//! *or* by time and keep files by count *or* by age, where an operator wants both, and none takes a clock, so
//! time-based rotation could not be tested without waiting an hour.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::settings::{LOG_FILE_STEM, LogSettings};

/// Where the time comes from (tests move it by hand).
pub type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(SystemTime::now)
}

/// The active file of a log folder.
pub fn active_path(dir: &Path) -> PathBuf {
    dir.join(format!("{LOG_FILE_STEM}.log"))
}

/// A log folder's files, oldest first, the active file last: rotated files in the order of their names (the
/// UTC time of their rotation), a file both gzipped and not (compression in progress) once.
pub fn log_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut rotated: Vec<(String, PathBuf)> = Vec::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if let Some(stamp) = rotated_stamp(name) {
            rotated.push((stamp.to_owned(), path));
        }
    }
    // Plain before gzipped for the same stamp, so the duplicate dropped is the one being written.
    rotated.sort();
    rotated.dedup_by(|later, earlier| later.0 == earlier.0);
    let mut files: Vec<PathBuf> = rotated.into_iter().map(|(_, p)| p).collect();
    let active = active_path(dir);
    if active.is_file() {
        files.push(active);
    }
    Ok(files)
}

/// The time stamp in a rotated file's name, which orders rotated files (`None` for the active file).
pub fn rotation_stamp(path: &Path) -> Option<&str> {
    rotated_stamp(path.file_name()?.to_str()?)
}

/// The time stamp of a rotated file's name (`server.20261207T185858.123Z.log[.gz]` → `20261207T185858.123Z`).
fn rotated_stamp(name: &str) -> Option<&str> {
    let rest = name.strip_prefix(LOG_FILE_STEM)?.strip_prefix('.')?;
    let stamp = rest
        .strip_suffix(".log.gz")
        .or_else(|| rest.strip_suffix(".log"))?;
    (stamp.len() == STAMP_LEN && stamp.ends_with('Z')).then_some(stamp)
}

const STAMP_LEN: usize = "20261207T185858.123Z".len();

/// `20261207T185858.123Z`: sorts as it orders in time.
fn stamp(at: SystemTime) -> String {
    let rfc = humantime::format_rfc3339_millis(at).to_string();
    // 2026-12-07T18:58:58.123Z
    rfc.chars().filter(|c| *c != '-' && *c != ':').collect()
}

/// The time a stamp names.
fn stamp_time(stamp: &str) -> Option<SystemTime> {
    let b = stamp.as_bytes();
    if b.len() != STAMP_LEN {
        return None;
    }
    let s = |r: std::ops::Range<usize>| stamp.get(r).unwrap_or("");
    let rfc = format!(
        "{}-{}-{}T{}:{}:{}",
        s(0..4),
        s(4..6),
        s(6..8),
        s(9..11),
        s(11..13),
        s(13..STAMP_LEN)
    );
    humantime::parse_rfc3339_weak(&rfc).ok()
}

/// The number of the time period `at` falls in (hours or days since the epoch, UTC).
fn period_of(at: SystemTime, period: Duration) -> u64 {
    at.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs() / period.as_secs().max(1)
}

/// The active log file, rotated as its settings say. Writes whole lines, so a line is never split between two
/// files.
pub struct RotatingFile {
    dir: PathBuf,
    settings: LogSettings,
    clock: Clock,
    file: Option<BufWriter<File>>,
    size: u64,
    /// The time period of the active file's first line (time-based rotation).
    period: Option<u64>,
}

impl std::fmt::Debug for RotatingFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RotatingFile")
            .field("dir", &self.dir)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

impl RotatingFile {
    /// Opens (creating the folder and file as needed) the active file of `dir`, appending; an existing file
    /// from an earlier period is rotated first.
    pub fn open(dir: &Path, settings: &LogSettings, clock: Clock) -> io::Result<Self> {
        fs::create_dir_all(dir)?;
        let mut this = RotatingFile {
            dir: dir.to_owned(),
            settings: settings.clone(),
            clock,
            file: None,
            size: 0,
            period: None,
        };
        let active = active_path(dir);
        if let Ok(meta) = fs::metadata(&active) {
            this.size = meta.len();
            if let (Some(period), Ok(modified)) = (settings.rotate.period(), meta.modified()) {
                this.period = Some(period_of(modified, period));
            }
        }
        this.rotate_if_due(0)?;
        this.prune()?;
        Ok(this)
    }

    /// Appends one line (which ends with `\n`), rotating first when the line would take the file past its size
    /// limit, or when the time period changed.
    pub fn write_line(&mut self, line: &[u8]) -> io::Result<()> {
        self.rotate_if_due(line.len() as u64)?;
        let file = match &mut self.file {
            Some(file) => file,
            None => self.file.insert(BufWriter::with_capacity(
                64 * 1024,
                OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(active_path(&self.dir))?,
            )),
        };
        file.write_all(line)?;
        self.size += line.len() as u64;
        Ok(())
    }

    /// Writes buffered lines to the file.
    pub fn flush(&mut self) -> io::Result<()> {
        match &mut self.file {
            Some(file) => file.flush(),
            None => Ok(()),
        }
    }

    fn rotate_if_due(&mut self, adding: u64) -> io::Result<()> {
        let now = (self.clock)();
        let now_period = self.settings.rotate.period().map(|p| period_of(now, p));
        let by_time = self.size > 0
            && now_period.is_some()
            && self.period.is_some()
            && self.period != now_period;
        let by_size = self.settings.max_bytes > 0
            && self.size > 0
            && self.size.saturating_add(adding) > self.settings.max_bytes;
        if by_time || by_size {
            self.rotate(now)?;
        }
        if self.size == 0 || self.period.is_none() {
            self.period = now_period;
        }
        Ok(())
    }

    /// Renames the active file to its rotated name, starts a new one, compresses and prunes.
    fn rotate(&mut self, now: SystemTime) -> io::Result<()> {
        if let Some(mut file) = self.file.take() {
            file.flush()?;
        }
        let active = active_path(&self.dir);
        // Two rotations within a millisecond: the later one takes the next free millisecond, so names still
        // sort in order.
        let mut at = now;
        let rotated = loop {
            let name = stamp(at);
            let plain = self.dir.join(format!("{LOG_FILE_STEM}.{name}.log"));
            let gz = self.dir.join(format!("{LOG_FILE_STEM}.{name}.log.gz"));
            if !plain.exists() && !gz.exists() {
                break plain;
            }
            at += Duration::from_millis(1);
        };
        fs::rename(&active, &rotated)?;
        self.size = 0;
        self.period = None;
        if self.settings.compress {
            // On a thread of its own: gzipping 100 MB takes seconds the writer must not wait.
            let keep = (self.dir.clone(), self.settings.clone(), self.clock.clone());
            std::thread::Builder::new()
                .name("fastsocket-log-gzip".into())
                .spawn(move || {
                    if let Err(error) = gzip(&rotated) {
                        eprintln!("fastsocket: cannot compress {}: {error}", rotated.display());
                    }
                    let _ = prune(&keep.0, &keep.1, (keep.2)());
                })?;
        }
        self.prune()
    }

    fn prune(&self) -> io::Result<()> {
        prune(&self.dir, &self.settings, (self.clock)())
    }

    /// Compresses every rotated file still plain (files left by a server stopped mid-compression), waiting.
    pub fn compress_pending(&self) -> io::Result<()> {
        if !self.settings.compress {
            return Ok(());
        }
        for path in log_files(&self.dir)? {
            if path.extension().is_some_and(|e| e == "log") && path != active_path(&self.dir) {
                gzip(&path)?;
            }
        }
        Ok(())
    }
}

/// `x.log` → `x.log.gz` (written beside as `x.log.gz.tmp`, then renamed, then `x.log` removed).
pub fn gzip(path: &Path) -> io::Result<()> {
    let mut gz_name = path.as_os_str().to_owned();
    gz_name.push(".gz");
    let gz = PathBuf::from(gz_name);
    let mut tmp_name = gz.as_os_str().to_owned();
    tmp_name.push(".tmp");
    let tmp = PathBuf::from(tmp_name);
    {
        let mut input = File::open(path)?;
        let mut encoder = flate2::write::GzEncoder::new(
            BufWriter::new(File::create(&tmp)?),
            flate2::Compression::default(),
        );
        io::copy(&mut input, &mut encoder)?;
        encoder.finish()?.flush()?;
    }
    fs::rename(&tmp, &gz)?;
    fs::remove_file(path)
}

/// Removes the rotated files beyond the count limit (oldest first) and those rotated before the age limit.
fn prune(dir: &Path, settings: &LogSettings, now: SystemTime) -> io::Result<()> {
    let active = active_path(dir);
    let rotated: Vec<PathBuf> = log_files(dir)?
        .into_iter()
        .filter(|p| *p != active)
        .collect();
    let excess = if settings.keep_files == 0 {
        0
    } else {
        rotated.len().saturating_sub(settings.keep_files)
    };
    let max_age =
        (settings.keep_days > 0).then(|| Duration::from_secs(settings.keep_days * 86_400));
    for (i, path) in rotated.iter().enumerate() {
        let rotated_at = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(rotated_stamp)
            .and_then(stamp_time);
        let too_old = match (max_age, rotated_at) {
            (Some(max), Some(at)) => now.duration_since(at).is_ok_and(|age| age > max),
            _ => false,
        };
        if i < excess || too_old {
            remove(path)?;
        }
    }
    Ok(())
}

/// Removes a file; one already gone (another pruner was first) is fine.
fn remove(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// A clock at a given number of seconds since the epoch, moved by the test.
    fn clock(start: u64) -> (Clock, Arc<AtomicU64>) {
        let secs = Arc::new(AtomicU64::new(start));
        let read = secs.clone();
        (
            Arc::new(move || UNIX_EPOCH + Duration::from_secs(read.load(Ordering::SeqCst))),
            secs,
        )
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    // 2026-12-07T18:00:00Z
    const T0: u64 = 1_796_666_400;

    #[test]
    fn stamps_order_in_time_and_read_back() {
        let at = UNIX_EPOCH + Duration::from_millis(T0 * 1000 + 123);
        assert_eq!(stamp(at), "20261207T180000.123Z");
        assert_eq!(stamp_time("20261207T180000.123Z"), Some(at));
        assert_eq!(
            rotated_stamp("server.20261207T180000.123Z.log.gz"),
            Some("20261207T180000.123Z")
        );
        assert_eq!(rotated_stamp("server.log"), None);
        assert_eq!(rotated_stamp("server.x.log"), None);
        assert_eq!(rotated_stamp("other.20261207T180000.123Z.log"), None);
    }

    #[test]
    fn rotates_by_size_at_line_boundaries() {
        let dir = tempfile::tempdir().unwrap();
        let (clock, _) = clock(T0);
        let settings = LogSettings {
            max_bytes: 25,
            rotate: super::super::settings::Rotate::Never,
            keep_files: 0,
            keep_days: 0,
            ..LogSettings::default()
        };
        let mut file = RotatingFile::open(dir.path(), &settings, clock).unwrap();
        for i in 0..5 {
            file.write_line(format!("line number {i}\n").as_bytes())
                .unwrap();
        }
        file.flush().unwrap();
        let files = log_files(dir.path()).unwrap();
        // 14 bytes a line, 25 a file: one line per file, each rotation a millisecond later.
        assert_eq!(files.len(), 5, "{:?}", names(dir.path()));
        let contents: Vec<String> = files
            .iter()
            .map(|p| fs::read_to_string(p).unwrap())
            .collect();
        assert_eq!(
            contents,
            (0..5)
                .map(|i| format!("line number {i}\n"))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn rotates_by_time_and_prunes_by_count_and_age() {
        let dir = tempfile::tempdir().unwrap();
        let (clock, secs) = clock(T0);
        let settings = LogSettings {
            max_bytes: 0,
            rotate: super::super::settings::Rotate::Hourly,
            keep_files: 3,
            keep_days: 1,
            ..LogSettings::default()
        };
        let mut file = RotatingFile::open(dir.path(), &settings, clock.clone()).unwrap();
        file.write_line(b"a\n").unwrap();
        secs.fetch_add(1800, Ordering::SeqCst);
        file.write_line(b"b\n").unwrap();
        assert_eq!(names(dir.path()), ["server.log"]);
        // Next hour: rotated at the first line written in it.
        secs.fetch_add(1800, Ordering::SeqCst);
        file.write_line(b"c\n").unwrap();
        file.flush().unwrap();
        assert_eq!(
            names(dir.path()),
            ["server.20261207T190000.000Z.log", "server.log"]
        );
        assert_eq!(
            fs::read_to_string(dir.path().join("server.20261207T190000.000Z.log")).unwrap(),
            "a\nb\n"
        );
        // Five more hours: only three rotated files are kept.
        for _ in 0..5 {
            secs.fetch_add(3600, Ordering::SeqCst);
            file.write_line(b"d\n").unwrap();
        }
        let kept = names(dir.path());
        assert_eq!(
            kept,
            [
                "server.20261207T220000.000Z.log",
                "server.20261207T230000.000Z.log",
                "server.20261208T000000.000Z.log",
                "server.log"
            ]
        );
        // Two days later, by age: every rotated file goes (the active one stays; not rotated by time here, as
        // its modification time is the real clock's).
        secs.fetch_add(2 * 86_400, Ordering::SeqCst);
        drop(file);
        let by_size = LogSettings {
            rotate: super::super::settings::Rotate::Never,
            ..settings
        };
        drop(RotatingFile::open(dir.path(), &by_size, clock).unwrap());
        assert_eq!(names(dir.path()), ["server.log"]);
    }

    #[test]
    fn gzip_keeps_the_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.20261207T190000.000Z.log");
        fs::write(&path, "one\ntwo\n").unwrap();
        gzip(&path).unwrap();
        assert_eq!(names(dir.path()), ["server.20261207T190000.000Z.log.gz"]);
        let mut text = String::new();
        io::Read::read_to_string(
            &mut flate2::read::MultiGzDecoder::new(
                File::open(dir.path().join("server.20261207T190000.000Z.log.gz")).unwrap(),
            ),
            &mut text,
        )
        .unwrap();
        assert_eq!(text, "one\ntwo\n");
    }
}
