//! The equipment catalog: rated figures for every model a site file can name.
//!
//! The catalog ships as `assets/catalog.ron` (compiled into the binary so `dctwin` works from any
//! directory; `--catalog FILE` reads another one). Every entry cites its source, following
//! `shared/physics-reference.md`.

pub mod footprint;
pub(crate) mod rated;

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::site::problem::{Problem, Problems};
use crate::site::source_map::SourceMap;
use rated::{AsNumber, rated};

rated! {
    /// A utility supply point: the slack source of the load flow.
    GridFeedRating, GridFeedModel, GridFeedOverrides {
        /// Nominal line-to-line voltage at the point of common coupling, kV.
        voltage_kv: f64,
        /// Contracted import capacity, MVA: the feed's limit.
        capacity_mva: f64,
        /// Three-phase short-circuit level at the point of connection, MVA; sets the source
        /// impedance. 0 means an ideal (infinitely stiff) source.
        short_circuit_mva: f64,
        /// X/R ratio of the source impedance.
        x_r: f64,
    }
}

rated! {
    /// A two-winding step-down transformer.
    TransformerRating, TransformerModel, TransformerOverrides {
        /// Rated apparent power, kVA.
        rated_kva: f64,
        /// Rated primary (HV) line-to-line voltage, kV.
        primary_kv: f64,
        /// Rated secondary (LV) line-to-line voltage, kV.
        secondary_kv: f64,
        /// Short-circuit impedance, percent on the rated base.
        impedance_pct: f64,
        /// X/R ratio of the short-circuit impedance.
        x_r: f64,
        /// Core (no-load) loss at rated voltage, kW.
        no_load_loss_kw: f64,
        /// Copper (load) loss at rated current, kW (nameplate; the solver derives R from %Z and X/R).
        load_loss_kw: f64,
    }
}

rated! {
    /// A static UPS. Losses follow `P_loss = P_rated·(a + b·x + c·x²)`, `x = P_out/P_rated`
    /// (Schneider WP108/WP113), with separate coefficients for eco mode.
    UpsRating, UpsModel, UpsOverrides {
        /// Rated real output power, kW.
        rated_kw: f64,
        /// Rated apparent output power, kVA.
        rated_kva: f64,
        /// Input and output line-to-line voltage, kV.
        voltage_kv: f64,
        /// Double conversion: no-load loss, percent of rated kW.
        no_load_loss_pct: f64,
        /// Double conversion: loss proportional to load, percent of output.
        proportional_loss_pct: f64,
        /// Double conversion: square-law loss at rated load, percent of rated kW.
        square_loss_pct: f64,
        /// Eco mode: no-load loss, percent of rated kW.
        eco_no_load_loss_pct: f64,
        /// Eco mode: loss proportional to load, percent of output.
        eco_proportional_loss_pct: f64,
        /// Eco mode: square-law loss at rated load, percent of rated kW.
        eco_square_loss_pct: f64,
        /// Input power factor of the rectifier in double conversion (lagging).
        input_power_factor: f64,
    }
}

/// What kind of low-voltage distribution an element is (all are modelled as a breaker-limited node).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DistributionKind {
    /// Main switchboard or switchgear lineup.
    Switchboard,
    /// Floor-standing power distribution unit.
    Pdu,
    /// Remote power panel.
    Rpp,
    /// Overhead busway (tap-off feeds racks).
    Busway,
}

impl AsNumber for DistributionKind {
    fn as_number(&self) -> Option<f64> {
        None
    }
}

rated! {
    /// A PDU, RPP, busway or switchboard: a node whose limit is its breaker (or bar) current.
    DistributionRating, DistributionModel, DistributionOverrides {
        /// What the element is.
        kind: DistributionKind,
        /// Line-to-line voltage, kV.
        voltage_kv: f64,
        /// Number of phases (3 for everything the solver handles).
        phases: u32,
        /// Breaker or bar rating, A.
        breaker_a: f64,
        /// Continuous-load limit as a percent of `breaker_a`: 80 for a standard breaker
        /// (NEC 210.20(A)/215.3), 100 for a 100 %-rated assembly.
        continuous_pct: f64,
    }
}

rated! {
    /// A rack of IT equipment: a constant-power load.
    RackRating, RackModel, RackOverrides {
        /// Design (maximum sustained) power, kW.
        rated_kw: f64,
        /// Power factor (lagging).
        power_factor: f64,
        /// Supply line-to-line voltage, kV.
        voltage_kv: f64,
        /// Share of the heat that leaves through liquid cooling (0 = all air).
        liquid_fraction: f64,
        /// Airflow drawn per kW of air-side heat, m³/s (sets the rack's ΔT: ΔT = 1/(ρ·c_p·this)).
        airflow_m3_s_per_kw: f64,
        /// Heat capacity of the rack and its servers, kJ/K (slows the room's temperature rise).
        thermal_mass_kj_per_k: f64,
    }
}

rated! {
    /// A chilled-water computer-room air handler: fans and a coil fed by a water loop.
    CrahRating, CrahModel, CrahOverrides {
        /// Cooling delivered at the rating point, kW.
        rated_cooling_kw: f64,
        /// Airflow at full fan speed, m³/s.
        rated_airflow_m3_s: f64,
        /// Fan power at full speed, kW (falls with the cube of speed).
        fan_power_kw: f64,
        /// Lowest fan speed, percent.
        min_fan_speed_pct: f64,
        /// Supply-air setpoint, °C.
        supply_setpoint_c: f64,
        /// Return-air temperature of the rating point, °C.
        rated_return_c: f64,
        /// Entering chilled-water temperature of the rating point, °C.
        rated_water_c: f64,
    }
}

rated! {
    /// A coolant distribution unit: liquid-to-liquid heat exchanger and pumps between the racks'
    /// technology cooling loop and the facility water loop.
    CduRating, CduModel, CduOverrides {
        /// Heat it is rated to move, kW.
        capacity_kw: f64,
        /// Approach at rated load: technology-loop supply minus facility-water supply, K.
        approach_k: f64,
        /// Pump power, kW.
        pump_power_kw: f64,
        /// Technology-loop water volume, m³ (its heat capacity).
        volume_m3: f64,
    }
}

rated! {
    /// An electric chiller, DOE-2 / EnergyPlus `Chiller:Electric:EIR` form.
    ChillerRating, ChillerModel, ChillerOverrides {
        /// Reference capacity, kW.
        capacity_kw: f64,
        /// Reference COP.
        cop_ref: f64,
        /// CAPFT biquadratic in leaving chilled water and entering condenser temperature.
        capft: [f64; 6],
        /// EIRFT biquadratic in the same temperatures.
        eirft: [f64; 6],
        /// EIRFPLR quadratic in part-load ratio.
        eirfplr: [f64; 3],
        /// Lowest part-load ratio before cycling, fraction.
        min_plr: f64,
    }
}

/// How heat leaves the site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum HeatRejectionKind {
    /// Evaporative: leaving water approaches the wet bulb.
    CoolingTower,
    /// Dry: leaving water approaches the dry bulb.
    DryCooler,
}

impl AsNumber for HeatRejectionKind {
    fn as_number(&self) -> Option<f64> {
        None
    }
}

rated! {
    /// A cooling tower or dry cooler.
    HeatRejectionRating, HeatRejectionModel, HeatRejectionOverrides {
        /// Tower or dry cooler.
        kind: HeatRejectionKind,
        /// Heat it can reject at design, kW.
        capacity_kw: f64,
        /// Leaving water minus wet bulb (tower) or dry bulb (dry cooler), K.
        approach_k: f64,
        /// Fan power at full load, kW (cube of the load fraction).
        fan_power_kw: f64,
    }
}

rated! {
    /// A three-phase cable type: series impedance per km and ampacity per conductor set.
    CableRating, CableModel, CableOverrides {
        /// Positive-sequence resistance at operating temperature, Ω/km.
        r_ohm_per_km: f64,
        /// Positive-sequence reactance, Ω/km.
        x_ohm_per_km: f64,
        /// Ampacity of one conductor set, A.
        ampacity_a: f64,
    }
}

/// The whole catalog, keyed by model name (sorted, so output is deterministic).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    /// Catalog format version.
    pub version: u32,
    /// Utility feeds.
    pub grid_feeds: BTreeMap<String, GridFeedModel>,
    /// Transformers.
    pub transformers: BTreeMap<String, TransformerModel>,
    /// UPS systems.
    pub ups: BTreeMap<String, UpsModel>,
    /// PDUs, RPPs, busways and switchboards.
    pub distribution: BTreeMap<String, DistributionModel>,
    /// Rack models.
    pub racks: BTreeMap<String, RackModel>,
    /// Cable types.
    pub cables: BTreeMap<String, CableModel>,
    /// Computer-room air handlers.
    #[serde(default)]
    pub crahs: BTreeMap<String, CrahModel>,
    /// Coolant distribution units.
    #[serde(default)]
    pub cdus: BTreeMap<String, CduModel>,
    /// Chillers.
    #[serde(default)]
    pub chillers: BTreeMap<String, ChillerModel>,
    /// Cooling towers and dry coolers.
    #[serde(default)]
    pub heat_rejection: BTreeMap<String, HeatRejectionModel>,
}

/// The catalog that ships with dctwin.
pub const BUILTIN_CATALOG_RON: &str = include_str!("../../assets/catalog.ron");

/// The file name shown in messages about the built-in catalog.
pub const BUILTIN_CATALOG_NAME: &str = "assets/catalog.ron";

impl Catalog {
    /// The built-in catalog. It is checked by the test suite, so this cannot fail at run time.
    pub fn builtin() -> Catalog {
        Catalog::parse(BUILTIN_CATALOG_RON, BUILTIN_CATALOG_NAME)
            .expect("the built-in catalog is validated by the test suite")
    }

    /// Reads and validates a catalog file.
    pub fn load(path: &Path) -> Result<Catalog, Problems> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Problems::single(Problem::file(path.display().to_string(), format!("cannot read catalog: {e}")))
        })?;
        Catalog::parse(&text, &path.display().to_string())
    }

    /// Parses and validates catalog text; `file` names it in messages.
    pub fn parse(text: &str, file: &str) -> Result<Catalog, Problems> {
        let catalog: Catalog = crate::site::load::parse_ron(text, file)?;
        let map = SourceMap::new(text);
        let mut problems = Problems::default();
        if catalog.version != 1 {
            problems.push(map.problem(
                file,
                "version",
                format!("unsupported catalog version {}; this dctwin reads version 1", catalog.version),
            ));
        }
        type Fields<'a> = Vec<(&'a String, Vec<(&'static str, f64)>)>;
        let sections: [(&str, Fields); 10] = [
            ("grid_feeds", catalog.grid_feeds.iter().map(|(k, m)| (k, m.rating().numeric_fields())).collect()),
            ("transformers", catalog.transformers.iter().map(|(k, m)| (k, m.rating().numeric_fields())).collect()),
            ("ups", catalog.ups.iter().map(|(k, m)| (k, m.rating().numeric_fields())).collect()),
            ("distribution", catalog.distribution.iter().map(|(k, m)| (k, m.rating().numeric_fields())).collect()),
            ("racks", catalog.racks.iter().map(|(k, m)| (k, m.rating().numeric_fields())).collect()),
            ("cables", catalog.cables.iter().map(|(k, m)| (k, m.rating().numeric_fields())).collect()),
            ("crahs", catalog.crahs.iter().map(|(k, m)| (k, m.rating().numeric_fields())).collect()),
            ("cdus", catalog.cdus.iter().map(|(k, m)| (k, m.rating().numeric_fields())).collect()),
            ("chillers", catalog.chillers.iter().map(|(k, m)| (k, m.rating().numeric_fields())).collect()),
            ("heat_rejection", catalog.heat_rejection.iter().map(|(k, m)| (k, m.rating().numeric_fields())).collect()),
        ];
        for (section, entries) in sections {
            for (name, fields) in entries {
                for (field, value) in fields {
                    if let Some(msg) = number_problem(field, value) {
                        let path = format!("{section}{{{name}}}.{field}");
                        problems.push(map.problem(file, &path, format!("catalog model \"{name}\": {msg}")));
                    }
                }
            }
        }
        problems.into_result(catalog)
    }
}

/// Fields that must be strictly positive (a zero rating would divide by zero in the solver).
const STRICTLY_POSITIVE: &[&str] = &[
    "voltage_kv",
    "capacity_mva",
    "rated_kva",
    "primary_kv",
    "secondary_kv",
    "impedance_pct",
    "x_r",
    "rated_kw",
    "breaker_a",
    "continuous_pct",
    "ampacity_a",
    "power_factor",
    "input_power_factor",
    "phases",
];

/// The plain-language problem with a numeric field's value, if any.
pub fn number_problem(field: &str, value: f64) -> Option<String> {
    if !value.is_finite() {
        Some(format!("{field} must be a finite number, not {value}"))
    } else if value < 0.0 {
        Some(format!("{field} must not be negative (got {value})"))
    } else if value == 0.0 && STRICTLY_POSITIVE.contains(&field) {
        Some(format!("{field} must be greater than zero"))
    } else if (field == "power_factor" || field == "input_power_factor") && value > 1.0 {
        Some(format!("{field} must be at most 1 (got {value})"))
    } else if field == "liquid_fraction" && value > 1.0 {
        Some(format!("{field} must be between 0 and 1 (got {value})"))
    } else if field == "phases" && value != 3.0 {
        Some(format!("{field} must be 3: the solver models balanced three-phase equipment (got {value})"))
    } else {
        None
    }
}
