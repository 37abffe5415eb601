import { demoModel } from "./demo-model.js";

/** The bundle a runnable example uses, and whether it is the demo model. */
export interface DemoExampleBundle {
  dir: string;
  demo: boolean;
}

/**
 * The bundle given on the command line (or `$RGE_MODEL`), else the demo model, announced on stdout, so every
 * example runs out of the box and shows real reasoning: a tiny RGE trained on two-hop questions about 200
 * made-up people ("who is the friend of the teacher of maya ?").
 *
 * @example
 * const bundle = await demoOrGivenBundle(process.argv[2]);
 * await run(bundle.dir, bundle.demo ? demoModelCorpus() : myCorpus());
 */
export async function demoOrGivenBundle(given: string | undefined = process.env.RGE_MODEL): Promise<DemoExampleBundle> {
  if (given) return { dir: given, demo: false };
  console.log(
    "No bundle given: using the demo model, a 1.3M-parameter RGE trained on two-hop questions about 200 made-up people " +
      '(it reasons about questions like "who is the friend of the teacher of maya ?" and nothing else).',
  );
  return { dir: await demoModel(), demo: true };
}
