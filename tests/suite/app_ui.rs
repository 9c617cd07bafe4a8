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
    *app.world().get::<RackPower>(e).unwrap()
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
    for (typed, expected) in [("-5", "breaker_a must not be negative"), ("lots", "`lots` is not a number")] {
        let field = h.get_by_role_and_label(Role::TextInput, "breaker_a");
        field.focus();
        h.run();
        h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
        h.get_by_role_and_label(Role::TextInput, "breaker_a").type_text(typed);
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
    h.get_by_role_and_label(Role::TextInput, "breaker_a").focus();
    h.run();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_role_and_label(Role::TextInput, "breaker_a").type_text("250");
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
    let rows = h.state().world().resource::<dctwin::sim::limits::Headroom>().0.clone();
    assert!(!rows.is_empty());
    for r in rows.iter().take(3) {
        assert!(h.query_all_by_label(&r.element).next().is_some(), "{} is listed", r.element);
    }
    h.get_all_by_label(&rows[0].element).next().unwrap().click();
    h.run();
    assert_eq!(editor(&h).selection, vec![rows[0].element.clone()]);
}
