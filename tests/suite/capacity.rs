//! Capacity search and stranded capacity against hand calculations, confirmed by simulation.

use dctwin::catalog::Catalog;
use dctwin::headless::{RunOptions, run};
use dctwin::sim::limits::{Quantity, Severity};
use dctwin::site::SiteFile;
use dctwin::study::capacity::{CapacityOptions, capacity};

use crate::support::*;

/// 2N without cooling: two 13.8 kV feeds, a 1000 kVA transformer and a 250 A PDU on each side,
/// two dual-corded 12 kW racks (pf 0.95) on both PDUs.
const TWO_N: &str = r#"(
    version: 1,
    name: "2N PDU pair",
    grid_feeds: [
        (id: "UTIL-A", model: "utility-13.8kv-10mva", position_m: (-10.0, 0.0)),
        (id: "UTIL-B", model: "utility-13.8kv-10mva", position_m: (-10.0, 6.0)),
    ],
    transformers: [
        (id: "T-A", model: "xfmr-1000kva-13.8kv-415v", upstream: "UTIL-A", position_m: (-6.0, 0.0)),
        (id: "T-B", model: "xfmr-1000kva-13.8kv-415v", upstream: "UTIL-B", position_m: (-6.0, 6.0)),
    ],
    distribution: [
        (id: "PDU-A", model: "pdu-415v-250a", upstream: "T-A", position_m: (-2.0, 0.0)),
        (id: "PDU-B", model: "pdu-415v-250a", upstream: "T-B", position_m: (-2.0, 6.0)),
    ],
    racks: [
        (id: "R1", model: "legacy-air-12kw", feed_a: "PDU-A", feed_b: "PDU-B", position_m: (0.0, 3.0)),
        (id: "R2", model: "legacy-air-12kw", feed_a: "PDU-A", feed_b: "PDU-B", position_m: (0.6, 3.0)),
    ],
)"#;

/// One 12 kW rack's line current at 415 V and pf 0.95, A.
fn rack_a() -> f64 {
    12_000.0 / (3f64.sqrt() * 415.0 * 0.95)
}

/// `site` with `n` more racks like R1.
fn with_more(site: &SiteFile, n: usize) -> SiteFile {
    let mut s = site.clone();
    for i in 0..n {
        let mut r = site.racks[0].clone();
        r.id = format!("X{i}");
        r.position_m = (1.2 + 0.6 * i as f64, 3.0);
        s.racks.push(r);
    }
    s
}

/// Breaker-current alerts on the PDUs at the steady state, with `failed` out of service.
fn breaker_alerts(site: &SiteFile, failed: Option<&str>) -> Vec<(String, Severity)> {
    let mut s = site.clone();
    if let Some(id) = failed {
        s.grid_feeds.iter_mut().filter(|g| g.id == id).for_each(|g| g.in_service = false);
    }
    let report = run(
        &s,
        &Catalog::builtin(),
        &RunOptions { duration: std::time::Duration::from_secs(4), step: std::time::Duration::from_secs(1) },
        "",
    );
    report
        .alerts
        .iter()
        .filter(|a| a.quantity == Quantity::BreakerCurrent && a.cleared_s.is_none())
        .map(|a| (a.element.clone(), a.severity))
        .collect()
}

/// The 250 A PDU's continuous rating is 200 A (80 %). Each PDU carries half of every rack in 2N:
/// 200 / (17.57 / 2) = 22.8 racks, so 22 in all (a 2 % voltage drop leaves 22.3), 20 more than
/// the two there. With `--n-1` each PDU must carry every rack alone when the other side's feed
/// fails: 200 / 17.57 = 11.4, so 11 in all, 9 more: lower by the computed 11. Adding exactly
/// that many, and one more, in a simulation of its own confirms both.
#[test]
fn capacity_equals_the_breaker_hand_calculation_and_n1_halves_it() {
    let catalog = Catalog::builtin();
    let site = parse(TWO_N);
    let per_pdu_healthy = 200.0 / (rack_a() / 2.0);
    let per_pdu_n1 = 200.0 / rack_a();
    assert!((22.5..23.0).contains(&per_pdu_healthy) && (11.2..11.5).contains(&per_pdu_n1));
    let healthy_total = per_pdu_healthy.floor() as u32; // 22
    let n1_total = per_pdu_n1.floor() as u32; // 11

    let options = CapacityOptions { model: "legacy-air-12kw".into(), ..CapacityOptions::default() };
    let report = capacity(&site, &catalog, &options, &|_| {}).unwrap();
    assert_eq!(report.racks, healthy_total - 2, "{}", report.to_markdown());
    assert_eq!(report.places.len(), 1);
    let binding = report.binding.as_ref().unwrap();
    assert!(binding.limit == "breaker current" && binding.element.starts_with("PDU-"), "{binding:?}");
    assert_eq!(binding.limit_value, 200.0);
    assert_eq!(report.places[0].new_racks.len(), 20);
    assert_eq!(report.places[0].new_racks[0].0, "R3", "new racks continue the template's ids");
    assert_eq!(report.places[0].new_racks[0].1, (1.2, 3.0), "and its row");

    let n1 = capacity(&site, &catalog, &CapacityOptions { n_1: true, ..options.clone() }, &|_| {}).unwrap();
    assert_eq!(n1.racks, n1_total - 2, "{}", n1.to_markdown());
    assert_eq!(report.racks - n1.racks, healthy_total - n1_total);
    let b = n1.binding.as_ref().unwrap();
    assert!(b.limit == "breaker current" && b.contingency.is_some(), "{b:?}");
    assert!(n1.unsafe_today.is_empty());

    // Confirmed by simulation, independently of the search: N fits, N + 1 does not.
    assert!(breaker_alerts(&with_more(&site, 20), None).is_empty());
    assert_eq!(breaker_alerts(&with_more(&site, 21), None).len(), 2, "both PDUs past 200 A");
    for feed in ["UTIL-A", "UTIL-B"] {
        assert!(breaker_alerts(&with_more(&site, 9), Some(feed)).is_empty(), "9 more, {feed} failed");
        let over = breaker_alerts(&with_more(&site, 10), Some(feed));
        assert_eq!(over.len(), 1, "10 more, {feed} failed: {over:?}");
        assert_eq!(over[0].1, Severity::Warning);
    }
}

/// A 1000 kVA transformer whose only PDU allows 11 racks (200 A continuous / 17.57 A): the
/// transformer's stranded capacity is its rating less what the PDU lets through (11 racks at
/// 12 kW / 0.95 = 138.9 kVA), within its own losses and reactive power; the PDU is named as the
/// blocker; the site total for transformers says the same in IT kW.
#[test]
fn stranded_capacity_is_the_transformer_rating_less_what_its_pdu_allows() {
    let catalog = Catalog::builtin();
    let single = TWO_N.replace(", feed_b: \"PDU-B\"", "");
    let site = parse(&single);
    let report =
        capacity(&site, &catalog, &CapacityOptions { model: "legacy-air-12kw".into(), ..Default::default() }, &|_| {})
            .unwrap();
    let total = (200.0 / rack_a()).floor();
    assert_eq!(f64::from(report.racks + 2), total, "{}", report.to_markdown());
    let t = report.stranded.iter().find(|s| s.element == "T-A").expect("T-A stranded");
    let hand_kva = 1000.0 - total * 12.0 / 0.95;
    assert_rel(t.stranded, hand_kva, 0.01, "T-A stranded kVA");
    assert_eq!(t.unit, "kVA");
    assert!(t.blocker.starts_with("PDU-A's breaker current"), "{}", t.blocker);
    assert_rel(t.share_pct, hand_kva / 10.0, 0.01, "share of 1000 kVA, %");
    // As IT load: the racks' kW that much apparent power carries.
    assert_rel(t.stranded_kw, hand_kva * 0.95, 0.02, "T-A stranded kW of IT");
    let kind =
        report.stranded_by_kind.iter().find(|k| k.limit == dctwin::sim::limits::LimitKind::TransformerRating).unwrap();
    assert_eq!(kind.elements, 1);
    assert_rel(kind.stranded_kw, t.stranded_kw, 1e-12, "one transformer: the site total");
    // The PDU binds: it is not stranded. The idle B side serves no place: not listed.
    assert!(report.stranded.iter().all(|s| s.element != "PDU-A" && !s.element.ends_with("-B")));
    let md = report.to_markdown();
    assert!(md.contains("- T-A: ") && md.contains("kVA stranded"), "{md}");
}

/// The command: Markdown on stdout, a JSON report, the simulation count on stderr; refusals for
/// an unknown model, zone or element.
#[test]
fn the_capacity_command_answers_and_refuses() {
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_dctwin")).args(args).current_dir(root()).output().unwrap()
    };
    let json = std::env::temp_dir().join(format!("dctwin-capacity-{}.json", std::process::id()));
    let out = run(&[
        "capacity",
        "sites/small_2n_room.ron",
        "--add",
        "legacy-air-12kw",
        "--zone",
        "ROOM",
        "--report",
        json.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.starts_with("# Capacity: Small 2N room + legacy-air-12kw (12 kW)"), "{md}");
    assert!(md.contains("more racks fit") && md.contains("Binds first: "), "{md}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("simulations in "));
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["schema"], "dctwin.capacity.v1");
    let racks = report["racks"].as_u64().unwrap();
    let placed: u64 = report["places"].as_array().unwrap().iter().map(|p| p["racks"].as_u64().unwrap()).sum();
    assert_eq!(racks, placed);
    std::fs::remove_file(&json).unwrap();
    for (args, msg) in [
        (vec!["--add", "gb300"], "--add gb300: no such rack model (dgx-b200-x4, dgx-h100-x4, gb200-nvl72,"),
        (vec!["--add", "legacy-air-12kw", "--zone", "HALL"], "--zone HALL: the site has no such zone"),
        (vec!["--add", "legacy-air-12kw", "--near", "T-Z"], "--near T-Z: the site has no such element"),
        (
            vec!["--add", "legacy-air-12kw", "--zone", "ELEC"],
            "no place for new racks: the site has no rack in service in zone ELEC",
        ),
    ] {
        let out = run(&[&["capacity", "sites/small_2n_room.ron"][..], &args].concat());
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains(msg), "{}", String::from_utf8_lossy(&out.stderr));
    }
}
