//! `.hlog`: HdrHistogram interval logs, one V2 DEFLATE base64 histogram per
//! interval (hdrhistogram's own writer), readable by Java's
//! HistogramLogProcessor and Python's hdrh. Written to a temporary file as
//! the run goes, so memory stays bounded however many windows there are.

use hdrhistogram::serialization::interval_log::IntervalLogWriterBuilder;
use hdrhistogram::serialization::V2DeflateSerializer;
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

    /// Appends one interval: `start` after the log's base time, lasting `length`.
    pub fn interval(
        &mut self,
        h: &Histogram<u64>,
        start: Duration,
        length: Duration,
    ) -> std::io::Result<()> {
        let mut writer = IntervalLogWriterBuilder::new()
            .begin_log_with(&mut self.out, &mut self.serializer)
            .map_err(std::io::Error::other)?;
        writer
            .write_histogram(h, start, length, None)
            .map_err(|e| std::io::Error::other(format!("{e:?}")))
    }

    /// Flushes and syncs; the caller renames the partial file into place.
    pub fn finish(mut self) -> std::io::Result<PathBuf> {
        self.out.flush()?;
        self.out.get_ref().sync_all()?;
        Ok(self.partial)
    }
}
