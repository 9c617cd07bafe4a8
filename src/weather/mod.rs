//! A year of outdoor weather from an EnergyPlus weather (EPW) file: dry bulb and wet bulb at any
//! second of the year, and the ASHRAE design conditions in the file's header. No Bevy.
//!
//! * [`epw`]: the reader. Every malformed line is reported as `file:line:col: message` (all of
//!   them, up to [`epw::MAX_PROBLEMS`]), never a panic. The EPW format marks missing values
//!   (99.9 °C, 999999 Pa…); they are filled as [`FilledValues`] says, never read as data.
//! * [`psychro`]: the wet bulb from dry bulb, dew point and station pressure (no EPW file has a
//!   wet-bulb column), by ASHRAE's equations.
//! * [`design`]: the design conditions (0.4 % dry bulb, n-year extremes…) and the design points
//!   `dctwin check --design-day` runs a site at.
//!
//! **Time.** `t_s` counts seconds of local standard time from 1 January 00:00 (EPW files carry
//! no daylight saving). An EPW row of hour `h` is the hour *ending* at `h:00`, and its
//! temperatures are the readings at that moment (EnergyPlus reads them so, and interpolates
//! between them the same way): row 1 (1 January, hour 1) is the weather at 01:00. Between two
//! readings the weather is interpolated linearly; before 01:00 on 1 January it runs from the
//! last row (31 December, hour 24, i.e. the year's end), so a run longer than a year wraps
//! around without a jump. The wet bulb is worked out for each row and then interpolated (it
//! stays below the interpolated dry bulb, as both ends are).
//!
//! ```no_run
//! use dctwin::weather::{DesignDay, WeatherYear};
//! let year = WeatherYear::load("assets/weather/USA_IL_Chicago-OHare.Intl.AP.725300_TMY3.epw".as_ref()).unwrap();
//! let (dry_c, wet_c) = year.at(200.5 * 86_400.0);
//! let design = year.design_point("0.4%".parse::<DesignDay>().unwrap()).unwrap();
//! println!("{dry_c:.1} / {wet_c:.1} °C; design {:.1} / {:.1} °C", design.dry_c, design.wet_c);
//! ```

pub mod design;
pub mod epw;
pub mod psychro;

use std::fmt;
use std::path::Path;

pub use design::{DesignConditions, DesignDay, DesignPoint, Percentile, ReturnPeriod};

use crate::site::problem::Problems;

/// Seconds in an hour: the step of an EPW file.
pub const HOUR_S: f64 = 3600.0;

/// Where the weather was recorded (the file's `LOCATION` line).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Location {
    /// City or station name.
    pub city: String,
    /// State, province or region.
    pub region: String,
    /// Country.
    pub country: String,
    /// Data source, e.g. "TMY3".
    pub source: String,
    /// WMO station number (text: it may have leading zeros).
    pub wmo: String,
    /// Latitude, degrees north.
    pub latitude_deg: f64,
    /// Longitude, degrees east.
    pub longitude_deg: f64,
    /// Offset of local standard time from UTC, hours.
    pub time_zone_h: f64,
    /// Elevation above sea level, m.
    pub elevation_m: f64,
}

/// One row of the file: the weather at the end of one hour.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WeatherHour {
    /// Month, 1–12.
    pub month: u8,
    /// Day of the month, from 1.
    pub day: u8,
    /// Hour, 1–24: the hour ending at `hour`:00.
    pub hour: u8,
    /// Dry bulb, °C.
    pub dry_c: f64,
    /// Dew point, °C (never above the dry bulb).
    pub dew_point_c: f64,
    /// Station pressure, Pa.
    pub pressure_pa: f64,
    /// Thermodynamic wet bulb, °C, from the three above ([`psychro::wet_bulb_from_dew_point_c`]).
    pub wet_c: f64,
}

/// Hours whose values the file marks missing (or leaves blank), and how each was filled. A
/// report should say so when any is non-zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FilledValues {
    /// Dry bulb missing: interpolated between the nearest hours that have one (gaps of at most
    /// [`epw::MAX_FILLED_GAP_H`]; a longer gap is a problem).
    pub dry_bulb_interpolated: usize,
    /// Dew point missing: worked out from the row's relative humidity.
    pub dew_point_from_humidity: usize,
    /// Dew point and relative humidity both missing: dew point interpolated as the dry bulb is.
    pub dew_point_interpolated: usize,
    /// Dew point above the dry bulb by at most [`epw::DEW_POINT_EXCESS_K`] (a sensor's error;
    /// more is a problem): taken as saturated air, dew point = dry bulb.
    pub dew_point_capped: usize,
    /// Station pressure missing: the standard atmosphere at the station's elevation
    /// ([`psychro::standard_pressure_pa`]; 1 kPa moves the wet bulb by about 0.03 K).
    pub pressure_standard: usize,
}

impl FilledValues {
    /// True when every value was in the file.
    pub fn is_empty(&self) -> bool {
        *self == FilledValues::default()
    }
}

impl fmt::Display for FilledValues {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts = [
            (self.dry_bulb_interpolated, "dry bulb interpolated"),
            (self.dew_point_from_humidity, "dew point from relative humidity"),
            (self.dew_point_interpolated, "dew point interpolated"),
            (self.dew_point_capped, "dew point above dry bulb taken as saturated"),
            (self.pressure_standard, "station pressure from the standard atmosphere"),
        ];
        let said: Vec<String> = parts.iter().filter(|(n, _)| *n > 0).map(|(n, what)| format!("{n} h {what}")).collect();
        f.write_str(&if said.is_empty() { "none".to_string() } else { said.join(", ") })
    }
}

/// A year of hourly weather.
#[derive(Debug, Clone, PartialEq)]
pub struct WeatherYear {
    location: Location,
    design: Option<DesignConditions>,
    hours: Vec<WeatherHour>,
    filled: FilledValues,
}

impl WeatherYear {
    /// Reads an EPW file; problems name the file as `path` is written.
    pub fn load(path: &Path) -> Result<WeatherYear, Problems> {
        epw::load(path)
    }

    /// Parses EPW text (`bytes`, which need not be UTF-8 everywhere: see [`epw`]) read from `file`.
    pub fn parse(bytes: &[u8], file: &str) -> Result<WeatherYear, Problems> {
        epw::parse(bytes, file)
    }

    /// Where the weather was recorded.
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// The ASHRAE design conditions of the header (`None` when its `DESIGN CONDITIONS` line
    /// has none or the file has no such line).
    pub fn design_conditions(&self) -> Option<&DesignConditions> {
        self.design.as_ref()
    }

    /// The outdoor conditions of a design day, at the standard pressure of the station's
    /// elevation (as the Handbook's tables are worked out).
    pub fn design_point(&self, day: DesignDay) -> Result<DesignPoint, String> {
        let design = self.design.as_ref().ok_or("the weather file has no design conditions in its header")?;
        design.point(day, psychro::standard_pressure_pa(self.location.elevation_m))
    }

    /// Every hour of the year in file order (8,760, or 8,784 in a leap year).
    pub fn hours(&self) -> &[WeatherHour] {
        &self.hours
    }

    /// What was missing from the file and how it was filled.
    pub fn filled(&self) -> &FilledValues {
        &self.filled
    }

    /// Length of the year, s.
    pub fn duration_s(&self) -> f64 {
        self.hours.len() as f64 * HOUR_S
    }

    /// `(dry bulb, wet bulb)`, °C, at `t_s` seconds from 1 January 00:00 local standard time,
    /// interpolated linearly between the hourly readings and repeating every year (see the
    /// module's notes on time).
    pub fn at(&self, t_s: f64) -> (f64, f64) {
        let n = self.hours.len();
        let h = (t_s / HOUR_S).rem_euclid(n as f64);
        let k = (h.floor() as usize).min(n - 1);
        let w = h - k as f64;
        // The reading at k:00 is row k − 1 (the hour ending then); at 00:00 it is the year's last.
        let (a, b) = (&self.hours[(k + n - 1) % n], &self.hours[k]);
        (a.dry_c + (b.dry_c - a.dry_c) * w, a.wet_c + (b.wet_c - a.wet_c) * w)
    }

    /// Hours of the year whose wet bulb is at most `limit_c` (e.g. a tower's approach below a
    /// water setpoint: the hours it can free-cool).
    pub fn hours_with_wet_bulb_at_or_below(&self, limit_c: f64) -> usize {
        self.hours.iter().filter(|h| h.wet_c <= limit_c).count()
    }
}
