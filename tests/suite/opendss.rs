//! Cross-check against OpenDSS: every example site is exported, solved by OpenDSS (through
//! opendssdirect.py in the venv `.ci/run` creates) and compared bus by bus.

use std::path::PathBuf;
use std::process::Command;

use crate::support::*;

/// The Python that has opendssdirect.py: `$DCTWIN_PYTHON`, else `.venv/bin/python`.
fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("DCTWIN_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = root().join(".venv/bin/python");
    assert!(
        venv.exists(),
        "OpenDSS cross-check needs a Python with opendssdirect.py: run `.ci/run` once, or\n  python3 -m venv .venv && .venv/bin/pip install opendssdirect.py\n(or set DCTWIN_PYTHON)"
    );
    venv
}

/// A site with one element out of service, named `label`.
fn with_failed(path: &str, id: &str) -> (String, dctwin::site::SiteFile) {
    let mut site = load(&root().join(path));
    let all = dctwin::site::element::SiteElement::all_of(&site);
    let mut e = all.into_iter().find(|e| e.id() == id).unwrap_or_else(|| panic!("{id} in {path}"));
    e.set_in_service(false).unwrap();
    dctwin::site::element::SiteElement::remove_from(&mut site, e.kind(), id);
    e.insert_into(&mut site);
    (format!("{path} with {id} out"), site)
}

/// Two 2.5 MVA transformers with a 0.5 % no-load current (the magnetising current the
/// reference networks carry), each feeding 1.6 MW of racks through a cable, one of them behind
/// a UPS.
const MAGNETISING: &str = r#"(version: 1, name: "magnetising",
    grid_feeds: [(id: "U", model: "utility-13.8kv-25mva", position_m: (0.0, 0.0))],
    transformers: [
        (id: "TA", model: "xfmr-2500kva-13.8kv-415v", upstream: "U", feeder: (cable: "cu-xlpe-1c-240mm2-15kv", length_m: 200.0), overrides: (no_load_current_pct: 0.5), position_m: (1.0, 0.0)),
        (id: "TB", model: "xfmr-2500kva-13.8kv-415v", upstream: "U", feeder: (cable: "cu-xlpe-1c-240mm2-15kv", length_m: 300.0), overrides: (no_load_current_pct: 0.5), position_m: (1.0, 5.0)),
    ],
    ups: [(id: "UA", model: "ups-2500kw-system", upstream: "TA", position_m: (2.0, 0.0))],
    distribution: [
        (id: "PA", model: "busway-415v-1600a", upstream: "UA", feeder: (cable: "cu-xlpe-1c-630mm2-lv", length_m: 30.0, sets: 4), overrides: (breaker_a: 4000.0), position_m: (3.0, 0.0)),
        (id: "PB", model: "busway-415v-1600a", upstream: "TB", feeder: (cable: "cu-xlpe-1c-630mm2-lv", length_m: 40.0, sets: 4), overrides: (breaker_a: 4000.0), position_m: (3.0, 5.0)),
    ],
    racks: [
        (id: "RA", model: "gb200-nvl72", feed_a: "PA", overrides: (rated_kw: 1600.0), position_m: (4.0, 0.0)),
        (id: "RB", model: "gb200-nvl72", feed_a: "PB", overrides: (rated_kw: 1600.0), position_m: (4.0, 5.0)),
    ],
)"#;

#[test]
fn example_sites_and_failure_cases_agree_with_opendss() {
    let python = python();
    let dir = std::env::temp_dir().join(format!("dctwin-opendss-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut cases: Vec<(String, dctwin::site::SiteFile)> =
        example_sites().iter().map(|p| (p.display().to_string(), load(p))).collect();
    // One path out: the A-side transformer of the 2N room (its racks move to B) and a UPS of the
    // AI hall; and the magnetising-current network.
    cases.push(with_failed("sites/small_2n_room.ron", "T-A"));
    cases.push(with_failed("sites/ai_hall_20mw.ron", "UPS-A1"));
    cases.push(("magnetising".into(), parse(MAGNETISING)));
    for (n, (label, site)) in cases.iter().enumerate() {
        let mut app = app_after(site, 2);
        let export = dctwin::export::opendss::export(app.world_mut());
        let dss = dir.join(format!("case{n}.dss"));
        std::fs::write(&dss, &export.script).unwrap();
        let out = Command::new(&python).arg(root().join("tests/opendss/solve_dss.py")).arg(&dss).output().unwrap();
        assert!(
            out.status.success(),
            "{label}: OpenDSS failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(result["converged"], true);
        let buses = result["buses"].as_object().unwrap();
        let mut worst: f64 = 0.0;
        for (bus, v_dctwin, v_nom) in &export.buses {
            let v_dss =
                buses.get(bus).and_then(|v| v.as_f64()).unwrap_or_else(|| panic!("{label}: OpenDSS has no bus {bus}"));
            let diff_pu = (v_dss - v_dctwin).abs() / v_nom;
            worst = worst.max(diff_pu);
            assert!(diff_pu < 1e-6, "{label}: bus {bus}: OpenDSS {v_dss} V, dctwin {v_dctwin} V ({diff_pu:e} pu)");
        }
        assert!(export.buses.len() >= 5, "{label}: compared {} buses", export.buses.len());
        assert!(
            export.script.contains("New Transformer.") && !export.script.contains("%imag=0 "),
            "{label}: every transformer's magnetising branch is exported"
        );
        let losses_dss = result["losses_w"].as_f64().unwrap();
        assert_rel(losses_dss, export.losses_w, 1e-4, &format!("{label}: line + transformer losses"));
        let var_dss = result["losses_var"].as_f64().unwrap();
        assert_rel(var_dss, export.losses_var, 1e-4, &format!("{label}: line + transformer reactive power"));
        eprintln!(
            "{label}: {} buses, worst |ΔV| {worst:.2e} pu, losses {:.3} kW / {:.3} kvar vs OpenDSS {:.3} kW / {:.3} kvar",
            export.buses.len(),
            export.losses_w / 1e3,
            export.losses_var / 1e3,
            losses_dss / 1e3,
            var_dss / 1e3
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}
