//! Character classes shared by the scanners, with the meaning Python's `regex` module gives
//! them, so that the compiled core reads a text exactly as the Python rules did.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, MatchKind};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// The value of a Chinese digit character.
pub fn cn_digit(c: char) -> Option<u32> {
    Some(match c {
        '零' | '〇' | '○' | 'Ｏ' => 0,
        '一' | '幺' | '壹' => 1,
        '二' | '两' | '贰' => 2,
        '三' | '叁' | '参' => 3,
        '四' | '肆' => 4,
        '五' | '伍' => 5,
        '六' | '陆' => 6,
        '七' | '柒' => 7,
        '八' | '捌' => 8,
        '九' | '玖' => 9,
        _ => return None,
    })
}

pub fn small_unit(c: char) -> Option<f64> {
    Some(match c {
        '十' | '拾' => 10.0,
        '百' | '佰' => 100.0,
        '千' | '仟' => 1000.0,
        _ => return None,
    })
}

pub fn big_unit(c: char) -> Option<f64> {
    Some(match c {
        '万' => 10_000.0,
        '亿' => 100_000_000.0,
        _ => return None,
    })
}

/// Any character of a Chinese numeral (`CN_CHARS` of numbers.py).
pub fn is_cn(c: char) -> bool {
    cn_digit(c).is_some() || small_unit(c).is_some() || big_unit(c).is_some() || c == '廿' || c == '卅'
}

/// `ANY_NUMERAL` of numbers.py: a character any number, year or amount holds.
pub fn is_any_numeral(c: char) -> bool {
    c.is_ascii_digit() || is_cn(c) || c == '半'
}

pub fn is_ascii_digit(c: char) -> bool {
    c.is_ascii_digit()
}

/// `\s` of the regex module: Unicode White_Space.
pub fn is_space(c: char) -> bool {
    c.is_whitespace()
}

/// `str.isspace()`: White_Space and the four information separators.
pub fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

struct Tables {
    han: Class,
    word: Class,
}

/// A Unicode class: a bitset of the BMP, and the ranges beyond it.
struct Class {
    bmp: Vec<u64>,
    astral: Vec<(u32, u32)>,
}

const BMP: usize = 0x10000;

impl Class {
    /// The class a regex (one class, such as `\p{sc=Han}`) matches, read off the regex crate's
    /// own Unicode tables (regex-syntax): its ranges, not 65,536 matches.
    fn of(pattern: &str) -> Class {
        let hir = regex_syntax::parse(pattern).expect("a valid class");
        let regex_syntax::hir::HirKind::Class(regex_syntax::hir::Class::Unicode(class)) = hir.kind() else {
            panic!("{pattern} is not a Unicode class");
        };
        let mut bmp = vec![0u64; BMP / 64];
        let mut astral = Vec::new();
        for range in class.ranges() {
            let (start, end) = (range.start() as usize, range.end() as usize);
            for cp in start..=end.min(BMP - 1) {
                bmp[cp / 64] |= 1 << (cp % 64);
            }
            if end >= BMP {
                astral.push((start.max(BMP) as u32, end as u32));
            }
        }
        Class { bmp, astral }
    }

    fn contains(&self, c: char) -> bool {
        let cp = c as usize;
        if cp < BMP {
            self.bmp[cp / 64] >> (cp % 64) & 1 == 1
        } else {
            let cp = cp as u32;
            let i = self.astral.partition_point(|&(_, end)| end < cp);
            self.astral.get(i).is_some_and(|&(start, _)| start <= cp)
        }
    }
}

fn tables() -> &'static Tables {
    static T: OnceLock<Tables> = OnceLock::new();
    T.get_or_init(|| Tables { han: Class::of(r"\p{sc=Han}"), word: Class::of(r"\w") })
}

/// `\p{Han}` of the regex module: the Han script.
pub fn is_han(c: char) -> bool {
    tables().han.contains(c)
}

/// `\w` of the regex module (Unicode): alphabetic, marks, decimal digits, connectors.
pub fn is_word(c: char) -> bool {
    tables().word.contains(c)
}

/// `text[pos:]` starts with `word`.
pub fn starts_with(text: &[char], pos: usize, word: &str) -> bool {
    let Some(rest) = text.get(pos..) else { return false };
    let mut chars = rest.iter();
    word.chars().all(|w| chars.next() == Some(&w))
}

pub fn at(text: &[char], pos: usize) -> Option<char> {
    text.get(pos).copied()
}

/// The bounds of `t` without the characters `strip` says to drop at either end.
pub fn trimmed(t: &[char], start: usize, end: usize, strip: fn(char) -> bool) -> (usize, usize) {
    let (mut a, mut b) = (start, end);
    while a < b && strip(t[a]) {
        a += 1;
    }
    while b > a && strip(t[b - 1]) {
        b -= 1;
    }
    (a, b)
}

/// A one-to-one character mapping (`str.translate` with a table of single characters): the
/// characters it maps are marked in a bitset of the BMP, so the text's other characters
/// (nearly all) cost one bit test.
pub struct Fold {
    marked: Vec<u64>,
    map: std::collections::HashMap<char, char>,
}

impl Fold {
    pub fn new(pairs: &[(char, char)]) -> Fold {
        let mut marked = vec![0u64; BMP / 64];
        for &(from, _) in pairs {
            if (from as usize) < BMP {
                marked[from as usize / 64] |= 1 << (from as usize % 64);
            }
        }
        Fold { marked, map: pairs.iter().copied().collect() }
    }

    fn maps(&self, c: char) -> Option<char> {
        let cp = c as usize;
        if cp < BMP && self.marked[cp / 64] >> (cp % 64) & 1 == 0 {
            return None;
        }
        self.map.get(&c).copied()
    }

    /// The text mapped, or None when no character of it is mapped.
    pub fn apply(&self, text: &str) -> Option<String> {
        let first = text.char_indices().find(|&(_, c)| self.maps(c).is_some())?.0;
        let mut out = String::with_capacity(text.len());
        out.push_str(&text[..first]);
        out.extend(text[first..].chars().map(|c| self.maps(c).unwrap_or(c)));
        Some(out)
    }
}

/// The most common character of a text and its count (the first to reach that count).
pub fn most_common(text: &str) -> Option<(char, usize)> {
    thread_local! {
        /// A count for each character of the Basic Multilingual Plane, zero between calls:
        /// a hash map cost 0.3 ms a notice (every notice's first 20,000 characters are counted).
        static COUNTS: RefCell<Vec<u32>> = RefCell::new(vec![0; 0x10000]);
    }
    COUNTS.with(|counts| {
        let mut counts = counts.borrow_mut();
        let mut others: HashMap<char, usize> = HashMap::new(); // beyond the plane: rare
        let mut best: Option<(char, usize)> = None;
        for c in text.chars() {
            let n = match counts.get_mut(c as usize) {
                Some(n) => {
                    *n += 1;
                    *n as usize
                }
                None => {
                    let n = others.entry(c).or_insert(0);
                    *n += 1;
                    *n
                }
            };
            if best.is_none_or(|(_, m)| n > m) {
                best = Some((c, n));
            }
        }
        for c in text.chars() {
            if let Some(n) = counts.get_mut(c as usize) {
                *n = 0;
            }
        }
        best
    })
}

/// The byte offset of each character of a text and of its end, so that character offsets
/// (as Python counts them) slice the UTF-8 text; an offset past the end is clamped to it.
pub struct Offsets {
    bytes: Vec<u32>,
}

impl Offsets {
    /// None for a text of 4 GB or more (offsets are u32).
    pub fn of(text: &str) -> Option<Offsets> {
        if text.len() >= u32::MAX as usize {
            return None;
        }
        let mut bytes: Vec<u32> = text.char_indices().map(|(b, _)| b as u32).collect();
        bytes.push(text.len() as u32);
        Some(Offsets { bytes })
    }

    /// The byte offset of character `i` (clamped to the text, as Python clamps an index).
    pub fn byte(&self, i: usize) -> usize {
        self.bytes[i.min(self.bytes.len() - 1)] as usize
    }

    /// The character at byte offset `b` (a character boundary), -1 if none.
    pub fn char(&self, b: usize) -> i64 {
        self.bytes.binary_search(&(b as u32)).map_or(-1, |i| i as i64)
    }

    /// text[a:b] in characters, as Python slices (clamped; empty when b ≤ a).
    pub fn slice<'a>(&self, text: &'a str, a: usize, b: usize) -> &'a str {
        let a = self.byte(a);
        &text[a..self.byte(b).max(a)]
    }
}

/// Literal words found longest first at the leftmost place, as a regex alternation sorted
/// longest first (and NameIndex.finditer) finds them.
pub fn leftmost_longest<I, P>(words: I) -> PyResult<AhoCorasick>
where
    I: IntoIterator<Item = P>,
    P: AsRef<[u8]>,
{
    AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostLongest)
        .build(words)
        .map_err(|e| PyValueError::new_err(e.to_string()))
}

/// (start, end, word) of each match of `automaton` in `piece`, in characters from `offset`
/// (counted as the matches come: no table of the piece's offsets).
pub fn char_matches(automaton: &AhoCorasick, piece: &str, offset: usize) -> Vec<(usize, usize, usize)> {
    let mut out = Vec::new();
    let (mut chars, mut counted) = (offset, 0);
    for m in automaton.find_iter(piece) {
        chars += piece[counted..m.start()].chars().count();
        let start = chars;
        chars += piece[m.start()..m.end()].chars().count();
        counted = m.end();
        out.push((start, chars, m.pattern().as_usize()));
    }
    out
}
