export { contentTypeOf } from './content-types.js';
export { INDEX_FILE, pathOf, type WebFiles, webHandlers } from './handlers.js';
export { REASONS, statusOfBadRequest, textResponse, wantsClose } from './responses.js';
export { createWebServer, WEB_DEFAULT_PORT, type WebServerOptions, webServerProgram } from './server-program.js';
