//! Alerts and headroom: where the site hits its limits. Alerts are grouped by cause
//! ([`crate::sim::causes`]). A click on an alert, a cause or a headroom row selects the element
//! and centres the plan on it.

use bevy::prelude::*;
use bevy_egui::egui;
use egui::{Color32, RichText};

use super::format_clock;
use crate::app::state::EditorState;
use crate::sim::limits::{AlertLog, LimitKind, Severity};

fn number(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

/// The site's cause graph, rebuilt only when the site changed (the alert list asks every frame).
#[derive(Resource)]
struct CauseGraphCache(bevy::ecs::change_detection::Tick, std::sync::Arc<crate::sim::causes::CauseGraph>);

fn cause_graph(world: &mut World) -> std::sync::Arc<crate::sim::causes::CauseGraph> {
    let tick = crate::edit::cached_site_tick(crate::edit::fresh(world));
    if let Some(c) = world.get_resource::<CauseGraphCache>().filter(|c| c.0 == tick) {
        return c.1.clone();
    }
    let graph = std::sync::Arc::new(crate::sim::causes::CauseGraph::new(crate::edit::cached_site(world)));
    world.insert_resource(CauseGraphCache(tick, graph.clone()));
    graph
}

/// How a severity is shown: its tag and colour.
fn severity_style(severity: Severity) -> (&'static str, Color32) {
    match severity {
        Severity::Critical => ("CRIT", Color32::from_rgb(255, 80, 70)),
        Severity::Warning => ("WARN", Color32::from_rgb(255, 170, 40)),
    }
}

/// One alert, clickable (selects its element).
fn alert_line(ui: &mut egui::Ui, a: &crate::sim::limits::Alert, clicked: &mut Option<String>) {
    let (tag, color) = severity_style(a.severity);
    let ttl = a.time_to_limit_s.map(|t| format!(" · limit in {}", format_clock(t))).unwrap_or_default();
    let text = format!(
        "{tag} {} · {} {} / {} {} · since {}{ttl}",
        a.element,
        a.quantity.label(),
        number(a.value),
        number(a.limit),
        a.unit,
        format_clock(a.first_seen_s)
    );
    if ui.selectable_label(false, RichText::new(text).color(color)).clicked() {
        *clicked = Some(a.element.clone());
    }
}

/// The alert list, grouped by cause (a failed or overloaded element with what follows from it,
/// collapsible, with counts), and the headroom table.
pub fn limits_panel(ui: &mut egui::Ui, world: &mut World) {
    let alerts: Vec<_> =
        world.get_resource::<AlertLog>().map(|l| l.active().into_iter().cloned().collect()).unwrap_or_default();
    let critical = alerts.iter().filter(|a| a.severity == Severity::Critical).count();
    ui.label(RichText::new(format!("Alerts: {critical} critical, {} warning", alerts.len() - critical)).strong());
    let mut clicked: Option<String> = None;
    if alerts.is_empty() {
        ui.label(RichText::new("No limit is exceeded.").color(Color32::from_rgb(120, 200, 120)));
    }
    let groups = if alerts.is_empty() { vec![] } else { cause_graph(world).group(&alerts) };
    egui::ScrollArea::vertical().id_salt("alerts").max_height(220.0).show(ui, |ui| {
        for g in &groups {
            if g.consequences.is_empty() && !g.out_of_service {
                for a in &g.own {
                    alert_line(ui, a, &mut clicked);
                }
                continue;
            }
            // A cause and what follows from it: collapsed to one line with counts.
            let id = ui.make_persistent_id(("alert_group", &g.cause));
            egui::collapsing_header::CollapsingState::load_with_default_open(ui.ctx(), id, false)
                .show_header(ui, |ui| {
                    let (tag, color) = severity_style(g.severity());
                    let text = format!("{tag} {}", g.summary());
                    if ui
                        .add(egui::Label::new(RichText::new(&text).color(color)).truncate().sense(egui::Sense::click()))
                        .on_hover_text(&text)
                        .clicked()
                    {
                        clicked = Some(g.cause.clone());
                    }
                })
                .body(|ui| {
                    for a in g.own.iter().chain(&g.consequences) {
                        alert_line(ui, a, &mut clicked);
                    }
                });
        }
    });
    ui.separator();
    ui.label(RichText::new("Headroom (first reached as IT load grows)").strong())
        .on_hover_text("Ordered by how much the whole IT load could grow before each limit binds (linear estimate)");
    let rows = crate::sim::limits::headroom(world);
    egui::Grid::new("headroom").striped(true).show(ui, |ui| {
        ui.label(RichText::new("limit").weak());
        ui.label(RichText::new("binds first").weak());
        ui.label(RichText::new("value of limit (margin)").weak());
        ui.label(RichText::new("IT growth").weak());
        ui.end_row();
        for r in &rows {
            ui.label(LimitKind::label(r.limit));
            if ui.link(&r.element).clicked() {
                clicked = Some(r.element.clone());
            }
            let color = if r.margin_pct < 0.0 {
                Color32::from_rgb(255, 80, 70)
            } else if r.margin_pct < 10.0 {
                Color32::from_rgb(255, 170, 40)
            } else {
                ui.visuals().text_color()
            };
            // What the element carries against its limit, as a planner reads it ("192 of 200 A").
            // A breaker's limit is its continuous rating (80 % of the frame for a standard one).
            let continuous = if r.limit == LimitKind::BreakerContinuous { " continuous" } else { "" };
            let text = format!(
                "{} of {} {}{continuous} ({:.1} %)",
                number(r.value),
                number(r.limit_value),
                r.unit,
                r.margin_pct
            );
            ui.label(RichText::new(text).color(color)).on_hover_text(format!("{} {} left", number(r.margin), r.unit));
            ui.label(r.load_growth_pct.map_or("never".to_string(), |g| format!("{g:+.1} %")));
            ui.end_row();
        }
    });
    if let Some(id) = clicked {
        let mut e = world.resource_mut::<EditorState>();
        if id != "site" {
            e.select_only(id.clone());
            e.center_on = Some(id);
        }
    }
}
