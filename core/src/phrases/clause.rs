//! The targets of one clause, the rules of pipeline/extract/targets.py's `_clause_targets`
//! (with `_boundaries`, `_level`, `_levels_listed`, `_subject_level`, `_next_clause_np`,
//! `_previous_clause_np`, `_is_base`, `_slash_per`, `_respectively`, `_shared_head` and
//! `_coverage_targets`): which of its quantities are targets, what each measures, how it
//! bounds it and at which level, and the coverage words (全覆盖, 翻一番) that state an amount
//! without a numeral. Python makes the rows of what this returns (a few a clause) and puts
//! each in its context (period, window, deadline, scope).

use super::{
    Phrases, Span, AMOUNT_JOIN, AT_LEAST_BEFORE, COVERAGE, COVERAGE_TAIL, GRANT_VERB, ITEM_SEPARATOR, LEVEL,
    LEVEL_LIST, LIST_JOIN, NUMERAL, PAYER, SHARED_LEVEL, SLASH_PER, SUBJECT_ADVERBS, TO_THE_END, VERB, WITHIN_AFTER,
};
use crate::chars::is_py_space;
use crate::patterns::Text;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// Comparators that bound an amount: one written before the first amount of a list bounds
/// the amounts listed after it.
const BOUNDS: [&str; 4] = ["ge", "le", "gt", "lt"];

/// A quantity of the clause, as the rules read it.
pub(super) struct Amount<'a> {
    pub start: usize,
    pub end: usize,
    pub kind: &'a str, // "" for none
    pub comparator: &'a str,
    pub value: f64,
    pub unit: Option<&'a str>,
    pub money: bool, // its unit is of money (a rate's period after slashes is its `per`)
}

/// A level and the words that name it: (市级, prefectural).
type Level = (String, String);

/// One target of the clause.
pub(super) struct Found {
    pub quantity: Option<usize>, // its amount's number; None for a coverage word
    pub kind: String,
    pub comparator: String,
    pub indicator: Option<String>,
    pub rule: &'static str, // the indicator's rule (a coverage word's: the whole rule)
    pub level: Option<Level>,
    pub per: Option<String>,
    pub start: usize,
    pub end: usize,
    pub value: f64, // a coverage word's (100, or its multiple)
}

/// Half-open spans with a logarithmic overlap test (`_Spans`: a clause can hold thousands).
struct Spans {
    spans: Vec<Span>,    // sorted by start
    max_end: Vec<usize>, // running maximum of their ends
}

impl Spans {
    fn new(mut spans: Vec<Span>) -> Spans {
        spans.sort_unstable();
        let mut best = 0;
        let max_end = spans
            .iter()
            .map(|&(_, b)| {
                best = best.max(b);
                best
            })
            .collect();
        Spans { spans, max_end }
    }

    fn overlaps(&self, start: usize, end: usize) -> bool {
        let i = self.spans.partition_point(|&(a, _)| a < end); // spans starting before `end`
        i > 0 && self.max_end[i - 1] > start
    }
}

impl Phrases {
    /// The targets of the clause text[clause.0:clause.1], in the order `_clause_targets`
    /// gives them. `previous`, `next`: the clauses around it in its sentence; `excluded`:
    /// where its numbers are no commitments (its time phrases and exclusions); `bounds`:
    /// where noun phrases may start besides after its target amounts (its start, words,
    /// deadlines and windows); `coverage_word`: it holds one.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn clause_targets_of(
        &self,
        text: &Text,
        clause: Span,
        previous: Option<Span>,
        next: Option<Span>,
        amounts: &[Amount],
        excluded: Vec<Span>,
        mut boundaries: Vec<usize>,
        coverage_word: bool,
    ) -> PyResult<Vec<Found>> {
        let excluded = Spans::new(excluded);
        let mut kept = Vec::new(); // (amount, where the 覆盖 after it ends)
        for (i, a) in amounts.iter().enumerate() {
            if excluded.overlaps(a.start, a.end) {
                continue;
            }
            let tail = self.coverage_after(text, a)?;
            if tail.is_some() || self.target_kinds.iter().any(|k| k == a.kind) {
                kept.push((i, tail));
            }
        }
        boundaries.extend(kept.iter().map(|&(i, _)| amounts[i].end));
        boundaries.sort_unstable();
        boundaries.dedup();
        let mut out: Vec<Found> = Vec::with_capacity(kept.len());
        let mut previous_end: Option<usize> = None;
        let mut previous_level: Option<Level> = None;
        let mut previous_comparator: Option<&'static str> = None; // a bound written before the amount
        for &(i, tail) in &kept {
            let a = &amounts[i];
            let kind = if tail.is_some() { "coverage" } else { a.kind };
            let (mut comparator, gap_start) = if a.comparator == "eq" {
                self.comparator_before(text, clause.0, previous_end, a.start)?
            } else {
                (a.comparator, None)
            };
            if kind == "duration" && comparator == "eq" && self.at(WITHIN_AFTER, text, a.end, TO_THE_END)?.is_some() {
                comparator = "le"; // 5个工作日内(完成): at most
            }
            let seg_start = match previous_end {
                None => clause.0,
                Some(end) => self.at(ITEM_SEPARATOR, text, end, TO_THE_END)?.unwrap_or(end),
            };
            let (span, mut rule) =
                self.indicator_of(text, clause, (a.start, a.end), seg_start, gap_start, &boundaries)?;
            let mut indicator = span.map(|(x, y)| text.slice(x, y).to_owned());
            if indicator.is_none() {
                indicator = self.clause_np(text, next, true)?;
                if indicator.is_some() {
                    rule = "np_next_clause";
                }
            }
            if (indicator.is_none() && kind == "multiple") || (indicator.is_some() && is_base(text, a)) {
                // 按总课时的11%|开设|美育课程: a share of a base, given to what the verb after it makes
                let made = match self.at(VERB, text, a.end, clause.1)? {
                    Some(verb_end) => self.np_after(text, verb_end, clause.1)?,
                    None => None,
                };
                if let Some((x, y)) = made {
                    (indicator, rule) = (Some(text.slice(x, y).to_owned()), "np_after_verb");
                } else if let Some(earlier) = self.clause_np(text, previous, false)? {
                    (indicator, rule) = (Some(earlier), "np_previous_clause");
                }
            }
            if indicator.is_none() {
                if let Some(unit) = a.unit.filter(|u| self.self_naming.iter().any(|s| s == u)) {
                    (indicator, rule) = (Some(unit.to_owned()), "unit_named"); // 保证72学时
                }
            }
            let mut level = match self.level(indicator.as_deref().unwrap_or(""))? {
                None => self.subject_level(text, clause, a)?,
                named => named,
            };
            let enumerated =
                previous_end.is_some_and(|end| text.slice(end, seg_start).trim_matches(is_py_space) == "、");
            if level.is_none() && enumerated {
                level.clone_from(&previous_level);
            }
            // 不低于50元、100元: a bound written once before the first amount of a list bounds
            // every item (one after it, 60%以上和80%, is that amount's own).
            let mut listed = false;
            if let (Some(earlier), Some(end)) = (previous_comparator, previous_end) {
                if comparator == "eq" && self.full(LIST_JOIN, text, end, a.start)? {
                    (comparator, listed) = (earlier, true);
                }
            }
            // Only a bound carries on to the next amount: the numeral is looked at for those.
            let bound_before = BOUNDS.contains(&comparator)
                && (listed || gap_start.is_some() || self.at(NUMERAL, text, a.start, TO_THE_END)?.is_none());
            let per = if a.money { self.slash_period(text, a.end)? } else { None };
            out.push(Found {
                quantity: Some(i),
                kind: kind.to_owned(),
                comparator: comparator.to_owned(),
                indicator,
                rule,
                level: level.clone(),
                per,
                start: a.start,
                end: a.end,
                value: a.value,
            });
            previous_end = Some(tail.unwrap_or(a.end));
            previous_level = level;
            previous_comparator = BOUNDS.iter().copied().find(|&b| bound_before && b == comparator);
        }
        self.respectively(text, clause, &mut out)?;
        self.shared_head(text, &mut out)?;
        if coverage_word {
            let mut taken: Vec<Span> = out.iter().map(|t| (t.start, t.end)).collect();
            taken.extend(excluded.spans);
            self.coverage_targets(text, clause, &Spans::new(taken), &boundaries, &mut out)?;
        }
        Ok(out)
    }

    /// Where pattern `k` matched right at `pos` (within text[:end]) ends, if it matches.
    fn at(&self, k: usize, text: &Text, pos: usize, end: usize) -> PyResult<Option<usize>> {
        Ok(self.patterns.match_span(k, text, pos, end)?.map(|(_, e)| e as usize))
    }

    /// Where the `覆盖` after a 100% ends (`_coverage_after`): it makes the amount a coverage.
    fn coverage_after(&self, text: &Text, a: &Amount) -> PyResult<Option<usize>> {
        if a.kind != "percentage" || a.value != 100.0 {
            return Ok(None);
        }
        self.at(COVERAGE_TAIL, text, a.end, TO_THE_END)
    }

    /// What the clause after (`next`) or before names, after its last verb (`_next_clause_np`,
    /// `_previous_clause_np`): 按照3至6年一周期,|对…开展|任期结束综合评估. After the next
    /// clause's last verb only when more than one character follows it.
    fn clause_np(&self, text: &Text, clause: Option<Span>, next: bool) -> PyResult<Option<String>> {
        let Some((start, end)) = clause else { return Ok(None) };
        let mut last = None;
        self.patterns.each_span(VERB, text, start, end, |_, b| last = Some(text.char(b) as usize))?;
        let from = match last {
            Some(verb_end) if !next || verb_end + 1 < end => verb_end,
            _ => start,
        };
        let (a, b) = self.trim(text, from, end);
        Ok((a < b).then(|| text.slice(a, b).to_owned()))
    }

    /// 50元/天/人, 300元/人/月: the period a rate is per, written after slashes (`_slash_per`).
    fn slash_period(&self, text: &Text, pos: usize) -> PyResult<Option<String>> {
        let Some(spans) = self.patterns.first(SLASH_PER, text, pos, TO_THE_END, true)? else { return Ok(None) };
        let (a, b) = (spans[2 * self.slash_group], spans[2 * self.slash_group + 1]);
        Ok((a >= 0).then(|| text.slice(a as usize, b as usize).to_owned()))
    }

    /// The level the indicator names (`_level`); none when it names a list of levels (市级、县级
    /// 专职教研员至少1人): one value over several levels is no one level's.
    fn level(&self, indicator: &str) -> PyResult<Option<Level>> {
        let mut listed = self.levels_listed(indicator)?;
        Ok(if listed.len() == 1 { listed.pop() } else { None })
    }

    /// The first level the indicator names, with those listed right after it (国家级、省级;
    /// `_levels_listed`). A level followed by the words of who pays (市级工业发展资金) is not
    /// one; 省、市级 writes 级 once for the list.
    fn levels_listed(&self, indicator: &str) -> PyResult<Vec<Level>> {
        if !self.level_words.is_match(indicator) {
            return Ok(Vec::new()); // most indicators: no level word, nothing to read
        }
        let t = Text::new(indicator)?;
        let mut words = Vec::new();
        self.patterns
            .each_span(LEVEL, &t, 0, TO_THE_END, |a, b| words.push((t.char(a) as usize, t.char(b) as usize)))?;
        let mut found: Vec<Level> = Vec::new();
        let mut end = 0;
        for (start, stop) in words {
            if self.patterns.match_span(PAYER, &t, stop, TO_THE_END)?.is_some() {
                continue;
            }
            let word = t.slice(start, stop);
            let own = self.level_of(word)?;
            let shared = if found.is_empty() { self.shared_level(&t, start)? } else { None };
            if let Some((w, level)) = shared {
                let differs = own != level;
                found.push((w, level));
                if differs {
                    found.push((word.to_owned(), own));
                }
                end = stop;
                continue;
            }
            if !found.is_empty() && !self.full(LEVEL_LIST, &t, end, start)? {
                break;
            }
            if found.last().is_none_or(|(_, last)| *last != own) {
                found.push((word.to_owned(), own));
            }
            end = stop;
        }
        Ok(found)
    }

    /// 省、市级名师: the level word written without 级 before `before`, its level that of the
    /// word with it.
    fn shared_level(&self, t: &Text, before: usize) -> PyResult<Option<Level>> {
        let Some(spans) = self.patterns.first(SHARED_LEVEL, t, 0, before, false)? else { return Ok(None) };
        let (a, b) = (spans[2 * self.shared_group], spans[2 * self.shared_group + 1]);
        if a < 0 {
            return Ok(None);
        }
        let w = t.slice(a as usize, b as usize);
        let level = self.levels.get(w).or_else(|| self.levels.get(&format!("{w}级")));
        Ok(level.map(|level| (w.to_owned(), level.clone())))
    }

    fn level_of(&self, word: &str) -> PyResult<String> {
        self.levels.get(word).cloned().ok_or_else(|| PyValueError::new_err(format!("{word}: not a level word")))
    }

    /// 市级至少建设2个…: a level word that is the clause's subject, followed by its verb, is the
    /// level of what it builds; not one that pays (省级分别给予50万元, `_subject_level`).
    fn subject_level(&self, text: &Text, clause: Span, a: &Amount) -> PyResult<Option<Level>> {
        let Some((start, stop)) = self.patterns.match_span(LEVEL, text, clause.0, a.start)? else { return Ok(None) };
        let (start, stop) = (start as usize, stop as usize);
        let verb_at = self.at(SUBJECT_ADVERBS, text, stop, a.start)?.unwrap_or(stop);
        if self.at(GRANT_VERB, text, verb_at, a.start)?.is_some() || self.at(VERB, text, verb_at, a.start)?.is_none() {
            return Ok(None);
        }
        let word = text.slice(start, stop);
        Ok(Some((word.to_owned(), self.level_of(word)?)))
    }

    /// 国家级、省级企业分别达到10家、40家: the levels listed go to the amounts in turn
    /// (`_respectively`).
    fn respectively(&self, text: &Text, clause: Span, out: &mut [Found]) -> PyResult<()> {
        if out.len() < 2 || !text.slice(clause.0, clause.1).contains("分别") {
            return Ok(());
        }
        let Some(first) = out[0].indicator.as_deref() else { return Ok(()) };
        let listed = self.levels_listed(first)?;
        if listed.len() == out.len() {
            for (t, level) in out.iter_mut().zip(listed) {
                t.level = Some(level);
            }
        }
        Ok(())
    }

    /// 分别给予200万元、100万元资金奖补: amounts listed right before one noun phrase all count it
    /// (`_shared_head`), from the last pair to the first.
    fn shared_head(&self, text: &Text, out: &mut [Found]) -> PyResult<()> {
        for i in (0..out.len().saturating_sub(1)).rev() {
            let (t, nxt) = (&out[i], &out[i + 1]);
            if nxt.rule == "np_after"
                && nxt.kind == t.kind
                && t.rule != "np_after"
                && self.full(AMOUNT_JOIN, text, t.end, nxt.start)?
            {
                let indicator = nxt.indicator.clone();
                (out[i].indicator, out[i].rule) = (indicator, "np_shared");
            }
        }
        Ok(())
    }

    /// The coverage words of the clause outside `taken` (`_coverage_targets`): 全覆盖 is 100%
    /// of what it covers, 翻一番 a multiple (at least one after 至少).
    fn coverage_targets(
        &self,
        text: &Text,
        clause: Span,
        taken: &Spans,
        boundaries: &[usize],
        out: &mut Vec<Found>,
    ) -> PyResult<()> {
        let mut words = Vec::new();
        self.patterns.each_span(COVERAGE, text, clause.0, clause.1, |a, b| {
            words.push((text.char(a) as usize, text.char(b) as usize))
        })?;
        for (start, end) in words {
            if taken.overlaps(start, end) {
                continue;
            }
            let indicator =
                self.np_before(text, clause.0, start, boundaries)?.map(|(a, b)| text.slice(a, b).to_owned());
            let level = self.level(indicator.as_deref().unwrap_or(""))?;
            let multiple = self.multiples.get(text.slice(start, end)).copied();
            let at_least = match multiple {
                Some(_) => {
                    let from = clause.0.max(start.saturating_sub(6));
                    self.patterns.first_span(AT_LEAST_BEFORE, text, from, start)?.is_some()
                }
                None => false,
            };
            out.push(Found {
                quantity: None,
                kind: if multiple.is_some() { "multiple" } else { "coverage" }.to_owned(),
                comparator: if at_least { "ge" } else { "eq" }.to_owned(),
                indicator,
                rule: if multiple.is_some() { "multiple_word+np_before" } else { "coverage_word+np_before" },
                level,
                per: None,
                start,
                end,
                value: multiple.unwrap_or(100.0),
            });
        }
        Ok(())
    }
}

/// 调控线的2.5倍, 总数的5%: the phrase before 的 is the base, not what is measured (`_is_base`).
fn is_base(text: &Text, a: &Amount) -> bool {
    matches!(a.kind, "multiple" | "percentage") && text.slice(0, a.start).trim_end_matches(is_py_space).ends_with('的')
}
