//! The hot path head-to-head: per allocator, P50 (light bar) and P99.9
//! (dark bar) with P99.9/P50 written above and each one's 95 % interval as a
//! whisker, alloc and free side by side, the null floor and the clock's step
//! drawn across, in the spirit of the PMAD author's table. Beside them, when
//! the run has it, the batched cost of a pair net of the null's, with its
//! interval: what the per-op figures cannot resolve below the clock's step.

use super::{fail, legend, step_line, titled, whisker, Chart};
use crate::format::size_label;
use crate::names::Name;
use crate::names::WorkloadName;
use crate::render::charts::style::{colour, lighter, log_range};
use crate::results::figure::Figure;
use crate::results::summary::Row;
use plotters::coord::Shift;
use plotters::prelude::*;
use workloads::Op;

pub struct HotPathChart {
    pub machine: String,
    pub size: usize,
    /// (op, the rows of that op in legend order, null included).
    pub panels: Vec<(Op, Vec<Row>)>,
    /// The clock's step, in ns.
    pub timer_step_ns: f64,
}

impl HotPathChart {
    /// The rows with a batched cost net of the floor (the alloc panel's: a
    /// pair's figures are on both rows), null left out.
    fn batched(&self) -> Vec<&Row> {
        self.panels
            .first()
            .map(|(_, rows)| {
                rows.iter()
                    .filter(|r| {
                        r.allocator != crate::names::Name::Null && r.batch_net_ns_per_op.is_some()
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Chart for HotPathChart {
    fn name(&self) -> String {
        crate::results::series::chart::HOT_PATH.into()
    }

    fn size(&self) -> (u32, u32) {
        if self.batched().is_empty() {
            (1600, 800)
        } else {
            (2300, 800)
        }
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let titled = titled(root, &format!(
                    "{}: hot-path {}, P50 (light) and P99.9 (dark) per call, whiskers = 95% intervals; label = P99.9/P50",
                    self.machine,
                    size_label(WorkloadName::HotPath, self.size)
                ))?;
        let batched = self.batched();
        let columns = self.panels.len().max(1) + usize::from(!batched.is_empty());
        let areas = titled.split_evenly((1, columns));
        let hi = self
            .panels
            .iter()
            .flat_map(|(_, rows)| {
                rows.iter()
                    .map(|r| r.p999_hi_ns.unwrap_or(r.p999_ns) as f64)
            })
            .fold(1.0, f64::max);
        let lo = self
            .panels
            .iter()
            .flat_map(|(_, rows)| rows.iter().map(|r| r.p50_lo_ns.unwrap_or(r.p50_ns) as f64))
            .fold(self.timer_step_ns.max(1.0), f64::min);
        let range = legend_room(log_range(lo, hi * 2.0).start, hi * 1.5);
        for ((op, rows), area) in self.panels.iter().zip(&areas) {
            let op = *op;
            panel(area, op, rows, range.clone(), self.timer_step_ns)?;
        }
        if let Some(area) = areas.get(self.panels.len()).filter(|_| !batched.is_empty()) {
            batched_panel(area, &batched)?;
        }
        Ok(())
    }
}

/// The share of a panel's height its legend takes, from the top: 11
/// entries at 16 px in a plot about 650 px high.
const LEGEND_SHARE: f64 = 0.4;

/// A log axis from `start` whose top leaves the data (up to `data`, a
/// bar's label included) in the lower part the legend leaves free, so the
/// legend never covers a bar or its label.
fn legend_room(start: f64, data: f64) -> std::ops::Range<f64> {
    let (lo, hi) = (start.log10(), data.max(start * 2.0).log10());
    start..10f64.powf(lo + (hi - lo) / (1.0 - LEGEND_SHARE))
}

/// The batched cost per pair, net of the null's, with its interval (linear
/// axis from 0: these are the differences the log axes flatten).
fn batched_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    rows: &[&Row],
) -> Result<(), String> {
    let n = rows.len().max(1);
    let names: Vec<String> = rows.iter().map(|r| r.allocator.to_string()).collect();
    let top = rows
        .iter()
        .filter_map(|r| r.batch_net_ns_per_op_hi)
        .fold(1.0f64, f64::max)
        * 1.2;
    let mut chart = ChartBuilder::on(area)
        .caption(
            "batched: a pair (alloc + free), net of null",
            ("sans-serif", 24),
        )
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(90)
        .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0f64..top)
        .map_err(fail)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n)
        .x_label_formatter(&|x| bar_name(&names, *x))
        .y_desc(format!(
            "ns per pair, median of {} batches (95% interval)",
            crate::format::thousands(workloads::batched::BATCHES as u64)
        ))
        .y_label_formatter(&|y| format!("{y:.1} ns"))
        .label_style(("sans-serif", 18))
        .axis_desc_style(("sans-serif", 20))
        .draw()
        .map_err(fail)?;
    for (i, r) in rows.iter().enumerate() {
        let x = i as f64;
        let c = colour(r.allocator);
        let v = r.batch_net_ns_per_op.unwrap_or(0.0);
        chart
            .draw_series([Rectangle::new([(x - 0.3, 0.0), (x + 0.3, v)], c.filled())])
            .map_err(fail)?;
        if let (Some(lo), Some(hi)) = (r.batch_net_ns_per_op_lo, r.batch_net_ns_per_op_hi) {
            whisker(&mut chart, x, lo.max(0.0), hi, 0.08)?;
        }
        chart
            .draw_series(std::iter::once(Text::new(
                format!("{v:.2}"),
                (x - 0.2, v + top * 0.04),
                ("sans-serif", 18).into_font(),
            )))
            .map_err(fail)?;
    }
    Ok(())
}

/// The allocator under bar `x` (bars sit at whole x), nothing between bars.
fn bar_name(names: &[String], x: f64) -> String {
    let i = x.round();
    if (x - i).abs() < 0.01 && i >= 0.0 {
        names.get(i as usize).cloned().unwrap_or_default()
    } else {
        String::new()
    }
}

fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    op: Op,
    rows: &[Row],
    range: std::ops::Range<f64>,
    step_ns: f64,
) -> Result<(), String> {
    let bars: Vec<&Row> = rows
        .iter()
        .filter(|r| r.allocator != crate::names::Name::Null)
        .collect();
    let null = rows
        .iter()
        .find(|r| r.allocator == crate::names::Name::Null);
    let n = bars.len().max(1);
    let names: Vec<String> = bars.iter().map(|r| r.allocator.to_string()).collect();
    let bottom = range.start;
    let mut chart = ChartBuilder::on(area)
        .caption(op.name(), ("sans-serif", 24))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(90)
        .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), range.log_scale())
        .map_err(fail)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n)
        .x_label_formatter(&|x| bar_name(&names, *x))
        .y_desc("latency per call (ns, log scale)")
        .y_label_formatter(&|y| crate::format::ns(*y))
        .label_style(("sans-serif", 18))
        .axis_desc_style(("sans-serif", 20))
        .draw()
        .map_err(fail)?;
    for (i, r) in bars.iter().enumerate() {
        bar(&mut chart, i as f64, r, bottom)?;
    }
    if let Some(null) = null {
        null_lines(&mut chart, null, n)?;
    }
    step_line(&mut chart, step_ns, -0.5, n as f64 - 0.5)?;
    legend(&mut chart, SeriesLabelPosition::UpperLeft, 16)?;
    Ok(())
}

/// One allocator's two bars at `x` (P50 light, P99.9 dark), their
/// whiskers and the P99.9/P50 label.
fn bar<'a, DB, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<plotters::coord::types::RangedCoordf64, Y>>,
    x: f64,
    r: &Row,
    bottom: f64,
) -> Result<(), String>
where
    DB: DrawingBackend + 'a,
    Y: Ranged<ValueType = f64>,
{
    let c = colour(r.allocator);
    let p50 = r.p50_ns.max(1) as f64;
    let p999 = r.p999_ns.max(1) as f64;
    chart
        .draw_series([
            Rectangle::new(
                [(x - 0.36, bottom), (x - 0.02, p50)],
                lighter(c, 0.55).filled(),
            ),
            Rectangle::new([(x + 0.02, bottom), (x + 0.36, p999)], c.filled()),
        ])
        .map_err(fail)?
        .label(r.allocator.label())
        .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 16, y + 6)], c.filled()));
    for (at, ci) in [
        (x - 0.19, Figure::P50.percentile(r)),
        (x + 0.19, Figure::P999.percentile(r)),
    ] {
        if let Some((_, Some((lo, hi)))) = ci {
            whisker(chart, at, lo.max(1) as f64, hi.max(1) as f64, 0.05)?;
        }
    }
    chart
        .draw_series(std::iter::once(Text::new(
            format!("x{:.1}", r.ratio_p999_p50),
            (x - 0.2, p999 * 1.25),
            ("sans-serif", 18).into_font(),
        )))
        .map_err(fail)?;
    Ok(())
}

/// The null row's P50 and P99.9 as dashed lines across the `n` bars.
fn null_lines<'a, DB, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<plotters::coord::types::RangedCoordf64, Y>>,
    null: &Row,
    n: usize,
) -> Result<(), String>
where
    DB: DrawingBackend + 'a,
    Y: Ranged<ValueType = f64>,
{
    let grey = colour(Name::Null);
    for (value, what) in [(null.p50_ns, "P50"), (null.p999_ns, "P99.9")] {
        let y = value.max(1) as f64;
        let line = grey.stroke_width(2);
        chart
            .draw_series(DashedLineSeries::new(
                vec![(-0.5, y), (n as f64 - 0.5, y)],
                8,
                6,
                line,
            ))
            .map_err(fail)?
            .label(format!("null {what}: {}", crate::format::ns(y)))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], line));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_stays_below_the_legends_share_of_the_axis() {
        for (start, data) in [(1.0, 195.0), (10.0, 40_000.0), (1.0, 1.5)] {
            let r = legend_room(start, data);
            let at = |v: f64| (v.log10() - r.start.log10()) / (r.end.log10() - r.start.log10());
            assert!(
                r.start == start && at(data) <= 1.0 - LEGEND_SHARE + 1e-9,
                "{r:?}"
            );
        }
    }
}
