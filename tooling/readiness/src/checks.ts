import { checkChartValues, checkLoadThresholds, checkSlo } from './asset-checks.js';
import { checkApiContract, checkOperations } from './operations-checks.js';
import { type ProbeOptions, probeApp } from './probe.js';
import { checkSecrets } from './secrets.js';
import {
  checkCatalog,
  checkContractTests,
  checkDockerfile,
  checkRunbook,
  checkTelemetry,
} from './static-checks.js';
import { type AppInfo, CHECKS, type CheckResult } from './types.js';

/** The gates that read files only (no process started). */
export async function staticChecks(app: AppInfo, root: string): Promise<CheckResult[]> {
  return [
    checkTelemetry(app),
    checkSlo(app, root),
    checkRunbook(app),
    checkContractTests(app),
    checkLoadThresholds(app),
    checkDockerfile(app),
    checkChartValues(app, root),
    await checkSecrets(app, root),
    checkCatalog(app),
    checkApiContract(app, root),
    checkOperations(app, root),
  ];
}

/** Every gate for one app, in {@link CHECKS} order: the static ones, then the runtime probe. */
export async function checkApp(
  app: AppInfo,
  root: string,
  options: ProbeOptions = {},
): Promise<CheckResult[]> {
  const results = [...(await staticChecks(app, root)), ...(await probeApp(app, options))];
  const order = new Map(CHECKS.map((c, i) => [c.id, i]));
  return results.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
}
