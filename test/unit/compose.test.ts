/**
 * docker-compose.yml through compose-go, the parser `docker compose` itself uses (built from
 * tools/compose-check with the Go toolchain): it must load, validate against the Compose spec,
 * and define the deployment the README describes.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { tempDir } from '../helpers/tmp';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, '.tools', 'compose-check');

function check(file: string) {
  return spawnSync(BIN, [file], { encoding: 'utf8', env: { ...process.env, HF_TOKEN: '', WANDB_API_KEY: '' } });
}

describe('docker-compose.yml', () => {
  before(() => {
    const built = spawnSync('go', ['build', '-o', BIN, '.'], { cwd: path.join(ROOT, 'tools', 'compose-check'), encoding: 'utf8', timeout: 600_000 });
    assert.equal(built.status, 0, `go build of tools/compose-check failed: ${built.stderr}${built.error ?? ''}`);
  });

  it('loads with the Compose parser and defines server, UI, CPU worker and GPU workers with device reservations', () => {
    const r = check(path.join(ROOT, 'docker-compose.yml'));
    assert.equal(r.status, 0, r.stderr);
    const services = Object.fromEntries(r.stdout.trim().split('\n').map((l) => [l.split(' ')[0], l]));
    for (const name of ['postgresql', 'temporal', 'temporal-ui', 'cpu-worker', 'gpu-worker-0', 'gpu-worker-1']) assert.ok(services[name], `service ${name}`);
    assert.match(services['gpu-worker-0']!, /gpu_reservations=1 volumes=1/);
    assert.match(services['gpu-worker-1']!, /gpu_reservations=1 volumes=1/);
    assert.match(services['cpu-worker']!, /build=true gpu_reservations=0 volumes=1/);
    assert.match(services.temporal!, /auto-setup/);
  });

  it('rejects a file that breaks the Compose spec (the check can fail)', () => {
    const bad = path.join(tempDir(), 'docker-compose.yml');
    writeFileSync(bad, 'services:\n  w:\n    image: x\n    deploy:\n      resources:\n        reservations:\n          devices: "all"\n');
    const r = check(bad);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /devices/);
  });
});
