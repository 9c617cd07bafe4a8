//! The desktop app's own per-frame CPU work on a generated 10k-rack site, without a window or GPU:
//!
//! * `panels`: one egui pass of the whole overlay (`ui_root`: top bar, palette, limits, inspector
//!   with a rack selected, charts, status bar, plan labels and legend) at 1600x900.
//! * `status_refresh`: rebuilding the per-element status table the plan colours come from (done at
//!   most 4 times a second while the simulation runs).
//! * `plan_rebuild`: drawing every plan sprite from scratch (on opening a site; an edit redraws
//!   only the sprites it touched).
//! * `single_line_layout`: laying out the power tree (after an edit only; cached otherwise).
//! * `place_rack_and_undo`: placing one rack (id, connections, overlap check, validation of what
//!   the edit can reach, spawn) and undoing it (the same again, despawn): what two edits cost.

#![allow(missing_docs)] // criterion's macros generate undocumented functions

use std::time::Duration;

use bevy::prelude::{App, Vec2};
use bevy_egui::egui;
use criterion::{Criterion, criterion_group, criterion_main};
use dctwin::app::state::EditorState;
use dctwin::app::{plan, status, ui};
use dctwin::catalog::Catalog;
use dctwin::generator::generate_site;
use dctwin::headless::{advance, build_app};

fn app_frame(c: &mut Criterion) {
    let site = generate_site(10_000);
    let mut app = build_app(&site, &Catalog::builtin(), Duration::from_secs(1));
    advance(&mut app, 2);
    let world = app.world_mut();
    world.init_resource::<EditorState>();
    world.resource_mut::<EditorState>().select_only(site.racks[0].id.clone());
    status::refresh_status(world);
    plan::rebuild_items(world);
    let ctx = egui::Context::default();
    let input = || egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1600.0, 900.0))),
        ..Default::default()
    };
    // Warm up fonts and layout caches as a running app would have.
    for _ in 0..3 {
        let _ = ctx.run_ui(input(), |ui| ui::ui_root(ui, app.world_mut()));
    }
    // The plan as opened: rows, rooms and the whole site fitted into the plan area.
    let fit = |app: &mut App, m_per_px: Option<(f32, Vec2)>| {
        let world = app.world_mut();
        plan::refresh_plan(world);
        let rect = world.resource::<dctwin::app::state::UiFocus>().plan_rect;
        let items: Vec<plan::PlanItem> = world.resource::<plan::PlanIndex>().items.values().cloned().collect();
        let mut view = *world.resource::<plan::PlanView>();
        view.window_px = Vec2::new(1600.0, 900.0);
        plan::fit_site(&mut view, items.iter(), rect);
        if let Some((m, centre)) = m_per_px {
            view.m_per_px = m;
            view.center_m = centre;
        }
        world.insert_resource(view);
        plan::refresh_plan(world);
    };
    fit(&mut app, None);
    let mut group = c.benchmark_group("app_10k_racks");
    group.sample_size(20);
    group.bench_function("panels", |b| b.iter(|| ctx.run_ui(input(), |ui| ui::ui_root(ui, app.world_mut()))));
    // Zoomed in on the first hall, racks one by one with their labels.
    fit(&mut app, Some((0.02, Vec2::new(2.0, 8.0))));
    group.bench_function("panels_zoomed_in", |b| b.iter(|| ctx.run_ui(input(), |ui| ui::ui_root(ui, app.world_mut()))));
    fit(&mut app, None);
    group.bench_function("status_refresh", |b| b.iter(|| status::refresh_status(app.world_mut())));
    group.bench_function("plan_rebuild", |b| b.iter(|| plan::rebuild_items(app.world_mut())));
    group.bench_function("single_line_layout", |b| b.iter(|| ui::sld::layout(app.world_mut())));
    let free_spot = {
        let max_x = site.racks.iter().map(|r| r.position_m.0).fold(f64::MIN, f64::max);
        (max_x + 10.0, 0.0)
    };
    let model = site.racks[0].model.clone();
    group.bench_function("place_rack_and_undo", |b| {
        b.iter(|| {
            let w = app.world_mut();
            let e = dctwin::edit::ops::place(w, dctwin::site::element::EquipmentKind::Rack, &model, free_spot, 0.3)
                .unwrap();
            dctwin::edit::apply(w, e).unwrap();
            dctwin::edit::undo(w).unwrap();
        })
    });
    group.finish();
}

criterion_group!(benches, app_frame);
criterion_main!(benches);
