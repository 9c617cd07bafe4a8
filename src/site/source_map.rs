//! Positions of values in RON text, by path (`racks[3].feed_a`, `racks{gb200}.power_factor`).
//!
//! serde forgets where a value came from, so after a successful parse this small scanner walks
//! the same text once and records the line and column of every value. Validation then points
//! at the exact value that is wrong. It never fails: on text it does not understand it stops
//! recording, and lookups fall back to the nearest enclosing value.

use std::collections::HashMap;

use super::problem::Problem;

/// Line and column (1-based) of each value, keyed by path.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    positions: HashMap<String, (usize, usize)>,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Other,
    Punct(char),
}

impl SourceMap {
    /// Scans `text`.
    pub fn new(text: &str) -> SourceMap {
        let tokens = tokenize(text);
        let mut map = SourceMap::default();
        let mut walker = Walker { tokens: &tokens, at: 0, map: &mut map };
        walker.value(String::new(), 0);
        map
    }

    /// Position of the value at `path`, or of its nearest enclosing value, or 1:1.
    pub fn position(&self, path: &str) -> (usize, usize) {
        let mut p = path;
        loop {
            if let Some(pos) = self.positions.get(p) {
                return *pos;
            }
            match p.rfind(['.', '[', '{']) {
                Some(cut) => p = &p[..cut],
                None => return self.positions.get("").copied().unwrap_or((1, 1)),
            }
        }
    }

    /// A problem located at the value at `path`.
    pub fn problem(&self, file: &str, path: &str, message: impl Into<String>) -> Problem {
        let (line, col) = self.position(path);
        Problem { file: file.to_string(), line, col, message: super::problem::shorten_quoted(&message.into()) }
    }
}

/// Splits RON into tokens with positions; comments, whitespace and `#![...]` attributes dropped.
fn tokenize(text: &str) -> Vec<(Tok, usize, usize)> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line, mut col) = (0usize, 1usize, 1usize);
    while i < chars.len() {
        let c = chars[i];
        let (l0, c0) = (line, col);
        if c.is_whitespace() {
            advance(&chars, &mut i, &mut line, &mut col);
        } else if c == '/' && chars.get(i + 1) == Some(&'/') {
            while i < chars.len() && chars[i] != '\n' {
                advance(&chars, &mut i, &mut line, &mut col);
            }
        } else if c == '/' && chars.get(i + 1) == Some(&'*') {
            let mut depth = 0usize;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    advance(&chars, &mut i, &mut line, &mut col);
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    advance(&chars, &mut i, &mut line, &mut col);
                    if depth == 0 {
                        advance(&chars, &mut i, &mut line, &mut col);
                        break;
                    }
                }
                advance(&chars, &mut i, &mut line, &mut col);
            }
        } else if c == '#' {
            while i < chars.len() && chars[i] != ']' {
                advance(&chars, &mut i, &mut line, &mut col);
            }
            if i < chars.len() {
                advance(&chars, &mut i, &mut line, &mut col);
            }
        } else if c == '"' {
            advance(&chars, &mut i, &mut line, &mut col);
            let mut s = String::new();
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' && i + 1 < chars.len() {
                    advance(&chars, &mut i, &mut line, &mut col);
                }
                s.push(chars[i]);
                advance(&chars, &mut i, &mut line, &mut col);
            }
            if i < chars.len() {
                advance(&chars, &mut i, &mut line, &mut col);
            }
            out.push((Tok::Str(s), l0, c0));
        } else if c == 'r'
            && chars.get(i + 1) == Some(&'#')
            && chars.get(i + 2).is_some_and(|c| c.is_alphabetic() || *c == '_')
        {
            // Raw identifier `r#None` (an enum variant named like a keyword).
            advance(&chars, &mut i, &mut line, &mut col);
            advance(&chars, &mut i, &mut line, &mut col);
            let mut s = String::new();
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                s.push(chars[i]);
                advance(&chars, &mut i, &mut line, &mut col);
            }
            out.push((Tok::Ident(s), l0, c0));
        } else if c == 'r' && matches!(chars.get(i + 1), Some('"') | Some('#')) {
            // Raw string r#"..."#.
            advance(&chars, &mut i, &mut line, &mut col);
            let mut hashes = 0;
            while i < chars.len() && chars[i] == '#' {
                hashes += 1;
                advance(&chars, &mut i, &mut line, &mut col);
            }
            if i < chars.len() {
                advance(&chars, &mut i, &mut line, &mut col);
            }
            let mut s = String::new();
            while i < chars.len() {
                if chars[i] == '"' && (1..=hashes).all(|k| chars.get(i + k) == Some(&'#')) {
                    for _ in 0..=hashes {
                        advance(&chars, &mut i, &mut line, &mut col);
                    }
                    break;
                }
                s.push(chars[i]);
                advance(&chars, &mut i, &mut line, &mut col);
            }
            out.push((Tok::Str(s), l0, c0));
        } else if "()[]{}:,".contains(c) {
            advance(&chars, &mut i, &mut line, &mut col);
            out.push((Tok::Punct(c), l0, c0));
        } else if c.is_alphabetic() || c == '_' {
            let mut s = String::new();
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                s.push(chars[i]);
                advance(&chars, &mut i, &mut line, &mut col);
            }
            out.push((Tok::Ident(s), l0, c0));
        } else {
            // Numbers, chars and anything else: one token up to the next delimiter.
            while i < chars.len() && !chars[i].is_whitespace() && !"()[]{}:,\"".contains(chars[i]) {
                advance(&chars, &mut i, &mut line, &mut col);
            }
            if (l0, c0) == (line, col) {
                // Could not advance (cannot happen); skip the character rather than loop.
                advance(&chars, &mut i, &mut line, &mut col);
            }
            out.push((Tok::Other, l0, c0));
        }
    }
    out
}

/// Steps over `chars[*i]`, keeping line and column.
fn advance(chars: &[char], i: &mut usize, line: &mut usize, col: &mut usize) {
    if chars.get(*i) == Some(&'\n') {
        *line += 1;
        *col = 1;
    } else {
        *col += 1;
    }
    *i += 1;
}

struct Walker<'a> {
    tokens: &'a [(Tok, usize, usize)],
    at: usize,
    map: &'a mut SourceMap,
}

/// Nesting beyond this is not recorded (RON itself refuses deeper input).
const MAX_DEPTH: usize = 64;

impl Walker<'_> {
    fn peek(&self, k: usize) -> Option<&Tok> {
        self.tokens.get(self.at + k).map(|t| &t.0)
    }

    fn value(&mut self, path: String, depth: usize) {
        let Some((tok, line, col)) = self.tokens.get(self.at).cloned() else {
            return;
        };
        self.map.positions.entry(path.clone()).or_insert((line, col));
        if depth > MAX_DEPTH {
            self.at = self.tokens.len();
            return;
        }
        match tok {
            Tok::Ident(_) => {
                self.at += 1;
                if self.peek(0) == Some(&Tok::Punct('(')) {
                    self.group(path, depth);
                }
            }
            Tok::Punct('(') => self.group(path, depth),
            Tok::Punct('[') => {
                self.at += 1;
                let mut index = 0;
                while let Some(t) = self.peek(0) {
                    if *t == Tok::Punct(']') {
                        self.at += 1;
                        break;
                    }
                    let before = self.at;
                    self.value(format!("{path}[{index}]"), depth + 1);
                    index += 1;
                    self.skip_comma();
                    if self.at == before {
                        self.at += 1;
                    }
                }
            }
            Tok::Punct('{') => {
                self.at += 1;
                while let Some(t) = self.peek(0).cloned() {
                    if t == Tok::Punct('}') {
                        self.at += 1;
                        break;
                    }
                    let key = match &t {
                        Tok::Str(s) | Tok::Ident(s) => s.clone(),
                        _ => String::new(),
                    };
                    let key_path = format!("{path}{{{key}}}");
                    let before = self.at;
                    self.at += 1;
                    if self.peek(0) == Some(&Tok::Punct(':')) {
                        self.at += 1;
                        self.value(key_path, depth + 1);
                    }
                    self.skip_comma();
                    if self.at == before {
                        self.at += 1;
                    }
                }
            }
            _ => self.at += 1,
        }
    }

    /// `( ... )`: a struct if it starts with `name:`, else a tuple (or `Some(x)`).
    fn group(&mut self, path: String, depth: usize) {
        self.at += 1; // (
        let is_struct = matches!(self.peek(0), Some(Tok::Ident(_))) && self.peek(1) == Some(&Tok::Punct(':'));
        let mut index = 0;
        while let Some(t) = self.peek(0).cloned() {
            if t == Tok::Punct(')') {
                self.at += 1;
                return;
            }
            let before = self.at;
            if is_struct {
                if let (Tok::Ident(name), Some(Tok::Punct(':'))) = (&t, self.peek(1)) {
                    let field_path = if path.is_empty() { name.clone() } else { format!("{path}.{name}") };
                    self.at += 2;
                    self.value(field_path, depth + 1);
                } else {
                    self.at += 1;
                }
            } else {
                // Tuples index their members; a single member (`Some(x)`) keeps the path.
                self.value(format!("{path}.{index}"), depth + 1);
                index += 1;
            }
            self.skip_comma();
            if self.at == before {
                self.at += 1;
            }
        }
    }

    fn skip_comma(&mut self) {
        if self.peek(0) == Some(&Tok::Punct(',')) {
            self.at += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_values() {
        let text = "// c\n(\n  name: \"x\",\n  racks: [\n    (id: \"R1\", feed_a: \"P1\"),\n    (id: \"R2\", position_m: (1.0, 2.0)),\n  ],\n  m: { \"k\": (a: 1) },\n)";
        let map = SourceMap::new(text);
        assert_eq!(map.position("name"), (3, 9));
        assert_eq!(map.position("racks[0].feed_a"), (5, 24));
        assert_eq!(map.position("racks[1].id"), (6, 10));
        assert_eq!(map.position("racks[1].position_m.1"), (6, 34));
        assert_eq!(map.position("m{k}.a"), (8, 17));
        // Unknown paths fall back to the enclosing value.
        assert_eq!(map.position("racks[1].nothing"), (6, 5));
    }

    #[test]
    fn raw_identifiers_do_not_swallow_the_rest() {
        let text = "(\n  zones: [(id: \"Z\", containment: r#None)],\n  loops: [(id: \"L\", t: 1.0)],\n)";
        let map = SourceMap::new(text);
        assert_eq!(map.position("zones[0].containment"), (2, 34));
        assert_eq!(map.position("loops[0].t"), (3, 24));
    }

    #[test]
    fn never_panics_on_garbage() {
        for text in ["", "(", "[[[", "\"unterminated", "r#\"x", "/* open", "(a: (b: [1, {", "#!["] {
            let map = SourceMap::new(text);
            let _ = map.position("a.b[0]");
        }
    }
}
