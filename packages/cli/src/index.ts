// Public API of @rafscan/cli: the command as a function, its command tree, and the sample image.
export { main } from "./main.js";
export type { Io } from "./output.js";
export { createProgram } from "./program.js";
export { SAMPLE_TREE, sampleImage } from "./sample.js";
