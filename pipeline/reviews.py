"""Reviews: a reviewer's decisions (`reviews.jsonl`, written by the report) → the targets of
a run, confirmed, corrected, rejected or added, on every later run.

One decision a line: `doc_id`, `row` (`t:START:END`, a target's offsets in
documents.text; `u:START:END:RANK`, the responsibility tag's offsets and the unit's rank in
it), `mention` (the target's text or the unit as written, to check the row is still the
one reviewed),
`status` (`confirmed | corrected | rejected | added`), `field`, `old`, `new` (for a
correction: the field and its values; for an added target, `new` holds its fields),
`note`, `time`. Later lines win over earlier ones for the same row and field.

Applied after extraction (the cache holds what the notice gives, not what a reviewer
said): `review_status` in `targets` and `responsibilities` says what happened to each row;
rejected targets stay in `targets` but out of `region_indicator` and `region_category`.
A tag whose units were reviewed gives its targets their lead unit and units again, from
the units not rejected (corrected names and roles included). A decision whose row no
longer exists (the notice or the rules changed: other offsets, another mention) or whose
document is not in the run is an `errors` row (`stage = review`), never dropped silently.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from . import regexes
from .errors import PipelineError
from .extract.units import lead_and_units
from .tables import SCHEMAS

STATUSES = ("confirmed", "corrected", "rejected", "added")
ROW_KEY = regexes.compile(r"t:(?P<start>[0-9]+):(?P<end>[0-9]+)")
UNIT_KEY = regexes.compile(r"u:(?P<start>[0-9]+):(?P<end>[0-9]+):(?P<rank>[0-9]+)")
UNIT_FIELDS = ("unit", "role")
ROLES = ("lead", "co", "actor")
FLOAT_FIELDS = ("value", "value_max")
INT_FIELDS = ("deadline_year",)
TEXT_FIELDS = ("quantity_kind", "comparator", "unit", "indicator", "indicator_id", "lead_unit", "per", "within",
               "level", "level_text", "deadline_text")
FIELDS = FLOAT_FIELDS + INT_FIELDS + TEXT_FIELDS
KINDS = ("count", "percentage", "coverage", "money", "area", "length", "duration", "frequency", "multiple",
         "milestone")


class ReviewError(PipelineError):
    """A reviews file that cannot be read: the message names the file and line."""

    error_type = "reviews"


@dataclass(frozen=True)
class Review:
    doc_id: str
    row: str
    mention: str | None
    status: str
    field: str | None
    new: object
    note: str
    source: str  # file:line, for the errors row of a decision that cannot be applied


def load_reviews(paths: list[Path] | tuple[Path, ...]) -> list[Review]:
    """Every decision of the files, in order; a bad line is an error naming it."""
    out: list[Review] = []
    for path in paths:
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise ReviewError(f"{path}: cannot read reviews: {exc}") from None
        for number, line in enumerate(lines, 1):
            if line.strip():
                out.append(_review(line, f"{path}:{number}"))
    return out


def _review(line: str, where: str) -> Review:
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ReviewError(f"{where}: not a JSON object ({exc.msg})") from None
    if not isinstance(item, dict):
        raise ReviewError(f"{where}: not a JSON object")
    status, row, field = item.get("status"), item.get("row"), item.get("field")
    unit_row = isinstance(row, str) and UNIT_KEY.fullmatch(row) is not None
    if not isinstance(item.get("doc_id"), str) or not isinstance(row, str) or not (ROW_KEY.fullmatch(row) or unit_row):
        raise ReviewError(f"{where}: needs doc_id and row (t:START:END for a target, u:START:END:RANK for a unit)")
    if status not in STATUSES:
        raise ReviewError(f"{where}: status must be one of {', '.join(STATUSES)}, found {status!r}")
    fields = UNIT_FIELDS if unit_row else FIELDS
    if status == "corrected" and field not in fields:
        raise ReviewError(f"{where}: a correction names a field of {', '.join(fields)}, found {field!r}")
    if status == "added" and unit_row:
        raise ReviewError(f"{where}: units are added by correcting a target's lead_unit, not as rows")
    if status == "added" and not isinstance(item.get("new"), dict):
        raise ReviewError(f"{where}: an added target gives its fields in 'new' (an object)")
    return Review(item["doc_id"], row, item.get("mention"), status, field, item.get("new"),
                  str(item.get("note") or ""), where)


def target_key(start: int, end: int) -> str:
    """The row key of the target at documents.text[start:end] (the report writes it)."""
    return f"t:{start}:{end}"


def unit_key(start: int, end: int, rank: int) -> str:
    """The row key of the unit of rank `rank` in the tag at documents.text[start:end]."""
    return f"u:{start}:{end}:{rank}"


def reviews_by_document(reviews: list[Review]) -> dict[str, list[Review]]:
    out: dict[str, list[Review]] = {}
    for review in reviews:
        out.setdefault(review.doc_id, []).append(review)
    return out


def typed(field: str, value: object) -> object:
    """A reviewer's value (text from a form) as the column's type; '' is null."""
    if value is None or value == "":
        return None
    if field in FLOAT_FIELDS:
        return float(value)
    if field in INT_FIELDS:
        return int(value)
    if field == "quantity_kind" and value not in KINDS:
        raise ValueError(f"quantity_kind must be one of {', '.join(KINDS)}")
    return str(value)


def apply_reviews(doc: dict, clauses: list[dict], targets: list[dict], reviews: list[Review],
                  responsibilities: list[dict] | None = None) -> tuple[list[dict], list[dict], list[str]]:
    """(the document's targets and responsibilities with the decisions applied, a message
    for each decision that could not be). `doc` is its documents row; rows are dicts of the
    tables."""
    units = [dict(r, review_status=None) for r in responsibilities or []]
    problems: list[str] = []
    reviewed_tags = _apply_unit_reviews(clauses, units, [r for r in reviews if r.row.startswith("u:")], problems)
    rows = [dict(t, review_status=None) for t in targets]
    _lead_units_again(rows, units, reviewed_tags)
    reviews = [r for r in reviews if r.row.startswith("t:")]
    by_key = {target_key(t["start"], t["end"]): t for t in rows}
    added = 0
    for review in reviews:
        start, end = (int(x) for x in ROW_KEY.fullmatch(review.row).groups())
        row = by_key.get(review.row)
        if review.status == "added" and row is None:
            written = doc["text"][start:end]
            if not 0 <= start < end <= len(doc["text"]) or (review.mention and
                                                           doc["text_original"][start:end] != review.mention
                                                           and written != review.mention):
                problems.append(f"{review.source}: {review.row} {review.mention!r}: that text is not there any more")
                continue
            clause = next((c for c in clauses if c["start"] <= start < c["end"]), None)
            if clause is None:
                problems.append(f"{review.source}: {review.row} {review.mention!r}: not inside a clause")
                continue
            row = _added_row(doc, clause, start, end, added)
            added += 1
            rows.append(row)
            by_key[review.row] = row
        elif row is None or (review.mention is not None and row["mention"] != review.mention):
            problems.append(f"{review.source}: {review.row} {review.mention!r}: no such target in this run "
                            "(the notice or the rules changed)")
            continue
        try:
            fields = review.new if review.status == "added" else {review.field: review.new} \
                if review.status == "corrected" else {}
            for name, value in fields.items():
                if name not in FIELDS:
                    raise ValueError(f"no field {name!r}")
                row[name] = typed(name, value)
        except (ValueError, TypeError) as exc:
            problems.append(f"{review.source}: {review.row}: {exc}")
            continue
        if row.get("rule") == "review":
            row["review_status"] = "added"
        else:  # a target added by a reviewer that the rules now find themselves: confirmed
            row["review_status"] = "confirmed" if review.status == "added" else review.status
    rows.sort(key=lambda t: (t["start"], t["end"], t["target_id"]))
    return rows, units, problems


def _apply_unit_reviews(clauses: list[dict], units: list[dict], reviews: list[Review],
                        problems: list[str]) -> set[str]:
    """Decisions about responsibility rows, in place; the clause ids of the tags reviewed."""
    tag_clause = {(tag["start"], tag["end"]): c["clause_id"] for c in clauses for tag in c["tags"] or []}
    reviewed: set[str] = set()
    for review in reviews:
        start, end, rank = (int(x) for x in UNIT_KEY.fullmatch(review.row).groups())
        clause_id = tag_clause.get((start, end))
        row = next((r for r in units if r["clause_id"] == clause_id and r["rank"] == rank and r["source"] != "text"),
                   None)
        if row is None or (review.mention is not None and row["unit_raw"] != review.mention):
            problems.append(f"{review.source}: {review.row} {review.mention!r}: no such unit in this run "
                            "(the notice or the rules changed)")
            continue
        if review.status == "corrected":
            value = None if review.new in (None, "") else str(review.new)
            if review.field == "role" and value not in ROLES:
                problems.append(f"{review.source}: {review.row}: role must be one of {', '.join(ROLES)}")
                continue
            row[review.field] = value
        row["review_status"] = review.status
        reviewed.add(clause_id)
    return reviewed


def _lead_units_again(targets: list[dict], units: list[dict], reviewed_tags: set[str]) -> None:
    """Targets covered by a reviewed tag take its lead and units from the rows kept."""
    for clause_id in reviewed_tags:
        rows = sorted((r for r in units if r["clause_id"] == clause_id and r["source"] != "text"),
                      key=lambda r: r["rank"])
        kept = [(r["unit"], r["role"]) for r in rows if r["review_status"] != "rejected" and r["unit"]]
        scope = set(rows[0]["scope"]) if rows else set()
        lead, names = lead_and_units(kept)
        for t in targets:
            if t["clause_id"] in scope:
                t["lead_unit"], t["units"] = lead, names


def _added_row(doc: dict, clause: dict, start: int, end: int, n: int) -> dict:
    """A targets row for a target a reviewer added: every column of the schema, null but
    where the clause and the selection say (the reviewer's fields are set after)."""
    return dict.fromkeys(SCHEMAS["targets"].names) | {
        "target_id": f"{doc['doc_id']}-R{n:04d}", "doc_id": doc["doc_id"], "clause_id": clause["clause_id"],
        "region": doc["region"], "section_path": clause["section_path"], "deadline_source": "none",
        "mention": doc["text"][start:end], "start": start, "end": end, "text": clause["text"],
        "text_original": clause["text_original"], "units": [], "categories": list(clause["categories"] or []),
        "rule": "review", "page": clause.get("page"), "review_status": "added",
    }
