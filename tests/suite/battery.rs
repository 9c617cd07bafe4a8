//! UPS batteries against hand calculations: runtime `E·η/P`, the walk-in's triangle, the racks
//! a battery drops when it runs out, recharge, and energy conservation while it discharges.

use dctwin::catalog::Catalog;
use dctwin::headless::advance;
use dctwin::scenario::play::{ScenarioPlayer, timeline};
use dctwin::sim::EquipmentLog;
use dctwin::sim::electrical::{BatteryMode, SiteTotals, UpsBattery};
use dctwin::sim::limits::{AlertLog, Quantity, Severity};

use crate::support::*;

/// One utility and transformer; UPS-1 (500 kW, 43 kWh battery, double conversion) feeds four
/// single-corded 100 kW racks; UPS-2 has no battery and feeds one. No cables, no cooling: the UPS
/// output is exactly the racks' 400 kW.
const SITE: &str = r#"(version: 1, name: "battery",
    grid_feeds: [(id: "UTIL", model: "utility-13.8kv-25mva", position_m: (0.0, 0.0))],
    transformers: [(id: "T1", model: "xfmr-2500kva-13.8kv-415v", upstream: "UTIL", position_m: (1.0, 0.0))],
    ups: [
        (id: "UPS-1", model: "ups-500kw", upstream: "T1", position_m: (2.0, 0.0)),
        (id: "UPS-2", model: "ups-500kw", upstream: "T1", overrides: (battery_kwh: 0.0), position_m: (2.0, 3.0)),
    ],
    distribution: [
        (id: "BW-1", model: "busway-415v-1600a", upstream: "UPS-1", position_m: (3.0, 0.0)),
        (id: "BW-2", model: "busway-415v-1600a", upstream: "UPS-2", position_m: (3.0, 3.0)),
    ],
    racks: [
        (id: "R1", model: "gb200-nvl72", feed_a: "BW-1", overrides: (rated_kw: 100.0, power_factor: 1.0), position_m: (4.0, 0.0)),
        (id: "R2", model: "gb200-nvl72", feed_a: "BW-1", overrides: (rated_kw: 100.0, power_factor: 1.0), position_m: (5.0, 0.0)),
        (id: "R3", model: "gb200-nvl72", feed_a: "BW-1", overrides: (rated_kw: 100.0, power_factor: 1.0), position_m: (6.0, 0.0)),
        (id: "R4", model: "gb200-nvl72", feed_a: "BW-1", overrides: (rated_kw: 100.0, power_factor: 1.0), position_m: (7.0, 0.0)),
        (id: "R5", model: "gb200-nvl72", feed_a: "BW-2", overrides: (rated_kw: 100.0, power_factor: 1.0), position_m: (4.0, 3.0)),
    ],
)"#;

/// UPS-1's input power at 400 kW out, W: `P + P_r(a + b·x + c·x²)` with the catalog's
/// double-conversion curve (a 0.5 %, b 2 %, c 1 % of 500 kW) at x = 0.8: 400 + 13.7 kW.
const P_FULL_W: f64 = 400_000.0 + 500_000.0 * (0.005 + 0.02 * 0.8 + 0.01 * 0.64);

/// Its battery: 43 kWh usable.
const BATTERY_J: f64 = 43.0 * 3.6e6;

fn app_with(events: &str) -> bevy::prelude::App {
    let site = parse(SITE);
    let scenario = dctwin::scenario::parse_scenario(
        &format!("(name: \"t\", events: [{events}])"),
        "t.ron",
        &site,
        &Catalog::builtin(),
    )
    .unwrap();
    let mut app = app_after(&site, 0);
    app.insert_resource(ScenarioPlayer::new(scenario));
    app
}

fn battery(app: &mut bevy::prelude::App) -> UpsBattery {
    let e = entity(app, "UPS-1");
    *app.world().get::<UpsBattery>(e).unwrap()
}

fn log_time(app: &bevy::prelude::App, text: &str) -> f64 {
    let log = app.world().resource::<EquipmentLog>();
    log.0.iter().find(|(_, t)| t.contains(text)).unwrap_or_else(|| panic!("no \"{text}\" in {:?}", log.0)).0
}

/// The grid is lost at 10 s: UPS-2's rack drops at once, UPS-1's four ride on the battery for
/// `E·η/P = E/P_full` (η = 400/413.7), then drop: exactly those four.
#[test]
fn runtime_at_constant_load_is_energy_times_efficiency_over_load() {
    let mut app = app_with("(at: \"10s\", event: GridOutage(\"UTIL\"))");
    advance(&mut app, 11);
    let totals = app.world().resource::<SiteTotals>().clone();
    assert_eq!(totals.unpowered_racks, 1, "only the rack behind the UPS without battery drops");
    assert!(rack(&mut app, "R1").powered && !rack(&mut app, "R5").powered);
    assert_rel(totals.battery_kw * 1000.0, P_FULL_W, 1e-9, "the battery gives output + UPS losses");
    let alerts = app
        .world()
        .resource::<AlertLog>()
        .active()
        .iter()
        .map(|a| (a.element.clone(), a.quantity, a.severity))
        .collect::<Vec<_>>();
    assert!(alerts.contains(&("UPS-1".into(), Quantity::BatteryRuntime, Severity::Warning)), "{alerts:?}");

    let expected_runtime_s = BATTERY_J / P_FULL_W; // 374.2 s
    advance(&mut app, 400);
    let empty_at = log_time(&app, "UPS-1 battery empty");
    assert_rel(empty_at - 10.0, expected_runtime_s, 0.01, "runtime");
    assert_rel(empty_at - 10.0, expected_runtime_s, 1e-9, "and exactly, as the step interpolates it");
    let totals = app.world().resource::<SiteTotals>().clone();
    assert_eq!(totals.unpowered_racks, 5, "the empty battery drops exactly its four racks");
    assert_eq!(battery(&mut app).mode, BatteryMode::Empty);
    let active =
        app.world().resource::<AlertLog>().active().iter().map(|a| (a.element.clone(), a.quantity)).collect::<Vec<_>>();
    assert!(active.contains(&("UPS-1".into(), Quantity::BatteryEmpty)), "{active:?}");
    // Below two minutes left, the runtime alert was critical.
    let log = app.world().resource::<AlertLog>();
    let critical =
        log.alerts.iter().find(|a| a.quantity == Quantity::BatteryRuntime && a.severity == Severity::Critical).unwrap();
    assert!((critical.first_seen_s - (empty_at - 120.0)).abs() <= 1.0, "{} vs {}", critical.first_seen_s, empty_at);
    // Racks lost their power one step after the battery ran out.
    let power: Vec<_> = timeline(app.world()).into_iter().filter(|e| e.what == "power").collect();
    assert_eq!(power[0].text, "1 racks without power (100 kW of IT load lost)");
    assert_eq!(power[1].text, "5 racks without power (500 kW of IT load lost)");
    // They drop from the start of the next step, and the step that first sees it ends a step later.
    assert!(power[1].time_s > empty_at && power[1].time_s <= empty_at + 2.0 + 1e-9);
}

/// The grid returns at 60 s after 50 s out: the battery carries the load 3 s more (hold-off),
/// then half of the 10 s walk-in (the triangle), so it gave `P_full·(50 + 3 + 10/2)`; while it
/// discharged, grid import + battery = IT + losses. Then the charger refills it at 50 kW.
#[test]
fn walk_in_discharges_the_ramps_triangle_and_the_charger_refills_it() {
    let mut app = app_with("(at: \"10s\", event: GridOutage(\"UTIL\")), (at: \"60s\", event: GridReturn(\"UTIL\"))");
    advance(&mut app, 66);
    // Mid walk-in (60 + 3 + 3 s): the input carries part, the battery the rest.
    let t = app.world().resource::<SiteTotals>().clone();
    assert!(t.battery_kw > 0.0 && t.grid_import_kw > 0.0, "shared: {} kW battery", t.battery_kw);
    assert_rel(t.grid_import_kw + t.battery_kw, t.it_load_kw + t.losses_kw(), 1e-9, "import + battery = IT + losses");
    advance(&mut app, 7);
    let b = battery(&mut app);
    assert_rel(b.used_kwh * 3.6e6, P_FULL_W * (50.0 + 3.0 + 10.0 / 2.0), 1e-9, "discharge incl. the triangle");

    // The charger draws 50 kW from the input until the battery is full again.
    advance(&mut app, 1);
    assert_eq!(log_time(&app, "UPS-1 walk-in done"), 73.0);
    let t = app.world().resource::<SiteTotals>().clone();
    assert_rel(t.battery_kw, -50.0, 1e-12, "recharging at the charger's rating");
    assert_rel(t.grid_import_kw + t.battery_kw, t.it_load_kw + t.losses_kw(), 1e-9, "import = IT + losses + charger");
    let to_full_s = (b.used_kwh * 3.6e6 / 50_000.0).ceil() as u64;
    advance(&mut app, to_full_s);
    let b = battery(&mut app);
    assert_eq!((b.used_kwh, b.mode), (0.0, BatteryMode::Standby));
    advance(&mut app, 1);
    assert_eq!(app.world().resource::<SiteTotals>().battery_kw, 0.0, "full: the charger stops");
}

/// A battery's extra discharge does not depend on how the step falls on the ramp.
#[test]
fn the_walk_in_triangle_does_not_depend_on_the_step() {
    let site = parse(SITE);
    let catalog = Catalog::builtin();
    let text = "(name: \"t\", events: [(at: \"10s\", event: GridOutage(\"UTIL\")), (at: \"60s\", event: GridReturn(\"UTIL\"))])";
    let scenario = dctwin::scenario::parse_scenario(text, "t.ron", &site, &catalog).unwrap();
    let mut used = Vec::new();
    for step_ms in [1000u64, 250, 2000] {
        let mut app = dctwin::headless::build_app(&site, &catalog, std::time::Duration::from_millis(step_ms));
        app.insert_resource(ScenarioPlayer::new(scenario.clone()));
        // To the end of the step in which the walk-in ends (the charger starts the step after).
        advance(&mut app, 73_000u64.div_ceil(step_ms));
        used.push(battery(&mut app).used_kwh);
    }
    for u in &used {
        assert_rel(*u * 3.6e6, P_FULL_W * 58.0, 1e-9, "same energy at 1 s, 0.25 s and 2 s steps");
    }
}
