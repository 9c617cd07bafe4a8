//! Contingency sweeps: single points of failure found exactly, N-2 pruning, the same report
//! whatever the thread count.

use std::time::Duration;

use dctwin::catalog::Catalog;
use dctwin::kinds::EquipmentKind;
use dctwin::study::sweep::{SweepOptions, sweep};

use crate::support::*;

/// The electrical chain only, over 40 minutes at 10 s steps: long enough for a UPS battery
/// (86 kWh at ~250 kW: about 21 min) to run out behind a failed transformer.
fn electrical(depth: u8) -> SweepOptions {
    SweepOptions {
        depth,
        duration: Duration::from_secs(2400),
        step: Duration::from_secs(10),
        only: vec![
            EquipmentKind::GridFeed,
            EquipmentKind::Transformer,
            EquipmentKind::Ups,
            EquipmentKind::Distribution,
        ],
    }
}

/// A proper 2N chain has no single point of failure; give one rack a single cord (no B feed)
/// and the sweep finds exactly its A chain: its PDU, the UPS, the transformer and the utility
/// feed behind them (the last two once the UPS battery has run out), and nothing else.
#[test]
fn the_n1_sweep_finds_exactly_the_deliberate_single_point_of_failure() {
    let catalog = Catalog::builtin();
    let site = load(&root().join("sites/small_2n_room.ron"));
    let report = sweep(&site, &catalog, &electrical(1), &|_, _| {});
    assert_eq!(report.cases.len(), 16);
    assert!(report.single_points_of_failure.is_empty(), "2N: {:?}", report.single_points_of_failure);

    let mut single = site.clone();
    single.racks.iter_mut().find(|r| r.id == "R1").unwrap().feed_b = None;
    let report = sweep(&single, &catalog, &electrical(1), &|_, _| {});
    assert_eq!(report.single_points_of_failure, ["PDU-A1", "T-A", "UPS-A", "UTIL-A"]);
    for id in ["UTIL-A", "T-A", "UPS-A", "PDU-A1"] {
        let case = report.cases.iter().find(|c| c.id == id).unwrap();
        assert_rel(case.it_lost_kw, 12.0, 1e-9, &format!("{id}: R1's 12 kW"));
        assert_eq!(case.racks_down, 1);
    }
    // Ranked first: the failures that lose R1.
    let top: Vec<&str> = report.ranked().iter().take(4).map(|c| c.id.as_str()).collect();
    assert!(top.iter().all(|id| ["UTIL-A", "T-A", "UPS-A", "PDU-A1"].contains(id)), "{top:?}");
}

/// N-2 over the two transformers and UPSes: the pairs where one feeds the other are not run
/// (T-A with UPS-A, T-B with UPS-B), the other four are, and both UPSes together drop every rack.
#[test]
fn the_n2_sweep_prunes_pairs_on_one_chain_and_finds_the_double_failure() {
    let catalog = Catalog::builtin();
    let site = load(&root().join("sites/small_2n_room.ron"));
    let options = SweepOptions {
        depth: 2,
        duration: Duration::from_secs(120),
        step: Duration::from_secs(10),
        only: vec![EquipmentKind::Transformer, EquipmentKind::Ups],
    };
    let report = sweep(&site, &catalog, &options, &|_, _| {});
    let ids: Vec<&str> = report.cases.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["T-A", "T-A+T-B", "T-A+UPS-B", "T-B", "T-B+UPS-A", "UPS-A", "UPS-A+UPS-B", "UPS-B"]);
    assert_eq!(report.pruned_pairs, 2);
    let both = report.cases.iter().find(|c| c.id == "UPS-A+UPS-B").unwrap();
    assert_eq!(both.racks_down, 40);
    let it_kw = app_after(&site, 1).world().resource::<dctwin::sim::electrical::SiteTotals>().it_load_kw;
    assert_rel(both.it_lost_kw, it_kw, 1e-9, "the whole IT load");
    assert_eq!(report.ranked()[0].id, "UPS-A+UPS-B");
    // Each UPS's criticality counts the pair.
    let ups_a = report.elements.iter().find(|e| e.id == "UPS-A").unwrap();
    assert!(ups_a.breaking_failures >= 1);
}

/// The same sweep on one thread and on two gives byte-identical JSON and CSV.
#[test]
fn a_sweep_is_the_same_on_any_number_of_threads() {
    let catalog = Catalog::builtin();
    let site = load(&root().join("sites/small_2n_room.ron"));
    let options = SweepOptions { duration: Duration::from_secs(60), ..SweepOptions::default() };
    let on = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let r = pool.install(|| sweep(&site, &catalog, &options, &|_, _| {}));
        (r.to_json(), r.to_csv())
    };
    let (one, two) = (on(1), on(2));
    assert_eq!(one.0, two.0);
    assert_eq!(one.1, two.1);
    assert!(one.0.contains("\"schema\": \"dctwin.sweep.v1\""));
}

/// The command: a ranked Markdown list on stdout, JSON and CSV files, the case count and speed
/// on stderr (no progress bar when not on a terminal), and a refused kind named with the valid
/// ones.
#[test]
fn the_sweep_command_writes_its_reports() {
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_dctwin")).args(args).current_dir(root()).output().unwrap()
    };
    let dir = std::env::temp_dir().join(format!("dctwin-sweep-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (json, csv) = (dir.join("s.json"), dir.join("s.csv"));
    let out = run(&[
        "sweep",
        "sites/small_2n_room.ron",
        "--duration",
        "2m",
        "--only",
        "ups,transformer",
        "--report",
        json.to_str().unwrap(),
        "--csv",
        csv.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(
        md.starts_with("# Contingency sweep: Small 2N room (N-1, 4 cases, 120 s after each failure at 1 s steps)"),
        "{md}"
    );
    assert!(md.contains("**No single point of failure**"));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("4 cases in ") && err.contains("cases/s"), "{err}");
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["cases"].as_array().unwrap().len(), 4);
    assert_eq!(std::fs::read_to_string(&csv).unwrap().lines().count(), 5);
    let out = run(&["sweep", "sites/small_2n_room.ron", "--only", "rackz"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr).unwrap().contains("--only rackz: no such kind (grid_feed,"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Sharded sweeps joined by `merge` give the unsharded report byte for byte, with each part
/// passing through its JSON file, for 1, 3 and 7 shards (7 leaves some shards with no pairs).
#[test]
fn sharded_sweeps_merge_into_the_unsharded_report_byte_for_byte() {
    use dctwin::study::sweep::{Shard, SweepReport, merge, sweep_part};
    let catalog = Catalog::builtin();
    let mut site = load(&root().join("sites/small_2n_room.ron"));
    // One common-mode group, so its cases are sharded too.
    for t in site.transformers.iter_mut() {
        t.common_mode = vec!["SUB-1".into()];
    }
    let options = SweepOptions {
        depth: 2,
        duration: Duration::from_secs(60),
        step: Duration::from_secs(10),
        only: vec![EquipmentKind::Transformer, EquipmentKind::Ups, EquipmentKind::Distribution],
    };
    let whole = sweep(&site, &catalog, &options, &|_, _| {}).to_json();
    for count in [1, 3, 7] {
        // Parts in reverse order: merge does not depend on the order it is given them.
        let parts: Vec<SweepReport> = (0..count)
            .rev()
            .map(|index| {
                let part = sweep_part(&site, &catalog, &options, Shard { index, count }, &|_, _| {});
                serde_json::from_str(&part.to_json()).unwrap()
            })
            .collect();
        let sizes: Vec<usize> = parts.iter().map(|p| p.cases.len()).collect();
        assert_eq!(merge(parts).unwrap().to_json(), whole, "{count} shards ({sizes:?} cases)");
    }
    // A missing shard and a repeated one are refused, naming them.
    let part = |index| sweep_part(&site, &catalog, &options, Shard { index, count: 3 }, &|_, _| {});
    assert_eq!(merge(vec![part(0), part(2)]).unwrap_err(), "missing shards: 1/3");
    assert_eq!(merge(vec![part(0), part(1), part(1), part(2)]).unwrap_err(), "shard 1/3 is given twice");
    assert!(Shard::parse("3/3").is_err() && Shard::parse("1").is_err() && Shard::parse("0/0").is_err());
}

/// Two transformers in one substation (`common_mode: ["SUB-1"]`): the sweep fails the group as
/// one case, which loses every rack once the UPS batteries run out, while each transformer alone
/// loses nothing; the pair of a group and its own member is not run.
#[test]
fn a_common_mode_group_is_failed_as_one_event() {
    let catalog = Catalog::builtin();
    let mut site = load(&root().join("sites/small_2n_room.ron"));
    for t in site.transformers.iter_mut() {
        t.common_mode = vec!["SUB-1".into()];
    }
    let mut options = electrical(1);
    options.only = vec![EquipmentKind::Transformer];
    let report = sweep(&site, &catalog, &options, &|_, _| {});
    let ids: Vec<&str> = report.cases.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["SUB-1", "T-A", "T-B"]);
    let sub = &report.cases[0];
    assert_eq!(
        (sub.failed.as_slice(), sub.groups.as_slice()),
        (&["T-A".to_string(), "T-B".into()][..], &["SUB-1".to_string()][..])
    );
    assert_eq!(sub.racks_down, 40);
    assert!(report.single_points_of_failure.is_empty());
    assert_eq!(report.common_mode_failures, ["SUB-1"]);
    assert!(
        report
            .to_markdown(5)
            .contains("**Common-mode failures** (one event takes out a group, and IT load is lost): SUB-1")
    );

    options.depth = 2;
    options.duration = Duration::from_secs(60);
    let report = sweep(&site, &catalog, &options, &|_, _| {});
    let ids: Vec<&str> = report.cases.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["SUB-1", "T-A", "T-A+T-B", "T-B"], "SUB-1 with its own members is pruned");
    assert_eq!(report.pruned_pairs, 2);
}

/// Common-mode groups are checked where they are written, and kept through the world and back.
#[test]
fn common_mode_groups_are_validated_and_kept() {
    let catalog = Catalog::builtin();
    let text = std::fs::read_to_string(root().join("sites/small_2n_room.ron")).unwrap();
    let with = |a: &str, b: &str| {
        text.replacen("position_m: (-22.0, 0.0))", &format!("position_m: (-22.0, 0.0), common_mode: [{a}])"), 1)
            .replacen("position_m: (-22.0, 12.0))", &format!("position_m: (-22.0, 12.0), common_mode: [{b}])"), 1)
    };
    let problems = |text: &str| dctwin::site::load::parse_site(text, "site.ron", &catalog).err().map(|p| p.to_string());
    let good = with("\"SUB-1\"", "\"SUB-1\"");
    assert_eq!(problems(&good), None);
    let line_of = |needle: &str| 1 + text.lines().position(|l| l.contains(needle)).unwrap();
    let (a, b) = (line_of("position_m: (-22.0, 0.0))"), line_of("position_m: (-22.0, 12.0))"));
    let one = problems(&with("\"SUB-1\"", "\"SUB-2\"")).unwrap();
    assert!(
        one.contains(&format!("site.ron:{a}:")) && one.contains("common-mode group \"SUB-1\" has one member"),
        "{one}"
    );
    assert!(one.contains(&format!("site.ron:{b}:")) && one.contains("\"SUB-2\" has one member"), "{one}");
    let named = problems(&with("\"UPS-A\"", "\"UPS-A\"")).unwrap();
    assert!(named.contains("common-mode group \"UPS-A\" has the id of an element"), "{named}");
    let twice = problems(&with("\"SUB-1\", \"SUB-1\"", "\"SUB-1\"")).unwrap();
    assert!(twice.contains("transformer \"T-A\" lists common-mode group \"SUB-1\" twice"), "{twice}");

    let site = parse(&good);
    let mut app = app_after(&site, 1);
    let back = dctwin::sim::world::world_to_site(app.world_mut());
    assert_eq!(back.transformers.iter().map(|t| t.common_mode.clone()).collect::<Vec<_>>(), [["SUB-1"], ["SUB-1"]]);
    assert!(back.to_ron_string().contains("common_mode: [\"SUB-1\"]"));
}

/// The sweep's fast path (`FixedUpdate` run directly, and the stretches where nothing but the
/// clock, the energy totals and UPS batteries change covered by the integrators alone) gives
/// exactly the case results of plain steps, every float to the bit: on a generated 100-rack 2N
/// hall with constant outdoor air, where failures settle and most of the window is skipped (a
/// B-side UPS on battery through its runtime alert and, at 40 minutes, empty; every rack shut
/// down on temperature once an A-side failure takes its cooling), at 1 s and at 10 s steps; and on
/// the AI hall and the small room, whose hourly outdoor air moves the chillers every step so
/// nothing is skipped (only the direct stepping is compared there).
#[test]
fn the_fast_path_gives_exactly_the_results_of_plain_steps() {
    use dctwin::study::sweep::{Stepping, sample_cases};
    let catalog = Catalog::builtin();
    let compare = |site: &dctwin::site::SiteFile, options: &SweepOptions, ids: &[&str]| {
        let fast = sample_cases(site, &catalog, options, ids, Stepping::Fast).unwrap();
        let plain = sample_cases(site, &catalog, options, ids, Stepping::Plain).unwrap();
        for ((f, _), (p, skipped)) in fast.iter().zip(&plain) {
            assert_eq!(f, p, "{}: fast and plain steps differ", f.id);
            assert_eq!(*skipped, 0);
        }
        fast.into_iter().map(|(c, skipped)| (c.id.clone(), (c, skipped))).collect::<std::collections::HashMap<_, _>>()
    };

    let hall = dctwin::generator::generate_site(100);
    // Ten minutes at 1 s steps.
    let cases = compare(&hall, &SweepOptions::default(), &["UTIL-A1", "T-B1", "UPS-A1", "CRAH-1-1"]);
    // On battery from the first step, critical below 120 s of runtime: skipped up to that
    // threshold, stepped through it, skipped again.
    let (battery, skipped) = &cases["T-B1"];
    assert_eq!(battery.first_limit.as_ref().unwrap().limit, "UPS on battery");
    assert_eq!(battery.new_critical, 1, "{battery:?}");
    assert!(*skipped > 500, "{skipped} of 600 steps skipped on battery");
    // Every rack shuts down on temperature (the A side feeds the cooling); the air and the
    // racks' mass still move at the end of the ten minutes, so nothing is skipped.
    let (trip, skipped) = &cases["UTIL-A1"];
    assert_eq!((trip.racks_down, *skipped), (100, 0));
    // Its zone's cooling is gone: a capacity of 0 kW, never "-0.0 kW".
    let first = trip.first_limit.as_ref().unwrap();
    assert_eq!((first.limit.as_str(), first.limit_value.to_bits()), ("cooling capacity", 0f64.to_bits()), "{first:?}");
    // A CRAH failure moves its zone's air the whole window.
    assert_eq!(cases["CRAH-1-1"].1, 0);
    assert!(cases["UPS-A1"].1 > 500);

    // Forty minutes at 10 s steps: the B-side battery runs out (its racks on one cord), and
    // after the trip the hall settles and is skipped.
    let long =
        SweepOptions { duration: Duration::from_secs(2400), step: Duration::from_secs(10), ..Default::default() };
    let cases = compare(&hall, &long, &["UTIL-A1", "UTIL-B1", "T-B1", "UPS-B1", "MCC-1"]);
    let (empty, skipped) = &cases["T-B1"];
    assert!(empty.racks_on_one_cord == 35 && empty.new_critical == 2, "{empty:?}");
    assert!(*skipped > 150, "{skipped} of 240 steps skipped around the battery running out");
    let (trip, skipped) = &cases["UTIL-A1"];
    assert_eq!(trip.racks_down, 100);
    assert!(*skipped > 50, "{skipped} of 240 steps skipped after the trip");

    // Hourly outdoor air: every step moves, nothing is skipped, the results are the same.
    let ai = load(&root().join("sites/ai_hall_20mw.ron"));
    for (_, (c, skipped)) in compare(&ai, &SweepOptions::default(), &["UTIL-A", "UPS-A1", "CRAH-1"]) {
        assert_eq!(skipped, 0, "{}", c.id);
    }
    let room = load(&root().join("sites/small_2n_room.ron"));
    let cases = compare(&room, &electrical(1), &["T-A", "UPS-B"]);
    assert!(cases.values().all(|(_, skipped)| *skipped == 0));
}

/// Skipping leaves the whole world as plain steps leave it: the run's report (totals, energy,
/// every alert with its latest value, element and rack results, headroom) is byte-identical
/// after a B-side transformer failure whose UPS runs on battery until it is empty, skipped
/// most of the way.
#[test]
fn skipping_leaves_the_world_plain_steps_leave() {
    use dctwin::headless::{Report, RunOptions, advance, build_app, fast_forward::advance_skipping};
    let catalog = Catalog::builtin();
    let mut hall = dctwin::generator::generate_site(100);
    hall.transformers.iter_mut().find(|t| t.id == "T-B1").unwrap().in_service = false;
    let run = RunOptions { duration: Duration::from_secs(2400), step: Duration::from_secs(10) };
    let report = |skipping: bool| {
        let mut app = build_app(&hall, &catalog, run.step);
        let skipped = if skipping {
            advance_skipping(&mut app, run.steps()).skipped
        } else {
            advance(&mut app, run.steps());
            0
        };
        (serde_json::to_string_pretty(&Report::from_world(app.world_mut(), &run, "")).unwrap(), skipped)
    };
    let ((fast, skipped), (plain, _)) = (report(true), report(false));
    assert!(skipped > 150, "{skipped}");
    assert!(plain.contains("\"battery_empty\""), "the battery runs out");
    assert_eq!(fast, plain);
}
