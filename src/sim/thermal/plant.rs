//! The cooling plant as plain data: zones, CRAHs, CDUs, water loops, chillers and heat
//! rejection, with the step that advances them. No ECS here, so it can be tested and timed alone.

use std::collections::HashMap;

use bevy::prelude::Entity;
use serde::Serialize;

use super::{AIR_CP, AIR_DENSITY, RackThermal, WATER_CP, WATER_DENSITY};
use crate::catalog::{Catalog, CduRating, ChillerRating, CrahRating, HeatRejectionKind, HeatRejectionRating};
use crate::sim::world::{CoolingLayout, RackCooling};
use crate::site::cooling::{AshraeClass, Containment, WaterClass};

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

/// How a group of CRAHs runs for a given airflow demand.
struct OperatingPoint {
    /// Airflow at full speed, m³/s.
    rated_flow: f64,
    /// Common fan speed, fraction.
    speed: f64,
    /// Airflow delivered, m³/s.
    airflow: f64,
    /// Air-side heat capacity rate, W/K.
    g: f64,
    /// Airflow-weighted coil effectiveness.
    eps: f64,
    /// Fan power of the group, W.
    fan_w: f64,
}

/// Fans follow the racks' demand between the units' minimum and full speed.
fn operating_point(crahs: &[CrahUnit], units: &[usize], demand_m3_s: f64) -> OperatingPoint {
    let rated_flow: f64 = units.iter().map(|&i| crahs[i].rating.rated_airflow_m3_s).sum();
    if rated_flow <= 0.0 {
        return OperatingPoint { rated_flow: 0.0, speed: 0.0, airflow: 0.0, g: 0.0, eps: 0.0, fan_w: 0.0 };
    }
    let min_speed = units.iter().map(|&i| crahs[i].rating.min_fan_speed_pct / 100.0).fold(0.0, f64::max);
    let speed = (demand_m3_s / rated_flow).clamp(min_speed, 1.0);
    let airflow = rated_flow * speed;
    let eps =
        units.iter().map(|&i| crahs[i].effectiveness * crahs[i].rating.rated_airflow_m3_s).sum::<f64>() / rated_flow;
    let fan_w = units.iter().map(|&i| crahs[i].rating.fan_power_kw * 1e3 * speed.powi(3)).sum();
    OperatingPoint { rated_flow, speed, airflow, g: AIR_DENSITY * AIR_CP * airflow, eps, fan_w }
}

/// A cooling zone's state and last step's results.
#[derive(Debug, Clone, Serialize)]
pub struct ZoneState {
    /// Zone id.
    pub id: String,
    /// Air heat capacity, J/K (racks' thermal mass is added per step).
    pub air_c_j_k: f64,
    /// Containment.
    #[serde(skip)]
    pub containment: Containment,
    /// ASHRAE class of its racks.
    #[serde(skip)]
    pub class: AshraeClass,
    /// Room (return) air temperature, °C.
    pub room_c: f64,
    /// Supply air temperature, °C.
    pub supply_c: f64,
    /// Share of rack intake that is recirculated exhaust.
    pub recirculation: f64,
    /// CRAH airflow, m³/s.
    pub airflow_m3_s: f64,
    /// Racks' airflow demand, m³/s.
    pub demand_m3_s: f64,
    /// Air-side heat from racks, W.
    pub rack_heat_w: f64,
    /// Heat removed by CRAH coils in the last step, W.
    pub coil_w: f64,
    /// Heat load on the zone's air (racks and CRAH fans), W.
    pub heat_load_w: f64,
    /// Rated cooling of the CRAHs running in the zone, W.
    pub running_capacity_w: f64,
    /// The CRAHs could not hold the supply setpoint.
    pub over_capacity: bool,
    /// Racks' thermal mass, J/K (every rack in the zone, powered or not: the metal is there).
    #[serde(skip)]
    rack_c_j_k: f64,
    /// Air-side heat and airflow demand of the racks with every element in service (the
    /// healthy site a run starts from), W and m³/s; gathered before the first step only.
    #[serde(skip)]
    healthy_heat_w: f64,
    #[serde(skip)]
    healthy_demand_m3_s: f64,
    /// Highest rack inlet in the zone, °C.
    pub hottest_inlet_c: f64,
    /// Seconds until the hottest inlet reaches the class's allowable maximum (if rising).
    pub time_to_allowable_s: Option<f64>,
    /// Seconds until it reaches the recommended maximum (if rising).
    pub time_to_recommended_s: Option<f64>,
}

/// Where an electrically supplied unit gets its power.
#[derive(Debug, Clone, Default)]
pub struct Supply {
    /// Id of the feeding element.
    pub upstream: String,
    /// Its entity, once resolved.
    pub entity: Option<Entity>,
    /// In service (site file).
    pub in_service: bool,
    /// In service and its feeder is energized.
    pub powered: bool,
}

/// A CRAH.
#[derive(Debug, Clone)]
pub struct CrahUnit {
    /// Id.
    pub id: String,
    /// Zone index.
    pub zone: usize,
    /// Loop index.
    pub water_loop: usize,
    /// Rating.
    pub rating: CrahRating,
    /// Coil effectiveness from the rating point.
    pub effectiveness: f64,
    /// Power.
    pub supply: Supply,
    /// Fan speed, fraction.
    pub fan_speed: f64,
    /// Fan power, W.
    pub fan_w: f64,
    /// Coil heat, W.
    pub coil_w: f64,
}

/// A CDU and its technology loop.
#[derive(Debug, Clone)]
pub struct CduUnit {
    /// Id.
    pub id: String,
    /// Loop index.
    pub water_loop: usize,
    /// Rating.
    pub rating: CduRating,
    /// Power.
    pub supply: Supply,
    /// Technology-loop supply temperature, °C.
    pub supply_c: f64,
    /// Liquid heat from racks this step, W.
    pub rack_heat_w: f64,
    /// Heat passed to the facility water in the last step, W.
    pub to_loop_w: f64,
    /// Pump power, W.
    pub pump_w: f64,
    /// Heat it can move now, W: its rating while powered with facility water flowing, else 0.
    pub available_w: f64,
    /// Technology-loop supply it is designed to hold: facility-water setpoint + approach, °C.
    pub design_supply_c: f64,
    /// Liquid heat of its racks with every element in service, W (before the first step only).
    healthy_heat_w: f64,
}

/// A chiller.
#[derive(Debug, Clone)]
pub struct ChillerUnit {
    /// Id.
    pub id: String,
    /// Loop index.
    pub water_loop: usize,
    /// Rating.
    pub rating: ChillerRating,
    /// Power.
    pub supply: Supply,
    /// Cooling delivered, W.
    pub cooling_w: f64,
    /// Electrical power, W.
    pub power_w: f64,
    /// Available capacity at present conditions, W.
    pub available_w: f64,
}

impl ChillerUnit {
    /// Id of its loop.
    pub fn loop_id<'a>(&self, plant: &'a CoolingPlant) -> &'a str {
        &plant.loops[self.water_loop].id
    }
}

/// A cooling tower or dry cooler.
#[derive(Debug, Clone)]
pub struct HeatRejectionUnit {
    /// Id.
    pub id: String,
    /// Loop index.
    pub water_loop: usize,
    /// Rating.
    pub rating: HeatRejectionRating,
    /// Power.
    pub supply: Supply,
    /// Heat rejected, W.
    pub rejected_w: f64,
    /// Fan power, W.
    pub fan_w: f64,
}

impl HeatRejectionUnit {
    /// Id of its loop.
    pub fn loop_id<'a>(&self, plant: &'a CoolingPlant) -> &'a str {
        &plant.loops[self.water_loop].id
    }
}

/// A water loop and its plant state.
#[derive(Debug, Clone, Serialize)]
pub struct LoopState {
    /// Id.
    pub id: String,
    /// Supply temperature, °C.
    pub supply_c: f64,
    /// Setpoint, °C.
    pub setpoint_c: f64,
    /// W class.
    #[serde(skip)]
    pub class: Option<WaterClass>,
    /// Heat capacity, J/K.
    pub c_j_k: f64,
    /// Pump power when running, W.
    pub pump_rated_w: f64,
    /// Pumps' power supply.
    #[serde(skip)]
    pub supply: Supply,
    /// Heat taken in from coils, CDUs and pumps in the last step, W.
    pub heat_in_w: f64,
    /// Heat removed by the plant, W.
    pub plant_w: f64,
    /// Free cooling carried the load.
    pub free_cooling: bool,
    /// The plant could not hold the setpoint.
    pub over_capacity: bool,
    /// Pump power drawn, W.
    pub pump_w: f64,
}

/// Cooling power and heat flows of the last step, W.
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
    /// Heat removed from racks through air (CRAH coils, including fan heat), W.
    pub heat_air_w: f64,
    /// Heat removed from racks through liquid (CDUs), W.
    pub heat_liquid_w: f64,
    /// Heat rejected to the outdoors, W.
    pub rejected_w: f64,
}

impl CoolingTotals {
    /// All cooling power, W.
    pub fn power_w(&self) -> f64 {
        self.crah_fans_w + self.cdu_pumps_w + self.loop_pumps_w + self.chillers_w + self.heat_rejection_fans_w
    }
}

/// The whole plant.
#[derive(bevy::prelude::Resource, Debug, Clone, Default)]
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
    /// Heat rejection.
    pub heat_rejection: Vec<HeatRejectionUnit>,
    /// Totals of the last step.
    pub totals: CoolingTotals,
    /// Outdoor `(dry bulb, wet bulb)` of the last step, °C.
    pub ambient_c: (f64, f64),
    /// Bumped on every rebuild (racks cache their zone/CDU indices per generation).
    pub generation: u64,
    zone_index: HashMap<String, usize>,
    cdu_index: HashMap<String, usize>,
    /// CRAHs of each zone, chillers and heat-rejection units of each loop (indices).
    zone_crahs: Vec<Vec<usize>>,
    loop_chillers: Vec<Vec<usize>>,
    loop_rejection: Vec<Vec<usize>>,
    initialized: bool,
}

impl CoolingPlant {
    /// Builds the plant from the site's cooling sections (validated, so references resolve).
    pub fn build(layout: &CoolingLayout, catalog: &Catalog) -> CoolingPlant {
        let mut p = CoolingPlant::default();
        for z in &layout.zones {
            p.zone_index.insert(z.id.clone(), p.zones.len());
            p.zones.push(ZoneState {
                id: z.id.clone(),
                air_c_j_k: AIR_DENSITY * AIR_CP * z.volume_m3,
                containment: z.containment,
                class: z.ashrae_class,
                room_c: 20.0,
                supply_c: 20.0,
                recirculation: z.containment.base_recirculation(),
                airflow_m3_s: 0.0,
                demand_m3_s: 0.0,
                rack_heat_w: 0.0,
                coil_w: 0.0,
                heat_load_w: 0.0,
                running_capacity_w: 0.0,
                over_capacity: false,
                rack_c_j_k: 0.0,
                healthy_heat_w: 0.0,
                healthy_demand_m3_s: 0.0,
                hottest_inlet_c: 20.0,
                time_to_allowable_s: None,
                time_to_recommended_s: None,
            });
        }
        let loop_index: HashMap<&str, usize> =
            layout.water_loops.iter().enumerate().map(|(i, l)| (l.id.as_str(), i)).collect();
        let supply = |upstream: &str, in_service: bool| Supply {
            upstream: upstream.to_string(),
            entity: None,
            in_service,
            powered: false,
        };
        for l in &layout.water_loops {
            p.loops.push(LoopState {
                id: l.id.clone(),
                supply_c: l.supply_setpoint_c,
                setpoint_c: l.supply_setpoint_c,
                class: l.water_class,
                c_j_k: WATER_DENSITY * WATER_CP * l.volume_m3,
                pump_rated_w: l.pump_power_kw * 1e3,
                supply: supply(&l.upstream, l.in_service),
                heat_in_w: 0.0,
                plant_w: 0.0,
                free_cooling: false,
                over_capacity: false,
                pump_w: 0.0,
            });
        }
        for c in &layout.crahs {
            let (Some(m), Some(&zone), Some(&water_loop)) =
                (catalog.crahs.get(&c.model), p.zone_index.get(&c.zone), loop_index.get(c.water_loop.as_str()))
            else {
                continue;
            };
            let rating = c.overrides.apply(&m.rating());
            let g_rated = AIR_DENSITY * AIR_CP * rating.rated_airflow_m3_s;
            let effectiveness = (rating.rated_cooling_kw * 1e3
                / (g_rated * (rating.rated_return_c - rating.rated_water_c)))
                .clamp(0.0, 1.0);
            p.crahs.push(CrahUnit {
                id: c.id.clone(),
                zone,
                water_loop,
                rating,
                effectiveness,
                supply: supply(&c.upstream, c.in_service),
                fan_speed: 0.0,
                fan_w: 0.0,
                coil_w: 0.0,
            });
        }
        for c in &layout.cdus {
            let (Some(m), Some(&water_loop)) = (catalog.cdus.get(&c.model), loop_index.get(c.water_loop.as_str()))
            else {
                continue;
            };
            p.cdu_index.insert(c.id.clone(), p.cdus.len());
            let setpoint = layout.water_loops[water_loop].supply_setpoint_c;
            p.cdus.push(CduUnit {
                id: c.id.clone(),
                water_loop,
                rating: c.overrides.apply(&m.rating()),
                supply: supply(&c.upstream, c.in_service),
                supply_c: setpoint,
                rack_heat_w: 0.0,
                to_loop_w: 0.0,
                pump_w: 0.0,
                available_w: 0.0,
                design_supply_c: setpoint + c.overrides.apply(&m.rating()).approach_k,
                healthy_heat_w: 0.0,
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
                rating: c.overrides.apply(&m.rating()),
                supply: supply(&c.upstream, c.in_service),
                cooling_w: 0.0,
                power_w: 0.0,
                available_w: 0.0,
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
                rating: h.overrides.apply(&m.rating()),
                supply: supply(&h.upstream, h.in_service),
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
        for z in &mut self.zones {
            if let Some(o) = old.zones.iter().find(|o| o.id == z.id) {
                (z.room_c, z.supply_c) = (o.room_c, o.supply_c);
            }
        }
        for l in &mut self.loops {
            if let Some(o) = old.loops.iter().find(|o| o.id == l.id) {
                l.supply_c = o.supply_c;
            }
        }
        for c in &mut self.cdus {
            if let Some(o) = old.cdus.iter().find(|o| o.id == c.id) {
                c.supply_c = o.supply_c;
            }
        }
        self.initialized = true;
    }

    /// Steady room temperature of zone `zi` in the healthy site (every rack and CRAH running,
    /// water at its setpoint): at the setpoint's
    /// balance if the coil can hold it, else at the coil-limited balance `T_water + Q/(ε·G)`.
    fn healthy_room_c(&self, zi: usize, loop_temp: &[f64]) -> Option<f64> {
        let units = &self.zone_crahs[zi];
        let first = self.crahs.get(*units.first()?)?;
        let zone = &self.zones[zi];
        let op = operating_point(&self.crahs, units, zone.healthy_demand_m3_s);
        if op.g <= 0.0 || op.eps <= 0.0 {
            return None;
        }
        let q = zone.healthy_heat_w + op.fan_w;
        let (setpoint, water_c) = (first.rating.supply_setpoint_c, loop_temp[first.water_loop]);
        let held_c = setpoint + q / op.g;
        Some(if setpoint >= (1.0 - op.eps) * held_c + op.eps * water_c {
            held_c
        } else {
            water_c + q / (op.eps * op.g)
        })
    }

    /// `(zone index, CDU index)` of a rack's cooling assignment, for [`Self::add_rack_heat_at`].
    pub fn slots(&self, cooling: &RackCooling) -> (Option<u32>, Option<u32>) {
        (
            cooling.zone.as_ref().and_then(|z| self.zone_index.get(z)).map(|&i| i as u32),
            cooling.cdu.as_ref().and_then(|c| self.cdu_index.get(c)).map(|&i| i as u32),
        )
    }

    fn supplies_mut(&mut self) -> impl Iterator<Item = &mut Supply> {
        self.loops
            .iter_mut()
            .map(|l| &mut l.supply)
            .chain(self.crahs.iter_mut().map(|u| &mut u.supply))
            .chain(self.cdus.iter_mut().map(|u| &mut u.supply))
            .chain(self.chillers.iter_mut().map(|u| &mut u.supply))
            .chain(self.heat_rejection.iter_mut().map(|u| &mut u.supply))
    }

    /// Looks up the feeding element of every unit once (`entity_of` maps an element id).
    pub fn resolve_entities(&mut self, entity_of: &HashMap<String, Entity>) {
        for s in self.supplies_mut() {
            s.entity = entity_of.get(&s.upstream).copied();
        }
    }

    /// Forgets the feeder entities, so the next step looks them up again.
    pub fn forget_entities(&mut self) {
        for s in self.supplies_mut() {
            s.entity = None;
        }
    }

    /// True when every unit's feeder entity has been looked up.
    pub fn entities_resolved(&self) -> bool {
        self.loops.iter().all(|l| l.supply.entity.is_some())
            && self.crahs.iter().all(|u| u.supply.entity.is_some())
            && self.cdus.iter().all(|u| u.supply.entity.is_some())
            && self.chillers.iter().all(|u| u.supply.entity.is_some())
            && self.heat_rejection.iter().all(|u| u.supply.entity.is_some())
    }

    /// Updates which units have power (`energized` tells whether a feeder is live).
    pub fn update_power(&mut self, energized: impl Fn(Entity) -> bool) {
        for s in self.supplies_mut() {
            s.powered = s.in_service && s.entity.is_some_and(&energized);
        }
    }

    /// Forgets last step's rack heat.
    pub fn clear_heat(&mut self) {
        for z in &mut self.zones {
            z.rack_heat_w = 0.0;
            z.demand_m3_s = 0.0;
            z.rack_c_j_k = 0.0;
            z.healthy_heat_w = 0.0;
            z.healthy_demand_m3_s = 0.0;
        }
        for c in &mut self.cdus {
            c.rack_heat_w = 0.0;
            c.healthy_heat_w = 0.0;
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
        mass_j_k: f64,
    ) {
        let slots = self.slots(cooling);
        self.add_rack_heat_at(slots, air_w, liquid_w, airflow_m3_s_per_w, mass_j_k);
    }

    /// [`Self::add_rack_heat`] with the zone and CDU already looked up.
    pub fn add_rack_heat_at(
        &mut self,
        slots: (Option<u32>, Option<u32>),
        air_w: f64,
        liquid_w: f64,
        airflow_m3_s_per_w: f64,
        mass_j_k: f64,
    ) {
        let (zone, cdu) = slots;
        if let Some(z) = zone {
            let zone = &mut self.zones[z as usize];
            zone.rack_heat_w += air_w;
            zone.demand_m3_s += air_w * airflow_m3_s_per_w;
        }
        if let Some(c) = cdu {
            self.cdus[c as usize].rack_heat_w += liquid_w;
        }
        self.add_idle_rack_at(slots, air_w, liquid_w, airflow_m3_s_per_w, mass_j_k);
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
        mass_j_k: f64,
    ) {
        let healthy = !self.initialized;
        if let Some(z) = zone {
            let zone = &mut self.zones[z as usize];
            zone.rack_c_j_k += mass_j_k;
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

    /// Advances the plant by `dt` seconds at outdoor `(dry bulb, wet bulb)` °C.
    pub fn step(&mut self, dt: f64, ambient_c: (f64, f64)) {
        self.ambient_c = ambient_c;
        let first = !self.initialized;
        self.initialized = true;
        let loop_flowing: Vec<bool> = self.loops.iter().map(|l| l.supply.powered).collect();
        let loop_temp: Vec<f64> = self.loops.iter().map(|l| l.supply_c).collect();
        let mut loop_heat = vec![0.0; self.loops.len()];
        let mut totals = CoolingTotals::default();

        // A run starts from the steady state of the healthy site: units out of service in the
        // file fail at t = 0, so their effect shows as a transient.
        let healthy: Vec<Option<f64>> =
            if first { (0..self.zones.len()).map(|zi| self.healthy_room_c(zi, &loop_temp)).collect() } else { vec![] };

        // Zones and their CRAHs.
        for (zi, zone) in self.zones.iter_mut().enumerate() {
            let healthy_room_c = healthy.get(zi).copied().flatten();
            let units: Vec<usize> =
                self.zone_crahs[zi].iter().copied().filter(|&i| self.crahs[i].supply.powered).collect();
            let op = operating_point(&self.crahs, &units, zone.demand_m3_s);
            let mut fan_w = 0.0;
            for &i in &self.zone_crahs[zi] {
                let u = &mut self.crahs[i];
                let on = u.supply.powered;
                u.fan_speed = if on { op.speed } else { 0.0 };
                u.fan_w = if on { u.rating.fan_power_kw * 1e3 * op.speed.powi(3) } else { 0.0 };
                fan_w += u.fan_w;
            }
            let (rated_flow, airflow, g) = (op.rated_flow, op.airflow, op.g);
            // Coil: water from the first unit's loop; no flow there, no coil.
            let (eps, water_c, setpoint) = match units.first() {
                Some(&i) => {
                    let u = &self.crahs[i];
                    let eps = if loop_flowing[u.water_loop] { op.eps } else { 0.0 };
                    (eps, loop_temp[u.water_loop], u.rating.supply_setpoint_c)
                }
                None => (0.0, zone.room_c, zone.room_c),
            };
            let c = zone.air_c_j_k + zone.rack_c_j_k;
            let q = zone.rack_heat_w + fan_w;
            if first && let Some(t) = healthy_room_c {
                zone.room_c = t;
            }
            let t0 = zone.room_c;
            // Regime from the present state: setpoint held, coil-limited, or no cooling.
            let held = g > 0.0 && eps > 0.0 && setpoint >= (1.0 - eps) * t0 + eps * water_c;
            let (g_eff, t_ref, supply_c, over) = if g <= 0.0 || eps <= 0.0 {
                (0.0, t0, t0, g > 0.0 || zone.rack_heat_w > 0.0)
            } else if t0 <= setpoint {
                (0.0, t0, t0, false)
            } else if held {
                (g, setpoint, setpoint, false)
            } else {
                (eps * g, water_c, (1.0 - eps) * t0 + eps * water_c, true)
            };
            let t1 = first_order(t0, q, g_eff, t_ref, c, dt);
            // Without a coil in the balance (no air, no water, or the room below the setpoint)
            // the coil moves nothing; else what the room did not store.
            let coil_w = if g_eff > 0.0 { q - c * (t1 - t0) / dt } else { 0.0 };
            zone.room_c = t1;
            zone.supply_c = supply_c;
            zone.airflow_m3_s = airflow;
            zone.coil_w = coil_w;
            zone.heat_load_w = q;
            // Only coils with chilled water flowing count.
            zone.running_capacity_w = units
                .iter()
                .filter(|&&i| loop_flowing[self.crahs[i].water_loop])
                .map(|&i| self.crahs[i].rating.rated_cooling_kw * 1e3)
                .sum();
            zone.over_capacity = over && zone.rack_heat_w > 0.0;
            zone.recirculation = if zone.demand_m3_s > 0.0 {
                zone.containment.base_recirculation().max(1.0 - airflow / zone.demand_m3_s).min(1.0)
            } else {
                zone.containment.base_recirculation()
            };
            // Coil heat goes to the loops, split by airflow.
            for &i in &units {
                let share = self.crahs[i].rating.rated_airflow_m3_s / rated_flow;
                self.crahs[i].coil_w = coil_w * share;
                loop_heat[self.crahs[i].water_loop] += coil_w * share;
            }
            totals.crah_fans_w += fan_w;
            totals.heat_air_w += coil_w;
            // Forecast for the hottest inlet: inlet = (1 − f)·T_sup + f·T_room.
            let f = zone.recirculation;
            zone.hottest_inlet_c = (1.0 - f) * supply_c + f * t1;
            let c_total = c;
            let forecast = |limit: f64| {
                if f <= 0.0 {
                    return None;
                }
                let room_limit = (limit - (1.0 - f) * supply_c) / f;
                time_to_reach(t1, q, g_eff, t_ref, c_total, room_limit)
            };
            zone.time_to_allowable_s = forecast(zone.class.allowable_max_c());
            zone.time_to_recommended_s = forecast(zone.class.recommended_max_c());
        }

        // CDUs.
        for cdu in &mut self.cdus {
            let flowing = cdu.supply.powered && loop_flowing[cdu.water_loop];
            cdu.pump_w = if cdu.supply.powered { cdu.rating.pump_power_kw * 1e3 } else { 0.0 };
            let c = WATER_DENSITY * WATER_CP * cdu.rating.volume_m3;
            let ua = if flowing { cdu.rating.capacity_kw * 1e3 / cdu.rating.approach_k } else { 0.0 };
            cdu.available_w = if flowing { cdu.rating.capacity_kw * 1e3 } else { 0.0 };
            let q = cdu.rack_heat_w + cdu.pump_w;
            let t_w = loop_temp[cdu.water_loop];
            if first {
                // The healthy site: every rack running, pumps on, facility water flowing.
                let ua_rated = cdu.rating.capacity_kw * 1e3 / cdu.rating.approach_k;
                cdu.supply_c = t_w + (cdu.healthy_heat_w + cdu.rating.pump_power_kw * 1e3) / ua_rated;
            }
            let t0 = cdu.supply_c;
            let t1 = first_order(t0, q, ua, t_w, c, dt);
            cdu.supply_c = t1;
            cdu.to_loop_w = q - c * (t1 - t0) / dt;
            loop_heat[cdu.water_loop] += cdu.to_loop_w;
            totals.cdu_pumps_w += cdu.pump_w;
            totals.heat_liquid_w += cdu.rack_heat_w;
        }

        // Water loops and their plant.
        let (dry_bulb, wet_bulb) = ambient_c;
        for (li, lp) in self.loops.iter_mut().enumerate() {
            lp.pump_w = if lp.supply.powered { lp.pump_rated_w } else { 0.0 };
            let q_in = loop_heat[li] + lp.pump_w;
            lp.heat_in_w = q_in;
            let demand = (q_in + lp.c_j_k * (lp.supply_c - lp.setpoint_c) / dt).max(0.0);
            // Without pumps no water passes the chillers or the heat rejection: the plant moves nothing.
            let flowing = loop_flowing[li];
            let rejection: Vec<usize> = self.loop_rejection[li]
                .iter()
                .copied()
                .filter(|&i| flowing && self.heat_rejection[i].supply.powered)
                .collect();
            let rejection_cap: f64 = rejection.iter().map(|&i| self.heat_rejection[i].rating.capacity_kw * 1e3).sum();
            let leaving_c = rejection
                .iter()
                .map(|&i| {
                    let r = &self.heat_rejection[i].rating;
                    r.approach_k
                        + match r.kind {
                            HeatRejectionKind::CoolingTower => wet_bulb,
                            HeatRejectionKind::DryCooler => dry_bulb,
                        }
                })
                .fold(f64::INFINITY, f64::min);
            let free = !rejection.is_empty() && leaving_c <= lp.setpoint_c;
            let mut chiller_w = 0.0;
            let plant_w = if free {
                for ch in self.chillers.iter_mut().filter(|c| c.water_loop == li) {
                    ch.cooling_w = 0.0;
                    ch.power_w = 0.0;
                    ch.available_w = 0.0;
                }
                demand.min(rejection_cap)
            } else {
                // Chillers with their condensers at the heat-rejection leaving temperature.
                let running: Vec<usize> = self.loop_chillers[li]
                    .iter()
                    .copied()
                    .filter(|&i| flowing && self.chillers[i].supply.powered)
                    .collect();
                let t_chw = lp.setpoint_c;
                let mut available = 0.0;
                for &i in &running {
                    let ch = &mut self.chillers[i];
                    let capft = biquadratic(&ch.rating.capft, t_chw, leaving_c).max(0.0);
                    ch.available_w = if rejection.is_empty() { 0.0 } else { ch.rating.capacity_kw * 1e3 * capft };
                    available += ch.available_w;
                }
                let delivered = demand.min(available);
                for &i in &running {
                    let ch = &mut self.chillers[i];
                    if ch.available_w <= 0.0 || delivered <= 0.0 {
                        ch.cooling_w = 0.0;
                        ch.power_w = 0.0;
                        continue;
                    }
                    ch.cooling_w = delivered * ch.available_w / available;
                    // Below the minimum part load the chiller cycles: power at the minimum PLR
                    // times the cycling ratio (as EnergyPlus's Chiller:Electric:EIR does).
                    let plr = ch.cooling_w / ch.available_w;
                    let run_plr = plr.max(ch.rating.min_plr);
                    let cycling = (plr / run_plr).min(1.0);
                    let eirft = biquadratic(&ch.rating.eirft, t_chw, leaving_c);
                    let k = &ch.rating.eirfplr;
                    let eirfplr = k[0] + k[1] * run_plr + k[2] * run_plr * run_plr;
                    ch.power_w = ch.available_w / ch.rating.cop_ref * eirft * eirfplr * cycling;
                    chiller_w += ch.power_w;
                }
                for ch in self.chillers.iter_mut().filter(|c| c.water_loop == li && !(flowing && c.supply.powered)) {
                    ch.cooling_w = 0.0;
                    ch.power_w = 0.0;
                    ch.available_w = 0.0;
                }
                delivered
            };
            lp.free_cooling = free;
            lp.plant_w = plant_w;
            lp.supply_c += (q_in - plant_w) * dt / lp.c_j_k;
            lp.over_capacity = lp.supply_c > lp.setpoint_c + 0.05;
            // Heat rejection: plant heat plus compressor work, fans on the cube of load.
            let rejected = plant_w + chiller_w;
            for hr in self.heat_rejection.iter_mut().filter(|h| h.water_loop == li) {
                if rejection.is_empty() || !hr.supply.powered || !flowing {
                    hr.rejected_w = 0.0;
                    hr.fan_w = 0.0;
                    continue;
                }
                let share = hr.rating.capacity_kw * 1e3 / rejection_cap;
                hr.rejected_w = rejected * share;
                let load = (hr.rejected_w / (hr.rating.capacity_kw * 1e3)).min(1.0);
                hr.fan_w = hr.rating.fan_power_kw * 1e3 * load.powi(3);
                totals.heat_rejection_fans_w += hr.fan_w;
            }
            totals.rejected_w += rejected;
            totals.chillers_w += chiller_w;
            totals.loop_pumps_w += lp.pump_w;
        }
        self.totals = totals;
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
            let zone = &self.zones[z as usize];
            let f = zone.recirculation;
            out.inlet_c = (1.0 - f) * zone.supply_c + f * zone.room_c;
            let flow = air_w * airflow_m3_s_per_w;
            out.outlet_c = if flow > 0.0 { out.inlet_c + air_w / (AIR_DENSITY * AIR_CP * flow) } else { out.inlet_c };
        }
        out.liquid_supply_c = cdu.map(|c| self.cdus[c as usize].supply_c);
        out
    }

    /// Every electrically supplied unit: `(id, supply, rated cooling or power in kW)`.
    pub fn units(&self) -> Vec<(&str, &Supply, f64)> {
        let mut v: Vec<(&str, &Supply, f64)> = Vec::new();
        v.extend(self.loops.iter().map(|u| (u.id.as_str(), &u.supply, u.pump_rated_w / 1e3)));
        v.extend(self.crahs.iter().map(|u| (u.id.as_str(), &u.supply, u.rating.rated_cooling_kw)));
        v.extend(self.cdus.iter().map(|u| (u.id.as_str(), &u.supply, u.rating.capacity_kw)));
        v.extend(self.chillers.iter().map(|u| (u.id.as_str(), &u.supply, u.rating.capacity_kw)));
        v.extend(self.heat_rejection.iter().map(|u| (u.id.as_str(), &u.supply, u.rating.capacity_kw)));
        v
    }

    /// Electrical power each unit draws: `(feeding entity, kW)`.
    pub fn electrical_loads(&self) -> Vec<(Entity, f64)> {
        let mut out = Vec::new();
        let mut push = |s: &Supply, w: f64| {
            if let Some(e) = s.entity
                && s.powered
                && w > 0.0
            {
                out.push((e, w / 1e3));
            }
        };
        self.loops.iter().for_each(|u| push(&u.supply, u.pump_w));
        self.crahs.iter().for_each(|u| push(&u.supply, u.fan_w));
        self.cdus.iter().for_each(|u| push(&u.supply, u.pump_w));
        self.chillers.iter().for_each(|u| push(&u.supply, u.power_w));
        self.heat_rejection.iter().for_each(|u| push(&u.supply, u.fan_w));
        out
    }
}
