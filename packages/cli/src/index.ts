// Public API of @rafscan/cli: the command as a function, and the sample image.
export { main, USAGE } from "./main.js";
export type { Io } from "./output.js";
export { SAMPLE_TREE, sampleImage } from "./sample.js";
