/** How to start another vibeopt CLI process (workers from the demo or `--gpus`). */
import path from 'node:path';

/** `[node, --import, tsx, <main.ts>]`: the same CLI, run by the same Node. */
export function cliInvocation(): string[] {
  return [process.execPath, '--import', require.resolve('tsx'), path.join(__dirname, 'main.ts')];
}
