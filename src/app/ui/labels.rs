//! Labels on the plan, placed so they stay legible at every zoom: light text with a dark halo,
//! never overlapping one another, a rack's label only inside its rack. Rooms, zones and rows
//! first, then equipment by size, then racks: when space runs out, the small things go
//! unlabelled (the tooltip names them), not everything at once.

use bevy::prelude::*;
use bevy_egui::egui;
use egui::Color32;

use crate::app::plan::{PlanIndex, PlanRooms, PlanRows, PlanView};
use crate::app::status::SiteStatus;
use crate::kinds::EquipmentKind;

/// The most labels drawn in one frame (beyond it the plan is a texture of text, and it costs).
pub const MAX_LABELS: usize = 1500;

/// Elements, rows and lines smaller than this on screen (their longer side) get no label,
/// logical pixels.
const MIN_OWNER_PX: f32 = 8.0;

/// At most this many candidates are tried per frame (each costs a text layout).
const MAX_TRIES: usize = 4 * MAX_LABELS;

/// Racks narrower than this on screen are labelled by their rows, logical pixels (a 3–4
/// character id at 8 pt).
const RACK_LABEL_PX: f32 = 20.0;

/// Units of a line of like equipment narrower than this on screen are labelled as their line,
/// logical pixels (an id of 6–8 characters at 11 pt is about this wide).
const BLOCK_BELOW_PX: f32 = 48.0;

/// What a label names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelOf {
    /// A room's walls.
    Room,
    /// A zone's area.
    Zone,
    /// A row of racks (zoomed out).
    Row,
    /// A line of like equipment too small on screen to label one by one.
    Block,
    /// Equipment other than racks.
    Equipment,
    /// A rack (zoomed in).
    Rack,
    /// A marker (water loop).
    Marker,
}

/// One label drawn on the plan.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanLabel {
    /// What it names.
    pub of: LabelOf,
    /// Its text.
    pub text: String,
    /// Where its text is, logical pixels.
    pub rect: egui::Rect,
    /// The screen box of what it names.
    pub owner: egui::Rect,
}

/// The labels drawn in the last frame (for tests and the screenshot's element list).
#[derive(Resource, Debug, Clone, Default)]
pub struct PlanLabels(pub Vec<PlanLabel>);

struct Candidate {
    of: LabelOf,
    /// Texts to try in order (the longest first) until one fits.
    text: Vec<String>,
    owner: egui::Rect,
    /// Points (an inside label shrinks to its owner down to 8 pt, else goes beside or nowhere).
    size: f32,
    /// Where it goes: inside the owner (centred), or at the owner's top-left inside corner, or
    /// below the owner.
    place: Place,
    color: Color32,
}

#[derive(Clone, Copy, PartialEq)]
enum Place {
    Inside,
    /// Inside when it fits, else below.
    InsideOrBelow,
    TopLeft,
    Below,
}

/// Screen rectangle of a floor rectangle.
fn screen_rect(view: &PlanView, min_m: Vec2, max_m: Vec2) -> egui::Rect {
    let a = view.to_screen(min_m);
    let b = view.to_screen(max_m);
    egui::Rect::from_two_pos(egui::pos2(a.x, a.y), egui::pos2(b.x, b.y))
}

/// Places and draws the plan's labels within `rect`; records them in [`PlanLabels`].
pub fn draw_plan_labels(ui: &egui::Ui, world: &mut World, rect: egui::Rect) {
    let view = world.get_resource::<PlanView>().copied().unwrap_or_default();
    let painter = ui.painter_at(rect);
    let mut candidates: Vec<Candidate> = Vec::new();
    let light = Color32::from_gray(235);
    if let Some(rooms) = world.get_resource::<PlanRooms>() {
        for room in &rooms.rooms {
            let (mut lo, mut hi) = (Vec2::splat(f32::MAX), Vec2::splat(f32::MIN));
            for p in &room.walls_m {
                let p = Vec2::new(p.0 as f32, p.1 as f32);
                lo = lo.min(p);
                hi = hi.max(p);
            }
            candidates.push(Candidate {
                of: LabelOf::Room,
                text: vec![room.id.clone()],
                owner: screen_rect(&view, lo, hi),
                size: 14.0,
                place: Place::TopLeft,
                color: Color32::from_gray(215),
            });
        }
        for (id, outline) in &rooms.zones {
            let (mut lo, mut hi) = (Vec2::splat(f32::MAX), Vec2::splat(f32::MIN));
            for p in outline {
                lo = lo.min(*p);
                hi = hi.max(*p);
            }
            candidates.push(Candidate {
                of: LabelOf::Zone,
                text: vec![format!("zone {id}")],
                owner: screen_rect(&view, lo, hi),
                size: 11.0,
                place: Place::TopLeft,
                color: Color32::from_rgb(150, 220, 195),
            });
        }
    }
    let status = world.get_resource::<SiteStatus>();
    let detail = world.get_resource::<PlanRows>().is_none_or(|r| r.detail);
    // Racks carry their own labels only when an id fits inside one; otherwise their rows do.
    let rack_labels = world.get_resource::<PlanRows>().is_none_or(|r| r.rack_width_m / view.m_per_px >= RACK_LABEL_PX);
    if let Some(rows) = world.get_resource::<PlanRows>().filter(|_| !rack_labels) {
        for row in &rows.rows {
            let owner = screen_rect(&view, row.min_m, row.max_m);
            if !owner.intersects(rect) || owner.width().max(owner.height()) < MIN_OWNER_PX * 2.0 {
                continue;
            }
            let drawn: Vec<f64> =
                row.members.iter().filter_map(|id| status.and_then(|s| s.by_id.get(id)).and_then(|s| s.p_kw)).collect();
            let kw = drawn.iter().fold(0.0, |a, b| a + b);
            let mut text = vec![row.name()];
            if !drawn.is_empty() {
                let load = if kw >= 1000.0 { format!("{:.2} MW", kw / 1000.0) } else { format!("{kw:.0} kW") };
                text.insert(0, format!("{} · {load}", row.name()));
                text.insert(0, format!("{} · {} racks · {load}", row.name(), row.members.len()));
            }
            candidates.push(Candidate {
                of: LabelOf::Row,
                text,
                owner,
                size: 11.0,
                // Beside a short row, in its aisle.
                place: Place::InsideOrBelow,
                color: light,
            });
        }
    }
    // Lines of like units too small on screen to carry their own labels: one label for the line.
    let mut covered: std::collections::HashSet<&str> = Default::default();
    if let (Some(rows), Some(index)) = (world.get_resource::<PlanRows>(), world.get_resource::<PlanIndex>()) {
        for block in &rows.blocks {
            let Some(first) = index.get(&block.members[0]) else { continue };
            let unit_px = first.size_m.x / view.m_per_px;
            if unit_px >= BLOCK_BELOW_PX {
                continue;
            }
            covered.extend(block.members.iter().map(String::as_str));
            let owner = screen_rect(&view, block.min_m, block.max_m);
            if !owner.intersects(rect) || owner.width().max(owner.height()) < MIN_OWNER_PX * 2.0 {
                continue;
            }
            candidates.push(Candidate {
                of: LabelOf::Block,
                text: vec![format!("{} ({})", block.name(), block.members.len()), block.name()],
                owner,
                size: 11.0,
                place: Place::InsideOrBelow,
                color: light,
            });
        }
    }
    if let Some(index) = world.get_resource::<PlanIndex>() {
        let mut equipment: Vec<(f32, Candidate)> = Vec::new();
        for item in index.items.values() {
            let owner = screen_rect(&view, item.center_m - item.size_m / 2.0, item.center_m + item.size_m / 2.0);
            // A speck on screen carries no label (its line's or the tooltip names it): this also
            // keeps thousands of specks from being laid out as text every frame.
            if !owner.intersects(rect) || owner.width().max(owner.height()) < MIN_OWNER_PX {
                continue;
            }
            let (of, place, size) = match item.kind {
                EquipmentKind::Rack if !detail || !rack_labels => continue,
                EquipmentKind::Rack => (LabelOf::Rack, Place::Inside, 11.0),
                // Zones are labelled on their area (above).
                EquipmentKind::Zone => continue,
                k if k.is_marker() => (LabelOf::Marker, Place::Below, 10.0),
                _ => (LabelOf::Equipment, Place::InsideOrBelow, 11.0),
            };
            if covered.contains(item.id.as_str()) {
                continue;
            }
            let area = owner.area();
            // The label centres on what the kind's symbol leaves of the box.
            let owner = match crate::app::plan::symbol_place(item, view.m_per_px) {
                Some(place) => screen_rect(&view, place.label_m.0, place.label_m.1),
                None => owner,
            };
            equipment.push((area, Candidate { of, text: vec![item.id.clone()], owner, size, place, color: light }));
        }
        // Large equipment first; racks last (the most numerous, and the least each).
        equipment.sort_by(|a, b| (a.1.of == LabelOf::Rack).cmp(&(b.1.of == LabelOf::Rack)).then(b.0.total_cmp(&a.0)));
        candidates.extend(equipment.into_iter().map(|(_, c)| c));
    }
    let placed = place_labels(&painter, candidates, rect);
    for label in &placed {
        // A dark halo under light text: legible on any fill and on the dark floor.
        let galley = painter.layout_no_wrap(label.0.text.clone(), egui::FontId::proportional(label.1), Color32::BLACK);
        let at = label.0.rect.min;
        for d in [egui::vec2(-1.0, 0.0), egui::vec2(1.0, 0.0), egui::vec2(0.0, -1.0), egui::vec2(0.0, 1.0)] {
            painter.galley_with_override_text_color(at + d, galley.clone(), Color32::from_black_alpha(230));
        }
        painter.galley_with_override_text_color(at, galley, label.2);
    }
    world.insert_resource(PlanLabels(placed.into_iter().map(|(l, _, _)| l).collect()));
}

/// Greedy placement in the candidates' order: each goes where its kind puts it if it fits
/// there (inside labels within their owner) and overlaps no label placed before it.
fn place_labels(
    painter: &egui::Painter,
    candidates: Vec<Candidate>,
    rect: egui::Rect,
) -> Vec<(PlanLabel, f32, Color32)> {
    let mut placed: Vec<(PlanLabel, f32, Color32)> = Vec::new();
    // A coarse grid of placed labels' rectangles keeps the overlap test cheap at 10k racks.
    const CELL: f32 = 64.0;
    let mut grid: std::collections::HashMap<(i32, i32), Vec<usize>> = Default::default();
    let cells = |r: egui::Rect| {
        let (x0, x1) = ((r.min.x / CELL).floor() as i32, (r.max.x / CELL).floor() as i32);
        let (y0, y1) = ((r.min.y / CELL).floor() as i32, (r.max.y / CELL).floor() as i32);
        (x0..=x1).flat_map(move |x| (y0..=y1).map(move |y| (x, y)))
    };
    for c in candidates.into_iter().take(MAX_TRIES) {
        if placed.len() >= MAX_LABELS {
            break;
        }
        if !c.owner.intersects(rect) {
            continue;
        }
        // The first text (longest first) that fits inside and is free; else, where the kind
        // allows, the shortest text beside its owner.
        let tries = c.text.iter().map(|t| (t, false)).chain(c.text.last().map(|t| (t, true)));
        for (text, beside) in tries {
            let Some((text_rect, size)) = position(painter, &c, text, beside) else { continue };
            if !rect.contains_rect(text_rect) {
                continue;
            }
            let clashes = cells(text_rect).any(|cell| {
                grid.get(&cell).is_some_and(|ids| ids.iter().any(|&i| placed[i].0.rect.intersects(text_rect)))
            });
            if clashes {
                continue;
            }
            for cell in cells(text_rect) {
                grid.entry(cell).or_default().push(placed.len());
            }
            let label = PlanLabel { of: c.of, text: text.clone(), rect: text_rect, owner: c.owner };
            placed.push((label, size, c.color));
            break;
        }
    }
    placed
}

/// Where `text` of candidate `c` goes and at what size: inside its owner (shrunk to fit, down to
/// 8 pt), or, with `beside` and where its kind allows, below it; `None` when it cannot.
fn position(painter: &egui::Painter, c: &Candidate, text: &str, beside: bool) -> Option<(egui::Rect, f32)> {
    let layout = |size: f32| painter.layout_no_wrap(text.to_string(), egui::FontId::proportional(size), Color32::WHITE);
    let galley = layout(c.size);
    let inside = (matches!(c.place, Place::Inside | Place::InsideOrBelow) && !beside).then(|| {
        let fit = (c.owner.width() - 2.0) / galley.size().x;
        let size = if fit < 1.0 { (c.size * fit).floor() } else { c.size };
        if size < 8.0 {
            return None;
        }
        let g = if size == c.size { galley.clone() } else { layout(size) };
        // A row may carry a label up to twice its depth: the rest lies over its aisles.
        let height = if c.of == LabelOf::Row { c.owner.height() * 2.0 } else { c.owner.height() };
        (g.size().y <= height + 1.0 && g.size().x <= c.owner.width()).then_some((g.size(), size))
    });
    let (min, size, text_size) = match (inside.flatten(), c.place) {
        (Some((s, size)), _) => (c.owner.center() - s / 2.0, size, s),
        (None, Place::Inside) => return None,
        (None, Place::InsideOrBelow) if !beside => return None,
        (None, Place::TopLeft) => {
            // Within its owner's width (shrunk down to 8 pt), so a room's name stays in the room;
            // a room too narrow for it on screen is named above its walls.
            let fit = (c.owner.width() - 8.0) / galley.size().x;
            let size = if fit < 1.0 { (c.size * fit).floor() } else { c.size };
            if size < 8.0 && c.of != LabelOf::Room {
                return None;
            } else if size < 8.0 {
                let s = galley.size();
                (egui::pos2(c.owner.center().x - s.x / 2.0, c.owner.min.y - s.y - 1.0), c.size, s)
            } else {
                let g = if size == c.size { galley } else { layout(size) };
                (c.owner.min + egui::vec2(4.0, 2.0), size, g.size())
            }
        }
        (None, Place::Below | Place::InsideOrBelow) => {
            let s = galley.size();
            (egui::pos2(c.owner.center().x - s.x / 2.0, c.owner.max.y + 1.0), c.size, s)
        }
    };
    Some((egui::Rect::from_min_size(min, text_size), size))
}
