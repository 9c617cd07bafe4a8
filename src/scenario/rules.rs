//! The utility's rules on how fast a large load may change, as data: presets in
//! `assets/grid_rules.ron` (every number with its source document) or a file of the same form,
//! checked against a run's grid-import series.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::site::problem::Problems;

/// One rule on a power series.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, schemars::JsonSchema)]
pub enum Rule {
    /// The largest minus the smallest power in any rolling window stays within the limit.
    PeakToPeak {
        /// Window, s.
        window_s: f64,
        /// Limit, MW.
        limit_mw: f64,
    },
    /// The change over any rolling window, as an average ramp, stays within the limit.
    AverageRamp {
        /// Window, s.
        window_s: f64,
        /// Limit, MW per minute.
        limit_mw_per_min: f64,
    },
    /// Voltage ride-through (ERCOT NOGRR 282): after a sag inside the envelope the load must be
    /// back to `share` of what it drew before within `recovery_s` of the voltage's return.
    RideThrough {
        /// Time allowed to recover, s.
        recovery_s: f64,
        /// Share of the pre-disturbance load to recover to.
        share: f64,
        /// `(voltage at least, pu; for at most, s)`: a sag whose retained voltage is at least
        /// the first and lasts at most the second (for some row) must be ridden through.
        envelope: Vec<(f64, f64)>,
    },
}

/// A voltage sag at a grid feed, as the ride-through rule sees it.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Disturbance {
    /// The feed.
    pub feed: String,
    /// Start, s.
    pub start_s: f64,
    /// End (the voltage back), s.
    pub end_s: f64,
    /// Voltage during it, pu.
    pub retained_pu: f64,
}

impl Disturbance {
    /// True when `envelope` requires the load to ride it through.
    fn required(&self, envelope: &[(f64, f64)]) -> bool {
        envelope.iter().any(|&(v, s)| self.retained_pu >= v && self.end_s - self.start_s <= s + 1e-9)
    }
}

/// A utility's set of rules.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleSet {
    /// What it is.
    pub name: String,
    /// Where its numbers come from.
    pub source: String,
    /// Its rules.
    pub rules: Vec<Rule>,
}

/// The shipped presets, by name.
pub fn presets() -> BTreeMap<String, RuleSet> {
    crate::site::load::parse_ron(include_str!("../../assets/grid_rules.ron"), "assets/grid_rules.ron")
        .expect("the shipped grid rules parse")
}

/// A preset by name, or a rule file; refused with the names there are.
pub fn load(name_or_file: &str) -> Result<RuleSet, String> {
    let presets = presets();
    if let Some(set) = presets.get(name_or_file) {
        return Ok(set.clone());
    }
    let path = std::path::Path::new(name_or_file);
    if !path.exists() {
        let names: Vec<&str> = presets.keys().map(String::as_str).collect();
        return Err(format!("--grid-rules {name_or_file}: no such preset ({}) and no such file", names.join(", ")));
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {name_or_file}: {e}"))?;
    let set: RuleSet = crate::site::load::parse_ron(&text, name_or_file).map_err(|p: Problems| p.to_string())?;
    for r in &set.rules {
        let (w, l) = match r {
            Rule::PeakToPeak { window_s, limit_mw } => (*window_s, *limit_mw),
            Rule::AverageRamp { window_s, limit_mw_per_min } => (*window_s, *limit_mw_per_min),
            Rule::RideThrough { recovery_s, share, envelope } => {
                if !(share.is_finite() && (0.0..=1.0).contains(share)) {
                    return Err(format!("{name_or_file}: RideThrough share must be between 0 and 1 (got {share})"));
                }
                if let Some((v, d)) =
                    envelope.iter().find(|(v, d)| !(v.is_finite() && *v >= 0.0 && d.is_finite() && *d > 0.0))
                {
                    return Err(format!(
                        "{name_or_file}: a RideThrough envelope row needs a voltage of at least 0 pu and a duration above 0 s (got ({v}, {d}))"
                    ));
                }
                (*recovery_s, 0.0)
            }
        };
        if !(w.is_finite() && w > 0.0 && l.is_finite() && l >= 0.0) {
            return Err(format!(
                "{name_or_file}: a rule needs a window above 0 s and a limit of at least 0 (got {w} s, {l})"
            ));
        }
    }
    Ok(set)
}

/// How a series did against one rule.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct RuleResult {
    /// The rule, in words.
    pub rule: String,
    /// Its limit (MW, or MW/min for a ramp).
    pub limit: f64,
    /// The worst value over the run, same unit.
    pub worst: f64,
    /// End of the window where it was worst, s.
    pub at_s: f64,
    /// Limit minus worst.
    pub margin: f64,
    /// Within the limit.
    pub pass: bool,
    /// What the numbers mean when there was nothing to judge (a ride-through rule in a run
    /// without a sag inside its envelope).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Rule {
    /// The rule, in words ("peak-to-peak ≤ 10 MW in any 5 s").
    pub fn describe(&self) -> String {
        match self {
            Rule::PeakToPeak { window_s, limit_mw } => format!("peak-to-peak ≤ {limit_mw} MW in any {window_s} s"),
            Rule::AverageRamp { window_s, limit_mw_per_min } => {
                format!("average ramp ≤ {limit_mw_per_min} MW/min over any {window_s} s")
            }
            Rule::RideThrough { recovery_s, share, .. } => format!(
                "ride-through: back to {:.0} % of the pre-disturbance load within {recovery_s} s of a sag (s)",
                share * 100.0
            ),
        }
    }

    /// Its window, s (the step must not be longer).
    pub fn window_s(&self) -> f64 {
        match *self {
            Rule::PeakToPeak { window_s, .. } | Rule::AverageRamp { window_s, .. } => window_s,
            Rule::RideThrough { recovery_s, .. } => recovery_s,
        }
    }

    /// Checks `mw`, sampled every `step_s` from `t0_s` (the sample `i` at `t0_s + i·step_s`, the
    /// end of the step it covers), with no voltage disturbance.
    pub fn check(&self, mw: &[f64], step_s: f64, t0_s: f64) -> Result<RuleResult, String> {
        self.check_with(mw, step_s, t0_s, &[])
    }

    /// [`Self::check`] with the run's voltage sags (the ride-through rule measures the
    /// recovery after each one its envelope covers). A window spans `round(window/step)`
    /// steps; it must be at least one.
    pub fn check_with(
        &self,
        mw: &[f64],
        step_s: f64,
        t0_s: f64,
        disturbances: &[Disturbance],
    ) -> Result<RuleResult, String> {
        if let Rule::RideThrough { recovery_s, share, envelope } = self {
            return Ok(self.ride_through(mw, step_s, t0_s, disturbances, *recovery_s, *share, envelope));
        }
        let (window_s, limit) = match *self {
            Rule::PeakToPeak { window_s, limit_mw } => (window_s, limit_mw),
            Rule::AverageRamp { window_s, limit_mw_per_min } => (window_s, limit_mw_per_min),
            Rule::RideThrough { .. } => unreachable!("handled above"),
        };
        let w = (window_s / step_s).round() as usize;
        if window_s < step_s * (1.0 - 1e-9) || w == 0 {
            return Err(format!("{}: the step ({step_s} s) is longer than the window", self.describe()));
        }
        let (worst, at) = match self {
            Rule::RideThrough { .. } => unreachable!("handled above"),
            Rule::PeakToPeak { .. } => worst_peak_to_peak(mw, w),
            Rule::AverageRamp { .. } => {
                let minutes = w as f64 * step_s / 60.0;
                let (change, at) = worst_change(mw, w);
                (change / minutes, at)
            }
        };
        Ok(RuleResult {
            rule: self.describe(),
            limit,
            worst,
            at_s: t0_s + at as f64 * step_s,
            margin: limit - worst,
            pass: worst <= limit,
            note: None,
        })
    }

    /// The longest recovery after a sag the envelope covers: from the voltage's return to the
    /// start of the first step whose import is back to `share` of the last step before the sag
    /// (the rest of the run if it never is). No such sag: nothing to recover, a pass.
    #[allow(clippy::too_many_arguments)]
    fn ride_through(
        &self,
        mw: &[f64],
        step_s: f64,
        t0_s: f64,
        disturbances: &[Disturbance],
        recovery_s: f64,
        share: f64,
        envelope: &[(f64, f64)],
    ) -> RuleResult {
        // Sample i covers the step starting at `t0_s + (i − 1)·step_s`.
        let start_of = |i: usize| t0_s + (i as f64 - 1.0) * step_s;
        let (mut worst, mut at, mut never) = (0.0f64, 0.0, false);
        let judged = disturbances.iter().filter(|d| d.required(envelope)).count();
        for d in disturbances.iter().filter(|d| d.required(envelope)) {
            let before = (0..mw.len()).rev().find(|&i| start_of(i) + step_s <= d.start_s + 1e-9);
            let Some(pre) = before.map(|i| mw[i]) else { continue };
            // The first step from the voltage's return (the player ends a sag on a step), and
            // the first from there with the load back; the recovery counts whole steps.
            let first = (0..mw.len()).find(|&i| start_of(i) >= d.end_s - 1e-9).unwrap_or(mw.len());
            let back = (first..mw.len()).find(|&i| mw[i] >= share * pre - 1e-12);
            // Not back by the end of the run: at least the rest of the run, and a failure.
            let took = (back.unwrap_or(mw.len()) - first) as f64 * step_s;
            never |= back.is_none();
            if took >= worst {
                (worst, at) = (took, d.end_s);
            }
        }
        RuleResult {
            rule: self.describe(),
            limit: recovery_s,
            worst,
            at_s: at,
            margin: recovery_s - worst,
            pass: !never && worst <= recovery_s + 1e-9,
            note: match (judged, disturbances.len()) {
                (0, 0) => Some("no voltage sag in the run: nothing to ride through".into()),
                (0, n) => Some(format!("{n} sag(s), none inside the envelope: not judged")),
                _ if never => Some("the load was not back by the end of the run".into()),
                _ => None,
            },
        }
    }
}

/// The largest `max − min` over windows of `w + 1` samples (`w` steps), and the index where
/// such a window ends; O(n) with monotonic queues.
pub fn worst_peak_to_peak(x: &[f64], w: usize) -> (f64, usize) {
    let (mut hi, mut lo): (VecDeque<usize>, VecDeque<usize>) = (VecDeque::new(), VecDeque::new());
    let (mut worst, mut at) = (0.0, 0);
    for (i, &v) in x.iter().enumerate() {
        while hi.back().is_some_and(|&j| x[j] <= v) {
            hi.pop_back();
        }
        hi.push_back(i);
        while lo.back().is_some_and(|&j| x[j] >= v) {
            lo.pop_back();
        }
        lo.push_back(i);
        let start = i.saturating_sub(w);
        while hi.front().is_some_and(|&j| j < start) {
            hi.pop_front();
        }
        while lo.front().is_some_and(|&j| j < start) {
            lo.pop_front();
        }
        let p2p = x[hi[0]] - x[lo[0]];
        if p2p > worst {
            (worst, at) = (p2p, i);
        }
    }
    (worst, at)
}

/// The largest `|x[i] − x[i − w]|` and its `i` (the change over `w` steps).
pub fn worst_change(x: &[f64], w: usize) -> (f64, usize) {
    let (mut worst, mut at) = (0.0, 0);
    for i in w..x.len() {
        let d = (x[i] - x[i - w]).abs();
        if d > worst {
            (worst, at) = (d, i);
        }
    }
    (worst, at)
}

/// What a facility battery did to a grid-import series.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct StorageOutcome {
    /// Its rating as given.
    pub storage: super::FacilityStorage,
    /// Energy lost to its round trips over the run, MWh.
    pub lost_mwh: f64,
    /// The same per day, MWh/day.
    pub lost_mwh_per_day: f64,
    /// Highest power it gave (positive) or took (negative), MW.
    pub peak_discharge_mw: f64,
    /// Highest power it took from the grid to charge, MW.
    pub peak_charge_mw: f64,
    /// Lowest and highest state of charge, %.
    pub soc_range_pct: (f64, f64),
}

/// The grid import the utility sees behind `storage` (the site's import `mw`, one sample per
/// `step_s`), and what the store did.
pub fn through_storage(mw: &[f64], storage: &super::FacilityStorage, step_s: f64) -> (Vec<f64>, StorageOutcome) {
    let mut s = super::storage::Smoother::new(storage.rating());
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    let (mut dis, mut ch) = (0.0f64, 0.0f64);
    let seen: Vec<f64> = mw
        .iter()
        .map(|&p| {
            let g = s.step(p * 1e6, step_s) / 1e6;
            dis = dis.max(p - g);
            ch = ch.max(g - p);
            let soc = if storage.energy_mwh > 0.0 { 100.0 * s.stored_j / (storage.energy_mwh * 3.6e9) } else { 0.0 };
            (lo, hi) = (lo.min(soc), hi.max(soc));
            g
        })
        .collect();
    let run_s = mw.len() as f64 * step_s;
    let lost_mwh = s.lost_j / 3.6e9;
    let outcome = StorageOutcome {
        storage: *storage,
        lost_mwh,
        lost_mwh_per_day: if run_s > 0.0 { lost_mwh * 86_400.0 / run_s } else { 0.0 },
        peak_discharge_mw: dis,
        peak_charge_mw: ch,
        soc_range_pct: if lo.is_finite() { (lo, hi) } else { (0.0, 0.0) },
    };
    (seen, outcome)
}

/// True when every rule of `rules` passes on `mw`.
pub fn all_pass(rules: &RuleSet, mw: &[f64], step_s: f64) -> bool {
    rules.rules.iter().all(|r| r.check(mw, step_s, step_s).is_ok_and(|x| x.pass))
}

/// The smallest facility battery that makes `mw` pass `rules`: the least power (bisection, with
/// ample energy), then the least energy at that power (bisection). `None` when even a battery
/// as strong as the whole swing, with ample energy, does not (the moving average itself breaks
/// a rule: a longer `smoothing_s` is needed). `template` gives the efficiency and smoothing.
pub fn size_storage(
    rules: &RuleSet,
    mw: &[f64],
    step_s: f64,
    template: super::FacilityStorage,
) -> Option<super::FacilityStorage> {
    let passes = |power_mw: f64, energy_mwh: f64| {
        let fs = super::FacilityStorage { power_mw, energy_mwh, ..template };
        all_pass(rules, &through_storage(mw, &fs, step_s).0, step_s)
    };
    if all_pass(rules, mw, step_s) {
        return Some(super::FacilityStorage { power_mw: 0.0, energy_mwh: 0.0, ..template });
    }
    let swing = mw.iter().cloned().fold(f64::NEG_INFINITY, f64::max) - mw.iter().cloned().fold(f64::INFINITY, f64::min);
    let run_h = mw.len() as f64 * step_s / 3600.0;
    // Ample energy: the whole swing for the whole run.
    let ample = |p: f64| p * run_h.max(1.0);
    let mut p_hi = swing.max(1e-3);
    if !passes(p_hi, ample(p_hi)) {
        return None;
    }
    let mut p_lo = 0.0;
    while p_hi - p_lo > 1e-4 * p_hi {
        let mid = 0.5 * (p_lo + p_hi);
        if passes(mid, ample(mid)) { p_hi = mid } else { p_lo = mid }
    }
    let mut e_hi = ample(p_hi);
    let mut e_lo = 0.0;
    while e_hi - e_lo > 1e-4 * e_hi {
        let mid = 0.5 * (e_lo + e_hi);
        if passes(p_hi, mid) { e_hi = mid } else { e_lo = mid }
    }
    Some(super::FacilityStorage { power_mw: p_hi, energy_mwh: e_hi, ..template })
}
