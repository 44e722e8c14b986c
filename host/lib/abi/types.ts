// Numeric constants of the proxy-wasm ABI (0.1.0 / 0.2.0 / 0.2.1) as Envoy uses them.

export type AbiVersion = '0.1.0' | '0.2.0' | '0.2.1';

/** The ABI export a module announces its version with, newest first. */
export const ABI_EXPORTS: Array<[string, AbiVersion]> = [
  ['proxy_abi_version_0_2_1', '0.2.1'],
  ['proxy_abi_version_0_2_0', '0.2.0'],
  ['proxy_abi_version_0_1_0', '0.1.0'],
];

export enum WasmResult {
  Ok = 0,
  NotFound = 1,
  BadArgument = 2,
  SerializationFailure = 3,
  ParseFailure = 4,
  BadExpression = 5,
  InvalidMemoryAccess = 6,
  Empty = 7,
  CasMismatch = 8,
  ResultMismatch = 9,
  InternalFailure = 10,
  BrokenConnection = 11,
  Unimplemented = 12,
}

export const RESULT_NAMES = [
  'Ok', 'NotFound', 'BadArgument', 'SerializationFailure', 'ParseFailure', 'BadExpression',
  'InvalidMemoryAccess', 'Empty', 'CasMismatch', 'ResultMismatch', 'InternalFailure',
  'BrokenConnection', 'Unimplemented',
] as const;

export enum HeaderMapType {
  RequestHeaders = 0,
  RequestTrailers = 1,
  ResponseHeaders = 2,
  ResponseTrailers = 3,
  GrpcReceiveInitialMetadata = 4,
  GrpcReceiveTrailingMetadata = 5,
  HttpCallResponseHeaders = 6,
  HttpCallResponseTrailers = 7,
}
export const HEADER_MAP_TYPE_MAX = 7;

export enum BufferType {
  HttpRequestBody = 0,
  HttpResponseBody = 1,
  NetworkDownstreamData = 2,
  NetworkUpstreamData = 3,
  HttpCallResponseBody = 4,
  GrpcReceiveBuffer = 5,
  VmConfiguration = 6,
  PluginConfiguration = 7,
  CallData = 8,
}
export const BUFFER_TYPE_MAX = 8;

export enum StreamType {
  Request = 0,
  Response = 1,
  Downstream = 2,
  Upstream = 3,
}
export const STREAM_TYPE_MAX = 3;

export enum MetricType {
  Counter = 0,
  Gauge = 1,
  Histogram = 2,
}

/** Envoy encodes the metric type in the low bits of a metric id. */
export const METRIC_TYPE_MASK = 0x3;
export const METRIC_ID_INCREMENT = 0x4;

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'critical'] as const;
export const LOG_LEVEL_MAX = 5;
/** What Envoy's proxy_get_log_level answers when logging is off (spdlog::level::off). */
export const LOG_LEVEL_OFF = 6;

/** Envoy's gRPC status for a failed wasm stream (UNAVAILABLE). */
export const GRPC_UNAVAILABLE = 14;

/** WASI errno values used by Envoy's WASI subset. */
export const WasiErrno = {
  SUCCESS: 0,
  BADF: 8,
  FAULT: 21,
  NOSYS: 52,
  NOTSUP: 58,
} as const;
