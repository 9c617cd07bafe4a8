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
    /// Training jobs running.
    jobs: Vec<RunningJob>,
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

/// A training job running: the job, when it started (s), and its racks with their offsets (s).
type RunningJob = (super::TrainingJob, f64, Vec<(Entity, f64)>);

/// One line of the timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
            Event::Training(job) => start_job(world, job, start),
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

/// Sets the utilization of every rack in a running training job for the step starting at
/// `start` (only racks whose value changes are touched).
fn drive_jobs(world: &mut World, start: f64) {
    let jobs = std::mem::take(&mut world.resource_mut::<ScenarioPlayer>().jobs);
    for (job, started, racks) in &jobs {
        for &(entity, offset) in racks {
            let u = job.utilization(start - started, offset);
            if let Some(mut rack) = world.get_mut::<crate::sim::components::Rack>(entity)
                && rack.utilization != u
            {
                rack.utilization = u;
            }
        }
    }
    world.resource_mut::<ScenarioPlayer>().jobs = jobs;
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
    for (_, _, members) in &mut player.jobs {
        members.retain(|(e, _)| !taken.contains(e));
    }
    player.jobs.retain(|(_, _, members)| !members.is_empty());
}

/// Starts a training job: its racks leave any job they were in.
fn start_job(world: &mut World, job: &super::TrainingJob, start: f64) {
    let racks = group_entities(world, &job.racks);
    leave_jobs(world, &racks);
    let members = racks.iter().map(|(e, id)| (*e, job.offset_s(id))).collect();
    world.resource_mut::<ScenarioPlayer>().jobs.push((job.clone(), start, members));
}

/// Makes the edit an event stands for (the same edit validation made to the site file).
fn apply_event(world: &mut World, event: &Event) -> Result<(), String> {
    if let Event::Ambient { dry_bulb_c, wet_bulb_c } = event {
        let mut layout = world.resource_mut::<CoolingLayout>();
        layout.ambient = Some(crate::site::cooling::AmbientSpec {
            dry_bulb_c: *dry_bulb_c,
            wet_bulb_c: *wet_bulb_c,
            hourly: vec![],
        });
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
    mut player: ResMut<ScenarioPlayer>,
) {
    if player.scenario.is_none() {
        return;
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

/// The timeline of a run: the scenario's events (when one is played), what equipment did, racks
/// losing and regaining power, and every alert raised or cleared (alerts of one kind and severity raised in the same step are one
/// line), in time order.
pub fn timeline(world: &World) -> Vec<TimelineEntry> {
    let mut out = world.get_resource::<ScenarioPlayer>().map(|p| p.log.clone()).unwrap_or_default();
    if let Some(log) = world.get_resource::<crate::sim::EquipmentLog>() {
        out.extend(log.0.iter().map(|(t, text)| TimelineEntry { time_s: *t, what: "equipment", text: text.clone() }));
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
