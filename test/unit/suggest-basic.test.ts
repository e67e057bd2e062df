import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NAMED_INITIAL_CONFIGS, seedSearchSpace, validateConfig } from '../../src/space';
import { runSuggestCommand, suggest } from '../../src/optimizer';
import { Observation } from '../../src/domain';

const named = NAMED_INITIAL_CONFIGS.map((n) => ({ ...n.config }));

test('initial configs come first, skipping observed and pending ones (compared by value)', () => {
  const space = seedSearchSpace();
  const obs: Observation[] = [{ trialId: 'a', config: { ...named[0] } as Observation['config'], status: 'succeeded', loss: 1, durationSeconds: 10 }];
  const pending = [{ ...named[2] } as Observation['config']];
  const out = suggest({ space, observations: obs, pending, count: 5, seed: 3, initialConfigs: named });
  assert.equal(out.length, 5);
  assert.deepEqual(out.slice(0, 3).map((s) => s.config), [named[1], named[3], named[4]]);
  assert.deepEqual(out.slice(0, 3).map((s) => s.source), ['initial', 'initial', 'initial']);
  for (const s of out) assert.deepEqual(validateConfig(space, s.config), []);
});

test('runSuggestCommand: defaults to the seed space, "named" initial configs, errors name the field', () => {
  const out = JSON.parse(runSuggestCommand(JSON.stringify({ count: 2, seed: 1, initialConfigs: 'named' }))) as { suggestions: { config: unknown }[] };
  assert.deepEqual(out.suggestions.map((s) => s.config), [named[0], named[1]]);
  assert.throws(() => runSuggestCommand('{'), /not valid JSON/);
  assert.throws(() => runSuggestCommand(JSON.stringify({ seed: 1 })), /count: /);
  assert.throws(() => runSuggestCommand(JSON.stringify({ count: 1, seed: 1, observations: [{ config: {}, status: 'succeeded' }] })), /observations\.0\.loss: required/);
  assert.throws(() => runSuggestCommand(JSON.stringify({ count: 1, seed: 1, observations: [{ config: {}, status: 'weird' }] })), /observations\.0\.status/);
  assert.throws(() => runSuggestCommand(JSON.stringify({ count: 1, seed: 1, space: { params: { a: { type: 'float', low: 1, high: 0 } } } })), /space\.params\.a\.high/);
  assert.throws(() => runSuggestCommand(JSON.stringify({ count: 1, seed: 1, initialConfigs: [{ lora_r: 1 }] })), /initialConfigs\.0: /);
  assert.throws(() => runSuggestCommand(JSON.stringify({ count: 1, seed: 1, bogus: true })), /bogus/);
});
