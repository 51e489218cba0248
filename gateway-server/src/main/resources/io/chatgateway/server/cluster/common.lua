-- Shared by every script of the cluster (prepended when the script is loaded).
-- ARGV[1] = cluster name (key prefix), ARGV[2] = calling node, ARGV[3] = ttl in ms of the keys a node owns,
-- ARGV[4] = history settings: "room-size room-ttl-ms inbox-size inbox-ttl-ms events-max-members server" (sizes 0 =
-- off; server = the run id of this Redis server as the nodes know it, or empty).
-- Keys of node N:   P:n:N:info (hash: stats, conns)   P:n:N:users (hash: user -> "conn/seq,conn/seq")
--                   P:n:N:rooms (hash: room -> connections on N)   P:n:N:room:R (hash: user -> "conn,conn")
--                   P:n:N:reaped (tombstone left by the peer that reaped N)
-- Shared keys:      P:nodes (zset: node -> lease deadline, ms of Redis time)   P:seq (registration order)
--                   P:clock (Redis time of the last lease refresh, to tell a stalled Redis from dead nodes)
-- History:          P:h:R (hash: e = epoch, o = latest offset of room R)   P:hl:R (list: "<ms>\n<frame>", oldest first)
--                   P:i:U, P:il:U (the same for user U's inbox)   P:epochs (counter in new epochs)
-- Channels:         P:in:N (node N's inbox)   P:room:R (members of room R on any node)
local P = ARGV[1]
local SELF = ARGV[2]
local KEY_TTL = tonumber(ARGV[3])
local TOMBSTONE_TTL = 3600000
local ROOM_SIZE, ROOM_TTL, INBOX_SIZE, INBOX_TTL, EVENTS_MAX, SERVER = string.match(ARGV[4],
  '^(%d+) (%d+) (%d+) (%d+) (%d+) ?(%S*)$')
ROOM_SIZE, ROOM_TTL = tonumber(ROOM_SIZE), tonumber(ROOM_TTL)
INBOX_SIZE, INBOX_TTL, EVENTS_MAX = tonumber(INBOX_SIZE), tonumber(INBOX_TTL), tonumber(EVENTS_MAX)
-- While its user is online an inbox's record lives this long, renewed by the lease refresh (tick.lua) in slices.
local ONLINE_INBOX_TTL = INBOX_TTL + 3600000

local function nkey(node, suffix)
  return P .. ':n:' .. node .. ':' .. suffix
end

local function roomkey(node, room)
  return P .. ':n:' .. node .. ':room:' .. room
end

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local NOW = now_ms()

local function live_nodes()
  return redis.call('ZRANGEBYSCORE', P .. ':nodes', '(' .. string.format('%d', NOW), '+inf')
end

-- Live nodes other than the caller: a node whose lease ran out no longer counts, even before it is reaped.
local function others()
  local out = {}
  for _, n in ipairs(live_nodes()) do
    if n ~= SELF then
      out[#out + 1] = n
    end
  end
  return out
end

-- Whether node N's pub/sub connection is on this server: its inbox has a subscriber. A replica promoted by a failover
-- lists the nodes (and their leases) before they have reconnected to it, and what is published to a node not yet
-- subscribed is lost, so it must not be counted as delivered. (The node subscribes its inbox and rooms again in one
-- command when it reconnects.)
local function listening(node)
  return redis.call('PUBSUB', 'NUMSUB', P .. ':in:' .. node)[2] > 0
end

local function touch(key)
  redis.call('PEXPIRE', key, KEY_TTL)
end

-- A comma-separated list used as a set.
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

-- Removes the entry with this id from the list in a hash field, deleting the field when the list is left empty.
-- Returns whether it was there, and how many entries are left.
local function remove_entry(key, field, id)
  local keep, removed = {}, false
  for _, e in ipairs(entries(redis.call('HGET', key, field))) do
    if entry_id(e) == id then
      removed = true
    else
      keep[#keep + 1] = e
    end
  end
  if removed then
    if #keep == 0 then
      redis.call('HDEL', key, field)
    else
      redis.call('HSET', key, field, table.concat(keep, ','))
    end
  end
  return removed, #keep
end

local function entry_seq(e)
  local i = string.find(e, '/', 1, true)
  if i then
    return tonumber(string.sub(e, i + 1)) or 0
  end
  return 0
end

-- The pub/sub payload: kind, origin node, two arguments, publish time, then the frame (see Envelope.java).
local function envelope(kind, origin, a, b, body)
  return kind .. '\n' .. origin .. '\n' .. a .. '\n' .. b .. '\n' .. string.format('%d', NOW) .. '\n' .. body
end

-- A joined or left frame; reason for left only ('leave', 'disconnect', 'removed', 'revoked').
local function member_event(kind, room, user, reason)
  local e = '{"type":"' .. kind .. '","room":' .. cjson.encode(room) .. ',"user":' .. cjson.encode(user)
  if reason then
    e = e .. ',"reason":"' .. reason .. '"'
  end
  return e .. '}'
end

-- Member users of a room on these nodes (a user on two nodes counts twice: the limit is approximate upwards).
local function room_users(nodes, room)
  local n = 0
  for _, node in ipairs(nodes) do
    n = n + redis.call('HLEN', roomkey(node, room))
  end
  return n
end

-- ---- history: room R's messages and user U's inbox, with consecutive offsets in an epoch

local function hkey(room) return P .. ':h:' .. room end
local function hlist(room) return P .. ':hl:' .. room end
local function ikey(user) return P .. ':i:' .. user end
local function ilist(user) return P .. ':il:' .. user end

-- A new epoch: Redis time and a counter, so an epoch is never reused, also after Redis lost everything.
local function new_epoch()
  local t = redis.call('TIME')
  local n = redis.call('INCR', P .. ':epochs')
  touch(P .. ':epochs')
  return string.format('%x%05x', tonumber(t[1]), tonumber(t[2])) .. '-' .. string.format('%x', n)
end

-- The epoch and latest offset of a history. With a ttl, a missing one starts (new epoch, offset 0, expiring after
-- ttl ms) and its old entries, if any outlived it, are dropped. Returns nil when missing and not created.
-- A history started through another Redis server (field s) counts as missing: a replica promoted by a
-- failover, or a restart from a snapshot, may lack its last messages, and continuing its offsets would give a
-- message the offset of one that was delivered and lost, so that a client recovering with it would skip one.
local function meta(key, list, ttl)
  local v = redis.call('HMGET', key, 'e', 'o', 's')
  if v[1] and (SERVER == '' or v[3] == SERVER) then
    return v[1], tonumber(v[2]) or 0
  end
  if not ttl then
    return nil, 0
  end
  local e = new_epoch()
  redis.call('HSET', key, 'e', e, 'o', 0, 's', SERVER)
  redis.call('PEXPIRE', key, ttl)
  redis.call('DEL', list)
  return e, 0
end

-- Appends a frame to a history list, keeping the latest `size`; entries are "<ms>\n<frame>".
local function append(list, frame, size, ttl)
  redis.call('RPUSH', list, string.format('%d', NOW) .. '\n' .. frame)
  redis.call('LTRIM', list, -size, -1)
  redis.call('PEXPIRE', list, ttl)
end

-- The messages of a history list after offset `after` (nil: the latest `limit`), oldest first, younger than ttl.
-- With `after`: returns recovered (1 when every message after it is still held, else 0) and at most `limit` of
-- them (all of them when limit is 0).
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
  local items = redis.call('LRANGE', list, start, stop)
  for k, item in ipairs(items) do
    local at, f = frame_of(item)
    if k == 1 and at < cutoff then
      -- Entries are in time order: the first one needed is gone by age.
      return 0, {}
    end
    out[#out + 1] = f
  end
  return 1, out
end

-- Whether a user has a connection on any of these nodes.
local function online_on(nodes, user)
  for _, n in ipairs(nodes) do
    if redis.call('HEXISTS', nkey(n, 'users'), user) == 1 then
      return true
    end
  end
  return false
end

-- The user's last connection is gone: the inbox lives on for the inbox TTL, from now.
local function inbox_expires(user)
  if INBOX_SIZE > 0 then
    redis.call('PEXPIRE', ikey(user), INBOX_TTL)
    redis.call('PEXPIRE', ilist(user), INBOX_TTL)
  end
end

local function in_room_on(nodes, room, user)
  for _, n in ipairs(nodes) do
    if redis.call('HEXISTS', roomkey(n, room), user) == 1 then
      return true
    end
  end
  return false
end

-- Drops every key of node N, announcing 'left' for each of its room members that no other live node has.
local function drop_node(node, tombstone)
  local live = {}
  for _, n in ipairs(live_nodes()) do
    if n ~= node then
      live[#live + 1] = n
    end
  end
  local rooms = nkey(node, 'rooms')
  for _, room in ipairs(redis.call('HKEYS', rooms)) do
    local rk = roomkey(node, room)
    local announce = room_users(live, room) + redis.call('HLEN', rk) <= EVENTS_MAX
    for _, user in ipairs(redis.call('HKEYS', rk)) do
      if announce and not in_room_on(live, room, user) then
        redis.call('PUBLISH', P .. ':room:' .. room,
          envelope('R', '', room, '', member_event('left', room, user, 'disconnect')))
      end
    end
    redis.call('DEL', rk)
  end
  if INBOX_SIZE > 0 then
    for _, user in ipairs(redis.call('HKEYS', nkey(node, 'users'))) do
      if not online_on(live, user) then
        inbox_expires(user)
      end
    end
  end
  redis.call('DEL', rooms, nkey(node, 'users'), nkey(node, 'info'))
  if tombstone then
    redis.call('SET', nkey(node, 'reaped'), '1', 'PX', TOMBSTONE_TTL)
  end
end
