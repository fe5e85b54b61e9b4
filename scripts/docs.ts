import { readFileSync, writeFileSync } from 'node:fs';
import { replaceBetweenMarkers, vendorSettingsTable, vendorTable } from '../src/providers/docs.js';
import { VENDORS } from '../src/providers/registry.js';

/** `npm run docs`: rewrites the README's vendor tables from the registry. */
const path = new URL('../README.md', import.meta.url);
let text = readFileSync(path, 'utf8');
text = replaceBetweenMarkers(text, 'vendors:list', vendorTable(VENDORS));
text = replaceBetweenMarkers(text, 'vendors:settings', vendorSettingsTable(VENDORS));
writeFileSync(path, text);
