// The tables of the chosen source (GET /api/v1/sources/{id}/tables); a click inserts a query
// on the table into the editor.

import { apiGet } from '../../api/client';
import type { TableRef, TablesAnswer } from '../../api/types';
import { EmptyState, ErrorState, Loading } from '../../components/StatusView';
import { useAsync } from '../../state/hooks';
import { tableQuery } from './sql';

interface TableListProps {
  source: string | undefined;
  dialect: string;
  onInsert: (text: string) => void;
}

function tableLabel(t: TableRef): string {
  return t.schema && !['main', 'public', 'default'].includes(t.schema) ? `${t.schema}.${t.name}` : t.name;
}

export function TableList({ source, dialect, onInsert }: TableListProps) {
  const tables = useAsync<TablesAnswer>(source ? `tables:${source}` : null, (signal) =>
    apiGet<TablesAnswer>(`/api/v1/sources/${encodeURIComponent(source ?? '')}/tables`, undefined, signal),
  );
  return (
    <section
      className="panel side-panel"
      aria-labelledby="query-tables-title"
      data-testid="panel-query-tables"
      aria-busy={tables.loading}
    >
      <header className="panel-header">
        <h2 id="query-tables-title">Tables{source ? ` of ${source}` : ''}</h2>
      </header>
      <div className="panel-body">
        {!source ? (
          <EmptyState message="Choose a source to see its tables." />
        ) : tables.error ? (
          <ErrorState error={tables.error} onRetry={tables.reload} />
        ) : !tables.data ? (
          <Loading />
        ) : tables.data.tables.length === 0 ? (
          <EmptyState message="This source has no tables." />
        ) : (
          <>
            <p className="muted hint">Click a table to insert a query on it.</p>
            <ul className="table-list">
              {tables.data.tables.map((t) => (
                <li key={`${t.schema ?? ''}.${t.name}`}>
                  <button
                    type="button"
                    className="query-link"
                    onClick={() => onInsert(tableQuery(t, dialect))}
                    data-testid={`query-table-${t.name}`}
                    title={`Insert: ${tableQuery(t, dialect)}`}
                  >
                    {tableLabel(t)}
                  </button>{' '}
                  <span className="muted">{t.kind}</span>
                </li>
              ))}
            </ul>
          </>
        )}
      </div>
    </section>
  );
}
