import type { ProtocolIR } from '@sockspec/spec';
import { echoIR, greeterIR, kvIR, timestampIR } from './fixtures/hand-ir.js';

/** Every protocol with a golden folder: the workspace specs, then the test-only fixtures. */
export const GOLDEN_CASES: readonly ProtocolIR[] = [echoIR, timestampIR, kvIR, greeterIR];

/** Golden packages sit five levels below the workspace root (generators/typescript/test/golden/<name>). */
export const GOLDEN_OPTIONS: Readonly<Record<string, unknown>> = { tsconfigBase: '../../../../../tsconfig.base.json' };
