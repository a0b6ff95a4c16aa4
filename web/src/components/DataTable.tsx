// A table with sortable columns (click or Enter/Space on a header), used by every tabular view.

import { useMemo, useState, type ReactNode } from 'react';

export interface Column<Row> {
  key: string;
  label: string;
  /** The value sorted on; defaults to row[key]. */
  value?: (row: Row) => unknown;
  render?: (row: Row) => ReactNode;
  align?: 'left' | 'right';
  sortable?: boolean;
}

interface DataTableProps<Row> {
  columns: Column<Row>[];
  rows: Row[];
  /** Accessible name of the table. */
  caption: string;
  rowKey?: (row: Row, index: number) => string;
  initialSort?: { key: string; desc: boolean };
  /** Controlled sort (e.g. kept in the URL): when given, the table shows it and reports clicks. */
  sort?: { key: string; desc: boolean };
  onSortChange?: (sort: { key: string; desc: boolean }) => void;
  testId?: string;
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1;
  if (b === null || b === undefined) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b));
}

export function sortRows<Row>(rows: Row[], column: Column<Row> | undefined, desc: boolean): Row[] {
  if (!column) return rows;
  const get = column.value ?? ((row: Row) => (row as Record<string, unknown>)[column.key]);
  const sorted = [...rows].sort((x, y) => compare(get(x), get(y)));
  return desc ? sorted.reverse() : sorted;
}

export function DataTable<Row>(props: DataTableProps<Row>) {
  const { columns, rows, caption, rowKey, initialSort, testId, onSortChange } = props;
  const [ownSort, setOwnSort] = useState<{ key: string; desc: boolean } | undefined>(initialSort);
  const sort = props.sort ?? ownSort;
  const setSort = (next: { key: string; desc: boolean }) => {
    setOwnSort(next);
    onSortChange?.(next);
  };
  const sorted = useMemo(
    () =>
      sortRows(
        rows,
        columns.find((c) => c.key === sort?.key),
        sort?.desc ?? false,
      ),
    [rows, columns, sort],
  );
  return (
    <div className="table-wrap">
      <table className="data-table" data-testid={testId}>
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => {
              const active = sort?.key === c.key;
              const ariaSort = active ? (sort.desc ? 'descending' : 'ascending') : 'none';
              return (
                <th
                  key={c.key}
                  scope="col"
                  aria-sort={c.sortable === false ? undefined : ariaSort}
                  className={c.align === 'right' ? 'num' : undefined}
                >
                  {c.sortable === false ? (
                    c.label
                  ) : (
                    <button
                      type="button"
                      className="sort-button"
                      onClick={() => setSort({ key: c.key, desc: active ? !sort.desc : true })}
                    >
                      {c.label}
                      <span aria-hidden="true">{active ? (sort.desc ? ' ▼' : ' ▲') : ''}</span>
                    </button>
                  )}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {sorted.map((row, i) => (
            <tr key={rowKey ? rowKey(row, i) : i}>
              {columns.map((c) => (
                <td key={c.key} className={c.align === 'right' ? 'num' : undefined}>
                  {c.render ? c.render(row) : String((row as Record<string, unknown>)[c.key] ?? '–')}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
