//! Churn over time: P99.9 and max of every window (one .hlog interval)
//! against the operations done, one line per allocator. Does anyone rot as
//! the heap ages?

use super::{allocator_line, fail, legend, titled, Chart};
use crate::format::size_label;
use crate::names::Name;
use crate::names::WorkloadName;
use crate::render::charts::style::{self, log_range};
use crate::results::read::WindowFigures;
use plotters::coord::Shift;
use plotters::prelude::*;
use workloads::Op;

/// "1M", "250k", "999".
fn count_label(n: u64) -> String {
    if n >= 1_000_000 && n.is_multiple_of(1_000_000) {
        format!("{}M", n / 1_000_000)
    } else if n >= 1_000 && n.is_multiple_of(1_000) {
        format!("{}k", n / 1_000)
    } else {
        n.to_string()
    }
}

pub struct ChurnChart {
    pub machine: String,
    pub size: usize,
    pub op: Op,
    /// Operations (alloc + free) per window.
    pub window_ops: u64,
    /// (allocator, its windows in order), in legend order.
    pub series: Vec<(Name, Vec<WindowFigures>)>,
}

impl Chart for ChurnChart {
    fn name(&self) -> String {
        crate::results::series::chart::churn_windows(self.size, self.op)
    }

    fn size(&self) -> (u32, u32) {
        (1400, 1100)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let titled = titled(
            root,
            &format!(
                "{}: churn {}, {} latency per window of {} ops",
                self.machine,
                size_label(WorkloadName::Churn, self.size),
                self.op,
                count_label(self.window_ops)
            ),
        )?;
        let areas = titled.split_evenly((2, 1));
        let pick_p999 = |w: &WindowFigures| w.p999_ns as f64;
        let pick_max = |w: &WindowFigures| w.max_ns as f64;
        panel(self, &areas[0], "P99.9 per window", &pick_p999)?;
        panel(self, &areas[1], "max per window", &pick_max)?;
        Ok(())
    }
}

fn panel<DB: DrawingBackend>(
    data: &ChurnChart,
    area: &DrawingArea<DB, Shift>,
    what: &str,
    pick: &dyn Fn(&WindowFigures) -> f64,
) -> Result<(), String> {
    let millions = data.window_ops as f64 / 1e6;
    let windows = data.series.iter().map(|(_, w)| w.len()).max().unwrap_or(0);
    let x_hi = (windows.max(1) as f64) * millions;
    let values = data.series.iter().flat_map(|(_, w)| w.iter().map(pick));
    let (lo, hi) = values.fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    let mut chart = ChartBuilder::on(area)
        .caption(what, ("sans-serif", 22))
        .margin(15)
        .x_label_area_size(50)
        .y_label_area_size(90)
        .build_cartesian_2d(0f64..x_hi, log_range(lo, hi).log_scale())
        .map_err(fail)?;
    chart
        .configure_mesh()
        .x_desc("operations done (alloc + free), millions")
        .y_desc(format!("{what} (ns, log scale)"))
        .y_label_formatter(&|y| crate::format::ns(*y))
        .label_style(("sans-serif", 16))
        .axis_desc_style(("sans-serif", 18))
        .draw()
        .map_err(fail)?;
    for &(allocator, ref w) in &data.series {
        let line = style::line(allocator);
        // A window's point sits at the ops done when it closed.
        let pts: Vec<(f64, f64)> = w
            .iter()
            .enumerate()
            .map(|(i, f)| ((i + 1) as f64 * millions, pick(f)))
            .collect();
        allocator_line(&mut chart, allocator, pts, line)?;
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight, 15)?;
    Ok(())
}
