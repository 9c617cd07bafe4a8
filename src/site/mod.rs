//! The site file: what a planner writes, diffs and shares.
//!
//! A site file is RON (`version: 1`). Each element has a unique string `id`, a catalog `model`
//! with optional `overrides`, a floor `position_m` (metres) and `rotation_deg`, an `in_service`
//! flag (default `true`), and its connections by id. Sections that are empty may be left out,
//! so later versions can add sections (cooling, zones) without breaking existing files.
//!
//! This layer knows nothing about Bevy: a site can be read, checked and written by any tool.

pub mod cooling;
pub mod element;
pub mod load;
pub mod problem;
pub mod save;
pub mod source_map;
pub mod validate;

use serde::{Deserialize, Serialize};

use crate::catalog::{DistributionOverrides, GridFeedOverrides, RackOverrides, TransformerOverrides, UpsOverrides};

/// The site file format version this build reads and writes.
pub const SITE_VERSION: u32 = 1;

/// A whole site, as written in the file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteFile {
    /// Comment lines at the top of the file (without `//`), kept so saving does not lose the
    /// site's description. Other comments are not preserved.
    #[serde(skip)]
    pub header: Vec<String>,
    /// Format version; must be 1.
    pub version: u32,
    /// Human-readable site name.
    pub name: String,
    /// Utility feeds (slack sources).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grid_feeds: Vec<GridFeedSpec>,
    /// Transformers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transformers: Vec<TransformerSpec>,
    /// UPS systems.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ups: Vec<UpsSpec>,
    /// Switchboards, PDUs, RPPs and busways.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub distribution: Vec<DistributionSpec>,
    /// Racks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub racks: Vec<RackSpec>,
    /// Outdoor conditions (required when the site has cooling).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ambient: Option<cooling::AmbientSpec>,
    /// Cooling zones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub zones: Vec<cooling::ZoneSpec>,
    /// Water loops.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub water_loops: Vec<cooling::WaterLoopSpec>,
    /// Computer-room air handlers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub crahs: Vec<cooling::CrahSpec>,
    /// Coolant distribution units.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cdus: Vec<cooling::CduSpec>,
    /// Chillers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chillers: Vec<cooling::ChillerSpec>,
    /// Cooling towers and dry coolers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub heat_rejection: Vec<cooling::HeatRejectionSpec>,
}

/// The constraints of the numbers every element has, and of feeders.
pub mod limits {
    use crate::constraint::{Constraint, FRACTION};
    pub use crate::constraint::{POSITION_M, ROTATION_DEG};
    /// [`super::RackSpec::utilization`]: a share of the rated (design) power.
    pub const UTILIZATION: Constraint = FRACTION;
    /// [`super::FeederSpec::length_m`].
    pub const FEEDER_LENGTH_M: Constraint = Constraint::range(0.0, 1.0e5, "m", "a cable route up to 100 km");
    /// [`super::FeederSpec::sets`].
    pub const FEEDER_SETS: Constraint = Constraint::range(1.0, 100.0, "", "parallel conductor sets").whole();
}

/// The cable between an element and its upstream. Without one the connection has no impedance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeederSpec {
    /// Cable model from the catalog.
    pub cable: String,
    /// Route length, m ([`limits::FEEDER_LENGTH_M`]).
    pub length_m: f64,
    /// Parallel conductor sets (impedance divides, ampacity multiplies; [`limits::FEEDER_SETS`]).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub sets: u32,
}

/// How a UPS carries its load.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum UpsMode {
    /// Rectifier + inverter: output regulated at nominal voltage.
    #[default]
    DoubleConversion,
    /// Static bypass with the inverter on standby: output follows input, lower losses.
    Eco,
}

/// A utility feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GridFeedSpec {
    /// Unique id.
    pub id: String,
    /// Catalog model.
    pub model: String,
    /// Per-instance changes to the catalog rating.
    #[serde(default, skip_serializing_if = "GridFeedOverrides::is_empty")]
    pub overrides: GridFeedOverrides,
    /// Floor position, m.
    pub position_m: (f64, f64),
    /// Rotation about the vertical axis, degrees.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rotation_deg: f64,
    /// False takes the element out of the network (failure or maintenance).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub in_service: bool,
}

/// A transformer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransformerSpec {
    /// Unique id.
    pub id: String,
    /// Catalog model.
    pub model: String,
    /// Id of the element feeding the primary.
    pub upstream: String,
    /// Cable from the upstream element, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feeder: Option<FeederSpec>,
    /// The room it stands in: its losses, and its feeder cable's, heat that zone's air.
    /// Without one it stands outdoors (its losses leave with the outdoor air).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// Per-instance changes to the catalog rating.
    #[serde(default, skip_serializing_if = "TransformerOverrides::is_empty")]
    pub overrides: TransformerOverrides,
    /// Floor position, m.
    pub position_m: (f64, f64),
    /// Rotation about the vertical axis, degrees.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rotation_deg: f64,
    /// False takes the element out of the network.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub in_service: bool,
}

/// A UPS.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpsSpec {
    /// Unique id.
    pub id: String,
    /// Catalog model.
    pub model: String,
    /// Id of the element feeding the rectifier.
    pub upstream: String,
    /// Cable from the upstream element, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feeder: Option<FeederSpec>,
    /// Operating mode.
    #[serde(default, skip_serializing_if = "is_default_mode")]
    pub mode: UpsMode,
    /// The room it stands in: its losses, and its feeder cable's, heat that zone's air.
    /// Without one it stands outdoors (its losses leave with the outdoor air).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// Per-instance changes to the catalog rating.
    #[serde(default, skip_serializing_if = "UpsOverrides::is_empty")]
    pub overrides: UpsOverrides,
    /// Floor position, m.
    pub position_m: (f64, f64),
    /// Rotation about the vertical axis, degrees.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rotation_deg: f64,
    /// False takes the element out of the network.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub in_service: bool,
}

/// A switchboard, PDU, RPP or busway.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistributionSpec {
    /// Unique id.
    pub id: String,
    /// Catalog model.
    pub model: String,
    /// Id of the element feeding it.
    pub upstream: String,
    /// Cable from the upstream element, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feeder: Option<FeederSpec>,
    /// The room it stands in: its losses, and its feeder cable's, heat that zone's air.
    /// Without one it stands outdoors (its losses leave with the outdoor air).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// Per-instance changes to the catalog rating.
    #[serde(default, skip_serializing_if = "DistributionOverrides::is_empty")]
    pub overrides: DistributionOverrides,
    /// Floor position, m.
    pub position_m: (f64, f64),
    /// Rotation about the vertical axis, degrees.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rotation_deg: f64,
    /// False takes the element out of the network.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub in_service: bool,
}

/// A rack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RackSpec {
    /// Unique id.
    pub id: String,
    /// Catalog model.
    pub model: String,
    /// Id of the element feeding the A cord.
    pub feed_a: String,
    /// Id of the element feeding the B cord (dual-corded racks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feed_b: Option<String>,
    /// Fraction of the rated power drawn (1 = design load; [`limits::UTILIZATION`]).
    #[serde(default = "one_f64", skip_serializing_if = "is_one_f64")]
    pub utilization: f64,
    /// Cooling zone its air-side heat goes to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// CDU its liquid-side heat goes to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cdu: Option<String>,
    /// Per-instance changes to the catalog rating.
    #[serde(default, skip_serializing_if = "RackOverrides::is_empty")]
    pub overrides: RackOverrides,
    /// Floor position, m.
    pub position_m: (f64, f64),
    /// Rotation about the vertical axis, degrees.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rotation_deg: f64,
    /// False takes the element out of the network.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub in_service: bool,
}

/// The kinds of element a site holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ElementKind {
    /// Utility feed.
    GridFeed,
    /// Transformer.
    Transformer,
    /// UPS.
    Ups,
    /// Switchboard, PDU, RPP or busway.
    Distribution,
    /// Rack.
    Rack,
}

impl ElementKind {
    /// The word used in messages and reports.
    pub fn noun(self) -> &'static str {
        match self {
            ElementKind::GridFeed => "grid feed",
            ElementKind::Transformer => "transformer",
            ElementKind::Ups => "UPS",
            ElementKind::Distribution => "distribution",
            ElementKind::Rack => "rack",
        }
    }

    /// The site-file section holding this kind.
    pub fn section(self) -> &'static str {
        match self {
            ElementKind::GridFeed => "grid_feeds",
            ElementKind::Transformer => "transformers",
            ElementKind::Ups => "ups",
            ElementKind::Distribution => "distribution",
            ElementKind::Rack => "racks",
        }
    }
}

fn yes() -> bool {
    true
}
fn is_true(b: &bool) -> bool {
    *b
}
fn is_zero(x: &f64) -> bool {
    *x == 0.0
}
fn one() -> u32 {
    1
}
fn is_one(n: &u32) -> bool {
    *n == 1
}
fn one_f64() -> f64 {
    1.0
}
fn is_one_f64(x: &f64) -> bool {
    *x == 1.0
}
fn is_default_mode(m: &UpsMode) -> bool {
    *m == UpsMode::DoubleConversion
}

/// What every element of a site file has, whatever its kind: lets validation and tools treat
/// the five sections alike.
pub trait ElementSpec {
    /// The element kind of this section.
    const KIND: ElementKind;
    /// Unique id.
    fn id(&self) -> &str;
    /// Catalog model name.
    fn model(&self) -> &str;
    /// `(field, upstream id)` for each connection.
    fn links(&self) -> Vec<(&'static str, &str)>;
    /// The feeder cable, if any.
    fn feeder(&self) -> Option<&FeederSpec>;
    /// Floor position (m) and rotation (degrees).
    fn placement(&self) -> ((f64, f64), f64);
    /// In service (false: failed or under maintenance).
    fn in_service(&self) -> bool;
    /// Overridden numeric rating fields, with their constraints.
    fn override_numbers(&self) -> Vec<crate::catalog::rated::NumericField>;
    /// Inconsistencies of the resolved rating (catalog model + overrides); empty when the model
    /// is missing or nothing is overridden (the catalog itself is checked on load).
    fn override_inconsistencies(&self, catalog: &crate::catalog::Catalog) -> Vec<(&'static str, String)>;
    /// Nominal `(input, output)` kV of the resolved rating; `None` when the catalog lacks the model.
    fn nominal_kv(&self, catalog: &crate::catalog::Catalog) -> Option<(f64, Option<f64>)>;
}

macro_rules! element_spec {
    ($Spec:ty, $kind:expr, $section:ident, |$e:ident| links: $links:expr, feeder: $feeder:expr, kv: |$r:ident| $kv:expr) => {
        impl ElementSpec for $Spec {
            const KIND: ElementKind = $kind;
            fn id(&self) -> &str {
                &self.id
            }
            fn model(&self) -> &str {
                &self.model
            }
            #[allow(unused_variables)]
            fn links(&self) -> Vec<(&'static str, &str)> {
                let $e = self;
                $links
            }
            #[allow(unused_variables)]
            fn feeder(&self) -> Option<&FeederSpec> {
                let $e = self;
                $feeder
            }
            fn placement(&self) -> ((f64, f64), f64) {
                (self.position_m, self.rotation_deg)
            }
            fn in_service(&self) -> bool {
                self.in_service
            }
            fn override_numbers(&self) -> Vec<crate::catalog::rated::NumericField> {
                self.overrides.numeric_fields()
            }
            fn override_inconsistencies(&self, catalog: &crate::catalog::Catalog) -> Vec<(&'static str, String)> {
                use crate::catalog::Consistency;
                if self.overrides.is_empty() {
                    return vec![];
                }
                catalog
                    .$section
                    .get(&self.model)
                    .map(|m| self.overrides.apply(&m.rating()))
                    .filter(|r| r.numbers_valid())
                    .map(|r| r.inconsistencies())
                    .unwrap_or_default()
            }
            fn nominal_kv(&self, catalog: &crate::catalog::Catalog) -> Option<(f64, Option<f64>)> {
                let $r = self.overrides.apply(&catalog.$section.get(&self.model)?.rating());
                Some($kv)
            }
        }
    };
}

element_spec!(GridFeedSpec, ElementKind::GridFeed, grid_feeds, |e| links: vec![], feeder: None,
    kv: |r| (r.voltage_kv, Some(r.voltage_kv)));
element_spec!(TransformerSpec, ElementKind::Transformer, transformers, |e| links: vec![("upstream", e.upstream.as_str())],
    feeder: e.feeder.as_ref(), kv: |r| (r.primary_kv, Some(r.secondary_kv)));
element_spec!(UpsSpec, ElementKind::Ups, ups, |e| links: vec![("upstream", e.upstream.as_str())],
    feeder: e.feeder.as_ref(), kv: |r| (r.voltage_kv, Some(r.voltage_kv)));
element_spec!(DistributionSpec, ElementKind::Distribution, distribution, |e| links: vec![("upstream", e.upstream.as_str())],
    feeder: e.feeder.as_ref(), kv: |r| (r.voltage_kv, Some(r.voltage_kv)));
element_spec!(RackSpec, ElementKind::Rack, racks,
    |e| links: std::iter::once(("feed_a", e.feed_a.as_str())).chain(e.feed_b.as_deref().map(|b| ("feed_b", b))).collect(),
    feeder: None, kv: |r| (r.voltage_kv, None));
