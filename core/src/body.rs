//! A page's body lines made paragraphs, the rules of pipeline/clean.py after the lines are
//! cut and read (`_outside_main_block`, the counts of `_check_loss`, `_drop_repeated_run`,
//! `_join_broken_lines` with `_continues`): on a web page the stretch dense in prose is the
//! notice and the rest chrome; a run of lines that repeats an earlier one goes; the lines
//! that PDF extraction broke are joined. The characters, lengths and patterns come from
//! clean.py and the lexicons.

use std::collections::HashMap;

use fancy_regex::{Regex, RegexInput};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::chars::{is_space, Offsets};
use crate::patterns::{compiled, failed};

const BODY: u8 = 0; // as `Lines.kinds` numbers them

#[pyclass(frozen, module = "pipeline._core")]
pub struct Body {
    heading: Regex,   // a heading marker at a line's start: it opens a paragraph
    title_end: Regex, // a title's last word (…方案, …年)): a title, not a broken line
    date_end: Regex,  // a date or 印发 at a line's end: a signature, not a broken line
    empty_cell: Vec<char>,
    terminal: Vec<char>,
    continued: Vec<char>,
    sentence_marks: Vec<char>,
    min_broken_line: usize,
    min_repeat_chars: usize,
    prose_line: i64,
    menu_penalty: i64,
}

/// What `Body.paragraphs` gives: the chrome lines (indices), the Chinese characters of the
/// page and of its body, and the lines kept with whether each opens a paragraph.
type Paragraphs = (Vec<u32>, i64, i64, Vec<i64>, Vec<i64>, Vec<bool>);

/// One line: its span (characters) and its Simplified text.
struct Line<'a> {
    start: i64,
    end: i64,
    simp: &'a str,
    cut: bool,
}

impl Body {
    /// `_outside_main_block`: the lines outside the page's stretch with the highest score
    /// (Chinese characters of prose lines, less a penalty for each other line) are chrome.
    fn main_block(&self, lines: &[Line], kinds: &mut [u8], han: &[i64]) {
        let (mut best, mut best_span, mut total, mut start) = (0i64, (0usize, lines.len()), 0i64, 0usize);
        for (i, line) in lines.iter().enumerate() {
            let n = han[i];
            let prose = kinds[i] == BODY
                && (n >= self.prose_line || line.simp.chars().any(|c| self.sentence_marks.contains(&c)));
            total += if prose { n } else { -self.menu_penalty.max(n) };
            if total <= 0 {
                (total, start) = (0, i + 1);
            } else if total > best {
                (best, best_span) = (total, (start, i + 1));
            }
        }
        for (i, kind) in kinds.iter_mut().enumerate() {
            if i < best_span.0 || i >= best_span.1 {
                *kind = 1;
            }
        }
    }

    /// `_drop_repeated_run`: whether each line is kept. A run of lines (MIN_REPEAT_CHARS or
    /// more, spaces aside) that repeats an earlier run verbatim is dropped.
    fn unrepeated(&self, lines: &[&Line]) -> Vec<bool> {
        let keys: Vec<String> = lines.iter().map(|ln| ln.simp.chars().filter(|&c| !is_space(c)).collect()).collect();
        let lengths: Vec<usize> = keys.iter().map(|k| k.chars().count()).collect();
        let mut first: HashMap<&str, usize> = HashMap::new();
        let mut keep = vec![true; lines.len()];
        let mut j = 0;
        while j < lines.len() {
            if let Some(&i) = first.get(keys[j].as_str()) {
                let mut k = 0;
                while j + k < lines.len() && i + k < j && keys[i + k] == keys[j + k] {
                    k += 1;
                }
                if lengths[j..j + k].iter().sum::<usize>() >= self.min_repeat_chars {
                    keep[j..j + k].fill(false);
                    j += k;
                    continue;
                }
            }
            first.entry(keys[j].as_str()).or_insert(j);
            j += 1;
        }
        keep
    }

    /// `_continues`: `line` goes on the paragraph that `prev` ends.
    fn continues(&self, prev: &Line, line: &Line) -> PyResult<bool> {
        let Some(last) = prev.simp.chars().last() else { return Ok(false) };
        if prev.cut || line.cut || prev.simp.contains('|') || line.simp.contains('|') {
            return Ok(false); // table rows stay rows
        }
        let heading = self.heading.find_input(RegexInput::new(line.simp).anchored(true)).map_err(failed)?;
        if self.terminal.contains(&last) || heading.is_some() || self.date_end.is_match(prev.simp).map_err(failed)? {
            return Ok(false);
        }
        if self.continued.contains(&last) {
            return Ok(!prev.simp.chars().all(|c| self.empty_cell.contains(&c)));
            // a lone `——` is an empty cell
        }
        if prev.simp.contains('。') {
            return Ok(true); // a sentence ended inside the line, and the next one runs on
        }
        Ok(prev.simp.chars().count() >= self.min_broken_line && !self.title_end.is_match(prev.simp).map_err(failed)?)
    }
}

#[pymethods]
impl Body {
    /// The patterns (written for the core, each read on one line): a heading marker, a
    /// title's end, a date's end; the characters of an empty cell, that end a paragraph,
    /// that continue one, that mark prose; the shortest broken line, the shortest repeated
    /// run, the Chinese characters that make a line prose, what another line costs.
    #[new]
    #[allow(clippy::too_many_arguments)]
    fn new(
        heading: &str,
        title_end: &str,
        date_end: &str,
        empty_cell: &str,
        terminal: &str,
        continued: &str,
        sentence_marks: &str,
        min_broken_line: usize,
        min_repeat_chars: usize,
        prose_line: i64,
        menu_penalty: i64,
    ) -> PyResult<Body> {
        Ok(Body {
            heading: compiled(heading, false)?,
            title_end: compiled(title_end, false)?,
            date_end: compiled(date_end, false)?,
            empty_cell: empty_cell.chars().collect(),
            terminal: terminal.chars().collect(),
            continued: continued.chars().collect(),
            sentence_marks: sentence_marks.chars().collect(),
            min_broken_line,
            min_repeat_chars,
            prose_line,
            menu_penalty,
        })
    }

    /// The lines simp[starts[i]:ends[i]] (`cut`: cut out of a longer line, never joined;
    /// empty: none is), read as `kinds` (0 body, 1 chrome) with `han` Chinese characters
    /// each, of a web page (`html`) or of a source whose reader found the paragraphs
    /// (`layout`: each line is one). Gives the chrome lines, the Chinese characters of all
    /// lines and of the body ones, and the body lines kept, with whether each opens a
    /// paragraph.
    #[allow(clippy::too_many_arguments)]
    fn paragraphs(
        &self,
        py: Python<'_>,
        simp: &str,
        starts: Vec<i64>,
        ends: Vec<i64>,
        cut: Vec<bool>,
        mut kinds: Vec<u8>,
        han: Vec<i64>,
        html: bool,
        layout: bool,
    ) -> PyResult<Paragraphs> {
        let n = starts.len();
        if ends.len() != n || kinds.len() != n || han.len() != n || !(cut.is_empty() || cut.len() == n) {
            return Err(PyValueError::new_err("line columns of different lengths"));
        }
        let at = Offsets::of(simp).ok_or_else(|| PyValueError::new_err("a text of 4 GB or more"))?;
        py.allow_threads(|| {
            let lines: Vec<Line> = (0..n)
                .map(|i| Line {
                    start: starts[i],
                    end: ends[i],
                    simp: at.slice(simp, starts[i].max(0) as usize, ends[i].max(0) as usize),
                    cut: cut.get(i).copied().unwrap_or(false),
                })
                .collect();
            if html {
                self.main_block(&lines, &mut kinds, &han);
            }
            let chrome: Vec<u32> = (0..n).filter(|&i| kinds[i] != BODY).map(|i| i as u32).collect();
            let total = han.iter().sum();
            let kept_han = (0..n).filter(|&i| kinds[i] == BODY).map(|i| han[i]).sum();
            let body: Vec<&Line> = lines.iter().zip(&kinds).filter(|(_, &k)| k == BODY).map(|(ln, _)| ln).collect();
            let keep = self.unrepeated(&body);
            let body: Vec<&Line> = body.into_iter().zip(keep).filter(|(_, k)| *k).map(|(ln, _)| ln).collect();
            let mut opens = Vec::with_capacity(body.len());
            for (i, line) in body.iter().enumerate() {
                opens.push(layout || i == 0 || !self.continues(body[i - 1], line)?);
            }
            Ok((
                chrome,
                total,
                kept_han,
                body.iter().map(|ln| ln.start).collect(),
                body.iter().map(|ln| ln.end).collect(),
                opens,
            ))
        })
    }
}
