export { CHAT_CLIENT_NAME, runChatClient } from './client-program.js';
export {
  type ChatCommand,
  ChatCommandError,
  COMMANDS,
  type CommandProblem,
  closestCommand,
  helpLines,
  parseCommand,
} from './commands.js';
export { checkString, NICK, ROOM, type StringLimit, TEXT } from './limits.js';
export {
  type ChatEvent,
  escapeField,
  type RenderOptions,
  renderEvent,
  renderOptionsFor,
  unescapeField,
} from './render.js';
export {
  CHAT_DEFAULT_PORT,
  type ChatLimits,
  chatServerProgram,
  createChatHandlers,
  createChatServer,
  MAX_ROOM_MEMBERS,
  MAX_ROOMS,
  MEMBERS_PAGE,
  ROOMS_PAGE,
} from './server-program.js';
