//! The allocators' identities: the name each has in summary.csv, file
//! paths and on the command line, the orders they are measured and shown
//! in, and the label and colour every chart gives them. Everything that
//! names an allocator imports it from here.

use serde::{Deserialize, Serialize};

/// Every allocator the suite knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Name {
    Pmad,
    Jemalloc,
    Mimalloc,
    Tcmalloc,
    System,
    Tlsf,
    Snmalloc,
    Null,
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
        }
    }

    /// The allocator named `s` (as [`Name::as_str`] writes it).
    pub fn parse(s: &str) -> Option<Name> {
        Name::KNOWN.into_iter().find(|n| n.as_str() == s)
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
        }
    }

    /// Its place in [`Name::REPORT_ORDER`].
    pub fn report_rank(self) -> usize {
        Name::REPORT_ORDER
            .iter()
            .position(|&n| n == self)
            .expect("every name is in REPORT_ORDER")
    }
}

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
    fn colours_are_distinct() {
        let mut seen: Vec<(u8, u8, u8)> = Name::KNOWN.iter().map(|n| n.colour()).collect();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), Name::KNOWN.len());
    }
}
