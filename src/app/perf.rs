//! Per-frame CPU time of the app's own systems (plan, panels) and of the simulation steps run in
//! the frame, so a planner on a big site sees what a frame costs and the numbers can be reported.

use std::time::{Duration, Instant};

use bevy::prelude::*;

use crate::sim::SimSystems;

/// The timed parts of a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Timed {
    /// Respawning plan sprites after an edit.
    PlanRebuild,
    /// Recolouring sprites after a step.
    PlanColors,
    /// Picking, gestures and edits from the mouse.
    PlanInput,
    /// Gizmo outlines and previews.
    PlanOverlays,
    /// Refreshing the element status table.
    Status,
    /// All egui panels.
    Panels,
    /// The simulation steps run this frame.
    SimSteps,
}

impl Timed {
    /// All, in display order.
    pub const ALL: [Timed; 7] = [
        Timed::Panels,
        Timed::PlanInput,
        Timed::PlanOverlays,
        Timed::PlanColors,
        Timed::PlanRebuild,
        Timed::Status,
        Timed::SimSteps,
    ];

    /// Name for people.
    pub fn label(self) -> &'static str {
        match self {
            Timed::PlanRebuild => "plan rebuild",
            Timed::PlanColors => "plan colours",
            Timed::PlanInput => "plan input",
            Timed::PlanOverlays => "plan overlays",
            Timed::Status => "status table",
            Timed::Panels => "panels (egui)",
            Timed::SimSteps => "simulation steps",
        }
    }

    /// True for the app's own work (everything but the simulation).
    pub fn is_app(self) -> bool {
        self != Timed::SimSteps
    }
}

/// Frames kept for statistics.
const WINDOW: usize = 240;

/// Recent per-frame times of each part.
#[derive(Resource, Debug, Default, Clone)]
pub struct AppTimings {
    current: Vec<(Timed, Duration)>,
    frames: std::collections::VecDeque<Vec<(Timed, Duration)>>,
    /// Frames recorded since start.
    pub frame_count: u64,
    /// Simulation steps in the frame being recorded.
    steps_this_frame: u32,
    /// Simulation steps per recorded frame, alongside `frames`.
    steps: std::collections::VecDeque<u32>,
    sim_started: Option<Instant>,
    /// Every frame's app total, ms (for end-of-run reports; capped).
    pub app_totals_ms: Vec<f64>,
}

impl AppTimings {
    /// Adds `d` to part `t` of the current frame.
    pub fn record(&mut self, t: Timed, d: Duration) {
        match self.current.iter_mut().find(|(k, _)| *k == t) {
            Some((_, acc)) => *acc += d,
            None => self.current.push((t, d)),
        }
    }

    /// Closes the current frame.
    pub fn end_frame(&mut self) {
        let frame = std::mem::take(&mut self.current);
        let app: Duration = frame.iter().filter(|(t, _)| t.is_app()).map(|(_, d)| *d).sum();
        if self.app_totals_ms.len() < 100_000 {
            self.app_totals_ms.push(app.as_secs_f64() * 1e3);
        }
        self.frames.push_back(frame);
        self.steps.push_back(std::mem::take(&mut self.steps_this_frame));
        if self.frames.len() > WINDOW {
            self.frames.pop_front();
            self.steps.pop_front();
        }
        self.frame_count += 1;
    }

    /// Mean time of part `t` per frame over the recent window, ms.
    pub fn mean_ms(&self, t: Timed) -> f64 {
        if self.frames.is_empty() {
            return 0.0;
        }
        let sum: Duration = self.frames.iter().flat_map(|f| f.iter().filter(|(k, _)| *k == t).map(|(_, d)| *d)).sum();
        sum.as_secs_f64() * 1e3 / self.frames.len() as f64
    }

    /// Mean CPU time of one simulation step over the recent window, ms (`None` before any step).
    pub fn mean_step_ms(&self) -> Option<f64> {
        let steps: u32 = self.steps.iter().sum();
        (steps > 0).then(|| self.mean_ms(Timed::SimSteps) * self.frames.len() as f64 / f64::from(steps))
    }

    /// Mean of the app's own time per frame over the recent window, ms.
    pub fn app_mean_ms(&self) -> f64 {
        Timed::ALL.iter().filter(|t| t.is_app()).map(|t| self.mean_ms(*t)).sum()
    }

    /// `(mean, 95th percentile, max)` of the app's own time per frame over the whole run, ms.
    pub fn app_summary_ms(&self) -> (f64, f64, f64) {
        let mut v = self.app_totals_ms.clone();
        if v.is_empty() {
            return (0.0, 0.0, 0.0);
        }
        v.sort_by(f64::total_cmp);
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let p95 = v[((v.len() as f64 * 0.95) as usize).min(v.len() - 1)];
        (mean, p95, v[v.len() - 1])
    }
}

/// Times simulation steps and closes each frame's record.
pub struct PerfPlugin;

impl Plugin for PerfPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<AppTimings>()
            .add_systems(FixedUpdate, (sim_start.before(SimSystems::Clock), sim_end.after(SimSystems::Limits)))
            .add_systems(Last, end_frame);
    }
}

fn sim_start(mut t: ResMut<AppTimings>) {
    t.sim_started = Some(Instant::now());
}

fn sim_end(mut t: ResMut<AppTimings>) {
    if let Some(s) = t.sim_started.take() {
        t.record(Timed::SimSteps, s.elapsed());
        t.steps_this_frame += 1;
    }
}

fn end_frame(mut t: ResMut<AppTimings>) {
    t.end_frame();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_cost_is_time_over_steps_not_time_per_frame() {
        let mut t = AppTimings::default();
        // Frame 1: two steps, 4 ms in all; frame 2: no step; frame 3: six steps, 12 ms.
        for (ms, steps) in [(4, 2), (0, 0), (12, 6)] {
            t.record(Timed::SimSteps, Duration::from_millis(ms));
            t.steps_this_frame = steps;
            t.end_frame();
        }
        let step = t.mean_step_ms().unwrap();
        assert!((step - 2.0).abs() < 1e-9, "16 ms over 8 steps is 2 ms a step, got {step}");
        assert!((t.mean_ms(Timed::SimSteps) - 16.0 / 3.0).abs() < 1e-9);
        assert_eq!(AppTimings::default().mean_step_ms(), None);
    }
}
