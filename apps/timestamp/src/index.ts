export { TIMESTAMP_DEFAULT_PORT, timestampClientProgram, timestampServerProgram } from './programs.js';
