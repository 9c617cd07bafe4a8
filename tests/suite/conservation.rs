//! Conservation laws on every example site: energy balance and Kirchhoff's current law.

use bevy::prelude::*;
use dctwin::sim::components::*;
use dctwin::sim::electrical::network::{C64, NodeRole};
use dctwin::sim::electrical::{ElectricalNetwork, RackCordNodes, SiteTotals};

use crate::support::*;

/// Grid import = IT load + all losses, summed from per-element results (not from the totals).
#[test]
fn import_equals_it_load_plus_losses_on_every_example_site() {
    for path in example_sites() {
        let mut app = app_after(&load(&path), 2);
        let world = app.world_mut();
        let mut import_kw = 0.0;
        let mut losses_kw = 0.0;
        let mut q = world.query_filtered::<(Entity, Option<&GridFeed>), With<dctwin::sim::electrical::Circuit>>();
        let net = world.resource::<dctwin::sim::electrical::ElectricalNetwork>();
        for (e, feed) in q.iter(world) {
            let s = net.state(e);
            if feed.is_some() {
                import_kw += s.p_kw;
            } else {
                losses_kw += s.losses_kw + s.feeder_losses_kw;
            }
        }
        let mut it_kw = 0.0;
        let mut q = world.query::<(Entity, &Rack)>();
        for (e, _) in q.iter(world) {
            let p = dctwin::sim::electrical::rack_power(world, e).unwrap();
            it_kw += p.a.p_kw + p.b.map_or(0.0, |b| b.p_kw);
        }
        // Cooling fans, pumps and chillers drawn through the network in this solve.
        let cooling_kw: f64 =
            world.resource::<ElectricalNetwork>().applied_cooling.iter().map(|(_, s)| s.re / 1e3).sum();
        assert!(it_kw > 0.0 && losses_kw > 0.0, "{}: a loaded site has losses", path.display());
        assert_rel(import_kw, it_kw + losses_kw + cooling_kw, 1e-6, &format!("{}: energy balance", path.display()));
        let totals = world.resource::<SiteTotals>();
        assert!(totals.converged);
        assert_rel(totals.grid_import_kw, import_kw, 1e-12, "totals agree with elements");
    }
}

/// At every node: the current leaving the output terminal equals the children's input currents
/// plus the rack cord currents (recomputed from each rack's P/Q and the node voltage) plus the
/// core-loss shunt current. Across every transformer, UPS and cable, power in = power out + loss.
#[test]
fn kirchhoff_current_law_at_every_node() {
    for path in example_sites() {
        let mut app = app_after(&load(&path), 2);
        let world = app.world_mut();
        let mut cords: Vec<(RackCordNodes, RackPower)> = Vec::new();
        let mut q = world.query::<(Entity, &RackCordNodes)>();
        for (e, c) in q.iter(world) {
            cords.push((*c, dctwin::sim::electrical::rack_power(world, e).unwrap()));
        }
        let net = world.resource::<ElectricalNetwork>();
        let (network, flow) = (&net.network, &net.flow);
        let n = network.nodes().len();
        let mut injected = vec![C64::new(0.0, 0.0); n];
        for &(k, s) in &net.applied_cooling {
            injected[k] += (s / 3.0 / flow.v_out[k]).conj();
        }
        for (k, node) in network.nodes().iter().enumerate() {
            if let Some(p) = node.parent
                && node.energized
            {
                injected[p] += flow.i_in[k];
            }
        }
        for (c, p) in &cords {
            for (node, cord) in [(c.a, Some(p.a)), (c.b, p.b)] {
                if let (Some(k), Some(cord)) = (node, cord)
                    && cord.p_kw != 0.0
                {
                    let k = k as usize;
                    let s = C64::new(cord.p_kw * 1e3, cord.q_kvar * 1e3);
                    injected[k] += (s / 3.0 / flow.v_out[k]).conj();
                }
            }
        }
        let mut checked = 0;
        for (k, node) in network.nodes().iter().enumerate() {
            if !node.energized {
                continue;
            }
            let expected = injected[k] + flow.v_out[k] * C64::new(node.g_shunt, -node.b_shunt);
            let scale = flow.i_out[k].norm().max(1.0);
            assert!(
                (flow.i_out[k] - expected).norm() / scale < 1e-6,
                "{}: KCL at node {k}: {} vs {}",
                path.display(),
                flow.i_out[k],
                expected
            );
            // Power across each element: in = out + loss.
            let p_in = flow.s_in(k).re;
            let p_out = flow.s_out(k).re;
            let r_feeder = 3.0 * flow.i_in[k].norm_sqr() * node.z_feeder.re;
            match node.role {
                // `p_out` includes the core-loss shunt at the LV terminal; the series branch adds I²R.
                NodeRole::Transformer => {
                    let copper = 3.0 * flow.i_out[k].norm_sqr() * node.z_series.re;
                    assert_rel(p_in, p_out + copper, 1e-6, "transformer power balance");
                }
                NodeRole::UpsDoubleConversion | NodeRole::UpsEco => {
                    let x = p_out / node.ups_loss.rated_w;
                    let loss =
                        node.ups_loss.rated_w * (node.ups_loss.a + node.ups_loss.b * x + node.ups_loss.c * x * x);
                    // The input carries its share; the battery the rest, the charger on top.
                    let input = flow.ups_input[k];
                    assert_rel(p_in, (p_out + loss) * input.share + input.charge_w, 1e-6, "UPS power balance");
                }
                NodeRole::Distribution => assert_rel(p_in, p_out, 1e-6, "distribution is lossless"),
                NodeRole::Generator => assert_rel(p_in, p_out, 1e-6, "a generator is an ideal source"),
                NodeRole::Feed => {}
            }
            // Cable: the parent delivers the input power plus the cable's I²R.
            if let Some(p) = node.parent {
                let delivered = 3.0 * (flow.v_out[p] * flow.i_in[k].conj()).re;
                assert_rel(delivered, p_in + r_feeder, 1e-6, "cable power balance");
            }
            checked += 1;
        }
        assert!(checked >= 5, "{}: checked {checked} nodes", path.display());
    }
}

/// Totals count every rack exactly once.
#[test]
fn totals_match_rack_sum() {
    let mut app = app_after(&load(&root().join("sites/ai_hall_20mw.ron")), 1);
    let totals = app.world().resource::<SiteTotals>().clone();
    // 150 GB200-class racks at 132 kW.
    assert_rel(totals.it_load_kw, 150.0 * 132.0, 1e-12, "AI hall IT load");
    assert_eq!(totals.unpowered_racks, 0);
    let world = app.world_mut();
    let mut q = world.query_filtered::<Entity, With<Transformer>>();
    let net = world.resource::<dctwin::sim::electrical::ElectricalNetwork>();
    assert_eq!(q.iter(world).filter(|&e| net.state(e).energized).count(), 20);
}

/// Energy stored in the plant's water and air (racks' metal included), J.
fn stored_j(app: &bevy::prelude::App) -> f64 {
    let p = app.world().resource::<dctwin::sim::thermal::CoolingPlant>();
    p.zones.iter().map(|z| z.stored_heat_j()).sum::<f64>()
        + p.loops.iter().map(|l| l.c_j_k * l.supply_c).sum::<f64>()
        + p.cdus.iter().map(|c| c.heat_capacity_j_k() * c.supply_c).sum::<f64>()
}

/// Every example site, settled: the power it takes from the grid (IT + electrical losses +
/// cooling power) leaves as heat to the outdoors (rejected from the water, tower fans, losses of
/// outdoor equipment) or is stored, to 0.1 %. Electrical losses heat the rooms their
/// equipment stands in and are cooled like any other heat.
#[test]
fn every_example_site_balances_power_in_and_heat_out() {
    let step = std::time::Duration::from_secs(60);
    for path in example_sites() {
        let mut app = dctwin::headless::build_app(&load(&path), &dctwin::catalog::Catalog::builtin(), step);
        dctwin::headless::advance(&mut app, 180);
        let before = stored_j(&app);
        dctwin::headless::advance(&mut app, 1);
        let stored_kw = (stored_j(&app) - before) / 60.0 / 1e3;
        let t = app.world().resource::<SiteTotals>().clone();
        let plant = app.world().resource::<dctwin::sim::thermal::CoolingPlant>();
        let supplied = t.it_load_kw + t.losses_kw() + t.cooling_kw;
        let out = plant.totals.heat_to_outdoors_w() / 1e3 + stored_kw;
        assert_rel(out, supplied, 1e-3, &format!("{}: heat out + stored vs power in", path.display()));
        // Losses of indoor equipment went into zones (not only outdoors).
        let indoor_losses: f64 = plant.zones.iter().map(|z| z.other_heat_w).sum::<f64>() / 1e3;
        assert_rel(indoor_losses + plant.totals.outdoor_losses_w / 1e3, t.losses_kw(), 1e-3, "every loss is somewhere");
        assert!(indoor_losses > 0.0, "{}: some losses heat a room", path.display());
    }
}
