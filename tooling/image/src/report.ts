import { podmanOk } from './podman.ts';

export interface LayerReport {
  readonly sizeBytes: number;
  readonly createdBy: string;
}

export interface ImageReport {
  readonly tag: string;
  readonly sizeBytes: number;
  readonly layers: readonly LayerReport[];
}

/** Image size and per-layer sizes, newest layer first, as `podman history` reports them. */
export function imageReport(tag: string): ImageReport {
  const sizeBytes = Number(podmanOk(['image', 'inspect', '--format', '{{.Size}}', tag]).trim());
  const history = JSON.parse(
    podmanOk(['history', '--format', 'json', '--no-trunc', tag]),
  ) as Array<{
    size?: number;
    Size?: number;
    createdBy?: string;
    CreatedBy?: string;
  }>;
  const layers = history.map((entry) => ({
    sizeBytes: Number(entry.size ?? entry.Size ?? 0),
    createdBy: String(entry.createdBy ?? entry.CreatedBy ?? '')
      .replace(/\s+/g, ' ')
      .trim(),
  }));
  return { tag, sizeBytes, layers };
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${bytes} B`;
}

/** The report as a table: total, then each layer that adds bytes (metadata layers are 0 B). */
export function formatReport(report: ImageReport): string {
  const lines = [`${report.tag}: ${formatBytes(report.sizeBytes)}`];
  for (const layer of report.layers) {
    if (layer.sizeBytes === 0) continue;
    const what =
      layer.createdBy.length > 110 ? `${layer.createdBy.slice(0, 107)}...` : layer.createdBy;
    lines.push(`  ${formatBytes(layer.sizeBytes).padStart(9)}  ${what}`);
  }
  return lines.join('\n');
}
