"""Stage 3, normalize: `Cleaned` → `Normalized`.

Converts Traditional to Simplified with OpenCC `t2s` and folds punctuation variants to
one form (full-width ASCII → ASCII: `，：；（）` → `,:;()`; exotic spaces → space).
Both steps replace one character by one character, so an offset into the normalized
text is an offset into the cleaned original-script text; `normalize` checks it.
Also decides the document's script (simplified | traditional | mixed).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import opencc

from . import core
from .errors import StageError
from .model import Cleaned, Normalized

_T2S = opencc.OpenCC("t2s")


@cache
def _s2t() -> opencc.OpenCC:
    """Loaded on first use: only documents with Traditional characters need it."""
    return opencc.OpenCC("s2t")


_FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}  # full-width ASCII block
_FOLD.update({ord(c): ord(" ") for c in "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
              "\u2007\u2008\u2009\u200a\u202f\u205f\u3000"})
_FOLD.update({ord("﹐"): ord(","), ord("﹑"): ord("、"), ord("﹔"): ord(";"), ord("﹕"): ord(":"),
              ord("﹖"): ord("?"), ord("﹗"): ord("!"), ord("﹙"): ord("("), ord("﹚"): ord(")"),
              ord("︰"): ord(":"), ord("｡"): ord("。"), ord("､"): ord("、")})

# Variant characters that OpenCC leaves alone but that name the same thing (陜西 = 陕西).
_FOLD.update({ord("陜"): ord("陕")})
# Above this share of script-specific characters a text is that script; between, mixed.
SCRIPT_THRESHOLD = 0.9


def t2s(text: str) -> str:
    """OpenCC t2s, guaranteed length-preserving (char by char where a phrase is not)."""
    out = _T2S.convert(text)
    if len(out) == len(text):
        return out
    # A phrase rule changed the length: convert character by character instead.
    out = "".join(c if len(s := _T2S.convert(c)) != 1 else s for c in text)
    if len(out) != len(text):  # pragma: no cover - guarded by the line above
        raise StageError("t2s changed the text length; offsets would break")
    return out


def fold_punctuation(text: str) -> str:
    if len(text) >= FOLD_IN_CORE and core.enabled():  # a notice: one pass in the core
        return _fold().apply(text) or text
    return text.translate(_FOLD)


FOLD_IN_CORE = 256  # characters from which the core's pass beats str.translate's call


@cache
def _fold():
    """_FOLD compiled in the core: str.translate looks up every character in a dict."""
    return core.Fold([(chr(k), chr(v)) for k, v in _FOLD.items()])


def detect_script(original: str, simplified: str) -> str:
    """simplified | traditional | mixed, from characters that only one script uses."""
    if original == simplified:
        return "simplified"  # no Traditional character: the share below would be 0
    # Simplified-only characters: unchanged by t2s but changed by s2t. Characters
    # shared by both scripts (于, 并, 范 …) change under s2t only in some words, so
    # compare against the s2t of the simplified text, then discount shared forms.
    s2t = _s2t().convert(simplified)
    if len(s2t) != len(simplified):
        s2t = "".join(_s2t().convert(c) if len(_s2t().convert(c)) == 1 else c for c in simplified)
    a, b, t = (_code_points(x) for x in (original, simplified, s2t))  # compared as arrays: C speed
    traditional = int(np.count_nonzero(a != b))
    simplified_only = int(np.count_nonzero((a == b) & (b != t) & ~np.isin(a, _SHARED_POINTS)))
    total = traditional + simplified_only
    if total == 0:
        return "simplified"
    share = traditional / total
    if share >= SCRIPT_THRESHOLD:
        return "traditional"
    if share <= 1 - SCRIPT_THRESHOLD:
        return "simplified"
    return "mixed"


def _code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


# Characters that are correct in both scripts in common words, which s2t still
# rewrites in some contexts (于→於, 并→並 …): they say nothing about the script.
_SHARED = set("于并范系台准里后面发干只才钟历采云松志制复尽余")
_SHARED_POINTS = np.array(sorted(map(ord, _SHARED)), dtype=np.uint32)


def normalize(cleaned: Cleaned) -> Normalized:
    # clean converted the raw text already; its twin of the body is the same characters
    simplified = cleaned.simplified if len(cleaned.simplified) == len(cleaned.text) else t2s(cleaned.text)
    text = fold_punctuation(simplified)
    if len(text) != len(cleaned.text):
        raise StageError("normalization changed the text length; offsets would break")
    header = tuple(fold_punctuation(t2s(line)) for line in cleaned.header)
    return Normalized(cleaned=cleaned, text=text, header=header,
                      script=detect_script(cleaned.text, simplified))
