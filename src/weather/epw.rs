//! Our own reader of EnergyPlus weather (EPW) files: the header lines and one row per hour,
//! every problem reported at its `file:line:col`, never a panic.
//!
//! The format (EnergyPlus Auxiliary Programs, "EnergyPlus Weather File (EPW) Data Dictionary"):
//! comma-separated header lines opened by a keyword (`LOCATION`, `DESIGN CONDITIONS`,
//! `TYPICAL/EXTREME PERIODS`, `GROUND TEMPERATURES`, `HOLIDAYS/DAYLIGHT SAVINGS`,
//! `COMMENTS 1`, `COMMENTS 2`, `DATA PERIODS`), then rows of 35 fields: year, month, day, hour
//! (1–24, the hour ending then), minute, source flags, dry bulb °C, dew point °C, relative
//! humidity %, station pressure Pa, and radiation, wind, sky and precipitation fields this
//! reader does not use. What is read, and what is required:
//! * `LOCATION` and `DATA PERIODS` are required (the elevation gives the pressure where a row
//!   has none; the data period must be one whole year, hourly, so that it can repeat);
//!   `HOLIDAYS/DAYLIGHT SAVINGS` says whether the year has a 29 February (default: no);
//!   `DESIGN CONDITIONS` is optional ([`super::design`]). Header lines may come in any order;
//!   the first line that does not start with a letter starts the rows.
//! * Rows must run hour by hour from 1/1 hour 1 to 12/31 hour 24 (8,760 rows, 8,784 with a
//!   29 February). The year field is not checked against anything (typical-year files mix
//!   years from month to month).
//! * Missing-value markers follow the data dictionary (dry bulb and dew point ≥ 99.9, relative
//!   humidity ≥ 999, pressure ≥ 999999; a blank field is missing too) and are filled as
//!   [`super::FilledValues`] says. A value present but outside the format's range (dry bulb and
//!   dew point within [`OUTDOOR_C`], as a site's ambient must be) is a problem.
//! * Data rows must be UTF-8 (they are ASCII in every real file); header text (city names,
//!   comments) is read leniently, since older files carry Latin-1 names.

use std::borrow::Cow;
use std::io::Read;
use std::path::Path;

use super::design::{self, DesignConditions, Section};
use super::{FilledValues, Location, WeatherHour, WeatherYear, psychro};
use crate::constraint::{Constraint, OUTDOOR_C};
use crate::site::problem::{Problem, Problems, short_id};

/// Problems listed before the reader stops (a file of garbage would otherwise give a million).
pub const MAX_PROBLEMS: usize = 100;

/// Largest file read: an hourly EPW file is about 1.6 MB.
pub const MAX_FILE_BYTES: u64 = 32 << 20;

/// Longest run of hours with a missing dry bulb (or dew point) that is filled by linear
/// interpolation; a longer one is a problem (a day's swing cannot be guessed from its ends).
pub const MAX_FILLED_GAP_H: usize = 6;

/// A dew point above the dry bulb by at most this is a sensor's error, taken as saturated air;
/// by more, the row is wrong.
pub const DEW_POINT_EXCESS_K: f64 = 0.5;

/// The fields of a data row, in order (what a short row is missing is named from this).
pub const ROW_FIELDS: [&str; 35] = [
    "year",
    "month",
    "day",
    "hour",
    "minute",
    "data source and uncertainty flags",
    "dry bulb",
    "dew point",
    "relative humidity",
    "station pressure",
    "extraterrestrial horizontal radiation",
    "extraterrestrial direct normal radiation",
    "horizontal infrared radiation intensity",
    "global horizontal radiation",
    "direct normal radiation",
    "diffuse horizontal radiation",
    "global horizontal illuminance",
    "direct normal illuminance",
    "diffuse horizontal illuminance",
    "zenith luminance",
    "wind direction",
    "wind speed",
    "total sky cover",
    "opaque sky cover",
    "visibility",
    "ceiling height",
    "present weather observation",
    "present weather codes",
    "precipitable water",
    "aerosol optical depth",
    "snow depth",
    "days since last snowfall",
    "albedo",
    "liquid precipitation depth",
    "liquid precipitation quantity",
];

/// Fields of a row this reader uses: year to station pressure.
const USED_FIELDS: usize = 10;

/// The header keywords, in the order files write them.
const HEADERS: [&str; 8] = [
    "LOCATION",
    "DESIGN CONDITIONS",
    "TYPICAL/EXTREME PERIODS",
    "GROUND TEMPERATURES",
    "HOLIDAYS/DAYLIGHT SAVINGS",
    "COMMENTS 1",
    "COMMENTS 2",
    "DATA PERIODS",
];

/// Relative humidity, % ([`ROW_FIELDS`] 9).
const RELATIVE_HUMIDITY: Constraint =
    Constraint::range(0.0, 110.0, "%", "the EPW format's range; 999 marks a missing value");

/// Station pressure, Pa ([`ROW_FIELDS`] 10).
const STATION_PRESSURE_PA: Constraint = Constraint::above(
    31_000.0,
    120_000.0,
    "Pa",
    "the EPW format's range, the standard atmosphere from 9 km above to 1.5 km below sea level; 999999 marks a missing value",
);

/// The missing-value markers: a value at or above is missing.
const MISSING_TEMPERATURE_C: f64 = 99.9;
const MISSING_HUMIDITY: f64 = 999.0;
const MISSING_PRESSURE_PA: f64 = 999_999.0;

/// Reads and parses an EPW file.
pub fn load(path: &Path) -> Result<WeatherYear, Problems> {
    let file = path.display().to_string();
    let cannot =
        |e: std::io::Error| Problems::single(Problem::file(file.clone(), format!("cannot read weather file: {e}")));
    let mut bytes = Vec::new();
    std::fs::File::open(path).and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)).map_err(cannot)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        let message =
            format!("weather file is larger than {} MB; an hourly EPW file is about 1.6 MB", MAX_FILE_BYTES >> 20);
        return Err(Problems::single(Problem::file(file, message)));
    }
    parse(&bytes, &file)
}

/// Parses EPW text read from `file`.
pub fn parse(bytes: &[u8], file: &str) -> Result<WeatherYear, Problems> {
    let mut reader = Reader { file, problems: Problems::default(), full: false };
    match reader.read(bytes) {
        Some(year) if reader.problems.is_empty() => Ok(year),
        _ => {
            let mut problems = reader.problems;
            if problems.is_empty() {
                problems.push(Problem::file(file.to_string(), "weather file could not be read".into()));
            }
            problems.0.sort();
            problems.0.dedup();
            Err(problems)
        }
    }
}

/// One comma-separated field: its text and the byte where it starts in its line.
#[derive(Clone, Copy)]
struct Field<'a> {
    text: &'a str,
    start: usize,
}

/// The fields of `line`.
fn fields(line: &str) -> Vec<Field<'_>> {
    let mut start = 0;
    line.split(',')
        .map(|text| {
            let f = Field { text, start };
            start += text.len() + 1;
            f
        })
        .collect()
}

/// 1-based column (in characters) of byte `byte` of `line`.
fn col(line: &str, byte: usize) -> usize {
    line.get(..byte).map_or(byte, |s| s.chars().count()) + 1
}

/// A number field: `Ok(None)` when blank, an error sentence when not a finite number.
fn number(name: &str, text: &str) -> Result<Option<f64>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(Some(v)),
        _ => Err(format!("{name} is not a number: `{}`", short_id(t))),
    }
}

/// A whole-number field that must be given.
fn whole(name: &str, text: &str) -> Result<i64, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(format!("{name} is blank"));
    }
    t.parse::<i64>().map_err(|_| format!("{name} is not a whole number: `{}`", short_id(t)))
}

/// Days in `month` (1–12) of a year with or without 29 February.
fn days_in(month: i64, leap: bool) -> i64 {
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `n` with thousands separated by commas, as the messages write counts of rows.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A header line, decoded leniently (its text fields may be Latin-1).
struct HeaderLine<'a> {
    number: usize,
    text: Cow<'a, str>,
}

/// A data row as read: `None` values are missing (marked or blank) or were refused.
struct Row {
    line: usize,
    dry_c: Option<f64>,
    dew_point_c: Option<f64>,
    humidity_pct: Option<f64>,
    pressure_pa: Option<f64>,
    /// Columns of the dry-bulb and dew-point fields, for problems found after reading.
    dry_col: usize,
    dew_col: usize,
}

/// The problems found so far, and whether [`MAX_PROBLEMS`] was reached.
struct Reader<'f> {
    file: &'f str,
    problems: Problems,
    full: bool,
}

impl Reader<'_> {
    /// Records a problem; false once [`MAX_PROBLEMS`] are recorded (then the reader stops).
    fn problem(&mut self, line: usize, col: usize, message: impl Into<String>) -> bool {
        if self.problems.0.len() >= MAX_PROBLEMS {
            self.full = true;
            return false;
        }
        self.problems.push(Problem { file: self.file.to_string(), line, col, message: message.into() });
        true
    }

    /// Reads the whole file: `Some` year when nothing is wrong with it.
    fn read(&mut self, bytes: &[u8]) -> Option<WeatherYear> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let mut lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').map(|l| l.strip_suffix(b"\r").unwrap_or(l)).collect();
        while lines.last().is_some_and(|l| l.iter().all(u8::is_ascii_whitespace)) {
            lines.pop();
        }
        if lines.is_empty() {
            self.problem(
                1,
                1,
                "the weather file is empty: an EPW file has header lines (LOCATION … DATA PERIODS), then one row per hour",
            );
            return None;
        }
        let header_count = lines
            .iter()
            .take_while(|l| l.iter().find(|b| !b.is_ascii_whitespace()).is_some_and(u8::is_ascii_alphabetic))
            .count();
        let headers: Vec<HeaderLine> = lines[..header_count]
            .iter()
            .enumerate()
            .map(|(i, l)| HeaderLine { number: i + 1, text: String::from_utf8_lossy(l) })
            .collect();
        let (location, design, leap) = self.read_header(&headers, header_count + 1);
        let rows = self.read_rows(&lines[header_count..], header_count + 1, leap);
        if self.full {
            let line = self.problems.0.last().map_or(1, |p| p.line);
            self.problems.0.push(Problem {
                file: self.file.to_string(),
                line,
                col: 1,
                message: format!("more problems follow; only the first {MAX_PROBLEMS} are listed"),
            });
            return None;
        }
        if !self.problems.is_empty() {
            return None;
        }
        let (hours, filled) = self.fill(rows, location.elevation_m)?;
        Some(WeatherYear { location, design, hours, filled })
    }

    /// Reads the header lines: the location, the design conditions and whether the rows
    /// include 29 February.
    fn read_header(
        &mut self,
        headers: &[HeaderLine],
        first_row_line: usize,
    ) -> (Location, Option<DesignConditions>, bool) {
        let mut seen: [Option<usize>; HEADERS.len()] = [None; HEADERS.len()];
        let mut location = Location::default();
        let mut design = None;
        let mut leap = false;
        for h in headers {
            let fields = fields(&h.text);
            let keyword = fields[0].text.trim().to_ascii_uppercase();
            // The data dictionary spells it SAVING, the files SAVINGS.
            let keyword = if keyword == "HOLIDAYS/DAYLIGHT SAVING" { HEADERS[4].to_string() } else { keyword };
            let Some(kind) = HEADERS.iter().position(|k| *k == keyword) else {
                self.problem(
                    h.number,
                    1,
                    format!(
                        "unknown header line `{}`; an EPW file's header lines are {}",
                        short_id(fields[0].text.trim()),
                        HEADERS.join(", ")
                    ),
                );
                continue;
            };
            if let Some(first) = seen[kind] {
                self.problem(h.number, 1, format!("second {keyword} line (the first is line {first})"));
                continue;
            }
            seen[kind] = Some(h.number);
            match kind {
                0 => location = self.read_location(h, &fields),
                1 => design = self.read_design(h, &fields),
                4 => leap = self.read_leap(h, &fields),
                7 => self.read_data_period(h, &fields),
                _ => {}
            }
        }
        if seen[0].is_none() {
            self.problem(
                1,
                1,
                "no LOCATION line: an EPW file starts with `LOCATION,city,region,country,source,WMO,latitude,longitude,time zone,elevation`",
            );
        }
        if seen[7].is_none() {
            self.problem(
                first_row_line,
                1,
                "no DATA PERIODS line before the hourly rows: expected `DATA PERIODS,1,1,Data,Sunday,1/1,12/31`",
            );
        }
        (location, design, leap)
    }

    /// Reports a header line with fewer fields than `expected` after its keyword (`what` lists them).
    fn too_few_fields(&mut self, h: &HeaderLine, fields: &[Field], expected: usize, what: &str) -> bool {
        if fields.len() > expected {
            return false;
        }
        let keyword = fields[0].text.trim();
        let message =
            format!("{keyword} has {} fields; expected {expected} after the keyword: {what}", fields.len() - 1);
        self.problem(h.number, col(&h.text, h.text.len()), message);
        true
    }

    /// `LOCATION,city,region,country,source,WMO,latitude,longitude,time zone,elevation`.
    fn read_location(&mut self, h: &HeaderLine, fields: &[Field]) -> Location {
        let what = "city, region, country, source, WMO number, latitude, longitude, time zone, elevation";
        if self.too_few_fields(h, fields, 9, what) {
            return Location::default();
        }
        let text = |i: usize| fields[i].text.trim().to_string();
        const NUMBERS: [(&str, Constraint); 4] = [
            ("latitude", Constraint::range(-90.0, 90.0, "°", "degrees north")),
            ("longitude", Constraint::range(-180.0, 180.0, "°", "degrees east")),
            ("time zone", Constraint::range(-12.0, 14.0, "h", "hours from UTC")),
            ("elevation", Constraint::range(-1000.0, 9999.9, "m", "the EPW format's range")),
        ];
        let mut values = [0.0; 4];
        for (k, (name, constraint)) in NUMBERS.iter().enumerate() {
            let f = fields[6 + k];
            // A blank takes the data dictionary's default, 0.
            let checked = number(name, f.text).and_then(|v| {
                let v = v.unwrap_or(0.0);
                constraint.problem(name, v).map_or(Ok(v), Err)
            });
            match checked {
                Ok(v) => values[k] = v,
                Err(message) => {
                    self.problem(h.number, col(&h.text, f.start), message);
                }
            }
        }
        Location {
            city: text(1),
            region: text(2),
            country: text(3),
            source: text(4),
            wmo: text(5),
            latitude_deg: values[0],
            longitude_deg: values[1],
            time_zone_h: values[2],
            elevation_m: values[3],
        }
    }

    /// `DESIGN CONDITIONS,count,source,,Heating,…,Cooling,…,Extremes,…` ([`design`]).
    fn read_design(&mut self, h: &HeaderLine, fields: &[Field]) -> Option<DesignConditions> {
        let count = fields.get(1).map_or(Ok(0), |f| {
            if f.text.trim().is_empty() { Ok(0) } else { whole("number of design conditions", f.text) }
        });
        match count {
            Ok(0) => return None,
            Ok(n) if n > 0 => {}
            Ok(n) => {
                self.problem(
                    h.number,
                    col(&h.text, fields[1].start),
                    format!("number of design conditions must not be negative (got {n})"),
                );
                return None;
            }
            Err(message) => {
                self.problem(h.number, col(&h.text, fields[1].start), message);
                return None;
            }
        }
        let source = fields.get(2).map_or(String::new(), |f| f.text.trim().to_string());
        let keyword_at = |s: &Section| {
            fields.iter().skip(3).position(|f| f.text.trim().eq_ignore_ascii_case(s.keyword)).map(|i| i + 3)
        };
        let starts: Vec<Option<usize>> = design::SECTIONS.iter().map(|s| keyword_at(s)).collect();
        let mut values: Vec<Vec<Option<f64>>> = Vec::new();
        for (s, section) in design::SECTIONS.iter().enumerate() {
            let mut v = vec![None; section.values.len()];
            if let Some(start) = starts[s] {
                let end = starts.iter().flatten().copied().filter(|&i| i > start).min().unwrap_or(fields.len());
                self.read_design_section(h, section, &fields[start..end], &mut v);
            }
            values.push(v);
        }
        Some(DesignConditions::from_values(source, &values[0], &values[1], &values[2]))
    }

    /// The values after one section's keyword (`fields[0]`), into `out`.
    fn read_design_section(&mut self, h: &HeaderLine, section: &Section, fields: &[Field], out: &mut [Option<f64>]) {
        let expected = section.values.len();
        let given = fields.len() - 1;
        let extra_given = fields.iter().skip(expected + 1).any(|f| !f.text.trim().is_empty());
        if given < expected || extra_given {
            let message = format!(
                "{} is followed by {given} values; the ASHRAE Handbook's layout (2009 to 2017) has {expected}",
                section.keyword
            );
            self.problem(h.number, col(&h.text, fields[0].start), message);
            return;
        }
        for (i, (f, (key, meaning))) in fields[1..].iter().zip(section.values).enumerate() {
            let name = format!("{} value {} ({key}, {meaning})", section.keyword, i + 1);
            let value = number(&name, f.text).and_then(|v| match v {
                Some(m) if *key == "Month" && !(m.fract() == 0.0 && (1.0..=12.0).contains(&m)) => {
                    Err(format!("{name} must be a month, 1 to 12 (got {m})"))
                }
                v => Ok(v),
            });
            match value {
                Ok(v) => out[i] = v,
                Err(message) => {
                    self.problem(h.number, col(&h.text, f.start), message);
                }
            }
        }
    }

    /// `HOLIDAYS/DAYLIGHT SAVINGS,leap year observed,…`: whether the rows include 29 February.
    fn read_leap(&mut self, h: &HeaderLine, fields: &[Field]) -> bool {
        let Some(f) = fields.get(1) else { return false };
        match f.text.trim().to_ascii_lowercase().as_str() {
            "yes" => true,
            "no" | "" => false,
            other => {
                let message = format!("leap year observed must be Yes or No (got `{}`)", short_id(other));
                self.problem(h.number, col(&h.text, f.start), message);
                false
            }
        }
    }

    /// `DATA PERIODS,1,1,name,start weekday,1/1,12/31`: one period, hourly, the whole year.
    fn read_data_period(&mut self, h: &HeaderLine, fields: &[Field]) {
        let what = "number of periods, records per hour, name, start weekday, start date, end date";
        if self.too_few_fields(h, fields, 6, what) {
            return;
        }
        let at = |f: &Field| col(&h.text, f.start);
        let single = [
            (1, "number of data periods", "data periods; only files with one data period are read"),
            (2, "records per hour", "records per hour; only hourly files (1 record per hour) are read"),
        ];
        for (i, name, refusal) in single {
            match whole(name, fields[i].text) {
                Ok(1) => {}
                Ok(n) => {
                    self.problem(h.number, at(&fields[i]), format!("{n} {refusal}"));
                }
                Err(message) => {
                    self.problem(h.number, at(&fields[i]), message);
                }
            }
        }
        let dates = [(fields[5], "start date", (1, 1)), (fields[6], "end date", (12, 31))];
        for (f, name, whole_year) in dates {
            match month_day(f.text) {
                Some(md) if md == whole_year => {}
                Some(_) => {
                    let message = format!(
                        "the data period must be the whole year, 1/1 to 12/31 (it repeats year after year); this one is {} to {}",
                        fields[5].text.trim(),
                        fields[6].text.trim()
                    );
                    self.problem(h.number, at(&fields[5]), message);
                    return;
                }
                None => {
                    let message = format!("{name} `{}` is not a date such as 1/1 (month/day)", short_id(f.text.trim()));
                    self.problem(h.number, at(&f), message);
                }
            }
        }
    }

    /// Reads the data rows (`lines`, the first being line `first_line` of the file).
    fn read_rows(&mut self, lines: &[&[u8]], first_line: usize, leap: bool) -> Vec<Row> {
        let expected_rows = 24 * if leap { 366 } else { 365 };
        let mut rows = Vec::with_capacity(expected_rows);
        // The month, day and hour the next row must have; reported once (after one row is
        // missing, every later row is "wrong").
        let (mut month, mut day, mut hour) = (1, 1, 1);
        let mut sequence_reported = false;
        for (i, bytes) in lines.iter().enumerate() {
            let line = first_line + i;
            if i == expected_rows {
                let message = format!(
                    "more rows than hours in the data period: 1/1 to 12/31 has {} hours, this is row {}",
                    thousands(expected_rows),
                    thousands(i + 1)
                );
                self.problem(line, 1, message);
                break;
            }
            // A line that cannot be read still takes its hour's place.
            let row = match std::str::from_utf8(bytes) {
                Ok(text) => self.read_row(line, text, leap, (month, day, hour), &mut sequence_reported),
                Err(e) => {
                    let good = std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or("");
                    let message = format!(
                        "not UTF-8 text: byte 0x{:02X} here (save the weather file as UTF-8 or ASCII)",
                        bytes[e.valid_up_to()]
                    );
                    self.problem(line, good.chars().count() + 1, message);
                    None
                }
            };
            rows.extend(row);
            if self.full {
                break;
            }
            // Advance the expected date by one hour.
            hour += 1;
            if hour > 24 {
                hour = 1;
                day += 1;
                if day > days_in(month, leap) {
                    day = 1;
                    month += 1;
                }
            }
        }
        if lines.len() < expected_rows && !self.full {
            let message = format!(
                "the weather file ends after {} hourly rows; the data period 1/1 to 12/31 has {} hours, one row each",
                thousands(lines.len()),
                thousands(expected_rows)
            );
            self.problem(first_line + lines.len(), 1, message);
        }
        rows
    }

    /// One data row; `expected` is the (month, day, hour) it must have. `None` when it is empty.
    fn read_row(
        &mut self,
        line: usize,
        text: &str,
        leap: bool,
        expected: (i64, i64, i64),
        sequence_reported: &mut bool,
    ) -> Option<Row> {
        if text.trim().is_empty() {
            let (m, d, h) = expected;
            self.problem(line, 1, format!("empty line where the row of {m}/{d} hour {h} should be"));
            return None;
        }
        let mut used = [Field { text: "", start: text.len() }; USED_FIELDS];
        let mut count = 0;
        let mut start = 0;
        for f in text.split(',') {
            if count < USED_FIELDS {
                used[count] = Field { text: f, start };
            }
            start += f.len() + 1;
            count += 1;
        }
        if count < ROW_FIELDS.len() {
            let message = format!(
                "short row: {count} of {} fields ({} and the fields after it are missing)",
                ROW_FIELDS.len(),
                ROW_FIELDS[count]
            );
            self.problem(line, col(text, text.len()), message);
        }
        let at = |i: usize| col(text, used[i].start);
        let present = count.min(USED_FIELDS);
        // Year, month, day, hour, minute: whole numbers in range.
        let mut date = [0i64; 5];
        let mut date_ok = true;
        for (i, value) in date.iter_mut().enumerate().take(present.min(5)) {
            match whole(ROW_FIELDS[i], used[i].text) {
                Ok(v) => *value = v,
                Err(message) => {
                    date_ok = false;
                    self.problem(line, at(i), message);
                }
            }
        }
        date_ok &= present >= 5;
        let [_, month, day, hour, minute] = date;
        if date_ok {
            let mut ok = true;
            if !(1..=12).contains(&month) {
                self.problem(line, at(1), format!("month must be 1 to 12 (got {month})"));
                ok = false;
            } else if day < 1 || day > days_in(month, leap) {
                let days = days_in(month, leap);
                let why = if month == 2 && day == 29 {
                    "; the file does not observe leap years: its HOLIDAYS/DAYLIGHT SAVINGS line says No"
                } else {
                    ""
                };
                self.problem(line, at(2), format!("day {day} does not exist in month {month} ({days} days{why})"));
                ok = false;
            }
            if !(1..=24).contains(&hour) {
                self.problem(
                    line,
                    at(3),
                    format!("hour must be 1 to 24 (got {hour}): hour 1 is the hour ending at 01:00"),
                );
                ok = false;
            }
            if !(0..=60).contains(&minute) {
                self.problem(line, at(4), format!("minute must be 0 to 60 (got {minute})"));
                ok = false;
            }
            if ok && !*sequence_reported && (month, day, hour) != expected {
                *sequence_reported = true;
                let (m, d, h) = expected;
                let message = format!(
                    "expected the row of {m}/{d} hour {h} here (rows run hour by hour from 1/1 hour 1), found {month}/{day} hour {hour}"
                );
                self.problem(line, at(1), message);
            }
        }
        // Dry bulb, dew point, relative humidity, station pressure: `None` when missing.
        let read = |this: &mut Self, i: usize, missing: f64, range: &Constraint| -> Option<f64> {
            if i >= present {
                return None;
            }
            match number(ROW_FIELDS[i], used[i].text) {
                Ok(Some(v)) if v >= missing => None,
                Ok(Some(v)) => match range.problem(ROW_FIELDS[i], v) {
                    None => Some(v),
                    Some(message) => {
                        this.problem(line, at(i), message);
                        None
                    }
                },
                Ok(None) => None,
                Err(message) => {
                    this.problem(line, at(i), message);
                    None
                }
            }
        };
        let dry_c = read(self, 6, MISSING_TEMPERATURE_C, &OUTDOOR_C);
        let dew_point_c = read(self, 7, MISSING_TEMPERATURE_C, &OUTDOOR_C);
        let humidity_pct = read(self, 8, MISSING_HUMIDITY, &RELATIVE_HUMIDITY);
        let pressure_pa = read(self, 9, MISSING_PRESSURE_PA, &STATION_PRESSURE_PA);
        if let (Some(dry), Some(dew)) = (dry_c, dew_point_c)
            && dew > dry + DEW_POINT_EXCESS_K
        {
            self.problem(
                line,
                at(7),
                format!(
                    "dew point {dew} °C is above the dry bulb {dry} °C (air holds no more water than at saturation)"
                ),
            );
        }
        Some(Row { line, dry_c, dew_point_c, humidity_pct, pressure_pa, dry_col: at(6), dew_col: at(7) })
    }

    /// Fills missing values (see [`FilledValues`]) and works out the wet bulbs; `None` with
    /// problems when a gap is too long to fill.
    fn fill(&mut self, rows: Vec<Row>, elevation_m: f64) -> Option<(Vec<WeatherHour>, FilledValues)> {
        let mut filled = FilledValues::default();
        let mut dry: Vec<Option<f64>> = rows.iter().map(|r| r.dry_c).collect();
        filled.dry_bulb_interpolated = self.fill_gaps(&mut dry, &rows, "dry bulb", |r| r.dry_col);
        let mut dew: Vec<Option<f64>> = rows.iter().map(|r| r.dew_point_c).collect();
        for (i, r) in rows.iter().enumerate() {
            if let (None, Some(rh), Some(db)) = (dew[i], r.humidity_pct, dry[i]) {
                // Meteorological humidity: relative to liquid water, below 0 °C too (the Chicago
                // file's dew points and humidities agree to 0.05 K on average so, 0.5 K over ice).
                let vapour_pa = rh / 100.0 * psychro::saturation_pressure_over_water_pa(db);
                dew[i] = Some(psychro::dew_point_over_water_c(vapour_pa));
                filled.dew_point_from_humidity += 1;
            }
        }
        filled.dew_point_interpolated = self.fill_gaps(&mut dew, &rows, "dew point", |r| r.dew_col);
        if !self.problems.is_empty() {
            return None;
        }
        let standard_pa = psychro::standard_pressure_pa(elevation_m);
        let mut month_day_hour = (1u8, 1u8, 1u8);
        let leap = rows.len() > 8760;
        let hours = rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let dry_c = dry[i].unwrap_or(f64::NAN);
                let mut dew_point_c = dew[i].unwrap_or(f64::NAN);
                if dew_point_c > dry_c {
                    dew_point_c = dry_c;
                    filled.dew_point_capped += 1;
                }
                let pressure_pa = r.pressure_pa.unwrap_or_else(|| {
                    filled.pressure_standard += 1;
                    standard_pa
                });
                let (month, day, hour) = month_day_hour;
                month_day_hour = next_hour(month_day_hour, leap);
                let wet_c = psychro::wet_bulb_from_dew_point_c(dry_c, dew_point_c, pressure_pa);
                WeatherHour { month, day, hour, dry_c, dew_point_c, pressure_pa, wet_c }
            })
            .collect();
        Some((hours, filled))
    }

    /// Fills each run of `None` in `values` (circular: the year repeats) by linear interpolation
    /// between its neighbours; a run longer than [`MAX_FILLED_GAP_H`] is a problem at its first
    /// row. Returns how many values were filled.
    fn fill_gaps(&mut self, values: &mut [Option<f64>], rows: &[Row], name: &str, col_of: fn(&Row) -> usize) -> usize {
        let n = values.len();
        let Some(first) = values.iter().position(Option::is_some) else {
            if let Some(r) = rows.first() {
                self.problem(r.line, col_of(r), format!("{name} is missing in every row"));
            }
            return 0;
        };
        let mut filled = 0;
        // Walk once around the year from a known value, one run of missing values at a time.
        let mut walked = 0;
        while walked < n {
            let i = (first + walked) % n;
            let gap = (1..n).take_while(|k| values[(i + k) % n].is_none()).count();
            if gap > MAX_FILLED_GAP_H {
                let (r, last) = (&rows[(i + 1) % n], &rows[(i + gap) % n]);
                let message = format!(
                    "{name} is missing for {gap} hours in a row (lines {} to {}); at most {MAX_FILLED_GAP_H} are filled by interpolation",
                    r.line, last.line
                );
                self.problem(r.line, col_of(r), message);
            } else if gap > 0 {
                let (a, b) = (values[i].unwrap_or(0.0), values[(i + gap + 1) % n].unwrap_or(0.0));
                for k in 1..=gap {
                    values[(i + k) % n] = Some(a + (b - a) * k as f64 / (gap + 1) as f64);
                }
                filled += gap;
            }
            walked += gap + 1;
        }
        filled
    }
}

/// The hour after `(month, day, hour)`.
fn next_hour((month, day, hour): (u8, u8, u8), leap: bool) -> (u8, u8, u8) {
    if hour < 24 {
        (month, day, hour + 1)
    } else if i64::from(day) < days_in(i64::from(month), leap) {
        (month, day + 1, 1)
    } else {
        (month % 12 + 1, 1, 1)
    }
}

/// A header date: `m/d` (spaces allowed, ` 1/ 1`) or a day of the year (`1`, `365`).
fn month_day(text: &str) -> Option<(i64, i64)> {
    let t = text.trim();
    if let Some((m, d)) = t.split_once('/') {
        let (m, d) = (m.trim().parse::<i64>().ok()?, d.trim().parse::<i64>().ok()?);
        return ((1..=12).contains(&m) && d >= 1 && d <= days_in(m, true)).then_some((m, d));
    }
    let mut day_of_year = t.parse::<i64>().ok()?;
    if !(1..=366).contains(&day_of_year) {
        return None;
    }
    for m in 1..=12 {
        let days = days_in(m, false);
        if day_of_year <= days {
            return Some((m, day_of_year));
        }
        day_of_year -= days;
    }
    Some((12, 31))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_written_with_thousands() {
        assert_eq!(thousands(8760), "8,760");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn header_dates() {
        assert_eq!(month_day(" 1/ 1"), Some((1, 1)));
        assert_eq!(month_day("12/31"), Some((12, 31)));
        assert_eq!(month_day("365"), Some((12, 31)));
        assert_eq!(month_day("32"), Some((2, 1)));
        assert_eq!(month_day("2/30"), None);
        assert_eq!(month_day("Jan 1"), None);
    }

    #[test]
    fn the_hour_after_the_last_of_a_month_is_the_first_of_the_next() {
        assert_eq!(next_hour((1, 31, 24), false), (2, 1, 1));
        assert_eq!(next_hour((2, 28, 24), false), (3, 1, 1));
        assert_eq!(next_hour((2, 28, 24), true), (2, 29, 1));
        assert_eq!(next_hour((12, 31, 24), false), (1, 1, 1));
    }
}
