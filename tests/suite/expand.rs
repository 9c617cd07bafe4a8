//! `dctwin expand`: options found, priced and ranked as a hand calculation says, and an option
//! applied gives what it promised, by simulation.

use dctwin::catalog::Catalog;
use dctwin::study::expand::{Change, ExpandOption, ExpandOptions, expand};

use crate::support::parse;

/// A hall with two places (busways BW1A and BW1B, 1600 A, under transformer T1, 1000 kVA) of
/// three GB200 racks each, cooled by CDU1; T2 (another 1000 kVA unit) carries nothing; the
/// cooling runs from T3. The team's quotes pin the prices: a 2000 kVA transformer is cheap and
/// slow, a busway and a CDU are dear and fast.
const SITE: &str = r#"(version: 1, name: "expand test",
    grid_feeds: [(id: "U", model: "utility-13.8kv-10mva", position_m: (0.0, -20.0))],
    transformers: [
        (id: "T1", model: "xfmr-1000kva-13.8kv-415v", upstream: "U", position_m: (0.0, -10.0)),
        (id: "T2", model: "xfmr-1000kva-13.8kv-415v", upstream: "U", position_m: (10.0, -10.0)),
        (id: "T3", model: "xfmr-2500kva-13.8kv-415v", upstream: "U", position_m: (20.0, -10.0)),
    ],
    distribution: [
        (id: "BW1A", model: "busway-415v-1600a", upstream: "T1", position_m: (0.0, -2.0)),
        (id: "BW1B", model: "busway-415v-1600a", upstream: "T1", position_m: (0.0, 6.0)),
        (id: "MCC", model: "swbd-415v-4000a", upstream: "T3", position_m: (20.0, -2.0)),
    ],
    racks: [
        (id: "G1", model: "gb200-nvl72", feed_a: "BW1A", zone: "Z", cdu: "CDU1", position_m: (0.0, 0.0)),
        (id: "G2", model: "gb200-nvl72", feed_a: "BW1A", zone: "Z", cdu: "CDU1", position_m: (0.6, 0.0)),
        (id: "G3", model: "gb200-nvl72", feed_a: "BW1A", zone: "Z", cdu: "CDU1", position_m: (1.2, 0.0)),
        (id: "G4", model: "gb200-nvl72", feed_a: "BW1B", zone: "Z", cdu: "CDU1", position_m: (0.0, 8.0)),
        (id: "G5", model: "gb200-nvl72", feed_a: "BW1B", zone: "Z", cdu: "CDU1", position_m: (0.6, 8.0)),
        (id: "G6", model: "gb200-nvl72", feed_a: "BW1B", zone: "Z", cdu: "CDU1", position_m: (1.2, 8.0)),
    ],
    ambient: (dry_bulb_c: 25.0, wet_bulb_c: 18.0),
    zones: [(id: "Z", volume_m3: 5000.0, containment: HotAisle, ashrae_class: A2, position_m: (5.0, 4.0))],
    water_loops: [
        (id: "CHW", supply_setpoint_c: 7.0, volume_m3: 10.0, pump_power_kw: 5.0, upstream: "MCC", position_m: (30.0, 0.0)),
        (id: "FWS", supply_setpoint_c: 30.0, volume_m3: 20.0, water_class: W32, pump_power_kw: 10.0, upstream: "MCC", position_m: (30.0, 4.0)),
    ],
    crahs: [
        (id: "CRAH1", model: "crah-cw-170kw", zone: "Z", water_loop: "CHW", upstream: "MCC", position_m: (10.0, 2.0)),
        (id: "CRAH2", model: "crah-cw-170kw", zone: "Z", water_loop: "CHW", upstream: "MCC", position_m: (10.0, 6.0)),
    ],
    cdus: [(id: "CDU1", model: "cdu-2000kw", water_loop: "FWS", upstream: "MCC", position_m: (5.0, 12.0))],
    chillers: [(id: "CH1", model: "chiller-centrifugal-1000kw", water_loop: "CHW", upstream: "MCC", position_m: (30.0, 8.0))],
    heat_rejection: [
        (id: "CT1", model: "tower-4000kw", water_loop: "CHW", upstream: "MCC", position_m: (34.0, 8.0)),
        (id: "CT2", model: "tower-4000kw", water_loop: "FWS", upstream: "MCC", position_m: (34.0, 4.0)),
    ],
    economics: (quotes: {
        "xfmr-2000kva-13.8kv-415v": (capex_usd: (100000.0, 100000.0, 100000.0), lead_time_weeks: (100.0, 100.0), install_weeks: 4.0, source: "test quote", as_of: "2026-11"),
        "busway-415v-1600a": (capex_usd: (150000.0, 150000.0, 150000.0), lead_time_weeks: (10.0, 10.0), install_weeks: 2.0, source: "test quote", as_of: "2026-11"),
        "cdu-2000kw": (capex_usd: (400000.0, 400000.0, 400000.0), lead_time_weeks: (12.0, 12.0), install_weeks: 2.0, source: "test quote", as_of: "2026-11"),
    }),
)"#;

fn upsizes_t1(o: &ExpandOption) -> bool {
    matches!(o.changes.as_slice(), [Change::Upsize { element, to, .. }] if element == "T1" && to == "xfmr-2000kva-13.8kv-415v")
}

fn new_row_under_t2(o: &ExpandOption) -> bool {
    o.changes.len() == 3
        && o.changes.iter().any(|c| {
            matches!(c, Change::Add { kind: dctwin::kinds::EquipmentKind::Distribution, links, .. }
                if links == &[("upstream".to_string(), "T2".to_string())])
        })
        && o.changes.iter().any(|c| matches!(c, Change::Add { kind: dctwin::kinds::EquipmentKind::Cdu, .. }))
}

/// Today T1 binds after one rack more (7 × 132 kW / 0.98 ≈ 943 kVA of its 1000). Upsizing it
/// to 2000 kVA lets each busway take its sixth rack (1280 A continuous ≈ 6 racks at 415 V):
/// 6 racks, 5 more than today, 0.66 MW for $0.1 M, energised after 104 weeks. A new row under
/// T2 (a busway and a CDU, $0.55 M, 14 weeks) holds 6 racks on its busway, and T1's places keep
/// their one: 7, 6 more, 0.792 MW. Per US$ M: 6.6 against 1.44, the transformer first; per
/// month: 0.0276 against 0.246, the new row first.
#[test]
fn options_rank_per_dollar_and_per_month_as_the_hand_calculation_says() {
    let site = parse(SITE);
    let catalog = Catalog::builtin();
    let options = ExpandOptions { model: "gb200-nvl72".into(), target_mw: Some(0.7), n_1: false };
    let report = expand(&site, &catalog, &options, &|_| {}).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.racks_today, 1, "{}", report.to_markdown(20));
    assert_eq!(report.binding_today.as_ref().map(|b| b.element.as_str()), Some("T1"));
    let a = report.options.iter().position(upsizes_t1).unwrap_or_else(|| panic!("{}", report.to_markdown(20)));
    let b = report.options.iter().position(new_row_under_t2).unwrap_or_else(|| panic!("{}", report.to_markdown(20)));
    let (oa, ob) = (&report.options[a], &report.options[b]);
    // The hand calculation.
    let months = |weeks: f64| weeks / (365.25 / 7.0 / 12.0);
    assert_eq!((oa.racks_unlocked, ob.racks_unlocked), (5, 6), "{}", report.to_markdown(20));
    assert!((oa.mw_unlocked - 5.0 * 0.132).abs() < 1e-9 && (ob.mw_unlocked - 6.0 * 0.132).abs() < 1e-9);
    assert_eq!((oa.capex_usd.1, ob.capex_usd.1), (100_000.0, 550_000.0));
    assert!((oa.months - months(104.0)).abs() < 1e-9 && (ob.months - months(14.0)).abs() < 1e-9);
    let per_musd = (0.66 / 0.1, 0.792 / 0.55);
    let per_month = (0.66 / months(104.0), 0.792 / months(14.0));
    assert!((oa.mw_per_musd.unwrap() - per_musd.0).abs() < 1e-9 && (ob.mw_per_musd.unwrap() - per_musd.1).abs() < 1e-9);
    assert!(
        (oa.mw_per_month.unwrap() - per_month.0).abs() < 1e-9 && (ob.mw_per_month.unwrap() - per_month.1).abs() < 1e-9
    );
    assert!(per_musd.0 > per_musd.1 && per_month.1 > per_month.0);
    assert!(a < b, "per US$ M the transformer comes first");
    let (ma, mb) =
        (report.by_month.iter().position(|&i| i == a).unwrap(), report.by_month.iter().position(|&i| i == b).unwrap());
    assert!(mb < ma, "per month the new row comes first");
    // Net value over 36 months at $1.2 M per MW-month, less capex.
    let net = |mw: f64, m: f64, capex: f64| mw * 1.2e6 * (36.0 - m) - capex;
    assert!((oa.net_value_usd - net(0.66, months(104.0), 1e5)).abs() < 1e-3);
    assert!((ob.net_value_usd - net(0.792, months(14.0), 5.5e5)).abs() < 1e-3);
    assert_eq!((oa.meets_target, ob.meets_target), (Some(false), Some(true)));
    assert!(oa.parts.iter().all(|p| p.quoted && p.economics.source == "test quote"));
}

/// The top option per US$ M, built and with the racks it promised placed: the site runs with
/// them, and the capacity search on it finds no room for one more (the promise, by simulation).
#[test]
fn the_top_option_applied_holds_what_it_promised() {
    let site = parse(SITE);
    let catalog = Catalog::builtin();
    let options = ExpandOptions { model: "gb200-nvl72".into(), ..Default::default() };
    let report = expand(&site, &catalog, &options, &|_| {}).unwrap();
    let top = report.options.iter().find(|o| !o.changes.iter().any(|c| matches!(c, Change::PowerCap { .. }))).unwrap();
    let built = top.applied(&site).unwrap();
    dctwin::site::validate::validate(&built, "", "site", &catalog).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(built.racks.len(), site.racks.len() + top.racks as usize, "{}", top.title);
    let after = dctwin::study::capacity::capacity(
        &built,
        &catalog,
        &dctwin::study::capacity::CapacityOptions { model: "gb200-nvl72".into(), ..Default::default() },
        &|_| {},
    )
    .unwrap();
    assert_eq!(after.racks, 0, "{}: the promised racks fill it ({:?})", top.title, after.binding);
    // And it runs without an alert.
    let run = dctwin::headless::run(
        &built,
        &catalog,
        &dctwin::headless::RunOptions {
            duration: std::time::Duration::from_secs(1800),
            step: std::time::Duration::from_secs(600),
        },
        "built",
    );
    assert_eq!(run.active_alerts().count(), 0, "{:?}", run.active_alerts().collect::<Vec<_>>());
}

/// Every equipment model of the built-in catalog has a price, a lead time and a source.
#[test]
fn every_catalog_model_is_priced_with_a_source() {
    let catalog = Catalog::builtin();
    let mut priced = 0;
    for &kind in dctwin::kinds::EquipmentKind::ALL {
        for name in catalog.model_names(kind) {
            let e = catalog.economics(kind, &name).unwrap_or_else(|| panic!("{name} has no economics"));
            assert!(e.problems().is_empty(), "{name}: {:?}", e.problems());
            assert!(e.capex_usd.0 > 0.0 && e.lead_time_weeks.1 > 0.0, "{name}");
            assert!(!e.source.is_empty() && e.as_of == "2025", "{name}");
            priced += 1;
        }
    }
    assert!(priced >= 39, "{priced} models priced");
}

/// The site's `economics` section: refused where it is wrong (a quote for a model the catalog
/// does not have, a capex out of order), kept through a save.
#[test]
fn site_economics_are_checked_and_saved() {
    let catalog = Catalog::builtin();
    let problems = |text: &str| -> Vec<String> {
        match dctwin::site::load::parse_site(text, "x.ron", &catalog) {
            Ok(_) => vec![],
            Err(e) => e.0.iter().map(|p| format!("{}:{}: {}", p.line, p.col, p.message)).collect(),
        }
    };
    let bad = SITE
        .replace(r#""cdu-2000kw": (capex_usd: (400000.0"#, r#""cdu-9000kw": (capex_usd: (400000.0"#)
        .replace("(150000.0, 150000.0, 150000.0)", "(150000.0, 120000.0, 100000.0)");
    let found = problems(&bad);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found.iter().any(|p| p.contains("quote for \"cdu-9000kw\": the catalog has no such model")), "{found:?}");
    assert!(
        found.iter().any(
            |p| p.contains("quote for \"busway-415v-1600a\": capex must be (low, mid, high) with low ≤ mid ≤ high")
        ),
        "{found:?}"
    );
    assert!(found.iter().all(|p| p.starts_with("39:") || p.starts_with("40:") || p.starts_with("41:")), "{found:?}");
    // A price that would overflow a sum (1e308) is refused, not summed to infinity.
    let huge = problems(&SITE.replace("(400000.0, 400000.0, 400000.0)", "(1e308, 1e308, 1e308)"));
    assert_eq!(huge.len(), 1, "{huge:?}");
    assert!(huge[0].contains("capex must be between 0 and 1e10 US$ per unit"), "{huge:?}");
    let site = parse(SITE);
    let saved = site.to_ron_string();
    assert!(saved.contains("    economics: (quotes: {"), "{saved}");
    assert_eq!(parse(&saved).economics, site.economics);
}
