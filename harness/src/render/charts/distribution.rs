//! Latency by percentile, the HdrHistogram way: the x axis steps in
//! 1/(1-p) decades (90 %, 99 %, 99.9 % ...), the y axis is log latency, and
//! every allocator and the null floor share one chart per workload and op.

use super::{allocator_line, fail, legend, Chart};
use crate::format::size_label;
use crate::names::Name;
use crate::render::charts::style::{colour, log_range};
use crate::results::read::Distribution;
use plotters::coord::Shift;
use plotters::prelude::*;
use workloads::Op;

pub struct PercentileChart {
    pub machine: String,
    /// The workload as its files name it (with its threads).
    pub workload: String,
    pub name: crate::names::workload::WorkloadName,
    pub size: usize,
    pub op: Op,
    /// (allocator, its distribution), in legend order.
    pub series: Vec<(Name, Distribution)>,
}

/// Where percentile `p` (0..1) sits on the x axis: log10(1 / (1 - p)).
pub fn x_of(p: f64) -> f64 {
    (1.0 / (1.0 - p)).log10()
}

/// The label at x: 1 - 10^-x as a percentage ("99.9%").
pub fn percent_label(x: f64) -> String {
    let p = 100.0 * (1.0 - 10f64.powf(-x));
    let decimals = (x.round() as i32 - 2).max(0) as usize;
    format!("{p:.decimals$}%")
}

/// The x axis: linear in log10(1/(1-p)), with ticks at 50 % and at every
/// added nine, each labelled as a percentile.
struct PercentileAxis {
    end: f64,
}

impl Ranged for PercentileAxis {
    type FormatOption = plotters::coord::ranged1d::NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let span = f64::from(limit.1 - limit.0);
        limit.0 + (value / self.end * span).round() as i32
    }

    fn key_points<Hint: plotters::coord::ranged1d::KeyPointHint>(&self, _hint: Hint) -> Vec<f64> {
        let mut keys = vec![x_of(0.5)];
        keys.extend((1..=self.end as i32).map(f64::from));
        keys
    }

    fn range(&self) -> std::ops::Range<f64> {
        0.0..self.end
    }
}

impl plotters::coord::ranged1d::ValueFormatter<f64> for PercentileAxis {
    fn format(value: &f64) -> String {
        percent_label(*value)
    }
}

impl PercentileChart {
    /// The x axis reaches the rank of the largest sample count's max
    /// (10^7 samples: 99.99999 %), at least 99.99 %.
    fn x_end(&self) -> f64 {
        let most = self.series.iter().map(|(_, d)| d.total).max().unwrap_or(1);
        (most.max(2) as f64).log10().ceil().max(4.0)
    }

    /// The y axis: from the lowest plotted value to the highest max.
    fn value_range(&self) -> (f64, f64) {
        let lo = self
            .series
            .iter()
            .flat_map(|(_, d)| d.points.iter().map(|p| p.value_ns))
            .fold(f64::INFINITY, f64::min);
        let hi = self
            .series
            .iter()
            .map(|(_, d)| d.max_ns)
            .fold(0.0, f64::max);
        (lo, hi)
    }

    fn caption(&self) -> String {
        format!(
            "{}: {} {}, {} latency by percentile",
            self.machine,
            self.workload,
            size_label(self.name, self.size),
            self.op
        )
    }
}

impl Chart for PercentileChart {
    fn name(&self) -> String {
        crate::results::series::chart::percentiles(&self.workload, self.size, self.op)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let (lo, hi) = self.value_range();
        let x_end = self.x_end();
        let mut chart = ChartBuilder::on(root)
            .caption(self.caption(), ("sans-serif", 26))
            .margin(20)
            .margin_right(70)
            .x_label_area_size(60)
            .y_label_area_size(90)
            .build_cartesian_2d(PercentileAxis { end: x_end }, log_range(lo, hi).log_scale())
            .map_err(fail)?;
        chart
            .configure_mesh()
            .x_desc("percentile (log scale of 1/(1-p)); a ring marks each series' max")
            .y_desc(if self.op == Op::Request {
                "latency per request (ns, log scale)"
            } else {
                "latency per call (ns, log scale)"
            })
            .y_label_formatter(&|y| crate::format::ns(*y))
            .label_style(("sans-serif", 18))
            .axis_desc_style(("sans-serif", 20))
            .draw()
            .map_err(fail)?;
        for &(allocator, ref d) in &self.series {
            let c = colour(allocator);
            let width = if allocator == Name::Pmad { 3 } else { 2 };
            let points: Vec<(f64, f64)> = d
                .points
                .iter()
                .filter(|p| p.percentile < 1.0)
                .map(|p| (x_of(p.percentile), p.value_ns))
                .collect();
            let line = c.stroke_width(width);
            allocator_line(&mut chart, allocator, points, line)?;
            // The max sits at rank N: 1/(1-p) = N samples.
            let max_x = (d.total.max(1) as f64).log10().min(x_end);
            chart
                .draw_series(std::iter::once(Circle::new(
                    (max_x, d.max_ns),
                    6,
                    c.stroke_width(2),
                )))
                .map_err(fail)?;
        }
        legend(&mut chart, SeriesLabelPosition::UpperLeft, 18)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_axis_steps_in_nines() {
        assert!((x_of(0.9) - 1.0).abs() < 1e-9);
        assert!((x_of(0.999) - 3.0).abs() < 1e-9);
        assert_eq!(percent_label(x_of(0.5)), "50%");
        assert_eq!(percent_label(1.0), "90%");
        assert_eq!(percent_label(2.0), "99%");
        assert_eq!(percent_label(3.0), "99.9%");
        assert_eq!(percent_label(5.0), "99.999%");
    }
}
