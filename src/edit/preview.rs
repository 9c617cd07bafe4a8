//! What placing a rack would do, before the click: the loading each element above it would
//! reach (its feeds up to the grid, its CDU and its zone) and the first limit it would cross.
//!
//! The electrical part is exact: the present network with the rack's demand added on its live
//! cords, solved like a step (a copy; the world is not touched). The cooling part adds the
//! rack's heat to its CDU and zone at their present capacity (the plant's response to the new
//! heat shows in the steps after the rack is placed).

use bevy::prelude::*;

use super::ops;
use crate::sim::electrical::network::{cord_shares, mag};
use crate::sim::electrical::{Circuit, ElectricalNetwork, loading_pct, rack_demand};
use crate::sim::thermal::CoolingPlant;
use crate::sim::world::find_element;
use crate::site::element::{EquipmentKind, SiteElement};
use crate::site::spec::Modelled;

/// One element the rack would load.
#[derive(Debug, Clone, PartialEq)]
pub struct PreviewLine {
    /// Element id.
    pub element: String,
    /// What is loaded ("loading", "heat").
    pub what: &'static str,
    /// Loading now, percent of its limit.
    pub now_pct: f64,
    /// Loading with the rack placed, percent of its limit.
    pub after_pct: f64,
}

/// What placing one rack here would do.
#[derive(Debug, Clone, PartialEq)]
pub struct PlacementPreview {
    /// The id the rack would get.
    pub id: String,
    /// Its feeds' chains up to the grid (A first, shared elements once), then its CDU and zone.
    pub lines: Vec<PreviewLine>,
    /// What to do instead, when its CDU would go over its capacity: the nearest CDU with room.
    pub advice: Option<String>,
}

impl PlacementPreview {
    /// The first element (in chain order) the rack would take over its limit.
    pub fn first_crossed(&self) -> Option<&PreviewLine> {
        self.lines.iter().find(|l| l.after_pct > 100.0 && l.after_pct > l.now_pct)
    }

    /// How many racks like this one (this one included) fit here before an element above them
    /// reaches its limit, and that element: each adds the step this one adds to every line
    /// (an estimate: with the voltage sagging, currents grow a little faster than the load).
    /// `None` when no line grows (or one has no capacity).
    pub fn room(&self) -> Option<(&PreviewLine, u32)> {
        self.lines
            .iter()
            .filter(|l| l.after_pct.is_finite() && l.now_pct.is_finite() && l.after_pct > l.now_pct)
            .map(|l| (l, ((100.0 - l.now_pct) / (l.after_pct - l.now_pct)).floor().max(0.0)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(l, n)| (l, n.min(f64::from(u32::MAX)) as u32))
    }
}

/// The preview of placing one `model` rack at `at` (snapped to `grid_m`), connected as the
/// palette would connect it; `Err` with the reason when the placement would be refused.
pub fn placement_preview(
    world: &mut World,
    model: &str,
    at: (f64, f64),
    grid_m: f64,
) -> Result<PlacementPreview, String> {
    let edit = ops::place(world, EquipmentKind::Rack, model, at, grid_m)?;
    let Some(SiteElement::Rack(spec)) = edit.after.first() else {
        return Err("not a rack".into());
    };
    let catalog = super::catalog(world);
    let rating = spec.resolved(&catalog).ok_or_else(|| format!("`{model}` is not in the catalog"))?;
    // Where its heat would go: the same checks the edit meets when applied.
    let layout = world.get_resource::<crate::sim::world::CoolingLayout>();
    let facts = crate::site::spec::SiteFacts { has_cooling: layout.is_some_and(|l| l.has_cooling()) };
    let cdu_positions: Vec<(String, (f64, f64))> =
        layout.map(|l| l.cdus.iter().map(|c| (c.id.clone(), c.position_m)).collect()).unwrap_or_default();
    if let Some((_, problem)) = crate::site::rack_problems(spec, &catalog, facts).into_iter().next() {
        let no_cdus = cdu_positions.is_empty();
        return Err(if rating.liquid_fraction > 0.0 && no_cdus {
            format!("{problem}: place a CDU first")
        } else {
            problem
        });
    }
    let mut advice = None;
    let demand = rack_demand(&rating, spec.utilization);
    let feeds: Vec<Option<Entity>> = [Some(spec.feed_a.as_str()), spec.feed_b.as_deref()]
        .into_iter()
        .map(|f| f.and_then(|id| find_element(world, id)))
        .collect();
    let mut lines = Vec::new();

    if let Some(net) = world.get_resource::<ElectricalNetwork>() {
        let node = |e: Option<Entity>| e.and_then(|e| net.index.get(&e).copied());
        let (a, b) = (node(feeds[0]), node(feeds[1]));
        let live = |k: Option<usize>| k.filter(|&k| net.network.is_live(k));
        let (sa, sb) = cord_shares(live(a).is_some(), live(b).is_some());
        let mut flow = net.flow.clone();
        for (k, share) in [(live(a), sa), (live(b), sb)] {
            if let Some(k) = k {
                flow.s_load[k] += demand * share;
            }
        }
        if live(a).is_some() || live(b).is_some() {
            net.network.solve(&mut flow);
        }
        // Each cord's chain from its feed up to the grid; an element both chains share, once.
        let mut chain = Vec::new();
        for start in [a, b] {
            let mut k = start;
            while let Some(i) = k {
                if !chain.contains(&i) {
                    chain.push(i);
                }
                k = net.network.nodes()[i].parent;
            }
        }
        for k in chain {
            let node = &net.network.nodes()[k];
            let state = &net.node_state(k);
            let (Some(id), Some(circuit)) =
                (world.get::<crate::sim::components::ElementId>(node.entity), world.get::<Circuit>(node.entity))
            else {
                continue;
            };
            let after = if flow.converged {
                loading_pct(&circuit.limit, flow.s_out(k), mag(flow.i_in[k]), mag(flow.i_out[k]), node.v_nom_out)
            } else {
                f64::INFINITY
            };
            lines.push(PreviewLine {
                element: id.0.clone(),
                what: "loading",
                now_pct: state.loading_pct,
                after_pct: after,
            });
        }
    }

    if let Some(plant) = world.get_resource::<CoolingPlant>() {
        let p_w = demand.re;
        let lf = rating.liquid_fraction;
        if let Some(cdu) = spec.cdu.as_deref().and_then(|id| plant.cdus.iter().find(|c| c.id == id)) {
            let pct = |w: f64| if cdu.available_w > 0.0 { w / cdu.available_w * 100.0 } else { f64::INFINITY };
            let after_pct = pct(cdu.rack_heat_w + p_w * lf);
            lines.push(PreviewLine { element: cdu.id.clone(), what: "heat", now_pct: pct(cdu.rack_heat_w), after_pct });
            if after_pct > 100.0 {
                // The nearest CDU that would take the rack's liquid heat within its capacity.
                let here = spec.position_m;
                let position = |id: &str| cdu_positions.iter().find(|(c, _)| c == id).map(|(_, p)| *p);
                let distance =
                    |id: &str| position(id).map_or(f64::INFINITY, |p| (p.0 - here.0).powi(2) + (p.1 - here.1).powi(2));
                advice = Some(
                    plant
                        .cdus
                        .iter()
                        .filter(|c| c.id != cdu.id && c.rack_heat_w + p_w * lf <= c.available_w)
                        .min_by(|a, b| distance(&a.id).total_cmp(&distance(&b.id)))
                        .map_or_else(
                            || "no CDU has room for it: add a CDU".to_string(),
                            |c| format!("nearest CDU with room: {}", c.id),
                        ),
                );
            }
        }
        if let Some(zone) = spec.zone.as_deref().and_then(|id| plant.zone_slot(id)).map(|z| &plant.zones[z]) {
            let pct = |w: f64| {
                if zone.running_capacity_w > 0.0 { w / zone.running_capacity_w * 100.0 } else { f64::INFINITY }
            };
            lines.push(PreviewLine {
                element: zone.id.clone(),
                what: "heat",
                now_pct: pct(zone.heat_load_w),
                after_pct: pct(zone.heat_load_w + p_w * (1.0 - lf)),
            });
        }
    }
    Ok(PlacementPreview { id: spec.id.clone(), lines, advice })
}
