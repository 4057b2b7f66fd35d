// What a worker that stops for good leaves at its container's terminationMessagePath: one JSON
// object, read by the operator (never log text) and shown by `kubectl describe pod`.
import { isTerminalReason, type TerminalReason } from './reasons.ts';

export interface TerminationMessage {
  reason: TerminalReason;
  /** One line: what happened, to which object. */
  message: string;
  /** The way out for this case (a command, a table). */
  fix: string;
}

/** Where kubelet reads it from; the worker pod names it in its command too. */
export const TERMINATION_MESSAGE_PATH = '/dev/termination-log';
// kubelet keeps at most 4096 bytes of a termination message.
const MAX_BYTES = 4096;

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();

export function encodeTerminationMessage(m: TerminationMessage): string {
  const shown = { reason: m.reason, message: oneLine(m.message), fix: oneLine(m.fix) };
  let text = JSON.stringify(shown);
  // Cut the message, never the structure: what is read back is always a whole object.
  while (Buffer.byteLength(text) > MAX_BYTES) {
    shown.message = `${shown.message.slice(0, Math.floor(shown.message.length * 0.8))}…`;
    text = JSON.stringify(shown);
  }
  return text;
}

/**
 * The message a worker left, or null for anything else (a crash's log tail, nothing). Exactly its
 * three keys: a JSON log line that happens to carry a `reason` is not one.
 */
export function parseTerminationMessage(text: string | undefined): TerminationMessage | null {
  if (!text?.startsWith('{')) return null;
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return null;
  }
  const { reason, message, fix } = m;
  if (Object.keys(m).length !== 3 || typeof message !== 'string' || typeof fix !== 'string') return null;
  return typeof reason === 'string' && isTerminalReason(reason) ? { reason, message, fix } : null;
}

/** How status and Events show it: one readable line with the fix. */
export const terminationLine = (m: Pick<TerminationMessage, 'message' | 'fix'>): string =>
  m.fix ? `${m.message} (fix: ${m.fix})` : m.message;
