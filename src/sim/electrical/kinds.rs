//! The electrical node kinds: each one's component (its rating and settings) and how it behaves
//! on the network ([`NetworkKind`]). Adding a node kind means adding its component and
//! implementation here; the table in [`crate::kinds`] registers it everywhere else.

use bevy::prelude::*;

use super::circuit::{Circuit, NetworkKind, NodeLimit, NodeParts, impedance_from_pct, transformer_impedance};
use super::network::{NodeRole, UpsLossCurve};
use crate::catalog::{
    DistributionRating, GeneratorRating, GridFeedRating, TransferSwitchRating, TransformerRating, UpsRating,
};
use crate::site::{
    DistributionSpec, GeneratorSpec, GridFeedSpec, TransferSwitchSpec, TransformerSpec, UpsMode, UpsSpec,
};

/// A utility feed and its rating.
#[derive(Component, Debug, Clone, PartialEq)]
#[component(immutable)]
pub struct GridFeed(pub GridFeedRating);

/// A standby generator set and its rating.
#[derive(Component, Debug, Clone, PartialEq)]
#[component(immutable)]
pub struct Generator(pub GeneratorRating);

/// An automatic transfer switch and its rating and timers.
#[derive(Component, Debug, Clone, PartialEq)]
#[component(immutable)]
pub struct TransferSwitch(pub TransferSwitchRating);

/// A transformer and its rating.
#[derive(Component, Debug, Clone, PartialEq)]
#[component(immutable)]
pub struct Transformer(pub TransformerRating);

/// A UPS, its rating and operating mode.
#[derive(Component, Debug, Clone, PartialEq)]
#[component(immutable)]
pub struct Ups {
    /// Rating.
    pub rating: UpsRating,
    /// Double conversion or eco.
    pub mode: UpsMode,
}

/// A switchboard, PDU, RPP or busway and its rating.
#[derive(Component, Debug, Clone, PartialEq)]
#[component(immutable)]
pub struct Distribution(pub DistributionRating);

impl NetworkKind for GridFeed {
    type Spec = GridFeedSpec;
    fn from_spec(_: &GridFeedSpec, rating: GridFeedRating) -> Self {
        GridFeed(rating)
    }
    fn rating(&self) -> &GridFeedRating {
        &self.0
    }
    fn to_spec(&self, p: NodeParts<GridFeedSpec>) -> GridFeedSpec {
        let NodeParts { id, model, overrides, position_m, rotation_deg, in_service, common_mode, .. } = p;
        GridFeedSpec { id, model, overrides, position_m, rotation_deg, in_service, common_mode }
    }
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

impl NetworkKind for Generator {
    type Spec = GeneratorSpec;
    fn from_spec(_: &GeneratorSpec, rating: GeneratorRating) -> Self {
        Generator(rating)
    }
    fn rating(&self) -> &GeneratorRating {
        &self.0
    }
    fn to_spec(&self, p: NodeParts<GeneratorSpec>) -> GeneratorSpec {
        let NodeParts { id, model, overrides, position_m, rotation_deg, in_service, common_mode, .. } = p;
        GeneratorSpec { id, model, overrides, position_m, rotation_deg, in_service, common_mode }
    }
    /// A source at its rated voltage (its regulator holds it) while it runs.
    fn circuit(&self) -> Circuit {
        let r = &self.0;
        let limit = NodeLimit::GeneratorRating { rated_kw: r.rated_kw, rated_kva: r.rated_kva };
        Circuit::node(NodeRole::Generator, r.voltage_kv, r.voltage_kv, limit)
    }
}

impl NetworkKind for TransferSwitch {
    type Spec = TransferSwitchSpec;
    fn from_spec(_: &TransferSwitchSpec, rating: TransferSwitchRating) -> Self {
        TransferSwitch(rating)
    }
    fn rating(&self) -> &TransferSwitchRating {
        &self.0
    }
    fn to_spec(&self, p: NodeParts<TransferSwitchSpec>) -> TransferSwitchSpec {
        let preferred = p.sources.first().cloned().unwrap_or_default();
        let alternate = p.sources.get(1).cloned().unwrap_or_default();
        let NodeParts { id, model, overrides, zone, position_m, rotation_deg, in_service, common_mode, .. } = p;
        TransferSwitchSpec {
            id,
            model,
            preferred,
            alternate,
            zone,
            overrides,
            position_m,
            rotation_deg,
            in_service,
            common_mode,
        }
    }
    /// A node without impedance at its source's voltage, limited by its continuous rating (a
    /// transfer switch carries its full rating continuously: UL 1008).
    fn circuit(&self) -> Circuit {
        let r = &self.0;
        let limit = NodeLimit::Breaker { breaker_a: r.rated_a, continuous_pct: 100.0 };
        let mut c = Circuit::node(NodeRole::Distribution, r.voltage_kv, r.voltage_kv, limit);
        c.follows_parent_voltage = true;
        c
    }
}

impl NetworkKind for Transformer {
    type Spec = TransformerSpec;
    fn from_spec(_: &TransformerSpec, rating: TransformerRating) -> Self {
        Transformer(rating)
    }
    fn rating(&self) -> &TransformerRating {
        &self.0
    }
    fn to_spec(&self, p: NodeParts<TransformerSpec>) -> TransformerSpec {
        let upstream = p.upstream();
        let NodeParts { id, model, overrides, feeder, zone, position_m, rotation_deg, in_service, common_mode, .. } = p;
        TransformerSpec {
            id,
            model,
            upstream,
            feeder,
            zone,
            overrides,
            position_m,
            rotation_deg,
            in_service,
            common_mode,
        }
    }
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
    type Spec = UpsSpec;
    fn from_spec(spec: &UpsSpec, rating: UpsRating) -> Self {
        Ups { rating, mode: spec.mode }
    }
    fn rating(&self) -> &UpsRating {
        &self.rating
    }
    fn to_spec(&self, p: NodeParts<UpsSpec>) -> UpsSpec {
        let (upstream, mode) = (p.upstream(), self.mode);
        let NodeParts { id, model, overrides, feeder, zone, position_m, rotation_deg, in_service, common_mode, .. } = p;
        UpsSpec {
            id,
            model,
            upstream,
            feeder,
            mode,
            zone,
            overrides,
            position_m,
            rotation_deg,
            in_service,
            common_mode,
        }
    }
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
    type Spec = DistributionSpec;
    fn from_spec(_: &DistributionSpec, rating: DistributionRating) -> Self {
        Distribution(rating)
    }
    fn rating(&self) -> &DistributionRating {
        &self.0
    }
    fn to_spec(&self, p: NodeParts<DistributionSpec>) -> DistributionSpec {
        let upstream = p.upstream();
        let NodeParts { id, model, overrides, feeder, zone, position_m, rotation_deg, in_service, common_mode, .. } = p;
        DistributionSpec {
            id,
            model,
            upstream,
            feeder,
            zone,
            overrides,
            position_m,
            rotation_deg,
            in_service,
            common_mode,
        }
    }
    /// A node without impedance limited by its breaker, at its upstream's nominal voltage.
    fn circuit(&self) -> Circuit {
        let r = &self.0;
        let limit = NodeLimit::Breaker { breaker_a: r.breaker_a, continuous_pct: r.continuous_pct };
        let mut c = Circuit::node(NodeRole::Distribution, r.voltage_kv, r.voltage_kv, limit);
        c.follows_parent_voltage = true;
        c
    }
}
