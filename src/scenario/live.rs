//! The utility's rules watched during a live run (the desktop app): the grid import recorded
//! every step, checked against a rule set whenever asked, and a facility battery sized for it,
//! with the same functions the headless `--grid-rules` and `--size-storage` use.

use bevy::prelude::*;

use super::FacilityStorage;
use super::play::ScenarioPlayer;
use super::rules::{self, RuleResult, RuleSet};
use crate::sim::electrical::SiteTotals;
use crate::sim::{SimClock, SimSystems};

/// Most samples kept (a day at 0.1 s steps is 864,000): beyond it the oldest go, and the rules
/// are judged on what is left.
pub const GRID_WATCH_CAPACITY: usize = 1_000_000;

/// The rules watched and the grid import since they were chosen (or the run restarted).
#[derive(Resource, Debug, Clone, Default)]
pub struct GridWatch {
    /// The rules; `None`: nothing watched, nothing recorded.
    pub rules: Option<RuleSet>,
    /// Grid import per step, MW (a step without a solution repeats the last).
    import_mw: Vec<f64>,
    /// The step the samples were taken at, s.
    step_s: f64,
    /// Simulated time of the first sample's end, s.
    first_s: f64,
}

impl GridWatch {
    /// Watches `rules` from now on (none: stops watching).
    pub fn set_rules(&mut self, rules: Option<RuleSet>) {
        self.rules = rules;
        self.clear();
    }

    /// Forgets the samples (a restarted run).
    pub fn clear(&mut self) {
        self.import_mw.clear();
    }

    /// Samples recorded.
    pub fn samples(&self) -> usize {
        self.import_mw.len()
    }

    /// Each rule against the import so far, with the sags `disturbances` played.
    pub fn results(&self, disturbances: &[rules::Disturbance]) -> Vec<RuleResult> {
        let Some(set) = &self.rules else { return vec![] };
        if self.import_mw.is_empty() {
            return vec![];
        }
        set.rules
            .iter()
            .filter_map(|r| r.check_with(&self.import_mw, self.step_s, self.first_s, disturbances).ok())
            .collect()
    }

    /// The smallest facility battery that makes the import so far pass (as `--size-storage`).
    pub fn size_storage(&self, template: FacilityStorage) -> Option<FacilityStorage> {
        let set = self.rules.as_ref()?;
        rules::size_storage(set, &self.import_mw, self.step_s, template)
    }
}

/// Records the grid import for the watched rules after every step.
pub struct GridWatchPlugin;

impl Plugin for GridWatchPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<GridWatch>().add_systems(FixedUpdate, record_import.in_set(SimSystems::Record));
    }
}

fn record_import(clock: Res<SimClock>, totals: Res<SiteTotals>, mut watch: ResMut<GridWatch>) {
    if watch.rules.is_none() {
        return;
    }
    if watch.import_mw.is_empty() || watch.step_s != clock.step_s {
        watch.import_mw.clear();
        watch.step_s = clock.step_s;
        watch.first_s = clock.elapsed_s;
    }
    let last = watch.import_mw.last().copied().unwrap_or(0.0);
    let mw = if totals.converged { totals.grid_import_kw / 1000.0 } else { last };
    if watch.import_mw.len() == GRID_WATCH_CAPACITY {
        watch.import_mw.drain(..GRID_WATCH_CAPACITY / 10);
        let dropped = (GRID_WATCH_CAPACITY / 10) as f64 * watch.step_s;
        watch.first_s += dropped;
    }
    watch.import_mw.push(mw);
}

/// The sags the running scenario played so far.
pub fn disturbances(world: &World) -> Vec<rules::Disturbance> {
    world.get_resource::<ScenarioPlayer>().map(|p| p.disturbances.clone()).unwrap_or_default()
}
