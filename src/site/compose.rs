//! Composed site files: a campus file that includes halls or rooms kept in other files.
//!
//! A site file may list `include: [(file: "halls/a.ron", prefix: "A/")]`. The included file is
//! a site file of its own (it may include others); its elements join the composed site with
//! their ids prefixed (`PDU-1` becomes `A/PDU-1`), so two teams' `PDU-1` do not collide.
//!
//! **References.** Inside a file a connection names an id the way its team sees it: an id of
//! the file itself or of a file it includes (`PDU-1`, `R1/PDU-3`) is resolved below the file's
//! own prefix; anything else is a qualified id of the composed site (`T-A1`, `B/UPS-2`), and
//! `/T-A1` says so explicitly when the file has an id of the same name. Common-mode group names
//! are site-wide (not prefixed), so one group can span files.
//!
//! **Where an element lives.** An element belongs to the file whose prefix is the longest one its
//! id starts with (the top file's prefix is empty). That is how saving writes each element back
//! to its file, new ones included (a rack added as `A/R-151` goes to hall A's file), and why a
//! file's ids may not start with an included file's prefix, nor one include's prefix with
//! another's. The outdoor conditions (`ambient`) are the top file's. One file may be included
//! more than once (two halls from one template); saving refuses edits that would make its
//! copies differ.
//!
//! Problems are located in the file and at the line where they are written, included files too:
//! validation works on the composed site and [`Composition::locate`] maps each element's path
//! back to its file.

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::problem::{Problem, Problems, shorten_quoted};
use super::source_map::SourceMap;
use super::spec::{LinkSlot, SiteSpec};
use super::{SiteElement, SiteFile};
use crate::kinds::EquipmentKind;

/// The most files one composed site may be read from: a campus of halls of rooms stays far
/// below it, while a file that includes another twice, nested, would double at every level.
pub const MAX_FILES: usize = 1000;

/// One `include` entry of a site file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IncludeSpec {
    /// The included site file, relative to the including file's folder.
    pub file: String,
    /// Put before every id of the included file (and of the files it includes in turn).
    pub prefix: String,
}

/// Reads a file's bytes (from disk, or from another source such as a git revision).
pub type ReadFile<'a> = &'a dyn Fn(&Path) -> Result<Vec<u8>, String>;

/// Reads files from disk.
pub fn read_from_disk(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| e.to_string())
}

/// One file of a composed site.
#[derive(Debug, Clone)]
pub struct Part {
    /// The file, as named in messages and written back to.
    pub path: PathBuf,
    /// The prefix of its ids in the composed site (empty for the top file).
    pub prefix: String,
    /// The part that includes it (`None` for the top file).
    pub parent: Option<usize>,
    /// The file as read.
    pub file: SiteFile,
    map: SourceMap,
}

impl Part {
    fn name(&self) -> String {
        self.path.display().to_string()
    }
}

/// A site read from one file and the files it includes (one part when it includes none).
#[derive(Debug, Clone)]
pub struct Composition {
    /// The files, the top file first, then each include depth-first in file order.
    pub parts: Vec<Part>,
    /// Per section of the composed site: the part and the index in that part's section of each
    /// element.
    origins: HashMap<EquipmentKind, Vec<(usize, usize)>>,
    /// The part and the index in that part's `rooms` of each room of the composed site.
    room_origins: Vec<(usize, usize)>,
}

/// `path` with `.` and `..` worked out lexically (git revisions and messages want plain paths):
/// how a composition names its files.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// The text of a site file, or the problem with its bytes.
fn decode(bytes: Vec<u8>, file: &str) -> Result<String, Problems> {
    String::from_utf8(bytes).map_err(|e| {
        let valid = String::from_utf8_lossy(&e.as_bytes()[..e.utf8_error().valid_up_to()]).into_owned();
        let line = valid.matches('\n').count() + 1;
        let col = valid.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        let message = "site file is not UTF-8 text: invalid byte here".to_string();
        Problems::single(Problem { file: file.to_string(), line, col, message })
    })
}

/// Rewrites every connection of `spec` with `f` (an unset connection stays unset).
fn map_links(spec: &mut dyn SiteSpec, f: &dyn Fn(&str) -> String) {
    for field in spec.link_fields() {
        match spec.link_slot(field.name) {
            Some(LinkSlot::One(s)) if !s.is_empty() => *s = f(s),
            Some(LinkSlot::Maybe(Some(s))) => *s = f(s),
            Some(LinkSlot::Many(v)) => v.iter_mut().filter(|s| !s.is_empty()).for_each(|s| *s = f(s)),
            _ => {}
        }
    }
}

impl Composition {
    /// Reads the site file `path` and every file it includes with `read`; problems of syntax,
    /// of the include lists (a missing file, a cycle, a bad prefix) and of what only the top
    /// file may hold are located in the file where they are written.
    pub fn read(path: &Path, read: ReadFile) -> Result<Composition, Problems> {
        let mut c = Composition { parts: Vec::new(), origins: HashMap::new(), room_origins: Vec::new() };
        let mut problems = Problems::default();
        let top = path.to_path_buf();
        let text = match read(&top) {
            Ok(bytes) => decode(bytes, &top.display().to_string())?,
            Err(e) => {
                return Err(Problems::single(Problem::file(
                    top.display().to_string(),
                    format!("cannot read site file: {e}"),
                )));
            }
        };
        c.add_part(top, text, String::new(), None, &mut Vec::new(), read, &mut problems);
        c.check_prefixes(&mut problems);
        problems.into_result(())?;
        c.index_origins();
        Ok(c)
    }

    /// Parses one file and, depth-first, what it includes.
    #[allow(clippy::too_many_arguments)]
    fn add_part(
        &mut self,
        path: PathBuf,
        text: String,
        prefix: String,
        parent: Option<usize>,
        stack: &mut Vec<PathBuf>,
        read: ReadFile,
        problems: &mut Problems,
    ) {
        let name = path.display().to_string();
        let text = super::load::strip_bom(&text);
        let mut file: SiteFile = match super::load::parse_ron(text, &name) {
            Ok(f) => f,
            Err(p) => {
                problems.0.extend(p.0);
                return;
            }
        };
        file.header = super::load::header_comment(text);
        let map = SourceMap::new(text);
        if parent.is_some() {
            if file.ambient.is_some() {
                problems.push(map.problem(
                    &name,
                    "ambient",
                    "an included file shares the outdoor conditions of the top file: give `ambient` there",
                ));
            }
            if file.economics.is_some() {
                problems.push(map.problem(
                    &name,
                    "economics",
                    "an included file shares the economics of the top file: give `economics` there",
                ));
            }
            if file.version != super::SITE_VERSION {
                problems.push(map.problem(
                    &name,
                    "version",
                    format!(
                        "unsupported site file version {}; this dctwin reads version {}",
                        file.version,
                        super::SITE_VERSION
                    ),
                ));
            }
        }
        let includes = file.include.clone();
        let index = self.parts.len();
        self.parts.push(Part { path: path.clone(), prefix: prefix.clone(), parent, file, map });
        stack.push(normalize(&path));
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        for (k, inc) in includes.iter().enumerate() {
            let at = |field: &str, message: String| {
                self.parts[index].map.problem(&name, &format!("include[{k}].{field}"), message)
            };
            if inc.prefix.is_empty() || inc.prefix.chars().any(|c| c.is_whitespace() || c.is_control()) {
                problems.push(at(
                    "prefix",
                    format!(
                        "include of \"{}\": the prefix must be a word without spaces put before its ids, like \"A/\"",
                        inc.file
                    ),
                ));
                continue;
            }
            if inc.prefix.starts_with('/') {
                problems
                    .push(at("prefix", format!("prefix \"{}\": `/` starts a qualified id, not a prefix", inc.prefix)));
                continue;
            }
            if self.parts.len() >= MAX_FILES {
                problems.push(at(
                    "file",
                    format!(
                        "more than {MAX_FILES} files in one site (a file included twice is counted twice): includes nested too deep or too wide"
                    ),
                ));
                break;
            }
            let child = normalize(&dir.join(&inc.file));
            if let Some(first) = stack.iter().position(|p| *p == child) {
                let chain: Vec<String> =
                    stack[first..].iter().chain([&child]).map(|p| p.display().to_string()).collect();
                problems.push(at("file", format!("includes form a cycle: {}", chain.join(" → "))));
                continue;
            }
            let child_name = child.display().to_string();
            let text = match read(&child) {
                Ok(bytes) => match decode(bytes, &child_name) {
                    Ok(t) => t,
                    Err(p) => {
                        problems.0.extend(p.0);
                        continue;
                    }
                },
                Err(e) => {
                    problems.push(at("file", format!("cannot read included file {child_name}: {e}")));
                    continue;
                }
            };
            self.add_part(child, text, format!("{prefix}{}", inc.prefix), Some(index), stack, read, problems);
        }
        stack.pop();
    }

    /// Each include's full prefix may not start another's unless that one is included by it:
    /// else an id could not say which file it belongs to.
    fn check_prefixes(&self, problems: &mut Problems) {
        for (j, b) in self.parts.iter().enumerate().skip(1) {
            for (i, a) in self.parts.iter().enumerate().take(j).skip(1) {
                let clash = (b.prefix.starts_with(&a.prefix) && !self.is_within(j, i))
                    || (a.prefix.starts_with(&b.prefix) && !self.is_within(i, j));
                if clash {
                    let (p, k) = self.include_entry(j);
                    problems.push(self.parts[p].map.problem(
                        &self.parts[p].name(),
                        &format!("include[{k}].prefix"),
                        format!(
                            "prefix \"{}\" of {} and prefix \"{}\" of {} start alike: an id could not say which file it belongs to",
                            b.prefix,
                            b.name(),
                            a.prefix,
                            a.name()
                        ),
                    ));
                }
            }
        }
    }

    /// The part that includes part `j`, and the index of the entry that does.
    fn include_entry(&self, j: usize) -> (usize, usize) {
        let p = self.parts[j].parent.unwrap_or(0);
        let own = &self.parts[j].prefix[self.parts[p].prefix.len()..];
        let path = normalize(&self.parts[j].path);
        let dir = self.parts[p].path.parent().map(Path::to_path_buf).unwrap_or_default();
        let k = self.parts[p]
            .file
            .include
            .iter()
            .position(|inc| inc.prefix == own && normalize(&dir.join(&inc.file)) == path)
            .unwrap_or(0);
        (p, k)
    }

    /// True when part `inner` is `outer` or included by it, directly or not.
    fn is_within(&self, inner: usize, outer: usize) -> bool {
        let mut at = Some(inner);
        while let Some(p) = at {
            if p == outer {
                return true;
            }
            at = self.parts[p].parent;
        }
        false
    }

    /// The part an id belongs to: the one with the longest prefix the id starts with.
    fn owner(&self, id: &str) -> usize {
        let mut best = 0;
        for (i, p) in self.parts.iter().enumerate().skip(1) {
            if id.starts_with(&p.prefix) && p.prefix.len() > self.parts[best].prefix.len() {
                best = i;
            }
        }
        best
    }

    fn index_origins(&mut self) {
        let mut origins: HashMap<EquipmentKind, Vec<(usize, usize)>> = HashMap::new();
        for (p, part) in self.parts.iter().enumerate() {
            for &kind in EquipmentKind::ALL.iter() {
                origins.entry(kind).or_default().extend((0..part.file.count(kind)).map(|i| (p, i)));
            }
        }
        self.origins = origins;
        self.room_origins = self
            .parts
            .iter()
            .enumerate()
            .flat_map(|(p, part)| (0..part.file.rooms.len()).map(move |i| (p, i)))
            .collect();
    }

    /// True when the site is more than one file.
    pub fn is_composed(&self) -> bool {
        self.parts.len() > 1
    }

    /// The composed site: the top file's name, header and outdoor conditions, and every file's
    /// elements with qualified ids and connections.
    pub fn merged(&self) -> SiteFile {
        let top = &self.parts[0].file;
        let mut site = SiteFile {
            header: top.header.clone(),
            version: top.version,
            name: top.name.clone(),
            ambient: top.ambient.clone(),
            economics: top.economics.clone(),
            ..SiteFile::default()
        };
        let ids: HashSet<String> = self
            .parts
            .iter()
            .flat_map(|p| p.file.elements().into_iter().map(move |(_, e)| format!("{}{}", p.prefix, e.id())))
            .collect();
        for part in &self.parts {
            site.rooms.extend(
                part.file
                    .rooms
                    .iter()
                    .map(|r| super::room::RoomSpec { id: format!("{}{}", part.prefix, r.id), ..r.clone() }),
            );
        }
        for (p, part) in self.parts.iter().enumerate() {
            let resolve = |link: &str| -> String {
                if let Some(global) = link.strip_prefix('/') {
                    return global.to_string();
                }
                let scoped = format!("{}{link}", part.prefix);
                if ids.contains(&scoped) && self.is_within(self.owner(&scoped), p) { scoped } else { link.to_string() }
            };
            for mut e in SiteElement::all_of(&part.file) {
                let spec = e.spec_mut();
                *spec.id_mut() = format!("{}{}", part.prefix, spec.id());
                map_links(spec, &resolve);
                e.insert_into(&mut site);
            }
        }
        site
    }

    /// Problems of a composed site `site` (from [`Self::merged`]) that validation of one file
    /// cannot see: an id that starts with another file's prefix (saving would move it there).
    pub fn problems(&self, site: &SiteFile) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let rooms = site
            .rooms
            .iter()
            .enumerate()
            .map(|(i, r)| (format!("rooms[{i}].id"), r.id.as_str(), self.room_origins.get(i)));
        let elements = site.elements().into_iter().map(|(index, e)| {
            (
                format!("{}[{index}].id", e.kind().section()),
                e.id(),
                self.origins.get(&e.kind()).and_then(|o| o.get(index)),
            )
        });
        for (path, id, origin) in elements.chain(rooms) {
            let Some(&(p, _)) = origin else { continue };
            let owner = self.owner(id);
            if owner != p {
                let local = &id[self.parts[p].prefix.len()..];
                out.push((
                    path,
                    format!(
                        "id \"{local}\" starts with the prefix \"{}\" of the included file {}: ids of this file may not (saving would move it there)",
                        &self.parts[owner].prefix[self.parts[p].prefix.len().min(self.parts[owner].prefix.len())..],
                        self.parts[owner].name()
                    ),
                ));
            }
        }
        out
    }

    /// Where the value at `path` of the composed site (`racks[12].feed_a`) is written: file,
    /// line and column. Paths outside the elements are the top file's.
    pub fn locate(&self, path: &str) -> (String, usize, usize) {
        let element = path.split_once('[').and_then(|(section, rest)| {
            let (index, tail) = rest.split_once(']')?;
            if section == "rooms" {
                let &(p, local) = self.room_origins.get(index.parse::<usize>().ok()?)?;
                return Some((p, format!("rooms[{local}]{tail}")));
            }
            let kind = *EquipmentKind::ALL.iter().find(|k| k.section() == section)?;
            let &(p, local) = self.origins.get(&kind)?.get(index.parse::<usize>().ok()?)?;
            Some((p, format!("{section}[{local}]{tail}")))
        });
        let (p, local_path) = element.unwrap_or((0, path.to_string()));
        let (line, col) = self.parts[p].map.position(&local_path);
        (self.parts[p].name(), line, col)
    }

    /// A problem at the value at `path` of the composed site.
    pub fn problem(&self, path: &str, message: &str) -> Problem {
        let (file, line, col) = self.locate(path);
        Problem { file, line, col, message: shorten_quoted(message) }
    }

    /// The files that `site` (the composed site, edited or not) is saved as: each element in the
    /// file it belongs to, with the ids and connections that file uses, every file canonical.
    /// Refused when a file included more than once would get different contents.
    pub fn split(&self, site: &SiteFile) -> Result<Vec<(PathBuf, String)>, String> {
        let mut files: Vec<SiteFile> = self
            .parts
            .iter()
            .map(|p| SiteFile {
                header: p.file.header.clone(),
                version: p.file.version,
                name: p.file.name.clone(),
                include: p.file.include.clone(),
                ..SiteFile::default()
            })
            .collect();
        files[0].name = site.name.clone();
        files[0].header = site.header.clone();
        files[0].version = site.version;
        files[0].ambient = site.ambient.clone();
        files[0].economics = site.economics.clone();
        for room in &site.rooms {
            let p = self.owner(&room.id);
            let id = room.id[self.parts[p].prefix.len()..].to_string();
            files[p].rooms.push(super::room::RoomSpec { id, ..room.clone() });
        }
        let owners: HashMap<&str, usize> =
            site.elements().into_iter().map(|(_, e)| (e.id(), self.owner(e.id()))).collect();
        for mut e in SiteElement::all_of(site) {
            let p = self.owner(e.spec().id());
            let prefix = &self.parts[p].prefix;
            let write = |target: &str| -> String {
                let inside = owners.get(target).copied().unwrap_or_else(|| self.owner(target));
                if target.starts_with(prefix.as_str()) && self.is_within(inside, p) {
                    return target[prefix.len()..].to_string();
                }
                // A qualified id the file would take for one of its own: say it is qualified.
                let captured = format!("{prefix}{target}");
                if p != 0 && owners.get(captured.as_str()).is_some_and(|&o| self.is_within(o, p)) {
                    format!("/{target}")
                } else {
                    target.to_string()
                }
            };
            let spec = e.spec_mut();
            let local = spec.id()[prefix.len()..].to_string();
            map_links(spec, &write);
            *spec.id_mut() = local;
            e.insert_into(&mut files[p]);
        }
        let mut out: Vec<(PathBuf, String)> = Vec::new();
        for (part, file) in self.parts.iter().zip(&files) {
            let text = file.to_ron_string();
            match out.iter().find(|(path, _)| normalize(path) == normalize(&part.path)) {
                Some((_, same)) if *same == text => {}
                Some(_) => {
                    return Err(format!(
                        "{} is included more than once and the edit makes its copies differ: edit that file itself",
                        part.name()
                    ));
                }
                None => out.push((part.path.clone(), text)),
            }
        }
        Ok(out)
    }

    /// Saves `site` into the files it was read from ([`Self::split`]), each atomically (all
    /// texts are worked out before the first file is written). Returns the files whose text
    /// changed.
    pub fn save(&self, site: &SiteFile) -> Result<Vec<PathBuf>, String> {
        let files = self.split(site)?;
        let mut changed = Vec::new();
        for (path, text) in files {
            if std::fs::read(&path).is_ok_and(|old| old != text.as_bytes()) {
                changed.push(path.clone());
            }
            super::save::atomic_write(&path, text.as_bytes())
                .map_err(|e| format!("could not save {}: {e}", path.display()))?;
        }
        Ok(changed)
    }
}
