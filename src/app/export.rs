//! Exports from the app: the report of the run so far (Markdown or JSON, the same report
//! `dctwin run` writes) and a PNG of the plan as coloured now (rooms, aisles, zones, every
//! element or, where racks would be specks, their rows, with labels that fit). Pictures are
//! drawn in memory and every file is written with the site saver's atomic write, so a crash
//! never leaves half a file.

use std::path::{Path, PathBuf};

use bevy::math::Vec2;
use bevy::prelude::World;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::colors::{Rgb, group_color, legend, metric_color};
use super::plan::{PlanIndex, PlanItem, rebuild_items, zone_areas};
use super::rows::{find_rows, racks_in_detail};
use super::state::{ColorMetric, EditorState, OpenFile};
use super::status::{SiteStatus, refresh_status};
use crate::headless::RunOptions;
use crate::headless::report::Report;
use crate::kinds::EquipmentKind;
use crate::sim::SimClock;
use crate::sim::world::{CoolingLayout, SiteMeta};

/// What the app exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    /// The run so far as Markdown.
    ReportMarkdown,
    /// The run so far as JSON (the `dctwin run` report schema).
    ReportJson,
    /// The plan as a PNG picture.
    PlanPng,
    /// The single-line diagram as a PNG picture.
    DiagramPng,
}

impl ExportKind {
    /// Every export, in menu order.
    pub const ALL: [ExportKind; 4] =
        [ExportKind::ReportMarkdown, ExportKind::ReportJson, ExportKind::PlanPng, ExportKind::DiagramPng];

    /// For the menu.
    pub fn label(self) -> &'static str {
        match self {
            ExportKind::ReportMarkdown => "Report (Markdown)…",
            ExportKind::ReportJson => "Report (JSON)…",
            ExportKind::PlanPng => "Plan (PNG)…",
            ExportKind::DiagramPng => "Single-line diagram (PNG)…",
        }
    }

    /// File name ending after the site's stem.
    fn suffix(self) -> &'static str {
        match self {
            ExportKind::ReportMarkdown => "-report.md",
            ExportKind::ReportJson => "-report.json",
            ExportKind::PlanPng => "-plan.png",
            ExportKind::DiagramPng => "-diagram.png",
        }
    }
}

/// Where an export is suggested: `<site>-report.md` (etc.) beside the open file, or in the
/// working folder when the open file is a bundled example or there is none.
pub fn export_suggestion(open: Option<&Path>, kind: ExportKind) -> PathBuf {
    let stem =
        open.and_then(|p| p.file_stem()).map_or_else(|| "site".to_string(), |s| s.to_string_lossy().into_owned());
    let dir = match open {
        Some(p) if !super::files::is_bundled_example(p) => p.parent().map(Path::to_path_buf).unwrap_or_default(),
        _ => PathBuf::new(),
    };
    dir.join(format!("{stem}{}", kind.suffix()))
}

/// The report of the run so far: what `dctwin run` would report after the same simulated time.
pub fn current_report(world: &mut World) -> Report {
    let elapsed = world.get_resource::<SimClock>().map_or(0.0, |c| c.elapsed_s);
    let options =
        RunOptions { duration: std::time::Duration::from_secs_f64(elapsed.max(0.0)), step: crate::sim::DEFAULT_STEP };
    let file = world
        .get_resource::<OpenFile>()
        .and_then(|f| f.path.as_ref())
        .map_or_else(|| "untitled site".to_string(), |p| p.display().to_string());
    Report::from_world(world, &options, &file)
}

/// Writes `kind` to `path`; the message for the status line.
pub fn export(world: &mut World, kind: ExportKind, path: &Path) -> Result<String, String> {
    match kind {
        ExportKind::ReportMarkdown | ExportKind::ReportJson => {
            let report = current_report(world);
            let text = if kind == ExportKind::ReportJson { report.to_json() } else { report.to_markdown(0) };
            crate::site::save::atomic_write(path, text.as_bytes())
                .map_err(|e| format!("could not write {}: {e}", path.display()))?;
            Ok(format!("Exported the report to {}", path.display()))
        }
        ExportKind::PlanPng => {
            let (w, h) = write_plan_png(world, path, PLAN_PNG_SIZE)?;
            Ok(format!("Exported the plan ({w}×{h} px) to {}", path.display()))
        }
        ExportKind::DiagramPng => {
            if world.get_resource::<SiteStatus>().is_none_or(|s| s.by_id.is_empty()) {
                refresh_status(world);
            }
            let tree = super::ui::sld::placed_layout(world);
            super::ui::sld::png::sld_png(&tree, world.resource::<SiteStatus>(), path)?;
            let (w, h) = tree.placed.size;
            Ok(format!("Exported the single-line diagram ({w:.0}×{h:.0} px) to {}", path.display()))
        }
    }
}

/// The plan picture's size, px.
pub const PLAN_PNG_SIZE: (u32, u32) = (1600, 1000);
/// Title band at the top and legend band at the bottom of the plan picture, px.
const TITLE_PX: i32 = 44;
const LEGEND_PX: i32 = 34;
const MARGIN_PX: i32 = 16;

/// A rectangle in picture pixels: top-left and bottom-right corners.
type PxRect = [(i32, i32); 2];

/// A picture being drawn in memory.
pub(crate) type Canvas<'a> = DrawingArea<BitMapBackend<'a>, plotters::coord::Shift>;

/// A colour of the app's scales for plotters.
pub(crate) fn rgb(c: Rgb) -> RGBColor {
    let byte = |v: f32| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
    RGBColor(byte(c[0]), byte(c[1]), byte(c[2]))
}

/// Draws a `size` px picture on white with `draw` (the embedded font registered) and returns
/// its PNG bytes: the same drawing gives the same bytes.
pub(crate) fn render_png(
    size: (u32, u32),
    draw: impl FnOnce(&Canvas) -> Result<(), Box<dyn std::error::Error>>,
) -> Result<Vec<u8>, String> {
    crate::export::plot::register_font();
    let (w, h) = size;
    let mut buf = vec![255u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut buf, size).into_drawing_area();
        draw(&root).map_err(|e| format!("cannot draw the picture: {e}"))?;
        root.present().map_err(|e| format!("cannot draw the picture: {e}"))?;
    }
    let mut out = Vec::new();
    let mut encoder = ::png::Encoder::new(&mut out, w, h);
    encoder.set_color(::png::ColorType::Rgb);
    encoder.set_depth(::png::BitDepth::Eight);
    let encode = |e: ::png::EncodingError| format!("cannot encode the PNG: {e}");
    let mut writer = encoder.write_header().map_err(encode)?;
    writer.write_image_data(&buf).map_err(encode)?;
    writer.finish().map_err(encode)?;
    Ok(out)
}

/// Draws the plan into `path` at `size` px (white paper, the app's colours); returns the size.
/// The same world gives the same bytes.
pub fn write_plan_png(world: &mut World, path: &Path, size: (u32, u32)) -> Result<(u32, u32), String> {
    if world.get_resource::<PlanIndex>().is_none_or(|i| i.items.is_empty()) {
        rebuild_items(world);
    }
    if world.get_resource::<SiteStatus>().is_none_or(|s| s.by_id.is_empty()) {
        refresh_status(world);
    }
    let items: Vec<PlanItem> = world.resource::<PlanIndex>().items.values().cloned().collect();
    let metric = world.get_resource::<EditorState>().map_or(ColorMetric::Loading, |e| e.metric);
    let (name, rooms) = world.get_resource::<SiteMeta>().map(|m| (m.name.clone(), m.rooms.clone())).unwrap_or_default();
    let zones = zone_areas(world.get_resource::<CoolingLayout>(), world.resource::<PlanIndex>());
    let elapsed = world.get_resource::<SimClock>().map_or(0.0, |c| c.elapsed_s);
    let status = world.resource::<SiteStatus>();

    // The floor's extent: every element and every wall.
    let (mut lo, mut hi) = (Vec2::splat(f32::MAX), Vec2::splat(f32::MIN));
    for i in &items {
        lo = lo.min(i.center_m - i.size_m / 2.0);
        hi = hi.max(i.center_m + i.size_m / 2.0);
    }
    for r in &rooms {
        for p in &r.walls_m {
            lo = lo.min(Vec2::new(p.0 as f32, p.1 as f32));
            hi = hi.max(Vec2::new(p.0 as f32, p.1 as f32));
        }
    }
    if lo.x > hi.x {
        return Err("the site has nothing to draw".into());
    }
    let (w, h) = (size.0 as i32, size.1 as i32);
    let avail = Vec2::new((w - 2 * MARGIN_PX) as f32, (h - TITLE_PX - LEGEND_PX - 2 * MARGIN_PX) as f32);
    let extent = (hi - lo).max(Vec2::splat(1.0));
    let px_per_m = (avail.x / extent.x).min(avail.y / extent.y);
    let origin = Vec2::new(
        MARGIN_PX as f32 + (avail.x - extent.x * px_per_m) / 2.0,
        (TITLE_PX + MARGIN_PX) as f32 + (avail.y - extent.y * px_per_m) / 2.0,
    );
    // Floor metres to picture pixels (y up on the floor, down in the picture).
    let to_px = |p: Vec2| -> (i32, i32) {
        let x = origin.x + (p.x - lo.x) * px_per_m;
        let y = origin.y + (hi.y - p.y) * px_per_m;
        (x.round() as i32, y.round() as i32)
    };
    let rect_px = |min: Vec2, max: Vec2| -> PxRect {
        let (a, b) = (to_px(Vec2::new(min.x, max.y)), to_px(Vec2::new(max.x, min.y)));
        [a, (b.0.max(a.0 + 1), b.1.max(a.1 + 1))]
    };

    let family = crate::export::plot::FAMILY;
    let bytes = render_png(size, |root| {
        // Aisles, then zones, walls, equipment and labels on top.
        for room in &rooms {
            for a in &room.aisles {
                let ((x0, y0), (x1, y1)) = a.rect_m();
                let c = match a.air {
                    crate::site::room::AisleAir::Cold => RGBColor(205, 225, 255),
                    crate::site::room::AisleAir::Hot => RGBColor(255, 215, 205),
                };
                let r = rect_px(Vec2::new(x0 as f32, y0 as f32), Vec2::new(x1 as f32, y1 as f32));
                root.draw(&Rectangle::new(r, c.filled()))?;
            }
        }
        for (_, outline) in &zones {
            let pts: Vec<(i32, i32)> = outline.iter().chain(outline.first()).map(|p| to_px(*p)).collect();
            root.draw(&PathElement::new(pts, RGBColor(80, 170, 140).stroke_width(1)))?;
        }
        for room in &rooms {
            let pts: Vec<(i32, i32)> = room
                .walls_m
                .iter()
                .chain(room.walls_m.first())
                .map(|p| to_px(Vec2::new(p.0 as f32, p.1 as f32)))
                .collect();
            root.draw(&PathElement::new(pts, RGBColor(60, 60, 70).stroke_width(3)))?;
        }
        let rack_width = items
            .iter()
            .filter(|i| i.kind == EquipmentKind::Rack)
            .map(|i| i.size_m.min_element())
            .fold(f32::MAX, f32::min);
        let detail = rack_width == f32::MAX || racks_in_detail(rack_width, 1.0 / px_per_m);
        let edge = RGBColor(40, 40, 48);
        let mut labels: Vec<(String, PxRect, bool)> = Vec::new();
        for i in items.iter().filter(|i| !i.kind.is_marker()) {
            if i.kind == EquipmentKind::Rack && !detail {
                continue;
            }
            let r = rect_px(i.center_m - i.size_m / 2.0, i.center_m + i.size_m / 2.0);
            root.draw(&Rectangle::new(r, rgb(metric_color(metric, status.by_id.get(&i.id))).filled()))?;
            root.draw(&Rectangle::new(r, edge.stroke_width(1)))?;
            labels.push((i.id.clone(), r, i.kind != EquipmentKind::Rack));
        }
        if !detail {
            for row in find_rows(items.iter()) {
                let r = rect_px(row.min_m, row.max_m);
                let c = group_color(metric, row.members.iter().map(|id| status.by_id.get(id)));
                root.draw(&Rectangle::new(r, rgb(c).filled()))?;
                root.draw(&Rectangle::new(r, edge.stroke_width(1)))?;
                labels.insert(0, (row.name(), r, false));
            }
        }
        // Labels: rooms first, then the rest in order, where they fit and overlap nothing.
        let mut taken: Vec<PxRect> = Vec::new();
        let mut put = |text: &str,
                       at: (i32, i32),
                       style: &TextStyle,
                       w: i32,
                       hh: i32|
         -> Result<bool, Box<dyn std::error::Error>> {
            let r = [at, (at.0 + w, at.1 + hh)];
            if r[0].0 < 0 || r[0].1 < TITLE_PX || r[1].0 > size.0 as i32 || r[1].1 > size.1 as i32 - LEGEND_PX {
                return Ok(false);
            }
            if taken.iter().any(|t| t[0].0 < r[1].0 && r[0].0 < t[1].0 && t[0].1 < r[1].1 && r[0].1 < t[1].1) {
                return Ok(false);
            }
            root.draw(&Text::new(text.to_string(), at, style.clone()))?;
            taken.push(r);
            Ok(true)
        };
        let room_style: TextStyle = (family, 16).into_font().color(&RGBColor(40, 40, 50));
        for room in &rooms {
            let (mut x, mut y) = (i32::MAX, i32::MAX);
            for p in &room.walls_m {
                let q = to_px(Vec2::new(p.0 as f32, p.1 as f32));
                x = x.min(q.0);
                y = y.min(q.1);
            }
            let (tw, th) = root.estimate_text_size(&room.id, &room_style)?;
            put(&room.id, (x + 5, y + 4), &room_style, tw as i32, th as i32)?;
        }
        let label_style: TextStyle = (family, 12).into_font().color(&BLACK);
        for (text, r, beside) in &labels {
            let (tw, th) = root.estimate_text_size(text, &label_style)?;
            let (tw, th) = (tw as i32, th as i32);
            let (bw, bh) = (r[1].0 - r[0].0, r[1].1 - r[0].1);
            if tw + 2 <= bw && th <= bh + 1 {
                put(text, (r[0].0 + (bw - tw) / 2, r[0].1 + (bh - th) / 2), &label_style, tw, th)?;
            } else if *beside {
                put(text, (r[0].0 + (bw - tw) / 2, r[1].1 + 1), &label_style, tw, th)?;
            }
        }
        // Title and legend.
        let title = format!(
            "{name} — coloured by {} at t = {}",
            metric.label().to_lowercase(),
            crate::headless::weather::calendar_time(elapsed)
        );
        root.draw(&Text::new(title, (MARGIN_PX, 12), (family, 20).into_font().color(&BLACK)))?;
        let mut x = MARGIN_PX;
        let y = size.1 as i32 - LEGEND_PX + 8;
        let legend_style: TextStyle = (family, 12).into_font().color(&BLACK).pos(Pos::new(HPos::Left, VPos::Top));
        for (c, text) in legend(metric) {
            root.draw(&Rectangle::new([(x, y), (x + 14, y + 12)], rgb(c).filled()))?;
            root.draw(&Rectangle::new([(x, y), (x + 14, y + 12)], edge.stroke_width(1)))?;
            root.draw(&Text::new(text.clone(), (x + 18, y), legend_style.clone()))?;
            x += 18 + root.estimate_text_size(&text, &legend_style)?.0 as i32 + 14;
        }
        Ok(())
    })?;
    crate::site::save::atomic_write(path, &bytes).map_err(|e| format!("could not write {}: {e}", path.display()))?;
    Ok(size)
}
