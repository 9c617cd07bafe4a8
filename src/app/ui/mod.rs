//! The egui overlay. [`ui_root`] draws every panel from a `&mut World`: the Bevy app calls it each
//! frame, and egui_kittest tests call the same function on a headless world, so what the tests
//! click is what the planner clicks.
//!
//! Layout: a top bar (file, undo, time, colouring, search), the palette on the left, limits and
//! the inspector on the right, charts and the single-line diagram at the bottom, the plan in the
//! middle (drawn by Bevy, labelled and explained here).

pub mod capacity;
pub mod charts;
pub mod inspector;
pub mod labels;
pub mod limits;
pub mod palette;
pub mod sld;

use bevy::prelude::*;
use bevy_egui::egui;
use egui::{Color32, RichText};

use super::colors::{Rgb, legend};
use super::files;
use super::perf::{AppTimings, Timed};
use super::plan::PlanRooms;
use super::state::{ColorMetric, Dialog, EditorState, PendingAction, SimSpeed, Tool, UiFocus};
use super::status::SiteStatus;
use crate::edit::{self, EditHistory};
use crate::sim::SimClock;
use crate::sim::electrical::SiteTotals;

/// Which view the bottom panel shows.
#[derive(Resource, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BottomTab {
    /// Time series.
    #[default]
    Charts,
    /// The power tree.
    SingleLine,
    /// What happened when: equipment (UPS to battery, transfers, restarts) and alerts.
    Timeline,
    /// How many more racks fit, where, and what binds first.
    Capacity,
}

/// egui colour of an sRGB triple.
pub fn color32(c: Rgb) -> Color32 {
    Color32::from_rgb((c[0] * 255.0) as u8, (c[1] * 255.0) as u8, (c[2] * 255.0) as u8)
}

/// A power in kW or, from 10 MW up, MW.
pub fn power(kw: f64) -> String {
    if kw.abs() >= 10_000.0 { format!("{:.1} MW", kw / 1000.0) } else { format!("{kw:.0} kW") }
}

/// Simulated time as `d hh:mm:ss`.
pub fn format_clock(t_s: f64) -> String {
    let t = t_s.max(0.0) as u64;
    let (d, h, m, s) = (t / 86_400, t / 3600 % 24, t / 60 % 60, t % 60);
    if d > 0 { format!("{d} d {h:02}:{m:02}:{s:02}") } else { format!("{h:02}:{m:02}:{s:02}") }
}

/// The run's timeline, newest first: what equipment did (a UPS to battery, a transfer switch
/// calling its generator, cooling restarting) and every alert raised or cleared.
fn timeline_panel(ui: &mut egui::Ui, world: &mut World) {
    scenario_bar(ui, world);
    grid_rules_bar(ui, world);
    ui.separator();
    let entries = crate::scenario::play::timeline(world);
    if entries.is_empty() {
        ui.weak("Nothing has happened yet. Take an element out of service in the inspector (a grid feed: a grid outage) and run.");
        return;
    }
    // Long lines are cut to the panel's width (whole on hover): they must not widen the layout.
    egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
        for e in entries.iter().rev().take(500) {
            ui.horizontal(|ui| {
                ui.add_sized([64.0, 18.0], egui::Label::new(format_clock(e.time_s)));
                let what = match e.what {
                    "alert" if e.text.starts_with("critical") => {
                        RichText::new("alert").color(Color32::from_rgb(230, 80, 70))
                    }
                    "alert" => RichText::new("alert").color(Color32::from_rgb(230, 170, 60)),
                    "cleared" => RichText::new("cleared").color(Color32::from_rgb(110, 190, 110)),
                    other => RichText::new(other),
                };
                ui.add_sized([76.0, 18.0], egui::Label::new(what));
                ui.add(egui::Label::new(&e.text).truncate()).on_hover_text(&e.text);
            });
        }
    });
}

/// The scenario being played (its events played so far), and the buttons to play one, restart
/// it or stop it.
fn scenario_bar(ui: &mut egui::Ui, world: &mut World) {
    let playing = world
        .get_resource::<crate::app::scenario::PlayingScenario>()
        .map(|p| (p.scenario.name.clone(), p.scenario.events.len()));
    let played = world.get_resource::<crate::scenario::play::ScenarioPlayer>().map_or(0, |p| p.played());
    ui.horizontal(|ui| {
        match &playing {
            Some((name, events)) => {
                ui.label(RichText::new(format!("Scenario: {name}")).strong());
                ui.label(format!("{played} of {events} events played"));
                if ui.button("Restart").on_hover_text("from t = 0 on the site it started from").clicked() {
                    crate::app::scenario::restart(world);
                }
                if ui
                    .button("Stop")
                    .on_hover_text(
                        "back to the site it started from, no events (edits made while it played are dropped)",
                    )
                    .clicked()
                {
                    crate::app::scenario::stop(world);
                }
            }
            None => {
                ui.weak("No scenario playing.");
            }
        }
        if ui.button("Play scenario…").on_hover_text("a scenario file: timed failures, outages, sags, jobs").clicked()
        {
            world.resource_mut::<EditorState>().dialog = Some(Dialog::OpenScenario(String::new()));
        }
    });
}

/// The utility's rules watched on the grid import: a preset to choose, each rule's worst window
/// so far, and the smallest facility battery that would make the run pass.
fn grid_rules_bar(ui: &mut egui::Ui, world: &mut World) {
    use crate::scenario::live::GridWatch;
    let Some(watch) = world.get_resource::<GridWatch>() else { return };
    let current = watch.rules.as_ref().map(|r| r.name.clone());
    let presets = crate::scenario::rules::presets();
    let mut chosen: Option<Option<String>> = None;
    ui.horizontal(|ui| {
        ui.label("Grid rules:");
        let shown = presets
            .iter()
            .find(|(_, set)| Some(&set.name) == current.as_ref())
            .map_or_else(|| current.clone().unwrap_or_else(|| "none".into()), |(k, _)| k.clone());
        egui::ComboBox::from_id_salt("grid_rules").selected_text(shown).show_ui(ui, |ui| {
            if ui.selectable_label(current.is_none(), "none").clicked() {
                chosen = Some(None);
            }
            for (key, set) in &presets {
                if ui.selectable_label(current.as_ref() == Some(&set.name), key).on_hover_text(&set.source).clicked() {
                    chosen = Some(Some(key.clone()));
                }
            }
        });
        if current.is_some() {
            let samples = world.resource::<GridWatch>().samples();
            ui.weak(format!("{samples} steps of grid import since chosen"));
        }
    });
    if let Some(choice) = chosen {
        let rules = choice.and_then(|k| presets.get(&k).cloned());
        world.resource_mut::<GridWatch>().set_rules(rules);
    }
    let disturbances = crate::scenario::live::disturbances(world);
    let results = world.resource::<GridWatch>().results(&disturbances);
    for r in &results {
        let verdict = if r.pass {
            RichText::new("pass").color(Color32::from_rgb(110, 190, 110))
        } else {
            RichText::new("FAIL").color(Color32::from_rgb(230, 80, 70)).strong()
        };
        ui.horizontal(|ui| {
            ui.label(verdict);
            let text = match &r.note {
                Some(note) if r.worst == 0.0 => format!("{}: {note}", r.rule),
                _ => format!("{}: worst {:.3} (limit {}) at {}", r.rule, r.worst, r.limit, format_clock(r.at_s)),
            };
            ui.add(egui::Label::new(&text).truncate()).on_hover_text(&text);
        });
    }
    if results.iter().any(|r| !r.pass) {
        ui.horizontal(|ui| {
            if ui.button("Size a facility battery").on_hover_text("the smallest MW, then MWh, that passes every rule on this run's import (as --size-storage)").clicked() {
                let template = crate::scenario::FacilityStorage {
                    power_mw: 0.0,
                    energy_mwh: 0.0,
                    round_trip_efficiency: 0.9,
                    smoothing_s: 60.0,
                };
                let found = world.resource::<GridWatch>().size_storage(template);
                let text = match found {
                    Some(fs) => format!(
                        "A facility battery of {:.2} MW / {:.3} MWh (90 % round trip, 60 s smoothing) makes this run pass",
                        fs.power_mw, fs.energy_mwh
                    ),
                    None => "No facility battery smoothing over 60 s makes this run pass: its moving average itself breaks a rule".into(),
                };
                world.resource_mut::<EditorState>().info(text);
            }
        });
    }
}

/// Draws the whole overlay into `ui` (the window's root) and handles shortcuts.
pub fn ui_root(ui: &mut egui::Ui, world: &mut World) {
    let started = std::time::Instant::now();
    world.get_resource_or_insert_with(EditorState::default);
    world.get_resource_or_insert_with(BottomTab::default);
    world.get_resource_or_insert_with(SimSpeed::default);
    world.get_resource_or_insert_with(EditHistory::default);
    shortcuts(ui.ctx(), world);

    egui::Panel::top("top_bar").show(ui, |ui| top_bar(ui, world));
    egui::Panel::bottom("status_bar").show(ui, |ui| status_bar(ui, world));
    egui::Panel::left("palette").default_size(230.0).max_size(ui.max_rect().width() * 0.3).resizable(true).show(
        ui,
        |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| palette::palette_panel(ui, world));
        },
    );
    // The side panels never take more than their share of the window, whatever their content.
    let side_max = (ui.max_rect().width() * 0.4).max(380.0);
    egui::Panel::right("right").default_size(380.0).max_size(side_max).resizable(true).show(ui, |ui| {
        egui::ScrollArea::vertical().show(ui, |ui| {
            egui::CollapsingHeader::new(RichText::new("Limits").strong()).default_open(true).show(ui, |ui| {
                limits::limits_panel(ui, world);
            });
            egui::CollapsingHeader::new(RichText::new("Inspector").strong()).default_open(true).show(ui, |ui| {
                inspector::inspector_panel(ui, world);
            });
        });
    });
    egui::Panel::bottom("bottom").default_size(230.0).resizable(true).show(ui, |ui| {
        // The panel keeps the size it is given (its content fills it exactly): a panel sized by
        // its content would creep a little every frame.
        ui.set_min_height(ui.available_height());
        let mut tab = *world.resource::<BottomTab>();
        ui.horizontal(|ui| {
            ui.selectable_value(&mut tab, BottomTab::Charts, "Charts");
            ui.selectable_value(&mut tab, BottomTab::SingleLine, "Single-line diagram");
            ui.selectable_value(&mut tab, BottomTab::Timeline, "Timeline");
            ui.selectable_value(&mut tab, BottomTab::Capacity, "Capacity");
        });
        *world.resource_mut::<BottomTab>() = tab;
        ui.separator();
        match tab {
            BottomTab::Charts => charts::charts_panel(ui, world),
            BottomTab::SingleLine => sld::sld_panel(ui, world),
            BottomTab::Timeline => timeline_panel(ui, world),
            BottomTab::Capacity => capacity::capacity_panel(ui, world),
        }
    });
    let plan_rect = ui.available_rect_before_wrap();
    plan_overlay(ui, world, plan_rect);
    dialogs(ui.ctx(), world);

    let ctx = ui.ctx().clone();
    // Panels live on the background layer around the plan; windows and popups sit above it.
    let pointer_over_ui = ctx.pointer_hover_pos().is_some_and(|p| {
        !plan_rect.contains(p) || ctx.layer_id_at(p).is_some_and(|l| l.order != egui::Order::Background)
    });
    let focus = UiFocus { pointer_over_ui, keyboard: ctx.egui_wants_keyboard_input(), plan_rect: Some(plan_rect) };
    world.insert_resource(focus);
    world.get_resource_or_insert_with(AppTimings::default).record(Timed::Panels, started.elapsed());
}

/// Ctrl+Z, Ctrl+Shift+Z / Ctrl+Y, Delete, Escape, Space (pause) and Ctrl+S.
fn shortcuts(ctx: &egui::Context, world: &mut World) {
    use egui::{Key, KeyboardShortcut, Modifiers};
    let redo = ctx.input_mut(|i| {
        i.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z))
            || i.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::Y))
    });
    let undo = ctx.input_mut(|i| i.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::Z)));
    let save = ctx.input_mut(|i| i.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::S)));
    if undo {
        do_undo(world);
    }
    if redo {
        do_redo(world);
    }
    if save {
        save_current(world);
    }
    if ctx.egui_wants_keyboard_input() {
        return;
    }
    let (delete, escape, space) =
        ctx.input(|i| (i.key_pressed(Key::Delete), i.key_pressed(Key::Escape), i.key_pressed(Key::Space)));
    if delete {
        delete_selection(world);
    }
    if escape {
        let mut e = world.resource_mut::<EditorState>();
        e.tool = Tool::Select;
        e.selection.clear();
    }
    if space {
        let mut s = world.resource_mut::<SimSpeed>();
        s.paused = !s.paused;
    }
}

/// Undo with the outcome in the status bar.
pub fn do_undo(world: &mut World) {
    let r = edit::undo(world);
    drop_stale_selection(world);
    history_message(world, r, "Undid", "undo");
}

/// Redo with the outcome in the status bar.
pub fn do_redo(world: &mut World) {
    let r = edit::redo(world);
    drop_stale_selection(world);
    history_message(world, r, "Redid", "redo");
}

fn history_message(world: &mut World, r: Result<Option<String>, String>, done: &str, verb: &str) {
    let mut e = world.resource_mut::<EditorState>();
    match r {
        Ok(Some(label)) => e.info(format!("{done}: {label}")),
        Ok(None) => e.info(format!("Nothing to {verb}")),
        Err(msg) => e.error(format!("{} refused: {msg}", if verb == "undo" { "Undo" } else { "Redo" })),
    }
}

/// Deletes the selection (one undoable edit).
pub fn delete_selection(world: &mut World) {
    let ids = world.resource::<EditorState>().selection.clone();
    if ids.is_empty() {
        return;
    }
    let r = edit::ops::delete(world, &ids).and_then(|e| {
        let label = e.label.clone();
        edit::apply(world, e).map(|_| label)
    });
    let mut e = world.resource_mut::<EditorState>();
    match r {
        Ok(label) => {
            e.selection.clear();
            e.info(label);
        }
        Err(msg) => e.error(format!("Delete refused: {msg}")),
    }
}

fn save_current(world: &mut World) {
    match open_path(world) {
        Some(p) if files::is_bundled_example(&p) => {
            world.resource_mut::<EditorState>().dialog = Some(Dialog::ConfirmOverwriteExample(p.display().to_string()));
        }
        Some(p) => {
            if let Err(e) = files::save(world, &p) {
                world.resource_mut::<EditorState>().error(e);
            }
        }
        None => open_save_as(world),
    }
}

fn open_path(world: &World) -> Option<std::path::PathBuf> {
    world.get_resource::<super::state::OpenFile>().and_then(|f| f.path.clone())
}

/// Opens "Save as" on a new name (never the open file's own path).
fn open_save_as(world: &mut World) {
    let suggestion = files::save_as_suggestion(open_path(world).as_deref()).display().to_string();
    world.resource_mut::<EditorState>().dialog = Some(Dialog::SaveAs(suggestion));
}

/// Undo and redo may remove what is selected (undoing a placement): keep only what exists.
fn drop_stale_selection(world: &mut World) {
    let selection = std::mem::take(&mut world.resource_mut::<EditorState>().selection);
    let kept: Vec<String> = selection.into_iter().filter(|id| edit::element(world, id).is_some()).collect();
    world.resource_mut::<EditorState>().selection = kept;
}

/// Asks before `action` when there are unsaved changes.
pub fn guarded(world: &mut World, action: PendingAction) {
    if world.get_resource::<EditHistory>().is_some_and(|h| h.is_dirty()) {
        world.resource_mut::<EditorState>().dialog = Some(Dialog::ConfirmDiscard(action));
    } else {
        run_pending(world, action);
    }
}

fn run_pending(world: &mut World, action: PendingAction) {
    match action {
        PendingAction::Open(path) => {
            if let Err(e) = files::open(world, path.as_ref()) {
                world.resource_mut::<EditorState>().error(e);
            }
        }
        PendingAction::Quit => world.resource_mut::<EditorState>().quit_requested = true,
    }
}

fn top_bar(ui: &mut egui::Ui, world: &mut World) {
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new("dctwin").strong());
        ui.separator();
        if ui.button("Open…").clicked() {
            world.resource_mut::<EditorState>().dialog = Some(Dialog::Open(String::new()));
        }
        if ui.button("Save").on_hover_text("Ctrl+S").clicked() {
            save_current(world);
        }
        if ui.button("Save as…").clicked() {
            open_save_as(world);
        }
        ui.menu_button("Export", |ui| {
            for kind in crate::app::export::ExportKind::ALL {
                if ui.button(kind.label()).clicked() {
                    let open = world.get_resource::<crate::app::state::OpenFile>().and_then(|f| f.path.clone());
                    let path = crate::app::export::export_suggestion(open.as_deref(), kind);
                    world.resource_mut::<EditorState>().dialog = Some(Dialog::Export(kind, path.display().to_string()));
                    ui.close();
                }
            }
        });
        ui.separator();
        let (undo_label, redo_label) = {
            let h = world.resource::<EditHistory>();
            (h.undo_label().map(str::to_string), h.redo_label().map(str::to_string))
        };
        let undo = ui.add_enabled(undo_label.is_some(), egui::Button::new("Undo"));
        if undo.on_hover_text(format!("Ctrl+Z: {}", undo_label.unwrap_or_default())).clicked() {
            do_undo(world);
        }
        let redo = ui.add_enabled(redo_label.is_some(), egui::Button::new("Redo"));
        if redo.on_hover_text(format!("Ctrl+Shift+Z: {}", redo_label.unwrap_or_default())).clicked() {
            do_redo(world);
        }
        ui.separator();
        time_controls(ui, world);
        ui.separator();
        let mut metric = world.resource::<EditorState>().metric;
        egui::ComboBox::from_id_salt("metric").selected_text(format!("Colour: {}", metric.label())).show_ui(ui, |ui| {
            for m in ColorMetric::ALL {
                ui.selectable_value(&mut metric, m, m.label());
            }
        });
        world.resource_mut::<EditorState>().metric = metric;
        ui.separator();
        search_box(ui, world);
        if ui.button("Fit").on_hover_text("F: fit the whole site").clicked() {
            world.resource_mut::<EditorState>().fit_requested = true;
        }
        let reset =
            ui.button("Reset layout").on_hover_text("panel sizes, folded sections and dialogs back to the default");
        if reset.clicked() {
            reset_layout(ui.ctx());
            world.resource_mut::<EditorState>().fit_requested = true;
        }
    });
}

/// Forgets what egui remembers of the layout (panel sizes, folded sections, window positions,
/// scroll offsets), keeping the display options: the panels come back at their default sizes.
fn reset_layout(ctx: &egui::Context) {
    ctx.memory_mut(|m| {
        let options = m.options.clone();
        *m = Default::default();
        m.options = options;
    });
}

fn time_controls(ui: &mut egui::Ui, world: &mut World) {
    let clock = world.get_resource::<SimClock>().copied().unwrap_or_default();
    let mut speed = world.resource::<SimSpeed>().clone();
    let label = if speed.paused { "▶ Play" } else { "⏸ Pause" };
    if ui.button(label).on_hover_text("Space").clicked() {
        speed.paused = !speed.paused;
    }
    if ui.add_enabled(speed.paused, egui::Button::new("Step")).on_hover_text("one simulation step").clicked() {
        speed.pending_steps += 1;
    }
    for (x, name) in [(1.0, "1×"), (60.0, "60×"), (3600.0, "3600×")] {
        if ui.selectable_label(speed.speed == x, name).clicked() {
            speed.speed = x;
        }
    }
    if ui
        .button("Reset")
        .on_hover_text("Reset to steady state: temperatures as a fresh run of this site starts from, alerts cleared")
        .clicked()
    {
        crate::sim::reset_to_steady_state(world);
        world.resource_mut::<EditorState>().info("Reset to steady state".to_string());
    }
    ui.label(RichText::new(format!("t = {}", format_clock(clock.elapsed_s))).monospace())
        .on_hover_text(format!("{} steps of {:.1} s", clock.steps, clock.step_s));
    if let Some(note) = speed.note() {
        ui.label(RichText::new(note).color(Color32::YELLOW));
    }
    *world.resource_mut::<SimSpeed>() = speed;
}

fn search_box(ui: &mut egui::Ui, world: &mut World) {
    let mut text = world.resource::<EditorState>().search.clone();
    let r = ui.add(egui::TextEdit::singleline(&mut text).hint_text("find id…").desired_width(110.0));
    let go = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
    let mut found = None;
    // Matched only while the box is in use, not every frame the text stays in it.
    if !text.is_empty() && (r.has_focus() || go) {
        let needle = text.to_lowercase();
        let mut q = world.query::<&crate::sim::components::ElementId>();
        let mut ids: Vec<String> = q.iter(world).map(|i| i.0.clone()).collect();
        if let Some(layout) = world.get_resource::<crate::sim::world::CoolingLayout>() {
            let mut site = crate::site::SiteFile::default();
            layout.write_into(&mut site);
            ids.extend(crate::site::element::SiteElement::all_of(&site).iter().map(|e| e.id().to_string()));
        }
        ids.retain(|i| i.to_lowercase().contains(&needle));
        ids.sort_by(|a, b| crate::site::save::natural_cmp(a, b));
        if let Some(exact) = ids.iter().find(|i| i.to_lowercase() == needle) {
            found = Some(exact.clone());
        } else {
            found = ids.first().cloned();
        }
        if r.has_focus() && !ids.is_empty() {
            ui.label(RichText::new(format!("{} match{}", ids.len(), if ids.len() == 1 { "" } else { "es" })).weak());
        }
    }
    let mut e = world.resource_mut::<EditorState>();
    e.search = text;
    if go {
        match found {
            Some(id) => {
                e.select_only(id.clone());
                e.center_on = Some(id);
            }
            None => {
                let msg = format!("no element matches `{}`", e.search);
                e.error(msg);
            }
        }
    }
}

fn status_bar(ui: &mut egui::Ui, world: &mut World) {
    ui.horizontal(|ui| {
        if let Some(t) = world.get_resource::<SiteTotals>() {
            let mut sources = format!("grid {}", power(t.grid_import_kw));
            if t.generator_kw != 0.0 {
                sources.push_str(&format!(" · generators {}", power(t.generator_kw)));
            }
            if t.battery_kw > 0.0 {
                sources.push_str(&format!(" · UPS batteries {}", power(t.battery_kw)));
            }
            ui.label(format!(
                "IT {} · {sources} · losses {} · cooling {} · PUE {}",
                power(t.it_load_kw),
                power(t.losses_kw()),
                power(t.cooling_kw),
                t.pue().map(|p| format!("{p:.3}")).unwrap_or_else(|| "–".into())
            ));
        }
        ui.separator();
        if let Some((msg, is_error)) = &world.resource::<EditorState>().message {
            let color = if *is_error { Color32::from_rgb(255, 110, 100) } else { ui.visuals().text_color() };
            ui.label(RichText::new(msg).color(color));
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if let Some(t) = world.get_resource::<AppTimings>() {
                let detail: Vec<String> =
                    Timed::ALL.iter().map(|k| format!("{}: {:.2} ms", k.label(), t.mean_ms(*k))).collect();
                ui.label(RichText::new(format!("app {:.2} ms/frame", t.app_mean_ms())).weak())
                    .on_hover_text(detail.join("\n"));
            }
        });
    });
}

/// The site's name and the description from its file's header, top-left of the plan (folds
/// away), with the count of racks standing outside their room or zone.
fn site_card(ui: &egui::Ui, world: &mut World, rect: egui::Rect) {
    let Some(meta) = world.get_resource::<crate::sim::world::SiteMeta>() else { return };
    let name = meta.name.clone();
    // The generated first line says what the file is, not what the site is.
    let description: Vec<String> =
        meta.header.iter().filter(|l| !l.starts_with("dctwin site file")).map(|l| l.trim().to_string()).collect();
    let misplaced = world.get_resource::<PlanRooms>().map_or(0, |r| r.misplaced.len());
    let screen = ui.ctx().content_rect();
    egui::Area::new(egui::Id::new("site_card"))
        .anchor(egui::Align2::LEFT_TOP, egui::vec2(rect.left() + 8.0, rect.top() - screen.top() + 8.0))
        .show(ui.ctx(), |ui| {
            egui::Frame::popup(ui.style()).show(ui, |ui| {
                ui.set_max_width((rect.width() * 0.4).clamp(200.0, 460.0));
                egui::CollapsingHeader::new(RichText::new(&name).strong())
                    .id_salt("site_card")
                    .default_open(false)
                    .show(ui, |ui| {
                        let text = description.join(" ");
                        if !text.is_empty() {
                            ui.add(egui::Label::new(RichText::new(text).small()).wrap());
                        }
                    });
                if misplaced > 0 {
                    ui.label(
                        RichText::new(format!(
                            "{misplaced} rack{} outside {} room or zone (yellow cross)",
                            if misplaced == 1 { "" } else { "s" },
                            if misplaced == 1 { "its" } else { "their" }
                        ))
                        .small()
                        .color(Color32::from_rgb(255, 230, 60)),
                    );
                }
            });
        });
}

/// Labels, the tooltip and the legend over the plan area.
fn plan_overlay(ui: &mut egui::Ui, world: &mut World, rect: egui::Rect) {
    let painter = ui.painter_at(rect);
    labels::draw_plan_labels(ui, world, rect);
    site_card(ui, world, rect);
    placement_preview(ui, world, rect);
    // Legend.
    let metric = world.resource::<EditorState>().metric;
    // Bottom-left corner of the plan (anchors are relative to the screen's corners).
    let screen = ui.ctx().content_rect();
    egui::Area::new(egui::Id::new("legend"))
        .anchor(egui::Align2::LEFT_BOTTOM, egui::vec2(rect.left() + 8.0, rect.bottom() - screen.bottom() - 8.0))
        .show(ui.ctx(), |ui| {
            egui::Frame::popup(ui.style()).show(ui, |ui| {
                ui.spacing_mut().item_spacing.y = 1.0;
                // Collapsible, so it can be folded away from the plan under it.
                egui::CollapsingHeader::new(RichText::new(metric.label()).strong())
                    .id_salt("legend")
                    .default_open(true)
                    .show(ui, |ui| {
                        for (c, text) in legend(metric) {
                            ui.horizontal(|ui| {
                                let (r, _) = ui.allocate_exact_size(egui::vec2(14.0, 10.0), egui::Sense::hover());
                                ui.painter().rect_filled(r, 2.0, color32(c));
                                ui.label(RichText::new(text).small());
                            });
                        }
                        ui.label(RichText::new(crate::app::colors::rack_legend(metric)).small());
                        ui.label(RichText::new("outline: alert (red blinks: critical, amber: warning)").small());
                        ui.label(RichText::new("yellow cross: rack outside its room or zone").small());
                        ui.label(RichText::new("zoomed out, a row's shape stands for its racks (its worst)").small());
                    });
            });
        });
    // Tooltip for the element under the mouse.
    let hovered = world.resource::<EditorState>().hovered.clone();
    if let (Some(id), Some(pos)) = (hovered, ui.ctx().pointer_hover_pos())
        && rect.contains(pos)
    {
        let status = world.get_resource::<SiteStatus>().and_then(|s| s.by_id.get(&id).cloned());
        let figures = super::status::figures(world, &id);
        let misplaced = world.get_resource::<PlanRooms>().and_then(|r| r.misplaced.get(&id).cloned());
        egui::Area::new(egui::Id::new("plan_tooltip"))
            .fixed_pos(pos + egui::vec2(16.0, 16.0))
            .interactable(false)
            .order(egui::Order::Tooltip)
            .show(ui.ctx(), |ui| {
                egui::Frame::popup(ui.style()).show(ui, |ui| {
                    let kind = status.as_ref().and_then(|s| s.kind).map(|k| k.label()).unwrap_or("");
                    ui.label(RichText::new(format!("{id}  ({kind})")).strong());
                    if let Some(a) = status.and_then(|s| s.alert) {
                        ui.label(RichText::new(format!("{a:?} alert")).color(Color32::from_rgb(255, 90, 80)));
                    }
                    if let Some(m) = &misplaced {
                        ui.label(RichText::new(m).color(Color32::from_rgb(255, 230, 60)));
                    }
                    egui::Grid::new("tooltip_grid").show(ui, |ui| {
                        for (k, v) in figures {
                            ui.label(k);
                            ui.label(v);
                            ui.end_row();
                        }
                    });
                });
            });
    }
    // What the active tool does.
    let hint = match &world.resource::<EditorState>().tool {
        Tool::Select => None,
        Tool::Place { model, .. } => Some(format!("Click to place {model} (Esc: stop)")),
        Tool::PlaceRow => Some("Click to place the row's first rack (Esc: stop)".into()),
        Tool::Connect { element, field } => {
            Some(format!("Click the element to connect {element}.{field} to (Esc: cancel)"))
        }
    };
    if let Some(h) = hint {
        painter.text(
            rect.center_top() + egui::vec2(0.0, 14.0),
            egui::Align2::CENTER_CENTER,
            h,
            egui::FontId::proportional(15.0),
            Color32::WHITE,
        );
    }
}

/// While a rack model is picked and the mouse is on the floor: what placing it there would do
/// (the loading its feeds up to the grid, its CDU and its zone would reach, and the first limit
/// it would cross), before the click.
fn placement_preview(ui: &mut egui::Ui, world: &mut World, rect: egui::Rect) {
    let (tool, floor, grid_m) = {
        let e = world.resource::<EditorState>();
        (e.tool.clone(), e.hovered_floor, e.grid_m)
    };
    let (Tool::Place { kind: crate::site::element::EquipmentKind::Rack, model }, Some(floor)) = (tool, floor) else {
        return;
    };
    let at = crate::edit::ops::snap((f64::from(floor.x), f64::from(floor.y)), grid_m);
    let step = world.get_resource::<crate::sim::SimClock>().map_or(0, |c| c.steps);
    let key = (model.clone(), ((at.0 * 1000.0).round() as i64, (at.1 * 1000.0).round() as i64), step);
    let cached = world.resource::<EditorState>().preview.clone().filter(|(k, _)| *k == key);
    let preview = match cached {
        Some((_, p)) => p,
        None => {
            let p = crate::edit::preview::placement_preview(world, &model, at, grid_m);
            world.resource_mut::<EditorState>().preview = Some((key, p.clone()));
            p
        }
    };
    egui::Area::new(egui::Id::new("placement_preview"))
        .fixed_pos(rect.left_top() + egui::vec2(8.0, 8.0))
        .interactable(false)
        .show(ui.ctx(), |ui| {
            egui::Frame::popup(ui.style()).show(ui, |ui| match &preview {
                Err(msg) => {
                    ui.label(
                        RichText::new(format!("Cannot place here: {msg}")).color(Color32::from_rgb(255, 110, 100)),
                    );
                }
                Ok(p) => {
                    ui.label(RichText::new(format!("Placing {} here would take", p.id)).strong());
                    for l in &p.lines {
                        let c = if l.after_pct > 100.0 {
                            crate::app::colors::load_color(1.2)
                        } else {
                            crate::app::colors::load_color(l.after_pct / 100.0)
                        };
                        ui.label(
                            RichText::new(format!(
                                "{} {}: {} ▶ {}",
                                l.element,
                                l.what,
                                preview_pct(l.now_pct),
                                preview_pct(l.after_pct)
                            ))
                            .color(color32(c)),
                        );
                    }
                    match p.first_crossed() {
                        Some(l) => ui.label(
                            RichText::new(format!("{} would go over its limit first", l.element))
                                .color(Color32::from_rgb(255, 110, 100)),
                        ),
                        None => match p.room() {
                            Some((l, n)) => ui.label(format!("{} can take about {n} more like it", l.element)),
                            None => ui.label("no limit crossed"),
                        },
                    };
                    if let Some(advice) = &p.advice {
                        ui.label(advice.as_str());
                    }
                }
            });
        });
}

/// A preview loading: a percentage, or what an unbounded one means (no capacity running, or no
/// load-flow solution with the rack added).
fn preview_pct(pct: f64) -> String {
    if pct.is_finite() { format!("{pct:.0} %") } else { "no capacity".into() }
}

/// A path typed in a field, or picked from the files nearby.
fn path_picker(ui: &mut egui::Ui, path: &mut String, nearby: &[std::path::PathBuf]) {
    ui.horizontal(|ui| {
        ui.label("File:");
        ui.text_edit_singleline(path);
    });
    for p in nearby {
        let shown = p.display().to_string();
        if ui.selectable_label(*path == shown, &shown).clicked() {
            *path = shown;
        }
    }
}

fn dialogs(ctx: &egui::Context, world: &mut World) {
    let Some(dialog) = world.resource::<EditorState>().dialog.clone() else { return };
    let mut next = Some(dialog.clone());
    match dialog.clone() {
        Dialog::Open(mut path) => {
            let nearby = files::nearby_site_files(world);
            egui::Window::new("Open site").collapsible(false).show(ctx, |ui| {
                path_picker(ui, &mut path, &nearby);
                ui.horizontal(|ui| {
                    if ui.button("Open").clicked() {
                        // A broken file is refused here, before any question about unsaved
                        // changes: the dialog stays for another path.
                        match files::check(world, path.as_ref()) {
                            Ok(()) => {
                                next = None;
                                guarded(world, PendingAction::Open(path.clone()));
                            }
                            Err(e) => world.resource_mut::<EditorState>().error(e),
                        }
                    }
                    if ui.button("Cancel").clicked() {
                        next = None;
                    }
                });
            });
            if let Some(Dialog::Open(p)) = &mut next {
                *p = path;
            }
        }
        Dialog::Export(kind, mut path) => {
            egui::Window::new("Export").collapsible(false).show(ctx, |ui| {
                ui.label(kind.label().trim_end_matches('…'));
                ui.horizontal(|ui| {
                    ui.label("File:");
                    ui.text_edit_singleline(&mut path);
                });
                ui.horizontal(|ui| {
                    if ui.button("Export").clicked() {
                        match crate::app::export::export(world, kind, path.as_ref()) {
                            Ok(done) => {
                                world.resource_mut::<EditorState>().info(done);
                                next = None;
                            }
                            Err(e) => world.resource_mut::<EditorState>().error(e),
                        }
                    }
                    if ui.button("Cancel").clicked() {
                        next = None;
                    }
                });
            });
            if let Some(Dialog::Export(_, p)) = &mut next {
                *p = path;
            }
        }
        Dialog::SaveAs(mut path) => {
            egui::Window::new("Save site as").collapsible(false).show(ctx, |ui| {
                ui.horizontal(|ui| {
                    ui.label("File:");
                    ui.text_edit_singleline(&mut path);
                });
                ui.horizontal(|ui| {
                    if ui.button("Save to this file").clicked() {
                        if files::is_bundled_example(path.as_ref()) {
                            next = Some(Dialog::ConfirmOverwriteExample(path.clone()));
                        } else {
                            match files::save(world, path.as_ref()) {
                                Ok(()) => next = None,
                                Err(e) => world.resource_mut::<EditorState>().error(e),
                            }
                        }
                    }
                    if ui.button("Cancel").clicked() {
                        next = None;
                    }
                });
            });
            if let Some(Dialog::SaveAs(p)) = &mut next {
                *p = path;
            }
        }
        Dialog::ConfirmOverwriteExample(path) => {
            egui::Window::new("Bundled example").collapsible(false).show(ctx, |ui| {
                ui.label(format!("{path} is an example that comes with dctwin. Save your changes as a copy instead?"));
                ui.horizontal(|ui| {
                    if ui.button("Save a copy…").clicked() {
                        next =
                            Some(Dialog::SaveAs(files::save_as_suggestion(Some(path.as_ref())).display().to_string()));
                    }
                    if ui.button("Overwrite the example").clicked() {
                        next = None;
                        if let Err(e) = files::save(world, path.as_ref()) {
                            world.resource_mut::<EditorState>().error(e);
                        }
                    }
                    if ui.button("Cancel").clicked() {
                        next = None;
                    }
                });
            });
        }
        Dialog::OpenScenario(mut path) => {
            let nearby = crate::app::scenario::nearby_scenario_files(world);
            egui::Window::new("Play scenario").collapsible(false).show(ctx, |ui| {
                ui.label("Plays from t = 0 on the site as it is now.");
                path_picker(ui, &mut path, &nearby);
                ui.horizontal(|ui| {
                    if ui.button("Play").clicked() {
                        // Validated against the site as it is: a broken file is refused with its
                        // location and the dialog stays.
                        match crate::app::scenario::load(world, path.as_ref()) {
                            Ok(s) => {
                                next = None;
                                crate::app::scenario::play(world, s);
                            }
                            Err(e) => world.resource_mut::<EditorState>().error(e),
                        }
                    }
                    if ui.button("Cancel").clicked() {
                        next = None;
                    }
                });
            });
            if let Some(Dialog::OpenScenario(p)) = &mut next {
                *p = path;
            }
        }
        Dialog::ConfirmDiscard(action) => {
            egui::Window::new("Unsaved changes").collapsible(false).show(ctx, |ui| {
                ui.label("The site has changes that are not saved.");
                ui.horizontal(|ui| {
                    if ui.button("Save first").clicked() {
                        next = None;
                        save_current(world);
                        if !world.resource::<EditHistory>().is_dirty() {
                            run_pending(world, action.clone());
                        }
                    }
                    if ui.button("Discard changes").clicked() {
                        next = None;
                        run_pending(world, action.clone());
                    }
                    if ui.button("Cancel").clicked() {
                        next = None;
                    }
                });
            });
        }
    }
    // Opening a file may have set its own dialog; only overwrite ours.
    let mut e = world.resource_mut::<EditorState>();
    if e.dialog.as_ref() == Some(&dialog) {
        e.dialog = next;
    }
}
