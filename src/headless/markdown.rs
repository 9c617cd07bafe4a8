//! The run report as Markdown, for people: the same [`Report`] the JSON carries, with every
//! enum in the words the app uses (`Quantity::label`, `LimitKind::label`, `EquipmentKind::noun`).

use std::fmt::Write as _;

use super::report::Report;
use crate::sim::limits::{Alert, Severity};
use crate::site::save::natural_cmp;

impl Report {
    /// The report as Markdown; `element_rows` limits the element table (0 = all).
    pub fn to_markdown(&self, element_rows: usize) -> String {
        let mut o = String::new();
        let t = &self.totals;
        let _ = writeln!(o, "# dctwin report: {}\n", self.site);
        let _ = writeln!(
            o,
            "Site file `{}`, {} simulated in {} steps of {} s.\n",
            self.site_file,
            show_duration(self.run.duration_s),
            self.run.steps,
            self.run.step_s
        );
        let _ = writeln!(o, "## Totals\n");
        let _ = writeln!(o, "| quantity | value |\n|---|---|");
        match &t.electrical {
            None => match t.loadability_pct {
                Some(pct) => {
                    let _ = writeln!(
                        o,
                        "| load flow | **NO SOLUTION (voltage collapse): the network carries at most {pct:.2} % of the demand**; no electrical results |"
                    );
                }
                None => {
                    let _ = writeln!(o, "| load flow | **NOT CONVERGED: no electrical results for the final step** |");
                }
            },
            Some(el) => {
                let _ = writeln!(o, "| load flow | converged |");
                let _ = writeln!(o, "| IT load | {:.1} kW |", el.it_load_kw);
                let _ = writeln!(o, "| grid import | {:.1} kW, {:.1} kvar |", el.grid_import_kw, el.grid_import_kvar);
                if let Some(g) = el.generator_kw {
                    let _ = writeln!(o, "| generators | {g:.1} kW |");
                }
                if let Some(b) = el.battery_kw {
                    let what = if b > 0.0 { "discharging" } else { "recharging" };
                    let _ = writeln!(o, "| UPS batteries | {what}, {:.1} kW |", b.abs());
                }
                let _ = writeln!(
                    o,
                    "| losses | {:.1} kW (transformers {:.1}, UPS {:.1}, cables {:.1}) |",
                    el.losses_kw.total, el.losses_kw.transformer, el.losses_kw.ups, el.losses_kw.cable
                );
                if let Some(pue) = el.pue {
                    let _ = writeln!(
                        o,
                        "| PUE | {pue:.3} now, {} over the run (cooling {:.1} kW) |",
                        t.pue_energy_weighted.map_or("—".to_string(), |p| format!("{p:.3}")),
                        el.cooling_kw
                    );
                }
            }
        }
        let _ = writeln!(
            o,
            "| racks | {} ({} without power, {} on one cord) |",
            t.racks, t.unpowered_racks, t.single_cord_racks
        );
        if t.unserved_kw > 0.0 {
            let _ = writeln!(o, "| unserved load | {:.1} kW |", t.unserved_kw);
        }
        if t.it_shed_kw > 0.0 {
            let _ = writeln!(o, "| IT load lost to over-temperature | {:.1} kW |", t.it_shed_kw);
        }
        let e = &self.energy;
        let _ = writeln!(
            o,
            "| energy | IT {:.1} kWh, losses {:.1} kWh, import {:.1} kWh (peak {:.1} kW) |",
            e.it_kwh, e.losses_kwh, e.grid_import_kwh, e.peak_grid_import_kw
        );
        if e.unsolved_seconds > 0.0 {
            let _ = writeln!(
                o,
                "| unsolved | {} s of the run had no load-flow solution (no energy counted) |",
                e.unsolved_seconds
            );
        }
        let _ = writeln!(o);

        if let Some(w) = &self.weather {
            weather_section(&mut o, w, self.totals.pue_energy_weighted);
        }

        let busy: Vec<_> = self.batteries.iter().filter(|b| b.mode != "standby" || b.charge_pct < 100.0).collect();
        if !busy.is_empty() {
            let _ = writeln!(o, "## UPS batteries\n");
            let _ = writeln!(o, "| UPS | mode | charge | power | runtime left |\n|---|---|---|---|---|");
            for b in busy {
                let runtime = b.runtime_s.map_or("—".to_string(), crate::scenario::show_s);
                let _ = writeln!(
                    o,
                    "| {} | {} | {:.1} % ({:.2} kWh) | {:.1} kW | {runtime} |",
                    b.id, b.mode, b.charge_pct, b.kwh_left, b.power_kw
                );
            }
            let _ = writeln!(o);
        }

        if let Some(g) = &self.grid_rules {
            let _ = writeln!(o, "## Grid rules: {}\n", g.name);
            let _ = writeln!(o, "Source: {}\n", g.source);
            let _ = writeln!(o, "| rule | worst | limit | margin | at | |\n|---|---|---|---|---|---|");
            for r in &g.results {
                let rule = match &r.note {
                    Some(note) => format!("{} ({note})", r.rule),
                    None => r.rule.clone(),
                };
                let _ = writeln!(
                    o,
                    "| {} | {:.3} | {} | {:.3} | {} | {} |",
                    rule,
                    r.worst,
                    r.limit,
                    r.margin,
                    crate::scenario::show_s(r.at_s),
                    if r.pass { "pass" } else { "**FAIL**" }
                );
            }
            let _ = writeln!(o);
            let storage_line = |o: &mut String, s: &crate::scenario::rules::StorageOutcome| {
                let _ = writeln!(
                    o,
                    "{:.2} MW / {:.3} MWh at {:.0} % round trip, smoothing {} s: gave up to {:.2} MW, took up to {:.2} MW, \
                     charge {:.0}-{:.0} %, lost {:.3} MWh ({:.2} MWh/day).",
                    s.storage.power_mw,
                    s.storage.energy_mwh,
                    s.storage.round_trip_efficiency * 100.0,
                    s.storage.smoothing_s,
                    s.peak_discharge_mw,
                    s.peak_charge_mw,
                    s.soc_range_pct.0,
                    s.soc_range_pct.1,
                    s.lost_mwh,
                    s.lost_mwh_per_day
                );
            };
            if let Some(s) = &g.facility_storage {
                let _ = write!(o, "Checked behind the facility battery: ");
                storage_line(&mut o, s);
                let _ = writeln!(o);
            }
            if let Some(f) = &g.floor_cost {
                let _ = writeln!(
                    o,
                    "Cost of compliance of the power floor: {:.3} MWh over the run, {:.2} MWh/day, {:.1} % more energy \
                     than the job without it.\n",
                    f.extra_mwh, f.extra_mwh_per_day, f.extra_pct
                );
            }
            if let Some(z) = &g.storage_sizing {
                match &z.outcome {
                    Some(s) => {
                        let _ = write!(o, "Smallest facility battery that passes every rule: ");
                        storage_line(&mut o, s);
                        let _ = writeln!(o);
                    }
                    None => {
                        let _ = writeln!(
                            o,
                            "No facility battery smoothing over {} s makes the import pass: its moving average \
                             itself breaks a rule (try a longer smoothing_s).\n",
                            z.smoothing_s
                        );
                    }
                }
            }
        }

        if let Some(sc) = &self.scenario {
            let _ = writeln!(
                o,
                "## Timeline: {} (`{}`)
",
                sc.name, sc.file
            );
            let _ = writeln!(o, "{} of {} events played.", sc.events_played, sc.events);
            if let Some(p) = &sc.hottest_inlet {
                let _ = writeln!(
                    o,
                    " Hottest rack inlet over the run: {:.1} °C at {} (in {}).",
                    p.inlet_c,
                    crate::scenario::show_s(p.time_s),
                    p.zone
                );
            }
            if let Some(b) = &sc.lowest_battery {
                let _ = writeln!(
                    o,
                    " Lowest UPS battery charge: {:.0} % ({} at {}).",
                    b.charge_pct,
                    b.ups,
                    crate::scenario::show_s(b.time_s)
                );
            }
            let _ = writeln!(o, "\n| time | | what |\n|---|---|---|");
            let shown = if element_rows == 0 { sc.timeline.len() } else { element_rows.max(30) };
            for e in sc.timeline.iter().take(shown) {
                let _ = writeln!(o, "| {} | {} | {} |", crate::scenario::show_s(e.time_s), e.what, e.text);
            }
            if sc.timeline.len() > shown {
                let _ = writeln!(o, "| | | … {} more lines in the full report |", sc.timeline.len() - shown);
            }
            let _ = writeln!(o);
        }

        let active: Vec<&Alert> = self.active_alerts().collect();
        let critical = active.iter().filter(|a| a.severity == Severity::Critical).count();
        let _ = writeln!(
            o,
            "## Alerts ({} active: {} critical, {} warning)\n",
            active.len(),
            critical,
            active.len() - critical
        );
        if self.alerts.is_empty() {
            let _ = writeln!(o, "None.\n");
        } else {
            let _ = writeln!(
                o,
                "| severity | element | quantity | value | limit | since | cleared | next limit in |\n|---|---|---|---|---|---|---|---|"
            );
            let mut shown: Vec<&Alert> = self.alerts.iter().collect();
            shown.sort_by(|a, b| {
                a.cleared_s
                    .is_some()
                    .cmp(&b.cleared_s.is_some())
                    .then(b.severity.cmp(&a.severity))
                    .then_with(|| natural_cmp(&a.element, &b.element))
                    .then(a.quantity.cmp(&b.quantity))
            });
            let limit = if element_rows == 0 { usize::MAX } else { element_rows.max(20) };
            for a in shown.iter().take(limit) {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {:.3} {} | {:.3} {} | {} s | {} | {} |",
                    a.severity.label(),
                    a.element,
                    a.quantity.label(),
                    a.value,
                    a.unit,
                    a.limit,
                    a.unit,
                    a.first_seen_s,
                    a.cleared_s.map_or("—".to_string(), |c| format!("{c} s")),
                    a.time_to_limit_s.map_or("—".to_string(), |t| format!("{t:.0} s"))
                );
            }
            if shown.len() > limit {
                let _ = writeln!(o, "\n…and {} more (see the full report).", shown.len() - limit);
            }
            let _ = writeln!(o);
        }

        if let Some(th) = &self.thermal {
            let c = &th.cooling_kw;
            let _ = writeln!(o, "## Cooling\n");
            let _ = writeln!(
                o,
                "Ambient {:.1} °C dry bulb, {:.1} °C wet bulb. Cooling power {:.1} kW: CRAH fans {:.1}, CDU pumps {:.1}, loop pumps {:.1}, chillers {:.1}, heat-rejection fans {:.1}. Heat removed: {:.1} kW by air, {:.1} kW by liquid; {:.1} kW leaves the site ({:.1} kW rejected from the water, {:.1} kW of outdoor equipment losses).\n",
                th.ambient_c.0,
                th.ambient_c.1,
                c.total,
                c.crah_fans,
                c.cdu_pumps,
                c.loop_pumps,
                c.chillers,
                c.heat_rejection_fans,
                c.heat_air,
                c.heat_liquid,
                c.heat_to_outdoors,
                c.rejected,
                c.outdoor_losses
            );
            let _ = writeln!(
                o,
                "| zone | room | supply | equipment mass | hottest inlet | recirculation | airflow / demand | time to allowable |\n|---|---|---|---|---|---|---|---|"
            );
            for z in &th.zones {
                let _ = writeln!(
                    o,
                    "| {} | {:.1} °C | {:.1} °C{} | {:.1} °C | {:.1} °C | {:.0} % | {:.1} / {:.1} m³/s | {} |",
                    z.id,
                    z.room_c,
                    z.supply_c,
                    if z.over_capacity { " (over capacity)" } else { "" },
                    z.equipment_mass_c,
                    z.hottest_inlet_c,
                    z.recirculation * 100.0,
                    z.airflow_m3_s,
                    z.demand_m3_s,
                    z.time_to_allowable_s.map_or("—".to_string(), |s| format!("{s:.0} s"))
                );
            }
            let _ = writeln!(o);
            water_loop_table(&mut o, &th.water_loops);
        }
        let _ = writeln!(o, "## Headroom (the limit reached first as the IT load grows comes first)\n");
        headroom_table(&mut o, &self.headroom);

        let _ = writeln!(o, "## Most loaded elements\n");
        let _ = writeln!(o, "| element | kind | loading |\n|---|---|---|");
        for tl in &self.top_loaded {
            let _ = writeln!(o, "| {} | {} | {:.1} % |", tl.id, tl.kind.noun(), tl.loading_pct);
        }
        let _ = writeln!(o);

        let rows = if element_rows == 0 { self.elements.len() } else { 0 };
        if rows > 0 {
            let _ = writeln!(o, "## Elements\n");
            let _ = writeln!(
                o,
                "| element | kind | V (pu) | I in (A) | P (kW) | Q (kvar) | loading | losses (kW) |\n|---|---|---|---|---|---|---|---|"
            );
            for el in self.elements.iter().take(rows) {
                let Some(s) = &el.state else {
                    let _ = writeln!(o, "| {} | {} | not solved | | | | | |", el.id, el.kind.noun());
                    continue;
                };
                if !s.energized {
                    let _ = writeln!(o, "| {} | {} | dead | | | | | |", el.id, el.kind.noun());
                    continue;
                }
                let _ = writeln!(
                    o,
                    "| {} | {} | {:.4} | {:.1} | {:.1} | {:.1} | {:.1} % | {:.2} |",
                    el.id,
                    el.kind.noun(),
                    s.voltage_pu,
                    s.input_current_a,
                    s.p_kw,
                    s.q_kvar,
                    s.loading_pct,
                    s.losses_kw + s.feeder_losses_kw
                );
            }
        }
        o
    }
}

/// The weather year: annual PUE, free-cooling hours per loop, hours past each limit, and the
/// hottest hour's headroom.
fn weather_section(o: &mut String, w: &super::weather::WeatherSummary, pue: Option<f64>) {
    use super::weather::calendar_time;
    let _ = writeln!(o, "## Weather: {} (`{}`)\n", w.location, w.file);
    let pue = pue.map_or("—".to_string(), |p| format!("{p:.3}"));
    let _ = writeln!(
        o,
        "{:.0} h simulated, mean dry bulb {:.1} °C. PUE over the period (energy-weighted): {pue}.",
        w.hours, w.mean_dry_bulb_c
    );
    if let Some(f) = &w.filled {
        let _ = writeln!(o, "Values missing from the weather file: {f}.");
    }
    let _ = writeln!(o);
    if !w.water_loops.is_empty() {
        let _ = writeln!(
            o,
            "| water loop | setpoint | free cooling | share | above setpoint | warmest supply |\n|---|---|---|---|---|---|"
        );
        for l in &w.water_loops {
            let share = if w.hours > 0.0 { 100.0 * l.free_cooling_h / w.hours } else { 0.0 };
            let _ = writeln!(
                o,
                "| {} | {:.1} °C | {:.0} h | {share:.1} % | {:.0} h | {:.2} °C |",
                l.id, l.setpoint_c, l.free_cooling_h, l.over_setpoint_h, l.max_supply_c
            );
        }
        let _ = writeln!(o);
    }
    if !w.limits.is_empty() {
        let _ = writeln!(o, "| limit | hours past it | least margin | element | when |\n|---|---|---|---|---|");
        for l in &w.limits {
            let _ = writeln!(
                o,
                "| {} | {:.0} h | {:.1} % | {} | {} |",
                l.limit.label(),
                l.exceeded_h,
                l.least_margin_pct,
                l.element,
                calendar_time(l.at_s)
            );
        }
        let _ = writeln!(o);
    }
    if let Some(h) = &w.hottest {
        let pue = h.pue.map_or("—".to_string(), |p| format!("{p:.3}"));
        let _ = writeln!(
            o,
            "Hottest hour: {} at {:.1} °C dry bulb, {:.1} °C wet bulb (PUE {pue}). Headroom then:\n",
            calendar_time(h.at_s),
            h.dry_bulb_c,
            h.wet_bulb_c
        );
        headroom_table(o, &h.headroom[..h.headroom.len().min(5)]);
    }
}

/// A run's length: as `1h 30m` up to two days; beyond, in hours and days (humantime would say
/// "11months 30days 3h 50m 24s" for a weather file's 8,760 h: its months are 30.44 days).
fn show_duration(duration_s: f64) -> String {
    let d = duration_s.max(0.0);
    if d < 2.0 * 86_400.0 {
        return humantime::format_duration(std::time::Duration::from_secs_f64(d)).to_string();
    }
    let hours = d / 3600.0;
    let hours = if hours.fract() == 0.0 { format!("{hours:.0}") } else { format!("{hours:.2}") };
    format!("{hours} h ({:.2} days)", d / 86_400.0).replace(".00 days", " days")
}

/// The headroom table: per limit the binding element, value, limit, margin, the IT growth to
/// reach it and the time to it (the run's report, the weather year's hottest hour, a design day).
pub(crate) fn headroom_table(o: &mut String, rows: &[crate::sim::limits::HeadroomRow]) {
    let _ = writeln!(
        o,
        "| limit | binding element | value | limit | margin | IT growth to limit | time to limit |\n|---|---|---|---|---|---|---|"
    );
    for h in rows {
        let _ = writeln!(
            o,
            "| {} | {} | {:.3} {} | {:.3} {} | {:.3} {} ({:.1} %) | {} | {} |",
            h.limit.label(),
            h.element,
            h.value,
            h.unit,
            h.limit_value,
            h.unit,
            h.margin,
            h.unit,
            h.margin_pct,
            h.load_growth_pct.map_or("never".to_string(), |g| format!("{g:+.1} %")),
            h.time_to_limit_s.map_or("—".to_string(), |s| format!("{s:.0} s"))
        );
    }
    let _ = writeln!(o);
}

/// The water loops' table: supply, setpoint, heat, and what carries it.
pub(crate) fn water_loop_table(o: &mut String, loops: &[super::report::LoopResult]) {
    let _ = writeln!(o, "| water loop | supply | setpoint | heat | plant |\n|---|---|---|---|---|");
    for l in loops {
        let plant = if l.over_capacity {
            "OVER CAPACITY"
        } else if l.free_cooling {
            "free cooling"
        } else {
            "chillers"
        };
        let _ =
            writeln!(o, "| {} | {:.2} °C | {:.1} °C | {:.1} kW | {plant} |", l.id, l.supply_c, l.setpoint_c, l.heat_kw);
    }
    let _ = writeln!(o);
}
