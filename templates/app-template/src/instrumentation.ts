// Loaded with `node --import ./dist/instrumentation.js` so OpenTelemetry patches http, fetch and
// ioredis before anything else is imported.
import { startServiceTelemetry } from '@micro-app/service/telemetry';
import { CATALOG } from './catalog.js';
import { appVersion, loadConfigOrExit } from './runtime.js';

const config = loadConfigOrExit();

export const telemetry = startServiceTelemetry(
  {
    name: CATALOG.appId,
    version: appVersion(),
    environment: config.DEPLOY_ENV,
    appId: CATALOG.appId,
    team: CATALOG.team,
    costCenter: CATALOG.costCenter,
  },
  config,
);
