//! Problems found in a user's file, each with file, line and column.

use std::fmt;

/// One problem in a file: where it is and what is wrong, in a plain sentence.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    /// The file as the user named it.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (characters).
    pub col: usize,
    /// What is wrong.
    pub message: String,
}

impl Problem {
    /// A problem about the file as a whole (e.g. it cannot be read).
    pub fn file(file: String, message: String) -> Problem {
        Problem { file, line: 1, col: 1, message }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}", self.file, self.line, self.col, self.message)
    }
}

/// Every problem found, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq, thiserror::Error)]
pub struct Problems(pub Vec<Problem>);

impl Problems {
    /// A list with one problem.
    pub fn single(problem: Problem) -> Problems {
        Problems(vec![problem])
    }

    /// Adds a problem.
    pub fn push(&mut self, problem: Problem) {
        self.0.push(problem);
    }

    /// True when nothing is wrong.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(value)` when nothing is wrong, else the problems sorted by position.
    pub fn into_result<T>(mut self, value: T) -> Result<T, Problems> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            self.0.sort();
            self.0.dedup();
            Err(self)
        }
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.0 {
            writeln!(f, "{p}")?;
        }
        Ok(())
    }
}

/// Longest id echoed whole in a message; longer ids are cut (a 1 MB id must not flood a terminal).
pub const MAX_ID_IN_MESSAGE: usize = 40;

/// `id` for a message: whole if short, else its start and the number of characters left out.
pub fn short_id(id: &str) -> String {
    let n = id.chars().count();
    if n <= MAX_ID_IN_MESSAGE {
        return id.to_string();
    }
    let head: String = id.chars().take(MAX_ID_IN_MESSAGE).collect();
    format!("{head}… ({} more characters)", n - MAX_ID_IN_MESSAGE)
}

/// `message` with every double-quoted part longer than [`MAX_ID_IN_MESSAGE`] cut by
/// [`short_id`]: messages quote ids, models and references, any of which a file may make huge.
pub fn shorten_quoted(message: &str) -> String {
    if message.len() <= MAX_ID_IN_MESSAGE {
        return message.to_string();
    }
    let mut out = String::with_capacity(message.len().min(1024));
    let mut parts = message.split('"');
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    for (i, part) in parts.enumerate() {
        out.push('"');
        // Odd-numbered parts (0-based here: even i) sit between an opening and a closing quote.
        if i % 2 == 0 { out.push_str(&short_id(part)) } else { out.push_str(part) }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_quoted_parts_are_cut() {
        let id = "x".repeat(1_000_000);
        let msg = shorten_quoted(&format!("duplicate id \"{id}\" (first defined on line 3)"));
        assert!(msg.len() < 200, "{msg}");
        assert!(
            msg.starts_with("duplicate id \"xxxx")
                && msg.ends_with("(999960 more characters)\" (first defined on line 3)")
        );
        assert_eq!(shorten_quoted("rack \"R1\" is fine"), "rack \"R1\" is fine");
    }
}
