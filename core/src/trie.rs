//! Literal words (units, comparator words) matched longest first at a position: what a regex
//! alternation sorted longest first does, without trying each alternative.

use std::collections::HashMap;

#[derive(Default)]
pub struct Trie {
    next: Vec<HashMap<char, u32>>,
    word: Vec<i32>, // the index of the word ending at this node, or -1
}

impl Trie {
    pub fn new<'a>(words: impl IntoIterator<Item = &'a str>) -> Trie {
        let mut t = Trie { next: vec![HashMap::new()], word: vec![-1] };
        for (i, w) in words.into_iter().enumerate() {
            t.insert(w.chars(), i as i32);
        }
        t
    }

    /// A trie of the words read backwards, for the longest word ending at a position.
    pub fn reversed<'a>(words: impl IntoIterator<Item = &'a str>) -> Trie {
        let mut t = Trie { next: vec![HashMap::new()], word: vec![-1] };
        for (i, w) in words.into_iter().enumerate() {
            let rev: Vec<char> = w.chars().rev().collect();
            t.insert(rev.into_iter(), i as i32);
        }
        t
    }

    fn insert(&mut self, chars: impl Iterator<Item = char>, index: i32) {
        let mut node = 0usize;
        for c in chars {
            node = match self.next[node].get(&c) {
                Some(&n) => n as usize,
                None => {
                    self.next.push(HashMap::new());
                    self.word.push(-1);
                    let n = self.next.len() - 1;
                    self.next[node].insert(c, n as u32);
                    n
                }
            };
        }
        if node > 0 && self.word[node] < 0 {
            self.word[node] = index;
        }
    }

    /// (word index, end) of the longest word starting at `pos`.
    pub fn longest_at(&self, text: &[char], pos: usize) -> Option<(usize, usize)> {
        let mut node = 0usize;
        let mut best = None;
        let mut i = pos;
        while i < text.len() {
            match self.next[node].get(&text[i]) {
                Some(&n) => node = n as usize,
                None => break,
            }
            i += 1;
            if self.word[node] >= 0 {
                best = Some((self.word[node] as usize, i));
            }
        }
        best
    }

    /// (word index, start) of the longest word of a reversed trie ending at `end`.
    pub fn longest_ending_at(&self, text: &[char], end: usize) -> Option<(usize, usize)> {
        let mut node = 0usize;
        let mut best = None;
        let mut i = end;
        while i > 0 {
            match self.next[node].get(&text[i - 1]) {
                Some(&n) => node = n as usize,
                None => break,
            }
            i -= 1;
            if self.word[node] >= 0 {
                best = Some((self.word[node] as usize, i));
            }
        }
        best
    }
}
