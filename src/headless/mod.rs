//! Headless runs: the same simulation plugins under `MinimalPlugins`, no window.
//!
//! A run is deterministic: the fixed step drives every update
//! (`TimeUpdateStrategy::FixedTimesteps(1)`), no wall-clock time enters the solvers, and the
//! report lists everything in a fixed order.

pub mod fast_forward;
pub mod markdown;
pub mod report;
pub mod rerun;
pub mod timeseries;
pub mod weather;

use std::time::Duration;

use bevy::prelude::*;
use bevy::time::TimeUpdateStrategy;

use crate::catalog::Catalog;
use crate::sim::world::spawn_site;
use crate::sim::{SimClock, SimPlugins};
use crate::site::SiteFile;
pub use report::Report;

/// What to run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOptions {
    /// Simulated period.
    pub duration: Duration,
    /// Fixed step.
    pub step: Duration,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions { duration: Duration::from_secs(3600), step: crate::sim::DEFAULT_STEP }
    }
}

/// Shortest accepted step: the electrical model is a quasi-static phasor load flow, which says
/// nothing about what happens within a millisecond (less than a tenth of a 50/60 Hz cycle).
pub const MIN_STEP: Duration = Duration::from_millis(1);

/// Most steps one run takes (about 6 h of CPU at a large site's 2 ms per step): beyond it a
/// typo such as `--step 1ns` would run for days. Longer studies use longer steps.
pub const MAX_STEPS: u64 = 10_000_000;

impl RunOptions {
    /// Number of steps covering `duration` (at least one).
    pub fn steps(&self) -> u64 {
        let step = self.step.as_nanos().max(1);
        (self.duration.as_nanos().div_ceil(step) as u64).max(1)
    }

    /// Refuses a run that would not do what was asked: a step shorter than [`MIN_STEP`] or
    /// longer than the run, a run that is not a whole number of steps (it would silently run
    /// longer), or more than [`MAX_STEPS`] steps.
    pub fn check(&self) -> Result<(), String> {
        let show = |d: Duration| humantime::format_duration(d).to_string();
        if self.step < MIN_STEP {
            return Err(format!(
                "--step {} is shorter than {}: the load flow is quasi-static and says nothing below a millisecond",
                show(self.step),
                show(MIN_STEP)
            ));
        }
        if self.step > self.duration {
            return Err(format!(
                "--step {} is longer than --duration {}: the run would be one step of {} instead",
                show(self.step),
                show(self.duration),
                show(self.step)
            ));
        }
        let (d, s) = (self.duration.as_nanos(), self.step.as_nanos());
        if d % s != 0 {
            let n = d / s;
            let lower = Duration::from_nanos((n * s) as u64);
            let upper = Duration::from_nanos(((n + 1) * s) as u64);
            return Err(format!(
                "--duration {} is not a whole number of {} steps; use {} or {}",
                show(self.duration),
                show(self.step),
                show(lower),
                show(upper)
            ));
        }
        if (d / s) > u128::from(MAX_STEPS) {
            return Err(format!(
                "--duration {} at --step {} is {} steps; one run takes at most {MAX_STEPS}: use a longer step",
                show(self.duration),
                show(self.step),
                d / s
            ));
        }
        Ok(())
    }
}

/// A headless app with the site spawned, before its first step.
pub fn build_app(site: &SiteFile, catalog: &Catalog, step: Duration) -> App {
    let mut app = App::new();
    app.add_plugins(MinimalPlugins)
        .add_plugins(SimPlugins { step })
        .add_plugins((crate::scenario::play::ScenarioPlugin, crate::scenario::live::GridWatchPlugin));
    // Batch work runs the simulation on one thread: its systems are chained, so the
    // multi-threaded executor only adds hand-offs between threads (on 2 cores a 10k-rack step
    // was over twice as slow with it). Results do not depend on it: the schedule has no
    // ambiguous system order (tested).
    use bevy::ecs::schedule::SingleThreadedExecutor;
    app.edit_schedule(FixedUpdate, |s| {
        s.set_executor(SingleThreadedExecutor::new());
    });
    app.edit_schedule(bevy::app::Update, |s| {
        s.set_executor(SingleThreadedExecutor::new());
    });
    app.edit_schedule(crate::sim::IntegratorStep, |s| {
        s.set_executor(SingleThreadedExecutor::new());
    });
    // Each update advances exactly one fixed step; lift the 250 ms clamp so long steps are not cut.
    app.insert_resource(TimeUpdateStrategy::FixedTimesteps(1));
    app.world_mut().resource_mut::<Time<Virtual>>().set_max_delta(step.saturating_mul(4).max(Duration::from_secs(1)));
    spawn_site(app.world_mut(), site, catalog);
    app.finish();
    app.cleanup();
    app
}

/// Advances `app` by exactly `steps` fixed steps.
pub fn advance(app: &mut App, steps: u64) {
    let target = app.world().resource::<SimClock>().steps + steps;
    // The first update of a new app advances no time; a few spare updates cover that.
    let mut guard = steps + 8;
    while app.world().resource::<SimClock>().steps < target && guard > 0 {
        app.update();
        guard -= 1;
    }
    assert_eq!(app.world().resource::<SimClock>().steps, target, "the fixed-step loop did not advance as configured");
}

/// Advances `app` by exactly `steps` fixed steps like [`advance`], running the `FixedUpdate`
/// schedule directly once the app has had its first update: the same systems in the same order
/// on the same world (every simulation system is in `FixedUpdate` and reads only the fixed
/// timestep), without the rest of Bevy's frame around each step (its other schedules and
/// clocks), which cost a sixth of a small site's step. Used by the sweep; the result is the
/// same as [`advance`]'s (tested through the sweep's cases).
pub fn advance_fixed(app: &mut App, steps: u64) {
    let mut left = steps;
    if left > 0 && app.world().resource::<SimClock>().steps == 0 {
        advance(app, 1);
        left -= 1;
    }
    let world = app.world_mut();
    for _ in 0..left {
        world.run_schedule(FixedUpdate);
        world.clear_trackers();
    }
}

/// Runs `site` for `options.duration` and returns the report.
pub fn run(site: &SiteFile, catalog: &Catalog, options: &RunOptions, site_file: &str) -> Report {
    run_recording(site, catalog, options, site_file, None, None, None).0
}

/// Checking a run's grid import against a utility's rules.
#[derive(Debug, Clone, Copy)]
pub struct GridCheck<'a> {
    /// The rules.
    pub rules: &'a crate::scenario::rules::RuleSet,
    /// Also find the smallest facility battery that makes the import pass.
    pub size_storage: bool,
}

impl<'a> From<&'a crate::scenario::rules::RuleSet> for GridCheck<'a> {
    fn from(rules: &'a crate::scenario::rules::RuleSet) -> Self {
        GridCheck { rules, size_storage: false }
    }
}

/// Runs `site`, playing `scenario` when given (the report then has its timeline), checking the
/// grid import against the rules of `grid` when given (behind the scenario's facility battery,
/// if it has one) and, when `series` is given, recording those quantities after every step.
pub fn run_recording(
    site: &SiteFile,
    catalog: &Catalog,
    options: &RunOptions,
    site_file: &str,
    series: Option<&timeseries::SeriesSpec>,
    scenario: Option<&crate::scenario::Scenario>,
    grid: Option<GridCheck>,
) -> (Report, Option<String>) {
    let rules = grid.map(|g| g.rules);
    let mut app = build_app(site, catalog, options.step);
    if let Some(s) = scenario {
        app.insert_resource(crate::scenario::play::ScenarioPlayer::new(s.clone()));
    }
    let mut recorder = series.map(timeseries::Recorder::new);
    let mut tally = weather::WeatherTally::for_world(app.world());
    let mut import_mw = Vec::new();
    if recorder.is_none() && rules.is_none() && tally.is_none() {
        advance(&mut app, options.steps());
    } else {
        for _ in 0..options.steps() {
            advance(&mut app, 1);
            if let Some(r) = &mut recorder {
                r.record(app.world_mut());
            }
            if let Some(t) = &mut tally {
                t.record(app.world_mut());
            }
            if rules.is_some() {
                // A step without a solution keeps the last import (no number to judge).
                let t = app.world().resource::<crate::sim::electrical::SiteTotals>();
                let mw = if t.converged { t.grid_import_kw / 1000.0 } else { import_mw.last().copied().unwrap_or(0.0) };
                import_mw.push(mw);
            }
        }
    }
    let mut report = Report::from_world(app.world_mut(), options, site_file);
    report.weather = tally.map(weather::WeatherTally::finish);
    if let Some(check) = grid {
        use crate::scenario::rules;
        let set = check.rules;
        let step_s = options.step.as_secs_f64();
        let storage = scenario.and_then(|s| s.facility_storage);
        let (seen, facility_storage) = match &storage {
            Some(fs) => {
                let (seen, outcome) = rules::through_storage(&import_mw, fs, step_s);
                (seen, Some(outcome))
            }
            None => (import_mw.clone(), None),
        };
        let storage_sizing = check.size_storage.then(|| {
            let template = storage.unwrap_or(crate::scenario::FacilityStorage {
                power_mw: 0.0,
                energy_mwh: 0.0,
                round_trip_efficiency: 0.9,
                smoothing_s: 60.0,
            });
            let found = rules::size_storage(set, &import_mw, step_s, template);
            report::StorageSizing {
                outcome: found.map(|fs| rules::through_storage(&import_mw, &fs, step_s).1),
                smoothing_s: template.smoothing_s,
            }
        });
        let player = app.world().resource::<crate::scenario::play::ScenarioPlayer>();
        let (energy, disturbances) = (player.job_energy, player.disturbances.clone());
        report.grid_rules = Some(report::GridRulesReport {
            name: set.name.clone(),
            source: set.source.clone(),
            results: set.rules.iter().filter_map(|r| r.check_with(&seen, step_s, step_s, &disturbances).ok()).collect(),
            disturbances,
            facility_storage,
            storage_sizing,
            floor_cost: (energy.floor_extra_kwh > 0.0).then(|| report::FloorCost {
                extra_mwh: energy.floor_extra_kwh / 1e3,
                extra_mwh_per_day: energy.floor_extra_mwh_per_day(),
                extra_pct: energy.floor_extra_pct(),
            }),
        });
    }
    (report, recorder.map(timeseries::Recorder::finish))
}
