//! One interface per network element: every electrical node kind says how it behaves by
//! producing a [`Circuit`] from its rating. The load flow, the limits and the OpenDSS export read
//! only circuits, so a new kind that does not say how it behaves does not compile (it must
//! implement [`NetworkKind`]), and a new way of behaving (a [`NodeRole`] or a [`NodeLimit`])
//! makes the compiler point at every place that must handle it (their matches are exhaustive).

use bevy::prelude::*;

use super::SQRT_3;
use super::network::{C64, NodeRole, UpsLossCurve};
use crate::site::spec::{Modelled, OverridesOf, RatingOf};

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
    /// A generator set's rating: real and apparent power, whichever binds.
    GeneratorRating {
        /// Rated real power, kW.
        rated_kw: f64,
        /// Rated apparent power, kVA.
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
/// export need, derived from the element's rating whenever it is inserted. Immutable: a new
/// circuit is an insert, which marks the network for a rebuild.
#[derive(Component, Debug, Clone, PartialEq)]
#[component(immutable)]
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
    pub(crate) fn node(role: NodeRole, input_kv: f64, output_kv: f64, limit: NodeLimit) -> Circuit {
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

/// The circuit an element is spawned with, replaced by its kind's own before the spawn
/// returns ([`derive_circuit`]): an open breaker of no rating. Being required, it puts the
/// element in its final archetype at once (the storage order, and so the order of the
/// sums over elements, is that of the spawns).
impl Default for Circuit {
    fn default() -> Self {
        Circuit::node(NodeRole::Distribution, 0.0, 0.0, NodeLimit::Breaker { breaker_a: 0.0, continuous_pct: 0.0 })
    }
}

/// What every electrical node kind must say about itself: how it is made from its line in the
/// site file and written back to one, and how it behaves on the network. Each kind's component
/// implements it (in [`super::kinds`]); the table of kinds registers it with the load flow and
/// the world conversion, so a kind without it does not compile.
///
/// The component is immutable (every change of rating is an insert), so its [`Circuit`] is
/// derived the moment it changes and the network knows to rebuild.
pub trait NetworkKind: Component<Mutability = bevy::ecs::component::Immutable> + Sized {
    /// Its spec in the site file.
    type Spec: Modelled;
    /// The component for `spec` with its resolved `rating`.
    fn from_spec(spec: &Self::Spec, rating: RatingOf<Self::Spec>) -> Self;
    /// Its rating (overrides are written back as the difference from the catalog model).
    fn rating(&self) -> &RatingOf<Self::Spec>;
    /// Its spec, from what every element has and this component.
    fn to_spec(&self, parts: NodeParts<Self::Spec>) -> Self::Spec;
    /// Its circuit, from its rating and settings.
    fn circuit(&self) -> Circuit;
}

/// What every network node has in the world, as its spec writes it.
#[derive(Clone)]
pub struct NodeParts<S: Modelled> {
    /// Unique id.
    pub id: String,
    /// Catalog model.
    pub model: String,
    /// Overrides of the catalog rating.
    pub overrides: OverridesOf<S>,
    /// Its sources, in order of preference.
    pub sources: Vec<String>,
    /// The cable from its upstream.
    pub feeder: Option<crate::site::FeederSpec>,
    /// The room its losses heat.
    pub zone: Option<String>,
    /// Floor position, m.
    pub position_m: (f64, f64),
    /// Rotation, degrees.
    pub rotation_deg: f64,
    /// In service.
    pub in_service: bool,
    /// Common-mode groups.
    pub common_mode: Vec<String>,
}

impl<S: Modelled> NodeParts<S> {
    /// The single upstream of kinds that have one (its preferred source).
    pub fn upstream(&self) -> String {
        self.sources.first().cloned().unwrap_or_default()
    }
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

/// Derives the circuit of an element of kind `K` whenever its rating is inserted (a spawn, an
/// edit or an undo: the rating cannot change in place).
fn derive_circuit<K: NetworkKind>(insert: On<Insert, K>, kinds: Query<&K>, mut commands: Commands) {
    if let Ok(kind) = kinds.get(insert.entity) {
        commands.entity(insert.entity).insert(kind.circuit());
    }
}

/// Registers kind `K` with the load flow: its entities carry a [`Circuit`], kept in step with
/// its rating.
pub fn register_kind<K: NetworkKind>(app: &mut App) {
    app.register_required_components::<K, Circuit>();
    app.register_required_components::<K, super::NetworkSlot>();
    app.add_observer(derive_circuit::<K>);
}
