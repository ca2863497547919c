/** Entry point of the `slipway` binary. */
import { main } from './main.js';

const code = await main(process.argv);
process.exitCode = code;
// Nothing should keep the process alive after a command, but if a driver leaves a handle open,
// exit anyway instead of hanging a CI job; unref'd, so a clean exit is not delayed.
setTimeout(() => process.exit(code), 2000).unref();
