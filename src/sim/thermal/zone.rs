//! Zones and their CRAHs: the room air, each CRAH's coil on its own water loop, and the exact
//! piecewise-linear integration of the room temperature across coil regimes.
//!
//! # Coil model (ε-NTU, from the catalog rating point)
//! The rating gives cooling `Q_r` at airflow `V_r`, return air `T_ret` and entering water `T_w`
//! with the water rising `ΔT_w`. The air and water capacity rates are `C_a = ρ·c_p·V_r` and
//! `C_w = Q_r/ΔT_w` (valve fully open); `ε_r = Q_r/(C_min·(T_ret − T_w))`, and the counterflow
//! relation gives `NTU_r` and `UA_r = NTU_r·C_min`. At fan speed `s` the air-side film scales
//! as `UA = UA_r·s^0.8` (turbulent forced convection, `h ∝ Re^0.8`: Incropera & DeWitt,
//! Dittus–Boelter), `C_a = ρ·c_p·V_r·s`; ε follows from NTU again. The coil can take at most
//! `κ·(T − T_w)` from return air at `T`, with `κ = ε·C_min`.
//!
//! # Regimes of one running CRAH, by room temperature `T`
//! * `T ≤ T_set`: the valve closes, no cooling;
//! * `T_set < T ≤ T*`: the coil holds the supply setpoint, removing `G·(T − T_set)`
//!   (`G = ρ·c_p·V`);
//! * `T > T*`: coil-limited, removing `κ·(T − T_w)`, with `T* = (G·T_set − κ·T_w)/(G − κ)` where
//!   the two meet.
//!
//! The zone's removal is the sum: piecewise linear and continuous in `T`, so within one set of
//! regimes `C·dT/dt = Q − (g·T − h)` has the exact solution `T∞ + (T − T∞)·e^{−g·t/C}`. A step
//! is integrated segment by segment: when the trajectory reaches a breakpoint (a setpoint or a
//! `T*`) the time to it is solved exactly and the regimes switch there. Any step length gives
//! the same trajectory (no sub-stepping needed for the zone itself).
//!
//! With racks in the zone the air exchanges heat with their equipment mass
//! (`C_m·dT_m/dt = G·(T − T_m)`); in each set of regimes air and mass are then a linear pair
//! solved in closed form ([`super::two_node`]), and the switching works the same way on the air.
//!
//! A CRAH whose loop has no water flowing, or water no colder than its supply setpoint, is
//! switched off (as a BMS would: it would otherwise blow return air into the supply), so its
//! airflow and fan power are gone too.

use serde::Serialize;

use super::plant::Supply;
use super::two_node::TwoNode;
use super::{AIR_CP, AIR_DENSITY, first_order, time_to_reach};
use crate::catalog::CrahRating;
use crate::site::cooling::{AshraeClass, Containment};

/// Air-side heat-transfer exponent: `UA ∝ V^0.8`.
const AIR_FILM_EXPONENT: f64 = 0.8;

/// The coil of a CRAH model, derived from its rating point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CoilRating {
    /// Air capacity rate at full fan speed, W/K.
    pub c_air_w_k: f64,
    /// Water capacity rate with the valve open, W/K.
    pub c_water_w_k: f64,
    /// UA at full fan speed, W/K.
    pub ua_w_k: f64,
}

/// Counterflow effectiveness for `NTU` and capacity ratio `cr` (`C_min/C_max`).
pub fn counterflow_effectiveness(ntu: f64, cr: f64) -> f64 {
    if ntu <= 0.0 {
        return 0.0;
    }
    if (1.0 - cr).abs() < 1e-9 {
        return ntu / (1.0 + ntu);
    }
    let e = (-ntu * (1.0 - cr)).exp();
    (1.0 - e) / (1.0 - cr * e)
}

impl CoilRating {
    /// The coil of `r`; `None` when the rating point needs an effectiveness of 1 or more (no
    /// real coil), which validation refuses.
    pub fn from_crah(r: &CrahRating) -> Option<CoilRating> {
        let c_air = AIR_DENSITY * AIR_CP * r.rated_airflow_m3_s;
        let c_water = r.rated_cooling_kw * 1e3 / r.rated_water_rise_k;
        let (c_min, c_max) = (c_air.min(c_water), c_air.max(c_water));
        let cr = c_min / c_max;
        let dt = r.rated_return_c - r.rated_water_c;
        if dt <= 0.0 {
            return None;
        }
        let eps = r.rated_cooling_kw * 1e3 / (c_min * dt);
        if !(eps > 0.0 && eps < 1.0 && eps * cr < 1.0) {
            return None;
        }
        let ntu = if (1.0 - cr).abs() < 1e-9 {
            eps / (1.0 - eps)
        } else {
            ((1.0 - eps * cr) / (1.0 - eps)).ln() / (1.0 - cr)
        };
        Some(CoilRating { c_air_w_k: c_air, c_water_w_k: c_water, ua_w_k: ntu * c_min })
    }

    /// `(G, κ)` at fan speed `speed`: the air's capacity rate and the most the coil can take
    /// per kelvin of return air above the water, W/K.
    pub fn at_speed(&self, speed: f64) -> (f64, f64) {
        let g = self.c_air_w_k * speed;
        if g <= 0.0 {
            return (0.0, 0.0);
        }
        let ua = self.ua_w_k * speed.powf(AIR_FILM_EXPONENT);
        let (c_min, c_max) = (g.min(self.c_water_w_k), g.max(self.c_water_w_k));
        let eps = counterflow_effectiveness(ua / c_min, c_min / c_max);
        (g, eps * c_min)
    }
}

/// A CRAH: fans and a chilled-water coil on one loop.
#[derive(Debug, Clone, PartialEq)]
pub struct CrahUnit {
    /// Id.
    pub id: String,
    /// Zone index.
    pub zone: usize,
    /// Loop index.
    pub water_loop: usize,
    /// Rating.
    pub rating: CrahRating,
    /// Its coil (from the rating point).
    pub coil: CoilRating,
    /// Power.
    pub supply: Supply,
    /// Running: powered with water flowing in its loop.
    pub running: bool,
    /// Fan speed, fraction.
    pub fan_speed: f64,
    /// Fan power, W.
    pub fan_w: f64,
    /// Coil heat (mean over the last step), W.
    pub coil_w: f64,
    /// Supply air temperature at the end of the last step, °C.
    pub supply_c: f64,
    /// The coil's `(G, κ)` at `fan_speed` and the speed they were worked out for (an
    /// exponential and a power each: worked out again only when the speed changes); `None`
    /// before the first speed is set.
    pub(super) coil_at_speed: Option<(f64, (f64, f64))>,
    /// The coil's `(G, κ)` at full speed.
    pub(super) coil_at_full: (f64, f64),
}

impl CrahUnit {
    /// Sets the fan speed, working the coil out again only if it changed.
    pub(super) fn set_fan_speed(&mut self, speed: f64) {
        self.fan_speed = speed;
        if self.coil_at_speed.is_none_or(|(at, _)| at != speed) {
            self.coil_at_speed = Some((speed, self.coil.at_speed(speed)));
        }
    }
}

/// A cooling zone's state and last step's results.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
    /// Supply air temperature (the running CRAHs' supplies mixed by airflow), °C.
    pub supply_c: f64,
    /// Share of rack intake that is recirculated exhaust.
    pub recirculation: f64,
    /// CRAH airflow, m³/s.
    pub airflow_m3_s: f64,
    /// Airflow the running CRAHs give at full speed, m³/s.
    pub available_airflow_m3_s: f64,
    /// Racks' airflow demand, m³/s.
    pub demand_m3_s: f64,
    /// Air-side heat from racks, W.
    pub rack_heat_w: f64,
    /// Other heat released in the room air (electrical losses), W.
    pub other_heat_w: f64,
    /// Heat removed by CRAH coils (mean over the last step), W.
    pub coil_w: f64,
    /// Heat load on the zone's air (racks, losses and CRAH fans), W.
    pub heat_load_w: f64,
    /// Rated cooling of the CRAHs running in the zone, W.
    pub running_capacity_w: f64,
    /// The most the running coils can remove while every one of them holds its setpoint (at
    /// present water temperatures and airflow), W.
    pub holding_capacity_w: f64,
    /// Some running CRAH could not hold its supply setpoint, or heat has no cooling at all.
    pub over_capacity: bool,
    /// Temperature of the racks' equipment mass, °C: it trails the room air through
    /// `rack_g_w_k` (equal to it at steady state).
    pub equipment_mass_c: f64,
    /// Racks' thermal mass, J/K (every rack in the zone, powered or not: the metal is there).
    #[serde(skip)]
    pub(super) rack_c_j_k: f64,
    /// Conductance between the racks' mass and the room air, W/K (each rack's mass over its
    /// time constant).
    #[serde(skip)]
    pub(super) rack_g_w_k: f64,
    /// Air-side heat and airflow demand of the racks with every element in service (the
    /// healthy site a run starts from); gathered before the first step only.
    #[serde(skip)]
    pub(super) healthy_heat_w: f64,
    #[serde(skip)]
    pub(super) healthy_demand_m3_s: f64,
    /// Highest rack inlet in the zone, °C.
    pub hottest_inlet_c: f64,
    /// Seconds until the hottest inlet reaches the class's allowable maximum (if rising).
    pub time_to_allowable_s: Option<f64>,
}

impl ZoneState {
    /// A zone at rest at 20 °C.
    pub fn new(id: String, volume_m3: f64, containment: Containment, class: AshraeClass) -> ZoneState {
        ZoneState {
            id,
            air_c_j_k: AIR_DENSITY * AIR_CP * volume_m3,
            containment,
            class,
            room_c: 20.0,
            supply_c: 20.0,
            recirculation: containment.base_recirculation(),
            airflow_m3_s: 0.0,
            available_airflow_m3_s: 0.0,
            demand_m3_s: 0.0,
            rack_heat_w: 0.0,
            other_heat_w: 0.0,
            coil_w: 0.0,
            heat_load_w: 0.0,
            running_capacity_w: 0.0,
            holding_capacity_w: 0.0,
            over_capacity: false,
            equipment_mass_c: 20.0,
            rack_c_j_k: 0.0,
            rack_g_w_k: 0.0,
            healthy_heat_w: 0.0,
            healthy_demand_m3_s: 0.0,
            hottest_inlet_c: 20.0,
            time_to_allowable_s: None,
        }
    }

    /// Heat capacity of the room air and its racks, J/K.
    pub fn heat_capacity_j_k(&self) -> f64 {
        self.air_c_j_k + self.rack_c_j_k
    }

    /// Heat held by the room air and the racks' mass above 0 °C, J.
    pub fn stored_heat_j(&self) -> f64 {
        self.air_c_j_k * self.room_c + self.rack_c_j_k * self.equipment_mass_c
    }

    /// The racks' mass as the integration sees it; `None` when the air is alone (no racks, or
    /// no exchange).
    pub(super) fn mass(&self) -> Option<Mass> {
        (self.rack_c_j_k > 0.0 && self.rack_g_w_k > 0.0).then_some(Mass {
            c_j_k: self.rack_c_j_k,
            g_w_k: self.rack_g_w_k,
            t_c: self.equipment_mass_c,
        })
    }
}

/// The equipment mass a zone's air exchanges heat with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Mass {
    /// Heat capacity, J/K.
    pub c_j_k: f64,
    /// Conductance to the room air, W/K.
    pub g_w_k: f64,
    /// Temperature, °C.
    pub t_c: f64,
}

/// One running coil as the zone integration sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct ActiveCoil {
    /// Air capacity rate, W/K.
    g: f64,
    /// Most the coil takes per kelvin above the water, W/K.
    kappa: f64,
    /// Supply setpoint, °C.
    setpoint_c: f64,
    /// Entering water, °C.
    water_c: f64,
    /// [`Self::limit_c`], worked out with the water temperature (the regime tests ask for it
    /// many times per sub-step).
    limit_c: f64,
}

/// What a coil does at room temperature `T`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Regime {
    Off,
    Held,
    Limited,
}

impl ActiveCoil {
    fn new(g: f64, kappa: f64, setpoint_c: f64, water_c: f64) -> ActiveCoil {
        let mut c = ActiveCoil { g, kappa, setpoint_c, water_c, limit_c: f64::INFINITY };
        c.set_water_c(water_c);
        c
    }

    /// The entering water, °C, and the limit that follows from it.
    fn set_water_c(&mut self, water_c: f64) {
        self.water_c = water_c;
        self.limit_c = if self.g > self.kappa {
            (self.g * self.setpoint_c - self.kappa * water_c) / (self.g - self.kappa)
        } else {
            f64::INFINITY
        };
    }

    /// Room temperature where holding the setpoint and the coil's limit meet.
    fn limit_c(&self) -> f64 {
        self.limit_c
    }

    /// The regime at `t`, or just past it in `direction` (+1 rising, −1 falling) when `t` sits
    /// on a breakpoint.
    fn regime(&self, t: f64, direction: f64) -> Regime {
        let (sp, lim) = (self.setpoint_c, self.limit_c());
        let above = |b: f64| t > b || (t == b && direction > 0.0);
        if !above(sp) {
            Regime::Off
        } else if !above(lim) {
            Regime::Held
        } else {
            Regime::Limited
        }
    }

    /// `(a, b)` of the removal `a·T − b` in `regime`.
    fn linear(&self, regime: Regime) -> (f64, f64) {
        match regime {
            Regime::Off => (0.0, 0.0),
            Regime::Held => (self.g, self.g * self.setpoint_c),
            Regime::Limited => (self.kappa, self.kappa * self.water_c),
        }
    }

    /// Supply air temperature at room temperature `t`.
    fn supply_c(&self, t: f64) -> f64 {
        match self.regime(t, 0.0) {
            Regime::Off => t,
            Regime::Held => self.setpoint_c,
            Regime::Limited => t - self.kappa * (t - self.water_c) / self.g,
        }
    }

    /// Heat removed at `t`, W.
    fn removal_w(&self, t: f64) -> f64 {
        let (a, b) = self.linear(self.regime(t, 0.0));
        a * t - b
    }
}

/// Result of integrating a zone over one step.
/// CRAHs per zone kept inline (no heap allocation) in the per-step lists; more spill to the heap.
pub(super) const ZONE_UNITS: usize = 16;

/// The active coils of a zone.
pub(super) type Coils = smallvec::SmallVec<[ActiveCoil; ZONE_UNITS]>;

pub(super) struct ZoneStep {
    /// Room temperature at the end, °C.
    pub room_c: f64,
    /// Equipment mass temperature at the end, °C.
    pub mass_c: Option<f64>,
    /// Heat each coil removed over the step, J.
    pub coil_j: smallvec::SmallVec<[f64; ZONE_UNITS]>,
    /// `(g, h)` of the removal `g·T − h` at the end, for the forecast.
    pub end_linear: (f64, f64),
}

/// Integrates a zone's air (`c_air_j_k`, at `t0`) and its racks' `mass` exactly over `dt`,
/// switching coil regimes where the air crosses a breakpoint.
pub(super) fn integrate(
    coils: &[ActiveCoil],
    q_w: f64,
    c_air_j_k: f64,
    mass: Option<Mass>,
    t0: f64,
    dt: f64,
) -> ZoneStep {
    match mass {
        Some(m) => integrate_with_mass(coils, q_w, c_air_j_k, m, t0, dt),
        None => integrate_air(coils, q_w, c_air_j_k, t0, dt),
    }
}

/// The linear removal `(g, h)` (`g·T − h`) of `coils` in the regimes they are in at `t` (just
/// past it in `direction`).
fn linear_at(coils: &[ActiveCoil], t: f64, direction: f64) -> (f64, f64) {
    coils.iter().fold((0.0, 0.0), |(g, h), c| {
        let (a, b) = c.linear(c.regime(t, direction));
        (g + a, h + b)
    })
}

/// [`integrate`] with the racks' mass: `C_a·dT_a/dt = Q − Σ removal_i(T_a) − G·(T_a − T_m)`,
/// `C_m·dT_m/dt = G·(T_a − T_m)`, each set of regimes solved in closed form
/// ([`TwoNode`]). Within one set the air turns at most once, so it is monotone in at most two
/// pieces, and the first breakpoint it crosses is found by bisection in the piece.
fn integrate_with_mass(coils: &[ActiveCoil], q_w: f64, c_air_j_k: f64, m: Mass, t0: f64, dt: f64) -> ZoneStep {
    let mut coil_j: smallvec::SmallVec<[f64; ZONE_UNITS]> = smallvec::smallvec![0.0; coils.len()];
    let breakpoints: smallvec::SmallVec<[f64; 2 * ZONE_UNITS]> =
        coils.iter().flat_map(|c| [c.setpoint_c, c.limit_c()]).filter(|b| b.is_finite()).collect();
    let mut x = [t0, m.t_c];
    let mut left = dt;
    let rate = |x: [f64; 2], dir: f64| {
        let (g, h) = linear_at(coils, x[0], dir);
        q_w + h - g * x[0] - m.g_w_k * (x[0] - x[1])
    };
    let mut direction = if rate(x, 1.0) > 0.0 { 1.0 } else { -1.0 };
    let mut end_linear = (0.0, 0.0);
    let rounds = 2 * breakpoints.len() + 2;
    for round in 0..=rounds {
        let (g, h) = linear_at(coils, x[0], direction);
        end_linear = (g, h);
        // At the fixed point of these regimes (air and mass level at `(q + h)/g`, to 1e-12 K)
        // the exact solution stays there: no exponentials (a steady hall's zones cost nothing).
        if g > 0.0 {
            let t_inf = (q_w + h) / g;
            let tol = 1e-12 * t_inf.abs().max(1.0);
            if (x[0] - t_inf).abs() <= tol && (x[1] - t_inf).abs() <= tol {
                for (c, e) in coils.iter().zip(coil_j.iter_mut()) {
                    let (a, b) = c.linear(c.regime(x[0], direction));
                    *e += (a * x[0] - b) * left;
                }
                break;
            }
        }
        let sys = TwoNode::new(q_w, g, h, c_air_j_k, m.c_j_k, m.g_w_k);
        // The first breakpoint the air reaches in this step, piece by monotone piece.
        let mut crossing = None;
        // The state at the end of the step, once worked out (the last piece ends there).
        let mut at_end: Option<[f64; 2]> = None;
        if round < rounds && !breakpoints.is_empty() {
            let turn = sys.air_turn_s(x).filter(|&t| t < left);
            let pieces = [Some((0.0, turn.unwrap_or(left))), turn.map(|t| (t, left))];
            for (from, to) in pieces.into_iter().flatten() {
                let ya = if from == 0.0 { x[0] } else { sys.state(x, from)[0] };
                let end = sys.state(x, to);
                if to == left {
                    at_end = Some(end);
                }
                let yb = end[0];
                let dir = if yb > ya {
                    1.0
                } else if yb < ya {
                    -1.0
                } else {
                    continue;
                };
                let nearest = breakpoints
                    .iter()
                    .copied()
                    .filter(|&b| (b - ya) * dir > 0.0 && (yb - b) * dir >= 0.0)
                    .min_by(|a, b| (a - ya).abs().total_cmp(&(b - ya).abs()));
                if let Some(b) = nearest
                    && let Some(t) = sys.air_reaches(x, from, to, b)
                {
                    crossing = Some((t, b, dir));
                    break;
                }
            }
        }
        let seg = crossing.map_or(left, |c| c.0.min(left));
        let int = sys.integral(x, seg);
        for (c, e) in coils.iter().zip(coil_j.iter_mut()) {
            let (a, b) = c.linear(c.regime(x[0], direction));
            *e += a * int[0] - b * seg;
        }
        let mut next = match (crossing, at_end) {
            (None, Some(end)) => end,
            _ => sys.state(x, seg),
        };
        if let Some((_, b, dir)) = crossing {
            next[0] = b;
            direction = dir;
        }
        x = next;
        left -= seg;
        if crossing.is_none() || left <= 0.0 {
            break;
        }
    }
    ZoneStep { room_c: x[0], mass_c: Some(x[1]), coil_j, end_linear }
}

/// [`integrate`] for air alone: `C·dT/dt = Q − Σ removal_i(T)`, first order.
fn integrate_air(coils: &[ActiveCoil], q_w: f64, c_j_k: f64, t0: f64, dt: f64) -> ZoneStep {
    let mut coil_j: smallvec::SmallVec<[f64; ZONE_UNITS]> = smallvec::smallvec![0.0; coils.len()];
    let mut t = t0;
    let mut left = dt;
    // Direction of motion at the start, to settle regimes on breakpoints.
    let slope = |t: f64, dir: f64| {
        q_w - coils
            .iter()
            .map(|c| {
                let (a, b) = c.linear(c.regime(t, dir));
                a * t - b
            })
            .sum::<f64>()
    };
    let mut direction = if slope(t, 1.0) > 0.0 { 1.0 } else { -1.0 };
    let mut end_linear = (0.0, 0.0);
    // Each coil has two breakpoints; the trajectory is monotone within a step, so it can cross
    // each at most once.
    for _ in 0..=2 * coils.len() + 1 {
        let regimes: smallvec::SmallVec<[Regime; ZONE_UNITS]> = coils.iter().map(|c| c.regime(t, direction)).collect();
        let (mut g, mut h) = (0.0, 0.0);
        for (c, r) in coils.iter().zip(&regimes) {
            let (a, b) = c.linear(*r);
            g += a;
            h += b;
        }
        end_linear = (g, h);
        let t_ref = if g > 0.0 { h / g } else { t };
        // Where the trajectory goes, and the nearest breakpoint on the way.
        let target = if g > 0.0 {
            (q_w + h) / g
        } else if q_w > 0.0 {
            f64::INFINITY
        } else if q_w < 0.0 {
            f64::NEG_INFINITY
        } else {
            t
        };
        direction = if target > t { 1.0 } else { -1.0 };
        let next = coils
            .iter()
            .flat_map(|c| [c.setpoint_c, c.limit_c()])
            .filter(|&b| b.is_finite() && (b - t) * direction > 0.0 && (target - b) * direction > 0.0)
            .min_by(|a, b| (a - t).abs().total_cmp(&(b - t).abs()));
        let time_to_next = next.and_then(|b| time_to_reach_either(t, q_w, g, t_ref, c_j_k, b));
        let seg = match time_to_next {
            Some(s) if s < left => s,
            _ => left,
        };
        let t_end = if seg < left { next.unwrap_or(t) } else { first_order(t, q_w, g, t_ref, c_j_k, seg) };
        // ∫T dt over the segment, exactly.
        let integral_t = if g > 0.0 {
            let tau = c_j_k / g;
            let t_inf = t_ref + q_w / g;
            t_inf * seg + (t - t_inf) * tau * (1.0 - (-seg / tau).exp())
        } else {
            t * seg + q_w / c_j_k * seg * seg / 2.0
        };
        for ((c, r), e) in coils.iter().zip(&regimes).zip(coil_j.iter_mut()) {
            let (a, b) = c.linear(*r);
            *e += a * integral_t - b * seg;
        }
        t = t_end;
        left -= seg;
        if left <= 0.0 {
            break;
        }
    }
    ZoneStep { room_c: t, mass_c: None, coil_j, end_linear }
}

/// Seconds until `C·dT/dt = Q − g·(T − t_ref)` from `t` reaches `b`, rising or falling.
fn time_to_reach_either(t: f64, q_w: f64, g: f64, t_ref: f64, c: f64, b: f64) -> Option<f64> {
    if b >= t {
        return time_to_reach(t, q_w, g, t_ref, c, b);
    }
    // Falling: mirror the problem.
    time_to_reach(-t, -q_w, g, -t_ref, c, -b)
}

/// The steady room temperature with `coils` removing `q_w`, if there is one.
pub(super) fn steady_room_c(coils: &[ActiveCoil], q_w: f64) -> Option<f64> {
    // Removal is continuous, non-decreasing and piecewise linear: walk its breakpoints upward.
    let mut points: Vec<f64> =
        coils.iter().flat_map(|c| [c.setpoint_c, c.limit_c()]).filter(|b| b.is_finite()).collect();
    points.sort_by(f64::total_cmp);
    let removal = |t: f64| coils.iter().map(|c| c.removal_w(t)).sum::<f64>();
    let mut below = f64::NEG_INFINITY;
    for &p in &points {
        if removal(p) >= q_w {
            // The root lies in (below, p]: the removal is linear there.
            let probe = if below.is_finite() { 0.5 * (below + p) } else { p - 1.0 };
            let (mut g, mut h) = (0.0, 0.0);
            for c in coils {
                let (a, b) = c.linear(c.regime(probe, 0.0));
                g += a;
                h += b;
            }
            return if g > 0.0 { Some((q_w + h) / g) } else { Some(p) };
        }
        below = p;
    }
    // Past the last breakpoint.
    let probe = points.last().map_or(0.0, |p| p + 1.0);
    let (mut g, mut h) = (0.0, 0.0);
    for c in coils {
        let (a, b) = c.linear(c.regime(probe, 0.0));
        g += a;
        h += b;
    }
    (g > 0.0).then(|| (q_w + h) / g)
}

/// The CRAHs `units` of a zone at `speed`, with their loops' water temperatures.
pub(super) fn active_coils(crahs: &[CrahUnit], units: &[usize], speed: f64, loop_c: &[f64]) -> Coils {
    units
        .iter()
        .map(|&i| {
            let u = &crahs[i];
            let (g, kappa) = u.coil.at_speed(speed);
            ActiveCoil::new(g, kappa, u.rating.supply_setpoint_c, loop_c[u.water_loop])
        })
        .collect()
}

/// Every zone's running coils for one step, zone after zone: at the fan speed their units run
/// at and at full speed. Built once when the step's units are known (their speeds hold for the
/// whole step); only the entering water changes between sub-steps.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct StepCoils {
    /// At the units' fan speed.
    running: Vec<ActiveCoil>,
    /// At full fan speed.
    full: Vec<ActiveCoil>,
    /// Each coil's water loop.
    loops: Vec<usize>,
    /// Where each zone's coils start; one more entry than zones.
    starts: Vec<usize>,
}

impl StepCoils {
    /// Empties the coils for a new step.
    pub(super) fn clear(&mut self) {
        self.running.clear();
        self.full.clear();
        self.loops.clear();
        self.starts.clear();
        self.starts.push(0);
    }

    /// Adds the coil of running unit `u` to the zone being filled: at the fan speed it was set
    /// to ([`CrahUnit::set_fan_speed`]) with its loop's water at `water_c`, and at full speed
    /// without water until [`Self::set_full_speed_water`].
    pub(super) fn push(&mut self, u: &CrahUnit, water_c: f64) {
        let (g, kappa) = u.coil_at_speed.map_or_else(|| u.coil.at_speed(u.fan_speed), |c| c.1);
        let sp = u.rating.supply_setpoint_c;
        self.running.push(ActiveCoil::new(g, kappa, sp, water_c));
        // Read only at the end of the step, with the water of then (`set_full_speed_water`):
        // no limit (a division) worked out here.
        let (g, kappa) = u.coil_at_full;
        self.full.push(ActiveCoil { g, kappa, setpoint_c: sp, water_c: f64::NAN, limit_c: f64::NAN });
        self.loops.push(u.water_loop);
    }

    /// Ends the zone being filled; the next coils are the next zone's.
    pub(super) fn end_zone(&mut self) {
        self.starts.push(self.running.len());
    }

    /// The running coils' entering water from the loops at `loop_c`.
    pub(super) fn set_water(&mut self, loop_c: &[f64]) {
        set_water_from(&mut self.running, &self.loops, loop_c);
    }

    /// The full-speed coils' entering water from the loops at `loop_c` (they have none before).
    pub(super) fn set_full_speed_water(&mut self, loop_c: &[f64]) {
        set_water_from(&mut self.full, &self.loops, loop_c);
    }

    /// Zone `zi`'s running coils.
    pub(super) fn running(&self, zi: usize) -> &[ActiveCoil] {
        &self.running[self.starts[zi]..self.starts[zi + 1]]
    }

    /// The water loop of each of zone `zi`'s coils.
    pub(super) fn loops(&self, zi: usize) -> &[usize] {
        &self.loops[self.starts[zi]..self.starts[zi + 1]]
    }

    /// Zone `zi`'s coils at full speed.
    pub(super) fn full_speed(&self, zi: usize) -> &[ActiveCoil] {
        &self.full[self.starts[zi]..self.starts[zi + 1]]
    }
}

/// Each coil's entering water from its loop (`loops`, by coil) at `loop_c`.
fn set_water_from(coils: &mut [ActiveCoil], loops: &[usize], loop_c: &[f64]) {
    for (c, &l) in coils.iter_mut().zip(loops) {
        c.set_water_c(loop_c[l]);
    }
}

/// The common fan speed of `units` for an airflow demand: between their highest minimum and
/// full speed.
pub(super) fn fan_speed(crahs: &[CrahUnit], units: &[usize], demand_m3_s: f64) -> f64 {
    let rated: f64 = units.iter().map(|&i| crahs[i].rating.rated_airflow_m3_s).sum();
    if rated <= 0.0 {
        return 0.0;
    }
    let min_speed = units.iter().map(|&i| crahs[i].rating.min_fan_speed_pct / 100.0).fold(0.0, f64::max);
    (demand_m3_s / rated).clamp(min_speed, 1.0)
}

/// The most `coils` can remove with every one holding its setpoint: the removal when the room
/// sits at the lowest coil limit `T*`, W.
pub(super) fn holding_capacity_w(coils: &[ActiveCoil]) -> f64 {
    let t_star = coils.iter().map(ActiveCoil::limit_c).fold(f64::INFINITY, f64::min);
    if !t_star.is_finite() {
        // No coil ever runs out (κ ≥ G needs an effectiveness of 1: not a real coil).
        return f64::INFINITY;
    }
    coils.iter().map(|c| c.removal_w(t_star)).sum()
}

/// Supply air of `coils` at room temperature `t`, mixed by airflow; `t` without airflow.
pub(super) fn mixed_supply_c(coils: &[ActiveCoil], t: f64) -> f64 {
    let g: f64 = coils.iter().map(|c| c.g).sum();
    if g <= 0.0 {
        return t;
    }
    coils.iter().map(|c| c.g * c.supply_c(t)).sum::<f64>() / g
}

/// True when some coil is coil-limited at `t`.
pub(super) fn any_limited(coils: &[ActiveCoil], t: f64) -> bool {
    coils.iter().any(|c| c.regime(t, 0.0) == Regime::Limited)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coil(g: f64, kappa: f64, sp: f64, tw: f64) -> ActiveCoil {
        ActiveCoil::new(g, kappa, sp, tw)
    }

    /// Integrating across a regime change in one long step equals many short steps, for air
    /// alone and for air with the racks' mass; the energy balance holds and a long run ends at
    /// the steady state.
    #[test]
    fn one_long_step_equals_many_short_ones() {
        let coils = [coil(7000.0, 4000.0, 18.0, 10.0), coil(7000.0, 3000.0, 18.0, 12.0)];
        let q = 150e3;
        // Air alone (5 MJ/K), then 1 MJ/K of air with 4 MJ/K of mass at a 240 s time constant.
        for (c_air, mass) in [(5e6, None), (1e6, Some(Mass { c_j_k: 4e6, g_w_k: 4e6 / 240.0, t_c: 19.0 }))] {
            let t0 = 19.0;
            let c_mass = mass.map_or(0.0, |m| m.c_j_k);
            let long = integrate(&coils, q, c_air, mass, t0, 3600.0);
            let (mut t, mut m) = (t0, mass);
            let mut energy = vec![0.0; 2];
            for _ in 0..36000 {
                let s = integrate(&coils, q, c_air, m, t, 0.1);
                t = s.room_c;
                if let (Some(mm), Some(tm)) = (m.as_mut(), s.mass_c) {
                    mm.t_c = tm;
                }
                energy.iter_mut().zip(&s.coil_j).for_each(|(e, x)| *e += x);
            }
            assert!((long.room_c - t).abs() < 1e-6, "{} vs {t}", long.room_c);
            for (a, b) in long.coil_j.iter().zip(&energy) {
                assert!((a - b).abs() / b.abs() < 1e-6, "{a} vs {b}");
            }
            // Energy balance: Q·dt = C_a·ΔT_a + C_m·ΔT_m + removed.
            let removed: f64 = long.coil_j.iter().sum();
            let stored = c_air * (long.room_c - t0) + c_mass * (long.mass_c.unwrap_or(t0) - t0);
            assert!((q * 3600.0 - stored - removed).abs() < 1e-6 * q * 3600.0, "{stored} {removed}");
            // Ten hours (far past every time constant) end at the steady state, which is
            // coil-limited; the mass sits at the air's temperature.
            let steady = steady_room_c(&coils, q).unwrap();
            let settled = integrate(&coils, q, c_air, mass, t0, 36000.0);
            assert!((settled.room_c - steady).abs() < 1e-9, "{} vs {steady}", settled.room_c);
            assert!(settled.mass_c.is_none_or(|m| (m - steady).abs() < 1e-9));
            assert!(any_limited(&coils, steady));
        }
    }

    /// Without cooling, air and mass from rest: `T_a(t) = T₀ + Q·t/(C_a + C_m) +
    /// C_m/(C_a + C_m)·Δ∞·(1 − e^{−t/τ})` with `τ = 1/(G·(1/C_a + 1/C_m))` and
    /// `Δ∞ = Q·τ/C_a` (the air's lead over the mass): it starts at the air's pace `Q/C_a` and
    /// ends at `Q/(C_a + C_m)` (Khankari 2011's rate of heating, falling exponentially from a
    /// maximum to a minimum).
    #[test]
    fn without_cooling_the_air_leads_the_mass_as_the_closed_form_says() {
        let (q, ca, cm, g) = (100e3, 0.7e6, 2.0e6, 2.0e6 / 240.0);
        let tau = 1.0 / (g * (1.0 / ca + 1.0 / cm));
        let lead = q * tau / ca;
        let closed = |t: f64| 20.0 + q * t / (ca + cm) + cm / (ca + cm) * lead * (1.0 - (-t / tau).exp());
        for t in [1.0, 10.0, 60.0, 300.0, 1800.0] {
            let s = integrate(&[], q, ca, Some(Mass { c_j_k: cm, g_w_k: g, t_c: 20.0 }), 20.0, t);
            assert!((s.room_c - closed(t)).abs() < 1e-9 * closed(t), "{t}: {} vs {}", s.room_c, closed(t));
        }
        let rate = |t: f64| (closed(t + 1e-3) - closed(t)) / 1e-3;
        assert!((rate(0.0) - q / ca).abs() < 1e-3 * q / ca);
        assert!((rate(20.0 * tau) - q / (ca + cm)).abs() < 1e-3 * q / (ca + cm));
    }

    /// The rating point reproduces its own rated cooling at full speed.
    #[test]
    fn coil_reproduces_its_rating_point() {
        let r = crate::catalog::Catalog::builtin().crahs["crah-cw-86kw"].rating();
        let c = CoilRating::from_crah(&r).unwrap();
        let (_, kappa) = c.at_speed(1.0);
        let q = kappa * (r.rated_return_c - r.rated_water_c);
        assert!((q - r.rated_cooling_kw * 1e3).abs() < 1e-6, "{q}");
        // Less air, less coil: at half speed κ falls, but by less than half (film ∝ V^0.8).
        let (_, half) = c.at_speed(0.5);
        assert!(half < kappa && half > 0.5 * kappa);
    }
}
