//! dctwin's integration tests, in one binary so CI links Bevy once.

mod support;

mod alerts;
mod bad_input;
mod catalog;
mod cli;
mod closed_form;
mod conservation;
mod failover;
mod live_edits;
mod opendss;
mod round_trip;
mod thermal;
