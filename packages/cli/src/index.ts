// Public API of @rafscan/cli: the command as a function, and the bundled sample image.
export { main, USAGE } from "./main.js";
export { SAMPLE_BOOTSTRAP } from "./open-arg.js";
export type { Io } from "./output.js";
