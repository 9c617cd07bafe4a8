//! Floor footprints: how much floor each piece of equipment takes, for the plan view and for
//! keeping placements from overlapping. Each kind's default is in the table of kinds
//! ([`crate::kinds`]); models that differ are listed in `assets/footprints.ron` (compiled in).

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::kinds::EquipmentKind;

/// One footprint, centred on the element's position.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Footprint {
    /// Extent along x before rotation, m.
    pub width_m: f64,
    /// Extent along y before rotation, m.
    pub depth_m: f64,
    /// Where the figure comes from.
    pub source: String,
}

/// Footprints by model, where a model differs from its kind's default.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FootprintTable {
    /// Per model, where it differs from its kind.
    pub models: BTreeMap<String, Footprint>,
}

/// The compiled-in table.
pub const BUILTIN_FOOTPRINTS_RON: &str = include_str!("../../assets/footprints.ron");

impl FootprintTable {
    /// The table shipped with dctwin.
    pub fn builtin() -> FootprintTable {
        crate::site::load::parse_ron(BUILTIN_FOOTPRINTS_RON, "assets/footprints.ron")
            .expect("the built-in footprint table is valid (checked by a test)")
    }

    /// Width and depth (m) of `model` of `kind` turned by `rotation_deg` (an axis-aligned
    /// bounding box for angles that are not multiples of 90°).
    pub fn extent_m(&self, kind: EquipmentKind, model: &str, rotation_deg: f64) -> (f64, f64) {
        let (w, d) = match self.models.get(model) {
            Some(f) => (f.width_m, f.depth_m),
            None => (kind.footprint().0, kind.footprint().1),
        };
        let a = rotation_deg.to_radians();
        let (s, c) = (a.sin().abs(), a.cos().abs());
        (w * c + d * s, w * s + d * c)
    }
}
