"""Printing rows for people (aligned, Chinese width-aware) and for scripts (JSON, CSV)."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence

from wcwidth import wcswidth

MAX_CELL = 40


def width(text: str) -> int:
    w = wcswidth(text)
    return w if w >= 0 else len(text)


def clip(text: str, limit: int = MAX_CELL) -> str:
    if width(text) <= limit:
        return text
    out, used = [], 0
    for ch in text:
        w = max(width(ch), 0)
        if used + w > limit - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


def render_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Columns aligned by display width (a Chinese character takes two cells)."""
    cells = [[clip(_cell(v)) for v in row] for row in rows]
    widths = [max([width(h)] + [width(r[i]) for r in cells]) for i, h in enumerate(headers)]
    numeric = [all(_is_number(r[i]) for r in cells if r[i]) for i in range(len(headers))]

    def line(values: Sequence[str]) -> str:
        parts = []
        for i, v in enumerate(values):
            pad = " " * (widths[i] - width(v))
            parts.append(pad + v if numeric[i] else v + pad)
        return "  ".join(parts).rstrip()

    out = [line(headers), line(["─" * w for w in widths])]
    out += [line(r) for r in cells]
    return "\n".join(out)


def _cell(v: object) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, float):
        return _number(v)
    return str(v)


def _is_number(text: str) -> bool:
    try:
        float(text.replace("–", "").split("–")[0])
        return True
    except ValueError:
        return False


def _number(v: float | None) -> str:
    if v is None:
        return ""
    return f"{v:g}" if abs(v) < 1e15 else f"{v:.0f}"


LIST_SEPARATOR = " | "  # list columns in CSV and Excel cells (`extract`, `export`)


def write_objects(objects: list[dict], fmt: str, out) -> None:
    """Rows as one JSON list (`json`) or one JSON object a line (`jsonl`)."""
    if fmt == "json":
        out.write(json.dumps(objects, ensure_ascii=False, indent=2, default=str) + "\n")
    else:
        out.writelines(json.dumps(o, ensure_ascii=False, default=str) + "\n" for o in objects)


def print_targets(rows: list[dict], fmt: str, out=None) -> None:
    out = out or sys.stdout
    if fmt in ("json", "jsonl"):
        write_objects(rows, fmt, out)
        return
    if fmt == "csv":
        if rows:
            writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            for row in rows:
                writer.writerow({k: LIST_SEPARATOR.join(v) if isinstance(v, list) else v for k, v in row.items()})
        return
    headers = ["kind", "mention", "value", "unit", "cmp", "per", "within", "level", "deadline", "indicator",
               "indicator_id"]
    table = []
    for r in rows:
        value = _number(r["value"]) + (f"–{_number(r['value_max'])}" if r["value_max"] is not None else "")
        deadline = f"{r['deadline_year']} ({r['deadline_source']})" if r["deadline_year"] else r["deadline_source"]
        table.append([r["quantity_kind"], r["mention"], value, r["unit"], r["comparator"], r["per"], r["within"],
                      r["level_text"], deadline, r["indicator"], r["indicator_id"]])
    out.write(render_table(headers, table) + "\n")
    out.write(f"{len(rows)} targets\n")


def write_rows(headers: Sequence[str], rows: Sequence[Sequence[object]], fmt: str, out=None) -> None:
    """A table as aligned text, CSV, JSON (a list of objects), JSON Lines or Markdown."""
    out = out or sys.stdout
    if fmt in ("json", "jsonl"):
        write_objects([dict(zip(headers, row, strict=True)) for row in rows], fmt, out)
    elif fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(headers)
        writer.writerows([[_cell(v) for v in row] for row in rows])
    elif fmt == "markdown":
        def cell(v: object) -> str:
            return _cell(v).replace("|", "\\|")
        out.write("| " + " | ".join(map(cell, headers)) + " |\n")
        out.write("|" + "|".join("---:" if all(isinstance(r[i], int | float) for r in rows) else "---"
                                 for i in range(len(headers))) + "|\n")
        for row in rows:
            out.write("| " + " | ".join(map(cell, row)) + " |\n")
    else:
        out.write(render_table(headers, rows) + "\n")
