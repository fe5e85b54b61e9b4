import type { VendorRegistry } from './registry.js';

/**
 * The README's vendor tables, written from the registry: `npm run docs` puts them between the README's
 * `<!-- vendors:… -->` markers, and a test fails when the README and the registry disagree.
 */
export function vendorTable(registry: VendorRegistry): string {
  const rows = registry.descriptors.map(
    (v) =>
      `| ${v.label} | \`${v.id}\` | ${v.keyTypes.map((t) => `\`${t}\``).join(', ')} | ${v.tracksUse ? 'yes' : 'no: "stale" means created long ago and still active'} |`,
  );
  return ['| Vendor | Name in commands | Key types | Records last use |', '|---|---|---|---|', ...rows].join(
    '\n',
  );
}

export function vendorSettingsTable(registry: VendorRegistry): string {
  const rows = registry.descriptors.flatMap((v) =>
    Object.entries(v.fields).map(([name, f]) => {
      const kind = f.secret ? 'credential' : f.option ? 'option' : 'connection';
      const required = v.required.includes(name) ? ' (required to use it)' : '';
      return `| \`${name}\` | ${v.label} | ${kind}${required} | ${f.doc} |`;
    }),
  );
  return ['| Variable | Vendor | Kind | Meaning |', '|---|---|---|---|', ...rows].join('\n');
}

/** Replaces the text between `<!-- name:start -->` and `<!-- name:end -->`. */
export function replaceBetweenMarkers(text: string, name: string, body: string): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < i) throw new Error(`the markers ${start} … ${end} are missing`);
  return `${text.slice(0, i + start.length)}\n${body}\n${text.slice(j)}`;
}
