//! One element of any section, as a value: what editing tools add, remove and change.
//!
//! Every edit in the desktop app is "these elements before, those after"; [`SiteElement`] is the
//! unit of that exchange, so an edit, its undo and the file all speak the same language. The enum
//! is generated from the table of kinds (in [`super`]); its operations go through each kind's
//! [`SiteSpec`], so none of them lists the kinds.

pub use super::SiteElement;
use super::spec::LinkSlot;
pub use super::spec::RatingField;
use crate::catalog::Catalog;
pub use crate::kinds::EquipmentKind;

impl SiteElement {
    /// Which kind of equipment this is.
    pub fn kind(&self) -> EquipmentKind {
        self.spec().kind()
    }

    /// Unique id.
    pub fn id(&self) -> &str {
        self.spec().id()
    }

    /// Changes the id.
    pub fn set_id(&mut self, id: String) {
        *self.spec_mut().id_mut() = id;
    }

    /// Catalog model (zones and loops have none).
    pub fn model(&self) -> Option<&str> {
        self.spec().rated().map(|r| r.model())
    }

    /// Floor position, m.
    pub fn position_m(&self) -> (f64, f64) {
        self.spec().position_m()
    }

    /// Moves the element.
    pub fn set_position_m(&mut self, p: (f64, f64)) {
        *self.spec_mut().position_mut() = p;
    }

    /// Rotation, degrees (zones and loops are not rotated).
    pub fn rotation_deg(&self) -> f64 {
        self.spec().rotation_deg()
    }

    /// False when the element is out of service (a water loop: its pumps; zones are always in).
    pub fn in_service(&self) -> bool {
        self.spec().in_service()
    }

    /// Takes the element in or out of service; zones cannot be.
    pub fn set_in_service(&mut self, on: bool) -> Result<(), String> {
        self.spec_mut().set_in_service(on)
    }

    /// Connections by field name (`upstream`, `feed_a`, `zone`, `water_loop`...), a list field
    /// once per id.
    pub fn links(&self) -> Vec<(&'static str, String)> {
        self.spec().links().into_iter().map(|(f, id)| (f, id.to_string())).collect()
    }

    /// The connection fields this kind has, and whether each may be left empty.
    pub fn link_fields(kind: EquipmentKind) -> Vec<(&'static str, bool)> {
        kind.link_fields().iter().map(|l| (l.name, l.optional())).collect()
    }

    /// Sets connection `field` to `target` (`None` clears an optional one; a list field becomes
    /// that one id, or empty).
    pub fn set_link(&mut self, field: &str, target: Option<String>) -> Result<(), String> {
        let (kind, id) = (self.kind(), self.id().to_string());
        let slot = self
            .spec_mut()
            .link_slot(field)
            .ok_or_else(|| format!("{} {id} has no connection `{field}`", kind.label()))?;
        match (slot, target) {
            (LinkSlot::One(_), None) => return Err(format!("`{field}` of {} {id} cannot be empty", kind.label())),
            (LinkSlot::One(s), Some(t)) => *s = t,
            (LinkSlot::Maybe(s), t) => *s = t,
            (LinkSlot::Many(s), t) => *s = t.into_iter().collect(),
        }
        Ok(())
    }

    /// The resolved rating (catalog model with this element's overrides) as field → value.
    pub fn rating_fields(&self, catalog: &Catalog) -> Vec<RatingField> {
        self.spec().rated().map(|r| r.rating_fields(catalog)).unwrap_or_default()
    }

    /// Every number of the resolved rating (catalog model + overrides), with its constraint;
    /// empty for zones, loops and models missing from the catalog.
    pub fn rating_numbers(&self, catalog: &Catalog) -> Vec<crate::catalog::rated::NumericField> {
        self.spec().rated().map(|r| r.rating_numbers(catalog)).unwrap_or_default()
    }

    /// This element with number `index` of rating field `field` overridden to `value`, whatever
    /// the value (for tools that probe validation); `None` when there is no such number or its
    /// type cannot hold `value`.
    pub fn with_rating_number(&self, catalog: &Catalog, field: &str, index: usize, value: f64) -> Option<SiteElement> {
        let mut out = self.clone();
        out.spec_mut().rated_mut()?.set_rating_number(catalog, field, index, value).then_some(out)
    }

    /// This element with rating field `name` set to `value` (stored as an override; setting the
    /// catalog value removes the override). Refuses unknown fields and values of the wrong type.
    pub fn with_rating(&self, catalog: &Catalog, name: &str, value: f64) -> Result<SiteElement, String> {
        let mut out = self.clone();
        let id = self.id().to_string();
        out.spec_mut()
            .rated_mut()
            .ok_or_else(|| format!("{id} has no catalog rating"))?
            .set_rating(catalog, name, value)?;
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

    #[test]
    fn links_round_trip_through_set_link() {
        let catalog = Catalog::builtin();
        let site = crate::site::load::load_site("sites/small_2n_room.ron".as_ref(), &catalog).unwrap();
        for element in SiteElement::all_of(&site) {
            let mut copy = element.clone();
            for l in element.kind().link_fields() {
                let ids: Vec<String> =
                    element.links().into_iter().filter(|(f, _)| *f == l.name).map(|(_, id)| id).collect();
                if ids.len() <= 1 {
                    copy.set_link(l.name, ids.first().cloned()).unwrap();
                }
            }
            assert_eq!(copy, element);
            assert!(copy.set_link("nonsense", None).is_err());
        }
    }
}
