/**
 * Import before any task module: an in-memory resource catalog, so that
 * `schemaTask()` registers its run function where the tests can look it up (what
 * `@trigger.dev/sdk/ai/test` does, without needing the `ai` package).
 */
import { resourceCatalog } from "@trigger.dev/core/v3";
import { StandardResourceCatalog } from "@trigger.dev/core/v3/workers";

resourceCatalog.setGlobalResourceCatalog(new StandardResourceCatalog());
resourceCatalog.setCurrentFileContext("src/tasks/composeVideo.ts", "composeVideo");
