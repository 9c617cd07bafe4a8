//! The single-line diagram (bottom tab): the power tree from each grid feed down through
//! switchgear, transformers, UPSes and distribution to the racks on each feeder (grouped), each
//! box with its id, rating and loading ("T-A1 3000 kVA · 72 %"), coloured like the plan. The
//! A and B paths of a 2N site lie side by side, dual-corded rack groups say so and are linked to
//! their twin. Nodes fold (their disclosure triangle), a search box finds an id, unfolds what
//! hides it and scrolls to it; "Show in diagram" in the inspector does the same for the
//! selection. Clicking a box selects it on the plan (a rack group selects its racks). The
//! diagram exports to PNG ([`png::sld_png`]). How it is laid out, and why: [`layout`].

mod layout;
pub mod png;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use bevy::prelude::*;
use bevy_egui::egui;
use egui::{Color32, RichText};

pub use layout::*;

use super::{BottomTab, color32};
use crate::app::colors::{DEAD, NOT_APPLICABLE, Rgb, load_color};
use crate::app::state::{EditorState, OpenFile};
use crate::app::status::{ElementStatus, SiteStatus};

/// The diagram's state that outlives a layout: folds, search, what is highlighted.
#[derive(Resource, Debug, Clone, Default)]
pub struct SldView {
    /// Folds the planner made, by node key (`true`: folded); other nodes fold by default.
    pub folds: HashMap<String, bool>,
    /// Bumped whenever `folds` changes (the placement is cached on it).
    pub fold_version: u64,
    /// The search box's text.
    pub search: String,
    /// Node keys matching the search, in diagram order.
    pub matches: Vec<String>,
    /// The match Enter selects next.
    pub current: usize,
    /// Highlighted node keys: the search's matches, or what "Show in diagram" showed.
    pub highlight: HashSet<String>,
    /// An element or rack id to show on the next frame (unfold, highlight, scroll to).
    pub show: Option<String>,
    /// The node key to scroll to on the next frame.
    pub scroll_to: Option<String>,
    /// The export row is open with this path typed.
    pub export: Option<String>,
    /// Boxes painted in the last frame (what is in view, not the site's size).
    pub painted: usize,
    /// The rack group under the mouse in the last frame (its twin links are drawn).
    hovered: Option<usize>,
}

impl SldView {
    /// Folds (`true`) or unfolds node `key`.
    pub fn set_folded(&mut self, key: &str, folded: bool) {
        self.folds.insert(key.to_string(), folded);
        self.fold_version += 1;
    }

    /// Unfolds whatever hides `targets`, highlights them and scrolls to the first.
    fn reveal(&mut self, tree: &SldLayout, targets: &[usize]) {
        let mut changed = false;
        for &t in targets {
            for a in tree.ancestors(t) {
                if tree.is_folded(a, &self.folds) {
                    self.folds.insert(tree.nodes[a].key.clone(), false);
                    changed = true;
                }
            }
        }
        if changed {
            self.fold_version += 1;
        }
        self.scroll_to = targets.first().map(|&t| tree.nodes[t].key.clone());
    }
}

/// Switches the bottom panel to the diagram and shows element or rack `id` there: its node (a
/// rack: its A and B groups) unfolded, highlighted and scrolled to.
pub fn show_in_diagram(world: &mut World, id: &str) {
    world.insert_resource(BottomTab::SingleLine);
    world.get_resource_or_insert_with(SldView::default).show = Some(id.to_string());
}

/// Where "Export diagram PNG" suggests writing: `<site>-diagram.png` beside the open file, or in the
/// working folder when the open file is a bundled example or there is none (as "Save as" does).
pub fn export_suggestion(open: Option<&Path>) -> PathBuf {
    crate::app::export::export_suggestion(open, crate::app::export::ExportKind::DiagramPng)
}

/// The layout for the world as it is: the cached one while the plan's revision is unchanged.
fn current_layout(world: &mut World) -> SldLayout {
    let key = world.get_resource::<crate::app::plan::PlanRevision>().map(|r| r.0).unwrap_or(u64::MAX);
    match world.remove_resource::<SldLayout>() {
        Some(t) if t.key == key && key != u64::MAX => t,
        _ => {
            let mut t = layout(world);
            t.key = key;
            t
        }
    }
}

/// The diagram laid out for its current fold state (what [`png::sld_png`] draws).
pub fn placed_layout(world: &mut World) -> SldLayout {
    let mut tree = current_layout(world);
    let view = world.get_resource_or_insert_with(SldView::default);
    if tree.placed.version != Some(view.fold_version) {
        let (folds, version) = (view.folds.clone(), view.fold_version);
        tree.place(&folds, version);
    }
    world.insert_resource(tree.clone());
    tree
}

/// What a node says about its element: loading, or why it has none.
struct Figures {
    fill: Rgb,
    /// Light text on a dark fill.
    dark: bool,
    /// Right of the first line: "72 %", "dead".
    state: String,
    /// For people and screen readers: "out of service", "dead", "72 %".
    state_long: String,
}

fn element_figures(node: &SldNode, status: Option<&ElementStatus>) -> Figures {
    let dark =
        |state: &str, long: &str| Figures { fill: DEAD, dark: true, state: state.into(), state_long: long.into() };
    if !node.in_service {
        return dark("out", "out of service");
    }
    match status {
        // A generator in service waits for its transfer switch to call it.
        Some(s) if !s.live && node.kind == Some(crate::kinds::EquipmentKind::Generator) => {
            Figures { fill: NOT_APPLICABLE, dark: false, state: "standby".into(), state_long: "standby".into() }
        }
        Some(s) if !s.live => dark("dead", "dead"),
        Some(ElementStatus { loading_pct: Some(l), .. }) => {
            let pct = format!("{l:.0} %");
            Figures { fill: load_color(l / 100.0), dark: false, state: pct.clone(), state_long: pct }
        }
        _ => Figures { fill: NOT_APPLICABLE, dark: false, state: String::new(), state_long: String::new() },
    }
}

/// Fill of a rack group (dark slate; dead grey when all its racks are unpowered).
const GROUP_FILL: Rgb = [0.29, 0.31, 0.36];

/// A rack group's power (kW) and how many of its racks are unpowered.
fn group_figures(node: &SldNode, status: Option<&SiteStatus>) -> (f64, usize) {
    let mut kw = 0.0;
    let mut dead = 0;
    for r in &node.racks {
        if let Some(s) = status.and_then(|s| s.by_id.get(r.as_str())) {
            kw += s.p_kw.unwrap_or(0.0);
            dead += usize::from(!s.live);
        }
    }
    (kw, dead)
}

/// What a box shows, the same in the panel and the PNG: its fill, whether its text is light,
/// its title, the right of its first line, and the left and right of its second.
pub(crate) struct BoxText {
    pub fill: Rgb,
    pub dark: bool,
    pub title: String,
    pub right1: String,
    pub left2: String,
    pub right2: String,
}

/// The box of node `node` (folded or not) with the figures of `status`.
pub(crate) fn box_text(node: &SldNode, folded: bool, status: Option<&SiteStatus>) -> BoxText {
    if node.is_group() {
        let (kw, dead) = group_figures(node, status);
        return BoxText {
            fill: if dead > 0 && dead == node.racks.len() { DEAD } else { GROUP_FILL },
            dark: true,
            title: node.group_title(),
            right1: String::new(),
            left2: format!("{kw:.0} kW"),
            right2: if dead > 0 { format!("{dead} unpowered") } else { String::new() },
        };
    }
    let f = element_figures(node, status.and_then(|s| s.by_id.get(node.id.as_str())));
    let right2 = if folded {
        node.folded_badge()
    } else if !node.in_service {
        "out of service".into()
    } else {
        String::new()
    };
    BoxText {
        fill: f.fill,
        dark: f.dark,
        title: node.id.clone(),
        right1: f.state,
        left2: node.rating.map(Rating::text).unwrap_or_default(),
        right2,
    }
}

/// The one-line text of a node: "T-A1 3000 kVA · 72 %", "▸ PDU-A12 400 A · 72 % (+48 racks)",
/// "3 racks (A+B) · 396 kW". The box shows the same on two lines; screen readers and tests read
/// this.
pub fn node_text(tree: &SldLayout, i: usize, status: Option<&SiteStatus>) -> String {
    let node = &tree.nodes[i];
    if node.is_group() {
        let (kw, dead) = group_figures(node, status);
        let dead = if dead > 0 { format!(", {dead} unpowered") } else { String::new() };
        return format!("{} · {kw:.0} kW{dead}", node.group_title());
    }
    let folded = tree.placed.folded.get(i).copied().unwrap_or(false);
    let f = element_figures(node, status.and_then(|s| s.by_id.get(node.id.as_str())));
    let mut out = if folded { format!("▸ {}", node.id) } else { node.id.clone() };
    if let Some(r) = node.rating {
        out.push(' ');
        out.push_str(&r.text());
    }
    if !f.state_long.is_empty() {
        out.push_str(" · ");
        out.push_str(&f.state_long);
    }
    if folded {
        out.push_str(&format!(" ({})", node.folded_summary()));
    }
    out
}

/// Draws the diagram with its search box and export button; clicking a node selects (and
/// centres) it on the plan.
pub fn sld_panel(ui: &mut egui::Ui, world: &mut World) {
    let mut tree = current_layout(world);
    let mut view = world.remove_resource::<SldView>().unwrap_or_default();
    let mut select: Option<Vec<String>> = None;
    toolbar(ui, world, &tree, &mut view, &mut select);
    if let Some(id) = view.show.take() {
        let targets = tree.nodes_of(&id);
        if targets.is_empty() {
            world.resource_mut::<EditorState>().info(format!("{id} is not on the single-line diagram"));
        } else {
            view.highlight = targets.iter().map(|&t| tree.nodes[t].key.clone()).collect();
            view.reveal(&tree, &targets);
        }
    }
    if tree.placed.version != Some(view.fold_version) {
        tree.place(&view.folds, view.fold_version);
    }
    let mut toggle: Option<usize> = None;
    let mut clicked: Option<usize> = None;
    {
        let status = world.get_resource::<SiteStatus>();
        let selection: HashSet<&str> = world.resource::<EditorState>().selection.iter().map(String::as_str).collect();
        egui::ScrollArea::both().id_salt("sld").auto_shrink([false, false]).show(ui, |ui| {
            draw(ui, &tree, &mut view, status, &selection, &mut toggle, &mut clicked);
        });
    }
    if let Some(i) = toggle {
        let folded = tree.placed.folded.get(i).copied().unwrap_or(false);
        view.set_folded(&tree.nodes[i].key, !folded);
    }
    if let Some(i) = clicked {
        let n = &tree.nodes[i];
        select = Some(if n.is_group() { n.racks.clone() } else { vec![n.id.clone()] });
    }
    if let Some(ids) = select.filter(|ids| !ids.is_empty()) {
        let mut e = world.resource_mut::<EditorState>();
        e.center_on = ids.first().cloned();
        e.selection = ids;
    }
    world.insert_resource(view);
    world.insert_resource(tree);
}

/// Search, fold reset, export.
fn toolbar(
    ui: &mut egui::Ui,
    world: &mut World,
    tree: &SldLayout,
    view: &mut SldView,
    select: &mut Option<Vec<String>>,
) {
    ui.horizontal(|ui| {
        let label = ui.label("Find:");
        let resp = ui
            .add(egui::TextEdit::singleline(&mut view.search).desired_width(140.0).hint_text("id or part of one"))
            .labelled_by(label.id);
        if resp.changed() {
            let found = tree.find(&view.search);
            view.matches = found.iter().map(|&i| tree.nodes[i].key.clone()).collect();
            view.highlight = view.matches.iter().cloned().collect();
            view.current = 0;
            if let Some(&first) = found.first() {
                view.reveal(tree, &[first]);
            }
        }
        if resp.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) && !view.matches.is_empty() {
            // Enter selects the current match on the plan; again, the next one.
            let selection = world.resource::<EditorState>().selection.clone();
            let n = view.matches.len();
            let current = match_ids(tree, &view.matches[view.current % n], &view.search);
            if !selection.is_empty() && current == selection {
                view.current = (view.current + 1) % n;
            }
            let k = view.current % n;
            if let Some(i) = tree.nodes.iter().position(|node| node.key == view.matches[k]) {
                view.reveal(tree, &[i]);
            }
            *select = Some(match_ids(tree, &view.matches[k], &view.search));
            resp.request_focus();
        }
        if !view.search.trim().is_empty() {
            let text = match view.matches.len() {
                0 => "no match".to_string(),
                1 => "1 match".to_string(),
                n => format!("{n} matches (Enter: next)"),
            };
            ui.weak(text);
        }
        ui.separator();
        if ui.button("Reset folding").on_hover_text("fold and unfold as when the site was opened").clicked() {
            view.folds.clear();
            view.fold_version += 1;
        }
        if ui
            .button("Export diagram PNG…")
            .on_hover_text("the diagram as folded now, with ratings and loadings, as a PNG file")
            .clicked()
        {
            let open = world.get_resource::<OpenFile>().and_then(|f| f.path.clone());
            view.export = Some(export_suggestion(open.as_deref()).display().to_string());
        }
        if tree.two_sided {
            for (side, name) in [(Side::A, "A side"), (Side::B, "B side")] {
                let (chip, _) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
                let chip_color = match side {
                    Side::A => Color32::from_rgb(90, 150, 255),
                    Side::B => Color32::from_rgb(255, 170, 60),
                };
                ui.painter().rect_filled(chip, 2.0, chip_color.gamma_multiply(0.55));
                ui.weak(name);
            }
            ui.add_space(6.0);
        }
        ui.weak("click: select on plan · triangle: fold");
    });
    if let Some(mut path) = view.export.take() {
        let mut keep = true;
        ui.horizontal(|ui| {
            let label = ui.label("PNG file:");
            ui.add(egui::TextEdit::singleline(&mut path).desired_width(320.0)).labelled_by(label.id);
            if ui.button("Write").clicked() {
                let mut placed = tree.clone();
                if placed.placed.version != Some(view.fold_version) {
                    placed.place(&view.folds, view.fold_version);
                }
                let default_status = SiteStatus::default();
                let status = world.get_resource::<SiteStatus>().unwrap_or(&default_status);
                let result = png::sld_png(&placed, status, Path::new(&path));
                let mut e = world.resource_mut::<EditorState>();
                match result {
                    Ok(()) => {
                        e.info(format!("Wrote the single-line diagram to {path}"));
                        keep = false;
                    }
                    Err(msg) => e.error(msg),
                }
            }
            if ui.button("Cancel").clicked() {
                keep = false;
            }
        });
        if keep {
            view.export = Some(path);
        }
    }
}

/// What selecting a match selects: the element, or the racks of a group that match the search
/// (all of its racks when none does).
fn match_ids(tree: &SldLayout, key: &str, search: &str) -> Vec<String> {
    let Some(node) = tree.nodes.iter().find(|n| n.key == key) else { return vec![] };
    if !node.is_group() {
        return vec![node.id.clone()];
    }
    let needle = search.trim().to_lowercase();
    let hits: Vec<String> = node.racks.iter().filter(|r| r.to_lowercase().contains(&needle)).cloned().collect();
    if hits.is_empty() { node.racks.clone() } else { hits }
}

const BUS: Color32 = Color32::from_gray(150);
const HIGHLIGHT: Color32 = Color32::from_rgb(255, 215, 0);
const SELECTED: Color32 = Color32::from_rgb(80, 230, 255);
const TWIN: Color32 = Color32::from_rgb(190, 160, 255);

fn band_fill(side: Side) -> Color32 {
    match side {
        Side::A => Color32::from_rgba_unmultiplied(90, 150, 255, 30),
        Side::B => Color32::from_rgba_unmultiplied(255, 170, 60, 26),
    }
}

/// Paints what is in view and handles clicks on boxes and triangles.
fn draw(
    ui: &mut egui::Ui,
    tree: &SldLayout,
    view: &mut SldView,
    status: Option<&SiteStatus>,
    selection: &HashSet<&str>,
    toggle: &mut Option<usize>,
    clicked: &mut Option<usize>,
) {
    let placed = &tree.placed;
    let (rect, _) = ui.allocate_exact_size(egui::vec2(placed.size.0, placed.size.1), egui::Sense::hover());
    let origin = rect.min.to_vec2();
    let to_rect = |b: &Bounds| egui::Rect::from_min_size(egui::pos2(b.x, b.y) + origin, egui::vec2(b.w, b.h));
    let pos = |x: f32, y: f32| egui::pos2(x, y) + origin;
    if let Some(key) = view.scroll_to.take()
        && let Some(b) = tree.nodes.iter().position(|n| n.key == key).and_then(|i| placed.at[i])
    {
        ui.scroll_to_rect(to_rect(&b).expand(8.0), Some(egui::Align::Center));
    }
    let clip = ui.clip_rect();
    let painter = ui.painter_at(rect);
    for band in &placed.bands {
        let r = to_rect(&band.bounds);
        if clip.intersects(r) {
            painter.rect_filled(r, 6.0, band_fill(band.side));
            let name = match band.side {
                Side::A => "A side",
                Side::B => "B side",
            };
            let (at, align) = if band.label_top {
                (r.left_top() + egui::vec2(6.0, 1.0), egui::Align2::LEFT_TOP)
            } else {
                (r.left_bottom() + egui::vec2(6.0, -2.0), egui::Align2::LEFT_BOTTOM)
            };
            painter.text(at, align, name, egui::FontId::proportional(11.0), Color32::from_gray(170));
        }
    }
    let line = egui::Stroke::new(1.0, BUS);
    for bus in &placed.buses {
        let r = egui::Rect::from_min_max(pos(bus.x0, bus.from.1), pos(bus.x1, bus.y)).expand(2.0);
        if clip.intersects(r) {
            painter.line_segment([pos(bus.from.0, bus.from.1), pos(bus.from.0, bus.y)], line);
            painter.line_segment([pos(bus.x0, bus.y), pos(bus.x1, bus.y)], line);
        }
    }
    let columns = placed.columns_in(clip.left() - origin.x, clip.right() - origin.x);
    for &i in columns {
        let Some(b) = placed.at[i] else { continue };
        match placed.link[i] {
            LinkIn::None => {}
            LinkIn::Bus { y } => {
                let seg = [pos(b.cx(), y), pos(b.cx(), b.y)];
                if clip.intersects(egui::Rect::from_two_pos(seg[0], seg[1]).expand(2.0)) {
                    painter.line_segment(seg, line);
                }
            }
            LinkIn::Rail { x, y_top } => {
                let (top, corner, end) = (pos(x, y_top), pos(x, b.cy()), pos(b.x, b.cy()));
                if clip.intersects(egui::Rect::from_two_pos(top, end).expand(2.0)) {
                    painter.line_segment([top, corner], line);
                    painter.line_segment([corner, end], line);
                }
            }
        }
    }
    // Twin rack groups: the same racks' A and B cords. Links that would cross other boxes are
    // only drawn for a group in focus, over the boxes.
    let marked = |i: usize| {
        let n = &tree.nodes[i];
        view.hovered == Some(i)
            || view.highlight.contains(&n.key)
            || n.racks.iter().any(|r| selection.contains(r.as_str()))
    };
    let all_twins = placed.twins.len() <= LINK_ALL_TWINS;
    let mut over: Vec<Vec<egui::Pos2>> = Vec::new();
    for link in &placed.twins {
        let strong = marked(link.a) || marked(link.b);
        if !(all_twins || strong) {
            continue;
        }
        let link = if all_twins { *link } else { placed.twin_route(link.a, link.b) };
        let (Some(ba), Some(bb)) = (placed.at[link.a], placed.at[link.b]) else { continue };
        let points: Vec<egui::Pos2> = link.points(&ba, &bb).into_iter().map(|(x, y)| pos(x, y)).collect();
        if !clip.intersects(egui::Rect::from_points(&points).expand(3.0)) {
            continue;
        }
        if link.route == TwinRoute::Crossing {
            if strong {
                over.push(points);
            }
            continue;
        }
        let stroke =
            if strong { egui::Stroke::new(2.0, TWIN) } else { egui::Stroke::new(1.5, TWIN.gamma_multiply(0.6)) };
        if points.len() == 4 {
            painter.add(egui::epaint::CubicBezierShape::from_points_stroke(
                [points[0], points[1], points[2], points[3]],
                false,
                Color32::TRANSPARENT,
                stroke,
            ));
        } else {
            painter.line_segment([points[0], points[1]], stroke);
        }
    }
    // A transfer switch's alternate source (a generator), dashed.
    for &(source, node) in &placed.alternates {
        let (Some(s), Some(n)) = (placed.at[source], placed.at[node]) else { continue };
        let (from, to) = if s.cx() < n.cx() {
            (pos(s.right(), s.cy()), pos(n.x, n.cy()))
        } else {
            (pos(s.x, s.cy()), pos(n.right(), n.cy()))
        };
        if clip.intersects(egui::Rect::from_two_pos(from, to).expand(2.0)) {
            painter.extend(egui::Shape::dashed_line(&[from, to], egui::Stroke::new(1.0, BUS), 6.0, 4.0));
        }
    }
    view.painted = 0;
    view.hovered = None;
    for &i in columns {
        let Some(b) = placed.at[i] else { continue };
        let r = to_rect(&b);
        if !clip.intersects(r) {
            continue;
        }
        view.painted += 1;
        let node = &tree.nodes[i];
        let folded = placed.folded[i];
        let highlighted = view.highlight.contains(&node.key);
        let p = painter.with_clip_rect(r.intersect(clip));
        let b = box_text(node, folded, status);
        let text_color = match (node.is_group(), b.dark) {
            (true, _) => Color32::WHITE,
            (false, true) => Color32::from_gray(230),
            (false, false) => Color32::BLACK,
        };
        let (fill, line1_right, line2_left, line2_right) = (color32(b.fill), b.right1, b.left2, b.right2);
        painter.rect_filled(r, 3.0, fill);
        let has_children = !node.children.is_empty();
        let text_x = r.left() + if has_children { 17.0 } else { 5.0 };
        let title = b.title;
        p.text(
            egui::pos2(text_x, r.top() + 3.0),
            egui::Align2::LEFT_TOP,
            title,
            egui::FontId::proportional(12.5),
            text_color,
        );
        p.text(
            egui::pos2(r.right() - 4.0, r.top() + 3.0),
            egui::Align2::RIGHT_TOP,
            line1_right,
            egui::FontId::proportional(12.5),
            text_color,
        );
        p.text(
            egui::pos2(text_x, r.bottom() - 2.0),
            egui::Align2::LEFT_BOTTOM,
            line2_left,
            egui::FontId::proportional(10.5),
            text_color,
        );
        p.text(
            egui::pos2(r.right() - 4.0, r.bottom() - 2.0),
            egui::Align2::RIGHT_BOTTOM,
            line2_right,
            egui::FontId::proportional(10.5),
            text_color,
        );
        let is_selected = if node.is_group() {
            !node.racks.is_empty() && node.racks.iter().all(|r| selection.contains(r.as_str()))
        } else {
            selection.contains(node.id.as_str())
        };
        if highlighted {
            painter.rect_stroke(r, 3.0, egui::Stroke::new(3.0, HIGHLIGHT), egui::StrokeKind::Outside);
        }
        if is_selected {
            painter.rect_stroke(r, 3.0, egui::Stroke::new(2.0, SELECTED), egui::StrokeKind::Outside);
        }
        let text = node_text(tree, i, status);
        let resp = ui.interact(r, egui::Id::new(("sld_node", &node.key)), egui::Sense::click());
        // Named for screen readers and UI tests ("node T1", "node PDU-A1 racks"); the value is
        // what the box says, "selected" whether it is highlighted.
        let name = format!("node {}", node.key);
        let value = text.clone();
        resp.widget_info(|| {
            let mut info = egui::WidgetInfo::labeled(egui::WidgetType::Button, true, name.clone());
            info.current_text_value = Some(value.clone());
            info.selected = Some(highlighted);
            info
        });
        if resp.hovered() && node.is_group() {
            view.hovered = Some(i);
        }
        if resp.clicked() {
            *clicked = Some(i);
        }
        let kind = node.kind.map(|k| k.label()).unwrap_or("Racks");
        resp.on_hover_ui(|ui| {
            ui.label(RichText::new(format!("{}  ({kind})", node.id)).strong());
            ui.label(&text);
            if node.is_group() {
                let shown: Vec<&str> = node.racks.iter().take(12).map(String::as_str).collect();
                let more = if node.racks.len() > 12 { ", …" } else { "" };
                ui.label(format!("{}{more}", shown.join(", ")));
                let twins: Vec<&str> = node.twins.iter().map(|&t| tree.nodes[t].id.as_str()).collect();
                if !twins.is_empty() {
                    ui.label(format!("other cords on {}", twins.join(", ")));
                }
            } else if let Some(s) = status.and_then(|s| s.by_id.get(node.id.as_str())) {
                if let Some(kw) = s.p_kw {
                    ui.label(format!("{kw:.0} kW"));
                }
                if let Some(h) = s.headroom_pct {
                    ui.label(format!("headroom {h:.0} % (its binding limit)"));
                }
            }
        });
        if has_children {
            let tri = egui::Rect::from_min_size(r.left_top() + egui::vec2(2.0, 3.0), egui::vec2(14.0, 14.0));
            let c = tri.center();
            let points = if folded {
                vec![c + egui::vec2(-3.0, -5.0), c + egui::vec2(4.0, 0.0), c + egui::vec2(-3.0, 5.0)]
            } else {
                vec![c + egui::vec2(-5.0, -3.0), c + egui::vec2(5.0, -3.0), c + egui::vec2(0.0, 4.0)]
            };
            p.add(egui::Shape::convex_polygon(points, text_color, egui::Stroke::NONE));
            let t = ui.interact(tri, egui::Id::new(("sld_fold", &node.key)), egui::Sense::click());
            let name = format!("{} {}", if folded { "unfold" } else { "fold" }, node.key);
            t.widget_info(|| egui::WidgetInfo::labeled(egui::WidgetType::Button, true, name.clone()));
            if t.clicked() {
                *toggle = Some(i);
            }
        }
    }
    for points in over {
        painter.extend(egui::Shape::dashed_line(&points, egui::Stroke::new(2.0, TWIN), 8.0, 4.0));
    }
}
