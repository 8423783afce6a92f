//! The body of a notice put together from its kept lines, the rules of pipeline/clean.py's
//! `_assemble_lines`: paragraphs joined by newlines, the lines of a paragraph run together, the
//! whitespace next to Chinese text and the glosses inside words (萬(wàn)人, 园[繁体:園]区)
//! dropped, other whitespace folded to one space; with the Simplified twin of the body and
//! the raw offset of each of its characters. The two patterns come from clean.py.

use fancy_regex::Regex;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::chars::{is_py_space, Offsets};
use crate::patterns::{compiled, failed};

#[pyclass(frozen, module = "pipeline._core")]
pub struct Assembler {
    near_wide: Regex, // whitespace next to Chinese text
    noise: Regex,     // a pinyin gloss, a [繁体:X] insert
}

/// Mark the characters of `piece` that a match of `regex` covers.
fn mark(regex: &Regex, piece: &str, drop: &mut [bool]) -> PyResult<()> {
    let starts: Vec<usize> = piece.char_indices().map(|(b, _)| b).collect();
    for m in regex.find_iter(piece) {
        let m = m.map_err(failed)?;
        let (a, b) = (starts.partition_point(|&s| s < m.start()), starts.partition_point(|&s| s < m.end()));
        drop[a..b].fill(true);
    }
    Ok(())
}

#[pymethods]
impl Assembler {
    #[new]
    fn new(near_wide: &str, noise: &str) -> PyResult<Assembler> {
        // With seek: a line is scanned for where a match can start, not tried at every
        // character by the backtracking VM.
        Ok(Assembler { near_wide: compiled(near_wide, true)?, noise: compiled(noise, true)? })
    }

    /// The body of the lines raw[starts[i]:ends[i]] (`opens[i]`: the line opens a paragraph
    /// after the first), its Simplified twin out of `simp` (the t2s of raw, character for
    /// character) and the raw offset of each of its characters and of its end, as 8-byte
    /// little-endian integers.
    fn assemble<'py>(
        &self,
        py: Python<'py>,
        raw: &str,
        simp: &str,
        starts: Vec<usize>,
        ends: Vec<usize>,
        opens: Vec<bool>,
    ) -> PyResult<(String, String, Bound<'py, PyBytes>)> {
        if starts.len() != ends.len() || starts.len() != opens.len() {
            return Err(PyValueError::new_err("line columns of different lengths"));
        }
        let (raw_at, simp_at) = match (Offsets::of(raw), Offsets::of(simp)) {
            (Some(r), Some(s)) => (r, s),
            _ => return Err(PyValueError::new_err("a text of 4 GB or more")),
        };
        let (text, simplified, offsets) = py.allow_threads(|| -> PyResult<(String, String, Vec<i64>)> {
            let (mut text, mut simplified) = (String::with_capacity(raw.len()), String::with_capacity(simp.len()));
            let mut offsets: Vec<i64> = Vec::with_capacity(raw.len() / 2);
            for (i, (&start, &end)) in starts.iter().zip(&ends).enumerate() {
                if opens[i] && i > 0 {
                    text.push('\n');
                    simplified.push('\n');
                    offsets.push(ends[i - 1] as i64);
                }
                let piece = raw_at.slice(raw, start, end);
                let twin = simp_at.slice(simp, start, end);
                if !piece.chars().any(is_py_space) && self.noise.find(piece).map_err(failed)?.is_none() {
                    text.push_str(piece); // most lines: kept as they are
                    simplified.push_str(twin);
                    offsets.extend((start..end).map(|k| k as i64));
                    continue;
                }
                let mut drop = vec![false; end.saturating_sub(start)];
                mark(&self.near_wide, piece, &mut drop)?;
                mark(&self.noise, piece, &mut drop)?;
                let mut after_space = false;
                for (k, (c, t)) in piece.chars().zip(twin.chars()).enumerate() {
                    if drop[k] {
                        continue;
                    }
                    if is_py_space(c) {
                        if after_space {
                            continue;
                        }
                        after_space = true;
                        text.push(' ');
                        simplified.push(' ');
                    } else {
                        after_space = false;
                        text.push(c);
                        simplified.push(t);
                    }
                    offsets.push((start + k) as i64);
                }
            }
            offsets.push(ends.last().map_or(0, |&e| e as i64));
            Ok((text, simplified, offsets))
        })?;
        // Written straight into the bytes object: a long notice's offsets are tens of MB.
        let bytes = PyBytes::new_with(py, 8 * offsets.len(), |buffer| {
            for (slot, offset) in buffer.chunks_exact_mut(8).zip(&offsets) {
                slot.copy_from_slice(&offset.to_le_bytes());
            }
            Ok(())
        })?;
        Ok((text, simplified, bytes))
    }
}
