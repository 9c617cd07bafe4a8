//! What a numeric field accepts, declared beside the field it constrains.
//!
//! Every number a planner can type (a catalog rating, an override, a site value) carries a
//! [`Constraint`]: a closed physical range with the reason for it, optionally "0 means ...".
//! Validation of files and catalogs, the editor and the fuzz tests all read the same
//! declaration, so a field cannot be accepted by one and refused by another. Ranges are wide
//! (what any real equipment could have): a value outside is refused with file:line:col. A value
//! inside but far from every catalog model gets a plausibility warning instead (see
//! [`crate::site::validate::warnings`]).

use std::fmt::Write as _;

/// The accepted values of one numeric field.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Constraint {
    /// Lowest accepted value.
    pub min: f64,
    /// `min` itself is accepted (else only values above it).
    pub min_inclusive: bool,
    /// Highest accepted value (inclusive).
    pub max: f64,
    /// Zero is accepted too, with this meaning (e.g. "an ideal source").
    pub zero_means: Option<&'static str>,
    /// Only whole numbers.
    pub whole: bool,
    /// Unit shown in messages ("" for ratios).
    pub unit: &'static str,
    /// Why the range is what it is, shown in messages.
    pub why: &'static str,
}

impl Constraint {
    /// `min ≤ value ≤ max`.
    pub const fn range(min: f64, max: f64, unit: &'static str, why: &'static str) -> Constraint {
        Constraint { min, min_inclusive: true, max, zero_means: None, whole: false, unit, why }
    }

    /// `0 < value ≤ max`: a rating that divides somewhere (zero would be a division by zero).
    pub const fn positive(max: f64, unit: &'static str, why: &'static str) -> Constraint {
        Constraint { min: 0.0, min_inclusive: false, max, zero_means: None, whole: false, unit, why }
    }

    /// `min < value ≤ max`.
    pub const fn above(min: f64, max: f64, unit: &'static str, why: &'static str) -> Constraint {
        Constraint { min, min_inclusive: false, max, zero_means: None, whole: false, unit, why }
    }

    /// The same range, also accepting exactly zero with the given meaning.
    pub const fn or_zero(self, meaning: &'static str) -> Constraint {
        Constraint { zero_means: Some(meaning), ..self }
    }

    /// The same range, whole numbers only.
    pub const fn whole(self) -> Constraint {
        Constraint { whole: true, ..self }
    }

    /// True when `value` is accepted.
    pub fn accepts(&self, value: f64) -> bool {
        self.problem("x", value).is_none()
    }

    /// The plain-language problem with `value` for field `field`, if any.
    pub fn problem(&self, field: &str, value: f64) -> Option<String> {
        if !value.is_finite() {
            return Some(format!("{field} must be a finite number, not {value}"));
        }
        if value == 0.0 && self.zero_means.is_some() {
            return None;
        }
        let low = if self.min_inclusive { value < self.min } else { value <= self.min };
        if !low && value <= self.max {
            if self.whole && value.fract() != 0.0 {
                return Some(format!("{field} must be a whole number (got {value})"));
            }
            return None;
        }
        let mut msg = String::new();
        let unit = if self.unit.is_empty() { String::new() } else { format!(" {}", self.unit) };
        if self.min == self.max {
            let _ = write!(msg, "{field} must be {}{unit} (got {value})", self.min);
        } else if low && self.min == 0.0 && self.min_inclusive {
            let _ = write!(msg, "{field} must not be negative (got {value})");
        } else if low && self.min == 0.0 && value == 0.0 {
            let _ = write!(msg, "{field} must be greater than zero");
        } else if low && self.min == 0.0 {
            let _ = write!(msg, "{field} must be greater than zero (got {value})");
        } else if self.min_inclusive {
            let _ = write!(msg, "{field} must be between {} and {}{unit} (got {value})", self.min, self.max);
        } else {
            let _ = write!(msg, "{field} must be above {} and at most {}{unit} (got {value})", self.min, self.max);
        }
        if !self.why.is_empty() {
            let _ = write!(msg, ": {}", self.why);
        }
        if let Some(meaning) = self.zero_means {
            let _ = write!(msg, "; 0 means {meaning}");
        }
        Some(msg)
    }

    /// The range for people, e.g. "0.1–800 kV" (for tooltips).
    pub fn describe(&self) -> String {
        let unit = if self.unit.is_empty() { String::new() } else { format!(" {}", self.unit) };
        let low = if self.min_inclusive { format!("{}", self.min) } else { format!(">{}", self.min) };
        let mut s = format!("{low} … {}{unit}", self.max);
        if let Some(m) = self.zero_means {
            let _ = write!(s, ", or 0 ({m})");
        }
        s
    }
}

/// A fraction of one: `0 ≤ value ≤ 1`.
pub const FRACTION: Constraint = Constraint::range(0.0, 1.0, "", "a fraction of one");

/// Line-to-line voltage of anything in a data center's supply chain.
pub const VOLTAGE_KV: Constraint =
    Constraint::range(0.1, 800.0, "kV", "from low-voltage distribution to extra-high-voltage transmission");

/// A temperature of air or water in a data center.
pub const WATER_TEMPERATURE_C: Constraint =
    Constraint::range(1.0, 95.0, "°C", "liquid water at atmospheric pressure, above freezing and below boiling");

/// A power factor.
pub const POWER_FACTOR: Constraint = Constraint::range(0.5, 1.0, "", "power factors of IT and power electronics");

/// The X/R ratio of a source or transformer impedance.
pub const X_R: Constraint = Constraint::range(0.1, 100.0, "", "X/R of utility sources and power transformers");

/// A coefficient of a DOE-2 performance curve.
pub const CURVE_COEFFICIENT: Constraint = Constraint::range(-1000.0, 1000.0, "", "a performance-curve coefficient");

/// A named choice (an enum field): it holds no number, so no range applies.
pub const CHOICE: Constraint = Constraint::range(0.0, 0.0, "", "a named choice");

/// A floor coordinate.
pub const POSITION_M: Constraint = Constraint::range(-1.0e6, 1.0e6, "m", "within 1000 km of the site origin");

/// A rotation about the vertical axis.
pub const ROTATION_DEG: Constraint = Constraint::range(-360.0, 360.0, "°", "one turn either way");

/// Outdoor air temperature.
pub const OUTDOOR_C: Constraint = Constraint::range(-70.0, 60.0, "°C", "the range of recorded outdoor temperatures");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_messages() {
        let c = Constraint::positive(1e6, "kVA", "a rating");
        assert_eq!(c.problem("rated_kva", 0.0).unwrap(), "rated_kva must be greater than zero: a rating");
        assert_eq!(c.problem("rated_kva", -1.0).unwrap(), "rated_kva must be greater than zero (got -1): a rating");
        assert_eq!(c.problem("rated_kva", f64::NAN).unwrap(), "rated_kva must be a finite number, not NaN");
        assert!(
            c.problem("rated_kva", 1e308).unwrap().starts_with("rated_kva must be above 0 and at most 1000000 kVA")
        );
        assert!(c.accepts(1e-3) && c.accepts(1e6) && !c.accepts(1e6 * (1.0 + 1e-15)));
        let z = Constraint::range(1.0, 1e6, "MVA", "a short-circuit level").or_zero("an ideal source");
        assert!(z.accepts(0.0) && !z.accepts(1e-300) && z.accepts(1.0));
        assert!(z.problem("s", 0.5).unwrap().ends_with("; 0 means an ideal source"));
        let n = Constraint::range(0.0, 100.0, "%", "").whole();
        assert!(n.accepts(3.0) && !n.accepts(2.5));
        assert_eq!(FRACTION.problem("f", -0.5).unwrap(), "f must not be negative (got -0.5): a fraction of one");
    }
}
