//! Quantities: number + unit + comparator spans, the grammar of
//! pipeline/extract/quantities.py (see its docstring) over a notice's clauses.

use crate::chars::{at, is_any_numeral, is_ascii_digit, is_han, is_py_space, is_space, starts_with, trimmed};
use crate::numbers::{find_numbers, numeral_at, parse_number, NumResult, Number};
use crate::trie::Trie;

pub const EQ: u8 = 0;
pub const COMPARATORS: [&str; 8] = ["eq", "ge", "gt", "le", "lt", "range", "approx", "none"];
pub const RULE_ADJACENT: &str = "adjacent_range";
pub const RULE_HALF: &str = "half";

pub fn comparator_code(name: &str) -> Option<u8> {
    COMPARATORS.iter().position(|&c| c == name).map(|i| i as u8)
}

const GE: u8 = 1;
const GT: u8 = 2;
const LE: u8 = 3;
const LT: u8 = 4;
const RANGE: u8 = 5;
const APPROX: u8 = 6;
const NONE: u8 = 7;

/// The target lexicon's units and comparator words, compiled once per run.
pub struct QuantityLexicon {
    pub units: Trie,
    pub unit_name: Vec<String>,
    pub unit_kind: Vec<String>,
    pub before: Trie, // reversed: the longest word ending before a number
    pub before_cmp: Vec<u8>,
    pub after: Trie,
    pub after_cmp: Vec<u8>,
    pub inside: Trie,
    pub unit_index: std::collections::HashMap<String, usize>,
}

#[derive(Clone)]
pub struct Quantity {
    pub start: usize,
    pub end: usize,
    pub value: f64,
    pub value_max: Option<f64>,
    pub unit: Option<usize>,
    pub comparator: u8,
    pub percent: bool,
    pub rule: &'static str,
}

impl QuantityLexicon {
    fn unit_at(&self, t: &[char], pos: usize) -> Option<(usize, usize)> {
        self.units.longest_at(t, pos).or_else(|| {
            if at(t, pos) == Some(' ') {
                self.units.longest_at(t, pos + 1)
            } else {
                None
            }
        })
    }

    fn is_percent(&self, unit: usize) -> bool {
        self.unit_name[unit] == "%"
    }

    /// A unit, or 成 not starting a word (九成, not 成为): what lets a lone numeral count.
    pub fn follows(&self, t: &[char], pos: usize) -> bool {
        self.units.longest_at(t, pos).is_some() || (at(t, pos) == Some('成') && !cheng_word(t, pos + 1))
    }
}

fn cheng_word(t: &[char], pos: usize) -> bool {
    matches!(at(t, pos), Some(c) if "为立功长果绩员本就熟效型才年人绩品".contains(c))
}

struct Prefix {
    start: usize,
    end: usize,
    neg: bool,
    p: char,
}

fn percent_prefixes(t: &[char]) -> Vec<Prefix> {
    let lookahead = |p: usize| {
        let p = if at(t, p) == Some('负') { p + 1 } else { p };
        matches!(at(t, p), Some(c) if is_ascii_digit(c) || "零〇一二两三四五六七八九十百壹贰叁肆伍陆柒捌玖拾佰".contains(c))
    };
    let at_pos = |pos: usize| -> Option<Prefix> {
        let (neg, q) = if starts_with(t, pos, "负的") {
            (true, pos + 2)
        } else if starts_with(t, pos, "负") {
            (true, pos + 1)
        } else {
            (false, pos)
        };
        let tries: &[bool] = if neg { &[true, false] } else { &[false] };
        for &with_neg in tries {
            let q = if with_neg { q } else { pos };
            let p = at(t, q)?;
            if !"百千万仟".contains(p) || at(t, q + 1) != Some('分') {
                continue;
            }
            if at(t, q + 2) == Some('之') && lookahead(q + 3) {
                return Some(Prefix { start: pos, end: q + 3, neg: with_neg, p });
            }
            if lookahead(q + 2) {
                return Some(Prefix { start: pos, end: q + 2, neg: with_neg, p });
            }
        }
        None
    };
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < t.len() {
        if let Some(m) = at_pos(pos) {
            pos = m.end;
            out.push(m);
        } else {
            pos += 1;
        }
    }
    out
}

fn adjacent_value(c: char) -> Option<f64> {
    "一二三四五六七八九".chars().position(|d| d == c).map(|i| (i + 1) as f64).or((c == '两').then_some(2.0))
}

struct Adjacent {
    start: usize,
    end: usize,
    a: char,
    b: char,
    m: (usize, usize),
}

fn adjacents(t: &[char]) -> Vec<Adjacent> {
    let mut out = Vec::new();
    let mut p = 0;
    while p + 1 < t.len() {
        if "一两二三四五六七八九".contains(t[p]) && "两二三四五六七八九".contains(t[p + 1]) {
            let mut e = p + 2;
            while matches!(at(t, e), Some(c) if "十百千万亿".contains(c)) {
                e += 1;
            }
            out.push(Adjacent { start: p, end: e, a: t[p], b: t[p + 1], m: (p + 2, e) });
            p = e;
        } else {
            p += 1;
        }
    }
    out
}

fn skip_space(t: &[char], mut p: usize) -> usize {
    while matches!(at(t, p), Some(c) if is_space(c)) {
        p += 1;
    }
    p
}

/// `RANGE_SEP` matched at `p`: its end.
fn range_sep(t: &[char], p: usize) -> Option<usize> {
    let mut q = skip_space(t, p);
    if starts_with(t, q, "(含)") {
        q = skip_space(t, q + 3);
    }
    for w in ["至", "到", "——", "--", "—", "–", "-", "~", "－"] {
        if starts_with(t, q, w) {
            return Some(skip_space(t, q + w.chars().count()));
        }
    }
    None
}

fn between(t: &[char], p: usize) -> Option<usize> {
    let q = skip_space(t, p);
    matches!(at(t, q), Some('与' | '和' | '到')).then(|| skip_space(t, q + 1))
}

fn between_end(t: &[char], p: usize) -> Option<usize> {
    let q = skip_space(t, p);
    if starts_with(t, q, "之间") {
        Some(q + 2)
    } else if at(t, q) == Some('间') {
        Some(q + 1)
    } else {
        None
    }
}

fn is_year_numeral(s: &[char]) -> bool {
    if s.len() != 4 {
        return false;
    }
    let arabic =
        ((s[0] == '1' && s[1] == '9') || (s[0] == '2' && s[1] == '0')) && is_ascii_digit(s[2]) && is_ascii_digit(s[3]);
    let chinese = "一二".contains(s[0])
        && "〇零○九".contains(s[1])
        && "〇零○一二三四五六七八九".contains(s[2])
        && "〇零○一二三四五六七八九".contains(s[3]);
    arabic || chinese
}

fn trailing_multiplier(s: &[char]) -> Option<f64> {
    Some(match s.last()? {
        '亿' => 1e8,
        '万' => 1e4,
        '千' | '仟' => 1e3,
        '百' | '佰' => 1e2,
        _ => return None,
    })
}

fn money_digit(c: char) -> Option<u32> {
    if is_ascii_digit(c) {
        c.to_digit(10)
    } else {
        "一二三四五六七八九".chars().position(|d| d == c).map(|i| i as u32 + 1)
    }
}

struct Num<'a> {
    value: f64,
    start: usize,
    end: usize,
    text: &'a [char],
}

impl QuantityLexicon {
    /// `find_quantities` on one text (a clause): quantities left to right, non-overlapping.
    pub fn find(&self, t: &[char]) -> NumResult<Vec<Quantity>> {
        if !t.iter().copied().any(is_any_numeral) {
            return Ok(Vec::new());
        }
        let prefixes = percent_prefixes(t);
        let in_prefix = |p: usize| prefixes.iter().any(|m| m.start <= p && p < m.end);
        let follower = |p: usize| self.follows(t, p);
        let mut numbers: Vec<Num> = find_numbers(t, &follower)
            .into_iter()
            .filter(|n| !in_prefix(n.start))
            .map(|Number { value, start, end }| Num { value, start, end, text: &t[start..end] })
            .collect();
        // After 百分之 any numeral is a number, even a lone character (百分之八, 百分之百).
        let starts: Vec<usize> = numbers.iter().map(|n| n.start).collect();
        for pm in &prefixes {
            let pos = pm.end;
            if let Some(m) = numeral_at(t, pos) {
                if !starts.contains(&pos) {
                    if let Ok(v) = parse_number(&t[pos..m.end]) {
                        numbers.push(Num { value: v, start: pos, end: m.end, text: &t[pos..m.end] });
                    }
                }
            }
        }
        numbers.sort_by_key(|n| n.start);
        let mut out: Vec<Quantity> = Vec::new();
        let starts: Vec<usize> = numbers.iter().map(|n| n.start).collect();
        for m in adjacents(t) {
            if self.adjacent_ok(t, &m, &numbers, &starts) {
                if let Some(q) = self.adjacent(t, &m)? {
                    out.push(q);
                }
            }
        }
        let taken = |p: usize, out: &[Quantity]| out.iter().any(|q| q.start <= p && p < q.end);
        let numbers: Vec<Num> = numbers.into_iter().filter(|n| !taken(n.start, &out)).collect();
        let mut consumed: i64 = -1;
        let mut found = Vec::new();
        for (i, n) in numbers.iter().enumerate() {
            if (n.start as i64) < consumed {
                continue;
            }
            if let Some(q) = self.quantity(t, i, &numbers, &prefixes)? {
                consumed = q.end as i64;
                found.push(q);
            }
        }
        out.extend(found);
        // 半: 半亩, 半小时 is a duration (not a target's half)
        for (p, &c) in t.iter().enumerate() {
            if c != '半' || !matches!(at(t, p + 1), Some(n) if !is_space(n)) {
                continue;
            }
            if p > 0
                && (matches!(t[p - 1], '每' | '上' | '下')
                    || is_ascii_digit(t[p - 1])
                    || "一二三四五六七八九十".contains(t[p - 1]))
            {
                continue;
            }
            if let Some((u, end)) = self.unit_at(t, p + 1) {
                let kind = self.unit_kind[u].as_str();
                if !matches!(kind, "duration" | "count" | "frequency") && !taken(p, &out) {
                    out.push(Quantity {
                        start: p,
                        end,
                        value: 0.5,
                        value_max: None,
                        unit: Some(u),
                        comparator: EQ,
                        percent: false,
                        rule: RULE_HALF,
                    });
                }
            }
        }
        out.sort_by_key(|q| q.start);
        Ok(self.join_bounds(t, out))
    }

    fn adjacent_ok(&self, t: &[char], m: &Adjacent, numbers: &[Num], starts: &[usize]) -> bool {
        let (a, b) = (adjacent_value(m.a).unwrap(), adjacent_value(m.b).unwrap());
        if !(b - a == 1.0 || b - a == 2.0) || (m.start > 0 && "十百千万亿第".contains(t[m.start - 1])) {
            return false;
        }
        let i = starts.partition_point(|&s| s <= m.start);
        !(i > 0 && numbers[i - 1].end >= m.end)
    }

    fn adjacent(&self, t: &[char], m: &Adjacent) -> NumResult<Option<Quantity>> {
        let has_m = m.m.1 > m.m.0;
        let scale = if has_m {
            let mut s = vec!['一'];
            s.extend_from_slice(&t[m.m.0..m.m.1]);
            match parse_number(&s) {
                Ok(scale) => scale,
                Err(_) => return Ok(None), // 一二十十: no numeral multiplier, no range
            }
        } else {
            1.0
        };
        let (a, b) = (adjacent_value(m.a).unwrap() * scale, adjacent_value(m.b).unwrap() * scale);
        let unit = self.unit_at(t, m.end);
        if unit.is_none() && !has_m {
            return Ok(None);
        }
        let end = unit.map_or(m.end, |u| u.1);
        Ok(Some(Quantity {
            start: m.start,
            end,
            value: a,
            value_max: Some(b),
            unit: unit.map(|u| u.0),
            comparator: RANGE,
            percent: false,
            rule: RULE_ADJACENT,
        }))
    }

    /// 13.5千米: the 千 belongs to the unit 千米, not to the number.
    fn give_back<'a>(&self, t: &'a [char], n: &Num<'a>) -> Num<'a> {
        if n.text.len() > 1 && "千百万".contains(n.text[n.text.len() - 1]) {
            if let Some((_, e)) = self.units.longest_at(t, n.end - 1) {
                if e - (n.end - 1) > 1 {
                    if let Ok(v) = parse_number(&n.text[..n.text.len() - 1]) {
                        return Num { value: v, start: n.start, end: n.end - 1, text: &n.text[..n.text.len() - 1] };
                    }
                }
            }
        }
        Num { value: n.value, start: n.start, end: n.end, text: n.text }
    }

    fn quantity(&self, t: &[char], i: usize, numbers: &[Num], prefixes: &[Prefix]) -> NumResult<Option<Quantity>> {
        let by_start = |p: usize| numbers.binary_search_by_key(&p, |n| n.start).ok().map(|i| &numbers[i]);
        let n = self.give_back(t, &numbers[i]);
        if is_year_numeral(n.text) && at(t, n.end) == Some('年') {
            return Ok(None); // 2025年 is a date
        }
        let (mut start, mut end) = (n.start, n.end);
        let (mut value, mut value_max) = (n.value, None);
        let mut percent = false;
        let mut scale = 1.0;
        let prefix = prefixes.iter().find(|p| p.end == n.start);
        if let Some(p) = prefix {
            percent = true;
            scale = match p.p {
                '百' => 1.0,
                '万' => 0.01,
                _ => 0.1,
            };
            start = p.start;
            value *= if p.neg { -scale } else { scale };
        }
        let mut comparator = EQ;
        let mut rule = if percent { "percent_words" } else { "number_unit" };
        let mut unit_first = if percent { None } else { self.unit_at(t, end) };
        if let Some((u, e)) = unit_first {
            if self.is_percent(u) {
                percent = true;
                unit_first = None;
                end = e;
                rule = "percent_sign";
            } else {
                end = e;
            }
        }
        if let Some(sep_end) = range_sep(t, end) {
            let mut second_start = sep_end;
            if percent && starts_with(t, second_start, "百分之") {
                second_start += 3;
            }
            let mut nxt = by_start(second_start);
            let signed = if second_start > 0 { by_start(second_start - 1) } else { None };
            if nxt.is_none() {
                if let Some(s) = signed {
                    if s.value < 0.0 && matches!(t[second_start - 1], '-' | '－') {
                        nxt = Some(s);
                    }
                }
            }
            if let Some(nx) = nxt {
                if unit_first.is_none() || self.unit_at(t, nx.end).is_some() {
                    let second = nx.value.abs() * if prefix.is_some() { scale } else { 1.0 };
                    let mut first = value;
                    let shared = trailing_multiplier(nx.text);
                    let own = trailing_multiplier(n.text).unwrap_or(1.0);
                    if let Some(sh) = shared {
                        if own < sh && first * sh <= second {
                            first *= sh;
                        }
                    }
                    value = first;
                    value_max = Some(second);
                    comparator = RANGE;
                    end = nx.end;
                    if percent && at(t, end) == Some('%') {
                        end += 1;
                    }
                    rule = "range";
                }
            }
        } else if let Some(b_end) = between(t, end) {
            if let Some(nx) = by_start(b_end) {
                if let Some(e) = between_end(t, nx.end) {
                    value_max = Some(nx.value);
                    comparator = RANGE;
                    end = e;
                    rule = "between";
                }
            }
        }
        // 3万余名, 65亿多元
        if let Some((_, ie)) = self.inside.longest_at(t, end) {
            if self.unit_at(t, ie).is_some() {
                comparator = APPROX;
                end = ie;
            }
        }
        let mut unit: Option<usize> = None;
        let following = if percent { None } else { self.unit_at(t, end) };
        let counts = |u: usize| matches!(self.unit_kind[u].as_str(), "count" | "frequency");
        let measure_word = unit_first.filter(|&(_, e)| !percent && end == e && following.is_none_or(|f| counts(f.0)));
        if let Some((u, _)) = measure_word {
            unit = Some(u); // 10个名师工作室: the measure word, a noun follows
        } else if !percent {
            if let Some((u, e)) = following {
                unit = Some(u);
                end = e;
                if self.is_percent(u) {
                    percent = true;
                    unit = None;
                    if rule == "number_unit" {
                        rule = "percent_sign";
                    }
                }
            } else if let Some((u, _)) = unit_first {
                unit = Some(u);
            }
        }
        if let Some(u) = unit {
            if self.unit_name[u] == "元" {
                // 123元1角1分
                if let Some(j) = at(t, end).and_then(money_digit) {
                    let q = skip_space(t, end + 1);
                    if matches!(at(t, q), Some('角' | '毛')) {
                        let mut tail_end = q + 1;
                        let mut fen = 0u32;
                        if let Some(f) = at(t, q + 1).and_then(money_digit) {
                            let r = skip_space(t, q + 2);
                            if at(t, r) == Some('分') {
                                fen = f;
                                tail_end = r + 1;
                            }
                        }
                        value = value + j as f64 / 10.0 + fen as f64 / 100.0;
                        end = tail_end;
                    }
                }
            }
        }
        if unit.is_some() && at(t, end) == Some('半') && value_max.is_none() {
            value += 0.5;
            end += 1;
        }
        if unit.is_none() && !percent && at(t, end) == Some('成') && !cheng_word(t, end + 1) {
            percent = true;
            value *= 10.0;
            end += 1;
            rule = "cheng"; // 九成 = 90%
            if at(t, end) == Some('半') {
                value += 5.0;
                end += 1;
            }
        }
        let mut after = self.after.longest_at(t, end);
        if after.is_none() && at(t, end) == Some(' ') {
            after = self.after.longest_at(t, end + 1);
        }
        if let Some((w, e)) = after {
            if comparator != RANGE {
                comparator = self.after_cmp[w];
                end = e;
            }
        }
        let before = self.comparator_before(t, start);
        if let Some((w, ws)) = before {
            if comparator == EQ || comparator == APPROX {
                if comparator == EQ || self.before_cmp[w] == APPROX {
                    comparator = self.before_cmp[w];
                }
                start = ws;
            }
        }
        if unit.is_none() && !percent && after.is_none() {
            if let Some((u, factor)) = self.unit_label_before(t, start) {
                unit = Some(u);
                value *= factor;
                value_max = value_max.map(|v| v * factor);
                rule = "unit_label";
            }
        }
        if unit.is_none() && !percent && value_max.is_none() && before.is_none() && after.is_none() {
            return Ok(None); // a bare number: no amount of anything
        }
        Ok(Some(Quantity { start, end, value, value_max, unit, comparator, percent, rule }))
    }

    /// A comparator word right before `start`, allowing 了/为/是/有/达/在 and spaces between.
    fn comparator_before(&self, t: &[char], start: usize) -> Option<(usize, usize)> {
        let w0 = start.saturating_sub(16);
        let window = &t[w0..start];
        let mut p = window.len();
        while p > 0 && is_space(window[p - 1]) {
            p -= 1;
        }
        if p > 0 && "了为是有达在".contains(window[p - 1]) {
            p -= 1;
        }
        let head = &window[..p];
        let kept: Vec<usize> = (0..head.len()).filter(|&i| !is_py_space(head[i])).collect();
        let squeezed: Vec<char> = kept.iter().map(|&i| head[i]).collect();
        let (w, s) = self.before.longest_ending_at(&squeezed, squeezed.len())?;
        if self.before_cmp[w] == NONE {
            return None;
        }
        Some((w, w0 + kept[s]))
    }

    /// `(个)6`, `(万人)≥0.3`: the unit of an indicator-table row written before its value.
    fn unit_label_before(&self, t: &[char], start: usize) -> Option<(usize, f64)> {
        let lo = start.saturating_sub(12);
        let window = &t[..start];
        for p in lo..start {
            if window[p] != '(' {
                continue;
            }
            let try_from = |q: usize, mult: Option<char>| -> Option<(usize, Option<char>, (usize, usize))> {
                let mut e = q;
                while e < window.len() && e - q < 3 && is_han(window[e]) {
                    e += 1;
                }
                (e > q && at(window, e) == Some(')')).then_some((skip_space(window, e + 1), mult, (q, e)))
            };
            let m = at(window, p + 1);
            let found = match m {
                Some(c @ ('万' | '千' | '百' | '亿')) => try_from(p + 2, Some(c)).or_else(|| try_from(p + 1, None)),
                _ => try_from(p + 1, None),
            };
            if let Some((end, mult, (us, ue))) = found {
                if end != start {
                    return None;
                }
                let name: String = window[us..ue].iter().collect();
                let u = *self.unit_index.get(&name)?;
                if self.unit_kind[u] != "count" {
                    return None;
                }
                let factor = match mult {
                    Some('万') => 1e4,
                    Some('千') => 1e3,
                    Some('百') => 1e2,
                    Some('亿') => 1e8,
                    _ => 1.0,
                };
                return Some((u, factor));
            }
        }
        None
    }

    /// 大于二十的同时小于等于三十五, 1000以上,1500以下 → one range.
    fn join_bounds(&self, t: &[char], quantities: Vec<Quantity>) -> Vec<Quantity> {
        let mut out: Vec<Quantity> = Vec::new();
        let unit_name = |q: &Quantity| -> Option<String> {
            if q.percent {
                Some("%".into())
            } else {
                q.unit.map(|u| self.unit_name[u].clone())
            }
        };
        for q in quantities {
            if let Some(p) = out.last() {
                let joined = p.end >= q.start || bound_join(&t[p.end..q.start]);
                let same_unit = unit_name(p) == unit_name(&q) || p.unit.is_none() || q.unit.is_none();
                let lower = |c: u8| c == GE || c == GT;
                let upper = |c: u8| c == LE || c == LT;
                if joined
                    && same_unit
                    && p.value_max.is_none()
                    && q.value_max.is_none()
                    && ((lower(p.comparator) && upper(q.comparator) && p.value <= q.value)
                        || (upper(p.comparator) && lower(q.comparator) && q.value <= p.value))
                {
                    let (lo, hi) = if lower(p.comparator) { (p, &q) } else { (&q, p) };
                    let joined = Quantity {
                        start: p.start,
                        end: q.end,
                        value: lo.value,
                        value_max: Some(hi.value),
                        unit: p.unit.or(q.unit),
                        comparator: RANGE,
                        percent: p.percent || q.percent,
                        rule: "two_bounds",
                    };
                    *out.last_mut().unwrap() = joined;
                    continue;
                }
            }
            out.push(q);
        }
        out
    }
}

fn bound_join(s: &[char]) -> bool {
    let (a, b) = trimmed(s, 0, s.len(), is_space);
    let mid: String = s[a..b].iter().collect();
    matches!(mid.as_str(), "" | "的同时" | "并且" | "并" | "且" | "而且" | "而" | "同时" | "," | "，" | "、")
}
