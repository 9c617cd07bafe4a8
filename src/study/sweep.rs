//! `dctwin sweep`: fail each element (or each pair) in turn and rank what follows.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::time::Duration;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::catalog::Catalog;
use crate::export::plot::{Bar, BarChart, Tone};
use crate::headless::fast_forward::advance_skipping;
use crate::headless::rerun::Rerun;
use crate::headless::{Report, RunOptions, advance, advance_fixed, build_app};
use crate::kinds::{EquipmentKind, Role};
use crate::sim::limits::Severity;
use crate::site::SiteFile;
use crate::site::save::natural_cmp;

/// What to sweep.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepOptions {
    /// 1: every single failure; 2: every pair too (pruned, see [`cases`]).
    pub depth: u8,
    /// Simulated window after the failure.
    pub duration: Duration,
    /// Fixed step.
    pub step: Duration,
    /// Kinds whose elements fail (empty: every electrical node, cooling unit and water loop).
    pub only: Vec<EquipmentKind>,
}

impl Default for SweepOptions {
    fn default() -> Self {
        SweepOptions { depth: 1, duration: Duration::from_secs(600), step: Duration::from_secs(1), only: vec![] }
    }
}

/// The kinds a sweep fails by default: what can fail on its own (racks are the load, zones are
/// rooms).
pub fn default_kinds() -> Vec<EquipmentKind> {
    EquipmentKind::ALL
        .iter()
        .copied()
        .filter(|k| matches!(k.role(), Role::Node | Role::Unit) || *k == EquipmentKind::WaterLoop)
        .collect()
}

/// The first limit a case crossed that the healthy site does not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FirstLimit {
    /// Element.
    pub element: String,
    /// What was crossed ("transformer rating").
    pub limit: String,
    /// Critical or warning.
    pub severity: Severity,
    /// Its value and the limit, in `unit`.
    pub value: f64,
    /// The limit.
    pub limit_value: f64,
    /// Unit of both.
    pub unit: String,
    /// Seconds after the failure.
    pub after_s: f64,
}

/// One case: what failed and what followed within the window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CaseResult {
    /// Case id: the failed elements' (or common-mode groups') ids, sorted, joined by `+`
    /// (stable whatever the order of the site file).
    pub id: String,
    /// The failed elements (a common-mode group's members).
    pub failed: Vec<String>,
    /// The common-mode groups failed as one event, if any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// The first limit crossed that the healthy site does not cross.
    pub first_limit: Option<FirstLimit>,
    /// IT load lost at the end of the window: racks without power, shut down or throttled, kW.
    pub it_lost_kw: f64,
    /// Racks without power or shut down at the end.
    pub racks_down: u32,
    /// Dual-corded racks running on one cord at the end.
    pub racks_on_one_cord: u32,
    /// New critical alerts (not in the healthy run).
    pub new_critical: u32,
    /// New warnings.
    pub new_warnings: u32,
    /// Every step of the window had a load-flow solution.
    pub converged: bool,
    /// Ranking score: IT kW lost, plus a tie-breaker below 1 from the new critical alerts,
    /// warnings and racks on one cord (`n/(n + 1)`, `n` = criticals + warnings/10 + racks on one
    /// cord/100), so losing IT load always ranks first; 10⁶ when the load flow failed.
    pub severity: f64,
    /// Something broke: IT load lost, a new critical alert, or no solution.
    pub breaks: bool,
}

/// An element over all cases.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ElementSummary {
    /// Id.
    pub id: String,
    /// Highest loading at the end of any case, %.
    pub worst_loading_pct: f64,
    /// The case that gave it.
    pub worst_case: String,
    /// Cases in which it failed (alone or in a pair) and something broke: its criticality.
    pub breaking_failures: u32,
}

/// A sweep's report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SweepReport {
    /// Schema identifier.
    pub schema: String,
    /// The slice of the cases this part holds (absent in a whole report).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    /// Site name.
    pub site: String,
    /// Depth (1 or 2).
    pub depth: u8,
    /// Window after each failure, s.
    pub duration_s: f64,
    /// Step, s.
    pub step_s: f64,
    /// Alerts the healthy site raises in the same window (left out of every case's new alerts).
    pub base_alerts: usize,
    /// Every case, in case-id order.
    pub cases: Vec<CaseResult>,
    /// Pairs not run: one member already breaks something alone (its single case says it), one
    /// feeds the other (failing both is failing the upstream one), or one is a common-mode group
    /// holding the other.
    pub pruned_pairs: usize,
    /// Elements whose single failure loses IT load: single points of failure.
    pub single_points_of_failure: Vec<String>,
    /// Common-mode groups whose failure (all members at once) loses IT load.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub common_mode_failures: Vec<String>,
    /// Network elements: worst loading over all cases with the case, and criticality.
    pub elements: Vec<ElementSummary>,
}

/// One failure event: an element, or a common-mode group whose members one event takes out.
#[derive(Debug, Clone)]
pub(crate) struct Contingency {
    /// The element's id, or the group's name.
    pub id: String,
    /// What fails: the element, or the group's members.
    pub members: Vec<String>,
    /// A common-mode group.
    pub group: bool,
}

/// What a sweep fails, in natural id order: each in-service element of `kinds`, and each
/// common-mode group with such an element among its members (all its in-service members fail).
pub(crate) fn contingencies(site: &SiteFile, kinds: &[EquipmentKind]) -> Vec<Contingency> {
    let mut out: Vec<Contingency> = Vec::new();
    let mut groups: BTreeMap<String, (Vec<String>, bool)> = BTreeMap::new();
    for (_, e) in site.elements() {
        if !e.in_service() {
            continue;
        }
        let candidate = kinds.contains(&e.kind());
        if candidate {
            out.push(Contingency { id: e.id().to_string(), members: vec![e.id().to_string()], group: false });
        }
        for g in e.common_mode() {
            let entry = groups.entry(g.clone()).or_default();
            entry.0.push(e.id().to_string());
            entry.1 |= candidate;
        }
    }
    for (id, (mut members, any_candidate)) in groups {
        if any_candidate {
            members.sort_by(|a, b| natural_cmp(a, b));
            out.push(Contingency { id, members, group: true });
        }
    }
    out.sort_by(|a, b| natural_cmp(&a.id, &b.id));
    out
}

/// The case id of failing `ids`.
pub fn case_id(ids: &[String]) -> String {
    let mut v: Vec<&str> = ids.iter().map(String::as_str).collect();
    v.sort_by(|a, b| natural_cmp(a, b));
    v.join("+")
}

/// A deterministic slice of a sweep's cases: case `c` belongs to shard `index` of `count` when
/// the hash of its id modulo `count` is `index`, so a case's shard depends on the failed
/// elements' ids alone, never on positions in a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Shard {
    /// This slice, from 0.
    pub index: u32,
    /// How many slices.
    pub count: u32,
}

impl Shard {
    /// The whole sweep as one slice.
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// Reads `I/N` (0 ≤ I < N).
    pub fn parse(s: &str) -> Result<Shard, String> {
        let bad = || format!("--shard {s}: expected I/N with 0 <= I < N, e.g. 0/4");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count): (u32, u32) = (i.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// Whether the case with id `case` is in this slice.
    pub fn owns(&self, case: &str) -> bool {
        fnv1a(case.as_bytes()) % u64::from(self.count) == u64::from(self.index)
    }
}

/// 64-bit FNV-1a: a hash that is the same on every platform and Rust version (std's
/// `DefaultHasher` promises neither), so shards split the same way everywhere. Four lines do
/// not justify a dependency.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
}

/// What the healthy site does in the window: its alerts (element, quantity, severity).
type BaseAlerts = BTreeSet<(String, String, Severity)>;

/// How a sweep steps its runs through the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Stepping {
    /// `FixedUpdate` run directly, and the stretches where nothing but the clock, the energy
    /// totals and UPS batteries change skipped ([`crate::headless::fast_forward`]): the same
    /// results as [`Stepping::Plain`] (tested), faster.
    #[default]
    Fast,
    /// Every step a whole Bevy frame ([`crate::headless::advance`]): the reference.
    Plain,
}

/// Steps `app` through `steps` steps; returns whether every step had a load-flow solution and
/// how many steps were skipped.
fn run_window(app: &mut bevy::app::App, steps: u64, stepping: Stepping) -> (bool, u64) {
    match stepping {
        Stepping::Plain => {
            let mut all = true;
            for _ in 0..steps {
                advance(app, 1);
                all &= app.world().resource::<crate::sim::electrical::SiteTotals>().converged;
            }
            (all, 0)
        }
        Stepping::Fast => {
            // The window's last step is taken in full, whatever could be skipped before it.
            let a = advance_skipping(app, steps.saturating_sub(1));
            advance_fixed(app, 1);
            let last = app.world().resource::<crate::sim::electrical::SiteTotals>().converged;
            (a.all_converged && last, a.skipped)
        }
    }
}

/// Runs `site` with `units` failed for the window and reads what followed; also the steps the
/// fast path skipped. The run is on `rerun`'s world when given (the fast path), else on a world
/// built for it (the reference).
fn run_case(
    site: &SiteFile,
    catalog: &Catalog,
    units: &[&Contingency],
    options: &SweepOptions,
    base: &BaseAlerts,
    stepping: Stepping,
    rerun: Option<&mut Rerun>,
) -> (CaseResult, Vec<(String, f64)>, u64) {
    let mut failed: Vec<String> = units.iter().flat_map(|u| u.members.iter().cloned()).collect();
    failed.sort_by(|a, b| natural_cmp(a, b));
    failed.dedup();
    let mut fresh;
    let app = match rerun {
        Some(r) => r.start(&failed),
        None => {
            let (mut before, mut after) = (Vec::new(), Vec::new());
            for id in &failed {
                if let Some(e) = site.element(id) {
                    let mut out = e.clone();
                    let _ = out.set_in_service(false);
                    before.push(e);
                    after.push(out);
                }
            }
            // Taking elements out of service keeps a valid site (validation refuses nothing
            // here); if it ever did, the case runs on the site as it is and says so by breaking
            // nothing.
            let s = crate::edit::edited_site(site, &before, &after, catalog).unwrap_or_else(|_| site.clone());
            fresh = build_app(&s, catalog, options.step);
            single_threaded_everywhere(&mut fresh);
            &mut fresh
        }
    };
    let run = RunOptions { duration: options.duration, step: options.step };
    let (converged, skipped) = run_window(app, run.steps(), stepping);
    let shed_kw = app
        .world()
        .get_resource::<crate::sim::thermal::ThermalShedding>()
        .map_or((0.0, 0), |t| (t.throttled.iter().chain(&t.tripped).map(|x| x.1).sum::<f64>(), t.tripped.len() as u32));
    let report = Report::from_world(app.world_mut(), &run, "");
    let t = &report.totals;
    let mut new_alerts: Vec<&crate::sim::limits::Alert> = report
        .alerts
        .iter()
        .filter(|a| !base.contains(&(a.element.clone(), a.quantity.label().to_string(), a.severity)))
        .collect();
    new_alerts.sort_by(|a, b| {
        a.first_seen_s.total_cmp(&b.first_seen_s).then(b.severity.cmp(&a.severity)).then(a.element.cmp(&b.element))
    });
    let first_limit = new_alerts.first().map(|a| FirstLimit {
        element: a.element.clone(),
        limit: a.quantity.label().to_string(),
        severity: a.severity,
        value: a.value,
        limit_value: a.limit,
        unit: a.unit.to_string(),
        after_s: a.first_seen_s,
    });
    let new_critical = new_alerts.iter().filter(|a| a.severity == Severity::Critical).count() as u32;
    let new_warnings = new_alerts.len() as u32 - new_critical;
    let it_lost_kw = t.unserved_kw + shed_kw.0;
    let racks_down = t.unpowered_racks + shed_kw.1;
    let racks_on_one_cord = t.single_cord_racks;
    let severity = if converged {
        let n = f64::from(new_critical) + 0.1 * f64::from(new_warnings) + 0.01 * f64::from(racks_on_one_cord);
        it_lost_kw + n / (n + 1.0)
    } else {
        1e6
    };
    let loading: Vec<(String, f64)> = report
        .elements
        .iter()
        .filter_map(|e| e.state.as_ref().map(|s| (e.id.clone(), s.loading_pct)))
        .filter(|(_, l)| l.is_finite())
        .collect();
    let unit_ids: Vec<String> = units.iter().map(|u| u.id.clone()).collect();
    let result = CaseResult {
        id: case_id(&unit_ids),
        failed,
        groups: units.iter().filter(|u| u.group).map(|u| u.id.clone()).collect(),
        first_limit,
        it_lost_kw,
        racks_down,
        racks_on_one_cord,
        new_critical,
        new_warnings,
        converged,
        severity,
        breaks: !converged || it_lost_kw > 0.0 || new_critical > 0,
    };
    (result, loading, skipped)
}

/// Every schedule of `app` on the single-threaded executor: cases run side by side in rayon,
/// and Bevy's shared task pools would only add hand-offs.
pub(crate) fn single_threaded_everywhere(app: &mut bevy::app::App) {
    use bevy::ecs::schedule::{Schedules, SingleThreadedExecutor};
    for (_, s) in app.world_mut().resource_mut::<Schedules>().iter_mut() {
        s.set_executor(SingleThreadedExecutor::new());
    }
}

/// Element `a` feeds `b` (directly or through others): failing both is failing `a`.
fn feeds(parents: &HashMap<String, Vec<String>>, a: &str, b: &str) -> bool {
    let mut stack = vec![b];
    let mut seen = BTreeSet::new();
    while let Some(x) = stack.pop() {
        for p in parents.get(x).into_iter().flatten() {
            if p == a {
                return true;
            }
            if seen.insert(p.as_str()) {
                stack.push(p);
            }
        }
    }
    false
}

/// Whether failing `a` and `b` together is not worth a case of its own: one already breaks
/// something alone, one holds or feeds the other.
fn prune_pair(
    a: &Contingency,
    b: &Contingency,
    breaking: &BTreeSet<&str>,
    parents: &HashMap<String, Vec<String>>,
) -> bool {
    breaking.contains(a.id.as_str())
        || breaking.contains(b.id.as_str())
        || a.members.iter().all(|m| b.members.contains(m))
        || b.members.iter().all(|m| a.members.contains(m))
        || a.members.iter().any(|x| b.members.iter().any(|y| feeds(parents, x, y) || feeds(parents, y, x)))
}

/// The alerts of the healthy site over the window: a case's own alerts are those not among them.
fn base_alerts(site: &SiteFile, catalog: &Catalog, options: &SweepOptions, stepping: Stepping) -> BaseAlerts {
    let mut app = build_app(site, catalog, options.step);
    single_threaded_everywhere(&mut app);
    let run = RunOptions { duration: options.duration, step: options.step };
    run_window(&mut app, run.steps(), stepping);
    let report = Report::from_world(app.world_mut(), &run, "");
    report.alerts.iter().map(|a| (a.element.clone(), a.quantity.label().to_string(), a.severity)).collect()
}

/// Runs the cases `ids` of the sweep `options` describes (a case id as in the report: element or
/// common-mode group ids joined by `+`) stepped as `stepping`, the healthy run included: each
/// case's result as the sweep reports it and the steps the fast path skipped. For comparing the
/// fast path with plain steps; an id the sweep would not fail is an error.
pub fn sample_cases(
    site: &SiteFile,
    catalog: &Catalog,
    options: &SweepOptions,
    ids: &[&str],
    stepping: Stepping,
) -> Result<Vec<(CaseResult, u64)>, String> {
    let kinds = if options.only.is_empty() { default_kinds() } else { options.only.clone() };
    let units = contingencies(site, &kinds);
    let cases: Vec<Vec<&Contingency>> = ids
        .iter()
        .map(|id| {
            id.split('+')
                .map(|u| units.iter().find(|c| c.id == u).ok_or_else(|| format!("{u}: not a failure of this sweep")))
                .collect()
        })
        .collect::<Result<_, _>>()?;
    let base = base_alerts(site, catalog, options, stepping);
    // The fast path on one world restarted for each case; the reference on fresh worlds.
    Ok(cases
        .par_iter()
        .map_init(
            || (stepping == Stepping::Fast).then(|| Rerun::new(site, catalog, options.step)),
            |rerun, f| {
                let (r, _, skipped) = run_case(site, catalog, f, options, &base, stepping, rerun.as_mut());
                (r, skipped)
            },
        )
        .collect())
}

/// Runs the whole sweep; `progress` is called after each case with (done, total).
pub fn sweep(
    site: &SiteFile,
    catalog: &Catalog,
    options: &SweepOptions,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> SweepReport {
    let part = sweep_part(site, catalog, options, Shard::WHOLE, progress);
    merge(vec![part]).expect("one whole part merges")
}

/// Runs the cases of one shard: a part report, for [`merge`]. At depth 2 every shard runs every
/// single failure (which pairs to prune depends on them), but keeps only its own.
pub fn sweep_part(
    site: &SiteFile,
    catalog: &Catalog,
    options: &SweepOptions,
    shard: Shard,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> SweepReport {
    let kinds = if options.only.is_empty() { default_kinds() } else { options.only.clone() };
    let units = contingencies(site, &kinds);
    let base = base_alerts(site, catalog, options, Stepping::Fast);
    let singles: Vec<Vec<&Contingency>> =
        units.iter().filter(|u| options.depth >= 2 || shard.owns(&u.id)).map(|u| vec![u]).collect();
    let total_hint = (singles.len()
        + if options.depth >= 2 { units.len() * units.len().saturating_sub(1) / 2 / shard.count as usize } else { 0 })
        as u64;
    let done = std::sync::atomic::AtomicU64::new(0);
    let run_all = |cases: &[Vec<&Contingency>]| -> Vec<(CaseResult, Vec<(String, f64)>)> {
        cases
            .par_iter()
            // One world per worker, restarted for each case.
            .map_init(
                || Rerun::new(site, catalog, options.step),
                |rerun, f| {
                    let (r, loading, _) = run_case(site, catalog, f, options, &base, Stepping::Fast, Some(rerun));
                    progress(done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1, total_hint);
                    (r, loading)
                },
            )
            .collect()
    };
    let mut results = run_all(&singles);
    let mut pruned = 0;
    if options.depth >= 2 {
        let breaking: BTreeSet<&str> = results.iter().filter(|(r, _)| r.breaks).map(|(r, _)| r.id.as_str()).collect();
        let parents: HashMap<String, Vec<String>> = site
            .elements()
            .into_iter()
            .map(|(_, e)| (e.id().to_string(), e.links().into_iter().map(|(_, id)| id.to_string()).collect()))
            .collect();
        let mut pairs = Vec::new();
        for (i, a) in units.iter().enumerate() {
            for b in &units[i + 1..] {
                if !shard.owns(&case_id(&[a.id.clone(), b.id.clone()])) {
                    continue;
                }
                if prune_pair(a, b, &breaking, &parents) {
                    pruned += 1;
                } else {
                    pairs.push(vec![a, b]);
                }
            }
        }
        let pair_results = run_all(&pairs);
        results.retain(|(r, _)| shard.owns(&r.id));
        results.extend(pair_results);
    }
    results.sort_by(|a, b| natural_cmp(&a.0.id, &b.0.id));

    // Per element: worst loading with its case, and criticality (over this part's cases).
    let mut worst: BTreeMap<String, (f64, String)> = BTreeMap::new();
    let mut breaking_failures: BTreeMap<String, u32> = BTreeMap::new();
    for (r, loading) in &results {
        for (id, l) in loading {
            let w = worst.entry(id.clone()).or_insert((f64::NEG_INFINITY, String::new()));
            if *l > w.0 {
                *w = (*l, r.id.clone());
            }
        }
        if r.breaks {
            for f in &r.failed {
                *breaking_failures.entry(f.clone()).or_insert(0) += 1;
            }
        }
    }
    let elements: Vec<ElementSummary> = worst
        .into_iter()
        .map(|(id, (l, case))| ElementSummary {
            breaking_failures: breaking_failures.get(&id).copied().unwrap_or(0),
            id,
            worst_loading_pct: l,
            worst_case: case,
        })
        .collect();
    SweepReport {
        schema: SCHEMA.to_string(),
        shard: Some(shard),
        site: site.name.clone(),
        depth: options.depth,
        duration_s: options.duration.as_secs_f64(),
        step_s: options.step.as_secs_f64(),
        base_alerts: base.len(),
        cases: results.into_iter().map(|(r, _)| r).collect(),
        pruned_pairs: pruned,
        single_points_of_failure: vec![],
        common_mode_failures: vec![],
        elements,
    }
}

/// The sweep report's schema identifier.
pub const SCHEMA: &str = "dctwin.sweep.v1";

/// Joins the parts of a sharded sweep (every shard of one sweep, once each, in any order) into
/// the report the unsharded sweep writes: the same bytes.
pub fn merge(parts: Vec<SweepReport>) -> Result<SweepReport, String> {
    let first = parts.first().ok_or("nothing to merge")?;
    let count = first.shard.ok_or("a whole report is not a part (it has no `shard`)")?.count;
    let mut seen = vec![false; count as usize];
    for p in &parts {
        let shard = p.shard.ok_or("a whole report is not a part (it has no `shard`)")?;
        if p.schema != SCHEMA {
            return Err(format!("schema {} is not {SCHEMA}", p.schema));
        }
        if (&p.site, p.depth, p.duration_s, p.step_s, p.base_alerts, shard.count)
            != (&first.site, first.depth, first.duration_s, first.step_s, first.base_alerts, count)
        {
            return Err(format!(
                "part {}/{} is from another sweep (site, depth, window, step or shard count differ)",
                shard.index, shard.count
            ));
        }
        let slot =
            seen.get_mut(shard.index as usize).ok_or(format!("shard {}/{count} is out of range", shard.index))?;
        if std::mem::replace(slot, true) {
            return Err(format!("shard {}/{count} is given twice", shard.index));
        }
    }
    let missing: Vec<String> =
        seen.iter().enumerate().filter(|(_, s)| !**s).map(|(i, _)| format!("{i}/{count}")).collect();
    if !missing.is_empty() {
        return Err(format!("missing shards: {}", missing.join(", ")));
    }
    let mut out = SweepReport { shard: None, cases: vec![], elements: vec![], pruned_pairs: 0, ..first.clone() };
    let mut elements: BTreeMap<String, ElementSummary> = BTreeMap::new();
    for p in parts {
        out.pruned_pairs += p.pruned_pairs;
        out.cases.extend(p.cases);
        for e in p.elements {
            match elements.get_mut(&e.id) {
                None => {
                    elements.insert(e.id.clone(), e);
                }
                Some(w) => {
                    w.breaking_failures += e.breaking_failures;
                    // The highest loading; on a tie, the case first in id order (as one pass
                    // over the cases in that order keeps).
                    let better = e.worst_loading_pct > w.worst_loading_pct
                        || (e.worst_loading_pct == w.worst_loading_pct
                            && natural_cmp(&e.worst_case, &w.worst_case).is_lt());
                    if better {
                        w.worst_loading_pct = e.worst_loading_pct;
                        w.worst_case = e.worst_case;
                    }
                }
            }
        }
    }
    out.cases.sort_by(|a, b| natural_cmp(&a.id, &b.id));
    out.elements = elements.into_values().collect();
    out.elements.sort_by(|a, b| natural_cmp(&a.id, &b.id));
    let losing = || out.cases.iter().filter(|c| c.it_lost_kw > 0.0);
    out.single_points_of_failure =
        losing().filter(|c| c.groups.is_empty() && c.failed.len() == 1).map(|c| c.id.clone()).collect();
    out.common_mode_failures = losing().filter(|c| c.groups == [c.id.clone()]).map(|c| c.id.clone()).collect();
    Ok(out)
}

impl SweepReport {
    /// JSON, pretty.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a sweep report serializes") + "\n"
    }

    /// The cases ranked by severity (highest first; ties in case-id order).
    pub fn ranked(&self) -> Vec<&CaseResult> {
        let mut v: Vec<&CaseResult> = self.cases.iter().collect();
        v.sort_by(|a, b| b.severity.total_cmp(&a.severity).then(natural_cmp(&a.id, &b.id)));
        v
    }

    /// One row per case.
    pub fn to_csv(&self) -> String {
        let mut o = String::from(
            "case,failed,severity,breaks,it_lost_kw,racks_down,racks_on_one_cord,new_critical,new_warnings,converged,first_limit_element,first_limit,first_limit_value,first_limit_limit,first_limit_unit,first_limit_after_s\n",
        );
        for c in &self.cases {
            let fl = c.first_limit.as_ref();
            let _ = writeln!(
                o,
                "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
                c.id,
                c.failed.join(" "),
                c.severity,
                c.breaks,
                c.it_lost_kw,
                c.racks_down,
                c.racks_on_one_cord,
                c.new_critical,
                c.new_warnings,
                c.converged,
                fl.map_or("", |f| f.element.as_str()),
                fl.map_or("", |f| f.limit.as_str()),
                fl.map_or(String::new(), |f| f.value.to_string()),
                fl.map_or(String::new(), |f| f.limit_value.to_string()),
                fl.map_or("", |f| f.unit.as_str()),
                fl.map_or(String::new(), |f| f.after_s.to_string()),
            );
        }
        o
    }

    /// The ranked top `n` cases, single points of failure and the most loaded elements.
    pub fn to_markdown(&self, n: usize) -> String {
        let mut o = String::new();
        let _ = writeln!(
            o,
            "# Contingency sweep: {} (N-{}, {} cases, {} s after each failure at {} s steps)\n",
            self.site,
            self.depth,
            self.cases.len(),
            self.duration_s,
            self.step_s
        );
        if self.pruned_pairs > 0 {
            let _ = writeln!(
                o,
                "{} pairs not run: a member already breaks something alone, or one feeds the other.\n",
                self.pruned_pairs
            );
        }
        let breaking = self.cases.iter().filter(|c| c.breaks).count();
        let _ = writeln!(
            o,
            "{breaking} of {} cases break something (IT load lost, a new critical alert, or no solution).\n",
            self.cases.len()
        );
        if self.single_points_of_failure.is_empty() {
            let _ = writeln!(o, "**No single point of failure**: no single failure loses IT load.\n");
        } else {
            let _ = writeln!(
                o,
                "**Single points of failure** (one failure loses IT load): {}\n",
                self.single_points_of_failure.join(", ")
            );
        }
        if !self.common_mode_failures.is_empty() {
            let _ = writeln!(
                o,
                "**Common-mode failures** (one event takes out a group, and IT load is lost): {}\n",
                self.common_mode_failures.join(", ")
            );
        }
        let _ = writeln!(
            o,
            "| rank | failed | IT lost | racks down | on one cord | first limit crossed | new alerts | severity |\n|---|---|---|---|---|---|---|---|"
        );
        for (i, c) in self.ranked().into_iter().take(n).enumerate() {
            let first = c.first_limit.as_ref().map_or("—".to_string(), |f| {
                format!(
                    "{} {} {:.1} of {:.1} {} after {} ({})",
                    f.element,
                    f.limit,
                    f.value,
                    f.limit_value,
                    f.unit,
                    crate::scenario::show_s(f.after_s),
                    match f.severity {
                        Severity::Critical => "critical",
                        Severity::Warning => "warning",
                    }
                )
            });
            let _ = writeln!(
                o,
                "| {} | {} | {:.0} kW | {} | {} | {} | {} critical, {} warning | {:.1}{} |",
                i + 1,
                c.failed.join(" + "),
                c.it_lost_kw,
                c.racks_down,
                c.racks_on_one_cord,
                first,
                c.new_critical,
                c.new_warnings,
                c.severity,
                if c.converged { "" } else { " (no solution)" }
            );
        }
        let mut loaded: Vec<&ElementSummary> = self.elements.iter().collect();
        loaded.sort_by(|a, b| b.worst_loading_pct.total_cmp(&a.worst_loading_pct).then(natural_cmp(&a.id, &b.id)));
        let _ = writeln!(
            o,
            "\n| element | worst loading | in case | its failures that break something |\n|---|---|---|---|"
        );
        for e in loaded.into_iter().take(n) {
            let _ =
                writeln!(o, "| {} | {:.1} % | {} | {} |", e.id, e.worst_loading_pct, e.worst_case, e.breaking_failures);
        }
        o
    }
}

impl SweepReport {
    /// The report's charts (`--plot`): the `top` most severe cases; the elements whose failure
    /// breaks something, by how often (when any does); the `top` most loaded elements with the
    /// case that loads them most.
    pub fn charts(&self, top: usize) -> Vec<BarChart> {
        let ranked = self.ranked();
        let shown: Vec<&CaseResult> = ranked.iter().copied().take(top).collect();
        // A case without a solution is drawn as long as the longest solved one.
        let longest = shown.iter().filter(|c| c.converged).map(|c| c.severity).fold(0.0, f64::max).max(1.0);
        let severity = BarChart {
            stem: "sweep-severity".into(),
            title: format!("Most severe failures ({} of {} cases)", shown.len(), self.cases.len()),
            x_desc: "severity: kW of IT lost (below 1: new alerts only)".into(),
            bars: shown
                .iter()
                .map(|c| {
                    let mut note = if !c.converged {
                        "no load-flow solution".to_string()
                    } else if c.it_lost_kw > 0.0 {
                        format!("{:.0} kW lost, {} racks down", c.it_lost_kw, c.racks_down)
                    } else {
                        format!("{} critical, {} warning", c.new_critical, c.new_warnings)
                    };
                    if let Some(f) = &c.first_limit {
                        note +=
                            &format!("; first {} {} after {}", f.element, f.limit, crate::scenario::show_s(f.after_s));
                    }
                    Bar {
                        label: c.id.replace('+', " + "),
                        value: if c.converged { c.severity } else { longest },
                        note,
                        tone: if !c.converged {
                            Tone::Unsolved
                        } else if c.it_lost_kw > 0.0 {
                            Tone::Loss
                        } else if c.breaks {
                            Tone::Alarm
                        } else {
                            Tone::Plain
                        },
                    }
                })
                .collect(),
            reference: None,
        };
        let mut critical: Vec<&ElementSummary> = self.elements.iter().filter(|e| e.breaking_failures > 0).collect();
        critical.sort_by(|a, b| {
            b.breaking_failures
                .cmp(&a.breaking_failures)
                .then(b.worst_loading_pct.total_cmp(&a.worst_loading_pct))
                .then(natural_cmp(&a.id, &b.id))
        });
        let criticality = BarChart {
            stem: "sweep-criticality".into(),
            title: format!(
                "Criticality: failures that break something ({} of {} elements)",
                critical.len().min(top),
                critical.len()
            ),
            x_desc: "cases that fail it and break something".into(),
            bars: critical
                .iter()
                .take(top)
                .map(|e| Bar {
                    label: e.id.clone(),
                    value: f64::from(e.breaking_failures),
                    note: format!(
                        "worst loading {:.1} % when {} fails",
                        e.worst_loading_pct,
                        e.worst_case.replace('+', " + ")
                    ),
                    tone: Tone::Loss,
                })
                .collect(),
            reference: None,
        };
        let mut loaded: Vec<&ElementSummary> = self.elements.iter().collect();
        loaded.sort_by(|a, b| b.worst_loading_pct.total_cmp(&a.worst_loading_pct).then(natural_cmp(&a.id, &b.id)));
        let loading = BarChart {
            stem: "sweep-loading".into(),
            title: format!("Worst loading over all cases ({} of {} elements)", loaded.len().min(top), loaded.len()),
            x_desc: "worst loading, % of its rating (line: 100 %)".into(),
            bars: loaded
                .iter()
                .take(top)
                .map(|e| Bar {
                    label: e.id.clone(),
                    value: e.worst_loading_pct.max(0.0),
                    note: format!("when {} fails", e.worst_case.replace('+', " + ")),
                    tone: if e.worst_loading_pct > 100.0 {
                        Tone::Loss
                    } else if e.worst_loading_pct > 80.0 {
                        Tone::Alarm
                    } else {
                        Tone::Plain
                    },
                })
                .collect(),
            reference: Some(100.0),
        };
        vec![severity, criticality, loading]
    }
}
