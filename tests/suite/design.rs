//! Site designs in git: the semantic diff of two versions.

use std::process::Command;

use dctwin::catalog::Catalog;
use dctwin::study::diff::{ChangeKind, diff};

use crate::support::*;

fn dctwin(args: &[&str], dir: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_dctwin")).args(args).current_dir(dir).output().unwrap()
}

/// A rack added, one moved and reconnected, a transformer re-rated, a feed taken out: each is
/// named as such; the IT load grows by exactly the added rack's 12 kW; the grid import grows by
/// the IT load plus the losses and cooling it brings (energy balance of the two runs); the
/// alerts of a lost feed (racks on one cord) appear.
#[test]
fn the_diff_names_each_change_and_its_effect() {
    let catalog = Catalog::builtin();
    let old = load(&root().join("sites/small_2n_room.ron"));
    let mut new = old.clone();
    new.transformers.iter_mut().find(|t| t.id == "T-B").unwrap().model = "xfmr-2500kva-13.8kv-415v".into();
    let mut extra = new.racks[0].clone();
    extra.id = "R99".into();
    extra.position_m = (40.0, 40.0);
    new.racks.push(extra);
    let r2 = new.racks.iter_mut().find(|r| r.id == "R2").unwrap();
    r2.feed_a = "PDU-A2".into();
    r2.position_m = (30.0, 30.0);
    new.grid_feeds.iter_mut().find(|g| g.id == "UTIL-A").unwrap().in_service = false;

    let d = diff(&old, &new, "old.ron", "new.ron", &catalog);
    let summary: Vec<(&str, &str)> = d.elements.iter().map(|e| (e.id.as_str(), e.change)).collect();
    assert_eq!(summary, [("R2", "changed"), ("R99", "added"), ("T-B", "changed"), ("UTIL-A", "changed")]);
    let kinds = |id: &str| -> Vec<(String, ChangeKind)> {
        d.elements.iter().find(|e| e.id == id).unwrap().fields.iter().map(|f| (f.field.clone(), f.kind)).collect()
    };
    assert_eq!(
        kinds("R2"),
        [("feed_a".to_string(), ChangeKind::Reconnected), ("position_m".into(), ChangeKind::Moved)]
    );
    assert_eq!(kinds("T-B"), [("model".to_string(), ChangeKind::Rerated)]);
    assert_eq!(kinds("UTIL-A"), [("in_service".to_string(), ChangeKind::Switched)]);

    let e = &d.effect;
    let it = |v: dctwin::study::diff::BeforeAfter| v.after.unwrap() - v.before.unwrap();
    assert_rel(it(e.it_load_kw), 12.0, 1e-9, "one more 12 kW rack");
    // Grid import = IT + losses + cooling in each run, so the changes add up too.
    let run = |s: &dctwin::site::SiteFile| {
        let r = dctwin::headless::run(
            s,
            &catalog,
            &dctwin::headless::RunOptions {
                duration: std::time::Duration::from_secs(1800),
                step: std::time::Duration::from_secs(600),
            },
            "",
        );
        let t = r.totals.electrical.unwrap();
        (t.it_load_kw, t.grid_import_kw, t.losses_kw.total, t.cooling_kw)
    };
    let (a, b) = (run(&old), run(&new));
    assert_rel(e.grid_import_kw.before.unwrap(), a.1, 1e-12, "the diff's runs are plain steady-state runs");
    assert_rel(
        it(e.grid_import_kw),
        (b.0 - a.0) + (b.2 - a.2) + (b.3 - a.3),
        1e-6,
        "ΔP_grid = ΔIT + Δlosses + Δcooling",
    );
    assert!(
        e.alerts_appear.iter().any(|x| x.quantity == "redundancy" && x.severity == "warning"),
        "{:?}",
        e.alerts_appear
    );
    assert!(e.headroom.iter().any(|h| h.limit == "Transformer rating"));
    let md = d.to_markdown();
    assert!(md.contains("## Elements: 1 added, 0 removed, 3 changed"), "{md}");
    assert!(
        md.contains("- **moved, reconnected** R2 (rack): feed_a PDU-A1 → PDU-A2; position_m (0.6, 2.0) → (30.0, 30.0)"),
        "{md}"
    );
    assert!(md.contains("| IT load | ") && md.contains("+12.0 kW |"), "{md}");
    assert!(md.contains("Alerts that appear:"), "{md}");
    // Identical sites: nothing changed, and the effect is zero.
    let same = diff(&old, &old, "a", "b", &catalog);
    assert!(same.is_empty() && same.effect.alerts_appear.is_empty() && same.effect.alerts_clear.is_empty());
    assert_eq!(it(same.effect.grid_import_kw), 0.0);
}

/// `dctwin diff HEAD:site.ron site.ron` in a git repository reads the old version with
/// `git show`; a problem in it is located in `HEAD:site.ron`; a missing revision is refused;
/// JSON for tools.
#[test]
fn the_diff_command_reads_git_revisions() {
    let dir = std::env::temp_dir().join(format!("dctwin-diff-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@t"])
            .args(args)
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    let text = std::fs::read_to_string(root().join("sites/gb200_pod.ron")).unwrap();
    std::fs::write(dir.join("site.ron"), &text).unwrap();
    git(&["init", "-q"]);
    git(&["add", "site.ron"]);
    git(&["commit", "-qm", "pod"]);
    std::fs::write(
        dir.join("site.ron"),
        text.replacen(
            "cdu: \"CDU-1\", position_m: (0.0, 0.0))",
            "cdu: \"CDU-1\", position_m: (0.0, 0.0), utilization: 0.9)",
            1,
        ),
    )
    .unwrap();
    let out = dctwin(&["diff", "HEAD:site.ron", "site.ron"], &dir);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.starts_with("# Site diff: HEAD:site.ron → site.ron"), "{md}");
    let out = dctwin(&["diff", "HEAD:site.ron", "site.ron", "--format", "json"], &dir);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["schema"], "dctwin.diff.v1");
    assert_eq!(json["elements"][0]["fields"][0]["field"], "utilization");

    // A broken committed version: located in the revision.
    std::fs::write(dir.join("site.ron"), text.replacen("version: 1", "version: 7", 1)).unwrap();
    git(&["commit", "-qam", "broken"]);
    std::fs::write(dir.join("site.ron"), &text).unwrap();
    let out = dctwin(&["diff", "HEAD:site.ron", "site.ron"], &dir);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("HEAD:site.ron:") && err.contains("unsupported site file version 7"), "{err}");
    let out = dctwin(&["diff", "HEAD~9:site.ron", "site.ron"], &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("HEAD~9:site.ron:1:1: cannot read site file: git show failed")
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Every example site has a test file, and they all pass: one line per expectation, then the
/// count (what `.ci/run` checks through this test).
#[test]
fn the_example_sites_pass_their_tests() {
    let sites = example_sites();
    for s in &sites {
        let sidecar = s.with_extension("test.ron");
        assert!(sidecar.exists(), "{} has no test file", s.display());
    }
    let out = dctwin(&["test", "sites"], &root());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<&str> = stdout.lines().collect();
    // Every test file under sites/, the composed campus's in sites/campus/ too.
    let expectations: usize = dctwin::study::expect::find(&[root().join("sites")])
        .iter()
        .map(|t| std::fs::read_to_string(t).unwrap().matches("(name: ").count())
        .sum();
    assert_eq!(lines.len(), expectations + 1, "{stdout}");
    assert!(lines[..expectations].iter().all(|l| l.starts_with("PASS sites/") && l.contains("(limit: ")), "{stdout}");
    assert_eq!(lines[expectations], format!("{expectations} passed, 0 failed"));
}

/// A failing expectation says what was measured against what limit and exits 1; an invalid
/// test file is refused at its line and column and exits 2 (nothing runs).
#[test]
fn failing_and_invalid_expectations() {
    let dir = std::env::temp_dir().join(format!("dctwin-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(root().join("sites/small_2n_room.ron"), dir.join("room.ron")).unwrap();
    let write = |text: &str| std::fs::write(dir.join("room.test.ron"), text).unwrap();
    write(
        r#"(
    expect: [
        (name: "T-A keeps 99 %", check: Headroom(element: "T-A", min_pct: 99.0)),
        (name: "UPS-A past its rating", check: Alert(element: "UPS-A", severity: Warning)),
        (name: "PUE below 2", check: PueBelow(max: 2.0, dry_bulb_c: 30.0, wet_bulb_c: 20.0)),
    ],
)"#,
    );
    let out = dctwin(&["test", ".", "--report", "results.json"], &dir);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("results.json")).unwrap()).unwrap();
    assert_eq!(
        (json["schema"].as_str(), json["passed"].as_u64(), json["failed"].as_u64()),
        (Some("dctwin.test.v1"), Some(1), Some(2))
    );
    assert_eq!(json["results"][0]["name"], "T-A keeps 99 %");
    assert_eq!(json["results"][0]["pass"], false);
    assert!(stdout.contains("FAIL ./room.test.ron: T-A keeps 99 %: 62.3 % margin (Transformer rating: "), "{stdout}");
    assert!(stdout.contains("(limit: at least 99 %)"));
    assert!(
        stdout.contains("FAIL ./room.test.ron: UPS-A past its rating: no alert (limit: an alert on UPS-A)"),
        "{stdout}"
    );
    assert!(stdout.contains("PASS ./room.test.ron: PUE below 2: PUE 1."), "{stdout}");
    assert!(stdout.ends_with("1 passed, 2 failed\n"), "{stdout}");

    for (text, located, message) in [
        (
            "(\n    expect: [\n        (name: \"x\", check: Headroom(element: \"T-Z\", min_pct: 1.0)),\n    ],\n)",
            "room.test.ron:3:",
            "x: the site has no element \"T-Z\"",
        ),
        (
            "(\n    expect: [\n        (name: \"y\", check: NoAlerts(severity: Critical, duration: \"soon\")),\n    ],\n)",
            "room.test.ron:3:",
            "y: `soon`",
        ),
        (
            "(\n    expect: [\n        (name: \"z\", check: InletBelow(max_c: 27.0, duration: \"1m\", scenario: \"nope.ron\")),\n    ],\n)",
            "room.test.ron:3:",
            "nope.ron",
        ),
        ("(\n    expect: [\n        (name: \"w\", check: Sometimes()),\n    ],\n)", "room.test.ron:3:", "Sometimes"),
    ] {
        write(text);
        let out = dctwin(&["test", "room.test.ron"], &dir);
        assert_eq!(out.status.code(), Some(2), "{text}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(located) && err.contains(message), "{text}\n{err}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `GridRules`: ERCOT's rule fails on the AI hall's synchronised training job and passes once
/// the job's power has a floor (the same runs as `run --grid-rules ercot`).
#[test]
fn a_grid_rules_expectation_fails_and_passes_like_the_run() {
    let dir = std::env::temp_dir().join(format!("dctwin-test-rules-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(root().join("sites/ai_hall_20mw.ron"), dir.join("hall.ron")).unwrap();
    let job = std::fs::read_to_string(root().join("scenarios/ai_hall_20mw_training_job.ron")).unwrap();
    std::fs::write(dir.join("job.ron"), &job).unwrap();
    std::fs::write(dir.join("floored.ron"), job.replace("duty: 0.6)", "duty: 0.6, floor: 0.8)")).unwrap();
    std::fs::write(
        dir.join("hall.test.ron"),
        r#"(
    expect: [
        (name: "the job passes ERCOT", check: GridRules(rules: "ercot", scenario: "job.ron")),
        (name: "the floored job passes ERCOT", check: GridRules(rules: "ercot", scenario: "floored.ron")),
    ],
)"#,
    )
    .unwrap();
    let out = dctwin(&["test"], &dir);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("FAIL ./hall.test.ron: the job passes ERCOT: 1 of ") && stdout.contains("peak-to-peak"),
        "{stdout}"
    );
    assert!(stdout.contains("PASS ./hall.test.ron: the floored job passes ERCOT: "), "{stdout}");
    assert!(stdout.ends_with("1 passed, 1 failed\n"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `run --plot DIR`: the power, PUE and hottest-inlet charts as 960 × 420 PNGs, byte-identical
/// from one run to the next (bitmap backend, embedded font), linked from the Markdown report.
#[test]
fn run_plots_are_byte_identical_pngs_linked_from_the_report() {
    let dir = std::env::temp_dir().join(format!("dctwin-plot-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let run = |out: &str| {
        let o = dctwin(
            &[
                "run",
                "sites/small_2n_room.ron",
                "--scenario",
                "scenarios/small_2n_room_grid_a_outage.ron",
                "--duration",
                "10m",
                "--plot",
                dir.join(out).to_str().unwrap(),
                "--format",
                "md",
                "--report",
                dir.join(format!("{out}.md")).to_str().unwrap(),
            ],
            &root(),
        );
        assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    };
    run("a");
    run("b");
    for chart in ["power", "pue", "hottest_inlet"] {
        let (a, b) = (
            std::fs::read(dir.join("a").join(format!("{chart}.png"))).unwrap(),
            std::fs::read(dir.join("b").join(format!("{chart}.png"))).unwrap(),
        );
        assert_eq!(a, b, "{chart}.png differs between runs");
        assert_eq!(&a[..8], b"\x89PNG\r\n\x1a\n");
        let (w, h) =
            (u32::from_be_bytes(a[16..20].try_into().unwrap()), u32::from_be_bytes(a[20..24].try_into().unwrap()));
        assert_eq!((w, h), (960, 420));
    }
    let md = std::fs::read_to_string(dir.join("a.md")).unwrap();
    assert!(
        md.contains("## Charts") && md.contains(&format!("![Power]({})", dir.join("a/power.png").display())),
        "{md}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
