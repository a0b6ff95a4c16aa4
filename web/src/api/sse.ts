// A Server-Sent Events parser (the WHATWG "event stream" format) for streams read with fetch():
// EventSource cannot send the Authorization header, so the page reads the stream itself and
// feeds the decoded text here chunk by chunk. Pure: no I/O, unit-tested in sse.test.ts.

/** One dispatched event. */
export interface SseEvent {
  /** The `event:` field; "message" when the event has none. */
  event: string;
  /** The `data:` lines joined with "\n". */
  data: string;
  /** The last `id:` seen so far (ids persist across events, as in EventSource); "" when none. */
  id: string;
  /** The `retry:` field in milliseconds, when this event carried one. */
  retry?: number;
}

export interface SseParser {
  /** Feeds decoded text (any split: mid-line, mid-CRLF); returns the events it completed. */
  push(chunk: string): SseEvent[];
  /** The stream ended: an event without its closing blank line is dropped, as the spec says. */
  end(): SseEvent[];
  /** The last event id seen (for a reconnect's Last-Event-ID). */
  lastEventId(): string;
}

export function createSseParser(): SseParser {
  let buffer = '';
  let first = true;
  // A chunk that ended with "\r": a "\n" starting the next chunk belongs to the same line end.
  let pendingCr = false;
  let data: string[] = [];
  let event = '';
  let lastId = '';
  let retry: number | undefined;

  const dispatch = (out: SseEvent[]) => {
    if (data.length > 0) {
      const e: SseEvent = { event: event || 'message', data: data.join('\n'), id: lastId };
      if (retry !== undefined) e.retry = retry;
      out.push(e);
    }
    data = [];
    event = '';
    retry = undefined;
  };

  const line = (text: string, out: SseEvent[]) => {
    if (text === '') {
      dispatch(out);
      return;
    }
    if (text.startsWith(':')) return; // a comment, e.g. ": keep-alive"
    const colon = text.indexOf(':');
    const field = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        data.push(value);
        break;
      case 'event':
        event = value;
        break;
      case 'id':
        if (!value.includes('\0')) lastId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) retry = Number(value);
        break;
      default:
        break; // unknown fields are ignored
    }
  };

  return {
    push(chunk: string): SseEvent[] {
      const out: SseEvent[] = [];
      let text = chunk;
      if (pendingCr && text.startsWith('\n')) text = text.slice(1);
      pendingCr = false;
      if (first && text.length > 0) {
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        first = false;
      }
      buffer += text;
      let start = 0;
      for (let i = 0; i < buffer.length; i++) {
        const c = buffer[i];
        if (c !== '\n' && c !== '\r') continue;
        line(buffer.slice(start, i), out);
        if (c === '\r') {
          if (i + 1 < buffer.length) {
            if (buffer[i + 1] === '\n') i++;
          } else {
            pendingCr = true;
          }
        }
        start = i + 1;
      }
      buffer = buffer.slice(start);
      return out;
    },
    end(): SseEvent[] {
      buffer = '';
      data = [];
      event = '';
      retry = undefined;
      return [];
    },
    lastEventId: () => lastId,
  };
}
