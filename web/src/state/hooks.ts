// React glue for the shared view state (URL), data fetching with loading/error states, the
// auto-refresh tick and the theme.

import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState } from 'react';
import { useSearchParams } from 'react-router';
import { ApiError } from '../api/client';
import { parseViewState, writeViewState, type ViewState } from './view';

/** The view state from the URL, and a setter that writes a change back (one history entry). */
export function useViewState(): [ViewState, (change: Partial<ViewState>) => void, string[]] {
  const [search, setSearch] = useSearchParams();
  const parsed = useMemo(() => parseViewState(search), [search]);
  const update = useCallback(
    (change: Partial<ViewState>) => {
      setSearch((prev) => writeViewState({ ...parseViewState(prev).state, ...change }, prev));
    },
    [setSearch],
  );
  return [parsed.state, update, parsed.problems];
}

/** One page-specific URL parameter (e.g. the query console's source, the log viewer's page). */
export function useUrlParam(name: string): [string | null, (value: string | null) => void] {
  const [search, setSearch] = useSearchParams();
  const set = useCallback(
    (value: string | null) => {
      setSearch(
        (prev) => {
          const next = new URLSearchParams(prev);
          if (value === null || value === '') next.delete(name);
          else next.set(name, value);
          return next;
        },
        { replace: true },
      );
    },
    [name, setSearch],
  );
  return [search.get(name), set];
}

/** Increments every refresh interval while auto refresh is on; data hooks refetch on change. */
export const RefreshContext = createContext<number>(0);

export function useRefreshTick(): number {
  return useContext(RefreshContext);
}

export interface AsyncState<T> {
  data: T | undefined;
  error: ApiError | Error | undefined;
  /** True while a request is in flight (also during a background refresh with old data shown). */
  loading: boolean;
  /** Runs the request again now. */
  reload: () => void;
}

/**
 * Runs `fetcher` whenever `key` changes (or the refresh tick, or reload()), aborting the previous
 * request. Keeps the last data while a refresh is in flight so views do not flicker.
 */
export function useAsync<T>(key: string | null, fetcher: (signal: AbortSignal) => Promise<T>): AsyncState<T> {
  const tick = useRefreshTick();
  const [manual, setManual] = useState(0);
  const [state, setState] = useState<{ key: string | null; data?: T; error?: ApiError | Error; loading: boolean }>({
    key: null,
    loading: key !== null,
  });
  const fetcherRef = useRef(fetcher);
  fetcherRef.current = fetcher;

  useEffect(() => {
    if (key === null) {
      setState({ key: null, loading: false });
      return;
    }
    const controller = new AbortController();
    setState((prev) => ({ key, loading: true, data: prev.key === key ? prev.data : undefined, error: undefined }));
    fetcherRef
      .current(controller.signal)
      .then((data) => {
        if (!controller.signal.aborted) setState({ key, data, loading: false });
      })
      .catch((error: unknown) => {
        if (controller.signal.aborted) return;
        setState({ key, loading: false, error: error instanceof Error ? error : new Error(String(error)) });
      });
    return () => controller.abort();
  }, [key, tick, manual]);

  const reload = useCallback(() => setManual((n) => n + 1), []);
  const current = state.key === key;
  return {
    data: current ? state.data : undefined,
    error: current ? state.error : undefined,
    loading: current ? state.loading : key !== null,
    reload,
  };
}

export type Theme = 'light' | 'dark';
const THEME_STORAGE = 'tributary.theme';

export function initialTheme(): Theme {
  const fromUrl = new URLSearchParams(window.location.search).get('theme');
  if (fromUrl === 'light' || fromUrl === 'dark') return fromUrl;
  try {
    const stored = localStorage.getItem(THEME_STORAGE);
    if (stored === 'light' || stored === 'dark') return stored;
  } catch {
    // storage disabled: fall through to the system preference
  }
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export function storeTheme(theme: Theme): void {
  try {
    localStorage.setItem(THEME_STORAGE, theme);
  } catch {
    // storage disabled: the theme lasts for this page only
  }
  document.documentElement.dataset.theme = theme;
}

export const ThemeContext = createContext<Theme>('light');

export function useTheme(): Theme {
  return useContext(ThemeContext);
}
