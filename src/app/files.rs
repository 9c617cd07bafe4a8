//! Opening and saving site files from the app. Saving writes the same canonical RON as
//! `dctwin fmt` through a temporary file and a rename, so a crash never leaves half a file.

use std::path::{Path, PathBuf};

use bevy::prelude::*;

use super::history::SiteHistory;
use super::state::{EditorState, OpenFile};
use super::status::{SiteStatus, refresh_status};
use crate::catalog::Catalog;
use crate::edit::EditHistory;
use crate::sim::SimClock;
use crate::sim::components::ElementId;
use crate::sim::electrical::EnergyTotals;
use crate::sim::limits::{AlertLog, Headroom};
use crate::sim::thermal::CoolingPlant;
use crate::sim::world::{ActiveCatalog, spawn_site, world_to_site};
use crate::site::SiteFile;

/// Replaces whatever the world holds with `site`: a fresh simulation from its healthy steady
/// state, an empty undo history and nothing selected.
pub fn load_into_world(world: &mut World, site: &SiteFile, catalog: &Catalog, path: Option<PathBuf>) {
    let old: Vec<Entity> = world.query_filtered::<Entity, With<ElementId>>().iter(world).collect();
    for e in old {
        world.despawn(e);
    }
    world.insert_resource(SimClock::default());
    world.insert_resource(AlertLog::default());
    world.insert_resource(Headroom::default());
    world.insert_resource(EnergyTotals::default());
    world.insert_resource(CoolingPlant::default());
    world.insert_resource(SiteHistory::default());
    world.insert_resource(SiteStatus::default());
    world.insert_resource(EditHistory::default());
    // A scenario belongs to the run it was started in.
    world.insert_resource(crate::scenario::play::ScenarioPlayer::default());
    world.remove_resource::<super::scenario::PlayingScenario>();
    if let Some(mut w) = world.get_resource_mut::<crate::scenario::live::GridWatch>() {
        w.clear();
    }
    spawn_site(world, site, catalog);
    // A site that includes other files is saved back into them.
    let composition = path
        .as_deref()
        .and_then(|p| crate::site::compose::Composition::read(p, &crate::site::compose::read_from_disk).ok())
        .filter(|c| c.is_composed());
    world.insert_resource(OpenFile { path, composition });
    let mut editor = world.get_resource_or_insert_with(EditorState::default);
    editor.selection.clear();
    editor.hovered = None;
    editor.fit_requested = true;
    refresh_status(world);
}

/// Opens `path` (parsed and validated like `dctwin check`); on error nothing changes and the
/// message names the file, line and column.
pub fn open(world: &mut World, path: &Path) -> Result<(), String> {
    let catalog = world.get_resource::<ActiveCatalog>().map(|c| c.0.clone()).unwrap_or_else(Catalog::builtin);
    let site = crate::site::load::load_site(path, &catalog).map_err(|p| p.to_string())?;
    load_into_world(world, &site, &catalog, Some(path.to_path_buf()));
    let mut editor = world.resource_mut::<EditorState>();
    editor.info(format!("Opened {}", path.display()));
    Ok(())
}

/// Checks that `path` is a site file that would open (parsed and validated against the active
/// catalog), without touching the world: so a broken file is refused before anything is asked.
pub fn check(world: &World, path: &Path) -> Result<(), String> {
    let catalog = world.get_resource::<ActiveCatalog>().map(|c| c.0.clone()).unwrap_or_else(Catalog::builtin);
    crate::site::load::load_site(path, &catalog).map(|_| ()).map_err(|p| p.to_string())
}

/// True when `path` is one of the example sites that come with dctwin (under the repository's
/// `sites/`): saving over one asks first, so an edit does not silently change an example.
pub fn is_bundled_example(path: &Path) -> bool {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("sites");
    match (path.canonicalize(), examples.canonicalize()) {
        (Ok(p), Ok(dir)) => p.starts_with(dir),
        _ => false,
    }
}

/// Where "Save as" suggests writing: `<name>-copy.ron` (then `-copy-2`…, whichever does not
/// exist yet) beside the open file, or in the working folder when the open file is a bundled
/// example or there is none.
pub fn save_as_suggestion(open: Option<&Path>) -> PathBuf {
    let stem =
        open.and_then(|p| p.file_stem()).map_or_else(|| "site".to_string(), |s| s.to_string_lossy().into_owned());
    let dir = match open {
        Some(p) if !is_bundled_example(p) => p.parent().map(Path::to_path_buf).unwrap_or_default(),
        _ => PathBuf::new(),
    };
    (1..)
        .map(|n| dir.join(if n == 1 { format!("{stem}-copy.ron") } else { format!("{stem}-copy-{n}.ron") }))
        .find(|p| !p.exists())
        .expect("an unused name")
}

/// Saves the world to `path` atomically and marks the history saved.
pub fn save(world: &mut World, path: &Path) -> Result<(), String> {
    // A scenario's events (failures, outages) are the run's, not the design's: the site as it
    // runs is not what the team keeps in git.
    if let Some(p) = world.get_resource::<super::scenario::PlayingScenario>() {
        return Err(format!(
            "not saved: scenario \"{}\" is playing and its events changed the running site; stop it first (Timeline tab)",
            p.scenario.name
        ));
    }
    let site = world_to_site(world);
    // Saving over the open composed site writes each element back into its file; elsewhere
    // ("Save as") the site is written as one file.
    let open = world.get_resource::<OpenFile>().cloned().unwrap_or_default();
    let composition = open.composition.clone().filter(|_| open.path.as_deref() == Some(path));
    let message = match &composition {
        Some(c) => {
            let written = c.save(&site)?;
            let n = written.len();
            format!("Saved {} ({n} of its {} files changed)", path.display(), c.parts.len())
        }
        None => {
            site.save(path).map_err(|e| format!("could not save {}: {e}", path.display()))?;
            match open.composition {
                Some(c) => format!(
                    "Saved {} as one file (the {} files of {} merged into it)",
                    path.display(),
                    c.parts.len(),
                    open.path.as_deref().unwrap_or(path).display()
                ),
                None => format!("Saved {}", path.display()),
            }
        }
    };
    world.get_resource_or_insert_with(EditHistory::default).mark_saved();
    world.insert_resource(OpenFile { path: Some(path.to_path_buf()), composition });
    world.resource_mut::<EditorState>().info(message);
    Ok(())
}

/// Window title: file name, a dot when there are unsaved changes, and the app name.
pub fn title(world: &World) -> String {
    let name = world
        .get_resource::<OpenFile>()
        .and_then(|f| f.path.as_ref())
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "untitled site".into());
    let dirty = world.get_resource::<EditHistory>().is_some_and(|h| h.is_dirty());
    format!("{}{name} — dctwin", if dirty { "● " } else { "" })
}

/// Site files (`*.ron`) in the open file's folder and in `sites/`, for the Open dialog.
pub fn nearby_site_files(world: &World) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = vec![PathBuf::from("sites")];
    if let Some(dir) = world.get_resource::<OpenFile>().and_then(|f| f.path.as_ref()).and_then(|p| p.parent()) {
        let dir = if dir.as_os_str().is_empty() { PathBuf::from(".") } else { dir.to_path_buf() };
        if !dirs.contains(&dir) {
            dirs.insert(0, dir);
        }
    }
    ron_files_in(&dirs)
}

/// The `*.ron` files of `dirs`, each folder sorted, a file reached twice listed once.
pub fn ron_files_in(dirs: &[PathBuf]) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    for d in dirs {
        let Ok(entries) = std::fs::read_dir(d) else { continue };
        let mut files: Vec<PathBuf> =
            entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "ron")).collect();
        files.sort();
        for f in files {
            if !out.iter().any(|o| o.canonicalize().ok() == f.canonicalize().ok()) {
                out.push(f);
            }
        }
    }
    out
}
