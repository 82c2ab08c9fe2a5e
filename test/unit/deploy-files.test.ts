// The shipped service file (deploy/robot.service) must keep up with the code it starts: every
// variable it sets is one the platform reads, and it runs the server the way `npm start` does.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { envSchema } from '../../src/config/env.ts';

const unit = readFileSync('deploy/robot.service', 'utf8');
const settings = (key: string) => [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((match) => match[1]!);

test('deploy/robot.service sets only variables the platform reads', () => {
  const names = settings('Environment').flatMap((line) => line.split(/\s+/).map((pair) => pair.split('=')[0]!));
  assert.ok(names.length > 0);
  for (const name of names) assert.ok(name === 'NODE_ENV' || name in envSchema.shape, `${name} is not read by src/config/env.ts`);
  assert.deepEqual(settings('EnvironmentFile'), ['/etc/robot/robot.env']);
});

test('deploy/robot.service starts `robot serve` with the node flags of `npm start`', () => {
  const start = JSON.parse(readFileSync('package.json', 'utf8')).scripts.start as string;
  const [execStart] = settings('ExecStart');
  assert.ok(execStart, 'one ExecStart');
  const flags = (command: string) => command.split(/\s+/).filter((word) => word.startsWith('--'));
  assert.deepEqual(flags(execStart), flags(start));
  assert.match(execStart, /\/bin\/robot\.mjs serve$/);
  assert.equal(settings('WorkingDirectory')[0], '/srv/robot');
  assert.match(execStart, /^\/srv\/robot\//, 'runs the checkout in WorkingDirectory');
});
