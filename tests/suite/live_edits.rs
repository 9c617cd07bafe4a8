//! The solver picks up world edits on the next step, without a restart.

use bevy::prelude::*;
use dctwin::catalog::Catalog;
use dctwin::headless::advance;
use dctwin::sim::components::*;
use dctwin::sim::electrical::{ElectricalNetwork, SiteTotals};
use dctwin::site::ElementKind;

use crate::support::*;

fn it_kw(app: &App) -> f64 {
    app.world().resource::<SiteTotals>().it_load_kw
}

#[test]
fn added_changed_and_removed_equipment_is_picked_up() {
    let site = load(&root().join("sites/small_2n_room.ron"));
    let mut app = app_after(&site, 1);
    let base = it_kw(&app);
    let rebuilds = app.world().resource::<ElectricalNetwork>().rebuilds;
    advance(&mut app, 3);
    assert_eq!(app.world().resource::<ElectricalNetwork>().rebuilds, rebuilds, "no rebuild without a change");

    // Add a GB200-class rack on PDU-A2 / PDU-B2.
    let rating = Catalog::builtin().racks["gb200-nvl72"].rating();
    let new = app
        .world_mut()
        .spawn((
            ElementId("R-NEW".into()),
            Kind(ElementKind::Rack),
            CatalogModel("gb200-nvl72".into()),
            Placement { position_m: (6.0, 4.5), rotation_deg: 0.0 },
            InService(true),
            Rack { rating, utilization: 1.0 },
            RackFeeds { a: "PDU-A2".into(), b: Some("PDU-B2".into()) },
        ))
        .id();
    advance(&mut app, 1);
    assert_rel(it_kw(&app), base + 132.0, 1e-12, "new rack adds its load");
    let p = *app.world().get::<RackPower>(new).unwrap();
    assert_rel(p.a.p_kw, 66.0, 1e-12, "new rack split over both cords");

    // Change its utilization: the next step sees it.
    app.world_mut().get_mut::<Rack>(new).unwrap().utilization = 0.5;
    advance(&mut app, 1);
    assert_rel(it_kw(&app), base + 66.0, 1e-12, "utilization change");

    // Move its B cord to another PDU.
    app.world_mut().get_mut::<RackFeeds>(new).unwrap().b = Some("PDU-B3".into());
    advance(&mut app, 1);
    let b3 = state(&mut app, "PDU-B3");
    assert!(b3.p_kw > 0.0);

    // Remove it.
    app.world_mut().despawn(new);
    advance(&mut app, 1);
    assert_rel(it_kw(&app), base, 1e-12, "despawned rack is gone");

    // Change a transformer rating: its loading follows.
    let t = entity(&mut app, "T-A");
    let before = state(&mut app, "T-A").loading_pct;
    app.world_mut().get_mut::<Transformer>(t).unwrap().0.rated_kva = 2000.0;
    advance(&mut app, 1);
    let after = state(&mut app, "T-A").loading_pct;
    assert!((after - before / 2.0).abs() / after < 0.01, "loading halves with a doubled rating: {before} -> {after}");
}

#[test]
fn rack_with_unknown_feed_after_an_edit_is_unpowered_not_a_crash() {
    let site = load(&root().join("sites/overloaded_room.ron"));
    let mut app = app_after(&site, 1);
    let r = entity(&mut app, "R8");
    app.world_mut().get_mut::<RackFeeds>(r).unwrap().a = "NOWHERE".into();
    advance(&mut app, 1);
    assert!(!rack(&mut app, "R8").powered);
    // An element whose upstream vanished is dead, not stale.
    let pdu = entity(&mut app, "PDU-4");
    app.world_mut().get_mut::<Upstream>(pdu).unwrap().0 = "GONE".into();
    advance(&mut app, 1);
    assert!(!state(&mut app, "PDU-4").energized);
    assert!(!rack(&mut app, "R9").powered);
}
