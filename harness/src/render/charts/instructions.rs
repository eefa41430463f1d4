//! Instructions per call against block size, from `harness count`: the
//! size sweep's alloc and free side by side, each allocator's mean per call
//! with a bar from its fewest to its most. Raw counts: the null row (the
//! counter's own toggles) is drawn dashed. Exact counts have no clock step
//! and no noise, so lines that touch are equal.

use super::{allocator_line, fail, legend, titled, Chart};
use crate::format::size_label;
use crate::names::Name;
use crate::names::WorkloadName;
use crate::render::charts::style::{self, log_range};
use crate::results::counts::CountRow;
use plotters::coord::Shift;
use plotters::prelude::*;
use workloads::Op;

pub struct InstructionsChart {
    pub machine: String,
    /// The size-sweep rows of counts.csv.
    pub rows: Vec<CountRow>,
    /// Allocators in legend order.
    pub allocators: Vec<Name>,
}

impl Chart for InstructionsChart {
    fn name(&self) -> String {
        crate::results::series::chart::SIZE_SWEEP_INSTRUCTIONS.into()
    }

    fn size(&self) -> (u32, u32) {
        (1600, 800)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let titled = titled(root, &format!(
                    "{}: size-sweep, instructions per call under callgrind (mean; bar: fewest to most; null: the counter's own)",
                    self.machine
                ))?;
        let areas = titled.split_evenly((1, 2));
        let sizes: Vec<f64> = self.rows.iter().map(|r| r.size as f64).collect();
        let (x_lo, x_hi) = (
            sizes.iter().copied().fold(f64::INFINITY, f64::min),
            sizes.iter().copied().fold(1.0, f64::max),
        );
        let lo = self
            .rows
            .iter()
            .map(|r| r.ir_min as f64)
            .fold(f64::INFINITY, f64::min);
        let hi = self
            .rows
            .iter()
            .map(|r| r.ir_max as f64)
            .fold(1.0, f64::max);
        for (&op, area) in [Op::Alloc, Op::Free].iter().zip(&areas) {
            self.panel(area, op, (x_lo, x_hi), (lo, hi))?;
        }
        Ok(())
    }
}

impl InstructionsChart {
    /// One op's panel: each allocator's mean against size, with a bar from
    /// its fewest to its most instructions.
    fn panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        op: Op,
        (x_lo, x_hi): (f64, f64),
        (lo, hi): (f64, f64),
    ) -> Result<(), String> {
        let mut chart = ChartBuilder::on(area)
            .caption(op.name(), ("sans-serif", 24))
            .margin(15)
            .x_label_area_size(50)
            .y_label_area_size(90)
            .build_cartesian_2d(
                (x_lo / 1.2..x_hi * 1.2).log_scale(),
                log_range(lo, hi).log_scale(),
            )
            .map_err(fail)?;
        chart
            .configure_mesh()
            .x_label_formatter(&|x| size_label(WorkloadName::SizeSweep, x.round() as usize))
            .x_desc("block size (log scale)")
            .y_desc("instructions per call (log scale)")
            .y_label_formatter(&|y| format!("{y:.0}"))
            .label_style(("sans-serif", 16))
            .axis_desc_style(("sans-serif", 18))
            .draw()
            .map_err(fail)?;
        for &a in &self.allocators {
            let mut rows: Vec<&CountRow> = self
                .rows
                .iter()
                .filter(|r| r.allocator == a && r.op == op)
                .collect();
            if rows.is_empty() {
                continue;
            }
            rows.sort_by_key(|r| r.size);
            let c = style::colour(a);
            let points = rows.iter().map(|r| (r.size as f64, r.ir_mean)).collect();
            allocator_line(&mut chart, a, points, style::line(a))?;
            chart
                .draw_series(rows.iter().map(|r| {
                    PathElement::new(
                        vec![
                            (r.size as f64, r.ir_min as f64),
                            (r.size as f64, r.ir_max as f64),
                        ],
                        c.stroke_width(1),
                    )
                }))
                .map_err(fail)?;
            chart
                .draw_series(
                    rows.iter()
                        .map(|r| Circle::new((r.size as f64, r.ir_mean), 4, c.filled())),
                )
                .map_err(fail)?;
        }
        legend(&mut chart, SeriesLabelPosition::UpperLeft, 15)
    }
}
