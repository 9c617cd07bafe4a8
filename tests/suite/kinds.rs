//! The table of kinds and what is generated from it: every kind is complete (a catalog model
//! for the kinds that take one, a footprint, connection fields the file really has), every
//! section survives a save, load and world round trip, and validating only what an edit can
//! affect finds exactly what validating the whole site finds.

use std::collections::BTreeSet;

use dctwin::catalog::Catalog;
use dctwin::kinds::{EquipmentKind, Role};
use dctwin::site::SiteFile;
use dctwin::site::element::SiteElement;
use dctwin::site::spec::Target;
use dctwin::site::validate::{validate, validate_change};
use proptest::prelude::*;

use crate::support::*;

fn every_kind_site() -> SiteFile {
    site_with_every_kind()
}

#[test]
fn every_modelled_kind_has_catalog_models_and_a_footprint() {
    let catalog = Catalog::builtin();
    for &k in EquipmentKind::ALL {
        let names = catalog.model_names(k);
        assert_eq!(names.is_empty(), !k.has_model(), "{}: catalog models {names:?}", k.noun());
        let (w, d, source) = k.footprint();
        assert!(w > 0.0 && d > 0.0 && !source.is_empty(), "{}", k.noun());
        assert!(!k.id_prefix().is_empty() && !k.label().is_empty());
    }
}

#[test]
fn connection_fields_are_fields_of_the_file() {
    // Each declared connection field is what the element writes under that name, and what the
    // file's links give back: a table entry that names a field the spec lacks fails here.
    let site = every_kind_site();
    for element in SiteElement::all_of(&site) {
        let fields: BTreeSet<&str> = element.kind().link_fields().iter().map(|l| l.name).collect();
        for (field, _) in element.links() {
            assert!(fields.contains(field), "{}: link {field} not declared", element.id());
        }
        for l in element.kind().link_fields() {
            if let Target::Feed = l.target {
                assert!(!element.kind().parents().is_empty(), "{} has feed `{}` but no parents", element.id(), l.name);
            }
        }
    }
    // Kinds that take power have a feed field; feeds and grid feeds do not.
    for &k in EquipmentKind::ALL {
        let has_feed = k.link_fields().iter().any(|l| l.target == Target::Feed);
        assert_eq!(has_feed, !k.parents().is_empty(), "{}", k.noun());
    }
}

#[test]
fn every_section_survives_save_load_and_the_world() {
    let catalog = Catalog::builtin();
    let site = every_kind_site();
    let text = site.to_ron_string();
    let reloaded = dctwin::site::load::parse_site(&text, "round trip", &catalog).unwrap();
    for &k in EquipmentKind::ALL {
        assert_eq!(reloaded.count(k), site.count(k), "{} after save and load", k.noun());
    }
    let mut app = dctwin::headless::build_app(&site, &catalog, dctwin::sim::DEFAULT_STEP);
    let back = dctwin::sim::world::world_to_site(app.world_mut());
    for &k in EquipmentKind::ALL {
        assert_eq!(back.count(k), site.count(k), "{} after the world", k.noun());
    }
    assert_eq!(back.to_ron_string(), site.to_ron_string());
}

#[test]
fn electrical_only_study_runs_a_cooled_site_without_the_thermal_model() {
    use bevy::prelude::*;
    let catalog = Catalog::builtin();
    let site = every_kind_site();
    let mut app = App::new();
    app.add_plugins(MinimalPlugins)
        .add_plugins(dctwin::sim::SimPlugins::default().build().disable::<dctwin::sim::thermal::ThermalPlugin>());
    dctwin::sim::world::spawn_site(app.world_mut(), &site, &catalog);
    for _ in 0..3 {
        app.world_mut().run_schedule(bevy::app::FixedUpdate);
    }
    let totals = app.world().resource::<dctwin::sim::electrical::SiteTotals>().clone();
    assert!(app.world().get_resource::<dctwin::sim::thermal::CoolingPlant>().is_none());
    assert!(totals.converged && totals.it_load_kw > 0.0);
    assert_eq!(totals.cooling_kw, 0.0, "no thermal model, no cooling loads");
    // Without cooling loads the grid carries exactly IT plus losses.
    let supplied = totals.it_load_kw + totals.losses_kw();
    assert!((totals.grid_import_kw - supplied).abs() < 1e-6 * supplied, "{totals:?}");
}

/// One random change to one element of a valid site, as the editor could make it (or worse):
/// the edit's `before` and `after`.
fn random_edit(
    site: &SiteFile,
    pick: usize,
    what: u8,
    other: usize,
    value: f64,
) -> (Vec<SiteElement>, Vec<SiteElement>) {
    let all = SiteElement::all_of(site);
    let e = all[pick % all.len()].clone();
    let o = all[other % all.len()].clone();
    let catalog = Catalog::builtin();
    let mut changed = e.clone();
    match what % 8 {
        0 => return (vec![e], vec![]),
        1 => {
            // Point a connection at another element, of any kind.
            if let Some(l) = e.kind().link_fields().first() {
                let _ = changed.set_link(l.name, Some(o.id().to_string()));
            }
        }
        2 => changed.set_id(o.id().to_string()),
        3 => changed.set_id(format!("{} x", e.id())),
        4 => {
            let numbers = e.rating_numbers(&catalog);
            if let Some(n) = numbers.get(other % numbers.len().max(1)) {
                changed = e.with_rating_number(&catalog, n.name, n.index.unwrap_or(0), value).unwrap_or(changed);
            }
        }
        5 => changed.set_position_m((value, -value)),
        6 => {
            // A copy of the element under a new id (a place), or under the id of another.
            let mut copy = e.clone();
            copy.set_id(if value > 0.0 { format!("{}-copy", e.id()) } else { o.id().to_string() });
            return (vec![], vec![copy]);
        }
        _ => {
            if let Some(l) = e.kind().link_fields().iter().find(|l| l.optional()) {
                let _ = changed.set_link(l.name, None);
            }
            let _ = changed.set_in_service(value > 0.0);
        }
    }
    (vec![e], vec![changed])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// Validating only what an edit can affect finds exactly what validating the whole site
    /// finds, on random edits of sites with every kind.
    #[test]
    fn change_scoped_validation_equals_whole_site_validation(
        site_index in 0usize..4,
        pick in any::<usize>(),
        what in any::<u8>(),
        other in any::<usize>(),
        value in prop_oneof![Just(0.0), Just(-1.0), Just(f64::NAN), Just(1e9), -1e3f64..1e4],
    ) {
        let names = ["small_2n_room.ron", "gb200_pod.ron", "overloaded_room.ron", "ai_hall_20mw.ron"];
        let site = load(&root().join("sites").join(names[site_index]));
        let catalog = Catalog::builtin();
        let (before, after) = random_edit(&site, pick, what, other, value);
        let mut next = site.clone();
        for b in &before {
            SiteElement::remove_from(&mut next, b.kind(), b.id());
        }
        for a in &after {
            a.clone().insert_into(&mut next);
        }
        let next = next.canonical();
        let changed: BTreeSet<String> = before.iter().chain(&after).map(|e| e.id().to_string()).collect();
        let whole = validate(&next, "", "site", &catalog).err().map(|p| p.0).unwrap_or_default();
        let scoped = validate_change(&next, &changed, site.has_cooling(), &catalog).err().map(|p| p.0).unwrap_or_default();
        prop_assert_eq!(scoped, whole);
    }
}

#[test]
fn the_table_groups_match_what_the_kinds_do() {
    for &k in EquipmentKind::ALL {
        match k.role() {
            Role::Node => assert!(k.has_model() && k.is_electrical()),
            Role::Load => assert!(k.has_model() && k.is_electrical() && !k.parents().is_empty()),
            Role::Space => assert!(!k.has_model() && k.is_cooling() && k.is_marker()),
            Role::Unit => assert!(k.has_model() && k.is_cooling() && !k.parents().is_empty()),
        }
    }
}

/// A change two levels above the racks (a UPS moved under the other side's PDU) makes racks it
/// does not name single-path: the change-scoped check follows everything fed from below.
#[test]
fn change_scoped_validation_follows_the_tree_down() {
    let catalog = Catalog::builtin();
    let site = load(&root().join("sites/small_2n_room.ron"));
    let ups_b = SiteElement::all_of(&site).into_iter().find(|e| e.id() == "UPS-B").unwrap();
    let mut moved = ups_b.clone();
    moved.set_link("upstream", Some("PDU-A1".into())).unwrap();
    let mut next = site.clone();
    SiteElement::remove_from(&mut next, EquipmentKind::Ups, "UPS-B");
    moved.insert_into(&mut next);
    let next = next.canonical();
    let whole = validate(&next, "", "site", &catalog).unwrap_err().0;
    assert!(whole.iter().any(|p| p.message.contains("fed twice from the same path")), "{whole:?}");
    let changed = BTreeSet::from(["UPS-B".to_string()]);
    let scoped = validate_change(&next, &changed, site.has_cooling(), &catalog).unwrap_err().0;
    assert_eq!(scoped, whole);
}

#[test]
fn every_modelled_kind_can_be_placed_from_the_palette() {
    let catalog = Catalog::builtin();
    let site = load(&root().join("sites/overloaded_room.ron"));
    let mut app = dctwin::headless::build_app(&site, &catalog, dctwin::sim::DEFAULT_STEP);
    for (i, &k) in EquipmentKind::ALL.iter().filter(|k| k.has_model()).enumerate() {
        let model = catalog.model_names(k).remove(0);
        let at = (500.0 + 20.0 * i as f64, 500.0);
        let edit = dctwin::edit::ops::place(app.world_mut(), k, &model, at, 0.5)
            .unwrap_or_else(|e| panic!("{}: {e}", k.noun()));
        dctwin::edit::apply(app.world_mut(), edit).unwrap_or_else(|e| panic!("{}: {e}", k.noun()));
    }
}
