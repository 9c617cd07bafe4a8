//! The CI recipe for a repository of site designs (`deploy/ci/site-repo-check.sh`), run as a
//! site team's CI would: tests of every site, then the diff of each site a change touches.

use std::path::Path;
use std::process::Command;

use crate::support::root;

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git").current_dir(dir).args(args).output().unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn check(dir: &Path) -> std::process::Output {
    Command::new("sh")
        .current_dir(dir)
        .arg(root().join("deploy/ci/site-repo-check.sh"))
        .args(["HEAD", "sites"])
        .env("DCTWIN", env!("CARGO_BIN_EXE_dctwin"))
        .output()
        .unwrap()
}

#[test]
fn the_site_repository_check_tests_every_site_and_diffs_what_changed() {
    let dir = std::env::temp_dir().join(format!("dctwin-site-repo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("sites/campus/halls")).unwrap();
    for f in [
        "gb200_pod.ron",
        "gb200_pod.test.ron",
        "campus/ai_campus.ron",
        "campus/ai_campus.test.ron",
        "campus/halls/north.ron",
        "campus/halls/south.ron",
    ] {
        std::fs::copy(root().join("sites").join(f), dir.join("sites").join(f)).unwrap();
    }
    git(&dir, &["init", "-q"]);
    git(&dir, &["add", "."]);
    git(&dir, &["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "sites"]);

    // Nothing changed: the tests pass and no site is diffed.
    let out = check(&dir);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("passed, 0 failed"));
    assert_eq!(std::fs::read_to_string(dir.join("site-diff.md")).unwrap(), "No site changed since HEAD.\n");

    // A pull request that adds a rack to the north hall (a file included by the campus).
    let north = dir.join("sites/campus/halls/north.ron");
    let text = std::fs::read_to_string(&north).unwrap();
    let gb75 = text.lines().find(|l| l.contains("(id: \"GB75\"")).unwrap();
    let gb76 = gb75.replace("\"GB75\"", "\"GB76\"").replace("(1.2, 38.0)", "(1.8, 38.0)");
    std::fs::write(&north, text.replace(gb75, &format!("{gb75}\n{gb76}"))).unwrap();
    let out = check(&dir);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let md = std::fs::read_to_string(dir.join("site-diff.md")).unwrap();
    assert!(md.starts_with("# Site diff: HEAD:sites/campus/ai_campus.ron → sites/campus/ai_campus.ron"), "{md}");
    assert!(md.contains("N/GB76"), "{md}");
    for element in ["N/BW-A5-5", "N/BW-B5-5", "UPS-A5", "T-A5"] {
        assert!(md.contains(&format!("| {element} |")), "the headroom of {element}, which the rack loads: {md}");
    }
    assert!(!md.contains("gb200_pod"), "an untouched site is left out");

    // A change that breaks an expectation fails the check.
    let pod = dir.join("sites/gb200_pod.test.ron");
    let t = std::fs::read_to_string(&pod).unwrap();
    std::fs::write(&pod, t.replacen("min_pct: ", "min_pct: 9", 1)).unwrap();
    let out = check(&dir);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stdout));
    std::fs::remove_dir_all(&dir).ok();
}
