//! The SVG plots of `cargo xtask bench-load` (plotters' SVG backend: text is written as SVG `<text>`, drawn by
//! whatever shows the file, so no font is read from this machine).

use std::path::Path;

use plotters::prelude::*;

use crate::bench_load::{Level, Row, SERVERS};

/// One colour per server, in [`SERVERS`] order.
const COLOURS: [RGBColor; 4] = [
    RGBColor(90, 90, 90),
    RGBColor(31, 119, 180),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
];

/// The levels with load, in order (the idle one has no acks).
fn loaded(levels: &[Level]) -> Vec<usize> {
    (0..levels.len()).filter(|l| levels[*l].rate > 0).collect()
}

fn colour(server: &str) -> RGBColor {
    let i = SERVERS.iter().position(|s| *s == server).unwrap_or(0);
    COLOURS[i % COLOURS.len()]
}

/// Ack p99 (log scale) per level of load, one line per server.
pub(crate) fn p99(path: &Path, rows: &[Row], levels: &[Level]) -> anyhow::Result<()> {
    let loaded = loaded(levels);
    let max = rows.iter().map(|r| r.p99).fold(1.0_f64, f64::max) * 2.0;
    let min = rows
        .iter()
        .filter(|r| r.p99 > 0.0)
        .map(|r| r.p99)
        .fold(max, f64::min)
        / 2.0;
    let root = SVGBackend::new(path, (900, 520)).into_drawing_area();
    root.fill(&WHITE).map_err(plot_error)?;
    let labels: Vec<&str> = loaded.iter().map(|l| levels[*l].label).collect();
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "ack p99 (ms, log scale) per level: connections @ msg/s",
            ("sans-serif", 20),
        )
        .margin(15)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(
            -0.5..(loaded.len() as f64 - 0.5),
            (min.max(0.01)..max).log_scale(),
        )
        .map_err(plot_error)?;
    chart
        .configure_mesh()
        .x_labels(loaded.len())
        .x_label_formatter(&|x| level_label(&labels, *x))
        .y_desc("ms")
        .draw()
        .map_err(plot_error)?;
    for server in SERVERS {
        let points: Vec<(f64, f64)> = loaded
            .iter()
            .enumerate()
            .filter_map(|(i, l)| {
                rows.iter()
                    .find(|r| r.server == server && r.level == *l && r.p99 > 0.0)
                    .map(|r| (i as f64, r.p99))
            })
            .collect();
        if points.is_empty() {
            continue;
        }
        let c = colour(server);
        chart
            .draw_series(LineSeries::new(points.clone(), c.stroke_width(2)))
            .map_err(plot_error)?
            .label(server)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
        chart
            .draw_series(points.into_iter().map(|p| Circle::new(p, 4, c.filled())))
            .map_err(plot_error)?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
        .map_err(plot_error)?;
    root.present().map_err(plot_error)?;
    Ok(())
}

/// Server CPU seconds per 1,000 acks: bars per level, one per server.
pub(crate) fn cpu(path: &Path, rows: &[Row], levels: &[Level]) -> anyhow::Result<()> {
    let loaded = loaded(levels);
    let max = rows
        .iter()
        .filter_map(Row::cpu_per_1k)
        .fold(0.0_f64, f64::max)
        .max(1e-3)
        * 1.15;
    let root = SVGBackend::new(path, (900, 520)).into_drawing_area();
    root.fill(&WHITE).map_err(plot_error)?;
    let labels: Vec<&str> = loaded.iter().map(|l| levels[*l].label).collect();
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "server CPU seconds per 1,000 acks (lower is better)",
            ("sans-serif", 20),
        )
        .margin(15)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(-0.5..(loaded.len() as f64 - 0.5), 0.0..max)
        .map_err(plot_error)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(loaded.len())
        .x_label_formatter(&|x| level_label(&labels, *x))
        .y_desc("CPU s / 1k acks")
        .draw()
        .map_err(plot_error)?;
    let width = 0.8 / SERVERS.len() as f64;
    for (s, server) in SERVERS.into_iter().enumerate() {
        let bars: Vec<(f64, f64)> = loaded
            .iter()
            .enumerate()
            .filter_map(|(i, l)| {
                rows.iter()
                    .find(|r| r.server == server && r.level == *l)
                    .and_then(Row::cpu_per_1k)
                    .map(|c| (i as f64 - 0.4 + s as f64 * width, c))
            })
            .collect();
        if bars.is_empty() {
            continue;
        }
        let c = colour(server);
        chart
            .draw_series(
                bars.into_iter()
                    .map(|(x, y)| Rectangle::new([(x, 0.0), (x + width * 0.9, y)], c.filled())),
            )
            .map_err(plot_error)?
            .label(server)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 15, y + 5)], c.filled()));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
        .map_err(plot_error)?;
    root.present().map_err(plot_error)?;
    Ok(())
}

/// The label of the level at a whole x (the levels sit at 0, 1, 2 …); nothing between them.
fn level_label(labels: &[&str], x: f64) -> String {
    let i = x.round();
    if (x - i).abs() < 0.01 && i >= 0.0 {
        labels.get(i as usize).copied().unwrap_or("").to_owned()
    } else {
        String::new()
    }
}

/// plotters' errors borrow the backend's error type: into anyhow as text.
fn plot_error<E: std::fmt::Display>(error: E) -> anyhow::Error {
    anyhow::anyhow!("plot: {error}")
}
