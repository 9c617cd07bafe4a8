//! One interface per network element: every electrical node kind says how it behaves by
//! producing a [`Circuit`] from its rating. The load flow, the limits and the OpenDSS export read
//! only circuits, so a new kind that does not say how it behaves does not compile (it must
//! implement [`NetworkKind`]), and a new way of behaving (a [`NodeRole`] or a [`NodeLimit`])
//! makes the compiler point at every place that must handle it (their matches are exhaustive).

use bevy::prelude::*;

use super::SQRT_3;
use super::network::{C64, NodeRole, UpsLossCurve};
use crate::sim::components::{Distribution, GridFeed, Transformer, Ups};
use crate::site::UpsMode;

/// How a network element limits its own loading.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NodeLimit {
    /// A utility feed's contracted import, MVA.
    Import {
        /// Contracted capacity, MVA.
        capacity_mva: f64,
    },
    /// A transformer's rating: the current at its LV terminal against rated current.
    TransformerRating {
        /// Rated apparent power, kVA.
        rated_kva: f64,
    },
    /// A UPS's output rating: real and apparent power, whichever binds.
    UpsRating {
        /// Rated real output, kW.
        rated_kw: f64,
        /// Rated apparent output, kVA.
        rated_kva: f64,
    },
    /// A breaker or bar: its current, with a continuous rating below the breaker.
    Breaker {
        /// Breaker or bar rating, A.
        breaker_a: f64,
        /// Continuous limit, percent of the breaker.
        continuous_pct: f64,
    },
}

/// The electrical description of one network element: what the solver, the limits and the
/// export need, derived from the element's rating whenever it changes.
#[derive(Component, Debug, Clone, PartialEq)]
pub struct Circuit {
    /// Electrical role in the load flow.
    pub role: NodeRole,
    /// Nominal line-to-line voltage at the input, kV.
    pub input_kv: f64,
    /// Nominal line-to-line voltage at the output, kV.
    pub output_kv: f64,
    /// The element takes its upstream's nominal voltage (distribution: validation keeps them
    /// within 1 %).
    pub follows_parent_voltage: bool,
    /// Voltage ratio input/output (transformers), else 1.
    pub ratio: f64,
    /// Series impedance referred to the output side, Ω (transformer leakage, feed source).
    pub z_series: C64,
    /// Shunt conductance per phase at the output terminal, S.
    pub g_shunt: f64,
    /// Shunt susceptance per phase at the output terminal, S.
    pub b_shunt: f64,
    /// UPS loss curve (UPS roles).
    pub ups_loss: UpsLossCurve,
    /// tan φ of a double-conversion UPS's rectifier input.
    pub ups_input_tan_phi: f64,
    /// What limits its loading.
    pub limit: NodeLimit,
}

impl Circuit {
    /// A lossless node at `kv` with `limit` (the common base the kinds refine).
    fn node(role: NodeRole, input_kv: f64, output_kv: f64, limit: NodeLimit) -> Circuit {
        Circuit {
            role,
            input_kv,
            output_kv,
            follows_parent_voltage: false,
            ratio: 1.0,
            z_series: C64::new(0.0, 0.0),
            g_shunt: 0.0,
            b_shunt: 0.0,
            ups_loss: UpsLossCurve::default(),
            ups_input_tan_phi: 0.0,
            limit,
        }
    }

    /// Line-to-neutral nominal output voltage, V.
    pub fn v_ln_out(&self) -> f64 {
        self.output_kv * 1000.0 / SQRT_3
    }
}

/// A placeholder until the kind's circuit is derived (in the same step, before the network
/// is built): an open breaker of no rating. Never solved: the derive system runs first.
impl Default for Circuit {
    fn default() -> Self {
        Circuit::node(NodeRole::Distribution, 0.0, 0.0, NodeLimit::Breaker { breaker_a: 0.0, continuous_pct: 0.0 })
    }
}

/// What every electrical node kind must say about itself.
pub trait NetworkKind: Component {
    /// Its circuit, from its rating and settings.
    fn circuit(&self) -> Circuit;
}

/// Series impedance from a percent impedance and X/R on a (kV, kVA) base, Ω.
pub fn impedance_from_pct(pct: f64, x_r: f64, kv: f64, kva: f64) -> C64 {
    let z_base = kv * kv * 1000.0 / kva;
    let z = pct / 100.0 * z_base;
    let r = z / (1.0 + x_r * x_r).sqrt();
    C64::new(r, r * x_r)
}

/// A transformer's series impedance referred to its LV side, Ω per phase: `R = P_k/S_n` per
/// unit from the load loss (which wins for the resistance), `X = √(Z² − R²)` from the
/// impedance (validation keeps `R < Z`).
pub fn transformer_impedance(r: &crate::catalog::TransformerRating) -> C64 {
    let z_base = r.secondary_kv * r.secondary_kv * 1000.0 / r.rated_kva;
    let z_pu = r.impedance_pct / 100.0;
    let r_pu = r.load_loss_kw / r.rated_kva;
    let x_pu = (z_pu * z_pu - r_pu * r_pu).max(0.0).sqrt();
    C64::new(r_pu * z_base, x_pu * z_base)
}

impl NetworkKind for GridFeed {
    /// A slack source behind `Z = kV²/MVA_sc` (100 % on the short-circuit base), ideal at 0.
    fn circuit(&self) -> Circuit {
        let r = &self.0;
        let mut c = Circuit::node(
            NodeRole::Feed,
            r.voltage_kv,
            r.voltage_kv,
            NodeLimit::Import { capacity_mva: r.capacity_mva },
        );
        if r.short_circuit_mva > 0.0 {
            c.z_series = impedance_from_pct(100.0, r.x_r, r.voltage_kv, r.short_circuit_mva * 1000.0);
        }
        c
    }
}

impl NetworkKind for Transformer {
    /// Series `R + jX` behind an ideal ratio, magnetising branch `G − jB` at the LV terminal.
    fn circuit(&self) -> Circuit {
        let r = &self.0;
        let mut c = Circuit::node(
            NodeRole::Transformer,
            r.primary_kv,
            r.secondary_kv,
            NodeLimit::TransformerRating { rated_kva: r.rated_kva },
        );
        c.ratio = r.primary_kv / r.secondary_kv;
        c.z_series = transformer_impedance(r);
        let v_ln = c.v_ln_out();
        let v2 = 3.0 * v_ln * v_ln;
        c.g_shunt = r.no_load_loss_kw * 1000.0 / v2;
        let y_abs = r.no_load_current_pct / 100.0 * r.rated_kva * 1000.0 / v2;
        c.b_shunt = (y_abs * y_abs - c.g_shunt * c.g_shunt).max(0.0).sqrt();
        c
    }
}

impl NetworkKind for Ups {
    /// Double conversion: regulated output, input at the rectifier's power factor; eco mode:
    /// output follows input. Losses from the mode's curve.
    fn circuit(&self) -> Circuit {
        let r = &self.rating;
        let role = match self.mode {
            UpsMode::DoubleConversion => NodeRole::UpsDoubleConversion,
            UpsMode::Eco => NodeRole::UpsEco,
        };
        let limit = NodeLimit::UpsRating { rated_kw: r.rated_kw, rated_kva: r.rated_kva };
        let mut c = Circuit::node(role, r.voltage_kv, r.voltage_kv, limit);
        let (a, b, k) = match self.mode {
            UpsMode::DoubleConversion => (r.no_load_loss_pct, r.proportional_loss_pct, r.square_loss_pct),
            UpsMode::Eco => (r.eco_no_load_loss_pct, r.eco_proportional_loss_pct, r.eco_square_loss_pct),
        };
        c.ups_loss = UpsLossCurve { rated_w: r.rated_kw * 1000.0, a: a / 100.0, b: b / 100.0, c: k / 100.0 };
        let pf = r.input_power_factor.clamp(1e-6, 1.0);
        c.ups_input_tan_phi = (1.0 - pf * pf).sqrt() / pf;
        c
    }
}

impl NetworkKind for Distribution {
    /// A node without impedance limited by its breaker, at its upstream's nominal voltage.
    fn circuit(&self) -> Circuit {
        let r = &self.0;
        let limit = NodeLimit::Breaker { breaker_a: r.breaker_a, continuous_pct: r.continuous_pct };
        let mut c = Circuit::node(NodeRole::Distribution, r.voltage_kv, r.voltage_kv, limit);
        c.follows_parent_voltage = true;
        c
    }
}

/// Derives the circuit of every element of kind `K` whose rating was added or changed.
pub fn derive_circuits<K: NetworkKind>(mut nodes: Query<(&K, &mut Circuit), Changed<K>>) {
    for (kind, mut circuit) in &mut nodes {
        circuit.set_if_neq(kind.circuit());
    }
}

/// Registers kind `K` with the load flow: its entities carry a [`Circuit`], kept in step with
/// its rating.
pub fn register_kind<K: NetworkKind>(app: &mut App) {
    app.register_required_components::<K, Circuit>();
    app.register_required_components::<K, super::NetworkSlot>();
    app.register_required_components::<K, crate::sim::components::ElectricalState>();
    // Each kind's system touches only the entities of its kind (an element has one), so the
    // systems of different kinds never meet on an entity.
    app.add_systems(
        FixedUpdate,
        derive_circuits::<K>.in_set(super::DeriveCircuits).ambiguous_with(super::DeriveCircuits),
    );
}
