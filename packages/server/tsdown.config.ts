import { rgeLibrary } from "../../tsdown.shared.ts";

export default rgeLibrary(["src/index.ts", "src/cli.ts", "src/serve-command.ts"], [/^@rge\//]);
