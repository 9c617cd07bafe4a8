//! The solver picks up world edits on the next step, without a restart.

use bevy::prelude::*;
use dctwin::catalog::Catalog;
use dctwin::headless::advance;
use dctwin::kinds::EquipmentKind;
use dctwin::sim::components::*;
use dctwin::sim::electrical::{ElectricalNetwork, SiteTotals};

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
            Kind(EquipmentKind::Rack),
            CatalogModel("gb200-nvl72".into()),
            Placement { position_m: (6.0, 4.5), rotation_deg: 0.0 },
            InService(true),
            Rack { rating },
            RackFeeds { a: "PDU-A2".into(), b: Some("PDU-B2".into()) },
            dctwin::sim::world::RackCooling { zone: Some("ROOM".into()), cdu: None },
        ))
        .id();
    advance(&mut app, 1);
    assert_rel(it_kw(&app), base + 132.0, 1e-12, "new rack adds its load");
    let p = dctwin::sim::electrical::rack_power(app.world(), new).unwrap();
    assert_rel(p.a.p_kw, 66.0, 1e-12, "new rack split over both cords");

    // Change its utilization: the next step sees it.
    app.world_mut().get_mut::<Utilization>(new).unwrap().0 = 0.5;
    advance(&mut app, 1);
    assert_rel(it_kw(&app), base + 66.0, 1e-12, "utilization change");

    // Swing it once more (the steps take the rows of the last pass over the racks), then give
    // it half the rating in place, an insert of its immutable rating, in a step that also moves
    // its utilization: the rows must not stand. The load flow and the heat both see it.
    let rack_heat_w = |app: &App| {
        let plant = app.world().resource::<dctwin::sim::thermal::CoolingPlant>();
        plant.zones.iter().map(|z| z.rack_heat_w).sum::<f64>() + plant.cdus.iter().map(|c| c.rack_heat_w).sum::<f64>()
    };
    app.world_mut().get_mut::<Utilization>(new).unwrap().0 = 0.6;
    advance(&mut app, 1);
    assert_rel(it_kw(&app), base + 79.2, 1e-12, "a swing");
    let mut half = app.world().get::<Rack>(new).unwrap().clone();
    half.rating.rated_kw /= 2.0;
    app.world_mut().entity_mut(new).insert(half);
    app.world_mut().get_mut::<Utilization>(new).unwrap().0 = 0.5;
    advance(&mut app, 1);
    assert_rel(it_kw(&app), base + 33.0, 1e-12, "a new rating in place");
    // The racks' heat is their load, but for the new rack's liquid share (it has no CDU).
    let lf = app.world().get::<Rack>(new).unwrap().rating.liquid_fraction;
    assert_rel(rack_heat_w(&app), (it_kw(&app) - 33.0 * lf) * 1e3, 1e-12, "the racks' heat follows");
    app.world_mut().get_mut::<Utilization>(new).unwrap().0 = 1.0;
    advance(&mut app, 1);
    assert_rel(it_kw(&app), base + 66.0, 1e-12, "a swing at the new rating");
    assert_rel(rack_heat_w(&app), (it_kw(&app) - 66.0 * lf) * 1e3, 1e-12, "the racks' heat follows");

    // A rack whose utilization is taken away draws its full rating (as the saved site says),
    // not nothing: a removal is counted like an insert.
    app.world_mut().get_mut::<Utilization>(new).unwrap().0 = 0.5;
    advance(&mut app, 2);
    assert_rel(it_kw(&app), base + 33.0, 1e-12, "half");
    app.world_mut().entity_mut(new).remove::<Utilization>();
    advance(&mut app, 1);
    assert_rel(it_kw(&app), base + 66.0, 1e-12, "no utilization: the full rating");
    assert_rel(rack_heat_w(&app), (it_kw(&app) - 66.0 * lf) * 1e3, 1e-12, "the racks' heat follows");

    // Move its B cord to another PDU.
    let feeds = RackFeeds { b: Some("PDU-B3".into()), ..app.world().get::<RackFeeds>(new).unwrap().clone() };
    app.world_mut().entity_mut(new).insert(feeds);
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
    let mut rating = app.world().get::<Transformer>(t).unwrap().0.clone();
    rating.rated_kva = 2000.0;
    app.world_mut().entity_mut(t).insert(Transformer(rating));
    advance(&mut app, 1);
    let after = state(&mut app, "T-A").loading_pct;
    assert!((after - before / 2.0).abs() / after < 0.01, "loading halves with a doubled rating: {before} -> {after}");
}

#[test]
fn rack_with_unknown_feed_after_an_edit_is_unpowered_not_a_crash() {
    let site = load(&root().join("sites/overloaded_room.ron"));
    let mut app = app_after(&site, 1);
    let r = entity(&mut app, "R8");
    let feeds = RackFeeds { a: "NOWHERE".into(), ..app.world().get::<RackFeeds>(r).unwrap().clone() };
    app.world_mut().entity_mut(r).insert(feeds);
    advance(&mut app, 1);
    assert!(!rack(&mut app, "R8").powered);
    // An element whose upstream vanished is dead, not stale.
    let pdu = entity(&mut app, "PDU-4");
    app.world_mut().entity_mut(pdu).insert(Sources::one("GONE"));
    advance(&mut app, 1);
    assert!(!state(&mut app, "PDU-4").energized);
    assert!(!rack(&mut app, "R9").powered);
}

/// The site without its cooling: the electrical state then depends on the present step only
/// (no cooling load carried from the step before), so a fresh solve is a fair reference.
fn electrical_only(mut site: dctwin::site::SiteFile) -> dctwin::site::SiteFile {
    site.ambient = None;
    site.zones.clear();
    site.water_loops.clear();
    site.crahs.clear();
    site.cdus.clear();
    site.chillers.clear();
    site.heat_rejection.clear();
    for r in &mut site.racks {
        r.zone = None;
        r.cdu = None;
    }
    site.transformers.iter_mut().for_each(|e| e.zone = None);
    site.ups.iter_mut().for_each(|e| e.zone = None);
    site.distribution.iter_mut().for_each(|e| e.zone = None);
    site
}

fn all_racks(app: &mut App) -> Vec<(String, RackPower)> {
    let mut q = app.world_mut().query::<(Entity, &ElementId, &Rack)>();
    let world = app.world();
    let mut v: Vec<_> =
        q.iter(world).map(|(e, i, _)| (i.0.clone(), dctwin::sim::electrical::rack_power(world, e).unwrap())).collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

/// The incremental solve (warm start, cached rack loads, write-back only where something moved)
/// after each of a series of editor edits equals a fresh solve of the edited site to 1e-9 pu.
#[test]
fn the_cached_incremental_solve_equals_a_fresh_solve_after_edits() {
    use dctwin::edit::{self, ops};
    let site = electrical_only(load(&root().join("sites/small_2n_room.ron")));
    let mut app = app_after(&site, 2);
    type MakeEdit = Box<dyn Fn(&mut World) -> Result<edit::Edit, String>>;
    let edits: Vec<MakeEdit> = vec![
        Box::new(|w| ops::set_in_service(w, "UPS-A", false)),
        Box::new(|w| ops::set_utilization(w, "R3", 0.4)),
        Box::new(|w| ops::set_in_service(w, "PDU-B1", false)),
        Box::new(|w| ops::set_in_service(w, "UPS-A", true)),
        Box::new(|w| ops::set_rating(w, "T-B", "rated_kva", 1500.0)),
        Box::new(|w| ops::set_in_service(w, "PDU-B1", true)),
        Box::new(|w| ops::set_in_service(w, "UTIL-B", false)),
    ];
    for (n, make) in edits.iter().enumerate() {
        let e = make(app.world_mut()).unwrap();
        edit::apply(app.world_mut(), e).unwrap();
        advance(&mut app, 1);
        let now = edit::current_site(app.world_mut());
        let mut fresh = app_after(&now, 1);
        for ((id, a), (_, b)) in all_states(&mut app).iter().zip(all_states(&mut fresh)) {
            assert_eq!(a.energized, b.energized, "edit {n}: {id}");
            assert!((a.voltage_pu - b.voltage_pu).abs() < 1e-9, "edit {n}: {id}: {} vs {}", a.voltage_pu, b.voltage_pu);
            assert!((a.input_current_a - b.input_current_a).abs() < 1e-6, "edit {n}: {id} current");
            assert!((a.losses_kw - b.losses_kw).abs() < 1e-6, "edit {n}: {id} losses");
        }
        for ((id, a), (_, b)) in all_racks(&mut app).iter().zip(all_racks(&mut fresh)) {
            assert_eq!((a.powered, a.a.live), (b.powered, b.a.live), "edit {n}: {id}");
            assert!((a.p_kw - b.p_kw).abs() < 1e-12, "edit {n}: {id} power");
            assert!((a.a.voltage_pu - b.a.voltage_pu).abs() < 1e-9, "edit {n}: {id} A voltage");
            assert!((a.a.current_a - b.a.current_a).abs() < 1e-6, "edit {n}: {id} A current");
        }
        let (ta, tb) = (app.world().resource::<SiteTotals>().clone(), fresh.world().resource::<SiteTotals>().clone());
        assert!((ta.grid_import_kw - tb.grid_import_kw).abs() < 1e-6, "edit {n}: grid import");
    }
}

/// An element with two possible sources (as a transfer switch will be) is fed by the first that
/// is energized, in its order of preference: here a switchboard preferring PDU "PA" (utility A)
/// and falling back to "PB" (utility B) when PA is out, and back again when PA returns.
#[test]
fn an_element_with_two_sources_follows_the_first_live_one() {
    let site = parse(
        r#"(version: 1, name: "two sources",
        grid_feeds: [
            (id: "UA", model: "utility-13.8kv-10mva", position_m: (0.0, 0.0)),
            (id: "UB", model: "utility-13.8kv-10mva", position_m: (0.0, 5.0)),
        ],
        transformers: [
            (id: "TA", model: "xfmr-1000kva-13.8kv-415v", upstream: "UA", position_m: (1.0, 0.0)),
            (id: "TB", model: "xfmr-2000kva-13.8kv-415v", upstream: "UB", position_m: (1.0, 5.0)),
        ],
        distribution: [
            (id: "PA", model: "pdu-415v-400a", upstream: "TA", position_m: (2.0, 0.0)),
            (id: "PB", model: "pdu-415v-400a", upstream: "TB", position_m: (2.0, 5.0)),
        ],
    )"#,
    );
    let mut app = app_after(&site, 1);
    let rating = Catalog::builtin().distribution["pdu-415v-400a"].rating();
    let rack_rating = Catalog::builtin().racks["legacy-air-12kw"].rating();
    app.world_mut().spawn((
        ElementId("STS".into()),
        Kind(EquipmentKind::Distribution),
        CatalogModel("pdu-415v-400a".into()),
        Placement { position_m: (3.0, 2.0), rotation_deg: 0.0 },
        InService(true),
        Distribution(rating),
        Sources(vec!["PA".into(), "PB".into()]),
    ));
    app.world_mut().spawn((
        ElementId("R".into()),
        Kind(EquipmentKind::Rack),
        CatalogModel("legacy-air-12kw".into()),
        Placement { position_m: (4.0, 2.0), rotation_deg: 0.0 },
        InService(true),
        Rack { rating: rack_rating },
        RackFeeds { a: "STS".into(), b: None },
    ));
    advance(&mut app, 1);
    let feeds = |app: &mut App| (state(app, "UA").p_kw, state(app, "UB").p_kw);
    let (a, b) = feeds(&mut app);
    assert!(a > 12.0 && b < 5.0, "on the preferred source: A {a} kW, B {b} kW");
    assert_rel(state(&mut app, "STS").voltage_pu, state(&mut app, "PA").voltage_pu, 1e-12, "STS hangs on PA");
    let pa = entity(&mut app, "PA");
    app.world_mut().entity_mut(pa).insert(InService(false));
    advance(&mut app, 1);
    let (a, b) = feeds(&mut app);
    assert!(rack(&mut app, "R").powered, "the rack rides on the alternate source");
    assert!(a < 5.0 && b > 12.0, "on the alternate: A {a} kW, B {b} kW");
    assert_rel(state(&mut app, "STS").voltage_pu, state(&mut app, "PB").voltage_pu, 1e-12, "STS hangs on PB");
    app.world_mut().entity_mut(pa).insert(InService(true));
    advance(&mut app, 1);
    let (a, _) = feeds(&mut app);
    assert!(a > 12.0, "back on the preferred source");
}

/// A step with the same loads on the same topology keeps the standing solution (no sweep), and
/// that solution is one: a sweep from it moves no voltage by the tolerance. A load change solves
/// again, and the limits scan the new solution (a stale scan would keep the old alerts).
#[test]
fn a_steady_network_keeps_its_solution_until_a_load_changes() {
    use dctwin::sim::electrical::network::TOLERANCE_PU;
    use dctwin::sim::limits::AlertLog;
    let site = dctwin::generator::generate_power_only(200);
    let mut app = app_after(&site, 3);
    let solutions = app.world().resource::<ElectricalNetwork>().solutions;
    let before = app.world().resource::<SiteTotals>().clone();
    let headroom = dctwin::sim::limits::headroom(app.world_mut());
    advance(&mut app, 2);
    let net = app.world().resource::<ElectricalNetwork>();
    assert_eq!(net.solutions, solutions, "no new solution without a change");
    let totals = app.world().resource::<SiteTotals>();
    assert_eq!(totals.iterations, 0, "no sweep");
    assert!(totals.converged);
    assert_eq!(totals.grid_import_kw.to_bits(), before.grid_import_kw.to_bits());
    assert_eq!(totals.losses_kw().to_bits(), before.losses_kw().to_bits());
    let mut flow = net.flow.clone();
    net.network.solve(&mut flow);
    assert!(flow.converged && flow.iterations == 1, "the standing solution solves in one sweep");
    assert!(flow.last_change_pu < TOLERANCE_PU);
    assert_eq!(dctwin::sim::limits::headroom(app.world_mut()), headroom, "headroom stands with the solution");

    // Every rack 20 % beyond the growth the first headroom row allows: a new solution, and the
    // limits see it.
    let scale = (1.0 + headroom[0].load_growth_pct.unwrap() / 100.0) * 1.2;
    let alerts_before = app.world().resource::<AlertLog>().active().len();
    let mut racks = app.world_mut().query::<&mut Utilization>();
    for mut utilization in racks.iter_mut(app.world_mut()) {
        utilization.0 = scale;
    }
    advance(&mut app, 1);
    let net = app.world().resource::<ElectricalNetwork>();
    assert_eq!(net.solutions, solutions + 1, "a load change solves again");
    let totals = app.world().resource::<SiteTotals>();
    assert!(totals.iterations > 1 && totals.converged);
    assert_rel(totals.it_load_kw, before.it_load_kw * scale, 1e-12, "IT load follows");
    assert!(totals.losses_kw() > before.losses_kw(), "losses grow with the load");
    assert_rel(totals.grid_import_kw, totals.it_load_kw + totals.losses_kw(), 1e-9, "import = IT + losses");
    let after = dctwin::sim::limits::headroom(app.world_mut());
    assert_ne!(after, headroom, "headroom follows the new solution");
    let growth = |rows: &[dctwin::sim::limits::HeadroomRow]| rows[0].load_growth_pct.unwrap();
    assert!(growth(&after) < growth(&headroom), "less room to grow");
    assert!(app.world().resource::<AlertLog>().active().len() > alerts_before, "overloads raise alerts");
}

/// What shapes the network is immutable, so an insert is the only way to change it: a node's
/// service flag or rating rebuilds the network on the next step (its circuit re-derived at
/// once), while a rack's service flag only changes its load.
#[test]
fn only_what_shapes_the_network_rebuilds_it() {
    use dctwin::sim::electrical::{Circuit, NetworkKind};
    let site = load(&root().join("sites/small_2n_room.ron"));
    let mut app = app_after(&site, 2);
    let rebuilds = |app: &App| app.world().resource::<ElectricalNetwork>().rebuilds;
    let (before, it_before) = (rebuilds(&app), it_kw(&app));

    let r = entity(&mut app, "R8");
    let demand_kw = {
        let rack = app.world().get::<Rack>(r).unwrap();
        rack.rating.rated_kw * app.world().get::<Utilization>(r).unwrap().0
    };
    app.world_mut().entity_mut(r).insert(InService(false));
    advance(&mut app, 1);
    assert_eq!(rebuilds(&app), before, "a rack taken out does not rebuild the network");
    assert_rel(it_before - it_kw(&app), demand_kw, 1e-9, "but exactly its demand is gone");

    // A rating inserted: the circuit follows before any step runs.
    let t = entity(&mut app, "T-A");
    let mut rating = app.world().get::<Transformer>(t).unwrap().0.clone();
    rating.rated_kva *= 2.0;
    app.world_mut().entity_mut(t).insert(Transformer(rating.clone()));
    let circuit = app.world().get::<Circuit>(t).unwrap().clone();
    assert_eq!(circuit, Transformer(rating).circuit(), "the circuit is derived on insert");
    advance(&mut app, 1);
    assert_eq!(rebuilds(&app), before + 1, "a new rating rebuilds once");

    let pdu = entity(&mut app, "PDU-A1");
    app.world_mut().entity_mut(pdu).insert(InService(false));
    advance(&mut app, 1);
    assert_eq!(rebuilds(&app), before + 2, "a node taken out rebuilds once");
    advance(&mut app, 3);
    assert_eq!(rebuilds(&app), before + 2, "and not again while nothing changes");
}
