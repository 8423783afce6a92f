//! A page's lines, the rules of pipeline/clean.py's `_python_lines` (with `_trimmed`) and
//! `_python_kinds`: the text cut at line breaks, each line trimmed of spaces and a leading bullet
//! mark, then each kept line read as page chrome (a metadata label, a widget, a footer) or
//! body. The characters and patterns come from clean.py and structure.yaml; the lines that
//! need more than trimming (a whole notice on one line, a table glued into a line) are
//! handed back to Python.

use fancy_regex::{Regex, RegexInput};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::chars::{is_py_space, Offsets};
use crate::patterns::{compiled, failed, ranges};

/// What `split` says of a line.
const PLAIN: u8 = 0; // trimmed: a line as it is kept
const LONG: u8 = 1; // the whole line, untrimmed: it holds several paragraphs
const GLUED: u8 = 2; // the whole line, untrimmed: it may hold a glued table

const BODY: u8 = 0;
const CHROME: u8 = 1;

#[pyclass(frozen, module = "pipeline._core")]
pub struct Lines {
    breaks: Vec<char>,
    last_break: char, // the largest: most characters are above it
    bullet: Regex,
    long: usize,
    glued: String,
    label: Regex,
    chrome: Regex,
    max_label_value: usize,
    max_island: usize,
    sentence_ends: Vec<char>,
}

impl Lines {
    /// raw[start:end] (characters, starting at byte `at`) without surrounding spaces and a
    /// leading bullet mark, as (start, end) in characters; None if nothing is left.
    fn trimmed(&self, raw: &str, at: usize, start: usize, end: usize) -> PyResult<Option<(usize, usize)>> {
        let line = &raw[at..];
        let chars: Vec<char> = line.chars().take(end - start).collect();
        let (mut a, mut b) = (0, chars.len());
        while a < b && is_py_space(chars[a]) {
            a += 1;
        }
        while b > a && is_py_space(chars[b - 1]) {
            b -= 1;
        }
        if a < b {
            // The bullet is matched in the line up to its trimmed end: a look-ahead sees nothing after.
            let from: usize = chars[..a].iter().map(|c| c.len_utf8()).sum();
            let to: usize = from + chars[a..b].iter().map(|c| c.len_utf8()).sum::<usize>();
            let input = RegexInput::new(&line[..to]).from_pos(from).anchored(true);
            if let Some(m) = self.bullet.find_input(input).map_err(failed)? {
                let bullet_end = a + line[from..m.end()].chars().count();
                if b > bullet_end {
                    a = bullet_end;
                }
            }
        }
        Ok((a < b).then_some((start + a, start + b)))
    }
}

#[pymethods]
impl Lines {
    /// `breaks`: the characters that end a line; `bullet`: a bullet mark at a line's start;
    /// `long`: the length from which a line holds several paragraphs; `glued`: the word of a
    /// line that may hold a table; `label`, `chrome`: structure.yaml's chrome label (with its
    /// group `value`) and chrome lines; the longest value of a label standing alone, the
    /// longest line stranded between chrome lines that is chrome too, the characters that
    /// end a sentence.
    #[new]
    #[allow(clippy::too_many_arguments)]
    fn new(
        breaks: &str,
        bullet: &str,
        long: usize,
        glued: &str,
        label: &str,
        chrome: &str,
        max_label_value: usize,
        max_island: usize,
        sentence_ends: &str,
    ) -> PyResult<Lines> {
        Ok(Lines {
            breaks: breaks.chars().collect(),
            last_break: breaks.chars().max().unwrap_or('\0'),
            bullet: compiled(bullet, false)?,
            long,
            glued: glued.to_owned(),
            label: compiled(label, false)?,
            chrome: compiled(chrome, false)?,
            max_label_value,
            max_island,
            sentence_ends: sentence_ends.chars().collect(),
        })
    }

    /// The lines of `raw` (`simp`: its t2s, character for character), as columns: start, end
    /// (characters) and what the line is (0: trimmed, 1: long, 2: maybe a glued table; those
    /// two untrimmed). A line of spaces is left out.
    fn split(&self, py: Python<'_>, raw: &str, simp: &str) -> PyResult<(Vec<i64>, Vec<i64>, Vec<u8>)> {
        if raw.chars().count() != simp.chars().count() {
            return Err(PyValueError::new_err("simp is not raw's twin: their lengths differ"));
        }
        py.allow_threads(|| {
            let (mut starts, mut ends, mut kinds) = (Vec::new(), Vec::new(), Vec::new());
            // The line's first character, its byte in raw and in simp.
            let (mut start, mut at, mut simp_at) = (0usize, 0usize, 0usize);
            let ends_of_text = std::iter::once(((raw.len(), '\n'), (simp.len(), '\n')));
            for (i, ((byte, c), (simp_byte, s))) in
                raw.char_indices().zip(simp.char_indices()).chain(ends_of_text).enumerate()
            {
                if byte < raw.len() && (c > self.last_break || !self.breaks.contains(&c)) {
                    continue;
                }
                if i > start {
                    let kind = if i - start >= self.long {
                        LONG
                    } else if simp[simp_at..simp_byte].contains(&self.glued) {
                        GLUED
                    } else {
                        PLAIN
                    };
                    if kind != PLAIN {
                        starts.push(start as i64);
                        ends.push(i as i64);
                        kinds.push(kind);
                    } else if let Some((a, b)) = self.trimmed(raw, at, start, i)? {
                        starts.push(a as i64);
                        ends.push(b as i64);
                        kinds.push(PLAIN);
                    }
                }
                start = i + 1;
                at = byte + c.len_utf8();
                simp_at = simp_byte + s.len_utf8();
            }
            Ok((starts, ends, kinds))
        })
    }

    /// What each line simp[starts[i]:ends[i]] is: 0 body, 1 chrome. A chrome label (索引号:…)
    /// and a chrome line are chrome; so is the value of a label that stood alone on its line,
    /// and a short line stranded between chrome lines.
    fn kinds(&self, py: Python<'_>, simp: &str, starts: Vec<usize>, ends: Vec<usize>) -> PyResult<Vec<u8>> {
        let each = ranges(&starts, &ends)?;
        let simp_at = Offsets::of(simp).ok_or_else(|| PyValueError::new_err("a text of 4 GB or more"))?;
        py.allow_threads(|| {
            let mut kinds = Vec::with_capacity(starts.len());
            let mut lengths = Vec::with_capacity(starts.len());
            let mut expect_value = false;
            for (start, end) in each {
                let line = simp_at.slice(simp, start, end);
                let length = end.saturating_sub(start);
                lengths.push(length);
                if let Some(caps) = self.label.captures(line).map_err(failed)? {
                    kinds.push(CHROME);
                    expect_value = caps.name("value").is_none_or(|v| v.as_str().chars().all(is_py_space));
                    continue;
                }
                let chrome = self.chrome.is_match(line).map_err(failed)?
                    || expect_value
                        && length <= self.max_label_value
                        && line.chars().last().is_some_and(|c| !self.sentence_ends.contains(&c));
                kinds.push(if chrome { CHROME } else { BODY });
                expect_value = false;
            }
            // A short line stranded between chrome lines is chrome too (widget captions).
            for i in 1..kinds.len().saturating_sub(1) {
                if kinds[i] == BODY && lengths[i] <= self.max_island && kinds[i - 1] == CHROME && kinds[i + 1] == CHROME
                {
                    kinds[i] = CHROME;
                }
            }
            Ok(kinds)
        })
    }
}
