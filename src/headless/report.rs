//! The run report: what a run produced, and its JSON for machines (schema in README.md); the
//! Markdown for people is in [`super::markdown`].

use bevy::prelude::*;
use serde::Serialize;

use super::RunOptions;
use crate::kinds::EquipmentKind;
use crate::sim::SimClock;
use crate::sim::components::*;
use crate::sim::electrical::ElectricalNetwork;
use crate::sim::electrical::{EnergyTotals, SiteTotals};
use crate::sim::limits::{Alert, AlertLog, HeadroomRow};
use crate::sim::thermal::{CoolingPlant, RackInputs};
use crate::sim::world::SiteMeta;
use crate::site::save::natural_cmp;

/// Report schema identifier; bump when fields change meaning.
pub const REPORT_SCHEMA: &str = "dctwin.report.v2";

/// Everything a run produced.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Report {
    /// Schema identifier.
    pub schema: &'static str,
    /// Site name.
    pub site: String,
    /// Site file as given on the command line.
    pub site_file: String,
    /// What was run.
    pub run: RunInfo,
    /// Totals at the end of the run.
    pub totals: Totals,
    /// Energy over the run.
    pub energy: EnergyTotals,
    /// Network elements (feeds, transformers, UPS, distribution) at the end of the run.
    pub elements: Vec<ElementResult>,
    /// UPS batteries at the end of the run (UPS without battery energy are left out).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub batteries: Vec<BatteryResult>,
    /// Generator sets at the end of the run (absent without any).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub generators: Vec<GeneratorResult>,
    /// Racks at the end of the run.
    pub racks: Vec<RackResult>,
    /// Network elements by loading, highest first (at most 10).
    pub top_loaded: Vec<TopLoaded>,
    /// Every alert raised during the run, active and cleared.
    pub alerts: Vec<Alert>,
    /// Per limit kind, the element with the least margin.
    pub headroom: Vec<HeadroomRow>,
    /// Thermal results (absent for sites without cooling).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thermal: Option<ThermalReport>,
    /// The utility's rules checked on the grid import (absent without `--grid-rules`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grid_rules: Option<GridRulesReport>,
    /// The scenario played and its timeline (absent without `--scenario`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scenario: Option<ScenarioReport>,
    /// What the weather year did (absent unless the outdoor conditions come from a weather file).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weather: Option<super::weather::WeatherSummary>,
}

/// A UPS battery at the end of a run.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct BatteryResult {
    /// The UPS.
    pub id: String,
    /// `standby` (input carries the load), `discharging`, `recovering` (input back, walking in)
    /// or `empty`.
    pub mode: &'static str,
    /// Charge left, % of usable energy.
    pub charge_pct: f64,
    /// Energy left, kWh.
    pub kwh_left: f64,
    /// Power it gives, kW (negative while recharging).
    pub power_kw: f64,
    /// Runtime left at that power, s (absent unless discharging).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime_s: Option<f64>,
}

/// A generator set at the end of a run.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct GeneratorResult {
    /// The generator.
    pub id: String,
    /// `off`, `starting`, `running` or `cooling_down`.
    pub mode: &'static str,
    /// Output, kW.
    pub output_kw: f64,
    /// Fuel left, hours at rated load.
    pub fuel_left_h: f64,
}

/// The generator sets, by id.
fn generator_results(world: &mut World) -> Vec<GeneratorResult> {
    use crate::sim::electrical::kinds::Generator;
    use crate::sim::electrical::standby::{GeneratorMode, GeneratorState};
    let mut q = world.query::<(&ElementId, &Generator, &GeneratorState)>();
    let mut out: Vec<GeneratorResult> = q
        .iter(world)
        .map(|(id, g, st)| GeneratorResult {
            id: id.0.clone(),
            mode: match st.mode {
                GeneratorMode::Off => "off",
                GeneratorMode::Starting(_) => "starting",
                GeneratorMode::Running => "running",
                GeneratorMode::CoolingDown(_) => "cooling_down",
            },
            output_kw: st.output_kw,
            fuel_left_h: st.fuel_left_h(&g.0),
        })
        .collect();
    out.sort_by(|a, b| natural_cmp(&a.id, &b.id));
    out
}

/// The UPS batteries, by id.
fn battery_results(world: &mut World) -> Vec<BatteryResult> {
    use crate::sim::electrical::{BatteryMode, UpsBattery, kinds::Ups};
    let mut q = world.query::<(&ElementId, &Ups, &UpsBattery)>();
    let mut out: Vec<BatteryResult> = q
        .iter(world)
        .filter(|(_, ups, _)| ups.rating.battery_kwh > 0.0)
        .map(|(id, ups, b)| BatteryResult {
            id: id.0.clone(),
            mode: match b.mode {
                BatteryMode::Standby => "standby",
                BatteryMode::Discharging => "discharging",
                BatteryMode::Recovering { .. } => "recovering",
                BatteryMode::Empty => "empty",
            },
            charge_pct: b.left_kwh(&ups.rating) / ups.rating.battery_kwh * 100.0,
            kwh_left: b.left_kwh(&ups.rating),
            power_kw: b.power_w / 1000.0,
            runtime_s: b.runtime_s(&ups.rating),
        })
        .collect();
    out.sort_by(|a, b| natural_cmp(&a.id, &b.id));
    out
}

/// How the grid import did against a utility's rules.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct GridRulesReport {
    /// The rule set.
    pub name: String,
    /// Where its numbers come from.
    pub source: String,
    /// Each rule: the worst window, its margin, pass or fail (on the import behind the facility
    /// battery, when the scenario has one).
    pub results: Vec<crate::scenario::rules::RuleResult>,
    /// The voltage sags played (what the ride-through rules measured).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub disturbances: Vec<crate::scenario::rules::Disturbance>,
    /// What the scenario's facility battery did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facility_storage: Option<crate::scenario::rules::StorageOutcome>,
    /// The smallest facility battery that makes the import pass (`--size-storage`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_sizing: Option<StorageSizing>,
    /// What the training jobs' power floors cost in energy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub floor_cost: Option<FloorCost>,
}

/// The result of `--size-storage`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct StorageSizing {
    /// The smallest battery and what it does; `None` when no battery with this smoothing makes
    /// the import pass (the moving average itself breaks a rule).
    pub outcome: Option<crate::scenario::rules::StorageOutcome>,
    /// The smoothing time constant searched with, s.
    pub smoothing_s: f64,
}

/// The energy a power floor adds: the cost of compliance by flattening.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct FloorCost {
    /// Over the run, MWh.
    pub extra_mwh: f64,
    /// Per day of running, MWh/day.
    pub extra_mwh_per_day: f64,
    /// As a share of the jobs' energy without the floor, %.
    pub extra_pct: f64,
}

/// A played scenario: what happened, when.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ScenarioReport {
    /// The scenario's name.
    pub name: String,
    /// Its file.
    pub file: String,
    /// Events in the scenario.
    pub events: usize,
    /// Events played (those due within the run).
    pub events_played: usize,
    /// Every event and consequence with its time, in time order.
    pub timeline: Vec<crate::scenario::play::TimelineEntry>,
    /// The hottest rack inlet over the run (sites with cooling).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hottest_inlet: Option<PeakInlet>,
    /// The lowest charge a UPS battery fell to (when one discharged).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lowest_battery: Option<LowestBattery>,
}

/// The lowest UPS battery charge of a run.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct LowestBattery {
    /// The UPS.
    pub ups: String,
    /// Charge left, % of usable energy.
    pub charge_pct: f64,
    /// When, s.
    pub time_s: f64,
}

/// The hottest rack inlet seen during a run.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PeakInlet {
    /// The zone whose racks had it.
    pub zone: String,
    /// Inlet, °C.
    pub inlet_c: f64,
    /// When, s.
    pub time_s: f64,
}

/// Run parameters.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct RunInfo {
    /// Simulated seconds.
    pub duration_s: f64,
    /// Fixed step, s.
    pub step_s: f64,
    /// Steps taken.
    pub steps: u64,
}

/// Site totals at the end of the run.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Totals {
    /// The final load flow converged. When it did not, the electrical numbers below are left
    /// out: a failed solve has no numbers to report.
    pub converged: bool,
    /// Electrical results of the final step (absent when it did not converge).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub electrical: Option<ElectricalTotals>,
    /// When the final load flow has no solution: the share of the demand the network could
    /// carry, % (voltage collapse beyond it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loadability_pct: Option<f64>,
    /// Racks in the site.
    pub racks: u32,
    /// Racks in service without power.
    pub unpowered_racks: u32,
    /// Their design load, kW.
    pub unserved_kw: f64,
    /// Dual-corded racks on one cord.
    pub single_cord_racks: u32,
    /// IT load shed by racks' thermal protection (throttled or shut down on over-temperature), kW.
    pub it_shed_kw: f64,
    /// Energy-weighted PUE over the run (absent without IT energy).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pue_energy_weighted: Option<f64>,
}

/// The final step's electrical totals.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ElectricalTotals {
    /// IT load, kW.
    pub it_load_kw: f64,
    /// Grid import, kW.
    pub grid_import_kw: f64,
    /// Grid import, kvar.
    pub grid_import_kvar: f64,
    /// Losses by kind, kW.
    pub losses_kw: Losses,
    /// Cooling power drawn through the network, kW.
    pub cooling_kw: f64,
    /// Instantaneous PUE (grid import / IT load); absent without IT load.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pue: Option<f64>,
    /// Net power from UPS batteries, kW (discharge positive; absent when none moves).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub battery_kw: Option<f64>,
    /// Power from running generators, kW (absent when none runs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generator_kw: Option<f64>,
}

/// Thermal results at the end of the run (present when the site has cooling).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ThermalReport {
    /// Outdoor dry and wet bulb, °C.
    pub ambient_c: (f64, f64),
    /// Cooling power by kind and heat flows, kW.
    pub cooling_kw: CoolingKw,
    /// Zones.
    pub zones: Vec<ZoneResult>,
    /// Water loops.
    pub water_loops: Vec<LoopResult>,
    /// CDUs.
    pub cdus: Vec<CduResult>,
    /// The hottest rack inlets (at most 10).
    pub hottest_racks: Vec<RackTemperature>,
}

/// Cooling power and heat, kW.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CoolingKw {
    /// CRAH fans.
    pub crah_fans: f64,
    /// CDU pumps.
    pub cdu_pumps: f64,
    /// Water-loop pumps.
    pub loop_pumps: f64,
    /// Chillers.
    pub chillers: f64,
    /// Tower and dry-cooler fans.
    pub heat_rejection_fans: f64,
    /// Sum.
    pub total: f64,
    /// Heat removed through air.
    pub heat_air: f64,
    /// Heat removed through liquid.
    pub heat_liquid: f64,
    /// Heat the heat rejection took out of the water.
    pub rejected: f64,
    /// Losses of electrical equipment standing outdoors.
    pub outdoor_losses: f64,
    /// All heat leaving the site: rejected + heat-rejection fans + outdoor losses (in steady
    /// state equal to IT + electrical losses + cooling power).
    pub heat_to_outdoors: f64,
}

/// A zone's state.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ZoneResult {
    /// Id.
    pub id: String,
    /// Room (return) air, °C.
    pub room_c: f64,
    /// Supply air, °C.
    pub supply_c: f64,
    /// The racks' equipment mass, °C (trails the room air; equal to it at steady state).
    pub equipment_mass_c: f64,
    /// Hottest rack inlet, °C.
    pub hottest_inlet_c: f64,
    /// Recirculated share of rack intake.
    pub recirculation: f64,
    /// CRAH airflow, m³/s.
    pub airflow_m3_s: f64,
    /// Racks' airflow demand, m³/s.
    pub demand_m3_s: f64,
    /// CRAHs could not hold the setpoint.
    pub over_capacity: bool,
    /// Seconds until the hottest inlet reaches the allowable maximum, if rising (else absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_to_allowable_s: Option<f64>,
}

/// A water loop's state.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct LoopResult {
    /// Id.
    pub id: String,
    /// Supply temperature, °C.
    pub supply_c: f64,
    /// Setpoint, °C.
    pub setpoint_c: f64,
    /// Heat carried, kW.
    pub heat_kw: f64,
    /// Free cooling carries the load.
    pub free_cooling: bool,
    /// The plant cannot hold the setpoint.
    pub over_capacity: bool,
}

/// A CDU's state.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CduResult {
    /// Id.
    pub id: String,
    /// Technology-loop supply, °C.
    pub supply_c: f64,
    /// Heat from racks, kW.
    pub heat_kw: f64,
    /// Capacity, kW.
    pub capacity_kw: f64,
}

/// A rack's temperatures.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct RackTemperature {
    /// Id.
    pub id: String,
    /// Inlet, °C.
    pub inlet_c: f64,
    /// Outlet, °C.
    pub outlet_c: f64,
}

/// Losses by kind, kW.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Losses {
    /// Transformers (copper + core).
    pub transformer: f64,
    /// UPS.
    pub ups: f64,
    /// Feeder cables.
    pub cable: f64,
    /// Sum.
    pub total: f64,
}

/// One network element's results.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ElementResult {
    /// Id.
    pub id: String,
    /// Kind.
    pub kind: EquipmentKind,
    /// Catalog model.
    pub model: String,
    /// In service.
    pub in_service: bool,
    /// Results of the final step (absent when its load flow did not converge).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub state: Option<ElectricalState>,
}

/// One rack's results.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct RackResult {
    /// Id.
    pub id: String,
    /// Catalog model.
    pub model: String,
    /// In service.
    pub in_service: bool,
    /// Has power.
    pub powered: bool,
    /// Electrical results of the final step (absent when its load flow did not converge).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub power: Option<RackPowerResult>,
    /// Inlet air, °C (absent for racks outside a cooling zone).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inlet_c: Option<f64>,
    /// Outlet air, °C.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outlet_c: Option<f64>,
    /// Technology-loop supply at the rack (liquid-cooled racks), °C.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub liquid_supply_c: Option<f64>,
}

/// A rack's electrical results.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct RackPowerResult {
    /// Real power, kW.
    pub p_kw: f64,
    /// Reactive power, kvar.
    pub q_kvar: f64,
    /// A-cord current, A.
    pub cord_a_current_a: f64,
    /// B-cord current, A (absent for single-corded racks).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cord_b_current_a: Option<f64>,
    /// Lowest live cord voltage, pu (absent when no cord is live).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voltage_pu: Option<f64>,
}

/// A row of the most-loaded list.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct TopLoaded {
    /// Id.
    pub id: String,
    /// Kind.
    pub kind: EquipmentKind,
    /// Loading, %.
    pub loading_pct: f64,
}

/// Removes `null` members from every object in `value` (see [`Report::to_json`]) and writes
/// negative zero as zero (a sum of nothing, or `−0.0 · x`, is not a planner's −0).
fn drop_nulls(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(drop_nulls);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        serde_json::Value::Number(n) if n.as_f64().is_some_and(|x| x == 0.0 && x.is_sign_negative()) => {
            *value = serde_json::Value::from(0.0);
        }
        _ => {}
    }
}

/// The thermal part of the report, when the site has cooling.
fn thermal_report(world: &mut World) -> Option<ThermalReport> {
    let plant = world.get_resource::<CoolingPlant>()?.clone();
    if plant.zones.is_empty() && plant.loops.is_empty() {
        return None;
    }
    let t = &plant.totals;
    let kw = |w: f64| w / 1e3;
    let mut q = world.query::<(&ElementId, RackInputs)>();
    let net = world.resource::<ElectricalNetwork>();
    let mut racks: Vec<RackTemperature> = q
        .iter(world)
        .filter(|(_, r)| r.cooling.is_some_and(|c| c.zone.is_some()) && net.rack_supplied(r.in_service.0, r.cords))
        .filter_map(|(id, r)| r.thermal(&plant, net).map(|th| (id, th)))
        .map(|(id, th)| RackTemperature { id: id.0.clone(), inlet_c: th.inlet_c, outlet_c: th.outlet_c })
        .collect();
    racks.sort_by(|a, b| b.inlet_c.total_cmp(&a.inlet_c).then_with(|| natural_cmp(&a.id, &b.id)));
    racks.truncate(10);
    Some(ThermalReport {
        ambient_c: plant.ambient_c,
        cooling_kw: CoolingKw {
            crah_fans: kw(t.crah_fans_w),
            cdu_pumps: kw(t.cdu_pumps_w),
            loop_pumps: kw(t.loop_pumps_w),
            chillers: kw(t.chillers_w),
            heat_rejection_fans: kw(t.heat_rejection_fans_w),
            total: kw(t.power_w()),
            heat_air: kw(t.heat_air_w),
            heat_liquid: kw(t.heat_liquid_w),
            rejected: kw(t.rejected_w),
            outdoor_losses: kw(t.outdoor_losses_w),
            heat_to_outdoors: kw(t.heat_to_outdoors_w()),
        },
        zones: plant
            .zones
            .iter()
            .map(|z| ZoneResult {
                id: z.id.clone(),
                room_c: z.room_c,
                supply_c: z.supply_c,
                equipment_mass_c: z.equipment_mass_c,
                hottest_inlet_c: z.hottest_inlet_c,
                recirculation: z.recirculation,
                airflow_m3_s: z.airflow_m3_s,
                demand_m3_s: z.demand_m3_s,
                over_capacity: z.over_capacity,
                time_to_allowable_s: z.time_to_allowable_s,
            })
            .collect(),
        water_loops: plant
            .loops
            .iter()
            .map(|l| LoopResult {
                id: l.id.clone(),
                supply_c: l.supply_c,
                setpoint_c: l.setpoint_c,
                heat_kw: kw(l.heat_in_w),
                free_cooling: l.free_cooling,
                over_capacity: l.over_capacity,
            })
            .collect(),
        cdus: plant
            .cdus
            .iter()
            .map(|c| CduResult {
                id: c.id.clone(),
                supply_c: c.supply_c,
                heat_kw: kw(c.rack_heat_w),
                capacity_kw: c.rating.capacity_kw,
            })
            .collect(),
        hottest_racks: racks,
    })
}

/// The scenario section, when a scenario was played.
fn scenario_report(world: &World) -> Option<ScenarioReport> {
    let player = world.get_resource::<crate::scenario::play::ScenarioPlayer>()?;
    let scenario = player.scenario.as_ref()?;
    Some(ScenarioReport {
        name: scenario.name.clone(),
        file: scenario.file.clone(),
        events: scenario.events.len(),
        events_played: player.played(),
        timeline: crate::scenario::play::timeline(world),
        hottest_inlet: player.peak_inlet.as_ref().map(|(c, t, id)| PeakInlet {
            zone: id.clone(),
            inlet_c: *c,
            time_s: *t,
        }),
        lowest_battery: player.lowest_battery.as_ref().map(|(pct, t, id)| LowestBattery {
            ups: id.clone(),
            charge_pct: *pct,
            time_s: *t,
        }),
    })
}

impl Report {
    /// Collects the report from a world that has run.
    pub fn from_world(world: &mut World, options: &RunOptions, site_file: &str) -> Report {
        let site = world.get_resource::<SiteMeta>().map(|m| m.name.clone()).unwrap_or_default();
        let clock = *world.resource::<SimClock>();
        let t = world.resource::<SiteTotals>().clone();
        let energy = world.resource::<EnergyTotals>().clone();
        let mut elements = Vec::new();
        let mut q = world.query_filtered::<(Entity, &ElementId, &Kind, &CatalogModel, &InService), (
            With<crate::sim::electrical::Circuit>,
            Without<Rack>,
        )>();
        let net = world.resource::<crate::sim::electrical::ElectricalNetwork>();
        for (entity, id, kind, model, in_service) in q.iter(world) {
            elements.push(ElementResult {
                id: id.0.clone(),
                kind: kind.0,
                model: model.0.clone(),
                in_service: in_service.0,
                state: t.converged.then(|| net.state(entity)),
            });
        }
        elements.sort_by(|a, b| a.kind.cmp(&b.kind).then_with(|| natural_cmp(&a.id, &b.id)));
        let mut racks = Vec::new();
        let mut q = world.query::<(&ElementId, &CatalogModel, RackInputs)>();
        let net = world.resource::<ElectricalNetwork>();
        let plant = world.get_resource::<CoolingPlant>();
        for (id, model, rack) in q.iter(world) {
            let in_service = rack.in_service;
            let p = rack.power(net);
            let thermal = plant.and_then(|plant| rack.thermal(plant, net));
            let air = thermal.filter(|_| rack.cooling.is_some_and(|c| c.zone.is_some()));
            let live_v = [Some(p.a), p.b].into_iter().flatten().filter(|c| c.live && c.voltage_pu > 0.0);
            let power = RackPowerResult {
                p_kw: p.p_kw,
                q_kvar: p.q_kvar,
                cord_a_current_a: p.a.current_a,
                cord_b_current_a: p.b.map(|b| b.current_a),
                voltage_pu: live_v.map(|c| c.voltage_pu).reduce(f64::min),
            };
            racks.push(RackResult {
                id: id.0.clone(),
                model: model.0.clone(),
                in_service: in_service.0,
                powered: p.powered,
                power: t.converged.then_some(power),
                inlet_c: air.map(|t| t.inlet_c),
                outlet_c: air.map(|t| t.outlet_c),
                liquid_supply_c: thermal.and_then(|t| t.liquid_supply_c),
            });
        }
        racks.sort_by(|a, b| natural_cmp(&a.id, &b.id));
        let mut top: Vec<TopLoaded> = elements
            .iter()
            .filter_map(|e| e.state.as_ref().filter(|s| s.energized).map(|s| (e, s)))
            .map(|(e, s)| TopLoaded { id: e.id.clone(), kind: e.kind, loading_pct: s.loading_pct })
            .collect();
        top.sort_by(|a, b| b.loading_pct.total_cmp(&a.loading_pct).then_with(|| natural_cmp(&a.id, &b.id)));
        top.truncate(10);
        let mut alerts = world.resource::<AlertLog>().alerts.clone();
        alerts.sort_by(|a, b| {
            a.first_seen_s
                .total_cmp(&b.first_seen_s)
                .then(b.severity.cmp(&a.severity))
                .then_with(|| natural_cmp(&a.element, &b.element))
                .then(a.quantity.cmp(&b.quantity))
        });
        Report {
            schema: REPORT_SCHEMA,
            site,
            site_file: site_file.to_string(),
            run: RunInfo { duration_s: clock.elapsed_s, step_s: options.step.as_secs_f64(), steps: clock.steps },
            totals: Totals {
                converged: t.converged,
                electrical: t.converged.then(|| ElectricalTotals {
                    it_load_kw: t.it_load_kw,
                    grid_import_kw: t.grid_import_kw,
                    grid_import_kvar: t.grid_import_kvar,
                    losses_kw: Losses {
                        transformer: t.transformer_losses_kw,
                        ups: t.ups_losses_kw,
                        cable: t.cable_losses_kw,
                        total: t.losses_kw(),
                    },
                    cooling_kw: t.cooling_kw,
                    pue: t.pue(),
                    battery_kw: (t.battery_kw != 0.0).then_some(t.battery_kw),
                    generator_kw: (t.generator_kw != 0.0).then_some(t.generator_kw),
                }),
                loadability_pct: t.loadability.map(|l| l * 100.0),
                racks: racks.len() as u32,
                unpowered_racks: t.unpowered_racks,
                unserved_kw: t.unserved_kw,
                single_cord_racks: t.single_cord_racks,
                it_shed_kw: world.get_resource::<crate::sim::thermal::ThermalShedding>().map_or(0.0, |s| s.shed_kw()),
                pue_energy_weighted: energy.pue(),
            },
            energy,
            elements,
            racks,
            top_loaded: top,
            batteries: battery_results(world),
            generators: generator_results(world),
            alerts,
            headroom: crate::sim::limits::headroom(world),
            thermal: thermal_report(world),
            scenario: scenario_report(world),
            grid_rules: None,
            weather: None,
        }
    }

    /// The report as pretty JSON (newline-terminated). Every field that may be missing is left
    /// out rather than written as `null`, so a `null` can only come from a non-finite number;
    /// such a value is dropped too (the solver has raised a critical `solver_failure` alert
    /// naming its element), so the JSON never holds a number that is not one.
    pub fn to_json(&self) -> String {
        let mut value = serde_json::to_value(self).expect("reports always serialize");
        drop_nulls(&mut value);
        let mut s = serde_json::to_string_pretty(&value).expect("reports always serialize");
        s.push('\n');
        s
    }

    /// Active alerts at the end of the run.
    pub fn active_alerts(&self) -> impl Iterator<Item = &Alert> {
        self.alerts.iter().filter(|a| a.cleared_s.is_none())
    }
}
