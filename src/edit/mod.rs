//! Editing a site in a running world.
//!
//! Every change is an [`Edit`]: the elements it replaces and the elements it puts in their place
//! (adding has nothing before, deleting nothing after). Before an edit touches the world the whole
//! resulting site is validated with the same checks as a file on load, so the world never holds a
//! site that could not be saved and loaded again; a refused edit changes nothing and says why.
//! Undo applies the same edit the other way round. The solver picks changes up on its next step
//! (new or despawned entities, a changed [`CoolingLayout`]).
//!
//! [`ops`] builds edits from what a planner does (place, place a row, move, delete, connect,
//! change a rating); this module applies them and keeps the history. No rendering here: the
//! desktop app and tests drive the same functions.

pub mod ops;

use std::collections::{BTreeSet, HashMap};

use bevy::prelude::*;

use crate::catalog::Catalog;
use crate::catalog::footprint::FootprintTable;
use crate::sim::SimSnapshot;
use crate::sim::components::ElementId;
use crate::sim::world::{ActiveCatalog, CoolingLayout, spawn_electrical, world_to_site};
use crate::site::SiteFile;
use crate::site::element::SiteElement;

/// One undoable change: `before` is replaced by `after` (matched by id, any section).
#[derive(Debug, Clone, PartialEq)]
pub struct Edit {
    /// What the planner did, for the undo menu and messages ("Place GB151").
    pub label: String,
    /// Elements as they were (removed by the edit).
    pub before: Vec<SiteElement>,
    /// Elements as they become (added by the edit).
    pub after: Vec<SiteElement>,
}

impl Edit {
    /// The opposite edit.
    pub fn inverse(&self) -> Edit {
        Edit { label: self.label.clone(), before: self.after.clone(), after: self.before.clone() }
    }
}

/// Done and undone edits, and which state of the site was saved last.
#[derive(Resource, Debug, Default)]
pub struct EditHistory {
    done: Vec<(Edit, u64, SimSnapshot)>,
    undone: Vec<(Edit, u64, SimSnapshot)>,
    state: u64,
    next_state: u64,
    saved_state: u64,
}

impl EditHistory {
    /// True when the site differs from the last saved (or opened) file.
    pub fn is_dirty(&self) -> bool {
        self.state != self.saved_state
    }

    /// Records that the current state is what the file on disk holds.
    pub fn mark_saved(&mut self) {
        self.saved_state = self.state;
    }

    /// Label of the edit Undo would revert.
    pub fn undo_label(&self) -> Option<&str> {
        self.done.last().map(|(e, ..)| e.label.as_str())
    }

    /// Label of the edit Redo would apply.
    pub fn redo_label(&self) -> Option<&str> {
        self.undone.last().map(|(e, ..)| e.label.as_str())
    }

    /// Number of edits that can be undone.
    pub fn undo_depth(&self) -> usize {
        self.done.len()
    }
}

/// The floor footprints the editor checks placements against.
#[derive(Resource, Debug, Clone)]
pub struct Footprints(pub FootprintTable);

impl Default for Footprints {
    fn default() -> Self {
        Footprints(FootprintTable::builtin())
    }
}

/// Validates and applies `edit`, and records it for undo (clearing redo) together with the
/// simulation state before it, which undo restores.
pub fn apply(world: &mut World, edit: Edit) -> Result<(), String> {
    let before = SimSnapshot::capture(world);
    replace(world, &edit.before, &edit.after)?;
    let mut history = world.get_resource_or_insert_with(EditHistory::default);
    history.next_state += 1;
    let before_state = history.state;
    history.state = history.next_state;
    history.done.push((edit, before_state, before));
    history.undone.clear();
    Ok(())
}

/// Reverts the latest edit; returns its label, or `None` when there is nothing to undo.
pub fn undo(world: &mut World) -> Result<Option<String>, String> {
    travel(world, Direction::Back)
}

/// Applies the latest undone edit again.
pub fn redo(world: &mut World) -> Result<Option<String>, String> {
    travel(world, Direction::Forward)
}

#[derive(Clone, Copy, PartialEq)]
enum Direction {
    Back,
    Forward,
}

/// Moves one edit through the history: back (undo: apply it inverted) or forward (redo), and
/// puts back the simulation state recorded on the other side of it (undo: as it was before the
/// edit; redo: as it was when the edit was undone). A refused step (the world changed under it)
/// leaves the history as it was.
fn travel(world: &mut World, direction: Direction) -> Result<Option<String>, String> {
    type Entry = (Edit, u64, SimSnapshot);
    fn stack(h: &mut EditHistory, direction: Direction) -> &mut Vec<Entry> {
        if direction == Direction::Back { &mut h.done } else { &mut h.undone }
    }
    let Some((edit, other_state, other_sim)) =
        world.get_resource_mut::<EditHistory>().and_then(|mut h| stack(&mut h, direction).pop())
    else {
        return Ok(None);
    };
    let (from, to) = match direction {
        Direction::Back => (&edit.after, &edit.before),
        Direction::Forward => (&edit.before, &edit.after),
    };
    let this_sim = SimSnapshot::capture(world);
    if let Err(e) = replace(world, from, to) {
        stack(&mut world.resource_mut::<EditHistory>(), direction).push((edit, other_state, other_sim));
        return Err(e);
    }
    other_sim.restore(world);
    let mut history = world.resource_mut::<EditHistory>();
    let label = edit.label.clone();
    let this_state = std::mem::replace(&mut history.state, other_state);
    match direction {
        Direction::Back => history.undone.push((edit, this_state, this_sim)),
        Direction::Forward => history.done.push((edit, this_state, this_sim)),
    }
    Ok(Some(label))
}

/// The site as the world holds it now.
pub fn current_site(world: &mut World) -> SiteFile {
    world_to_site(world)
}

/// The current form of element `id`, whatever its section.
pub fn element(world: &mut World, id: &str) -> Option<SiteElement> {
    if let Some(e) = crate::sim::world::find_element(world, id) {
        return crate::sim::world::entity_element(world, e);
    }
    let layout = world.get_resource::<CoolingLayout>()?;
    let mut site = SiteFile::default();
    layout.write_into(&mut site);
    SiteElement::all_of(&site).into_iter().find(|e| e.id() == id)
}

/// The catalog the world's site resolves against.
pub fn catalog(world: &World) -> Catalog {
    world.get_resource::<ActiveCatalog>().map(|c| c.0.clone()).unwrap_or_else(Catalog::builtin)
}

/// `site` with `before` taken out and `after` put in, in canonical order; refused (with the
/// validator's messages) when the result is not a valid site. `site` must be valid (the world
/// only ever holds valid sites): only what the edit can affect is checked
/// ([`crate::site::validate::validate_change`]).
pub fn edited_site(
    site: &SiteFile,
    before: &[SiteElement],
    after: &[SiteElement],
    catalog: &Catalog,
) -> Result<SiteFile, String> {
    let mut next = site.clone();
    for b in before {
        if !SiteElement::remove_from(&mut next, b.kind(), b.id()) {
            return Err(format!("{} {} is no longer in the site", b.kind().label(), b.id()));
        }
    }
    for a in after {
        a.clone().insert_into(&mut next);
    }
    let next = next.canonical();
    let changed: BTreeSet<String> = before.iter().chain(after).map(|e| e.id().to_string()).collect();
    // The edit is judged by the messages alone: no text to point into (and writing 10k racks out
    // as RON just to locate a problem would cost more than the whole check).
    crate::site::validate::validate_change(&next, &changed, site.has_cooling(), catalog).map_err(|problems| {
        let mut messages: Vec<String> = problems.0.iter().map(|p| p.message.clone()).collect();
        messages.dedup();
        let more = messages.len().saturating_sub(3);
        messages.truncate(3);
        let mut out = messages.join("; ");
        if more > 0 {
            out.push_str(&format!(" (and {more} more)"));
        }
        out
    })?;
    Ok(next)
}

/// Replaces `before` with `after` in the world after validating the resulting site.
fn replace(world: &mut World, before: &[SiteElement], after: &[SiteElement]) -> Result<(), String> {
    let catalog = catalog(world);
    let site = current_site(world);
    let next = edited_site(&site, before, after, &catalog)?;
    let ids: HashMap<String, Entity> =
        world.query::<(Entity, &ElementId)>().iter(world).map(|(e, id)| (id.0.clone(), e)).collect();
    let mut cooling_changed = false;
    for b in before {
        if b.kind().is_electrical() {
            if let Some(&e) = ids.get(b.id()) {
                world.despawn(e);
            }
        } else {
            cooling_changed = true;
        }
    }
    for a in after {
        if a.kind().is_electrical() {
            spawn_electrical(world, a, &catalog);
        } else {
            cooling_changed = true;
        }
    }
    if cooling_changed {
        world.insert_resource(CoolingLayout::from_site(&next));
    }
    Ok(())
}
