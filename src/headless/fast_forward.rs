//! Skipping the steps of a run that change nothing but its integrators, exactly.
//!
//! After a failure's transient many runs settle: the load flow keeps its standing solution, the
//! cooling plant holds every temperature to the bit, no alert starts or clears, and all that
//! still moves is what integrates at a constant rate: the clock, the energy totals and UPS
//! batteries discharging (or recharging) at constant power. From such a state every further
//! step is the same step, until one of those integrators reaches a threshold (a battery's
//! runtime below [`BATTERY_RUNTIME_ALERT_S`], at 20 % or empty; a recharge ending) or a timer
//! fires. [`FastForward`] finds such stretches and covers them with
//! [`crate::sim::IntegratorStep`], which runs only the integrators' own systems, step by step
//! with the same arithmetic: the world after `k` skipped steps is the world after `k` full
//! steps, bit for bit, and the next full step brings every derived value (alerts' latest
//! values, headroom) up to date.
//!
//! **The criterion.** A stretch is skipped from the end of step `n` when
//! 1. nothing in the run depends on the time itself: the outdoor conditions are constant (no
//!    hourly profile), no scenario plays and no utility's rules are watched;
//! 2. steps `n − 1` and `n` both left every element's components as they found them (Bevy's
//!    change ticks: not one component of an element written, a UPS battery's charge aside), and
//!    step `n` left the rest of the simulation's memory as it found it: the cooling plant
//!    (every field, compared by a derived `==` and, when equal, by its `Debug` text, which
//!    prints every float exactly: a field added later is compared too), site totals, cooling loads, shed and unpowered racks, the alert log (with a UPS's
//!    runtime value and forecast left out: they follow its charge), the equipment log, each
//!    UPS battery's mode and power, and the network (no rebuild, no new solution, every step
//!    solved). Step `n` then started from the state it left, with no change flags but the
//!    batteries' (step `n − 1` raised none), so step `n + 1` repeats it exactly;
//! 3. no timer is running: no cooling unit restarting, no UPS in its walk-in, no transfer switch
//!    timing a transfer, retransfer or engine start, no generator starting or cooling down;
//!    racks shut down on temperature are skipped only up to their restart delay;
//! 4. the skip ends [`MARGIN_STEPS`] steps before the first integrator threshold (worked out
//!    from each battery's present draw) and before the window's last step, which is always a
//!    full step.
//!
//! Sites whose outdoor conditions follow an hourly profile never qualify: their chillers and
//! towers see a new wet bulb every step, so every step changes the plant and the load flow.

use bevy::prelude::*;

use crate::sim::components::{ElementId, RACK_RESTART_DELAY_S, RackProtection};
use crate::sim::electrical::kinds::Ups;
use crate::sim::electrical::standby::{GeneratorMode, GeneratorState, TransferState};
use crate::sim::electrical::{BatteryMode, CoolingLoads, ElectricalNetwork, RackSupply, SiteTotals, UpsBattery};
use crate::sim::limits::{Alert, AlertLog, BATTERY_RUNTIME_ALERT_S, Quantity};
use crate::sim::thermal::{CoolingPlant, ThermalShedding};
use crate::sim::world::CoolingLayout;
use crate::sim::{EquipmentLog, IntegratorStep, SimClock};

/// Full steps kept between a skip's end and the first integrator threshold (the threshold is
/// then crossed by full steps, whatever the rounding of its forecast).
pub const MARGIN_STEPS: u64 = 3;

/// Shortest stretch worth skipping, steps.
const MIN_SKIP: u64 = 2;

/// Watches a run step by step and says when, and how far, it may skip (see the module docs).
#[derive(Debug, Default)]
pub struct FastForward {
    /// The cheap view of the state after the previous step.
    cheap: Option<Cheap>,
    /// The full view after the previous step, when it was taken.
    full: Option<FullView>,
    /// Consecutive steps that wrote no element's component (a battery's aside).
    unflagged: u32,
    /// The world's change tick before the present step.
    tick: Option<bevy::ecs::change_detection::Tick>,
    /// The clock step before which no full view is taken (after views that differed).
    wait_until: u64,
    /// Steps between full views after a miss (doubling).
    backoff: u64,
}

/// What changes step to step in a moving run, read without formatting anything: a step that
/// changes any of it is no fixed point, and the full comparison is not even tried.
#[derive(Debug, PartialEq)]
struct Cheap {
    rebuilds: u64,
    solutions: u64,
    generation: u64,
    converged: bool,
    equipment_log: usize,
    alerts: usize,
    /// Bits of the plant's temperatures and of the site totals.
    bits: Vec<u64>,
}

impl Cheap {
    fn read(world: &World) -> Cheap {
        let net = world.resource::<ElectricalNetwork>();
        let totals = world.resource::<SiteTotals>();
        let mut bits = vec![
            totals.grid_import_kw.to_bits(),
            totals.it_load_kw.to_bits(),
            totals.cooling_kw.to_bits(),
            totals.unserved_kw.to_bits(),
            totals.battery_kw.to_bits(),
        ];
        let mut generation = 0;
        if let Some(p) = world.get_resource::<CoolingPlant>() {
            generation = p.generation;
            bits.extend(p.zones.iter().flat_map(|z| [z.room_c.to_bits(), z.equipment_mass_c.to_bits()]));
            bits.extend(p.cdus.iter().map(|c| c.supply_c.to_bits()));
            bits.extend(p.loops.iter().map(|l| l.supply_c.to_bits()));
        }
        Cheap {
            rebuilds: net.rebuilds,
            solutions: net.solutions,
            generation,
            converged: totals.converged,
            equipment_log: world.get_resource::<EquipmentLog>().map_or(0, |l| l.0.len()),
            alerts: world.get_resource::<AlertLog>().map_or(0, |l| l.alerts.len()),
            bits,
        }
    }
}

impl FastForward {
    /// A watch for a run about to start.
    pub fn new() -> FastForward {
        FastForward { backoff: 4, ..FastForward::default() }
    }

    /// Call before each full step.
    pub fn before_step(&mut self, world: &World) {
        self.tick = Some(world.read_change_tick());
    }

    /// Call after each full step (with [`Self::before_step`] before it); returns how many steps
    /// may now be skipped with [`skip`] (0: none) when `steps_left` steps of the window remain.
    pub fn after_step(&mut self, world: &mut World, steps_left: u64) -> u64 {
        if !inputs_constant(world) {
            self.forget();
            return 0;
        }
        let cheap = Cheap::read(world);
        let calm = cheap.converged && self.cheap.as_ref() == Some(&cheap);
        self.cheap = Some(cheap);
        // (The change ticks are looked at only when the quick look finds the step calm.)
        let since = self.tick.take();
        if !calm || since.is_none_or(|t| elements_changed(world, t)) {
            self.unflagged = 0;
            self.full = None;
            return 0;
        }
        self.unflagged += 1;
        let now = world.resource::<SimClock>().steps;
        if now < self.wait_until {
            self.full = None;
            return 0;
        }
        let full = FullView::read(world);
        let same = self.full.as_ref().is_some_and(|f| f.same_as(&full));
        if !same && self.full.is_some() {
            // Calm to the quick looks but not to the full one: look again later, less often.
            self.wait_until = now + self.backoff;
            self.backoff = (self.backoff * 2).min(256);
            self.full = None;
            return 0;
        }
        self.full = Some(full);
        if !same || self.unflagged < 2 || timer_running(world) {
            return 0;
        }
        self.backoff = 4;
        let k = skippable(world, steps_left);
        if k < MIN_SKIP {
            return 0;
        }
        self.forget();
        k
    }

    /// Forgets what was seen (after a skip, or when the inputs vary).
    fn forget(&mut self) {
        self.cheap = None;
        self.full = None;
        self.unflagged = 0;
    }
}

/// What [`advance_skipping`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Advanced {
    /// Every step had a load-flow solution (a skipped step needs one to be skipped).
    pub all_converged: bool,
    /// Steps covered by [`skip`].
    pub skipped: u64,
}

/// Advances `app` by exactly `steps` fixed steps with [`super::advance_fixed`], skipping what
/// [`FastForward`] finds skippable: the world after it is the world after as many plain steps.
pub fn advance_skipping(app: &mut App, steps: u64) -> Advanced {
    let mut watch = FastForward::new();
    let mut a = Advanced { all_converged: true, skipped: 0 };
    let mut done = 0;
    if steps > 0 && app.world().resource::<SimClock>().steps == 0 {
        watch.before_step(app.world());
        super::advance_fixed(app, 1);
        after_full_step(&mut watch, app.world_mut(), steps, &mut done, &mut a);
    }
    // The schedule is taken out of the world once for the window, not once per step (as
    // `run_schedule` does): the same runs of the same schedule, without a map lookup and a
    // move of the whole schedule out of the world and back around each step.
    if done < steps {
        app.world_mut().schedule_scope(FixedUpdate, |world, schedule| {
            while done < steps {
                watch.before_step(world);
                schedule.run(world);
                world.clear_trackers();
                after_full_step(&mut watch, world, steps, &mut done, &mut a);
            }
        });
    }
    a
}

/// Counts a full step of [`advance_skipping`] and skips the stretch it allows.
fn after_full_step(watch: &mut FastForward, world: &mut World, steps: u64, done: &mut u64, a: &mut Advanced) {
    *done += 1;
    a.all_converged &= world.resource::<SiteTotals>().converged;
    let k = watch.after_step(world, steps - *done);
    if k > 0 {
        skip(world, k);
        *done += k;
        a.skipped += k;
    }
}

/// Runs `steps` steps of the integrators alone (see the module docs): only when
/// [`FastForward::after_step`] said so.
pub fn skip(world: &mut World, steps: u64) {
    for _ in 0..steps {
        world.run_schedule(IntegratorStep);
        world.clear_trackers();
    }
}

/// Nothing in the run depends on the time itself: constant outdoor conditions, no scenario
/// playing, no utility's rules watched.
fn inputs_constant(world: &World) -> bool {
    let ambient_constant = world
        .get_resource::<CoolingLayout>()
        .and_then(|l| l.ambient.as_ref())
        .is_none_or(|a| a.weather.is_none() && a.epw.is_none() && a.hourly.windows(2).all(|w| w[0] == w[1]));
    let scenario = world.get_resource::<crate::scenario::play::ScenarioPlayer>().is_some_and(|p| p.scenario.is_some());
    let watched = world.get_resource::<crate::scenario::live::GridWatch>().is_some_and(|w| w.rules.is_some());
    ambient_constant && !scenario && !watched
}

/// The simulation's whole memory (see the module docs), a battery's charge and what follows
/// from it left out: cloned, so that a step is compared with the next by `==` (derived, so a
/// field added later is compared too) without formatting anything.
#[derive(Debug, Clone, PartialEq)]
struct FullView {
    plant: Option<CoolingPlant>,
    network: (u64, u64, bool),
    totals: SiteTotals,
    loads: Option<CoolingLoads>,
    shedding: Option<ThermalShedding>,
    supply: Option<RackSupply>,
    equipment_log: usize,
    /// The alert log, a UPS's runtime value and forecast cleared (they follow its charge).
    alerts: Vec<Alert>,
    entities: u32,
    /// Each battery's mode and power.
    batteries: Vec<(String, BatteryMode, f64)>,
}

impl FullView {
    fn read(world: &mut World) -> FullView {
        let net = world.resource::<ElectricalNetwork>();
        let network = (net.rebuilds, net.solutions, net.dirty);
        let alerts = world.get_resource::<AlertLog>().map_or_else(Vec::new, |log| {
            log.alerts
                .iter()
                .map(|a| {
                    let mut a = a.clone();
                    if a.quantity == Quantity::BatteryRuntime {
                        (a.value, a.time_to_limit_s) = (0.0, None);
                    }
                    a
                })
                .collect()
        });
        let mut q = world.query::<(&ElementId, &UpsBattery)>();
        let batteries = q.iter(world).map(|(id, b)| (id.0.clone(), b.mode, b.power_w)).collect();
        FullView {
            plant: world.get_resource::<CoolingPlant>().cloned(),
            network,
            totals: world.resource::<SiteTotals>().clone(),
            loads: world.get_resource::<CoolingLoads>().cloned(),
            shedding: world.get_resource::<ThermalShedding>().cloned(),
            supply: world.get_resource::<RackSupply>().cloned(),
            equipment_log: world.get_resource::<EquipmentLog>().map_or(0, |l| l.0.len()),
            alerts,
            entities: world.entities().len(),
            batteries,
        }
    }

    /// Equal to the bit: `==` first (cheap, and false for any moving state), then, since `==`
    /// takes `0.0` for `-0.0`, the `Debug` texts, which print every float exactly. (A NaN
    /// anywhere makes two views unequal: such a run is never skipped, which is safe.)
    fn same_as(&self, other: &FullView) -> bool {
        self == other && format!("{self:?}") == format!("{other:?}")
    }
}

/// True when a step that began at change tick `since` wrote any component of an element (a
/// battery's aside: its charge is an integrator): the next step would see it changed.
fn elements_changed(world: &mut World, since: bevy::ecs::change_detection::Tick) -> bool {
    let now = world.read_change_tick();
    let battery = world.component_id::<UpsBattery>();
    let mut q = world.query_filtered::<EntityRef, With<ElementId>>();
    q.iter(world).any(|e| {
        e.archetype()
            .components()
            .iter()
            .any(|&c| Some(c) != battery && e.get_change_ticks_by_id(c).is_some_and(|t| t.is_changed(since, now)))
    })
}

/// A timer that will change the run by itself: a cooling unit restarting, a UPS in its
/// walk-in, a transfer switch timing something, a generator starting or cooling down.
fn timer_running(world: &mut World) -> bool {
    let restarting = world.get_resource::<CoolingPlant>().is_some_and(|p| p.units().any(|u| u.1.restarting()));
    let mut batteries = world.query::<&UpsBattery>();
    let recovering = batteries.iter(world).any(|b| matches!(b.mode, BatteryMode::Recovering { .. }));
    let mut switches = world.query::<&TransferState>();
    let switching = switches.iter(world).any(|t| {
        t.alternate_ok_s.is_some()
            || t.preferred_back_s.is_some()
            || (t.preferred_lost_s.is_some() && !t.calls_generator)
    });
    let mut generators = world.query::<&GeneratorState>();
    let starting =
        generators.iter(world).any(|g| matches!(g.mode, GeneratorMode::Starting(_) | GeneratorMode::CoolingDown(_)));
    restarting || recovering || switching || starting
}

/// How many steps may be skipped from now: up to [`MARGIN_STEPS`] before the first battery
/// threshold or rack restart, leaving the window's last step to a full step.
fn skippable(world: &mut World, steps_left: u64) -> u64 {
    let clock = *world.resource::<SimClock>();
    let dt = clock.step_s;
    if dt <= 0.0 || steps_left <= 1 {
        return 0;
    }
    // Seconds from now within which nothing may cross.
    let mut horizon_s = f64::INFINITY;
    let mut batteries = world.query::<(&Ups, &UpsBattery)>();
    for (ups, b) in batteries.iter(world) {
        let r = &ups.rating;
        if r.battery_kwh <= 0.0 {
            continue;
        }
        match b.mode {
            BatteryMode::Discharging if b.power_w > 0.0 => {
                // Empty (its load dropped), and critical below the runtime alert. (Its 20 % mark
                // only writes the timeline, which the battery's own system does in a skip too.)
                let Some(runtime_s) = b.runtime_s(r) else { continue };
                for t in [runtime_s, runtime_s - BATTERY_RUNTIME_ALERT_S].into_iter().filter(|&t| t > 0.0) {
                    horizon_s = horizon_s.min(t);
                }
            }
            BatteryMode::Standby if b.used_kwh > 0.0 => {
                // Recharging at the charger's rating until the last step's worth, which is less.
                let charger_w = r.battery_recharge_kw * 1000.0;
                if charger_w > 0.0 {
                    let last_step_kwh = charger_w * dt / 3.6e6;
                    horizon_s = horizon_s.min((b.used_kwh - last_step_kwh) * 3.6e6 / charger_w);
                }
            }
            _ => {}
        }
    }
    // Racks shut down on temperature may restart once their delay is over (if cool enough).
    let mut racks = world.query::<&RackProtection>();
    for p in racks.iter(world).filter(|p| p.tripped) {
        let restart_s = p.tripped_at_s + RACK_RESTART_DELAY_S;
        if restart_s > clock.elapsed_s - 3.0 * dt {
            horizon_s = horizon_s.min(restart_s - clock.elapsed_s);
        }
    }
    let by_horizon = if horizon_s.is_finite() {
        ((horizon_s / dt).floor().max(0.0) as u64).saturating_sub(MARGIN_STEPS)
    } else {
        u64::MAX
    };
    by_horizon.min(steps_left - 1)
}
