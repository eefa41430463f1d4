//! The markdown outputs: REPORT.md (`report`) and the README's results
//! section (`readme`), from one results directory, with the claims they
//! make (`claims`, `confidence`) and the instruction-count section
//! (`instructions`). Charts are planned in `render` and drawn in
//! `render::charts`; this room only links them.

pub mod claims;
pub mod confidence;
pub mod contexts;
pub mod instructions;
pub mod prose;
pub mod readme;
pub mod report;

use std::fmt::Write;
use std::path::Path;

/// Links each chart (name, alt text), or names the ones missing from the
/// plots directory.
pub fn images(md: &mut String, charts: &[(String, String)], (rel, abs): (&Path, &Path)) {
    for (name, caption) in charts {
        if abs.join(format!("{name}.png")).exists() {
            let _ = writeln!(
                md,
                "![{caption}]({}/{name}.png)\n",
                rel.display().to_string().replace('\\', "/")
            );
        } else {
            let _ = writeln!(
                md,
                "_{caption}: {name}.png is not in the plots directory; run `harness plot`._\n"
            );
        }
    }
}
