/**
 * The alternative: run clipstitch itself inside a Trigger.dev task. The python
 * extension installs Python and clipstitch into the image, ffmpeg() adds ffmpeg.
 */
import { defineConfig } from "@trigger.dev/sdk";
import { ffmpeg } from "@trigger.dev/build/extensions/core";
import { pythonExtension } from "@trigger.dev/python/extension";

export default defineConfig({
  project: process.env.TRIGGER_PROJECT_REF ?? "proj_replace_with_your_ref",
  runtime: "node",
  dirs: ["./examples/in-task"],
  // Rendering happens here: pick the preset from the memory table in the README.
  machine: "large-1x",
  maxDuration: 3600,
  build: {
    extensions: [
      ffmpeg(),
      // requirements.txt names clipstitch (a wheel URL or a git URL of this repo).
      pythonExtension({ requirementsFile: "./examples/in-task/requirements.txt" }),
    ],
  },
});
