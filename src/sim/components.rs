//! Components of an element entity: identity, ratings and connections (what the planner
//! edits), and results (what the solvers write each step).

use bevy::prelude::*;

use crate::catalog::RackRating;
use crate::kinds::EquipmentKind;
use crate::site::FeederSpec;

/// The element's unique id, as in the site file.
#[derive(Component, Debug, Clone, PartialEq, Eq)]
#[component(immutable)]
pub struct ElementId(pub String);

/// What kind of element this is (also implied by which rating component it carries).
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind(pub EquipmentKind);

/// The catalog model the ratings were resolved from (overrides are the difference).
#[derive(Component, Debug, Clone, PartialEq, Eq)]
pub struct CatalogModel(pub String);

/// Floor position and rotation.
#[derive(Component, Debug, Clone, Copy, PartialEq)]
pub struct Placement {
    /// Position on the floor plan, m.
    pub position_m: (f64, f64),
    /// Rotation about the vertical axis, degrees.
    pub rotation_deg: f64,
}

/// False when the element is out of the network (failed or under maintenance).
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
#[component(immutable)]
pub struct InService(pub bool);

/// The common-mode groups an element belongs to (absent when none): kept so that writing the
/// world back as a site file keeps them.
#[derive(Component, Debug, Clone, PartialEq, Eq)]
pub struct CommonMode(pub Vec<String>);

/// The elements that can feed this one (transformers, UPSes, distribution), in order of
/// preference: it is fed by the first that is energized. Every kind so far has one source; a
/// transfer switch (utility or generator) or a static switch (two UPSes) will list two.
#[derive(Component, Debug, Clone, PartialEq, Eq)]
#[component(immutable)]
pub struct Sources(pub Vec<String>);

impl Sources {
    /// A single source.
    pub fn one(id: impl Into<String>) -> Sources {
        Sources(vec![id.into()])
    }

    /// The preferred source.
    pub fn primary(&self) -> Option<&str> {
        self.0.first().map(String::as_str)
    }
}

/// The A and B cords of a rack, by id of the feeding element.
#[derive(Component, Debug, Clone, PartialEq, Eq)]
#[component(immutable)]
pub struct RackFeeds {
    /// A cord.
    pub a: String,
    /// B cord, for dual-corded racks.
    pub b: Option<String>,
}

/// The zone whose air an element's electrical losses (and its feeder cable's) heat; `None`:
/// outdoors.
#[derive(Component, Debug, Clone, Default, PartialEq, Eq)]
pub struct LossZone(pub Option<String>);

/// The cable from the upstream element, when there is one.
#[derive(Component, Debug, Clone, PartialEq)]
#[component(immutable)]
pub struct Feeder(pub FeederSpec);

pub use crate::sim::electrical::kinds::{Distribution, GridFeed, Transformer, Ups};

/// A rack and its rating. Immutable: a rating is the rack's model, fixed at spawn (a new
/// model is an insert, which the solvers count), so per-step passes may keep what follows from
/// it; how much of it is in use changes every step and is its own [`Utilization`].
#[derive(Component, Debug, Clone, PartialEq)]
#[component(immutable)]
#[require(RackProtection, Utilization)]
pub struct Rack {
    /// Rating.
    pub rating: RackRating,
}

/// How much of a rack's rating is in use: the fraction of rated power drawn, 0–1. Apart from
/// [`Rack`] so that an AI job's swing, which moves every rack's every step, touches 8 bytes a
/// rack and leaves the rating unchanged.
#[derive(Component, Debug, Clone, Copy, PartialEq)]
pub struct Utilization(pub f64);

impl Default for Utilization {
    /// A rack spawned without one draws its full rating.
    fn default() -> Self {
        Utilization(1.0)
    }
}

impl Utilization {
    /// The fraction a rack with `utilization` draws: a rack whose component was removed draws
    /// its full rating, as the default and the saved site say.
    #[inline]
    pub fn of(utilization: Option<&Utilization>) -> f64 {
        utilization.map_or(Utilization::default().0, |u| u.0)
    }
}

/// A rack's thermal protection: the share of its demand its servers draw (below 1 while they
/// throttle on a hot inlet or coolant) and whether they have shut down. Set by the thermal step
/// from the rack's temperatures; the load flow and the heat both follow it.
#[derive(Component, Debug, Clone, Copy, PartialEq)]
pub struct RackProtection {
    /// Share of the demand drawn, 0–1.
    pub factor: f64,
    /// Shut down on over-temperature.
    pub tripped: bool,
    /// Simulated time of the shutdown, s.
    pub tripped_at_s: f64,
}

impl Default for RackProtection {
    fn default() -> Self {
        RackProtection { factor: 1.0, tripped: false, tripped_at_s: 0.0 }
    }
}

/// How long servers stay off after a thermal shutdown before they restart on their own (once
/// every temperature is back below its throttle point), s. An estimate: the BMC's power-restore
/// policy waits minutes, and a restart every second would be no physical answer.
pub const RACK_RESTART_DELAY_S: f64 = 300.0;

impl RackProtection {
    /// The protection for temperatures `inlet_c` (air, when the rack breathes zone air) and
    /// `liquid_c` (coolant, when it has some), given the state it was in: linear throttling
    /// from full power at the throttle temperature to half at the trip temperature, off at and
    /// beyond the trip, back on once every temperature is below its throttle point and
    /// [`RACK_RESTART_DELAY_S`] has passed (`now_s` is the simulated time).
    pub fn next(
        self,
        r: &crate::catalog::RackRating,
        inlet_c: Option<f64>,
        liquid_c: Option<f64>,
        now_s: f64,
    ) -> RackProtection {
        let share = |t: f64, throttle: f64, trip: f64| (1.0 - 0.5 * (t - throttle) / (trip - throttle)).clamp(0.5, 1.0);
        let air = inlet_c.map_or((1.0, false, true), |t| {
            (share(t, r.throttle_inlet_c, r.trip_inlet_c), t >= r.trip_inlet_c, t < r.throttle_inlet_c)
        });
        let liquid = liquid_c.map_or((1.0, false, true), |t| {
            (share(t, r.throttle_liquid_c, r.trip_liquid_c), t >= r.trip_liquid_c, t < r.throttle_liquid_c)
        });
        let (tripped, tripped_at_s) = if self.tripped {
            let may_restart = air.2 && liquid.2 && now_s - self.tripped_at_s >= RACK_RESTART_DELAY_S;
            (!may_restart, self.tripped_at_s)
        } else if air.1 || liquid.1 {
            (true, now_s)
        } else {
            (false, 0.0)
        };
        RackProtection { factor: if tripped { 0.0 } else { air.0.min(liquid.0) }, tripped, tripped_at_s }
    }
}

/// Load-flow results for a network element (feed, transformer, UPS, distribution), worked out
/// from the solver's arrays when asked ([`crate::sim::electrical::ElectricalNetwork::state`]):
/// writing them to 5,000 components every step cost more than the load flow itself.
///
/// Voltages are magnitudes; "input" is the element's upstream terminal (after its feeder cable),
/// "output" the terminal its children hang from. Powers are three-phase totals at the input.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct ElectricalState {
    /// In service and connected to a live source.
    pub energized: bool,
    /// Output voltage, per unit of the output nominal.
    pub voltage_pu: f64,
    /// Output line-to-line voltage, V.
    pub voltage_v: f64,
    /// Input voltage, per unit of the input nominal.
    pub input_voltage_pu: f64,
    /// Current drawn at the input, A (per phase).
    pub input_current_a: f64,
    /// Current delivered at the output, A (per phase).
    pub output_current_a: f64,
    /// Real power in at the input, kW (for a feed: the import at the point of connection).
    pub p_kw: f64,
    /// Reactive power in at the input, kvar.
    pub q_kvar: f64,
    /// Loading against the element's own limit, percent.
    pub loading_pct: f64,
    /// Losses inside the element, kW.
    pub losses_kw: f64,
    /// Losses in the feeder cable to this element, kW.
    pub feeder_losses_kw: f64,
    /// Feeder cable current as a percent of its ampacity.
    pub feeder_loading_pct: f64,
    /// Feeder cable ampacity (all sets), A; 0 without a cable.
    pub feeder_ampacity_a: f64,
}

/// One rack cord's results.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CordState {
    /// The feeding element is energized.
    pub live: bool,
    /// Current, A per phase.
    pub current_a: f64,
    /// Real power through the cord, kW.
    pub p_kw: f64,
    /// Reactive power through the cord, kvar.
    pub q_kvar: f64,
    /// Voltage at the cord, per unit.
    pub voltage_pu: f64,
}

/// Load-flow results for a rack, computed from the solution on demand
/// ([`crate::sim::electrical::ElectricalNetwork::rack_power`]).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RackPower {
    /// At least one cord is live and the rack is in service.
    pub powered: bool,
    /// Real power drawn, kW.
    pub p_kw: f64,
    /// Reactive power drawn, kvar.
    pub q_kvar: f64,
    /// A cord.
    pub a: CordState,
    /// B cord (dual-corded racks).
    pub b: Option<CordState>,
}
