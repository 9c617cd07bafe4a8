//! The desktop app's panels driven through egui_kittest: the same `ui_root` the window draws,
//! on a headless world, clicked by label.

use bevy::prelude::*;
use bevy_egui::egui::accesskit::Role;
use dctwin::app::plan::use_tool_at;
use dctwin::app::state::{EditorState, Tool};
use dctwin::app::ui::ui_root;
use dctwin::catalog::Catalog;
use dctwin::headless;
use dctwin::sim::components::*;
use dctwin::sim::world::{find_element, world_to_site};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

use crate::support::*;

fn harness(site: &str, steps: u64) -> Harness<'static, App> {
    let site = load(&root().join("sites").join(site));
    let mut app = headless::build_app(&site, &Catalog::builtin(), dctwin::sim::DEFAULT_STEP);
    headless::advance(&mut app, steps);
    Harness::builder()
        .with_size(egui::vec2(1600.0, 900.0))
        .build_ui_state(|ui, app: &mut App| ui_root(ui, app.world_mut()), app)
}

fn editor(h: &Harness<'_, App>) -> EditorState {
    h.state().world().resource::<EditorState>().clone()
}

use bevy_egui::egui;

#[test]
fn placing_a_model_from_the_palette_adds_it_with_the_next_id_at_the_snapped_position() {
    let mut h = harness("small_2n_room.ron", 2);
    h.run();
    let racks_before = world_to_site(h.state_mut().world_mut()).racks.len();
    h.get_by_label("dgx-b200-x4").click();
    h.run();
    assert_eq!(
        editor(&h).tool,
        Tool::Place { kind: dctwin::site::element::EquipmentKind::Rack, model: "dgx-b200-x4".into() }
    );
    // The floor click, as the plan's mouse handler makes it.
    use_tool_at(h.state_mut().world_mut(), Vec2::new(20.04, 12.13), None);
    h.run();
    let site = world_to_site(h.state_mut().world_mut());
    assert_eq!(site.racks.len(), racks_before + 1);
    let new_id = format!("R{}", racks_before + 1);
    let rack = site.racks.iter().find(|r| r.id == new_id).unwrap_or_else(|| panic!("{new_id} placed"));
    assert_eq!((rack.model.as_str(), rack.position_m), ("dgx-b200-x4", (20.1, 12.0)));
    assert_eq!(editor(&h).selection, vec![new_id.clone()]);
    assert!(h.query_all_by_label_contains(&format!("Placed {new_id}")).next().is_some(), "status bar confirms");
    // The solver picks it up on the next step.
    headless::advance(h.state_mut(), 1);
    assert!(rack_power(h.state_mut(), &new_id).powered);
}

fn rack_power(app: &mut App, id: &str) -> RackPower {
    let e = find_element(app.world_mut(), id).unwrap();
    dctwin::sim::electrical::rack_power(app.world(), e).unwrap()
}

#[test]
fn delete_then_undo_restores_the_element_and_redo_deletes_it_again() {
    let mut h = harness("small_2n_room.ron", 2);
    let original = world_to_site(h.state_mut().world_mut());
    h.state_mut().world_mut().resource_mut::<EditorState>().select_only("R1");
    h.run();
    h.get_by_label("Delete").click();
    h.run();
    assert!(find_element(h.state_mut().world_mut(), "R1").is_none(), "deleted");
    assert!(editor(&h).selection.is_empty());
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    h.run();
    assert_eq!(world_to_site(h.state_mut().world_mut()), original, "Ctrl+Z restores it exactly");
    h.key_press_modifiers(egui::Modifiers::COMMAND | egui::Modifiers::SHIFT, egui::Key::Z);
    h.run();
    assert!(find_element(h.state_mut().world_mut(), "R1").is_none(), "Ctrl+Shift+Z deletes it again");
    h.get_by_label("Undo").click();
    h.run();
    assert_eq!(world_to_site(h.state_mut().world_mut()), original, "the Undo button works too");
}

#[test]
fn an_invalid_rating_is_refused_with_a_message_and_not_applied() {
    let mut h = harness("small_2n_room.ron", 2);
    h.state_mut().world_mut().resource_mut::<EditorState>().select_only("PDU-A1");
    h.run();
    let breaker_before = {
        let w = h.state_mut().world_mut();
        let e = find_element(w, "PDU-A1").unwrap();
        w.get::<Distribution>(e).unwrap().0.breaker_a
    };
    for (typed, expected) in
        [("-5", "breaker_a must be between 1 and 10000 A (got -5)"), ("lots", "`lots` is not a number")]
    {
        let field = h.get_by_role_and_label(Role::TextInput, "breaker (A)");
        field.focus();
        h.run();
        h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
        h.get_by_role_and_label(Role::TextInput, "breaker (A)").type_text(typed);
        h.run();
        h.key_press(egui::Key::Enter);
        h.run();
        assert!(h.query_all_by_label_contains(expected).next().is_some(), "message `{expected}` shown for `{typed}`");
        let w = h.state_mut().world_mut();
        let e = find_element(w, "PDU-A1").unwrap();
        assert_eq!(w.get::<Distribution>(e).unwrap().0.breaker_a, breaker_before, "`{typed}` not applied");
        assert_eq!(w.resource::<dctwin::edit::EditHistory>().undo_depth(), 0);
    }
    // A good value goes through the same field.
    h.get_by_role_and_label(Role::TextInput, "breaker (A)").focus();
    h.run();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_role_and_label(Role::TextInput, "breaker (A)").type_text("250");
    h.run();
    h.key_press(egui::Key::Enter);
    h.run();
    let w = h.state_mut().world_mut();
    let e = find_element(w, "PDU-A1").unwrap();
    assert_eq!(w.get::<Distribution>(e).unwrap().0.breaker_a, 250.0);
}

#[test]
fn clicking_an_alert_selects_and_centres_its_element() {
    let mut h = harness("overloaded_room.ron", 3);
    h.run();
    h.get_by_label_contains("CRIT PDU-1 · breaker current").click();
    h.run();
    let e = editor(&h);
    assert_eq!(e.selection, vec!["PDU-1".to_string()]);
    assert_eq!(e.center_on.as_deref(), Some("PDU-1"));
    // The inspector now shows it, with its chain to the grid.
    assert!(h.query_all_by_label_contains("UPS-1 ").next().is_some(), "the chain shows UPS-1 with its loading");
    assert!(h.query_by_label("Take out of service").is_some());
}

#[test]
fn the_headroom_panel_names_the_element_that_binds_first() {
    let mut h = harness("ai_hall_20mw.ron", 3);
    h.run();
    let rows = dctwin::sim::limits::headroom(h.state_mut().world_mut());
    assert!(!rows.is_empty());
    for r in rows.iter().take(3) {
        assert!(h.query_all_by_label(&r.element).next().is_some(), "{} is listed", r.element);
    }
    h.get_all_by_label(&rows[0].element).next().unwrap().click();
    h.run();
    assert_eq!(editor(&h).selection, vec![rows[0].element.clone()]);
}

/// Headroom rows say what the element carries against its limit, as a planner reads it.
#[test]
fn headroom_rows_read_as_value_of_limit() {
    let mut h = harness("gb200_pod.ron", 3);
    h.run();
    let rows = dctwin::sim::limits::headroom(h.state_mut().world_mut());
    let breaker = rows.iter().find(|r| r.limit == dctwin::sim::limits::LimitKind::BreakerContinuous).unwrap();
    // PDU-A3: 250 A breaker at 80 % continuous = 200 A, carrying about 192 A.
    assert_eq!(breaker.limit_value, 200.0);
    let text = format!("{:.0} of 200 A continuous ({:.1} %)", breaker.value, breaker.margin_pct);
    assert!(h.query_by_label(&text).is_some(), "row reads `{text}`");
}

/// The "done when": on the default site, place a GB200 rack next to a loaded PDU, connect
/// it, see the PDU and the transformer above it go critical in the alert list and the plan's
/// colours, then undo it all.
#[test]
fn one_more_gb200_rack_overloads_the_pdu_and_the_transformer_and_undo_clears_it() {
    use dctwin::app::colors::metric_color;
    use dctwin::app::state::ColorMetric;
    use dctwin::app::status::{SiteStatus, refresh_status};

    let mut h = harness("gb200_pod.ron", 3);
    h.run();
    assert!(h.query_by_label("No limit is exceeded.").is_some(), "the pod starts healthy");
    h.get_by_label("gb200-nvl72").click();
    h.run();
    // Next to GB2 at the end of row 1, whose PDUs are at about 77 %.
    use_tool_at(h.state_mut().world_mut(), Vec2::new(1.2, 0.0), None);
    h.run();
    assert_eq!(editor(&h).selection, vec!["GB7".to_string()]);
    // Connect its A cord by picking PDU-A1 on the plan.
    h.get_all_by_label("pick on plan").next().unwrap().click();
    h.run();
    assert_eq!(editor(&h).tool, Tool::Connect { element: "GB7".into(), field: "feed_a".into() });
    use_tool_at(h.state_mut().world_mut(), Vec2::new(-2.5, 0.0), Some("PDU-A1".into()));
    h.run();
    let site = world_to_site(h.state_mut().world_mut());
    let gb7 = site.racks.iter().find(|r| r.id == "GB7").unwrap();
    assert_eq!((gb7.feed_a.as_str(), gb7.feed_b.as_deref()), ("PDU-A1", Some("PDU-B1")));

    headless::advance(h.state_mut(), 3);
    refresh_status(h.state_mut().world_mut());
    h.run();
    for label in ["CRIT PDU-A1 · breaker current", "CRIT PDU-B1 · breaker current", "CRIT T1 · transformer loading"]
    {
        assert!(h.query_all_by_label_contains(label).next().is_some(), "alert list shows `{label}`");
    }
    let world = h.state().world();
    let status = world.resource::<SiteStatus>();
    for id in ["PDU-A1", "T1"] {
        let c = metric_color(ColorMetric::Loading, status.by_id.get(id));
        assert!(c[0] > 0.8 && c[1] < 0.2, "{id} is red on the plan: {c:?}");
    }
    let c = metric_color(ColorMetric::Loading, status.by_id.get("PDU-A3"));
    assert!(c[0] < 0.8 || c[1] > 0.2, "PDU-A3 on another row is not red: {c:?}");

    // Undo the connection and the placement: the pod is healthy again.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    h.run();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    h.run();
    assert!(find_element(h.state_mut().world_mut(), "GB7").is_none());
    headless::advance(h.state_mut(), 3);
    h.run();
    assert!(h.query_by_label("No limit is exceeded.").is_some(), "alerts clear after undo");
}

#[test]
fn save_as_writes_the_canonical_file_and_unsaved_changes_prompt_before_opening_another() {
    use dctwin::app::state::{Dialog, OpenFile};
    use dctwin::edit::EditHistory;

    let dir = std::env::temp_dir().join(format!("dctwin-ui-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut h = harness("small_2n_room.ron", 1);
    h.state_mut().world_mut().resource_mut::<EditorState>().select_only("R1");
    h.run();
    h.get_by_label("Delete").click();
    h.run();
    assert!(h.state().world().resource::<EditHistory>().is_dirty());
    assert!(dctwin::app::files::title(h.state().world()).starts_with("● "), "title marks unsaved changes");

    // Save as: the path field, then Save.
    let target = dir.join("saved.ron");
    h.get_by_label("Save as…").click();
    h.run();
    assert!(h.query_by_label("Save site as").is_some(), "the Save as dialog opens");
    h.state_mut().world_mut().resource_mut::<EditorState>().dialog = Some(Dialog::SaveAs(target.display().to_string()));
    h.run();
    h.get_by_label("Save to this file").click();
    h.run();
    assert!(!h.state().world().resource::<EditHistory>().is_dirty());
    assert_eq!(h.state().world().resource::<OpenFile>().path.as_deref(), Some(target.as_path()));
    let saved = load(&target);
    assert!(saved.racks.iter().all(|r| r.id != "R1"));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), saved.to_ron_string(), "saved text is canonical");

    // Another edit, then Open: the prompt appears and Cancel keeps everything.
    h.state_mut().world_mut().resource_mut::<EditorState>().select_only("R2");
    h.run();
    h.get_by_label("Delete").click();
    h.run();
    let other = root().join("sites/overloaded_room.ron").display().to_string();
    h.state_mut().world_mut().resource_mut::<EditorState>().dialog = Some(Dialog::Open(other.clone()));
    h.run();
    h.get_by_label("Open").click();
    h.run();
    assert!(h.query_by_label("The site has changes that are not saved.").is_some(), "prompt before losing changes");
    h.get_by_label("Cancel").click();
    h.run();
    assert!(find_element(h.state_mut().world_mut(), "R3").is_some(), "still the small room");
    // Discarding opens the other file.
    h.state_mut().world_mut().resource_mut::<EditorState>().dialog = Some(Dialog::Open(other));
    h.run();
    h.get_by_label("Open").click();
    h.run();
    h.get_by_label("Discard changes").click();
    h.run();
    assert!(find_element(h.state_mut().world_mut(), "PDU-1").is_some(), "overloaded room is open");
    assert!(!h.state().world().resource::<EditHistory>().is_dirty());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_broken_file_is_refused_with_its_location_and_the_open_site_is_kept() {
    use dctwin::app::state::Dialog;
    let dir = std::env::temp_dir().join(format!("dctwin-ui-broken-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let broken = dir.join("broken.ron");
    std::fs::write(&broken, "(version: 1, name: \"x\", racks: [ (id: \"R1\" ]").unwrap();
    let mut h = harness("small_2n_room.ron", 1);
    h.state_mut().world_mut().resource_mut::<EditorState>().dialog = Some(Dialog::Open(broken.display().to_string()));
    h.run();
    h.get_by_label("Open").click();
    h.run();
    let msg = editor(&h).message.unwrap();
    assert!(msg.1, "shown as an error");
    assert!(msg.0.contains("broken.ron:1:"), "names file and line: {}", msg.0);
    assert!(find_element(h.state_mut().world_mut(), "R1").is_some(), "the open site is untouched");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_search_box_selects_and_centres_an_element_by_id() {
    let mut h = harness("gb200_pod.ron", 1);
    h.run();
    h.get_by_role(Role::TextInput).focus();
    h.run();
    h.get_by_role(Role::TextInput).type_text("pdu-b2");
    h.run();
    h.run();
    h.key_press(egui::Key::Enter);
    h.run();
    let e = editor(&h);
    assert_eq!(e.selection, vec!["PDU-B2".to_string()], "case-insensitive exact match");
    assert_eq!(e.center_on.as_deref(), Some("PDU-B2"));
}

#[test]
fn the_single_line_diagram_follows_the_power_tree_and_selects_on_click() {
    use dctwin::app::ui::sld::layout;
    let mut h = harness("gb200_pod.ron", 1);
    let tree = layout(h.state_mut().world_mut());
    let ids: Vec<(&str, usize, usize)> = tree.nodes.iter().map(|n| (n.id.as_str(), n.depth, n.racks.len())).collect();
    assert_eq!(ids[0], ("UTIL-1", 0, 0));
    assert_eq!(ids[1], ("T1", 1, 0));
    // Every PDU is under T1 with its two racks grouped below it; MCC-1 feeds no racks.
    for pdu in ["PDU-A1", "PDU-A2", "PDU-A3", "PDU-B1", "PDU-B2", "PDU-B3"] {
        let i = ids.iter().position(|(id, _, r)| *id == pdu && *r == 0).unwrap();
        assert_eq!(ids[i].1, 2);
        assert_eq!(tree.nodes[tree.nodes[i].parent.unwrap()].id, "T1");
        assert_eq!(ids[i + 1], (pdu, 3, 2), "{pdu}'s racks grouped below it");
    }
    assert_eq!(tree.rows, 7, "six rack groups and MCC-1");
    // The diagram is painted; click where the T1 box is drawn (column 1, its row) and it is selected.
    *h.state_mut().world_mut().resource_mut::<dctwin::app::ui::BottomTab>() = dctwin::app::ui::BottomTab::SingleLine;
    h.run();
    // Only the rows in view are drawn (and clickable); the first rows are.
    h.get_by_label("node MCC-1").click();
    h.run();
    assert_eq!(editor(&h).selection, vec!["MCC-1".to_string()]);
    assert_eq!(editor(&h).center_on.as_deref(), Some("MCC-1"));
    h.get_by_label("node PDU-A1 racks").click();
    h.run();
    assert_eq!(editor(&h).selection, vec!["GB1".to_string(), "GB2".to_string()], "a group selects its racks");
}

/// The failure study in the window: on the pod, take PDU-A1 and PDU-B1 out through the
/// inspector's button; GB1 shows no power and the racks' heat leaves the CDU; undo returns the
/// simulation to before (no stale critical alerts); Reset clears everything to steady state.
#[test]
fn taking_both_feeds_out_in_the_inspector_drops_the_rack_and_undo_returns_to_before() {
    use dctwin::sim::limits::{AlertLog, Severity};
    use dctwin::sim::thermal::CoolingPlant;
    let mut h = harness("gb200_pod.ron", 5);
    for pdu in ["PDU-A1", "PDU-B1"] {
        h.state_mut().world_mut().resource_mut::<EditorState>().select_only(pdu);
        h.run();
        h.get_by_label("Take out of service").click();
        h.run();
        headless::advance(h.state_mut(), 2);
    }
    let gb1 = rack_power(h.state_mut(), "GB1");
    assert!(!gb1.powered && gb1.p_kw == 0.0 && gb1.b.unwrap().current_a == 0.0, "{gb1:?}");
    let cdu_heat = |h: &Harness<'_, App>| h.state().world().resource::<CoolingPlant>().cdus[0].rack_heat_w;
    assert!((cdu_heat(&h) - 4.0 * 132e3 * 0.875).abs() < 1e-6, "CDU-1 carries four racks");
    h.state_mut().world_mut().resource_mut::<EditorState>().select_only("GB1");
    h.run();
    assert!(h.query_all_by_label_contains("Powered").next().is_some());
    let critical = |h: &Harness<'_, App>| {
        h.state().world().resource::<AlertLog>().active().iter().filter(|a| a.severity == Severity::Critical).count()
    };
    assert!(critical(&h) >= 2, "GB1 and GB2 without power");
    for _ in 0..2 {
        h.get_by_label("Undo").click();
        h.run();
    }
    assert_eq!(critical(&h), 0, "undo returns to before the failures");
    headless::advance(h.state_mut(), 1);
    assert!(rack_power(h.state_mut(), "GB1").powered);
    assert!((cdu_heat(&h) - 6.0 * 132e3 * 0.875).abs() < 1e-6);
    h.get_by_label("Reset").click();
    h.run();
    assert!(h.state().world().resource::<AlertLog>().alerts.is_empty());
    assert!(h.query_all_by_label_contains("Reset to steady state").next().is_some(), "status bar says so");
}

/// An edit redraws only the sprites it touched: the others keep their entities, and the plan's
/// index equals a full rebuild's.
#[test]
fn an_edit_redraws_only_the_sprites_it_touched() {
    use dctwin::app::plan::{PlanIndex, PlanItem, PlanRevision, rebuild_items, sync_items};
    use std::collections::BTreeMap;
    let site = load(&root().join("sites/small_2n_room.ron"));
    let mut app = headless::build_app(&site, &Catalog::builtin(), dctwin::sim::DEFAULT_STEP);
    app.init_resource::<PlanIndex>().init_resource::<PlanRevision>().init_resource::<dctwin::app::perf::AppTimings>();
    app.add_systems(Update, sync_items);
    app.update();
    let sprites = |app: &mut App| -> BTreeMap<String, Entity> {
        let w = app.world_mut();
        w.query::<(Entity, &PlanItem)>().iter(w).map(|(e, i)| (i.id.clone(), e)).collect()
    };
    let first = sprites(&mut app);
    assert_eq!(first.len(), dctwin::site::element::SiteElement::all_of(&site).len());

    let w = app.world_mut();
    let placed =
        dctwin::edit::ops::place(w, dctwin::kinds::EquipmentKind::Rack, "dgx-b200-x4", (20.0, 12.0), 0.1).unwrap();
    dctwin::edit::apply(w, placed).unwrap();
    let moved = dctwin::edit::ops::move_by(w, &["R3".to_string()], (0.0, -8.0), 0.1).unwrap();
    dctwin::edit::apply(w, moved).unwrap();
    app.update();
    let second = sprites(&mut app);
    let redrawn: Vec<&String> = second.iter().filter(|(id, e)| first.get(*id) != Some(e)).map(|(id, _)| id).collect();
    assert_eq!(redrawn, vec!["R3", "R41"], "only the placed and the moved rack are redrawn");

    let incremental = app.world().resource::<PlanIndex>().items.clone();
    let w = app.world_mut();
    dctwin::edit::undo(w).unwrap();
    dctwin::edit::undo(w).unwrap();
    app.update();
    assert_eq!(sprites(&mut app).len(), first.len());
    // The index kept by redrawing equals one rebuilt from scratch.
    let w = app.world_mut();
    dctwin::edit::redo(w).unwrap();
    dctwin::edit::redo(w).unwrap();
    app.update();
    let kept = app.world().resource::<PlanIndex>().items.clone();
    rebuild_items(app.world_mut());
    let rebuilt = app.world().resource::<PlanIndex>().items.clone();
    let key = |m: &BTreeMap<String, PlanItem>| -> Vec<String> { m.values().map(|i| format!("{i:?}")).collect() };
    assert_eq!(key(&kept), key(&rebuilt));
    assert_eq!(key(&kept), key(&incremental));
}

#[test]
fn saving_over_a_bundled_example_asks_first_and_suggests_a_copy() {
    use dctwin::app::files;
    use dctwin::app::state::{Dialog, OpenFile};

    let example = root().join("sites/gb200_pod.ron");
    let before = std::fs::read(&example).unwrap();
    assert!(
        files::is_bundled_example(&example) && files::is_bundled_example(std::path::Path::new("sites/gb200_pod.ron"))
    );
    let mut h = harness("gb200_pod.ron", 1);
    h.state_mut().world_mut().insert_resource(OpenFile { path: Some(example.clone()), ..Default::default() });
    h.state_mut().world_mut().resource_mut::<EditorState>().select_only("GB1");
    h.run();
    h.get_by_label("Delete").click();
    h.run();
    // Ctrl+S: a question, not a write.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
    h.run();
    assert_eq!(editor(&h).dialog, Some(Dialog::ConfirmOverwriteExample(example.display().to_string())));
    assert!(h.query_by_label_contains("is an example that comes with dctwin").is_some());
    assert_eq!(std::fs::read(&example).unwrap(), before, "the example is untouched");
    // "Save a copy…" suggests a new file outside the examples.
    h.get_by_label("Save a copy…").click();
    h.run();
    let Some(Dialog::SaveAs(suggested)) = editor(&h).dialog else { panic!("Save as opens") };
    let suggested = std::path::PathBuf::from(suggested);
    assert!(suggested.file_name().unwrap().to_string_lossy().starts_with("gb200_pod-copy"), "{suggested:?}");
    assert!(!files::is_bundled_example(&suggested) && !suggested.exists());
    // Typing an example's path into Save as asks too.
    h.state_mut().world_mut().resource_mut::<EditorState>().dialog =
        Some(Dialog::SaveAs(example.display().to_string()));
    h.run();
    h.get_by_label("Save to this file").click();
    h.run();
    assert!(matches!(editor(&h).dialog, Some(Dialog::ConfirmOverwriteExample(_))));
    h.get_by_label("Cancel").click();
    h.run();
    assert_eq!(editor(&h).dialog, None);
    assert_eq!(std::fs::read(&example).unwrap(), before, "still untouched");
}

#[test]
fn save_as_suggests_a_new_name_beside_the_open_file() {
    use dctwin::app::state::{Dialog, OpenFile};

    let dir = std::env::temp_dir().join(format!("dctwin-ui-save-as-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mine = dir.join("room.ron");
    std::fs::copy(root().join("sites/small_2n_room.ron"), &mine).unwrap();
    std::fs::write(dir.join("room-copy.ron"), "taken").unwrap();
    let mut h = harness("small_2n_room.ron", 1);
    h.state_mut().world_mut().insert_resource(OpenFile { path: Some(mine.clone()), ..Default::default() });
    h.get_by_label("Save as…").click();
    h.run();
    assert_eq!(editor(&h).dialog, Some(Dialog::SaveAs(dir.join("room-copy-2.ron").display().to_string())));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_broken_file_is_refused_before_the_unsaved_changes_prompt() {
    use dctwin::app::state::Dialog;

    let mut h = harness("small_2n_room.ron", 1);
    h.state_mut().world_mut().resource_mut::<EditorState>().select_only("R1");
    h.run();
    h.get_by_label("Delete").click();
    h.run();
    let broken = root().join("tests/bad_sites/cooling_unknown_zone.ron").display().to_string();
    h.state_mut().world_mut().resource_mut::<EditorState>().dialog = Some(Dialog::Open(broken.clone()));
    h.run();
    h.get_by_label("Open").click();
    h.run();
    assert!(
        h.query_by_label("The site has changes that are not saved.").is_none(),
        "no question for a file that cannot open"
    );
    let (message, is_error) = editor(&h).message.unwrap();
    assert!(is_error && message.contains("cooling_unknown_zone.ron:"), "{message}");
    assert_eq!(editor(&h).dialog, Some(Dialog::Open(broken)), "the dialog stays for another path");
    assert!(find_element(h.state_mut().world_mut(), "R1").is_none(), "the edited site is kept as it was");
}

#[test]
fn undoing_a_placement_drops_it_from_the_selection() {
    let mut h = harness("small_2n_room.ron", 1);
    h.get_by_label("dgx-b200-x4").click();
    h.run();
    use_tool_at(h.state_mut().world_mut(), Vec2::new(20.04, 12.13), None);
    h.run();
    let placed = editor(&h).selection;
    assert_eq!(placed.len(), 1);
    h.get_by_label("Undo").click();
    h.run();
    assert!(editor(&h).selection.is_empty(), "no stale selection: {:?}", editor(&h).selection);
    assert!(h.query_by_label(&placed[0]).is_none(), "the inspector does not show the removed rack");
    h.get_by_label("Redo").click();
    h.run();
    assert!(find_element(h.state_mut().world_mut(), &placed[0]).is_some());
}

#[test]
fn a_long_refusal_message_wraps_and_the_side_panel_keeps_its_width() {
    let mut h = harness("small_2n_room.ron", 1);
    h.state_mut().world_mut().resource_mut::<EditorState>().select_only("PDU-A1");
    h.run();
    let left_before = h.get_by_label("Inspector").rect().left();
    h.get_by_role_and_label(Role::TextInput, "voltage (kV)").focus();
    h.run();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_role_and_label(Role::TextInput, "voltage (kV)").type_text("4.16");
    h.run();
    h.key_press(egui::Key::Enter);
    h.run();
    h.run();
    let (message, is_error) = editor(&h).message.unwrap();
    assert!(is_error && message.len() > 80, "a long refusal: {message}");
    let left_after = h.get_by_label("Inspector").rect().left();
    assert!(
        left_after >= 1600.0 * 0.6 - 1.0,
        "the right panel stays within 40 % of the window: starts at x = {left_after}"
    );
    assert!((left_after - left_before).abs() < 1.0, "and keeps its width: {left_before} -> {left_after}");
}

#[test]
fn the_legend_says_how_racks_are_coloured_and_folds_away() {
    let mut h = harness("gb200_pod.ron", 1);
    h.run();
    assert!(h.query_by_label("racks: the loading of their busiest feed").is_some());
    h.get_by_label("Electrical loading").click();
    h.run();
    h.run();
    assert!(h.query_by_label("racks: the loading of their busiest feed").is_none(), "folded");
    assert!(h.query_by_label("Electrical loading").is_some(), "its title stays to unfold it");
}

/// The plan's headroom colours say what the headroom table says: PDU-A3 of the pod binds on
/// its breaker's continuous rating (80 %), not on 100 % of the breaker.
#[test]
fn headroom_colours_use_the_margin_of_the_limit_that_binds_first() {
    use dctwin::app::status::{SiteStatus, refresh_status};
    use dctwin::sim::limits::LimitKind;

    let mut h = harness("gb200_pod.ron", 5);
    let world = h.state_mut().world_mut();
    refresh_status(world);
    let row = dctwin::sim::limits::headroom(world)
        .iter()
        .find(|r| r.limit == LimitKind::BreakerContinuous)
        .cloned()
        .expect("a breaker row");
    assert_eq!(row.element, "PDU-A3");
    let status = world.resource::<SiteStatus>().by_id["PDU-A3"].clone();
    let colour_margin = status.headroom_pct.unwrap();
    assert!((colour_margin - row.margin_pct).abs() < 1e-9, "colour {colour_margin} % vs table {} %", row.margin_pct);
    let naive = 100.0 - status.loading_pct.unwrap();
    assert!(naive - colour_margin > 10.0, "not 100 % minus the loading ({naive} %)");
    // A rack shows its tighter feed's margin (its inlet is far from its limit here).
    let rack = world.resource::<SiteStatus>().by_id["GB5"].clone();
    let feeds = ["PDU-A3", "PDU-B3"].map(|f| world.resource::<SiteStatus>().by_id[f].headroom_pct.unwrap());
    assert!((rack.headroom_pct.unwrap() - feeds[0].min(feeds[1])).abs() < 1e-9);
}

#[test]
fn reset_layout_brings_folded_sections_back() {
    let mut h = harness("gb200_pod.ron", 1);
    h.run();
    let headroom = "Headroom (first reached as IT load grows)";
    assert!(h.query_by_label(headroom).is_some());
    h.get_by_label("Limits").click();
    h.run();
    h.run();
    assert!(h.query_by_label(headroom).is_none(), "folded");
    h.get_by_label("Reset layout").click();
    h.run();
    h.run();
    assert!(h.query_by_label(headroom).is_some(), "back after Reset layout");
}

/// Issue 14's "answers before you click": picking a GB200 rack and pointing next to row 1 shows
/// what the rack would do to the PDU, the transformer and the CDU before the click, and the
/// click then does what the preview said.
#[test]
fn the_placement_preview_shows_the_pdu_loading_before_the_click() {
    let mut h = harness("gb200_pod.ron", 3);
    h.get_by_label("gb200-nvl72").click();
    h.run();
    h.state_mut().world_mut().resource_mut::<EditorState>().hovered_floor = Some(Vec2::new(1.2, 0.0));
    h.run();
    let preview = editor(&h).preview.expect("a preview").1.expect("placeable");
    assert_eq!(preview.id, "GB7");
    let line =
        |id: &str| preview.lines.iter().find(|l| l.element == id).unwrap_or_else(|| panic!("{id} listed")).clone();
    let (pdu, t1) = (line("PDU-A1"), line("T1"));
    assert!(pdu.now_pct < 100.0 && pdu.after_pct > 100.0, "{pdu:?}");
    assert!(line("CDU-1").after_pct > line("CDU-1").now_pct);
    assert_eq!(preview.first_crossed().map(|l| l.element.as_str()), Some("PDU-A1"));
    let label = format!("PDU-A1 loading: {:.0} % ▶ {:.0} %", pdu.now_pct, pdu.after_pct);
    assert!(h.query_by_label(&label).is_some(), "shown: `{label}`");
    assert!(h.query_by_label("PDU-A1 would go over its limit first").is_some());
    // The click, then one step: the loadings the preview gave (cooling power moves a little).
    assert_eq!(world_to_site(h.state_mut().world_mut()).racks.len(), 6, "nothing placed yet");
    use_tool_at(h.state_mut().world_mut(), Vec2::new(1.2, 0.0), None);
    h.run();
    headless::advance(h.state_mut(), 1);
    for (id, expected) in [("PDU-A1", pdu.after_pct), ("T1", t1.after_pct)] {
        let got = state(h.state_mut(), id).loading_pct;
        assert!((got - expected).abs() < 0.5, "{id}: preview {expected:.2} %, placed {got:.2} %");
    }
}

/// The bottom panel keeps its size frame after frame (it used to creep by a few pixels a frame,
/// down to ~100 px or up over the plan, depending on its content).
#[test]
fn the_charts_panel_keeps_its_size() {
    let mut h = harness("gb200_pod.ron", 30);
    h.run();
    let top = h.get_by_label("Charts").rect().top();
    for _ in 0..60 {
        h.run();
    }
    let after = h.get_by_label("Charts").rect().top();
    assert!((after - top).abs() < 0.5, "the Charts tab moved from y = {top} to {after}");
    assert!(900.0 - after > 200.0, "and the panel is tall enough to read: top at y = {after}");
}

/// A CDU out of service has no capacity: the preview says so instead of printing `inf %`.
#[test]
fn the_placement_preview_names_a_unit_without_capacity() {
    let mut h = harness("gb200_pod.ron", 2);
    let e = dctwin::edit::ops::set_in_service(h.state_mut().world_mut(), "CDU-1", false).unwrap();
    dctwin::edit::apply(h.state_mut().world_mut(), e).unwrap();
    headless::advance(h.state_mut(), 2);
    h.get_by_label("gb200-nvl72").click();
    h.run();
    h.state_mut().world_mut().resource_mut::<EditorState>().hovered_floor = Some(Vec2::new(1.2, 0.0));
    h.run();
    let preview = editor(&h).preview.expect("a preview").1.expect("placeable");
    let cdu = preview.lines.iter().find(|l| l.element == "CDU-1").expect("CDU-1 listed");
    assert!(!cdu.after_pct.is_finite(), "{cdu:?}");
    assert!(h.query_by_label_contains("CDU-1 heat: no capacity ▶ no capacity").is_some());
    assert!(h.query_all_by_label_contains("inf").next().is_none(), "no `inf` on screen");
}

/// A rating far from its model's figure (a breaker typed in the wrong unit) is applied, since it
/// is a valid number, but the status line warns: issue 14's plausibility warning, not a refusal.
#[test]
fn a_rating_far_from_its_model_is_applied_with_a_warning() {
    let mut h = harness("small_2n_room.ron", 2);
    let w = h.state_mut().world_mut();
    dctwin::app::ui::inspector::submit_rating(w, "PDU-A1", "breaker_a", "9000");
    let e = find_element(w, "PDU-A1").unwrap();
    assert_eq!(w.get::<Distribution>(e).unwrap().0.breaker_a, 9000.0, "applied");
    let (text, _) = w.resource::<EditorState>().message.clone().expect("a message");
    assert!(text.contains("9000 A is 22× the pdu-415v-400a's 400 A"), "{text}");
    // A figure near the model's is applied without a word of warning.
    dctwin::app::ui::inspector::submit_rating(w, "PDU-A1", "breaker_a", "250");
    let (text, is_error) = w.resource::<EditorState>().message.clone().expect("a message");
    assert!(!is_error && !text.contains("check"), "{text}");
}

/// A grid outage from the inspector (the utility out of service) shows in the Timeline tab:
/// the UPS to battery, the transfer switch calling the generator, the cooling stopping.
#[test]
fn the_timeline_tab_shows_what_a_grid_outage_set_off() {
    let mut h = harness("standby_power_room.ron", 5);
    h.state_mut().world_mut().resource_mut::<EditorState>().select_only("UTIL-1");
    h.run();
    h.get_by_label("Take out of service").click();
    h.run();
    headless::advance(h.state_mut(), 20);
    h.get_by_label("Timeline").click();
    h.run();
    for text in [
        "UPS-1 on battery: its input is lost",
        "ATS-1 calls GEN-1 to start",
        "GEN-1 starting (10 s to rated voltage and frequency)",
    ] {
        assert!(h.query_all_by_label_contains(text).next().is_some(), "{text}");
    }
    assert!(h.query_all_by_label_contains("cooling units stop, their power lost").next().is_some());
}

/// A scenario played in the app: its events run from t = 0, the Timeline tab shows what
/// followed, Restart plays it again from the start, saving is refused while it plays, and Stop
/// returns to the site it started from.
#[test]
fn a_scenario_plays_in_the_app_restarts_and_stops() {
    let mut h = harness("standby_power_room.ron", 5);
    let before = world_to_site(h.state_mut().world_mut());
    let scenario = dctwin::app::scenario::load(
        h.state_mut().world_mut(),
        &root().join("scenarios/standby_power_room_grid_outage.ron"),
    )
    .unwrap();
    dctwin::app::scenario::play(h.state_mut().world_mut(), scenario);
    assert_eq!(h.state().world().resource::<dctwin::sim::SimClock>().steps, 0, "from t = 0");
    headless::advance(h.state_mut(), 120);
    h.get_by_label("Timeline").click();
    h.run();
    assert!(h.query_all_by_label_contains("Scenario: Grid outage with standby generator").next().is_some());
    assert!(h.query_all_by_label_contains("1 of 2 events played").next().is_some());
    assert!(h.query_all_by_label_contains("ATS-1 transfers its load to GEN-1").next().is_some());
    // Saving the running site (UTIL-1 out by the scenario) is refused.
    let err = dctwin::app::files::save(h.state_mut().world_mut(), &std::env::temp_dir().join("dctwin-never.ron"));
    assert!(err.unwrap_err().contains("stop it first"));
    h.get_by_label("Restart").click();
    h.run();
    assert_eq!(h.state().world().resource::<dctwin::sim::SimClock>().steps, 0, "Restart: from t = 0 again");
    assert!(h.query_all_by_label_contains("0 of 2 events played").next().is_some());
    headless::advance(h.state_mut(), 70);
    h.run();
    assert!(h.query_all_by_label_contains("UPS-1 on battery").next().is_some(), "played again");
    h.get_by_label("Stop").click();
    h.run();
    assert_eq!(world_to_site(h.state_mut().world_mut()), before, "Stop: the site it started from");
    assert!(h.query_all_by_label_contains("No scenario playing").next().is_some());
}

/// The Play scenario dialog refuses a broken scenario with its location and keeps the run.
#[test]
fn a_broken_scenario_is_refused_in_the_dialog() {
    let dir = std::env::temp_dir().join(format!("dctwin-app-scenario-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.ron");
    std::fs::write(&bad, "(name: \"x\",\n events: [(at: \"1m\", event: Fail(\"NOPE\"))])").unwrap();
    let mut h = harness("standby_power_room.ron", 5);
    h.get_by_label("Timeline").click();
    h.run();
    h.get_by_label("Play scenario…").click();
    h.run();
    use dctwin::app::state::Dialog;
    assert_eq!(editor(&h).dialog, Some(Dialog::OpenScenario(String::new())));
    h.state_mut().world_mut().resource_mut::<EditorState>().dialog =
        Some(Dialog::OpenScenario(bad.display().to_string()));
    h.run();
    h.get_by_label("Play").click();
    h.run();
    let e = editor(&h);
    let msg = e.message.as_ref().map(|m| m.0.clone()).unwrap_or_default();
    assert!(msg.contains("bad.ron:2:") && msg.contains("no element \"NOPE\" in the site"), "{msg}");
    assert!(h.state().world().get_resource::<dctwin::app::scenario::PlayingScenario>().is_none());
    assert_eq!(h.state().world().resource::<dctwin::sim::SimClock>().steps, 5, "the run goes on untouched");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The utility's rules watched in the app: a synchronised training job on the AI hall breaks
/// ERCOT's 5 s rule in the Timeline tab, and the battery button sizes what fixes it (the same
/// search as --size-storage).
#[test]
fn grid_rules_are_watched_in_the_app_and_a_battery_is_sized() {
    let mut h = harness("ai_hall_20mw.ron", 0);
    let scenario =
        dctwin::app::scenario::load(h.state_mut().world_mut(), &root().join("scenarios/ai_hall_20mw_training_job.ron"))
            .unwrap();
    dctwin::app::scenario::play(h.state_mut().world_mut(), scenario);
    h.get_by_label("Timeline").click();
    h.run();
    let ercot = dctwin::scenario::rules::load("ercot").unwrap();
    h.state_mut().world_mut().resource_mut::<dctwin::scenario::live::GridWatch>().set_rules(Some(ercot));
    headless::advance(h.state_mut(), 120);
    h.run();
    assert!(h.query_all_by_label_contains("peak-to-peak ≤ 10 MW in any 5 s: worst 12.7").next().is_some());
    assert!(h.query_all_by_label("FAIL").next().is_some());
    h.get_by_label("Size a facility battery").click();
    h.run();
    let msg = editor(&h).message.map(|m| m.0).unwrap_or_default();
    assert!(msg.starts_with("A facility battery of 2.8"), "{msg}");
}

/// The Capacity tab: ask how many more 12 kW racks fit in the small room, wait for the search's
/// thread, read the same answer the library gives, place them with one click (one edit: every
/// new rack, at the reported positions) and take them all back with one undo.
#[test]
fn the_capacity_tab_places_the_answer_in_one_undoable_edit() {
    use dctwin::app::capacity::CapacityStudy;
    let mut h = harness("small_2n_room.ron", 2);
    *h.state_mut().world_mut().resource_mut::<dctwin::app::ui::BottomTab>() = dctwin::app::ui::BottomTab::Capacity;
    h.run();
    h.state_mut().world_mut().resource_mut::<CapacityStudy>().model = "legacy-air-12kw".into();
    h.get_by_label("How many more fit?").click();
    // A spinner repaints while the search runs: step frames, not run to rest.
    h.step();
    let started = std::time::Instant::now();
    while h.state().world().resource::<CapacityStudy>().search.answer.is_none() {
        assert!(started.elapsed().as_secs() < 300, "the search finishes");
        std::thread::sleep(std::time::Duration::from_millis(50));
        h.step();
    }
    h.run();
    let site = world_to_site(h.state_mut().world_mut());
    let expected = dctwin::study::capacity::capacity(
        &site,
        &Catalog::builtin(),
        &dctwin::study::capacity::CapacityOptions { model: "legacy-air-12kw".into(), ..Default::default() },
        &|_| {},
    )
    .unwrap();
    assert!(expected.racks > 0);
    let shown = format!("{} more legacy-air-12kw racks fit", expected.racks);
    assert!(h.query_all_by_label_contains(&shown).next().is_some(), "{shown}");
    assert!(h.query_all_by_label_contains("Binds first: ").next().is_some());
    let racks_before = site.racks.len();
    h.get_by_label(&format!("Place {} racks", expected.racks)).click();
    h.run();
    let after = world_to_site(h.state_mut().world_mut());
    assert_eq!(after.racks.len(), racks_before + expected.racks as usize);
    for p in &expected.places {
        for (id, position) in &p.new_racks {
            let r = after.racks.iter().find(|r| &r.id == id).unwrap_or_else(|| panic!("{id} placed"));
            assert_eq!(
                (r.position_m, r.feed_a.as_str(), r.model.as_str()),
                (*position, p.place.feed_a.as_str(), "legacy-air-12kw")
            );
        }
    }
    dctwin::app::ui::do_undo(h.state_mut().world_mut());
    h.run();
    assert_eq!(world_to_site(h.state_mut().world_mut()).racks.len(), racks_before, "one undo takes them all back");
}

/// The Capacity tab's expansion options: rank them, read the best per $ as the library ranks
/// it, build it with one click (its changes and its racks in one edit) and undo it all at once.
#[test]
fn the_capacity_tab_builds_an_expansion_option_in_one_undoable_edit() {
    use dctwin::app::capacity::CapacityStudy;
    let mut h = harness("small_2n_room.ron", 2);
    *h.state_mut().world_mut().resource_mut::<dctwin::app::ui::BottomTab>() = dctwin::app::ui::BottomTab::Capacity;
    h.run();
    h.state_mut().world_mut().resource_mut::<CapacityStudy>().model = "legacy-air-12kw".into();
    h.get_by_label("Ways to fit more").click();
    h.step();
    let started = std::time::Instant::now();
    while h.state().world().resource::<CapacityStudy>().expansion.answer.is_none() {
        assert!(started.elapsed().as_secs() < 300, "the ranking finishes");
        std::thread::sleep(std::time::Duration::from_millis(50));
        h.step();
    }
    h.run();
    let site = world_to_site(h.state_mut().world_mut());
    let expected = dctwin::study::expand::expand(
        &site,
        &Catalog::builtin(),
        &dctwin::study::expand::ExpandOptions { model: "legacy-air-12kw".into(), ..Default::default() },
        &|_| {},
    )
    .unwrap();
    let best = &expected.options[0];
    let shown = format!("#1 per $: {:+.2} MW ({:+} racks)", best.mw_unlocked, best.racks_unlocked);
    assert!(h.query_all_by_label_contains(&shown).next().is_some(), "{shown}");
    let built = best.applied(&site).unwrap();
    h.get_all_by_label("Build").next().unwrap().click();
    h.run();
    let after = world_to_site(h.state_mut().world_mut());
    assert_eq!(after, built.canonical(), "the site is the option built");
    dctwin::app::ui::do_undo(h.state_mut().world_mut());
    h.run();
    assert_eq!(world_to_site(h.state_mut().world_mut()), site, "one undo takes it all back");
}

/// The alert list groups by cause: with the B side's UPS out, one collapsed line says what
/// follows from it (every rack on one cord), a click on it selects UPS-B.
#[test]
fn alerts_are_grouped_under_their_cause() {
    let mut h = harness("small_2n_room.ron", 3);
    let e = dctwin::edit::ops::set_in_service(h.state_mut().world_mut(), "UPS-B", false).unwrap();
    dctwin::edit::apply(h.state_mut().world_mut(), e).unwrap();
    headless::advance(h.state_mut(), 5);
    h.run();
    assert!(h.query_all_by_label_contains("× redundancy").next().is_some());
    h.get_by_label_contains("WARN UPS-B: out of service — ").click();
    h.run();
    assert_eq!(editor(&h).selection, vec!["UPS-B".to_string()]);
    // Collapsed: no single rack's line shows until the group is opened.
    assert!(h.query_all_by_label_contains("· redundancy").next().is_none());
}

/// Fits the plan of the harness's site into the plan area, as the app does on opening.
fn fit_plan(h: &mut Harness<'_, App>) {
    use dctwin::app::plan::{PlanIndex, PlanView, refresh_plan};
    h.run();
    let w = h.state_mut().world_mut();
    refresh_plan(w);
    let rect = w.resource::<dctwin::app::state::UiFocus>().plan_rect.expect("the plan area is laid out");
    let mut view = *w.resource::<PlanView>();
    view.window_px = Vec2::new(1600.0, 900.0);
    let items: Vec<dctwin::app::plan::PlanItem> = w.resource::<PlanIndex>().items.values().cloned().collect();
    dctwin::app::plan::fit_site(&mut view, items.iter(), Some(rect));
    w.insert_resource(view);
    refresh_plan(w);
    h.run();
}

/// The labels drawn in the last frame, checked for what makes a plan legible: none overlaps
/// another, a rack's label lies inside its rack, all lie in the plan area.
fn legible_labels(h: &Harness<'_, App>) -> Vec<dctwin::app::ui::labels::PlanLabel> {
    use dctwin::app::ui::labels::{LabelOf, PlanLabels};
    let w = h.state().world();
    let labels = w.resource::<PlanLabels>().0.clone();
    let area = w.resource::<dctwin::app::state::UiFocus>().plan_rect.unwrap();
    for (i, a) in labels.iter().enumerate() {
        assert!(area.contains_rect(a.rect), "{} lies in the plan area", a.text);
        for b in &labels[i + 1..] {
            assert!(!a.rect.intersects(b.rect), "labels {} and {} overlap", a.text, b.text);
        }
        if a.of == LabelOf::Rack {
            assert!(a.owner.expand(0.5).contains_rect(a.rect), "rack label {} inside its rack", a.text);
        }
    }
    labels
}

/// At fit zoom the AI hall's 150 racks are drawn as their 10 rows, the CRAHs on a wall as one
/// labelled line, the rooms named, and no label runs into another; zoomed in, every rack in view
/// carries its own id inside it.
#[test]
fn the_plan_reads_at_fit_zoom_and_zoomed_in() {
    use dctwin::app::plan::{PlanRows, PlanView, refresh_plan};
    use dctwin::app::ui::labels::LabelOf;
    let mut h = harness("ai_hall_20mw.ron", 2);
    fit_plan(&mut h);
    let rows = h.state().world().resource::<PlanRows>().clone();
    assert!(!rows.detail, "racks are specks at fit zoom: rows stand for them");
    assert_eq!(rows.rows.len(), 10);
    assert!(rows.rows.iter().all(|r| r.members.len() == 15));
    let labels = legible_labels(&h);
    let texts = |of: LabelOf| -> Vec<String> { labels.iter().filter(|l| l.of == of).map(|l| l.text.clone()).collect() };
    assert!(texts(LabelOf::Room).contains(&"DATA-HALL".to_string()), "{labels:?}");
    assert!(texts(LabelOf::Rack).is_empty(), "no rack labels at fit zoom");
    assert!(
        texts(LabelOf::Block).iter().any(|t| t.starts_with("CRAH-1–CRAH-8")),
        "the south wall's CRAHs are one labelled line: {:?}",
        texts(LabelOf::Block)
    );

    // Zoomed in on the first row: every rack drawn, each labelled inside itself.
    let w = h.state_mut().world_mut();
    let mut view = *w.resource::<PlanView>();
    view.m_per_px = 0.012;
    view.center_m = Vec2::new(4.2, 1.2);
    w.insert_resource(view);
    refresh_plan(w);
    h.run();
    assert!(h.state().world().resource::<PlanRows>().detail);
    let labels = legible_labels(&h);
    let racks: Vec<&str> = labels.iter().filter(|l| l.of == LabelOf::Rack).map(|l| l.text.as_str()).collect();
    // Every rack wholly in view carries its label.
    let w = h.state().world();
    let view = *w.resource::<PlanView>();
    let area = w.resource::<dctwin::app::state::UiFocus>().plan_rect.unwrap();
    let mut in_view = 0;
    for item in w.resource::<dctwin::app::plan::PlanIndex>().items.values() {
        let (a, b) =
            (view.to_screen(item.center_m - item.size_m / 2.0), view.to_screen(item.center_m + item.size_m / 2.0));
        let screen = egui::Rect::from_two_pos(egui::pos2(a.x, a.y), egui::pos2(b.x, b.y));
        if item.kind == dctwin::kinds::EquipmentKind::Rack && area.contains_rect(screen) {
            in_view += 1;
            assert!(racks.contains(&item.id.as_str()), "{} is in view and labelled: {racks:?}", item.id);
        }
    }
    assert!(in_view >= 20, "{in_view} racks in view");
}

/// The pod's plan at fit zoom: racks one by one (the pod is small), every rack and PDU
/// labelled inside its box, the room and its aisles drawn, the site's name on the card.
#[test]
fn the_pod_plan_labels_every_rack_and_shows_the_site_card() {
    use dctwin::app::plan::{PlanRooms, PlanRows};
    use dctwin::app::ui::labels::LabelOf;
    let mut h = harness("gb200_pod.ron", 2);
    fit_plan(&mut h);
    assert!(h.state().world().resource::<PlanRows>().detail, "six racks are drawn one by one");
    let labels = legible_labels(&h);
    // Each rack is named: by its own label, or its row's (beside it when the row is short).
    let names: Vec<&str> =
        labels.iter().filter(|l| matches!(l.of, LabelOf::Rack | LabelOf::Row)).map(|l| l.text.as_str()).collect();
    for (rack, row) in [("GB1", "GB1–GB2"), ("GB3", "GB3–GB4"), ("GB5", "GB5–GB6")] {
        assert!(names.iter().any(|n| *n == rack || n.starts_with(row)), "{rack} is named: {names:?}");
    }
    // A row's A and B PDUs stand 0.9 m apart: one of the two carries a label beside it.
    for row in 1..=3 {
        let pair = [format!("PDU-A{row}"), format!("PDU-B{row}")];
        assert!(labels.iter().any(|l| pair.contains(&l.text)), "row {row}'s PDUs: {labels:?}");
    }
    assert!(h.query_by_label("GB200 pod on a 1 MVA transformer").is_some(), "the site card names the site");
    let rooms = h.state().world().resource::<PlanRooms>().clone();
    assert_eq!(rooms.rooms.len(), 1);
    assert!(rooms.misplaced.is_empty());
    // A rack placed outside the room is flagged on the plan and on the card.
    let w = h.state_mut().world_mut();
    let placed =
        dctwin::edit::ops::place(w, dctwin::kinds::EquipmentKind::Rack, "gb200-nvl72", (12.0, 0.0), 0.1).unwrap();
    dctwin::edit::apply(w, placed).unwrap();
    dctwin::app::plan::refresh_plan(w);
    h.run();
    let rooms = h.state().world().resource::<PlanRooms>().clone();
    assert_eq!(rooms.misplaced.keys().collect::<Vec<_>>(), ["GB7"]);
    assert!(h.query_by_label("1 rack outside its room or zone (yellow cross)").is_some());
}

/// The app exports the run so far as the report `dctwin run` writes after the same time, and
/// the plan as a PNG drawn the same way each time.
#[test]
fn the_report_and_the_plan_export_from_the_app() {
    use dctwin::app::export::{ExportKind, export};
    let dir = fresh_dir("app-export");
    let steps = 5;
    let mut h = harness("gb200_pod.ron", steps);
    fit_plan(&mut h);
    let w = h.state_mut().world_mut();
    let json = dir.join("pod-report.json");
    export(w, ExportKind::ReportJson, &json).unwrap();
    let site = load(&root().join("sites/gb200_pod.ron"));
    let step = dctwin::sim::DEFAULT_STEP;
    let options = headless::RunOptions { duration: step * steps as u32, step };
    let expected = headless::run(&site, &Catalog::builtin(), &options, "untitled site").to_json();
    assert_eq!(std::fs::read_to_string(&json).unwrap(), expected, "the same report as `dctwin run` after 5 steps");
    let md = dir.join("pod-report.md");
    export(w, ExportKind::ReportMarkdown, &md).unwrap();
    assert!(std::fs::read_to_string(&md).unwrap().starts_with("# dctwin report: GB200 pod on a 1 MVA transformer"));

    let png = dir.join("pod-plan.png");
    let message = export(w, ExportKind::PlanPng, &png).unwrap();
    assert!(message.contains("1600×1000"), "{message}");
    let first = std::fs::read(&png).unwrap();
    export(w, ExportKind::PlanPng, &png).unwrap();
    assert_eq!(std::fs::read(&png).unwrap(), first, "the same picture twice");
    let decoder = png::Decoder::new(std::io::Cursor::new(first));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), (1600, 1000));
    let channels = info.line_size / info.width as usize;
    let pixels: std::collections::HashSet<[u8; 3]> = buf.chunks(channels).map(|p| [p[0], p[1], p[2]]).collect();
    // PDU-A3's colour (its loading) and the walls' are in the picture.
    let status = w.resource::<dctwin::app::status::SiteStatus>();
    let c = dctwin::app::colors::metric_color(dctwin::app::state::ColorMetric::Loading, status.by_id.get("PDU-A3"));
    let pdu = [c[0], c[1], c[2]].map(|v| (v * 255.0).round() as u8);
    assert!(pixels.contains(&pdu), "PDU-A3's loading colour {pdu:?} is drawn");
    assert!(pixels.contains(&[60, 60, 70]), "the walls are drawn");
    // The single-line diagram from the same menu.
    let sld = dir.join("pod-diagram.png");
    let message = export(w, ExportKind::DiagramPng, &sld).unwrap();
    assert!(message.starts_with("Exported the single-line diagram"), "{message}");
    assert!(std::fs::read(&sld).unwrap().starts_with(b"\x89PNG\r\n\x1a\n"));
    assert!(
        !dir.read_dir().unwrap().any(|e| e.unwrap().file_name().to_string_lossy().contains(".tmp-")),
        "no temporary left"
    );
}

/// A clock held back by slow frames (start-up, drawing) says so, not "CPU bound": only the
/// simulation's own cost is called that (a 6-rack site once read "running at 18×: CPU bound").
#[test]
fn the_clock_names_what_holds_it_back() {
    use dctwin::app::state::{HeldBackBy, SimSpeed};
    let mut h = harness("gb200_pod.ron", 1);
    let mut shows = |held: Option<HeldBackBy>, achieved: f64| -> Vec<String> {
        let speed = SimSpeed { speed: 60.0, achieved, held_back_by: held, ..SimSpeed::default() };
        h.state_mut().world_mut().insert_resource(speed);
        h.run();
        ["slow frames", "simulation CPU bound"]
            .iter()
            .filter(|t| h.query_by_label_contains(t).is_some())
            .map(|t| t.to_string())
            .collect()
    };
    assert_eq!(shows(Some(HeldBackBy::SlowFrames), 18.0), ["slow frames"]);
    assert_eq!(shows(Some(HeldBackBy::Simulation), 18.0), ["simulation CPU bound"]);
    assert!(shows(None, 18.0).is_empty(), "nothing held it back: no note");
    assert!(shows(Some(HeldBackBy::Simulation), 59.0).is_empty(), "within 10 % of the speed asked: no note");
}
