//! Standby power: generator sets and the automatic transfer switches that call them.
//!
//! Each step, before the network is rebuilt, every transfer switch looks at its sources as the
//! latest solution left them (energized, voltage within its pickup band) and runs its timers:
//! the preferred source lost for the engine-start delay calls the generator; the alternate
//! acceptable for the transfer delay takes the load; the preferred back and acceptable for the
//! retransfer delay takes it back. Generators start when called, run as sources after their
//! start time, cool down unloaded when no switch calls them, and stop when out of fuel. What a
//! switch is connected to ([`ChosenSource`]) and whether a generator runs ([`super::OwnSupply`])
//! are components, so a change rebuilds the network like any other edit would.

use std::collections::HashSet;

use bevy::prelude::*;

use super::kinds::{Generator, TransferSwitch};
use super::{ElectricalNetwork, OwnSupply, SiteTotals};
use crate::sim::components::{ElementId, InService, Sources};
use crate::sim::{EquipmentLog, SimClock};

/// Which of its sources a transfer switch connects: `Some(0)` the preferred, `Some(1)` the
/// alternate. Elements without it take their first energized source.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChosenSource(pub Option<usize>);

impl Default for ChosenSource {
    fn default() -> Self {
        ChosenSource(Some(0))
    }
}

/// A transfer switch's timers.
#[derive(Component, Debug, Clone, Copy, Default, PartialEq)]
pub struct TransferState {
    /// When the preferred source was last found lost (while on it), s.
    pub preferred_lost_s: Option<f64>,
    /// When the alternate became acceptable (while waiting to transfer), s.
    pub alternate_ok_s: Option<f64>,
    /// When the preferred came back (while on the alternate), s.
    pub preferred_back_s: Option<f64>,
    /// It wants its alternate's generator running.
    pub calls_generator: bool,
}

/// What a generator set is doing.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub enum GeneratorMode {
    /// Stopped.
    #[default]
    Off,
    /// Cranking and ramping to rated voltage and frequency since this time, s.
    Starting(f64),
    /// A source.
    Running,
    /// Running unloaded since this time before it stops, s.
    CoolingDown(f64),
}

/// A generator set's state.
#[derive(Component, Debug, Clone, Copy, Default, PartialEq)]
pub struct GeneratorState {
    /// What it does.
    pub mode: GeneratorMode,
    /// Fuel burnt, in hours at rated load.
    pub fuel_used_h: f64,
    /// Its output in the latest solve, kW.
    pub output_kw: f64,
    /// How much its output rose in the latest step, % of its rated kW (a load step).
    pub step_pct: f64,
}

impl GeneratorState {
    /// Fuel left, in hours at rated load.
    pub fn fuel_left_h(&self, rating: &crate::catalog::GeneratorRating) -> f64 {
        (rating.fuel_hours - self.fuel_used_h).max(0.0)
    }
}

/// True when the source named `id` is energized in the latest network with its voltage (as
/// last solved) within `window_pct` of nominal.
fn acceptable(net: &ElectricalNetwork, id: &str, window_pct: f64) -> bool {
    let Some(&k) = net.node_of_id.get(id) else { return false };
    if !net.network.is_live(k) {
        return false;
    }
    match net.solved_reading(k) {
        Some(r) => (r.voltage_pu - 1.0).abs() <= window_pct / 100.0,
        // Energized but not solved yet (just started): its regulator holds rated voltage.
        _ => true,
    }
}

/// Before the rebuild: each transfer switch's timers and position.
pub(super) fn run_transfer_switches(
    clock: Res<SimClock>,
    net: Res<ElectricalNetwork>,
    mut switches: Query<(&ElementId, &TransferSwitch, &InService, &Sources, &mut TransferState, &mut ChosenSource)>,
    mut log: ResMut<EquipmentLog>,
) {
    // The switches sense their sources as the latest solution left them (one step of sensing
    // delay); before the first solution there is nothing to sense, and while an edit, event or
    // undo reshapes the network (marking it dirty) that solution describes a topology that is
    // gone.
    if switches.is_empty() || net.flow_rebuild.is_none() && net.solutions == 0 || net.dirty {
        return;
    }
    let t0 = clock.elapsed_s - clock.step_s;
    for (id, ats, in_service, sources, mut st, mut chosen) in &mut switches {
        let (Some(preferred), Some(alternate)) = (sources.0.first(), sources.0.get(1)) else { continue };
        // A static switch has no timers: the network build gives it its first energized source.
        if !in_service.0 || ats.0.is_static() {
            continue;
        }
        let r = &ats.0;
        let pref_ok = acceptable(&net, preferred, r.voltage_window_pct);
        let alt_ok = acceptable(&net, alternate, r.voltage_window_pct);
        let mut next = *st;
        match chosen.0 {
            Some(0) | None => {
                if pref_ok {
                    if next.preferred_lost_s.is_some() {
                        log.0.push((t0, format!("{}: {preferred} is back before the transfer; it stays", id.0)));
                    }
                    next = TransferState::default();
                } else {
                    let lost = *next.preferred_lost_s.get_or_insert_with(|| {
                        log.0.push((t0, format!("{}: {preferred} lost", id.0)));
                        t0
                    });
                    if !next.calls_generator && t0 >= lost + r.engine_start_delay_s {
                        next.calls_generator = true;
                        log.0.push((lost + r.engine_start_delay_s, format!("{} calls {alternate} to start", id.0)));
                    }
                    if alt_ok {
                        let ok = *next.alternate_ok_s.get_or_insert(t0);
                        if t0 >= ok + r.transfer_delay_s {
                            log.0.push((t0, format!("{} transfers its load to {alternate}", id.0)));
                            chosen.set_if_neq(ChosenSource(Some(1)));
                            next.preferred_lost_s = None;
                            next.alternate_ok_s = None;
                        }
                    } else {
                        next.alternate_ok_s = None;
                    }
                }
            }
            Some(_) => {
                next.calls_generator = true;
                if pref_ok {
                    let back = *next.preferred_back_s.get_or_insert_with(|| {
                        log.0.push((
                            t0,
                            format!("{}: {preferred} is back; retransfer after {} s", id.0, r.retransfer_delay_s),
                        ));
                        t0
                    });
                    // Back to the preferred once it has been stable, or at once if the
                    // alternate is gone.
                    if t0 >= back + r.retransfer_delay_s || !alt_ok {
                        log.0.push((t0, format!("{} retransfers its load to {preferred}", id.0)));
                        chosen.set_if_neq(ChosenSource(Some(0)));
                        next = TransferState::default();
                    }
                } else {
                    next.preferred_back_s = None;
                }
            }
        }
        if next != *st {
            *st = next;
        }
    }
}

/// Before the rebuild, after the switches: generators start when called, become sources after
/// their start time, cool down unloaded and stop, or stop out of fuel.
pub(super) fn run_generators(
    clock: Res<SimClock>,
    switches: Query<(&Sources, &TransferState)>,
    mut generators: Query<(&ElementId, &Generator, &InService, &mut GeneratorState, &mut OwnSupply)>,
    mut log: ResMut<EquipmentLog>,
) {
    let (t0, dt) = (clock.elapsed_s - clock.step_s, clock.step_s);
    let called: HashSet<&str> = switches
        .iter()
        .filter(|(_, st)| st.calls_generator)
        .filter_map(|(sources, _)| sources.0.get(1).map(String::as_str))
        .collect();
    for (id, generator, in_service, mut st, mut own) in &mut generators {
        let r = &generator.0;
        let wanted = in_service.0 && called.contains(id.0.as_str());
        let mut next = *st;
        // Fuel burnt over the last step at its last output (a linear fuel curve; estimate).
        if next.mode == GeneratorMode::Running || matches!(next.mode, GeneratorMode::CoolingDown(_)) {
            next.fuel_used_h += (next.output_kw / r.rated_kw).max(0.0) * dt / 3600.0;
        }
        next.mode = match next.mode {
            _ if !in_service.0 => GeneratorMode::Off,
            GeneratorMode::Running | GeneratorMode::CoolingDown(_) if next.fuel_used_h >= r.fuel_hours => {
                log.0.push((t0, format!("{} out of fuel: it stops", id.0)));
                GeneratorMode::Off
            }
            GeneratorMode::Off if wanted && next.fuel_used_h < r.fuel_hours => {
                log.0.push((t0, format!("{} starting ({} s to rated voltage and frequency)", id.0, r.start_s)));
                GeneratorMode::Starting(t0)
            }
            GeneratorMode::Starting(since) if t0 >= since + r.start_s => {
                log.0.push((since + r.start_s, format!("{} at rated voltage and frequency", id.0)));
                GeneratorMode::Running
            }
            GeneratorMode::Starting(_) if !wanted => GeneratorMode::Off,
            GeneratorMode::Running if !wanted => {
                log.0.push((t0, format!("{} unloaded: cooling down for {} s", id.0, r.cooldown_s)));
                GeneratorMode::CoolingDown(t0)
            }
            GeneratorMode::CoolingDown(_) if wanted => GeneratorMode::Running,
            GeneratorMode::CoolingDown(since) if t0 >= since + r.cooldown_s => {
                log.0.push((t0, format!("{} stopped", id.0)));
                GeneratorMode::Off
            }
            m => m,
        };
        if next != *st {
            *st = next;
        }
        let runs = matches!(st.mode, GeneratorMode::Running | GeneratorMode::CoolingDown(_));
        own.set_if_neq(OwnSupply(runs));
    }
}

/// After the solve: each generator's output and the load step it took.
pub(super) fn measure_generators(
    net: Res<ElectricalNetwork>,
    totals: Res<SiteTotals>,
    mut generators: Query<(Entity, &Generator, &mut GeneratorState)>,
) {
    for (entity, generator, mut st) in &mut generators {
        // The reading, not the whole state: a step asks for no element's whole state.
        let now_kw = match net.index.get(&entity) {
            Some(&k) if totals.converged => net.solved_reading(k).map_or(0.0, |r| r.p_kw),
            _ => 0.0,
        };
        let step_pct = (now_kw - st.output_kw) / generator.0.rated_kw * 100.0;
        if (st.output_kw, st.step_pct) != (now_kw, step_pct) {
            st.output_kw = now_kw;
            st.step_pct = step_pct;
        }
    }
}
