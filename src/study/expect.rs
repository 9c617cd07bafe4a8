//! `dctwin test`: expectations kept next to a site (`SITE.test.ron`), checked the way code is
//! checked in CI. Each expectation names what it measures; each result says pass or fail, the
//! measured value and the limit.
//!
//! ```ron
//! (
//!     site: "ai_hall_20mw.ron",   // optional: by default the file's name without `.test`
//!     expect: [
//!         (name: "no critical alert over an hour", check: NoAlerts(severity: Critical, duration: "1h")),
//!         (name: "T-A1 keeps 10 % headroom", check: Headroom(element: "T-A1", min_pct: 10.0)),
//!     ],
//! )
//! ```

use std::path::{Path, PathBuf};
use std::time::Duration;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::catalog::Catalog;
use crate::headless::{GridCheck, RunOptions, run_recording};
use crate::sim::limits::Severity;
use crate::site::SiteFile;
use crate::site::problem::Problems;

/// A test file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestFile {
    /// The site, relative to the test file (default: its name without `.test`).
    #[serde(default)]
    pub site: Option<String>,
    /// What must hold.
    pub expect: Vec<Expectation>,
}

/// One expectation.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    /// What it says, for people.
    pub name: String,
    /// What is measured and the limit.
    pub check: Check,
}

/// Severity as written in test files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum AtLeast {
    /// Warnings and criticals.
    Warning,
    /// Criticals only.
    Critical,
}

/// What an expectation measures.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Check {
    /// No alert of this severity or worse is raised over the run (optionally with a scenario).
    NoAlerts {
        /// Least severity counted.
        severity: AtLeast,
        /// Only alerts first seen at or after this time (default: from the start).
        #[serde(default)]
        from: Option<String>,
        /// Run length (`1h`, `600s`).
        duration: String,
        /// Step (default 10 s).
        #[serde(default)]
        step: Option<String>,
        /// A scenario file played from t = 0, relative to the test file.
        #[serde(default)]
        scenario: Option<String>,
    },
    /// Every rack inlet stays below `max_c` over the run (optionally with a scenario).
    InletBelow {
        /// Limit, °C.
        max_c: f64,
        /// Run length.
        duration: String,
        /// Step (default 10 s).
        #[serde(default)]
        step: Option<String>,
        /// Scenario file.
        #[serde(default)]
        scenario: Option<String>,
    },
    /// The steady-state PUE at these outdoor conditions stays below `max`.
    PueBelow {
        /// Limit.
        max: f64,
        /// Outdoor dry bulb, °C.
        dry_bulb_c: f64,
        /// Outdoor wet bulb, °C.
        wet_bulb_c: f64,
    },
    /// The element's tightest limit keeps at least `min_pct` of margin at steady state.
    Headroom {
        /// Element id.
        element: String,
        /// Which of its limits (default: its tightest rating; voltage is only checked when
        /// named: `voltage_range_a`).
        #[serde(default)]
        limit: Option<crate::sim::limits::LimitKind>,
        /// Least margin, % of the limit.
        min_pct: f64,
    },
    /// No single failure (N-1 sweep, 10 minutes each) loses IT load.
    NMinusOneSafe {
        /// Kinds failed (default: every electrical node, cooling unit and water loop).
        #[serde(default)]
        only: Vec<String>,
    },
    /// A utility's rules (preset or file) pass on the grid import of a run with a scenario.
    GridRules {
        /// Preset name (`ercot`) or rule file relative to the test file.
        rules: String,
        /// Scenario file.
        scenario: String,
        /// Step (default 100 ms).
        #[serde(default)]
        step: Option<String>,
    },
    /// The element raises an alert of this severity or worse at steady state (for a site kept
    /// to show a problem).
    Alert {
        /// Element id.
        element: String,
        /// Least severity.
        severity: AtLeast,
    },
}

/// One expectation's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Outcome {
    /// The test file.
    pub file: String,
    /// The expectation's name.
    pub name: String,
    /// Passed.
    pub pass: bool,
    /// What was measured, with its unit.
    pub measured: String,
    /// The limit it is held to.
    pub limit: String,
}

/// A parsed test file ready to run: the site, the expectations and where they are written.
pub struct Loaded {
    /// The test file's path as given.
    pub file: String,
    /// Its directory (relative paths resolve against it).
    dir: PathBuf,
    /// The site.
    site: SiteFile,
    /// The expectations.
    expect: Vec<Expectation>,
    /// Scenarios read, per expectation index.
    scenarios: Vec<Option<crate::scenario::Scenario>>,
    /// Rule sets, per expectation index.
    rules: Vec<Option<crate::scenario::rules::RuleSet>>,
}

fn duration(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s).map_err(|e| format!("`{s}`: {e} (examples: 1h, 600s, 100ms)"))?;
    if d.is_zero() {
        return Err(format!("`{s}` must be longer than zero"));
    }
    Ok(d)
}

/// Every `*.test.ron` under `paths` (files are taken as they are), sorted.
pub fn find(paths: &[PathBuf]) -> Vec<PathBuf> {
    fn walk(p: &Path, out: &mut Vec<PathBuf>) {
        if p.is_dir() {
            let mut entries: Vec<PathBuf> =
                std::fs::read_dir(p).into_iter().flatten().flatten().map(|e| e.path()).collect();
            entries.sort();
            for e in entries {
                walk(&e, out);
            }
        } else if p.to_string_lossy().ends_with(".test.ron") {
            out.push(p.to_path_buf());
        }
    }
    let mut out = Vec::new();
    for p in paths {
        if p.is_file() {
            out.push(p.clone());
        } else {
            walk(p, &mut out);
        }
    }
    out
}

/// Reads and checks a test file: its syntax, its site, and every reference (elements, scenario
/// and rule files, durations) located at its line and column.
pub fn load(path: &Path, catalog: &Catalog) -> Result<Loaded, Problems> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        Problems::single(crate::site::problem::Problem {
            file: file.clone(),
            line: 1,
            col: 1,
            message: format!("cannot read: {e}"),
        })
    })?;
    let t: TestFile = crate::site::load::parse_ron(&text, &file)?;
    let map = crate::site::source_map::SourceMap::new(&text);
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let site_path = match &t.site {
        Some(s) => dir.join(s),
        None => PathBuf::from(file.trim_end_matches(".test.ron").to_string() + ".ron"),
    };
    let site = crate::site::load::load_site(&site_path, catalog)
        .map_err(|p| Problems::single(map.problem(&file, "site", format!("site {}: {p}", site_path.display()))))?;
    let mut problems = Problems::default();
    let mut scenarios = Vec::new();
    let mut rules = Vec::new();
    for (i, e) in t.expect.iter().enumerate() {
        let at = format!("expect[{i}].check");
        let mut bad = |m: String| problems.push(map.problem(&file, &at, format!("{}: {m}", e.name)));
        let (mut scenario, mut rule) = (None, None);
        let read_scenario =
            |s: &str| crate::scenario::load_scenario(&dir.join(s), &site, catalog).map_err(|p| p.to_string());
        match &e.check {
            Check::NoAlerts { duration: d, step, scenario: s, .. }
            | Check::InletBelow { duration: d, step, scenario: s, .. } => {
                if let Err(m) = duration(d).and_then(|_| step.as_deref().map(duration).transpose()) {
                    bad(m);
                }
                if let Check::NoAlerts { from: Some(f), .. } = &e.check
                    && let Err(m) = humantime::parse_duration(f)
                {
                    bad(format!("`{f}`: {m}"));
                }
                if let Some(s) = s {
                    match read_scenario(s) {
                        Ok(x) => scenario = Some(x),
                        Err(m) => bad(m),
                    }
                }
            }
            Check::GridRules { rules: r, scenario: s, step } => {
                if let Some(Err(m)) = step.as_deref().map(duration) {
                    bad(m);
                }
                let named = if crate::scenario::rules::presets().contains_key(r) {
                    r.clone()
                } else {
                    dir.join(r).display().to_string()
                };
                match crate::scenario::rules::load(&named) {
                    Ok(x) => rule = Some(x),
                    Err(m) => bad(m),
                }
                match read_scenario(s) {
                    Ok(x) => scenario = Some(x),
                    Err(m) => bad(m),
                }
            }
            Check::Headroom { element, .. } | Check::Alert { element, .. } => {
                if site.element(element).is_none() {
                    bad(format!("the site has no element \"{element}\""));
                }
            }
            Check::NMinusOneSafe { only } => {
                for k in only {
                    if !crate::kinds::EquipmentKind::ALL.iter().any(|x| x.key() == k) {
                        bad(format!("no such kind \"{k}\""));
                    }
                }
            }
            Check::PueBelow { dry_bulb_c, wet_bulb_c, .. } => {
                if wet_bulb_c > dry_bulb_c {
                    bad("the wet bulb cannot be above the dry bulb".into());
                }
                if site.ambient.is_none() {
                    bad("the site has no cooling, so no PUE to hold".into());
                }
            }
        }
        scenarios.push(scenario);
        rules.push(rule);
    }
    problems.into_result(Loaded { file, dir, site, expect: t.expect, scenarios, rules })
}

/// Runs one expectation.
fn check(t: &Loaded, i: usize, catalog: &Catalog) -> Outcome {
    let e = &t.expect[i];
    let steady = |site: &SiteFile| {
        let mut app = crate::headless::build_app(site, catalog, Duration::from_secs(600));
        app.world_mut().insert_resource(crate::sim::limits::LimitLines::default());
        crate::headless::advance(&mut app, 3);
        app
    };
    let step_or = |s: &Option<String>, d: Duration| s.as_deref().map_or(Ok(d), duration).unwrap_or(d);
    let (pass, measured, limit) = match &e.check {
        Check::NoAlerts { severity, duration: d, step, from, .. } => {
            let from_s =
                from.as_deref().and_then(|f| humantime::parse_duration(f).ok()).map_or(0.0, |d| d.as_secs_f64());
            let options =
                RunOptions { duration: duration(d).unwrap_or_default(), step: step_or(step, Duration::from_secs(10)) };
            let (report, _) = run_recording(&t.site, catalog, &options, &t.file, None, t.scenarios[i].as_ref(), None);
            let counted: Vec<&crate::sim::limits::Alert> = report
                .alerts
                .iter()
                .filter(|a| *severity == AtLeast::Warning || a.severity == Severity::Critical)
                .filter(|a| a.first_seen_s >= from_s)
                .collect();
            let first = counted.first().map_or(String::new(), |a| {
                format!(" (first: {} {} at {} s)", a.element, a.quantity.label(), a.first_seen_s)
            });
            let what = if *severity == AtLeast::Critical { "critical alerts" } else { "alerts" };
            (counted.is_empty(), format!("{} {what}{first}", counted.len()), format!("0 {what}"))
        }
        Check::InletBelow { max_c, duration: d, step, .. } => {
            let options =
                RunOptions { duration: duration(d).unwrap_or_default(), step: step_or(step, Duration::from_secs(10)) };
            let series: crate::headless::timeseries::SeriesSpec = "hottest_inlet_c".parse().expect("a known series");
            let (_, csv) =
                run_recording(&t.site, catalog, &options, &t.file, Some(&series), t.scenarios[i].as_ref(), None);
            let hottest = csv
                .unwrap_or_default()
                .lines()
                .skip(1)
                .filter_map(|l| l.rsplit(',').next()?.parse::<f64>().ok())
                .fold(f64::NEG_INFINITY, f64::max);
            (
                hottest.is_finite() && hottest < *max_c,
                format!("{hottest:.2} °C hottest inlet"),
                format!("below {max_c} °C"),
            )
        }
        Check::PueBelow { max, dry_bulb_c, wet_bulb_c } => {
            let mut site = t.site.clone();
            if let Some(a) = site.ambient.as_mut() {
                *a = crate::site::cooling::AmbientSpec::constant(*dry_bulb_c, *wet_bulb_c);
            }
            let app = steady(&site);
            let totals = app.world().resource::<crate::sim::electrical::SiteTotals>();
            let pue = totals.grid_import_kw / totals.it_load_kw;
            (
                pue.is_finite() && pue < *max,
                format!("PUE {pue:.3} at {dry_bulb_c} °C dry bulb, {wet_bulb_c} °C wet bulb"),
                format!("below {max}"),
            )
        }
        Check::Headroom { element, limit, min_pct } => {
            use crate::sim::limits::LimitKind;
            let app = steady(&t.site);
            let lines = &app.world().resource::<crate::sim::limits::LimitLines>().0;
            let tightest = lines
                .iter()
                .filter(|l| &l.element == element)
                .filter(|l| limit.map_or(l.limit != LimitKind::VoltageRangeA, |k| l.limit == k))
                .min_by(|a, b| a.margin_pct.total_cmp(&b.margin_pct));
            match tightest {
                Some(l) => (
                    l.margin_pct >= *min_pct,
                    format!(
                        "{:.1} % margin ({}: {:.1} of {:.1} {})",
                        l.margin_pct,
                        l.limit.label(),
                        l.value,
                        l.limit_value,
                        l.unit
                    ),
                    format!("at least {min_pct} %"),
                ),
                None => (
                    false,
                    format!("{element} has no limit line (out of service or not energized)"),
                    format!("at least {min_pct} %"),
                ),
            }
        }
        Check::NMinusOneSafe { only } => {
            let kinds = only
                .iter()
                .filter_map(|k| crate::kinds::EquipmentKind::ALL.iter().copied().find(|x| x.key() == k))
                .collect();
            let options = super::sweep::SweepOptions {
                depth: 1,
                duration: Duration::from_secs(600),
                step: Duration::from_secs(10),
                only: kinds,
            };
            let r = super::sweep::sweep(&t.site, catalog, &options, &|_, _| {});
            let spof = &r.single_points_of_failure;
            let shown = if spof.is_empty() { String::new() } else { format!(": {}", spof.join(", ")) };
            (
                spof.is_empty(),
                format!("{} single points of failure in {} cases{shown}", spof.len(), r.cases.len()),
                "0".into(),
            )
        }
        Check::GridRules { step, .. } => {
            let rules = t.rules[i].as_ref().expect("loaded with the file");
            let scenario = t.scenarios[i].as_ref().expect("loaded with the file");
            let options = RunOptions {
                duration: scenario.duration_s.map_or(Duration::from_secs(3600), Duration::from_secs_f64),
                step: step_or(step, Duration::from_millis(100)),
            };
            let (report, _) =
                run_recording(&t.site, catalog, &options, &t.file, None, Some(scenario), Some(GridCheck::from(rules)));
            let results = report.grid_rules.map(|g| g.results).unwrap_or_default();
            let failed: Vec<String> = results
                .iter()
                .filter(|r| !r.pass)
                .map(|r| format!("{} (worst {:.3} of {:.3})", r.rule, r.worst, r.limit))
                .collect();
            let measured = if failed.is_empty() {
                format!("{} rules pass", results.len())
            } else {
                format!("{} of {} rules fail: {}", failed.len(), results.len(), failed.join("; "))
            };
            (failed.is_empty() && !results.is_empty(), measured, format!("every rule of {}", rules.name))
        }
        Check::Alert { element, severity } => {
            let mut app = steady(&t.site);
            let log = app.world_mut().resource::<crate::sim::limits::AlertLog>();
            let found: Vec<String> = log
                .active()
                .iter()
                .filter(|a| {
                    &a.element == element && (*severity == AtLeast::Warning || a.severity == Severity::Critical)
                })
                .map(|a| {
                    format!("{} {} {:.1} of {:.1} {}", a.severity.label(), a.quantity.label(), a.value, a.limit, a.unit)
                })
                .collect();
            let measured = if found.is_empty() { "no alert".to_string() } else { found.join("; ") };
            (!found.is_empty(), measured, format!("an alert on {element}"))
        }
    };
    Outcome { file: t.file.clone(), name: e.name.clone(), pass, measured, limit }
}

/// The results of a `dctwin test` run, for tools.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct TestReport {
    /// Schema identifier.
    pub schema: &'static str,
    /// Expectations that passed.
    pub passed: usize,
    /// Expectations that failed.
    pub failed: usize,
    /// Every outcome, in file then expectation order.
    pub results: Vec<Outcome>,
}

impl TestReport {
    /// The report of `results`.
    pub fn new(results: Vec<Outcome>) -> TestReport {
        let failed = results.iter().filter(|o| !o.pass).count();
        TestReport { schema: "dctwin.test.v1", passed: results.len() - failed, failed, results }
    }

    /// JSON, pretty.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("test results serialize") + "\n"
    }
}

/// Runs every expectation of every file, in parallel; outcomes in file then expectation order.
pub fn run(files: &[Loaded], catalog: &Catalog) -> Vec<Outcome> {
    let jobs: Vec<(usize, usize)> =
        files.iter().enumerate().flat_map(|(f, t)| (0..t.expect.len()).map(move |i| (f, i))).collect();
    jobs.par_iter().map(|&(f, i)| check(&files[f], i, catalog)).collect()
}

impl Loaded {
    /// The directory relative paths resolve against.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Number of expectations.
    pub fn len(&self) -> usize {
        self.expect.len()
    }

    /// True without expectations.
    pub fn is_empty(&self) -> bool {
        self.expect.is_empty()
    }
}
