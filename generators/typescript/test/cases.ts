import type { ProtocolIR } from '@sockspec/spec';
import { echoIR, greeterIR, kvIR, timestampIR } from './fixtures/hand-ir.js';

/** Every protocol with a golden folder: the workspace specs, then the test-only fixtures. */
export const GOLDEN_CASES: readonly ProtocolIR[] = [echoIR, timestampIR, kvIR, greeterIR];
