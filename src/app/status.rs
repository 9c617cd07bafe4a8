//! What the plan, tooltips and the single-line diagram show for each element: one flat table
//! refreshed once per frame when the simulation has stepped (not once per fixed step), so drawing
//! never walks the solver's structures.

use bevy::platform::collections::HashMap;

use bevy::prelude::*;

use crate::sim::SimClock;
use crate::sim::components::*;
use crate::sim::electrical::ElectricalNetwork;
use crate::sim::limits::{AlertLog, Severity};
use crate::sim::thermal::{CoolingPlant, RackInputs, rack_thermal};
use crate::sim::world::{CoolingLayout, RackCooling};
use crate::site::element::EquipmentKind;

/// The latest results of one element, in the units the UI shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ElementStatus {
    /// Kind, for legends and grouping.
    pub kind: Option<EquipmentKind>,
    /// Own loading against its rating, % (cooling units: duty against capacity).
    pub loading_pct: Option<f64>,
    /// Rack inlet air, °C.
    pub inlet_c: Option<f64>,
    /// The inlet's allowable maximum for the rack's zone class, °C.
    pub inlet_allowable_c: Option<f64>,
    /// Smallest margin to any of its limits, % of the limit.
    pub headroom_pct: Option<f64>,
    /// Real power drawn (electrical elements and racks), kW.
    pub p_kw: Option<f64>,
    /// Refresh that last wrote this entry (older entries belong to deleted elements).
    pub stamp: u64,
    /// Most severe active alert on this element.
    pub alert: Option<Severity>,
    /// In service and live.
    pub live: bool,
}

/// Status of every element by id, and the step it was taken at.
#[derive(Resource, Debug, Default)]
pub struct SiteStatus {
    /// By element id.
    pub by_id: HashMap<String, ElementStatus>,
    /// `SimClock::steps` when refreshed.
    pub steps: u64,
    /// Bumped on every refresh, so views can tell they are stale.
    pub generation: u64,
}

/// Lowest inlet used as the "cold" end of the inlet margin, °C (ASHRAE recommended minimum).
const INLET_COLD_C: f64 = 18.0;

type StatusColumns<'a> = (
    Entity,
    &'a ElementId,
    &'a InService,
    Option<RackInputs>,
    Option<&'a RackFeeds>,
    &'a Kind,
    Option<&'a crate::sim::electrical::Circuit>,
);

/// Rebuilds [`SiteStatus`] from the world (also callable from tests).
pub fn refresh_status(world: &mut World) {
    let mut q = world.query::<StatusColumns>();
    let steps = world.get_resource::<SimClock>().map(|c| c.steps).unwrap_or(0);
    let mut alerts: HashMap<&str, Severity> = HashMap::new();
    let log = world.get_resource::<AlertLog>();
    if let Some(log) = log {
        for a in log.active() {
            let e = alerts.entry(a.element.as_str()).or_insert(a.severity);
            *e = (*e).max(a.severity);
        }
    }
    let alerts: HashMap<String, Severity> = alerts.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    // Reuse last refresh's table: updating a value in place allocates nothing, where building a
    // fresh map of 15k ids costs tens of milliseconds at 10k racks.
    let (mut by_id, stamp) = match world.get_resource_mut::<SiteStatus>() {
        Some(mut s) => (std::mem::take(&mut s.by_id), s.generation + 1),
        None => (HashMap::default(), 1),
    };
    fn put(map: &mut HashMap<String, ElementStatus>, id: &str, s: ElementStatus) {
        match map.get_mut(id) {
            Some(slot) => *slot = s,
            None => {
                map.insert(id.to_string(), s);
            }
        }
    }
    let plant = world.get_resource::<CoolingPlant>();
    let zone_allowable: HashMap<String, f64> =
        plant.map(|p| p.zones.iter().map(|z| (z.id.clone(), z.class.allowable_max_c())).collect()).unwrap_or_default();
    let mut rack_feeds: Vec<(&str, &str, Option<&str>)> = Vec::new();

    let net = world.get_resource::<ElectricalNetwork>();
    for (entity, id, in_service, rack, feeds, kind, circuit) in q.iter(world) {
        let mut s =
            ElementStatus { kind: Some(kind.0), alert: alerts.get(&id.0).copied(), stamp, ..Default::default() };
        // Network elements (they have a circuit) have load-flow results.
        if let (Some(net), Some(_)) = (net, circuit) {
            let st = &net.state(entity);
            s.live = in_service.0 && st.energized;
            s.loading_pct = Some(st.loading_pct.max(st.feeder_loading_pct));
            s.p_kw = Some(st.p_kw);
            // The margin of the limit the headroom table says binds first (continuous ratings,
            // cables and voltage included), not just 100 % minus the loading.
            s.headroom_pct = circuit.and_then(|c| crate::sim::limits::binding_margin_pct(st, c));
        }
        if let (Some(rack), Some(net)) = (rack, net) {
            let p = rack.power(net);
            let cooling = rack.cooling;
            s.live = in_service.0 && p.powered;
            s.p_kw = Some(p.p_kw);
            let thermal = plant.and_then(|plant| rack.thermal(plant, net));
            if let Some(t) = thermal.filter(|_| cooling.and_then(|c| c.zone.as_ref()).is_some()) {
                let allowable = cooling.and_then(|c| c.zone.as_ref()).and_then(|z| zone_allowable.get(z)).copied();
                s.inlet_c = Some(t.inlet_c);
                s.inlet_allowable_c = allowable;
                if let Some(a) = allowable {
                    s.headroom_pct = Some((a - t.inlet_c) / (a - INLET_COLD_C) * 100.0);
                }
            }
            if let Some(f) = feeds {
                rack_feeds.push((id.0.as_str(), f.a.as_str(), f.b.as_deref()));
            }
        }
        put(&mut by_id, &id.0, s);
    }
    // A rack has no breaker of its own: its loading is that of the busiest element feeding it.
    for (rack, a, b) in rack_feeds {
        // One look-up per feed for both its loading and its margin.
        let (mut feed_loading, mut feed_margin): (Option<f64>, Option<f64>) = (None, None);
        for f in [Some(a), b].into_iter().flatten() {
            if let Some(s) = by_id.get(f) {
                if let Some(l) = s.loading_pct {
                    feed_loading = Some(feed_loading.map_or(l, |m| m.max(l)));
                }
                if let Some(h) = s.headroom_pct {
                    feed_margin = Some(feed_margin.map_or(h, |m| m.min(h)));
                }
            }
        }
        if let Some(s) = by_id.get_mut(rack) {
            s.loading_pct = feed_loading;
            s.headroom_pct = match (s.headroom_pct, feed_margin) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
    }
    if let Some(plant) = world.get_resource::<CoolingPlant>() {
        let mut cooling = |id: &str, kind, duty_w: f64, capacity_w: f64, live: bool| {
            let pct = if capacity_w > 0.0 { duty_w / capacity_w * 100.0 } else { 0.0 };
            put(
                &mut by_id,
                id,
                ElementStatus {
                    kind: Some(kind),
                    loading_pct: Some(pct),
                    headroom_pct: Some(100.0 - pct),
                    alert: alerts.get(id).copied(),
                    live,
                    stamp,
                    ..Default::default()
                },
            );
        };
        for c in &plant.crahs {
            let cap = c.rating.rated_cooling_kw * 1e3;
            cooling(&c.id, EquipmentKind::Crah, c.coil_w, cap, c.supply.in_service && c.supply.powered);
        }
        for c in &plant.cdus {
            let cap = c.rating.capacity_kw * 1e3;
            cooling(&c.id, EquipmentKind::Cdu, c.rack_heat_w, cap, c.supply.in_service && c.supply.powered);
        }
        for c in &plant.chillers {
            let live = c.supply.in_service && c.supply.powered;
            cooling(&c.id, EquipmentKind::Chiller, c.cooling_w, c.available_w.max(1.0), live);
        }
        for c in &plant.heat_rejection {
            let cap = c.rating.capacity_kw * 1e3;
            let live = c.supply.in_service && c.supply.powered;
            cooling(&c.id, EquipmentKind::HeatRejection, c.rejected_w, cap, live);
        }
        for z in &plant.zones {
            let status = ElementStatus {
                kind: Some(EquipmentKind::Zone),
                inlet_c: Some(z.hottest_inlet_c),
                inlet_allowable_c: Some(z.class.allowable_max_c()),
                alert: alerts.get(&z.id).copied(),
                live: true,
                stamp,
                ..Default::default()
            };
            put(&mut by_id, &z.id, status);
        }
        for l in &plant.loops {
            let status = ElementStatus {
                kind: Some(EquipmentKind::WaterLoop),
                alert: alerts.get(&l.id).copied(),
                live: l.flowing(),
                stamp,
                ..Default::default()
            };
            put(&mut by_id, &l.id, status);
        }
    } else if let Some(layout) = world.get_resource::<CoolingLayout>() {
        for z in &layout.zones {
            put(&mut by_id, &z.id, ElementStatus { kind: Some(EquipmentKind::Zone), stamp, ..Default::default() });
        }
    }
    by_id.retain(|_, s| s.stamp == stamp);
    let mut status = world.get_resource_or_insert_with(SiteStatus::default);
    status.by_id = by_id;
    status.steps = steps;
    status.generation = stamp;
}

/// Key figures of one element for a tooltip, `(label, value with unit)` (computed on demand: only
/// the hovered element needs them).
pub fn figures(world: &mut World, id: &str) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if let Some(e) = crate::sim::world::find_element(world, id) {
        let entity = world.entity(e);
        if entity.contains::<crate::sim::electrical::Circuit>()
            && let Some(st) = &crate::sim::electrical::element_state(world, e)
        {
            out.push(("Voltage", format!("{:.0} V ({:.3} pu)", st.voltage_v, st.voltage_pu)));
            out.push(("Power", format!("{:.1} kW, {:.1} kvar", st.p_kw, st.q_kvar)));
            out.push(("Current", format!("{:.0} A", st.input_current_a)));
            out.push(("Loading", format!("{:.1} %", st.loading_pct)));
            out.push(("Losses", format!("{:.2} kW", st.losses_kw + st.feeder_losses_kw)));
        }
        if let (Some(rack), Some(p)) = (entity.get::<Rack>(), crate::sim::electrical::rack_power(world, e)) {
            out.push(("Power", format!("{:.1} of {:.1} kW", p.p_kw, rack.rating.rated_kw)));
            out.push(("Utilization", format!("{:.0} %", Utilization::of(entity.get::<Utilization>()) * 100.0)));
            let b = p.b.filter(|b| b.live).map(|b| format!(", B {:.0} A", b.current_a)).unwrap_or_default();
            out.push(("Cords", format!("A {:.0} A{b}", p.a.current_a)));
            if let (Some(t), Some(_)) =
                (rack_thermal(world, e), entity.get::<RackCooling>().and_then(|c| c.zone.as_ref()))
            {
                out.push(("Inlet / outlet", format!("{:.1} / {:.1} °C", t.inlet_c, t.outlet_c)));
            }
        }
        return out;
    }
    let Some(plant) = world.get_resource::<CoolingPlant>() else { return out };
    if let Some(c) = plant.crahs.iter().find(|c| c.id == id) {
        out.push(("Coil duty", format!("{:.0} of {:.0} kW", c.coil_w / 1e3, c.rating.rated_cooling_kw)));
        out.push(("Fan", format!("{:.0} % speed, {:.1} kW", c.fan_speed * 100.0, c.fan_w / 1e3)));
    } else if let Some(c) = plant.cdus.iter().find(|c| c.id == id) {
        out.push(("Heat", format!("{:.0} of {:.0} kW", c.rack_heat_w / 1e3, c.rating.capacity_kw)));
        out.push(("Supply", format!("{:.1} °C", c.supply_c)));
        out.push(("Pump", format!("{:.1} kW", c.pump_w / 1e3)));
    } else if let Some(c) = plant.chillers.iter().find(|c| c.id == id) {
        out.push(("Cooling", format!("{:.0} of {:.0} kW available", c.cooling_w / 1e3, c.available_w / 1e3)));
        out.push(("Power", format!("{:.0} kW", c.power_w / 1e3)));
    } else if let Some(c) = plant.heat_rejection.iter().find(|c| c.id == id) {
        out.push(("Rejected", format!("{:.0} of {:.0} kW", c.rejected_w / 1e3, c.rating.capacity_kw)));
        out.push(("Fans", format!("{:.1} kW", c.fan_w / 1e3)));
    } else if let Some(z) = plant.zones.iter().find(|z| z.id == id) {
        out.push(("Room / supply", format!("{:.1} / {:.1} °C", z.room_c, z.supply_c)));
        out.push(("Equipment mass", format!("{:.1} °C", z.equipment_mass_c)));
        out.push((
            "Hottest inlet",
            format!("{:.1} °C (allowable {:.0})", z.hottest_inlet_c, z.class.allowable_max_c()),
        ));
        out.push(("Heat load", format!("{:.0} kW", z.heat_load_w / 1e3)));
    } else if let Some(l) = plant.loops.iter().find(|l| l.id == id) {
        out.push(("Supply", format!("{:.1} °C (setpoint {:.1})", l.supply_c, l.setpoint_c)));
        out.push(("Heat in", format!("{:.0} kW", l.heat_in_w / 1e3)));
        out.push(("Free cooling", if l.free_cooling { "yes".into() } else { "no".into() }));
    }
    out
}
