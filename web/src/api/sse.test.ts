import { describe, expect, it } from 'vitest';
import { createSseParser, type SseEvent } from './sse';

/** Feeds `chunks` one by one and collects every event. */
function parse(chunks: string[]): SseEvent[] {
  const p = createSseParser();
  return [...chunks.flatMap((c) => p.push(c)), ...p.end()];
}

const PROGRESS = 'id: 1\nevent: progress\ndata: {"phase":"converting","progress":42.5}\n\n';

describe('SSE parser', () => {
  it('reads id, event and data fields', () => {
    expect(parse([PROGRESS])).toEqual([{ id: '1', event: 'progress', data: '{"phase":"converting","progress":42.5}' }]);
  });

  it('gives the same events whatever the chunk boundaries', () => {
    const stream = `${PROGRESS}id: 2\nevent: complete\ndata: {"rows":3}\n\n`;
    const whole = parse([stream]);
    expect(whole.map((e) => e.event)).toEqual(['progress', 'complete']);
    // Every split into two chunks, and one character at a time.
    for (let i = 1; i < stream.length; i++) expect(parse([stream.slice(0, i), stream.slice(i)])).toEqual(whole);
    expect(parse([...stream])).toEqual(whole);
  });

  it('ignores comments such as the keep-alive heartbeat', () => {
    const events = parse([': keep-alive\n\n', PROGRESS, ':another comment\n', ': keep-alive\n\n']);
    expect(events).toHaveLength(1);
    expect(events[0].event).toBe('progress');
  });

  it('joins multi-line data with newlines and drops one leading space only', () => {
    expect(parse(['data: first\ndata:  second\ndata\ndata:third\n\n'])).toEqual([
      { event: 'message', data: 'first\n second\n\nthird', id: '' },
    ]);
  });

  it('accepts CRLF and CR line ends, also with CRLF split across chunks', () => {
    const crlf = 'id: 7\r\nevent: progress\r\ndata: x\r\n\r\n';
    expect(parse([crlf])).toEqual([{ id: '7', event: 'progress', data: 'x' }]);
    expect(parse(['id: 7\r', '\nevent: progress\r', '\ndata: x\r', '\n\r', '\n'])).toEqual([
      { id: '7', event: 'progress', data: 'x' },
    ]);
    expect(parse(['data: a\rdata: b\r\r'])).toEqual([{ event: 'message', data: 'a\nb', id: '' }]);
  });

  it('keeps the last id for later events and for a reconnect', () => {
    const p = createSseParser();
    const events = p.push('id: 4\ndata: a\n\ndata: b\n\n');
    expect(events.map((e) => e.id)).toEqual(['4', '4']);
    expect(p.lastEventId()).toBe('4');
  });

  it('does not dispatch an event without data, or one cut off by the end of the stream', () => {
    expect(parse(['event: progress\n\n'])).toEqual([]);
    expect(parse(['event: progress\ndata: half'])).toEqual([]);
  });

  it('skips a byte order mark and unknown fields, and reads retry', () => {
    expect(parse(['\uFEFFdata: x\nfoo: bar\nretry: 1500\n\n'])).toEqual([
      { event: 'message', data: 'x', id: '', retry: 1500 },
    ]);
  });

  it('a field without a colon is a field with an empty value', () => {
    expect(parse(['data\n\n'])).toEqual([{ event: 'message', data: '', id: '' }]);
  });
});
