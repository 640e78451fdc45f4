import { describe, expect, it } from 'vitest';
import { corsFor } from './cors.ts';

describe('corsFor', () => {
  const allowed = ['https://shop.example.com', 'http://localhost:5173'];

  it('echoes an allowed origin and varies on Origin', () => {
    expect(corsFor('https://shop.example.com', allowed)).toEqual({ allowOrigin: 'https://shop.example.com', varyOrigin: true });
    expect(corsFor('http://localhost:5173', allowed)).toEqual({ allowOrigin: 'http://localhost:5173', varyOrigin: true });
  });

  it('allows no other origin (nor a near miss, nor none), still varying on Origin', () => {
    for (const origin of ['https://evil.example.com', 'https://shop.example.com.evil.net', 'http://shop.example.com', 'null', undefined]) {
      expect(corsFor(origin, allowed)).toEqual({ allowOrigin: undefined, varyOrigin: true });
    }
  });

  it('answers * for a wildcard list and nothing for an empty one, the same for every origin', () => {
    expect(corsFor('https://any.example', ['*'])).toEqual({ allowOrigin: '*', varyOrigin: false });
    expect(corsFor(undefined, ['*'])).toEqual({ allowOrigin: '*', varyOrigin: false });
    expect(corsFor('https://shop.example.com', [])).toEqual({ allowOrigin: undefined, varyOrigin: false });
  });
});
