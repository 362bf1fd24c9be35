import { type RunResult, runTool } from './cli.ts';

/**
 * Generates TypeScript types for `document` with the openapi-typescript CLI, as a consuming
 * team would (`npx openapi-typescript <url or file> -o where2eat.d.ts`). openapi-typescript
 * builds its output with the TypeScript 5 compiler API, so it lives here with its own
 * TypeScript 5; the repository compiles with TypeScript 7.
 */
export function generateTypes(document: string, output: string): RunResult {
  return runTool('openapi-typescript', [document, '--output', output]);
}
