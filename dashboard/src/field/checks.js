// The checks the phone makes before a mine is kept: the contract's required fields, choices and ranges (FIELD_RULES,
// read from the contract at build time by field-rules.mjs), read the way the pipeline reads a CSV cell: Persian and
// Arabic-Indic digits, "٫" as the decimal mark, "," and "٬" between thousands, dates yyyy-mm-dd, yyyy/mm/dd or
// yyyy.mm.dd in either calendar. The text itself is kept as typed; these readings only check it.
import jalaali from 'jalaali-js';

/* global FIELD_RULES */
export const COLUMNS = FIELD_RULES.columns;

const latinDigits = (text) => String(text ?? '').replace(/[۰-۹]/g, (d) => String('۰۱۲۳۴۵۶۷۸۹'.indexOf(d))).replace(/[٠-٩]/g, (d) => String('٠١٢٣٤٥٦٧٨٩'.indexOf(d)));

export function readNumber(text) {
  const t = latinDigits(text).trim().replace(/٫/g, '.').replace(/[,٬]/g, '');
  return /^[-+]?\d+(\.\d+)?$|^[-+]?\.\d+$/.test(t) ? Number(t) : null;
}

/** A date as [year, month, day] of the Gregorian calendar, or null: the year says its calendar (the contract's ranges). */
export function readDate(text, ranges) {
  const m = latinDigits(text).trim().match(/^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})$/);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[3]), Number(m[4])];
  const calendar = ranges.find((r) => y >= r.min && y <= r.max)?.calendar;
  if (calendar === 'jalali') {
    if (!jalaali.isValidJalaaliDate(y, mo, d)) return null;
    const g = jalaali.toGregorian(y, mo, d);
    return [g.gy, g.gm, g.gd];
  }
  if (calendar !== 'gregorian') return null;
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d ? [y, mo, d] : null;
}

/** Today on the phone as Jalali yyyy/mm/dd (what a surveyor in Iran writes) or Gregorian yyyy-mm-dd. */
export function today(calendar) {
  const now = new Date();
  if (calendar === 'gregorian') return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
  const j = jalaali.toJalaali(now);
  return `${j.jy}/${String(j.jm).padStart(2, '0')}/${String(j.jd).padStart(2, '0')}`;
}

const nameKey = (text) => latinDigits(text).trim().toLowerCase().replace(/ي/g, 'ی').replace(/ك/g, 'ک').replace(/\u200c/g, '').replace(/\s+/g, ' ');

/** The choice a text names (slug, English or Persian name), or null. */
export function choiceOf(column, text) {
  const t = nameKey(text);
  return column.choices.find((c) => [c.slug, c.english, c.persian].some((n) => nameKey(n) === t)) ?? null;
}

function isRequired(column, values) {
  const r = column.required;
  if (r.always) return true;
  if (r.unlessMineral) return (choiceOf(COLUMNS.find((c) => c.key === 'mineral'), values.mineral ?? '')?.slug ?? '') !== r.unlessMineral;
  if (r.when) return (choiceOf(COLUMNS.find((c) => c.key === r.when.key), values[r.when.key] ?? '')?.slug ?? '') === r.when.is;
  return false;
}

function rangeProblem(value, ranges) {
  const [r] = ranges;
  if (!r) return null;
  if (r.max !== undefined && (value < r.min || value > r.max)) return ['between', r.min, r.max];
  if (value < r.min) return ['atLeast', r.min];
  return null;
}

/** One column's problem as [message key, ...arguments], or null. */
function problemOf(column, values) {
  const text = String(values[column.key] ?? '').trim();
  if (!text) return isRequired(column, values) ? ['required'] : null;
  switch (column.kind) {
    case 'choice': return choiceOf(column, text) ? null : ['choose'];
    case 'number': { const n = readNumber(text); return n === null ? ['number'] : rangeProblem(n, column.ranges); }
    case 'whole': { const n = readNumber(text); return n === null || !Number.isInteger(n) ? ['whole'] : rangeProblem(n, column.ranges); }
    case 'year': {
      const n = readNumber(text);
      return n !== null && Number.isInteger(n) && column.ranges.some((r) => n >= r.min && n <= r.max) ? null : ['year', column.ranges];
    }
    case 'date': {
      const d = readDate(text, column.ranges);
      if (!d) return ['date'];
      const now = new Date();
      const todayUtc = Date.UTC(now.getFullYear(), now.getMonth(), now.getDate());
      return column.notInFuture && Date.UTC(d[0], d[1] - 1, d[2]) > todayUtc ? ['future'] : null;
    }
    default: return null;
  }
}

/**
 * Every problem of an entry, by column key: the contract's rules, the file's own (a province's file names only that
 * province), and a mine id already used by another of the mines to be sent in the same file.
 */
export function check(values, { province, otherMineIds }) {
  const problems = {};
  for (const column of COLUMNS) {
    const p = problemOf(column, values);
    if (p) problems[column.key] = p;
  }
  const named = choiceOf(COLUMNS.find((c) => c.key === 'province'), values.province ?? '');
  // A province's file names only that province; the national office's may name any.
  if (!problems.province && province && province !== 'national' && named && named.slug !== province) problems.province = ['ownProvince', province];
  const id = nameKey(values.mine_id ?? '');
  if (!problems.mine_id && id && otherMineIds.some((other) => nameKey(other) === id)) problems.mine_id = ['duplicate'];
  return problems;
}
