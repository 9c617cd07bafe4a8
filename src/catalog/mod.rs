//! The equipment catalog: rated figures for every model a site file can name.
//!
//! The catalog ships as `assets/catalog.ron` (compiled into the binary so `dctwin` works from any
//! directory; `--catalog FILE` reads another one). Every entry cites its source, following
//! `shared/physics-reference.md`.

pub mod economics;
pub mod footprint;
pub mod rated;

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::constraint::{
    CHOICE, CURVE_COEFFICIENT, Constraint, FRACTION, POWER_FACTOR, VOLTAGE_KV, WATER_TEMPERATURE_C, X_R,
};
use crate::kinds::EquipmentKind;
use crate::site::problem::{Problem, Problems};
use crate::site::source_map::SourceMap;
use rated::{CatalogModel, Numeric, Rating, rated};

/// UPS loss coefficients, percent: real units lose a few percent.
const UPS_LOSS_PCT: Constraint = Constraint::range(0.0, 20.0, "%", "UPS losses are a few percent of the rating");

rated! {
    /// A utility supply point: the slack source of the load flow.
    GridFeedRating, GridFeedModel, GridFeedOverrides {
        /// Nominal line-to-line voltage at the point of common coupling, kV.
        voltage_kv: f64 => VOLTAGE_KV,
        /// Contracted import capacity, MVA: the feed's limit.
        capacity_mva: f64 => Constraint::range(0.01, 10_000.0, "MVA", "a contracted import capacity"),
        /// Three-phase short-circuit level at the point of connection, MVA; sets the source
        /// impedance. 0 means an ideal (infinitely stiff) source.
        short_circuit_mva: f64 => Constraint::range(1.0, 1.0e6, "MVA", "a short-circuit level of a real supply point").or_zero("an ideal (infinitely stiff) source"),
        /// X/R ratio of the source impedance.
        x_r: f64 => X_R,
    }
}

rated! {
    /// A standby generator set (engine and alternator): a source while it runs, its voltage held
    /// by its regulator.
    GeneratorRating, GeneratorModel, GeneratorOverrides {
        /// Rated apparent power, kVA.
        rated_kva: f64 => Constraint::range(10.0, 1.0e5, "kVA", "generator sets"),
        /// Rated real power (its data-centre continuous rating), kW.
        rated_kw: f64 => Constraint::range(10.0, 1.0e5, "kW", "generator sets"),
        /// Line-to-line voltage, kV.
        voltage_kv: f64 => VOLTAGE_KV,
        /// From the start signal to rated voltage and frequency, s (NFPA 110 Type 10: 10 s).
        start_s: f64 => Constraint::range(0.0, 600.0, "s", "engine start to rated voltage and frequency (NFPA 110 Type 10: at most 10 s)"),
        /// The largest load step it accepts at once, % of rated kW (ISO 8528-5 load acceptance:
        /// a G2 set takes 0 → 50 → 80 → 100 %, so 50 % first).
        first_step_pct: f64 => Constraint::range(10.0, 100.0, "%", "the first load block of ISO 8528-5 load acceptance"),
        /// Fuel in its tank, in hours at rated load.
        fuel_hours: f64 => Constraint::range(0.1, 1000.0, "h", "tank autonomy at rated load"),
        /// Unloaded run after its load leaves before it stops, s.
        cooldown_s: f64 => Constraint::range(0.0, 3600.0, "s", "engine cooldown, 1-10 min"),
    }
}

rated! {
    /// An automatic transfer switch and its controller's timers.
    TransferSwitchRating, TransferSwitchModel, TransferSwitchOverrides {
        /// Continuous current rating, A.
        rated_a: f64 => Constraint::range(1.0, 10_000.0, "A", "transfer switches up to 10 kA"),
        /// Line-to-line voltage, kV.
        voltage_kv: f64 => VOLTAGE_KV,
        /// The preferred source must stay lost this long before the generator is started, s
        /// (rides through momentary outages).
        engine_start_delay_s: f64 => Constraint::range(0.0, 60.0, "s", "time delay engine start, typically 3 s"),
        /// The alternate must be acceptable this long before the load moves to it, s.
        transfer_delay_s: f64 => Constraint::range(0.0, 300.0, "s", "time delay normal to emergency"),
        /// The preferred must be back and acceptable this long before the load returns to it, s.
        retransfer_delay_s: f64 => Constraint::range(0.0, 7200.0, "s", "time delay emergency to normal, 5-30 min"),
        /// A source is acceptable within ± this of its nominal voltage, %.
        voltage_window_pct: f64 => Constraint::range(1.0, 50.0, "%", "a voltage pickup band"),
        /// How long the load is without power while it changes source, s: ~0.1 s for the open
        /// transition of a mechanical switch, a quarter cycle (≤ 5 ms) for a static switch.
        transfer_time_s: f64 => Constraint::range(0.0, 10.0, "s", "a quarter cycle for a static switch, about 0.1 s open transition for a mechanical one"),
    }
}

/// The longest gap IT power supplies ride through: the ITIC (CBEMA) curve's no-interruption
/// region holds for a total loss of voltage up to 20 ms.
pub const ITIC_RIDE_THROUGH_S: f64 = 0.02;

impl TransferSwitchRating {
    /// A static switch: its transfer is shorter than what IT power supplies ride through, so
    /// it follows its sources at once (its timers do not apply).
    pub fn is_static(&self) -> bool {
        self.transfer_time_s <= ITIC_RIDE_THROUGH_S
    }
}

rated! {
    /// A two-winding step-down transformer.
    TransformerRating, TransformerModel, TransformerOverrides {
        /// Rated apparent power, kVA.
        rated_kva: f64 => Constraint::range(1.0, 1.0e6, "kVA", "distribution to substation transformers"),
        /// Rated primary (HV) line-to-line voltage, kV.
        primary_kv: f64 => VOLTAGE_KV,
        /// Rated secondary (LV) line-to-line voltage, kV.
        secondary_kv: f64 => VOLTAGE_KV,
        /// Short-circuit impedance |Z|, percent on the rated base (sets the reactance:
        /// `X = √(Z² − R²)`).
        impedance_pct: f64 => Constraint::range(0.5, 30.0, "%", "the short-circuit impedance of power transformers"),
        /// Core (no-load) loss at rated voltage, kW (the magnetising branch's conductance).
        no_load_loss_kw: f64 => Constraint::range(0.0, 1.0e4, "kW", ""),
        /// Copper (load) loss at rated current, kW: sets the winding resistance
        /// `R = P_k/S_n` per unit (IEC 60076-1; pandapower's `vkr_percent`).
        load_loss_kw: f64 => Constraint::range(0.0, 1.0e5, "kW", ""),
        /// No-load (exciting) current, percent of rated current: the magnitude of the magnetising
        /// branch; its reactive part is `√(i0² − (100·P0/S_n)²)` (pandapower's `i0_percent`).
        no_load_current_pct: f64 => Constraint::range(0.0, 10.0, "%", "exciting currents of power transformers are a few percent at most"),
    }
}

rated! {
    /// A static UPS. Losses follow `P_loss = P_rated·(a + b·x + c·x²)`, `x = P_out/P_rated`
    /// (Schneider WP108/WP113), with separate coefficients for eco mode.
    UpsRating, UpsModel, UpsOverrides {
        /// Rated real output power, kW.
        rated_kw: f64 => Constraint::range(1.0, 1.0e5, "kW", "static UPS modules and systems"),
        /// Rated apparent output power, kVA.
        rated_kva: f64 => Constraint::range(1.0, 1.0e5, "kVA", "static UPS modules and systems"),
        /// Input and output line-to-line voltage, kV.
        voltage_kv: f64 => VOLTAGE_KV,
        /// Double conversion: no-load loss, percent of rated kW.
        no_load_loss_pct: f64 => UPS_LOSS_PCT,
        /// Double conversion: loss proportional to load, percent of output.
        proportional_loss_pct: f64 => UPS_LOSS_PCT,
        /// Double conversion: square-law loss at rated load, percent of rated kW.
        square_loss_pct: f64 => UPS_LOSS_PCT,
        /// Eco mode: no-load loss, percent of rated kW.
        eco_no_load_loss_pct: f64 => UPS_LOSS_PCT,
        /// Eco mode: loss proportional to load, percent of output.
        eco_proportional_loss_pct: f64 => UPS_LOSS_PCT,
        /// Eco mode: square-law loss at rated load, percent of rated kW.
        eco_square_loss_pct: f64 => UPS_LOSS_PCT,
        /// Input power factor of the rectifier in double conversion (lagging).
        input_power_factor: f64 => POWER_FACTOR,
        /// Usable battery energy, kWh: what carries the load when the input is lost (0 = none).
        battery_kwh: f64 => Constraint::range(0.1, 1.0e5, "kWh", "UPS batteries, from seconds to hours of autonomy").or_zero("no battery: the load drops with the input"),
        /// Power the charger draws to recharge the battery after a discharge, kW.
        battery_recharge_kw: f64 => Constraint::range(0.0, 1.0e4, "kW", "a charger draws a fraction of the UPS rating"),
        /// Peukert exponent of the battery: 1 for li-ion, about 1.25 for VRLA at UPS rates.
        peukert_exponent: f64 => Constraint::range(1.0, 1.6, "", "1 for li-ion, about 1.25 for VRLA"),
        /// Rectifier hold-off after the input returns, s: the battery still carries the load.
        hold_off_s: f64 => Constraint::range(0.0, 60.0, "s", "rectifier hold-off, up to 3 s in vendor specifications"),
        /// Rectifier walk-in ramp after the hold-off, s: the input takes the load over linearly
        /// while the battery carries the rest (0 = a step).
        walk_in_s: f64 => Constraint::range(0.0, 120.0, "s", "walk-in ramps of 5-30 s are selectable on UPS rectifiers"),
        /// The rectifier accepts its input down to this far below nominal, %: below it (a sag)
        /// the UPS goes to battery as if the input were lost.
        input_low_pct: f64 => Constraint::range(1.0, 50.0, "%", "input voltage tolerance, typically 10-20 % below nominal"),
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

impl Numeric for DistributionKind {
    fn numbers(&self) -> Vec<f64> {
        vec![]
    }
    fn set_number(&mut self, _: usize, _: f64) -> bool {
        false
    }
}

rated! {
    /// A PDU, RPP, busway or switchboard: a node whose limit is its breaker (or bar) current.
    DistributionRating, DistributionModel, DistributionOverrides {
        /// What the element is.
        kind: DistributionKind => CHOICE,
        /// Line-to-line voltage, kV.
        voltage_kv: f64 => VOLTAGE_KV,
        /// Number of phases (3 for everything the solver handles).
        phases: u32 => Constraint::range(3.0, 3.0, "", "the solver models balanced three-phase equipment").whole(),
        /// Breaker or bar rating, A.
        breaker_a: f64 => Constraint::range(1.0, 10_000.0, "A", "breakers and busbars up to 10 kA"),
        /// Continuous-load limit as a percent of `breaker_a`: 80 for a standard breaker
        /// (NEC 210.20(A)/215.3), 100 for a 100 %-rated assembly.
        continuous_pct: f64 => Constraint::range(50.0, 100.0, "%", "80 for a standard breaker (NEC 210.20(A)), 100 for a 100 %-rated assembly"),
    }
}

rated! {
    /// A rack of IT equipment: a constant-power load.
    RackRating, RackModel, RackOverrides {
        /// Design (maximum sustained) power, kW.
        rated_kw: f64 => Constraint::range(0.1, 2000.0, "kW", "one rack, from a network rack to a megawatt-class accelerator rack"),
        /// Power factor (lagging).
        power_factor: f64 => POWER_FACTOR,
        /// Supply line-to-line voltage, kV.
        voltage_kv: f64 => VOLTAGE_KV,
        /// Share of the heat that leaves through liquid cooling (0 = all air).
        liquid_fraction: f64 => FRACTION,
        /// Airflow drawn per kW of air-side heat, m³/s (sets the rack's ΔT: ΔT = 1/(ρ·c_p·this)).
        airflow_m3_s_per_kw: f64 => Constraint::range(0.01, 0.5, "m³/s per kW", "a rack air temperature rise between about 2 and 80 K"),
        /// Heat capacity of the rack and its servers, kJ/K (slows the room's temperature rise).
        thermal_mass_kj_per_k: f64 => Constraint::range(0.0, 1.0e5, "kJ/K", "up to some tonnes of steel"),
        /// Time constant of that mass against the air passing through it, s (`G = C/τ`): how
        /// long the metal takes to follow the air.
        mass_time_constant_s: f64 => Constraint::range(1.0, 7200.0, "s", "servers follow their air within minutes"),
        /// Inlet air temperature above which the servers throttle (power falls linearly to
        /// half at the trip temperature), °C.
        throttle_inlet_c: f64 => Constraint::range(20.0, 80.0, "°C", "server inlet limits"),
        /// Inlet air temperature at which the servers shut down (they restart once the inlet is
        /// back below the throttle temperature), °C.
        trip_inlet_c: f64 => Constraint::range(20.0, 90.0, "°C", "server inlet limits"),
        /// Technology-loop (coolant) supply above which a liquid-cooled rack throttles, °C.
        throttle_liquid_c: f64 => Constraint::range(20.0, 90.0, "°C", "coolant supply limits"),
        /// Coolant supply at which a liquid-cooled rack shuts down, °C.
        trip_liquid_c: f64 => Constraint::range(20.0, 95.0, "°C", "coolant supply limits"),
    }
}

rated! {
    /// A chilled-water computer-room air handler: fans and a coil fed by a water loop.
    CrahRating, CrahModel, CrahOverrides {
        /// Cooling delivered at the rating point, kW.
        rated_cooling_kw: f64 => Constraint::range(1.0, 5000.0, "kW", "room air handlers"),
        /// Airflow at full fan speed, m³/s.
        rated_airflow_m3_s: f64 => Constraint::range(0.1, 200.0, "m³/s", "room air handlers"),
        /// Fan power at full speed, kW (falls with the cube of speed).
        fan_power_kw: f64 => Constraint::range(0.0, 1000.0, "kW", ""),
        /// Lowest fan speed, percent.
        min_fan_speed_pct: f64 => Constraint::range(0.0, 100.0, "%", "a share of full fan speed"),
        /// Supply-air setpoint, °C.
        supply_setpoint_c: f64 => Constraint::range(5.0, 40.0, "°C", "supply air of a data hall"),
        /// Return-air temperature of the rating point, °C.
        rated_return_c: f64 => Constraint::range(10.0, 70.0, "°C", "return air of a data hall"),
        /// Entering chilled-water temperature of the rating point, °C.
        rated_water_c: f64 => WATER_TEMPERATURE_C,
        /// Water temperature rise across the coil at the rating point, K: sets the rated water
        /// flow (`Q/(c_p·ΔT)`), the valve fully open.
        rated_water_rise_k: f64 => Constraint::range(1.0, 20.0, "K", "chilled-water coil temperature rises"),
        /// Seconds from its power returning to running again (controls boot, fans or pumps ramp,
        /// a chiller's restart sequence): the cooling it does not give meanwhile heats the hall.
        restart_s: f64 => Constraint::range(0.0, 3600.0, "s", "restart delays of cooling equipment, seconds to tens of minutes"),
    }
}

rated! {
    /// A coolant distribution unit: liquid-to-liquid heat exchanger and pumps between the racks'
    /// technology cooling loop and the facility water loop.
    CduRating, CduModel, CduOverrides {
        /// Heat it is rated to move, kW.
        capacity_kw: f64 => Constraint::range(1.0, 1.0e5, "kW", "rack to row to hall CDUs"),
        /// Approach at rated load: technology-loop supply minus facility-water supply, K.
        approach_k: f64 => Constraint::range(0.5, 30.0, "K", "liquid-to-liquid heat exchangers (typically 3–5 K)"),
        /// Pump power, kW.
        pump_power_kw: f64 => Constraint::range(0.0, 1000.0, "kW", ""),
        /// Technology-loop water volume, m³ (its heat capacity).
        volume_m3: f64 => Constraint::range(0.01, 1000.0, "m³", "the water of a technology cooling loop"),
        /// Seconds from its power returning to running again (controls boot, fans or pumps ramp,
        /// a chiller's restart sequence): the cooling it does not give meanwhile heats the hall.
        restart_s: f64 => Constraint::range(0.0, 3600.0, "s", "restart delays of cooling equipment, seconds to tens of minutes"),
    }
}

rated! {
    /// An electric chiller, DOE-2 / EnergyPlus `Chiller:Electric:EIR` form.
    ChillerRating, ChillerModel, ChillerOverrides {
        /// Reference capacity, kW.
        capacity_kw: f64 => Constraint::range(10.0, 1.0e5, "kW", "electric chillers"),
        /// Reference COP.
        cop_ref: f64 => Constraint::range(1.0, 15.0, "", "reference COP of electric chillers (EnergyPlus data set: 4.4–11.8)"),
        /// CAPFT biquadratic in leaving chilled water and entering condenser temperature.
        capft: [f64; 6] => CURVE_COEFFICIENT,
        /// EIRFT biquadratic in the same temperatures.
        eirft: [f64; 6] => CURVE_COEFFICIENT,
        /// EIRFPLR quadratic in part-load ratio.
        eirfplr: [f64; 3] => CURVE_COEFFICIENT,
        /// Lowest part-load ratio before cycling, fraction.
        min_plr: f64 => FRACTION,
        /// Leaving chilled-water temperatures over which the curves are valid, °C: inputs are
        /// held within `(low, high)` when the curves are evaluated.
        curve_chw_c: [f64; 2] => WATER_TEMPERATURE_C,
        /// Entering condenser-water temperatures over which the curves are valid, °C.
        curve_cw_c: [f64; 2] => WATER_TEMPERATURE_C,
        /// Entering condenser water above which the chiller trips on high head pressure, °C.
        max_condenser_c: f64 => WATER_TEMPERATURE_C,
        /// Seconds from its power returning to running again (controls boot, fans or pumps ramp,
        /// a chiller's restart sequence): the cooling it does not give meanwhile heats the hall.
        restart_s: f64 => Constraint::range(0.0, 3600.0, "s", "restart delays of cooling equipment, seconds to tens of minutes"),
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

impl Numeric for HeatRejectionKind {
    fn numbers(&self) -> Vec<f64> {
        vec![]
    }
    fn set_number(&mut self, _: usize, _: f64) -> bool {
        false
    }
}

rated! {
    /// A cooling tower or dry cooler.
    HeatRejectionRating, HeatRejectionModel, HeatRejectionOverrides {
        /// Tower or dry cooler.
        kind: HeatRejectionKind => CHOICE,
        /// Heat it can reject at design, kW.
        capacity_kw: f64 => Constraint::range(1.0, 1.0e6, "kW", "cooling towers and dry coolers"),
        /// Leaving water minus wet bulb (tower) or dry bulb (dry cooler), K.
        approach_k: f64 => Constraint::range(0.5, 30.0, "K", "leaving water above the wet or dry bulb"),
        /// Fan power at full load, kW (cube of the load fraction).
        fan_power_kw: f64 => Constraint::range(0.0, 1.0e4, "kW", ""),
        /// Seconds from its power returning to running again (controls boot, fans or pumps ramp,
        /// a chiller's restart sequence): the cooling it does not give meanwhile heats the hall.
        restart_s: f64 => Constraint::range(0.0, 3600.0, "s", "restart delays of cooling equipment, seconds to tens of minutes"),
    }
}

rated! {
    /// A three-phase cable type: series impedance per km and ampacity per conductor set.
    CableRating, CableModel, CableOverrides {
        /// Positive-sequence resistance at operating temperature, Ω/km.
        r_ohm_per_km: f64 => Constraint::range(0.001, 100.0, "Ω/km", "power cables"),
        /// Positive-sequence reactance, Ω/km.
        x_ohm_per_km: f64 => Constraint::range(0.0, 100.0, "Ω/km", "power cables"),
        /// Ampacity of one conductor set, A.
        ampacity_a: f64 => Constraint::range(1.0, 10_000.0, "A", "one conductor set"),
    }
}

/// Generates [`Catalog`] (one section per kind with a catalog model, plus cables), the
/// [`Modelled`](crate::site::spec::Modelled) implementation of each kind's spec, and the checks
/// of every section, from the table of kinds.
macro_rules! define_catalog {
    (
        nodes: [ $( $NKind:ident { section: $nsection:ident, key: $nkey:literal, label: $nlabel:literal, noun: $nnoun:literal,
            prefix: $nprefix:literal, spec: $NSpec:ident, file: $nfile:tt, model: $NModel:ident, $($nrest:tt)* } ),* $(,)? ],
        loads: [ $( $LKind:ident { section: $lsection:ident, key: $lkey:literal, label: $llabel:literal, noun: $lnoun:literal,
            prefix: $lprefix:literal, spec: $LSpec:ident, file: $lfile:tt, model: $LModel:ident, $($lrest:tt)* } ),* $(,)? ],
        spaces: [ $($srest:tt)* ],
        units: [ $( $UKind:ident { section: $usection:ident, key: $ukey:literal, label: $ulabel:literal, noun: $unoun:literal,
            prefix: $uprefix:literal, spec: $USpec:ident, file: $ufile:tt, model: $UModel:ident, $($urest:tt)* } ),* $(,)? ] $(,)?
    ) => {
        /// The whole catalog, keyed by model name (sorted, so output is deterministic).
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct Catalog {
            /// Catalog format version.
            pub version: u32,
            $(
                #[doc = concat!($nlabel, " models.")]
                #[serde(default)]
                pub $nsection: BTreeMap<String, $NModel>,
            )*
            $(
                #[doc = concat!($llabel, " models.")]
                #[serde(default)]
                pub $lsection: BTreeMap<String, $LModel>,
            )*
            /// Cable types (feeders).
            pub cables: BTreeMap<String, CableModel>,
            $(
                #[doc = concat!($ulabel, " models.")]
                #[serde(default)]
                pub $usection: BTreeMap<String, $UModel>,
            )*
        }

        $( define_catalog!(@modelled $NSpec, $NModel, $nsection); )*
        $( define_catalog!(@modelled $LSpec, $LModel, $lsection); )*
        $( define_catalog!(@modelled $USpec, $UModel, $usection); )*

        impl Catalog {
            /// Model names of `kind`, sorted (empty for kinds without a catalog model).
            pub fn model_names(&self, kind: EquipmentKind) -> Vec<String> {
                match kind {
                    $( EquipmentKind::$NKind => self.$nsection.keys().cloned().collect(), )*
                    $( EquipmentKind::$LKind => self.$lsection.keys().cloned().collect(), )*
                    $( EquipmentKind::$UKind => self.$usection.keys().cloned().collect(), )*
                    _ => vec![],
                }
            }

            /// The cost and schedule of model `name` of `kind` (absent: no such model, or not
            /// priced).
            pub fn economics(&self, kind: EquipmentKind, name: &str) -> Option<&economics::Economics> {
                use rated::CatalogModel as _;
                match kind {
                    $( EquipmentKind::$NKind => self.$nsection.get(name).and_then(|m| m.economics()), )*
                    $( EquipmentKind::$LKind => self.$lsection.get(name).and_then(|m| m.economics()), )*
                    $( EquipmentKind::$UKind => self.$usection.get(name).and_then(|m| m.economics()), )*
                    _ => None,
                }
            }

            /// Model `name` of `kind` as JSON (its fields by name; absent: no such model).
            pub fn model_json(&self, kind: EquipmentKind, name: &str) -> Option<serde_json::Value> {
                match kind {
                    $( EquipmentKind::$NKind => self.$nsection.get(name).and_then(|m| serde_json::to_value(m).ok()), )*
                    $( EquipmentKind::$LKind => self.$lsection.get(name).and_then(|m| serde_json::to_value(m).ok()), )*
                    $( EquipmentKind::$UKind => self.$usection.get(name).and_then(|m| serde_json::to_value(m).ok()), )*
                    _ => None,
                }
            }

            /// The numbers of model `name` of `kind`'s rating, in field order (empty when there
            /// is no such model).
            pub fn model_numbers(&self, kind: EquipmentKind, name: &str) -> Vec<rated::NumericField> {
                match kind {
                    $( EquipmentKind::$NKind => self.$nsection.get(name).map(|m| m.rating().numeric_fields()), )*
                    $( EquipmentKind::$LKind => self.$lsection.get(name).map(|m| m.rating().numeric_fields()), )*
                    $( EquipmentKind::$UKind => self.$usection.get(name).map(|m| m.rating().numeric_fields()), )*
                    _ => None,
                }
                .unwrap_or_default()
            }

            /// A plausibility warning (not a refusal) for `value` in rating field `field`
            /// (`index` for arrays) of an element of model `name`: far (over 4×) from the
            /// model's own figure, as a value typed in the wrong unit would be.
            pub fn implausible(
                &self,
                kind: EquipmentKind,
                name: &str,
                field: &str,
                index: Option<usize>,
                value: f64,
            ) -> Option<String> {
                let numbers = self.model_numbers(kind, name);
                let f = numbers.iter().find(|f| f.name == field && f.index == index)?;
                let ratio = value / f.value;
                if !(f.value > 0.0 && value > 0.0) || (0.25..=4.0).contains(&ratio) {
                    return None;
                }
                let unit = if f.constraint.unit.is_empty() { String::new() } else { format!(" {}", f.constraint.unit) };
                let times = if ratio > 1.0 { format!("{ratio:.0}×") } else { format!("1/{:.0}", 1.0 / ratio) };
                Some(format!(
                    "{value}{unit} is {times} the {name}'s {}{unit}: check the figure and its unit",
                    f.value
                ))
            }

            /// The kinds (by noun; "cable" for cables) whose section has a model named `name`.
            pub fn sections_with(&self, name: &str) -> Vec<&'static str> {
                let mut out = Vec::new();
                $( if self.$nsection.contains_key(name) { out.push($nnoun); } )*
                $( if self.$lsection.contains_key(name) { out.push($lnoun); } )*
                if self.cables.contains_key(name) { out.push("cable"); }
                $( if self.$usection.contains_key(name) { out.push($unoun); } )*
                out
            }

            /// `(path, message)` for every number out of range and every inconsistent rating.
            fn section_problems(&self) -> Vec<(String, String)> {
                let mut out = Vec::new();
                $( section_problems(&mut out, stringify!($nsection), &self.$nsection); )*
                $( section_problems(&mut out, stringify!($lsection), &self.$lsection); )*
                section_problems(&mut out, "cables", &self.cables);
                $( section_problems(&mut out, stringify!($usection), &self.$usection); )*
                out
            }
        }
    };
    (@modelled $Spec:ident, $Model:ident, $section:ident) => {
        impl crate::site::spec::Modelled for crate::site::$Spec {
            type Model = $Model;
            fn models(catalog: &Catalog) -> &BTreeMap<String, $Model> {
                &catalog.$section
            }
            fn model(&self) -> &str {
                &self.model
            }
            fn overrides(&self) -> &crate::site::spec::OverridesOf<Self> {
                &self.overrides
            }
            fn overrides_mut(&mut self) -> &mut crate::site::spec::OverridesOf<Self> {
                &mut self.overrides
            }
        }
    };
}
crate::kinds::equipment_kinds!(define_catalog);

/// Adds the problems of every model in one catalog section to `out`.
fn section_problems<M: CatalogModel>(out: &mut Vec<(String, String)>, section: &str, models: &BTreeMap<String, M>) {
    for (name, model) in models {
        let rating = model.rating();
        for n in rating.numeric_fields() {
            if let Some(msg) = n.problem() {
                out.push((format!("{section}{{{name}}}.{}", n.path()), format!("catalog model \"{name}\": {msg}")));
            }
        }
        let cross = if rating.numbers_valid() { rating.inconsistencies() } else { vec![] };
        for (field, msg) in cross {
            out.push((format!("{section}{{{name}}}.{field}"), format!("catalog model \"{name}\": {msg}")));
        }
        for (field, msg) in model.economics().map(|e| e.problems()).unwrap_or_default() {
            out.push((format!("{section}{{{name}}}.economics.{field}"), format!("catalog model \"{name}\": {msg}")));
        }
    }
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
        for (path, msg) in catalog.section_problems() {
            problems.push(map.problem(file, &path, msg));
        }
        problems.into_result(catalog)
    }
}

pub use rated::RatingRules;

impl RatingRules for GridFeedRating {
    fn nominal_kv(&self) -> Option<(f64, Option<f64>)> {
        Some((self.voltage_kv, Some(self.voltage_kv)))
    }

    fn inconsistencies(&self) -> Vec<(&'static str, String)> {
        vec![]
    }
}

/// A real-power rating above the apparent-power one: a power factor above 1.
fn real_above_apparent(rated_kw: f64, rated_kva: f64) -> Vec<(&'static str, String)> {
    if rated_kw > rated_kva * (1.0 + 1e-9) {
        vec![(
            "rated_kw",
            format!("rated_kw {rated_kw} is above rated_kva {rated_kva}: the power factor would exceed 1"),
        )]
    } else {
        vec![]
    }
}

impl RatingRules for GeneratorRating {
    fn nominal_kv(&self) -> Option<(f64, Option<f64>)> {
        Some((self.voltage_kv, Some(self.voltage_kv)))
    }

    fn inconsistencies(&self) -> Vec<(&'static str, String)> {
        real_above_apparent(self.rated_kw, self.rated_kva)
    }
}

impl RatingRules for TransferSwitchRating {
    fn nominal_kv(&self) -> Option<(f64, Option<f64>)> {
        Some((self.voltage_kv, Some(self.voltage_kv)))
    }

    fn inconsistencies(&self) -> Vec<(&'static str, String)> {
        vec![]
    }
}

impl RatingRules for TransformerRating {
    fn nominal_kv(&self) -> Option<(f64, Option<f64>)> {
        Some((self.primary_kv, Some(self.secondary_kv)))
    }

    /// Load loss sets R, so it must leave room for a reactance inside |Z|; the no-load current
    /// must be at least its own loss component; both losses must be plausible fractions.
    fn inconsistencies(&self) -> Vec<(&'static str, String)> {
        let mut v = Vec::new();
        let r_pct = self.load_loss_kw / self.rated_kva * 100.0;
        if r_pct >= self.impedance_pct {
            v.push(("load_loss_kw", format!(
                "load loss {} kW is {r_pct:.3} % of the rating, at or above the {} % impedance: the winding resistance cannot exceed |Z|",
                self.load_loss_kw, self.impedance_pct
            )));
        }
        let core_pct = self.no_load_loss_kw / self.rated_kva * 100.0;
        if self.no_load_current_pct < core_pct {
            v.push(("no_load_current_pct", format!(
                "no-load current {} % is below its own loss component ({core_pct:.3} % from the {} kW no-load loss)",
                self.no_load_current_pct, self.no_load_loss_kw
            )));
        }
        if self.no_load_loss_kw > 0.05 * self.rated_kva {
            v.push((
                "no_load_loss_kw",
                format!(
                    "no-load loss {} kW is over 5 % of the {} kVA rating; real transformers lose well under 1 %",
                    self.no_load_loss_kw, self.rated_kva
                ),
            ));
        }
        if self.load_loss_kw > 0.1 * self.rated_kva {
            v.push((
                "load_loss_kw",
                format!(
                    "load loss {} kW is over 10 % of the {} kVA rating; real transformers lose 1–2 %",
                    self.load_loss_kw, self.rated_kva
                ),
            ));
        }
        v
    }
}

impl RatingRules for UpsRating {
    fn nominal_kv(&self) -> Option<(f64, Option<f64>)> {
        Some((self.voltage_kv, Some(self.voltage_kv)))
    }

    fn inconsistencies(&self) -> Vec<(&'static str, String)> {
        real_above_apparent(self.rated_kw, self.rated_kva)
    }
}

impl RatingRules for DistributionRating {
    fn nominal_kv(&self) -> Option<(f64, Option<f64>)> {
        Some((self.voltage_kv, Some(self.voltage_kv)))
    }

    fn inconsistencies(&self) -> Vec<(&'static str, String)> {
        vec![]
    }
}

impl RatingRules for RackRating {
    fn nominal_kv(&self) -> Option<(f64, Option<f64>)> {
        Some((self.voltage_kv, None))
    }

    /// Each protection must throttle before it trips.
    fn inconsistencies(&self) -> Vec<(&'static str, String)> {
        let mut v = Vec::new();
        if self.trip_inlet_c <= self.throttle_inlet_c {
            v.push((
                "trip_inlet_c",
                format!(
                    "trip_inlet_c {} °C must be above throttle_inlet_c {} °C",
                    self.trip_inlet_c, self.throttle_inlet_c
                ),
            ));
        }
        if self.trip_liquid_c <= self.throttle_liquid_c {
            v.push((
                "trip_liquid_c",
                format!(
                    "trip_liquid_c {} °C must be above throttle_liquid_c {} °C",
                    self.trip_liquid_c, self.throttle_liquid_c
                ),
            ));
        }
        v
    }
}

impl RatingRules for CableRating {
    fn nominal_kv(&self) -> Option<(f64, Option<f64>)> {
        None
    }

    fn inconsistencies(&self) -> Vec<(&'static str, String)> {
        vec![]
    }
}

impl RatingRules for CrahRating {
    fn nominal_kv(&self) -> Option<(f64, Option<f64>)> {
        None
    }

    fn inconsistencies(&self) -> Vec<(&'static str, String)> {
        let mut v = Vec::new();
        let dt = self.rated_return_c - self.rated_water_c;
        if dt <= 1.0 {
            v.push((
                "rated_return_c",
                format!(
                    "the rating point's return air ({} °C) must be warmer than its entering water ({} °C)",
                    self.rated_return_c, self.rated_water_c
                ),
            ));
        } else if crate::sim::thermal::CoilRating::from_crah(self).is_none() {
            v.push(("rated_cooling_kw", format!(
                "{} kW at {} m³/s between {} °C return air and {} °C water (water rising {} K) is beyond what any coil can do: its effectiveness would reach 1",
                self.rated_cooling_kw, self.rated_airflow_m3_s, self.rated_return_c, self.rated_water_c, self.rated_water_rise_k
            )));
        }
        v
    }
}

impl RatingRules for CduRating {
    fn nominal_kv(&self) -> Option<(f64, Option<f64>)> {
        None
    }

    fn inconsistencies(&self) -> Vec<(&'static str, String)> {
        vec![]
    }
}

impl RatingRules for ChillerRating {
    fn nominal_kv(&self) -> Option<(f64, Option<f64>)> {
        None
    }

    /// The curves must give positive capacity and power over their whole declared range of
    /// validity and part loads `min_plr`–1, or the chiller would make or need negative power;
    /// the ranges must be ordered and the trip above them.
    fn inconsistencies(&self) -> Vec<(&'static str, String)> {
        let mut v = Vec::new();
        let grid = |lo: f64, hi: f64| (0..=4).map(move |i| lo + (hi - lo) * f64::from(i) / 4.0);
        let ([chw_lo, chw_hi], [cw_lo, cw_hi]) = (self.curve_chw_c, self.curve_cw_c);
        if chw_lo >= chw_hi {
            v.push(("curve_chw_c", "curve_chw_c must be (low, high) with low below high".into()));
        }
        if cw_lo >= cw_hi {
            v.push(("curve_cw_c", "curve_cw_c must be (low, high) with low below high".into()));
        }
        if self.max_condenser_c < cw_hi {
            v.push((
                "max_condenser_c",
                format!(
                    "max_condenser_c {} °C is below the curves' condenser range (up to {cw_hi} °C)",
                    self.max_condenser_c
                ),
            ));
        }
        let mut capft_ok = true;
        let mut eirft_ok = true;
        for t_chw in grid(chw_lo, chw_hi) {
            for t_cw in grid(cw_lo, cw_hi) {
                capft_ok &= crate::sim::thermal::biquadratic(&self.capft, t_chw, t_cw) > 0.0;
                eirft_ok &= crate::sim::thermal::biquadratic(&self.eirft, t_chw, t_cw) > 0.0;
            }
        }
        if !capft_ok {
            v.push(("capft", format!("CAPFT must be positive for chilled water {chw_lo}–{chw_hi} °C and condenser water {cw_lo}–{cw_hi} °C")));
        }
        if !eirft_ok {
            v.push(("eirft", format!("EIRFT must be positive for chilled water {chw_lo}–{chw_hi} °C and condenser water {cw_lo}–{cw_hi} °C")));
        }
        let k = &self.eirfplr;
        if grid(self.min_plr, 1.0).any(|p| k[0] + k[1] * p + k[2] * p * p <= 0.0) {
            v.push(("eirfplr", format!("EIRFPLR must be positive for part loads {}–1", self.min_plr)));
        }
        v
    }
}

impl RatingRules for HeatRejectionRating {
    fn nominal_kv(&self) -> Option<(f64, Option<f64>)> {
        None
    }

    fn inconsistencies(&self) -> Vec<(&'static str, String)> {
        vec![]
    }
}

#[cfg(test)]
mod plausibility_tests {
    use super::*;

    #[test]
    fn a_figure_far_from_the_models_own_is_implausible() {
        let c = Catalog::builtin();
        let k = EquipmentKind::Distribution;
        let w = c.implausible(k, "pdu-415v-250a", "breaker_a", None, 9000.0).expect("warned");
        assert_eq!(w, "9000 A is 36× the pdu-415v-250a's 250 A: check the figure and its unit");
        assert!(c.implausible(k, "pdu-415v-250a", "breaker_a", None, 400.0).is_none());
        assert!(c.implausible(k, "pdu-415v-250a", "breaker_a", None, 25.0).is_some(), "a tenth");
        assert!(c.implausible(k, "pdu-415v-250a", "no_such_field", None, 1e6).is_none());
    }
}
