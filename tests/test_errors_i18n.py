"""sgdcore's errors in the page's language: every error sgdcore raises carries a problem and its fields, every
setting's problem has a wording in both catalogues made of those fields only, and the page says it in Chinese
with the value the user gave, never by reading sgdcore's English."""

from __future__ import annotations

import ast
import copy
import pickle
import re
import string
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import sgdcore
from sgdcore import ConfigError, DataError, Schedule, SGDCoreError, TrainConfig
from sgdcore.changes import check_continuable
from sgdcore.errors import Place, setting_error
from sgdcore.io import cleaning
from tests import test_data, test_schedules, test_train
from ui import messages
from ui.errors import error_text_in, parameter_label, shown_fields
from ui.i18n import LANGUAGES, catalogue

SGDCORE = Path(sgdcore.__file__).resolve().parent
CHINESE = re.compile(r"[\u4e00-\u9fff]")
# sgdcore's own words, which a Chinese page must not show (its parameter names and English phrases)
SGDCORE_ENGLISH = re.compile(r"\b(must|got|learning_rate|batch_size|epochs|an integer|a finite number)\b")
# Where a problem is passed on rather than named: the helper every setting error goes through, and a file's
# header error raised again with the file's name
PASSED_ON = {("errors.py", "setting_error"), ("files.py", "_csv_pieces")}
# Parameters an error names through a variable, not a literal: (name, where the variable takes them from)
NAMED_BY_VARIABLE = {"weight_decay", "l1_penalty", "missing", "non_numeric", "infinite", "quadratic",
                     "test_quadratic"}


def calls_in_sgdcore() -> list[tuple[str, str, ast.Call]]:
    """Every call of ConfigError, DataError or setting_error in sgdcore: (file, enclosing function, call)."""
    found = []
    for path in sorted(SGDCORE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in [node for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.Module))]:
            body = function.body if isinstance(function, ast.Module) else [function]
            for node in (child for part in body for child in ast.walk(part)):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in (
                        "ConfigError", "DataError", "SGDCoreError", "setting_error"):
                    found.append((path.name, getattr(function, "name", "<module>"), node))
    # ast.walk from each function also walks its nested functions and the module walks them all: keep the
    # innermost function of each call
    innermost: dict[int, tuple[str, str, ast.Call]] = {}
    for file, function, node in found:
        if id(node) not in innermost or innermost[id(node)][1] == "<module>":
            innermost[id(node)] = (file, function, node)
    return list(innermost.values())


def problem_argument(node: ast.Call) -> ast.expr | None:
    """The ``problem`` a call passes: the second argument of an error, the fourth of setting_error."""
    position = 3 if node.func.id == "setting_error" else 1
    if len(node.args) > position:
        return node.args[position]
    return next((keyword.value for keyword in node.keywords if keyword.arg == "problem"), None)


def config_problems() -> dict[str, list[set[str]]]:
    """Each ConfigError problem sgdcore raises, with the fields of each place that raises it."""
    return problems_of("ConfigError", "setting_error")


def data_problems() -> dict[str, list[set[str]]]:
    """Each DataError problem sgdcore names, with the fields of each place that raises it."""
    return problems_of("DataError")


def problems_of(*makers: str) -> dict[str, list[set[str]]]:
    problems: dict[str, list[set[str]]] = {}
    for _, _, node in calls_in_sgdcore():
        if node.func.id not in makers:
            continue
        problem = problem_argument(node)
        if not isinstance(problem, ast.Constant):
            continue
        fields = {keyword.arg for keyword in node.keywords if keyword.arg not in (None, "problem", "advice")}
        if node.func.id == "setting_error":
            fields |= {"parameter", "value"}
        problems.setdefault(problem.value, []).append(fields)
    return problems


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_error_sgdcore_raises_names_its_problem() -> None:
    calls = calls_in_sgdcore()
    assert len(calls) > 80  # the scan sees sgdcore's errors (about 40 settings, 60 data problems)
    nameless = [f"{file}:{node.lineno}" for file, _, node in calls if problem_argument(node) is None]
    assert not nameless, "errors without a problem name"
    passed_on = {(file, function) for file, function, node in calls
                 if not isinstance(problem_argument(node), ast.Constant)}
    assert passed_on == PASSED_ON, "a problem that is not a literal name: pass one, or add the site here"
    # No bare `raise ConfigError` / `raise DataError` (the class, not a call) either
    for path in SGDCORE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Name):
                assert node.exc.id not in ("ConfigError", "DataError", "SGDCoreError"), f"{path.name}:{node.lineno}"


def test_problem_names_are_identifiers() -> None:
    for _, _, node in calls_in_sgdcore():
        problem = problem_argument(node)
        if isinstance(problem, ast.Constant):
            assert re.fullmatch(r"[a-z][a-z0-9_]*", problem.value), problem.value


def test_every_setting_problem_is_worded_in_both_languages_with_its_own_fields() -> None:
    problems = config_problems()
    assert {"above", "integer_at_least", "in_interval", "one_of", "batch_size_range"} <= set(problems)
    for language in LANGUAGES:
        texts = catalogue(language)
        missing = sorted(problem for problem in problems if f"errors.{problem}" not in texts)
        assert not missing, (language, missing)
        for problem, sites in problems.items():
            wanted = placeholders(texts[f"errors.{problem}"])
            for fields in sites:
                assert wanted <= fields, (language, problem, wanted - fields)


def test_every_parameter_an_error_names_has_a_label_in_both_languages() -> None:
    named = set(NAMED_BY_VARIABLE)
    for _, _, node in calls_in_sgdcore():
        if node.func.id == "setting_error" and isinstance(node.args[0], ast.Constant):
            named.add(node.args[0].value)
        named |= {keyword.value.value for keyword in node.keywords
                  if keyword.arg == "parameter" and isinstance(keyword.value, ast.Constant)}
    assert {"learning_rate", "batch_size", "momentum", "seed", "gamma"} <= named
    for language in LANGUAGES:
        unlabelled = sorted(name for name in named if f"errors.parameter.{name}" not in catalogue(language))
        assert not unlabelled, (language, unlabelled)
    assert parameter_label("zh-CN", "learning_rate") == "学习率 η"
    assert parameter_label("en", "no_such_parameter") == "no_such_parameter"


def data(n: int = 20) -> sgdcore.Dataset:
    return sgdcore.synthetic(n, [2.0, -3.4], 4.2, seed=0)


# A representative set of settings a user can get wrong, each with the value its message must show
BAD_SETTINGS: dict[str, tuple[Callable[[], object], str]] = {
    "learning rate 0": (lambda: TrainConfig(learning_rate=0.0), "0.0"),
    "negative learning rate": (lambda: TrainConfig(learning_rate=-0.5), "-0.5"),
    "batch size 0": (lambda: TrainConfig(batch_size=0), "0"),
    "epochs 0": (lambda: TrainConfig(epochs=0), "0"),
    "momentum 1.5": (lambda: TrainConfig(momentum=1.5), "1.5"),
    "dampening 2": (lambda: TrainConfig(dampening=2.0), "2.0"),
    "Nesterov without momentum": (lambda: TrainConfig(nesterov=True, momentum=0.0), "0.0"),
    "negative weight decay": (lambda: TrainConfig(weight_decay=-0.25), "-0.25"),
    "unknown schedule": (lambda: Schedule(kind="linear"), "'linear'"),
    "decay factor 0": (lambda: Schedule(kind="step", gamma=0.0), "0.0"),
    "warm-up of -3 steps": (lambda: Schedule(warmup_steps=-3), "-3"),
    "unknown sampling": (lambda: TrainConfig(shuffle="sometimes"), "'sometimes'"),
    "threads 0": (lambda: TrainConfig(n_threads=0), "0"),
    "negative seed": (lambda: TrainConfig(seed=-7), "-7"),
    "test fraction 1": (lambda: sgdcore.train_test_split(data(), 1.0), "1.0"),
    "1 row": (lambda: sgdcore.synthetic(1), "1"),
    "batch larger than the data": (lambda: list(sgdcore.train(data(20), TrainConfig(batch_size=50))), "50"),
    "batch beyond the data, stability": (lambda: sgdcore.stability.minibatch_stability_limit(data(20), 30), "30"),
    "missing= not a choice": (lambda: cleaning._check_choice("missing", "guess", cleaning.MISSING_CHOICES),
                              "'guess'"),
}


def raised(make: Callable[[], object]) -> SGDCoreError:
    with pytest.raises(ConfigError) as caught:
        make()
    return caught.value


@pytest.mark.parametrize("name", BAD_SETTINGS)
def test_a_bad_setting_is_said_in_chinese_with_its_value(name: str) -> None:
    make, value = BAD_SETTINGS[name]
    error = raised(make)
    assert error.problem and f"errors.{error.problem}" in catalogue("zh-CN"), error.problem
    chinese = error_text_in("zh-CN", error)
    assert CHINESE.search(chinese), chinese
    assert value in chinese, (value, chinese)
    assert not SGDCORE_ENGLISH.search(chinese), chinese
    english = error_text_in("en", error)
    assert value in english and not CHINESE.search(english)
    assert english != str(error) or error.problem == "weights_not_finite"  # worded for the page, not sgdcore's


def test_the_messages_sgdcore_writes_are_unchanged() -> None:
    """English stays sgdcore's: the fields ride beside the message, which tests and users match."""
    assert str(raised(BAD_SETTINGS["learning rate 0"][0])) == (
        "learning_rate must be a finite number > 0; got 0.0. Try 0.03, D2L's choice.")
    assert str(raised(BAD_SETTINGS["momentum 1.5"][0])) == (
        "momentum must be in [0, 1); got 1.5. 0.9 is the usual choice.")
    assert str(raised(BAD_SETTINGS["batch larger than the data"][0])) == (
        "batch_size 50 is larger than the 20 training rows; use at most 20 (that is full-batch gradient descent).")
    assert str(raised(BAD_SETTINGS["unknown schedule"][0])) == (
        "schedule must be one of constant, step, exponential, inverse_scaling, cosine; got 'linear'.")


def test_fields_say_what_the_message_says() -> None:
    error = raised(BAD_SETTINGS["momentum 1.5"][0])
    assert (error.problem, error.fields) == ("in_interval", {"parameter": "momentum", "value": 1.5,
                                                             "interval": "[0, 1)"})
    error = raised(BAD_SETTINGS["batch larger than the data"][0])
    assert (error.problem, error.fields) == ("batch_size_range", {"parameter": "batch_size", "value": 50,
                                                                  "rows": 20})
    error = raised(BAD_SETTINGS["unknown schedule"][0])
    assert error.fields["allowed"] == sgdcore.schedules.SCHEDULES


def test_numbers_read_the_same_in_both_languages() -> None:
    error = raised(lambda: sgdcore.stability.minibatch_stability_limit(data(1234), 5000))
    assert (error.problem, error.fields["rows"]) == ("batch_size_range", 1234)
    assert "1,234" in error_text_in("en", error) and "1,234" in error_text_in("zh-CN", error)


def test_a_changed_fixed_setting_names_it_in_chinese() -> None:
    before = TrainConfig(seed=1)
    with pytest.raises(ConfigError) as caught:
        check_continuable(before, replace(before, seed=2))
    error = caught.value
    assert (error.problem, error.fields["parameters"]) == ("fixed_setting_changed", ("seed",))
    assert (error.fields["before"], error.fields["after"]) == ({"seed": 1}, {"seed": 2})
    assert "随机种子" in error_text_in("zh-CN", error)


def test_what_the_page_shows_of_the_fields() -> None:
    shown = shown_fields("zh-CN", {"parameter": "shuffle", "value": "x" * 500, "allowed": ("epoch", "none"),
                                   "reason": "r" * 1000, "rows": 1000})
    assert shown["parameter"] == "小批量采样方式"
    assert shown["allowed"] == "epoch、none"
    assert len(shown["value"]) < 100 and shown["value"].startswith("'x")
    assert shown["value"].endswith("（共 500 个字符）") and "characters" not in shown["value"]  # its length, in Chinese
    assert len(shown["reason"]) < 250 and shown["reason"].endswith("（共 1,000 个字符）")
    english = shown_fields("en", {"value": "x" * 500, "column": ["c" * 300]})
    assert english["value"].endswith("' (500 characters)") and english["column"].endswith("' (300 characters)")
    assert shown["rows"] == 1000  # numbers stay numbers, for {rows:,}
    assert shown_fields("zh-CN", {"parameters": ("seed", "shuffle")})["parameters"] == "随机种子、小批量采样方式"
    assert shown_fields("en", {"parameters": ("seed", "shuffle")})["parameters"] == "seed, minibatch sampling"


def test_every_setting_problem_formats_in_both_languages() -> None:
    """Each wording, filled with fields of the kinds sgdcore passes, formats without error in both languages."""
    samples = {"parameter": "learning_rate", "value": 1.5, "bound": 1, "interval": "[0, 1)", "allowed": ("a", "b"),
               "rows": 1000, "momentum": 0.0, "dampening": 0.5, "type": "dict", "count": 2, "weights": [1.0],
               "bias": float("nan"), "saved_features": 2, "features": 3, "loss_features": 4, "step": 5,
               "parameters": ("seed",), "before": {"seed": 1}, "after": {"seed": 2}, "reason": "boom",
               "address": "tcp://10.0.0.1:8786", "seconds": 30.0}
    for problem, sites in config_problems().items():
        for fields in sites:
            error = ConfigError("English", problem, **{name: samples[name] for name in fields})
            for language in LANGUAGES:
                text = error_text_in(language, error)
                assert text != "English" and "{" not in text, (problem, language, text)
            assert CHINESE.search(error_text_in("zh-CN", error)), problem


@pytest.mark.parametrize("error", [
    ConfigError("momentum must be in [0, 1); got 1.5.", "in_interval", parameter="momentum", value=1.5,
                interval="[0, 1)"),
    DataError("Need at least 2 rows; got 1.", "too_few_rows", rows=1, dropped=0),
    setting_error("n", np.int64(1), "an integer ≥ 2 rows", "integer_at_least", bound=2),
], ids=["ConfigError", "DataError", "numpy value"])
def test_an_error_survives_pickling_and_copying_with_its_fields(error: SGDCoreError) -> None:
    for copied in (pickle.loads(pickle.dumps(error)), copy.copy(error), copy.deepcopy(error)):
        assert type(copied) is type(error)
        assert (str(copied), copied.problem, copied.fields) == (str(error), error.problem, error.fields)
        assert error_text_in("zh-CN", copied) == error_text_in("zh-CN", error)


def test_a_raised_error_survives_pickling() -> None:
    error = raised(BAD_SETTINGS["Nesterov without momentum"][0])
    copied = pickle.loads(pickle.dumps(error))
    assert (copied.problem, copied.fields) == ("nesterov_needs_momentum", {"momentum": 0.0, "dampening": 0.0})


def test_an_error_the_catalogue_does_not_word_is_shown_as_sgdcore_wrote_it() -> None:
    assert error_text_in("zh-CN", ConfigError("something new", "no_such_problem")) == "something new"
    assert error_text_in("zh-CN", SGDCoreError("plain")) == "plain"
    assert error_text_in("zh-CN", "already worded") == "already worded"


def test_data_errors_are_worded_by_the_data_page() -> None:
    error = DataError("The file is empty.", "empty_file")
    assert error_text_in("zh-CN", error) == messages.data_error(error)


def invalid_cases(test: Callable) -> list:
    """The bad settings of an sgdcore test's parametrize list: ``[(kwargs, message), ...]``."""
    return [case[0] for case in test.pytestmark[0].args[1]]


@pytest.mark.parametrize(("make", "kwargs"), [
    *[(TrainConfig, kwargs) for kwargs in invalid_cases(test_train.test_invalid_settings_raise_config_error)],
    *[(Schedule, kwargs) for kwargs in invalid_cases(test_schedules.test_invalid_parameters_raise_config_error)],
    *[(sgdcore.synthetic, kwargs) for kwargs in invalid_cases(test_data.test_synthetic_rejects_bad_settings)],
], ids=str)
def test_every_bad_setting_of_sgdcore_tests_is_said_in_chinese(make: Callable, kwargs: dict) -> None:
    error = raised(lambda: make(**kwargs))
    chinese = error_text_in("zh-CN", error)
    assert CHINESE.search(chinese) and not SGDCORE_ENGLISH.search(chinese), chinese
    if "value" in error.fields:
        assert str(shown_fields("zh-CN", error.fields)["value"]) in chinese


def test_a_data_problem_raised_in_several_places_carries_the_same_fields() -> None:
    """One wording serves every place: a large-data source's error (sgdcore.distributed) carries at least the
    fields of the same problem in a table's (sgdcore.io), and may add where it happened (a file)."""
    shared = {problem: fields for problem, fields in data_problems().items() if len(fields) > 1}
    assert {"ragged_row", "too_few_rows", "constant_features", "unknown_target"} <= set(shared)
    for problem, fields in shared.items():
        smallest = min(fields, key=len)
        assert all(smallest <= other for other in fields), (problem, fields)


def data_page_words(problem: str) -> bool:
    """Whether ui.messages words ``problem`` (its table of wordings, or its region of the catalogue)."""
    return problem in getattr(messages, "DATA_PROBLEMS", {}) or f"messages.{problem}" in catalogue("en")


def test_every_data_problem_is_worded_by_the_data_page_or_here() -> None:
    problems = data_problems()
    assert {"split_too_small", "loss_not_finite", "missing_values", "ragged_row"} <= set(problems)
    unworded = sorted(problem for problem in problems
                      if not data_page_words(problem) and f"errors.{problem}" not in catalogue("en"))
    assert not unworded
    # errors.* comes first: a problem worded in both places would hide the Data page's words
    assert not [problem for problem in problems if data_page_words(problem) and f"errors.{problem}" in catalogue("en")]
    for language in LANGUAGES:
        texts = catalogue(language)
        for problem, sites in problems.items():
            if f"errors.{problem}" in texts:
                wanted = placeholders(texts[f"errors.{problem}"])
                assert all(wanted <= fields for fields in sites), (language, problem)


@pytest.mark.parametrize(("make", "value"), [
    (lambda: sgdcore.train_test_split(data(10), 0.01), "0.01"),
    (lambda: sgdcore.make_problem(sgdcore.synthetic(4, [1.0, 2.0, 3.0]), test_fraction=0.5), "2"),
    (lambda: sgdcore.Dataset(np.zeros((5, 2)), np.zeros(4), ("a", "b")), "5"),
], ids=["split", "training rows", "target length"])
def test_a_data_problem_of_sgdcores_checks_is_said_in_chinese(make: Callable, value: str) -> None:
    with pytest.raises(DataError) as caught:
        make()
    chinese = error_text_in("zh-CN", caught.value)
    assert CHINESE.search(chinese) and value in chinese, chinese
    assert not SGDCORE_ENGLISH.search(chinese)


def test_a_place_in_the_files_is_said_in_the_pages_language() -> None:
    first = Place("data/a.csv", "line", 1234)
    assert str(first) == "data/a.csv, line 1234"  # sgdcore's English, as its messages write it
    error = DataError(f"Found 3 missing value(s) in column(s) 'x' (3); the first in {first}.",
                      "missing_values_in_files", counts={"x": 3}, target="y", first=first)
    assert "data/a.csv 第 1,234 行" in error_text_in("zh-CN", error)
    assert "data/a.csv, line 1,234" in error_text_in("en", error)
    assert shown_fields("zh-CN", {"where": Place("b.parquet", "row", 7)})["where"] == "b.parquet 第 7 行"
    copied = pickle.loads(pickle.dumps(error))  # sent back from a Dask worker
    assert copied.fields["first"] == first and isinstance(copied.fields["first"], Place)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_encoding_a_file_is_read_in_has_a_short_name_here_and_in_sgdcore(lang: str) -> None:
    """An error names the encoding a file was read in mid-sentence ("not Big5 text"): each has a short name in the
    catalogue and in sgdcore's own English, never Python's codec name ("cp950")."""
    from sgdcore.io.notices import SHORT_ENCODING_NAMES
    from sgdcore.io.reading import ENCODING_CHOICES

    assert set(messages.SHORT_ENCODING_KEYS) == set(SHORT_ENCODING_NAMES) == set(ENCODING_CHOICES)
    names = [messages.encoding_name(encoding, lang, short=True) for encoding in ENCODING_CHOICES]
    assert len(set(names)) == len(names) and not set(names) & set(ENCODING_CHOICES), names
