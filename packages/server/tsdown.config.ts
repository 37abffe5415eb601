import { rgeLibrary } from "../../tsdown.shared.ts";

export default rgeLibrary(["src/index.ts", "src/cli.ts"], [/^@rge\//]);
