//! Malformed and inconsistent site files (and site test files): exact messages at exact
//! positions, never a panic.

use dctwin::catalog::Catalog;
use dctwin::site::load::{load_site, parse_site};
use proptest::prelude::*;

use crate::support::root;

/// `(file in tests/bad_sites, every expected "line:col: message")`. Site files are read as
/// `dctwin check` reads them ([`load_site`]); `*.test.ron` files are test sidecars, read as
/// `dctwin check` and `dctwin test` read them ([`dctwin::study::expect::load`]), against
/// `sites/small_2n_room.ron`.
const CASES: &[(&str, &[&str])] = &[
    ("syntax_missing_comma.ron", &["8:19: Expected comma"]),
    ("syntax_unclosed.ron", &["20:7: unexpected end of file (a closing bracket is missing)"]),
    ("syntax_unterminated_string.ron", &["19:71: Expected end of string"]),
    (
        "syntax_trailing_text.ron",
        &["22:5: unexpected text after the closing `)` (it must be the last thing in the file)"],
    ),
    // Columns count characters after the byte-order mark, as editors do.
    ("bom_error_on_first_line.ron", &["1:11: unsupported site file version 2; this dctwin reads version 1"]),
    ("empty_file.ron", &["1:1: expected `(` opening a structure"]),
    ("not_utf8.ron", &["1:21: site file is not UTF-8 text: invalid byte here"]),
    ("missing_field.ron", &["8:77: missing field `upstream` in a transformer"]),
    ("missing_version.ron", &["20:1: missing field `version` in the site"]),
    ("duplicate_field.ron", &["12:43: field `model` is given twice"]),
    (
        "unknown_field.ron",
        &[
            "12:43: unknown field `upstrem` in a UPS; expected one of `id`, `model`, `upstream`, `feeder`, `mode`, `zone`, `overrides`, `position_m`, `rotation_deg`, `in_service`, `common_mode`",
        ],
    ),
    (
        "unknown_section.ron",
        &[
            "18:5: unknown field `rack` in the site; expected one of `version`, `name`, `include`, `rooms`, `grid_feeds`, `generators`, `transformers`, `transfer_switches`, `ups`, `distribution`, `racks`, `ambient`, `zones`, `water_loops`, `crahs`, `cdus`, `chillers`, `heat_rejection`, `economics`",
        ],
    ),
    ("wrong_type.ron", &["15:70: Expected float"]),
    ("ups_mode_misspelt.ron", &["11:65: unknown UPS mode `Ecco`; expected one of `DoubleConversion`, `Eco`"]),
    (
        "override_of_another_kind.ron",
        &[
            "8:85: unknown field `rated_kw` in the overrides of a transformer; expected one of `rated_kva`, `primary_kv`, `secondary_kv`, `impedance_pct`, `no_load_loss_kw`, `load_loss_kw`, `no_load_current_pct`",
        ],
    ),
    ("unsupported_version.ron", &["2:14: unsupported site file version 2; this dctwin reads version 1"]),
    ("duplicate_id.ron", &["12:14: duplicate id \"UPS-A\" (first defined on line 11)"]),
    // The UPS's id is gone, so the PDU it fed points at nothing.
    (
        "empty_id.ron",
        &[
            "12:14: a UPS has an empty id",
            "16:57: distribution \"PDU-B\" is connected to \"UPS-B\", but no element has that id",
        ],
    ),
    (
        "id_with_space.ron",
        &[
            "16:14: id \"PDU B\" contains whitespace; ids are single words like \"PDU-1\"",
            "19:71: rack \"R1\" is connected to \"PDU-B\", but no element has that id",
        ],
    ),
    (
        "unknown_model.ron",
        &[
            "19:27: unknown rack model \"legacy-air-99kw\"; the catalog has: dgx-b200-x4, dgx-h100-x4, gb200-nvl72, legacy-air-12kw, legacy-air-8kw, trn2-rack-estimate",
        ],
    ),
    ("model_of_other_kind.ron", &["8:27: \"pdu-415v-250a\" is a distribution model, not a transformer model"]),
    ("dangling_upstream.ron", &["16:57: distribution \"PDU-B\" is connected to \"UPS-C\", but no element has that id"]),
    ("dangling_feed_b.ron", &["19:71: rack \"R1\" is connected to \"PDU-C\", but no element has that id"]),
    ("cycle.ron", &["17:57: connection cycle: RPP-1 → RPP-3 → RPP-2 → RPP-1; power must flow from a grid feed"]),
    ("self_feed.ron", &["16:57: connection cycle: PDU-B → PDU-B; power must flow from a grid feed"]),
    (
        "distribution_on_rack.ron",
        &[
            "16:57: distribution cannot be fed from a rack (\"R1\" feeds \"PDU-B\"); distribution is fed from a grid feed, a generator, a transformer, a transfer switch, a UPS or distribution",
        ],
    ),
    (
        "common_mode_one_member.ron",
        &[
            "11:73: common-mode group \"UPS-ROOM-1\" has one member: a group is two or more elements one event takes out together",
        ],
    ),
    (
        "same_feed_twice.ron",
        &["19:71: rack \"R1\" has \"PDU-A\" as both its A and B feed; a dual-corded rack needs two different feeds"],
    ),
    (
        "same_path.ron",
        &["19:71: rack \"R1\" is fed twice from the same path: its A and B feeds both run through UPS \"UPS-A\""],
    ),
    (
        "voltage_mismatch.ron",
        &[
            "15:57: voltage mismatch: distribution \"PDU-A\" is rated 0.415 kV but \"UTIL\" supplies 13.8 kV (a transformer is needed in between)",
        ],
    ),
    (
        "negative_rating.ron",
        &["8:78: rated_kva must be between 1 and 1000000 kVA (got -1000): distribution to substation transformers"],
    ),
    ("non_finite_rating.ron", &["11:65: rated_kw must be a finite number, not NaN"]),
    ("zero_breaker.ron", &["16:70: breaker_a must be between 1 and 10000 A (got 0): breakers and busbars up to 10 kA"]),
    ("utilization_above_one.ron", &["19:93: utilization must be between 0 and 1 (got 1.5): a fraction of one"]),
    (
        "rotation_out_of_range.ron",
        &["8:111: rotation_deg must be between -360 and 360 ° (got 720): one turn either way"],
    ),
    ("feeder_zero_sets.ron", &["8:137: sets must be between 1 and 100 (got 0): parallel conductor sets"]),
    (
        "rack_on_transformer.ron",
        &[
            "19:54: a rack cannot be fed from a transformer (\"T1\" feeds \"R1\"); a rack is fed from a UPS or distribution",
        ],
    ),
    (
        "unknown_cable.ron",
        &[
            "11:75: unknown cable model \"al-240mm2\"; the catalog has: cu-xlpe-1c-240mm2-15kv, cu-xlpe-1c-630mm2-lv, cu-xlpe-4c-240mm2-lv, cu-xlpe-4c-95mm2-lv",
        ],
    ),
    (
        "power_factor_above_one.ron",
        &["19:106: power_factor must be between 0.5 and 1 (got 1.2): power factors of IT and power electronics"],
    ),
    (
        "cooling_no_ambient.ron",
        &[
            "7:11: a site with cooling needs `ambient: (dry_bulb_c: .., wet_bulb_c: ..)` or `ambient: (epw: \"FILE.epw\")`",
        ],
    ),
    ("cooling_rack_without_cdu.ron", &["17:9: rack \"R2\" is 88 % liquid-cooled but has no `cdu`"]),
    ("cooling_setpoint_above_class.ron", &["23:40: setpoint 36 °C is above the W32 limit of 32 °C"]),
    (
        "cooling_supply_from_transformer.ron",
        &[
            "30:95: a chiller cannot be fed from a transformer (\"T\" feeds \"CH-1\"); a chiller is fed from a UPS or distribution",
        ],
    ),
    ("cooling_unknown_zone.ron", &["26:53: no zone has the id \"HALL\""]),
    ("cooling_wet_bulb_above_dry.ron", &["19:14: the wet bulb cannot be above the dry bulb"]),
    ("cooling_hourly_out_of_range.ron", &["19:88: hour 2: temperatures must be within -70 … 60 °C"]),
    ("cooling_loop_of_wrong_kind.ron", &["29:59: \"ROOM\" is a zone, not a water loop"]),
    (
        "cooling_unknown_model.ron",
        &[
            "30:36: unknown chiller model \"chiller-screw-1000kw\"; the catalog has: chiller-centrifugal-1000kw, chiller-centrifugal-3500kw",
        ],
    ),
    (
        "many_problems.ron",
        &[
            "2:14: unsupported site file version 3; this dctwin reads version 1",
            "12:71: position_m must be two finite numbers of metres within -1000000 … 1000000 m",
            "16:57: distribution \"PDU-B\" is connected to \"UPS-Z\", but no element has that id",
            "19:27: unknown rack model \"nope\"; the catalog has: dgx-b200-x4, dgx-h100-x4, gb200-nvl72, legacy-air-12kw, legacy-air-8kw, trn2-rack-estimate",
        ],
    ),
    // Site test files: each problem at its expectation's `check`.
    ("tests_syntax_missing_comma.test.ron", &["6:9: Expected comma"]),
    ("tests_unknown_element.test.ron", &["6:50: T-Z keeps 30 % headroom: the site has no element \"T-Z\""]),
    (
        "tests_bad_duration.test.ron",
        &["5:44: no critical alert: `an hour`: expected number at 0 (examples: 1h, 600s, 100ms)"],
    ),
    ("tests_zero_step.test.ron", &["5:45: inlets below 27 °C: `0s` must be longer than zero"]),
    ("tests_bad_from.test.ron", &["5:50: no alert after start-up: `after start-up`: expected number at 0"]),
    ("tests_unknown_kind.test.ron", &["5:53: no single point of failure: no such kind \"pdu\""]),
    ("tests_wet_above_dry.test.ron", &["5:40: PUE below 1.3: the wet bulb cannot be above the dry bulb"]),
];

#[test]
fn every_bad_file_reports_exact_messages() {
    let catalog = Catalog::builtin();
    let dir = root().join("tests/bad_sites");
    let mut files: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    files.sort();
    let listed: Vec<String> = {
        let mut v: Vec<String> = CASES.iter().map(|c| c.0.to_string()).collect();
        v.sort();
        v
    };
    assert_eq!(files, listed, "every file in tests/bad_sites has an expectation, and vice versa");
    assert!(CASES.len() >= 40);
    for (file, expected) in CASES {
        let path = dir.join(file);
        let problems = if file.ends_with(".test.ron") {
            match dctwin::study::expect::load(&path, &catalog) {
                Ok(_) => panic!("{file} should be refused"),
                Err(p) => p.0,
            }
        } else {
            load_site(&path, &catalog).expect_err(file).0
        };
        let got: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        let want: Vec<String> = expected.iter().map(|e| format!("{}:{e}", path.display())).collect();
        assert_eq!(got, want, "{file}");
    }
}

fn valid_text() -> String {
    std::fs::read_to_string(root().join("sites/small_2n_room.ron")).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Truncating or corrupting a valid file never panics; errors always carry a position.
    /// Cuts and corruptions range over the whole file (half the cases keep it whole), so
    /// validation, not only the parser, sees corrupted values.
    #[test]
    fn corrupted_files_never_panic(cut in 0usize..1_000_000, at in 0usize..1_000_000, byte in any::<u8>(), whole in any::<bool>()) {
        let catalog = Catalog::builtin();
        let text = valid_text();
        let mut bytes = text.into_bytes();
        let n = bytes.len();
        let at = at % n;
        bytes[at] = byte;
        if !whole {
            bytes.truncate(cut % n + 1);
        }
        let text = String::from_utf8_lossy(&bytes);
        if let Err(problems) = parse_site(&text, "fuzz.ron", &catalog) {
            prop_assert!(!problems.0.is_empty());
            for p in &problems.0 {
                prop_assert!(p.line >= 1 && p.col >= 1);
            }
        }
    }

    /// Any string of RON-ish tokens is handled without panicking.
    #[test]
    fn arbitrary_token_soup_never_panics(tokens in proptest::collection::vec(
        prop::sample::select(vec!["(", ")", "[", "]", "{", "}", ":", ",", "version", "1", "name", "\"x\"", "racks", "id", "r#\"raw\"#", "/*", "*/", "//", "\n", "Some", "-1e400", "NaN"]), 0..60)) {
        let text: String = tokens.concat();
        let _ = parse_site(&text, "soup.ron", &Catalog::builtin());
    }
}
