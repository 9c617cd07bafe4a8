//! Composed site files: a campus file including hall files, ids prefixed per include,
//! references across files, problems located in the file where they are written, saving back
//! into the same files, and `fmt` keeping the composition.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use dctwin::catalog::Catalog;
use dctwin::headless::{RunOptions, run};
use dctwin::site::SiteFile;
use dctwin::site::compose::{Composition, read_from_disk};
use dctwin::site::load::load_composed;
use dctwin::site::spec::LinkSlot;

use crate::support::*;

fn dctwin() -> &'static str {
    env!("CARGO_BIN_EXE_dctwin")
}

/// A fresh folder for one test.
fn scratch(name: &str) -> FreshDir {
    fresh_dir(&format!("dctwin-compose-{name}"))
}

/// Copies the campus example (campus file and hall files) into `dir`.
fn copy_campus(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir.join("halls")).unwrap();
    for f in ["ai_campus.ron", "halls/north.ron", "halls/south.ron"] {
        std::fs::copy(root().join("sites/campus").join(f), dir.join(f)).unwrap();
    }
    dir.join("ai_campus.ron")
}

fn composed(path: &Path) -> (SiteFile, Composition) {
    let (site, c, _) = load_composed(path, &Catalog::builtin(), &read_from_disk).unwrap_or_else(|e| panic!("{e}"));
    (site, c)
}

/// The hall (N or S) the single-file AI hall's element `id` is moved to in the campus example,
/// written out by hand from the example's description: rows 1–5 (busways A1–A5 and B1–B5,
/// racks GB1–GB75, CDU-1 to CDU-5) are the north hall, rows 6–10 the south hall.
fn hall_of(id: &str) -> Option<&'static str> {
    let number = |s: &str| s.parse::<u32>().ok();
    let row = if let Some(rest) = id.strip_prefix("BW-A").or_else(|| id.strip_prefix("BW-B")) {
        number(rest.split('-').next()?)?
    } else if let Some(n) = id.strip_prefix("GB") {
        (number(n)? - 1) / 15 + 1
    } else {
        number(id.strip_prefix("CDU-")?)?
    };
    Some(if row <= 5 { "N/" } else { "S/" })
}

/// `site` with every id (and every connection) renamed by `rename`.
fn renamed(site: &SiteFile, rename: impl Fn(&str) -> String) -> SiteFile {
    let mut out = SiteFile {
        header: site.header.clone(),
        version: site.version,
        name: site.name.clone(),
        ambient: site.ambient.clone(),
        ..Default::default()
    };
    for mut e in dctwin::site::SiteElement::all_of(site) {
        let spec = e.spec_mut();
        *spec.id_mut() = rename(spec.id());
        for field in spec.link_fields() {
            match spec.link_slot(field.name) {
                Some(LinkSlot::One(s)) => *s = rename(s),
                Some(LinkSlot::Maybe(Some(s))) => *s = rename(s),
                Some(LinkSlot::Many(v)) => v.iter_mut().for_each(|s| *s = rename(s)),
                _ => {}
            }
        }
        e.insert_into(&mut out);
    }
    out.canonical()
}

/// The campus example is the AI hall: the composed site equals the single file with the hall
/// elements' ids qualified by hand, and runs to the same report byte for byte.
#[test]
fn the_campus_example_is_the_ai_hall_with_qualified_ids() {
    let (site, c) = composed(&root().join("sites/campus/ai_campus.ron"));
    assert_eq!(c.parts.len(), 3);
    assert_eq!(
        c.parts.iter().map(|p| (p.path.display().to_string(), p.prefix.as_str())).collect::<Vec<_>>(),
        [
            (root().join("sites/campus/ai_campus.ron").display().to_string(), ""),
            (root().join("sites/campus/halls/north.ron").display().to_string(), "N/"),
            (root().join("sites/campus/halls/south.ron").display().to_string(), "S/"),
        ]
    );
    let single = load(&root().join("sites/ai_hall_20mw.ron"));
    let mut expected = renamed(&single, |id| hall_of(id).map_or(id.to_string(), |h| format!("{h}{id}")));
    (expected.name, expected.header) = (site.name.clone(), site.header.clone());
    // The rooms are the campus file's own (drawing, no ids to qualify).
    expected.rooms = single.rooms.clone();
    assert_eq!(site.canonical(), expected, "the composed site is the single file, ids qualified");
    assert_eq!(site.racks.iter().filter(|r| r.id.starts_with("N/")).count(), 75);
    let rack = site.racks.iter().find(|r| r.id == "S/GB150").unwrap();
    assert_eq!(
        (rack.feed_a.as_str(), rack.cdu.as_deref(), rack.zone.as_deref()),
        ("S/BW-A10-5", Some("S/CDU-10"), Some("HALL"))
    );

    let options = RunOptions { duration: Duration::from_secs(600), step: Duration::from_secs(10) };
    let report = |s: &SiteFile| serde_json::to_string_pretty(&run(s, &Catalog::builtin(), &options, "x.ron")).unwrap();
    assert_eq!(report(&site), report(&expected), "same report as the single file");
}

/// Loading and saving back writes the same bytes into the same files; an edit goes to the file
/// of the element it touches, a new element to the file its id's prefix names, with local ids.
#[test]
fn saving_writes_each_element_back_into_its_file() {
    let dir = scratch("save");
    let top = copy_campus(&dir);
    let files = ["ai_campus.ron", "halls/north.ron", "halls/south.ron"].map(|f| dir.join(f));
    let before: Vec<String> = files.iter().map(|f| std::fs::read_to_string(f).unwrap()).collect();
    let (mut site, c) = composed(&top);
    assert!(c.save(&site).unwrap().is_empty(), "nothing changed");
    let split = c.split(&site).unwrap();
    assert_eq!(split.iter().map(|(_, t)| t.clone()).collect::<Vec<_>>(), before, "the split is the files as they are");

    // Re-rate a north rack, add a south rack, retire a campus CRAH.
    site.racks.iter_mut().find(|r| r.id == "N/GB7").unwrap().utilization = 0.5;
    let mut new = site.racks.iter().find(|r| r.id == "S/GB150").unwrap().clone();
    new.id = "S/GB151".into();
    new.position_m.0 += 0.6;
    site.racks.push(new);
    site.crahs.retain(|u| u.id != "CRAH-16");
    let written = c.save(&site).unwrap();
    assert_eq!(written, files.to_vec(), "each file changed");
    let north = std::fs::read_to_string(&files[1]).unwrap();
    let line = north.lines().find(|l| l.contains("(id: \"GB7\",")).unwrap();
    assert!(line.contains("feed_b: \"BW-B1-3\", utilization: 0.5,"), "{line}");
    let south = std::fs::read_to_string(&files[2]).unwrap();
    let line = south.lines().find(|l| l.contains("\"GB151\"")).expect("the new rack is in the south hall's file");
    assert!(
        line.contains("feed_a: \"BW-A10-5\"") && line.contains("cdu: \"CDU-10\"") && line.contains("zone: \"HALL\""),
        "{line}"
    );
    assert!(!std::fs::read_to_string(&files[0]).unwrap().contains("CRAH-16"));
    // Reading the files again gives the edited site.
    let (back, _) = composed(&top);
    assert_eq!(back.canonical(), site.canonical());
}

/// `dctwin fmt` on a campus file rewrites each file canonically and keeps the composition.
#[test]
fn fmt_keeps_the_composition() {
    let dir = scratch("fmt");
    let top = copy_campus(&dir);
    let north = dir.join("halls/north.ron");
    let canonical = std::fs::read_to_string(&north).unwrap();
    // Lines out of order and extra spaces.
    let mut lines: Vec<&str> = canonical.lines().collect();
    let racks = lines.iter().position(|l| l.contains("(id: \"GB1\"")).unwrap();
    lines.swap(racks, racks + 1);
    std::fs::write(&north, lines.join("\n").replace("(id: \"GB3\"", "(id:   \"GB3\"")).unwrap();
    let top_text = std::fs::read_to_string(&top).unwrap();
    let out = Command::new(dctwin()).args(["fmt", top.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim_end(),
        format!("{}: 3 files, 1 rewritten in canonical form", top.display())
    );
    assert_eq!(std::fs::read_to_string(&north).unwrap(), canonical);
    assert_eq!(std::fs::read_to_string(&top).unwrap(), top_text, "the campus file keeps its includes");
}

/// Writes `files` (path, text) under a fresh folder and returns `dctwin check`'s stderr for the
/// first, which must fail with exit code 2.
fn check_fails(name: &str, files: &[(&str, &str)]) -> String {
    let dir = scratch(name);
    for (f, text) in files {
        let p = dir.join(f);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let out = Command::new(dctwin()).current_dir(&dir).args(["check", files[0].0]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{name}: {}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

const CAMPUS: &str = r#"(
    version: 1,
    name: "campus",
    include: [
        (file: "halls/a.ron", prefix: "A/"),
    ],
    grid_feeds: [(id: "UTIL-1", model: "utility-13.8kv-25mva", position_m: (0.0, 0.0))],
    transformers: [(id: "T-1", model: "xfmr-2500kva-13.8kv-415v", upstream: "UTIL-1", position_m: (0.0, 0.0))],
)
"#;

const HALL: &str = r#"(
    version: 1,
    name: "hall",
    distribution: [
        (id: "PDU-1", model: "pdu-415v-400a", upstream: "T-1", position_m: (0.0, 0.0)),
    ],
    racks: [
        (id: "R1", model: "dgx-b200-x4", feed_a: "PDU-1", position_m: (0.0, 0.0)),
    ],
)
"#;

/// Every problem of a composed site names the file and line where it is written: inside an
/// included file too.
#[test]
fn problems_point_into_the_file_where_they_are_written() {
    // The composition itself is fine.
    let dir = scratch("fine");
    std::fs::create_dir_all(dir.join("halls")).unwrap();
    std::fs::write(dir.join("campus.ron"), CAMPUS).unwrap();
    std::fs::write(dir.join("halls/a.ron"), HALL).unwrap();
    let (site, _) = composed(&dir.join("campus.ron"));
    assert_eq!(site.racks[0].feed_a, "A/PDU-1");
    assert_eq!(site.distribution[0].upstream, "T-1", "a campus element by its id");

    // An unknown model in the hall file.
    let err =
        check_fails("model", &[("campus.ron", CAMPUS), ("halls/a.ron", &HALL.replace("dgx-b200-x4", "dgx-nope"))]);
    assert!(err.contains("halls/a.ron:8:27: unknown rack model \"dgx-nope\""), "{err}");
    // A dangling reference in the hall file.
    let err = check_fails("dangling", &[("campus.ron", CAMPUS), ("halls/a.ron", &HALL.replace("\"T-1\"", "\"T-9\""))]);
    assert!(
        err.contains("halls/a.ron:5:57: distribution \"A/PDU-1\" is connected to \"T-9\", but no element has that id"),
        "{err}"
    );
    // A syntax error in the hall file.
    let err = check_fails(
        "syntax",
        &[("campus.ron", CAMPUS), ("halls/a.ron", &HALL.replace("name: \"hall\",", "name: \"hall\""))],
    );
    assert!(err.contains("halls/a.ron:4:5: "), "{err}");
    // A missing file: at its include entry.
    let err = check_fails("missing", &[("campus.ron", CAMPUS)]);
    assert!(err.contains("campus.ron:5:16: cannot read included file halls/a.ron"), "{err}");
    // A cycle.
    let cyclic =
        HALL.replace("name: \"hall\",", "name: \"hall\",\n    include: [(file: \"../campus.ron\", prefix: \"C/\")],");
    let err = check_fails("cycle", &[("campus.ron", CAMPUS), ("halls/a.ron", &cyclic)]);
    assert!(err.contains("halls/a.ron:4:22: includes form a cycle: campus.ron → halls/a.ron → campus.ron"), "{err}");
    // A prefix that is no word, and two prefixes that start alike.
    let err = check_fails("prefix", &[("campus.ron", &CAMPUS.replace("\"A/\"", "\"A /\"")), ("halls/a.ron", HALL)]);
    assert!(err.contains("campus.ron:5:39: include of \"halls/a.ron\": the prefix must be a word"), "{err}");
    let two = CAMPUS.replace(
        "(file: \"halls/a.ron\", prefix: \"A/\"),",
        "(file: \"halls/a.ron\", prefix: \"A/\"),\n        (file: \"halls/a.ron\", prefix: \"A/B\"),",
    );
    let err = check_fails("alike", &[("campus.ron", &two), ("halls/a.ron", HALL)]);
    assert!(
        err.contains("campus.ron:6:39: prefix \"A/B\" of halls/a.ron and prefix \"A/\" of halls/a.ron start alike"),
        "{err}"
    );
    // Outdoor conditions in an included file.
    let ambient =
        HALL.replace("name: \"hall\",", "name: \"hall\",\n    ambient: (dry_bulb_c: 30.0, wet_bulb_c: 20.0),");
    let err = check_fails("ambient", &[("campus.ron", CAMPUS), ("halls/a.ron", &ambient)]);
    assert!(err.contains("halls/a.ron:4:14: an included file shares the outdoor conditions of the top file"), "{err}");
    // A campus id in an include's prefix.
    let owned = CAMPUS.replace("(id: \"T-1\"", "(id: \"A/T-1\"").replace("upstream: \"T-1\"", "upstream: \"A/T-1\"");
    let err = check_fails("owned", &[("campus.ron", &owned), ("halls/a.ron", &HALL.replace("\"T-1\"", "\"A/T-1\""))]);
    assert!(
        err.contains("campus.ron:8:25: id \"A/T-1\" starts with the prefix \"A/\" of the included file halls/a.ron"),
        "{err}"
    );
    // The same id twice in one file: the duplicate says where the first is.
    let twice = HALL.replace(
        "        (id: \"R1\"",
        "        (id: \"R1\", model: \"dgx-b200-x4\", feed_a: \"PDU-1\", position_m: (0.0, 0.0)),\n        (id: \"R1\"",
    );
    let err = check_fails("twice", &[("campus.ron", CAMPUS), ("halls/a.ron", &twice)]);
    assert!(err.contains("halls/a.ron:9:14: duplicate id \"A/R1\" (first defined on line 8)"), "{err}");
}

/// A file's own ids shadow the campus's; `/ID` names the campus's explicitly, and saving keeps
/// it so. One file included twice (two halls from one template) is two sets of elements, and an
/// edit that would make the copies differ is refused.
#[test]
fn scoped_references_and_a_template_included_twice() {
    let dir = scratch("scope");
    std::fs::create_dir_all(dir.join("halls")).unwrap();
    let campus = CAMPUS.replace(
        "(file: \"halls/a.ron\", prefix: \"A/\"),",
        "(file: \"halls/a.ron\", prefix: \"A/\"),\n        (file: \"halls/a.ron\", prefix: \"B/\"),",
    );
    // The hall has a transformer T-1 of its own; PDU-2 is fed by the campus's.
    let hall = HALL
        .replace(
            "    distribution: [",
            "    transformers: [(id: \"T-1\", model: \"xfmr-2500kva-13.8kv-415v\", upstream: \"UTIL-1\", position_m: (0.0, 0.0))],\n    distribution: [\n        (id: \"PDU-2\", model: \"pdu-415v-400a\", upstream: \"/T-1\", position_m: (0.0, 0.0)),",
        );
    std::fs::write(dir.join("campus.ron"), &campus).unwrap();
    std::fs::write(dir.join("halls/a.ron"), &hall).unwrap();
    let top = dir.join("campus.ron");
    let (mut site, c) = composed(&top);
    let upstream = |s: &SiteFile, id: &str| s.distribution.iter().find(|d| d.id == id).unwrap().upstream.clone();
    assert_eq!(upstream(&site, "A/PDU-1"), "A/T-1", "the hall's own T-1");
    assert_eq!(upstream(&site, "A/PDU-2"), "T-1", "/T-1: the campus's");
    assert_eq!(upstream(&site, "B/PDU-1"), "B/T-1");
    assert_eq!(site.racks.len(), 2);
    let hall_text = std::fs::read_to_string(dir.join("halls/a.ron")).unwrap();
    c.save(&site).unwrap();
    let saved = std::fs::read_to_string(dir.join("halls/a.ron")).unwrap();
    assert_ne!(saved, hall_text, "written in canonical form");
    assert!(
        saved.contains("upstream: \"/T-1\"")
            && saved.contains("(id: \"PDU-1\", model: \"pdu-415v-400a\", upstream: \"T-1\", position_m"),
        "{saved}"
    );
    assert_eq!(composed(&top).0.canonical(), site.canonical());
    // One copy edited: refused, nothing written.
    site.racks.iter_mut().find(|r| r.id == "B/R1").unwrap().utilization = 0.5;
    let err = c.save(&site).unwrap_err();
    assert!(err.contains("is included more than once and the edit makes its copies differ"), "{err}");
    assert_eq!(std::fs::read_to_string(dir.join("halls/a.ron")).unwrap(), saved);
}

/// The app opens a campus and saves an edit back into the hall file it belongs to; "Save as"
/// writes the site as one file.
#[test]
fn the_app_saves_a_campus_back_into_its_files() {
    use dctwin::app::state::{EditorState, OpenFile};
    let dir = scratch("app");
    let top = copy_campus(&dir);
    let (site, _) = composed(&top);
    let mut app = dctwin::headless::build_app(&site, &Catalog::builtin(), dctwin::sim::DEFAULT_STEP);
    let world = app.world_mut();
    world.init_resource::<EditorState>();
    dctwin::app::files::open(world, &top).unwrap();
    assert!(world.resource::<OpenFile>().composition.as_ref().is_some_and(|c| c.parts.len() == 3));
    let mut edited = dctwin::sim::world::world_to_site(world);
    edited.racks.retain(|r| r.id != "N/GB75");
    let before = dctwin::site::SiteElement::from(site.racks.iter().find(|r| r.id == "N/GB75").unwrap().clone());
    dctwin::edit::apply(
        world,
        dctwin::edit::Edit { label: "Delete N/GB75".into(), before: vec![before], after: vec![] },
    )
    .unwrap();
    dctwin::app::files::save(world, &top).unwrap();
    assert!(!std::fs::read_to_string(dir.join("halls/north.ron")).unwrap().contains("\"GB75\""));
    assert_eq!(composed(&top).0.canonical(), edited.canonical());
    let flat = dir.join("flat.ron");
    dctwin::app::files::save(world, &flat).unwrap();
    assert!(world.resource::<EditorState>().message.as_ref().unwrap().0.contains("as one file (the 3 files of"));
    let text = std::fs::read_to_string(&flat).unwrap();
    assert!(!text.contains("include") && text.contains("(id: \"N/GB1\""));
    assert_eq!(load(&flat).canonical().racks, edited.canonical().racks);
}

/// `dctwin diff REV:campus.ron campus.ron` reads the campus and its halls from the revision.
#[test]
fn diff_reads_a_composed_site_from_git() {
    let dir = scratch("git");
    copy_campus(&dir);
    let git = |args: &[&str]| {
        let out = Command::new("git").current_dir(&dir).args(args).output().unwrap();
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "campus"]);
    let north = dir.join("halls/north.ron");
    let text = std::fs::read_to_string(&north)
        .unwrap()
        .replace("(id: \"GB1\", model: \"gb200-nvl72\",", "(id: \"GB1\", model: \"gb200-nvl72\", utilization: 0.5,");
    std::fs::write(&north, text).unwrap();
    let out = Command::new(dctwin())
        .current_dir(&dir)
        .args(["diff", "HEAD:ai_campus.ron", "ai_campus.ron"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(md.contains("N/GB1"), "{md}");
}

/// A file that includes the next one twice, nested 15 deep, would make 32,767 parts: refused
/// at the include entry that goes past the limit.
#[test]
fn a_composition_that_doubles_at_every_level_is_refused() {
    let dir = scratch("doubling");
    for k in 0..15 {
        let next = format!("f{}.ron", k + 1);
        std::fs::write(
            dir.join(format!("f{k}.ron")),
            format!("(version: 1, name: \"f{k}\", include: [(file: \"{next}\", prefix: \"A/\"), (file: \"{next}\", prefix: \"B/\")])\n"),
        )
        .unwrap();
    }
    std::fs::write(dir.join("f15.ron"), "(version: 1, name: \"leaf\")\n").unwrap();
    let err = Composition::read(&dir.join("f0.ron"), &read_from_disk).unwrap_err().to_string();
    assert!(err.contains(&format!("more than {} files in one site", dctwin::site::compose::MAX_FILES)), "{err}");
}
