// The result of a query: column names with their types (the API's type and the engine's own),
// NULLs drawn apart from the text "NULL", numbers right-aligned. Long results render the first
// rows and offer the rest on demand (a DOM table of 10,000 x 20 cells is slow to build).

import { useState } from 'react';
import type { QueryColumn } from '../../api/types';
import { formatInt } from '../../format';

/** Rows rendered before "Show all". */
export const INITIAL_ROWS = 500;

const NUMERIC = new Set(['int64', 'double', 'decimal']);

function Cell({ value, numeric }: { value: unknown; numeric: boolean }) {
  if (value === null || value === undefined) {
    return (
      <td className="cell-null" data-null="true">
        <span aria-label="null">NULL</span>
      </td>
    );
  }
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return (
    <td className={numeric ? 'num' : undefined} title={text.length > 60 ? text : undefined}>
      {text}
    </td>
  );
}

export function ResultGrid({ columns, rows }: { columns: QueryColumn[]; rows: unknown[][] }) {
  const [showAll, setShowAll] = useState(false);
  const shown = showAll ? rows : rows.slice(0, INITIAL_ROWS);
  const numeric = columns.map((c) => NUMERIC.has(c.type));
  return (
    <>
      <div className="table-wrap result-wrap">
        <table className="data-table result-grid" data-testid="query-results">
          <caption className="visually-hidden">Query result</caption>
          <thead>
            <tr>
              <th scope="col" className="num row-number">
                #
              </th>
              {columns.map((c, i) => (
                <th key={i} scope="col" className={numeric[i] ? 'num' : undefined} data-testid="query-column">
                  <span className="col-name">{c.name}</span>
                  <span
                    className="col-type"
                    data-testid="query-column-type"
                    title={`API type ${c.type}; the source's type ${c.sourceType}`}
                  >
                    {c.type}
                    {c.sourceType ? ` · ${c.sourceType}` : ''}
                  </span>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {shown.map((row, r) => (
              <tr key={r}>
                <td className="num row-number">{r + 1}</td>
                {columns.map((_, i) => (
                  <Cell key={i} value={row[i]} numeric={numeric[i]} />
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {rows.length > shown.length && (
        <p className="muted result-more">
          Showing the first {formatInt(shown.length)} of {formatInt(rows.length)} rows (the CSV download has all of
          them).{' '}
          <button type="button" className="btn" onClick={() => setShowAll(true)}>
            Show all {formatInt(rows.length)} rows
          </button>
        </p>
      )}
    </>
  );
}
