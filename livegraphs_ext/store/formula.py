"""The formula language: tokenizer, parser, type checker and SQL compiler.

A formula is a small, side-effect-free expression over the columns of one row,
e.g. ``if([Unit Price] > 100, 'high', 'low')`` or ``round(price * 1.2, 2)``.

Grammar (lowest precedence first)::

    expr     := or
    or       := and ("or" and)*
    and      := not ("and" not)*
    not      := "not" not | cmp
    cmp      := sum (("=" | "==" | "!=" | "<>" | "<" | "<=" | ">" | ">=") sum)?
    sum      := product (("+" | "-") product)*
    product  := unary (("*" | "/" | "%") unary)*
    unary    := "-" unary | atom
    atom     := number | 'text' | "text" | #2024-01-31# | true | false | null
              | name "(" [expr ("," expr)*] ")"     -- a function from the allow-list
              | name | "[" any text, "]]" for "]" "]"   -- a column
              | "(" expr ")"

The compiled SQL never contains user text: literals become ``?`` parameters,
columns become double-quoted identifiers that exist in the schema, and
functions map to SQL we wrote (see :mod:`.formula_funcs`).
"""

from __future__ import annotations

import datetime as _dt
import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .errors import BadInput
from .formula_ast import (
    NULL,
    NUMERIC,
    TEMPORAL,
    Call,
    Chain,
    Col,
    Compare,
    Frag,
    Lit,
    Node,
    Unary,
    fail,
    fmt,
    param,
    quote_ident,
    sql_cast,
    unify,
)
from .formula_funcs import ALIASES, FUNCTIONS, const_value, lookup
from .schema import ColumnInfo

MAX_FORMULA_CHARS = 10_000
#: nesting limit for parentheses, calls and operators; keeps every recursive pass shallow
MAX_DEPTH = 100
_INT64_MAX = 2**63 - 1

_KEYWORDS = {"and", "or", "not", "true", "false", "null"}
_CMP_OPS = {"=": "=", "==": "=", "!=": "<>", "<>": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
#: binding power of infix operators
_BP = {"or": 1, "and": 2, "cmp": 4, "+": 5, "-": 5, "*": 6, "/": 6, "%": 6}
_NUM = re.compile(r"(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


@dataclass(frozen=True)
class Token:
    kind: str  # num | str | ident | col | date | op | ( | ) | , | eof
    value: Any
    pos: int


def tokenize(text: str) -> list[Token]:
    """Split formula text into tokens; BadInput (with the offset) on anything else."""
    if len(text) > MAX_FORMULA_CHARS:
        raise BadInput(f"formula is too long ({len(text)} characters; the limit is {MAX_FORMULA_CHARS})")
    out: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch.isdigit() or (ch == "." and i + 1 < n and text[i + 1].isdigit()):
            m = _NUM.match(text, i)
            assert m is not None
            s = m.group(0)
            if "." in s or "e" in s.lower():
                out.append(Token("num", float(s), i))
            else:
                if int(s) > _INT64_MAX:
                    raise fail(f"Number {s} is too large for a whole number", i)
                out.append(Token("num", int(s), i))
            i = m.end()
        elif ch in "'\"":
            j, buf = i + 1, []
            while True:
                if j >= n:
                    raise fail("Unterminated text (missing closing quote) starting", i)
                if text[j] == ch:
                    if j + 1 < n and text[j + 1] == ch:  # doubled quote stands for one quote
                        buf.append(ch)
                        j += 2
                        continue
                    break
                buf.append(text[j])
                j += 1
            out.append(Token("str", "".join(buf), i))
            i = j + 1
        elif ch == "[":
            j, buf = i + 1, []
            while True:
                if j >= n:
                    raise fail("Unterminated column name (missing ']') starting", i)
                if text[j] == "]":
                    if j + 1 < n and text[j + 1] == "]":
                        buf.append("]")
                        j += 2
                        continue
                    break
                buf.append(text[j])
                j += 1
            out.append(Token("col", "".join(buf), i))
            i = j + 1
        elif ch == "#":
            j = text.find("#", i + 1)
            if j < 0:
                raise fail("Unterminated date (missing closing '#') starting", i)
            out.append(Token("date", text[i + 1 : j].strip(), i))
            i = j + 1
        elif ch.isalpha() or ch == "_":
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            out.append(Token("ident", text[i:j], i))
            i = j
        elif ch in "(),":
            out.append(Token(ch, ch, i))
            i += 1
        else:
            two = text[i : i + 2]
            if two in ("==", "!=", "<>", "<=", ">="):
                out.append(Token("op", two, i))
                i += 2
            elif two in ("||", "&&"):
                raise fail(
                    f"'{two}' is not supported; use 'and'/'or' for logic and '+' or concat() to join text", i
                )
            elif ch in "+-*/%=<>":
                out.append(Token("op", ch, i))
                i += 1
            else:
                raise fail(f"Unexpected character {ch!r}", i)
    out.append(Token("eof", None, n))
    return out


def parse_temporal(text: str, pos: int) -> Lit:
    """A date (``2024-01-31``) or datetime (``2024-01-31 10:00``) literal."""
    try:
        if len(text) == 10:
            return Lit(pos, _dt.date.fromisoformat(text), "date")
        return Lit(pos, _dt.datetime.fromisoformat(text).replace(tzinfo=None), "datetime")
    except ValueError:
        raise fail(f"{text!r} is not a date like 2024-01-31 or 2024-01-31 10:00:00", pos) from None


class _Parser:
    def __init__(self, text: str, columns: dict[str, ColumnInfo]):
        self.toks = tokenize(text)
        self.i = 0
        self.nest = 0
        self.columns = columns

    def peek(self) -> Token:
        return self.toks[self.i]

    def take(self) -> Token:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def parse(self) -> Node:
        if self.peek().kind == "eof":
            raise fail("The formula is empty", 0)
        node = self.expr(0)
        tok = self.peek()
        if tok.kind != "eof":
            raise fail(f"Unexpected {_describe(tok)}; expected an operator or the end", tok.pos)
        return node

    def _limit(self, node: Node) -> Node:
        if node.depth > MAX_DEPTH:
            raise fail(f"The formula is nested too deeply (more than {MAX_DEPTH} levels)", node.pos)
        return node

    def _infix(self, tok: Token) -> str | None:
        if tok.kind == "op":
            return "cmp" if tok.value in _CMP_OPS else tok.value
        if tok.kind == "ident" and tok.value.lower() in ("and", "or"):
            return tok.value.lower()
        return None

    def expr(self, min_bp: int) -> Node:
        self.nest += 1
        if self.nest > MAX_DEPTH:
            raise fail(f"The formula is nested too deeply (more than {MAX_DEPTH} levels)", self.peek().pos)
        left = self.prefix()
        chain: Chain | None = None
        while True:
            tok = self.peek()
            kind = self._infix(tok)
            if kind is None or _BP[kind] < min_bp:
                break
            self.take()
            bp = _BP[kind]
            right = self.expr(bp + 1)
            if kind == "cmp":
                left = Compare(tok.pos, op=_CMP_OPS[tok.value], left=left, right=right)
                chain = None
                nxt = self._infix(self.peek())
                if nxt == "cmp":
                    raise fail("Comparisons cannot be chained; combine them with 'and'", self.peek().pos)
            elif chain is not None and _BP[chain.ops[0]] == bp:
                chain.ops.append(kind)
                chain.rest.append(right)
                chain.op_pos.append(tok.pos)
                chain.update_depth()
            else:
                chain = Chain(left.pos, first=left, ops=[kind], rest=[right], op_pos=[tok.pos])
                chain.update_depth()
                left = chain
            self._limit(left)
        self.nest -= 1
        return left

    def prefix(self) -> Node:
        tok = self.take()
        if tok.kind == "num":
            return Lit(tok.pos, tok.value, "integer" if isinstance(tok.value, int) else "float")
        if tok.kind == "str":
            return Lit(tok.pos, tok.value, "string")
        if tok.kind == "date":
            return parse_temporal(tok.value, tok.pos)
        if tok.kind == "col":
            return Col(tok.pos, name=tok.value)
        if tok.kind == "(":
            node = self.expr(0)
            close = self.take()
            if close.kind != ")":
                raise fail(f"Expected ')' but found {_describe(close)}", close.pos)
            return node
        if tok.kind == "op" and tok.value == "-":
            operand = self.expr(7)
            if isinstance(operand, Lit) and operand.type in NUMERIC:
                return Lit(tok.pos, -operand.value, operand.type)
            return self._limit(Unary(tok.pos, op="-", operand=operand))
        if tok.kind == "ident":
            word = tok.value.lower()
            if self.peek().kind == "(":
                return self.call(tok)
            if word in ("true", "false"):
                return Lit(tok.pos, word == "true", "boolean")
            if word == "null":
                return Lit(tok.pos, None, NULL)
            if word == "not":
                return self._limit(Unary(tok.pos, op="not", operand=self.expr(3)))
            if word in _KEYWORDS:
                raise fail(f"Unexpected '{tok.value}'", tok.pos)
            return Col(tok.pos, name=tok.value)
        raise fail(f"Unexpected {_describe(tok)}; expected a value, column or function", tok.pos)

    def call(self, name_tok: Token) -> Node:
        func = lookup(name_tok.value)
        if func is None:
            names = sorted([*FUNCTIONS, *ALIASES])
            near = difflib.get_close_matches(name_tok.value.lower(), names, n=1)
            hint = f"; did you mean '{near[0]}'?" if near else ""
            raise fail(f"Unknown function '{name_tok.value}'{hint}", name_tok.pos)
        self.take()  # "("
        args: list[Node] = []
        if self.peek().kind != ")":
            while True:
                args.append(self.expr(0))
                if self.peek().kind != ",":
                    break
                self.take()
        close = self.take()
        if close.kind != ")":
            raise fail(f"Expected ',' or ')' in {func.name}() but found {_describe(close)}", close.pos)
        if not func.min_args <= len(args) <= func.max_args:
            want = (
                str(func.min_args)
                if func.min_args == func.max_args
                else f"{func.min_args} to {func.max_args}"
                if func.max_args < 50
                else f"at least {func.min_args}"
            )
            noun = "argument" if want == "1" else "arguments"
            raise fail(f"{func.name}() takes {want} {noun} ({func.signature}), got {len(args)}", name_tok.pos)
        return self._limit(Call(name_tok.pos, name=func.name, args=args))


def _describe(tok: Token) -> str:
    return "the end of the formula" if tok.kind == "eof" else repr(str(tok.value))


# ---- type checking --------------------------------------------------------------------------------


def _settle(node: Node, t: str) -> None:
    """Give a bare ``null`` literal the type its context needs."""
    if isinstance(node, Lit) and node.type == NULL and t != NULL:
        node.type = t


def _arith(op: str, a: str, b: str, pos: int) -> str:
    if op in ("and", "or"):
        for t in (a, b):
            if t not in ("boolean", NULL):
                raise fail(f"'{op}' needs true/false values on both sides, not {t}", pos)
        return "boolean"
    if op == "+" and "string" in (a, b):
        if a in ("string", NULL) and b in ("string", NULL):
            return "string"
        raise fail(
            f"Cannot add text and {b if a == 'string' else a}; use str(x) to turn a value into text", pos
        )
    for t in (a, b):
        if t not in (*NUMERIC, NULL):
            raise fail(f"'{op}' needs numbers, not {t}", pos)
    if op == "/":
        return "float"
    return unify(a, b) if (a, b) != (NULL, NULL) else "integer"  # type: ignore[return-value]


class _Checker:
    def __init__(self, columns: dict[str, ColumnInfo]):
        self.columns = columns
        self.used: list[str] = []

    def check(self, node: Node) -> str:
        node.type = self._check(node)
        return node.type

    def _check(self, node: Node) -> str:
        if isinstance(node, Lit):
            return node.type
        if isinstance(node, Col):
            return self._column(node)
        if isinstance(node, Unary):
            t = self.check(node.operand)
            want = ("boolean",) if node.op == "not" else NUMERIC
            if t not in (*want, NULL):
                what = "a true/false value" if node.op == "not" else "a number"
                raise fail(f"'{node.op}' needs {what}, not {t}", node.pos)
            result = "boolean" if node.op == "not" else (t if t != NULL else "integer")
            _settle(node.operand, result)
            return result
        if isinstance(node, Chain):
            t = self.check(node.first)
            node.step_types = []
            for op, right, pos in zip(node.ops, node.rest, node.op_pos, strict=True):
                t = _arith(op, t, self.check(right), pos)
                node.step_types.append(t)
            for operand in [node.first, *node.rest]:
                _settle(operand, "float" if node.step_types[-1] == "float" else node.step_types[-1])
            return t
        if isinstance(node, Compare):
            return self._compare(node)
        if isinstance(node, Call):
            for arg in node.args:
                self.check(arg)
            func = FUNCTIONS[node.name]
            result = func.typer(node)
            for i in func.consts:
                if i < len(node.args):
                    const_value(node, i, (node.args[i].type,), "value")
            if node.name in ("if", "ifs", "coalesce", "ifnull", "min", "max"):
                for arg in node.args:
                    if arg.type == NULL:
                        _settle(arg, result)
            return result
        raise AssertionError(type(node))  # pragma: no cover

    def _column(self, node: Col) -> str:
        info = self.columns.get(node.name)
        if info is None:
            names = list(self.columns)
            folded = {n.lower(): n for n in names}
            near = [folded[node.name.lower()]] if node.name.lower() in folded else []
            near = near or difflib.get_close_matches(node.name, names, n=1)
            hint = f"; did you mean '{near[0]}'?" if near else ""
            known = ", ".join(names[:50])
            raise fail(f"Unknown column '{node.name}'{hint} (columns: {known})", node.pos)
        if node.name not in self.used:
            self.used.append(node.name)
        return info.type

    def _compare(self, node: Compare) -> str:
        a, b = self.check(node.left), self.check(node.right)
        # a text literal next to a date column is read as a date, as spreadsheet users expect
        for side, other in (("left", b), ("right", a)):
            lit = getattr(node, side)
            if other in TEMPORAL and isinstance(lit, Lit) and lit.type == "string":
                setattr(node, side, parse_temporal(lit.value.strip(), lit.pos))
        a, b = node.left.type, node.right.type
        common = unify(a, b)
        if common is None or (common == "boolean" and node.op not in ("=", "<>")):
            raise fail(f"Cannot compare {a} with {b} using '{node.op}'", node.pos)
        node.operand_type = common if common != NULL else "string"
        _settle(node.left, node.operand_type)
        _settle(node.right, node.operand_type)
        return "boolean"


# ---- SQL ------------------------------------------------------------------------------------------


def _sql(node: Node) -> Frag:
    if isinstance(node, Lit):
        return param(node.value, node.type if node.type != NULL else "string")
    if isinstance(node, Col):
        return Frag(quote_ident(node.name))
    if isinstance(node, Unary):
        inner = sql_cast(_sql(node.operand), node.operand.type, node.type)
        return fmt("(NOT {0})" if node.op == "not" else "(- {0})", inner)
    if isinstance(node, Chain):
        acc, t = _sql(node.first), node.first.type
        for op, right, st in zip(node.ops, node.rest, node.step_types, strict=True):
            rf, rt = _sql(right), right.type
            if op in ("and", "or"):
                acc = fmt(f"({{0}} {op.upper()} {{1}})", sql_cast(acc, t, st), sql_cast(rf, rt, st))
            elif st == "string":
                acc = fmt("({0} || {1})", sql_cast(acc, t, st), sql_cast(rf, rt, st))
            elif op == "/":
                # a zero divisor gives null, as in spreadsheets' "blank" rather than an error
                acc = fmt("({0} / NULLIF({1}, 0))", sql_cast(acc, t, "float"), sql_cast(rf, rt, "float"))
            elif op == "%":
                acc = fmt("({0} % NULLIF({1}, 0))", sql_cast(acc, t, st), sql_cast(rf, rt, st))
            else:
                acc = fmt(f"({{0}} {op} {{1}})", sql_cast(acc, t, st), sql_cast(rf, rt, st))
            t = st
        return acc
    if isinstance(node, Compare):
        ot = node.operand_type
        lsql = sql_cast(_sql(node.left), node.left.type, ot)
        rsql = sql_cast(_sql(node.right), node.right.type, ot)
        return fmt(f"({{0}} {node.op} {{1}})", lsql, rsql)
    if isinstance(node, Call):
        return FUNCTIONS[node.name].sql([_sql(a) for a in node.args], node)
    raise AssertionError(type(node))  # pragma: no cover


#: DuckDB refuses expressions nested deeper than 1000; stay well below, counting casts
_MAX_SQL_DEPTH = 900


def _sql_depth(node: Node) -> int:
    """An upper bound of the SQL expression depth (a chain nests once per operator)."""
    if isinstance(node, Chain):
        return 2 * len(node.ops) + max(_sql_depth(n) for n in [node.first, *node.rest])
    if isinstance(node, Unary):
        return 3 + _sql_depth(node.operand)
    if isinstance(node, Compare):
        return 3 + max(_sql_depth(node.left), _sql_depth(node.right))
    if isinstance(node, Call):
        return 4 + max((_sql_depth(a) for a in node.args), default=0)
    return 2


# ---- public API -----------------------------------------------------------------------------------


@dataclass
class ParsedFormula:
    """A parsed and type-checked formula."""

    text: str
    ast: Node
    #: the column type of the result (a bare ``null`` counts as string)
    type: str
    #: the columns the formula reads, in order of first use
    columns: list[str]

    def to_sql(self) -> tuple[str, list[Any]]:
        """The formula as a DuckDB SQL expression and its ``?`` parameters."""
        frag = sql_cast(_sql(self.ast), self.ast.type, self.type)
        return frag.sql, frag.params


def parse_formula(text: str, columns: Sequence[ColumnInfo]) -> ParsedFormula:
    """Parse and type-check ``text`` against ``columns``.

    Raises :class:`BadInput` with a message that names the character offset
    for syntax errors, unknown columns or functions, and type errors.
    """
    if not isinstance(text, str):
        raise BadInput("formula must be text")
    cols = {c.name: c for c in columns}
    ast = _Parser(text, cols).parse()
    if _sql_depth(ast) > _MAX_SQL_DEPTH:
        raise fail("The formula has too many operators in a row for the database; split it into steps", 0)
    checker = _Checker(cols)
    t = checker.check(ast)
    return ParsedFormula(text, ast, t if t != NULL else "string", checker.used)


def compile_formula(text: str, columns: Sequence[ColumnInfo]) -> tuple[str, list[Any], str]:
    """Shortcut: ``(sql, params, result_type)`` for a formula."""
    parsed = parse_formula(text, columns)
    sql, params = parsed.to_sql()
    return sql, params, parsed.type


def formula_completions(columns: Sequence[ColumnInfo]) -> list[dict[str, str]]:
    """Everything an editor may offer: functions (with signatures), keywords and columns."""
    out: list[dict[str, str]] = []
    for f in FUNCTIONS.values():
        out.append({"kind": "function", "name": f.name, "signature": f.signature, "doc": f.doc})
    for alias, target in sorted(ALIASES.items()):
        f = FUNCTIONS[target]
        out.append(
            {"kind": "function", "name": alias, "signature": f.signature, "doc": f"same as {target}()"}
        )
    for word in ("and", "or", "not", "true", "false", "null"):
        out.append({"kind": "keyword", "name": word, "signature": word, "doc": ""})
    for c in columns:
        bare = re.fullmatch(r"[^\W\d]\w*", c.name) is not None and c.name.lower() not in _KEYWORDS
        ref = c.name if bare else "[" + c.name.replace("]", "]]") + "]"
        out.append({"kind": "column", "name": c.name, "signature": ref, "doc": c.type})
    return out


def column_ref(name: str) -> str:
    """How to write column ``name`` in a formula."""
    bare = re.fullmatch(r"[^\W\d]\w*", name) is not None and name.lower() not in _KEYWORDS
    return name if bare else "[" + name.replace("]", "]]") + "]"
