//! What every chart shares: one colour per allocator (the same in every
//! chart), the bundled font, titles and axis helpers.

use crate::names::Name;
use plotters::style::{register_font, FontStyle, RGBColor};
use std::sync::Once;

/// Okabe-Ito colours (distinguishable with the common colour-vision
/// deficiencies), one per allocator; the null floor is grey.
pub fn colour(allocator: Name) -> RGBColor {
    let (r, g, b) = allocator.colour();
    RGBColor(r, g, b)
}

/// An allocator's line: its colour, PMAD's drawn thicker (the suite's own).
pub fn line(allocator: Name) -> plotters::style::ShapeStyle {
    use plotters::style::Color;
    colour(allocator).stroke_width(if allocator == Name::Pmad { 3 } else { 2 })
}

/// The colour mixed with white: `amount` 0 is the colour, 1 is white.
pub fn lighter(c: RGBColor, amount: f64) -> RGBColor {
    let mix = |v: u8| (v as f64 + (255.0 - v as f64) * amount).round() as u8;
    RGBColor(mix(c.0), mix(c.1), mix(c.2))
}

/// Registers DejaVu Sans (bundled; its licence is in assets/) as the
/// sans-serif font, so rendering needs no system font library.
pub fn register_fonts() -> Result<(), String> {
    static ONCE: Once = Once::new();
    static FONT: &[u8] = include_bytes!("../../../assets/DejaVuSans.ttf");
    let mut result = Ok(());
    ONCE.call_once(|| {
        result = register_font("sans-serif", FontStyle::Normal, FONT)
            .map_err(|_| "the bundled DejaVu Sans font did not load".to_string());
    });
    result
}

/// A log axis range covering `lo..hi` with a margin, on decade-friendly bounds.
pub fn log_range(lo: f64, hi: f64) -> std::ops::Range<f64> {
    let lo = lo.max(1.0);
    let hi = hi.max(lo * 2.0);
    let lo = 10f64.powf(lo.log10().floor());
    let hi = 10f64.powf((hi * 1.5).log10().ceil());
    lo..hi
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_allocator_has_its_own_colour() {
        let names = Name::REPORT_ORDER;
        for (i, &a) in names.iter().enumerate() {
            for &b in &names[i + 1..] {
                assert_ne!(colour(a), colour(b), "{a} and {b} share a colour");
            }
        }
    }

    #[test]
    fn log_ranges_cover_their_data() {
        let r = log_range(20.0, 15_000.0);
        assert!(r.start <= 20.0 && r.end >= 15_000.0, "{r:?}");
        assert_eq!(r.start, 10.0);
    }
}
