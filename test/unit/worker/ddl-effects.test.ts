import { describe, expect, it } from 'vitest';
import { ddlEffects } from '../../../src/worker/ddl-routing.ts';
import { planRouting } from '../../../src/worker/routing.ts';

describe('ddlEffects', () => {
  const routing = planRouting(
    [{ database: 'shop', tables: [{ name: 'orders' }] }, { database: 'audit' }],
    'main',
  );

  it('stops the job when a table spec.objects names is dropped, and only notes one of a selected database', () => {
    expect(
      ddlEffects(routing, {
        kind: 'drop',
        tables: [
          { database: 'audit', table: 'log' },
          { database: 'shop', table: 'orders' },
          { database: 'shop', table: 'other' },
        ],
      }),
    ).toEqual([
      {
        kind: 'notice',
        reason: 'TableDropped',
        message: 'table audit.log was dropped on the source; it no longer syncs',
      },
      { kind: 'stop', objectName: 'shop.orders' },
    ]);
  });

  it('warns of a selected table renamed out of the selection, not of one renamed within it', () => {
    const from = { database: 'shop', table: 'orders' };
    const to = { database: 'shop', table: 'orders_old' };
    expect(ddlEffects(routing, { kind: 'rename', renames: [{ from, to }] })).toEqual([
      {
        kind: 'warn',
        reason: 'TableRenamedOutOfSelection',
        message:
          'table shop.orders was renamed to shop.orders_old, which is not selected: shop.orders no longer syncs',
        details: { from, to },
      },
    ]);
    expect(
      ddlEffects(routing, {
        kind: 'rename',
        renames: [{ from: { database: 'audit', table: 'a' }, to: { database: 'audit', table: 'b' } }],
      }),
    ).toEqual([]);
  });

  it('has no effect for statements that keep the selection', () => {
    expect(ddlEffects(routing, { kind: 'alter', tables: [{ database: 'shop', table: 'orders' }] })).toEqual(
      [],
    );
    expect(ddlEffects(routing, { kind: 'other' })).toEqual([]);
  });
});
