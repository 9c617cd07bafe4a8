//! Electrical solver plugin: keeps a [`PowerNetwork`] in step with the world and solves the
//! load flow every fixed step, writing results back to components and [`SiteTotals`].

pub mod battery;
pub mod circuit;
pub mod kinds;
pub mod network;
pub mod standby;

use std::collections::HashMap;

use bevy::ecs::entity::EntityHashMap;
use bevy::prelude::*;

/// √3, for line-to-line ↔ line-to-neutral.
const SQRT_3: f64 = 1.732_050_807_568_877_2;

use super::SimSystems;
use super::components::*;
use super::world::ActiveCatalog;
use crate::site::save::natural_cmp;
pub use battery::{BatteryMode, OwnSupply, UpsBattery};
pub use circuit::{Circuit, NetworkKind, NodeLimit, impedance_from_pct, transformer_impedance};
use network::{C64, LoadFlow, Node, NodeRole, PowerNetwork, PreviousSolution, cord_shares, mag};

/// The solver's view of the network, rebuilt only when equipment or connections change.
#[derive(Resource, Debug, Default)]
pub struct ElectricalNetwork {
    /// Nodes in topological order.
    pub network: PowerNetwork,
    /// Entity → node index.
    pub index: EntityHashMap<usize>,
    /// The latest converged solution of this topology (after a rebuild, nominal voltages and
    /// no currents until the first solve converges; a failed solve leaves it as it was).
    /// Elements' results are read from it ([`Self::state`]), not written to components.
    pub flow: LoadFlow,
    /// The solver's working copy: the warm start for the next step.
    work: LoadFlow,
    /// `work`'s voltages are not yet `flow`'s: they are copied over when the next solve
    /// starts from them, and not at all when it starts from a prediction (which writes them
    /// all), as in a swing of every rack's demand.
    warm_start_pending: bool,
    /// The converged solution before `flow`, when it shares `flow`'s topology and inputs (the
    /// start of the next solve is predicted from the two: [`network::predict_start`]).
    previous: PreviousSolution,
    /// `rebuilds` when `previous` was kept; `None` when there is none to predict from.
    previous_rebuild: Option<u64>,
    /// `rebuilds` when `flow` was last solved; `None` when this topology has no solution yet.
    flow_rebuild: Option<u64>,
    /// Per node: its element's results in `flow`, worked out when first asked for after a
    /// solve ([`Self::solved_node_state`]).
    states: std::sync::OnceLock<Vec<ElectricalState>>,
    /// Per node: its `(element, feeder)` losses in `flow`, kW (zero when dead), worked out once
    /// per solution for the totals and the heat they give the rooms.
    losses_kw: Vec<(f64, f64)>,
    /// Per node: its element's id.
    pub node_ids: Vec<String>,
    /// Element id → node.
    pub node_of_id: HashMap<String, usize>,
    /// Per node: its element's place in the natural order of ids (ties in the headroom table
    /// go to the first id in that order; comparing ranks saves comparing strings).
    pub natural_rank: Vec<u32>,
    /// How many times the network has been rebuilt (for tests and diagnostics).
    pub rebuilds: u64,
    /// Forces a rebuild on the next step.
    pub dirty: bool,
    /// Cooling loads the last solve carried: `(node index, three-phase VA)`.
    pub applied_cooling: Vec<(usize, C64)>,
    /// Rack load per node, three-phase VA (kept while no rack changes).
    rack_load: Vec<C64>,
    /// Each rack as the last full pass over the racks' loads found it ([`add_rack_loads`]).
    rack_rows: RackLoadRows,
    /// Inserts and removals of a rack's rating or utilization, and inserts of a rack's service
    /// flag: while none happens and the network stands, [`Self::rack_rows`] stand.
    rack_changes: u64,
    /// How the racks' loads were summed (for tests and diagnostics).
    pub rack_passes: crate::sim::RackPasses,
    /// `rebuilds` at the latest solve; `None` before the first.
    solved_rebuild: Option<u64>,
    /// A UPS's input share or charger changed this step (the standing solution no longer holds).
    ups_inputs_changed: bool,
    /// True only while the working flow's UPS inputs and source voltages are known to equal the
    /// solution's (`flow`'s): set when a solve's are copied over, cleared by any write to
    /// either. A fast path only: while it is false the two are compared as before. (Comparing
    /// and copying them was a few per cent of a step at 10k racks.)
    inputs_match: bool,
    /// Converged solutions so far. While it does not change, neither do `flow`, the states
    /// and everything worked out from them (the limits keep their electrical scan).
    pub solutions: u64,
}

/// True before the first load flow and after every rebuild: the thermal step then needs the
/// new topology's losses (they heat rooms), so the load flow also runs before it.
fn needs_presolve(net: Res<ElectricalNetwork>) -> bool {
    net.solved_rebuild != Some(net.rebuilds)
}

impl ElectricalNetwork {
    /// Forgets the network, its solutions and its loads, as in a world just spawned, so that the
    /// next step rebuilds and solves from scratch (a study reusing one world for many runs:
    /// [`crate::sim::restart_run`]). The count of rebuilds goes on, so nothing keyed on it (the
    /// limits' scan, the thermal model's rack sums) takes an entry of an old run for a new one.
    pub fn restart(&mut self) {
        *self = ElectricalNetwork { rebuilds: self.rebuilds, dirty: true, ..ElectricalNetwork::default() };
    }

    /// True when `entity` is a network element in service with a live path to a feed (as of
    /// the latest topology update).
    pub fn entity_energized(&self, entity: Entity) -> bool {
        self.index.get(&entity).is_some_and(|&k| self.network.is_live(k))
    }

    /// True when node `k` is energized.
    pub fn node_energized(&self, k: u32) -> bool {
        self.network.is_live(k as usize)
    }

    /// True when a rack in service (`in_service`) with these cords has a live cord.
    pub fn rack_supplied(&self, in_service: bool, cords: &RackCordNodes) -> bool {
        in_service
            && (cords.a.is_some_and(|k| self.node_energized(k)) || cords.b.is_some_and(|k| self.node_energized(k)))
    }

    /// A rack's load-flow results: its demand (as of the latest step) split over its live
    /// cords, at its nodes' voltages of the latest converged solve. Racks are not written back
    /// every step: their results follow from these arrays, so they are read here. Without a
    /// converged solve of the present topology the cords carry power but no current or voltage.
    pub fn rack_power(&self, in_service: bool, cords: &RackCordNodes) -> RackPower {
        let live = |c: Option<u32>| c.map(|k| k as usize).filter(|&k| self.network.is_live(k));
        let (a, b) = (live(cords.a), live(cords.b));
        let on = in_service && (a.is_some() || b.is_some());
        let (sa, sb) = cord_shares(a.is_some(), b.is_some());
        let (s_kw, s_abs) = if on { (cords.demand * 1e-3, mag(cords.demand)) } else { (C64::new(0.0, 0.0), 0.0) };
        let cord = |node: Option<usize>, share: f64| match node {
            Some(k) if on => {
                let mut c =
                    CordState { live: true, p_kw: s_kw.re * share, q_kvar: s_kw.im * share, ..CordState::default() };
                if let Some(&v_abs) = self.solved().and_then(|f| f.v_out_abs.get(k)).filter(|&&v| v > 0.0) {
                    c.current_a = s_abs * share / (3.0 * v_abs);
                    c.voltage_pu = v_abs / self.network.nodes()[k].v_nom_out;
                }
                c
            }
            Some(_) => CordState { live: true, ..CordState::default() },
            None => CordState::default(),
        };
        RackPower { powered: on, p_kw: s_kw.re, q_kvar: s_kw.im, a: cord(a, sa), b: cords.b.map(|_| cord(b, sb)) }
    }

    /// False when the fast path over the inputs' comparison is wrong: `inputs_match` set while
    /// the working flow's UPS inputs or source voltages differ from the solution's. For tests.
    pub fn inputs_match_holds(&self) -> bool {
        !self.inputs_match || (self.flow.ups_input == self.work.ups_input && self.flow.source_pu == self.work.source_pu)
    }

    /// True while the working flow's inputs are known to be the solution's (see
    /// [`Self::inputs_match_holds`]). For tests.
    pub fn inputs_match(&self) -> bool {
        self.inputs_match
    }

    /// The latest converged solution of the present topology, if there is one.
    pub fn solved(&self) -> Option<&LoadFlow> {
        (self.flow_rebuild == Some(self.rebuilds)).then_some(&self.flow)
    }

    /// The load-flow results of network element `entity`: dead (the default) when it is not
    /// in the network, is not energized, or the present topology has no solution yet.
    pub fn state(&self, entity: Entity) -> ElectricalState {
        self.index.get(&entity).map_or_else(ElectricalState::default, |&k| self.node_state(k))
    }

    /// [`Self::state`] of node `k`.
    pub fn node_state(&self, k: usize) -> ElectricalState {
        self.solved_node_state(k).unwrap_or_default()
    }

    /// [`Self::node_state`]; `None` when dead or unsolved. Every node's state is worked out at
    /// the first ask after a solve (the app reads them all each refresh; a sweep's steps never
    /// ask, and the limits read only [`LimitReading`]s then).
    pub fn solved_node_state(&self, k: usize) -> Option<ElectricalState> {
        self.solved()?;
        let n = self.network.nodes().len();
        let states = self.states.get_or_init(|| (0..n).map(|k| self.fresh_node_state(k).unwrap_or_default()).collect());
        states.get(k).filter(|s| s.energized).cloned()
    }

    /// [`Self::solved_node_state`] worked out anew, not kept: a pass that reads each node's
    /// state once (the limits' headroom scan) saves storing every node's.
    pub fn fresh_node_state(&self, k: usize) -> Option<ElectricalState> {
        let flow = self.solved()?;
        self.network.nodes().get(k).filter(|n| n.energized)?;
        Some(solved_state(&self.network, flow, k, self.node_losses_kw(k)))
    }

    /// [`LimitReading`] of node `k`; `None` when dead or unsolved.
    pub fn solved_reading(&self, k: usize) -> Option<LimitReading> {
        let flow = self.solved()?;
        self.network.nodes().get(k).filter(|n| n.energized)?;
        Some(solved_reading(&self.network, flow, k))
    }

    /// Node `k`'s `(element, feeder)` losses, kW (zero when dead or unsolved), as in its
    /// [`Self::node_state`].
    pub fn node_losses_kw(&self, k: usize) -> (f64, f64) {
        match self.solved() {
            Some(_) => self.losses_kw.get(k).copied().unwrap_or((0.0, 0.0)),
            None => (0.0, 0.0),
        }
    }
}

/// Results of energized node `k` of `flow`, whose `(element, feeder)` losses are `losses_kw`
/// (worked out once per solution: [`ElectricalNetwork::node_losses_kw`]).
fn solved_state(network: &PowerNetwork, flow: &LoadFlow, k: usize, losses_kw: (f64, f64)) -> ElectricalState {
    let node = &network.nodes()[k];
    let r = solved_reading(network, flow, k);
    ElectricalState {
        energized: true,
        voltage_pu: r.voltage_pu,
        voltage_v: flow.v_out_abs[k] * SQRT_3,
        input_voltage_pu: mag(flow.v_in[k]) / node.v_nom_in,
        input_current_a: r.input_current_a,
        output_current_a: mag(flow.i_out[k]),
        p_kw: r.p_kw,
        q_kvar: r.q_kvar,
        loading_pct: r.loading_pct,
        losses_kw: losses_kw.0,
        feeder_losses_kw: losses_kw.1,
        feeder_loading_pct: if node.feeder_ampacity_a > 0.0 {
            r.input_current_a / node.feeder_ampacity_a * 100.0
        } else {
            0.0
        },
        feeder_ampacity_a: node.feeder_ampacity_a,
    }
}

/// What an element's alerts compare: the part of its [`ElectricalState`] the limits read,
/// worked out alone when only alerts are wanted (every step of a sweep), with the same
/// arithmetic as the whole state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LimitReading {
    /// As [`ElectricalState::voltage_pu`].
    pub voltage_pu: f64,
    /// As [`ElectricalState::input_current_a`].
    pub input_current_a: f64,
    /// As [`ElectricalState::p_kw`].
    pub p_kw: f64,
    /// As [`ElectricalState::q_kvar`].
    pub q_kvar: f64,
    /// As [`ElectricalState::loading_pct`].
    pub loading_pct: f64,
    /// As [`ElectricalState::feeder_ampacity_a`].
    pub feeder_ampacity_a: f64,
}

impl LimitReading {
    /// Every number is finite (else the solver failed at this element).
    pub fn is_finite(&self) -> bool {
        [self.voltage_pu, self.input_current_a, self.p_kw, self.q_kvar, self.loading_pct, self.feeder_ampacity_a]
            .iter()
            .all(|x| x.is_finite())
    }
}

impl From<&ElectricalState> for LimitReading {
    fn from(s: &ElectricalState) -> LimitReading {
        LimitReading {
            voltage_pu: s.voltage_pu,
            input_current_a: s.input_current_a,
            p_kw: s.p_kw,
            q_kvar: s.q_kvar,
            loading_pct: s.loading_pct,
            feeder_ampacity_a: s.feeder_ampacity_a,
        }
    }
}

/// [`LimitReading`] of energized node `k` of `flow`.
pub(crate) fn solved_reading(network: &PowerNetwork, flow: &LoadFlow, k: usize) -> LimitReading {
    let node = &network.nodes()[k];
    let s_out = flow.s_out(k);
    let (i_in, i_out) = (mag(flow.i_in[k]), mag(flow.i_out[k]));
    let s = match node.role {
        NodeRole::Feed | NodeRole::Generator => s_out,
        _ => flow.s_in(k),
    };
    LimitReading {
        voltage_pu: flow.v_out_abs[k] / node.v_nom_out,
        input_current_a: i_in,
        p_kw: s.re / 1000.0,
        q_kvar: s.im / 1000.0,
        loading_pct: loading_pct(&node.limit, s_out, i_in, i_out, node.v_nom_out),
        feeder_ampacity_a: node.feeder_ampacity_a,
    }
}

/// A network element's load-flow results read from the world (see
/// [`ElectricalNetwork::state`]); `None` when the world has no network.
pub fn element_state(world: &World, entity: Entity) -> Option<ElectricalState> {
    Some(world.get_resource::<ElectricalNetwork>()?.state(entity))
}

/// A rack's load-flow results read from the world (see [`ElectricalNetwork::rack_power`]);
/// `None` when `rack` is not a rack.
pub fn rack_power(world: &World, rack: Entity) -> Option<RackPower> {
    let net = world.get_resource::<ElectricalNetwork>()?;
    let e = world.get_entity(rack).ok()?;
    e.get::<Rack>()?;
    Some(net.rack_power(e.get::<InService>()?.0, e.get::<RackCordNodes>()?))
}

/// A rack's place in the solver: which nodes its cords hang from (set when the network is
/// rebuilt) and its demand (recomputed only when the rack's rating or utilization changes).
#[derive(Component, Debug, Clone, Copy, Default, PartialEq)]
pub struct RackCordNodes {
    /// Node index of the A feed, if it is in the network.
    pub a: Option<u32>,
    /// Node index of the B feed.
    pub b: Option<u32>,
    /// Three-phase demand when powered, VA.
    pub demand: C64,
}

/// A network element's node index in [`PowerNetwork::nodes`] (`None` while it cannot reach a
/// feed), set on rebuild so per-step passes (totals, losses as heat) find their node without
/// a hash look-up, in the components' storage order.
#[derive(Component, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NetworkSlot(pub Option<u32>);

/// Loads other than racks (cooling fans, pumps, chillers), each hanging from a distribution
/// element or UPS. Written by the thermal model; the electrical step adds them to its loads.
#[derive(Resource, Debug, Clone, Default, PartialEq)]
pub struct CoolingLoads {
    /// The loads.
    pub loads: Vec<CoolingLoad>,
    /// The network rebuild the loads' `node` refer to (else each is looked up by entity).
    pub rebuild: Option<u64>,
}

/// One cooling load (a CRAH, CDU, pump set, chiller or tower on its supply).
#[derive(Debug, Clone, PartialEq)]
pub struct CoolingLoad {
    /// The element it is fed from.
    pub supply: Entity,
    /// Its node in the network of [`CoolingLoads::rebuild`].
    pub node: Option<u32>,
    /// Real power, kW.
    pub p_kw: f64,
    /// Power factor (lagging).
    pub power_factor: f64,
}

/// Racks whose supply is degraded in the latest step, so limits need not scan every rack.
#[derive(Resource, Debug, Clone, Default, PartialEq)]
pub struct RackSupply {
    /// In service with no live cord.
    pub unpowered: Vec<Entity>,
    /// Dual-corded but running on one cord.
    pub single_cord: Vec<Entity>,
}

/// Site-wide electrical totals for the latest step.
#[derive(Resource, Debug, Clone, Default, PartialEq)]
pub struct SiteTotals {
    /// Real power drawn by powered racks, kW.
    pub it_load_kw: f64,
    /// Design load of racks that are in service but have no power, kW.
    pub unserved_kw: f64,
    /// Racks in service with no live cord.
    pub unpowered_racks: u32,
    /// Dual-corded racks running on one cord.
    pub single_cord_racks: u32,
    /// Import at all grid feeds, kW.
    pub grid_import_kw: f64,
    /// Import at all grid feeds, kvar.
    pub grid_import_kvar: f64,
    /// Transformer copper and core losses, kW.
    pub transformer_losses_kw: f64,
    /// UPS losses, kW.
    pub ups_losses_kw: f64,
    /// Feeder cable losses, kW.
    pub cable_losses_kw: f64,
    /// Cooling loads served, kW.
    pub cooling_kw: f64,
    /// The load flow converged.
    pub converged: bool,
    /// When the load flow has no solution: the largest fraction of this step's demand the
    /// network could carry (voltage collapse beyond it). `None` when it converged or was slow.
    pub loadability: Option<f64>,
    /// Sweeps the load flow used this step.
    pub iterations: u32,
    /// Net power from UPS batteries, kW: discharge positive, charging negative (grid import +
    /// generators + this = IT + losses + cooling).
    pub battery_kw: f64,
    /// Power from running generators, kW.
    pub generator_kw: f64,
}

impl SiteTotals {
    /// Instantaneous PUE: grid import over IT load; `None` without IT load.
    /// `None` too while UPS batteries discharge: the facility then draws on stored energy, and
    /// import over IT load would read as a PUE below 1.
    pub fn pue(&self) -> Option<f64> {
        (self.converged && self.it_load_kw > 0.0 && self.battery_kw <= 0.0)
            .then(|| self.facility_kw() / self.it_load_kw)
    }

    /// Power the facility draws from its sources, kW: grid import plus generators (not the UPS
    /// batteries, which only shift energy in time).
    pub fn facility_kw(&self) -> f64 {
        if self.generator_kw == 0.0 { self.grid_import_kw } else { self.grid_import_kw + self.generator_kw }
    }

    /// All electrical losses, kW.
    pub fn losses_kw(&self) -> f64 {
        self.transformer_losses_kw + self.ups_losses_kw + self.cable_losses_kw
    }
}

/// Energy integrated over the run (from the fixed step), for reports and PUE.
#[derive(Resource, Debug, Clone, Default, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct EnergyTotals {
    /// Simulated time integrated, s.
    pub seconds: f64,
    /// IT energy, kWh.
    pub it_kwh: f64,
    /// Electrical losses, kWh.
    pub losses_kwh: f64,
    /// Energy imported from the grid, kWh.
    pub grid_import_kwh: f64,
    /// Highest grid import seen, kW.
    pub peak_grid_import_kw: f64,
    /// Highest IT load seen, kW.
    pub peak_it_load_kw: f64,
    /// Energy drawn by cooling, kWh.
    pub cooling_kwh: f64,
    /// Simulated time whose load flow did not converge (no energy counted for it), s.
    pub unsolved_seconds: f64,
    /// Net energy from UPS batteries, kWh (discharge less recharge; absent when none moved).
    #[serde(skip_serializing_if = "is_zero")]
    pub battery_kwh: f64,
    /// Energy from generators, kWh (absent when none ran).
    #[serde(skip_serializing_if = "is_zero")]
    pub generator_kwh: f64,
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

impl EnergyTotals {
    /// Energy-weighted PUE over the run (The Green Grid: total facility energy / IT energy,
    /// with facility energy metered at the grid connection and at generators); `None` without
    /// IT energy.
    pub fn pue(&self) -> Option<f64> {
        let facility =
            if self.generator_kwh == 0.0 { self.grid_import_kwh } else { self.grid_import_kwh + self.generator_kwh };
        (self.it_kwh > 0.0).then(|| facility / self.it_kwh)
    }
}

/// Builds and solves the power network.
pub struct ElectricalPlugin;

impl Plugin for ElectricalPlugin {
    fn build(&self, app: &mut App) {
        macro_rules! register_node_kinds {
            (nodes: [ $( $Kind:ident { $($field:ident: $value:tt),* $(,)? } ),* $(,)? ], $($rest:tt)*) => {
                $( register_node_kinds!(@one $($field: $value),*); )*
            };
            (@one $($field:ident: $value:tt),*) => { $( register_node_kinds!(@field $field $value app); )* };
            (@field node $Node:ident $app:ident) => { circuit::register_kind::<kinds::$Node>($app); };
            (@field $other:ident $value:tt $app:ident) => {};
        }
        crate::kinds::equipment_kinds!(register_node_kinds);
        // The load flow's own state on each rack: where its cords sit in the network.
        app.register_required_components::<Rack, RackCordNodes>();
        // Every UPS has a battery state (one without battery energy never leaves standby).
        app.register_required_components::<kinds::Ups, battery::UpsBattery>();
        app.register_required_components::<kinds::Ups, OwnSupply>();
        // Generators run and transfer switches switch by their own state.
        app.register_required_components::<kinds::Generator, standby::GeneratorState>();
        app.register_required_components::<kinds::Generator, OwnSupply>();
        app.register_required_components::<kinds::TransferSwitch, standby::TransferState>();
        app.register_required_components::<kinds::TransferSwitch, standby::ChosenSource>();
        // A grid feed's supply voltage (a sag lowers it).
        app.register_required_components::<kinds::GridFeed, SourceVoltage>();
        app.init_resource::<ElectricalNetwork>()
            .init_resource::<crate::sim::EquipmentLog>()
            .init_resource::<SiteTotals>()
            .init_resource::<EnergyTotals>()
            .init_resource::<RackSupply>()
            .init_resource::<CoolingLoads>()
            .add_systems(
                FixedUpdate,
                (
                    (
                        battery::mark_own_supply,
                        standby::run_transfer_switches,
                        standby::run_generators,
                        rebuild_network_on_change,
                        apply_source_voltages,
                        battery::set_ups_inputs,
                        solve_load_flow.run_if(needs_presolve),
                    )
                        .chain()
                        .in_set(SimSystems::Topology),
                    (solve_load_flow, battery::integrate_batteries, standby::measure_generators, accumulate_energy)
                        .chain()
                        .in_set(SimSystems::Electrical),
                ),
            )
            // What a step at a fixed point still changes: the batteries' charge and the energy.
            .add_systems(
                crate::sim::IntegratorStep,
                (battery::integrate_batteries, accumulate_energy).chain().in_set(SimSystems::Electrical),
            )
            // What shapes the network is immutable, so every change of it is an insert or a
            // removal: observers mark the network for a rebuild (no per-step scan of every
            // element's change ticks). They fire at once, even while fixed time is paused.
            .add_observer(|_: On<Insert, NetworkShape>, mut net: ResMut<ElectricalNetwork>| net.dirty = true)
            .add_observer(|_: On<Remove, NetworkShape>, mut net: ResMut<ElectricalNetwork>| net.dirty = true)
            // A rack's service flag is read by the load flow each step; only a node's reshapes.
            .add_observer(
                |insert: On<Insert, InService>, racks: Query<(), With<Rack>>, mut net: ResMut<ElectricalNetwork>| {
                    if racks.contains(insert.entity) {
                        net.rack_changes += 1;
                    } else {
                        net.dirty = true;
                    }
                },
            )
            // A rack's rating (immutable) is fixed from its insert to its removal; its
            // utilization changes in place, but an insert or a removal of it is counted too.
            .add_observer(|_: On<Insert, (Rack, Utilization)>, mut net: ResMut<ElectricalNetwork>| {
                net.rack_changes += 1
            })
            .add_observer(|_: On<Remove, (Rack, Utilization)>, mut net: ResMut<ElectricalNetwork>| {
                net.rack_changes += 1
            });
    }
}

/// The immutable components that shape the network (with a node's [`InService`]): inserting
/// or removing any of them rebuilds it.
type NetworkShape = (ElementId, Sources, Feeder, Circuit, RackFeeds);

/// What the controllers change in place each step: a UPS holding its output on battery, a
/// generator running, a transfer switch's position (few entities: a cheap scan).
type ControlsChanged = Or<(Changed<OwnSupply>, Changed<standby::ChosenSource>)>;

type NetworkElement<'a> = (
    Entity,
    &'a ElementId,
    &'a InService,
    Option<&'a Sources>,
    Option<&'a Feeder>,
    &'a Circuit,
    Option<&'a OwnSupply>,
    Option<&'a standby::ChosenSource>,
    Option<&'a kinds::TransferSwitch>,
);

/// Rebuilds the network when anything that shapes it was added, changed or removed.
fn rebuild_network_on_change(
    mut net: ResMut<ElectricalNetwork>,
    controls: Query<(), ControlsChanged>,
    elements: Query<NetworkElement>,
    mut racks: Query<(&RackFeeds, &mut RackCordNodes)>,
    mut slots: Query<(Entity, &mut NetworkSlot)>,
    catalog: Option<Res<ActiveCatalog>>,
) {
    if !net.dirty && controls.is_empty() {
        return;
    }
    let no_cables = std::collections::BTreeMap::new();
    let cables = catalog.as_ref().map_or(&no_cables, |c| &c.0.cables);
    let (network, index, ids, natural_rank) = build_network(elements.iter(), cables);
    net.node_of_id = ids.clone();
    for (feeds, mut cords) in &mut racks {
        let node = |id: &str| ids.get(id).map(|&k| k as u32);
        let new = RackCordNodes { a: node(&feeds.a), b: feeds.b.as_deref().and_then(node), ..*cords };
        cords.set_if_neq(new);
    }
    // Elements that cannot reach a feed are not in the network: they are dead.
    for (entity, mut slot) in &mut slots {
        slot.set_if_neq(NetworkSlot(index.get(&entity).map(|&k| k as u32)));
    }
    net.flow = network.new_flow();
    net.work = network.new_flow();
    net.inputs_match = false;
    net.warm_start_pending = false;
    net.flow_rebuild = None;
    net.states = std::sync::OnceLock::new();
    net.network = network;
    net.index = index;
    net.natural_rank = natural_rank;
    net.node_ids = {
        let mut v = vec![String::new(); ids.len()];
        for (id, &k) in &ids {
            v[k] = id.clone();
        }
        v
    };
    net.rebuilds += 1;
    net.dirty = false;
}

/// Orders elements parent-before-child from the feeds down, choosing each element's source
/// among its candidates (the first energized one, in its order of preference), and makes the
/// solver's node from its circuit. Elements that cannot reach a feed (dangling after an edit)
/// are left out: they stay dead.
fn build_network<'a>(
    elements: impl Iterator<Item = NetworkElement<'a>>,
    cables: &std::collections::BTreeMap<String, crate::catalog::CableModel>,
) -> (PowerNetwork, EntityHashMap<usize>, HashMap<String, usize>, Vec<u32>) {
    struct Pending<'a> {
        entity: Entity,
        id: &'a str,
        in_service: bool,
        sources: &'a [String],
        feeder: Option<&'a Feeder>,
        circuit: &'a Circuit,
        own_supply: bool,
        /// A transfer switch's position: which candidate it connects (`None` inside: open).
        position: Option<Option<usize>>,
    }
    let mut all: Vec<Pending> = elements
        .map(|(entity, id, in_service, sources, feeder, circuit, own, chosen, switch)| Pending {
            // A static switch follows its sources within a quarter cycle: it takes its first
            // energized source like a plain element, with no timers.
            position: chosen.filter(|_| !switch.is_some_and(|s| s.0.is_static())).map(|c| c.0),
            entity,
            id: &id.0,
            in_service: in_service.0,
            sources: sources.map_or(&[][..], |s| &s.0[..]),
            feeder,
            circuit,
            own_supply: own.is_some_and(|o| o.0),
        })
        .collect();
    all.sort_by(|a, b| natural_cmp(a.id, b.id));
    let position: HashMap<&str, usize> = all.iter().enumerate().map(|(i, p)| (p.id, i)).collect();
    // Order by candidate edges (Kahn): every candidate source before what it may feed. Elements
    // on a cycle never get an order and stay out (validation refuses cycles in files).
    let mut waiting: Vec<usize> =
        all.iter().map(|p| p.sources.iter().filter(|s| position.contains_key(s.as_str())).count()).collect();
    let mut feeds_into: Vec<Vec<usize>> = vec![Vec::new(); all.len()];
    for (i, p) in all.iter().enumerate() {
        for s in p.sources {
            if let Some(&j) = position.get(s.as_str()) {
                feeds_into[j].push(i);
            }
        }
    }
    let mut ready: std::collections::VecDeque<usize> = (0..all.len()).filter(|&i| waiting[i] == 0).collect();
    let mut order = Vec::with_capacity(all.len());
    while let Some(i) = ready.pop_front() {
        order.push(i);
        for &c in &feeds_into[i] {
            waiting[c] -= 1;
            if waiting[c] == 0 {
                ready.push_back(c);
            }
        }
    }
    // Each element's source: the first candidate that is energized, else the first that
    // reaches a feed (the element is then dead but in the tree), else none.
    const NONE: usize = usize::MAX;
    let mut reaches = vec![false; all.len()];
    let mut energized = vec![false; all.len()];
    let mut parent = vec![NONE; all.len()];
    for &i in &order {
        let p = &all[i];
        match p.circuit.role {
            NodeRole::Feed => {
                reaches[i] = true;
                energized[i] = p.in_service;
                continue;
            }
            // A source only while it runs.
            NodeRole::Generator => {
                reaches[i] = true;
                energized[i] = p.in_service && p.own_supply;
                continue;
            }
            NodeRole::Transformer | NodeRole::UpsDoubleConversion | NodeRole::UpsEco | NodeRole::Distribution => {}
        }
        let candidates: Vec<usize> = p.sources.iter().filter_map(|s| position.get(s.as_str()).copied()).collect();
        // A transfer switch is connected where its controller put it (open: to nothing, so it
        // hangs dead under its preferred source); anything else takes its first energized source.
        let (chosen, connected) = match p.position {
            Some(Some(c)) => {
                let j = p.sources.get(c).and_then(|s| position.get(s.as_str()).copied()).filter(|&j| reaches[j]);
                (j.or_else(|| candidates.iter().copied().find(|&j| reaches[j])), j.is_some())
            }
            Some(None) => (candidates.iter().copied().find(|&j| reaches[j]), false),
            None => {
                let j = candidates
                    .iter()
                    .copied()
                    .find(|&j| energized[j])
                    .or_else(|| candidates.iter().copied().find(|&j| reaches[j]));
                (j, true)
            }
        };
        if let Some(j) = chosen {
            parent[i] = j;
            reaches[i] = true;
            // A UPS on battery holds its output with its source lost.
            energized[i] = p.in_service && ((connected && energized[j]) || p.own_supply);
        }
    }
    // Depth first from the feeds along the chosen sources: parents before children.
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); all.len()];
    let mut roots = Vec::new();
    for (i, p) in all.iter().enumerate() {
        if !reaches[i] {
            continue;
        }
        match parent[i] {
            NONE if p.circuit.role.is_source() => roots.push(i),
            NONE => {}
            j => children[j].push(i),
        }
    }
    let mut nodes: Vec<Node> = Vec::with_capacity(all.len());
    let mut index = EntityHashMap::default();
    let mut ids = HashMap::new();
    let mut natural_rank = Vec::new();
    let mut stack: Vec<(usize, Option<usize>)> = roots.iter().rev().map(|&r| (r, None)).collect();
    while let Some((i, parent_node)) = stack.pop() {
        let p = &all[i];
        let k = nodes.len();
        let v_parent = parent_node.map(|q: usize| nodes[q].v_nom_out);
        let mut node = node_from_circuit(p.entity, p.circuit, v_parent);
        node.parent = parent_node;
        node.energized = energized[i];
        if let Some(f) = p.feeder
            && let Some(cable) = cables.get(&f.0.cable)
        {
            let sets = f64::from(f.0.sets.max(1));
            let km = f.0.length_m / 1000.0;
            node.z_feeder = C64::new(cable.r_ohm_per_km * km / sets, cable.x_ohm_per_km * km / sets);
            node.feeder_ampacity_a = cable.ampacity_a * sets;
        }
        nodes.push(node);
        index.insert(p.entity, k);
        ids.insert(p.id.to_string(), k);
        natural_rank.push(i as u32);
        stack.extend(children[i].iter().rev().map(|&c| (c, Some(k))));
    }
    (PowerNetwork::new(nodes), index, ids, natural_rank)
}

/// The solver's node for an element's circuit (parent, energized and feeder are set by the
/// caller); `v_parent` is the upstream's nominal output, line-to-neutral V.
fn node_from_circuit(entity: Entity, c: &Circuit, v_parent: Option<f64>) -> Node {
    let ln = |kv: f64| kv * 1000.0 / SQRT_3;
    let (v_in, v_out) = match v_parent {
        Some(v) if c.follows_parent_voltage => (v, v),
        _ => (ln(c.input_kv), ln(c.output_kv)),
    };
    Node {
        entity,
        role: c.role,
        parent: None,
        energized: false,
        v_nom_in: v_in,
        v_nom_out: v_out,
        ratio: c.ratio,
        z_feeder: C64::new(0.0, 0.0),
        z_series: c.z_series,
        feeder_ampacity_a: 0.0,
        g_shunt: c.g_shunt,
        b_shunt: c.b_shunt,
        ups_loss: c.ups_loss,
        ups_input_tan_phi: c.ups_input_tan_phi,
        limit: c.limit,
    }
}

/// Loading of an element against its own limit, percent, from its solved flows.
pub fn loading_pct(limit: &NodeLimit, s_out: C64, i_in: f64, i_out: f64, v_nom_out: f64) -> f64 {
    match *limit {
        NodeLimit::Import { capacity_mva } => mag(s_out) / (capacity_mva * 1e6) * 100.0,
        NodeLimit::TransformerRating { rated_kva } => i_out / (rated_kva * 1000.0 / (3.0 * v_nom_out)) * 100.0,
        NodeLimit::UpsRating { rated_kw, rated_kva } => {
            (s_out.re / (rated_kw * 1000.0)).max(mag(s_out) / (rated_kva * 1000.0)) * 100.0
        }
        NodeLimit::Breaker { breaker_a, .. } => i_in / breaker_a * 100.0,
        NodeLimit::GeneratorRating { rated_kw, rated_kva } => {
            (s_out.re / (rated_kw * 1000.0)).max(mag(s_out) / (rated_kva * 1000.0)) * 100.0
        }
    }
}

type RackColumns<'a> =
    (Entity, &'a Rack, Option<&'a Utilization>, &'a RackProtection, &'a InService, &'a mut RackCordNodes);

/// What a step in which only the racks' demands moved reads of each rack ([`add_moved_rack_loads`]).
type MovedRackColumns<'a> = (Entity, &'a Utilization, &'a RackProtection, &'a mut RackCordNodes);

/// The racks as the last full pass over their loads found them, in the query's order: what a
/// step in which only demands move needs of each (its cords' live nodes and its rating's
/// constants), and the counts that do not move with demand. They stand while the network
/// and every rack's rating and service stand ([`ElectricalNetwork::rack_changes`]).
#[derive(Debug, Clone, Default)]
struct RackLoadRows {
    /// `(network rebuilds, rack changes)` of the pass.
    key: Option<(u64, u64)>,
    rows: Vec<RackLoadRow>,
    /// Racks in service with no live cord.
    unpowered: u32,
    /// Dual-corded racks on one live cord.
    single_cord: u32,
}

/// One rack of [`RackLoadRows`].
#[derive(Debug, Clone, Copy)]
struct RackLoadRow {
    entity: Entity,
    demand: DemandTerms,
    supply: RowSupply,
}

/// What a rack's demand follows from besides its utilization ([`rack_demand`]).
#[derive(Debug, Clone, Copy)]
struct DemandTerms {
    /// Rated power, W.
    rated_w: f64,
    /// `√(1 − pf²)` of the rating's power factor `pf` (clamped away from 0).
    q_root: f64,
    pf: f64,
}

impl DemandTerms {
    fn of(rating: &crate::catalog::RackRating) -> DemandTerms {
        let pf = rating.power_factor.clamp(1e-6, 1.0);
        DemandTerms { rated_w: rating.rated_kw * 1000.0, q_root: (1.0 - pf * pf).sqrt(), pf }
    }

    /// Three-phase demand at `utilization`, VA.
    #[inline]
    fn at(&self, utilization: f64) -> C64 {
        let p = self.rated_w * utilization;
        C64::new(p, p * self.q_root / self.pf)
    }
}

/// How a rack of [`RackLoadRows`] draws its demand. Twelve bytes: the rows are read for every
/// rack in every step where demands move, so their size is the pass's memory traffic.
#[derive(Debug, Clone, Copy)]
enum RowSupply {
    /// Out of service: nothing.
    Off,
    /// In service with no live cord: unserved.
    Unpowered,
    /// From its one live cord's node, all of it ([`cord_shares`]: 1).
    One(u32),
    /// From both live cords' nodes, half each ([`cord_shares`]: ½, ½).
    Two(u32, u32),
}

/// Each rack's demand split over its live cords into `rack_load` (by node), with the supply
/// totals and lists on the way; fills `rows`. Out of line so that profiles show the racks'
/// pass apart from the solve.
#[inline(never)]
fn add_rack_loads(
    racks: &mut Query<RackColumns>,
    live_nodes: &[bool],
    t: &mut SiteTotals,
    supply: &mut RackSupply,
    rack_load: &mut [C64],
    rows: &mut RackLoadRows,
) {
    let live = |c: Option<u32>| c.filter(|&k| live_nodes[k as usize]);
    rows.rows.clear();
    for (entity, rack, utilization, protection, in_service, mut cords) in racks.iter_mut() {
        let terms = DemandTerms::of(&rack.rating);
        let demand = terms.at(Utilization::of(utilization)) * protection.factor;
        // Not a change anyone watches: the demand follows the rack's own utilization and
        // protection, whose changes are.
        cords.bypass_change_detection().demand = demand;
        let row =
            RackLoadRow { entity, demand: terms, supply: RowSupply::of(in_service.0, live(cords.a), live(cords.b)) };
        match row.supply {
            RowSupply::Unpowered => {
                t.unpowered_racks += 1;
                supply.unpowered.push(entity);
            }
            RowSupply::One(_) if cords.b.is_some() => {
                t.single_cord_racks += 1;
                supply.single_cord.push(entity);
            }
            _ => {}
        }
        row.supply.add_load(demand, t, rack_load);
        rows.rows.push(row);
    }
    rows.unpowered = t.unpowered_racks;
    rows.single_cord = t.single_cord_racks;
}

impl RowSupply {
    /// How a rack in service (`in_service`) with live cords' nodes `a` and `b` draws.
    fn of(in_service: bool, a: Option<u32>, b: Option<u32>) -> RowSupply {
        if !in_service {
            return RowSupply::Off;
        }
        match (a, b) {
            (None, None) => RowSupply::Unpowered,
            (Some(k), None) | (None, Some(k)) => RowSupply::One(k),
            (Some(a), Some(b)) => RowSupply::Two(a, b),
        }
    }

    /// Adds a rack's `demand` drawn this way: onto its cords' nodes in `rack_load` and the IT
    /// load, or to the unserved load.
    #[inline]
    fn add_load(self, demand: C64, t: &mut SiteTotals, rack_load: &mut [C64]) {
        match self {
            RowSupply::Off => {}
            RowSupply::Unpowered => t.unserved_kw += demand.re * 1e-3,
            // `demand · share` as the shares say (`· 1` is exact).
            RowSupply::One(k) => {
                t.it_load_kw += demand.re * 1e-3;
                rack_load[k as usize] += demand * cord_shares(true, false).0;
            }
            RowSupply::Two(a, b) => {
                t.it_load_kw += demand.re * 1e-3;
                let (share_a, share_b) = cord_shares(true, true);
                rack_load[a as usize] += demand * share_a;
                rack_load[b as usize] += demand * share_b;
            }
        }
    }
}

/// [`add_rack_loads`] for a step in which only the racks' demands may have moved since the
/// last full pass (same network, ratings and services: `rows` stand). Each rack's demand is
/// worked out from the row's terms and summed in the same order, with the full pass's
/// arithmetic, so the loads and totals are the full pass's to the bit (tested); the supply
/// lists and counts stand. Returns false, having added nothing to keep, when another entity is
/// in a row's place: the full pass is then needed.
#[inline(never)]
fn add_moved_rack_loads(
    racks: &mut Query<MovedRackColumns>,
    rows: &RackLoadRows,
    t: &mut SiteTotals,
    rack_load: &mut [C64],
) -> bool {
    if racks.iter().len() != rows.rows.len() {
        return false;
    }
    // Table by table, each column a slice, in the query's own order (per-rack iteration was
    // a third of this pass's instructions). Every rack column is stored in tables, so the query
    // is dense; were it not, the full pass would serve.
    let Ok(tables) = racks.contiguous_iter_mut() else { return false };
    let mut next_row = rows.rows.iter();
    for (entities, utilizations, protections, mut cords) in tables {
        let columns = entities.iter().zip(utilizations).zip(protections).zip(cords.bypass_change_detection());
        for (((&entity, utilization), protection), cords) in columns {
            let Some(row) = next_row.next().filter(|row| row.entity == entity) else { return false };
            let demand = row.demand.at(utilization.0) * protection.factor;
            cords.demand = demand;
            row.supply.add_load(demand, t, rack_load);
        }
    }
    t.unpowered_racks = rows.unpowered;
    t.single_cord_racks = rows.single_cord;
    true
}

/// A rack whose demand changed. (Its rating and service are immutable and counted by
/// [`ElectricalNetwork::rack_changes`]; its cords move only with a network rebuild.)
type RackLoadChanged = (With<Rack>, Or<(Changed<Utilization>, Changed<RackProtection>)>);

/// Solves the load flow for the racks' present demand and writes the network elements' results
/// back (racks' results are read from the solution: [`ElectricalNetwork::rack_power`]).
#[allow(clippy::type_complexity)]
fn solve_load_flow(
    mut net: ResMut<ElectricalNetwork>,
    mut totals: ResMut<SiteTotals>,
    mut supply: ResMut<RackSupply>,
    mut rack_queries: ParamSet<(Query<RackColumns>, Query<(), RackLoadChanged>, Query<MovedRackColumns>)>,
    slots: Query<&NetworkSlot, With<Circuit>>,
    cooling_loads: Res<CoolingLoads>,
) {
    let net = &mut *net;
    let (network, flow) = (&net.network, &mut net.work);
    if flow.s_load.len() != network.nodes().len() {
        *flow = network.new_flow();
        net.inputs_match = false;
    }
    let live_nodes = network.live();

    // Loads: each rack's demand split over its live cords; supply totals and lists on the way.
    // When no rack and no connection changed since the last step, last step's loads stand;
    // when only demands moved, the last full pass's rows give each rack's place.
    let rows_stand = net.rack_rows.key == Some((net.rebuilds, net.rack_changes));
    let rack_load = &mut net.rack_load;
    let loads_stand = rows_stand && rack_load.len() == network.nodes().len() && rack_queries.p1().is_empty();
    let mut t = if loads_stand {
        SiteTotals {
            it_load_kw: totals.it_load_kw,
            unserved_kw: totals.unserved_kw,
            unpowered_racks: totals.unpowered_racks,
            single_cord_racks: totals.single_cord_racks,
            ..SiteTotals::default()
        }
    } else {
        rack_load.clear();
        rack_load.resize(network.nodes().len(), C64::new(0.0, 0.0));
        SiteTotals::default()
    };
    if !loads_stand {
        let moved = rows_stand && add_moved_rack_loads(&mut rack_queries.p2(), &net.rack_rows, &mut t, rack_load);
        if moved {
            net.rack_passes.moved += 1;
        } else {
            net.rack_passes.full += 1;
            supply.unpowered.clear();
            supply.single_cord.clear();
            rack_load.fill(C64::new(0.0, 0.0));
            t = SiteTotals::default();
            add_rack_loads(&mut rack_queries.p0(), live_nodes, &mut t, &mut supply, rack_load, &mut net.rack_rows);
            net.rack_rows.key = Some((net.rebuilds, net.rack_changes));
        }
    }
    flow.s_load.copy_from_slice(rack_load);
    net.applied_cooling.clear();
    // `√(1 − pf²)` of the last power factor met: the units mostly share one, and the root of
    // the same number is the same bits.
    let mut q_root_of = (f64::NAN, f64::NAN);
    for load in &cooling_loads.loads {
        let node = if cooling_loads.rebuild == Some(net.rebuilds) {
            load.node
        } else {
            slots.get(load.supply).ok().and_then(|s| s.0)
        };
        let Some(k) = node.map(|k| k as usize) else { continue };
        if live_nodes[k] {
            let pf = load.power_factor.clamp(1e-6, 1.0);
            if pf.to_bits() != q_root_of.0.to_bits() {
                q_root_of = (pf, (1.0 - pf * pf).sqrt());
            }
            let p = load.p_kw * 1e3;
            let s_va = C64::new(p, p * q_root_of.1 / pf);
            flow.s_load[k] += s_va;
            net.applied_cooling.push((k, s_va));
            t.cooling_kw += load.p_kw;
        }
    }
    net.solved_rebuild = Some(net.rebuilds);
    // The same loads on the same topology as the standing solution: it is this step's solution
    // too (a steady hall re-solves nothing; a new sweep would only move it within tolerance).
    let stands = totals.converged
        && net.flow_rebuild == Some(net.rebuilds)
        && net.flow.converged
        && !net.ups_inputs_changed
        && (net.inputs_match || net.flow.source_pu == net.work.source_pu)
        && net.flow.s_load == net.work.s_load;
    if stands {
        *totals = SiteTotals {
            converged: true,
            iterations: 0,
            loadability: None,
            grid_import_kw: totals.grid_import_kw,
            grid_import_kvar: totals.grid_import_kvar,
            transformer_losses_kw: totals.transformer_losses_kw,
            ups_losses_kw: totals.ups_losses_kw,
            cable_losses_kw: totals.cable_losses_kw,
            battery_kw: totals.battery_kw,
            generator_kw: totals.generator_kw,
            ..t
        };
        return;
    }
    // Only the loads changed since the latest solution (and since the one before it): the
    // sweeps start from a secant through the two.
    let inputs_match =
        net.inputs_match || (net.flow.source_pu == net.work.source_pu && net.flow.ups_input == net.work.ups_input);
    let only_loads_moved = net.flow_rebuild == Some(net.rebuilds) && net.flow.converged && inputs_match;
    if net.warm_start_pending {
        // Sized for the prediction, which writes every value (the buffers may be the previous
        // solution's, swapped in empty).
        let n = net.flow.v_out.len();
        net.work.v_in.resize(n, C64::new(0.0, 0.0));
        net.work.v_out.resize(n, C64::new(0.0, 0.0));
    }
    let predicted = only_loads_moved
        && net.previous_rebuild == Some(net.rebuilds)
        && network::predict_start(&net.flow, &net.previous, &mut net.work).is_some();
    if net.warm_start_pending && !predicted {
        net.work.v_in.clone_from(&net.flow.v_in);
        net.work.v_out.clone_from(&net.flow.v_out);
    }
    net.warm_start_pending = false;
    let flow = &mut net.work;
    network.solve(flow);
    t.converged = flow.converged;
    t.iterations = flow.iterations;
    t.loadability = match flow.outcome {
        network::Outcome::NoSolution { loadability } => Some(loadability),
        _ => None,
    };
    if !flow.converged {
        // A failed solve yields no numbers: components and racks keep the last solved state
        // (the thermal model keeps its last known heat), totals say "not solved" and the limits
        // raise a critical alert. The next step starts again from nominal voltages (with this
        // step's UPS inputs: a second solve in the same step uses them).
        let inputs = std::mem::take(&mut flow.ups_input);
        let sources = std::mem::take(&mut flow.source_pu);
        *flow = network.new_flow();
        flow.ups_input = inputs;
        flow.source_pu = sources;
        net.previous_rebuild = None;
        net.inputs_match = false;
        *totals = SiteTotals {
            converged: false,
            iterations: t.iterations,
            loadability: t.loadability,
            unpowered_racks: t.unpowered_racks,
            single_cord_racks: t.single_cord_racks,
            unserved_kw: t.unserved_kw,
            ..SiteTotals::default()
        };
        return;
    }

    // The solution becomes the one results are read from; the working copy keeps its voltages
    // as the next step's warm start (currents are recomputed from them by the first sweep).
    std::mem::swap(&mut net.flow, &mut net.work);
    // The solution before it becomes the previous one (its buffers swapped, not copied).
    net.previous_rebuild = only_loads_moved.then_some(net.rebuilds);
    if only_loads_moved {
        let (work, previous) = (&mut net.work, &mut net.previous);
        std::mem::swap(&mut work.s_load, &mut previous.s_load);
        std::mem::swap(&mut work.v_in, &mut previous.v_in);
        std::mem::swap(&mut work.v_out, &mut previous.v_out);
        work.s_load.resize(net.flow.s_load.len(), C64::new(0.0, 0.0));
    }
    net.solutions += 1;
    net.states = std::sync::OnceLock::new();
    net.warm_start_pending = true;
    // The working flow keeps the inputs for the next step, which changes only what moves; they
    // are the old solution's after the swap, so they need copying only if those differed.
    if !inputs_match {
        net.work.ups_input.clone_from(&net.flow.ups_input);
        net.work.source_pu.clone_from(&net.flow.source_pu);
    }
    net.inputs_match = true;
    net.flow_rebuild = Some(net.rebuilds);

    // Totals, in the elements' storage order (the order of the sums is part of the result),
    // with the arithmetic of each node's state (`solved_state`).
    let (network, flow) = (&net.network, &net.flow);
    flow.losses_kw_into(network, &mut net.losses_kw);
    for slot in &slots {
        let Some(k) = slot.0.map(|k| k as usize) else { continue };
        if !network.is_live(k) {
            continue;
        }
        let (element_kw, feeder_kw) = net.losses_kw[k];
        match network.role(k) {
            NodeRole::Feed => {
                let s_out = flow.s_out(k);
                t.grid_import_kw += s_out.re / 1000.0;
                t.grid_import_kvar += s_out.im / 1000.0;
            }
            NodeRole::Generator => t.generator_kw += flow.s_out(k).re / 1000.0,
            NodeRole::Transformer => t.transformer_losses_kw += element_kw,
            NodeRole::UpsDoubleConversion | NodeRole::UpsEco => t.ups_losses_kw += element_kw,
            NodeRole::Distribution => {}
        }
        t.cable_losses_kw += feeder_kw;
    }
    *totals = t;
}

/// Integrates the step's powers over the fixed step.
fn accumulate_energy(time: Res<Time<Fixed>>, totals: Res<SiteTotals>, mut energy: ResMut<EnergyTotals>) {
    let dt = time.timestep().as_secs_f64();
    let h = dt / 3600.0;
    energy.seconds += dt;
    if !totals.converged {
        // No solution, no energy: the time is counted apart so the report can say so.
        energy.unsolved_seconds += dt;
        return;
    }
    energy.it_kwh += totals.it_load_kw * h;
    energy.losses_kwh += totals.losses_kw() * h;
    energy.grid_import_kwh += totals.grid_import_kw * h;
    energy.cooling_kwh += totals.cooling_kw * h;
    if totals.battery_kw != 0.0 {
        energy.battery_kwh += totals.battery_kw * h;
    }
    if totals.generator_kw != 0.0 {
        energy.generator_kwh += totals.generator_kw * h;
    }
    energy.peak_grid_import_kw = energy.peak_grid_import_kw.max(totals.grid_import_kw);
    energy.peak_it_load_kw = energy.peak_it_load_kw.max(totals.it_load_kw);
}

/// The utility's voltage at a grid feed as a share of nominal: 1 normally, less during a sag.
#[derive(Component, Debug, Clone, Copy, PartialEq)]
pub struct SourceVoltage(pub f64);

impl Default for SourceVoltage {
    fn default() -> Self {
        SourceVoltage(1.0)
    }
}

/// After the rebuild: each feed's supply voltage into the load flow (a sag is a change of input:
/// the standing solution does not stand through it).
fn apply_source_voltages(mut net: ResMut<ElectricalNetwork>, feeds: Query<(Entity, &SourceVoltage)>) {
    let net = &mut *net;
    let n = net.network.nodes().len();
    if net.work.source_pu.len() != n {
        net.work.source_pu.clear();
        net.work.source_pu.resize(n, 1.0);
        net.inputs_match = false;
    }
    for (entity, v) in &feeds {
        if let Some(&k) = net.index.get(&entity)
            && net.work.source_pu[k] != v.0
        {
            net.work.source_pu[k] = v.0;
            net.inputs_match = false;
        }
    }
}

/// An element's input voltage as the present step will see it, pu of nominal: the last solved input
/// voltage, scaled by how much its source's voltage changed since (a sag that starts or ends
/// this step is seen this step).
pub(super) fn expected_input_pu(net: &ElectricalNetwork, k: usize) -> f64 {
    let nodes = net.network.nodes();
    let mut root = k;
    while let Some(q) = nodes[root].parent {
        root = q;
    }
    let now = net.work.source_pu.get(root).copied().unwrap_or(1.0);
    let then = net.flow.source_pu.get(root).copied().unwrap_or(1.0);
    let solved = match net.flow.v_in.get(k) {
        Some(&v) if net.flow.converged && nodes[k].v_nom_in > 0.0 => mag(v) / nodes[k].v_nom_in,
        _ => then,
    };
    if then > 0.0 { solved * now / then } else { now }
}

/// A rack's real demand at `utilization` of its `rating`, W.
#[inline]
pub fn rack_demand_w(rating: &crate::catalog::RackRating, utilization: f64) -> f64 {
    rating.rated_kw * 1000.0 * utilization
}

/// A rack's three-phase demand at `utilization` of its `rating`, VA.
#[inline]
pub fn rack_demand(rating: &crate::catalog::RackRating, utilization: f64) -> C64 {
    DemandTerms::of(rating).at(utilization)
}
