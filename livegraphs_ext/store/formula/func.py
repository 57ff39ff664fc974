"""What a formula function is (:class:`Func`), and the argument checks every function uses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .frag import Frag, fmt
from .tree import NULL, NUMERIC, TEMPORAL, Call, Lit, fail, parse_temporal, unify


@dataclass(frozen=True)
class Func:
    """One function of the allow-list: its type rule, and its SQL and pandas forms."""

    name: str
    signature: str
    doc: str
    min_args: int
    max_args: int
    typer: Callable[[Call], str]
    sql: Callable[[list[Frag], Call], Frag]
    pandas: Callable[[list[str], Call], str]
    #: argument indexes that must be constants (passed to pandas as values)
    consts: tuple[int, ...] = ()


def need(call: Call, i: int, allowed: tuple[str, ...], what: str) -> str:
    """Check argument ``i`` is one of the ``allowed`` types (a bare null takes the first); its type."""
    arg = call.args[i]
    if isinstance(arg, Lit) and arg.type == "string" and set(allowed) <= set(TEMPORAL):
        # '2024-01-31' where a date is wanted is read as a date, as in comparisons
        call.args[i] = parse_temporal(str(arg.value).strip(), arg.pos)
    t = call.args[i].type
    if t == NULL:
        if not isinstance(call.args[i], Lit):
            raise fail(
                f"{call.name}() cannot tell the type of this null value; wrap it, e.g. in int()", arg.pos
            )
        call.args[i].type = allowed[0]  # a bare null takes the type the function wants
    if t != NULL and t not in allowed:
        raise fail(f"{call.name}() argument {i + 1} must be {what}, not {t}", call.args[i].pos)
    return t


def const_value(call: Call, i: int, allowed: tuple[str, ...], what: str) -> Any:
    """The value of a constant argument (a literal), checked against ``allowed``."""
    arg = call.args[i]
    if not isinstance(arg, Lit) or arg.value is None or arg.type not in allowed:
        raise fail(f"{call.name}() argument {i + 1} must be a constant {what}", arg.pos)
    return arg.value


def unit_arg(call: Call, i: int, units: tuple[str, ...]) -> str:
    """The constant unit name at argument ``i``, lower-cased, checked against ``units``."""
    unit = str(const_value(call, i, ("string",), "unit name")).lower()
    if unit not in units:
        raise fail(f"{call.name}() unit must be one of {', '.join(units)}; got {unit!r}", call.args[i].pos)
    return unit


def common_type(call: Call, idx: list[int] | None = None) -> str:
    """The one type the arguments at ``idx`` (all by default) share."""
    result = NULL
    for i in idx if idx is not None else range(len(call.args)):
        u = unify(result, call.args[i].type)
        if u is None:
            raise fail(
                f"{call.name}() values must have one type; got {result} and {call.args[i].type}",
                call.args[i].pos,
            )
        result = u
    return result


def same_number(t: str) -> Callable[[Call], str]:
    """A typer for one number argument whose result has its type (``t`` for a bare null)."""

    def typer(call: Call) -> str:
        need(call, 0, NUMERIC, "a number")
        return call.args[0].type if call.args[0].type != NULL else t

    return typer


def numbers_to_float(call: Call) -> str:
    """A typer for number arguments and a float result."""
    for i in range(len(call.args)):
        need(call, i, NUMERIC, "a number")
    return "float"


def text_function(
    result: str, const_idx: tuple[int, ...] = (), const_kind: str = "string"
) -> Callable[[Call], str]:
    """A typer for a text first argument; ``const_idx`` are constant text (or whole-number) arguments."""

    def typer(call: Call) -> str:
        need(call, 0, ("string",), "a string")
        for i in const_idx:
            if i < len(call.args):
                if const_kind == "string":
                    const_value(call, i, ("string",), "string")
                else:
                    v = const_value(call, i, ("integer",), "whole number")
                    if int(v) < (1 if (call.name == "substr" and i == 1) else 0):
                        raise fail(f"{call.name}() argument {i + 1} is out of range", call.args[i].pos)
        return result

    return typer


def const_arg(i: int, call: Call) -> Any:
    """The value of constant argument ``i``, already checked by the typer."""
    return call.args[i].value  # type: ignore[attr-defined]


def define(
    name: str, sig: str, doc: str, lo: int, hi: int, typer: Any, sql: Any, pandas: Any, consts: Any = ()
) -> Func:
    """A :class:`Func`, positionally, as the allow-list writes them."""
    return Func(name, sig, doc, lo, hi, typer, sql, pandas, tuple(consts))


def sql_template(template: str) -> Callable[[list[Frag], Call], Frag]:
    """An SQL form that fills ``template`` with the arguments in order."""
    return lambda a, call: fmt(template, *a)
