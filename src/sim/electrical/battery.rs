//! UPS batteries: what holds a UPS's output when its input is lost, for as long as its energy
//! lasts, and how the input takes the load back (rectifier hold-off, then a walk-in ramp).
//!
//! Each step, before the network is rebuilt, a UPS whose battery has energy is marked as able to
//! hold its output ([`OwnSupply`]), so losing its input does not de-energize what it feeds. After
//! the rebuild the battery's mode follows its input (lost: discharging; back: recovering, the
//! input's share ramping from 0 to 1), and the load flow draws that share of the UPS's input
//! power from the network and the rest from the battery. After the solve the battery gives the
//! rest (output plus the UPS's losses, so a runtime is `E·η / P`), optionally derated by
//! Peukert's law, and recharges at the charger's power once the input carries it all. When it is
//! empty the UPS can no longer hold its output: the next rebuild drops its load.

use bevy::prelude::*;

use super::network::{NodeRole, UpsInput};
use super::{ElectricalNetwork, SiteTotals, kinds::Ups};
use crate::sim::components::{ElementId, InService};
use crate::sim::{EquipmentLog, SimClock};

/// True when an element can hold its output without its input (a UPS whose battery has energy):
/// the network keeps it energized when its source is lost.
#[derive(Component, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OwnSupply(pub bool);

/// What a UPS's battery is doing.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub enum BatteryMode {
    /// The input carries the load; the battery is full or recharging.
    #[default]
    Standby,
    /// The input is lost: the battery carries the load.
    Discharging,
    /// The input came back at `input_back_s`: after the hold-off its share ramps up over the
    /// walk-in while the battery carries the rest.
    Recovering {
        /// When the input came back, s.
        input_back_s: f64,
    },
    /// The battery ran out: the UPS cannot hold its output until the input returns.
    Empty,
}

/// A UPS's battery state (every UPS has one; a UPS without battery energy never leaves standby).
#[derive(Component, Debug, Clone, Copy, Default, PartialEq)]
pub struct UpsBattery {
    /// Energy drawn since it was last full, kWh (0 = full).
    pub used_kwh: f64,
    /// What it is doing.
    pub mode: BatteryMode,
    /// Power it gave in the latest step, W (negative while charging).
    pub power_w: f64,
}

impl UpsBattery {
    /// Energy left, kWh.
    pub fn left_kwh(&self, rating: &crate::catalog::UpsRating) -> f64 {
        (rating.battery_kwh - self.used_kwh).max(0.0)
    }

    /// Seconds the battery lasts at its present discharge (`None` when not discharging).
    pub fn runtime_s(&self, rating: &crate::catalog::UpsRating) -> Option<f64> {
        (self.power_w > 0.0).then(|| {
            let draw = peukert_draw_w(self.power_w, rating);
            self.left_kwh(rating) * 3.6e6 / draw
        })
    }
}

/// Power drawn from the cells for `power_w` delivered: Peukert's law on power,
/// `P·(P/P_rated)^(k−1)` (the usable energy is quoted at the UPS's rated power).
fn peukert_draw_w(power_w: f64, rating: &crate::catalog::UpsRating) -> f64 {
    let k = rating.peukert_exponent;
    if k == 1.0 { power_w } else { power_w * (power_w / (rating.rated_kw * 1000.0)).powf(k - 1.0) }
}

/// Average over `[t0, t1]` of the input's share while recovering: 0 until the hold-off ends at
/// `a`, then a linear ramp to 1 over `walk_in_s` (exact for any step, so the battery's extra
/// discharge is the ramp's triangle whatever the step).
fn recovering_share(t0: f64, t1: f64, a: f64, walk_in_s: f64) -> f64 {
    // ∫ share dt from −∞ to t.
    let integral = |t: f64| {
        if t <= a {
            0.0
        } else if walk_in_s <= 0.0 || t >= a + walk_in_s {
            walk_in_s / 2.0 + (t - a - walk_in_s).max(0.0)
        } else {
            (t - a) * (t - a) / (2.0 * walk_in_s)
        }
    };
    ((integral(t1) - integral(t0)) / (t1 - t0)).clamp(0.0, 1.0)
}

/// Before the rebuild: which UPS can hold its output.
pub(super) fn mark_own_supply(mut ups: Query<(&Ups, &InService, &UpsBattery, &mut OwnSupply)>) {
    for (ups, in_service, battery, mut own) in &mut ups {
        let holds = in_service.0
            && ups.rating.battery_kwh > 0.0
            && battery.mode != BatteryMode::Empty
            && battery.left_kwh(&ups.rating) > 0.0;
        own.set_if_neq(OwnSupply(holds));
    }
}

/// After the rebuild: each battery's mode follows its input, and the load flow learns which
/// share of each UPS's input power comes from the network and what its charger draws.
pub(super) fn set_ups_inputs(
    clock: Res<SimClock>,
    mut net: ResMut<ElectricalNetwork>,
    mut ups: Query<(Entity, &ElementId, &Ups, &mut UpsBattery)>,
    mut log: ResMut<EquipmentLog>,
) {
    let net = &mut *net;
    let n = net.network.nodes().len();
    // A rebuild gives a fresh working flow (every input at its default); between rebuilds only
    // UPS entries are ever written, so only they are rewritten.
    if net.work.ups_input.len() != n {
        net.work.ups_input.clear();
        net.work.ups_input.resize(n, UpsInput::default());
        net.inputs_match = false;
    }
    net.ups_inputs_changed = false;
    let (t0, dt) = (clock.elapsed_s - clock.step_s, clock.step_s.max(1e-9));
    for (entity, id, ups, mut battery) in &mut ups {
        let Some(&k) = net.index.get(&entity) else { continue };
        let node = &net.network.nodes()[k];
        let r = &ups.rating;
        if r.battery_kwh <= 0.0 {
            continue;
        }
        // Live, and (during a sag) within the rectifier's input tolerance.
        let input_live = node.parent.is_some_and(|q| net.network.is_live(q))
            && super::expected_input_pu(net, k) >= 1.0 - r.input_low_pct / 100.0;
        let mode = battery.mode;
        let next = match (mode, input_live) {
            (BatteryMode::Standby, false) if node.energized => {
                let why = if node.parent.is_some_and(|q| net.network.is_live(q)) {
                    format!("its input is below {:.0} % of nominal", 100.0 - r.input_low_pct)
                } else {
                    "its input is lost".to_string()
                };
                log.0.push((t0, format!("{} on battery: {why}", id.0)));
                BatteryMode::Discharging
            }
            (BatteryMode::Discharging, true) => {
                log.0.push((
                    t0,
                    format!(
                        "{} input back: the battery carries the load through the {} s hold-off and {} s walk-in",
                        id.0, r.hold_off_s, r.walk_in_s
                    ),
                ));
                BatteryMode::Recovering { input_back_s: t0 }
            }
            (BatteryMode::Recovering { .. }, false) => {
                log.0.push((t0, format!("{} on battery again: its input is lost during the walk-in", id.0)));
                BatteryMode::Discharging
            }
            (BatteryMode::Recovering { input_back_s }, true) if t0 >= input_back_s + r.hold_off_s + r.walk_in_s => {
                let done = input_back_s + r.hold_off_s + r.walk_in_s;
                log.0.push((done, format!("{} walk-in done: the input carries the load", id.0)));
                BatteryMode::Standby
            }
            (BatteryMode::Empty, true) => {
                log.0.push((t0, format!("{} restarts on its returning input (battery empty)", id.0)));
                BatteryMode::Standby
            }
            (m, _) => m,
        };
        if next != mode {
            battery.mode = next;
        }
        let share = match battery.mode {
            BatteryMode::Standby => 1.0,
            BatteryMode::Discharging | BatteryMode::Empty => 0.0,
            BatteryMode::Recovering { input_back_s } => {
                recovering_share(t0, t0 + dt, input_back_s + r.hold_off_s, r.walk_in_s)
            }
        };
        // The charger refills what was drawn, no faster than its rating.
        let charge_w = if battery.mode == BatteryMode::Standby && battery.used_kwh > 0.0 {
            (r.battery_recharge_kw * 1000.0).min(battery.used_kwh * 3.6e6 / dt)
        } else {
            0.0
        };
        let input = UpsInput { share, charge_w };
        if net.work.ups_input[k] != input {
            net.work.ups_input[k] = input;
            net.ups_inputs_changed = true;
            net.inputs_match = false;
        }
    }
}

/// After the solve: the batteries give what the input did not, or take the charger's power.
pub(super) fn integrate_batteries(
    clock: Res<SimClock>,
    net: Res<ElectricalNetwork>,
    mut totals: ResMut<SiteTotals>,
    mut ups: Query<(Entity, &ElementId, &Ups, &mut UpsBattery)>,
    mut log: ResMut<EquipmentLog>,
) {
    let (t0, dt) = (clock.elapsed_s - clock.step_s, clock.step_s);
    let mut net_w = 0.0;
    for (entity, id, ups, mut battery) in &mut ups {
        let r = &ups.rating;
        if r.battery_kwh <= 0.0 {
            continue;
        }
        let Some(&k) = net.index.get(&entity) else { continue };
        let flow = &net.flow;
        let input = flow.ups_input.get(k).copied().unwrap_or_default();
        let node = &net.network.nodes()[k];
        let solved = totals.converged && node.energized && k < flow.v_out.len();
        let power_w = if !solved {
            0.0
        } else if input.share < 1.0 {
            debug_assert!(matches!(node.role, NodeRole::UpsDoubleConversion | NodeRole::UpsEco));
            let p_out = flow.s_out(k).re.max(0.0);
            (p_out + node.ups_loss.loss_w(p_out)) * (1.0 - input.share)
        } else {
            -input.charge_w
        };
        let before = battery.used_kwh;
        let draw = if power_w > 0.0 { peukert_draw_w(power_w, r) } else { power_w };
        let used_kwh = (before + draw * dt / 3.6e6).clamp(0.0, r.battery_kwh);
        // A battery at rest is not rewritten (no change ticks on every UPS every step).
        if (battery.used_kwh, battery.power_w) != (used_kwh, power_w) {
            battery.used_kwh = used_kwh;
            battery.power_w = power_w;
        }
        net_w += power_w;
        let pct = |used: f64| (1.0 - used / r.battery_kwh) * 100.0;
        if power_w > 0.0 && pct(before) > 20.0 && pct(battery.used_kwh) <= 20.0 {
            let at = t0 + dt * ((before - 0.8 * r.battery_kwh) / (battery.used_kwh - before)).abs().min(1.0);
            log.0.push((at, format!("{} battery at 20 %", id.0)));
        }
        if power_w > 0.0 && battery.used_kwh >= r.battery_kwh {
            // The moment it ran out within the step.
            let at = t0 + dt * ((r.battery_kwh - before) / (draw * dt / 3.6e6)).clamp(0.0, 1.0);
            log.0.push((at, format!("{} battery empty: its load is dropped", id.0)));
            battery.mode = BatteryMode::Empty;
        }
    }
    totals.battery_kw = net_w / 1000.0;
}
