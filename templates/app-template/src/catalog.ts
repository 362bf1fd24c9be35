/**
 * The app's catalog metadata (mirrors catalog-info.yaml): it names the telemetry resource
 * (`app.id`, `team`, `cost_center`) so every span and metric can be charged to an owner.
 */
export const CATALOG = {
  appId: 'app-template',
  team: 'team-app-template',
  costCenter: 'cc-0000',
  lifecycle: 'experimental',
} as const;
