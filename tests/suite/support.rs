//! Shared helpers: load sites, step apps, read results.

use std::path::{Path, PathBuf};

use bevy::prelude::*;
use dctwin::catalog::Catalog;
use dctwin::headless;
use dctwin::sim::components::*;
use dctwin::sim::world::find_element;
use dctwin::site::SiteFile;
use dctwin::site::load::{load_site, parse_site};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every example site in `sites/`, sorted.
pub fn example_sites() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("sites"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "ron") && !p.to_string_lossy().ends_with(".test.ron"))
        .collect();
    v.sort();
    assert!(v.len() >= 3, "expected at least three example sites");
    v
}

/// Loads a site file that must be valid.
pub fn load(path: &Path) -> SiteFile {
    load_site(path, &Catalog::builtin()).unwrap_or_else(|e| panic!("{} should be valid:\n{e}", path.display()))
}

/// A valid site with at least one element of every kind: `sites/overloaded_room.ron`, plus one
/// of each modelled kind it lacks placed from the palette (as a planner would), so a kind added
/// to the table is in every test that uses this site without anyone writing a fixture.
pub fn site_with_every_kind() -> SiteFile {
    let catalog = Catalog::builtin();
    let site = load(&root().join("sites/overloaded_room.ron"));
    let mut app = headless::build_app(&site, &catalog, dctwin::sim::DEFAULT_STEP);
    let w = app.world_mut();
    for (i, &k) in dctwin::kinds::EquipmentKind::ALL.iter().enumerate() {
        if site.count(k) > 0 {
            continue;
        }
        assert!(k.has_model(), "{}: a kind without a catalog model must be in overloaded_room.ron", k.noun());
        let model = catalog.model_names(k).remove(0);
        let edit = dctwin::edit::ops::place(w, k, &model, (300.0 + 20.0 * i as f64, 300.0), 0.5)
            .unwrap_or_else(|e| panic!("{}: {e}", k.noun()));
        dctwin::edit::apply(w, edit).unwrap_or_else(|e| panic!("{}: {e}", k.noun()));
    }
    let out = dctwin::sim::world::world_to_site(w);
    for &k in dctwin::kinds::EquipmentKind::ALL {
        assert!(out.count(k) > 0, "{}", k.noun());
    }
    out
}

/// Parses site text that must be valid.
pub fn parse(text: &str) -> SiteFile {
    parse_site(text, "test.ron", &Catalog::builtin()).unwrap_or_else(|e| panic!("test site should be valid:\n{e}"))
}

/// A headless app for `site`, advanced `steps` fixed steps of 1 s.
pub fn app_after(site: &SiteFile, steps: u64) -> App {
    let mut app = headless::build_app(site, &Catalog::builtin(), std::time::Duration::from_secs(1));
    headless::advance(&mut app, steps);
    app
}

/// The entity of element `id`.
pub fn entity(app: &mut App, id: &str) -> Entity {
    find_element(app.world_mut(), id).unwrap_or_else(|| panic!("no element {id}"))
}

/// The electrical state of element `id`.
pub fn state(app: &mut App, id: &str) -> ElectricalState {
    let e = entity(app, id);
    dctwin::sim::electrical::element_state(app.world(), e).unwrap()
}

/// Every network element's electrical state, by id.
pub fn all_states(app: &mut App) -> Vec<(String, ElectricalState)> {
    let world = app.world_mut();
    let mut q = world.query_filtered::<(Entity, &ElementId), With<dctwin::sim::electrical::Circuit>>();
    let net = world.resource::<dctwin::sim::electrical::ElectricalNetwork>();
    let mut v: Vec<_> = q.iter(world).map(|(e, i)| (i.0.clone(), net.state(e))).collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

/// The power state of rack `id`.
pub fn rack(app: &mut App, id: &str) -> RackPower {
    let e = entity(app, id);
    dctwin::sim::electrical::rack_power(app.world(), e).unwrap()
}

/// Relative difference.
pub fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-300)
}

/// Asserts `a ≈ b` to relative `tol`.
#[track_caller]
pub fn assert_rel(a: f64, b: f64, tol: f64, what: &str) {
    assert!(rel(a, b) <= tol, "{what}: {a} vs expected {b} (relative error {:e} > {tol:e})", rel(a, b));
}

/// A zone's air (`c_air_j_k`) and its racks' mass (`c_mass_j_k`, time constant `tau_s` against
/// the air), both at rest, after its heat steps so that the air heads for `t_inf` with removal
/// `g_w_k·(T − …)`: the air's temperature `t` seconds later. Hand derivation: with
/// `u = T_a − T∞`, `w = T_m − T∞`, `C_a·u' = −(g + G)·u + G·w`, `C_m·w' = G·(u − w)`, so
/// `u = A·e^{λ₁t} + B·e^{λ₂t}` with `λ` the roots of `λ² − tr·λ + det`, `A + B = u₀` and
/// `λ₁A + λ₂B = u'(0) = −g·u₀/C_a` (air and mass start level).
pub fn air_with_mass_c(t0: f64, t_inf: f64, g_w_k: f64, c_air_j_k: f64, c_mass_j_k: f64, tau_s: f64, t: f64) -> f64 {
    let big_g = c_mass_j_k / tau_s;
    let tr = -(g_w_k + big_g) / c_air_j_k - big_g / c_mass_j_k;
    let det = g_w_k * big_g / (c_air_j_k * c_mass_j_k);
    let root = (tr * tr - 4.0 * det).sqrt();
    let (l1, l2) = ((tr - root) / 2.0, (tr + root) / 2.0);
    let u0 = t0 - t_inf;
    let a = (-g_w_k * u0 / c_air_j_k - l2 * u0) / (l1 - l2);
    t_inf + a * (l1 * t).exp() + (u0 - a) * (l2 * t).exp()
}

/// The air's rise `t` seconds after all cooling stops on a zone at rest taking `q_w`:
/// `Q·t/(C_a + C_m) + C_m/(C_a + C_m)·Δ∞·(1 − e^{−t/τ'})`, `τ' = 1/(G·(1/C_a + 1/C_m))`,
/// `Δ∞ = Q·τ'/C_a` (the air's lead over the mass).
pub fn uncooled_air_rise_k(q_w: f64, c_air_j_k: f64, c_mass_j_k: f64, tau_s: f64, t: f64) -> f64 {
    let (ca, cm) = (c_air_j_k, c_mass_j_k);
    if cm == 0.0 {
        return q_w * t / ca;
    }
    let tau = 1.0 / (cm / tau_s * (1.0 / ca + 1.0 / cm));
    q_w * t / (ca + cm) + cm / (ca + cm) * q_w * tau / ca * (1.0 - (-t / tau).exp())
}

/// Seconds until [`uncooled_air_rise_k`] reaches `rise_k` (it rises monotonically: bisection).
pub fn uncooled_time_to_rise_s(q_w: f64, c_air_j_k: f64, c_mass_j_k: f64, tau_s: f64, rise_k: f64) -> f64 {
    let (mut lo, mut hi) = (0.0, 1.0);
    while uncooled_air_rise_k(q_w, c_air_j_k, c_mass_j_k, tau_s, hi) < rise_k {
        hi *= 2.0;
    }
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if uncooled_air_rise_k(q_w, c_air_j_k, c_mass_j_k, tau_s, mid) < rise_k {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    hi
}

/// `sites/small_2n_room.ron` with failures that break something: rack R1 on its A cord only
/// (PDU-A1 and UPS-A lose it) and both transformers in one substation (`common_mode:
/// ["SUB-1"]`, which loses every rack once the batteries run out).
pub fn fragile_small_room_text() -> String {
    let text = std::fs::read_to_string(root().join("sites/small_2n_room.ron")).unwrap();
    let out = text
        .replacen(
            r#"(id: "R1", model: "legacy-air-12kw", feed_a: "PDU-A1", feed_b: "PDU-B1","#,
            r#"(id: "R1", model: "legacy-air-12kw", feed_a: "PDU-A1","#,
            1,
        )
        .replacen("position_m: (-22.0, 0.0))", r#"position_m: (-22.0, 0.0), common_mode: ["SUB-1"])"#, 1)
        .replacen("position_m: (-22.0, 12.0))", r#"position_m: (-22.0, 12.0), common_mode: ["SUB-1"])"#, 1);
    assert_eq!(out.matches("SUB-1").count(), 2, "small_2n_room.ron changed: update the fixture");
    assert!(!out.contains(r#"(id: "R1", model: "legacy-air-12kw", feed_a: "PDU-A1", feed_b"#));
    out
}

/// A PNG file's pixels as RGB rows, with its width and height.
pub fn read_rgb(path: &Path) -> (Vec<u8>, usize, usize) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let (w, h) = (info.width as usize, info.height as usize);
    let rgb: Vec<u8> = match info.color_type {
        png::ColorType::Rgb => buf[..w * h * 3].to_vec(),
        png::ColorType::Rgba => buf[..w * h * 4].chunks(4).flat_map(|p| [p[0], p[1], p[2]]).collect(),
        other => panic!("unexpected PNG colour type {other:?}"),
    };
    (rgb, w, h)
}

/// An empty directory of its own under the system's temporary directory (`NAME-PID`), removed
/// with what is in it when the test is done with it (also when the test fails).
pub fn fresh_dir(name: &str) -> FreshDir {
    let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    FreshDir(dir)
}

/// A test's own directory ([`fresh_dir`]), removed when dropped.
pub struct FreshDir(PathBuf);

impl std::ops::Deref for FreshDir {
    type Target = PathBuf;
    fn deref(&self) -> &PathBuf {
        &self.0
    }
}

impl AsRef<Path> for FreshDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<std::ffi::OsStr> for FreshDir {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.0.as_os_str()
    }
}

impl Drop for FreshDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
