// The field form's rules, read from the contract at build time (one source: survey-columns.csv, provinces.csv and
// minerals.csv), so the phone checks what the pipeline checks without a second, hand-kept copy of the rules.
// Each column: its key and headers, what kind of input it takes, when it is required, its choices or its range.
import { readFileSync } from 'node:fs';

/** RFC 4180 fields of one CSV line (the contract quotes notes that hold commas). */
function fields(line) {
  const out = [];
  let value = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') { value += '"'; i++; } else if (c === '"') quoted = false; else value += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { out.push(value); value = ''; } else value += c;
  }
  out.push(value);
  return out;
}

function table(path) {
  const [head, ...lines] = readFileSync(path, 'utf8').replace(/^\uFEFF/, '').trim().split(/\r?\n/);
  const names = fields(head);
  return lines.map((line) => Object.fromEntries(fields(line).map((v, i) => [names[i], v])));
}

/** "idle (راکد, غیرفعال) | reviving (در حال احیا)": each choice's slug and its Persian names (the first is shown). */
function choices(notes) {
  return notes.split('|').map((part) => {
    const m = part.trim().match(/^([a-z-]+)\s*(?:\((.*)\))?$/);
    if (!m) throw new Error(`the contract's choice "${part}" is not "slug (Persian, ...)"`);
    return { slug: m[1], english: m[1][0].toUpperCase() + m[1].slice(1), persian: (m[2] ?? m[1]).split(',')[0].trim() };
  });
}

/** The ranges a column's type and notes state: "number 0..100", ">= 0", "25.0 to 39.8", "Jalali (1300-1499) or Gregorian (1900-2100)". */
function ranges(type, notes) {
  const between = `${type} ${notes}`.match(/(-?\d+(?:\.\d+)?)\s*(?:\.\.|to)\s*(-?\d+(?:\.\d+)?)/);
  if (between) return [{ min: Number(between[1]), max: Number(between[2]) }];
  if (/>=\s*0/.test(type)) return [{ min: 0 }];
  const years = [...notes.matchAll(/(\w+) \((\d{4})-(\d{4})\)/g)].map((m) => ({ calendar: m[1].toLowerCase(), min: Number(m[2]), max: Number(m[3]) }));
  return years;
}

/** `required` as the contract writes it: yes, no, "yes, except construction-stone", "yes, when status is revived". */
function required(text) {
  if (text === 'yes') return { always: true };
  if (text === 'no') return { always: false };
  const except = text.match(/^yes, except ([a-z-]+)$/);
  if (except) return { always: false, unlessMineral: except[1] };
  const when = text.match(/^yes, when ([a-z_]+) is ([a-z-]+)$/);
  if (when) return { always: false, when: { key: when[1], is: when[2] } };
  throw new Error(`the contract's "required" value "${text}" is not one the field form knows`);
}

const kinds = {
  text: 'text', province: 'choice', mineral: 'choice', status: 'choice', problem: 'choice', 'decimal degrees': 'number',
  'number >= 0': 'number', 'number 0..100': 'number', 'whole number >= 0': 'whole', year: 'year', date: 'date',
};

/** Reads the contract in `folder` into the rules the form is built from. */
export function fieldRules(folder) {
  const provinces = table(`${folder}provinces.csv`).map(({ slug, english, persian }) => ({ slug, english, persian }));
  const minerals = table(`${folder}minerals.csv`).map(({ slug, english, persian }) => ({ slug, english, persian }));
  const columns = table(`${folder}survey-columns.csv`).map((c) => {
    const kind = kinds[c.type];
    if (!kind) throw new Error(`the contract's column type "${c.type}" (${c.key}) is not one the field form knows`);
    const column = { key: c.key, english: c.english, persian: c.persian, kind, required: required(c.required) };
    if (c.type === 'province') column.choices = provinces;
    else if (c.type === 'mineral') column.choices = minerals;
    else if (kind === 'choice') column.choices = choices(c.notes);
    else if (kind !== 'text') column.ranges = ranges(c.type, c.notes);
    if (kind === 'date') column.notInFuture = /not in the future/.test(c.notes);
    return column;
  });
  // A date's year says its calendar, with the same ranges as the year column's (surveys.md states both alike).
  const years = columns.find((c) => c.kind === 'year')?.ranges ?? [];
  for (const c of columns) if (c.kind === 'date') c.ranges = years;
  return { columns };
}
