//! Playing a scenario file in the app: the run starts again at t = 0 from the site as it is,
//! the events play at their times (the same player as `dctwin run --scenario`), and it can be
//! restarted or stopped, both back to the site it started from.

use std::path::{Path, PathBuf};

use bevy::prelude::*;

use super::files;
use super::state::{EditorState, OpenFile};
use crate::catalog::Catalog;
use crate::scenario::Scenario;
use crate::scenario::live::GridWatch;
use crate::scenario::play::ScenarioPlayer;
use crate::sim::world::{ActiveCatalog, world_to_site};
use crate::site::SiteFile;

/// The scenario being played and the site it started from (what Restart and Stop go back to).
#[derive(Resource, Debug, Clone)]
pub struct PlayingScenario {
    /// The scenario.
    pub scenario: Scenario,
    /// The site before its first event.
    pub base: SiteFile,
}

fn catalog(world: &World) -> Catalog {
    world.get_resource::<ActiveCatalog>().map(|c| c.0.clone()).unwrap_or_else(Catalog::builtin)
}

/// Reads `path` and validates it against the site as it is now; the error names its file,
/// line and column.
pub fn load(world: &mut World, path: &Path) -> Result<Scenario, String> {
    let site = world_to_site(world);
    crate::scenario::load_scenario(path, &site, &catalog(world)).map_err(|p| p.to_string())
}

/// Plays `scenario` on the site as it is now, from t = 0 (the events are the run's, not edits
/// to undo; the edit history and its unsaved changes stay).
pub fn play(world: &mut World, scenario: Scenario) {
    let base = world_to_site(world);
    start(world, &base, scenario.clone());
    let name = scenario.name.clone();
    world.insert_resource(PlayingScenario { scenario, base });
    world.resource_mut::<EditorState>().info(format!("Playing scenario \"{name}\" from t = 0"));
}

/// The scenario from its start again, on the site it started from.
pub fn restart(world: &mut World) {
    let Some(p) = world.get_resource::<PlayingScenario>().cloned() else { return };
    start(world, &p.base, p.scenario.clone());
    let name = p.scenario.name.clone();
    world.insert_resource(p);
    world.resource_mut::<EditorState>().info(format!("Restarted scenario \"{name}\""));
}

/// Stops the scenario: the site it started from, a fresh run, no events.
pub fn stop(world: &mut World) {
    let Some(p) = world.remove_resource::<PlayingScenario>() else { return };
    reload_keeping_history(world, &p.base);
    world.resource_mut::<EditorState>().info(format!("Stopped scenario \"{}\"", p.scenario.name));
}

fn open_path(world: &World) -> Option<PathBuf> {
    world.get_resource::<OpenFile>().and_then(|f| f.path.clone())
}

/// A fresh run of `site` that keeps the edit history: its undo steps, and whether there are
/// unsaved changes (a scenario must not make the app forget to ask before closing).
fn reload_keeping_history(world: &mut World, site: &SiteFile) {
    let history = world.remove_resource::<crate::edit::EditHistory>();
    let path = open_path(world);
    files::load_into_world(world, site, &catalog(world), path);
    if let Some(h) = history {
        world.insert_resource(h);
    }
}

fn start(world: &mut World, site: &SiteFile, scenario: Scenario) {
    reload_keeping_history(world, site);
    world.insert_resource(ScenarioPlayer::new(scenario));
    if let Some(mut w) = world.get_resource_mut::<GridWatch>() {
        w.clear();
    }
}

/// Scenario files for the dialog: `scenarios/` and the open site's folder.
pub fn nearby_scenario_files(world: &World) -> Vec<PathBuf> {
    let mut dirs = vec![PathBuf::from("scenarios")];
    if let Some(dir) = open_path(world).as_deref().and_then(Path::parent).filter(|d| !d.as_os_str().is_empty()) {
        dirs.push(dir.join("../scenarios"));
    }
    files::ron_files_in(&dirs)
}
