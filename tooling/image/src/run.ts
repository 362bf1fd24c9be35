// npm run image: make the base image if missing, build every app's Dockerfile with podman, print
// the image and layer sizes, and write a CycloneDX SBOM of what each image ships.
import { discoverApps } from './apps.ts';
import { buildApp } from './build.ts';
import { loadConfig, OUT_DIR, REPO_ROOT } from './config.ts';
import { formatReport, imageReport } from './report.ts';
import { writeSbom } from './sbom.ts';

const config = loadConfig();
const apps = discoverApps(REPO_ROOT);
if (apps.length === 0) {
  console.error('image: no apps/<name>/Dockerfile found');
  process.exit(1);
}
try {
  for (const app of apps) {
    const result = await buildApp(app, { repoRoot: REPO_ROOT, force: config.forceRebuild });
    console.log(formatReport(imageReport(result.tag)));
    const sbom = await writeSbom(result.tag, { outDir: OUT_DIR, name: app.app });
    console.log(`SBOM (CycloneDX) of ${app.app}: ${sbom.components} components in ${sbom.file}`);
  }
} catch (err) {
  console.error(`image: ${(err as Error).message}`);
  process.exit(1);
}
