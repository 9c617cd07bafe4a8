//! What every element of a site file has, whatever its kind: the interface validation, the
//! editor and the world conversion use, so none of them lists the kinds by hand.
//!
//! [`SiteSpec`] is object-safe (tools hold `&dyn SiteSpec`); [`SpecKind`] adds what is known per
//! type (its kind and connection fields); [`Modelled`] is implemented, by the catalog's
//! generator, for every kind with a catalog model, and gives [`RatedSpec`] (the rating
//! operations) through a blanket implementation.

use std::collections::BTreeMap;

use serde_json::Value;

use super::FeederSpec;
use crate::catalog::Catalog;
use crate::catalog::rated::{CatalogModel, NumericField, Overrides, Rating, RatingRules};
use crate::constraint::Constraint;
use crate::kinds::EquipmentKind;

/// What a connection field points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// An element that supplies power to this one: one of the kind's
    /// [`EquipmentKind::parents`].
    Feed,
    /// An element of this kind (a zone, a water loop, a CDU).
    Kind(EquipmentKind),
}

/// One connection field of a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkField {
    /// Field name in the file.
    pub name: &'static str,
    /// What it points at.
    pub target: Target,
    /// How many ids it holds.
    pub arity: Arity,
}

/// How many ids a connection field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arity {
    /// Exactly one (`String`).
    One,
    /// None or one (`Option<String>`).
    Maybe,
    /// Any number (`Vec<String>`), in order of preference.
    Many,
}

impl LinkField {
    /// True when the field may be left empty.
    pub fn optional(&self) -> bool {
        self.arity != Arity::One
    }
}

/// A connection field, borrowed for writing.
pub enum LinkSlot<'a> {
    /// A required id.
    One(&'a mut String),
    /// An optional id.
    Maybe(&'a mut Option<String>),
    /// A list of ids.
    Many(&'a mut Vec<String>),
}

/// Facts about the whole site that some element checks need.
#[derive(Debug, Clone, Copy, Default)]
pub struct SiteFacts {
    /// The site has cooling (any zone, loop or cooling unit): racks must say where heat goes.
    pub has_cooling: bool,
}

/// What every element of a site file has.
pub trait SiteSpec: std::fmt::Debug {
    /// Its kind.
    fn kind(&self) -> EquipmentKind;
    /// Unique id.
    fn id(&self) -> &str;
    /// The id, for renaming.
    fn id_mut(&mut self) -> &mut String;
    /// Floor position, m.
    fn position_m(&self) -> (f64, f64);
    /// The floor position, for moving.
    fn position_mut(&mut self) -> &mut (f64, f64);
    /// Rotation about the vertical axis, degrees (0 for kinds that are not rotated).
    fn rotation_deg(&self) -> f64 {
        0.0
    }
    /// False when out of service (failed or under maintenance).
    fn in_service(&self) -> bool {
        true
    }
    /// The common-mode groups it belongs to (elements one event takes out together).
    fn common_mode(&self) -> &[String] {
        &[]
    }
    /// Takes the element in or out of service; refused by kinds that are always in service.
    fn set_in_service(&mut self, on: bool) -> Result<(), String> {
        let _ = on;
        Err(format!("{}s are always in service", self.kind().noun()))
    }
    /// Its connection fields.
    fn link_fields(&self) -> &'static [LinkField];
    /// The connection field `name`, for writing.
    fn link_slot(&mut self, name: &str) -> Option<LinkSlot<'_>>;
    /// `(field, id)` for every connection that is set, in field order (a list field repeats its
    /// name once per id).
    fn links(&self) -> Vec<(&'static str, &str)>;
    /// Calls `f` with each set connection and its field, in field order (what [`Self::links`]
    /// lists, without allocating: validation walks every element's connections).
    fn visit_links(&self, f: &mut dyn FnMut(&'static LinkField, &str));
    /// The cable from its upstream, if any.
    fn feeder(&self) -> Option<&FeederSpec> {
        None
    }
    /// Numbers of its own (not its catalog rating), with their constraints: `(field, value,
    /// constraint)`.
    fn own_numbers(&self) -> Vec<(&'static str, f64, Constraint)> {
        vec![]
    }
    /// Problems only this kind can have, as `(field path below the element, message)`; called
    /// when its numbers are in range.
    fn own_problems(&self, catalog: &Catalog, facts: SiteFacts) -> Vec<(String, String)> {
        let _ = (catalog, facts);
        vec![]
    }
    /// Its catalog rating, for kinds that have one.
    fn rated(&self) -> Option<&dyn RatedSpec> {
        None
    }
    /// Its catalog rating, for changing overrides.
    fn rated_mut(&mut self) -> Option<&mut dyn RatedSpec> {
        None
    }
}

/// What is known of a spec type without a value.
pub trait SpecKind: SiteSpec + Clone + PartialEq + Sized {
    /// Its kind.
    const KIND: EquipmentKind;
    /// Its connection fields.
    const LINKS: &'static [LinkField];
}

/// The resolved rating type of a modelled spec.
pub type RatingOf<S> = <<S as Modelled>::Model as CatalogModel>::Rating;
/// The overrides type of a modelled spec.
pub type OverridesOf<S> = <RatingOf<S> as Rating>::Overrides;

/// A kind with a catalog model (implemented by the catalog's generator from the table).
pub trait Modelled: SpecKind {
    /// Its catalog model type.
    type Model: CatalogModel;
    /// The catalog's section of this kind.
    fn models(catalog: &Catalog) -> &BTreeMap<String, Self::Model>;
    /// Catalog model name.
    fn model(&self) -> &str;
    /// Per-instance overrides.
    fn overrides(&self) -> &OverridesOf<Self>;
    /// Per-instance overrides, for changing.
    fn overrides_mut(&mut self) -> &mut OverridesOf<Self>;
    /// The catalog rating with this element's overrides; `None` when the model is missing.
    fn resolved(&self, catalog: &Catalog) -> Option<RatingOf<Self>> {
        Self::models(catalog).get(self.model()).map(|m| self.overrides().apply(&m.rating()))
    }
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
    pub constraint: Option<Constraint>,
}

/// The rating operations of a modelled element, object-safe (blanket-implemented for every
/// [`Modelled`] spec).
pub trait RatedSpec {
    /// Catalog model name.
    fn model(&self) -> &str;
    /// True when the catalog has its model.
    fn model_known(&self, catalog: &Catalog) -> bool;
    /// Every number in the overridden fields, with its constraint.
    fn override_numbers(&self) -> Vec<NumericField>;
    /// True when nothing is overridden.
    fn overrides_empty(&self) -> bool;
    /// Cross-field problems of the resolved rating; empty when the model is missing, nothing is
    /// overridden (the catalog is checked on load) or a number is out of range.
    fn override_inconsistencies(&self, catalog: &Catalog) -> Vec<(&'static str, String)>;
    /// Nominal `(input, output)` kV of the resolved rating (`None` for kinds off the network or a
    /// missing model; output `None` for loads).
    fn nominal_kv(&self, catalog: &Catalog) -> Option<(f64, Option<f64>)>;
    /// Every number of the resolved rating; empty when the model is missing.
    fn rating_numbers(&self, catalog: &Catalog) -> Vec<NumericField>;
    /// `(min, max)` over the catalog's models of this kind of each number, by `(field, index)`.
    fn catalog_span(&self, catalog: &Catalog) -> BTreeMap<(&'static str, Option<usize>), (f64, f64)>;
    /// The resolved rating as field → value, for the inspector.
    fn rating_fields(&self, catalog: &Catalog) -> Vec<RatingField>;
    /// Overrides number `index` of `field` with `value` whatever the value (for tools that probe
    /// validation); false when there is no such number or its type cannot hold `value`.
    fn set_rating_number(&mut self, catalog: &Catalog, field: &str, index: usize, value: f64) -> bool;
    /// Sets rating field `name` to `value` (as an override; the catalog value removes the
    /// override). Refuses unknown fields, non-numbers and values out of range.
    fn set_rating(&mut self, catalog: &Catalog, name: &str, value: f64) -> Result<(), String>;
}

impl<S: Modelled> RatedSpec for S {
    fn model(&self) -> &str {
        Modelled::model(self)
    }

    fn model_known(&self, catalog: &Catalog) -> bool {
        S::models(catalog).contains_key(Modelled::model(self))
    }

    fn override_numbers(&self) -> Vec<NumericField> {
        self.overrides().numeric_fields()
    }

    fn overrides_empty(&self) -> bool {
        self.overrides().is_empty()
    }

    fn override_inconsistencies(&self, catalog: &Catalog) -> Vec<(&'static str, String)> {
        if self.overrides().is_empty() {
            return vec![];
        }
        self.resolved(catalog).filter(|r| r.numbers_valid()).map(|r| r.inconsistencies()).unwrap_or_default()
    }

    fn nominal_kv(&self, catalog: &Catalog) -> Option<(f64, Option<f64>)> {
        self.resolved(catalog)?.nominal_kv()
    }

    fn rating_numbers(&self, catalog: &Catalog) -> Vec<NumericField> {
        self.resolved(catalog).map(|r| r.numeric_fields()).unwrap_or_default()
    }

    fn catalog_span(&self, catalog: &Catalog) -> BTreeMap<(&'static str, Option<usize>), (f64, f64)> {
        let mut span = BTreeMap::new();
        for m in S::models(catalog).values() {
            for n in m.rating().numeric_fields() {
                let e = span.entry((n.name, n.index)).or_insert((n.value, n.value));
                *e = (e.0.min(n.value), e.1.max(n.value));
            }
        }
        span
    }

    fn rating_fields(&self, catalog: &Catalog) -> Vec<RatingField> {
        let Some(base) = S::models(catalog).get(Modelled::model(self)).map(|m| m.rating()) else { return vec![] };
        let resolved = self.overrides().apply(&base);
        let (Ok(Value::Object(fields)), Ok(overrides)) =
            (serde_json::to_value(&resolved), serde_json::to_value(self.overrides()))
        else {
            return vec![];
        };
        fields
            .into_iter()
            .map(|(name, v)| RatingField {
                overridden: overrides.get(&name).is_some_and(|o| !o.is_null()),
                value: v.as_f64().filter(|_| v.is_number()),
                text: match &v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                },
                constraint: RatingOf::<S>::constraint_of(&name),
                name,
            })
            .collect()
    }

    fn set_rating_number(&mut self, catalog: &Catalog, field: &str, index: usize, value: f64) -> bool {
        let Some(base) = S::models(catalog).get(Modelled::model(self)).map(|m| m.rating()) else { return false };
        match self.overrides().with_number(&base, field, index, value) {
            Some(o) => {
                *self.overrides_mut() = o;
                true
            }
            None => false,
        }
    }

    fn set_rating(&mut self, catalog: &Catalog, name: &str, value: f64) -> Result<(), String> {
        let id = self.id().to_string();
        let base = S::models(catalog)
            .get(Modelled::model(self))
            .map(|m| m.rating())
            .ok_or_else(|| format!("{id}: model `{}` is not in the catalog", Modelled::model(self)))?;
        let mut v = serde_json::to_value(self.overrides().apply(&base)).map_err(|x| x.to_string())?;
        let slot = v.get_mut(name).ok_or_else(|| format!("{id} has no rating `{name}`"))?;
        if !slot.is_number() {
            return Err(format!("`{name}` is not a number and cannot be edited here"));
        }
        if let Some(msg) = RatingOf::<S>::constraint_of(name).and_then(|c| c.problem(name, value)) {
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
        let rating: RatingOf<S> = serde_json::from_value(v).map_err(|x| format!("`{name}`: {x}"))?;
        *self.overrides_mut() = OverridesOf::<S>::diff(&base, &rating);
        Ok(())
    }
}

/// Implements [`SiteSpec`] and [`SpecKind`] for a spec struct from a short description of its
/// fields: its connection fields (`name: One|Maybe|Many Feed|Kind`), whether it has a `feeder`,
/// a catalog model (`rated`), `rotation_deg` and `in_service`, and its own numbers. Kinds with
/// checks of their own implement them in `own_problems` beside the struct
/// (`problems: path::to::fn`).
macro_rules! site_spec {
    (
        $Spec:ident: $Kind:ident {
            links: [ $( $field:ident: $arity:ident $target:ident $(($tkind:ident))? ),* $(,)? ],
            $( feeder: $feeder:ident, )?
            $( rated: $rated:ident, )?
            $( rotated: $rotated:ident, )?
            $( switchable: $switchable:ident, )?
            $( numbers: [ $( $nfield:ident => $constraint:expr ),* $(,)? ], )?
            $( problems: $problems:path, )?
        }
    ) => {
        impl $crate::site::spec::SpecKind for $Spec {
            const KIND: $crate::kinds::EquipmentKind = $crate::kinds::EquipmentKind::$Kind;
            const LINKS: &'static [$crate::site::spec::LinkField] = &[ $( $crate::site::spec::LinkField {
                name: stringify!($field),
                target: $crate::site::spec::site_spec!(@target $target $(($tkind))?),
                arity: $crate::site::spec::Arity::$arity,
            }, )* ];
        }

        impl $crate::site::spec::SiteSpec for $Spec {
            fn kind(&self) -> $crate::kinds::EquipmentKind {
                $crate::kinds::EquipmentKind::$Kind
            }
            fn id(&self) -> &str {
                &self.id
            }
            fn id_mut(&mut self) -> &mut String {
                &mut self.id
            }
            fn position_m(&self) -> (f64, f64) {
                self.position_m
            }
            fn position_mut(&mut self) -> &mut (f64, f64) {
                &mut self.position_m
            }
            $( fn $rotated(&self) -> f64 {
                self.rotation_deg
            } )?
            $(
                fn $switchable(&self) -> bool {
                    self.in_service
                }
                fn set_in_service(&mut self, on: bool) -> Result<(), String> {
                    self.in_service = on;
                    Ok(())
                }
                fn common_mode(&self) -> &[String] {
                    &self.common_mode
                }
            )?
            fn link_fields(&self) -> &'static [$crate::site::spec::LinkField] {
                <Self as $crate::site::spec::SpecKind>::LINKS
            }
            #[allow(unused_variables)]
            fn link_slot(&mut self, name: &str) -> Option<$crate::site::spec::LinkSlot<'_>> {
                $( if name == stringify!($field) {
                    return Some($crate::site::spec::LinkSlot::$arity(&mut self.$field));
                } )*
                None
            }
            #[allow(unused_mut, clippy::vec_init_then_push)]
            fn links(&self) -> Vec<(&'static str, &str)> {
                let mut out = Vec::new();
                $( $crate::site::spec::site_spec!(@push out, stringify!($field), $arity, self.$field); )*
                out
            }
            #[allow(unused_variables)]
            fn visit_links(&self, f: &mut dyn FnMut(&'static $crate::site::spec::LinkField, &str)) {
                $( {
                    let field = <Self as $crate::site::spec::SpecKind>::LINKS
                        .iter()
                        .find(|l| l.name == stringify!($field))
                        .expect("each field is in LINKS");
                    $crate::site::spec::site_spec!(@visit f, field, $arity, self.$field);
                } )*
            }
            $( fn $feeder(&self) -> Option<&$crate::site::FeederSpec> {
                self.feeder.as_ref()
            } )?
            $( fn own_numbers(&self) -> Vec<(&'static str, f64, $crate::constraint::Constraint)> {
                vec![ $( (stringify!($nfield), f64::from(self.$nfield), $constraint), )* ]
            } )?
            $( fn own_problems(
                &self,
                catalog: &$crate::catalog::Catalog,
                facts: $crate::site::spec::SiteFacts,
            ) -> Vec<(String, String)> {
                $problems(self, catalog, facts)
            } )?
            $(
                fn $rated(&self) -> Option<&dyn $crate::site::spec::RatedSpec> {
                    Some(self)
                }
                fn rated_mut(&mut self) -> Option<&mut dyn $crate::site::spec::RatedSpec> {
                    Some(self)
                }
            )?
        }
    };
    (@target Feed) => { $crate::site::spec::Target::Feed };
    (@target Kind($k:ident)) => { $crate::site::spec::Target::Kind($crate::kinds::EquipmentKind::$k) };
    (@visit $f:ident, $field:ident, One, $v:expr) => { $f($field, $v.as_str()) };
    (@visit $f:ident, $field:ident, Maybe, $v:expr) => { if let Some(x) = &$v { $f($field, x.as_str()) } };
    (@visit $f:ident, $field:ident, Many, $v:expr) => { for x in &$v { $f($field, x.as_str()) } };
    (@push $out:ident, $name:expr, One, $v:expr) => { $out.push(($name, $v.as_str())) };
    (@push $out:ident, $name:expr, Maybe, $v:expr) => { if let Some(x) = &$v { $out.push(($name, x.as_str())) } };
    (@push $out:ident, $name:expr, Many, $v:expr) => { for x in &$v { $out.push(($name, x.as_str())) } };
}
pub(crate) use site_spec;
