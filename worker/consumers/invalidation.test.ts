import { describe, expect, it } from 'vitest';
import { invalidationFor } from './invalidation.ts';
import type { OutboxEvent } from './types.ts';

const event = (aggregateType: string, aggregateId: string | null = 'id-1'): OutboxEvent => ({
  id: '1',
  organizationId: 'org',
  tenantId: null,
  type: `${aggregateType}.updated`,
  aggregateType,
  aggregateId,
  payload: {},
  createdAt: new Date(0),
  attempts: 0,
});

describe('invalidationFor', () => {
  it('forgets the one asset an asset event is about', () => {
    expect(invalidationFor(event('asset', 'a-1'))).toEqual({ kind: 'asset', id: 'a-1' });
  });

  it('forgets space contexts for preset and policy events', () => {
    expect(invalidationFor(event('preset'))).toEqual({ kind: 'space' });
    expect(invalidationFor(event('policy'))).toEqual({ kind: 'space' });
  });

  it('forgets cached keys for API key and signing key events', () => {
    expect(invalidationFor(event('api_key'))).toEqual({ kind: 'keys' });
    expect(invalidationFor(event('signing_key'))).toEqual({ kind: 'keys' });
  });

  it('says nothing for events that no cache depends on', () => {
    expect(invalidationFor(event('usage'))).toBeUndefined();
    expect(invalidationFor(event('asset', null))).toBeUndefined();
  });
});
