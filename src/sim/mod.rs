//! The simulation: Bevy plugins that need only `MinimalPlugins`.
//!
//! [`SimPlugins`] is the group of them all; members can be disabled, e.g. the thermal model for
//! an electrical-only study of a site that has cooling
//! (`SimPlugins::default().build().disable::<thermal::ThermalPlugin>()`). Each solver registers
//! the private components it keeps on element entities itself.
//!
//! | plugin | set | does |
//! |---|---|---|
//! | [`ClockPlugin`] | [`SimSystems::Clock`] | advances the [`SimClock`] by the fixed step |
//! | [`electrical::ElectricalPlugin`] | `Topology`, `Electrical` | rebuilds the network on change; load flow |
//! | [`thermal::ThermalPlugin`] | `Thermal` | cooling plant and zones, between topology and load flow |
//! | [`limits::LimitsPlugin`] | `Limits` | alerts and headroom |
//! | `scenario::play::ScenarioPlugin` (a layer above) | `Events`, `Record` | plays a scenario's timed events; its timeline |
//!
//! All systems run in `FixedUpdate`, chained in the order of [`SimSystems`]. Simulation code
//! uses the fixed step, never wall-clock time, so a run is deterministic.

pub mod causes;
pub mod components;
pub mod electrical;
pub mod limits;
pub mod thermal;
pub mod world;

use std::time::Duration;

use bevy::prelude::*;

/// The ordered stages of one simulation step.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SimSystems {
    /// Advance the simulation clock.
    Clock,
    /// Timed events of a scenario: the edits due at the start of this step.
    Events,
    /// Rebuild solver structures after edits.
    Topology,
    /// Thermal network and cooling plant: heat from racks, power of cooling units.
    Thermal,
    /// Electrical load flow, carrying the racks and this step's cooling power.
    Electrical,
    /// Compare results with limits.
    Limits,
    /// Record what the step showed (a scenario's timeline).
    Record,
}

/// The integrators of a step alone: the clock, the UPS batteries and the energy totals, in the
/// order a `FixedUpdate` step runs them. At a fixed point of everything else they are all a
/// step changes, so running this schedule is running a whole step (see
/// `crate::headless::fast_forward`, which decides when that holds).
#[derive(bevy::ecs::schedule::ScheduleLabel, Debug, Clone, PartialEq, Eq, Hash)]
pub struct IntegratorStep;

/// Simulated time.
#[derive(Resource, Debug, Clone, Copy, Default, PartialEq)]
pub struct SimClock {
    /// Steps taken.
    pub steps: u64,
    /// Simulated seconds at the end of the latest step.
    pub elapsed_s: f64,
    /// Length of the latest step, s.
    pub step_s: f64,
}

/// The simulation's memory (what a load flow alone cannot recompute): temperatures of the
/// cooling plant, the alert and equipment logs, and what equipment holds over time (racks'
/// thermal protection, UPS batteries, generators, transfer switches). Undo puts it back so that
/// undoing an edit returns to the state before the edit, not only to the topology before it.
#[derive(Debug, Clone, Default)]
pub struct SimSnapshot {
    plant: Option<thermal::CoolingPlant>,
    alerts: Option<limits::AlertLog>,
    equipment_log: Option<EquipmentLog>,
    /// Per element id, its stateful components that differ from their defaults.
    states: ElementStates,
}

/// The per-element states a run builds up, by element id (only those away from their default).
#[derive(Debug, Clone, Default)]
struct ElementStates {
    protection: Vec<(String, components::RackProtection)>,
    batteries: Vec<(String, electrical::UpsBattery)>,
    generators: Vec<(String, electrical::standby::GeneratorState)>,
    switches: Vec<(String, electrical::standby::TransferState)>,
    positions: Vec<(String, electrical::standby::ChosenSource)>,
}

/// Every `C` away from its default, by element id.
fn capture_state<C: Component + Copy + Default + PartialEq>(world: &mut World) -> Vec<(String, C)> {
    let mut q = world.query::<(&components::ElementId, &C)>();
    q.iter(world).filter(|(_, c)| **c != C::default()).map(|(id, c)| (id.0.clone(), *c)).collect()
}

/// Puts `saved` back by element id; elements not in it go back to the default.
fn restore_state<C: Component<Mutability = bevy::ecs::component::Mutable> + Copy + Default + PartialEq>(
    world: &mut World,
    saved: Vec<(String, C)>,
) {
    let saved: std::collections::HashMap<String, C> = saved.into_iter().collect();
    let mut q = world.query::<(&components::ElementId, &mut C)>();
    for (id, mut c) in q.iter_mut(world) {
        c.set_if_neq(saved.get(&id.0).copied().unwrap_or_default());
    }
}

impl ElementStates {
    fn capture(world: &mut World) -> ElementStates {
        ElementStates {
            protection: capture_state(world),
            batteries: capture_state(world),
            generators: capture_state(world),
            switches: capture_state(world),
            positions: capture_state(world),
        }
    }

    fn restore(self, world: &mut World) {
        restore_state(world, self.protection);
        restore_state(world, self.batteries);
        restore_state(world, self.generators);
        restore_state(world, self.switches);
        restore_state(world, self.positions);
    }
}

impl SimSnapshot {
    /// The state of `world` now.
    pub fn capture(world: &mut World) -> SimSnapshot {
        SimSnapshot {
            plant: world.get_resource::<thermal::CoolingPlant>().cloned(),
            alerts: world.get_resource::<limits::AlertLog>().cloned(),
            equipment_log: world.get_resource::<EquipmentLog>().cloned(),
            states: ElementStates::capture(world),
        }
    }

    /// Puts this state back into `world`. The plant's indices are renewed so that racks and
    /// units look their zone, CDU and supply up again (the world may have been respawned since).
    pub fn restore(self, world: &mut World) {
        if let Some(mut plant) = self.plant {
            let generation = world.get_resource::<thermal::CoolingPlant>().map_or(0, |p| p.generation);
            plant.generation = generation + 1;
            plant.forget_entities();
            world.insert_resource(plant);
        }
        if let Some(alerts) = self.alerts {
            world.insert_resource(alerts);
        }
        if let Some(log) = self.equipment_log {
            world.insert_resource(log);
        }
        self.states.restore(world);
    }
}

/// Returns the simulation to the state a fresh run of the present site starts from: the plant
/// rebuilt (its first step settles it at the healthy site's steady state), no alerts, and every
/// rack's protection, battery, generator and transfer switch as at the start of a run.
pub fn reset_to_steady_state(world: &mut World) {
    let generation = world.get_resource::<thermal::CoolingPlant>().map_or(0, |p| p.generation);
    let mut plant = thermal::CoolingPlant::default();
    plant.generation = generation + 1;
    world.insert_resource(plant);
    world.insert_resource(limits::AlertLog::default());
    world.insert_resource(EquipmentLog::default());
    ElementStates::default().restore(world);
}

/// How many steps gathered the racks' heat (thermal model) or loads (load flow) by each way
/// since the app started (a steady step reuses the last sums and counts in neither): for
/// tests and diagnostics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RackPasses {
    /// Full passes over every rack's components (rows taken for the steps that follow).
    pub full: u64,
    /// Steps in which only demands moved: the sums worked out from the last full pass's rows.
    pub moved: u64,
}

/// Returns `world` to where a world just spawned from its present site starts a run: the
/// simulation's memory as [`reset_to_steady_state`] leaves it, the clock at zero, and the
/// network, totals, energy and every other result of the last step forgotten, so the next step
/// rebuilds and solves from scratch as a first step does. A study that runs one site many times
/// with different elements out of service reuses one world this way
/// (`crate::headless::rerun`), with the results of fresh worlds (tested).
pub fn restart_run(world: &mut World) {
    fn reset<R: Resource + Default>(world: &mut World) {
        if world.contains_resource::<R>() {
            world.insert_resource(R::default());
        }
    }
    reset_to_steady_state(world);
    reset::<SimClock>(world);
    reset::<electrical::SiteTotals>(world);
    reset::<electrical::EnergyTotals>(world);
    reset::<electrical::RackSupply>(world);
    reset::<electrical::CoolingLoads>(world);
    reset::<thermal::ThermalShedding>(world);
    reset::<limits::Headroom>(world);
    reset::<limits::LimitLines>(world);
    if let Some(mut net) = world.get_resource_mut::<electrical::ElectricalNetwork>() {
        net.restart();
    }
}

/// What equipment did on its own during a run, with the time it did it, s: a UPS going to
/// battery, its walk-in ending, a battery running out. Timelines read it.
#[derive(Resource, Debug, Clone, Default, PartialEq)]
pub struct EquipmentLog(pub Vec<(f64, String)>);

/// Default fixed step of the solvers.
pub const DEFAULT_STEP: Duration = Duration::from_secs(1);

/// The whole simulation: clock, electrical solver, thermal model, limits.
pub struct SimPlugins {
    /// Fixed timestep of the solvers.
    pub step: Duration,
}

impl Default for SimPlugins {
    fn default() -> Self {
        SimPlugins { step: DEFAULT_STEP }
    }
}

impl PluginGroup for SimPlugins {
    fn build(self) -> bevy::app::PluginGroupBuilder {
        bevy::app::PluginGroupBuilder::start::<Self>()
            .add(ClockPlugin { step: self.step })
            .add(electrical::ElectricalPlugin)
            .add(thermal::ThermalPlugin)
            .add(limits::LimitsPlugin)
    }
}

/// The fixed step, the simulation clock and the order of the stages.
pub struct ClockPlugin {
    /// Fixed timestep of the solvers.
    pub step: Duration,
}

impl Plugin for ClockPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(Time::<Fixed>::from_duration(self.step))
            .init_resource::<SimClock>()
            .init_resource::<EquipmentLog>()
            .configure_sets(
                FixedUpdate,
                (
                    SimSystems::Clock,
                    SimSystems::Events,
                    SimSystems::Topology,
                    SimSystems::Thermal,
                    SimSystems::Electrical,
                    SimSystems::Limits,
                    SimSystems::Record,
                )
                    .chain(),
            )
            .configure_sets(IntegratorStep, (SimSystems::Clock, SimSystems::Electrical).chain())
            .add_systems(FixedUpdate, advance_clock.in_set(SimSystems::Clock))
            .add_systems(IntegratorStep, advance_clock.in_set(SimSystems::Clock));
    }
}

fn advance_clock(time: Res<Time<Fixed>>, mut clock: ResMut<SimClock>) {
    let dt = time.timestep().as_secs_f64();
    clock.steps += 1;
    clock.step_s = dt;
    clock.elapsed_s += dt;
}
