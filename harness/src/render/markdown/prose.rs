//! The prose of REPORT.md and the README's results section, kept in
//! template files under `prose/` beside this module and filled from data,
//! so a sentence is edited as text, not as a Rust string literal.
//!
//! The text rendered is the file's, to the byte: a paragraph's file
//! ends in the blank line that follows it. A sentence (a finding, a note
//! inside a line) is one line, and [`sentence`] drops its newline.
//!
//! A template is TinyTemplate syntax: `{name}` a value of the context,
//! `{{ if name }}...{{ endif }}` a clause, `{{- ` and ` -}}` trim the
//! whitespace beside a tag. Values are inserted as they are (no HTML
//! escaping); numbers come in already formatted, as strings, so a figure
//! reads the same in every document.

use serde::Serialize;
use tinytemplate::TinyTemplate;

/// `(name, text)` of each template named, its text read from
/// `prose/<name>.md` at compile time.
macro_rules! templates {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("prose/", $name, ".md")))),*]
    };
}

/// Every template, by name (its path under `prose/` without `.md`).
const TEMPLATES: &[(&str, &str)] = templates![
    "readme/batched_finding",
    "readme/cross_thread",
    "readme/cross_thread_finding",
    "readme/findings",
    "readme/head_to_head",
    "readme/hot_path_finding",
    "readme/memory",
    "readme/null_max_finding",
    "readme/provenance",
    "readme/quiet_finding",
    "readme/ranking_leader",
    "readme/ranking_tied",
    "readme/requests",
    "report/allocators",
    "report/batched",
    "report/cross_thread",
    "report/floors",
    "report/how_sure",
    "report/instructions",
    "report/instructions_hot_path",
    "report/instructions_per_call",
    "report/instructions_sweep",
    "report/intro",
    "report/max_at_noise",
    "report/memory",
    "report/not_meaningful",
    "report/pmad_pool",
    "report/replay",
    "report/request",
    "report/runs",
    "report/standings",
    "report/threaded",
    "report/usage",
    "report/workload",
];

/// The template `name` filled from `context`.
///
/// Both are the program's own (compiled in, and every template is
/// rendered by the tests), so a failure here is a bug, not bad input.
pub fn fill(name: &str, context: &impl Serialize) -> String {
    let Some(&(_, text)) = TEMPLATES.iter().find(|(n, _)| *n == name) else {
        panic!("no prose template {name}");
    };
    let mut tt = TinyTemplate::new();
    tt.set_default_formatter(&tinytemplate::format_unescaped);
    tt.add_template(name, text)
        .and_then(|()| tt.render(name, context))
        .unwrap_or_else(|e| panic!("prose template {name}: {e}"))
}

/// The one-line template `name` filled from `context`, without its newline.
pub fn sentence(name: &str, context: &impl Serialize) -> String {
    let mut text = fill(name, context);
    if text.ends_with('\n') {
        text.pop();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_parses() {
        for (name, text) in TEMPLATES {
            let mut tt = TinyTemplate::new();
            assert!(tt.add_template(name, text).is_ok(), "{name}");
        }
    }

    #[test]
    fn every_file_under_prose_is_registered() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/render/markdown/prose");
        let mut files = Vec::new();
        for sub in std::fs::read_dir(&dir).unwrap() {
            let sub = sub.unwrap().path();
            for f in std::fs::read_dir(&sub).unwrap() {
                let f = f.unwrap().path();
                let rel = f.strip_prefix(&dir).unwrap().with_extension("");
                files.push(rel.to_string_lossy().into_owned());
            }
        }
        files.sort();
        let mut names: Vec<String> = TEMPLATES.iter().map(|(n, _)| n.to_string()).collect();
        names.sort();
        assert_eq!(files, names);
    }
}
