//! Exports of a solved site to other tools.

pub mod opendss;
