import { rgeLibrary } from "../../tsdown.shared.ts";

export default rgeLibrary(["src/index.ts"], [/^@langchain\/core/, /^@rge\/core/]);
