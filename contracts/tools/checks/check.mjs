// Validate an AsyncAPI document (errors and warnings of @asyncapi/parser) and generate TypeScript models from it with
// Modelina, failing when a model gets an invented name (an unnamed schema) or two models share one (merged schemas).
// Usage: npm ci --prefix contracts/tools/checks && npm run --prefix contracts/tools/checks check
import fs from 'node:fs';
import { Parser } from '@asyncapi/parser';
import { TypeScriptGenerator } from '@asyncapi/modelina';

const path = process.argv[2] ?? '../../asyncapi.yaml';
const { document, diagnostics } = await new Parser().parse(fs.readFileSync(path, 'utf8'));
const severities = ['error', 'warning', 'info', 'hint'];
const serious = diagnostics.filter((d) => d.severity <= 1);
for (const d of serious) console.log(severities[d.severity], d.code, d.path.join('/'), d.message);
if (!document) process.exit(1);
const models = await new TypeScriptGenerator({ modelType: 'interface' }).generate(document);
const names = models.map((m) => m.modelName);
const invented = names.filter((n) => /anonymous/i.test(n));
const repeated = names.filter((n, i) => names.indexOf(n) !== i);
console.log(`${serious.length} errors or warnings; ${names.length} models, ${invented.length} unnamed, ${repeated.length} repeated`);
if (invented.length) console.log('unnamed:', invented.join(' '));
if (repeated.length) console.log('repeated:', repeated.join(' '));
process.exit(serious.length || invented.length || repeated.length ? 1 : 0);
