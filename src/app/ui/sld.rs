//! The single-line diagram: the power tree from each grid feed down through transformers, UPSes
//! and distribution, with the racks on each feeder grouped into one node, coloured by loading.
//! Clicking a node selects it on the plan (a rack group selects its racks).

use std::collections::HashMap;

use bevy::prelude::*;
use bevy_egui::egui;
use egui::{Color32, RichText};

use super::color32;
use crate::app::colors::{DEAD, NOT_APPLICABLE, load_color};
use crate::app::state::EditorState;
use crate::app::status::SiteStatus;
use crate::kinds::EquipmentKind;
use crate::sim::components::{ElementId, Kind, RackFeeds, Sources};
use crate::site::save::natural_cmp;

const COL_W: f32 = 170.0;
const ROW_H: f32 = 22.0;
const NODE_W: f32 = 150.0;

/// One box of the diagram.
#[derive(Debug, Clone, PartialEq)]
pub struct SldNode {
    /// Element id, or for a rack group the feeding element's id.
    pub id: String,
    /// Racks on this feeder (a group node), else 0.
    pub racks: Vec<String>,
    /// Column (distance from the grid feed).
    pub depth: usize,
    /// Row (fractional for parents, centred on their children).
    pub row: f32,
    /// Index of the parent node.
    pub parent: Option<usize>,
}

/// The laid-out tree, rebuilt when the set of elements or their connections change.
#[derive(Resource, Debug, Clone, Default)]
pub struct SldLayout {
    key: u64,
    /// Nodes in depth-first order.
    pub nodes: Vec<SldNode>,
    /// Leaf rows.
    pub rows: usize,
    /// Deepest column.
    pub depth: usize,
}

/// Lays out the power tree of the world.
pub fn layout(world: &mut World) -> SldLayout {
    let mut children: HashMap<String, Vec<String>> = HashMap::new();
    let mut racks_on: HashMap<String, Vec<String>> = HashMap::new();
    let mut all: Vec<String> = Vec::new();
    let mut q = world.query::<(&ElementId, &Kind, Option<&Sources>, Option<&RackFeeds>)>();
    for (id, kind, up, feeds) in q.iter(world) {
        if kind.0 == EquipmentKind::Rack {
            if let Some(f) = feeds {
                racks_on.entry(f.a.clone()).or_default().push(id.0.clone());
                if let Some(b) = &f.b {
                    racks_on.entry(b.clone()).or_default().push(id.0.clone());
                }
            }
            continue;
        }
        all.push(id.0.clone());
        if let Some(u) = up.and_then(Sources::primary) {
            children.entry(u.to_string()).or_default().push(id.0.clone());
        }
    }
    let known: std::collections::HashSet<&String> = all.iter().collect();
    let has_parent: std::collections::HashSet<String> =
        children.iter().filter(|(p, _)| known.contains(p)).flat_map(|(_, c)| c.iter().cloned()).collect();
    let mut roots: Vec<String> = all.iter().filter(|id| !has_parent.contains(*id)).cloned().collect();
    roots.sort_by(|a, b| natural_cmp(a, b));
    for v in children.values_mut() {
        v.sort_by(|a, b| natural_cmp(a, b));
    }
    for v in racks_on.values_mut() {
        v.sort_by(|a, b| natural_cmp(a, b));
    }
    let mut out = SldLayout::default();
    let mut next_row = 0usize;
    fn visit(
        id: &str,
        depth: usize,
        parent: Option<usize>,
        children: &HashMap<String, Vec<String>>,
        racks_on: &HashMap<String, Vec<String>>,
        out: &mut SldLayout,
        next_row: &mut usize,
    ) -> f32 {
        let me = out.nodes.len();
        out.nodes.push(SldNode { id: id.to_string(), racks: vec![], depth, row: 0.0, parent });
        out.depth = out.depth.max(depth);
        let mut rows = Vec::new();
        if depth < 32 {
            for c in children.get(id).into_iter().flatten() {
                rows.push(visit(c, depth + 1, Some(me), children, racks_on, out, next_row));
            }
        }
        if let Some(r) = racks_on.get(id) {
            let row = *next_row as f32;
            *next_row += 1;
            out.nodes.push(SldNode { id: id.to_string(), racks: r.clone(), depth: depth + 1, row, parent: Some(me) });
            out.depth = out.depth.max(depth + 1);
            rows.push(row);
        }
        let row = if rows.is_empty() {
            let r = *next_row as f32;
            *next_row += 1;
            r
        } else {
            (rows[0] + rows[rows.len() - 1]) / 2.0
        };
        out.nodes[me].row = row;
        row
    }
    for r in roots {
        visit(&r, 0, None, &children, &racks_on, &mut out, &mut next_row);
    }
    out.rows = next_row;
    out
}

fn fill(status: Option<&SiteStatus>, id: &str) -> Color32 {
    match status.and_then(|s| s.by_id.get(id)) {
        Some(s) if !s.live => color32(DEAD),
        Some(s) => s.loading_pct.map(|l| color32(load_color(l / 100.0))).unwrap_or(color32(NOT_APPLICABLE)),
        None => color32(NOT_APPLICABLE),
    }
}

/// Draws the diagram; clicking a node selects (and centres) it.
pub fn sld_panel(ui: &mut egui::Ui, world: &mut World) {
    let key = world.get_resource::<crate::app::plan::PlanRevision>().map(|r| r.0).unwrap_or(u64::MAX);
    let cached = world.get_resource::<SldLayout>().filter(|l| l.key == key && key != u64::MAX).cloned();
    let tree = match cached {
        Some(t) => t,
        None => {
            let mut t = layout(world);
            t.key = key;
            world.insert_resource(t.clone());
            t
        }
    };
    let status = world.get_resource::<SiteStatus>();
    let mut clicked: Option<(String, Vec<String>)> = None;
    let selection = world.resource::<EditorState>().selection.clone();
    egui::ScrollArea::both().id_salt("sld").auto_shrink([false, false]).show(ui, |ui| {
        let size = egui::vec2((tree.depth + 1) as f32 * COL_W + 20.0, tree.rows.max(1) as f32 * ROW_H + 10.0);
        let (rect, _) = ui.allocate_exact_size(size, egui::Sense::hover());
        let visible = ui.clip_rect();
        let painter = ui.painter_at(rect);
        let pos = |n: &SldNode| rect.min + egui::vec2(n.depth as f32 * COL_W + 6.0, n.row * ROW_H + 4.0);
        for n in &tree.nodes {
            let p = pos(n);
            let node_rect = egui::Rect::from_min_size(p, egui::vec2(NODE_W, ROW_H - 5.0));
            if let Some(parent) = n.parent.map(|i| &tree.nodes[i]) {
                let pp = pos(parent) + egui::vec2(NODE_W, (ROW_H - 5.0) / 2.0);
                let c = node_rect.left_center();
                let mid = egui::pos2(pp.x + (c.x - pp.x) / 2.0, 0.0);
                let line_rect = egui::Rect::from_two_pos(pp, c);
                if visible.intersects(line_rect.expand(2.0)) {
                    let stroke = egui::Stroke::new(1.0, Color32::from_gray(140));
                    painter.line_segment([pp, egui::pos2(mid.x, pp.y)], stroke);
                    painter.line_segment([egui::pos2(mid.x, pp.y), egui::pos2(mid.x, c.y)], stroke);
                    painter.line_segment([egui::pos2(mid.x, c.y), c], stroke);
                }
            }
            if !visible.intersects(node_rect) {
                continue;
            }
            let (text, color) = if n.racks.is_empty() {
                (n.id.clone(), fill(status, &n.id))
            } else {
                let kw: f64 =
                    n.racks.iter().filter_map(|r| status.and_then(|s| s.by_id.get(r)).and_then(|s| s.p_kw)).sum();
                (format!("{} racks · {kw:.0} kW", n.racks.len()), Color32::from_gray(90))
            };
            let selected = if n.racks.is_empty() {
                selection.contains(&n.id)
            } else {
                n.racks.iter().all(|r| selection.contains(r))
            };
            painter.rect_filled(node_rect, 3.0, color);
            if selected {
                painter.rect_stroke(
                    node_rect,
                    3.0,
                    egui::Stroke::new(2.0, Color32::from_rgb(80, 230, 255)),
                    egui::StrokeKind::Outside,
                );
            }
            let text_color = if n.racks.is_empty() { Color32::BLACK } else { Color32::WHITE };
            painter.text(
                node_rect.left_center() + egui::vec2(4.0, 0.0),
                egui::Align2::LEFT_CENTER,
                text,
                egui::FontId::proportional(12.0),
                text_color,
            );
            let id = egui::Id::new(("sld_node", &n.id, n.racks.is_empty()));
            let resp = ui.interact(node_rect, id, egui::Sense::click());
            // Named for screen readers and UI tests: "node T1", "node PDU-A1 racks".
            let name = if n.racks.is_empty() { format!("node {}", n.id) } else { format!("node {} racks", n.id) };
            resp.widget_info(|| egui::WidgetInfo::labeled(egui::WidgetType::Button, true, name.clone()));
            if resp.clicked() {
                clicked = Some((n.id.clone(), n.racks.clone()));
            }
            if n.racks.is_empty() {
                let loading = status.and_then(|s| s.by_id.get(&n.id)).and_then(|s| s.loading_pct);
                resp.on_hover_ui(|ui| {
                    ui.label(RichText::new(&n.id).strong());
                    if let Some(l) = loading {
                        ui.label(format!("loading {l:.1} %"));
                    }
                });
            }
        }
    });
    if let Some((id, racks)) = clicked {
        let mut e = world.resource_mut::<EditorState>();
        if racks.is_empty() {
            e.select_only(id.clone());
            e.center_on = Some(id);
        } else {
            e.center_on = racks.first().cloned();
            e.selection = racks;
        }
    }
}
