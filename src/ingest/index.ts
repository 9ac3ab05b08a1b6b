export { inputSize, readInputs, readInputsRaw } from './read-inputs.js';
export type { FieldMap, IngestItem, InputFormat, InputOptions, RejectedRecord } from './types.js';
