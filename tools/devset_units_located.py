"""Units and lead accuracy on the development set, with each gold task located by its anchor.

The devset scorer (`../shared/devset/score.py`, `score_units`) takes every predicted
responsibility row whose scope holds a clause sharing any 8 characters with the gold
anchor, so the tags of neighbouring items that repeat a phrase count as extra units and
leads. This maintainer script scores the same tables with the anchor itself located
(a clause of the row's scope contains it, or is a 6+ character piece of it), to tell the
extractor's errors from that matching. It reads the tables and the gold; it changes nothing.

    ../shared/devset/score.sh                       # writes the tables to a printed folder
    .venv/bin/python tools/devset_units_located.py OUTPUT/dev [-v]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

DEVSET = Path(__file__).resolve().parents[2] / "shared" / "devset"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tables", type=Path, help="the output folder of the run on devset/docs")
    parser.add_argument("-v", "--verbose", action="store_true", help="list the tasks whose lead differs")
    args = parser.parse_args()
    sys.path.insert(0, str(DEVSET))
    from norm import fold  # the devset's own folding (t2s, punctuation)
    from score import read_table

    documents = read_table(args.tables, "documents")
    rows = [r for r in read_table(args.tables, "responsibilities") if r["source"] != "text"]
    texts = {c["clause_id"]: fold(c.get("text") or "") for c in read_table(args.tables, "clauses")}
    by_name = {Path(d["source_path"]).stem: d["doc_id"] for d in documents}
    tp = predicted = wanted = leads_ok = tasks = 0
    for gold_file in sorted((DEVSET / "gold").glob("*.units.jsonl")):
        name = gold_file.name.removesuffix(".units.jsonl")
        doc_rows = [r for r in rows if r["doc_id"] == by_name.get(name)]
        for line in gold_file.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            gold = json.loads(line)
            anchor = fold(gold["anchor"])
            found = [r for r in doc_rows
                     if any(_holds(texts.get(c, ""), anchor) for c in r["scope"] or [r["clause_id"]])]
            got, want = {fold(r["unit"]) for r in found}, {fold(u) for u in gold["units"]}
            leads = {fold(r["unit"]) for r in found if r["role"] == "lead"}
            tp, predicted, wanted = tp + len(got & want), predicted + len(got), wanted + len(want)
            ok = leads == {fold(u) for u in gold["lead"]}
            leads_ok, tasks = leads_ok + ok, tasks + 1
            if args.verbose and not ok:
                print(f"{name[:20]:20} {gold['anchor'][:24]:24} got {sorted(leads)} want {gold['lead']}")
    p, r = tp / max(predicted, 1), tp / max(wanted, 1)
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    lead = leads_ok / max(tasks, 1)
    print(f"UNITS (anchor located) P {p:.3f} R {r:.3f} F1 {f1:.3f} lead_acc {lead:.3f} ({tasks} tags)")


def _holds(clause: str, anchor: str) -> bool:
    return bool(clause) and (anchor in clause or (len(clause) >= 6 and clause in anchor))


if __name__ == "__main__":
    main()
