/**
 * The app's catalog metadata (mirrors catalog-info.yaml): it names the telemetry resource
 * (`app.id`, `team`, `cost_center`) so every span and metric can be charged to an owner.
 */
export const CATALOG = {
  appId: 'where2eat',
  team: 'team-dining',
  costCenter: 'cc-1042',
  lifecycle: 'production',
} as const;
