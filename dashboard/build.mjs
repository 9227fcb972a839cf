// Bundles the dashboard's script into dist/dashboard.js (committed, so the .NET build needs no npm): app code, d3-geo, jalaali-js,
// Iran's outline cut from world-atlas, and the province and mineral names from the app's reference data.
// Run: cd dashboard && npm ci && npm run build
import { build } from 'esbuild';
import { readFileSync, mkdirSync } from 'node:fs';
import { feature } from 'topojson-client';

const here = new URL('.', import.meta.url).pathname;
// --out FILE writes the bundle elsewhere: a test compares that with the committed dist/dashboard.js.
const outIndex = process.argv.indexOf('--out');
const outfile = outIndex > 0 ? process.argv[outIndex + 1] : `${here}dist/dashboard.js`;
const reference = `${here}../functions/MineIngest.Domain/ReferenceData/`;
const csv = (name) => readFileSync(reference + name, 'utf8').trim().split(/\r?\n/).slice(1)
  .map((line) => line.split(',')).map(([slug, english, persian]) => ({ slug, english, persian }));

// Iran is ISO 3166 numeric 364 in world-atlas.
const world = JSON.parse(readFileSync(`${here}node_modules/world-atlas/countries-50m.json`, 'utf8'));
const iran = feature(world, world.objects.countries).features.find((f) => f.id === '364');
if (!iran) throw new Error('Iran not found in world-atlas');

mkdirSync(`${here}dist`, { recursive: true });
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
  },
});
console.log(`dashboard: ${outfile} written (the app embeds dist/dashboard.js with src/index.html and src/dashboard.css)`);
