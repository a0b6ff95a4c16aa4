// The shell: navigation, project picker, theme and auto-refresh toggles, the API key prompt,
// and the pages. Every control is a labelled native element, reachable by keyboard.

import { useEffect, useState, type FormEvent } from 'react';
import { Navigate, NavLink, Route, Routes, useLocation } from 'react-router';
import { AUTH_REQUIRED_EVENT, getApiKey, setApiKey } from './api/client';
import { ProjectPicker } from './components/Pickers';
import { ErrorState } from './components/StatusView';
import { initialTheme, RefreshContext, storeTheme, ThemeContext, useViewState, type Theme } from './state/hooks';
import { ProjectsProvider, useProjects } from './state/projects';
import { AdminPage } from './pages/Admin';
import { ImportPage } from './pages/Import';
import { InvestigatePage } from './pages/Investigate';
import { LlmPage } from './pages/Llm';
import { OverviewPage } from './pages/Overview';
import { QueryPage } from './pages/Query';
import { SourcesPage } from './pages/Sources';

/** How often auto refresh refetches every view. */
export const REFRESH_INTERVAL_MS = 60_000;

const NAV = [
  { to: '/overview', label: 'Overview' },
  { to: '/llm', label: 'LLM operations' },
  { to: '/sources', label: 'Sources' },
  { to: '/query', label: 'Query console' },
  { to: '/investigate', label: 'Investigate' },
  { to: '/import', label: 'Import' },
  { to: '/admin', label: 'Admin' },
];

/** Keeps the shared view state (project, range, source, refresh) when moving between pages. */
function useSharedSearch(): string {
  const { search } = useLocation();
  const shared = new URLSearchParams();
  for (const name of ['project', 'source', 'range', 'start', 'end', 'refresh']) {
    const v = new URLSearchParams(search).get(name);
    if (v) shared.set(name, v);
  }
  const s = shared.toString();
  return s ? `?${s}` : '';
}

function ApiKeyDialog({ onDone, rejected }: { onDone: () => void; rejected: boolean }) {
  const [key, setKey] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!key.trim()) return;
    setApiKey(key.trim());
    onDone();
  };
  return (
    <div className="modal-backdrop">
      <form
        className="modal"
        role="dialog"
        aria-modal="true"
        aria-labelledby="key-title"
        onSubmit={submit}
        data-testid="api-key-dialog"
      >
        <h2 id="key-title">API key needed</h2>
        <p>
          This Tributary server has authentication on. Paste an API key (from your config's <code>auth.keys</code>, made
          with <code>tributary hash-key</code>). It is kept for this browser tab only.
        </p>
        {rejected && (
          <p className="field-error" role="alert">
            The server refused the key that was sent; check it and try again.
          </p>
        )}
        <label>
          API key
          <input
            type="password"
            autoComplete="off"
            autoFocus
            value={key}
            onChange={(e) => setKey(e.target.value)}
            data-testid="api-key-input"
          />
        </label>
        <button type="submit" className="btn btn-primary">
          Use this key
        </button>
      </form>
    </div>
  );
}

function Header({
  theme,
  onTheme,
  onForgetKey,
}: {
  theme: Theme;
  onTheme: (t: Theme) => void;
  onForgetKey: () => void;
}) {
  const [view, setView] = useViewState();
  const search = useSharedSearch();
  const [menuOpen, setMenuOpen] = useState(false);
  return (
    <header className="app-header">
      <a className="brand" href="/overview">
        <img src="/favicon.svg" alt="" width={24} height={24} />
        Tributary
      </a>
      <button
        type="button"
        className="btn menu-toggle"
        aria-expanded={menuOpen}
        aria-controls="main-nav"
        onClick={() => setMenuOpen((v) => !v)}
      >
        Menu
      </button>
      <nav id="main-nav" aria-label="Pages" className={menuOpen ? 'open' : undefined}>
        {NAV.map((n) => (
          <NavLink key={n.to} to={`${n.to}${search}`} onClick={() => setMenuOpen(false)}>
            {n.label}
          </NavLink>
        ))}
      </nav>
      <div className="header-controls">
        <ProjectPicker />
        <label className="toggle">
          <input
            type="checkbox"
            checked={view.autoRefresh}
            onChange={(e) => setView({ autoRefresh: e.target.checked })}
            data-testid="auto-refresh"
          />
          Auto refresh
        </label>
        <button
          type="button"
          className="btn"
          aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}
          onClick={() => onTheme(theme === 'dark' ? 'light' : 'dark')}
          data-testid="theme-toggle"
        >
          {theme === 'dark' ? 'Light' : 'Dark'} theme
        </button>
        {getApiKey() && (
          <button type="button" className="btn" onClick={onForgetKey}>
            Forget key
          </button>
        )}
      </div>
    </header>
  );
}

function Pages() {
  const { error, problem, loading, projects } = useProjects();
  const search = useSharedSearch();
  return (
    <>
      {problem && (
        <div className="banner banner-warning" role="alert">
          {problem}
        </div>
      )}
      {error && !loading && <ErrorState error={error} />}
      {!loading && !error && projects.length === 0 && (
        <div className="banner banner-warning" role="alert">
          This key sees no project; ask an admin for a key with access to one.
        </div>
      )}
      <Routes>
        <Route path="/" element={<Navigate to={`/overview${search}`} replace />} />
        <Route path="/overview" element={<OverviewPage />} />
        <Route path="/llm" element={<LlmPage />} />
        <Route path="/sources" element={<SourcesPage />} />
        <Route path="/sources/:sourceId" element={<SourcesPage />} />
        <Route path="/query" element={<QueryPage />} />
        <Route path="/investigate" element={<InvestigatePage />} />
        <Route path="/import" element={<ImportPage />} />
        <Route path="/admin" element={<AdminPage />} />
        <Route
          path="*"
          element={
            <div className="page">
              <h1>Page not found</h1>
              <p>
                There is no page at this address. <a href="/overview">Go to the overview</a>.
              </p>
            </div>
          }
        />
      </Routes>
    </>
  );
}

export function App() {
  const [theme, setTheme] = useState<Theme>(initialTheme);
  const [view] = useViewState();
  const [tick, setTick] = useState(0);
  const [askKey, setAskKey] = useState(false);
  const [keyRejected, setKeyRejected] = useState(false);
  // Bumped when the key changes: remounts the pages so every view fetches again with it.
  const [session, setSession] = useState(0);

  useEffect(() => storeTheme(theme), [theme]);

  useEffect(() => {
    if (!view.autoRefresh) return;
    const timer = window.setInterval(() => setTick((n) => n + 1), REFRESH_INTERVAL_MS);
    return () => window.clearInterval(timer);
  }, [view.autoRefresh]);

  useEffect(() => {
    const onAuth = () => {
      setKeyRejected(getApiKey() !== null);
      setAskKey(true);
    };
    window.addEventListener(AUTH_REQUIRED_EVENT, onAuth);
    return () => window.removeEventListener(AUTH_REQUIRED_EVENT, onAuth);
  }, []);

  return (
    <ThemeContext.Provider value={theme}>
      <RefreshContext.Provider value={tick}>
        <ProjectsProvider key={session}>
          <a className="skip-link" href="#main">
            Skip to content
          </a>
          <Header
            theme={theme}
            onTheme={setTheme}
            onForgetKey={() => {
              setApiKey(null);
              setSession((n) => n + 1);
            }}
          />
          <main id="main" key={session}>
            <Pages />
          </main>
          {askKey && (
            <ApiKeyDialog
              rejected={keyRejected}
              onDone={() => {
                setAskKey(false);
                setSession((n) => n + 1);
              }}
            />
          )}
        </ProjectsProvider>
      </RefreshContext.Provider>
    </ThemeContext.Provider>
  );
}
