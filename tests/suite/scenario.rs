//! Timed scenarios: the file format's refusals, playback at the configured times, and events
//! that behave exactly like the same change written in the site file.

use dctwin::catalog::Catalog;
use dctwin::headless::{RunOptions, run_recording};
use dctwin::scenario::{parse_scenario, parse_time_s};
use dctwin::site::SiteFile;
use std::time::Duration;

use crate::support::*;

fn site() -> SiteFile {
    load(&root().join("sites/small_2n_room.ron"))
}

/// `(scenario text, every expected "line:col: message")`, against `sites/small_2n_room.ron`.
const BAD: &[(&str, &[&str])] = &[
    // 1. RON syntax.
    ("(name: \"x\", events: [(at: \"1m\" event: Fail(\"UPS-A\"))])", &["1:32: Expected comma"]),
    // 2. A field the format does not have.
    (
        "(name: \"x\", events: [(at: \"1m\", evnt: Fail(\"UPS-A\"))])",
        &["1:33: unknown field `evnt` in an event; expected one of `at`, `event`"],
    ),
    // 3. A missing time.
    ("(name: \"x\", events: [(event: Fail(\"UPS-A\"))])", &["1:43: missing field `at` in an event"]),
    // 4. An event the format does not know.
    (
        "(name: \"x\", events: [(at: \"1m\", event: Explode(\"UPS-A\"))])",
        &[
            "1:40: unknown event `Explode`; expected one of `Fail`, `Restore`, `GridOutage`, `GridReturn`, `Sag`, `Utilization`, `Training`, `Profile`, `Ambient`",
        ],
    ),
    // 5. A time that is not one.
    (
        "(name: \"x\",\n events: [\n  (at: \"ten seconds\", event: Fail(\"UPS-A\")),\n ],\n)",
        &["3:8: `at`: cannot read \"ten seconds\" as a time (examples: 90s, 15m, 1h 30m, 500ms, 14:00)"],
    ),
    // 6. A time of day that is not one.
    (
        "(name: \"x\", events: [(at: \"25:00\", event: Fail(\"UPS-A\"))])",
        &["1:27: `at`: cannot read \"25:00\" as a time of day (examples: 14:00, 09:30:15)"],
    ),
    // 7. An element the site does not have.
    ("(name: \"x\", events: [(at: \"1m\", event: Fail(\"UPS-Z\"))])", &["1:45: no element \"UPS-Z\" in the site"]),
    // 8. A grid outage at something that is not a grid feed.
    (
        "(name: \"x\", events: [(at: \"1m\", event: GridOutage(\"T-A\"))])",
        &["1:51: \"T-A\" is a transformer, not a grid feed"],
    ),
    // 9. Restoring what runs.
    (
        "(name: \"x\", events: [(at: \"1m\", event: Restore(\"UPS-A\"))])",
        &["1:40: UPS-A is in service at 60 s: nothing to restore"],
    ),
    // 10. Failing twice (the second failure in file order comes first in time).
    (
        "(name: \"x\", events: [\n (at: \"5m\", event: Fail(\"UPS-A\")),\n (at: \"1m\", event: Fail(\"UPS-A\")),\n])",
        &["2:20: UPS-A is already out of service at 5 min"],
    ),
    // 11. A utilization beyond the rating.
    (
        "(name: \"x\", events: [(at: \"1m\", event: Utilization(racks: All, value: 1.5))])",
        &["1:71: value must be between 0 and 1 (got 1.5): a fraction of one"],
    ),
    // 12. Racks that are not racks.
    (
        "(name: \"x\", events: [(at: \"1m\", event: Utilization(racks: Ids([\"R1\", \"PDU-A1\"]), value: 0.5))])",
        &["1:70: \"PDU-A1\" is a distribution element, not a rack"],
    ),
    // 13. A zone that is a PDU.
    (
        "(name: \"x\", events: [(at: \"1m\", event: Utilization(racks: Zone(\"PDU-A1\"), value: 0.5))])",
        &["1:64: \"PDU-A1\" is a distribution element, not a zone"],
    ),
    // 14. An outdoor temperature off the planet's range, and a wet bulb above the dry bulb.
    (
        "(name: \"x\", events: [\n (at: \"1m\", event: Ambient(dry_bulb_c: 95.0, wet_bulb_c: 20.0)),\n (at: \"2m\", event: Ambient(dry_bulb_c: 30.0, wet_bulb_c: 32.0)),\n])",
        &[
            "2:40: dry_bulb_c must be between -70 and 60 °C (got 95): the range of recorded outdoor temperatures",
            "3:20: the wet bulb cannot be above the dry bulb",
        ],
    ),
    // 15. An event after the scenario's own end, and no events at all.
    (
        "(name: \"x\", duration: \"10m\", events: [(at: \"10m\", event: Fail(\"UPS-A\"))])",
        &["1:44: event at 10 min is not before the scenario's end (10 min)"],
    ),
    ("(name: \"x\", events: [])", &["1:21: a scenario needs at least one event"]),
    // 17. A training job whose idle is above its peak and whose iteration takes no time.
    (
        "(name: \"x\", events: [(at: \"1m\", event: Training((racks: All, idle: 0.9, peak: 0.5, period_s: 0.0, duty: 0.6)))])",
        &["1:68: idle 0.9 is above peak 0.5", "1:94: period_s must be at least 0.01 s (got 0)"],
    ),
    // 16. A zone cannot fail.
    (
        "(name: \"x\", events: [(at: \"1m\", event: Fail(\"ROOM\"))])",
        &["1:45: \"ROOM\" is a zone: a zone cannot fail (fail its CRAHs)"],
    ),
];

#[test]
fn malformed_scenarios_are_refused_with_exact_messages_at_exact_positions() {
    let (site, catalog) = (site(), Catalog::builtin());
    let mut wrong = Vec::new();
    for (text, expected) in BAD {
        let got = match parse_scenario(text, "s.ron", &site, &catalog) {
            Ok(_) => vec!["accepted".to_string()],
            Err(p) => p.0.iter().map(|p| format!("{}:{}: {}", p.line, p.col, p.message)).collect(),
        };
        let matches = got.len() == expected.len() && got.iter().zip(*expected).all(|(g, e)| g == e);
        if !matches {
            wrong.push(format!("{text}\n  expected {expected:?}\n  got      {got:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

fn options(seconds: u64) -> RunOptions {
    RunOptions { duration: Duration::from_secs(seconds), step: Duration::from_secs(1) }
}

fn scenario(text: &str, site: &SiteFile) -> dctwin::scenario::Scenario {
    parse_scenario(text, "s.ron", site, &Catalog::builtin()).unwrap()
}

#[test]
fn times_are_durations_or_times_of_day() {
    assert_eq!(parse_time_s("90s"), Ok(90.0));
    assert_eq!(parse_time_s("1h 30m"), Ok(5400.0));
    assert_eq!(parse_time_s("500ms"), Ok(0.5));
    assert_eq!(parse_time_s("14:00"), Ok(50_400.0));
    assert_eq!(parse_time_s("09:30:15"), Ok(34_215.0));
    assert!(parse_time_s("14:60").is_err() && parse_time_s("-5s").is_err() && parse_time_s("").is_err());
}

/// The A-side utility fails at 1 min and returns at 11 min: the events are in the timeline at
/// their times, what equipment did at once (UPS-A to battery), the alerts one step later (the
/// step that first sees them). UPS-A's battery (86 kWh at ~300 kW: ~14 min) outlasts the
/// outage, so the racks keep both cords; the cooling fed from the A side stops.
#[test]
fn a_grid_outage_plays_at_its_times_and_the_timeline_lists_what_followed() {
    let site = site();
    let path = root().join("scenarios/small_2n_room_grid_a_outage.ron");
    let s = dctwin::scenario::load_scenario(&path, &site, &Catalog::builtin()).unwrap();
    assert_eq!(s.duration_s, Some(1200.0));
    assert_eq!(s.events.len(), 2);
    let (report, _) = run_recording(&site, &Catalog::builtin(), &options(1200), "small", None, Some(&s), None);
    let sc = report.scenario.expect("a scenario section");
    assert_eq!((sc.events, sc.events_played), (2, 2));
    let at = |t: f64, what: &str, text: &str| {
        sc.timeline.iter().any(|e| e.time_s == t && e.what == what && e.text.contains(text))
    };
    assert!(at(60.0, "event", "grid outage at UTIL-A"), "{:#?}", sc.timeline);
    assert!(at(60.0, "equipment", "UPS-A on battery"), "{:#?}", sc.timeline);
    assert!(at(61.0, "alert", "warning: UPS on battery at UPS-A"), "{:#?}", sc.timeline);
    assert!(at(61.0, "alert", "cooling unit power at"), "{:#?}", sc.timeline);
    assert!(at(660.0, "event", "grid returns at UTIL-A"), "{:#?}", sc.timeline);
    assert!(at(660.0, "equipment", "UPS-A input back"), "{:#?}", sc.timeline);
    assert!(at(673.0, "equipment", "UPS-A walk-in done"), "{:#?}", sc.timeline);
    assert!(at(661.0, "cleared", "cooling unit power at"), "{:#?}", sc.timeline);
    assert!(sc.timeline.windows(2).all(|w| w[0].time_s <= w[1].time_s), "in time order");
    assert!(!sc.timeline.iter().any(|e| e.what == "power"), "no rack loses power");
    assert!(!sc.timeline.iter().any(|e| e.text.contains("redundancy")), "the battery holds the A cords");
    assert_eq!(report.totals.unpowered_racks, 0);
    let battery = report.batteries.iter().find(|b| b.id == "UPS-A").unwrap();
    assert_eq!(battery.mode, "standby");
    assert!(battery.charge_pct < 100.0 && battery.power_kw < 0.0, "recharging at the end");
    let peak = sc.hottest_inlet.expect("a site with cooling has a hottest inlet");
    assert!(peak.inlet_c > 0.0 && peak.time_s > 0.0 && peak.time_s <= 1200.0);
}

/// Failing a UPS at 0 s by scenario ends in the same electrical state as the site file with the
/// UPS out of service (a power-only site, so no thermal history differs).
#[test]
fn a_failure_by_scenario_equals_the_same_failure_in_the_file() {
    let site = dctwin::generator::generate_power_only(40);
    let ups = site.ups[0].id.clone();
    let s = scenario(&format!("(name: \"x\", events: [(at: \"0s\", event: Fail(\"{ups}\"))])"), &site);
    let (played, _) = run_recording(&site, &Catalog::builtin(), &options(5), "a", None, Some(&s), None);
    let mut failed = site.clone();
    failed.ups[0].in_service = false;
    let from_file = dctwin::headless::run(&failed, &Catalog::builtin(), &options(5), "b");
    assert!(played.totals.single_cord_racks > 0, "the failure moved racks to one cord");
    assert_eq!(played.totals.single_cord_racks, from_file.totals.single_cord_racks);
    assert_eq!(played.totals.unpowered_racks, from_file.totals.unpowered_racks);
    let (a, b) = (played.totals.electrical.unwrap(), from_file.totals.electrical.unwrap());
    assert_rel(a.grid_import_kw, b.grid_import_kw, 1e-9, "grid import");
    assert_eq!(played.elements.len(), from_file.elements.len());
    for (x, y) in played.elements.iter().zip(&from_file.elements) {
        assert_eq!((x.id.as_str(), x.in_service), (y.id.as_str(), y.in_service));
        let (sx, sy) = (x.state.as_ref().unwrap(), y.state.as_ref().unwrap());
        assert_eq!(sx.energized, sy.energized, "{}", x.id);
        assert!((sx.voltage_pu - sy.voltage_pu).abs() < 1e-9, "{}", x.id);
        assert!((sx.p_kw - sy.p_kw).abs() <= 1e-9 * sy.p_kw.abs().max(1.0), "{}", x.id);
    }
}

/// A utilization change takes every rack of the group to the new fraction of its rating (hand
/// sum), at the first step boundary at or after its time.
#[test]
fn a_utilization_change_between_steps_is_played_at_the_next_step() {
    let site = dctwin::generator::generate_power_only(40);
    let rated_kw: f64 = {
        let catalog = Catalog::builtin();
        site.racks.iter().map(|r| catalog.racks[&r.model].rated_kw).sum()
    };
    let s = scenario("(name: \"x\", events: [(at: \"2.5s\", event: Utilization(racks: All, value: 0.5))])", &site);
    assert_eq!(s.events[0].0, 2.5);
    let mut app = app_after(&site, 0);
    app.insert_resource(dctwin::scenario::play::ScenarioPlayer::new(s));
    dctwin::headless::advance(&mut app, 3);
    let it = |app: &bevy::prelude::App| app.world().resource::<dctwin::sim::electrical::SiteTotals>().it_load_kw;
    let full: f64 = site.racks.iter().map(|r| r.utilization).sum::<f64>() / site.racks.len() as f64;
    assert_rel(it(&app), rated_kw * full, 1e-12, "not yet: the step from 2 s to 3 s started before 2.5 s");
    dctwin::headless::advance(&mut app, 1);
    assert_rel(it(&app), rated_kw * 0.5, 1e-12, "half of every rack's rating");
    let timeline = dctwin::scenario::play::timeline(app.world());
    assert_eq!(timeline[0].time_s, 3.0);
    assert_eq!(timeline[0].text, "all racks to 50 % utilization (due at 2.5 s, played at the next step)");
}

#[test]
fn the_cli_plays_a_scenario_for_its_duration_and_refuses_a_bad_one() {
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_dctwin")).args(args).current_dir(root()).output().unwrap()
    };
    let out = run(&["run", "sites/small_2n_room.ron", "--scenario", "scenarios/small_2n_room_grid_a_outage.ron"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.contains("20m simulated in 1200 steps"), "the scenario's duration: {md}");
    assert!(md.contains("## Timeline: A-side utility outage"));
    assert!(md.contains("| 60 s | event | grid outage at UTIL-A |"), "{md}");

    let dir = std::env::temp_dir().join(format!("dctwin-scenario-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.ron");
    std::fs::write(&bad, "(name: \"x\",\n events: [(at: \"1m\", event: Fail(\"UPS-Z\"))],\n)\n").unwrap();
    let out = run(&["run", "sites/small_2n_room.ron", "--scenario", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err, format!("error: {}:2:34: no element \"UPS-Z\" in the site\n1 problem found\n", bad.display()));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Every scenario in `scenarios/` is valid against the site its name starts with.
#[test]
fn example_scenarios_are_valid() {
    let mut n = 0;
    for entry in std::fs::read_dir(root().join("scenarios")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_str().unwrap().to_string();
        let site = crate::support::example_sites()
            .into_iter()
            .filter(|s| name.starts_with(s.file_stem().unwrap().to_str().unwrap()))
            .max_by_key(|s| s.file_stem().unwrap().len())
            .unwrap_or_else(|| panic!("{name}: no site in sites/ its name starts with"));
        dctwin::scenario::load_scenario(&path, &load(&site), &Catalog::builtin()).unwrap();
        n += 1;
    }
    assert!(n >= 1);
}

/// Both sides' UPS fail: every rack loses power (the timeline says how many and how much IT
/// load, by hand sum), and says when all have it back.
#[test]
fn racks_losing_and_regaining_power_are_in_the_timeline() {
    let site = dctwin::generator::generate_power_only(40);
    let catalog = Catalog::builtin();
    let lost_kw: f64 = site.racks.iter().map(|r| catalog.racks[&r.model].rated_kw * r.utilization).sum();
    let mut events = String::new();
    for u in &site.ups {
        events.push_str(&format!("(at: \"2s\", event: Fail(\"{0}\")), (at: \"4s\", event: Restore(\"{0}\")),", u.id));
    }
    let s = scenario(&format!("(name: \"x\", events: [{events}])"), &site);
    let (report, _) = run_recording(&site, &catalog, &options(6), "a", None, Some(&s), None);
    let sc = report.scenario.unwrap();
    let power: Vec<_> = sc.timeline.iter().filter(|e| e.what == "power").collect();
    assert_eq!(power.len(), 2, "{:#?}", sc.timeline);
    assert_eq!(power[0].time_s, 3.0);
    assert_eq!(power[0].text, format!("{} racks without power ({lost_kw:.0} kW of IT load lost)", site.racks.len()));
    assert_eq!((power[1].time_s, power[1].text.as_str()), (5.0, "every rack has power again"));
    assert_eq!(report.totals.unpowered_racks, 0);
}

/// After a power gap, cooling units run again only after their restart delays (catalog: CRAH
/// 20 s, loop pumps 10 s, chiller 180 s, tower 30 s): the timeline says when, and meanwhile they
/// draw no power.
#[test]
fn cooling_units_restart_after_their_delays_when_power_returns() {
    let site = site();
    let s = scenario(
        "(name: \"x\", events: [(at: \"60s\", event: GridOutage(\"UTIL-A\")), (at: \"120s\", event: GridReturn(\"UTIL-A\"))])",
        &site,
    );
    let (report, _) = run_recording(&site, &Catalog::builtin(), &options(400), "a", None, Some(&s), None);
    let tl = report.scenario.unwrap().timeline;
    let line = |t: f64, text: &str| tl.iter().any(|e| e.time_s == t && e.what == "equipment" && e.text.contains(text));
    assert!(line(60.0, "cooling units stop, their power lost: CHW-A pump, CHW-B pump, CRAH-1"), "{tl:#?}");
    assert!(
        line(120.0, "power back, cooling units restarting: CHW-A pump (10 s), CHW-B pump (10 s), CRAH-1 (20 s)"),
        "{tl:#?}"
    );
    assert!(line(130.0, "cooling units running again after their restart: CHW-A pump, CHW-B pump"), "{tl:#?}");
    assert!(line(140.0, "cooling units running again after their restart: CRAH-1, CRAH-3"), "{tl:#?}");
    assert!(line(150.0, "cooling units running again after their restart: CT-1"), "{tl:#?}");
    assert!(line(300.0, "cooling units running again after their restart: CH-1"), "{tl:#?}");
    // Power back at 120 s, yet the CRAHs count as without power only until then.
    let alerts: Vec<_> = report.alerts.iter().filter(|a| a.element == "CRAH-1").collect();
    assert!(alerts.iter().all(|a| a.cleared_s == Some(121.0)), "{alerts:?}");
}

/// During a restart a unit draws no power and cools nothing; once it runs it does both again.
#[test]
fn restarting_units_draw_no_power() {
    let site = site();
    let s = scenario(
        "(name: \"x\", events: [(at: \"60s\", event: GridOutage(\"UTIL-A\")), (at: \"120s\", event: GridReturn(\"UTIL-A\"))])",
        &site,
    );
    let mut app = app_after(&site, 0);
    app.insert_resource(dctwin::scenario::play::ScenarioPlayer::new(s));
    let a_side = ["CRAH-1", "CRAH-3", "CRAH-5", "CRAH-7", "CRAH-9"];
    let crahs = |app: &bevy::prelude::App| -> Vec<(bool, f64)> {
        let plant = app.world().resource::<dctwin::sim::thermal::CoolingPlant>();
        a_side
            .iter()
            .map(|id| plant.crahs.iter().find(|c| c.id == *id).unwrap())
            .map(|c| (c.supply.restarting(), c.fan_w))
            .collect()
    };
    dctwin::headless::advance(&mut app, 125); // power back at 120 s, CRAHs restart until 140 s
    assert!(crahs(&app).iter().all(|&(restarting, fan_w)| restarting && fan_w == 0.0), "{:?}", crahs(&app));
    dctwin::headless::advance(&mut app, 20); // 145 s
    assert!(crahs(&app).iter().all(|&(restarting, fan_w)| !restarting && fan_w > 0.0), "{:?}", crahs(&app));
    dctwin::headless::advance(&mut app, 180); // 325 s: the chiller too
    let plant = app.world().resource::<dctwin::sim::thermal::CoolingPlant>();
    assert!(plant.units().all(|(_, s, _)| !s.restarting()));
}
