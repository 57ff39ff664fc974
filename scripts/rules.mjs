/**
 * Write src/rules.ts from livegraphs_ext/kernel/rules.json, the one table of the rules the kernel and
 * the front end share; `--check` fails instead when src/rules.ts is not what the table gives.
 */
import { readFile, writeFile } from 'node:fs/promises';
import process from 'node:process';

import * as prettier from 'prettier';

const source = 'livegraphs_ext/kernel/rules.json';
const target = 'src/rules.ts';

const table = JSON.parse(await readFile(source, 'utf-8'));
const text = await prettier.format(
  `/**
 * The rules the kernel and the front end share (the "show me" mark, the
 * Python line of a chart, the condition of a dashboard filter).
 *
 * Generated from ${source} by scripts/rules.mjs (\`jlpm build:rules\`):
 * edit the table there, not this file.
 */
export const RULES = ${JSON.stringify(table)};
`,
  { ...(await prettier.resolveConfig(target)), filepath: target }
);

if (process.argv.includes('--check')) {
  const current = await readFile(target, 'utf-8').catch(() => '');
  if (current !== text) {
    process.stderr.write(
      `${target} is out of date with ${source}: run \`jlpm build:rules\`\n`
    );
    process.exit(1);
  }
} else {
  await writeFile(target, text);
}
