//! What a year of weather did to a site: a run whose outdoor conditions come from an EPW file
//! tallies, step by step, the hours each water loop free-cooled, the hours each limit was
//! exceeded, the hour closest to each limit, and the headroom at the hottest hour.

use bevy::prelude::*;
use serde::Serialize;

use crate::sim::SimClock;
use crate::sim::limits::{HeadroomRow, LimitKind};
use crate::sim::thermal::CoolingPlant;
use crate::sim::world::CoolingLayout;

/// The weather section of a report.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct WeatherSummary {
    /// The weather file, as the site (or `--weather`) names it.
    pub file: String,
    /// Where it was recorded: city, region, country, data source.
    pub location: String,
    /// Values the file marks missing and how they were filled (absent when none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filled: Option<String>,
    /// Simulated hours tallied.
    pub hours: f64,
    /// Mean outdoor dry bulb over the run, °C.
    pub mean_dry_bulb_c: f64,
    /// Per water loop: hours of free cooling and hours the plant could not hold the setpoint.
    pub water_loops: Vec<LoopHours>,
    /// Per limit kind (declaration order): hours beyond it and its closest approach.
    pub limits: Vec<LimitHours>,
    /// The step ending at the year's highest dry bulb, and the headroom then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hottest: Option<HottestHour>,
}

/// A water loop over the run.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct LoopHours {
    /// Loop id.
    pub id: String,
    /// Supply setpoint, °C.
    pub setpoint_c: f64,
    /// Hours free cooling carried the load (parts of hours counted, see
    /// `free_cooling_share` in the plant).
    pub free_cooling_h: f64,
    /// Hours the plant could not hold the setpoint (at a step's end).
    pub over_setpoint_h: f64,
    /// Highest supply temperature at a step's end, °C.
    pub max_supply_c: f64,
}

/// One limit kind over the run.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct LimitHours {
    /// The limit.
    pub limit: LimitKind,
    /// Hours some element was past it (at a step's end).
    pub exceeded_h: f64,
    /// The least margin seen, % of the limit (negative: past it).
    pub least_margin_pct: f64,
    /// The element with that margin.
    pub element: String,
    /// When, s from 1 January 00:00.
    pub at_s: f64,
}

/// The hottest hour.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct HottestHour {
    /// End of the step, s from 1 January 00:00.
    pub at_s: f64,
    /// Outdoor dry bulb, °C.
    pub dry_bulb_c: f64,
    /// Outdoor wet bulb, °C.
    pub wet_bulb_c: f64,
    /// PUE in that step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pue: Option<f64>,
    /// Headroom then, the limit reached first first.
    pub headroom: Vec<HeadroomRow>,
}

/// Tallies a weather year step by step; [`WeatherTally::record`] after each step.
#[derive(Debug, Clone)]
pub struct WeatherTally {
    summary: WeatherSummary,
    dry_sum: f64,
}

impl WeatherTally {
    /// A tally for the world's weather, if its outdoor conditions come from a weather file.
    pub fn for_world(world: &World) -> Option<WeatherTally> {
        let ambient = world.get_resource::<CoolingLayout>()?.ambient.as_ref()?;
        let weather = ambient.weather.as_ref()?;
        let loc = weather.0.location();
        let location = [&loc.city, &loc.region, &loc.country, &loc.source]
            .into_iter()
            .filter(|s| !s.is_empty() && s.as_str() != "-")
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        let filled = weather.0.filled();
        Some(WeatherTally {
            summary: WeatherSummary {
                file: ambient.epw.clone().unwrap_or_default(),
                location,
                filled: (!filled.is_empty()).then(|| filled.to_string()),
                hours: 0.0,
                mean_dry_bulb_c: 0.0,
                water_loops: vec![],
                limits: vec![],
                hottest: None,
            },
            dry_sum: 0.0,
        })
    }

    /// Adds the step just taken.
    pub fn record(&mut self, world: &mut World) {
        let clock = world.resource::<SimClock>();
        let (t_s, step_h) = (clock.elapsed_s, clock.step_s / 3600.0);
        let s = &mut self.summary;
        s.hours += step_h;
        let Some(plant) = world.get_resource::<CoolingPlant>() else { return };
        let (dry_c, wet_c) = plant.ambient_c;
        self.dry_sum += dry_c * step_h;
        for lp in &plant.loops {
            let row = match s.water_loops.iter_mut().position(|l| l.id == lp.id) {
                Some(i) => &mut s.water_loops[i],
                None => {
                    s.water_loops.push(LoopHours {
                        id: lp.id.clone(),
                        setpoint_c: lp.setpoint_c,
                        free_cooling_h: 0.0,
                        over_setpoint_h: 0.0,
                        max_supply_c: f64::NEG_INFINITY,
                    });
                    s.water_loops.last_mut().expect("just pushed")
                }
            };
            row.free_cooling_h += lp.free_cooling_share * step_h;
            if lp.over_capacity {
                row.over_setpoint_h += step_h;
            }
            row.max_supply_c = row.max_supply_c.max(lp.supply_c);
        }
        let headroom = crate::sim::limits::headroom(world);
        for r in headroom.iter().filter(|r| r.margin_pct.is_finite()) {
            let row = match s.limits.iter_mut().position(|l| l.limit == r.limit) {
                Some(i) => &mut s.limits[i],
                None => {
                    s.limits.push(LimitHours {
                        limit: r.limit,
                        exceeded_h: 0.0,
                        least_margin_pct: f64::INFINITY,
                        element: String::new(),
                        at_s: 0.0,
                    });
                    s.limits.last_mut().expect("just pushed")
                }
            };
            if r.margin < 0.0 {
                row.exceeded_h += step_h;
            }
            if r.margin_pct < row.least_margin_pct {
                (row.least_margin_pct, row.element, row.at_s) = (r.margin_pct, r.element.clone(), t_s);
            }
        }
        if s.hottest.as_ref().is_none_or(|h| dry_c > h.dry_bulb_c) {
            let pue = world.resource::<crate::sim::electrical::SiteTotals>().pue();
            s.hottest =
                Some(HottestHour { at_s: t_s, dry_bulb_c: dry_c, wet_bulb_c: wet_c, pue, headroom: headroom.clone() });
        }
    }

    /// The summary of the steps recorded.
    pub fn finish(mut self) -> WeatherSummary {
        let s = &mut self.summary;
        s.mean_dry_bulb_c = if s.hours > 0.0 { self.dry_sum / s.hours } else { 0.0 };
        s.limits.sort_by_key(|l| l.limit);
        self.summary
    }
}

/// `t_s` seconds from 1 January 00:00 as "Jul 21 15:00" (a year of 365 days: EPW years have no
/// 29 February, and a run past the year's end starts it again).
pub fn calendar_time(t_s: f64) -> String {
    const MONTHS: [(&str, u32); 12] = [
        ("Jan", 31),
        ("Feb", 28),
        ("Mar", 31),
        ("Apr", 30),
        ("May", 31),
        ("Jun", 30),
        ("Jul", 31),
        ("Aug", 31),
        ("Sep", 30),
        ("Oct", 31),
        ("Nov", 30),
        ("Dec", 31),
    ];
    let minutes = (t_s / 60.0).round().rem_euclid(365.0 * 1440.0) as u32;
    let (mut day, minute) = (minutes / 1440, minutes % 1440);
    for (name, len) in MONTHS {
        if day < len {
            return format!("{name} {} {:02}:{:02}", day + 1, minute / 60, minute % 60);
        }
        day -= len;
    }
    unreachable!("a day of the year is in one of its months")
}

#[cfg(test)]
mod tests {
    use super::calendar_time;

    #[test]
    fn calendar_times() {
        assert_eq!(calendar_time(0.0), "Jan 1 00:00");
        assert_eq!(calendar_time(3600.0 * 24.0 * 31.0 + 90.0 * 60.0), "Feb 1 01:30");
        assert_eq!(calendar_time(3600.0 * 8759.0), "Dec 31 23:00");
        assert_eq!(calendar_time(3600.0 * 8760.0), "Jan 1 00:00");
    }
}
