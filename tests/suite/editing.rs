//! The editing layer: placing, rows, moves, deletes, connections and ratings go through
//! validation, can be undone exactly, and the solver picks them up on the next step.

use bevy::prelude::*;
use dctwin::catalog::footprint::FootprintTable;
use dctwin::edit::{self, EditHistory, ops};
use dctwin::headless;
use dctwin::sim::components::*;
use dctwin::sim::world::{find_element, world_to_site};
use dctwin::site::element::{EquipmentKind, SiteElement};

use crate::support::*;

fn app_for(site: &str) -> App {
    let site = load(&root().join("sites").join(site));
    let mut app = headless::build_app(&site, &dctwin::catalog::Catalog::builtin(), dctwin::sim::DEFAULT_STEP);
    headless::advance(&mut app, 2);
    app
}

#[test]
fn example_sites_have_no_overlapping_footprints() {
    let table = FootprintTable::builtin();
    for path in example_sites() {
        let all = SiteElement::all_of(&load(&path));
        for (i, a) in all.iter().enumerate().filter(|(_, e)| !e.kind().is_marker()) {
            for b in all[i + 1..].iter().filter(|e| !e.kind().is_marker()) {
                assert!(
                    !ops::footprint(&table, a).overlaps(&ops::footprint(&table, b)),
                    "{}: {} overlaps {}",
                    path.display(),
                    a.id(),
                    b.id()
                );
            }
        }
    }
}

#[test]
fn placing_next_to_a_row_takes_the_next_id_and_the_rows_feeds_and_the_solver_sees_it() {
    let mut app = app_for("ai_hall_20mw.ron");
    let w = app.world_mut();
    // The first row (y = 0) is full: GB1..GB15 at x 0, 0.6 … 8.4. Take GB15 out of it; the
    // slot at x = 8.4 is free, beside GB14 on BW-A1-5 / BW-B1-5.
    let e = ops::delete(w, &["GB15".to_string()]).unwrap();
    edit::apply(w, e).unwrap();
    headless::advance(&mut app, 2);
    let w = app.world_mut();
    let it_before = w.resource::<dctwin::sim::electrical::SiteTotals>().it_load_kw;
    let e = ops::place(w, EquipmentKind::Rack, "gb200-nvl72", (8.44, 0.07), 0.3).unwrap();
    let SiteElement::Rack(r) = &e.after[0] else { panic!("a rack") };
    assert_eq!(r.id, "GB151");
    assert_eq!(r.position_m, (8.4, 0.0));
    assert_eq!((r.feed_a.as_str(), r.feed_b.as_deref()), ("BW-A1-5", Some("BW-B1-5")));
    assert_eq!((r.zone.as_deref(), r.cdu.as_deref()), (Some("HALL"), Some("CDU-1")));
    edit::apply(w, e).unwrap();
    assert!(w.resource::<EditHistory>().is_dirty());
    headless::advance(&mut app, 2);
    let w = app.world_mut();
    let rack = find_element(w, "GB151").unwrap();
    let power = dctwin::sim::electrical::rack_power(w, rack).unwrap();
    assert!(power.powered && (power.p_kw - 132.0).abs() < 1.0, "new rack draws its rated power: {power:?}");
    let it_after = w.resource::<dctwin::sim::electrical::SiteTotals>().it_load_kw;
    assert!((it_after - it_before - power.p_kw).abs() < 1e-6, "IT load grows by exactly the new rack");
}

#[test]
fn overlapping_placements_and_moves_are_refused() {
    let mut app = app_for("ai_hall_20mw.ron");
    let w = app.world_mut();
    let err = ops::place(w, EquipmentKind::Rack, "gb200-nvl72", (0.6, 0.0), 0.3).unwrap_err();
    assert!(err.contains("would overlap GB2"), "{err}");
    let err = ops::move_by(w, &["GB1".into()], (0.6, 0.0), 0.3).unwrap_err();
    assert!(err.contains("overlap"), "{err}");
    // Moving a whole row together along itself is fine (members do not block each other).
    let row = vec!["GB1".to_string(), "GB2".into(), "GB3".into()];
    let e = ops::move_by(w, &row, (0.0, -1.2), 0.3).unwrap();
    edit::apply(w, e).unwrap();
    let site = world_to_site(w);
    let gb2 = site.racks.iter().find(|r| r.id == "GB2").unwrap();
    assert_eq!(gb2.position_m, (0.6, -1.2));
}

#[test]
fn delete_undo_redo_restore_the_site_exactly() {
    let mut app = app_for("small_2n_room.ron");
    let w = app.world_mut();
    let original = world_to_site(w);
    let rack = original.racks[0].id.clone();
    let e = ops::delete(w, std::slice::from_ref(&rack)).unwrap();
    edit::apply(w, e).unwrap();
    assert!(find_element(w, &rack).is_none());
    assert_eq!(edit::undo(w).unwrap().as_deref(), Some(format!("Delete {rack}").as_str()));
    assert_eq!(world_to_site(w), original, "undo restores every field");
    assert!(!w.resource::<EditHistory>().is_dirty(), "back at the saved state");
    edit::redo(w).unwrap();
    assert!(find_element(w, &rack).is_none());
    edit::undo(w).unwrap();
    assert_eq!(world_to_site(w), original);
}

#[test]
fn deleting_a_pdu_that_still_feeds_racks_is_refused_and_changes_nothing() {
    let mut app = app_for("small_2n_room.ron");
    let w = app.world_mut();
    let original = world_to_site(w);
    let pdu = original.racks[0].feed_a.clone();
    let e = ops::delete(w, std::slice::from_ref(&pdu)).unwrap();
    let err = edit::apply(w, e).unwrap_err();
    assert!(err.contains(&pdu), "the message names the missing element: {err}");
    assert_eq!(world_to_site(w), original);
    assert_eq!(w.get_resource::<EditHistory>().map_or(0, |h| h.undo_depth()), 0);
}

#[test]
fn a_row_assigns_feeds_round_robin() {
    let mut app = app_for("ai_hall_20mw.ron");
    let w = app.world_mut();
    let req = ops::RowRequest {
        model: "gb200-nvl72".into(),
        count: 5,
        start_m: (0.0, -6.0),
        direction: ops::RowDirection::East,
        feeds_a: vec!["BW-A1-1".into(), "BW-A1-2".into()],
        feeds_b: vec!["BW-B1-1".into(), "BW-B1-2".into(), "BW-B1-3".into()],
    };
    let e = ops::place_row(w, &req, 0.3).unwrap();
    edit::apply(w, e).unwrap();
    let site = world_to_site(w);
    let new: Vec<_> = site.racks.iter().filter(|r| r.position_m.1 == -6.0).collect();
    assert_eq!(new.len(), 5);
    let ids: Vec<&str> = new.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["GB151", "GB152", "GB153", "GB154", "GB155"]);
    let a: Vec<&str> = new.iter().map(|r| r.feed_a.as_str()).collect();
    let b: Vec<&str> = new.iter().map(|r| r.feed_b.as_deref().unwrap()).collect();
    assert_eq!(a, ["BW-A1-1", "BW-A1-2", "BW-A1-1", "BW-A1-2", "BW-A1-1"]);
    assert_eq!(b, ["BW-B1-1", "BW-B1-2", "BW-B1-3", "BW-B1-1", "BW-B1-2"]);
    let xs: Vec<f64> = new.iter().map(|r| r.position_m.0).collect();
    assert_eq!(xs, [0.0, 0.6, 1.2, 1.8, 2.4], "racks at the footprint pitch");
    // One undo removes the whole row.
    edit::undo(w).unwrap();
    assert!(world_to_site(w).racks.iter().all(|r| r.position_m.1 != -6.0));
}

#[test]
fn ratings_and_connections_are_validated_before_they_apply() {
    let mut app = app_for("small_2n_room.ron");
    let w = app.world_mut();
    let site = world_to_site(w);
    // MCC-A feeds cooling units: a respawned element must keep the loads that name it.
    let pdu = "MCC-A".to_string();
    let err = ops::set_rating(w, &pdu, "breaker_a", -5.0).and_then(|e| edit::apply(w, e)).unwrap_err();
    assert!(err.contains("breaker_a must be between 1 and 10000 A (got -5)"), "{err}");
    let err = ops::connect(w, &site.racks[0].id, "feed_a", Some("NO-SUCH".into()))
        .and_then(|e| edit::apply(w, e))
        .unwrap_err();
    assert!(err.contains("NO-SUCH"), "{err}");
    assert_eq!(world_to_site(w), site);
    // A valid change applies, is written as an override, and the solver uses it: the same
    // current against a breaker a quarter the size reads four times the loading.
    let entity = find_element(w, &pdu).unwrap();
    let loading_before = dctwin::sim::electrical::element_state(w, entity).unwrap().loading_pct;
    let Distribution(old) = w.get::<Distribution>(entity).unwrap().clone();
    let e = ops::set_rating(w, &pdu, "breaker_a", old.breaker_a / 4.0).unwrap();
    edit::apply(w, e).unwrap();
    let saved = world_to_site(w);
    let d = saved.distribution.iter().find(|d| d.id == pdu).unwrap();
    assert_eq!(d.overrides.breaker_a, Some(old.breaker_a / 4.0));
    headless::advance(&mut app, 2);
    let w = app.world_mut();
    let e = find_element(w, &pdu).unwrap();
    let loading_after = dctwin::sim::electrical::element_state(w, e).unwrap().loading_pct;
    assert_rel(
        loading_after,
        4.0 * loading_before,
        1e-3,
        "loading against a quarter-size breaker (cooling loads move slightly after the respawn)",
    );
}

#[test]
fn saved_edits_are_canonical_and_load_back() {
    let mut app = app_for("small_2n_room.ron");
    let w = app.world_mut();
    let e = ops::place(w, EquipmentKind::Rack, "legacy-air-12kw", (30.0, 30.0), 0.3).unwrap();
    edit::apply(w, e).unwrap();
    let site = world_to_site(w);
    let dir = std::env::temp_dir().join(format!("dctwin-edit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("edited.ron");
    site.save(&path).unwrap();
    let back = load(&path);
    assert_eq!(back.to_ron_string(), site.to_ron_string());
    let text = std::fs::read_to_string(&path).unwrap();
    let original = std::fs::read_to_string(root().join("sites/small_2n_room.ron")).unwrap();
    let changed: Vec<&str> = text.lines().filter(|l| !original.lines().any(|o| o == *l)).collect();
    assert_eq!(changed.len(), 1, "one new line for one new rack: {changed:?}");
    std::fs::remove_dir_all(&dir).ok();
}

/// The editor keeps the site between edits; anything that changes the world's elements
/// another way (a scenario, a test, a tool) is seen at once.
#[test]
fn the_site_the_editor_sees_follows_direct_changes_to_the_world() {
    let mut app = app_for("small_2n_room.ron");
    let w = app.world_mut();
    let original = edit::current_site(w);
    let find = |s: &dctwin::site::SiteFile, id: &str| s.element(id).unwrap();

    let pdu = find_element(w, "PDU-A1").unwrap();
    w.entity_mut(pdu).insert(InService(false));
    assert!(!find(&edit::current_site(w), "PDU-A1").in_service(), "a service flag set directly");

    let rack = find_element(w, "R2").unwrap();
    w.get_mut::<Utilization>(rack).unwrap().0 = 0.5;
    let now = edit::current_site(w);
    assert!(matches!(find(&now, "R2"), SiteElement::Rack(r) if r.utilization == 0.5), "a rack's demand");

    let ups = find_element(w, "UPS-A").unwrap();
    let mut halved = w.get::<Ups>(ups).unwrap().clone();
    halved.rating.rated_kw *= 0.5;
    w.entity_mut(ups).insert(halved);
    assert!(matches!(find(&edit::current_site(w), "UPS-A"), SiteElement::Ups(u) if u.overrides.rated_kw.is_some()));

    let r1 = find_element(w, "R1").unwrap();
    w.despawn(r1);
    assert!(edit::current_site(w).element("R1").is_none(), "a despawned rack");

    let mut layout = w.resource::<dctwin::sim::world::CoolingLayout>().clone();
    layout.zones[0].volume_m3 *= 2.0;
    let zone = layout.zones[0].id.clone();
    w.insert_resource(layout);
    let now = edit::current_site(w);
    assert!(matches!(find(&now, &zone), SiteElement::Zone(z) if z.volume_m3 == 2.0 * match find(&original, &zone) {
        SiteElement::Zone(z) => z.volume_m3,
        _ => unreachable!(),
    }));
    // And an edit made now is judged against that site: R1 is gone, so deleting it is refused.
    assert!(ops::delete(w, &["R1".to_string()]).is_err());
    assert_eq!(world_to_site(w), edit::current_site(w));
}

/// A liquid-cooled model placed beside air-cooled racks copies their feeds and zone, and takes
/// the nearest CDU (their links have none); with no CDU in the site, the placement preview
/// refuses it with the message the edit itself is refused with.
#[test]
fn a_liquid_rack_beside_air_racks_gets_a_cdu_or_a_refusal_before_the_click() {
    let text = std::fs::read_to_string(root().join("sites/small_2n_room.ron")).unwrap();
    // No CDU in the room: refused, in the preview as on the click.
    let mut app =
        headless::build_app(&parse(&text), &dctwin::catalog::Catalog::builtin(), std::time::Duration::from_secs(1));
    headless::advance(&mut app, 1);
    let w = app.world_mut();
    let at = (30.0, 30.0);
    let preview = dctwin::edit::preview::placement_preview(w, "gb200-nvl72", at, 0.3).unwrap_err();
    assert!(preview.contains("liquid-cooled but has no `cdu`: place a CDU first"), "{preview}");
    let e = ops::place(w, EquipmentKind::Rack, "gb200-nvl72", at, 0.3).unwrap();
    let refused = edit::apply(w, e).unwrap_err();
    let reason = preview.trim_end_matches(": place a CDU first");
    assert!(refused.contains(reason), "the click says what the preview said: {refused}");
    // With a CDU on the chilled-water loop, the new rack takes it.
    let with_cdu = text.replacen(
        "    chillers: [",
        "    cdus: [\n        (id: \"CDU-9\", model: \"cdu-1200kw\", water_loop: \"CHW-A\", upstream: \"MCC-A\", position_m: (28.0, 30.0)),\n    ],\n    chillers: [",
        1,
    );
    let mut app =
        headless::build_app(&parse(&with_cdu), &dctwin::catalog::Catalog::builtin(), std::time::Duration::from_secs(1));
    headless::advance(&mut app, 1);
    let w = app.world_mut();
    let preview = dctwin::edit::preview::placement_preview(w, "gb200-nvl72", at, 0.3).expect("placeable");
    assert!(preview.lines.iter().any(|l| l.element == "CDU-9"), "{preview:?}");
    let e = ops::place(w, EquipmentKind::Rack, "gb200-nvl72", at, 0.3).unwrap();
    let Some(SiteElement::Rack(r)) = e.after.first() else { panic!("a rack") };
    assert_eq!(r.cdu.as_deref(), Some("CDU-9"));
    assert!(r.zone.is_some(), "its air side still goes to the room");
    edit::apply(w, e).unwrap();
}

/// "This PDU can take N more": the preview's count of racks like the one under the mouse that
/// fit before the first element above them reaches its limit. Placing that many side by side
/// keeps every element within its limit; one more takes the named element over it.
#[test]
fn the_preview_says_how_many_more_racks_fit_and_placing_them_confirms_it() {
    let mut app = app_for("small_2n_room.ron");
    headless::advance(&mut app, 2);
    let model = "dgx-h100-x4";
    let preview = dctwin::edit::preview::placement_preview(app.world_mut(), model, (0.0, 0.0), 0.3).unwrap();
    let (binding, n) = preview.room().expect("room for some");
    let binding = binding.element.clone();
    assert!(n >= 3, "a few DGX racks fit on the room's PDUs: {n} ({binding})");
    let place = |app: &mut App, i: u32| {
        let w = app.world_mut();
        let e = ops::place(w, EquipmentKind::Rack, model, (0.6 * f64::from(i), 0.0), 0.3).unwrap();
        edit::apply(w, e).unwrap();
    };
    for i in 0..n {
        place(&mut app, i);
    }
    headless::advance(&mut app, 1);
    let within = state(&mut app, &binding).loading_pct;
    assert!(within <= 100.0, "{n} racks placed: {binding} at {within:.1} %");
    place(&mut app, n);
    headless::advance(&mut app, 1);
    let over = state(&mut app, &binding).loading_pct;
    assert!(over > 100.0, "{} racks placed: {binding} at {over:.1} %", n + 1);
}

/// When the rack's CDU has no room for its liquid heat, the preview says which CDU has: the
/// nearest one whose capacity takes it.
#[test]
fn the_preview_names_the_nearest_cdu_with_room() {
    let text = std::fs::read_to_string(root().join("sites/gb200_pod.ron")).unwrap();
    let cdu_1 = "        (id: \"CDU-1\", model: \"cdu-1200kw\", water_loop: \"FWS\", upstream: \"MCC-1\", position_m: (1.4, 2.4)),\n";
    assert!(text.contains(cdu_1));
    let more = "        (id: \"CDU-FAR\", model: \"cdu-2000kw\", water_loop: \"FWS\", upstream: \"MCC-1\", position_m: (30.0, 6.0)),\n        (id: \"CDU-NEAR\", model: \"cdu-1200kw\", water_loop: \"FWS\", upstream: \"MCC-1\", position_m: (5.0, 6.0)),\n";
    let text = text.replacen(cdu_1, &format!("{cdu_1}{more}"), 1);
    let mut app =
        headless::build_app(&parse(&text), &dctwin::catalog::Catalog::builtin(), std::time::Duration::from_secs(1));
    headless::advance(&mut app, 2);
    let w = app.world_mut();
    // CDU-1 out of service: no capacity for the pod's racks or a new one.
    let e = ops::set_in_service(w, "CDU-1", false).unwrap();
    edit::apply(w, e).unwrap();
    headless::advance(&mut app, 2);
    let p = dctwin::edit::preview::placement_preview(app.world_mut(), "gb200-nvl72", (1.2, 0.0), 0.3).unwrap();
    let cdu = p.lines.iter().find(|l| l.element == "CDU-1").expect("CDU-1 listed");
    assert!(cdu.after_pct > 100.0, "{cdu:?}");
    assert_eq!(p.advice.as_deref(), Some("nearest CDU with room: CDU-NEAR"));
}
