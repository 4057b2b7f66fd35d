// One line of a precheck report. Names are stable: users, status conditions and docs/prechecks.md
// refer to them. Messages say what was found, the fix what a DBA or the job owner does; neither
// ever holds a secret value.
export type PrecheckResult = 'Passed' | 'Failed' | 'Warning';

export interface PrecheckItem {
  name: string;
  result: PrecheckResult;
  message: string;
  fix?: string;
}

export const passed = (name: string, message: string): PrecheckItem => ({ name, result: 'Passed', message });

export const failed = (name: string, message: string, fix: string): PrecheckItem => ({
  name,
  result: 'Failed',
  message,
  fix,
});

export const warning = (name: string, message: string, fix: string): PrecheckItem => ({
  name,
  result: 'Warning',
  message,
  fix,
});

/** `a, b and c`, at most `max` names then `and N more`, so one huge list cannot flood a status. */
export function listNames(names: readonly string[], max = 20): string {
  const shown = names.slice(0, max);
  const rest = names.length - shown.length;
  return rest > 0 ? `${shown.join(', ')} and ${rest} more` : shown.join(', ');
}
