//! Thermal and cooling model: where the heat goes, what it costs to remove, when it gets too hot.
//!
//! # Model (lumped: air and equipment mass per zone, one node per CDU loop and water loop)
//! * **Zone air** (hall or contained aisle pair): the heat capacity of its air. Racks blow their
//!   air-side heat into it; CRAHs draw return air from it and supply air at `T_sup`. With CRAH
//!   airflow `ṁ`: `C_a·dT/dt = Q_air + P_fans − ṁ·c_p·(T − T_sup) − G·(T − T_m)` (the
//!   recirculated share of rack intake cancels out of the balance; it only raises rack inlets).
//! * **Equipment mass** of the zone's racks, `C_m·dT_m/dt = G·(T − T_m)`, `G = Σ C_rack/τ_rack`:
//!   the metal exchanges heat with the air passing through it, so after a cooling loss the air
//!   rises at its own pace and the mass slows it over the following minutes.
//! * **CRAH coil**: holds the supply setpoint while it can; its capacity is `ε·ṁ·c_p·(T − T_w)`
//!   (ε-NTU with the air side as C_min, ε from the catalog rating point). When the setpoint
//!   cannot be held the supply rises to `T − ε·(T − T_w)`. Fans follow the racks' airflow
//!   demand between their minimum and full speed; fan power goes with the cube of speed.
//! * **Rack inlet** = `(1 − f)·T_sup + f·T_room`, with recirculation `f` the containment's base
//!   share, growing to `1 − ṁ_CRAH/ṁ_racks` when the CRAHs supply less air than the racks draw.
//!   **Outlet** = inlet + `P_air/(ṁ_rack·c_p)`.
//! * **CDU**: the technology loop is a node with the CDU's water volume, cooled through a heat
//!   exchanger of `UA = capacity/approach` to its facility-water loop: supply settles at
//!   `T_fws + approach·Q/capacity` and rises further when overloaded or unpowered.
//! * **Water loop**: a node with the loop's water volume, heated by CRAH coils, CDUs and pump
//!   work, cooled by its plant. The plant holds the setpoint if it can: free cooling through the
//!   heat-rejection units when `T_wb (tower) or T_db (dry cooler) + approach ≤ setpoint`, else the
//!   chillers (DOE-2 `CAPFT`, `EIRFT`, `EIRFPLR` curves) with their condensers at the
//!   heat-rejection leaving temperature. A loop short of capacity warms up.
//!
//! Every node is advanced with the exact solution of its linear ODE over the step
//! (`T∞ + (T − T∞)·e^{−Δt/τ}`), so the update is stable for any step; heat moved in a step is
//! taken from the energy balance of that step, so energy is conserved exactly.
//!
//! The thermal step runs between the topology update and the load flow: who has power follows
//! from the topology alone, and racks are constant-power loads, so their heat is known before
//! the load flow. The power the cooling units draw then joins the same step's load flow: there
//! is no lag between the two, and a run's first step already carries its cooling.

pub mod plant;
mod two_node;
pub mod water;
pub mod zone;

use std::collections::HashMap;

use bevy::prelude::*;

use super::components::*;
use super::electrical::{CoolingLoad, CoolingLoads, ElectricalNetwork, NetworkSlot, RackCordNodes, rack_demand_w};
use super::world::{ActiveCatalog, CoolingLayout, RackCooling};
use super::{RackPasses, SimClock, SimSystems};
use crate::catalog::RackRating;
pub use plant::*;
pub use zone::CoilRating;

/// Air density, kg/m³ (physics-reference 2.2).
pub const AIR_DENSITY: f64 = 1.2;
/// Air specific heat, J/(kg·K).
pub const AIR_CP: f64 = 1005.0;
/// Water density, kg/m³.
pub const WATER_DENSITY: f64 = 998.0;
/// Water specific heat, J/(kg·K) (physics-reference 2.2).
pub const WATER_CP: f64 = 4186.0;
/// Power factor of cooling motors on drives (estimate).
pub const COOLING_POWER_FACTOR: f64 = 0.95;

/// Thermal results of a rack, computed from the plant's state on demand ([`rack_thermal`],
/// [`RackInputsItem::thermal`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct RackThermal {
    /// Inlet air temperature, °C.
    pub inlet_c: f64,
    /// Outlet air temperature, °C.
    pub outlet_c: f64,
    /// Technology-loop supply temperature at the rack (liquid-cooled racks), °C.
    pub liquid_supply_c: Option<f64>,
}

/// Runs the thermal model before the electrical step of the same fixed step.
pub struct ThermalPlugin;

impl Plugin for ThermalPlugin {
    fn build(&self, app: &mut App) {
        // The thermal model's own state on each rack.
        app.register_required_components::<Rack, RackCoolingSlot>();
        app.register_required_components::<LossZone, LossZoneSlot>();
        app.init_resource::<CoolingPlant>()
            .init_resource::<crate::sim::EquipmentLog>()
            .init_resource::<ThermalShedding>()
            .init_resource::<ElementRoster>()
            .add_systems(FixedUpdate, step_thermal.in_set(SimSystems::Thermal))
            // Observers count spawns and despawns as they happen (no per-step scan of every
            // element for `Added`).
            .add_observer(|_: On<Add, ElementId>, mut roster: ResMut<ElementRoster>| roster.spawns += 1)
            .add_observer(|_: On<Remove, ElementId>, mut roster: ResMut<ElementRoster>| roster.spawns += 1)
            // Every change of a rack's rating, zone, CDU or service is an insert (all immutable);
            // a utilization is counted when inserted or removed (it changes in place otherwise).
            .add_observer(|_: On<Insert, RackPlace>, mut roster: ResMut<ElementRoster>| roster.places += 1)
            .add_observer(|_: On<Remove, RackPlace>, mut roster: ResMut<ElementRoster>| roster.places += 1);
    }
}

/// What fixes a rack's place in the heat balance besides the topology: its rating, its zone and
/// CDU, and whether it is in service (and its utilization's presence: a rack without one
/// draws its full rating).
type RackPlace = (Rack, Utilization, RackCooling, InService);

/// How often the elements changed in ways the thermal step keeps track of between steps.
#[derive(Resource, Debug, Default)]
struct ElementRoster {
    /// Spawns and despawns: when one happens, cooling units must find their supply's new
    /// entity (an edit respawns elements).
    spawns: u64,
    /// Inserts and removals of a [`RackPlace`] component (on any element): while none
    /// happens, each rack keeps the zone, CDU and supply the last full pass found.
    places: u64,
    /// How the racks' heat was gathered (kept here, not in the plant, whose state a fixed point
    /// compares).
    rack_passes: RackPasses,
}

/// [`RackPasses`] of `world`'s thermal model; `None` without one.
pub fn rack_passes(world: &World) -> Option<RackPasses> {
    Some(world.get_resource::<ElementRoster>()?.rack_passes)
}

type RackHeatColumns<'a> = (
    Entity,
    &'a Rack,
    Option<&'a Utilization>,
    &'a InService,
    &'a RackCordNodes,
    Option<Ref<'a, RackCooling>>,
    &'a mut RackCoolingSlot,
    &'a mut RackProtection,
);

/// What a step in which only demands moved reads of each rack ([`add_moved_rack_heat`]).
type MovedRackColumns<'a> = (Entity, &'a Utilization, &'a RackProtection);

/// A rack whose demand or protection changed. (Its rating, service, zone and CDU are immutable
/// and counted by [`ElementRoster::places`]; its cords move only with a network rebuild.)
type RackHeatChanged = (With<Rack>, Or<(Changed<Utilization>, Changed<RackProtection>)>);

/// The racks' heat summed by the last full pass over them, and what it takes for the sums to
/// stand: at 10k racks the pass is most of the thermal step, and in a steady hall nothing in
/// it changes (the sums are the same numbers in the same order, so reusing them changes no bit).
#[derive(Default)]
struct RackHeatCache {
    /// `(plant generation, network rebuilds)` of the pass.
    key: Option<(u64, u64)>,
    /// The racks' share of the zones' and CDUs' heat.
    sums: plant::RackHeatSums,
    /// Per zone: the lowest throttle inlet of the racks that breathe its air, °C.
    zone_throttle_c: Vec<f64>,
    /// Per CDU: the lowest throttle coolant temperature of its racks, °C.
    cdu_throttle_c: Vec<f64>,
    /// Every rack ran at full power with its protection at rest after the pass.
    calm: bool,
    /// Per cooled rack, in the query's order: where the last full pass found it and what
    /// follows from its rating (a step in which only the racks' demands move needs nothing
    /// else: [`add_moved_rack_heat`]).
    rows: Vec<RackRow>,
    /// The number of racks the last full pass met, cooled or not.
    racks: usize,
    /// [`ElementRoster::places`] at the last full pass.
    places: Option<u64>,
}

/// One cooled rack as the last full pass over the racks found it: its place and the constants
/// of its rating (immutable, so they stand until [`ElementRoster::places`] moves). Kept to 48
/// bytes: the rows are read for every rack in every step where demands move, so their size is
/// the pass's memory traffic.
#[derive(Debug, Clone, Copy)]
struct RackRow {
    entity: Entity,
    /// Rated power, W.
    rated_w: f64,
    /// Share of its heat into the coolant (the liquid fraction).
    liquid_share: f64,
    /// Air drawn per watt of air-side heat, m³/s per W.
    airflow_m3_s_per_w: f64,
    /// Zone and CDU slots, [`NO_SLOT`] for none.
    zone: u32,
    cdu: u32,
    /// In service with a live cord.
    supplied: bool,
}

/// A [`RackRow`]'s zone or CDU when it has none.
const NO_SLOT: u32 = u32::MAX;

impl RackRow {
    /// The row of a rack with `rating` at plant slots `(zone, cdu)`.
    fn new(entity: Entity, (zone, cdu): (Option<u32>, Option<u32>), supplied: bool, rating: &RackRating) -> RackRow {
        RackRow {
            entity,
            rated_w: rating.rated_kw * 1000.0,
            liquid_share: rating.liquid_fraction,
            airflow_m3_s_per_w: rating.airflow_m3_s_per_kw / 1e3,
            zone: zone.unwrap_or(NO_SLOT),
            cdu: cdu.unwrap_or(NO_SLOT),
            supplied,
        }
    }

    /// Its zone and CDU slots.
    fn slots(&self) -> (Option<u32>, Option<u32>) {
        let slot = |s: u32| (s != NO_SLOT).then_some(s);
        (slot(self.zone), slot(self.cdu))
    }

    /// Its demand at `utilization`, W ([`rack_demand_w`]'s arithmetic).
    fn demand_w(&self, utilization: f64) -> f64 {
        self.rated_w * utilization
    }

    /// `p_w` of heat split into `(air, liquid)`, W.
    fn split_w(&self, p_w: f64) -> (f64, f64) {
        (p_w * (1.0 - self.liquid_share), p_w * self.liquid_share)
    }
}

impl RackHeatCache {
    /// True when no rack's protection would act at the plant's present temperatures, if every
    /// rack is as the last full pass left it: each zone's inlet and each CDU's supply below the
    /// lowest throttle point of the racks it cools. (A NaN is not below: the full pass then
    /// works protection out.)
    fn stays_calm(&self, plant: &CoolingPlant) -> bool {
        self.calm
            && plant.is_initialized()
            && self.zone_throttle_c.iter().enumerate().all(|(z, &t)| t == f64::INFINITY || plant.zone_inlet_c(z) < t)
            && self.cdu_throttle_c.iter().zip(&plant.cdus).all(|(&t, c)| t == f64::INFINITY || c.supply_c < t)
    }

    /// True when a pass over the racks would find what the last one found: no rack changed
    /// (`unchanged`, which scans every rack's change ticks, so it is asked last), same plant
    /// and topology, every rack calm and staying so.
    fn stands(&self, plant: &CoolingPlant, network: &ElectricalNetwork, unchanged: impl FnOnce() -> bool) -> bool {
        self.key == Some((plant.generation, network.rebuilds)) && self.stays_calm(plant) && unchanged()
    }
}

/// Adds every rack's heat to its zone and CDU, its protection worked out first; fills `cache`.
fn add_rack_heat(
    plant: &mut CoolingPlant,
    racks: &mut Query<RackHeatColumns>,
    network: &ElectricalNetwork,
    shedding: &mut ThermalShedding,
    cache: &mut RackHeatCache,
    start: f64,
) {
    cache.zone_throttle_c.clear();
    cache.zone_throttle_c.resize(plant.zones.len(), f64::INFINITY);
    cache.cdu_throttle_c.clear();
    cache.cdu_throttle_c.resize(plant.cdus.len(), f64::INFINITY);
    let mut calm_all = true;
    cache.rows.clear();
    cache.racks = 0;
    for (entity, rack, utilization, in_service, cords, cooling, mut slot, mut protection) in racks.iter_mut() {
        cache.racks += 1;
        let Some(cooling) = cooling else { continue };
        let supplied = network.rack_supplied(in_service.0, cords);
        if slot.generation != plant.generation || cooling.is_changed() {
            let (zone, cdu) = plant.slots(&cooling);
            *slot = RackCoolingSlot { zone, cdu, generation: plant.generation };
        }
        let row = RackRow::new(entity, (slot.zone, slot.cdu), supplied, &rack.rating);
        cache.rows.push(row);
        let lf = rack.rating.liquid_fraction;
        let mass = RackMass::new(rack.rating.thermal_mass_kj_per_k * 1e3, rack.rating.mass_time_constant_s);
        let design_w = row.demand_w(Utilization::of(utilization));
        let (air_zone, liquid_cdu) = (slot.zone.filter(|_| lf < 1.0), slot.cdu.filter(|_| lf > 0.0));
        if let Some(z) = air_zone {
            let t = &mut cache.zone_throttle_c[z as usize];
            *t = t.min(rack.rating.throttle_inlet_c);
        }
        if let Some(c) = liquid_cdu {
            let t = &mut cache.cdu_throttle_c[c as usize];
            *t = t.min(rack.rating.throttle_liquid_c);
        }
        if plant.is_initialized() {
            // The temperatures the plant holds now (the end of the last step).
            let inlet = air_zone.map(|z| plant.zone_inlet_c(z as usize));
            let liquid = liquid_cdu.map(|c| plant.cdus[c as usize].supply_c);
            // A rack at full power below both throttle points stays so: no need to work it out.
            let calm = *protection == RackProtection::default()
                && inlet.is_none_or(|t| t < rack.rating.throttle_inlet_c)
                && liquid.is_none_or(|t| t < rack.rating.throttle_liquid_c);
            if !calm {
                protection.set_if_neq(protection.next(&rack.rating, inlet, liquid, start));
            }
        }
        calm_all &= *protection == RackProtection::default();
        if supplied && protection.tripped {
            shedding.tripped.push((entity, design_w / 1e3));
        } else if supplied && protection.factor < 1.0 {
            shedding.throttled.push((entity, design_w * (1.0 - protection.factor) / 1e3));
        }
        let airflow = row.airflow_m3_s_per_w;
        if supplied {
            let (air_w, liquid_w) = row.split_w(design_w * protection.factor);
            plant.add_rack_heat_at(row.slots(), air_w, liquid_w, airflow, mass);
        } else {
            // No heat now; its mass stays, and its design heat counts for the healthy start.
            let (air_w, liquid_w) = row.split_w(design_w);
            plant.add_idle_rack_at(row.slots(), air_w, liquid_w, airflow, mass);
        }
    }
    cache.calm = calm_all;
    cache.key = Some((plant.generation, network.rebuilds));
    plant.rack_heat_sums_into(&mut cache.sums);
}

/// [`add_rack_heat`] for a step in which only the racks' demands may have moved since the last
/// full pass: same plant, topology, places and ratings, every rack calm and staying so
/// ([`RackHeatCache::stays_calm`]). Each rack's zone, CDU, supply and rating constants are the
/// pass's rows, and the masses (which no demand moves) the pass's sums; the heat is summed in
/// the same order with the same arithmetic, so the sums are the full pass's to the bit
/// (tested). Returns false, with the racks' heat cleared, as soon as a rack is not as the pass
/// left it (another entity in its place, or its protection acting): the full pass is then
/// needed. Out of line so that profiles show it.
#[inline(never)]
fn add_moved_rack_heat(plant: &mut CoolingPlant, racks: &Query<MovedRackColumns>, cache: &mut RackHeatCache) -> bool {
    if racks.iter().len() != cache.racks || !cache.stays_calm(plant) {
        return false;
    }
    // Table by table, each column a slice, in the query's own order (as in the load pass).
    let Ok(tables) = racks.contiguous_iter() else { return false };
    plant.restore_rack_masses(&cache.sums);
    let mut rows = cache.rows.iter();
    for (entities, utilizations, protections) in tables {
        for ((&entity, utilization), protection) in entities.iter().zip(utilizations).zip(protections) {
            // Racks without cooling have no row: the next row is the next cooled rack's.
            let Some(row) = rows.as_slice().first().filter(|r| r.entity == entity) else { continue };
            rows.next();
            if *protection != RackProtection::default() {
                plant.clear_heat();
                return false;
            }
            if row.supplied {
                // The full pass's arithmetic with its protection factor of 1 (`p · 1 = p`).
                let (air_w, liquid_w) = row.split_w(row.demand_w(utilization.0));
                plant.add_rack_air_and_liquid(row.slots(), air_w, liquid_w, row.airflow_m3_s_per_w);
            }
        }
    }
    if rows.next().is_some() {
        plant.clear_heat();
        return false;
    }
    plant.rack_heat_sums_into(&mut cache.sums);
    true
}

/// Adds the electrical losses of the last load flow (it comes after this step) to the room
/// each element stands in; returns what goes outdoors, W. Out of line so that profiles show it.
#[inline(never)]
fn add_loss_heat(
    plant: &mut CoolingPlant,
    losses: &mut Query<(Ref<LossZone>, Option<&NetworkSlot>, &mut LossZoneSlot)>,
    network: &ElectricalNetwork,
) -> f64 {
    let mut outdoor_w = 0.0;
    for (zone, node, mut slot) in losses.iter_mut() {
        let (element_kw, feeder_kw) = node.and_then(|n| n.0).map_or((0.0, 0.0), |k| network.node_losses_kw(k as usize));
        let w = (element_kw + feeder_kw) * 1e3;
        if slot.generation != plant.generation || zone.is_changed() {
            let zi = zone.0.as_deref().and_then(|z| plant.zone_slot(z)).map(|z| z as u32);
            *slot = LossZoneSlot { zone: zi, generation: plant.generation };
        }
        match slot.zone.map(|z| z as usize) {
            Some(zi) if w > 0.0 => plant.add_zone_heat(zi, w),
            _ => outdoor_w += w,
        }
    }
    outdoor_w
}

/// Racks whose thermal protection acts in the latest step, so limits need not scan every rack.
#[derive(Resource, Debug, Clone, Default, PartialEq)]
pub struct ThermalShedding {
    /// Throttled racks and the IT load they shed, kW.
    pub throttled: Vec<(Entity, f64)>,
    /// Racks shut down on over-temperature and the IT load they dropped, kW.
    pub tripped: Vec<(Entity, f64)>,
}

impl ThermalShedding {
    /// All IT load shed by thermal protection, kW.
    pub fn shed_kw(&self) -> f64 {
        self.throttled.iter().chain(&self.tripped).fold(0.0, |sum, (_, kw)| sum + kw)
    }
}

/// A rack's zone and CDU as indices into the [`CoolingPlant`], refreshed when the plant is
/// rebuilt or the rack's assignment changes (saves a lookup by id per rack per step).
#[derive(Component, Debug, Clone, Copy, Default, PartialEq)]
pub struct RackCoolingSlot {
    zone: Option<u32>,
    cdu: Option<u32>,
    /// Plant generation the indices belong to.
    generation: u64,
}

/// The zone an element's losses heat, as an index into the [`CoolingPlant`] (refreshed like
/// [`RackCoolingSlot`]).
#[derive(Component, Debug, Clone, Copy, Default, PartialEq)]
pub struct LossZoneSlot {
    zone: Option<u32>,
    generation: u64,
}

/// What a rack's results are computed from. Racks' cord currents and temperatures are not
/// copied into components every step (at 10k racks that was most of a step): they follow from
/// the solvers' arrays and the rack's own demand, so readers compute them with
/// [`Self::power`] and [`Self::thermal`].
#[derive(bevy::ecs::query::QueryData)]
pub struct RackInputs {
    /// The rack.
    pub rack: &'static Rack,
    /// How much of it is in use.
    pub utilization: Option<&'static Utilization>,
    /// In service.
    pub in_service: &'static InService,
    /// Its place in the load flow.
    pub cords: &'static RackCordNodes,
    /// Its thermal protection.
    pub protection: &'static RackProtection,
    /// Its zone and CDU, if cooled.
    pub cooling: Option<&'static RackCooling>,
    /// Its zone and CDU as plant indices (absent while the thermal model is off).
    pub slot: Option<&'static RackCoolingSlot>,
}

impl RackInputsItem<'_, '_> {
    /// The rack's load-flow results ([`ElectricalNetwork::rack_power`]).
    pub fn power(&self, net: &ElectricalNetwork) -> RackPower {
        net.rack_power(self.in_service.0, self.cords)
    }

    /// The rack's temperatures at the plant's present state; `None` for a rack without a zone
    /// or CDU in the plant.
    pub fn thermal(&self, plant: &CoolingPlant, net: &ElectricalNetwork) -> Option<RackThermal> {
        let cooling = self.cooling?;
        let slots = match self.slot {
            Some(s) if s.generation == plant.generation => (s.zone, s.cdu),
            _ => plant.slots(cooling),
        };
        if slots == (None, None) {
            return None;
        }
        let rating = &self.rack.rating;
        let supplied = net.rack_supplied(self.in_service.0, self.cords);
        let p_air_w = if supplied {
            rack_demand_w(rating, Utilization::of(self.utilization))
                * self.protection.factor
                * (1.0 - rating.liquid_fraction)
        } else {
            0.0
        };
        Some(plant.rack_thermal_at(slots, p_air_w, rating.airflow_m3_s_per_kw / 1e3))
    }
}

/// A rack's temperatures read from the world (see [`RackInputsItem::thermal`]); `None` when
/// `rack` is not a cooled rack or the site has no cooling plant.
pub fn rack_thermal(world: &World, rack: Entity) -> Option<RackThermal> {
    let plant = world.get_resource::<CoolingPlant>()?;
    let net = world.get_resource::<ElectricalNetwork>()?;
    let e = world.get_entity(rack).ok()?;
    let inputs = RackInputsItem {
        rack: e.get::<Rack>()?,
        utilization: e.get::<Utilization>(),
        in_service: e.get::<InService>()?,
        cords: e.get::<RackCordNodes>()?,
        protection: e.get::<RackProtection>()?,
        cooling: e.get::<RackCooling>(),
        slot: e.get::<RackCoolingSlot>(),
    };
    inputs.thermal(plant, net)
}

/// One thermal step: gather heat, advance the plant, write cooling loads.
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
fn step_thermal(
    time: Res<Time<Fixed>>,
    clock: Res<SimClock>,
    layout: Option<Res<CoolingLayout>>,
    catalog: Option<Res<ActiveCatalog>>,
    mut plant: ResMut<CoolingPlant>,
    mut racks: ParamSet<(Query<RackHeatColumns>, Query<(), RackHeatChanged>, Query<MovedRackColumns>)>,
    elements: Query<(Entity, &ElementId)>,
    mut losses: Query<(Ref<LossZone>, Option<&NetworkSlot>, &mut LossZoneSlot)>,
    network: Res<ElectricalNetwork>,
    mut cooling_loads: ResMut<CoolingLoads>,
    mut shedding: ResMut<ThermalShedding>,
    mut roster: ResMut<ElementRoster>,
    mut roster_seen: Local<Option<u64>>,
    mut cache: Local<RackHeatCache>,
    mut equipment_log: ResMut<crate::sim::EquipmentLog>,
) {
    // An edit respawns elements: units must find their supply's new entity.
    let respawned = roster_seen.replace(roster.spawns) != Some(roster.spawns);
    let (Some(layout), Some(catalog)) = (layout, catalog) else { return };
    if layout.zones.is_empty() && layout.water_loops.is_empty() {
        return;
    }
    let unbuilt = plant.zones.len() != layout.zones.len() || plant.loops.len() != layout.water_loops.len();
    if layout.is_changed() || unbuilt {
        // An edit rebuilds the plant; temperatures carry over by id, so the transient goes on.
        let mut rebuilt = CoolingPlant::build(&layout, &catalog.0);
        rebuilt.carry_state_from(&plant);
        rebuilt.generation = plant.generation + 1;
        *plant = rebuilt;
    }
    if respawned || !plant.entities_resolved() {
        let ids: HashMap<String, Entity> = elements.iter().map(|(e, id)| (id.0.clone(), e)).collect();
        plant.resolve_entities(&ids);
    }
    // Who has power follows from the topology alone (the load flow comes after this step and
    // carries this step's cooling power, so there is no lag between the two).
    if respawned || plant.nodes_rebuild != Some(network.rebuilds) {
        plant.resolve_nodes(network.rebuilds, |e| network.index.get(&e).map(|&k| k as u32));
    }
    // The clock already stands at the end of this step.
    let dt = time.timestep().as_secs_f64();
    let start = clock.elapsed_s - dt;
    let changes = plant.update_power(network.rebuilds, |k| network.network.is_live(k as usize), start);
    equipment_log.0.extend(changes);
    // Heat from racks: constant-power loads draw their demand whenever a cord is live, less
    // what their thermal protection sheds (decided on the temperatures of the last step).
    plant.clear_heat();
    // No rack spawned, despawned, or moved to another zone, CDU or service since the last full pass.
    let places_stand = cache.places == Some(roster.places) && !respawned;
    if cache.stands(&plant, &network, || places_stand && racks.p1().is_empty()) {
        plant.restore_rack_heat(&cache.sums);
    } else {
        // Calm racks in their places, whose demands moved (an AI job's power swing): their
        // heat anew from their rows, else the full pass.
        shedding.throttled.clear();
        shedding.tripped.clear();
        let moved = places_stand
            && cache.key == Some((plant.generation, network.rebuilds))
            && add_moved_rack_heat(&mut plant, &racks.p2(), &mut cache);
        if moved {
            roster.rack_passes.moved += 1;
        } else {
            add_rack_heat(&mut plant, &mut racks.p0(), &network, &mut shedding, &mut cache, start);
            cache.places = Some(roster.places);
            roster.rack_passes.full += 1;
        }
    }
    let outdoor_w = add_loss_heat(&mut plant, &mut losses, &network);
    plant.step(dt, |s| layout.ambient.as_ref().map_or((20.0, 14.0), |a| a.at(start + s)));
    plant.totals.outdoor_losses_w = outdoor_w;

    cooling_loads.loads.clear();
    plant.electrical_loads(|supply, node, p_kw| {
        cooling_loads.loads.push(CoolingLoad { supply, node, p_kw, power_factor: COOLING_POWER_FACTOR });
    });
    cooling_loads.rebuild = plant.nodes_rebuild;
}
