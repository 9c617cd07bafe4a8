//! The ASHRAE climatic design conditions an EPW file carries in its `DESIGN CONDITIONS` line,
//! and the design points (`--design-day`) a site is checked at.
//!
//! The EPW specification leaves this line's fields to "the source"; every EnergyPlus weather
//! file from the 2009, 2013 and 2017 Handbooks uses the same layout: `Heating` and 15 values,
//! `Cooling` and 32, `Extremes` and 16, in the column order of the Handbook's climatic design
//! tables (ASHRAE Handbook—Fundamentals, ch. 14). The tables below name each position with the
//! Handbook's abbreviation (the same keys ladybug-tools uses) so a reader can check them
//! against a printed table. A blank value is "not given" (real files leave some out); a value
//! that is not a number is a problem in the file.

use std::fmt;
use std::str::FromStr;

use super::psychro;

/// One section of the `DESIGN CONDITIONS` line: its keyword and what each value after it is.
pub(super) struct Section {
    /// The keyword that opens the section.
    pub keyword: &'static str,
    /// `(Handbook abbreviation, meaning)` of each value, in order.
    pub values: &'static [(&'static str, &'static str)],
}

/// The heating (winter) design conditions.
pub(super) const HEATING: Section = Section {
    keyword: "Heating",
    values: &[
        ("Month", "coldest month"),
        ("DB996", "99.6 % dry bulb"),
        ("DB990", "99 % dry bulb"),
        ("DP996", "99.6 % humidification dew point"),
        ("HR_DP996", "its humidity ratio"),
        ("DB_DP996", "its mean coincident dry bulb"),
        ("DP990", "99 % humidification dew point"),
        ("HR_DP990", "its humidity ratio"),
        ("DB_DP990", "its mean coincident dry bulb"),
        ("WS004c", "coldest month 0.4 % wind speed"),
        ("DB_WS004c", "its mean coincident dry bulb"),
        ("WS010c", "coldest month 1 % wind speed"),
        ("DB_WS010c", "its mean coincident dry bulb"),
        ("WS_DB996", "mean wind speed coincident with the 99.6 % dry bulb"),
        ("WD_DB996", "prevailing wind direction coincident with the 99.6 % dry bulb"),
    ],
};

/// The cooling (summer) design conditions.
pub(super) const COOLING: Section = Section {
    keyword: "Cooling",
    values: &[
        ("Month", "hottest month"),
        ("DBR", "hottest month's mean daily dry-bulb range"),
        ("DB004", "0.4 % dry bulb"),
        ("WB_DB004", "its mean coincident wet bulb"),
        ("DB010", "1 % dry bulb"),
        ("WB_DB010", "its mean coincident wet bulb"),
        ("DB020", "2 % dry bulb"),
        ("WB_DB020", "its mean coincident wet bulb"),
        ("WB004", "0.4 % evaporation wet bulb"),
        ("DB_WB004", "its mean coincident dry bulb"),
        ("WB010", "1 % evaporation wet bulb"),
        ("DB_WB010", "its mean coincident dry bulb"),
        ("WB020", "2 % evaporation wet bulb"),
        ("DB_WB020", "its mean coincident dry bulb"),
        ("WS_DB004", "mean wind speed coincident with the 0.4 % dry bulb"),
        ("WD_DB004", "prevailing wind direction coincident with the 0.4 % dry bulb"),
        ("DP004", "0.4 % dehumidification dew point"),
        ("HR_DP004", "its humidity ratio"),
        ("DB_DP004", "its mean coincident dry bulb"),
        ("DP010", "1 % dehumidification dew point"),
        ("HR_DP010", "its humidity ratio"),
        ("DB_DP010", "its mean coincident dry bulb"),
        ("DP020", "2 % dehumidification dew point"),
        ("HR_DP020", "its humidity ratio"),
        ("DB_DP020", "its mean coincident dry bulb"),
        ("EN004", "0.4 % enthalpy"),
        ("DB_EN004", "its mean coincident dry bulb"),
        ("EN010", "1 % enthalpy"),
        ("DB_EN010", "its mean coincident dry bulb"),
        ("EN020", "2 % enthalpy"),
        ("DB_EN020", "its mean coincident dry bulb"),
        ("Hrs_8-4_&_DB", "hours from 8 to 16 h with dry bulb 12.8–20.6 °C"),
    ],
};

/// The extreme annual design conditions.
pub(super) const EXTREMES: Section = Section {
    keyword: "Extremes",
    values: &[
        ("WS010", "1 % extreme annual wind speed"),
        ("WS025", "2.5 % extreme annual wind speed"),
        ("WS050", "5 % extreme annual wind speed"),
        ("WBmax", "extreme maximum wet bulb"),
        ("DBmin_mean", "mean of the extreme annual minimum dry bulb"),
        ("DBmax_mean", "mean of the extreme annual maximum dry bulb"),
        ("DBmin_stddev", "standard deviation of the extreme annual minimum dry bulb"),
        ("DBmax_stddev", "standard deviation of the extreme annual maximum dry bulb"),
        ("DBmin05years", "5-year return period minimum dry bulb"),
        ("DBmax05years", "5-year return period maximum dry bulb"),
        ("DBmin10years", "10-year return period minimum dry bulb"),
        ("DBmax10years", "10-year return period maximum dry bulb"),
        ("DBmin20years", "20-year return period minimum dry bulb"),
        ("DBmax20years", "20-year return period maximum dry bulb"),
        ("DBmin50years", "50-year return period minimum dry bulb"),
        ("DBmax50years", "50-year return period maximum dry bulb"),
    ],
};

/// The sections in the order they appear on the line.
pub(super) const SECTIONS: [&Section; 3] = [&HEATING, &COOLING, &EXTREMES];

/// An annual cooling percentile: the share of the year's 8,760 hours above the design value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Percentile {
    /// Exceeded 0.4 % of the hours (35 h a year).
    P0_4,
    /// Exceeded 1 % of the hours (88 h).
    P1,
    /// Exceeded 2 % of the hours (175 h).
    P2,
}

impl Percentile {
    /// All three, in the Handbook's order (the index into the `[_; 3]` arrays of [`CoolingDesign`]).
    pub const ALL: [Percentile; 3] = [Percentile::P0_4, Percentile::P1, Percentile::P2];

    fn index(self) -> usize {
        self as usize
    }

    /// "0.4 %", "1 %" or "2 %".
    pub fn label(self) -> &'static str {
        ["0.4 %", "1 %", "2 %"][self.index()]
    }
}

/// A return period of the extreme annual dry bulb.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnPeriod {
    /// Exceeded once in 5 years on average.
    N5,
    /// Once in 10 years.
    N10,
    /// Once in 20 years (what data-center designs commonly take for air-side heat rejection).
    N20,
    /// Once in 50 years.
    N50,
}

impl ReturnPeriod {
    /// All four, in the Handbook's order (the index into [`ExtremeDesign::return_period`]).
    pub const ALL: [ReturnPeriod; 4] = [ReturnPeriod::N5, ReturnPeriod::N10, ReturnPeriod::N20, ReturnPeriod::N50];

    /// The period in years.
    pub fn years(self) -> u32 {
        [5, 10, 20, 50][self as usize]
    }
}

/// A dry bulb and the wet bulb that goes with it, °C (either may be missing from the file).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct AirPair {
    /// Dry bulb, °C.
    pub dry_c: Option<f64>,
    /// Wet bulb, °C.
    pub wet_c: Option<f64>,
}

/// A humidification (heating) or dehumidification (cooling) design point.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct HumidityPoint {
    /// Design dew point, °C (a frost point below 0 °C: see [`psychro`]).
    pub dew_point_c: Option<f64>,
    /// Its humidity ratio at the station's standard pressure, g of water per kg of dry air.
    pub humidity_ratio_g_kg: Option<f64>,
    /// Its mean coincident dry bulb, °C.
    pub dry_c: Option<f64>,
}

/// Heating (winter) design conditions.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HeatingDesign {
    /// The coldest month, 1–12.
    pub coldest_month: Option<u32>,
    /// Dry bulb at the 99.6 % and 99 % annual percentiles (colder only 0.4 % / 1 % of the hours), °C.
    pub dry_bulb_c: [Option<f64>; 2],
    /// Humidification design points at 99.6 % and 99 % (the driest air the site sees).
    pub humidification: [HumidityPoint; 2],
}

/// Cooling (summer) design conditions; each array is indexed by [`Percentile`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CoolingDesign {
    /// The hottest month, 1–12.
    pub hottest_month: Option<u32>,
    /// Mean daily dry-bulb range of the hottest month, K.
    pub daily_range_k: Option<f64>,
    /// Design dry bulb with its mean coincident wet bulb (what air-side equipment is sized at).
    pub dry_bulb: [AirPair; 3],
    /// Evaporation design wet bulb with its mean coincident dry bulb (cooling towers).
    pub evaporation: [AirPair; 3],
    /// Dehumidification design dew point, its humidity ratio and mean coincident dry bulb.
    pub dehumidification: [HumidityPoint; 3],
}

impl CoolingDesign {
    /// The design dry bulb and its mean coincident wet bulb at `p`.
    pub fn dry_bulb(&self, p: Percentile) -> AirPair {
        self.dry_bulb[p.index()]
    }

    /// The evaporation design wet bulb and its mean coincident dry bulb at `p`.
    pub fn evaporation(&self, p: Percentile) -> AirPair {
        self.evaporation[p.index()]
    }
}

/// The lowest and highest dry bulb of one return period, °C.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct DryBulbExtremes {
    /// Minimum, °C.
    pub min_c: Option<f64>,
    /// Maximum, °C.
    pub max_c: Option<f64>,
}

/// Extreme annual design conditions.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExtremeDesign {
    /// Extreme maximum wet bulb, °C.
    pub wet_bulb_max_c: Option<f64>,
    /// Mean of the yearly extremes of dry bulb (min, max), °C.
    pub dry_bulb_mean_c: DryBulbExtremes,
    /// Standard deviation of the yearly extremes of dry bulb (min, max), K.
    pub dry_bulb_std_dev_k: DryBulbExtremes,
    /// Dry-bulb extremes per return period, indexed by [`ReturnPeriod`].
    pub return_period: [DryBulbExtremes; 4],
}

/// The design conditions of an EPW header.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DesignConditions {
    /// Where they come from, e.g. "Climate Design Data 2009 ASHRAE Handbook".
    pub source: String,
    /// Heating (winter).
    pub heating: HeatingDesign,
    /// Cooling (summer).
    pub cooling: CoolingDesign,
    /// Extreme annual.
    pub extremes: ExtremeDesign,
}

impl DesignConditions {
    /// Builds the typed conditions from the raw values of each section (as [`SECTIONS`] lists
    /// them; `None` where the file leaves a value blank or has no such section).
    pub(super) fn from_values(
        source: String,
        heating: &[Option<f64>],
        cooling: &[Option<f64>],
        extremes: &[Option<f64>],
    ) -> DesignConditions {
        let month = |v: Option<f64>| v.map(|m| m as u32);
        let pair = |dry: usize, wet: usize, v: &[Option<f64>]| AirPair { dry_c: v[dry], wet_c: v[wet] };
        let humidity = |v: &[Option<f64>], i: usize| HumidityPoint {
            dew_point_c: v[i],
            humidity_ratio_g_kg: v[i + 1],
            dry_c: v[i + 2],
        };
        let extreme = |i: usize| DryBulbExtremes { min_c: extremes[i], max_c: extremes[i + 1] };
        DesignConditions {
            source,
            heating: HeatingDesign {
                coldest_month: month(heating[0]),
                dry_bulb_c: [heating[1], heating[2]],
                humidification: [humidity(heating, 3), humidity(heating, 6)],
            },
            cooling: CoolingDesign {
                hottest_month: month(cooling[0]),
                daily_range_k: cooling[1],
                dry_bulb: [pair(2, 3, cooling), pair(4, 5, cooling), pair(6, 7, cooling)],
                evaporation: [pair(9, 8, cooling), pair(11, 10, cooling), pair(13, 12, cooling)],
                dehumidification: [humidity(cooling, 16), humidity(cooling, 19), humidity(cooling, 22)],
            },
            extremes: ExtremeDesign {
                wet_bulb_max_c: extremes[3],
                dry_bulb_mean_c: extreme(4),
                dry_bulb_std_dev_k: extreme(6),
                return_period: [extreme(8), extreme(10), extreme(12), extreme(14)],
            },
        }
    }

    /// The outdoor conditions of `day`, with `pressure_pa` the station's standard pressure (see
    /// [`DesignDay`] for how each pairs a dry bulb with a wet bulb); an error names the value
    /// the file does not give.
    pub fn point(&self, day: DesignDay, pressure_pa: f64) -> Result<DesignPoint, String> {
        let need = |v: Option<f64>, what: String| {
            v.ok_or_else(|| format!("the weather file's design conditions have no {what}"))
        };
        match day {
            DesignDay::DryBulb(p) => {
                let pair = self.cooling.dry_bulb(p);
                let what = format!("{} cooling dry bulb", p.label());
                let dry_c = need(pair.dry_c, what.clone())?;
                let wet_c = need(pair.wet_c, format!("mean coincident wet bulb of the {what}"))?;
                Ok(DesignPoint { dry_c, wet_c, label: format!("{} cooling design dry bulb", p.label()) })
            }
            DesignDay::WetBulb(p) => {
                let pair = self.cooling.evaporation(p);
                let what = format!("{} evaporation wet bulb", p.label());
                let wet_c = need(pair.wet_c, what.clone())?;
                let dry_c = need(pair.dry_c, format!("mean coincident dry bulb of the {what}"))?;
                Ok(DesignPoint { dry_c, wet_c, label: format!("{} evaporation design wet bulb", p.label()) })
            }
            DesignDay::ReturnPeriod(n) => {
                let years = n.years();
                let dry_c =
                    need(self.extremes.return_period[n as usize].max_c, format!("{years}-year extreme dry bulb"))?;
                let base = self.point(DesignDay::DryBulb(Percentile::P0_4), pressure_pa)?;
                let w = psychro::humidity_ratio_at_wet_bulb_kg_kg(base.dry_c, base.wet_c, pressure_pa);
                let wet_c = psychro::wet_bulb_c(dry_c, w, pressure_pa).min(dry_c);
                Ok(DesignPoint { dry_c, wet_c, label: format!("{years}-year extreme dry bulb") })
            }
            DesignDay::ExtremeWetBulb => {
                let wet_c = need(self.extremes.wet_bulb_max_c, "extreme maximum wet bulb".into())?;
                let base = self.point(DesignDay::WetBulb(Percentile::P0_4), pressure_pa)?;
                Ok(DesignPoint { dry_c: base.dry_c.max(wet_c), wet_c, label: "extreme maximum wet bulb".into() })
            }
        }
    }
}

/// Which design conditions to run a site at (`dctwin check --design-day`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DesignDay {
    /// `0.4%`, `1%`, `2%`: the cooling design dry bulb with its mean coincident wet bulb.
    DryBulb(Percentile),
    /// `0.4%-wb`, `1%-wb`, `2%-wb`: the evaporation design wet bulb with its mean coincident dry bulb.
    WetBulb(Percentile),
    /// `n5`, `n10`, `n20`, `n50`: the n-year extreme dry bulb. The Handbook gives no wet bulb with
    /// it; this takes the air of the 0.4 % design point (its humidity ratio) heated to the
    /// extreme dry bulb, so the pair is a state the air can be in, and its wet bulb at least
    /// the 0.4 % one.
    ReturnPeriod(ReturnPeriod),
    /// `extreme-wb`: the extreme maximum wet bulb, with the mean coincident dry bulb of the
    /// 0.4 % evaporation wet bulb (the Handbook gives none with the extreme; never below the wet bulb).
    ExtremeWetBulb,
}

impl DesignDay {
    /// Every design day with its name on the command line.
    pub const NAMES: [(&'static str, DesignDay); 11] = [
        ("0.4%", DesignDay::DryBulb(Percentile::P0_4)),
        ("1%", DesignDay::DryBulb(Percentile::P1)),
        ("2%", DesignDay::DryBulb(Percentile::P2)),
        ("0.4%-wb", DesignDay::WetBulb(Percentile::P0_4)),
        ("1%-wb", DesignDay::WetBulb(Percentile::P1)),
        ("2%-wb", DesignDay::WetBulb(Percentile::P2)),
        ("n5", DesignDay::ReturnPeriod(ReturnPeriod::N5)),
        ("n10", DesignDay::ReturnPeriod(ReturnPeriod::N10)),
        ("n20", DesignDay::ReturnPeriod(ReturnPeriod::N20)),
        ("n50", DesignDay::ReturnPeriod(ReturnPeriod::N50)),
        ("extreme-wb", DesignDay::ExtremeWetBulb),
    ];
}

impl FromStr for DesignDay {
    type Err = String;

    fn from_str(s: &str) -> Result<DesignDay, String> {
        let key = s.trim().replace(' ', "").to_ascii_lowercase();
        DesignDay::NAMES.iter().find(|(name, _)| *name == key).map(|&(_, day)| day).ok_or_else(|| {
            let names: Vec<&str> = DesignDay::NAMES.iter().map(|(n, _)| *n).collect();
            format!("unknown design day `{s}`; expected one of {}", names.join(", "))
        })
    }
}

impl fmt::Display for DesignDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = DesignDay::NAMES.iter().find(|(_, d)| d == self).map_or("?", |(n, _)| n);
        f.write_str(name)
    }
}

/// Outdoor conditions to run a site at.
#[derive(Debug, Clone, PartialEq)]
pub struct DesignPoint {
    /// Dry bulb, °C.
    pub dry_c: f64,
    /// Wet bulb, °C.
    pub wet_c: f64,
    /// What it is, for a report ("0.4 % cooling design dry bulb").
    pub label: String,
}
