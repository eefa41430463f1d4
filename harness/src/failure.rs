//! Why the harness stops, and the exit code each kind of stop gives: 2 for
//! bad input (nothing measured or written), 1 for a run or a write that
//! could not complete, a child's own code when the child already said why.
//! Every message is one sentence that names the file, flag or value at fault.

/// A stop of the harness.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// Bad input: a flag, a value, a results directory or a file in it.
    #[error("{0}")]
    Usage(String),
    /// A run that could not complete: a pool ran out, a child failed.
    #[error("{0}")]
    Run(String),
    /// Writing results failed.
    #[error("{0}")]
    Io(String),
    /// A child already said why: exit with its code, saying nothing more.
    #[error("")]
    Silent(u8),
}

impl Failure {
    /// Bad input: exit code 2.
    pub fn usage(message: String) -> Failure {
        Failure::Usage(message)
    }
    /// A run that could not complete: exit code 1.
    pub fn run(message: String) -> Failure {
        Failure::Run(message)
    }
    /// Writing results failed: exit code 1.
    pub fn io(message: String) -> Failure {
        Failure::Io(message)
    }
    /// Exit with `code`, saying nothing more: a child already said why.
    pub fn silent(code: u8) -> Failure {
        Failure::Silent(code)
    }

    /// The process's exit code.
    pub fn code(&self) -> u8 {
        match self {
            Failure::Usage(_) => 2,
            Failure::Run(_) | Failure::Io(_) => 1,
            Failure::Silent(code) => *code,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_has_its_exit_code_and_says_its_message() {
        let bad = Failure::usage("--ops 0: must be at least 1".into());
        assert_eq!(
            (bad.code(), bad.to_string().as_str()),
            (2, "--ops 0: must be at least 1")
        );
        assert_eq!(Failure::run("pool ran out".into()).code(), 1);
        assert_eq!(Failure::io("disk full".into()).code(), 1);
        let quiet = Failure::silent(7);
        assert_eq!((quiet.code(), quiet.to_string()), (7, String::new()));
    }
}
