//! `dctwin capacity`: how many more racks of a model fit, where they go, which limit binds first,
//! and what capacity is left stranded behind it.
//!
//! New racks go beside existing ones, on the same feeds and cooling (a **place**: A feed, B feed,
//! zone, CDU), at their model's design power (utilization 1). Every answer is a steady state of
//! the full simulation, compared with the site as it is: a plan **fits** when it raises no alert
//! the site does not already have and worsens none (a new rack is held to the standard of the
//! rack it copies: if that rack already has an alert, its copies may have the same).
//!
//! The search is linear, then checked: one probe per place (one more rack there) gives how each
//! limit line's margin moves per rack; racks are then added round-robin across places while every
//! predicted margin stays above its floor; the plan is simulated, cut back along its fill order if
//! the prediction was optimistic, and finally each place gets one rack more in a simulation of
//! its own, which must cross a limit (that crossing is the place's **binding limit**). So the
//! answer is confirmed by simulation at N and N+1 in every place.
//!
//! With `--n-1` every single failure (the sweep's contingencies: each electrical node, cooling
//! unit, water loop and common-mode group) is also run, at its post-failure steady state, and
//! must be no worse with the new racks than without them. Per failure the margins' movement is
//! scaled from the healthy sensitivities by what the failure does to them (a 2N side carrying
//! the other's load moves twice as fast), then checked by simulating every failure on the plan.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use rayon::prelude::*;
use serde::Serialize;

use super::sweep::{Contingency, contingencies, default_kinds, single_threaded_everywhere};
use crate::catalog::Catalog;
use crate::edit::ops::FloorRect;
use crate::export::plot::{Bar, BarChart, Tone};
use crate::headless::{advance, build_app};
use crate::sim::limits::{AlertLog, HeadroomRow, LimitKind, LimitLines, Quantity, Severity};
use crate::site::save::natural_cmp;
use crate::site::{RackSpec, SiteFile};

/// What to search.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CapacityOptions {
    /// Catalog rack model to add.
    pub model: String,
    /// Only places in this zone.
    pub zone: Option<String>,
    /// Only places fed or cooled by this element (or anything below it).
    pub near: Option<String>,
    /// Every single failure must stay as safe as it is today.
    pub n_1: bool,
    /// New racks run capped at this share of their design power (0–1; absent: uncapped), as an
    /// accelerator power limit does.
    pub power_cap: Option<f64>,
    /// Out-of-service racks that mark where new racks may also go (the first position of a
    /// planned row, with its feeds and cooling): places of their own, never counted or loaded.
    pub templates: Vec<String>,
}

impl CapacityOptions {
    /// Utilization of the new racks.
    fn utilization(&self) -> f64 {
        self.power_cap.unwrap_or(1.0)
    }
}

/// Steady-state probes: long exact steps (the thermal updates are exact for any step), enough of
/// them for cooling loads to join the network (healthy) and for batteries, restarts and transfers
/// to play out after a failure (an hour).
const PROBE_STEP: Duration = Duration::from_secs(600);
const HEALTHY_STEPS: u64 = 3;
const FAILED_STEPS: u64 = 6;
/// Utilization of the racks that sense how failures move the margins (`--n-1`).
const SENSING_UTILIZATION: f64 = 0.1;
/// The most racks a search adds (a site where nothing binds says so instead of looping).
pub const MAX_RACKS: u32 = 5000;
/// A margin that moves less than this per rack does not move.
const STILL: f64 = 1e-9;

/// Where new racks go: beside existing racks with the same feeds and cooling.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
pub struct Place {
    /// A cord's feed.
    pub feed_a: String,
    /// B cord's feed (dual-corded places).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feed_b: Option<String>,
    /// Zone its air goes to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// CDU its liquid goes to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cdu: Option<String>,
}

impl Place {
    /// "BW-A1-1 + BW-B1-1, zone HALL, CDU-1".
    pub fn label(&self) -> String {
        let mut s = self.feed_a.clone();
        if let Some(b) = &self.feed_b {
            s += &format!(" + {b}");
        }
        if let Some(z) = &self.zone {
            s += &format!(", zone {z}");
        }
        if let Some(c) = &self.cdu {
            s += &format!(", {c}");
        }
        s
    }
}

/// A limit crossed: by one rack more in a place, or by the plan under a failure.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Crossing {
    /// Element (a new rack is named by its own id).
    pub element: String,
    /// What was crossed ("breaker current").
    pub limit: String,
    /// Critical or warning.
    pub severity: Severity,
    /// Value.
    pub value: f64,
    /// Limit.
    pub limit_value: f64,
    /// Unit of both.
    pub unit: String,
    /// The failure under which it was crossed (`--n-1`), if not the healthy site.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contingency: Option<String>,
}

impl Crossing {
    /// "PDU-A breaker current 203.1 of 200.0 A (warning)", with " after UTIL-B fails".
    pub fn describe(&self) -> String {
        let sev = match self.severity {
            Severity::Critical => "critical",
            Severity::Warning => "warning",
        };
        let mut s = format!(
            "{} {} {:.1} of {:.1} {} ({sev})",
            self.element, self.limit, self.value, self.limit_value, self.unit
        );
        if let Some(c) = &self.contingency {
            s += &format!(" when {c} fails");
        }
        s
    }
}

/// The racks a place takes.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct PlaceResult {
    /// Where.
    pub place: Place,
    /// The existing rack the new ones copy (feeds, zone, CDU, row).
    pub template: String,
    /// Racks added here.
    pub racks: u32,
    /// Their ids and positions, m.
    pub new_racks: Vec<(String, (f64, f64))>,
    /// What one rack more here crosses (simulated).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub binding: Option<Crossing>,
}

/// A place a rack of the model cannot go, and why.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Excluded {
    /// Where.
    pub place: Place,
    /// Why.
    pub reason: String,
}

/// A limit line at the plan, with how many racks more it would take.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct NextLimit {
    /// The line (element, limit, value, limit value, margin).
    #[serde(flatten)]
    pub row: HeadroomRow,
    /// Racks more (in the place that loads it fastest) before it binds, by the linear estimate.
    pub racks_left: f64,
}

/// Installed capacity that cannot be used because something else binds first.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Stranded {
    /// Element.
    pub element: String,
    /// Its limit.
    pub limit: LimitKind,
    /// Capacity left unused when the blocker binds, in `unit`.
    pub stranded: f64,
    /// Unit.
    pub unit: String,
    /// As IT load (kW of racks of the model it could still carry).
    pub stranded_kw: f64,
    /// Share of its capacity, %.
    pub share_pct: f64,
    /// What binds first (element and limit), for the places it serves.
    pub blocker: String,
}

/// Stranded capacity of one kind of limit over the site, as IT load.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct KindTotal {
    /// Limit.
    pub limit: LimitKind,
    /// Elements with capacity stranded.
    pub elements: u32,
    /// Stranded, kW of IT.
    pub stranded_kw: f64,
    /// What those elements carry at full rating, kW of IT (share of rating × the same scale).
    pub capacity_kw: f64,
    /// Stranded share of it, %.
    pub share_pct: f64,
}

/// A capacity report.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct CapacityReport {
    /// Schema identifier.
    pub schema: &'static str,
    /// Site name.
    pub site: String,
    /// Model added.
    pub model: String,
    /// Its design power, kW.
    pub rack_kw: f64,
    /// Every single failure kept as safe as today.
    pub n_1: bool,
    /// The new racks' power cap, share of design power (absent: uncapped; `rack_kw` is capped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub power_cap: Option<f64>,
    /// Racks that fit.
    pub racks: u32,
    /// Their IT load, kW.
    pub it_kw: f64,
    /// The search stopped at [`MAX_RACKS`] with nothing binding.
    pub unbounded: bool,
    /// Where they go.
    pub places: Vec<PlaceResult>,
    /// Places of the site a rack of the model cannot take.
    pub excluded: Vec<Excluded>,
    /// The limit that binds first: the crossing that stops the most places.
    pub binding: Option<Crossing>,
    /// The next limits at the plan, fewest racks left first.
    pub next_limits: Vec<NextLimit>,
    /// Stranded capacity per element, largest first.
    pub stranded: Vec<Stranded>,
    /// Per limit kind: the site total.
    pub stranded_by_kind: Vec<KindTotal>,
    /// With `--n-1`: single failures that already lose IT load without the new racks.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unsafe_today: Vec<String>,
    /// Simulations run.
    pub probes: u32,
}

/// A limit line: (kind, element), per failure index (`usize::MAX`: healthy).
type LineKey = (usize, LimitKind, String);

/// A steady state.
struct Probe {
    /// Active alerts keyed by (element, new racks named by their template; quantity; severity):
    /// distance past the limit, and what to show.
    alerts: BTreeMap<(String, Quantity, Severity), (f64, Crossing)>,
    /// Every limit line.
    lines: HashMap<(LimitKind, String), HeadroomRow>,
    /// IT load lost (unserved, shut down, throttled), kW.
    it_lost_kw: f64,
}

/// Runs `site` with `failed` out of service to its steady state.
fn probe(site: &SiteFile, catalog: &Catalog, failed: &[String], alias: &HashMap<String, String>) -> Probe {
    let s = super::out_of_service(site, failed, catalog);
    let mut app = build_app(&s, catalog, PROBE_STEP);
    single_threaded_everywhere(&mut app);
    app.world_mut().insert_resource(LimitLines::default());
    advance(&mut app, if failed.is_empty() { HEALTHY_STEPS } else { FAILED_STEPS });
    let world = app.world();
    let mut alerts: BTreeMap<(String, Quantity, Severity), (f64, Crossing)> = BTreeMap::new();
    for a in world.resource::<AlertLog>().active() {
        let key_element = alias.get(&a.element).cloned().unwrap_or_else(|| a.element.clone());
        let past = (a.value - a.limit).abs();
        let crossing = Crossing {
            element: a.element.clone(),
            limit: a.quantity.label().to_string(),
            severity: a.severity,
            value: a.value,
            limit_value: a.limit,
            unit: a.unit.to_string(),
            contingency: None,
        };
        let slot = alerts.entry((key_element, a.quantity, a.severity)).or_insert((f64::NEG_INFINITY, crossing.clone()));
        if past > slot.0 {
            *slot = (past, crossing);
        }
    }
    let lines = world.resource::<LimitLines>().0.iter().map(|r| ((r.limit, r.element.clone()), r.clone())).collect();
    let totals = world.resource::<crate::sim::electrical::SiteTotals>();
    let shed = world
        .get_resource::<crate::sim::thermal::ThermalShedding>()
        .map_or(0.0, |t| t.throttled.iter().chain(&t.tripped).map(|x| x.1).sum::<f64>());
    Probe { alerts, lines, it_lost_kw: totals.unserved_kw + shed }
}

/// The first alert of `p` that `base` does not have, or has less of: the plan does not fit.
/// When `base` already loses IT load (a failure that is not safe today), only new alerts count:
/// the racks it loses are lost a little hotter with more racks beside them, and that is not the
/// new racks' doing.
fn worse(p: &Probe, base: &Probe) -> Option<Crossing> {
    let only_new = base.it_lost_kw > 0.0;
    let mut found: Vec<&Crossing> = p
        .alerts
        .iter()
        .filter(|(k, (past, c))| match base.alerts.get(*k) {
            None => true,
            Some((b, _)) => !only_new && *past > b + 1e-6 * c.limit_value.abs().max(1.0),
        })
        .map(|(_, (_, c))| c)
        .collect();
    found.sort_by(|a, b| {
        b.severity.cmp(&a.severity).then(natural_cmp(&a.element, &b.element)).then(a.limit.cmp(&b.limit))
    });
    found.first().map(|c| (*c).clone())
}

/// A place and the rack the new ones copy, with the row they extend.
#[derive(Debug, Clone)]
struct Slot {
    place: Place,
    template: RackSpec,
    /// The last rack's position and the step to the next, m.
    end_m: (f64, f64),
    step_m: (f64, f64),
    /// Every element upstream of it (electrical, cooling): what its racks load.
    served: std::collections::BTreeSet<String>,
}

/// Groups the site's in-service racks into places, filtered by zone and `near`.
fn slots(site: &SiteFile, options: &CapacityOptions) -> Result<Vec<Slot>, String> {
    if let Some(z) = &options.zone
        && !site.zones.iter().any(|x| &x.id == z)
    {
        return Err(format!("--zone {z}: the site has no such zone"));
    }
    let parents: HashMap<String, Vec<String>> = site
        .elements()
        .into_iter()
        .map(|(_, e)| (e.id().to_string(), e.links().into_iter().map(|(_, id)| id.to_string()).collect()))
        .collect();
    if let Some(n) = &options.near
        && !parents.contains_key(n)
    {
        return Err(format!("--near {n}: the site has no such element"));
    }
    // Whether `id` is `target` or below it.
    let below = |id: &str, target: &str| {
        let mut stack = vec![id.to_string()];
        let mut seen = std::collections::BTreeSet::new();
        while let Some(x) = stack.pop() {
            if x == target {
                return true;
            }
            if seen.insert(x.clone()) {
                stack.extend(parents.get(&x).into_iter().flatten().cloned());
            }
        }
        false
    };
    let mut groups: BTreeMap<Place, Vec<&RackSpec>> = BTreeMap::new();
    for r in site.racks.iter().filter(|r| r.in_service || options.templates.contains(&r.id)) {
        let place =
            Place { feed_a: r.feed_a.clone(), feed_b: r.feed_b.clone(), zone: r.zone.clone(), cdu: r.cdu.clone() };
        groups.entry(place).or_default().push(r);
    }
    let mut out = Vec::new();
    for (place, mut racks) in groups {
        if options.zone.as_ref().is_some_and(|z| place.zone.as_ref() != Some(z)) {
            continue;
        }
        if let Some(n) = &options.near {
            let hit = [Some(&place.feed_a), place.feed_b.as_ref(), place.zone.as_ref(), place.cdu.as_ref()]
                .into_iter()
                .flatten()
                .any(|id| below(id, n));
            if !hit {
                continue;
            }
        }
        racks.sort_by(|a, b| natural_cmp(&a.id, &b.id));
        let last = racks[racks.len() - 1];
        let step_m = if racks.len() >= 2 {
            let prev = racks[racks.len() - 2];
            let d = (last.position_m.0 - prev.position_m.0, last.position_m.1 - prev.position_m.1);
            if d.0.hypot(d.1) > 1e-6 { d } else { (0.6, 0.0) }
        } else {
            (0.6, 0.0)
        };
        // What serves the place: everything its feeds, CDU and zone's CRAHs hang from.
        let mut roots: Vec<&str> = [Some(&place.feed_a), place.feed_b.as_ref(), place.cdu.as_ref()]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        if let Some(z) = &place.zone {
            roots.push(z);
            roots.extend(site.crahs.iter().filter(|c| &c.zone == z).map(|c| c.id.as_str()));
        }
        let mut served = std::collections::BTreeSet::new();
        let mut stack: Vec<String> = roots.iter().map(|r| r.to_string()).collect();
        while let Some(x) = stack.pop() {
            if served.insert(x.clone()) {
                stack.extend(parents.get(&x).into_iter().flatten().cloned());
            }
        }
        out.push(Slot { place, template: racks[0].clone(), end_m: last.position_m, step_m, served });
    }
    let key = |p: &Place| {
        [Some(p.feed_a.clone()), p.feed_b.clone(), p.zone.clone(), p.cdu.clone()].map(Option::unwrap_or_default)
    };
    out.sort_by(|a, b| {
        key(&a.place)
            .iter()
            .zip(key(&b.place).iter())
            .map(|(x, y)| natural_cmp(x, y))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    Ok(out)
}

/// New racks' ids and positions, m, in one place.
type NewRacks = Vec<(String, (f64, f64))>;

/// The floor the site's equipment takes: new racks are not put on it.
fn occupied(site: &SiteFile) -> Vec<FloorRect> {
    let table = crate::catalog::footprint::FootprintTable::builtin();
    site.elements()
        .into_iter()
        .filter(|(_, e)| !e.kind().is_marker())
        .map(|(_, e)| crate::edit::ops::footprint_of(&table, e))
        .collect()
}

/// A new rack of `model` like `template`, at `utilization`.
fn new_rack(template: &RackSpec, model: &str, id: String, position_m: (f64, f64), utilization: f64) -> RackSpec {
    RackSpec {
        id,
        model: model.to_string(),
        utilization,
        overrides: Default::default(),
        position_m,
        rotation_deg: template.rotation_deg,
        in_service: true,
        common_mode: vec![],
        ..template.clone()
    }
}

/// Where the new racks of each slot go and their ids: along the slot's row past its last rack,
/// skipping floor that is taken; ids continue the template's (`GB150` → `GB151`).
fn layout(site: &SiteFile, slots: &[Slot], counts: &[u32], floor: &[FloorRect]) -> Vec<NewRacks> {
    let mut taken: std::collections::HashSet<String> =
        site.elements().into_iter().map(|(_, e)| e.id().to_string()).collect();
    let mut placed: Vec<FloorRect> = Vec::new();
    let mut next: HashMap<String, u64> = HashMap::new();
    let mut out = Vec::with_capacity(slots.len());
    for (slot, &n) in slots.iter().zip(counts) {
        let prefix = slot.template.id.trim_end_matches(|c: char| c.is_ascii_digit()).to_string();
        let prefix = if prefix.is_empty() { "R".to_string() } else { prefix };
        // The template's own footprint, moved along the row.
        let half = {
            let r = floor.iter().find(|r| r.contains(slot.template.position_m));
            r.map_or((0.3, 0.6), |r| ((r.max.0 - r.min.0) / 2.0, (r.max.1 - r.min.1) / 2.0))
        };
        let mut ids = Vec::new();
        let mut k = 0.0;
        for _ in 0..n {
            let counter = next.entry(prefix.clone()).or_insert(1);
            let id = loop {
                let candidate = format!("{prefix}{counter}");
                *counter += 1;
                if taken.insert(candidate.clone()) {
                    break candidate;
                }
            };
            let position_m = loop {
                k += 1.0;
                let p = (slot.end_m.0 + k * slot.step_m.0, slot.end_m.1 + k * slot.step_m.1);
                let rect = FloorRect { min: (p.0 - half.0, p.1 - half.1), max: (p.0 + half.0, p.1 + half.1) };
                if !floor.iter().chain(&placed).any(|r| r.overlaps(&rect)) {
                    placed.push(rect);
                    break p;
                }
            };
            ids.push((id, position_m));
        }
        out.push(ids);
    }
    out
}

/// The site with `counts[i]` racks of `model` added in slot `i` at `utilization`; the new
/// racks' ids and positions (per slot) and each new id's template.
fn with_racks(
    site: &SiteFile,
    slots: &[Slot],
    counts: &[u32],
    model: &str,
    utilization: f64,
    floor: &[FloorRect],
) -> (SiteFile, Vec<NewRacks>, HashMap<String, String>) {
    let mut s = site.clone();
    let mut alias = HashMap::new();
    let per_slot = layout(site, slots, counts, floor);
    for (slot, ids) in slots.iter().zip(&per_slot) {
        for (id, p) in ids {
            s.racks.push(new_rack(&slot.template, model, id.clone(), *p, utilization));
            alias.insert(id.clone(), slot.template.id.clone());
        }
    }
    (s, per_slot, alias)
}

/// The linear model: per line its margin now and the floor it must stay above, and per slot
/// how one rack moves each line (only lines it narrows).
struct Linear {
    keys: Vec<LineKey>,
    margin: Vec<f64>,
    floor: Vec<f64>,
    /// Per slot: (line, change in margin per rack < 0).
    per_rack: Vec<Vec<(usize, f64)>>,
}

impl Linear {
    fn new(n_slots: usize) -> Linear {
        Linear { keys: vec![], margin: vec![], floor: vec![], per_rack: vec![vec![]; n_slots] }
    }

    /// Adds a line with margin `m` now and per-slot changes `d`.
    fn add(&mut self, key: LineKey, m: f64, d: impl IntoIterator<Item = (usize, f64)>) {
        let i = self.keys.len();
        let mut any = false;
        for (slot, v) in d {
            if v < -STILL * m.abs().max(1.0) {
                self.per_rack[slot].push((i, v));
                any = true;
            }
        }
        if any {
            self.keys.push(key);
            self.margin.push(m);
            // A line past its limit already may not get worse; others may use their margin.
            self.floor.push(m.min(0.0));
        }
    }

    /// Adds racks round-robin over `eligible` slots while every line keeps above its floor,
    /// from `start`; returns the counts, the order racks were added in, and per slot the line
    /// that stopped it.
    fn fill(&self, eligible: &[bool], cap: u32) -> (Vec<u32>, Vec<usize>, Vec<Option<usize>>) {
        let n = self.per_rack.len();
        let mut counts = vec![0u32; n];
        let mut margin = self.margin.clone();
        let mut order = Vec::new();
        let mut stopped: Vec<Option<usize>> = vec![None; n];
        let mut open: Vec<bool> = eligible.to_vec();
        while open.iter().any(|o| *o) && order.len() < cap as usize {
            for g in 0..n {
                if !open[g] || order.len() >= cap as usize {
                    continue;
                }
                match self.per_rack[g].iter().find(|(i, d)| margin[*i] + d < self.floor[*i]) {
                    Some((i, _)) => {
                        open[g] = false;
                        stopped[g] = Some(*i);
                    }
                    None => {
                        for (i, d) in &self.per_rack[g] {
                            margin[*i] += d;
                        }
                        counts[g] += 1;
                        order.push(g);
                    }
                }
            }
        }
        (counts, order, stopped)
    }
}

/// Counts of the first `len` racks of a fill order.
fn prefix(order: &[usize], len: usize, n: usize) -> Vec<u32> {
    let mut c = vec![0u32; n];
    for &g in &order[..len] {
        c[g] += 1;
    }
    c
}

/// Searches; `progress` hears what stage it is in.
pub fn capacity(
    site: &SiteFile,
    catalog: &Catalog,
    options: &CapacityOptions,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<CapacityReport, String> {
    let Some(model) = catalog.racks.get(&options.model) else {
        let names: Vec<&str> = catalog.racks.keys().map(String::as_str).collect();
        return Err(format!("--add {}: no such rack model ({})", options.model, names.join(", ")));
    };
    if let Some(cap) = options.power_cap
        && !(cap > 0.0 && cap <= 1.0)
    {
        return Err(format!("power cap {cap}: must be above 0 and at most 1 (a share of the design power)"));
    }
    let rack_kw = model.rated_kw * options.utilization();
    let probes = std::sync::atomic::AtomicU32::new(0);
    let run = |s: &SiteFile, failed: &[String], alias: &HashMap<String, String>| {
        probes.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        probe(s, catalog, failed, alias)
    };
    let none = HashMap::new();

    // Places, and those the model cannot take (its heat needs a CDU, a zone...).
    let floor = occupied(site);
    let all_slots = slots(site, options)?;
    if all_slots.is_empty() {
        let scope = match (&options.zone, &options.near) {
            (Some(z), _) => format!(" in zone {z}"),
            (None, Some(n)) => format!(" fed or cooled by {n}"),
            (None, None) => String::new(),
        };
        return Err(format!(
            "no place for new racks: the site has no rack in service{scope} whose feeds and cooling they could copy"
        ));
    }
    let mut slots = Vec::new();
    let mut excluded = Vec::new();
    for slot in all_slots {
        let (s, _, _) =
            with_racks(site, std::slice::from_ref(&slot), &[1], &options.model, options.utilization(), &floor);
        match crate::site::validate::validate(&s, "", "site", catalog) {
            Ok(()) => slots.push(slot),
            Err(p) => excluded.push(Excluded {
                place: slot.place,
                reason: p.0.first().map_or_else(String::new, |p| p.message.clone()),
            }),
        }
    }
    let n = slots.len();
    let healthy = usize::MAX;

    progress("healthy site and one rack per place");
    let base = run(site, &[], &none);
    let singles: Vec<Probe> = (0..n)
        .into_par_iter()
        .map(|g| {
            let mut c = vec![0; n];
            c[g] = 1;
            let (s, _, alias) = with_racks(site, &slots, &c, &options.model, options.utilization(), &floor);
            run(&s, &[], &alias)
        })
        .collect();
    // How one rack in each place moves each line (healthy).
    let mut sens: HashMap<(LimitKind, String), Vec<f64>> = HashMap::new();
    for (g, p) in singles.iter().enumerate() {
        for (k, row) in &p.lines {
            if let Some(b) = base.lines.get(k) {
                sens.entry(k.clone()).or_insert_with(|| vec![0.0; n])[g] = row.margin - b.margin;
            }
        }
    }
    let mut keys: Vec<&(LimitKind, String)> = sens.keys().collect();
    keys.sort_by(|a, b| a.0.cmp(&b.0).then(natural_cmp(&a.1, &b.1)));
    let mut lin = Linear::new(n);
    for k in &keys {
        lin.add((healthy, k.0, k.1.clone()), base.lines[*k].margin, sens[*k].iter().copied().enumerate());
    }
    let eligible = vec![true; n];

    // The plan: linear fill, simulated, cut back while it does not fit, then one more per place.
    // `fits` checks the healthy site, then the failure the linear model expects to bind, then
    // every other failure (in parallel, stopping at the first in case order that crosses).
    let confirm =
        |lin: &Linear, failures: &[(String, Vec<String>, Probe)]| -> (Vec<u32>, Vec<Option<Crossing>>, bool) {
            let (counts, order, stopped) = lin.fill(&eligible, MAX_RACKS);
            let unbounded = order.len() >= MAX_RACKS as usize;
            let fits = |c: &[u32], expect: Option<usize>| -> Option<Crossing> {
                let (s, _, alias) = with_racks(site, &slots, c, &options.model, options.utilization(), &floor);
                if let Some(x) = worse(&run(&s, &[], &alias), &base) {
                    return Some(x);
                }
                let check = |i: usize| {
                    let (id, members, b) = &failures[i];
                    worse(&run(&s, members, &alias), b).map(|x| Crossing { contingency: Some(id.clone()), ..x })
                };
                if let Some(x) = expect.and_then(check) {
                    return Some(x);
                }
                (0..failures.len()).into_par_iter().filter(|i| Some(*i) != expect).find_map_first(check)
            };
            // Cut back along the fill order (bisection) if the linear estimate was optimistic.
            let mut counts = counts;
            if counts.iter().any(|c| *c > 0) && fits(&counts, None).is_some() {
                let (mut lo, mut hi) = (0usize, order.len());
                while hi - lo > 1 {
                    let mid = (lo + hi) / 2;
                    if fits(&prefix(&order, mid, n), None).is_none() { lo = mid } else { hi = mid }
                }
                counts = prefix(&order, lo, n);
            }
            // One more in each place must cross a limit; where it does not, keep it and look again.
            let expect: Vec<Option<usize>> =
                stopped.iter().map(|s| s.map(|i| lin.keys[i].0).filter(|f| *f != usize::MAX)).collect();
            let mut binding: Vec<Option<Crossing>> = vec![None; n];
            if !unbounded {
                for _round in 0..64 {
                    let more: Vec<Option<Crossing>> = (0..n)
                        .into_par_iter()
                        .map(|g| {
                            let mut c = counts.clone();
                            c[g] += 1;
                            fits(&c, expect[g])
                        })
                        .collect();
                    match more.iter().position(Option::is_none) {
                        Some(g) => counts[g] += 1,
                        None => {
                            binding = more;
                            break;
                        }
                    }
                }
            }
            (counts, binding, unbounded)
        };
    progress("searching the healthy site");
    let (mut counts, mut binding, mut unbounded) = confirm(&lin, &[]);

    let mut unsafe_today = Vec::new();
    if options.n_1 {
        progress("every single failure, without and with the racks");
        let cases: Vec<Contingency> = contingencies(site, &default_kinds());
        // Each failure, without new racks and with one in every place at a tenth of its power
        // (small enough to stay linear: no place saturates its cooling).
        let (sensing, _, alias) = with_racks(site, &slots, &vec![1; n], &options.model, SENSING_UTILIZATION, &floor);
        let runs: Vec<(Probe, Probe)> =
            cases.par_iter().map(|c| (run(site, &c.members, &none), run(&sensing, &c.members, &alias))).collect();
        unsafe_today =
            cases.iter().zip(&runs).filter(|(_, (b, _))| b.it_lost_kw > 0.0).map(|(c, _)| c.id.clone()).collect();
        // Per failure: each line's margin without the racks, and the healthy per-place
        // sensitivities scaled by what the failure does to them (the sensing run's movement
        // against the healthy one's: a 2N side carrying its twin's load moves twice as fast).
        for (f, (b, p)) in runs.iter().enumerate() {
            let mut lines: Vec<&(LimitKind, String)> = b.lines.keys().collect();
            lines.sort_by(|a, c| a.0.cmp(&c.0).then(natural_cmp(&a.1, &c.1)));
            for k in lines {
                let Some(after) = p.lines.get(k) else { continue };
                let moved = (after.margin - b.lines[k].margin) / SENSING_UTILIZATION * options.utilization();
                let healthy_moved: f64 = sens.get(k).map_or(0.0, |s| s.iter().sum());
                let per_slot: Vec<(usize, f64)> = match sens.get(k) {
                    Some(s) if healthy_moved.abs() > STILL => {
                        s.iter().enumerate().map(|(g, d)| (g, d * moved / healthy_moved)).collect()
                    }
                    // Loaded only under this failure (a standby path): shared evenly.
                    _ => (0..n).map(|g| (g, moved / n as f64)).collect(),
                };
                lin.add((f, k.0, k.1.clone()), b.lines[k].margin, per_slot);
            }
        }
        let failures: Vec<(String, Vec<String>, Probe)> =
            cases.iter().zip(runs).map(|(c, (b, _))| (c.id.clone(), c.members.clone(), b)).collect();
        progress("searching with every single failure");
        (counts, binding, unbounded) = confirm(&lin, &failures);
    }

    // The plan's steady state: the next limits and what is stranded.
    let (plan, new_racks, alias) = with_racks(site, &slots, &counts, &options.model, options.utilization(), &floor);
    let at_plan = run(&plan, &[], &alias);
    let mut next_limits: Vec<NextLimit> = keys
        .iter()
        .filter_map(|k| {
            let row = at_plan.lines.get(*k)?;
            let fastest = sens[*k].iter().copied().fold(0.0f64, |m, d| m.min(d));
            (fastest < -STILL).then(|| NextLimit { row: row.clone(), racks_left: row.margin / -fastest })
        })
        .collect();
    next_limits.sort_by(|a, b| a.racks_left.total_cmp(&b.racks_left).then(natural_cmp(&a.row.element, &b.row.element)));
    next_limits.truncate(8);

    // Stranded: what a capacity line serving the new racks' places has left at the plan (under
    // the failure that leaves it least, with --n-1), when every place it serves is blocked by
    // something else. Cables are left out: their ampacity is sized with margin by code, not
    // bought as capacity.
    let predicted: Vec<f64> = {
        let mut m = lin.margin.clone();
        for (g, list) in lin.per_rack.iter().enumerate() {
            for (i, d) in list {
                m[*i] += f64::from(counts[g]) * d;
            }
        }
        m
    };
    let mut by_line: Vec<Vec<(usize, f64)>> = vec![vec![]; lin.keys.len()];
    for (g, list) in lin.per_rack.iter().enumerate() {
        for (i, d) in list {
            by_line[*i].push((g, *d));
        }
    }
    // Per (limit, element): the line (healthy or under a failure) with the least margin left.
    let mut least: BTreeMap<(LimitKind, String), usize> = BTreeMap::new();
    for (i, (_, kind, element)) in lin.keys.iter().enumerate() {
        let e = least.entry((*kind, element.clone())).or_insert(i);
        if predicted[i] < predicted[*e] {
            *e = i;
        }
    }
    let mut stranded = Vec::new();
    for ((kind, element), i) in &least {
        let capacity = matches!(
            kind,
            LimitKind::GridFeedCapacity
                | LimitKind::TransformerRating
                | LimitKind::UpsRating
                | LimitKind::BreakerContinuous
                | LimitKind::CrahCapacity
                | LimitKind::CduCapacity
                | LimitKind::PlantCapacity
                | LimitKind::HeatRejection
        );
        let Some(row) = base.lines.get(&(*kind, element.clone())) else { continue };
        let served: Vec<(usize, f64)> =
            by_line[*i].iter().copied().filter(|(g, _)| slots[*g].served.contains(element)).collect();
        let blockers: Vec<&Crossing> = served.iter().filter_map(|(g, _)| binding[*g].as_ref()).collect();
        if !capacity || blockers.is_empty() || blockers.iter().any(|b| &b.element == element) {
            continue;
        }
        let left = predicted[*i];
        let fastest = served.iter().map(|(_, d)| *d).fold(0.0f64, f64::min);
        if left <= 0.0 || fastest >= 0.0 {
            continue;
        }
        let mut names: Vec<String> = blockers
            .iter()
            .map(|b| {
                let mut s = format!("{}'s {}", b.element, b.limit);
                if let Some(c) = &b.contingency {
                    s += &format!(" (when {c} fails)");
                }
                s
            })
            .collect();
        names.sort_by(|a, b| natural_cmp(a, b));
        names.dedup();
        let blocker = if names.len() > 2 {
            format!("{} and {} more", names[..2].join(", "), names.len() - 2)
        } else {
            names.join(" and ")
        };
        stranded.push(Stranded {
            element: element.clone(),
            limit: *kind,
            stranded: left,
            unit: row.unit.to_string(),
            stranded_kw: left / -fastest * rack_kw,
            share_pct: left / row.limit_value * 100.0,
            blocker,
        });
    }
    stranded.sort_by(|a, b| b.stranded_kw.total_cmp(&a.stranded_kw).then(natural_cmp(&a.element, &b.element)));
    // Per kind, in IT kW (amperes at 13.8 kV and at 415 V do not add up): what is stranded,
    // against what those elements could carry at their full rating.
    let mut by_kind: BTreeMap<LimitKind, KindTotal> = BTreeMap::new();
    for s in &stranded {
        let t = by_kind.entry(s.limit).or_insert(KindTotal {
            limit: s.limit,
            elements: 0,
            stranded_kw: 0.0,
            capacity_kw: 0.0,
            share_pct: 0.0,
        });
        t.elements += 1;
        t.stranded_kw += s.stranded_kw;
        t.capacity_kw += s.stranded_kw / s.share_pct.max(1e-9) * 100.0;
    }
    let stranded_by_kind =
        by_kind.into_values().map(|t| KindTotal { share_pct: t.stranded_kw / t.capacity_kw * 100.0, ..t }).collect();

    // The binding limit: the crossing that stops the most places (first in place order on a tie).
    let mut tally: Vec<(usize, &Crossing)> = Vec::new();
    for b in binding.iter().flatten() {
        match tally.iter_mut().find(|(_, c)| c.element == b.element && c.limit == b.limit) {
            Some(t) => t.0 += 1,
            None => tally.push((1, b)),
        }
    }
    let first = tally.iter().max_by(|a, b| a.0.cmp(&b.0).then(std::cmp::Ordering::Greater)).map(|(_, c)| (*c).clone());

    let racks: u32 = counts.iter().sum();
    let places = slots
        .iter()
        .zip(&counts)
        .zip(new_racks)
        .zip(binding)
        .map(|(((slot, &c), new_racks), binding)| PlaceResult {
            place: slot.place.clone(),
            template: slot.template.id.clone(),
            racks: c,
            new_racks,
            binding,
        })
        .collect();
    Ok(CapacityReport {
        schema: "dctwin.capacity.v1",
        site: site.name.clone(),
        model: options.model.clone(),
        rack_kw,
        power_cap: options.power_cap,
        n_1: options.n_1,
        racks,
        it_kw: f64::from(racks) * rack_kw,
        unbounded,
        places,
        excluded,
        binding: first,
        next_limits,
        stranded,
        stranded_by_kind,
        unsafe_today,
        probes: probes.into_inner(),
    })
}

impl CapacityReport {
    /// The racks the answer adds, as site elements for `site` (the site the search ran on):
    /// what placing them in one edit adds.
    pub fn racks_to_place(&self, site: &SiteFile) -> Result<Vec<RackSpec>, String> {
        let mut out = Vec::new();
        for p in self.places.iter().filter(|p| p.racks > 0) {
            let template = site
                .racks
                .iter()
                .find(|r| r.id == p.template)
                .ok_or_else(|| format!("rack {} is no longer in the site: search again", p.template))?;
            for (id, position_m) in &p.new_racks {
                if site.element(id).is_some() {
                    return Err(format!("{id} is already in the site: search again"));
                }
                out.push(new_rack(template, &self.model, id.clone(), *position_m, self.power_cap.unwrap_or(1.0)));
            }
        }
        Ok(out)
    }

    /// JSON, pretty.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a capacity report serializes") + "\n"
    }

    /// The answer, where the racks go, what binds, the next limits and what is stranded.
    pub fn to_markdown(&self) -> String {
        use std::fmt::Write as _;
        let mut o = String::new();
        let _ = writeln!(
            o,
            "# Capacity: {} + {} ({} kW){}\n",
            self.site,
            self.model,
            self.rack_kw,
            if self.n_1 { ", every single failure as safe as today" } else { "" }
        );
        if self.unbounded {
            let _ = writeln!(o, "**{} racks and nothing binds**: the search stops there.\n", self.racks);
        } else {
            let _ = writeln!(o, "**{} more racks fit** ({:.0} kW of IT load).\n", self.racks, self.it_kw);
        }
        if let Some(b) = &self.binding {
            let _ = writeln!(o, "Binds first: {}.\n", b.describe());
        }
        if !self.unsafe_today.is_empty() {
            let _ = writeln!(
                o,
                "Not N-1 safe today (these single failures already lose IT load; new racks in their places may share that fate, no more): {}\n",
                self.unsafe_today.join(", ")
            );
        }
        let (taking, full): (Vec<&PlaceResult>, Vec<&PlaceResult>) = self.places.iter().partition(|p| p.racks > 0);
        if !taking.is_empty() {
            let _ = writeln!(o, "| place | copies | racks | new racks | one more crosses |\n|---|---|---|---|---|");
        }
        for p in taking {
            let ids: Vec<&str> = p.new_racks.iter().map(|(id, _)| id.as_str()).collect();
            let shown = if ids.len() > 6 {
                format!("{} … {}", ids[..3].join(", "), ids[ids.len() - 1])
            } else {
                ids.join(", ")
            };
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} |",
                p.place.label(),
                p.template,
                p.racks,
                shown,
                p.binding.as_ref().map_or("—".to_string(), Crossing::describe)
            );
        }
        if !full.is_empty() {
            // The places that take none, by the limit one rack more crosses there (with a
            // failure or without), with the first place's crossing as the example.
            let mut why: Vec<(String, usize, String)> = Vec::new();
            for p in &full {
                let (key, example) =
                    p.binding.as_ref().map_or(("nothing (unbounded)".to_string(), String::new()), |b| {
                        let key = if b.contingency.is_some() {
                            format!("{} after a failure", b.limit)
                        } else {
                            b.limit.clone()
                        };
                        let mut example = b.element.clone();
                        if let Some(c) = &b.contingency {
                            example += &format!(" when {c} fails");
                        }
                        (key, example)
                    });
                match why.iter_mut().find(|w| w.0 == key) {
                    Some(w) => w.1 += 1,
                    None => why.push((key, 1, example)),
                }
            }
            let list: Vec<String> = why.iter().map(|(b, k, e)| format!("{b} in {k} (e.g. {e})")).collect();
            let _ = writeln!(
                o,
                "\n{} {} none: one rack more crosses {}.",
                full.len(),
                if full.len() == 1 { "place takes" } else { "places take" },
                list.join("; ")
            );
        }
        for e in &self.excluded {
            let _ = writeln!(o, "\nNot a place for {}: {} ({})", self.model, e.place.label(), e.reason);
        }
        if !self.next_limits.is_empty() {
            let _ = writeln!(
                o,
                "\nNext limits at the plan (healthy site):\n\n| element | limit | value | limit value | margin | racks left |\n|---|---|---|---|---|---|"
            );
            for l in &self.next_limits {
                let _ = writeln!(
                    o,
                    "| {} | {} | {:.1} {} | {:.1} {} | {:.1} % | {:.1} |",
                    l.row.element,
                    l.row.limit.label(),
                    l.row.value,
                    l.row.unit,
                    l.row.limit_value,
                    l.row.unit,
                    l.row.margin_pct,
                    l.racks_left
                );
            }
        }
        if !self.stranded.is_empty() {
            let _ = writeln!(o, "\nStranded capacity (installed, unusable because something else binds first):\n");
            for s in self.stranded.iter().take(12) {
                let _ = writeln!(
                    o,
                    "- {}: {:.1} {} stranded ({:.0} % of its {}; {:.0} kW of IT) by {}",
                    s.element,
                    s.stranded,
                    s.unit,
                    s.share_pct,
                    s.limit.label().to_lowercase(),
                    s.stranded_kw,
                    s.blocker
                );
            }
            if self.stranded.len() > 12 {
                let _ = writeln!(o, "- … and {} more (in the JSON report)", self.stranded.len() - 12);
            }
            for t in &self.stranded_by_kind {
                let _ = writeln!(
                    o,
                    "- Site, {}: {:.0} kW of IT stranded in {} elements ({:.0} % of what they could carry)",
                    t.limit.label().to_lowercase(),
                    t.stranded_kw,
                    t.elements,
                    t.share_pct
                );
            }
        }
        o
    }
}

/// The most bars a capacity chart shows.
const CHART_BARS: usize = 40;

impl CapacityReport {
    /// The report's charts (`--plot`): racks per place (most first) with what one rack more
    /// crosses there, and the stranded capacity per element in kW of IT with its blocker (when
    /// any is stranded). At most 40 bars each.
    pub fn charts(&self) -> Vec<BarChart> {
        let mut places: Vec<&PlaceResult> = self.places.iter().collect();
        // Stable: places with as many racks keep the report's order.
        places.sort_by_key(|p| std::cmp::Reverse(p.racks));
        let shown = places.len().min(CHART_BARS);
        let places = BarChart {
            stem: "capacity-places".into(),
            title: format!(
                "{} more {} racks: per place{}",
                self.racks,
                self.model,
                if shown < places.len() { format!(" ({shown} of {})", places.len()) } else { String::new() }
            ),
            x_desc: "racks that fit".into(),
            bars: places
                .iter()
                .take(shown)
                .map(|p| Bar {
                    label: p.place.label(),
                    value: f64::from(p.racks),
                    note: p.binding.as_ref().map_or("nothing binds".to_string(), |b| {
                        let mut s = format!("+1: {} {}", b.element, b.limit);
                        if let Some(c) = &b.contingency {
                            s += &format!(" when {c} fails");
                        }
                        s
                    }),
                    tone: Tone::Plain,
                })
                .collect(),
            reference: None,
        };
        let shown = self.stranded.len().min(CHART_BARS);
        let stranded = BarChart {
            stem: "capacity-stranded".into(),
            title: format!(
                "Stranded capacity{}",
                if shown < self.stranded.len() {
                    format!(" ({shown} of {} elements)", self.stranded.len())
                } else {
                    String::new()
                }
            ),
            x_desc: format!("kW of IT ({} racks) it could still carry", self.model),
            bars: self
                .stranded
                .iter()
                .take(shown)
                .map(|s| Bar {
                    label: format!("{}: {}", s.element, s.limit.label()),
                    value: s.stranded_kw.max(0.0),
                    note: format!("{:.0} {} ({:.0} %) by {}", s.stranded, s.unit, s.share_pct, s.blocker),
                    tone: Tone::Stranded,
                })
                .collect(),
            reference: None,
        };
        vec![places, stranded]
    }
}
