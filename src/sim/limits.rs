//! Limits and alerts: each step compares results with each element's limits.
//!
//! An [`Alert`] is keyed by element, [`Quantity`] and severity; it keeps the time it was first seen and,
//! once the condition is gone, the time it cleared. [`Headroom`] gives, per limit kind, the
//! smallest margin on the site and the element that has it: the limit that binds first.
//!
//! Thresholds:
//! * breakers, PDUs, busways and feeder cables: above the continuous rating (80 % of the
//!   breaker for standard breakers, NEC 210.20(A)/215.3) is a warning, above 100 % critical;
//! * transformer and UPS loading above 100 %, grid import above the feed's capacity: critical;
//! * voltage outside ANSI C84.1 Range A (0.95–1.05 pu) warning, outside Range B
//!   (0.917–1.058 pu, service voltage) critical;
//! * load flow not converging (voltage collapse): critical;
//! * a rack in service without power: critical; a dual-corded rack on one cord: warning.

use std::collections::HashMap;

use bevy::prelude::*;
use serde::Serialize;

use super::components::*;
use super::electrical::{Circuit, LimitReading, NodeLimit, RackSupply, SiteTotals};
use super::thermal::{CoolingPlant, RackInputs};
use super::{SimClock, SimSystems};

/// ANSI C84.1 Range A, per unit.
pub const RANGE_A_PU: (f64, f64) = (0.95, 1.05);
/// ANSI C84.1 Range B (service voltage), per unit.
pub const RANGE_B_PU: (f64, f64) = (0.917, 1.058);

/// How serious an alert is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Past a planning or continuous limit: act before it gets worse.
    Warning,
    /// Past a hard limit: equipment trips, overheats or the load is lost.
    Critical,
}

/// Declares [`Quantity`] with, for each, its unit and its name for people: one line per
/// quantity, so a new one cannot miss either.
macro_rules! quantities {
    ($( $(#[$doc:meta])* $Q:ident => $unit:literal, $label:literal; )*) => {
        /// What an alert measures.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum Quantity {
            $( $(#[$doc])* $Q, )*
        }

        impl Quantity {
            /// Unit of `value` and `limit`.
            pub fn unit(self) -> &'static str {
                match self { $( Quantity::$Q => $unit, )* }
            }

            /// What an alert measures, for people (reports and the app alike).
            pub fn label(self) -> &'static str {
                match self { $( Quantity::$Q => $label, )* }
            }
        }
    };
}

quantities! {
    /// Breaker or bar current, A.
    BreakerCurrent => "A", "breaker current";
    /// Feeder cable current, A.
    CableCurrent => "A", "cable current";
    /// Transformer loading, %.
    TransformerLoading => "%", "transformer loading";
    /// UPS loading, %.
    UpsLoading => "%", "UPS loading";
    /// Grid import, MVA.
    GridImport => "MVA", "grid import";
    /// Voltage, pu.
    Voltage => "pu", "voltage";
    /// Load flow convergence: a solution exists but was not reached in time.
    Convergence => "sweeps", "load flow convergence";
    /// Voltage collapse: no load-flow solution exists; the value is the share of the demand the
    /// network can carry, %.
    VoltageCollapse => "% of demand carried", "voltage collapse";
    /// Rack supply.
    RackPower => "kW unserved", "rack power lost";
    /// Rack cord redundancy.
    Redundancy => "live cords", "redundancy";
    /// Rack inlet air temperature, °C.
    InletTemperature => "°C", "inlet temperature";
    /// Cooling unit or plant short of capacity, kW.
    CoolingCapacity => "kW", "cooling capacity";
    /// Facility-water supply temperature against its W class, °C.
    FacilityWater => "°C", "facility water";
    /// Cooling unit in service without power.
    CoolingPower => "kW lost", "cooling unit power";
    /// Technology-loop (liquid) supply above what its CDU is designed to hold, °C.
    LiquidSupply => "°C", "liquid supply temperature";
    /// Coil duty above the running units' rated capacity (the setpoint still held), kW.
    CoolingRating => "kW", "above rated cooling";
    /// Racks draw more air than the running CRAHs give, m³/s.
    Airflow => "m³/s", "airflow short";
    /// Entering condenser water above what a chiller can take (it trips), °C.
    CondenserTemperature => "°C", "condenser water (chiller trip)";
    /// Water at boiling, °C.
    Boiling => "°C", "water boiling";
    /// IT load shed by a rack's thermal protection (throttled: warning; shut down: critical), kW.
    OverTemperature => "kW shed", "IT load lost to over-temperature";
    /// A solver produced a non-finite number for the element: its results are withheld.
    SolverFailure => "non-finite results", "solver failure (no results)";
    /// A UPS on battery: runtime left at its present discharge (warning; critical below
    /// [`BATTERY_RUNTIME_ALERT_S`]), s.
    BatteryRuntime => "s of runtime", "UPS on battery";
    /// A UPS battery ran out while the UPS's input is still lost: its load is dropped.
    BatteryEmpty => "kWh left", "UPS battery empty";
    /// Generator loading, %.
    GeneratorLoading => "%", "generator loading";
    /// A load step onto a generator above what it accepts at once, % of its rated kW.
    GeneratorLoadStep => "% of rating", "generator load step";
    /// A generator out of fuel, h of fuel left.
    GeneratorFuel => "h at rated load", "generator fuel";
}

impl Quantity {
    /// Measured on the cooling (air, liquid, water plant, heat rejection) rather than on the
    /// power chain. No wildcard: a new quantity must say which it is.
    pub fn is_cooling(self) -> bool {
        use Quantity::*;
        match self {
            BreakerCurrent | CableCurrent | TransformerLoading | UpsLoading | GridImport | Voltage | Convergence
            | VoltageCollapse | RackPower | Redundancy | SolverFailure | BatteryRuntime | BatteryEmpty
            | GeneratorLoading | GeneratorLoadStep | GeneratorFuel => false,
            InletTemperature | CoolingCapacity | FacilityWater | CoolingPower | LiquidSupply | CoolingRating
            | Airflow | CondenserTemperature | Boiling | OverTemperature => true,
        }
    }
}

/// Runtime left below which a UPS on battery is a critical alert, s: about the time a standby
/// generator needs to start and take the load (NFPA 110 Type 10: 10 s) with the margin of a
/// failed first start attempt and the transfer switch's timers.
pub const BATTERY_RUNTIME_ALERT_S: f64 = 120.0;

impl Severity {
    /// For people (reports and the app alike).
    pub fn label(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// One alert, active or cleared.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Alert {
    /// Current (or last) severity.
    pub severity: Severity,
    /// Element id (`"site"` for site-wide conditions).
    pub element: String,
    /// What is measured.
    pub quantity: Quantity,
    /// Latest value.
    pub value: f64,
    /// The limit it crossed.
    pub limit: f64,
    /// Unit of value and limit.
    pub unit: &'static str,
    /// Simulated time it was first seen, s.
    pub first_seen_s: f64,
    /// Simulated time it cleared, s (`None`, and absent in reports, while active).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cleared_s: Option<f64>,
    /// For a rising temperature: estimated seconds until the next (critical) limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_to_limit_s: Option<f64>,
}

impl Alert {
    /// Takes the latest value, limit and forecast of a finding that continues this alert.
    /// (`+ 0.0` turns a negative zero, a product with a negative factor, into 0, so no alert
    /// reads "746 of -0.0 kW".)
    fn refresh(&mut self, f: &Finding) {
        (self.value, self.limit) = (f.value + 0.0, f.limit + 0.0);
        self.time_to_limit_s = f.time_to_limit_s;
    }
}

/// All alerts raised so far; active ones are those without `cleared_s`.
#[derive(Resource, Debug, Clone, Default)]
pub struct AlertLog {
    /// Every alert in the order first seen.
    pub alerts: Vec<Alert>,
    /// The active alerts by element: (quantity, severity, index in `alerts`). Looked up by the
    /// finding's id without copying it, with a fast fixed-seed hash (the map's order is never
    /// observed).
    active: HashMap<String, ActiveAlerts, foldhash::fast::FixedState>,
}

/// An element's active alerts: (quantity, severity, index in [`AlertLog::alerts`]).
type ActiveAlerts = smallvec::SmallVec<[(Quantity, Severity, usize); 2]>;

impl AlertLog {
    /// Alerts that have not cleared, most severe first, then by element.
    pub fn active(&self) -> Vec<&Alert> {
        let mut v: Vec<&Alert> = self.alerts.iter().filter(|a| a.cleared_s.is_none()).collect();
        v.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| crate::site::save::natural_cmp(&a.element, &b.element))
                .then(a.quantity.cmp(&b.quantity))
        });
        v
    }

    /// The active alert of `f`'s element, quantity and severity, by index in `alerts`.
    fn active_index(&self, f: &Finding) -> Option<usize> {
        self.active.get(f.element).and_then(|v| v.iter().find(|a| (a.0, a.1) == (f.quantity, f.severity))).map(|a| a.2)
    }

    /// Applies one step's findings, in any order, at simulated time `now_s`. New alerts are
    /// added in the natural order of their elements, then by quantity.
    pub fn update(&mut self, findings: Vec<Finding<'_>>, now_s: f64) {
        // Which alerts this step's findings keep active (by index in `alerts`).
        let mut seen = vec![false; self.alerts.len()];
        // Findings that continue an alert update it in any order; only new alerts' order is
        // observed, so only they are sorted (stably: findings of one new alert keep their
        // order, and the last one's value stands), and most steps sort nothing.
        let mut new = Vec::new();
        for f in findings {
            match self.active_index(&f) {
                Some(i) => {
                    self.alerts[i].refresh(&f);
                    seen[i] = true;
                }
                None => new.push(f),
            }
        }
        new.sort_by(|a, b| crate::site::save::natural_cmp(a.element, b.element).then(a.quantity.cmp(&b.quantity)));
        for mut f in new {
            // Severity is part of the key: escalating from warning to critical clears the warning
            // and starts a critical alert, so "since" always means "at this severity since".
            match self.active_index(&f) {
                Some(i) => {
                    self.alerts[i].refresh(&f);
                    seen[i] = true;
                }
                None => {
                    (f.value, f.limit) = (f.value + 0.0, f.limit + 0.0);
                    let i = self.alerts.len();
                    self.active.entry(f.element.to_string()).or_default().push((f.quantity, f.severity, i));
                    self.alerts.push(Alert {
                        severity: f.severity,
                        element: f.element.to_string(),
                        quantity: f.quantity,
                        value: f.value,
                        limit: f.limit,
                        unit: f.quantity.unit(),
                        first_seen_s: now_s,
                        cleared_s: None,
                        time_to_limit_s: f.time_to_limit_s,
                    });
                    seen.push(true);
                }
            }
        }
        let alerts = &mut self.alerts;
        self.active.retain(|_, v| {
            v.retain(|a| {
                let keep = seen[a.2];
                if !keep {
                    alerts[a.2].cleared_s = Some(now_s);
                }
                keep
            });
            !v.is_empty()
        });
    }
}

/// A limit crossed in the current step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Finding<'a> {
    /// Severity.
    pub severity: Severity,
    /// Element id (borrowed from the world: a step's findings allocate nothing; an alert owns
    /// its id).
    pub element: &'a str,
    /// What is measured.
    pub quantity: Quantity,
    /// Value.
    pub value: f64,
    /// Limit crossed.
    pub limit: f64,
    /// Estimated seconds until the next limit, for rising temperatures.
    pub time_to_limit_s: Option<f64>,
}

impl<'a> Finding<'a> {
    /// A finding without a time-to-limit estimate.
    pub fn new(severity: Severity, element: &'a str, quantity: Quantity, value: f64, limit: f64) -> Finding<'a> {
        Finding { severity, element, quantity, value, limit, time_to_limit_s: None }
    }
}

/// Declares [`LimitKind`] with, for each, its name for people and the alert [`Quantity`] that
/// reports crossing it: one line per limit, so a new one cannot miss either (and the count of
/// kinds follows).
macro_rules! limit_kinds {
    ($( $(#[$doc:meta])* $L:ident => $label:literal, $Q:ident; )*) => {
        /// The kinds of limit the headroom summary tracks.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize, schemars::JsonSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum LimitKind {
            $( $(#[$doc])* $L, )*
        }

        impl LimitKind {
            /// Every kind, in declaration order (the order of their discriminants).
            pub const ALL: &'static [LimitKind] = &[ $( LimitKind::$L, )* ];

            /// A limit kind, for people (reports and the app alike).
            pub fn label(self) -> &'static str {
                match self { $( LimitKind::$L => $label, )* }
            }

            /// The alert quantity that reports crossing this limit: headroom says how far a
            /// limit is, an alert that it was crossed, and both name the same limit through
            /// this map.
            pub fn quantity(self) -> Quantity {
                match self { $( LimitKind::$L => Quantity::$Q, )* }
            }
        }
    };
}

limit_kinds! {
    /// Grid feed import capacity.
    GridFeedCapacity => "Grid feed capacity", GridImport;
    /// Transformer rating.
    TransformerRating => "Transformer rating", TransformerLoading;
    /// UPS rating.
    UpsRating => "UPS rating", UpsLoading;
    /// A running generator's rating.
    GeneratorRating => "Generator rating", GeneratorLoading;
    /// Breaker continuous rating (PDU, RPP, busway, switchboard).
    BreakerContinuous => "Breaker continuous", BreakerCurrent;
    /// Feeder cable continuous ampacity.
    CableAmpacity => "Cable ampacity", CableCurrent;
    /// Lowest voltage against Range A.
    VoltageRangeA => "Voltage (Range A)", Voltage;
    /// Hottest rack inlet against the zone class's allowable maximum.
    InletTemperature => "Rack inlet temperature", InletTemperature;
    /// Heat on a zone's air against what its running CRAHs remove while holding setpoint.
    CrahCapacity => "CRAH capacity", CoolingCapacity;
    /// Racks' airflow demand against the running CRAHs' full airflow.
    Airflow => "CRAH airflow", Airflow;
    /// CDU heat against its capacity.
    CduCapacity => "CDU capacity", CoolingCapacity;
    /// Water-loop plant load against its available capacity.
    PlantCapacity => "Plant capacity", CoolingCapacity;
    /// Heat to reject against the running towers' and dry coolers' capacity.
    HeatRejection => "Heat rejection", CoolingCapacity;
}

impl LimitKind {
    /// A limit of the cooling (air, liquid, water plant, heat rejection) rather than of the
    /// power chain. No wildcard: a new kind must say which it is.
    pub fn is_cooling(self) -> bool {
        use LimitKind::*;
        match self {
            GridFeedCapacity | TransformerRating | UpsRating | GeneratorRating | BreakerContinuous | CableAmpacity
            | VoltageRangeA => false,
            InletTemperature | CrahCapacity | Airflow | CduCapacity | PlantCapacity | HeatRejection => true,
        }
    }
}

/// The smallest margin for one kind of limit.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct HeadroomRow {
    /// Limit kind.
    pub limit: LimitKind,
    /// The element with the least margin.
    pub element: String,
    /// Its present value.
    pub value: f64,
    /// The limit.
    pub limit_value: f64,
    /// limit − value, in `unit`.
    pub margin: f64,
    /// Unit of value, limit and margin.
    pub unit: &'static str,
    /// Margin as a percent of the limit.
    pub margin_pct: f64,
    /// How much all IT load could grow, uniformly, before this limit binds, % (a linear
    /// estimate: currents, powers, heat and airflow grow with the load; a voltage's drop below
    /// nominal and a rack inlet's rise above its supply air do too). Absent when growth never
    /// reaches it (a regulated voltage). Negative: already past the limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub load_growth_pct: Option<f64>,
    /// For a rising temperature: estimated seconds until the limit is reached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_to_limit_s: Option<f64>,
}

/// Per limit kind, the element that binds first as the IT load grows; sorted so the first row
/// is the limit the site reaches first (smallest [`HeadroomRow::load_growth_pct`]).
///
/// Worked out when read ([`headroom`]), not by every step: alerts are timed and must be raised
/// by the step that crosses them, but headroom is a reading, and a run of thousands of steps
/// reads it once (its report), the app once per frame.
#[derive(Resource, Debug, Clone, Default)]
pub struct Headroom {
    /// The rows, the limit reached first first.
    pub rows: Vec<HeadroomRow>,
    /// The step they were worked out for ([`latest_step`]); `None` until then.
    of_step: Option<StepKey>,
}

/// Which step a world's results are from: `(steps, network rebuilds, solutions)` (a restart
/// counts steps and solutions from zero again, never rebuilds).
type StepKey = (u64, u64, u64);

/// The step the world's results are from.
fn latest_step(world: &World) -> Option<StepKey> {
    let clock = world.get_resource::<SimClock>()?;
    let net = world.get_resource::<super::electrical::ElectricalNetwork>()?;
    Some((clock.steps, net.rebuilds, net.solutions))
}

/// The headroom table of the world's latest step (worked out now unless it was already).
pub fn headroom(world: &mut World) -> Vec<HeadroomRow> {
    refresh_headroom(world);
    world.get_resource::<Headroom>().map(|h| h.rows.clone()).unwrap_or_default()
}

/// Works out [`Headroom`] for the world's latest step unless it holds that step's table
/// already (the app's limits panel asks through [`headroom`] each frame it is drawn).
fn refresh_headroom(world: &mut World) {
    let step = latest_step(world);
    let Some(held) = world.get_resource::<Headroom>() else { return };
    if step.is_some() && held.of_step == step {
        return;
    }
    use bevy::ecs::system::RunSystemOnce;
    // Fails only when the world has no simulation resources: then there is nothing to weigh.
    let rows = world.run_system_once(headroom_rows).unwrap_or_default();
    let mut held = world.resource_mut::<Headroom>();
    held.rows = rows;
    held.of_step = step;
}

/// Per limit kind, the element that binds first in the latest step, sorted: the limit the site
/// reaches first as its IT load grows first, limits growth never reaches last, by margin.
fn headroom_rows(
    totals: Res<SiteTotals>,
    plant: Option<Res<CoolingPlant>>,
    net: Res<super::electrical::ElectricalNetwork>,
) -> Vec<HeadroomRow> {
    // The tightest candidate per limit kind; rows (with owned ids) are made only for winners.
    let mut best: [Option<Candidate>; LIMIT_KINDS] = Default::default();
    // A failed solve leaves last step's states in place: nothing to weigh until it solves.
    if totals.converged {
        electrical_winners(&net, &mut best);
    }
    if let Some(plant) = plant.as_deref() {
        check_cooling(plant, &net, None, &mut Vec::new(), |c| {
            offer(&mut best, c);
        });
    }
    let mut table: Vec<HeadroomRow> = best.into_iter().flatten().map(|c| c.to_row()).collect();
    table.sort_by(|a, b| {
        let g = |r: &HeadroomRow| r.load_growth_pct.unwrap_or(f64::INFINITY);
        g(a).total_cmp(&g(b)).then(a.margin_pct.total_cmp(&b.margin_pct)).then(a.limit.cmp(&b.limit))
    });
    table
}

/// Offers every energized network element's headroom rows of the latest solution, in node
/// order. A node none of whose rows can bind before the winners so far is passed over without
/// working out its state ([`may_bind_first`]).
fn electrical_winners<'a>(
    net: &'a super::electrical::ElectricalNetwork,
    best: &mut [Option<Candidate<'a>>; LIMIT_KINDS],
) {
    let flow = net.solved();
    for k in 0..net.network.nodes().len() {
        let node = &net.network.nodes()[k];
        if flow.is_some_and(|f| !may_bind_first(best, node, f, k)) {
            continue;
        }
        let Some(state) = net.fresh_node_state(k) else { continue };
        if !electrical_state_finite(&state) {
            continue;
        }
        let rank = net.natural_rank.get(k).copied();
        element_candidates(net.node_ids[k].as_str(), rank, &state, &node.limit, |c| {
            offer(best, c);
        });
    }
}

/// Every limit line of the latest step (each element against each of its limits, as headroom
/// rows), kept only when this resource is present: studies that weigh many limits at once (the
/// capacity search) insert it; a plain run does not pay for it.
#[derive(Resource, Debug, Clone, Default)]
pub struct LimitLines(pub Vec<HeadroomRow>);

/// Raises alerts after the solvers (headroom is worked out when read: [`headroom`]).
pub struct LimitsPlugin;

impl Plugin for LimitsPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<AlertLog>()
            .init_resource::<Headroom>()
            .add_systems(FixedUpdate, check_limits.in_set(SimSystems::Limits));
    }
}

#[allow(clippy::too_many_arguments)]
fn check_limits(
    clock: Res<SimClock>,
    totals: Res<SiteTotals>,
    supply: Res<RackSupply>,
    racks: Query<(&ElementId, &Rack, Option<&Utilization>)>,
    plant: Option<Res<CoolingPlant>>,
    rack_zones: Query<(&ElementId, RackInputs)>,
    net: Res<super::electrical::ElectricalNetwork>,
    mut log: ResMut<AlertLog>,
    shedding: Option<Res<super::thermal::ThermalShedding>>,
    batteries: Query<(&ElementId, &super::electrical::kinds::Ups, &super::electrical::UpsBattery)>,
    generators: Query<(&ElementId, &super::electrical::kinds::Generator, &super::electrical::standby::GeneratorState)>,
    mut scan: Local<ElectricalScan>,
    mut lines: Option<ResMut<LimitLines>>,
) {
    let no_shedding = super::thermal::ThermalShedding::default();
    let shedding = shedding.as_deref().unwrap_or(&no_shedding);
    let mut findings = Vec::new();

    match (totals.converged, totals.loadability) {
        (true, _) => {}
        // No solution: the demand is beyond what the network can carry (voltage collapse);
        // the value says how much of it could be carried.
        (false, Some(fraction)) => {
            findings.push(Finding::new(Severity::Critical, "site", Quantity::VoltageCollapse, fraction * 100.0, 100.0))
        }
        (false, None) => findings.push(Finding::new(
            Severity::Critical,
            "site",
            Quantity::Convergence,
            f64::from(totals.iterations),
            f64::from(super::electrical::network::PLAIN_ITERATIONS + 2 * super::electrical::network::MAX_ITERATIONS),
        )),
    }

    if let Some(lines) = lines.as_deref_mut() {
        lines.0.clear();
    }
    // A failed solve leaves last step's states in place: nothing to compare until it solves.
    if totals.converged {
        if let Some(lines) = lines.as_deref_mut() {
            for k in 0..net.network.nodes().len() {
                let Some(state) = &net.solved_node_state(k) else { continue };
                if electrical_state_finite(state) {
                    let limit = &net.network.nodes()[k].limit;
                    element_candidates(&net.node_ids[k], None, state, limit, |c| lines.0.push(c.to_row()));
                }
            }
        }
        scan.update(&net);
        findings.extend(scan.findings.iter().map(|&(k, f)| Finding { element: &net.node_ids[k as usize], ..f }));
    }

    // The solver lists the racks that lost supply; the rest need no look.
    for (id, rack, utilization) in racks.iter_many(&supply.unpowered) {
        findings.push(Finding::new(
            Severity::Critical,
            &id.0,
            Quantity::RackPower,
            rack.rating.rated_kw * Utilization::of(utilization),
            0.0,
        ));
    }
    for (id, _, _) in racks.iter_many(&supply.single_cord) {
        findings.push(Finding::new(Severity::Warning, &id.0, Quantity::Redundancy, 1.0, 2.0));
    }

    if let Some(plant) = plant.as_deref() {
        check_cooling(plant, &net, Some(&rack_zones), &mut findings, |c| {
            if let Some(lines) = lines.as_deref_mut() {
                lines.0.push(c.to_row());
            }
        });
    }
    for (id, ups, battery) in &batteries {
        use super::electrical::BatteryMode;
        match battery.mode {
            BatteryMode::Discharging | BatteryMode::Recovering { .. } => {
                if let Some(runtime_s) = battery.runtime_s(&ups.rating) {
                    let severity =
                        if runtime_s < BATTERY_RUNTIME_ALERT_S { Severity::Critical } else { Severity::Warning };
                    let mut f =
                        Finding::new(severity, &id.0, Quantity::BatteryRuntime, runtime_s, BATTERY_RUNTIME_ALERT_S);
                    f.time_to_limit_s = Some(runtime_s);
                    findings.push(f);
                }
            }
            BatteryMode::Empty => {
                findings.push(Finding::new(Severity::Critical, &id.0, Quantity::BatteryEmpty, 0.0, 0.0));
            }
            BatteryMode::Standby => {}
        }
    }
    for (id, generator, st) in &generators {
        let r = &generator.0;
        // ISO 8528-5 load acceptance: a bigger step than the set takes at once stalls it or
        // sends its frequency and voltage outside what the load tolerates.
        if st.step_pct > r.first_step_pct {
            findings.push(Finding::new(
                Severity::Critical,
                &id.0,
                Quantity::GeneratorLoadStep,
                st.step_pct,
                r.first_step_pct,
            ));
        }
        if st.fuel_left_h(r) <= 0.0 {
            findings.push(Finding::new(Severity::Critical, &id.0, Quantity::GeneratorFuel, 0.0, 0.0));
        }
    }
    // IT load lost to over-temperature: the thermal step lists the racks concerned.
    for (list, severity) in [(&shedding.throttled, Severity::Warning), (&shedding.tripped, Severity::Critical)] {
        for &(entity, shed_kw) in list {
            if let Ok((id, _, _)) = racks.get(entity) {
                findings.push(Finding::new(severity, &id.0, Quantity::OverTemperature, shed_kw, 0.0));
            }
        }
    }

    log.update(findings, clock.elapsed_s);
}

/// The network elements' alerts, worked out again only when the load flow has a new solution
/// (in a steady hall it has none, and the scan was most of the limits).
#[derive(Default)]
struct ElectricalScan {
    /// The network's `(rebuilds, solutions)` when the findings were scanned: a solution is
    /// known by both, since a restarted network counts its solutions from zero again but never
    /// its rebuilds ([`super::electrical::ElectricalNetwork::restart`]).
    solution: Option<(u64, u64)>,
    /// The findings by node (their ids go in when read).
    findings: Vec<(u32, Finding<'static>)>,
    /// Scratch for one node's findings.
    node_findings: Vec<Finding<'static>>,
    /// Per node of the network of `screens_rebuild`: the bounds inside which it raises no alert.
    screens: Vec<Screen>,
    /// The network's `rebuilds` when `screens` were worked out.
    screens_rebuild: Option<u64>,
}

impl ElectricalScan {
    /// Scans every energized node of the latest solution for alerts, unless this solution was
    /// scanned already.
    fn update(&mut self, net: &super::electrical::ElectricalNetwork) {
        let key = Some((net.rebuilds, net.solutions));
        if self.solution == key {
            return;
        }
        self.solution = key;
        self.findings.clear();
        if self.screens_rebuild != Some(net.rebuilds) {
            self.screens.clear();
            self.screens.extend(net.network.nodes().iter().map(Screen::of));
            self.screens_rebuild = Some(net.rebuilds);
        }
        let Some(flow) = net.solved() else { return };
        // In node order: the solver's arrays are read front to back. Only the nodes outside
        // their screens need their readings worked out and compared.
        for k in 0..net.network.nodes().len() {
            if !self.screens[k].may_alert(flow, k) {
                continue;
            }
            let Some(reading) = net.solved_reading(k) else { continue };
            if !reading.is_finite() {
                let f = Finding::new(Severity::Critical, "", Quantity::SolverFailure, 0.0, 0.0);
                self.findings.push((k as u32, f));
                continue;
            }
            element_findings("", &reading, &net.network.nodes()[k].limit, &mut self.node_findings);
            self.findings.extend(self.node_findings.drain(..).map(|f| (k as u32, f)));
        }
    }
}

/// False when every headroom row of node `k` (a breaker, its cable, its voltage) grows to its
/// limit strictly later than the winner of its kind so far, so it cannot win nor tie: its
/// growths are worked out from the solution with the arithmetic of [`element_candidates`] (the
/// same magnitudes, the same formulas), without the rest of its state. Other nodes (feeds,
/// transformers, UPSes, generators: few) are always weighed in full. Skipping them leaves the
/// winners as they are (tested).
fn may_bind_first(
    best: &[Option<Candidate>; LIMIT_KINDS],
    node: &super::electrical::network::Node,
    flow: &super::electrical::network::LoadFlow,
    k: usize,
) -> bool {
    use super::electrical::network::mag;
    let NodeLimit::Breaker { breaker_a, continuous_pct } = node.limit else { return true };
    if !node.energized {
        return false;
    }
    // Not strictly later (a tie, or a NaN that the full weighing rejects) is weighed in full.
    let beats = |kind: LimitKind, growth: f64| {
        best[kind as usize]
            .as_ref()
            .is_none_or(|b| growth.partial_cmp(&b.growth_pct) != Some(std::cmp::Ordering::Greater))
    };
    let (amps, input_pu) = (mag(flow.i_in[k]), mag(flow.v_in[k]) / node.v_nom_in);
    beats(LimitKind::BreakerContinuous, current_growth_pct(amps, breaker_a * continuous_pct / 100.0, input_pu))
        || (node.feeder_ampacity_a > 0.0
            && beats(LimitKind::CableAmpacity, current_growth_pct(amps, 0.8 * node.feeder_ampacity_a, input_pu)))
        || beats(LimitKind::VoltageRangeA, voltage_growth_pct(flow.v_out_abs[k] / node.v_nom_out))
}

/// Relative margin of a [`Screen`]'s bounds (far above rounding, far below any limit's
/// precision).
const SCREEN_MARGIN: f64 = 1e-9;

/// The bounds inside which an energized node raises no alert ([`element_findings`]), in the
/// solver's own units (volts, squared amperes and volt-amperes, watts) and drawn
/// [`SCREEN_MARGIN`] inside the limits: a node within all of them needs no reading worked out
/// (no division or square root per node and step). A node outside any, or with a non-finite
/// number, is compared in full, so the findings are the same (tested).
#[derive(Debug, Clone, Copy)]
struct Screen {
    /// Output voltage bounds, V (the widest band without an alert: range A).
    v_lo: f64,
    v_hi: f64,
    /// Input current squared (breaker's continuous rating, feeder's warning), A².
    i_in_sq: f64,
    /// Output current squared (a transformer's rated current), A².
    i_out_sq: f64,
    /// Output apparent power squared (import capacity, UPS or generator kVA), VA².
    s_out_sq: f64,
    /// Output real power (UPS or generator kW), W.
    p_out_w: f64,
}

impl Screen {
    fn of(node: &super::electrical::network::Node) -> Screen {
        let inside = 1.0 - SCREEN_MARGIN;
        let sq = |x: f64| (x * inside) * (x * inside);
        let mut s = Screen {
            v_lo: RANGE_A_PU.0 * node.v_nom_out * (1.0 + SCREEN_MARGIN),
            v_hi: RANGE_A_PU.1 * node.v_nom_out * inside,
            i_in_sq: f64::INFINITY,
            i_out_sq: f64::INFINITY,
            s_out_sq: f64::INFINITY,
            p_out_w: f64::INFINITY,
        };
        match node.limit {
            NodeLimit::Import { capacity_mva } => s.s_out_sq = sq(capacity_mva * 1e6),
            NodeLimit::TransformerRating { rated_kva } => {
                s.i_out_sq = sq(rated_kva * 1000.0 / (3.0 * node.v_nom_out));
            }
            NodeLimit::UpsRating { rated_kw, rated_kva } | NodeLimit::GeneratorRating { rated_kw, rated_kva } => {
                s.p_out_w = rated_kw * 1000.0 * inside;
                s.s_out_sq = sq(rated_kva * 1000.0);
            }
            // The continuous rating is the lower of the breaker's two.
            NodeLimit::Breaker { breaker_a, continuous_pct } => s.i_in_sq = sq(breaker_a * continuous_pct / 100.0),
        }
        if node.feeder_ampacity_a > 0.0 {
            s.i_in_sq = s.i_in_sq.min(sq(0.8 * node.feeder_ampacity_a));
        }
        s
    }

    /// False only when node `k` of `flow` is inside every bound (a NaN is outside all).
    fn may_alert(&self, flow: &super::electrical::network::LoadFlow, k: usize) -> bool {
        let v = flow.v_out_abs[k];
        let s_out = flow.s_out(k);
        !(v > self.v_lo
            && v < self.v_hi
            && flow.i_in[k].norm_sqr() < self.i_in_sq
            && flow.i_out[k].norm_sqr() < self.i_out_sq
            && s_out.norm_sqr() < self.s_out_sq
            && s_out.re < self.p_out_w)
    }
}

/// True when every number of an element's load-flow results is finite.
fn electrical_state_finite(s: &ElectricalState) -> bool {
    [
        s.voltage_pu,
        s.voltage_v,
        s.input_voltage_pu,
        s.input_current_a,
        s.output_current_a,
        s.p_kw,
        s.q_kvar,
        s.loading_pct,
        s.losses_kw,
        s.feeder_losses_kw,
        s.feeder_loading_pct,
        s.feeder_ampacity_a,
    ]
    .iter()
    .all(|x| x.is_finite())
}

/// Which of two candidates binds first as the load grows: smaller growth, then smaller margin,
/// then the first id in natural order.
fn candidate_order(a: &Candidate, b: &Candidate) -> std::cmp::Ordering {
    a.growth_pct.total_cmp(&b.growth_pct).then(a.margin_pct.total_cmp(&b.margin_pct)).then_with(|| {
        match (a.rank, b.rank) {
            (Some(x), Some(y)) => x.cmp(&y),
            _ => crate::site::save::natural_cmp(a.element, b.element),
        }
    })
}

/// Alerts of one energized network element: its rating, its feeder cable, its voltage.
fn element_findings<'a>(id: &'a str, state: &LimitReading, limit: &NodeLimit, findings: &mut Vec<Finding<'a>>) {
    let mut push = |severity, quantity, value: f64, limit: f64| {
        findings.push(Finding { severity, element: id, quantity, value, limit, time_to_limit_s: None });
    };
    match *limit {
        NodeLimit::Import { capacity_mva } => {
            let s_mva = (state.p_kw.powi(2) + state.q_kvar.powi(2)).sqrt() / 1000.0;
            if s_mva > capacity_mva {
                push(Severity::Critical, Quantity::GridImport, s_mva, capacity_mva);
            }
        }
        NodeLimit::TransformerRating { .. } => {
            if state.loading_pct > 100.0 {
                push(Severity::Critical, Quantity::TransformerLoading, state.loading_pct, 100.0);
            }
        }
        NodeLimit::UpsRating { .. } => {
            if state.loading_pct > 100.0 {
                push(Severity::Critical, Quantity::UpsLoading, state.loading_pct, 100.0);
            }
        }
        NodeLimit::GeneratorRating { .. } => {
            if state.loading_pct > 100.0 {
                push(Severity::Critical, Quantity::GeneratorLoading, state.loading_pct, 100.0);
            }
        }
        NodeLimit::Breaker { breaker_a, continuous_pct } => {
            let amps = state.input_current_a;
            let continuous = breaker_a * continuous_pct / 100.0;
            if amps > breaker_a {
                push(Severity::Critical, Quantity::BreakerCurrent, amps, breaker_a);
            } else if amps > continuous {
                push(Severity::Warning, Quantity::BreakerCurrent, amps, continuous);
            }
        }
    }
    if state.feeder_ampacity_a > 0.0 {
        let ampacity = state.feeder_ampacity_a;
        let amps = state.input_current_a;
        if amps > ampacity {
            push(Severity::Critical, Quantity::CableCurrent, amps, ampacity);
        } else if amps > 0.8 * ampacity {
            push(Severity::Warning, Quantity::CableCurrent, amps, 0.8 * ampacity);
        }
    }
    let v = state.voltage_pu;
    if v < RANGE_B_PU.0 {
        push(Severity::Critical, Quantity::Voltage, v, RANGE_B_PU.0);
    } else if v > RANGE_B_PU.1 {
        push(Severity::Critical, Quantity::Voltage, v, RANGE_B_PU.1);
    } else if v < RANGE_A_PU.0 {
        push(Severity::Warning, Quantity::Voltage, v, RANGE_A_PU.0);
    } else if v > RANGE_A_PU.1 {
        push(Severity::Warning, Quantity::Voltage, v, RANGE_A_PU.1);
    }
}

/// Headroom rows of one energized network element, handed to `offer`: its rating, its feeder
/// cable, its voltage (the same rows the headroom table picks its winners from).
fn element_candidates<'a>(
    id: &'a str,
    rank: Option<u32>,
    state: &ElectricalState,
    node_limit: &NodeLimit,
    mut offer: impl FnMut(Candidate<'a>),
) {
    let row = |limit, id, value, limit_value, unit| Candidate { rank, ..row(limit, id, value, limit_value, unit) };
    let current = |limit, id, value, limit_value, unit, voltage_pu| Candidate {
        rank,
        ..current_row(limit, id, value, limit_value, unit, voltage_pu)
    };
    match *node_limit {
        NodeLimit::Import { capacity_mva } => {
            let s_mva = (state.p_kw.powi(2) + state.q_kvar.powi(2)).sqrt() / 1000.0;
            offer(row(LimitKind::GridFeedCapacity, id, s_mva, capacity_mva, "MVA"));
        }
        NodeLimit::TransformerRating { rated_kva } => offer(current(
            LimitKind::TransformerRating,
            id,
            state.loading_pct * rated_kva / 100.0,
            rated_kva,
            "kVA",
            state.voltage_pu,
        )),
        NodeLimit::UpsRating { rated_kw, rated_kva } => {
            // Whichever rating binds, in its own unit: kW, or kVA when the load's reactive
            // power makes the apparent power bind first.
            let kw = state.p_kw - state.losses_kw;
            let kva = 3f64.sqrt() * state.voltage_v * state.output_current_a / 1000.0;
            offer(if kva / rated_kva > kw / rated_kw {
                row(LimitKind::UpsRating, id, kva, rated_kva, "kVA")
            } else {
                row(LimitKind::UpsRating, id, kw, rated_kw, "kW")
            });
        }
        NodeLimit::GeneratorRating { rated_kw, rated_kva } => {
            let kva = (state.p_kw.powi(2) + state.q_kvar.powi(2)).sqrt();
            offer(if kva / rated_kva > state.p_kw / rated_kw {
                row(LimitKind::GeneratorRating, id, kva, rated_kva, "kVA")
            } else {
                row(LimitKind::GeneratorRating, id, state.p_kw, rated_kw, "kW")
            });
        }
        NodeLimit::Breaker { breaker_a, continuous_pct } => {
            let continuous = breaker_a * continuous_pct / 100.0;
            offer(current(
                LimitKind::BreakerContinuous,
                id,
                state.input_current_a,
                continuous,
                "A",
                state.input_voltage_pu,
            ));
        }
    }
    if state.feeder_ampacity_a > 0.0 {
        let continuous = 0.8 * state.feeder_ampacity_a;
        offer(current(LimitKind::CableAmpacity, id, state.input_current_a, continuous, "A", state.input_voltage_pu));
    }
    let v = state.voltage_pu;
    // The drop below nominal grows with the load, so the lower bound is the one growth
    // reaches; above the upper bound the element is over it already.
    let (margin, limit) =
        if v > RANGE_A_PU.1 { (RANGE_A_PU.1 - v, RANGE_A_PU.1) } else { (v - RANGE_A_PU.0, RANGE_A_PU.0) };
    let growth_pct = voltage_growth_pct(v);
    offer(Candidate {
        rank,
        limit: LimitKind::VoltageRangeA,
        element: id,
        value: v,
        limit_value: limit,
        margin,
        unit: "pu",
        margin_pct: margin / limit * 100.0,
        time_to_limit_s: None,
        growth_pct,
    });
}

/// The margin, percent of its limit, of the limit an energized network element reaches first
/// as IT load grows: its row in the headroom table's order (the plan's headroom colours use it,
/// so they say what the table says). `None` when the element is dead or its state not finite.
pub fn binding_margin_pct(state: &ElectricalState, circuit: &Circuit) -> Option<f64> {
    if !state.energized || !electrical_state_finite(state) {
        return None;
    }
    let mut best: Option<Candidate> = None;
    element_candidates("", None, state, &circuit.limit, |c| {
        if best.as_ref().is_none_or(|b| candidate_order(&c, b) == std::cmp::Ordering::Less) {
            best = Some(c);
        }
    });
    best.map(|c| c.margin_pct)
}

/// Keeps `c` if it binds before the current candidate of its kind. Ties (common:
/// A and B sides are usually identical) go to the first id in natural order, so reports do not
/// depend on the order of elements in the file or in the world.
fn offer<'a>(best: &mut [Option<Candidate<'a>>; LIMIT_KINDS], c: Candidate<'a>) -> bool {
    let slot = &mut best[c.limit as usize];
    let better = slot.as_ref().is_none_or(|old| candidate_order(&c, old) == std::cmp::Ordering::Less);
    if better {
        *slot = Some(c);
    }
    better
}

/// Tolerance on capacities and airflow before an alert: rounding in the means over a step.
const RATING_TOLERANCE: f64 = 1e-6;

/// How far a CDU's technology-loop supply may rise above its design (facility-water setpoint +
/// approach) before it is an alert: about the band a CDU's supply control holds (estimate).
pub const LIQUID_SUPPLY_TOLERANCE_K: f64 = 1.0;

/// Number of [`LimitKind`]s.
const LIMIT_KINDS: usize = LimitKind::ALL.len();

/// A headroom row that borrows its element id (no allocation per element per step).
#[derive(Debug, Clone, Copy)]
struct Candidate<'a> {
    /// The element's place in the natural order of ids, when known (network elements).
    rank: Option<u32>,
    limit: LimitKind,
    element: &'a str,
    value: f64,
    limit_value: f64,
    margin: f64,
    unit: &'static str,
    margin_pct: f64,
    time_to_limit_s: Option<f64>,
    /// Uniform IT load growth at which it binds, %; infinite when it never does.
    growth_pct: f64,
}

impl Candidate<'_> {
    /// The row, with its id owned.
    fn to_row(self) -> HeadroomRow {
        HeadroomRow {
            limit: self.limit,
            element: self.element.to_string(),
            value: self.value,
            limit_value: self.limit_value,
            margin: self.margin,
            unit: self.unit,
            margin_pct: self.margin_pct,
            time_to_limit_s: self.time_to_limit_s,
            load_growth_pct: self.growth_pct.is_finite().then_some(self.growth_pct),
        }
    }
}

/// A limit on a quantity that grows in proportion to the load (current, power, heat, airflow).
fn row<'a>(limit: LimitKind, id: &'a str, value: f64, limit_value: f64, unit: &'static str) -> Candidate<'a> {
    row_growing(limit, id, value, limit_value, unit, growth_pct(value, limit_value))
}

/// Uniform load growth, %, at which a quantity growing with the load reaches `limit_value`.
fn growth_pct(value: f64, limit_value: f64) -> f64 {
    if value > 0.0 { (limit_value / value - 1.0) * 100.0 } else { f64::INFINITY }
}

/// A row whose growth to the limit is already known.
fn row_growing<'a>(
    limit: LimitKind,
    id: &'a str,
    value: f64,
    limit_value: f64,
    unit: &'static str,
    growth_pct: f64,
) -> Candidate<'a> {
    Candidate {
        rank: None,
        limit,
        element: id,
        value,
        limit_value,
        margin: limit_value - value,
        unit,
        margin_pct: (limit_value - value) / limit_value * 100.0,
        time_to_limit_s: None,
        growth_pct,
    }
}

/// A limit on a current at an element seen at `voltage_pu`: constant-power loads draw more
/// current as the voltage sags with the load, `I(λ) = λ·I₀·V₀/V(λ)` with the drop below nominal
/// growing in proportion, `V(λ) = 1 − λ·(1 − V₀)`; the current reaches the limit `L` at
/// `λ = L / (I₀·V₀ + L·(1 − V₀))`.
fn current_row<'a>(
    limit: LimitKind,
    id: &'a str,
    value: f64,
    limit_value: f64,
    unit: &'static str,
    voltage_pu: f64,
) -> Candidate<'a> {
    row_growing(limit, id, value, limit_value, unit, current_growth_pct(value, limit_value, voltage_pu))
}

/// [`current_row`]'s growth to the limit, %.
fn current_growth_pct(value: f64, limit_value: f64, voltage_pu: f64) -> f64 {
    if value > 0.0 && voltage_pu > 0.0 {
        let drop = (1.0 - voltage_pu).max(0.0);
        let lambda = limit_value / (value * (1.0 - drop) + limit_value * drop);
        (lambda - 1.0) * 100.0
    } else {
        growth_pct(value, limit_value)
    }
}

/// Growth to the lower bound of range A, %, of a voltage at `v` pu (the drop below nominal
/// grows with the load); already past it above the upper bound, never reached at or above
/// nominal.
fn voltage_growth_pct(v: f64) -> f64 {
    if v > RANGE_A_PU.1 {
        -100.0
    } else if v < 1.0 {
        ((1.0 - RANGE_A_PU.0) / (1.0 - v) - 1.0) * 100.0
    } else {
        f64::INFINITY
    }
}

/// Cooling limits: rack inlets against the zone's ASHRAE class (with the time until the
/// allowable maximum while rising), units short of capacity, facility water above its W class,
/// and units without power.
fn check_cooling<'a>(
    plant: &'a CoolingPlant,
    net: &super::electrical::ElectricalNetwork,
    racks: Option<&'a Query<(&ElementId, RackInputs)>>,
    findings: &mut Vec<Finding<'a>>,
    mut offer: impl FnMut(Candidate<'a>),
) {
    // A non-finite temperature anywhere is a solver failure of that node, named as such.
    let nodes = plant
        .zones
        .iter()
        .map(|z| (&z.id, z.room_c.is_finite() && z.supply_c.is_finite() && z.hottest_inlet_c.is_finite()))
        .chain(plant.loops.iter().map(|l| (&l.id, l.supply_c.is_finite())))
        .chain(plant.cdus.iter().map(|c| (&c.id, c.supply_c.is_finite())));
    for (id, finite) in nodes {
        if !finite {
            findings.push(Finding::new(Severity::Critical, id, Quantity::SolverFailure, 0.0, 0.0));
        }
    }
    let mut hot_zones = Vec::new();
    for zone in &plant.zones {
        let (recommended, allowable) = (zone.class.recommended_max_c(), zone.class.allowable_max_c());
        let mut c = row(LimitKind::InletTemperature, &zone.id, zone.hottest_inlet_c, allowable, "°C");
        c.time_to_limit_s = zone.time_to_allowable_s;
        // The inlet's rise above the supply air grows with the heat.
        let rise = zone.hottest_inlet_c - zone.supply_c;
        c.growth_pct = if rise > 0.0 { ((allowable - zone.supply_c) / rise - 1.0) * 100.0 } else { f64::INFINITY };
        offer(c);
        if zone.hottest_inlet_c > recommended || zone.time_to_allowable_s.is_some_and(|t| t < 3600.0) {
            hot_zones.push(zone);
        }
        // The coils' physical limit: the most they remove while every one holds its setpoint,
        // at present water temperatures and full airflow.
        let holding_kw = zone.holding_capacity_w / 1e3;
        if holding_kw.is_finite() && holding_kw > 0.0 {
            offer(row(LimitKind::CrahCapacity, &zone.id, zone.heat_load_w / 1e3, holding_kw, "kW"));
        }
        let rated_kw = zone.running_capacity_w / 1e3;
        if rated_kw > 0.0 && zone.coil_w / 1e3 > rated_kw * (1.0 + RATING_TOLERANCE) && !zone.over_capacity {
            // Still holding its setpoint, but beyond the units' rating (hotter return air than
            // the rating point): the design has no margin left.
            findings.push(Finding::new(
                Severity::Warning,
                &zone.id,
                Quantity::CoolingRating,
                zone.coil_w / 1e3,
                rated_kw,
            ));
        }
        if zone.available_airflow_m3_s > 0.0 {
            offer(row(LimitKind::Airflow, &zone.id, zone.demand_m3_s, zone.available_airflow_m3_s, "m³/s"));
        }
        if zone.demand_m3_s > zone.available_airflow_m3_s * (1.0 + RATING_TOLERANCE) && zone.demand_m3_s > 0.0 {
            // The racks draw more air than the running CRAHs give: exhaust recirculates.
            findings.push(Finding::new(
                Severity::Warning,
                &zone.id,
                Quantity::Airflow,
                zone.demand_m3_s,
                zone.available_airflow_m3_s,
            ));
        }
        if zone.over_capacity {
            findings.push(Finding {
                severity: Severity::Critical,
                element: &zone.id,
                quantity: Quantity::CoolingCapacity,
                value: zone.heat_load_w / 1e3,
                limit: zone.running_capacity_w / 1e3,
                time_to_limit_s: zone.time_to_allowable_s,
            });
        }
    }
    // Per-rack inlet alerts, only in zones that are (or soon will be) too hot.
    if let Some(racks) = racks.filter(|_| !hot_zones.is_empty()) {
        for (id, rack) in racks.iter() {
            let Some(cooling) = rack.cooling else { continue };
            let Some(zone) = hot_zones.iter().find(|z| cooling.zone.as_deref() == Some(z.id.as_str())) else {
                continue;
            };
            if !net.rack_supplied(rack.in_service.0, rack.cords) {
                continue;
            }
            let Some(thermal) = rack.thermal(plant, net) else { continue };
            let (recommended, allowable) = (zone.class.recommended_max_c(), zone.class.allowable_max_c());
            let (severity, limit) = if thermal.inlet_c > allowable {
                (Severity::Critical, allowable)
            } else if thermal.inlet_c > recommended {
                (Severity::Warning, recommended)
            } else {
                continue;
            };
            findings.push(Finding {
                severity,
                element: &id.0,
                quantity: Quantity::InletTemperature,
                value: thermal.inlet_c,
                limit,
                time_to_limit_s: if severity == Severity::Warning { zone.time_to_allowable_s } else { None },
            });
        }
    }
    for cdu in &plant.cdus {
        // What it can move now: nothing without power or facility water, so the loss of a CDU
        // carrying racks is critical at once (their heat has nowhere to go).
        let available_kw = cdu.available_w / 1e3;
        let heat_kw = cdu.rack_heat_w / 1e3;
        let mut c = row(LimitKind::CduCapacity, &cdu.id, heat_kw, available_kw, "kW");
        c.margin_pct = (available_kw - heat_kw) / cdu.rating.capacity_kw * 100.0;
        offer(c);
        if heat_kw > available_kw {
            findings.push(Finding::new(Severity::Critical, &cdu.id, Quantity::CoolingCapacity, heat_kw, available_kw));
        }
        if cdu.boiling {
            findings.push(Finding::new(Severity::Critical, &cdu.id, Quantity::Boiling, cdu.supply_c, 100.0));
        }
        if cdu.supply_c > cdu.design_supply_c + LIQUID_SUPPLY_TOLERANCE_K {
            findings.push(Finding::new(
                Severity::Critical,
                &cdu.id,
                Quantity::LiquidSupply,
                cdu.supply_c,
                cdu.design_supply_c,
            ));
        }
    }
    // Units are matched to their loop by index (ids would be compared thousands of times a step).
    for (li, lp) in plant.loops.iter().enumerate() {
        let available_kw: f64 = if lp.free_cooling {
            plant
                .heat_rejection
                .iter()
                .filter(|h| h.water_loop == li && h.supply.powered)
                .map(|h| h.rating.capacity_kw)
                .sum()
        } else {
            plant.chillers.iter().filter(|c| c.water_loop == li).map(|c| c.available_w / 1e3).sum()
        };
        if available_kw > 0.0 {
            offer(row(LimitKind::PlantCapacity, &lp.id, lp.heat_in_w / 1e3, available_kw, "kW"));
        }
        let rejection_kw = lp.rejection_capacity_w / 1e3;
        if rejection_kw > 0.0 && lp.rejection_load_w > 0.0 {
            offer(row(LimitKind::HeatRejection, &lp.id, lp.rejection_load_w / 1e3, rejection_kw, "kW"));
            if lp.rejection_load_w / 1e3 > rejection_kw * (1.0 + RATING_TOLERANCE) {
                // Towers beyond capacity: the condenser water warms, chillers lose capacity.
                for h in plant.heat_rejection.iter().filter(|h| h.water_loop == li && h.rejected_w > 0.0) {
                    findings.push(Finding::new(
                        Severity::Critical,
                        &h.id,
                        Quantity::CoolingCapacity,
                        h.rejected_w / 1e3,
                        h.rating.capacity_kw,
                    ));
                }
            }
        }
        if lp.boiling {
            findings.push(Finding::new(Severity::Critical, &lp.id, Quantity::Boiling, lp.supply_c, 100.0));
        }
        if lp.over_capacity {
            // A loop cooled by towers or dry coolers alone floats above its setpoint when the
            // outdoor air is too warm: a warning, as its hard limit is the water class (below).
            // Without any running, nothing rejects its heat: critical.
            let floating = lp.rejection_capacity_w > 0.0 && plant.chillers.iter().all(|c| c.water_loop != li);
            findings.push(Finding::new(
                if floating { Severity::Warning } else { Severity::Critical },
                &lp.id,
                Quantity::CoolingCapacity,
                lp.heat_in_w / 1e3,
                lp.plant_w / 1e3,
            ));
        }
        if let Some(class) = lp.class
            && lp.supply_c > class.max_supply_c()
        {
            findings.push(Finding::new(
                Severity::Critical,
                &lp.id,
                Quantity::FacilityWater,
                lp.supply_c,
                class.max_supply_c(),
            ));
        }
    }
    for ch in plant.chillers.iter().filter(|c| c.tripped || c.condenser_limited) {
        let condenser = plant.loops[ch.water_loop].condenser_c.unwrap_or(ch.rating.max_condenser_c);
        findings.push(Finding::new(
            Severity::Critical,
            &ch.id,
            Quantity::CondenserTemperature,
            condenser,
            ch.rating.max_condenser_c,
        ));
    }
    // Only when the power update found some unit in service without a live feeder.
    if !plant.all_fed() {
        for (id, supply, rated_kw) in plant.units() {
            // A unit restarting after a power gap has power: the timeline says when it runs again.
            if supply.in_service && !supply.feeder_live {
                findings.push(Finding::new(Severity::Warning, id, Quantity::CoolingPower, rated_kw, 0.0));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The alerts' screen never hides an alert: on a feed → transformer → UPS → PDU chain whose
    /// load grows until each element crosses its limits (import, transformer loading, UPS kW,
    /// breaker, feeder cable, voltage), the load where an element's first finding appears is
    /// found by bisection to the last bits, and there its screen lets it through; at light load
    /// the screen holds every element back (the cheap path is taken at all).
    #[test]
    fn the_screen_lets_every_alert_through() {
        use crate::sim::electrical::network::{C64, LoadFlow, Node, NodeRole, PowerNetwork, UpsLossCurve, test_node};
        let node = |role, parent, v_ln, limit| Node { limit, ..test_node(role, parent, v_ln) };
        let mut feed = node(NodeRole::Feed, None, 7967.0, NodeLimit::Import { capacity_mva: 0.9 });
        feed.z_series = C64::new(0.2, 1.0);
        let mut t = node(NodeRole::Transformer, Some(0), 240.0, NodeLimit::TransformerRating { rated_kva: 700.0 });
        (t.v_nom_in, t.ratio, t.z_series) = (7967.0, 7967.0 / 240.0, C64::new(0.001, 0.004));
        let mut ups =
            node(NodeRole::UpsEco, Some(1), 240.0, NodeLimit::UpsRating { rated_kw: 700.0, rated_kva: 800.0 });
        ups.ups_loss = UpsLossCurve { rated_w: 7e5, a: 0.005, b: 0.01, c: 0.01 };
        let mut pdu =
            node(NodeRole::Distribution, Some(2), 240.0, NodeLimit::Breaker { breaker_a: 900.0, continuous_pct: 80.0 });
        (pdu.z_feeder, pdu.feeder_ampacity_a) = (C64::new(0.004, 0.002), 1000.0);
        let net = PowerNetwork::new(vec![feed, t, ups, pdu]);
        let solve = |f: f64| -> LoadFlow {
            let mut flow = net.new_flow();
            flow.s_load[3] = C64::new(600e3, 200e3) * f;
            net.solve(&mut flow);
            assert!(flow.converged, "load factor {f}");
            flow
        };
        let findings = |flow: &LoadFlow, k: usize| {
            let mut v = Vec::new();
            let reading = crate::sim::electrical::solved_reading(&net, flow, k);
            element_findings("", &reading, &net.nodes()[k].limit, &mut v);
            v.len()
        };
        let light = solve(0.1);
        for k in 0..4 {
            let screen = Screen::of(&net.nodes()[k]);
            assert!(!screen.may_alert(&light, k) && findings(&light, k) == 0, "node {k} at light load");
            // The heaviest load that solves raises this element's alert: bisect down to where
            // it first appears.
            let (mut lo, mut hi) = (0.1, 1.45);
            assert!(findings(&solve(hi), k) > 0, "node {k} crosses a limit by load factor {hi}");
            while hi - lo > 1e-15 * hi {
                let mid = 0.5 * (lo + hi);
                if mid <= lo || mid >= hi {
                    break;
                }
                if findings(&solve(mid), k) > 0 { hi = mid } else { lo = mid }
            }
            let at = solve(hi);
            assert!(findings(&at, k) > 0 && screen.may_alert(&at, k), "node {k}: alert at {hi} screened out");
        }
    }

    /// The headroom table is indexed by discriminant: `ALL` must be in discriminant order.
    #[test]
    fn limit_kinds_are_listed_in_discriminant_order() {
        for (i, &k) in LimitKind::ALL.iter().enumerate() {
            assert_eq!(k as usize, i, "{k:?}");
            assert!(!k.label().is_empty() && !k.quantity().unit().is_empty());
        }
    }
}
