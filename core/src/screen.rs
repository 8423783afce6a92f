//! Which of a list's patterns can match in a stretch of text, read off the characters each
//! pattern's every match must hold (第 for `第\s*{NUMBER}`, 期 or 轮 for `[一二…]+(?:期|轮)`).
//! Exclusions try the 31 not-targets over the stretch around every quantity, and most find
//! nothing there: one scan for the listed characters says which cannot, and only the others
//! are searched. The characters come from each pattern's own parse tree (fancy-regex's, the
//! engine that runs it), so a pattern is skipped only where it cannot match: a researcher's
//! new pattern is screened as the others are, and one the analysis cannot read is always searched.

use aho_corasick::AhoCorasick;
use fancy_regex::Expr;
use pyo3::prelude::*;
use regex_syntax::hir::{Class, HirKind};

/// A set of characters larger than this is not used: such classes (digits, numerals) are in
/// nearly every stretch a list is tried on.
const MAX_SET: usize = 24;

/// The sets of characters a pattern is screened by, at most: the smallest.
const MAX_SETS: usize = 4;

/// A list is screened when this many of its patterns can be: the scan for their characters
/// costs about what one search does, so a list of one or two patterns is searched at once.
const MIN_SCREENED: usize = 4;

/// Sets of characters such that every match of `e` holds a character of each (sets of one
/// character for a literal's characters, a class's characters, the union of an
/// alternation's branches' smallest sets); none when a match may hold nothing in particular.
fn required(e: &Expr) -> Vec<Vec<char>> {
    match e {
        Expr::Literal { val, casei: false } => val.chars().map(|c| vec![c]).collect(),
        Expr::Delegate { inner, casei: false } => class_chars(inner).into_iter().collect(),
        Expr::Concat(parts) => parts.iter().flat_map(required).collect(),
        Expr::Alt(branches) => {
            let mut all = Vec::new();
            for branch in branches {
                let Some(smallest) = required(branch).into_iter().min_by_key(Vec::len) else { return Vec::new() };
                all.extend(smallest);
            }
            all.sort_unstable();
            all.dedup();
            if all.len() <= MAX_SET {
                vec![all]
            } else {
                Vec::new()
            }
        }
        Expr::Group(inner) => required(inner),
        Expr::AtomicGroup(inner) => required(inner),
        Expr::Repeat { child, lo, .. } if *lo >= 1 => required(child),
        // Look-arounds consume nothing (a look-behind sees before the stretch); the rest may
        // match no character at all, or one of too many.
        _ => Vec::new(),
    }
}

/// The characters of a one-character regex fancy-regex hands to the regex crate (`[期轮]`,
/// `\d`), if they are few.
fn class_chars(inner: &str) -> Option<Vec<char>> {
    let hir = regex_syntax::parse(inner).ok()?;
    match hir.kind() {
        HirKind::Literal(literal) => std::str::from_utf8(&literal.0).ok()?.chars().next().map(|c| vec![c]),
        HirKind::Class(Class::Unicode(class)) => {
            let mut out = Vec::new();
            for range in class.ranges() {
                out.extend(range.start()..=range.end());
                if out.len() > MAX_SET {
                    return None;
                }
            }
            Some(out)
        }
        _ => None,
    }
}

/// The sets of characters the pattern `source` is screened by, each sorted, smallest first
/// (none: the pattern is always searched). Exposed so the tests can say what the screen reads.
#[pyfunction]
pub(crate) fn required_chars(source: &str) -> Vec<Vec<char>> {
    let Ok(tree) = Expr::parse_tree(source) else { return Vec::new() };
    let mut sets: Vec<Vec<char>> = required(&tree.expr)
        .into_iter()
        .filter(|set| set.len() <= MAX_SET)
        .map(|mut set| {
            set.sort_unstable();
            set.dedup();
            set
        })
        .collect();
    sets.sort_by_key(Vec::len); // stable: of sets of one size, the first written first
    let mut kept: Vec<Vec<char>> = Vec::new();
    for set in sets {
        if !kept.contains(&set) && kept.len() < MAX_SETS {
            kept.push(set);
        }
    }
    kept
}

/// The screen of one list: an automaton of the characters its patterns require, and for each
/// character the sets it belongs to (a bit each); a pattern may match where each of its sets
/// has a character.
pub(crate) struct Screen {
    chars: AhoCorasick,
    sets_of: Vec<Vec<u64>>,  // per character of `chars`: the sets holding it, a bit each
    patterns: Vec<Vec<u64>>, // per pattern: its sets, a bit each (none: always searched)
}

/// The list's patterns that may match in a stretch: a bit each of the sets found there.
pub(crate) struct Found<'a> {
    screen: Option<&'a Screen>,
    sets: Vec<u64>,
}

impl Found<'_> {
    /// Whether pattern `k` may match in the stretch.
    pub(crate) fn may(&self, k: usize) -> bool {
        let Some(screen) = self.screen else { return true };
        screen.patterns[k].iter().zip(&self.sets).all(|(need, found)| need & found == *need)
    }

    /// Every pattern may match (no screen).
    pub(crate) fn all<'a>() -> Found<'a> {
        Found { screen: None, sets: Vec::new() }
    }
}

impl Screen {
    /// None when fewer than MIN_SCREENED patterns of the list can be ruled out.
    pub(crate) fn new(sources: &[String]) -> Option<Screen> {
        let required: Vec<Vec<Vec<char>>> = sources.iter().map(|s| required_chars(s)).collect();
        if required.iter().filter(|sets| !sets.is_empty()).count() < MIN_SCREENED {
            return None;
        }
        let n_sets: usize = required.iter().map(Vec::len).sum();
        let width = n_sets.div_ceil(64); // u64s a bitset of the sets takes
        let (mut chars, mut sets_of): (Vec<char>, Vec<Vec<u64>>) = (Vec::new(), Vec::new());
        let mut patterns = Vec::with_capacity(sources.len());
        let mut bit = 0;
        for sets in &required {
            let mut need = vec![0u64; width];
            for set in sets {
                need[bit / 64] |= 1 << (bit % 64);
                for &c in set {
                    let i = chars.iter().position(|&d| d == c).unwrap_or_else(|| {
                        chars.push(c);
                        sets_of.push(vec![0u64; width]);
                        chars.len() - 1
                    });
                    sets_of[i][bit / 64] |= 1 << (bit % 64);
                }
                bit += 1;
            }
            patterns.push(need);
        }
        let literals: Vec<String> = chars.iter().map(char::to_string).collect();
        let chars = AhoCorasick::new(&literals).expect("an automaton of single characters");
        Some(Screen { chars, sets_of, patterns })
    }

    /// The sets that have a character in `piece`. A character's UTF-8 bytes found in UTF-8
    /// text are that character.
    pub(crate) fn found(&self, piece: &str) -> Found<'_> {
        let mut sets = vec![0u64; self.sets_of.first().map_or(0, Vec::len)];
        for m in self.chars.find_iter(piece) {
            for (found, of) in sets.iter_mut().zip(&self.sets_of[m.pattern().as_usize()]) {
                *found |= of;
            }
        }
        Found { screen: Some(self), sets }
    }
}
