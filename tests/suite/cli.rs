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
    let sites: Vec<String> =
        crate::support::example_sites().iter().map(|p| p.strip_prefix(root()).unwrap().display().to_string()).collect();
    let mut args = vec!["check"];
    args.extend(sites.iter().map(String::as_str));
    let out = dctwin(&args);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "no warnings on the examples: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().filter(|l| l.contains(": ok (")).count(), sites.len());
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
        assert!(summary.contains("| critical | PDU-1 | breaker current |"), "{summary}");
    }
    let ja = std::fs::read(&a).unwrap();
    assert_eq!(ja, std::fs::read(&b).unwrap(), "byte-identical reports");
    let report: serde_json::Value = serde_json::from_slice(&ja).unwrap();
    assert_eq!(report["schema"], "dctwin.report.v2");
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

/// A scratch directory for one test.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("dctwin-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_byte_order_mark_is_accepted_and_trailing_text_is_pointed_at() {
    let dir = scratch("bom");
    let text = std::fs::read_to_string(root().join("sites/gb200_pod.ron")).unwrap();
    let bom = dir.join("bom.ron");
    std::fs::write(&bom, format!("\u{feff}{text}")).unwrap();
    let out = dctwin(&["check", bom.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    // Text after the closing parenthesis, two lines below it.
    let trailing = dir.join("trailing.ron");
    std::fs::write(&trailing, format!("{text}\n  // a comment\n  oops\n")).unwrap();
    let line = text.lines().count() + 3;
    let out = dctwin(&["check", trailing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains(&format!("trailing.ron:{line}:3: unexpected text after the closing `)`")), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_huge_id_is_not_echoed_whole() {
    let dir = scratch("huge");
    let text = std::fs::read_to_string(root().join("sites/gb200_pod.ron")).unwrap();
    let huge = "G".repeat(1 << 20);
    let path = dir.join("huge.ron");
    // A rack with a 1 MB id fed from a PDU that does not exist: two messages quote ids.
    std::fs::write(
        &path,
        text.replacen(
            r#"(id: "GB1", model: "gb200-nvl72", feed_a: "PDU-A1""#,
            &format!(r#"(id: "{huge}", model: "gb200-nvl72", feed_a: "{huge}""#),
            1,
        ),
    )
    .unwrap();
    let out = dctwin(&["check", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.len() < 2000, "{} bytes of error", err.len());
    assert!(err.contains("more characters)"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn run_refuses_steps_and_series_that_would_not_do_what_was_asked() {
    let cases: &[(&[&str], &str)] = &[
        (&["--step", "1ns", "--duration", "1h"], "--step 1ns is shorter than 1ms"),
        (&["--step", "2h", "--duration", "1h"], "--step 2h is longer than --duration 1h"),
        (
            &["--step", "7s", "--duration", "1h"],
            "--duration 1h is not a whole number of 7s steps; use 59m 58s or 1h 5s",
        ),
        (&["--step", "1ms", "--duration", "7days"], "one run takes at most 10000000"),
        (
            &["--timeseries", "/dev/null", "--series", "it_load_kw,zone:NOPE"],
            "series `zone:NOPE_c`: the site has no element \"NOPE\"",
        ),
        (&["--timeseries", "/dev/null", "--series", "loop:POD"], "\"POD\" is a Zone, not a water loop"),
    ];
    for (args, expected) in cases {
        let mut all = vec!["run", "sites/gb200_pod.ron"];
        all.extend_from_slice(args);
        let out = dctwin(&all);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains(expected), "{args:?}: {err}");
    }
}

#[test]
fn a_closed_pipe_ends_the_run_quietly() {
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_dctwin"))
        .args(["run", "sites/small_2n_room.ron", "--duration", "10s"])
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader (`head`) has gone
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[cfg(unix)]
#[test]
fn fmt_keeps_permissions_and_links_and_cleans_up_after_a_crash() {
    use std::os::unix::fs::{PermissionsExt, symlink};
    let dir = scratch("fmt");
    let real = dir.join("real.ron");
    std::fs::copy(root().join("sites/gb200_pod.ron"), &real).unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o600)).unwrap();
    let link = dir.join("link.ron");
    symlink("real.ron", &link).unwrap();
    // What a save killed half-way leaves: a temporary file of a process that no longer exists.
    let stale = dir.join(".real.ron.tmp-4000000000");
    std::fs::write(&stale, "half a file").unwrap();
    let out = dctwin(&["fmt", link.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link is still a link");
    assert_eq!(std::fs::metadata(&real).unwrap().permissions().mode() & 0o777, 0o600, "permissions kept");
    assert!(!stale.exists(), "the stale temporary file is gone");
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left.len(), 2, "{left:?}");
    std::fs::remove_dir_all(&dir).ok();
}

const CHICAGO: &str = "assets/weather/USA_IL_Chicago-OHare.Intl.AP.725300_TMY3.epw";

/// `run --weather`: the outdoor conditions of the file, and a weather section; `1y` is the
/// file's year (8,760 h), not humantime's 365.25 days.
#[test]
fn run_with_a_weather_file_reports_the_year() {
    let out = dctwin(&["run", "sites/ai_hall_20mw.ron", "--weather", CHICAGO, "--duration", "1y", "--step", "1d"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.contains("8760 h (365 days) simulated in 365 steps of 86400 s"), "{md}");
    assert!(md.contains(&format!("## Weather: Chicago Ohare Intl Ap, IL, USA, TMY3 (`{CHICAGO}`)")), "{md}");
    assert!(md.contains("8760 h simulated, mean dry bulb"), "{md}");
    assert!(md.contains("| FWS | 30.0 °C |") && md.contains("| CHW | 8.0 °C |"), "{md}");
    assert!(md.contains("Hottest hour: "), "{md}");
    // A site without cooling: the weather would change nothing.
    let dir = crate::support::fresh_dir("cli-weather");
    let bare = dir.join("bare.ron");
    std::fs::write(
        &bare,
        r#"(version: 1, name: "bare",
        grid_feeds: [(id: "U", model: "utility-13.8kv-10mva", position_m: (0.0, 0.0))],
        transformers: [(id: "T", model: "xfmr-2000kva-13.8kv-415v", upstream: "U", position_m: (1.0, 0.0))],
        distribution: [(id: "P", model: "swbd-415v-4000a", upstream: "T", position_m: (2.0, 0.0))],
        racks: [(id: "R1", model: "legacy-air-12kw", feed_a: "P", position_m: (3.0, 0.0))],
    )"#,
    )
    .unwrap();
    let out = dctwin(&["run", bare.to_str().unwrap(), "--weather", CHICAGO]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no cooling model"));
}

/// `check --design-day`: the site at its weather file's design conditions, the cooling limit
/// that binds first, exit 1 when one is already past, and a clear refusal without a file.
#[test]
fn check_at_a_design_day_names_the_binding_cooling_limit() {
    let out = dctwin(&["check", "sites/ai_hall_20mw.ron", "--design-day", "0.4%", "--weather", CHICAGO]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.contains("## Design day 0.4%: 0.4 % cooling design dry bulb"), "{md}");
    assert!(md.contains("steady state at 33.3 °C dry bulb, 23.7 °C wet bulb"), "{md}");
    assert!(md.contains("**Binds first:** CDU capacity at CDU-1: 1732.500 of 2000.000 kW"), "{md}");
    // The extreme wet bulb (28.5 °C) + the towers' 4 K approach puts the W32 loop past 32 °C.
    let out = dctwin(&["check", "sites/ai_hall_20mw.ron", "--design-day", "extreme-wb", "--weather", CHICAGO]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(
        md.contains(
            "**Past a cooling limit** (11 critical alerts):\n\n- facility water at FWS: 32.50 °C against 32.00 °C"
        ),
        "{md}"
    );
    let out = dctwin(&["check", "sites/ai_hall_20mw.ron", "--design-day", "n20"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--design-day needs a weather file"));
    let out = dctwin(&["check", "sites/ai_hall_20mw.ron", "--design-day", "hot", "--weather", CHICAGO]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown design day `hot`; expected one of 0.4%, 1%"));
}

/// `expand`: the ranked, sourced tables, the JSON report, and refusals of a bad target or model.
#[test]
fn expand_ranks_priced_options() {
    let dir = crate::support::fresh_dir("cli-expand");
    let report = dir.join("options.json");
    let out = dctwin(&[
        "expand",
        "sites/small_2n_room.ron",
        "--add",
        "legacy-air-12kw",
        "--target-mw",
        "0.1",
        "--report",
        report.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.contains("# Expansion options: more legacy-air-12kw racks on Small 2N room"), "{md}");
    assert!(md.contains("## Most MW per dollar") && md.contains("## Most MW per month") && md.contains("## Sources"));
    assert!(md.contains("- crah-cw-170kw: $0.07 M ($0.04 M–$0.10 M), lead 16–30 wk + 2 wk install;"), "{md}");
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(json["schema"], "dctwin.expand.v1");
    assert!(json["options"].as_array().is_some_and(|o| !o.is_empty()));
    let out = dctwin(&["expand", "sites/small_2n_room.ron", "--add", "legacy-air-12kw", "--target-mw", "-1"]);
    assert_eq!(out.status.code(), Some(2));
    let out = dctwin(&["expand", "sites/small_2n_room.ron", "--add", "no-such-rack"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--add no-such-rack: no such rack model"));
}
