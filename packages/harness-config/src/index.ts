/**
 * @harness/harness-config: harness.yaml parsed, validated, interpolated, resolved and ordered,
 * with errors that point at the line. Each stage is exported and usable alone.
 */

// Errors
export type { ConfigErrorCode, ConfigErrorData, Severity } from './errors/config-error.js';
export { ConfigError, ConfigErrors } from './errors/config-error.js';
export type { Problem, Range } from './errors/diagnostics.js';
export { Diagnostics, formatPath } from './errors/diagnostics.js';
export type { FormatOptions } from './errors/format.js';
export { formatError, formatErrors } from './errors/format.js';
export { SourceText } from './errors/source-text.js';
export { closest, didYouMean, editDistance } from './errors/suggest.js';
export { formatConfigYaml } from './print.js';
// Graph
export { findCycles } from './graph/cycles.js';
export { ServiceGraph } from './graph/service-graph.js';
export { startGraph } from './graph/start-set.js';
// Interpolation
export { parseEnvFile } from './interpolate/env-file.js';
export type { InterpolateOptions, Interpolated, RefSite } from './interpolate/interpolate.js';
export { interpolate } from './interpolate/interpolate.js';
export type { ReadFile } from './interpolate/read-env-file.js';
export type { Modifier, Piece } from './interpolate/syntax.js';
export { parseInterpolation } from './interpolate/syntax.js';
// Loading
export type { ConfigOptions, LoadOptions, ParseResult } from './load.js';
export { loadConfig, parseConfig } from './load.js';
export { CONFIG_FILE_NAMES, findConfigFile } from './parse/find-config-file.js';
export type { ParseLimits } from './parse/parse-yaml.js';
export { parseYaml } from './parse/parse-yaml.js';
export { DEFAULT_MAX_BYTES, readConfigFile } from './parse/read-config-file.js';
export type { Entry, MapNode, Node, ScalarNode, SeqNode } from './parse/tree.js';
// Resolution
export { splitHostPort, toCommand } from './resolve/command.js';
export { DEFAULTS } from './resolve/defaults.js';
export { checkReferences } from './resolve/references.js';
export type { ResolveOptions, Sites } from './resolve/resolve.js';
export { resolveConfig } from './resolve/resolve.js';
export type { ServiceRef, Template, TextPart, TextValue } from './resolve/text.js';
export { renderText, textRefs, textToSource, toTextValue } from './resolve/text.js';
export type {
  BackoffSpec,
  Dependency,
  DependencyCondition,
  DockerTarget,
  HostNetwork,
  LogsSpec,
  PackageTarget,
  PortMapping,
  Probe,
  ProbeTiming,
  ProcessTarget,
  ResolvedConfig,
  ResolvedHost,
  ResolvedService,
  RestartPolicy,
  RestartSpec,
  ServiceCommand,
  ServiceTarget,
  ShutdownSignal,
  ShutdownSpec,
  SshTarget,
  VolumeMount,
} from './resolve/types.js';
// Schema
export { formatDuration, parseDuration } from './schema/duration.js';
export { parsePortMapping } from './schema/docker-values.js';
export { formatSize, parseSize, SIZE_UNITS } from './schema/size.js';
export type { RawConfig } from './schema/harness-schema.js';
export {
  CONDITIONS,
  harnessSchema,
  NAMES,
  NETWORKS,
  RESTART_POLICIES,
  SIGNALS,
} from './schema/harness-schema.js';
export { harnessJsonSchema } from './schema/json-schema.js';
export type { Field, Infer, JsonSchema, Path, Schema } from './schema/schema.js';
export { INVALID } from './schema/schema.js';
