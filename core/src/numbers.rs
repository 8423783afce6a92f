//! Numerals → values, and the scan for numerals that are numbers: the rules of
//! pipeline/extract/numbers.py (see its docstring), read the way its patterns read.

use crate::chars::{
    at, big_unit, cn_digit, is_ascii_digit, is_cn, is_han, is_py_space, is_space, is_word, small_unit, starts_with,
    trimmed,
};

pub type NumResult<T> = Result<T, String>;

/// One Arabic number at `pos` (the `ARABIC` pattern): `1,234.5` or `2024`; its end.
pub fn arabic_at(t: &[char], pos: usize) -> Option<usize> {
    let digits_from = |p: usize, max: usize| -> usize {
        let mut n = 0;
        while n < max && p + n < t.len() && is_ascii_digit(t[p + n]) {
            n += 1;
        }
        n
    };
    let no_digit_at = |p: usize| !matches!(at(t, p), Some(c) if is_ascii_digit(c));
    // A decimal part (greedy, then shorter, then none) followed by a non-digit: its end.
    let decimal_then = |p: usize| -> Option<usize> {
        if at(t, p) == Some('.') {
            let k = digits_from(p + 1, 12);
            for len in (1..=k).rev() {
                if no_digit_at(p + 1 + len) {
                    return Some(p + 1 + len);
                }
            }
        }
        no_digit_at(p).then_some(p)
    };
    // 1,234,567.89: one to three digits, then one to six groups of three.
    let lead = digits_from(pos, 3);
    for d in (1..=lead).rev() {
        let mut ends = Vec::new();
        let mut p = pos + d;
        while ends.len() < 6 && at(t, p) == Some(',') && digits_from(p + 1, 3) == 3 {
            p += 4;
            ends.push(p);
        }
        for &e in ends.iter().rev() {
            if let Some(end) = decimal_then(e) {
                return Some(end);
            }
        }
    }
    let lead = digits_from(pos, 24);
    for d in (1..=lead).rev() {
        if let Some(end) = decimal_then(pos + d) {
            return Some(end);
        }
    }
    None
}

/// The ends of `NUMBER_PATTERN` matched at `pos`, in the order a backtracking engine tries
/// them: its numeral tokens (one atomic run), then with the decimal part (点 and at most 12
/// digits, longest first), then without it. None matches where no token starts.
pub fn number_ends(t: &[char], pos: usize) -> Vec<usize> {
    let Some(e) = tokens_end(t, pos, 40) else { return Vec::new() };
    let mut ends = Vec::new();
    if at(t, e) == Some('点') {
        let run = |digit: &dyn Fn(char) -> bool| (0..12).take_while(|&k| at(t, e + 1 + k).is_some_and(digit)).count();
        let arabic = run(&is_ascii_digit);
        let digits = if arabic > 0 { arabic } else { run(&|c| cn_digit(c).is_some()) };
        ends.extend((1..=digits).rev().map(|k| e + 1 + k));
    }
    ends.push(e);
    ends
}

/// Up to `max` numeral tokens (Arabic numbers or Chinese numeral characters), greedily.
fn tokens_end(t: &[char], pos: usize, max: usize) -> Option<usize> {
    let (mut p, mut count) = (pos, 0);
    while count < max {
        if let Some(e) = arabic_at(t, p) {
            p = e;
        } else if matches!(at(t, p), Some(c) if is_cn(c)) {
            p += 1;
        } else {
            break;
        }
        count += 1;
    }
    (count > 0).then_some(p)
}

/// A match of the `NUMERAL` pattern: [sign] [denominator 分之] body.
pub struct Numeral {
    pub start: usize,
    pub end: usize,
    pub sign_end: usize, // == start without a sign
    pub den: Option<(usize, usize)>,
    pub body: (usize, usize),
}

fn body_at(t: &[char], pos: usize) -> Option<usize> {
    if starts_with(t, pos, "一半") {
        return Some(pos + 2);
    }
    let mut e = tokens_end(t, pos, 41)?;
    if at(t, e) == Some('点') {
        let run = |f: &dyn Fn(char) -> bool| {
            let mut k = 0;
            while k < 12 && matches!(at(t, e + 1 + k), Some(c) if f(c)) {
                k += 1;
            }
            k
        };
        let mut k = run(&is_ascii_digit);
        if k == 0 {
            k = run(&|c| cn_digit(c).is_some());
        }
        if k > 0 {
            e += 1 + k;
            let mut m = 0;
            while m < 2 && matches!(at(t, e), Some('万' | '亿')) {
                e += 1;
                m += 1;
            }
        }
    }
    Some(e)
}

type Span = (usize, usize);

fn rest_at(t: &[char], pos: usize) -> Option<(Option<Span>, Span)> {
    let percent_words = ["百分之", "千分之", "万分之", "仟分之"];
    if !percent_words.iter().any(|w| starts_with(t, pos, w)) {
        if let Some(den_end) = tokens_end(t, pos, 40) {
            let after = den_end + 2;
            if starts_with(t, den_end, "分之") && matches!(at(t, after), Some(c) if is_ascii_digit(c) || is_cn(c)) {
                if let Some(e) = body_at(t, after) {
                    return Some((Some((pos, den_end)), (after, e)));
                }
            }
        }
    }
    body_at(t, pos).map(|e| (None, (pos, e)))
}

/// A minus sign may not follow a word, a number, a dash or a closing bracket (then it is a
/// range's dash), even across two spaces.
fn dash_is_sign(t: &[char], d: usize) -> bool {
    let blocks = |c: char| is_word(c) || is_cn(c) || "-—~－)）]".contains(c);
    for k in 0..=2usize {
        if k > d {
            break;
        }
        if (d - k..d).all(|i| is_space(t[i])) && d > k && blocks(t[d - 1 - k]) {
            return false;
        }
    }
    true
}

fn sign_end(t: &[char], pos: usize) -> Option<usize> {
    let mut p = match at(t, pos)? {
        '负' => pos + if at(t, pos + 1) == Some('的') { 2 } else { 1 },
        '-' | '－' if dash_is_sign(t, pos) => pos + 1,
        _ => return None,
    };
    if matches!(at(t, p), Some(c) if is_space(c)) {
        p += 1;
    }
    Some(p)
}

/// The `NUMERAL` pattern matched at `pos`.
pub fn numeral_at(t: &[char], pos: usize) -> Option<Numeral> {
    if let Some(s) = sign_end(t, pos) {
        if let Some((den, body)) = rest_at(t, s) {
            return Some(Numeral { start: pos, end: body.1, sign_end: s, den, body });
        }
    }
    rest_at(t, pos).map(|(den, body)| Numeral { start: pos, end: body.1, sign_end: pos, den, body })
}

fn could_start(c: char) -> bool {
    is_ascii_digit(c) || is_cn(c) || matches!(c, '负' | '-' | '－')
}

/// `NUMERAL.finditer`: leftmost, non-overlapping matches.
pub fn numerals(t: &[char]) -> Vec<Numeral> {
    let mut out = Vec::new();
    let mut p = 0;
    while p < t.len() {
        if could_start(t[p]) {
            if let Some(m) = numeral_at(t, p) {
                p = m.end;
                out.push(m);
                continue;
            }
        }
        p += 1;
    }
    out
}

#[derive(Clone, Copy)]
enum Tok {
    Num(f64),
    Ch(char),
}

fn tokens(t: &[char]) -> NumResult<Vec<Tok>> {
    let mut out = Vec::new();
    let mut p = 0;
    while p < t.len() {
        if let Some(e) = arabic_at(t, p) {
            let s: String = t[p..e].iter().filter(|&&c| c != ',').collect();
            out.push(Tok::Num(s.parse::<f64>().map_err(|e| e.to_string())?));
            p = e;
        } else if is_cn(t[p]) || t[p] == '点' {
            out.push(Tok::Ch(t[p]));
            p += 1;
        } else {
            return Err(format!("not a numeral: {}", py_repr(t)));
        }
    }
    Ok(out)
}

/// Python's repr of a string, for messages that read as numbers.py's do.
fn py_repr(t: &[char]) -> String {
    let s: String = t.iter().collect();
    if s.contains('\'') && !s.contains('"') {
        format!("\"{s}\"")
    } else {
        format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
    }
}

fn digit_of(tok: Tok) -> Option<f64> {
    match tok {
        Tok::Num(v) => Some(v),
        Tok::Ch(c) => cn_digit(c).map(|d| d as f64),
    }
}

fn is_ch(tok: Tok, set: &str) -> bool {
    matches!(tok, Tok::Ch(c) if set.contains(c))
}

fn value(tokens: &[Tok]) -> NumResult<f64> {
    for (ch, unit) in [('亿', 100_000_000.0), ('万', 10_000.0)] {
        if let Some(i) = tokens.iter().position(|&t| matches!(t, Tok::Ch(c) if c == ch)) {
            let (left, right) = (&tokens[..i], &tokens[i + 1..]);
            let left_value = if left.is_empty() { 1.0 } else { value(left)? };
            return Ok(left_value * unit + right_part(right, unit)?);
        }
    }
    section(tokens)
}

fn right_part(tokens: &[Tok], unit: f64) -> NumResult<f64> {
    if tokens.is_empty() {
        return Ok(0.0);
    }
    if tokens.len() == 1 {
        if let Tok::Ch(c) = tokens[0] {
            if let Some(d) = cn_digit(c) {
                if !"零〇○".contains(c) {
                    return Ok(d as f64 * unit / 10.0);
                }
            }
        }
    }
    let rest = if is_ch(tokens[0], "零〇") { &tokens[1..] } else { tokens };
    if rest.is_empty() {
        Ok(0.0)
    } else {
        value(rest)
    }
}

fn section(tokens: &[Tok]) -> NumResult<f64> {
    if tokens.iter().all(|&t| digit_of(t).is_some()) {
        if tokens.len() == 1 {
            return Ok(digit_of(tokens[0]).unwrap());
        }
        if tokens.iter().any(|t| matches!(t, Tok::Num(_))) {
            return Err("Arabic digits next to Chinese digits".into());
        }
        if tokens.len() < 3 && !tokens.iter().any(|&t| is_ch(t, "〇零○")) {
            return Err("two digits in a row".into());
        }
        let s: String = tokens.iter().map(|&t| (digit_of(t).unwrap() as i64).to_string()).collect();
        return s.parse::<f64>().map_err(|e| e.to_string());
    }
    let mut total = 0.0;
    let mut current: Option<f64> = None;
    let mut current_is_cn = false;
    let mut last_unit: Option<f64> = None;
    let mut zero_seen = false;
    for &tok in tokens {
        if let Tok::Ch(c @ ('廿' | '卅')) = tok {
            total += if c == '廿' { 20.0 } else { 30.0 };
            last_unit = Some(10.0);
            continue;
        }
        if let Some(d) = digit_of(tok) {
            if current.is_some() {
                return Err("two digits in a row".into());
            }
            if is_ch(tok, "零〇○") {
                zero_seen = true;
                continue;
            }
            current = Some(d);
            current_is_cn = matches!(tok, Tok::Ch(_));
            continue;
        }
        let unit = match tok {
            Tok::Ch(c) => small_unit(c).ok_or_else(|| format!("'{c}'"))?,
            Tok::Num(_) => unreachable!(),
        };
        if let Some(last) = last_unit {
            if unit >= last {
                return Err("units out of order".into());
            }
        }
        total += current.unwrap_or(1.0) * unit;
        current = None;
        last_unit = Some(unit);
    }
    if let Some(c) = current {
        match last_unit {
            Some(last) if last >= 100.0 && !zero_seen && current_is_cn => total += c * last / 10.0,
            _ => total += c,
        }
    }
    Ok(total)
}

fn integer(t: &[char]) -> NumResult<f64> {
    let toks = tokens(t)?;
    if toks.is_empty() {
        return Err("empty numeral".into());
    }
    value(&toks)
}

fn strip(t: &[char]) -> &[char] {
    let (a, b) = trimmed(t, 0, t.len(), is_py_space);
    &t[a..b]
}

/// The value of one numeral string (`parse_number`); Err with numbers.py's message.
pub fn parse_number(text: &[char]) -> NumResult<f64> {
    let mut t = strip(text);
    let mut negative = false;
    for sign in ["负的", "负", "-", "－"] {
        if starts_with(t, 0, sign) {
            negative = true;
            t = &t[sign.chars().count()..];
            while !t.is_empty() && is_py_space(t[0]) {
                t = &t[1..];
            }
            break;
        }
    }
    if t.is_empty() {
        return Err("empty numeral".into());
    }
    let v = if t == ['一', '半'] {
        0.5
    } else if let Some(i) = t.iter().position(|&c| c == '点') {
        let (whole, mut frac) = (&t[..i], &t[i + 1..]);
        let mut scale = 1.0;
        while let Some(&last) = frac.last() {
            match big_unit(last) {
                Some(u) => {
                    scale *= u;
                    frac = &frac[..frac.len() - 1];
                }
                None => break,
            }
        }
        if frac.is_empty() || !frac.iter().all(|&c| cn_digit(c).is_some() || is_ascii_digit(c)) {
            return Err(format!("bad decimal part in {}", py_repr(t)));
        }
        let digits: String =
            frac.iter().map(|&c| cn_digit(c).map(|d| char::from_digit(d, 10).unwrap()).unwrap_or(c)).collect();
        let fraction: f64 = format!("0.{digits}").parse().map_err(|e: std::num::ParseFloatError| e.to_string())?;
        ((if whole.is_empty() { 0.0 } else { integer(whole)? }) + fraction) * scale
    } else {
        integer(t)?
    };
    Ok(if negative { -v } else { v })
}

pub struct Number {
    pub value: f64,
    pub start: usize,
    pub end: usize,
}

fn vague_at(t: &[char], p: usize) -> bool {
    starts_with(t, p, "几") || starts_with(t, p, "多少") || starts_with(t, p, "数")
}

fn range_next(t: &[char], p: usize) -> bool {
    let mut p = p;
    while matches!(at(t, p), Some(c) if is_space(c)) {
        p += 1;
    }
    if !matches!(at(t, p), Some('至' | '到' | '-' | '~' | '—')) {
        return false;
    }
    p += 1;
    while matches!(at(t, p), Some(c) if is_space(c)) {
        p += 1;
    }
    matches!(at(t, p), Some(c) if is_ascii_digit(c) || is_cn(c))
}

fn concat(parts: &[&[char]]) -> Vec<char> {
    parts.iter().flat_map(|p| p.iter().copied()).collect()
}

/// `find_numbers`: numerals that are numbers; `follower(pos)` says whether a unit (or 成)
/// follows at `pos`, which lets a lone numeral character count (`十个`, not `一切`).
pub fn find_numbers(t: &[char], follower: &dyn Fn(usize) -> bool) -> Vec<Number> {
    let mut out = Vec::new();
    for m in numerals(t) {
        let (bs, be) = m.body;
        let body = &t[bs..be];
        let (start, mut end) = (m.start, m.end);
        if body.len() > 40 {
            continue;
        }
        if vague_at(t, end) || (start > 0 && "几第每".contains(t[start - 1])) {
            continue;
        }
        if body.iter().all(|&c| "百佰千仟万亿".contains(c)) {
            continue;
        }
        let cn_only = !body.iter().any(|&c| is_ascii_digit(c));
        if cn_only && body.len() == 1 {
            let before_han = start > 0 && is_han(t[start - 1]);
            let after_han = matches!(at(t, end), Some(c) if is_han(c));
            let standalone = !before_han && !after_han;
            if !standalone && !follower(end) && !range_next(t, end) {
                continue;
            }
        }
        let sign = &t[m.start..m.sign_end];
        let parsed = parse_number(&concat(&[sign, body])).and_then(|v| match m.den {
            Some((ds, de)) => parse_number(&t[ds..de]).map(|d| (v, Some(d))),
            None => Ok((v, None)),
        });
        let value = match parsed {
            Ok((v, Some(d))) => {
                if d == 0.0 {
                    continue; // ZeroDivisionError
                }
                v / d
            }
            Ok((v, None)) => v,
            Err(_) => {
                // 三千千瓦时: the last character may start the unit instead (千瓦时)
                if body.len() > 1 && "千百万".contains(body[body.len() - 1]) && follower(end - 1) {
                    match parse_number(&concat(&[sign, &body[..body.len() - 1]])) {
                        Ok(v) => {
                            end -= 1;
                            v
                        }
                        Err(_) => continue,
                    }
                } else {
                    continue;
                }
            }
        };
        out.push(Number { value, start, end });
    }
    out
}
