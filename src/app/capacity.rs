//! The capacity search in the app: `dctwin capacity` on the site as it is, in a thread of its
//! own (a second or two; the window keeps drawing), its answer drawn on the plan (where the new
//! racks go, the element that binds first), and the racks placed in one undoable edit.

use std::sync::{Arc, Mutex};

use bevy::prelude::*;

use super::state::EditorState;
use crate::edit::{Edit, EditHistory};
use crate::site::SiteFile;
use crate::site::element::SiteElement;
use crate::study::capacity::{CapacityOptions, CapacityReport, capacity};

/// A search's outcome, shared with its thread.
type Outcome = Arc<Mutex<Option<Result<CapacityReport, String>>>>;

/// The planner's question and the latest answer.
#[derive(Resource, Default)]
pub struct CapacityStudy {
    /// Rack model to add.
    pub model: String,
    /// Every single failure as safe as today.
    pub n_1: bool,
    /// A search under way, with the site and edit state it runs on.
    pending: Option<(Outcome, SiteFile, u64)>,
    /// The latest answer.
    pub answer: Option<CapacityAnswer>,
}

/// An answer and the site it is for.
pub struct CapacityAnswer {
    /// The report, or why there is none.
    pub report: Result<CapacityReport, String>,
    /// The site searched.
    pub site: SiteFile,
    /// The edit state it was searched at: another state means the site changed since.
    pub state: u64,
}

impl CapacityStudy {
    /// A search is running.
    pub fn running(&self) -> bool {
        self.pending.is_some()
    }

    /// The answer, when it is for the site as it is now (`state`).
    pub fn current(&self, state: u64) -> Option<&CapacityReport> {
        self.answer.as_ref().filter(|a| a.state == state).and_then(|a| a.report.as_ref().ok())
    }
}

fn edit_state(world: &World) -> u64 {
    world.get_resource::<EditHistory>().map_or(0, EditHistory::state)
}

/// Starts a search on the site as it is now (a no-op while one runs).
pub fn start(world: &mut World) {
    world.get_resource_or_insert_with(CapacityStudy::default);
    if world.resource::<CapacityStudy>().running() {
        return;
    }
    let site = crate::edit::current_site(world);
    let catalog = world
        .get_resource::<crate::sim::world::ActiveCatalog>()
        .map(|c| c.0.clone())
        .unwrap_or_else(crate::catalog::Catalog::builtin);
    let state = edit_state(world);
    let study = world.resource::<CapacityStudy>();
    let options = CapacityOptions { model: study.model.clone(), n_1: study.n_1, ..CapacityOptions::default() };
    let outcome: Outcome = Arc::new(Mutex::new(None));
    let slot = outcome.clone();
    let searched = site.clone();
    std::thread::spawn(move || {
        let r = capacity(&searched, &catalog, &options, &|_| {});
        if let Ok(mut s) = slot.lock() {
            *s = Some(r);
        }
    });
    world.resource_mut::<CapacityStudy>().pending = Some((outcome, site, state));
}

/// Takes a finished search's answer (each frame).
pub fn poll_capacity(study: Option<ResMut<CapacityStudy>>) {
    if let Some(mut study) = study {
        study.poll();
    }
}

impl CapacityStudy {
    /// Takes the search's answer if it is done.
    pub fn poll(&mut self) {
        let done = self.pending.as_ref().and_then(|(o, _, _)| o.lock().ok().and_then(|mut s| s.take()));
        if let Some(report) = done
            && let Some((_, site, state)) = self.pending.take()
        {
            self.answer = Some(CapacityAnswer { report, site, state });
        }
    }
}

/// Places the answer's racks in one undoable edit; the message says what happened.
pub fn place(world: &mut World) -> Result<String, String> {
    let state = edit_state(world);
    let study = world.get_resource::<CapacityStudy>().ok_or("no capacity answer")?;
    let answer = study.answer.as_ref().ok_or("no capacity answer")?;
    if answer.state != state {
        return Err("the site changed since the search: search again".into());
    }
    let report = answer.report.as_ref().map_err(Clone::clone)?;
    let racks = report.racks_to_place(&answer.site)?;
    if racks.is_empty() {
        return Err("no rack fits".into());
    }
    let label = format!("Place {} {} racks (capacity)", racks.len(), report.model);
    let edit = Edit { label: label.clone(), before: vec![], after: racks.into_iter().map(SiteElement::Rack).collect() };
    crate::edit::apply(world, edit)?;
    if let Some(mut s) = world.get_resource_mut::<CapacityStudy>() {
        s.answer = None;
    }
    world.resource_mut::<EditorState>().info(label.clone());
    Ok(label)
}
