//! Charts of the site over simulated time (egui_plot).

use bevy::prelude::*;
use bevy_egui::egui;
use egui_plot::{Legend, Line, Plot, PlotPoints};

use crate::app::history::SiteHistory;

/// Power, PUE and hottest-inlet charts side by side.
pub fn charts_panel(ui: &mut egui::Ui, world: &mut World) {
    let Some(h) = world.get_resource::<SiteHistory>() else { return };
    let hours = |t: f64| t / 3600.0;
    let series = |f: &dyn Fn(&crate::app::history::Sample) -> Option<f64>| -> Vec<[f64; 2]> {
        h.samples.iter().filter_map(|s| f(s).map(|v| [hours(s.t_s), v])).collect()
    };
    let power = [
        ("IT load kW", series(&|s| Some(s.it_kw))),
        ("grid import kW", series(&|s| Some(s.grid_kw))),
        ("losses kW", series(&|s| Some(s.losses_kw))),
        ("cooling kW", series(&|s| Some(s.cooling_kw))),
    ];
    let pue = series(&|s| s.pue);
    let inlet = series(&|s| s.hottest_inlet_c);
    let height = ui.available_height().max(80.0);
    let width = (ui.available_width() - 16.0) / 3.0;
    ui.horizontal(|ui| {
        ui.vertical(|ui| {
            ui.label("Power (kW) over hours");
            Plot::new("power_plot").legend(Legend::default()).width(width).height(height - 20.0).show(ui, |p| {
                for (name, pts) in power {
                    p.line(Line::new(name, PlotPoints::from(pts)));
                }
            });
        });
        ui.vertical(|ui| {
            ui.label("PUE");
            Plot::new("pue_plot").width(width).height(height - 20.0).show(ui, |p| {
                p.line(Line::new("PUE", PlotPoints::from(pue)));
            });
        });
        ui.vertical(|ui| {
            ui.label("Hottest rack inlet (°C)");
            Plot::new("inlet_plot").width(width).height(height - 20.0).show(ui, |p| {
                p.line(Line::new("hottest inlet °C", PlotPoints::from(inlet)));
            });
        });
    });
}
