//! `harness plot` and `harness report`: read a results directory (never
//! measure) and render charts into the plots directory and REPORT.md into the
//! results directory.

pub mod charts;
pub mod markdown;

use crate::names::Name;
use crate::names::WorkloadName;
use crate::results::read::Results;
use crate::results::series::files_workload;
use crate::results::sink::Sink;
use crate::results::summary::Row;
use charts::churn::ChurnChart;
use charts::distribution::PercentileChart;
use charts::hot_path::HotPathChart;
use charts::instructions::InstructionsChart;
use charts::memory::MemoryChart;
use charts::request::RequestChart;
use charts::save;
use charts::sweep::SweepChart;
use charts::threads::ThreadsChart;
use std::path::{Path, PathBuf};
use workloads::Op;

/// One chart a results directory supports: its file name, where the
/// report shows it, its alt text, and how to draw it. `plot` draws every
/// one, and the report links exactly these names, so it cannot link a chart
/// that `plot` does not draw.
pub struct Planned<'a> {
    /// The file name without extension (`<name>.png`, `<name>.svg`).
    pub name: String,
    /// The report section that shows it: a workload's, or the instruction counts'.
    pub section: Section,
    /// The size it is about, for a chart of one size.
    pub size: Option<usize>,
    /// The report's alt text.
    pub alt: String,
    render: Draw<'a>,
}

/// Draws a chart into a sink; returns its PNG's path.
type Draw<'a> = Box<dyn Fn(&Sink) -> Result<PathBuf, String> + 'a>;

impl<'a> Planned<'a> {
    fn new<C: charts::Chart + 'a>(
        chart: C,
        section: Section,
        size: Option<usize>,
        alt: String,
    ) -> Self {
        Planned {
            name: chart.name(),
            section,
            size,
            alt,
            render: Box::new(move |sink| save(&chart, sink)),
        }
    }

    /// Draws the chart into the sink's directory; returns its PNG's path.
    pub fn render(&self, sink: &Sink) -> Result<PathBuf, String> {
        (self.render)(sink)
    }
}

/// Where in the report a chart is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    /// A workload's section.
    Workload(WorkloadName),
    /// The instruction counts' section (`harness count`).
    Instructions,
}

/// Every chart a results directory supports, in the order the report shows
/// them within each workload's section.
pub fn charts_of(r: &Results) -> Result<Vec<Planned<'_>>, String> {
    let mut out = Vec::new();
    headline_charts(r, &mut out);
    churn_charts(r, &mut out)?;
    request_chart(r, &mut out)?;
    threads_charts(r, &mut out);
    percentile_charts(r, &mut out)?;
    Ok(out)
}

/// hot-path's and size-sweep's head-to-heads, and the sweep's instruction counts.
/// The hot path's head-to-head: alloc and free panels at its first size.
fn hot_path_chart(r: &Results, machine: String) -> HotPathChart {
    let size = r.sizes(WorkloadName::HotPath)[0];
    let panels: Vec<(Op, Vec<Row>)> = [Op::Alloc, Op::Free]
        .into_iter()
        .map(|op| {
            let rows = r
                .allocators()
                .iter()
                .filter_map(|&a| r.row(a, WorkloadName::HotPath, size, op).cloned())
                .collect();
            (op, rows)
        })
        .collect();
    HotPathChart {
        machine,
        size,
        panels,
        timer_step_ns: r.timer_step_ns(),
    }
}

fn headline_charts<'a>(r: &'a Results, out: &mut Vec<Planned<'a>>) {
    let machine = r.machine_label();
    let allocators = r.allocators();
    let workloads = r.workloads();
    if workloads.contains(&WorkloadName::HotPath) {
        out.push(Planned::new(
            hot_path_chart(r, machine.clone()),
            Section::Workload(WorkloadName::HotPath),
            None,
            "hot-path head-to-head".into(),
        ));
    }
    if workloads.contains(&WorkloadName::SizeSweep) {
        let chart = SweepChart {
            machine: machine.clone(),
            rows: r
                .rows
                .iter()
                .filter(|row| row.workload == WorkloadName::SizeSweep)
                .cloned()
                .collect(),
            allocators: allocators.clone(),
            timer_step_ns: r.timer_step_ns(),
        };
        let section = Section::Workload(WorkloadName::SizeSweep);
        out.push(Planned::new(chart, section, None, "size-sweep".into()));
    }
    let sweep_counts: Vec<_> = r
        .counts
        .iter()
        .filter(|c| c.workload == WorkloadName::SizeSweep)
        .cloned()
        .collect();
    if !sweep_counts.is_empty() {
        let chart = InstructionsChart {
            machine: machine.clone(),
            allocators: allocators
                .iter()
                .copied()
                .filter(|&a| sweep_counts.iter().any(|c| c.allocator == a))
                .collect(),
            rows: sweep_counts,
        };
        let alt = "size-sweep instructions per call".into();
        out.push(Planned::new(chart, Section::Instructions, None, alt));
    }
}

/// churn's memory and per-window charts, per size.
fn churn_charts<'a>(r: &'a Results, out: &mut Vec<Planned<'a>>) -> Result<(), String> {
    let machine = r.machine_label();
    let allocators = r.allocators();
    let workloads = r.workloads();
    if workloads.contains(&WorkloadName::Churn) {
        let section = Section::Workload(WorkloadName::Churn);
        for size in r.sizes(WorkloadName::Churn) {
            let label = crate::format::size_label(WorkloadName::Churn, size);
            let mut series = Vec::new();
            for &a in &allocators {
                if let Some(w) = r.memory(a, size)? {
                    if !w.is_empty() {
                        series.push((a, w));
                    }
                }
            }
            if !series.is_empty() {
                let chart = MemoryChart {
                    machine: machine.clone(),
                    size,
                    series,
                };
                let alt = format!("churn {label} memory per window");
                out.push(Planned::new(chart, section, Some(size), alt));
            }
            for op in [Op::Alloc, Op::Free] {
                if let Some(series) = churn_windows(r, size, op)? {
                    let chart = ChurnChart {
                        machine: machine.clone(),
                        size,
                        op,
                        window_ops: r.window_ops(size),
                        series,
                    };
                    let alt = format!("churn {label} {op} per window");
                    out.push(Planned::new(chart, section, Some(size), alt));
                }
            }
        }
    }
    Ok(())
}

/// Both request loops' latency by percentile, in one chart.
fn request_chart<'a>(r: &'a Results, out: &mut Vec<Planned<'a>>) -> Result<(), String> {
    let workloads = r.workloads();
    let request: Vec<PercentileChart> = [WorkloadName::RequestClosed, WorkloadName::RequestOpen]
        .into_iter()
        .filter(|w| workloads.contains(w))
        .map(|w| percentiles(r, w, 0, Op::Request))
        .collect::<Result<Vec<_>, String>>()?
        .into_iter()
        .flatten()
        .collect();
    if !request.is_empty() {
        let chart = RequestChart { panels: request };
        let alt = "request latency by percentile, closed loop and open loop".into();
        let section = Section::Workload(WorkloadName::RequestClosed);
        out.push(Planned::new(chart, section, None, alt));
    }
    Ok(())
}

/// P99.9 against threads, for each workload measured on several.
fn threads_charts<'a>(r: &'a Results, out: &mut Vec<Planned<'a>>) {
    let machine = r.machine_label();
    let allocators = r.allocators();
    let workloads = r.workloads();
    for &workload in &workloads {
        // A workload that needs several threads has no 1-thread point.
        if r.threaded(workload).is_empty() || r.own_threads(workload) > 1 {
            continue;
        }
        for size in r.sizes(workload) {
            let chart = ThreadsChart {
                machine: machine.clone(),
                workload,
                size,
                rows: r
                    .rows
                    .iter()
                    .filter(|x| x.workload == workload && x.size == size)
                    .cloned()
                    .collect(),
                allocators: allocators.clone(),
            };
            let alt = format!(
                "{workload} {} P99.9 against threads",
                crate::format::size_label(workload, size)
            );
            out.push(Planned::new(
                chart,
                Section::Workload(workload),
                Some(size),
                alt,
            ));
        }
    }
}

/// Every series' distribution by percentile, every allocator on one chart.
fn percentile_charts<'a>(r: &'a Results, out: &mut Vec<Planned<'a>>) -> Result<(), String> {
    let workloads = r.workloads();
    for &workload in &workloads {
        for size in r.sizes(workload) {
            for op in r.ops(workload) {
                if let Some(chart) = percentiles(r, workload, size, op)? {
                    let alt = format!(
                        "{} {} {op} by percentile",
                        chart.workload,
                        crate::format::size_label(workload, size)
                    );
                    let section = Section::Workload(workload);
                    out.push(Planned::new(chart, section, Some(size), alt));
                }
            }
        }
    }
    Ok(())
}

/// Every allocator's distribution of one series at the workload's own
/// thread count; None when no allocator has it.
fn percentiles(
    r: &Results,
    workload: WorkloadName,
    size: usize,
    op: Op,
) -> Result<Option<PercentileChart>, String> {
    let mut series = Vec::new();
    for a in r.allocators() {
        if let Some(d) = r.distribution(&r.series_id(a, workload, size, op))? {
            series.push((a, d));
        }
    }
    Ok((!series.is_empty()).then(|| PercentileChart {
        machine: r.machine_label(),
        workload: files_workload(workload, r.own_threads(workload)),
        name: workload,
        size,
        op,
        series,
    }))
}

/// The churn windows of every allocator for one case, when there is more
/// than one window to draw (a short run has a single window: no chart).
#[allow(clippy::type_complexity)]
pub fn churn_windows(
    r: &Results,
    size: usize,
    op: Op,
) -> Result<Option<Vec<(Name, Vec<crate::results::read::WindowFigures>)>>, String> {
    let mut series = Vec::new();
    for a in r.allocators() {
        if let Some(w) = r.windows(&r.series_id(a, WorkloadName::Churn, size, op))? {
            if !w.is_empty() {
                series.push((a, w));
            }
        }
    }
    Ok(series.iter().any(|(_, w)| w.len() > 1).then_some(series))
}

/// Renders every chart of `results` into `out`; returns the PNG paths.
pub fn plot(results: &Path, out: &Path) -> Result<Vec<PathBuf>, String> {
    charts::style::register_fonts()?;
    let r = Results::load(results)?;
    let sink = Sink::open(out, true).map_err(|e| e.replace("--out", "plots directory"))?;
    let mut written = Vec::new();
    for chart in charts_of(&r)? {
        written.push(chart.render(&sink)?);
    }
    Ok(written)
}
