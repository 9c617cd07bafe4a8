//! The power network as dense arrays, and its load flow.
//!
//! # Model (balanced three-phase, positive-sequence per-phase equivalent)
//! Quantities are physical: line-to-neutral volts, amperes per phase, ohms. Every network
//! element is a *node* with an input terminal and an output terminal:
//!
//! ```text
//!  parent output ──Z_feeder── input ──[ideal ratio n:1]──Z_series── output ──┬── loads (racks, constant S)
//!                                                                           ├── shunt G (transformer core loss)
//!                                                                           └── children
//! ```
//! * **Grid feed** (slack): input is the source EMF (nominal voltage, angle 0), `Z_series` the
//!   source impedance `kV²/MVA_sc` with the given X/R; output is the point of connection.
//! * **Transformer**: `Z_series = R + jX` referred to the LV side on the base `kV_LV²/MVA`, with
//!   `R = P_k/S_n` from the load loss and `X = √(Z² − R²)` from the impedance; the magnetising
//!   branch `Y = G − jB` sits at the **LV terminal** (as OpenDSS places it on winding 2):
//!   `G = P0/(3·V_ln²)` from the no-load loss, `|Y| = (i0/100)·S_n/(3·V_ln²)` from the no-load
//!   current, `B = √(|Y|² − G²)`. Ratio `n = kV_HV/kV_LV`, no phase shift.
//! * **UPS, double conversion**: output held at nominal voltage, angle 0 (the inverter regulates);
//!   input draws `P_in = P_out + P_loss(P_out)` at the rectifier's power factor.
//! * **UPS, eco mode**: output = input (static bypass); its losses are drawn at the input.
//! * **Distribution** (switchboard, PDU, RPP, busway): a node without impedance.
//! * **Racks**: constant-power loads on their feeding node; dual-corded racks split evenly over
//!   live cords and move entirely to the surviving cord.
//!
//! The load flow is a backward/forward sweep over the nodes in topological order (parent
//! before child): the backward pass sums currents from the leaves up, the forward pass updates
//! voltages from the sources down. It stops when no node voltage moves by more than
//! [`TOLERANCE_PU`] of its nominal.

use bevy::prelude::Entity;
use nalgebra::Complex;

/// Complex number in SI units (volts, amperes, ohms, volt-amperes).
pub type C64 = Complex<f64>;

/// Convergence tolerance: largest voltage change between sweeps, per unit.
pub const TOLERANCE_PU: f64 = 1e-10;

/// Plain sweeps before the solver turns to acceleration (a warm-started step takes one or two).
pub const PLAIN_ITERATIONS: u32 = 50;

/// Accelerated sweeps before a solve is declared slow or impossible.
pub const MAX_ITERATIONS: u32 = 2000;

/// Sweeps remembered by the Anderson acceleration.
const ANDERSON_MEMORY: usize = 6;

/// Precision of the loadability search when a load flow has no solution (fraction of demand).
pub const LOADABILITY_TOLERANCE: f64 = 1e-4;

/// How a solve ended.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Outcome {
    /// Converged within [`TOLERANCE_PU`] with every voltage above [`COLLAPSE_PU`].
    #[default]
    Converged,
    /// No solution exists: the network carries at most `loadability` (a fraction below 1) of
    /// the demand; above it the voltage collapses.
    NoSolution {
        /// The largest fraction of every load at which the load flow still has a solution.
        loadability: f64,
    },
    /// A solution exists at the full demand (or within [`LOADABILITY_TOLERANCE`] of it) but the
    /// iteration did not reach it within [`MAX_ITERATIONS`].
    Slow,
}

/// Below this voltage (per unit) a converged-looking answer is treated as collapse.
pub const COLLAPSE_PU: f64 = 0.5;

/// What a node does electrically.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NodeRole {
    /// Slack source behind its source impedance.
    Feed,
    /// A generator set: a source at its rated voltage while it runs.
    Generator,
    /// Series impedance and ideal ratio, core loss at the LV terminal.
    Transformer,
    /// Regulated output; input is a constant-power load.
    UpsDoubleConversion,
    /// Output follows input; losses drawn at input.
    UpsEco,
    /// A node without impedance.
    Distribution,
}

impl NodeRole {
    /// True for the roots of the network: nodes that hold a voltage of their own.
    pub fn is_source(self) -> bool {
        match self {
            NodeRole::Feed | NodeRole::Generator => true,
            NodeRole::Transformer | NodeRole::UpsDoubleConversion | NodeRole::UpsEco | NodeRole::Distribution => false,
        }
    }
}

/// UPS loss curve `P_loss = rated·(a + b·x + c·x²)`, `x = P_out/rated`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct UpsLossCurve {
    /// Rated output, W.
    pub rated_w: f64,
    /// No-load fraction.
    pub a: f64,
    /// Proportional fraction.
    pub b: f64,
    /// Square-law fraction.
    pub c: f64,
}

impl UpsLossCurve {
    /// Loss in W at output `p_out_w` (negative output counts as zero).
    pub fn loss_w(&self, p_out_w: f64) -> f64 {
        let x = p_out_w.max(0.0) / self.rated_w;
        self.rated_w * (self.a + self.b * x + self.c * x * x)
    }
}

/// One network element, ready for solving.
#[derive(Debug, Clone)]
pub struct Node {
    /// The element's entity.
    pub entity: Entity,
    /// Electrical role.
    pub role: NodeRole,
    /// Index of the feeding node; `None` for feeds.
    pub parent: Option<usize>,
    /// In service with a live path to a source.
    pub energized: bool,
    /// Nominal line-to-neutral voltage at the input, V.
    pub v_nom_in: f64,
    /// Nominal line-to-neutral voltage at the output, V.
    pub v_nom_out: f64,
    /// Voltage ratio input/output (transformers), else 1.
    pub ratio: f64,
    /// Feeder cable impedance between the parent's output and this input, Ω.
    pub z_feeder: C64,
    /// Series impedance referred to the output side, Ω (transformer leakage, feed source).
    pub z_series: C64,
    /// Ampacity of the feeder cable (all sets), A; 0 when there is no cable.
    pub feeder_ampacity_a: f64,
    /// Shunt conductance per phase at the output terminal, S (transformer core loss).
    pub g_shunt: f64,
    /// Shunt susceptance per phase at the output terminal, S (transformer magnetising
    /// reactance; inductive: it draws `−j·b·V`).
    pub b_shunt: f64,
    /// UPS loss curve (UPS roles only).
    pub ups_loss: UpsLossCurve,
    /// tan φ of the UPS rectifier input (double conversion).
    pub ups_input_tan_phi: f64,
    /// What the element's loading is measured against.
    pub limit: super::circuit::NodeLimit,
}

/// The network in topological order: everything the per-step solve needs. Built once per
/// topology ([`PowerNetwork::new`]) and not changed after, so its packed sweep table stays true.
#[derive(Debug, Clone, Default)]
pub struct PowerNetwork {
    /// Nodes, parents before children.
    nodes: Vec<Node>,
    /// What a sweep reads per node, packed: most nodes of a large site are distribution
    /// without impedance, for which 32 bytes say everything (a [`Node`] takes ~150; at 10k
    /// racks the whole node list would not fit the core's cache next to the flow's vectors).
    packed: Vec<Packed>,
    /// What a sweep reads of each [`PackedKind::Full`] node, in node order.
    full: Vec<FullPacked>,
    /// Energized, per node (read per rack and per step: a dense copy of `Node::energized`).
    live: Vec<bool>,
    /// Role, per node (a dense copy for per-step passes in other orders than the nodes').
    roles: Vec<NodeRole>,
}

/// The per-node data a sweep reads, packed for cache. Nodes of other kinds than
/// [`PackedKind::Plain`] read their [`FullPacked`] (they are few: feeds, transformers, UPS).
#[derive(Debug, Clone, Copy)]
struct Packed {
    /// Feeder cable impedance, Ω.
    z_feeder: C64,
    /// `1 / v_nom_out²`, 1/V² (the per-unit change test).
    inv_v_nom_out_sq: f64,
    /// Parent index; [`NO_PARENT`] for a source.
    parent: u32,
    /// Index in [`PowerNetwork::full`] of a [`PackedKind::Full`] node, else 0.
    full: u32,
    kind: PackedKind,
}

/// A node's parent index when it has none.
const NO_PARENT: u32 = u32::MAX;

/// How a sweep treats a node.
#[derive(Debug, Clone, Copy, PartialEq)]
enum PackedKind {
    /// Not energized: skipped.
    Dead,
    /// Distribution without series impedance or shunt: output = input.
    Plain,
    /// Anything else: its [`FullPacked`] is read.
    Full,
}

impl Packed {
    fn of(node: &Node, full: u32) -> Packed {
        let plain = node.role == NodeRole::Distribution
            && node.parent.is_some()
            && node.z_series == C64::new(0.0, 0.0)
            && node.g_shunt == 0.0
            && node.b_shunt == 0.0;
        let kind = match (node.energized, plain) {
            (false, _) => PackedKind::Dead,
            (true, true) => PackedKind::Plain,
            (true, false) => PackedKind::Full,
        };
        Packed {
            z_feeder: node.z_feeder,
            inv_v_nom_out_sq: 1.0 / (node.v_nom_out * node.v_nom_out),
            parent: node.parent.map_or(NO_PARENT, |p| p as u32),
            full: if kind == PackedKind::Full { full } else { 0 },
            kind,
        }
    }
}

/// What a sweep reads of a [`PackedKind::Full`] node, in node order: ~100 bytes where a
/// [`Node`] takes ~180, read in sequence instead of strided over the whole node list (the
/// 10k-rack hall's 1.2k such nodes read from `nodes` stalled a sweep on cache misses). The
/// terms are the ones the sweep used to form from the [`Node`], formed the same way, so the
/// arithmetic is unchanged to the bit.
#[derive(Debug, Clone, Copy)]
struct FullPacked {
    role: NodeRole,
    /// `1 / ratio` (transformers), as the sweep formed it.
    inv_ratio: f64,
    /// Series impedance, Ω.
    z_series: C64,
    /// Output shunt admittance `g − j·b`, S.
    shunt: C64,
    /// Nominal input and output line-to-neutral voltage, V.
    v_nom_in: f64,
    v_nom_out: f64,
    ups_loss: UpsLossCurve,
    ups_input_tan_phi: f64,
}

impl FullPacked {
    fn of(node: &Node) -> FullPacked {
        FullPacked {
            role: node.role,
            inv_ratio: 1.0 / node.ratio,
            z_series: node.z_series,
            shunt: C64::new(node.g_shunt, -node.b_shunt),
            v_nom_in: node.v_nom_in,
            v_nom_out: node.v_nom_out,
            ups_loss: node.ups_loss,
            ups_input_tan_phi: node.ups_input_tan_phi,
        }
    }
}

/// The per-phase current of a UPS battery charger, drawn at the rectifier's unity power factor
/// (zero when not charging).
fn ups_charge_current(input: UpsInput, v: C64) -> C64 {
    per_phase_current(C64::new(input.charge_w, 0.0), v)
}

/// Current drawn per phase by three-phase power `s` at line-to-neutral voltage `v`:
/// `conj(s / 3v) = conj(s)·v / (3|v|²)` (one real division instead of a complex one).
#[inline]
pub fn per_phase_current(s: C64, v: C64) -> C64 {
    if s.re == 0.0 && s.im == 0.0 {
        return C64::new(0.0, 0.0);
    }
    s.conj() * v * (1.0 / (3.0 * v.norm_sqr()))
}

/// Magnitude of a complex number. `norm()` calls libm's overflow-safe `hypot`, several times
/// slower; the values here (volts, amperes) are nowhere near overflow.
#[inline]
pub fn mag(c: C64) -> f64 {
    c.norm_sqr().sqrt()
}

/// How a rack's load divides over its cords: `(share_a, share_b)`.
///
/// Dual-corded racks split evenly over live cords and move everything to the surviving cord;
/// with no live cord the rack is unpowered.
pub fn cord_shares(a_live: bool, b_live: bool) -> (f64, f64) {
    match (a_live, b_live) {
        (true, true) => (0.5, 0.5),
        (true, false) => (1.0, 0.0),
        (false, true) => (0.0, 1.0),
        (false, false) => (0.0, 0.0),
    }
}

/// How a UPS draws its input power in a step: the share of its output-plus-losses the input
/// carries (the battery gives the rest; below 1 the output is held by the inverter, also in eco
/// mode) and what its battery charger draws on top.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UpsInput {
    /// Share of the UPS's power the input carries, 0–1.
    pub share: f64,
    /// Charger power, W.
    pub charge_w: f64,
}

impl Default for UpsInput {
    fn default() -> Self {
        UpsInput { share: 1.0, charge_w: 0.0 }
    }
}

/// The converged solution before the latest one, of the same topology, UPS inputs and source
/// voltages but other loads: with the latest, a secant through the two predicts where the next
/// loads will take the voltages ([`predict_start`]).
#[derive(Debug, Clone, Default)]
pub struct PreviousSolution {
    /// Its loads, three-phase VA.
    pub s_load: Vec<C64>,
    /// Its input voltages, V line-to-neutral.
    pub v_in: Vec<C64>,
    /// Its output voltages, V line-to-neutral.
    pub v_out: Vec<C64>,
}

/// Largest share of the loads' change a prediction may leave unexplained (residual over change).
const PREDICTION_RESIDUAL: f64 = 0.5;

/// Largest step along the secant, in units of the last change (beyond it the voltages' curvature
/// in the loads would outweigh what the line predicts).
const PREDICTION_MAX_STEP: f64 = 4.0;

/// Starts `next` (its loads set) from a secant prediction instead of the latest solution's
/// voltages. The loads' change since `latest` is fitted, by least squares, as a multiple `α` of
/// their change from `previous` to `latest`; when that explains most of it, the voltages are
/// moved by `α` times their own change: `v = v_latest + α (v_latest − v_previous)`. Loads that
/// ramp (a thermal transient's cooling power, a weather hour) or swing between two levels (an
/// AI training job's compute and communication phases) are predicted to second order, and the
/// sweeps then start next to the solution; loads that move unlike their last move (`None`)
/// start from `latest` as before. Only the start changes: the sweeps converge to the same
/// tolerance from it. `latest` and `previous` must be converged solutions of the network with
/// `next`'s UPS inputs and source voltages; returns `α`.
pub fn predict_start(latest: &LoadFlow, previous: &PreviousSolution, next: &mut LoadFlow) -> Option<f64> {
    let n = latest.s_load.len();
    if [previous.s_load.len(), previous.v_in.len(), previous.v_out.len(), next.s_load.len()] != [n; 4]
        || latest.v_in.len() != n
        || latest.v_out.len() != n
        || next.v_in.len() != n
        || next.v_out.len() != n
    {
        return None;
    }
    // Δs₁ = latest − previous, Δs₂ = next − latest; α = ⟨Δs₁, Δs₂⟩ / |Δs₁|².
    let (mut dot, mut last_sq, mut now_sq) = (0.0, 0.0, 0.0);
    for ((&s0, &s1), &s2) in previous.s_load.iter().zip(&latest.s_load).zip(&next.s_load) {
        let (d1, d2) = (s1 - s0, s2 - s1);
        dot += d1.re * d2.re + d1.im * d2.im;
        last_sq += d1.norm_sqr();
        now_sq += d2.norm_sqr();
    }
    if !(last_sq > 0.0 && now_sq > 0.0) {
        return None;
    }
    let alpha = dot / last_sq;
    // |Δs₂ − αΔs₁|² = |Δs₂|² − α⟨Δs₁, Δs₂⟩ at the least-squares α.
    let residual_sq = (now_sq - alpha * dot).max(0.0);
    if !alpha.is_finite()
        || alpha.abs() > PREDICTION_MAX_STEP
        || residual_sq > PREDICTION_RESIDUAL * PREDICTION_RESIDUAL * now_sq
    {
        return None;
    }
    let secant = |out: &mut [C64], now: &[C64], before: &[C64]| {
        for ((o, &v1), &v0) in out.iter_mut().zip(now).zip(before) {
            *o = v1 + (v1 - v0) * alpha;
        }
    };
    secant(&mut next.v_in, &latest.v_in, &previous.v_in);
    secant(&mut next.v_out, &latest.v_out, &previous.v_out);
    Some(alpha)
}

/// Solution of one load flow. Vectors are indexed like [`PowerNetwork::nodes`].
#[derive(Debug, Clone, Default)]
pub struct LoadFlow {
    /// Input terminal voltage, V line-to-neutral.
    pub v_in: Vec<C64>,
    /// Output terminal voltage, V line-to-neutral.
    pub v_out: Vec<C64>,
    /// Current into the input terminal, A.
    pub i_in: Vec<C64>,
    /// Current through the series element / out of the output terminal, A.
    pub i_out: Vec<C64>,
    /// Constant-power load connected at each node's output, three-phase VA (set by the caller).
    pub s_load: Vec<C64>,
    /// Per node: how a UPS draws its input (set by the caller; ignored for other roles).
    pub ups_input: Vec<UpsInput>,
    /// Per node: a source's voltage as a share of its nominal (1 normally; less during a sag at
    /// a grid feed; set by the caller, read for sources only).
    pub source_pu: Vec<f64>,
    /// Converged within [`TOLERANCE_PU`] and above [`COLLAPSE_PU`].
    pub converged: bool,
    /// How the latest solve ended (what "not converged" means).
    pub outcome: Outcome,
    /// Sweeps used.
    pub iterations: u32,
    /// Largest voltage change in the last sweep, pu.
    pub last_change_pu: f64,
    /// `|v_out|` per node, V (filled after each solve; saves square roots when results are read).
    pub v_out_abs: Vec<f64>,
    /// Scratch: sum of children's input currents per node (kept to avoid allocating per step;
    /// zero between sweeps).
    child_current: Vec<C64>,
}

impl LoadFlow {
    /// Three-phase complex power into node `k`'s input terminal, VA.
    pub fn s_in(&self, k: usize) -> C64 {
        self.v_in[k] * self.i_in[k].conj() * 3.0
    }

    /// Three-phase complex power leaving node `k`'s output terminal (loads + shunt + children), VA.
    pub fn s_out(&self, k: usize) -> C64 {
        self.v_out[k] * self.i_out[k].conj() * 3.0
    }

    /// Loss in node `k`'s feeder cable, W.
    pub fn feeder_loss_w(&self, net: &PowerNetwork, k: usize) -> f64 {
        cable_loss_w(self.i_in[k], net.nodes[k].z_feeder.re)
    }

    /// Loss inside node `k` (transformer copper + core, UPS), W. A feed's source impedance is
    /// on the utility's side of the meter and is not counted.
    pub fn element_loss_w(&self, net: &PowerNetwork, k: usize) -> f64 {
        let n = &net.nodes[k];
        element_loss_w(n.role, n.z_series.re, n.g_shunt, &n.ups_loss, self.v_out[k], self.i_out[k])
    }

    /// Every node's `(element, feeder)` losses, kW: [`LoadFlow::element_loss_w`] and
    /// [`LoadFlow::feeder_loss_w`] over 1000, zero for a dead node. Read from the sweep's dense
    /// tables with the same arithmetic (the same bits): run over every node after every solve,
    /// the strided reads of [`Node`] made this pass 6–8 % of a swing step's samples at 10k racks.
    pub fn losses_kw_into(&self, net: &PowerNetwork, out: &mut Vec<(f64, f64)>) {
        out.clear();
        out.extend(net.packed.iter().enumerate().map(|(k, p)| {
            let element_w = match p.kind {
                PackedKind::Dead => return (0.0, 0.0),
                PackedKind::Plain => 0.0,
                PackedKind::Full => {
                    let f = &net.full[p.full as usize];
                    element_loss_w(f.role, f.z_series.re, f.shunt.re, &f.ups_loss, self.v_out[k], self.i_out[k])
                }
            };
            (element_w / 1000.0, cable_loss_w(self.i_in[k], p.z_feeder.re) / 1000.0)
        }));
    }
}

/// Loss in a three-phase cable of resistance `r` per phase carrying `i`, W.
#[inline]
fn cable_loss_w(i: C64, r: f64) -> f64 {
    3.0 * i.norm_sqr() * r
}

/// Loss inside an element of `role` (series resistance `r_series`, shunt conductance `g_shunt`)
/// whose output is at `v_out` carrying `i_out`, W: transformer copper and core, UPS.
#[inline]
fn element_loss_w(role: NodeRole, r_series: f64, g_shunt: f64, ups_loss: &UpsLossCurve, v_out: C64, i_out: C64) -> f64 {
    match role {
        NodeRole::Transformer => 3.0 * i_out.norm_sqr() * r_series + 3.0 * g_shunt * v_out.norm_sqr(),
        NodeRole::UpsDoubleConversion | NodeRole::UpsEco => ups_loss.loss_w((v_out * i_out.conj() * 3.0).re),
        NodeRole::Feed | NodeRole::Generator | NodeRole::Distribution => 0.0,
    }
}

impl PowerNetwork {
    /// The network of `nodes`, given parents before children.
    pub fn new(nodes: Vec<Node>) -> PowerNetwork {
        let mut full = Vec::new();
        let packed = nodes
            .iter()
            .map(|n| {
                let p = Packed::of(n, full.len() as u32);
                if p.kind == PackedKind::Full {
                    full.push(FullPacked::of(n));
                }
                p
            })
            .collect();
        let live = nodes.iter().map(|n| n.energized).collect();
        let roles = nodes.iter().map(|n| n.role).collect();
        PowerNetwork { nodes, packed, full, live, roles }
    }

    /// Role of node `k`.
    #[inline]
    pub fn role(&self, k: usize) -> NodeRole {
        self.roles[k]
    }

    /// True when node `k` exists and is energized.
    #[inline]
    pub fn is_live(&self, k: usize) -> bool {
        self.live.get(k).copied().unwrap_or(false)
    }

    /// Energized, per node.
    pub fn live(&self) -> &[bool] {
        &self.live
    }

    /// Nodes, parents before children.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// A load flow sized for this network, at nominal voltages with no load.
    pub fn new_flow(&self) -> LoadFlow {
        let n = self.nodes.len();
        LoadFlow {
            v_in: self.nodes.iter().map(|x| C64::new(x.v_nom_in, 0.0)).collect(),
            v_out: self.nodes.iter().map(|x| C64::new(x.v_nom_out, 0.0)).collect(),
            i_in: vec![C64::new(0.0, 0.0); n],
            i_out: vec![C64::new(0.0, 0.0); n],
            s_load: vec![C64::new(0.0, 0.0); n],
            ups_input: vec![UpsInput::default(); n],
            source_pu: vec![1.0; n],
            child_current: vec![C64::new(0.0, 0.0); n],
            ..LoadFlow::default()
        }
    }

    /// Solves the load flow for the loads in `flow.s_load`, starting from `flow`'s voltages
    /// (warm start: after the first step a solve takes one or two sweeps).
    ///
    /// Near voltage collapse the plain sweep converges ever more slowly (its contraction factor
    /// tends to 1 at the nose of the PV curve), so after [`PLAIN_ITERATIONS`] it continues with
    /// Anderson acceleration (Walker & Ni, SIAM J. Numer. Anal. 49(4), 2011), which on a nearly
    /// linear fixed point behaves like GMRES and reaches solutions up to the nose. If that fails
    /// too, a bisection on a common load factor finds the largest fraction of the demand that
    /// still solves: below 1 there is **no solution** (voltage collapse, with the margin
    /// known); at 1 the solve was merely **slow**.
    pub fn solve(&self, flow: &mut LoadFlow) {
        let n = self.nodes.len();
        if flow.v_out.len() != n || flow.s_load.len() != n || flow.ups_input.len() != n || flow.source_pu.len() != n {
            let loads = std::mem::take(&mut flow.s_load);
            let inputs = std::mem::take(&mut flow.ups_input);
            let sources = std::mem::take(&mut flow.source_pu);
            *flow = self.new_flow();
            if loads.len() == n {
                flow.s_load = loads;
            }
            if inputs.len() == n {
                flow.ups_input = inputs;
            }
            if sources.len() == n {
                flow.source_pu = sources;
            }
        }
        let zero = C64::new(0.0, 0.0);
        // Dead nodes sit at zero; a node coming back to life restarts from nominal.
        for (k, p) in self.packed.iter().enumerate() {
            if p.kind == PackedKind::Dead {
                flow.v_in[k] = zero;
                flow.v_out[k] = zero;
                flow.i_in[k] = zero;
                flow.i_out[k] = zero;
            } else if flow.v_out[k].norm_sqr() * p.inv_v_nom_out_sq < COLLAPSE_PU * COLLAPSE_PU
                || !flow.v_out[k].re.is_finite()
            {
                let node = &self.nodes[k];
                flow.v_in[k] = C64::new(node.v_nom_in, 0.0);
                flow.v_out[k] = C64::new(node.v_nom_out, 0.0);
            }
        }
        flow.iterations = 0;
        flow.outcome = Outcome::Converged;
        let mut converged = self.plain_sweeps(flow, PLAIN_ITERATIONS);
        if !converged {
            converged = self.anderson_sweeps(flow, MAX_ITERATIONS);
        }
        if !converged {
            // From nominal voltages once more, then find out whether a solution exists at all.
            self.reset_to_nominal(flow);
            converged = self.anderson_sweeps(flow, MAX_ITERATIONS);
        }
        if !converged {
            let loadability = self.loadability(flow);
            flow.outcome = if loadability < 1.0 - LOADABILITY_TOLERANCE {
                Outcome::NoSolution { loadability }
            } else {
                Outcome::Slow
            };
        }
        self.finish(flow, converged);
    }

    /// Voltages back to nominal (dead nodes stay at zero).
    fn reset_to_nominal(&self, flow: &mut LoadFlow) {
        for (k, node) in self.nodes.iter().enumerate() {
            if node.energized {
                flow.v_in[k] = C64::new(node.v_nom_in, 0.0);
                flow.v_out[k] = C64::new(node.v_nom_out, 0.0);
            }
        }
    }

    /// Fills `v_out_abs` and decides `converged`: the sweep converged, every number is finite
    /// (`f64::max` passes NaN by, so the change alone cannot tell) and no voltage collapsed.
    fn finish(&self, flow: &mut LoadFlow, converged: bool) {
        flow.v_out_abs.clear();
        flow.v_out_abs.extend(flow.v_out.iter().map(|&v| mag(v)));
        // One pass; `is_finite` of a sum is false when either term is NaN or infinite.
        let (mut finite, mut collapsed) = (true, false);
        for ((p, &v), i) in self.packed.iter().zip(&flow.v_out_abs).zip(&flow.i_in) {
            finite &= (v + i.re + i.im).is_finite();
            collapsed |= p.kind != PackedKind::Dead && v * v * p.inv_v_nom_out_sq < COLLAPSE_PU * COLLAPSE_PU;
        }
        flow.converged = converged && finite && !collapsed;
        if !flow.converged && flow.outcome == Outcome::Converged {
            // Converged onto a collapsed (or non-finite) state: no usable solution.
            flow.outcome = Outcome::NoSolution { loadability: self.loadability(flow) };
        }
    }

    /// Up to `max` plain sweeps; true when the change falls below the tolerance.
    fn plain_sweeps(&self, flow: &mut LoadFlow, max: u32) -> bool {
        let mut child_current = std::mem::take(&mut flow.child_current);
        child_current.resize(self.nodes.len(), C64::new(0.0, 0.0));
        let mut converged = false;
        for _ in 0..max {
            flow.iterations += 1;
            let change = self.sweep(flow, &mut child_current);
            flow.last_change_pu = change;
            if !change.is_finite() {
                break;
            }
            if change < TOLERANCE_PU {
                converged = true;
                break;
            }
        }
        flow.child_current = child_current;
        converged
    }

    /// Up to `max` sweeps with Anderson acceleration (type II, memory [`ANDERSON_MEMORY`]) on
    /// the state `(v_in, v_out)` in per unit.
    fn anderson_sweeps(&self, flow: &mut LoadFlow, max: u32) -> bool {
        let n = self.nodes.len();
        let dim = 4 * n;
        let mut child_current = std::mem::take(&mut flow.child_current);
        child_current.resize(n, C64::new(0.0, 0.0));
        let pack = |flow: &LoadFlow, out: &mut Vec<f64>| {
            out.clear();
            for (k, node) in self.nodes.iter().enumerate() {
                let (vi, vo) = (flow.v_in[k] / node.v_nom_in.max(1e-9), flow.v_out[k] / node.v_nom_out.max(1e-9));
                out.extend_from_slice(&[vi.re, vi.im, vo.re, vo.im]);
            }
        };
        let unpack = |flow: &mut LoadFlow, x: &[f64]| {
            for (k, node) in self.nodes.iter().enumerate() {
                if node.energized {
                    flow.v_in[k] = C64::new(x[4 * k], x[4 * k + 1]) * node.v_nom_in;
                    flow.v_out[k] = C64::new(x[4 * k + 2], x[4 * k + 3]) * node.v_nom_out;
                }
            }
        };
        let mut x = Vec::with_capacity(dim);
        let mut g = Vec::with_capacity(dim);
        let mut history_f: std::collections::VecDeque<Vec<f64>> = std::collections::VecDeque::new();
        let mut history_g: std::collections::VecDeque<Vec<f64>> = std::collections::VecDeque::new();
        let (mut f_prev, mut g_prev): (Option<Vec<f64>>, Option<Vec<f64>>) = (None, None);
        let mut converged = false;
        for _ in 0..max {
            flow.iterations += 1;
            pack(flow, &mut x);
            let change = self.sweep(flow, &mut child_current);
            flow.last_change_pu = change;
            if !change.is_finite() {
                break;
            }
            if change < TOLERANCE_PU {
                converged = true;
                break;
            }
            pack(flow, &mut g);
            let f: Vec<f64> = g.iter().zip(&x).map(|(a, b)| a - b).collect();
            if let (Some(fp), Some(gp)) = (&f_prev, &g_prev) {
                history_f.push_back(f.iter().zip(fp).map(|(a, b)| a - b).collect());
                history_g.push_back(g.iter().zip(gp).map(|(a, b)| a - b).collect());
                if history_f.len() > ANDERSON_MEMORY {
                    history_f.pop_front();
                    history_g.pop_front();
                }
            }
            let mut next = g.clone();
            if !history_f.is_empty() {
                let m = history_f.len();
                let df = nalgebra::DMatrix::from_fn(dim, m, |r, c| history_f[c][r]);
                let rhs = nalgebra::DVector::from_column_slice(&f);
                if let Ok(gamma) = df.svd(true, true).solve(&rhs, 1e-12) {
                    for (c, dg) in history_g.iter().enumerate() {
                        for (v, d) in next.iter_mut().zip(dg) {
                            *v -= gamma[c] * d;
                        }
                    }
                }
            }
            if next.iter().all(|v| v.is_finite()) {
                unpack(flow, &next);
            }
            f_prev = Some(f);
            g_prev = Some(g.clone());
        }
        flow.child_current = child_current;
        converged
    }

    /// The largest fraction λ of every load (racks, cooling and UPS outputs alike) at which the
    /// load flow has a solution, by bisection to [`LOADABILITY_TOLERANCE`]; 1 when the full
    /// demand solves. `flow` is left as it was.
    pub fn loadability(&self, flow: &LoadFlow) -> f64 {
        let mut trial = flow.clone();
        let solves = |lambda: f64, trial: &mut LoadFlow| {
            trial.s_load.iter_mut().zip(&flow.s_load).for_each(|(t, s)| *t = s * lambda);
            self.reset_to_nominal(trial);
            trial.iterations = 0;
            let ok = self.plain_sweeps(trial, PLAIN_ITERATIONS) || self.anderson_sweeps(trial, MAX_ITERATIONS);
            ok && trial
                .v_out
                .iter()
                .zip(&self.nodes)
                .all(|(v, n)| !n.energized || (v.re.is_finite() && mag(*v) >= COLLAPSE_PU * n.v_nom_out))
        };
        if solves(1.0, &mut trial) {
            return 1.0;
        }
        let (mut lo, mut hi) = (0.0, 1.0);
        while hi - lo > LOADABILITY_TOLERANCE {
            let mid = 0.5 * (lo + hi);
            if solves(mid, &mut trial) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// One backward and one forward sweep; returns the largest voltage change, per unit.
    ///
    /// Plain distribution nodes take a short path through the packed table; the arithmetic is
    /// the general path's with its zero terms left out (adding an exact zero changes no bit).
    fn sweep(&self, flow: &mut LoadFlow, child_current: &mut [C64]) -> f64 {
        let n = self.nodes.len();
        let zero = C64::new(0.0, 0.0);
        let packed = &self.packed[..n];
        let full = &self.full[..];
        let (v_in, v_out, i_in, i_out) =
            (&mut flow.v_in[..n], &mut flow.v_out[..n], &mut flow.i_in[..n], &mut flow.i_out[..n]);
        let s_load = &flow.s_load[..n];
        let ups_input = &flow.ups_input[..n];
        let source_pu = &flow.source_pu[..n];
        let child_current = &mut child_current[..n];
        // Backward sweep: currents, leaves to sources. A node's children come after it, so its
        // sum is complete when it is read, and is zeroed there: every sweep leaves the buffer
        // zeroed for the next (a new flow's starts so).
        for k in (0..n).rev() {
            let p = packed[k];
            let children = std::mem::replace(&mut child_current[k], zero);
            let i_in_k = match p.kind {
                PackedKind::Dead => continue,
                PackedKind::Plain => {
                    let i = per_phase_current(s_load[k], v_out[k]) + children;
                    i_out[k] = i;
                    i
                }
                PackedKind::Full => {
                    let node = &full[p.full as usize];
                    let v_out = v_out[k];
                    let i_load = per_phase_current(s_load[k], v_out);
                    let i = i_load + v_out * node.shunt + children;
                    i_out[k] = i;
                    match node.role {
                        NodeRole::Transformer => i * node.inv_ratio,
                        NodeRole::Feed | NodeRole::Generator | NodeRole::Distribution => i,
                        NodeRole::UpsEco if ups_input[k].share == 1.0 => {
                            let p_out = 3.0 * (v_out * i.conj()).re;
                            let loss = C64::new(node.ups_loss.loss_w(p_out), 0.0);
                            let i_in = i + per_phase_current(loss, v_in[k]);
                            if ups_input[k].charge_w != 0.0 {
                                i_in + ups_charge_current(ups_input[k], v_in[k])
                            } else {
                                i_in
                            }
                        }
                        // Double conversion, or eco mode held by its inverter (on battery).
                        NodeRole::UpsDoubleConversion | NodeRole::UpsEco => {
                            let p_out = 3.0 * (v_out * i.conj()).re;
                            let input = ups_input[k];
                            let p_in = (p_out + node.ups_loss.loss_w(p_out)) * input.share + input.charge_w;
                            let s_in = C64::new(p_in, p_in * node.ups_input_tan_phi);
                            per_phase_current(s_in, v_in[k])
                        }
                    }
                }
            };
            i_in[k] = i_in_k;
            if p.parent != NO_PARENT {
                child_current[p.parent as usize] += i_in_k;
            }
        }
        // Forward sweep: voltages, sources to leaves.
        let mut change: f64 = 0.0;
        let mut finite = true;
        for k in 0..n {
            let p = packed[k];
            let new_out = match p.kind {
                PackedKind::Dead => continue,
                PackedKind::Plain => {
                    // A plain node always has a parent (feeds are `Full`).
                    let vi = v_out[p.parent as usize] - p.z_feeder * i_in[k];
                    v_in[k] = vi;
                    vi
                }
                PackedKind::Full => {
                    let node = &full[p.full as usize];
                    let upstream = if p.parent == NO_PARENT {
                        C64::new(node.v_nom_in * source_pu[k], 0.0)
                    } else {
                        v_out[p.parent as usize]
                    };
                    let vi = upstream - p.z_feeder * i_in[k];
                    v_in[k] = vi;
                    match node.role {
                        NodeRole::UpsDoubleConversion => C64::new(node.v_nom_out, 0.0),
                        NodeRole::UpsEco if ups_input[k].share < 1.0 => C64::new(node.v_nom_out, 0.0),
                        NodeRole::Transformer => vi * node.inv_ratio - node.z_series * i_out[k],
                        _ => vi - node.z_series * i_out[k],
                    }
                }
            };
            // Squared per-unit change of the output (the input follows from the parent's output
            // and this node's current, both of which are checked): no square root per node.
            // `d` is ≥ 0 or NaN, so `d < ∞` is `is_finite`; `change` is never NaN, so the `if` is
            // `change.max(d)`: each a compare where those took five instructions, and the `if`
            // keeps the loop-carried dependency to one `maxsd`.
            let d = (new_out - v_out[k]).norm_sqr() * p.inv_v_nom_out_sq;
            finite &= d < f64::INFINITY;
            if d > change {
                change = d;
            }
            v_out[k] = new_out;
        }
        if finite { change.sqrt() } else { f64::NAN }
    }
}

/// A node with no impedance and no losses: the base the solver's and the limits' tests change.
#[cfg(test)]
pub(crate) fn test_node(role: NodeRole, parent: Option<usize>, v_ln: f64) -> Node {
    Node {
        entity: Entity::PLACEHOLDER,
        role,
        parent,
        energized: true,
        v_nom_in: v_ln,
        v_nom_out: v_ln,
        ratio: 1.0,
        z_feeder: C64::new(0.0, 0.0),
        z_series: C64::new(0.0, 0.0),
        feeder_ampacity_a: 0.0,
        g_shunt: 0.0,
        b_shunt: 0.0,
        ups_loss: UpsLossCurve::default(),
        ups_input_tan_phi: 0.0,
        limit: crate::sim::electrical::NodeLimit::Import { capacity_mva: 1e3 },
    }
}

#[cfg(test)]
mod tests {
    use super::test_node as node;
    use super::*;

    /// A stiff source, a cable of impedance `z` and a constant-power load `s` at its end:
    /// `V = V0 − Z·conj(S/3V)` has the closed-form root of `|V|⁴ − (V0² − 2(RP + XQ)/3)|V|² + |Z|²|S|²/9 = 0`.
    #[test]
    fn a_loaded_cable_drops_the_closed_form_voltage() {
        let v0 = 240.0;
        let z = C64::new(0.05, 0.03);
        let s = C64::new(90e3, 30e3);
        let mut pdu = node(NodeRole::Distribution, Some(0), v0);
        pdu.z_feeder = z;
        let net = PowerNetwork::new(vec![node(NodeRole::Feed, None, v0), pdu]);
        let mut flow = net.new_flow();
        flow.s_load[1] = s;
        net.solve(&mut flow);
        assert!(flow.converged);
        let (p, q) = (s.re / 3.0, s.im / 3.0);
        let b = v0 * v0 - 2.0 * (z.re * p + z.im * q);
        let c = z.norm_sqr() * (p * p + q * q);
        let v2 = (b + (b * b - 4.0 * c).sqrt()) / 2.0;
        assert!((flow.v_out_abs[1] - v2.sqrt()).abs() < 1e-9 * v0, "{} vs {}", flow.v_out_abs[1], v2.sqrt());
    }

    /// Kirchhoff on a feed → transformer → UPS → two PDUs tree: the power into each node is
    /// what leaves it plus its losses, and the source delivers every load plus every loss.
    #[test]
    fn power_into_the_tree_equals_loads_plus_losses() {
        let mut t = node(NodeRole::Transformer, Some(0), 240.0);
        (t.v_nom_in, t.ratio, t.z_series, t.g_shunt, t.b_shunt) =
            (7967.0, 7967.0 / 240.0, C64::new(0.002, 0.01), 1e-3, 4e-3);
        t.z_feeder = C64::new(0.3, 0.2);
        let mut feed = node(NodeRole::Feed, None, 7967.0);
        feed.z_series = C64::new(0.5, 2.0);
        let mut ups = node(NodeRole::UpsDoubleConversion, Some(1), 240.0);
        ups.ups_loss = UpsLossCurve { rated_w: 1e6, a: 0.01, b: 0.02, c: 0.01 };
        ups.ups_input_tan_phi = 0.1;
        let mut pdu_a = node(NodeRole::Distribution, Some(2), 240.0);
        pdu_a.z_feeder = C64::new(0.004, 0.002);
        let mut pdu_b = node(NodeRole::Distribution, Some(1), 240.0);
        pdu_b.z_feeder = C64::new(0.006, 0.001);
        let net = PowerNetwork::new(vec![feed, t, ups, pdu_a, pdu_b]);
        let mut flow = net.new_flow();
        flow.s_load[3] = C64::new(400e3, 80e3);
        flow.s_load[4] = C64::new(150e3, 60e3);
        net.solve(&mut flow);
        assert!(flow.converged);
        let loads: f64 = flow.s_load.iter().map(|s| s.re).sum();
        let losses: f64 =
            (0..net.nodes.len()).map(|k| flow.element_loss_w(&net, k) + flow.feeder_loss_w(&net, k)).sum();
        // The feed's own source impedance is the utility's: the meter sees its output terminal.
        let delivered = flow.s_out(0).re;
        assert!((delivered - (loads + losses)).abs() < 1e-6 * delivered, "{delivered} vs {}", loads + losses);
        // At every node: in = out + own losses (+ feeder loss before the input terminal).
        for k in 1..net.nodes.len() {
            let out: f64 = flow.s_load[k].re
                + (0..net.nodes.len())
                    .filter(|&c| net.nodes[c].parent == Some(k))
                    .map(|c| flow.s_in(c).re + flow.feeder_loss_w(&net, c))
                    .sum::<f64>();
            let inside = flow.element_loss_w(&net, k);
            assert!((flow.s_in(k).re - out - inside).abs() < 1e-6 * flow.s_in(k).re.abs().max(1.0), "node {k}");
        }
        // A double-conversion UPS regulates its output.
        assert!((flow.v_out_abs[2] - 240.0).abs() < 1e-9);
    }

    /// A feed, a transformer and three PDUs at the end of cables: a network whose sweeps
    /// converge over several iterations from a cold start.
    fn three_pdus() -> PowerNetwork {
        let mut t = node(NodeRole::Transformer, Some(0), 240.0);
        (t.v_nom_in, t.ratio, t.z_series) = (7967.0, 7967.0 / 240.0, C64::new(0.002, 0.012));
        let mut feed = node(NodeRole::Feed, None, 7967.0);
        feed.z_series = C64::new(0.5, 2.0);
        let mut nodes = vec![feed, t];
        for z in [0.004, 0.006, 0.009] {
            let mut pdu = node(NodeRole::Distribution, Some(1), 240.0);
            pdu.z_feeder = C64::new(z, z / 2.0);
            nodes.push(pdu);
        }
        PowerNetwork::new(nodes)
    }

    /// Solves `net` for `loads` from `start`'s voltages; with `previous`, from the secant
    /// prediction. Returns the solution and whether a prediction was made.
    fn solve_from(
        net: &PowerNetwork,
        start: &LoadFlow,
        previous: Option<&PreviousSolution>,
        loads: &[C64],
    ) -> (LoadFlow, Option<f64>) {
        let mut next = start.clone();
        next.s_load = loads.to_vec();
        let alpha = previous.and_then(|p| predict_start(start, p, &mut next));
        net.solve(&mut next);
        assert!(next.converged);
        (next, alpha)
    }

    fn kept(flow: &LoadFlow) -> PreviousSolution {
        PreviousSolution { s_load: flow.s_load.clone(), v_in: flow.v_in.clone(), v_out: flow.v_out.clone() }
    }

    /// The secant start takes fewer sweeps than the plain warm start when loads ramp or swing
    /// back, and lands on the same solution (to the solver's tolerance); a change unlike the
    /// last one is not predicted.
    #[test]
    fn a_secant_start_saves_sweeps_and_keeps_the_solution() {
        let net = three_pdus();
        let base = [C64::new(300e3, 90e3), C64::new(200e3, 40e3), C64::new(250e3, 60e3)];
        let at = |f: f64| -> Vec<C64> {
            let mut v = vec![C64::new(0.0, 0.0); 2];
            v.extend(base.iter().map(|s| s * f));
            v
        };
        let (s0, _) = solve_from(&net, &net.new_flow(), None, &at(1.0));
        let (s1, _) = solve_from(&net, &s0, None, &at(1.1));
        let close = |a: &LoadFlow, b: &LoadFlow| {
            (0..5).all(|k| (a.v_out[k] - b.v_out[k]).norm() < 1e-9 * net.nodes[k].v_nom_out)
        };
        for (loads, expected_alpha) in [(at(1.2), 1.0), (at(1.0), -1.0), (at(1.25), 1.5)] {
            let (plain, none) = solve_from(&net, &s1, None, &loads);
            let (predicted, alpha) = solve_from(&net, &s1, Some(&kept(&s0)), &loads);
            assert_eq!(none, None);
            let alpha = alpha.expect("a change along the last one is predicted");
            assert!((alpha - expected_alpha).abs() < 1e-12, "α = {alpha}");
            assert!(
                predicted.iterations < plain.iterations,
                "{} sweeps predicted, {} plain",
                predicted.iterations,
                plain.iterations
            );
            assert!(close(&predicted, &plain));
        }
        // Swinging back to the loads of the previous solution: the prediction is that solution.
        let (back, _) = solve_from(&net, &s1, Some(&kept(&s0)), &at(1.0));
        assert!(close(&back, &s0));
        // Only one PDU's load moves, where the last change moved all three alike: not predicted.
        let mut other = at(1.1);
        other[3] *= 1.3;
        let (_, alpha) = solve_from(&net, &s1, Some(&kept(&s0)), &other);
        assert_eq!(alpha, None);
    }

    /// The sweep's dense table of non-plain nodes holds each of them once, in node order, with
    /// the terms the sweep used to form from the node itself.
    #[test]
    fn the_full_table_holds_every_non_plain_node_in_order() {
        let nodes = mixed_nodes();
        let net = PowerNetwork::new(nodes.clone());
        let kinds: Vec<_> = net.packed.iter().map(|p| p.kind).collect();
        use PackedKind::*;
        assert_eq!(kinds, [Full, Full, Plain, Dead, Full, Plain, Full]);
        let full: Vec<usize> = (0..nodes.len()).filter(|&k| kinds[k] == Full).collect();
        assert_eq!(net.full.len(), full.len());
        for (i, &k) in full.iter().enumerate() {
            let (p, f, n) = (net.packed[k], net.full[i], &nodes[k]);
            assert_eq!(p.full as usize, i, "node {k}");
            assert_eq!(f.role, n.role);
            assert_eq!(f.inv_ratio.to_bits(), (1.0 / n.ratio).to_bits());
            assert_eq!(f.shunt, C64::new(n.g_shunt, -n.b_shunt));
            assert_eq!((f.z_series, f.v_nom_in, f.v_nom_out), (n.z_series, n.v_nom_in, n.v_nom_out));
            assert_eq!((f.ups_loss, f.ups_input_tan_phi), (n.ups_loss, n.ups_input_tan_phi));
        }
    }

    /// Every kind of node the sweep's tables tell apart: a feed, a transformer with a shunt
    /// (full), a PDU on it (plain), a dead UPS (dead), a live UPS with losses (full), a PDU and
    /// a busway with series impedance (full) on it; every cable with resistance.
    fn mixed_nodes() -> Vec<Node> {
        let mut t = node(NodeRole::Transformer, Some(0), 240.0);
        (t.v_nom_in, t.ratio, t.g_shunt, t.b_shunt) = (7967.0, 7967.0 / 240.0, 1e-3, 4e-3);
        t.z_series = C64::new(0.002, 0.012);
        let mut dead_ups = node(NodeRole::UpsEco, Some(1), 240.0);
        dead_ups.energized = false;
        let mut ups = node(NodeRole::UpsDoubleConversion, Some(1), 240.0);
        ups.ups_loss = UpsLossCurve { rated_w: 1e6, a: 0.01, b: 0.02, c: 0.01 };
        ups.ups_input_tan_phi = 0.1;
        let mut busway = node(NodeRole::Distribution, Some(4), 240.0);
        busway.z_series = C64::new(1e-3, 0.0);
        let mut nodes = vec![
            node(NodeRole::Feed, None, 7967.0),
            t,
            node(NodeRole::Distribution, Some(1), 240.0),
            dead_ups,
            ups,
            node(NodeRole::Distribution, Some(4), 240.0),
            busway,
        ];
        for (k, n) in nodes.iter_mut().enumerate().skip(1) {
            n.z_feeder = C64::new(1e-3 * k as f64, 5e-4);
        }
        nodes
    }

    /// The losses read from the dense tables after a solve are every node's element and feeder
    /// losses over 1000 to the bit, and zero for the dead one.
    #[test]
    fn the_table_losses_are_each_nodes_losses() {
        let net = PowerNetwork::new(mixed_nodes());
        let mut flow = net.new_flow();
        for (k, kw) in [(2, 80.0), (3, 50.0), (5, 120.0), (6, 60.0)] {
            flow.s_load[k] = C64::new(kw * 1e3, kw * 200.0);
        }
        net.solve(&mut flow);
        assert!(flow.converged);
        let mut losses = Vec::new();
        flow.losses_kw_into(&net, &mut losses);
        assert_eq!(losses.len(), net.nodes.len());
        for (k, &(element_kw, feeder_kw)) in losses.iter().enumerate() {
            let expected = if net.nodes[k].energized {
                (flow.element_loss_w(&net, k) / 1000.0, flow.feeder_loss_w(&net, k) / 1000.0)
            } else {
                (0.0, 0.0)
            };
            assert_eq!(
                (element_kw.to_bits(), feeder_kw.to_bits()),
                (expected.0.to_bits(), expected.1.to_bits()),
                "node {k}"
            );
        }
        // The transformer and the live UPS lose something inside, and every live cable.
        assert!([1, 4].iter().all(|&k| losses[k].0 > 0.0));
        assert!([1, 2, 4, 5, 6].iter().all(|&k| losses[k].1 > 0.0));
    }

    /// A dead node carries nothing and passes nothing on.
    #[test]
    fn a_dead_branch_carries_nothing() {
        let mut pdu = node(NodeRole::Distribution, Some(0), 240.0);
        pdu.energized = false;
        let net = PowerNetwork::new(vec![node(NodeRole::Feed, None, 240.0), pdu]);
        let mut flow = net.new_flow();
        flow.s_load[1] = C64::new(10e3, 0.0);
        net.solve(&mut flow);
        assert_eq!(flow.s_in(0), C64::new(0.0, 0.0));
        assert_eq!(flow.i_in[1], C64::new(0.0, 0.0));
    }
}
