import type { Logger } from '@weir/core';
import type { SecretMasker } from './secret-masker.js';

/** A logger that masks secrets in every field and message before passing them on. */
export function maskingLogger(log: Logger, masker: SecretMasker): Logger {
  if (masker.empty) return log;
  const wrap = (level: 'debug' | 'info' | 'warn' | 'error') => (fields: Record<string, unknown>, message: string) =>
    log[level](masker.maskValue(fields), masker.maskText(message));
  return {
    debug: wrap('debug'),
    info: wrap('info'),
    warn: wrap('warn'),
    error: wrap('error'),
    child: (bindings) => maskingLogger(log.child(masker.maskValue(bindings)), masker),
  };
}
