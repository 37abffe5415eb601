import { rgeLibrary } from "../../tsdown.shared.ts";

export default rgeLibrary(["src/index.ts", "src/cli/main.ts"]);
