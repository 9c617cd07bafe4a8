//! Site validation: every problem in one pass, each pointing at the value that is wrong.

use std::collections::{BTreeMap, HashMap};

use super::problem::Problems;
use super::source_map::SourceMap;
use super::{ElementKind, ElementSpec, FeederSpec, SITE_VERSION, SiteFile};
use crate::catalog::Catalog;
use crate::catalog::rated::NumericField;
use crate::constraint::Constraint;

/// Relative tolerance when matching nominal voltages across a connection.
const VOLTAGE_MATCH_TOLERANCE: f64 = 0.01;

/// A site-file element seen through what validation needs.
struct Node<'a> {
    kind: ElementKind,
    index: usize,
    id: &'a str,
    /// `(field, upstream id)` for each connection (`upstream`, or `feed_a` / `feed_b`).
    links: Vec<(&'static str, &'a str)>,
    /// Nominal input and output voltage (kV) when the model resolved.
    input_kv: Option<f64>,
    output_kv: Option<f64>,
}

impl Node<'_> {
    fn path(&self) -> String {
        format!("{}[{}]", self.kind.section(), self.index)
    }
}

/// Checks `site` against `catalog`; `text` and `file` locate the problems.
pub fn validate(site: &SiteFile, text: &str, file: &str, catalog: &Catalog) -> Result<(), Problems> {
    let map = SourceMap::new(text);
    let mut problems = Problems::default();
    let mut report = |path: &str, msg: String| problems.push(map.problem(file, path, msg));

    if site.version != SITE_VERSION {
        report(
            "version",
            format!("unsupported site file version {}; this dctwin reads version {SITE_VERSION}", site.version),
        );
    }

    let mut nodes: Vec<Node> = Vec::new();
    collect(&site.grid_feeds, catalog, &mut report, &mut nodes);
    collect(&site.transformers, catalog, &mut report, &mut nodes);
    collect(&site.ups, catalog, &mut report, &mut nodes);
    collect(&site.distribution, catalog, &mut report, &mut nodes);
    collect(&site.racks, catalog, &mut report, &mut nodes);
    for (i, rack) in site.racks.iter().enumerate() {
        check_number(&mut report, &format!("racks[{i}]"), "utilization", rack.utilization, super::limits::UTILIZATION);
    }

    // Ids: present, printable, unique.
    let mut by_id: HashMap<&str, usize> = HashMap::new();
    for (n, node) in nodes.iter().enumerate() {
        let id_path = format!("{}.id", node.path());
        if node.id.is_empty() {
            report(&id_path, format!("a {} has an empty id", node.kind.noun()));
            continue;
        }
        if node.id.chars().any(|c| c.is_whitespace() || c.is_control()) {
            report(
                &id_path,
                format!("id \"{}\" contains whitespace; ids are single words like \"PDU-A1\"", node.id.escape_debug()),
            );
        }
        if let Some(&first) = by_id.get(node.id) {
            let (line, _) = map.position(&format!("{}.id", nodes[first].path()));
            report(&id_path, format!("duplicate id \"{}\" (first defined on line {line})", node.id));
        } else {
            by_id.insert(node.id, n);
        }
    }

    // Connections: exist, allowed kinds, matching voltage.
    let mut parents: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    for (n, node) in nodes.iter().enumerate() {
        for &(field, up) in &node.links {
            let link_path = format!("{}.{field}", node.path());
            let Some(&p) = by_id.get(up) else {
                report(
                    &link_path,
                    format!(
                        "{} \"{}\" is connected to \"{up}\", but no element has that id",
                        node.kind.noun(),
                        node.id
                    ),
                );
                continue;
            };
            let parent = &nodes[p];
            if !may_feed(parent.kind, node.kind) {
                report(
                    &link_path,
                    format!(
                        "a {} cannot be fed from a {} (\"{}\" feeds \"{}\"); {}",
                        node.kind.noun(),
                        parent.kind.noun(),
                        parent.id,
                        node.id,
                        allowed_parents(node.kind)
                    ),
                );
                continue;
            }
            parents[n].push(p);
            if let (Some(out_kv), Some(in_kv)) = (parent.output_kv, node.input_kv)
                && (out_kv - in_kv).abs() > VOLTAGE_MATCH_TOLERANCE * in_kv.max(out_kv)
            {
                let hint = if out_kv > in_kv * 1.5 { " (a transformer is needed in between)" } else { "" };
                report(
                    &link_path,
                    format!(
                        "voltage mismatch: {} \"{}\" is rated {in_kv} kV but \"{}\" supplies {out_kv} kV{hint}",
                        node.kind.noun(),
                        node.id,
                        parent.id
                    ),
                );
            }
        }
    }

    // Cycles: follow the (single) upstream of every non-rack element.
    let mut state = vec![0u8; nodes.len()]; // 0 unvisited, 1 on the current walk, 2 done
    for start in 0..nodes.len() {
        if state[start] != 0 || nodes[start].kind == ElementKind::Rack {
            continue;
        }
        let mut walk = vec![start];
        let mut at = start;
        state[at] = 1;
        while let Some(&p) = parents[at].first() {
            if state[p] == 1 {
                let cycle_start = walk.iter().position(|&w| w == p).unwrap_or(0);
                let mut ids: Vec<&str> = walk[cycle_start..].iter().map(|&w| nodes[w].id).collect();
                ids.push(nodes[p].id);
                let first = walk[cycle_start..].iter().copied().min().unwrap_or(p);
                report(
                    &format!("{}.upstream", nodes[first].path()),
                    format!("connection cycle: {}; power must flow from a grid feed", ids.join(" → ")),
                );
                break;
            }
            if state[p] == 2 {
                break;
            }
            state[p] = 1;
            walk.push(p);
            at = p;
        }
        for w in walk {
            state[w] = 2;
        }
    }
    let has_cycle = !is_acyclic(&nodes, &parents);

    // Dual-corded racks: the two cords must take independent paths below the grid feed.
    if !has_cycle {
        for node in nodes.iter().filter(|n| n.kind == ElementKind::Rack && n.links.len() == 2) {
            let (a, b) = (node.links[0].1, node.links[1].1);
            let b_path = format!("{}.feed_b", node.path());
            if a == b {
                report(
                    &b_path,
                    format!(
                        "rack \"{}\" has \"{a}\" as both its A and B feed; a dual-corded rack needs two different feeds",
                        node.id
                    ),
                );
                continue;
            }
            let (Some(&pa), Some(&pb)) = (by_id.get(a), by_id.get(b)) else {
                continue;
            };
            let chain_a = ancestors(pa, &parents);
            if let Some(shared) = ancestors(pb, &parents).into_iter().find(|x| chain_a.contains(x)) {
                let s = &nodes[shared];
                if matches!(s.kind, ElementKind::Ups | ElementKind::Distribution) {
                    report(
                        &b_path,
                        format!(
                            "rack \"{}\" is fed twice from the same path: its A and B feeds both run through {} \"{}\"",
                            node.id,
                            s.kind.noun(),
                            s.id
                        ),
                    );
                }
            }
        }
    }

    validate_cooling(site, catalog, &map, &nodes, &by_id, &mut report);
    problems.into_result(())
}

/// True when following upstreams from any element ends at a root (no cycle).
fn is_acyclic(nodes: &[Node], parents: &[Vec<usize>]) -> bool {
    (0..nodes.len()).all(|start| {
        let mut at = start;
        for _ in 0..=nodes.len() {
            match parents[at].first() {
                Some(&p) if nodes[at].kind != ElementKind::Rack || at == start => at = p,
                _ => return true,
            }
        }
        false
    })
}

/// The element itself and every element above it (first upstream only), nearest first.
fn ancestors(start: usize, parents: &[Vec<usize>]) -> Vec<usize> {
    let mut out = vec![start];
    let mut at = start;
    while let Some(&p) = parents[at].first() {
        if out.contains(&p) {
            break;
        }
        out.push(p);
        at = p;
    }
    out
}

/// Checks what every element of one section has in common and records it for the
/// connection checks.
fn collect<'a, E: ElementSpec>(
    items: &'a [E],
    catalog: &Catalog,
    report: &mut impl FnMut(&str, String),
    nodes: &mut Vec<Node<'a>>,
) {
    for (index, e) in items.iter().enumerate() {
        let path = format!("{}[{index}]", E::KIND.section());
        let kv = e.nominal_kv(catalog);
        if kv.is_none() {
            report(&format!("{path}.model"), unknown_model(catalog, E::KIND, e.model()));
        }
        check_numbers(report, &path, e.override_numbers());
        for (field, msg) in e.override_inconsistencies(catalog) {
            report(&format!("{path}.overrides.{field}"), msg);
        }
        check_feeder(report, catalog, &path, e.feeder());
        let (position_m, rotation_deg) = e.placement();
        check_placement(report, &path, position_m, rotation_deg);
        nodes.push(Node {
            kind: E::KIND,
            index,
            id: e.id(),
            links: e.links(),
            input_kv: kv.map(|k| k.0),
            output_kv: kv.and_then(|k| k.1),
        });
    }
}

/// Which kinds may feed which.
pub fn may_feed(parent: ElementKind, child: ElementKind) -> bool {
    use ElementKind::*;
    matches!(
        (parent, child),
        (GridFeed | Transformer | Distribution, Transformer)
            | (Transformer | Distribution, Ups)
            | (GridFeed | Transformer | Ups | Distribution, Distribution)
            | (Ups | Distribution, Rack)
    )
}

fn allowed_parents(child: ElementKind) -> &'static str {
    match child {
        ElementKind::GridFeed => "grid feeds have no upstream",
        ElementKind::Transformer => "a transformer is fed from a grid feed, a transformer or a switchboard",
        ElementKind::Ups => "a UPS is fed from a transformer or a switchboard",
        ElementKind::Distribution => "distribution is fed from a grid feed, transformer, UPS or other distribution",
        ElementKind::Rack => "racks are fed from a PDU, RPP, busway, switchboard or UPS",
    }
}

fn unknown_model(catalog: &Catalog, kind: ElementKind, model: &str) -> String {
    let names: Vec<&String> = match kind {
        ElementKind::GridFeed => catalog.grid_feeds.keys().collect(),
        ElementKind::Transformer => catalog.transformers.keys().collect(),
        ElementKind::Ups => catalog.ups.keys().collect(),
        ElementKind::Distribution => catalog.distribution.keys().collect(),
        ElementKind::Rack => catalog.racks.keys().collect(),
    };
    let elsewhere: BTreeMap<&str, bool> = [
        ("grid feed", catalog.grid_feeds.contains_key(model)),
        ("transformer", catalog.transformers.contains_key(model)),
        ("UPS", catalog.ups.contains_key(model)),
        ("distribution", catalog.distribution.contains_key(model)),
        ("rack", catalog.racks.contains_key(model)),
        ("cable", catalog.cables.contains_key(model)),
    ]
    .into_iter()
    .collect();
    if let Some((other, _)) = elsewhere.iter().find(|(_, found)| **found) {
        return format!("\"{model}\" is a {other} model, not a {} model", kind.noun());
    }
    let list: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
    format!("unknown {} model \"{model}\"; the catalog has: {}", kind.noun(), list.join(", "))
}

fn check_numbers(report: &mut impl FnMut(&str, String), path: &str, fields: Vec<NumericField>) {
    for n in fields {
        if let Some(msg) = n.problem() {
            report(&format!("{path}.overrides.{}", n.path()), msg);
        }
    }
}

/// Reports `value` of `field` (at `path.field`) when `constraint` refuses it.
fn check_number(report: &mut impl FnMut(&str, String), path: &str, field: &str, value: f64, constraint: Constraint) {
    if let Some(msg) = constraint.problem(field, value) {
        report(&format!("{path}.{field}"), msg);
    }
}

fn check_feeder(report: &mut impl FnMut(&str, String), catalog: &Catalog, path: &str, feeder: Option<&FeederSpec>) {
    let Some(f) = feeder else { return };
    if !catalog.cables.contains_key(&f.cable) {
        let list: Vec<&str> = catalog.cables.keys().map(|s| s.as_str()).collect();
        report(
            &format!("{path}.feeder.cable"),
            format!("unknown cable model \"{}\"; the catalog has: {}", f.cable, list.join(", ")),
        );
    }
    let feeder = format!("{path}.feeder");
    check_number(report, &feeder, "length_m", f.length_m, super::limits::FEEDER_LENGTH_M);
    check_number(report, &feeder, "sets", f64::from(f.sets), super::limits::FEEDER_SETS);
}

fn check_placement(report: &mut impl FnMut(&str, String), path: &str, position_m: (f64, f64), rotation_deg: f64) {
    use super::limits::{POSITION_M, ROTATION_DEG};
    if !(POSITION_M.accepts(position_m.0) && POSITION_M.accepts(position_m.1)) {
        report(
            &format!("{path}.position_m"),
            format!("position_m must be two finite numbers of metres within {}", POSITION_M.describe()),
        );
    }
    check_number(report, path, "rotation_deg", rotation_deg, ROTATION_DEG);
}

/// Cooling sections: ids unique across the whole site, references to zones, loops, CDUs and
/// electrical supplies resolve to the right kind, numbers are physical, and once the site has
/// cooling every rack's heat has somewhere to go.
fn validate_cooling(
    site: &SiteFile,
    catalog: &Catalog,
    map: &SourceMap,
    nodes: &[Node],
    by_id: &HashMap<&str, usize>,
    report: &mut impl FnMut(&str, String),
) {
    // (section, index, id) of every cooling element, for duplicate ids and references.
    let mut declared: Vec<(&'static str, usize, &str)> = Vec::new();
    declared.extend(site.zones.iter().enumerate().map(|(i, e)| ("zones", i, e.id.as_str())));
    declared.extend(site.water_loops.iter().enumerate().map(|(i, e)| ("water_loops", i, e.id.as_str())));
    declared.extend(site.crahs.iter().enumerate().map(|(i, e)| ("crahs", i, e.id.as_str())));
    declared.extend(site.cdus.iter().enumerate().map(|(i, e)| ("cdus", i, e.id.as_str())));
    declared.extend(site.chillers.iter().enumerate().map(|(i, e)| ("chillers", i, e.id.as_str())));
    declared.extend(site.heat_rejection.iter().enumerate().map(|(i, e)| ("heat_rejection", i, e.id.as_str())));
    let mut section_of: HashMap<&str, &'static str> = HashMap::new();
    for &(section, i, id) in &declared {
        let path = format!("{section}[{i}].id");
        if id.is_empty() || id.chars().any(|c| c.is_whitespace() || c.is_control()) {
            report(&path, format!("id \"{}\" must be a single word like \"CRAH-1\"", id.escape_debug()));
        } else if let Some(&n) = by_id.get(id) {
            let (line, _) = map.position(&format!("{}.id", nodes[n].path()));
            report(&path, format!("duplicate id \"{id}\" (first defined on line {line})"));
        } else if section_of.insert(id, section).is_some() {
            report(&path, format!("duplicate id \"{id}\""));
        }
    }
    let expect = |path: String, id: &str, section: &'static str, what: &str, report: &mut dyn FnMut(&str, String)| {
        match section_of.get(id) {
            Some(&s) if s == section => {}
            Some(&s) => report(&path, format!("\"{id}\" is in {s}, not a {what}")),
            None => report(&path, format!("no {what} has the id \"{id}\"")),
        }
    };
    // Electrical supplies of cooling equipment: loads, like racks.
    let supply = |path: String, id: &str, report: &mut dyn FnMut(&str, String)| match by_id.get(id) {
        Some(&n) if matches!(nodes[n].kind, ElementKind::Distribution | ElementKind::Ups) => {}
        Some(&n) => report(
            &path,
            format!(
                "cooling equipment is supplied like a rack, from distribution or a UPS, not from {} \"{id}\"",
                nodes[n].kind.noun()
            ),
        ),
        None => report(&path, format!("electrical supply \"{id}\" does not exist")),
    };
    use super::cooling::limits::*;
    let number = |path: String, field: &str, value: f64, c: Constraint, report: &mut dyn FnMut(&str, String)| {
        if let Some(msg) = c.problem(field, value) {
            report(&path, msg);
        }
    };

    for (i, z) in site.zones.iter().enumerate() {
        number(format!("zones[{i}].volume_m3"), "volume_m3", z.volume_m3, ZONE_VOLUME_M3, report);
        check_placement(report, &format!("zones[{i}]"), z.position_m, 0.0);
    }
    for (i, l) in site.water_loops.iter().enumerate() {
        number(format!("water_loops[{i}].volume_m3"), "volume_m3", l.volume_m3, LOOP_VOLUME_M3, report);
        number(format!("water_loops[{i}].pump_power_kw"), "pump_power_kw", l.pump_power_kw, PUMP_POWER_KW, report);
        check_placement(report, &format!("water_loops[{i}]"), l.position_m, 0.0);
        let setpoint_path = format!("water_loops[{i}].supply_setpoint_c");
        if let Some(msg) = WATER_TEMPERATURE_C.problem("supply_setpoint_c", l.supply_setpoint_c) {
            report(&setpoint_path, msg);
        } else if let Some(class) = l.water_class
            && l.supply_setpoint_c > class.max_supply_c()
        {
            report(
                &format!("water_loops[{i}].supply_setpoint_c"),
                format!(
                    "setpoint {} °C is above the {class:?} limit of {} °C",
                    l.supply_setpoint_c,
                    class.max_supply_c()
                ),
            );
        }
        supply(format!("water_loops[{i}].upstream"), &l.upstream, report);
        for (k, standby) in l.standby_pumps.iter().enumerate() {
            supply(format!("water_loops[{i}].standby_pumps[{k}]"), standby, report);
            if *standby == l.upstream || l.standby_pumps[..k].contains(standby) {
                report(
                    &format!("water_loops[{i}].standby_pumps[{k}]"),
                    format!("pump set supply \"{standby}\" is listed twice; a standby set needs its own supply"),
                );
            }
        }
    }
    macro_rules! units {
        ($section:ident, $catalog:ident, $noun:literal) => {
            for (i, u) in site.$section.iter().enumerate() {
                let path = format!("{}[{i}]", stringify!($section));
                if !catalog.$catalog.contains_key(&u.model) {
                    let list: Vec<&str> = catalog.$catalog.keys().map(|s| s.as_str()).collect();
                    report(
                        &format!("{path}.model"),
                        format!("unknown {} model \"{}\"; the catalog has: {}", $noun, u.model, list.join(", ")),
                    );
                }
                for n in u.overrides.numeric_fields() {
                    if let Some(msg) = n.problem() {
                        report(&format!("{path}.overrides.{}", n.path()), msg);
                    }
                }
                if let Some(m) = catalog.$catalog.get(&u.model)
                    && !u.overrides.is_empty()
                {
                    use crate::catalog::Consistency;
                    let resolved = u.overrides.apply(&m.rating());
                    let cross = if resolved.numbers_valid() { resolved.inconsistencies() } else { vec![] };
                    for (field, msg) in cross {
                        report(&format!("{path}.overrides.{field}"), msg);
                    }
                }
                expect(format!("{path}.water_loop"), &u.water_loop, "water_loops", "water loop", report);
                supply(format!("{path}.upstream"), &u.upstream, report);
                check_placement(report, &path, u.position_m, u.rotation_deg);
            }
        };
    }
    units!(crahs, crahs, "CRAH");
    units!(cdus, cdus, "CDU");
    units!(chillers, chillers, "chiller");
    units!(heat_rejection, heat_rejection, "heat rejection");
    for (i, c) in site.crahs.iter().enumerate() {
        expect(format!("crahs[{i}].zone"), &c.zone, "zones", "zone", report);
    }

    let has_cooling = !section_of.is_empty();
    if has_cooling && site.ambient.is_none() {
        report("name", "a site with cooling needs `ambient: (dry_bulb_c: .., wet_bulb_c: ..)`".into());
    }
    if let Some(a) = &site.ambient {
        let mut in_range = true;
        for (path, field, value) in
            [("ambient.dry_bulb_c", "dry_bulb_c", a.dry_bulb_c), ("ambient.wet_bulb_c", "wet_bulb_c", a.wet_bulb_c)]
        {
            if let Some(msg) = OUTDOOR_C.problem(field, value) {
                report(path, msg);
                in_range = false;
            }
        }
        for (h, &(dry, wet)) in a.hourly.iter().enumerate() {
            if !(OUTDOOR_C.accepts(dry) && OUTDOOR_C.accepts(wet)) {
                report(
                    &format!("ambient.hourly[{h}]"),
                    format!("hour {h}: temperatures must be within {}", OUTDOOR_C.describe()),
                );
                in_range = false;
            }
        }
        let wet_below_dry = a.wet_bulb_c <= a.dry_bulb_c && a.hourly.iter().all(|h| h.1 <= h.0);
        if in_range && !wet_below_dry {
            report("ambient", "the wet bulb cannot be above the dry bulb".into());
        }
    }
    // Rooms of electrical equipment (where their losses go).
    let rooms = site
        .transformers
        .iter()
        .enumerate()
        .map(|(i, e)| ("transformers", i, &e.zone))
        .chain(site.ups.iter().enumerate().map(|(i, e)| ("ups", i, &e.zone)))
        .chain(site.distribution.iter().enumerate().map(|(i, e)| ("distribution", i, &e.zone)));
    for (section, i, zone) in rooms {
        if let Some(z) = zone {
            expect(format!("{section}[{i}].zone"), z, "zones", "zone", report);
        }
    }
    for (i, r) in site.racks.iter().enumerate() {
        if let Some(z) = &r.zone {
            expect(format!("racks[{i}].zone"), z, "zones", "zone", report);
        }
        if let Some(c) = &r.cdu {
            expect(format!("racks[{i}].cdu"), c, "cdus", "CDU", report);
        }
        let Some(model) = catalog.racks.get(&r.model) else { continue };
        let liquid = r.overrides.liquid_fraction.unwrap_or(model.liquid_fraction);
        if has_cooling && r.zone.is_none() && liquid < 1.0 {
            report(&format!("racks[{i}]"), format!("rack \"{}\" has air-side heat but no `zone`", r.id));
        }
        if has_cooling && r.cdu.is_none() && liquid > 0.0 {
            report(
                &format!("racks[{i}]"),
                format!("rack \"{}\" is {:.0} % liquid-cooled but has no `cdu`", r.id, liquid * 100.0),
            );
        }
    }
}

/// How far outside the catalog's span an overridden value may go before it earns a warning:
/// a factor of ten either way is more than any real model differs from its neighbours, and is
/// what a unit mistake (W for kW, A for kA) looks like.
pub const PLAUSIBILITY_FACTOR: f64 = 10.0;

/// Plausibility warnings (not refusals): overridden ratings more than [`PLAUSIBILITY_FACTOR`]
/// outside the span of the catalog's models of the same kind. Call on a site that validated.
pub fn warnings(site: &SiteFile, text: &str, file: &str, catalog: &Catalog) -> Vec<super::problem::Problem> {
    let map = SourceMap::new(text);
    let mut out = Vec::new();
    macro_rules! sections {
        ($($section:ident: $noun:literal),*) => {$(
            let mut span: HashMap<(&str, Option<usize>), (f64, f64)> = HashMap::new();
            for m in catalog.$section.values() {
                for n in m.rating().numeric_fields() {
                    let e = span.entry((n.name, n.index)).or_insert((n.value, n.value));
                    *e = (e.0.min(n.value), e.1.max(n.value));
                }
            }
            for (i, e) in site.$section.iter().enumerate() {
                for n in e.overrides.numeric_fields() {
                    let Some(&(lo, hi)) = span.get(&(n.name, n.index)) else { continue };
                    let far_above = n.value > hi * PLAUSIBILITY_FACTOR && hi > 0.0;
                    let far_below = n.value < lo / PLAUSIBILITY_FACTOR && lo > 0.0;
                    if far_above || far_below {
                        let unit = if n.constraint.unit.is_empty() { String::new() } else { format!(" {}", n.constraint.unit) };
                        let path = format!("{}[{i}].overrides.{}", stringify!($section), n.path());
                        out.push(map.problem(file, &path, format!(
                            "{} \"{}\": {} {}{unit} is far outside the catalog's {} models ({lo}–{hi}{unit}); check the value and its unit",
                            $noun, e.id, n.path(), n.value, $noun
                        )));
                    }
                }
            }
        )*};
    }
    sections!(grid_feeds: "grid feed", transformers: "transformer", ups: "UPS", distribution: "distribution",
        racks: "rack", crahs: "CRAH", cdus: "CDU", chillers: "chiller", heat_rejection: "heat rejection");
    out.sort();
    out
}
