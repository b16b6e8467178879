"""Every setting the dashboard has: its name, default and bounds, and what it makes.

One table serves the widgets, the share link and the configurations: a setting's name is its widget's
key in ``st.session_state`` and its name in the link, and its bounds are its widget's and the link's.
The functions below turn the settings into what they drive: the sidebar's ``TrainConfig`` and each
comparison page's runs. sgdcore validates what they make, once, when a ``TrainConfig`` is built.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, replace
from typing import Any

from sgdcore import SCHEDULES, Problem, Schedule, StabilityLimit, TrainConfig, limit_settings, minibatch_stability_limit
from sgdcore.errors import echo
from sgdcore.schedules import READS
from ui.i18n import DEFAULT_LANGUAGE, LANGUAGE_KEY, LANGUAGES, language, language_of_tag, t, text_in

SHOWN_KEY = "show"  # a classroom link's list of the controls a student sees
NO_CONTROLS = "none"  # that list when it leaves no control to the students: every setting fixed

MAX_FEATURES = 200  # features of the synthetic data: the sidebar's "Features" box and a share link's weights
# What people type for a minus sign and a list separator besides ASCII (full-width forms are NFKC's to fold)
TYPED_MINUS = {"\u2212": "-", "\ufe63": "-"}  # MINUS SIGN, SMALL HYPHEN-MINUS
TYPED_SEPARATORS = {"\u3001": ",", ";": ","}  # IDEOGRAPHIC COMMA, semicolon
NUMBER_CHARACTERS = re.compile(r"[0-9+\-.eE_ ]")


class SettingsError(ValueError):
    """A value the user must fix, kept as what went wrong (``problem``, a text of the ``[settings]`` catalogue)
    and its ``fields``, so that it is worded in the page's language where it is shown, not where it is found.

    A field that is itself a ``SettingsError`` is worded in the same language; ``what`` names a typed list by
    its code (``"weights"``), worded from ``settings.what``.
    """

    def __init__(self, problem: str, **fields: Any) -> None:
        super().__init__(problem)
        self.problem = problem
        self.fields = fields

    def text(self, language_code: str | None = None) -> str:
        """The message in ``language_code`` (by default the page's)."""
        language_code = language_code or language()
        fields = {name: field.text(language_code) if isinstance(field, SettingsError) else field
                  for name, field in self.fields.items()}
        if "what" in fields:
            fields["what"] = text_in(language_code, f"settings.what.{fields['what']}")
        return text_in(language_code, f"settings.{self.problem}", **fields)

    def __str__(self) -> str:
        return self.text()


class ListError(SettingsError):
    """A typed list (or a link's value) the user must fix; the message says what is wrong, for the user."""


class PartlyKeptError(SettingsError):
    """A link's value used in part: ``kept`` is the value used; the message says what was left out, and why."""

    def __init__(self, problem: str, kept: Any, **fields: Any) -> None:
        super().__init__(problem, **fields)
        self.kept = kept


def typed(text: str) -> str:
    """``text`` as ASCII where people type otherwise: full-width digits and signs (２，－３.４), the minus sign −."""
    text = unicodedata.normalize("NFKC", text)  # full-width digits, commas, points and signs to ASCII
    for character, replacement in TYPED_MINUS.items():
        text = text.replace(character, replacement)
    return text


def _parse_bool(text: str) -> bool:
    if text.lower() in ("1", "true", "yes", "on"):
        return True
    if text.lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(text)


def _parse_float(text: str) -> float:
    value = float(typed(text))
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _parse_int(text: str) -> int:
    return int(typed(text))


MAX_THREADS = 256


def _parse_threads(text: str) -> int | str:
    """``"auto"``, or a whole number of threads from 1 to ``MAX_THREADS``."""
    if text.strip().lower() == "auto":
        return "auto"
    threads = _parse_int(text)
    if not 1 <= threads <= MAX_THREADS:
        raise ListError("list.threads", most=MAX_THREADS)
    return threads


def _at_most_max_features(text: str) -> str:
    """A link's weights as written, if there are at most ``MAX_FEATURES`` of them.

    More are refused here: the sidebar's "Features" box could not show them. An entry that is not a number
    is let through, for the sidebar to name it beside the box where it can be fixed.
    """
    _check_feature_count(len(_typed_parts(text)))
    return text


def _check_feature_count(count: int) -> None:
    if count > MAX_FEATURES:
        raise ListError("list.too_many_weights", count=count, most=MAX_FEATURES)


@dataclass(frozen=True)
class Setting:
    """One setting: its name, default, how a share link's text becomes its value, and what is allowed."""

    key: str  # the widget's key in st.session_state, and the name in a share link
    default: Any
    parse: Callable[[str], Any]
    choices: tuple[Any, ...] | None = None
    low: float | None = None
    high: float | None = None

    def from_text(self, text: str, name: str | None = None) -> Any:
        """The value a share link carries under ``name`` (by default the key), or ``SettingsError`` (a
        ``ValueError``) for the user."""
        # A link's names and values are the sender's: they can be of any length
        fields = {"value": echo(text), "name": echo(name or self.key)}
        try:
            value = self.parse(text)
        except PartlyKeptError:
            raise
        except ListError as error:
            raise SettingsError("link.not_valid_because", why=error, **fields) from None
        except ValueError:
            raise SettingsError("link.not_valid", **fields) from None
        if self.choices is not None and value not in self.choices:
            raise SettingsError("link.not_one_of", allowed=", ".join(map(str, self.choices)), **fields)
        if self.low is not None and value < self.low:
            raise SettingsError("link.below", low=self.low, **fields)
        if self.high is not None and value > self.high:
            raise SettingsError("link.above", high=self.high, **fields)
        return value

    def to_text(self, value: Any) -> str:
        if isinstance(value, bool):
            return "1" if value else "0"
        if isinstance(value, float):
            return f"{value:.10g}"
        return str(value)


class CatalogueLabels(Mapping[str, str]):
    """The names of a setting's option codes, looked up in the page's language each time one is read.

    Iterating gives the codes (fixed: the setting's choices), reading one gives its name from the catalogue
    (``<prefix>.<code>``). For a widget's ``format_func`` take the names of this run,
    ``option_names(LABELS)``: AppTest names the options again after the run, outside the session.
    """

    def __init__(self, prefix: str, codes: tuple[str, ...]) -> None:
        self.prefix = prefix
        self.codes = codes

    def __getitem__(self, code: str) -> str:
        if code not in self.codes:
            raise KeyError(code)
        return t(f"{self.prefix}.{code}")

    def __iter__(self) -> Iterator[str]:
        return iter(self.codes)

    def __len__(self) -> int:
        return len(self.codes)


def option_names(names: Mapping[Any, str]) -> Callable[[Any], str]:
    """A widget's ``format_func`` naming each option from ``names`` as they are now (in this run's language);
    what is not an option is named as it is, as AppTest names a name again when a test sets an option by it."""
    named = dict(names)
    return lambda option: named.get(option, option)


DATA_SOURCES = ("synthetic", "diabetes", "csv", "dask")
DATA_SOURCE_LABELS = CatalogueLabels("settings.data_source", DATA_SOURCES)
SCHEDULE_LABELS = CatalogueLabels("settings.schedule", SCHEDULES)
# The sidebar's controls of a schedule, by the Schedule field each sets: a kind's controls are those of the fields it
# reads (sgdcore.schedules.READS), drawn and applied only for that kind.
SCHEDULE_FIELDS = {"decay_gamma": "gamma", "decay_epochs": "step_size", "power_t": "power_t"}


def schedule_controls(kind: str) -> tuple[str, ...]:
    """The sidebar's controls of the schedule ``kind``: ``("decay_gamma", "decay_epochs")`` for a step decay."""
    return tuple(key for key, field in SCHEDULE_FIELDS.items() if field in READS[kind])


RATES_GIVEN_AS = ("multiples", "absolute")  # multiples of half a stability limit, or learning rates η
# Whose limit the multiples are of: the full batch's (2/λ_max for plain descent), or the batch size's the page uses.
MULTIPLES_OF = ("full_batch", "batch_size")
MAX_COMPARED = 8  # runs a comparison page trains at once
MAX_SEEDS = 20  # seeds a comparison page trains of each configuration: 8 × 20 runs at most
SAMPLINGS = ("epoch", "replacement", "blocks")  # TrainConfig.shuffle's values the sidebar offers
# What the charts of a run's history run along (the names ui.charts.AXES draws)
CHART_AXES = ("step", "epoch", "examples", "seconds")
CHART_AXIS_LABELS = CatalogueLabels("settings.chart_axis", CHART_AXES)

SETTINGS: tuple[Setting, ...] = (
    # Data
    Setting("data_source", "synthetic", str, DATA_SOURCES),
    Setting("n_rows", 1000, _parse_int, low=10, high=2_000_000),
    Setting("true_weights", "2, -3.4", _at_most_max_features),
    Setting("true_bias", 4.2, _parse_float, low=-1e6, high=1e6),
    Setting("noise", 0.01, _parse_float, low=0, high=1e6),
    Setting("data_seed", 0, _parse_int, low=0, high=2**31 - 1),
    Setting("standardize", False, _parse_bool),
    Setting("test_fraction", 0.2, _parse_float, low=0, high=0.5),
    # Optimisation: the names of TrainConfig's fields
    Setting("learning_rate", 0.03, _parse_float, low=1e-6, high=1e3),
    Setting("batch_size", 10, _parse_int, low=1),  # at most the training rows: see largest_batch_size
    Setting("epochs", 3, _parse_int, low=1, high=10_000),
    Setting("momentum", 0.0, _parse_float, low=0, high=0.99),
    Setting("nesterov", False, _parse_bool),
    Setting("weight_decay", 0.0, _parse_float, low=0, high=1e3),
    Setting("l1_penalty", 0.0, _parse_float, low=0, high=1e3),
    Setting("schedule", "constant", str, SCHEDULES),
    Setting("decay_gamma", 0.5, _parse_float, low=0.01, high=1),
    Setting("decay_epochs", 1, _parse_int, low=1, high=10_000),
    Setting("power_t", 0.25, _parse_float, low=0, high=1),
    Setting("warmup_epochs", 0, _parse_int, low=0, high=10_000),
    Setting("early_stopping", False, _parse_bool),
    Setting("tol", 1e-4, _parse_float, low=0, high=1e6),
    Setting("n_iter_no_change", 5, _parse_int, low=1, high=1000),
    Setting("seed", 0, _parse_int, low=0, high=2**31 - 1),
    # "auto": sgdcore picks, from the minibatch's work (one thread below where a second pays); or a number.
    Setting("n_threads", "auto", _parse_threads),
    # The comparison pages' own settings
    Setting("learning_rates_compared", "0.1, 0.5, 1, 1.9, 2.1", str),
    Setting("learning_rates_given_as", "multiples", str, RATES_GIVEN_AS),
    Setting("learning_rate_multiples_of", "full_batch", str, MULTIPLES_OF),
    Setting("learning_rate_page_epochs", 50, _parse_int, low=1, high=10_000),
    Setting("learning_rate_page_full_batch", True, _parse_bool),
    Setting("batch_sizes_compared", "1, 10, 100, full", str),
    Setting("batch_size_page_epochs", 5, _parse_int, low=1, high=10_000),
    Setting("condition_number", 100.0, _parse_float, low=1, high=10_000),
    Setting("momentum_compared", 0.9, _parse_float, low=0, high=0.99),
    Setting("momentum_page_rate_multiple", 1.0, _parse_float, low=0.01, high=4),  # × 1/λ_max
    Setting("momentum_page_epochs", 100, _parse_int, low=1, high=10_000),
    Setting("chart_axis", "step", str, CHART_AXES),
    Setting("momentum_page_full_batch", True, _parse_bool),
    Setting("momentum_page_batch_size", 10, _parse_int, low=1, high=2_000_000),  # at most the valley's rows
    Setting("shuffle", "epoch", str, SAMPLINGS),  # TrainConfig.shuffle: how minibatches are drawn
    # Seeds the comparison pages train of each configuration (seed, seed + 1, …): 1 trains the one run
    Setting("repeat_seeds", 1, _parse_int, low=1, high=MAX_SEEDS),
    # The page's language (ui.i18n): a session's first comes from the link, else from the browser. A link's is read
    # as people type it (zh, zh_CN, zh-Hans, en-GB); another language is refused, naming the two.
    Setting(LANGUAGE_KEY, DEFAULT_LANGUAGE, lambda text: language_of_tag(text) or text, tuple(LANGUAGES)),
    # A classroom link's controls (ui.classroom): the settings a student may change, the rest fixed; "" for all
    Setting(SHOWN_KEY, "", lambda text: _shown_controls(text)),
)
# What a classroom link can leave to the students: every setting but the language and the list itself
CONTROLS = tuple(setting.key for setting in SETTINGS if setting.key not in (LANGUAGE_KEY, SHOWN_KEY))
MAX_NAMED = 5  # unknown names a message repeats from a link's list: a link is the sender's, of any length


def _shown_controls(text: str) -> str:
    """A classroom link's list of controls, ``"learning_rate,batch_size"``: each a setting's name or its old short
    one (``"lr,bs"``), written with the new names; ``NO_CONTROLS`` leaves none.

    A name that is neither is left out (``PartlyKeptError``, for the page to say) and the others keep the lock. A
    list of such names alone leaves no control: every setting stays fixed, as the teacher meant some to be, rather
    than every control unlocked by a typo; the page still trains, at the link's settings, and says why nothing may
    change.
    """
    names = [name.strip() for name in text.split(",") if name.strip()]
    if names == [NO_CONTROLS]:
        return NO_CONTROLS
    keys = [OLD_LINK_NAMES.get(name, name) for name in names]
    shown = ",".join(dict.fromkeys(key for key in keys if key in CONTROLS))
    unknown = [name for name, key in zip(names, keys, strict=True) if key not in CONTROLS]
    if not unknown:
        return shown
    fields = {"names": ", ".join(map(echo, unknown[:MAX_NAMED])) + (", …" if len(unknown) > MAX_NAMED else ""),
              "controls": ", ".join(CONTROLS)}
    if shown:
        raise PartlyKeptError("link.unknown_controls", shown, **fields)
    raise PartlyKeptError("link.no_known_controls", NO_CONTROLS, **fields)


# The Momentum page's widgets' steps: what the lesson searches when it advises values they can be set to
MOMENTUM_PAGE_STEPS = {"momentum_compared": 0.01, "momentum_page_rate_multiple": 0.1}
BY_KEY = {setting.key: setting for setting in SETTINGS}

# Short names that older share links carry: read, so that those links still work, and never written.
OLD_LINK_NAMES = {
    "data": "data_source", "n": "n_rows", "w": "true_weights", "b": "true_bias", "dseed": "data_seed",
    "std": "standardize", "test": "test_fraction", "lr": "learning_rate", "bs": "batch_size", "mom": "momentum",
    "wd": "weight_decay", "l1": "l1_penalty", "sched": "schedule", "gamma": "decay_gamma", "every": "decay_epochs",
    "power": "power_t", "warmup": "warmup_epochs", "early": "early_stopping", "patience": "n_iter_no_change",
    "threads": "n_threads", "lrs": "learning_rates_compared", "lrmode": "learning_rates_given_as",
    "lrepochs": "learning_rate_page_epochs", "lrfull": "learning_rate_page_full_batch",
    "bss": "batch_sizes_compared", "bsepochs": "batch_size_page_epochs", "cond": "condition_number",
    "cmom": "momentum_compared", "momlr": "momentum_page_rate_multiple", "momepochs": "momentum_page_epochs",
}


def value(state: Mapping[str, Any], key: str) -> Any:
    """The current value of a setting: the widget's, or the default on a page that has no such widget."""
    return state.get(key, BY_KEY[key].default)


def bounds(key: str, *, high: int | None = None) -> dict[str, Any]:
    """A setting's ``min_value`` and ``max_value`` for its widget, in the setting's type.

    ``high`` replaces the table's upper bound where the data or the server sets it (the batch size, the
    threads). The type matters: Streamlit refuses a widget whose value is a float and whose bounds are ints.
    """
    setting = BY_KEY[key]
    kind = type(setting.default)
    limits = {"min_value": setting.low, "max_value": setting.high if high is None else high}
    return {name: kind(limit) for name, limit in limits.items() if limit is not None}


# Share links


def apply_query_params(state: MutableMapping[str, Any], params: Mapping[str, str]) -> list[str]:
    """Seed the settings from a share link, old names included; returns a message for each value ignored, or used
    in part (a classroom link's list with a name left out).

    The messages are in the language the link leaves the page in: its ``lang`` is read first.
    """
    old_names = {key: [old for old, new in OLD_LINK_NAMES.items() if new == key] for key in BY_KEY}
    problems: list[SettingsError] = []
    for setting in sorted(SETTINGS, key=lambda setting: setting.key != LANGUAGE_KEY):
        name = next((name for name in (setting.key, *old_names[setting.key]) if name in params), None)
        if name is not None:
            try:
                state[setting.key] = setting.from_text(params[name], name)
            except PartlyKeptError as partly:
                state[setting.key] = partly.kept
                problems.append(partly)
            except ValueError as error:
                kept = setting.to_text(value(state, setting.key))
                problems.append(SettingsError("link.ignored", reason=error, value=kept) if kept
                                else SettingsError("link.ignored_empty", reason=error))
    shown_in = state.get(LANGUAGE_KEY) if state.get(LANGUAGE_KEY) in LANGUAGES else language()
    return [problem.text(shown_in) for problem in problems]


def query_params(state: Mapping[str, Any]) -> dict[str, str]:
    """The settings that differ from their defaults, as a share link carries them."""
    return {
        setting.key: setting.to_text(value(state, setting.key))
        for setting in SETTINGS
        if value(state, setting.key) != setting.default
    }


def address_params(state: Mapping[str, Any], browser_language: str) -> dict[str, str]:
    """The settings as the address bar carries them: :func:`query_params`, and the language also when it is the
    default but not the browser's (``browser_language``), since an address without ``lang`` opens in the browser's."""
    params = query_params(state)
    if value(state, LANGUAGE_KEY) != browser_language:
        params[LANGUAGE_KEY] = value(state, LANGUAGE_KEY)
    return params


def same_address(address: Mapping[str, str], params: Mapping[str, str], browser_language: str) -> bool:
    """Whether an address bar holding the query parameters ``address`` already carries ``params``
    (:func:`address_params`): the same names and texts, an address without ``lang`` being in the browser's language.

    Compared as parameters, not as text: ``true_weights=2,+-3.4`` as typed is the ``true_weights=2%2C+-3.4`` that
    Streamlit writes, and the same parameters in another order are the same address.
    """
    implied = {LANGUAGE_KEY: browser_language}
    return {**implied, **address} == {**implied, **params}


# Texts that hold lists


def _typed_parts(text: str) -> list[str]:
    """The entries of a typed list, in ASCII (see :func:`typed`), without blanks."""
    text = typed(text)
    for separator, comma in TYPED_SEPARATORS.items():
        text = text.replace(separator, comma)
    return [part.strip() for part in text.split(",") if part.strip()]


def _not_a_number(what: str, part: str, whole: bool = False) -> ListError:
    """The entry is not a number (``whole``: a whole number or 'full'): name the first character a number
    cannot hold, if it is not plain text."""
    odd = next((character for character in part if not NUMBER_CHARACTERS.match(character)), None)
    problem = "list.not_a_whole_number" if whole else "list.not_a_number"
    fields = {"what": what, "part": echo(part), "example": LIST_EXAMPLES[what]}
    if odd is not None and not odd.isascii():
        name = unicodedata.name(odd, f"U+{ord(odd):04X}")
        return ListError(f"{problem}_character", **fields, character=odd, name=name)
    return ListError(problem, **fields)


# The typed lists, by the code their errors name them with (settings.what.<code> in the catalogue), and the example
# each list's errors give: one the box takes (a learning rate is positive, a batch size whole).
LIST_EXAMPLES = {"weights": "2, -3.4", "learning_rates": "0.1, 0.5, 1", "batch_sizes": "1, 10, 100, full"}
TYPED_LISTS = tuple(LIST_EXAMPLES)


def parse_numbers(text: str, what: str) -> list[float]:
    """``"2, -3.4"`` → ``[2.0, -3.4]``, or ``ListError`` (a ``ValueError``) naming the bad entry.

    ``what`` is the list's code in ``TYPED_LISTS``, for the message. Full-width digits and signs
    (``２，－３.４``), the minus sign ``−`` and the ideographic comma ``、`` are read as their ASCII forms; any
    other character that no number holds is named.
    """
    if what not in TYPED_LISTS:
        raise ValueError(f"what must be one of {', '.join(TYPED_LISTS)}; got {what!r}.")
    numbers = []
    for part in _typed_parts(text):
        try:
            number = float(part)
        except ValueError:
            raise _not_a_number(what, part) from None
        if not math.isfinite(number):
            raise ListError("list.not_finite", what=what, part=echo(part))
        numbers.append(number)
    if not numbers:
        raise ListError("list.empty", what=what, example=LIST_EXAMPLES[what])
    return numbers


def parse_weights(text: str) -> list[float]:
    """The synthetic data's true weights, one per feature: at most ``MAX_FEATURES`` numbers."""
    weights = parse_numbers(text, "weights")
    _check_feature_count(len(weights))
    return weights


def parse_learning_rates(text: str) -> list[float]:
    """The learning rates (or multiples of 1/λ_max) to compare, or ``ValueError`` naming the problem."""
    numbers = parse_numbers(text, "learning_rates")
    if any(number <= 0 for number in numbers):
        raise ListError("list.rate_not_positive", what="learning_rates")
    if len(numbers) > MAX_COMPARED:
        raise ListError("list.too_many", what="learning_rates", most=MAX_COMPARED, count=len(numbers))
    return numbers


# The words for a batch of every training row, in either language of the page: a learner on the Chinese page types
# 全批量 as the lesson names it there, and a share link keeps the words typed.
FULL_BATCH_WORDS = frozenset({"full", "all", "n", "全批量", "全量", "全部"})


def parse_batch_sizes(text: str, n_train: int) -> list[int]:
    """``"1, 10, full"`` → ``[1, 10, n_train]``, each at most ``n_train``, sorted, without repeats."""
    sizes = []
    for part in _typed_parts(text):
        if part.lower() in FULL_BATCH_WORDS:
            sizes.append(n_train)
            continue
        try:
            size = int(part)
        except ValueError:
            raise _not_a_number("batch_sizes", part, whole=True) from None
        if size < 1:
            raise ListError("list.batch_too_small", what="batch_sizes", size=size)
        sizes.append(min(size, largest_batch_size(n_train)))
    if not sizes:
        raise ListError("list.no_batch_sizes", what="batch_sizes", example=LIST_EXAMPLES["batch_sizes"])
    if len(sizes) > MAX_COMPARED:
        raise ListError("list.too_many", what="batch_sizes", most=MAX_COMPARED, count=len(sizes))
    return sorted(set(sizes))


def lowered_batch_sizes(text: str, n_train: int) -> list[int]:
    """The batch sizes typed in ``text`` (as :func:`parse_batch_sizes` reads it) above the ``n_train`` training
    rows, in the order typed: :func:`parse_batch_sizes` lowers each to ``n_train``, and a page says so."""
    sizes = []
    for part in _typed_parts(text):
        try:
            size = int(part)
        except ValueError:
            continue
        if size > largest_batch_size(n_train) and size not in sizes:
            sizes.append(size)
    return sizes


# What the settings make


def largest_batch_size(n_train: int) -> int:
    """A minibatch holds at most every training row: that is full-batch gradient descent."""
    return n_train


def train_config(state: Mapping[str, Any], n_train: int, **overrides: Any) -> TrainConfig:
    """The ``TrainConfig`` the settings describe for ``n_train`` training rows.

    ``overrides`` are fields a page sets itself (its batch size, its epochs). The batch size is lowered
    to the training rows, and the schedule's lengths, set in epochs, are run in steps of that batch size.
    """
    momentum = value(state, "momentum")
    fields = dict(
        learning_rate=value(state, "learning_rate"), batch_size=value(state, "batch_size"),
        epochs=value(state, "epochs"), momentum=momentum, nesterov=value(state, "nesterov") and momentum > 0,
        weight_decay=value(state, "weight_decay"), l1_penalty=value(state, "l1_penalty"),
        seed=value(state, "seed"),
        tol=value(state, "tol") if value(state, "early_stopping") else None,
        n_iter_no_change=value(state, "n_iter_no_change"), n_threads=value(state, "n_threads"),
        shuffle=value(state, "shuffle"),
    )
    fields.update(overrides)
    fields["batch_size"] = min(fields["batch_size"], largest_batch_size(n_train))
    config = TrainConfig(**fields)
    steps_per_epoch = config.steps_per_epoch(n_train)
    kind = value(state, "schedule")
    # Only what the kind reads, the rest at Schedule's defaults: the run as code then writes no decay period for a
    # constant rate, whatever the hidden controls hold. The decay period is set in epochs and run in steps.
    sidebar = {key: value(state, key) for key in schedule_controls(kind)}
    if "decay_epochs" in sidebar:
        sidebar["decay_epochs"] = max(1, sidebar["decay_epochs"] * steps_per_epoch)
    schedule = Schedule(kind=kind, warmup_steps=value(state, "warmup_epochs") * steps_per_epoch,
                        **{SCHEDULE_FIELDS[key]: setting for key, setting in sidebar.items()})
    return replace(config, schedule=schedule)


def page_limit(problem: Problem, config: TrainConfig) -> StabilityLimit:
    """The stability limit of ``config`` on ``problem``'s training rows (uncached; the pages pass a cached one)."""
    return minibatch_stability_limit(problem.train, config.batch_size, **limit_settings(config))


def learning_rate_unit(state: Mapping[str, Any], limit: StabilityLimit) -> float:
    """What a multiple of 1 means on the learning-rate page: half the limit the page's setting names (the
    full batch's, or the batch size's in use), so 2 is that limit."""
    if value(state, "learning_rate_multiples_of") == "batch_size":
        return limit.learning_rate / 2
    return limit.full_batch / 2


def learning_rate_runs(
    state: Mapping[str, Any], problem: Problem, limit: Callable[[TrainConfig], StabilityLimit] | None = None,
) -> list[TrainConfig]:
    """The learning-rate page's runs: the sidebar's config at each rate compared, with the page's epochs.

    Rates given as multiples are multiples of half a stability limit (1/λ_max for plain full-batch descent),
    so 1 zeroes the steepest direction in one step, 1.9 oscillates but converges and 2.1 diverges, as in the
    lesson: the full batch's limit, or (``learning_rate_multiples_of``) the lower one of the batch size in use.
    Full batch, where both are one, unless the page says to use the sidebar's batch size. ``limit`` gives the
    limit of a configuration (by default :func:`page_limit`; the page passes a cached one).
    """
    numbers = parse_learning_rates(value(state, "learning_rates_compared"))
    base = learning_rate_page_base(state, problem.train.n_rows)
    unit = 1.0
    if value(state, "learning_rates_given_as") == "multiples":
        unit = learning_rate_unit(state, (limit or (lambda config: page_limit(problem, config)))(base))
    return [replace(base, learning_rate=number * unit) for number in numbers]


def learning_rate_page_base(state: Mapping[str, Any], n_train: int) -> TrainConfig:
    """The learning-rate page's runs but for their rates: the sidebar's config with the page's batch size (every
    row unless the page says the sidebar's) and epochs."""
    full_batch = value(state, "learning_rate_page_full_batch")
    return train_config(state, n_train, batch_size=n_train if full_batch else value(state, "batch_size"),
                        epochs=value(state, "learning_rate_page_epochs"))


def batch_size_runs(state: Mapping[str, Any], n_train: int) -> list[TrainConfig]:
    """The batch-size page's runs: the sidebar's config at each batch size compared, with the page's epochs."""
    return [train_config(state, n_train, batch_size=batch_size, epochs=value(state, "batch_size_page_epochs"))
            for batch_size in parse_batch_sizes(value(state, "batch_sizes_compared"), n_train)]


def momentum_runs(state: Mapping[str, Any], valley: Problem) -> dict[str, TrainConfig]:
    """The momentum page's runs on ``valley``: plain gradient descent, then heavy ball and Nesterov (if μ > 0).

    Full batch unless the page sets its own batch size (to see momentum amplify minibatch noise), and nothing
    from the sidebar but the seed, so the only difference between them is momentum.
    """
    mu = value(state, "momentum_compared")
    n_train = valley.train.n_rows
    batch_size = n_train if value(state, "momentum_page_full_batch") else min(
        value(state, "momentum_page_batch_size"), largest_batch_size(n_train))
    plain = TrainConfig(
        learning_rate=value(state, "momentum_page_rate_multiple") / valley.curvature.lambda_max,
        batch_size=batch_size, epochs=value(state, "momentum_page_epochs"), seed=value(state, "seed"),
    )
    runs = {"plain gradient descent": plain}
    if mu > 0:
        runs[f"momentum μ = {mu:g}"] = replace(plain, momentum=mu)
        runs[f"Nesterov μ = {mu:g}"] = replace(plain, momentum=mu, nesterov=True)
    return runs
