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
pub mod preview;

use std::collections::{BTreeSet, HashMap};

use bevy::ecs::change_detection::Tick;
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
    /// Which version of the site the world holds: changes with every edit, undo and redo (and
    /// comes back to an earlier value when undo returns to it).
    pub fn state(&self) -> u64 {
        self.state
    }

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

/// Applies `edit` like [`apply`], without recording it for undo: what a scenario's timed event
/// does to a running site (it is part of the run, not the planner's design).
pub fn apply_unrecorded(world: &mut World, edit: &Edit) -> Result<(), String> {
    replace(world, &edit.before, &edit.after)
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

/// The site as the world holds it, kept between edits so an edit does not write the whole
/// world out as a site file (10k racks: ~10 ms) several times. It is rebuilt from the world
/// whenever anything changed the world's elements other than an edit through this module
/// (checked by change ticks: cheap), and updated in place by each edit.
#[derive(Resource, Debug, Clone)]
pub struct SiteCache {
    site: SiteFile,
    /// The world's change tick when `site` was last known to match it.
    tick: Tick,
    /// Number of element entities then (a despawn leaves no tick behind).
    elements: usize,
}

/// True when the world's elements, the cooling layout or the site's name may have changed
/// since `cache` was made (other than by edits, which update it).
fn stale(world: &mut World, cache: &SiteCache) -> bool {
    let this_run = world.change_tick();
    let newer = |t: Tick| t.is_newer_than(cache.tick, this_run);
    let resources_changed = world.get_resource_ref::<CoolingLayout>().is_some_and(|r| newer(r.last_changed()))
        || world.get_resource_ref::<crate::sim::world::SiteMeta>().is_some_and(|r| newer(r.last_changed()));
    if resources_changed {
        return true;
    }
    let mut count = 0;
    let mut q = world.query::<ElementTicks>();
    for e in q.iter(world) {
        count += 1;
        if e.changed_since(&newer) {
            return true;
        }
    }
    count != cache.elements || crate::sim::world::node_kinds_changed(world, &newer)
}

/// What the site file is written from on every element entity (the node kinds' own
/// components are checked by [`crate::sim::world::node_kinds_changed`]).
#[derive(bevy::ecs::query::QueryData)]
struct ElementTicks {
    id: Ref<'static, ElementId>,
    kind: Ref<'static, crate::sim::components::Kind>,
    model: Ref<'static, crate::sim::components::CatalogModel>,
    place: Ref<'static, crate::sim::components::Placement>,
    in_service: Ref<'static, crate::sim::components::InService>,
    sources: Option<Ref<'static, crate::sim::components::Sources>>,
    feeder: Option<Ref<'static, crate::sim::components::Feeder>>,
    loss_zone: Option<Ref<'static, crate::sim::components::LossZone>>,
    rack: Option<Ref<'static, crate::sim::components::Rack>>,
    utilization: Option<Ref<'static, crate::sim::components::Utilization>>,
    feeds: Option<Ref<'static, crate::sim::components::RackFeeds>>,
    cooling: Option<Ref<'static, crate::sim::world::RackCooling>>,
}

impl ElementTicksItem<'_, '_> {
    fn changed_since(&self, newer: &impl Fn(Tick) -> bool) -> bool {
        let opt = |t: Option<Tick>| t.is_some_and(newer);
        newer(self.id.last_changed())
            || newer(self.kind.last_changed())
            || newer(self.model.last_changed())
            || newer(self.place.last_changed())
            || newer(self.in_service.last_changed())
            || opt(self.sources.as_ref().map(|r| r.last_changed()))
            || opt(self.feeder.as_ref().map(|r| r.last_changed()))
            || opt(self.loss_zone.as_ref().map(|r| r.last_changed()))
            || opt(self.rack.as_ref().map(|r| r.last_changed()))
            || opt(self.utilization.as_ref().map(|r| r.last_changed()))
            || opt(self.feeds.as_ref().map(|r| r.last_changed()))
            || opt(self.cooling.as_ref().map(|r| r.last_changed()))
    }
}

/// Makes sure the [`SiteCache`] matches the world (and that [`Footprints`] exist), and hands
/// the world back for reading it.
pub(crate) fn fresh(world: &mut World) -> &World {
    world.get_resource_or_insert_with(Footprints::default);
    let cache = world.remove_resource::<SiteCache>();
    let cache = match cache {
        Some(c) if !stale(world, &c) => c,
        _ => {
            let site = world_to_site(world);
            let elements = world.query::<&ElementId>().iter(world).count();
            SiteCache { site, tick: world.change_tick(), elements }
        }
    };
    world.insert_resource(cache);
    // Later changes carry a newer tick than the cache's.
    world.increment_change_tick();
    world
}

/// The cached site of a world [`fresh`] returned.
pub(crate) fn cached_site(world: &World) -> &SiteFile {
    &world.resource::<SiteCache>().site
}

/// When the cached site of a world [`fresh`] returned was last rebuilt or edited: another tick
/// means another site (for what is derived from it and kept).
pub(crate) fn cached_site_tick(world: &World) -> Tick {
    world.resource::<SiteCache>().tick
}

/// The site as the world holds it now.
pub fn current_site(world: &mut World) -> SiteFile {
    cached_site(fresh(world)).clone()
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
    let mut next = site.canonical();
    edit_in_place(&mut next, before, after, catalog)?;
    Ok(next)
}

/// [`edited_site`] on a canonical `site` in place: on refusal `site` is put back as it was.
fn edit_in_place(
    site: &mut SiteFile,
    before: &[SiteElement],
    after: &[SiteElement],
    catalog: &Catalog,
) -> Result<(), String> {
    let had_cooling = site.has_cooling();
    let mut taken = Vec::with_capacity(before.len());
    let undo = |site: &mut SiteFile, taken: Vec<SiteElement>, added: &[SiteElement]| {
        for a in added {
            SiteElement::take_from(site, a.kind(), a.id());
        }
        for t in taken {
            t.insert_sorted(site);
        }
    };
    for b in before {
        match SiteElement::take_from(site, b.kind(), b.id()) {
            Some(t) => taken.push(t),
            None => {
                undo(site, taken, &[]);
                return Err(format!("{} {} is no longer in the site", b.kind().label(), b.id()));
            }
        }
    }
    for a in after {
        a.clone().insert_sorted(site);
    }
    let changed: BTreeSet<String> = before.iter().chain(after).map(|e| e.id().to_string()).collect();
    // The edit is judged by the messages alone: no text to point into (and writing 10k racks out
    // as RON just to locate a problem would cost more than the whole check).
    let checked = crate::site::validate::validate_change(site, &changed, had_cooling, catalog);
    if checked.is_err() {
        undo(site, taken, after);
    }
    checked.map_err(|problems| {
        let mut messages: Vec<String> = problems.0.iter().map(|p| p.message.clone()).collect();
        messages.dedup();
        let more = messages.len().saturating_sub(3);
        messages.truncate(3);
        let mut out = messages.join("; ");
        if more > 0 {
            out.push_str(&format!(" (and {more} more)"));
        }
        out
    })
}

/// Replaces `before` with `after` in the world after validating the resulting site.
fn replace(world: &mut World, before: &[SiteElement], after: &[SiteElement]) -> Result<(), String> {
    let catalog = catalog(world);
    fresh(world);
    let mut cache = world.remove_resource::<SiteCache>().expect("fresh() made it");
    let result = edit_in_place(&mut cache.site, before, after, &catalog);
    if let Err(e) = result {
        world.insert_resource(cache);
        return Err(e);
    }
    let next = &cache.site;
    let leaving: BTreeSet<&str> = before.iter().map(|b| b.id()).collect();
    let ids: HashMap<String, Entity> = world
        .query::<(Entity, &ElementId)>()
        .iter(world)
        .filter(|(_, id)| leaving.contains(id.0.as_str()))
        .map(|(e, id)| (id.0.clone(), e))
        .collect();
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
        world.insert_resource(CoolingLayout::from_site(next));
    }
    // The world now matches the edited site.
    cache.elements = world.query::<&ElementId>().iter(world).count();
    cache.tick = world.change_tick();
    world.insert_resource(cache);
    world.increment_change_tick();
    Ok(())
}
