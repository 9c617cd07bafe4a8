//! dctwin's integration tests, in one binary so CI links Bevy once.

mod support;

mod alerts;
#[cfg(feature = "desktop")]
mod app_ui;
mod bad_input;
mod battery;
mod capacity;
mod catalog;
mod cli;
mod closed_form;
mod compose;
mod conservation;
mod cooling_plant;
mod design;
mod editing;
mod expand;
mod failover;
mod fan_out;
mod field_probe;
mod golden;
mod grid_rules;
mod kinds;
mod live_edits;
mod opendss;
mod rooms;
mod round_trip;
mod run_time;
mod scenario;
mod schedule;
mod schema;
mod site_repo;
#[cfg(feature = "desktop")]
mod sld;
mod standby;
mod sweep;
mod thermal;
mod weather;
#[cfg(feature = "desktop")]
mod window;
