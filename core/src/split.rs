//! Paragraphs → sentences → clauses: the cuts of pipeline/segment.py (its docstring says
//! where a notice is cut and where never), for every paragraph of a notice in one call.

use std::collections::HashSet;

use crate::chars::{is_py_space, trimmed};

const MAX_PROTECTED_SPAN: usize = 300;
const MAX_CLAUSE: usize = 1000;

fn closer_of(c: char) -> Option<char> {
    Some(match c {
        '(' => ')',
        '[' => ']',
        '〔' => '〕',
        '【' => '】',
        '《' => '》',
        '〈' => '〉',
        '“' => '”',
        '‘' => '’',
        '「' => '」',
        '『' => '』',
        '{' => '}',
        '<' => '>',
        _ => return None,
    })
}

fn opener_of(c: char) -> Option<char> {
    Some(match c {
        ')' => '(',
        ']' => '[',
        '〕' => '〔',
        '】' => '【',
        '》' => '《',
        '〉' => '〈',
        '”' => '“',
        '’' => '‘',
        '」' => '「',
        '』' => '『',
        '}' => '{',
        '>' => '<',
        _ => return None,
    })
}

/// mask[i - start]: text[i] lies inside a matched bracket or quote pair (`protected_mask`).
pub fn protected_mask(t: &[char], start: usize, end: usize) -> Vec<bool> {
    let mut stack: Vec<(char, usize)> = Vec::new();
    let mut mask = vec![false; end - start];
    let protect = |a: usize, b: usize, mask: &mut Vec<bool>| {
        if b - a <= MAX_PROTECTED_SPAN {
            for m in &mut mask[a + 1 - start..b - start] {
                *m = true;
            }
        }
    };
    for (i, &ch) in t.iter().enumerate().take(end).skip(start) {
        if ch == '"' {
            if matches!(stack.last(), Some(&(c, _)) if c == '"' || c == '“') {
                let (_, a) = stack.pop().unwrap();
                protect(a, i, &mut mask);
            } else {
                stack.push((ch, i));
            }
        } else if closer_of(ch).is_some() {
            stack.push((ch, i));
        } else if let Some(opener) = opener_of(ch) {
            let fits = |c: char| if ch == '”' { c == '“' || c == '"' } else { c == opener };
            if let Some(k) = stack.iter().rposition(|&(c, _)| fits(c)) {
                let a = stack[k].1;
                stack.truncate(k);
                protect(a, i, &mut mask);
            }
        }
    }
    mask
}

fn is_sentence_end(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '；' | '!' | '?' | ';')
}

/// `,，:：` cuts a clause unless it stands between two digits (10,000, 17:00); the digit
/// after it counts only inside the sentence, the one before anywhere.
fn is_clause_cut(t: &[char], i: usize, end: usize) -> bool {
    if !matches!(t[i], ',' | '，' | ':' | '：') {
        return false;
    }
    let before = i > 0 && t[i - 1].is_ascii_digit();
    let after = i + 1 < end && t[i + 1].is_ascii_digit();
    !(before && after)
}

fn cuts(start: usize, end: usize, mask: &[bool], base: usize, cut: &dyn Fn(usize) -> bool) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    if start >= end {
        return out;
    }
    let mut pos = start;
    for i in start..end {
        if cut(i) && !mask[i - base] {
            out.push((pos, i));
            pos = i + 1;
        }
    }
    if pos < end {
        out.push((pos, end));
    }
    out
}

fn trim(t: &[char], start: usize, end: usize) -> (usize, usize) {
    trimmed(t, start, end, is_py_space)
}

pub struct Splitter {
    pub connectives: HashSet<Vec<char>>,
    pub digits: HashSet<char>, // str.isdigit()
}

impl Splitter {
    /// A clause is at most MAX_CLAUSE characters (`_bounded`).
    fn bounded(&self, t: &[char], piece: (usize, usize), out: &mut Vec<(usize, usize)>) {
        let (mut start, end) = piece;
        if end - start <= MAX_CLAUSE {
            out.push(piece);
            return;
        }
        while end - start > MAX_CLAUSE {
            let limit = start + MAX_CLAUSE;
            let last = (start + 1..limit).rev().find(|&i| matches!(t[i], '、' | ' ' | '|'));
            let mut cut = last.map_or(0, |i| i + 1);
            if cut <= start + MAX_CLAUSE / 2 {
                cut = limit;
                while cut > start + 1 && self.digits.contains(&t[cut - 1]) && self.digits.contains(&t[cut]) {
                    cut -= 1;
                }
            }
            let p = trim(t, start, cut);
            if p.1 > p.0 {
                out.push(p);
            }
            start = cut;
        }
        let p = trim(t, start, end);
        if p.1 > p.0 {
            out.push(p);
        }
    }

    /// The clauses of one paragraph's body: (start, end, sentence) from `first_sentence` on.
    /// `holes` (tags cut out of the text) are not clause text.
    pub fn paragraph(
        &self,
        t: &[char],
        para: (usize, usize),
        body_start: usize,
        mut holes: Vec<(usize, usize)>,
        first_sentence: u32,
        out: &mut Vec<(usize, usize, u32)>,
    ) {
        let (ps, pe) = para;
        let mask = protected_mask(t, ps, pe);
        holes.sort_unstable();
        let mut parts = Vec::new();
        let mut pos = body_start;
        for (a, b) in holes {
            if a > pos {
                parts.push((pos, a.min(pe)));
            }
            pos = pos.max(b);
        }
        if pos < pe {
            parts.push((pos, pe));
        }
        let mut sentence = first_sentence;
        for (start, end) in parts {
            for (ss, se) in cuts(start, end, &mask, ps, &|i| is_sentence_end(t[i])) {
                let mut pieces: Vec<(usize, usize)> = Vec::new();
                for (a, b) in cuts(ss, se, &mask, ps, &|i| is_clause_cut(t, i, se)) {
                    let p = trim(t, a, b);
                    if p.1 <= p.0 {
                        continue;
                    }
                    // 同时,健全…: a sentence opener joins the clause after it.
                    match pieces.last_mut() {
                        Some(last) if self.connectives.contains(&t[last.0..last.1]) => last.1 = p.1,
                        _ => pieces.push(p),
                    }
                }
                let mut bounded = Vec::new();
                for p in pieces {
                    self.bounded(t, p, &mut bounded);
                }
                if !bounded.is_empty() {
                    out.extend(bounded.into_iter().map(|(a, b)| (a, b, sentence)));
                    sentence += 1;
                }
            }
        }
    }
}
