//! Components of an element entity: identity, ratings and connections (what the planner
//! edits), and results (what the solvers write each step).

use bevy::prelude::*;

use crate::catalog::{DistributionRating, GridFeedRating, RackRating, TransformerRating, UpsRating};
use crate::site::{ElementKind, FeederSpec, UpsMode};

/// The element's unique id, as in the site file.
#[derive(Component, Debug, Clone, PartialEq, Eq)]
pub struct ElementId(pub String);

/// What kind of element this is (also implied by which rating component it carries).
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind(pub ElementKind);

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
pub struct InService(pub bool);

/// Id of the element feeding this one (transformers, UPSes, distribution).
#[derive(Component, Debug, Clone, PartialEq, Eq)]
pub struct Upstream(pub String);

/// The A and B cords of a rack, by id of the feeding element.
#[derive(Component, Debug, Clone, PartialEq, Eq)]
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
pub struct Feeder(pub FeederSpec);

/// A utility feed and its rating.
#[derive(Component, Debug, Clone, PartialEq)]
#[require(ElectricalState, crate::sim::electrical::NetworkSlot)]
pub struct GridFeed(pub GridFeedRating);

/// A transformer and its rating.
#[derive(Component, Debug, Clone, PartialEq)]
#[require(ElectricalState, crate::sim::electrical::NetworkSlot)]
pub struct Transformer(pub TransformerRating);

/// A UPS, its rating and operating mode.
#[derive(Component, Debug, Clone, PartialEq)]
#[require(ElectricalState, crate::sim::electrical::NetworkSlot)]
pub struct Ups {
    /// Rating.
    pub rating: UpsRating,
    /// Double conversion or eco.
    pub mode: UpsMode,
}

/// A switchboard, PDU, RPP or busway and its rating.
#[derive(Component, Debug, Clone, PartialEq)]
#[require(ElectricalState, crate::sim::electrical::NetworkSlot)]
pub struct Distribution(pub DistributionRating);

/// A rack, its rating and how much of it is in use.
#[derive(Component, Debug, Clone, PartialEq)]
#[require(
    RackPower,
    crate::sim::electrical::RackCordNodes,
    crate::sim::thermal::RackThermal,
    crate::sim::thermal::RackCoolingSlot
)]
pub struct Rack {
    /// Rating.
    pub rating: RackRating,
    /// Fraction of rated power drawn.
    pub utilization: f64,
}

/// Load-flow results for a network element (feed, transformer, UPS, distribution).
///
/// Voltages are magnitudes; "input" is the element's upstream terminal (after its feeder cable),
/// "output" the terminal its children hang from. Powers are three-phase totals at the input.
#[derive(Component, Debug, Clone, Default, PartialEq, serde::Serialize)]
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

/// Load-flow results for a rack.
#[derive(Component, Debug, Clone, Copy, Default, PartialEq)]
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
