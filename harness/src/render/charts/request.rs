//! The request workloads' headline: request latency by percentile for every
//! allocator, closed loop beside open loop, on one figure so the cost of a
//! fixed arrival rate (queueing behind a stall) reads at a glance.

use super::distribution::PercentileChart;
use super::Chart;
use plotters::coord::Shift;
use plotters::prelude::*;

pub struct RequestChart {
    /// The closed-loop and open-loop charts, drawn side by side.
    pub panels: Vec<PercentileChart>,
}

impl Chart for RequestChart {
    fn name(&self) -> String {
        crate::results::series::chart::REQUEST_LATENCY.into()
    }

    fn size(&self) -> (u32, u32) {
        (1400 * self.panels.len().max(1) as u32, 900)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let areas = root.split_evenly((1, self.panels.len().max(1)));
        for (panel, area) in self.panels.iter().zip(&areas) {
            panel.draw(area)?;
        }
        Ok(())
    }
}
