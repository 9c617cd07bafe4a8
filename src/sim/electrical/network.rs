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

/// Iterations before the sweep gives up (voltage collapse or a badly conditioned network).
pub const MAX_ITERATIONS: u32 = 100;

/// Below this voltage (per unit) a converged-looking answer is treated as collapse.
pub const COLLAPSE_PU: f64 = 0.5;

/// What a node does electrically.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NodeRole {
    /// Slack source behind its source impedance.
    Feed,
    /// Series impedance and ideal ratio, core loss at the LV terminal.
    Transformer,
    /// Regulated output; input is a constant-power load.
    UpsDoubleConversion,
    /// Output follows input; losses drawn at input.
    UpsEco,
    /// A node without impedance.
    Distribution,
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
}

/// The network in topological order: everything the per-step solve needs.
#[derive(Debug, Clone, Default)]
pub struct PowerNetwork {
    /// Nodes, parents before children.
    pub nodes: Vec<Node>,
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
    /// Converged within [`TOLERANCE_PU`] and above [`COLLAPSE_PU`].
    pub converged: bool,
    /// Sweeps used.
    pub iterations: u32,
    /// Largest voltage change in the last sweep, pu.
    pub last_change_pu: f64,
    /// `|v_out|` per node, V (filled after each solve; saves square roots in write-back).
    pub v_out_abs: Vec<f64>,
    /// Scratch: sum of children's input currents per node (kept to avoid allocating per step).
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
        3.0 * self.i_in[k].norm_sqr() * net.nodes[k].z_feeder.re
    }

    /// Loss inside node `k` (transformer copper + core, UPS), W. A feed's source impedance is
    /// on the utility's side of the meter and is not counted.
    pub fn element_loss_w(&self, net: &PowerNetwork, k: usize) -> f64 {
        let n = &net.nodes[k];
        match n.role {
            NodeRole::Transformer => {
                3.0 * self.i_out[k].norm_sqr() * n.z_series.re + 3.0 * n.g_shunt * self.v_out[k].norm_sqr()
            }
            NodeRole::UpsDoubleConversion | NodeRole::UpsEco => n.ups_loss.loss_w(self.s_out(k).re),
            NodeRole::Feed | NodeRole::Distribution => 0.0,
        }
    }
}

impl PowerNetwork {
    /// A load flow sized for this network, at nominal voltages with no load.
    pub fn new_flow(&self) -> LoadFlow {
        let n = self.nodes.len();
        LoadFlow {
            v_in: self.nodes.iter().map(|x| C64::new(x.v_nom_in, 0.0)).collect(),
            v_out: self.nodes.iter().map(|x| C64::new(x.v_nom_out, 0.0)).collect(),
            i_in: vec![C64::new(0.0, 0.0); n],
            i_out: vec![C64::new(0.0, 0.0); n],
            s_load: vec![C64::new(0.0, 0.0); n],
            child_current: vec![C64::new(0.0, 0.0); n],
            ..LoadFlow::default()
        }
    }

    /// Solves the load flow for the loads in `flow.s_load`, starting from `flow`'s voltages
    /// (warm start: after the first step a solve takes one or two sweeps).
    pub fn solve(&self, flow: &mut LoadFlow) {
        let n = self.nodes.len();
        if flow.v_out.len() != n || flow.s_load.len() != n {
            let loads = std::mem::take(&mut flow.s_load);
            *flow = self.new_flow();
            if loads.len() == n {
                flow.s_load = loads;
            }
        }
        let zero = C64::new(0.0, 0.0);
        // Dead nodes sit at zero; a node coming back to life restarts from nominal.
        for (k, node) in self.nodes.iter().enumerate() {
            if !node.energized {
                flow.v_in[k] = zero;
                flow.v_out[k] = zero;
                flow.i_in[k] = zero;
                flow.i_out[k] = zero;
            } else if flow.v_out[k].norm_sqr() < (COLLAPSE_PU * node.v_nom_out).powi(2) || !flow.v_out[k].re.is_finite()
            {
                flow.v_in[k] = C64::new(node.v_nom_in, 0.0);
                flow.v_out[k] = C64::new(node.v_nom_out, 0.0);
            }
        }
        flow.converged = false;
        flow.iterations = 0;
        let mut child_current = std::mem::take(&mut flow.child_current);
        child_current.resize(n, zero);
        while flow.iterations < MAX_ITERATIONS {
            flow.iterations += 1;
            // Backward sweep: currents, leaves to sources.
            child_current.iter_mut().for_each(|c| *c = zero);
            for k in (0..n).rev() {
                let node = &self.nodes[k];
                if !node.energized {
                    continue;
                }
                let v_out = flow.v_out[k];
                let i_load = per_phase_current(flow.s_load[k], v_out);
                let i_out = i_load + v_out * C64::new(node.g_shunt, -node.b_shunt) + child_current[k];
                flow.i_out[k] = i_out;
                let i_in = match node.role {
                    NodeRole::Transformer => i_out * (1.0 / node.ratio),
                    NodeRole::Feed | NodeRole::Distribution => i_out,
                    NodeRole::UpsEco => {
                        let p_out = 3.0 * (v_out * i_out.conj()).re;
                        let loss = C64::new(node.ups_loss.loss_w(p_out), 0.0);
                        i_out + per_phase_current(loss, flow.v_in[k])
                    }
                    NodeRole::UpsDoubleConversion => {
                        let p_out = 3.0 * (v_out * i_out.conj()).re;
                        let p_in = p_out + node.ups_loss.loss_w(p_out);
                        let s_in = C64::new(p_in, p_in * node.ups_input_tan_phi);
                        per_phase_current(s_in, flow.v_in[k])
                    }
                };
                flow.i_in[k] = i_in;
                if let Some(p) = node.parent {
                    child_current[p] += i_in;
                }
            }
            // Forward sweep: voltages, sources to leaves.
            let mut change: f64 = 0.0;
            for k in 0..n {
                let node = &self.nodes[k];
                if !node.energized {
                    continue;
                }
                let upstream = match node.parent {
                    Some(p) => flow.v_out[p],
                    None => C64::new(node.v_nom_in, 0.0),
                };
                let v_in = upstream - node.z_feeder * flow.i_in[k];
                let v_out = match node.role {
                    NodeRole::UpsDoubleConversion => C64::new(node.v_nom_out, 0.0),
                    NodeRole::Transformer => v_in * (1.0 / node.ratio) - node.z_series * flow.i_out[k],
                    _ => v_in - node.z_series * flow.i_out[k],
                };
                // Squared per-unit change of the output (the input follows from the parent's output
                // and this node's current, both of which are checked): no square root per node.
                change = change.max((v_out - flow.v_out[k]).norm_sqr() / (node.v_nom_out * node.v_nom_out));
                flow.v_in[k] = v_in;
                flow.v_out[k] = v_out;
            }
            let change = change.sqrt();
            flow.last_change_pu = change;
            if !change.is_finite() {
                break;
            }
            if change < TOLERANCE_PU {
                flow.converged = true;
                break;
            }
        }
        flow.child_current = child_current;
        flow.v_out_abs.clear();
        flow.v_out_abs.extend(flow.v_out.iter().map(|&v| mag(v)));
        // A non-finite number anywhere is a failed solve, whatever the sweep's change said
        // (`f64::max` passes NaN by).
        let finite = flow.v_out_abs.iter().all(|v| v.is_finite())
            && flow.i_in.iter().all(|i| i.re.is_finite() && i.im.is_finite());
        flow.converged &= finite;
        if flow.converged {
            let collapsed = self
                .nodes
                .iter()
                .zip(&flow.v_out_abs)
                .any(|(node, &v)| node.energized && v < COLLAPSE_PU * node.v_nom_out);
            flow.converged = !collapsed;
        }
    }
}
