//! AI training jobs and the utility's rules: the rolling-window checks against brute force, a
//! synchronised job's swing against the hand sum, a power floor's effect, and the CLI.

use dctwin::catalog::Catalog;
use dctwin::headless::{RunOptions, run_recording};
use dctwin::scenario::rules::{Rule, RuleSet, worst_change, worst_peak_to_peak};
use dctwin::scenario::{RackGroup, TrainingJob, parse_scenario};
use proptest::prelude::*;
use std::time::Duration;

use crate::support::*;

proptest! {
    /// The O(n) sliding-window peak-to-peak equals the brute-force one on any series.
    #[test]
    fn peak_to_peak_agrees_with_brute_force(x in proptest::collection::vec(-50.0f64..50.0, 1..200), w in 1usize..40) {
        let brute = (0..x.len())
            .map(|i| {
                let s = &x[i.saturating_sub(w)..=i];
                s.iter().cloned().fold(f64::MIN, f64::max) - s.iter().cloned().fold(f64::MAX, f64::min)
            })
            .fold(0.0, f64::max);
        let (fast, at) = worst_peak_to_peak(&x, w);
        prop_assert_eq!(fast, brute);
        let s = &x[at.saturating_sub(w)..=at];
        prop_assert_eq!(s.iter().cloned().fold(f64::MIN, f64::max) - s.iter().cloned().fold(f64::MAX, f64::min), fast);
    }

    /// The ramp check is the largest change over exactly `w` steps.
    #[test]
    fn ramp_agrees_with_brute_force(x in proptest::collection::vec(-50.0f64..50.0, 1..200), w in 1usize..40) {
        let brute = (w..x.len()).map(|i| (x[i] - x[i - w]).abs()).fold(0.0, f64::max);
        prop_assert_eq!(worst_change(&x, w).0, brute);
    }
}

#[test]
fn a_rule_reports_its_worst_window_and_margin() {
    let x = [10.0, 10.0, 14.0, 9.0, 9.0, 9.0, 9.0, 30.0];
    let r = Rule::PeakToPeak { window_s: 2.0, limit_mw: 6.0 }.check(&x, 1.0, 1.0).unwrap();
    assert_eq!((r.worst, r.at_s, r.margin, r.pass), (21.0, 8.0, -15.0, false));
    let r = Rule::AverageRamp { window_s: 120.0, limit_mw_per_min: 100.0 }.check(&x, 60.0, 60.0).unwrap();
    assert_eq!((r.worst, r.at_s), (21.0 / 2.0, 480.0)); // 21 MW over 2 min: 30 − 9
    assert!(Rule::PeakToPeak { window_s: 0.5, limit_mw: 1.0 }.check(&x, 1.0, 1.0).is_err());
}

/// All racks of a power-only site in one synchronised job: the IT load swings by exactly
/// `Σ rated × (peak − idle)`, and a power floor of 0.8 cuts it to `Σ rated × (peak − 0.8)`.
#[test]
fn a_synchronised_jobs_swing_is_the_hand_sum_and_a_floor_cuts_it() {
    let site = dctwin::generator::generate_power_only(40);
    let catalog = Catalog::builtin();
    let rated_kw: f64 = site.racks.iter().map(|r| catalog.racks[&r.model].rated_kw).sum();
    let swing = |floor: f64| {
        let text = format!(
            "(name: \"j\", events: [(at: \"0s\", event: Training((racks: All, idle: 0.4, peak: 1.0, period_s: 10.0, duty: 0.6, floor: {floor})))])"
        );
        let s = parse_scenario(&text, "j.ron", &site, &catalog).unwrap();
        let mut app = app_after(&site, 0);
        app.insert_resource(dctwin::scenario::play::ScenarioPlayer::new(s));
        let mut it = Vec::new();
        for _ in 0..30 {
            dctwin::headless::advance(&mut app, 1);
            it.push(app.world().resource::<dctwin::sim::electrical::SiteTotals>().it_load_kw);
        }
        // 6 s at peak then 4 s at idle, every 10 s.
        assert_eq!(it.iter().filter(|&&p| p == it[0]).count(), 18, "{it:?}");
        it.iter().cloned().fold(f64::MIN, f64::max) - it.iter().cloned().fold(f64::MAX, f64::min)
    };
    assert_rel(swing(0.0), rated_kw * 0.6, 1e-12, "synchronised swing");
    assert_rel(swing(0.8), rated_kw * 0.2, 1e-12, "with a power floor of 80 %");
}

/// Racks' offsets are deterministic draws within the desynchronisation window.
#[test]
fn desynchronised_offsets_are_repeatable_and_bounded() {
    let job = TrainingJob {
        racks: RackGroup::All,
        idle: 0.4,
        peak: 1.0,
        period_s: 10.0,
        duty: 0.6,
        desync_s: 3.0,
        seed: 7,
        floor: 0.0,
    };
    let offsets: Vec<f64> = (0..200).map(|i| job.offset_s(&format!("R{i}"))).collect();
    assert!(offsets.iter().all(|&o| (0.0..3.0).contains(&o)));
    assert_eq!(offsets, (0..200).map(|i| job.offset_s(&format!("R{i}"))).collect::<Vec<_>>());
    let mean = offsets.iter().sum::<f64>() / 200.0;
    assert!((mean - 1.5).abs() < 0.3, "spread over the window: mean {mean}");
    assert_ne!(job.offset_s("R1"), TrainingJob { seed: 8, ..job.clone() }.offset_s("R1"), "the seed matters");
}

/// The ERCOT check of a run equals the brute-force peak-to-peak of its own import series.
#[test]
fn a_runs_rule_check_reads_the_grid_import() {
    let site = dctwin::generator::generate_power_only(40);
    let catalog = Catalog::builtin();
    let text = "(name: \"j\", events: [(at: \"2s\", event: Training((racks: All, idle: 0.4, peak: 1.0, period_s: 10.0, duty: 0.6)))])";
    let s = parse_scenario(text, "j.ron", &site, &catalog).unwrap();
    let rules = RuleSet {
        name: "t".into(),
        source: "test".into(),
        rules: vec![Rule::PeakToPeak { window_s: 5.0, limit_mw: 0.1 }],
    };
    let options = RunOptions { duration: Duration::from_secs(40), step: Duration::from_secs(1) };
    let (report, csv) =
        run_recording(&site, &catalog, &options, "g", Some(&"grid_import_kw".parse().unwrap()), Some(&s), Some(&rules));
    let import: Vec<f64> =
        csv.unwrap().lines().skip(1).map(|l| l.split(',').nth(1).unwrap().parse::<f64>().unwrap() / 1000.0).collect();
    let r = &report.grid_rules.unwrap().results[0];
    assert_eq!(r.worst, worst_peak_to_peak(&import, 5).0);
    assert!(!r.pass && r.worst > 0.0);
}

#[test]
fn the_cli_fails_a_run_that_breaks_ercots_rule_and_passes_it_with_a_floor() {
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_dctwin")).args(args).current_dir(root()).output().unwrap()
    };
    let out = run(&[
        "run",
        "sites/ai_hall_20mw.ron",
        "--scenario",
        "scenarios/ai_hall_20mw_training_job.ron",
        "--grid-rules",
        "ercot",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.contains("| peak-to-peak ≤ 10 MW in any 5 s |") && md.contains("**FAIL**"), "{md}");

    let dir = std::env::temp_dir().join(format!("dctwin-rules-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let floored = dir.join("floor.ron");
    let text = std::fs::read_to_string(root().join("scenarios/ai_hall_20mw_training_job.ron"))
        .unwrap()
        .replace("duty: 0.6)", "duty: 0.6, floor: 0.8)");
    std::fs::write(&floored, text).unwrap();
    let out = run(&["run", "sites/ai_hall_20mw.ron", "--scenario", floored.to_str().unwrap(), "--grid-rules", "ercot"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(String::from_utf8(out.stdout).unwrap().contains("| pass |"));

    let out = run(&["run", "sites/ai_hall_20mw.ron", "--grid-rules", "pjm"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "--grid-rules pjm: no such preset (caiso, ercot, ieso) and no such file\n"
    );
    let out = run(&["run", "sites/ai_hall_20mw.ron", "--grid-rules", "ercot", "--step", "10s", "--duration", "1m"]);
    assert_eq!(out.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A 415 V ideal supply, a lossless switchboard, one double-conversion UPS and no cables: the
/// grid import is the racks' power plus the UPS's loss curve, so a synchronised job's import
/// swing is, by hand, `ΔP_IT + P_r·(b·Δx + c·(x_peak² − x_idle²))`, and a power floor cuts it
/// to the same expression at the floor.
const LV_SITE: &str = r#"(version: 1, name: "lv",
    grid_feeds: [(id: "UTIL", model: "utility-13.8kv-10mva", overrides: (voltage_kv: 0.415, short_circuit_mva: 0.0), position_m: (0.0, 0.0))],
    ups: [(id: "UPS-1", model: "ups-500kw", upstream: "SWBD", position_m: (2.0, 0.0))],
    distribution: [
        (id: "SWBD", model: "swbd-415v-4000a", upstream: "UTIL", position_m: (1.0, 0.0)),
        (id: "PDU-1", model: "pdu-415v-400a", upstream: "UPS-1", position_m: (3.0, 0.0)),
    ],
    racks: [
        (id: "R1", model: "gb200-nvl72", feed_a: "PDU-1", overrides: (rated_kw: 100.0), position_m: (4.0, 0.0)),
        (id: "R2", model: "gb200-nvl72", feed_a: "PDU-1", overrides: (rated_kw: 100.0), position_m: (5.0, 0.0)),
        (id: "R3", model: "gb200-nvl72", feed_a: "PDU-1", overrides: (rated_kw: 100.0), position_m: (6.0, 0.0)),
    ],
)"#;

#[test]
fn a_synchronised_jobs_grid_import_swing_is_the_hand_value_with_the_ups_losses() {
    let site = parse(LV_SITE);
    let catalog = Catalog::builtin();
    let import_swing = |floor: f64| {
        let text = format!(
            "(name: \"j\", events: [(at: \"0s\", event: Training((racks: All, idle: 0.4, peak: 1.0, period_s: 10.0, duty: 0.6, floor: {floor})))])"
        );
        let s = parse_scenario(&text, "j.ron", &site, &catalog).unwrap();
        let rules = RuleSet {
            name: "t".into(),
            source: "t".into(),
            rules: vec![Rule::PeakToPeak { window_s: 10.0, limit_mw: 1.0 }],
        };
        let options = RunOptions { duration: Duration::from_secs(30), step: Duration::from_secs(1) };
        let (report, _) = run_recording(&site, &catalog, &options, "lv", None, Some(&s), Some(&rules));
        report.grid_rules.unwrap().results[0].worst * 1000.0
    };
    // Catalog double-conversion curve of ups-500kw: a 0.5 %, b 2 %, c 1 % of 500 kW.
    let (p_r, b, c) = (500.0, 0.02, 0.01);
    let hand = |low: f64| {
        let (p_hi, p_lo) = (300.0, 300.0 * low);
        let (x_hi, x_lo) = (p_hi / p_r, p_lo / p_r);
        (p_hi - p_lo) + p_r * (b * (x_hi - x_lo) + c * (x_hi * x_hi - x_lo * x_lo))
    };
    assert_rel(import_swing(0.0), hand(0.4), 1e-9, "import swing, idle 40 %");
    assert_rel(import_swing(0.8), hand(0.8), 1e-9, "import swing with a power floor of 80 %");
    // The floor's reduction, by hand: 300 kW × 0.4 of IT swing and the losses that went with it.
    assert_rel(import_swing(0.0) - import_swing(0.8), hand(0.4) - hand(0.8), 1e-9, "what the floor saves");
}
