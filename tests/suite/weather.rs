//! Weather: the EPW reader on the shipped Chicago O'Hare TMY3 file and on malformed copies of
//! it (exact `line:col: message`), wet bulbs against published values, the design conditions
//! of its header, and the interpolation in time.

use dctwin::weather::{DesignDay, Percentile, ReturnPeriod, WeatherYear, psychro};

use crate::support::root;

/// The shipped weather file, relative to the repository root.
const CHICAGO: &str = "assets/weather/USA_IL_Chicago-OHare.Intl.AP.725300_TMY3.epw";

fn chicago_text() -> String {
    std::fs::read_to_string(root().join(CHICAGO)).unwrap()
}

fn chicago() -> WeatherYear {
    WeatherYear::load(&root().join(CHICAGO)).unwrap_or_else(|e| panic!("{e}"))
}

/// The problems of `bytes` as `line:col: message`.
fn problems(bytes: &[u8]) -> Vec<String> {
    match WeatherYear::parse(bytes, "bad.epw") {
        Ok(_) => vec![],
        Err(e) => e.0.iter().map(|p| format!("{}:{}: {}", p.line, p.col, p.message)).collect(),
    }
}

/// The Chicago text with field `field` (1-based) of line `line` (1-based) replaced.
fn with_field(line: usize, field: usize, value: &str) -> String {
    with_line(line, |l| {
        let mut fields: Vec<&str> = l.split(',').collect();
        fields[field - 1] = value;
        fields.join(",")
    })
}

/// The Chicago text with line `line` (1-based) rewritten.
fn with_line(line: usize, f: impl Fn(&str) -> String) -> String {
    let text = chicago_text();
    let lines: Vec<String> =
        text.lines().enumerate().map(|(i, l)| if i + 1 == line { f(l) } else { l.to_string() }).collect();
    lines.join("\n") + "\n"
}

/// The Chicago text's lines, to cut and splice.
fn chicago_lines() -> Vec<String> {
    chicago_text().lines().map(str::to_string).collect()
}

#[test]
fn chicago_file_has_8760_hours() {
    let year = chicago();
    assert_eq!(year.hours().len(), 8760);
    assert_eq!(year.duration_s(), 8760.0 * 3600.0);
    assert!(year.filled().is_empty(), "{}", year.filled());
    let loc = year.location();
    assert_eq!((loc.city.as_str(), loc.country.as_str(), loc.wmo.as_str()), ("Chicago Ohare Intl Ap", "USA", "725300"));
    assert_eq!((loc.latitude_deg, loc.longitude_deg, loc.time_zone_h, loc.elevation_m), (41.98, -87.92, -6.0, 201.0));
    // Line 9 (the first row) and the last line, as written in the file.
    let first = year.hours()[0];
    assert_eq!((first.month, first.day, first.hour), (1, 1, 1));
    assert_eq!((first.dry_c, first.dew_point_c, first.pressure_pa), (-12.2, -16.1, 99_500.0));
    let last = year.hours()[8759];
    assert_eq!((last.month, last.day, last.hour, last.dry_c, last.dew_point_c), (12, 31, 24, -6.1, -8.9));
    // Every hour's wet bulb lies between its dew point and dry bulb.
    for h in year.hours() {
        assert!(h.dew_point_c - 1e-3 <= h.wet_c && h.wet_c <= h.dry_c, "{h:?}");
    }
}

/// The header's design conditions, as `../shared/weather/README.md` lists them (ASHRAE Handbook
/// 2009, line 2 of the file).
#[test]
fn chicago_design_conditions_are_read_from_the_header() {
    let year = chicago();
    let d = year.design_conditions().unwrap();
    assert_eq!(d.source, "Climate Design Data 2009 ASHRAE Handbook");
    let c = &d.cooling;
    assert_eq!((c.hottest_month, c.daily_range_k), (Some(7), Some(10.5)));
    let dry = |p| (c.dry_bulb(p).dry_c.unwrap(), c.dry_bulb(p).wet_c.unwrap());
    assert_eq!(dry(Percentile::P0_4), (33.3, 23.7));
    assert_eq!(dry(Percentile::P1), (31.6, 23.0));
    assert_eq!(dry(Percentile::P2), (30.1, 22.1));
    let evaporation = |p| (c.evaporation(p).wet_c.unwrap(), c.evaporation(p).dry_c.unwrap());
    assert_eq!(evaporation(Percentile::P0_4), (25.5, 31.2));
    assert_eq!(evaporation(Percentile::P2), (23.5, 28.1));
    assert_eq!(c.dehumidification[0].dew_point_c, Some(23.8));
    assert_eq!((d.heating.coldest_month, d.heating.dry_bulb_c), (Some(1), [Some(-20.0), Some(-16.6)]));
    assert_eq!(d.heating.humidification[0].dry_c, Some(-19.2));
    let e = &d.extremes;
    assert_eq!(e.wet_bulb_max_c, Some(28.5));
    assert_eq!(e.return_period[ReturnPeriod::N20 as usize].max_c, Some(39.5));
    assert_eq!(e.return_period[ReturnPeriod::N50 as usize].min_c, Some(-35.5));

    // The design days of `--design-day`.
    let point = |name: &str| year.design_point(name.parse::<DesignDay>().unwrap()).unwrap();
    let p = point("0.4%");
    assert_eq!((p.dry_c, p.wet_c), (33.3, 23.7));
    let p = point("extreme-wb");
    assert_eq!((p.dry_c, p.wet_c), (31.2, 28.5));
    // n20: the 0.4 % design air (same humidity ratio) at the 20-year extreme dry bulb.
    let p = point("n20");
    let pressure_pa = psychro::standard_pressure_pa(201.0);
    let w = |dry, wet| psychro::humidity_ratio_at_wet_bulb_kg_kg(dry, wet, pressure_pa);
    assert_eq!(p.dry_c, 39.5);
    assert!((w(p.dry_c, p.wet_c) - w(33.3, 23.7)).abs() < 2e-6, "{p:?}");
    // PsychroLib 2.5.0: GetTWetBulbFromHumRatio(39.5, GetHumRatioFromTWetBulb(33.3, 23.7, P), P)
    // with P = GetStandardAtmPressure(201) = 98,933.5 Pa gives 25.289 °C.
    assert!((p.wet_c - 25.289).abs() < 0.01, "{p:?}");
    assert_eq!(
        "0.3%".parse::<DesignDay>().unwrap_err(),
        "unknown design day `0.3%`; expected one of 0.4%, 1%, 2%, 0.4%-wb, 1%-wb, 2%-wb, n5, n10, n20, n50, extreme-wb"
    );
    for (name, day) in DesignDay::NAMES {
        assert_eq!(day.to_string(), name);
        assert!(year.design_point(day).is_ok(), "{name}");
    }
}

/// Real files leave design values blank or carry none (`DESIGN CONDITIONS,0`): the year still
/// loads, and asking for a design day says what is missing.
#[test]
fn design_conditions_may_be_incomplete_or_absent() {
    let blank = WeatherYear::parse(with_field(2, 24, "").as_bytes(), "blank.epw").unwrap_or_else(|e| panic!("{e}"));
    let design = blank.design_conditions().unwrap();
    assert_eq!(design.cooling.dry_bulb(Percentile::P0_4).dry_c, None);
    assert_eq!(design.cooling.dry_bulb(Percentile::P0_4).wet_c, Some(23.7));
    let err = blank.design_point(DesignDay::DryBulb(Percentile::P0_4)).unwrap_err();
    assert_eq!(err, "the weather file's design conditions have no 0.4 % cooling dry bulb");
    // n20 pairs its dry bulb with the 0.4 % point's air, so it needs that point too.
    assert_eq!(blank.design_point(DesignDay::ReturnPeriod(ReturnPeriod::N20)).unwrap_err(), err);
    assert!(blank.design_point(DesignDay::ExtremeWetBulb).is_ok());

    let none = with_line(2, |_| "DESIGN CONDITIONS,0".into());
    let none = WeatherYear::parse(none.as_bytes(), "none.epw").unwrap_or_else(|e| panic!("{e}"));
    assert!(none.design_conditions().is_none());
    assert_eq!(
        none.design_point(DesignDay::ExtremeWetBulb).unwrap_err(),
        "the weather file has no design conditions in its header"
    );
}

/// Wet bulbs against published values, within 0.1 K.
#[test]
fn wet_bulbs_match_published_values() {
    // ASHRAE Handbook—Fundamentals 2017, ch. 1, Example 1: 40 °C dry bulb, 20 °C wet bulb at
    // 101.325 kPa has a humidity ratio of 0.0065 kg/kg. Back from that humidity ratio:
    assert!((psychro::wet_bulb_c(40.0, 0.0065, 101_325.0) - 20.0).abs() < 0.1);
    // PsychroLib's tests (tests/test_psychrolib_si.py, test_HumRatio_TWetBulb): the humidity
    // ratios of 25 °C wet bulb at 30 °C and of −5 °C at −1 °C, 95,461 Pa (computed there in Excel).
    assert!(
        (psychro::humidity_ratio_at_wet_bulb_kg_kg(30.0, 25.0, 95_461.0) / 0.019_228_127_424_109_6 - 1.0).abs() < 3e-4
    );
    assert!((psychro::wet_bulb_c(30.0, 0.019_228_127_424_109_6, 95_461.0) - 25.0).abs() < 0.1);
    assert!((psychro::wet_bulb_c(-1.0, 0.001_203_998_199_338_44, 95_461.0) - (-5.0)).abs() < 0.1);
    // PsychroLib 2.5.0 GetTWetBulbFromTDewPoint(dry bulb, dew point, pressure), SI, over the
    // range an EPW file spans (ice below 0 °C wet bulb, water above). The first row is line 9
    // of the Chicago file.
    let cases = [
        (-12.2, -16.1, 99_500.0, -13.0517),
        (-30.0, -35.0, 101_325.0, -30.2542),
        (-1.0, -8.0, 99_000.0, -3.5588),
        (0.5, -2.0, 101_325.0, -0.6050),
        (10.0, 5.0, 101_325.0, 7.4936),
        (20.0, 10.0, 101_325.0, 14.1306),
        (25.0, 20.0, 95_461.0, 21.4499),
        (30.0, 22.0, 98_000.0, 24.1567),
        (35.0, 24.0, 101_325.0, 26.7772),
        (40.0, 7.0, 101_325.0, 19.8561),
        (45.0, -20.0, 101_325.0, 16.9696),
    ];
    for (dry, dew, p, published) in cases {
        let wet = psychro::wet_bulb_from_dew_point_c(dry, dew, p);
        assert!((wet - published).abs() < 0.1, "{dry} / {dew} °C at {p} Pa: {wet}, PsychroLib {published}");
        // Same equations, so far closer than the 0.1 K asked.
        assert!((wet - published).abs() < 0.005, "{dry} / {dew} °C at {p} Pa: {wet}, PsychroLib {published}");
    }
    assert!((chicago().hours()[0].wet_c - (-13.0517)).abs() < 0.005);
}

/// The header's humidification (heating) and dehumidification (cooling) design points give each
/// dew point's humidity ratio at the station's standard pressure (Chicago, 201 m): the equations
/// reproduce the Handbook's table within its rounding (dew point to 0.1 K moves the ratio by up
/// to 0.06 g/kg), over ice below 0 °C (over water −25.7 °C would be 0.48 g/kg, not 0.4).
#[test]
fn humidity_ratios_of_the_design_dew_points_match_the_header() {
    let year = chicago();
    let pressure_pa = psychro::standard_pressure_pa(year.location().elevation_m);
    let design = year.design_conditions().unwrap();
    let points: Vec<_> = design.heating.humidification.iter().chain(&design.cooling.dehumidification).collect();
    let dew_points: Vec<f64> = points.iter().map(|p| p.dew_point_c.unwrap()).collect();
    assert_eq!(dew_points, [-25.7, -22.1, 23.8, 22.9, 21.9]);
    for p in points {
        let (dew, table_g_kg) = (p.dew_point_c.unwrap(), p.humidity_ratio_g_kg.unwrap());
        let g_kg = 1000.0 * psychro::humidity_ratio_kg_kg(psychro::saturation_pressure_pa(dew), pressure_pa);
        assert!((g_kg - table_g_kg).abs() < 0.1, "dew point {dew} °C: {g_kg} g/kg, header {table_g_kg}");
    }
}

/// Malformed copies of the Chicago file: every problem at its line and column (where the bad
/// field starts), all of them at once, never a panic.
#[test]
fn malformed_files_are_reported_at_line_and_column() {
    let lines = chicago_lines();
    let joined = |lines: &[String]| lines.join("\n") + "\n";
    let mut not_utf8 = chicago_text().into_bytes();
    let at = not_utf8.iter().position(|&b| b == b'?').unwrap(); // line 9, column 14
    not_utf8[at] = 0xFF;
    let truncated = {
        let row: Vec<&str> = lines[5008].split(',').take(8).collect();
        lines[..5008].join("\n") + "\n" + &row.join(",") + ",7"
    };
    let swapped = {
        let mut l = lines.clone();
        l.swap(9, 10);
        joined(&l)
    };
    let gap = {
        let mut text = chicago_text();
        for line in 9..=18 {
            text = text
                .lines()
                .enumerate()
                .map(|(i, l)| {
                    if i + 1 == line {
                        let mut f: Vec<&str> = l.split(',').collect();
                        f[6] = "99.9";
                        f.join(",")
                    } else {
                        l.to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join("\n");
        }
        text
    };
    let one_extra = joined(&[lines.clone(), vec![lines[8767].clone()]].concat());
    let cases: Vec<(&str, Vec<u8>, Vec<&str>)> = vec![
        (
            "empty file",
            vec![],
            vec![
                "1:1: the weather file is empty: an EPW file has header lines (LOCATION … DATA PERIODS), then one row per hour",
            ],
        ),
        (
            "short row",
            with_line(9, |l| l.split(',').take(10).collect::<Vec<_>>().join(",")).into(),
            vec![
                "9:85: short row: 10 of 35 fields (extraterrestrial horizontal radiation and the fields after it are missing)",
            ],
        ),
        ("non-numeric dry bulb", with_field(9, 7, "abc").into(), vec!["9:65: dry bulb is not a number: `abc`"]),
        ("month 13", with_field(9, 2, "13").into(), vec!["9:6: month must be 1 to 12 (got 13)"]),
        (
            "hour 25",
            with_field(9, 4, "25").into(),
            vec!["9:10: hour must be 1 to 24 (got 25): hour 1 is the hour ending at 01:00"],
        ),
        (
            "29 February in a year without one",
            with_line(1425, |l| l.replacen(",3,1,1,", ",2,29,1,", 1)).into(),
            vec![
                "1425:8: day 29 does not exist in month 2 (28 days; the file does not observe leap years: its HOLIDAYS/DAYLIGHT SAVINGS line says No)",
            ],
        ),
        (
            "missing header line",
            joined(&lines[1..]).into(),
            vec![
                "1:1: no LOCATION line: an EPW file starts with `LOCATION,city,region,country,source,WMO,latitude,longitude,time zone,elevation`",
            ],
        ),
        (
            "unknown header line",
            joined(&[&lines[..7], &["COMMENTS 3,hello".to_string()], &lines[7..]].concat()).into(),
            vec![
                "8:1: unknown header line `COMMENTS 3`; an EPW file's header lines are LOCATION, DESIGN CONDITIONS, TYPICAL/EXTREME PERIODS, GROUND TEMPERATURES, HOLIDAYS/DAYLIGHT SAVINGS, COMMENTS 1, COMMENTS 2, DATA PERIODS",
            ],
        ),
        (
            "truncated file",
            truncated.into(),
            vec![
                "5009:77: short row: 9 of 35 fields (station pressure and the fields after it are missing)",
                "5010:1: the weather file ends after 5,001 hourly rows; the data period 1/1 to 12/31 has 8,760 hours, one row each",
            ],
        ),
        (
            "too few rows",
            joined(&lines[..8767]).into(),
            vec![
                "8768:1: the weather file ends after 8,759 hourly rows; the data period 1/1 to 12/31 has 8,760 hours, one row each",
            ],
        ),
        (
            "too many rows",
            one_extra.into(),
            vec!["8769:1: more rows than hours in the data period: 1/1 to 12/31 has 8,760 hours, this is row 8,761"],
        ),
        (
            "rows out of order",
            swapped.into(),
            vec!["10:6: expected the row of 1/1 hour 2 here (rows run hour by hour from 1/1 hour 1), found 1/1 hour 3"],
        ),
        (
            "dry bulb out of physical range",
            with_field(9, 7, "75").into(),
            vec!["9:65: dry bulb must be between -70 and 60 °C (got 75): the range of recorded outdoor temperatures"],
        ),
        (
            "dew point above dry bulb",
            with_field(9, 8, "5.0").into(),
            vec!["9:71: dew point 5 °C is above the dry bulb -12.2 °C (air holds no more water than at saturation)"],
        ),
        (
            "bad pressure",
            with_field(9, 10, "5000").into(),
            vec![
                "9:80: station pressure must be above 31000 and at most 120000 Pa (got 5000): the EPW format's range, the standard atmosphere from 9 km above to 1.5 km below sea level; 999999 marks a missing value",
            ],
        ),
        (
            "non-UTF-8 row",
            not_utf8,
            vec!["9:14: not UTF-8 text: byte 0xFF here (save the weather file as UTF-8 or ASCII)"],
        ),
        (
            "dry bulb missing for too long",
            gap.into(),
            vec![
                "9:65: dry bulb is missing for 10 hours in a row (lines 9 to 18); at most 6 are filled by interpolation",
            ],
        ),
        (
            "sub-hourly data",
            with_field(8, 3, "4").into(),
            vec!["8:16: 4 records per hour; only hourly files (1 record per hour) are read"],
        ),
        (
            "part of a year",
            with_line(8, |_| "DATA PERIODS,1,1,Data,Sunday, 6/ 1,8/31".into()).into(),
            vec![
                "8:30: the data period must be the whole year, 1/1 to 12/31 (it repeats year after year); this one is 6/ 1 to 8/31",
            ],
        ),
        (
            "design value not a number",
            with_field(2, 24, "3x.3").into(),
            vec!["2:158: Cooling value 3 (DB004, 0.4 % dry bulb) is not a number: `3x.3`"],
        ),
        (
            "design section cut short",
            with_line(2, |l| l.replace(",Extremes,11.1,9.4,", ",Extremes,")).into(),
            vec!["2:299: Extremes is followed by 14 values; the ASHRAE Handbook's layout (2009 to 2017) has 16"],
        ),
        (
            "latitude out of range",
            with_field(1, 7, "141.98").into(),
            vec!["1:51: latitude must be between -90 and 90 ° (got 141.98): degrees north"],
        ),
        (
            "several problems at once",
            {
                let text = with_field(9, 2, "13");
                let mut l: Vec<String> = text.lines().map(str::to_string).collect();
                l[99] = l[99].replacen(",-", ",x-", 1);
                l[4999].push_str(",extra");
                joined(&l).into()
            },
            vec!["9:6: month must be 1 to 12 (got 13)", "100:66: dry bulb is not a number: `x-5.0`"],
        ),
    ];
    assert!(cases.len() >= 12);
    for (what, bytes, expected) in cases {
        assert_eq!(problems(&bytes), expected, "{what}");
    }
    // Only the header: no rows at all.
    assert_eq!(
        problems(joined(&lines[..8]).as_bytes()),
        ["9:1: the weather file ends after 0 hourly rows; the data period 1/1 to 12/31 has 8,760 hours, one row each"]
    );
    // A file that cannot be read names itself.
    let err = WeatherYear::load("no/such/file.epw".as_ref()).unwrap_err();
    assert_eq!(err.0.len(), 1);
    assert!(err.to_string().starts_with("no/such/file.epw:1:1: cannot read weather file: "), "{err}");
}

/// A file of nothing but bad rows lists the first 100 problems and says there are more.
#[test]
fn problems_are_capped() {
    let text: String = chicago_text()
        .lines()
        .enumerate()
        .map(|(i, l)| if i >= 8 { l.replacen(',', ",x", 1) } else { l.to_string() } + "\n")
        .collect();
    let p = problems(text.as_bytes());
    assert_eq!(p.len(), dctwin::weather::epw::MAX_PROBLEMS + 1);
    assert_eq!(p[0], "9:6: month is not a whole number: `x1`");
    assert!(p.contains(&"108:1: more problems follow; only the first 100 are listed".to_string()), "{p:?}");
}

/// Missing-value markers are filled, never read as data: a 3-hour gap of dry bulb is
/// interpolated, a missing dew point comes from the relative humidity, a missing pressure from
/// the station's elevation.
#[test]
fn missing_values_are_filled_not_read() {
    let year = chicago();
    let mut text = with_field(10, 7, "99.9");
    for (line, field, value) in [(11, 7, "99.9"), (12, 7, ""), (20, 8, "99.9"), (30, 10, "999999")] {
        let lines: Vec<String> = text
            .lines()
            .enumerate()
            .map(|(i, l)| {
                if i + 1 != line {
                    return l.to_string();
                }
                let mut f: Vec<&str> = l.split(',').collect();
                f[field - 1] = value;
                f.join(",")
            })
            .collect();
        text = lines.join("\n");
    }
    let filled_year = WeatherYear::parse(text.as_bytes(), "gaps.epw").unwrap_or_else(|e| panic!("{e}"));
    let f = filled_year.filled();
    assert_eq!((f.dry_bulb_interpolated, f.dew_point_from_humidity, f.pressure_standard), (3, 1, 1), "{f}");
    assert_eq!(
        f.to_string(),
        "3 h dry bulb interpolated, 1 h dew point from relative humidity, 1 h station pressure from the standard atmosphere"
    );
    // Lines 10–12 lie between line 9 (−12.2 °C) and line 13 (row 4: −11.1 °C).
    let (h, orig) = (filled_year.hours(), year.hours());
    for (k, hour) in h.iter().enumerate().take(4).skip(1) {
        let expected = orig[0].dry_c + (orig[4].dry_c - orig[0].dry_c) * k as f64 / 4.0;
        assert!((hour.dry_c - expected).abs() < 1e-9, "{k}: {}", hour.dry_c);
    }
    // Line 20's dew point (−9.4 °C at −3.3 °C, 63 %) from its relative humidity, over water: the
    // file's within the rounding of the humidity to 1 %.
    assert!(
        (h[11].dew_point_c - orig[11].dew_point_c).abs() < 0.15,
        "{} vs {}",
        h[11].dew_point_c,
        orig[11].dew_point_c
    );
    assert_eq!(h[21].pressure_pa, psychro::standard_pressure_pa(201.0));
}

/// A file that observes leap years has 8,784 rows with 29 February.
#[test]
fn leap_year_has_29_february() {
    let lines = chicago_lines();
    let feb_28 = &lines[1400..1424]; // lines 1401–1424: 2/28 hours 1–24
    assert!(feb_28[0].contains(",2,28,1,") && feb_28[23].contains(",2,28,24,"));
    let feb_29: Vec<String> = feb_28.iter().map(|l| l.replacen(",2,28,", ",2,29,", 1)).collect();
    let mut out: Vec<String> = lines[..1424].to_vec();
    out[4] = "HOLIDAYS/DAYLIGHT SAVINGS,Yes,0,0,0".into();
    out.extend(feb_29);
    out.extend_from_slice(&lines[1424..]);
    let year = WeatherYear::parse((out.join("\n") + "\n").as_bytes(), "leap.epw").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(year.hours().len(), 8784);
    let (a, b) = (year.hours()[1416], year.hours()[1440]);
    assert_eq!((a.month, a.day, a.hour, b.month, b.day, b.hour), (2, 29, 1, 3, 1, 1));
    assert_eq!(year.duration_s(), 366.0 * 86_400.0);
}

/// Row k (0-based) is the reading at (k + 1):00; half an hour between two readings is their mean;
/// before 01:00 on 1 January the year's last reading (24:00 on 31 December) is the start; a
/// second year repeats the first.
#[test]
fn interpolation_within_the_hour_and_across_the_year() {
    let year = chicago();
    let h = year.hours();
    let n = h.len();
    let close = |a: (f64, f64), b: (f64, f64)| (a.0 - b.0).abs() < 1e-9 && (a.1 - b.1).abs() < 1e-9;
    for k in [1, 2, 12, 4000, 5000, 8759] {
        assert!(close(year.at(k as f64 * 3600.0), (h[k - 1].dry_c, h[k - 1].wet_c)), "reading at {k}:00");
        let mean = (0.5 * (h[k - 1].dry_c + h[k].dry_c), 0.5 * (h[k - 1].wet_c + h[k].wet_c));
        assert!(close(year.at((k as f64 + 0.5) * 3600.0), mean), "half past {k}:00");
    }
    assert!(close(year.at(0.0), (h[n - 1].dry_c, h[n - 1].wet_c)));
    let first_half_hour = (0.5 * (h[n - 1].dry_c + h[0].dry_c), 0.5 * (h[n - 1].wet_c + h[0].wet_c));
    assert!(close(year.at(1800.0), first_half_hour));
    for t in [0.0, 1234.5, 200.25 * 86_400.0] {
        assert!(close(year.at(t + year.duration_s()), year.at(t)), "{t}");
        assert!(close(year.at(t - year.duration_s()), year.at(t)), "{t}");
    }
    // Interpolated wet bulbs stay at or below the dry bulb.
    for s in 0..(n * 4) {
        let (dry, wet) = year.at(s as f64 * 900.0);
        assert!(wet <= dry + 1e-12, "{s}");
    }
}

/// The hours a cooling tower could free-cool (wet bulb ≤ a limit), counted by the weather year,
/// by sampling `at` at each reading, and directly from the file's text.
#[test]
fn wet_bulb_hours_match_a_direct_count() {
    let year = chicago();
    // Direct: split each row, compute its wet bulb, count.
    let direct: Vec<f64> = chicago_text()
        .lines()
        .skip(8)
        .map(|l| {
            let f: Vec<f64> = l.split(',').skip(6).take(4).map(|v| v.parse().unwrap()).collect();
            psychro::wet_bulb_from_dew_point_c(f[0], f[1], f[3])
        })
        .collect();
    assert_eq!(direct.len(), 8760);
    for limit_c in [-10.0, 0.0, 12.0, 18.5, 24.0] {
        let counted = direct.iter().filter(|&&w| w <= limit_c).count();
        let sampled = (1..=8760).filter(|&k| year.at(k as f64 * 3600.0).1 <= limit_c).count();
        assert_eq!(year.hours_with_wet_bulb_at_or_below(limit_c), counted, "{limit_c}");
        assert_eq!(sampled, counted, "{limit_c}");
    }
    // Chicago's wet bulb exceeds the 0.4 % evaporation design value (25.5 °C) in about 35 hours of
    // a typical year: the TMY3 year is within a factor of three of that.
    let above = 8760 - year.hours_with_wet_bulb_at_or_below(25.5);
    assert!((12..=105).contains(&above), "{above} h above 25.5 °C wet bulb");
}

/// The AI hall with its outdoor conditions from the Chicago file, written as
/// `ambient: (epw: "weather/chicago.epw")` in a scratch folder with the file beside it.
fn ai_hall_on_chicago(dir: &std::path::Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(root().join("sites/ai_hall_20mw.ron")).unwrap();
    let line = text.lines().find(|l| l.trim_start().starts_with("ambient:")).expect("the hall has an ambient line");
    let text = text.replace(line, r#"    ambient: (epw: "weather/chicago.epw"),"#);
    std::fs::create_dir_all(dir.join("weather")).unwrap();
    std::fs::copy(root().join(CHICAGO), dir.join("weather/chicago.epw")).unwrap();
    let site = dir.join("hall.ron");
    std::fs::write(&site, text).unwrap();
    site
}

/// Two versions of a site naming the same weather file whose year differs (a file edited
/// between two revisions): the diff lists `ambient.weather` with each year's range, where the
/// site files alone show no change.
#[test]
fn the_diff_names_a_changed_weather_year() {
    let catalog = dctwin::catalog::Catalog::builtin();
    let (a, b) = (crate::support::fresh_dir("weather-diff-a"), crate::support::fresh_dir("weather-diff-b"));
    let old = dctwin::site::load::load_site(&ai_hall_on_chicago(&a), &catalog).unwrap_or_else(|e| panic!("{e}"));
    let path = ai_hall_on_chicago(&b);
    // Every hour 10 K warmer (dry bulb and dew point alike, so the dew point stays below).
    let text = std::fs::read_to_string(root().join(CHICAGO)).unwrap();
    let warmer: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, line)| {
            if i < 8 {
                return line.to_string();
            }
            let mut fields: Vec<String> = line.split(',').map(str::to_string).collect();
            for f in [6, 7] {
                fields[f] = format!("{:.1}", fields[f].parse::<f64>().unwrap() + 10.0);
            }
            fields.join(",")
        })
        .collect();
    std::fs::write(b.join("weather/chicago.epw"), warmer.join("\n") + "\n").unwrap();
    let new = dctwin::site::load::load_site(&path, &catalog).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(old.to_ron_string(), new.to_ron_string(), "the site files are alike");

    let d = dctwin::study::diff::diff(&old, &new, "a/hall.ron", "b/hall.ron", &catalog);
    assert!(d.elements.is_empty() && d.rooms.is_empty() && !d.is_empty());
    let [change] = d.settings.as_slice() else { panic!("one setting changed: {:?}", d.settings) };
    let text = |v: &Option<serde_json::Value>| v.as_ref().and_then(|v| v.as_str()).unwrap().to_string();
    let (before, after) = (text(&change.before), text(&change.after));
    assert_eq!(change.field, "ambient.weather");
    let year = chicago();
    let max = year.hours().iter().map(|h| h.dry_c).fold(f64::NEG_INFINITY, f64::max);
    assert!(
        before.contains(&format!("to {max:.1} °C")) && after.contains(&format!("to {:.1} °C", max + 10.0)),
        "{before} → {after}"
    );
    assert!(before.contains(": 8760 h,") && after.contains(": 8760 h,"), "{before}");
    // The same year on both sides: nothing to list.
    assert!(dctwin::study::diff::diff(&old, &old.clone(), "a", "b", &catalog).is_empty());
}

/// `ambient: (epw: ...)` is read relative to the site file and drives the outdoor conditions
/// hour by hour (interpolated within the hour); saving writes the reference back, not the year.
#[test]
fn a_site_reads_its_weather_file_relative_to_itself() {
    let dir = crate::support::fresh_dir("weather-site");
    let path = ai_hall_on_chicago(&dir);
    let site =
        dctwin::site::load::load_site(&path, &dctwin::catalog::Catalog::builtin()).unwrap_or_else(|e| panic!("{e}"));
    let year = chicago();
    let ambient = site.ambient.as_ref().unwrap();
    for t in [0.0, 1800.0, 200.5 * 86_400.0, 8759.5 * 3600.0] {
        assert_eq!(ambient.at(t), year.at(t), "t = {t} s");
    }
    // Half past 1 on 1 January: halfway between the readings of 01:00 and 02:00.
    let (a, b) = (year.hours()[0], year.hours()[1]);
    let (dry, wet) = ambient.at(5400.0);
    assert!((dry - (a.dry_c + b.dry_c) / 2.0).abs() < 1e-9 && (wet - (a.wet_c + b.wet_c) / 2.0).abs() < 1e-9);
    // A run of 3 h ends with the outdoor air of 03:00.
    let options = dctwin::headless::RunOptions {
        duration: std::time::Duration::from_secs(3 * 3600),
        step: std::time::Duration::from_secs(3600),
    };
    let report = dctwin::headless::run(&site, &dctwin::catalog::Catalog::builtin(), &options, "hall.ron");
    let reading = year.hours()[2];
    assert_eq!(report.thermal.unwrap().ambient_c, (reading.dry_c, reading.wet_c));
    let weather = report.weather.expect("a weather section");
    assert_eq!((weather.hours, weather.file.as_str()), (3.0, "weather/chicago.epw"));
    let saved = site.to_ron_string();
    assert!(saved.contains(r#"ambient: (epw: "weather/chicago.epw"),"#), "{saved}");
}

/// A weather file that cannot be read, one given beside constant conditions, and a malformed
/// one: each refused where it is written (the site's `epw` field, or the EPW file's line).
#[test]
fn weather_file_problems_point_at_the_file_and_line() {
    let dir = crate::support::fresh_dir("weather-problems");
    let path = ai_hall_on_chicago(&dir);
    let text = std::fs::read_to_string(&path).unwrap();
    let line = 1 + text.lines().position(|l| l.contains("ambient: (epw:")).unwrap();
    let catalog = dctwin::catalog::Catalog::builtin();
    let problems_of = |text: &str| -> Vec<String> {
        std::fs::write(&path, text).unwrap();
        match dctwin::site::load::load_site(&path, &catalog) {
            Ok(_) => vec![],
            Err(e) => e.0.iter().map(|p| format!("{}:{}:{}: {}", p.file, p.line, p.col, p.message)).collect(),
        }
    };
    let site = path.display().to_string();
    let missing = problems_of(&text.replace("weather/chicago.epw", "weather/nowhere.epw"));
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert!(
        missing[0].starts_with(&format!(
            "{site}:{line}:20: cannot read weather file {}",
            dir.join("weather/nowhere.epw").display()
        )),
        "{missing:?}"
    );
    let both = problems_of(&text.replace("(epw:", "(dry_bulb_c: 30.0, epw:"));
    assert_eq!(
        both,
        [format!(
            "{site}:{line}:27: `dry_bulb_c` and `epw` both give the outdoor conditions: keep one (the weather file, or constant conditions)"
        )]
    );
    let neither = problems_of(&text.replace(r#"(epw: "weather/chicago.epw")"#, "(wet_bulb_c: 20.0)"));
    assert_eq!(neither.len(), 1, "{neither:?}");
    assert!(neither[0].contains("missing field `dry_bulb_c`"), "{neither:?}");
    // Line 20 of the weather file (a data row) with a dry bulb that is no number.
    let epw = dir.join("weather/chicago.epw");
    std::fs::write(&epw, with_field(20, 7, "warm")).unwrap();
    let bad = problems_of(&text);
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert!(bad[0].starts_with(&format!("{}:20:", epw.display())), "{bad:?}");
}

/// Seconds of the year the interpolated wet bulb is at most `limit_c`: each hour between two
/// readings is a straight line, so the share of it below the limit is exact.
fn seconds_with_wet_bulb_at_or_below(year: &WeatherYear, limit_c: f64) -> f64 {
    let hours = year.hours();
    let n = hours.len();
    (0..n)
        .map(|k| {
            // From the reading at k:00 (row k − 1, the year's last at 00:00) to row k.
            let (a, b) = (hours[(k + n - 1) % n].wet_c, hours[k].wet_c);
            let share = match (a <= limit_c, b <= limit_c) {
                (true, true) => 1.0,
                (false, false) => 0.0,
                (true, false) => (limit_c - a) / (b - a),
                (false, true) => (limit_c - b) / (a - b),
            };
            share * 3600.0
        })
        .sum()
}

/// A year of the AI hall on Chicago weather in hour steps: each loop free-cools for as long as
/// its towers' wet bulb + approach is at most its setpoint, counted here from the file alone;
/// the towers-only W32 loop is above its setpoint the rest of the year and never leaves W32;
/// the annual PUE is the year's energy ratio.
#[test]
fn a_year_of_chicago_weather_free_cools_as_the_wet_bulb_allows() {
    let dir = crate::support::fresh_dir("weather-year");
    let catalog = dctwin::catalog::Catalog::builtin();
    let site = dctwin::site::load::load_site(&ai_hall_on_chicago(&dir), &catalog).unwrap_or_else(|e| panic!("{e}"));
    let year = chicago();
    let options = dctwin::headless::RunOptions {
        duration: std::time::Duration::from_secs_f64(year.duration_s()),
        step: std::time::Duration::from_secs(3600),
    };
    let report = dctwin::headless::run(&site, &catalog, &options, "hall.ron");
    let weather = report.weather.as_ref().expect("a weather section");
    assert_eq!(weather.hours, 8760.0);
    let approach_k = catalog.heat_rejection["tower-4000kw"].approach_k;
    for (id, setpoint_c) in [("FWS", 30.0), ("CHW", 8.0)] {
        let l = weather.water_loops.iter().find(|l| l.id == id).unwrap();
        assert_eq!(l.setpoint_c, setpoint_c);
        let limit_c = setpoint_c - approach_k;
        let exact_h = seconds_with_wet_bulb_at_or_below(&year, limit_c) / 3600.0;
        let readings = year.hours_with_wet_bulb_at_or_below(limit_c) as f64;
        let crossings = year.hours().windows(2).filter(|w| (w[0].wet_c <= limit_c) != (w[1].wet_c <= limit_c)).count();
        // The plant takes the weather at the middle of 10 s sub-steps: within 5 s of each crossing.
        assert!(
            (l.free_cooling_h - exact_h).abs() <= crossings as f64 * 5.0 / 3600.0 + 1e-6,
            "{id}: {} h free cooling, {exact_h} h of wet bulb ≤ {limit_c} °C",
            l.free_cooling_h
        );
        assert!((l.free_cooling_h - readings).abs() <= crossings as f64 / 2.0 + 1.0, "{id}: {readings} readings");
        assert!(exact_h > 1.0 && exact_h < 8759.0, "{id}: both modes occur in Chicago ({exact_h} h)");
    }
    let fws = weather.water_loops.iter().find(|l| l.id == "FWS").unwrap();
    // Above its setpoint it floats, at most the year's highest wet bulb + the approach.
    let max_wet = year.hours().iter().map(|h| h.wet_c).fold(f64::MIN, f64::max);
    assert!(fws.max_supply_c <= max_wet + approach_k + 0.01 && fws.max_supply_c > 30.0, "{}", fws.max_supply_c);
    assert!(fws.over_setpoint_h > 0.0 && fws.over_setpoint_h + fws.free_cooling_h <= 8760.0 + 1.0);
    let e = &report.energy;
    assert_eq!(report.totals.pue_energy_weighted, Some(e.grid_import_kwh / e.it_kwh));
    assert!(
        weather
            .hottest
            .as_ref()
            .is_some_and(|h| h.dry_bulb_c == year.hours().iter().map(|h| h.dry_c).fold(f64::MIN, f64::max))
    );
}
