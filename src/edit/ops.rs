//! Edits built from what a planner does on the floor plan.
//!
//! New elements get an id in the style of their neighbours (`GB150` → `GB151`), a position snapped
//! to the grid, and connections copied from the nearest element of the same kind (a rack placed
//! next to a row is fed like that row), else from the nearest element that may feed it at the
//! right voltage. Placing and moving refuse footprints that overlap other equipment.

use bevy::prelude::*;

use super::{Edit, Footprints, cached_site, catalog, fresh};
use crate::catalog::Catalog;
use crate::catalog::footprint::FootprintTable;
use crate::site::SiteFile;
use crate::site::element::{EquipmentKind, SiteElement};
use crate::site::save::natural_cmp;
use crate::site::spec::{SiteSpec, Target};

/// Gap allowed between footprints that touch, m (so a row at exactly the rack pitch is fine).
const TOUCH_TOLERANCE_M: f64 = 1e-3;

/// An axis-aligned floor rectangle, m.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FloorRect {
    /// Lower-left corner.
    pub min: (f64, f64),
    /// Upper-right corner.
    pub max: (f64, f64),
}

impl FloorRect {
    /// True when the two rectangles share more than a touching edge.
    pub fn overlaps(&self, other: &FloorRect) -> bool {
        self.min.0 < other.max.0 - TOUCH_TOLERANCE_M
            && other.min.0 < self.max.0 - TOUCH_TOLERANCE_M
            && self.min.1 < other.max.1 - TOUCH_TOLERANCE_M
            && other.min.1 < self.max.1 - TOUCH_TOLERANCE_M
    }

    /// True when `p` lies inside.
    pub fn contains(&self, p: (f64, f64)) -> bool {
        p.0 >= self.min.0 && p.0 <= self.max.0 && p.1 >= self.min.1 && p.1 <= self.max.1
    }
}

/// The floor an element takes (centred on its position).
pub fn footprint(table: &FootprintTable, e: &SiteElement) -> FloorRect {
    footprint_of(table, e.spec())
}

/// [`footprint`] of any element of a site.
pub(crate) fn footprint_of(table: &FootprintTable, e: &dyn SiteSpec) -> FloorRect {
    let model = e.rated().map_or("", |r| r.model());
    let (w, d) = table.extent_m(e.kind(), model, e.rotation_deg());
    let (x, y) = e.position_m();
    FloorRect { min: (x - w / 2.0, y - d / 2.0), max: (x + w / 2.0, y + d / 2.0) }
}

/// Every element of `site`, borrowed (what the helpers below search).
fn borrowed(site: &SiteFile) -> Vec<&dyn SiteSpec> {
    site.elements().into_iter().map(|(_, e)| e).collect()
}

/// `p` rounded to the nearest multiple of `grid_m` (no snapping for a zero grid).
pub fn snap(p: (f64, f64), grid_m: f64) -> (f64, f64) {
    if grid_m <= 0.0 {
        return p;
    }
    // Round in units of the grid, then clean the binary noise so files read `1.8`, not `1.8000000000000003`.
    let r = |v: f64| ((v / grid_m).round() * grid_m * 1e6).round() / 1e6;
    (r(p.0), r(p.1))
}

/// The first existing element (not among `ignore`) whose footprint overlaps one of `placed`.
fn first_overlap(
    table: &FootprintTable,
    existing: &[&dyn SiteSpec],
    placed: &[SiteElement],
    ignore: &[&str],
) -> Option<String> {
    for p in placed.iter().filter(|p| !p.kind().is_marker()) {
        let rect = footprint(table, p);
        for e in existing.iter().filter(|e| !e.kind().is_marker() && !ignore.contains(&e.id())) {
            if footprint_of(table, *e).overlaps(&rect) {
                return Some(format!("{} would overlap {}", p.id(), e.id()));
            }
        }
    }
    for (i, a) in placed.iter().enumerate().filter(|(_, p)| !p.kind().is_marker()) {
        for b in placed[i + 1..].iter().filter(|p| !p.kind().is_marker()) {
            if footprint(table, a).overlaps(&footprint(table, b)) {
                return Some(format!("{} would overlap {}", a.id(), b.id()));
            }
        }
    }
    None
}

/// Splits `GB151` into `("GB", Some(151))`.
fn split_id(id: &str) -> (&str, Option<u64>) {
    let digits = id.len() - id.bytes().rev().take_while(u8::is_ascii_digit).count();
    (&id[..digits], id[digits..].parse().ok())
}

/// Ids for `n` new elements of `model`: the prefix most used by that model (else by the kind,
/// else the kind's usual prefix), numbered after the highest number in use with that prefix.
pub fn new_ids(site: &SiteFile, kind: EquipmentKind, model: &str, n: usize) -> Vec<String> {
    new_ids_in(&borrowed(site), kind, model, n)
}

fn new_ids_in(all: &[&dyn SiteSpec], kind: EquipmentKind, model: &str, n: usize) -> Vec<String> {
    let prefix_of = |filter: &dyn Fn(&dyn SiteSpec) -> bool| -> Option<String> {
        let mut counts: Vec<(String, usize)> = Vec::new();
        for e in all.iter().filter(|e| filter(**e)) {
            let (p, num) = split_id(e.id());
            if num.is_none() || p.is_empty() {
                continue;
            }
            match counts.iter_mut().find(|(q, _)| q == p) {
                Some((_, c)) => *c += 1,
                None => counts.push((p.to_string(), 1)),
            }
        }
        counts.into_iter().max_by_key(|(_, c)| *c).map(|(p, _)| p)
    };
    let prefix = prefix_of(&|e| e.rated().is_some_and(|r| r.model() == model))
        .or_else(|| prefix_of(&|e| e.kind() == kind))
        .unwrap_or_else(|| kind.id_prefix().to_string());
    let highest = all
        .iter()
        .filter_map(|e| match split_id(e.id()) {
            (p, Some(n)) if p == prefix => Some(n),
            _ => None,
        })
        .max()
        .unwrap_or(0);
    let taken: std::collections::HashSet<&str> = all.iter().map(|e| e.id()).collect();
    let mut out = Vec::with_capacity(n);
    let mut next = highest + 1;
    while out.len() < n {
        let id = format!("{prefix}{next}");
        if !taken.contains(id.as_str()) {
            out.push(id);
        }
        next += 1;
    }
    out
}

fn distance2(a: (f64, f64), b: (f64, f64)) -> f64 {
    (a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)
}

/// Nominal input and output voltage (kV) of an electrical element.
fn nominal_kv(e: &dyn SiteSpec, catalog: &Catalog) -> Option<(f64, Option<f64>)> {
    e.rated()?.nominal_kv(catalog)
}

/// Ids that may go into connection `field` of `element`, nearest first: elements that may feed it
/// at its voltage for `upstream`/`feed_a`/`feed_b`, zones, CDUs or water loops for the others.
pub fn link_candidates(site: &SiteFile, element: &SiteElement, field: &str, catalog: &Catalog) -> Vec<String> {
    link_candidates_in(&borrowed(site), element, field, catalog)
}

fn link_candidates_in(all: &[&dyn SiteSpec], element: &SiteElement, field: &str, catalog: &Catalog) -> Vec<String> {
    let here = element.position_m();
    let input_kv = nominal_kv(element.spec(), catalog).map(|(i, _)| i);
    let target = element.kind().link_fields().iter().find(|l| l.name == field).map(|l| l.target);
    let mut v: Vec<&dyn SiteSpec> = all
        .iter()
        .copied()
        .filter(|c| c.id() != element.id())
        .filter(|c| match target {
            Some(Target::Kind(k)) => c.kind() == k,
            Some(Target::Feed) => {
                let kv_ok = |out: Option<f64>| match (input_kv, out) {
                    (Some(i), Some(o)) => (i - o).abs() <= 0.01 * i.max(o),
                    _ => true,
                };
                element.kind().may_be_fed_by(c.kind()) && kv_ok(nominal_kv(*c, catalog).and_then(|(_, o)| o))
            }
            None => false,
        })
        .collect();
    v.sort_by(|a, b| distance2(a.position_m(), here).total_cmp(&distance2(b.position_m(), here)));
    v.into_iter().map(|e| e.id().to_string()).collect()
}

/// A new element of `kind`/`model` at `at` whose connections are still empty (filled by
/// [`connect_like_neighbours`]) and every other field at its default; `None` for kinds that need
/// more than a model to exist (zones and loops: a volume, a setpoint).
fn blank(kind: EquipmentKind, model: &str, id: String, at: (f64, f64)) -> Option<SiteElement> {
    let mut fields = serde_json::Map::new();
    fields.insert("id".into(), id.into());
    fields.insert("model".into(), model.into());
    fields.insert("position_m".into(), serde_json::json!([at.0, at.1]));
    for link in kind.link_fields().iter().filter(|l| !l.optional()) {
        fields.insert(link.name.into(), "".into());
    }
    SiteElement::from_json(kind, fields.into())
}

/// Fills the connections of a new element: those of the nearest element of the same kind, else
/// the nearest candidate for each required field (and for a rack's zone, and its CDU when the
/// model is liquid-cooled).
fn connect_like_neighbours(all: &[&dyn SiteSpec], e: &mut SiteElement, catalog: &Catalog) {
    let here = e.position_m();
    let nearest_same = all
        .iter()
        .copied()
        .filter(|o| o.kind() == e.kind() && o.id() != e.id())
        .min_by(|a, b| distance2(a.position_m(), here).total_cmp(&distance2(b.position_m(), here)));
    let liquid = match e {
        SiteElement::Rack(r) => catalog.racks.get(&r.model).is_some_and(|m| m.liquid_fraction > 0.0),
        _ => false,
    };
    if let Some(n) = nearest_same {
        for (field, target) in n.links() {
            let _ = e.set_link(field, Some(target.to_string()));
        }
        // A liquid-cooled model beside an air-cooled rack still needs a CDU: the nearest.
        if liquid
            && e.links().iter().all(|(field, _)| *field != "cdu")
            && let Some(cdu) = link_candidates_in(all, e, "cdu", catalog).into_iter().next()
        {
            let _ = e.set_link("cdu", Some(cdu));
        }
        return;
    }
    for (field, optional) in SiteElement::link_fields(e.kind()) {
        let wanted = !optional || field == "zone" || (field == "cdu" && liquid);
        if wanted && let Some(first) = link_candidates_in(all, e, field, catalog).into_iter().next() {
            let _ = e.set_link(field, Some(first));
        }
    }
}

/// Places one `model` of `kind` at `at` (snapped to `grid_m`).
pub fn place(world: &mut World, kind: EquipmentKind, model: &str, at: (f64, f64), grid_m: f64) -> Result<Edit, String> {
    let catalog = catalog(world);
    if !catalog.model_names(kind).iter().any(|m| m == model) {
        return Err(format!("`{model}` is not a {} model in the catalog", kind.label()));
    }
    let world = fresh(world);
    let all = borrowed(cached_site(world));
    let id = new_ids_in(&all, kind, model, 1).remove(0);
    let mut e = blank(kind, model, id.clone(), snap(at, grid_m))
        .ok_or_else(|| format!("{} cannot be placed from the palette", kind.label()))?;
    connect_like_neighbours(&all, &mut e, &catalog);
    if let Some(msg) = first_overlap(&world.resource::<Footprints>().0, &all, std::slice::from_ref(&e), &[]) {
        return Err(msg);
    }
    Ok(Edit { label: format!("Place {id}"), before: vec![], after: vec![e] })
}

/// Which way a row grows from its first rack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RowDirection {
    /// Towards +x.
    #[default]
    East,
    /// Towards −x.
    West,
    /// Towards +y.
    North,
    /// Towards −y.
    South,
}

/// A row of racks to place in one action.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RowRequest {
    /// Rack model.
    pub model: String,
    /// Number of racks.
    pub count: usize,
    /// Centre of the first rack (snapped).
    pub start_m: (f64, f64),
    /// Direction the row grows in; racks are spaced by their footprint width.
    pub direction: RowDirection,
    /// A cords, assigned round-robin (rack i gets `feeds_a[i % len]`); empty: like the neighbours.
    pub feeds_a: Vec<String>,
    /// B cords, round-robin; empty: like the neighbours.
    pub feeds_b: Vec<String>,
}

/// Places a row of racks with their cords assigned round-robin over the chosen feeds.
pub fn place_row(world: &mut World, req: &RowRequest, grid_m: f64) -> Result<Edit, String> {
    if req.count == 0 {
        return Err("a row needs at least one rack".into());
    }
    let catalog = catalog(world);
    if !catalog.racks.contains_key(&req.model) {
        return Err(format!("`{}` is not a rack model in the catalog", req.model));
    }
    let world = fresh(world);
    let all = borrowed(cached_site(world));
    let table = &world.resource::<Footprints>().0;
    let start = snap(req.start_m, grid_m);
    let ids = new_ids_in(&all, EquipmentKind::Rack, &req.model, req.count);
    let mut racks = Vec::with_capacity(req.count);
    for (i, id) in ids.into_iter().enumerate() {
        let rotation = match req.direction {
            RowDirection::East | RowDirection::West => 0.0,
            RowDirection::North | RowDirection::South => 90.0,
        };
        let (w, d) = table.extent_m(EquipmentKind::Rack, &req.model, rotation);
        let pitch = w.min(d);
        let step = i as f64 * pitch;
        let at = match req.direction {
            RowDirection::East => (start.0 + step, start.1),
            RowDirection::West => (start.0 - step, start.1),
            RowDirection::North => (start.0, start.1 + step),
            RowDirection::South => (start.0, start.1 - step),
        };
        let mut rack = blank(EquipmentKind::Rack, &req.model, id, snap(at, 1e-6)).expect("racks can be placed");
        if let SiteElement::Rack(r) = &mut rack {
            r.rotation_deg = rotation;
        }
        connect_like_neighbours(&all, &mut rack, &catalog);
        if !req.feeds_a.is_empty() {
            rack.set_link("feed_a", Some(req.feeds_a[i % req.feeds_a.len()].clone()))?;
        }
        if !req.feeds_b.is_empty() {
            rack.set_link("feed_b", Some(req.feeds_b[i % req.feeds_b.len()].clone()))?;
        }
        racks.push(rack);
    }
    if let Some(msg) = first_overlap(table, &all, &racks, &[]) {
        return Err(msg);
    }
    let label = format!("Place row of {} {} ({}…{})", req.count, req.model, racks[0].id(), racks[req.count - 1].id());
    Ok(Edit { label, before: vec![], after: racks })
}

/// The current form of the elements with these ids (in the order given; unknown ids refused).
fn elements(site: &SiteFile, ids: &[String]) -> Result<Vec<SiteElement>, String> {
    ids.iter().map(|id| site.element(id).ok_or_else(|| format!("no element `{id}` in the site"))).collect()
}

/// Moves the elements by `delta_m` (the first element's new position is snapped to `grid_m`, the
/// others keep their offsets from it).
pub fn move_by(world: &mut World, ids: &[String], delta_m: (f64, f64), grid_m: f64) -> Result<Edit, String> {
    if ids.is_empty() {
        return Err("nothing selected to move".into());
    }
    let world = fresh(world);
    let site = cached_site(world);
    let before = elements(site, ids)?;
    let (x0, y0) = before[0].position_m();
    let target = snap((x0 + delta_m.0, y0 + delta_m.1), grid_m);
    let d = (target.0 - x0, target.1 - y0);
    let after: Vec<SiteElement> = before
        .iter()
        .map(|e| {
            let mut m = e.clone();
            let (x, y) = e.position_m();
            m.set_position_m(snap((x + d.0, y + d.1), 1e-6));
            m
        })
        .collect();
    let moving: Vec<&str> = ids.iter().map(String::as_str).collect();
    if let Some(msg) = first_overlap(&world.resource::<Footprints>().0, &borrowed(site), &after, &moving) {
        return Err(msg);
    }
    let label = match ids {
        [one] => format!("Move {one}"),
        many => format!("Move {} elements", many.len()),
    };
    Ok(Edit { label, before, after })
}

/// Deletes the elements (refused later, by validation, while something else still connects to them).
pub fn delete(world: &mut World, ids: &[String]) -> Result<Edit, String> {
    if ids.is_empty() {
        return Err("nothing selected to delete".into());
    }
    let before = elements(cached_site(fresh(world)), ids)?;
    let label = match ids {
        [one] => format!("Delete {one}"),
        many => format!("Delete {} elements", many.len()),
    };
    Ok(Edit { label, before, after: vec![] })
}

/// Changes one element through `change` (connections, ratings, service state, utilization).
pub fn modify(
    world: &mut World,
    id: &str,
    label: String,
    change: impl FnOnce(&mut SiteElement, &Catalog) -> Result<(), String>,
) -> Result<Edit, String> {
    let catalog = catalog(world);
    let before = elements(cached_site(fresh(world)), &[id.to_string()])?;
    let mut after = before[0].clone();
    change(&mut after, &catalog)?;
    if after == before[0] {
        return Err(format!("{id}: nothing changed"));
    }
    Ok(Edit { label, before, after: vec![after] })
}

/// Sets connection `field` of `id` to `target`.
pub fn connect(world: &mut World, id: &str, field: &str, target: Option<String>) -> Result<Edit, String> {
    let label = match &target {
        Some(t) => format!("Connect {id}.{field} to {t}"),
        None => format!("Clear {id}.{field}"),
    };
    modify(world, id, label, |e, _| e.set_link(field, target))
}

/// Sets rating field `name` of `id` to `value` (an override of the catalog model).
pub fn set_rating(world: &mut World, id: &str, name: &str, value: f64) -> Result<Edit, String> {
    modify(world, id, format!("Set {id}.{name} = {value}"), |e, catalog| {
        *e = e.with_rating(catalog, name, value)?;
        Ok(())
    })
}

/// Takes `id` in or out of service (a failure or maintenance study).
pub fn set_in_service(world: &mut World, id: &str, on: bool) -> Result<Edit, String> {
    let label = format!("{} {id}", if on { "Return to service" } else { "Take out of service" });
    modify(world, id, label, |e, _| e.set_in_service(on))
}

/// Sets the utilization (fraction of rated power drawn) of rack `id`.
pub fn set_utilization(world: &mut World, id: &str, utilization: f64) -> Result<Edit, String> {
    modify(world, id, format!("Set {id} utilization = {utilization}"), |e, _| match e {
        SiteElement::Rack(r) => match crate::site::limits::UTILIZATION.problem("utilization", utilization) {
            None => {
                r.utilization = utilization;
                Ok(())
            }
            Some(msg) => Err(msg),
        },
        other => Err(format!("{} {} has no utilization", other.kind().label(), other.id())),
    })
}

/// Ids sorted the way the file sorts them.
pub fn sorted_ids(mut ids: Vec<String>) -> Vec<String> {
    ids.sort_by(|a, b| natural_cmp(a, b));
    ids
}
