//! Site validation: every problem in one pass, each pointing at the value that is wrong.
//!
//! The checks know no kind by name: they read each element through [`SiteSpec`] (its id, model,
//! numbers, connections and their [`Target`]s) and the table of kinds (who may feed whom). They
//! are split so an edit can be judged by checking only what it can affect
//! ([`validate_change`]): the checks of one element, of the connections into it, and the walks
//! (cycles, dual-cord paths) through it. A test holds the two to the same answers.

use std::cell::OnceCell;
use std::collections::{BTreeMap, BTreeSet};

/// Maps and sets of element ids, hashed fast (validation of a 10k-rack edit does ~50k lookups).
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::FixedState>;
type HashSet<K> = std::collections::HashSet<K, foldhash::fast::FixedState>;

use super::problem::Problems;
use super::source_map::SourceMap;
use super::spec::{SiteFacts, SiteSpec, Target};
use super::{FeederSpec, SITE_VERSION, SiteFile};
use crate::catalog::Catalog;
use crate::constraint::Constraint;
use crate::kinds::{EquipmentKind, Role, with_article};

/// Relative tolerance when matching nominal voltages across a connection.
const VOLTAGE_MATCH_TOLERANCE: f64 = 0.01;

/// One element of the site, with what the checks between elements need.
struct Node<'a> {
    spec: &'a dyn SiteSpec,
    index: usize,
    /// Nominal input and output voltage (kV) when the element is on the network and its model
    /// resolved; worked out when first needed (an edit's check needs few).
    kv: OnceCell<Option<(f64, Option<f64>)>>,
}

impl<'a> Node<'a> {
    fn kind(&self) -> EquipmentKind {
        self.spec.kind()
    }

    fn id(&self) -> &'a str {
        let spec: &'a dyn SiteSpec = self.spec;
        spec.id()
    }

    fn path(&self) -> String {
        format!("{}[{}]", self.kind().section(), self.index)
    }

    fn kv(&self, catalog: &Catalog) -> Option<(f64, Option<f64>)> {
        *self.kv.get_or_init(|| self.spec.rated().and_then(|r| r.nominal_kv(catalog)))
    }

    fn input_kv(&self, catalog: &Catalog) -> Option<f64> {
        self.kv(catalog).map(|k| k.0)
    }

    fn output_kv(&self, catalog: &Catalog) -> Option<f64> {
        self.kv(catalog).and_then(|k| k.1)
    }
}

/// The site seen as a graph: every element, the first element of each id, and the elements
/// that feed each one (resolved, allowed connections only).
struct Graph<'a> {
    catalog: &'a Catalog,
    nodes: Vec<Node<'a>>,
    by_id: HashMap<&'a str, usize>,
    /// For each element, the elements its feed connections resolve to, in field order.
    feeds: Vec<Vec<usize>>,
    /// For each element, true when one of its connections names an id in the `changed` set
    /// the graph was built with.
    links_changed: Vec<bool>,
}

impl<'a> Graph<'a> {
    /// The graph of `site`; `changed` marks the elements connected to those ids.
    fn new(site: &'a SiteFile, catalog: &'a Catalog, changed: &HashSet<&str>) -> Graph<'a> {
        let nodes: Vec<Node> =
            site.elements().into_iter().map(|(index, spec)| Node { spec, index, kv: OnceCell::new() }).collect();
        let mut by_id: HashMap<&str, usize> = HashMap::with_capacity_and_hasher(nodes.len(), Default::default());
        for (n, node) in nodes.iter().enumerate() {
            by_id.entry(node.id()).or_insert(n);
        }
        let mut feeds = Vec::with_capacity(nodes.len());
        let mut links_changed = Vec::with_capacity(nodes.len());
        for node in &nodes {
            let (mut to_changed, mut fed_by) = (false, Vec::new());
            node.spec.visit_links(&mut |field, target| {
                to_changed |= changed.contains(target);
                if field.target == Target::Feed
                    && let Some(&p) = by_id.get(target)
                    && node.kind().may_be_fed_by(nodes[p].kind())
                {
                    fed_by.push(p);
                }
            });
            links_changed.push(to_changed);
            feeds.push(fed_by);
        }
        Graph { catalog, nodes, by_id, feeds, links_changed }
    }

    /// The element itself and every element above it through first feeds, nearest first.
    fn ancestors(&self, start: usize) -> Vec<usize> {
        let mut out = vec![start];
        let mut at = start;
        while let Some(&p) = self.feeds[at].first() {
            if out.contains(&p) {
                break;
            }
            out.push(p);
            at = p;
        }
        out
    }
}

/// What a connection field of `spec` points at.
fn link_target(spec: &dyn SiteSpec, field: &str) -> Option<Target> {
    spec.link_fields().iter().find(|l| l.name == field).map(|l| l.target)
}

/// Which elements to check: all, or those an edit can affect.
enum Scope {
    All,
    /// Which elements (by index) to check one by one and walk from.
    Some(Vec<bool>),
}

impl Scope {
    fn has(&self, n: usize) -> bool {
        match self {
            Scope::All => true,
            Scope::Some(set) => set[n],
        }
    }
}

/// Where the value at a path of a site (`racks[3].feed_a`) is written: file, line and column.
pub trait Locate {
    /// File, line and column of the value at `path` (or of its nearest enclosing value).
    fn locate(&self, path: &str) -> (String, usize, usize);
}

/// One file's text, by its [`SourceMap`].
struct InFile<'a> {
    map: SourceMap,
    file: &'a str,
}

impl Locate for InFile<'_> {
    fn locate(&self, path: &str) -> (String, usize, usize) {
        let (line, col) = self.map.position(path);
        (self.file.to_string(), line, col)
    }
}

/// A composed site: each element in its own file.
impl Locate for super::compose::Composition {
    fn locate(&self, path: &str) -> (String, usize, usize) {
        super::compose::Composition::locate(self, path)
    }
}

/// Checks `site` against `catalog`; `text` and `file` locate the problems.
pub fn validate(site: &SiteFile, text: &str, file: &str, catalog: &Catalog) -> Result<(), Problems> {
    validate_located(site, catalog, &InFile { map: SourceMap::new(text), file }, Vec::new())
}

/// Checks `site` against `catalog`, with `more` problems found before (as `(path, message)`);
/// `locate` says where each path is written.
pub fn validate_located(
    site: &SiteFile,
    catalog: &Catalog,
    locate: &dyn Locate,
    more: Vec<(String, String)>,
) -> Result<(), Problems> {
    let graph = Graph::new(site, catalog, &HashSet::default());
    let mut found = problems(site, catalog, &graph, &Scope::All, locate);
    found.extend(more);
    report(locate, found)
}

/// Checks `site` after an edit of the elements with ids `changed` (added, changed or removed),
/// given that the site before the edit was valid and had cooling or not (`had_cooling`): only
/// the elements the edit can affect are checked, with the same checks and messages as
/// [`validate`] (a test holds the two to the same answers on random edits).
pub fn validate_change(
    site: &SiteFile,
    changed: &BTreeSet<String>,
    had_cooling: bool,
    catalog: &Catalog,
) -> Result<(), Problems> {
    let locate = InFile { map: SourceMap::new(""), file: "site" };
    let changed: HashSet<&str> = changed.iter().map(String::as_str).collect();
    let graph = Graph::new(site, catalog, &changed);
    // Whether the site has cooling decides what racks must say: when the edit changes it,
    // every rack is affected.
    let scope = if site.has_cooling() == had_cooling { affected(&graph, &changed) } else { Scope::All };
    report(&locate, problems(site, catalog, &graph, &scope, &locate))
}

fn report(locate: &dyn Locate, mut found: Vec<(String, String)>) -> Result<(), Problems> {
    found.sort();
    found.dedup();
    let mut problems = Problems::default();
    for (path, msg) in found {
        problems.push(located(locate, &path, &msg));
    }
    problems.into_result(())
}

fn located(locate: &dyn Locate, path: &str, message: &str) -> super::problem::Problem {
    let (file, line, col) = locate.locate(path);
    super::problem::Problem { file, line, col, message: super::problem::shorten_quoted(message) }
}

/// The elements an edit of `changed` ids can affect: those with a changed id (and any other
/// element of the same id), those connected to a changed id, and everything fed from below a
/// changed element (its dual-cord paths may have changed).
fn affected(graph: &Graph, changed: &HashSet<&str>) -> Scope {
    let mut set = vec![false; graph.nodes.len()];
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); graph.nodes.len()];
    let mut stack = Vec::new();
    for (n, node) in graph.nodes.iter().enumerate() {
        if changed.contains(node.id()) || graph.links_changed[n] {
            set[n] = true;
            stack.push(n);
        }
        for &p in &graph.feeds[n] {
            children[p].push(n);
        }
    }
    while let Some(n) = stack.pop() {
        for &c in &children[n] {
            if !set[c] {
                set[c] = true;
                stack.push(c);
            }
        }
    }
    Scope::Some(set)
}

/// Every problem of the elements in `scope`, as `(path, message)`.
fn problems(
    site: &SiteFile,
    catalog: &Catalog,
    graph: &Graph,
    scope: &Scope,
    locate: &dyn Locate,
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    if site.version != SITE_VERSION {
        out.push((
            "version".into(),
            format!("unsupported site file version {}; this dctwin reads version {SITE_VERSION}", site.version),
        ));
    }
    let facts = SiteFacts { has_cooling: site.has_cooling() };
    for (n, node) in graph.nodes.iter().enumerate() {
        if !scope.has(n) {
            continue;
        }
        element_problems(&mut out, node, catalog, facts);
        id_problems(&mut out, graph, n, locate);
        link_problems(&mut out, graph, n);
    }
    let has_cycle = cycle_problems(&mut out, graph, scope);
    if !has_cycle {
        dual_cord_problems(&mut out, graph, scope);
    }
    site_problems(&mut out, site, facts);
    super::room::room_problems(&mut out, &site.rooms);
    super::room::zone_outline_problems(&mut out, &site.zones);
    if let Some(e) = &site.economics {
        out.extend(e.problems(|model| !catalog.sections_with(model).is_empty()));
    }
    common_mode_problems(&mut out, site);
    out
}

/// Common-mode groups: each names at least two elements (one event taking out one element is
/// that element's own failure), once each, and is not also an element's id (a sweep's case ids
/// would not say which is meant).
fn common_mode_problems(out: &mut Vec<(String, String)>, site: &SiteFile) {
    let elements = site.elements();
    let mut members: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut ids: HashSet<&str> = HashSet::default();
    for (i, e) in &elements {
        ids.insert(e.id());
        for (j, g) in e.common_mode().iter().enumerate() {
            let path = format!("{}[{i}].common_mode[{j}]", e.kind().section());
            if g.trim().is_empty() {
                out.push((path, "a common-mode group needs a name".into()));
            } else if e.common_mode()[..j].contains(g) {
                out.push((path, format!("{} \"{}\" lists common-mode group \"{g}\" twice", e.kind().noun(), e.id())));
            } else {
                members.entry(g).or_default().push(path);
            }
        }
    }
    for (g, paths) in members {
        if ids.contains(g) {
            for p in &paths {
                out.push((
                    p.clone(),
                    format!("common-mode group \"{g}\" has the id of an element: give the group a name of its own"),
                ));
            }
        } else if paths.len() == 1 {
            out.push((
                paths[0].clone(),
                format!(
                    "common-mode group \"{g}\" has one member: a group is two or more elements one event takes out together"
                ),
            ));
        }
    }
}

/// What one element can get wrong on its own: its model, numbers, feeder and placement.
fn element_problems(out: &mut Vec<(String, String)>, node: &Node, catalog: &Catalog, facts: SiteFacts) {
    let path = node.path();
    let e = node.spec;
    if let Some(r) = e.rated() {
        if !r.model_known(catalog) {
            out.push((format!("{path}.model"), unknown_model(catalog, node.kind(), r.model())));
        }
        for n in r.override_numbers() {
            if let Some(msg) = n.problem() {
                out.push((format!("{path}.overrides.{}", n.path()), msg));
            }
        }
        for (field, msg) in r.override_inconsistencies(catalog) {
            out.push((format!("{path}.overrides.{field}"), msg));
        }
    }
    let mut numbers_ok = true;
    for (field, value, constraint) in e.own_numbers() {
        if let Some(msg) = constraint.problem(field, value) {
            out.push((format!("{path}.{field}"), msg));
            numbers_ok = false;
        }
    }
    if numbers_ok {
        for (field, msg) in e.own_problems(catalog, facts) {
            let at = if field.is_empty() { path.clone() } else { format!("{path}.{field}") };
            out.push((at, msg));
        }
    }
    if let Some(f) = e.feeder() {
        feeder_problems(out, catalog, &path, f);
    }
    placement_problems(out, &path, e.position_m(), e.rotation_deg());
}

/// Ids are present, single words and unique across the whole site.
fn id_problems(out: &mut Vec<(String, String)>, graph: &Graph, n: usize, locate: &dyn Locate) {
    let node = &graph.nodes[n];
    let path = format!("{}.id", node.path());
    let id = node.id();
    if id.is_empty() {
        out.push((path, format!("{} has an empty id", with_article(node.kind().noun()))));
        return;
    }
    if id.chars().any(|c| c.is_whitespace() || c.is_control()) {
        out.push((
            path.clone(),
            format!(
                "id \"{}\" contains whitespace; ids are single words like \"{}1\"",
                id.escape_debug(),
                node.kind().id_prefix()
            ),
        ));
    }
    if let Some(&first) = graph.by_id.get(id)
        && first != n
    {
        let (first_file, line, _) = locate.locate(&format!("{}.id", graph.nodes[first].path()));
        let (file, _, _) = locate.locate(&path);
        let at = if first_file == file { format!("on line {line}") } else { format!("in {first_file} on line {line}") };
        out.push((path, format!("duplicate id \"{id}\" (first defined {at})")));
    }
}

/// Connections: they exist, point at a kind that fits and, for power, at a matching voltage.
fn link_problems(out: &mut Vec<(String, String)>, graph: &Graph, n: usize) {
    let node = &graph.nodes[n];
    let (kind, id) = (node.kind(), node.id());
    let mut counts: HashMap<&str, usize> = HashMap::default();
    for (field, target) in node.spec.links() {
        let Some(link) = node.spec.link_fields().iter().find(|l| l.name == field) else { continue };
        let count = counts.entry(field).or_insert(0);
        let link_path = match link.arity {
            super::spec::Arity::Many => format!("{}.{field}[{count}]", node.path()),
            _ => format!("{}.{field}", node.path()),
        };
        *count += 1;
        let parent = graph.by_id.get(target).map(|&p| &graph.nodes[p]);
        match (link.target, parent) {
            (Target::Feed, None) => out.push((
                link_path,
                format!("{} \"{id}\" is connected to \"{target}\", but no element has that id", kind.noun()),
            )),
            (Target::Kind(k), None) => out.push((link_path, format!("no {} has the id \"{target}\"", k.noun()))),
            (Target::Kind(k), Some(p)) if p.kind() != k => out.push((
                link_path,
                format!("\"{target}\" is {}, not {}", with_article(p.kind().noun()), with_article(k.noun())),
            )),
            (Target::Kind(_), Some(_)) => {}
            (Target::Feed, Some(p)) if !kind.may_be_fed_by(p.kind()) => out.push((
                link_path,
                format!(
                    "{} cannot be fed from {} (\"{}\" feeds \"{id}\"); {}",
                    with_article(kind.noun()),
                    with_article(p.kind().noun()),
                    p.id(),
                    kind.fed_from_sentence()
                ),
            )),
            (Target::Feed, Some(p)) => {
                if let (Some(out_kv), Some(in_kv)) = (p.output_kv(graph.catalog), node.input_kv(graph.catalog))
                    && (out_kv - in_kv).abs() > VOLTAGE_MATCH_TOLERANCE * in_kv.max(out_kv)
                {
                    let hint = if out_kv > in_kv * 1.5 { " (a transformer is needed in between)" } else { "" };
                    out.push((
                        link_path,
                        format!(
                            "voltage mismatch: {} \"{id}\" is rated {in_kv} kV but \"{}\" supplies {out_kv} kV{hint}",
                            kind.noun(),
                            p.id()
                        ),
                    ));
                }
            }
        }
    }
}

/// Connection cycles among network nodes (power must flow from a grid feed); true when there
/// is one. Walks from every node in scope: a cycle an edit made passes through a changed node.
fn cycle_problems(out: &mut Vec<(String, String)>, graph: &Graph, scope: &Scope) -> bool {
    let nodes = &graph.nodes;
    let mut state = vec![0u8; nodes.len()]; // 0 unvisited, 1 on the current walk, 2 done
    let mut found = false;
    for start in 0..nodes.len() {
        if state[start] != 0 || nodes[start].kind().role() != Role::Node || !scope.has(start) {
            continue;
        }
        let mut walk = vec![start];
        let mut at = start;
        state[at] = 1;
        while let Some(&p) = graph.feeds[at].first() {
            if state[p] == 1 {
                let mut cycle = walk[walk.iter().position(|&w| w == p).unwrap_or(0)..].to_vec();
                // Written from the element first in the file, whichever the walk entered by.
                let first = cycle.iter().copied().min().unwrap_or(p);
                let turn = cycle.iter().position(|&w| w == first).unwrap_or(0);
                cycle.rotate_left(turn);
                let mut ids: Vec<&str> = cycle.iter().map(|&w| nodes[w].id()).collect();
                ids.push(nodes[first].id());
                let field = nodes[first].spec.links().first().map(|l| l.0).unwrap_or("upstream");
                out.push((
                    format!("{}.{field}", nodes[first].path()),
                    format!("connection cycle: {}; power must flow from a grid feed", ids.join(" → ")),
                ));
                found = true;
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
    found
}

/// Dual-corded loads: the two cords must take independent paths below the grid feed.
fn dual_cord_problems(out: &mut Vec<(String, String)>, graph: &Graph, scope: &Scope) {
    for (n, node) in graph.nodes.iter().enumerate() {
        if node.kind().role() != Role::Load || !scope.has(n) {
            continue;
        }
        let cords: Vec<(&str, &str)> =
            node.spec.links().into_iter().filter(|(f, _)| link_target(node.spec, f) == Some(Target::Feed)).collect();
        let [(_, a), (b_field, b)] = cords[..] else { continue };
        let b_path = format!("{}.{b_field}", node.path());
        if a == b {
            out.push((
                b_path,
                format!(
                    "{} \"{}\" has \"{a}\" as both its A and B feed; a dual-corded {} needs two different feeds",
                    node.kind().noun(),
                    node.id(),
                    node.kind().noun()
                ),
            ));
            continue;
        }
        let (Some(&pa), Some(&pb)) = (graph.by_id.get(a), graph.by_id.get(b)) else { continue };
        let chain_a = graph.ancestors(pa);
        if let Some(shared) = graph.ancestors(pb).into_iter().find(|x| chain_a.contains(x)) {
            let s = &graph.nodes[shared];
            if s.kind().single_path() {
                out.push((
                    b_path,
                    format!(
                        "{} \"{}\" is fed twice from the same path: its A and B feeds both run through {} \"{}\"",
                        node.kind().noun(),
                        node.id(),
                        s.kind().noun(),
                        s.id()
                    ),
                ));
            }
        }
    }
}

/// What belongs to the site as a whole: outdoor conditions once there is cooling.
fn site_problems(out: &mut Vec<(String, String)>, site: &SiteFile, facts: SiteFacts) {
    use super::cooling::limits::OUTDOOR_C;
    if facts.has_cooling && site.ambient.is_none() {
        out.push((
            "name".into(),
            "a site with cooling needs `ambient: (dry_bulb_c: .., wet_bulb_c: ..)` or `ambient: (epw: \"FILE.epw\")`"
                .into(),
        ));
    }
    let Some(a) = &site.ambient else { return };
    if let Some(epw) = &a.epw {
        let given: Vec<&str> = [
            ("dry_bulb_c", a.dry_bulb_c.is_some()),
            ("wet_bulb_c", a.wet_bulb_c.is_some()),
            ("hourly", !a.hourly.is_empty()),
        ]
        .into_iter()
        .filter_map(|(f, on)| on.then_some(f))
        .collect();
        if let Some(first) = given.first() {
            out.push((
                format!("ambient.{first}"),
                format!(
                    "`{}` and `epw` both give the outdoor conditions: keep one (the weather file, or constant conditions)",
                    given.join("`, `")
                ),
            ));
        } else if epw.trim().is_empty() {
            out.push(("ambient.epw".into(), "`epw` must name a weather file (.epw), relative to the site file".into()));
        } else if a.weather.is_none() {
            out.push(("ambient.epw".into(), format!("the weather file \"{epw}\" {}", super::load::NOT_READ)));
        }
        return;
    }
    let (Some(dry_bulb_c), Some(wet_bulb_c)) = (a.dry_bulb_c, a.wet_bulb_c) else {
        let missing = if a.dry_bulb_c.is_none() { "dry_bulb_c" } else { "wet_bulb_c" };
        out.push((
            "ambient".into(),
            format!("missing field `{missing}`: give `dry_bulb_c` and `wet_bulb_c`, or a weather file as `epw: \"FILE.epw\"`"),
        ));
        return;
    };
    let mut in_range = true;
    for (path, field, value) in
        [("ambient.dry_bulb_c", "dry_bulb_c", dry_bulb_c), ("ambient.wet_bulb_c", "wet_bulb_c", wet_bulb_c)]
    {
        if let Some(msg) = OUTDOOR_C.problem(field, value) {
            out.push((path.into(), msg));
            in_range = false;
        }
    }
    for (h, &(dry, wet)) in a.hourly.iter().enumerate() {
        if !(OUTDOOR_C.accepts(dry) && OUTDOOR_C.accepts(wet)) {
            out.push((
                format!("ambient.hourly[{h}]"),
                format!("hour {h}: temperatures must be within {}", OUTDOOR_C.describe()),
            ));
            in_range = false;
        }
    }
    let wet_below_dry = wet_bulb_c <= dry_bulb_c && a.hourly.iter().all(|h| h.1 <= h.0);
    if in_range && !wet_below_dry {
        out.push(("ambient".into(), "the wet bulb cannot be above the dry bulb".into()));
    }
}

fn unknown_model(catalog: &Catalog, kind: EquipmentKind, model: &str) -> String {
    if let Some(other) = catalog.sections_with(model).first() {
        let (other, this) = (format!("{other} model"), format!("{} model", kind.noun()));
        return format!("\"{model}\" is {}, not {}", with_article(&other), with_article(&this));
    }
    let names = catalog.model_names(kind);
    format!("unknown {} model \"{model}\"; the catalog has: {}", kind.noun(), names.join(", "))
}

/// Reports `value` of `field` (at `path.field`) when `constraint` refuses it.
fn number_problem(out: &mut Vec<(String, String)>, path: &str, field: &str, value: f64, constraint: Constraint) {
    if let Some(msg) = constraint.problem(field, value) {
        out.push((format!("{path}.{field}"), msg));
    }
}

fn feeder_problems(out: &mut Vec<(String, String)>, catalog: &Catalog, path: &str, f: &FeederSpec) {
    if !catalog.cables.contains_key(&f.cable) {
        let list: Vec<&str> = catalog.cables.keys().map(|s| s.as_str()).collect();
        out.push((
            format!("{path}.feeder.cable"),
            format!("unknown cable model \"{}\"; the catalog has: {}", f.cable, list.join(", ")),
        ));
    }
    let feeder = format!("{path}.feeder");
    number_problem(out, &feeder, "length_m", f.length_m, super::limits::FEEDER_LENGTH_M);
    number_problem(out, &feeder, "sets", f64::from(f.sets), super::limits::FEEDER_SETS);
}

fn placement_problems(out: &mut Vec<(String, String)>, path: &str, position_m: (f64, f64), rotation_deg: f64) {
    use super::limits::{POSITION_M, ROTATION_DEG};
    if !(POSITION_M.accepts(position_m.0) && POSITION_M.accepts(position_m.1)) {
        out.push((
            format!("{path}.position_m"),
            format!("position_m must be two finite numbers of metres within {}", POSITION_M.describe()),
        ));
    }
    number_problem(out, path, "rotation_deg", rotation_deg, ROTATION_DEG);
}

/// How far outside the catalog's span an overridden value may go before it earns a warning:
/// a factor of ten either way is more than any real model differs from its neighbours, and is
/// what a unit mistake (W for kW, A for kA) looks like.
pub const PLAUSIBILITY_FACTOR: f64 = 10.0;

/// Plausibility warnings (not refusals): overridden ratings more than [`PLAUSIBILITY_FACTOR`]
/// outside the span of the catalog's models of the same kind. Call on a site that validated.
pub fn warnings(site: &SiteFile, text: &str, file: &str, catalog: &Catalog) -> Vec<super::problem::Problem> {
    warnings_located(site, catalog, &InFile { map: SourceMap::new(text), file })
}

/// [`warnings`], located by `locate`.
pub fn warnings_located(site: &SiteFile, catalog: &Catalog, locate: &dyn Locate) -> Vec<super::problem::Problem> {
    let mut out = Vec::new();
    let mut spans = HashMap::default();
    for (index, e) in site.elements() {
        let Some(r) = e.rated() else { continue };
        let overridden = r.override_numbers();
        if overridden.is_empty() {
            continue;
        }
        let kind = e.kind();
        let span = spans.entry(kind).or_insert_with(|| r.catalog_span(catalog));
        for n in overridden {
            let Some(&(lo, hi)) = span.get(&(n.name, n.index)) else { continue };
            let far_above = n.value > hi * PLAUSIBILITY_FACTOR && hi > 0.0;
            let far_below = n.value < lo / PLAUSIBILITY_FACTOR && lo > 0.0;
            if far_above || far_below {
                let unit = if n.constraint.unit.is_empty() { String::new() } else { format!(" {}", n.constraint.unit) };
                let path = format!("{}[{index}].overrides.{}", kind.section(), n.path());
                let noun = kind.noun();
                out.push(located(
                    locate,
                    &path,
                    &format!(
                        "{noun} \"{}\": {} {}{unit} is far outside the catalog's {noun} models ({lo}–{hi}{unit}); check the value and its unit",
                        e.id(),
                        n.path(),
                        n.value
                    ),
                ));
            }
        }
    }
    for (path, message) in super::room::placement_warnings(site) {
        out.push(located(locate, &path, &message));
    }
    out.sort();
    out
}
