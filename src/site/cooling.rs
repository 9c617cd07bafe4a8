//! Site-file sections for cooling: ambient conditions, zones, water loops and the equipment
//! that moves heat from racks to the outdoors.

use serde::{Deserialize, Serialize};

use crate::catalog::{CduOverrides, ChillerOverrides, CrahOverrides, HeatRejectionOverrides};

/// The constraints of the numbers in the cooling sections, each beside its field's doc.
pub mod limits {
    use crate::constraint::Constraint;
    pub use crate::constraint::{OUTDOOR_C, WATER_TEMPERATURE_C};
    /// [`super::ZoneSpec::volume_m3`].
    pub const ZONE_VOLUME_M3: Constraint = Constraint::range(1.0, 1.0e7, "m³", "from a cabinet to the largest halls");
    /// [`super::WaterLoopSpec::volume_m3`].
    pub const LOOP_VOLUME_M3: Constraint = Constraint::range(0.01, 1.0e5, "m³", "the water of a loop, tanks included");
    /// [`super::WaterLoopSpec::pump_power_kw`].
    pub const PUMP_POWER_KW: Constraint = Constraint::range(0.0, 1.0e4, "kW", "");
}

/// Outdoor conditions: constant, an hourly profile that repeats every 24 h, or a year of
/// weather from an EPW file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmbientSpec {
    /// Dry-bulb temperature, °C (used when `hourly` is empty; [`limits::OUTDOOR_C`]). Required
    /// unless `epw` is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dry_bulb_c: Option<f64>,
    /// Wet-bulb temperature, °C. Required unless `epw` is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wet_bulb_c: Option<f64>,
    /// Optional `(dry bulb, wet bulb)` per hour from midnight; interpolated linearly, repeating.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hourly: Vec<(f64, f64)>,
    /// An EnergyPlus weather file (path relative to the site file): dry and wet bulb hour by
    /// hour over the year from 1 January 00:00, interpolated within the hour. Exclusive with
    /// the three fields above.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epw: Option<String>,
    /// The year `epw` names, read when the site is loaded (never written).
    #[serde(skip)]
    pub weather: Option<LoadedWeather>,
}

/// A weather year read from an EPW file, shared by the copies of a site (a year is ~0.5 MB).
/// Two are equal when they are the same read (copies of one site) or hold the same hours.
#[derive(Clone)]
pub struct LoadedWeather(pub std::sync::Arc<crate::weather::WeatherYear>);

impl PartialEq for LoadedWeather {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0) || *self.0 == *other.0
    }
}

impl std::fmt::Debug for LoadedWeather {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LoadedWeather({} h, {})", self.0.hours().len(), self.0.location().city)
    }
}

impl AmbientSpec {
    /// Constant outdoor conditions.
    pub fn constant(dry_bulb_c: f64, wet_bulb_c: f64) -> AmbientSpec {
        AmbientSpec {
            dry_bulb_c: Some(dry_bulb_c),
            wet_bulb_c: Some(wet_bulb_c),
            hourly: vec![],
            epw: None,
            weather: None,
        }
    }

    /// A year of weather read from the file `epw` (as written in the site file).
    pub fn from_weather(epw: String, weather: crate::weather::WeatherYear) -> AmbientSpec {
        AmbientSpec {
            dry_bulb_c: None,
            wet_bulb_c: None,
            hourly: vec![],
            epw: Some(epw),
            weather: Some(LoadedWeather(std::sync::Arc::new(weather))),
        }
    }

    /// True when the conditions do not change with time.
    pub fn is_constant(&self) -> bool {
        self.epw.is_none() && self.hourly.is_empty()
    }

    /// `(dry bulb, wet bulb)` at simulated time `t_s`. A site that passed validation has
    /// every value this needs; a weather file not read yet reads as 20/14 °C.
    pub fn at(&self, t_s: f64) -> (f64, f64) {
        if let Some(w) = &self.weather {
            return w.0.at(t_s);
        }
        if self.hourly.is_empty() {
            return (self.dry_bulb_c.unwrap_or(20.0), self.wet_bulb_c.unwrap_or(14.0));
        }
        let n = self.hourly.len();
        let h = (t_s / 3600.0).rem_euclid(n as f64);
        let i = (h.floor() as usize) % n;
        let j = (i + 1) % n;
        let w = h - h.floor();
        let (a, b) = (self.hourly[i], self.hourly[j]);
        (a.0 + (b.0 - a.0) * w, a.1 + (b.1 - a.1) * w)
    }
}

/// How well hot exhaust is kept from rack inlets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Containment {
    /// Hot-aisle containment.
    HotAisle,
    /// Cold-aisle containment.
    ColdAisle,
    /// Open hot/cold aisles.
    None,
}

impl Containment {
    /// Share of rack intake that is recirculated exhaust when the CRAHs supply enough air
    /// (estimate: typical ranges quoted for containment effectiveness; grows with any shortfall).
    pub fn base_recirculation(self) -> f64 {
        match self {
            Containment::HotAisle => 0.02,
            Containment::ColdAisle => 0.05,
            Containment::None => 0.15,
        }
    }
}

/// ASHRAE TC9.9 air-cooled equipment classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AshraeClass {
    /// A1: recommended 18–27 °C, allowable 15–32 °C.
    A1,
    /// A2: allowable to 35 °C.
    A2,
    /// A3: allowable to 40 °C.
    A3,
    /// A4: allowable to 45 °C.
    A4,
    /// H1 (high density): recommended 18–22 °C, allowable to 25 °C.
    H1,
}

impl AshraeClass {
    /// Upper end of the recommended inlet range, °C (physics-reference 1.1).
    pub fn recommended_max_c(self) -> f64 {
        match self {
            AshraeClass::H1 => 22.0,
            _ => 27.0,
        }
    }

    /// Upper end of the allowable inlet range, °C (physics-reference 1.1).
    pub fn allowable_max_c(self) -> f64 {
        match self {
            AshraeClass::A1 => 32.0,
            AshraeClass::A2 => 35.0,
            AshraeClass::A3 => 40.0,
            AshraeClass::A4 => 45.0,
            AshraeClass::H1 => 25.0,
        }
    }
}

/// ASHRAE liquid-cooling facility-water classes: the number is the maximum supply, °C.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WaterClass {
    /// Supply ≤ 17 °C.
    W17,
    /// Supply ≤ 27 °C.
    W27,
    /// Supply ≤ 32 °C.
    W32,
    /// Supply ≤ 40 °C.
    W40,
    /// Supply ≤ 45 °C.
    W45,
}

impl WaterClass {
    /// Maximum facility-water supply temperature, °C (physics-reference 1.2).
    pub fn max_supply_c(self) -> f64 {
        match self {
            WaterClass::W17 => 17.0,
            WaterClass::W27 => 27.0,
            WaterClass::W32 => 32.0,
            WaterClass::W40 => 40.0,
            WaterClass::W45 => 45.0,
        }
    }
}

/// A cooling zone: a hall or a contained aisle pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZoneSpec {
    /// Unique id.
    pub id: String,
    /// Air volume, m³ ([`limits::ZONE_VOLUME_M3`]).
    pub volume_m3: f64,
    /// Containment.
    pub containment: Containment,
    /// ASHRAE class of its racks (sets inlet limits).
    pub ashrae_class: AshraeClass,
    /// Floor position of the zone's corner, m.
    pub position_m: (f64, f64),
    /// Its floor area as a polygon, m: drawn on the plan, and a rack standing in it but cooled
    /// by another zone is flagged. Without it the plan draws the zone around its racks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outline_m: Vec<(f64, f64)>,
}

/// A water loop (chilled water or warm facility water) with its pumps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaterLoopSpec {
    /// Unique id.
    pub id: String,
    /// Supply temperature setpoint, °C ([`limits::WATER_TEMPERATURE_C`]).
    pub supply_setpoint_c: f64,
    /// Water volume, m³ (its heat capacity; [`limits::LOOP_VOLUME_M3`]).
    pub volume_m3: f64,
    /// ASHRAE W class of the facility water, when it feeds liquid-cooled racks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub water_class: Option<WaterClass>,
    /// Pump power, kW (drawn while the pumps run; [`limits::PUMP_POWER_KW`]).
    pub pump_power_kw: f64,
    /// Electrical supply of the duty pump set.
    pub upstream: String,
    /// Electrical supplies of standby pump sets (each full duty, on its own supply): the loop
    /// keeps its water flowing while any set has power.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub standby_pumps: Vec<String>,
    /// Floor position, m.
    pub position_m: (f64, f64),
    /// False takes the loop's pumps out of service: no water flows, so its coils, CDUs and
    /// chillers move no heat.
    #[serde(default = "super::yes", skip_serializing_if = "super::is_true")]
    pub in_service: bool,
    /// Common-mode groups it belongs to (one substation, one room, one supplier's batch): a
    /// contingency sweep also fails each group as one case.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub common_mode: Vec<String>,
}

/// A loop's setpoint within its water class; each standby pump set on a supply of its own.
pub(super) fn loop_problems(
    l: &WaterLoopSpec,
    _: &crate::catalog::Catalog,
    _: super::spec::SiteFacts,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(class) = l.water_class
        && l.supply_setpoint_c > class.max_supply_c()
    {
        out.push((
            "supply_setpoint_c".to_string(),
            format!("setpoint {} °C is above the {class:?} limit of {} °C", l.supply_setpoint_c, class.max_supply_c()),
        ));
    }
    for (k, standby) in l.standby_pumps.iter().enumerate() {
        if *standby == l.upstream || l.standby_pumps[..k].contains(standby) {
            out.push((
                format!("standby_pumps[{k}]"),
                format!("pump set supply \"{standby}\" is listed twice; a standby set needs its own supply"),
            ));
        }
    }
    out
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

macro_rules! cooling_unit {
    ($(#[$meta:meta])* $Spec:ident, $Overrides:ty, $($(#[$fmeta:meta])* $field:ident),*) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $Spec {
            /// Unique id.
            pub id: String,
            /// Catalog model.
            pub model: String,
            $($(#[$fmeta])* pub $field: String,)*
            /// Electrical supply (a distribution element or UPS).
            pub upstream: String,
            /// Per-instance changes to the catalog rating.
            #[serde(default, skip_serializing_if = "is_default")]
            pub overrides: $Overrides,
            /// Floor position, m.
            pub position_m: (f64, f64),
            /// Rotation about the vertical axis, degrees.
            #[serde(default, skip_serializing_if = "super::is_zero")]
            pub rotation_deg: f64,
            /// False takes the unit out of service.
            #[serde(default = "super::yes", skip_serializing_if = "super::is_true")]
            pub in_service: bool,
            /// Common-mode groups it belongs to (one substation, one room, one supplier's batch): a
            /// contingency sweep also fails each group as one case.
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            pub common_mode: Vec<String>,
        }
    };
}

cooling_unit!(
    /// A chilled-water CRAH serving a zone.
    CrahSpec, CrahOverrides,
    /// Zone it cools.
    zone,
    /// Water loop feeding its coil.
    water_loop
);
cooling_unit!(
    /// A CDU serving the liquid-cooled racks that name it.
    CduSpec, CduOverrides,
    /// Facility water loop it rejects heat to.
    water_loop
);
cooling_unit!(
    /// A chiller cooling a water loop.
    ChillerSpec, ChillerOverrides,
    /// Loop it cools.
    water_loop
);
cooling_unit!(
    /// A cooling tower or dry cooler: rejects a loop's heat (directly when free cooling is
    /// possible, else from the chillers' condensers).
    HeatRejectionSpec, HeatRejectionOverrides,
    /// Loop it serves.
    water_loop
);
