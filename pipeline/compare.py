"""Cross-region comparison tables (SPEC §5.7): per-document category counts and the
written targets → `region_category` and `region_indicator`.

`region_category` has one row per region × codebook × category, zeros included: a
region whose plan never touches a category, or states no quantified target (Taicang),
shows that as a row of zeros rather than by being absent. `region_indicator` puts the
commitments on one canonical indicator side by side, one row per target.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from itertools import compress
from pathlib import Path

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
    is the sum of these). A notice has hundreds of codes and a few dozen targets: the
    codes are counted in C, and only those of clauses with a target are looked at one
    by one."""
    keys = list(zip(categories["codebook"], categories["category"], strict=True))
    counts: Counts = {key: [n, 0, 0, 0, 0] for key, n in Counter(keys).items()}
    targeted = set(targets["clause_id"])
    clause_codes: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for clause_id, key in compress(zip(categories["clause_id"], keys, strict=True),
                                   map(targeted.__contains__, categories["clause_id"])):
        clause_codes[clause_id].add(key)
    for clause_id, value, deadline, lead, status in zip(targets["clause_id"], targets["value"],
                                                        targets["deadline_year"], targets["lead_unit"],
                                                        targets["review_status"], strict=True):
        if status == "rejected":  # a reviewer said it is no target (pipeline/reviews.py)
            continue
        for key in clause_codes.get(clause_id, ()):
            c = counts[key]
            c[1] += 1
            c[2] += value is not None
            c[3] += deadline is not None
            c[4] += lead is not None
    return counts


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
    # Once a document in the driver: the five sums unrolled, at half the cost of a loop.
    get = total.get
    for key, (clauses, targets, quantified, with_deadline, with_lead) in counts.items():
        into = get(key)
        if into is None:
            total[key] = [clauses, targets, quantified, with_deadline, with_lead]
        else:
            into[0] += clauses
            into[1] += targets
            into[2] += quantified
            into[3] += with_deadline
            into[4] += with_lead


# Few distinct values: read dictionary-encoded, a fraction of the memory of strings.
_REPEATED = ["region", "unit", "comparator", "level", "scope"]
SORT_ROWS = 250_000  # rows sorted in memory at once: about 40 MB


def write_region_indicator(targets: Path | str, directory: Path, run_key: str | None = None,
                           mapped: pa.Table | None = None) -> int:
    """`region_indicator.parquet` from `targets.parquet`: the targets that map to a
    canonical indicator, sorted by indicator, region and target id (Arrow sorts UTF-8
    bytes, which is code point order).

    `mapped`, when given, holds those targets already (`mapped_targets` of every part, as
    the dataset layout's workers keep them) and the targets file is not read: the same
    rows, the same file. Otherwise memory does not grow with the corpus: the targets file
    is read a row group at a time keeping only the rows that map to an indicator; when
    more than SORT_ROWS do, the indicators are taken in order, as many at a time as hold
    about SORT_ROWS targets, and the file is read again for each such group. Each group
    is sorted and written a row group at a time."""
    import pyarrow.compute as pc  # 50 ms to import: only when the tables are written

    from .tables import ROW_GROUP_SIZE, TableWriter, open_parquet

    if mapped is not None:
        groups: Iterable[pa.Table] = [mapped.select(INDICATOR_COLUMNS)]
    else:
        groups = _indicator_groups(open_parquet(targets, read_dictionary=_REPEATED), pc)
    writer = TableWriter(directory, "region_indicator", run_key)
    rows = 0
    try:
        for table in groups:
            region = pc.fill_null(table.column("region"), UNKNOWN_REGION)
            table = table.set_column(1, "region", region)
            order = pc.sort_indices(pa.table({"i": table.column("indicator_id"), "r": region,
                                              "t": table.column("target_id")}),
                                    sort_keys=[("i", "ascending"), ("r", "ascending"), ("t", "ascending")])
            for start in range(0, len(order), ROW_GROUP_SIZE):
                writer.add(table.take(order[start:start + ROW_GROUP_SIZE]))
            rows += len(order)
        writer.close()
    except BaseException:
        writer.abort()
        raise
    writer.commit()
    return rows


def mapped_targets(targets: pa.Table, extra: tuple[str, ...] = ()) -> pa.Table:
    """The rows of `targets` that go into region_indicator: mapped to an indicator and not
    rejected by a reviewer; the INDICATOR_COLUMNS and `extra`, none dictionary-encoded: the
    writer cuts row groups by bytes, so the rows must come in one form to give one file."""
    import pyarrow.compute as pc

    ids = targets.column("indicator_id")
    kept = pc.and_(pc.is_valid(ids), pc.not_equal(pc.fill_null(targets.column("review_status"), ""), "rejected"))
    return plain(targets.filter(kept).select([*INDICATOR_COLUMNS, *extra]))


def plain(table: pa.Table) -> pa.Table:
    """`table` with its dictionary-encoded columns decoded."""
    for i, column in enumerate(table.columns):
        if pa.types.is_dictionary(column.type):
            table = table.set_column(i, table.field(i).name, column.cast(column.type.value_type))
    return table


def _indicator_groups(source, pc) -> Iterator[pa.Table]:
    """The targets of `source` that map to an indicator (unless a reviewer rejected them), in
    groups of whole indicators of about SORT_ROWS rows at most: read in one pass when they
    all fit in one."""
    from .tables import release_memory

    def mapped(group: int, wanted: pa.Array | None = None) -> pa.Table:
        part = source.read_row_group(group, columns=[*INDICATOR_COLUMNS, "review_status"], use_threads=False)
        if wanted is not None:
            part = part.filter(pc.is_in(part.column("indicator_id"), value_set=wanted))
        return mapped_targets(part)

    parts, size = [], 0
    for group in range(source.num_row_groups):
        parts.append(mapped(group))
        size += parts[-1].num_rows
        if size > SORT_ROWS:
            break
    else:
        if size:
            yield pa.concat_tables(parts)
        return
    del parts
    counts: dict[str, int] = {}
    for group in range(source.num_row_groups):
        for item in source.read_row_group(group, columns=["indicator_id"]).column(0).value_counts().to_pylist():
            if item["values"] is not None:
                counts[item["values"]] = counts.get(item["values"], 0) + item["counts"]
    batches: list[list[str]] = []
    size = SORT_ROWS
    for indicator in sorted(counts):
        if size + counts[indicator] > SORT_ROWS:
            batches.append([])
            size = 0
        batches[-1].append(indicator)
        size += counts[indicator]
    for batch in batches:
        wanted = pa.array(batch, pa.string())
        yield pa.concat_tables([mapped(group, wanted) for group in range(source.num_row_groups)])
        release_memory()  # the next group's reads reuse nothing of this one's


def region_matrix(region_category: list[dict], codebook: str, measure: str, names: dict[str, str],
                  totals: dict[str, dict[str, int]] | None = None) -> tuple[list[str], list[list]]:
    """(headers, rows): one row per category of `codebook`, one column per region.

    A clause or target with two categories is in two rows, and one with none in no row,
    so the rows do not add up to anything; `totals` (from `region_totals`) gives the two
    rows that do: items with at least one category, and all items."""
    rows = [r for r in region_category if r["codebook"] == codebook]
    regions = sorted({r["region"] for r in rows})
    categories = list(dict.fromkeys(r["category"] for r in rows))
    value = {(r["category"], r["region"]): r[measure] for r in rows}
    headers = ["category", "名称", *regions, "total"]
    body = []
    for category in categories:
        values = [value.get((category, region), 0) for region in regions]
        body.append([category, names.get(category, ""), *values, sum(values)])
    if totals is not None:
        for label, name in (("categorized", "(with a category; counted once)"), ("all", "(all)")):
            values = [totals[label].get(region, 0) for region in regions]
            body.append([f"total: {label}", name, *values, sum(values)])
    return headers, body


def normalize(headers: list[str], body: list[list], how: str, totals: dict[str, dict[str, int]]) -> list[list]:
    """The region columns of `region_matrix` rows as counts per document of the region
    (`per-document`) or as a share of all the region's items (`share`, 0–1), so regions
    with long and short notices compare; the total column is recomputed the same way
    over all regions. `totals` is `region_totals`'."""
    regions = headers[2:-1]
    base = totals["documents" if how == "per-document" else "all"]
    scale = {r: base.get(r, 0) for r in regions}
    whole = sum(scale.values())
    out = []
    for row in body:
        values = [round(v / scale[r], 4) if scale[r] else 0.0 for v, r in zip(row[2:-1], regions, strict=True)]
        out.append([*row[:2], *values, round(row[-1] / whole, 4) if whole else 0.0])
    return out


MEASURE_FILTERS = {"targets": None, "quantified_targets": "value", "targets_with_deadline": "deadline_year",
                   "targets_with_lead_unit": "lead_unit"}


def region_totals(directory: Path, codebook: str, measure: str) -> dict[str, dict[str, int]]:
    """{"categorized": region → distinct items with a category of `codebook`, "all": region →
    every item, "documents": region → notices}: items are clauses, or targets (those with
    the measure's field set)."""
    import pyarrow.parquet as pq

    coded = {r["clause_id"] for r in pq.read_table(directory / "categories.parquet",
                                                     columns=["clause_id", "codebook"]).to_pylist()
             if r["codebook"] == codebook}
    region_of = {d["doc_id"]: d["region"] or UNKNOWN_REGION
                 for d in pq.read_table(directory / "documents.parquet", columns=["doc_id", "region"]).to_pylist()}
    out: dict[str, dict[str, int]] = {"categorized": defaultdict(int), "all": defaultdict(int),
                                      "documents": defaultdict(int)}
    for region in region_of.values():
        out["documents"][region] += 1
    if measure == "clauses":
        items = pq.read_table(directory / "clauses.parquet", columns=["clause_id", "doc_id"]).to_pylist()
    else:
        field = MEASURE_FILTERS[measure]
        items = [t for t in pq.read_table(directory / "targets.parquet",
                                          columns=["clause_id", "doc_id", "value", "deadline_year", "lead_unit",
                                                   "review_status"])
                 .to_pylist() if (field is None or t[field] is not None) and t["review_status"] != "rejected"]
    for item in items:
        region = region_of.get(item["doc_id"], UNKNOWN_REGION)
        out["all"][region] += 1
        out["categorized"][region] += item["clause_id"] in coded
    return out


def indicator_pivot(region_indicator: list[dict]) -> tuple[list[str], list[list]]:
    """(headers, rows): one row per canonical indicator, one column per region; a cell is
    `targets · value range · latest deadline` (`3 · 10–40 · 2027`). An indicator has one
    unit (lexicons/indicators.yaml), shown in its row; milestones count as targets without
    a value. Tables written with an older lexicon that mixed units get a row per unit, so
    values are still compared only within one unit."""
    regions = sorted({r["region"] for r in region_indicator})
    units: dict[str, set[str]] = defaultdict(set)
    for r in region_indicator:
        if r["unit"] is not None:
            units[r["indicator_id"]].add(r["unit"])
    cells: dict[tuple[str, str], dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for r in region_indicator:
        own = units[r["indicator_id"]]
        unit = r["unit"] if r["unit"] is not None else (min(own) if len(own) == 1 else "")
        cells[(r["indicator_id"], unit)][r["region"]].append(r)
    body = []
    for (indicator, unit), by_region in sorted(cells.items()):
        body.append([indicator, unit, *[_cell(by_region.get(region, [])) for region in regions]])
    return ["indicator_id", "unit", *regions], body


def _cell(rows: list[dict]) -> str:
    if not rows:
        return ""
    values = [v for r in rows for v in (r["value"], r["value_max"]) if v is not None]
    span = "" if not values else f"{min(values):g}" if min(values) == max(values) else \
        f"{min(values):g}–{max(values):g}"
    years = [r["deadline_year"] for r in rows if r["deadline_year"] is not None]
    return " · ".join(part for part in (str(len(rows)), span, str(max(years)) if years else "") if part)


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
