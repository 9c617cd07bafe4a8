//! The single-line diagram (bottom tab) driven through egui_kittest on headless worlds: what the
//! boxes say, where the A and B paths lie, folding, search, "Show in diagram", a 10k-rack site,
//! and the PNG export.

use bevy::prelude::*;
use bevy_egui::egui;
use bevy_egui::egui::accesskit::{Role, Toggled};
use dctwin::app::state::EditorState;
use dctwin::app::status::{SiteStatus, refresh_status};
use dctwin::app::ui::sld::{self, Side, SldLayout, SldView, TwinRoute};
use dctwin::app::ui::{BottomTab, ui_root};
use dctwin::catalog::Catalog;
use dctwin::headless;
use dctwin::site::SiteFile;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};

use crate::support::*;

fn harness_for(site: &SiteFile, steps: u64, tab: BottomTab) -> Harness<'static, App> {
    let mut app = headless::build_app(site, &Catalog::builtin(), dctwin::sim::DEFAULT_STEP);
    headless::advance(&mut app, steps);
    refresh_status(app.world_mut());
    app.world_mut().insert_resource(tab);
    Harness::builder()
        .with_size(egui::vec2(1600.0, 900.0))
        .build_ui_state(|ui, app: &mut App| ui_root(ui, app.world_mut()), app)
}

fn harness(site: &str, steps: u64) -> Harness<'static, App> {
    harness_for(&load(&root().join("sites").join(site)), steps, BottomTab::SingleLine)
}

/// What a box says (its accessible value), when it is painted.
fn node_value(h: &Harness<'_, App>, key: &str) -> Option<String> {
    h.query_by_label(&format!("node {key}")).map(|n| n.value().unwrap_or_default())
}

fn highlighted(h: &Harness<'_, App>, key: &str) -> bool {
    h.query_by_label(&format!("node {key}")).is_some_and(|n| n.accesskit_node().toggled() == Some(Toggled::True))
}

fn placed(h: &mut Harness<'_, App>) -> SldLayout {
    sld::placed_layout(h.state_mut().world_mut())
}

fn loading(h: &Harness<'_, App>, id: &str) -> f64 {
    h.state().world().resource::<SiteStatus>().by_id[id].loading_pct.unwrap()
}

/// Each box carries its id, its rating from the resolved catalog model (kVA for feeds,
/// transformers and UPSes, A for distribution) and the loading the status table (and so the
/// plan's colour) has; an element out of service and one left dead say so.
#[test]
fn boxes_carry_rating_and_loading_from_the_status_table() {
    let mut h = harness("small_2n_room.ron", 2);
    h.run();
    for (id, rating) in [("UTIL-A", "10 MVA"), ("T-A", "1000 kVA"), ("UPS-A", "1000 kVA"), ("PDU-A1", "400 A")] {
        let pct = loading(&h, id);
        assert!(pct > 1.0, "{id} carries load ({pct} %)");
        assert_eq!(node_value(&h, id).as_deref(), Some(format!("{id} {rating} · {pct:.0} %").as_str()));
    }
    // The status table's figure is the plan's and the headroom's: loading includes the feeder.
    let status = h.state().world().resource::<SiteStatus>().by_id["PDU-A1"].clone();
    assert!(status.headroom_pct.is_some());
    // The group is below the panel's fold: its text is what its box would say.
    let tree = placed(&mut h);
    let group = util_index(&tree, "PDU-A1 racks");
    let value = sld::node_text(&tree, group, h.state().world().get_resource::<SiteStatus>());
    assert!(value.starts_with("10 racks (A+B) · "), "{value}");
    let kw: f64 =
        (1..=10).map(|r| h.state().world().resource::<SiteStatus>().by_id[&format!("R{r}")].p_kw.unwrap()).sum();
    assert!(value.ends_with(&format!("{kw:.0} kW")), "{value} vs {kw:.0} kW");

    // T-B out of service: it says so, and MCC-B (fed from T-B without a UPS) is dead.
    let world = h.state_mut().world_mut();
    let e = dctwin::edit::ops::set_in_service(world, "T-B", false).unwrap();
    dctwin::edit::apply(world, e).unwrap();
    headless::advance(h.state_mut(), 2);
    refresh_status(h.state_mut().world_mut());
    h.run();
    assert_eq!(node_value(&h, "T-B").as_deref(), Some("T-B 1000 kVA · out of service"));
    let mcc = h.state().world().resource::<SiteStatus>().by_id["MCC-B"].clone();
    assert!(!mcc.live, "MCC-B has no UPS behind it");
    assert_eq!(node_value(&h, "MCC-B").as_deref(), Some("MCC-B 400 A · dead"));
}

/// On a 2N room the A chain and the B chain lie on two bands side by side, the B side mirrored
/// so that each dual-corded rack group faces its twin; a shared transformer (the pod) parts into
/// A and B bands below it.
#[test]
fn a_and_b_paths_lie_side_by_side() {
    let mut h = harness("small_2n_room.ron", 1);
    let tree = placed(&mut h);
    assert!(tree.two_sided);
    let at = |id: &str| {
        let i = tree.nodes.iter().position(|n| n.key == id).unwrap_or_else(|| panic!("{id} in the tree"));
        (i, tree.placed.at[i].unwrap_or_else(|| panic!("{id} visible")))
    };
    let side_span = |s: Side| {
        let xs: Vec<(f32, f32)> = (0..tree.nodes.len())
            .filter(|&i| tree.nodes[i].side == Some(s))
            .filter_map(|i| tree.placed.at[i])
            .map(|b| (b.x, b.right()))
            .collect();
        assert!(xs.len() >= 10, "{s:?} side has its chain and racks ({})", xs.len());
        (xs.iter().map(|x| x.0).fold(f32::MAX, f32::min), xs.iter().map(|x| x.1).fold(f32::MIN, f32::max))
    };
    let (a0, a1) = side_span(Side::A);
    let (b0, b1) = side_span(Side::B);
    assert!(a1 < b0, "A side ({a0}..{a1}) left of the B side ({b0}..{b1})");
    assert!(b0 - a1 < 80.0, "and next to it ({} px apart)", b0 - a1);
    // One band per side, as wide as its side.
    let bands: Vec<_> = tree.placed.bands.iter().map(|b| (b.side, b.bounds.x, b.bounds.right())).collect();
    assert_eq!(bands.len(), 2, "{bands:?}");
    assert!(bands[0].0 == Side::A && bands[0].1 <= a0 && bands[0].2 >= a1);
    assert!(bands[1].0 == Side::B && bands[1].1 <= b0 && bands[1].2 >= b1 && bands[0].2 <= bands[1].1);
    // Every level of the chain: A and B at the same height, A on the left.
    for (a, b) in [("UTIL-A", "UTIL-B"), ("T-A", "T-B"), ("UPS-A", "UPS-B"), ("PDU-A3", "PDU-B3")] {
        let ((_, pa), (_, pb)) = (at(a), at(b));
        assert_eq!(pa.y, pb.y, "{a} and {b} on one level");
        assert!(pa.right() < pb.x, "{a} left of {b}");
    }
    // Mirrored: the UPSes (and their rack groups) meet at the centre line, the MCCs outside.
    assert!(at("MCC-A").1.x < at("UPS-A").1.x && at("UPS-B").1.x < at("MCC-B").1.x);
    // Each rack group is linked to its twin, at the same height.
    let (ga, pa) = at("PDU-A2 racks");
    let (gb, pb) = at("PDU-B2 racks");
    assert_eq!(tree.nodes[ga].twins, vec![gb]);
    let link = tree.placed.twins.iter().find(|l| (l.a, l.b) == (ga, gb)).expect("PDU-A2's racks linked to PDU-B2's");
    assert_eq!(link.route, TwinRoute::Straight, "straight across the centre line");
    assert_eq!(pa.y, pb.y);
    assert_eq!(tree.nodes[ga].group_title(), "10 racks (A+B)");

    // The pod: one transformer feeds both sides; below it, the A PDUs, then the B PDUs.
    let mut h = harness("gb200_pod.ron", 1);
    let pod = placed(&mut h);
    let x = |id: &str| pod.placed.at[pod.nodes.iter().position(|n| n.key == id).unwrap()].unwrap().x;
    assert_eq!(pod.nodes.iter().find(|n| n.id == "T1").unwrap().side, None, "T1 feeds both");
    assert!(x("PDU-A1") < x("PDU-A3") && x("PDU-A3") < x("PDU-B3") && x("PDU-B3") < x("PDU-B1"));
    let sides: Vec<Side> = pod.placed.bands.iter().map(|b| b.side).collect();
    assert_eq!(sides, vec![Side::A, Side::B]);
    // Twins nest: PDU-A3's racks face PDU-B3's, the outer pairs are linked below the boxes.
    let routes: Vec<(String, TwinRoute)> =
        pod.placed.twins.iter().map(|l| (pod.nodes[l.a].key.clone(), l.route)).collect();
    let mut routes = routes;
    routes.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        routes,
        vec![
            ("PDU-A1 racks".to_string(), TwinRoute::Below),
            ("PDU-A2 racks".to_string(), TwinRoute::Below),
            ("PDU-A3 racks".to_string(), TwinRoute::Straight)
        ]
    );
}

/// A triangle folds a node: its subtree goes and the box says what it holds; the fold outlives
/// an edit (a re-layout); the triangle unfolds it again.
#[test]
fn folding_hides_the_subtree_and_counts_it() {
    let mut h = harness("small_2n_room.ron", 1);
    h.run();
    assert!(node_value(&h, "PDU-A1").is_some());
    h.get_by_label("fold UPS-A").click();
    h.run();
    assert!(node_value(&h, "PDU-A1").is_none(), "PDU-A1 hidden");
    assert!(node_value(&h, "PDU-A1 racks").is_none());
    let value = node_value(&h, "UPS-A").unwrap();
    assert!(value.starts_with("▸ UPS-A 1000 kVA · ") && value.ends_with("(+4 elements, 40 racks)"), "{value}");
    assert!(node_value(&h, "PDU-B1").is_some(), "the B side stays open");
    // An edit re-lays the tree out: the fold stays.
    let world = h.state_mut().world_mut();
    let e = dctwin::edit::ops::set_utilization(world, "R3", 0.5).unwrap();
    dctwin::edit::apply(world, e).unwrap();
    h.run();
    assert!(node_value(&h, "PDU-A1").is_none(), "still folded after the edit");
    h.get_by_label("unfold UPS-A").click();
    h.run();
    assert!(node_value(&h, "PDU-A1").is_some());
    assert!(node_value(&h, "UPS-A").unwrap().ends_with(" %"), "no count once open");
}

/// Typing in the diagram's search box unfolds what hides the first match, highlights every match
/// and scrolls to the first; Enter selects it on the plan.
#[test]
fn search_unfolds_highlights_and_selects() {
    let site = dctwin::generator::generate_site(2_000);
    let mut h = harness_for(&site, 1, BottomTab::SingleLine);
    h.run();
    let tree = placed(&mut h);
    let pdu = tree.nodes.iter().position(|n| n.id == "PDU-B40-3" && !n.is_group()).expect("PDU-B40-3");
    assert!(tree.placed.at[pdu].is_none(), "hidden by default folding");
    assert!(tree.ancestors(pdu).iter().any(|&a| tree.placed.folded[a]));
    h.get_by_role_and_label(Role::TextInput, "Find:").focus();
    h.run();
    h.get_by_role_and_label(Role::TextInput, "Find:").type_text("pdu-b40-3");
    h.run();
    assert!(highlighted(&h, "PDU-B40-3"), "unfolded, scrolled into view and highlighted");
    let view = h.state().world().resource::<SldView>().clone();
    assert_eq!(view.matches, vec!["PDU-B40-3".to_string()]);
    h.key_press(egui::Key::Enter);
    h.run();
    let editor = h.state().world().resource::<EditorState>().clone();
    assert_eq!(editor.selection, vec!["PDU-B40-3".to_string()]);
    assert_eq!(editor.center_on.as_deref(), Some("PDU-B40-3"));
    // A rack id finds both of its groups.
    let rack = site.racks[700].id.clone();
    h.get_by_role_and_label(Role::TextInput, "Find:").focus();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.run();
    h.get_by_role_and_label(Role::TextInput, "Find:").type_text(&rack);
    h.run();
    let view = h.state().world().resource::<SldView>().clone();
    let r = &site.racks[700];
    let groups = vec![format!("{} racks", r.feed_a), format!("{} racks", r.feed_b.clone().unwrap())];
    assert_eq!(view.matches, groups, "{rack}: its A and its B group");
    assert!(highlighted(&h, &groups[0]), "the first is scrolled to");
}

/// "Show in diagram" in the inspector switches the bottom panel to the diagram, unfolds what
/// hides the element and highlights it; a rack shows both its groups. Clicking a box selects
/// it on the plan ("and back").
#[test]
fn show_in_diagram_from_the_inspector() {
    let mut h = harness_for(&load(&root().join("sites/small_2n_room.ron")), 1, BottomTab::Charts);
    h.run();
    h.state_mut().world_mut().get_resource_or_insert_with(SldView::default).set_folded("UPS-A", true);
    h.state_mut().world_mut().resource_mut::<EditorState>().select_only("PDU-A3");
    h.run();
    h.get_by_label("Show in diagram").click();
    h.run();
    assert_eq!(*h.state().world().resource::<BottomTab>(), BottomTab::SingleLine);
    assert!(highlighted(&h, "PDU-A3"), "UPS-A unfolded to show it");
    assert!(!highlighted(&h, "PDU-A2"));

    h.state_mut().world_mut().resource_mut::<EditorState>().select_only("R12");
    h.run();
    h.get_by_label("Show in diagram").click();
    h.run();
    assert!(highlighted(&h, "PDU-A2 racks") && highlighted(&h, "PDU-B2 racks"), "both groups of R12");
    assert!(!highlighted(&h, "PDU-A3"));

    h.get_by_label("node PDU-B2 racks").click();
    h.run();
    let editor = h.state().world().resource::<EditorState>().clone();
    let racks: Vec<String> = (11..=20).map(|r| format!("R{r}")).collect();
    assert_eq!(editor.selection, racks, "the group's racks selected on the plan");
    assert_eq!(editor.center_on.as_deref(), Some("R11"));
}

/// A generated 10k-rack hall: the tree lays out, opens folded on its grid feeds (each saying
/// what it holds), and the panel paints only the boxes in view.
#[test]
fn a_10k_rack_site_opens_folded_and_paints_what_is_in_view() {
    let site = dctwin::generator::generate_site(10_000);
    let mut h = harness_for(&site, 1, BottomTab::SingleLine);
    let started = std::time::Instant::now();
    let tree = dctwin::app::ui::sld::layout(h.state_mut().world_mut());
    let built = started.elapsed();
    let racks: usize = tree.nodes.iter().filter(|n| n.is_group()).map(|n| n.racks.len()).sum();
    assert_eq!(racks, 20_000, "every rack in its A group and its B group");
    let tree = placed(&mut h);
    let visible = tree.placed.by_x.len();
    eprintln!("10k racks: {} nodes, layout {built:?} (debug build), {visible} visible by default", tree.nodes.len());
    assert!(visible <= dctwin::app::ui::sld::DEFAULT_VISIBLE, "{visible} boxes by default");
    let roots = tree.roots.len();
    assert!(visible >= roots && roots >= 50, "{roots} feeds shown");
    let racks_under = tree.nodes[util_index(&tree, "UTIL-A1")].below_racks;
    h.run();
    let value = node_value(&h, "UTIL-A1").expect("UTIL-A1 in view");
    assert!(value.starts_with("▸ UTIL-A1 25 MVA · ") && value.ends_with(&format!("{racks_under} racks)")), "{value}");
    assert_eq!(racks_under, 8 * 35, "a feed holds 8 blocks of 35 racks");
    let painted = h.state().world().resource::<SldView>().painted;
    assert!(painted > 0 && painted <= 80, "{painted} boxes painted");
    // The A feeds, then the B feeds mirrored: UTIL-B1 at the far right.
    let x = |id: &str| tree.placed.at[util_index(&tree, id)].unwrap().x;
    assert!(x("UTIL-A36") < x("UTIL-B36") && x("UTIL-B36") < x("UTIL-B1"));
}

fn util_index(tree: &SldLayout, id: &str) -> usize {
    tree.nodes.iter().position(|n| n.key == id).unwrap()
}

/// The PNG export: a valid PNG of the diagram as placed, its boxes in the app's loading
/// colours, byte-identical from one run to the next, written atomically; and from the panel's
/// button, to the path typed, reported in the status line.
#[test]
fn the_diagram_exports_to_a_deterministic_png() {
    let mut h = harness("small_2n_room.ron", 2);
    h.run();
    let tree = placed(&mut h);
    let status = std::mem::take(&mut *h.state_mut().world_mut().resource_mut::<SiteStatus>());
    let dir = fresh_dir("dctwin-sld-png");
    let (first, second) = (dir.join("first.png"), dir.join("second.png"));
    sld::png::sld_png(&tree, &status, &first).unwrap();
    sld::png::sld_png(&tree, &status, &second).unwrap();
    assert_eq!(std::fs::read(&first).unwrap(), std::fs::read(&second).unwrap(), "same bytes twice");
    let names: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(names.len(), 2, "no temporary file left: {names:?}");
    let (rgb, w, hgt) = read_rgb(&first);
    assert_eq!((w, hgt), (tree.placed.size.0.ceil() as usize, tree.placed.size.1.ceil() as usize));
    let pixel = |x: f32, y: f32| {
        let k = (y as usize * w + x as usize) * 3;
        [rgb[k], rgb[k + 1], rgb[k + 2]]
    };
    let byte = |v: f32| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
    for id in ["T-A", "UPS-B", "PDU-A1"] {
        let b = tree.placed.at[util_index(&tree, id)].unwrap();
        let c = dctwin::app::colors::load_color(status.by_id[id].loading_pct.unwrap() / 100.0);
        assert_eq!(pixel(b.x + 3.0, b.cy()), [byte(c[0]), byte(c[1]), byte(c[2])], "{id}'s box in its loading colour");
    }
    assert_eq!(pixel(1.0, 1.0), [255, 255, 255], "white paper");
    let group = tree.placed.at[util_index(&tree, "PDU-B4 racks")].unwrap();
    assert_ne!(pixel(group.x + 3.0, group.cy()), [255, 255, 255], "rack groups drawn");

    // From the panel: the button opens a path field; Write writes it and says so.
    *h.state_mut().world_mut().resource_mut::<SiteStatus>() = status;
    h.get_by_label("Export diagram PNG…").click();
    h.run();
    let target = dir.join("from-panel.png");
    h.get_by_role_and_label(Role::TextInput, "PNG file:").focus();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.run();
    h.get_by_role_and_label(Role::TextInput, "PNG file:").type_text(&target.display().to_string());
    h.run();
    h.get_by_label("Write").click();
    h.run();
    assert_eq!(std::fs::read(&target).unwrap(), std::fs::read(&first).unwrap(), "the same picture");
    let message = h.state().world().resource::<EditorState>().message.clone().unwrap();
    assert_eq!(message, (format!("Wrote the single-line diagram to {}", target.display()), false));
    assert!(h.query_by_label("PNG file:").is_none(), "the row closes");
}
