// Bundles the dashboard's script into dist/dashboard.js (committed, so the .NET build needs no npm): app code, d3-geo, jalaali-js,
// Iran's outline cut from world-atlas, and the province and mineral names from the app's reference data; beside it the
// Persian web font Vazirmatn (regular and bold, with its licence), so Persian looks the same on a machine without Persian fonts.
// Run: cd dashboard && npm ci && npm run build
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { feature } from 'topojson-client';
import { fieldRules } from './field-rules.mjs';

const here = new URL('.', import.meta.url).pathname;
// --out FILE writes the bundle elsewhere: a test compares that with the committed dist/dashboard.js. --signin-out FILE
// likewise for dist/signin.js (MSAL.js and the pages' sign-in), --field-out DIR for the field form's two bundles
// (field.js, field-worker.js).
const option = (name, fallback) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : fallback; };
const outfile = option('--out', `${here}dist/dashboard.js`);
const signinOutfile = option('--signin-out', `${here}dist/signin.js`);
const fieldOut = option('--field-out', `${here}dist`);
const reference = `${here}../functions/MineIngest.Domain/ReferenceData/`;
const csv = (name) => readFileSync(reference + name, 'utf8').trim().split(/\r?\n/).slice(1)
  .map((line) => line.split(',')).map(([slug, english, persian]) => ({ slug, english, persian }));

// names.csv: list,slug,english,persian (tiers, survey states, committee outcomes, solution states), by list.
const names = {};
for (const line of readFileSync(reference + 'names.csv', 'utf8').trim().split(/\r?\n/).slice(1)) {
  const [list, slug, english, persian] = line.split(',');
  (names[list] ??= []).push({ slug, english, persian });
}

// Iran is ISO 3166 numeric 364 in world-atlas.
const world = JSON.parse(readFileSync(`${here}node_modules/world-atlas/countries-50m.json`, 'utf8'));
const iran = feature(world, world.objects.countries).features.find((f) => f.id === '364');
if (!iran) throw new Error('Iran not found in world-atlas');

mkdirSync(`${here}dist`, { recursive: true });
// The static regular and bold faces, not the variable one: Chromium's PDFs of pages set in the variable font lose
// letters from their text layer (copying from a printed report, or pdftotext, dropped some "e"s and digits).
for (const face of ['Regular', 'Bold']) {
  copyFileSync(`${here}node_modules/vazirmatn/fonts/webfonts/Vazirmatn-${face}.woff2`, `${here}dist/vazirmatn-${face.toLowerCase()}.woff2`);
}
copyFileSync(`${here}node_modules/vazirmatn/OFL.txt`, `${here}dist/vazirmatn-OFL.txt`);
await build({
  entryPoints: [`${here}src/app.js`],
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'es2020',
  legalComments: 'eof',
  outfile,
  define: {
    IRAN_OUTLINE: JSON.stringify(iran),
    PROVINCES: JSON.stringify(csv('provinces.csv')),
    MINERALS: JSON.stringify(csv('minerals.csv')),
    STATUSES: JSON.stringify(csv('statuses.csv')),
    PROBLEMS: JSON.stringify(csv('problems.csv')),
    NAMES: JSON.stringify(names),
  },
});
await build({
  entryPoints: [`${here}src/signin.js`], bundle: true, minify: true, format: 'iife', target: 'es2020', legalComments: 'eof', outfile: signinOutfile,
});
// The field form: its rules from the contract beside the project (../shared/contract/, or MINEINGEST_CONTRACT), with the
// project's own copy in the domain's reference data (the same files) when the build runs without it.
const contractFolder = [process.env.MINEINGEST_CONTRACT, `${here}../../shared/contract/`, reference]
  .find((f) => f && existsSync(`${f}survey-columns.csv`));
const extents = Object.fromEntries(readFileSync(`${here}data/province-extents.csv`, 'utf8').trim().split(/\r?\n/).slice(1)
  .map((line) => line.split(',')).map(([slug, south, north, west, east]) => [slug, { south: +south, north: +north, west: +west, east: +east }]));
await build({
  entryPoints: [`${here}src/field/main.js`], bundle: true, minify: true, format: 'iife', target: 'es2020', legalComments: 'eof', outfile: `${fieldOut}/field.js`,
  define: { FIELD_RULES: JSON.stringify(fieldRules(contractFolder)), PROVINCE_EXTENTS: JSON.stringify(extents) },
});
// What the service worker keeps at install: the page and its files, each with its content's hash as revision.
const revision = (path) => createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 16);
const precache = [
  ['field', `${here}src/field.html`], ['field.webmanifest', `${here}src/field.webmanifest`], ['dashboard/field.js', `${fieldOut}/field.js`],
  ['dashboard/signin.js', signinOutfile], ['dashboard/dashboard.css', `${here}src/dashboard.css`], ['dashboard/upload.css', `${here}src/upload.css`],
  ['dashboard/field.css', `${here}src/field.css`], ['dashboard/field-icon.svg', `${here}src/field-icon.svg`],
  ['dashboard/vazirmatn-regular.woff2', `${here}dist/vazirmatn-regular.woff2`], ['dashboard/vazirmatn-bold.woff2', `${here}dist/vazirmatn-bold.woff2`],
].map(([url, path]) => ({ url, revision: revision(path) }));
await build({
  entryPoints: [`${here}src/field-worker.js`], bundle: true, minify: true, format: 'iife', target: 'es2020', legalComments: 'eof', outfile: `${fieldOut}/field-worker.js`,
  define: { PRECACHE: JSON.stringify(precache), 'process.env.NODE_ENV': '"production"' },
});
console.log(`field form: rules from ${contractFolder}`);
console.log(`dashboard: ${outfile} and ${signinOutfile} written (the app embeds dist/dashboard.js with src/index.html and src/dashboard.css)`);
