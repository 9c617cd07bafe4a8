//! Time series for the charts: site power, grid import, losses, PUE and the hottest inlet,
//! sampled after every simulation step. The buffer has a fixed size: when it fills, every other
//! sample is dropped and the sampling interval doubles, so a week at 3600× costs the same memory
//! as a minute at 1×, and the chart always spans the whole run.

use bevy::prelude::*;

use crate::sim::electrical::SiteTotals;
use crate::sim::thermal::CoolingPlant;
use crate::sim::{SimClock, SimSystems};

/// Samples kept before thinning.
pub const HISTORY_CAPACITY: usize = 2048;

/// One sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Simulated time, s.
    pub t_s: f64,
    /// IT load, kW.
    pub it_kw: f64,
    /// Grid import, kW.
    pub grid_kw: f64,
    /// Electrical losses, kW.
    pub losses_kw: f64,
    /// Cooling power, kW.
    pub cooling_kw: f64,
    /// Instantaneous PUE.
    pub pue: Option<f64>,
    /// Hottest rack inlet over all zones, °C.
    pub hottest_inlet_c: Option<f64>,
}

/// The recorded series.
#[derive(Resource, Debug, Clone)]
pub struct SiteHistory {
    /// Samples, oldest first.
    pub samples: Vec<Sample>,
    /// Record every n-th step.
    pub every_steps: u64,
}

impl Default for SiteHistory {
    fn default() -> Self {
        SiteHistory { samples: Vec::with_capacity(HISTORY_CAPACITY), every_steps: 1 }
    }
}

impl SiteHistory {
    /// Adds a sample taken at step `step`, thinning the buffer when full.
    pub fn record(&mut self, step: u64, sample: Sample) {
        if !step.is_multiple_of(self.every_steps) {
            return;
        }
        if self.samples.len() == HISTORY_CAPACITY {
            let kept: Vec<Sample> = self.samples.iter().step_by(2).copied().collect();
            self.samples = kept;
            self.every_steps *= 2;
            if !step.is_multiple_of(self.every_steps) {
                return;
            }
        }
        self.samples.push(sample);
    }
}

/// Records history after the limits stage of each step.
pub struct HistoryPlugin;

impl Plugin for HistoryPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<SiteHistory>().add_systems(FixedUpdate, record.after(SimSystems::Limits));
    }
}

fn record(
    clock: Res<SimClock>,
    totals: Res<SiteTotals>,
    plant: Option<Res<CoolingPlant>>,
    mut history: ResMut<SiteHistory>,
) {
    let hottest = plant.and_then(|p| p.zones.iter().map(|z| z.hottest_inlet_c).reduce(f64::max));
    history.record(
        clock.steps,
        Sample {
            t_s: clock.elapsed_s,
            it_kw: totals.it_load_kw,
            grid_kw: totals.grid_import_kw,
            losses_kw: totals.losses_kw(),
            cooling_kw: totals.cooling_kw,
            pue: totals.pue(),
            hottest_inlet_c: hottest,
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thinning_keeps_the_whole_span_and_a_bounded_size() {
        let mut h = SiteHistory::default();
        let s = |t: f64| Sample {
            t_s: t,
            it_kw: 0.0,
            grid_kw: 0.0,
            losses_kw: 0.0,
            cooling_kw: 0.0,
            pue: None,
            hottest_inlet_c: None,
        };
        for step in 1..=10 * HISTORY_CAPACITY as u64 {
            h.record(step, s(step as f64));
        }
        assert!(h.samples.len() <= HISTORY_CAPACITY && h.samples.len() >= HISTORY_CAPACITY / 2);
        assert!(h.samples.first().unwrap().t_s <= 16.0, "oldest kept sample is near the start");
        assert!(h.samples.last().unwrap().t_s >= 10.0 * HISTORY_CAPACITY as f64 - h.every_steps as f64);
        assert!(h.samples.windows(2).all(|w| w[1].t_s > w[0].t_s));
    }
}
