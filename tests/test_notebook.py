"""The comparison notebook executes on the seed tables, draws its charts with Chinese
labels (a missing glyph is an error inside the notebook) and is stored without outputs."""

from __future__ import annotations

import os

import pytest
from conftest import ROOT

nbformat = pytest.importorskip("nbformat", reason="notebook extras not installed (pip install -e '.[test]')")
nbclient = pytest.importorskip("nbclient", reason="notebook extras not installed (pip install -e '.[test]')")

NOTEBOOK = ROOT / "notebooks" / "cross_region_comparison.ipynb"


def test_notebook_is_stored_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None


def test_notebook_executes_and_draws_its_charts(corpus_run, monkeypatch):
    monkeypatch.setenv("POLICY_OUTPUTS", str(corpus_run))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute(env={**os.environ, "POLICY_OUTPUTS": str(corpus_run)})
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(images) == 3  # heat map, policy-tool profile, deadlines over time
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
