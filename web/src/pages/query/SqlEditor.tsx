// The query editor: a labelled monospace <textarea> where Tab indents (two spaces) and
// Shift+Tab outdents. So that keyboard users are not trapped in it, Escape then Tab leaves it
// as usual (said in the hint under it). Ctrl/Cmd+Enter is handled by the console's form.

import { useImperativeHandle, useLayoutEffect, useRef, type KeyboardEvent, type Ref } from 'react';
import { indent, insertAt, type Edit } from './sql';

export interface SqlEditorHandle {
  /** Inserts text at the cursor (replacing the selection) and focuses the editor. */
  insert(text: string): void;
  focus(): void;
}

interface SqlEditorProps {
  ref?: Ref<SqlEditorHandle>;
  id: string;
  value: string;
  onChange: (text: string) => void;
  placeholder?: string;
  /** The id of the text describing the editor (hint, error). */
  describedBy?: string;
  invalid?: boolean;
}

export function SqlEditor({ ref, id, value, onChange, placeholder, describedBy, invalid }: SqlEditorProps) {
  const el = useRef<HTMLTextAreaElement>(null);
  const pending = useRef<Edit | null>(null);
  const escaped = useRef(false);

  // A programmatic edit puts the cursor where the edit says once React has written the text.
  useLayoutEffect(() => {
    const edit = pending.current;
    if (edit && el.current && el.current.value === edit.text) {
      el.current.setSelectionRange(edit.selectionStart, edit.selectionEnd);
      pending.current = null;
    }
  }, [value]);

  const apply = (edit: Edit) => {
    pending.current = edit;
    onChange(edit.text);
  };

  useImperativeHandle(
    ref,
    () => ({
      insert(text: string) {
        const ta = el.current;
        const start = ta ? ta.selectionStart : value.length;
        const end = ta ? ta.selectionEnd : value.length;
        apply(insertAt(value, start, end, text));
        ta?.focus();
      },
      focus() {
        el.current?.focus();
      },
    }),
    [value, onChange],
  );

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Escape') {
      escaped.current = true;
      return;
    }
    const leave = escaped.current;
    escaped.current = false;
    if (e.key !== 'Tab' || leave || e.ctrlKey || e.altKey || e.metaKey) return;
    e.preventDefault();
    const ta = e.currentTarget;
    apply(indent(ta.value, ta.selectionStart, ta.selectionEnd, e.shiftKey));
  };

  return (
    <textarea
      ref={el}
      id={id}
      className="sql"
      value={value}
      onChange={(e) => onChange(e.target.value)}
      onKeyDown={onKeyDown}
      placeholder={placeholder}
      spellCheck={false}
      autoCapitalize="off"
      autoCorrect="off"
      autoComplete="off"
      rows={8}
      aria-describedby={describedBy}
      aria-invalid={invalid || undefined}
      data-testid="sql-editor"
    />
  );
}
