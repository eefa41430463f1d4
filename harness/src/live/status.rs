//! How a run of the command ended, in words.

use std::process::ExitStatus;

/// The status as words: `exit 0`, `exit 3`, `signal 6 (SIGABRT)`.
pub fn describe(status: &ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(c), _) => format!("exit {c}"),
        (None, Some(s)) => format!("signal {s}{}", signal_name(s)),
        _ => "unknown".into(),
    }
}

fn signal_name(s: i32) -> &'static str {
    match s {
        6 => " (SIGABRT)",
        9 => " (SIGKILL)",
        11 => " (SIGSEGV)",
        15 => " (SIGTERM)",
        _ => "",
    }
}
