// A real `robot serve` child process that a test can stop at an exact statement and then kill -9
// (catalogue DB-03). The child runs under the V8 inspector on loopback; a breakpoint set through the
// DevTools protocol holds it at the chosen point, so "after the commit, before the response" is
// deterministic rather than a race against the response.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

interface DevtoolsMessage {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
}

export class RobotProcess {
  private nextId = 0;
  private readonly replies = new Map<number, (message: DevtoolsMessage) => void>();
  private readonly scripts: { scriptId: string; url: string }[] = [];
  private onPaused: (() => void) | undefined;
  /** Settles when the child stops at the breakpoint armed by `breakAt`. */
  paused: Promise<void> = new Promise(() => {});

  private constructor(
    readonly child: ChildProcess,
    private readonly devtools: WebSocket,
    readonly output: () => string,
  ) {
    devtools.addEventListener('message', (event) => {
      const message = JSON.parse(String(event.data)) as DevtoolsMessage;
      if (message.id !== undefined) this.replies.get(message.id)?.(message);
      else if (message.method === 'Debugger.scriptParsed') this.scripts.push(message.params as { scriptId: string; url: string });
      else if (message.method === 'Debugger.paused') this.onPaused?.();
    });
  }

  /** Starts `robot serve` with `env` and waits until it listens. */
  static async start(env: Record<string, string>): Promise<RobotProcess> {
    const child = spawn(process.execPath, ['--inspect=127.0.0.1:0', path.resolve('bin/robot.mjs'), 'serve'], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (chunk) => (output += chunk));
    child.stderr!.on('data', (chunk) => (output += chunk));
    for (let i = 0; i < 200 && !output.includes('is running') && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 100));
    // A server that did not come up in time must not outlive the failed test: its pipes would keep
    // the test process (and so the whole run) waiting for ever.
    if (!output.includes('is running')) child.kill('SIGKILL');
    assert.match(output, /is running/, output);
    const devtools = new WebSocket(/Debugger listening on (ws:\/\/127\.0\.0\.1:\d+\/\S+)/.exec(output)![1]!);
    await new Promise((resolve, reject) => {
      devtools.addEventListener('open', resolve, { once: true });
      devtools.addEventListener('error', reject, { once: true });
    });
    const robot = new RobotProcess(child, devtools, () => output);
    await robot.send('Debugger.enable');
    return robot;
  }

  private send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.replies.set(id, (message) => (message.error ? reject(new Error(`${method}: ${message.error.message}`)) : resolve(message.result ?? {})));
      this.devtools.send(JSON.stringify({ id, method, params }));
    });
  }

  /**
   * Arms a breakpoint on the statement `statement` matches (once) in the source file ending in `file`,
   * as the child runs it after the TypeScript transform; `paused` settles when the child stops there.
   */
  async breakAt(file: string, statement: RegExp): Promise<void> {
    const script = this.scripts.find((s) => new URL(s.url).pathname.endsWith(file));
    assert.ok(script, `${file} is not loaded`);
    const source = (await this.send('Debugger.getScriptSource', { scriptId: script.scriptId })).scriptSource as string;
    const matches = [...source.matchAll(new RegExp(statement, 'g'))];
    assert.equal(matches.length, 1, `${statement} must match exactly once in ${file}`);
    const before = source.slice(0, matches[0]!.index).split('\n');
    const location = { scriptId: script.scriptId, lineNumber: before.length - 1, columnNumber: before.at(-1)!.length };
    const { actualLocation } = (await this.send('Debugger.setBreakpoint', { location })) as { actualLocation: typeof location };
    assert.deepEqual(actualLocation, location, 'the breakpoint landed on the statement itself');
    this.paused = new Promise((resolve) => (this.onPaused = resolve));
  }

  /** kill -9: no shutdown hook, no flush, no rollback beyond what the database itself does. */
  kill(): Promise<void> {
    return this.end('SIGKILL');
  }

  /** SIGTERM: the graceful stop `robot serve` makes (it drains open streams, then exits). */
  stop(): Promise<void> {
    return this.end('SIGTERM');
  }

  private async end(signal: NodeJS.Signals): Promise<void> {
    const running = this.child.exitCode === null && this.child.signalCode === null;
    const exited = running ? new Promise((resolve) => this.child.once('exit', resolve)) : undefined;
    // SIGKILL before the debugger lets go: closing the devtools session resumes a process held at a
    // breakpoint, and it could then finish the very response the test kills it to withhold (DB-03).
    // A graceful stop is the other way round: with a debugger attached, a process that is done waits
    // for it to disconnect.
    if (signal === 'SIGKILL' && running) this.child.kill(signal);
    this.devtools.close();
    if (signal !== 'SIGKILL' && running) this.child.kill(signal);
    await exited;
  }
}
