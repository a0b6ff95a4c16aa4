import { describe, expect, it } from 'vitest';
import { isFinalEvent, readEventStream, uploadUrl, type ImportEvent } from './imports';

/** A real byte stream that delivers `chunks` one read at a time. */
function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++]);
      else controller.close();
    },
  });
}

const enc = new TextEncoder();

describe('the event stream', () => {
  it('decodes UTF-8 split inside a character and passes the JSON events in order', async () => {
    const text =
      ': keep-alive\n\n' +
      'id: 1\nevent: progress\ndata: {"phase":"converting","progress":50,"rowsProcessed":1,"totalRows":2,"etaSeconds":1,"status":"importing"}\n\n' +
      'id: 2\nevent: error\ndata: {"phase":"error","progress":50,"rowsProcessed":1,"totalRows":2,"etaSeconds":null,"status":"error",' +
      '"error":{"code":"INVALID_ARGUMENT","message":"line 3, column 2 (Größe): could not convert \'zwölf\' to BIGINT"}}\n\n';
    const bytes = enc.encode(text);
    // "ö" is two bytes: cut between them, and everywhere in 7-byte pieces.
    const cut = bytes.indexOf(0xc3) + 1;
    const events: ImportEvent[] = [];
    const last = await readEventStream(streamOf([bytes.slice(0, cut), bytes.slice(cut)]), (e) => events.push(e));
    expect(last).toBe('2');
    expect(events.map((e) => [e.type, e.id])).toEqual([
      ['progress', '1'],
      ['error', '2'],
    ]);
    expect(events[1].data.error?.message).toBe("line 3, column 2 (Größe): could not convert 'zwölf' to BIGINT");
    expect(isFinalEvent(events[0])).toBe(false);
    expect(isFinalEvent(events[1])).toBe(true);

    const pieces: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += 7) pieces.push(bytes.slice(i, i + 7));
    const again: ImportEvent[] = [];
    await readEventStream(streamOf(pieces), (e) => again.push(e));
    expect(again).toEqual(events);
  });

  it('skips events whose data is not JSON and keeps the previous id when none came', async () => {
    const events: ImportEvent[] = [];
    const last = await readEventStream(streamOf([enc.encode('data: not json\n\n')]), (e) => events.push(e), '9');
    expect(events).toEqual([]);
    expect(last).toBe('9');
  });
});

describe('the upload URL', () => {
  it('carries project, file name and the optional name and hints', () => {
    expect(uploadUrl({ project: 'demo', filename: 'kunden ü.csv' })).toBe(
      '/api/v1/imports?filename=kunden+%C3%BC.csv&project=demo',
    );
    expect(uploadUrl({ project: 'demo', filename: 'a.csv', name: 'sales', header: false, delimiter: ';' })).toBe(
      '/api/v1/imports?delimiter=%3B&filename=a.csv&header=false&name=sales&project=demo',
    );
  });
});
