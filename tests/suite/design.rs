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

/// Site-wide sections and rooms are part of a design too. A tropical day (every hour of the
/// profile 10 K dry bulb and 12 K wet bulb hotter, so the night's condenser water, wet bulb +
/// the towers' 4 K approach, rises from ~15 °C into the chillers' 24–35 °C curve range: below
/// it their curves are held at 24 °C and a mildly warmer night costs nothing) is listed field by
/// field and costs cooling power; a room's walls moved and a room added are listed as such and change no
/// number (rooms carry no physics); either alone makes the diff non-empty.
#[test]
fn the_diff_names_changed_settings_and_rooms() {
    let catalog = Catalog::builtin();
    let old = load(&root().join("sites/small_2n_room.ron"));

    let mut hotter = old.clone();
    let ambient = hotter.ambient.as_mut().unwrap();
    assert!(!ambient.hourly.is_empty(), "the profile is what the run follows");
    ambient.hourly.iter_mut().for_each(|(dry, wet)| (*dry, *wet) = (*dry + 10.0, *wet + 12.0));
    let d = diff(&old, &hotter, "old.ron", "hotter.ron", &catalog);
    assert!(d.elements.is_empty() && d.rooms.is_empty() && !d.is_empty());
    let fields: Vec<(&str, ChangeKind)> = d.settings.iter().map(|f| (f.field.as_str(), f.kind)).collect();
    assert_eq!(fields, [("ambient.hourly", ChangeKind::Changed)]);
    let e = &d.effect;
    assert_eq!(e.it_load_kw.before, e.it_load_kw.after, "the weather moves no IT load");
    assert!(
        e.cooling_kw.after.unwrap() > e.cooling_kw.before.unwrap(),
        "hotter outdoors costs cooling power: {:?}",
        e.cooling_kw
    );
    let md = d.to_markdown();
    assert!(
        md.contains("No element changed.") && md.contains("## Site settings: 1 changed\n\n- ambient.hourly "),
        "{md}"
    );

    // A section the old version lacks: one change named after it, with nothing before; a
    // field of it changed next: that field.
    let mut priced = old.clone();
    priced.economics =
        Some(dctwin::catalog::economics::SiteEconomics { horizon_months: Some(24.0), ..Default::default() });
    assert_eq!(setting_fields(&diff(&old, &priced, "a", "b", &catalog)), [("economics".to_string(), false, true)]);
    let mut longer = priced.clone();
    longer.economics.as_mut().unwrap().horizon_months = Some(48.0);
    assert_eq!(
        setting_fields(&diff(&priced, &longer, "a", "b", &catalog)),
        [("economics.horizon_months".to_string(), true, true)]
    );

    let mut rooms = old.clone();
    let mut elec = rooms.rooms[0].clone();
    elec.id = "ELEC-ROOM".into();
    elec.walls_m = vec![(-25.0, -15.0), (-11.0, -15.0), (-11.0, -5.0), (-25.0, -5.0)];
    rooms.rooms[0].walls_m[1].0 += 3.0;
    rooms.rooms[0].walls_m[2].0 += 3.0;
    rooms.rooms.push(elec);
    let d = diff(&old, &rooms, "old.ron", "rooms.ron", &catalog);
    assert!(d.elements.is_empty() && d.settings.is_empty() && !d.is_empty());
    let summary: Vec<(&str, &str, &str)> = d.rooms.iter().map(|r| (r.id.as_str(), r.kind, r.change)).collect();
    assert_eq!(summary, [("ELEC-ROOM", "room", "added"), ("SERVER-ROOM", "room", "changed")]);
    assert_eq!(
        d.rooms[1].fields.iter().map(|f| (f.field.as_str(), f.kind)).collect::<Vec<_>>(),
        [("walls_m", ChangeKind::Moved)]
    );
    let e = &d.effect;
    assert_eq!((e.grid_import_kw.before, e.cooling_kw.before), (e.grid_import_kw.after, e.cooling_kw.after));
    let md = d.to_markdown();
    assert!(
        md.contains("## Rooms: 1 added, 0 removed, 1 changed")
            && md.contains("- **moved** SERVER-ROOM (room): walls_m "),
        "{md}"
    );
}

/// Each setting change as (field, had a value before, has one after).
fn setting_fields(d: &dctwin::study::diff::SiteDiff) -> Vec<(String, bool, bool)> {
    d.settings.iter().map(|f| (f.field.clone(), f.before.is_some(), f.after.is_some())).collect()
}

/// `dctwin diff HEAD:site.ron site.ron` in a git repository reads the old version with
/// `git show`; a problem in it is located in `HEAD:site.ron`; a missing revision is refused;
/// JSON for tools.
#[test]
fn the_diff_command_reads_git_revisions() {
    let dir = fresh_dir("dctwin-diff");
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
    let dir = fresh_dir("dctwin-test");
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
    let dir = fresh_dir("dctwin-test-rules");
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
/// from one run to the next (bitmap backend, embedded font), linked from the Markdown report
/// relative to it.
#[test]
fn run_plots_are_byte_identical_pngs_linked_from_the_report() {
    let dir = fresh_dir("dctwin-plot");
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
    assert!(md.contains("## Charts") && md.contains("![Power](a/power.png)"), "{md}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The bars drawn in a chart's PNG, top to bottom: each one's colour and length, px. A bar is a
/// band of at least 10 rows, each with a run of 2 px or more in one of the bar colours (the
/// 1 px rating line and the text are not bars).
fn bars_drawn(path: &std::path::Path) -> Vec<([u8; 3], usize)> {
    const COLOURS: [[u8; 3]; 5] = [[220, 70, 60], [235, 150, 40], [60, 110, 220], [150, 80, 200], [140, 140, 140]];
    let (img, w, h) = read_rgb(path);
    let row_run = |y: usize| {
        let mut best: Option<([u8; 3], usize)> = None;
        let mut run: Option<([u8; 3], usize)> = None;
        for x in 0..w {
            let i = (y * w + x) * 3;
            let p = [img[i], img[i + 1], img[i + 2]];
            run = match run {
                Some((c, n)) if c == p => Some((c, n + 1)),
                _ if COLOURS.contains(&p) => Some((p, 1)),
                _ => None,
            };
            if let Some((c, n)) = run
                && n >= 2
                && best.is_none_or(|b| n > b.1)
            {
                best = Some((c, n));
            }
        }
        best
    };
    let mut bars = Vec::new();
    let mut band: Vec<([u8; 3], usize)> = Vec::new();
    for y in 0..=h {
        match (y < h).then(|| row_run(y)).flatten() {
            Some(r) => band.push(r),
            None => {
                if band.len() >= 10 {
                    bars.push((band[band.len() / 2].0, band.iter().map(|b| b.1).max().unwrap()));
                }
                band.clear();
            }
        }
    }
    bars
}

/// Each chart: the PNG's bytes, written the same by every run named, 960 px wide and 100 + 26 px
/// a bar high; returns the bars drawn in it.
fn same_pngs(stem: &str, dirs: &[std::path::PathBuf], bars: usize) -> Vec<([u8; 3], usize)> {
    let first = std::fs::read(dirs[0].join(format!("{stem}.png"))).unwrap();
    for d in &dirs[1..] {
        assert!(
            std::fs::read(d.join(format!("{stem}.png"))).unwrap() == first,
            "{stem}.png differs in {}",
            d.display()
        );
    }
    assert_eq!(&first[..8], b"\x89PNG\r\n\x1a\n");
    let (_, w, h) = read_rgb(&dirs[0].join(format!("{stem}.png")));
    assert_eq!((w, h), (960, 100 + 26 * bars), "{stem}.png: {bars} bars");
    bars_drawn(&dirs[0].join(format!("{stem}.png")))
}

const RED: [u8; 3] = [220, 70, 60];

/// `sweep --plot DIR` (and `merge --plot`): the most severe cases, criticality and worst loading
/// as ranked horizontal bars, one a case or element shown, longest first; the same bytes from a
/// second run and from the merged shards of the same sweep; linked from the Markdown report and
/// the printed Markdown by paths relative to them. `--plot` with `--shard` is refused.
#[test]
fn sweep_plots_are_ranked_bars_in_byte_identical_pngs() {
    let dir = fresh_dir("dctwin-sweep-plot");
    std::fs::write(dir.join("fragile.ron"), fragile_small_room_text()).unwrap();
    let sweep = |extra: &[&str]| {
        let o = dctwin(
            &[&["sweep", "fragile.ron", "--duration", "2m", "--depth", "2", "--top", "8"][..], extra].concat(),
            &dir,
        );
        assert_eq!(o.status.code(), Some(0), "{extra:?}: {}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap()
    };
    let printed = sweep(&["--plot", "a", "--report", "a.md", "--format", "md"]);
    sweep(&["--plot", "b", "--report", "b.json"]);
    sweep(&["--shard", "0/2", "--out", "p0.json"]);
    sweep(&["--shard", "1/2", "--out", "p1.json"]);
    let merged = dctwin(&["merge", "p0.json", "p1.json", "--out", "m.json", "--top", "8", "--plot", "m"], &dir);
    assert_eq!(merged.status.code(), Some(0), "{}", String::from_utf8_lossy(&merged.stderr));

    let report: dctwin::study::sweep::SweepReport =
        serde_json::from_str(&std::fs::read_to_string(dir.join("b.json")).unwrap()).unwrap();
    let breaking = report.elements.iter().filter(|e| e.breaking_failures > 0).count();
    let shown = [
        ("sweep-severity", report.cases.len().min(8)),
        ("sweep-criticality", breaking.min(8)),
        ("sweep-loading", report.elements.len().min(8)),
    ];
    assert!(shown.iter().all(|(_, n)| *n >= 3), "{shown:?}: the fixture breaks something");
    let dirs = [dir.join("a"), dir.join("b"), dir.join("m")];
    for (stem, n) in shown {
        let bars = same_pngs(stem, &dirs, n);
        // Every case or element shown has its bar (each one above zero), longest first.
        assert_eq!(bars.len(), n, "{stem}: {bars:?}");
        assert!(bars.windows(2).all(|b| b[0].1 >= b[1].1), "{stem}: ranked {bars:?}");
    }
    // The worst cases lose IT load: red.
    assert_eq!(bars_drawn(&dir.join("a/sweep-severity.png"))[0].0, RED);
    let md = std::fs::read_to_string(dir.join("a.md")).unwrap();
    for text in [&md, &printed] {
        assert!(
            text.contains(&format!(
                "![Most severe failures (8 of {} cases)](a/sweep-severity.png)",
                report.cases.len()
            )) && text.contains("](a/sweep-criticality.png)")
                && text.contains("](a/sweep-loading.png)"),
            "{text}"
        );
    }
    assert!(String::from_utf8(merged.stdout).unwrap().contains("](m/sweep-severity.png)"));
    let o = dctwin(&["sweep", "fragile.ron", "--shard", "0/2", "--out", "x.json", "--plot", "x"], &dir);
    assert_eq!(o.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `capacity --plot DIR`: racks per place (with what one more crosses there) and stranded
/// capacity per element as ranked bars, the same bytes from a second run, linked from the
/// Markdown report relative to it.
#[test]
fn capacity_plots_are_ranked_bars_in_byte_identical_pngs() {
    let dir = fresh_dir("dctwin-capacity-plot");
    let capacity = |extra: &[&str]| {
        let site = root().join("sites/small_2n_room.ron");
        let o = dctwin(&[&["capacity", site.to_str().unwrap(), "--add", "legacy-air-12kw"][..], extra].concat(), &dir);
        assert_eq!(o.status.code(), Some(0), "{extra:?}: {}", String::from_utf8_lossy(&o.stderr));
    };
    capacity(&["--plot", "a", "--report", "c.json"]);
    capacity(&["--plot", "b", "--report", "c.md", "--format", "md"]);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("c.json")).unwrap()).unwrap();
    let places = report["places"].as_array().unwrap();
    let stranded = report["stranded"].as_array().unwrap();
    assert!(places.len() >= 2 && stranded.len() >= 2, "{report}");
    let dirs = [dir.join("a"), dir.join("b")];
    let bars = same_pngs("capacity-places", &dirs, places.len().min(40));
    // A bar per place that takes racks, most first, as long as its count says.
    let mut racks: Vec<u64> = places.iter().map(|p| p["racks"].as_u64().unwrap()).filter(|r| *r > 0).collect();
    racks.sort_by(|a, b| b.cmp(a));
    assert_eq!(bars.len(), racks.len(), "{bars:?}");
    let per_rack = bars[0].1 as f64 / racks[0] as f64;
    for (bar, r) in bars.iter().zip(&racks) {
        assert!((bar.1 as f64 - per_rack * *r as f64).abs() <= 2.0, "{bars:?} for {racks:?} racks");
    }
    let bars = same_pngs("capacity-stranded", &dirs, stranded.len().min(40));
    assert_eq!(bars.len(), stranded.len().min(40));
    assert!(bars.windows(2).all(|b| b[0].1 >= b[1].1), "ranked: {bars:?}");
    let md = std::fs::read_to_string(dir.join("c.md")).unwrap();
    assert!(md.starts_with("# Capacity: Small 2N room + legacy-air-12kw"), "{md}");
    assert!(
        md.contains("](b/capacity-places.png)") && md.contains("![Stranded capacity](b/capacity-stranded.png)"),
        "{md}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
