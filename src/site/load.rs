//! Reading site files: RON parsing with positions, then validation.

use std::path::Path;

use ron::extensions::Extensions;
use serde::de::DeserializeOwned;

use super::SiteFile;
use super::compose::{Composition, ReadFile, read_from_disk};
use super::problem::{Problem, Problems};
use crate::catalog::Catalog;

/// The RON options every dctwin file is read and written with: `Some(..)` may be left out.
pub fn ron_options() -> ron::Options {
    ron::Options::default().with_default_extension(Extensions::IMPLICIT_SOME)
}

/// Parses RON text into `T`; a syntax or shape error becomes a located [`Problem`]. A UTF-8
/// byte-order mark (which some editors write) is skipped.
pub fn parse_ron<T: DeserializeOwned>(text: &str, file: &str) -> Result<T, Problems> {
    let text = strip_bom(text);
    ron_options().from_str(text).map_err(|e| {
        let (mut line, mut col) = (e.span.start.line.max(1), e.span.start.col.max(1));
        if !matches!(e.code, ron::Error::Eof) {
            // RON points at the end of what it read last (the space before a value of the wrong
            // type, the end of the value before stray text): the problem starts at the next token.
            (line, col) = next_token_after(text, line, col);
        }
        Problems::single(Problem {
            file: file.to_string(),
            line,
            col,
            message: super::problem::shorten_quoted(&describe_ron_error(&e.code)),
        })
    })
}

/// `text` without a leading UTF-8 byte-order mark.
pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// Line and column of the first character at or after (`line`, `col`) that is neither
/// whitespace nor inside a comment; (`line`, `col`) itself when there is none.
fn next_token_after(text: &str, line: usize, col: usize) -> (usize, usize) {
    let mut chars = text.chars().peekable();
    let (mut l, mut c) = (1usize, 1usize);
    while (l, c) < (line, col) {
        match chars.next() {
            Some('\n') => (l, c) = (l + 1, 1),
            Some(_) => c += 1,
            None => return (line, col),
        }
    }
    let mut in_line_comment = false;
    let mut block_depth = 0usize;
    while let Some(ch) = chars.next() {
        let next = chars.peek().copied();
        let here = (l, c);
        if ch == '\n' {
            (l, c) = (l + 1, 1);
            in_line_comment = false;
            continue;
        }
        c += 1;
        if in_line_comment || ch.is_whitespace() {
            continue;
        }
        if block_depth > 0 {
            if ch == '*' && next == Some('/') {
                chars.next();
                c += 1;
                block_depth -= 1;
            } else if ch == '/' && next == Some('*') {
                chars.next();
                c += 1;
                block_depth += 1;
            }
            continue;
        }
        match (ch, next) {
            ('/', Some('/')) => in_line_comment = true,
            ('/', Some('*')) => {
                chars.next();
                c += 1;
                block_depth = 1;
            }
            _ => return here,
        }
    }
    (line, col)
}

/// RON's messages, reworded where they would puzzle a planner.
fn describe_ron_error(code: &ron::Error) -> String {
    use ron::Error as E;
    match code {
        E::MissingStructField { field, outer } => match outer {
            Some(outer) => format!("missing field `{field}` in {}", describe_outer(outer)),
            None => format!("missing field `{field}`"),
        },
        E::NoSuchStructField { expected, found, outer } => {
            let known = expected.join("`, `");
            match outer {
                Some(outer) => {
                    format!("unknown field `{found}` in {}; expected one of `{known}`", describe_outer(outer))
                }
                None => format!("unknown field `{found}`; expected one of `{known}`"),
            }
        }
        E::NoSuchEnumVariant { expected, found, outer } => {
            let known = expected.join("`, `");
            let what = outer.as_deref().map_or_else(|| "variant".to_string(), describe_enum);
            format!("unknown {what} `{found}`; expected one of `{known}`")
        }
        E::DuplicateStructField { field, .. } => format!("field `{field}` is given twice"),
        E::ExpectedStructLike | E::ExpectedNamedStructLike(_) => "expected `(` opening a structure".into(),
        E::Eof => "unexpected end of file (a closing bracket is missing)".into(),
        E::TrailingCharacters => "unexpected text after the closing `)` (it must be the last thing in the file)".into(),
        other => other.to_string().replace("`SiteFile`", "the site"),
    }
}

fn describe_outer(outer: &str) -> String {
    // An element's spec or overrides, by the table of kinds: `CrahSpec` is a CRAH.
    let kind = |name: &str| crate::kinds::EquipmentKind::ALL.iter().find(|k| format!("{k:?}") == name).copied();
    if let Some(k) = outer.strip_suffix("Spec").and_then(kind) {
        return crate::kinds::with_article(k.noun());
    }
    if let Some(k) = outer.strip_suffix("Overrides").and_then(kind) {
        return format!("the overrides of {}", crate::kinds::with_article(k.noun()));
    }
    let what = match outer {
        "SiteFile" => "the site",
        "FeederSpec" => "a feeder",
        "IncludeSpec" => "an include",
        "AmbientSpec" => "the outdoor conditions (`ambient`)",
        "ScenarioFile" => "the scenario",
        "TimedEvent" => "an event",
        "TestFile" => "the test file",
        "Expectation" => "an expectation",
        other => return format!("`{other}`"),
    };
    what.to_string()
}

/// An enum's name for people, in "unknown ... `X`" messages.
fn describe_enum(name: &str) -> String {
    match name {
        "Event" => "event",
        "RackGroup" => "rack group",
        "UpsMode" => "UPS mode",
        "Containment" => "containment",
        "AshraeClass" => "ASHRAE class",
        "WaterClass" => "water class",
        "Check" => "check",
        "Severity" => "severity",
        "LimitKind" => "limit",
        other => return format!("variant of `{other}`"),
    }
    .to_string()
}

/// Reads a site file from disk (and the files it includes), parses and validates it against
/// `catalog`.
pub fn load_site(path: &Path, catalog: &Catalog) -> Result<SiteFile, Problems> {
    load_site_with_warnings(path, catalog).map(|(site, _)| site)
}

/// [`load_site`], also returning the plausibility warnings ([`super::validate::warnings`]).
pub fn load_site_with_warnings(path: &Path, catalog: &Catalog) -> Result<(SiteFile, Vec<Problem>), Problems> {
    load_composed(path, catalog, &read_from_disk).map(|(site, _, warnings)| (site, warnings))
}

/// Reads the site file `path` and the files it includes with `read`, composes, parses and
/// validates them: the composed site, how it is composed (to save it back into its files) and
/// the plausibility warnings. Every problem names the file and line where it is written.
pub fn load_composed(
    path: &Path,
    catalog: &Catalog,
    read: ReadFile,
) -> Result<(SiteFile, Composition, Vec<Problem>), Problems> {
    let composition = Composition::read(path, read)?;
    let mut site = composition.merged();
    let mut more = composition.problems(&site);
    let unread = read_weather(&mut site, path, read);
    let weather_lines = match unread {
        Err(WeatherUnread::File(message)) => {
            more.push(("ambient.epw".into(), message));
            None
        }
        Err(WeatherUnread::Lines(problems)) => Some(problems),
        Ok(()) => None,
    };
    let checked = super::validate::validate_located(&site, catalog, &composition, more);
    match (checked, weather_lines) {
        (Ok(()), None) => {}
        (Ok(()), Some(lines)) => return Err(lines),
        (Err(mut found), lines) => {
            // The reason it was not read is said already.
            found.0.retain(|p| !p.message.ends_with(NOT_READ));
            found.0.extend(lines.into_iter().flat_map(|l| l.0));
            return Err(found);
        }
    }
    let warnings = super::validate::warnings_located(&site, catalog, &composition);
    Ok((site, composition, warnings))
}

/// Why a site's weather file is not in it.
enum WeatherUnread {
    /// The file cannot be read: the message, located at `ambient.epw`.
    File(String),
    /// The file's own problems, located in it.
    Lines(Problems),
}

/// The end of validation's message for a weather file that was not read.
pub(crate) const NOT_READ: &str = "has not been read";

/// Reads the weather file the site's `ambient.epw` names (relative to the site file `path`,
/// with `read`, so a file of another revision reads its weather of that revision too) into the
/// site. Nothing to read when `epw` is absent, empty or given beside constant conditions
/// (validation says so).
fn read_weather(site: &mut SiteFile, path: &Path, read: ReadFile) -> Result<(), WeatherUnread> {
    let Some(ambient) = site.ambient.as_mut() else { return Ok(()) };
    let Some(epw) = ambient.epw.clone().filter(|e| !e.trim().is_empty()) else { return Ok(()) };
    if ambient.dry_bulb_c.is_some() || ambient.wet_bulb_c.is_some() || !ambient.hourly.is_empty() {
        return Ok(());
    }
    let file = path.parent().unwrap_or(Path::new("")).join(&epw);
    let bytes =
        read(&file).map_err(|e| WeatherUnread::File(format!("cannot read weather file {}: {e}", file.display())))?;
    let year = crate::weather::WeatherYear::parse(&bytes, &file.display().to_string()).map_err(WeatherUnread::Lines)?;
    ambient.weather = Some(super::cooling::LoadedWeather(std::sync::Arc::new(year)));
    Ok(())
}

/// Parses and validates site text; `file` names it in messages (and, when it includes other
/// files, says where they are on disk).
pub fn parse_site(text: &str, file: &str, catalog: &Catalog) -> Result<SiteFile, Problems> {
    let top = Path::new(file);
    let read = |p: &Path| if p == top { Ok(text.as_bytes().to_vec()) } else { read_from_disk(p) };
    load_composed(top, catalog, &read).map(|(site, _, _)| site)
}

/// The `//` comment lines before the first value (the site's description), minus the line
/// dctwin itself writes.
pub fn header_comment(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .take_while(|l| l.is_empty() || l.starts_with("//") || l.starts_with("#!["))
        .filter_map(|l| l.strip_prefix("//"))
        .map(|l| l.strip_prefix(' ').unwrap_or(l).to_string())
        .filter(|l| !l.starts_with(super::save::GENERATED_LINE))
        .collect()
}
