// Trunk post-build hook (Trunk.toml): writes the SHA-256 hashes of the inline <script>
// elements of the built index.html (Trunk's wasm loader, whose text names the hashed file
// names and so changes with every build) into its Content-Security-Policy, in place of the
// placeholder 'inline-script-hashes'. Why hashes and not 'unsafe-inline': an injected
// inline script then never runs; why a hook: the hash is only known after the build.
import { readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';

const PLACEHOLDER = "'inline-script-hashes'";
const file = process.argv[2];
const html = readFileSync(file, 'utf8');
if (!html.includes(PLACEHOLDER)) {
  console.error(`${file}: no ${PLACEHOLDER} in its Content-Security-Policy`);
  process.exit(1);
}
const hashes = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)]
  .filter(([, attributes]) => !/\bsrc\s*=/.test(attributes))
  .map(([, , text]) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`);
// No inline script at all: the placeholder goes and nothing inline may run.
writeFileSync(file, html.replaceAll(PLACEHOLDER, [...new Set(hashes)].join(' ')));
console.log(`${file}: ${hashes.length} inline script hash(es) in the Content-Security-Policy`);
