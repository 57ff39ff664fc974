"""The formula language: a small, side-effect-free expression over the columns of one row.

E.g. ``if([Unit Price] > 100, 'high', 'low')`` or ``round(price * 1.2, 2)``. A formula is read in
steps, one module each:

- :mod:`.parse`: text to a syntax tree (:mod:`.tree`), with the grammar;
- :mod:`.check`: the type checker, which gives every node its type;
- :mod:`.to_sql`: the checked tree as DuckDB SQL, built from fragments (:mod:`.frag`);
- :mod:`.functions`: the allow-list of functions, each with its type rule, SQL and pandas forms
  (:mod:`.func` says what a function is; :mod:`.numbers`, :mod:`.dates`, :mod:`.conditions` and
  :mod:`.convert` hold the longer forms; :mod:`.dtypes` the pandas dtypes);
- :mod:`.api`: :func:`parse_formula` and the other entry points.

The compiled SQL never contains user text: literals become ``?`` parameters, columns become
double-quoted identifiers that exist in the schema, and functions map to SQL we wrote.
"""

from .api import ParsedFormula, compile_formula, formula_columns, formula_completions, parse_formula
from .convert import to_number_pd, to_number_sql, to_str_pd, to_str_sql, to_temporal_pd, to_temporal_sql
from .dtypes import PD_DTYPE, pd_cast
from .frag import Frag, fmt, param, sql_cast
from .func import Func
from .functions import ALIASES, FUNCTIONS, lookup
from .parse import MAX_DEPTH, MAX_FORMULA_CHARS, Token, column_ref, tokenize
from .tree import NULL, NUMERIC, TEMPORAL, Call, Chain, Col, Compare, Lit, Node, Unary, parse_temporal

__all__ = [
    "ALIASES",
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_FORMULA_CHARS",
    "NULL",
    "NUMERIC",
    "PD_DTYPE",
    "TEMPORAL",
    "Call",
    "Chain",
    "Col",
    "Compare",
    "Frag",
    "Func",
    "Lit",
    "Node",
    "ParsedFormula",
    "Token",
    "Unary",
    "column_ref",
    "compile_formula",
    "fmt",
    "formula_columns",
    "formula_completions",
    "lookup",
    "param",
    "parse_formula",
    "parse_temporal",
    "pd_cast",
    "sql_cast",
    "to_number_pd",
    "to_number_sql",
    "to_str_pd",
    "to_str_sql",
    "to_temporal_pd",
    "to_temporal_sql",
    "tokenize",
]
