//! The JSON outputs' contract: a JSON Schema per output under `assets/schema/`, derived from the
//! types that write it (a change to a field changes the file: re-bless with `DCTWIN_BLESS=1` and
//! bump the output's version when a field changes meaning), and every JSON file the commands
//! write validated against the published schema.

use std::path::PathBuf;
use std::process::Command;

use crate::support::*;

/// Output, its version identifier and its schema as derived from the code.
fn derived() -> Vec<(&'static str, &'static str, serde_json::Value)> {
    fn of<T: schemars::JsonSchema>(version: &str) -> serde_json::Value {
        // The contract of what dctwin writes (fields it skips when empty are optional).
        let generator = schemars::generate::SchemaSettings::draft2020_12().for_serialize().into_generator();
        let mut s = serde_json::to_value(generator.into_root_schema_for::<T>()).unwrap();
        s["$comment"] = serde_json::Value::String(format!("{version}: written by dctwin; see README"));
        s
    }
    vec![
        (
            "report",
            dctwin::headless::report::REPORT_SCHEMA,
            of::<dctwin::headless::Report>(dctwin::headless::report::REPORT_SCHEMA),
        ),
        ("capacity", "dctwin.capacity.v1", of::<dctwin::study::capacity::CapacityReport>("dctwin.capacity.v1")),
        ("diff", "dctwin.diff.v1", of::<dctwin::study::diff::SiteDiff>("dctwin.diff.v1")),
        (
            "expand",
            dctwin::study::expand::EXPAND_SCHEMA,
            of::<dctwin::study::expand::ExpandReport>(dctwin::study::expand::EXPAND_SCHEMA),
        ),
        ("test", "dctwin.test.v1", of::<dctwin::study::expect::TestReport>("dctwin.test.v1")),
        ("sweep", dctwin::study::sweep::SCHEMA, of::<dctwin::study::sweep::SweepReport>(dctwin::study::sweep::SCHEMA)),
    ]
}

fn path(name: &str) -> PathBuf {
    root().join("assets/schema").join(format!("{name}.schema.json"))
}

/// The published schemas are what the code derives (bless to update them).
#[test]
fn published_schemas_match_the_code() {
    for (name, _, schema) in derived() {
        let text = serde_json::to_string_pretty(&schema).unwrap() + "\n";
        if std::env::var_os("DCTWIN_BLESS").is_some() {
            std::fs::create_dir_all(root().join("assets/schema")).unwrap();
            std::fs::write(path(name), &text).unwrap();
        }
        let published = std::fs::read_to_string(path(name)).unwrap_or_default();
        assert!(
            published == text,
            "assets/schema/{name}.schema.json differs from the code: re-bless with DCTWIN_BLESS=1 (and bump the version if a field changed meaning)"
        );
    }
}

fn validate(name: &str, json: &str) {
    let schema: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path(name)).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{name} schema: {e}"));
    let value: serde_json::Value = serde_json::from_str(json).unwrap();
    let errors: Vec<String> =
        validator.iter_errors(&value).map(|e| format!("{} at {}", e, e.instance_path)).take(5).collect();
    assert!(errors.is_empty(), "{name}: {errors:?}");
}

/// Every JSON output the commands write validates against its published schema: run reports
/// (plain, with a scenario and grid rules, with a battery), capacity, diff, test results, and
/// sweep reports (whole, sharded parts and their merge). A document that breaks the contract is
/// refused (the schema is not empty).
#[test]
fn every_json_output_validates_against_its_schema() {
    let dir = fresh_dir("dctwin-schema");
    let dctwin = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_dctwin")).args(args).current_dir(root()).output().unwrap();
        assert!(out.status.code().is_some_and(|c| c < 2), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        out
    };
    let file = |n: &str| dir.join(n).display().to_string();
    dctwin(&["run", "sites/small_2n_room.ron", "--duration", "2m", "--report", &file("a.json")]);
    dctwin(&[
        "run",
        "sites/ai_hall_20mw.ron",
        "--scenario",
        "scenarios/ai_hall_20mw_training_job.ron",
        "--grid-rules",
        "ercot",
        "--duration",
        "1m",
        "--step",
        "100ms",
        "--report",
        &file("b.json"),
    ]);
    dctwin(&[
        "run",
        "sites/standby_power_room.ron",
        "--scenario",
        "scenarios/standby_power_room_grid_outage.ron",
        "--duration",
        "2m",
        "--report",
        &file("c.json"),
    ]);
    dctwin(&[
        "run",
        "sites/ai_hall_20mw.ron",
        "--weather",
        "assets/weather/USA_IL_Chicago-OHare.Intl.AP.725300_TMY3.epw",
        "--duration",
        "2h",
        "--step",
        "1h",
        "--report",
        &file("d.json"),
    ]);
    for r in ["a.json", "b.json", "c.json", "d.json"] {
        validate("report", &std::fs::read_to_string(dir.join(r)).unwrap());
    }
    dctwin(&[
        "capacity",
        "sites/small_2n_room.ron",
        "--add",
        "legacy-air-12kw",
        "--n-1",
        "--report",
        &file("cap.json"),
    ]);
    validate("capacity", &std::fs::read_to_string(dir.join("cap.json")).unwrap());
    dctwin(&["expand", "sites/small_2n_room.ron", "--add", "legacy-air-12kw", "--report", &file("exp.json")]);
    validate("expand", &std::fs::read_to_string(dir.join("exp.json")).unwrap());
    let diff = dctwin(&["diff", "sites/small_2n_room.ron", "sites/overloaded_room.ron", "--format", "json"]);
    validate("diff", &String::from_utf8(diff.stdout).unwrap());
    dctwin(&["test", "sites/small_2n_room.test.ron", "--report", &file("t.json")]);
    validate("test", &std::fs::read_to_string(dir.join("t.json")).unwrap());
    // Sweeps: a whole report, the parts of a sharded N-2 and their merge (a site where cases
    // break something and a common-mode group fails, so every optional field is written).
    std::fs::write(dir.join("fragile.ron"), fragile_small_room_text()).unwrap();
    let sweep = |extra: &[&str]| {
        dctwin(
            &[
                &["sweep", &file("fragile.ron"), "--duration", "2m", "--only", "transformer,ups,distribution"][..],
                extra,
            ]
            .concat(),
        )
    };
    sweep(&["--report", &file("sw.json")]);
    sweep(&["--depth", "2", "--shard", "0/2", "--out", &file("p0.json")]);
    sweep(&["--depth", "2", "--shard", "1/2", "--out", &file("p1.json")]);
    dctwin(&["merge", &file("p0.json"), &file("p1.json"), "--out", &file("m.json")]);
    for r in ["sw.json", "p0.json", "p1.json", "m.json"] {
        let text = std::fs::read_to_string(dir.join(r)).unwrap();
        // The whole reports hold every optional field (the parts hold some each).
        if !r.starts_with('p') {
            assert!(text.contains("\"groups\"") && text.contains("\"first_limit\": {"), "{r}: not the fields meant");
        }
        validate("sweep", &text);
    }

    // The contract refuses what breaks it.
    let schema: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path("report")).unwrap()).unwrap();
    let mut broken: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("a.json")).unwrap()).unwrap();
    broken["totals"]["racks"] = serde_json::Value::String("forty".into());
    assert!(!jsonschema::is_valid(&schema, &broken));
    let schema: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path("sweep")).unwrap()).unwrap();
    let mut broken: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("p0.json")).unwrap()).unwrap();
    broken["shard"]["count"] = serde_json::Value::from(-2);
    assert!(!jsonschema::is_valid(&schema, &broken));
    for (_, version, schema) in derived() {
        assert!(schema["$comment"].as_str().unwrap().starts_with(version));
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
