//! `dctwin check --design-day`: the site at its weather file's ASHRAE design conditions, and
//! the cooling limit that binds first there.

use std::fmt::Write as _;
use std::time::Duration;

use serde::Serialize;

use crate::catalog::Catalog;
use crate::headless::report::LoopResult;
use crate::headless::{Report, RunOptions};
use crate::sim::limits::{Alert, HeadroomRow, Severity};
use crate::site::SiteFile;
use crate::site::cooling::AmbientSpec;
use crate::site::save::natural_cmp;
use crate::weather::{DesignDay, WeatherYear};

/// The site at one design day.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DesignDayReport {
    /// Site name.
    pub site: String,
    /// The design day asked for (`0.4%`, `n20`, `extreme-wb`…).
    pub design_day: String,
    /// What its conditions are ("0.4 % cooling design dry bulb").
    pub conditions: String,
    /// Outdoor dry bulb, °C.
    pub dry_bulb_c: f64,
    /// Outdoor wet bulb, °C.
    pub wet_bulb_c: f64,
    /// PUE at those conditions (absent without a load-flow solution).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pue: Option<f64>,
    /// The cooling limit reached first as the IT load grows (absent for a site without
    /// cooling limits).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub binding: Option<HeadroomRow>,
    /// Every cooling limit's row, the one reached first first.
    pub cooling_headroom: Vec<HeadroomRow>,
    /// The water loops.
    pub water_loops: Vec<LoopResult>,
    /// Alerts active at those conditions.
    pub alerts: Vec<Alert>,
}

impl DesignDayReport {
    /// True when a cooling limit is already past at the design conditions: a headroom row
    /// past its limit or a critical cooling alert (limits headroom does not weigh, such as a
    /// facility-water class or a CDU's liquid supply).
    pub fn exceeded(&self) -> bool {
        self.cooling_headroom.iter().any(|r| r.margin < 0.0) || self.past().next().is_some()
    }

    /// The critical cooling alerts.
    fn past(&self) -> impl Iterator<Item = &Alert> {
        self.alerts.iter().filter(|a| a.severity == Severity::Critical && a.quantity.is_cooling())
    }

    /// The report for people.
    pub fn to_markdown(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(o, "## Design day {}: {}\n", self.design_day, self.conditions);
        let pue = self.pue.map_or("—".to_string(), |p| format!("{p:.3}"));
        let _ = writeln!(
            o,
            "{}: steady state at {:.1} °C dry bulb, {:.1} °C wet bulb; PUE {pue}.\n",
            self.site, self.dry_bulb_c, self.wet_bulb_c
        );
        // The plant's alerts before those they cause (a warm facility loop, then its CDUs).
        let mut past: Vec<&Alert> = self.past().collect();
        past.sort_by(|a, b| a.quantity.cmp(&b.quantity).then_with(|| natural_cmp(&a.element, &b.element)));
        if !past.is_empty() {
            let _ = writeln!(o, "**Past a cooling limit** ({} critical alerts):\n", past.len());
            for a in past.iter().take(5) {
                let _ = writeln!(
                    o,
                    "- {} at {}: {:.2} {} against {:.2} {}",
                    a.quantity.label(),
                    a.element,
                    a.value,
                    a.unit,
                    a.limit,
                    a.unit
                );
            }
            if past.len() > 5 {
                let _ = writeln!(o, "- and {} more (below)", past.len() - 5);
            }
            let _ = writeln!(o);
        }
        match &self.binding {
            Some(b) if b.margin < 0.0 => {
                let _ = writeln!(
                    o,
                    "**Past a cooling limit:** {} at {} ({:.3} {} against {:.3} {}).\n",
                    b.limit.label(),
                    b.element,
                    b.value,
                    b.unit,
                    b.limit_value,
                    b.unit
                );
            }
            Some(b) if past.is_empty() => {
                let growth = b.load_growth_pct.map_or("never".to_string(), |g| format!("{g:+.1} %"));
                let _ = writeln!(
                    o,
                    "**Binds first:** {} at {}: {:.3} of {:.3} {} ({:.1} % margin; IT growth to limit {growth}).\n",
                    b.limit.label(),
                    b.element,
                    b.value,
                    b.limit_value,
                    b.unit,
                    b.margin_pct
                );
            }
            Some(_) => {}
            None => {
                let _ = writeln!(o, "The site has no cooling limits.\n");
            }
        }
        if !self.cooling_headroom.is_empty() {
            crate::headless::markdown::headroom_table(&mut o, &self.cooling_headroom);
        }
        if !self.water_loops.is_empty() {
            crate::headless::markdown::water_loop_table(&mut o, &self.water_loops);
        }
        if !self.alerts.is_empty() {
            let _ = writeln!(o, "Active alerts:\n");
            for a in &self.alerts {
                let _ = writeln!(
                    o,
                    "- {} {}: {} {:.2} {} (limit {:.2} {})",
                    a.severity.label(),
                    a.element,
                    a.quantity.label(),
                    a.value,
                    a.unit,
                    a.limit,
                    a.unit
                );
            }
            let _ = writeln!(o);
        }
        o
    }
}

/// Runs `site` to steady state (three exact steps of 10 minutes, as the capacity search's
/// probes) at the design conditions of `day` in `weather`.
pub fn run(
    site: &SiteFile,
    catalog: &Catalog,
    weather: &WeatherYear,
    day: DesignDay,
) -> Result<DesignDayReport, String> {
    if site.ambient.is_none() {
        return Err("the site has no cooling model: outdoor conditions change nothing".into());
    }
    let point = weather.design_point(day)?;
    let mut at_design = site.clone();
    at_design.ambient = Some(AmbientSpec::constant(point.dry_c, point.wet_c));
    let options = RunOptions { duration: Duration::from_secs(1800), step: Duration::from_secs(600) };
    let report = crate::headless::run(&at_design, catalog, &options, "");
    Ok(from_report(report, day, point))
}

fn from_report(report: Report, day: DesignDay, point: crate::weather::DesignPoint) -> DesignDayReport {
    let cooling_headroom: Vec<HeadroomRow> = report.headroom.iter().filter(|r| r.limit.is_cooling()).cloned().collect();
    DesignDayReport {
        site: report.site.clone(),
        design_day: day.to_string(),
        conditions: point.label,
        dry_bulb_c: point.dry_c,
        wet_bulb_c: point.wet_c,
        pue: report.totals.electrical.as_ref().and_then(|e| e.pue),
        binding: cooling_headroom.first().cloned(),
        cooling_headroom,
        water_loops: report.thermal.as_ref().map(|t| t.water_loops.clone()).unwrap_or_default(),
        alerts: report.active_alerts().cloned().collect(),
    }
}
