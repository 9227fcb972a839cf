// Sending: each day's kept mines go as one CSV survey file of the province through the ordinary upload route (an
// upload link, then Put Blob), so validation, scoring, the report, withdrawal and events are the pipeline's as for any
// file. A file's state is kept at every step: after a reload, a file with a link is put again under the same name
// (same name, same content: the pipeline counts it once) or, its link expired, asked for by name before a new link is
// taken, so no file is sent twice. The report then gives each mine its outcome; the photos of accepted mines follow.
import { COLUMNS } from './checks.js';
import * as store from './store.js';

const REPORT_WAIT_MS = 120_000;

function csvOf(members) {
  const cell = (v) => `"${String(v ?? '').replace(/"/g, '""')}"`;
  const lines = [COLUMNS.map((c) => c.key).join(',')];
  for (const entry of members) lines.push(COLUMNS.map((c) => cell(entry.values[c.key])).join(','));
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

async function device() {
  let id = await store.meta('device');
  if (!id) { id = store.newId().replace(/-/g, '').slice(0, 6); await store.setMeta('device', id); }
  return id;
}

/** Each day's kept mines (or only those kept with no signal) into a file of their own (rows from 2, under the header). */
async function makeBatches(province, all) {
  const kept = (await store.entries()).filter((e) => e.state === 'kept' && e.province === province && (all || e.waitsForSignal));
  const byDay = Map.groupBy ? Map.groupBy(kept, (e) => e.day) : kept.reduce((m, e) => m.set(e.day, [...(m.get(e.day) ?? []), e]), new Map());
  const me = await device();
  const made = (await store.batches()).length;
  let n = made;
  for (const [day, members] of byDay) {
    n += 1;
    const batch = {
      id: store.newId(), province, day, fileName: `field-form-${province}-${day}-${me}-${n}.csv`, csv: csvOf(members),
      members: members.map((e) => e.id), state: 'new', createdAt: Date.now(),
    };
    await store.saveBatch(batch, members.map((e, i) => ({ ...e, state: 'sending', batch: batch.id, row: i + 2, problems: [], warnings: [] })));
  }
}

async function call(ctx, path, init = {}) {
  return fetch(ctx.apiBase + path, { ...init, headers: { ...(init.headers ?? {}), ...(await ctx.credentials()) } });
}

/** The file's report, or null while the pipeline has not read it. */
async function report(ctx, batch) {
  const r = await call(ctx, `provinces/${encodeURIComponent(batch.province)}/surveys?blob=${encodeURIComponent(batch.blob)}`, { headers: { 'Cache-Control': 'no-cache' } });
  if (r.status === 404) return null;
  if (!r.ok) throw new Error(`report ${r.status}`);
  return r.json();
}

async function upload(ctx, batch) {
  const linkValid = batch.ticket && Date.parse(batch.ticket.expiresOn) - Date.now() > 60_000;
  if (batch.blob && !linkValid && (await report(ctx, batch))) {
    batch.state = 'uploaded';
    await store.putBatch(batch);
    return;
  }
  if (!linkValid) {
    const r = await call(ctx, `provinces/${encodeURIComponent(batch.province)}/uploads`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ fileName: batch.fileName }),
    });
    if (!r.ok) throw Object.assign(new Error(`upload link ${r.status}`), { answer: await r.json().catch(() => ({})) });
    batch.ticket = await r.json();
    batch.blob = batch.ticket.blob;
    await store.putBatch(batch);
  }
  const put = await fetch(batch.ticket.uploadUrl, {
    method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob', 'x-ms-blob-content-type': 'text/csv; charset=utf-8' },
    body: new Blob([batch.csv], { type: 'text/csv' }),
  });
  if (!put.ok) throw new Error(`put ${put.status}`);
  batch.state = 'uploaded';
  await store.putBatch(batch);
}

/** Each mine of the file gets its outcome from the report: rejected with its reasons, or accepted with any warnings. */
async function settle(batch, answer) {
  const all = await store.entries();
  const members = all.filter((e) => e.batch === batch.id);
  const byRow = (list) => (list ?? []).reduce((m, e) => m.set(e.row, [...(m.get(e.row) ?? []), e]), new Map());
  const errors = byRow(answer.errors);
  const warnings = byRow(answer.warnings);
  const settled = members.map((e) => {
    if (answer.status === 'rejected') return { ...e, state: 'rejected', problems: [{ message: answer.error, messageFa: answer.errorFa }], warnings: [] };
    const own = errors.get(e.row) ?? [];
    return { ...e, state: own.length ? 'rejected' : 'accepted', survey: answer.id, problems: own, warnings: warnings.get(e.row) ?? [] };
  });
  batch.state = 'reported';
  batch.surveyId = answer.id;
  batch.reportStatus = answer.status;
  delete batch.csv;
  await store.saveBatch(batch, settled);
}

async function awaitReport(ctx, batch) {
  const until = Date.now() + REPORT_WAIT_MS;
  while (Date.now() < until) {
    const answer = await report(ctx, batch);
    if (answer && !['processing', 'withdrawing'].includes(answer.status)) { await settle(batch, answer); return; }
    ctx.refresh();
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** The accepted mines with photos not yet stored: one read of the entries and one of the photos. */
async function photosToSend() {
  const byEntry = await store.photosByEntry();
  return (await store.entries()).filter((e) => e.state === 'accepted')
    .map((entry) => ({ entry, photos: (byEntry.get(entry.id) ?? []).filter((p) => p.state === 'kept') })).filter((x) => x.photos.length > 0);
}

/** The photos of accepted mines: each stored once (its number within the mine makes a second put replace, not add). */
async function sendPhotos(ctx) {
  for (const { entry, photos } of await photosToSend()) {
    for (const photo of photos) {
      const mineId = String(entry.values.mine_id).trim();
      const r = await call(ctx, `provinces/${encodeURIComponent(entry.province)}/surveys/${encodeURIComponent(entry.survey)}/mines/${encodeURIComponent(mineId)}/photos/${photo.number}`, {
        method: 'PUT', headers: { 'content-type': 'image/jpeg' }, body: photo.blob,
      });
      if (r.ok) await store.putPhoto({ ...photo, state: 'sent', blob: null });
      else if (r.status >= 400 && r.status < 500 && r.status !== 401 && r.status !== 429) {
        const answer = await r.json().catch(() => ({}));
        await store.putPhoto({ ...photo, state: 'refused', reason: { message: answer.detail, messageFa: answer.detailFa } });
      } else throw new Error(`photo ${r.status}`);
      ctx.refresh();
    }
  }
}

/** Whether anything would be sent: mines kept (all of them, or those kept with no signal), files under way, photos of accepted mines. */
async function waiting(all) {
  const entries = await store.entries();
  if (entries.some((e) => e.state === 'kept' && (all || e.waitsForSignal))) return true;
  if ((await store.batches()).some((b) => b.state !== 'reported')) return true;
  return (await photosToSend()).length > 0;
}

/**
 * Sends what is waiting: new files for the mines kept (`all`, or only those kept with no signal), files not yet
 * stored, reports not yet read, photos not yet stored. Any failure leaves everything as it was, for the next try.
 */
export async function sendAll(ctx, { all }) {
  if (ctx.busy || !(await waiting(all))) return;
  ctx.busy = true;
  try {
    const province = ctx.province();
    if (!province) { ctx.say('noProvince'); return; }
    // A sign-in to renew is asked for before anything is put in a file: the mines stay as they were, kept.
    await ctx.credentials();
    await makeBatches(province, all);
    ctx.refresh();
    for (const batch of (await store.batches()).filter((b) => b.state !== 'reported')) {
      if (batch.state === 'new') await upload(ctx, batch);
      ctx.refresh();
      await awaitReport(ctx, batch);
      ctx.refresh();
    }
    await sendPhotos(ctx);
    ctx.say(null);
  } catch (error) {
    console.warn('field form: sending stopped', error);
    ctx.say(error?.signInNeeded ? 'signInAgain' : 'noSignal', error?.answer);
  } finally {
    ctx.busy = false;
    ctx.refresh();
  }
}
