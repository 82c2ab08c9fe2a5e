// Prometheus metrics (METRICS_PORT), counted where the platform already reports what it does:
//
// - every structured log line with an `event` field (OAuth steps, logins, CLI logins, wiki changes,
//   reuse detected, denials …) counts in `robot_events_total{event}`; one with `seconds` (a login's
//   duration) is also observed in `robot_event_duration_seconds{event}`. Event names are literals in
//   the code, so the label set stays small, and a new event is counted without touching this file;
// - each HTTP request by its route pattern (never the raw path: that would be one series per page);
// - each MCP tool call by tool and outcome;
// - the PostgreSQL pool's connections, read when scraped.
//
// prom-client is loaded only when METRICS_PORT is set; without it every hook is a no-op.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ToolOutcome = 'ok' | 'refused' | 'failed';

export interface Metrics {
  request(method: string, route: string, status: number, seconds: number): void;
  /** A structured log line's fields (`event` set): see createLogger's `onEvent`. */
  event(fields: { event: string; seconds?: unknown }): void;
  /** `refused`: a wiki rule said no (a recoverable tool error); `failed`: a fault on our side. */
  toolCall(tool: string, outcome: ToolOutcome, seconds: number): void;
}

export const noMetrics: Metrics = { request() {}, event() {}, toolCall() {} };

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

export interface MetricsEndpoint {
  metrics: Metrics;
  /** Reads the pool when scraped; set once the database is open (the logger, and so the events, come first). */
  watchPool(stats: () => PoolStats): void;
  /** Serves `/metrics` on host:port; answers the address it listens on. */
  listen(port: number, host: string): Promise<string>;
  close(): Promise<void>;
}

/** Seconds: from a fast JSON answer (~1 ms) to a slow outbound fetch or login (~10 s). */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** The access log's own event, measured by route instead. */
const HTTP_EVENT = 'http';

export async function prometheusMetrics(): Promise<MetricsEndpoint> {
  const client = await import('prom-client');
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'robot_' });
  const requests = new client.Histogram({
    name: 'robot_http_request_duration_seconds',
    help: 'HTTP requests by route pattern, method and status, from the first byte read to the answer.',
    labelNames: ['method', 'route', 'status'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const events = new client.Counter({
    name: 'robot_events_total',
    help: 'Events the platform logged (oauth.*, atproto.login.*, cli_login.*, session.*, wiki.*, …).',
    labelNames: ['event'],
    registers: [registry],
  });
  const eventDurations = new client.Histogram({
    name: 'robot_event_duration_seconds',
    help: 'How long the events that carry a duration took (atproto.login.completed: from the login form to the callback).',
    labelNames: ['event'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const tools = new client.Histogram({
    name: 'robot_mcp_tool_call_duration_seconds',
    help: 'MCP tool calls by tool and outcome (ok, refused by a wiki rule, failed on our side).',
    labelNames: ['tool', 'outcome'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  let poolStats: (() => PoolStats) | undefined;
  new client.Gauge({
    name: 'robot_db_pool_connections',
    help: 'PostgreSQL pool connections: total open, idle, and requests waiting for one.',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      if (!poolStats) return;
      const { total, idle, waiting } = poolStats();
      this.set({ state: 'total' }, total);
      this.set({ state: 'idle' }, idle);
      this.set({ state: 'waiting' }, waiting);
    },
  });

  const metrics: Metrics = {
    request: (method, route, status, seconds) => requests.observe({ method, route, status: String(status) }, seconds),
    event({ event, seconds }) {
      if (event === HTTP_EVENT) return;
      events.inc({ event });
      if (typeof seconds === 'number') eventDurations.observe({ event }, seconds);
    },
    toolCall: (tool, outcome, seconds) => tools.observe({ tool, outcome }, seconds),
  };

  let server: Server | undefined;
  return {
    metrics,
    watchPool(stats) {
      poolStats = stats;
    },
    listen(port, host) {
      server = createServer((request, response) => {
        if (request.method !== 'GET' || request.url !== '/metrics') return response.writeHead(404).end();
        registry.metrics().then(
          (body) => response.writeHead(200, { 'Content-Type': registry.contentType, 'Cache-Control': 'no-store' }).end(body),
          () => response.writeHead(500).end(),
        );
      });
      const listening = server;
      return new Promise((resolve, reject) => {
        listening.once('error', reject);
        listening.listen(port, host, () => {
          const address = listening.address() as AddressInfo;
          resolve(`http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`);
        });
      });
    },
    close: () => new Promise((resolve) => (server ? server.close(() => resolve()) : resolve())),
  };
}
