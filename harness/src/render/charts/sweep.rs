//! The size sweep: P50, P99.9 and P99.9/P50 against block size (log2 axis),
//! one line per allocator, alloc and free side by side, the clock's step
//! drawn across the per-op axes. Does the median stay flat from 16 to
//! 4096 B? Below them, when the run has it, the batched cost of a pair net
//! of the null's with its interval: the differences the per-op P50s, a few
//! clock steps apart, cannot show.

use super::{allocator_line, fail, legend, step_line, titled, whisker, Chart};
use crate::names::Name;
use crate::render::charts::style::{self, colour, log_range};
use crate::results::summary::Row;
use plotters::coord::Shift;
use plotters::prelude::*;
use workloads::Op;

pub struct SweepChart {
    pub machine: String,
    /// Every size-sweep row (all allocators, sizes and ops).
    pub rows: Vec<Row>,
    /// Allocators in legend order.
    pub allocators: Vec<Name>,
    /// The clock's resolution: every figure is a multiple of it.
    pub timer_step_ns: f64,
}

/// The x axis of every panel: block size on a log2 scale.
const SIZE_AXIS: &str = "block size (bytes, log2 scale)";

/// An x axis label: the block size whose log2 is `x`.
fn bytes_of_log2(x: &f64) -> String {
    format!("{:.0}", 2f64.powf(*x))
}

#[derive(Clone, Copy)]
enum Metric {
    P50,
    P999,
    Ratio,
}

impl Metric {
    fn of(self, r: &Row) -> f64 {
        match self {
            Metric::P50 => r.p50_ns as f64,
            Metric::P999 => r.p999_ns as f64,
            Metric::Ratio => r.ratio_p999_p50,
        }
    }
    fn desc(self) -> &'static str {
        match self {
            Metric::P50 => "P50 (ns, log scale)",
            Metric::P999 => "P99.9 (ns, log scale)",
            Metric::Ratio => "P99.9 / P50 (raw)",
        }
    }
}

impl SweepChart {
    fn has_batched(&self) -> bool {
        self.rows
            .iter()
            .any(|r| r.allocator != crate::names::Name::Null && r.batch_net_ns_per_op.is_some())
    }
}

impl Chart for SweepChart {
    fn name(&self) -> String {
        crate::results::series::chart::SIZE_SWEEP.into()
    }

    fn size(&self) -> (u32, u32) {
        if self.has_batched() {
            (1600, 2000)
        } else {
            (1600, 1500)
        }
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let titled = titled(root, &format!(
                    "{}: size-sweep, latency per call against block size (timer step {:.1} ns: equal values overlap)",
                    self.machine, self.timer_step_ns
                ))?;
        let (per_op, below) = if self.has_batched() {
            let (top, bottom) = titled.split_vertically(1500 - 40);
            (top, Some(bottom))
        } else {
            (titled, None)
        };
        let areas = per_op.split_evenly((3, 2));
        let metrics = [Metric::P50, Metric::P999, Metric::Ratio];
        for (row_i, metric) in metrics.iter().enumerate() {
            for (col_i, &op) in [Op::Alloc, Op::Free].iter().enumerate() {
                panel(self, &areas[row_i * 2 + col_i], op, *metric, row_i == 0)?;
            }
        }
        if let Some(area) = below {
            batched_panel(self, &area)?;
        }
        Ok(())
    }
}

/// The batched cost of a pair, net of the null's, against block size: one
/// line per allocator with each point's 95 % interval.
/// The allocators' alloc rows that carry a batched cost.
fn batched_rows(data: &SweepChart) -> Vec<&Row> {
    data.rows
        .iter()
        .filter(|r| {
            r.op == workloads::Op::Alloc && r.size > 0 && r.allocator != crate::names::Name::Null
        })
        .filter(|r| r.batch_net_ns_per_op.is_some())
        .collect()
}

fn batched_panel<DB: DrawingBackend>(
    data: &SweepChart,
    area: &DrawingArea<DB, Shift>,
) -> Result<(), String> {
    let rows = batched_rows(data);
    let log2 = |s: usize| (s as f64).log2();
    let x_lo = rows.iter().map(|r| log2(r.size)).fold(12.0, f64::min);
    let x_hi = rows.iter().map(|r| log2(r.size)).fold(4.0, f64::max);
    let top = rows
        .iter()
        .filter_map(|r| r.batch_net_ns_per_op_hi)
        .fold(1.0f64, f64::max)
        * 1.15;
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!(
                "batched: a pair (alloc + free), net of null, median of {} batches (95% interval)",
                crate::format::thousands(workloads::batched::BATCHES as u64)
            ),
            ("sans-serif", 22),
        )
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(80)
        .build_cartesian_2d((x_lo - 0.2)..(x_hi + 0.2), 0f64..top)
        .map_err(fail)?;
    chart
        .configure_mesh()
        .x_desc(SIZE_AXIS)
        .y_desc("ns per pair")
        .x_label_formatter(&bytes_of_log2)
        .y_label_formatter(&|y| format!("{y:.1} ns"))
        .label_style(("sans-serif", 16))
        .axis_desc_style(("sans-serif", 18))
        .draw()
        .map_err(fail)?;
    for &a in &data.allocators {
        let mut mine: Vec<&&Row> = rows.iter().filter(|r| r.allocator == a).collect();
        if mine.is_empty() {
            continue;
        }
        mine.sort_by_key(|r| r.size);
        let pts: Vec<(f64, f64)> = mine
            .iter()
            .map(|r| (log2(r.size), r.batch_net_ns_per_op.unwrap_or(0.0)))
            .collect();
        allocator_line(&mut chart, a, pts.clone(), style::line(a))?;
        let c = colour(a);
        chart
            .draw_series(pts.iter().map(|&p| Circle::new(p, 4, c.filled())))
            .map_err(fail)?;
        for r in mine {
            if let (Some(lo), Some(hi)) = (r.batch_net_ns_per_op_lo, r.batch_net_ns_per_op_hi) {
                whisker(&mut chart, log2(r.size), lo.max(0.0), hi, 0.04)?;
            }
        }
    }
    legend(&mut chart, SeriesLabelPosition::UpperLeft, 15)?;
    Ok(())
}

fn panel<DB: DrawingBackend>(
    chart_data: &SweepChart,
    area: &DrawingArea<DB, Shift>,
    op: Op,
    metric: Metric,
    with_legend: bool,
) -> Result<(), String> {
    let rows: Vec<&Row> = chart_data
        .rows
        .iter()
        .filter(|r| r.op == op && r.size > 0)
        .collect();
    let (x_lo, x_hi) = log2_extent(&rows);
    let (lo, hi) = y_extent(&rows, metric, chart_data.timer_step_ns);
    let builder = |area| {
        let mut b = ChartBuilder::on(area);
        b.caption(format!("{op}: {}", metric.desc()), ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(80);
        b
    };
    let x_range = (x_lo - 0.2)..(x_hi + 0.2);
    let series = lines_of(&chart_data.allocators, &rows, metric);
    match metric {
        Metric::Ratio => {
            let mut chart = builder(area)
                .build_cartesian_2d(x_range, 0f64..(hi.max(1.0) * 1.15))
                .map_err(fail)?;
            chart
                .configure_mesh()
                .x_desc(SIZE_AXIS)
                .y_desc(metric.desc())
                .x_label_formatter(&bytes_of_log2)
                .label_style(("sans-serif", 16))
                .axis_desc_style(("sans-serif", 18))
                .draw()
                .map_err(fail)?;
            draw_lines(&mut chart, &series, with_legend)?;
        }
        _ => {
            let mut chart = builder(area)
                .build_cartesian_2d(x_range, log_range(lo, hi).log_scale())
                .map_err(fail)?;
            chart
                .configure_mesh()
                .x_desc(SIZE_AXIS)
                .y_desc(metric.desc())
                .x_label_formatter(&bytes_of_log2)
                .y_label_formatter(&|y| crate::format::ns(*y))
                .label_style(("sans-serif", 16))
                .axis_desc_style(("sans-serif", 18))
                .draw()
                .map_err(fail)?;
            step_line(&mut chart, chart_data.timer_step_ns, x_lo - 0.2, x_hi + 0.2)?;
            draw_lines(&mut chart, &series, with_legend)?;
        }
    }
    Ok(())
}

/// The lowest and highest value of `metric` in `rows`; a latency axis
/// reaches down to the clock's step, so the step line shows.
fn y_extent(rows: &[&Row], metric: Metric, step_ns: f64) -> (f64, f64) {
    let values = rows.iter().map(|r| metric.of(r));
    let (lo, hi) = values.fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    match metric {
        Metric::Ratio => (lo, hi),
        _ => (lo.min(step_ns.max(1.0)), hi),
    }
}

/// The smallest and largest log2 block size of `rows` (4 to 12 when empty).
fn log2_extent(rows: &[&Row]) -> (f64, f64) {
    let log2 = |r: &&Row| (r.size as f64).log2();
    let lo = rows.iter().map(log2).fold(f64::INFINITY, f64::min);
    let hi = rows.iter().map(log2).fold(0.0, f64::max);
    if lo.is_finite() {
        (lo, hi)
    } else {
        (4.0, 12.0)
    }
}

/// One line per allocator that has rows: (log2 size, the metric), by size.
fn lines_of(allocators: &[Name], rows: &[&Row], metric: Metric) -> Vec<(Name, Vec<(f64, f64)>)> {
    let mut series = Vec::new();
    for &a in allocators {
        let mut pts: Vec<(f64, f64)> = rows
            .iter()
            .filter(|r| r.allocator == a)
            .map(|r| ((r.size as f64).log2(), metric.of(r)))
            .collect();
        pts.sort_by(|p, q| p.0.total_cmp(&q.0));
        if !pts.is_empty() {
            series.push((a, pts));
        }
    }
    series
}

fn draw_lines<'a, DB, X, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    series: &[(Name, Vec<(f64, f64)>)],
    with_legend: bool,
) -> Result<(), String>
where
    DB: DrawingBackend + 'a,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    for &(allocator, ref pts) in series {
        let c = colour(allocator);
        let line = style::line(allocator);
        allocator_line(chart, allocator, pts.clone(), line)?;
        chart
            .draw_series(pts.iter().map(|&p| Circle::new(p, 4, c.filled())))
            .map_err(fail)?;
    }
    if with_legend {
        legend(chart, SeriesLabelPosition::UpperLeft, 15)?;
    }
    Ok(())
}
