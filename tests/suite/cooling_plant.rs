//! The cooling plant as it runs: chiller power against the DOE-2 curves computed by hand,
//! free cooling, cycling below minimum part load, the time-to-limit forecast, and single-unit
//! outages with the alerts they must raise.

use bevy::prelude::*;
use dctwin::sim::limits::{AlertLog, Quantity, Severity};
use dctwin::sim::thermal::{AIR_CP, AIR_DENSITY, CoolingPlant};

use crate::run_time::set_service;
use crate::support::*;

/// DOE-2 "Centrifugal/5.50COP" as printed in physics-reference 4.1 (typed here, not read from
/// the catalog, so a catalog change shows).
const CAPFT: [f64; 6] = [0.257896, 0.0389016, -0.00021708, 0.0468684, -0.00094284, -0.00034344];
const EIRFT: [f64; 6] = [0.933884, -0.058212, 0.00450036, 0.00243, 0.000486, -0.001215];
const EIRFPLR: [f64; 3] = [0.222903, 0.313387, 0.46371];

fn biquad(k: &[f64; 6], x: f64, y: f64) -> f64 {
    k[0] + k[1] * x + k[2] * x * x + k[3] * y + k[4] * y * y + k[5] * x * y
}

/// Electric power of a 1000 kW, COP 5.5 chiller delivering `q_w` at leaving chilled water
/// `t_chw` and entering condenser water `t_cw` (EnergyPlus `Chiller:Electric:EIR`): available
/// capacity `Q_ref·CAPFT`, `PLR = Q/avail`; below `min_plr = 0.1` it cycles, running at 0.1 for
/// a share `PLR/0.1` of the time: `P = avail/COP·EIRFT·EIRFPLR(max(PLR, 0.1))·min(PLR/0.1, 1)`.
fn chiller_power_w(q_w: f64, t_chw: f64, t_cw: f64) -> f64 {
    let avail = 1000e3 * biquad(&CAPFT, t_chw, t_cw);
    let plr = q_w / avail;
    let run = plr.max(0.1);
    let k = EIRFPLR;
    avail / 5.5 * biquad(&EIRFT, t_chw, t_cw) * (k[0] + k[1] * run + k[2] * run * run) * (plr / run).min(1.0)
}

/// A hall on one chilled-water loop with one chiller and a tower, at `wet_bulb` °C outdoors,
/// loop setpoint `setpoint` °C and `racks` 12 kW racks.
fn chilled_site(wet_bulb: f64, setpoint: f64, racks: usize) -> String {
    let rows: Vec<String> = (0..racks)
        .map(|i| {
            format!(r#"(id: "R{i}", model: "legacy-air-12kw", feed_a: "P", zone: "Z", position_m: ({}.0, 0.0))"#, 3 + i)
        })
        .collect();
    format!(
        r#"(version: 1, name: "chilled",
        grid_feeds: [(id: "U", model: "utility-13.8kv-10mva", position_m: (0.0, 0.0))],
        transformers: [(id: "T", model: "xfmr-2000kva-13.8kv-415v", upstream: "U", position_m: (1.0, 0.0))],
        distribution: [
            (id: "P", model: "swbd-415v-4000a", upstream: "T", position_m: (2.0, 0.0)),
            (id: "M", model: "pdu-415v-400a", upstream: "T", position_m: (2.0, 2.0)),
        ],
        racks: [{}],
        ambient: (dry_bulb_c: {}, wet_bulb_c: {wet_bulb}),
        zones: [(id: "Z", volume_m3: 3000.0, containment: HotAisle, ashrae_class: A1, position_m: (0.0, 0.0))],
        water_loops: [(id: "CHW", supply_setpoint_c: {setpoint}, volume_m3: 5.0, pump_power_kw: 2.0, upstream: "M", position_m: (0.0, 5.0))],
        crahs: [
            (id: "C1", model: "crah-cw-170kw", zone: "Z", water_loop: "CHW", upstream: "M", position_m: (4.0, 3.0)),
            (id: "C2", model: "crah-cw-170kw", zone: "Z", water_loop: "CHW", upstream: "M", position_m: (6.0, 3.0)),
        ],
        chillers: [(id: "CH", model: "chiller-centrifugal-1000kw", water_loop: "CHW", upstream: "M", position_m: (0.0, 7.0))],
        heat_rejection: [(id: "CT", model: "tower-4000kw", water_loop: "CHW", upstream: "M", position_m: (0.0, 9.0))],
    )"#,
        rows.join(", "),
        wet_bulb + 8.0
    )
}

fn plant(app: &App) -> CoolingPlant {
    app.world().resource::<CoolingPlant>().clone()
}

/// At the DOE-2 reference point (6.67 °C leaving chilled water; a 25.4 °C wet bulb + the
/// tower's 4 K approach = 29.4 °C entering condenser water) the chiller in the running plant
/// draws what the curves give for the heat it removes, and heat in = heat out.
#[test]
fn chiller_power_in_the_plant_follows_the_doe2_curves() {
    let mut app = app_after(&parse(&chilled_site(25.4, 6.67, 20)), 300);
    let p = plant(&app);
    let ch = &p.chillers[0];
    let lp = &p.loops[0];
    assert!(!lp.free_cooling && !lp.over_capacity);
    // Steady state: the chiller removes the loop's heat (coils + pump work).
    assert_rel(ch.cooling_w, lp.heat_in_w, 1e-6, "chiller duty = loop heat");
    // 20 × 12 kW of rack heat + two CRAHs' fans + the 2 kW pump reach the loop.
    assert_rel(lp.heat_in_w, 240e3 + p.totals.crah_fans_w + 2e3, 1e-6, "loop heat");
    assert_rel(ch.power_w, chiller_power_w(ch.cooling_w, 6.67, 29.4), 1e-9, "chiller power (DOE-2 by hand)");
    // At PLR ≈ 0.25 the curves give a COP of about 4.2 at the reference temperatures
    // (physics-reference 4.1's check values).
    let cop = ch.cooling_w / ch.power_w;
    assert!((cop - 4.2).abs() < 0.15, "part-load COP {cop}");
    // Every watt the chiller takes is rejected at the tower with the heat it moved.
    assert_rel(p.totals.rejected_w, ch.cooling_w + ch.power_w, 1e-9, "tower rejects duty + compressor work");
    let _ = &mut app;
}

/// Below its 10 % minimum part load the chiller cycles: power at PLR 0.1 times PLR/0.1.
#[test]
fn chiller_below_minimum_part_load_cycles() {
    let app = app_after(&parse(&chilled_site(25.4, 6.67, 3)), 300);
    let p = plant(&app);
    let ch = &p.chillers[0];
    let plr = ch.cooling_w / ch.available_w;
    assert!(plr < 0.1, "three racks are under 10 % of 1000 kW: PLR {plr}");
    assert_rel(ch.power_w, chiller_power_w(ch.cooling_w, 6.67, 29.4), 1e-9, "cycling power");
}

/// With the wet bulb + approach below the setpoint the towers carry the load alone.
#[test]
fn free_cooling_runs_without_chiller_power() {
    // 2 °C wet bulb + 4 K approach = 6 °C leaving the tower, under the 12 °C setpoint.
    let app = app_after(&parse(&chilled_site(2.0, 12.0, 20)), 300);
    let p = plant(&app);
    assert!(p.loops[0].free_cooling);
    assert_eq!(p.chillers[0].power_w, 0.0);
    assert_rel(p.totals.rejected_w, p.loops[0].heat_in_w, 1e-6, "the tower rejects the loop's heat");
    // Above the threshold (14 °C + 4 K = 18 °C > 12 °C) the chiller runs.
    let warm = plant(&app_after(&parse(&chilled_site(14.0, 12.0, 20)), 300));
    assert!(!warm.loops[0].free_cooling && warm.chillers[0].power_w > 0.0);
}

/// The forecast on a rising inlet: with all cooling gone the zone's air (the inlet, with no
/// supply air) rises as [`uncooled_air_rise_k`] says, so it reaches the allowable 32 °C a closed
/// form time after the failure; the forecast read at any moment, added to that moment, gives the
/// same arrival time, and the critical alert arrives then.
#[test]
fn time_to_limit_forecast_matches_the_closed_form() {
    let mut app = app_after(&parse(&chilled_site(25.4, 6.67, 2)), 30);
    let (room_before, failed_at) =
        (plant(&app).zones[0].room_c, app.world().resource::<dctwin::sim::SimClock>().elapsed_s);
    set_service(&mut app, "M", false); // CRAHs, pumps, chiller and tower all stop
    dctwin::headless::advance(&mut app, 1);
    let p = plant(&app);
    let z = &p.zones[0];
    assert_eq!(z.airflow_m3_s, 0.0);
    let q = 24e3;
    let c_air = AIR_DENSITY * AIR_CP * 3000.0;
    let now = app.world().resource::<dctwin::sim::SimClock>().elapsed_s;
    let arrival = failed_at + uncooled_time_to_rise_s(q, c_air, 2.0 * 350e3, 240.0, 32.0 - room_before);
    let mut seen = 0;
    for _ in 0..((arrival - now) as u64 + 5) {
        dctwin::headless::advance(&mut app, 1);
        let p = plant(&app);
        let t = app.world().resource::<dctwin::sim::SimClock>().elapsed_s;
        if let Some(left) = p.zones[0].time_to_allowable_s.filter(|&s| s > 0.0) {
            assert!((t + left - arrival).abs() < 1.0, "forecast at {t} s says {left} s; closed form {}", arrival - t);
            seen += 1;
        }
    }
    assert!(seen > 100, "the forecast was given while the zone warmed ({seen} times)");
    let log = app.world().resource::<AlertLog>();
    let critical = log
        .alerts
        .iter()
        .find(|a| a.quantity == Quantity::InletTemperature && a.severity == Severity::Critical)
        .expect("critical inlet alert");
    assert!(
        (critical.first_seen_s - arrival).abs() <= 1.0,
        "critical at {} s, forecast {arrival} s",
        critical.first_seen_s
    );
}

fn active(app: &App, element: &str, quantity: Quantity, severity: Severity) -> bool {
    app.world()
        .resource::<AlertLog>()
        .active()
        .iter()
        .any(|a| a.element == element && a.quantity == quantity && a.severity == severity)
}

/// The pod's only chiller out: its loop cannot hold the setpoint (critical, with the heat it
/// carries against what the plant removes), and the unit itself is not in service (no
/// "without power" alert: it was taken out, not cut off).
#[test]
fn losing_the_only_chiller_leaves_its_loop_over_capacity() {
    let mut app = app_after(&load(&root().join("sites/gb200_pod.ron")), 5);
    set_service(&mut app, "CH-1", false);
    dctwin::headless::advance(&mut app, 300);
    assert!(active(&app, "CHW", Quantity::CoolingCapacity, Severity::Critical));
    assert!(!active(&app, "CH-1", Quantity::CoolingPower, Severity::Warning));
    let p = plant(&app);
    let chw = p.loops.iter().find(|l| l.id == "CHW").unwrap();
    assert!(chw.supply_c > chw.setpoint_c + 1.0, "the chilled water warms: {}", chw.supply_c);
    assert_eq!(chw.plant_w, 0.0, "nothing removes its heat (the tower cannot reach 7 °C)");
}

/// The warm-water loop's only tower out: facility water rises past its W32 class (critical
/// facility-water alert) and the CDU's liquid supply past its design.
#[test]
fn losing_the_facility_water_tower_overheats_the_facility_water() {
    let mut app = app_after(&load(&root().join("sites/gb200_pod.ron")), 5);
    set_service(&mut app, "CT-2", false);
    dctwin::headless::advance(&mut app, 30);
    assert!(active(&app, "FWS", Quantity::CoolingCapacity, Severity::Critical));
    // FWS: 4 m³ of water at 30 °C taking ~700 kW warms 2 °C in about 48 s.
    dctwin::headless::advance(&mut app, 60);
    assert!(active(&app, "FWS", Quantity::FacilityWater, Severity::Critical));
    assert!(active(&app, "CDU-1", Quantity::LiquidSupply, Severity::Critical));
    let log = app.world().resource::<AlertLog>();
    let fw = log.alerts.iter().find(|a| a.element == "FWS" && a.quantity == Quantity::FacilityWater).unwrap();
    assert_eq!(fw.limit, 32.0);
    assert!(fw.value > 32.0);
}

/// A loop's pumps out of service: no water moves, so its CRAH coils stop and the zone is
/// short of cooling although every CRAH has power.
#[test]
fn losing_a_loops_pumps_stops_its_coils() {
    let mut app = app_after(&load(&root().join("sites/gb200_pod.ron")), 5);
    set_service(&mut app, "CHW", false);
    dctwin::headless::advance(&mut app, 10);
    let p = plant(&app);
    assert!(p.crahs.iter().all(|c| c.supply.powered && c.coil_w == 0.0), "no coil duty without water");
    assert_eq!(p.zones[0].running_capacity_w, 0.0);
    assert!(active(&app, "POD", Quantity::CoolingCapacity, Severity::Critical));
}

/// The cooling supply board out: every unit fed from it is in service without power (warning
/// per unit) and the plant's loops and zone are short of cooling (critical).
#[test]
fn losing_the_cooling_supply_warns_per_unit() {
    let mut app = app_after(&load(&root().join("sites/gb200_pod.ron")), 5);
    set_service(&mut app, "MCC-1", false);
    dctwin::headless::advance(&mut app, 2);
    for id in ["CRAH-1", "CRAH-2", "CRAH-3", "CH-1", "CT-1", "CT-2", "CHW", "FWS"] {
        assert!(active(&app, id, Quantity::CoolingPower, Severity::Warning), "{id}");
    }
    assert!(active(&app, "CDU-1", Quantity::CoolingCapacity, Severity::Critical));
    assert!(active(&app, "POD", Quantity::CoolingCapacity, Severity::Critical));
    let log = app.world().resource::<AlertLog>();
    let crah = log.alerts.iter().find(|a| a.element == "CRAH-1" && a.quantity == Quantity::CoolingPower).unwrap();
    assert_eq!((crah.value, crah.limit), (86.0, 0.0), "the unit's rated cooling is lost");
}

/// Grid import above the feed's contracted capacity is critical, with the apparent power as
/// the value: here the pod's ~0.86 MVA against a 0.5 MVA contract.
#[test]
fn grid_import_above_the_contract_is_critical() {
    let text = std::fs::read_to_string(root().join("sites/gb200_pod.ron")).unwrap().replace(
        r#"(id: "UTIL-1", model: "utility-13.8kv-10mva","#,
        r#"(id: "UTIL-1", model: "utility-13.8kv-10mva", overrides: (capacity_mva: 0.5),"#,
    );
    let mut app = app_after(&parse(&text), 3);
    let feed = state(&mut app, "UTIL-1");
    let s_mva = (feed.p_kw.powi(2) + feed.q_kvar.powi(2)).sqrt() / 1000.0;
    let log = app.world().resource::<AlertLog>();
    let a = log.alerts.iter().find(|a| a.element == "UTIL-1" && a.quantity == Quantity::GridImport).expect("alert");
    assert_eq!(a.severity, Severity::Critical);
    assert_eq!(a.limit, 0.5);
    assert_rel(a.value, s_mva, 1e-12, "value is the apparent import");
    assert!(s_mva > 0.8, "{s_mva}");
}

/// [`chilled_site`] with the tower's capacity overridden to `tower_kw`.
fn chilled_site_with_tower(wet_bulb: f64, setpoint: f64, racks: usize, tower_kw: f64) -> String {
    chilled_site(wet_bulb, setpoint, racks).replace(
        r#"(id: "CT", model: "tower-4000kw", water_loop: "CHW","#,
        &format!(r#"(id: "CT", model: "tower-4000kw", water_loop: "CHW", overrides: (capacity_kw: {tower_kw}),"#),
    )
}

fn headroom(app: &mut App, limit: dctwin::sim::limits::LimitKind) -> dctwin::sim::limits::HeadroomRow {
    dctwin::sim::limits::headroom(app.world_mut()).into_iter().find(|r| r.limit == limit).expect("row")
}

/// A tower smaller than the heat it must reject: above capacity its approach grows with the
/// load, `T_cw = T_wb + 4 K·Q_rej/Q_cap`, so the condenser water warms, and the chiller's
/// power is the DOE-2 power at that warmer condenser (higher than with a right-sized tower).
/// The tower is critical and the heat-rejection headroom negative.
#[test]
fn an_undersized_tower_warms_the_condenser_and_costs_chiller_power() {
    let mut small = app_after(&parse(&chilled_site_with_tower(25.4, 6.67, 20, 150.0)), 300);
    let big = app_after(&parse(&chilled_site(25.4, 6.67, 20)), 300);
    let p = plant(&small);
    let (ch, lp) = (&p.chillers[0], &p.loops[0]);
    let q_rej = ch.cooling_w + ch.power_w;
    let t_cw = lp.condenser_c.expect("chillers run");
    assert!((t_cw - (25.4 + 4.0 * q_rej / 150e3)).abs() < 1e-3, "condenser {t_cw} vs 25.4 + 4·{q_rej}/150 kW");
    assert!(t_cw > 32.0 && t_cw < 35.0, "{t_cw}");
    assert_rel(ch.power_w, chiller_power_w(ch.cooling_w, 6.67, t_cw), 1e-6, "DOE-2 power at the warm condenser");
    let cop_small = ch.cooling_w / ch.power_w;
    let b = plant(&big);
    let cop_big = b.chillers[0].cooling_w / b.chillers[0].power_w;
    assert!(cop_small < 0.97 * cop_big, "COP {cop_small} with the small tower vs {cop_big}");
    assert!(active(&small, "CT", Quantity::CoolingCapacity, Severity::Critical));
    let row = headroom(&mut small, dctwin::sim::limits::LimitKind::HeatRejection);
    assert!(row.margin < 0.0 && row.element == "CHW", "{row:?}");
}

/// A 10 kW tower for ~300 kW: the chiller's head-pressure control holds the condenser at its
/// 40 °C limit by unloading, so it delivers only what the tower can take there,
/// `Q_rej = 10 kW·(1 + (40 − 29.4)/4) = 36.5 kW` of duty plus compressor work; the loop warms and
/// every limit says why.
#[test]
fn a_tower_far_too_small_unloads_the_chiller() {
    let app = app_after(&parse(&chilled_site_with_tower(25.4, 6.67, 20, 10.0)), 300);
    let p = plant(&app);
    let ch = &p.chillers[0];
    assert!(ch.condenser_limited && !ch.tripped, "{ch:?}");
    assert_rel(ch.cooling_w + ch.power_w, 10e3 * (1.0 + (40.0 - 29.4) / 4.0), 1e-6, "heat the tower takes at 40 °C");
    assert_eq!(p.loops[0].condenser_c, Some(40.0));
    assert!(active(&app, "CH", Quantity::CondenserTemperature, Severity::Critical));
    assert!(active(&app, "CHW", Quantity::CoolingCapacity, Severity::Critical));
    assert!(active(&app, "CT", Quantity::CoolingCapacity, Severity::Critical));
    assert!(p.loops[0].supply_c > 6.67 + 1.0, "the chilled water warms: {}", p.loops[0].supply_c);
}

/// Curve inputs are held within the curves' validity (5–10 °C, 24–35 °C): with an 18 °C wet bulb
/// the tower leaves 22 °C water, but the chiller is evaluated at 24 °C and says so.
#[test]
fn chiller_curves_are_evaluated_within_their_validity() {
    let app = app_after(&parse(&chilled_site(18.0, 6.67, 20)), 300);
    let p = plant(&app);
    let ch = &p.chillers[0];
    assert_eq!(p.loops[0].condenser_c, Some(22.0));
    assert!(ch.curve_clamped);
    assert_rel(ch.power_w, chiller_power_w(ch.cooling_w, 6.67, 24.0), 1e-9, "power at the curve's 24 °C edge");
}

/// Three 1000 kW chillers on a loop carrying ~1.6 MW (twelve GB200 racks through a CDU): the
/// fewest that carry it at no more than 90 % run (two: 1.6 MW > 0.9 × 1 MW, ≤ 0.9 × 2 MW),
/// sharing it equally; the third is standby, idle, and draws nothing.
#[test]
fn chillers_stage_on_load_and_the_standby_stays_idle() {
    let racks: Vec<String> = (0..12)
        .map(|i| {
            format!(
                r#"(id: "G{i}", model: "gb200-nvl72", feed_a: "P", zone: "Z", cdu: "CDU", position_m: ({i}.0, 0.0))"#
            )
        })
        .collect();
    let text = format!(
        r#"(version: 1, name: "staging",
        grid_feeds: [(id: "U", model: "utility-13.8kv-25mva", position_m: (0.0, 0.0))],
        transformers: [(id: "T", model: "xfmr-3000kva-13.8kv-415v", upstream: "U", position_m: (1.0, 0.0))],
        distribution: [
            (id: "P", model: "swbd-415v-4000a", upstream: "T", position_m: (2.0, 0.0)),
            (id: "M", model: "pdu-415v-400a", upstream: "T", position_m: (2.0, 2.0)),
        ],
        racks: [{}],
        ambient: (dry_bulb_c: 33.0, wet_bulb_c: 25.4),
        zones: [(id: "Z", volume_m3: 3000.0, containment: HotAisle, ashrae_class: A1, position_m: (0.0, 0.0))],
        water_loops: [(id: "CHW", supply_setpoint_c: 6.67, volume_m3: 10.0, pump_power_kw: 20.0, upstream: "M", position_m: (0.0, 5.0))],
        crahs: [
            (id: "C1", model: "crah-cw-170kw", zone: "Z", water_loop: "CHW", upstream: "M", position_m: (4.0, 3.0)),
            (id: "C2", model: "crah-cw-170kw", zone: "Z", water_loop: "CHW", upstream: "M", position_m: (6.0, 3.0)),
        ],
        cdus: [(id: "CDU", model: "cdu-2000kw", water_loop: "CHW", upstream: "M", position_m: (8.0, 3.0))],
        chillers: [
            (id: "CH-1", model: "chiller-centrifugal-1000kw", water_loop: "CHW", upstream: "M", position_m: (0.0, 7.0)),
            (id: "CH-2", model: "chiller-centrifugal-1000kw", water_loop: "CHW", upstream: "M", position_m: (0.0, 9.0)),
            (id: "CH-3", model: "chiller-centrifugal-1000kw", water_loop: "CHW", upstream: "M", position_m: (0.0, 11.0)),
        ],
        heat_rejection: [(id: "CT", model: "tower-4000kw", water_loop: "CHW", upstream: "M", position_m: (0.0, 13.0))],
    )"#,
        racks.join(", ")
    );
    let app = app_after(&parse(&text), 300);
    let p = plant(&app);
    let demand = p.loops[0].heat_in_w;
    let avail = 1000e3 * biquad(&CAPFT, 6.67, 29.4);
    assert!(demand > 0.9 * avail && demand <= 0.9 * 2.0 * avail, "demand {demand} W stages two");
    let staged: Vec<&str> = p.chillers.iter().filter(|c| c.staged).map(|c| c.id.as_str()).collect();
    assert_eq!(staged, ["CH-1", "CH-2"], "lead and lag in id order");
    let standby = &p.chillers[2];
    assert_eq!((standby.power_w, standby.cooling_w), (0.0, 0.0));
    for ch in &p.chillers[..2] {
        assert_rel(ch.cooling_w, demand / 2.0, 1e-6, "equal share");
        assert_rel(ch.plr, demand / (2.0 * avail), 1e-6, "part load");
        assert_rel(ch.power_w, chiller_power_w(ch.cooling_w, 6.67, 29.4), 1e-9, "DOE-2 power");
    }
}

/// The coil's capacity comes from its rating point by ε-NTU (hand calculation below), and the
/// zone's limits say when it runs beyond its rating and short of air.
///
/// crah-cw-170kw: `C_a = 1.2·1005·12 = 14 472 W/K`, `C_w = 172 kW/6 K = 28 667 W/K`,
/// `ε = 172 kW/(C_a·(29 − 10 K)) = 0.6255`; at full speed the same ε, so `κ = ε·C_a`. With
/// 6.67 °C water and an 18 °C setpoint a coil holds its setpoint until the room reaches
/// `T* = (C_a·18 − κ·6.67)/(C_a − κ)`, where it removes `C_a·(T* − 18)`: two of them hold
/// about 548 kW. 34 racks of 12 kW (408 kW + fans) sit beyond the two units' 344 kW rating
/// but within what they hold: a warning, not a critical alert. They draw 34·12·0.075 = 30.6 m³/s
/// from 24 m³/s of CRAH air: an airflow warning, with the rest recirculating.
#[test]
fn coil_capacity_rating_and_airflow_limits() {
    let mut app = app_after(&parse(&chilled_site(25.4, 6.67, 34)), 600);
    let c_a = 1.2 * 1005.0 * 12.0;
    let eps = 172e3 / (c_a * 19.0);
    let kappa = eps * c_a;
    let t_star = (c_a * 18.0 - kappa * 6.67) / (c_a - kappa);
    let holding = 2.0 * c_a * (t_star - 18.0);
    let p = plant(&app);
    let z = &p.zones[0];
    assert_rel(z.holding_capacity_w, holding, 1e-9, "holding capacity by hand");
    assert!(!z.over_capacity);
    assert!(z.coil_w > 344e3, "{}", z.coil_w);
    assert!(active(&app, "Z", Quantity::CoolingRating, Severity::Warning));
    assert!(active(&app, "Z", Quantity::Airflow, Severity::Warning));
    assert_rel(z.demand_m3_s, 34.0 * 12.0 * 0.075, 1e-9, "airflow demand");
    assert_rel(z.recirculation, 1.0 - 24.0 / (34.0 * 12.0 * 0.075), 1e-9, "recirculation");
    let row = headroom(&mut app, dctwin::sim::limits::LimitKind::Airflow);
    assert!(row.margin < 0.0 && row.limit_value == 24.0, "{row:?}");
    let row = headroom(&mut app, dctwin::sim::limits::LimitKind::CrahCapacity);
    assert_rel(row.limit_value, holding / 1e3, 1e-9, "CRAH headroom against the holding capacity");
}

fn room(app: &App) -> f64 {
    plant(app).zones.iter().find(|z| z.id == "ROOM").unwrap().room_c
}

/// The 2N room's cooling: either chilled-water loop alone holds the room (no critical alert,
/// inlets within the recommended 27 °C), and losing either loop's tower gives the same room
/// (each coil uses its own loop's water, so the loops are symmetric).
#[test]
fn the_2n_room_survives_the_loss_of_either_loop() {
    let site = load(&root().join("sites/small_2n_room.ron"));
    let mut rooms = Vec::new();
    for lost in ["CHW-A", "CHW-B", "CT-1", "CT-2"] {
        let mut app = app_after(&site, 5);
        set_service(&mut app, lost, false);
        dctwin::headless::advance(&mut app, 7200);
        let critical: Vec<String> = app
            .world()
            .resource::<AlertLog>()
            .active()
            .iter()
            .filter(|a| a.severity == Severity::Critical)
            .map(|a| format!("{} {:?}", a.element, a.quantity))
            .collect();
        // Nothing critical in the room: only the lost loop's own plant (its tower gone) may be.
        assert!(critical.iter().all(|a| a.starts_with("CHW-")), "{lost} out: {critical:?}");
        if lost.starts_with("CHW") {
            assert!(critical.is_empty(), "{lost} out: {critical:?}");
        }
        let p = plant(&app);
        let z = p.zones.iter().find(|z| z.id == "ROOM").unwrap();
        assert!(z.hottest_inlet_c <= 27.0, "{lost} out: inlet {}", z.hottest_inlet_c);
        rooms.push(room(&app));
    }
    // Symmetric to a thousandth of a kelvin (the sides' UPS modes differ, so their cable losses
    // in the room differ slightly).
    assert!((rooms[0] - rooms[1]).abs() < 1e-3, "loop A or B lost: {rooms:?}");
    assert!((rooms[2] - rooms[3]).abs() < 1e-3, "tower 1 or 2 lost: {rooms:?}");
}

/// A loop's standby pump set on another board keeps the water flowing when the duty set's
/// supply is lost.
#[test]
fn standby_pumps_keep_the_water_flowing() {
    let mut app = app_after(&load(&root().join("sites/small_2n_room.ron")), 5);
    set_service(&mut app, "MCC-A", false);
    dctwin::headless::advance(&mut app, 2);
    let p = plant(&app);
    let a = p.loops.iter().find(|l| l.id == "CHW-A").unwrap();
    assert!(a.flowing(), "CHW-A runs on its standby pumps");
    assert_eq!(a.running_pumps().unwrap().upstream, "MCC-B");
    assert!(active(&app, "CHW-A", Quantity::CoolingPower, Severity::Warning), "the duty set is without power");
}

/// Thermal protection. In the AI hall, CDU-1 loses its supply (UPS-A1 out); its racks stay on
/// their B cords, their coolant stagnates and warms at `Q/C`. From 45 °C the GB200-class racks
/// throttle (linearly to half power at 55 °C: at coolant `T` they draw
/// `132 kW · (1 − 0.5·(T − 45)/10)`), at 55 °C they shut down: their IT load is lost (critical),
/// and the coolant stops warming far below boiling instead of running away.
#[test]
fn racks_throttle_then_shut_down_when_their_coolant_overheats() {
    let site = load(&root().join("sites/ai_hall_20mw.ron"));
    let on_cdu1: Vec<String> =
        site.racks.iter().filter(|r| r.cdu.as_deref() == Some("CDU-1")).map(|r| r.id.clone()).collect();
    assert!(on_cdu1.len() >= 10);
    let mut app = app_after(&site, 5);
    set_service(&mut app, "UPS-A1", false);
    let first = on_cdu1[0].clone();
    let e = entity(&mut app, &first);
    let mut checked = 0;
    for _ in 0..120 {
        let before = dctwin::sim::thermal::rack_thermal(app.world(), e).unwrap().liquid_supply_c.unwrap();
        dctwin::headless::advance(&mut app, 1);
        let p = rack(&mut app, &first);
        if before > 45.0 && before < 55.0 && p.powered && p.p_kw > 0.0 {
            assert_rel(p.p_kw, 132.0 * (1.0 - 0.5 * (before - 45.0) / 10.0), 1e-9, "throttled power");
            checked += 1;
        }
    }
    assert!(checked >= 1, "the rack was seen throttling");
    dctwin::headless::advance(&mut app, 600);
    let plant = plant(&app);
    let cdu = plant.cdus.iter().find(|c| c.id == "CDU-1").unwrap();
    assert!(cdu.supply_c < 60.0 && !cdu.boiling, "coolant bounded: {}", cdu.supply_c);
    for id in &on_cdu1 {
        assert_eq!(rack(&mut app, id).p_kw, 0.0, "{id} shut down");
        assert!(active(&app, id, Quantity::OverTemperature, Severity::Critical), "{id}");
    }
    let shed = app.world().resource::<dctwin::sim::thermal::ThermalShedding>().shed_kw();
    assert_rel(shed, 132.0 * on_cdu1.len() as f64, 1e-9, "IT load lost");
    let it = app.world().resource::<dctwin::sim::electrical::SiteTotals>().it_load_kw;
    assert_rel(it, 132.0 * (site.racks.len() - on_cdu1.len()) as f64, 1e-9, "IT load served");
}

/// A loop with towers and no chillers (the AI hall's W32 facility water), on a day too warm to
/// hold its setpoint: the water leaves the towers at the wet bulb + their approach (the load is
/// under their capacity) and the loop floats there, rejecting all its heat, with a warning for
/// the setpoint and a critical alert for leaving its water class, instead of heating without
/// bound.
#[test]
fn a_loop_without_chillers_floats_at_the_wet_bulb_plus_approach() {
    let text = std::fs::read_to_string(root().join("sites/ai_hall_20mw.ron")).unwrap();
    let line = text.lines().find(|l| l.trim_start().starts_with("ambient:")).unwrap();
    // 28.5 °C wet bulb + the towers' 4 K approach = 32.5 °C, above the 30 °C setpoint and W32.
    let site = parse(&text.replace(line, "    ambient: (dry_bulb_c: 31.0, wet_bulb_c: 28.5),"));
    let mut app =
        dctwin::headless::build_app(&site, &dctwin::catalog::Catalog::builtin(), std::time::Duration::from_secs(600));
    dctwin::headless::advance(&mut app, 6);
    let p = plant(&app);
    let lp = p.loops.iter().find(|l| l.id == "FWS").unwrap();
    assert!((lp.supply_c - 32.5).abs() < 1e-6, "floats at 32.5 °C: {}", lp.supply_c);
    assert!(!lp.free_cooling && lp.over_capacity && !lp.boiling);
    let towers: f64 = p.heat_rejection.iter().filter(|t| t.id.starts_with("CT-FWS")).map(|t| t.rejected_w).sum();
    assert_rel(towers, lp.heat_in_w, 1e-6, "the towers reject all the loop's heat");
    assert!(active(&app, "FWS", Quantity::CoolingCapacity, Severity::Warning));
    assert!(!active(&app, "FWS", Quantity::CoolingCapacity, Severity::Critical));
    assert!(active(&app, "FWS", Quantity::FacilityWater, Severity::Critical), "32.5 °C is past W32");
}
