/**
 * Bad pipeline config files: malformed, out of range, unknown fields, a search space with no
 * feasible point. Each is refused before anything starts, with an error naming the file, the field
 * and the problem, through loadPipelineConfig and through `vibeopt start -c` (exit code 1, no
 * connection attempted: nothing is recorded, nothing lost).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import YAML from 'yaml';
import { ConfigError, loadPipelineConfig, seedPipelineConfig, toPipelineInput, type PipelineConfigInput } from '../../src/config/pipeline';
import { cliInvocation } from '../../src/cli/spawn';
import { tempDir } from '../helpers/tmp';

const dir = tempDir('vibeopt-configs-');

function writeConfig(name: string, edit: (c: PipelineConfigInput & Record<string, unknown>) => void): string {
  const cfg = seedPipelineConfig({ name: 'cfgtest', simulator: true, oslodataset: 'test/oslo' }) as PipelineConfigInput & Record<string, unknown>;
  edit(cfg);
  const file = path.join(dir, name);
  writeFileSync(file, name.endsWith('.json') ? JSON.stringify(cfg, null, 2) : YAML.stringify(cfg));
  return file;
}

/** loadPipelineConfig + toPipelineInput, as `vibeopt start` does; returns the error message. */
function refusal(file: string): string {
  try {
    toPipelineInput(loadPipelineConfig(file), { baseDir: dir, where: file });
  } catch (err) {
    assert.ok(err instanceof ConfigError, `a ConfigError, not ${String(err)}`);
    return err.message;
  }
  assert.fail(`${file} was accepted`);
}

const stage0 = (c: PipelineConfigInput) => c.stages[0] as Record<string, unknown>;

describe('bad pipeline config files', () => {
  it('a valid file loads (the baseline the others break)', () => {
    const input = toPipelineInput(loadPipelineConfig(writeConfig('ok.yaml', () => undefined)), { baseDir: dir });
    assert.equal(input.stages.length, 3);
  });

  it('malformed YAML and JSON: the file and the parser error', () => {
    const yamlFile = path.join(dir, 'broken.yaml');
    writeFileSync(yamlFile, 'name: broken\nstages: [\n  - name: stage1\n    epochs: : 3\n');
    assert.match(refusal(yamlFile), new RegExp(`^${yamlFile}: not valid YAML: `));
    const jsonFile = path.join(dir, 'broken.json');
    writeFileSync(jsonFile, '{"name": "broken", "stages": [,]}');
    assert.match(refusal(jsonFile), new RegExp(`^${jsonFile}: not valid JSON: `));
    assert.match(refusal(path.join(dir, 'absent.yaml')), /absent\.yaml: cannot read: /);
  });

  it('out-of-range values name the field', () => {
    assert.match(refusal(writeConfig('par0.yaml', (c) => (stage0(c).parallelism = 0))), /par0\.yaml: stages\.0\.parallelism: /);
    assert.match(refusal(writeConfig('trials.yaml', (c) => (stage0(c).budget = { maxTrials: -3 }))), /trials\.yaml: stages\.0\.budget\.maxTrials: /);
    assert.match(refusal(writeConfig('epochs.json', (c) => (stage0(c).epochs = 'three'))), /epochs\.json: stages\.0\.epochs: /);
    assert.match(refusal(writeConfig('hb.yaml', (c) => (stage0(c).trialHeartbeatTimeoutSeconds = -1))), /hb\.yaml: stages\.0\.trialHeartbeatTimeoutSeconds: /);
    assert.match(refusal(writeConfig('breaker.yaml', (c) => (stage0(c).maxConsecutiveFailures = 1.5))), /breaker\.yaml: stages\.0\.maxConsecutiveFailures: /);
    assert.match(
      refusal(writeConfig('initial.yaml', (c) => (stage0(c).initialConfigs = [{ learning_rate: 3e-5, lora_r: 500 }]))),
      /initial\.yaml: stages\.0\.initialConfigs\.0: .*lora_r/,
    );
    assert.match(refusal(writeConfig('name.yaml', (c) => (c.name = '../escape'))), /name\.yaml: name: /);
  });

  it('unknown fields (typos) are refused, naming the key', () => {
    assert.match(refusal(writeConfig('typo.yaml', (c) => (stage0(c).paralelism = 4))), /typo\.yaml: stages\.0: .*paralelism/);
    assert.match(refusal(writeConfig('top.yaml', (c) => (c.stagez = []))), /top\.yaml: \(top level\): .*stagez/);
    assert.match(refusal(writeConfig('budget.yaml', (c) => (stage0(c).budget = { maxTrials: 3, maxGpuHour: 5 }))), /budget\.yaml: stages\.0\.budget: .*maxGpuHour/);
  });

  it('a search space with no feasible point names the stage and the constraints', () => {
    const file = writeConfig('infeasible.yaml', (c) => {
      stage0(c).space = { constraints: [{ type: 'product_range', params: ['per_device_train_batch_size', 'gradient_accumulation_steps'], min: 100000 }] };
    });
    assert.match(refusal(file), /infeasible\.yaml: stages\.0\.space.*no feasible point/);
  });

  it('`vibeopt start -c` refuses them with exit code 1 and the same message, before connecting', () => {
    for (const [name, re] of [
      ['typo.yaml', /stages\.0: .*paralelism/],
      ['infeasible.yaml', /stages\.0\.space.*no feasible point/],
      ['broken.yaml', /not valid YAML/],
    ] as const) {
      const [cmd, ...pre] = cliInvocation();
      // An address where nothing listens: reaching it would fail differently (and slower).
      const r = spawnSync(cmd!, [...pre, 'start', '-c', path.join(dir, name)], { encoding: 'utf8', env: { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:9' }, timeout: 60_000 });
      assert.equal(r.status, 1, `${name}: exit ${r.status}\n${r.stderr}`);
      assert.match(r.stderr, new RegExp(`^vibeopt: .*${path.join(dir, name).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      assert.match(r.stderr, re);
      assert.doesNotMatch(r.stdout, /started pipeline/);
    }
  });
});
