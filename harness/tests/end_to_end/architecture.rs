//! The house's rules, checked on the sources of every crate in the
//! workspace (its members as `cargo metadata` lists them, so a new crate is
//! checked from its first commit): no import cycles between sibling
//! modules, no function in a crate's `src/` longer than [`MAX_FN_LINES`]
//! lines but the few listed in [`LONG_FNS`] (which may shrink, never grow),
//! and no function in its `tests/` or `benches/` longer than
//! [`MAX_TEST_FN_LINES`].
//!
//! A module depends on a sibling when any file under it names a path into
//! the sibling (`crate::a::...`, `super::a::...`, grouped `use` included).
//! A child naming its parent's items is not a cycle: the parent owns it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Longest function, in lines from `fn` to its closing brace.
const MAX_FN_LINES: usize = 60;

/// Functions still longer than [`MAX_FN_LINES`]: (file, function, lines
/// now). Each may get shorter; none may get longer, and none may be added.
const LONG_FNS: &[(&str, &str, usize)] = &[
    ("harness/src/results/summary.rs", "new", 62),
    ("workloads/src/request.rs", "run", 72),
];

/// Longest function in a test or benchmark file.
const MAX_TEST_FN_LINES: usize = 100;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the harness sits in the workspace")
        .to_path_buf()
}

/// Every workspace member's folder, relative to the workspace (`harness`,
/// `tracer/format`), from `cargo metadata`.
fn crates() -> Vec<String> {
    let out = std::process::Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(workspace())
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("cargo metadata's JSON");
    let root = workspace().canonicalize().unwrap();
    let mut dirs: Vec<String> = meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| {
            let manifest = Path::new(p["manifest_path"].as_str().expect("manifest_path"));
            let dir = manifest.parent().unwrap().canonicalize().unwrap();
            dir.strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 7, "the workspace's members: {dirs:?}");
    dirs
}

#[test]
fn the_members_read_include_every_crate_with_a_src_folder() {
    let members = crates();
    for known in [
        "harness",
        "live-shim",
        "live-shim/format",
        "pmad",
        "tracer",
        "workloads",
    ] {
        assert!(
            members.iter().any(|m| m == known),
            "{known} missing from {members:?}"
        );
    }
}

/// Every `.rs` file under `dir`, by its module path (`a::b`; `mod.rs`,
/// `lib.rs` and `main.rs` are their directory's module).
fn modules(dir: &Path) -> BTreeMap<Vec<String>, (PathBuf, String)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(dir).unwrap().with_extension("");
                let mut m: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                if matches!(m.last().map(String::as_str), Some("mod" | "lib" | "main")) {
                    m.pop();
                }
                let text = std::fs::read_to_string(&path).unwrap();
                out.insert(m, (path, strip(&text)));
            }
        }
    }
    out
}

/// The source with comments blanked and string and char literals emptied,
/// line breaks kept (so line numbers and braces stay true).
fn strip(src: &str) -> String {
    let b: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            while i + 1 < b.len() && !(b[i] == '*' && b[i + 1] == '/') {
                if b[i] == '\n' {
                    out.push('\n');
                }
                i += 1;
            }
            i += 2;
        } else if c == 'r'
            && (next == Some('"') || next == Some('#'))
            && !ident_char(b.get(i.wrapping_sub(1)))
        {
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= b.len() {
                    break;
                }
                if b[j] == '"' && (0..hashes).all(|k| b.get(j + 1 + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                if b[j] == '\n' {
                    out.push('\n');
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c == '"' {
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    i += 1;
                }
                if b.get(i) == Some(&'\n') {
                    out.push('\n');
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' && (b.get(i + 2) == Some(&'\'') || next == Some('\\')) {
            // A char literal ('{', '\n', '\''); a lifetime has no closing quote.
            let mut j = i + 1;
            if b[j] == '\\' {
                j += 1;
            }
            j += 1;
            while j < b.len() && b[j] != '\'' {
                j += 1;
            }
            i = j + 1;
            out.push_str("' '");
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn ident_char(c: Option<&char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || *c == '_')
}

/// Every path a file names from `crate::` or `super::`, as absolute module
/// paths (grouped `use` expanded).
fn paths_named(module: &[String], text: &str) -> Vec<Vec<String>> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let starts = |w: &str| {
            chars[i..].iter().take(w.len()).copied().eq(w.chars())
                && !ident_char(chars.get(i.wrapping_sub(1)))
        };
        if starts("crate::") {
            let (end, found) = expand(&chars, i + "crate::".len(), vec![]);
            out.extend(found);
            i = end;
        } else if starts("super::") {
            let mut base = module.to_vec();
            let mut j = i;
            while chars[j..].iter().take(7).copied().eq("super::".chars()) {
                base.pop();
                j += 7;
            }
            let (end, found) = expand(&chars, j, base);
            out.extend(found);
            i = end;
        } else {
            i += 1;
        }
    }
    out
}

/// The paths at `i`: `a::b`, or `a::{b, c::{d}}`, each after `prefix`.
fn expand(chars: &[char], mut i: usize, prefix: Vec<String>) -> (usize, Vec<Vec<String>>) {
    let mut path = prefix;
    loop {
        if chars.get(i) == Some(&'{') {
            return group(chars, i + 1, path);
        }
        let start = i;
        while i < chars.len() && ident_char(Some(&chars[i])) {
            i += 1;
        }
        if i > start {
            path.push(chars[start..i].iter().collect());
        }
        if chars[i..].starts_with(&[':', ':']) {
            i += 2;
            continue;
        }
        return (i, vec![path]);
    }
}

fn group(chars: &[char], mut i: usize, prefix: Vec<String>) -> (usize, Vec<Vec<String>>) {
    let mut out = Vec::new();
    loop {
        while i < chars.len() && (chars[i].is_whitespace() || chars[i] == ',') {
            i += 1;
        }
        if i >= chars.len() || chars[i] == '}' {
            return (i + 1, out);
        }
        let (end, found) = expand(chars, i, prefix.clone());
        out.extend(found);
        // Skip `as name` and anything else up to the entry's end.
        i = end;
        while i < chars.len() && chars[i] != ',' && chars[i] != '}' {
            i += 1;
        }
    }
}

/// Sibling dependencies: (a, b) where a file under module `a` names a path
/// into its sibling `b`.
fn sibling_edges(
    mods: &BTreeMap<Vec<String>, (PathBuf, String)>,
) -> BTreeSet<(Vec<String>, Vec<String>)> {
    let mut edges = BTreeSet::new();
    for (m, (_, text)) in mods {
        for p in paths_named(m, text) {
            let Some(target) = (1..=p.len())
                .rev()
                .map(|k| &p[..k])
                .find(|k| mods.contains_key(*k))
            else {
                continue;
            };
            let common = m.iter().zip(target).take_while(|(a, b)| a == b).count();
            if common < m.len() && common < target.len() {
                edges.insert((m[..=common].to_vec(), target[..=common].to_vec()));
            }
        }
    }
    edges
}

/// A cycle in the graph, as the modules along it, if there is one.
fn find_cycle(edges: &BTreeSet<(Vec<String>, Vec<String>)>) -> Option<Vec<Vec<String>>> {
    let mut next: BTreeMap<&Vec<String>, Vec<&Vec<String>>> = BTreeMap::new();
    for (a, b) in edges {
        next.entry(a).or_default().push(b);
    }
    fn visit<'a>(
        v: &'a Vec<String>,
        next: &BTreeMap<&'a Vec<String>, Vec<&'a Vec<String>>>,
        path: &mut Vec<&'a Vec<String>>,
        done: &mut BTreeSet<&'a Vec<String>>,
    ) -> Option<Vec<Vec<String>>> {
        if let Some(at) = path.iter().position(|p| *p == v) {
            return Some(
                path[at..]
                    .iter()
                    .map(|p| (*p).clone())
                    .chain([v.clone()])
                    .collect(),
            );
        }
        if !done.insert(v) {
            return None;
        }
        path.push(v);
        for w in next.get(v).into_iter().flatten() {
            if let Some(c) = visit(w, next, path, done) {
                return Some(c);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    for v in next.keys() {
        if let Some(c) = visit(v, &next, &mut Vec::new(), &mut done) {
            return Some(c);
        }
    }
    None
}

#[test]
fn no_crate_has_an_import_cycle_between_sibling_modules() {
    for krate in crates() {
        let mods = modules(&workspace().join(&krate).join("src"));
        let cycle = find_cycle(&sibling_edges(&mods));
        let shown = cycle.map(|c| {
            c.iter()
                .map(|m| m.join("::"))
                .collect::<Vec<_>>()
                .join(" -> ")
        });
        assert_eq!(shown, None, "{krate}: an import cycle");
    }
}

#[test]
fn the_cycle_finder_sees_a_cycle_through_a_grouped_use() {
    let mut mods = BTreeMap::new();
    let file = |t: &str| (PathBuf::new(), strip(t));
    mods.insert(vec![], file("mod a; mod b;"));
    mods.insert(vec!["a".to_string()], file("use crate::{b::{x, y}, c};"));
    mods.insert(
        vec!["b".to_string()],
        file("fn f() { super::a::g(\"crate::c\") }"),
    );
    let edges = sibling_edges(&mods);
    let cycle = find_cycle(&edges).expect("a -> b -> a");
    assert_eq!(cycle.len(), 3, "{cycle:?}");
    // The string's `crate::c` is not a path; a comment's neither.
    mods.insert(
        vec!["b".to_string()],
        file("// super::a::g\nfn f() { \"super::a\" }"),
    );
    assert_eq!(find_cycle(&sibling_edges(&mods)), None);
}

/// Every function's length in lines, by (file, name), from the stripped text.
fn function_lengths(file: &str, text: &str) -> Vec<(String, String, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (n, line) in lines.iter().enumerate() {
        let Some(at) = line.find("fn ") else { continue };
        if at > 0 && ident_char(line[..at].chars().last().as_ref()) {
            continue;
        }
        let name: String = line[at + 3..]
            .chars()
            .take_while(|c| ident_char(Some(c)))
            .collect();
        if name.is_empty() {
            continue;
        }
        // `nest` counts open ( and [ before the body, so the `;` of an
        // array type (`[u8; 4]`) in the signature does not end the scan.
        let (mut depth, mut opened, mut nest) = (0i64, false, 0i64);
        'scan: for (k, l) in lines[n..].iter().enumerate() {
            let from = if k == 0 { at } else { 0 };
            for c in l[from..].chars() {
                match c {
                    '{' => (depth, opened) = (depth + 1, true),
                    '}' => depth -= 1,
                    '(' | '[' if !opened => nest += 1,
                    ')' | ']' if !opened => nest -= 1,
                    ';' if !opened && nest == 0 => break 'scan,
                    _ => {}
                }
                if opened && depth == 0 {
                    out.push((file.to_string(), name.clone(), k + 1));
                    break 'scan;
                }
            }
        }
    }
    out
}

#[test]
fn no_function_is_longer_than_sixty_lines_but_the_listed_ones_which_do_not_grow() {
    let root = workspace();
    let mut over = Vec::new();
    let mut seen = Vec::new();
    for krate in crates() {
        for (path, text) in modules(&root.join(&krate).join("src")).into_values() {
            let rel = path
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            for (file, name, len) in function_lengths(&rel, &text) {
                if LONG_FNS.iter().any(|(f, n, _)| *f == file && *n == name) {
                    seen.push((file.clone(), name.clone(), len));
                }
                if len <= MAX_FN_LINES {
                    continue;
                }
                let listed = LONG_FNS.iter().find(|(f, n, _)| *f == file && *n == name);
                match listed {
                    Some(&(_, _, was)) if len <= was => {}
                    Some(&(_, _, was)) => over.push(format!(
                        "{file}: fn {name} grew to {len} lines (listed at {was})"
                    )),
                    None => over.push(format!(
                        "{file}: fn {name} is {len} lines (at most {MAX_FN_LINES})"
                    )),
                }
            }
        }
    }
    // A listed function that is gone or fits now leaves the list.
    // One that shrank lowers its number, so the ratchet holds what was won.
    for (file, name, was) in LONG_FNS {
        let longest = seen
            .iter()
            .filter(|(f, n, _)| f == file && n == name)
            .map(|s| s.2)
            .max();
        match longest {
            Some(len) if len > MAX_FN_LINES && len < *was => over.push(format!(
                "{file}: fn {name} shrank to {len} lines: lower its number in LONG_FNS from {was}"
            )),
            Some(len) if len > MAX_FN_LINES => {}
            _ => over.push(format!("{file}: fn {name} is listed in LONG_FNS but is {longest:?} lines: take it off the list")),
        }
    }
    assert!(over.is_empty(), "{}", over.join("\n"));
}

#[test]
fn function_lengths_count_from_fn_to_its_closing_brace() {
    let text = strip("fn a() {\n    let s = \"}\";\n    if x { '{'; }\n}\nfn b();\n");
    assert_eq!(function_lengths("f", &text), [("f".into(), "a".into(), 4)]);
    // An array type in the signature is no declaration's end.
    let text = strip("fn c(x: [u8; 4]) -> [u16; 2] {\n    x;\n}\n");
    assert_eq!(function_lengths("f", &text), [("f".into(), "c".into(), 3)]);
}

/// Every `.rs` file under a crate's `tests/` and `benches/`.
fn test_files(krate: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack: Vec<PathBuf> = ["tests", "benches"].iter().map(|d| krate.join(d)).collect();
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out
}

#[test]
fn no_test_function_is_longer_than_a_hundred_lines() {
    let root = workspace();
    let mut over = Vec::new();
    for krate in crates() {
        for path in test_files(&root.join(&krate)) {
            let rel = path
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let text = strip(&std::fs::read_to_string(&path).unwrap());
            for (file, name, len) in function_lengths(&rel, &text) {
                if len > MAX_TEST_FN_LINES {
                    over.push(format!(
                        "{file}: fn {name} is {len} lines (at most {MAX_TEST_FN_LINES})"
                    ));
                }
            }
        }
    }
    assert!(over.is_empty(), "{}", over.join("\n"));
}
