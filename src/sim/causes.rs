//! Alerts grouped by cause: when an element fails or overloads, what follows downstream (racks
//! on one cord, inlets over their limit, a CDU's warm liquid) is listed under it. No Bevy.
//!
//! An alert's cause is found above its element (feeds, upstream equipment, the zone and CDU a
//! rack is cooled by, the CRAHs of a zone, the loop of a unit: every connection the site file
//! links, and a zone's CRAHs): the farthest element out of service, else (for a symptom: a
//! voltage, a lost cord, an inlet, a battery) the nearest element past a loading or capacity
//! limit of its own, else the element itself. An element's own loading is its own cause unless
//! something above it failed.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::limits::{Alert, Quantity, Severity};
use crate::site::SiteFile;
use crate::site::save::natural_cmp;

/// One cause and what follows from it.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertGroup {
    /// The element at the root: failed (out of service) or with alerts of its own.
    pub cause: String,
    /// The cause is out of service (taken out or failed).
    pub out_of_service: bool,
    /// The cause's own alerts.
    pub own: Vec<Alert>,
    /// Alerts of elements below it, most severe first.
    pub consequences: Vec<Alert>,
}

impl AlertGroup {
    /// The worst severity of its alerts.
    pub fn severity(&self) -> Severity {
        self.own.iter().chain(&self.consequences).map(|a| a.severity).max().unwrap_or(Severity::Warning)
    }

    /// The consequences counted per quantity, most first: `[(quantity, elements)]`.
    pub fn counts(&self) -> Vec<(Quantity, usize)> {
        let mut by: BTreeMap<Quantity, BTreeSet<&str>> = BTreeMap::new();
        for a in &self.consequences {
            by.entry(a.quantity).or_default().insert(a.element.as_str());
        }
        let mut out: Vec<(Quantity, usize)> = by.into_iter().map(|(q, e)| (q, e.len())).collect();
        out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        out
    }

    /// "UPS-B: out of service — 40 × redundancy, 2 × voltage".
    pub fn summary(&self) -> String {
        let what = if self.out_of_service {
            "out of service".to_string()
        } else {
            self.own
                .iter()
                .map(|a| a.quantity.label())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>()
                .join(", ")
        };
        let counts: Vec<String> = self.counts().into_iter().map(|(q, n)| format!("{n} × {}", q.label())).collect();
        if counts.is_empty() {
            format!("{}: {what}", self.cause)
        } else {
            format!("{}: {what} — {}", self.cause, counts.join(", "))
        }
    }
}

/// What follows from a failure or an overload elsewhere (a cord lost, a voltage sagging, an
/// inlet warming, a battery draining), as against an element's own loading or capacity, which
/// its own load causes. No wildcard: a new quantity must say which it is.
pub fn is_symptom(q: Quantity) -> bool {
    use Quantity::*;
    match q {
        Voltage | RackPower | Redundancy | InletTemperature | FacilityWater | CoolingPower | LiquidSupply
        | CondenserTemperature | Boiling | OverTemperature | BatteryRuntime | BatteryEmpty => true,
        BreakerCurrent | CableCurrent | TransformerLoading | UpsLoading | GridImport | Convergence
        | VoltageCollapse | CoolingCapacity | CoolingRating | Airflow | SolverFailure | GeneratorLoading
        | GeneratorLoadStep | GeneratorFuel => false,
    }
}

/// Groups `alerts` by cause on `site`; groups with the worst severity and the most
/// consequences first.
pub fn group_by_cause(alerts: &[Alert], site: &SiteFile) -> Vec<AlertGroup> {
    CauseGraph::new(site).group(alerts)
}

/// What is above each element of a site and what is out of service: built once per site (the
/// app keeps it while the site does not change), asked for every list of alerts.
#[derive(Debug, Clone, Default)]
pub struct CauseGraph {
    parents: HashMap<String, Vec<String>>,
    out_of_service: BTreeSet<String>,
}

impl CauseGraph {
    /// Every connection `site` links, a zone's CRAHs, and the elements out of service.
    pub fn new(site: &SiteFile) -> CauseGraph {
        let mut g = CauseGraph::default();
        for (_, e) in site.elements() {
            g.parents
                .entry(e.id().to_string())
                .or_default()
                .extend(e.links().into_iter().map(|(_, id)| id.to_string()));
            if !e.in_service() {
                g.out_of_service.insert(e.id().to_string());
            }
        }
        for c in &site.crahs {
            g.parents.entry(c.zone.clone()).or_default().push(c.id.clone());
        }
        g
    }

    /// [`group_by_cause`] on this graph.
    pub fn group(&self, alerts: &[Alert]) -> Vec<AlertGroup> {
        let parents = |id: &str| self.parents.get(id).into_iter().flatten().map(String::as_str);
        let out_of_service = |id: &str| self.out_of_service.contains(id);
        // Elements past a limit of their own (loading, capacity): causes of what follows below them.
        let alerted: BTreeSet<&str> =
            alerts.iter().filter(|a| !is_symptom(a.quantity)).map(|a| a.element.as_str()).collect();
        // Above `id`: the farthest element out of service (a failure is the cause of what follows
        // from it, however far down) when it is the only one that far up, else the nearest with an
        // alert of its own (six CRAHs out in one zone: the zone's alert gathers its racks' inlets),
        // else `id` itself.
        let cause_of = |id: &str, symptom: bool| -> String {
            let mut seen: BTreeSet<&str> = BTreeSet::from([id]);
            let mut frontier: Vec<&str> = parents(id).collect();
            let (mut failed, mut alarmed): (Vec<&str>, Option<&str>) = (vec![], None);
            while !frontier.is_empty() {
                let mut next = Vec::new();
                let mut failed_here = Vec::new();
                frontier.sort_by(|a, b| natural_cmp(a, b));
                for p in frontier {
                    if !seen.insert(p) {
                        continue;
                    }
                    if out_of_service(p) {
                        failed_here.push(p);
                    } else if alarmed.is_none() && alerted.contains(p) {
                        alarmed = Some(p);
                    }
                    next.extend(parents(p));
                }
                if !failed_here.is_empty() {
                    failed = failed_here;
                }
                frontier = next;
            }
            // A symptom of an element past a limit of its own belongs to that element; a loading
            // is its own cause unless something above it failed.
            let alarmed = if alerted.contains(id) || !symptom { None } else { alarmed };
            match (failed.as_slice(), alarmed) {
                ([one], _) => one.to_string(),
                (_, Some(a)) => a.to_string(),
                ([first, ..], None) if symptom => first.to_string(),
                _ => id.to_string(),
            }
        };
        let mut groups: BTreeMap<String, AlertGroup> = BTreeMap::new();
        let mut cause_cache: HashMap<(String, bool), String> = HashMap::new();
        for a in alerts {
            let symptom = is_symptom(a.quantity);
            let cause = cause_cache
                .entry((a.element.clone(), symptom))
                .or_insert_with(|| cause_of(&a.element, symptom))
                .clone();
            let g = groups.entry(cause.clone()).or_insert_with(|| AlertGroup {
                out_of_service: out_of_service(&cause),
                cause: cause.clone(),
                own: vec![],
                consequences: vec![],
            });
            if a.element == cause {
                g.own.push(a.clone());
            } else {
                g.consequences.push(a.clone());
            }
        }
        let mut out: Vec<AlertGroup> = groups.into_values().collect();
        for g in &mut out {
            g.consequences
                .sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| natural_cmp(&a.element, &b.element)));
        }
        out.sort_by(|a, b| {
            b.severity()
                .cmp(&a.severity())
                .then(b.consequences.len().cmp(&a.consequences.len()))
                .then_with(|| natural_cmp(&a.cause, &b.cause))
        });
        out
    }
}
