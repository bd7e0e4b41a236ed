// Build the console: copy src/ and the needed files of node_modules into dist/ (no bundler).
import { cpSync, mkdirSync, rmSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "dist");
const nm = join(here, "node_modules");
rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, "vendor"), { recursive: true });
cpSync(join(here, "src"), dist, { recursive: true });
const vendor = [
  ["leaflet/dist/leaflet.js", "vendor/leaflet.js"],
  ["leaflet/dist/leaflet.css", "vendor/leaflet.css"],
  ["leaflet/dist/images", "vendor/images"],
  ["leaflet/LICENSE", "vendor/LICENSE-leaflet"],
  ["axe-core/axe.min.js", "vendor/axe.min.js"],
  ["axe-core/LICENSE", "vendor/LICENSE-axe-core"],
];
for (const [from, to] of vendor) {
  const src = join(nm, from);
  if (!existsSync(src)) {
    console.error(`missing ${src}: run npm ci in console/`);
    process.exit(1);
  }
  cpSync(src, join(dist, to), { recursive: true });
}
console.log(`console built into ${dist}`);
