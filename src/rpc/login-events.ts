// Wakes AwaitLogin streams when their login changes. One process: an in-memory emitter. PostgreSQL:
// LISTEN/NOTIFY, so a callback handled by one instance wakes the stream held by another.
import { EventEmitter } from 'node:events';
import pg from 'pg';
import type { Logger } from '../log.ts';

const CHANNEL = 'robot_cli_login';

export interface LoginEvents {
  publish(loginId: string): Promise<void>;
  subscribe(loginId: string, listener: () => void): () => void;
  close(): Promise<void>;
}

export function localLoginEvents(): LoginEvents {
  const emitter = new EventEmitter().setMaxListeners(0);
  return {
    async publish(loginId) {
      emitter.emit(loginId);
    },
    subscribe(loginId, listener) {
      emitter.on(loginId, listener);
      return () => emitter.off(loginId, listener);
    },
    async close() {
      emitter.removeAllListeners();
    },
  };
}

export async function postgresLoginEvents(databaseUrl: string, log: Logger): Promise<LoginEvents> {
  const local = localLoginEvents();
  // One dedicated connection per instance listens; publishing goes through a short-lived query.
  const listener = new pg.Client({ connectionString: databaseUrl });
  listener.on('notification', (message) => {
    if (message.channel === CHANNEL && message.payload) void local.publish(message.payload);
  });
  listener.on('error', (error) => log.error({ err: error }, 'login event listener failed; streams fall back to polling'));
  await listener.connect();
  await listener.query(`listen ${CHANNEL}`);
  const notifier = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  notifier.on('error', () => {});
  return {
    async publish(loginId) {
      await notifier.query('select pg_notify($1, $2)', [CHANNEL, loginId]);
    },
    subscribe: local.subscribe,
    async close() {
      await Promise.allSettled([listener.end(), notifier.end(), local.close()]);
    },
  };
}
