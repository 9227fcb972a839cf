// The programme office's dashboard: only the contract's HTTP API (http-api.md), in English or Persian.
import { geoMercator, geoPath } from 'd3-geo';
import { toGregorian, toJalaali, jalaaliMonthLength } from 'jalaali-js';

/* global IRAN_OUTLINE, PROVINCES, MINERALS, STATUSES, PROBLEMS, NAMES */
const apiBase = location.pathname.replace(/dashboard\/?$/, '');
// Who is signed in (dashboard/src/signin.js): every call carries their token in its Authorization header. With sign-in
// off (a first try of ./run.sh) the calls go without, and withdrawing asks for the office's writer key.
let session = { enabled: false, headers: async () => ({}), draw: () => {} };

const text = {
  en: {
    title: 'Mine revival programme', uploadLink: 'Upload a survey', language: 'Language', mines: 'Mines', provinces: 'Provinces', tierA: 'Tier A', tierB: 'Tier B',
    tierC: 'Tier C', idle: 'Idle', reviving: 'Reviving', revived: 'Revived', active: 'Active', jobsPotential: 'Potential jobs',
    period: 'Period', year: 'Year', span: 'Span', revivedInPeriod: 'Mines revived', jobsInPeriod: 'Jobs created',
    byProvince: 'Mines by province', byMineral: 'Mines by mineral', byProblem: 'Mines by main problem', unspecified: 'Not given',
    investmentNeeded: 'Investment needed (bn IRR)', history: 'Surveys of this mine', photos: 'Photos from the field',
    photoOf: (n, d) => `Photo ${n} of the survey of ${d}`, downloadPhoto: (n) => `Download photo ${n}`, statusChanges: 'Status changes', solution: 'Solution',
    noSolution: 'No solution recorded yet.', target: 'target', by: 'by', rescoring: (d, n) => `Re-scoring: ${d} of ${n} mines`,
    changeOn: (a, b, d) => `${a} → ${b} on ${d}`, map: 'Map', ranking: 'Ranking', province: 'Province',
    mineral: 'Mineral', tier: 'Tier', status: 'Status', downloadCsv: 'Download CSV', mine: 'Mine', name: 'Name', score: 'Score',
    surveyDate: 'Survey date', prev: 'Previous', next: 'Next', surveys: 'Recent surveys', file: 'File', received: 'Received',
    rows: 'Rows', accepted: 'Accepted', rejected: 'Rejected', failed: 'Failed', all: 'All', wholeYear: 'Whole year',
    quarter: (q) => `Quarter ${q}`, firstMonths: (n) => `First ${n} months`, page: (n) => `Page ${n}`,
    months: ['Farvardin', 'Ordibehesht', 'Khordad', 'Tir', 'Mordad', 'Shahrivar', 'Mehr', 'Aban', 'Azar', 'Dey', 'Bahman', 'Esfand'],
    resource: 'Resource', grade: 'Grade', access: 'Access', jobs: 'Jobs', cost: 'Cost', solvability: 'Solvability',
    errorsOf: (f) => `Row errors of ${f}`, row: 'Row', field: 'Field', problem: 'Problem', noErrors: 'No row errors.',
    asOf: (d) => `as of ${d}`, unavailable: 'The data cannot be loaded just now.', reportLink: 'Progress report for this period (print)',
    withdraw: 'Withdraw', withdrawReason: (f) => `Why is ${f} withdrawn? (kept with the survey and with every mine it wrote)`,
    writerKey: 'The programme office\'s writer key:', withdrawStarted: (f) => `${f} is being withdrawn: every mine it wrote returns to what it was.`,
    stale: (d, s) => `Storage is not answering: these figures are as last read, ${d} (${s} s ago).`,
  },
  fa: {
    title: 'برنامه احیای معادن کوچک', uploadLink: 'بارگذاری بررسی', language: 'زبان', mines: 'معادن', provinces: 'استان‌ها', tierA: 'رده الف', tierB: 'رده ب',
    tierC: 'رده ج', idle: 'راکد', reviving: 'در حال احیا', revived: 'احیاشده', active: 'فعال', jobsPotential: 'اشتغال بالقوه',
    period: 'دوره', year: 'سال', span: 'بازه', revivedInPeriod: 'معادن احیاشده', jobsInPeriod: 'اشتغال ایجادشده',
    byProvince: 'معادن به تفکیک استان', byMineral: 'معادن به تفکیک ماده معدنی', byProblem: 'معادن به تفکیک مشکل اصلی', unspecified: 'نامشخص',
    investmentNeeded: 'سرمایه مورد نیاز (میلیارد ریال)', history: 'بررسی‌های این معدن', photos: 'عکس‌های بازدید میدانی',
    photoOf: (n, d) => `عکس ${n} از بررسی ${d}`, downloadPhoto: (n) => `دریافت عکس ${n}`, statusChanges: 'تغییرهای وضعیت', solution: 'راه‌حل',
    noSolution: 'هنوز راه‌حلی ثبت نشده است.', target: 'موعد', by: 'مسئول', rescoring: (d, n) => `امتیازدهی دوباره: ${d} از ${n} معدن`,
    changeOn: (a, b, d) => `${a} ← ${b} در ${d}`, map: 'نقشه', ranking: 'رتبه‌بندی', province: 'استان',
    mineral: 'ماده معدنی', tier: 'رده', status: 'وضعیت', downloadCsv: 'دریافت CSV', mine: 'معدن', name: 'نام', score: 'امتیاز',
    surveyDate: 'تاریخ بازدید', prev: 'قبلی', next: 'بعدی', surveys: 'گزارش‌های اخیر', file: 'فایل', received: 'دریافت',
    rows: 'ردیف‌ها', accepted: 'پذیرفته', rejected: 'ردشده', failed: 'ناموفق', all: 'همه', wholeYear: 'کل سال',
    quarter: (q) => `فصل ${q}`, firstMonths: (n) => `${n} ماه نخست`, page: (n) => `صفحه ${n}`,
    months: ['فروردین', 'اردیبهشت', 'خرداد', 'تیر', 'مرداد', 'شهریور', 'مهر', 'آبان', 'آذر', 'دی', 'بهمن', 'اسفند'],
    resource: 'ذخیره', grade: 'عیار', access: 'دسترسی', jobs: 'اشتغال', cost: 'هزینه', solvability: 'حل‌پذیری',
    errorsOf: (f) => `خطاهای ردیف‌های ${f}`, row: 'ردیف', field: 'ستون', problem: 'مشکل', noErrors: 'خطایی نیست.',
    asOf: (d) => `به‌روز تا ${d}`, unavailable: 'داده‌ها اکنون در دسترس نیستند.', reportLink: 'گزارش پیشرفت این دوره (چاپی)',
    withdraw: 'پس گرفتن', withdrawReason: (f) => `چرا ${f} پس گرفته می‌شود؟ (با بررسی و با هر معدنی که نوشته نگه داشته می‌شود)`,
    writerKey: 'کلید نویسنده دفتر برنامه:', withdrawStarted: (f) => `${f} در حال پس‌گرفتن است: هر معدنی که نوشته به حال پیشین بازمی‌گردد.`,
    stale: (d, s) => `فضای ذخیره‌سازی پاسخ نمی‌دهد: این ارقام آخرین خوانده‌شده‌ها هستند، ${d} (${s} ثانیه پیش).`,
  },
};
let lang = localStorage.getItem('mineingest-lang') === 'fa' ? 'fa' : 'en';
const t = (key, ...args) => { const v = text[lang][key]; return typeof v === 'function' ? v(...args) : v ?? key; };
const named = (list, slug) => { const item = list.find((x) => x.slug === slug); return item ? (lang === 'fa' ? item.persian : item.english) : slug; };
const number = (n) => (n ?? 0).toLocaleString(lang === 'fa' ? 'fa-IR' : 'en-US');
/** Persian digits (۰-۹) in Persian, Latin in English: for figures already formatted (scores, dates, row numbers). */
const digits = (value) => (lang === 'fa' ? String(value).replace(/[0-9]/g, (d) => '۰۱۲۳۴۵۶۷۸۹'[d]) : String(value));
const tierName = (tier) => named(NAMES.tier, tier);
const $ = (selector) => document.querySelector(selector);
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    // A style through the CSSOM: the pages' policy refuses style attributes set as markup.
    if (k === 'class') node.className = v; else if (k === 'style') node.style.cssText = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v); else node.setAttribute(k, v);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
};

/** Both calendars: "1399/03/12 (2020-06-01)". */
function bothDates(iso) {
  if (!iso) return '';
  const [gy, gm, gd] = iso.slice(0, 10).split('-').map(Number);
  const j = toJalaali(gy, gm, gd);
  const jalali = `${j.jy}/${String(j.jm).padStart(2, '0')}/${String(j.jd).padStart(2, '0')}`;
  return digits(`${jalali} (${iso.slice(0, 10)})`);
}
const isoOf = ({ gy, gm, gd }) => `${gy}-${String(gm).padStart(2, '0')}-${String(gd).padStart(2, '0')}`;

async function api(path, params = {}) {
  const url = new URL(apiBase + path, location.origin);
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, v);
  // A person opening the page asks once: the answer must hold every report already settled (read-your-writes).
  const response = await fetch(url, { headers: { 'Cache-Control': 'no-cache', ...(await session.headers()) } });
  if (!response.ok) throw new Error(`${response.status} ${path}`);
  return response.json();
}

// ---- national figures -------------------------------------------------------------------------------------
let summary = null;
function renderFigures() {
  const s = summary;
  const cards = [
    ['mines', s.mines], ['provinces', s.provinces], ['tierA', s.byTier.A], ['tierB', s.byTier.B], ['tierC', s.byTier.C],
    ['idle', s.byStatus.idle], ['reviving', s.byStatus.reviving], ['revived', s.byStatus.revived], ['active', s.byStatus.active],
    ['jobsPotential', s.jobsPotential],
  ];
  $('#figures').replaceChildren(...cards.map(([key, value]) => el('div', { class: 'card' },
    el('div', { class: 'label' }, t(key)), el('div', { class: 'value', 'data-testid': `fig-${key}`, 'data-value': String(value) }, number(value)))));
  $('#asof').textContent = s.stale ? t('stale', bothDates(s.checkedAt), number(Math.round(s.ageSeconds)))
    : s.asOf ? t('asOf', bothDates(s.asOf)) : '';
  renderBars('#bars-province', s.byProvince.map((g) => ({ label: named(PROVINCES, g.province), ...g })));
  renderBars('#bars-mineral', s.byMineral.map((g) => ({ label: named(MINERALS, g.mineral), ...g })));
  renderProblemBars(s.byProblem);
}

const problemName = (slug) => (slug === 'unspecified' ? t('unspecified') : named(PROBLEMS, slug));
/** Mines by main problem, with the investment they need: what the committees are about. */
function renderProblemBars(groups) {
  const max = Math.max(1, ...groups.map((g) => g.mines));
  $('#bars-problem').replaceChildren(...[...groups].sort((a, b) => b.mines - a.mines).map((g) => el('div', { class: 'bar', 'data-testid': 'problem-bar', 'data-problem': g.problem },
    el('span', {}, problemName(g.problem)),
    el('div', { class: 'track', title: `${t('investmentNeeded')}: ${number(g.investmentBnRial)}` }, el('div', { class: 'seg B', style: `width:${(100 * g.mines) / max}%` })),
    el('span', { class: 'n' }, number(g.mines)))));
  $('#investment-needed').textContent = `${t('investmentNeeded')}: ${number(summary.investmentNeededBnRial)}`;
}

function renderBars(selector, groups) {
  const max = Math.max(1, ...groups.map((g) => g.mines));
  const sorted = [...groups].sort((a, b) => b.mines - a.mines);
  $(selector).replaceChildren(...sorted.map((g) => el('div', { class: 'bar', 'data-testid': 'bar' },
    el('span', {}, g.label),
    el('div', { class: 'track', title: ['A', 'B', 'C'].map((tier) => `${tierName(tier)} ${number(g.byTier[tier])}`).join(' · ') },
      ...['A', 'B', 'C'].map((tier) => el('div', { class: `seg ${tier}`, style: `width:${(100 * g.byTier[tier]) / max}%` }))),
    el('span', { class: 'n' }, number(g.mines)))));
}

// ---- period picker: Jalali years, months, quarters, "first N months" ------------------------------------------
function spans() {
  const list = [{ key: 'year', label: t('wholeYear'), from: 1, to: 12 }];
  for (let q = 1; q <= 4; q++) list.push({ key: `q${q}`, label: t('quarter', q), from: q * 3 - 2, to: q * 3 });
  for (let n = 2; n <= 11; n++) list.push({ key: `first${n}`, label: t('firstMonths', n), from: 1, to: n });
  t('months').forEach((m, i) => list.push({ key: `m${i + 1}`, label: m, from: i + 1, to: i + 1 }));
  return list;
}
function fillPeriodPicker() {
  const current = toJalaali(new Date()).jy;
  const year = $('#period-year');
  const chosenYear = year.value || String(current);
  year.replaceChildren(...Array.from({ length: current - 1389 }, (_, i) => current - i)
    .map((y) => el('option', { value: String(y) }, lang === 'fa' ? number(y).replace(/٬/g, '') : String(y))));
  year.value = chosenYear;
  const span = $('#period-span');
  const chosenSpan = span.value || 'year';
  span.replaceChildren(...spans().map((s) => el('option', { value: s.key }, s.label)));
  span.value = chosenSpan;
}
let periodRequest = 0;
async function loadPeriod() {
  const request = ++periodRequest;
  const jy = Number($('#period-year').value);
  const span = spans().find((s) => s.key === $('#period-span').value);
  const from = isoOf(toGregorian(jy, span.from, 1));
  const to = isoOf(toGregorian(jy, span.to, jalaaliMonthLength(jy, span.to)));
  reportLink(from, to);
  const period = await api('summary', { from, to });
  if (request !== periodRequest) return; // a later choice is on its way
  $('#period-revived').textContent = number(period.revived);
  $('#period-revived').dataset.value = String(period.revived);
  $('#period-jobs').textContent = number(period.jobsCreated);
  $('#period-jobs').dataset.value = String(period.jobsCreated);
  // Last, so that a changed period line means the figures beside it are the period's.
  $('#period-dates').textContent = `${bothDates(from)} – ${bothDates(to)}`;
}

/** The printable progress report for the chosen period and the ranking's province filter, in the page's language. */
function reportLink(from, to) {
  const url = new URL(apiBase + 'report', location.origin);
  url.searchParams.set('from', from);
  url.searchParams.set('to', to);
  if ($('#f-province').value) url.searchParams.set('province', $('#f-province').value);
  if (lang === 'en') url.searchParams.set('lang', 'en');
  $('#report-link').href = url.pathname + url.search;
}

/**
 * With sign-in on, a link cannot carry the token: the report is fetched with it and written into the new window, whose
 * blank document takes this page's address as its base (so its stylesheets and fonts load as from the route) and this
 * page's policy. Its language link is fetched the same way when followed.
 */
async function openReport(event) {
  if (!session.enabled) return;
  event.preventDefault();
  const opened = window.open('', '_blank');
  if (!opened) throw new Error('the report window was blocked');
  await showReport(opened, new URL($('#report-link').href, location.href).href);
}

async function showReport(win, href) {
  const response = await fetch(href, { headers: await session.headers() });
  if (!response.ok) { win.close(); throw new Error(`${response.status} report`); }
  const html = await response.text();
  win.document.open();
  win.document.write(html);
  win.document.close();
  const language = win.document.querySelector('[data-testid=language]');
  language?.addEventListener('click', (e) => {
    e.preventDefault();
    guarded(() => showReport(win, new URL(language.getAttribute('href'), href).href));
  });
}

// ---- map --------------------------------------------------------------------------------------------------
/** Every mine of the ranking under the given filters, page after page (up to `limit`). */
async function everyMine(params = {}, limit = Infinity) {
  const mines = [];
  let continuation;
  do {
    const page = await api('mines', { ...params, top: 1000, continuation });
    mines.push(...page.items);
    continuation = page.continuation;
  } while (continuation && mines.length < limit);
  return mines;
}
function renderMap(mines) {
  const svg = $('#map');
  const projection = geoMercator().fitExtent([[10, 10], [790, 630]], IRAN_OUTLINE);
  const path = geoPath(projection);
  const ns = 'http://www.w3.org/2000/svg';
  const land = document.createElementNS(ns, 'path');
  land.setAttribute('class', 'land');
  land.setAttribute('d', path(IRAN_OUTLINE));
  const points = document.createElementNS(ns, 'g');
  points.setAttribute('id', 'mine-points');
  // Tier A drawn last, on top.
  for (const m of [...mines].sort((a, b) => b.tier.localeCompare(a.tier))) {
    const [x, y] = projection([m.longitude, m.latitude]);
    const c = document.createElementNS(ns, 'circle');
    c.setAttribute('cx', x.toFixed(1)); c.setAttribute('cy', y.toFixed(1)); c.setAttribute('r', mines.length > 2000 ? '1.6' : '4');
    c.setAttribute('class', m.tier);
    const title = document.createElementNS(ns, 'title');
    title.textContent = `${m.mineId} ${m.name} (${tierName(m.tier)}, ${digits(m.score.toFixed(1))})`;
    c.append(title);
    points.append(c);
  }
  svg.replaceChildren(land, points);
}

// ---- ranking with filters and paging ----------------------------------------------------------------------
const ranking = { pages: [undefined], index: 0, items: [] };
const filters = () => ({ province: $('#f-province').value, mineral: $('#f-mineral').value, tier: $('#f-tier').value, status: $('#f-status').value, problem: $('#f-problem').value });
function fillFilters() {
  const options = (list) => [el('option', { value: '' }, t('all')), ...list.map((x) => el('option', { value: x.slug }, lang === 'fa' ? x.persian : x.english))];
  const problems = [...PROBLEMS, { slug: 'unspecified', english: text.en.unspecified, persian: text.fa.unspecified }];
  for (const [id, list] of [['#f-province', PROVINCES], ['#f-mineral', MINERALS], ['#f-status', STATUSES], ['#f-problem', problems]]) {
    const select = $(id);
    const chosen = select.value;
    select.replaceChildren(...options(list));
    select.value = chosen;
  }
  const tier = $('#f-tier');
  const chosenTier = tier.value;
  tier.replaceChildren(...options(NAMES.tier));
  tier.value = chosenTier;
}
async function loadRanking(index = 0) {
  if (index === 0) ranking.pages = [undefined];
  const page = await api('mines', { ...filters(), top: 25, continuation: ranking.pages[index] });
  ranking.index = index;
  ranking.items = page.items;
  ranking.pages[index + 1] = page.continuation ?? null;
  renderRanking();
}
function renderRanking() {
  const offset = ranking.index * 25;
  $('#ranking tbody').replaceChildren(...ranking.items.map((m, i) => el('tr', { 'data-testid': 'ranking-row', onclick: () => guarded(() => showBreakdown(m)) },
    el('td', { class: 'num' }, number(offset + i + 1)), el('td', {}, m.mineId), el('td', {}, m.name),
    el('td', {}, named(PROVINCES, m.province)), el('td', {}, named(MINERALS, m.mineral)), el('td', {}, named(STATUSES, m.status)),
    el('td', { class: 'num' }, digits(m.score.toFixed(1))), el('td', { class: `tier ${m.tier}` }, tierName(m.tier)), el('td', {}, bothDates(m.surveyDate)))));
  $('#page').textContent = t('page', number(ranking.index + 1));
  $('#prev').disabled = ranking.index === 0;
  $('#next').disabled = !ranking.pages[ranking.index + 1];
}
async function showBreakdown(m) {
  const keys = ['resource', 'grade', 'access', 'jobs', 'cost', 'solvability'];
  const box = $('#breakdown');
  box.hidden = false;
  box.replaceChildren(el('h3', {}, `${m.mineId} · ${m.name} · ${digits(m.score.toFixed(1))} (${tierName(m.tier)})`),
    ...keys.map((k) => el('div', { class: 'component', 'data-testid': 'component' },
      el('span', {}, t(k)), el('div', { class: 'track' }, el('div', { class: 'fill', style: `width:${Math.round(m.components[k] * 100)}%` })),
      el('span', { class: 'n' }, digits(m.components[k].toFixed(2))))));
  const path = `mines/${encodeURIComponent(m.province)}/${encodeURIComponent(m.mineId)}`;
  const [history, solution] = await Promise.all([api(`${path}/history`), api(`${path}/solution`)]);
  box.append(el('h4', {}, t('history')), timeline(history.versions), ...photoGallery(history.versions), el('h4', {}, t('statusChanges')),
    el('ul', {}, ...history.statusChanges.map((c) => el('li', { 'data-testid': 'status-change' }, t('changeOn', named(STATUSES, c.from), named(STATUSES, c.to), bothDates(c.on))))),
    el('h4', {}, t('solution')),
    solution.current
      ? el('p', { 'data-testid': 'solution' }, `${named(NAMES['solution-state'], solution.current.state)}: ${solution.current.text}`,
        solution.current.responsibleBody ? ` · ${t('by')} ${solution.current.responsibleBody}` : '',
        solution.current.targetDate ? ` · ${t('target')} ${bothDates(solution.current.targetDate)}` : '')
      : el('p', { class: 'muted' }, t('noSolution')));
}

/**
 * The photos surveyors sent with the mine's surveys, by survey: each fetched with the reader's token (an image tag
 * cannot send one) and shown from memory, with a button that saves the stored JPEG.
 */
function photoGallery(versions) {
  const photos = versions.flatMap((v) => (v.photos ?? []).map((p) => ({ ...p, date: bothDates(v.surveyDate) })));
  if (!photos.length) return [];
  const figures = photos.map((p) => {
    const img = el('img', { alt: t('photoOf', digits(p.number), p.date), 'data-testid': 'mine-photo', width: '160', height: '120' });
    const save = el('button', { type: 'button', 'data-testid': 'download-photo' }, t('downloadPhoto', digits(p.number)));
    const load = (async () => {
      const response = await fetch(new URL(apiBase + p.href, location.origin), { headers: await session.headers() });
      if (!response.ok) throw new Error(`${response.status} ${p.href}`);
      return response.blob();
    })();
    load.then((b) => { img.src = URL.createObjectURL(b); img.dataset.loaded = 'true'; }).catch((error) => console.error(error));
    save.onclick = () => load.then((b) => {
      const a = el('a', { href: URL.createObjectURL(b), download: p.href.split('/').slice(-3).map(decodeURIComponent).join('-') });
      document.body.append(a); a.click(); a.remove();
    });
    return el('figure', { class: 'photo' }, img, el('figcaption', {}, save));
  });
  return [el('h4', {}, t('photos')), el('div', { class: 'photos' }, ...figures)];
}

/** Score over the mine's surveys, a point per version coloured by its status. */
function timeline(versions) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 600 160');
  svg.setAttribute('class', 'timeline');
  svg.dataset.testid = 'timeline';
  const x = (i) => (versions.length === 1 ? 300 : 40 + (520 * i) / (versions.length - 1));
  const y = (score) => 140 - score * 1.2;
  const line = document.createElementNS(ns, 'polyline');
  line.setAttribute('points', versions.map((v, i) => `${x(i).toFixed(1)},${y(v.score).toFixed(1)}`).join(' '));
  line.setAttribute('class', 'trend');
  svg.append(line);
  versions.forEach((v, i) => {
    const c = document.createElementNS(ns, 'circle');
    c.setAttribute('cx', x(i).toFixed(1)); c.setAttribute('cy', y(v.score).toFixed(1)); c.setAttribute('r', '5');
    c.setAttribute('class', `status-${v.status}`);
    c.setAttribute('data-testid', 'timeline-point');
    const title = document.createElementNS(ns, 'title');
    title.textContent = `${bothDates(v.surveyDate)}: ${named(STATUSES, v.status)}, ${digits(v.score.toFixed(1))} (${tierName(v.tier)})`;
    c.append(title);
    const label = document.createElementNS(ns, 'text');
    label.setAttribute('x', x(i).toFixed(1)); label.setAttribute('y', '156'); label.setAttribute('text-anchor', 'middle');
    label.textContent = bothDates(v.surveyDate).split(' ')[0];
    svg.append(c, label);
  });
  return svg;
}

/** A re-scoring run in progress, from /api/health (no key needed). */
async function showRescoring() {
  try {
    const health = await (await fetch(new URL(apiBase + 'health', location.origin))).json();
    const run = health.backlog?.rescore;
    $('#rescoring').textContent = run && run.status !== 'completed' ? t('rescoring', number(run.done), number(run.mines)) : '';
  } catch { $('#rescoring').textContent = ''; }
}

/** The ranking of the filters as the server writes it (GET /api/mines.csv: UTF-8 with a BOM, formula-safe cells). */
async function downloadCsv() {
  const url = new URL(apiBase + 'mines.csv', location.origin);
  for (const [k, v] of Object.entries(filters())) if (v) url.searchParams.set(k, v);
  const response = await fetch(url, { headers: { 'Cache-Control': 'no-cache', ...(await session.headers()) } });
  if (!response.ok) throw new Error(`${response.status} mines.csv`);
  const link = el('a', { href: URL.createObjectURL(await response.blob()), download: `mineingest-ranking-${filters().province || 'all'}.csv` });
  document.body.append(link);
  link.click();
  link.remove();
}

// ---- recent surveys -----------------------------------------------------------------------------------------
async function loadSurveys() {
  const list = await api('surveys');
  $('#surveys tbody').replaceChildren(...list.items.slice(0, 20).map((s) => el('tr', { 'data-testid': 'survey-row', onclick: () => showSurvey(s.id) },
    el('td', {}, s.blob), el('td', {}, bothDates(s.receivedAt)), el('td', {}, named(NAMES['survey-status'], s.status)), el('td', { class: 'num' }, number(s.rows)),
    el('td', { class: 'num' }, number(s.accepted)), el('td', { class: 'num' }, number(s.rejected)), el('td', { class: 'num' }, number(s.failed)),
    el('td', {}, ['completed', 'rejected'].includes(s.status)
      ? el('button', { type: 'button', 'data-testid': 'withdraw', onclick: (e) => { e.stopPropagation(); guarded(() => withdraw(s)); } }, t('withdraw')) : ''))));
}

/** Withdraws a survey as the signed-in writer (with sign-in off: the office's writer key, asked once, kept in this browser), after asking why. */
async function withdraw(survey) {
  const reason = prompt(t('withdrawReason', survey.blob));
  if (!reason || !reason.trim()) return;
  let key = null;
  if (!session.enabled) {
    key = localStorage.getItem('mineingest-writer-key');
    if (!key) { key = prompt(t('writerKey')); if (!key) return; }
  }
  const url = new URL(`${apiBase}surveys/${encodeURIComponent(survey.id)}/withdraw`, location.origin);
  const credential = key ? { 'x-writer-key': key } : await session.headers();
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...credential }, body: JSON.stringify({ reason: reason.trim() }) });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) { $('#withdraw-message').textContent = (lang === 'fa' ? answer.detailFa : null) ?? answer.detail ?? String(response.status); return; }
  if (key) localStorage.setItem('mineingest-writer-key', key);
  $('#withdraw-message').textContent = t('withdrawStarted', survey.blob);
  await loadSurveys();
}
async function showSurvey(id) {
  const s = await api(`surveys/${encodeURIComponent(id)}`);
  const box = $('#survey-errors');
  box.hidden = false;
  const body = s.error ? [el('p', { class: 'error' }, lang === 'fa' ? s.errorFa ?? s.error : s.error)]
    : s.errors.length === 0 ? [el('p', {}, t('noErrors'))]
      : [el('div', { class: 'scroll-x', tabindex: '0', role: 'region', 'aria-label': t('errorsOf', s.blob) },
        el('table', {}, el('thead', {}, el('tr', {}, el('th', {}, t('row')), el('th', {}, t('mine')), el('th', {}, t('field')), el('th', {}, t('problem')))),
          el('tbody', {}, ...s.errors.map((e) => el('tr', { 'data-testid': 'survey-error' }, el('td', { class: 'num' }, number(e.row)),
            el('td', {}, e.mineId ?? ''), el('td', {}, (lang === 'fa' ? e.fieldNameFa : e.fieldName) ?? e.field ?? ''),
            el('td', {}, lang === 'fa' ? e.messageFa ?? e.message : e.message))))))];
  box.replaceChildren(el('h3', {}, t('errorsOf', s.blob)), ...body);
}

// ---- language and start ---------------------------------------------------------------------------------------
function applyLanguage() {
  document.documentElement.lang = lang;
  document.documentElement.dir = lang === 'fa' ? 'rtl' : 'ltr';
  $('#lang').value = lang;
  document.querySelectorAll('[data-i18n]').forEach((node) => { node.textContent = t(node.dataset.i18n); });
  document.title = t('title');
  fillPeriodPicker();
  fillFilters();
}
async function guarded(work) {
  try { await work(); } catch (error) { console.error(error); $('#asof').textContent = t('unavailable'); }
}
async function start() {
  applyLanguage();
  await guarded(async () => {
    session = await window.MineIngestSignIn.start({ apiBase, container: $('#signin'), lang, provinceName: (p) => named(PROVINCES, p) });
  });
  $('#lang').addEventListener('change', async () => {
    lang = $('#lang').value;
    localStorage.setItem('mineingest-lang', lang);
    applyLanguage();
    session.draw(lang);
    if (summary) renderFigures();
    renderRanking();
    await guarded(loadPeriod);
  });
  $('#period-year').addEventListener('change', () => guarded(loadPeriod));
  $('#period-span').addEventListener('change', () => guarded(loadPeriod));
  for (const id of ['#f-province', '#f-mineral', '#f-tier', '#f-status', '#f-problem']) $(id).addEventListener('change', () => guarded(() => loadRanking(0)));
  $('#f-province').addEventListener('change', () => guarded(loadPeriod));
  $('#prev').addEventListener('click', () => guarded(() => loadRanking(ranking.index - 1)));
  $('#next').addEventListener('click', () => guarded(() => loadRanking(ranking.index + 1)));
  $('#download-csv').addEventListener('click', () => guarded(downloadCsv));
  $('#report-link').addEventListener('click', (event) => guarded(() => openReport(event)));
  if (session.enabled && !session.signedIn) { document.body.dataset.ready = 'true'; return; }
  await guarded(async () => {
    summary = await api('summary');
    renderFigures();
    await Promise.all([loadPeriod(), loadRanking(0), loadSurveys(), everyMine({}, 200000).then(renderMap), showRescoring()]);
  });
  document.body.dataset.ready = 'true';
}
start();
