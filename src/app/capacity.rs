//! The capacity search in the app: `dctwin capacity` on the site as it is, in a thread of its
//! own (a second or two; the window keeps drawing), its answer drawn on the plan (where the new
//! racks go, the element that binds first), and the racks placed in one undoable edit; and the
//! expansion options (`dctwin expand`), one of which can be built in one undoable edit.

use std::sync::{Arc, Mutex};

use bevy::prelude::*;

use super::state::EditorState;
use crate::edit::{Edit, EditHistory};
use crate::site::SiteFile;
use crate::site::element::SiteElement;
use crate::study::capacity::{CapacityOptions, CapacityReport, capacity};
use crate::study::expand::{ExpandOptions, ExpandReport, expand};

/// A study's outcome, shared with its thread.
type Outcome<R> = Arc<Mutex<Option<Result<R, String>>>>;

/// A study run in a thread of its own on the site as it was, and its latest answer.
pub struct Background<R> {
    /// A run under way, with the site and edit state it runs on.
    pending: Option<(Outcome<R>, SiteFile, u64)>,
    /// The latest answer.
    pub answer: Option<Answer<R>>,
}

impl<R> Default for Background<R> {
    fn default() -> Self {
        Background { pending: None, answer: None }
    }
}

/// An answer and the site it is for.
pub struct Answer<R> {
    /// The report, or why there is none.
    pub report: Result<R, String>,
    /// The site studied.
    pub site: SiteFile,
    /// The edit state it was studied at: another state means the site changed since.
    pub state: u64,
}

impl<R: Send + 'static> Background<R> {
    /// A run is under way.
    pub fn running(&self) -> bool {
        self.pending.is_some()
    }

    /// The answer, when it is for the site as it is now (`state`).
    pub fn current(&self, state: u64) -> Option<&R> {
        self.answer.as_ref().filter(|a| a.state == state).and_then(|a| a.report.as_ref().ok())
    }

    /// Runs `study` on `site` (at edit state `state`) in a thread of its own (a no-op while one
    /// runs).
    fn start(
        &mut self,
        site: SiteFile,
        state: u64,
        study: impl FnOnce(&SiteFile) -> Result<R, String> + Send + 'static,
    ) {
        if self.running() {
            return;
        }
        let outcome: Outcome<R> = Arc::new(Mutex::new(None));
        let slot = outcome.clone();
        let studied = site.clone();
        std::thread::spawn(move || {
            let r = study(&studied);
            if let Ok(mut s) = slot.lock() {
                *s = Some(r);
            }
        });
        self.pending = Some((outcome, site, state));
    }

    /// Takes the run's answer if it is done.
    pub fn poll(&mut self) {
        let done = self.pending.as_ref().and_then(|(o, _, _)| o.lock().ok().and_then(|mut s| s.take()));
        if let Some(report) = done
            && let Some((_, site, state)) = self.pending.take()
        {
            self.answer = Some(Answer { report, site, state });
        }
    }
}

/// The planner's question and the latest answers: how many more racks fit, and which
/// expansion unlocks the most.
#[derive(Resource, Default)]
pub struct CapacityStudy {
    /// Rack model to add.
    pub model: String,
    /// Every single failure as safe as today.
    pub n_1: bool,
    /// The capacity search.
    pub search: Background<CapacityReport>,
    /// The expansion options (`dctwin expand`).
    pub expansion: Background<ExpandReport>,
}

impl CapacityStudy {
    /// The capacity search is running.
    pub fn running(&self) -> bool {
        self.search.running()
    }

    /// The capacity answer, when it is for the site as it is now (`state`).
    pub fn current(&self, state: u64) -> Option<&CapacityReport> {
        self.search.current(state)
    }

    /// Takes finished answers.
    pub fn poll(&mut self) {
        self.search.poll();
        self.expansion.poll();
    }
}

fn edit_state(world: &World) -> u64 {
    world.get_resource::<EditHistory>().map_or(0, EditHistory::state)
}

/// The site as it is, the catalog and the edit state: what a study runs on.
fn study_inputs(world: &mut World) -> (SiteFile, crate::catalog::Catalog, u64) {
    world.get_resource_or_insert_with(CapacityStudy::default);
    let site = crate::edit::current_site(world);
    let catalog = world
        .get_resource::<crate::sim::world::ActiveCatalog>()
        .map(|c| c.0.clone())
        .unwrap_or_else(crate::catalog::Catalog::builtin);
    (site, catalog, edit_state(world))
}

/// Starts a capacity search on the site as it is now (a no-op while one runs).
pub fn start(world: &mut World) {
    let (site, catalog, state) = study_inputs(world);
    let mut study = world.resource_mut::<CapacityStudy>();
    let options = CapacityOptions { model: study.model.clone(), n_1: study.n_1, ..CapacityOptions::default() };
    study.search.start(site, state, move |s| capacity(s, &catalog, &options, &|_| {}));
}

/// Starts ranking the expansion options on the site as it is now (a no-op while it runs).
pub fn start_expansion(world: &mut World) {
    let (site, catalog, state) = study_inputs(world);
    let mut study = world.resource_mut::<CapacityStudy>();
    let options = ExpandOptions { model: study.model.clone(), n_1: study.n_1, target_mw: None };
    study.expansion.start(site, state, move |s| expand(s, &catalog, &options, &|_| {}));
}

/// Takes finished answers (each frame).
pub fn poll_capacity(study: Option<ResMut<CapacityStudy>>) {
    if let Some(mut study) = study {
        study.poll();
    }
}

/// Places the answer's racks in one undoable edit; the message says what happened.
pub fn place(world: &mut World) -> Result<String, String> {
    let state = edit_state(world);
    let study = world.get_resource::<CapacityStudy>().ok_or("no capacity answer")?;
    let answer = study.search.answer.as_ref().ok_or("no capacity answer")?;
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
        s.search.answer = None;
    }
    world.resource_mut::<EditorState>().info(label.clone());
    Ok(label)
}

/// Builds expansion option `index` (of the ranking per US$ M) with its racks, in one undoable
/// edit: the elements it changes as they were, and as they become with what it adds.
pub fn apply_option(world: &mut World, index: usize) -> Result<String, String> {
    let state = edit_state(world);
    let study = world.get_resource::<CapacityStudy>().ok_or("no expansion options")?;
    let answer = study.expansion.answer.as_ref().ok_or("no expansion options")?;
    if answer.state != state {
        return Err("the site changed since the options were ranked: rank them again".into());
    }
    let report = answer.report.as_ref().map_err(Clone::clone)?;
    let option = report.options.get(index).ok_or("no such option")?;
    let built = option.applied(&answer.site)?;
    let edit = edit_between(&answer.site, &built, format!("Expand: {}", option.title));
    let label = edit.label.clone();
    crate::edit::apply(world, edit)?;
    if let Some(mut s) = world.get_resource_mut::<CapacityStudy>() {
        s.expansion.answer = None;
        s.search.answer = None;
    }
    world.resource_mut::<EditorState>().info(label.clone());
    Ok(label)
}

/// The edit that turns `from` into `to`: every element that differs, as it was and as it becomes.
fn edit_between(from: &SiteFile, to: &SiteFile, label: String) -> Edit {
    let old = SiteElement::all_of(from);
    let new = SiteElement::all_of(to);
    let before = old.iter().filter(|e| !new.contains(e)).cloned().collect();
    let after = new.iter().filter(|e| !old.contains(e)).cloned().collect();
    Edit { label, before, after }
}
