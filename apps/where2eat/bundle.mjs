// Bundles the production entry points that `tsc` wrote to dist/ (main, instrumentation, migrate)
// in place, so the process starts without resolving some thousand module files one by one: the
// built app becomes ready about three times faster (docs/performance.md, "Cold start").
// The paths the code computes from import.meta.url (../drizzle, ../flags.json, ../package.json)
// stay right because every output file, shared chunks included, sits directly in dist/.
import { build } from 'esbuild';

await build({
  entryPoints: ['dist/main.js', 'dist/instrumentation.js', 'dist/migrate.js'],
  outdir: 'dist',
  allowOverwrite: true,
  bundle: true,
  splitting: true,
  chunkNames: 'chunk-[hash]',
  format: 'esm',
  platform: 'node',
  target: 'node22',
  sourcemap: true,
  logLevel: 'warning',
  external: [
    // OpenTelemetry registers these as module loader hooks by file path.
    'import-in-the-middle',
    'require-in-the-middle',
    // Instrumented by OpenTelemetry when it loads, which needs a real module load.
    'ioredis',
    // Loads its WebAssembly and data files from next to its own module.
    '@electric-sql/pglite',
    // Transports run in worker threads that load modules by name.
    'pino',
    'pino-pretty',
  ],
  // Bundled CommonJS dependencies call require() for Node built-ins.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
});
