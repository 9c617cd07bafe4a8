//! Energy storage that smooths a swinging load as the grid sees it: a rack's power-supply store
//! (joules per GPU) or a facility battery (BESS) at the grid connection.
//!
//! # Control law
//! The grid is asked for the load's moving average (an exponential average with time constant
//! `smoothing_s`), corrected toward half charge (`(E_half − E)/(10·smoothing_s)`, so the store
//! neither drifts full nor empty); the store gives or takes the difference, within its power
//! rating and its energy, and whatever it cannot cover falls back to the grid. Charging stores
//! `√η` of what it takes and discharging gives `√η` of what it draws, `η` the round-trip
//! efficiency, so a cycle loses `1 − η`.

use serde::{Deserialize, Serialize};

/// A store's rating.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StorageRating {
    /// Power it can give or take, W.
    pub power_w: f64,
    /// Usable energy, J.
    pub energy_j: f64,
    /// Round-trip efficiency, 0–1.
    pub round_trip_efficiency: f64,
    /// Time constant of the moving average the grid is asked for, s.
    pub smoothing_s: f64,
}

/// A store and its controller's state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Smoother {
    /// Its rating.
    pub rating: StorageRating,
    /// Energy stored, J.
    pub stored_j: f64,
    /// The load's moving average, W (`None` before the first step: it starts at the load).
    average_w: Option<f64>,
    /// Energy lost to the round trip so far, J.
    pub lost_j: f64,
}

impl Smoother {
    /// A store at half charge.
    pub fn new(rating: StorageRating) -> Smoother {
        Smoother { rating, stored_j: 0.5 * rating.energy_j, average_w: None, lost_j: 0.0 }
    }

    /// The grid's draw for a step of `dt_s` with the load at `load_w`; updates the charge.
    pub fn step(&mut self, load_w: f64, dt_s: f64) -> f64 {
        let r = self.rating;
        let avg = match self.average_w {
            None => load_w,
            Some(a) => a + (load_w - a) * (1.0 - (-dt_s / r.smoothing_s).exp()),
        };
        self.average_w = Some(avg);
        let target = avg + (0.5 * r.energy_j - self.stored_j) / (10.0 * r.smoothing_s);
        let half = r.round_trip_efficiency.sqrt();
        // Power from the store to the load (negative: charging from the grid).
        let mut out = (load_w - target).clamp(-r.power_w, r.power_w);
        if out > 0.0 {
            // Discharging draws `out/√η` from the stored energy.
            out = out.min(self.stored_j * half / dt_s);
            self.stored_j -= out / half * dt_s;
            self.lost_j += out * (1.0 / half - 1.0) * dt_s;
        } else if out < 0.0 {
            // Charging stores `√η` of what it takes.
            out = out.max(-(r.energy_j - self.stored_j) / half / dt_s);
            self.stored_j -= out * half * dt_s;
            self.lost_j += -out * (1.0 - half) * dt_s;
        }
        self.stored_j = self.stored_j.clamp(0.0, r.energy_j);
        load_w - out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A square wave through a large store: the grid sees almost its mean; energy in = energy
    /// out + losses + change of charge, exactly.
    #[test]
    fn smooths_a_square_wave_and_conserves_energy() {
        let rating = StorageRating { power_w: 10e6, energy_j: 3.6e9, round_trip_efficiency: 0.9, smoothing_s: 60.0 };
        let mut s = Smoother::new(rating);
        let start = s.stored_j;
        let (mut grid, mut load) = (0.0, 0.0);
        let mut last_minute = Vec::new();
        for i in 0..36_000 {
            let l = if (i / 10) % 2 == 0 { 20e6 } else { 12e6 };
            let g = s.step(l, 0.1);
            grid += g * 0.1;
            load += l * 0.1;
            if i >= 36_000 - 600 {
                last_minute.push(g);
            }
        }
        let balance = grid - load - (s.stored_j - start) - s.lost_j;
        assert!(balance.abs() < 1e-6 * load, "{balance}");
        let p2p =
            last_minute.iter().cloned().fold(f64::MIN, f64::max) - last_minute.iter().cloned().fold(f64::MAX, f64::min);
        assert!(p2p < 0.2e6, "8 MW swing seen as {p2p} W");
        assert!(s.lost_j > 0.0);
    }

    /// An empty store gives nothing: the grid carries the load.
    #[test]
    fn an_empty_store_passes_the_load_through() {
        let rating = StorageRating { power_w: 1e3, energy_j: 0.0, round_trip_efficiency: 1.0, smoothing_s: 1.0 };
        let mut s = Smoother::new(rating);
        for l in [5e3, 0.0, 7e3] {
            assert_eq!(s.step(l, 0.1), l);
        }
    }
}
