//! What a target measures and how it bounds it: the noun phrase around its quantity, the
//! rules of pipeline/extract/targets.py's `_indicator` (with `_np_after`, `_np_before`,
//! `_trim`, `_next_trim`, `_strip_final_verb` and `_after_last_de`), and the comparator word
//! written a few characters before it (`_comparator`); clause.rs puts them together into
//! the targets of a clause (`_clause_targets`), one call a clause. The
//! patterns and words come from Python (targets.py, targets.yaml, comparators.tsv); this
//! file holds the rules, not the patterns.
//!
//! A phrase is a stretch of the notice, text[a:b] in characters: every step of the rules
//! takes a part of the stretch before it, so nothing is copied until the phrase is returned.
//! A pattern Python runs over a phrase string (`verb.search(phrase, …)`, `fullmatch`) runs
//! here over the notice with the text ending where the phrase ends: the same, since none of
//! them looks behind its start.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, Anchored, Input, MatchKind, StartKind};
use pyo3::exceptions::PyValueError;
use pyo3::intern;
use pyo3::prelude::*;

use crate::chars::is_han;
use crate::patterns::{Patterns, Text};

/// The order of `Phrases::new`'s patterns.
const SLASH_PER: usize = 0; // 50元/天/人: the noun phrase follows the rate's period
const LEAD_NAME: usize = 1; // 5年一周期的|全员轮训
const WINDOW_LEAD: usize = 2; // 5个工作日内|完成|…
const VERB: usize = 3; // the lexicon's verbs (targets.yaml)
const WINDOW_TASK_END: usize = 4;
const NOT_NP_START: usize = 5;
const NP_STOP: usize = 6; // verbs and the words that end a noun phrase
const VERB_ONLY: usize = 7; // a phrase that is only a verb, to its end (`fullmatch`)
const BRACKETED: usize = 8; // a phrase that is only a bracket, to its end (`fullmatch`)
const VERB_BEFORE: usize = 9; // a verb that ends where the search ends
const PER_PERIOD: usize = 10; // 每2年: a number between a comparator and its amount that does not part them
                              // The patterns of a clause's targets (clause.rs):
const NUMERAL: usize = 11; // an amount written from its numeral (not from a comparator word before it)
const LEVEL: usize = 12; // the lexicon's level words (市级)
const SUBJECT_ADVERBS: usize = 13; // 要, 至少 … between a level word and its verb
const GRANT_VERB: usize = 14; // 给予, 奖励 …: the level of who pays
const PAYER: usize = 15; // 财政, …资金 after a level word: who pays
const SHARED_LEVEL: usize = 16; // 省、 before 市级 (group w)
const LEVEL_LIST: usize = 17; // between levels listed side by side, to its end
const LIST_JOIN: usize = 18; // between two amounts of one list, to its end
const AMOUNT_JOIN: usize = 19; // between amounts side by side, to its end
const WITHIN_AFTER: usize = 20; // 内 after a duration
const ITEM_SEPARATOR: usize = 21; // 、 和 … after an amount
const COVERAGE_TAIL: usize = 22; // 覆盖 after 100%
const COVERAGE: usize = 23; // the lexicon's coverage and multiple words
const AT_LEAST_BEFORE: usize = 24; // 至少 before a multiple word
const PATTERNS: usize = 25;

mod clause;
use clause::Amount;

/// Characters stripped from a phrase's ends (`PHRASE_EDGES`).
const EDGES: [char; 5] = [' ', ',', '、', ':', ';'];
/// Brackets and quotes a 的 inside of does not end a modifier (`_after_last_de`).
const OPENERS: [char; 5] = ['“', '《', '(', '"', '['];
const CLOSERS: [char; 4] = ['”', '》', ')', ']'];
/// What a noun phrase after a measure word may start with besides a Han character.
const NP_OPENERS: [char; 4] = ['“', '《', '"', '('];

/// Where no end is given: the text's end (positions are clamped to it).
const TO_THE_END: usize = usize::MAX;

/// A stretch of the notice, text[a:b] in characters.
type Span = (usize, usize);

/// The noun phrases around quantities, compiled from targets.py's and targets.yaml's patterns
/// and words once per loaded lexicon.
#[pyclass(frozen, module = "pipeline._core")]
pub struct Phrases {
    patterns: Patterns,
    trim_words: Vec<String>,            // in the order `_trim` tries them
    trim_lengths: Vec<usize>,           // each trim word's length in characters
    trim_index: HashMap<String, usize>, // a trim word's number
    sizes: Vec<usize>,                  // the trim words' distinct lengths, shortest first
    trim_keep: Vec<String>,             // 达标, 人均: words a trim word begins or ends, kept whole
    grant_nouns: Vec<String>,           // 奖励, 补助: verbs that also name the money granted
    max_np: usize,                      // characters a noun phrase may span
    min_after_de: usize,                // characters after the last 的 that make a head noun
    max_backoff: usize,                 // boundaries tried before the segment's start
    verb_reach: usize,                  // characters before an amount where a verb is looked for
    comparators: Comparators,
    target_kinds: Vec<String>,       // the kinds of quantity that are targets
    self_naming: Vec<String>,        // 学时: units that name what they count
    levels: HashMap<String, String>, // level word → level
    level_words: AhoCorasick,        // the same words: most indicators hold none
    multiples: HashMap<String, f64>, // 翻一番 → 2
    slash_group: usize,              // SLASH_PER's group p (the period)
    shared_group: usize,             // SHARED_LEVEL's group w
}

/// A clause's targets as columns: quantity number (-1: a coverage word), kind, comparator,
/// indicator, rule, level, level text, per, start, end, value (a coverage word's).
type TargetColumns = (
    Vec<i64>,
    Vec<String>,
    Vec<String>,
    Vec<Option<String>>,
    Vec<&'static str>,
    Vec<Option<String>>,
    Vec<Option<String>>,
    Vec<Option<String>>,
    Vec<usize>,
    Vec<usize>,
    Vec<f64>,
);

/// The comparator words written before an amount (comparators.tsv, position `before`).
struct Comparators {
    words: AhoCorasick,  // longest first at a place, as their alternation (longest first) reads
    codes: Vec<String>,  // each word's comparator
    lengths: Vec<usize>, // each word's length in characters
    bounds: Vec<bool>,   // its comparator bounds the amount (not approx, eq or none)
    gap: usize,          // characters a word may stand before its amount
    longest: usize,      // characters of the longest word, as targets.py counts them (COMPARATOR_WORD)
}

#[pymethods]
impl Phrases {
    /// `patterns` in the order of the constants above; then the trim words in the order they
    /// are tried, the words kept whole, the grant nouns, and the four lengths; then the
    /// comparator words written before an amount with their comparators, the comparators
    /// that do not bound an amount, how far before it a word may stand, and how far before
    /// that a word holding it may start; then the kinds of quantity that are targets, the
    /// units that name what they count, the level words with their levels and the multiple
    /// words with their values.
    #[new]
    #[allow(clippy::too_many_arguments)]
    fn new(
        patterns: Vec<String>,
        trim_words: Vec<String>,
        trim_keep: Vec<String>,
        grant_nouns: Vec<String>,
        max_np: usize,
        min_after_de: usize,
        max_backoff: usize,
        verb_reach: usize,
        comparators: Vec<(String, String)>,
        not_bounds: Vec<String>,
        gap: usize,
        longest: usize,
        target_kinds: Vec<String>,
        self_naming: Vec<String>,
        levels: Vec<(String, String)>,
        multiples: Vec<(String, f64)>,
    ) -> PyResult<Phrases> {
        if patterns.len() != PATTERNS {
            return Err(PyValueError::new_err(format!("{PATTERNS} patterns expected")));
        }
        let words = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .start_kind(StartKind::Anchored)
            .build(comparators.iter().map(|(word, _)| word))
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        let lengths: Vec<usize> = comparators.iter().map(|(word, _)| word.chars().count()).collect();
        let comparators = Comparators {
            words,
            longest,
            lengths,
            bounds: comparators.iter().map(|(_, code)| !not_bounds.contains(code)).collect(),
            codes: comparators.into_iter().map(|(_, code)| code).collect(),
            gap,
        };
        let trim_lengths: Vec<usize> = trim_words.iter().map(|w| w.chars().count()).collect();
        let mut sizes = trim_lengths.clone();
        sizes.sort_unstable();
        sizes.dedup();
        // As Python's dict: a word written twice keeps its last number (targets.yaml's trim
        // words are made unique when loaded).
        let trim_index = trim_words.iter().enumerate().map(|(k, w)| (w.clone(), k)).collect();
        let patterns = Patterns::new(patterns)?;
        let level_words =
            AhoCorasick::new(levels.iter().map(|(word, _)| word)).map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok(Phrases {
            slash_group: patterns.group(SLASH_PER, "p")?,
            shared_group: patterns.group(SHARED_LEVEL, "w")?,
            patterns,
            target_kinds,
            self_naming,
            levels: levels.into_iter().collect(),
            level_words,
            multiples: multiples.into_iter().collect(),
            trim_words,
            trim_lengths,
            trim_index,
            sizes,
            trim_keep,
            grant_nouns,
            max_np,
            min_after_de,
            max_backoff,
            verb_reach,
            comparators,
        })
    }

    /// (indicator, rule) of the quantity text[q_start:q_end] of the clause
    /// text[clause_start:clause_end] (`_indicator`): the noun phrase after it (`np_after`),
    /// else before it, from `seg_start` on (`np_before`), or none (`no_np`). `gap_start`: where
    /// a comparator word written before the number starts; `boundaries`: where a noun phrase
    /// may start (sorted).
    #[pyo3(signature = (text, clause_start, clause_end, q_start, q_end, seg_start, gap_start, boundaries))]
    #[allow(clippy::too_many_arguments)]
    fn indicator(
        &self,
        text: &Text,
        clause_start: usize,
        clause_end: usize,
        q_start: usize,
        q_end: usize,
        seg_start: usize,
        gap_start: Option<usize>,
        boundaries: Vec<usize>,
    ) -> PyResult<(Option<String>, &'static str)> {
        let (span, rule) =
            self.indicator_of(text, (clause_start, clause_end), (q_start, q_end), seg_start, gap_start, &boundaries)?;
        Ok((span.map(|(a, b)| text.slice(a, b).to_owned()), rule))
    }

    /// The targets of the clause text[clause_start:clause_end] (`_clause_targets`), as columns
    /// (`TargetColumns`). Its records as extract/targets.py holds them: `quantities` (start,
    /// end, value, comparator, percent, and unit with its unit and kind), `deadlines` and
    /// `periods` (start, end), `windows` ((start, end, end of the duration, text)), its
    /// exclusions and the ends of its `words`; `previous`, `next`: the clauses around it in
    /// its sentence; `coverage_word`: whether it holds one.
    #[pyo3(signature = (text, clause_start, clause_end, previous, next, quantities, deadlines, periods, windows,
                        exclusions, words, coverage_word))]
    #[allow(clippy::too_many_arguments)]
    fn clause_targets(
        &self,
        text: &Text,
        clause_start: usize,
        clause_end: usize,
        previous: Option<Span>,
        next: Option<Span>,
        quantities: Vec<Bound<'_, PyAny>>,
        deadlines: Vec<Bound<'_, PyAny>>,
        periods: Vec<Bound<'_, PyAny>>,
        windows: Vec<(usize, usize, usize, Bound<'_, PyAny>)>,
        exclusions: Vec<Span>,
        words: Vec<usize>,
        coverage_word: bool,
    ) -> PyResult<TargetColumns> {
        // Where numbers are no commitments (`_excluded`), and where noun phrases may start
        // besides after the target amounts (`_boundaries`).
        let deadlines = deadlines.iter().map(span_of).collect::<PyResult<Vec<Span>>>()?;
        let mut excluded = deadlines.clone();
        for p in &periods {
            excluded.push(span_of(p)?);
        }
        excluded.extend(windows.iter().map(|&(a, _, b, _)| (a, b)));
        excluded.extend(exclusions);
        let mut bounds = vec![clause_start];
        bounds.extend(words);
        bounds.extend(deadlines.iter().map(|&(_, end)| end));
        bounds.extend(windows.iter().map(|&(_, end, _, _)| end));
        let owned = quantities.iter().map(read_quantity).collect::<PyResult<Vec<_>>>()?;
        let amounts: Vec<Amount> = owned
            .iter()
            .map(|(start, end, value, comparator, kind, unit, money)| Amount {
                start: *start,
                end: *end,
                kind: kind.as_deref().unwrap_or(""),
                comparator,
                value: *value,
                unit: unit.as_deref(),
                money: *money,
            })
            .collect();
        let found = self.clause_targets_of(
            text,
            (clause_start, clause_end),
            previous,
            next,
            &amounts,
            excluded,
            bounds,
            coverage_word,
        )?;
        let mut out: TargetColumns = Default::default();
        for t in found {
            out.0.push(t.quantity.map_or(-1, |i| i as i64));
            out.1.push(t.kind);
            out.2.push(t.comparator);
            out.3.push(t.indicator);
            out.4.push(t.rule);
            let (words, level) = t.level.map_or((None, None), |(w, l)| (Some(w), Some(l)));
            out.5.push(level);
            out.6.push(words);
            out.7.push(t.per);
            out.8.push(t.start);
            out.9.push(t.end);
            out.10.push(t.value);
        }
        Ok(out)
    }

    /// (comparator, where its word starts) of an amount starting at `q_start` that has no
    /// comparator of its own (`_comparator`): a bounding word a few characters before it
    /// (不低于教师总数5%, 至少新创建5个), not inside a longer word (不少于 holds 少于, 通过 holds
    /// 过), with no number between them but a period's (每2年); else ("eq", None). Words are
    /// looked for from where the amount before it ended (`previous_end`), in its clause.
    #[pyo3(signature = (text, clause_start, previous_end, q_start))]
    fn comparator(
        &self,
        text: &Text,
        clause_start: usize,
        previous_end: Option<usize>,
        q_start: usize,
    ) -> PyResult<(String, Option<usize>)> {
        let (code, start) = self.comparator_before(text, clause_start, previous_end, q_start)?;
        Ok((code.to_owned(), start))
    }
}

impl Phrases {
    /// `indicator`'s rules: the noun phrase's span, and its rule.
    fn indicator_of(
        &self,
        text: &Text,
        (clause_start, clause_end): Span,
        (q_start, q_end): Span,
        seg_start: usize,
        gap_start: Option<usize>,
        boundaries: &[usize],
    ) -> PyResult<(Option<Span>, &'static str)> {
        let rate = self.patterns.match_span(SLASH_PER, text, q_end, TO_THE_END)?;
        let after_start = rate.map_or(q_end, |(_, end)| end as usize);
        if let Some(after) = self.np_after(text, after_start, clause_end)? {
            return Ok((Some(after), "np_after"));
        }
        let end = gap_start.unwrap_or(q_start);
        // 可申请最高15万元的|创业担保贷款: what the amount is of, after 的; it wins over a verb
        // before the amount, and stands in when nothing before names it.
        let of = if text.slice(after_start, after_start + 1) == "的" {
            self.np_after(text, after_start + 1, clause_end)?
        } else {
            None
        };
        if let Some(of) = of {
            let lo = seg_start.max(clause_start).max(end.saturating_sub(self.verb_reach));
            if self.patterns.first_span(VERB_BEFORE, text, lo, end)?.is_some() {
                return Ok((Some(of), "np_after"));
            }
        }
        let mut np = self.np_before(text, seg_start.max(clause_start), end, boundaries)?;
        if let (None, Some(gap)) = (np, gap_start) {
            // 按不超过|项目新增设备、软件投资额|5%的比例: what the bound is of
            if let Some(word_end) = self.comparator_at(text, gap, TO_THE_END) {
                np = self.np_before(text, word_end, q_start, boundaries)?;
            }
        }
        Ok(match (np, of) {
            (Some(np), _) => (Some(np), "np_before"),
            (None, Some(of)) => (Some(of), "np_after"),
            (None, None) => (None, "no_np"),
        })
    }

    /// `comparator`'s rules: the comparator's code, and where its word starts.
    fn comparator_before(
        &self,
        text: &Text,
        clause_start: usize,
        previous_end: Option<usize>,
        q_start: usize,
    ) -> PyResult<(&str, Option<usize>)> {
        let c = &self.comparators;
        // From a few characters before the reach, so that 超过 is seen as part of a 不超过
        // that starts just outside it. An amount that ended at 0 leaves the clause's start.
        let from = previous_end.filter(|&end| end != 0).unwrap_or(clause_start);
        let lo = clause_start.max(from).max(q_start.saturating_sub(c.gap + c.longest));
        let mut found = Vec::new(); // (start, end, word): the longest word at each place
        for at in lo..q_start {
            if let Some(w) = self.comparator_word(text, at, q_start) {
                found.push((at, at + c.lengths[w], w));
            }
        }
        let best = found
            .iter()
            .filter(|&&(a, b, w)| {
                c.bounds[w] && a + c.gap >= q_start && !found.iter().any(|&(oa, ob, _)| oa < a && b <= ob)
                // one word a place
            })
            .max_by_key(|&&(a, _, _)| a);
        let Some(&(start, end, w)) = best else { return Ok(("eq", None)) };
        let mut periods = Vec::new();
        self.patterns.each_span(PER_PERIOD, text, end, q_start, |a, b| periods.push((text.char(a), text.char(b))))?;
        let parted = text.slice(end, q_start).chars().enumerate().any(|(i, ch)| {
            let at = (end + i) as i64;
            ch.is_ascii_digit() && !periods.iter().any(|&(a, b)| a <= at && at < b)
        });
        Ok(if parted { ("eq", None) } else { (c.codes[w].as_str(), Some(start)) })
    }

    /// The comparator word (its number) starting at `at` in text[:end], the longest there:
    /// the words are a literal alternation, longest first, and this is its match at `at`.
    fn comparator_word(&self, text: &Text, at: usize, end: usize) -> Option<usize> {
        if at > end {
            return None;
        }
        let input = Input::new(text.slice(0, end)).range(text.slice(0, at).len()..).anchored(Anchored::Yes);
        self.comparators.words.find(input).map(|m| m.pattern().as_usize())
    }

    /// Where the comparator word starting at `at` ends, if one does.
    fn comparator_at(&self, text: &Text, at: usize, end: usize) -> Option<usize> {
        self.comparator_word(text, at, end).map(|w| at + self.comparators.lengths[w])
    }

    /// The noun phrase after a measure word (`_np_after`): 40名|县级核心骨干教师.
    fn np_after(&self, text: &Text, start: usize, end: usize) -> PyResult<Option<Span>> {
        let (mut start, mut end) = (start, end.min(start + self.max_np));
        if let Some((_, lead_end)) = self.patterns.match_span(LEAD_NAME, text, start, end)? {
            start = lead_end as usize; // 5年一周期的|全员轮训
        }
        if let Some((_, window_end)) = self.patterns.match_span(WINDOW_LEAD, text, start, end)? {
            // 5个工作日内|完成|初核并提交…: what is done in time
            let verb = self.patterns.match_span(VERB, text, window_end as usize, end)?;
            start = verb.map_or(window_end, |(_, verb_end)| verb_end) as usize;
            if let Some((cut, _)) = self.patterns.first_span(WINDOW_TASK_END, text, start, end)? {
                end = cut as usize;
            }
        }
        if start >= end {
            return Ok(None);
        }
        let first = text.slice(start, start + 1).chars().next();
        if !first.is_some_and(|c| is_han(c) || NP_OPENERS.contains(&c)) {
            return Ok(None);
        }
        if self.patterns.match_span(NOT_NP_START, text, start, end)?.is_some() {
            return Ok(None);
        }
        let head = self.after_last_de(text, start, end);
        let mut stop = None;
        if head < end {
            let mut stops = Vec::new();
            self.patterns.each_span(NP_STOP, text, head + 1, end, |a, b| stops.push((a, b)))?;
            stop = stops
                .into_iter()
                .map(|(a, b)| (text.char(a) as usize, text.char(b) as usize))
                .find(|&(a, b)| !compound_final(text, a, b, end, head));
        }
        let (a, b) = self.trim(text, head, stop.map_or(end, |(a, _)| a));
        if a >= b || self.full(VERB_ONLY, text, a, b)? || self.full(BRACKETED, text, a, b)? {
            return Ok(None); // 按…50%|计算和收取, 3-8人|(应为同一学校学生): no noun phrase
        }
        Ok(Some((a, b)))
    }

    /// The noun phrase before an amount (`_np_before`): from the nearest boundary before `end`,
    /// backing off to earlier ones (and to `start`) while nothing is left of it.
    fn np_before(&self, text: &Text, start: usize, end: usize, boundaries: &[usize]) -> PyResult<Option<Span>> {
        let start = start.max(end.saturating_sub(self.max_np));
        let lo = boundaries.partition_point(|&b| b < start);
        let hi = boundaries.partition_point(|&b| b < end).max(lo);
        let inside = &boundaries[lo..hi];
        let mut candidates = inside[inside.len().saturating_sub(self.max_backoff)..].to_vec();
        candidates.push(start);
        candidates.sort_unstable();
        candidates.dedup();
        for &b in candidates.iter().rev() {
            if b >= end {
                continue; // text[b:end] is empty
            }
            let (a, z) = self.trim(text, self.after_last_de(text, b, end), end);
            let (a, z) = self.strip_final_verb(text, a, z)?;
            if z < a + 2 {
                continue;
            }
            let piece = text.slice(a, z);
            if !self.full(VERB_ONLY, text, a, z)? || self.grant_nouns.iter().any(|g| piece.ends_with(g.as_str())) {
                return Ok(Some((a, z))); // 最高奖励|20万元: what is granted
            }
            // 五星级的给予10万元, 保证72学时: a verb alone is no indicator; what comes before it may be
            let within = text.slice(b, end);
            let at = within.rfind(piece).map(|byte| b + within[..byte].chars().count());
            return match at {
                Some(at) if at > start => self.np_before(text, start, at, boundaries),
                _ => Ok(None),
            };
        }
        Ok(None)
    }

    /// The start of text[a:b]'s head noun: after its last 的 outside quotes and brackets,
    /// when at least `min_after_de` characters follow it (`_after_last_de`).
    fn after_last_de(&self, text: &Text, a: usize, b: usize) -> usize {
        let n = b.saturating_sub(a);
        let (mut depth, mut last) = (0usize, None);
        for (i, c) in text.slice(a, b).chars().enumerate() {
            if OPENERS.contains(&c) {
                depth += 1;
            } else if CLOSERS.contains(&c) && depth > 0 {
                depth -= 1;
            } else if c == '的' && depth == 0 && i + 1 < n {
                last = Some(i);
            }
        }
        match last {
            Some(i) if n - i > self.min_after_de => a + i + 1, // n - i - 1 characters follow it
            _ => a,
        }
    }

    /// text[a:b] without the trim words at its ends, pass after pass (`_trim`); an empty
    /// span when it is a trim word itself.
    fn trim(&self, text: &Text, a: usize, b: usize) -> Span {
        let (mut a, mut b) = strip_edges(text, a, b);
        if self.trim_index.contains_key(text.slice(a, b)) {
            return (a, a);
        }
        let mut changed = true;
        while changed && a < b {
            changed = false;
            let mut next = self.next_trim(text, a, b, None);
            while let Some(k) = next {
                let (word, len) = (self.trim_words[k].as_str(), self.trim_lengths[k]);
                let piece = text.slice(a, b);
                if piece.starts_with(word) && b - a > len && !self.keeps_start(piece) {
                    a += len;
                    changed = true;
                }
                let piece = text.slice(a, b);
                if piece.ends_with(word) && b - a > len && !self.keeps_end(piece) {
                    b -= len;
                    changed = true;
                }
                next = self.next_trim(text, a, b, Some(k));
            }
            (a, b) = strip_edges(text, a, b);
        }
        (a, b)
    }

    /// The first trim word after number `after` that `trim` would strip from text[a:b]'s
    /// start or end as it is now (`_next_trim`).
    fn next_trim(&self, text: &Text, a: usize, b: usize, after: Option<usize>) -> Option<usize> {
        let piece = text.slice(a, b);
        let (head, tail) = (!self.keeps_start(piece), !self.keeps_end(piece));
        let mut best: Option<usize> = None;
        for &size in &self.sizes {
            if size >= b - a {
                break;
            }
            let at_start = head.then(|| self.trim_index.get(text.slice(a, a + size))).flatten();
            let at_end = tail.then(|| self.trim_index.get(text.slice(b - size, b))).flatten();
            for &k in at_start.into_iter().chain(at_end) {
                if after.is_none_or(|after| k > after) && best.is_none_or(|best| k < best) {
                    best = Some(k);
                }
            }
        }
        best
    }

    /// 占比提高|5个百分点: a verb right before the number is the predicate, not the noun
    /// (`_strip_final_verb`): stripped, with what `trim` strips after it, while one ends the
    /// phrase (the first verb in its last four characters).
    fn strip_final_verb(&self, text: &Text, a: usize, b: usize) -> PyResult<Span> {
        let (mut a, mut b) = (a, b);
        loop {
            match self.patterns.first_span(VERB, text, a + (b - a).saturating_sub(4), b)? {
                Some((start, end)) if end as usize == b && start as usize > a => {
                    (a, b) = self.trim(text, a, start as usize);
                }
                _ => return Ok((a, b)),
            }
        }
    }

    /// Pattern `k` matches the whole of text[a:b] (its source ends with `\z`).
    fn full(&self, k: usize, text: &Text, a: usize, b: usize) -> PyResult<bool> {
        Ok(self.patterns.match_span(k, text, a, b)?.is_some())
    }

    fn keeps_start(&self, piece: &str) -> bool {
        self.trim_keep.iter().any(|w| piece.starts_with(w.as_str()))
    }

    fn keeps_end(&self, piece: &str) -> bool {
        self.trim_keep.iter().any(|w| piece.ends_with(w.as_str()))
    }
}

/// A `Quantity` record's fields the rules read: start, end, value, comparator, kind (`kind`:
/// percentage when written 百分之, else its unit's), unit name, and whether its unit is of money.
type QuantityFields = (usize, usize, f64, String, Option<String>, Option<String>, bool);

/// A time phrase's (start, end).
fn span_of(record: &Bound<'_, PyAny>) -> PyResult<Span> {
    let py = record.py();
    Ok((record.getattr(intern!(py, "start"))?.extract()?, record.getattr(intern!(py, "end"))?.extract()?))
}

fn read_quantity(q: &Bound<'_, PyAny>) -> PyResult<QuantityFields> {
    let py = q.py();
    let unit = q.getattr(intern!(py, "unit"))?;
    let (name, unit_kind) = if unit.is_none() {
        (None, None)
    } else {
        (
            Some(unit.getattr(intern!(py, "unit"))?.extract()?),
            Some(unit.getattr(intern!(py, "kind"))?.extract::<String>()?),
        )
    };
    let percent: bool = q.getattr(intern!(py, "percent"))?.extract()?;
    let money = unit_kind.as_deref() == Some("money");
    Ok((
        q.getattr(intern!(py, "start"))?.extract()?,
        q.getattr(intern!(py, "end"))?.extract()?,
        q.getattr(intern!(py, "value"))?.extract()?,
        q.getattr(intern!(py, "comparator"))?.extract()?,
        if percent { Some("percentage".to_owned()) } else { unit_kind },
        name,
        money,
    ))
}

/// text[a:b] without the edge characters at its ends (`phrase.strip(PHRASE_EDGES)`).
fn strip_edges(text: &Text, a: usize, b: usize) -> Span {
    let at = |i: usize| text.slice(i, i + 1).chars().next();
    let (mut a, mut b) = (a, b.max(a));
    while a < b && at(a).is_some_and(|c| EDGES.contains(&c)) {
        a += 1;
    }
    while b > a && at(b - 1).is_some_and(|c| EDGES.contains(&c)) {
        b -= 1;
    }
    (a, b)
}

/// 拔尖创新人才培养班: a verb followed by one last character belongs to a noun; so does one
/// that ends the clause right after a two-character modifier (`_compound_final`).
fn compound_final(text: &Text, start: usize, end: usize, phrase_end: usize, head: usize) -> bool {
    if end == phrase_end {
        return start - head <= 2;
    }
    end + 1 == phrase_end && text.slice(end, end + 1).chars().next().is_some_and(is_han)
}
