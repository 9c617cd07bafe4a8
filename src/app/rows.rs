//! Rows of racks, found from where racks stand (a row is not written in the site file: racks
//! side by side, turned alike, on one line). Zoomed out, the plan draws one shape per row with
//! its load and worst state instead of racks a pixel wide.

use bevy::prelude::*;

use super::plan::PlanItem;
use crate::kinds::EquipmentKind;
use crate::site::save::natural_cmp;

/// A gap along a row wider than this ends it (a cross aisle or a column), m.
pub const ROW_BREAK_M: f32 = 1.0;

/// One row of racks (or a line of like equipment: [`find_blocks`]).
#[derive(Component, Debug, Clone, PartialEq)]
pub struct PlanRow {
    /// What it is a row of.
    pub kind: EquipmentKind,
    /// Its members in order along the row.
    pub members: Vec<String>,
    /// Lower-left corner of the row's outline, m.
    pub min_m: Vec2,
    /// Upper-right corner, m.
    pub max_m: Vec2,
}

impl PlanRow {
    /// "GB1–GB12" (its end racks), or the rack's id for a row of one.
    pub fn name(&self) -> String {
        match (self.members.first(), self.members.last()) {
            (Some(a), Some(b)) if a != b => format!("{a}–{b}"),
            (Some(a), _) => a.clone(),
            _ => String::new(),
        }
    }

    /// Centre, m.
    pub fn center_m(&self) -> Vec2 {
        (self.min_m + self.max_m) / 2.0
    }

    /// Size, m.
    pub fn size_m(&self) -> Vec2 {
        self.max_m - self.min_m
    }
}

/// The rows of the racks among `items`: racks turned alike (the same footprint) whose centres
/// lie on one line across the row (within 5 cm) and follow each other along it with gaps of at
/// most [`ROW_BREAK_M`]. A row runs along a rack's width (its narrow side). Deterministic:
/// rows come out ordered by their first rack's id.
pub fn find_rows<'a>(items: impl Iterator<Item = &'a PlanItem>) -> Vec<PlanRow> {
    find_lines(items.filter(|i| i.kind == EquipmentKind::Rack), None, |_| ROW_BREAK_M)
}

/// Lines of two or more like units other than racks and distribution (CRAHs along a wall,
/// transformers in a yard): like [`find_rows`], with gaps up to four times the units' narrow
/// side. Zoomed out, the plan labels the line instead of units too small to carry a label.
pub fn find_blocks<'a>(items: impl Iterator<Item = &'a PlanItem>) -> Vec<PlanRow> {
    // Distribution is tapped per row (busway boxes at a row's end): the row names it.
    let units: Vec<&PlanItem> = items
        .filter(|i| !matches!(i.kind, EquipmentKind::Rack | EquipmentKind::Distribution) && !i.kind.is_marker())
        .collect();
    let gap = |i: &PlanItem| 4.0 * i.size_m.min_element();
    // Units stand side by side either way (CRAHs along a wall, transformers in a column): of the
    // lines along x and along y, the longest are taken first, each unit in one line.
    let mut lines = find_lines(units.iter().copied(), Some(true), gap);
    lines.extend(find_lines(units.iter().copied(), Some(false), gap));
    lines.retain(|b| b.members.len() > 1);
    lines.sort_by(|a, b| b.members.len().cmp(&a.members.len()).then_with(|| natural_cmp(&a.members[0], &b.members[0])));
    let mut taken: std::collections::HashSet<String> = Default::default();
    let mut blocks: Vec<PlanRow> = Vec::new();
    for line in lines {
        if line.members.iter().all(|id| !taken.contains(id)) {
            taken.extend(line.members.iter().cloned());
            blocks.push(line);
        }
    }
    blocks.sort_by(|a, b| natural_cmp(&a.members[0], &b.members[0]));
    blocks
}

/// Items of one kind turned alike on one line, split where the gap to the next passes `gap`;
/// lines run along x when `along_x` says so, or (`None`) along each item's narrow side.
fn find_lines<'a>(
    items: impl Iterator<Item = &'a PlanItem>,
    along_x: Option<bool>,
    gap: impl Fn(&PlanItem) -> f32,
) -> Vec<PlanRow> {
    let forced = along_x;
    // Key: kind, direction (along x or y), the line across (5 cm bins), and the footprint (1 cm).
    type Key = (EquipmentKind, bool, i64, i64, i64);
    let mut lines: std::collections::BTreeMap<Key, Vec<&PlanItem>> = Default::default();
    for item in items {
        let along_x = forced.unwrap_or(item.size_m.x <= item.size_m.y);
        let across = if along_x { item.center_m.y } else { item.center_m.x };
        let key = (
            item.kind,
            along_x,
            (across / 0.05).round() as i64,
            (item.size_m.x * 100.0).round() as i64,
            (item.size_m.y * 100.0).round() as i64,
        );
        lines.entry(key).or_default().push(item);
    }
    let mut rows = Vec::new();
    for ((_, along_x, ..), mut members) in lines {
        let pos = |i: &PlanItem| if along_x { i.center_m.x } else { i.center_m.y };
        let half = |i: &PlanItem| if along_x { i.size_m.x / 2.0 } else { i.size_m.y / 2.0 };
        members.sort_by(|a, b| pos(a).total_cmp(&pos(b)).then_with(|| natural_cmp(&a.id, &b.id)));
        let mut current: Vec<&PlanItem> = Vec::new();
        for item in members {
            if let Some(last) = current.last()
                && (pos(item) - half(item)) - (pos(last) + half(last)) > gap(item)
            {
                rows.push(row_of(&current));
                current.clear();
            }
            current.push(item);
        }
        if !current.is_empty() {
            rows.push(row_of(&current));
        }
    }
    rows.sort_by(|a, b| natural_cmp(&a.members[0], &b.members[0]));
    rows
}

fn row_of(members: &[&PlanItem]) -> PlanRow {
    let mut min_m = Vec2::splat(f32::MAX);
    let mut max_m = Vec2::splat(f32::MIN);
    for m in members {
        min_m = min_m.min(m.center_m - m.size_m / 2.0);
        max_m = max_m.max(m.center_m + m.size_m / 2.0);
    }
    PlanRow { kind: members[0].kind, members: members.iter().map(|m| m.id.clone()).collect(), min_m, max_m }
}

/// Screen width below which a rack is drawn as part of its row's shape, logical pixels: under
/// it a rack's own colour is a pixel or two and its label cannot fit.
pub const RACK_DETAIL_PX: f32 = 6.0;

/// True when racks `rack_width_m` wide are drawn one by one at `m_per_px`.
pub fn racks_in_detail(rack_width_m: f32, m_per_px: f32) -> bool {
    rack_width_m / m_per_px >= RACK_DETAIL_PX
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rack(id: &str, x: f32, y: f32, turned: bool) -> PlanItem {
        PlanItem {
            id: id.into(),
            kind: EquipmentKind::Rack,
            center_m: Vec2::new(x, y),
            size_m: if turned { Vec2::new(1.2, 0.6) } else { Vec2::new(0.6, 1.2) },
            links: vec![],
            zone: None,
        }
    }

    #[test]
    fn racks_side_by_side_form_a_row_and_a_cross_aisle_splits_it() {
        let mut items = vec![];
        for i in 0..5 {
            items.push(rack(&format!("R{}", i + 1), i as f32 * 0.6, 0.0, false));
        }
        // A 1.2 m cross aisle, then two more on the same line.
        // R5's right side is at 2.7 m: R6 spans 3.9–4.5.
        items.push(rack("R6", 4.2, 0.0, false));
        items.push(rack("R7", 4.8, 0.0, false));
        // The facing row across a 1.2 m aisle, and a turned row.
        for i in 0..3 {
            items.push(rack(&format!("S{}", i + 1), i as f32 * 0.6, 2.4, false));
            items.push(rack(&format!("T{}", i + 1), 10.0, i as f32 * 0.6, true));
        }
        let rows = find_rows(items.iter());
        let names: Vec<String> = rows.iter().map(PlanRow::name).collect();
        assert_eq!(names, ["R1–R5", "R6–R7", "S1–S3", "T1–T3"]);
        let r = &rows[0];
        assert!((r.min_m - Vec2::new(-0.3, -0.6)).length() < 1e-5, "{r:?}");
        assert!((r.max_m - Vec2::new(2.7, 0.6)).length() < 1e-5, "{r:?}");
        // The turned row runs along y.
        assert!((rows[3].size_m() - Vec2::new(1.2, 1.8)).length() < 1e-5);
    }

    #[test]
    fn like_units_on_a_line_form_a_block_and_a_lone_unit_none() {
        let unit = |id: &str, kind: EquipmentKind, x: f32, y: f32| PlanItem {
            id: id.into(),
            kind,
            center_m: Vec2::new(x, y),
            size_m: Vec2::new(2.0, 0.9),
            links: vec![],
            zone: None,
        };
        let mut items: Vec<PlanItem> =
            (0..4).map(|i| unit(&format!("CRAH-{}", i + 1), EquipmentKind::Crah, i as f32 * 2.2, 0.0)).collect();
        // 4.6 m on from CRAH-4's side: past four times 0.9 m, a block of its own (of one: none).
        items.push(unit("CRAH-9", EquipmentKind::Crah, 3.0 * 2.2 + 2.0 + 4.6, 0.0));
        // Another kind on the same line is not in the block.
        items.push(unit("CDU-1", EquipmentKind::Cdu, 4.0 * 2.2, 0.0));
        let blocks = find_blocks(items.iter());
        assert_eq!(blocks.len(), 1);
        assert_eq!((blocks[0].name(), blocks[0].kind), ("CRAH-1–CRAH-4".to_string(), EquipmentKind::Crah));
    }

    #[test]
    fn a_grid_of_units_is_read_as_its_longer_lines() {
        // Two columns of three transformers (3 m apart in a column, 5.5 m between columns): two
        // columns of three, not three pairs across.
        let items: Vec<PlanItem> = (0..6)
            .map(|i| PlanItem {
                id: format!("T-{}{}", if i < 3 { "A" } else { "B" }, i % 3 + 1),
                kind: EquipmentKind::Transformer,
                center_m: Vec2::new(if i < 3 { 0.0 } else { -5.5 }, (i % 3) as f32 * 3.0),
                size_m: Vec2::new(2.4, 1.8),
                links: vec![],
                zone: None,
            })
            .collect();
        let names: Vec<String> = find_blocks(items.iter()).iter().map(PlanRow::name).collect();
        assert_eq!(names, ["T-A1–T-A3", "T-B1–T-B3"]);
    }
}
