//! Water loops and the plant that cools them: CDUs, chillers and heat rejection.
//!
//! # Loop
//! A node with the loop's water volume, heated by the CRAH coils and CDUs on it and by its pump
//! work, cooled by its plant. Water flows while the loop is in service and any of its pump sets
//! (the duty set and standby sets on their own supplies) has power; without flow, nothing on
//! the loop moves heat. The plant brings the supply back to its setpoint if it can.
//!
//! # Plant
//! * **Free cooling** when the heat rejection's design leaving water (wet bulb for towers, dry
//!   bulb for dry coolers, plus the design approach) is at or below the setpoint: the towers carry
//!   the load up to their capacity.
//! * Else **chillers** (DOE-2 / EnergyPlus `Chiller:Electric:EIR`), **staged** in id order: the
//!   fewest that carry the load at no more than [`STAGE_UP_LOAD`] of their available capacity
//!   run, sharing it equally; the rest (standby) are idle. Curve inputs are held within the
//!   catalog's validity range (EnergyPlus does the same with a curve's min/max inputs); the
//!   chiller reports when they were. Below the minimum part-load ratio a chiller cycles.
//! * **Heat rejection** (towers, dry coolers) takes the chillers' duty plus their compressor
//!   work. Below capacity the fans slow to hold the design approach (fan power ∝ load³); above
//!   it the approach grows with the load (`approach·Q/Q_cap`, a fixed-UA exchanger at full fan),
//!   so the condenser water warms and the chillers' capacity and COP fall. Their head-pressure
//!   control keeps the condenser at or below `max_condenser_c` by unloading: the heat the towers
//!   can take at that temperature then caps what the chillers deliver (and if even the design
//!   leaving water is above it, they cannot run). The condenser temperature and the heat to
//!   reject depend on each other; a few fixed-point passes settle them.
//!
//! Water cannot pass boiling: a loop or CDU whose water would exceed [`BOILING_C`] is held
//! there and reported (the heat beyond leaves as steam, which the model does not follow).

use serde::Serialize;

use super::plant::Supply;
use super::{WATER_CP, WATER_DENSITY, biquadratic, first_order};
use crate::catalog::{CduRating, ChillerRating, HeatRejectionKind, HeatRejectionRating};
use crate::site::cooling::WaterClass;

/// Share of the running chillers' available capacity above which the next one starts (the
/// usual "stage up at about 90 %" of chiller plant sequencing; no hysteresis, so the state is
/// a function of the load alone).
pub const STAGE_UP_LOAD: f64 = 0.9;

/// Water at atmospheric pressure boils here, °C.
pub const BOILING_C: f64 = 100.0;

/// Fixed-point passes between condenser temperature and heat to reject.
const CONDENSER_PASSES: usize = 4;

/// A water loop and its plant state.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
    /// Power of one pump set when running, W.
    pub pump_rated_w: f64,
    /// In service (false: its pumps are taken out).
    pub in_service: bool,
    /// Pump sets: the duty set first, then standby sets, each on its own supply.
    #[serde(skip)]
    pub pumps: Vec<Supply>,
    /// Heat taken in from coils, CDUs and pumps (mean over the last step), W.
    pub heat_in_w: f64,
    /// Heat removed by the plant (mean over the last step), W.
    pub plant_w: f64,
    /// Free cooling carried the load.
    pub free_cooling: bool,
    /// Share of the last step that free cooling carried the load, 0–1 (sub-steps of the
    /// step's outdoor conditions: an hour-long step with the wet bulb crossing the limit
    /// counts the part of the hour below it).
    pub free_cooling_share: f64,
    /// The plant could not hold the setpoint.
    pub over_capacity: bool,
    /// Pump power drawn, W.
    pub pump_w: f64,
    /// Heat its heat rejection had to reject (mean over the last step), W.
    pub rejection_load_w: f64,
    /// Design capacity of its heat rejection with power, W.
    pub rejection_capacity_w: f64,
    /// Entering condenser water of its chillers when they ran, °C.
    pub condenser_c: Option<f64>,
    /// The water reached boiling in the last step.
    pub boiling: bool,
}

impl LoopState {
    /// Water flows: the loop is in service and a pump set has power.
    pub fn flowing(&self) -> bool {
        self.in_service && self.pumps.iter().any(|p| p.powered)
    }

    /// The pump set that runs: the first with power.
    pub fn running_pumps(&self) -> Option<&Supply> {
        self.pumps.iter().find(|p| p.powered).filter(|_| self.in_service)
    }
}

/// A CDU and its technology loop.
#[derive(Debug, Clone, PartialEq)]
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
    /// Heat passed to the facility water (mean over the last step), W.
    pub to_loop_w: f64,
    /// Pump power, W.
    pub pump_w: f64,
    /// Heat it can move now, W: its rating while powered with facility water flowing, else 0.
    pub available_w: f64,
    /// Technology-loop supply it is designed to hold: facility-water setpoint + approach, °C.
    pub design_supply_c: f64,
    /// Liquid heat of its racks with every element in service, W (before the first step only).
    pub(super) healthy_heat_w: f64,
    /// The technology loop reached boiling.
    pub boiling: bool,
}

impl CduUnit {
    /// Heat capacity of its technology loop, J/K.
    pub fn heat_capacity_j_k(&self) -> f64 {
        WATER_DENSITY * WATER_CP * self.rating.volume_m3
    }

    /// Advances the technology loop by `dt` against facility water at `t_w` (flowing or not);
    /// returns the heat passed to the loop, J.
    pub(super) fn step(&mut self, t_w: f64, flowing: bool, dt: f64) -> f64 {
        let flows = self.supply.powered && flowing;
        self.pump_w = if self.supply.powered { self.rating.pump_power_kw * 1e3 } else { 0.0 };
        let ua = if flows { self.rating.capacity_kw * 1e3 / self.rating.approach_k } else { 0.0 };
        self.available_w = if flows { self.rating.capacity_kw * 1e3 } else { 0.0 };
        let c = self.heat_capacity_j_k();
        let q = self.rack_heat_w + self.pump_w;
        let t0 = self.supply_c;
        let mut t1 = first_order(t0, q, ua, t_w, c, dt);
        self.boiling = t1 > BOILING_C;
        if self.boiling {
            t1 = BOILING_C;
        }
        self.supply_c = t1;
        if self.boiling { ua * (t1 - t_w) * dt } else { q * dt - c * (t1 - t0) }
    }
}

/// A chiller.
#[derive(Debug, Clone, PartialEq)]
pub struct ChillerUnit {
    /// Id.
    pub id: String,
    /// Loop index.
    pub water_loop: usize,
    /// Rating.
    pub rating: ChillerRating,
    /// Power.
    pub supply: Supply,
    /// Cooling delivered (mean over the last step), W.
    pub cooling_w: f64,
    /// Electrical power (mean over the last step), W.
    pub power_w: f64,
    /// Available capacity at present conditions, W (0 when idle without power or tripped).
    pub available_w: f64,
    /// Staged on (running) in the last step.
    pub staged: bool,
    /// Cannot run: even without load the condenser water would be above its trip.
    pub tripped: bool,
    /// Unloaded by head-pressure control: the heat rejection cannot take more, so it runs
    /// with its condenser at `max_condenser_c` and delivers less than asked.
    pub condenser_limited: bool,
    /// Part-load ratio while running.
    pub plr: f64,
    /// The curve inputs were held within their validity range.
    pub curve_clamped: bool,
}

impl ChillerUnit {
    /// Id of its loop.
    pub fn loop_id<'a>(&self, plant: &'a super::CoolingPlant) -> &'a str {
        &plant.loops[self.water_loop].id
    }

    /// `(available capacity W, EIRFT, inputs clamped)` at leaving chilled water `t_chw` and
    /// entering condenser water `t_cw`; capacity 0 above the condenser trip.
    fn capacity(&self, t_chw: f64, t_cw: f64) -> (f64, f64, bool) {
        let r = &self.rating;
        if t_cw > r.max_condenser_c {
            return (0.0, 1.0, false);
        }
        let x = t_chw.clamp(r.curve_chw_c[0], r.curve_chw_c[1]);
        let y = t_cw.clamp(r.curve_cw_c[0], r.curve_cw_c[1]);
        let clamped = x != t_chw || y != t_cw;
        (r.capacity_kw * 1e3 * biquadratic(&r.capft, x, y).max(0.0), biquadratic(&r.eirft, x, y).max(0.0), clamped)
    }

    /// Electrical power at part load `plr` of `available` with `eirft`, cycling below the
    /// minimum part-load ratio (power at the minimum times `plr/min`, as EnergyPlus does).
    fn power_w(&self, available: f64, eirft: f64, plr: f64) -> f64 {
        let r = &self.rating;
        let run = plr.max(r.min_plr);
        let k = &r.eirfplr;
        let cycling = if run > 0.0 { (plr / run).min(1.0) } else { 0.0 };
        available / r.cop_ref * eirft * (k[0] + k[1] * run + k[2] * run * run) * cycling
    }
}

/// A cooling tower or dry cooler.
#[derive(Debug, Clone, PartialEq)]
pub struct HeatRejectionUnit {
    /// Id.
    pub id: String,
    /// Loop index.
    pub water_loop: usize,
    /// Rating.
    pub rating: HeatRejectionRating,
    /// Power.
    pub supply: Supply,
    /// Heat rejected (mean over the last step), W.
    pub rejected_w: f64,
    /// Fan power (mean over the last step), W.
    pub fan_w: f64,
}

impl HeatRejectionUnit {
    /// Id of its loop.
    pub fn loop_id<'a>(&self, plant: &'a super::CoolingPlant) -> &'a str {
        &plant.loops[self.water_loop].id
    }

    /// Design leaving water at outdoor `(dry bulb, wet bulb)`, °C.
    pub fn design_leaving_c(&self, (dry_bulb, wet_bulb): (f64, f64)) -> f64 {
        self.rating.approach_k
            + match self.rating.kind {
                HeatRejectionKind::CoolingTower => wet_bulb,
                HeatRejectionKind::DryCooler => dry_bulb,
            }
    }
}

/// What one loop's plant did in one sub-step.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct LoopStep {
    /// Heat removed from the loop, W.
    pub plant_w: f64,
    /// Chillers' electrical power, W.
    pub chillers_w: f64,
    /// Heat the heat rejection took (duty + compressor work), W.
    pub rejected_w: f64,
    /// Fans of the heat rejection, W.
    pub fans_w: f64,
}

/// The few units of one loop a sub-step works with (held inline: a step allocates nothing).
type Few<T> = smallvec::SmallVec<[T; 8]>;

/// Runs the plant of loop `li` for a sub-step of `dt` that brings `q_in_w` (coils, CDUs,
/// pumps) into it, and advances its temperature.
#[allow(clippy::too_many_arguments)]
pub(super) fn step_loop(
    lp: &mut LoopState,
    chillers: &mut [ChillerUnit],
    towers: &mut [HeatRejectionUnit],
    chiller_ids: &[usize],
    tower_ids: &[usize],
    q_in_w: f64,
    ambient_c: (f64, f64),
    dt: f64,
) -> LoopStep {
    let flowing = lp.flowing();
    let demand = if flowing { (q_in_w + lp.c_j_k * (lp.supply_c - lp.setpoint_c) / dt).max(0.0) } else { 0.0 };
    let running_towers: Few<usize> =
        tower_ids.iter().copied().filter(|&i| flowing && towers[i].supply.powered).collect();
    let capacity: f64 = running_towers.iter().map(|&i| towers[i].rating.capacity_kw * 1e3).sum();
    lp.rejection_capacity_w = capacity;
    // Water leaving the towers when they reject `q`: the design approach up to capacity, then
    // growing with the load; capacity-weighted mix over the running units.
    let leaving = |q: f64| {
        let x = if capacity > 0.0 { q / capacity } else { 0.0 };
        running_towers
            .iter()
            .map(|&i| {
                let t = &towers[i];
                t.rating.capacity_kw * 1e3 * (t.design_leaving_c(ambient_c) + t.rating.approach_k * (x.max(1.0) - 1.0))
            })
            .sum::<f64>()
            / capacity
    };
    for &i in chiller_ids {
        let ch = &mut chillers[i];
        (ch.cooling_w, ch.power_w, ch.staged, ch.plr, ch.curve_clamped, ch.tripped) =
            (0.0, 0.0, false, 0.0, false, false);
        ch.condenser_limited = false;
        ch.available_w = 0.0;
    }
    let design_leaving = if capacity > 0.0 { leaving(0.0) } else { f64::INFINITY };
    let free = flowing && capacity > 0.0 && design_leaving <= lp.setpoint_c;
    let mut out = LoopStep::default();
    lp.condenser_c = None;
    if free {
        out.plant_w = demand.min(capacity);
        out.rejected_w = out.plant_w;
    } else if flowing && capacity > 0.0 && chiller_ids.is_empty() {
        // Heat rejection alone, no chillers to take over (a warm-water loop): the water leaves
        // the towers or dry coolers at their approach above the outdoor air, above the
        // setpoint, and the loop floats there instead of holding the setpoint.
        let floating_c = leaving(q_in_w);
        out.plant_w = (q_in_w + lp.c_j_k * (lp.supply_c - floating_c) / dt).max(0.0);
        out.rejected_w = out.plant_w;
    } else if flowing && capacity > 0.0 {
        let available_chillers: Few<usize> =
            chiller_ids.iter().copied().filter(|&i| chillers[i].supply.powered).collect();
        // Above capacity the leaving water rises linearly with the load: `leaving(q) =
        // design + a·(q/Q_cap − 1)` with `a` the capacity-weighted approach. The chillers' head
        // pressure control keeps the condenser at or below their trip by unloading, so the heat
        // the towers can take caps what the chillers deliver.
        let a_mix = running_towers
            .iter()
            .map(|&i| towers[i].rating.capacity_kw * 1e3 * towers[i].rating.approach_k)
            .sum::<f64>()
            / capacity;
        let t_max =
            available_chillers.iter().map(|&i| chillers[i].rating.max_condenser_c).fold(f64::INFINITY, f64::min);
        let q_rej_max = if design_leaving > t_max {
            0.0
        } else if a_mix > 0.0 {
            capacity * (1.0 + (t_max - design_leaving) / a_mix)
        } else {
            f64::INFINITY
        };
        let mut t_cw = leaving(demand).min(t_max);
        let mut staged = 0;
        let mut limited = false;
        for _ in 0..CONDENSER_PASSES {
            let caps: Few<(f64, f64, bool)> = available_chillers
                .iter()
                .map(|&i| {
                    let ch = &chillers[i];
                    if design_leaving > ch.rating.max_condenser_c {
                        (0.0, 1.0, false)
                    } else {
                        ch.capacity(lp.setpoint_c, t_cw)
                    }
                })
                .collect();
            // Stage: the fewest (in id order) that carry the load at no more than
            // STAGE_UP_LOAD of their capacity; all of them if none do.
            let order: Few<usize> = (0..caps.len()).filter(|&j| caps[j].0 > 0.0).collect();
            let mut cum = 0.0;
            staged = order.len();
            for (n, &j) in order.iter().enumerate() {
                cum += caps[j].0;
                if demand <= STAGE_UP_LOAD * cum {
                    staged = n + 1;
                    break;
                }
            }
            let on = &order[..staged];
            let available: f64 = on.iter().map(|&j| caps[j].0).sum();
            // Electrical power of the staged chillers delivering `d` in equal shares.
            let power_at = |d: f64| -> f64 {
                if available <= 0.0 {
                    return 0.0;
                }
                let plr = d / available;
                on.iter().map(|&j| chillers[available_chillers[j]].power_w(caps[j].0, caps[j].1, plr)).sum()
            };
            let mut delivered = demand.min(available);
            limited = delivered + power_at(delivered) > q_rej_max;
            if limited {
                // Unload until duty + compressor work is what the towers can take.
                let (mut lo, mut hi) = (0.0, delivered);
                for _ in 0..60 {
                    let mid = 0.5 * (lo + hi);
                    if mid + power_at(mid) > q_rej_max { hi = mid } else { lo = mid }
                }
                delivered = lo;
            }
            let plr = if available > 0.0 { delivered / available } else { 0.0 };
            let mut power = 0.0;
            for (j, &i) in available_chillers.iter().enumerate() {
                let ch = &mut chillers[i];
                let (cap, eirft, clamped) = caps[j];
                ch.tripped = design_leaving > ch.rating.max_condenser_c;
                ch.available_w = cap;
                ch.curve_clamped = clamped;
                if on.contains(&j) && delivered > 0.0 {
                    ch.staged = true;
                    ch.plr = plr;
                    ch.cooling_w = delivered * cap / available;
                    ch.power_w = ch.power_w(cap, eirft, plr);
                    ch.condenser_limited = limited;
                    power += ch.power_w;
                } else {
                    (ch.staged, ch.plr, ch.cooling_w, ch.power_w, ch.condenser_limited) = (false, 0.0, 0.0, 0.0, false);
                }
            }
            out.plant_w = delivered;
            out.chillers_w = power;
            out.rejected_w = delivered + power;
            let next = leaving(out.rejected_w).min(t_max);
            if (next - t_cw).abs() < 1e-9 {
                break;
            }
            t_cw = next;
        }
        lp.condenser_c = (staged > 0).then_some(t_cw);
        let _ = limited;
    }
    // Fans: slowed to hold the approach below capacity, full beyond.
    for &i in tower_ids {
        let t = &mut towers[i];
        if running_towers.contains(&i) && capacity > 0.0 {
            let share = t.rating.capacity_kw * 1e3 / capacity;
            t.rejected_w = out.rejected_w * share;
            let load = (out.rejected_w / capacity).min(1.0);
            t.fan_w = t.rating.fan_power_kw * 1e3 * load.powi(3);
            out.fans_w += t.fan_w;
        } else {
            t.rejected_w = 0.0;
            t.fan_w = 0.0;
        }
    }
    lp.supply_c += (q_in_w - out.plant_w) * dt / lp.c_j_k;
    lp.boiling = lp.supply_c > BOILING_C;
    if lp.boiling {
        lp.supply_c = BOILING_C;
    }
    lp.free_cooling = free;
    lp.over_capacity = lp.supply_c > lp.setpoint_c + 0.05;
    out
}
