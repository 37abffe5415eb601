import { rgeLibrary } from "../../tsdown.shared.ts";

export default rgeLibrary(["src/index.ts", "src/testing/index.ts", "src/cli/main.ts", "src/web/index.ts"], ["#ort"]);
