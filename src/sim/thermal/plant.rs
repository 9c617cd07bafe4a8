//! The cooling plant as plain data: zones and CRAHs ([`super::zone`]), CDUs, water loops,
//! chillers and heat rejection ([`super::water`]), and the step that advances them together.
//! No ECS here, so it can be tested and timed alone.
//!
//! # A step
//! Racks' heat and the units' power are given for the whole step. The step is cut into
//! sub-steps of at most [`MAX_SUBSTEP_S`]: in each, every zone is integrated exactly across its
//! coil regimes at its CRAHs' loop temperatures, every CDU against its facility water, then
//! every loop takes the heat its coils and CDUs passed it and its plant runs. The sub-step only
//! bounds how long a loop's temperature is taken as constant by the zones and CDUs on it, so
//! an hour-long step gives the same answers as one-second steps. Results are means over the
//! step (power, heat) or end values (temperatures).
//!
//! # Initial state
//! A run starts from the steady state of the healthy site: every rack, CRAH, pump and CDU in
//! service and running, loops at their setpoints. Elements out of service fail at t = 0.

use std::collections::HashMap;

use bevy::prelude::Entity;
use serde::Serialize;

use super::RackThermal;
use super::two_node::TwoNode;
use super::water;
use super::zone::{self, CoilRating};
use crate::catalog::Catalog;
use crate::sim::world::{CoolingLayout, RackCooling};

pub use super::water::{CduUnit, ChillerUnit, HeatRejectionUnit, LoopState};
pub use super::zone::{CrahUnit, ZoneState};

/// Air temperature rise of electrical equipment in a zone (UPS, switchgear), K: the
/// traditional 20 °F design rise (physics-reference 2.2).
pub const EQUIPMENT_AIR_RISE_K: f64 = 11.1;

/// Longest sub-step of the plant, s: the time over which a loop's temperature is held constant
/// for the zones and CDUs on it.
pub const MAX_SUBSTEP_S: f64 = 10.0;

/// Exact solution of `C·dT/dt = Q − G·(T − T_ref)` after `dt` seconds (G ≥ 0).
pub fn first_order(t: f64, q_w: f64, g_w_k: f64, t_ref: f64, c_j_k: f64, dt: f64) -> f64 {
    if g_w_k <= 0.0 {
        return t + q_w * dt / c_j_k;
    }
    let t_inf = t_ref + q_w / g_w_k;
    t_inf + (t - t_inf) * (-g_w_k * dt / c_j_k).exp()
}

/// Seconds until `C·dT/dt = Q − G·(T − T_ref)`, started at `t`, reaches `limit`; `None` if never.
pub fn time_to_reach(t: f64, q_w: f64, g_w_k: f64, t_ref: f64, c_j_k: f64, limit: f64) -> Option<f64> {
    if t >= limit {
        return Some(0.0);
    }
    if g_w_k <= 0.0 {
        return (q_w > 0.0).then(|| (limit - t) * c_j_k / q_w);
    }
    let t_inf = t_ref + q_w / g_w_k;
    if t_inf <= limit {
        return None;
    }
    Some(-(c_j_k / g_w_k) * ((t_inf - limit) / (t_inf - t)).ln())
}

/// DOE-2 biquadratic `a + b·x + c·x² + d·y + e·y² + f·x·y`.
pub fn biquadratic(k: &[f64; 6], x: f64, y: f64) -> f64 {
    k[0] + k[1] * x + k[2] * x * x + k[3] * y + k[4] * y * y + k[5] * x * y
}

/// Where an electrically supplied unit gets its power.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Supply {
    /// Id of the feeding element.
    pub upstream: String,
    /// Its entity, once resolved.
    pub entity: Option<Entity>,
    /// In service (site file).
    pub in_service: bool,
    /// In service, its feeder energized and its restart after a power gap over: it runs.
    pub powered: bool,
    /// Seconds from its power returning to running ([`crate::catalog::CrahRating::restart_s`]...).
    pub restart_s: f64,
    /// Its feeder was energized at the latest update.
    pub feeder_live: bool,
    /// When its feeder came back, s (−∞: it has had power since the run began).
    pub live_since_s: f64,
    /// Its feeder's node in the electrical network of [`CoolingPlant::nodes_rebuild`]
    /// (looked up once per topology: 3,000 units' hash look-ups cost ~50 µs a step).
    pub node: Option<u32>,
}

impl Supply {
    fn new(upstream: &str, in_service: bool, restart_s: f64) -> Supply {
        Supply {
            upstream: upstream.to_string(),
            entity: None,
            in_service,
            powered: false,
            node: None,
            restart_s,
            // A run starts from the healthy steady state: running, as if powered all along.
            feeder_live: true,
            live_since_s: f64::NEG_INFINITY,
        }
    }

    /// In service with its feeder energized, still going through its restart.
    pub fn restarting(&self) -> bool {
        self.in_service && self.feeder_live && !self.powered
    }
}

/// Seconds a water loop's pumps take to run again after a power gap (VFD ramp; estimate).
pub const LOOP_PUMP_RESTART_S: f64 = 10.0;

/// Cooling power and heat flows of the last step (means over it), W.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CoolingTotals {
    /// CRAH fans.
    pub crah_fans_w: f64,
    /// CDU pumps.
    pub cdu_pumps_w: f64,
    /// Water-loop pumps.
    pub loop_pumps_w: f64,
    /// Chillers.
    pub chillers_w: f64,
    /// Cooling-tower and dry-cooler fans.
    pub heat_rejection_fans_w: f64,
    /// Heat removed from the zones' air by CRAH coils (racks, losses and fan heat), W.
    pub heat_air_w: f64,
    /// Heat removed from racks through liquid (CDUs), W.
    pub heat_liquid_w: f64,
    /// Heat the heat rejection took out of the water (the loops' heat plus compressor work), W.
    pub rejected_w: f64,
    /// Electrical losses of equipment standing outdoors (no zone), W.
    pub outdoor_losses_w: f64,
}

impl CoolingTotals {
    /// All cooling power, W.
    pub fn power_w(&self) -> f64 {
        self.crah_fans_w + self.cdu_pumps_w + self.loop_pumps_w + self.chillers_w + self.heat_rejection_fans_w
    }

    /// All heat leaving the site to the outdoors: what the heat rejection took from the water,
    /// its own fans' power, and the losses of outdoor equipment, W. In steady state it equals
    /// IT load + electrical losses + cooling power.
    pub fn heat_to_outdoors_w(&self) -> f64 {
        self.rejected_w + self.heat_rejection_fans_w + self.outdoor_losses_w
    }
}

/// The whole plant.
#[derive(bevy::prelude::Resource, Debug, Clone, Default, PartialEq)]
pub struct CoolingPlant {
    /// Zones.
    pub zones: Vec<ZoneState>,
    /// CRAHs.
    pub crahs: Vec<CrahUnit>,
    /// CDUs.
    pub cdus: Vec<CduUnit>,
    /// Water loops.
    pub loops: Vec<LoopState>,
    /// Chillers.
    pub chillers: Vec<ChillerUnit>,
    /// Towers and dry coolers.
    pub heat_rejection: Vec<HeatRejectionUnit>,
    /// Totals of the last step.
    pub totals: CoolingTotals,
    /// Outdoor `(dry bulb, wet bulb)` of the last step, °C.
    pub ambient_c: (f64, f64),
    /// Bumped on every rebuild (racks cache their zone/CDU indices per generation).
    pub generation: u64,
    /// The electrical network rebuild the units' `Supply::node` refer to.
    pub nodes_rebuild: Option<u64>,
    zone_index: HashMap<String, usize>,
    cdu_index: HashMap<String, usize>,
    /// CRAHs of each zone, chillers and heat-rejection units of each loop (indices).
    zone_crahs: Vec<Vec<usize>>,
    loop_chillers: Vec<Vec<usize>>,
    loop_rejection: Vec<Vec<usize>>,
    initialized: bool,
    /// Bumped whenever the units' feeders are looked up again (entities or nodes).
    feeders_resolved: u64,
    /// Every unit's feeder entity was found by the last [`Self::resolve_entities`] (and not
    /// forgotten since): kept, as the step asks each time.
    entities_found: bool,
    /// `(topology, feeders_resolved)` of the last [`Self::update_power`] when it left every
    /// unit settled (none waiting out its restart delay): the next update under the same key
    /// would change nothing, so it is skipped (thousands of units, every step).
    power_settled: Option<(u64, u64)>,
    /// Set by [`Self::update_power`]: every unit in service has a live feeder.
    all_fed: bool,
    /// The last step's sums: a buffer the next step reuses.
    sums: StepSums,
}

/// A part of the plant with a thermal state (its temperatures, which integrate over time),
/// kept apart from what it is built from (its rating and connections, rebuilt on every edit).
/// A rebuild carries the state over by id.
trait Stateful {
    /// The state: what a rebuild must carry over.
    type State: Copy;
    fn id(&self) -> &str;
    fn state(&self) -> Self::State;
    fn set_state(&mut self, state: Self::State);
}

/// Zones hold their room air, supply air and equipment mass temperatures.
impl Stateful for ZoneState {
    type State = (f64, f64, f64);
    fn id(&self) -> &str {
        &self.id
    }
    fn state(&self) -> (f64, f64, f64) {
        (self.room_c, self.supply_c, self.equipment_mass_c)
    }
    fn set_state(&mut self, (room_c, supply_c, mass_c): (f64, f64, f64)) {
        (self.room_c, self.supply_c, self.equipment_mass_c) = (room_c, supply_c, mass_c);
    }
}

/// Loops hold their supply water temperature.
impl Stateful for LoopState {
    type State = f64;
    fn id(&self) -> &str {
        &self.id
    }
    fn state(&self) -> f64 {
        self.supply_c
    }
    fn set_state(&mut self, supply_c: f64) {
        self.supply_c = supply_c;
    }
}

/// CDUs hold their technology-loop supply temperature.
impl Stateful for CduUnit {
    type State = f64;
    fn id(&self) -> &str {
        &self.id
    }
    fn state(&self) -> f64 {
        self.supply_c
    }
    fn set_state(&mut self, supply_c: f64) {
        self.supply_c = supply_c;
    }
}

/// Gives each part of `new` the state of the part of `old` with its id.
fn carry<T: Stateful>(new: &mut [T], old: &[T]) {
    let by_id: HashMap<&str, T::State> = old.iter().map(|o| (o.id(), o.state())).collect();
    for n in new {
        if let Some(&state) = by_id.get(n.id()) {
            n.set_state(state);
        }
    }
}

/// Who runs for a whole step: each zone's running CRAHs, their common fan speed and the
/// zone's fan heat, W.
/// A zone's running CRAHs (indices).
type ZoneUnits = smallvec::SmallVec<[usize; zone::ZONE_UNITS]>;

/// What runs for a whole step, per zone: its running CRAHs, their common fan speed and their
/// fans' power, W.
#[derive(Debug, Clone, Default, PartialEq)]
struct RunningUnits {
    running: Vec<ZoneUnits>,
    speeds: Vec<f64>,
    zone_fans: Vec<f64>,
    /// Whether each loop's water flows.
    loop_flowing: Vec<bool>,
}

/// The racks' share of each zone's heat `[rack heat W, airflow demand m³/s, racks' heat
/// capacity J/K, healthy heat W, healthy demand m³/s]` and each CDU's `[rack heat W, healthy
/// heat W]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RackHeatSums {
    zones: Vec<[f64; 6]>,
    cdus: Vec<[f64; 2]>,
}

/// A rack's thermal mass and how fast it exchanges heat with the air passing through it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RackMass {
    /// Heat capacity, J/K.
    pub c_j_k: f64,
    /// Conductance to the room air, W/K.
    pub g_w_k: f64,
}

impl RackMass {
    /// A mass of `c_j_k` with time constant `tau_s` against the air (`G = C/τ`); no exchange at
    /// all with a zero time constant is refused by the catalog.
    pub fn new(c_j_k: f64, tau_s: f64) -> RackMass {
        RackMass { c_j_k, g_w_k: if tau_s > 0.0 { c_j_k / tau_s } else { 0.0 } }
    }
}

/// A step's working buffers: the energy sums over its sub-steps (J; chillers and towers
/// `(duty, power)`), from which its mean powers come, the loops' state within a sub-step and
/// the units that run. Kept in the plant and reused, so a step allocates nothing.
#[derive(Debug, Clone, Default, PartialEq)]
struct StepSums {
    zone_coil_j: Vec<f64>,
    crah_coil_j: Vec<f64>,
    cdu_j: Vec<f64>,
    loop_in_j: Vec<f64>,
    loop_plant_j: Vec<f64>,
    loop_free_s: Vec<f64>,
    loop_rejected_j: Vec<f64>,
    chiller_j: Vec<(f64, f64)>,
    tower_j: Vec<(f64, f64)>,
    /// Each zone's linearised removal `(g, h)` at the end of its last sub-step.
    end_linear: Vec<(f64, f64)>,
    /// Each loop's supply temperature at the start of a sub-step, °C.
    loop_c: Vec<f64>,
    /// Heat into each loop in a sub-step, J.
    loop_heat_j: Vec<f64>,
    /// The units running in the step.
    units: RunningUnits,
    /// Their coils.
    coils: zone::StepCoils,
}

impl StepSums {
    /// Zeroes the sums for a step of `p`, reusing their buffers.
    fn reset(&mut self, p: &CoolingPlant) {
        fn zeroed<T: Copy + Default>(v: &mut Vec<T>, n: usize) {
            v.clear();
            v.resize(n, T::default());
        }
        zeroed(&mut self.zone_coil_j, p.zones.len());
        zeroed(&mut self.crah_coil_j, p.crahs.len());
        zeroed(&mut self.cdu_j, p.cdus.len());
        zeroed(&mut self.loop_in_j, p.loops.len());
        zeroed(&mut self.loop_plant_j, p.loops.len());
        zeroed(&mut self.loop_free_s, p.loops.len());
        zeroed(&mut self.loop_rejected_j, p.loops.len());
        zeroed(&mut self.chiller_j, p.chillers.len());
        zeroed(&mut self.tower_j, p.heat_rejection.len());
        zeroed(&mut self.end_linear, p.zones.len());
        zeroed(&mut self.loop_c, p.loops.len());
        zeroed(&mut self.loop_heat_j, p.loops.len());
    }
}

impl CoolingPlant {
    /// Builds the plant from the site's cooling sections (validated, so references resolve).
    pub fn build(layout: &CoolingLayout, catalog: &Catalog) -> CoolingPlant {
        let mut p = CoolingPlant::default();
        for z in &layout.zones {
            p.zone_index.insert(z.id.clone(), p.zones.len());
            p.zones.push(ZoneState::new(z.id.clone(), z.volume_m3, z.containment, z.ashrae_class));
        }
        let loop_index: HashMap<&str, usize> =
            layout.water_loops.iter().enumerate().map(|(i, l)| (l.id.as_str(), i)).collect();
        for l in &layout.water_loops {
            let pumps = std::iter::once(&l.upstream)
                .chain(&l.standby_pumps)
                .map(|u| Supply::new(u, l.in_service, LOOP_PUMP_RESTART_S))
                .collect();
            p.loops.push(LoopState {
                id: l.id.clone(),
                supply_c: l.supply_setpoint_c,
                setpoint_c: l.supply_setpoint_c,
                class: l.water_class,
                c_j_k: super::WATER_DENSITY * super::WATER_CP * l.volume_m3,
                pump_rated_w: l.pump_power_kw * 1e3,
                in_service: l.in_service,
                pumps,
                heat_in_w: 0.0,
                plant_w: 0.0,
                free_cooling: false,
                free_cooling_share: 0.0,
                over_capacity: false,
                pump_w: 0.0,
                rejection_load_w: 0.0,
                rejection_capacity_w: 0.0,
                condenser_c: None,
                boiling: false,
            });
        }
        for c in &layout.crahs {
            let (Some(m), Some(&zone), Some(&water_loop)) =
                (catalog.crahs.get(&c.model), p.zone_index.get(&c.zone), loop_index.get(c.water_loop.as_str()))
            else {
                continue;
            };
            let rating = c.overrides.apply(&m.rating());
            let restart_s = rating.restart_s;
            // Validation refuses rating points no coil can meet.
            let Some(coil) = CoilRating::from_crah(&rating) else { continue };
            p.crahs.push(CrahUnit {
                id: c.id.clone(),
                zone,
                water_loop,
                rating,
                coil,
                supply: Supply::new(&c.upstream, c.in_service, restart_s),
                running: false,
                fan_speed: 0.0,
                fan_w: 0.0,
                coil_w: 0.0,
                supply_c: 20.0,
                coil_at_speed: None,
                coil_at_full: coil.at_speed(1.0),
            });
        }
        for c in &layout.cdus {
            let (Some(m), Some(&water_loop)) = (catalog.cdus.get(&c.model), loop_index.get(c.water_loop.as_str()))
            else {
                continue;
            };
            p.cdu_index.insert(c.id.clone(), p.cdus.len());
            let setpoint = layout.water_loops[water_loop].supply_setpoint_c;
            let rating = c.overrides.apply(&m.rating());
            let restart_s = rating.restart_s;
            p.cdus.push(CduUnit {
                id: c.id.clone(),
                water_loop,
                design_supply_c: setpoint + rating.approach_k,
                rating,
                supply: Supply::new(&c.upstream, c.in_service, restart_s),
                supply_c: setpoint,
                rack_heat_w: 0.0,
                to_loop_w: 0.0,
                pump_w: 0.0,
                available_w: 0.0,
                healthy_heat_w: 0.0,
                boiling: false,
            });
        }
        for c in &layout.chillers {
            let (Some(m), Some(&water_loop)) = (catalog.chillers.get(&c.model), loop_index.get(c.water_loop.as_str()))
            else {
                continue;
            };
            p.chillers.push(ChillerUnit {
                id: c.id.clone(),
                water_loop,
                supply: Supply::new(&c.upstream, c.in_service, c.overrides.apply(&m.rating()).restart_s),
                rating: c.overrides.apply(&m.rating()),
                cooling_w: 0.0,
                power_w: 0.0,
                available_w: 0.0,
                staged: false,
                tripped: false,
                condenser_limited: false,
                plr: 0.0,
                curve_clamped: false,
            });
        }
        for h in &layout.heat_rejection {
            let (Some(m), Some(&water_loop)) =
                (catalog.heat_rejection.get(&h.model), loop_index.get(h.water_loop.as_str()))
            else {
                continue;
            };
            p.heat_rejection.push(HeatRejectionUnit {
                id: h.id.clone(),
                water_loop,
                supply: Supply::new(&h.upstream, h.in_service, h.overrides.apply(&m.rating()).restart_s),
                rating: h.overrides.apply(&m.rating()),
                rejected_w: 0.0,
                fan_w: 0.0,
            });
        }
        p.zone_crahs = vec![Vec::new(); p.zones.len()];
        for (i, u) in p.crahs.iter().enumerate() {
            p.zone_crahs[u.zone].push(i);
        }
        p.loop_chillers = vec![Vec::new(); p.loops.len()];
        for (i, u) in p.chillers.iter().enumerate() {
            p.loop_chillers[u.water_loop].push(i);
        }
        p.loop_rejection = vec![Vec::new(); p.loops.len()];
        for (i, u) in p.heat_rejection.iter().enumerate() {
            p.loop_rejection[u.water_loop].push(i);
        }
        p
    }

    /// Takes temperatures from `old` for zones, loops and CDUs with the same ids (after an edit).
    pub fn carry_state_from(&mut self, old: &CoolingPlant) {
        if !old.initialized {
            return;
        }
        carry(&mut self.zones, &old.zones);
        carry(&mut self.loops, &old.loops);
        carry(&mut self.cdus, &old.cdus);
        // Units keep where they are in a restart, by id and feeder.
        let restarts: HashMap<(String, String), (bool, f64, bool)> = old
            .units()
            .map(|(id, s, _)| ((id.to_string(), s.upstream.clone()), (s.feeder_live, s.live_since_s, s.powered)))
            .collect();
        for (id, _, s) in self.supplies_with_ids_mut() {
            if let Some(&(feeder_live, since, powered)) = restarts.get(&(id.to_string(), s.upstream.clone())) {
                (s.feeder_live, s.live_since_s, s.powered) = (feeder_live, since, powered);
            }
        }
        self.initialized = true;
    }

    /// `(zone index, CDU index)` of a rack's cooling assignment, for [`Self::add_rack_heat_at`].
    pub fn slots(&self, cooling: &RackCooling) -> (Option<u32>, Option<u32>) {
        (
            cooling.zone.as_ref().and_then(|z| self.zone_index.get(z)).map(|&i| i as u32),
            cooling.cdu.as_ref().and_then(|c| self.cdu_index.get(c)).map(|&i| i as u32),
        )
    }

    /// Index of zone `id`.
    pub fn zone_slot(&self, id: &str) -> Option<usize> {
        self.zone_index.get(id).copied()
    }

    fn supplies_mut(&mut self) -> impl Iterator<Item = &mut Supply> {
        self.loops
            .iter_mut()
            .flat_map(|l| l.pumps.iter_mut())
            .chain(self.crahs.iter_mut().map(|u| &mut u.supply))
            .chain(self.cdus.iter_mut().map(|u| &mut u.supply))
            .chain(self.chillers.iter_mut().map(|u| &mut u.supply))
            .chain(self.heat_rejection.iter_mut().map(|u| &mut u.supply))
    }

    /// Looks up the feeding element of every unit once (`entity_of` maps an element id).
    pub fn resolve_entities(&mut self, entity_of: &HashMap<String, Entity>) {
        let mut found = true;
        for s in self.supplies_mut() {
            s.entity = entity_of.get(&s.upstream).copied();
            found &= s.entity.is_some();
        }
        self.entities_found = found;
        self.feeders_resolved += 1;
    }

    /// Forgets the feeder entities, so the next step looks them up again.
    pub fn forget_entities(&mut self) {
        for s in self.supplies_mut() {
            s.entity = None;
            s.node = None;
        }
        self.nodes_rebuild = None;
        self.entities_found = false;
        self.feeders_resolved += 1;
    }

    /// Looks up every unit's feeder node (`node_of` maps an entity) for network rebuild
    /// `rebuild`.
    pub fn resolve_nodes(&mut self, rebuild: u64, node_of: impl Fn(Entity) -> Option<u32>) {
        for s in self.supplies_mut() {
            s.node = s.entity.and_then(&node_of);
        }
        self.nodes_rebuild = Some(rebuild);
        self.feeders_resolved += 1;
    }

    /// True when every unit's feeder entity has been looked up and found.
    pub fn entities_resolved(&self) -> bool {
        self.entities_found
    }

    /// Updates which units have power (`live` tells whether a feeder node is energized).
    /// Which units run at the start of a step at `now_s`: in service, their feeder energized,
    /// and, when the feeder came back after a gap, their restart delay over. Returns what
    /// changed, for the timeline: `(time s, line)`, one line per kind of change. `topology`
    /// names `live`: the same number promises the same answer for every node (the network's
    /// rebuild count).
    pub fn update_power(&mut self, topology: u64, live: impl Fn(u32) -> bool, now_s: f64) -> Vec<(f64, String)> {
        let key = (topology, self.feeders_resolved);
        if self.power_settled == Some(key) {
            return Vec::new();
        }
        let (mut lost, mut restarting, mut running) = (Vec::new(), Vec::new(), Vec::new());
        let (mut settled, mut all_fed) = (true, true);
        for (unit, pump, s) in self.supplies_with_ids_mut() {
            // Named only when something changed (thousands of units, every step).
            let id = || if pump { format!("{unit} pump") } else { unit.to_string() };
            let feeder = s.in_service && s.node.is_some_and(&live);
            if feeder && !s.feeder_live {
                s.live_since_s = now_s;
                if s.restart_s > 0.0 {
                    restarting.push(format!("{} ({} s)", id(), s.restart_s));
                }
            }
            if !feeder && s.feeder_live && s.in_service && s.powered {
                lost.push(id());
            }
            s.feeder_live = feeder;
            let was = s.powered;
            s.powered = feeder && now_s - s.live_since_s >= s.restart_s;
            if s.powered && !was && s.live_since_s.is_finite() && s.restart_s > 0.0 {
                running.push(id());
            }
            settled &= s.powered == feeder;
            all_fed &= !s.in_service || feeder;
        }
        self.power_settled = settled.then_some(key);
        self.all_fed = all_fed;
        let mut out = Vec::new();
        let mut line = |ids: Vec<String>, what: &str| {
            if !ids.is_empty() {
                let more = if ids.len() > 6 { format!(" and {} more", ids.len() - 6) } else { String::new() };
                out.push((now_s, format!("{what}: {}{more}", ids[..ids.len().min(6)].join(", "))));
            }
        };
        line(lost, "cooling units stop, their power lost");
        line(restarting, "power back, cooling units restarting");
        line(running, "cooling units running again after their restart");
        out
    }

    /// Every unit's supply with its unit's id and whether it is a loop's pump (under the loop's id).
    fn supplies_with_ids_mut(&mut self) -> impl Iterator<Item = (&str, bool, &mut Supply)> {
        self.loops
            .iter_mut()
            .flat_map(|l| l.pumps.iter_mut().map(|p| (l.id.as_str(), true, p)))
            .chain(self.crahs.iter_mut().map(|u| (u.id.as_str(), false, &mut u.supply)))
            .chain(self.cdus.iter_mut().map(|u| (u.id.as_str(), false, &mut u.supply)))
            .chain(self.chillers.iter_mut().map(|u| (u.id.as_str(), false, &mut u.supply)))
            .chain(self.heat_rejection.iter_mut().map(|u| (u.id.as_str(), false, &mut u.supply)))
    }

    /// Forgets last step's rack heat and other heat.
    pub fn clear_heat(&mut self) {
        for z in &mut self.zones {
            z.rack_heat_w = 0.0;
            z.other_heat_w = 0.0;
            z.demand_m3_s = 0.0;
            z.rack_c_j_k = 0.0;
            z.rack_g_w_k = 0.0;
            z.healthy_heat_w = 0.0;
            z.healthy_demand_m3_s = 0.0;
        }
        for c in &mut self.cdus {
            c.rack_heat_w = 0.0;
            c.healthy_heat_w = 0.0;
        }
    }

    /// Copies the racks' share of the zones' and CDUs' heat (what [`Self::add_rack_heat_at`]
    /// and [`Self::add_idle_rack_at`] summed since [`Self::clear_heat`]) into `out`.
    pub fn rack_heat_sums_into(&self, out: &mut RackHeatSums) {
        out.zones.clear();
        out.zones.extend(self.zones.iter().map(|z| {
            [z.rack_heat_w, z.demand_m3_s, z.rack_c_j_k, z.rack_g_w_k, z.healthy_heat_w, z.healthy_demand_m3_s]
        }));
        out.cdus.clear();
        out.cdus.extend(self.cdus.iter().map(|c| [c.rack_heat_w, c.healthy_heat_w]));
    }

    /// Puts sums taken by [`Self::rack_heat_sums_into`] back (after [`Self::clear_heat`]).
    pub fn restore_rack_heat(&mut self, sums: &RackHeatSums) {
        for (z, s) in self.zones.iter_mut().zip(&sums.zones) {
            [z.rack_heat_w, z.demand_m3_s, z.rack_c_j_k, z.rack_g_w_k, z.healthy_heat_w, z.healthy_demand_m3_s] = *s;
        }
        for (c, s) in self.cdus.iter_mut().zip(&sums.cdus) {
            [c.rack_heat_w, c.healthy_heat_w] = *s;
        }
    }

    /// Puts back only the racks' masses of sums taken by [`Self::rack_heat_sums_into`] (after
    /// [`Self::clear_heat`]): the masses summed in the same order are the same bits, so racks
    /// whose place and rating stand need not add theirs again.
    pub fn restore_rack_masses(&mut self, sums: &RackHeatSums) {
        for (z, s) in self.zones.iter_mut().zip(&sums.zones) {
            [z.rack_c_j_k, z.rack_g_w_k] = [s[2], s[3]];
        }
    }

    /// True once the plant has taken its first step (and settled at the healthy steady state).
    pub fn is_initialized(&self) -> bool {
        self.initialized
    }

    /// Adds one running rack's heat: `air_w` to its zone (drawing `airflow_m3_s_per_w · air_w`),
    /// `liquid_w` to its CDU, and its thermal mass to the zone.
    pub fn add_rack_heat(
        &mut self,
        cooling: &RackCooling,
        air_w: f64,
        liquid_w: f64,
        airflow_m3_s_per_w: f64,
        mass: RackMass,
    ) {
        let slots = self.slots(cooling);
        self.add_rack_heat_at(slots, air_w, liquid_w, airflow_m3_s_per_w, mass);
    }

    /// [`Self::add_rack_heat`] with the zone and CDU already looked up.
    pub fn add_rack_heat_at(
        &mut self,
        slots: (Option<u32>, Option<u32>),
        air_w: f64,
        liquid_w: f64,
        airflow_m3_s_per_w: f64,
        mass: RackMass,
    ) {
        self.add_rack_air_and_liquid(slots, air_w, liquid_w, airflow_m3_s_per_w);
        self.add_idle_rack_at(slots, air_w, liquid_w, airflow_m3_s_per_w, mass);
    }

    /// The heat part of [`Self::add_rack_heat_at`], without the mass: a step whose racks'
    /// masses are restored whole ([`Self::restore_rack_masses`]) adds only this per rack.
    #[inline]
    pub fn add_rack_air_and_liquid(
        &mut self,
        (zone, cdu): (Option<u32>, Option<u32>),
        air_w: f64,
        liquid_w: f64,
        airflow_m3_s_per_w: f64,
    ) {
        if let Some(z) = zone {
            let zone = &mut self.zones[z as usize];
            zone.rack_heat_w += air_w;
            zone.demand_m3_s += air_w * airflow_m3_s_per_w;
        }
        if let Some(c) = cdu {
            self.cdus[c as usize].rack_heat_w += liquid_w;
        }
    }

    /// A rack that gives no heat now (out of service or without power): its thermal mass still
    /// counts, and before the first step its design heat (`air_w`, `liquid_w`) counts toward
    /// the healthy site's steady state the run starts from.
    pub fn add_idle_rack_at(
        &mut self,
        (zone, cdu): (Option<u32>, Option<u32>),
        air_w: f64,
        liquid_w: f64,
        airflow_m3_s_per_w: f64,
        mass: RackMass,
    ) {
        let healthy = !self.initialized;
        if let Some(z) = zone {
            let zone = &mut self.zones[z as usize];
            zone.rack_c_j_k += mass.c_j_k;
            zone.rack_g_w_k += mass.g_w_k;
            if healthy {
                zone.healthy_heat_w += air_w;
                zone.healthy_demand_m3_s += air_w * airflow_m3_s_per_w;
            }
        }
        if let Some(c) = cdu
            && healthy
        {
            self.cdus[c as usize].healthy_heat_w += liquid_w;
        }
    }

    /// Heat released into zone `zone`'s air other than by racks (electrical losses), W. The
    /// equipment draws air as if designed for an 11.1 K (20 °F) rise (physics-reference 2.2),
    /// which the CRAH fans follow like the racks' airflow.
    pub fn add_zone_heat(&mut self, zone: usize, w: f64) {
        let z = &mut self.zones[zone];
        z.other_heat_w += w;
        z.demand_m3_s += w / (super::AIR_DENSITY * super::AIR_CP * EQUIPMENT_AIR_RISE_K);
    }

    /// CRAHs that run: powered, with water flowing in their loop that is colder than their
    /// supply setpoint. A unit whose water has stopped or warmed past its setpoint is switched
    /// off, as a BMS does: it could only blow return air into the supply.
    /// `flowing` tells, per loop, whether its water flows.
    fn running_units(&self, zi: usize, flowing: &[bool], into: &mut ZoneUnits) {
        into.clear();
        into.extend(self.zone_crahs[zi].iter().copied().filter(|&i| {
            let u = &self.crahs[i];
            u.supply.powered && flowing[u.water_loop] && self.loops[u.water_loop].supply_c < u.rating.supply_setpoint_c
        }));
    }

    /// Settles the plant at the healthy site's steady state (every unit running, loops at
    /// their setpoints); a run's first step starts there.
    fn settle_healthy(&mut self) {
        let setpoints: Vec<f64> = self.loops.iter().map(|l| l.setpoint_c).collect();
        for l in &mut self.loops {
            l.supply_c = l.setpoint_c;
        }
        for zi in 0..self.zones.len() {
            let units = self.zone_crahs[zi].clone();
            let speed = zone::fan_speed(&self.crahs, &units, self.zones[zi].healthy_demand_m3_s);
            let coils = zone::active_coils(&self.crahs, &units, speed, &setpoints);
            let fans: f64 = units.iter().map(|&i| self.crahs[i].rating.fan_power_kw * 1e3 * speed.powi(3)).sum();
            let z = &mut self.zones[zi];
            if let Some(t) = zone::steady_room_c(&coils, z.healthy_heat_w + z.other_heat_w + fans) {
                z.room_c = t;
            }
            z.equipment_mass_c = z.room_c;
        }
        for c in &mut self.cdus {
            let ua = c.rating.capacity_kw * 1e3 / c.rating.approach_k;
            c.supply_c = setpoints[c.water_loop] + (c.healthy_heat_w + c.rating.pump_power_kw * 1e3) / ua;
        }
    }

    /// Advances the plant by `dt` seconds; `ambient_c(s)` gives the outdoor `(dry bulb, wet
    /// bulb)`, °C, `s` seconds into the step (each sub-step takes it at its middle).
    pub fn step(&mut self, dt: f64, ambient_c: impl Fn(f64) -> (f64, f64)) {
        self.ambient_c = ambient_c(dt);
        if !self.initialized {
            self.settle_healthy();
            self.initialized = true;
        }
        let substeps = (dt / MAX_SUBSTEP_S).ceil().max(1.0);
        let h = dt / substeps;
        let mut totals = CoolingTotals::default();
        // The step's sums live in the plant between steps only so that a step allocates nothing.
        let mut sums = std::mem::take(&mut self.sums);
        sums.reset(self);
        self.start_units(&mut sums.units, &mut sums.coils, &mut totals);
        for k in 0..substeps as usize {
            let outdoor = ambient_c((k as f64 + 0.5) * h);
            for (c, l) in sums.loop_c.iter_mut().zip(&self.loops) {
                *c = l.supply_c;
            }
            // The first sub-step's water is the loops' at the start, which the coils have.
            if k > 0 {
                sums.coils.set_water(&sums.loop_c);
            }
            sums.loop_heat_j.fill(0.0);
            self.substep_zones(h, &mut sums);
            self.substep_cdus(h, &mut sums);
            self.substep_loops(outdoor, h, &mut sums);
        }
        self.finish_units(&sums, dt, &mut totals);
        self.finish_zones(&mut sums, dt, &mut totals);
        self.sums = sums;
        self.totals = totals;
    }

    /// What holds for the whole step: which CRAHs run, their fan speeds and power, their coils
    /// (with the loops' water at the start of the step), the loops' pumps. Zone after zone, so
    /// each zone's units are read once, together.
    fn start_units(&mut self, units: &mut RunningUnits, coils: &mut zone::StepCoils, totals: &mut CoolingTotals) {
        let RunningUnits { running, speeds, zone_fans, loop_flowing } = units;
        running.resize_with(self.zones.len(), ZoneUnits::new);
        // Asked once per loop, not once per unit (a loop's pumps are looked through).
        loop_flowing.clear();
        loop_flowing.extend(self.loops.iter().map(LoopState::flowing));
        speeds.clear();
        zone_fans.clear();
        coils.clear();
        // The units of a zone share one speed and usually one model: their coil is worked out
        // once (an exponential and a power) and copied to the units like it.
        let mut last: Option<(CoilRating, f64, (f64, f64))> = None;
        for (zi, running) in running.iter_mut().enumerate() {
            self.running_units(zi, loop_flowing, running);
            let speed = zone::fan_speed(&self.crahs, running, self.zones[zi].demand_m3_s);
            let mut fans_w = 0.0;
            // `running` is `zone_crahs[zi]` filtered, in its order.
            let mut next = running.iter().copied().peekable();
            for &i in &self.zone_crahs[zi] {
                let u = &mut self.crahs[i];
                if next.next_if_eq(&i).is_none() {
                    (u.running, u.fan_speed, u.fan_w, u.coil_w) = (false, 0.0, 0.0, 0.0);
                    continue;
                }
                (u.running, u.coil_w) = (true, 0.0);
                match last {
                    Some((coil, at, at_speed)) if coil == u.coil && at == speed => {
                        u.fan_speed = speed;
                        u.coil_at_speed = Some((speed, at_speed));
                    }
                    _ => u.set_fan_speed(speed),
                }
                last = u.coil_at_speed.map(|(_, at_speed)| (u.coil, speed, at_speed));
                u.fan_w = u.rating.fan_power_kw * 1e3 * speed.powi(3);
                totals.crah_fans_w += u.fan_w;
                fans_w += u.fan_w;
                coils.push(u, self.loops[u.water_loop].supply_c);
            }
            coils.end_zone();
            speeds.push(speed);
            zone_fans.push(fans_w);
        }
        for lp in &mut self.loops {
            lp.pump_w = if lp.flowing() { lp.pump_rated_w } else { 0.0 };
            totals.loop_pumps_w += lp.pump_w;
        }
    }

    /// One sub-step of every zone's air (exact within the sub-step), its coils' heat going to
    /// their loops.
    fn substep_zones(&mut self, h: f64, sums: &mut StepSums) {
        let units = &sums.units;
        for zi in 0..self.zones.len() {
            let coils = sums.coils.running(zi);
            let z = &self.zones[zi];
            let q = z.rack_heat_w + z.other_heat_w + units.zone_fans[zi];
            let (t0, m0) = (z.room_c, z.equipment_mass_c);
            let r = zone::integrate(coils, q, z.air_c_j_k, z.mass(), t0, h);
            // A zone without racks has no mass of its own: its "mass" follows the air.
            let m1 = r.mass_c.unwrap_or(r.room_c);
            // The zone's removal from its own balance (exact to rounding), shared as the coils did.
            let removed = q * h - z.air_c_j_k * (r.room_c - t0) - z.rack_c_j_k * (m1 - m0);
            let sum: f64 = r.coil_j.iter().sum();
            // Each coil's loop from the coils (the units themselves are not read again).
            let loops = sums.coils.loops(zi);
            for ((&i, &e), &l) in units.running[zi].iter().zip(&r.coil_j).zip(loops) {
                let share = if sum != 0.0 { removed * e / sum } else { 0.0 };
                sums.crah_coil_j[i] += share;
                sums.loop_heat_j[l] += share;
            }
            sums.zone_coil_j[zi] += removed;
            sums.end_linear[zi] = r.end_linear;
            self.zones[zi].room_c = r.room_c;
            self.zones[zi].equipment_mass_c = m1;
        }
    }

    /// One sub-step of every CDU, its heat going to its loop.
    fn substep_cdus(&mut self, h: f64, sums: &mut StepSums) {
        for (ci, cdu) in self.cdus.iter_mut().enumerate() {
            let flowing = self.loops[cdu.water_loop].flowing();
            let e = cdu.step(sums.loop_c[cdu.water_loop], flowing, h);
            sums.cdu_j[ci] += e;
            sums.loop_heat_j[cdu.water_loop] += e;
        }
    }

    /// One sub-step of every loop with its chillers and heat rejection.
    #[allow(clippy::needless_range_loop)] // `li` indexes the loops and their unit lists alike
    fn substep_loops(&mut self, outdoor: (f64, f64), h: f64, sums: &mut StepSums) {
        for li in 0..self.loops.len() {
            let q_in = sums.loop_heat_j[li] / h + self.loops[li].pump_w;
            let s = water::step_loop(
                &mut self.loops[li],
                &mut self.chillers,
                &mut self.heat_rejection,
                &self.loop_chillers[li],
                &self.loop_rejection[li],
                q_in,
                outdoor,
                h,
            );
            sums.loop_in_j[li] += q_in * h;
            sums.loop_plant_j[li] += s.plant_w * h;
            if self.loops[li].free_cooling {
                sums.loop_free_s[li] += h;
            }
            sums.loop_rejected_j[li] += s.rejected_w * h;
        }
        for (j, ch) in sums.chiller_j.iter_mut().zip(&self.chillers) {
            j.0 += ch.cooling_w * h;
            j.1 += ch.power_w * h;
        }
        for (j, t) in sums.tower_j.iter_mut().zip(&self.heat_rejection) {
            j.0 += t.rejected_w * h;
            j.1 += t.fan_w * h;
        }
    }

    /// The units' results: means of powers and heat over the step.
    fn finish_units(&mut self, sums: &StepSums, dt: f64, totals: &mut CoolingTotals) {
        for (i, u) in self.crahs.iter_mut().enumerate() {
            u.coil_w = sums.crah_coil_j[i] / dt;
        }
        for (ci, cdu) in self.cdus.iter_mut().enumerate() {
            cdu.to_loop_w = sums.cdu_j[ci] / dt;
            totals.cdu_pumps_w += cdu.pump_w;
            totals.heat_liquid_w += cdu.rack_heat_w;
        }
        for (li, lp) in self.loops.iter_mut().enumerate() {
            lp.heat_in_w = sums.loop_in_j[li] / dt;
            lp.plant_w = sums.loop_plant_j[li] / dt;
            lp.free_cooling_share = sums.loop_free_s[li] / dt;
            lp.rejection_load_w = sums.loop_rejected_j[li] / dt;
            totals.rejected_w += lp.rejection_load_w;
        }
        for (ch, j) in self.chillers.iter_mut().zip(&sums.chiller_j) {
            ch.cooling_w = j.0 / dt;
            ch.power_w = j.1 / dt;
            totals.chillers_w += ch.power_w;
        }
        for (t, j) in self.heat_rejection.iter_mut().zip(&sums.tower_j) {
            t.rejected_w = j.0 / dt;
            t.fan_w = j.1 / dt;
            totals.heat_rejection_fans_w += t.fan_w;
        }
    }

    /// The zones' results: supply air, airflow, capacities, recirculation and the forecasts of
    /// the hottest inlet, from the end of the step.
    fn finish_zones(&mut self, sums: &mut StepSums, dt: f64, totals: &mut CoolingTotals) {
        for (c, l) in sums.loop_c.iter_mut().zip(&self.loops) {
            *c = l.supply_c;
        }
        sums.coils.set_water(&sums.loop_c);
        sums.coils.set_full_speed_water(&sums.loop_c);
        let units = &sums.units;
        for zi in 0..self.zones.len() {
            let running = &units.running[zi];
            let (coils, full) = (sums.coils.running(zi), sums.coils.full_speed(zi));
            let q = self.zones[zi].rack_heat_w + self.zones[zi].other_heat_w + units.zone_fans[zi];
            let z = &mut self.zones[zi];
            let t = z.room_c;
            for (&i, c) in running.iter().zip(coils) {
                self.crahs[i].supply_c = zone::mixed_supply_c(std::slice::from_ref(c), t);
            }
            let rated: f64 = running.iter().map(|&i| self.crahs[i].rating.rated_airflow_m3_s).sum();
            z.airflow_m3_s = rated * units.speeds[zi];
            z.available_airflow_m3_s = rated;
            z.supply_c = zone::mixed_supply_c(coils, t);
            z.coil_w = sums.zone_coil_j[zi] / dt;
            z.heat_load_w = q;
            z.running_capacity_w = running.iter().map(|&i| self.crahs[i].rating.rated_cooling_kw * 1e3).sum();
            z.holding_capacity_w = zone::holding_capacity_w(full);
            z.over_capacity =
                (zone::any_limited(coils, t) || coils.is_empty()) && (z.rack_heat_w + z.other_heat_w) > 0.0;
            z.recirculation = if z.demand_m3_s > 0.0 {
                z.containment.base_recirculation().max(1.0 - z.airflow_m3_s / z.demand_m3_s).min(1.0)
            } else {
                z.containment.base_recirculation()
            };
            totals.heat_air_w += z.coil_w;
            // Forecast for the hottest inlet, `(1 − f)·T_sup + f·T_room`, with the regimes the
            // step ended in (removal `g·T − h`).
            let f = z.recirculation;
            z.hottest_inlet_c = (1.0 - f) * z.supply_c + f * t;
            let (g, hh) = sums.end_linear[zi];
            let t_ref = if g > 0.0 { hh / g } else { t };
            let supply = z.supply_c;
            let (c_air, mass) = (z.air_c_j_k, z.mass());
            // Only toward the allowable maximum, which the alerts read each step.
            let limit = z.class.allowable_max_c();
            z.time_to_allowable_s =
                (f > 0.0).then(|| (limit - (1.0 - f) * supply) / f).and_then(|room_limit| match mass {
                    Some(m) => TwoNode::new(q, g, hh, c_air, m.c_j_k, m.g_w_k).time_to_reach([t, m.t_c], room_limit),
                    None => time_to_reach(t, q, g, t_ref, c_air, room_limit),
                });
        }
    }

    /// Rack inlet air of zone `z`: supply air mixed with recirculated room air, °C.
    #[inline]
    pub fn zone_inlet_c(&self, z: usize) -> f64 {
        let zone = &self.zones[z];
        let f = zone.recirculation;
        (1.0 - f) * zone.supply_c + f * zone.room_c
    }

    /// Inlet, outlet and liquid supply temperatures of a rack with `air_w` of air-side heat.
    pub fn rack_thermal(&self, cooling: &RackCooling, air_w: f64, airflow_m3_s_per_w: f64) -> RackThermal {
        self.rack_thermal_at(self.slots(cooling), air_w, airflow_m3_s_per_w)
    }

    /// [`Self::rack_thermal`] with the zone and CDU already looked up.
    pub fn rack_thermal_at(
        &self,
        (zone, cdu): (Option<u32>, Option<u32>),
        air_w: f64,
        airflow_m3_s_per_w: f64,
    ) -> RackThermal {
        let mut out = RackThermal::default();
        if let Some(z) = zone {
            out.inlet_c = self.zone_inlet_c(z as usize);
            let flow = air_w * airflow_m3_s_per_w;
            out.outlet_c = if flow > 0.0 {
                out.inlet_c + air_w / (super::AIR_DENSITY * super::AIR_CP * flow)
            } else {
                out.inlet_c
            };
        }
        out.liquid_supply_c = cdu.map(|c| self.cdus[c as usize].supply_c);
        out
    }

    /// True once [`Self::update_power`] found every unit in service with a live feeder.
    pub fn all_fed(&self) -> bool {
        self.all_fed
    }

    /// Every electrically supplied unit: `(id, supply, rated cooling or power in kW)`; a loop
    /// lists each of its pump sets.
    pub fn units(&self) -> impl Iterator<Item = (&str, &Supply, f64)> {
        let pumps =
            self.loops.iter().flat_map(|u| u.pumps.iter().map(move |p| (u.id.as_str(), p, u.pump_rated_w / 1e3)));
        pumps
            .chain(self.crahs.iter().map(|u| (u.id.as_str(), &u.supply, u.rating.rated_cooling_kw)))
            .chain(self.cdus.iter().map(|u| (u.id.as_str(), &u.supply, u.rating.capacity_kw)))
            .chain(self.chillers.iter().map(|u| (u.id.as_str(), &u.supply, u.rating.capacity_kw)))
            .chain(self.heat_rejection.iter().map(|u| (u.id.as_str(), &u.supply, u.rating.capacity_kw)))
    }

    /// Electrical power each unit draws, handed to `out` as `(feeding entity, its node, kW)`.
    pub fn electrical_loads(&self, mut out: impl FnMut(Entity, Option<u32>, f64)) {
        let mut push = |s: &Supply, w: f64| {
            if let Some(e) = s.entity
                && s.powered
                && w > 0.0
            {
                out(e, s.node, w / 1e3);
            }
        };
        for l in &self.loops {
            if let Some(p) = l.running_pumps() {
                push(p, l.pump_w);
            }
        }
        self.crahs.iter().for_each(|u| push(&u.supply, u.fan_w));
        self.cdus.iter().for_each(|u| push(&u.supply, u.pump_w));
        self.chillers.iter().for_each(|u| push(&u.supply, u.power_w));
        self.heat_rejection.iter().for_each(|u| push(&u.supply, u.fan_w));
    }

    /// True when some loop or CDU reached boiling in the last step.
    pub fn boiling(&self) -> bool {
        self.loops.iter().any(|l| l.boiling) || self.cdus.iter().any(|c| c.boiling)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The small 2N room's plant with every unit powered, and `scale` × 100 kW of rack heat in
    /// each zone (air-cooled racks of 1 t of thermal mass each per 10 kW).
    fn plant_with_heat(scale: f64) -> CoolingPlant {
        let catalog = Catalog::builtin();
        let site = crate::site::load::load_site("sites/small_2n_room.ron".as_ref(), &catalog).unwrap();
        let mut p = CoolingPlant::build(&CoolingLayout::from_site(&site), &catalog);
        let ids: HashMap<String, Entity> =
            site.elements().iter().map(|(_, e)| (e.id().to_string(), Entity::PLACEHOLDER)).collect();
        p.resolve_entities(&ids);
        p.resolve_nodes(0, |_| Some(0));
        p.update_power(0, |_| true, 0.0);
        heat(&mut p, scale);
        p
    }

    fn heat(p: &mut CoolingPlant, scale: f64) {
        p.clear_heat();
        for zi in 0..p.zones.len() {
            for _ in 0..10 {
                p.add_rack_heat_at(
                    (Some(zi as u32), None),
                    10e3 * scale,
                    0.0,
                    1.0 / 10e3 * 0.8,
                    RackMass::new(1.0e6, 240.0),
                );
            }
        }
    }

    /// Each zone's air over a step: the heat into it, less what its coils took, is what it
    /// stored (`C·ΔT`), whatever regimes the coils passed through.
    #[test]
    fn each_zone_stores_what_its_coils_do_not_take() {
        let mut p = plant_with_heat(1.0);
        p.step(1.0, |_| (25.0, 18.0));
        heat(&mut p, 1.6);
        let before: Vec<f64> = p.zones.iter().map(|z| z.stored_heat_j()).collect();
        let dt = 600.0;
        p.step(dt, |_| (25.0, 18.0));
        for (z, t0) in p.zones.iter().zip(before) {
            let stored = z.stored_heat_j() - t0;
            let balance = (z.heat_load_w - z.coil_w) * dt;
            assert!((stored - balance).abs() <= 1e-6 * (z.heat_load_w * dt), "{}: {stored} vs {balance}", z.id);
        }
    }

    /// The plant starts at the healthy steady state: a step with the same heat leaves it there.
    #[test]
    fn the_healthy_steady_state_is_steady() {
        let mut p = plant_with_heat(1.0);
        p.step(1.0, |_| (25.0, 18.0));
        let first: Vec<f64> = p.zones.iter().map(|z| z.room_c).chain(p.loops.iter().map(|l| l.supply_c)).collect();
        heat(&mut p, 1.0);
        p.step(60.0, |_| (25.0, 18.0));
        let then: Vec<f64> = p.zones.iter().map(|z| z.room_c).chain(p.loops.iter().map(|l| l.supply_c)).collect();
        for (a, b) in first.iter().zip(&then) {
            assert!((a - b).abs() < 1e-6, "{a} → {b}");
        }
    }

    /// A rebuild (an edit) carries every temperature over by id.
    #[test]
    fn a_rebuild_carries_temperatures_by_id() {
        let mut p = plant_with_heat(1.5);
        p.step(1.0, |_| (25.0, 18.0));
        heat(&mut p, 2.0);
        p.step(300.0, |_| (25.0, 18.0));
        let catalog = Catalog::builtin();
        let site = crate::site::load::load_site("sites/small_2n_room.ron".as_ref(), &catalog).unwrap();
        let mut rebuilt = CoolingPlant::build(&CoolingLayout::from_site(&site), &catalog);
        // A fresh plant starts elsewhere: the carry-over is what puts the temperatures back.
        assert!(rebuilt.zones.iter().zip(&p.zones).all(|(a, b)| a.room_c != b.room_c));
        rebuilt.carry_state_from(&p);
        assert!(rebuilt.is_initialized());
        for (a, b) in rebuilt.zones.iter().zip(&p.zones) {
            assert_eq!((a.id.as_str(), a.room_c, a.supply_c), (b.id.as_str(), b.room_c, b.supply_c));
        }
        for (a, b) in rebuilt.loops.iter().zip(&p.loops) {
            assert_eq!((a.id.as_str(), a.supply_c), (b.id.as_str(), b.supply_c));
        }
    }
}
