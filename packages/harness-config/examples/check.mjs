// Loads a harness.yaml and prints its start waves, or every problem in it.
// Run from this package after `pnpm build`: node examples/check.mjs examples/broken.yaml
import { ConfigErrors, formatErrors, loadConfig, ServiceGraph } from '@harness/harness-config';

const file = process.argv[2] ?? 'harness.yaml';
try {
  const { config, warnings } = loadConfig(file);
  if (warnings.length > 0) console.error(formatErrors(warnings));
  const waves = ServiceGraph.fromConfig(config).startWaves();
  console.log(`stack ${config.name}: ${waves.map((w) => w.join(' + ')).join(' → ')}`);
} catch (error) {
  if (!(error instanceof ConfigErrors)) throw error;
  console.error(formatErrors(error.errors));
  process.exitCode = 1;
}
