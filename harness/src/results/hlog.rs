//! `.hlog`: HdrHistogram interval logs, one V2 DEFLATE base64 histogram per
//! interval (hdrhistogram's own writer), readable by Java's
//! HistogramLogProcessor and Python's hdrh. Written to a temporary file as
//! the run goes, so memory stays bounded however many windows there are;
//! read back whole by [`read`].

use super::read_error::ReadError;
use base64::Engine;
use hdrhistogram::serialization::interval_log::{
    IntervalLogIterator, IntervalLogWriterBuilder, IntervalLogWriterError, LogEntry,
    LogIteratorError,
};
use hdrhistogram::serialization::{Deserializer, V2DeflateSerializer};
use hdrhistogram::Histogram;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// An interval log being written to `<final>.partial`.
pub struct HlogFile {
    out: BufWriter<File>,
    serializer: V2DeflateSerializer,
    partial: PathBuf,
}

impl HlogFile {
    /// Starts a log with its header comments and start time.
    pub fn create(partial: &Path, comment: &str, start: SystemTime) -> std::io::Result<HlogFile> {
        let mut out = BufWriter::new(File::create(partial)?);
        let mut serializer = V2DeflateSerializer::new();
        IntervalLogWriterBuilder::new()
            .add_comment(comment)
            .add_comment("Values in nanoseconds; Interval_Max in nanoseconds (divisor 1)")
            .with_start_time(start)
            .with_base_time(start)
            .begin_log_with(&mut out, &mut serializer)?;
        writeln!(out, "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"")?;
        Ok(HlogFile {
            out,
            serializer,
            partial: partial.to_path_buf(),
        })
    }

    /// Appends one interval: `start` after the log's base time, lasting
    /// `length`. The error is a sentence naming the file and the cause.
    pub fn interval(
        &mut self,
        h: &Histogram<u64>,
        start: Duration,
        length: Duration,
    ) -> Result<(), String> {
        let written = IntervalLogWriterBuilder::new()
            .begin_log_with(&mut self.out, &mut self.serializer)
            .map_err(IntervalLogWriterError::IoError)
            .and_then(|mut writer| writer.write_histogram(h, start, length, None));
        written.map_err(|e| match e {
            IntervalLogWriterError::IoError(io) => self.failed(&io),
            IntervalLogWriterError::SerializeError(e) => self.failed(&e),
        })
    }

    /// Flushes and syncs; the caller renames the partial file into place.
    pub fn finish(mut self) -> Result<PathBuf, String> {
        self.out.flush().map_err(|e| self.failed(&e))?;
        self.out.get_ref().sync_all().map_err(|e| self.failed(&e))?;
        Ok(self.partial)
    }

    /// "writing the interval log <file>: <cause>".
    fn failed(&self, cause: &dyn std::fmt::Display) -> String {
        format!(
            "writing the interval log {}: {cause}",
            self.partial.display()
        )
    }
}

/// Every interval histogram of the log at `path`, in order; None when there
/// is no such file. A damaged file is an error that names the file, the
/// line and what it most likely means.
pub fn read(path: &Path) -> Result<Option<Vec<Histogram<u64>>>, ReadError> {
    Ok(read_timed(path)?.map(|v| v.into_iter().map(|t| t.histogram).collect()))
}

/// One interval of a log: when it began (after the log's base time), how
/// long it lasted, and its histogram.
pub struct TimedInterval {
    pub start: Duration,
    pub length: Duration,
    pub histogram: Histogram<u64>,
}

/// Every interval of the log at `path` with its times (as [`read`]).
pub fn read_timed(path: &Path) -> Result<Option<Vec<TimedInterval>>, ReadError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(ReadError::Io {
                path: path.into(),
                source,
            })
        }
    };
    let mut de = Deserializer::new();
    let mut out = Vec::new();
    for entry in IntervalLogIterator::new(&bytes) {
        let entry = entry.map_err(|e| unreadable_line(path, &bytes, e))?;
        if let LogEntry::Interval(interval) = entry {
            let raw = base64::engine::general_purpose::STANDARD
                .decode(interval.encoded_histogram())
                .map_err(|e| ReadError::content(path, format!("base64: {e}")))?;
            let h: Histogram<u64> = de.deserialize(&mut raw.as_slice()).map_err(|e| {
                ReadError::content(
                    path,
                    format!(
                        "interval at {}s: its histogram cannot be decoded ({e}); the file is damaged",
                        interval.start_timestamp().as_secs_f64()
                    ),
                )
            })?;
            out.push(TimedInterval {
                start: interval.start_timestamp(),
                length: interval.duration(),
                histogram: h,
            });
        }
    }
    Ok(Some(out))
}

/// A sentence for an .hlog line the interval-log parser refused: which file,
/// which line, and what it most likely means.
fn unreadable_line(path: &Path, bytes: &[u8], e: LogIteratorError) -> ReadError {
    let LogIteratorError::ParseError { offset } = e;
    let line = bytes[..offset.min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1;
    let truncated = !bytes.ends_with(b"\n");
    ReadError::content(
        path,
        format!(
            "line {line} (byte {offset}) is not an interval-log line{}",
            if truncated {
                "; the file ends mid-line, so it was probably cut short (a killed run, or a partial copy)"
            } else {
                "; the file is damaged or not an HdrHistogram interval log"
            }
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// /dev/full takes opening and refuses every write with ENOSPC: a
    /// disk that fills mid-run.
    #[test]
    fn a_full_disk_is_a_sentence_naming_the_file_and_the_cause() {
        let full = Path::new("/dev/full");
        if !full.exists() {
            return;
        }
        // The header may fit the buffer; the intervals and the flush cannot.
        let mut log = match HlogFile::create(full, "test", SystemTime::now()) {
            Ok(log) => log,
            Err(e) => panic!("opening /dev/full: {e}"),
        };
        let mut h = Histogram::<u64>::new_with_bounds(1, 1_000_000, 3).unwrap();
        h.record(42).unwrap();
        let wrote = (0..1000)
            .try_for_each(|_| log.interval(&h, Duration::ZERO, Duration::from_secs(1)))
            .and_then(|()| log.finish().map(drop));
        let e = wrote.expect_err("/dev/full refuses the writes");
        assert!(
            e.starts_with("writing the interval log /dev/full: No space left on device"),
            "{e}"
        );
        assert!(!e.contains("Os {"), "no Debug formatting: {e}");
    }
}
