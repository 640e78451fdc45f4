/**
 * One transaction on a client: committed when `work` resolves, rolled back when it throws (its
 * error is what the caller sees, also when the rollback fails on a broken connection).
 */
import type pg from 'pg';

export async function inTransaction<T>(client: pg.ClientBase, work: () => Promise<T>): Promise<T> {
  await client.query('begin');
  try {
    const result = await work();
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  }
}
