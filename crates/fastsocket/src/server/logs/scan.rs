//! Reading log lines fast: big reads, lines found with `memchr`, and with a filter the rarest-looking needle
//! searched across the whole buffer (`memmem`), so only the lines around its hits are looked at and parsed.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use memchr::memmem::Finder;

use super::query::Filter;
use super::record::Record;

/// How much is read at once.
const READ_SIZE: usize = 4 << 20;

/// What a scan saw besides the matches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Lines looked at that are not records (corrupt, or truncated by a crash), skipped.
    pub corrupt: u64,
    /// Records that matched.
    pub matched: u64,
}

/// Feeds bytes through a filter, calling back with each matching line and its record.
pub struct Scanner<'f> {
    filter: &'f Filter,
    /// The longest needle, searched across the buffer.
    primary: Option<Finder<'static>>,
    /// The others, checked on the lines the primary hit.
    others: Vec<Finder<'static>>,
    buf: Vec<u8>,
    /// Bytes of `buf` holding data (a partial line at the front after a read).
    len: usize,
    /// What was seen.
    pub counts: Counts,
}

impl std::fmt::Debug for Scanner<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scanner")
            .field("filter", &self.filter)
            .field("counts", &self.counts)
            .finish_non_exhaustive()
    }
}

impl<'f> Scanner<'f> {
    /// A scanner for `filter`.
    pub fn new(filter: &'f Filter) -> Self {
        let mut needles = filter.needles();
        needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
        let mut finders = needles.into_iter().map(|n| Finder::new(&n).into_owned());
        Scanner {
            filter,
            primary: finders.next(),
            others: finders.collect(),
            buf: vec![0; READ_SIZE],
            len: 0,
            counts: Counts::default(),
        }
    }

    /// Reads once from `input` and handles every complete line so far; a partial last line waits for more.
    /// Returns the bytes read (0 at the end of `input`).
    pub fn read_from(
        &mut self,
        input: &mut impl Read,
        on_match: &mut dyn FnMut(&[u8], &Record<'_>),
    ) -> io::Result<usize> {
        if self.len == self.buf.len() {
            // One line longer than the buffer: make room rather than cut it.
            self.buf.resize(self.buf.len() * 2, 0);
        }
        let read = loop {
            match input.read(&mut self.buf[self.len..]) {
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                other => break other?,
            }
        };
        let end = self.len + read;
        let complete = memchr::memrchr(b'\n', &self.buf[self.len..end]).map(|i| self.len + i + 1);
        if let Some(complete) = complete {
            self.process(complete, on_match);
            self.buf.copy_within(complete..end, 0);
            self.len = end - complete;
        } else {
            self.len = end;
        }
        Ok(read)
    }

    /// The end of the input: a last line without its newline is handled (and counted as corrupt when it was
    /// cut short).
    pub fn finish(&mut self, on_match: &mut dyn FnMut(&[u8], &Record<'_>)) {
        if self.len > 0 {
            let len = std::mem::take(&mut self.len);
            self.process(len, on_match);
        }
    }

    /// Handles the lines of `buf[..end]`.
    fn process(&mut self, end: usize, on_match: &mut dyn FnMut(&[u8], &Record<'_>)) {
        process(
            &self.buf[..end],
            self.primary.as_ref(),
            &self.others,
            self.filter,
            &mut self.counts,
            on_match,
        );
    }

    /// Reads `input` to its end, then [`finish`](Self::finish)es.
    pub fn read_all(
        &mut self,
        input: &mut impl Read,
        on_match: &mut dyn FnMut(&[u8], &Record<'_>),
    ) -> io::Result<()> {
        while self.read_from(input, on_match)? > 0 {}
        self.finish(on_match);
        Ok(())
    }
}

/// Opens a log file, decompressing a `.gz` one.
pub fn open(path: &Path) -> io::Result<Box<dyn Read>> {
    let file = File::open(path)?;
    Ok(if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2::read::MultiGzDecoder::new(BufReader::with_capacity(
            1 << 20,
            file,
        )))
    } else {
        Box::new(file)
    })
}

/// Handles the complete lines of `data`.
fn process(
    data: &[u8],
    primary: Option<&Finder<'_>>,
    others: &[Finder<'_>],
    filter: &Filter,
    counts: &mut Counts,
    on_match: &mut dyn FnMut(&[u8], &Record<'_>),
) {
    let mut line = |line: &[u8]| {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        if !others.iter().all(|f| f.find(line).is_some()) {
            return;
        }
        match Record::parse(line) {
            Some(record) => {
                if filter.matches(&record, line) {
                    counts.matched += 1;
                    on_match(line, &record);
                }
            }
            None => counts.corrupt += 1,
        }
    };
    let Some(primary) = primary else {
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', data) {
            line(&data[start..end]);
            start = end + 1;
        }
        if start < data.len() {
            line(&data[start..]);
        }
        return;
    };
    let mut pos = 0;
    while pos < data.len() {
        let Some(hit) = primary.find(&data[pos..]) else {
            break;
        };
        let hit = pos + hit;
        // `pos` is always the start of a line.
        let start = memchr::memrchr(b'\n', &data[pos..hit]).map_or(pos, |i| pos + i + 1);
        let end = memchr::memchr(b'\n', &data[hit..]).map_or(data.len(), |i| hit + i);
        line(&data[start..end]);
        pos = end + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(filter: &Filter, input: &[u8], read_size: usize) -> (Vec<String>, Counts) {
        let mut scanner = Scanner::new(filter);
        scanner.buf = vec![0; read_size];
        let mut seen = Vec::new();
        scanner
            .read_all(&mut &input[..], &mut |line, _| {
                seen.push(String::from_utf8_lossy(line).into_owned());
            })
            .unwrap();
        (seen, scanner.counts)
    }

    const LOG: &str = concat!(
        r#"{"ts":"2026-12-07T18:00:00.000Z","level":"info","kind":"event","event":"send","outcome":"ok"}"#,
        "\n",
        r#"{"ts":"2026-12-07T18:00:01.000Z","level":"info","kind":"event","event":"join","outcome":"ok"}"#,
        "\n",
        r#"{"ts":"2026-12-07T18:00:02.000Z","level":"info","kind":"event","event":"se"#,
        "\n",
        "not json at all \"event\":\"send\"\n",
        "\n",
        r#"{"ts":"2026-12-07T18:00:03.000Z","level":"warn","kind":"event","event":"send","outcome":"error","code":"internal"}"#,
        "\n",
        r#"{"ts":"2026-12-07T18:00:04.000Z","level":"info","kind":"event","event":"send""#,
    );

    #[test]
    fn corrupt_and_truncated_lines_are_skipped_and_counted() {
        for size in [7, 64, 4096] {
            let (all, counts) = scan(&Filter::default(), LOG.as_bytes(), size);
            assert_eq!(all.len(), 3, "{size}");
            assert_eq!(counts.corrupt, 3, "{size}");
            let send = Filter {
                event: Some("send".into()),
                ..Filter::default()
            };
            let (sent, counts) = scan(&send, LOG.as_bytes(), size);
            assert_eq!(sent.len(), 2, "{size}");
            assert!(sent.iter().all(|l| l.contains("\"send\"")));
            // The lines that could match but are not records: the cut-off last one and the text line.
            assert_eq!(counts.corrupt, 2, "{size}");
            assert_eq!(counts.matched, 2);
        }
    }

    #[test]
    fn every_hit_of_a_line_counts_once() {
        let line = r#"{"ts":"2026-12-07T18:00:00.000Z","level":"info","kind":"log","message":"send send send"}"#;
        let filter = Filter {
            grep: Some("send".into()),
            ..Filter::default()
        };
        let (seen, _) = scan(&filter, format!("{line}\n{line}\n").as_bytes(), 4096);
        assert_eq!(seen.len(), 2);
    }
}
