//! Command lines for this binary's own child processes (rounds, A/B
//! sides, library rows): a command line with some flags taken out, the
//! rest kept in order. clap has already checked every flag, so what is
//! left is valid.

use std::ffi::{OsStr, OsString};

/// `words` without the flags in `valued` (each with its value, in the
/// same word after `=` or in the next) and those in `switches`, the rest
/// kept in order.
pub fn strip(words: &[OsString], valued: &[&str], switches: &[&str]) -> Vec<OsString> {
    let mut out = Vec::new();
    let mut rest = words.iter();
    while let Some(arg) = rest.next() {
        let flag = arg
            .to_str()
            .map(|a| a.split_once('=').map_or(a, |(f, _)| f));
        match flag {
            Some(f) if valued.contains(&f) => {
                if !has_inline_value(arg) {
                    rest.next();
                }
            }
            Some(f) if switches.contains(&f) => {}
            _ => out.push(arg.clone()),
        }
    }
    out
}

/// Whether `--flag=value` carries its value in the same word.
fn has_inline_value(arg: &OsStr) -> bool {
    arg.to_str().is_some_and(|a| a.contains('='))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<OsString> {
        s.split_whitespace().map(OsString::from).collect()
    }

    #[test]
    fn valued_flags_go_with_their_values_in_either_form_switches_alone() {
        assert_eq!(
            strip(
                &words("replay t --out d --allocator=pmad --force --cpu 1"),
                &["--out", "--allocator"],
                &["--force"]
            ),
            words("replay t --cpu 1")
        );
    }
}
