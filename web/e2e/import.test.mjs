// The import page in a real browser against the real binary (demo project): a CSV (a quoted
// comma, non-ASCII text and file name) and a two-sheet XLSX with a date column are uploaded
// through the file input, previewed (the API's detected columns), edited (a rename, a type),
// imported until complete, listed with the API's row count, queried through "Query it", and
// deleted through the list's confirmation dialog. Also: an empty file shows the API's error,
// and a type that does not convert fails the import with the line and column.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PHONE, api, openPage, screenshot, startDemoAndBrowser, waitForSettled, waitForValue } from './harness.mjs';

let server;
let browser;
let stop;
const files = mkdtempSync(path.join(tmpdir(), 'trib-e2e-import-'));
const PROJECT = 'demo';
const CSV_SOURCE = 'e2e_import_csv';
const XLSX_SOURCE = 'e2e_import_xlsx';
const BAD_SOURCE = 'e2e_import_bad';
const SKIP_SOURCE = 'e2e_import_skip';
/** An import runs a conversion on the server: allow it time on a busy machine. */
const IMPORT_TIMEOUT = 120_000;

/** Removes sources a previous run left in the shared demo data folder. */
async function removeLeftovers() {
  const listed = (await api(server, '/api/v1/sources')).json?.sources ?? [];
  for (const s of listed) {
    if ([CSV_SOURCE, XLSX_SOURCE, BAD_SOURCE, SKIP_SOURCE, 'e2e_import_phone'].includes(s.id)) {
      await api(server, `/api/v1/sources/${s.id}`, { method: 'DELETE' });
    }
  }
}

before(async () => {
  ({ server, browser, stop } = await startDemoAndBrowser());
  await removeLeftovers();
});
after(async () => {
  if (server) await removeLeftovers().catch(() => undefined);
  await stop?.();
});

// ---- a minimal XLSX writer: a zip archive of stored (uncompressed) entries ----

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A zip archive of `entries` ({name: text}), every entry stored. */
function zip(entries) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const [name, text] of Object.entries(entries)) {
    const nameBuf = Buffer.from(name, 'utf8');
    const data = Buffer.from(text, 'utf8');
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt16LE(0, 10); // time
    local.writeUInt16LE(0x21, 12); // date 1980-01-01
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(0, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBuf.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBuf, data);
    centrals.push(central, nameBuf);
    offset += local.length + nameBuf.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(entries).length, 8);
  end.writeUInt16LE(Object.keys(entries).length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

const NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const colName = (i) => String.fromCharCode(65 + i);
/** Days since 1899-12-30: Excel's serial number of a date. */
const excelSerial = (iso) => (Date.parse(`${iso}T00:00:00Z`) - Date.UTC(1899, 11, 30)) / 86_400_000;

/** A sheet's XML: strings inline, numbers as numbers, {date} cells as serials in style 1 (a date format). */
function sheetXml(rows) {
  const cells = (row, r) =>
    row
      .map((v, i) => {
        const ref = `${colName(i)}${r}`;
        if (typeof v === 'number') return `<c r="${ref}"><v>${v}</v></c>`;
        if (v && typeof v === 'object') return `<c r="${ref}" s="1"><v>${excelSerial(v.date)}</v></c>`;
        return `<c r="${ref}" t="inlineStr"><is><t>${esc(v)}</t></is></c>`;
      })
      .join('');
  const body = rows.map((row, i) => `<row r="${i + 1}">${cells(row, i + 1)}</row>`).join('');
  return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="${NS}"><sheetData>${body}</sheetData></worksheet>`;
}

/** A workbook with the sheets {name: rows}. */
function xlsx(sheets) {
  const names = Object.keys(sheets);
  const ct = 'application/vnd.openxmlformats-officedocument.spreadsheetml';
  const entries = {
    '[Content_Types].xml':
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
      `<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
      `<Default Extension="xml" ContentType="application/xml"/>` +
      `<Override PartName="/xl/workbook.xml" ContentType="${ct}.sheet.main+xml"/>` +
      `<Override PartName="/xl/styles.xml" ContentType="${ct}.styles+xml"/>` +
      names
        .map((_, i) => `<Override PartName="/xl/worksheets/sheet${i + 1}.xml" ContentType="${ct}.worksheet+xml"/>`)
        .join('') +
      `</Types>`,
    '_rels/.rels':
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
      `<Relationship Id="rId1" Type="${REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
    'xl/workbook.xml':
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="${NS}" xmlns:r="${REL}"><sheets>` +
      names.map((n, i) => `<sheet name="${esc(n)}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`).join('') +
      `</sheets></workbook>`,
    'xl/_rels/workbook.xml.rels':
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
      names
        .map((_, i) => `<Relationship Id="rId${i + 1}" Type="${REL}/worksheet" Target="worksheets/sheet${i + 1}.xml"/>`)
        .join('') +
      `<Relationship Id="rId${names.length + 1}" Type="${REL}/styles" Target="styles.xml"/></Relationships>`,
    'xl/styles.xml':
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet xmlns="${NS}">` +
      `<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>` +
      `<fills count="1"><fill><patternFill patternType="none"/></fill></fills>` +
      `<borders count="1"><border/></borders>` +
      `<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>` +
      `<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>` +
      `<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>` +
      `</styleSheet>`,
  };
  names.forEach((n, i) => (entries[`xl/worksheets/sheet${i + 1}.xml`] = sheetXml(sheets[n])));
  return zip(entries);
}

// ---- page helpers ----

/** Opens the import page of the demo project and waits for the file input and the list. */
async function openImport(opts = {}, search = '') {
  const opened = await openPage(browser, opts);
  await opened.page.goto(`${server.url}/import?project=${PROJECT}${search}`);
  await opened.page.getByTestId('import-file').waitFor();
  await waitForSettled(opened.page);
  return opened;
}

/** Uploads `file` through the file input with `name` as the source name; waits for the preview. */
async function uploadThroughPage(page, file, name) {
  await page.getByTestId('import-file').setInputFiles(file);
  assert.match(await page.getByTestId('import-chosen').textContent(), new RegExp(path.basename(file)));
  await page.getByTestId('import-source-name').fill(name);
  await page.getByTestId('import-upload').click();
  const preview = page.getByTestId('import-preview');
  await preview.waitFor({ timeout: IMPORT_TIMEOUT });
  const id = await preview.getAttribute('data-import-id');
  assert.match(id, /^imp_/);
  // The import's id is in the URL, so a reload comes back to this preview.
  assert.equal(new URL(page.url()).searchParams.get('import'), id);
  return id;
}

/** The column names (inputs) and types (selects) the preview shows for table `t`. */
async function shownColumns(page, t) {
  const table = page.getByTestId(`import-preview-${t}`);
  const names = await table.locator('thead input').evaluateAll((els) => els.map((e) => e.value));
  const types = await table.locator('thead select').evaluateAll((els) => els.map((e) => e.value));
  return { names, types };
}

/** The preview's body cells of table `t` as text. */
async function previewRows(page, t) {
  return page
    .getByTestId(`import-preview-${t}`)
    .locator('tbody tr')
    .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
}

/** The query console's grid as text, without the row-number column. */
async function gridRows(page) {
  return page
    .getByTestId('query-results')
    .locator('tbody tr')
    .evaluateAll((trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].slice(1).map((td) => (td.dataset.null ? null : td.textContent))),
    );
}

async function sourceFromApi(id) {
  const r = await api(server, '/api/v1/sources');
  assert.equal(r.status, 200, r.text);
  return r.json.sources.find((s) => s.id === id);
}

/** Waits for the list row of `id` and checks its row count against GET /api/v1/sources. */
async function checkListed(page, id) {
  const cell = page.getByTestId(`imported-rows-${id}`);
  await cell.waitFor({ timeout: 30_000 });
  await page.getByTestId(`imported-status-${id}`).and(page.locator('[data-status="ready"]')).waitFor();
  const listed = await sourceFromApi(id);
  assert.ok(listed, `GET /api/v1/sources lists ${id}`);
  assert.equal(listed.type, 'import');
  assert.equal(listed.import.status, 'ready');
  assert.equal(await cell.getAttribute('data-value'), String(listed.import.rowCount));
  return listed;
}

/** Follows "Query it" (the `index`th link), runs the prefilled query and compares it with the API. */
async function queryThroughLink(page, id, table, index = 0) {
  await page.getByTestId('import-query-link').nth(index).click();
  await page.waitForURL((url) => new URL(url).pathname === '/query');
  const sql = `SELECT * FROM ${table} LIMIT 100`;
  assert.equal(await waitForValue(page.getByTestId('query-source'), id), id);
  assert.equal(await waitForValue(page.locator('#query-sql'), sql), sql);
  await page.getByTestId('query-run').click();
  await page.getByTestId('query-results').waitFor({ timeout: 30_000 });
  const expected = await api(server, '/api/v1/query', { method: 'POST', body: { source: id, project: PROJECT, sql } });
  assert.equal(expected.status, 200, expected.text);
  const names = await page.getByTestId('query-column').locator('.col-name').allTextContents();
  assert.deepEqual(
    names,
    expected.json.columns.map((c) => c.name),
  );
  const rows = await gridRows(page);
  assert.deepEqual(
    rows,
    expected.json.rows.map((r) => r.map((v) => (v === null ? null : String(v)))),
  );
  return { names, rows, answer: expected.json };
}

// ---- tests ----

test('a CSV: preview with the detected columns, rename and retype, import, list, query it', async () => {
  const file = path.join(files, 'kunden-ümlaut.csv');
  writeFileSync(
    file,
    'id,name,amount,joined\n1,"Smith, Anna",12.5,2026-01-03\n2,Zoë Ærøskøbing,7.25,2026-02-14\n3,Jürgen Müller,100,2026-03-01\n',
  );
  const { page, context, errors } = await openImport();
  await page.getByTestId('import-project').filter({ hasText: PROJECT }).waitFor();
  const id = await uploadThroughPage(page, file, CSV_SOURCE);
  // A reload (the import's id is in the URL) comes back to the same preview.
  await page.reload();
  await page
    .getByTestId('import-preview')
    .and(page.locator(`[data-import-id="${id}"]`))
    .waitFor();

  // The preview is the API's: the same columns and types, the detected dialect.
  const preview = await api(server, `/api/v1/imports/${id}/preview`);
  assert.equal(preview.status, 200, preview.text);
  assert.equal(preview.json.format, 'csv');
  assert.equal(preview.json.filename, 'kunden-ümlaut.csv');
  assert.equal(preview.json.tables.length, 1);
  const apiTable = preview.json.tables[0];
  const shown = await shownColumns(page, 0);
  assert.deepEqual(shown.names, ['id', 'name', 'amount', 'joined']);
  assert.deepEqual(
    shown.names,
    apiTable.columns.map((c) => c.name),
  );
  assert.deepEqual(
    shown.types,
    apiTable.columns.map((c) => c.type),
  );
  assert.equal(shown.types[0], 'BIGINT');
  assert.equal(shown.types[3], 'DATE');
  assert.equal(await page.getByTestId('import-dialect-format').textContent(), 'CSV');
  assert.equal(await page.getByTestId('import-dialect-delimiter').textContent(), 'comma (,)');
  assert.equal(await page.getByTestId('import-dialect-header').textContent(), 'first row');
  assert.equal(await page.getByTestId('import-dialect-encoding').textContent(), 'UTF-8');
  const rows = await previewRows(page, 0);
  assert.deepEqual(
    rows.map((r) => r[1]),
    ['Smith, Anna', 'Zoë Ærøskøbing', 'Jürgen Müller'],
  );
  assert.deepEqual(
    rows,
    apiTable.preview.rows.slice(0, rows.length).map((r) => r.map((v) => (v === null ? 'NULL' : v))),
  );
  await screenshot(page, 'import-preview-light');

  // Rename "name" and import "id" as text.
  await page.getByTestId('import-t0-c1-name').fill('full_name');
  await page.getByTestId('import-t0-c0-type').selectOption('VARCHAR');
  await page.getByTestId('import-confirm').click();

  const done = page.getByTestId('import-complete');
  await done.waitFor({ timeout: IMPORT_TIMEOUT });
  assert.equal(await done.getAttribute('data-rows'), '3');
  assert.equal(await done.getAttribute('data-source'), CSV_SOURCE);
  assert.match(await page.getByTestId('import-rows').textContent(), /^3 rows$/);
  const job = await api(server, `/api/v1/imports/${id}`);
  assert.equal(job.status, 200, job.text);
  assert.equal(job.json.status, 'ready');

  const listed = await checkListed(page, CSV_SOURCE);
  assert.equal(listed.import.rowCount, 3);
  assert.equal(listed.import.filename, 'kunden-ümlaut.csv');
  await waitForSettled(page);
  await screenshot(page, 'import-light');

  const table = job.json.tables[0].name;
  const { names, rows: queried, answer } = await queryThroughLink(page, CSV_SOURCE, table);
  assert.deepEqual(names, ['id', 'full_name', 'amount', 'joined']);
  assert.equal(answer.columns[0].type.toUpperCase().includes('VARCHAR') || answer.columns[0].type === 'string', true);
  assert.deepEqual(queried.map((r) => r[1]).sort(), ['Jürgen Müller', 'Smith, Anna', 'Zoë Ærøskøbing']);
  assert.deepEqual(errors, []);
  await context.close();
});

test('an XLSX with two sheets and a date column: both sheets previewed, imported and queried', async () => {
  const file = path.join(files, 'orders-e2e.xlsx');
  writeFileSync(
    file,
    xlsx({
      Orders: [
        ['order_id', 'customer', 'ordered_on', 'amount'],
        [1, 'Ana, S.A.', { date: '2026-01-03' }, 10.5],
        [2, 'Björk', { date: '2026-02-28' }, 20],
        [3, 'Çelik', { date: '2026-11-30' }, 7.75],
      ],
      Regions: [
        ['region', 'manager'],
        ['north', 'Ødegaard'],
        ['south', 'Núñez'],
      ],
    }),
  );
  const { page, context, errors } = await openImport({ theme: 'dark' });
  const id = await uploadThroughPage(page, file, XLSX_SOURCE);

  const preview = await api(server, `/api/v1/imports/${id}/preview`);
  assert.equal(preview.status, 200, preview.text);
  assert.equal(preview.json.format, 'xlsx');
  assert.deepEqual(
    preview.json.tables.map((t) => t.sheet),
    ['Orders', 'Regions'],
  );
  for (const [i, t] of preview.json.tables.entries()) {
    const shown = await shownColumns(page, i);
    assert.deepEqual(
      shown.names,
      t.columns.map((c) => c.name),
    );
    assert.deepEqual(
      shown.types,
      t.columns.map((c) => c.type),
    );
    assert.equal(await page.getByTestId(`import-t${i}-include`).isChecked(), true);
  }
  assert.equal((await shownColumns(page, 0)).types[2], 'DATE');
  assert.deepEqual(
    (await previewRows(page, 0)).map((r) => r[2]),
    ['2026-01-03', '2026-02-28', '2026-11-30'],
  );
  assert.equal(await page.getByTestId('import-dialect-format').textContent(), 'XLSX');
  await screenshot(page, 'import-preview-dark');

  await page.getByTestId('import-confirm').click();
  const done = page.getByTestId('import-complete');
  await done.waitFor({ timeout: IMPORT_TIMEOUT });
  const job = (await api(server, `/api/v1/imports/${id}`)).json;
  assert.equal(job.status, 'ready');
  assert.equal(job.tables.length, 2);
  assert.equal(await page.getByTestId('import-query-link').count(), 2);

  const listed = await checkListed(page, XLSX_SOURCE);
  assert.equal(listed.import.format, 'xlsx');
  assert.equal(listed.import.tables.length, 2);
  assert.equal(await done.getAttribute('data-rows'), String(listed.import.rowCount));
  await waitForSettled(page);
  await screenshot(page, 'import-dark');

  const { names, answer } = await queryThroughLink(page, XLSX_SOURCE, job.tables[0].name);
  assert.deepEqual(names, ['order_id', 'customer', 'ordered_on', 'amount']);
  assert.deepEqual(
    answer.rows.map((r) => String(r[2]).slice(0, 10)),
    ['2026-01-03', '2026-02-28', '2026-11-30'],
  );
  assert.deepEqual(errors, []);
  await context.close();
});

test('the list searches by name (kept in the URL) and deletes a source after confirmation', async () => {
  const { page, context, errors } = await openImport();
  await page.getByTestId(`imported-name-${XLSX_SOURCE}`).waitFor();
  await page.getByTestId('imported-search').fill('orders-e2e');
  await page.waitForURL((url) => new URL(url).searchParams.get('search') === 'orders-e2e');
  assert.equal(await page.getByTestId(`imported-name-${CSV_SOURCE}`).count(), 0);
  assert.equal(await page.getByTestId(`imported-name-${XLSX_SOURCE}`).count(), 1);

  // A link with the search reproduces the filtered list.
  await page.goto(`${server.url}/import?project=${PROJECT}&search=${encodeURIComponent('kunden')}`);
  await page.getByTestId(`imported-name-${CSV_SOURCE}`).waitFor();
  assert.equal(await page.getByTestId(`imported-name-${XLSX_SOURCE}`).count(), 0);
  assert.equal(await waitForValue(page.getByTestId('imported-search'), 'kunden'), 'kunden');

  for (const id of [CSV_SOURCE, XLSX_SOURCE]) {
    await page.getByTestId('imported-search').fill(id);
    // Keyboard: the dialog's "Keep it" has focus, Escape closes it and nothing is deleted.
    await page.getByTestId(`imported-delete-${id}`).click();
    await page.getByTestId('import-delete-dialog').waitFor();
    await page.keyboard.press('Escape');
    await page.getByTestId('import-delete-dialog').waitFor({ state: 'detached' });
    assert.ok(await sourceFromApi(id), `${id} is still there after Escape`);

    await page.getByTestId(`imported-delete-${id}`).click();
    await page.getByTestId('import-delete-confirm').click();
    await page.getByTestId(`imported-name-${id}`).waitFor({ state: 'detached' });
    assert.match(await page.getByTestId('imported-notice').textContent(), new RegExp(`${id} was deleted`));
    assert.equal(await sourceFromApi(id), undefined, `${id} is gone from GET /api/v1/sources`);
  }
  assert.deepEqual(errors, []);
  await context.close();
});

test('an empty file (dropped on the zone) shows the API error and stays on the file picker', async () => {
  const { page, context, errors } = await openImport();
  // Dropped on the drop zone (the other tests use the file input).
  const dropped = await page.evaluateHandle(() => {
    const dt = new DataTransfer();
    dt.items.add(new File([''], 'empty.csv', { type: 'text/csv' }));
    return dt;
  });
  await page.getByTestId('import-dropzone').dispatchEvent('drop', { dataTransfer: dropped });
  assert.match(await page.getByTestId('import-chosen').textContent(), /empty\.csv · 0 B/);
  await page.getByTestId('import-upload').click();
  const error = page.getByTestId('import-error').locator('[data-state="error"]');
  await error.waitFor({ timeout: 30_000 });
  assert.equal(await error.getAttribute('data-error-code'), 'INVALID_ARGUMENT');
  assert.match(await error.textContent(), /empty/i);
  await page.getByTestId('import-file').waitFor();
  assert.equal(new URL(page.url()).searchParams.get('import'), null);
  // The browser logs the refused upload (400) as a failed request: that is the point.
  assert.deepEqual(
    errors.filter((e) => !/status of 400/.test(e)),
    [],
  );
  await context.close();
});

test('a value that does not convert, past the preview, fails the import with its line; the picker comes back', async () => {
  const file = path.join(files, 'bad-values.csv');
  // 10,000 good rows (the rows the preview reads fit BIGINT), then a bad one on line 10,002.
  const good = Array.from({ length: 10_000 }, (_, i) => `R${i},${i}`).join('\n');
  writeFileSync(file, `code,qty\n${good}\nX,three\n`);
  const { page, context, errors } = await openImport();
  const id = await uploadThroughPage(page, file, BAD_SOURCE);
  // "Detected wrong?": reading it again without a header makes the header line a row.
  await page.getByTestId('import-dialect-form').locator('summary').click();
  await page.getByLabel('First row is the header').uncheck();
  await page.getByTestId('import-reread').click();
  await page.getByTestId('import-dialect-header').filter({ hasText: 'none' }).waitFor();
  const reread = await api(server, `/api/v1/imports/${id}/preview`);
  assert.equal(reread.json.csv.header, false);
  assert.deepEqual(
    (await shownColumns(page, 0)).names,
    reread.json.tables[0].columns.map((c) => c.name),
  );
  assert.deepEqual((await previewRows(page, 0))[0], ['code', 'qty']);
  await page.getByTestId('import-dialect-form').locator('summary').click();
  await page.getByLabel('First row is the header').check();
  await page.getByTestId('import-reread').click();
  await page.getByTestId('import-dialect-header').filter({ hasText: 'first row' }).waitFor();
  assert.deepEqual((await shownColumns(page, 0)).names, ['code', 'qty']);

  await page.getByTestId('import-t0-c1-type').selectOption('BIGINT');
  await page.getByTestId('import-onerror-fail').check();
  await page.getByTestId('import-confirm').click();
  const error = page.getByTestId('import-error').locator('[data-state="error"]');
  await error.waitFor({ timeout: IMPORT_TIMEOUT });
  const code = await error.getAttribute('data-error-code');
  assert.notEqual(code, 'ERROR');
  assert.notEqual(code, 'CANCELLED');
  const text = await error.textContent();
  assert.match(text, /line 10,?002/i, text);
  assert.match(text, /three/, text);
  await page.getByTestId('import-file').waitFor();
  assert.equal(await sourceFromApi(BAD_SOURCE), undefined, 'a failed import registers no source');
  await screenshot(page, 'import-error');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a refused confirm keeps the preview; "skip" imports the rest and lists the rejected rows', async () => {
  const file = path.join(files, 'skip-values.csv');
  writeFileSync(file, 'code,qty\nA,1\nB,2\nC,three\n');
  const { page, context, errors } = await openImport();
  await uploadThroughPage(page, file, SKIP_SOURCE);
  await page.getByTestId('import-t0-c1-type').selectOption('BIGINT');
  await page.getByTestId('import-onerror-fail').check();
  await page.getByTestId('import-confirm').click();
  // The first rows already do not fit: the API refuses the confirm, the preview stays to fix it.
  const refused = page.getByTestId('import-error').locator('[data-state="error"]');
  await refused.waitFor({ timeout: 30_000 });
  assert.equal(await refused.getAttribute('data-error-code'), 'INVALID_ARGUMENT');
  assert.equal(await page.getByTestId('import-t0-c1-type').inputValue(), 'BIGINT');

  await page.getByTestId('import-onerror-skip').check();
  await page.getByTestId('import-confirm').click();
  const done = page.getByTestId('import-complete');
  await done.waitFor({ timeout: IMPORT_TIMEOUT });
  assert.equal(await done.getAttribute('data-rows'), '2');
  const rejected = page.getByTestId('import-rejected');
  assert.equal(await rejected.getAttribute('data-value'), '1');
  const rejects = await page
    .getByTestId('import-rejects')
    .locator('tbody tr')
    .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
  assert.equal(rejects.length, 1);
  assert.equal(rejects[0][0], '4', `the rejected row is line 4: ${rejects[0]}`);
  assert.match(rejects[0][1], /qty/);
  assert.match(rejects[0][2], /three|convert/i);
  await checkListed(page, SKIP_SOURCE);
  // The browser logs the refused confirm (400) as a failed request: that is the point.
  assert.deepEqual(
    errors.filter((e) => !/status of 400/.test(e)),
    [],
  );
  await context.close();
});

test('phone width: the page and the preview fit 390 px; Cancel discards the upload', async () => {
  const { page, context, errors } = await openImport({ viewport: PHONE });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the phone`);
  const input = await page.getByTestId('import-file').boundingBox();
  assert.ok(input && input.x >= 0 && input.x + input.width <= PHONE.width, JSON.stringify(input));
  await screenshot(page, 'import-phone');

  // The preview on a phone: the wide table scrolls inside its box, the page does not.
  const file = path.join(files, 'phone.csv');
  writeFileSync(file, 'a_long_column_name,another_long_column_name,third_column,fourth_column\n1,2,3,4\n');
  const id = await uploadThroughPage(page, file, 'e2e_import_phone');
  const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(wide <= 0, `the preview is ${wide}px wider than the phone`);
  await screenshot(page, 'import-preview-phone');
  // Cancel discards the upload (DELETE /api/v1/imports/{id}) and returns to the picker.
  await page.getByTestId('import-cancel').click();
  await page.getByTestId('import-notice').filter({ hasText: 'discarded' }).waitFor();
  const gone = await api(server, `/api/v1/imports/${id}`);
  assert.ok(gone.status === 404 || gone.json?.status === 'cancelled', gone.text);
  assert.deepEqual(errors, []);
  await context.close();
});
