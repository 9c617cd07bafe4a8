//! The `dctwin` binary as a user runs it.

use std::process::Command;

use crate::support::root;

fn dctwin(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_dctwin")).args(args).current_dir(root()).output().unwrap()
}

#[test]
fn check_reports_all_problems_and_exits_2() {
    let out = dctwin(&["check", "tests/bad_sites/many_problems.ron"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().filter(|l| l.starts_with("error: tests/bad_sites/many_problems.ron:")).count(), 4, "{err}");
    assert!(err.contains("many_problems.ron:16:57: distribution \"PDU-B\" is connected to \"UPS-Z\""), "{err}");
    assert!(err.ends_with("4 problems found\n"));
}

#[test]
fn check_accepts_every_example_site() {
    let out = dctwin(&[
        "check",
        "sites/ai_hall_20mw.ron",
        "sites/small_2n_room.ron",
        "sites/overloaded_room.ron",
        "sites/legacy_air_hall.ron",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().filter(|l| l.contains(": ok (")).count(), 4);
}

#[test]
fn missing_file_is_an_error_not_a_panic() {
    let out = dctwin(&["run", "sites/no_such_site.ron"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("error: sites/no_such_site.ron:1:1: cannot read site file"), "{err}");
}

#[test]
fn run_writes_identical_reports_and_fails_on_critical_alerts() {
    let dir = std::env::temp_dir().join(format!("dctwin-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let a = dir.join("a.json");
    let b = dir.join("b.json");
    for file in [&a, &b] {
        let out = dctwin(&[
            "run",
            "sites/overloaded_room.ron",
            "--duration",
            "2min",
            "--report",
            file.to_str().unwrap(),
            "--fail-on",
            "critical",
        ]);
        assert_eq!(out.status.code(), Some(1), "critical alerts fail the run");
        let summary = String::from_utf8(out.stdout).unwrap();
        assert!(summary.contains("| Critical | PDU-1 | BreakerCurrent |"), "{summary}");
    }
    let ja = std::fs::read(&a).unwrap();
    assert_eq!(ja, std::fs::read(&b).unwrap(), "byte-identical reports");
    let report: serde_json::Value = serde_json::from_slice(&ja).unwrap();
    assert_eq!(report["schema"], "dctwin.report.v1");
    assert_eq!(report["run"]["steps"], 120);
    let out = dctwin(&[
        "run",
        "sites/small_2n_room.ron",
        "--duration",
        "1min",
        "--fail-on",
        "warning",
        "--format",
        "md",
        "--report",
        dir.join("r.md").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "a healthy site passes");
    assert!(std::fs::read_to_string(dir.join("r.md")).unwrap().contains("## Elements"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_duration_is_rejected() {
    let out = dctwin(&["run", "sites/small_2n_room.ron", "--duration", "soon"]);
    assert_eq!(out.status.code(), Some(2));
}
