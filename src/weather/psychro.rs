//! Psychrometrics of moist air: the equations of ASHRAE Handbook—Fundamentals (2017), ch. 1,
//! in the SI form PsychroLib (github.com/psychrometrics/psychrolib, MIT) implements them.
//!
//! A weather file gives dry bulb, dew point and station pressure; cooling towers and
//! evaporative coolers follow the wet bulb, which no EPW file carries. The wet bulb here is the
//! thermodynamic wet bulb `t*` of eq. 33/35 (saturation over water at or above 0 °C, over ice
//! below), solved by bisection between the dew point and the dry bulb to
//! [`WET_BULB_TOLERANCE_K`]. Valid from −100 to 200 °C (the range of the saturation formulas).
//!
//! A dew point below 0 °C is taken over ice (a frost point), as the Handbook, PsychroLib and
//! EnergyPlus take an EPW dew point: that is how ASHRAE's own tables relate dew point and
//! humidity ratio (Chicago's 99.6 % humidification point, −25.7 °C, is 0.4 g/kg in the header;
//! over water it would be 0.48). Relative humidity in weather data is meteorological, relative
//! to liquid water even below 0 °C ([`saturation_pressure_over_water_pa`]); the reader uses it
//! only to stand in for a missing dew point.

/// 0 °C in kelvin.
const ZERO_C_IN_K: f64 = 273.15;

/// Saturation is over ice at and below this temperature, over liquid water above: the triple
/// point of water, as PsychroLib 2.5 uses.
pub const TRIPLE_POINT_C: f64 = 0.01;

/// Molecular mass of water over that of dry air, 18.015268 / 28.966 (eq. 22).
const WATER_PER_AIR_MOLAR: f64 = 0.621945;

/// The bisection for the wet bulb stops when its bracket is this narrow.
pub const WET_BULB_TOLERANCE_K: f64 = 0.001;

/// Lowest temperature the saturation formulas cover (eq. 5).
pub const COLDEST_C: f64 = -100.0;

/// Saturation pressure of water vapour over ice (`t_c` ≤ [`TRIPLE_POINT_C`]) or liquid water, Pa
/// (Hyland–Wexler, eq. 5 and 6; within 300 ppm of the Handbook's Table 3 from −100 to 200 °C).
pub fn saturation_pressure_pa(t_c: f64) -> f64 {
    if t_c > TRIPLE_POINT_C {
        return saturation_pressure_over_water_pa(t_c);
    }
    let t = t_c + ZERO_C_IN_K;
    (-5.674_535_9e3 / t + 6.392_524_7 - 9.677_843_0e-3 * t + 6.221_570_1e-7 * t * t + 2.074_782_5e-9 * t.powi(3)
        - 9.484_024_0e-13 * t.powi(4)
        + 4.163_501_9 * t.ln())
    .exp()
}

/// Saturation pressure of water vapour over liquid water, Pa (eq. 6), also for supercooled water
/// below 0 °C: what meteorological relative humidity is relative to.
pub fn saturation_pressure_over_water_pa(t_c: f64) -> f64 {
    let t = t_c + ZERO_C_IN_K;
    (-5.800_220_6e3 / t + 1.391_499_3 - 4.864_023_9e-2 * t + 4.176_476_8e-5 * t * t - 1.445_209_3e-8 * t.powi(3)
        + 6.545_967_3 * t.ln())
    .exp()
}

/// Humidity ratio (kg water per kg dry air) of air at `pressure_pa` holding water vapour at
/// `vapour_pressure_pa` (eq. 20).
pub fn humidity_ratio_kg_kg(vapour_pressure_pa: f64, pressure_pa: f64) -> f64 {
    WATER_PER_AIR_MOLAR * vapour_pressure_pa / (pressure_pa - vapour_pressure_pa)
}

/// Humidity ratio of air at `dry_c` whose thermodynamic wet bulb is `wet_c` (eq. 33 over water,
/// eq. 35 over ice below 0 °C): the adiabatic-saturation energy balance.
pub fn humidity_ratio_at_wet_bulb_kg_kg(dry_c: f64, wet_c: f64, pressure_pa: f64) -> f64 {
    let saturated = humidity_ratio_kg_kg(saturation_pressure_pa(wet_c), pressure_pa);
    if wet_c >= 0.0 {
        ((2501.0 - 2.326 * wet_c) * saturated - 1.006 * (dry_c - wet_c)) / (2501.0 + 1.86 * dry_c - 4.186 * wet_c)
    } else {
        ((2830.0 - 0.24 * wet_c) * saturated - 1.006 * (dry_c - wet_c)) / (2830.0 + 1.86 * dry_c - 2.1 * wet_c)
    }
}

/// Dew point, °C, of air holding water vapour at `vapour_pressure_pa`: the temperature whose
/// [`saturation_pressure_pa`] that is (a frost point below 0 °C, as the Handbook and PsychroLib
/// take it; [`COLDEST_C`] for less vapour than saturation there).
pub fn dew_point_c(vapour_pressure_pa: f64) -> f64 {
    temperature_at(saturation_pressure_pa, vapour_pressure_pa)
}

/// Dew point over liquid water, °C (the meteorological dew point): inverts
/// [`saturation_pressure_over_water_pa`].
pub fn dew_point_over_water_c(vapour_pressure_pa: f64) -> f64 {
    temperature_at(saturation_pressure_over_water_pa, vapour_pressure_pa)
}

/// The temperature between [`COLDEST_C`] and 200 °C at which the increasing `saturation`
/// reaches `vapour_pressure_pa`, by bisection to [`WET_BULB_TOLERANCE_K`].
fn temperature_at(saturation: fn(f64) -> f64, vapour_pressure_pa: f64) -> f64 {
    let (mut low, mut high) = (COLDEST_C, 200.0);
    if vapour_pressure_pa <= saturation(low) {
        return low;
    }
    while high - low > WET_BULB_TOLERANCE_K {
        let mid = 0.5 * (low + high);
        if saturation(mid) > vapour_pressure_pa {
            high = mid;
        } else {
            low = mid;
        }
    }
    0.5 * (low + high)
}

/// Thermodynamic wet bulb, °C, of air at `dry_c` with `humidity_ratio_kg_kg` at `pressure_pa`:
/// the `t*` at which [`humidity_ratio_at_wet_bulb_kg_kg`] gives that humidity ratio, by
/// bisection between the dew point and the dry bulb (the wet bulb lies between them).
pub fn wet_bulb_c(dry_c: f64, humidity_ratio_kg_kg: f64, pressure_pa: f64) -> f64 {
    // PsychroLib's floor: a humidity ratio of exactly zero has no dew point.
    let w = humidity_ratio_kg_kg.max(1e-7);
    let vapour_pa = pressure_pa * w / (WATER_PER_AIR_MOLAR + w);
    wet_bulb_above_c(dry_c, w, pressure_pa, dew_point_c(vapour_pa))
}

/// The wet bulb by bisection between `low_c` (the dew point: below the wet bulb, since
/// eq. 33/35 give less than the saturation humidity ratio there) and the dry bulb.
fn wet_bulb_above_c(dry_c: f64, humidity_ratio_kg_kg: f64, pressure_pa: f64, low_c: f64) -> f64 {
    let (mut low, mut high) = (low_c.min(dry_c), dry_c);
    while high - low > WET_BULB_TOLERANCE_K {
        let mid = 0.5 * (low + high);
        if humidity_ratio_at_wet_bulb_kg_kg(dry_c, mid, pressure_pa) > humidity_ratio_kg_kg {
            high = mid;
        } else {
            low = mid;
        }
    }
    0.5 * (low + high)
}

/// Thermodynamic wet bulb, °C, from dry bulb, dew point and station pressure (what an EPW row
/// gives). A dew point at or above the dry bulb is saturated air: the wet bulb is the dry bulb.
pub fn wet_bulb_from_dew_point_c(dry_c: f64, dew_point_c: f64, pressure_pa: f64) -> f64 {
    if dew_point_c >= dry_c {
        return dry_c;
    }
    let w = humidity_ratio_kg_kg(saturation_pressure_pa(dew_point_c), pressure_pa).max(1e-7);
    wet_bulb_above_c(dry_c, w, pressure_pa, dew_point_c)
}

/// Pressure of the standard atmosphere at `elevation_m` above sea level, Pa (eq. 3): what a
/// station without a barometer reading is assumed to have.
pub fn standard_pressure_pa(elevation_m: f64) -> f64 {
    101_325.0 * (1.0 - 2.255_77e-5 * elevation_m).powf(5.255_9)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ASHRAE Handbook—Fundamentals 2017, ch. 1, Table 3 (saturation pressure of water), as
    /// PsychroLib's `test_GetSatVapPres` checks it: within 300 ppm.
    #[test]
    fn saturation_pressure_matches_the_handbook_table() {
        for (t_c, table_pa) in
            [(-20.0, 103.24), (-5.0, 401.74), (5.0, 872.6), (25.0, 3169.7), (50.0, 12351.3), (100.0, 101418.0)]
        {
            let p = saturation_pressure_pa(t_c);
            assert!(((p - table_pa) / table_pa).abs() < 3e-4, "{t_c} °C: {p} Pa, table {table_pa} Pa");
        }
    }

    /// Table 1 of the same chapter (standard atmosphere), to 1 Pa as PsychroLib tests it.
    #[test]
    fn standard_atmosphere_matches_the_handbook_table() {
        for (z_m, table_pa) in [(-500.0, 107_478.0), (0.0, 101_325.0), (500.0, 95_461.0), (4000.0, 61_640.0)] {
            assert!((standard_pressure_pa(z_m) - table_pa).abs() < 1.0, "{z_m} m");
        }
    }

    /// The dew point inverts the saturation pressure, over ice and over water.
    #[test]
    fn dew_point_inverts_saturation_pressure() {
        for t_c in [-60.0, -20.0, -0.5, 0.0, 0.01, 5.0, 23.8, 50.0] {
            assert!((dew_point_c(saturation_pressure_pa(t_c)) - t_c).abs() < 1e-3, "{t_c}");
            assert!((dew_point_over_water_c(saturation_pressure_over_water_pa(t_c)) - t_c).abs() < 1e-3, "{t_c}");
        }
        // Supercooled water holds more vapour than ice at the same temperature.
        assert!(saturation_pressure_over_water_pa(-10.0) > 1.1 * saturation_pressure_pa(-10.0));
    }

    /// The wet bulb lies between dew point and dry bulb, and saturated air's wet bulb is its dry bulb.
    #[test]
    fn wet_bulb_lies_between_dew_point_and_dry_bulb() {
        for (db, dp) in [(-30.0, -35.0), (-1.0, -10.0), (0.5, -3.0), (20.0, 5.0), (35.0, 24.0), (45.0, -20.0)] {
            let wb = wet_bulb_from_dew_point_c(db, dp, 101_325.0);
            assert!(dp < wb && wb < db, "{db} / {dp}: {wb}");
        }
        assert!((wet_bulb_from_dew_point_c(20.0, 20.0 - 1e-9, 101_325.0) - 20.0).abs() < 1e-3);
        assert_eq!(wet_bulb_from_dew_point_c(20.0, 21.0, 101_325.0), 20.0);
    }
}
