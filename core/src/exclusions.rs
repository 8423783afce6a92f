//! Where a clause's numbers are no commitments, the rules of pipeline/extract/targets.py's
//! `_exclusions` for all the clauses of a notice in one call: calendar dates, quoted names,
//! the lexicon's names (一带一路) outside a range, region names a number is part of (三门县),
//! and the not-target patterns of targets.yaml, matched only near the clause's quantities
//! and coverage words. The patterns themselves come from Python (targets.py, deadlines.py,
//! targets.yaml): this file holds the rules, not the patterns.

use std::collections::HashSet;

use aho_corasick::AhoCorasick;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::chars::{char_matches, leftmost_longest};
use crate::numbers::number_ends;
use crate::patterns::{Patterns, Text};
use crate::times::year_value;

/// Excluded spans as columns: clause index, start, end.
pub type SpanColumns = (Vec<u32>, Vec<i64>, Vec<i64>);

/// The order of `Exclusions::new`'s patterns.
const YEAR_SPAN: usize = 0; // 2020至2025年 (groups ay, by)
const DATE: usize = 1; // 截止到2018年, 二〇一九年5月8日起 (groups pre, ay)
const QUOTED: usize = 2;
const COVERAGE: usize = 3; // 全覆盖, 翻番: no numeral, yet patterns about them apply
const NUMERAL_RUN: usize = 4;
const ADJACENT: usize = 5; // 一两, 两三: a range without a joiner
const PATTERNS: usize = 6;

/// Distances (characters) and the characters the rules look at.
struct Reach {
    near: usize,        // around a quantity, where patterns about it can match
    place_reach: usize, // around a number, where a region name holding it is looked for
    place_numerals: Vec<char>,
    place_list: Vec<char>,
    range_joiners: Vec<char>,
}

/// Where clauses' numbers are no commitments, compiled from targets.py's, deadlines.py's and
/// targets.yaml's patterns and names.
#[pyclass(frozen, module = "pipeline._core")]
pub struct Exclusions {
    patterns: Patterns,
    groups: [usize; 4], // YEAR_SPAN's ay and by, DATE's pre and ay
    names: AhoCorasick,
    places: AhoCorasick,
    numbered: Vec<bool>, // per place name: it holds a numeral
    full: Vec<bool>,     // per place name: it is a full name (三门县, not 三门)
    /// The not-targets that start with a number, without it: the number is read once at each
    /// place (its ends found by `number_ends`), not once per pattern in the regex VM.
    after_numbers: Option<Patterns>,
    reach: Reach,
}

/// Overlapping or touching spans merged (`_union`).
fn union(mut spans: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    spans.sort_unstable();
    let mut out: Vec<(usize, usize)> = Vec::with_capacity(spans.len());
    for (a, b) in spans {
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

#[pymethods]
impl Exclusions {
    /// `patterns`: year spans, dates, quoted names, coverage words, numeral runs, adjacent
    /// numerals (in the order of the constants above); `names` the lexicon's names; `places`
    /// the region names, with those that hold a numeral and the full ones; `after_numbers`
    /// the number-first not-targets with their number (NUMBER_PATTERN) cut off, when each
    /// starts with it (None: `find` runs them whole); then the distances and characters the
    /// rules look at.
    #[new]
    #[pyo3(signature = (patterns, names, places, numbered, full, after_numbers, near, place_reach, place_numerals,
                        place_list, range_joiners))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        patterns: Vec<String>,
        names: Vec<String>,
        places: Vec<String>,
        numbered: HashSet<String>,
        full: HashSet<String>,
        after_numbers: Option<Vec<String>>,
        near: usize,
        place_reach: usize,
        place_numerals: &str,
        place_list: &str,
        range_joiners: &str,
    ) -> PyResult<Exclusions> {
        if patterns.len() != PATTERNS {
            return Err(PyValueError::new_err(format!("{PATTERNS} patterns expected")));
        }
        let patterns = Patterns::new(patterns)?;
        let groups = [
            patterns.group(YEAR_SPAN, "ay")?,
            patterns.group(YEAR_SPAN, "by")?,
            patterns.group(DATE, "pre")?,
            patterns.group(DATE, "ay")?,
        ];
        Ok(Exclusions {
            groups,
            names: leftmost_longest(&names)?,
            places: leftmost_longest(&places)?,
            numbered: places.iter().map(|p| numbered.contains(p)).collect(),
            full: places.iter().map(|p| full.contains(p)).collect(),
            after_numbers: after_numbers.map(Patterns::new).transpose()?,
            patterns,
            reach: Reach {
                near,
                place_reach,
                place_numerals: place_numerals.chars().collect(),
                place_list: place_list.chars().collect(),
                range_joiners: range_joiners.chars().collect(),
            },
        })
    }

    /// The spans of each clause text[starts[i]:ends[i]] whose numbers are no commitments, as
    /// columns (clause index, start, end), given the clauses' quantities (each: its clause's
    /// index, start, end); `not_targets` are tried over the stretches around the quantities
    /// and coverage words, the number-first ones where a run of numerals starts in them.
    #[allow(clippy::too_many_arguments)]
    fn find(
        &self,
        py: Python<'_>,
        text: &Text,
        starts: Vec<usize>,
        ends: Vec<usize>,
        quantity_clause: Vec<usize>,
        quantity_starts: Vec<usize>,
        quantity_ends: Vec<usize>,
        not_targets: &Patterns,
        at_numbers: &Patterns,
    ) -> PyResult<SpanColumns> {
        if starts.len() != ends.len()
            || quantity_clause.len() != quantity_starts.len()
            || quantity_starts.len() != quantity_ends.len()
        {
            return Err(PyValueError::new_err("columns of different lengths"));
        }
        let mut quantities: Vec<Vec<(usize, usize)>> = vec![Vec::new(); starts.len()];
        for ((&c, &a), &b) in quantity_clause.iter().zip(&quantity_starts).zip(&quantity_ends) {
            let clause = quantities.get_mut(c).ok_or_else(|| PyValueError::new_err("a quantity of no clause"))?;
            clause.push((a, b));
        }
        py.allow_threads(|| {
            let mut cols = SpanColumns::default();
            for (i, ((&start, &end), qs)) in starts.iter().zip(&ends).zip(&quantities).enumerate() {
                for (a, b) in self.clause(text, start, end, qs, not_targets, at_numbers)? {
                    cols.0.push(i as u32);
                    cols.1.push(a);
                    cols.2.push(b);
                }
            }
            Ok(cols)
        })
    }
}

impl Exclusions {
    fn clause(
        &self,
        text: &Text,
        start: usize,
        end: usize,
        quantities: &[(usize, usize)],
        not_targets: &Patterns,
        at_numbers: &Patterns,
    ) -> PyResult<Vec<(i64, i64)>> {
        let mut coverage = Vec::new(); // 全覆盖, 翻倍: no numeral, yet patterns about them apply
        self.patterns.each_span(COVERAGE, text, start, end, |a, b| {
            coverage.push((text.char(a) as usize, text.char(b) as usize));
        })?;
        let piece = text.slice(start, end);
        let at = |i: usize| text.slice(i, i + 1).chars().next(); // the character at offset i, if any
        let mut out = self.dates(text, start, end)?;
        self.patterns.each_span(QUOTED, text, start, end, |a, b| out.push((text.char(a), text.char(b))))?;
        // A name is not read inside a range: 两项 in 一至两项 or 一两项 is the range's upper end.
        for (a, b, _) in char_matches(&self.names, piece, start) {
            let in_range = a > start
                && (at(a - 1).is_some_and(|c| self.reach.range_joiners.contains(&c))
                    || self.patterns.match_span(ADJACENT, text, a - 1, end)?.is_some());
            if !in_range {
                out.push((a as i64, b as i64));
            }
        }
        for &(q_start, q_end) in quantities {
            if !at(q_start).is_some_and(|c| self.reach.place_numerals.contains(&c)) {
                continue;
            }
            let (lo, hi) =
                (q_start.saturating_sub(self.reach.place_reach).max(start), (q_end + self.reach.place_reach).min(end));
            let found = char_matches(&self.places, text.slice(lo, hi), lo);
            for (k, &(a, b, name)) in found.iter().enumerate() {
                if !((a..b).contains(&q_start) && self.numbered[name]) {
                    continue;
                }
                let listed = (found.get(k + 1).is_some_and(|next| next.0 == b + 1)
                    && at(b).is_some_and(|c| self.reach.place_list.contains(&c)))
                    || (k > 0
                        && found[k - 1].1 + 1 == a
                        && at(a - 1).is_some_and(|c| self.reach.place_list.contains(&c)));
                if self.full[name] || listed {
                    out.push((a as i64, b as i64));
                }
            }
        }
        let near = self.reach.near;
        let stretches =
            quantities.iter().chain(&coverage).map(|&(a, b)| (a.saturating_sub(near).max(start), (b + near).min(end)));
        for (lo, hi) in union(stretches.collect()) {
            not_targets.spans_into(text, lo, hi, &mut out)?;
            // A pattern that starts with a number can only match where a run of numerals
            // starts (the number is atomic and greedy): tried there, not at every character.
            let mut runs = Vec::new();
            self.patterns.each_span(NUMERAL_RUN, text, lo, hi, |a, _| runs.push(text.char(a) as usize))?;
            match &self.after_numbers {
                Some(suffixes) if !runs.is_empty() => {
                    // The stretch's characters: a number is read forward only, and the text ends at hi.
                    let chars: Vec<char> = text.slice(lo, hi).chars().collect();
                    let may_match = suffixes.may_match(text, lo, hi); // each match lies in the stretch
                    for &s in &runs {
                        let ends = number_ends(&chars, s - lo);
                        for k in (0..suffixes.len()).filter(|&k| may_match.may(k)) {
                            // The first end (in the engine's order) the rest of the pattern matches after.
                            for &e in &ends {
                                if let Some((_, b)) = suffixes.match_span(k, text, lo + e, hi)? {
                                    out.push((s as i64, b));
                                    break;
                                }
                            }
                        }
                    }
                }
                Some(_) => {}
                None => {
                    for k in 0..at_numbers.len() {
                        for &s in &runs {
                            out.extend(at_numbers.match_span(k, text, s, hi)?);
                        }
                    }
                }
            }
        }
        Ok(out)
    }

    /// The spans of `find_dates` over the clause: year spans (2020至2025年) whose years are
    /// in order, then dates whose year starts in none of them.
    fn dates(&self, text: &Text, start: usize, end: usize) -> PyResult<Vec<(i64, i64)>> {
        let [span_a, span_b, pre, date_year] = self.groups;
        let mut spans: Vec<(i64, i64)> = Vec::new();
        self.patterns.each_match(YEAR_SPAN, text, start, end, |caps| {
            let year = |g: usize| caps.get(g).and_then(|m| year_value(m.as_str()));
            if let (Some(a), Some(b)) = (year(span_a), year(span_b)) {
                if a <= b {
                    let m = caps.get(0).expect("group 0 of a match");
                    spans.push((text.char(m.start()), text.char(m.end())));
                }
            }
        })?;
        let years = spans.len();
        self.patterns.each_match(DATE, text, start, end, |caps| {
            let Some(y) = caps.get(date_year) else { return };
            let y_start = text.char(y.start());
            if spans[..years].iter().any(|&(a, b)| a <= y_start && y_start < b) || year_value(y.as_str()).is_none() {
                return;
            }
            let m = caps.get(0).expect("group 0 of a match");
            // 截止到2018年, 到2025年: the word is part of the date; 从, 在, 于 are not.
            let from_year = caps.get(pre).is_none_or(|p| matches!(p.as_str(), "从" | "在" | "公元" | "于"));
            spans.push((if from_year { y_start } else { text.char(m.start()) }, text.char(m.end())));
        })?;
        Ok(spans)
    }
}
