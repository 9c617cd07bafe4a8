//! Every numeric field of every kind, set to 0, −1, NaN, 1e308 and 1e-300 in turn, is either
//! refused at the value's file:line:col or gives a report whose every number is finite.

use std::time::Duration;

use dctwin::catalog::Catalog;
use dctwin::headless::{self, RunOptions};
use dctwin::site::SiteFile;
use dctwin::site::element::{EquipmentKind, SiteElement};
use dctwin::site::load::parse_site;

use crate::support::*;

const VALUES: [f64; 5] = [0.0, -1.0, f64::NAN, 1e308, 1e-300];

/// A site changed in one number, and the id of the element it belongs to ("ambient" for the
/// outdoor conditions).
struct Probe {
    what: String,
    owner: String,
    site: SiteFile,
}

/// The element with `id` replaced by `changed`.
fn with_element(site: &SiteFile, changed: SiteElement) -> SiteFile {
    let mut next = site.clone();
    assert!(SiteElement::remove_from(&mut next, changed.kind(), changed.id()));
    changed.insert_into(&mut next);
    next
}

/// Probes of the first element of each kind in `site`: every rating number and every number the
/// element itself carries (position, rotation, utilization, feeder, volumes, setpoints).
fn probes(site: &SiteFile, catalog: &Catalog) -> Vec<Probe> {
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for e in SiteElement::all_of(site) {
        if !seen.insert(e.kind()) {
            continue;
        }
        let id = e.id().to_string();
        for value in VALUES {
            for n in e.rating_numbers(catalog) {
                let index = n.index.unwrap_or(0);
                if let Some(changed) = e.with_rating_number(catalog, n.name, index, value) {
                    out.push(Probe {
                        what: format!("{id}.{} = {value}", n.path()),
                        owner: id.clone(),
                        site: with_element(site, changed),
                    });
                }
            }
            let mut own: Vec<(&str, SiteElement)> = Vec::new();
            let mut x = e.clone();
            x.set_position_m((value, e.position_m().1));
            own.push(("position_m.0", x));
            let mut y = e.clone();
            y.set_position_m((e.position_m().0, value));
            own.push(("position_m.1", y));
            match &e {
                SiteElement::Rack(r) => {
                    let mut r2 = r.clone();
                    r2.utilization = value;
                    own.push(("utilization", SiteElement::Rack(r2)));
                    let mut r3 = r.clone();
                    r3.rotation_deg = value;
                    own.push(("rotation_deg", SiteElement::Rack(r3)));
                }
                SiteElement::Transformer(t) if t.feeder.is_some() => {
                    let mut t2 = t.clone();
                    t2.feeder.as_mut().unwrap().length_m = value;
                    own.push(("feeder.length_m", SiteElement::Transformer(t2)));
                }
                SiteElement::Distribution(d) if d.feeder.is_some() => {
                    let mut d2 = d.clone();
                    d2.feeder.as_mut().unwrap().length_m = value;
                    own.push(("feeder.length_m", SiteElement::Distribution(d2)));
                }
                SiteElement::Zone(z) => {
                    let mut z2 = z.clone();
                    z2.volume_m3 = value;
                    own.push(("volume_m3", SiteElement::Zone(z2)));
                }
                SiteElement::WaterLoop(l) => {
                    for (field, set) in [
                        (
                            "supply_setpoint_c",
                            (|l: &mut dctwin::site::cooling::WaterLoopSpec, v| l.supply_setpoint_c = v)
                                as fn(&mut _, f64),
                        ),
                        ("volume_m3", |l, v| l.volume_m3 = v),
                        ("pump_power_kw", |l, v| l.pump_power_kw = v),
                    ] {
                        let mut l2 = l.clone();
                        set(&mut l2, value);
                        own.push((field, SiteElement::WaterLoop(l2)));
                    }
                }
                _ => {}
            }
            for (field, changed) in own {
                out.push(Probe {
                    what: format!("{id}.{field} = {value}"),
                    owner: id.clone(),
                    site: with_element(site, changed),
                });
            }
        }
    }
    if let Some(a) = &site.ambient {
        for value in VALUES {
            for field in ["dry_bulb_c", "wet_bulb_c"] {
                let mut next = site.clone();
                let mut b = a.clone();
                if field == "dry_bulb_c" {
                    b.dry_bulb_c = Some(value)
                } else {
                    b.wet_bulb_c = Some(value)
                }
                next.ambient = Some(b);
                out.push(Probe { what: format!("ambient.{field} = {value}"), owner: "ambient".into(), site: next });
            }
        }
    }
    out
}

/// Asserts that `value` holds no `null` (a serialized NaN or infinity) anywhere.
fn assert_all_numbers(value: &serde_json::Value, path: &str, what: &str) {
    match value {
        serde_json::Value::Null => panic!("{what}: null at {path} (a non-finite number reached the report)"),
        serde_json::Value::Array(items) => {
            items.iter().enumerate().for_each(|(i, v)| assert_all_numbers(v, &format!("{path}[{i}]"), what))
        }
        serde_json::Value::Object(map) => {
            map.iter().for_each(|(k, v)| assert_all_numbers(v, &format!("{path}.{k}"), what))
        }
        serde_json::Value::Number(n) => assert!(n.as_f64().is_some_and(f64::is_finite), "{what}: {path} = {n}"),
        _ => {}
    }
}

#[test]
fn every_numeric_field_is_refused_in_place_or_gives_finite_results() {
    let catalog = Catalog::builtin();
    let run = RunOptions { duration: Duration::from_secs(3), step: Duration::from_secs(1) };
    let (mut refused, mut ran, mut kinds) = (0, 0, std::collections::BTreeSet::new());
    // Two example sites, then the kinds they lack from a site with every kind.
    let sites = [
        ("gb200_pod.ron", load(&root().join("sites/gb200_pod.ron"))),
        ("small_2n_room.ron", load(&root().join("sites/small_2n_room.ron"))),
        ("every kind", site_with_every_kind()),
    ];
    for (name, site) in sites {
        let probed_before = kinds.clone();
        for probe in probes(&site, &catalog) {
            let owner_kind = site.element(&probe.owner).map(|e| e.kind());
            if name == "every kind" && owner_kind.is_none_or(|k| probed_before.contains(&k)) {
                continue;
            }
            let text = probe.site.to_ron_string();
            // The line the changed value sits on: its element's (one per line), or `ambient`.
            let needle =
                if probe.owner == "ambient" { "ambient:".to_string() } else { format!("(id: \"{}\",", probe.owner) };
            let line = text.lines().position(|l| l.contains(&needle)).map(|i| i + 1).unwrap();
            match parse_site(&text, "probe.ron", &catalog) {
                Err(problems) => {
                    refused += 1;
                    assert!(
                        problems.0.iter().any(|p| p.line == line && p.col > 1 && p.file == "probe.ron"),
                        "{name}: {}: no problem points at line {line}:\n{problems}",
                        probe.what
                    );
                }
                Ok(valid) => {
                    ran += 1;
                    let report = headless::run(&valid, &catalog, &run, "probe.ron");
                    let value = serde_json::to_value(&report).unwrap();
                    assert_all_numbers(&value, "report", &format!("{name}: {}", probe.what));
                    assert!(
                        !report.alerts.iter().any(|a| a.quantity == dctwin::sim::limits::Quantity::SolverFailure),
                        "{name}: {}: solver failure",
                        probe.what
                    );
                }
            }
            if let Some(k) = SiteElement::all_of(&probe.site).iter().find(|e| e.id() == probe.owner).map(|e| e.kind()) {
                kinds.insert(k);
            }
        }
    }
    // Every kind was probed, and both outcomes happened.
    assert_eq!(kinds.len(), EquipmentKind::ALL.len(), "kinds probed: {kinds:?}");
    assert!(refused > 100 && ran > 20, "refused {refused}, ran {ran}");
}

#[test]
fn a_catalog_with_a_non_finite_curve_coefficient_is_refused_at_its_line() {
    let text = dctwin::catalog::BUILTIN_CATALOG_RON.replacen("capft: (0.257896", "capft: (NaN", 1);
    assert_ne!(text, dctwin::catalog::BUILTIN_CATALOG_RON);
    let line = text.lines().position(|l| l.contains("capft: (NaN")).unwrap() + 1;
    let problems = Catalog::parse(&text, "cat.ron").unwrap_err();
    assert!(
        problems.0.iter().any(|p| p.line == line && p.message.contains("capft[0] must be a finite number, not NaN")),
        "{problems}"
    );
}
