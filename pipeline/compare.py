"""Cross-region comparison tables (SPEC §5.7): the batch's rows → `region_category`
and `region_indicator`.

`region_category` has one row per region × codebook × category, zeros included: a
region whose plan never touches a category, or states no quantified target (Taicang),
shows that as a row of zeros rather than by being absent. `region_indicator` puts the
commitments on one canonical indicator side by side, one row per target.
"""

from __future__ import annotations

from collections import defaultdict

from .lexicons import Lexicons

UNKNOWN_REGION = "(unknown)"


def compare_tables(tables: dict[str, list[dict]], lex: Lexicons) -> dict[str, list[dict]]:
    region_of = {d["doc_id"]: d["region"] or UNKNOWN_REGION for d in tables["documents"]}
    regions = sorted(set(region_of.values()))
    coded: dict[tuple[str, str], set[str]] = defaultdict(set)  # (codebook, category) → clause ids
    clause_codes: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for row in tables["categories"]:
        coded[(row["codebook"], row["category"])].add(row["clause_id"])
        clause_codes[row["clause_id"]].add((row["codebook"], row["category"]))
    counts: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for row in tables["categories"]:
        counts[(region_of[row["doc_id"]], row["codebook"], row["category"])][0] += 1
    for t in tables["targets"]:
        for codebook, category in clause_codes.get(t["clause_id"], ()):
            c = counts[(region_of[t["doc_id"]], codebook, category)]
            c[1] += 1
            c[2] += t["value"] is not None
            c[3] += t["deadline_year"] is not None
            c[4] += t["lead_unit"] is not None
    region_category = [
        {"region": region, "codebook": codebook.id, "category": category.id,
         **dict(zip(("clauses", "targets", "quantified_targets", "targets_with_deadline", "targets_with_lead_unit"),
                    counts.get((region, codebook.id, category.id), [0, 0, 0, 0, 0]), strict=True))}
        for codebook in lex.codebooks for category in codebook.categories for region in regions
    ]
    region_indicator = sorted(
        ({"indicator_id": t["indicator_id"], "region": region_of[t["doc_id"]], "value": t["value"],
          "value_max": t["value_max"], "unit": t["unit"], "comparator": t["comparator"], "level": t["level"],
          "scope": t["scope"],
          "deadline_year": t["deadline_year"], "mention": t["mention"], "indicator": t["indicator"],
          "target_id": t["target_id"]}
         for t in tables["targets"] if t["indicator_id"]),
        key=lambda r: (r["indicator_id"], r["region"], r["target_id"]),
    )
    return {"region_category": region_category, "region_indicator": region_indicator}


MEASURES = ("clauses", "targets", "quantified_targets", "targets_with_deadline", "targets_with_lead_unit")


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
