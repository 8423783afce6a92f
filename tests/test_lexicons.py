"""The lexicon loader validates files and says which line is wrong."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT

from pipeline.errors import LexiconError
from pipeline.lexicons import load_lexicons


@pytest.fixture
def lexdir(tmp_path):
    target = tmp_path / "lexicons"
    shutil.copytree(ROOT / "lexicons", target)
    return target


def edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_holding(path, needle: str) -> int:
    """The number of the first line of `path` holding `needle`."""
    return next(i for i, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in text)


def test_shipped_lexicons_load(lex):
    assert lex.regions["450226"].name == "三江侗族自治县"
    assert lex.regions_by_name["三江"][0].code == "450226"
    assert len(lex.regions) > 3000


def test_bad_region_rows_are_reported_with_their_line(lexdir):
    path = lexdir / "regions.tsv"
    lines = path.read_text(encoding="utf-8").splitlines()
    n = next(i for i, line in enumerate(lines) if line.startswith("450226"))
    lines[n] = "45022X\t三江侗族自治县\tcounty\t450000\t450200\t三江"
    lines[n + 1] = lines[n + 1].replace("prefecture", "village")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(LexiconError) as info:
        load_lexicons(lexdir)
    message = str(info.value)
    assert f"regions.tsv:{n + 1}: code must be 6 digits" in message
    assert f"regions.tsv:{n + 2}: level must be province|prefecture|county" in message


def test_bad_pattern_is_reported_with_its_line(lexdir):
    path = lexdir / "structure.yaml"
    edit(path, "'扫一扫'", "'扫一扫['")
    with pytest.raises(LexiconError, match=rf"structure\.yaml:{line_holding(path, '扫一扫[')}: bad pattern"):
        load_lexicons(lexdir)


def test_bad_patterns_of_a_target_list_are_each_reported_with_their_line(lexdir):
    """The lists compiled together (deadlines, not_targets …) still name every bad line."""
    path = lexdir / "targets.yaml"
    edit(path, "'每\\s*{NUMBER}'", "'每\\s*({NUMBER}'")
    edit(path, "'(?:上|下)\\s*一\\s*年度?'", "'(?:上|下\\s*一\\s*年度?'")
    with pytest.raises(LexiconError) as info:
        load_lexicons(lexdir)
    message = str(info.value)
    for needle in ("每\\s*({NUMBER}", "(?:上|下\\s*一"):
        assert f"targets.yaml:{line_holding(path, needle)}: bad pattern" in message


def test_an_indicator_has_one_known_unit(lexdir):
    path = lexdir / "indicators.yaml"
    edit(path, "  unit: 平方米\n", "  unit: 亩地\n")
    line = line_holding(path, "亩地")
    with pytest.raises(LexiconError, match=rf"indicators\.yaml:{line}: school_floor_area: unit '亩地' is neither"):
        load_lexicons(lexdir)
    edit(path, "  unit: 亩地\n", "")
    with pytest.raises(LexiconError, match=r"indicators\.yaml:\d+: an indicator needs id, name, unit and terms"):
        load_lexicons(lexdir)


def test_invalid_yaml_is_reported(lexdir):
    (lexdir / "structure.yaml").write_text("chrome_lines: [unclosed\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"structure\.yaml:\d+: not valid YAML"):
        load_lexicons(lexdir)


def test_a_chrome_pattern_added_by_a_researcher_takes_effect(lexdir):
    from conftest import decoded

    from pipeline.clean import clean

    edit(lexdir / "structure.yaml", "chrome_lines:\n", "chrome_lines:\n  - '^本页责任编辑'\n")
    text = "一、主要目标\n本页责任编辑:张三\n"
    assert "责任编辑" in clean(decoded(text), load_lexicons()).text
    assert "责任编辑" not in clean(decoded(text), load_lexicons(lexdir)).text


def test_missing_folder():
    with pytest.raises(LexiconError, match="lexicon folder not found"):
        load_lexicons("/nonexistent/lexicons")


def test_a_codebook_file_dropped_in_the_folder_is_loaded(lexdir):
    (lexdir / "codebooks" / "rural.yaml").write_text(
        "id: rural\nname: 乡村教育\ncategories:\n  - {id: rural_schools, name: 乡村学校, terms: [乡村学校]}\n",
        encoding="utf-8")
    assert [c.id for c in load_lexicons(lexdir).codebooks] == ["action", "policy_tool", "rural"]


def test_word_orders_do_not_depend_on_the_string_hash_seed():
    """SPEC §9: the same input gives the same tables in every process. A word list read into
    a set must come out in an order of its values (trim words of equal length once kept the
    set's hash order, and an indicator changed between runs)."""
    probe = ("from pipeline.lexicons import load_lexicons; t = load_lexicons().targets; "
             "print(t.trim_words, t.verb_pattern.pattern, t.unit_pattern.pattern)")
    outputs = {
        subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                       env={**os.environ, "PYTHONHASHSEED": seed}).stdout
        for seed in ("1", "2", "3", "4")
    }
    assert len(outputs) == 1
