//! The single-line diagram as a PNG: the boxes (id, rating, loading, coloured like the app), the
//! buses and list rails, the A and B bands and the twin links, as laid out and folded for the
//! panel. Drawn with plotters' bitmap backend and the font embedded for the run charts, encoded
//! here, so the same diagram and figures give the same bytes on any machine. No egui: the input
//! is the placed [`SldLayout`] and the [`SiteStatus`] table.

use std::path::Path;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::layout::{LINK_ALL_TWINS, LinkIn, Side, SldLayout, TwinRoute};

use crate::app::export::{Canvas as Area, rgb};
use crate::app::status::SiteStatus;

/// Largest image written, pixels (a bigger diagram must be folded first).
const MAX_PIXELS: u64 = 40_000_000;

const LINE: RGBColor = RGBColor(120, 120, 120);
const TWIN: RGBColor = RGBColor(170, 140, 235);
const BAND_A: RGBColor = RGBColor(232, 240, 255);
const BAND_B: RGBColor = RGBColor(255, 243, 228);
const BAND_TEXT: RGBColor = RGBColor(110, 110, 110);
const BORDER: RGBColor = RGBColor(60, 60, 60);

/// Writes the diagram `tree` (placed: [`SldLayout::place`]) with the figures of `status` to
/// `path` as a PNG, through a temporary file and a rename.
pub fn sld_png(tree: &SldLayout, status: &SiteStatus, path: &Path) -> Result<(), String> {
    let bytes = sld_png_bytes(tree, status)?;
    crate::site::save::atomic_write(path, &bytes).map_err(|e| format!("could not write {}: {e}", path.display()))
}

/// The PNG file's bytes (see [`sld_png`]).
pub fn sld_png_bytes(tree: &SldLayout, status: &SiteStatus) -> Result<Vec<u8>, String> {
    let placed = &tree.placed;
    if placed.version.is_none() || placed.by_x.is_empty() {
        return Err("the single-line diagram has nothing to draw".into());
    }
    let (w, h) = (placed.size.0.ceil().max(1.0) as u32, placed.size.1.ceil().max(1.0) as u32);
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(format!("the diagram is {w}×{h} px as folded now: fold some of it before exporting"));
    }
    crate::app::export::render_png((w, h), |root| draw(root, tree, status))
}

type DrawResult = Result<(), Box<dyn std::error::Error>>;

fn px(x: f32, y: f32) -> (i32, i32) {
    (x.round() as i32, y.round() as i32)
}

fn segment(root: &Area, a: (f32, f32), b: (f32, f32), color: RGBColor) -> DrawResult {
    root.draw(&PathElement::new(vec![px(a.0, a.1), px(b.0, b.1)], color.stroke_width(1)))?;
    Ok(())
}

fn draw(root: &Area, tree: &SldLayout, status: &SiteStatus) -> DrawResult {
    let placed = &tree.placed;
    let family = crate::export::plot::FAMILY;
    for band in &placed.bands {
        let b = band.bounds;
        let (fill, name) = match band.side {
            Side::A => (BAND_A, "A side"),
            Side::B => (BAND_B, "B side"),
        };
        root.draw(&Rectangle::new([px(b.x, b.y), px(b.right(), b.bottom())], fill.filled()))?;
        let y = if band.label_top { b.y + 2.0 } else { b.bottom() - 15.0 };
        root.draw_text(name, &(family, 12).into_font().color(&BAND_TEXT), px(b.x + 6.0, y))?;
    }
    for bus in &placed.buses {
        segment(root, bus.from, (bus.from.0, bus.y), LINE)?;
        segment(root, (bus.x0, bus.y), (bus.x1, bus.y), LINE)?;
    }
    for &i in &placed.by_x {
        let Some(b) = placed.at[i] else { continue };
        match placed.link[i] {
            LinkIn::None => {}
            LinkIn::Bus { y } => segment(root, (b.cx(), y), (b.cx(), b.y), LINE)?,
            LinkIn::Rail { x, y_top } => {
                segment(root, (x, y_top), (x, b.cy()), LINE)?;
                segment(root, (x, b.cy()), (b.x, b.cy()), LINE)?;
            }
        }
    }
    // Twin rack groups, when all are linked (as on the panel), except links that would cross
    // other boxes; a transfer switch's alternate source, dashed.
    if placed.twins.len() <= LINK_ALL_TWINS {
        for link in placed.twins.iter().filter(|l| l.route != TwinRoute::Crossing) {
            let (Some(a), Some(b)) = (placed.at[link.a], placed.at[link.b]) else { continue };
            let p = link.points(&a, &b);
            let points: Vec<(i32, i32)> = if p.len() == 4 {
                (0..=24)
                    .map(|k| {
                        let t = k as f32 / 24.0;
                        let u = 1.0 - t;
                        let w = [u * u * u, 3.0 * u * u * t, 3.0 * u * t * t, t * t * t];
                        px((0..4).map(|j| w[j] * p[j].0).sum::<f32>(), (0..4).map(|j| w[j] * p[j].1).sum::<f32>())
                    })
                    .collect()
            } else {
                p.iter().map(|&(x, y)| px(x, y)).collect()
            };
            root.draw(&PathElement::new(points, TWIN.stroke_width(2)))?;
        }
    }
    for &(source, node) in &placed.alternates {
        let (Some(s), Some(n)) = (placed.at[source], placed.at[node]) else { continue };
        let (from, to) =
            if s.cx() < n.cx() { ((s.right(), s.cy()), (n.x, n.cy())) } else { ((s.x, s.cy()), (n.right(), n.cy())) };
        let length = ((to.0 - from.0).powi(2) + (to.1 - from.1).powi(2)).sqrt();
        let dashes = (length / 10.0).floor() as usize;
        for k in 0..dashes {
            let (t0, t1) = (k as f32 * 10.0 / length, (k as f32 * 10.0 + 6.0) / length);
            let at = |t: f32| (from.0 + (to.0 - from.0) * t, from.1 + (to.1 - from.1) * t);
            segment(root, at(t0), at(t1.min(1.0)), LINE)?;
        }
    }
    for &i in &placed.by_x {
        let Some(b) = placed.at[i] else { continue };
        let node = &tree.nodes[i];
        let folded = placed.folded[i];
        let super::BoxText { fill, dark, title, right1, left2, right2 } = super::box_text(node, folded, Some(status));
        let text = if dark { RGBColor(235, 235, 235) } else { BLACK };
        root.draw(&Rectangle::new([px(b.x, b.y), px(b.right(), b.bottom())], rgb(fill).filled()))?;
        root.draw(&Rectangle::new([px(b.x, b.y), px(b.right(), b.bottom())], BORDER.stroke_width(1)))?;
        let has_children = !node.children.is_empty();
        let left = b.x + if has_children { 19.0 } else { 5.0 };
        if has_children {
            let (cx, cy) = (b.x + 9.0, b.y + 9.0);
            let points = if folded {
                vec![px(cx - 2.0, cy - 4.0), px(cx + 3.0, cy), px(cx - 2.0, cy + 4.0)]
            } else {
                vec![px(cx - 4.0, cy - 2.0), px(cx + 4.0, cy - 2.0), px(cx, cy + 3.0)]
            };
            root.draw(&Polygon::new(points, text.filled()))?;
        }
        let big = (family, 13).into_font().color(&text);
        let small = (family, 11).into_font().color(&text);
        root.draw_text(&title, &big, px(left, b.y + 3.0))?;
        if !right1.is_empty() {
            root.draw_text(&right1, &big.pos(Pos::new(HPos::Right, VPos::Top)), px(b.right() - 4.0, b.y + 3.0))?;
        }
        root.draw_text(&left2, &small, px(left, b.bottom() - 14.0))?;
        if !right2.is_empty() {
            root.draw_text(
                &right2,
                &small.pos(Pos::new(HPos::Right, VPos::Top)),
                px(b.right() - 4.0, b.bottom() - 14.0),
            )?;
        }
    }
    Ok(())
}
