/**
 * The CLI commands that start things: `vibeopt server` (the embedded dev server, persistent), the
 * README's main command `vibeopt demo` (server + worker processes + simulator, all three stages),
 * and `vibeopt suggest` (JSON in, JSON out). Each as a real child process.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { vibeoptArgs } from '../helpers/cli';
import { freePort } from '../helpers/processes';
import { processesMentioning } from '../helpers/stage';
import { tempDir } from '../helpers/tmp';

describe('vibeopt server, demo and suggest', () => {
  it('server: starts the dev server on its SQLite file, serves clients, stops cleanly on SIGTERM', async () => {
    const db = path.join(tempDir(), 'server.sqlite');
    const [port, uiPort] = [await freePort(), await freePort()];
    const [cmd, argv] = vibeoptArgs(['server', '--port', String(port), '--ui-port', String(uiPort), '--db', db]);
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      for (let i = 0; i < 300 && !/Web UI at/.test(out); i++) await new Promise((r) => setTimeout(r, 100));
      assert.match(out, new RegExp(`Temporal dev server at 127\\.0\\.0\\.1:${port} \\(namespace default\\); Web UI at http://localhost:${uiPort}`));
      const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
      assert.ok('VibeoptBestLoss' in (customAttributes ?? {}), 'custom search attributes registered');
      await new Client({ connection }).workflow.count();
      await connection.close();
      const ui = await fetch(`http://localhost:${uiPort}/`);
      assert.equal(ui.status, 200, 'the Web UI answers');
      assert.ok(existsSync(db), 'state persists in the SQLite file');
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0, out);
    assert.deepEqual(processesMentioning(db), [], 'no temporal server left behind');
  });

  it('demo: runs all three stages on the simulator with worker processes; --keep-server keeps the UI up until a signal', async () => {
    const uiPort = await freePort();
    const [cmd, argv] = vibeoptArgs(['demo', '--trials', '3', '--gpus', '2', '--port', String(await freePort()), '--ui-port', String(uiPort), '--keep-server']);
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      for (let i = 0; i < 3000 && !/stay up until Ctrl-C/.test(stdout) && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 100));
      assert.match(stdout, /stay up until Ctrl-C/, stdout + stderr);
      assert.match(stdout, /started 1 CPU worker and 2 GPU worker processes/);
      assert.match(stdout, /== stage1: Full Norwegian/);
      assert.match(stdout, /== stage3: Østnorsk \/ Oslo dialect \(base .*stage2.*\/lora/);
      assert.match(stdout, /pipeline demo-\S+ completed in/);
      for (const st of ['stage1', 'stage2', 'stage3']) assert.match(stdout, new RegExp(`  ${st} \\(.*\\): \\d+ trials, best demo-\\S+-${st}-trial-\\d{3} loss \\d\\.\\d{4}`));
      assert.match(stdout, new RegExp(`Web UI: http://localhost:${uiPort}/namespaces/default/workflows`));
      const pipeline = /pipeline (demo-\S+) completed/.exec(stdout)![1]!;
      assert.deepEqual(processesMentioning(pipeline), [], 'no trainer process left behind');
      assert.equal((await fetch(`http://localhost:${uiPort}/`)).status, 200, 'the Web UI is still up');
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0, stderr);
  });

  it('suggest: JSON request on stdin, suggestions on stdout; a bad field exits 2 naming it', async () => {
    const ok = await runJson(['suggest'], JSON.stringify({ observations: [], pending: [], count: 3, seed: 7, initialConfigs: 'named' }));
    assert.equal(ok.code, 0, ok.stderr);
    const { suggestions } = JSON.parse(ok.stdout);
    assert.equal(suggestions.length, 3);
    assert.equal(suggestions[0].config.learning_rate, 2.5e-5, 'the named conservative config first');
    const bad = await runJson(['suggest'], JSON.stringify({ observations: [], pending: [], count: -1, seed: 7 }));
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /count/);
  });
});

function runJson(args: string[], stdin: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [cmd, argv] = vibeoptArgs(args);
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}
