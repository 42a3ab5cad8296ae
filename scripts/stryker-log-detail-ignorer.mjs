import { declareValuePlugin, PluginKind } from '@stryker-mutator/api/plugin';

/**
 * A Stryker ignorer (`npm run test:mutation`): the arguments after the first of
 * `new BridgeError(code, detail, { cause })` and `new AdminCheckError(code, detail)`. They are the
 * private detail for the log and the error's cause, never a decision: what a login or an admin
 * call answers depends on the code alone (src/core/errors.ts's one table), and tests assert on
 * codes, never on message text (the project style guide). A mutant there can only change a log line.
 */
const ERROR_CLASSES = new Set(['BridgeError', 'AdminCheckError']);

export const strykerPlugins = [
  declareValuePlugin(PluginKind.Ignore, 'log-detail', {
    shouldIgnore(path) {
      const parent = path.parentPath;
      if (
        parent?.isNewExpression() &&
        path.listKey === 'arguments' &&
        typeof path.key === 'number' &&
        path.key >= 1 &&
        parent.node.callee.type === 'Identifier' &&
        ERROR_CLASSES.has(parent.node.callee.name)
      ) {
        return 'Log-only detail of a refusal: the answer depends on the error code alone, and tests assert on codes (the project style guide).';
      }
      return undefined;
    },
  }),
];
