//! Charts of the site over simulated time (egui_plot).

use bevy::prelude::*;
use bevy_egui::egui;
use egui_plot::{Line, Plot, PlotPoints};

use crate::app::history::SiteHistory;

/// Smallest span of each chart's y axis: a steady site's 0.0007 °C wobble must read as flat,
/// not as dramatic dips. PUE in its own unit, the inlet in K, power as a share of its level.
const PUE_MIN_SPAN: f64 = 0.05;
const INLET_MIN_SPAN_K: f64 = 2.0;
const POWER_MIN_SPAN_SHARE: f64 = 0.2;

/// The y range a chart of `values` must at least show: the data's own range, widened about its
/// middle to `min_span` when narrower. `None` without finite data.
pub fn y_range_with_min_span(values: impl IntoIterator<Item = f64>, min_span: f64) -> Option<(f64, f64)> {
    let (lo, hi) = values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold(None, |r: Option<(f64, f64)>, v| Some(r.map_or((v, v), |(a, b)| (a.min(v), b.max(v)))))?;
    if hi - lo >= min_span {
        return Some((lo, hi));
    }
    let mid = 0.5 * (lo + hi);
    Some((mid - 0.5 * min_span, mid + 0.5 * min_span))
}

/// A time axis mark in hours as `h:mm`, or `h:mm:ss` when `seconds` (a view of minutes).
pub fn hours_label(hours: f64, seconds: bool) -> String {
    let s = (hours * 3600.0).round() as i64;
    let sign = if s < 0 { "-" } else { "" };
    let s = s.abs();
    if seconds {
        format!("{sign}{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        let m = (s as f64 / 60.0).round() as i64;
        format!("{sign}{}:{:02}", m / 60, m % 60)
    }
}

fn time_axis(mark: egui_plot::GridMark, range: &std::ops::RangeInclusive<f64>) -> String {
    // Marks closer than a minute need seconds, or two marks read alike.
    hours_label(mark.value, mark.step_size < 1.0 / 60.0 || range.end() - range.start() < 0.25)
}

/// A plot with the time axis in `h:mm` whose y axis shows at least `range`.
fn plot(id: &str, width: f32, height: f32, range: Option<(f64, f64)>) -> Plot<'static> {
    let p = Plot::new(id).width(width).height(height).x_axis_formatter(time_axis);
    match range {
        Some((lo, hi)) => p.include_y(lo).include_y(hi),
        None => p,
    }
}

/// What is left for a plot under its title in a column of `full` height: the plot fills the
/// panel and never more (a panel follows its content, so any excess would grow it every frame).
fn plot_height(ui: &egui::Ui, full: f32) -> f32 {
    (full - ui.min_rect().height() - ui.spacing().item_spacing.y).max(60.0)
}

/// Power, PUE and hottest-inlet charts side by side.
pub fn charts_panel(ui: &mut egui::Ui, world: &mut World) {
    let Some(h) = world.get_resource::<SiteHistory>() else { return };
    let hours = |t: f64| t / 3600.0;
    let series = |f: &dyn Fn(&crate::app::history::Sample) -> Option<f64>| -> Vec<[f64; 2]> {
        h.samples.iter().filter_map(|s| f(s).map(|v| [hours(s.t_s), v])).collect()
    };
    // Colours fixed per series: the legend is a row above the plot, where it hides no line.
    let power = [
        ("IT load kW", egui::Color32::from_rgb(230, 100, 90), series(&|s| Some(s.it_kw))),
        ("grid import kW", egui::Color32::from_rgb(90, 150, 240), series(&|s| Some(s.grid_kw))),
        ("losses kW", egui::Color32::from_rgb(150, 210, 90), series(&|s| Some(s.losses_kw))),
        ("cooling kW", egui::Color32::from_rgb(210, 110, 220), series(&|s| Some(s.cooling_kw))),
    ];
    let pue = series(&|s| s.pue);
    let inlet = series(&|s| s.hottest_inlet_c);
    let power_level = power.iter().flat_map(|(_, _, pts)| pts.iter().map(|p| p[1].abs())).fold(0.0, f64::max);
    let power_range = y_range_with_min_span(
        power.iter().flat_map(|(_, _, pts)| pts.iter().map(|p| p[1])),
        (power_level * POWER_MIN_SPAN_SHARE).max(1.0),
    );
    let pue_range = y_range_with_min_span(pue.iter().map(|p| p[1]), PUE_MIN_SPAN);
    let inlet_range = y_range_with_min_span(inlet.iter().map(|p| p[1]), INLET_MIN_SPAN_K);
    let width = (ui.available_width() - 16.0) / 3.0;
    let full = ui.available_height();
    ui.horizontal(|ui| {
        ui.vertical(|ui| {
            ui.set_max_width(width);
            ui.horizontal(|ui| {
                ui.spacing_mut().item_spacing.x = 4.0;
                ui.label("Power (kW)");
                for (name, color, _) in &power {
                    let text = format!("— {}", name.trim_end_matches(" kW"));
                    ui.add(egui::Label::new(egui::RichText::new(text).small().color(*color)).extend());
                }
            });
            plot("power_plot", width, plot_height(ui, full), power_range).show(ui, |p| {
                for (name, color, pts) in power {
                    p.line(Line::new(name, PlotPoints::from(pts)).color(color));
                }
            });
        });
        ui.vertical(|ui| {
            ui.label("PUE");
            plot("pue_plot", width, plot_height(ui, full), pue_range).show(ui, |p| {
                p.line(Line::new("PUE", PlotPoints::from(pue)));
            });
        });
        ui.vertical(|ui| {
            ui.label("Hottest rack inlet (°C)");
            plot("inlet_plot", width, plot_height(ui, full), inlet_range).show(ui, |p| {
                p.line(Line::new("hottest inlet °C", PlotPoints::from(inlet)));
            });
        });
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tiny_wobble_is_shown_flat_within_the_minimum_span() {
        // The hottest inlet of a steady pod: 18.3073–18.3074 °C.
        let (lo, hi) = y_range_with_min_span([18.3074, 18.30735, 18.3073], INLET_MIN_SPAN_K).unwrap();
        assert!((hi - lo - 2.0).abs() < 1e-12 && (0.5 * (lo + hi) - 18.30735).abs() < 1e-9);
        // A real change keeps its own range.
        assert_eq!(y_range_with_min_span([20.0, 27.5, f64::NAN], INLET_MIN_SPAN_K), Some((20.0, 27.5)));
        assert_eq!(y_range_with_min_span([f64::NAN], 1.0), None);
    }

    #[test]
    fn time_marks_read_as_hours_and_minutes() {
        assert_eq!(hours_label(0.0, false), "0:00");
        assert_eq!(hours_label(0.25, false), "0:15");
        assert_eq!(hours_label(25.5, false), "25:30");
        assert_eq!(hours_label(-0.5, false), "-0:30");
        assert_eq!(hours_label(90.0 / 3600.0, true), "0:01:30");
    }
}
