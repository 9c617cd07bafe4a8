//! Reading site files: RON parsing with positions, then validation.

use std::path::Path;

use ron::extensions::Extensions;
use serde::de::DeserializeOwned;

use super::SiteFile;
use super::problem::{Problem, Problems};
use crate::catalog::Catalog;

/// The RON options every dctwin file is read and written with: `Some(..)` may be left out.
pub fn ron_options() -> ron::Options {
    ron::Options::default().with_default_extension(Extensions::IMPLICIT_SOME)
}

/// Parses RON text into `T`; a syntax or shape error becomes a located [`Problem`].
pub fn parse_ron<T: DeserializeOwned>(text: &str, file: &str) -> Result<T, Problems> {
    ron_options().from_str(text).map_err(|e| {
        Problems::single(Problem {
            file: file.to_string(),
            line: e.span.start.line.max(1),
            col: e.span.start.col.max(1),
            message: describe_ron_error(&e.code),
        })
    })
}

/// RON's messages, reworded where they would puzzle a planner.
fn describe_ron_error(code: &ron::Error) -> String {
    use ron::Error as E;
    match code {
        E::MissingStructField { field, outer } => match outer {
            Some(outer) => format!("missing field `{field}` in {}", describe_outer(outer)),
            None => format!("missing field `{field}`"),
        },
        E::NoSuchStructField {
            expected,
            found,
            outer,
        } => {
            let known = expected.join("`, `");
            match outer {
                Some(outer) => format!(
                    "unknown field `{found}` in {}; expected one of `{known}`",
                    describe_outer(outer)
                ),
                None => format!("unknown field `{found}`; expected one of `{known}`"),
            }
        }
        E::DuplicateStructField { field, .. } => format!("field `{field}` is given twice"),
        other => other.to_string(),
    }
}

fn describe_outer(outer: &str) -> String {
    let what = match outer {
        "SiteFile" => "the site",
        "GridFeedSpec" => "a grid feed",
        "TransformerSpec" => "a transformer",
        "UpsSpec" => "a UPS",
        "DistributionSpec" => "a distribution element",
        "RackSpec" => "a rack",
        "FeederSpec" => "a feeder",
        other => return format!("`{other}`"),
    };
    what.to_string()
}

/// Reads a site file from disk, parses and validates it against `catalog`.
pub fn load_site(path: &Path, catalog: &Catalog) -> Result<SiteFile, Problems> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| {
        Problems::single(Problem::file(
            file.clone(),
            format!("cannot read site file: {e}"),
        ))
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        Problems::single(Problem::file(
            file.clone(),
            format!("site file is not UTF-8 text: {e}"),
        ))
    })?;
    parse_site(&text, &file, catalog)
}

/// Parses and validates site text; `file` names it in messages.
pub fn parse_site(text: &str, file: &str, catalog: &Catalog) -> Result<SiteFile, Problems> {
    let site: SiteFile = parse_ron(text, file)?;
    super::validate::validate(&site, text, file, catalog)?;
    Ok(site)
}
