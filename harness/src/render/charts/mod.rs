//! The charts. Each one is drawn once per backend (PNG through the bitmap
//! backend, SVG as text) from the same code, so the two never disagree.

pub mod churn;
pub mod distribution;
pub mod hot_path;
pub mod instructions;
pub mod memory;
pub mod request;
pub mod sweep;
pub mod threads;

pub mod style;

use crate::names::Name;
use crate::results::sink::Sink;
use plotters::coord::ranged1d::Ranged;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::PathBuf;

/// One chart: its file stem, its size in pixels, and how to draw it.
pub trait Chart {
    /// The file name without extension, e.g. `hot-path`.
    fn name(&self) -> String;
    fn size(&self) -> (u32, u32) {
        (1400, 900)
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String>;
}

/// Draws the series labels the same way on every chart.
pub fn legend<'a, DB, CT>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
    font_size: u32,
) -> Result<(), String>
where
    DB: DrawingBackend + 'a,
    CT: plotters::coord::CoordTranslate,
{
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", font_size))
        .draw()
        .map_err(fail)
}

/// One allocator's line with its legend entry, the same in every chart:
/// the null row dashed, every other allocator solid, in `line`'s colour.
pub fn allocator_line<'a, DB, X, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    allocator: Name,
    points: Vec<(f64, f64)>,
    line: ShapeStyle,
) -> Result<(), String>
where
    DB: DrawingBackend + 'a,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    let drawn = if allocator == Name::Null {
        chart
            .draw_series(DashedLineSeries::new(points, 8, 6, line))
            .map_err(fail)?
    } else {
        chart
            .draw_series(LineSeries::new(points, line))
            .map_err(fail)?
    };
    drawn
        .label(allocator.label())
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], line));
    Ok(())
}

/// A plotters error as one line.
/// `root` under the chart's title, with room above it: drawn at the very
/// top edge, the title's glyphs were cut off there.
pub fn titled<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
) -> Result<DrawingArea<DB, Shift>, String> {
    root.margin(12, 0, 0, 0)
        .titled(title, ("sans-serif", 26))
        .map_err(fail)
}

pub fn fail<E: std::fmt::Display>(e: E) -> String {
    format!("drawing: {e}")
}

/// Renders `chart` to `<name>.png` and `<name>.svg` in the sink's directory
/// (each written atomically); returns the PNG's path.
pub fn save(chart: &impl Chart, sink: &Sink) -> Result<PathBuf, String> {
    let (w, h) = chart.size();
    let mut rgb = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(fail)?;
        chart.draw(&root)?;
        root.present().map_err(fail)?;
    }
    let png_path = sink.dir().join(format!("{}.png", chart.name()));
    sink.write(&png_path, &encode_png(&rgb, w, h)?)?;

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(fail)?;
        chart.draw(&root)?;
        root.present().map_err(fail)?;
    }
    sink.write(
        &sink.dir().join(format!("{}.svg", chart.name())),
        svg.as_bytes(),
    )?;
    Ok(png_path)
}

fn encode_png(rgb: &[u8], w: u32, h: u32) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, w, h);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    // Charts are mostly flat colour: the best deflate level with adaptive
    // filtering keeps them small enough to commit.
    encoder.set_compression(png::Compression::Best);
    encoder.set_adaptive_filter(png::AdaptiveFilterType::Adaptive);
    let mut writer = encoder.write_header().map_err(|e| format!("png: {e}"))?;
    writer
        .write_image_data(rgb)
        .map_err(|e| format!("png: {e}"))?;
    writer.finish().map_err(|e| format!("png: {e}"))?;
    Ok(bytes)
}

/// The clock's step across a per-op axis from `x0` to `x1`: a dotted line
/// at its value, labelled in the legend. It is the smallest difference two
/// back-to-back reads show: on a clock that steps (AMD's TSC by 10 ns)
/// every per-op figure is a whole number of it, and two figures less than
/// a step apart are not told apart by the per-op histograms.
pub fn step_line<'a, DB, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<plotters::coord::types::RangedCoordf64, Y>>,
    step_ns: f64,
    x0: f64,
    x1: f64,
) -> Result<(), String>
where
    DB: DrawingBackend + 'a,
    Y: Ranged<ValueType = f64>,
{
    if step_ns <= 0.0 {
        return Ok(());
    }
    let line = RGBColor(90, 90, 90).stroke_width(1);
    chart
        .draw_series(DashedLineSeries::new(
            vec![(x0, step_ns), (x1, step_ns)],
            2,
            4,
            line,
        ))
        .map_err(fail)?
        .label(format!(
            "clock step: {} (smallest difference two reads show)",
            crate::format::ns(step_ns)
        ))
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], line));
    Ok(())
}

/// A 95 % interval from `lo` to `hi` at `x`: a vertical line with caps.
pub fn whisker<'a, DB, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<plotters::coord::types::RangedCoordf64, Y>>,
    x: f64,
    lo: f64,
    hi: f64,
    cap: f64,
) -> Result<(), String>
where
    DB: DrawingBackend + 'a,
    Y: Ranged<ValueType = f64>,
{
    let ink = BLACK.stroke_width(2);
    chart
        .draw_series([
            PathElement::new(vec![(x, lo), (x, hi)], ink),
            PathElement::new(vec![(x - cap, lo), (x + cap, lo)], ink),
            PathElement::new(vec![(x - cap, hi), (x + cap, hi)], ink),
        ])
        .map_err(fail)?;
    Ok(())
}
