//! PNG charts: a run's time series (`dctwin run --plot DIR`: power, PUE and the hottest rack
//! inlet) and the ranked bar charts of the studies (`sweep --plot`, `capacity --plot`). Drawn
//! with plotters' bitmap backend and the DejaVu Sans font embedded in the binary (no system font
//! lookup), so the same input gives byte-identical PNGs on any machine.

use std::path::{Component, Path, PathBuf};

use plotters::chart::MeshStyle;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The embedded font (DejaVu Sans; licence in assets/fonts/DejaVuSans-LICENSE.txt).
static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
/// Family name the charts ask for.
pub(crate) const FAMILY: &str = "dctwin-sans";
/// Time-series chart size, px.
const SIZE: (u32, u32) = (960, 420);
/// Outer margin of every chart, px.
const MARGIN: u32 = 12;
/// Height of the x-axis labels and description, px.
const X_AXIS: u32 = 40;
/// A bar chart's height for each bar, and for its title and axis, px.
const ROW: u32 = 26;
const BAR_CHART_FRAME: u32 = 100;

const RED: RGBColor = RGBColor(220, 70, 60);
const BLUE: RGBColor = RGBColor(60, 110, 220);
const PURPLE: RGBColor = RGBColor(150, 80, 200);
const GREEN: RGBColor = RGBColor(70, 160, 80);
const ORANGE: RGBColor = RGBColor(235, 150, 40);
const GREY: RGBColor = RGBColor(140, 140, 140);

/// Registers the embedded font once (for every picture drawn with plotters).
pub(crate) fn register_font() {
    font();
}

/// Registers the embedded font once.
fn font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Only fails on bytes that are not a font: these are checked by a test.
        let _ = plotters::style::register_font(FAMILY, FontStyle::Normal, FONT);
    });
}

/// A chart written: its title and file.
pub type Written = (String, PathBuf);

/// A white canvas of `size` px that writes `path` when presented.
fn canvas(path: &Path, size: (u32, u32)) -> Result<DrawingArea<BitMapBackend<'_>, Shift>, Box<dyn std::error::Error>> {
    let root = BitMapBackend::new(path, size).into_drawing_area();
    root.fill(&WHITE)?;
    Ok(root)
}

/// A titled chart on `root` with the axis areas every chart has.
fn titled<'a, 'b>(
    root: &'a DrawingArea<BitMapBackend<'b>, Shift>,
    title: &str,
    y_label_area: u32,
) -> ChartBuilder<'a, 'b, BitMapBackend<'b>> {
    let mut b = ChartBuilder::on(root);
    b.caption(title, (FAMILY, 22)).margin(MARGIN).x_label_area_size(X_AXIS).y_label_area_size(y_label_area);
    b
}

/// The axes' fonts.
fn axis_fonts<X: Ranged, Y: Ranged>(mesh: &mut MeshStyle<'_, '_, X, Y, BitMapBackend<'_>>) {
    mesh.label_style((FAMILY, 14)).axis_desc_style((FAMILY, 15));
}

/// Creates `dir` and writes each chart drawn by `draw` (file stem, title) into it.
fn write_each<T>(
    items: &[T],
    dir: &Path,
    name: impl Fn(&T) -> (String, String),
    draw: impl Fn(&T, &Path) -> Result<(), Box<dyn std::error::Error>>,
) -> Result<Vec<Written>, String> {
    font();
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut written = Vec::new();
    for item in items {
        let (stem, title) = name(item);
        let path = dir.join(format!("{stem}.png"));
        draw(item, &path).map_err(|e| format!("cannot draw {}: {e}", path.display()))?;
        written.push((title, path));
    }
    Ok(written)
}

/// Markdown that shows the charts, each linked by its path relative to `base` (the directory the
/// Markdown is written in; `.` for what is printed).
pub fn markdown_links(charts: &[Written], base: &Path) -> String {
    if charts.is_empty() {
        return String::new();
    }
    let mut o = String::from("\n## Charts\n\n");
    for (title, path) in charts {
        let link = relative(path, base);
        // A destination with spaces or parentheses goes in angle brackets (CommonMark).
        let link = if link.contains([' ', '(', ')']) { format!("<{link}>") } else { link };
        o.push_str(&format!("![{title}]({link})\n"));
    }
    o
}

/// `path` relative to the directory `base`, `/`-separated (as given when either cannot be made
/// absolute).
fn relative(path: &Path, base: &Path) -> String {
    let base = if base.as_os_str().is_empty() { Path::new(".") } else { base };
    let (Ok(p), Ok(b)) = (std::path::absolute(path), std::path::absolute(base)) else {
        return path.display().to_string();
    };
    let (p, b) = (normal(&p), normal(&b));
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<String> = b[common..].iter().map(|_| "..".to_string()).collect();
    parts.extend(p[common..].iter().map(|c| c.as_os_str().to_string_lossy().into_owned()));
    parts.join("/")
}

/// `path`'s components without `.`, and with each `..` removing what it names (`absolute` keeps
/// both as written).
fn normal(path: &Path) -> Vec<Component<'_>> {
    let mut v: Vec<Component> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(v.last(), Some(Component::Normal(_))) => {
                v.pop();
            }
            c => v.push(c),
        }
    }
    v
}

// ---- Time series ------------------------------------------------------------------------------

/// A time-series chart: file stem, title, y-axis label and the series (CSV column, legend, colour).
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
            ("it_load_kw", "IT load", RED),
            ("grid_import_kw", "grid import", BLUE),
            ("cooling_kw", "cooling", PURPLE),
            ("losses_kw", "losses", GREEN),
        ],
    },
    Chart { stem: "pue", title: "PUE", y_label: "PUE", series: &[("pue", "PUE", BLUE)] },
    Chart {
        stem: "hottest_inlet",
        title: "Hottest rack inlet",
        y_label: "°C",
        series: &[("hottest_inlet_c", "hottest inlet", RED)],
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
pub fn write_run_charts(csv: &str, dir: &Path) -> Result<Vec<Written>, String> {
    let cols = columns(csv);
    let charts: Vec<(&Chart, Vec<Series>)> = CHARTS
        .iter()
        .map(|chart| {
            let data = chart
                .series
                .iter()
                .filter_map(|(col, name, color)| {
                    cols.iter()
                        .find(|c| c.0 == *col)
                        .filter(|c| !c.1.is_empty())
                        .map(|c| (*name, c.1.as_slice(), *color))
                })
                .collect();
            (chart, data)
        })
        .filter(|(_, data): &(_, Vec<Series>)| !data.is_empty())
        .collect();
    write_each(
        &charts,
        dir,
        |(chart, _)| (chart.stem.to_string(), chart.title.to_string()),
        |(chart, data), path| draw(chart, data, path),
    )
}

fn draw(chart: &Chart, data: &[Series], path: &Path) -> Result<(), Box<dyn std::error::Error>> {
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
    let root = canvas(path, SIZE)?;
    let mut c =
        titled(&root, chart.title, 70).build_cartesian_2d(t0 / scale..(t1 / scale).max(t0 / scale + 1e-9), lo..hi)?;
    let mut mesh = c.configure_mesh();
    axis_fonts(&mut mesh);
    mesh.x_desc(format!("time ({unit})")).y_desc(chart.y_label).draw()?;
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

// ---- Ranked bars ------------------------------------------------------------------------------

/// What a bar's colour says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// IT load lost, or past a rating.
    Loss,
    /// Something else broke (a critical alert), or close to a rating.
    Alarm,
    /// No load-flow solution.
    Unsolved,
    /// A plain quantity.
    Plain,
    /// Capacity left unused.
    Stranded,
}

impl Tone {
    fn color(self) -> RGBColor {
        match self {
            Tone::Loss => RED,
            Tone::Alarm => ORANGE,
            Tone::Unsolved => GREY,
            Tone::Plain => BLUE,
            Tone::Stranded => PURPLE,
        }
    }
}

/// One bar: its label (left of the axis), length, the note written after it, and colour.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// What it is (a case id, an element, a place).
    pub label: String,
    /// Its length, in the chart's unit (≥ 0).
    pub value: f64,
    /// What follows it (the cause, the limit).
    pub note: String,
    /// Its colour.
    pub tone: Tone,
}

/// A ranked horizontal bar chart, first bar on top.
#[derive(Debug, Clone, PartialEq)]
pub struct BarChart {
    /// File name without `.png`.
    pub stem: String,
    /// Title.
    pub title: String,
    /// The x axis: what the bars measure, with the unit.
    pub x_desc: String,
    /// The bars.
    pub bars: Vec<Bar>,
    /// A red vertical line at this value (a rating at 100 %; the x axis says what it is).
    pub reference: Option<f64>,
}

/// A bar chart's size for `bars` bars, px: 960 wide, 100 + 26 a bar high.
pub fn bar_chart_size(bars: usize) -> (u32, u32) {
    (SIZE.0, BAR_CHART_FRAME + ROW * bars as u32)
}

/// Writes each chart with bars into `dir` as `STEM.png`; returns each one's title and path.
pub fn write_bar_charts(charts: &[BarChart], dir: &Path) -> Result<Vec<Written>, String> {
    let drawn: Vec<&BarChart> = charts.iter().filter(|c| !c.bars.is_empty()).collect();
    write_each(&drawn, dir, |c| (c.stem.clone(), c.title.clone()), |c, path| draw_bars(c, path))
}

/// `text` shortened (`…` in the middle, or at the end) until it is at most `max_px` wide in
/// `style`.
fn fit(
    root: &DrawingArea<BitMapBackend<'_>, Shift>,
    text: &str,
    style: &TextStyle,
    max_px: u32,
    middle: bool,
) -> String {
    let width = |s: &str| root.estimate_text_size(s, style).map_or(0, |(w, _)| w);
    if width(text) <= max_px {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    let mut keep = chars.len();
    while keep > 2 {
        keep -= 1;
        let (head, tail) = if middle { (keep.div_ceil(2), keep / 2) } else { (keep, 0) };
        let s: String = chars[..head].iter().chain(std::iter::once(&'…')).chain(&chars[chars.len() - tail..]).collect();
        if width(&s) <= max_px {
            return s;
        }
    }
    "…".to_string()
}

fn draw_bars(chart: &BarChart, path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let n = chart.bars.len();
    let size = bar_chart_size(n);
    let root = canvas(path, size)?;
    let label_style: TextStyle = (FAMILY, 14).into_font().color(&BLACK).pos(Pos::new(HPos::Right, VPos::Center));
    let note_style: TextStyle =
        (FAMILY, 13).into_font().color(&RGBColor(60, 60, 60)).pos(Pos::new(HPos::Left, VPos::Center));
    // Labels as wide as the widest needs, up to 42 % of the chart (longer ones shortened in the
    // middle, so both ends of an id stay).
    let label_max = size.0 * 42 / 100;
    let labels: Vec<String> = chart.bars.iter().map(|b| fit(&root, &b.label, &label_style, label_max, true)).collect();
    let label_area =
        labels.iter().map(|l| root.estimate_text_size(l, &label_style).map_or(0, |(w, _)| w)).max().unwrap_or(0) + 14;
    // Notes up to 60 % of the plotting width (shortened at the end); the x axis reaches far enough that every note fits
    // after its bar.
    let plot_w = f64::from(size.0 - 2 * MARGIN - label_area);
    let notes: Vec<String> =
        chart.bars.iter().map(|b| fit(&root, &b.note, &note_style, (plot_w * 0.6) as u32, false)).collect();
    let top = chart.bars.iter().map(|b| b.value).fold(0.0, f64::max);
    let mut x_max = if top > 0.0 { top * 1.02 } else { 1.0 };
    for (b, note) in chart.bars.iter().zip(&notes) {
        let w = f64::from(root.estimate_text_size(note, &note_style).map_or(0, |(w, _)| w));
        x_max = x_max.max(b.value * plot_w / (plot_w - w - 12.0));
    }
    if let Some(r) = chart.reference {
        x_max = x_max.max(r * 1.08);
    }
    let title = fit(&root, &chart.title, &(FAMILY, 22).into(), size.0 - 2 * MARGIN, false);
    let mut c = titled(&root, &title, label_area).build_cartesian_2d(0.0..x_max, 0.0..n as f64)?;
    let mut mesh = c.configure_mesh();
    axis_fonts(&mut mesh);
    // Whole numbers (counts) get whole-number ticks; large values no decimals.
    let whole = chart.bars.iter().all(|b| b.value.fract() == 0.0);
    let ticks = if whole { (x_max.floor() as usize + 1).clamp(2, 11) } else { 10 };
    let format = |v: &f64| if whole || x_max >= 10.0 { format!("{v:.0}") } else { format!("{v:.1}") };
    mesh.disable_y_mesh()
        .y_labels(0)
        .x_labels(ticks)
        .x_label_formatter(&format)
        .x_max_light_lines(2)
        .x_desc(fit(&root, &chart.x_desc, &(FAMILY, 15).into(), plot_w as u32, false))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()?;
    let (xs, ys) = c.plotting_area().get_pixel_range();
    let row = f64::from(ys.end - ys.start) / n as f64;
    let x0 = xs.start;
    for (i, ((b, label), note)) in chart.bars.iter().zip(&labels).zip(&notes).enumerate() {
        let mid = ys.start + (row * (i as f64 + 0.5)).round() as i32;
        let half = (row * 0.32).round() as i32;
        let end = c.backend_coord(&(b.value.max(0.0), 0.0)).0;
        // A bar above zero is at least 2 px long, so it shows.
        let end = if b.value > 0.0 { end.max(x0 + 3) } else { x0 };
        if end > x0 {
            root.draw(&Rectangle::new([(x0 + 1, mid - half), (end, mid + half)], b.tone.color().filled()))?;
        }
        root.draw(&Text::new(label.as_str(), (x0 - 8, mid), label_style.clone()))?;
        root.draw(&Text::new(note.as_str(), (end + 6, mid), note_style.clone()))?;
    }
    if let Some(r) = chart.reference {
        let x = c.backend_coord(&(r, 0.0)).0;
        root.draw(&PathElement::new(vec![(x, ys.start), (x, ys.end)], RED.stroke_width(1)))?;
    }
    root.present()?;
    Ok(())
}
