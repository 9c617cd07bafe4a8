//! The shipped catalog: valid, cited, internally consistent.

use dctwin::catalog::{BUILTIN_CATALOG_NAME, BUILTIN_CATALOG_RON, Catalog};

use crate::support::*;

#[test]
fn builtin_catalog_is_valid_and_every_entry_cites_a_source() {
    let c = Catalog::parse(BUILTIN_CATALOG_RON, BUILTIN_CATALOG_NAME).unwrap();
    let sources: Vec<&String> = c
        .grid_feeds
        .values()
        .map(|m| &m.source)
        .chain(c.transformers.values().map(|m| &m.source))
        .chain(c.ups.values().map(|m| &m.source))
        .chain(c.distribution.values().map(|m| &m.source))
        .chain(c.racks.values().map(|m| &m.source))
        .chain(c.cables.values().map(|m| &m.source))
        .collect();
    assert!(sources.iter().all(|s| s.len() > 10), "every model cites its source");
    assert!(c.racks["trn2-rack-estimate"].source.contains("estimate"), "estimates say so");
}

#[test]
fn catalog_covers_the_required_equipment() {
    let c = Catalog::builtin();
    for kva in [1000.0, 2000.0, 2500.0, 3000.0] {
        assert!(c.transformers.values().any(|t| t.rated_kva == kva), "a {kva} kVA transformer");
    }
    assert!((c.racks["dgx-h100-x4"].rated_kw - 4.0 * 10.2).abs() < 1e-9);
    assert!((c.racks["dgx-b200-x4"].rated_kw - 4.0 * 14.3).abs() < 1e-9);
    assert_eq!(c.racks["gb200-nvl72"].rated_kw, 132.0);
    assert!((0.85..=0.9).contains(&c.racks["gb200-nvl72"].liquid_fraction));
    assert!(c.racks.values().any(|r| (8.0..=12.0).contains(&r.rated_kw) && r.liquid_fraction == 0.0));
    assert!(c.distribution.values().any(|d| d.continuous_pct == 80.0));
}

/// The solver takes R from the load loss and X from |Z|; the X/R that gives back is the typical
/// one the catalog cites (elecalculator: 1000 kVA X/R 7, 2000 kVA X/R 9; the 25 MVA estimate 20).
#[test]
fn transformer_load_loss_gives_the_cited_x_r() {
    let expected = |name: &str| match name {
        "xfmr-1000kva-13.8kv-415v" => 7.0,
        "xfmr-25mva-34.5kv-13.8kv" => 20.0,
        _ => 9.0,
    };
    for (name, t) in &Catalog::builtin().transformers {
        let r_pct: f64 = t.load_loss_kw / t.rated_kva * 100.0;
        let x_pct = (t.impedance_pct * t.impedance_pct - r_pct * r_pct).sqrt();
        assert_rel(x_pct / r_pct, expected(name), 0.01, name);
    }
}

/// The derived no-load loss of the 2500 kVA unit meets 99.53 % efficiency at 50 % load, pf 1.
#[test]
fn transformer_efficiency_meets_doe_point() {
    let t = &Catalog::builtin().transformers["xfmr-2500kva-13.8kv-415v"];
    let out = 0.5 * t.rated_kva;
    let eta = out / (out + t.no_load_loss_kw + t.load_loss_kw * 0.25);
    assert!((eta - 0.9953).abs() < 5e-5, "efficiency {eta}");
}

/// UPS loss curve reproduces physics-reference 3.2: η 93.4 % at 10 %, 95.9 % at 25 %, 96.6 % at 50 %.
#[test]
fn ups_efficiency_curve() {
    let u = &Catalog::builtin().ups["ups-1000kw"];
    let eta = |x: f64| x / (x + (u.no_load_loss_pct + u.proportional_loss_pct * x + u.square_loss_pct * x * x) / 100.0);
    assert!((eta(0.10) - 0.934).abs() < 1e-3, "{}", eta(0.10));
    assert!((eta(0.25) - 0.959).abs() < 1e-3, "{}", eta(0.25));
    assert!((eta(0.50) - 0.966).abs() < 1e-3, "{}", eta(0.50));
}
