//! Codebook hits (SPEC §8): every term of a codebook in every clause, in one pass over the
//! notice, each clause's categories with their distinct terms, and the codes a clause takes
//! from its headings, its title or the clause that grants — the rules of
//! pipeline/extract/categories.py (`_scan`, `_codes`, `_python_book`, `_from_grants`).

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use regex::Regex;

use crate::chars::Offsets;

/// Programme and document names (`QUOTED_NAME` in categories.py): “十百千培育工程”, 《…行动方案》.
static QUOTED_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"“([^”\n]{1,40})”|《([^》\n]{1,60})》|"([^"\n]{1,40})""#).expect("a valid pattern"));

/// A word's categories: those it is a term of, and those it is a negative word of.
type Categories = (Vec<u32>, Vec<u32>);

/// The automaton of a codebook's words, the words as characters, and each word's categories.
type Automaton = (AhoCorasick, Vec<Vec<char>>, Vec<Categories>);

pub struct Codebook {
    /// Terms and negative words in one automaton: one pass over the notice finds both.
    words: Option<Automaton>,
    /// The codebook has terms (without, it codes nothing).
    has_terms: bool,
    n_categories: usize,
    /// Categories are themes: a clause also takes those of its headings and title.
    themes: bool,
    /// Words that open a grant (给予 …) within the first `grant_within` characters of a clause.
    grant_openers: Vec<String>,
    grant_within: usize,
    /// Words that put a sentence in the codebook's sector (education).
    domain: Option<AhoCorasick>,
}

/// The score of a code a clause takes from elsewhere (heading, title, grant).
const INHERITED_SCORE: f64 = 0.5;

/// A notice's clauses in document order, as columns.
pub struct Clauses {
    pub starts: Vec<usize>,
    pub ends: Vec<usize>,
    pub headings: Vec<bool>,
    pub levels: Vec<i64>,
    pub paragraphs: Vec<i64>,
    pub sentences: Vec<i64>,
}

/// A notice as every codebook reads it, made once for all of them: the masked text (unit
/// names masked, where terms are looked for), the text as written (where grant verbs are),
/// its clauses, its quoted names, and the clauses in text order.
pub struct Notice {
    masked: String,
    text: String,
    clauses: Clauses,
    quoted: Vec<(usize, usize, Vec<char>)>,
    /// Clause indices sorted by start, and their starts and ends in that order.
    order: Vec<usize>,
    starts: Vec<usize>,
    ends: Vec<usize>,
}

impl Notice {
    pub fn new(masked: String, text: String, clauses: Clauses) -> Notice {
        let quoted = quoted_names(&masked);
        let mut order: Vec<usize> = (0..clauses.starts.len()).collect();
        order.sort_by_key(|&i| clauses.starts[i]);
        let starts = order.iter().map(|&i| clauses.starts[i]).collect();
        let ends = order.iter().map(|&i| clauses.ends[i]).collect();
        Notice { masked, text, clauses, quoted, order, starts, ends }
    }
}

/// One row of the categories table: the clause's index, the category, score and evidence.
pub struct Row {
    pub clause: usize,
    pub category: u32,
    pub score: f64,
    pub terms: Vec<String>,
}

/// A category with its evidence (a heading's or the title's code, passed on).
pub type Theme = (u32, Vec<String>);

type Words = Vec<(String, Vec<u32>)>;

fn automaton(terms: Words, negatives: Words) -> Option<Automaton> {
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut words: Vec<(String, Categories)> = Vec::new();
    for (kind, list) in [terms, negatives].into_iter().enumerate() {
        for (word, ids) in list.into_iter().filter(|(w, _)| !w.is_empty()) {
            let at = *index.entry(word.clone()).or_insert_with(|| {
                words.push((word, (Vec::new(), Vec::new())));
                words.len() - 1
            });
            let slot = &mut words[at].1;
            if kind == 0 { &mut slot.0 } else { &mut slot.1 }.extend(ids);
        }
    }
    if words.is_empty() {
        return None;
    }
    // A DFA: a few hundred words make a small one, and it scans 2–3× faster than the NFA.
    let ac = AhoCorasick::builder()
        .match_kind(MatchKind::Standard)
        .kind(Some(AhoCorasickKind::DFA))
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

/// The rules of a codebook's kind: themes, grants, sector (see `Codebook`).
pub struct Rules {
    pub themes: bool,
    pub grant_openers: Vec<String>,
    pub grant_within: usize,
    pub domain_terms: Vec<String>,
}

impl Codebook {
    pub fn new(terms: Words, negatives: Words, n_categories: usize, rules: Rules) -> Codebook {
        let domain: Vec<String> = rules.domain_terms.into_iter().filter(|w| !w.is_empty()).collect();
        Codebook {
            has_terms: terms.iter().any(|(w, _)| !w.is_empty()),
            words: automaton(terms, negatives),
            n_categories,
            themes: rules.themes,
            grant_openers: rules.grant_openers,
            grant_within: rules.grant_within,
            domain: (!domain.is_empty()).then(|| AhoCorasick::new(&domain).expect("an automaton of literal words")),
        }
    }

    /// Every code of a notice, in clause order: a clause's own codes (codebook order), then,
    /// in a codebook of themes, those of its headings (nearest first) and of the title
    /// (`title`, a level-0 heading) it does not have; then those it takes from the clause
    /// that grants right after it. `in_sector`: only the sentences that name the codebook's
    /// sector are coded (a clause outside takes no code, nor does it open a section).
    pub fn code_notice(&self, notice: &Notice, in_sector: bool, title: Vec<Theme>) -> Vec<Row> {
        let clauses = &notice.clauses;
        let n = clauses.starts.len();
        let coded = in_sector.then(|| self.sector_clauses(&notice.masked, clauses));
        let mut own: Vec<Vec<Theme>> = vec![Vec::new(); n];
        for code in self.code(&notice.masked, &notice.starts, &notice.ends, &notice.quoted) {
            own[notice.order[code.clause]].push((code.category, code.terms));
        }
        let mut book: Vec<Row> = Vec::new();
        let mut headings: BTreeMap<i64, Vec<Theme>> = BTreeMap::new(); // section level → its heading's codes
        if !title.is_empty() {
            headings.insert(0, title);
        }
        for (c, codes) in own.into_iter().enumerate() {
            if coded.as_ref().is_some_and(|coded| !coded[c]) {
                continue;
            }
            let level = clauses.levels[c];
            let mut taken: Vec<u32> = codes.iter().map(|(k, _)| *k).collect();
            book.extend(codes.iter().map(|(k, terms)| Row {
                clause: c,
                category: *k,
                score: terms.len() as f64,
                terms: terms.clone(),
            }));
            if clauses.headings[c] {
                headings.retain(|&lv, _| lv < level);
                if !codes.is_empty() {
                    headings.insert(level, codes);
                }
            } else if self.themes {
                for (_, inherited) in headings.range(..=level).rev() {
                    for (k, terms) in inherited {
                        if !taken.contains(k) {
                            taken.push(*k);
                            book.push(Row { clause: c, category: *k, score: INHERITED_SCORE, terms: terms.clone() });
                        }
                    }
                }
            }
        }
        if !self.grant_openers.is_empty() {
            let grants = self.granted(&notice.text, clauses, &book);
            book.extend(grants);
            book.sort_by_key(|row| row.clause); // stable: each clause's own codes first
        }
        book
    }

    /// Whether each clause's sentence names the codebook's sector (unit names masked: 教育局
    /// is no education).
    fn sector_clauses(&self, masked: &str, clauses: &Clauses) -> Vec<bool> {
        let Some(domain) = &self.domain else { return vec![false; clauses.starts.len()] };
        let mut spans: HashMap<(i64, i64), (usize, usize)> = HashMap::new();
        for c in 0..clauses.starts.len() {
            let span = spans
                .entry((clauses.paragraphs[c], clauses.sentences[c]))
                .or_insert((clauses.starts[c], clauses.ends[c]));
            *span = (span.0.min(clauses.starts[c]), span.1.max(clauses.ends[c]));
        }
        let Some(offsets) = Offsets::of(masked) else { return vec![false; clauses.starts.len()] };
        let named: HashMap<(i64, i64), bool> =
            spans.into_iter().map(|(key, (a, b))| (key, domain.is_match(offsets.slice(masked, a, b)))).collect();
        (0..clauses.starts.len()).map(|c| named[&(clauses.paragraphs[c], clauses.sentences[c])]).collect()
    }

    /// A clause naming who qualifies (对…的市级企业,) right before the clause of its sentence
    /// that grants (市级资金一次性给予50万元奖补) takes that clause's codes it does not have.
    fn granted(&self, text: &str, clauses: &Clauses, book: &[Row]) -> Vec<Row> {
        let n = clauses.starts.len();
        let mut by_clause: Vec<Vec<&Row>> = vec![Vec::new(); n];
        for row in book {
            by_clause[row.clause].push(row);
        }
        let Some(offsets) = Offsets::of(text) else { return Vec::new() };
        let mut out = Vec::new();
        for c in 0..n.saturating_sub(1) {
            let g = c + 1;
            if clauses.headings[c]
                || (clauses.paragraphs[c], clauses.sentences[c]) != (clauses.paragraphs[g], clauses.sentences[g])
            {
                continue;
            }
            let opening =
                offsets.slice(text, clauses.starts[g], clauses.ends[g].min(clauses.starts[g] + self.grant_within));
            if !self.grant_openers.iter().any(|word| opening.contains(word.as_str())) {
                continue;
            }
            for row in &by_clause[g] {
                if !by_clause[c].iter().any(|own| own.category == row.category) {
                    out.push(Row {
                        clause: c,
                        category: row.category,
                        score: INHERITED_SCORE,
                        terms: row.terms.clone(),
                    });
                }
            }
        }
        out
    }

    /// Hits of each (clause, category): term spans and negative spans. Clauses are given
    /// sorted by start; a hit outside every clause (a tag, between clauses) counts nowhere.
    fn scan(&self, text: &str, starts: &[usize], ends: &[usize]) -> Vec<Vec<(Vec<Hit>, Vec<Hit>)>> {
        let mut found: Vec<Vec<(Vec<Hit>, Vec<Hit>)>> = vec![Vec::new(); starts.len()];
        let Some((ac, words, ids)) = &self.words else { return found };
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
            let (terms, negatives) = &ids[w];
            for &category in terms {
                per_clause[category as usize].0.push((start, end, w));
            }
            for &category in negatives {
                per_clause[category as usize].1.push((start, end, w));
            }
        }
        found
    }

    /// The codes of every clause, clause by clause, each clause's in codebook order.
    /// `quoted`: the document's quoted names (start, end, text), in text order.
    fn code(&self, text: &str, starts: &[usize], ends: &[usize], quoted: &[(usize, usize, Vec<char>)]) -> Vec<Code> {
        let Some((_, words, _)) = self.words.as_ref().filter(|_| self.has_terms) else { return Vec::new() };
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

/// The quoted names of a text (the quotes excluded): (start, end, name), in text order.
fn quoted_names(text: &str) -> Vec<(usize, usize, Vec<char>)> {
    let (mut byte, mut char_pos) = (0usize, 0usize);
    let mut at = |b: usize| {
        char_pos += text[byte..b].chars().count();
        byte = b;
        char_pos
    };
    let mut out = Vec::new();
    // Each match is a quote, the name and the closing quote: the name is the match without its
    // first and last character (found without capture groups, which the regex crate reads slower).
    for m in QUOTED_NAME.find_iter(text) {
        let quoted = m.as_str();
        let open = quoted.chars().next().map_or(0, char::len_utf8);
        let close = quoted.chars().next_back().map_or(0, char::len_utf8);
        let start = at(m.start() + open);
        let end = at(m.end() - close);
        out.push((start, end, quoted[open..quoted.len() - close].chars().collect()));
    }
    out
}

/// The span lies inside a quoted name that is not the term itself.
fn in_other_name(quoted: &[(usize, usize, Vec<char>)], start: usize, end: usize, term: &[char]) -> bool {
    let i = quoted.partition_point(|q| q.0 <= start);
    i > 0 && end <= quoted[i - 1].1 && term != quoted[i - 1].2.as_slice()
}
