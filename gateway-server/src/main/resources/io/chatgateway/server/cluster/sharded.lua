-- Shared by every script of a Redis Cluster (prepended when the script is loaded): each call touches the keys of
-- ONE slot only, named after a hash tag, and is routed to that slot's shard by the client (KEYS[1] is a key of it).
-- ARGV[1] = cluster name (key prefix), ARGV[2] = calling node, ARGV[3] = ttl in ms of a node's keys,
-- ARGV[4] = history settings: "room-size room-ttl-ms inbox-size inbox-ttl-ms events-max-members" (sizes 0 = off),
-- ARGV[5] = the live nodes as the caller last read them: "node deadline node deadline ..." (deadline: ms of Redis
-- time). A node counts while its deadline is in the future, so entries of a dead node are ignored before anyone
-- deletes them.
-- User U, slot of {U}:  P:u:{U} (hash: node -> "conn/seq,conn/seq")  P:u:{U}:seq (registration order)
--                       P:u:{U}:i, P:u:{U}:il (inbox record and list)  channel P:u:{U}:ch (nodes serving U)
-- Room R, slot of {R}:  P:r:{R}:u (hash: user -> "node/conn,node/conn")  P:r:{R}:n (hash: node -> connections)
--                       P:r:{R}:h, P:r:{R}:hl (history record and list)  channel P:r:{R}:ch (nodes serving R)
-- Node N, slot of {N}:  P:n:{N}:info (hash: stats, conns, run)  P:n:{N}:users, P:n:{N}:rooms (sets: its index,
--                       what reaping walks)  P:n:{N}:reaped (tombstone)  channel P:n:{N}:in (broadcasts, probe)
-- Cluster, slot of {P}: {P}:nodes (zset: node -> lease deadline)  {P}:clock  {P}:reaping (hash: node -> claim)
-- A name with a brace (or empty, or starting with '~') is tagged by its hex form, so that every key of it stays in one slot.
local P = ARGV[1]
local SELF = ARGV[2]
local KEY_TTL = tonumber(ARGV[3])
local TOMBSTONE_TTL = 3600000
-- The sixth word of ARGV[4] is the run ids of the primaries the caller last synchronised with, sorted and joined by
-- commas (or empty): a history record started on a server not among them is treated as lost (see meta).
local ROOM_SIZE, ROOM_TTL, INBOX_SIZE, INBOX_TTL, EVENTS_MAX, SERVERS = string.match(ARGV[4],
  '^(%d+) (%d+) (%d+) (%d+) (%d+) ?(%S*)')
ROOM_SIZE, ROOM_TTL = tonumber(ROOM_SIZE), tonumber(ROOM_TTL)
INBOX_SIZE, INBOX_TTL, EVENTS_MAX = tonumber(INBOX_SIZE), tonumber(INBOX_TTL), tonumber(EVENTS_MAX)
local ONLINE_INBOX_TTL = INBOX_TTL + 3600000

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local NOW = now_ms()

local LIVE = {}
do
  local n
  for w in string.gmatch(ARGV[5], '%S+') do
    if n == nil then
      n = w
    else
      if tonumber(w) > NOW then
        LIVE[n] = true
      end
      n = nil
    end
  end
  LIVE[SELF] = true
end

local function live(node)
  return LIVE[node] == true
end

local function tag(name)
  if name == '' or string.find(name, '[{}]') or string.sub(name, 1, 1) == '~' then
    return '~' .. (string.gsub(name, '.', function(c) return string.format('%02x', string.byte(c)) end))
  end
  return name
end

local function ukey(user) return P .. ':u:{' .. tag(user) .. '}' end
local function rkey(room) return P .. ':r:{' .. tag(room) .. '}' end
local function nkey(node) return P .. ':n:{' .. node .. '}' end

local function entries(v)
  local t = {}
  if v then
    for e in string.gmatch(v, '[^,]+') do
      t[#t + 1] = e
    end
  end
  return t
end

local function entry_id(e)
  local i = string.find(e, '/', 1, true)
  if i then
    return string.sub(e, 1, i - 1)
  end
  return e
end

local function entry_seq(e)
  local i = string.find(e, '/', 1, true)
  if i then
    return tonumber(string.sub(e, i + 1)) or 0
  end
  return 0
end

local function envelope(kind, origin, a, b, body)
  return kind .. '\n' .. origin .. '\n' .. a .. '\n' .. b .. '\n' .. string.format('%d', NOW) .. '\n' .. body
end

local function member_event(kind, room, user, reason)
  local e = '{"type":"' .. kind .. '","room":' .. cjson.encode(room) .. ',"user":' .. cjson.encode(user)
  if reason then
    e = e .. ',"reason":"' .. reason .. '"'
  end
  return e .. '}'
end

-- An epoch: Redis time (microseconds) and a per-call counter; a room's epoch changes only after its history went.
local EPOCHS = 0
local function new_epoch()
  local t = redis.call('TIME')
  EPOCHS = EPOCHS + 1
  return string.format('%x%05x', tonumber(t[1]), tonumber(t[2])) .. '-s' .. string.format('%x', EPOCHS)
end

-- Whether a history record started on server `s` (its run id) may go on: the caller synchronised with that server.
-- A promoted replica (a shard failover) or a shard restarted from a snapshot has another run id, and its copy may
-- lack the last messages: continuing the offsets would give a message the offset of one delivered and lost, and a
-- client recovering with it would skip one. (A record moved by a slot migration keeps its server, which is still a
-- primary the caller knows: MIGRATE copies it whole.)
local function known_server(s)
  if SERVERS == nil or SERVERS == '' then
    return true
  end
  return s ~= nil and s ~= '' and string.find(',' .. SERVERS .. ',', ',' .. s .. ',', 1, true) ~= nil
end

-- This shard's run id, written into a record it starts (read only then: INFO is not free).
local function own_server()
  return string.match(redis.call('INFO', 'server'), 'run_id:(%x+)') or ''
end

-- The epoch and latest offset of a history; with a ttl, a missing record, or one started through a server the caller
-- did not synchronise with, starts a new epoch at offset 0 (its old entries dropped). nil when missing, not created.
local function meta(key, list, ttl)
  local v = redis.call('HMGET', key, 'e', 'o', 's')
  if v[1] and known_server(v[3]) then
    return v[1], tonumber(v[2]) or 0
  end
  if not ttl then
    return nil, 0
  end
  local e = new_epoch()
  redis.call('HSET', key, 'e', e, 'o', 0, 's', own_server())
  redis.call('PEXPIRE', key, ttl)
  redis.call('DEL', list)
  return e, 0
end

-- Whether the `nodes` live nodes that hold entries for a sharded channel can all hear it on this shard: the channel has
-- at least that many subscribers here (each node subscribes a channel once). A replica promoted by a shard failover
-- lists the nodes' entries before the nodes have subscribed to it again, and what is published to a node not
-- subscribed is lost, so then nothing is counted as delivered (a lower bound: a subscriber that holds no entry, such
-- as a node between its SSUBSCRIBE and its REG, may stand in for one that is missing, for as long as that lasts).
local function heard(ch, nodes)
  return nodes == 0 or redis.call('PUBSUB', 'SHARDNUMSUB', ch)[2] >= nodes
end

local function append(list, frame, size, ttl)
  redis.call('RPUSH', list, string.format('%d', NOW) .. '\n' .. frame)
  redis.call('LTRIM', list, -size, -1)
  redis.call('PEXPIRE', list, ttl)
end

local function read(list, last, after, limit, ttl)
  local n = redis.call('LLEN', list)
  local cutoff = NOW - ttl
  local out = {}
  local function frame_of(item)
    local i = string.find(item, '\n', 1, true)
    return tonumber(string.sub(item, 1, i - 1)), string.sub(item, i + 1)
  end
  if after == nil then
    if limit <= 0 then
      return nil, out
    end
    for _, item in ipairs(redis.call('LRANGE', list, math.max(0, n - limit), -1)) do
      local at, f = frame_of(item)
      if at >= cutoff then
        out[#out + 1] = f
      end
    end
    return nil, out
  end
  local first = last - n + 1
  if after + 1 < first then
    return 0, out
  end
  local start = after + 1 - first
  local stop = n - 1
  if limit > 0 then
    stop = math.min(stop, start + limit - 1)
  end
  for k, item in ipairs(redis.call('LRANGE', list, start, stop)) do
    local at, f = frame_of(item)
    if k == 1 and at < cutoff then
      return 0, {}
    end
    out[#out + 1] = f
  end
  return 1, out
end

local function finish(open, offset)
  if offset > 0 then
    return open .. ',"offset":' .. string.format('%d', offset) .. '}'
  end
  return open .. '}'
end

local function flag_and_conn(arg)
  local sp = string.find(arg, ' ', 1, true)
  return string.sub(arg, 1, sp - 1) == '1', string.sub(arg, sp + 1)
end
