// The CLI's own error: a message and an exit status. In a module of its own so that
// what cli.ts builds on (the endpoint and the context store) can throw it too.

/** An error that ends the CLI with a given exit status and message. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
