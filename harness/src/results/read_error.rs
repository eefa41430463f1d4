//! What can be wrong with a results directory a user points the harness at
//! (`plot`, `report`, `compare`, `verify`): each error names the file, and
//! where the format allows, the line or byte, and what is wrong in words.

use std::path::PathBuf;

/// A results file that cannot be read as the harness wrote it.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// summary.csv is not there: the directory is probably not results.
    #[error("{}: {source} (is {} a results directory written by the harness?)", path.display(), dir.display())]
    NotResults {
        path: PathBuf,
        dir: PathBuf,
        source: std::io::Error,
    },
    /// A file that exists but cannot be read.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// meta.json that is not the harness's JSON.
    #[error("{}: line {line}, column {column}: {source}", path.display())]
    Json {
        path: PathBuf,
        line: usize,
        column: usize,
        source: serde_json::Error,
    },
    /// A file whose content is wrong: what, in words.
    #[error("{}: {what}", path.display())]
    Content { path: PathBuf, what: String },
    /// A reader that already names its file in its message (spread.csv,
    /// counts.csv).
    #[error("{0}")]
    Described(String),
}

impl ReadError {
    pub fn content(path: impl Into<PathBuf>, what: impl Into<String>) -> ReadError {
        ReadError::Content {
            path: path.into(),
            what: what.into(),
        }
    }
}

/// The renderers' own errors are still sentences (`String`); a read error
/// becomes its sentence.
impl From<ReadError> for String {
    fn from(e: ReadError) -> String {
        e.to_string()
    }
}
