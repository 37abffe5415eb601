import { demoModel } from "./demo-model.js";

/** The bundle a runnable example uses, and whether it is the demo model. */
export interface DemoExampleBundle {
  dir: string;
  demo: boolean;
}

/**
 * The bundle given on the command line (or `$RGE_MODEL`), else the demo model, announced on stdout, so every
 * example runs out of the box and shows real reasoning: a tiny RGE trained on questions about 200 made-up people
 * and their badges ("who is the friend of the teacher of maya ?", or a badge and "who is this ?").
 *
 * @example
 * const bundle = await demoOrGivenBundle(process.argv[2]);
 * await run(bundle.dir, bundle.demo ? demoModelCorpus() : myCorpus());
 */
export async function demoOrGivenBundle(given: string | undefined = process.env.RGE_MODEL): Promise<DemoExampleBundle> {
  if (given) return { dir: given, demo: false };
  console.log(
    "No bundle given: using the demo model, a 1.4M-parameter RGE trained on questions about 200 made-up people and " +
      'their badges (it reasons about questions like "who is the friend of the teacher of maya ?", or about a badge in ' +
      "examples/demo-model/model/badges/, and nothing else).",
  );
  return { dir: await demoModel(), demo: true };
}
