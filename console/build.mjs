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
  // Swagger UI 5 for the service's /docs (reads OpenAPI 3.1; the PyPI bundle's 4.x cannot)
  ["swagger-ui-dist/swagger-ui.css", "vendor/swagger-ui/swagger-ui.css"],
  ["swagger-ui-dist/swagger-ui-bundle.js", "vendor/swagger-ui/swagger-ui-bundle.js"],
  ["swagger-ui-dist/swagger-ui-standalone-preset.js", "vendor/swagger-ui/swagger-ui-standalone-preset.js"],
  ["swagger-ui-dist/favicon-32x32.png", "vendor/swagger-ui/favicon-32x32.png"],
  ["swagger-ui-dist/LICENSE", "vendor/swagger-ui/LICENSE"],
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
