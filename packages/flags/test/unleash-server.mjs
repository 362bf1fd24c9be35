// Runs a real Unleash server for the integration tests, in its own process so that the test can
// kill it (to simulate an outage) and so that its schedulers never outlive the test run.
// Input: UNLEASH_TEST_* variables (database, tokens, optional port). Output: an IPC message `{ port }` once it listens.
import { start } from 'unleash-server';

const quiet = () => {};
const logger = {
  debug: quiet,
  info: quiet,
  warn: quiet,
  error: (...args) => console.error('[unleash-server]', ...args),
  fatal: (...args) => console.error('[unleash-server]', ...args),
};

const unleash = await start({
  db: {
    host: process.env.UNLEASH_TEST_DB_HOST,
    port: Number(process.env.UNLEASH_TEST_DB_PORT),
    user: process.env.UNLEASH_TEST_DB_USER,
    password: process.env.UNLEASH_TEST_DB_PASSWORD ?? '',
    database: process.env.UNLEASH_TEST_DB_NAME,
    ssl: process.env.UNLEASH_TEST_DB_SSL === 'true' ? { rejectUnauthorized: false } : false,
    pool: { min: 0, max: 4 },
  },
  server: {
    host: '127.0.0.1',
    port: Number(process.env.UNLEASH_TEST_PORT ?? 0),
    gracefulShutdownEnable: false,
  },
  getLogger: () => logger,
  versionCheck: { enable: false },
  telemetry: false,
  disableScheduler: false,
  clientFeatureCaching: { enabled: false },
  authentication: {
    type: 'open-source',
    createAdminUser: false,
    initApiTokens: [
      {
        type: 'admin',
        secret: process.env.UNLEASH_TEST_ADMIN_TOKEN,
        projects: ['*'],
        environment: '*',
        tokenName: 'test-admin',
      },
      {
        type: 'backend',
        secret: process.env.UNLEASH_TEST_CLIENT_TOKEN,
        projects: ['*'],
        environment: 'development',
        tokenName: 'test-client',
      },
    ],
  },
});

process.send?.({ port: unleash.server.address().port });
