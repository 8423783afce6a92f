"""Stage 6, extract: `Segmented` → `Extracted` (targets, SPEC §6; responsible units, §7).

numbers.py parses numerals; quantities.py finds number + unit + comparator spans;
deadlines.py finds deadline and period phrases; targets.py turns them into target rows
with indicator, level, deadline and provenance; units.py reads responsibility tags and
units named in the text; categories.py codes clauses with the codebooks (§8).
"""

from ..lexicons import Lexicons
from ..model import Extracted, Segmented
from .categories import code_categories
from .targets import extract_targets
from .units import extract_responsibilities


def extract(doc: Segmented, lex: Lexicons) -> Extracted:
    """The extract stage: a segmented document with its targets and responsibilities."""
    return Extracted(segmented=doc, targets=extract_targets(doc, lex),
                     responsibilities=extract_responsibilities(doc, lex), categories=code_categories(doc, lex))
