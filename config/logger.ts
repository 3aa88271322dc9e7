import { pino, type Logger } from 'pino';

export function createLogger(level: string, name: string): Logger {
  return pino({
    name,
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers["api-token"]',
        'req.headers["x-server-authorization-hmac-sha256"]',
      ],
      remove: true,
    },
  });
}
