//! Alerts and headroom: where the site hits its limits. A click on an alert or a headroom row
//! selects the element and centres the plan on it.

use bevy::prelude::*;
use bevy_egui::egui;
use egui::{Color32, RichText};

use super::format_clock;
use crate::app::state::EditorState;
use crate::sim::limits::{AlertLog, Headroom, LimitKind, Quantity, Severity};

/// What an alert measures, for people.
pub fn quantity_label(q: Quantity) -> &'static str {
    match q {
        Quantity::BreakerCurrent => "breaker current",
        Quantity::CableCurrent => "cable current",
        Quantity::TransformerLoading => "transformer loading",
        Quantity::UpsLoading => "UPS loading",
        Quantity::GridImport => "grid import",
        Quantity::Voltage => "voltage",
        Quantity::Convergence => "load flow convergence",
        Quantity::VoltageCollapse => "voltage collapse",
        Quantity::RackPower => "rack power lost",
        Quantity::Redundancy => "redundancy",
        Quantity::InletTemperature => "inlet temperature",
        Quantity::CoolingCapacity => "cooling capacity",
        Quantity::FacilityWater => "facility water",
        Quantity::CoolingPower => "cooling unit power",
        Quantity::LiquidSupply => "liquid supply temperature",
        Quantity::CoolingRating => "above rated cooling",
        Quantity::Airflow => "airflow short",
        Quantity::CondenserTemperature => "condenser water (chiller trip)",
        Quantity::Boiling => "water boiling",
        Quantity::OverTemperature => "IT load lost to over-temperature",
        Quantity::SolverFailure => "solver failure (no results)",
    }
}

/// A limit kind, for people.
pub fn limit_label(l: LimitKind) -> &'static str {
    match l {
        LimitKind::GridFeedCapacity => "Grid feed capacity",
        LimitKind::TransformerRating => "Transformer rating",
        LimitKind::UpsRating => "UPS rating",
        LimitKind::BreakerContinuous => "Breaker continuous",
        LimitKind::CableAmpacity => "Cable ampacity",
        LimitKind::VoltageRangeA => "Voltage (Range A)",
        LimitKind::InletTemperature => "Rack inlet temperature",
        LimitKind::CrahCapacity => "CRAH capacity",
        LimitKind::Airflow => "CRAH airflow",
        LimitKind::CduCapacity => "CDU capacity",
        LimitKind::PlantCapacity => "Plant capacity",
        LimitKind::HeatRejection => "Heat rejection",
    }
}

fn number(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

/// The alert list and the headroom table.
pub fn limits_panel(ui: &mut egui::Ui, world: &mut World) {
    let alerts: Vec<_> =
        world.get_resource::<AlertLog>().map(|l| l.active().into_iter().cloned().collect()).unwrap_or_default();
    let critical = alerts.iter().filter(|a| a.severity == Severity::Critical).count();
    ui.label(RichText::new(format!("Alerts: {critical} critical, {} warning", alerts.len() - critical)).strong());
    let mut clicked: Option<String> = None;
    if alerts.is_empty() {
        ui.label(RichText::new("No limit is exceeded.").color(Color32::from_rgb(120, 200, 120)));
    }
    egui::ScrollArea::vertical().id_salt("alerts").max_height(220.0).show(ui, |ui| {
        for a in &alerts {
            let (tag, color) = match a.severity {
                Severity::Critical => ("CRIT", Color32::from_rgb(255, 80, 70)),
                Severity::Warning => ("WARN", Color32::from_rgb(255, 170, 40)),
            };
            let ttl = a.time_to_limit_s.map(|t| format!(" · limit in {}", format_clock(t))).unwrap_or_default();
            let text = format!(
                "{tag} {} · {} {} / {} {} · since {}{ttl}",
                a.element,
                quantity_label(a.quantity),
                number(a.value),
                number(a.limit),
                a.unit,
                format_clock(a.first_seen_s)
            );
            if ui.selectable_label(false, RichText::new(text).color(color)).clicked() {
                clicked = Some(a.element.clone());
            }
        }
    });
    ui.separator();
    ui.label(RichText::new("Headroom (first reached as IT load grows)").strong())
        .on_hover_text("Ordered by how much the whole IT load could grow before each limit binds (linear estimate)");
    let rows = world.get_resource::<Headroom>().map(|h| h.0.clone()).unwrap_or_default();
    egui::Grid::new("headroom").striped(true).show(ui, |ui| {
        ui.label(RichText::new("limit").weak());
        ui.label(RichText::new("binds first").weak());
        ui.label(RichText::new("margin").weak());
        ui.label(RichText::new("IT growth").weak());
        ui.end_row();
        for r in &rows {
            ui.label(limit_label(r.limit));
            if ui
                .link(&r.element)
                .on_hover_text(format!("{} of {} {}", number(r.value), number(r.limit_value), r.unit))
                .clicked()
            {
                clicked = Some(r.element.clone());
            }
            let color = if r.margin_pct < 0.0 {
                Color32::from_rgb(255, 80, 70)
            } else if r.margin_pct < 10.0 {
                Color32::from_rgb(255, 170, 40)
            } else {
                ui.visuals().text_color()
            };
            ui.label(RichText::new(format!("{} {} ({:.1} %)", number(r.margin), r.unit, r.margin_pct)).color(color));
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
