//! What equipment costs and how long it takes to get: per catalog model an installed capex
//! range, a lead-time range and the weeks to install it, each with its source and date; per site
//! the quotes a team actually received and the value of a month of idle IT. `dctwin expand`
//! ranks expansion options by them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Cost and schedule of one unit of a catalog model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Economics {
    /// Installed capital cost of one unit, US$: (low, mid, high).
    pub capex_usd: (f64, f64, f64),
    /// Weeks from order to delivery: (low, high).
    pub lead_time_weeks: (f64, f64),
    /// Weeks from delivery to energised (installation, connection, commissioning).
    pub install_weeks: f64,
    /// Where the figures come from (a citation; "estimate" says so).
    pub source: String,
    /// When the figures were current ("2025", "2026-10").
    pub as_of: String,
}

/// Weeks per month (52.18 / 12): months are what planners count schedules in.
pub const WEEKS_PER_MONTH: f64 = 365.25 / 7.0 / 12.0;

impl Economics {
    /// Weeks from order to energised: (low, high) lead time plus installation.
    pub fn weeks_to_energise(&self) -> (f64, f64) {
        (self.lead_time_weeks.0 + self.install_weeks, self.lead_time_weeks.1 + self.install_weeks)
    }

    /// What is wrong with the figures, as `(field, message)`.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let (lo, mid, hi) = self.capex_usd;
        let finite = |v: f64| v.is_finite() && v >= 0.0;
        if ![lo, mid, hi].into_iter().all(|v| finite(v) && v <= MAX_CAPEX_USD) {
            out.push(("capex_usd", format!("capex must be between 0 and {MAX_CAPEX_USD:e} US$ per unit")));
        } else if !(lo <= mid && mid <= hi) {
            out.push((
                "capex_usd",
                format!("capex must be (low, mid, high) with low ≤ mid ≤ high (got ({lo}, {mid}, {hi}))"),
            ));
        }
        let (a, b) = self.lead_time_weeks;
        if !(finite(a) && finite(b) && a <= b && b <= MAX_WEEKS) {
            out.push((
                "lead_time_weeks",
                format!("lead time must be (low, high) weeks with 0 ≤ low ≤ high ≤ {MAX_WEEKS} (got ({a}, {b}))"),
            ));
        }
        if !(finite(self.install_weeks) && self.install_weeks <= MAX_WEEKS) {
            out.push(("install_weeks", format!("install_weeks must be between 0 and {MAX_WEEKS} weeks")));
        }
        if self.source.trim().is_empty() {
            out.push(("source", "give the source of the figures (a citation, a quote, or \"estimate\")".into()));
        }
        if self.as_of.trim().is_empty() {
            out.push(("as_of", "give the date the figures were current (\"2025\", \"2026-10\")".into()));
        }
        out
    }
}

/// Most one unit may cost, US$ (ten billion: a typo, not a price; sums of a few stay finite).
pub const MAX_CAPEX_USD: f64 = 1e10;

/// Longest lead time or installation accepted, weeks (ten years: a typo, not a schedule).
pub const MAX_WEEKS: f64 = 520.0;

/// Value of a month of idle IT, US$ per MW of IT: 72 GPUs × $2–4 per GPU-hour × 730 h ≈
/// $105–210 k per GB200 NVL72 rack-month at ~132 kW, i.e. $0.8–1.6 M per MW-month (derived in
/// the reference notes, §5, from market rental prices); the middle.
pub const IDLE_IT_USD_PER_MW_MONTH: f64 = 1.2e6;

/// Months over which an option's value is weighed (the net value of an option is what its
/// megawatts earn from energising to this horizon, less its capex).
pub const HORIZON_MONTHS: f64 = 36.0;

/// A site's own economics: what its team was quoted and what idle IT costs it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteEconomics {
    /// Value of a month of idle IT, US$ per MW (default [`IDLE_IT_USD_PER_MW_MONTH`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_it_usd_per_mw_month: Option<f64>,
    /// Months an option's value is weighed over (default [`HORIZON_MONTHS`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub horizon_months: Option<f64>,
    /// Quotes received, by catalog model: they replace the catalog's figures for that model.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub quotes: BTreeMap<String, Economics>,
}

impl SiteEconomics {
    /// The value of a month of idle IT, US$ per MW.
    pub fn idle_it_usd_per_mw_month(&self) -> f64 {
        self.idle_it_usd_per_mw_month.unwrap_or(IDLE_IT_USD_PER_MW_MONTH)
    }

    /// The horizon, months.
    pub fn horizon_months(&self) -> f64 {
        self.horizon_months.unwrap_or(HORIZON_MONTHS)
    }

    /// What is wrong, as `(path under economics, message)`; `known_model` says whether the
    /// catalog has a model of that name.
    pub fn problems(&self, known_model: impl Fn(&str) -> bool) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if let Some(v) = self.idle_it_usd_per_mw_month
            && !(v.is_finite() && (0.0..=1e9).contains(&v))
        {
            out.push((
                "economics.idle_it_usd_per_mw_month".into(),
                "idle_it_usd_per_mw_month must be between 0 and 1e9 US$ per MW-month".into(),
            ));
        }
        if let Some(v) = self.horizon_months
            && !(v.is_finite() && (1.0..=240.0).contains(&v))
        {
            out.push(("economics.horizon_months".into(), "horizon_months must be between 1 and 240 months".into()));
        }
        for (model, e) in &self.quotes {
            if !known_model(model) {
                out.push((
                    format!("economics.quotes{{{model}}}"),
                    format!("quote for \"{model}\": the catalog has no such model"),
                ));
            }
            for (field, msg) in e.problems() {
                out.push((format!("economics.quotes{{{model}}}.{field}"), format!("quote for \"{model}\": {msg}")));
            }
        }
        out
    }
}
