//! Limits, alerts and headroom.

use dctwin::sim::components::*;
use dctwin::sim::electrical::SiteTotals;
use dctwin::sim::limits::{AlertLog, LimitKind, Quantity, Severity};

use crate::support::*;

fn active(app: &bevy::prelude::App) -> Vec<(Severity, String, Quantity, f64, f64)> {
    app.world()
        .resource::<AlertLog>()
        .active()
        .iter()
        .map(|a| (a.severity, a.element.clone(), a.quantity, a.value, a.limit))
        .collect()
}

#[test]
fn overloaded_site_raises_the_expected_alerts() {
    let mut app = app_after(&load(&root().join("sites/overloaded_room.ron")), 3);
    let alerts = active(&app);
    let has = |sev, id: &str, q| alerts.iter().any(|a| a.0 == sev && a.1 == id && a.2 == q);
    // PDU-1 carries three 132 kW racks at pf 0.98: I ≈ 396 kW / (√3·415 V·0.98·V_pu) > 400 A.
    assert!(has(Severity::Critical, "PDU-1", Quantity::BreakerCurrent), "{alerts:?}");
    // PDU-2: two racks, ≈ 376 A: above the 320 A continuous rating, below the 400 A breaker.
    assert!(has(Severity::Warning, "PDU-2", Quantity::BreakerCurrent), "{alerts:?}");
    assert!(has(Severity::Critical, "T1", Quantity::TransformerLoading));
    assert!(has(Severity::Critical, "UPS-1", Quantity::UpsLoading));
    assert!(has(Severity::Critical, "PDU-3", Quantity::CableCurrent));
    assert!(has(Severity::Warning, "PDU-3", Quantity::Voltage));
    assert!(has(Severity::Warning, "R9", Quantity::Redundancy));
    // Independent check of the PDU-2 current from its racks' power and its voltage.
    let pdu2 = state(&mut app, "PDU-2");
    let i = 2.0 * 132e3 / 0.98 / (3f64.sqrt() * pdu2.voltage_v);
    assert_rel(pdu2.output_current_a, i, 1e-9, "PDU-2 current");
    // The electrical overloads are there from the first step and stay (the load is steady; the
    // room's temperatures are still moving, so thermal alerts may escalate).
    let log = app.world().resource::<AlertLog>();
    let electrical =
        [Quantity::BreakerCurrent, Quantity::CableCurrent, Quantity::TransformerLoading, Quantity::UpsLoading];
    assert!(log.alerts.iter().filter(|a| electrical.contains(&a.quantity)).all(|a| a.cleared_s.is_none()));
    let first = |id: &str, q| log.alerts.iter().find(|a| a.element == id && a.quantity == q).unwrap().first_seen_s;
    assert_eq!(first("PDU-1", Quantity::BreakerCurrent), 1.0);
    assert_eq!(first("T1", Quantity::TransformerLoading), 1.0);
    // Warning and critical are mutually exclusive per element and quantity.
    let pdu1 = alerts.iter().filter(|a| a.1 == "PDU-1" && a.2 == Quantity::BreakerCurrent).count();
    assert_eq!(pdu1, 1);
}

#[test]
fn fixing_the_overload_clears_the_alert_with_its_time() {
    let mut app = app_after(&load(&root().join("sites/overloaded_room.ron")), 5);
    for id in ["R1", "R2"] {
        let e = entity(&mut app, id);
        app.world_mut().entity_mut(e).insert(InService(false));
    }
    dctwin::headless::advance(&mut app, 1);
    let log = app.world().resource::<AlertLog>();
    let pdu1 = log.alerts.iter().find(|a| a.element == "PDU-1" && a.quantity == Quantity::BreakerCurrent).unwrap();
    assert_eq!(pdu1.first_seen_s, 1.0);
    assert_eq!(pdu1.cleared_s, Some(6.0));
}

#[test]
fn headroom_names_the_binding_element() {
    let mut app = app_after(&load(&root().join("sites/small_2n_room.ron")), 1);
    let rows = dctwin::sim::limits::headroom(app.world_mut());
    let kinds: Vec<LimitKind> = rows.iter().map(|r| r.limit).collect();
    for k in [
        LimitKind::GridFeedCapacity,
        LimitKind::TransformerRating,
        LimitKind::UpsRating,
        LimitKind::BreakerContinuous,
        LimitKind::VoltageRangeA,
    ] {
        assert!(kinds.contains(&k), "{k:?} in {kinds:?}");
    }
    // Sorted by the load growth at which each binds.
    let g = |r: &dctwin::sim::limits::HeadroomRow| r.load_growth_pct.unwrap_or(f64::INFINITY);
    assert!(rows.windows(2).all(|w| g(&w[0]) <= g(&w[1])));
    // The breaker row binds at the PDU with the highest current, computed here independently.
    let world = app.world_mut();
    let mut q = world.query::<(bevy::prelude::Entity, &ElementId, &Distribution)>();
    let net = world.resource::<dctwin::sim::electrical::ElectricalNetwork>();
    let ratios: Vec<(String, f64)> = q
        .iter(world)
        .map(|(e, id, d)| (id.0.clone(), net.state(e).input_current_a / (d.0.breaker_a * d.0.continuous_pct / 100.0)))
        .collect();
    let highest = ratios.iter().map(|r| r.1).fold(0.0, f64::max);
    let row = rows.iter().find(|r| r.limit == LimitKind::BreakerContinuous).unwrap();
    let binding = ratios.iter().find(|r| r.0 == row.element).unwrap();
    assert_eq!(binding.1, highest, "{} binds at the highest current ratio", row.element);
    assert_rel(1.0 - row.margin_pct / 100.0, highest, 1e-9, "breaker margin");
}

/// A constant-power load beyond what the cable can deliver has no load-flow solution: the
/// solver reports voltage collapse as a critical alert instead of numbers, with the share of
/// the demand the network could carry (about a third here).
#[test]
fn voltage_collapse_is_reported() {
    let site = parse(
        r#"(version: 1, name: "collapse",
            grid_feeds: [(id: "U", model: "utility-13.8kv-10mva", position_m: (0.0, 0.0))],
            transformers: [(id: "T", model: "xfmr-1000kva-13.8kv-415v", upstream: "U", position_m: (1.0, 0.0))],
            distribution: [(id: "P", model: "pdu-415v-400a", upstream: "T", feeder: (cable: "cu-xlpe-4c-95mm2-lv", length_m: 1000.0), position_m: (2.0, 0.0))],
            racks: [(id: "R", model: "gb200-nvl72", feed_a: "P", overrides: (rated_kw: 500.0), position_m: (3.0, 0.0))])"#,
    );
    // Maximum transfer through ≈0.26 Ω is 3·E²/(4·|Z|)·(…) ≈ 170 kW, far below 500 kW.
    let app = app_after(&site, 1);
    assert!(!app.world().resource::<SiteTotals>().converged);
    let alerts = active(&app);
    assert!(
        alerts.iter().any(|a| a.0 == Severity::Critical
            && a.1 == "site"
            && a.2 == Quantity::VoltageCollapse
            && (25.0..40.0).contains(&a.3)),
        "{alerts:?}"
    );
}

/// A non-finite number in a solver (forced here: no valid input produces one) is a critical
/// `solver_failure` alert naming the element, and never reaches the report as a number.
#[test]
fn a_non_finite_solver_value_is_a_critical_alert_and_not_a_number_in_the_report() {
    let site = load(&root().join("sites/gb200_pod.ron"));
    let mut app = app_after(&site, 2);
    app.world_mut().resource_mut::<dctwin::sim::thermal::CoolingPlant>().zones[0].room_c = f64::NAN;
    dctwin::headless::advance(&mut app, 1);
    let alerts = active(&app);
    assert!(
        alerts.iter().any(|a| a.0 == Severity::Critical && a.1 == "POD" && a.2 == Quantity::SolverFailure),
        "{alerts:?}"
    );
    let options = dctwin::headless::RunOptions::default();
    let json = dctwin::headless::Report::from_world(app.world_mut(), &options, "x.ron").to_json();
    assert!(!json.contains("null") && !json.contains("NaN"), "no null or NaN in the report");
}

/// Headroom rows are ordered by the uniform IT load growth at which each limit binds (a linear
/// estimate), so the first row is the limit the site reaches first. Checked by simulation: with
/// every rack's rating scaled to 1 % under that growth no limit is crossed; 1 % over it, that
/// limit is.
#[test]
fn the_first_headroom_row_is_the_limit_reached_first_as_load_grows() {
    for name in ["gb200_pod.ron", "small_2n_room.ron", "legacy_air_hall.ron"] {
        let site = load(&root().join("sites").join(name));
        let rows = dctwin::sim::limits::headroom(app_after(&site, 3).world_mut());
        let first = rows[0].clone();
        let growth = first.load_growth_pct.expect("the first row binds with growth");
        let g: Vec<Option<f64>> = rows.iter().map(|r| r.load_growth_pct).collect();
        assert!(
            g.windows(2).all(|w| w[0].unwrap_or(f64::INFINITY) <= w[1].unwrap_or(f64::INFINITY)),
            "{name}: sorted {g:?}"
        );
        let scaled = |factor: f64| {
            let mut s = site.clone();
            let catalog = dctwin::catalog::Catalog::builtin();
            for r in &mut s.racks {
                let kw = r.overrides.rated_kw.unwrap_or(catalog.racks[&r.model].rated_kw);
                r.overrides.rated_kw = Some(kw * factor);
            }
            dctwin::sim::limits::headroom(app_after(&s, 3).world_mut())
        };
        let under = scaled((1.0 + growth / 100.0) * 0.99);
        assert!(under.iter().all(|r| r.margin >= 0.0), "{name}: at 99 % of the growth nothing binds: {under:?}");
        let over = scaled((1.0 + growth / 100.0) * 1.01);
        let row = over.iter().find(|r| r.limit == first.limit).unwrap();
        assert!(row.margin < 0.0, "{name}: at 101 % of the growth {:?} binds: {row:?}", first.limit);
    }
}

/// A UPS whose apparent power binds before its real power shows its kVA, not kW: a 500 kW /
/// 500 kVA UPS feeding 450 kW at power factor 0.8 (562.5 kVA).
#[test]
fn ups_headroom_is_in_the_unit_that_binds() {
    let site = parse(
        r#"(version: 1, name: "ups kva",
        grid_feeds: [(id: "U", model: "utility-13.8kv-10mva", position_m: (0.0, 0.0))],
        transformers: [(id: "T", model: "xfmr-1000kva-13.8kv-415v", upstream: "U", position_m: (1.0, 0.0))],
        ups: [(id: "UPS", model: "ups-500kw", upstream: "T", position_m: (2.0, 0.0))],
        distribution: [(id: "P", model: "swbd-415v-4000a", upstream: "UPS", position_m: (3.0, 0.0))],
        racks: [(id: "R", model: "legacy-air-12kw", feed_a: "P", overrides: (rated_kw: 450.0, power_factor: 0.8), position_m: (4.0, 0.0))],
    )"#,
    );
    let mut app = app_after(&site, 1);
    let rows = dctwin::sim::limits::headroom(app.world_mut());
    let ups = rows.iter().find(|r| r.limit == LimitKind::UpsRating).unwrap();
    assert_eq!((ups.unit, ups.limit_value), ("kVA", 500.0));
    assert_rel(ups.value, 450.0 / 0.8, 1e-9, "apparent power at the UPS output");
    assert!(rows.iter().all(|r| r.margin != 0.0 || !r.margin.is_sign_negative()));
}

/// Alerts grouped by cause: the B side's UPS out of service puts every rack on one cord; those
/// alerts are listed under UPS-B, not one by one. Six of the
/// room's eight CRAHs out: the room's capacity alert gathers its racks' inlet alerts (the
/// failed units are many, the zone is the one place they meet).
#[test]
fn alerts_group_under_their_cause() {
    use dctwin::sim::causes::group_by_cause;
    let site = load(&root().join("sites/small_2n_room.ron"));
    let mut app = app_after(&site, 3);
    crate::run_time::set_service(&mut app, "UPS-B", false);
    dctwin::headless::advance(&mut app, 5);
    let alerts: Vec<_> = app.world().resource::<AlertLog>().active().into_iter().cloned().collect();
    let now = dctwin::sim::world::world_to_site(app.world_mut());
    let groups = group_by_cause(&alerts, &now);
    let ups = groups.iter().find(|g| g.cause == "UPS-B").unwrap_or_else(|| panic!("{groups:#?}"));
    assert!(ups.out_of_service && ups.own.is_empty());
    let one_cord = alerts.iter().filter(|a| a.quantity == Quantity::Redundancy).count();
    assert!(one_cord >= 40, "every rack is on one cord: {one_cord}");
    let counted = ups.counts().into_iter().find(|(q, _)| *q == Quantity::Redundancy).map(|(_, n)| n);
    assert_eq!(counted, Some(one_cord), "{}", ups.summary());
    assert!(
        ups.summary().starts_with(&format!("UPS-B: out of service — {one_cord} × redundancy")),
        "{}",
        ups.summary()
    );
    assert!(
        groups
            .iter()
            .filter(|g| g.cause != "UPS-B")
            .all(|g| g.consequences.iter().all(|a| a.quantity != Quantity::Redundancy))
    );
    // Every alert is in exactly one group.
    let total: usize = groups.iter().map(|g| g.own.len() + g.consequences.len()).sum();
    assert_eq!(total, alerts.len());

    let mut app = app_after(&site, 3);
    for c in ["CRAH-1", "CRAH-2", "CRAH-3", "CRAH-4", "CRAH-5", "CRAH-6"] {
        crate::run_time::set_service(&mut app, c, false);
    }
    dctwin::headless::advance(&mut app, 900);
    let alerts: Vec<_> = app.world().resource::<AlertLog>().active().into_iter().cloned().collect();
    let inlets = alerts.iter().filter(|a| a.quantity == Quantity::InletTemperature).count();
    assert!(inlets > 0, "{alerts:?}");
    let now = dctwin::sim::world::world_to_site(app.world_mut());
    let groups = group_by_cause(&alerts, &now);
    let room = groups.iter().find(|g| g.cause == "ROOM").unwrap_or_else(|| panic!("{groups:#?}"));
    assert!(!room.own.is_empty(), "the room's own alert is the cause entry");
    let counted = room.counts().into_iter().find(|(q, _)| *q == Quantity::InletTemperature).map(|(_, n)| n);
    assert_eq!(counted, Some(inlets), "{}", room.summary());
}

/// The headroom table is each limit kind's tightest row among all the rows of every element
/// (`LimitLines`, which weighs every element in full): the smallest load growth, then the
/// smallest margin, then the first id in natural order. The scan that builds the table skips
/// elements whose rows cannot bind before the winners so far; this checks that it never skips a
/// winner, on the generated 2N hall with every rack at its own utilization (so the winners are
/// single elements, not ties), with an A-side transformer out (so one side's voltages sag), and
/// on the example sites.
#[test]
fn headroom_is_the_tightest_of_every_elements_limit_lines() {
    use dctwin::sim::limits::{HeadroomRow, LimitLines};
    use dctwin::site::save::natural_cmp;
    let check = |app: &mut bevy::prelude::App, what: &str| {
        app.world_mut().insert_resource(LimitLines::default());
        dctwin::headless::advance(app, 1);
        let lines = app.world().resource::<LimitLines>().0.clone();
        let table = dctwin::sim::limits::headroom(app.world_mut());
        let growth = |r: &HeadroomRow| r.load_growth_pct.unwrap_or(f64::INFINITY);
        for &kind in LimitKind::ALL {
            let tightest = lines.iter().filter(|r| r.limit == kind).min_by(|a, b| {
                growth(a)
                    .total_cmp(&growth(b))
                    .then(a.margin_pct.total_cmp(&b.margin_pct))
                    .then_with(|| natural_cmp(&a.element, &b.element))
            });
            let row = table.iter().find(|r| r.limit == kind);
            assert_eq!(row, tightest, "{what}: {kind:?}");
        }
        assert!(table.len() >= 5, "{what}: {table:?}");
    };
    let mut hall = app_after(&dctwin::generator::generate_site(300), 2);
    for step in 0..4u64 {
        let world = hall.world_mut();
        let mut racks = world.query::<&mut Utilization>();
        for (i, mut utilization) in racks.iter_mut(world).enumerate() {
            utilization.0 = 0.5 + 0.5 * ((i as u64 * 7919 + step * 104_729) % 1000) as f64 / 1000.0;
        }
        check(&mut hall, &format!("generated hall, step {step}"));
    }
    let t = entity(&mut hall, "T-A1");
    hall.world_mut().entity_mut(t).insert(InService(false));
    check(&mut hall, "generated hall with T-A1 out");
    for path in example_sites() {
        let mut app = app_after(&load(&path), 3);
        check(&mut app, &path.display().to_string());
    }
}

/// Headroom is a reading, worked out when read: reading it after every step changes nothing
/// in the simulation, and a table read once at the end is the table read step by step (its
/// cache follows each step: the legacy hall's inlet and airflow rows move as its racks swing).
#[test]
fn headroom_read_when_wanted_is_the_steps_own() {
    use dctwin::sim::limits::headroom;
    let site = load(&root().join("sites/legacy_air_hall.ron"));
    let (mut reading, mut quiet) = (app_after(&site, 1), app_after(&site, 1));
    let mut tables = Vec::new();
    for step in 0..20 {
        for app in [&mut reading, &mut quiet] {
            let mut racks = app.world_mut().query::<&mut Utilization>();
            for mut utilization in racks.iter_mut(app.world_mut()) {
                utilization.0 = if step % 2 == 0 { 0.9 } else { 1.0 };
            }
            dctwin::headless::advance(app, 1);
        }
        let table = headroom(reading.world_mut());
        assert_eq!(headroom(reading.world_mut()), table, "a second read in the same step is the same table");
        tables.push(table);
    }
    assert_ne!(tables[0], tables[1], "the table follows the steps");
    assert_eq!(headroom(quiet.world_mut()), *tables.last().unwrap(), "read once at the end: the same table");
    let totals = |app: &bevy::prelude::App| app.world().resource::<SiteTotals>().clone();
    assert_eq!(totals(&reading), totals(&quiet), "reading headroom changes no result");
    let alerts = |app: &bevy::prelude::App| app.world().resource::<AlertLog>().active().len();
    assert_eq!(alerts(&reading), alerts(&quiet));
}
