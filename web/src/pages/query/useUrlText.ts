// A text field mirrored into one URL parameter. The field is local state (a controlled input
// must update synchronously, while router updates run as transitions) and reaches the URL a
// moment after typing stops; a URL change from outside (back button, a shared link) wins.

import { useEffect, useRef, useState } from 'react';
import { useUrlParam } from '../../state/hooks';

/** How long typing must pause before the URL is rewritten. */
const URL_DELAY_MS = 300;

export function useUrlText(name: string, toUrl: (text: string) => string | null = (t) => (t.trim() ? t : null)) {
  const [urlValue, setUrlValue] = useUrlParam(name);
  const [text, setText] = useState(urlValue ?? '');
  const written = useRef(urlValue);
  const toUrlRef = useRef(toUrl);
  toUrlRef.current = toUrl;

  useEffect(() => {
    if (urlValue !== written.current) {
      written.current = urlValue;
      setText(urlValue ?? '');
    }
  }, [urlValue]);

  useEffect(() => {
    const timer = window.setTimeout(() => {
      const next = toUrlRef.current(text);
      if (next !== written.current) {
        written.current = next;
        setUrlValue(next);
      }
    }, URL_DELAY_MS);
    return () => window.clearTimeout(timer);
  }, [text, setUrlValue]);

  return [text, setText] as const;
}
