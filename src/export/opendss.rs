//! OpenDSS export: the site's electrical network as an OpenDSS script, for cross-checking
//! the load flow in an independent, widely trusted solver.
//!
//! # Element mapping
//! | dctwin | OpenDSS |
//! |---|---|
//! | first grid feed | `Circuit` (its Vsource) with `R1 X1 R0 X0` = the feed's source impedance |
//! | other grid feeds | `Vsource` with the same parameters |
//! | feeder cable | `Line` with `r1 x1 r0 x0` in ohms, `c1=c0=0`, `length=1 units=none` |
//! | transformer | 2-winding wye–wye `Transformer`, `XHL` = X %, `%loadloss` = R %, `%noloadloss` = P0 %, `%imag` = the magnetising susceptance B % (OpenDSS's `%imag` is the reactive part only; dctwin's `no_load_current_pct` is the magnitude), `ppm_antifloat=0`; OpenDSS puts the magnetising branch on winding 2 (LV), as dctwin does |
//! | UPS, double conversion | a constant-PQ `Load` on its input bus at the UPS's present input P/Q, and a near-ideal `Vsource` (1e-10 Ω) at 1.0 pu on its output bus |
//! | UPS, eco mode | same bus in and out; its losses as a constant-PQ `Load` |
//! | UPS on battery, its input lost | the `Vsource` on its output bus alone |
//! | switchboard, PDU, RPP, busway | no element: it shares its upstream bus |
//! | rack | one constant-PQ `Load` per live cord at its present P/Q |
//! | cooling unit (fan, pump, chiller) | a constant-PQ `Load` at the P/Q the last solve carried |
//!
//! Loads use `model=1` with `vminpu=0.5 vmaxpu=1.5`: OpenDSS otherwise turns constant-power loads
//! into constant impedance outside 0.95–1.05 pu. Wye–wye transformers avoid the 30° shift of
//! delta–wye; magnitudes are what is compared. Bus names are lowercase (`<id>_<index>`).

use std::collections::HashMap;
use std::fmt::Write as _;

use bevy::prelude::*;

use crate::sim::components::*;
use crate::sim::electrical::network::{C64, NodeRole};
use crate::sim::electrical::{Circuit, ElectricalNetwork, NodeLimit};
use crate::sim::world::SiteMeta;

/// Impedance of the near-ideal sources standing for UPS outputs, Ω (1e-9 pu drop at 2 kA).
const IDEAL_SOURCE_OHM: f64 = 1e-10;

/// The script and what dctwin computed for the same network, for comparison.
#[derive(Debug, Clone)]
pub struct OpenDssExport {
    /// The OpenDSS script.
    pub script: String,
    /// `(bus name, |V| line-to-neutral in V per dctwin, nominal line-to-neutral V)`.
    pub buses: Vec<(String, f64, f64)>,
    /// dctwin's losses in lines and transformers (what OpenDSS reports as circuit losses), W.
    pub losses_w: f64,
    /// The reactive power the same lines and transformers absorb (series reactance and
    /// magnetising branch), var.
    pub losses_var: f64,
}

/// Exports the world's solved network (run at least one step first).
pub fn export(world: &mut World) -> OpenDssExport {
    let site = world.get_resource::<SiteMeta>().map(|m| m.name.clone()).unwrap_or_else(|| "site".into());
    let mut ids: HashMap<Entity, String> = HashMap::new();
    let mut q = world.query::<(Entity, &ElementId)>();
    for (e, id) in q.iter(world) {
        ids.insert(e, id.0.clone());
    }
    let mut circuits: HashMap<Entity, Circuit> = HashMap::new();
    let mut q = world.query::<(Entity, &Circuit)>();
    for (e, c) in q.iter(world) {
        circuits.insert(e, c.clone());
    }
    let mut rack_rows = Vec::new();
    let mut q = world.query::<(&ElementId, &InService, &crate::sim::electrical::RackCordNodes)>();
    let net = world.resource::<ElectricalNetwork>();
    for (id, in_service, cords) in q.iter(world) {
        rack_rows.push((id.0.clone(), net.rack_power(in_service.0, cords), *cords));
    }
    rack_rows.sort_by(|a, b| crate::site::save::natural_cmp(&a.0, &b.0));
    let net = world.resource::<ElectricalNetwork>();
    let (network, flow) = (&net.network, &net.flow);

    let name = |k: usize| -> String {
        let id = ids.get(&network.nodes()[k].entity).map(String::as_str).unwrap_or("node");
        format!("{}_{k}", sanitize(id))
    };
    let kv_ll = |v_ln: f64| v_ln * 3f64.sqrt() / 1000.0;
    let mut out_bus: Vec<String> = vec![String::new(); network.nodes().len()];
    let mut s = String::new();
    let mut buses: Vec<(String, f64, f64)> = Vec::new();
    let mut losses_w = 0.0;
    let mut losses_var = 0.0;
    let _ = writeln!(s, "! OpenDSS export of dctwin site \"{}\"", site.replace('"', "'"));
    let _ = writeln!(s, "! Element mapping: see src/export/opendss.rs. Loads are at dctwin's present P/Q.");
    let _ = writeln!(s, "Clear");
    let mut circuit_done = false;
    for (k, node) in network.nodes().iter().enumerate() {
        if !node.energized {
            continue;
        }
        // A UPS on battery with its input lost is a source of its own: its output alone.
        let islanded = node.parent.is_some_and(|p| !network.nodes()[p].energized);
        if islanded {
            let own_bus = name(k);
            let _ = writeln!(
                s,
                "New Vsource.{own_bus} bus1={own_bus} basekv={} pu=1.0 angle=0 phases=3 R1={IDEAL_SOURCE_OHM} X1={IDEAL_SOURCE_OHM} R0={IDEAL_SOURCE_OHM} X0={IDEAL_SOURCE_OHM}",
                num(kv_ll(node.v_nom_out))
            );
            buses.push((own_bus.clone(), flow.v_out[k].norm(), node.v_nom_out));
            out_bus[k] = own_bus;
            continue;
        }
        // Input bus: the parent's output, or a bus of its own behind a feeder cable.
        let in_bus = match node.parent {
            Some(p) if node.z_feeder.norm() > 0.0 => {
                let b = format!("{}_in", name(k));
                let z = node.z_feeder;
                let _ = writeln!(
                    s,
                    "New Line.cable_{} bus1={} bus2={b} phases=3 r1={} x1={} r0={} x0={} c1=0 c0=0 length=1 units=none",
                    name(k),
                    out_bus[p],
                    num(z.re),
                    num(z.im),
                    num(z.re),
                    num(z.im)
                );
                buses.push((b.clone(), flow.v_in[k].norm(), node.v_nom_in));
                losses_w += flow.feeder_loss_w(network, k);
                losses_var += 3.0 * flow.i_in[k].norm_sqr() * node.z_feeder.im;
                b
            }
            Some(p) => out_bus[p].clone(),
            None => String::new(),
        };
        let own_bus = name(k);
        // An eco-mode UPS whose battery carries part of the load runs on its inverter.
        let on_inverter = node.role == NodeRole::UpsEco && flow.ups_input.get(k).is_some_and(|u| u.share < 1.0);
        let role = if on_inverter { NodeRole::UpsDoubleConversion } else { node.role };
        match role {
            // A running generator is a source like a feed (its regulator holds its voltage).
            NodeRole::Feed | NodeRole::Generator => {
                let z = if node.z_series.norm() > 0.0 {
                    node.z_series
                } else {
                    C64::new(IDEAL_SOURCE_OHM, IDEAL_SOURCE_OHM)
                };
                let head = if circuit_done {
                    format!("New Vsource.{own_bus}")
                } else {
                    format!("New Circuit.{}", sanitize(&site))
                };
                circuit_done = true;
                let _ = writeln!(
                    s,
                    "{head} bus1={own_bus} basekv={} pu=1.0 angle=0 phases=3 R1={} X1={} R0={} X0={}",
                    num(kv_ll(node.v_nom_in)),
                    num(z.re),
                    num(z.im),
                    num(z.re),
                    num(z.im)
                );
                buses.push((own_bus.clone(), flow.v_out[k].norm(), node.v_nom_out));
                out_bus[k] = own_bus;
            }
            NodeRole::Transformer => {
                let Some(c) = circuits.get(&node.entity) else { continue };
                let NodeLimit::TransformerRating { rated_kva } = c.limit else { continue };
                let z_base = node.v_nom_out * node.v_nom_out * 3.0 / (rated_kva * 1000.0);
                let _ = writeln!(
                    s,
                    "New Transformer.{own_bus} phases=3 windings=2 buses=[{in_bus} {own_bus}] conns=[wye wye] kVs=[{} {}] kVAs=[{} {}] XHL={} %loadloss={} %noloadloss={} %imag={} ppm_antifloat=0",
                    num(c.input_kv),
                    num(c.output_kv),
                    num(rated_kva),
                    num(rated_kva),
                    num(node.z_series.im / z_base * 100.0),
                    num(node.z_series.re / z_base * 100.0),
                    num(node.g_shunt * z_base * 100.0),
                    num(node.b_shunt * z_base * 100.0)
                );
                buses.push((own_bus.clone(), flow.v_out[k].norm(), node.v_nom_out));
                losses_w += flow.element_loss_w(network, k);
                losses_var +=
                    3.0 * flow.i_out[k].norm_sqr() * node.z_series.im + 3.0 * node.b_shunt * flow.v_out[k].norm_sqr();
                out_bus[k] = own_bus;
            }
            NodeRole::UpsDoubleConversion => {
                let s_in = flow.s_in(k);
                let _ = writeln!(
                    s,
                    "New Load.{own_bus}_rectifier bus1={in_bus} phases=3 conn=wye kV={} kW={} kvar={} model=1 vminpu=0.5 vmaxpu=1.5",
                    num(kv_ll(node.v_nom_in)),
                    num(s_in.re / 1000.0),
                    num(s_in.im / 1000.0)
                );
                let _ = writeln!(
                    s,
                    "New Vsource.{own_bus} bus1={own_bus} basekv={} pu=1.0 angle=0 phases=3 R1={IDEAL_SOURCE_OHM} X1={IDEAL_SOURCE_OHM} R0={IDEAL_SOURCE_OHM} X0={IDEAL_SOURCE_OHM}",
                    num(kv_ll(node.v_nom_out))
                );
                buses.push((own_bus.clone(), flow.v_out[k].norm(), node.v_nom_out));
                out_bus[k] = own_bus;
            }
            NodeRole::UpsEco => {
                let loss_kw = flow.element_loss_w(network, k) / 1000.0;
                let _ = writeln!(
                    s,
                    "New Load.{own_bus}_loss bus1={in_bus} phases=3 conn=wye kV={} kW={} kvar=0 model=1 vminpu=0.5 vmaxpu=1.5",
                    num(kv_ll(node.v_nom_in)),
                    num(loss_kw)
                );
                out_bus[k] = in_bus;
            }
            NodeRole::Distribution => out_bus[k] = in_bus,
        }
    }
    for (id, power, cords) in &rack_rows {
        for (cord, state, node) in [("a", Some(power.a), cords.a), ("b", power.b, cords.b)] {
            let (Some(state), Some(node)) = (state, node) else {
                continue;
            };
            let k = node as usize;
            if !state.live || state.p_kw == 0.0 && state.q_kvar == 0.0 || !network.nodes()[k].energized {
                continue;
            }
            let _ = writeln!(
                s,
                "New Load.{}_{cord} bus1={} phases=3 conn=wye kV={} kW={} kvar={} model=1 vminpu=0.5 vmaxpu=1.5",
                sanitize(id),
                out_bus[k],
                num(kv_ll(network.nodes()[k].v_nom_out)),
                num(state.p_kw),
                num(state.q_kvar)
            );
        }
    }
    for (i, &(k, s_va)) in net.applied_cooling.iter().enumerate() {
        let _ = writeln!(
            s,
            "New Load.aux_{i} bus1={} phases=3 conn=wye kV={} kW={} kvar={} model=1 vminpu=0.5 vmaxpu=1.5",
            out_bus[k],
            num(kv_ll(network.nodes()[k].v_nom_out)),
            num(s_va.re / 1000.0),
            num(s_va.im / 1000.0)
        );
    }
    let _ = writeln!(s, "Set mode=snap tolerance=1e-12 maxiterations=1000");
    let _ = writeln!(s, "Solve");
    OpenDssExport { script: s, buses, losses_w, losses_var }
}

/// OpenDSS names: lowercase letters, digits and underscores.
fn sanitize(id: &str) -> String {
    id.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect()
}

/// Full-precision number (Rust's shortest round-trip form).
fn num(x: f64) -> String {
    format!("{x:?}")
}
