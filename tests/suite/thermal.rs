//! Thermal model: steady state, transients, cooling failure and coupling to the power chain.

use dctwin::sim::electrical::SiteTotals;
use dctwin::sim::thermal::{AIR_CP, AIR_DENSITY, CoolingPlant, RackThermal};

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
    let t = *app.world().get::<RackThermal>(r).unwrap();
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
    let mut app = app_after(&parse(&one_rack_one_crah(false)), 60);
    let totals = app.world().resource::<SiteTotals>().clone();
    let plant = app.world().resource::<CoolingPlant>().clone();
    // One step of lag: the electrical step carries the cooling power the plant computed a step ago,
    // which is constant in steady state.
    assert_rel(totals.auxiliary_kw, plant.totals.power_w() / 1e3, 1e-6, "cooling load on the network");
    assert_rel(
        totals.grid_import_kw,
        totals.it_load_kw + totals.losses_kw() + totals.auxiliary_kw,
        1e-6,
        "facility power",
    );
    let _ = state(&mut app, "M");
}
