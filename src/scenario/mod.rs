//! Timed scenarios: events at times (fail or restore equipment, a grid outage, utilization or
//! ambient changes) played into a run, and the timeline of what followed.
//!
//! A scenario is its own RON file, validated against the site it is played on with the same
//! file:line:col messages as a site. Each event is the edit a planner would make to the site
//! file at that moment (taking an element out of service, changing racks' utilization, the
//! outdoor conditions), applied through [`crate::edit`], so a failure at run time behaves
//! exactly like the same failure written in the file.
//!
//! ```ron
//! (
//!     name: "Utility outage",
//!     duration: "20m",
//!     events: [
//!         (at: "1m", event: GridOutage("UTIL-1")),
//!         (at: "11m", event: GridReturn("UTIL-1")),
//!         (at: "14:00", event: Fail("UPS-A1")),
//!         (at: "30s", event: Utilization(racks: FedBy("PDU-A1"), value: 0.6)),
//!         (at: "5m", event: Ambient(dry_bulb_c: 38.0, wet_bulb_c: 24.0)),
//!     ],
//! )
//! ```

pub mod live;
pub mod play;
pub mod rules;
pub mod storage;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::catalog::Catalog;
use crate::constraint::OUTDOOR_C;
use crate::kinds::EquipmentKind;
use crate::site::problem::{Problem, Problems};
use crate::site::source_map::SourceMap;
use crate::site::{SiteElement, SiteFile};

/// A scenario file as written.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// What the scenario studies, for reports.
    pub name: String,
    /// How long a run of it lasts when `--duration` is not given ("20m", "1h 30m").
    #[serde(default)]
    pub duration: Option<String>,
    /// The events, in any order (played in time order; ties in file order).
    pub events: Vec<TimedEvent>,
    /// A battery at the grid connection that smooths what the utility sees (for the grid rules).
    #[serde(default)]
    pub facility_storage: Option<FacilityStorage>,
}

/// A facility battery (BESS) at the grid connection: it changes the grid import the utility
/// sees, not the site's own network, so the rules are checked on the import after it.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FacilityStorage {
    /// Power it can give or take, MW.
    pub power_mw: f64,
    /// Usable energy, MWh.
    pub energy_mwh: f64,
    /// Round-trip efficiency (lithium-ion BESS: ~0.85-0.9, the reference notes' 90 %).
    #[serde(default = "default_round_trip")]
    pub round_trip_efficiency: f64,
    /// Time constant of the moving average the grid is asked for, s.
    #[serde(default = "default_smoothing_s")]
    pub smoothing_s: f64,
}

fn default_round_trip() -> f64 {
    0.9
}

fn default_smoothing_s() -> f64 {
    60.0
}

impl FacilityStorage {
    /// The store's rating in SI units.
    pub fn rating(&self) -> storage::StorageRating {
        storage::StorageRating {
            power_w: self.power_mw * 1e6,
            energy_j: self.energy_mwh * 3.6e9,
            round_trip_efficiency: self.round_trip_efficiency,
            smoothing_s: self.smoothing_s,
        }
    }
}

/// One event and when it happens.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TimedEvent {
    /// Time from the start of the run ("90s", "15m", "1h 30m"), or a time of day on the first
    /// day ("14:00", "14:00:30"): a run starts at midnight, as the site's hourly ambient does.
    pub at: String,
    /// What happens.
    pub event: Event,
}

/// What can happen during a run.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub enum Event {
    /// An element fails (goes out of service): equipment, a rack, a cooling unit.
    Fail(String),
    /// A failed element returns to service.
    Restore(String),
    /// The utility supply at a grid feed is lost.
    GridOutage(String),
    /// The utility supply at a grid feed returns.
    GridReturn(String),
    /// The utility's voltage at a grid feed dips to `retained_pu` of nominal for `duration_s`
    /// (a fault elsewhere on the grid), then returns.
    Sag {
        /// The grid feed.
        feed: String,
        /// Voltage during the sag, share of nominal.
        retained_pu: f64,
        /// How long it lasts, s (whole steps: at least one).
        duration_s: f64,
    },
    /// Racks change the fraction of their rated power they draw.
    Utilization {
        /// Which racks.
        racks: RackGroup,
        /// Fraction of rated power, 0–1.
        value: f64,
    },
    /// Racks run an AI training job from now on: synchronised swings between an idle and a peak
    /// fraction of their rating.
    Training(TrainingJob),
    /// Racks follow a utilization time series from now on, read from a CSV file.
    Profile {
        /// Which racks.
        racks: RackGroup,
        /// The file, relative to the scenario file: `time_s,utilization` rows (an optional
        /// header line), times from the event on and increasing, linearly interpolated, the
        /// last value held.
        csv: String,
        /// Its points, read when the scenario is loaded.
        #[serde(skip)]
        points: Vec<(f64, f64)>,
    },
    /// The outdoor conditions change to constant values.
    Ambient {
        /// Dry bulb, °C.
        dry_bulb_c: f64,
        /// Wet bulb, °C.
        wet_bulb_c: f64,
    },
}

/// A training job's power pattern on a group of racks.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingJob {
    /// Which racks.
    pub racks: RackGroup,
    /// Fraction of rated power between compute phases (communication, checkpoint waits).
    pub idle: f64,
    /// Fraction of rated power while computing.
    pub peak: f64,
    /// One iteration, s.
    pub period_s: f64,
    /// Share of an iteration spent computing (at `peak`), 0–1.
    pub duty: f64,
    /// Racks start their iterations up to this far apart, s (each rack's offset drawn from
    /// `seed`, so a run is repeatable); 0 = perfectly synchronised.
    #[serde(default)]
    pub desync_s: f64,
    /// Seed of the offsets.
    #[serde(default)]
    pub seed: u64,
    /// GPU power floor: a rack never draws below this fraction (a mitigation that trades energy
    /// for a smaller swing); 0 = none.
    #[serde(default)]
    pub floor: f64,
    /// Start ramp, s: the swing grows linearly from idle to its full depth over this time after
    /// the job starts (0 = at once).
    #[serde(default)]
    pub ramp_s: f64,
    /// A checkpoint every this many seconds (0 = none): every rack waits at `idle` for
    /// `checkpoint_s` (a job-wide barrier, not desynchronised).
    #[serde(default)]
    pub checkpoint_every_s: f64,
    /// Length of each checkpoint, s.
    #[serde(default)]
    pub checkpoint_s: f64,
    /// The job ends this long after it starts, s: its racks drop to `idle` (0 = it runs on).
    #[serde(default)]
    pub stop_after_s: f64,
    /// GPU ramp-rate limit per rack, kW/s (NVML power smoothing's ramp-up/down rate; 0 = none).
    #[serde(default)]
    pub ramp_kw_per_s: f64,
    /// Energy stored in each rack's power supplies per GPU, J (GB300-class racks: ~65 J); 0 =
    /// none. The store smooths the rack's draw over one iteration (see [`storage`]).
    #[serde(default)]
    pub storage_j_per_gpu: f64,
    /// GPUs per rack, for the rack's store (72 in an NVL72 rack).
    #[serde(default = "default_gpus_per_rack")]
    pub gpus_per_rack: u32,
}

fn default_gpus_per_rack() -> u32 {
    72
}

impl TrainingJob {
    /// Utilization of a rack whose iterations are offset by `offset_s`, `t_s` after the job
    /// started, with the power floor.
    pub fn utilization(&self, t_s: f64, offset_s: f64) -> f64 {
        self.pattern(t_s, offset_s).max(self.floor)
    }

    /// Utilization the job asks of a rack before the floor: the iteration's phase, the start
    /// ramp, checkpoints and the end.
    pub fn pattern(&self, t_s: f64, offset_s: f64) -> f64 {
        if self.stopped(t_s) {
            return self.idle;
        }
        if self.checkpoint_every_s > 0.0 && t_s >= self.checkpoint_every_s {
            let since = t_s.rem_euclid(self.checkpoint_every_s);
            if since < self.checkpoint_s {
                return self.idle;
            }
        }
        let phase = (t_s + offset_s).rem_euclid(self.period_s);
        let u = if phase < self.duty * self.period_s { self.peak } else { self.idle };
        let grown = if self.ramp_s > 0.0 { (t_s / self.ramp_s).min(1.0) } else { 1.0 };
        self.idle + (u - self.idle) * grown
    }

    /// The mitigations it runs with, for the timeline (", power floor 50 %, ...").
    fn mitigations(&self) -> String {
        let mut out = String::new();
        if self.floor > 0.0 {
            out.push_str(&format!(", power floor {:.0} %", self.floor * 100.0));
        }
        if self.ramp_kw_per_s > 0.0 {
            out.push_str(&format!(", ramp limit {} kW/s per rack", self.ramp_kw_per_s));
        }
        if self.storage_j_per_gpu > 0.0 {
            out.push_str(&format!(", rack storage {} J per GPU × {}", self.storage_j_per_gpu, self.gpus_per_rack));
        }
        out
    }

    /// True once the job has ended.
    pub fn stopped(&self, t_s: f64) -> bool {
        self.stop_after_s > 0.0 && t_s >= self.stop_after_s
    }

    /// Each rack's store, when the job gives one: `rated_kw` is the rack's rating (its store
    /// can give all of it) and the store smooths over one iteration.
    pub fn rack_storage(&self, rated_kw: f64) -> Option<storage::StorageRating> {
        (self.storage_j_per_gpu > 0.0).then(|| storage::StorageRating {
            power_w: rated_kw * 1e3,
            energy_j: self.storage_j_per_gpu * f64::from(self.gpus_per_rack),
            round_trip_efficiency: 1.0,
            smoothing_s: self.period_s,
        })
    }

    /// Rack `id`'s offset: a deterministic draw in `[0, desync_s)` from the seed and the id.
    pub fn offset_s(&self, id: &str) -> f64 {
        if self.desync_s <= 0.0 {
            return 0.0;
        }
        // FNV-1a of the id, mixed with the seed by SplitMix64: stable across platforms and runs.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in id.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
        let mut z = h ^ self.seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64 * self.desync_s
    }
}

/// A set of racks an event applies to.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub enum RackGroup {
    /// Every rack of the site.
    All,
    /// These racks.
    Ids(Vec<String>),
    /// Racks with either cord on this element.
    FedBy(String),
    /// Racks that breathe this zone's air.
    Zone(String),
}

/// A validated scenario: events with their times in seconds, in the order they are played.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Its name.
    pub name: String,
    /// The file it was read from, as the user named it.
    pub file: String,
    /// Its own run length, s, when it gives one.
    pub duration_s: Option<f64>,
    /// `(time s, event)` in time order (ties in file order).
    pub events: Vec<(f64, Event)>,
    /// The facility battery, when the scenario has one.
    pub facility_storage: Option<FacilityStorage>,
}

impl Event {
    /// What happens, in a sentence for the timeline ("UPS-A1 fails").
    pub fn describe(&self) -> String {
        match self {
            Event::Fail(id) => format!("{id} fails"),
            Event::Restore(id) => format!("{id} returns to service"),
            Event::GridOutage(id) => format!("grid outage at {id}"),
            Event::GridReturn(id) => format!("grid returns at {id}"),
            Event::Sag { feed, retained_pu, duration_s } => {
                format!(
                    "voltage sag at {feed}: {:.0} % of nominal for {} s",
                    retained_pu * 100.0,
                    trim_float(*duration_s)
                )
            }
            Event::Utilization { racks, value } => {
                format!("{} to {:.0} % utilization", group_name(racks), value * 100.0)
            }
            Event::Training(job) => format!(
                "{} start a training job: {:.0}-{:.0} % every {} s at {:.0} % duty{}{}",
                group_name(&job.racks),
                job.idle * 100.0,
                job.peak * 100.0,
                job.period_s,
                job.duty * 100.0,
                if job.desync_s > 0.0 { format!(", up to {} s apart", job.desync_s) } else { String::new() },
                job.mitigations(),
            ),
            Event::Profile { racks, csv, points } => format!(
                "{} follow the profile {csv} ({} points over {})",
                group_name(racks),
                points.len(),
                show_s(points.last().map_or(0.0, |p| p.0))
            ),
            Event::Ambient { dry_bulb_c, wet_bulb_c } => {
                format!("outdoor air to {dry_bulb_c} °C dry bulb, {wet_bulb_c} °C wet bulb")
            }
        }
    }
}

/// Utilization `t_s` into a profile: linear between points, the first value before the first
/// point, the last after the last.
pub fn profile_at(points: &[(f64, f64)], t_s: f64) -> f64 {
    let i = points.partition_point(|p| p.0 <= t_s);
    match (i, points.get(i)) {
        (0, _) => points.first().map_or(0.0, |p| p.1),
        (_, None) => points[i - 1].1,
        (_, Some(&(t1, u1))) => {
            let (t0, u0) = points[i - 1];
            u0 + (u1 - u0) * (t_s - t0) / (t1 - t0)
        }
    }
}

/// Reads a profile's CSV text (`time_s,utilization` per line, an optional header); the error
/// names the line. Written by hand: two numbers a line is all it takes, and the line numbers
/// of the messages are ours.
pub fn parse_profile(text: &str, name: &str) -> Result<Vec<(f64, f64)>, String> {
    let mut points: Vec<(f64, f64)> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let cols: Vec<&str> = line.split(',').map(str::trim).collect();
        let nums: Option<Vec<f64>> = cols.iter().map(|c| c.parse::<f64>().ok()).collect();
        let at = format!("{name}:{}", n + 1);
        let Some(nums) = nums else {
            if points.is_empty() && n == 0 {
                continue; // the header
            }
            return Err(format!("{at}: cannot read \"{line}\" as time_s,utilization"));
        };
        let [t, u] = nums[..] else {
            return Err(format!("{at}: expected two columns, time_s and utilization (got {})", nums.len()));
        };
        if !(t.is_finite() && t >= 0.0) {
            return Err(format!("{at}: time {t} s must be 0 or more"));
        }
        if points.last().is_some_and(|p| t <= p.0) {
            return Err(format!("{at}: time {t} s is not after the previous row's"));
        }
        if let Some(msg) = crate::site::limits::UTILIZATION.problem("utilization", u) {
            return Err(format!("{at}: {msg}"));
        }
        points.push((t, u));
    }
    if points.is_empty() {
        return Err(format!("{name}: no rows (expected time_s,utilization lines)"));
    }
    Ok(points)
}

/// A rack group in words ("all racks", "racks fed by PDU-A1").
fn group_name(racks: &RackGroup) -> String {
    match racks {
        RackGroup::All => "all racks".to_string(),
        RackGroup::Ids(ids) if ids.len() == 1 => ids[0].clone(),
        RackGroup::Ids(ids) => format!("{} racks", ids.len()),
        RackGroup::FedBy(id) => format!("racks fed by {id}"),
        RackGroup::Zone(id) => format!("racks in {id}"),
    }
}

/// The racks of `group` in `site`, by id in file order.
pub fn group_racks(site: &SiteFile, group: &RackGroup) -> Vec<String> {
    let pick = |f: &dyn Fn(&crate::site::RackSpec) -> bool| -> Vec<String> {
        site.racks.iter().filter(|r| f(r)).map(|r| r.id.clone()).collect()
    };
    match group {
        RackGroup::All => pick(&|_| true),
        RackGroup::Ids(ids) => ids.clone(),
        RackGroup::FedBy(id) => pick(&|r| r.feed_a == *id || r.feed_b.as_deref() == Some(id)),
        RackGroup::Zone(id) => pick(&|r| r.zone.as_deref() == Some(id)),
    }
}

/// Reads a scenario file and validates it against `site`.
pub fn load_scenario(path: &Path, site: &SiteFile, catalog: &Catalog) -> Result<Scenario, Problems> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| Problems::single(Problem::file(file.clone(), format!("cannot read scenario file: {e}"))))?;
    parse_scenario(&text, &file, site, catalog)
}

/// Parses and validates scenario text; `file` names it in messages. Each event is also made, in
/// time order, to a copy of the site and the result validated: an event the site file could
/// not hold is refused here, where it is written, not in the middle of a run.
pub fn parse_scenario(text: &str, file: &str, site: &SiteFile, catalog: &Catalog) -> Result<Scenario, Problems> {
    let text = crate::site::load::strip_bom(text);
    let mut parsed: ScenarioFile = crate::site::load::parse_ron(text, file)?;
    let map = SourceMap::new(text);
    let mut problems = Problems::default();
    let mut problem = |path: &str, message: String| problems.push(map.problem(file, path, message));

    let duration_s = match &parsed.duration {
        None => None,
        Some(d) => match parse_duration_s(d) {
            Ok(s) if s > MAX_DURATION_S => {
                problem("duration", format!("`duration` {d} is longer than a run can be (at most 100 years)"));
                None
            }
            Ok(s) if s > 0.0 => Some(s),
            Ok(_) => {
                problem("duration", "`duration` must be longer than zero".into());
                None
            }
            Err(e) => {
                problem("duration", format!("`duration`: {e}"));
                None
            }
        },
    };
    if parsed.events.is_empty() {
        problem("events", "a scenario needs at least one event".into());
    }
    if let Some(fs) = &parsed.facility_storage {
        for (field, v, lo, hi) in [
            ("power_mw", fs.power_mw, 0.0, 10_000.0),
            ("energy_mwh", fs.energy_mwh, 0.0, 100_000.0),
            ("round_trip_efficiency", fs.round_trip_efficiency, 0.01, 1.0),
            ("smoothing_s", fs.smoothing_s, 0.1, 86_400.0),
        ] {
            if !(v.is_finite() && (lo..=hi).contains(&v)) {
                problem(
                    &format!("facility_storage.{field}"),
                    format!("{field} must be between {lo} and {hi} (got {v})"),
                );
            }
        }
    }

    let mut timed: Vec<(f64, usize)> = Vec::new();
    for (i, e) in parsed.events.iter().enumerate() {
        match parse_time_s(&e.at) {
            Ok(t) => {
                if let Some(d) = duration_s.filter(|&d| t >= d) {
                    problem(
                        &format!("events[{i}].at"),
                        format!("event at {} is not before the scenario's end ({})", show_s(t), show_s(d)),
                    );
                }
                timed.push((t, i));
            }
            Err(e) => problem(&format!("events[{i}].at"), format!("`at`: {e}")),
        }
    }
    // Stable: simultaneous events keep their file order.
    timed.sort_by(|a, b| a.0.total_cmp(&b.0));

    // Walk the events in time order, keeping which elements are in service, so that a restore
    // of a running element or a second failure is caught where it is written.
    let kinds: HashMap<&str, (EquipmentKind, bool)> =
        site.elements().into_iter().map(|(_, e)| (e.id(), (e.kind(), e.in_service()))).collect();
    let mut in_service: BTreeMap<String, bool> = BTreeMap::new();
    let mut profiles: Vec<(usize, Vec<(f64, f64)>)> = Vec::new();
    for &(t, i) in &timed {
        let path = format!("events[{i}].event");
        let id_path = format!("{path}.0");
        let at = show_s(t);
        match &parsed.events[i].event {
            Event::Fail(id) | Event::Restore(id) | Event::GridOutage(id) | Event::GridReturn(id) => {
                let event = &parsed.events[i].event;
                let Some(&(kind, file_in_service)) = kinds.get(id.as_str()) else {
                    problem(&id_path, format!("no element \"{id}\" in the site"));
                    continue;
                };
                let grid = matches!(event, Event::GridOutage(_) | Event::GridReturn(_));
                if grid && kind != EquipmentKind::GridFeed {
                    problem(&id_path, format!("\"{id}\" is {}, not a grid feed", a_kind(kind)));
                    continue;
                }
                if kind == EquipmentKind::Zone {
                    problem(&id_path, format!("\"{id}\" is a zone: a zone cannot fail (fail its CRAHs)"));
                    continue;
                }
                let fails = matches!(event, Event::Fail(_) | Event::GridOutage(_));
                let now = in_service.entry(id.clone()).or_insert(file_in_service);
                if fails && !*now {
                    problem(&path, format!("{id} is already out of service at {at}"));
                } else if !fails && *now {
                    problem(&path, format!("{id} is in service at {at}: nothing to restore"));
                }
                *now = !fails;
            }
            Event::Utilization { racks, value } => {
                if let Some(msg) = crate::site::limits::UTILIZATION.problem("value", *value) {
                    problem(&format!("{path}.value"), msg);
                }
                check_group(&mut problem, &format!("{path}.racks"), racks, site, &kinds);
            }
            Event::Training(job) => {
                let p0 = format!("{path}.0");
                for (field, v) in [("idle", job.idle), ("peak", job.peak), ("duty", job.duty), ("floor", job.floor)] {
                    if let Some(msg) = crate::site::limits::UTILIZATION.problem(field, v) {
                        problem(&format!("{p0}.{field}"), msg);
                    }
                }
                if job.idle > job.peak {
                    problem(&format!("{p0}.idle"), format!("idle {} is above peak {}", job.idle, job.peak));
                }
                if !(job.period_s.is_finite() && job.period_s >= 0.01) {
                    problem(
                        &format!("{p0}.period_s"),
                        format!("period_s must be at least 0.01 s (got {})", job.period_s),
                    );
                }
                if job.duty == 0.0 {
                    problem(&format!("{p0}.duty"), "duty must be above 0: a job that never computes".into());
                }
                for (field, v) in [
                    ("desync_s", job.desync_s),
                    ("ramp_s", job.ramp_s),
                    ("checkpoint_every_s", job.checkpoint_every_s),
                    ("checkpoint_s", job.checkpoint_s),
                    ("stop_after_s", job.stop_after_s),
                    ("ramp_kw_per_s", job.ramp_kw_per_s),
                    ("storage_j_per_gpu", job.storage_j_per_gpu),
                ] {
                    if !(v.is_finite() && v >= 0.0) {
                        problem(&format!("{p0}.{field}"), format!("{field} must be 0 or more (got {v})"));
                    }
                }
                if job.checkpoint_every_s > 0.0 && job.checkpoint_s >= job.checkpoint_every_s {
                    problem(
                        &format!("{p0}.checkpoint_s"),
                        format!(
                            "a checkpoint of {} s every {} s leaves no time to compute",
                            job.checkpoint_s, job.checkpoint_every_s
                        ),
                    );
                }
                // A GB300 stores ~65 J per GPU; a megajoule per GPU is far past any power supply
                // (and keeps the store's arithmetic finite).
                if job.storage_j_per_gpu > 1e6 {
                    problem(
                        &format!("{p0}.storage_j_per_gpu"),
                        format!("storage_j_per_gpu must be at most 1e6 J (got {:e})", job.storage_j_per_gpu),
                    );
                }
                if job.storage_j_per_gpu > 0.0 && job.gpus_per_rack == 0 {
                    problem(&format!("{p0}.gpus_per_rack"), "rack storage needs at least one GPU per rack".into());
                }
                check_group(&mut problem, &format!("{p0}.racks"), &job.racks, site, &kinds);
            }
            Event::Sag { feed, retained_pu, duration_s } => {
                match kinds.get(feed.as_str()) {
                    None => problem(&format!("{path}.feed"), format!("no element \"{feed}\" in the site")),
                    Some((kind, _)) if *kind != EquipmentKind::GridFeed => {
                        problem(&format!("{path}.feed"), format!("\"{feed}\" is {}, not a grid feed", a_kind(*kind)))
                    }
                    Some((_, file_in_service)) => {
                        if !*in_service.get(feed).unwrap_or(file_in_service) {
                            problem(&path, format!("{feed} is out of service at {at}: no voltage to sag"));
                        }
                    }
                }
                if !(retained_pu.is_finite() && (0.05..1.0).contains(retained_pu)) {
                    problem(
                        &format!("{path}.retained_pu"),
                        format!(
                            "retained_pu must be from 0.05 up to (not including) 1 (got {retained_pu}); a total loss is a GridOutage"
                        ),
                    );
                }
                if !(duration_s.is_finite() && *duration_s > 0.0 && *duration_s <= 60.0) {
                    problem(
                        &format!("{path}.duration_s"),
                        format!("duration_s must be above 0 and at most 60 s (got {duration_s})"),
                    );
                }
            }
            Event::Profile { racks, csv, .. } => {
                check_group(&mut problem, &format!("{path}.racks"), racks, site, &kinds);
                let dir = Path::new(file).parent().unwrap_or(Path::new(""));
                let read = std::fs::read_to_string(dir.join(csv))
                    .map_err(|e| format!("cannot read profile {csv}: {e}"))
                    .and_then(|text| parse_profile(&text, csv));
                match read {
                    Ok(pts) => profiles.push((i, pts)),
                    Err(e) => problem(&format!("{path}.csv"), e),
                }
            }
            Event::Ambient { dry_bulb_c, wet_bulb_c } => {
                if site.ambient.is_none() {
                    problem(&path, "the site has no cooling model: an ambient change would change nothing".into());
                }
                let dry = OUTDOOR_C.problem("dry_bulb_c", *dry_bulb_c);
                let wet = OUTDOOR_C.problem("wet_bulb_c", *wet_bulb_c);
                let ok = dry.is_none() && wet.is_none();
                if let Some(msg) = dry {
                    problem(&format!("{path}.dry_bulb_c"), msg);
                }
                if let Some(msg) = wet {
                    problem(&format!("{path}.wet_bulb_c"), msg);
                }
                if ok && wet_bulb_c > dry_bulb_c {
                    problem(&path, "the wet bulb cannot be above the dry bulb".into());
                }
            }
        }
    }
    for (i, pts) in profiles {
        if let Event::Profile { points, .. } = &mut parsed.events[i].event {
            *points = pts;
        }
    }
    // The events as edits of the site, in time order (only once each event is well formed).
    if problems.is_empty() {
        let mut current = site.canonical();
        for &(t, i) in &timed {
            let event = &parsed.events[i].event;
            let (before, after) = event_edit(&current, event);
            if before.is_empty() {
                continue;
            }
            match crate::edit::edited_site(&current, &before, &after, catalog) {
                Ok(next) => current = next,
                Err(e) => problems.push(map.problem(
                    file,
                    &format!("events[{i}].event"),
                    format!("at {}, {}: the site would not be valid: {e}", show_s(t), event.describe()),
                )),
            }
        }
    }
    let events = timed.iter().map(|&(t, i)| (t, parsed.events[i].event.clone())).collect();
    problems.into_result(Scenario {
        name: parsed.name,
        file: file.to_string(),
        duration_s,
        events,
        facility_storage: parsed.facility_storage,
    })
}

/// The elements an event changes in `site`, as they are and as they become (none for an ambient
/// change, which is not an element).
pub fn event_edit(site: &SiteFile, event: &Event) -> (Vec<SiteElement>, Vec<SiteElement>) {
    let (mut before, mut after) = (Vec::new(), Vec::new());
    let mut change = |id: &str, f: &dyn Fn(&mut SiteElement)| {
        if let Some(b) = site.element(id) {
            let mut a = b.clone();
            f(&mut a);
            if a != b {
                before.push(b);
                after.push(a);
            }
        }
    };
    match event {
        Event::Fail(id) | Event::GridOutage(id) => change(id, &|e| {
            let _ = e.set_in_service(false);
        }),
        Event::Restore(id) | Event::GridReturn(id) => change(id, &|e| {
            let _ = e.set_in_service(true);
        }),
        Event::Utilization { racks, value } => {
            for id in group_racks(site, racks) {
                change(&id, &|e| {
                    if let SiteElement::Rack(r) = e {
                        r.utilization = *value;
                    }
                });
            }
        }
        // A job or profile changes the racks' power every step: dynamics, not an edit of the site.
        // A sag changes the utility's voltage, not the site.
        Event::Training(_) | Event::Profile { .. } | Event::Sag { .. } | Event::Ambient { .. } => {}
    }
    (before, after)
}

/// Problems with a rack group: ids that are not racks, a zone that is not one, a group with no
/// rack in it.
fn check_group(
    problem: &mut dyn FnMut(&str, String),
    racks_path: &str,
    racks: &RackGroup,
    site: &SiteFile,
    kinds: &HashMap<&str, (EquipmentKind, bool)>,
) {
    match racks {
        RackGroup::All => {}
        RackGroup::Ids(ids) => {
            if ids.is_empty() {
                problem(racks_path, "`Ids` needs at least one rack".into());
            }
            for (j, id) in ids.iter().enumerate() {
                match kinds.get(id.as_str()) {
                    Some((EquipmentKind::Rack, _)) => {}
                    Some((kind, _)) => {
                        problem(&format!("{racks_path}.0[{j}]"), format!("\"{id}\" is {}, not a rack", a_kind(*kind)))
                    }
                    None => problem(&format!("{racks_path}.0[{j}]"), format!("no rack \"{id}\" in the site")),
                }
            }
        }
        RackGroup::FedBy(id) | RackGroup::Zone(id) => {
            let zone = matches!(racks, RackGroup::Zone(_));
            let what = if zone { "zone" } else { "element" };
            match kinds.get(id.as_str()) {
                None => problem(&format!("{racks_path}.0"), format!("no {what} \"{id}\" in the site")),
                Some((kind, _)) if zone && *kind != EquipmentKind::Zone => {
                    problem(&format!("{racks_path}.0"), format!("\"{id}\" is {}, not a zone", a_kind(*kind)))
                }
                Some(_) if group_racks(site, racks).is_empty() => {
                    let how = if zone { "breathe its air" } else { "have a cord on it" };
                    problem(&format!("{racks_path}.0"), format!("no rack in the site {how}: \"{id}\""));
                }
                Some(_) => {}
            }
        }
    }
    if site.racks.is_empty() {
        problem(racks_path, "the site has no racks".into());
    }
}

/// "a transformer", "a distribution element": a kind with its article, for messages.
fn a_kind(kind: EquipmentKind) -> String {
    let noun = kind.noun();
    let with = crate::kinds::with_article(noun);
    if with == noun { format!("a {noun} element") } else { with }
}

/// Longest scenario a run can play, s (100 years: beyond it no step count is sensible, and a
/// `std::time::Duration` of it still fits).
const MAX_DURATION_S: f64 = 100.0 * 365.25 * 86_400.0;

/// Seconds of a time given as a duration ("90s", "1h 30m") or a time of day ("14:00",
/// "14:00:30": seconds since midnight, when a run starts).
pub fn parse_time_s(s: &str) -> Result<f64, String> {
    let t = s.trim();
    if t.contains(':') {
        let parts: Vec<&str> = t.split(':').collect();
        let nums: Option<Vec<u32>> = parts.iter().map(|p| p.parse::<u32>().ok()).collect();
        return match (parts.len(), nums.as_deref()) {
            (2 | 3, Some(n)) if n[0] < 24 && n[1..].iter().all(|&x| x < 60) => {
                Ok(f64::from(n[0]) * 3600.0 + f64::from(n[1]) * 60.0 + n.get(2).map_or(0.0, |&x| f64::from(x)))
            }
            _ => Err(format!("cannot read \"{s}\" as a time of day (examples: 14:00, 09:30:15)")),
        };
    }
    parse_duration_s(t)
}

/// Seconds of a duration ("90s", "15m", "1h 30m", "500ms").
pub fn parse_duration_s(s: &str) -> Result<f64, String> {
    humantime::parse_duration(s.trim())
        .map(|d| d.as_secs_f64())
        .map_err(|_| format!("cannot read \"{s}\" as a time (examples: 90s, 15m, 1h 30m, 500ms, 14:00)"))
}

/// A time for messages and the timeline: "90 s", "15 min", "1 h 30 min".
pub fn show_s(t: f64) -> String {
    if t < 120.0 {
        return format!("{} s", trim_float(t));
    }
    // Beyond two minutes, to the second.
    let t = t.round();
    let (h, m, s) = ((t / 3600.0).floor(), ((t % 3600.0) / 60.0).floor(), t % 60.0);
    let mut out = Vec::new();
    if h > 0.0 {
        out.push(format!("{h} h"));
    }
    if m > 0.0 {
        out.push(format!("{m} min"));
    }
    if s > 0.0 {
        out.push(format!("{s} s"));
    }
    out.join(" ")
}

fn trim_float(t: f64) -> String {
    let s = format!("{t:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}
