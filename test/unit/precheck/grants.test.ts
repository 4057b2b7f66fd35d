import { describe, expect, it } from 'vitest';
import { covers, hasGlobal, parseGrant, parseGrants } from '../../../src/precheck/grants.ts';

describe('parseGrant', () => {
  it('reads global privileges and drops the password hash', () => {
    const g = parseGrant(
      "GRANT SELECT, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO `syncjob`@`%` IDENTIFIED BY PASSWORD '*ABC'",
    );
    expect(g).toEqual({
      privileges: ['SELECT', 'REPLICATION SLAVE', 'BINLOG MONITOR'],
      database: '*',
      table: '*',
    });
    expect(JSON.stringify(g)).not.toContain('ABC');
  });

  it('reads database and table scopes, ALL PRIVILEGES, and ignores column grants and roles', () => {
    expect(parseGrant('GRANT ALL PRIVILEGES ON `shop`.* TO `u`@`%`')).toEqual({
      privileges: ['ALL'],
      database: 'shop',
      table: '*',
    });
    expect(parseGrant('GRANT SELECT (`id`, `a`), INSERT ON `shop`.`orders` TO `u`@`%`')).toEqual({
      privileges: ['INSERT'],
      database: 'shop',
      table: 'orders',
    });
    expect(parseGrant('GRANT `reader`@`%` TO `u`@`%`')).toBeUndefined();
    expect(parseGrant('GRANT EXECUTE ON PROCEDURE `shop`.`p` TO `u`@`%`')).toBeUndefined();
  });
});

describe('covers', () => {
  const grants = parseGrants([
    'GRANT REPLICATION SLAVE ON *.* TO `u`@`%`',
    'GRANT SELECT ON `shop`.* TO `u`@`%`',
    'GRANT SELECT ON `crm`.`customers` TO `u`@`%`',
    'GRANT SELECT ON `log\\_%`.* TO `u`@`%`',
  ]);

  it('matches global, database, table and pattern grants', () => {
    expect(hasGlobal(grants, 'REPLICATION SLAVE')).toBe(true);
    expect(hasGlobal(grants, 'SELECT')).toBe(false);
    expect(covers(grants, 'SELECT', 'shop', 'orders')).toBe(true);
    expect(covers(grants, 'SELECT', 'shop', '*')).toBe(true);
    expect(covers(grants, 'SELECT', 'crm', 'customers')).toBe(true);
    expect(covers(grants, 'SELECT', 'crm', 'leads')).toBe(false);
    expect(covers(grants, 'SELECT', 'crm', '*')).toBe(false);
    expect(covers(grants, 'SELECT', 'log_2024', 't')).toBe(true);
    expect(covers(grants, 'SELECT', 'logx2024', 't')).toBe(false);
  });
});
