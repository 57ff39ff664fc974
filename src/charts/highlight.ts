/**
 * Showing a pick on the chart it was made in: the picked marks stay as they
 * are and the others are dimmed (Plotly's `selectedpoints`), or, on a pie,
 * the picked slices are pulled out.
 */
type PlotlyObject = { [key: string]: any };

/**
 * How much of their color unpicked marks keep.
 */
export const DIMMED_OPACITY = 0.3;

/**
 * A value as a key, so that a picked value (as Plotly reports it) and the
 * trace's own value compare equal.
 */
function keyOf(value: unknown): string {
  return value instanceof Date ? value.toISOString() : String(value);
}

/**
 * The traces with the marks whose position (x, or y when `horizontal`; a
 * pie's label) is one of `values` shown as picked. Traces of kinds that
 * cannot show it (heatmaps, maps, tables…) are left as they are; with no
 * values, so is every trace.
 */
export function highlightTraces(
  data: ReadonlyArray<PlotlyObject>,
  values: ReadonlyArray<unknown> | null,
  horizontal: boolean
): PlotlyObject[] {
  if (!values?.length) {
    return [...data];
  }
  const picked = new Set(values.map(keyOf));
  return data.map(trace => {
    if (trace.type === 'pie') {
      const labels: unknown[] = Array.from(trace.labels ?? []);
      return {
        ...trace,
        pull: labels.map(l => (picked.has(keyOf(l)) ? 0.08 : 0))
      };
    }
    if (
      (trace.type !== 'bar' && trace.type !== 'scatter') ||
      trace.meta?.overlay
    ) {
      return trace;
    }
    const along = horizontal ? trace.y : trace.x;
    const positions: unknown[] = Array.from(along ?? []);
    const selected = positions.flatMap((v, i) =>
      picked.has(keyOf(v)) ? [i] : []
    );
    return {
      ...trace,
      selectedpoints: selected,
      selected: { marker: { opacity: 1 } },
      unselected: { marker: { opacity: DIMMED_OPACITY } }
    };
  });
}
