//! The `rated!` macro: one declaration gives a rating, its catalog model (rating + source) and
//! its per-instance overrides, so the three can never drift apart, and each field declares the
//! [`Constraint`](crate::constraint::Constraint) on its values right where it is declared.

use crate::constraint::Constraint;

/// Declares `$Rating` (what the solver uses), `$Model` (a catalog entry: the rating plus a
/// `source` citation) and `$Overrides` (every field optional, as written in a site file).
/// Each field is written `name: Type => CONSTRAINT`.
///
/// `$Overrides::apply` resolves an instance's rating; `$Overrides::diff` recovers the overrides
/// from a rating, which is how the world is written back to a site file without keeping a copy.
macro_rules! rated {
    (
        $(#[$meta:meta])*
        $Rating:ident, $Model:ident, $Overrides:ident {
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty => $constraint:expr ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $Rating {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        #[doc = concat!("A catalog entry: a [`", stringify!($Rating), "`] and where its figures come from.")]
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $Model {
            $( $(#[$fmeta])* pub $field: $ty, )*
            /// Where the figures come from (a citation; "estimate" says so).
            pub source: String,
            /// What one unit costs and how long it takes to energise (absent: not priced).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub economics: Option<$crate::catalog::economics::Economics>,
        }

        #[doc = concat!("Per-instance overrides of a [`", stringify!($Rating), "`]: every field optional.")]
        #[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct $Overrides {
            $(
                $(#[$fmeta])*
                #[serde(skip_serializing_if = "Option::is_none")]
                pub $field: Option<$ty>,
            )*
        }

        impl $Model {
            /// The rating without the citation.
            pub fn rating(&self) -> $Rating {
                $Rating { $( $field: self.$field.clone(), )* }
            }
        }

        impl $Overrides {
            /// The catalog rating with these overrides applied.
            pub fn apply(&self, base: &$Rating) -> $Rating {
                $Rating { $( $field: self.$field.clone().unwrap_or_else(|| base.$field.clone()), )* }
            }

            /// The overrides that turn `base` into `actual` (fields that differ).
            pub fn diff(base: &$Rating, actual: &$Rating) -> Self {
                Self { $( $field: (base.$field != actual.$field).then(|| actual.$field.clone()), )* }
            }

            /// True when nothing is overridden.
            pub fn is_empty(&self) -> bool {
                true $( && self.$field.is_none() )*
            }

            /// True when `field` is overridden.
            pub fn has(&self, field: &str) -> bool {
                $( if field == stringify!($field) { return self.$field.is_some(); } )*
                false
            }

            /// Every number in the overridden fields, with its constraint, for validation.
            pub fn numeric_fields(&self) -> Vec<$crate::catalog::rated::NumericField> {
                let mut out = Vec::new();
                $( if let Some(v) = &self.$field {
                    $crate::catalog::rated::push_numbers(&mut out, stringify!($field), v, $constraint);
                } )*
                out
            }

            /// These overrides with number `index` of `field` set to `value` (the other numbers of
            /// an array field come from `base`); `None` when the field holds no such number or
            /// its type cannot hold `value` (a whole-number field given NaN). For tools and tests
            /// that probe every field.
            pub fn with_number(&self, base: &$Rating, field: &str, index: usize, value: f64) -> Option<Self> {
                let mut out = self.clone();
                $( if field == stringify!($field) {
                    let mut v = self.$field.clone().unwrap_or_else(|| base.$field.clone());
                    if !$crate::catalog::rated::Numeric::set_number(&mut v, index, value) {
                        return None;
                    }
                    out.$field = Some(v);
                    return Some(out);
                } )*
                None
            }
        }

        impl $crate::catalog::rated::CatalogModel for $Model {
            type Rating = $Rating;
            fn rating(&self) -> $Rating {
                $Model::rating(self)
            }
            fn economics(&self) -> Option<&$crate::catalog::economics::Economics> {
                self.economics.as_ref()
            }
        }

        impl $crate::catalog::rated::Rating for $Rating {
            type Overrides = $Overrides;
            fn numeric_fields(&self) -> Vec<$crate::catalog::rated::NumericField> {
                $Rating::numeric_fields(self)
            }
            fn constraint_of(field: &str) -> Option<$crate::constraint::Constraint> {
                $Rating::constraint_of(field)
            }
        }

        impl $crate::catalog::rated::Overrides<$Rating> for $Overrides {
            fn apply(&self, base: &$Rating) -> $Rating {
                $Overrides::apply(self, base)
            }
            fn diff(base: &$Rating, actual: &$Rating) -> Self {
                $Overrides::diff(base, actual)
            }
            fn is_empty(&self) -> bool {
                $Overrides::is_empty(self)
            }
            fn numeric_fields(&self) -> Vec<$crate::catalog::rated::NumericField> {
                $Overrides::numeric_fields(self)
            }
            fn with_number(&self, base: &$Rating, field: &str, index: usize, value: f64) -> Option<Self> {
                $Overrides::with_number(self, base, field, index, value)
            }
        }

        impl $Rating {
            /// `(field, constraint)` of every field, in declaration order.
            pub const FIELDS: &'static [(&'static str, $crate::constraint::Constraint)] =
                &[ $( (stringify!($field), $constraint), )* ];

            /// Every number in the rating, with its constraint, for validation.
            pub fn numeric_fields(&self) -> Vec<$crate::catalog::rated::NumericField> {
                let mut out = Vec::new();
                $( $crate::catalog::rated::push_numbers(&mut out, stringify!($field), &self.$field, $constraint); )*
                out
            }

            /// True when every number is within its constraint (cross-field checks only make
            /// sense then).
            pub fn numbers_valid(&self) -> bool {
                self.numeric_fields().iter().all(|n| n.problem().is_none())
            }

            /// The constraint on `field`, if the rating has such a field.
            pub fn constraint_of(field: &str) -> Option<$crate::constraint::Constraint> {
                Self::FIELDS.iter().find(|(f, _)| *f == field).map(|(_, c)| *c)
            }

            /// [`Self::constraint_of`] through a value (for code generic over ratings).
            pub fn constraint(&self, field: &str) -> Option<$crate::constraint::Constraint> {
                Self::constraint_of(field)
            }
        }
    };
}
pub(crate) use rated;

/// A catalog entry: a rating and where its figures come from.
pub trait CatalogModel {
    /// What the solver uses.
    type Rating: Rating;
    /// The rating without the citation.
    fn rating(&self) -> Self::Rating;
    /// Its cost and schedule, if priced.
    fn economics(&self) -> Option<&crate::catalog::economics::Economics>;
}

/// What every rating has: its numbers and constraints (from `rated!`) and its own rules
/// ([`RatingRules`], written by hand for each rating).
pub trait Rating: RatingRules + Clone + PartialEq + serde::Serialize + serde::de::DeserializeOwned {
    /// Its per-instance overrides.
    type Overrides: Overrides<Self>;
    /// Every number, with its constraint.
    fn numeric_fields(&self) -> Vec<NumericField>;
    /// The constraint on `field`, if the rating has such a field.
    fn constraint_of(field: &str) -> Option<Constraint>;
    /// True when every number is within its constraint.
    fn numbers_valid(&self) -> bool {
        self.numeric_fields().iter().all(|n| n.problem().is_none())
    }
}

/// Per-instance overrides of rating `R`: every field optional.
pub trait Overrides<R>: Clone + Default + PartialEq + serde::Serialize {
    /// The catalog rating with these overrides applied.
    fn apply(&self, base: &R) -> R;
    /// The overrides that turn `base` into `actual`.
    fn diff(base: &R, actual: &R) -> Self;
    /// True when nothing is overridden.
    fn is_empty(&self) -> bool;
    /// Every number in the overridden fields, with its constraint.
    fn numeric_fields(&self) -> Vec<NumericField>;
    /// These overrides with number `index` of `field` set to `value`.
    fn with_number(&self, base: &R, field: &str, index: usize, value: f64) -> Option<Self>;
}

/// What a rating must say about itself beyond the ranges of its fields. Every rating says it,
/// even when the answer is "nothing": a new rating without it does not compile.
pub trait RatingRules {
    /// `(field, problem)` for each inconsistency between fields (a rating point no real unit
    /// could have), pointing at the field to fix.
    fn inconsistencies(&self) -> Vec<(&'static str, String)>;
    /// Nominal `(input, output)` line-to-line kV for equipment on the power network (output
    /// `None` for loads), `None` for equipment that is not a network element (cooling units are
    /// loads through their supply, without a voltage check; cables).
    fn nominal_kv(&self) -> Option<(f64, Option<f64>)>;
}

/// One number of a rating: its field, position in an array field, value and constraint.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NumericField {
    /// Field name.
    pub name: &'static str,
    /// Position within an array field (`None` for a scalar).
    pub index: Option<usize>,
    /// The value.
    pub value: f64,
    /// What the field accepts.
    pub constraint: Constraint,
}

impl NumericField {
    /// The field's path below its owner: `name` or `name[i]`.
    pub fn path(&self) -> String {
        match self.index {
            Some(i) => format!("{}[{i}]", self.name),
            None => self.name.to_string(),
        }
    }

    /// The problem with the value, if any.
    pub fn problem(&self) -> Option<String> {
        self.constraint.problem(&self.path(), self.value)
    }
}

/// Adds the numbers of field `name` to `out`.
pub fn push_numbers(out: &mut Vec<NumericField>, name: &'static str, value: &impl Numeric, constraint: Constraint) {
    let numbers = value.numbers();
    let array = value.is_array();
    for (i, v) in numbers.into_iter().enumerate() {
        out.push(NumericField { name, index: array.then_some(i), value: v, constraint });
    }
}

/// Lets validation see the numbers of a rating field generically.
pub trait Numeric {
    /// The field's numbers: one for a scalar, N for an array, none for a named choice.
    fn numbers(&self) -> Vec<f64>;
    /// True for array fields (numbers are addressed by index).
    fn is_array(&self) -> bool {
        false
    }
    /// Sets number `index` to `value`; false when the type cannot hold it.
    fn set_number(&mut self, index: usize, value: f64) -> bool;
}

impl Numeric for f64 {
    fn numbers(&self) -> Vec<f64> {
        vec![*self]
    }
    fn set_number(&mut self, index: usize, value: f64) -> bool {
        if index != 0 {
            return false;
        }
        *self = value;
        true
    }
}

impl Numeric for u32 {
    fn numbers(&self) -> Vec<f64> {
        vec![f64::from(*self)]
    }
    fn set_number(&mut self, index: usize, value: f64) -> bool {
        if index != 0 || !(0.0..=f64::from(u32::MAX)).contains(&value) || value.fract() != 0.0 {
            return false;
        }
        *self = value as u32;
        true
    }
}

impl<const N: usize> Numeric for [f64; N] {
    fn numbers(&self) -> Vec<f64> {
        self.to_vec()
    }
    fn is_array(&self) -> bool {
        true
    }
    fn set_number(&mut self, index: usize, value: f64) -> bool {
        match self.get_mut(index) {
            Some(slot) => {
                *slot = value;
                true
            }
            None => false,
        }
    }
}
