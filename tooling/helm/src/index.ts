export {
  HELM_PACKAGES,
  type HelmMajor,
  helmBinary,
  type LayerBinary,
  layerBinary,
  TOOL_CACHE,
} from './helm-binary.ts';
