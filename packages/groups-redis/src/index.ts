export { type RedisGroupsOptions, redisGroups } from './redis-groups.js';
