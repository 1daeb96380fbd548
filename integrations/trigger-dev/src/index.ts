export * from "./client.js";
export * from "./compose.js";
export * from "./spec.js";
export { composeVideo } from "./tasks/composeVideo.js";
export { composeVideoPolling } from "./tasks/composeVideoPolling.js";
