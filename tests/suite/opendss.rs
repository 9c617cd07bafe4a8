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

#[test]
fn example_sites_agree_with_opendss() {
    let python = python();
    let dir = std::env::temp_dir().join(format!("dctwin-opendss-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for path in example_sites() {
        // Two steps: the cooling loads the thermal step computes join the network on the second.
        let mut app = app_after(&load(&path), 2);
        let export = dctwin::export::opendss::export(app.world_mut());
        let dss = dir.join(format!("{}.dss", path.file_stem().unwrap().to_string_lossy()));
        std::fs::write(&dss, &export.script).unwrap();
        let out = Command::new(&python).arg(root().join("tests/opendss/solve_dss.py")).arg(&dss).output().unwrap();
        assert!(
            out.status.success(),
            "{}: OpenDSS failed: {}{}",
            path.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(result["converged"], true);
        let buses = result["buses"].as_object().unwrap();
        let mut worst: f64 = 0.0;
        for (bus, v_dctwin, v_nom) in &export.buses {
            let v_dss = buses
                .get(bus)
                .and_then(|v| v.as_f64())
                .unwrap_or_else(|| panic!("{}: OpenDSS has no bus {bus}", path.display()));
            let diff_pu = (v_dss - v_dctwin).abs() / v_nom;
            worst = worst.max(diff_pu);
            assert!(
                diff_pu < 1e-6,
                "{}: bus {bus}: OpenDSS {v_dss} V, dctwin {v_dctwin} V ({diff_pu:e} pu)",
                path.display()
            );
        }
        assert!(export.buses.len() >= 5, "{}: compared {} buses", path.display(), export.buses.len());
        assert!(export.script.contains("New Load.aux_"), "{}: cooling loads are exported", path.display());
        let losses_dss = result["losses_w"].as_f64().unwrap();
        assert_rel(losses_dss, export.losses_w, 1e-4, &format!("{}: line + transformer losses", path.display()));
        eprintln!(
            "{}: {} buses, worst |ΔV| {worst:.2e} pu, losses {:.3} kW vs OpenDSS {:.3} kW",
            path.display(),
            export.buses.len(),
            export.losses_w / 1e3,
            losses_dss / 1e3
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}
