import { createRootLogger, type Logger } from '../../src/log.ts';
import { createTail, showOnFailure } from './failure-output.ts';

/**
 * A logger for product code running inside the test process: its lines go to a tail that is
 * printed only if a test of the file fails. SYNCJOB_TEST_LOG_LEVEL picks the level (info).
 */
export function testLogger(name: string): Logger {
  const tail = createTail();
  showOnFailure(name, tail.text);
  return createRootLogger({
    level: process.env.SYNCJOB_TEST_LOG_LEVEL ?? 'info',
    destination: { write: (line: string) => tail.write(line) },
  });
}
