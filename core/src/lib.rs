//! policy-pipeline's compiled core: whole-notice scans that hand columns back to Python.
//!
//! The lexicons stay YAML/TSV that researchers edit; Python loads and validates them and
//! compiles them here once per run (`Core`). Each call takes a notice's text and its clause
//! boundaries and returns one list per column, so Python builds an object only per
//! candidate found, never per character or clause.

mod actors;
mod assemble;
mod body;
mod chars;
mod codebooks;
mod columns;
mod exclusions;
mod lines;
mod numbers;
mod patterns;
mod phrases;
mod quantities;
mod screen;
mod split;
mod times;
mod trie;

use std::collections::HashMap;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use quantities::{comparator_code, QuantityLexicon, COMPARATORS};

/// Quantity columns: clause index, start, end, value, value_max (NaN: none), unit index
/// (-1: none), comparator, percent, rule.
type QuantityColumns =
    (Vec<u32>, Vec<u32>, Vec<u32>, Vec<f64>, Vec<f64>, Vec<i32>, Vec<&'static str>, Vec<bool>, Vec<&'static str>);

#[pyclass(frozen, module = "pipeline._core")]
struct Core {
    quantities: QuantityLexicon,
}

fn comparator_words(words: Vec<(String, String)>) -> PyResult<(Vec<String>, Vec<u8>)> {
    let mut out = (Vec::new(), Vec::new());
    for (word, name) in words {
        let code = comparator_code(&name).ok_or_else(|| PyValueError::new_err(format!("unknown comparator {name}")))?;
        out.0.push(word);
        out.1.push(code);
    }
    Ok(out)
}

#[pymethods]
impl Core {
    /// units: (written, unit, kind) in the target lexicon's order; before/after/inside:
    /// (word, comparator) of comparators.tsv.
    #[new]
    fn new(
        units: Vec<(String, String, String)>,
        before: Vec<(String, String)>,
        after: Vec<(String, String)>,
        inside: Vec<(String, String)>,
    ) -> PyResult<Core> {
        let (before_words, before_cmp) = comparator_words(before)?;
        let (after_words, after_cmp) = comparator_words(after)?;
        let (inside_words, _) = comparator_words(inside)?;
        let unit_index: HashMap<String, usize> = units.iter().enumerate().map(|(i, u)| (u.0.clone(), i)).collect();
        Ok(Core {
            quantities: QuantityLexicon {
                units: trie::Trie::new(units.iter().map(|u| u.0.as_str())),
                unit_name: units.iter().map(|u| u.1.clone()).collect(),
                unit_kind: units.iter().map(|u| u.2.clone()).collect(),
                before: trie::Trie::reversed(before_words.iter().map(String::as_str)),
                before_cmp,
                after: trie::Trie::new(after_words.iter().map(String::as_str)),
                after_cmp,
                inside: trie::Trie::new(inside_words.iter().map(String::as_str)),
                unit_index,
            },
        })
    }

    /// Every quantity of each clause `text[starts[i]:ends[i]]`, as columns (offsets in `text`).
    fn quantities(
        &self,
        py: Python<'_>,
        text: &str,
        starts: Vec<usize>,
        ends: Vec<usize>,
    ) -> PyResult<QuantityColumns> {
        let chars: Vec<char> = text.chars().collect();
        py.allow_threads(|| {
            let mut cols: QuantityColumns = Default::default();
            for (i, (&s, &e)) in starts.iter().zip(ends.iter()).enumerate() {
                if s > e || e > chars.len() {
                    return Err(PyValueError::new_err(format!("clause {i} ({s}, {e}) is outside the text")));
                }
                let found = self.quantities.find(&chars[s..e]).map_err(PyValueError::new_err)?;
                for q in found {
                    cols.0.push(i as u32);
                    cols.1.push((s + q.start) as u32);
                    cols.2.push((s + q.end) as u32);
                    cols.3.push(q.value);
                    cols.4.push(q.value_max.unwrap_or(f64::NAN));
                    cols.5.push(q.unit.map_or(-1, |u| u as i32));
                    cols.6.push(COMPARATORS[q.comparator as usize]);
                    cols.7.push(q.percent);
                    cols.8.push(q.rule);
                }
            }
            Ok(cols)
        })
    }

    /// Numerals that are numbers in `text`: (start, end, value) columns (`find_numbers`).
    fn numbers(&self, text: &str) -> (Vec<u32>, Vec<u32>, Vec<f64>) {
        let chars: Vec<char> = text.chars().collect();
        let follower = |p: usize| self.quantities.follows(&chars, p);
        let mut out: (Vec<u32>, Vec<u32>, Vec<f64>) = Default::default();
        for n in numbers::find_numbers(&chars, &follower) {
            out.0.push(n.start as u32);
            out.1.push(n.end as u32);
            out.2.push(n.value);
        }
        out
    }
}

/// A codebook compiled once per run: its terms and negative words with the categories
/// (indices in codebook order) each one names, and the rules of its kind (themes, grants).
#[pyclass(frozen, module = "pipeline._core")]
struct Codebook {
    book: codebooks::Codebook,
}

/// Codes as columns: clause index, category index, score, evidence (an index into the
/// last column: each distinct list of terms once, in text order; a heading's terms are the
/// evidence of every clause under it).
type CodeColumns = (Vec<u32>, Vec<u32>, Vec<f64>, Vec<u32>, Vec<Vec<String>>);

#[pymethods]
impl Codebook {
    #[new]
    fn new(
        terms: Vec<(String, Vec<u32>)>,
        negatives: Vec<(String, Vec<u32>)>,
        n_categories: usize,
        themes: bool,
        grant_openers: Vec<String>,
        grant_within: usize,
        domain_terms: Vec<String>,
    ) -> Codebook {
        let rules = codebooks::Rules { themes, grant_openers, grant_within, domain_terms };
        Codebook { book: codebooks::Codebook::new(terms, negatives, n_categories, rules) }
    }

    /// The codes of a notice's clauses. `in_sector`: code only the sentences that name the
    /// codebook's sector; `title`: the title's (category, terms).
    fn code(
        &self,
        py: Python<'_>,
        notice: &CodebookNotice,
        in_sector: bool,
        title: Vec<codebooks::Theme>,
    ) -> CodeColumns {
        py.allow_threads(|| {
            let mut cols: CodeColumns = Default::default();
            let mut seen: HashMap<Vec<String>, u32> = HashMap::new();
            for row in self.book.code_notice(&notice.notice, in_sector, title) {
                cols.0.push(row.clause as u32);
                cols.1.push(row.category);
                cols.2.push(row.score);
                let next = seen.len() as u32;
                cols.3.push(*seen.entry(row.terms).or_insert(next));
            }
            cols.4 = vec![Vec::new(); seen.len()];
            for (terms, i) in seen {
                cols.4[i as usize] = terms;
            }
            cols
        })
    }
}

/// A notice as the codebooks read it, made once for all of them (its clause columns are
/// read, and its quoted names found, once): see codebooks::Notice.
#[pyclass(frozen, module = "pipeline._core")]
struct CodebookNotice {
    notice: codebooks::Notice,
}

#[pymethods]
impl CodebookNotice {
    /// `masked`: the text with unit names masked, where terms are looked for; `text`: as
    /// written, where grant verbs are; the clauses as columns in document order (start, end,
    /// is_heading, section level, paragraph and sentence number).
    #[new]
    #[allow(clippy::too_many_arguments)]
    fn new(
        masked: &str,
        text: &str,
        starts: Vec<usize>,
        ends: Vec<usize>,
        headings: Vec<bool>,
        levels: Vec<i64>,
        paragraphs: Vec<i64>,
        sentences: Vec<i64>,
    ) -> PyResult<CodebookNotice> {
        let n = starts.len();
        if [ends.len(), headings.len(), levels.len(), paragraphs.len(), sentences.len()].iter().any(|&m| m != n) {
            return Err(PyValueError::new_err("clause columns of different lengths"));
        }
        if masked.chars().count() != text.chars().count() {
            return Err(PyValueError::new_err("the masked text and the text differ in length"));
        }
        let clauses = codebooks::Clauses { starts, ends, headings, levels, paragraphs, sentences };
        Ok(CodebookNotice { notice: codebooks::Notice::new(masked.to_owned(), text.to_owned(), clauses) })
    }
}

/// Units named as the subject of a clause (`市教育局设立…`): the level prefixes the unit
/// names may start with, longest first.
#[pyclass(frozen, module = "pipeline._core")]
struct Actors {
    prefixes: Vec<Vec<char>>,
}

/// Actors as columns: the clause's index, the units it names as its subject.
type ActorColumns = (Vec<u32>, Vec<Vec<String>>);

#[pymethods]
impl Actors {
    #[new]
    fn new(prefixes: Vec<String>) -> Actors {
        Actors { prefixes: prefixes.iter().map(|p| p.chars().collect()).collect() }
    }

    /// The clauses text[starts[i]:ends[i]] whose subject is a list of units, with the units:
    /// `types` the unit types' patterns, `any` one pattern of them all (a first sieve).
    fn find(
        &self,
        py: Python<'_>,
        text: &patterns::Text,
        starts: Vec<usize>,
        ends: Vec<usize>,
        types: &patterns::Patterns,
        any: &patterns::Patterns,
    ) -> PyResult<ActorColumns> {
        if starts.len() != ends.len() {
            return Err(PyValueError::new_err("clause columns of different lengths"));
        }
        let units = actors::UnitTypes { types, any, prefixes: &self.prefixes };
        py.allow_threads(|| {
            let mut cols: ActorColumns = Default::default();
            for (i, (&start, &end)) in starts.iter().zip(&ends).enumerate() {
                if let Some(names) = units.actor_names(text, start, end)? {
                    cols.0.push(i as u32);
                    cols.1.push(names);
                }
            }
            Ok(cols)
        })
    }
}

/// How paragraphs are cut into sentences and clauses: the connectives that join the clause
/// after them, and the characters Python's str.isdigit() calls digits.
#[pyclass(frozen, module = "pipeline._core")]
struct Splitter {
    splitter: split::Splitter,
}

/// Clause columns: paragraph index, start, end, sentence number in the paragraph, heading.
type ClauseColumns = (Vec<u32>, Vec<u32>, Vec<u32>, Vec<u32>, Vec<bool>);

#[pymethods]
impl Splitter {
    #[new]
    fn new(connectives: Vec<String>, digits: &str) -> Splitter {
        Splitter {
            splitter: split::Splitter {
                connectives: connectives.iter().map(|c| c.chars().collect()).collect(),
                digits: digits.chars().collect(),
            },
        }
    }

    /// The clauses of every paragraph `text[starts[i]:ends[i]]`, in text order: its heading
    /// clause `headings[i]` (sentence 0) if it has one, then its body from `body_starts[i]`,
    /// its sentences numbered after the heading's (from 1, or from 0 without one); `holes`
    /// are (paragraph index, start, end) spans cut out (tags).
    #[allow(clippy::too_many_arguments)]
    fn split(
        &self,
        py: Python<'_>,
        text: &str,
        starts: Vec<usize>,
        ends: Vec<usize>,
        body_starts: Vec<usize>,
        holes: Vec<(usize, usize, usize)>,
        headings: Vec<Option<(usize, usize)>>,
    ) -> PyResult<ClauseColumns> {
        if [ends.len(), body_starts.len(), headings.len()].iter().any(|&n| n != starts.len()) {
            return Err(PyValueError::new_err("paragraph columns of different lengths"));
        }
        let chars: Vec<char> = text.chars().collect();
        py.allow_threads(|| {
            let mut by_paragraph: Vec<Vec<(usize, usize)>> = vec![Vec::new(); starts.len()];
            for (p, a, b) in holes {
                by_paragraph.get_mut(p).ok_or_else(|| PyValueError::new_err("a hole of no paragraph"))?.push((a, b));
            }
            let mut cols: ClauseColumns = Default::default();
            let mut found = Vec::new();
            for (i, hole_list) in by_paragraph.into_iter().enumerate() {
                let (s, e) = (starts[i], ends[i]);
                if s > e || e > chars.len() || body_starts[i] < s {
                    return Err(PyValueError::new_err(format!("paragraph {i} ({s}, {e}) is outside the text")));
                }
                found.clear();
                if let Some((a, b)) = headings[i] {
                    found.push((a, b, 0));
                }
                let first_sentence = u32::from(headings[i].is_some());
                self.splitter.paragraph(&chars, (s, e), body_starts[i], hole_list, first_sentence, &mut found);
                for (k, &(a, b, n)) in found.iter().enumerate() {
                    cols.0.push(i as u32);
                    cols.1.push(a as u32);
                    cols.2.push(b as u32);
                    cols.3.push(n);
                    cols.4.push(k == 0 && headings[i].is_some());
                }
            }
            Ok(cols)
        })
    }
}

/// The value of one numeral string; ValueError with numbers.py's message if it is none.
/// `str.translate` with a table of single characters, compiled once (see normalize.py).
#[pyclass(frozen, module = "pipeline._core")]
struct Fold {
    fold: chars::Fold,
}

#[pymethods]
impl Fold {
    #[new]
    fn new(pairs: Vec<(char, char)>) -> Fold {
        Fold { fold: chars::Fold::new(&pairs) }
    }

    /// The text with its characters mapped; None when the table maps none of them.
    fn apply(&self, py: Python<'_>, text: &str) -> Option<String> {
        py.allow_threads(|| self.fold.apply(text))
    }
}

/// The number of Chinese (Han script) characters in each text[starts[i]:ends[i]].
#[pyfunction]
fn han_counts(py: Python<'_>, text: &str, starts: Vec<usize>, ends: Vec<usize>) -> PyResult<Vec<usize>> {
    if starts.len() != ends.len() {
        return Err(PyValueError::new_err("starts and ends of different lengths"));
    }
    Ok(py.allow_threads(|| {
        let t: Vec<char> = text.chars().collect();
        starts
            .iter()
            .zip(&ends)
            .map(|(&a, &b)| {
                let (a, b) = (a.min(t.len()), b.min(t.len()));
                t[a..b.max(a)].iter().filter(|&&c| chars::is_han(c)).count()
            })
            .collect()
    }))
}

/// The most common character of a text and how often it occurs (None for an empty text).
#[pyfunction]
fn most_common(py: Python<'_>, text: &str) -> Option<(char, usize)> {
    py.allow_threads(|| chars::most_common(text))
}

#[pyfunction]
fn parse_number(text: &str) -> PyResult<f64> {
    let chars: Vec<char> = text.chars().collect();
    numbers::parse_number(&chars).map_err(PyValueError::new_err)
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<Core>()?;
    m.add_class::<Codebook>()?;
    m.add_class::<CodebookNotice>()?;
    m.add_class::<Splitter>()?;
    m.add_class::<Actors>()?;
    m.add_class::<times::Times>()?;
    m.add_class::<assemble::Assembler>()?;
    m.add_class::<body::Body>()?;
    m.add_class::<lines::Lines>()?;
    m.add_class::<exclusions::Exclusions>()?;
    m.add_class::<patterns::Text>()?;
    m.add_class::<patterns::Patterns>()?;
    m.add_class::<phrases::Phrases>()?;
    m.add_function(wrap_pyfunction!(parse_number, m)?)?;
    m.add_function(wrap_pyfunction!(han_counts, m)?)?;
    m.add_function(wrap_pyfunction!(most_common, m)?)?;
    m.add_function(wrap_pyfunction!(columns::slices, m)?)?;
    m.add_function(wrap_pyfunction!(screen::required_chars, m)?)?;
    m.add_function(wrap_pyfunction!(columns::numbered, m)?)?;
    m.add_class::<Fold>()?;
    Ok(())
}
