//! Failover on a 2N site: taking the A path out moves every dual-corded rack to B.

use dctwin::sim::components::*;
use dctwin::sim::electrical::SiteTotals;
use dctwin::sim::limits::{AlertLog, Quantity};

use crate::support::*;

/// The small 2N room with UPS that have no battery: losing a UPS's input loses its output.
fn room_without_batteries() -> dctwin::site::SiteFile {
    let mut site = load(&root().join("sites/small_2n_room.ron"));
    for u in &mut site.ups {
        u.overrides.battery_kwh = Some(0.0);
    }
    site
}

#[test]
fn a_side_outage_moves_full_load_to_b() {
    let site = room_without_batteries();
    let mut app = app_after(&site, 1);
    let rack_ids: Vec<String> = site.racks.iter().map(|r| r.id.clone()).collect();
    let before: Vec<RackPower> = rack_ids.iter().map(|id| rack(&mut app, id)).collect();
    let pdus_b: Vec<String> =
        site.distribution.iter().filter(|d| d.id.starts_with("PDU-B")).map(|d| d.id.clone()).collect();
    let pdu_before: Vec<ElectricalState> = pdus_b.iter().map(|id| state(&mut app, id)).collect();
    for p in &before {
        let b = p.b.unwrap();
        assert!(p.a.live && b.live);
        assert_rel(p.a.p_kw, p.p_kw / 2.0, 1e-12, "even split before the outage");
        assert_rel(b.p_kw, p.p_kw / 2.0, 1e-12, "even split before the outage");
    }

    // Take the whole A path out at its transformer.
    let t_a = entity(&mut app, "T-A");
    app.world_mut().entity_mut(t_a).insert(InService(false));
    dctwin::headless::advance(&mut app, 1);

    for (id, p0) in rack_ids.iter().zip(&before) {
        let p = rack(&mut app, id);
        let b = p.b.unwrap();
        assert!(p.powered, "{id} stays powered");
        assert!(!p.a.live, "{id}: A cord is dead");
        assert_eq!(p.a.p_kw, 0.0);
        assert_rel(b.p_kw, p0.p_kw, 1e-12, &format!("{id}: B carries the full load"));
        assert_rel(b.p_kw, 2.0 * p0.b.unwrap().p_kw, 1e-12, &format!("{id}: B cord power doubles"));
    }
    // Constant-power racks: each B PDU's output current becomes 2·I_before·V_before/V_after.
    for (id, s0) in pdus_b.iter().zip(&pdu_before) {
        let s1 = state(&mut app, id);
        assert_rel(
            s1.output_current_a,
            2.0 * s0.output_current_a * s0.voltage_pu / s1.voltage_pu,
            1e-6,
            &format!("{id} current"),
        );
        assert!(s1.loading_pct > 1.9 * s0.loading_pct, "{id} loading roughly doubles");
    }
    for id in ["T-A", "UPS-A", "PDU-A1"] {
        assert!(!state(&mut app, id).energized, "{id} is dead");
    }
    let totals = app.world().resource::<SiteTotals>().clone();
    assert_eq!(totals.unpowered_racks, 0);
    assert_eq!(totals.single_cord_racks, rack_ids.len() as u32);
    let log = app.world().resource::<AlertLog>();
    let redundancy = log.active().iter().filter(|a| a.quantity == Quantity::Redundancy).count();
    assert_eq!(redundancy, rack_ids.len(), "every rack warns that it lost redundancy");

    // Restore: the load splits again and the warnings clear at this step's time.
    app.world_mut().entity_mut(t_a).insert(InService(true));
    dctwin::headless::advance(&mut app, 1);
    for (id, p0) in rack_ids.iter().zip(&before) {
        assert_rel(rack(&mut app, id).a.p_kw, p0.a.p_kw, 1e-12, "split restored");
    }
    let log = app.world().resource::<AlertLog>();
    assert!(log.active().is_empty());
    assert!(log.alerts.iter().all(|a| a.first_seen_s == 2.0 && a.cleared_s == Some(3.0)));
}

/// Losing both feeds of a rack (with no UPS battery to ride through) leaves it unpowered, with a
/// critical alert.
#[test]
fn both_sides_out_leaves_racks_unpowered() {
    let site = room_without_batteries();
    let mut app = app_after(&site, 1);
    for id in ["UTIL-A", "UTIL-B"] {
        let e = entity(&mut app, id);
        app.world_mut().entity_mut(e).insert(InService(false));
    }
    dctwin::headless::advance(&mut app, 1);
    let totals = app.world().resource::<SiteTotals>().clone();
    assert_eq!(totals.unpowered_racks, 40);
    assert_eq!(totals.it_load_kw, 0.0);
    assert_eq!(totals.grid_import_kw, 0.0);
    let expected_kw: f64 =
        site.racks.iter().map(|r| dctwin::catalog::Catalog::builtin().racks[&r.model].rated_kw).sum();
    assert_rel(totals.unserved_kw, expected_kw, 1e-12, "unserved load");
    let log = app.world().resource::<AlertLog>();
    assert_eq!(log.active().iter().filter(|a| a.quantity == Quantity::RackPower).count(), 40);
}
