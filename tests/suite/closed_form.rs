//! Load flow against hand calculations.

use crate::support::*;

/// One transformer feeding one constant-power load through a cable, from a stiff source.
///
/// Hand calculation (per phase, referred to the 415 V side; core loss set to zero so the
/// circuit is a single series impedance):
/// * source EMF `E = 13.8 kV/√3 ÷ (13.8/0.415) = 415/√3 = 239.6003 V`;
/// * transformer: `Z_base = 0.415²/1.0 MVA = 0.172225 Ω`, `|Z| = 5.5 % = 0.009472375 Ω`,
///   `R = P_k/S_n·Z_base` with the catalog's 7.778 kW load loss (0.7778 %), `X = √(|Z|² − R²)`;
/// * cable: 50 m of 0.0961 + j0.078 Ω/km → `0.004805 + j0.0039 Ω`;
/// * load: 600 kW at pf 0.95 lagging → per phase `P = 200 kW`, `Q = P·tan(acos 0.95)`.
///
/// For a constant-power load behind `Z = R + jX` the load voltage solves
/// `|V|⁴ + (2(RP + XQ) − E²)|V|² + |Z|²|S|² = 0`, taking the larger root. Then
/// `I = |S|/|V|` and the series losses are `3·I²·R`.
#[test]
fn transformer_cable_constant_power_load() {
    let site = parse(
        r#"(
        version: 1, name: "closed form",
        grid_feeds: [(id: "U", model: "utility-13.8kv-10mva", overrides: (short_circuit_mva: 0.0), position_m: (0.0, 0.0))],
        transformers: [(id: "T", model: "xfmr-1000kva-13.8kv-415v", upstream: "U", overrides: (no_load_loss_kw: 0.0, no_load_current_pct: 0.0), position_m: (1.0, 0.0))],
        distribution: [(id: "P", model: "pdu-415v-400a", upstream: "T",
                        feeder: (cable: "cu-xlpe-4c-240mm2-lv", length_m: 50.0), position_m: (2.0, 0.0))],
        racks: [(id: "R", model: "legacy-air-12kw", feed_a: "P", overrides: (rated_kw: 600.0, power_factor: 0.95), position_m: (3.0, 0.0))],
    )"#,
    );
    let mut app = app_after(&site, 1);

    let e = 415.0 / 3f64.sqrt();
    let z_t: f64 = 0.055 * 0.415 * 0.415 / 1.0;
    let r_t: f64 = 7.778 / 1000.0 * 0.415 * 0.415 / 1.0;
    let x_t = (z_t * z_t - r_t * r_t).sqrt();
    let (r_c, x_c) = (0.0961 * 0.05, 0.078 * 0.05);
    let (r, x) = (r_t + r_c, x_t + x_c);
    let p = 200e3;
    let q = p * (1.0 - 0.95f64 * 0.95).sqrt() / 0.95;
    let s2 = p * p + q * q;
    let z2 = r * r + x * x;
    let b = 2.0 * (r * p + x * q) - e * e;
    let v2 = (-b + (b * b - 4.0 * z2 * s2).sqrt()) / 2.0;
    let v = v2.sqrt();
    let i = s2.sqrt() / v;
    let loss_t = 3.0 * i * i * r_t;
    let loss_c = 3.0 * i * i * r_c;

    let pdu = state(&mut app, "P");
    assert_rel(pdu.voltage_v, v * 3f64.sqrt(), 1e-6, "PDU line-to-line voltage");
    assert_rel(pdu.voltage_pu, v / e, 1e-6, "PDU voltage pu");
    assert_rel(pdu.input_current_a, i, 1e-6, "cable current");
    assert_rel(pdu.feeder_losses_kw, loss_c / 1e3, 1e-6, "cable losses");
    let t = state(&mut app, "T");
    assert_rel(t.output_current_a, i, 1e-6, "transformer LV current");
    assert_rel(t.input_current_a, i * 0.415 / 13.8, 1e-6, "transformer HV current");
    assert_rel(t.losses_kw, loss_t / 1e3, 1e-6, "transformer losses");
    // Loading: I / I_rated with I_rated = 1000 kVA / (√3 · 415 V).
    assert_rel(t.loading_pct, i / (1e6 / (3f64.sqrt() * 415.0)) * 100.0, 1e-6, "transformer loading");
    let u = state(&mut app, "U");
    assert_rel(u.p_kw, 600.0 + (loss_t + loss_c) / 1e3, 1e-6, "grid import");
    // Voltage drop 1 − |V|/E is what a planner reads; check it too, to 1e-6 relative.
    assert_rel(1.0 - pdu.voltage_pu, 1.0 - v / e, 1e-6, "voltage drop");
}

/// An unloaded transformer: only its magnetising branch `Y = G − jB` at the LV terminal draws
/// current. 2500 kVA, 415 V: `G = P0/(3V²)` with P0 = 1.935 kW; `|Y| = i0·S/(3V²)` with
/// i0 = 0.25 %, `B = √(|Y|² − G²)`; series `R = P_k/S·Z_base` (15.87 kW), `X = √(Z² − R²)`.
/// Then exactly `V_LV = E/(1 + (R + jX)(G − jB))`, the core loss is `3·G·|V|²`, the winding
/// loss `3·|I|²·R` with `I = Y·V`, and the feed supplies `S = 3·E·conj(I)` (ideal source).
#[test]
fn unloaded_transformer_magnetising_branch() {
    let site = parse(
        r#"(
        version: 1, name: "no load",
        grid_feeds: [(id: "U", model: "utility-13.8kv-10mva", overrides: (short_circuit_mva: 0.0), position_m: (0.0, 0.0))],
        transformers: [(id: "T", model: "xfmr-2500kva-13.8kv-415v", upstream: "U", position_m: (1.0, 0.0))],
    )"#,
    );
    use nalgebra::Complex;
    let mut app = app_after(&site, 1);
    let e = 415.0 / 3f64.sqrt();
    let g = 1935.0 / (3.0 * e * e);
    let y_abs = 0.0025 * 2500e3 / (3.0 * e * e);
    let b = (y_abs * y_abs - g * g).sqrt();
    let z_base: f64 = 0.415 * 0.415 / 2.5;
    let r = 15.87 / 2500.0 * z_base;
    let x = ((0.0575 * z_base).powi(2) - r * r).sqrt();
    let y = Complex::new(g, -b);
    let v = Complex::new(e, 0.0) / (Complex::new(1.0, 0.0) + Complex::new(r, x) * y);
    let i = y * v;
    let t = state(&mut app, "T");
    assert_rel(t.voltage_v, v.norm() * 3f64.sqrt(), 1e-9, "no-load LV voltage");
    let core = 3.0 * g * v.norm_sqr();
    assert_rel(t.losses_kw, (core + 3.0 * i.norm_sqr() * r) / 1e3, 1e-9, "no-load losses");
    let s_feed = Complex::new(e, 0.0) * i.conj() * 3.0;
    let u = state(&mut app, "U");
    assert_rel(u.p_kw, s_feed.re / 1e3, 1e-9, "feed P");
    assert_rel(u.q_kvar, s_feed.im / 1e3, 1e-9, "feed Q: the magnetising current's reactive power");
    assert!(u.q_kvar > 5.0, "about √(6.25² − 1.935²) = 5.94 kvar: {}", u.q_kvar);
}

/// A double-conversion UPS holds its output at nominal and draws `P_out + P_loss(P_out)`:
/// 300 kW on a 500 kW UPS, x = 0.6: loss = 500·(0.005 + 0.02·0.6 + 0.01·0.36) = 10.3 kW.
#[test]
fn double_conversion_ups_losses_and_regulation() {
    let site = parse(
        r#"(
        version: 1, name: "ups",
        grid_feeds: [(id: "U", model: "utility-13.8kv-10mva", position_m: (0.0, 0.0))],
        transformers: [(id: "T", model: "xfmr-1000kva-13.8kv-415v", upstream: "U", position_m: (1.0, 0.0))],
        ups: [(id: "UPS", model: "ups-500kw", upstream: "T", position_m: (2.0, 0.0))],
        distribution: [(id: "P", model: "pdu-415v-400a", upstream: "UPS", position_m: (3.0, 0.0))],
        racks: [(id: "R", model: "legacy-air-12kw", feed_a: "P", overrides: (rated_kw: 300.0, power_factor: 1.0), position_m: (3.0, 1.0))],
    )"#,
    );
    let mut app = app_after(&site, 1);
    let ups = state(&mut app, "UPS");
    assert_rel(ups.voltage_pu, 1.0, 1e-12, "regulated output");
    assert_rel(ups.losses_kw, 10.3, 1e-9, "UPS loss curve");
    assert_rel(ups.p_kw, 310.3, 1e-9, "UPS input power");
    // Input power factor 0.99: Q = P·tan(acos 0.99).
    assert_rel(ups.q_kvar, 310.3 * (1.0 - 0.99f64 * 0.99).sqrt() / 0.99, 1e-9, "UPS input reactive power");
    assert_rel(ups.loading_pct, 60.0, 1e-9, "UPS loading");
}

/// A UPS in eco mode (static bypass): its output follows its input (no regulation, no
/// impedance), and it loses `rated·(a + b·x + c·x²)` with the catalog's eco coefficients
/// (ups-1000kw: 0.2 %, 0.5 %, 0.3 %), drawn at its input. A 400 kW, pf 1 load: `x = 0.4`,
/// loss = 1000 kW · (0.002 + 0.005·0.4 + 0.003·0.16) = 4.48 kW. In double conversion the same
/// load costs 1000 · (0.005 + 0.02·0.4 + 0.01·0.16) = 14.6 kW and the output sits at 1.0 pu.
#[test]
fn eco_mode_ups_follows_its_input_and_loses_the_eco_curve() {
    let text = |mode: &str| {
        format!(
            r#"(
        version: 1, name: "eco",
        grid_feeds: [(id: "U", model: "utility-13.8kv-10mva", position_m: (0.0, 0.0))],
        transformers: [(id: "T", model: "xfmr-1000kva-13.8kv-415v", upstream: "U", position_m: (1.0, 0.0))],
        ups: [(id: "UPS", model: "ups-1000kw", upstream: "T", mode: {mode}, position_m: (2.0, 0.0))],
        distribution: [(id: "P", model: "pdu-415v-400a", upstream: "UPS", position_m: (3.0, 0.0))],
        racks: [(id: "R", model: "legacy-air-12kw", feed_a: "P", overrides: (rated_kw: 400.0, power_factor: 1.0), position_m: (4.0, 0.0))],
    )"#
        )
    };
    let mut eco = app_after(&parse(&text("Eco")), 1);
    let ups = state(&mut eco, "UPS");
    assert_rel(ups.losses_kw, 1000.0 * (0.002 + 0.005 * 0.4 + 0.003 * 0.16), 1e-9, "eco loss");
    assert_rel(ups.voltage_pu, ups.input_voltage_pu, 1e-12, "output follows input");
    assert!(ups.voltage_pu < 0.999, "the transformer's drop reaches the load: {}", ups.voltage_pu);
    assert_rel(ups.p_kw, 400.0 + ups.losses_kw, 1e-9, "input = load + loss");
    let mut dc = app_after(&parse(&text("DoubleConversion")), 1);
    let ups = state(&mut dc, "UPS");
    assert_rel(ups.losses_kw, 1000.0 * (0.005 + 0.02 * 0.4 + 0.01 * 0.16), 1e-9, "double-conversion loss");
    assert_rel(ups.voltage_pu, 1.0, 1e-12, "regulated output");
}

/// Load loss sets the winding resistance: two transformers that differ only in load loss
/// (7.778 vs 47.778 kW on 1000 kVA) lose `3·I²·ΔR` more at the same current, i.e. 40 kW × (I/I_n)².
#[test]
fn load_loss_sets_the_winding_resistance() {
    let text = |pk: &str| {
        format!(
            r#"(version: 1, name: "load loss",
        grid_feeds: [(id: "U", model: "utility-13.8kv-10mva", overrides: (short_circuit_mva: 0.0), position_m: (0.0, 0.0))],
        transformers: [(id: "T", model: "xfmr-1000kva-13.8kv-415v", upstream: "U", overrides: (load_loss_kw: {pk}), position_m: (1.0, 0.0))],
        ups: [(id: "UPS", model: "ups-1000kw", upstream: "T", position_m: (1.5, 0.0))],
        distribution: [(id: "P", model: "pdu-415v-400a", upstream: "UPS", overrides: (breaker_a: 2000.0), position_m: (2.0, 0.0))],
        racks: [(id: "R", model: "legacy-air-12kw", feed_a: "P", overrides: (rated_kw: 500.0, power_factor: 1.0), position_m: (3.0, 0.0))],
    )"#
        )
    };
    let mut low = app_after(&parse(&text("7.778")), 1);
    let mut high = app_after(&parse(&text("47.778")), 1);
    let (tl, th) = (state(&mut low, "T"), state(&mut high, "T"));
    // The UPS draws constant power, so the current rises a little with the larger drop; compare
    // each with its own current: loss = P0·(V/Vn)² + Pk·(I/In)².
    let i_n = 1000e3 / (3f64.sqrt() * 415.0);
    for (t, pk) in [(&tl, 7.778), (&th, 47.778)] {
        let core = 0.973 * t.voltage_pu * t.voltage_pu;
        let copper = pk * (t.output_current_a / i_n).powi(2);
        assert_rel(t.losses_kw, core + copper, 1e-6, &format!("losses with Pk = {pk} kW"));
    }
    assert!(th.losses_kw > tl.losses_kw + 40.0 * (tl.output_current_a / i_n).powi(2) * 0.99);
}

/// A constant-power load at the end of a long cable, close to and beyond the nose of its PV
/// curve. One series impedance `Z = R + jX` (1000 kVA transformer without core, referred to
/// 415 V, plus 300 m of 95 mm² cable) from an ideal 415 V source: per phase
/// `|V|⁴ + (2(RP + XQ) − E²)|V|² + |Z|²|S|² = 0`, which has a real root only while
/// `P ≤ P_max = E² / (2·(R + X·tanφ + |Z|/cosφ))` (its discriminant is zero there).
/// At 99.5 % of `P_max` (where the plain sweep crawls) the solver must find the high root; at
/// 102 % it must say there is no solution and that the network carries 1/1.02 = 98.04 % of it.
#[test]
fn near_and_beyond_the_nose_of_the_pv_curve() {
    let e = 415.0 / 3f64.sqrt();
    let z_base = 0.415f64 * 0.415 / 1.0;
    let r_t = 7.778 / 1000.0 * z_base;
    let x_t = ((0.055 * z_base).powi(2) - r_t * r_t).sqrt();
    let (r, x) = (r_t + 0.246 * 0.3, x_t + 0.08 * 0.3);
    let pf: f64 = 0.98;
    let tan = (1.0 - pf * pf).sqrt() / pf;
    let z = (r * r + x * x).sqrt();
    let p_max = e * e / (2.0 * (r + x * tan + z / pf)); // per phase, W
    let site = |fraction: f64| {
        parse(&format!(
            r#"(version: 1, name: "nose",
        grid_feeds: [(id: "U", model: "utility-13.8kv-10mva", overrides: (short_circuit_mva: 0.0), position_m: (0.0, 0.0))],
        transformers: [(id: "T", model: "xfmr-1000kva-13.8kv-415v", upstream: "U", overrides: (no_load_loss_kw: 0.0, no_load_current_pct: 0.0), position_m: (1.0, 0.0))],
        distribution: [(id: "P", model: "pdu-415v-400a", upstream: "T", feeder: (cable: "cu-xlpe-4c-95mm2-lv", length_m: 300.0), position_m: (2.0, 0.0))],
        racks: [(id: "R", model: "gb200-nvl72", feed_a: "P", overrides: (rated_kw: {}, power_factor: {pf}), position_m: (3.0, 0.0))],
    )"#,
            3.0 * p_max * fraction / 1e3
        ))
    };
    // 99.5 %: the high-voltage root of the quartic.
    let p = p_max * 0.995;
    let q = p * tan;
    let b = 2.0 * (r * p + x * q) - e * e;
    let v_expected = ((-b + (b * b - 4.0 * z * z * (p * p + q * q)).sqrt()) / 2.0).sqrt();
    let mut app = app_after(&site(0.995), 1);
    let totals = app.world().resource::<dctwin::sim::electrical::SiteTotals>().clone();
    assert!(totals.converged, "a solution exists at 99.5 % of the nose: {totals:?}");
    let v = rack(&mut app, "R").a.voltage_pu;
    assert_rel(v, v_expected / e, 1e-9, "rack voltage at 99.5 % of the maximum transfer");
    assert!(v < 0.75, "this close to the nose the voltage is low: {v}");
    // 102 %: no solution; the loadability is 1/1.02 of the demand.
    let app = app_after(&site(1.02), 1);
    let totals = app.world().resource::<dctwin::sim::electrical::SiteTotals>().clone();
    assert!(!totals.converged);
    let l = totals.loadability.expect("no solution, with its loadability");
    assert!((l - 1.0 / 1.02).abs() < 2e-4, "loadability {l} vs {}", 1.0 / 1.02);
    let log = app.world().resource::<dctwin::sim::limits::AlertLog>();
    let a = log.alerts.iter().find(|a| a.quantity == dctwin::sim::limits::Quantity::VoltageCollapse).expect("alert");
    assert!((a.value - 100.0 / 1.02).abs() < 0.02, "{a:?}");
}
