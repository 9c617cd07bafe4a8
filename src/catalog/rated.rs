//! The `rated!` macro: one declaration gives a rating, its catalog model (rating + source) and
//! its per-instance overrides, so the three can never drift apart.

/// Declares `$Rating` (what the solver uses), `$Model` (a catalog entry: the rating plus a
/// `source` citation) and `$Overrides` (every field optional, as written in a site file).
///
/// `$Overrides::apply` resolves an instance's rating; `$Overrides::diff` recovers the overrides
/// from a rating, which is how the world is written back to a site file without keeping a copy.
macro_rules! rated {
    (
        $(#[$meta:meta])*
        $Rating:ident, $Model:ident, $Overrides:ident {
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty ),* $(,)?
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

            /// `(field name, value)` for each overridden numeric field, for validation.
            pub fn numeric_fields(&self) -> Vec<(&'static str, f64)> {
                let mut out = Vec::new();
                $( if let Some(v) = &self.$field {
                    if let Some(x) = $crate::catalog::rated::AsNumber::as_number(v) {
                        out.push((stringify!($field), x));
                    }
                } )*
                out
            }
        }

        impl $Rating {
            /// `(field name, value)` for each numeric field, for validation.
            pub fn numeric_fields(&self) -> Vec<(&'static str, f64)> {
                let mut out = Vec::new();
                $( if let Some(x) = $crate::catalog::rated::AsNumber::as_number(&self.$field) {
                    out.push((stringify!($field), x));
                } )*
                out
            }
        }
    };
}
pub(crate) use rated;

/// Lets validation see the numeric fields of a rating generically.
pub trait AsNumber {
    /// The value as `f64` when the field is a number.
    fn as_number(&self) -> Option<f64>;
}

impl AsNumber for f64 {
    fn as_number(&self) -> Option<f64> {
        Some(*self)
    }
}

impl AsNumber for u32 {
    fn as_number(&self) -> Option<f64> {
        Some(f64::from(*self))
    }
}

impl<const N: usize> AsNumber for [f64; N] {
    fn as_number(&self) -> Option<f64> {
        None
    }
}
