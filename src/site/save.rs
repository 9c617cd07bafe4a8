//! Writing site files: canonical order, one element per line, atomic replace.
//!
//! Elements are written sorted by id (natural order, so `R2` comes before `R10`) within their
//! section, one per line, with fields in declaration order, defaults left out and floats in
//! Rust's shortest round-trip form. Loading and saving again gives the same bytes, and editing
//! one rack changes one line.

use std::cmp::Ordering;
use std::io::Write;
use std::path::Path;

use ron::extensions::Extensions;
use ron::ser::PrettyConfig;
use serde::Serialize;

use super::SiteFile;

/// The first comment line of every saved site file.
pub const GENERATED_LINE: &str = "dctwin site file (format version 1): see README.md";

impl SiteFile {
    /// The same site with every section sorted by id in natural order.
    pub fn canonical(&self) -> SiteFile {
        let mut s = self.clone();
        s.sort_sections();
        s
    }

    /// The canonical text of this site.
    pub fn to_ron_string(&self) -> String {
        let s = self.canonical();
        let mut out = String::new();
        out.push_str("#![enable(implicit_some)]\n");
        out.push_str(&format!("// {GENERATED_LINE}\n"));
        for line in &s.header {
            out.push_str(if line.is_empty() { "//\n" } else { "// " });
            if !line.is_empty() {
                out.push_str(line);
                out.push('\n');
            }
        }
        out.push_str("(\n");
        out.push_str(&format!("    version: {},\n", s.version));
        out.push_str(&format!("    name: {},\n", inline(&s.name)));
        if !s.include.is_empty() {
            out.push_str("    include: [\n");
            for inc in &s.include {
                out.push_str(&format!("        {},\n", inline(inc)));
            }
            out.push_str("    ],\n");
        }
        s.write_sections(&mut out);
        out.push_str(")\n");
        out
    }

    /// Writes the site to `path` atomically: a temporary file in the same directory is
    /// written and synced, then renamed over the target, so a crash never leaves half a file.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        atomic_write(path, self.to_ron_string().as_bytes())
    }
}

/// Replaces `path` with `bytes` via a temporary file and a rename, so readers see the old or
/// the new file, never half of one. The file keeps its permissions; a symbolic link keeps
/// pointing where it did (the file it points to is replaced). A temporary file left by a
/// process that died mid-save is removed by the next save of the same file.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let target = resolve_links(path)?;
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".into());
    let prefix = format!(".{name}.tmp-");
    remove_stale_temporaries(&dir, &prefix);
    let tmp = dir.join(format!("{prefix}{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        if let Ok(meta) = std::fs::metadata(&target) {
            f.set_permissions(meta.permissions())?;
        }
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &target)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// The file `path` finally names, following symbolic links (relative ones from the link's
/// directory), so saving through a link replaces the file and keeps the link.
fn resolve_links(path: &Path) -> std::io::Result<std::path::PathBuf> {
    let mut at = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&at) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = std::fs::read_link(&at)?;
                at = match at.parent() {
                    Some(parent) if link.is_relative() => parent.join(link),
                    _ => link,
                };
            }
            _ => return Ok(at),
        }
    }
    Err(std::io::Error::other(format!("too many levels of symbolic links at {}", path.display())))
}

/// Removes `dir/PREFIX<pid>` files whose process is gone (Linux: no `/proc/<pid>`; elsewhere:
/// older than an hour). Such files are what a save interrupted by a crash or a kill leaves.
fn remove_stale_temporaries(dir: &Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(pid) = file_name.to_str().and_then(|n| n.strip_prefix(prefix)).and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        let proc_dir = Path::new("/proc");
        let gone = if proc_dir.is_dir() {
            pid != std::process::id() && !proc_dir.join(pid.to_string()).exists()
        } else {
            entry.metadata().and_then(|m| m.modified()).is_ok_and(|t| t.elapsed().is_ok_and(|age| age.as_secs() > 3600))
        };
        if gone {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

pub(crate) fn write_section<T: Serialize>(out: &mut String, name: &str, items: &[T]) {
    if items.is_empty() {
        return;
    }
    out.push_str(&format!("    {name}: [\n"));
    for item in items {
        out.push_str("        ");
        out.push_str(&inline(item));
        out.push_str(",\n");
    }
    out.push_str("    ],\n");
}

/// One value as a single line of RON.
pub(crate) fn inline<T: Serialize + ?Sized>(value: &T) -> String {
    let config = PrettyConfig::new()
        .new_line("\n")
        .compact_structs(true)
        .compact_arrays(true)
        .compact_maps(true)
        .extensions(Extensions::IMPLICIT_SOME);
    super::load::ron_options().to_string_pretty(value, config).expect("site types always serialize to RON")
}

/// Natural order: digit runs compare by value, so "R2" < "R10".
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    loop {
        match (x.first(), y.first()) {
            (None, None) => return a.cmp(b),
            (None, _) => return Ordering::Less,
            (_, None) => return Ordering::Greater,
            (Some(p), Some(q)) if p.is_ascii_digit() && q.is_ascii_digit() => {
                let dx = x.iter().take_while(|c| c.is_ascii_digit()).count();
                let dy = y.iter().take_while(|c| c.is_ascii_digit()).count();
                let (nx, ny) = (trim_zeros(&x[..dx]), trim_zeros(&y[..dy]));
                let ord = nx.len().cmp(&ny.len()).then_with(|| nx.cmp(ny));
                if ord != Ordering::Equal {
                    return ord;
                }
                x = &x[dx..];
                y = &y[dy..];
            }
            (Some(p), Some(q)) => {
                if p != q {
                    return p.cmp(q);
                }
                x = &x[1..];
                y = &y[1..];
            }
        }
    }
}

fn trim_zeros(d: &[u8]) -> &[u8] {
    let start = d.iter().take_while(|&&c| c == b'0').count();
    &d[start.min(d.len().saturating_sub(1))..]
}

#[cfg(test)]
mod tests {
    use super::natural_cmp;
    use std::cmp::Ordering::*;

    #[test]
    fn natural_order() {
        assert_eq!(natural_cmp("R2", "R10"), Less);
        assert_eq!(natural_cmp("R10", "R9"), Greater);
        assert_eq!(natural_cmp("PDU-A1", "PDU-B1"), Less);
        assert_eq!(natural_cmp("a", "a"), Equal);
        assert_eq!(natural_cmp("R02", "R2"), Less); // tie broken by plain order, never Equal
    }
}
