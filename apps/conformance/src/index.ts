export { WrongReplyError } from './errors.js';
export {
  type CellOutcome,
  type CellResult,
  type DatagramClassifier,
  formatMatrix,
  notApplicableReason,
} from './matrix.js';
export { type ConformanceProtocol, PROTOCOLS, packageDir, SAMPLE_LINES, serverModelReason } from './protocols.js';
