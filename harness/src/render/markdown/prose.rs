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

pub use super::contexts::*;
use tinytemplate::TinyTemplate;

/// The template of `context`'s type, filled from it.
///
/// Both are the program's own (compiled in, and every template's names are
/// checked against its context by the tests), so a failure here is a bug,
/// not bad input.
pub fn fill<T: Prose>(context: &T) -> String {
    let mut tt = TinyTemplate::new();
    tt.set_default_formatter(&tinytemplate::format_unescaped);
    tt.add_template(T::NAME, T::TEXT)
        .and_then(|()| tt.render(T::NAME, context))
        .unwrap_or_else(|e| panic!("prose template {}: {e}", T::NAME))
}

/// The one-line template of `context`'s type, filled, without its newline.
pub fn sentence<T: Prose>(context: &T) -> String {
    let mut text = fill(context);
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
        for (name, text, _) in all() {
            let mut tt = TinyTemplate::new();
            assert!(tt.add_template(name, text).is_ok(), "{name}");
        }
    }
}
