//! Standby power: a grid outage on `sites/standby_power_room.ron` rides on the UPS battery while
//! the transfer switch and generator go through their timers; the cooling (not on UPS) stops for
//! the gap plus its restart delays, and the room heats as the closed form says.

use dctwin::catalog::Catalog;
use dctwin::headless::advance;
use dctwin::scenario::play::{ScenarioPlayer, TimelineEntry, timeline};
use dctwin::sim::electrical::SiteTotals;
use dctwin::sim::limits::{AlertLog, Quantity};
use dctwin::sim::thermal::CoolingPlant;
use dctwin::site::SiteFile;

use crate::support::*;

fn room() -> SiteFile {
    load(&root().join("sites/standby_power_room.ron"))
}

fn app_with(site: &SiteFile, events: &str) -> bevy::prelude::App {
    let scenario = dctwin::scenario::parse_scenario(
        &format!("(name: \"t\", events: [{events}])"),
        "t.ron",
        site,
        &Catalog::builtin(),
    )
    .unwrap();
    let mut app = app_after(site, 0);
    app.insert_resource(ScenarioPlayer::new(scenario));
    app
}

fn at(tl: &[TimelineEntry], text: &str) -> f64 {
    tl.iter().find(|e| e.text.contains(text)).unwrap_or_else(|| panic!("no \"{text}\" in {tl:#?}")).time_s
}

/// The room's air temperature, its air's heat capacity and its racks' mass, J/K.
fn room_zone(app: &bevy::prelude::App) -> (f64, f64, f64) {
    let plant = app.world().resource::<CoolingPlant>();
    let z = plant.zones.iter().find(|z| z.id == "ROOM").unwrap();
    (z.room_c, z.air_c_j_k, z.heat_capacity_j_k() - z.air_c_j_k)
}

/// The outage at 60 s: the switch senses it (one step later), calls the generator after its 3 s
/// engine-start delay, the generator is at rated voltage 10 s later, the switch transfers 15 s
/// after it sees it: the racks on UPS never lose power; the CRAHs (not on UPS) stop from 60 s
/// until 20 s after the transfer, and the room's rise over that gap is the closed form of air
/// and rack mass without cooling ([`uncooled_air_rise_k`]: the racks' 288 kW into the air,
/// the mass following it).
#[test]
fn a_grid_outage_rides_on_the_ups_until_the_generator_takes_the_load() {
    let site = room();
    let mut app = app_with(&site, "(at: \"60s\", event: GridOutage(\"UTIL-1\"))");
    advance(&mut app, 60);
    let (t_before, c_air, c_mass) = room_zone(&app);
    let mut rise_end = None;
    let mut previous = (60.0, room_zone(&app));
    for _ in 0..240 {
        advance(&mut app, 1);
        assert_eq!(app.world().resource::<SiteTotals>().unpowered_racks, 0, "racks on UPS never lose power");
        let now = app.world().resource::<dctwin::sim::SimClock>().elapsed_s;
        let tl = timeline(app.world());
        if rise_end.is_none() && tl.iter().any(|e| e.text.contains("running again after their restart: CRAH-1")) {
            // The step that started at the restart already cools: the gap ended a step before,
            // with the room as it was then.
            rise_end = Some(previous);
        }
        previous = (now, room_zone(&app));
    }
    let tl = timeline(app.world());
    let lost = at(&tl, "ATS-1: T-1 lost");
    assert_eq!(lost, 61.0, "sensed one step after the outage");
    assert_eq!(at(&tl, "ATS-1 calls GEN-1 to start"), lost + 3.0);
    assert_eq!(at(&tl, "GEN-1 starting"), lost + 3.0);
    assert_eq!(at(&tl, "GEN-1 at rated voltage and frequency"), lost + 3.0 + 10.0);
    let transfer = at(&tl, "ATS-1 transfers its load to GEN-1");
    assert!((transfer - (lost + 3.0 + 10.0 + 15.0)).abs() <= 1.0, "transfer at {transfer}");
    assert_eq!(at(&tl, "UPS-1 on battery"), 60.0);
    assert_eq!(at(&tl, "UPS-1 walk-in done"), transfer + 3.0 + 10.0);
    assert_eq!(at(&tl, "cooling units stop, their power lost"), 60.0);
    let crahs_back = at(&tl, "running again after their restart: CRAH-1");
    assert_eq!(crahs_back, transfer + 20.0);
    assert_eq!(at(&tl, "running again after their restart: CH-1"), transfer + 180.0);
    assert!(!tl.iter().any(|e| e.what == "power"), "no rack lost power: {tl:#?}");

    // No CRAH cooled from 60 s to the CRAHs' restart: the room took the racks' heat alone.
    let (end_s, (t_after, ..)) = rise_end.unwrap();
    assert_eq!(end_s, crahs_back);
    let q_w: f64 = site.racks.iter().map(|r| Catalog::builtin().racks[&r.model].rated_kw * 1e3 * r.utilization).sum();
    let expected = uncooled_air_rise_k(q_w, c_air, c_mass, 240.0, end_s - 60.0);
    assert_rel(t_after - t_before, expected, 0.02, "room rise over the gap vs the air-and-mass closed form");

    let report_gen = app.world().resource::<SiteTotals>().generator_kw;
    assert!(report_gen > 0.0, "the generator carries the site");
    assert_eq!(app.world().resource::<SiteTotals>().grid_import_kw, 0.0);
}

/// The grid returns: after the retransfer delay (5 min) the switch moves the load back, and the
/// generator cools down unloaded and stops.
#[test]
fn the_load_returns_to_the_utility_and_the_generator_cools_down() {
    let site = room();
    let mut app =
        app_with(&site, "(at: \"60s\", event: GridOutage(\"UTIL-1\")), (at: \"5m\", event: GridReturn(\"UTIL-1\"))");
    advance(&mut app, 1000);
    let tl = timeline(app.world());
    let back = at(&tl, "ATS-1: T-1 is back; retransfer after 300 s");
    assert_eq!(back, 301.0);
    let retransfer = at(&tl, "ATS-1 retransfers its load to T-1");
    assert_eq!(retransfer, back + 300.0);
    assert_eq!(at(&tl, "GEN-1 unloaded: cooling down"), retransfer);
    assert_eq!(at(&tl, "GEN-1 stopped"), retransfer + 300.0);
    let totals = app.world().resource::<SiteTotals>();
    assert_eq!(totals.generator_kw, 0.0);
    assert!(totals.grid_import_kw > 0.0);
    let energy = app.world().resource::<dctwin::sim::electrical::EnergyTotals>();
    assert!(energy.generator_kwh > 0.0);
    // The charger put back exactly what the battery gave (li-ion, no Peukert derating).
    assert!(energy.battery_kwh.abs() < 1e-9, "net battery energy {} kWh", energy.battery_kwh);
}

/// Without the UPS's walk-in and hold-off, the transfer throws the racks' load onto the
/// generator in one step: above the 50 % a G2 set accepts at once, a critical alert. With the
/// catalog's 10 s walk-in the same transfer is a ramp and raises none.
#[test]
fn a_load_step_above_the_generators_acceptance_raises_the_alert() {
    let mut small = room();
    small.generators[0].overrides.rated_kw = Some(500.0);
    small.generators[0].overrides.rated_kva = Some(625.0);
    let mut stepped = small.clone();
    stepped.ups[0].overrides.walk_in_s = Some(0.0);
    stepped.ups[0].overrides.hold_off_s = Some(0.0);
    let steps = |site: &SiteFile| {
        let mut app = app_with(site, "(at: \"60s\", event: GridOutage(\"UTIL-1\"))");
        advance(&mut app, 150);
        let log = app.world().resource::<AlertLog>();
        log.alerts
            .iter()
            .filter(|a| a.quantity == Quantity::GeneratorLoadStep)
            .map(|a| (a.value, a.limit))
            .collect::<Vec<_>>()
    };
    let alerts = steps(&stepped);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let (value, limit) = alerts[0];
    assert_eq!(limit, 50.0);
    // The UPS's whole input at once: 288 kW of racks plus its losses at x = 288/500 (catalog
    // curve a 0.5 %, b 2 %, c 1 % of 500 kW); the cooling is still restarting.
    let x = 288.0 / 500.0;
    let ups_input_kw = 288.0 + 500.0 * (0.005 + 0.02 * x + 0.01 * x * x);
    assert_rel(value, ups_input_kw / 500.0 * 100.0, 1e-9, "the step, % of 500 kW");
    assert!(steps(&small).is_empty(), "the walk-in spreads the load: no step alert");
}

/// The generator fails to start: the battery (5 kWh here, ~1 min, so it runs out before the
/// uncooled racks would throttle: their 40 °C is ~10 K above the room, which the air reaches
/// after ~2 min) empties while the utility is still out and drops exactly the
/// racks behind the UPS (all 24), and the cooling never returns.
#[test]
fn a_battery_that_empties_before_any_generator_drops_its_racks() {
    let mut site = room();
    site.ups[0].overrides.battery_kwh = Some(5.0);
    let mut app =
        app_with(&site, "(at: \"10s\", event: Fail(\"GEN-1\")), (at: \"60s\", event: GridOutage(\"UTIL-1\"))");
    advance(&mut app, 1200);
    let tl = timeline(app.world());
    let empty = at(&tl, "UPS-1 battery empty");
    let x = 288.0 / 500.0;
    let ups_input_kw = 288.0 + 500.0 * (0.005 + 0.02 * x + 0.01 * x * x);
    assert_rel(empty - 60.0, 5.0 * 3600.0 / ups_input_kw, 1e-9, "E/P after the outage");
    let lost = tl.iter().find(|e| e.what == "power").unwrap();
    assert_eq!(lost.text, "24 racks without power (288 kW of IT load lost)");
    assert!(!tl.iter().any(|e| e.text.contains("transfers its load")));
    assert_eq!(app.world().resource::<SiteTotals>().unpowered_racks, 24);
}

/// Undo of a grid outage made in the editor puts the generator, the transfer switch, the
/// battery and the timeline back as they were before it, and Reset does the same from any state.
#[test]
fn undo_and_reset_return_the_standby_equipment_to_before() {
    use dctwin::sim::electrical::standby::{ChosenSource, GeneratorMode, GeneratorState};
    let site = room();
    let mut app = app_after(&site, 5);
    let world = app.world_mut();
    let edit = dctwin::edit::ops::set_in_service(world, "UTIL-1", false).unwrap();
    dctwin::edit::apply(world, edit).unwrap();
    advance(&mut app, 60);
    let state = |app: &mut bevy::prelude::App| {
        let (ats, gen_) = (entity(app, "ATS-1"), entity(app, "GEN-1"));
        let w = app.world();
        (*w.get::<ChosenSource>(ats).unwrap(), w.get::<GeneratorState>(gen_).unwrap().mode)
    };
    assert_eq!(state(&mut app), (ChosenSource(Some(1)), GeneratorMode::Running), "on the generator");
    dctwin::edit::undo(app.world_mut()).unwrap();
    assert_eq!(state(&mut app), (ChosenSource(Some(0)), GeneratorMode::Off), "undo: as before the outage");
    let ups = entity(&mut app, "UPS-1");
    assert_eq!(*app.world().get::<dctwin::sim::electrical::UpsBattery>(ups).unwrap(), Default::default());
    assert!(app.world().resource::<dctwin::sim::EquipmentLog>().0.is_empty());
    advance(&mut app, 5);
    assert_eq!(app.world().resource::<SiteTotals>().generator_kw, 0.0);
    // The switch does not act on the outage network the undo left behind for a step.
    let log = &app.world().resource::<dctwin::sim::EquipmentLog>().0;
    assert!(log.is_empty(), "nothing happened after the undo: {log:?}");

    dctwin::edit::redo(app.world_mut()).unwrap();
    advance(&mut app, 60);
    assert_eq!(state(&mut app).1, GeneratorMode::Running);
    dctwin::sim::reset_to_steady_state(app.world_mut());
    assert_eq!(state(&mut app), (ChosenSource(Some(0)), GeneratorMode::Off), "reset: as at the start of a run");
}

/// Two UPS outputs into one transfer switch, 4 single-corded racks behind it.
fn two_ups_site(switch_model: &str) -> SiteFile {
    parse(&format!(
        r#"(version: 1, name: "sts",
    grid_feeds: [(id: "UTIL", model: "utility-13.8kv-10mva", overrides: (voltage_kv: 0.415), position_m: (0.0, 0.0))],
    transfer_switches: [(id: "SW", model: "{switch_model}", overrides: (voltage_kv: 0.415), preferred: "UPS-A", alternate: "UPS-B", position_m: (3.0, 0.0))],
    ups: [
        (id: "UPS-A", model: "ups-500kw", upstream: "SWBD", position_m: (2.0, 0.0)),
        (id: "UPS-B", model: "ups-500kw", upstream: "SWBD", position_m: (2.0, 1.0)),
    ],
    distribution: [
        (id: "SWBD", model: "swbd-415v-4000a", upstream: "UTIL", position_m: (1.0, 0.0)),
        (id: "PDU-1", model: "pdu-415v-400a", upstream: "SW", position_m: (4.0, 0.0)),
    ],
    racks: [
        (id: "R1", model: "legacy-air-12kw", feed_a: "PDU-1", position_m: (5.0, 0.0)),
        (id: "R2", model: "legacy-air-12kw", feed_a: "PDU-1", position_m: (6.0, 0.0)),
        (id: "R3", model: "legacy-air-12kw", feed_a: "PDU-1", position_m: (7.0, 0.0)),
        (id: "R4", model: "legacy-air-12kw", feed_a: "PDU-1", position_m: (8.0, 0.0)),
    ],
)"#
    ))
}

/// UPS-A fails: behind a static transfer switch (a quarter-cycle transfer, inside the ITIC
/// curve's 20 ms) the racks never lose power and UPS-B carries them from the same step; behind
/// a mechanical ATS with the same sources they are without power until its 15 s transfer delay
/// has run. When UPS-A returns the static switch goes back to it at once.
#[test]
fn a_static_transfer_switch_moves_the_racks_between_ups_outputs_without_a_gap() {
    let events = "(at: \"10s\", event: Fail(\"UPS-A\")), (at: \"40s\", event: Restore(\"UPS-A\"))";
    let run = |model: &str| {
        let mut app = app_with(&two_ups_site(model), events);
        let mut unpowered_steps = 0;
        let mut b_kw = Vec::new();
        for _ in 0..60 {
            advance(&mut app, 1);
            if app.world().resource::<SiteTotals>().unpowered_racks > 0 {
                unpowered_steps += 1;
            }
            b_kw.push(state(&mut app, "UPS-B").p_kw);
        }
        (unpowered_steps, b_kw)
    };
    let (gaps, b_kw) = run("sts-800a-415v");
    assert_eq!(gaps, 0, "the static switch leaves no step without power");
    // Sample k is the state after the step ending at k + 1 s: the failure plays at the step
    // starting at 10 s.
    // Idle, UPS-B draws its no-load loss alone: 0.5 % of 500 kW.
    assert_rel(b_kw[9], 2.5, 1e-6, "UPS-B idle before the failure");
    assert!(b_kw[10] > 48.0, "UPS-B carries the 48 kW of racks from the failing step on: {} kW", b_kw[10]);
    assert_rel(b_kw[40], 2.5, 1e-6, "back on UPS-A once it returns");
    let (gaps, _) = run("ats-4000a-415v");
    assert!(gaps >= 15, "the mechanical switch waits its 15 s transfer delay: {gaps} steps without power");
}

/// The outage report says how low the battery went, and the hand value agrees: the UPS input
/// (288 kW of racks plus its loss curve at x = 288/500) from the outage at 60 s to the transfer at
/// 90 s, through the 3 s hold-off and the 10 s walk-in's triangle (5 s): 38 s of it out of 43 kWh.
#[test]
fn the_report_gives_the_lowest_battery_charge_of_an_outage() {
    let site = room();
    let s = dctwin::scenario::load_scenario(
        &crate::support::root().join("scenarios/standby_power_room_grid_outage.ron"),
        &site,
        &Catalog::builtin(),
    )
    .unwrap();
    let options = dctwin::headless::RunOptions {
        duration: std::time::Duration::from_secs(400),
        step: std::time::Duration::from_secs(1),
    };
    let (report, _) =
        dctwin::headless::run_recording(&site, &Catalog::builtin(), &options, "room", None, Some(&s), None);
    let low = report.scenario.unwrap().lowest_battery.unwrap();
    let x = 288.0 / 500.0;
    let ups_input_kw = 288.0 + 500.0 * (0.005 + 0.02 * x + 0.01 * x * x);
    let used_kwh = ups_input_kw * (30.0 + 3.0 + 5.0) / 3600.0;
    assert_eq!((low.ups.as_str(), low.time_s), ("UPS-1", 103.0));
    assert_rel(low.charge_pct, 100.0 * (1.0 - used_kwh / 43.0), 1e-9, "lowest charge, %");
}

/// The load flow skips comparing and copying the UPS inputs and source voltages while it knows
/// them unchanged (`inputs_match`). Through a sag, an outage on UPS battery, the generator's
/// transfer and the grid's return, with every rack's demand swinging each step (so the sweeps
/// start from the secant whenever the inputs stand), that knowledge is never wrong, and the
/// fast path is taken in the calm steps between.
#[test]
fn the_inputs_fast_path_never_hides_a_change() {
    use dctwin::sim::components::Utilization;
    use dctwin::sim::electrical::ElectricalNetwork;
    let site = room();
    let mut app = app_with(
        &site,
        "(at: \"20s\", event: Sag(feed: \"UTIL-1\", retained_pu: 0.7, duration_s: 3.0)), \
         (at: \"40s\", event: GridOutage(\"UTIL-1\")), (at: \"120s\", event: GridReturn(\"UTIL-1\"))",
    );
    let (mut fast, mut changed) = (0, 0);
    let mut last_inputs = None;
    for step in 0..200 {
        let world = app.world_mut();
        let mut q = world.query::<&mut Utilization>();
        for mut u in q.iter_mut(world) {
            u.0 = if step % 2 == 0 { 0.9 } else { 1.0 };
        }
        advance(&mut app, 1);
        let net = app.world().resource::<ElectricalNetwork>();
        assert!(net.inputs_match_holds(), "step {step}: inputs said to match the solution's, but they differ");
        fast += usize::from(net.inputs_match());
        let inputs = net.solved().map(|f| (f.ups_input.clone(), f.source_pu.clone()));
        changed += usize::from(inputs.is_some() && last_inputs.is_some() && inputs != last_inputs);
        last_inputs = inputs;
    }
    assert!(changed >= 3, "the inputs changed in only {changed} steps");
    assert!(fast >= 100, "the fast path was taken in only {fast} of 200 steps");
}
