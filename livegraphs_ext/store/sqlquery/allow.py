"""What a user's SQL may contain: allowlists, never blocklists.

Two parsers read every query and each has its own list; anything a list does not name is refused:

* sqlglot (:mod:`.check`, in the host's process): the expression types and functions of
  :func:`sqlglot_lists`, and functions sqlglot does not know (``Anonymous``) only by a name of
  :data:`FUNCTIONS`;
* DuckDB's own parser (:mod:`.duckast`, in the query's worker process): the node types of
  :data:`DUCKDB_NODES`, the expression classes of :data:`DUCKDB_CLASSES` and the functions and
  operators of :data:`FUNCTIONS`, by the names DuckDB gives them.

Left out on purpose: every table function (``read_csv``, ``read_parquet``, ``glob``, ``query``,
``range`` in ``FROM``...), everything about settings, the environment and the catalog
(``current_setting``, ``getenv``, ``duckdb_*``, ``pragma_*``...), lambdas, and the functions whose
result can be far larger than their arguments (``repeat``, ``lpad``, ``rpad``, ``format``,
``printf``, ``replace``, ``regexp_replace``, ``range``, ``generate_series``, ``list_resize``...):
DuckDB allocates their results outside its ``memory_limit``.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlglot import exp

#: DuckDB's names of the functions and operators a query may call (lower case).
FUNCTIONS: frozenset[str] = frozenset(
    {
        # operators, as DuckDB's parser names them
        "+", "-", "*", "/", "//", "%", "**", "^", "||", "~~", "!~~", "~~*", "!~~*", "~~~", "!~~~",
        "&", "|", "<<", ">>", "~", "@",
        # aggregates
        "count", "count_star", "sum", "avg", "mean", "min", "max", "median", "mode",
        "stddev", "stddev_samp", "stddev_pop", "variance", "var_samp", "var_pop",
        "quantile", "quantile_cont", "quantile_disc", "approx_count_distinct", "approx_quantile",
        "first", "last", "any_value", "arbitrary", "arg_max", "arg_min", "argmax", "argmin",
        "max_by", "min_by", "corr", "covar_pop", "covar_samp", "regr_slope", "regr_intercept",
        "regr_r2", "regr_count", "bool_and", "bool_or", "count_if", "countif", "string_agg",
        "group_concat", "listagg", "list", "array_agg", "entropy", "kurtosis", "skewness", "product",
        "fsum", "sumkahan", "kahan_sum", "favg", "geomean", "geometric_mean", "bit_and", "bit_or",
        "bit_xor",
        # window functions
        "row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile", "lag", "lead",
        "first_value", "last_value", "nth_value",
        # numbers
        "abs", "round", "round_even", "roundbankers", "even", "ceil", "ceiling", "floor", "trunc",
        "sqrt", "cbrt", "exp", "ln", "log", "log2", "log10", "pow", "power", "sign", "signbit",
        "greatest", "least", "pi", "degrees", "radians", "sin", "cos", "tan", "cot", "asin", "acos",
        "atan", "atan2", "sinh", "cosh", "tanh", "isnan", "isinf", "isfinite", "gcd", "lcm",
        "factorial", "fdiv", "fmod", "divide", "add", "subtract", "multiply", "mod", "random",
        "bit_count",
        # text
        "lower", "lcase", "upper", "ucase", "length", "len", "char_length", "character_length",
        "strlen", "octet_length", "substr", "substring", "trim", "ltrim", "rtrim", "position",
        "strpos", "instr", "left", "right", "reverse", "split_part", "string_split", "str_split",
        "string_to_array", "split", "regexp_matches", "regexp_full_match", "regexp_extract",
        "regexp_extract_all", "regexp_split_to_array", "starts_with", "prefix", "suffix",
        "ends_with", "contains", "concat", "concat_ws", "translate", "chr", "ascii", "unicode",
        "ord", "md5", "sha1", "sha256", "hash", "levenshtein", "damerau_levenshtein", "hamming",
        "jaro_similarity", "jaro_winkler_similarity", "jaccard", "mismatches", "editdist3",
        "nfc_normalize", "strip_accents", "like_escape", "not_like_escape", "ilike_escape",
        "not_ilike_escape", "array_to_string", "list_aggr", "initcap",
        # dates and times
        "date_trunc", "datetrunc", "date_part", "datepart", "date_diff", "datediff", "date_sub",
        "datesub", "date_add", "age", "year", "month", "day", "dayofmonth", "dayofweek",
        "dayofyear", "week", "weekofyear", "weekday", "yearweek", "quarter", "hour", "minute",
        "second", "millisecond", "microsecond", "epoch", "epoch_ms", "epoch_us", "epoch_ns",
        "isodow", "isoyear", "era", "century", "decade", "millennium", "julian", "make_date",
        "make_time", "make_timestamp", "strftime", "strptime", "try_strptime", "to_timestamp",
        "current_date", "today", "now", "get_current_timestamp", "current_timestamp",
        "get_current_time", "current_time", "transaction_timestamp", "current_localtimestamp",
        "last_day", "monthname", "dayname", "time_bucket", "timezone", "to_days", "to_hours",
        "to_minutes", "to_seconds", "to_milliseconds", "to_microseconds", "to_weeks", "to_months",
        "to_years", "to_centuries", "to_decades", "to_millennia",
        # conditions, nulls, structures
        "coalesce", "ifnull", "nullif", "if", "iff", "typeof", "struct_pack", "row",
        "struct_extract", "list_extract", "array_extract", "list_element", "list_value",
        "list_pack", "array_value", "list_contains", "list_has", "array_contains", "array_has",
        "list_position", "array_position", "list_slice", "array_slice", "array_length", "list_sort",
        "array_sort", "list_reverse_sort", "list_distinct", "array_distinct", "list_unique",
        "array_unique", "list_has_any", "list_has_all", "unnest", "flatten", "list_concat",
        "array_concat", "list_cat", "array_cat", "cardinality",
    }
)  # fmt: skip


@cache
def sqlglot_lists() -> tuple[frozenset[type[exp.Expr]], frozenset[type[exp.Expr]]]:
    """``(nodes, functions)``: sqlglot's expression types a query may hold (functions aside), and
    the functions sqlglot knows by a type of their own that a query may call.

    Made on first use, so that DuckDB's side (the query's worker) and a process that checks no
    query (a notebook's chart) never import sqlglot.
    """
    from sqlglot import exp

    nodes = frozenset(
        {
            # statements and clauses
            exp.Select, exp.Union, exp.Intersect, exp.Except, exp.Subquery, exp.With, exp.CTE,
            exp.TableAlias, exp.From, exp.Join, exp.Table, exp.Where, exp.Group, exp.Having,
            exp.Qualify, exp.Order, exp.Ordered, exp.Limit, exp.Offset, exp.Distinct, exp.Values,
            exp.Rollup, exp.Cube, exp.GroupingSets, exp.TableSample, exp.Window, exp.WindowSpec,
            exp.Filter, exp.IgnoreNulls, exp.RespectNulls, exp.Lateral,
            # names and values
            exp.Star, exp.Column, exp.Identifier, exp.Alias, exp.Literal, exp.Null, exp.Boolean,
            exp.Paren, exp.Tuple, exp.Array, exp.Struct, exp.PropertyEQ, exp.Bracket, exp.Dot,
            exp.Var, exp.DataType, exp.DataTypeParam, exp.Interval, exp.IntervalSpan, exp.Columns,
            exp.Slice,
            # operators
            exp.Cast, exp.TryCast, exp.Case, exp.If, exp.Between, exp.In, exp.Is, exp.Not, exp.And,
            exp.Or, exp.Xor, exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.NullSafeEQ,
            exp.NullSafeNEQ, exp.Like, exp.ILike, exp.SimilarTo, exp.Glob, exp.Add, exp.Sub, exp.Mul,
            exp.Div, exp.IntDiv, exp.Mod, exp.Pow, exp.Neg, exp.BitwiseAnd, exp.BitwiseOr,
            exp.BitwiseXor, exp.BitwiseNot, exp.BitwiseLeftShift, exp.BitwiseRightShift, exp.DPipe,
            exp.Exists, exp.Any, exp.All, exp.Collate, exp.Escape,
        }
    )  # fmt: skip

    functions = frozenset(
        {
            # aggregates
            exp.Count, exp.Sum, exp.Avg, exp.Min, exp.Max, exp.Median, exp.Mode, exp.Stddev,
            exp.StddevPop, exp.StddevSamp, exp.Variance, exp.VariancePop, exp.Quantile,
            exp.PercentileCont, exp.PercentileDisc, exp.ApproxDistinct, exp.ApproxQuantile, exp.First,
            exp.Last, exp.AnyValue, exp.ArgMax, exp.ArgMin, exp.Corr, exp.CovarPop, exp.CovarSamp,
            exp.CountIf, exp.LogicalAnd, exp.LogicalOr, exp.GroupConcat, exp.ArrayAgg, exp.Skewness,
            exp.Kurtosis, exp.BitwiseAndAgg, exp.BitwiseOrAgg, exp.BitwiseXorAgg, exp.RegrCount,
            exp.RegrIntercept, exp.RegrR2, exp.RegrSlope,
            # window functions
            exp.RowNumber, exp.Rank, exp.DenseRank, exp.PercentRank, exp.CumeDist, exp.Ntile, exp.Lag,
            exp.Lead, exp.FirstValue, exp.LastValue, exp.NthValue,
            # numbers
            exp.Abs, exp.Round, exp.Ceil, exp.Floor, exp.Trunc, exp.Sqrt, exp.Cbrt, exp.Exp, exp.Ln,
            exp.Log, exp.Sign, exp.Greatest, exp.Least, exp.Factorial, exp.Pi, exp.Sin, exp.Cos, exp.Tan,
            exp.Cot, exp.Asin, exp.Acos, exp.Atan, exp.Atan2, exp.Sinh, exp.Cosh, exp.Tanh, exp.Degrees,
            exp.Radians, exp.IsNan, exp.IsInf,
            # text
            exp.Lower, exp.Upper, exp.Length, exp.Substring, exp.Trim, exp.StrPosition, exp.Left,
            exp.Right, exp.Reverse, exp.SplitPart, exp.Split, exp.RegexpLike, exp.RegexpExtract,
            exp.RegexpSplit, exp.StartsWith, exp.EndsWith, exp.Contains, exp.Concat, exp.ConcatWs,
            exp.Translate, exp.Chr, exp.Ascii, exp.Unicode, exp.MD5, exp.SHA, exp.SHA2, exp.Levenshtein,
            exp.Initcap, exp.ArrayToString, exp.RegexpExtractAll, exp.RegexpFullMatch,
            exp.JarowinklerSimilarity,
            # dates and times
            exp.TimestampTrunc, exp.DateTrunc, exp.Extract, exp.DateDiff, exp.DateAdd, exp.DateSub,
            exp.Year, exp.Month, exp.Day, exp.DayOfMonth, exp.DayOfWeek, exp.DayOfYear, exp.Week,
            exp.WeekOfYear, exp.Quarter, exp.Hour, exp.Minute, exp.Second, exp.DateFromParts,
            exp.TimeToStr, exp.StrToTime, exp.StrToDate, exp.UnixToTime, exp.CurrentDate,
            exp.CurrentTimestamp, exp.CurrentTime, exp.LastDay, exp.ToDays, exp.Date,
            exp.TimestampFromParts, exp.TimeFromParts, exp.TimeToUnix, exp.DayOfWeekIso, exp.Dayname,
            exp.Monthname, exp.Localtimestamp, exp.DateBin,
            # conditions, nulls, structures
            exp.Coalesce, exp.Nullif, exp.Explode, exp.Unnest, exp.ArraySize, exp.ArrayContains,
            exp.StructExtract, exp.Rand, exp.Typeof, exp.ArrayConcat, exp.ArrayDistinct, exp.ArrayPosition,
            exp.ArraySlice, exp.ArrayOverlaps, exp.Flatten, exp.ArraySort,
        }
    )  # fmt: skip
    return nodes, functions


#: DuckDB's node types (of query nodes, table references, modifiers and orders) a query may hold.
DUCKDB_NODES: frozenset[str] = frozenset(
    {
        "SELECT_NODE", "SET_OPERATION_NODE", "RECURSIVE_CTE_NODE", "CTE_NODE",
        "BASE_TABLE", "JOIN", "SUBQUERY", "EMPTY", "EXPRESSION_LIST",
        "DISTINCT_MODIFIER", "LIMIT_MODIFIER", "LIMIT_PERCENT_MODIFIER", "ORDER_MODIFIER",
        "ASCENDING", "DESCENDING", "ORDER_DEFAULT",
    }
)  # fmt: skip

#: DuckDB's expression classes a query may hold (functions only of :data:`FUNCTIONS`).
DUCKDB_CLASSES: frozenset[str] = frozenset(
    {
        "COLUMN_REF", "CONSTANT", "FUNCTION", "AGGREGATE", "WINDOW", "COMPARISON", "CONJUNCTION",
        "OPERATOR", "CASE", "CAST", "BETWEEN", "STAR", "SUBQUERY", "POSITIONAL_REFERENCE",
        "COLLATE", "TYPE",
    }
)  # fmt: skip

__all__ = ["DUCKDB_CLASSES", "DUCKDB_NODES", "FUNCTIONS", "sqlglot_lists"]
