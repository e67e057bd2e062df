/** `npm run provision`: find or install the pinned temporal CLI; prints its path. */
import { ProvisionError, projectRoot, provisionTemporalCli } from '../src/devserver/provision';

try {
  const cli = provisionTemporalCli({ projectRoot: projectRoot(), log: (l) => console.error(l) });
  console.log(cli.kind === 'binary' ? `temporal CLI: ${cli.path} (found via ${cli.route})` : 'temporal CLI: SDK download');
} catch (err) {
  console.error(err instanceof ProvisionError ? err.message : err);
  process.exit(1);
}
