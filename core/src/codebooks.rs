//! Codebook hits (SPEC §8): every term of a codebook in every clause, in one pass over the
//! notice, and each clause's categories with their distinct terms — the rules of `_scan`
//! and `_codes` in pipeline/extract/categories.py.

use aho_corasick::{AhoCorasick, MatchKind};

/// The automaton of a list of words, the words as characters, and each word's categories.
type Automaton = (AhoCorasick, Vec<Vec<char>>, Vec<Vec<u32>>);

pub struct Codebook {
    terms: Option<Automaton>,
    negatives: Option<Automaton>,
    n_categories: usize,
}

type Words = Vec<(String, Vec<u32>)>;

fn automaton(words: Words) -> Option<Automaton> {
    let words: Words = words.into_iter().filter(|(w, _)| !w.is_empty()).collect();
    if words.is_empty() {
        return None;
    }
    let ac = AhoCorasick::builder()
        .match_kind(MatchKind::Standard)
        .build(words.iter().map(|(w, _)| w.as_str()))
        .expect("an automaton of literal words");
    let chars = words.iter().map(|(w, _)| w.chars().collect()).collect();
    let ids = words.into_iter().map(|(_, ids)| ids).collect();
    Some((ac, chars, ids))
}

/// A term found in a clause: (start, end) in characters and the word's index.
type Hit = (usize, usize, usize);

/// One code: the clause's index, the category, and its distinct terms in text order.
pub struct Code {
    pub clause: usize,
    pub category: u32,
    pub terms: Vec<String>,
}

impl Codebook {
    pub fn new(terms: Words, negatives: Words, n_categories: usize) -> Codebook {
        Codebook { terms: automaton(terms), negatives: automaton(negatives), n_categories }
    }

    /// Hits of each (clause, category): term spans and negative spans. Clauses are given
    /// sorted by start; a hit outside every clause (a tag, between clauses) counts nowhere.
    fn scan(&self, text: &str, starts: &[usize], ends: &[usize]) -> Vec<Vec<(Vec<Hit>, Vec<Hit>)>> {
        let mut found: Vec<Vec<(Vec<Hit>, Vec<Hit>)>> = vec![Vec::new(); starts.len()];
        for (kind, automaton) in [&self.terms, &self.negatives].into_iter().enumerate() {
            let Some((ac, words, ids)) = automaton else { continue };
            // Matches come by end; the character offset of each end is counted on the way.
            let (mut byte, mut char_pos) = (0usize, 0usize);
            for m in ac.find_overlapping_iter(text) {
                char_pos += text[byte..m.end()].chars().count();
                byte = m.end();
                let w = m.pattern().as_usize();
                let (end, start) = (char_pos, char_pos - words[w].len());
                let i = starts.partition_point(|&s| s <= start);
                if i == 0 || end > ends[i - 1] {
                    continue;
                }
                let per_clause = &mut found[i - 1];
                if per_clause.is_empty() {
                    per_clause.resize(self.n_categories, (Vec::new(), Vec::new()));
                }
                for &category in &ids[w] {
                    let slot = &mut per_clause[category as usize];
                    if kind == 0 {
                        slot.0.push((start, end, w));
                    } else {
                        slot.1.push((start, end, w));
                    }
                }
            }
        }
        found
    }

    /// The codes of every clause, clause by clause, each clause's in codebook order.
    /// `quoted`: the document's quoted names (start, end, text), in text order.
    pub fn code(
        &self,
        text: &str,
        starts: &[usize],
        ends: &[usize],
        quoted: &[(usize, usize, Vec<char>)],
    ) -> Vec<Code> {
        let Some((_, words, _)) = &self.terms else { return Vec::new() };
        let mut out = Vec::new();
        for (clause, per_clause) in self.scan(text, starts, ends).into_iter().enumerate() {
            for (category, (mut spans, negative)) in per_clause.into_iter().enumerate() {
                if spans.is_empty() {
                    continue;
                }
                spans.sort_by(|a, b| (a.0, a.1, &words[a.2]).cmp(&(b.0, b.1, &words[b.2])));
                let mut first: Vec<(usize, usize)> = Vec::new(); // (word, first start), by first start
                for &(start, end, w) in &spans {
                    if negative.iter().any(|&(a, b, _)| a <= start && end <= b) {
                        continue;
                    }
                    if in_other_name(quoted, start, end, &words[w]) {
                        continue;
                    }
                    if !first.iter().any(|&(fw, _)| fw == w) {
                        first.push((w, start));
                    }
                }
                if first.len() > 1 {
                    // Longest match: 教育集团 inside 优质教育集团 is the same mention.
                    let spans_of: Vec<(usize, usize, usize)> =
                        first.iter().map(|&(w, p)| (w, p, p + words[w].len())).collect();
                    first.retain(|&(t, p)| {
                        let len = words[t].len();
                        !spans_of.iter().any(|&(o, a, b)| o != t && a <= p && p + len <= b && b - a > len)
                    });
                }
                if first.is_empty() {
                    continue;
                }
                first.sort_by(|a, b| {
                    (a.1, std::cmp::Reverse(words[a.0].len())).cmp(&(b.1, std::cmp::Reverse(words[b.0].len())))
                });
                out.push(Code {
                    clause,
                    category: category as u32,
                    terms: first.iter().map(|&(w, _)| words[w].iter().collect()).collect(),
                });
            }
        }
        out
    }
}

/// The span lies inside a quoted name that is not the term itself.
fn in_other_name(quoted: &[(usize, usize, Vec<char>)], start: usize, end: usize, term: &[char]) -> bool {
    let i = quoted.partition_point(|q| q.0 <= start);
    i > 0 && end <= quoted[i - 1].1 && term != quoted[i - 1].2.as_slice()
}
