//! The time phrases of clauses, the rules of pipeline/extract/deadlines.py for all the clauses
//! of a notice in one call: the deadline phrases of targets.yaml with the year each sets
//! (`find_deadlines`), a bare year opening a clause (`bare_year`), and the periods a
//! commitment recurs in (`find_periods`: 每隔3天, 每学期).

use std::collections::HashMap;

use aho_corasick::AhoCorasick;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::chars::{char_matches, cn_digit, is_any_numeral, is_py_space, leftmost_longest, trimmed};
use crate::numbers::parse_number;
use crate::patterns::{Patterns, Text};

/// What a row of `Times::clauses` is.
pub const DEADLINE: u8 = 0;
pub const BARE_YEAR: u8 = 1;
pub const PERIOD: u8 = 2;

/// Time phrases as columns: clause index, kind, start, end, year or period value, period unit
/// ("" for a year).
pub type TimeColumns = (Vec<u32>, Vec<u8>, Vec<i64>, Vec<i64>, Vec<f64>, Vec<String>);

/// A period found: its span, its value, its unit.
type Period = ((i64, i64), f64, String);

/// The time phrases of clauses, compiled from targets.yaml (its deadlines and bare year)
/// and deadlines.py (每隔3天, the period words' units).
#[pyclass(frozen, module = "pipeline._core")]
pub struct Times {
    deadlines: Patterns,
    deadline_year: Vec<usize>, // each deadline pattern's group `y`
    bare: Patterns,
    bare_year: usize,
    every: Patterns, // `每隔3天`: group n the number, u the unit
    every_n: usize,
    every_u: usize,
    unit_names: HashMap<String, String>,
    words: AhoCorasick, // 每年, 每学期 …: the period words, longest first at a place
    word_units: Vec<String>,
}

#[pymethods]
impl Times {
    /// `deadlines` and `bare_year`: the lexicon's patterns (each with a group y, the year);
    /// `every`: the pattern of 每隔3天 (groups n and u); `unit_names`: a unit as `per` names it;
    /// `periods`: each period word with its unit. ValueError(index, message) for a deadline
    /// pattern that does not compile.
    #[new]
    fn new(
        deadlines: Vec<String>,
        bare_year: String,
        every: String,
        unit_names: Vec<(String, String)>,
        periods: Vec<(String, String)>,
    ) -> PyResult<Times> {
        let deadlines = Patterns::new(deadlines)?;
        let deadline_year = (0..deadlines.len()).map(|k| deadlines.group(k, "y")).collect::<PyResult<_>>()?;
        let bare = Patterns::new(vec![bare_year])?;
        let every = Patterns::new(vec![every])?;
        let words = leftmost_longest(periods.iter().map(|(word, _)| word))?;
        Ok(Times {
            deadline_year,
            bare_year: bare.group(0, "y")?,
            every_n: every.group(0, "n")?,
            every_u: every.group(0, "u")?,
            deadlines,
            bare,
            every,
            unit_names: unit_names.into_iter().collect(),
            words,
            word_units: periods.into_iter().map(|(_, unit)| unit).collect(),
        })
    }

    /// The time phrases of each clause text[starts[i]:ends[i]] as columns: clause index, kind
    /// (0 a deadline phrase, 1 a bare year opening the clause, 2 a period), start, end, the
    /// year or the period's value, the period's unit. A clause's deadline phrases come in
    /// order of start, then its bare year, then its periods in order of start.
    fn clauses(&self, py: Python<'_>, text: &Text, starts: Vec<usize>, ends: Vec<usize>) -> PyResult<TimeColumns> {
        if starts.len() != ends.len() {
            return Err(PyValueError::new_err("clause columns of different lengths"));
        }
        py.allow_threads(|| {
            let mut cols = TimeColumns::default();
            for (i, (&start, &end)) in starts.iter().zip(&ends).enumerate() {
                let mut push = |kind: u8, (a, b): (i64, i64), number: f64, unit: &str| {
                    cols.0.push(i as u32);
                    cols.1.push(kind);
                    cols.2.push(a);
                    cols.3.push(b);
                    cols.4.push(number);
                    cols.5.push(unit.to_owned());
                };
                for (span, year) in self.deadlines_in(text, start, end)? {
                    push(DEADLINE, span, year as f64, "");
                }
                if let Some((span, year)) = self.bare_year_at(text, start, end + 1)? {
                    push(BARE_YEAR, span, year as f64, "");
                }
                for (span, value, unit) in self.periods_in(text, start, end)? {
                    push(PERIOD, span, value, &unit);
                }
            }
            Ok(cols)
        })
    }
}

impl Times {
    /// `find_deadlines`: pattern by pattern, each match that sets a year and overlaps none
    /// found before it; sorted by start.
    fn deadlines_in(&self, text: &Text, start: usize, end: usize) -> PyResult<Vec<((i64, i64), i64)>> {
        let mut found: Vec<((i64, i64), i64)> = Vec::new();
        if !text.slice(start, end).chars().any(is_any_numeral) {
            return Ok(found); // every deadline names a year
        }
        let may_match = self.deadlines.may_match(text, start, end);
        for (k, &y) in self.deadline_year.iter().enumerate().filter(|&(k, _)| may_match.may(k)) {
            self.deadlines.each_match(k, text, start, end, |caps| {
                let whole = caps.get(0).expect("group 0 of a match");
                let (a, b) = (text.char(whole.start()), text.char(whole.end()));
                let Some(year) = caps.get(y).and_then(|m| year_value(m.as_str())) else { return };
                if found.iter().all(|&((fa, fb), _)| a.max(fa) >= b.min(fb)) {
                    found.push(((a, b), year));
                }
            })?;
        }
        found.sort_by_key(|&((a, _), _)| a);
        Ok(found)
    }

    /// `bare_year`: the bare-year pattern matched right at `pos` (within text[:endpos]).
    fn bare_year_at(&self, text: &Text, pos: usize, endpos: usize) -> PyResult<Option<((i64, i64), i64)>> {
        let Some(spans) = self.bare.first(0, text, pos, endpos, true)? else { return Ok(None) };
        let (a, b) = (spans[2 * self.bare_year], spans[2 * self.bare_year + 1]);
        if a < 0 {
            return Ok(None);
        }
        Ok(year_value(text.slice(a as usize, b as usize)).map(|year| ((spans[0], spans[1]), year)))
    }

    /// `find_periods`: `每隔3天` (its number read), then the period words that start in none
    /// of those; sorted by start.
    fn periods_in(&self, text: &Text, start: usize, end: usize) -> PyResult<Vec<Period>> {
        let mut out: Vec<Period> = Vec::new();
        self.every.each_match(0, text, start, end, |caps| {
            let whole = caps.get(0).expect("group 0 of a match");
            let (Some(n), Some(u)) = (caps.get(self.every_n), caps.get(self.every_u)) else { return };
            let digits: Vec<char> = n.as_str().chars().collect();
            if let Ok(value) = parse_number(&digits) {
                let unit = self.unit_names.get(u.as_str()).map_or_else(|| u.as_str().to_owned(), Clone::clone);
                out.push(((text.char(whole.start()), text.char(whole.end())), value, unit));
            }
        })?;
        let numbered = out.len();
        for (a, b, word) in char_matches(&self.words, text.slice(start, end), start) {
            let (a, b) = (a as i64, b as i64);
            if out[..numbered].iter().any(|&((pa, pb), _, _)| pa <= a && a < pb) {
                continue;
            }
            out.push(((a, b), 1.0, self.word_units[word].clone()));
        }
        out.sort_by_key(|&((a, _), _, _)| a);
        Ok(out)
    }
}

/// `year_value`: 2025, 二〇二五, 两千零五 → the year; None when it is not a plausible year.
pub fn year_value(text: &str) -> Option<i64> {
    let t: Vec<char> = text.chars().collect();
    let (a, b) = trimmed(&t, 0, t.len(), is_py_space);
    let t = &t[a..b];
    let cn_year =
        t.len() == 4 && matches!(t[0], '一' | '二') && t[1..].iter().all(|c| "〇零○一二三四五六七八九".contains(*c));
    let year = if t.len() == 4 && t.iter().all(char::is_ascii_digit) {
        t.iter().fold(0, |y, c| 10 * y + c.to_digit(10).expect("an ASCII digit") as i64)
    } else if cn_year {
        t.iter().fold(0, |y, &c| 10 * y + cn_digit(c).expect("a Chinese digit") as i64)
    } else {
        let v = parse_number(t).ok()?.trunc();
        if !(1000.0..=2200.0).contains(&v) {
            return None;
        }
        v as i64
    };
    (1000..=2200).contains(&year).then_some(year)
}

#[cfg(test)]
mod tests {
    use super::year_value;

    #[test]
    fn years_are_read_as_year_value_reads_them() {
        assert_eq!(year_value("2025"), Some(2025));
        assert_eq!(year_value(" 2025 "), Some(2025));
        assert_eq!(year_value("二〇二五"), Some(2025));
        assert_eq!(year_value("二零三五"), Some(2035));
        assert_eq!(year_value("两千零五"), Some(2005));
        assert_eq!(year_value("0999"), None);
        assert_eq!(year_value("3000"), None);
    }
}
