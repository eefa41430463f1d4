//! The reference docs (docs/*.md) and README name only flags that exist:
//! each file says whose flags it documents (`<!-- flags of: harness;
//! harness live; run_all.sh -->`) and which it quotes from other tools
//! (`<!-- not ours: --release -->`), and every `--flag` in it must be in
//! the `--help` of one of those commands.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The `--help` text of `command` ("harness", "harness live", "run_all.sh").
fn help(command: &str) -> String {
    let out = if command == "run_all.sh" {
        Command::new("bash")
            .arg(workspace().join("run_all.sh"))
            .arg("--help")
            .output()
    } else {
        let mut words = command.split_whitespace();
        assert_eq!(
            words.next(),
            Some("harness"),
            "{command}: not a command of ours"
        );
        Command::new(env!("CARGO_BIN_EXE_harness"))
            .args(words)
            .arg("--help")
            .output()
    }
    .expect("run --help");
    assert!(out.status.success(), "{command} --help: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every `--flag` token in `text` (a letter after the dashes: `--` alone
/// is not one).
fn flags(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let b = text.as_bytes();
    let mut i = 0;
    while let Some(at) = text[i..].find("--") {
        let start = i + at;
        let before = start.checked_sub(1).map(|k| b[k]);
        let mut end = start + 2;
        while end < b.len()
            && (b[end].is_ascii_lowercase() || b[end].is_ascii_digit() || b[end] == b'-')
        {
            end += 1;
        }
        let word = &text[start..end];
        let is_flag = word.len() > 2
            && b[start + 2].is_ascii_lowercase()
            && !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == b'-');
        if is_flag {
            out.insert(word.trim_end_matches('-').to_string());
        }
        i = end.max(start + 2);
    }
    out
}

/// The list after `<!-- key:` in `text`, split at `sep`.
fn header(text: &str, key: &str, sep: char) -> Vec<String> {
    let Some(at) = text.find(&format!("<!-- {key}:")) else {
        return Vec::new();
    };
    let rest = &text[at + key.len() + 6..];
    let end = rest.find("-->").expect("a closed header comment");
    rest[..end]
        .split(sep)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

fn documents() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(workspace().join("docs"))
        .expect("docs/")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    files.sort();
    files.push(workspace().join("README.md"));
    files
}

#[test]
fn every_documented_flag_is_in_its_commands_help() {
    let mut wrong = Vec::new();
    for file in documents() {
        let text = std::fs::read_to_string(&file).unwrap();
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let commands = header(&text, "flags of", ';');
        let theirs: BTreeSet<String> = header(&text, "not ours", ' ').into_iter().collect();
        let body: String = text
            .lines()
            .filter(|l| !l.starts_with("<!-- flags of:") && !l.starts_with("<!-- not ours:"))
            .collect::<Vec<_>>()
            .join("\n");
        let mut named = flags(&body);
        // Every command takes --help; a tool's flags quoted are not ours.
        named.retain(|f| f != "--help" && !theirs.contains(f));
        if commands.is_empty() {
            if !named.is_empty() {
                wrong.push(format!(
                    "{name}: names {named:?} but no <!-- flags of: ... --> header"
                ));
            }
            continue;
        }
        let helps: Vec<String> = commands.iter().map(|c| help(c)).collect();
        let known = |f: &str| helps.iter().any(|h| flags(h).contains(f));
        for f in named.iter().filter(|f| !known(f)) {
            wrong.push(format!("{name}: {f} is in no --help of {commands:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_flag_reader_finds_flags_and_not_dashes() {
    let found = flags("run `a --quick --cpu 0 -- perl` and x--y, --; ---z --no-progress.");
    let want: BTreeSet<String> = ["--quick", "--cpu", "--no-progress"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(found, want);
    assert_eq!(
        header("<!-- flags of: harness; harness live -->", "flags of", ';'),
        ["harness", "harness live"]
    );
}
