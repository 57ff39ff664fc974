"""The formula tokenizer and parser: text to a syntax tree.

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

Function names are checked against the allow-list, with their argument counts, while parsing.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from ..errors import BadInput
from .functions import ALIASES, FUNCTIONS, lookup
from .tree import NULL, NUMERIC, Call, Chain, Col, Compare, Lit, Node, Unary, fail, parse_temporal

MAX_FORMULA_CHARS = 10_000
#: nesting limit for parentheses, calls and operators; keeps every recursive pass shallow
MAX_DEPTH = 100
_INT64_MAX = 2**63 - 1

KEYWORDS = {"and", "or", "not", "true", "false", "null"}
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


class _Parser:
    def __init__(self, text: str):
        self.toks = tokenize(text)
        self.i = 0
        self.nest = 0

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
            if word in KEYWORDS:
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


def parse_tree(text: str) -> Node:
    """The syntax tree of ``text``; BadInput (with the offset) on a syntax error."""
    return _Parser(text).parse()


def column_ref(name: str) -> str:
    """How to write column ``name`` in a formula."""
    bare = re.fullmatch(r"[^\W\d]\w*", name) is not None and name.lower() not in KEYWORDS
    return name if bare else "[" + name.replace("]", "]]") + "]"
