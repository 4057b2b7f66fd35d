import { describe, expect, it } from 'vitest';
import { planRouting } from '../../../src/worker/routing.ts';

describe('planRouting', () => {
  const routing = planRouting(
    [
      {
        database: 'shop',
        tables: [
          { name: 'orders' },
          { name: 'customers', targetName: 'clients', topic: 'crm', dml: { delete: false } },
          { name: 'items' },
        ],
      },
      { database: 'audit', targetName: 'audit_copy' },
    ],
    'main',
  );

  it('selects listed tables and whole databases', () => {
    expect(routing.includeSchema).toEqual({ shop: ['orders', 'customers', 'items'], audit: true });
    expect(routing.topics.sort()).toEqual(['crm', 'main']);
  });

  it('applies renames, per-table topics and DML filters', () => {
    expect(routing.route('shop', 'orders')).toEqual({
      targetDatabase: 'shop',
      targetTable: 'orders',
      objectName: 'shop.orders',
      topic: 'main',
      dml: { insert: true, update: true, delete: true },
    });
    expect(routing.route('shop', 'customers')).toEqual({
      targetDatabase: 'shop',
      targetTable: 'clients',
      objectName: 'shop.clients',
      topic: 'crm',
      dml: { insert: true, update: true, delete: false },
    });
  });

  it('routes any table of a whole database, including ones created later, under its target name', () => {
    expect(routing.route('audit', 'created_later')?.objectName).toBe('audit_copy.created_later');
    expect(routing.route('shop', 'not_selected')).toBeNull();
    expect(routing.route('other', 'orders')).toBeNull();
    expect(routing.targetDatabase('audit')).toBe('audit_copy');
    expect(routing.targetDatabase('shop')).toBe('shop');
    expect(routing.targetDatabase('other')).toBeNull();
  });

  it('escapes dots inside names', () => {
    expect(
      planRouting([{ database: 'a.b', tables: [{ name: 'c.d' }] }], 't').route('a.b', 'c.d')?.objectName,
    ).toBe('a\\u002Eb.c\\u002Ed');
  });
});
