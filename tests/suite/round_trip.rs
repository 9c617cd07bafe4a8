//! Saving: load → save → load is identical, the world writes back the file it came from,
//! one-rack edits are one-line diffs, and headless runs are byte-identical.

use dctwin::catalog::Catalog;
use dctwin::headless::{self, RunOptions};
use dctwin::sim::components::*;
use dctwin::sim::world::{spawn_site, world_to_site};
use dctwin::site::load::parse_site;

use crate::support::*;

#[test]
fn load_save_load_is_identical() {
    let catalog = Catalog::builtin();
    for path in example_sites() {
        let text = std::fs::read_to_string(&path).unwrap();
        let site = load(&path);
        let saved = site.to_ron_string();
        let again = parse_site(&saved, "saved.ron", &catalog).unwrap();
        assert_eq!(again, site.canonical(), "{}", path.display());
        assert_eq!(again.to_ron_string(), saved, "{}: saving is stable", path.display());
        // The example files are kept in canonical form, so saving them changes nothing.
        let first_difference = saved.lines().zip(text.lines()).position(|(a, b)| a != b);
        assert!(
            saved == text,
            "{}: example file is not canonical (run `dctwin fmt`); first difference on line {:?}",
            path.display(),
            first_difference.map(|l| l + 1)
        );
    }
}

/// Cooling sections survive load → save → load and the world, with nothing dropped.
#[test]
fn cooling_sections_round_trip() {
    let catalog = Catalog::builtin();
    let site = load(&root().join("tests/fixtures/cooled_room.ron"));
    assert_eq!((site.zones.len(), site.water_loops.len(), site.crahs.len()), (1, 2, 2));
    assert_eq!((site.cdus.len(), site.chillers.len(), site.heat_rejection.len()), (1, 1, 2));
    let saved = site.to_ron_string();
    assert_eq!(parse_site(&saved, "saved.ron", &catalog).unwrap(), site.canonical());
    let mut world = bevy::prelude::World::new();
    spawn_site(&mut world, &site, &catalog);
    assert_eq!(world_to_site(&mut world).to_ron_string(), saved);
    let ambient = site.ambient.unwrap();
    assert_eq!(ambient.at(0.0), (20.0, 15.0));
    assert_eq!(ambient.at(1800.0), (25.0, 17.5), "linear between hours");
    assert_eq!(ambient.at(2.0 * 3600.0), (20.0, 15.0), "the profile repeats");
}

#[test]
fn world_round_trip_reproduces_the_site() {
    for path in example_sites() {
        let site = load(&path);
        let mut world = bevy::prelude::World::new();
        spawn_site(&mut world, &site, &Catalog::builtin());
        assert_eq!(world_to_site(&mut world), site.canonical(), "{}", path.display());
    }
}

#[test]
fn overrides_survive_the_world() {
    let site = parse(
        r#"(version: 1, name: "o",
            grid_feeds: [(id: "U", model: "utility-13.8kv-10mva", overrides: (capacity_mva: 7.5), position_m: (0.0, 0.0), rotation_deg: 90.0)],
            transformers: [(id: "T", model: "xfmr-1000kva-13.8kv-415v", upstream: "U", overrides: (impedance_pct: 6.0), position_m: (1.0, 0.0), in_service: false)],
            ups: [(id: "UPS", model: "ups-500kw", upstream: "T", mode: Eco, position_m: (2.0, 0.0))],
            distribution: [(id: "P", model: "pdu-415v-400a", upstream: "UPS", feeder: (cable: "cu-xlpe-4c-240mm2-lv", length_m: 12.5, sets: 2), position_m: (3.0, 0.0))],
            racks: [(id: "R", model: "gb200-nvl72", feed_a: "P", utilization: 0.75, overrides: (power_factor: 0.97), position_m: (4.0, 0.5))])"#,
    );
    let mut world = bevy::prelude::World::new();
    spawn_site(&mut world, &site, &Catalog::builtin());
    let back = world_to_site(&mut world);
    assert_eq!(back, site);
    assert_eq!(back.grid_feeds[0].overrides.capacity_mva, Some(7.5));
    assert!(!back.transformers[0].in_service);
}

#[test]
fn one_rack_edit_is_a_one_line_diff() {
    let site = load(&root().join("sites/small_2n_room.ron"));
    let mut app = app_after(&site, 1);
    let before = world_to_site(app.world_mut()).to_ron_string();
    let r = entity(&mut app, "R7");
    app.world_mut().get_mut::<Utilization>(r).unwrap().0 = 0.5;
    let after = world_to_site(app.world_mut()).to_ron_string();
    let changed: Vec<(&str, &str)> = before.lines().zip(after.lines()).filter(|(a, b)| a != b).collect();
    assert_eq!(before.lines().count(), after.lines().count());
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert!(changed[0].1.contains("id: \"R7\"") && changed[0].1.contains("utilization: 0.5"));
}

#[test]
fn atomic_save_replaces_the_file() {
    let dir = std::env::temp_dir().join(format!("dctwin-save-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("site.ron");
    std::fs::write(&path, "old contents").unwrap();
    let site = load(&root().join("sites/overloaded_room.ron"));
    site.save(&path).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), site.to_ron_string());
    let leftovers: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers.len(), 1, "no temporary file is left behind: {leftovers:?}");
    // Saving into a directory that does not exist fails without touching anything.
    assert!(site.save(&dir.join("missing/site.ron")).is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn headless_reports_are_byte_identical() {
    let catalog = Catalog::builtin();
    let options = RunOptions { duration: std::time::Duration::from_secs(600), step: std::time::Duration::from_secs(1) };
    for path in example_sites() {
        let site = load(&path);
        let a = headless::run(&site, &catalog, &options, "x.ron");
        let b = headless::run(&site, &catalog, &options, "x.ron");
        assert_eq!(a.to_json(), b.to_json(), "{}", path.display());
        assert_eq!(a.to_markdown(0), b.to_markdown(0));
        assert_eq!(a.run.steps, 600);
        assert_eq!(a.run.duration_s, 600.0);
    }
}

#[test]
fn step_length_sets_the_step_count_and_energy() {
    let site = load(&root().join("sites/small_2n_room.ron"));
    let catalog = Catalog::builtin();
    let options =
        RunOptions { duration: std::time::Duration::from_secs(3600), step: std::time::Duration::from_secs(10) };
    let r = headless::run(&site, &catalog, &options, "x.ron");
    assert_eq!(r.run.steps, 360);
    // Constant IT load for one hour: energy in kWh equals power in kW. (Import varies with the
    // ambient profile through the cooling plant; it is bounded by its peak.)
    assert_rel(r.energy.it_kwh, r.totals.electrical.as_ref().unwrap().it_load_kw, 1e-9, "IT energy over 1 h");
    assert!(r.energy.grid_import_kwh > r.energy.it_kwh && r.energy.grid_import_kwh <= r.energy.peak_grid_import_kw);
}

/// Generated sites (with and without cooling) are valid site files and round-trip.
#[test]
fn generated_sites_are_valid() {
    let catalog = Catalog::builtin();
    for site in [dctwin::generator::generate_site(100), dctwin::generator::generate_power_only(100)] {
        let text = site.to_ron_string();
        let back = parse_site(&text, "generated.ron", &catalog).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, site);
        assert_eq!(back.racks.len(), 100);
    }
}
