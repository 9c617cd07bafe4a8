//! PNG charts of a run's time series (`dctwin run --plot DIR`): power, PUE and the hottest rack
//! inlet. Drawn with plotters' bitmap backend and the DejaVu Sans font embedded in the binary
//! (no system font lookup), so the same run gives byte-identical PNGs on any machine.

use std::path::{Path, PathBuf};

use plotters::prelude::*;

/// The embedded font (DejaVu Sans; licence in assets/fonts/DejaVuSans-LICENSE.txt).
static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
/// Family name the charts ask for.
const FAMILY: &str = "dctwin-sans";
/// Chart size, px.
const SIZE: (u32, u32) = (960, 420);

/// Registers the embedded font once.
fn font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Only fails on bytes that are not a font: these are checked by a test.
        let _ = plotters::style::register_font(FAMILY, FontStyle::Normal, FONT);
    });
}

/// A chart: file stem, title, y-axis label and the series (CSV column, legend, colour).
struct Chart {
    stem: &'static str,
    title: &'static str,
    y_label: &'static str,
    series: &'static [(&'static str, &'static str, RGBColor)],
}

const CHARTS: &[Chart] = &[
    Chart {
        stem: "power",
        title: "Power",
        y_label: "kW",
        series: &[
            ("it_load_kw", "IT load", RGBColor(220, 70, 60)),
            ("grid_import_kw", "grid import", RGBColor(60, 110, 220)),
            ("cooling_kw", "cooling", RGBColor(150, 80, 200)),
            ("losses_kw", "losses", RGBColor(70, 160, 80)),
        ],
    },
    Chart { stem: "pue", title: "PUE", y_label: "PUE", series: &[("pue", "PUE", RGBColor(60, 110, 220))] },
    Chart {
        stem: "hottest_inlet",
        title: "Hottest rack inlet",
        y_label: "°C",
        series: &[("hottest_inlet_c", "hottest inlet", RGBColor(220, 70, 60))],
    },
];

/// A series drawn: legend, points (time s, value), colour.
type Series<'a> = (&'a str, &'a [(f64, f64)], RGBColor);

/// Columns of a time-series CSV (`time_s` first), by header name; empty cells are skipped.
fn columns(csv: &str) -> Vec<(String, Vec<(f64, f64)>)> {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split(',').collect();
    let mut cols: Vec<(String, Vec<(f64, f64)>)> = header.iter().skip(1).map(|h| (h.to_string(), vec![])).collect();
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        let Some(t) = cells.first().and_then(|c| c.parse::<f64>().ok()) else { continue };
        for (c, cell) in cols.iter_mut().zip(cells.iter().skip(1)) {
            if let Ok(v) = cell.parse::<f64>()
                && v.is_finite()
            {
                c.1.push((t, v));
            }
        }
    }
    cols
}

/// Writes the charts whose series are in `csv` (the `--timeseries` CSV) into `dir`; returns
/// each chart's title and path.
pub fn write_run_charts(csv: &str, dir: &Path) -> Result<Vec<(&'static str, PathBuf)>, String> {
    font();
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let cols = columns(csv);
    let mut written = Vec::new();
    for chart in CHARTS {
        let data: Vec<Series> = chart
            .series
            .iter()
            .filter_map(|(col, name, color)| {
                cols.iter().find(|c| c.0 == *col).filter(|c| !c.1.is_empty()).map(|c| (*name, c.1.as_slice(), *color))
            })
            .collect();
        if data.is_empty() {
            continue;
        }
        let path = dir.join(format!("{}.png", chart.stem));
        draw(chart, &data, &path).map_err(|e| format!("cannot draw {}: {e}", path.display()))?;
        written.push((chart.title, path));
    }
    Ok(written)
}

fn draw(
    chart: &Chart,
    data: &[Series],
    path: &Path,
) -> Result<(), Box<dyn std::error::Error>> {
    let (mut t0, mut t1, mut y0, mut y1) = (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
    for (_, points, _) in data {
        for &(t, v) in *points {
            (t0, t1, y0, y1) = (t0.min(t), t1.max(t), y0.min(v), y1.max(v));
        }
    }
    // Time in the unit that reads best; a flat series still gets a visible band (at least 1 %
    // of its value, so a 0.0007 °C wobble is not drawn as a cliff).
    let (scale, unit) = if t1 > 7200.0 {
        (3600.0, "h")
    } else if t1 > 120.0 {
        (60.0, "min")
    } else {
        (1.0, "s")
    };
    let span = (y1 - y0).max(0.01 * y1.abs().max(y0.abs())).max(1e-6);
    let mid = (y0 + y1) / 2.0;
    let (lo, hi) = (mid - 0.55 * span, mid + 0.55 * span);
    let (lo, hi) = if y0 >= 0.0 && lo < 0.0 { (0.0, hi - lo) } else { (lo, hi) };
    let root = BitMapBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let mut c = ChartBuilder::on(&root)
        .caption(chart.title, (FAMILY, 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(t0 / scale..(t1 / scale).max(t0 / scale + 1e-9), lo..hi)?;
    c.configure_mesh()
        .x_desc(format!("time ({unit})"))
        .y_desc(chart.y_label)
        .label_style((FAMILY, 14))
        .axis_desc_style((FAMILY, 15))
        .draw()?;
    for &(name, points, color) in data {
        c.draw_series(LineSeries::new(points.iter().map(|&(t, v)| (t / scale, v)), color.stroke_width(2)))?
            .label(name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2)));
    }
    if data.len() > 1 {
        c.configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font((FAMILY, 14))
            .draw()?;
    }
    root.present()?;
    Ok(())
}
