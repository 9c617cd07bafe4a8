//! Colour scales shared by the plan, the single-line diagram and the legend, so one element looks
//! the same everywhere.

use super::state::ColorMetric;
use super::status::ElementStatus;

/// An sRGB colour, 0–1 per channel.
pub type Rgb = [f32; 3];

/// Out of service or de-energized.
pub const DEAD: Rgb = [0.22, 0.22, 0.25];
/// The metric does not apply to this element.
pub const NOT_APPLICABLE: Rgb = [0.45, 0.47, 0.52];

/// Stops of the load scale: fraction of the limit → colour.
const LOAD_STOPS: [(f64, Rgb); 5] = [
    (0.0, [0.16, 0.55, 0.85]),
    (0.5, [0.20, 0.72, 0.38]),
    (0.8, [0.93, 0.80, 0.20]),
    (1.0, [0.96, 0.50, 0.10]),
    (1.0001, [0.86, 0.08, 0.12]),
];

fn ramp(stops: &[(f64, Rgb)], x: f64) -> Rgb {
    let x = if x.is_finite() { x } else { 0.0 };
    if x <= stops[0].0 {
        return stops[0].1;
    }
    for w in stops.windows(2) {
        let ((x0, c0), (x1, c1)) = (w[0], w[1]);
        if x <= x1 {
            let t = ((x - x0) / (x1 - x0)) as f32;
            return [c0[0] + (c1[0] - c0[0]) * t, c0[1] + (c1[1] - c0[1]) * t, c0[2] + (c1[2] - c0[2]) * t];
        }
    }
    stops[stops.len() - 1].1
}

/// Colour of a fraction of a limit (1.0 = at the limit; above it is red).
pub fn load_color(fraction: f64) -> Rgb {
    ramp(&LOAD_STOPS, fraction)
}

/// The fraction of its limit `status` is at under `metric` (1.0 = at the limit), when the
/// metric applies.
pub fn metric_fraction(metric: ColorMetric, s: &ElementStatus) -> Option<f64> {
    match metric {
        ColorMetric::Loading => s.loading_pct.map(|l| l / 100.0),
        ColorMetric::InletTemperature => match (s.inlet_c, s.inlet_allowable_c) {
            (Some(t), Some(a)) => Some((t - INLET_COLD_C) / (a - INLET_COLD_C)),
            _ => None,
        },
        ColorMetric::Headroom => s.headroom_pct.map(|m| 1.0 - m / 100.0),
    }
}

/// The cold end of the inlet scale, °C (ASHRAE's recommended minimum).
const INLET_COLD_C: f64 = 18.0;

/// Colour of `status` under `metric`.
pub fn metric_color(metric: ColorMetric, status: Option<&ElementStatus>) -> Rgb {
    let Some(s) = status else { return NOT_APPLICABLE };
    match metric_fraction(metric, s) {
        _ if !s.live && s.kind.is_some_and(|k| !k.is_marker()) => DEAD,
        Some(v) => load_color(v),
        None => NOT_APPLICABLE,
    }
}

/// Colour of a group of elements (a row of racks) under `metric`: its worst member's, dead
/// only when all are.
pub fn group_color<'a>(metric: ColorMetric, members: impl Iterator<Item = Option<&'a ElementStatus>>) -> Rgb {
    let (mut worst, mut any_live, mut any) = (None::<f64>, false, false);
    for s in members.flatten() {
        any = true;
        if !s.live {
            continue;
        }
        any_live = true;
        if let Some(v) = metric_fraction(metric, s).filter(|v| v.is_finite()) {
            worst = Some(worst.map_or(v, |w| w.max(v)));
        }
    }
    match worst {
        _ if any && !any_live => DEAD,
        Some(v) => load_color(v),
        None => NOT_APPLICABLE,
    }
}

/// How racks are coloured under `metric` (a rack has no rating of its own to load).
pub fn rack_legend(metric: ColorMetric) -> &'static str {
    match metric {
        ColorMetric::Loading => "racks: the loading of their busiest feed",
        ColorMetric::InletTemperature => "racks: their own inlet",
        ColorMetric::Headroom => "racks: the tightest of their inlet and their feeds",
    }
}

/// Legend entries for `metric`: `(colour, text)`.
pub fn legend(metric: ColorMetric) -> Vec<(Rgb, String)> {
    let (unit_at, labels): (&str, [(f64, &str); 5]) = match metric {
        ColorMetric::Loading => {
            ("loading", [(0.0, "0 %"), (0.5, "50 %"), (0.8, "80 %"), (1.0, "100 %"), (1.2, "over 100 %")])
        }
        ColorMetric::InletTemperature => (
            "inlet",
            [(0.0, "18 °C"), (0.5, "midway"), (0.8, "near allowable"), (1.0, "at allowable"), (1.2, "over allowable")],
        ),
        ColorMetric::Headroom => (
            "margin",
            [(0.0, "100 % left"), (0.5, "50 % left"), (0.8, "20 % left"), (1.0, "none left"), (1.2, "over the limit")],
        ),
    };
    let mut v: Vec<(Rgb, String)> = labels.iter().map(|(x, t)| (load_color(*x), format!("{unit_at} {t}"))).collect();
    v.push((DEAD, "out of service / dead".into()));
    v.push((NOT_APPLICABLE, "not applicable".into()));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn over_the_limit_is_red_and_distinct_from_normal() {
        let normal = load_color(0.5);
        let over = load_color(1.3);
        assert!(over[0] > 0.8 && over[1] < 0.2, "over the limit is red: {over:?}");
        assert!((normal[0] - over[0]).abs() + (normal[1] - over[1]).abs() > 0.5);
        // Monotone towards red in the red channel from 50 % up.
        assert!(load_color(0.8)[0] > load_color(0.5)[0]);
    }
}
