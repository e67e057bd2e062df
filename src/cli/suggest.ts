/**
 * `vibeopt suggest`: reads a JSON request on stdin, prints {"suggestions": [...]} on stdout.
 * Exits 2 with the message on stderr when the input is bad, 1 on an internal error.
 * See docs/OPTIMIZER.md for the format.
 */
import { runSuggestCommand, SuggestInputError } from '../optimizer';

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

export async function suggestMain(): Promise<number> {
  const input = await readStdin();
  try {
    process.stdout.write(runSuggestCommand(input) + '\n');
    return 0;
  } catch (e) {
    process.stderr.write(`vibeopt suggest: ${(e as Error).message}\n`);
    return e instanceof SuggestInputError ? 2 : 1;
  }
}

if (require.main === module) {
  suggestMain().then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`vibeopt suggest: ${String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
