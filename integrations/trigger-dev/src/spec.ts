/**
 * The composition spec as a zod schema, mirroring clipstitch's `Composition`
 * (docs/composition.schema.json), plus the job settings a task may pass along.
 *
 * Validating in the task rejects a malformed payload before any run is spent on
 * it; the server validates again and stays the authority.
 */
import { z } from "zod";

const evenSize = z
  .number()
  .int()
  .min(16)
  .max(7680)
  .refine((value) => value % 2 === 0, "must be even");

/** An fps as clipstitch accepts it: "30", "30000/1001" or a number, 1..120. */
const fps = z
  .union([z.string(), z.number()])
  .transform((value) => String(value))
  .refine((value) => {
    const rate = parseRate(value);
    return rate !== undefined && rate >= 1 && rate <= 120;
  }, "must be a number or a ratio between 1 and 120");

export const clipSchema = z
  .object({
    source: z.string().min(1),
    start: z.number().min(0).optional(),
    end: z.number().positive().optional(),
  })
  .strict()
  .refine(
    (clip) => clip.start === undefined || clip.end === undefined || clip.end > clip.start,
    "trim end must be after start",
  );

export const outputSchema = z
  .object({
    width: evenSize.optional(),
    height: evenSize.optional(),
    fps: fps.optional(),
    fit: z.enum(["contain", "cover", "blur"]).optional(),
    video: z
      .object({
        codec: z.literal("h264").optional(),
        crf: z.number().int().min(0).max(51).optional(),
        preset: z
          .enum(["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower"])
          .optional(),
      })
      .strict()
      .optional(),
    audio: z
      .object({
        codec: z.literal("aac").optional(),
        sample_rate: z.literal(48000).optional(),
        channels: z.literal(2).optional(),
        bitrate_kbps: z.number().int().min(32).max(512).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

/** The task payload: a composition plus metadata and a deadline for the job. */
export const composeVideoPayload = z
  .object({
    clips: z.array(z.union([z.string().min(1), clipSchema])).min(1).max(2000),
    output: outputSchema.optional(),
    on_bad_clip: z.enum(["fail", "skip"]).optional(),
    metadata: z.record(z.unknown()).optional(),
    /** Fail the job after this long; also bounds how long the task waits. */
    deadline_seconds: z
      .number()
      .positive()
      .max(7 * 24 * 3600)
      .optional(),
  })
  .strict();

export type ComposeVideoPayload = z.infer<typeof composeVideoPayload>;

function parseRate(value: string): number | undefined {
  const [numerator, denominator = "1", extra] = value.split("/");
  if (extra !== undefined || numerator === undefined) return undefined;
  const top = Number(numerator);
  const bottom = Number(denominator);
  if (!Number.isFinite(top) || !Number.isFinite(bottom) || bottom === 0) return undefined;
  return top / bottom;
}
