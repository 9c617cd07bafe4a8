//! `dctwin diff OLD NEW`: what changed between two versions of a site, element by element, and
//! what that does to the site (IT load, grid import, PUE, each headroom line, alerts).
//!
//! Elements are matched by id. Each changed field is sorted into what a reviewer asks about:
//! **moved** (position, rotation), **reconnected** (a connection field: upstream, feeds, zone,
//! CDU, loop...), **re-rated** (model, overrides), **switched** (in or out of service), other.
//! Rooms are matched by id the same way, and the site-wide sections (outdoor conditions,
//! economics) field by field: a hotter design day moves the effect as much as any element.
//! Both versions are then run to their steady state (the capacity search's probe: long exact
//! steps) and compared.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::catalog::Catalog;
use crate::headless::{Report, RunOptions};
use crate::sim::limits::{HeadroomRow, LimitLines};
use crate::site::SiteFile;
use crate::site::save::natural_cmp;

/// How a field change reads in a review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// Position or rotation.
    Moved,
    /// A connection field.
    Reconnected,
    /// Model or overrides of its rating.
    Rerated,
    /// In or out of service.
    Switched,
    /// Anything else (utilization, mode, common-mode groups...).
    Changed,
}

impl ChangeKind {
    /// For people.
    pub fn label(self) -> &'static str {
        match self {
            ChangeKind::Moved => "moved",
            ChangeKind::Reconnected => "reconnected",
            ChangeKind::Rerated => "re-rated",
            ChangeKind::Switched => "switched",
            ChangeKind::Changed => "changed",
        }
    }
}

/// One field of one element.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct FieldChange {
    /// Field name.
    pub field: String,
    /// What kind of change.
    pub kind: ChangeKind,
    /// Before (compact JSON; absent when the field was unset).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    /// After.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<Value>,
}

/// An element (or room) added, removed or changed.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ElementChange {
    /// Id.
    pub id: String,
    /// Its kind (`rack`, `transformer`..., `room`).
    pub kind: &'static str,
    /// `added`, `removed` or `changed`.
    pub change: &'static str,
    /// Changed fields (for `changed`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldChange>,
}

/// A number before and after.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, schemars::JsonSchema)]
pub struct BeforeAfter {
    /// Before.
    pub before: Option<f64>,
    /// After.
    pub after: Option<f64>,
}

impl BeforeAfter {
    fn change(&self) -> Option<f64> {
        Some(self.after? - self.before?)
    }
}

/// A headroom line (one limit kind) before and after.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct HeadroomChange {
    /// Limit.
    pub limit: String,
    /// Element that binds first, before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before_element: Option<String>,
    /// After.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after_element: Option<String>,
    /// Margin, % of the limit.
    pub margin_pct: BeforeAfter,
}

/// One element's margin to the limit that moved most, before and after.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ElementHeadroom {
    /// Element.
    pub element: String,
    /// The limit whose margin moved most (its tightest, for an element added or removed).
    pub limit: String,
    /// Margin, % of the limit.
    pub margin_pct: BeforeAfter,
}

/// An alert that appears or clears.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct AlertChange {
    /// Element.
    pub element: String,
    /// What it measures.
    pub quantity: String,
    /// `critical` or `warning`.
    pub severity: String,
    /// Its value and limit in the version that has it.
    pub value: f64,
    /// Limit.
    pub limit: f64,
    /// Unit.
    pub unit: String,
}

/// What the changes do to the site.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Effect {
    /// IT load, kW.
    pub it_load_kw: BeforeAfter,
    /// Grid import, kW.
    pub grid_import_kw: BeforeAfter,
    /// Cooling power, kW.
    pub cooling_kw: BeforeAfter,
    /// PUE.
    pub pue: BeforeAfter,
    /// Hottest rack inlet, °C.
    pub hottest_inlet_c: BeforeAfter,
    /// Every headroom line.
    pub headroom: Vec<HeadroomChange>,
    /// Each element whose margin to one of its limits moved by 0.05 pt or more, with the limit
    /// that moved most, most margin lost first: the PDUs, busways, UPSes and transformers a
    /// change loads or relieves.
    pub element_headroom: Vec<ElementHeadroom>,
    /// Alerts active in the new version only.
    pub alerts_appear: Vec<AlertChange>,
    /// Alerts active in the old version only.
    pub alerts_clear: Vec<AlertChange>,
}

/// A semantic diff.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct SiteDiff {
    /// Schema identifier.
    pub schema: &'static str,
    /// The old version's name (file or `REV:path`).
    pub old: String,
    /// The new version's.
    pub new: String,
    /// Site names, when they differ.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renamed: Option<(String, String)>,
    /// Element changes in id order.
    pub elements: Vec<ElementChange>,
    /// Site-wide settings that changed, field by field (`ambient.dry_bulb_c`, `economics`...).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub settings: Vec<FieldChange>,
    /// Rooms added, removed or changed (walls, aisles), in id order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rooms: Vec<ElementChange>,
    /// What they do.
    pub effect: Effect,
}

/// Steady state of a site: 3 exact steps of 10 minutes (as the capacity search's probes), and
/// every element's margin to each of its limits.
fn steady(site: &SiteFile, catalog: &Catalog) -> (Report, Vec<HeadroomRow>) {
    let options = RunOptions { duration: Duration::from_secs(1800), step: Duration::from_secs(600) };
    let mut app = crate::headless::build_app(site, catalog, options.step);
    app.world_mut().insert_resource(LimitLines::default());
    crate::headless::advance(&mut app, options.steps());
    let lines = app.world().resource::<LimitLines>().0.clone();
    (Report::from_world(app.world_mut(), &options, ""), lines)
}

/// Each element's margins: `id → [(limit, margin %)]`.
fn margins(lines: &[HeadroomRow]) -> BTreeMap<&str, Vec<(&'static str, f64)>> {
    let mut out: BTreeMap<&str, Vec<(&'static str, f64)>> = BTreeMap::new();
    for l in lines.iter().filter(|l| l.margin_pct.is_finite()) {
        out.entry(l.element.as_str()).or_default().push((l.limit.label(), l.margin_pct));
    }
    out
}

/// How an element's headroom moved: the limit whose margin moved most (for an element on one
/// side only, its tightest limit); `None` when no margin moved by [`ELEMENT_MARGIN_MOVE_PT`].
fn element_move(
    id: &str,
    before: Option<&Vec<(&'static str, f64)>>,
    after: Option<&Vec<(&'static str, f64)>>,
) -> Option<ElementHeadroom> {
    let tightest = |m: &Vec<(&'static str, f64)>| m.iter().copied().min_by(|a, b| a.1.total_cmp(&b.1));
    let row = |limit: &str, before: Option<f64>, after: Option<f64>| ElementHeadroom {
        element: id.to_string(),
        limit: limit.to_string(),
        margin_pct: BeforeAfter { before, after },
    };
    match (before, after) {
        (Some(a), Some(b)) => a
            .iter()
            .filter_map(|&(limit, x)| b.iter().find(|l| l.0 == limit).map(|&(_, y)| (limit, x, y)))
            .filter(|(_, x, y)| (y - x).abs() >= ELEMENT_MARGIN_MOVE_PT)
            .max_by(|p, q| (p.2 - p.1).abs().total_cmp(&(q.2 - q.1).abs()))
            .map(|(limit, x, y)| row(limit, Some(x), Some(y))),
        (Some(a), None) => tightest(a).map(|(limit, x)| row(limit, Some(x), None)),
        (None, Some(b)) => tightest(b).map(|(limit, y)| row(limit, None, Some(y))),
        (None, None) => None,
    }
}

/// Elements listed in the Markdown (most margin lost first; the JSON has them all).
const MARKDOWN_ELEMENTS: usize = 30;

/// Margins that move less than this (percentage points) are not listed per element.
const ELEMENT_MARGIN_MOVE_PT: f64 = 0.05;

/// Things matched by id across the two versions: each as JSON, with its kind and link fields.
type ById = BTreeMap<String, (&'static str, Value, Vec<&'static str>)>;

/// Each element as JSON by id, with its kind.
fn by_id(site: &SiteFile) -> ById {
    crate::site::SiteElement::all_of(site)
        .into_iter()
        .map(|e| {
            let spec = e.spec();
            let links: Vec<&'static str> = spec.link_fields().iter().map(|l| l.name).collect();
            (spec.id().to_string(), (spec.kind().key(), e.to_json(), links))
        })
        .collect()
}

/// Each room as JSON by id (rooms' ids are unique among rooms, apart from the elements').
fn rooms_by_id(site: &SiteFile) -> ById {
    site.rooms
        .iter()
        .map(|r| (r.id.clone(), ("room", serde_json::to_value(r).expect("a room serializes"), Vec::new())))
        .collect()
}

/// Which kind of change a field is.
fn classify(field: &str, links: &[&str]) -> ChangeKind {
    match field {
        "position_m" | "rotation_deg" | "walls_m" => ChangeKind::Moved,
        "model" | "overrides" => ChangeKind::Rerated,
        "in_service" => ChangeKind::Switched,
        f if links.contains(&f) || f == "feeder" => ChangeKind::Reconnected,
        _ => ChangeKind::Changed,
    }
}

/// The fields of two versions of one object that differ, in name order, each named
/// `prefix` + its name.
fn field_changes(
    prefix: &str,
    a: &serde_json::Map<String, Value>,
    b: &serde_json::Map<String, Value>,
    links: &[&str],
) -> Vec<FieldChange> {
    let mut names: Vec<&String> = a.keys().chain(b.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter(|f| a.get(*f) != b.get(*f))
        .map(|f| FieldChange {
            field: format!("{prefix}{f}"),
            kind: classify(f, links),
            before: a.get(f).cloned(),
            after: b.get(f).cloned(),
        })
        .collect()
}

/// What was added, removed or changed between two versions of things matched by id, in id order.
fn id_changes(a: &ById, b: &ById) -> Vec<ElementChange> {
    let mut ids: Vec<&String> = a.keys().chain(b.keys()).collect();
    ids.sort_by(|x, y| natural_cmp(x, y));
    ids.dedup();
    let mut changes = Vec::new();
    for id in ids {
        match (a.get(id), b.get(id)) {
            (None, Some((kind, _, _))) => {
                changes.push(ElementChange { id: id.clone(), kind, change: "added", fields: vec![] })
            }
            (Some((kind, _, _)), None) => {
                changes.push(ElementChange { id: id.clone(), kind, change: "removed", fields: vec![] })
            }
            (Some((ka, va, links)), Some((kb, vb, _))) => {
                if ka != kb {
                    changes.push(ElementChange { id: id.clone(), kind: ka, change: "removed", fields: vec![] });
                    changes.push(ElementChange { id: id.clone(), kind: kb, change: "added", fields: vec![] });
                    continue;
                }
                let (Value::Object(oa), Value::Object(ob)) = (va, vb) else { continue };
                let fields = field_changes("", oa, ob, links);
                if !fields.is_empty() {
                    changes.push(ElementChange { id: id.clone(), kind: ka, change: "changed", fields });
                }
            }
            (None, None) => {}
        }
    }
    changes
}

/// The site-wide sections that differ, field by field (`ambient.hourly`); a section present
/// in one version only is one change named after it. A weather file named alike in both whose
/// year differs (the same path in two revisions) is `ambient.weather`, summarised.
fn setting_changes(old: &SiteFile, new: &SiteFile) -> Vec<FieldChange> {
    let json = |v: Result<Value, serde_json::Error>| v.expect("a site section serializes");
    let sections = [
        ("ambient", json(serde_json::to_value(&old.ambient)), json(serde_json::to_value(&new.ambient))),
        ("economics", json(serde_json::to_value(&old.economics)), json(serde_json::to_value(&new.economics))),
    ];
    let mut changes = Vec::new();
    for (name, a, b) in sections {
        match (&a, &b) {
            (Value::Object(oa), Value::Object(ob)) => changes.extend(field_changes(&format!("{name}."), oa, ob, &[])),
            _ if a != b => changes.push(FieldChange {
                field: name.to_string(),
                kind: ChangeKind::Changed,
                before: (!a.is_null()).then_some(a.clone()),
                after: (!b.is_null()).then_some(b.clone()),
            }),
            _ => {}
        }
    }
    if let (Some(a), Some(b)) = (&old.ambient, &new.ambient)
        && a.epw == b.epw
        && a.weather != b.weather
    {
        let summary =
            |w: &Option<crate::site::cooling::LoadedWeather>| w.as_ref().map(|w| Value::String(weather_summary(&w.0)));
        changes.push(FieldChange {
            field: "ambient.weather".into(),
            kind: ChangeKind::Changed,
            before: summary(&a.weather),
            after: summary(&b.weather),
        });
    }
    changes
}

/// A weather year as a reviewer compares two: where, how long, and its range of outdoor air.
fn weather_summary(year: &crate::weather::WeatherYear) -> String {
    let hours = year.hours();
    let dry = hours.iter().map(|h| h.dry_c);
    let (min, max) = (dry.clone().fold(f64::INFINITY, f64::min), dry.clone().fold(f64::NEG_INFINITY, f64::max));
    let mean = dry.sum::<f64>() / hours.len().max(1) as f64;
    let wet_max = hours.iter().map(|h| h.wet_c).fold(f64::NEG_INFINITY, f64::max);
    format!(
        "{}: {} h, dry bulb {min:.1} to {max:.1} °C (mean {mean:.2}), wet bulb up to {wet_max:.1} °C",
        year.location().city,
        hours.len()
    )
}

/// Compares two sites.
pub fn diff(old: &SiteFile, new: &SiteFile, old_name: &str, new_name: &str, catalog: &Catalog) -> SiteDiff {
    let elements = id_changes(&by_id(old), &by_id(new));
    let rooms = id_changes(&rooms_by_id(old), &rooms_by_id(new));
    let settings = setting_changes(old, new);

    let ((ra, la), (rb, lb)) = (steady(old, catalog), steady(new, catalog));
    let (ma, mb) = (margins(&la), margins(&lb));
    let mut element_ids: Vec<&str> = ma.keys().chain(mb.keys()).copied().collect();
    element_ids.sort_by(|x, y| natural_cmp(x, y));
    element_ids.dedup();
    let mut element_headroom: Vec<ElementHeadroom> =
        element_ids.into_iter().filter_map(|id| element_move(id, ma.get(id), mb.get(id))).collect();
    // Most margin lost first; elements that appear or disappear last, in id order.
    element_headroom.sort_by(|a, b| {
        let key = |e: &ElementHeadroom| e.margin_pct.change().unwrap_or(f64::INFINITY);
        key(a).total_cmp(&key(b))
    });
    let pick = |r: &Report, f: fn(&crate::headless::report::ElectricalTotals) -> Option<f64>| {
        r.totals.electrical.as_ref().and_then(f)
    };
    let both = |f: fn(&crate::headless::report::ElectricalTotals) -> Option<f64>| BeforeAfter {
        before: pick(&ra, f),
        after: pick(&rb, f),
    };
    let hottest =
        |r: &Report| r.thermal.as_ref().and_then(|t| t.zones.iter().map(|z| z.hottest_inlet_c).reduce(f64::max));
    let mut limits: Vec<crate::sim::limits::LimitKind> =
        ra.headroom.iter().chain(&rb.headroom).map(|h| h.limit).collect();
    limits.sort();
    limits.dedup();
    let headroom = limits
        .into_iter()
        .map(|l| {
            let (x, y) = (ra.headroom.iter().find(|h| h.limit == l), rb.headroom.iter().find(|h| h.limit == l));
            HeadroomChange {
                limit: l.label().to_string(),
                before_element: x.map(|h| h.element.clone()),
                after_element: y.map(|h| h.element.clone()),
                margin_pct: BeforeAfter { before: x.map(|h| h.margin_pct), after: y.map(|h| h.margin_pct) },
            }
        })
        .collect();
    type Key = (String, String, crate::sim::limits::Severity);
    let active = |r: &Report| -> BTreeMap<Key, AlertChange> {
        r.alerts
            .iter()
            .filter(|a| a.cleared_s.is_none())
            .map(|a| {
                (
                    (a.element.clone(), a.quantity.label().to_string(), a.severity),
                    AlertChange {
                        element: a.element.clone(),
                        quantity: a.quantity.label().to_string(),
                        severity: a.severity.label().to_string(),
                        value: a.value,
                        limit: a.limit,
                        unit: a.unit.to_string(),
                    },
                )
            })
            .collect()
    };
    let (aa, ab) = (active(&ra), active(&rb));
    let sorted = |mut v: Vec<AlertChange>| {
        v.sort_by(|x, y| y.severity.cmp(&x.severity).then(natural_cmp(&x.element, &y.element)));
        v
    };
    let effect = Effect {
        it_load_kw: both(|e| Some(e.it_load_kw)),
        grid_import_kw: both(|e| Some(e.grid_import_kw)),
        cooling_kw: both(|e| Some(e.cooling_kw)),
        pue: both(|e| e.pue),
        hottest_inlet_c: BeforeAfter { before: hottest(&ra), after: hottest(&rb) },
        headroom,
        element_headroom,
        alerts_appear: sorted(ab.iter().filter(|(k, _)| !aa.contains_key(*k)).map(|(_, v)| v.clone()).collect()),
        alerts_clear: sorted(aa.iter().filter(|(k, _)| !ab.contains_key(*k)).map(|(_, v)| v.clone()).collect()),
    };
    SiteDiff {
        schema: "dctwin.diff.v1",
        old: old_name.to_string(),
        new: new_name.to_string(),
        renamed: (old.name != new.name).then(|| (old.name.clone(), new.name.clone())),
        elements,
        settings,
        rooms,
        effect,
    }
}

/// A JSON value as a reviewer reads it: `"UPS-A"` → `UPS-A`, `[1.2,3.0]` → `(1.2, 3.0)`.
fn show(v: &Option<Value>) -> String {
    match v {
        None => "—".into(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(a)) if a.iter().all(Value::is_number) => {
            format!("({})", a.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(", "))
        }
        Some(v) => v.to_string(),
    }
}

fn num(x: Option<f64>, digits: usize) -> String {
    x.map_or("—".into(), |v| format!("{v:.digits$}"))
}

fn signed(x: Option<f64>, digits: usize) -> String {
    x.map_or("—".into(), |v| {
        if v.abs() < 0.5 * 10f64.powi(-(digits as i32)) { "0".into() } else { format!("{v:+.digits$}") }
    })
}

/// `field before → after`.
fn field_markdown(f: &FieldChange) -> String {
    format!("{} {} → {}", f.field, show(&f.before), show(&f.after))
}

/// A section listing things added, removed or changed, each with its changed fields.
fn id_changes_markdown(o: &mut String, title: &str, changes: &[ElementChange]) {
    let count = |c: &str| changes.iter().filter(|e| e.change == c).count();
    let _ = writeln!(
        o,
        "## {title}: {} added, {} removed, {} changed\n",
        count("added"),
        count("removed"),
        count("changed")
    );
    for e in changes {
        match e.change {
            "changed" => {
                let mut kinds: Vec<ChangeKind> = e.fields.iter().map(|f| f.kind).collect();
                kinds.sort();
                kinds.dedup();
                let what: Vec<&str> = kinds.iter().map(|k| k.label()).collect();
                let fields: Vec<String> = e.fields.iter().map(field_markdown).collect();
                let _ = writeln!(o, "- **{}** {} ({}): {}", what.join(", "), e.id, e.kind, fields.join("; "));
            }
            c => {
                let _ = writeln!(o, "- **{c}** {} ({})", e.id, e.kind);
            }
        }
    }
    o.push('\n');
}

impl SiteDiff {
    /// JSON, pretty.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a diff serializes") + "\n"
    }

    /// True when nothing differs (no element, setting or room changed, no renaming).
    pub fn is_empty(&self) -> bool {
        self.elements.is_empty() && self.settings.is_empty() && self.rooms.is_empty() && self.renamed.is_none()
    }

    /// Markdown for a pull-request comment.
    pub fn to_markdown(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(o, "# Site diff: {} → {}\n", self.old, self.new);
        if let Some((a, b)) = &self.renamed {
            let _ = writeln!(o, "Renamed: \"{a}\" → \"{b}\".\n");
        }
        if self.elements.is_empty() {
            let _ = writeln!(o, "No element changed.\n");
        } else {
            id_changes_markdown(&mut o, "Elements", &self.elements);
        }
        if !self.settings.is_empty() {
            let _ = writeln!(o, "## Site settings: {} changed\n", self.settings.len());
            for f in &self.settings {
                let _ = writeln!(o, "- {}", field_markdown(f));
            }
            o.push('\n');
        }
        if !self.rooms.is_empty() {
            id_changes_markdown(&mut o, "Rooms", &self.rooms);
        }
        let x = &self.effect;
        let _ = writeln!(o, "## Effect (steady state)\n\n| | before | after | change |\n|---|---|---|---|");
        for (name, v, unit, d) in [
            ("IT load", x.it_load_kw, " kW", 1),
            ("Grid import", x.grid_import_kw, " kW", 1),
            ("Cooling", x.cooling_kw, " kW", 1),
            ("PUE", x.pue, "", 3),
            ("Hottest inlet", x.hottest_inlet_c, " °C", 2),
        ] {
            let _ = writeln!(
                o,
                "| {name} | {}{unit} | {}{unit} | {}{unit} |",
                num(v.before, d),
                num(v.after, d),
                signed(v.change(), d)
            );
        }
        let _ =
            writeln!(o, "\n| headroom | binds first | margin before | margin after | change |\n|---|---|---|---|---|");
        for h in &x.headroom {
            let who = match (&h.before_element, &h.after_element) {
                (Some(a), Some(b)) if a != b => format!("{a} → {b}"),
                (Some(a), _) | (None, Some(a)) => a.clone(),
                (None, None) => "—".into(),
            };
            let _ = writeln!(
                o,
                "| {} | {who} | {} % | {} % | {} pt |",
                h.limit,
                num(h.margin_pct.before, 1),
                num(h.margin_pct.after, 1),
                signed(h.margin_pct.change(), 1)
            );
        }
        if !x.element_headroom.is_empty() {
            let _ = writeln!(
                o,
                "\n### Elements whose headroom moved ({})\n\n| element | limit | margin before | margin after | change |\n|---|---|---|---|---|",
                x.element_headroom.len()
            );
            for e in x.element_headroom.iter().take(MARKDOWN_ELEMENTS) {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} % | {} % | {} pt |",
                    e.element,
                    e.limit,
                    num(e.margin_pct.before, 1),
                    num(e.margin_pct.after, 1),
                    signed(e.margin_pct.change(), 1)
                );
            }
            if x.element_headroom.len() > MARKDOWN_ELEMENTS {
                let _ = writeln!(o, "\n({} more in the JSON diff.)", x.element_headroom.len() - MARKDOWN_ELEMENTS);
            }
        }
        for (title, list) in [("Alerts that appear", &x.alerts_appear), ("Alerts that clear", &x.alerts_clear)] {
            if list.is_empty() {
                continue;
            }
            let _ = writeln!(o, "\n{title}:\n");
            for a in list {
                let _ = writeln!(
                    o,
                    "- {} {} {}: {:.1} of {:.1} {}",
                    a.severity, a.element, a.quantity, a.value, a.limit, a.unit
                );
            }
        }
        o
    }
}
