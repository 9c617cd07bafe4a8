//! Thermal model: steady state, transients, cooling failure and coupling to the power chain.

use dctwin::sim::electrical::SiteTotals;
use dctwin::sim::thermal::{AIR_CP, AIR_DENSITY, CoolingPlant, rack_thermal};

use crate::support::*;

/// One 12 kW legacy rack and one CRAH in a 600 m³ hall; chilled water from a chiller and tower.
fn one_rack_one_crah(extra_crah: bool) -> String {
    format!(
        r#"(version: 1, name: "one rack",
        grid_feeds: [(id: "U", model: "utility-13.8kv-10mva", position_m: (0.0, 0.0))],
        transformers: [(id: "T", model: "xfmr-1000kva-13.8kv-415v", upstream: "U", position_m: (1.0, 0.0))],
        distribution: [
            (id: "P", model: "pdu-415v-400a", upstream: "T", position_m: (2.0, 0.0)),
            (id: "M", model: "pdu-415v-400a", upstream: "T", position_m: (2.0, 2.0)),
            (id: "M2", model: "pdu-415v-400a", upstream: "T", position_m: (2.0, 4.0)),
        ],
        racks: [(id: "R", model: "legacy-air-12kw", feed_a: "P", zone: "Z", position_m: (3.0, 0.0))],
        ambient: (dry_bulb_c: 25.0, wet_bulb_c: 18.0),
        zones: [(id: "Z", volume_m3: 600.0, containment: HotAisle, ashrae_class: A1, position_m: (0.0, 0.0))],
        water_loops: [(id: "CHW", supply_setpoint_c: 12.0, volume_m3: 5.0, pump_power_kw: 2.0, upstream: "M", position_m: (0.0, 5.0))],
        crahs: [(id: "C1", model: "crah-cw-86kw", zone: "Z", water_loop: "CHW", upstream: "M", position_m: (4.0, 0.0)){}],
        chillers: [(id: "CH", model: "chiller-centrifugal-1000kw", water_loop: "CHW", upstream: "M", position_m: (0.0, 7.0))],
        heat_rejection: [(id: "CT", model: "tower-4000kw", water_loop: "CHW", upstream: "M", position_m: (0.0, 9.0))],
    )"#,
        if extra_crah {
            r#", (id: "C2", model: "crah-cw-86kw", zone: "Z", water_loop: "CHW", upstream: "M2", position_m: (4.0, 2.0))"#
        } else {
            ""
        }
    )
}

#[test]
fn steady_state_rack_delta_t_and_heat_balance() {
    let mut app = app_after(&parse(&one_rack_one_crah(false)), 600);
    let r = entity(&mut app, "R");
    let t = rack_thermal(app.world(), r).unwrap();
    // 12 kW through 0.075 m³/s per kW: ΔT = P / (ρ·c_p·V) = 1 / (1.2 · 1005 · 0.075e-3) K.
    let dt_expected = 12e3 / (AIR_DENSITY * AIR_CP * 0.075e-3 * 12e3);
    assert_rel(t.outlet_c - t.inlet_c, dt_expected, 1e-3, "rack ΔT");
    assert!((t.inlet_c - 18.0).abs() < 0.5, "inlet near the 18 °C supply with hot-aisle containment: {}", t.inlet_c);
    let plant = app.world().resource::<CoolingPlant>();
    let tot = &plant.totals;
    // Heat generated: rack + fans + pumps + chiller work; rejected at the tower.
    let generated = 12e3 + tot.crah_fans_w + tot.loop_pumps_w + tot.chillers_w;
    assert_rel(tot.rejected_w, generated, 1e-3, "heat generated = heat rejected");
    assert!(tot.chillers_w > 0.0, "25 °C dry / 18 °C wet bulb cannot free-cool 12 °C water");
}

#[test]
fn cooling_power_flows_through_the_electrical_network() {
    let app = app_after(&parse(&one_rack_one_crah(false)), 60);
    let totals = app.world().resource::<SiteTotals>().clone();
    let plant = app.world().resource::<CoolingPlant>().clone();
    // One step of lag: the electrical step carries the cooling power the plant computed a step ago,
    // which is constant in steady state.
    assert_rel(totals.cooling_kw, plant.totals.power_w() / 1e3, 1e-6, "cooling load on the network");
    assert_rel(
        totals.grid_import_kw,
        totals.it_load_kw + totals.losses_kw() + totals.cooling_kw,
        1e-6,
        "facility power",
    );
}

/// Room temperature of the only zone.
fn room_c(app: &bevy::prelude::App) -> f64 {
    app.world().resource::<CoolingPlant>().zones[0].room_c
}

fn set_utilization(app: &mut bevy::prelude::App, id: &str, u: f64) {
    let r = entity(app, id);
    app.world_mut().get_mut::<dctwin::sim::components::Utilization>(r).unwrap().0 = u;
}

/// A step in load from 12 to 18 kW with the CRAH holding its 18 °C supply: the room air follows
/// `C_a·dT/dt = Q − G·(T − T_sup) − G_m·(T − T_m)`, `G = ρ·c_p·V̇` with the fans at their 30 %
/// minimum (1.8 m³/s, more than the racks draw), the rack's 350 kJ/K mass trailing the air with
/// its 240 s time constant ([`air_with_mass_c`]); fan heat `7.5 kW · 0.3³` is part of `Q`. Both
/// the curve and its independence of the step are checked.
#[test]
fn zone_step_response_follows_the_first_order_curve() {
    let g = AIR_DENSITY * AIR_CP * 0.3 * 6.0;
    let c_air = AIR_DENSITY * AIR_CP * 600.0;
    let fan = 7.5e3 * 0.3f64.powi(3);
    let t0 = 18.0 + (12e3 + fan) / g;
    let t_inf = 18.0 + (18e3 + fan) / g;
    let analytic = |t: f64| air_with_mass_c(t0, t_inf, g, c_air, 350e3, 240.0, t);
    let mut curves = Vec::new();
    for step_s in [0.1, 1.0, 10.0] {
        let site = parse(&one_rack_one_crah(false));
        let step = std::time::Duration::from_secs_f64(step_s);
        let mut app = dctwin::headless::build_app(&site, &dctwin::catalog::Catalog::builtin(), step);
        dctwin::headless::advance(&mut app, 1);
        assert_rel(room_c(&app), t0, 1e-9, "starts in steady state");
        set_utilization(&mut app, "R", 1.5);
        let mut samples = Vec::new();
        for t in [100.0, 300.0, 600.0, 1200.0] {
            let target = (t / step_s).round() as u64;
            let now = app.world().resource::<dctwin::sim::SimClock>().steps - 1;
            dctwin::headless::advance(&mut app, target - now);
            let rise = room_c(&app) - t0;
            assert_rel(rise, analytic(t) - t0, 0.01, &format!("rise after {t} s at {step_s} s steps"));
            samples.push(room_c(&app));
        }
        curves.push(samples);
    }
    for (a, b) in curves[0].iter().zip(&curves[2]) {
        assert_rel(a - t0, b - t0, 0.01, "0.1 s and 10 s steps agree");
    }
}

/// A zone's only CRAH loses power: no airflow, no coil. Racks breathe room air, which heats at
/// the air's pace `Q/C_a` at first and at `Q/(C_a + C_m)` once the rack mass follows
/// ([`uncooled_air_rise_k`]). The critical inlet alert (A1 allowable 32 °C) fires when the rise
/// reaches `32 − T0`.
#[test]
fn crah_failure_raises_inlets_and_alerts_on_time() {
    let site = parse(&one_rack_one_crah(false).replace(
        r#"racks: [(id: "R", model: "legacy-air-12kw", feed_a: "P", zone: "Z", position_m: (3.0, 0.0))]"#,
        r#"racks: [(id: "R", model: "legacy-air-12kw", feed_a: "P", zone: "Z", overrides: (rated_kw: 40.0), position_m: (3.0, 0.0))]"#,
    ));
    let mut app = app_after(&site, 10);
    let t0 = room_c(&app);
    let m = entity(&mut app, "M");
    // Feed the CRAH from M only: take M out (the loop pumps and chiller share it, so the water
    // side stops too; the zone's heat stays in the room).
    app.world_mut().entity_mut(m).insert(dctwin::sim::components::InService(false));
    let failed_at = app.world().resource::<dctwin::sim::SimClock>().elapsed_s;
    let expected = failed_at + uncooled_time_to_rise_s(40e3, AIR_DENSITY * AIR_CP * 600.0, 350e3, 240.0, 32.0 - t0);
    let r = entity(&mut app, "R");
    let mut last = f64::MIN;
    for _ in 0..((expected - failed_at) * 1.3) as u64 {
        dctwin::headless::advance(&mut app, 1);
        let inlet = rack_thermal(app.world(), r).unwrap().inlet_c;
        assert!(inlet >= last, "inlet rises monotonically");
        last = inlet;
    }
    let log = app.world().resource::<dctwin::sim::limits::AlertLog>();
    let critical = log
        .alerts
        .iter()
        .find(|a| {
            a.element == "R"
                && a.quantity == dctwin::sim::limits::Quantity::InletTemperature
                && a.severity == dctwin::sim::limits::Severity::Critical
        })
        .expect("critical inlet alert");
    let after = critical.first_seen_s - failed_at;
    assert_rel(after, expected - failed_at, 0.05, "critical alert time");
    // While still only warm, the warning carried the forecast of when the critical limit comes.
    let warning = log
        .alerts
        .iter()
        .find(|a| {
            a.element == "R"
                && a.quantity == dctwin::sim::limits::Quantity::InletTemperature
                && a.severity == dctwin::sim::limits::Severity::Warning
        })
        .expect("warning before the critical alert");
    assert_eq!(warning.cleared_s, Some(critical.first_seen_s), "the warning escalates into the critical alert");
}

/// Chiller power follows the DOE-2 curves: at the reference point (6.67 °C leaving chilled
/// water, 29.4 °C entering condenser) and full load, COP = 5.5; at 50 % load, 5.6
/// (physics-reference 4.1's check values).
#[test]
fn chiller_curves_reproduce_the_reference_cop() {
    use dctwin::sim::thermal::biquadratic;
    let ch = &dctwin::catalog::Catalog::builtin().chillers["chiller-centrifugal-1000kw"];
    let cop = |plr: f64, t_chw: f64, t_cond: f64| {
        let avail = ch.capacity_kw * biquadratic(&ch.capft, t_chw, t_cond);
        let k = &ch.eirfplr;
        let power = avail / ch.cop_ref * biquadratic(&ch.eirft, t_chw, t_cond) * (k[0] + k[1] * plr + k[2] * plr * plr);
        plr * avail / power
    };
    assert!((cop(1.0, 6.67, 29.4) - 5.5).abs() < 0.05, "{}", cop(1.0, 6.67, 29.4));
    assert!((cop(0.5, 6.67, 29.4) - 5.6).abs() < 0.1, "{}", cop(0.5, 6.67, 29.4));
    assert!((cop(1.0, 10.0, 24.0) - 6.5).abs() < 0.1, "{}", cop(1.0, 10.0, 24.0));
}

/// The AI hall over a simulated day: facility power = IT + electrical losses + cooling power,
/// PUE = facility / IT, and its PUE is plausible for a liquid-cooled hall (1.05–1.4).
#[test]
fn ai_hall_pue_over_a_day() {
    let site = load(&root().join("sites/ai_hall_20mw.ron"));
    let options = dctwin::headless::RunOptions {
        duration: std::time::Duration::from_secs(24 * 3600),
        step: std::time::Duration::from_secs(60),
    };
    let r = dctwin::headless::run(&site, &dctwin::catalog::Catalog::builtin(), &options, "ai.ron");
    let t = r.totals.electrical.as_ref().expect("converged");
    assert_rel(t.grid_import_kw, t.it_load_kw + t.losses_kw.total + t.cooling_kw, 1e-6, "facility power");
    assert_rel(t.pue.unwrap(), t.grid_import_kw / t.it_load_kw, 1e-12, "PUE definition");
    let pue = r.totals.pue_energy_weighted.unwrap();
    assert!((1.05..=1.4).contains(&pue), "energy-weighted PUE {pue}");
    let th = r.thermal.as_ref().unwrap();
    // 87.5 % of 150 × 132 kW leaves through liquid.
    assert_rel(th.cooling_kw.heat_liquid, 150.0 * 132.0 * 0.875, 1e-9, "liquid heat");
    assert!(r.active_alerts().next().is_none(), "the AI hall is healthy: {:?}", r.active_alerts().collect::<Vec<_>>());
}

/// Taking a CRAH out of service in the world mid-run (as a failure scenario or the editor
/// would) rebuilds the plant without resetting its temperatures: the room keeps warming from
/// where it was, and the second CRAH carries the load.
#[test]
fn editing_the_cooling_layout_keeps_the_transient() {
    let mut app = app_after(&parse(&one_rack_one_crah(true)), 30);
    let before = room_c(&app);
    app.world_mut().resource_mut::<dctwin::sim::world::CoolingLayout>().crahs[0].in_service = false;
    dctwin::headless::advance(&mut app, 1);
    let plant = app.world().resource::<CoolingPlant>();
    assert!((plant.zones[0].room_c - before).abs() < 0.5, "no reset: {} -> {}", before, plant.zones[0].room_c);
    assert_eq!(plant.crahs.iter().filter(|c| c.fan_w > 0.0).count(), 1, "one CRAH left running");
    let site = dctwin::sim::world::world_to_site(app.world_mut());
    assert!(!site.crahs.iter().find(|c| c.id == "C1").unwrap().in_service, "the edit is saved");
}

/// Failing six of the eight CRAHs in the site file: the report says which racks overheat and
/// from when.
#[test]
fn failed_crahs_in_the_site_file_show_which_racks_overheat() {
    let mut text = std::fs::read_to_string(root().join("sites/small_2n_room.ron")).unwrap();
    for id in ["CRAH-1", "CRAH-2", "CRAH-3", "CRAH-4", "CRAH-5", "CRAH-6"] {
        let start = text.find(&format!("(id: \"{id}\"")).unwrap();
        let end = start + text[start..].find("),").unwrap() + 1;
        let line = text[start..end].to_string();
        text = text.replacen(&line, &format!("{}, in_service: false)", &line[..line.len() - 1]), 1);
    }
    let site = parse(&text);
    let options = dctwin::headless::RunOptions {
        duration: std::time::Duration::from_secs(7200),
        step: std::time::Duration::from_secs(1),
    };
    let r = dctwin::headless::run(&site, &dctwin::catalog::Catalog::builtin(), &options, "failed.ron");
    let inlet: Vec<_> =
        r.alerts.iter().filter(|a| a.quantity == dctwin::sim::limits::Quantity::InletTemperature).collect();
    let racks: std::collections::BTreeSet<&str> = inlet.iter().map(|a| a.element.as_str()).collect();
    assert_eq!(racks.len(), 40, "every rack in the room overheats");
    // The run starts from the healthy site; the failed units fail at t = 0, so the racks
    // overheat after a transient, not at once.
    assert!(inlet.iter().all(|a| a.first_seen_s > 60.0), "{:?}", inlet.first());
    let zone = r.thermal.as_ref().unwrap().zones.iter().find(|z| z.id == "ROOM").unwrap();
    assert!(zone.over_capacity && zone.recirculation > 0.3, "two CRAHs left, short of air: {zone:?}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 48, ..Default::default() })]

    /// Energy conservation of the plant for any sequence of loads, steps, ambient and power
    /// outages: heat in (racks, fans, pumps) − heat the plant removes = change in stored energy
    /// (zone air, CDU loops, water loops), to rounding.
    #[test]
    fn plant_conserves_energy(
        steps in proptest::collection::vec((0.0f64..300e3, 0.0f64..1.0, 0.1f64..30.0, 5.0f64..38.0, proptest::bool::weighted(0.8)), 1..60)
    ) {
        use dctwin::sim::world::{CoolingLayout, RackCooling};
        let site = parse(&std::fs::read_to_string(root().join("tests/fixtures/cooled_room.ron")).unwrap());
        let layout = CoolingLayout::from_site(&site);
        let mut plant = CoolingPlant::build(&layout, &dctwin::catalog::Catalog::builtin());
        let ids = site
            .water_loops.iter().map(|l| l.upstream.clone())
            .chain(site.crahs.iter().map(|c| c.upstream.clone()))
            .chain(site.cdus.iter().map(|c| c.upstream.clone()))
            .chain(site.chillers.iter().map(|c| c.upstream.clone()))
            .chain(site.heat_rejection.iter().map(|c| c.upstream.clone()))
            .map(|id| (id, bevy::prelude::Entity::PLACEHOLDER))
            .collect();
        plant.resolve_entities(&ids);
        plant.resolve_nodes(0, |_| Some(0));
        let cooling = RackCooling { zone: Some("ROOM".into()), cdu: Some("CDU-1".into()) };
        let stored = |p: &CoolingPlant| {
            p.zones.iter().map(|z| z.air_c_j_k * z.room_c).sum::<f64>()
                + p.cdus.iter().map(|c| 998.0 * 4186.0 * c.rating.volume_m3 * c.supply_c).sum::<f64>()
                + p.loops.iter().map(|l| l.c_j_k * l.supply_c).sum::<f64>()
        };
        // Settle one step so the initial condition is in place.
        plant.update_power(1, |_| true, 0.0);
        plant.clear_heat();
        plant.add_rack_heat(&cooling, 20e3, 100e3, 0.075e-3, Default::default());
        plant.step(1.0, |_| (25.0, 18.0));
        let (mut e_in, e0, mut t) = (0.0, stored(&plant), 1.0);
        for (heat, liquid_share, dt, dry_bulb, powered) in steps {
            // Power gaps start the units' restart delays: energy is conserved through them too.
            plant.update_power(u64::from(powered), |_| powered, t);
            t += dt;
            plant.clear_heat();
            plant.add_rack_heat(&cooling, heat * (1.0 - liquid_share), heat * liquid_share, 0.075e-3, Default::default());
            plant.step(dt, |_| (dry_bulb, dry_bulb - 6.0));
            let t = &plant.totals;
            let removed: f64 = plant.loops.iter().map(|l| l.plant_w).sum();
            e_in += (heat + t.crah_fans_w + t.cdu_pumps_w + t.loop_pumps_w - removed) * dt;
        }
        let de = stored(&plant) - e0;
        proptest::prop_assert!((de - e_in).abs() <= 1e-9 * e0.abs().max(1.0), "stored {de} J vs net heat {e_in} J");
    }
}

/// Runs `site` for `duration` at `step` and returns the report.
fn report_at(site: &dctwin::site::SiteFile, duration_s: u64, step_s: u64) -> dctwin::headless::Report {
    let options = dctwin::headless::RunOptions {
        duration: std::time::Duration::from_secs(duration_s),
        step: std::time::Duration::from_secs(step_s),
    };
    dctwin::headless::run(site, &dctwin::catalog::Catalog::builtin(), &options, "x.ron")
}

/// Coarse steps give the answers of one-second steps: the 2N room with six of its eight CRAHs
/// failed heats through a change of coil regime (holding its setpoint, then coil-limited)
/// within the first hour; after two hours the room's rise, the hottest inlet's and the chilled
/// water agree within 1 % at 60 s, 600 s and 3600 s steps, and the same alerts are active at
/// the end at every step length.
#[test]
fn an_hour_long_step_gives_the_answers_of_one_second_steps() {
    let mut text = std::fs::read_to_string(root().join("sites/small_2n_room.ron")).unwrap();
    for k in 1..=6 {
        let start = text.find(&format!("(id: \"CRAH-{k}\"")).unwrap();
        let end = start + text[start..].find("),").unwrap() + 1;
        let line = text[start..end].to_string();
        text = text.replacen(&line, &format!("{}, in_service: false)", &line[..line.len() - 1]), 1);
    }
    let site = parse(&text);
    let fine = report_at(&site, 7200, 1);
    let room = |r: &dctwin::headless::Report| {
        r.thermal.as_ref().unwrap().zones.iter().find(|z| z.id == "ROOM").unwrap().clone()
    };
    let start = room(&report_at(&site, 1, 1)).room_c;
    let z1 = &room(&fine);
    assert!(z1.over_capacity && z1.room_c > start + 3.0, "the room heats coil-limited: {z1:?}");
    for step in [60, 600, 3600] {
        let r = report_at(&site, 7200, step);
        let z = &room(&r);
        assert_rel(z.room_c - start, z1.room_c - start, 0.01, &format!("room rise at {step} s steps"));
        assert_rel(
            z.hottest_inlet_c - start,
            z1.hottest_inlet_c - start,
            0.01,
            &format!("inlet rise at {step} s steps"),
        );
        assert_eq!(active_set(&r), active_set(&fine), "the same alerts at the end at {step} s steps");
    }
    assert!(
        active_set(&fine).iter().any(|(_, q, _)| *q == dctwin::sim::limits::Quantity::InletTemperature),
        "inlets are over a limit: {:?}",
        active_set(&fine)
    );
}

/// `(element, quantity, severity)` of the alerts active at the end of a run.
fn active_set(
    r: &dctwin::headless::Report,
) -> std::collections::BTreeSet<(String, dctwin::sim::limits::Quantity, dctwin::sim::limits::Severity)> {
    r.active_alerts().map(|a| (a.element.clone(), a.quantity, a.severity)).collect()
}

/// The PUE of an hour does not depend on the step: every example site, energy-weighted PUE at
/// 60 s and 600 s steps within 0.5 % of the 1 s value.
#[test]
fn the_pue_of_an_hour_does_not_depend_on_the_step() {
    for path in example_sites() {
        let site = load(&path);
        let pue = |step| report_at(&site, 3600, step).totals.pue_energy_weighted.unwrap();
        let reference = pue(1);
        for step in [60, 600] {
            assert_rel(pue(step), reference, 0.005, &format!("{}: PUE at {step} s steps", path.display()));
        }
    }
}

/// The thermal step reuses the racks' heat sums while nothing about the racks changed and all
/// sit below their throttle points. Forcing a full pass over the racks every step (every rack
/// marked changed, values untouched) must give the same run to the bit, through a failure
/// that heats the room past the throttle points (racks throttle, then trip).
#[test]
fn reusing_the_racks_heat_changes_no_bit_of_a_run() {
    use bevy::prelude::{DetectChangesMut, Mut};
    use dctwin::sim::components::RackProtection;
    let mut text = std::fs::read_to_string(root().join("sites/small_2n_room.ron")).unwrap();
    for id in ["CRAH-1", "CRAH-2", "CRAH-3", "CRAH-4", "CRAH-5", "CRAH-6", "CRAH-7"] {
        let start = text.find(&format!("(id: \"{id}\"")).unwrap();
        let end = start + text[start..].find("),").unwrap() + 1;
        let line = text[start..end].to_string();
        text = text.replacen(&line, &format!("{}, in_service: false)", &line[..line.len() - 1]), 1);
    }
    let site = parse(&text);
    let (mut reused, mut full) = (app_after(&site, 0), app_after(&site, 0));
    let mut shed_steps = 0;
    for _ in 0..1200 {
        dctwin::headless::advance(&mut reused, 1);
        let world = full.world_mut();
        let mut q = world.query::<&mut dctwin::sim::components::Utilization>();
        q.iter_mut(world).for_each(|mut u: Mut<dctwin::sim::components::Utilization>| u.set_changed());
        dctwin::headless::advance(&mut full, 1);
        let shed = |app: &bevy::prelude::App| app.world().resource::<dctwin::sim::thermal::ThermalShedding>().clone();
        assert_eq!(shed(&reused), shed(&full));
        shed_steps += usize::from(!shed(&reused).throttled.is_empty() || !shed(&reused).tripped.is_empty());
    }
    assert!(shed_steps > 0, "the run must reach the throttle points to test anything");
    let rooms = |app: &bevy::prelude::App| -> Vec<u64> {
        app.world().resource::<CoolingPlant>().zones.iter().map(|z| z.room_c.to_bits()).collect()
    };
    assert_eq!(rooms(&reused), rooms(&full));
    let protections = |app: &mut bevy::prelude::App| -> Vec<RackProtection> {
        let world = app.world_mut();
        let mut q = world.query::<&RackProtection>();
        q.iter(world).copied().collect()
    };
    assert_eq!(protections(&mut reused), protections(&mut full));
    let totals = |app: &bevy::prelude::App| format!("{:?}", app.world().resource::<SiteTotals>());
    assert_eq!(totals(&reused), totals(&full));
}

/// A step in which only the racks' demands move (an AI job's power swing) sums their heat and
/// their loads from the rows of the last full passes over the racks. It must give the full
/// passes' plant and load flow to the bit: the same world with one rack's service flag
/// inserted again each step (a place that might have changed, so both full passes run) is
/// compared with it, through swings of every rack (the legacy hall's 160 racks; the 2N room
/// with racks out of service, on one cord and without power), and through a ramp far past the
/// racks' throttle point (one rack against one CRAH, to 31 times its rating), where protection
/// acts and the full pass must take over.
#[test]
fn a_step_where_only_demands_move_gives_the_full_pass_result() {
    let hall = load(&root().join("sites/legacy_air_hall.ron"));
    let (passes, throttled) = compare_moved_with_full(&hall, 0.5, &[]);
    assert_eq!(throttled, 0, "the hall swings within its cooling");
    for (what, p) in [("heat", passes.heat), ("loads", passes.loads)] {
        assert!(p.full <= 1 && p.moved >= 239, "the swings take the rows for the {what}: {p:?}");
    }
    // PDU-A1 and PDU-B1 out: R1–R8 without power; PDU-A2 out: its racks on their B cord.
    let room = load(&root().join("sites/small_2n_room.ron"));
    let (passes, _) = compare_moved_with_full(&room, 0.1, &["PDU-A1", "PDU-B1", "PDU-A2", "R20"]);
    for (what, p) in [("heat", passes.heat), ("loads", passes.loads)] {
        assert!(p.full <= 1 && p.moved >= 239, "the swings take the rows for the {what}: {p:?}");
    }
    let (passes, throttled) = compare_moved_with_full(&parse(&one_rack_one_crah(false)), 30.0, &[]);
    assert!(throttled >= 20, "the ramp overheats the room ({throttled} steps with the rack throttled)");
    assert!(passes.heat.full >= 20, "protection acting takes the full pass: {passes:?}");
    assert!(passes.heat.moved >= 60, "before it, the swings take the rows: {passes:?}");
}

/// How a run of [`compare_moved_with_full`] gathered the racks' heat and loads.
#[derive(Debug)]
struct MovedPasses {
    heat: dctwin::sim::RackPasses,
    loads: dctwin::sim::RackPasses,
}

/// Runs `site`, with the elements `out` taken out of service, twice for 240 steps with every
/// rack's demand moving each step (swings, then a ramp by `ramp` of rated power), one run
/// taking the rows and the other forced to the full passes, and asserts they agree to the bit
/// each step: plant, totals, shedding, the racks without power or on one cord, and every
/// rack's cords. Returns the first run's passes over the racks and the number of steps in
/// which protection acted.
fn compare_moved_with_full(site: &dctwin::site::SiteFile, ramp: f64, out: &[&str]) -> (MovedPasses, u32) {
    use bevy::prelude::{App, Entity, With};
    use dctwin::sim::RackPasses;
    use dctwin::sim::components::{ElementId, InService, Rack};
    use dctwin::sim::electrical::{ElectricalNetwork, RackSupply};
    use dctwin::sim::thermal::ThermalShedding;
    let (mut moved, mut full) = (app_after(site, 0), app_after(site, 0));
    for app in [&mut moved, &mut full] {
        for id in out {
            let e = entity(app, id);
            app.world_mut().entity_mut(e).insert(InService(false));
        }
        dctwin::headless::advance(app, 2);
    }
    let first = {
        let world = full.world_mut();
        world.query_filtered::<Entity, With<Rack>>().iter(world).next().unwrap()
    };
    let passes = |app: &App| MovedPasses {
        heat: dctwin::sim::thermal::rack_passes(app.world()).unwrap(),
        loads: app.world().resource::<ElectricalNetwork>().rack_passes,
    };
    // Every rack's cords, to the bit (`Debug` prints every float exactly).
    let cords = |app: &mut App| -> String {
        let world = app.world_mut();
        let mut racks = world.query_filtered::<(Entity, &ElementId), With<Rack>>();
        let racks: Vec<(Entity, String)> = racks.iter(world).map(|(e, id)| (e, id.0.clone())).collect();
        let powers: Vec<_> =
            racks.iter().map(|(e, id)| (id.clone(), dctwin::sim::electrical::rack_power(world, *e).unwrap())).collect();
        format!("{powers:?}")
    };
    let (moved_before, full_before) = (passes(&moved), passes(&full));
    let mut throttled_steps = 0;
    for step in 0..240u64 {
        // Swings for 60 steps, then a ramp over 120 steps, then swings at its top.
        let level = match step {
            0..60 => 0.0,
            60..180 => (step - 60) as f64 / 120.0 * ramp,
            _ => ramp,
        };
        for app in [&mut moved, &mut full] {
            let world = app.world_mut();
            let mut racks = world.query::<&mut dctwin::sim::components::Utilization>();
            for (i, mut utilization) in racks.iter_mut(world).enumerate() {
                let spread = ((i as u64 * 7919 + step * 104_729) % 1000) as f64 / 1000.0;
                utilization.0 = 0.8 + 0.2 * spread + level;
            }
        }
        full.world_mut().entity_mut(first).insert(InService(true));
        dctwin::headless::advance(&mut moved, 1);
        dctwin::headless::advance(&mut full, 1);
        let (a, b) = (moved.world().resource::<CoolingPlant>(), full.world().resource::<CoolingPlant>());
        assert_eq!(a.zones, b.zones, "zones at step {step}");
        assert_eq!(a.cdus, b.cdus, "CDUs at step {step}");
        assert_eq!(a.totals, b.totals, "plant totals at step {step}");
        let (ta, tb) = (moved.world().resource::<SiteTotals>(), full.world().resource::<SiteTotals>());
        assert_eq!(format!("{ta:?}"), format!("{tb:?}"), "site totals at step {step}");
        let (sa, sb) = (moved.world().resource::<RackSupply>(), full.world().resource::<RackSupply>());
        assert_eq!(sa, sb, "racks without power or on one cord at step {step}");
        assert_eq!(cords(&mut moved), cords(&mut full), "racks' cords at step {step}");
        let shedding = moved.world().resource::<ThermalShedding>();
        assert_eq!(shedding, full.world().resource::<ThermalShedding>(), "shedding at step {step}");
        throttled_steps += u32::from(!shedding.throttled.is_empty() || !shedding.tripped.is_empty());
    }
    let (now, full_now) = (passes(&moved), passes(&full));
    assert_eq!(full_now.heat.moved, full_before.heat.moved, "a place inserted each step: the full pass each step");
    assert_eq!(full_now.loads.moved, full_before.loads.moved, "a service inserted each step: the full pass each step");
    let since = |now: RackPasses, before: RackPasses| RackPasses {
        full: now.full - before.full,
        moved: now.moved - before.moved,
    };
    let passes = MovedPasses { heat: since(now.heat, moved_before.heat), loads: since(now.loads, moved_before.loads) };
    if !out.is_empty() {
        let supply = moved.world().resource::<RackSupply>();
        assert!(!supply.unpowered.is_empty() && !supply.single_cord.is_empty(), "{supply:?}");
    }
    (passes, throttled_steps)
}
