//! Room geometry in the site file: rooms with walls and aisles, zone outlines, what is checked
//! (at the file's line and column) and what is flagged (racks outside every room, or standing
//! in another zone's area), saving, composing, and the examples' layouts.

use crate::support::{example_sites, fresh_dir, load, root};
use dctwin::catalog::Catalog;
use dctwin::site::load::{load_site, load_site_with_warnings};
use dctwin::site::room::{AisleAir, polygon_contains};

/// Problems of `text` written as a site file, as `file:line:col: message`.
fn problems_of(dir: &std::path::Path, text: &str) -> Vec<String> {
    let path = dir.join("site.ron");
    std::fs::write(&path, text).unwrap();
    match load_site(&path, &Catalog::builtin()) {
        Ok(_) => vec![],
        Err(e) => e.0.iter().map(|p| format!("{}:{}:{}: {}", p.file, p.line, p.col, p.message)).collect(),
    }
}

/// 1-based line and column of the first `needle` in `text`.
fn at(text: &str, needle: &str) -> (usize, usize) {
    let i = text.find(needle).unwrap_or_else(|| panic!("{needle} not in the text"));
    let line = text[..i].matches('\n').count() + 1;
    let col = i - text[..i].rfind('\n').map_or(0, |n| n + 1) + 1;
    (line, col)
}

#[test]
fn the_examples_are_laid_out_in_rooms_with_real_aisles() {
    let catalog = Catalog::builtin();
    for path in example_sites().into_iter().chain([root().join("sites/campus/ai_campus.ron")]) {
        let (site, warnings) = load_site_with_warnings(&path, &catalog).unwrap();
        assert!(warnings.is_empty(), "{}: {warnings:?}", path.display());
        for room in &site.rooms {
            for a in &room.aisles {
                // 1.2 m cold aisles; hot aisles 0.9–1.2 m.
                let w = a.width_m();
                match a.air {
                    AisleAir::Cold => {
                        assert!((w - 1.2).abs() < 1e-9, "{}: {} cold aisle {w} m", path.display(), room.id)
                    }
                    AisleAir::Hot => {
                        assert!((0.9 - 1e-9..=1.2 + 1e-9).contains(&w), "{}: hot aisle {w} m", path.display())
                    }
                }
            }
        }
    }
    // The AI hall: 10 rows of 15 GB200 racks, each row's CDU at its end, all in the hall.
    let hall = load(&root().join("sites/ai_hall_20mw.ron"));
    let room = hall.rooms.iter().find(|r| r.id == "DATA-HALL").expect("a DATA-HALL room");
    assert_eq!(room.aisles.len(), 9);
    let mut rows: std::collections::BTreeMap<i64, Vec<f64>> = Default::default();
    for r in &hall.racks {
        assert!(polygon_contains(&room.walls_m, r.position_m), "{} is in the hall", r.id);
        rows.entry((r.position_m.1 * 100.0).round() as i64).or_default().push(r.position_m.0);
    }
    assert_eq!(rows.len(), 10);
    let ys: Vec<f64> = rows.keys().map(|y| *y as f64 / 100.0).collect();
    for w in ys.windows(2) {
        // 1.2 m deep racks and a 1.2 m aisle.
        assert!((w[1] - w[0] - 2.4).abs() < 1e-9, "{ys:?}");
    }
    for (y, xs) in &rows {
        assert_eq!(xs.len(), 15);
        // The row's CDU stands at its end, on its line.
        let cdus: Vec<&str> = hall
            .cdus
            .iter()
            .filter(|c| (c.position_m.1 * 100.0).round() as i64 == *y)
            .filter(|c| c.position_m.0 > xs.iter().cloned().fold(f64::MIN, f64::max))
            .map(|c| c.id.as_str())
            .collect();
        assert_eq!(cdus.len(), 1, "row at {y} cm has its CDU at its end: {cdus:?}");
    }
}

#[test]
fn rooms_and_outlines_are_saved_and_composed_files_keep_their_own() {
    let site = load(&root().join("sites/ai_hall_20mw.ron"));
    let text = site.to_ron_string();
    assert!(text.contains("    rooms: [\n        (id: \"DATA-HALL\", walls_m: [(-4.5, -4.0)"), "{}", &text[..600]);
    let again = dctwin::site::load::parse_site(&text, "again.ron", &Catalog::builtin()).unwrap();
    assert_eq!(again.rooms, site.rooms);
    assert_eq!(again.zones, site.zones);
    // A room written in an included file keeps its file: the composed site prefixes its id,
    // saving writes it back there unprefixed, and a problem in it points into that file.
    let dir = fresh_dir("rooms-compose");
    std::fs::create_dir_all(dir.join("halls")).unwrap();
    let hall = r#"(
    version: 1,
    name: "north hall",
    rooms: [
        (id: "ROOM", walls_m: [(0.0, 0.0), (10.0, 0.0), (10.0, 8.0), (0.0, 8.0)], aisles: [(air: Cold, from_m: (1.0, 1.0), to_m: (9.0, 2.2))]),
    ],
)
"#;
    std::fs::write(dir.join("halls/north.ron"), hall).unwrap();
    let top =
        "(\n    version: 1,\n    name: \"campus\",\n    include: [(file: \"halls/north.ron\", prefix: \"N/\")],\n)\n";
    std::fs::write(dir.join("campus.ron"), top).unwrap();
    let c = dctwin::site::compose::Composition::read(&dir.join("campus.ron"), &dctwin::site::compose::read_from_disk)
        .unwrap();
    let merged = c.merged();
    assert_eq!(merged.rooms.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["N/ROOM"]);
    let split = c.split(&merged).unwrap();
    let north = &split.iter().find(|(p, _)| p.ends_with("halls/north.ron")).unwrap().1;
    assert!(north.contains("(id: \"ROOM\", walls_m"), "{north}");
    assert!(!split[0].1.contains("rooms"), "the top file has no room: {}", split[0].1);
    // A room of the top file named with the hall's prefix would move there on save: refused.
    let squatter = top.replace(
        "    include:",
        "    rooms: [(id: \"N/LOBBY\", walls_m: [(0.0, 0.0), (4.0, 0.0), (4.0, 4.0)])],\n    include:",
    );
    std::fs::write(dir.join("campus.ron"), &squatter).unwrap();
    let err = load_site(&dir.join("campus.ron"), &Catalog::builtin()).unwrap_err().to_string();
    assert!(err.contains("campus.ron:4:") && err.contains("id \"N/LOBBY\" starts with the prefix \"N/\""), "{err}");
    std::fs::write(dir.join("campus.ron"), top).unwrap();
    // An aisle too narrow to walk, reported in the hall's file.
    std::fs::write(dir.join("halls/north.ron"), hall.replace("to_m: (9.0, 2.2)", "to_m: (9.0, 1.4)")).unwrap();
    let err = load_site(&dir.join("campus.ron"), &Catalog::builtin()).unwrap_err();
    let p = &err.0[0];
    assert!(p.file.ends_with("halls/north.ron"), "{err}");
    assert!(p.message.contains("cold aisle is 0.40 m wide"), "{err}");
}

#[test]
fn room_problems_point_at_the_file_line_and_column() {
    let dir = fresh_dir("room-problems");
    let base = std::fs::read_to_string(root().join("sites/gb200_pod.ron")).unwrap();
    let file = dir.join("site.ron").display().to_string();
    let walls = "walls_m: [(-3.0, -2.0), (5.0, -2.0), (5.0, 7.6), (-3.0, 7.6)]";
    assert!(base.contains(walls));

    let two = base.replacen(walls, "walls_m: [(-3.0, -2.0), (5.0, -2.0)]", 1);
    let (l, c) = at(&two, "walls_m: [(-3.0, -2.0), (5.0, -2.0)]");
    assert_eq!(
        problems_of(&dir, &two),
        [format!("{file}:{l}:{}: room \"POD-ROOM\"'s walls needs at least three corners, found 2", c + 9)]
    );

    let flat = base.replacen(walls, "walls_m: [(0.0, 0.0), (1.0, 0.0), (2.0, 0.0)]", 1);
    let got = problems_of(&dir, &flat);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].ends_with("room \"POD-ROOM\"'s walls encloses no floor: its corners lie on one line"), "{got:?}");

    let nan = base.replacen("(5.0, 7.6), (-3.0, 7.6)]", "(5.0, 7.6), (-3.0, NaN)]", 1);
    let got = problems_of(&dir, &nan);
    assert!(got.len() == 1 && got[0].contains("a corner must be two finite numbers of metres"), "{got:?}");

    let narrow = base.replacen("to_m: (0.9, 4.2))", "to_m: (0.9, 3.5))", 1);
    let (l, c) = at(&narrow, "to_m: (0.9, 3.5))");
    assert_eq!(
        problems_of(&dir, &narrow),
        [format!(
            "{file}:{l}:{}: the cold aisle is 0.50 m wide; an aisle needs at least 0.6 m (0.9–1.2 m is usual)",
            c + 6
        )]
    );

    let outside = base.replacen("from_m: (-0.3, 3.0), to_m: (0.9, 4.2)", "from_m: (20.0, 3.0), to_m: (21.2, 4.2)", 1);
    let got = problems_of(&dir, &outside);
    assert!(got.len() == 1 && got[0].ends_with("the cold aisle is outside room \"POD-ROOM\"'s walls"), "{got:?}");

    let twice = base.replacen(
        "    ],\n    grid_feeds",
        &format!("        (id: \"POD-ROOM\", {walls}),\n    ],\n    grid_feeds"),
        1,
    );
    let got = problems_of(&dir, &twice);
    assert!(got.len() == 1 && got[0].ends_with("room id \"POD-ROOM\" is used twice"), "{got:?}");
}

#[test]
fn a_rack_outside_every_room_or_in_another_zone_is_flagged_not_refused() {
    let dir = fresh_dir("room-warnings");
    let base = std::fs::read_to_string(root().join("sites/gb200_pod.ron")).unwrap();
    let catalog = Catalog::builtin();
    let warnings_of = |text: &str| -> Vec<String> {
        let path = dir.join("site.ron");
        std::fs::write(&path, text).unwrap();
        let (_, w) = load_site_with_warnings(&path, &catalog).expect("warnings do not refuse the file");
        w.iter().map(|p| format!("{}:{}: {}", p.line, p.col, p.message)).collect()
    };
    assert!(warnings_of(&base).is_empty());
    // GB6 moved out through the east wall (x = 5 m).
    let moved = base.replacen("cdu: \"CDU-1\", position_m: (0.6, 4.8)", "cdu: \"CDU-1\", position_m: (6.6, 4.8)", 1);
    let (l, c) = at(&moved, "position_m: (6.6, 4.8)");
    assert_eq!(
        warnings_of(&moved),
        [format!("{l}:{}: rack \"GB6\" at (6.6, 4.8) m stands outside every room (POD-ROOM)", c + 12)]
    );
    // A second zone drawn over the first row: GB1 and GB2 stand in it but send their heat to POD.
    let zoned = base.replacen(
        "    ],\n    water_loops",
        "        (id: \"ROW1\", volume_m3: 100.0, containment: HotAisle, ashrae_class: A2, position_m: (-2.9, 1.0), outline_m: [(-3.0, -1.0), (2.0, -1.0), (2.0, 1.0), (-3.0, 1.0)]),\n    ],\n    water_loops",
        1,
    );
    // POD's own area now starts above the first row.
    let zoned = zoned.replacen(
        "outline_m: [(-3.0, -2.0), (5.0, -2.0), (5.0, 7.6), (-3.0, 7.6)]",
        "outline_m: [(-3.0, 1.0), (5.0, 1.0), (5.0, 7.6), (-3.0, 7.6)]",
        1,
    );
    let got = warnings_of(&zoned);
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(
        got[0].ends_with(
            "rack \"GB1\" stands in zone \"ROW1\"'s area but its heat goes to zone \"POD\"; move it or change its zone"
        ),
        "{got:?}"
    );
    assert!(got[1].contains("rack \"GB2\""), "{got:?}");
}

/// A generated campus stands as halls in a square grid (it once fitted the window as one thin
/// line), every rack inside its hall and its block's zone.
#[test]
fn a_generated_campus_is_about_as_wide_as_it_is_deep() {
    let site = dctwin::generator::generate_site(10_000);
    let (mut lo, mut hi) = ((f64::MAX, f64::MAX), (f64::MIN, f64::MIN));
    for (_, e) in site.elements() {
        let p = e.position_m();
        lo = (lo.0.min(p.0), lo.1.min(p.1));
        hi = (hi.0.max(p.0), hi.1.max(p.1));
    }
    let aspect = (hi.0 - lo.0) / (hi.1 - lo.1);
    assert!((0.5..=2.0).contains(&aspect), "{:.0} × {:.0} m", hi.0 - lo.0, hi.1 - lo.1);
    assert_eq!(site.rooms.len(), 286_usize.div_ceil(8));
    assert!(dctwin::site::room::placement_warnings(&site).is_empty());
    // Every zone has its block's outline, and each rack stands in its own.
    for r in &site.racks {
        let zone = site.zones.iter().find(|z| Some(&z.id) == r.zone.as_ref()).unwrap();
        assert!(polygon_contains(&zone.outline_m, r.position_m), "{} in {}", r.id, zone.id);
    }
    dctwin::site::validate::validate(&site, "", "generated", &Catalog::builtin()).unwrap();
}
