import { startApp, type RunningApp } from '../app.js';
import { ConfigError, loadConfig, RUN_USAGE } from '../config.js';
import { flushOnExit, LineBuffer } from '../log/line-buffer.js';
import { createLogger } from '../log/logger.js';
import type { Command } from './cli-io.js';
import { installCrashGuards } from './process-guards.js';

/**
 * `run`: the controller process. Resolves with 0 after a graceful stop on SIGTERM or SIGINT, and
 * with 1 when start-up fails (the reason is the last log line), when the drain takes longer than
 * --shutdown-timeout, or on a second signal. The entry point then exits whatever is still in
 * flight: nothing here waits for a hung call.
 */
export const runCommand: Command = async (args, io) => {
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout(`${RUN_USAGE}\n`);
    return 0;
  }
  let config;
  try {
    config = loadConfig(args, io.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr(`ecs-scheduler run: ${error.message}\n\n${RUN_USAGE}\n`);
    return 2;
  }
  // One write per event-loop turn, and whatever is left when the process exits (a crash guard's
  // process.exit included) is written synchronously then.
  const lines = new LineBuffer({
    write: (text) => io.stderr(text),
    ...(io.stderrAtExit ? { writeAtExit: (text: string) => io.stderrAtExit?.(text) } : {}),
  });
  flushOnExit(lines);
  const logger = createLogger({ level: config.logLevel, format: config.logFormat, write: lines.line });

  installCrashGuards(logger);

  // Signals are handled from the start: one during start-up (a cache sync waiting on an
  // unreachable API server) ends the process at once, since nothing has been launched to drain.
  let onSignal: (signal: NodeJS.Signals) => void = () => undefined;
  const early = new Promise<'signalled'>((resolve) => {
    onSignal = (signal) => {
      logger.info('signal received during start-up: exiting', { signal });
      resolve('signalled');
    };
  });
  const handler = (signal: NodeJS.Signals) => onSignal(signal);
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);

  let app: RunningApp;
  try {
    const first = await Promise.race([startApp(config, logger), early]);
    if (first === 'signalled') return 0;
    app = first;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    logger.error(`start-up failed: ${reason}`, { error });
    return 1;
  }
  logger.info('running', {
    mode: config.mode,
    dryRun: config.dryRun,
    metricsPort: app.metricsPort,
    healthPort: app.healthPort,
    identity: config.identity,
  });

  // Timers inside the app are unref'd so tests and shutdown never hang on them; this one holds
  // the process open until a signal asks it to stop.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  const timeoutMs = config.shutdownTimeoutSeconds * 1000;
  return new Promise<number>((resolve) => {
    let signalled = false;
    const finish = (code: number) => {
      clearInterval(keepAlive);
      resolve(code);
    };
    onSignal = (signal) => {
      if (signalled) {
        logger.warn('second signal: exiting without draining', { signal });
        finish(1);
        return;
      }
      signalled = true;
      logger.info('signal received', { signal, shutdownTimeoutSeconds: config.shutdownTimeoutSeconds });
      // The drain waits for in-flight launches, which is what makes a stop graceful; the bound
      // makes it certain, so the kubelet never needs its SIGKILL at terminationGracePeriodSeconds.
      const timer = setTimeout(() => {
        logger.error('shutdown did not finish within --shutdown-timeout: exiting with work in flight', {
          shutdownTimeoutSeconds: config.shutdownTimeoutSeconds,
        });
        finish(1);
      }, timeoutMs);
      app
        .stop()
        .then(
          () => finish(0),
          (error: unknown) => {
            logger.error('shutdown failed', { error });
            finish(1);
          },
        )
        .finally(() => clearTimeout(timer));
    };
  });
};
