//! The single-line diagram's geometry, apart from egui so the panel, the PNG export and the tests
//! share it: [`layout`] reads the power tree from the world once per change of the site (cached
//! on the plan's revision), [`SldLayout::place`] positions what the fold state leaves visible.
//!
//! # Why this layout
//!
//! **Top-down, utility at the top**, as single-line diagrams are drawn: each level of the tree
//! (feed, switchgear, transformer, UPS…) is a row of boxes, a parent's children hang from a
//! horizontal bus below it. Drawn that way all the way down, a hall is far wider than tall (the
//! AI hall's 100 busways would be 100 columns side by side, a 10k-rack hall's 4,000 PDUs a
//! 700,000 px strip), so the *bottom of the tree is drawn as an indented list*: a node whose
//! visible subtree is at most two levels deep (a UPS with its PDUs and their rack groups, a PDU
//! with its racks) is one column, its descendants listed below it like a panel schedule. The
//! site then spreads over one column per UPS (or per transformer) and scrolls down through the
//! distribution, which suits the wide, short bottom panel. A left-to-right tree was the other
//! candidate: it reads well as a long list, but it cannot put the A and B paths side by side
//! without doubling its width, and it hides the convention planners read single-line diagrams
//! by. A parent hangs over the middle of a narrow fan-out, over its first child when the fan-out
//! is wider than a few columns (so the top of a tree is at the left of its band, not thousands
//! of pixels away), and over the centre line where the A and B paths part.
//!
//! **A and B side by side.** Each element is on the A path when every rack cord below it is an A
//! cord, on the B path when every one is a B cord (an element feeding no racks, such as a
//! mechanical panel, takes its parent's side; a generator, the side of the switch it backs up).
//! Where the paths part (at the grid feeds of a 2N site, below a shared transformer in a pod), the
//! A subtrees are laid out next to each other, then the B subtrees, each side on a tinted band.
//! Elements on neither side (a transformer feeding both) come first. The B side is drawn as the A
//! side's mirror image, as 2N diagrams are: the last-numbered chains meet at the centre line
//! (UPS-A10 beside UPS-B10), and so do the rack groups fed by the same racks' A and B cords.
//!
//! **Racks are grouped** per feeder ("3 racks (A+B)"): a rack with A and B cords is in its A
//! feeder's group and in its B feeder's group, and the two groups are *twins*, linked straight
//! across when nothing stands between them, by a curve below them when nothing is in its way;
//! a link that would cross other boxes (and all links, on a diagram with more than
//! [`LINK_ALL_TWINS`] pairs) is drawn only for a group in focus (hovered, selected, found).
//!
//! **Folding.** Any node with children folds. By default the diagram unfolds level by level from
//! the top while it stays under [`DEFAULT_VISIBLE`] boxes: every level of the AI hall is open,
//! a generated 10k-rack hall opens on its 72 grid feeds, each saying what it holds; leaves side
//! by side (folded feeds, say) stack into columns of [`PACK`]. What the planner folds or unfolds
//! is kept by node key (the element's id), so it survives edits and re-layouts.
//!
//! Per frame the panel only looks at the columns in view ([`Placement::columns_in`]): drawing
//! cost follows what is on screen, not the size of the site.

use std::collections::HashMap;

use bevy::prelude::*;

use crate::kinds::EquipmentKind;
use crate::sim::components::{ElementId, InService, Kind, RackFeeds, Sources};
use crate::sim::electrical::{Circuit, NodeLimit};
use crate::site::save::natural_cmp;

/// Width of a box, px.
pub const NODE_W: f32 = 160.0;
/// Height of a box, px.
pub const NODE_H: f32 = 30.0;
/// Horizontal gap between columns, px.
pub const COL_GAP: f32 = 16.0;
/// Extra gap between the A and the B side, px.
pub const SIDE_GAP: f32 = 28.0;
/// From one level of the top-down part to the next, px (the bus runs in the gap).
pub const LEVEL_PITCH: f32 = 46.0;
/// From one item of a list to the next, px.
pub const ITEM_PITCH: f32 = 34.0;
/// Indent of a list's children, px.
pub const INDENT: f32 = 14.0;
/// Leaves of one parent side by side are stacked into columns of at most this many.
pub const PACK: usize = 8;
/// Margin around the diagram, px.
pub const MARGIN: f32 = 8.0;
/// Space above the first level for the names of the bands that start there, px.
pub const TOP: f32 = 16.0;
/// Twin rack groups are all linked when there are at most this many pairs in the placement;
/// beyond, only those of a group hovered, selected or highlighted (dozens of links across the
/// whole diagram would hide it).
pub const LINK_ALL_TWINS: usize = 24;
/// The default fold state shows at most about this many boxes.
pub const DEFAULT_VISIBLE: usize = 300;
/// A subtree at most this many levels deep is drawn as an indented list.
const LIST_LEVELS: usize = 2;

/// A or B path of a 2N site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Side {
    /// Every rack cord below is an A cord.
    A,
    /// Every rack cord below is a B cord.
    B,
}

/// What a node is rated for, from its circuit's limit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rating {
    /// Apparent power, kVA (feeds, transformers, UPSes, generators).
    Kva(f64),
    /// Current, A (switchboards, PDUs, busways, transfer switches).
    Amps(f64),
}

impl Rating {
    /// The rating of a circuit's limit.
    pub fn of(limit: &NodeLimit) -> Rating {
        match *limit {
            NodeLimit::Import { capacity_mva } => Rating::Kva(capacity_mva * 1000.0),
            NodeLimit::TransformerRating { rated_kva } => Rating::Kva(rated_kva),
            NodeLimit::UpsRating { rated_kva, .. } => Rating::Kva(rated_kva),
            NodeLimit::GeneratorRating { rated_kva, .. } => Rating::Kva(rated_kva),
            NodeLimit::Breaker { breaker_a, .. } => Rating::Amps(breaker_a),
        }
    }

    /// "2500 kVA", "25 MVA" (from 10 MVA up), "800 A".
    pub fn text(self) -> String {
        fn number(v: f64) -> String {
            if (v - v.round()).abs() < 0.05 { format!("{v:.0}") } else { format!("{v:.1}") }
        }
        match self {
            Rating::Kva(kva) if kva >= 10_000.0 => format!("{} MVA", number(kva / 1000.0)),
            Rating::Kva(kva) => format!("{} kVA", number(kva)),
            Rating::Amps(a) => format!("{} A", number(a)),
        }
    }
}

/// One box of the diagram: an element of the power network, or the racks one feeder feeds.
#[derive(Debug, Clone, PartialEq)]
pub struct SldNode {
    /// Element id, or for a rack group the feeding element's id.
    pub id: String,
    /// Name of the box for folding, search and highlights: the id, or "`id` racks" for a group.
    pub key: String,
    /// A rack group: the racks with a cord on this feeder, in id order; else empty.
    pub racks: Vec<String>,
    /// Distance from the top of its tree.
    pub depth: usize,
    /// Index of the parent node.
    pub parent: Option<usize>,
    /// Children (elements in id order, then the rack group).
    pub children: Vec<usize>,
    /// The element's kind (`None` for a rack group).
    pub kind: Option<EquipmentKind>,
    /// What it is rated for (elements of the network).
    pub rating: Option<Rating>,
    /// In service (an element taken out of service reads so).
    pub in_service: bool,
    /// The path it is on, when the site has A and B paths and it is on one only.
    pub side: Option<Side>,
    /// A rack group: how many of its racks have both an A and a B cord.
    pub dual: usize,
    /// A rack group: the groups holding the other cord of its racks.
    pub twins: Vec<usize>,
    /// Its other sources (a transfer switch's alternate: the generator), by node.
    pub alternates: Vec<usize>,
    /// Elements below it.
    pub below_elements: usize,
    /// Racks below it (each counted once, whichever cords are below).
    pub below_racks: usize,
    /// Folded unless the planner says otherwise.
    pub default_folded: bool,
}

impl SldNode {
    /// True for a group of racks.
    pub fn is_group(&self) -> bool {
        self.kind.is_none()
    }

    /// "3 racks (A+B)" (dual-corded), "12 racks (A only)" (single-corded on a 2N site),
    /// "8 racks (3 A+B)", "4 racks" (a site with one path).
    pub fn group_title(&self) -> String {
        let n = self.racks.len();
        let noun = if n == 1 { "rack" } else { "racks" };
        match (self.dual, self.side) {
            (d, _) if d == n && n > 0 => format!("{n} {noun} (A+B)"),
            (0, Some(Side::A)) => format!("{n} {noun} (A only)"),
            (0, Some(Side::B)) => format!("{n} {noun} (B only)"),
            (0, None) => format!("{n} {noun}"),
            (d, _) => format!("{n} {noun} ({d} A+B)"),
        }
    }

    /// What a fold hides, short, for the box: "+48 racks", "+12 elements".
    pub fn folded_badge(&self) -> String {
        match (self.below_elements, self.below_racks) {
            (e, 0) => format!("+{e} elements"),
            (_, r) => format!("+{r} racks"),
        }
    }

    /// What a fold hides: "+48 racks", "+89 elements, 280 racks".
    pub fn folded_summary(&self) -> String {
        match (self.below_elements, self.below_racks) {
            (0, r) => format!("+{r} racks"),
            (e, 0) => format!("+{e} elements"),
            (e, r) => format!("+{e} elements, {r} racks"),
        }
    }
}

/// The power tree, rebuilt when the set of elements or their connections change, and its
/// placement for the current fold state.
#[derive(Resource, Debug, Clone, Default)]
pub struct SldLayout {
    /// What it was built for (the plan's revision).
    pub(crate) key: u64,
    /// Nodes in depth-first order (a parent before its children).
    pub nodes: Vec<SldNode>,
    /// Tops of the trees (grid feeds, generators), in id order.
    pub roots: Vec<usize>,
    /// Leaves of the whole tree (rack groups and elements feeding nothing).
    pub rows: usize,
    /// Deepest level.
    pub depth: usize,
    /// The site has both A and B paths.
    pub two_sided: bool,
    /// Where each visible node is, for the fold state last placed.
    pub placed: Placement,
}

/// A box on the diagram, px from the diagram's top-left corner.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Bounds {
    /// Left.
    pub x: f32,
    /// Top.
    pub y: f32,
    /// Width.
    pub w: f32,
    /// Height.
    pub h: f32,
}

impl Bounds {
    /// Horizontal centre.
    pub fn cx(&self) -> f32 {
        self.x + self.w / 2.0
    }
    /// Vertical centre.
    pub fn cy(&self) -> f32 {
        self.y + self.h / 2.0
    }
    /// Right edge.
    pub fn right(&self) -> f32 {
        self.x + self.w
    }
    /// Bottom edge.
    pub fn bottom(&self) -> f32 {
        self.y + self.h
    }
    /// The smallest box holding both.
    pub fn union(&self, o: &Bounds) -> Bounds {
        let (x, y) = (self.x.min(o.x), self.y.min(o.y));
        Bounds { x, y, w: self.right().max(o.right()) - x, h: self.bottom().max(o.bottom()) - y }
    }
}

/// How a node is joined to its parent.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum LinkIn {
    /// A top of a tree.
    #[default]
    None,
    /// A drop from the parent's bus at height `y` to the node's top centre.
    Bus {
        /// The bus's height.
        y: f32,
    },
    /// A list item: down the rail at `x` from `y_top` to the node's middle, then across to it.
    Rail {
        /// The rail's x.
        x: f32,
        /// Where this stretch of rail starts (the previous item's middle or the parent's bottom).
        y_top: f32,
    },
}

/// A parent's bus: a drop from the parent to height `y`, and the bus from `x0` to `x1`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bus {
    /// Height of the bus.
    pub y: f32,
    /// Left end.
    pub x0: f32,
    /// Right end.
    pub x1: f32,
    /// The parent's bottom centre, where the drop starts.
    pub from: (f32, f32),
}

/// A tinted band behind one side's subtrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Band {
    /// Which side.
    pub side: Side,
    /// Where.
    pub bounds: Bounds,
    /// Its name goes in its top-left corner (a band from the top of the diagram), else in its
    /// bottom-left one (the top is where its parent's bus runs).
    pub label_top: bool,
}

/// How the link between twin rack groups is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TwinRoute {
    /// Straight across, side to side (same height, nothing between).
    Straight,
    /// A curve below both (nothing in the way).
    Below,
    /// Any line would cross other boxes: drawn only for a group in focus, over the boxes.
    Crossing,
}

/// A link between twin rack groups: `a` left of `b`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TwinLink {
    /// The left group.
    pub a: usize,
    /// The right group.
    pub b: usize,
    /// How it is drawn.
    pub route: TwinRoute,
}

impl TwinLink {
    /// How far a curve below dips under the lower box, px.
    pub fn dip(a: &Bounds, b: &Bounds) -> f32 {
        (12.0 + 0.1 * (b.cx() - a.cx()).abs()).min(90.0)
    }

    /// The link's shape between boxes `a` (left) and `b`: a straight line's two ends, or a
    /// cubic Bézier's four points (from the bottom middle of one box to the other's).
    pub fn points(&self, a: &Bounds, b: &Bounds) -> Vec<(f32, f32)> {
        match self.route {
            TwinRoute::Straight | TwinRoute::Crossing => vec![(a.right(), a.cy()), (b.x, b.cy())],
            TwinRoute::Below => {
                let low = a.bottom().max(b.bottom()) + Self::dip(a, b);
                vec![(a.cx(), a.bottom()), (a.cx(), low), (b.cx(), low), (b.cx(), b.bottom())]
            }
        }
    }
}

/// Where the visible nodes are for one fold state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Placement {
    /// Per node: its box, when visible.
    pub at: Vec<Option<Bounds>>,
    /// Per node: how it hangs from its parent.
    pub link: Vec<LinkIn>,
    /// Per node: folded (it has children and they are hidden).
    pub folded: Vec<bool>,
    /// Visible nodes by left edge (then top), so a view finds its columns by binary search.
    pub by_x: Vec<usize>,
    /// The parents' buses.
    pub buses: Vec<Bus>,
    /// The A and B bands.
    pub bands: Vec<Band>,
    /// Links between visible twin rack groups, each pair once.
    pub twins: Vec<TwinLink>,
    /// Visible alternate sources `(source, node)`: a generator backing a transfer switch.
    pub alternates: Vec<(usize, usize)>,
    /// Size of the whole diagram, px.
    pub size: (f32, f32),
    /// The fold state it was placed for.
    pub version: Option<u64>,
}

impl Placement {
    /// The visible nodes whose boxes may reach into `x0..x1`, left to right.
    pub fn columns_in(&self, x0: f32, x1: f32) -> &[usize] {
        let at = |i: usize| self.at[i].map_or(f32::MAX, |b| b.x);
        let start = self.by_x.partition_point(|&i| at(i) < x0 - NODE_W);
        let end = self.by_x.partition_point(|&i| at(i) <= x1);
        &self.by_x[start..end.max(start)]
    }

    /// True when no visible box other than `skip` overlaps `area`.
    fn clear(&self, area: Bounds, skip: [usize; 2]) -> bool {
        self.columns_in(area.x, area.right()).iter().all(|&i| {
            skip.contains(&i)
                || self.at[i].is_none_or(|b| {
                    b.right() <= area.x || b.x >= area.right() || b.bottom() <= area.y || b.y >= area.bottom()
                })
        })
    }

    /// How the link between twin groups `a` and `b` (both visible) can be drawn.
    pub fn twin_route(&self, a: usize, b: usize) -> TwinLink {
        let (Some(ba), Some(bb)) = (self.at[a], self.at[b]) else {
            return TwinLink { a, b, route: TwinRoute::Crossing };
        };
        let (a, b, ba, bb) = if ba.x <= bb.x { (a, b, ba, bb) } else { (b, a, bb, ba) };
        if (ba.cy() - bb.cy()).abs() < 0.5 && ba.right() < bb.x {
            let gap = Bounds { x: ba.right(), y: ba.cy() - 1.0, w: bb.x - ba.right(), h: 2.0 };
            if self.clear(gap, [a, b]) {
                return TwinLink { a, b, route: TwinRoute::Straight };
            }
        }
        let top = ba.bottom().min(bb.bottom()) + 0.5;
        let below = Bounds {
            x: ba.cx(),
            y: top,
            w: (bb.cx() - ba.cx()).max(1.0),
            h: ba.bottom().max(bb.bottom()) + TwinLink::dip(&ba, &bb) - top,
        };
        let route = if self.clear(below, [a, b]) { TwinRoute::Below } else { TwinRoute::Crossing };
        TwinLink { a, b, route }
    }
}

/// Lays out the power tree of the world (structure only; [`SldLayout::place`] positions it).
pub fn layout(world: &mut World) -> SldLayout {
    struct Element {
        id: String,
        kind: EquipmentKind,
        sources: Vec<String>,
        rating: Option<Rating>,
        in_service: bool,
    }
    let mut elements: Vec<Element> = Vec::new();
    let mut racks: Vec<(String, String, Option<String>)> = Vec::new();
    let mut q = world
        .query::<(&ElementId, &Kind, Option<&Sources>, Option<&RackFeeds>, Option<&Circuit>, Option<&InService>)>();
    for (id, kind, sources, feeds, circuit, in_service) in q.iter(world) {
        if !kind.0.is_electrical() {
            continue;
        }
        if kind.0 == EquipmentKind::Rack {
            if let Some(f) = feeds {
                racks.push((id.0.clone(), f.a.clone(), f.b.clone()));
            }
            continue;
        }
        elements.push(Element {
            id: id.0.clone(),
            kind: kind.0,
            sources: sources.map(|s| s.0.clone()).unwrap_or_default(),
            rating: circuit.map(|c| Rating::of(&c.limit)),
            in_service: in_service.is_none_or(|s| s.0),
        });
    }
    elements.sort_by(|a, b| natural_cmp(&a.id, &b.id));
    racks.sort_by(|a, b| natural_cmp(&a.0, &b.0));
    let index: HashMap<&str, usize> = elements.iter().enumerate().map(|(i, e)| (e.id.as_str(), i)).collect();
    let parent_of: Vec<Option<usize>> = elements
        .iter()
        .enumerate()
        .map(|(i, e)| e.sources.first().and_then(|s| index.get(s.as_str()).copied()).filter(|&p| p != i))
        .collect();
    let mut kids: Vec<Vec<usize>> = vec![Vec::new(); elements.len()];
    let mut roots = Vec::new();
    for (i, p) in parent_of.iter().enumerate() {
        match p {
            Some(p) => kids[*p].push(i),
            None => roots.push(i),
        }
    }
    // The racks on each feeder, with the cord (A or B) they take from it.
    let mut on_feeder: Vec<Vec<(usize, Side)>> = vec![Vec::new(); elements.len()];
    for (r, (_, a, b)) in racks.iter().enumerate() {
        if let Some(&f) = index.get(a.as_str()) {
            on_feeder[f].push((r, Side::A));
        }
        if let Some(&f) = b.as_ref().and_then(|b| index.get(b.as_str())) {
            on_feeder[f].push((r, Side::B));
        }
    }

    let mut out = SldLayout::default();
    let mut element_node: Vec<Option<usize>> = vec![None; elements.len()];
    let mut group_of: Vec<Option<usize>> = vec![None; elements.len()];
    // Cord bits of each node: 1 = an A cord below, 2 = a B cord below.
    let mut bits: Vec<u8> = Vec::new();
    // Depth-first, without recursion (a deep chain must not overflow the stack); a cycle cannot
    // pass validation, but an element is visited once whatever happens.
    let mut visited = vec![false; elements.len()];
    let mut stack: Vec<(usize, usize, Option<usize>)> = roots.iter().rev().map(|&r| (r, 0, None)).collect();
    // Rack groups are pushed after an element's children: a marker entry (usize::MAX - element).
    while let Some((e, depth, parent)) = stack.pop() {
        if e >= elements.len() {
            let f = usize::MAX - e;
            let me = out.nodes.len();
            let cords = &on_feeder[f];
            let mut group_bits = 0u8;
            let mut dual = 0;
            let mut names = Vec::with_capacity(cords.len());
            for &(r, side) in cords {
                group_bits |= if side == Side::A { 1 } else { 2 };
                if racks[r].2.is_some() {
                    dual += 1;
                }
                names.push(racks[r].0.clone());
            }
            let id = elements[f].id.clone();
            out.nodes.push(SldNode {
                key: format!("{id} racks"),
                id,
                racks: names,
                depth,
                parent,
                children: vec![],
                kind: None,
                rating: None,
                in_service: true,
                side: None,
                dual,
                twins: vec![],
                alternates: vec![],
                below_elements: 0,
                below_racks: cords.len(),
                default_folded: false,
            });
            bits.push(group_bits);
            if let Some(p) = parent {
                out.nodes[p].children.push(me);
            }
            group_of[f] = Some(me);
            out.depth = out.depth.max(depth);
            continue;
        }
        if visited[e] {
            continue;
        }
        visited[e] = true;
        let me = out.nodes.len();
        let el = &elements[e];
        out.nodes.push(SldNode {
            id: el.id.clone(),
            key: el.id.clone(),
            racks: vec![],
            depth,
            parent,
            children: vec![],
            kind: Some(el.kind),
            rating: el.rating,
            in_service: el.in_service,
            side: None,
            dual: 0,
            twins: vec![],
            alternates: vec![],
            below_elements: 0,
            below_racks: 0,
            default_folded: false,
        });
        bits.push(0);
        if let Some(p) = parent {
            out.nodes[p].children.push(me);
        } else {
            out.roots.push(me);
        }
        element_node[e] = Some(me);
        out.depth = out.depth.max(depth);
        if !on_feeder[e].is_empty() {
            stack.push((usize::MAX - e, depth + 1, Some(me)));
        }
        for &c in kids[e].iter().rev() {
            stack.push((c, depth + 1, Some(me)));
        }
    }
    let n = out.nodes.len();
    out.rows = out.nodes.iter().filter(|n| n.children.is_empty()).count();

    // Twins: the groups holding the other cord of each group's racks.
    let mut pairs: HashMap<(usize, usize), usize> = HashMap::new();
    for (_, a, b) in &racks {
        let (Some(&fa), Some(&fb)) = (index.get(a.as_str()), b.as_ref().and_then(|b| index.get(b.as_str()))) else {
            continue;
        };
        if let (Some(ga), Some(gb)) = (group_of[fa], group_of[fb])
            && ga != gb
        {
            *pairs.entry((ga, gb)).or_default() += 1;
        }
    }
    let mut pair_list: Vec<((usize, usize), usize)> = pairs.into_iter().collect();
    pair_list.sort_unstable();
    // A rack whose two groups are below a node is counted once there: from their lowest common
    // ancestor up.
    let mut dup = vec![0usize; n];
    for &((ga, gb), count) in &pair_list {
        out.nodes[ga].twins.push(gb);
        out.nodes[gb].twins.push(ga);
        let (mut x, mut y) = (ga, gb);
        while x != y {
            let (dx, dy) = (out.nodes[x].depth, out.nodes[y].depth);
            let step_x = dx >= dy;
            let next = if step_x { out.nodes[x].parent } else { out.nodes[y].parent };
            match next {
                Some(p) if step_x => x = p,
                Some(p) => y = p,
                None => break,
            }
        }
        if x == y {
            dup[x] += count;
        }
    }
    for g in out.nodes.iter_mut() {
        g.twins.sort_unstable();
        g.twins.dedup();
    }
    for (e, el) in elements.iter().enumerate() {
        let Some(me) = element_node[e] else { continue };
        for s in el.sources.iter().skip(1) {
            if let Some(alt) = index.get(s.as_str()).and_then(|&s| element_node[s]) {
                out.nodes[me].alternates.push(alt);
            }
        }
    }
    // Counts and cord bits bottom-up (children come after their parent).
    for i in (0..n).rev() {
        let Some(p) = out.nodes[i].parent else { continue };
        let (elements_below, racks_below, is_group) =
            (out.nodes[i].below_elements, out.nodes[i].below_racks, out.nodes[i].is_group());
        let parent = &mut out.nodes[p];
        parent.below_elements += elements_below + usize::from(!is_group);
        parent.below_racks += racks_below;
        dup[p] += dup[i];
        bits[p] |= bits[i];
    }
    for (node, d) in out.nodes.iter_mut().zip(&dup) {
        if !node.is_group() {
            node.below_racks = node.below_racks.saturating_sub(*d);
        }
    }
    // Sides: pure A or B from the cords; an element feeding no racks takes its parent's side, a
    // source feeding nothing on its own the side of what it backs up.
    let pure = |b: u8| match b {
        1 => Some(Side::A),
        2 => Some(Side::B),
        _ => None,
    };
    out.two_sided = bits.contains(&2) && bits.contains(&1);
    if out.two_sided {
        for (node, &b) in out.nodes.iter_mut().zip(&bits) {
            node.side = pure(b);
        }
        for (e, el) in elements.iter().enumerate() {
            let Some(me) = element_node[e] else { continue };
            for s in el.sources.iter().skip(1) {
                if let Some(alt) = index.get(s.as_str()).and_then(|&s| element_node[s])
                    && bits[alt] == 0
                    && out.nodes[alt].side.is_none()
                {
                    out.nodes[alt].side = pure(bits[me]);
                }
            }
        }
        // Parents come before their children: a side passes down a chain that feeds no racks.
        for (i, &b) in bits.iter().enumerate() {
            if b == 0
                && let Some(p) = out.nodes[i].parent
                && out.nodes[i].side.is_none()
            {
                out.nodes[i].side = out.nodes[p].side;
            }
        }
    }
    // Default folding: whole levels from the top while the boxes shown stay within the budget.
    let mut per_level = vec![0usize; out.depth + 2];
    for node in &out.nodes {
        per_level[node.depth] += 1;
    }
    let mut shown = 0;
    let mut open_levels = 0; // levels whose nodes are unfolded
    for (d, count) in per_level.iter().enumerate() {
        shown += count;
        if shown > DEFAULT_VISIBLE {
            break;
        }
        // Level d fits: the level above it may be open.
        open_levels = d;
    }
    for node in out.nodes.iter_mut() {
        node.default_folded = !node.children.is_empty() && node.depth >= open_levels;
    }
    out
}

impl SldLayout {
    /// The built-for key (the plan's revision).
    pub fn key(&self) -> u64 {
        self.key
    }

    /// Whether node `i` is folded under `overrides` (key → folded), else by default.
    pub fn is_folded(&self, i: usize, overrides: &HashMap<String, bool>) -> bool {
        let node = &self.nodes[i];
        !node.children.is_empty() && overrides.get(&node.key).copied().unwrap_or(node.default_folded)
    }

    /// The element node of `id`, and the rack groups holding rack `id`.
    pub fn nodes_of(&self, id: &str) -> Vec<usize> {
        self.nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| if n.is_group() { n.racks.iter().any(|r| r == id) } else { n.id == id })
            .map(|(i, _)| i)
            .collect()
    }

    /// Nodes whose id (a group: one of its racks' ids) contains `text`, case-insensitively, in
    /// diagram order.
    pub fn find(&self, text: &str) -> Vec<usize> {
        let needle = text.trim().to_lowercase();
        if needle.is_empty() {
            return vec![];
        }
        let hit = |s: &str| s.to_lowercase().contains(&needle);
        self.nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| if n.is_group() { n.racks.iter().any(|r| hit(r)) } else { hit(&n.id) })
            .map(|(i, _)| i)
            .collect()
    }

    /// The nodes above `i`, nearest first.
    pub fn ancestors(&self, i: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let mut at = self.nodes[i].parent;
        while let Some(p) = at {
            out.push(p);
            at = self.nodes[p].parent;
        }
        out
    }

    /// Positions the nodes left visible by `overrides` (key → folded) into [`Self::placed`],
    /// tagged `version`.
    pub fn place(&mut self, overrides: &HashMap<String, bool>, version: u64) {
        let n = self.nodes.len();
        let folded: Vec<bool> = (0..n).map(|i| self.is_folded(i, overrides)).collect();
        let mut p = Placer {
            t: self,
            folded,
            levels: vec![0; n],
            out: Placement { at: vec![None; n], link: vec![LinkIn::None; n], folded: vec![], ..Default::default() },
            width: 0.0,
        };
        let roots = self.roots.clone();
        for &r in &roots {
            p.measure(r);
        }
        let (_, _, bottom) = p.spread(None, &roots, MARGIN, TOP);
        let (mut out, width) = (p.out, p.width);
        out.folded = p.folded;
        let bands_bottom = out.bands.iter().map(|b| b.bounds.bottom()).fold(bottom, f32::max);
        out.size = (width + MARGIN, bands_bottom + MARGIN);
        let mut by_x: Vec<usize> = (0..n).filter(|&i| out.at[i].is_some()).collect();
        by_x.sort_by(|&a, &b| {
            let (a, b) = (out.at[a].unwrap_or_default(), out.at[b].unwrap_or_default());
            a.x.total_cmp(&b.x).then(a.y.total_cmp(&b.y))
        });
        out.by_x = by_x;
        let mut pairs = Vec::new();
        for (i, node) in self.nodes.iter().enumerate() {
            if out.at[i].is_none() {
                continue;
            }
            pairs.extend(node.twins.iter().filter(|&&t| t > i && out.at[t].is_some()).map(|&t| (i, t)));
            out.alternates.extend(node.alternates.iter().filter(|&&a| out.at[a].is_some()).map(|&a| (a, i)));
        }
        // Routes are worked out when all links are drawn; a few hundred focusable ones are
        // routed when drawn.
        let route_all = pairs.len() <= LINK_ALL_TWINS;
        out.twins = pairs
            .into_iter()
            .map(|(a, b)| if route_all { out.twin_route(a, b) } else { TwinLink { a, b, route: TwinRoute::Crossing } })
            .collect();
        for t in out.twins.iter().filter(|t| t.route == TwinRoute::Below) {
            let (Some(a), Some(b)) = (out.at[t.a], out.at[t.b]) else { continue };
            out.size.1 = out.size.1.max(a.bottom().max(b.bottom()) + TwinLink::dip(&a, &b) + MARGIN);
        }
        out.version = Some(version);
        self.placed = out;
    }
}

/// Where a parent hangs over its children's anchors: where the A and B paths part, over the
/// centre line between them; over a narrow fan-out, its middle; over a wide one (wider than a
/// screen's worth of columns), its first child (the B side: its last, the mirror), so that the
/// top of a tree is where its first branch is, not thousands of pixels to the right.
fn hang(anchors: &[(f32, Option<Side>)], side: Option<Side>) -> f32 {
    let (Some(first), Some(last)) = (anchors.first(), anchors.last()) else { return 0.0 };
    let last_a = anchors.iter().rev().find(|a| a.1 == Some(Side::A));
    let first_b = anchors.iter().find(|a| a.1 == Some(Side::B));
    if let (Some(a), Some(b)) = (last_a, first_b) {
        return (a.0 + b.0) / 2.0;
    }
    if last.0 - first.0 <= WIDE_FAN {
        (first.0 + last.0) / 2.0
    } else if side == Some(Side::B) {
        last.0
    } else {
        first.0
    }
}

/// Children spread wider than this (anchor to anchor, px) hang from their parent's first one.
const WIDE_FAN: f32 = 3.0 * (NODE_W + COL_GAP);

/// Works out a placement.
struct Placer<'a> {
    t: &'a SldLayout,
    folded: Vec<bool>,
    /// Visible levels below each node (0: a leaf as shown).
    levels: Vec<usize>,
    out: Placement,
    width: f32,
}

impl Placer<'_> {
    fn visible_children(&self, i: usize) -> &[usize] {
        if self.folded[i] { &[] } else { &self.t.nodes[i].children }
    }

    /// Visible levels below `i` (iterative, children after parents in node order).
    fn measure(&mut self, root: usize) {
        let mut order = vec![root];
        let mut k = 0;
        while k < order.len() {
            let i = order[k];
            order.extend_from_slice(self.visible_children(i));
            k += 1;
        }
        for &i in order.iter().rev() {
            let levels = self.visible_children(i).iter().map(|&c| self.levels[c] + 1).max().unwrap_or(0);
            self.levels[i] = levels;
        }
    }

    /// Drawn as an indented list: shallow, and not where the A and B paths part.
    fn is_list(&self, i: usize) -> bool {
        if self.levels[i] > LIST_LEVELS {
            return false;
        }
        let kids = self.visible_children(i);
        let has = |s| kids.iter().any(|&c| self.t.nodes[c].side == Some(s));
        !(has(Side::A) && has(Side::B))
    }

    /// Children in drawing order: neither side first, then A, then B mirrored.
    fn ordered(&self, kids: &[usize]) -> Vec<usize> {
        if !self.t.two_sided {
            return kids.to_vec();
        }
        let side = |c: usize| self.t.nodes[c].side;
        let mut out: Vec<usize> = kids.iter().copied().filter(|&c| side(c).is_none()).collect();
        out.extend(kids.iter().copied().filter(|&c| side(c) == Some(Side::A)));
        out.extend(kids.iter().rev().copied().filter(|&c| side(c) == Some(Side::B)));
        out
    }

    fn put(&mut self, i: usize, b: Bounds, link: LinkIn) {
        self.out.at[i] = Some(b);
        self.out.link[i] = link;
        self.width = self.width.max(b.right());
    }

    /// Lays `kids` (children of `parent`, or the roots) side by side from `x0` at height `y`.
    /// Returns the anchors (where each hangs from the bus), the right edge and the bottom.
    fn spread(
        &mut self,
        parent: Option<usize>,
        kids: &[usize],
        x0: f32,
        y: f32,
    ) -> (Vec<(f32, Option<Side>)>, f32, f32) {
        let kids = self.ordered(kids);
        let bus_y = y - (LEVEL_PITCH - NODE_H) / 2.0;
        let link = if parent.is_some() { LinkIn::Bus { y: bus_y } } else { LinkIn::None };
        let parent_side = parent.and_then(|p| self.t.nodes[p].side);
        let mut anchors = Vec::new();
        let (mut x, mut right, mut bottom) = (x0, x0, y + NODE_H);
        // The band being collected: its side, left edge and bottom.
        let mut band: Option<(Side, f32, f32)> = None;
        let mut prev_side = None;
        let mut k = 0;
        while k < kids.len() {
            let c = kids[k];
            let side = self.t.nodes[c].side;
            if k > 0 {
                x = right + COL_GAP;
                if self.t.two_sided && side != prev_side {
                    x += SIDE_GAP;
                }
            }
            // Close the band when the side changes.
            if band.is_some_and(|(s, _, _)| Some(s) != side) {
                self.close_band(band.take(), y, right, parent.is_none());
            }
            if self.t.two_sided
                && parent_side.is_none()
                && band.is_none()
                && let Some(s) = side
            {
                band = Some((s, x, y));
            }
            prev_side = side;
            let (col_right, col_bottom) = if self.levels[c] == 0 {
                // A run of leaves on the same side: stacked into columns.
                let mut run = 1;
                while k + run < kids.len()
                    && run < PACK
                    && self.levels[kids[k + run]] == 0
                    && self.t.nodes[kids[k + run]].side == side
                {
                    run += 1;
                }
                if run == 1 {
                    self.put(c, Bounds { x, y, w: NODE_W, h: NODE_H }, link);
                    anchors.push((x + NODE_W / 2.0, side));
                } else {
                    // Stacked in id order on either side (a stack has nothing to mirror).
                    let mut stack = kids[k..k + run].to_vec();
                    if side == Some(Side::B) {
                        stack.reverse();
                    }
                    let rail = x + INDENT / 2.0;
                    let mut top = bus_y;
                    for (j, &leaf) in stack.iter().enumerate() {
                        let b = Bounds { x: x + INDENT, y: y + j as f32 * ITEM_PITCH, w: NODE_W - INDENT, h: NODE_H };
                        let l = if parent.is_some() { LinkIn::Rail { x: rail, y_top: top } } else { LinkIn::None };
                        self.put(leaf, b, l);
                        top = b.cy();
                    }
                    anchors.push((rail, side));
                }
                k += run - 1;
                (x + NODE_W, y + (run - 1) as f32 * ITEM_PITCH + NODE_H)
            } else if self.is_list(c) {
                let end = self.list(c, x, y, 0, link);
                anchors.push((x + NODE_W / 2.0, side));
                (x + NODE_W, end - (ITEM_PITCH - NODE_H))
            } else {
                let grandkids = self.visible_children(c).to_vec();
                let (kid_anchors, r, b) = self.spread(Some(c), &grandkids, x, y + LEVEL_PITCH);
                let (first, last) = (kid_anchors.first().map_or(x, |a| a.0), kid_anchors.last().map_or(x, |a| a.0));
                let cx = hang(&kid_anchors, side).clamp(x + NODE_W / 2.0, r.max(x + NODE_W) - NODE_W / 2.0);
                let me = Bounds { x: cx - NODE_W / 2.0, y, w: NODE_W, h: NODE_H };
                self.put(c, me, link);
                self.out.buses.push(Bus {
                    y: y + LEVEL_PITCH - (LEVEL_PITCH - NODE_H) / 2.0,
                    x0: first.min(cx),
                    x1: last.max(cx),
                    from: (cx, me.bottom()),
                });
                anchors.push((cx, side));
                (r.max(x + NODE_W), b)
            };
            right = right.max(col_right);
            bottom = bottom.max(col_bottom);
            if let Some((s, x0, b)) = band {
                band = Some((s, x0, b.max(col_bottom)));
            }
            k += 1;
        }
        self.close_band(band, y, right, parent.is_none());
        (anchors, right, bottom)
    }

    /// Adds the band collected from `x0` to `right`, from the level at `y` to `bottom`; one at
    /// the top of the diagram is named in the margin above it, one lower down below its boxes.
    fn close_band(&mut self, band: Option<(Side, f32, f32)>, y: f32, right: f32, at_top: bool) {
        if let Some((side, x0, bottom)) = band {
            let pad = COL_GAP / 2.0;
            let (top, bottom) = if at_top { (y - TOP + 2.0, bottom + pad) } else { (y - 5.0, bottom + 18.0) };
            self.out.bands.push(Band {
                side,
                bounds: Bounds { x: x0 - pad, y: top, w: right - x0 + 2.0 * pad, h: bottom - top },
                label_top: at_top,
            });
        }
    }

    /// Lays `i` and its visible subtree as an indented list at `(x, y)`; returns where the next
    /// item would go.
    fn list(&mut self, i: usize, x: f32, y: f32, indent: usize, link: LinkIn) -> f32 {
        let inset = indent as f32 * INDENT;
        let me = Bounds { x: x + inset, y, w: NODE_W - inset, h: NODE_H };
        self.put(i, me, link);
        let rail = me.x + INDENT / 2.0;
        let mut next = y + ITEM_PITCH;
        let mut top = me.bottom();
        for c in self.visible_children(i).to_vec() {
            let at = next;
            next = self.list(c, x, at, indent + 1, LinkIn::Rail { x: rail, y_top: top });
            top = at + NODE_H / 2.0;
        }
        next
    }
}
