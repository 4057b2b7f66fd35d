import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

// Paths that can hold a password, token or DSN anywhere in a logged object.
const REDACT = [
  'password',
  '*.password',
  '*.*.password',
  'sasl',
  '*.sasl',
  '*.*.sasl',
  'token',
  '*.token',
  'dsn',
  '*.dsn',
  'authorization',
  '*.authorization',
];

/** The root logger; every module receives a child of it, never imports one. */
export function createRootLogger(
  opts: { level?: string; name?: string; destination?: DestinationStream } = {},
): Logger {
  const options = {
    name: opts.name ?? 'syncjob',
    level: opts.level ?? process.env.SYNCJOB_LOG_LEVEL ?? 'info',
    redact: { paths: REDACT, censor: '[redacted]' },
    base: undefined,
  };
  // stdout unless told otherwise (tests keep a tail to print when they fail).
  return opts.destination ? pino(options, opts.destination) : pino(options);
}
