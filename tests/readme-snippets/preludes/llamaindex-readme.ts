// What the later blocks of packages/llamaindex/README.md take from its usage example.
export { Settings } from "llamaindex";
