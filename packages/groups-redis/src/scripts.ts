/**
 * The Lua scripts behind redisGroups(). Each runs atomically in Redis, so a
 * join, a name claim or the sweep of a dead server is never seen half done,
 * and exactly one server collects a dead server's members.
 *
 * Keys, under the prefix P (default `sockspec:<protocol>:`):
 *   P servers        ZSET   server id -> lease deadline (ms, Redis clock)
 *   P g:<group>      HASH   member key -> claimed name ('' when none)
 *   P groups         SET    groups with at least one member
 *   P m:<server>     SET    "<group>\n<member key>" per membership of that server
 *   P n:<name>       STRING member key holding the name
 *   P sn:<server>    SET    names held by that server's members
 * A member key is "<server id>/<connection id>". Scripts build keys from the
 * prefix, so this needs one Redis (or one Cluster slot), not a sharded Cluster.
 */

const NOW = `local t = redis.call('TIME'); local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** KEYS: g, groups, m. ARGV: member key, name, group. */
export const JOIN = `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
redis.call('SADD', KEYS[3], ARGV[3] .. '\\n' .. ARGV[1])
return 1`;

/** KEYS: g, groups, m. ARGV: member key, group. */
export const LEAVE = `
redis.call('HDEL', KEYS[1], ARGV[1])
if redis.call('HLEN', KEYS[1]) == 0 then redis.call('SREM', KEYS[2], ARGV[2]) end
redis.call('SREM', KEYS[3], ARGV[2] .. '\\n' .. ARGV[1])
return 1`;

/** KEYS: n, sn. ARGV: member key, name. 1 when the key holds the name now, 0 when another does. */
export const CLAIM = `
local holder = redis.call('GET', KEYS[1])
if not holder then
  redis.call('SET', KEYS[1], ARGV[1])
  redis.call('SADD', KEYS[2], ARGV[2])
  return 1
end
if holder == ARGV[1] then return 1 end
return 0`;

/** KEYS: n, sn. ARGV: member key, name. */
export const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
redis.call('SREM', KEYS[2], ARGV[2])
return 1`;

/** KEYS: servers. ARGV: server id, lease ms. */
export const HEARTBEAT = `
${NOW}
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
return now`;

/** Removes one server's memberships and names; appends [group, name] of each named member to out. */
const DROP_SERVER = `
local function drop(prefix, id, out)
  redis.call('ZREM', prefix .. 'servers', id)
  local m = prefix .. 'm:' .. id
  for _, entry in ipairs(redis.call('SMEMBERS', m)) do
    local nl = string.find(entry, '\\n', 1, true)
    local group = string.sub(entry, 1, nl - 1)
    local key = string.sub(entry, nl + 1)
    local g = prefix .. 'g:' .. group
    local name = redis.call('HGET', g, key)
    redis.call('HDEL', g, key)
    if redis.call('HLEN', g) == 0 then redis.call('SREM', prefix .. 'groups', group) end
    if name and name ~= '' then
      table.insert(out, group)
      table.insert(out, name)
    end
  end
  redis.call('DEL', m)
  local sn = prefix .. 'sn:' .. id
  for _, name in ipairs(redis.call('SMEMBERS', sn)) do
    local n = prefix .. 'n:' .. name
    local holder = redis.call('GET', n)
    if holder and string.sub(holder, 1, #id + 1) == id .. '/' then redis.call('DEL', n) end
  end
  redis.call('DEL', sn)
end`;

/** KEYS: servers. ARGV: prefix. Drops every server whose lease ran out; returns [group, name, group, name, …]. */
export const SWEEP = `
${DROP_SERVER}
${NOW}
local out = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)) do drop(ARGV[1], id, out) end
return out`;

/** KEYS: servers. ARGV: prefix, server id. A server closing: its members leave without anyone being told. */
export const REMOVE_SERVER = `
${DROP_SERVER}
drop(ARGV[1], ARGV[2], {})
return 1`;
