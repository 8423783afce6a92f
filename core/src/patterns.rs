//! The lexicons' own pattern lists (targets.yaml's deadlines, windows, not-targets and duty
//! deadlines; the unit types; the indicators' terms): written by researchers, compiled here
//! with fancy-regex once per run, and matched over a notice held once in the core (`Text`),
//! so a call neither copies the notice nor counts its characters again.
//!
//! A search reads the text as Python's `pattern.finditer(text, pos, endpos)` does: the match
//! lies in `text[pos:endpos]`, a look-behind may see what comes before `pos`, and the text ends
//! at `endpos` (nothing after it is seen). Offsets are characters, as Python counts them.

use std::cell::RefCell;
use std::sync::OnceLock;

use fancy_regex::{Captures, Regex, RegexBuilder, RegexInput};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use regex_automata::{meta, Anchored, Input};

use crate::chars::Offsets;
use crate::screen::{Found, Screen};

/// The regex module searches without a limit; fancy-regex stops a search after a million
/// backtracking steps, which a notice of one 1.7-million-character line reaches (a look-behind
/// tried at each character). The bound here only keeps a pathological pattern finite.
const BACKTRACK_LIMIT: usize = 1 << 40;

/// A notice's text with the byte offset of each character (and of its end).
#[pyclass(frozen, module = "pipeline._core")]
pub struct Text {
    text: String,
    offsets: Offsets,
}

#[pymethods]
impl Text {
    #[new]
    pub(crate) fn new(text: &str) -> PyResult<Text> {
        let offsets = Offsets::of(text).ok_or_else(|| PyValueError::new_err("a text of 4 GB or more"))?;
        Ok(Text { text: text.to_owned(), offsets })
    }
}

impl Text {
    /// text[a:b] in characters (clamped to the text, as Python slices).
    pub(crate) fn slice(&self, a: usize, b: usize) -> &str {
        self.offsets.slice(&self.text, a, b)
    }

    /// The byte offset of character `i` (clamped to the text, as Python clamps pos and endpos).
    fn byte(&self, i: usize) -> usize {
        self.offsets.byte(i)
    }

    /// The character at byte offset `b` (always a character boundary: regex offsets are).
    pub(crate) fn char(&self, b: usize) -> i64 {
        self.offsets.char(b)
    }

    /// Group spans of a match, flat (start, end, start, end …), -1 for a group that took no part.
    fn spans(&self, caps: &Captures<str>) -> Vec<i64> {
        let mut out = Vec::with_capacity(2 * caps.len());
        for group in caps.iter() {
            match group {
                Some(m) => out.extend([self.char(m.start()), self.char(m.end())]),
                None => out.extend([-1, -1]),
            }
        }
        out
    }
}

/// The patterns of one lexicon list, in the order they are written.
#[pyclass(frozen, module = "pipeline._core")]
pub struct Patterns {
    sources: Vec<String>,
    /// Compiled at the start (a bad pattern is reported then); for matches at one place.
    regexes: Vec<Regex>,
    /// The same with their seek approximation, built at each one's first search.
    seeking: Vec<OnceLock<Regex>>,
    /// For a pattern with look-around, its regular approximation anchored, built at its first
    /// match at one place (`match_span`): where it does not match, the pattern cannot.
    anchors: Vec<OnceLock<Option<meta::Regex>>>,
    /// Which patterns may match in a stretch, from the characters each requires (screen.rs).
    screen: Option<Screen>,
}

/// Patterns with look-around run on fancy-regex's backtracking VM, which is tried at every
/// character; with `seek`, a regular over-approximation of the pattern (look-around dropped)
/// finds the places a match can start and the VM runs only there: 5–20× faster over whole
/// notices (not_targets: 540 ms a MB → 30 ms; the regex module takes 160 ms), 3–7× over
/// clauses. Building the approximations takes 170 ms and 20 MB for the lists of targets.yaml
/// (the numeral grammar they embed becomes a large automaton), so a pattern's is built when a
/// search first needs it, in the process that searches, not at the start; a match anchored
/// at one place gains nothing from it. fancy-regex calls seek experimental: tests/test_core.py
/// compares every list with the regex module over every clause and whole text of the seeds
/// and the development notices, and over random text.
fn build(source: &str, seek: bool) -> Result<Regex, fancy_regex::Error> {
    RegexBuilder::new(source).backtrack_limit(BACKTRACK_LIMIT).seek(seek).build()
}

thread_local! {
    /// The seek approximation fancy-regex derived last (`approximation`), handed out by the filter.
    static APPROXIMATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// The regular over-approximation of a pattern that needs the backtracking VM (look-around,
/// atomic groups), as fancy-regex derives it for seek, compiled for anchored search; None
/// when the pattern is regular (the regex crate runs it already) or the approximation is
/// empty (it would match everywhere).
/// fancy-regex hands the approximation only to a seek filter, so the filter keeps it and
/// declines it: the regex built here is never used.
fn approximation(source: &str) -> Option<meta::Regex> {
    fn keep(pattern: &str) -> bool {
        APPROXIMATION.with(|found| *found.borrow_mut() = Some(pattern.to_owned()));
        false
    }
    APPROXIMATION.with(|found| found.borrow_mut().take());
    RegexBuilder::new(source).backtrack_limit(BACKTRACK_LIMIT).seek_filter(keep).build().ok()?;
    let pattern = APPROXIMATION.with(|found| found.borrow_mut().take())?;
    (!pattern.is_empty()).then(|| meta::Regex::new(&pattern).ok()).flatten()
}

pub(crate) fn failed(e: fancy_regex::Error) -> PyErr {
    PyRuntimeError::new_err(format!("pattern failed: {e}"))
}

/// A pattern of the core's own passes (clean.py's lines and body), compiled once per run
/// with fancy-regex's default bound; `seek` as for a lexicon list (see `build`).
pub(crate) fn compiled(source: &str, seek: bool) -> PyResult<Regex> {
    RegexBuilder::new(source).seek(seek).build().map_err(|e| PyValueError::new_err(e.to_string()))
}

/// Where a scan for the next match goes on after one that spans haystack[start..end]: at
/// its end, or after the next character if it is empty (past `limit` at the text's end).
fn after_match(haystack: &str, start: usize, end: usize, limit: usize) -> usize {
    if end > start {
        end
    } else {
        haystack[end..].chars().next().map_or(limit + 1, |c| end + c.len_utf8())
    }
}

/// The ranges text[starts[i]:ends[i]] of a call over many clauses, sentences or lines.
pub(crate) fn ranges<'a>(
    starts: &'a [usize],
    ends: &'a [usize],
) -> PyResult<impl Iterator<Item = (usize, usize)> + 'a> {
    if starts.len() != ends.len() {
        return Err(PyValueError::new_err("columns of different lengths"));
    }
    Ok(starts.iter().copied().zip(ends.iter().copied()))
}

impl Patterns {
    /// Every match of pattern `k` in text[pos:endpos] (character offsets), in order, each
    /// search going on after the end of the one before (after the next character if empty).
    pub(crate) fn each_match(
        &self,
        k: usize,
        text: &Text,
        pos: usize,
        endpos: usize,
        mut found: impl FnMut(&Captures<str>),
    ) -> PyResult<()> {
        let end = text.byte(endpos);
        let haystack = &text.text[..end];
        let mut at = text.byte(pos).min(end);
        let regex = self.seeking(k);
        while at <= end {
            let input = RegexInput::new(haystack).from_pos(at);
            let Some(caps) = regex.captures_input(input).map_err(failed)? else { break };
            let whole = caps.get(0).expect("group 0 of a match");
            found(&caps);
            at = after_match(haystack, whole.start(), whole.end(), end);
        }
        Ok(())
    }

    /// `each_match` for callers that need only where each match starts and ends (byte
    /// offsets): no groups are captured, so a pattern without look-around is searched by the
    /// regex crate alone.
    pub(crate) fn each_span(
        &self,
        k: usize,
        text: &Text,
        pos: usize,
        endpos: usize,
        mut found: impl FnMut(usize, usize),
    ) -> PyResult<()> {
        let end = text.byte(endpos);
        let haystack = &text.text[..end];
        let mut at = text.byte(pos).min(end);
        let regex = self.seeking(k);
        while at <= end {
            let input = RegexInput::new(haystack).from_pos(at);
            let Some(m) = regex.find_input(input).map_err(failed)? else { break };
            found(m.start(), m.end());
            at = after_match(haystack, m.start(), m.end(), end);
        }
        Ok(())
    }

    /// The (start, end) of the first match of pattern `k` in text[pos:endpos], in characters.
    pub(crate) fn first_span(&self, k: usize, text: &Text, pos: usize, endpos: usize) -> PyResult<Option<(i64, i64)>> {
        let (at, end) = (text.byte(pos), text.byte(endpos));
        if at > end {
            return Ok(None);
        }
        let input = RegexInput::new(&text.text[..end]).from_pos(at);
        Ok(self.seeking(k).find_input(input).map_err(failed)?.map(|m| (text.char(m.start()), text.char(m.end()))))
    }

    /// The group spans of the first match of pattern `k` in text[pos:endpos] (`anchored`: one
    /// that starts at pos).
    pub(crate) fn first(
        &self,
        k: usize,
        text: &Text,
        pos: usize,
        endpos: usize,
        anchored: bool,
    ) -> PyResult<Option<Vec<i64>>> {
        let end = text.byte(endpos);
        let at = text.byte(pos);
        if at > end {
            return Ok(None);
        }
        let input = RegexInput::new(&text.text[..end]).from_pos(at).anchored(anchored);
        let regex = if anchored { &self.regexes[k] } else { self.seeking(k) };
        Ok(regex.captures_input(input).map_err(failed)?.map(|caps| text.spans(&caps)))
    }

    /// The (start, end) of pattern `k` matched right at `pos` within text[:endpos], if it matches.
    pub(crate) fn match_span(&self, k: usize, text: &Text, pos: usize, endpos: usize) -> PyResult<Option<(i64, i64)>> {
        let (at, end) = (text.byte(pos), text.byte(endpos));
        if at > end {
            return Ok(None);
        }
        let haystack = &text.text[..end];
        // The VM set up for one place costs a microsecond or two; most places match nothing.
        let anchor = self.anchors[k].get_or_init(|| approximation(&self.sources[k]));
        if anchor.as_ref().is_some_and(|a| !a.is_match(Input::new(haystack).range(at..).anchored(Anchored::Yes))) {
            return Ok(None);
        }
        let input = RegexInput::new(haystack).from_pos(at).anchored(true);
        Ok(self.regexes[k].find_input(input).map_err(failed)?.map(|m| (text.char(m.start()), text.char(m.end()))))
    }

    /// The number of pattern `k`'s group called `name`; ValueError(k, message) if it has none.
    pub(crate) fn group(&self, k: usize, name: &str) -> PyResult<usize> {
        let found = self.regexes[k].capture_names().position(|n| n == Some(name));
        found.ok_or_else(|| PyValueError::new_err((k, format!("the pattern has no group {name}"))))
    }

    /// The (start, end) of every match of every pattern in text[pos:endpos], pattern by
    /// pattern, added to `out`.
    pub(crate) fn spans_into(&self, text: &Text, pos: usize, endpos: usize, out: &mut Vec<(i64, i64)>) -> PyResult<()> {
        let found = self.may_match(text, pos, endpos);
        for k in (0..self.regexes.len()).filter(|&k| found.may(k)) {
            self.each_span(k, text, pos, endpos, |a, b| out.push((text.char(a), text.char(b))))?;
        }
        Ok(())
    }

    /// Which patterns may match in text[pos:endpos]: a match lies there, so it holds the
    /// characters its pattern requires.
    pub(crate) fn may_match(&self, text: &Text, pos: usize, endpos: usize) -> Found<'_> {
        self.screen.as_ref().map_or_else(Found::all, |screen| screen.found(text.slice(pos, endpos)))
    }

    /// `first_span` of each pattern, those the screen rules out not searched.
    fn firsts_into(
        &self,
        text: &Text,
        pos: usize,
        endpos: usize,
        mut found: impl FnMut(Option<(i64, i64)>),
    ) -> PyResult<()> {
        let may_match = self.may_match(text, pos, endpos);
        for k in 0..self.regexes.len() {
            found(if may_match.may(k) { self.first_span(k, text, pos, endpos)? } else { None });
        }
        Ok(())
    }

    /// How many patterns the list holds.
    pub(crate) fn len(&self) -> usize {
        self.regexes.len()
    }

    /// Pattern `k` with its seek approximation (built now if this is its first search).
    fn seeking(&self, k: usize) -> &Regex {
        // The pattern compiled already, so it compiles again; were seek to fail, search without.
        self.seeking[k].get_or_init(|| build(&self.sources[k], true).unwrap_or_else(|_| self.regexes[k].clone()))
    }
}

#[pymethods]
impl Patterns {
    /// Compiles every pattern; ValueError(index, message) names the first that does not compile
    /// (fancy-regex's message), so the lexicon loader can name its line.
    #[new]
    pub(crate) fn new(sources: Vec<String>) -> PyResult<Patterns> {
        let mut regexes = Vec::with_capacity(sources.len());
        for (i, source) in sources.iter().enumerate() {
            regexes.push(build(source, false).map_err(|e| PyValueError::new_err((i, e.to_string())))?);
        }
        let seeking = sources.iter().map(|_| OnceLock::new()).collect();
        let anchors = sources.iter().map(|_| OnceLock::new()).collect();
        let screen = Screen::new(&sources);
        Ok(Patterns { sources, regexes, seeking, anchors, screen })
    }

    /// The named groups of pattern `k`: name → group number.
    fn groupindex(&self, k: usize) -> Vec<(String, usize)> {
        let names = self.regexes[k].capture_names();
        names.enumerate().filter_map(|(i, name)| name.map(|n| (n.to_owned(), i))).collect()
    }

    /// Every match of every pattern in text[pos:endpos], pattern by pattern: (pattern index,
    /// group spans) each.
    fn finditer(&self, py: Python<'_>, text: &Text, pos: usize, endpos: usize) -> PyResult<Vec<(usize, Vec<i64>)>> {
        py.allow_threads(|| {
            let mut out = Vec::new();
            for k in 0..self.regexes.len() {
                self.each_match(k, text, pos, endpos, |caps| out.push((k, text.spans(caps))))?;
            }
            Ok(out)
        })
    }

    /// The (start, end) of every match of every pattern in text[pos:endpos], pattern by pattern.
    fn spans(&self, py: Python<'_>, text: &Text, pos: usize, endpos: usize) -> PyResult<Vec<(i64, i64)>> {
        py.allow_threads(|| {
            let mut out = Vec::new();
            self.spans_into(text, pos, endpos, &mut out)?;
            Ok(out)
        })
    }

    /// The (start, end) of each pattern's first match in text[pos:endpos] (None: it has none).
    fn firsts(&self, py: Python<'_>, text: &Text, pos: usize, endpos: usize) -> PyResult<Vec<Option<(i64, i64)>>> {
        py.allow_threads(|| {
            let mut out = Vec::with_capacity(self.regexes.len());
            self.firsts_into(text, pos, endpos, |first| out.push(first))?;
            Ok(out)
        })
    }

    /// For each pattern, then each of `starts`: the (start, end) of the pattern matched right
    /// at that start within text[:endpos] (Python's `pattern.match(text, start, endpos)`).
    fn match_spans(&self, py: Python<'_>, text: &Text, starts: Vec<usize>, endpos: usize) -> PyResult<Vec<(i64, i64)>> {
        py.allow_threads(|| {
            let mut out = Vec::new();
            for k in 0..self.regexes.len() {
                for &s in &starts {
                    out.extend(self.match_span(k, text, s, endpos)?);
                }
            }
            Ok(out)
        })
    }

    /// For each text[starts[i]:ends[i]]: the first pattern (in the list's order) that matches
    /// right at its start, and where that match ends; -1 and -1 where none does.
    fn first_at_each(
        &self,
        py: Python<'_>,
        text: &Text,
        starts: Vec<usize>,
        ends: Vec<usize>,
    ) -> PyResult<(Vec<i64>, Vec<i64>)> {
        let each = ranges(&starts, &ends)?;
        py.allow_threads(|| {
            let (mut which, mut match_ends) = (Vec::with_capacity(starts.len()), Vec::with_capacity(starts.len()));
            for (start, end) in each {
                let mut found = (-1, -1);
                let may_match = self.may_match(text, start, end);
                for k in (0..self.regexes.len()).filter(|&k| may_match.may(k)) {
                    if let Some((_, e)) = self.match_span(k, text, start, end)? {
                        found = (k as i64, e);
                        break;
                    }
                }
                which.push(found.0);
                match_ends.push(found.1);
            }
            Ok((which, match_ends))
        })
    }

    /// For each text[starts[i]:ends[i]], then each pattern: the (start, end) of the pattern's
    /// first match there, (-1, -1) where it has none. One call for many clauses or sentences
    /// (the columns hold ranges × patterns values, range by range).
    fn firsts_in_each(
        &self,
        py: Python<'_>,
        text: &Text,
        starts: Vec<usize>,
        ends: Vec<usize>,
    ) -> PyResult<(Vec<i64>, Vec<i64>)> {
        let each = ranges(&starts, &ends)?;
        py.allow_threads(|| {
            let n = starts.len() * self.regexes.len();
            let (mut first_starts, mut first_ends) = (Vec::with_capacity(n), Vec::with_capacity(n));
            for (start, end) in each {
                self.firsts_into(text, start, end, |first| {
                    let (a, b) = first.unwrap_or((-1, -1));
                    first_starts.push(a);
                    first_ends.push(b);
                })?;
            }
            Ok((first_starts, first_ends))
        })
    }

    /// For each of `texts` (strings of their own, such as indicators), the first pattern of
    /// `candidates[i]`, in that order, that matches somewhere in it; -1 where none does.
    fn first_matching(&self, py: Python<'_>, texts: Vec<String>, candidates: Vec<Vec<usize>>) -> PyResult<Vec<i64>> {
        if texts.len() != candidates.len() {
            return Err(PyValueError::new_err("columns of different lengths"));
        }
        if let Some(&k) = candidates.iter().flatten().find(|&&k| k >= self.regexes.len()) {
            return Err(PyValueError::new_err(format!("no pattern {k}")));
        }
        py.allow_threads(|| {
            let mut out = Vec::with_capacity(texts.len());
            for (text, ks) in texts.iter().zip(&candidates) {
                let text = Text::new(text)?;
                let end = text.text.chars().count();
                let may_match = self.may_match(&text, 0, end);
                let mut found = -1;
                for &k in ks {
                    if may_match.may(k) && self.first_span(k, &text, 0, end)?.is_some() {
                        found = k as i64;
                        break;
                    }
                }
                out.push(found);
            }
            Ok(out)
        })
    }

    /// The index of each range text[starts[i]:ends[i]] where some pattern matches, in order:
    /// most clauses match none, and the caller looks only at those that do.
    fn which_in_each(&self, py: Python<'_>, text: &Text, starts: Vec<usize>, ends: Vec<usize>) -> PyResult<Vec<u32>> {
        let each = ranges(&starts, &ends)?;
        py.allow_threads(|| {
            let mut which = Vec::new();
            for (i, (start, end)) in each.enumerate() {
                let may_match = self.may_match(text, start, end);
                for k in (0..self.regexes.len()).filter(|&k| may_match.may(k)) {
                    if self.first_span(k, text, start, end)?.is_some() {
                        which.push(i as u32);
                        break;
                    }
                }
            }
            Ok(which)
        })
    }

    /// For each text[starts[i]:ends[i]]: every match of every pattern there (as `spans`), as
    /// columns: range index, start, end.
    fn spans_in_each(
        &self,
        py: Python<'_>,
        text: &Text,
        starts: Vec<usize>,
        ends: Vec<usize>,
    ) -> PyResult<(Vec<u32>, Vec<i64>, Vec<i64>)> {
        let each = ranges(&starts, &ends)?;
        py.allow_threads(|| {
            let (mut which, mut span_starts, mut span_ends) = (Vec::new(), Vec::new(), Vec::new());
            let mut spans = Vec::new();
            for (i, (start, end)) in each.enumerate() {
                spans.clear();
                self.spans_into(text, start, end, &mut spans)?;
                which.extend(std::iter::repeat_n(i as u32, spans.len()));
                span_starts.extend(spans.iter().map(|s| s.0));
                span_ends.extend(spans.iter().map(|s| s.1));
            }
            Ok((which, span_starts, span_ends))
        })
    }

    /// The group spans of the first match of pattern `k` in text[pos:endpos], if there is one.
    fn search(&self, py: Python<'_>, k: usize, text: &Text, pos: usize, endpos: usize) -> PyResult<Option<Vec<i64>>> {
        py.allow_threads(|| self.first(k, text, pos, endpos, false))
    }

    /// The group spans of pattern `k` matched right at `pos` within text[:endpos], if it matches.
    fn match_at(&self, py: Python<'_>, k: usize, text: &Text, pos: usize, endpos: usize) -> PyResult<Option<Vec<i64>>> {
        py.allow_threads(|| self.first(k, text, pos, endpos, true))
    }
}
