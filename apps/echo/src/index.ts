export { ECHO_DEFAULT_PORT, echoClientProgram, echoServerProgram } from './programs.js';
