// The recent queries of this tab; a click puts one back in the editor (with its source).

import { formatInt, formatTimestamp } from '../../format';
import { summarizeSql, type HistoryEntry } from './history';

interface HistoryListProps {
  entries: HistoryEntry[];
  onPick: (entry: HistoryEntry) => void;
  onClear: () => void;
}

export function HistoryList({ entries, onPick, onClear }: HistoryListProps) {
  return (
    <section className="panel side-panel" aria-labelledby="query-history-title" data-testid="panel-query-history">
      <header className="panel-header">
        <h2 id="query-history-title">Recent queries</h2>
        {entries.length > 0 && (
          <button type="button" className="btn query-btn-small" onClick={onClear}>
            Clear
          </button>
        )}
      </header>
      <div className="panel-body">
        {entries.length === 0 ? (
          <div className="state state-empty" data-state="empty">
            Queries you run in this tab are listed here.
          </div>
        ) : (
          <ol className="history-list">
            {entries.map((e) => (
              <li key={`${e.source}\u0000${e.sql}`}>
                <button
                  type="button"
                  className="query-link history-sql"
                  onClick={() => onPick(e)}
                  title={e.sql}
                  data-testid="query-history-item"
                >
                  {summarizeSql(e.sql)}
                </button>
                <span className="muted history-meta">
                  {e.source} · {formatTimestamp(e.at).slice(11, 19)} ·{' '}
                  {e.error ? <span className="history-error">{e.error}</span> : `${formatInt(e.rows ?? 0)} rows`}
                </span>
              </li>
            ))}
          </ol>
        )}
      </div>
    </section>
  );
}
