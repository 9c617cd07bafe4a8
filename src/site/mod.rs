//! The site file: what a planner writes, diffs and shares.
//!
//! A site file is RON (`version: 1`). Each element has a unique string `id`, a catalog `model`
//! with optional `overrides`, a floor `position_m` (metres) and `rotation_deg`, an `in_service`
//! flag (default `true`), and its connections by id. Sections that are empty may be left out,
//! so later versions can add sections (cooling, zones) without breaking existing files.
//!
//! This layer knows nothing about Bevy: a site can be read, checked and written by any tool.

pub mod compose;
pub mod cooling;
pub mod element;
pub mod load;
pub mod problem;
pub mod room;
pub mod save;
pub mod source_map;
pub mod spec;
pub mod validate;

use serde::{Deserialize, Serialize};

pub use cooling::{CduSpec, ChillerSpec, CrahSpec, HeatRejectionSpec, WaterLoopSpec, ZoneSpec};

use crate::catalog::{
    DistributionOverrides, GeneratorOverrides, GridFeedOverrides, RackOverrides, TransferSwitchOverrides,
    TransformerOverrides, UpsOverrides,
};

/// The site file format version this build reads and writes.
pub const SITE_VERSION: u32 = 1;

/// Generates [`SiteFile`] (one section per kind, in the table's order, with `ambient` between
/// the loads and the cooling spaces), [`SiteElement`] and the section-wise operations
/// on both, from the table of kinds.
macro_rules! define_site_file {
    (
        nodes: [ $( $NKind:ident { section: $nsection:ident, key: $nkey:literal, label: $nlabel:literal, noun: $nnoun:literal,
            prefix: $nprefix:literal, spec: $NSpec:ident, $($nrest:tt)* } ),* $(,)? ],
        loads: [ $( $LKind:ident { section: $lsection:ident, key: $lkey:literal, label: $llabel:literal, noun: $lnoun:literal,
            prefix: $lprefix:literal, spec: $LSpec:ident, $($lrest:tt)* } ),* $(,)? ],
        spaces: [ $( $SKind:ident { section: $ssection:ident, key: $skey:literal, label: $slabel:literal, noun: $snoun:literal,
            prefix: $sprefix:literal, spec: $SSpec:ident, $($srest:tt)* } ),* $(,)? ],
        units: [ $( $UKind:ident { section: $usection:ident, key: $ukey:literal, label: $ulabel:literal, noun: $unoun:literal,
            prefix: $uprefix:literal, spec: $USpec:ident, $($urest:tt)* } ),* $(,)? ] $(,)?
    ) => {
        define_site_file!(@file
            before: [ $( $NKind $nsection $NSpec $nlabel, )* $( $LKind $lsection $LSpec $llabel, )* ],
            after: [ $( $SKind $ssection $SSpec $slabel, )* $( $UKind $usection $USpec $ulabel, )* ]
        );
    };
    (@file
        before: [ $( $BKind:ident $bsection:ident $BSpec:ident $blabel:literal, )* ],
        after: [ $( $AKind:ident $asection:ident $ASpec:ident $alabel:literal, )* ]
    ) => {
        /// A whole site, as written in the file.
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct SiteFile {
            /// Comment lines at the top of the file (without `//`), kept so saving does not lose
            /// the site's description. Other comments are not preserved.
            #[serde(skip)]
            pub header: Vec<String>,
            /// Format version; must be 1.
            pub version: u32,
            /// Human-readable site name.
            pub name: String,
            /// Other site files composed into this one (halls, rooms), each with its id prefix
            /// ([`compose`]). Empty in a composed site: its elements are all in place.
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            pub include: Vec<compose::IncludeSpec>,
            /// Rooms and halls with their walls and aisles (drawn on the plan; no physics).
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            pub rooms: Vec<room::RoomSpec>,
            $(
                #[doc = concat!($blabel, " elements.")]
                #[serde(default, skip_serializing_if = "Vec::is_empty")]
                pub $bsection: Vec<$BSpec>,
            )*
            /// Outdoor conditions (required when the site has cooling).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub ambient: Option<cooling::AmbientSpec>,
            $(
                #[doc = concat!($alabel, " elements.")]
                #[serde(default, skip_serializing_if = "Vec::is_empty")]
                pub $asection: Vec<$ASpec>,
            )*
            /// The team's quotes and the value of idle IT (`dctwin expand`; top file only).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub economics: Option<crate::catalog::economics::SiteEconomics>,
        }

        impl SiteFile {
            /// Every element with its index in its section, in file order.
            pub fn elements(&self) -> Vec<(usize, &dyn spec::SiteSpec)> {
                let mut out: Vec<(usize, &dyn spec::SiteSpec)> = Vec::with_capacity(self.len());
                $( out.extend(self.$bsection.iter().enumerate().map(|(i, e)| (i, e as &dyn spec::SiteSpec))); )*
                $( out.extend(self.$asection.iter().enumerate().map(|(i, e)| (i, e as &dyn spec::SiteSpec))); )*
                out
            }

            /// The element with `id`, whatever its section (a linear scan).
            pub fn element(&self, id: &str) -> Option<SiteElement> {
                $( if let Some(e) = self.$bsection.iter().find(|e| e.id == id) {
                    return Some(SiteElement::$BKind(e.clone()));
                } )*
                $( if let Some(e) = self.$asection.iter().find(|e| e.id == id) {
                    return Some(SiteElement::$AKind(e.clone()));
                } )*
                None
            }

            /// Number of elements of `kind`.
            pub fn count(&self, kind: crate::kinds::EquipmentKind) -> usize {
                match kind {
                    $( crate::kinds::EquipmentKind::$BKind => self.$bsection.len(), )*
                    $( crate::kinds::EquipmentKind::$AKind => self.$asection.len(), )*
                }
            }

            /// Number of elements in all sections.
            pub fn len(&self) -> usize {
                0 $( + self.$bsection.len() )* $( + self.$asection.len() )*
            }

            /// True when the site has no elements.
            pub fn is_empty(&self) -> bool {
                self.len() == 0
            }

            /// True when the site has cooling (any zone, water loop or cooling unit).
            pub fn has_cooling(&self) -> bool {
                crate::kinds::EquipmentKind::ALL.iter().any(|k| k.is_cooling() && self.count(*k) > 0)
            }

            /// Sorts every section by id in natural order.
            pub(crate) fn sort_sections(&mut self) {
                $( self.$bsection.sort_by(|a, b| save::natural_cmp(&a.id, &b.id)); )*
                $( self.$asection.sort_by(|a, b| save::natural_cmp(&a.id, &b.id)); )*
            }

            /// Writes every section, and `ambient` in its place, one element per line.
            pub(crate) fn write_sections(&self, out: &mut String) {
                save::write_section(out, "rooms", &self.rooms);
                $( save::write_section(out, stringify!($bsection), &self.$bsection); )*
                if let Some(ambient) = &self.ambient {
                    out.push_str(&format!("    ambient: {},\n", save::inline(ambient)));
                }
                $( save::write_section(out, stringify!($asection), &self.$asection); )*
                if let Some(economics) = &self.economics {
                    out.push_str(&format!("    economics: {},\n", save::inline(economics)));
                }
            }
        }

        /// One element of a site file, whatever its section.
        #[derive(Debug, Clone, PartialEq)]
        #[allow(missing_docs)]
        pub enum SiteElement {
            $( $BKind($BSpec), )*
            $( $AKind($ASpec), )*
        }

        $( impl From<$BSpec> for SiteElement {
            fn from(e: $BSpec) -> SiteElement {
                SiteElement::$BKind(e)
            }
        } )*
        $( impl From<$ASpec> for SiteElement {
            fn from(e: $ASpec) -> SiteElement {
                SiteElement::$AKind(e)
            }
        } )*

        impl SiteElement {
            /// The element as its kind's spec, for what every kind has.
            pub fn spec(&self) -> &dyn spec::SiteSpec {
                match self {
                    $( SiteElement::$BKind(e) => e, )*
                    $( SiteElement::$AKind(e) => e, )*
                }
            }

            /// The element as JSON (its file fields, for comparing versions field by field).
            pub fn to_json(&self) -> serde_json::Value {
                match self {
                    $( SiteElement::$BKind(e) => serde_json::to_value(e), )*
                    $( SiteElement::$AKind(e) => serde_json::to_value(e), )*
                }
                .unwrap_or_default()
            }

            /// The element as its kind's spec, for changing.
            pub fn spec_mut(&mut self) -> &mut dyn spec::SiteSpec {
                match self {
                    $( SiteElement::$BKind(e) => e, )*
                    $( SiteElement::$AKind(e) => e, )*
                }
            }

            /// Every element of `site`, in file order.
            pub fn all_of(site: &SiteFile) -> Vec<SiteElement> {
                let mut v = Vec::with_capacity(site.len());
                $( v.extend(site.$bsection.iter().cloned().map(SiteElement::$BKind)); )*
                $( v.extend(site.$asection.iter().cloned().map(SiteElement::$AKind)); )*
                v
            }

            /// Adds this element to its section of `site` (call `canonical()` afterwards for file
            /// order).
            pub fn insert_into(self, site: &mut SiteFile) {
                match self {
                    $( SiteElement::$BKind(e) => site.$bsection.push(e), )*
                    $( SiteElement::$AKind(e) => site.$asection.push(e), )*
                }
            }

            /// An element of `kind` from its fields as JSON (for tools that build elements of any
            /// kind); `None` when the fields do not make one.
            pub fn from_json(kind: crate::kinds::EquipmentKind, value: serde_json::Value) -> Option<SiteElement> {
                match kind {
                    $( crate::kinds::EquipmentKind::$BKind => serde_json::from_value::<$BSpec>(value).ok().map(SiteElement::$BKind), )*
                    $( crate::kinds::EquipmentKind::$AKind => serde_json::from_value::<$ASpec>(value).ok().map(SiteElement::$AKind), )*
                }
            }

            /// Puts this element into its section of a canonical `site` at its place in id
            /// order, so the site stays canonical.
            pub fn insert_sorted(self, site: &mut SiteFile) {
                fn put<T: spec::SiteSpec>(v: &mut Vec<T>, e: T) {
                    let at = v.partition_point(|x| save::natural_cmp(x.id(), e.id()).is_lt());
                    v.insert(at, e);
                }
                match self {
                    $( SiteElement::$BKind(e) => put(&mut site.$bsection, e), )*
                    $( SiteElement::$AKind(e) => put(&mut site.$asection, e), )*
                }
            }

            /// Takes the element of `kind` with `id` out of `site`, keeping the order of the
            /// others.
            pub fn take_from(site: &mut SiteFile, kind: crate::kinds::EquipmentKind, id: &str) -> Option<SiteElement> {
                match kind {
                    $( crate::kinds::EquipmentKind::$BKind => {
                        let at = site.$bsection.iter().position(|e| e.id == id)?;
                        Some(SiteElement::$BKind(site.$bsection.remove(at)))
                    } )*
                    $( crate::kinds::EquipmentKind::$AKind => {
                        let at = site.$asection.iter().position(|e| e.id == id)?;
                        Some(SiteElement::$AKind(site.$asection.remove(at)))
                    } )*
                }
            }

            /// Removes the element of `kind` with `id` from `site`; true when it was there.
            pub fn remove_from(site: &mut SiteFile, kind: crate::kinds::EquipmentKind, id: &str) -> bool {
                fn take<T: spec::SiteSpec>(v: &mut Vec<T>, id: &str) -> bool {
                    let n = v.len();
                    v.retain(|e| e.id() != id);
                    v.len() != n
                }
                match kind {
                    $( crate::kinds::EquipmentKind::$BKind => take(&mut site.$bsection, id), )*
                    $( crate::kinds::EquipmentKind::$AKind => take(&mut site.$asection, id), )*
                }
            }
        }
    };
}
crate::kinds::equipment_kinds!(define_site_file);

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
    /// Common-mode groups it belongs to (one substation, one room, one supplier's batch): a
    /// contingency sweep also fails each group as one case.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub common_mode: Vec<String>,
}

/// A standby generator set: a source of its own while it runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeneratorSpec {
    /// Unique id.
    pub id: String,
    /// Catalog model.
    pub model: String,
    /// Per-instance changes to the catalog rating.
    #[serde(default, skip_serializing_if = "GeneratorOverrides::is_empty")]
    pub overrides: GeneratorOverrides,
    /// Floor position, m.
    pub position_m: (f64, f64),
    /// Rotation about the vertical axis, degrees.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rotation_deg: f64,
    /// False: it cannot start (failure or maintenance).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub in_service: bool,
    /// Common-mode groups it belongs to (one substation, one room, one supplier's batch): a
    /// contingency sweep also fails each group as one case.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub common_mode: Vec<String>,
}

/// An automatic transfer switch: its load on the preferred source, on the alternate (a generator,
/// or a second utility) when the preferred is lost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferSwitchSpec {
    /// Unique id.
    pub id: String,
    /// Catalog model.
    pub model: String,
    /// Id of the normal source (the utility side).
    pub preferred: String,
    /// Id of the emergency source (a generator, or a second utility).
    pub alternate: String,
    /// The room it stands in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// Per-instance changes to the catalog rating.
    #[serde(default, skip_serializing_if = "TransferSwitchOverrides::is_empty")]
    pub overrides: TransferSwitchOverrides,
    /// Floor position, m.
    pub position_m: (f64, f64),
    /// Rotation about the vertical axis, degrees.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rotation_deg: f64,
    /// False takes the element out of the network.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub in_service: bool,
    /// Common-mode groups it belongs to (one substation, one room, one supplier's batch): a
    /// contingency sweep also fails each group as one case.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub common_mode: Vec<String>,
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
    /// Common-mode groups it belongs to (one substation, one room, one supplier's batch): a
    /// contingency sweep also fails each group as one case.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub common_mode: Vec<String>,
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
    /// Common-mode groups it belongs to (one substation, one room, one supplier's batch): a
    /// contingency sweep also fails each group as one case.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub common_mode: Vec<String>,
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
    /// Common-mode groups it belongs to (one substation, one room, one supplier's batch): a
    /// contingency sweep also fails each group as one case.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub common_mode: Vec<String>,
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
    /// Common-mode groups it belongs to (one substation, one room, one supplier's batch): a
    /// contingency sweep also fails each group as one case.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub common_mode: Vec<String>,
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

/// Implements each kind's [`spec::SiteSpec`] from the `file` part of its row in the table.
macro_rules! define_site_specs {
    ( $( $group:ident: [ $( $Kind:ident { section: $section:ident, key: $key:literal, label: $label:literal,
        noun: $noun:literal, prefix: $prefix:literal, spec: $Spec:ident, file: { $($file:tt)* }, $($rest:tt)* } ),* $(,)? ] ),* $(,)? ) => {
        $( $( spec::site_spec!($Spec: $Kind { $($file)* }); )* )*
    };
}
crate::kinds::equipment_kinds!(define_site_specs);

/// Once the site has cooling, a rack must say where each side of its heat goes.
pub(crate) fn rack_problems(
    r: &RackSpec,
    catalog: &crate::catalog::Catalog,
    facts: spec::SiteFacts,
) -> Vec<(String, String)> {
    use spec::Modelled;
    let Some(rating) = r.resolved(catalog) else { return vec![] };
    let liquid = rating.liquid_fraction;
    let mut out = Vec::new();
    if facts.has_cooling && r.zone.is_none() && liquid < 1.0 {
        out.push((String::new(), format!("rack \"{}\" has air-side heat but no `zone`", r.id)));
    }
    if facts.has_cooling && r.cdu.is_none() && liquid > 0.0 {
        out.push((
            String::new(),
            format!("rack \"{}\" is {:.0} % liquid-cooled but has no `cdu`", r.id, liquid * 100.0),
        ));
    }
    out
}
