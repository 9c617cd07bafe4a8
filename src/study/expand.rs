//! `dctwin expand`: which fix unlocks the most megawatts per dollar and per month.
//!
//! The capacity search ([`super::capacity`]) says how many racks of a model fit and what binds
//! first. Each expansion option is a change set aimed at a binding limit: upsize the element
//! (the next larger catalog model of the same kind and voltages), add a unit beside it (a CRAH
//! in the zone, a chiller or tower on the loop), add a new row (a copy of the place's busways
//! and CDU, under a source with room when the binding element is upstream, with its first rack),
//! raise a water loop's setpoint within its class, or cap the new racks' power (no capex). The
//! capacity search runs on the site with each option applied; the options that unlock racks and
//! leave a new binding limit are combined with a fix for that one (the second limit follows the
//! first). Each is priced from the site's quotes, else the catalog's economics: capex (low, mid,
//! high), and the date it is energised, the longest lead time plus installation of its parts.
//! Options are ranked by MW of IT unlocked per US$ M and per month, and valued over a horizon
//! at the idle-IT figure.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use rayon::prelude::*;
use serde::Serialize;

use super::capacity::{CapacityOptions, CapacityReport, Crossing, capacity};
use crate::catalog::Catalog;
use crate::catalog::economics::{Economics, SiteEconomics, WEEKS_PER_MONTH};
use crate::kinds::EquipmentKind;
use crate::site::save::natural_cmp;
use crate::site::{SiteElement, SiteFile};

/// Schema identifier of the expand report.
pub const EXPAND_SCHEMA: &str = "dctwin.expand.v1";

/// The power cap offered as an option (a common accelerator power limit: capacity with no capex).
pub const POWER_CAP: f64 = 0.8;

/// How far a setpoint option raises a water loop's supply, K (never past its class).
pub const SETPOINT_RAISE_K: f64 = 2.0;

/// Options combined with a fix for the limit they leave binding.
const COMBINED: usize = 2;

/// Most changes an option combines (each a fix for what the ones before leave binding).
const COMBINED_DEPTH: usize = 6;

/// Next limits (after the binding one) that get fixes of their own.
const NEXT_LIMITS: usize = 3;

/// What to search.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExpandOptions {
    /// Catalog rack model to add.
    pub model: String,
    /// IT load to reach, MW (options that reach it are marked).
    pub target_mw: Option<f64>,
    /// Every single failure must stay as safe as it is today.
    pub n_1: bool,
}

/// One change of an option.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Change {
    /// Replace an element's model with a larger one (its rating overrides dropped).
    Upsize {
        /// Element.
        element: String,
        /// Its kind.
        kind: EquipmentKind,
        /// Model now.
        from: String,
        /// Model after.
        to: String,
    },
    /// Add an element: a copy of `like` with model `model`. A rack added so is the first
    /// position of a new row: out of service, it marks where the row's racks go.
    Add {
        /// New element's id.
        element: String,
        /// Its kind.
        kind: EquipmentKind,
        /// Its model.
        model: String,
        /// The element it copies (connections, position nearby).
        like: String,
        /// Its connections, when they differ from `like`'s.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        links: Vec<(String, String)>,
    },
    /// Raise a water loop's supply setpoint.
    Setpoint {
        /// Loop.
        water_loop: String,
        /// Setpoint now, °C.
        from_c: f64,
        /// Setpoint after, °C.
        to_c: f64,
    },
    /// Run the new racks capped at a share of their design power.
    PowerCap {
        /// Share of design power.
        share: f64,
    },
}

impl Change {
    /// For people: "upsize T-A1 to xfmr-3000kva-13.8kv-415v".
    pub fn describe(&self) -> String {
        match self {
            Change::Upsize { element, to, .. } => format!("upsize {element} to {to}"),
            Change::Add { element, kind: EquipmentKind::Rack, .. } => format!("new row from {element}"),
            Change::Add { element, model, like, links, .. } => {
                let from: Vec<String> = links.iter().map(|(field, to)| format!("{field} {to}")).collect();
                let from = if from.is_empty() { String::new() } else { format!(", {}", from.join(", ")) };
                format!("add {element} ({model}, like {like}{from})")
            }
            Change::Setpoint { water_loop, from_c, to_c } => {
                format!("raise {water_loop} supply setpoint {from_c:.1} → {to_c:.1} °C")
            }
            Change::PowerCap { share } => format!("cap the new racks at {:.0} % of design power", share * 100.0),
        }
    }

    /// The catalog model bought, with its kind (none for a setting).
    fn bought(&self) -> Option<(EquipmentKind, &str)> {
        match self {
            Change::Upsize { kind, to, .. } => Some((*kind, to)),
            Change::Add { kind, model, .. } if *kind != EquipmentKind::Rack => Some((*kind, model)),
            _ => None,
        }
    }
}

/// What a bought part costs and when it arrives.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Priced {
    /// Catalog model.
    pub model: String,
    /// Its figures.
    pub economics: Economics,
    /// A quote from the site's `economics` section (else the catalog's figures).
    pub quoted: bool,
}

/// One expansion option, evaluated.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ExpandOption {
    /// "upsize T-A1 to xfmr-3000kva-13.8kv-415v + add CRAH-17 (...)".
    pub title: String,
    /// Its changes.
    pub changes: Vec<Change>,
    /// The parts bought, priced.
    pub parts: Vec<Priced>,
    /// Parts with no price (no quote and no catalog economics): capex and date leave them out.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unpriced: Vec<String>,
    /// Racks of the model that fit with it (its own first rack counted).
    pub racks: u32,
    /// Racks more than today's answer.
    pub racks_unlocked: i64,
    /// IT unlocked, MW.
    pub mw_unlocked: f64,
    /// Capex, US$: (low, mid, high).
    pub capex_usd: (f64, f64, f64),
    /// Weeks from order to energised: (low, high).
    pub weeks_to_energise: (f64, f64),
    /// Months to energised (the middle of the range).
    pub months: f64,
    /// MW per US$ M of capex (absent with no capex: free).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mw_per_musd: Option<f64>,
    /// MW per month to energise (absent when immediate).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mw_per_month: Option<f64>,
    /// What the unlocked MW earn from energising to the horizon at the idle-IT value, less
    /// the capex (mid), US$.
    pub net_value_usd: f64,
    /// What binds next.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub binding: Option<Crossing>,
    /// The IT added reaches `--target-mw`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meets_target: Option<bool>,
    /// Why the option was not evaluated (the site refused it, the search failed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
    /// The racks the search placed with it (what applying it adds; ids and positions are in
    /// the capacity report's places).
    #[serde(skip)]
    #[schemars(skip)]
    pub placed: Vec<crate::site::RackSpec>,
    /// The site with the changes made, and the capacity search on it (to combine with).
    #[serde(skip)]
    #[schemars(skip)]
    site_after: Option<Box<SiteFile>>,
    #[serde(skip)]
    #[schemars(skip)]
    report: Option<Box<CapacityReport>>,
}

impl ExpandOption {
    /// `site` with this option built and its racks placed: the changes, the new rows' marks
    /// replaced by the racks the search placed.
    pub fn applied(&self, site: &SiteFile) -> Result<SiteFile, String> {
        let mut s = apply(site, &self.changes)?;
        for c in &self.changes {
            if let Change::Add { element, kind: EquipmentKind::Rack, .. } = c {
                SiteElement::remove_from(&mut s, EquipmentKind::Rack, element);
            }
        }
        for r in &self.placed {
            SiteElement::Rack(r.clone()).insert_sorted(&mut s);
        }
        Ok(s)
    }
}

/// The expand report.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ExpandReport {
    /// Schema identifier.
    pub schema: &'static str,
    /// Site name.
    pub site: String,
    /// Rack model added.
    pub model: String,
    /// Its design power, kW.
    pub rack_kw: f64,
    /// Every single failure kept as safe as today.
    pub n_1: bool,
    /// Target, MW of IT added.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_mw: Option<f64>,
    /// Value of a month of idle IT, US$ per MW.
    pub idle_it_usd_per_mw_month: f64,
    /// Months over which options are valued.
    pub horizon_months: f64,
    /// Racks that fit today.
    pub racks_today: u32,
    /// What binds today.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub binding_today: Option<Crossing>,
    /// Options that unlock IT, most MW per US$ M first (free ones first of all).
    pub options: Vec<ExpandOption>,
    /// The same options' indices in `options`, most MW per month first.
    pub by_month: Vec<usize>,
    /// Options that unlock nothing or were refused.
    pub rejected: Vec<ExpandOption>,
    /// Capacity searches run.
    pub searches: u32,
}

/// The size field of each kind's model that an upsize grows, and the fields that must not change.
fn size_field(kind: EquipmentKind) -> Option<&'static str> {
    use EquipmentKind::*;
    Some(match kind {
        GridFeed => "capacity_mva",
        Transformer => "rated_kva",
        Ups => "rated_kw",
        Distribution => "breaker_a",
        Generator => "rated_kw",
        Cdu | Crah | Chiller | HeatRejection => "capacity_kw",
        _ => return None,
    })
}

/// Fields that say what a model is and where it fits (kind of unit, voltages): an upsize keeps them.
const SAME: [&str; 6] = ["kind", "voltage_kv", "primary_kv", "secondary_kv", "phases", "rated_kv"];

/// The next larger model of `kind` than `model` with the same kind and voltages.
fn next_larger(catalog: &Catalog, kind: EquipmentKind, model: &str) -> Option<String> {
    let field = size_field(kind)?;
    let this = catalog.model_json(kind, model)?;
    let size = this.get(field)?.as_f64()?;
    catalog
        .model_names(kind)
        .into_iter()
        .filter_map(|name| {
            let m = catalog.model_json(kind, &name)?;
            let s = m.get(field)?.as_f64()?;
            let same = SAME.iter().all(|f| m.get(*f) == this.get(*f));
            (same && s > size).then_some((s, name))
        })
        .min_by(|a, b| a.0.total_cmp(&b.0).then_with(|| natural_cmp(&a.1, &b.1)))
        .map(|(_, name)| name)
}

/// An id not in `taken` like `like`'s: its trailing number counted up (`CRAH-16` → `CRAH-17`).
fn next_id(taken: &BTreeSet<String>, like: &str) -> String {
    let digits = like.len() - like.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let (stem, n) = like.split_at(like.len() - digits);
    let (stem, mut n) =
        if digits == 0 { (format!("{like}-"), 1u64) } else { (stem.to_string(), n.parse::<u64>().unwrap_or(0) + 1) };
    loop {
        let id = format!("{stem}{n}");
        if !taken.contains(&id) {
            return id;
        }
        n += 1;
    }
}

/// A free spot near `at`: stepped along y until nothing stands within 1 m.
fn free_spot(site: &SiteFile, at: (f64, f64), step_m: f64, also: &[(f64, f64)]) -> (f64, f64) {
    let taken: Vec<(f64, f64)> =
        site.elements().into_iter().map(|(_, e)| e.position_m()).chain(also.iter().copied()).collect();
    let mut p = (at.0, at.1 + step_m);
    for _ in 0..1000 {
        if taken.iter().all(|q| (q.0 - p.0).hypot(q.1 - p.1) > 1.0) {
            return p;
        }
        p.1 += step_m;
    }
    p
}

/// Applies `changes` to `site` (a copy); an error says which change the site cannot take.
pub fn apply(site: &SiteFile, changes: &[Change]) -> Result<SiteFile, String> {
    let mut s = site.clone();
    for c in changes {
        match c {
            Change::Upsize { element, kind, to, .. } => {
                let e =
                    SiteElement::take_from(&mut s, *kind, element).ok_or_else(|| format!("no {element} to upsize"))?;
                let mut v = e.to_json();
                v["model"] = serde_json::Value::String(to.clone());
                if let Some(o) = v.get_mut("overrides") {
                    *o = serde_json::json!({});
                }
                SiteElement::from_json(*kind, v)
                    .ok_or_else(|| format!("{element} cannot take model {to}"))?
                    .insert_sorted(&mut s);
            }
            Change::Add { element, kind, model, like, links } => {
                let e = s.element(like).ok_or_else(|| format!("no {like} to copy"))?;
                let mut v = e.to_json();
                v["id"] = serde_json::Value::String(element.clone());
                v["model"] = serde_json::Value::String(model.clone());
                for key in ["overrides", "common_mode"] {
                    if let Some(o) = v.as_object_mut() {
                        o.remove(key);
                    }
                }
                for (field, to) in links {
                    v[field.as_str()] = serde_json::Value::String(to.clone());
                }
                let at = e.spec().position_m();
                if *kind == EquipmentKind::Rack {
                    v["in_service"] = serde_json::Value::Bool(false);
                }
                let mut added =
                    SiteElement::from_json(*kind, v).ok_or_else(|| format!("{element} cannot copy {like}"))?;
                *added.spec_mut().position_mut() = free_spot(&s, at, 2.0, &[]);
                added.insert_sorted(&mut s);
            }
            Change::Setpoint { water_loop, to_c, .. } => {
                let lp = s
                    .water_loops
                    .iter_mut()
                    .find(|l| &l.id == water_loop)
                    .ok_or_else(|| format!("no loop {water_loop}"))?;
                lp.supply_setpoint_c = *to_c;
            }
            Change::PowerCap { .. } => {}
        }
    }
    Ok(s)
}

/// The capacity search for `model` on a site with `changes` applied: their power cap, and
/// their new rows' first positions as places.
pub fn search_options(model: &str, n_1: bool, changes: &[Change]) -> CapacityOptions {
    CapacityOptions {
        model: model.to_string(),
        n_1,
        power_cap: changes.iter().find_map(|c| match c {
            Change::PowerCap { share } => Some(*share),
            _ => None,
        }),
        templates: changes
            .iter()
            .filter_map(|c| match c {
                Change::Add { element, kind: EquipmentKind::Rack, .. } => Some(element.clone()),
                _ => None,
            })
            .collect(),
        ..CapacityOptions::default()
    }
}

/// Fixes for what `binding` names, as change sets on `site` (which the search placed racks of
/// `model` in, per `report`).
fn fixes(site: &SiteFile, catalog: &Catalog, report: &CapacityReport, binding: &Crossing) -> Vec<Vec<Change>> {
    let mut out: Vec<Vec<Change>> = Vec::new();
    let taken: BTreeSet<String> = site.elements().into_iter().map(|(_, e)| e.id().to_string()).collect();
    // The place whose next rack crosses it (else the first place).
    let place = report
        .places
        .iter()
        .find(|p| p.binding.as_ref().is_some_and(|b| b.element == binding.element))
        .or(report.places.first());
    let template = place.and_then(|p| site.racks.iter().find(|r| r.id == p.template));
    let element = site.element(&binding.element);
    let kind = element.as_ref().map(|e| e.kind());
    // The element alone, and every element of its kind and model (in a 2N or repeated design
    // its twins bind the same way under their own failures).
    let upsize = |out: &mut Vec<Vec<Change>>, e: &SiteElement| {
        let from = e.to_json().get("model").and_then(|m| m.as_str()).map(str::to_string);
        if let Some(from) = from
            && let Some(to) = next_larger(catalog, e.kind(), &from)
        {
            out.push(vec![Change::Upsize {
                element: e.id().to_string(),
                kind: e.kind(),
                from: from.clone(),
                to: to.clone(),
            }]);
            let mut like: Vec<String> = site
                .elements()
                .into_iter()
                .map(|(_, x)| x)
                .filter(|x| {
                    x.kind() == e.kind() && x.in_service() && x.rated().map(|r| r.model()) == Some(from.as_str())
                })
                .map(|x| x.id().to_string())
                .collect();
            like.sort_by(|a, b| natural_cmp(a, b));
            if like.len() > 1 {
                out.push(
                    like.into_iter()
                        .map(|id| Change::Upsize { element: id, kind: e.kind(), from: from.clone(), to: to.clone() })
                        .collect(),
                );
            }
        }
    };
    let add_like = |e: &SiteElement, taken: &BTreeSet<String>| -> Option<Change> {
        let model = e.to_json().get("model")?.as_str()?.to_string();
        Some(Change::Add {
            element: next_id(taken, e.id()),
            kind: e.kind(),
            model,
            like: e.id().to_string(),
            links: vec![],
        })
    };
    let zone_of_binding = match kind {
        Some(EquipmentKind::Zone) => Some(binding.element.clone()),
        Some(EquipmentKind::Crah) => site.crahs.iter().find(|c| c.id == binding.element).map(|c| c.zone.clone()),
        None if binding.limit.contains("inlet") || binding.limit.contains("air") => {
            template.and_then(|t| t.zone.clone())
        }
        _ => None,
    };
    if let Some(z) = zone_of_binding {
        let like = site.crahs.iter().filter(|c| c.zone == z && c.in_service).max_by(|a, b| natural_cmp(&a.id, &b.id));
        if let Some(c) = like.and_then(|c| site.element(&c.id)).and_then(|e| add_like(&e, &taken)) {
            out.push(vec![c]);
        }
    }
    match (kind, element.as_ref()) {
        (Some(EquipmentKind::WaterLoop), _) | (Some(EquipmentKind::Chiller | EquipmentKind::HeatRejection), _) => {
            let lp = match kind {
                Some(EquipmentKind::WaterLoop) => binding.element.clone(),
                Some(EquipmentKind::Chiller) => site
                    .chillers
                    .iter()
                    .find(|c| c.id == binding.element)
                    .map(|c| c.water_loop.clone())
                    .unwrap_or_default(),
                _ => site
                    .heat_rejection
                    .iter()
                    .find(|c| c.id == binding.element)
                    .map(|c| c.water_loop.clone())
                    .unwrap_or_default(),
            };
            let last = |ids: Vec<&String>| ids.into_iter().max_by(|a, b| natural_cmp(a, b)).cloned();
            let chiller = last(site.chillers.iter().filter(|c| c.water_loop == lp).map(|c| &c.id).collect());
            let tower = last(site.heat_rejection.iter().filter(|c| c.water_loop == lp).map(|c| &c.id).collect());
            for id in [chiller, tower].into_iter().flatten() {
                if let Some(c) = site.element(&id).and_then(|e| add_like(&e, &taken)) {
                    out.push(vec![c]);
                }
            }
            if let Some(l) = site.water_loops.iter().find(|l| l.id == lp) {
                let max = l.water_class.map_or(l.supply_setpoint_c + SETPOINT_RAISE_K, |c| c.max_supply_c());
                let to = (l.supply_setpoint_c + SETPOINT_RAISE_K).min(max);
                if to > l.supply_setpoint_c {
                    out.push(vec![Change::Setpoint { water_loop: lp.clone(), from_c: l.supply_setpoint_c, to_c: to }]);
                }
            }
        }
        (Some(k), Some(e)) if size_field(k).is_some() && k != EquipmentKind::Crah => upsize(&mut out, e),
        _ => {}
    }
    // A new row: the place's feeds (and CDU) copied, under a source with room when the binding
    // element is upstream of them, with its first rack.
    let row_kinds = [EquipmentKind::Distribution, EquipmentKind::Cdu, EquipmentKind::Transformer, EquipmentKind::Ups];
    if let (Some(t), Some(k)) = (template, kind)
        && row_kinds.contains(&k)
        && let Some(row) = new_row(site, t, &binding.element, &report.model, &taken)
    {
        out.push(row);
    }
    out
}

/// Every element above `id` (its upstream chain), `id` included.
fn chain(site: &SiteFile, id: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut stack = vec![id.to_string()];
    while let Some(x) = stack.pop() {
        if seen.insert(x.clone())
            && let Some(e) = site.element(&x)
        {
            stack.extend(e.spec().links().into_iter().map(|(_, l)| l.to_string()));
        }
    }
    seen
}

/// A new row beside `template`'s place: a copy of each feed (and of its CDU), and the row's
/// first rack of `model`. A feed whose upstream chain holds `binding` hangs from a sibling of
/// its upstream with the same model instead (the one with the fewest elements below it).
fn new_row(
    site: &SiteFile,
    template: &crate::site::RackSpec,
    binding: &str,
    model: &str,
    taken: &BTreeSet<String>,
) -> Option<Vec<Change>> {
    let mut taken = taken.clone();
    let mut changes = Vec::new();
    let mut rack_links = Vec::new();
    let feeds = [("feed_a", Some(&template.feed_a)), ("feed_b", template.feed_b.as_ref())];
    for (field, feed) in feeds {
        let Some(feed) = feed else { continue };
        let spec = site.distribution.iter().find(|d| &d.id == feed)?;
        let mut links = Vec::new();
        if chain(site, &spec.upstream).contains(binding) {
            let up = site.element(&spec.upstream)?;
            let up_model = up.spec().rated()?.model().to_string();
            let below =
                |id: &str| site.elements().iter().filter(|(_, e)| e.links().iter().any(|(_, l)| *l == id)).count();
            let sibling = site
                .elements()
                .into_iter()
                .map(|(_, e)| e)
                .filter(|e| e.kind() == up.kind() && e.id() != up.id() && e.in_service())
                .filter(|e| e.rated().map(|r| r.model()) == Some(up_model.as_str()))
                .filter(|e| !chain(site, e.id()).contains(binding))
                .min_by(|a, b| below(a.id()).cmp(&below(b.id())).then_with(|| natural_cmp(a.id(), b.id())))?;
            links.push(("upstream".to_string(), sibling.id().to_string()));
        }
        let id = next_id(&taken, feed);
        taken.insert(id.clone());
        changes.push(Change::Add {
            element: id.clone(),
            kind: EquipmentKind::Distribution,
            model: spec.model.clone(),
            like: feed.clone(),
            links,
        });
        rack_links.push((field.to_string(), id));
    }
    if let Some(cdu) = &template.cdu {
        let spec = site.cdus.iter().find(|c| &c.id == cdu)?;
        let id = next_id(&taken, cdu);
        taken.insert(id.clone());
        changes.push(Change::Add {
            element: id.clone(),
            kind: EquipmentKind::Cdu,
            model: spec.model.clone(),
            like: cdu.clone(),
            links: vec![],
        });
        rack_links.push(("cdu".to_string(), id));
    }
    let id = next_id(&taken, &template.id);
    changes.push(Change::Add {
        element: id,
        kind: EquipmentKind::Rack,
        model: model.to_string(),
        like: template.id.clone(),
        links: rack_links,
    });
    Some(changes)
}

/// For people: the changes joined with " + ", runs of the same upsize grouped ("upsize 50
/// busway-415v-800a (BW-A1-1 … BW-B25-5) to busway-415v-1600a").
pub fn title(changes: &[Change]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < changes.len() {
        if let Change::Upsize { from, to, element, .. } = &changes[i] {
            let run = changes[i..]
                .iter()
                .take_while(|c| matches!(c, Change::Upsize { from: f, to: t, .. } if f == from && t == to))
                .count();
            if run > 1 {
                let last = match &changes[i + run - 1] {
                    Change::Upsize { element, .. } => element.as_str(),
                    _ => "",
                };
                parts.push(format!("upsize {run} {from} ({element} … {last}) to {to}"));
                i += run;
                continue;
            }
        }
        parts.push(changes[i].describe());
        i += 1;
    }
    parts.join(" + ")
}

/// The price of a part: the site's quote, else the catalog's economics.
fn price(catalog: &Catalog, economics: &SiteEconomics, kind: EquipmentKind, model: &str) -> Option<Priced> {
    if let Some(q) = economics.quotes.get(model) {
        return Some(Priced { model: model.to_string(), economics: q.clone(), quoted: true });
    }
    catalog.economics(kind, model).map(|e| Priced { model: model.to_string(), economics: e.clone(), quoted: false })
}

/// Searches; `progress` hears what stage it is in.
pub fn expand(
    site: &SiteFile,
    catalog: &Catalog,
    options: &ExpandOptions,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<ExpandReport, String> {
    let economics = site.economics.clone().unwrap_or_default();
    let searches = std::sync::atomic::AtomicU32::new(0);
    let search = |s: &SiteFile, changes: &[Change]| {
        searches.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        capacity(s, catalog, &search_options(&options.model, options.n_1, changes), &|_| {})
    };
    progress("today's capacity");
    let today = search(site, &[])?;
    let rack_kw = today.rack_kw;
    let evaluate = |changes: Vec<Change>| -> ExpandOption {
        let title = title(&changes);
        let mut parts = Vec::new();
        let mut unpriced = Vec::new();
        for (kind, model) in changes.iter().filter_map(Change::bought) {
            match price(catalog, &economics, kind, model) {
                Some(p) => parts.push(p),
                None => unpriced.push(model.to_string()),
            }
        }
        let capex = parts.iter().fold((0.0, 0.0, 0.0), |a, p| {
            let c = p.economics.capex_usd;
            (a.0 + c.0, a.1 + c.1, a.2 + c.2)
        });
        let weeks = parts.iter().fold((0.0f64, 0.0f64), |a, p| {
            let w = p.economics.weeks_to_energise();
            (a.0.max(w.0), a.1.max(w.1))
        });
        let months = (weeks.0 + weeks.1) / 2.0 / WEEKS_PER_MONTH;
        let mut option = ExpandOption {
            title,
            changes: changes.clone(),
            parts,
            unpriced,
            racks: 0,
            racks_unlocked: 0,
            mw_unlocked: 0.0,
            capex_usd: capex,
            weeks_to_energise: weeks,
            months,
            mw_per_musd: None,
            mw_per_month: None,
            net_value_usd: 0.0,
            binding: None,
            meets_target: None,
            refused: None,
            placed: vec![],
            site_after: None,
            report: None,
        };
        let changed = apply(site, &changes).and_then(|s| {
            crate::site::validate::validate(&s, "", "site", catalog).map_err(|p| {
                p.0.first().map_or_else(|| "refused".to_string(), |p| format!("the site refuses it: {}", p.message))
            })?;
            Ok(s)
        });
        let result = changed.and_then(|s| search(&s, &changes).map(|r| (s, r)));
        match result {
            Err(e) => option.refused = Some(e),
            Ok((s, r)) => {
                let kw_each = r.rack_kw;
                option.placed = r.racks_to_place(&s).unwrap_or_default();
                option.racks = r.racks;
                let it_kw = f64::from(option.racks) * kw_each;
                option.racks_unlocked = i64::from(option.racks) - i64::from(today.racks);
                option.mw_unlocked = (it_kw - today.it_kw) / 1000.0;
                option.binding = r.binding.clone();
                option.site_after = Some(Box::new(s));
                option.report = Some(Box::new(r));
            }
        }
        let mw = option.mw_unlocked;
        option.mw_per_musd = (capex.1 > 0.0).then(|| mw / (capex.1 / 1e6));
        option.mw_per_month = (months > 0.0).then(|| mw / months);
        option.net_value_usd =
            mw.max(0.0) * economics.idle_it_usd_per_mw_month() * (economics.horizon_months() - months).max(0.0)
                - capex.1;
        option.meets_target = options.target_mw.map(|t| mw >= t - 1e-9);
        option
    };

    // Singles: fixes for today's binding limit and the next limits' elements, and the power cap.
    let mut singles: Vec<Vec<Change>> = Vec::new();
    let mut seen_elements = BTreeSet::new();
    let mut targets: Vec<Crossing> = today.binding.iter().cloned().collect();
    for n in today.next_limits.iter().take(NEXT_LIMITS) {
        targets.push(Crossing {
            element: n.row.element.clone(),
            limit: n.row.limit.label().to_string(),
            severity: crate::sim::limits::Severity::Warning,
            value: n.row.value,
            limit_value: n.row.limit_value,
            unit: n.row.unit.to_string(),
            contingency: None,
        });
    }
    for t in &targets {
        if seen_elements.insert(t.element.clone()) {
            for f in fixes(site, catalog, &today, t) {
                if !singles.contains(&f) {
                    singles.push(f);
                }
            }
        }
    }
    singles.push(vec![Change::PowerCap { share: POWER_CAP }]);
    progress(&format!("{} options", singles.len()));
    let mut evaluated: Vec<ExpandOption> = singles.into_par_iter().map(evaluate).collect();

    // Combinations: the best options of the last round (those that unlock racks, or that move
    // the binding limit elsewhere), each with a fix for what binds after it; up to
    // `COMBINED_DEPTH` changes deep.
    let today_binding = today.binding.as_ref().map(|b| b.element.clone());
    let mut frontier: Vec<usize> = (0..evaluated.len()).collect();
    for depth in 2..=COMBINED_DEPTH {
        let mut best: Vec<usize> = frontier
            .iter()
            .copied()
            .filter(|&i| {
                let o = &evaluated[i];
                o.refused.is_none()
                    && o.binding
                        .as_ref()
                        .is_some_and(|b| o.racks_unlocked > 0 || Some(&b.element) != today_binding.as_ref())
            })
            .collect();
        best.sort_by(|&a, &b| {
            let (a, b) = (&evaluated[a], &evaluated[b]);
            b.mw_unlocked.total_cmp(&a.mw_unlocked).then_with(|| natural_cmp(&a.title, &b.title))
        });
        let mut next: Vec<Vec<Change>> = Vec::new();
        for &i in best.iter().take(COMBINED) {
            let o = &evaluated[i];
            let (Some(after), Some(r)) = (&o.site_after, &o.report) else { continue };
            let Some(b) = &r.binding else { continue };
            for f in fixes(after, catalog, r, b) {
                // The fix's ids were chosen on the site with the first changes made.
                let mut both = o.changes.clone();
                both.extend(f);
                if !next.contains(&both) && !evaluated.iter().any(|e| e.changes == both) {
                    next.push(both);
                }
            }
        }
        if next.is_empty() {
            break;
        }
        progress(&format!("{} combinations of {depth}", next.len()));
        let start = evaluated.len();
        evaluated.extend(next.into_par_iter().map(evaluate).collect::<Vec<_>>());
        frontier = (start..evaluated.len()).collect();
    }

    for o in &mut evaluated {
        (o.site_after, o.report) = (None, None);
    }
    // An option that only adds changes to another and unlocks no more is dominated: dropped.
    let dominated: Vec<bool> = evaluated
        .iter()
        .map(|o| {
            o.refused.is_none()
                && evaluated.iter().any(|p| {
                    p.refused.is_none()
                        && p.changes.len() < o.changes.len()
                        && p.changes.iter().all(|c| o.changes.contains(c))
                        && p.mw_unlocked >= o.mw_unlocked - 1e-9
                })
        })
        .collect();
    let evaluated: Vec<ExpandOption> =
        evaluated.into_iter().zip(dominated).filter(|(_, d)| !d).map(|(o, _)| o).collect();
    // Rank: per US$ M (free first), then per month.
    let (mut options_out, rejected): (Vec<ExpandOption>, Vec<ExpandOption>) =
        evaluated.into_iter().partition(|o| o.refused.is_none() && o.mw_unlocked > 1e-9 && o.unpriced.is_empty());
    let key = |v: Option<f64>| v.unwrap_or(f64::INFINITY);
    options_out.sort_by(|a, b| {
        key(b.mw_per_musd)
            .total_cmp(&key(a.mw_per_musd))
            .then(b.mw_unlocked.total_cmp(&a.mw_unlocked))
            .then_with(|| natural_cmp(&a.title, &b.title))
    });
    let mut by_month: Vec<usize> = (0..options_out.len()).collect();
    by_month.sort_by(|&i, &j| {
        let (a, b) = (&options_out[i], &options_out[j]);
        key(b.mw_per_month)
            .total_cmp(&key(a.mw_per_month))
            .then(b.mw_unlocked.total_cmp(&a.mw_unlocked))
            .then_with(|| natural_cmp(&a.title, &b.title))
    });
    let mut rejected = rejected;
    rejected.sort_by(|a, b| natural_cmp(&a.title, &b.title));
    Ok(ExpandReport {
        schema: EXPAND_SCHEMA,
        site: today.site.clone(),
        model: options.model.clone(),
        rack_kw,
        n_1: options.n_1,
        target_mw: options.target_mw,
        idle_it_usd_per_mw_month: economics.idle_it_usd_per_mw_month(),
        horizon_months: economics.horizon_months(),
        racks_today: today.racks,
        binding_today: today.binding.clone(),
        options: options_out,
        by_month,
        rejected,
        searches: searches.into_inner(),
    })
}

/// "$1.23 M".
fn musd(v: f64) -> String {
    format!("${:.2} M", v / 1e6)
}

impl ExpandReport {
    /// JSON, pretty.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("an expand report serializes") + "\n"
    }

    /// The ranked options for people.
    pub fn to_markdown(&self, top: usize) -> String {
        let mut o = String::new();
        let _ = writeln!(o, "# Expansion options: more {} racks on {}\n", self.model, self.site);
        let _ = writeln!(
            o,
            "Today {} more racks fit ({:.2} MW at {:.1} kW each){}; {}.",
            self.racks_today,
            f64::from(self.racks_today) * self.rack_kw / 1000.0,
            self.rack_kw,
            if self.n_1 { ", every single failure kept as safe as today" } else { "" },
            self.binding_today.as_ref().map_or("nothing binds".to_string(), |b| format!("binding: {}", b.describe()))
        );
        let _ = writeln!(
            o,
            "A month of idle IT is worth {} per MW; options are valued over {:.0} months. {} capacity searches.\n",
            musd(self.idle_it_usd_per_mw_month),
            self.horizon_months,
            self.searches
        );
        if let Some(t) = self.target_mw {
            let n = self.options.iter().filter(|o| o.meets_target == Some(true)).count();
            let _ = writeln!(o, "Target: {t:.2} MW more; {n} options reach it.\n");
        }
        let row = |o: &mut String, rank: usize, x: &ExpandOption| {
            let per_musd = x.mw_per_musd.map_or("no capex".to_string(), |v| format!("{v:.2}"));
            let per_month = x.mw_per_month.map_or("now".to_string(), |v| format!("{v:.3}"));
            let next = x.binding.as_ref().map_or("—".to_string(), |b| format!("{} {}", b.element, b.limit));
            let _ = writeln!(
                o,
                "| {rank} | {} | {:+} | {:.2} | {} ({}–{}) | {:.1} ({:.0}–{:.0} wk) | {per_musd} | {per_month} | {} | {next} |",
                x.title,
                x.racks_unlocked,
                x.mw_unlocked,
                musd(x.capex_usd.1),
                musd(x.capex_usd.0),
                musd(x.capex_usd.2),
                x.months,
                x.weeks_to_energise.0,
                x.weeks_to_energise.1,
                musd(x.net_value_usd)
            );
        };
        let header = "| # | option | racks | MW | capex mid (low–high) | months to energise | MW per $M | MW per month | net value | binds next |\n|---|---|---|---|---|---|---|---|---|---|";
        let _ = writeln!(o, "## Most MW per dollar\n\n{header}");
        for (i, x) in self.options.iter().take(top).enumerate() {
            row(&mut o, i + 1, x);
        }
        let _ = writeln!(o, "\n## Most MW per month\n\n{header}");
        for (i, &k) in self.by_month.iter().take(top).enumerate() {
            row(&mut o, i + 1, &self.options[k]);
        }
        let _ = writeln!(o, "\n## Sources\n");
        let mut seen = BTreeSet::new();
        for p in self.options.iter().flat_map(|x| &x.parts) {
            if seen.insert(p.model.clone()) {
                let e = &p.economics;
                let _ = writeln!(
                    o,
                    "- {}: {} ({}–{}), lead {:.0}–{:.0} wk + {:.0} wk install; {}{} ({})",
                    p.model,
                    musd(e.capex_usd.1),
                    musd(e.capex_usd.0),
                    musd(e.capex_usd.2),
                    e.lead_time_weeks.0,
                    e.lead_time_weeks.1,
                    e.install_weeks,
                    if p.quoted { "quote: " } else { "" },
                    e.source,
                    e.as_of
                );
            }
        }
        if !self.rejected.is_empty() {
            let _ = writeln!(o, "\n## Options that unlock nothing\n");
            for x in &self.rejected {
                let why = if let Some(r) = &x.refused {
                    r.clone()
                } else if !x.unpriced.is_empty() {
                    format!("no price for {}", x.unpriced.join(", "))
                } else {
                    format!(
                        "{:+} racks{}",
                        x.racks_unlocked,
                        x.binding.as_ref().map_or(String::new(), |b| format!("; binds: {}", b.describe()))
                    )
                };
                let _ = writeln!(o, "- {}: {why}", x.title);
            }
        }
        o
    }
}
