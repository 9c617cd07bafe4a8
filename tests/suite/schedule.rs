//! The simulation schedule has no system-order ambiguity: every pair of systems that touch the
//! same data runs in a declared order (as avian's `no_ambiguity_errors` test checks), so a
//! refactor cannot make results depend on the executor's whim.

use bevy::ecs::schedule::{LogLevel, ScheduleBuildSettings};
use bevy::prelude::*;

use crate::support::*;

#[test]
fn the_simulation_schedule_has_no_ambiguities() {
    let site = load(&root().join("sites/small_2n_room.ron"));
    let mut app =
        dctwin::headless::build_app(&site, &dctwin::catalog::Catalog::builtin(), std::time::Duration::from_secs(1));
    app.edit_schedule(FixedUpdate, |schedule| {
        schedule
            .set_build_settings(ScheduleBuildSettings { ambiguity_detection: LogLevel::Error, ..Default::default() });
    });
    // Building the schedule fails (and running it panics) on any ambiguity.
    app.world_mut().run_schedule(FixedUpdate);
    dctwin::headless::advance(&mut app, 2);
}

/// The check catches an ambiguity: a system writing the site totals with no declared order
/// against the load flow that also writes them.
#[test]
#[should_panic]
fn the_check_catches_an_unordered_writer() {
    fn meddle(mut totals: ResMut<dctwin::sim::electrical::SiteTotals>) {
        totals.it_load_kw += 0.0;
    }
    let site = load(&root().join("sites/small_2n_room.ron"));
    let mut app =
        dctwin::headless::build_app(&site, &dctwin::catalog::Catalog::builtin(), std::time::Duration::from_secs(1));
    app.add_systems(FixedUpdate, meddle);
    app.edit_schedule(FixedUpdate, |schedule| {
        schedule
            .set_build_settings(ScheduleBuildSettings { ambiguity_detection: LogLevel::Error, ..Default::default() });
    });
    app.world_mut().run_schedule(FixedUpdate);
}
