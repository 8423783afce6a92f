"""Cross-region comparison tables (SPEC §5.7): the batch's rows → `region_category`
and `region_indicator`.

`region_category` has one row per region × codebook × category, zeros included: a
region whose plan never touches a category, or states no quantified target (Taicang),
shows that as a row of zeros rather than by being absent. `region_indicator` puts the
commitments on one canonical indicator side by side, one row per target.
"""

from __future__ import annotations

from collections import defaultdict

import pyarrow as pa

from .lexicons import Lexicons

UNKNOWN_REGION = "(unknown)"
COUNTS = ("clauses", "targets", "quantified_targets", "targets_with_deadline", "targets_with_lead_unit")
Counts = dict[tuple[str, str], list[int]]  # (codebook, category) → the COUNTS of one document
INDICATOR_COLUMNS = ("indicator_id", "region", "value", "value_max", "unit", "comparator", "level", "scope",
                     "deadline_year", "mention", "indicator", "target_id")


def document_counts(categories: dict[str, list], targets: dict[str, list]) -> Counts:
    """One document's contribution to `region_category`, from the columns of its
    categories and targets (clause ids are unique to a document, so the batch's table
    is the sum of these)."""
    clause_codes: dict[str, set[tuple[str, str]]] = defaultdict(set)
    counts: Counts = defaultdict(lambda: [0, 0, 0, 0, 0])
    for clause_id, key in zip(categories["clause_id"], zip(categories["codebook"], categories["category"],
                                                           strict=True), strict=True):
        clause_codes[clause_id].add(key)
        counts[key][0] += 1
    for clause_id, value, deadline, lead in zip(targets["clause_id"], targets["value"], targets["deadline_year"],
                                                targets["lead_unit"], strict=True):
        for key in clause_codes.get(clause_id, ()):
            c = counts[key]
            c[1] += 1
            c[2] += value is not None
            c[3] += deadline is not None
            c[4] += lead is not None
    return dict(counts)


def region_category(counts: dict[str, Counts], lex: Lexicons) -> list[dict]:
    """`counts`: region → summed document counts. One row per region × codebook ×
    category, zeros included."""
    regions = sorted(counts)
    return [
        {"region": region, "codebook": codebook.id, "category": category.id,
         **dict(zip(COUNTS, counts[region].get((codebook.id, category.id), [0, 0, 0, 0, 0]), strict=True))}
        for codebook in lex.codebooks for category in codebook.categories for region in regions
    ]


def add_counts(total: Counts, counts: Counts) -> None:
    for key, values in counts.items():
        into = total.setdefault(key, [0, 0, 0, 0, 0])
        for i, v in enumerate(values):
            into[i] += v


def region_indicator(targets: pa.Table) -> pa.Table:
    """The targets that map to a canonical indicator, side by side: sorted by indicator,
    region and target id (Arrow sorts UTF-8 bytes, which is code point order)."""
    import pyarrow.compute as pc  # 50 ms to import: only when the tables are written

    table = targets.select([c for c in INDICATOR_COLUMNS])
    table = table.filter(pc.is_valid(table.column("indicator_id")))
    table = table.set_column(1, "region", pc.fill_null(table.column("region"), UNKNOWN_REGION))
    return table.sort_by([("indicator_id", "ascending"), ("region", "ascending"), ("target_id", "ascending")])


MEASURES = COUNTS


def region_matrix(region_category: list[dict], codebook: str, measure: str,
                  names: dict[str, str]) -> tuple[list[str], list[list]]:
    """(headers, rows): one row per category of `codebook`, one column per region."""
    rows = [r for r in region_category if r["codebook"] == codebook]
    regions = sorted({r["region"] for r in rows})
    categories = list(dict.fromkeys(r["category"] for r in rows))
    value = {(r["category"], r["region"]): r[measure] for r in rows}
    headers = ["category", "名称", *regions, "total"]
    body = []
    for category in categories:
        values = [value.get((category, region), 0) for region in regions]
        body.append([category, names.get(category, ""), *values, sum(values)])
    body.append(["total", "", *[sum(r[i + 2] for r in body) for i in range(len(regions))],
                 sum(r[-1] for r in body)])
    return headers, body


def crosstab(categories: list[dict], rows_codebook: str, columns_codebook: str) -> tuple[list[str], list[list]]:
    """Clauses coded with both an action category and a policy tool (the theme × tool table)."""
    by_clause: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for r in categories:
        if r["score"] >= 1:  # own evidence only: inherited heading codes would double-count
            by_clause[r["clause_id"]][r["codebook"]].add(r["category"])
    counts: dict[tuple[str, str], int] = defaultdict(int)
    row_ids, col_ids = set(), set()
    for codes in by_clause.values():
        for a in codes.get(rows_codebook, ()):
            for b in codes.get(columns_codebook, ()):
                counts[(a, b)] += 1
                row_ids.add(a)
                col_ids.add(b)
    cols = sorted(col_ids)
    body = [[a, *[counts.get((a, b), 0) for b in cols]] for a in sorted(row_ids)]
    return [f"{rows_codebook} \\ {columns_codebook}", *cols], body
