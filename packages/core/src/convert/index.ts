export { makeDecoderRgeReady, type DecoderEditResult, type GraphEditStage, type MakeDecoderRgeReadyOptions } from "./graph-edit.js";
