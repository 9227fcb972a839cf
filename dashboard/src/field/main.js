// The surveyors' field form (/api/field): one mine at a time, checked on the phone with the contract's rules, kept in
// IndexedDB with no signal at all, sent as the day's survey file when a signal returns. Bundled by build.mjs into
// dist/field.js; the service worker (field-worker.js) keeps the page and its files for offline use.
import { COLUMNS, check, choiceOf, today } from './checks.js';
import { shrink } from './photos.js';
import { sendAll } from './send.js';
import * as store from './store.js';
import { TEXT } from './text.js';

/* global PROVINCE_EXTENTS */
const $ = (s) => document.querySelector(s);
const apiBase = location.pathname.replace(/field\/?$/, '');
const KEY_STORE = 'mineingest-province-key';
const LANG_STORE = 'mineingest-field-lang';
const PROVINCE_STORE = 'mineingest-field-province';
let lang = localStorage.getItem(LANG_STORE) === 'en' ? 'en' : 'fa';
let limits = { accuracyWarningMeters: 50, photosPerMine: 5, photoLongestSide: 1600 };
let session = { enabled: false, headers: async () => ({}), draw: () => {} };
let draft = { id: store.newId(), values: {}, editing: false };
let problems = {};
let notice = null;
const position = { text: '', warnings: [] };

/** Persian digits and decimal mark (۳۹٫۸) in Persian, Latin in English. */
const digits = (v) => (lang === 'fa' ? String(v).replace(/[0-9]/g, (d) => '۰۱۲۳۴۵۶۷۸۹'[d]).replace(/\./g, '٫') : String(v));
const t = (key, ...args) => { const v = TEXT[lang][key]; return typeof v === 'function' ? v(...args) : v ?? key; };
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? '' : v);
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
};
const header = (column) => (lang === 'fa' ? column.persian : column.english);
const choiceName = (c) => (lang === 'fa' ? c.persian : c.english);
const keyProvince = () => { const k = localStorage.getItem(KEY_STORE) || ''; return /^[a-z-]+\.[0-9a-f]+\.[A-Za-z0-9_-]+$/.test(k) ? k.split('.')[0] : null; };
/** The province the surveyor sends for: their sign-in's role (kept for days with no signal), or their key's. */
const myProvince = () => (session.enabled ? session.me?.provinces?.[0] ?? localStorage.getItem(PROVINCE_STORE) : keyProvince());
const provinceName = (slug) => { const c = COLUMNS.find((x) => x.key === 'province').choices.find((p) => p.slug === slug); return c ? choiceName(c) : slug; };
const message = (p) => (!Array.isArray(p) ? ''
  : p[0] === 'ownProvince' ? t('ownProvince', provinceName(p[1]))
    : t(...p.map((a, i) => (i > 0 && typeof a === 'number' ? digits(a) : a))));

const context = {
  apiBase, busy: false, province: myProvince, refresh: () => drawEntries(),
  credentials: async () => (session.enabled ? session.headers() : { 'x-province-key': localStorage.getItem(KEY_STORE) || '' }),
  say: (key, answer) => { notice = key ? { key, answer } : null; drawEntries(); },
};

function control(column) {
  const id = `f-${column.key}`;
  const common = { id, name: column.key, 'data-testid': `field-${column.key}`, 'aria-describedby': `${id}-error`, 'aria-invalid': problems[column.key] ? 'true' : 'false' };
  if (column.kind === 'choice') {
    const select = el('select', common, el('option', { value: '' }, '—'), ...column.choices.map((c) => el('option', { value: c.slug }, choiceName(c))));
    select.value = choiceOf(column, draft.values[column.key] ?? '')?.slug ?? '';
    return select;
  }
  const numeric = ['number', 'whole', 'year'].includes(column.kind);
  const input = column.key === 'notes' ? el('textarea', common) : el('input', { ...common, type: 'text', inputmode: numeric ? 'decimal' : undefined, autocomplete: 'off' });
  if (column.kind === 'date') input.placeholder = today(lang === 'fa' ? 'jalali' : 'gregorian');
  input.value = draft.values[column.key] ?? '';
  return input;
}

function drawForm() {
  const nodes = COLUMNS.map((column) => {
    const required = column.required.always;
    const label = el('label', { for: `f-${column.key}` }, header(column), required ? el('span', { class: 'required', 'aria-hidden': 'true' }, ' *') : null);
    const input = control(column);
    if (required) input.setAttribute('aria-required', 'true');
    const field = el('div', { class: 'field' }, label, input, el('p', { class: 'error', id: `f-${column.key}-error`, 'data-testid': `error-${column.key}` }, message(problems[column.key])));
    if (column.key === 'longitude') {
      const button = el('button', { type: 'button', class: 'locate', 'data-testid': 'locate' }, t('locate'));
      button.addEventListener('click', locate);
      field.append(button, el('p', { class: 'note', 'data-testid': 'accuracy', 'aria-live': 'polite' }, position.text),
        ...position.warnings.map((w) => el('p', { class: 'note warn', 'data-testid': 'location-warning' }, message(w))));
    }
    return field;
  });
  $('#fields').replaceChildren(...nodes);
  const count = Object.keys(problems).length;
  $('#form-problem').textContent = count ? t('fix', digits(count)) : draft.editing ? t('editing') : '';
  $('#photos-help').textContent = t('photosHelp', digits(limits.photosPerMine), digits(limits.photoLongestSide));
}

function readForm() {
  const values = {};
  for (const column of COLUMNS) {
    const node = document.getElementById(`f-${column.key}`);
    if (node && node.value.trim() !== '') values[column.key] = node.value;
  }
  return values;
}

async function saveDraft() { draft.values = readForm(); await store.setMeta('draft', draft); }

/** Fills latitude and longitude from the phone; warns (keeps them) when the fix is poor or lies outside the province chosen. */
function locate() {
  position.text = t('locating'); position.warnings = []; drawForm();
  navigator.geolocation.getCurrentPosition(async (p) => {
    draft.values = { ...readForm(), latitude: p.coords.latitude.toFixed(6), longitude: p.coords.longitude.toFixed(6) };
    const metres = Math.round(p.coords.accuracy);
    position.text = t('accuracy', digits(metres));
    if (metres > limits.accuracyWarningMeters) position.warnings.push(['inaccurate', metres, limits.accuracyWarningMeters]);
    const slug = choiceOf(COLUMNS.find((c) => c.key === 'province'), draft.values.province ?? '')?.slug ?? myProvince();
    const box = PROVINCE_EXTENTS[slug];
    const { latitude: y, longitude: x } = p.coords;
    if (box && (y < box.south - 0.1 || y > box.north + 0.1 || x < box.west - 0.1 || x > box.east + 0.1)) position.warnings.push(['outsideProvince', provinceName(slug)]);
    draft.position = { accuracy: metres, at: p.timestamp };
    await store.setMeta('draft', draft);
    drawForm();
  }, () => { position.text = t('noLocation'); drawForm(); }, { enableHighAccuracy: true, timeout: 30_000, maximumAge: 0 });
}

async function keep(event) {
  event.preventDefault();
  const values = readForm();
  const all = await store.entries();
  const unsent = all.filter((e) => e.id !== draft.id && e.state === 'kept');
  problems = check(values, { province: myProvince(), otherMineIds: unsent.map((e) => e.values.mine_id ?? '') });
  if (Object.keys(problems).length) {
    draft.values = values; drawForm();
    document.getElementById(`f-${Object.keys(problems)[0]}`)?.focus();
    return;
  }
  const previous = all.find((e) => e.id === draft.id);
  const now = new Date();
  const entry = {
    id: draft.id, createdAt: previous?.createdAt ?? Date.now(), values, position: draft.position ?? null, state: 'kept', problems: [], warnings: [],
    day: `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`,
    province: choiceOf(COLUMNS.find((c) => c.key === 'province'), values.province).slug,
    // Kept with no signal: it goes by itself as soon as there is one; one kept with a signal waits for "Send now", so
    // that the day's mines go as one file.
    waitsForSignal: !navigator.onLine || (previous?.waitsForSignal ?? false),
  };
  await store.putEntry(entry);
  await newDraft();
  drawEntries();
  if (navigator.onLine) serverCheck(entry);
}

/** With a signal, the entry is also checked by the validate route and the service's answer shown with it. */
async function serverCheck(entry) {
  try {
    const r = await fetch(`${apiBase}provinces/${encodeURIComponent(entry.province)}/validate`, {
      method: 'POST', headers: { 'content-type': 'application/json', ...(await context.credentials()) }, body: JSON.stringify({ rows: [{ row: 2, values: entry.values }] }),
    });
    if (!r.ok) return;
    const [row] = (await r.json()).rows;
    const current = (await store.entries()).find((e) => e.id === entry.id);
    if (current) { await store.putEntry({ ...current, checked: row }); drawEntries(); }
  } catch { /* no signal after all: the report will say */ }
}

async function newDraft() {
  draft = { id: store.newId(), values: { province: myProvince() === 'national' ? '' : myProvince() ?? '', survey_date: today(lang === 'fa' ? 'jalali' : 'gregorian') }, editing: false };
  problems = {}; position.text = ''; position.warnings = [];
  await store.setMeta('draft', draft);
  drawForm(); drawThumbs();
}

async function addPhotos(files) {
  $('#photos-error').textContent = '';
  const kept = await store.photosOf(draft.id);
  const have = kept.length;
  let number = Math.max(0, ...kept.map((p) => p.number));
  for (const [i, file] of files.entries()) {
    if (have + i >= limits.photosPerMine) { $('#photos-error').textContent = t('tooManyPhotos', digits(limits.photosPerMine)); break; }
    const made = await shrink(file, limits.photoLongestSide);
    if (!made) { $('#photos-error').textContent = t('notAPhoto', file.name); continue; }
    number += 1;
    await store.putPhoto({ id: store.newId(), entry: draft.id, number, blob: made.blob, width: made.width, height: made.height, state: 'kept' });
  }
  await saveDraft();
  drawThumbs();
}

async function drawThumbs() {
  const photos = await store.photosOf(draft.id);
  $('#thumbs').replaceChildren(...photos.map((p) => {
    const remove = el('button', { type: 'button', 'aria-label': t('removePhoto', digits(p.number)) }, '×');
    remove.addEventListener('click', async () => { await store.removePhoto(p.id); drawThumbs(); });
    const img = el('img', { alt: t('photo', digits(p.number)), 'data-testid': 'thumb', 'data-width': p.width, 'data-height': p.height });
    if (p.blob) img.src = URL.createObjectURL(p.blob);
    return el('div', { class: 'thumb' }, img, remove);
  }));
}

const outcomeList = (title, list) => (list?.length ? [el('p', {}, title), el('ul', {}, ...list.map((e) => el('li', { 'data-testid': 'reason' },
  (lang === 'fa' ? e.fieldNameFa : e.fieldName) ? `${lang === 'fa' ? e.fieldNameFa : e.fieldName}: ` : '', lang === 'fa' ? e.messageFa || e.message : e.message)))] : []);

async function drawEntries() {
  const all = await store.entries();
  const waiting = all.filter((e) => e.state === 'kept' || e.state === 'sending').length;
  const ready = document.body.dataset.offlineReady === 'true' ? ` ${t('offlineReady')}` : '';
  $('#connection').textContent = `${navigator.onLine ? t('online') : t('offline')}${ready}`;
  $('#connection').classList.toggle('offline', !navigator.onLine);
  const noticeText = notice ? `${t(notice.key)}${notice.answer?.detail ? ` ${lang === 'fa' ? notice.answer.detailFa || notice.answer.detail : notice.answer.detail}` : ''}` : '';
  $('#send-state').textContent = noticeText || (waiting ? t('waiting', digits(waiting)) : all.length ? t('allSent') : '');
  const photosOf = await store.photosByEntry();
  const items = [];
  for (const e of all) {
    const photos = photosOf.get(e.id) ?? [];
    const sent = photos.filter((p) => p.state === 'sent').length;
    const li = el('li', { 'data-testid': 'entry', 'data-state': e.state, 'data-mine': e.values.mine_id, 'data-photos-sent': sent },
      el('p', {}, el('b', {}, `${e.values.mine_id} · ${e.values.mine_name ?? ''}`), ' ', el('span', { class: 'state', 'data-testid': 'entry-state' }, t(e.state))),
      photos.length ? el('p', { class: 'muted', 'data-testid': 'entry-photos' }, t('photoCount', digits(photos.length), sent ? digits(sent) : 0)) : null,
      ...outcomeList(t('reasons'), e.problems), ...outcomeList(t('warnings'), e.warnings),
      ...photos.filter((p) => p.state === 'refused').map((p) => el('p', { class: 'error' }, `${t('photo', digits(p.number))}: ${t('photoRefused')} ${lang === 'fa' ? p.reason?.messageFa : p.reason?.message}`)));
    if (e.checked && e.state === 'kept') {
      li.append(el('p', { class: 'muted', 'data-testid': 'server-check' }, e.checked.accepted && !e.checked.warnings.length ? t('serverOk') : t('serverSays')),
        ...outcomeList('', e.checked.errors), ...outcomeList('', e.checked.warnings));
    }
    if (e.state === 'kept' || e.state === 'rejected') {
      const edit = el('button', { type: 'button', 'data-testid': 'edit' }, t('edit'));
      edit.addEventListener('click', async () => { draft = { id: e.id, values: { ...e.values }, editing: true, position: e.position }; problems = {}; await store.setMeta('draft', draft); drawForm(); drawThumbs(); $('#f-mine_id').focus(); });
      const remove = el('button', { type: 'button', 'data-testid': 'remove' }, t('remove'));
      remove.addEventListener('click', async () => { await store.removeEntry(e.id); drawEntries(); });
      li.append(el('div', { class: 'row' }, edit, remove));
    }
    items.push(li);
  }
  $('#entries').replaceChildren(...items);
  $('#send').disabled = context.busy;
}

/** A form with no province yet takes the surveyor's own, once it is known (the key kept, the sign-in read). */
function ownProvinceInForm() {
  const own = myProvince();
  if (own && own !== 'national' && !draft.values.province) { draft.values = { ...readForm(), province: own }; store.setMeta('draft', draft); }
}

function applyLanguage() {
  document.documentElement.lang = lang;
  document.documentElement.dir = lang === 'fa' ? 'rtl' : 'ltr';
  document.title = t('title');
  $('#lang').value = lang;
  for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  $('#key-province').textContent = keyProvince() ? t('province', provinceName(keyProvince())) : '';
  session.draw(lang);
  drawForm(); drawThumbs(); drawEntries();
}

async function start() {
  const saved = await store.meta('draft');
  if (saved) draft = saved; else await newDraft();
  $('#lang').addEventListener('change', async () => { await saveDraft(); lang = $('#lang').value; localStorage.setItem(LANG_STORE, lang); applyLanguage(); });
  $('#entry').addEventListener('submit', keep);
  $('#entry').addEventListener('input', () => saveDraft());
  $('#clear').addEventListener('click', async () => {
    // A form emptied before it was ever kept takes its photos with it; a kept mine being corrected keeps its own.
    if (!(await store.entries()).some((e) => e.id === draft.id)) for (const p of await store.photosOf(draft.id)) await store.removePhoto(p.id);
    await newDraft();
  });
  $('#photos').addEventListener('change', (e) => { addPhotos([...e.target.files]); e.target.value = ''; });
  $('#send').addEventListener('click', () => sendAll(context, { all: true }));
  $('#key').value = localStorage.getItem(KEY_STORE) || '';
  $('#save-key').addEventListener('click', () => { localStorage.setItem(KEY_STORE, $('#key').value.trim()); ownProvinceInForm(); applyLanguage(); });
  // The signal returns: every mine kept goes. At start, and every half minute with a signal, what was waiting for one
  // goes and any file under way is taken up again (a report that took long, photos not yet stored).
  for (const kind of ['online', 'offline']) window.addEventListener(kind, () => { drawEntries(); if (navigator.onLine) sendAll(context, { all: true }); });
  setInterval(() => { if (navigator.onLine) sendAll(context, { all: false }); }, 30_000);
  applyLanguage();
  navigator.storage?.persist?.();
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register(`${apiBase}field-worker.js`, { scope: `${apiBase}field` }).catch((error) => console.warn('field form: no offline use', error));
    // Once the worker controls the page, the settings it keeps for offline use are asked for through it once, so that a
    // first visit leaves them in its cache too; then the page says it opens with no signal.
    const warm = async () => {
      await Promise.all(['signin', 'upload/limits'].map((path) => fetch(apiBase + path).catch(() => null)));
      document.body.dataset.offlineReady = 'true';
      drawEntries();
    };
    if (navigator.serviceWorker.controller) navigator.serviceWorker.ready.then(warm);
    else navigator.serviceWorker.addEventListener('controllerchange', warm, { once: true });
  }
  fetch(`${apiBase}upload/limits`).then((r) => (r.ok ? r.json() : null)).then((l) => { if (l?.field) { limits = l.field; drawForm(); } }).catch(() => {});
  try {
    session = await window.MineIngestSignIn.start({ apiBase, container: $('#signin'), lang, provinceName, cacheLocation: 'localStorage', interactive: false });
  } catch (error) {
    console.warn('field form: sign-in not reached; entering goes on', error);
  }
  if (session.me?.provinces?.[0]) localStorage.setItem(PROVINCE_STORE, session.me.provinces[0]);
  $('#key-panel').hidden = session.enabled;
  ownProvinceInForm();
  applyLanguage();
  document.body.dataset.ready = 'true';
  if (navigator.onLine) sendAll(context, { all: false });
}

start();
