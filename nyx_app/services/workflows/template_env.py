"""The Jinja2 environment prompts are rendered in: the sandbox, with every way of multiplying work
or memory bounded by one budget.

Jinja's ``ImmutableSandboxedEnvironment`` already refuses attributes starting with ``_``, unsafe
callables and methods that change lists and dicts in place (``l.extend(l)`` doubles a list per
iteration). On top of it:
- **output**: ``replace``, ``join``, ``format`` widths and precisions, ``ljust``/``center``/…
  widths and string or list ``*``/``+`` refuse a result longer than the budget's characters,
  computed *before* the work is done; str methods are an allowlist (``translate`` with a
  ``maketrans`` table or ``expandtabs`` would multiply text too);
- **iterations**: every ``{% for %}`` iteration and every macro call counts against
  ``Budget.iterations``; ``recursive`` loops are refused (their inner calls would not count);
- **time**: the same counter checks a soft deadline, so a render that runs long stops itself with
  words. The hard limits (a deadline after which the process is killed, an address-space limit)
  belong to the process a render runs in (``sandbox.py``).

A render sets its ``Budget`` in a context variable; the filters and hooks read it from there.
"""

from __future__ import annotations

import operator
import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import update_wrapper
from typing import Any

from jinja2 import StrictUndefined, nodes, pass_environment
from jinja2.exceptions import SecurityError
from jinja2.filters import make_attrgetter
from jinja2.runtime import Macro
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedFormatter

MAX_PROMPT_CHARS = 2_000_000
MAX_NUMBER = 1_000_000
DEFAULT_ITERATIONS = 1_000_000
COUNTED_FILTER = "nyx_counted"  # wraps every loop's iterable (see ``count_loops``)

SAFE_FILTERS = (
    "abs", "capitalize", "count", "default", "d", "dictsort", "first", "float", "int", "join", "last",
    "length", "list", "lower", "map", "max", "min", "reject", "rejectattr", "replace", "reverse", "round",
    "select", "selectattr", "sort", "string", "sum", "title", "tojson", "trim", "truncate", "unique",
    "upper", "wordcount", "batch", "slice",
)  # fmt: skip

# str methods a template may call; the amplifying ones among them are bounded in ``call``.
STR_METHODS = frozenset(
    {
        "capitalize", "casefold", "count", "endswith", "find", "index", "isalnum", "isalpha", "isascii",
        "isdecimal", "isdigit", "isidentifier", "islower", "isnumeric", "isprintable", "isspace",
        "istitle", "isupper", "lower", "lstrip", "partition", "removeprefix", "removesuffix", "rfind",
        "rindex", "rpartition", "rsplit", "rstrip", "split", "splitlines", "startswith", "strip",
        "swapcase", "title", "upper", "replace", "join", "center", "ljust", "rjust", "zfill",
        "format", "format_map",
    }
)  # fmt: skip
_PADDING = frozenset({"center", "ljust", "rjust", "zfill"})
# [[fill]align][sign][z][#][0][width][grouping][.precision][type]
_SPEC = re.compile(r"^(?:.?[<>=^])?[+\- ]?z?#?0?(?P<width>\d*)[,_]?(?:\.(?P<precision>\d+))?[a-zA-Z%]?$", re.DOTALL)


class BudgetExceeded(SecurityError):
    """A render went past its budget; the message says which, in words."""


@dataclass(slots=True)
class Budget:
    iterations: int = DEFAULT_ITERATIONS
    chars: int = MAX_PROMPT_CHARS
    seconds: float | None = None  # soft: checked as the loops count
    used: int = 0
    deadline: float = field(default=0.0)

    def start(self) -> Budget:
        self.used = 0
        self.deadline = time.monotonic() + self.seconds if self.seconds else 0.0
        return self

    def tick(self) -> None:
        self.used += 1
        if self.used > self.iterations:
            raise BudgetExceeded(f"the template repeats more than {self.iterations:,} times (loops and macro calls)")
        if self.deadline and not self.used & 0x3FF and time.monotonic() > self.deadline:
            raise BudgetExceeded(f"the template took longer than {self.seconds:g} s")

    def fits(self, size: int, what: str) -> None:
        if size > self.chars:
            raise BudgetExceeded(f"{what} would be longer than {self.chars:,} characters")


_BUDGET: ContextVar[Budget] = ContextVar("template_budget")


def budget() -> Budget:
    found = _BUDGET.get(None)
    return found if found is not None else Budget()


def using(b: Budget) -> Any:
    """``token = using(b)`` … ``_BUDGET.reset(token)``: the budget the hooks below read."""
    return _BUDGET.set(b.start())


def release(token: Any) -> None:
    _BUDGET.reset(token)


# -- bounded operations ------------------------------------------------------------------------
def _replace(s: Any, old: Any, new: Any, count: int | None = None) -> str:
    s, old, new = str(s), str(old), str(new)
    hits = (len(s) + 1 if not old else s.count(old)) if count is None or count < 0 else count
    budget().fits(len(s) + max(0, hits) * max(0, len(new) - len(old)), "the text after replace")
    return s.replace(old, new, -1 if count is None else count)


def _joined(values: Iterable[Any], sep: str) -> str:
    b, parts, size = budget(), list[str](), 0
    for item in values:
        text = str(item)
        size += len(text) + (len(sep) if parts else 0)
        b.fits(size, "the joined text")
        parts.append(text)
    return sep.join(parts)


@pass_environment
def _join(environment: Any, value: Iterable[Any], d: str = "", attribute: str | int | None = None) -> str:
    if attribute is not None:
        value = map(make_attrgetter(environment, attribute), value)
    return _joined(value, str(d))


def _counted(value: Iterable[Any]) -> Iterator[Any]:
    b = budget()
    for item in value:
        b.tick()
        yield item


def _size(value: Any) -> int:
    return len(value) if isinstance(value, str | list | tuple) else 0


class _BoundedFormatter(SandboxedFormatter):
    def format_field(self, value: Any, format_spec: str) -> Any:
        match = _SPEC.match(format_spec)
        if match is None:
            raise BudgetExceeded("that format specification is not available in prompts")
        width, precision = int(match["width"] or 0), int(match["precision"] or 0)
        budget().fits(max(width, precision), "a formatted value")
        return super().format_field(value, format_spec)


class BoundedEnvironment(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def call_binop(self, context: Any, operator_name: str, left: Any, right: Any) -> Any:
        if operator_name == "%":
            if isinstance(left, str):
                raise SecurityError("the % operator on text is not available in prompts")
            return left % right
        if operator_name == "**":
            if abs(right) > 64 or abs(left) > MAX_NUMBER:
                raise SecurityError("numbers that large are not available in prompts")
            return left**right
        if operator_name == "+":
            budget().fits(_size(left) + _size(right), "a joined text or list")
            return left + right
        size = (
            len(left) * right
            if isinstance(left, str | list | tuple) and isinstance(right, int)
            else len(right) * left
            if isinstance(right, str | list | tuple) and isinstance(left, int)
            else 0
        )
        if size > MAX_PROMPT_CHARS:
            raise SecurityError("a repeated text that long is not available in prompts")
        budget().fits(size, "a repeated text or list")
        return operator.mul(left, right)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """``str.format``/``format_map`` (Jinja wraps them where they are read), with every width
        and precision checked against the budget before the text is made."""
        if super().wrap_str_format(value) is None:
            return None
        text, is_map, formatter = value.__self__, value.__name__ == "format_map", _BoundedFormatter(self)

        def wrapper(*args: Any, **kwargs: Any) -> str:
            if is_map:
                if kwargs or len(args) != 1:
                    raise TypeError("format_map() takes exactly one argument")
                return str(formatter.vformat(text, (), args[0]))
            return str(formatter.vformat(text, args, kwargs))

        return update_wrapper(wrapper, value)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        for value in (*args, *kwargs.values()):
            if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_NUMBER:
                raise SecurityError("numbers that large are not available in prompts")
        if isinstance(__obj, Macro):
            budget().tick()
        elif isinstance(getattr(__obj, "__self__", None), str):
            text, name = __obj.__self__, __obj.__name__
            if name not in STR_METHODS:
                raise SecurityError(f"the text method {name}() is not available in prompts")
            if name == "replace" and len(args) >= 2 and not kwargs:
                return _replace(text, *args)
            if name == "join" and len(args) == 1 and not kwargs:
                return _joined(args[0], text)
            if name in _PADDING and args and isinstance(args[0], int):
                budget().fits(args[0], "the padded text")
        return super().call(__context, __obj, *args, **kwargs)


def environment(tojson: Callable[[Any], str]) -> BoundedEnvironment:
    """``tojson``: how values print as JSON (templates.py knows its value types)."""
    env = BoundedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
    env.filters = {name: env.filters[name] for name in SAFE_FILTERS if name in env.filters}
    env.filters.update(tojson=tojson, replace=_replace, join=_join, **{COUNTED_FILTER: _counted})
    env.globals = {"range": env.globals["range"]}
    return env


# -- the shape of a template -------------------------------------------------------------------
def count_loops(ast: nodes.Template) -> nodes.Template:
    """Wrap every loop's iterable so each iteration counts; refuse ``recursive`` loops."""
    for loop in ast.find_all(nodes.For):
        assert isinstance(loop, nodes.For)
        if loop.recursive:
            raise SecurityError("recursive loops are not available in prompts; use a macro")
        loop.iter = nodes.Filter(loop.iter, COUNTED_FILTER, [], [], None, None, lineno=loop.lineno)
    return ast


# A template made only of these renders in time linear in its own size (each node once, every
# value printed at most once per node, the output checked as it grows): safe to render anywhere.
_PLAIN_NODES = (nodes.Template, nodes.Output, nodes.TemplateData, nodes.Const, nodes.Name, nodes.If, nodes.Not,
                nodes.And, nodes.Or, nodes.Getattr, nodes.Getitem)  # fmt: skip


PLAIN_MAX_NODES = 400  # compiling costs time per node too: a larger template compiles in the sandbox


def is_plain(ast: nodes.Template) -> bool:
    """No loops, calls, filters, macros, operators or assignments; item lookups by constant only;
    at most PLAIN_MAX_NODES nodes."""
    stack: list[nodes.Node] = [ast]
    count = 0
    while stack:
        node = stack.pop()
        count += 1
        if count > PLAIN_MAX_NODES:
            return False
        if type(node) not in _PLAIN_NODES:
            return False
        if isinstance(node, nodes.Getitem) and not isinstance(node.arg, nodes.Const):
            return False
        if isinstance(node, nodes.Name) and node.ctx != "load":
            return False
        stack.extend(node.iter_child_nodes())
    return True
