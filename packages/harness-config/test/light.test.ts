import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigErrors, loadConfig } from '../src/index.js';
import { findConfigFile, quickStackName } from '../src/light.js';

const services = 'services:\n  web:\n    process: { command: "sleep 1" }\n';

/** [label, file text, what the quick read must say (undefined: not sure)] */
const CASES: [string, string, string | undefined][] = [
  ['plain', `name: shop\n${services}`, 'shop'],
  ['after services', `${services}name: shop\n`, 'shop'],
  ['double-quoted', `name: "shop-2"\n${services}`, 'shop-2'],
  ['single-quoted', `name: 'shop.v1'\n${services}`, 'shop.v1'],
  ['comment after', `name: shop   # the shop\n${services}`, 'shop'],
  ['spaces before colon', `name  :  shop\n${services}`, 'shop'],
  ['CRLF', `name: shop\r\n${services.replaceAll('\n', '\r\n')}`, 'shop'],
  ['document start', `---\nname: shop\n${services}`, 'shop'],
  ['absent: the folder', services, 'stackdir'],
  [
    'a service called name is not the stack name',
    `services:\n  name:\n    process: { command: "sleep 1" }\n`,
    'stackdir',
  ],
  [
    'json',
    JSON.stringify({ name: 'bench', services: { a: { process: { command: ['sleep', '1'] } } } }),
    'bench',
  ],
  [
    'json without name',
    JSON.stringify({ services: { a: { process: { command: ['sleep', '1'] } } } }),
    'stackdir',
  ],
  ['flow yaml', `{name: shop, services: {web: {process: {command: "sleep 1"}}}}`, undefined],
  ['anchor', `name: &n shop\n${services}`, undefined],
  ['escape in quotes', `name: "sh\\x6fp"\n${services}`, undefined],
  ['two documents', `name: a\n${services}---\nname: b\n${services}`, undefined],
  ['directive', `%YAML 1.2\n---\nname: shop\n${services}`, undefined],
  ['duplicate name', `name: a\nname: b\n${services}`, undefined],
  ['bad name', `name: -x\n${services}`, undefined],
];

describe('quickStackName (the light entry)', () => {
  it('agrees with loadConfig on every file it is sure of, and is sure of the common ones', (t) => {
    const root = mkdtempSync(join(tmpdir(), 'hc-light-'));
    t.after(() => rmSync(root, { recursive: true, force: true }));
    const dir = join(root, 'stackdir');
    mkdirSync(dir);
    for (const [label, text, want] of CASES) {
      const file = join(dir, 'harness.yaml');
      writeFileSync(file, text);
      const quick = quickStackName(file);
      assert.equal(quick, want, label);
      if (quick === undefined) continue;
      assert.equal(loadConfig(file, { env: {} }).config.name, quick, `${label}: the loader agrees`);
    }
  });

  it('never contradicts the loader on the invalid corpus', () => {
    const dir = fileURLToPath(new URL('./fixtures/invalid/', import.meta.url));
    let sure = 0;
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.yaml'))) {
      const quick = quickStackName(join(dir, f));
      if (quick === undefined) continue;
      sure++;
      try {
        assert.equal(loadConfig(join(dir, f), { env: {} }).config.name, quick, f);
      } catch (e) {
        if (!(e instanceof ConfigErrors)) throw e; // invalid: nothing to contradict
      }
    }
    assert.ok(sure > 10, `sure of only ${sure} files`);
  });

  it('says undefined for a file it cannot read', () => {
    assert.equal(quickStackName('/nonexistent/harness.yaml'), undefined);
  });

  it('findConfigFile is there too', () => {
    const quickstart = fileURLToPath(new URL('../../../examples/quickstart/', import.meta.url));
    assert.equal(findConfigFile(quickstart), join(quickstart, 'harness.yaml'));
    assert.equal(quickStackName(join(quickstart, 'harness.yaml')), 'quickstart');
  });
});
