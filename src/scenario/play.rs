//! Playing a scenario into a running world, and the timeline of what followed.

use bevy::prelude::*;
use serde::Serialize;

use super::{Event, Scenario, event_edit, show_s};
use crate::edit::{self, Edit};
use crate::sim::electrical::SiteTotals;
use crate::sim::limits::{AlertLog, Quantity, Severity};
use crate::sim::thermal::CoolingPlant;
use crate::sim::world::CoolingLayout;
use crate::sim::{SimClock, SimSystems};

/// Plays the [`ScenarioPlayer`]'s events at their times and records the timeline's trackers.
pub struct ScenarioPlugin;

impl Plugin for ScenarioPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<ScenarioPlayer>()
            .add_systems(FixedUpdate, play_events.in_set(SimSystems::Events))
            .add_systems(FixedUpdate, track_consequences.in_set(SimSystems::Record));
    }
}

/// The scenario being played, what it did so far, and what the run saw.
#[derive(Resource, Debug, Clone, Default)]
pub struct ScenarioPlayer {
    /// The scenario (`None`: nothing to play, the trackers still run).
    pub scenario: Option<Scenario>,
    /// Index of the next event to play.
    next: usize,
    /// Events played and their consequences the trackers saw, in time order.
    log: Vec<TimelineEntry>,
    /// Racks without power after the latest step, and their design load, kW.
    unpowered: (u32, f64),
    /// The hottest rack inlet seen: °C, time s, its zone.
    pub peak_inlet: Option<(f64, f64, String)>,
    /// The lowest UPS battery charge seen: % of usable energy, time s, the UPS.
    pub lowest_battery: Option<(f64, f64, String)>,
    /// Training jobs and profiles running.
    jobs: Vec<RunningJob>,
    /// What the jobs drew and what their power floors added.
    pub job_energy: JobEnergy,
    /// Voltage sags under way: the feed, its id, and when it ends (s).
    sags: Vec<(Entity, String, f64)>,
    /// Voltage sags played, as they happened (whole steps).
    pub disturbances: Vec<super::rules::Disturbance>,
}

/// The energy of the training jobs and profiles played, and the cost of their power floors.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, schemars::JsonSchema)]
pub struct JobEnergy {
    /// Energy the jobs' racks drew, kWh.
    pub energy_kwh: f64,
    /// Energy the power floors added (drawn above what the job asked), kWh.
    pub floor_extra_kwh: f64,
    /// Simulated time a job ran, s.
    pub running_s: f64,
}

impl JobEnergy {
    /// The floors' extra energy per day of running, MWh/day.
    pub fn floor_extra_mwh_per_day(&self) -> f64 {
        if self.running_s > 0.0 { self.floor_extra_kwh / 1e3 * 86_400.0 / self.running_s } else { 0.0 }
    }

    /// The floors' extra energy as a share of what the jobs would have drawn without them, %.
    pub fn floor_extra_pct(&self) -> f64 {
        let without = self.energy_kwh - self.floor_extra_kwh;
        if without > 0.0 { 100.0 * self.floor_extra_kwh / without } else { 0.0 }
    }
}

impl ScenarioPlayer {
    /// A player for `scenario`.
    pub fn new(scenario: Scenario) -> ScenarioPlayer {
        ScenarioPlayer { scenario: Some(scenario), ..ScenarioPlayer::default() }
    }

    /// Events played so far.
    pub fn played(&self) -> usize {
        self.next
    }
}

/// A training job or profile running.
#[derive(Debug, Clone)]
struct RunningJob {
    /// What the racks follow.
    pattern: Pattern,
    /// When it started, s.
    started_s: f64,
    /// Its racks.
    racks: Vec<JobRack>,
}

/// What a running job's racks follow.
#[derive(Debug, Clone)]
enum Pattern {
    Training(super::TrainingJob),
    Profile(Vec<(f64, f64)>),
}

/// A rack in a running job and its mitigations' state.
#[derive(Debug, Clone)]
struct JobRack {
    entity: Entity,
    /// Its iteration offset, s.
    offset_s: f64,
    /// Its rating, kW.
    rated_kw: f64,
    /// The GPUs' utilization last step (for the ramp limit).
    last_u: Option<f64>,
    /// Its power supplies' store.
    store: Option<super::storage::Smoother>,
}

/// One line of the timeline.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct TimelineEntry {
    /// Simulated time, s.
    pub time_s: f64,
    /// `event` (from the scenario), `equipment` (what equipment did: a UPS to battery...),
    /// `alert`, `cleared` or `power`.
    pub what: &'static str,
    /// What happened, in a sentence.
    pub text: String,
}

/// Applies every event due at the start of this step: the first step that starts at or after
/// the event's time (an event between step boundaries waits for the next one).
fn play_events(world: &mut World) {
    let clock = *world.resource::<SimClock>();
    let start = clock.elapsed_s - clock.step_s;
    end_sags(world, start);
    loop {
        let due = {
            let player = world.resource::<ScenarioPlayer>();
            let Some(scenario) = &player.scenario else { return };
            match scenario.events.get(player.next) {
                Some((t, e)) if *t <= start + 1e-9 => (*t, e.clone()),
                _ => break,
            }
        };
        match &due.1 {
            Event::Training(job) => start_job(world, &job.racks, Pattern::Training(job.clone()), start),
            Event::Profile { racks, points, .. } => start_job(world, racks, Pattern::Profile(points.clone()), start),
            Event::Sag { feed, retained_pu, duration_s } => start_sag(world, feed, *retained_pu, start, *duration_s),
            // A set utilization ends any job on those racks.
            Event::Utilization { racks, .. } => {
                let taken = group_entities(world, racks);
                leave_jobs(world, &taken);
            }
            _ => {}
        }
        let (at, event) = due;
        let outcome = apply_event(world, &event);
        let mut text = event.describe();
        if (start - at).abs() > 1e-9 {
            text.push_str(&format!(" (due at {}, played at the next step)", show_s(at)));
        }
        if let Err(e) = outcome {
            text.push_str(&format!(": refused: {e}"));
        }
        let mut player = world.resource_mut::<ScenarioPlayer>();
        player.next += 1;
        player.log.push(TimelineEntry { time_s: start, what: "event", text });
    }
    drive_jobs(world, start);
}

/// The utility's voltage at `feed` drops to `retained_pu` from `start` for `duration_s` (whole
/// steps: it ends at the first step that starts at or after `start + duration_s`).
fn start_sag(world: &mut World, feed: &str, retained_pu: f64, start: f64, duration_s: f64) {
    let mut q = world.query::<(Entity, &crate::sim::components::ElementId)>();
    let Some(entity) = q.iter(world).find(|(_, id)| id.0 == feed).map(|(e, _)| e) else { return };
    if let Some(mut v) = world.get_mut::<crate::sim::electrical::SourceVoltage>(entity) {
        v.0 = retained_pu;
    }
    let step = world.resource::<SimClock>().step_s;
    let end = start + (duration_s / step - 1e-9).ceil().max(1.0) * step;
    let mut player = world.resource_mut::<ScenarioPlayer>();
    player.sags.push((entity, feed.to_string(), end));
    player.disturbances.push(super::rules::Disturbance {
        feed: feed.to_string(),
        start_s: start,
        end_s: end,
        retained_pu,
    });
}

/// Sags that are over by `start` end: their feeds' voltage returns to nominal.
fn end_sags(world: &mut World, start: f64) {
    let sags = std::mem::take(&mut world.resource_mut::<ScenarioPlayer>().sags);
    let mut left = Vec::new();
    for (entity, id, end) in sags {
        if end <= start + 1e-9 {
            if let Some(mut v) = world.get_mut::<crate::sim::electrical::SourceVoltage>(entity) {
                v.0 = 1.0;
            }
            let text = format!("voltage at {id} back to nominal");
            world.resource_mut::<ScenarioPlayer>().log.push(TimelineEntry { time_s: end, what: "event", text });
        } else {
            left.push((entity, id, end));
        }
    }
    world.resource_mut::<ScenarioPlayer>().sags = left;
}

/// Sets the utilization of every rack in a running job for the step starting at `start`: the
/// pattern with its floor, the GPUs' ramp limit, then the rack's store between the GPUs and
/// the grid (only racks whose value changes are touched). A job that has ended leaves its
/// racks at idle.
fn drive_jobs(world: &mut World, start: f64) {
    let mut jobs = std::mem::take(&mut world.resource_mut::<ScenarioPlayer>().jobs);
    let dt = world.resource::<SimClock>().step_s;
    let mut energy = world.resource::<ScenarioPlayer>().job_energy;
    if !jobs.is_empty() {
        energy.running_s += dt;
    }
    for job in &mut jobs {
        let t = start - job.started_s;
        for r in &mut job.racks {
            let (asked, floored) = match &job.pattern {
                Pattern::Training(j) => (j.pattern(t, r.offset_s), j.utilization(t, r.offset_s)),
                Pattern::Profile(points) => {
                    let u = super::profile_at(points, t);
                    (u, u)
                }
            };
            let mut u = floored;
            if let (Pattern::Training(j), Some(last)) = (&job.pattern, r.last_u)
                && j.ramp_kw_per_s > 0.0
            {
                let most = j.ramp_kw_per_s * dt / r.rated_kw;
                u = u.clamp(last - most, last + most);
            }
            r.last_u = Some(u);
            let gpus_w = u * r.rated_kw * 1e3;
            let grid_w = r.store.as_mut().map_or(gpus_w, |s| s.step(gpus_w, dt));
            energy.energy_kwh += grid_w * dt / 3.6e6;
            energy.floor_extra_kwh += (floored - asked).max(0.0) * r.rated_kw * dt / 3600.0;
            let drawn = grid_w / (r.rated_kw * 1e3);
            if let Some(mut utilization) = world.get_mut::<crate::sim::components::Utilization>(r.entity)
                && utilization.0 != drawn
            {
                utilization.0 = drawn;
            }
        }
    }
    jobs.retain(|j| !matches!(&j.pattern, Pattern::Training(job) if job.stopped(start - j.started_s)));
    let mut player = world.resource_mut::<ScenarioPlayer>();
    player.jobs = jobs;
    player.job_energy = energy;
}

/// The entities of `group`'s racks with their ids, in entity order.
fn group_entities(world: &mut World, group: &super::RackGroup) -> Vec<(Entity, String)> {
    let site = edit::current_site(world);
    let ids: std::collections::HashSet<String> = super::group_racks(&site, group).into_iter().collect();
    let mut q = world.query::<(Entity, &crate::sim::components::ElementId)>();
    let mut racks: Vec<(Entity, String)> =
        q.iter(world).filter(|(_, id)| ids.contains(&id.0)).map(|(e, id)| (e, id.0.clone())).collect();
    racks.sort_by_key(|(e, _)| *e);
    racks
}

/// Takes `racks` out of any running job (a job with no rack left ends).
fn leave_jobs(world: &mut World, racks: &[(Entity, String)]) {
    let taken: std::collections::HashSet<Entity> = racks.iter().map(|(e, _)| *e).collect();
    let mut player = world.resource_mut::<ScenarioPlayer>();
    for job in &mut player.jobs {
        job.racks.retain(|r| !taken.contains(&r.entity));
    }
    player.jobs.retain(|j| !j.racks.is_empty());
}

/// Starts a training job or profile on `group`: its racks leave any job they were in.
fn start_job(world: &mut World, group: &super::RackGroup, pattern: Pattern, start: f64) {
    let racks = group_entities(world, group);
    leave_jobs(world, &racks);
    let members = racks
        .iter()
        .map(|(e, id)| {
            let rated_kw = world.get::<crate::sim::components::Rack>(*e).map_or(0.0, |r| r.rating.rated_kw);
            let (offset_s, store) = match &pattern {
                Pattern::Training(job) => {
                    (job.offset_s(id), job.rack_storage(rated_kw).map(super::storage::Smoother::new))
                }
                Pattern::Profile(_) => (0.0, None),
            };
            JobRack { entity: *e, offset_s, rated_kw, last_u: None, store }
        })
        .collect();
    world.resource_mut::<ScenarioPlayer>().jobs.push(RunningJob { pattern, started_s: start, racks: members });
}

/// Makes the edit an event stands for (the same edit validation made to the site file).
fn apply_event(world: &mut World, event: &Event) -> Result<(), String> {
    if let Event::Ambient { dry_bulb_c, wet_bulb_c } = event {
        let mut layout = world.resource_mut::<CoolingLayout>();
        layout.ambient = Some(crate::site::cooling::AmbientSpec::constant(*dry_bulb_c, *wet_bulb_c));
        return Ok(());
    }
    let site = edit::current_site(world);
    let (before, after) = event_edit(&site, event);
    if before.is_empty() {
        return Ok(());
    }
    edit::apply_unrecorded(world, &Edit { label: event.describe(), before, after })
}

/// After the limits: racks losing or regaining power, and the hottest inlet (the plant's zones
/// already know theirs: no pass over the racks).
fn track_consequences(
    clock: Res<SimClock>,
    totals: Res<SiteTotals>,
    plant: Option<Res<CoolingPlant>>,
    batteries: Query<
        (&crate::sim::components::ElementId, &crate::sim::electrical::kinds::Ups, &crate::sim::electrical::UpsBattery),
        Changed<crate::sim::electrical::UpsBattery>,
    >,
    mut player: ResMut<ScenarioPlayer>,
) {
    if player.scenario.is_none() {
        return;
    }
    // Only batteries that changed can have fallen lower (at rest, none is looked at).
    for (id, ups, battery) in &batteries {
        if ups.rating.battery_kwh <= 0.0 {
            continue;
        }
        let pct = 100.0 * battery.left_kwh(&ups.rating) / ups.rating.battery_kwh;
        if pct < 100.0 && player.lowest_battery.as_ref().is_none_or(|l| pct < l.0) {
            player.lowest_battery = Some((pct, clock.elapsed_s, id.0.clone()));
        }
    }
    let now = (totals.unpowered_racks, totals.unserved_kw);
    if now.0 != player.unpowered.0 {
        let text = if now.0 == 0 {
            "every rack has power again".to_string()
        } else if now.0 > player.unpowered.0 {
            format!("{} racks without power ({:.0} kW of IT load lost)", now.0, now.1)
        } else {
            format!("{} racks still without power ({:.0} kW), {} back", now.0, now.1, player.unpowered.0 - now.0)
        };
        player.log.push(TimelineEntry { time_s: clock.elapsed_s, what: "power", text });
    }
    player.unpowered = now;
    let hottest = plant.as_deref().and_then(|p| {
        p.zones
            .iter()
            .filter(|z| z.hottest_inlet_c.is_finite())
            .max_by(|a, b| a.hottest_inlet_c.total_cmp(&b.hottest_inlet_c))
    });
    if let Some(z) = hottest
        && player.peak_inlet.as_ref().is_none_or(|p| z.hottest_inlet_c > p.0)
    {
        player.peak_inlet = Some((z.hottest_inlet_c, clock.elapsed_s, z.id.clone()));
    }
}

/// Equipment lines at one time that say the same of different elements ("UPS-A1 on battery:
/// ...", "UPS-A2 on battery: ...") become one line naming them all (the first five and a count).
fn group_equipment_lines(log: &[(f64, String)]) -> Vec<TimelineEntry> {
    let mut groups: Vec<((u64, &str), Vec<&str>)> = Vec::new();
    let mut index: std::collections::HashMap<(u64, &str), usize> = std::collections::HashMap::new();
    for (t, text) in log {
        // "ID rest": an element's id first (ids have no spaces; "ID: ..." lines stay alone).
        let (id, rest) = match text.split_once(' ') {
            Some((id, rest)) if !id.ends_with(':') => (id, rest),
            _ => (text.as_str(), ""),
        };
        let key = (t.to_bits(), rest);
        if rest.is_empty() {
            groups.push((key, vec![id]));
            continue;
        }
        match index.get(&key) {
            Some(&i) => groups[i].1.push(id),
            None => {
                index.insert(key, groups.len());
                groups.push((key, vec![id]));
            }
        }
    }
    groups
        .into_iter()
        .map(|((t, rest), ids)| {
            let shown = ids.iter().take(5).copied().collect::<Vec<_>>().join(", ");
            let more = if ids.len() > 5 { format!(" and {} more", ids.len() - 5) } else { String::new() };
            let text = if rest.is_empty() { shown } else { format!("{shown}{more} {rest}") };
            TimelineEntry { time_s: f64::from_bits(t), what: "equipment", text }
        })
        .collect()
}

/// The timeline of a run: the scenario's events (when one is played), what equipment did, racks
/// losing and regaining power, and every alert raised or cleared (alerts of one kind and severity raised in the same step are one
/// line), in time order.
pub fn timeline(world: &World) -> Vec<TimelineEntry> {
    let mut out = world.get_resource::<ScenarioPlayer>().map(|p| p.log.clone()).unwrap_or_default();
    if let Some(log) = world.get_resource::<crate::sim::EquipmentLog>() {
        out.extend(group_equipment_lines(&log.0));
    }
    if let Some(log) = world.get_resource::<AlertLog>() {
        // (time, raised?, severity, quantity) → elements, in first-seen order.
        type Key = (u64, bool, Severity, Quantity);
        let mut groups: Vec<(Key, Vec<&str>)> = Vec::new();
        let mut index: std::collections::HashMap<Key, usize> = std::collections::HashMap::new();
        for a in &log.alerts {
            // Racks without power have their own lines (counts and kW).
            if a.quantity == Quantity::RackPower {
                continue;
            }
            let raised = (a.first_seen_s.to_bits(), true, a.severity, a.quantity);
            let cleared = a.cleared_s.map(|c| (c.to_bits(), false, a.severity, a.quantity));
            for key in std::iter::once(raised).chain(cleared) {
                let i = *index.entry(key).or_insert_with(|| {
                    groups.push((key, vec![]));
                    groups.len() - 1
                });
                groups[i].1.push(a.element.as_str());
            }
        }
        for ((t, raised, severity, quantity), ids) in groups {
            let shown: Vec<&str> = ids.iter().take(5).copied().collect();
            let more = if ids.len() > 5 { format!(" and {} more", ids.len() - 5) } else { String::new() };
            let sev = match severity {
                Severity::Critical => "critical",
                Severity::Warning => "warning",
            };
            let text = format!("{sev}: {} at {}{more}", quantity.label(), shown.join(", "));
            out.push(TimelineEntry { time_s: f64::from_bits(t), what: if raised { "alert" } else { "cleared" }, text });
        }
    }
    // Stable: at one time, events come before what they caused.
    out.sort_by(|a, b| a.time_s.total_cmp(&b.time_s));
    out
}
