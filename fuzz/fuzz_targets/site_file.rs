//! The site-file layer under libFuzzer: what `dctwin check` and `dctwin fmt` do to a file.
//!
//! An input is one site file, `site.ron`, optionally followed by the files it may include:
//! each after a NUL byte, as its path on the first line and its text after it
//! (`...site.ron...\0halls/a.ron\n(version: 1, ...)`). Nothing is read from disk.
//!
//! For any input:
//! * reading, composing and validating against the builtin catalog never panics;
//! * a refusal lists at least one problem, and every problem has a non-empty message and a
//!   line:col inside the file it names (line 1 ..= lines + 1, column 1 ..= the line's
//!   characters + 1);
//! * an accepted site's plausibility warnings follow the same rules, and its canonical files
//!   (what `fmt` writes: [`Composition::split`]) load again to the same site and split to the
//!   same texts (the canonical form is a fixed point). A site of one file is written as
//!   [`SiteFile::to_ron_string`] gives it.
//!
//! Run from the repository root: `fuzz/seed.sh && cargo +nightly fuzz run site_file` (README,
//! "Testing").

#![no_main]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use dctwin::catalog::Catalog;
use dctwin::site::SiteFile;
use dctwin::site::compose::{Composition, normalize};
use dctwin::site::load::{load_composed, strip_bom};
use dctwin::site::problem::Problem;
use libfuzzer_sys::fuzz_target;

static CATALOG: LazyLock<Catalog> = LazyLock::new(Catalog::builtin);

/// The top file's path.
const TOP: &str = "site.ron";

/// The files of an input: the top file, then each `\0path\ntext` part (the first of a path wins).
fn files(data: &[u8]) -> HashMap<PathBuf, Vec<u8>> {
    let mut parts = data.split(|&b| b == 0);
    let mut out = HashMap::new();
    out.insert(PathBuf::from(TOP), parts.next().unwrap_or_default().to_vec());
    for part in parts {
        let (name, text) = match part.iter().position(|&b| b == b'\n') {
            Some(i) => (&part[..i], &part[i + 1..]),
            None => (part, &[][..]),
        };
        let name = normalize(Path::new(String::from_utf8_lossy(name).trim()));
        out.entry(name).or_insert_with(|| text.to_vec());
    }
    out
}

/// Reads `path` from `files` only.
fn reader(files: &HashMap<PathBuf, Vec<u8>>) -> impl Fn(&Path) -> Result<Vec<u8>, String> + '_ {
    |p: &Path| files.get(&normalize(p)).cloned().ok_or_else(|| "no such file in the fuzz input".to_string())
}

/// Panics unless `p` has a message and a position inside the file it names (when that file is
/// text; a file that is not UTF-8 is refused at its first bad byte, checked for line >= 1).
fn assert_located(p: &Problem, files: &HashMap<PathBuf, Vec<u8>>, what: &str) {
    assert!(!p.message.trim().is_empty(), "{what} with an empty message: {p:?}");
    assert!(p.line >= 1 && p.col >= 1, "{what} without a line and column: {p}");
    let Some(text) = files.get(&normalize(Path::new(&p.file))).and_then(|b| std::str::from_utf8(b).ok()) else {
        return;
    };
    // Positions are counted after a byte-order mark.
    let lines: Vec<&str> = strip_bom(text).split('\n').collect();
    assert!(p.line <= lines.len() + 1, "{what} on a line outside {} ({} lines): {p}", p.file, lines.len());
    let chars = lines.get(p.line - 1).map_or(0, |l| l.chars().count());
    assert!(p.col <= chars + 1, "{what} on a column outside line {} ({chars} characters): {p}", p.line);
}

/// The canonical files of `site` (what `fmt` writes).
fn canonical_files(composition: &Composition, site: &SiteFile) -> Vec<(PathBuf, String)> {
    composition.split(site).unwrap_or_else(|e| panic!("the files of an unedited site cannot be written: {e}"))
}

fuzz_target!(|data: &[u8]| {
    let catalog = &*CATALOG;
    let input = files(data);
    let (site, composition, warnings) = match load_composed(Path::new(TOP), catalog, &reader(&input)) {
        Ok(loaded) => loaded,
        Err(problems) => {
            assert!(!problems.0.is_empty(), "refused without a problem");
            for p in &problems.0 {
                assert_located(p, &input, "problem");
            }
            return;
        }
    };
    for w in &warnings {
        assert_located(w, &input, "warning");
    }
    let saved = canonical_files(&composition, &site);
    if !composition.is_composed() {
        assert_eq!(saved.len(), 1);
        assert!(saved[0].1 == site.to_ron_string(), "fmt of one file differs from to_ron_string");
    }
    let written: HashMap<PathBuf, Vec<u8>> =
        saved.iter().map(|(p, t)| (normalize(p), t.clone().into_bytes())).collect();
    let (again, composition_again, _) = match load_composed(Path::new(TOP), catalog, &reader(&written)) {
        Ok(loaded) => loaded,
        Err(e) => panic!("the canonical files of an accepted site are refused:\n{e}\n--- written ---\n{saved:#?}"),
    };
    assert!(again.canonical() == site.canonical(), "reloading the canonical files changes the site:\n{saved:#?}");
    let resaved = canonical_files(&composition_again, &again);
    assert!(resaved == saved, "saving is not idempotent:\n--- first ---\n{saved:#?}\n--- second ---\n{resaved:#?}");
});
