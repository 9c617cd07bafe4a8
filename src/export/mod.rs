//! Exports of a solved site to other tools, and charts of runs.

pub mod opendss;
pub mod plot;
