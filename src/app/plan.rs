//! The floor plan: a top-down 2D view of every element at its position and true-to-scale
//! footprint, coloured by the chosen metric; panning, zooming, picking, placing and moving.
//!
//! Each element is one sprite (Bevy batches sprites that share the default texture into one draw,
//! so 10k racks stay cheap). Outlines for alerts, the selection and previews are gizmos, drawn in
//! screen-constant line widths so an element over a limit stands out at any zoom. The view
//! transform lives in [`PlanView`] (centre and metres per logical pixel), the one source the
//! camera, picking and the egui labels agree on.

use bevy::input::mouse::{AccumulatedMouseScroll, MouseScrollUnit};
use bevy::prelude::*;
use bevy::window::PrimaryWindow;

use super::colors::{group_color, metric_color};
use super::perf::{AppTimings, Timed};
use super::rows::{PlanRow, find_rows, racks_in_detail};
use super::state::{EditorState, Tool, UiFocus};
use super::status::SiteStatus;
use crate::edit::{self, Footprints, ops};
use crate::sim::components::{CatalogModel, ElementId, Kind, Placement};
use crate::sim::limits::Severity;
use crate::sim::world::CoolingLayout;
use crate::site::element::{EquipmentKind, SiteElement};

/// Centre of the view (m) and zoom (m per logical pixel).
#[derive(Resource, Debug, Clone, Copy, PartialEq)]
pub struct PlanView {
    /// Floor point at the centre of the window, m.
    pub center_m: Vec2,
    /// Metres per logical pixel.
    pub m_per_px: f32,
    /// Window size, logical pixels.
    pub window_px: Vec2,
}

impl Default for PlanView {
    fn default() -> Self {
        PlanView { center_m: Vec2::ZERO, m_per_px: 0.1, window_px: Vec2::new(1600.0, 900.0) }
    }
}

impl PlanView {
    /// Floor point under window position `p` (logical pixels, origin top-left, y down).
    pub fn to_floor(&self, p: Vec2) -> Vec2 {
        let d = (p - self.window_px / 2.0) * self.m_per_px;
        self.center_m + Vec2::new(d.x, -d.y)
    }

    /// Window position of floor point `m`.
    pub fn to_screen(&self, m: Vec2) -> Vec2 {
        let d = (m - self.center_m) / self.m_per_px;
        self.window_px / 2.0 + Vec2::new(d.x, -d.y)
    }

    /// Zooms by `factor` (>1 zooms out) keeping the floor point under `p` fixed.
    pub fn zoom_at(&mut self, p: Vec2, factor: f32) {
        let anchor = self.to_floor(p);
        self.m_per_px = (self.m_per_px * factor).clamp(0.002, 20.0);
        let d = (p - self.window_px / 2.0) * self.m_per_px;
        self.center_m = anchor - Vec2::new(d.x, -d.y);
    }

    /// Fits floor rectangle `min..max` into screen rectangle `rect` (logical pixels) with a margin.
    pub fn fit(&mut self, min: Vec2, max: Vec2, rect_min: Vec2, rect_max: Vec2) {
        let size = (max - min).max(Vec2::splat(1.0));
        let avail = (rect_max - rect_min).max(Vec2::splat(50.0));
        self.m_per_px = (size.x / avail.x).max(size.y / avail.y) * 1.1;
        let rect_center = (rect_min + rect_max) / 2.0;
        let d = (rect_center - self.window_px / 2.0) * self.m_per_px;
        self.center_m = (min + max) / 2.0 - Vec2::new(d.x, -d.y);
    }
}

/// The plan's items by id, kept with their sprites, so per-frame drawing looks elements up
/// instead of building a map of 10k items every frame.
#[derive(Resource, Debug, Clone, Default)]
pub struct PlanIndex {
    /// Items by id (sorted, so iteration is deterministic).
    pub items: std::collections::BTreeMap<String, PlanItem>,
}

impl PlanIndex {
    /// The item with `id`.
    pub fn get(&self, id: &str) -> Option<&PlanItem> {
        self.items.get(id)
    }
}

/// Which sprite draws which element, so an edit updates only the sprites it touched.
#[derive(Resource, Debug, Clone, Default)]
pub struct PlanSprites {
    /// Sprite of each element entity, with the element's id (despawned entities keep no id).
    electrical: std::collections::HashMap<Entity, (String, Entity)>,
    /// Sprites of the cooling layout's elements (few; redrawn when the layout changes).
    cooling: Vec<Entity>,
}

/// Counts plan rebuilds: views that depend on the set of elements cache on it.
#[derive(Resource, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlanRevision(pub u64);

/// Marks the plan's camera.
#[derive(Component)]
pub struct PlanCamera;

/// One element drawn on the plan.
#[derive(Component, Debug, Clone)]
pub struct PlanItem {
    /// Element id.
    pub id: String,
    /// Kind.
    pub kind: EquipmentKind,
    /// Centre, m.
    pub center_m: Vec2,
    /// Width and depth (rotation applied), m.
    pub size_m: Vec2,
    /// Ids this element connects to (its upstream, cords, zone, loop…).
    pub links: Vec<String>,
    /// The zone a rack sends its air-side heat to.
    pub zone: Option<String>,
}

impl PlanItem {
    /// True when floor point `p` is on the item.
    pub fn contains(&self, p: Vec2) -> bool {
        let h = self.size_m / 2.0;
        (p - self.center_m).abs().cmple(h).all()
    }
}

/// Mouse gesture in progress on the plan.
#[derive(Resource, Debug, Clone, Default, PartialEq)]
pub enum PlanGesture {
    /// Nothing.
    #[default]
    Idle,
    /// Dragging the view; the cursor's last window position.
    Pan {
        /// Logical pixels.
        last_px: Vec2,
    },
    /// Pressed on a selected element: moving the selection once the mouse travels.
    Move {
        /// Floor point where the drag started.
        from_m: Vec2,
        /// Window point where it started.
        from_px: Vec2,
        /// Current offset, m.
        offset_m: Vec2,
    },
    /// Shift-drag on empty floor: box selection.
    Box {
        /// Floor corner where it started.
        from_m: Vec2,
    },
}

/// Draw order of kinds (zones and loops below equipment).
fn z_of(kind: EquipmentKind) -> f32 {
    match kind {
        EquipmentKind::Zone => 0.0,
        EquipmentKind::WaterLoop => 0.1,
        EquipmentKind::Rack => 0.5,
        _ => 0.3,
    }
}

/// The plan's systems in `Update` (status and single steps run before them).
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PlanSet;

/// Plan drawing and interaction.
pub struct PlanPlugin;

impl Plugin for PlanPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<PlanView>()
            .init_resource::<PlanGesture>()
            .init_resource::<PlanIndex>()
            .init_resource::<PlanRevision>()
            .init_resource::<AppTimings>()
            .init_resource::<PlanRows>()
            .init_resource::<PlanRooms>()
            .add_systems(Startup, spawn_camera)
            .add_systems(
                Update,
                (
                    sync_items,
                    sync_rows,
                    sync_rooms,
                    color_items,
                    plan_input,
                    apply_view,
                    apply_detail,
                    draw_rooms,
                    draw_symbols,
                    draw_overlays,
                )
                    .chain()
                    .in_set(PlanSet),
            );
    }
}

fn spawn_camera(mut commands: Commands) {
    commands.spawn((Camera2d, PlanCamera, Msaa::Off));
}

/// Element entities whose plan item must be (re)drawn.
type ItemChanged = Or<(
    Added<ElementId>,
    Changed<Placement>,
    Changed<CatalogModel>,
    Changed<crate::sim::components::Sources>,
    Changed<crate::sim::components::RackFeeds>,
    Changed<crate::sim::world::RackCooling>,
)>;

/// The plan item of one element entity.
#[allow(clippy::too_many_arguments)]
fn element_item(
    table: &crate::catalog::footprint::FootprintTable,
    id: &ElementId,
    kind: &Kind,
    model: &CatalogModel,
    place: &Placement,
    sources: Option<&crate::sim::components::Sources>,
    feeds: Option<&crate::sim::components::RackFeeds>,
    cooling: Option<&crate::sim::world::RackCooling>,
) -> PlanItem {
    let (w, d) = table.extent_m(kind.0, &model.0, place.rotation_deg);
    let (x, y) = place.position_m;
    PlanItem {
        id: id.0.clone(),
        kind: kind.0,
        center_m: Vec2::new(x as f32, y as f32),
        size_m: Vec2::new(w as f32, d as f32),
        links: sources
            .into_iter()
            .flat_map(|u| u.0.iter().cloned())
            .chain(feeds.into_iter().flat_map(|f| std::iter::once(f.a.clone()).chain(f.b.clone())))
            .collect(),
        zone: cooling.and_then(|c| c.zone.clone()),
    }
}

/// The plan items of the cooling layout (zones, loops, cooling units).
fn cooling_items(table: &crate::catalog::footprint::FootprintTable, layout: &CoolingLayout) -> Vec<PlanItem> {
    let mut site = crate::site::SiteFile::default();
    layout.write_into(&mut site);
    SiteElement::all_of(&site)
        .into_iter()
        .map(|e| {
            let r = ops::footprint(table, &e);
            PlanItem {
                id: e.id().to_string(),
                kind: e.kind(),
                center_m: Vec2::new(((r.min.0 + r.max.0) / 2.0) as f32, ((r.min.1 + r.max.1) / 2.0) as f32),
                size_m: Vec2::new((r.max.0 - r.min.0) as f32, (r.max.1 - r.min.1) as f32),
                links: e.links().into_iter().map(|(_, t)| t).collect(),
                zone: None,
            }
        })
        .collect()
}

/// A plan sprite for `item`, in its colour-to-be.
fn item_sprite(item: PlanItem) -> (PlanItem, Sprite, Transform) {
    let sprite = Sprite { color: Color::srgb(0.45, 0.47, 0.52), custom_size: Some(item.size_m), ..default() };
    let at = Transform::from_xyz(item.center_m.x, item.center_m.y, z_of(item.kind));
    (item, sprite, at)
}

/// What a plan sprite is drawn from.
type ItemColumns<'a> = (
    Entity,
    &'a ElementId,
    &'a Kind,
    &'a CatalogModel,
    &'a Placement,
    Option<&'a crate::sim::components::Sources>,
    Option<&'a crate::sim::components::RackFeeds>,
    Option<&'a crate::sim::world::RackCooling>,
);

/// Keeps the plan's sprites in step with the world: only elements added, removed, moved or
/// reconnected since the last frame are redrawn (one edit touches a few sprites of 10k), and
/// the cooling layout's few sprites when it changes.
#[allow(clippy::too_many_arguments)]
pub fn sync_items(
    mut commands: Commands,
    changed: Query<ItemColumns, ItemChanged>,
    mut removed: RemovedComponents<ElementId>,
    layout: Option<Res<CoolingLayout>>,
    footprints: Option<Res<Footprints>>,
    mut sprites: Local<PlanSprites>,
    mut index: ResMut<PlanIndex>,
    mut revision: ResMut<PlanRevision>,
    mut status: Option<ResMut<SiteStatus>>,
    mut timings: ResMut<AppTimings>,
) {
    let removed: Vec<Entity> = removed.read().collect();
    let cooling_changed = layout.as_ref().is_some_and(|l| l.is_changed());
    if removed.is_empty() && changed.is_empty() && !cooling_changed {
        return;
    }
    let started = std::time::Instant::now();
    let default_table;
    let table = match &footprints {
        Some(f) => &f.0,
        None => {
            default_table = Footprints::default();
            &default_table.0
        }
    };
    for entity in removed {
        if let Some((id, sprite)) = sprites.electrical.remove(&entity) {
            commands.entity(sprite).despawn();
            index.items.remove(&id);
        }
    }
    for (entity, id, kind, model, place, sources, feeds, cooling) in &changed {
        let item = element_item(table, id, kind, model, place, sources, feeds, cooling);
        if let Some((old_id, sprite)) = sprites.electrical.remove(&entity) {
            commands.entity(sprite).despawn();
            index.items.remove(&old_id);
        }
        index.items.insert(item.id.clone(), item.clone());
        let sprite = commands.spawn(item_sprite(item)).id();
        sprites.electrical.insert(entity, (id.0.clone(), sprite));
    }
    if cooling_changed && let Some(layout) = &layout {
        for sprite in sprites.cooling.drain(..) {
            commands.entity(sprite).despawn();
        }
        index.items.retain(|_, item| item.kind.is_electrical());
        for item in cooling_items(table, layout) {
            index.items.insert(item.id.clone(), item.clone());
            sprites.cooling.push(commands.spawn(item_sprite(item)).id());
        }
    }
    revision.0 += 1;
    // Colours must be recomputed for the new sprites.
    if let Some(s) = status.as_mut() {
        s.generation += 1;
    }
    timings.record(Timed::PlanRebuild, started.elapsed());
}

/// Respawns every plan item from the world (what [`sync_items`] avoids on an edit; kept to
/// measure it, and for tools).
pub fn rebuild_items(world: &mut World) {
    let started = std::time::Instant::now();
    let old: Vec<Entity> = world.query_filtered::<Entity, With<PlanItem>>().iter(world).collect();
    for e in old {
        world.despawn(e);
    }
    let table = world.get_resource_or_insert_with(Footprints::default).0.clone();
    let mut items: Vec<PlanItem> = Vec::new();
    let mut q = world.query::<(
        &ElementId,
        &Kind,
        &CatalogModel,
        &Placement,
        Option<&crate::sim::components::Sources>,
        Option<&crate::sim::components::RackFeeds>,
        Option<&crate::sim::world::RackCooling>,
    )>();
    for (id, kind, model, place, sources, feeds, cooling) in q.iter(world) {
        items.push(element_item(&table, id, kind, model, place, sources, feeds, cooling));
    }
    if let Some(layout) = world.get_resource::<CoolingLayout>() {
        items.extend(cooling_items(&table, layout));
    }
    let index = PlanIndex { items: items.iter().map(|item| (item.id.clone(), item.clone())).collect() };
    world.insert_resource(index);
    world.spawn_batch(items.into_iter().map(item_sprite).collect::<Vec<_>>());
    world.get_resource_or_insert_with(PlanRevision::default).0 += 1;
    if let Some(mut s) = world.get_resource_mut::<SiteStatus>() {
        s.generation += 1;
    }
    world.get_resource_or_insert_with(AppTimings::default).record(Timed::PlanRebuild, started.elapsed());
}

/// Last generation/metric the sprites were coloured for.
#[derive(Default)]
struct Colored {
    generation: u64,
    metric: Option<super::state::ColorMetric>,
}

fn color_items(
    status: Option<Res<SiteStatus>>,
    editor: Res<EditorState>,
    mut items: Query<(&PlanItem, &mut Sprite), Without<PlanRow>>,
    mut rows: Query<(&PlanRow, &mut Sprite), Without<PlanItem>>,
    mut done: Local<Colored>,
    mut timings: ResMut<AppTimings>,
) {
    let Some(status) = status else { return };
    if done.generation == status.generation && done.metric == Some(editor.metric) {
        return;
    }
    let started = std::time::Instant::now();
    for (item, mut sprite) in &mut items {
        let c = metric_color(editor.metric, status.by_id.get(&item.id));
        let alpha = if item.kind.is_marker() { 0.6 } else { 1.0 };
        let color = Color::srgba(c[0], c[1], c[2], alpha);
        if sprite.color != color {
            sprite.color = color;
        }
    }
    for (row, mut sprite) in &mut rows {
        let c = group_color(editor.metric, row.members.iter().map(|id| status.by_id.get(id)));
        let color = Color::srgb(c[0], c[1], c[2]);
        if sprite.color != color {
            sprite.color = color;
        }
    }
    done.generation = status.generation;
    done.metric = Some(editor.metric);
    timings.record(Timed::PlanColors, started.elapsed());
}

/// The top item under floor point `p` (equipment before markers, small before large).
pub fn pick<'a>(items: impl Iterator<Item = &'a PlanItem>, p: Vec2) -> Option<&'a PlanItem> {
    items.filter(|i| i.contains(p)).min_by(|a, b| {
        (a.kind.is_marker(), a.size_m.x * a.size_m.y)
            .partial_cmp(&(b.kind.is_marker(), b.size_m.x * b.size_m.y))
            .unwrap_or(std::cmp::Ordering::Equal)
    })
}

/// Mouse and keyboard on the plan: pan, zoom, pick, place, move, box-select, connect.
/// What the plan's input handlers read this frame.
struct PointerInput {
    cursor: Option<Vec2>,
    buttons: ButtonInput<MouseButton>,
    keys: ButtonInput<KeyCode>,
    view: PlanView,
}

impl PointerInput {
    fn any_button(&self) -> bool {
        self.buttons.pressed(MouseButton::Left)
            || self.buttons.pressed(MouseButton::Right)
            || self.buttons.pressed(MouseButton::Middle)
    }
}

/// The plan's mouse and keys: a gesture in progress goes on (or ends) whatever the pointer is
/// over; a new one starts only over the plan.
fn plan_input(world: &mut World) {
    let started = std::time::Instant::now();
    let Ok(window) = world.query_filtered::<&Window, With<PrimaryWindow>>().single(world) else { return };
    let window_px = Vec2::new(window.width(), window.height());
    let cursor = window.cursor_position();
    world.resource_mut::<PlanView>().window_px = window_px;
    let input = PointerInput {
        cursor,
        buttons: world.resource::<ButtonInput<MouseButton>>().clone(),
        keys: world.resource::<ButtonInput<KeyCode>>().clone(),
        view: *world.resource::<PlanView>(),
    };
    // Keys the plan owns (egui handles the rest, including Ctrl+Z).
    if !world.resource::<UiFocus>().keyboard && input.keys.just_pressed(KeyCode::KeyF) {
        world.resource_mut::<EditorState>().fit_requested = true;
    }
    match world.resource::<PlanGesture>().clone() {
        PlanGesture::Pan { last_px } => pan(world, &input, last_px),
        PlanGesture::Move { from_m, from_px, .. } => drag_selection(world, &input, from_m, from_px),
        PlanGesture::Box { from_m } => box_select(world, &input, from_m),
        PlanGesture::Idle => hover_and_press(world, &input),
    }
    finish(world, started);
}

/// Dragging the view: the floor point under the cursor stays under it (from cursor positions,
/// not raw device motion, whatever the pointer acceleration).
fn pan(world: &mut World, input: &PointerInput, last_px: Vec2) {
    if !input.any_button() {
        *world.resource_mut::<PlanGesture>() = PlanGesture::Idle;
        return;
    }
    if let Some(c) = input.cursor {
        let d = c - last_px;
        let mut v = world.resource_mut::<PlanView>();
        let m = v.m_per_px;
        v.center_m -= Vec2::new(d.x, -d.y) * m;
        *world.resource_mut::<PlanGesture>() = PlanGesture::Pan { last_px: c };
    }
}

/// Dragging the selection: it follows the mouse once it travels 4 px; on release the move is
/// one edit.
fn drag_selection(world: &mut World, input: &PointerInput, from_m: Vec2, from_px: Vec2) {
    let Some(c) = input.cursor else { return };
    let offset_m = if c.distance(from_px) > 4.0 { input.view.to_floor(c) - from_m } else { Vec2::ZERO };
    if input.buttons.pressed(MouseButton::Left) {
        *world.resource_mut::<PlanGesture>() = PlanGesture::Move { from_m, from_px, offset_m };
        return;
    }
    *world.resource_mut::<PlanGesture>() = PlanGesture::Idle;
    if offset_m != Vec2::ZERO {
        let (ids, grid) = {
            let e = world.resource::<EditorState>();
            (e.selection.clone(), e.grid_m)
        };
        let result =
            ops::move_by(world, &ids, (offset_m.x as f64, offset_m.y as f64), grid).and_then(|e| edit::apply(world, e));
        report(world, result, "Moved");
    }
}

/// Shift-drag on empty floor: the rubber band follows the mouse (the overlay draws it from
/// `hovered_floor`); on release everything it touches joins the selection.
fn box_select(world: &mut World, input: &PointerInput, from_m: Vec2) {
    world.resource_mut::<EditorState>().hovered_floor = input.cursor.map(|c| input.view.to_floor(c));
    if input.buttons.pressed(MouseButton::Left) {
        return;
    }
    *world.resource_mut::<PlanGesture>() = PlanGesture::Idle;
    let Some(c) = input.cursor else { return };
    let to = input.view.to_floor(c);
    let (lo, hi) = (from_m.min(to), from_m.max(to));
    let mut q = world.query::<&PlanItem>();
    let ids: Vec<String> = q
        .iter(world)
        .filter(|i| !i.kind.is_marker())
        .filter(|i| {
            let (a, b) = (i.center_m - i.size_m / 2.0, i.center_m + i.size_m / 2.0);
            a.x <= hi.x && b.x >= lo.x && a.y <= hi.y && b.y >= lo.y
        })
        .map(|i| i.id.clone())
        .collect();
    let mut editor = world.resource_mut::<EditorState>();
    for id in ids {
        if !editor.selection.contains(&id) {
            editor.selection.push(id);
        }
    }
}

/// No gesture yet: hover, zoom around the cursor, and a press starts one (or uses the tool).
fn hover_and_press(world: &mut World, input: &PointerInput) {
    let Some(cursor) = input.cursor else { return };
    let focus = *world.resource::<UiFocus>();
    let in_plan = !focus.pointer_over_ui && focus.plan_rect.is_none_or(|r| r.contains(egui::pos2(cursor.x, cursor.y)));
    if !in_plan {
        let mut editor = world.resource_mut::<EditorState>();
        editor.hovered = None;
        editor.hovered_floor = None;
        return;
    }
    let scroll = *world.resource::<AccumulatedMouseScroll>();
    if scroll.delta.y != 0.0 {
        let lines = match scroll.unit {
            MouseScrollUnit::Line => scroll.delta.y,
            MouseScrollUnit::Pixel => scroll.delta.y / 40.0,
        };
        world.resource_mut::<PlanView>().zoom_at(cursor, 1.15f32.powf(-lines));
    }
    let floor = input.view.to_floor(cursor);
    let under = {
        let mut q = world.query::<&PlanItem>();
        pick(q.iter(world), floor).map(|i| i.id.clone())
    };
    {
        let mut editor = world.resource_mut::<EditorState>();
        editor.hovered = under.clone();
        editor.hovered_floor = Some(floor);
    }
    if input.buttons.just_pressed(MouseButton::Right) || input.buttons.just_pressed(MouseButton::Middle) {
        *world.resource_mut::<PlanGesture>() = PlanGesture::Pan { last_px: cursor };
    } else if input.buttons.just_pressed(MouseButton::Left) {
        press(world, input, cursor, floor, under);
    }
}

/// A left press on the plan: the tool acts, or (selecting) it selects, starts a move, a box
/// or a pan.
fn press(world: &mut World, input: &PointerInput, cursor: Vec2, floor: Vec2, under: Option<String>) {
    let shift = input.keys.pressed(KeyCode::ShiftLeft) || input.keys.pressed(KeyCode::ShiftRight);
    let tool = world.resource::<EditorState>().tool.clone();
    match tool {
        Tool::Place { .. } | Tool::PlaceRow | Tool::Connect { .. } => use_tool_at(world, floor, under),
        Tool::Select => match under {
            Some(id) if shift => world.resource_mut::<EditorState>().toggle(&id),
            Some(id) => {
                let mut editor = world.resource_mut::<EditorState>();
                if !editor.selection.contains(&id) {
                    editor.select_only(id);
                }
                *world.resource_mut::<PlanGesture>() =
                    PlanGesture::Move { from_m: floor, from_px: cursor, offset_m: Vec2::ZERO };
            }
            None if shift => *world.resource_mut::<PlanGesture>() = PlanGesture::Box { from_m: floor },
            None => {
                world.resource_mut::<EditorState>().selection.clear();
                *world.resource_mut::<PlanGesture>() = PlanGesture::Pan { last_px: cursor };
            }
        },
    }
}

/// A click on the floor at `floor` (m) with the place, row or connect tool; `under` is the
/// element there, if any. The mouse handler and the UI tests both come through here.
pub fn use_tool_at(world: &mut World, floor: Vec2, under: Option<String>) {
    let (tool, grid) = {
        let e = world.resource::<EditorState>();
        (e.tool.clone(), e.grid_m)
    };
    let at = (floor.x as f64, floor.y as f64);
    match tool {
        Tool::Place { kind, model } => {
            let result = ops::place(world, kind, &model, at, grid).and_then(|e| {
                let id = e.after[0].id().to_string();
                edit::apply(world, e)?;
                world.resource_mut::<EditorState>().select_only(id.clone());
                Ok(id)
            });
            match result {
                Ok(id) => world.resource_mut::<EditorState>().info(format!("Placed {id}")),
                Err(e) => world.resource_mut::<EditorState>().error(e),
            }
        }
        Tool::PlaceRow => {
            let mut req = world.resource::<EditorState>().row.clone();
            req.start_m = at;
            let result = ops::place_row(world, &req, grid).and_then(|e| {
                let ids: Vec<String> = e.after.iter().map(|r| r.id().to_string()).collect();
                let label = e.label.clone();
                edit::apply(world, e)?;
                world.resource_mut::<EditorState>().selection = ids;
                Ok(label)
            });
            match result {
                Ok(label) => world.resource_mut::<EditorState>().info(label),
                Err(e) => world.resource_mut::<EditorState>().error(e),
            }
        }
        Tool::Connect { element, field } => {
            let Some(target) = under else { return };
            let result =
                ops::connect(world, &element, &field, Some(target.clone())).and_then(|e| edit::apply(world, e));
            report(world, result, &format!("Connected {element}.{field} to {target}"));
            let mut editor = world.resource_mut::<EditorState>();
            editor.tool = Tool::Select;
            editor.select_only(element);
        }
        Tool::Select => {}
    }
}

fn finish(world: &mut World, started: std::time::Instant) {
    world.resource_mut::<AppTimings>().record(Timed::PlanInput, started.elapsed());
}

/// Puts an edit's outcome in the status bar.
pub fn report(world: &mut World, result: Result<(), String>, ok: &str) {
    let mut editor = world.resource_mut::<EditorState>();
    match result {
        Ok(()) => editor.info(ok),
        Err(e) => editor.error(e),
    }
}

/// The strip on the plan's left that fitting leaves to the legend and the site card, logical
/// pixels.
pub const FIT_LEFT_PX: f32 = 240.0;

/// Fits every item into the plan area `plan_rect` (the window without the panels), beside the
/// strip the legend and the site card take ([`FIT_LEFT_PX`]).
pub fn fit_site<'a>(view: &mut PlanView, items: impl Iterator<Item = &'a PlanItem>, plan_rect: Option<egui::Rect>) {
    let (mut lo, mut hi) = (Vec2::splat(f32::MAX), Vec2::splat(f32::MIN));
    for i in items {
        lo = lo.min(i.center_m - i.size_m / 2.0);
        hi = hi.max(i.center_m + i.size_m / 2.0);
    }
    if lo.x > hi.x {
        return;
    }
    let (rmin, rmax) = match plan_rect {
        Some(r) => (Vec2::new(r.min.x + FIT_LEFT_PX.min(r.width() / 3.0), r.min.y), Vec2::new(r.max.x, r.max.y)),
        None => (Vec2::ZERO, view.window_px),
    };
    view.fit(lo, hi, rmin, rmax);
}

/// Applies fit/centre requests and writes the view into the camera.
fn apply_view(
    mut editor: ResMut<EditorState>,
    mut view: ResMut<PlanView>,
    focus: Res<UiFocus>,
    items: Query<&PlanItem>,
    mut camera: Query<(&mut Transform, &mut Projection), With<PlanCamera>>,
    mut last_rect: Local<Option<egui::Rect>>,
) {
    // Fit once the panels have been laid out (the plan area is known and the same as a frame
    // before: side panels size themselves to their content in the first frames) and there is
    // something to fit.
    let settled = focus.plan_rect.is_some() && focus.plan_rect == *last_rect;
    *last_rect = focus.plan_rect;
    if editor.fit_requested && !items.is_empty() && settled {
        fit_site(&mut view, items.iter(), focus.plan_rect);
        editor.fit_requested = false;
    }
    if let Some(id) = editor.center_on.take()
        && let Some(item) = items.iter().find(|i| i.id == id)
    {
        let rect_center =
            focus.plan_rect.map(|r| Vec2::new(r.center().x, r.center().y)).unwrap_or(view.window_px / 2.0);
        // Zoom in far enough to read labels, never out.
        view.m_per_px = view.m_per_px.min(0.05);
        let d = (rect_center - view.window_px / 2.0) * view.m_per_px;
        view.center_m = item.center_m - Vec2::new(d.x, -d.y);
    }
    for (mut t, mut p) in &mut camera {
        t.translation = view.center_m.extend(t.translation.z);
        if let Projection::Orthographic(o) = p.as_mut()
            && o.scale != view.m_per_px
        {
            o.scale = view.m_per_px;
        }
    }
}

/// Outlines: alerts (blinking when critical), selection, hover, previews and the selection's
/// connections.
#[allow(clippy::too_many_arguments)]
fn draw_overlays(
    mut gizmos: Gizmos,
    time: Res<Time<Real>>,
    view: Res<PlanView>,
    editor: Res<EditorState>,
    status: Option<Res<SiteStatus>>,
    gesture: Res<PlanGesture>,
    index: Option<Res<PlanIndex>>,
    footprints: Option<Res<Footprints>>,
    mut timings: ResMut<AppTimings>,
    capacity: Option<Res<super::capacity::CapacityStudy>>,
    history: Option<Res<crate::edit::EditHistory>>,
    rows: Res<PlanRows>,
) {
    let Some(index) = index else { return };
    let started = std::time::Instant::now();
    let px = view.m_per_px;
    let blink_on = (time.elapsed_secs() * 2.0).fract() < 0.6;
    let min_marker_m = 7.0 * px;
    if let Some(status) = &status {
        let alert_color = |sev: Severity| match sev {
            Severity::Critical if blink_on => Color::srgb(1.0, 0.1, 0.1),
            Severity::Critical => Color::srgb(1.0, 0.85, 0.85),
            Severity::Warning => Color::srgb(1.0, 0.65, 0.0),
        };
        // Zoomed out, a rack's alert outlines its row (the worst of the row's alerts).
        let mut row_alerts: std::collections::BTreeMap<usize, Severity> = Default::default();
        for (id, s) in &status.by_id {
            let Some(sev) = s.alert else { continue };
            let Some(item) = index.get(id) else { continue };
            if !rows.detail
                && item.kind == EquipmentKind::Rack
                && let Some(&r) = rows.row_index.get(id)
            {
                let worst = row_alerts.entry(r).or_insert(sev);
                if sev == Severity::Critical {
                    *worst = sev;
                }
                continue;
            }
            let color = alert_color(sev);
            let pad = 2.0 * px;
            gizmos.rect_2d(Isometry2d::from_translation(item.center_m), item.size_m + Vec2::splat(pad * 2.0), color);
            // Tiny on screen: a ring that keeps its size in pixels so it is seen zoomed out.
            if item.size_m.max_element() < min_marker_m {
                gizmos.circle_2d(Isometry2d::from_translation(item.center_m), min_marker_m, color);
            }
        }
        for (r, sev) in row_alerts {
            let row = &rows.rows[r];
            gizmos.rect_2d(
                Isometry2d::from_translation(row.center_m()),
                row.size_m() + Vec2::splat(4.0 * px),
                alert_color(sev),
            );
        }
    }
    let offset = match *gesture {
        PlanGesture::Move { offset_m, .. } => offset_m,
        _ => Vec2::ZERO,
    };
    for id in &editor.selection {
        if let Some(item) = index.get(id) {
            let c = item.center_m + offset;
            gizmos.rect_2d(
                Isometry2d::from_translation(c),
                item.size_m + Vec2::splat(5.0 * px),
                Color::srgb(0.3, 0.9, 1.0),
            );
        }
    }
    // Connections of the primary selection: to its feeds (solid) and from what it feeds.
    if let Some(item) = editor.selection.first().and_then(|id| index.get(id)) {
        for target in item.links.iter().filter_map(|t| index.get(t)) {
            gizmos.line_2d(item.center_m, target.center_m, Color::srgb(0.3, 0.9, 1.0));
        }
        for child in index.items.values().filter(|c| c.links.contains(&item.id)) {
            gizmos.line_2d(item.center_m, child.center_m, Color::srgba(1.0, 1.0, 1.0, 0.35));
        }
    }
    if let Some(item) = editor.hovered.as_ref().and_then(|id| index.get(id)) {
        gizmos.rect_2d(Isometry2d::from_translation(item.center_m), item.size_m + Vec2::splat(3.0 * px), Color::WHITE);
    }
    if let PlanGesture::Box { from_m } = *gesture
        && let Some(h) = editor.hovered_floor
    {
        let (lo, hi) = (from_m.min(h), from_m.max(h));
        gizmos.rect_2d(Isometry2d::from_translation((lo + hi) / 2.0), hi - lo, Color::srgb(0.3, 0.9, 1.0));
    }
    // Placement preview at the snapped cursor position.
    if let (Some(cursor), Some(table)) = (editor.hovered_floor, footprints.as_ref()) {
        let snap = |p: Vec2| {
            let s = ops::snap((p.x as f64, p.y as f64), editor.grid_m);
            Vec2::new(s.0 as f32, s.1 as f32)
        };
        let preview: Vec<(Vec2, Vec2)> = match &editor.tool {
            Tool::Place { kind, model } => {
                let (w, d) = table.0.extent_m(*kind, model, 0.0);
                vec![(snap(cursor), Vec2::new(w as f32, d as f32))]
            }
            Tool::PlaceRow => {
                let r = &editor.row;
                let vertical = matches!(r.direction, ops::RowDirection::North | ops::RowDirection::South);
                let (w, d) =
                    table.0.extent_m(crate::kinds::EquipmentKind::Rack, &r.model, if vertical { 90.0 } else { 0.0 });
                let pitch = w.min(d) as f32;
                let dir = match r.direction {
                    ops::RowDirection::East => Vec2::X,
                    ops::RowDirection::West => -Vec2::X,
                    ops::RowDirection::North => Vec2::Y,
                    ops::RowDirection::South => -Vec2::Y,
                };
                (0..r.count.min(500))
                    .map(|i| (snap(cursor) + dir * pitch * i as f32, Vec2::new(w as f32, d as f32)))
                    .collect()
            }
            _ => vec![],
        };
        for (c, size) in preview {
            let blocked = index.items.values().any(|i| {
                !i.kind.is_marker() && ((i.center_m - c).abs() - (i.size_m + size) / 2.0).max_element() < -1e-3
            });
            let color = if blocked { Color::srgb(1.0, 0.2, 0.2) } else { Color::srgb(0.4, 1.0, 0.5) };
            gizmos.rect_2d(Isometry2d::from_translation(c), size, color);
        }
    }
    // The capacity answer for the site as it is: where the new racks go (violet) and the
    // element that binds first (magenta, doubled).
    let state = history.as_ref().map_or(0, |h| h.state());
    if let (Some(report), Some(table)) = (capacity.as_ref().and_then(|c| c.current(state)), footprints.as_ref()) {
        let violet = Color::srgb(0.75, 0.45, 1.0);
        for p in &report.places {
            // Turned like the rack they copy.
            let size = index.get(&p.template).map_or_else(
                || {
                    let (w, d) = table.0.extent_m(crate::kinds::EquipmentKind::Rack, &report.model, 0.0);
                    Vec2::new(w as f32, d as f32)
                },
                |t| t.size_m,
            );
            for (_, (x, y)) in &p.new_racks {
                let c = Vec2::new(*x as f32, *y as f32);
                gizmos.rect_2d(Isometry2d::from_translation(c), size, violet);
                gizmos.line_2d(c - size / 2.0, c + size / 2.0, violet);
            }
        }
        if let Some(item) = report.binding.as_ref().and_then(|b| index.get(&b.element)) {
            let magenta = Color::srgb(1.0, 0.2, 0.8);
            for pad in [4.0, 7.0] {
                gizmos.rect_2d(
                    Isometry2d::from_translation(item.center_m),
                    item.size_m + Vec2::splat(pad * px),
                    magenta,
                );
            }
            if item.size_m.max_element() < min_marker_m {
                gizmos.circle_2d(Isometry2d::from_translation(item.center_m), min_marker_m * 1.5, magenta);
            }
        }
    }
    timings.record(Timed::PlanOverlays, started.elapsed());
}

use bevy_egui::egui;

/// Brings the plan up to date with the world now: its items, rows, rooms and detail (what the
/// plan's systems keep up each frame; for tools and tests that drive the world without the
/// app's schedule).
pub fn refresh_plan(world: &mut World) {
    use bevy::ecs::system::RunSystemOnce;
    rebuild_items(world);
    world.init_resource::<PlanRows>();
    world.init_resource::<PlanRooms>();
    world.init_resource::<PlanView>();
    // These systems only fail to run when their resources are missing (inserted above).
    let _ = world.run_system_once(sync_rows);
    let _ = world.run_system_once(sync_rooms);
    let _ = world.run_system_once(apply_detail);
}

/// The rows of racks on the plan ([`find_rows`]) and how the plan draws racks now.
#[derive(Resource, Debug, Clone, Default)]
pub struct PlanRows {
    /// Rows, ordered by their first rack's id.
    pub rows: Vec<PlanRow>,
    /// Lines of like equipment ([`super::rows::find_blocks`]), labelled as one zoomed out.
    pub blocks: Vec<PlanRow>,
    /// The narrow side of the racks (the median over rows), m: what decides the detail.
    pub rack_width_m: f32,
    /// True while racks are drawn one by one (zoomed in), false while rows stand for them.
    pub detail: bool,
    /// Plan revision the rows were found for.
    revision: u64,
    /// The row of each rack (index into `rows`).
    row_index: std::collections::HashMap<String, usize>,
    /// Row sprites.
    sprites: Vec<Entity>,
    /// The detail the sprites' visibility was last set for (`None`: set it again).
    shown: Option<bool>,
}

/// Finds the rows again when the plan changed (rows depend on every rack's place) and draws
/// one sprite per row, shown while zoomed out.
fn sync_rows(mut commands: Commands, revision: Res<PlanRevision>, index: Res<PlanIndex>, mut rows: ResMut<PlanRows>) {
    if rows.revision == revision.0 && revision.0 != 0 {
        return;
    }
    rows.revision = revision.0;
    // New rack sprites are drawn whatever the detail: set it again.
    rows.shown = None;
    rows.blocks = super::rows::find_blocks(index.items.values());
    let found = find_rows(index.items.values());
    if found == rows.rows && found.len() == rows.sprites.len() {
        return;
    }
    for e in rows.sprites.drain(..) {
        commands.entity(e).despawn();
    }
    let mut widths: Vec<f32> =
        found.iter().filter_map(|r| index.get(&r.members[0])).map(|i| i.size_m.min_element()).collect();
    widths.sort_by(f32::total_cmp);
    rows.rack_width_m = widths.get(widths.len() / 2).copied().unwrap_or(0.6);
    for row in &found {
        let sprite = Sprite { color: Color::srgb(0.45, 0.47, 0.52), custom_size: Some(row.size_m()), ..default() };
        let at = Transform::from_xyz(row.center_m().x, row.center_m().y, 0.55);
        rows.sprites.push(commands.spawn((row.clone(), sprite, at, Visibility::Hidden)).id());
    }
    rows.row_index =
        found.iter().enumerate().flat_map(|(i, r)| r.members.iter().map(move |id| (id.clone(), i))).collect();
    rows.rows = found;
}

/// Zoomed out, a row's shape stands for its racks; zoomed in, the racks are drawn one by one.
fn apply_detail(
    view: Res<PlanView>,
    mut rows: ResMut<PlanRows>,
    mut racks: Query<(&PlanItem, &mut Visibility), Without<PlanRow>>,
    mut row_sprites: Query<&mut Visibility, With<PlanRow>>,
) {
    let detail = racks_in_detail(rows.rack_width_m.max(0.1), view.m_per_px);
    if rows.detail != detail {
        rows.detail = detail;
    }
    if rows.shown == Some(detail) {
        return;
    }
    let (rack_vis, row_vis) =
        if detail { (Visibility::Inherited, Visibility::Hidden) } else { (Visibility::Hidden, Visibility::Inherited) };
    for (item, mut v) in &mut racks {
        // A rack in no row (none: every rack is in one) would vanish: only racks are hidden.
        if item.kind == EquipmentKind::Rack && *v != rack_vis {
            *v = rack_vis;
        }
    }
    for mut v in &mut row_sprites {
        if *v != row_vis {
            *v = row_vis;
        }
    }
    rows.shown = Some(detail);
}

/// The site's rooms and zone areas as drawn: walls, aisles (sprites under the equipment) and
/// zone outlines (written, or around the zone's racks).
#[derive(Resource, Debug, Clone, Default)]
pub struct PlanRooms {
    /// Rooms (walls, aisles), as in the site file.
    pub rooms: Vec<crate::site::room::RoomSpec>,
    /// Zone areas: id and outline (written, or the rectangle around its racks with 0.6 m to
    /// spare), m.
    pub zones: Vec<(String, Vec<Vec2>)>,
    /// Racks standing outside every room or in another zone's area, with what is wrong.
    pub misplaced: std::collections::BTreeMap<String, String>,
    revision: u64,
    sprites: Vec<Entity>,
}

/// Rebuilds the rooms and zone areas when the site or the plan changed.
fn sync_rooms(
    mut commands: Commands,
    revision: Res<PlanRevision>,
    index: Res<PlanIndex>,
    meta: Option<Res<crate::sim::world::SiteMeta>>,
    layout: Option<Res<CoolingLayout>>,
    mut plan: ResMut<PlanRooms>,
) {
    let meta_changed = meta.as_ref().is_some_and(|m| m.is_changed());
    if plan.revision == revision.0 && !meta_changed && revision.0 != 0 {
        return;
    }
    plan.revision = revision.0;
    plan.rooms = meta.map(|m| m.rooms.clone()).unwrap_or_default();
    plan.zones = zone_areas(layout.as_deref(), &index);
    let outlines = layout.as_deref().map(|l| crate::site::room::zone_outlines(&l.zones)).unwrap_or_default();
    let misplaced = index
        .items
        .values()
        .filter(|i| i.kind == EquipmentKind::Rack)
        .filter_map(|i| {
            let at = (f64::from(i.center_m.x), f64::from(i.center_m.y));
            crate::site::room::placement_problem(&plan.rooms, &outlines, &i.id, at, i.zone.as_deref())
                .map(|m| (i.id.clone(), m))
        })
        .collect();
    plan.misplaced = misplaced;
    for e in plan.sprites.drain(..) {
        commands.entity(e).despawn();
    }
    for room in plan.rooms.clone() {
        for aisle in &room.aisles {
            let (lo, hi) = aisle.rect_m();
            let (lo, hi) = (Vec2::new(lo.0 as f32, lo.1 as f32), Vec2::new(hi.0 as f32, hi.1 as f32));
            let color = match aisle.air {
                crate::site::room::AisleAir::Cold => Color::srgba(0.25, 0.55, 1.0, 0.13),
                crate::site::room::AisleAir::Hot => Color::srgba(1.0, 0.35, 0.2, 0.13),
            };
            let sprite = Sprite { color, custom_size: Some(hi - lo), ..default() };
            let at = Transform::from_xyz((lo.x + hi.x) / 2.0, (lo.y + hi.y) / 2.0, -0.5);
            plan.sprites.push(commands.spawn((sprite, at)).id());
        }
    }
}

/// Each zone's area: its written outline, or the rectangle around the racks that send it
/// their heat (0.6 m to spare).
pub(crate) fn zone_areas(layout: Option<&CoolingLayout>, index: &PlanIndex) -> Vec<(String, Vec<Vec2>)> {
    let Some(layout) = layout else { return Vec::new() };
    let mut out = Vec::new();
    for zone in &layout.zones {
        if zone.outline_m.len() >= 3 {
            out.push((zone.id.clone(), zone.outline_m.iter().map(|p| Vec2::new(p.0 as f32, p.1 as f32)).collect()));
            continue;
        }
        let (mut lo, mut hi) = (Vec2::splat(f32::MAX), Vec2::splat(f32::MIN));
        for item in index.items.values() {
            if item.kind == EquipmentKind::Rack && item.zone.as_deref() == Some(zone.id.as_str()) {
                lo = lo.min(item.center_m - item.size_m / 2.0);
                hi = hi.max(item.center_m + item.size_m / 2.0);
            }
        }
        if lo.x <= hi.x {
            let (lo, hi) = (lo - Vec2::splat(0.6), hi + Vec2::splat(0.6));
            out.push((zone.id.clone(), vec![lo, Vec2::new(hi.x, lo.y), hi, Vec2::new(lo.x, hi.y)]));
        }
    }
    out
}

/// Walls (solid, light) and zone areas (dashed, in the zone's colour).
fn draw_rooms(mut gizmos: Gizmos, plan: Res<PlanRooms>, view: Res<PlanView>, index: Res<PlanIndex>) {
    let wall = Color::srgb(0.78, 0.80, 0.84);
    for room in &plan.rooms {
        let corners: Vec<Vec2> = room.walls_m.iter().map(|p| Vec2::new(p.0 as f32, p.1 as f32)).collect();
        if let Some(first) = corners.first() {
            gizmos.linestrip_2d(corners.iter().copied().chain(std::iter::once(*first)), wall);
        }
        for aisle in room.aisles.iter().filter(|a| a.contained) {
            let (lo, hi) = aisle.rect_m();
            let (lo, hi) = (Vec2::new(lo.0 as f32, lo.1 as f32), Vec2::new(hi.0 as f32, hi.1 as f32));
            gizmos.rect_2d(Isometry2d::from_translation((lo + hi) / 2.0), hi - lo, Color::srgba(1.0, 1.0, 1.0, 0.5));
        }
    }
    let zone = Color::srgba(0.55, 0.85, 0.75, 0.7);
    let dash_m = 8.0 * view.m_per_px;
    // Racks outside their room or zone: a yellow cross over them, seen at any zoom.
    for id in plan.misplaced.keys() {
        if let Some(item) = index.get(id) {
            let r = (item.size_m / 2.0).max(Vec2::splat(5.0 * view.m_per_px));
            let c = item.center_m;
            let yellow = Color::srgb(1.0, 0.9, 0.2);
            gizmos.line_2d(c - r, c + r, yellow);
            gizmos.line_2d(c + Vec2::new(-r.x, r.y), c + Vec2::new(r.x, -r.y), yellow);
        }
    }
    let half_view = view.window_px * view.m_per_px / 2.0;
    let (view_lo, view_hi) = (view.center_m - half_view, view.center_m + half_view);
    for (_, outline) in &plan.zones {
        // Only zones in view (dashes cost a line each).
        let (lo, hi) =
            outline.iter().fold((Vec2::splat(f32::MAX), Vec2::splat(f32::MIN)), |(l, h), p| (l.min(*p), h.max(*p)));
        if hi.x < view_lo.x || lo.x > view_hi.x || hi.y < view_lo.y || lo.y > view_hi.y {
            continue;
        }
        for (k, a) in outline.iter().enumerate() {
            let b = outline[(k + 1) % outline.len()];
            let len = a.distance(b);
            let steps = ((len / dash_m) as usize).clamp(1, 400);
            for i in (0..steps).step_by(2) {
                let t0 = i as f32 / steps as f32;
                let t1 = ((i + 1) as f32 / steps as f32).min(1.0);
                gizmos.line_2d(a.lerp(b, t0), a.lerp(b, t1), zone);
            }
        }
    }
}

/// Smallest on-screen size of an element that gets its kind's symbol, logical pixels.
const SYMBOL_MIN_PX: f32 = 14.0;

/// Where an element's kind symbol is drawn and the part of its box that is left to its label,
/// floor metres.
pub struct SymbolPlace {
    /// Centre of the symbol.
    pub center_m: Vec2,
    /// Size of the box the symbol is drawn in.
    pub size_m: Vec2,
    /// Lower-left and upper-right corners of what is left for the label.
    pub label_m: (Vec2, Vec2),
}

/// Where `item`'s symbol goes at `m_per_px`: at the left (or lower) end of a long box, in the
/// lower half of a squarish one, the label keeping the rest; `None` for racks, markers and
/// boxes under [`SYMBOL_MIN_PX`] on screen (no symbol).
pub fn symbol_place(item: &PlanItem, m_per_px: f32) -> Option<SymbolPlace> {
    let (side, long) = (item.size_m.min_element(), item.size_m.max_element());
    if side / m_per_px < SYMBOL_MIN_PX || item.kind == EquipmentKind::Rack || item.kind.is_marker() {
        return None;
    }
    let (min, max) = (item.center_m - item.size_m / 2.0, item.center_m + item.size_m / 2.0);
    Some(if long >= 1.8 * side {
        let along = if item.size_m.x >= item.size_m.y { Vec2::X } else { Vec2::Y };
        SymbolPlace {
            center_m: item.center_m - along * (long - side) / 2.0,
            size_m: Vec2::splat(side * 0.8),
            label_m: (min + along * side, max),
        }
    } else {
        SymbolPlace {
            center_m: item.center_m - Vec2::new(0.0, item.size_m.y * 0.22),
            size_m: item.size_m * 0.45,
            label_m: (Vec2::new(min.x, item.center_m.y), max),
        }
    })
}

/// Each piece of equipment's kind as a symbol drawn over its fill (the single-line diagram's
/// where there is one: two circles for a transformer, a diagonal for a UPS's converter…), so
/// kinds tell apart at a glance whatever their colour. Only on elements in view and big enough.
fn draw_symbols(mut gizmos: Gizmos, view: Res<PlanView>, index: Res<PlanIndex>) {
    let half_view = view.window_px * view.m_per_px / 2.0;
    let (lo, hi) = (view.center_m - half_view, view.center_m + half_view);
    let ink = Color::srgba(0.0, 0.0, 0.0, 0.55);
    for item in index.items.values() {
        let (a, b) = (item.center_m - item.size_m / 2.0, item.center_m + item.size_m / 2.0);
        if b.x < lo.x || a.x > hi.x || b.y < lo.y || a.y > hi.y {
            continue;
        }
        if let Some(place) = symbol_place(item, view.m_per_px) {
            kind_symbol(&mut gizmos, item.kind, place.center_m, place.size_m, ink);
        }
    }
}

/// The symbol of `kind` in a box of `size` centred on `c`.
fn kind_symbol(g: &mut Gizmos, kind: EquipmentKind, c: Vec2, size: Vec2, ink: Color) {
    let r = size.min_element() / 2.0;
    let at = |x: f32, y: f32| c + Vec2::new(x, y) * r;
    match kind {
        // A source: a circle with a wave.
        EquipmentKind::GridFeed => {
            g.circle_2d(Isometry2d::from_translation(c), r * 0.8, ink);
            let wave: Vec<Vec2> = (0..=16)
                .map(|i| {
                    let t = i as f32 / 16.0;
                    at(-0.5 + t, 0.25 * (t * std::f32::consts::TAU).sin())
                })
                .collect();
            g.linestrip_2d(wave, ink);
        }
        // A rotating machine: a circle with its three phases.
        EquipmentKind::Generator => {
            g.circle_2d(Isometry2d::from_translation(c), r * 0.8, ink);
            for k in 0..3 {
                let a = k as f32 * std::f32::consts::TAU / 3.0;
                g.line_2d(c, c + Vec2::from_angle(a) * r * 0.8, ink);
            }
        }
        // Two windings.
        EquipmentKind::Transformer => {
            g.circle_2d(Isometry2d::from_translation(at(-0.3, 0.0)), r * 0.5, ink);
            g.circle_2d(Isometry2d::from_translation(at(0.3, 0.0)), r * 0.5, ink);
        }
        // Two inputs, one output.
        EquipmentKind::TransferSwitch => {
            g.line_2d(at(-0.6, 0.6), at(0.0, 0.0), ink);
            g.line_2d(at(0.6, 0.6), at(0.0, 0.0), ink);
            g.line_2d(at(0.0, 0.0), at(0.0, -0.7), ink);
        }
        // A converter: a box with its diagonal.
        EquipmentKind::Ups => {
            g.rect_2d(Isometry2d::from_translation(c), Vec2::splat(r * 1.4), ink);
            g.line_2d(at(-0.7, -0.7), at(0.7, 0.7), ink);
        }
        // A busbar with its taps.
        EquipmentKind::Distribution => {
            g.line_2d(c - Vec2::new(size.x, 0.0) * 0.45, c + Vec2::new(size.x, 0.0) * 0.45, ink);
            for x in [-0.5, 0.0, 0.5] {
                g.line_2d(at(x, 0.0), at(x, -0.5), ink);
            }
        }
        // A fan.
        EquipmentKind::Crah => {
            g.circle_2d(Isometry2d::from_translation(c), r * 0.8, ink);
            g.line_2d(at(-0.56, -0.56), at(0.56, 0.56), ink);
            g.line_2d(at(-0.56, 0.56), at(0.56, -0.56), ink);
        }
        // A heat exchanger: plates.
        EquipmentKind::Cdu => {
            for x in [-0.4, 0.0, 0.4] {
                g.line_2d(at(x, -0.7), at(x, 0.7), ink);
            }
        }
        // Cold: a six-armed star.
        EquipmentKind::Chiller => {
            for k in 0..3 {
                let d = Vec2::from_angle(k as f32 * std::f32::consts::PI / 3.0) * r * 0.8;
                g.line_2d(c - d, c + d, ink);
            }
        }
        // A tower: its fan in a triangle.
        EquipmentKind::HeatRejection => {
            g.linestrip_2d([at(-0.7, -0.6), at(0.7, -0.6), at(0.0, 0.7), at(-0.7, -0.6)], ink);
            g.circle_2d(Isometry2d::from_translation(at(0.0, -0.1)), r * 0.25, ink);
        }
        // Racks carry their labels; markers their names.
        EquipmentKind::Rack | EquipmentKind::Zone | EquipmentKind::WaterLoop => {}
    }
}
