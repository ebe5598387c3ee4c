export { collectGreeting, GREETING_DEFAULT_PORT, greetingClientProgram, greetingServerProgram } from './programs.js';
