//! The inspector: the selected element's ratings (editable, validated before they apply), its
//! live state, its connections and its chain of supply up to the grid feed.

use bevy::prelude::*;
use bevy_egui::egui;
use egui::{Color32, RichText};

use super::color32;
use crate::app::colors::load_color;
use crate::app::plan::report;
use crate::app::state::{EditorState, Tool};
use crate::app::status::SiteStatus;
use crate::edit::{self, ops};
use crate::sim::thermal::rack_thermal;
use crate::sim::world::find_element;
use crate::site::element::{EquipmentKind, SiteElement};

/// Id of the error shown under a rating field: `(element, field, message)`.
#[derive(Resource, Debug, Clone, Default)]
pub struct RatingError(pub Option<(String, String, String)>);

/// Shows the primary selection, or a summary of a multiple selection.
pub fn inspector_panel(ui: &mut egui::Ui, world: &mut World) {
    let selection = world.resource::<EditorState>().selection.clone();
    match selection.len() {
        0 => {
            ui.label(
                RichText::new(
                    "Nothing selected: click an element on the plan, an alert or a node of the single-line diagram.",
                )
                .weak(),
            );
        }
        1 => single(ui, world, &selection[0]),
        n => {
            ui.label(format!("{n} elements selected"));
            let shown: Vec<&str> = selection.iter().take(12).map(String::as_str).collect();
            ui.label(RichText::new(format!("{}{}", shown.join(", "), if n > 12 { ", …" } else { "" })).small());
            ui.label(RichText::new("Drag any of them on the plan to move them together.").weak());
            if ui.button(format!("Delete {n} elements")).clicked() {
                super::delete_selection(world);
            }
        }
    }
}

fn single(ui: &mut egui::Ui, world: &mut World, id: &str) {
    let Some(element) = edit::element(world, id) else {
        ui.label(format!("{id} is no longer in the site"));
        return;
    };
    let kind = element.kind();
    ui.horizontal(|ui| {
        ui.label(RichText::new(id).heading());
        ui.label(format!("{} · {}", kind.label(), element.model().unwrap_or("")));
    });
    ui.horizontal_wrapped(|ui| {
        if !kind.is_marker() {
            let in_service = element.in_service();
            let label = if in_service { "Take out of service" } else { "Return to service" };
            if ui.button(label).on_hover_text("simulate a failure or maintenance outage").clicked() {
                let r = ops::set_in_service(world, id, !in_service).and_then(|e| edit::apply(world, e));
                report(world, r, &format!("{id} {}", if in_service { "out of service" } else { "back in service" }));
            }
        }
        if ui.button("Delete").clicked() {
            super::delete_selection(world);
        }
        if ui.button("Centre").clicked() {
            world.resource_mut::<EditorState>().center_on = Some(id.to_string());
        }
        if kind.is_electrical()
            && ui
                .button("Show in diagram")
                .on_hover_text("its box on the single-line diagram (a rack: its groups)")
                .clicked()
        {
            super::sld::show_in_diagram(world, id);
        }
    });
    if let SiteElement::Rack(r) = &element {
        let mut u = r.utilization * 100.0;
        let resp = ui.add(egui::Slider::new(&mut u, 0.0..=100.0).text("utilization %"));
        if resp.drag_stopped() || (resp.changed() && !resp.dragged()) {
            let r = ops::set_utilization(world, id, (u / 100.0 * 1000.0).round() / 1000.0)
                .and_then(|e| edit::apply(world, e));
            report(world, r, &format!("{id} utilization {u:.0} %"));
        }
    }

    egui::CollapsingHeader::new("Live state").default_open(true).show(ui, |ui| live_state(ui, world, id));
    egui::CollapsingHeader::new("Chain to the grid").default_open(true).show(ui, |ui| chain(ui, world, &element));
    egui::CollapsingHeader::new("Connections").default_open(true).show(ui, |ui| connections(ui, world, &element));
    egui::CollapsingHeader::new("Ratings").default_open(true).show(ui, |ui| ratings(ui, world, &element));
}

fn live_state(ui: &mut egui::Ui, world: &mut World, id: &str) {
    let entity = find_element(world, id);
    let state = entity
        .filter(|&e| world.get::<crate::sim::electrical::Circuit>(e).is_some())
        .and_then(|e| crate::sim::electrical::element_state(world, e));
    let power = entity.and_then(|e| crate::sim::electrical::rack_power(world, e));
    let thermal = entity.and_then(|e| rack_thermal(world, e));
    let status = world.get_resource::<SiteStatus>().and_then(|s| s.by_id.get(id).cloned());
    let figures = if state.is_none() && power.is_none() { crate::app::status::figures(world, id) } else { vec![] };
    egui::Grid::new("live_state").striped(true).show(ui, |ui| {
        let mut row = |k: &str, v: String| {
            ui.label(k);
            ui.label(RichText::new(v).monospace());
            ui.end_row();
        };
        if let Some(s) = state {
            row("Energized", if s.energized { "yes".into() } else { "NO".into() });
            row("Output voltage", format!("{:.1} V  ({:.4} pu)", s.voltage_v, s.voltage_pu));
            row("Input voltage", format!("{:.4} pu", s.input_voltage_pu));
            row("Input current", format!("{:.1} A", s.input_current_a));
            row("Output current", format!("{:.1} A", s.output_current_a));
            row("Real power", format!("{:.2} kW", s.p_kw));
            row("Reactive power", format!("{:.2} kvar", s.q_kvar));
            row("Loading", format!("{:.1} %", s.loading_pct));
            row("Losses", format!("{:.3} kW", s.losses_kw));
            if s.feeder_ampacity_a > 0.0 {
                row(
                    "Feeder",
                    format!(
                        "{:.1} % of {:.0} A, {:.3} kW lost",
                        s.feeder_loading_pct, s.feeder_ampacity_a, s.feeder_losses_kw
                    ),
                );
            }
        }
        if let Some(p) = power {
            row("Powered", if p.powered { "yes".into() } else { "NO".into() });
            row("Power", format!("{:.2} kW, {:.2} kvar", p.p_kw, p.q_kvar));
            row(
                "A cord",
                format!("{} {:.1} A {:.4} pu", if p.a.live { "live" } else { "dead" }, p.a.current_a, p.a.voltage_pu),
            );
            match p.b {
                Some(b) => row(
                    "B cord",
                    format!("{} {:.1} A {:.4} pu", if b.live { "live" } else { "dead" }, b.current_a, b.voltage_pu),
                ),
                None => row("B cord", "none (single-corded)".into()),
            }
        }
        if let Some(t) = thermal.filter(|_| power.is_some()) {
            row("Inlet air", format!("{:.2} °C", t.inlet_c));
            row("Outlet air", format!("{:.2} °C", t.outlet_c));
            if let Some(l) = t.liquid_supply_c {
                row("Liquid supply", format!("{l:.2} °C"));
            }
        }
        for (k, v) in figures {
            row(k, v);
        }
    });
    if let Some(a) = status.and_then(|s| s.alert) {
        ui.label(RichText::new(format!("{a:?} alert active (see Limits)")).color(Color32::from_rgb(255, 90, 80)));
    }
}

/// Follows `upstream` (racks: each cord) to the grid feed, showing each hop's loading.
fn chain(ui: &mut egui::Ui, world: &mut World, element: &SiteElement) {
    let starts: Vec<(&str, String)> = element
        .links()
        .into_iter()
        .filter(|(f, _)| matches!(*f, "upstream" | "feed_a" | "feed_b"))
        .map(|(f, t)| (if f == "upstream" { "" } else { f }, t))
        .collect();
    if starts.is_empty() {
        ui.label(RichText::new("a source: nothing upstream").weak());
        return;
    }
    for (cord, first) in starts {
        let mut hops = vec![first];
        while hops.len() < 16 {
            let last = hops.last().cloned().unwrap_or_default();
            let next = find_element(world, &last)
                .and_then(|e| world.get::<crate::sim::components::Sources>(e))
                .and_then(|u| u.primary().map(str::to_string));
            match next {
                Some(n) if !hops.contains(&n) => hops.push(n),
                _ => break,
            }
        }
        ui.horizontal_wrapped(|ui| {
            if !cord.is_empty() {
                ui.label(RichText::new(format!("{cord}:")).strong());
            }
            for (i, hop) in hops.iter().enumerate() {
                if i > 0 {
                    ui.label("◀");
                }
                let loading =
                    world.get_resource::<SiteStatus>().and_then(|s| s.by_id.get(hop)).and_then(|s| s.loading_pct);
                let text = match loading {
                    Some(l) => format!("{hop} {l:.0} %"),
                    None => hop.clone(),
                };
                let color = loading.map(|l| color32(load_color(l / 100.0))).unwrap_or(Color32::GRAY);
                if ui.add(egui::Button::new(RichText::new(text).color(Color32::BLACK)).fill(color)).clicked() {
                    let mut e = world.resource_mut::<EditorState>();
                    e.select_only(hop.clone());
                    e.center_on = Some(hop.clone());
                }
            }
        });
    }
}

fn connections(ui: &mut egui::Ui, world: &mut World, element: &SiteElement) {
    let id = element.id().to_string();
    let links = element.links();
    for (field, optional) in SiteElement::link_fields(element.kind()) {
        let current = links.iter().find(|(f, _)| *f == field).map(|(_, t)| t.clone());
        ui.horizontal(|ui| {
            ui.label(format!("{field}:"));
            let mut chosen: Option<Option<String>> = None;
            egui::ComboBox::from_id_salt(format!("link_{field}"))
                .selected_text(current.clone().unwrap_or_else(|| "—".into()))
                .show_ui(ui, |ui| {
                    let catalog = edit::catalog(world);
                    let site = edit::current_site(world);
                    if optional && ui.selectable_label(current.is_none(), "— none").clicked() {
                        chosen = Some(None);
                    }
                    for c in ops::link_candidates(&site, element, field, &catalog).into_iter().take(200) {
                        if ui.selectable_label(current.as_deref() == Some(c.as_str()), &c).clicked() {
                            chosen = Some(Some(c));
                        }
                    }
                });
            if let Some(target) = chosen
                && target != current
            {
                let r = ops::connect(world, &id, field, target.clone()).and_then(|e| edit::apply(world, e));
                report(world, r, &format!("{id}.{field} → {}", target.unwrap_or_else(|| "none".into())));
            }
            if ui.small_button("pick on plan").on_hover_text("then click the element to connect to").clicked() {
                world.resource_mut::<EditorState>().tool =
                    Tool::Connect { element: id.clone(), field: field.to_string() };
            }
        });
    }
}

fn ratings(ui: &mut egui::Ui, world: &mut World, element: &SiteElement) {
    if element.kind() == EquipmentKind::Zone || element.kind() == EquipmentKind::WaterLoop {
        ui.label(RichText::new("zones and water loops have no catalog rating; edit them in the site file").weak());
        return;
    }
    let catalog = edit::catalog(world);
    let id = element.id().to_string();
    let fields = element.rating_fields(&catalog);
    let error = world.get_resource::<RatingError>().and_then(|e| e.0.clone());
    let mut drafts = world.resource::<EditorState>().rating_drafts.clone();
    let mut submit: Option<(String, String)> = None;
    egui::Grid::new("ratings").striped(true).show(ui, |ui| {
        for f in &fields {
            let label = field_label(&f.name, f.constraint.as_ref().map_or("", |c| c.unit));
            let name = if f.overridden { RichText::new(format!("{label} *")).strong() } else { RichText::new(&label) };
            let origin = if f.overridden { "overrides the catalog" } else { "catalog value" };
            // The file's own name of the field in the hint: what to write in a site file.
            let hint = match &f.constraint {
                Some(c) => format!("`{}` in the file; {origin}; accepts {}", f.name, c.describe()),
                None => format!("`{}` in the file; {origin}", f.name),
            };
            let name_label = ui.label(name).on_hover_text(hint);
            if f.value.is_some() {
                let key = (id.clone(), f.name.clone());
                drafts.retain(|(k, (origin, _))| *k != key || *origin == f.text);
                let idx = match drafts.iter().position(|(k, _)| *k == key) {
                    Some(i) => i,
                    None => {
                        drafts.push((key.clone(), (f.text.clone(), f.text.clone())));
                        drafts.len() - 1
                    }
                };
                let edit = egui::TextEdit::singleline(&mut drafts[idx].1.1)
                    .desired_width(110.0)
                    .id_salt(format!("rating_{}", f.name));
                let r = ui.add(edit).labelled_by(name_label.id);
                if r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                    submit = Some((f.name.clone(), drafts[idx].1.1.clone()));
                }
                if ui.small_button("apply").on_hover_text(format!("apply {label}")).clicked() {
                    submit = Some((f.name.clone(), drafts[idx].1.1.clone()));
                }
            } else {
                ui.label(RichText::new(&f.text).small());
                ui.label("");
            }
            ui.end_row();
        }
    });
    // Below the grid, wrapped: a long message in a grid cell would widen the whole panel.
    if let Some((eid, field, msg)) = &error
        && *eid == id
        && fields.iter().any(|f| f.name == *field)
    {
        ui.add(
            egui::Label::new(RichText::new(format!("{field}: {msg}")).color(Color32::from_rgb(255, 110, 100))).wrap(),
        );
    }
    world.resource_mut::<EditorState>().rating_drafts = drafts;
    if let Some((name, text)) = submit {
        submit_rating(world, &id, &name, &text);
    }
}

/// A rating field's name for people: words instead of the file's snake case, the unit (from
/// its constraint) in brackets instead of the unit suffix (`breaker_a` → `breaker (A)`).
pub fn field_label(name: &str, unit: &str) -> String {
    // Longest first: `_kj_per_k` before `_k`.
    const SUFFIXES: [&str; 16] = [
        "_m3_s_per_kw",
        "_kj_per_k",
        "_ohm_per_km",
        "_m3_s",
        "_pct",
        "_kva",
        "_mva",
        "_deg",
        "_kw",
        "_kv",
        "_m3",
        "_a",
        "_c",
        "_k",
        "_m",
        "_s",
    ];
    let base = if unit.is_empty() { name } else { SUFFIXES.iter().find_map(|s| name.strip_suffix(s)).unwrap_or(name) };
    let words = base.replace('_', " ");
    if unit.is_empty() { words } else { format!("{words} ({unit})") }
}

/// Parses and applies a typed rating; a bad value is refused with a message and not applied.
pub fn submit_rating(world: &mut World, id: &str, name: &str, text: &str) {
    let result = text
        .trim()
        .parse::<f64>()
        .map_err(|_| format!("`{}` is not a number", text.trim()))
        .and_then(|v| ops::set_rating(world, id, name, v))
        .and_then(|e| edit::apply(world, e));
    match result {
        Ok(()) => {
            world.insert_resource(RatingError(None));
            let warning = implausible(world, id, name, text);
            let applied = format!("{id}.{name} = {}", text.trim());
            let mut e = world.resource_mut::<EditorState>();
            match warning {
                Some(w) => e.error(format!("{applied} (applied; {w})")),
                None => e.info(applied),
            }
        }
        Err(msg) => {
            world.insert_resource(RatingError(Some((id.to_string(), name.to_string(), msg.clone()))));
            let mut e = world.resource_mut::<EditorState>();
            e.error(format!("{id}.{name} not changed: {msg}"));
            // Forget the typed text so the field shows the value in force again.
            e.rating_drafts.retain(|((eid, f), _)| !(eid == id && f == name));
        }
    }
}

/// The catalog's plausibility warning for `text` typed into `name` of element `id`.
fn implausible(world: &mut World, id: &str, name: &str, text: &str) -> Option<String> {
    let value = text.trim().parse::<f64>().ok()?;
    let e = crate::sim::world::find_element(world, id)?;
    let kind = world.get::<crate::sim::components::Kind>(e)?.0;
    let model = world.get::<crate::sim::components::CatalogModel>(e)?.0.clone();
    let (field, index) = match name.split_once('[') {
        Some((f, rest)) => (f, rest.trim_end_matches(']').parse().ok()),
        None => (name, None),
    };
    edit::catalog(world).implausible(kind, &model, field, index, value)
}

#[cfg(test)]
mod tests {
    use super::field_label;

    #[test]
    fn rating_fields_read_as_words_with_units() {
        assert_eq!(field_label("breaker_a", "A"), "breaker (A)");
        assert_eq!(field_label("voltage_kv", "kV"), "voltage (kV)");
        assert_eq!(field_label("continuous_pct", "%"), "continuous (%)");
        assert_eq!(field_label("airflow_m3_s_per_kw", "m³/s per kW"), "airflow (m³/s per kW)");
        assert_eq!(field_label("power_factor", ""), "power factor");
        assert_eq!(field_label("thermal_mass_kj_per_k", "kJ/K"), "thermal mass (kJ/K)");
        assert_eq!(field_label("rated_water_rise_k", "K"), "rated water rise (K)");
    }
}
