export { lineEchoClientProgram, lineEchoServerProgram } from './line-programs.js';
export { ECHO_DEFAULT_PORT } from './port.js';
export { echoClientProgram, echoServerProgram } from './programs.js';
export { rawEchoProtocol } from './raw-echo-protocol.js';
