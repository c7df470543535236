import { startApp, StartupError } from '../app.js';
import { ConfigError, loadConfig, RUN_USAGE } from '../config.js';
import { createLogger, type Logger } from '../log/logger.js';
import type { Command } from './cli-io.js';

/**
 * Keeps the process alive through a stray promise rejection or an exception thrown from a
 * callback: each is logged as an error. A bug in one code path is not a reason to drop every
 * schedule on the floor. Call it once per process.
 */
export function installCrashGuards(logger: Logger): void {
  process.on('unhandledRejection', (reason) =>
    logger.error('unhandled promise rejection', { error: reason }),
  );
  process.on('uncaughtException', (error) => logger.error('uncaught exception', { error }));
}

/**
 * `run`: the controller process. Resolves with 0 after a graceful stop on SIGTERM or SIGINT; a
 * second signal during the drain exits at once.
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
  const logger = createLogger({
    level: config.logLevel,
    format: config.logFormat,
    write: (l) => io.stderr(`${l}\n`),
  });

  installCrashGuards(logger);

  let app;
  try {
    app = await startApp(config, logger);
  } catch (error) {
    if (error instanceof StartupError || error instanceof ConfigError) {
      io.stderr(`ecs-scheduler run: ${error.message}\n`);
      return 1;
    }
    logger.error('start-up failed', { error });
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
  return new Promise<number>((resolve) => {
    let signalled = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (signalled) {
        logger.warn('second signal: exiting without draining', { signal });
        clearInterval(keepAlive);
        resolve(1);
        return;
      }
      signalled = true;
      logger.info('signal received', { signal });
      app
        .stop()
        .then(
          () => resolve(0),
          (error: unknown) => {
            logger.error('shutdown failed', { error });
            resolve(1);
          },
        )
        .finally(() => clearInterval(keepAlive));
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
};
