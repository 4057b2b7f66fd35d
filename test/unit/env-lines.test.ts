import { describe, expect, it } from 'vitest';
import { parseEnvLines } from '../support/env-lines.ts';

describe('parseEnvLines', () => {
  it('keeps empty values and values that contain "="', () => {
    expect(parseEnvLines('A=1\nMYSQL_ROOT_PASSWORD=\nURL=x=y\n\n# comment=1\n')).toEqual({
      A: '1',
      MYSQL_ROOT_PASSWORD: '',
      URL: 'x=y',
    });
  });
});
