//! Room geometry: halls with walls and aisles, drawn on the plan. They carry no physics (the
//! cooling model's spaces are zones); they let the plan read like a floor drawing and let the
//! file flag a rack standing outside every room or in another zone's area.

use serde::{Deserialize, Serialize};

use crate::constraint::POSITION_M;

/// A room or hall: its walls as a closed polygon and the aisles between its rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoomSpec {
    /// Unique id among rooms (shown on the plan).
    pub id: String,
    /// Corners of its walls in order, m (the last joins the first): at least three.
    pub walls_m: Vec<(f64, f64)>,
    /// Its aisles.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aisles: Vec<AisleSpec>,
}

/// An aisle between two rows: which air it carries and whether it is contained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AisleSpec {
    /// Cold (rack inlets face it) or hot (exhausts).
    pub air: AisleAir,
    /// One corner of the aisle's rectangle, m.
    pub from_m: (f64, f64),
    /// The opposite corner, m.
    pub to_m: (f64, f64),
    /// Doors and a roof close it off (containment).
    #[serde(default, skip_serializing_if = "is_false")]
    pub contained: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// The air an aisle carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AisleAir {
    /// Supply air at the racks' inlets.
    Cold,
    /// Exhaust air from the racks.
    Hot,
}

impl AisleAir {
    /// For people.
    pub fn label(self) -> &'static str {
        match self {
            AisleAir::Cold => "cold aisle",
            AisleAir::Hot => "hot aisle",
        }
    }
}

impl AisleSpec {
    /// Its rectangle as (lower-left, upper-right) corners, m.
    pub fn rect_m(&self) -> ((f64, f64), (f64, f64)) {
        let (a, b) = (self.from_m, self.to_m);
        ((a.0.min(b.0), a.1.min(b.1)), (a.0.max(b.0), a.1.max(b.1)))
    }

    /// Its width across the air flow (the shorter side), m.
    pub fn width_m(&self) -> f64 {
        let (lo, hi) = self.rect_m();
        (hi.0 - lo.0).min(hi.1 - lo.1)
    }
}

/// The narrowest aisle a person (and a rack on a pallet jack) gets through: below it the
/// aisle is a drawing mistake, not a design (ASHRAE/ANSI/TIA-942 ask for 0.9–1.2 m).
pub const MIN_AISLE_WIDTH_M: f64 = 0.6;

/// True when `p` is inside the polygon `corners` (even-odd rule; points on an edge count as
/// inside for axis-aligned walls, where racks are set against them).
pub fn polygon_contains(corners: &[(f64, f64)], p: (f64, f64)) -> bool {
    if corners.len() < 3 {
        return false;
    }
    let mut inside = false;
    let mut j = corners.len() - 1;
    for i in 0..corners.len() {
        let (a, b) = (corners[i], corners[j]);
        if on_segment(a, b, p) {
            return true;
        }
        if (a.1 > p.1) != (b.1 > p.1) && p.0 < (b.0 - a.0) * (p.1 - a.1) / (b.1 - a.1) + a.0 {
            inside = !inside;
        }
        j = i;
    }
    inside
}

fn on_segment(a: (f64, f64), b: (f64, f64), p: (f64, f64)) -> bool {
    let cross = (b.0 - a.0) * (p.1 - a.1) - (b.1 - a.1) * (p.0 - a.0);
    let len = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
    cross.abs() <= 1e-9 * len.max(1.0)
        && p.0 >= a.0.min(b.0) - 1e-9
        && p.0 <= a.0.max(b.0) + 1e-9
        && p.1 >= a.1.min(b.1) - 1e-9
        && p.1 <= a.1.max(b.1) + 1e-9
}

/// Twice the signed area of a polygon (shoelace), m².
pub fn polygon_area_m2(corners: &[(f64, f64)]) -> f64 {
    let n = corners.len();
    (0..n)
        .map(|i| {
            let (a, b) = (corners[i], corners[(i + 1) % n]);
            a.0 * b.1 - b.0 * a.1
        })
        .sum::<f64>()
        / 2.0
}

/// Problems of a polygon written at `path`: at least three finite corners enclosing an area.
pub fn polygon_problems(out: &mut Vec<(String, String)>, path: &str, what: &str, corners: &[(f64, f64)]) {
    if corners.len() < 3 {
        out.push((path.to_string(), format!("{what} needs at least three corners, found {}", corners.len())));
        return;
    }
    for (k, c) in corners.iter().enumerate() {
        if !(POSITION_M.accepts(c.0) && POSITION_M.accepts(c.1)) {
            out.push((
                format!("{path}[{k}]"),
                format!("a corner must be two finite numbers of metres within {}", POSITION_M.describe()),
            ));
            return;
        }
    }
    if polygon_area_m2(corners).abs() < 1e-6 {
        out.push((path.to_string(), format!("{what} encloses no floor: its corners lie on one line")));
    }
}

/// Problems of the site's rooms: unique ids, walls that enclose floor, aisles that are
/// rectangles a person fits in and lie inside their room.
pub fn room_problems(out: &mut Vec<(String, String)>, rooms: &[RoomSpec]) {
    for (i, room) in rooms.iter().enumerate() {
        let path = format!("rooms[{i}]");
        if room.id.trim().is_empty() {
            out.push((format!("{path}.id"), "a room needs an id".into()));
        } else if rooms[..i].iter().any(|r| r.id == room.id) {
            out.push((format!("{path}.id"), format!("room id \"{}\" is used twice", room.id)));
        }
        let walls = format!("{path}.walls_m");
        let before = out.len();
        polygon_problems(out, &walls, &format!("room \"{}\"'s walls", room.id), &room.walls_m);
        let walls_ok = out.len() == before;
        for (k, aisle) in room.aisles.iter().enumerate() {
            let at = format!("{path}.aisles[{k}]");
            let finite = [aisle.from_m, aisle.to_m].iter().all(|c| POSITION_M.accepts(c.0) && POSITION_M.accepts(c.1));
            if !finite {
                out.push((
                    format!("{at}.from_m"),
                    format!("aisle corners must be two finite numbers of metres within {}", POSITION_M.describe()),
                ));
                continue;
            }
            let width = aisle.width_m();
            if width < MIN_AISLE_WIDTH_M {
                out.push((
                    format!("{at}.to_m"),
                    format!(
                        "the {} is {width:.2} m wide; an aisle needs at least {MIN_AISLE_WIDTH_M} m (0.9–1.2 m is usual)",
                        aisle.air.label()
                    ),
                ));
                continue;
            }
            let (lo, hi) = aisle.rect_m();
            let centre = ((lo.0 + hi.0) / 2.0, (lo.1 + hi.1) / 2.0);
            if walls_ok && !polygon_contains(&room.walls_m, centre) {
                out.push((
                    format!("{at}.from_m"),
                    format!("the {} is outside room \"{}\"'s walls", aisle.air.label(), room.id),
                ));
            }
        }
    }
}

/// Problems of the zones' outlines (a zone without one is drawn around its racks).
pub fn zone_outline_problems(out: &mut Vec<(String, String)>, zones: &[super::ZoneSpec]) {
    for (i, zone) in zones.iter().enumerate() {
        if !zone.outline_m.is_empty() {
            polygon_problems(
                out,
                &format!("zones[{i}].outline_m"),
                &format!("zone \"{}\"'s outline", zone.id),
                &zone.outline_m,
            );
        }
    }
}

/// Where racks stand against the rooms and zones drawn (warnings, not refusals: the physics
/// does not depend on them), as `(path, message)` on each rack's position: see
/// [`placement_problem`].
pub fn placement_warnings(site: &super::SiteFile) -> Vec<(String, String)> {
    let zones: Vec<(&str, &[(f64, f64)])> = zone_outlines(&site.zones);
    site.racks
        .iter()
        .enumerate()
        .filter_map(|(i, rack)| {
            placement_problem(&site.rooms, &zones, &rack.id, rack.position_m, rack.zone.as_deref())
                .map(|m| (format!("racks[{i}].position_m"), m))
        })
        .collect()
}

/// The zones that have an outline, as `(id, corners)`.
pub fn zone_outlines(zones: &[super::ZoneSpec]) -> Vec<(&str, &[(f64, f64)])> {
    zones.iter().filter(|z| z.outline_m.len() >= 3).map(|z| (z.id.as_str(), z.outline_m.as_slice())).collect()
}

/// What is wrong with where rack `id` stands at `at` (m), cooled by `zone`: outside every room
/// when the site has rooms, or in another zone's outline and not in its own.
pub fn placement_problem(
    rooms: &[RoomSpec],
    zones: &[(&str, &[(f64, f64)])],
    id: &str,
    at: (f64, f64),
    zone: Option<&str>,
) -> Option<String> {
    if !rooms.is_empty() && !rooms.iter().any(|r| polygon_contains(&r.walls_m, at)) {
        let names: Vec<&str> = rooms.iter().map(|r| r.id.as_str()).collect();
        return Some(format!(
            "rack \"{id}\" at ({}, {}) m stands outside every room ({})",
            at.0,
            at.1,
            names.join(", ")
        ));
    }
    let own = zone?;
    if zones.iter().any(|(z, outline)| *z == own && polygon_contains(outline, at)) {
        return None;
    }
    let (other, _) = zones.iter().find(|(z, outline)| *z != own && polygon_contains(outline, at))?;
    Some(format!(
        "rack \"{id}\" stands in zone \"{other}\"'s area but its heat goes to zone \"{own}\"; move it or change its zone"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_point_is_inside_an_l_shaped_room_as_drawn() {
        // An L: 10 × 10 with the upper-right 5 × 5 cut away.
        let l = [(0.0, 0.0), (10.0, 0.0), (10.0, 5.0), (5.0, 5.0), (5.0, 10.0), (0.0, 10.0)];
        assert!(polygon_contains(&l, (2.0, 8.0)));
        assert!(polygon_contains(&l, (8.0, 2.0)));
        assert!(!polygon_contains(&l, (8.0, 8.0)));
        assert!(!polygon_contains(&l, (-0.1, 2.0)));
        // On a wall: inside (racks stand against walls).
        assert!(polygon_contains(&l, (0.0, 3.0)));
        assert!(polygon_contains(&l, (7.0, 5.0)));
        assert_eq!(polygon_area_m2(&l), 75.0);
    }
}
