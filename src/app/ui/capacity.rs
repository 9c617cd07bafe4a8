//! The Capacity tab: how many more racks of a model fit, where, what binds first and what is
//! stranded; the racks are drawn on the plan and placed with one click (one undoable edit).

use bevy::prelude::*;
use bevy_egui::egui::{self, Color32, RichText};

use crate::app::capacity::{self, CapacityStudy};
use crate::edit::EditHistory;

/// The tab.
pub fn capacity_panel(ui: &mut egui::Ui, world: &mut World) {
    world.get_resource_or_insert_with(CapacityStudy::default).poll();
    let models: Vec<String> = world
        .get_resource::<crate::sim::world::ActiveCatalog>()
        .map(|c| c.0.racks.keys().cloned().collect())
        .unwrap_or_default();
    if world.resource::<CapacityStudy>().model.is_empty() {
        // The site's most common rack model, else the catalog's first.
        let site = crate::edit::cached_site(crate::edit::fresh(world));
        let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
        for r in &site.racks {
            *counts.entry(r.model.as_str()).or_default() += 1;
        }
        let common = counts.iter().max_by_key(|(_, n)| **n).map(|(m, _)| m.to_string());
        let model = common.or_else(|| models.first().cloned()).unwrap_or_default();
        world.resource_mut::<CapacityStudy>().model = model;
    }
    let state = world.get_resource::<EditHistory>().map_or(0, EditHistory::state);
    let mut ask = false;
    let mut place = false;
    let mut clear = false;
    let mut rank = false;
    let mut build = None;
    {
        let mut study = world.resource_mut::<CapacityStudy>();
        let running = study.running();
        ui.horizontal(|ui| {
            ui.label("Add");
            egui::ComboBox::from_id_salt("capacity_model").selected_text(study.model.clone()).show_ui(ui, |ui| {
                for m in &models {
                    ui.selectable_value(&mut study.model, m.clone(), m);
                }
            });
            ui.checkbox(&mut study.n_1, "every single failure as safe as today (N-1)");
            ask = ui.add_enabled(!running, egui::Button::new("How many more fit?")).clicked();
            if running {
                ui.spinner();
                ui.label("Simulating…");
            }
        });
        ui.separator();
        expansion_section(ui, &study, state, &mut rank, &mut build);
        match &study.search.answer {
            None if !running => {
                ui.weak("Racks of the model go beside racks on the same feeds and cooling; every answer is simulated at N and at N + 1.");
            }
            None => {}
            Some(a) => {
                let stale = a.state != state;
                match &a.report {
                    Err(msg) => {
                        ui.label(RichText::new(msg).color(Color32::from_rgb(255, 110, 100)));
                    }
                    Ok(r) => {
                        egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
                            ui.horizontal(|ui| {
                                ui.label(
                                    RichText::new(format!(
                                        "{} more {} racks fit ({:.0} kW){}",
                                        r.racks,
                                        r.model,
                                        r.it_kw,
                                        if r.n_1 { ", N-1" } else { "" }
                                    ))
                                    .strong(),
                                );
                                if stale {
                                    ui.label(
                                        RichText::new("the site changed since: search again")
                                            .color(Color32::from_rgb(230, 170, 60)),
                                    );
                                } else if r.racks > 0 {
                                    place = ui
                                        .button(format!("Place {} racks", r.racks))
                                        .on_hover_text("One undoable edit (Ctrl+Z takes them all back)")
                                        .clicked();
                                }
                                clear = ui.button("Clear").clicked();
                            });
                            if let Some(b) = &r.binding {
                                ui.add(egui::Label::new(format!("Binds first: {}", b.describe())).truncate());
                            }
                            if !r.unsafe_today.is_empty() {
                                let text = format!("Not N-1 safe today: {}", r.unsafe_today.join(", "));
                                ui.add(
                                    egui::Label::new(RichText::new(&text).color(Color32::from_rgb(230, 170, 60)))
                                        .truncate(),
                                )
                                .on_hover_text(text);
                            }
                            for p in r.places.iter().filter(|p| p.racks > 0) {
                                let text = format!(
                                    "{} × {}: {}; one more: {}",
                                    p.racks,
                                    p.place.label(),
                                    p.new_racks.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>().join(", "),
                                    p.binding.as_ref().map_or("—".into(), |b| b.describe())
                                );
                                ui.add(egui::Label::new(&text).truncate()).on_hover_text(text);
                            }
                            for s in r.stranded.iter().take(5) {
                                let text = format!(
                                    "Stranded: {} {:.0} {} ({:.0} %, {:.0} kW of IT) by {}",
                                    s.element, s.stranded, s.unit, s.share_pct, s.stranded_kw, s.blocker
                                );
                                ui.add(egui::Label::new(RichText::new(&text).weak()).truncate()).on_hover_text(text);
                            }
                        });
                    }
                }
            }
        }
    }
    if ask {
        capacity::start(world);
    }
    if place && let Err(msg) = capacity::place(world) {
        world.resource_mut::<crate::app::state::EditorState>().error(format!("Cannot place: {msg}"));
    }
    if clear {
        world.resource_mut::<CapacityStudy>().search.answer = None;
    }
    if rank {
        capacity::start_expansion(world);
    }
    if let Some(i) = build
        && let Err(msg) = capacity::apply_option(world, i)
    {
        world.resource_mut::<crate::app::state::EditorState>().error(format!("Cannot build: {msg}"));
    }
}

/// The expansion options: ask for them, the best few per US$ M and per month, each buildable
/// in one undoable edit.
fn expansion_section(ui: &mut egui::Ui, study: &CapacityStudy, state: u64, rank: &mut bool, build: &mut Option<usize>) {
    let running = study.expansion.running();
    ui.horizontal(|ui| {
        *rank = ui
            .add_enabled(!running, egui::Button::new("Ways to fit more"))
            .on_hover_text(
                "Upsize or add equipment, new rows, setpoints, power caps: each priced and timed (catalog economics or the site's quotes), ranked by MW per $ and per month",
            )
            .clicked();
        if running {
            ui.spinner();
            ui.label("Ranking options…");
        }
        let Some(a) = &study.expansion.answer else { return };
        match &a.report {
            Err(msg) => {
                ui.label(RichText::new(msg).color(Color32::from_rgb(255, 110, 100)));
            }
            Ok(r) if a.state != state => {
                let _ = r;
                ui.label(RichText::new("the site changed since: rank again").color(Color32::from_rgb(230, 170, 60)));
            }
            Ok(r) => {
                ui.label(format!("{} options; today {} racks fit", r.options.len(), r.racks_today));
            }
        }
    });
    let Some(a) = study.expansion.answer.as_ref().filter(|a| a.state == state) else { return };
    let Ok(r) = &a.report else { return };
    let mut row = |ui: &mut egui::Ui, i: usize, what: &str| {
        let o = &r.options[i];
        ui.horizontal(|ui| {
            if ui
                .button("Build")
                .on_hover_text("One undoable edit: the changes and the racks they make room for")
                .clicked()
            {
                *build = Some(i);
            }
            let text = format!(
                "{what}: {:+.2} MW ({:+} racks) for ${:.2} M in {:.1} months: {}",
                o.mw_unlocked,
                o.racks_unlocked,
                o.capex_usd.1 / 1e6,
                o.months,
                o.title
            );
            ui.add(egui::Label::new(&text).truncate()).on_hover_text(text);
        });
    };
    for i in 0..r.options.len().min(3) {
        row(ui, i, &format!("#{} per $", i + 1));
    }
    for (n, &i) in r.by_month.iter().take(3).enumerate() {
        row(ui, i, &format!("#{} per month", n + 1));
    }
}
