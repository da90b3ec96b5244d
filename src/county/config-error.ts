/** A configuration problem, named by file, line and field. Stops the hub at start. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | null,
    readonly field: string | null,
    readonly problem: string,
  ) {
    super(`${file}${line !== null ? `:${line}` : ''}${field ? ` [${field}]` : ''}: ${problem}`);
    this.name = 'ConfigError';
  }
}

/** Several problems at once, so an operator fixes them in one pass. */
export class ConfigErrors extends Error {
  constructor(readonly errors: ConfigError[]) {
    super(
      `invalid configuration (${errors.length} problem${errors.length === 1 ? '' : 's'}):\n` +
        errors
          .slice(0, 50)
          .map((e) => '  ' + e.message)
          .join('\n') +
        (errors.length > 50 ? `\n  … and ${errors.length - 50} more` : ''),
    );
    this.name = 'ConfigErrors';
  }
}
