"""Stage 6, extract: `Segmented` → targets (SPEC §6).

numbers.py parses numerals; quantities.py finds number + unit + comparator spans;
deadlines.py finds deadline and period phrases; targets.py turns them into target rows
with indicator, level, deadline and provenance.
"""
