import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/config.ts';
import { authenticatorUrl, runtimeDatabaseUrl } from './authenticator.ts';

describe('the runtime login', () => {
  it("is DATABASE_URL's server and database as imgplane_authenticator, with the given password only", () => {
    expect(authenticatorUrl('postgres://migrator:secret@db.example:6432/imgplane?sslmode=require')).toBe(
      'postgres://imgplane_authenticator@db.example:6432/imgplane?sslmode=require',
    );
    expect(authenticatorUrl('postgres://migrator:secret@db.example/imgplane', 'p@ss')).toBe('postgres://imgplane_authenticator:p%40ss@db.example/imgplane');
  });

  it('prefers AUTH_DATABASE_URL', () => {
    const authDatabaseUrl = 'postgres://imgplane_authenticator:other@pooler.example/imgplane';
    expect(runtimeDatabaseUrl({ databaseUrl: 'postgres://migrator@db.example/imgplane', authDatabaseUrl })).toBe(authDatabaseUrl);
  });

  it('asks for AUTH_DATABASE_URL when DATABASE_URL names a socket instead of a host', () => {
    expect(() => runtimeDatabaseUrl({ databaseUrl: 'postgres:///imgplane?host=/var/run/postgresql' })).toThrow(ConfigError);
    expect(() => runtimeDatabaseUrl({ databaseUrl: 'postgres:///imgplane?host=/var/run/postgresql' })).toThrow(/AUTH_DATABASE_URL is required/);
  });
});
