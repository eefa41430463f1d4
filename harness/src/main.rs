//! The `harness` binary: parses the command line and hands it to the
//! subcommand's entry function in `harness::commands`. Bad arguments are one
//! line on stderr and exit code 2; a failed command says why and exits with
//! its `Failure`'s code.

use clap::Parser;
use harness::{cli, commands, platform, syscalls};
use std::process::ExitCode;

fn main() -> ExitCode {
    platform::quiet_on_closed_pipe();
    // A probe process (`--allocator-lib`'s check) answers and exits.
    if let Some(lib) = std::env::var_os(harness::shared_lib::ENV_PROBE) {
        return harness::shared_lib::probe::answer(std::path::Path::new(&lib));
    }
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return clap_error(&e),
    };
    syscalls::init_markers();
    match commands::dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            let message = f.to_string();
            if !message.is_empty() {
                eprintln!("harness: {message}");
            }
            ExitCode::from(f.code())
        }
    }
}

/// Help and version print as clap writes them; any other error is clap's
/// first line (which names the flag, the value and why), exit code 2.
fn clap_error(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    let rendered = e.to_string();
    let mut lines = rendered.lines().map(str::trim).filter(|l| !l.is_empty());
    let mut first = lines.next().unwrap_or("bad arguments").to_string();
    // "... were not provided:" names them on the next line.
    if first.ends_with(':') {
        if let Some(next) = lines.next() {
            first = format!("{first} {next}");
        }
    }
    eprintln!("harness: {}", first.trim_start_matches("error: "));
    ExitCode::from(2)
}
