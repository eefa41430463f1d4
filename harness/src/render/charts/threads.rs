//! P99.9 against the number of threads running a workload at once, one line
//! per allocator, alloc and free side by side: who holds up under
//! contention?

use super::{fail, legend, titled, Chart};
use crate::format::size_label;
use crate::names::Name;
use crate::names::WorkloadName;
use crate::render::charts::style::{self, log_range};
use crate::results::summary::Row;
use plotters::coord::Shift;
use plotters::prelude::*;
use workloads::Op;

pub struct ThreadsChart {
    pub machine: String,
    pub workload: WorkloadName,
    pub size: usize,
    /// Every row of this workload and size, all thread counts.
    pub rows: Vec<Row>,
    /// Allocators in legend order.
    pub allocators: Vec<Name>,
}

impl ThreadsChart {
    /// One allocator's (threads, P99.9) points of `op`, fewest threads first.
    fn points(&self, a: Name, op: Op) -> Vec<(f64, f64)> {
        let mut pts: Vec<(f64, f64)> = self
            .rows
            .iter()
            .filter(|r| r.allocator == a && r.op == op)
            .map(|r| (r.threads as f64, r.p999_ns as f64))
            .collect();
        pts.sort_by(|p, q| p.0.total_cmp(&q.0));
        pts
    }
}

impl Chart for ThreadsChart {
    fn name(&self) -> String {
        crate::results::series::chart::threads(self.workload, self.size)
    }

    fn size(&self) -> (u32, u32) {
        (1600, 800)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let title = format!(
            "{}: {} {}, P99.9 per call against threads running at once",
            self.machine,
            self.workload,
            size_label(self.workload, self.size)
        );
        let titled = titled(root, &title)?;
        let areas = titled.split_evenly((1, 2));
        let most = self.rows.iter().map(|r| r.threads).max().unwrap_or(1);
        let p999 = || self.rows.iter().map(|r| r.p999_ns as f64);
        let (lo, hi) = (
            p999().fold(f64::INFINITY, f64::min),
            p999().fold(1.0, f64::max),
        );
        for (&op, area) in [Op::Alloc, Op::Free].iter().zip(&areas) {
            let mut chart = ChartBuilder::on(area)
                .caption(op.name(), ("sans-serif", 24))
                .margin(15)
                .x_label_area_size(50)
                .y_label_area_size(90)
                .build_cartesian_2d(0.8f64..(most as f64 + 0.2), log_range(lo, hi).log_scale())
                .map_err(fail)?;
            chart
                .configure_mesh()
                .x_labels(most as usize)
                .x_label_formatter(&|x| format!("{x:.0}"))
                .x_desc("threads running the workload at once")
                .y_desc("P99.9 (ns, log scale)")
                .y_label_formatter(&|y| crate::format::ns(*y))
                .label_style(("sans-serif", 16))
                .axis_desc_style(("sans-serif", 18))
                .draw()
                .map_err(fail)?;
            for &a in &self.allocators {
                let pts = self.points(a, op);
                if pts.is_empty() {
                    continue;
                }
                let line = style::line(a);
                let c = style::colour(a);
                chart
                    .draw_series(LineSeries::new(pts.clone(), line))
                    .map_err(fail)?
                    .label(a.label())
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], line));
                chart
                    .draw_series(pts.iter().map(|&p| Circle::new(p, 5, c.filled())))
                    .map_err(fail)?;
            }
            legend(&mut chart, SeriesLabelPosition::UpperLeft, 15)?;
        }
        Ok(())
    }
}
