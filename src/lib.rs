//! # dctwin: a digital twin of a data center's power and cooling
//!
//! dctwin answers a site planner's questions — how many more racks fit, which limit binds first,
//! what happens when equipment fails — from a site file kept in git.
//!
//! Layers, each usable without the one above it:
//! 1. [`catalog`] and [`site`]: the equipment catalog and the site file format (RON): parsing with
//!    positions, validation that reports every problem, canonical saving. No Bevy.
//! 2. [`sim`]: Bevy plugins that run under `MinimalPlugins`: the world of equipment entities,
//!    the fixed-step electrical load flow, the thermal and cooling model, limits and alerts.
//! 3. [`edit`]: validated, undoable edits of a running world (what the desktop app does to a site).
//!    [`scenario`]: timed events played through those edits, and the timeline of a run.
//! 4. Front ends: [`headless`] (batch runs and reports), [`study`] (contingency sweeps over many
//!    runs), [`export`] (OpenDSS), the `dctwin` CLI,
//!    and the desktop app (`app`, feature `desktop`, on by default).
//!
//! ```no_run
//! use dctwin::{catalog::Catalog, headless, site::load::load_site};
//! let catalog = Catalog::builtin();
//! let site = load_site("sites/small_2n_room.ron".as_ref(), &catalog).unwrap();
//! let report = headless::run(&site, &catalog, &headless::RunOptions::default(), "sites/small_2n_room.ron");
//! println!("{}", report.to_markdown(10));
//! ```

#[cfg(feature = "desktop")]
pub mod app;
pub mod catalog;
pub mod constraint;
pub mod edit;
pub mod export;
pub mod generator;
pub mod headless;
pub mod kinds;
pub mod scenario;
pub mod sim;
pub mod site;
pub mod study;
pub mod weather;
