// Bundles the dashboard's script into dist/dashboard.js (committed, so the .NET build needs no npm): app code, d3-geo, jalaali-js,
// Iran's outline cut from world-atlas, and the province and mineral names from the app's reference data; beside it the
// Persian web font Vazirmatn (regular and bold, with its licence), so Persian looks the same on a machine without Persian fonts.
// Run: cd dashboard && npm ci && npm run build
import { build } from 'esbuild';
import { readFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { feature } from 'topojson-client';

const here = new URL('.', import.meta.url).pathname;
// --out FILE writes the bundle elsewhere: a test compares that with the committed dist/dashboard.js.
const outIndex = process.argv.indexOf('--out');
const outfile = outIndex > 0 ? process.argv[outIndex + 1] : `${here}dist/dashboard.js`;
// --signin-out FILE likewise for dist/signin.js (MSAL.js and the pages' sign-in).
const signinIndex = process.argv.indexOf('--signin-out');
const signinOutfile = signinIndex > 0 ? process.argv[signinIndex + 1] : `${here}dist/signin.js`;
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
console.log(`dashboard: ${outfile} and ${signinOutfile} written (the app embeds dist/dashboard.js with src/index.html and src/dashboard.css)`);
