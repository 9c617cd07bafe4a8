//! Golden reports: a fixed run of every example site, compared byte for byte with the report
//! stored in `tests/golden/`. They pin behaviour: any change to a number shows here.
//!
//! After an intended change, re-bless (and say why in the commit):
//!
//! ```sh
//! DCTWIN_BLESS=1 cargo test golden
//! ```

use std::time::Duration;

use dctwin::catalog::Catalog;
use dctwin::headless::{self, RunOptions};

use crate::support::*;

/// The fixed run: ten simulated minutes at 1 s steps.
fn options() -> RunOptions {
    RunOptions { duration: Duration::from_secs(600), step: Duration::from_secs(1) }
}

fn report_of(site: &dctwin::site::SiteFile, name: &str) -> String {
    headless::run(site, &Catalog::builtin(), &options(), &format!("sites/{name}")).to_json()
}

#[test]
fn example_sites_match_their_golden_reports() {
    let bless = std::env::var_os("DCTWIN_BLESS").is_some();
    let dir = root().join("tests/golden");
    let mut failures = Vec::new();
    for path in example_sites() {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let json = report_of(&load(&path), &name);
        let golden = dir.join(name.replace(".ron", ".json"));
        if bless {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&golden, &json).unwrap();
            continue;
        }
        let Ok(expected) = std::fs::read_to_string(&golden) else {
            failures
                .push(format!("{name}: no golden report {} (run DCTWIN_BLESS=1 cargo test golden)", golden.display()));
            continue;
        };
        if json != expected {
            let line = json.lines().zip(expected.lines()).position(|(a, b)| a != b).unwrap_or(0);
            let got = json.lines().nth(line).unwrap_or("");
            let want = expected.lines().nth(line).unwrap_or("");
            failures.push(format!("{name}: line {}: got `{got}`, golden `{want}`", line + 1));
        }
    }
    assert!(
        failures.is_empty(),
        "reports differ from tests/golden (re-bless with DCTWIN_BLESS=1 only if intended):\n{}",
        failures.join("\n")
    );
}

#[test]
fn the_order_of_elements_in_the_file_does_not_change_the_report() {
    for name in ["ai_hall_20mw.ron", "small_2n_room.ron"] {
        let site = load(&root().join("sites").join(name));
        let mut shuffled = site.clone();
        shuffled.grid_feeds.reverse();
        shuffled.transformers.reverse();
        shuffled.ups.reverse();
        shuffled.distribution.reverse();
        shuffled.racks.reverse();
        shuffled.zones.reverse();
        shuffled.water_loops.reverse();
        shuffled.crahs.reverse();
        shuffled.cdus.reverse();
        shuffled.chillers.reverse();
        shuffled.heat_rejection.reverse();
        // Rotate too, so the swap is not a plain reversal.
        if shuffled.cdus.len() > 1 {
            shuffled.cdus.rotate_left(1);
        }
        let options = RunOptions { duration: Duration::from_secs(120), step: Duration::from_secs(1) };
        let a = headless::run(&site, &Catalog::builtin(), &options, name).to_json();
        let b = headless::run(&shuffled, &Catalog::builtin(), &options, name).to_json();
        assert!(a == b, "{name}: reordering the file changed the report");
    }
}
