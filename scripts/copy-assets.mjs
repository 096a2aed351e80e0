// Copies the front-end files the templates use from node_modules/ into static/vendor/.
// static/vendor/ is generated (git-ignored): run `npm ci && npm run copy-assets` to rebuild it.
// Source maps are copied beside the minified files because Django's manifest storage
// follows `sourceMappingURL` comments during collectstatic and fails on a missing target.
import { cpSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const modules = join(root, "node_modules");
const vendor = join(root, "static", "vendor");

// [source under node_modules/, destination under static/vendor/, required?]
const assets = [
  ["@uswds/uswds/dist/css", "uswds/css", true],
  ["@uswds/uswds/dist/js", "uswds/js", true],
  ["@uswds/uswds/dist/img", "uswds/img", true],
  ["@uswds/uswds/dist/fonts", "uswds/fonts", true],
  ["htmx.org/dist/htmx.min.js", "htmx.min.js", true],
  ["chart.js/dist/chart.umd.min.js", "chart.umd.min.js", true],
  ["chart.js/dist/chart.umd.min.js.map", "chart.umd.min.js.map", false],
  ["chart.js/dist/chart.umd.js", "chart.umd.js", true],
  ["chart.js/dist/chart.umd.js.map", "chart.umd.js.map", false],
  ["axe-core/axe.min.js", "axe.min.js", true],
];

const missing = assets.filter(([src, , required]) => required && !existsSync(join(modules, src)));
if (missing.length > 0) {
  for (const [src] of missing) console.error(`copy-assets: missing node_modules/${src}`);
  console.error("copy-assets: run `npm ci` first");
  process.exit(1);
}

rmSync(vendor, { recursive: true, force: true });
for (const [src, dest] of assets) {
  const from = join(modules, src);
  if (!existsSync(from)) continue;
  const to = join(vendor, dest);
  mkdirSync(dirname(to), { recursive: true });
  cpSync(from, to, { recursive: true });
}
console.log(`copy-assets: ${assets.length} entries copied to static/vendor/`);
