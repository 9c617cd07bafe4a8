//! The palette: catalog models to place, the row tool, and the grid.

use bevy::prelude::*;
use bevy_egui::egui;
use egui::RichText;

use crate::app::state::{EditorState, Tool};
use crate::catalog::Catalog;
use crate::catalog::footprint::FootprintTable;
use crate::edit::{self, ops::RowDirection};
use crate::site::element::EquipmentKind;

/// Chooses the active tool; the plan does the clicking.
pub fn palette_panel(ui: &mut egui::Ui, world: &mut World) {
    let catalog = edit::catalog(world);
    let mut editor = world.resource::<EditorState>().clone();
    ui.heading("Palette");
    if ui.selectable_label(editor.tool == Tool::Select, "⬚ Select / move").clicked() {
        editor.tool = Tool::Select;
    }
    ui.label(
        RichText::new("Click: select · Shift: add · drag: move · Shift-drag: box · right-drag: pan").small().weak(),
    );
    ui.horizontal(|ui| {
        ui.label("Grid");
        egui::ComboBox::from_id_salt("grid").selected_text(format!("{} m", editor.grid_m)).show_ui(ui, |ui| {
            for g in [0.1, 0.3, 0.6, 1.0] {
                ui.selectable_value(&mut editor.grid_m, g, format!("{g} m"));
            }
        });
    });
    ui.separator();
    for &kind in EquipmentKind::ALL {
        let models = catalog.model_names(kind);
        if models.is_empty() {
            continue;
        }
        egui::CollapsingHeader::new(kind.label())
            .default_open(matches!(kind, EquipmentKind::Rack | EquipmentKind::Distribution))
            .show(ui, |ui| {
                for m in models {
                    let active = editor.tool == Tool::Place { kind, model: m.clone() };
                    // Worked out only while hovered (a dozen formatted numbers per model).
                    let hint = |ui: &mut egui::Ui| {
                        let builtin;
                        let footprints = match world.get_resource::<edit::Footprints>() {
                            Some(f) => &f.0,
                            None => {
                                builtin = FootprintTable::builtin();
                                &builtin
                            }
                        };
                        for line in model_summary(&catalog, footprints, kind, &m) {
                            ui.label(line);
                        }
                        ui.label(format!("Click, then click the floor to place a {m}"));
                    };
                    let key = key_ratings(&catalog, kind, &m);
                    let clicked = ui
                        .horizontal(|ui| {
                            let r = ui.selectable_label(active, &m).on_hover_ui(hint).clicked();
                            ui.label(RichText::new(key).small().weak());
                            r
                        })
                        .inner;
                    if clicked {
                        editor.tool = Tool::Place { kind, model: m };
                    }
                }
            });
    }
    ui.separator();
    ui.label(RichText::new("Row of racks").strong());
    egui::ComboBox::from_id_salt("row_model").selected_text(format!("model {}", editor.row.model)).show_ui(ui, |ui| {
        for m in catalog.racks.keys() {
            ui.selectable_value(&mut editor.row.model, m.clone(), m);
        }
    });
    ui.horizontal(|ui| {
        ui.label("Racks");
        ui.add(egui::DragValue::new(&mut editor.row.count).range(1..=200));
        egui::ComboBox::from_id_salt("row_dir").selected_text(format!("{:?}", editor.row.direction)).show_ui(
            ui,
            |ui| {
                for d in [RowDirection::East, RowDirection::West, RowDirection::North, RowDirection::South] {
                    ui.selectable_value(&mut editor.row.direction, d, format!("{d:?}"));
                }
            },
        );
    });
    // Listed only while a feed list is open.
    let mut feeds: Option<Vec<String>> = None;
    for (side, list) in [("A", &mut editor.row.feeds_a), ("B", &mut editor.row.feeds_b)] {
        let shown = if list.is_empty() { "like neighbours".to_string() } else { list.join(", ") };
        egui::CollapsingHeader::new(format!("{side} feeds: {shown}")).id_salt(format!("row_feeds_{side}")).show(
            ui,
            |ui| {
                egui::ScrollArea::vertical().max_height(160.0).id_salt(format!("row_feeds_scroll_{side}")).show(
                    ui,
                    |ui| {
                        let feeds = feeds.get_or_insert_with(|| {
                            use crate::sim::components::{Distribution, ElementId, Ups};
                            let mut q = world.query_filtered::<&ElementId, Or<(With<Distribution>, With<Ups>)>>();
                            crate::edit::ops::sorted_ids(q.iter(world).map(|id| id.0.clone()).collect())
                        });
                        for f in feeds.iter() {
                            let mut on = list.contains(f);
                            if ui.checkbox(&mut on, f).changed() {
                                if on {
                                    list.push(f.clone());
                                } else {
                                    list.retain(|x| x != f);
                                }
                            }
                        }
                    },
                );
            },
        );
    }
    if ui
        .selectable_label(editor.tool == Tool::PlaceRow, "Place row…")
        .on_hover_text("then click the first rack's position")
        .clicked()
    {
        editor.tool = Tool::PlaceRow;
    }
    *world.resource_mut::<EditorState>() = editor;
}

/// What a planner picks a model by: its rating's numbers with units, and its footprint.
pub fn model_summary(catalog: &Catalog, footprints: &FootprintTable, kind: EquipmentKind, model: &str) -> Vec<String> {
    let mut out: Vec<String> = catalog
        .model_numbers(kind, model)
        .iter()
        .map(|f| {
            let label = crate::app::ui::inspector::field_label(f.name, f.constraint.unit);
            let label = match f.index {
                Some(i) => format!("{label} [{i}]"),
                None => label,
            };
            format!("{label}: {}", compact(f.value))
        })
        .collect();
    let (w, d) = footprints.extent_m(kind, model, 0.0);
    out.push(format!("footprint: {w:.2} × {d:.2} m"));
    out
}

/// The ratings a planner picks a model by, on one line beside its name: its power, apparent
/// power or current ratings (the first two the model has) and, for racks, the share of their
/// heat that goes to liquid ("132 kW · 88 % liquid").
pub fn key_ratings(catalog: &Catalog, kind: EquipmentKind, model: &str) -> String {
    let numbers = catalog.model_numbers(kind, model);
    let mut parts: Vec<String> = numbers
        .iter()
        .filter(|f| f.index.is_none() && matches!(f.constraint.unit, "kW" | "kVA" | "MVA" | "A"))
        .take(2)
        .map(|f| format!("{} {}", compact(f.value), f.constraint.unit))
        .collect();
    if let Some(l) = numbers.iter().find(|f| f.name == "liquid_fraction").filter(|f| f.value > 0.0) {
        parts.push(format!("{:.0} % liquid", l.value * 100.0));
    }
    parts.join(" · ")
}

/// A rating number as people write it: up to four significant digits, no trailing zeros.
fn compact(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let decimals = (3 - v.abs().log10().floor() as i32).clamp(0, 6) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_reads_by_its_ratings_with_units_and_footprint() {
        let lines = model_summary(&Catalog::builtin(), &FootprintTable::builtin(), EquipmentKind::Rack, "gb200-nvl72");
        let text = lines.join("\n");
        assert!(text.contains("rated (kW): 132"), "{text}");
        assert!(text.contains("liquid fraction: 0.875"), "{text}");
        assert!(text.contains("footprint: 0.60 × 1.20 m"), "{text}");
        let pdu = model_summary(
            &Catalog::builtin(),
            &FootprintTable::builtin(),
            EquipmentKind::Distribution,
            "pdu-415v-250a",
        );
        assert!(pdu.iter().any(|l| l == "breaker (A): 250"), "{pdu:?}");
        assert_eq!(key_ratings(&Catalog::builtin(), EquipmentKind::Rack, "gb200-nvl72"), "132 kW · 88 % liquid");
        assert_eq!(key_ratings(&Catalog::builtin(), EquipmentKind::Distribution, "pdu-415v-250a"), "250 A");
        assert!(
            key_ratings(&Catalog::builtin(), EquipmentKind::Transformer, "xfmr-1000kva-13.8kv-415v")
                .starts_with("1000 kVA")
        );
        assert_eq!(compact(0.4149), "0.4149");
        assert_eq!(compact(1200.0), "1200");
        assert_eq!(compact(13.8), "13.8");
    }
}
