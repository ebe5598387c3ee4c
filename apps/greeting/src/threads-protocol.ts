// What a `--concurrency threads` worker imports: the protocol is rebuilt in the worker, since closures cannot cross threads.
import { createServerProtocol } from '@sockspec/protocol-greeting';

export const protocol = createServerProtocol();
