// The provincial clerks' upload page: the clerk signed in (signin.js; with sign-in off, the province key kept in this
// browser), files sent straight to Blob Storage
// with the SAS the upload route hands out (in 4 MiB blocks above that size), then the report polled until it is final.
// No libraries: the Blob REST calls used here are two (Put Blob, Put Block + Put Block List).
(() => {
  'use strict';
  const BLOCK = 4 * 1024 * 1024;
  // The server's limits (GET upload/limits): a changed Survey__Limits__MaxFileBytes needs no change here. Until they
  // arrive (or if they cannot be read) the contract's: 50 MB, xlsx, xls and csv.
  let limits = { maxFileBytes: 50 * 1024 * 1024, types: ['.xlsx', '.xls', '.csv'] };
  const limitsRead = fetch('upload/limits').then((r) => (r.ok ? r.json() : null)).then((l) => { if (l) limits = l; }).catch(() => {});
  const megabytes = () => Math.round((limits.maxFileBytes / (1024 * 1024)) * 10) / 10;
  const KEY_STORE = 'mineingest-province-key';
  const LANG_STORE = 'mineingest-upload-lang';

  const text = {
    fa: {
      title: 'بارگذاری بررسی معادن', dashboard: 'داشبورد', language: 'زبان', keyTitle: 'کلید بارگذاری استان',
      keyPlaceholder: 'کلید بارگذاری را اینجا بچسبانید', saveKey: 'نگه‌داشتن کلید', forgetKey: 'فراموش کردن کلید',
      keyHelp: 'کلید فقط در همین مرورگر نگه داشته می‌شود و فقط برای سرویس بارگذاری فرستاده می‌شود.',
      fileTitle: 'فایل بررسی', templateHelp: 'الگوی بررسی را پر کنید:', template: 'الگوی بررسی (xlsx)',
      drop: 'فایل‌های xlsx، xls یا csv را اینجا رها کنید یا برای انتخاب کلیک کنید',
      province: (p) => `استان: ${p}`, noKey: 'نخست کلید بارگذاری استان را وارد کنید.',
      noProvinceRole: 'حساب شما به هیچ استانی اختصاص نیافته است؛ از دفتر برنامه بخواهید شما را بارگذار استانتان کند.',
      keyShape: 'این کلید بارگذاری نیست: کلید به شکل استان.شناسه.رمز است، همان‌گونه که دفتر برنامه داده است.',
      badType: (n) => `«${n}» فایل بررسی نیست: فقط فایل‌های .xlsx، .xls و .csv بارگذاری می‌شوند.`,
      tooLarge: (n) => `«${n}» بزرگ‌تر از ${digits(megabytes())} مگابایت است، سقف یک بررسی. آن را به چند فایل کوچک‌تر تقسیم کنید.`,
      empty: (n) => `«${n}» خالی است.`,
      waiting: 'در صف', asking: 'گرفتن نشانی بارگذاری…', sending: 'در حال فرستادن…', reading: 'فرستاده شد؛ در انتظار گزارش…',
      sendFailed: 'فرستادن فایل ناموفق بود؛ اتصال را بررسی کنید و دوباره بفرستید.',
      rows: 'ردیف‌ها', accepted: 'پذیرفته', rejected: 'رد شده', failed: 'ناموفق', pending: 'در انتظار',
      completed: 'گزارش نهایی است.', processing: 'در حال پردازش…', fileRejected: 'کل فایل رد شد:',
      allGood: 'همه ردیف‌ها پذیرفته شدند.', row: 'ردیف', mine: 'کد معدن', field: 'ستون', message: 'مشکل',
      warnings: 'هشدارها (ردیف‌ها پذیرفته شدند؛ این مقادیر را دوباره ببینید)', warning: 'هشدار',
      withdraw: 'پس گرفتن این بررسی', withdrawReason: 'چرا این بررسی پس گرفته می‌شود؟ (با بررسی و با هر معدنی که نوشته نگه داشته می‌شود)',
      withdrawing: 'در حال پس‌گرفتن: هر معدنی که این بررسی نوشته به حال پیشین بازمی‌گردد…',
      withdrawn: (w) => `این بررسی پس گرفته شد (${w.reason}): ${digits(w.restored)} معدن به حال پیشین بازگشت، ${digits(w.removed)} معدن حذف شد، ${digits(w.untouched)} معدن دست نخورد.`,
      fixXlsx: 'دریافت ردیف‌های اصلاحی (xlsx)', fixCsv: '(csv)',
      fixHelp: 'ردیف‌های رد شده را در این فایل اصلاح کنید و همین فایل را دوباره بفرستید.',
      network: 'سرویس پاسخ نداد؛ چند دقیقه دیگر دوباره امتحان کنید.',
    },
    en: {
      title: 'Upload a mine survey', dashboard: 'Dashboard', language: 'Language', keyTitle: 'Province upload key',
      keyPlaceholder: 'Paste the upload key here', saveKey: 'Keep key', forgetKey: 'Forget key',
      keyHelp: 'The key is kept in this browser only and sent only to the upload service.',
      fileTitle: 'Survey file', templateHelp: 'Fill in the survey template:', template: 'survey template (xlsx)',
      drop: 'Drop xlsx, xls or csv files here, or click to choose',
      province: (p) => `Province: ${p}`, noKey: 'Enter the province upload key first.',
      noProvinceRole: 'Your account is not assigned to a province; ask the programme office to make you your province\'s uploader.',
      keyShape: 'This is not an upload key: a key looks like province.id.secret, as the programme office gave it.',
      badType: (n) => `"${n}" is not a survey file: only .xlsx, .xls and .csv files can be uploaded.`,
      tooLarge: (n) => `"${n}" is larger than ${megabytes()} MB, the limit for one survey. Split it into smaller files.`,
      empty: (n) => `"${n}" is empty.`,
      waiting: 'Queued', asking: 'Getting an upload address…', sending: 'Sending…', reading: 'Sent; waiting for the report…',
      sendFailed: 'The file could not be sent; check the connection and send it again.',
      rows: 'Rows', accepted: 'Accepted', rejected: 'Rejected', failed: 'Failed', pending: 'Pending',
      completed: 'The report is final.', processing: 'Processing…', fileRejected: 'The whole file was rejected:',
      allGood: 'Every row was accepted.', row: 'Row', mine: 'Mine', field: 'Field', message: 'Problem',
      warnings: 'Warnings (the rows were accepted; look at these values again)', warning: 'Warning',
      withdraw: 'Withdraw this survey', withdrawReason: 'Why is this survey withdrawn? (kept with the survey and with every mine it wrote)',
      withdrawing: 'Being withdrawn: every mine this survey wrote returns to what it was…',
      withdrawn: (w) => `This survey was withdrawn (${w.reason}): ${w.restored} mines restored, ${w.removed} removed, ${w.untouched} untouched.`,
      fixXlsx: 'Download the rows to fix (xlsx)', fixCsv: '(csv)',
      fixHelp: 'Correct the rejected rows in this file and send the same file again.',
      network: 'The service did not answer; try again in a few minutes.',
    },
  };

  const $ = (s) => document.querySelector(s);
  let lang = localStorage.getItem(LANG_STORE) === 'en' ? 'en' : 'fa';
  /** Persian digits (۰-۹) in Persian, Latin in English. */
  const digits = (value) => (lang === 'fa' ? String(value).replace(/[0-9]/g, (d) => '۰۱۲۳۴۵۶۷۸۹'[d]) : String(value));
  const t = (key, ...args) => { const v = text[lang][key]; return typeof v === 'function' ? v(...args) : v ?? key; };
  const el = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) node.setAttribute(k, v);
    node.append(...children.filter((c) => c !== null && c !== undefined));
    return node;
  };
  const problemText = (p) => (lang === 'fa' ? p.detailFa || p.detail : p.detail) || t('network');

  const key = () => localStorage.getItem(KEY_STORE) || '';
  const provinceOf = (k) => (/^[a-z-]+\.[0-9a-f]+\.[A-Za-z0-9_-]+$/.test(k) ? k.split('.')[0] : null);
  // Signed in: the token, and the province the clerk's role names; with sign-in off, the key and its province.
  let session = { enabled: false, headers: async () => ({}), draw: () => {} };
  const credentials = async () => (session.enabled ? session.headers() : { 'x-province-key': key() });
  const currentProvince = () => (session.enabled ? session.me?.provinces?.[0] ?? null : provinceOf(key()));

  // Each file is an item on the page; its render() draws it anew from its state (so a language switch redraws all).
  const items = [];
  let busy = false;

  async function addFiles(files) {
    await limitsRead;
    const added = [];
    for (const file of files) {
      const item = { file, state: 'waiting', problem: null, sent: 0, report: null, node: el('div', { class: 'file', 'data-testid': 'file' }) };
      items.push(item);
      $('#queue').append(item.node);
      const name = file.name; const dot = name.lastIndexOf('.');
      const ext = dot >= 0 ? name.slice(dot).toLowerCase() : '';
      if (!limits.types.includes(ext)) fail(item, ['badType', name]);
      else if (file.size > limits.maxFileBytes) fail(item, ['tooLarge', name]);
      else if (file.size === 0) fail(item, ['empty', name]);
      render(item);
      added.push(item);
    }
    next();
    return added;
  }

  // The uploads of this browser, so that a reload finds their reports again (and the rows being fixed in them).
  const UPLOADS_STORE = 'mineingest-uploads';
  const remembered = () => JSON.parse(localStorage.getItem(UPLOADS_STORE) || '[]');
  function remember(item) {
    const list = remembered().filter((u) => u.blob !== item.blob);
    list.push({ blob: item.blob, province: item.province, name: item.file.name, size: item.file.size });
    localStorage.setItem(UPLOADS_STORE, JSON.stringify(list.slice(-10)));
  }
  function restoreUploads() {
    for (const u of remembered()) {
      const item = { file: { name: u.name, size: u.size }, state: 'reading', problem: null, sent: u.size, report: null, blob: u.blob, province: u.province,
        node: el('div', { class: 'file', 'data-testid': 'file' }) };
      items.push(item);
      $('#queue').append(item.node);
      render(item);
      poll(item);
    }
  }

  /** Sends a file the page made (the fixed rows) like any chosen file; resolves once it is in storage. */
  async function uploadMade(file) {
    const [item] = await addFiles([file]);
    while (!['reading', 'done', 'refused'].includes(item.state)) await new Promise((resolve) => setTimeout(resolve, 100));
    if (item.state === 'refused') throw new Error(Array.isArray(item.problem) ? t(...item.problem) : problemText(item.problem ?? {}));
  }

  function fail(item, problem) { item.state = 'refused'; item.problem = problem; }

  async function next() {
    if (busy) return;
    const item = items.find((i) => i.state === 'waiting');
    if (!item) return;
    busy = true;
    try { await send(item); } finally { busy = false; next(); }
  }

  async function send(item) {
    const province = currentProvince();
    if (!province) { fail(item, [session.enabled ? 'noProvinceRole' : key() ? 'keyShape' : 'noKey']); render(item); return; }
    item.state = 'asking'; render(item);
    let ticket;
    try {
      const r = await fetch(`provinces/${encodeURIComponent(province)}/uploads`, {
        method: 'POST', headers: { 'content-type': 'application/json', ...(await credentials()) }, body: JSON.stringify({ fileName: item.file.name }),
      });
      if (!r.ok) { item.state = 'refused'; item.problem = await r.json().catch(() => ({})); render(item); return; }
      ticket = await r.json();
    } catch { fail(item, ['network']); render(item); return; }

    item.state = 'sending'; render(item);
    try { await putFile(ticket.uploadUrl, item.file, (sent) => { item.sent = sent; drawProgress(item); }); } catch { fail(item, ['sendFailed']); render(item); return; }
    item.sent = item.file.size; item.blob = ticket.blob; item.province = province; item.state = 'reading'; render(item);
    remember(item);
    await poll(item);
  }

  // Put Blob for small files; Put Block per 4 MiB and Put Block List for larger ones. XHR, for upload progress.
  async function putFile(url, file, progress) {
    if (file.size <= BLOCK) {
      await put(url, file, { 'x-ms-blob-type': 'BlockBlob', 'x-ms-blob-content-type': file.type || 'application/octet-stream' }, (n) => progress(n));
      return;
    }
    const ids = [];
    for (let offset = 0, n = 0; offset < file.size; offset += BLOCK, n++) {
      const id = btoa(String(n).padStart(6, '0'));
      ids.push(id);
      await put(`${url}&comp=block&blockid=${encodeURIComponent(id)}`, file.slice(offset, offset + BLOCK), {}, (sent) => progress(offset + sent));
    }
    const list = `<?xml version="1.0" encoding="utf-8"?><BlockList>${ids.map((id) => `<Latest>${id}</Latest>`).join('')}</BlockList>`;
    await put(`${url}&comp=blocklist`, list, { 'x-ms-blob-content-type': file.type || 'application/octet-stream' }, () => {});
  }

  function put(url, body, headers, progress) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('PUT', url);
      for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
      xhr.upload.onprogress = (e) => progress(e.loaded);
      xhr.onload = () => (xhr.status >= 200 && xhr.status < 300 ? resolve() : reject(new Error(`${xhr.status}`)));
      xhr.onerror = () => reject(new Error('network'));
      xhr.send(body);
    });
  }

  async function poll(item) {
    for (;;) {
      try {
        const r = await fetch(`provinces/${encodeURIComponent(item.province)}/surveys?blob=${encodeURIComponent(item.blob)}`, { headers: { ...(await credentials()), 'Cache-Control': 'no-cache' } });
        if (r.ok) {
          item.report = await r.json();
          render(item);
          if (!['processing', 'withdrawing'].includes(item.report.status)) { item.state = 'done'; render(item); return; }
        } else if (r.status !== 404) {
          item.state = 'refused'; item.problem = await r.json().catch(() => ({})); render(item); return;
        }
      } catch { /* the service is briefly away: keep asking */ }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }

  /** Withdraws the survey as the province's clerk (the server allows it within 7 days of the upload), then follows its report. */
  async function withdraw(item) {
    const reason = prompt(t('withdrawReason'));
    if (!reason || !reason.trim()) return;
    const r = await fetch(`surveys/${encodeURIComponent(item.report.id)}/withdraw`, {
      method: 'POST', headers: { 'content-type': 'application/json', ...(await credentials()) }, body: JSON.stringify({ reason: reason.trim() }),
    }).catch(() => null);
    if (!r) { item.problem = ['network']; render(item); return; }
    if (!r.ok) { item.problem = await r.json().catch(() => ({})); render(item); return; }
    item.problem = null; item.report = await r.json(); item.state = 'reading'; render(item);
    await poll(item);
  }

  async function download(item, format) {
    const r = await fetch(`provinces/${encodeURIComponent(item.province)}/surveys/${encodeURIComponent(item.report.id)}/errors.${format}`,
      { headers: await credentials() });
    if (!r.ok) { item.problem = await r.json().catch(() => ({})); render(item); return; }
    const stem = item.file.name.replace(/\.[^.]+$/, '');
    const a = el('a', { href: URL.createObjectURL(await r.blob()), download: `${stem}-rows-to-fix.${format}` });
    document.body.append(a); a.click(); a.remove();
  }

  function drawProgress(item) {
    const bar = item.node.querySelector('progress');
    if (!bar) return;
    bar.value = item.sent;
    const percent = Math.floor((100 * item.sent) / Math.max(1, item.file.size));
    bar.dataset.percent = String(percent);
    item.node.querySelector('.percent').textContent = lang === 'fa' ? `${digits(percent)}٪` : `${percent}%`;
  }

  function render(item) {
    const n = item.node; n.replaceChildren(el('h3', {}, item.file.name));
    if (item.problem) {
      const message = Array.isArray(item.problem) ? t(...item.problem) : problemText(item.problem);
      n.append(el('p', { class: 'problem', 'data-testid': 'problem' }, message));
    }
    if (item.state === 'refused') return;
    if (['asking', 'sending', 'reading', 'waiting'].includes(item.state)) n.append(el('p', { class: 'muted', 'data-testid': 'state' }, t(item.state)));
    if (item.state !== 'waiting' && item.state !== 'asking') {
      n.append(el('progress', { max: String(item.file.size), value: String(item.sent), 'data-testid': 'progress' }), el('span', { class: 'percent' }));
      drawProgress(item);
    }
    const s = item.report;
    if (!s) return;
    n.dataset.status = s.status;
    if (s.status === 'rejected') {
      n.append(el('p', { class: 'problem', 'data-testid': 'file-rejected' }, `${t('fileRejected')} ${lang === 'fa' ? s.errorFa || s.error : s.error}`));
      return;
    }
    if (s.withdrawal) {
      n.append(el('p', { class: 'muted', 'data-testid': 'withdrawal' }, s.status === 'withdrawn' ? t('withdrawn', s.withdrawal) : t('withdrawing')));
      return;
    }
    const count = (name) => el('span', {}, `${t(name)}: `, el('b', { 'data-testid': `count-${name}`, 'data-value': String(s[name]) }, digits(s[name])));
    n.append(el('p', { class: 'counts' }, count('rows'), count('accepted'), count('rejected'), count('failed'), count('pending')));
    n.append(el('p', { class: s.status === 'completed' ? 'ok' : 'muted', 'data-testid': 'report-state' },
      s.status === 'completed' ? (s.rejected + s.failed === 0 ? t('allGood') : t('completed')) : t('processing')));
    if (s.status === 'completed' && s.rejected + s.failed > 0) {
      if (!item.fixer) {
        item.fixer = window.MineIngestFixRows.create({ survey: s.id, fileName: item.file.name, province: item.province, headers: credentials, upload: uploadMade, digits });
        item.fixer.load().then(() => item.fixer.draw(lang)).catch((error) => console.error(error));
      }
      const xlsx = el('button', { type: 'button', 'data-testid': 'fix-xlsx' }, t('fixXlsx'));
      const csv = el('button', { type: 'button', 'data-testid': 'fix-csv' }, t('fixCsv'));
      xlsx.onclick = () => download(item, 'xlsx'); csv.onclick = () => download(item, 'csv');
      n.append(el('p', {}, xlsx, ' ', csv), el('p', { class: 'muted' }, t('fixHelp')));
    }
    if (s.status === 'completed') {
      const button = el('button', { type: 'button', 'data-testid': 'withdraw' }, t('withdraw'));
      button.onclick = () => withdraw(item);
      n.append(el('p', {}, button));
    }
    n.append(...table(s.errors, 'message', 'error-row'));
    if (s.warnings && s.warnings.length > 0) n.append(el('h4', {}, t('warnings')), ...table(s.warnings, 'warning', 'warning-row'));
    if (item.fixer && s.status === 'completed') n.append(item.fixer.root);
  }

  /** Row errors or warnings: row, mine, the column by its header in the page's language, the message. */
  function table(list, messageHeader, testId) {
    if (!list || list.length === 0) return [];
    const head = el('tr', {}, ...['row', 'mine', 'field', messageHeader].map((h) => el('th', {}, t(h))));
    const rows = [...list].sort((a, b) => a.row - b.row).map((e) => el('tr', { 'data-testid': testId },
      el('td', {}, digits(e.row)), el('td', {}, e.mineId || ''), el('td', { 'data-testid': 'field' }, (lang === 'fa' ? e.fieldNameFa : e.fieldName) || e.field || ''),
      el('td', {}, lang === 'fa' ? e.messageFa || e.message : e.message)));
    // A box of its own scrolls a wide table on a phone; the page itself never scrolls sideways.
    return [el('div', { class: 'scroll-x', tabindex: '0', role: 'region', 'aria-label': t(messageHeader) },
      el('table', { class: 'errors' }, el('thead', {}, head), el('tbody', {}, ...rows)))];
  }

  function applyLanguage() {
    document.documentElement.lang = lang;
    document.documentElement.dir = lang === 'fa' ? 'rtl' : 'ltr';
    document.title = t('title');
    $('#lang').value = lang;
    for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
    for (const node of document.querySelectorAll('[data-i18n-placeholder]')) node.placeholder = t(node.dataset.i18nPlaceholder);
    const province = provinceOf(key());
    $('#key-province').textContent = province ? t('province', province) : '';
    session.draw(lang);
    items.forEach(render);
    items.forEach((item) => item.fixer?.draw(lang));
  }

  $('#key-panel').hidden = true; // shown only once it is known that sign-in is off
  $('#lang').addEventListener('change', () => { lang = $('#lang').value; localStorage.setItem(LANG_STORE, lang); applyLanguage(); });
  $('#key').value = key();
  $('#save-key').addEventListener('click', () => { localStorage.setItem(KEY_STORE, $('#key').value.trim()); applyLanguage(); });
  $('#forget-key').addEventListener('click', () => { localStorage.removeItem(KEY_STORE); $('#key').value = ''; applyLanguage(); });
  $('#files').addEventListener('change', (e) => { addFiles([...e.target.files]); e.target.value = ''; });
  const drop = $('#drop');
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('over'); addFiles([...e.dataTransfer.files]); });
  applyLanguage();
  window.MineIngestSignIn.start({ apiBase: location.pathname.replace(/upload\/?$/, ''), container: $('#signin'), lang })
    .catch((error) => { console.error(error); return session; })
    .then((started) => {
      session = started;
      $('#key-panel').hidden = session.enabled;
      applyLanguage();
      if (!session.enabled || session.signedIn) restoreUploads();
      document.body.dataset.ready = 'true';
    });
})();
