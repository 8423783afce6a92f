//! Units named as the subject of a clause (SPEC §7, `source = text`): `市教育局设立…`,
//! `教育局、学校分别成立…`. Every clause without a responsibility tag is asked, so the test
//! runs here over the whole notice in one call; Python builds rows only for the few clauses
//! whose subject is a list of units. The rules are those of `_actor_names`, `split_units`
//! and `_is_unit` in pipeline/extract/units.py (the reference they are tested against).

use std::sync::LazyLock;

use pyo3::prelude::*;
use regex::Regex;

use crate::chars::is_space;
use crate::patterns::{Patterns, Text};
use crate::split::protected_mask;

/// Characters a unit named as a subject may take (`MAX_ACTOR`), and the cue after it.
const MAX_ACTOR: usize = 24;
const SEPARATORS: [char; 3] = ['、', ',', ';'];
const STRIPPED: [char; 6] = ['。', '.', ',', ':', ';', '、'];

fn compiled(pattern: &str) -> Regex {
    Regex::new(pattern).expect("a valid pattern")
}

/// The word that ends a subject (`ACTOR_CUE`).
static ACTOR_CUE: LazyLock<Regex> = LazyLock::new(|| {
    compiled(
        "要|应|须|需|负责|牵头|会同|设立|将|统筹|组织|建立|加强|成立|安排|落实|制定|做好|积极|切实|适时|对|在|分别|依法|\
         按照|结合|加大|探索|推进|指导|定期|优先|鼓励|支持",
    )
});
static SUBJECT_LEAD: LazyLock<Regex> = LazyLock::new(|| compiled("^(?:由|请|并|同时)"));
static QUANTIFIER: LazyLock<Regex> = LazyLock::new(|| compiled("^(?:各|有关|所有)"));
static LIST_TAIL: LazyLock<Regex> = LazyLock::new(|| {
    compiled(
        "(?:等(?:有关|相关|其他)?(?:部门|单位)(?:和单位)?|(?:按职责分工|按照职责分工|各司其职)?负责|(?:具体)?(?:组织)?实施)$",
    )
});
const EACH_LEVEL: &str = "各(?:市|县|区|乡|镇|旗|乡镇|街道)(?:、(?:县级市|市|县|区|乡|镇|旗|乡镇|街道))*";
static EACH_LEVEL_START: LazyLock<Regex> = LazyLock::new(|| compiled(&format!("^(?:{EACH_LEVEL})")));
static EACH_LEVEL_WHOLE: LazyLock<Regex> = LazyLock::new(|| compiled(&format!("^(?:{EACH_LEVEL})$")));
static LEVEL_START: LazyLock<Regex> = LazyLock::new(|| compiled("^(?:县级市|市|县|区|乡|镇|旗|乡镇|街道)"));
/// Two units joined by 及, and two whose 、 was lost (look-around: fancy-regex).
static UNIT_AND_UNIT: LazyLock<fancy_regex::Regex> =
    LazyLock::new(|| fancy_regex::Regex::new(r"(?<=[府会局委办厅部院])及(?=\p{Han}{3})").expect("a valid pattern"));
static GLUED_UNITS: LazyLock<fancy_regex::Regex> = LazyLock::new(|| {
    fancy_regex::Regex::new(r"(?<=\p{Han}{2}[局厅办])(?=[市县省]\p{Han}{2,}[局厅办委会])").expect("a valid pattern")
});

/// `pattern.split(text)` as Python's regex module splits (the matches dropped).
fn split<'a>(pattern: &fancy_regex::Regex, text: &'a str) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut last = 0;
    for m in pattern.find_iter(text).flatten() {
        out.push(&text[last..m.start()]);
        last = m.end();
    }
    out.push(&text[last..]);
    out
}

/// One piece of a unit list, cleaned (`_append`): spaces out, separators stripped, and a
/// tail such as 等有关部门 or 负责 cut when a name of two characters or more remains.
fn append(out: &mut Vec<(String, char)>, piece: &[char], separator: char) {
    let raw: String = piece.iter().filter(|c| !is_space(**c)).collect();
    let raw = raw.trim_matches(&STRIPPED[..]);
    let named = LIST_TAIL.replace(raw, "");
    let raw = if named.chars().count() >= 2 { &named } else { raw };
    if !raw.is_empty() {
        out.push((raw.to_owned(), separator));
    }
}

/// (unit, separator before it) of a unit list (`split_units`); '\0' stands for none.
pub fn split_units(text: &str) -> Vec<(String, char)> {
    let t: Vec<char> = text.chars().collect();
    let mask = protected_mask(&t, 0, t.len());
    let mut pieces = Vec::new();
    let (mut start, mut separator) = (0, '\0');
    for (i, &ch) in t.iter().enumerate() {
        if SEPARATORS.contains(&ch) && !mask[i] {
            append(&mut pieces, &t[start..i], separator);
            (start, separator) = (i + 1, ch);
        }
    }
    append(&mut pieces, &t[start..], separator);
    let mut out: Vec<(String, char)> = Vec::new();
    for (raw, separator) in pieces {
        if separator == '、' {
            if let Some(last) = out.last_mut() {
                if EACH_LEVEL_WHOLE.is_match(&last.0) && LEVEL_START.is_match(&raw) {
                    last.0 = format!("{}、{raw}", last.0);
                    continue;
                }
            }
        }
        // Each split needs the backtracking VM at every character; most names hold neither joint.
        let joined = if raw.contains('及') { split(&UNIT_AND_UNIT, &raw) } else { vec![raw.as_str()] };
        let parts = joined.into_iter().flat_map(|units| {
            if units.contains(['局', '厅', '办']) {
                split(&GLUED_UNITS, units)
            } else {
                vec![units]
            }
        });
        for (i, part) in parts.enumerate() {
            out.push((part.to_owned(), if i == 0 { separator } else { '、' }));
        }
    }
    out
}

/// The unit types compiled in the core, and the level prefixes (longest first).
pub struct UnitTypes<'a> {
    pub types: &'a Patterns,
    pub any: &'a Patterns,
    pub prefixes: &'a [Vec<char>],
}

/// The (start, end) of pattern `k`'s first match in `text`.
fn first(patterns: &Patterns, k: usize, text: &Text) -> PyResult<Option<(i64, i64)>> {
    patterns.first_span(k, text, 0, usize::MAX)
}

impl UnitTypes<'_> {
    /// The whole name is a unit (`_is_unit`): optional 各/有关 and a level prefix, then a unit
    /// type's name (a collective entry over several levels: its last level's).
    pub fn is_unit(&self, name: &str) -> PyResult<bool> {
        let name = match name.rsplit_once('、') {
            Some((_, last)) if EACH_LEVEL_START.is_match(name) => format!("各{last}"),
            _ => name.to_owned(),
        };
        let rest: Vec<char> = QUANTIFIER.replace(&name, "").chars().collect();
        let prefix =
            self.prefixes.iter().find(|p| rest.starts_with(p) && rest.len() > p.len() + 1).map_or(0, |p| p.len());
        let rest: String = rest[prefix..].iter().collect();
        let (in_rest, in_name) = (Text::new(&rest)?, Text::new(&name)?);
        if first(self.any, 0, &in_rest)?.is_none() && first(self.any, 0, &in_name)?.is_none() {
            return Ok(false); // most subjects name no unit: two searches
        }
        let (rest_len, name_len) = (rest.chars().count() as i64, name.chars().count() as i64);
        // The rest is part of the name: a type that cannot match in the name cannot in the rest.
        let may_match = self.types.may_match(&in_name, 0, usize::MAX);
        for k in (0..self.types.len()).filter(|&k| may_match.may(k)) {
            let found = match first(self.types, k, &in_rest)? {
                Some(span) => Some(span),
                None => first(self.types, k, &in_name)?,
            };
            if let Some((start, end)) = found {
                if (end == rest_len || end == name_len) && start <= 2 {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    /// The units named as the subject of text[start:end], if its subject is a list of units.
    pub fn actor_names(&self, text: &Text, start: usize, end: usize) -> PyResult<Option<Vec<String>>> {
        let window = text.slice(start, end.min(start + MAX_ACTOR + 2));
        let Some(cue) = ACTOR_CUE.find(window) else { return Ok(None) };
        if cue.start() == 0 {
            return Ok(None);
        }
        let subject = SUBJECT_LEAD.replace(&window[..cue.start()], "");
        let names: Vec<String> = split_units(&subject).into_iter().map(|(raw, _)| raw).collect();
        if names.is_empty() {
            return Ok(None);
        }
        for name in &names {
            if !self.is_unit(name)? {
                return Ok(None);
            }
        }
        Ok(Some(names))
    }
}
