export {
  type HelmResult,
  type HelmRunOptions,
  helmLint,
  helmTemplate,
  helmTemplateSync,
  type KubeObject,
  type LintResult,
  parseRendered,
  type RenderedDocument,
  type TemplateOptions,
  type TemplateResult,
  type ValuesOptions,
  valuesArgs,
} from './chart.ts';
export { HelmToolError, type HelmToolErrorCode } from './errors.ts';
export {
  HELM_PACKAGES,
  type HelmMajor,
  helmBinary,
  type LayerBinary,
  layerBinary,
  TOOL_CACHE,
} from './helm-binary.ts';
export {
  type ChartSubcommand,
  type FoundCommands,
  type HelmCommand,
  markdownHelmCommands,
  type ResolveOptions,
  type UnresolvedCommand,
  workflowHelmCommands,
} from './helm-commands.ts';
export {
  knownKinds,
  type ObjectFinding,
  validateDocuments,
  validateObject,
} from './validate-objects.ts';
