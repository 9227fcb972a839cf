// Fixing a survey's rejected rows in the upload page: its rows to fix as an editable table (one row at a time as a form
// on a phone, the bad fields first), each edit checked by the server's own rules (POST validate, no copy of them here),
// the edits kept in this browser until sent, and "Send the fixed rows" uploading them as a new CSV survey through the
// page's usual upload. Used by upload.js: window.MineIngestFixRows.create(...).
(() => {
  'use strict';
  const text = {
    fa: {
      title: 'اصلاح ردیف‌های رد شده در همین صفحه', help: 'خانه‌های قرمز را اصلاح کنید؛ هر ردیف هنگام نوشتن بررسی می‌شود. فقط ردیف‌هایی که تغییر داده‌اید فرستاده می‌شوند.',
      row: 'ردیف', reasons: 'دلایل', valid: 'درست است', checking: 'در حال بررسی…', untouched: 'هنوز تغییر نکرده',
      send: 'فرستادن ردیف‌های اصلاح‌شده', leaveOut: 'ردیف‌هایی را که هنوز درست نیستند نفرست', nothing: 'هنوز ردیفی تغییر نکرده است.',
      sent: (n, f) => `${n} ردیف به صورت ${f} فرستاده شد؛ گزارش آن در پایین فهرست می‌آید.`, sendFailed: 'فرستادن ناموفق بود؛ اصلاح‌ها نگه داشته شده‌اند:',
      previous: 'ردیف پیشین', next: 'ردیف بعدی', of: (i, n) => `ردیف ${i} از ${n}`, choose: '— انتخاب کنید —', restored: 'اصلاح‌های پیشین شما بازگردانده شد.',
      checkFailed: 'بررسی ممکن نشد:',
    },
    en: {
      title: 'Fix the rejected rows here', help: 'Correct the red cells; each row is checked as you type. Only the rows you change are sent.',
      row: 'Row', reasons: 'Reasons', valid: 'Valid', checking: 'Checking…', untouched: 'Not changed yet',
      send: 'Send the fixed rows', leaveOut: 'Leave out rows that are still wrong', nothing: 'No row has been changed yet.',
      sent: (n, f) => `${n} row(s) sent as ${f}; its report follows below.`, sendFailed: 'Sending failed; your fixes are kept:',
      previous: 'Previous row', next: 'Next row', of: (i, n) => `Row ${i} of ${n}`, choose: '— choose —', restored: 'Your earlier fixes were restored.',
      checkFailed: 'Could not check:',
    },
  };

  const el = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? '' : v);
    node.append(...children.filter((c) => c !== null && c !== undefined));
    return node;
  };

  /** A CSV field: quoted when it holds a comma, a quote or a line break. */
  const field = (v) => { const s = v ?? ''; return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s; };

  /**
   * The editor of one survey's rows to fix. `load()` reads them; `root` is its element (re-attached by the page at each
   * redraw); `draw(lang)` redraws it. `headers()` gives the Authorization or key header; `upload(file)` sends a file the
   * way the page sends any file and resolves once it is sent (rejects with the reason otherwise).
   */
  function create({ survey, fileName, province, headers, upload, digits }) {
    const store = `mineingest-fixes-${survey}`;
    const sentStore = `mineingest-fixes-sent-${survey}`;
    let lang = 'fa';
    let columns = [];
    let rows = [];
    let current = 0;
    let message = null;
    let restored = false;
    let timer = null;
    const root = el('section', { class: 'fix-rows', 'data-testid': 'fix-rows' });
    const t = (key, ...args) => { const v = text[lang][key]; return typeof v === 'function' ? v(...args) : v; };
    const save = () => {
      const edits = Object.fromEntries(rows.filter((r) => r.touched).map((r) => [r.row, r.values]));
      if (Object.keys(edits).length) localStorage.setItem(store, JSON.stringify(edits)); else localStorage.removeItem(store);
    };

    async function load() {
      const r = await fetch(`provinces/${encodeURIComponent(province)}/surveys/${encodeURIComponent(survey)}/errors.json`, { headers: await headers() });
      if (!r.ok) throw new Error(String(r.status));
      const answer = await r.json();
      columns = answer.columns;
      const edits = JSON.parse(localStorage.getItem(store) || '{}');
      rows = answer.rows.map((x) => ({
        row: x.row, original: x.errors, values: edits[x.row] ?? { ...x.values }, touched: Boolean(edits[x.row]), errors: x.errors, state: 'untouched',
      }));
      restored = rows.some((r) => r.touched);
      if (restored) await check();
    }

    /** Asks the server what survey validation says of the changed rows; marks each row valid or with its new reasons. */
    async function check() {
      const touched = rows.filter((r) => r.touched);
      if (!touched.length) return;
      touched.forEach((r) => { r.state = 'checking'; });
      draw();
      try {
        const r = await fetch(`provinces/${encodeURIComponent(province)}/validate`, {
          method: 'POST', headers: { 'content-type': 'application/json', ...(await headers()) },
          body: JSON.stringify({ rows: touched.map((x) => ({ row: x.row, values: x.values })) }),
        });
        const answer = await r.json().catch(() => ({}));
        if (!r.ok) { message = { kind: 'problem', text: `${t('checkFailed')} ${(lang === 'fa' ? answer.detailFa : null) ?? answer.detail ?? r.status}` }; draw(); return; }
        for (const checked of answer.rows) {
          const row = rows.find((x) => x.row === checked.row);
          if (!row || !row.touched) continue;
          row.errors = checked.errors;
          row.state = checked.accepted ? 'valid' : 'wrong';
        }
        if (message?.kind === 'problem') message = null;
      } catch {
        message = { kind: 'problem', text: t('checkFailed') };
      }
      draw();
    }

    function edit(row, key, value) {
      row.values[key] = value;
      row.touched = true;
      row.state = 'checking';
      save();
      clearTimeout(timer);
      timer = setTimeout(check, 350);
      const state = root.querySelector(`[data-row="${row.row}"] [data-testid=row-state]`);
      if (state) state.textContent = t('checking');
    }

    async function send() {
      const leaveOut = root.querySelector('[data-testid=leave-out]')?.checked ?? true;
      const chosen = rows.filter((r) => r.touched && (!leaveOut || r.state === 'valid'));
      if (!chosen.length) { message = { kind: 'problem', text: t('nothing') }; draw(); return; }
      const n = Number(localStorage.getItem(sentStore) || '0') + 1;
      const name = `${fileName.replace(/\.[^.]+$/, '')}-fixes-${n}.csv`;
      const lines = [columns.map((c) => c.key).join(','), ...chosen.map((r) => columns.map((c) => field(r.values[c.key])).join(','))];
      const file = new File(['\ufeff' + lines.join('\r\n') + '\r\n'], name, { type: 'text/csv' });
      try {
        await upload(file);
      } catch (problem) {
        message = { kind: 'problem', text: `${t('sendFailed')} ${problem?.message ?? ''}` };
        draw();
        return;
      }
      localStorage.setItem(sentStore, String(n));
      for (const r of chosen) { r.touched = false; r.sent = true; }
      rows = rows.filter((r) => !r.sent);
      save();
      current = 0;
      message = { kind: 'ok', text: t('sent', digits(chosen.length), name) };
      draw();
    }

    function label(column) { return lang === 'fa' ? column.persian : column.english; }

    function input(row, column) {
      const value = row.values[column.key] ?? '';
      const id = `fix-${survey}-${row.row}-${column.key}`;
      const bad = row.errors.filter((e) => e.field === column.key);
      const describedBy = bad.length ? `${id}-why` : null;
      let control;
      if (column.choices) {
        const known = column.choices.some((c) => c.value === value);
        control = el('select', { id, 'aria-describedby': describedBy, 'aria-invalid': bad.length > 0 ? 'true' : null },
          el('option', { value: '' }, t('choose')),
          ...(known || !value ? [] : [el('option', { value, selected: true }, value)]),
          ...column.choices.map((c) => el('option', { value: c.value, selected: c.value === value }, lang === 'fa' ? c.persian : c.english)));
        control.addEventListener('change', () => edit(row, column.key, control.value));
      } else {
        control = el('input', { id, value, 'aria-describedby': describedBy, 'aria-invalid': bad.length > 0 ? 'true' : null, dir: 'auto' });
        control.addEventListener('input', () => edit(row, column.key, control.value));
      }
      control.dataset.testid = `cell-${column.key}`;
      return el('td', { class: bad.length ? 'bad' : null, 'data-label': label(column), 'data-testid': bad.length ? 'bad-cell' : null },
        el('label', { class: 'cell-label', for: id }, label(column)), control,
        ...(bad.length ? [el('span', { class: 'why', id: `${id}-why` }, bad.map((e) => (lang === 'fa' ? e.messageFa : e.message)).join(' '))] : []));
    }

    function draw(language) {
      if (language) lang = language;
      // A redraw after a check must not take the cell from under the clerk's fingers.
      const focused = document.activeElement && root.contains(document.activeElement) ? document.activeElement : null;
      const focus = focused ? { id: focused.id, start: focused.selectionStart, end: focused.selectionEnd } : null;
      redraw();
      if (focus?.id) {
        const again = document.getElementById(focus.id);
        if (again) { again.focus(); if (typeof focus.start === 'number' && again.setSelectionRange) again.setSelectionRange(focus.start, focus.end); }
      }
    }

    function redraw() {
      if (!rows.length && !message) { root.replaceChildren(); return; }
      current = Math.min(current, Math.max(0, rows.length - 1));
      const head = el('tr', {}, el('th', {}, t('row')), ...columns.map((c) => el('th', { scope: 'col' }, label(c))), el('th', {}, t('reasons')));
      const body = rows.map((r, i) => {
        const rowWide = r.errors.filter((e) => !columns.some((c) => c.key === e.field));
        const state = r.state === 'valid' ? t('valid') : r.state === 'checking' ? t('checking')
          : rowWide.map((e) => (lang === 'fa' ? e.messageFa : e.message)).join(' ') || (r.touched ? '' : t('untouched'));
        return el('tr', { 'data-row': String(r.row), 'data-testid': 'fix-row', 'data-state': r.state, class: i === current ? 'current' : 'not-current' },
          el('th', { scope: 'row', 'data-label': t('row') }, digits(r.row)),
          ...columns.map((c) => input(r, c)),
          el('td', { class: r.state === 'valid' ? 'ok' : 'why', 'data-testid': 'row-state', 'data-label': t('reasons') }, state));
      });
      const nav = el('p', { class: 'phone-only fix-nav' },
        el('button', { type: 'button', 'data-testid': 'previous-row', disabled: current === 0 }, t('previous')), ' ',
        el('span', { 'aria-live': 'polite' }, t('of', digits(current + 1), digits(rows.length))), ' ',
        el('button', { type: 'button', 'data-testid': 'next-row', disabled: current >= rows.length - 1 }, t('next')));
      nav.children[0].addEventListener('click', () => { current--; draw(); });
      nav.children[2].addEventListener('click', () => { current++; draw(); });
      const leaveOut = el('label', {}, el('input', { type: 'checkbox', 'data-testid': 'leave-out', checked: true }), ' ', t('leaveOut'));
      const sendButton = el('button', { type: 'button', 'data-testid': 'send-fixes' }, t('send'));
      sendButton.addEventListener('click', send);
      root.replaceChildren(
        el('h4', {}, t('title')), el('p', { class: 'muted' }, t('help')),
        ...(restored ? [el('p', { class: 'muted', 'data-testid': 'fixes-restored' }, t('restored'))] : []),
        ...(rows.length ? [nav, el('div', { class: 'scroll-x', tabindex: '0', role: 'region', 'aria-label': t('title') },
          el('table', { class: 'fix-table' }, el('thead', {}, head), el('tbody', {}, ...body))),
        el('p', {}, leaveOut, ' ', sendButton)] : []),
        ...(message ? [el('p', { class: message.kind === 'ok' ? 'ok' : 'problem', 'data-testid': 'fix-message', role: 'status' }, message.text)] : []));
    }

    return { root, load, draw };
  }

  window.MineIngestFixRows = { create };
})();
