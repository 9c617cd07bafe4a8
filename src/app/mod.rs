//! The desktop app: the same simulation plugins as the headless runner, plus a window, the floor
//! plan ([`plan`]) and the egui overlay ([`ui`]). The app only reads the world and edits it
//! through [`crate::edit`], so every change is validated, undoable and picked up by the solver on
//! its next step.
//!
//! | plugin | does |
//! |---|---|
//! | [`plan::PlanPlugin`] | camera, sprites per element, picking, gestures, outlines |
//! | [`history::HistoryPlugin`] | time series for the charts |
//! | [`perf::PerfPlugin`] | per-frame CPU time of the app's systems and the sim steps |
//! | [`DesktopPlugin`] | all of the above, the egui pass, speed control, title, quitting |

pub mod capacity;
pub mod colors;
pub mod export;
pub mod files;
pub mod history;
pub mod perf;
pub mod plan;
pub mod rows;
pub mod scenario;
pub mod state;
pub mod status;
pub mod ui;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, save_to_disk};
use bevy::window::{PrimaryWindow, WindowCloseRequested, WindowResolution};
use bevy_egui::{EguiContext, EguiPlugin, EguiPrimaryContextPass, PrimaryEguiContext, egui};

use crate::catalog::Catalog;
use crate::sim::SimPlugins;
use crate::site::SiteFile;
use state::{EditorState, PendingAction, SimSpeed, UiFocus};

/// How the app starts.
#[derive(Debug, Clone, Default)]
pub struct DesktopOptions {
    /// The site file shown (its path is used for Save).
    pub path: Option<PathBuf>,
    /// Write a screenshot of the window here after `frames` frames, then quit.
    pub screenshot: Option<PathBuf>,
    /// Frames to render before the screenshot (or before quitting with `--frames` alone).
    pub frames: Option<u32>,
    /// Simulation steps to run before the first frame (so results and alerts show at once).
    pub steps: u64,
    /// Elements to select at start.
    pub select: Vec<String>,
    /// Start paused.
    pub paused: bool,
    /// Simulated seconds per real second at start (0 keeps the default, 60).
    pub speed: f64,
    /// Write the screen rectangles of all elements (JSON) next to the screenshot.
    pub element_rects: Option<PathBuf>,
    /// Print the app's per-frame CPU time on exit.
    pub print_timings: bool,
    /// Play this scenario from the start.
    pub scenario: Option<crate::scenario::Scenario>,
    /// Watch the grid import against these rules.
    pub grid_rules: Option<crate::scenario::rules::RuleSet>,
    /// The bottom panel's tab at start (the single-line diagram shows the first selected
    /// element).
    pub tab: Option<ui::BottomTab>,
}

/// Wires the app's plugins and systems (the window itself comes from `DefaultPlugins`).
pub struct DesktopPlugin;

impl Plugin for DesktopPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<EditorState>()
            .init_resource::<SimSpeed>()
            .init_resource::<UiFocus>()
            .init_resource::<status::SiteStatus>()
            .init_resource::<crate::edit::EditHistory>()
            .init_resource::<crate::edit::Footprints>()
            .add_plugins((plan::PlanPlugin, history::HistoryPlugin, perf::PerfPlugin))
            .add_plugins((crate::scenario::play::ScenarioPlugin, crate::scenario::live::GridWatchPlugin))
            .add_systems(First, apply_speed)
            .add_systems(Update, (run_single_steps, refresh_status_system).chain().before(plan::PlanSet))
            .add_systems(Update, capacity::poll_capacity)
            .add_systems(EguiPrimaryContextPass, ui_system)
            .add_systems(PostUpdate, (update_title, handle_quit));
    }
}

/// Runs the overlay with the whole world in reach.
fn ui_system(world: &mut World) {
    let ctx = {
        let mut q = world.query_filtered::<&mut EguiContext, With<PrimaryEguiContext>>();
        let Ok(mut c) = q.single_mut(world) else { return };
        c.get_mut().clone()
    };
    let mut root = egui::Ui::new(
        ctx.clone(),
        "root".into(),
        egui::UiBuilder::new().layer_id(egui::LayerId::background()).max_rect(ctx.viewport_rect()),
    );
    ui::ui_root(&mut root, world);
}

/// The most real time one frame adds to the simulated clock (times the speed), s: a longer
/// frame (start-up, a stall) slows the clock instead of jumping it.
const FRAME_CAP_S: f64 = 0.25;

/// Pause, speed and a CPU budget: at most ~30 ms of simulation per frame, so a big site at
/// 3600× slows the clock instead of freezing the window.
fn apply_speed(
    mut speed: ResMut<SimSpeed>,
    mut time: ResMut<Time<Virtual>>,
    timings: Res<perf::AppTimings>,
    real: Res<Time<Real>>,
    mut window: Local<(f64, f64, Option<state::HeldBackBy>)>,
) {
    if speed.paused != time.is_paused() {
        if speed.paused { time.pause() } else { time.unpause() }
    }
    if time.relative_speed_f64() != speed.speed {
        time.set_relative_speed_f64(speed.speed);
    }
    let step_ms = timings.mean_step_ms().unwrap_or(0.01).max(0.01);
    let budget_steps = (30.0 / step_ms).clamp(1.0, 100_000.0);
    let budget_delta = budget_steps / speed.speed;
    let max_delta = budget_delta.clamp(0.001, FRAME_CAP_S);
    time.set_max_delta(Duration::from_secs_f64(max_delta));
    // Achieved speed over about a second of real time, and what held it back: the steps' CPU
    // budget, or frames slower than the cap (start-up, drawing) whatever the steps cost.
    let (acc_real, acc_virtual, held) = &mut *window;
    if real.delta_secs_f64() > max_delta && !speed.paused {
        let cause =
            if budget_delta < FRAME_CAP_S { state::HeldBackBy::Simulation } else { state::HeldBackBy::SlowFrames };
        if *held != Some(state::HeldBackBy::Simulation) {
            *held = Some(cause);
        }
    }
    *acc_real += real.delta_secs_f64();
    *acc_virtual += time.delta_secs_f64();
    if *acc_real >= 1.0 {
        speed.achieved = *acc_virtual / *acc_real;
        speed.held_back_by = held.take();
        *acc_real = 0.0;
        *acc_virtual = 0.0;
    }
}

/// Single steps requested while paused.
fn run_single_steps(world: &mut World) {
    let n = std::mem::take(&mut world.resource_mut::<SimSpeed>().pending_steps);
    for _ in 0..n {
        world.run_schedule(bevy::app::FixedMain);
    }
}

/// Refreshes the status table when the simulation moved (at most 4 times a second while it
/// runs) or the site changed.
fn refresh_status_system(world: &mut World, mut last: Local<Option<Instant>>, mut seen_revision: Local<u64>) {
    let steps = world.get_resource::<crate::sim::SimClock>().map(|c| c.steps).unwrap_or(0);
    let stale = world.get_resource::<status::SiteStatus>().is_none_or(|s| s.steps != steps);
    // Edits respawn elements, which rebuilds the plan: refresh at once so colours follow.
    let revision = world.get_resource::<plan::PlanRevision>().map_or(0, |r| r.0);
    let edited = revision != *seen_revision;
    *seen_revision = revision;
    let due = last.is_none_or(|t| t.elapsed() >= Duration::from_millis(250));
    if (stale && due) || edited {
        let started = Instant::now();
        status::refresh_status(world);
        world.resource_mut::<perf::AppTimings>().record(perf::Timed::Status, started.elapsed());
        *last = Some(Instant::now());
    }
}

fn update_title(world: &mut World) {
    let title = files::title(world);
    let mut q = world.query_filtered::<&mut Window, With<PrimaryWindow>>();
    if let Ok(mut w) = q.single_mut(world)
        && w.title != title
    {
        w.title = title;
    }
}

/// Closing the window asks first when there are unsaved changes.
fn handle_quit(
    mut closes: MessageReader<WindowCloseRequested>,
    mut editor: ResMut<EditorState>,
    history: Res<crate::edit::EditHistory>,
    mut exit: MessageWriter<AppExit>,
) {
    if closes.read().count() > 0 {
        if history.is_dirty() {
            editor.dialog = Some(state::Dialog::ConfirmDiscard(PendingAction::Quit));
        } else {
            editor.quit_requested = true;
        }
    }
    if editor.quit_requested {
        exit.write(AppExit::Success);
    }
}

/// Counts frames for `--frames` and takes the screenshot.
#[derive(Resource, Debug, Clone)]
struct ScreenshotPlan {
    frames: u32,
    path: Option<PathBuf>,
    rects: Option<PathBuf>,
    taken_at: Option<u32>,
    print_timings: bool,
    started: Instant,
}

fn screenshot_system(
    mut commands: Commands,
    mut plan_state: ResMut<ScreenshotPlan>,
    frames: Res<bevy::diagnostic::FrameCount>,
    view: Res<plan::PlanView>,
    items: Query<&plan::PlanItem>,
    timings: Res<perf::AppTimings>,
    mut exit: MessageWriter<AppExit>,
) {
    let frame = frames.0;
    if plan_state.taken_at.is_none() && frame >= plan_state.frames {
        plan_state.taken_at = Some(frame);
        if let Some(path) = plan_state.path.clone() {
            commands.spawn(Screenshot::primary_window()).observe(save_to_disk(path));
        }
        if let Some(path) = &plan_state.rects {
            let rects: Vec<serde_json::Value> = items
                .iter()
                .map(|i| {
                    let a = view.to_screen(i.center_m - i.size_m / 2.0);
                    let b = view.to_screen(i.center_m + i.size_m / 2.0);
                    serde_json::json!({ "id": i.id, "min": [a.x.min(b.x), a.y.min(b.y)], "max": [a.x.max(b.x), a.y.max(b.y)] })
                })
                .collect();
            let text = serde_json::to_string_pretty(
                &serde_json::json!({ "window": [view.window_px.x, view.window_px.y], "elements": rects }),
            )
            .unwrap_or_default();
            if let Err(e) = crate::site::save::atomic_write(path, text.as_bytes()) {
                error!("could not write {}: {e}", path.display());
            }
        }
    }
    // The capture lands a few frames later; then quit.
    if plan_state.taken_at.is_some_and(|t| frame >= t + 6) {
        if plan_state.print_timings {
            let (mean, p95, max) = timings.app_summary_ms();
            let secs = plan_state.started.elapsed().as_secs_f64();
            println!(
                "app systems per frame over {} frames ({:.1} frames/s): mean {mean:.2} ms, p95 {p95:.2} ms, max {max:.2} ms",
                timings.frame_count,
                f64::from(frame) / secs
            );
            for t in perf::Timed::ALL {
                println!(
                    "  {:<18} {:.3} ms/frame (last {} frames)",
                    t.label(),
                    timings.mean_ms(t),
                    timings.frame_count.min(240)
                );
            }
        }
        exit.write(AppExit::Success);
    }
}

/// Opens the window on `site` and runs until it is closed.
pub fn run(site: SiteFile, catalog: Catalog, options: DesktopOptions) -> AppExit {
    let mut app = App::new();
    let title =
        options.path.as_ref().and_then(|p| p.file_name()).map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    app.add_plugins(
        DefaultPlugins
            .set(WindowPlugin {
                primary_window: Some(Window {
                    title: format!("{title} — dctwin"),
                    resolution: WindowResolution::new(1600, 900),
                    ..default()
                }),
                close_when_requested: false,
                ..default()
            })
            .set(bevy::log::LogPlugin {
                filter: "wgpu=error,naga=warn,bevy_render=warn,bevy_winit=warn".into(),
                ..default()
            }),
    )
    .add_plugins(EguiPlugin::default())
    .add_plugins(SimPlugins::default())
    .add_plugins(DesktopPlugin)
    .insert_resource(ClearColor(Color::srgb(0.11, 0.12, 0.14)));

    files::load_into_world(app.world_mut(), &site, &catalog, options.path.clone());
    if let Some(s) = options.scenario.clone() {
        scenario::play(app.world_mut(), s);
    }
    if let Some(rules) = options.grid_rules.clone() {
        app.world_mut().resource_mut::<crate::scenario::live::GridWatch>().set_rules(Some(rules));
    }
    {
        let mut editor = app.world_mut().resource_mut::<EditorState>();
        editor.selection = options.select.clone();
    }
    if let Some(tab) = options.tab {
        app.world_mut().insert_resource(tab);
        if let (ui::BottomTab::SingleLine, Some(first)) = (tab, options.select.first()) {
            ui::sld::show_in_diagram(app.world_mut(), first);
        }
    }
    {
        let mut speed = app.world_mut().resource_mut::<SimSpeed>();
        // A screenshot shows the state after `--steps`, whatever the frame rate.
        speed.paused = options.paused || options.screenshot.is_some();
        if options.speed > 0.0 {
            speed.speed = options.speed;
        }
    }
    if options.screenshot.is_some() || options.frames.is_some() {
        app.insert_resource(ScreenshotPlan {
            frames: options.frames.unwrap_or(30),
            path: options.screenshot.clone(),
            rects: options.element_rects.clone(),
            taken_at: None,
            print_timings: options.print_timings,
            started: Instant::now(),
        });
        app.add_systems(Last, screenshot_system);
    }
    // Steps before the window opens, so results and alerts show from the first frame.
    for _ in 0..options.steps {
        app.world_mut().run_schedule(bevy::app::FixedMain);
    }
    app.run()
}
