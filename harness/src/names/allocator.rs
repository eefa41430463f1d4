//! The allocators' identities: the name each has in summary.csv, file
//! paths and on the command line, the orders they are measured and shown
//! in, and the label and colour every chart gives them. Everything that
//! names an allocator imports it from here.
//!
//! Beside the allocators compiled in, a row may be a shared library
//! (`--allocator-lib NAME=PATH`): [`Name::Lib`], named by its user. Its
//! name is interned once per process, so a `Name` stays `Copy`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::sync::Mutex;

/// Every allocator the suite knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Name {
    Pmad,
    Jemalloc,
    Mimalloc,
    Tcmalloc,
    System,
    Tlsf,
    Snmalloc,
    Null,
    /// A shared library's malloc, preloaded (see `crate::shared_lib`).
    Lib(Lib),
}

/// A shared library row's name: lowercase letters, digits, `-` and `_`,
/// starting with a letter, at most [`Lib::MAX_LEN`] bytes, and not the
/// name of an allocator compiled in (nor `all`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Lib(&'static str);

/// Every library name interned so far, in the order first seen (the order
/// that picks their colours).
static LIBS: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());

impl Lib {
    /// The longest name a library row may have (it is a directory name and
    /// a table column).
    pub const MAX_LEN: usize = 24;

    /// The library row named `s`, or why `s` cannot name one.
    pub fn named(s: &str) -> Result<Lib, String> {
        let good = s.len() <= Lib::MAX_LEN
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if !good {
            return Err(format!(
                "'{s}' cannot name a library row: use 1 to {} lowercase letters, digits, '-' or '_', starting with a letter",
                Lib::MAX_LEN
            ));
        }
        if s == "all" || Name::parse(s).is_some() {
            return Err(format!(
                "'{s}' is the name of an allocator the suite compiles in (or `all`): give the library a name of its own"
            ));
        }
        let mut libs = LIBS.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(&known) = libs.iter().find(|&&k| k == s) {
            return Ok(Lib(known));
        }
        let interned: &'static str = Box::leak(s.to_string().into_boxed_str());
        libs.push(interned);
        Ok(Lib(interned))
    }

    /// The name as the user gave it.
    pub fn as_str(self) -> &'static str {
        self.0
    }

    /// Its place among the library names this process has seen.
    fn index(self) -> usize {
        let libs = LIBS.lock().unwrap_or_else(|e| e.into_inner());
        libs.iter().position(|&k| k == self.0).unwrap_or(0)
    }
}

impl Serialize for Name {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Name {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Name, D::Error> {
        let s = String::deserialize(d)?;
        Name::read(&s).map_err(serde::de::Error::custom)
    }
}

impl std::fmt::Display for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

impl Name {
    /// Every allocator, in the order a binary measures them (null last).
    pub const KNOWN: [Name; 8] = [
        Name::Pmad,
        Name::Jemalloc,
        Name::Mimalloc,
        Name::Tcmalloc,
        Name::System,
        Name::Tlsf,
        Name::Snmalloc,
        Name::Null,
    ];

    /// Every allocator in the order every chart, legend and table uses
    /// (the null row, the timer floor, first).
    pub const REPORT_ORDER: [Name; 8] = [
        Name::Null,
        Name::Pmad,
        Name::Jemalloc,
        Name::Mimalloc,
        Name::Tcmalloc,
        Name::System,
        Name::Tlsf,
        Name::Snmalloc,
    ];

    /// Its name in summary.csv, file paths, `--allocator` and every table.
    pub fn as_str(self) -> &'static str {
        match self {
            Name::Pmad => "pmad",
            Name::Jemalloc => "jemalloc",
            Name::Mimalloc => "mimalloc",
            Name::Tcmalloc => "tcmalloc",
            Name::System => "system",
            Name::Tlsf => "tlsf",
            Name::Snmalloc => "snmalloc",
            Name::Null => "null",
            Name::Lib(l) => l.as_str(),
        }
    }

    /// The allocator named `s` (as [`Name::as_str`] writes it), of those
    /// the suite compiles in; a library row's name is not one.
    pub fn parse(s: &str) -> Option<Name> {
        Name::KNOWN.into_iter().find(|n| n.as_str() == s)
    }

    /// The allocator named `s` in a results file: one the suite compiles
    /// in, or else a library row's name.
    pub fn read(s: &str) -> Result<Name, String> {
        match Name::parse(s) {
            Some(n) => Ok(n),
            None => Lib::named(s)
                .map(Name::Lib)
                .map_err(|e| format!("unknown allocator {e}")),
        }
    }

    /// Whether this row is a shared library's (not compiled in).
    pub fn is_lib(self) -> bool {
        matches!(self, Name::Lib(_))
    }

    /// Whether this binary was built with the allocator's feature.
    pub fn compiled_in(self) -> bool {
        match self {
            Name::Pmad => cfg!(feature = "pmad"),
            Name::Jemalloc => cfg!(feature = "jemalloc"),
            Name::Mimalloc => cfg!(feature = "mimalloc"),
            Name::Tcmalloc => cfg!(feature = "tcmalloc"),
            Name::System => cfg!(feature = "system"),
            Name::Tlsf => cfg!(feature = "tlsf"),
            Name::Snmalloc => cfg!(feature = "snmalloc"),
            Name::Null => true,
            Name::Lib(_) => false,
        }
    }

    /// The allocators compiled into this binary (null last).
    pub fn compiled() -> Vec<Name> {
        Name::KNOWN
            .into_iter()
            .filter(|n| n.compiled_in())
            .collect()
    }
}

impl Name {
    /// The allocator as a chart's legend names it.
    pub fn label(self) -> String {
        match self {
            Name::Null => "null (timer floor)".into(),
            Name::System => "system (glibc)".into(),
            Name::Lib(l) => format!("{} (shared lib)", l.as_str()),
            other => other.to_string(),
        }
    }

    /// Its colour in every chart, as RGB: Okabe-Ito colours (told apart
    /// with the common colour-vision deficiencies); the floor is grey.
    pub fn colour(self) -> (u8, u8, u8) {
        match self {
            Name::Null => (0x88, 0x88, 0x88),
            Name::Pmad => (0xD5, 0x5E, 0x00),
            Name::Jemalloc => (0x00, 0x72, 0xB2),
            Name::Mimalloc => (0x00, 0x9E, 0x73),
            Name::Tcmalloc => (0xE6, 0x9F, 0x00),
            Name::System => (0xCC, 0x79, 0xA7),
            Name::Tlsf => (0x56, 0xB4, 0xE9),
            Name::Snmalloc => (0x5D, 0x3A, 0x9B),
            Name::Lib(l) => LIB_COLOURS[l.index() % LIB_COLOURS.len()],
        }
    }

    /// Its place in [`Name::REPORT_ORDER`]; library rows come after every
    /// allocator compiled in (ordered among themselves by name: sort by
    /// [`Name::report_key`]).
    pub fn report_rank(self) -> usize {
        Name::REPORT_ORDER
            .iter()
            .position(|&n| n == self)
            .unwrap_or(Name::REPORT_ORDER.len())
    }

    /// The key every table and chart sorts allocators by.
    pub fn report_key(self) -> (usize, &'static str) {
        (self.report_rank(), self.as_str())
    }
}

/// Library rows' colours, in the order their names are first seen: Paul
/// Tol's muted scheme, none of them close to the compiled-in allocators'.
const LIB_COLOURS: [(u8, u8, u8); 6] = [
    (0x00, 0x00, 0x00),
    (0x88, 0x22, 0x55),
    (0x99, 0x99, 0x33),
    (0x44, 0xAA, 0x99),
    (0x33, 0x22, 0x88),
    (0xAA, 0x44, 0x99),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_parses_back_and_has_one_place_in_each_order() {
        for n in Name::KNOWN {
            assert_eq!(Name::parse(n.as_str()), Some(n));
            assert_eq!(Name::REPORT_ORDER[n.report_rank()], n);
        }
        let mut sorted = Name::REPORT_ORDER;
        sorted.sort();
        let mut known = Name::KNOWN;
        known.sort();
        assert_eq!(sorted, known, "both orders hold every allocator once");
        assert_eq!(Name::parse("tcmaloc"), None);
    }

    #[test]
    fn a_library_name_is_checked_interned_and_read_back() {
        let tbb = Lib::named("tbb").unwrap();
        assert_eq!(Name::read("tbb"), Ok(Name::Lib(tbb)));
        assert_eq!(
            Lib::named("tbb").unwrap().as_str().as_ptr(),
            tbb.as_str().as_ptr()
        );
        assert_eq!(Name::read("pmad"), Ok(Name::Pmad));
        assert_eq!(Name::parse("tbb"), None, "parse knows only the compiled-in");
        for bad in [
            "",
            "Tbb",
            "1tbb",
            "a b",
            "tbb/x",
            "jemalloc",
            "all",
            &"x".repeat(25),
        ] {
            assert!(Lib::named(bad).is_err(), "{bad:?} accepted");
        }
        assert!(Name::Lib(tbb).report_rank() >= Name::REPORT_ORDER.len());
        assert_eq!(Name::Lib(tbb).label(), "tbb (shared lib)");
        let json = serde_json::to_string(&Name::Lib(tbb)).unwrap();
        assert_eq!(json, "\"tbb\"");
        assert_eq!(serde_json::from_str::<Name>(&json).unwrap(), Name::Lib(tbb));
    }

    #[test]
    fn library_colours_differ_from_the_compiled_ins() {
        for lib in LIB_COLOURS {
            assert!(Name::KNOWN.iter().all(|n| n.colour() != lib));
        }
    }

    #[test]
    fn colours_are_distinct() {
        let mut seen: Vec<(u8, u8, u8)> = Name::KNOWN.iter().map(|n| n.colour()).collect();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), Name::KNOWN.len());
    }
}
