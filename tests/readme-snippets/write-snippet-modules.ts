// Writes the README snippets as modules into generated/, where `tsc -p tests` typechecks them: the tests' typecheck
// script runs this first. See ./README.md.
import { join } from "node:path";
import { readmeSnippets } from "./extract-snippets.js";
import { GENERATED, snippetModule, writeModules } from "./snippet-modules.js";

const modules = readmeSnippets(join(import.meta.dirname, "..", "..")).map(snippetModule);
writeModules(modules, GENERATED);
console.log(`readme-snippets: ${modules.length} README snippets written to tests/readme-snippets/generated/ for tsc`);
