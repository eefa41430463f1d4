//! Churn's memory over time: the process's RSS per allocator against the
//! bytes the workload holds live (the same for every allocator: one seed),
//! and each allocator's internal waste per window.

use super::{fail, legend, titled, Chart};
use crate::format::size_label;
use crate::names::Name;
use crate::names::WorkloadName;
use crate::render::charts::style;
use crate::results::memory::WindowMemory;
use plotters::coord::Shift;
use plotters::prelude::*;

pub struct MemoryChart {
    pub machine: String,
    pub size: usize,
    /// (allocator, its windows), in legend order.
    pub series: Vec<(Name, Vec<WindowMemory>)>,
}

const MIB: f64 = 1024.0 * 1024.0;

impl Chart for MemoryChart {
    fn name(&self) -> String {
        crate::results::series::chart::churn_memory(self.size)
    }

    fn size(&self) -> (u32, u32) {
        (1400, 1100)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let titled = titled(
            root,
            &format!(
                "{}: churn {}, memory at the end of each window",
                self.machine,
                size_label(WorkloadName::Churn, self.size)
            ),
        )?;
        let areas = titled.split_evenly((2, 1));
        let x_hi = self
            .series
            .iter()
            .flat_map(|(_, w)| w.iter().map(|w| w.ops_done as f64 / 1e6))
            .fold(1.0, f64::max);

        self.rss_panel(&areas[0], x_hi)?;
        self.waste_panel(&areas[1], x_hi)
    }
}

impl MemoryChart {
    /// RSS growth per allocator and the requested live bytes.
    /// The RSS panel's y axis in MiB: down to the largest shrink (with a
    /// margin), up to the largest growth or live set.
    fn rss_range(&self) -> (f64, f64) {
        let y_hi = self
            .series
            .iter()
            .flat_map(|(_, w)| {
                w.iter().map(|w| {
                    (w.rss_growth_bytes.unwrap_or(0).max(0) as u64).max(w.requested_bytes) as f64
                        / MIB
                })
            })
            .fold(1.0, f64::max);
        let y_lo = self
            .series
            .iter()
            .flat_map(|(_, w)| w.iter().filter_map(|w| w.rss_growth_bytes))
            .fold(0, i64::min) as f64
            / MIB
            * 1.1;
        (y_lo, y_hi)
    }

    fn rss_panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        x_hi: f64,
    ) -> Result<(), String> {
        let (y_lo, y_hi) = self.rss_range();
        let mut chart = ChartBuilder::on(area)
            .caption(
                "RSS growth since the case began (solid) and live bytes requested (black dashes)",
                ("sans-serif", 22),
            )
            .margin(15)
            .x_label_area_size(50)
            .y_label_area_size(90)
            .build_cartesian_2d(0f64..x_hi, y_lo..y_hi * 1.1)
            .map_err(fail)?;
        chart
            .configure_mesh()
            .x_desc("operations done (alloc + free), millions")
            .y_desc("MiB")
            .label_style(("sans-serif", 16))
            .axis_desc_style(("sans-serif", 18))
            .draw()
            .map_err(fail)?;
        for &(allocator, ref w) in &self.series {
            let line = style::line(allocator);
            let pts: Vec<(f64, f64)> = w
                .iter()
                .filter_map(|w| Some((w.ops_done as f64 / 1e6, w.rss_growth_bytes? as f64 / MIB)))
                .collect();
            chart
                .draw_series(LineSeries::new(pts, line))
                .map_err(fail)?
                .label(allocator.label())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], line));
        }
        if let Some((_, w)) = self.series.first() {
            let pts: Vec<(f64, f64)> = w
                .iter()
                .map(|w| (w.ops_done as f64 / 1e6, w.requested_bytes as f64 / MIB))
                .collect();
            let line = BLACK.stroke_width(2);
            chart
                .draw_series(DashedLineSeries::new(pts, 10, 6, line))
                .map_err(fail)?
                .label("live bytes requested")
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], line));
        }
        legend(&mut chart, SeriesLabelPosition::LowerRight, 15)?;
        Ok(())
    }

    /// Each allocator's internal waste per window.
    fn waste_panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        x_hi: f64,
    ) -> Result<(), String> {
        let waste = |w: &WindowMemory| {
            let usable = w.usable_bytes? as f64;
            (usable > 0.0).then(|| 100.0 * (usable - w.requested_bytes as f64) / usable)
        };
        let w_hi = self
            .series
            .iter()
            .flat_map(|(_, w)| w.iter().filter_map(waste))
            .fold(1.0, f64::max);
        let mut chart = ChartBuilder::on(area)
            .caption(
                "internal waste: (usable - requested) / usable bytes of the live blocks",
                ("sans-serif", 22),
            )
            .margin(15)
            .x_label_area_size(50)
            .y_label_area_size(90)
            .build_cartesian_2d(0f64..x_hi, 0f64..w_hi * 1.15)
            .map_err(fail)?;
        chart
            .configure_mesh()
            .x_desc("operations done (alloc + free), millions")
            .y_desc("percent of usable bytes")
            .label_style(("sans-serif", 16))
            .axis_desc_style(("sans-serif", 18))
            .draw()
            .map_err(fail)?;
        for &(allocator, ref w) in &self.series {
            let pts: Vec<(f64, f64)> = w
                .iter()
                .filter_map(|x| Some((x.ops_done as f64 / 1e6, waste(x)?)))
                .collect();
            if pts.is_empty() {
                continue;
            }
            let line = style::line(allocator);
            chart
                .draw_series(LineSeries::new(pts, line))
                .map_err(fail)?
                .label(allocator.label())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], line));
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight, 15)
    }
}
