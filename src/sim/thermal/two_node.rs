//! The exact solution of a zone's air and equipment mass in one set of coil regimes.
//!
//! With the coils removing `g·T_a − h` the two nodes follow
//! `C_a·dT_a/dt = q + h − g·T_a − G·(T_a − T_m)` and `C_m·dT_m/dt = G·(T_a − T_m)`, a linear
//! system `x' = A·x + b`. `A` is similar to a symmetric matrix (scale by `√C`), so its
//! eigenvalues are real, non-positive and distinct whenever `G > 0`; then
//! `e^{At} = (e^{λ₁t}·(A − λ₂I) − e^{λ₂t}·(A − λ₁I))/(λ₁ − λ₂)` (Sylvester's formula), and
//! `x(t) = e^{At}·x₀ + ∫₀ᵗe^{As}ds·b` is closed form for any `t`, any step, including `g = 0`
//! (no cooling: `λ₂ = 0`, the nodes warm without bound). Written out by hand because it is
//! twenty lines: a general matrix exponential (nalgebra has none for this use) would cost more
//! and lose the closed forms of `∫x dt` and of the air's turning point that the regime
//! switching needs.

/// `x' = A·x + b` for `x = (T_a, T_m)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct TwoNode {
    a: [[f64; 2]; 2],
    b: [f64; 2],
    l1: f64,
    l2: f64,
    /// Where both nodes settle, °C (`(q + h)/g`); `None` without cooling (no settling).
    t_inf: Option<f64>,
}

/// `(e^{λt} − 1)/λ`, `t` at `λ = 0`.
fn phi(l: f64, t: f64) -> f64 {
    if l == 0.0 { t } else { (l * t).exp_m1() / l }
}

/// `∫₀ᵗ phi(λ, s) ds = (phi(λ, t) − t)/λ`, `t²/2` at `λ = 0` (a series where `λt` is small,
/// to keep the cancellation out).
fn psi(l: f64, t: f64) -> f64 {
    let x = l * t;
    if x.abs() < 1e-4 { t * t * (0.5 + x / 6.0 + x * x / 24.0) } else { ((x).exp_m1() - x) / (l * l) }
}

impl TwoNode {
    /// The zone's air (`c_air_j_k`) and mass (`c_mass_j_k`, coupled by `g_mass_w_k > 0`) with
    /// `q_w` of heat into the air and the coils removing `g·T_a − h`.
    pub(super) fn new(q_w: f64, g: f64, h: f64, c_air_j_k: f64, c_mass_j_k: f64, g_mass_w_k: f64) -> TwoNode {
        let (ca, cm, gm) = (c_air_j_k, c_mass_j_k, g_mass_w_k);
        let a = [[-(g + gm) / ca, gm / ca], [gm / cm, -gm / cm]];
        let trace = a[0][0] + a[1][1];
        // (a₁₁ − a₂₂)² + 4·a₁₂·a₂₁ > 0: no cancellation in the discriminant.
        let disc = (a[0][0] - a[1][1]).powi(2) + 4.0 * a[0][1] * a[1][0];
        let l1 = 0.5 * (trace - disc.sqrt());
        // λ₁·λ₂ = det A = g·G/(C_a·C_m): exact zero without cooling.
        let l2 = g * gm / (ca * cm) / l1;
        TwoNode { a, b: [(q_w + h) / ca, 0.0], l1, l2, t_inf: (g > 0.0).then(|| (q_w + h) / g) }
    }

    /// `(w₁·(A − λ₂I)·v − w₂·(A − λ₁I)·v)/(λ₁ − λ₂)`.
    fn combine(&self, w1: f64, w2: f64, v: [f64; 2]) -> [f64; 2] {
        let av = [self.a[0][0] * v[0] + self.a[0][1] * v[1], self.a[1][0] * v[0] + self.a[1][1] * v[1]];
        let d = self.l1 - self.l2;
        std::array::from_fn(|i| (w1 * (av[i] - self.l2 * v[i]) - w2 * (av[i] - self.l1 * v[i])) / d)
    }

    /// The state `t` seconds after `x0`.
    pub(super) fn state(&self, x0: [f64; 2], t: f64) -> [f64; 2] {
        let e = self.combine((self.l1 * t).exp(), (self.l2 * t).exp(), x0);
        let f = self.combine(phi(self.l1, t), phi(self.l2, t), self.b);
        [e[0] + f[0], e[1] + f[1]]
    }

    /// `∫₀ᵗ x(s) ds` from `x0`, K·s.
    pub(super) fn integral(&self, x0: [f64; 2], t: f64) -> [f64; 2] {
        let f = self.combine(phi(self.l1, t), phi(self.l2, t), x0);
        let h = self.combine(psi(self.l1, t), psi(self.l2, t), self.b);
        [f[0] + h[0], f[1] + h[1]]
    }

    /// `dT_a/dt` `t` seconds after `x0`.
    pub(super) fn air_rate(&self, x0: [f64; 2], t: f64) -> f64 {
        self.combine((self.l1 * t).exp(), (self.l2 * t).exp(), self.velocity(x0))[0]
    }

    /// `A·x0 + b`.
    fn velocity(&self, x0: [f64; 2]) -> [f64; 2] {
        std::array::from_fn(|i| self.a[i][0] * x0[0] + self.a[i][1] * x0[1] + self.b[i])
    }

    /// The one time after `x0` (if any) where the air turns (`dT_a/dt = 0` and changes sign):
    /// `dT_a/dt = (e^{λ₁t}·p − e^{λ₂t}·r)/(λ₁ − λ₂)` vanishes at most once.
    pub(super) fn air_turn_s(&self, x0: [f64; 2]) -> Option<f64> {
        let v = self.velocity(x0);
        let av0 = self.a[0][0] * v[0] + self.a[0][1] * v[1];
        let (p, r) = (av0 - self.l2 * v[0], av0 - self.l1 * v[0]);
        if p == 0.0 || r / p <= 0.0 {
            return None;
        }
        let t = (r / p).ln() / (self.l1 - self.l2);
        (t > 0.0 && t.is_finite()).then_some(t)
    }

    /// The first time in `[from, to]` (where `T_a` is monotone) at which the air reaches `target`
    /// from `x0`, by bisection to the last bit.
    pub(super) fn air_reaches(&self, x0: [f64; 2], from: f64, to: f64, target: f64) -> Option<f64> {
        let at = |t: f64| self.state(x0, t)[0];
        let (ya, yb) = (at(from), at(to));
        if (ya - target) * (yb - target) > 0.0 {
            return None;
        }
        let rising = yb >= ya;
        let (mut lo, mut hi) = (from, to);
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if mid <= lo || mid >= hi {
                break;
            }
            if (at(mid) < target) == rising {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        Some(hi)
    }

    /// Seconds until the air, from `x0`, first reaches `limit` above it; `None` if it never
    /// does (`Some(0)` if it is there already).
    pub(super) fn time_to_reach(&self, x0: [f64; 2], limit: f64) -> Option<f64> {
        if x0[0] >= limit {
            return Some(0.0);
        }
        let turn = self.air_turn_s(x0);
        if let Some(t) = turn
            && let Some(s) = self.air_reaches(x0, 0.0, t, limit)
        {
            return Some(s);
        }
        // After the turn (or from the start) the air is monotone toward where it settles: it
        // reaches the limit only if that lies beyond it (or, without cooling, if it rises).
        match self.t_inf {
            Some(t_inf) if t_inf <= limit => return None,
            None if self.b[0] <= 0.0 => return None,
            _ => {}
        }
        // Find a time past the limit by doubling, then bisect.
        let from = turn.unwrap_or(0.0);
        let mut to = from.max(1.0);
        for _ in 0..64 {
            if self.state(x0, to)[0] >= limit {
                return self.air_reaches(x0, from, to, limit);
            }
            if self.air_rate(x0, to) <= 0.0 && to > from {
                return None;
            }
            to *= 2.0;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against small explicit steps (RK4 at 1 ms), and the energy balance.
    #[test]
    fn matches_a_fine_numerical_integration_and_conserves_energy() {
        for (q, g, h) in [(50e3, 0.0, 0.0), (50e3, 4000.0, 4000.0 * 18.0), (-1e3, 8000.0, 8000.0 * 25.0)] {
            let (ca, cm, gm) = (7e5, 2e6, 6e3);
            let s = TwoNode::new(q, g, h, ca, cm, gm);
            let f = |x: [f64; 2]| [(q + h - g * x[0] - gm * (x[0] - x[1])) / ca, gm * (x[0] - x[1]) / cm];
            let (mut x, dt) = ([22.0, 20.0], 1e-3);
            let mut integral = [0.0; 2];
            for _ in 0..300_000 {
                let k1 = f(x);
                let k2 = f([x[0] + 0.5 * dt * k1[0], x[1] + 0.5 * dt * k1[1]]);
                let k3 = f([x[0] + 0.5 * dt * k2[0], x[1] + 0.5 * dt * k2[1]]);
                let k4 = f([x[0] + dt * k3[0], x[1] + dt * k3[1]]);
                for i in 0..2 {
                    let next = x[i] + dt / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
                    integral[i] += 0.5 * dt * (x[i] + next);
                    x[i] = next;
                }
            }
            let exact = s.state([22.0, 20.0], 300.0);
            let int = s.integral([22.0, 20.0], 300.0);
            for i in 0..2 {
                assert!((exact[i] - x[i]).abs() < 1e-8, "{q} {g}: {exact:?} vs {x:?}");
                assert!((int[i] - integral[i]).abs() < 1e-5, "{int:?} vs {integral:?}");
            }
            // Heat in = stored + removed.
            let stored = ca * (exact[0] - 22.0) + cm * (exact[1] - 20.0);
            let removed = g * int[0] - h * 300.0;
            assert!((q * 300.0 - stored - removed).abs() < 1e-6 * (q.abs() * 300.0), "{q} {g}");
        }
    }

    /// The air turns once where its rate changes sign, and `time_to_reach` finds a crossing.
    #[test]
    fn finds_the_turn_and_the_crossing() {
        // Coils holding the air at 18 °C and a hot mass: the mass warms the air, which peaks
        // and falls back as the mass cools.
        let s = TwoNode::new(0.0, 5000.0, 5000.0 * 18.0, 7e5, 2e6, 2e4);
        let x0 = [18.0, 30.0];
        let turn = s.air_turn_s(x0);
        let t = turn.expect("one turn");
        assert!(s.air_rate(x0, 0.5 * t) > 0.0 && s.air_rate(x0, 2.0 * t) < 0.0);
        let peak = s.state(x0, t)[0];
        let half = 18.0 + 0.5 * (peak - 18.0);
        let when = s.time_to_reach(x0, half).unwrap();
        assert!((s.state(x0, when)[0] - half).abs() < 1e-9 && when < t);
        assert_eq!(s.time_to_reach(x0, peak + 0.1), None);
        // No cooling: it reaches anything eventually.
        let hot = TwoNode::new(1e5, 0.0, 0.0, 7e5, 2e6, 2e4);
        let t40 = hot.time_to_reach([20.0, 20.0], 40.0).unwrap();
        assert!((hot.state([20.0, 20.0], t40)[0] - 40.0).abs() < 1e-9);
    }
}
