//! One element of any section, as a value: what editing tools add, remove and change.
//!
//! Every edit in the desktop app is "these elements before, those after"; [`SiteElement`] is the
//! unit of that exchange, so an edit, its undo and the file all speak the same language.

use serde_json::Value;

use super::cooling::{CduSpec, ChillerSpec, CrahSpec, HeatRejectionSpec, WaterLoopSpec, ZoneSpec};
use super::{DistributionSpec, ElementKind, GridFeedSpec, RackSpec, SiteFile, TransformerSpec, UpsSpec};
use crate::catalog::{
    Catalog, CduOverrides, ChillerOverrides, CrahOverrides, DistributionOverrides, GridFeedOverrides,
    HeatRejectionOverrides, RackOverrides, TransformerOverrides, UpsOverrides,
};

/// Every kind of thing a site file places on the floor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EquipmentKind {
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
    /// Cooling zone (a volume of air).
    Zone,
    /// Water loop.
    WaterLoop,
    /// CRAH.
    Crah,
    /// CDU.
    Cdu,
    /// Chiller.
    Chiller,
    /// Cooling tower or dry cooler.
    HeatRejection,
}

impl EquipmentKind {
    /// All kinds, in file order.
    pub const ALL: [EquipmentKind; 11] = [
        EquipmentKind::GridFeed,
        EquipmentKind::Transformer,
        EquipmentKind::Ups,
        EquipmentKind::Distribution,
        EquipmentKind::Rack,
        EquipmentKind::Zone,
        EquipmentKind::WaterLoop,
        EquipmentKind::Crah,
        EquipmentKind::Cdu,
        EquipmentKind::Chiller,
        EquipmentKind::HeatRejection,
    ];

    /// Singular key, as used in `assets/footprints.ron`.
    pub fn key(self) -> &'static str {
        match self {
            EquipmentKind::GridFeed => "grid_feed",
            EquipmentKind::Transformer => "transformer",
            EquipmentKind::Ups => "ups",
            EquipmentKind::Distribution => "distribution",
            EquipmentKind::Rack => "rack",
            EquipmentKind::Zone => "zone",
            EquipmentKind::WaterLoop => "water_loop",
            EquipmentKind::Crah => "crah",
            EquipmentKind::Cdu => "cdu",
            EquipmentKind::Chiller => "chiller",
            EquipmentKind::HeatRejection => "heat_rejection",
        }
    }

    /// Name for people.
    pub fn label(self) -> &'static str {
        match self {
            EquipmentKind::GridFeed => "Grid feed",
            EquipmentKind::Transformer => "Transformer",
            EquipmentKind::Ups => "UPS",
            EquipmentKind::Distribution => "Distribution",
            EquipmentKind::Rack => "Rack",
            EquipmentKind::Zone => "Zone",
            EquipmentKind::WaterLoop => "Water loop",
            EquipmentKind::Crah => "CRAH",
            EquipmentKind::Cdu => "CDU",
            EquipmentKind::Chiller => "Chiller",
            EquipmentKind::HeatRejection => "Heat rejection",
        }
    }

    /// The electrical kind, for elements that are nodes of the power network.
    pub fn electrical(self) -> Option<ElementKind> {
        Some(match self {
            EquipmentKind::GridFeed => ElementKind::GridFeed,
            EquipmentKind::Transformer => ElementKind::Transformer,
            EquipmentKind::Ups => ElementKind::Ups,
            EquipmentKind::Distribution => ElementKind::Distribution,
            EquipmentKind::Rack => ElementKind::Rack,
            _ => return None,
        })
    }

    /// True for markers that take no floor (zones, loops): they never block a placement.
    pub fn is_marker(self) -> bool {
        matches!(self, EquipmentKind::Zone | EquipmentKind::WaterLoop)
    }

    /// Catalog model names of this kind (empty for zones and loops, which have no model).
    pub fn models(self, catalog: &Catalog) -> Vec<String> {
        match self {
            EquipmentKind::GridFeed => catalog.grid_feeds.keys().cloned().collect(),
            EquipmentKind::Transformer => catalog.transformers.keys().cloned().collect(),
            EquipmentKind::Ups => catalog.ups.keys().cloned().collect(),
            EquipmentKind::Distribution => catalog.distribution.keys().cloned().collect(),
            EquipmentKind::Rack => catalog.racks.keys().cloned().collect(),
            EquipmentKind::Crah => catalog.crahs.keys().cloned().collect(),
            EquipmentKind::Cdu => catalog.cdus.keys().cloned().collect(),
            EquipmentKind::Chiller => catalog.chillers.keys().cloned().collect(),
            EquipmentKind::HeatRejection => catalog.heat_rejection.keys().cloned().collect(),
            EquipmentKind::Zone | EquipmentKind::WaterLoop => vec![],
        }
    }
}

/// One element of a site file, whatever its section.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)]
pub enum SiteElement {
    GridFeed(GridFeedSpec),
    Transformer(TransformerSpec),
    Ups(UpsSpec),
    Distribution(DistributionSpec),
    Rack(RackSpec),
    Zone(ZoneSpec),
    WaterLoop(WaterLoopSpec),
    Crah(CrahSpec),
    Cdu(CduSpec),
    Chiller(ChillerSpec),
    HeatRejection(HeatRejectionSpec),
}

/// Runs `$body` with `$e` bound to the spec inside any variant.
macro_rules! each {
    ($value:expr, $e:ident => $body:expr) => {
        match $value {
            SiteElement::GridFeed($e) => $body,
            SiteElement::Transformer($e) => $body,
            SiteElement::Ups($e) => $body,
            SiteElement::Distribution($e) => $body,
            SiteElement::Rack($e) => $body,
            SiteElement::Zone($e) => $body,
            SiteElement::WaterLoop($e) => $body,
            SiteElement::Crah($e) => $body,
            SiteElement::Cdu($e) => $body,
            SiteElement::Chiller($e) => $body,
            SiteElement::HeatRejection($e) => $body,
        }
    };
}

/// Runs `$body` for the variants that have a catalog model, with the catalog section and the
/// overrides type; `$other` for zones and loops.
macro_rules! rated {
    ($value:expr, $e:ident, $section:ident, $Ov:ident => $body:expr, _ => $other:expr) => {
        match $value {
            SiteElement::GridFeed($e) => {
                type $Ov = GridFeedOverrides;
                let $section = |c: &Catalog| c.grid_feeds.get(&$e.model).map(|m| m.rating());
                $body
            }
            SiteElement::Transformer($e) => {
                type $Ov = TransformerOverrides;
                let $section = |c: &Catalog| c.transformers.get(&$e.model).map(|m| m.rating());
                $body
            }
            SiteElement::Ups($e) => {
                type $Ov = UpsOverrides;
                let $section = |c: &Catalog| c.ups.get(&$e.model).map(|m| m.rating());
                $body
            }
            SiteElement::Distribution($e) => {
                type $Ov = DistributionOverrides;
                let $section = |c: &Catalog| c.distribution.get(&$e.model).map(|m| m.rating());
                $body
            }
            SiteElement::Rack($e) => {
                type $Ov = RackOverrides;
                let $section = |c: &Catalog| c.racks.get(&$e.model).map(|m| m.rating());
                $body
            }
            SiteElement::Crah($e) => {
                type $Ov = CrahOverrides;
                let $section = |c: &Catalog| c.crahs.get(&$e.model).map(|m| m.rating());
                $body
            }
            SiteElement::Cdu($e) => {
                type $Ov = CduOverrides;
                let $section = |c: &Catalog| c.cdus.get(&$e.model).map(|m| m.rating());
                $body
            }
            SiteElement::Chiller($e) => {
                type $Ov = ChillerOverrides;
                let $section = |c: &Catalog| c.chillers.get(&$e.model).map(|m| m.rating());
                $body
            }
            SiteElement::HeatRejection($e) => {
                type $Ov = HeatRejectionOverrides;
                let $section = |c: &Catalog| c.heat_rejection.get(&$e.model).map(|m| m.rating());
                $body
            }
            SiteElement::Zone(_) | SiteElement::WaterLoop(_) => $other,
        }
    };
}

/// One rating field as the inspector shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct RatingField {
    /// Field name, as in the catalog and the file's `overrides`.
    pub name: String,
    /// The number, for numeric fields (others are shown, not edited).
    pub value: Option<f64>,
    /// The value as text (for non-numeric fields: enums, curves).
    pub text: String,
    /// True when the element overrides the catalog here.
    pub overridden: bool,
    /// What the field accepts (the same constraint file validation applies).
    pub constraint: Option<crate::constraint::Constraint>,
}

impl SiteElement {
    /// Which kind of equipment this is.
    pub fn kind(&self) -> EquipmentKind {
        match self {
            SiteElement::GridFeed(_) => EquipmentKind::GridFeed,
            SiteElement::Transformer(_) => EquipmentKind::Transformer,
            SiteElement::Ups(_) => EquipmentKind::Ups,
            SiteElement::Distribution(_) => EquipmentKind::Distribution,
            SiteElement::Rack(_) => EquipmentKind::Rack,
            SiteElement::Zone(_) => EquipmentKind::Zone,
            SiteElement::WaterLoop(_) => EquipmentKind::WaterLoop,
            SiteElement::Crah(_) => EquipmentKind::Crah,
            SiteElement::Cdu(_) => EquipmentKind::Cdu,
            SiteElement::Chiller(_) => EquipmentKind::Chiller,
            SiteElement::HeatRejection(_) => EquipmentKind::HeatRejection,
        }
    }

    /// Unique id.
    pub fn id(&self) -> &str {
        each!(self, e => &e.id)
    }

    /// Changes the id.
    pub fn set_id(&mut self, id: String) {
        each!(self, e => e.id = id)
    }

    /// Catalog model (zones and loops have none).
    pub fn model(&self) -> Option<&str> {
        rated!(self, e, _r, _O => Some(e.model.as_str()), _ => None)
    }

    /// Floor position, m.
    pub fn position_m(&self) -> (f64, f64) {
        each!(self, e => e.position_m)
    }

    /// Moves the element.
    pub fn set_position_m(&mut self, p: (f64, f64)) {
        each!(self, e => e.position_m = p)
    }

    /// Rotation, degrees (zones and loops are not rotated).
    pub fn rotation_deg(&self) -> f64 {
        rated!(self, e, _r, _O => e.rotation_deg, _ => 0.0)
    }

    /// False when the element is out of service (a water loop: its pumps; zones are always in).
    pub fn in_service(&self) -> bool {
        match self {
            SiteElement::WaterLoop(e) => e.in_service,
            other => rated!(other, e, _r, _O => e.in_service, _ => true),
        }
    }

    /// Takes the element in or out of service; zones cannot be.
    pub fn set_in_service(&mut self, on: bool) -> Result<(), String> {
        match self {
            SiteElement::WaterLoop(e) => {
                e.in_service = on;
                Ok(())
            }
            other => {
                rated!(other, e, _r, _O => { e.in_service = on; Ok(()) }, _ => Err("zones are always in service".into()))
            }
        }
    }

    /// Connections by field name: `upstream`, `feed_a`, `feed_b`, `zone`, `cdu`, `water_loop`.
    pub fn links(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        match self {
            SiteElement::GridFeed(_) | SiteElement::Zone(_) => {}
            SiteElement::Transformer(e) => {
                out.push(("upstream", e.upstream.clone()));
                out.extend(e.zone.clone().map(|z| ("zone", z)));
            }
            SiteElement::Ups(e) => {
                out.push(("upstream", e.upstream.clone()));
                out.extend(e.zone.clone().map(|z| ("zone", z)));
            }
            SiteElement::Distribution(e) => {
                out.push(("upstream", e.upstream.clone()));
                out.extend(e.zone.clone().map(|z| ("zone", z)));
            }
            SiteElement::Rack(e) => {
                out.push(("feed_a", e.feed_a.clone()));
                out.extend(e.feed_b.clone().map(|b| ("feed_b", b)));
                out.extend(e.zone.clone().map(|z| ("zone", z)));
                out.extend(e.cdu.clone().map(|c| ("cdu", c)));
            }
            SiteElement::WaterLoop(e) => {
                out.push(("upstream", e.upstream.clone()));
                out.extend(e.standby_pumps.iter().map(|s| ("standby_pumps", s.clone())));
            }
            SiteElement::Crah(e) => {
                out.push(("upstream", e.upstream.clone()));
                out.push(("zone", e.zone.clone()));
                out.push(("water_loop", e.water_loop.clone()));
            }
            SiteElement::Cdu(e) => {
                out.push(("upstream", e.upstream.clone()));
                out.push(("water_loop", e.water_loop.clone()));
            }
            SiteElement::Chiller(e) => {
                out.push(("upstream", e.upstream.clone()));
                out.push(("water_loop", e.water_loop.clone()));
            }
            SiteElement::HeatRejection(e) => {
                out.push(("upstream", e.upstream.clone()));
                out.push(("water_loop", e.water_loop.clone()));
            }
        }
        out
    }

    /// The connection fields this kind has, and whether each may be left empty.
    pub fn link_fields(kind: EquipmentKind) -> &'static [(&'static str, bool)] {
        match kind {
            EquipmentKind::GridFeed | EquipmentKind::Zone => &[],
            EquipmentKind::Transformer | EquipmentKind::Ups | EquipmentKind::Distribution => {
                &[("upstream", false), ("zone", true)]
            }
            EquipmentKind::WaterLoop => &[("upstream", false)],
            EquipmentKind::Rack => &[("feed_a", false), ("feed_b", true), ("zone", true), ("cdu", true)],
            EquipmentKind::Crah => &[("upstream", false), ("zone", false), ("water_loop", false)],
            EquipmentKind::Cdu | EquipmentKind::Chiller | EquipmentKind::HeatRejection => {
                &[("upstream", false), ("water_loop", false)]
            }
        }
    }

    /// Sets connection `field` to `target` (`None` clears an optional one).
    pub fn set_link(&mut self, field: &str, target: Option<String>) -> Result<(), String> {
        let (kind, id) = (self.kind(), self.id().to_string());
        let optional = Self::link_fields(kind)
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, optional)| *optional)
            .ok_or_else(|| format!("{} {id} has no connection `{field}`", kind.label()))?;
        if target.is_none() && !optional {
            return Err(format!("`{field}` of {} {id} cannot be empty", kind.label()));
        }
        let t = target.clone().unwrap_or_default();
        match (self, field) {
            (SiteElement::Transformer(e), "zone") => e.zone = target,
            (SiteElement::Transformer(e), _) => e.upstream = t,
            (SiteElement::Ups(e), "zone") => e.zone = target,
            (SiteElement::Ups(e), _) => e.upstream = t,
            (SiteElement::Distribution(e), "zone") => e.zone = target,
            (SiteElement::Distribution(e), _) => e.upstream = t,
            (SiteElement::WaterLoop(e), _) => e.upstream = t,
            (SiteElement::Rack(e), "feed_a") => e.feed_a = t,
            (SiteElement::Rack(e), "feed_b") => e.feed_b = target,
            (SiteElement::Rack(e), "zone") => e.zone = target,
            (SiteElement::Rack(e), _) => e.cdu = target,
            (SiteElement::Crah(e), "zone") => e.zone = t,
            (SiteElement::Crah(e), "upstream") => e.upstream = t,
            (SiteElement::Crah(e), _) => e.water_loop = t,
            (SiteElement::Cdu(e), "upstream") => e.upstream = t,
            (SiteElement::Cdu(e), _) => e.water_loop = t,
            (SiteElement::Chiller(e), "upstream") => e.upstream = t,
            (SiteElement::Chiller(e), _) => e.water_loop = t,
            (SiteElement::HeatRejection(e), "upstream") => e.upstream = t,
            (SiteElement::HeatRejection(e), _) => e.water_loop = t,
            (SiteElement::GridFeed(_) | SiteElement::Zone(_), _) => {
                return Err(format!("{} {id} has no connections", kind.label()));
            }
        }
        Ok(())
    }

    /// Every element of `site`, in file order.
    pub fn all_of(site: &SiteFile) -> Vec<SiteElement> {
        let mut v = Vec::new();
        v.extend(site.grid_feeds.iter().cloned().map(SiteElement::GridFeed));
        v.extend(site.transformers.iter().cloned().map(SiteElement::Transformer));
        v.extend(site.ups.iter().cloned().map(SiteElement::Ups));
        v.extend(site.distribution.iter().cloned().map(SiteElement::Distribution));
        v.extend(site.racks.iter().cloned().map(SiteElement::Rack));
        v.extend(site.zones.iter().cloned().map(SiteElement::Zone));
        v.extend(site.water_loops.iter().cloned().map(SiteElement::WaterLoop));
        v.extend(site.crahs.iter().cloned().map(SiteElement::Crah));
        v.extend(site.cdus.iter().cloned().map(SiteElement::Cdu));
        v.extend(site.chillers.iter().cloned().map(SiteElement::Chiller));
        v.extend(site.heat_rejection.iter().cloned().map(SiteElement::HeatRejection));
        v
    }

    /// Adds this element to its section of `site` (call `canonical()` afterwards for file order).
    pub fn insert_into(self, site: &mut SiteFile) {
        match self {
            SiteElement::GridFeed(e) => site.grid_feeds.push(e),
            SiteElement::Transformer(e) => site.transformers.push(e),
            SiteElement::Ups(e) => site.ups.push(e),
            SiteElement::Distribution(e) => site.distribution.push(e),
            SiteElement::Rack(e) => site.racks.push(e),
            SiteElement::Zone(e) => site.zones.push(e),
            SiteElement::WaterLoop(e) => site.water_loops.push(e),
            SiteElement::Crah(e) => site.crahs.push(e),
            SiteElement::Cdu(e) => site.cdus.push(e),
            SiteElement::Chiller(e) => site.chillers.push(e),
            SiteElement::HeatRejection(e) => site.heat_rejection.push(e),
        }
    }

    /// Removes the element of `kind` with `id` from `site`; true when it was there.
    pub fn remove_from(site: &mut SiteFile, kind: EquipmentKind, id: &str) -> bool {
        fn take<T>(v: &mut Vec<T>, id: &str, get: impl Fn(&T) -> &str) -> bool {
            let n = v.len();
            v.retain(|e| get(e) != id);
            v.len() != n
        }
        match kind {
            EquipmentKind::GridFeed => take(&mut site.grid_feeds, id, |e| &e.id),
            EquipmentKind::Transformer => take(&mut site.transformers, id, |e| &e.id),
            EquipmentKind::Ups => take(&mut site.ups, id, |e| &e.id),
            EquipmentKind::Distribution => take(&mut site.distribution, id, |e| &e.id),
            EquipmentKind::Rack => take(&mut site.racks, id, |e| &e.id),
            EquipmentKind::Zone => take(&mut site.zones, id, |e| &e.id),
            EquipmentKind::WaterLoop => take(&mut site.water_loops, id, |e| &e.id),
            EquipmentKind::Crah => take(&mut site.crahs, id, |e| &e.id),
            EquipmentKind::Cdu => take(&mut site.cdus, id, |e| &e.id),
            EquipmentKind::Chiller => take(&mut site.chillers, id, |e| &e.id),
            EquipmentKind::HeatRejection => take(&mut site.heat_rejection, id, |e| &e.id),
        }
    }

    /// The resolved rating (catalog model with this element's overrides) as field → value.
    pub fn rating_fields(&self, catalog: &Catalog) -> Vec<RatingField> {
        type Resolved = (Value, Value, Vec<(&'static str, crate::constraint::Constraint)>);
        let resolved: Option<Resolved> = rated!(self, e, base, _O => {
            base(catalog).and_then(|b| {
                let r = e.overrides.apply(&b);
                let constraints = b.numeric_fields().iter().map(|n| (n.name, n.constraint)).collect();
                Some((serde_json::to_value(r).ok()?, serde_json::to_value(&e.overrides).ok()?, constraints))
            })
        }, _ => None);
        let Some((Value::Object(fields), overrides, constraints)) = resolved else { return vec![] };
        fields
            .into_iter()
            .map(|(name, v)| RatingField {
                overridden: overrides.get(&name).is_some_and(|o| !o.is_null()),
                value: v.as_f64().filter(|_| v.is_number()),
                text: match &v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                },
                constraint: constraints.iter().find(|(f, _)| *f == name).map(|(_, c)| *c),
                name,
            })
            .collect()
    }

    /// Every number of the resolved rating (catalog model + overrides), with its constraint;
    /// empty for zones, loops and models missing from the catalog.
    pub fn rating_numbers(&self, catalog: &Catalog) -> Vec<crate::catalog::rated::NumericField> {
        rated!(self, e, base, _O => base(catalog).map(|b| e.overrides.apply(&b).numeric_fields()).unwrap_or_default(), _ => vec![])
    }

    /// This element with number `index` of rating field `field` overridden to `value`, whatever
    /// the value (for tools that probe validation); `None` when there is no such number or its
    /// type cannot hold `value`.
    pub fn with_rating_number(&self, catalog: &Catalog, field: &str, index: usize, value: f64) -> Option<SiteElement> {
        let mut out = self.clone();
        rated!(&mut out, e, base, _O => {
            let b = base(catalog)?;
            e.overrides = e.overrides.with_number(&b, field, index, value)?;
        }, _ => return None);
        Some(out)
    }

    /// This element with rating field `name` set to `value` (stored as an override; setting the
    /// catalog value removes the override). Refuses unknown fields and values of the wrong type.
    pub fn with_rating(&self, catalog: &Catalog, name: &str, value: f64) -> Result<SiteElement, String> {
        let mut out = self.clone();
        let id = self.id().to_string();
        rated!(&mut out, e, base, Ov => {
            let b = base(catalog).ok_or_else(|| format!("{id}: model `{}` is not in the catalog", e.model))?;
            let mut v = serde_json::to_value(e.overrides.apply(&b)).map_err(|x| x.to_string())?;
            let slot = v.get_mut(name).ok_or_else(|| format!("{id} has no rating `{name}`"))?;
            if !slot.is_number() {
                return Err(format!("`{name}` is not a number and cannot be edited here"));
            }
            if let Some(msg) = b.constraint(name).and_then(|c| c.problem(name, value)) {
                return Err(msg);
            }
            *slot = if slot.is_u64() || slot.is_i64() {
                if value.fract() != 0.0 || value < 0.0 {
                    return Err(format!("`{name}` must be a whole number (got {value})"));
                }
                Value::from(value as u64)
            } else {
                serde_json::Number::from_f64(value)
                    .map(Value::Number)
                    .ok_or_else(|| format!("`{name}` must be a finite number (got {value})"))?
            };
            let rating = serde_json::from_value(v).map_err(|x| format!("`{name}`: {x}"))?;
            e.overrides = Ov::diff(&b, &rating);
            Ok(())
        }, _ => Err(format!("{id} has no catalog rating")))?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rating_round_trip_keeps_only_real_overrides() {
        let catalog = Catalog::builtin();
        let site = crate::site::load::load_site("sites/small_2n_room.ron".as_ref(), &catalog).unwrap();
        let pdu = SiteElement::all_of(&site).into_iter().find(|e| e.kind() == EquipmentKind::Distribution).unwrap();
        let fields = pdu.rating_fields(&catalog);
        let breaker = fields.iter().find(|f| f.name == "breaker_a").unwrap().value.unwrap();
        let changed = pdu.with_rating(&catalog, "breaker_a", breaker * 2.0).unwrap();
        assert_eq!(changed.rating_fields(&catalog).iter().filter(|f| f.overridden).count(), 1);
        let back = changed.with_rating(&catalog, "breaker_a", breaker).unwrap();
        assert_eq!(back, pdu);
        assert!(pdu.with_rating(&catalog, "phases", 2.5).is_err());
        assert!(pdu.with_rating(&catalog, "kind", 1.0).is_err());
        assert!(pdu.with_rating(&catalog, "nonsense", 1.0).is_err());
    }
}
